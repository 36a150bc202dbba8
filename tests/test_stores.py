"""One store interface, several engines: the embedded store and real SPARQL servers on
loopback (the Oxigraph server, Virtuoso Open Source) give the same answers, gap reports and
API responses, in the same order, and publishing to a server gives one graph per file."""

import datetime as dt
import json
import textwrap

import pytest

import rdflib
from fastapi.testclient import TestClient

from ansvarsgraf.answering import answer_question
from ansvarsgraf.cli import main
from ansvarsgraf.dataset import graph_name
from ansvarsgraf.gaps import analyse
from ansvarsgraf.paths import display_path
from ansvarsgraf.publish import file_of
from ansvarsgraf.queries import query_text
from ansvarsgraf.remote_store import SparqlEndpointStore, _duration, type_non_ascii_strings
from ansvarsgraf.web.app import create_app

ID = "https://w3id.org/ansvarsgraf/id/"

QUESTIONS = [
    ("vem ska kalla till SIP när skolan är orolig", "Timrå", "2026-03-01"),
    ("vem erbjuder möte efter en orosanmälan", "Perstorp", "2024-05-01"),
    ("vem tar emot avvikelser i lotsmodellen", "Perstorp", "2026-03-01"),
    ("vilka parter har undertecknat Ramöverenskommelsen", "Höör", "2026-03-01"),
    ("vem kontaktar skolan när ett barn placeras", "Leksand", "2026-03-01"),
]


@pytest.fixture(scope="module")
def remote(oxigraph_endpoints):
    return SparqlEndpointStore(oxigraph_endpoints["query"], oxigraph_endpoints["update"])


@pytest.fixture(scope="module")
def virtuoso(virtuoso_endpoints):
    return SparqlEndpointStore(virtuoso_endpoints["query"])


@pytest.fixture(params=["oxigraph-server", "virtuoso"])
def server(request):
    return request.getfixturevalue({"oxigraph-server": "remote", "virtuoso": "virtuoso"}[request.param])


@pytest.mark.parametrize("question,kommun,date", QUESTIONS)
def test_same_answer_from_embedded_and_server(embedded, server, question, kommun, date):
    on_date = dt.date.fromisoformat(date)
    assert answer_question(embedded, question, kommun, on_date).as_dict() == answer_question(server, question, kommun, on_date).as_dict()


@pytest.mark.parametrize("kommun", ["timra-kommun", "perstorp-kommun", "leksand-kommun", "hoor-kommun", "trelleborg-kommun"])
def test_same_gap_report_from_embedded_and_server(embedded, server, kommun):
    on_date = dt.date(2026, 3, 1)
    expected = analyse(embedded, ID + kommun, on_date).as_dict()
    got = analyse(server, ID + kommun, on_date).as_dict()
    # Virtuoso differed here in about one full run of seven (from the rule
    # lagstadgad-uppgift-utan-lokal-barare on: gaps that do not exist, and the same gap with
    # other content), never when run alone, nor in 15 fresh Virtuosos x 3 reports under load.
    # Two causes fit, and which one it was is not known:
    # - a port taken by another worker's server (one loaded with the gap-rule fixtures), whose
    #   answers the start-up check took for this Virtuoso's: shown and fixed on 2026-12-06
    #   (test_test_servers.py);
    # - Virtuoso 7.2.5's own error with this rule as written (test_gap_rules: extra rows on the
    #   fixtures), if its plan for the specialised rule sometimes takes the same wrong turn.
    # The message names the gaps that differ and the triples each store holds, so that the
    # next time tells the two apart (more triples on the server: the first).
    assert expected["gaps"] and got == expected, f"{_gap_difference(got, expected)}; triples: {_size(server)} on the server, {_size(embedded)} embedded"


