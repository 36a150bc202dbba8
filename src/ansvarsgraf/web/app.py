"""Build the FastAPI app around one store; `ansvarsgraf serve` runs it on 127.0.0.1.

Logging records only what is needed to operate — method, path without query string,
status, duration, and for answers the resolved task — never question text, which may
name a child. uvicorn's own access log (which writes query strings) is turned off by
`serve`.
"""

import gc
import logging
import time
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from ..store import GraphStore
from . import api, explore, linked_data, pages, sparql, unavailable

HERE = Path(__file__).parent
log = logging.getLogger("ansvarsgraf.access")


def create_app(store: GraphStore) -> FastAPI:
    app = FastAPI(
        title="Ansvarsgraf",
        description="Vem ansvarar? Frågor om ansvar kring barn och unga, med lagrum, överenskommelse och källa.",
        version="0.1.0",
        docs_url=None,  # FastAPI's /docs loads its assets from a CDN; the OpenAPI JSON is at /openapi.json
        redoc_url=None,
    )
    app.state.store = store
    app.state.templates = Jinja2Templates(directory=HERE / "templates")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(sparql.router)  # before api: /api/fragor must not fall into /api/{lista}
    app.include_router(explore.router)  # before api: /api/graf must not fall into /api/{lista}
    app.include_router(api.router)
    app.include_router(linked_data.router)
    app.include_router(pages.router)

    unavailable.install(app)  # store down or slow: 503 + Retry-After, never a 500
    app.add_middleware(AccessLog)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        # Say what to fix, in Swedish, without echoing the submitted values back.
        problems = [f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {_swedish(e)}" for e in exc.errors()]
        return JSONResponse({"fel": "Felaktig begäran.", "detaljer": problems}, status_code=422)

    return app


class AccessLog:
    """One line per request: method, path, status, time and the resolved task, never the
    query string or body. Plain ASGI rather than @app.middleware("http"), whose response
    streaming costs more per request than a cached answer itself (measured)."""

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
            log.info("%s %s %s %.1fms%s", scope["method"], scope["path"], status[0], elapsed,
                     f" uppgift={task}" if task else "")


def app_from_environment() -> FastAPI:
    """The app of one worker of `serve --workers N`: each worker process opens the store that
    `serve` named in the environment (ANSVARSGRAF_ENDPOINT or ANSVARSGRAF_STORE) and builds
    its catalog before it takes requests, so no user waits for the warm-up."""
    from ..answer import catalog_for
    from ..store import open_store

    store = open_store()
    keep_out_of_garbage_collection(catalog_for(store))
    return create_app(store)


def keep_out_of_garbage_collection(catalog) -> None:
    """What a server process keeps for its whole life (the catalog, the organisation index,
    later the matchers) is moved out of the cyclic garbage collector's reach: otherwise
    every full collection scans those millions of objects again, a pause of up to half a
    second in the middle of someone's request (measured at 1M triples)."""
    gc.freeze()
    catalog.matchers.add_done_callback(lambda _: gc.freeze())


# uvicorn applies this in every worker process. Our access log (ansvarsgraf.access) at INFO;
# uvicorn's access log off, since it writes the full request line with its query string.
LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(name)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}},
    "loggers": {
        "ansvarsgraf": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
    },
}


def _swedish(error: dict) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return "saknas"
    if "string_too_long" in kind:
        return f"för lång (högst {error.get('ctx', {}).get('max_length')} tecken)"
    if "string_too_short" in kind:
        return "får inte vara tom"
    if "date" in kind:
        return "ska vara ett datum ÅÅÅÅ-MM-DD"
    return "ogiltigt värde"
