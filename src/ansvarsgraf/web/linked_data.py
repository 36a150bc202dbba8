"""Every IRI the graph mints dereferences: HTML for a browser, Turtle or JSON-LD by content
negotiation (Accept), or ?format=ttl|jsonld. Provisions, identified by lagen.nu URIs, get
their page under /lagrum/<sfs>/<anchor>."""

import rdflib
from rdflib.namespace import RDFS, SKOS
from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..queries import query_text
from ..vocabulary import AG
from .common import ID_BASE, InputError, node_in_graph, parse_date, store_of
from .negotiation import acceptable
from .pages import render, resource_page

router = APIRouter(include_in_schema=False)
FORMATS = {"ttl": ("turtle", "text/turtle"), "jsonld": ("json-ld", "application/ld+json")}
OFFERS = {"text/html": None, "text/turtle": "ttl", "application/ld+json": "jsonld"}  # HTML first: browsers, no Accept
NOT_ACCEPTABLE = "406"


def _wanted(request: Request) -> str | None:
    """"ttl", "jsonld", None for the HTML page, or NOT_ACCEPTABLE."""
    explicit = request.query_params.get("format")
    if explicit in FORMATS:
        return explicit
    offered = acceptable(request.headers.get("accept"), list(OFFERS))
    return OFFERS[offered[0]] if offered else NOT_ACCEPTABLE


def _not_acceptable(request: Request):
    return render(request, "error.html", status=406, title="Formatet finns inte",
                  message="Noden finns som HTML, Turtle (text/turtle) och JSON-LD (application/ld+json).")


def _serve(request: Request, iri: str):
    fmt = _wanted(request)
    if fmt == NOT_ACCEPTABLE:
        response = _not_acceptable(request)
    elif fmt is None:
        # ?datum=ÅÅÅÅ-MM-DD: the page as of that day (what applied and was written by then);
        # without it, the whole history.
        datum = request.query_params.get("datum")
        try:
            on_date = parse_date(datum) if datum else None
        except InputError as exc:
            return render(request, "error.html", status=exc.status, title="Ogiltigt datum", message=exc.message)
        response = resource_page(request, iri, on_date)
    else:
        graph = store_of(request).construct(query_text("nod-som-rdf"), {"nod": rdflib.URIRef(iri)})
        if not len(graph):
            return render(request, "error.html", status=404, title="Finns inte", message="Det finns ingen sida med den adressen.")
        graph.bind("ag", AG)
        graph.bind("skos", "http://www.w3.org/2004/02/skos/core#")
        rdflib_format, media_type = FORMATS[fmt]
        response = Response(graph.serialize(format=rdflib_format), media_type=media_type)
    response.headers["Vary"] = "Accept"
    return response


@router.get("/id/{path:path}")
def minted(path: str, request: Request):
    return _serve_node(request, ID_BASE + path)


@router.get("/lagrum/{sfs}/{anchor}")
def provision(sfs: str, anchor: str, request: Request):
    return _serve_node(request, f"https://lagen.nu/{sfs}#{anchor}")


def _serve_node(request: Request, iri: str):
    try:
        node_in_graph(iri)
    except InputError as exc:  # /id/%00, /id/<x>: no node, and no query to build from it
        return render(request, "error.html", status=exc.status, title="Finns inte", message=exc.message)
    return _serve(request, iri)


@router.get("/def")
def ontology(request: Request):
    """The ontology itself (ag: terms): Turtle by content negotiation, else a page of terms.
    Every answer varies by Accept, the page and the refusal too, so that no cache serves
    the page to a client that asked for Turtle."""
    response = _ontology(request)
    response.headers["Vary"] = "Accept"
    return response


def _ontology(request: Request):
    fmt = _wanted(request)
    if fmt == NOT_ACCEPTABLE:
        return _not_acceptable(request)
    # The ontology's own IRI is the ag: namespace without its '#' (ontology/ansvarsgraf.ttl).
    graph = store_of(request).construct(query_text("ontologi"), {"ontologi": rdflib.URIRef(str(AG).rstrip("#"))})
    if fmt is not None:
        rdflib_format, media_type = FORMATS[fmt]
        graph.bind("ag", AG)
        return Response(graph.serialize(format=rdflib_format), media_type=media_type)
    terms = []
    for term in sorted({s for s in graph.subjects() if str(s).startswith(AG)}):
        label = next((str(o) for o in graph.objects(term, RDFS.label) if getattr(o, "language", None) == "sv"), None)
        label = label or next((str(o) for o in graph.objects(term, SKOS.prefLabel) if getattr(o, "language", None) == "sv"), "")
        comment = next((str(o) for o in graph.objects(term, RDFS.comment) if getattr(o, "language", None) == "sv"), None)
        comment = comment or next((str(o) for o in graph.objects(term, SKOS.definition) if getattr(o, "language", None) == "sv"), "")
        terms.append({"id": str(term)[len(AG):], "label": label, "comment": comment})
    return render(request, "ontology.html", terms=terms)

