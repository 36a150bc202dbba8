"""The SPARQL 1.1 Protocol as a read-only service (issue 13, items 3 and 6), in process:
content negotiation, media types, parameters, the service description, result formats, and
a 4xx with a Swedish message (never a 500 or a grammar dump) for every bad input."""

import csv
import io
import json
import xml.dom.minidom

import pytest
import rdflib
from fastapi.testclient import TestClient
from rdflib.query import Result

from ansvarsgraf.embedded_store import OxigraphStore
from ansvarsgraf.web.app import create_app
from ansvarsgraf.web.negotiation import acceptable

ID = "https://w3id.org/ansvarsgraf/id/"
GRAPH = "https://w3id.org/ansvarsgraf/graph/data/organisations/revisionsbyraer.yaml"  # a small file's graph
SELECT = "PREFIX ag: <https://w3id.org/ansvarsgraf/def#> SELECT ?k WHERE { ?k a ag:Municipality } ORDER BY ?k"
CONSTRUCT = "CONSTRUCT { ?k a <urn:kommun> } WHERE { ?k a <https://w3id.org/ansvarsgraf/def#Municipality> }"


@pytest.fixture(scope="module")
def client(loaded):
    return TestClient(create_app(OxigraphStore.from_loaded(loaded)))


def _type(response) -> str:
    return response.headers["content-type"].split(";")[0]


# --- the negotiation helper ---------------------------------------------------------------

OFFERS = ["application/sparql-results+json", "text/turtle", "text/csv", "text/tab-separated-values"]


@pytest.mark.parametrize("accept,expected", [
    (None, OFFERS),
    ("", OFFERS),
    ("text/tab-separated-values", ["text/tab-separated-values"]),
    ("Text/CSV", ["text/csv"]),  # media types are case-insensitive
    ("*/*;q=0.1, text/csv", ["text/csv", "application/sparql-results+json", "text/turtle", "text/tab-separated-values"]),
    ("text/*;q=0.5, text/csv;q=0", ["text/turtle", "text/tab-separated-values"]),  # the specific range decides
    ("text/csv;q=0.4, text/turtle;q=0.8", ["text/turtle", "text/csv"]),
    ("image/png", []),
    ("not a media type", OFFERS),  # a malformed header is ignored, as RFC 9110 allows
])
def test_acceptable_follows_q_values_wildcards_and_specificity(accept, expected):
    assert acceptable(accept, OFFERS) == expected


# --- /sparql: formats -----------------------------------------------------------------------

def test_tsv_is_honoured_over_get_and_direct_post(client):
    accept = {"Accept": "text/tab-separated-values"}
    over_get = client.get("/sparql", params={"query": SELECT}, headers=accept)
    direct = client.post("/sparql", content=SELECT, headers={"Content-Type": "application/sparql-query", **accept})
    for response in (over_get, direct):
        assert _type(response) == "text/tab-separated-values"
        assert response.text.splitlines()[0] == "?k" and f"<{ID}timra-kommun>" in response.text


def test_q_values_choose_the_format_and_nothing_acceptable_is_406(client):
    preferred = client.get("/sparql", params={"query": SELECT},
                           headers={"Accept": "text/csv;q=0.5, application/sparql-results+xml"})
    assert _type(preferred) == "application/sparql-results+xml"
    assert _type(client.get("/sparql", params={"query": CONSTRUCT}, headers={"Accept": "application/ld+json"})) == "application/ld+json"
    refused = client.get("/sparql", params={"query": SELECT}, headers={"Accept": "image/png"})
    assert refused.status_code == 406 and "Accept" in refused.json()["fel"]
    ask_as_csv = client.get("/sparql", params={"query": "ASK {}"}, headers={"Accept": "text/csv"})
    assert ask_as_csv.status_code == 406  # SPARQL defines no CSV for a boolean
    not_csv = client.get("/sparql", params={"query": SELECT}, headers={"Accept": "text/csv;q=0, */*;q=0.1"})
    assert _type(not_csv) == "application/sparql-results+json"


def test_every_graph_format_parses(client):
    for media_type, parser in [("text/turtle", "turtle"), ("application/n-triples", "nt"),
                               ("application/ld+json", "json-ld"), ("application/rdf+xml", "xml")]:
        response = client.get("/sparql", params={"query": CONSTRUCT}, headers={"Accept": media_type})
        assert _type(response) == media_type
        assert len(rdflib.Graph().parse(data=response.text, format=parser)) >= 15


