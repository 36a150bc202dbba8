"""One way to refuse a routed request: JSON {"fel": …} for the API and SPARQL, else the
refused.html page (whose #svar the question page's script shows). Used by the app's own
error handlers and by the store-failure handlers, so a refusal looks the same wherever it
comes from. (Refusals before routing, from the privacy screen, use middleware.refusal.)"""

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse

from .middleware import JSON_PREFIXES


def wants_json(request: Request) -> bool:
    return request.url.path.startswith(JSON_PREFIXES) or "application/json" in request.headers.get("accept", "")


def refuse(request: Request, status: int, message: str, headers: dict | None = None):
    if wants_json(request):
        return JSONResponse({"fel": message}, status_code=status, headers=headers)
    page = request.app.state.templates.get_template("refused.html").render(message=message)
    return HTMLResponse(page, status_code=status, headers=headers)
