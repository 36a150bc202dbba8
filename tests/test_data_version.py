"""API processes in front of a SPARQL server cache what they derive from the data (catalog,
answers, gap reports). A new `ansvarsgraf load` writes a new data version, and the caches
follow it: the next answer after the check interval is built from the new data."""

import datetime as dt
import textwrap

import pytest

from ansvarsgraf.answering import answer_question, answer_task
from ansvarsgraf.cli import main
from ansvarsgraf.remote_store import SparqlEndpointStore

ID = "https://w3id.org/ansvarsgraf/id/"
TASK, KOMMUN, DATE = ID + "kalla-till-sip", ID + "timra-kommun", dt.date(2026, 3, 1)


@pytest.fixture(scope="module")
def fresh_server(tmp_path_factory, loaded):
    """A server of its own: this test changes the data, which others must not see."""
    from sparql_servers import oxigraph_server, publish_loaded

    with oxigraph_server(tmp_path_factory.mktemp("oxigraph-version")) as endpoints:
        publish_loaded(endpoints, loaded)
        yield endpoints


def _routine(path, status):
    path.write_text(textwrap.dedent(f"""
        - id: versionsprov-rutin
          typ: Rutin
          namn: Provrutin för dataversioner
          parter: [timra-kommun]
          status: {status}
          giltig_från: 2020-01-01
          källa: kalla-timra-2020-s3.3
          stöd:
            parter: &fixtur {{slutsats: "Påhittad testdata (fixtur); ingen verklig källa säger detta."}}
            status: *fixtur
            giltig_från: *fixtur
          åtaganden:
            - id: versionsprov-atagande
              typ: Åtagande
              bärare: timra-socialforvaltningen
              uppgift: kalla-till-sip
              del: sammankallar
              modalitet: ska
              beskrivning: Provåtagande som bara finns i den andra laddningen.
              källa: kalla-timra-2020-s3.3
              stöd: {{bärare: *fixtur, uppgift: *fixtur, del: *fixtur, modalitet: *fixtur}}
        """).lstrip(), encoding="utf-8")


def _duties(store):
    return {d.iri for d in answer_task(store, TASK, KOMMUN, DATE).duties}


def test_a_new_load_reaches_running_api_processes(fresh_server, tmp_path, monkeypatch):
    monkeypatch.setenv("ANSVARSGRAF_VERSION_CHECK_S", "0")  # check on every request here
    # No reader is mid-request while `load` runs: the superseded version may go at once, not
    # after the 5 s grace each load would sleep (the idle-process test below keeps the grace).
    monkeypatch.setenv("ANSVARSGRAF_VERSION_GRACE_S", "0")
    store = SparqlEndpointStore(fresh_server["query"])
    before = _duties(store)
    version = store.data_version()
    assert before and version

    extra = tmp_path / "versionsprov.yaml"
    publish = ["load", str(extra), "--endpoint", fresh_server["query"], "--update-endpoint", fresh_server["update"]]
    _routine(extra, "gällande")
    assert main(publish) == 0
    assert store.data_version() != version
    assert _duties(store) == before | {ID + "versionsprov-atagande"}

    _routine(extra, "under_framtagande")  # a draft gives no duties yet
    assert main(publish) == 0
    assert _duties(store) == before


def test_an_api_process_idle_during_a_republish_answers_from_the_whole_new_version(tmp_path, monkeypatch, loaded):
    """An API process that got no request while the operator re-published answers its next
    questions from the new version, whole. `load` removes the superseded version's graphs a
    few seconds after the switch; a process whose last check was older than that asked the
    removed graphs (every question "okänd fråga") or gave its cached answer of the old set."""
    from sparql_servers import load_into, oxigraph_server, publish_loaded

    monkeypatch.setenv("ANSVARSGRAF_VERSION_CHECK_S", "1")  # the superseded version is kept 1 + 5 s
    question = ("vem erbjuder möte efter en orosanmälan", "Perstorp", dt.date(2024, 5, 1))
    with oxigraph_server(tmp_path) as endpoints:
        publish_loaded(endpoints, loaded)
        idle, asked = SparqlEndpointStore(endpoints["query"]), SparqlEndpointStore(endpoints["query"])
        idle.data_version()  # started, not asked anything yet
        before = _duties(asked)  # this one has answers cached
        extra = tmp_path / "versionsprov.yaml"
        _routine(extra, "gällande")
        load_into(endpoints, str(extra))  # waits out the grace time and removes the old graphs
        answer = answer_question(idle, *question).as_dict()
        assert answer == answer_question(SparqlEndpointStore(endpoints["query"]), *question).as_dict()
        assert answer["status"] == "besvarad"
        assert _duties(asked) == before | {ID + "versionsprov-atagande"}


def test_between_checks_the_cached_version_is_used(fresh_server, monkeypatch):
    monkeypatch.setenv("ANSVARSGRAF_VERSION_CHECK_S", "3600")
    store = SparqlEndpointStore(fresh_server["query"])
    version = store.data_version()
    published = SparqlEndpointStore(fresh_server["query"], fresh_server["update"]).mark_published()
    assert published != version
    assert store.data_version() == version  # not asked again within the interval
    store.version_check_s = 0
    assert store.data_version() == published


def test_a_store_loaded_before_versions_is_read_whole_and_the_next_load_versions_it(tmp_path, monkeypatch, loaded):
    """Graphs per file and a marker without graphs (as `load` wrote before versions): readers
    read the union of all graphs, as then; the next load publishes a version and removes the
    old graphs."""
    from ansvarsgraf.dataset import graph_name
    from sparql_servers import load_into, oxigraph_server, published, publisher

    monkeypatch.setenv("ANSVARSGRAF_VERSION_CHECK_S", "0")
    monkeypatch.setenv("ANSVARSGRAF_VERSION_GRACE_S", "0")
    with oxigraph_server(tmp_path) as endpoints:
        old = publisher(endpoints)
        for name, graph in [*loaded.files.items(), ("ontology", loaded.ontology)]:
            old.replace_graph(str(graph_name(name)), graph)
        old.mark_published()
        reader = SparqlEndpointStore(endpoints["query"])
        before = _duties(reader)
        assert before and reader.current_version().union is None
        load_into(endpoints)
        state = published(endpoints)
        assert state["union"] and set(state["ours"]) == set(state["parts"]) | {state["union"]}  # old graphs gone
        assert _duties(reader) == before
