"""Build the FastAPI app around one store; `ansvarsgraf serve` runs it on 127.0.0.1.

Logging records only what is needed to operate — method, the route's path template,
status, duration, and for answers the resolved task — never a requested path, query
string, body or question text, which may name a child (middleware.py). uvicorn's own
access log (which writes query strings) is turned off by `serve`.
"""

import gc
import sys
import threading
import time
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import StoreUnavailable
from ..catalog import catalog_for
from ..graph_store import GraphStore
from ..configured_store import open_store
from . import api, changes, explore, linked_data, pages, sparql, unavailable
from .common import documented
from .middleware import AccessLog, ErrorShield, PrivacyScreen, SecurityHeaders
from .refusal import refuse
from .static_files import FingerprintedStaticFiles

HERE = Path(__file__).parent


def create_app(store: GraphStore) -> FastAPI:
    app = FastAPI(
        title="Ansvarsgraf",
        description="Vem ansvarar? Frågor om ansvar kring barn och unga, med lagrum, överenskommelse och källa.",
        version="0.1.0",
        docs_url=None,  # FastAPI's /docs loads its assets from a CDN; the OpenAPI JSON is at /openapi.json
        redoc_url=None,
        # Every route refuses identity numbers with a 422, wherever they are sent (middleware.py),
        # and answers 503 while an external SPARQL server cannot be reached.
        responses=documented(422, 502, 503),
    )
    app.state.store = store
    # A prepared store is checked again when its files change (the others do nothing here).
    store.watch(warm_up=lambda: keep_out_of_garbage_collection(catalog_for(store)))
    app.state.templates = Jinja2Templates(directory=HERE / "templates")
    static = FingerprintedStaticFiles(HERE / "static")
    app.state.templates.env.globals["static"] = static.url
    app.mount("/static", static, name="static")
    app.include_router(sparql.router)  # before api: /api/fragor must not fall into /api/{lista}
    app.include_router(explore.router)  # before api: /api/graf must not fall into /api/{lista}
    changes.install(app)  # before api: /api/andringar must not fall into /api/{lista}
    app.include_router(api.router)
    app.include_router(linked_data.router)
    app.include_router(pages.router)

    unavailable.install(app)  # store down or slow: 503 + Retry-After, never a 500
    # add_middleware puts each one outside the ones before it: the screen runs first, the log last.
    for middleware in (PrivacyScreen, ErrorShield, SecurityHeaders, AccessLog):
        app.add_middleware(middleware)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        # Say what to fix, in Swedish, without echoing the submitted values back.
        problems = [f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {_swedish(e)}" for e in exc.errors()]
        return JSONResponse({"fel": "Felaktig begäran.", "detaljer": problems}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        # Starlette's own refusals (no such route, method not allowed) in Swedish, as JSON for
        # the API and as a page elsewhere.
        message = HTTP_MESSAGES.get(exc.status_code, "Begäran kunde inte utföras.")
        headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() == "allow"}
        return refuse(request, exc.status_code, message, headers)

    return app


HTTP_MESSAGES = {
    404: "Det finns ingen sida eller resurs med den adressen.",
    405: "Metoden är inte tillåten för den här adressen.",
}


def app_from_environment() -> FastAPI:
    """The app of one worker of `serve --workers N`: each worker process opens the store that
    `serve` named in the environment (ANSVARSGRAF_ENDPOINT or ANSVARSGRAF_STORE) and builds
    its catalog before it takes requests, so no user waits for the warm-up."""
    store = open_store()
    # With the SPARQL server down the worker starts anyway (503 until it answers), as with
    # one process: a worker that raised here would be restarted by uvicorn in a tight loop.
    warm_up_or_retry(lambda: keep_out_of_garbage_collection(catalog_for(store)))
    return create_app(store)


def warm_up_or_retry(warm_up) -> None:
    """Build the catalog now; with the SPARQL server down, say so, serve anyway (requests get
    503 with Retry-After until it answers) and keep trying in the background."""
    try:
        warm_up()
        return
    except StoreUnavailable:
        print("Fel: SPARQL-servern svarar inte än. Webbtjänsten startar ändå, svarar 503 (försök igen) "
              "och försöker nå servern igen var femte sekund.", file=sys.stderr, flush=True)

    def retry():
        while True:
            time.sleep(5)
            try:
                warm_up()
            except StoreUnavailable:
                continue
            print("SPARQL-servern svarar nu; webbtjänsten svarar som vanligt.", file=sys.stderr, flush=True)
            return

    threading.Thread(target=retry, name="uppvarmning", daemon=True).start()


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
