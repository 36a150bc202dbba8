"""Scenarios as data, the graph API behind the explore page, and the training queries,
without a browser (test_explore.py drives the same pages in Chromium)."""

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from ansvarsgraf.answering import answer_task
from ansvarsgraf.dataset import DATA_DIR
from ansvarsgraf.graph_view import Filters, chain, neighbourhood
from ansvarsgraf.queries import all_queries
from ansvarsgraf.scenarios import all_scenarios
from ansvarsgraf.web.app import create_app

ID = "https://w3id.org/ansvarsgraf/id/"
DAY = dt.date(2026, 3, 1)


@pytest.fixture(scope="module")
def client(store):
    return TestClient(create_app(store))


def test_scenario_files_validate(findings_2026):
    in_scenarios = [str(f) for f in findings_2026 if f.file.startswith("data/scenarios/")]
    assert not in_scenarios, "\n".join(in_scenarios)
    assert len(list((DATA_DIR / "scenarios").glob("*.yaml"))) >= 3


def test_scenarios_are_read_in_order(store):
    scenarios = {s.label: s for s in all_scenarios(store)}
    school = scenarios["Skolan är orolig för en elev"]
    assert [s.order for s in school.steps] == [1, 2, 3, 4, 5, 6]
    assert school.steps[0].task == ID + "anmala-oro" and school.steps[-1].task == ID + "aterkoppla-till-anmalare"
    assert {"Ett barn behöver insatser från både BUP och socialtjänsten", "Ett placerat barns skolgång"} <= set(scenarios)


def test_chain_is_the_answer_drawn(store):
    answer = answer_task(store, ID + "kalla-till-sip", ID + "timra-kommun", DAY)
    view = chain(answer)
    for duty in answer.duties:
        assert duty.iri in view.nodes and all(b.actor.iri in view.nodes for b in duty.bearers)
        assert all(org.iri in view.nodes for b in duty.bearers for org in b.organisation_path)
        if duty.instrument:
            assert any(e.source == duty.instrument.iri and e.target == duty.iri for e in view.edges)
    assert any(n.kind == "lag" for n in view.nodes.values())


def test_municipality_filter_hides_other_municipalities(store):
    everywhere = neighbourhood(store, [ID + "kalla-till-sip"], Filters())
    timra = neighbourhood(store, [ID + "kalla-till-sip"], Filters(kommun=ID + "timra-kommun", datum=DAY))
    assert set(timra.nodes) < set(everywhere.nodes)
    assert ID + "timra-sip-kallelse-skolan" in timra.nodes


def test_graph_api_unknown_node_is_404_in_swedish(client):
    response = client.get("/api/graf", params={"nod": "finns-inte-alls"})
    assert response.status_code == 404
    assert "finns inte i grafen" in response.json()["fel"]


def test_graph_api_bad_kind_is_400(client):
    response = client.get("/api/graf", params={"nod": "timra-kommun", "slag": "kakor"})
    assert response.status_code == 400 and "Okänt slag" in response.json()["fel"]


def test_graph_api_marks_gaps_and_labels_edges_in_swedish(client):
    body = client.get("/api/graf", params={"nod": "kalla-till-sip", "kommun": "timra-kommun", "datum": "2026-03-01"}).json()
    nodes = [e["data"] for e in body["elements"] if e["group"] == "nodes"]
    edges = [e["data"] for e in body["elements"] if e["group"] == "edges"]
    assert any(n["kind"] == "lucka" for n in nodes) and any(n["luckor"] for n in nodes if n["kind"] != "lucka")
    assert "uppgift" in {e["label"] for e in edges}
    assert all(n["href"] is None or n["href"].startswith("/") for n in nodes)


@pytest.mark.parametrize("name", ["uppgifter-med-flest-ansvariga", "forum-per-kommun", "ataganden-pa-befattningar",
                                  "bestammelser-ersatta-2025", "scenarier"])
def test_training_queries_run_without_parameters(client, store, name):
    query = all_queries()[name]
    assert not query.needs_bindings and query.description
    assert store.select(query.text)
    page = client.get(f"/fragor/{name}")
    assert page.status_code == 200 and "<table" in page.text and "SELECT" in page.text


def test_query_page_refuses_engine_queries(client):
    assert client.get("/fragor/beskriv").status_code == 404
