"""SPARQL 1.1 Protocol endpoint (read-only) and the named queries of queries/."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ..queries import all_queries
from ..sparql_endpoint import SparqlRefused, negotiate_format, run_query
from .common import store_of

router = APIRouter(tags=["sparql"])
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@router.get("/sparql", summary="SPARQL 1.1 (skrivskyddad), GET")
async def sparql_get(request: Request):
    """GET ?query=… ; see POST for the rules."""
    return await sparql(request)


@router.post("/sparql", summary="SPARQL 1.1 (skrivskyddad), POST")
async def sparql(request: Request):
    """Query with GET ?query=…, POST form query=…, or POST application/sparql-query.
    Results as JSON, XML, CSV or TSV (Accept or ?format=); updates, SERVICE, LOAD and
    FROM are refused; a timeout or too many rows is an explicit error."""
    query = request.query_params.get("query")
    if request.method == "POST":
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("application/sparql-update"):
            return _refusal(SparqlRefused(403, "Uppdateringar är inte tillåtna: slutpunkten är skrivskyddad."))
        if content_type.startswith("application/sparql-query"):
            query = (await request.body()).decode("utf-8", errors="replace")
        elif content_type.startswith(FORM_TYPES):
            form = await request.form()
            if "update" in form:
                return _refusal(SparqlRefused(403, "Uppdateringar är inte tillåtna: slutpunkten är skrivskyddad."))
            query = form.get("query")
    if "update" in request.query_params:
        return _refusal(SparqlRefused(403, "Uppdateringar är inte tillåtna: slutpunkten är skrivskyddad."))
    return _run(request, query)


def _run(request: Request, query: str | None) -> Response:
    try:
        graph_query = bool(query) and _is_graph_query(query)
        fmt = negotiate_format(request.headers.get("accept"), request.query_params.get("format"), graph_query)
        result = run_query(store_of(request), query or "", fmt)
    except SparqlRefused as exc:
        return _refusal(exc)
    return Response(result.body, media_type=result.media_type)


def _is_graph_query(query: str) -> bool:
    from ..sparql_endpoint import check_query

    try:
        return check_query(query) in ("ConstructQuery", "DescribeQuery")
    except SparqlRefused:
        return False


def _refusal(exc: SparqlRefused) -> JSONResponse:
    return JSONResponse({"fel": exc.message}, status_code=exc.status)


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
    return _run(request, named.text)
