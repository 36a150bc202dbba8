"""What every request passes through before and after routing: the access log, the security
headers, the identity-number screen and the last-resort error handler.

Plain ASGI rather than @app.middleware("http"), whose response streaming costs more per
request than a cached answer itself (measured). Order, outermost first (see create_app):
AccessLog, SecurityHeaders, ErrorShield, PrivacyScreen, then FastAPI's routing.
"""

import json
import logging
import time
import traceback
from urllib.parse import parse_qsl, unquote_plus

from starlette.concurrency import run_in_threadpool
from starlette.routing import Match, Mount

from ..privacy import contains_identity_number

log = logging.getLogger("ansvarsgraf.access")
errors = logging.getLogger("ansvarsgraf.error")

# The largest body any route takes is a SPARQL query of 20,000 characters: at most 240,000
# bytes as a form field even if every character is a 4-byte one, percent-encoded. Screening
# a body costs CPU in proportion to its size, so nothing larger is read.
MAX_BODY_BYTES = 256_000
JSON_PREFIXES = ("/api/", "/sparql", "/openapi")


def route_template(scope) -> str:
    """The matched route's path as declared (/id/{path:path}), never the requested one: the
    requested path may hold an identity number, a name, CR/LF that forge a log line or a NUL."""
    route = scope.get("route") or _matching_route(scope)
    if route is None:
        return "-"  # no route: the requested path is not written either
    path = route.path + "/{path}" if isinstance(route, Mount) else route.path
    return escaped(path)


def _matching_route(scope):
    """The route a request refused before routing (or never routed) would have reached."""
    for route in all_routes(scope.get("app")):
        match, _ = route.matches({**scope, "path_params": {}})
        if match != Match.NONE:
            return route
    return None


def all_routes(app) -> list:
    """Every route of the app, with included routers opened up (FastAPI 0.165 keeps each as
    one entry in app.routes; create_app includes them without an extra prefix)."""
    def opened(routes):
        for route in routes:
            if hasattr(route, "original_router"):
                yield from opened(route.original_router.routes)
            else:
                yield route
    return list(opened(getattr(app, "routes", [])))


def escaped(text: str) -> str:
    # Code-defined templates are plain ASCII; escaping anyway keeps one log line per request
    # whatever a future route declares.
    return text.encode("ascii", "backslashreplace").decode().replace("\r", "\\r").replace("\n", "\\n").replace("\0", "\\0")


class AccessLog:
    """One line per request: method, route template, status, time and the resolved task
    (a vocabulary id, never user text) — never the requested path, query string or body."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started, status = time.perf_counter(), [500]
        state = scope.setdefault("state", {})  # request.state of the endpoint writes here

        async def send_with_status(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            task = state.get("resolved_task")
            try:
                template = route_template(scope)
            except Exception:  # noqa: BLE001 — the log line must be written, and never with the raw path
                template = "-"
            log.info("%s %s %s %.1fms%s", escaped(scope["method"]), template, status[0], elapsed,
                     f" uppgift={escaped(task)}" if task else "")


class SecurityHeaders:
    """Headers on every response. Answers, questions and API responses are never stored by a
    browser or proxy (no-store); only static files whose URL carries their content hash may
    be cached, for a year (static_files.py sets their Cache-Control, which is kept)."""

    CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
           "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"cache-control" for k, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                headers += [(b"content-security-policy", self.CSP.encode()), (b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ErrorShield:
    """An unexpected error becomes a Swedish 500 and one log line naming the exception type
    and the code locations — never its message or the request, which may quote user input
    (a template error, a KeyError of a submitted value)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = [False]

        async def send_tracking(message):
            if message["type"] == "http.response.start":
                started[0] = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        except Exception as exc:  # noqa: BLE001 — the last resort: anything else would reach uvicorn's log with its message
            frames = "; ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in traceback.extract_tb(exc.__traceback__)[-6:])
            errors.error("%s %s: %s vid %s", escaped(scope["method"]), route_template(scope), type(exc).__name__, frames)
            if not started[0]:
                await refusal(scope, send, 500, "Ett internt fel uppstod. Felet är loggat utan innehållet i din begäran; försök igen eller kontakta förvaltaren.")


class PrivacyScreen:
    """Refuse (422) any request carrying something that looks like a personnummer or
    samordningsnummer — in the path, the query string, the kommun cookie or the body
    (form, JSON or SPARQL text) — before any route sees it, so no route can echo, store or
    log it. The number is never repeated in the answer."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        where = _where_in_address(scope)
        body, more = b"", True
        if where is None and scope["method"] in ("POST", "PUT", "PATCH"):
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                body += message.get("body", b"")
                more = message.get("more_body", False)
                if len(body) > MAX_BODY_BYTES:
                    return await refusal(scope, send, 413, "Begäran är för stor (högst 256 kB).")
            # Beside the event loop: a body full of ten-digit runs takes seconds to screen
            # (each needs the full check), and the loop answers everyone else meanwhile.
            if await run_in_threadpool(_text_holds_number, body.decode("utf-8", errors="replace"),
                                       _header(scope, b"content-type")):
                where = "i det du skickade"
        if where is not None:
            return await refusal(scope, send, 422,
                                 f"Begäran innehåller {where} något som ser ut som ett personnummer eller samordningsnummer. "
                                 "Ta bort det och försök igen – tjänsten behöver aldrig veta vem frågan gäller.")
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)

        replayed = [False]

        async def replay():
            if not replayed[0]:
                replayed[0] = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _where_in_address(scope) -> str | None:
    if contains_identity_number(scope["path"]) or contains_identity_number(scope.get("raw_path", b"").decode("latin-1")):
        return "i adressen"
    query = scope.get("query_string", b"").decode("utf-8", errors="replace")
    if contains_identity_number(query) or contains_identity_number(unquote_plus(query)):
        return "i adressen"
    if contains_identity_number(unquote_plus(_header(scope, b"cookie"))):
        return "i en kaka (cookie)"
    return None


def _text_holds_number(text: str, content_type: str) -> bool:
    if contains_identity_number(text) or contains_identity_number(unquote_plus(text)):
        return True
    if "form-urlencoded" in content_type:
        return any(contains_identity_number(k) or contains_identity_number(v) for k, v in parse_qsl(text, keep_blank_values=True))
    if "json" in content_type:
        # JSON may spell the digits as \u0031…: look at the decoded strings too.
        try:
            return any(contains_identity_number(s) for s in _strings(json.loads(text)))
        except ValueError:
            return False
    return False


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    else:
        yield str(value)


def _header(scope, name: bytes) -> str:
    return "; ".join(v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == name)


async def refusal(scope, send, status: int, message: str) -> None:
    """Answer without routing: JSON for the API and SPARQL, else an HTML page whose #svar
    holds the message (the question page's script shows that part)."""
    if scope["path"].startswith(JSON_PREFIXES):
        body, media_type = json.dumps({"fel": message}, ensure_ascii=False).encode(), b"application/json"
    else:
        templates = scope["app"].state.templates
        body = templates.get_template("refused.html").render(message=message).encode()
        media_type = b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", media_type), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