def _size(store) -> int:
    return int(store.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"])


def _gap_difference(got: dict, expected: dict) -> str:
    def keyed(report):
        return {json.dumps(g, sort_keys=True, ensure_ascii=False): g for g in report["gaps"]}
    have, want = keyed(got), keyed(expected)
    def name(g):
        return f"{g['kind']}: {(g.get('focus') or {}).get('label')} ({(g.get('focus') or {}).get('iri')})"
    extra = sorted(name(have[k]) for k in have.keys() - want.keys())
    missing = sorted(name(want[k]) for k in want.keys() - have.keys())
    order = "" if extra or missing else " (same gaps, other order)"
    return f"extra: {extra}; missing: {missing}{order}; other keys differ: {got.keys() ^ expected.keys() or ''}"


API_PATHS = [
    "/api/kommuner", "/api/uppgifter?q=sip", "/api/dokument", "/api/aktorer", "/api/bestammelser",
    "/api/answer?uppgift=aterkoppla-till-anmalare&kommun=perstorp-kommun&datum=2025-06-01",
    "/api/graf?nod=timra-kommun&kommun=timra-kommun&datum=2026-03-01",
    "/api/graf?nod=mittbus-2013&nod=timra-socialnamnden&datum=2026-03-01",
    "/api/kedja?uppgift=hantera-avvikelse&kommun=perstorp-kommun&datum=2026-03-01",
    "/api/graf?nod=kalla-timra-2020-s1&nod=kalla-perstorp-2022-s1",  # labels told apart (grafsammanhang)
    "/utforska/jamfor?uppgift=kalla-till-sip&kommun=timra-kommun&kommun2=perstorp-kommun&datum=2026-03-01",
    "/api/fragor/forum-per-kommun", "/api/fragor/ataganden-pa-befattningar", "/api/fragor/rekommendationer-utan-svar",
    "/svar?uppgift=kalla-till-sip&kommun=timra-kommun&datum=2026-03-01",
    "/utforska/scenario/scenario-skolan-orolig?kommun=timra-kommun&datum=2026-03-01",
    "/id/mittbus-2013", "/lagrum/2025:400/K19P6",
]


@pytest.fixture(scope="module")
def clients(embedded, remote, virtuoso):
    return {name: TestClient(create_app(s)) for name, s in
            {"inbyggd": embedded, "oxigraph-server": remote, "virtuoso": virtuoso}.items()}


@pytest.mark.parametrize("path", API_PATHS)
def test_same_http_response_from_every_store(clients, path):
    """Byte for byte: the same JSON and pages, lists in the same order."""
    responses = {name: client.get(path) for name, client in clients.items()}
    expected = responses.pop("inbyggd")
    assert expected.status_code == 200, expected.text[:600]
    for name, response in responses.items():
        assert (response.status_code, response.text) == (expected.status_code, expected.text), name


def test_duties_on_posts_name_the_municipality_each_post_belongs_to(loaded, store):
    """ataganden-pa-befattningar on every store: each post that bears a duty, with the
    municipality its unit belongs to (through any number of levels) and with none where
    its organisation reaches no municipality; read here straight from the loaded graph."""
    from rdflib.namespace import RDF, SKOS

    from ansvarsgraf.vocabulary import AG, ORG

    graph = loaded.merged(with_ontology=True)

    def swedish(node):
        return [str(n) for n in graph.objects(node, SKOS.prefLabel) if getattr(n, "language", None) == "sv"]

    expected = set()
    for post in {b for d in graph.subjects(RDF.type, AG.Duty) for b in graph.objects(d, AG.bearer)
                 if (b, RDF.type, AG.Post) in graph}:
        reached = {m for unit in graph.objects(post, ORG.postIn) for m in graph.transitive_objects(unit, ORG.subOrganizationOf)
                   if (m, RDF.type, AG.Municipality) in graph}
        expected |= {(name, str(post)) for m in reached for name in swedish(m)} or {(None, str(post))}
    rows = store.select(query_text("ataganden-pa-befattningar"))
    got = {(str(r["kommunnamn"]) if r["kommunnamn"] is not None else None, str(r["befattning"])) for r in rows}
    assert got == expected and any(name for name, _ in got)


# Named queries that take a list (their `Bind:` says "en eller flera"), with real values.
NODES = [ID + n for n in ("mittbus-2013", "timra-socialnamnden", "hantera-avvikelse", "trelleborg-socialnamnden")]
LIST_BINDINGS = {
    "beskriv": {"nod": NODES}, "grafnoder": {"nod": NODES}, "grannar": {"nod": NODES},
    "grafomfang": {"nod": NODES}, "iakttagelser": {"nod": NODES},
    "grafsammanhang": {"nod": NODES + [ID + "kalla-timra-2020-s1", ID + "kalla-perstorp-2022-s1"]},
    "lagrum-kedja": {"citerad": ["https://lagen.nu/2025:400#K19P5", "https://lagen.nu/2025:400#K19P6", "https://lagen.nu/2001:453#K14P1a"]},
    "lydelser": {"bestammelse": ["https://lagen.nu/2025:400#K19P1", "https://lagen.nu/2025:400#K19P6"]},
    "organisationsvag": {"aktor": [ID + "timra-rektor", ID + "trelleborg-narmaste-chef", ID + "timra-mottagningsenheten"]},
    "roll-i-kommun": {"roll": [ID + "roll-socialnamnden", ID + "roll-huvudman-skola", ID + "roll-regionen"], "kommun": ID + "timra-kommun"},
}


@pytest.mark.parametrize("name", sorted(LIST_BINDINGS))
def test_a_list_binding_is_the_union_of_its_values(store, name):
    """How a store binds a list must not change the answer (Virtuoso errs with some forms)."""
    def terms(value):
        return [rdflib.URIRef(v) for v in value] if isinstance(value, list) else rdflib.URIRef(value)

    bindings = {k: terms(v) for k, v in LIST_BINDINGS[name].items()}
    listed = next(k for k, v in bindings.items() if isinstance(v, list))
    as_set = lambda rows: {tuple(sorted((k, v.n3() if v is not None else "") for k, v in r.items())) for r in rows}  # noqa: E731
    together = as_set(store.select(query_text(name), bindings))
    one_by_one = set().union(*(as_set(store.select(query_text(name), {**bindings, listed: value})) for value in bindings[listed]))
    assert together and together == one_by_one


def test_durations_that_virtuoso_keeps_as_numbers_read_as_durations():
    # Virtuoso 7.2.5 stores months for year-month durations and seconds for day-time ones.
    assert [_duration(n) for n in ("12", "18", "4", "604800.0", "1.2096e+06", "183600.0", "1.5", "0.0", "-86400.0")] == \
        ["P1Y", "P1Y6M", "P4M", "P7D", "P14D", "P2DT3H", "PT1.5S", "PT0S", "-P1D"]


def test_only_plain_non_ascii_strings_are_typed():
    query = ("PREFIX a: <http://x/#ö> # ”citat” och 'å'\n"
             'SELECT (GROUP_CONCAT(?x; separator="–") AS ?g) WHERE { ?s a:p "ä", "a", "ä"@sv, "ö"^^a:t, \'\'\'ö"\'\'\' }')
    typed = "^^<http://www.w3.org/2001/XMLSchema#string>"
    assert type_non_ascii_strings(query) == query.replace('"ä", ', f'"ä"{typed}, ').replace("\'\'\'ö\"\'\'\'", f"\'\'\'ö\"\'\'\'{typed}")


@pytest.mark.parametrize("query, typed", [
    ('SELECT ?x { BIND("ö" ^^<http://www.w3.org/2001/XMLSchema#string> AS ?x) }', False),  # space before ^^
    ('SELECT ?x { BIND("ö" @sv AS ?x) }', False),
    ('SELECT ?x { BIND("ö" # en kommentar\n ^^<http://www.w3.org/2001/XMLSchema#string> AS ?x) }', False),
    ('SELECT (GROUP_CONCAT(?x ; SEPARATOR # avgränsare\n = "–") AS ?g) { VALUES ?x { "a" "b" } }', False),
    ('select (group_concat(?x; separator="–") as ?g) { VALUES ?x { "a" "b" } }', False),
    ('SELECT ?x { VALUES ?separator { "ö" } FILTER(?separator = "ö") BIND(?separator AS ?x) }', True),
    ('SELECT ?x { VALUES ?x { "ö" "å"@sv } } # "ä"', True),
])
def test_awkward_strings_are_typed_only_where_plain(embedded, query, typed):
    """The rewrite keeps the query legal and its answer the same (a plain string and an
    xsd:string are one term); a separator, a tagged or a typed literal stays as written."""
    rewritten = type_non_ascii_strings(query)
    assert (rewritten != query) is typed, rewritten
    as_set = lambda rows: {tuple(sorted((k, v.n3() if v is not None else "") for k, v in r.items())) for r in rows}  # noqa: E731
    assert as_set(embedded.select(rewritten)) == as_set(embedded.select(query))


EMPTY = {  # an answer with no rows, from queries whose text mentions other variables than they select
    "aggregat": ("SELECT ?k (COUNT(?d) AS ?antal) WHERE { ?k a <urn:ingen> ; ?p ?d } GROUP BY ?k", ["k", "antal"]),
    "kommentar och gemener": ("# ?hemlig variabel, WHERE {\nselect ?k where { ?k a <urn:ingen> }", ["k"]),
    "frågetecken i en IRI": ("PREFIX q: <https://example.org/sok?term=1>\nSELECT ?k { ?k q:p <urn:ingen> }", ["k"]),
}


@pytest.mark.parametrize("query, selected", EMPTY.values(), ids=EMPTY.keys())
def test_an_empty_answer_names_the_selected_variables_on_every_store(embedded, server, query, selected):
    from ansvarsgraf.sparql_endpoint import run_query

    for store in (embedded, server):
        assert json.loads(run_query(store, query, "json").body)["head"]["vars"] == selected, store


def _current_graph(server, name):
    """The current version's graph of one source file (publish.py)."""
    parts = {file_of(g): g for g in server.current_version().parts}
    return parts[str(graph_name(name))]


def test_one_named_graph_per_source_file(loaded, server):
    expected = {str(graph_name(name)) for name in loaded.files} | {str(graph_name("ontology"))}
    current = server.current_version()
    assert {file_of(g) for g in current.parts} == expected
    if current.union:  # a version of its own (not published in place, as Virtuoso is)
        assert {r["g"] for r in server.select("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")} == \
            {rdflib.URIRef(g) for g in current.parts}  # readers see no other version


def test_every_file_arrives_whole(loaded, server):
    for name, graph in [*loaded.files.items(), ("ontology", loaded.ontology)]:
        count = server.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{_current_graph(server, name)}> {{ ?s ?p ?o }} }}")[0]["n"]
        assert int(count) == len(graph), name


