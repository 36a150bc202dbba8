"""SPARQL 1.1 Protocol endpoint (read-only), its service description, and the named queries
of queries/.

The handlers only read the request; checking and running happen in a worker thread that
waits for a forked, network-isolated child (sparql_endpoint.py), so a slow query never
holds the event loop that answers everyone else."""

import rdflib
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from rdflib.namespace import DCTERMS, RDF, RDFS
from starlette.concurrency import run_in_threadpool

from ..queries import all_queries
from ..sparql_endpoint import (DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT_S, GRAPH_TYPES, MAX_WORKERS, RESULT_TYPES,
                               SparqlRefused, run_query)
from .common import store_of
from .negotiation import acceptable

router = APIRouter(tags=["sparql"])
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
ALLOW = "GET, HEAD, POST"
_UPDATE_REFUSED = SparqlRefused(403, "Uppdateringar är inte tillåtna: slutpunkten är skrivskyddad.")
# Media types in the server's order of preference, each with its format name; the generic
# aliases last, so that */* gives the SPARQL types.
_ORDER = ["json", "turtle", "xml", "csv", "tsv", "jsonld", "ntriples", "rdfxml"]
OFFERS = {media: name for name, media in sorted([*RESULT_TYPES.items(), *GRAPH_TYPES.items()], key=lambda i: _ORDER.index(i[0]))}
OFFERS |= {"application/json": "json", "application/xml": "xml"}
# ?format= (a convention, not the protocol; SPARQLWrapper sends it beside Accept): each name
# with the formats it means, for result sets and for graphs.
FORMAT_PARAMETER = {"json": ["json"], "xml": ["xml", "rdfxml"], "csv": ["csv"], "tsv": ["tsv"],
                    "turtle": ["turtle"], "ttl": ["turtle"], "n3": ["turtle"], "ntriples": ["ntriples"],
                    "nt": ["ntriples"], "jsonld": ["jsonld"], "json-ld": ["jsonld"], "rdfxml": ["rdfxml"],
                    "rdf+xml": ["rdfxml"], "rdf": ["rdfxml"]}
DESCRIPTION_TYPES = {"text/turtle": "turtle", "application/ld+json": "json-ld", "application/rdf+xml": "xml",
                     "application/n-triples": "nt"}


_REFUSAL = {"content": {"application/json": {"schema": {"type": "object", "properties": {"fel": {"type": "string"}}}}}}
RESPONSES = {
    200: {"description": "Svaret (SPARQL-resultat eller graf) i det format Accept eller ?format= begär",
          "content": {media: {} for media in OFFERS}},
    400: {"description": "Ogiltig fråga, fler än en 'query', ogiltig UTF-8 eller fler än 10 000 rader", **_REFUSAL},
    403: {"description": "Uppdatering, SERVICE, LOAD eller FROM: inte tillåtet", **_REFUSAL},
    406: {"description": "Inget av de format Accept begär finns för frågetypen", **_REFUSAL},
    413: {"description": "Frågan är längre än 20 000 tecken", **_REFUSAL},
    415: {"description": "Annan medietyp än application/sparql-query eller formulär, eller annan kodning än UTF-8", **_REFUSAL},
    503: {"description": "Tidsgränsen (10 s) nåddes, eller två frågor körs redan (med Retry-After)", **_REFUSAL},
}


_QUERY = {"type": "string", "minLength": 1, "maxLength": 20_000, "pattern": "\\S"}
_GRAPHS = {"type": "array", "items": {"type": "string", "format": "iri"}}
_PARAMETERS = [
    {"name": "query", "in": "query", "required": False, "schema": _QUERY,
     "description": "SPARQL-frågan (utan den: tjänstebeskrivningen)"},
    {"name": "default-graph-uri", "in": "query", "required": False, "schema": _GRAPHS},
    {"name": "named-graph-uri", "in": "query", "required": False, "schema": _GRAPHS},
    {"name": "format", "in": "query", "required": False, "schema": {"type": "string", "enum": list(FORMAT_PARAMETER)}},
]
_BODY = {"content": {
    "application/sparql-query": {"schema": _QUERY},
    "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {
        "query": _QUERY, "default-graph-uri": _GRAPHS, "named-graph-uri": _GRAPHS}, "required": ["query"]}}}}


