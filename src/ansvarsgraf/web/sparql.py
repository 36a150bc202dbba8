"""SPARQL 1.1 Protocol endpoint (read-only) and the named queries of queries/.

The handlers only read the request; checking and running happen in a worker thread that
waits for a forked, network-isolated child (sparql_endpoint.py), so a slow query never
holds the event loop that answers everyone else."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ..queries import all_queries
from ..sparql_endpoint import GRAPH_TYPES, RESULT_TYPES, SparqlRefused, run_query
from .common import store_of
from .negotiation import acceptable

router = APIRouter(tags=["sparql"])
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_UPDATE_REFUSED = SparqlRefused(403, "Uppdateringar är inte tillåtna: slutpunkten är skrivskyddad.")
# Media types in the server's order of preference, each with its format name; the aliases
# last, so that */* gives the SPARQL types.
OFFERS = {media: name for name, media in [*RESULT_TYPES.items(), *GRAPH_TYPES.items()]}
OFFERS |= {"application/json": "json", "application/xml": "xml"}
_ORDER = ["json", "turtle", "xml", "csv", "tsv", "jsonld", "ntriples", "rdfxml"]
OFFERS = dict(sorted(OFFERS.items(), key=lambda item: (item[0] in ("application/json", "application/xml"), _ORDER.index(item[1]))))


@router.get("/sparql", summary="SPARQL 1.1 (skrivskyddad), GET")
async def sparql_get(request: Request):
    """GET ?query=… ; see POST for the rules."""
    return await sparql(request)


@router.post("/sparql", summary="SPARQL 1.1 (skrivskyddad), POST")
async def sparql(request: Request):
    """Query with GET ?query=…, POST form query=…, or POST application/sparql-query.
    Results as JSON, XML, CSV or TSV (Accept or ?format=); updates, SERVICE, LOAD and
    FROM are refused; a timeout or too many rows is an explicit error."""
    try:
        query = await _query_of(request)
        formats = _formats(request)
    except SparqlRefused as exc:
        return _refusal(exc)
    return await run_in_threadpool(_run, request, query, formats)


async def _query_of(request: Request) -> str:
    if "update" in request.query_params:
        raise _UPDATE_REFUSED
    queries = request.query_params.getlist("query")
    if request.method == "POST":
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == "application/sparql-update":
            raise _UPDATE_REFUSED
        if content_type == "application/sparql-query":
            queries = queries + [(await request.body()).decode("utf-8", errors="replace")]
        elif content_type in FORM_TYPES:
            form = await request.form()
            if "update" in form:
                raise _UPDATE_REFUSED
            queries = queries + [v for v in form.getlist("query") if isinstance(v, str)]
    if len(queries) > 1:
        raise SparqlRefused(400, "Parametern 'query' får bara anges en gång.")
    return queries[0] if queries else ""


def _formats(request: Request) -> list[str]:
    explicit = request.query_params.get("format")
    if explicit:
        if explicit not in _ORDER:
            raise SparqlRefused(400, f"Okänt format '{explicit[:20]}'; välj bland {', '.join(_ORDER)}.")
        return [explicit]
    names = list(dict.fromkeys(OFFERS[media] for media in acceptable(request.headers.get("accept"), list(OFFERS))))
    if not names:
        raise SparqlRefused(406, "Ingen av de begärda medietyperna (Accept) kan levereras; välj bland "
                                 f"{', '.join(OFFERS)}.")
    return names


def _run(request: Request, query: str, formats: list[str]) -> Response:
    try:
        result = run_query(store_of(request), query, formats)
    except SparqlRefused as exc:
        return _refusal(exc)
    return Response(result.body, media_type=result.media_type, headers={"Vary": "Accept", **result.headers})


def _refusal(exc: SparqlRefused) -> JSONResponse:
    return JSONResponse({"fel": exc.message}, status_code=exc.status, headers=exc.headers)


@router.get("/api/fragor", summary="Namngivna SPARQL-frågor")
def named_queries():
    return [{"namn": q.name, "beskrivning": q.description, "kraver_parametrar": q.needs_bindings, "text": q.text}
            for q in all_queries().values()]


@router.get("/api/fragor/{name}", summary="Kör en namngiven fråga")
def run_named(name: str, request: Request):
    named = all_queries().get(name)
    if named is None:
        return JSONResponse({"fel": f"Ingen namngiven fråga '{name[:60]}'; se /api/fragor."}, status_code=404)
    if named.needs_bindings:
        return JSONResponse({"fel": f"Frågan '{name}' används av svarsmotorn och kräver parametrar; den kan inte köras fristående."}, status_code=400)
    try:
        return _run(request, named.text, _formats(request))
    except SparqlRefused as exc:
        return _refusal(exc)