def test_a_comment_never_turns_a_query_into_an_update(embedded, server):
    """A query's comments may use any word: SPARQLWrapper guessed the form from the text and
    read the second line of this header ("laddar", "load") as an update, which the server
    refused (seen with queries/lager/grafstorlek.rq on the Oxigraph server)."""
    header = "# Kommunerna i grafen.\n# Den som laddar data (load) kan lägga till (add) och ta bort.\n# Tredje raden.\n"
    select = header + "PREFIX ag: <https://w3id.org/ansvarsgraf/def#> SELECT ?k WHERE { ?k a ag:Municipality }"
    assert {r["k"] for r in server.select(select)} == {r["k"] for r in embedded.select(select)} != set()
    assert server.ask(header + "ASK { ?s ?p ?o }") is True
    construct = header + "CONSTRUCT { ?k a <urn:kommun> } WHERE { ?k a <https://w3id.org/ansvarsgraf/def#Municipality> }"
    assert len(server.construct(construct)) == len(embedded.construct(construct)) > 10


def test_select_ask_construct_agree(embedded, server):
    query = "PREFIX ag: <https://w3id.org/ansvarsgraf/def#> SELECT ?k ?n WHERE { ?k a ag:Municipality ; <http://www.w3.org/2004/02/skos/core#prefLabel> ?n } ORDER BY ?k ?n"
    # Compared as sets: SPARQL leaves the order of literals with different languages open.
    as_set = lambda rows: {(r["k"], r["n"]) for r in rows}  # noqa: E731
    assert as_set(embedded.select(query)) == as_set(server.select(query))
    ask = "PREFIX ag: <https://w3id.org/ansvarsgraf/def#> ASK WHERE { ?d a ag:Duty }"
    assert embedded.ask(ask) is server.ask(ask) is True
    construct = "CONSTRUCT { ?k a <urn:kommun> } WHERE { ?k a <https://w3id.org/ansvarsgraf/def#Municipality> }"
    assert len(embedded.construct(construct)) == len(server.construct(construct)) > 10