def test_tabs_and_newlines_in_literals_are_escaped_in_tsv_and_csv(client):
    query = 'SELECT ?x ?y WHERE { BIND("a\\tb\\nc \\"d\\" \\\\" AS ?x) BIND(<urn:e> AS ?y) }'
    tsv = client.get("/sparql", params={"query": query}, headers={"Accept": "text/tab-separated-values"})
    lines = tsv.text.split("\n")
    assert lines[0] == "?x\t?y" and lines[1].count("\t") == 1 and lines[2] == ""
    parsed = Result.parse(io.BytesIO(tsv.content), format="tsv")
    assert [str(r[0]) for r in parsed] == ['a\tb\nc "d" \\']
    rows = list(csv.reader(io.StringIO(client.get("/sparql", params={"query": query}, headers={"Accept": "text/csv"}).text)))
    assert rows == [["x", "y"], ['a\tb\nc "d" \\', "urn:e"]]


def test_xml_results_are_well_formed_or_refused(client):
    markup = client.get("/sparql", params={"query": 'SELECT ?x WHERE { BIND("<&>\\"]]>" AS ?x) }'},
                        headers={"Accept": "application/sparql-results+xml"})
    document = xml.dom.minidom.parseString(markup.content)
    assert document.getElementsByTagName("literal")[0].firstChild.data == '<&>"]]>'
    control = client.get("/sparql", params={"query": 'SELECT ?x WHERE { BIND("a\\u0001b" AS ?x) }'},
                         headers={"Accept": "application/sparql-results+xml"})
    assert control.status_code == 406 and "XML" in control.json()["fel"]  # XML 1.0 cannot carry U+0001
    assert control.json()["fel"] == ("Svaret innehåller kontrolltecken som inte kan skrivas i XML; "  # why, and
                                     "begär application/sparql-results+json i stället.")  # what to do instead
    assert client.get("/sparql", params={"query": 'SELECT ?x WHERE { BIND("a\\u0001b" AS ?x) }'}).status_code == 200


# --- /sparql: the request -------------------------------------------------------------------

def test_content_type_is_case_insensitive_and_may_carry_a_charset(client):
    for content_type in ("Application/SPARQL-Query", "application/sparql-query; charset=UTF-8"):
        response = client.post("/sparql", content=SELECT, headers={"Content-Type": content_type})
        assert response.status_code == 200, response.text
    form = client.post("/sparql", content=f"query={SELECT}", headers={"Content-Type": "Application/X-WWW-Form-Urlencoded"})
    assert form.status_code == 200


@pytest.mark.parametrize("kwargs", [
    {"method": "GET", "url": "/sparql?query=ASK%7B%7D&query=ASK%7B%7D"},
    {"method": "POST", "url": "/sparql", "data": {"query": ["ASK {}", "ASK {}"]}},
    {"method": "POST", "url": "/sparql?query=ASK%7B%7D", "content": "ASK {}", "headers": {"Content-Type": "application/sparql-query"}},
])
def test_a_second_query_is_400(client, kwargs):
    response = client.request(**kwargs)
    assert response.status_code == 400 and "en gång" in response.json()["fel"]


def test_a_query_of_the_longest_length_runs_and_one_character_more_is_413(client):
    from ansvarsgraf.sparql_endpoint import MAX_QUERY_CHARS

    head = "ASK { ?s ?p ?o } # "
    longest = head + "x" * (MAX_QUERY_CHARS - len(head))
    assert client.post("/sparql", data={"query": longest}).status_code == 200
    response = client.post("/sparql", data={"query": longest + "x"})
    assert response.status_code == 413 and str(MAX_QUERY_CHARS) in response.json()["fel"]


def test_a_blank_query_is_400_saying_it_is_empty(client):
    response = client.post("/sparql", data={"query": " \n\t "})
    assert response.status_code == 400 and "tom" in response.json()["fel"]


