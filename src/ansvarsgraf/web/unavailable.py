"""When the graph's store cannot answer: 503 with Retry-After and a Swedish sentence, never
a 500, never the store's internal address or its engine's English error text.

- StoreUnavailable (the SPARQL server down, too slow, or all its connections busy; see
  store_guard.py) becomes 503 + Retry-After: JSON under /api and /sparql, a short page
  elsewhere.
- RemoteStoreError (the server refused a query) becomes 502 with a fixed sentence.
- While the store is degraded, what is still answered comes from caches (the catalog, cached
  and prepared answers): those responses carry a Warning header saying they may be stale.
"""

import html

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

from ..errors import StoreUnavailable
from ..remote_store import RemoteStoreError

# Header values are Latin-1; the sentence above is kept to ASCII so every client reads it.
STALE_WARNING = '110 ansvarsgraf "Svaret kommer ur cachen: grafens lager svarar inte just nu, svaret kan vara inaktuellt."'

PAGE = """<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><title>Tillfälligt otillgängligt – Ansvarsgraf</title>
<link rel="stylesheet" href="/static/app.css"></head>
<body><main><h1>Tillfälligt otillgängligt</h1><p>{message}</p>
<p>Försök igen om {seconds} sekunder. Svar som nyss visats kan fortfarande visas.</p>
<p><a href="/">Till startsidan</a></p></main></body></html>"""


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith(("/api", "/sparql")) or "application/json" in request.headers.get("accept", "")


def _respond(request: Request, status: int, message: str, retry_after_s: int | None):
    headers = {"Retry-After": str(retry_after_s)} if retry_after_s else {}
    if _wants_json(request):
        return JSONResponse({"fel": message}, status_code=status, headers=headers)
    return HTMLResponse(PAGE.format(message=html.escape(message), seconds=retry_after_s or 5), status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(StoreUnavailable)
    async def store_unavailable(request: Request, exc: StoreUnavailable):
        return _respond(request, 503, exc.message, max(1, round(exc.retry_after_s)))

    @app.exception_handler(RemoteStoreError)
    async def store_refused(request: Request, exc: RemoteStoreError):
        return _respond(request, 502, "Grafens lager kunde inte svara på frågan.", None)

    app.add_middleware(StaleNotice)


class StaleNotice:
    """Adds the Warning header to successful responses while the store is degraded (plain
    ASGI, as the access log: cheap enough for cached answers)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        store = scope["app"].state.store if "app" in scope else None

        async def send_with_notice(message):
            if message["type"] == "http.response.start" and message["status"] < 300 and getattr(store, "degraded", False):
                message["headers"] = [*message.get("headers", []), (b"warning", STALE_WARNING.encode("latin-1"))]
            await send(message)

        await self.app(scope, receive, send_with_notice)
