"""Standard SPARQL clients against the real `ansvarsgraf serve` on loopback: rdflib's
SPARQLStore and SPARQLWrapper, in every result format and request method they offer, and
what each shows a user when the answer is over the row limit."""

import csv
import io
import urllib.error

import pytest
import rdflib
from rdflib.plugins.stores.sparqlconnector import SPARQLConnector
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, RDFXML, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed


ID = "https://w3id.org/ansvarsgraf/id/"
AG = "https://w3id.org/ansvarsgraf/def#"
SELECT = f"PREFIX ag: <{AG}> SELECT ?k ?namn WHERE {{ ?k a ag:Municipality ; <http://www.w3.org/2004/02/skos/core#prefLabel> ?namn }} ORDER BY ?k"
CONSTRUCT = f"CONSTRUCT {{ ?k a <urn:kommun> }} WHERE {{ ?k a <{AG}Municipality> }}"
TOO_MANY = "SELECT * WHERE { ?s ?p ?o }"


@pytest.fixture(scope="module")
def endpoint(served):
    # The session's `ansvarsgraf serve` (conftest.served): these tests only read from it.
    return served[0] + "/sparql"


@pytest.fixture(scope="module")
def expected(endpoint):
    """The municipalities, read once in the default format, for every other format to match."""
    wrapper = SPARQLWrapper(endpoint, returnFormat=JSON)
    wrapper.setQuery(SELECT)
    rows = wrapper.query().convert()["results"]["bindings"]
    assert len(rows) >= 15
    return [(r["k"]["value"], r["namn"]["value"]) for r in rows]


@pytest.mark.parametrize("method", ["GET", POST])
@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_sparqlwrapper_select_in_every_result_format(endpoint, expected, fmt, method):
    wrapper = SPARQLWrapper(endpoint, returnFormat=fmt)
    wrapper.setMethod(method)
    wrapper.setQuery(SELECT)
    converted = wrapper.query().convert()
    if fmt == JSON:
        rows = [(r["k"]["value"], r["namn"]["value"]) for r in converted["results"]["bindings"]]
    elif fmt == XML:
        rows = []
        for result in converted.getElementsByTagName("result"):
            values = {b.getAttribute("name"): b.firstChild.firstChild.data for b in result.getElementsByTagName("binding")}
            rows.append((values["k"], values["namn"]))
    elif fmt == CSV:
        rows = [tuple(r) for r in list(csv.reader(io.StringIO(converted.decode())))[1:]]
    else:
        parsed = rdflib.query.Result.parse(io.BytesIO(converted), format="tsv")
        rows = [(str(r[0]), str(r[1])) for r in parsed]
    assert rows == expected


@pytest.mark.parametrize("fmt", [JSON, XML])
def test_sparqlwrapper_ask(endpoint, fmt):
    wrapper = SPARQLWrapper(endpoint, returnFormat=fmt)
    wrapper.setQuery(f"ASK {{ <{ID}timra-kommun> a <{AG}Municipality> }}")
    converted = wrapper.query().convert()
    assert (converted["boolean"] if fmt == JSON else converted.getElementsByTagName("boolean")[0].firstChild.data == "true") is True


@pytest.mark.parametrize("fmt", [TURTLE, N3, RDFXML, XML, JSONLD])
def test_sparqlwrapper_construct_in_every_graph_format(endpoint, expected, fmt):
    wrapper = SPARQLWrapper(endpoint, returnFormat=fmt)
    wrapper.setQuery(CONSTRUCT)
    result = wrapper.query()
    graph = result.convert()
    if not isinstance(graph, rdflib.Graph):  # SPARQLWrapper hands Turtle, N3 and JSON-LD over as bytes
        parser = {TURTLE: "turtle", N3: "n3", JSONLD: "json-ld"}[fmt]
        graph = rdflib.Graph().parse(data=graph, format=parser)
    assert {str(s) for s in graph.subjects()} == {k for k, _ in expected}


def test_sparqlwrapper_shows_the_reason_for_a_row_overflow(endpoint):
    wrapper = SPARQLWrapper(endpoint, returnFormat=JSON)
    wrapper.setQuery(TOO_MANY)
    with pytest.raises(QueryBadFormed) as raised:
        wrapper.query()
    assert "fler \\xc3\\xa4n 10000 rader" in str(raised.value)  # the body, as SPARQLWrapper prints it


@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
@pytest.mark.parametrize("return_format", ["json", "xml", "csv", "tsv"])
def test_rdflib_sparqlstore_in_every_result_format_and_method(endpoint, expected, method, return_format):
    graph = rdflib.Graph(SPARQLStore(endpoint, method=method, returnFormat=return_format))
    rows = [(str(r.k), str(r.namn)) for r in graph.query(SELECT)]
    assert rows == expected
    if return_format in ("json", "xml"):  # SPARQL has no CSV or TSV for a boolean (those get 406)
        assert graph.query(f"ASK {{ <{ID}timra-kommun> ?p ?o }}").askAnswer is True
    if return_format == "xml":  # the only setting in which rdflib accepts a graph (RDF/XML)
        constructed = graph.query(CONSTRUCT).graph
        assert {str(s) for s in constructed.subjects()} == {k for k, _ in expected}


def test_rdflib_sparqlstore_reports_a_row_overflow_as_an_error(endpoint):
    """rdflib never shows the body: over GET it raises a ValueError of its own, over POST
    it returns the status line. A 400 reads "Bad Request" there, where 413 read "Request
    Entity Too Large" (about the request, which was fine)."""
    get = rdflib.Graph(SPARQLStore(endpoint, method="GET"))
    with pytest.raises(ValueError):
        get.query(TOO_MANY)
    status, reason, _ = SPARQLConnector(endpoint, method="POST").query(TOO_MANY)  # what SPARQLStore gets
    assert status == 400 and "Bad Request" in reason


def test_plain_urllib_gets_the_swedish_reason(endpoint):
    import urllib.parse
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(endpoint + "?" + urllib.parse.urlencode({"query": TOO_MANY}), timeout=60)
    assert raised.value.code == 400 and "fler än 10000 rader" in raised.value.read().decode()