def test_dataset_parameters_select_the_stores_own_graphs(client):
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    in_graph = client.get("/sparql", params={"query": count, "default-graph-uri": GRAPH}).json()
    # exactly that graph's triples, as the query names it with GRAPH (the file's count changes with the data)
    own = client.get("/sparql", params={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}"}).json()
    n = own["results"]["bindings"][0]["n"]["value"]
    assert 0 < int(n) < 1000 and in_graph["results"]["bindings"][0]["n"]["value"] == n
    nowhere = client.get("/sparql", params={"query": count, "default-graph-uri": "http://127.0.0.1:9/x"}).json()
    assert nowhere["results"]["bindings"][0]["n"]["value"] == "0"  # a graph the store lacks is empty, never fetched
    named = client.post("/sparql", data={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", "named-graph-uri": GRAPH})
    assert [b["g"]["value"] for b in named.json()["results"]["bindings"]] == [GRAPH]
    not_an_iri = client.post("/sparql", data={"query": count, "default-graph-uri": "inte en iri"})
    assert not_an_iri.status_code == 400 and "absoluta IRI" in not_an_iri.json()["fel"]
    everything = client.get("/sparql", params={"query": count}).json()
    assert int(everything["results"]["bindings"][0]["n"]["value"]) > 10_000  # without them: every graph


def test_other_methods_are_405_with_the_right_allow_header(client):
    for method in ("PUT", "DELETE", "PATCH", "OPTIONS"):
        response = client.request(method, "/sparql?query=ASK%7B%7D")
        assert response.status_code == 405 and response.headers["allow"] == "GET, HEAD, POST"


def test_head_answers_as_get_does(client):
    """The Allow header names HEAD; it was answered 405 with "Allow: GET" (issue 13, item 8)."""
    for params, media_type in (({"query": SELECT}, "text/csv"), ({}, "text/turtle")):  # a query; the description
        head = client.head("/sparql", params=params, headers={"Accept": media_type})
        get = client.get("/sparql", params=params, headers={"Accept": media_type})
        assert head.status_code == get.status_code == 200 and _type(head) == _type(get) == media_type
    refused = client.head("/sparql", params={"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"})
    assert refused.status_code == 403


@pytest.mark.parametrize("accept,parser", [(None, "turtle"), ("text/turtle", "turtle"),
                                            ("application/ld+json", "json-ld"), ("application/rdf+xml", "xml")])
def test_service_description_at_the_endpoint(client, accept, parser):
    response = client.get("/sparql", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    graph = rdflib.Graph().parse(data=response.text, format=parser)
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    service = graph.value(None, rdflib.RDF.type, sd.Service)
    assert str(graph.value(service, sd.endpoint)).endswith("/sparql")
    assert (service, sd.supportedLanguage, sd.SPARQL11Query) in graph
    assert (service, sd.resultFormat, rdflib.URIRef("http://www.w3.org/ns/formats/SPARQL_Results_TSV")) in graph
    comment = str(graph.value(service, rdflib.RDFS.comment))
    assert "10 sekunder" in comment and "10000 rader" in comment and "SERVICE" in comment


def test_service_description_in_an_unoffered_type_is_406(client):
    assert client.get("/sparql", headers={"Accept": "image/png"}).status_code == 406


# --- /sparql: never a 500 ----------------------------------------------------------------

@pytest.mark.parametrize("query,statuses", [
    ('SELECT * WHERE { ?s ?p "\\u00110000" }', {200}),  # U+0011 then "0000", as the spec reads it
    ('SELECT * WHERE { ?s ?p "\\U00110000" }', {400}),  # beyond Unicode
    ("SELECT * WHERE {" + " ".join(f"?s{i} ?p ?o ." for i in range(90)) + "} LIMIT 1", {200}),
    ("SELECT * WHERE " + "{" * 3000 + "}" * 3000, {400}),
    ("SELECT * WHERE { ?s ?p ?o FILTER(<urn:ingen-funktion>(?o)) }", {400}),
    ("SELECT * WHERE { ?s ?p ?o } GROUP BY", {400}),
    ("ASK { <relativ> ?p ?o }", {200}),
])
def test_awkward_queries_never_get_a_500_or_a_grammar_dump(client, query, statuses):
    response = client.get("/sparql", params={"query": query})
    assert response.status_code in statuses, response.text
    if response.status_code >= 400:
        message = response.json()["fel"]
        assert message and len(message) < 300
        assert not any(word in message for word in ("Expected", "expected", "ParseException", "{{", "Traceback"))


def test_a_query_nested_too_deep_to_read_is_400_saying_so(client):
    response = client.get("/sparql", params={"query": "SELECT * WHERE " + "{" * 3000 + "}" * 3000})
    assert response.status_code == 400 and "nästlad" in response.json()["fel"]


def test_engine_errors_give_the_place_not_the_grammar(client):
    response = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o . FILTER(?o = ) }"})
    assert response.status_code == 400
    assert "rad 1" in response.json()["fel"]


def test_an_engine_error_without_a_place_is_one_plain_sentence():
    """An engine error that names no line and column gets the same sentence without a place."""
    from ansvarsgraf.sparql_endpoint import _engine_error

    status, message, _ = _engine_error(RuntimeError("evaluation failed"))
    assert status == 400 and message == "Frågan kunde inte köras av sökmotorn. Kontrollera syntax och funktioner."


# --- linked data: the same negotiation ------------------------------------------------------

@pytest.mark.parametrize("accept,media_type", [
    (None, "text/html"), ("*/*", "text/html"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
    ("text/turtle", "text/turtle"), ("Text/Turtle", "text/turtle"),
    ("text/html;q=0.1, text/turtle;q=0.9", "text/turtle"),
    ("application/ld+json, text/turtle;q=0.5", "application/ld+json"),
])
def test_linked_data_pages_negotiate_with_q_values(client, accept, media_type):
    response = client.get("/id/timra-kommun", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200 and _type(response) == media_type
    assert response.headers["vary"] == "Accept"


def test_linked_data_in_an_unoffered_type_is_406(client):
    for path in ("/id/timra-kommun", "/def"):
        assert client.get(path, headers={"Accept": "application/json"}).status_code == 406


def test_named_queries_negotiate_too(client):
    response = client.get("/api/fragor/overenskommelser", headers={"Accept": "text/csv"})
    assert _type(response) == "text/csv" and response.text.startswith("dokument")
    assert json.loads(client.get("/api/fragor/overenskommelser").text)["results"]["bindings"]


def test_openapi_documents_every_status_and_parameter_of_the_endpoint(client):
    spec = client.get("/openapi.json").json()["paths"]["/sparql"]
    for method in ("get", "post"):
        assert {"200", "400", "403", "406", "413", "415", "503"} <= set(spec[method]["responses"])
    assert {p["name"] for p in spec["get"]["parameters"]} == {"query", "default-graph-uri", "named-graph-uri", "format"}
    assert set(spec["post"]["requestBody"]["content"]) == {"application/sparql-query", "application/x-www-form-urlencoded"}


# --- a remote store: /sparql passes the query on to a SPARQL server ----------------------

class _MiniSparqlServer:
    """A SPARQL 1.1 Protocol server on 127.0.0.1 over a small Oxigraph store, in this
    process (so that the endpoint's remote path runs here, without the suite's servers): it
    answers POSTed queries in JSON (SELECT, ASK) or Turtle (CONSTRUCT, DESCRIBE), or every
    query with `failure` (status, body) when given."""

    def __init__(self, turtle: str, failure: tuple[int, str] | None = None):
        import http.server
        import threading
        import urllib.parse

        import pyoxigraph as ox

        store = ox.Store()
        store.load(turtle.encode(), ox.RdfFormat.TURTLE)

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                fields = urllib.parse.parse_qs(body) if "form" in self.headers["Content-Type"] else {"query": [body]}
                if failure:  # (status, body): the server refuses, as e.g. at its own time limit
                    self.send_response(failure[0])
                    self.send_header("Content-Length", str(len(failure[1].encode())))
                    self.end_headers()
                    self.wfile.write(failure[1].encode())
                    return
                result = store.query(fields["query"][0])
                if isinstance(result, ox.QueryTriples):
                    payload, kind = result.serialize(format=ox.RdfFormat.TURTLE), "text/turtle"
                else:
                    payload, kind = result.serialize(format=ox.QueryResultsFormat.JSON), "application/sparql-results+json"
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sparql"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def remote_sparql():
    server = _MiniSparqlServer("<urn:a> <urn:p> <urn:b> , <urn:c> . <urn:b> <urn:p> <urn:c> .")
    yield server
    server.close()


def test_a_remote_store_answers_every_query_form_in_the_asked_format(remote_sparql):
    """With the graph on a SPARQL server, /sparql gives what it gives on the embedded store:
    DESCRIBE and CONSTRUCT as a graph, SELECT rows in the format asked for, and the row limit
    refuses an answer that is too long instead of cutting it."""
    from ansvarsgraf.remote_store import SparqlEndpointStore
    from ansvarsgraf.sparql_endpoint import SparqlRefused, run_query

    remote = SparqlEndpointStore(remote_sparql.url)
    described = rdflib.Graph().parse(data=run_query(remote, "DESCRIBE <urn:a>", "turtle").body, format="turtle")
    assert set(described.objects(rdflib.URIRef("urn:a"), rdflib.URIRef("urn:p"))) == {rdflib.URIRef("urn:b"), rdflib.URIRef("urn:c")}
    rows = run_query(remote, "SELECT ?o WHERE { <urn:a> <urn:p> ?o } ORDER BY ?o", "csv")
    assert rows.media_type.startswith("text/csv") and rows.body.decode().split() == ["o", "urn:b", "urn:c"]
    with pytest.raises(SparqlRefused) as refused:
        run_query(remote, "SELECT ?s ?o WHERE { ?s <urn:p> ?o }", "json", max_rows=2)
    assert refused.value.status == 400 and "fler än 2 rader" in refused.value.message


def test_a_remote_store_that_is_down_is_a_503_with_retry_after():
    """A client told 503 is told when to try again (Retry-After), as by the embedded store."""
    from server import free_port

    from ansvarsgraf.remote_store import SparqlEndpointStore
    from ansvarsgraf.sparql_endpoint import SparqlRefused, run_query

    with pytest.raises(SparqlRefused) as refused:
        run_query(SparqlEndpointStore(f"http://127.0.0.1:{free_port()}/sparql"), "SELECT * WHERE { ?s ?p ?o }")
    assert refused.value.status == 503 and int(refused.value.headers["Retry-After"]) >= 1


def test_a_query_the_remote_server_stopped_at_its_own_time_limit_is_said_to_have_taken_too_long():
    """Virtuoso stops a query at its own limit and answers 500 "SR171: Transaction timed out":
    the user is told their query took too long (and can narrow it), not that the store is down."""
    from ansvarsgraf.remote_store import SparqlEndpointStore
    from ansvarsgraf.sparql_endpoint import SparqlRefused, run_query

    server = _MiniSparqlServer("", failure=(500, "Virtuoso S1T00 Error SR171: Transaction timed out"))
    try:
        with pytest.raises(SparqlRefused) as refused:
            run_query(SparqlEndpointStore(server.url), "SELECT * WHERE { ?s ?p ?o }", timeout_s=5)
    finally:
        server.close()
    assert refused.value.status == 503
    assert refused.value.message == "Frågan tog längre tid än 5 sekunder och avbröts."


def test_dataset_parameters_on_a_remote_store_are_refused_saying_why(remote_sparql):
    """default-graph-uri / named-graph-uri name the store's own graphs, which only the
    embedded store can pick without fetching anything: elsewhere a 403 that names them."""
    from ansvarsgraf.remote_store import SparqlEndpointStore
    from ansvarsgraf.sparql_endpoint import SparqlRefused, run_query

    with pytest.raises(SparqlRefused) as refused:
        run_query(SparqlEndpointStore(remote_sparql.url), "SELECT * WHERE { ?s ?p ?o }", dataset=([GRAPH], []))
    assert refused.value.status == 403
    assert refused.value.message == "default-graph-uri och named-graph-uri stöds bara med det inbyggda lagret."


def test_a_query_beyond_the_running_ones_is_a_503_with_retry_after(embedded):
    """With MAX_WORKERS queries running, one more is told to come back later (503 and
    Retry-After), not queued or failed with a 500. The running ones are stood for by taking
    their places in the endpoint's pool."""
    from ansvarsgraf import sparql_endpoint
    from ansvarsgraf.sparql_endpoint import MAX_WORKERS, RETRY_AFTER_S, SparqlRefused, run_query

    taken = 0
    try:
        while taken < MAX_WORKERS and sparql_endpoint._workers.acquire(blocking=False):
            taken += 1
        assert taken == MAX_WORKERS
        with pytest.raises(SparqlRefused) as refused:
            run_query(embedded, "ASK { ?s ?p ?o }")
    finally:
        for _ in range(taken):
            sparql_endpoint._workers.release()
    assert refused.value.status == 503 and refused.value.headers == {"Retry-After": str(RETRY_AFTER_S)}
    assert f"kör redan {MAX_WORKERS} frågor" in refused.value.message
    assert json.loads(run_query(embedded, "ASK { ?s ?p ?o }").body)["boolean"] is True  # the places are free again


def test_a_store_that_cannot_be_read_is_a_503_with_retry_after(loaded):
    """A prepared store whose files went away under the server (prepared.py raises
    StoreUnavailable while the query runs) is not the query's fault: 503 with the store's own
    sentence and Retry-After in whole seconds, never the engine's 400."""
    from ansvarsgraf.errors import StoreUnavailable
    from ansvarsgraf.sparql_endpoint import SparqlRefused, run_query

    class FilesGone(OxigraphStore):
        def raw_query(self, *args, **kwargs):
            raise StoreUnavailable("Lagret på disk går inte att läsa just nu.", retry_after_s=2.4)

    gone = FilesGone.from_loaded(loaded)
    with pytest.raises(SparqlRefused) as refused:
        run_query(gone, "SELECT * WHERE { ?s ?p ?o } LIMIT 1")
    assert refused.value.status == 503 and refused.value.message == "Lagret på disk går inte att läsa just nu."
    assert refused.value.headers == {"Retry-After": "2"}


@pytest.mark.parametrize("query", [
    "SELECT ?n WHERE { VALUES ?n { 1 2 3 } }",
    "CONSTRUCT { <urn:s> <urn:p> ?n } WHERE { VALUES ?n { 1 2 3 } }",
])
def test_an_answer_of_exactly_the_row_limit_is_given_whole_and_one_more_is_refused(embedded, query):
    from ansvarsgraf.sparql_endpoint import SparqlRefused, run_query

    whole = run_query(embedded, query, "json" if query.startswith("SELECT") else "turtle", max_rows=3)
    if query.startswith("SELECT"):
        assert len(json.loads(whole.body)["results"]["bindings"]) == 3
    else:
        assert len(rdflib.Graph().parse(data=whole.body, format="turtle")) == 3
    with pytest.raises(SparqlRefused) as refused:
        run_query(embedded, query, max_rows=2)
    assert refused.value.status == 400 and "fler än 2 rader" in refused.value.message


@pytest.mark.parametrize("query, asked, media_type", [
    ("SELECT ?n WHERE { VALUES ?n { 1 } }", "turtle", "application/sparql-results+json"),
    ("CONSTRUCT { <urn:s> <urn:p> 1 } WHERE {}", "csv", "text/turtle"),
])
def test_one_format_the_query_form_lacks_gives_the_forms_default(embedded, query, asked, media_type):
    """`ansvarsgraf query --format` names one format for every query: a SELECT asked for
    Turtle, or a CONSTRUCT asked for CSV, is answered in its own form's default format."""
    from ansvarsgraf.sparql_endpoint import run_query

    assert run_query(embedded, query, asked).media_type.startswith(media_type)


def test_describe_on_the_embedded_store_gives_the_resources_triples(embedded):
    from ansvarsgraf.sparql_endpoint import run_query

    described = rdflib.Graph().parse(data=run_query(embedded, f"DESCRIBE <{ID}timra-kommun>", "turtle").body, format="turtle")
    subject = rdflib.URIRef(ID + "timra-kommun")
    assert (subject, rdflib.RDF.type, rdflib.URIRef("https://w3id.org/ansvarsgraf/def#Municipality")) in described
    assert set(described.subjects()) == {subject}


def test_a_query_over_its_time_limit_is_told_how_to_narrow_it(embedded):
    from ansvarsgraf.sparql_endpoint import SparqlRefused, run_query

    with pytest.raises(SparqlRefused) as refused:
        run_query(embedded, "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", timeout_s=0.5)
    assert refused.value.status == 503
    assert refused.value.message == ("Frågan tog längre tid än 0.5 sekunder och avbröts. "
                                     "Begränsa den, t.ex. med fler villkor eller LIMIT.")