def _write(path, name):
    path.write_text(textwrap.dedent(f"""
        - id: lagringstest-forum
          typ: Forum
          namn: {name}
          källa: kalla-timra-2020
        """).lstrip(), encoding="utf-8")


def _names_in_graph(remote, path):
    remote.version_check_s = 0  # as an API process does after its check interval
    rows = remote.select(f"SELECT ?n WHERE {{ GRAPH <{_current_graph(remote, display_path(path))}> {{ ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?n }} }}")
    return sorted(str(r["n"]) for r in rows)


@pytest.fixture
def reload_endpoints(request, tmp_path, monkeypatch, loaded):
    """Where the reload test publishes. No grace time: this test's reader checks the version
    on every request and no other reader is pinned to what it replaces. The Oxigraph server
    is one of its own (in memory, started in a second; `load` publishes all of data/ with the
    file), so the shared one is neither disturbed nor restored; Virtuoso (slow to start) is
    the shared one, published in place, so nothing another reader holds goes away, and it
    gets the bundled data back straight from the session's loaded data."""
    from sparql_servers import oxigraph_server, publish_loaded, publisher

    monkeypatch.setenv("ANSVARSGRAF_VERSION_GRACE_S", "0")
    if request.param == "oxigraph-server":
        with oxigraph_server(tmp_path) as endpoints:
            yield endpoints
        return
    endpoints = request.getfixturevalue("virtuoso_endpoints")
    yield endpoints
    publish_loaded(endpoints, loaded)  # the other tests see data/ only
    assert not [g for g in publisher(endpoints).graph_names() if "lagringstest" in g]