@router.get("/sparql", summary="SPARQL 1.1 (skrivskyddad), GET", responses=RESPONSES,
            openapi_extra={"parameters": _PARAMETERS})
async def sparql_get(request: Request):
    """GET ?query=… ; without a query: the service description (SPARQL 1.1 Service
    Description) as Turtle, JSON-LD, RDF/XML or N-Triples. See POST for the rules."""
    if not set(request.query_params) & {"query", "update"}:
        return service_description(request)
    return await sparql(request)


@router.post("/sparql", summary="SPARQL 1.1 (skrivskyddad), POST", responses=RESPONSES,
             openapi_extra={"parameters": _PARAMETERS[1:], "requestBody": _BODY})
async def sparql(request: Request):
    """Query with GET ?query=…, POST form query=…, or POST application/sparql-query.
    Results as JSON, XML, CSV or TSV, graphs as Turtle, N-Triples, JSON-LD or RDF/XML, by
    Accept (q-values; 406 when none fits) or ?format=. Refused: updates, SERVICE, LOAD, FROM
    (403), a second 'query' (400). default-graph-uri and named-graph-uri name graphs of this
    store (one per source file; never fetched). A query runs at most
    10 s and gives at most 10,000 rows (else 503 or 400, never a truncated answer); at most
    two run at once (else 503 with Retry-After)."""
    try:
        query, parameters = await _query_of(request)
        formats = _formats(request, parameters)
    except SparqlRefused as exc:
        return _refusal(exc)
    dataset = None
    if "default-graph-uri" in parameters or "named-graph-uri" in parameters:
        dataset = (parameters.get("default-graph-uri", []), parameters.get("named-graph-uri", []))
    return await run_in_threadpool(_run, request, query, formats, dataset)


@router.api_route("/sparql", methods=["HEAD"], include_in_schema=False)
async def sparql_head(request: Request):
    """HEAD is GET without the body (the server leaves it out): without this route FastAPI
    answered 405 with "Allow: GET", though POST works (issue 13)."""
    return await sparql_get(request)


@router.api_route("/sparql", methods=["PUT", "DELETE", "PATCH", "OPTIONS"], include_in_schema=False)
def sparql_other_methods():
    return JSONResponse({"fel": "Slutpunkten tar emot GET och POST."}, status_code=405, headers={"Allow": ALLOW})


async def _query_of(request: Request) -> tuple[str, dict[str, list[str]]]:
    """The query text, and every parameter (URL and form) by name."""
    parameters: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        parameters.setdefault(name, []).append(value)
    if request.method == "POST":
        content_type, _, options = request.headers.get("content-type", "").partition(";")
        content_type = content_type.strip().lower()
        if content_type == "application/sparql-update":
            raise _UPDATE_REFUSED
        if content_type == "application/sparql-query":
            charset = options.lower().replace(" ", "").partition("charset=")[2].split(";")[0].strip('"')
            if charset not in ("", "utf-8", "utf8"):
                raise SparqlRefused(415, "Frågan ska vara kodad i UTF-8 (SPARQL 1.1 Protocol).")
            try:
                parameters.setdefault("query", []).append((await request.body()).decode("utf-8"))
            except UnicodeDecodeError:
                raise SparqlRefused(400, "Frågan är inte giltig UTF-8.") from None
        elif content_type in FORM_TYPES:
            for name, value in (await request.form()).multi_items():
                if isinstance(value, str):
                    parameters.setdefault(name, []).append(value)
        else:
            raise SparqlRefused(415, "Skicka frågan som application/sparql-query eller som formulärfältet 'query' "
                                     "(application/x-www-form-urlencoded).")
    if "update" in parameters:
        raise _UPDATE_REFUSED
    queries = parameters.get("query", [])
    if len(queries) > 1:
        raise SparqlRefused(400, "Parametern 'query' får bara anges en gång.")
    return (queries[0] if queries else ""), parameters


