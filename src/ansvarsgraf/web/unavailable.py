"""When the graph's store cannot answer: 503 with Retry-After and a Swedish sentence, never
a 500, never the store's internal address or its engine's English error text.

- StoreUnavailable (the SPARQL server down, too slow, or all its connections busy; see
  store_guard.py) becomes 503 + Retry-After: JSON under /api and /sparql, a short page
  elsewhere.
- RemoteStoreError (the server refused a query) becomes 502 with a fixed sentence.
- While the store is degraded, what is still answered comes from caches (the catalog, cached
  and prepared answers): those responses carry a Warning header saying they may be stale.
- Each request reads one data version of a SPARQL server, in all its queries, and waits for
  the server at most the store's request budget in all (remote_store.SparqlEndpointStore.reading).
"""

from fastapi import FastAPI, Request

from ..errors import StoreUnavailable
from ..remote_store import RemoteStoreError
from .middleware import errors, route_template
from .refusal import refuse

# Header values are Latin-1; the sentence above is kept to ASCII so every client reads it.
STALE_WARNING = '110 ansvarsgraf "Svaret kommer ur cachen: grafens lager svarar inte just nu, svaret kan vara inaktuellt."'


def install(app: FastAPI) -> None:
    @app.exception_handler(StoreUnavailable)
    async def store_unavailable(request: Request, exc: StoreUnavailable):
        return refuse(request, 503, exc.message, {"Retry-After": str(max(1, round(exc.retry_after_s)))})

    @app.exception_handler(RemoteStoreError)
    async def store_refused(request: Request, exc: RemoteStoreError):
        # The server's address and error text stay out of the answer; the log gets the route
        # template and the error's class (neither holds user input).
        errors.error("%s %s: SPARQL-servern vägrade frågan (%s)", request.method, route_template(request.scope),
                     type(exc.__cause__ or exc).__name__)
        return refuse(request, 502, "Grafens lager kunde inte svara på frågan.")

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
            if message["type"] == "http.response.start" and message["status"] < 300 and store is not None and store.degraded:
                message["headers"] = [*message.get("headers", []), (b"warning", STALE_WARNING.encode("latin-1"))]
            await send(message)

        if store is None:
            return await self.app(scope, receive, send_with_notice)
        # The context variable it sets reaches the worker thread that runs the route.
        with store.reading(budget=True):
            await self.app(scope, receive, send_with_notice)