@pytest.mark.parametrize("reload_endpoints", ["oxigraph-server", "virtuoso"], indirect=True)
def test_reloading_a_file_replaces_its_graph_and_a_broken_file_changes_nothing(reload_endpoints, tmp_path):
    from sparql_servers import load_args

    endpoints = reload_endpoints
    server = SparqlEndpointStore(endpoints["query"])
    data = tmp_path / "lagringstest.yaml"
    args = load_args(endpoints, str(data))
    _write(data, "Första versionen")
    assert main(args) == 0
    assert _names_in_graph(server, data) == ["Första versionen"]
    _write(data, "Andra versionen")
    assert main(args) == 0
    assert _names_in_graph(server, data) == ["Andra versionen"]
    data.write_text("- id: lagringstest-forum\n  typ: Forum\n  namn: [trasig\n", encoding="utf-8")
    assert main(args) == 1
    assert _names_in_graph(server, data) == ["Andra versionen"]
    total = server.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"]
    assert int(total) > 10000  # the rest of the data is untouched


def test_remote_sparql_surface_keeps_its_rules(server):
    from ansvarsgraf.sparql_endpoint import SparqlRefused, run_query

    with pytest.raises(SparqlRefused) as refused:
        run_query(server, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    assert refused.value.status == 403
    with pytest.raises(SparqlRefused) as too_many:
        run_query(server, "SELECT * WHERE { ?s ?p ?o }", max_rows=100)
    assert too_many.value.status == 400
    result = run_query(server, "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/ansvarsgraf/def#Municipality> }", "csv")
    assert result.body.decode().splitlines()[0] == "n"


def test_every_store_offers_the_whole_interface():
    """Callers use the interface (graph_store.GraphStore) without asking what a store can do:
    a store missing a member would fail in the middle of a request, not at start."""
    from ansvarsgraf.embedded_store import OxigraphStore
    from ansvarsgraf.graph_store import GraphStore
    from ansvarsgraf.prepared import PreparedStore

    members = {name for name in vars(GraphStore) if not name.startswith("_")}
    assert {"select", "data_version", "degraded", "reading", "in_this_version", "watch"} <= members
    for kind in (OxigraphStore, PreparedStore, SparqlEndpointStore):
        assert not [name for name in members if not hasattr(kind, name)], kind
    import pyoxigraph

    store = OxigraphStore(pyoxigraph.Store())  # in memory: nothing to pin, watch or fall back from
    assert store.degraded is False and store.in_this_version(len) is len
    with store.reading(budget=True):
        assert store.select("SELECT ?x WHERE { VALUES ?x { 1 } }")[0]["x"].toPython() == 1