def _formats(request: Request, parameters: dict[str, list[str]] | None = None) -> list[str]:
    explicit = (parameters or {}).get("format") or request.query_params.getlist("format")
    if explicit:
        if explicit[0].lower() not in FORMAT_PARAMETER:
            raise SparqlRefused(400, f"Okänt format i parametern 'format'; välj bland {', '.join(FORMAT_PARAMETER)}.")
        return FORMAT_PARAMETER[explicit[0].lower()]
    names = list(dict.fromkeys(OFFERS[media] for media in acceptable(request.headers.get("accept"), list(OFFERS))))
    if not names:
        raise SparqlRefused(406, f"Ingen av de begärda medietyperna (Accept) kan levereras; välj bland {', '.join(OFFERS)}.")
    return names


def _run(request: Request, query: str, formats: list[str], dataset=None) -> Response:
    try:
        result = run_query(store_of(request), query, formats, dataset=dataset, base_iri=_endpoint(request))
    except SparqlRefused as exc:
        return _refusal(exc)
    return Response(result.body, media_type=result.media_type, headers={"Vary": "Accept", **result.headers})


def _endpoint(request: Request) -> str:
    return str(request.url.replace(query="", fragment=""))


def _refusal(exc: SparqlRefused) -> JSONResponse:
    return JSONResponse({"fel": exc.message}, status_code=exc.status, headers=exc.headers)


SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = rdflib.Namespace("http://www.w3.org/ns/formats/")
_FORMAT_IRIS = ["SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                "Turtle", "N-Triples", "JSON-LD", "RDF_XML"]


def service_description(request: Request) -> Response:
    """What the endpoint is and offers (SPARQL 1.1 Service Description), limits included."""
    offered = acceptable(request.headers.get("accept"), list(DESCRIPTION_TYPES))
    if not offered:
        return _refusal(SparqlRefused(406, f"Tjänstebeskrivningen finns som {', '.join(DESCRIPTION_TYPES)}."))
    endpoint = rdflib.URIRef(_endpoint(request))
    graph = rdflib.Graph()
    graph.bind("sd", SD)
    graph.bind("format", FORMATS)
    service = endpoint
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, endpoint))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))  # the default graph is the union of the named graphs
    for name in _FORMAT_IRIS:
        graph.add((service, SD.resultFormat, FORMATS[name]))
    dataset, default_graph = rdflib.BNode(), rdflib.BNode()
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    graph.add((dataset, SD.defaultGraph, default_graph))
    graph.add((default_graph, RDF.type, SD.Graph))
    graph.add((service, DCTERMS.title, rdflib.Literal("Ansvarsgrafens SPARQL-slutpunkt (skrivskyddad)", lang="sv")))
    graph.add((service, RDFS.comment, rdflib.Literal(
        f"Endast läsfrågor (SELECT, ASK, CONSTRUCT, DESCRIBE) mot grafens egna data: standardgrafen är unionen av "
        f"alla grafer (en per källfil); default-graph-uri och named-graph-uri väljer bland dem. Inte tillåtet: "
        f"uppdateringar, SERVICE, LOAD och FROM/FROM NAMED. Gränser: {DEFAULT_TIMEOUT_S:g} "
        f"sekunder per fråga, högst {DEFAULT_MAX_ROWS} rader eller tripler i svaret (fler ger ett fel, aldrig ett "
        f"avkortat svar), högst {MAX_WORKERS} frågor åt gången per serverprocess (fler får 503 med Retry-After).",
        lang="sv")))
    media_type = offered[0]
    return Response(graph.serialize(format=DESCRIPTION_TYPES[media_type], encoding="utf-8"), media_type=media_type,
                    headers={"Vary": "Accept"})


@router.get("/api/fragor", summary="Namngivna SPARQL-frågor")
def named_queries():
    return [{"namn": q.name, "beskrivning": q.description, "kraver_parametrar": q.needs_bindings, "text": q.text}
            for q in all_queries().values()]


@router.get("/api/fragor/{name}", summary="Kör en namngiven fråga")
def run_named(name: str, request: Request):
    named = all_queries().get(name)
    if named is None:
        # The unknown name is not echoed: it is the caller's text, and may hold anything.
        return JSONResponse({"fel": "Det finns ingen namngiven fråga med det namnet; se /api/fragor."}, status_code=404)
    if named.needs_bindings:
        return JSONResponse({"fel": f"Frågan '{name}' används av svarsmotorn och kräver parametrar; den kan inte köras fristående."}, status_code=400)
    try:
        return _run(request, named.text, _formats(request))
    except SparqlRefused as exc:
        return _refusal(exc)
