"""One store interface, several engines: the embedded store and a real SPARQL server on
loopback give the same answers, and publishing to the server is per file and atomic."""

import datetime as dt
import textwrap

import pytest

from ansvarsgraf.answer import answer_question
from ansvarsgraf.cli import main
from ansvarsgraf.dataset import graph_name
from ansvarsgraf.paths import display_path
from ansvarsgraf.remote_store import SparqlEndpointStore
from ansvarsgraf.store import OxigraphStore

QUESTIONS = [
    ("vem ska kalla till SIP när skolan är orolig", "Timrå", "2026-03-01"),
    ("vem erbjuder möte efter en orosanmälan", "Perstorp", "2024-05-01"),
    ("vem tar emot avvikelser i lotsmodellen", "Perstorp", "2026-03-01"),
    ("vilka parter har undertecknat Ramöverenskommelsen", "Höör", "2026-03-01"),
    ("vem kontaktar skolan när ett barn placeras", "Leksand", "2026-03-01"),
]


@pytest.fixture(scope="module")
def embedded(loaded):
    return OxigraphStore.from_loaded(loaded)


@pytest.fixture(scope="module")
def remote(oxigraph_endpoints):
    return SparqlEndpointStore(oxigraph_endpoints["query"], oxigraph_endpoints["update"])


@pytest.fixture(scope="module")
def virtuoso(virtuoso_endpoints):
    return SparqlEndpointStore(virtuoso_endpoints["query"])


@pytest.mark.parametrize("question,kommun,date", QUESTIONS)
def test_same_answer_from_embedded_and_server(embedded, remote, question, kommun, date):
    on_date = dt.date.fromisoformat(date)
    assert answer_question(embedded, question, kommun, on_date).as_dict() == answer_question(remote, question, kommun, on_date).as_dict()


@pytest.fixture(params=["oxigraph-server", "virtuoso"])
def server(request):
    return request.getfixturevalue({"oxigraph-server": "remote", "virtuoso": "virtuoso"}[request.param])


def test_one_named_graph_per_source_file(loaded, server):
    expected = {str(graph_name(name)) for name in loaded.files} | {str(graph_name("ontology"))}
    assert expected <= set(server.graph_names())


def test_every_file_arrives_whole(loaded, server):
    for name, graph in loaded.files.items():
        count = server.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph_name(name)}> {{ ?s ?p ?o }} }}")[0]["n"]
        assert int(count) == len(graph), name


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
    rows = remote.select(f"SELECT ?n WHERE {{ GRAPH <{graph_name(display_path(path))}> {{ ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?n }} }}")
    return sorted(str(r["n"]) for r in rows)


def test_reloading_a_file_replaces_its_graph_and_a_broken_file_changes_nothing(remote, oxigraph_endpoints, tmp_path):
    data = tmp_path / "lagringstest.yaml"
    args = ["load", str(data), "--endpoint", oxigraph_endpoints["query"], "--update-endpoint", oxigraph_endpoints["update"]]
    _write(data, "Första versionen")
    assert main(args) == 0
    assert _names_in_graph(remote, data) == ["Första versionen"]
    _write(data, "Andra versionen")
    assert main(args) == 0
    assert _names_in_graph(remote, data) == ["Andra versionen"]
    data.write_text("- id: lagringstest-forum\n  typ: Forum\n  namn: [trasig\n", encoding="utf-8")
    assert main(args) == 1
    assert _names_in_graph(remote, data) == ["Andra versionen"]
    total = remote.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"]
    assert int(total) > 10000  # the rest of the data is untouched


def test_remote_sparql_surface_keeps_its_rules(remote):
    from ansvarsgraf.sparql_endpoint import SparqlRefused, run_query

    with pytest.raises(SparqlRefused) as refused:
        run_query(remote, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    assert refused.value.status == 403
    with pytest.raises(SparqlRefused) as too_many:
        run_query(remote, "SELECT * WHERE { ?s ?p ?o }", max_rows=100)
    assert too_many.value.status == 413
    result = run_query(remote, "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/ansvarsgraf/def#Municipality> }", "csv")
    assert result.body.decode().splitlines()[0] == "n"
