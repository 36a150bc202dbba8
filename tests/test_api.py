"""The HTTP API, in process: every endpoint, the bad inputs, and the read-only SPARQL surface."""

import json

import pytest
import rdflib
from fastapi.testclient import TestClient

from ansvarsgraf.answering import answer_task
from ansvarsgraf.web.app import create_app

ID = "https://w3id.org/ansvarsgraf/id/"


@pytest.fixture(scope="module")
def client(store):
    return TestClient(create_app(store))


def test_post_ask_is_the_same_answer_as_the_cli(client, store):
    import datetime as dt

    response = client.post("/api/ask", json={"fraga": "vem tar emot orosanmälan", "kommun": "Timrå", "datum": "2026-03-01"})
    assert response.status_code == 200
    body = response.json()
    direct = answer_task(store, ID + "ta-emot-anmalan", ID + "timra-kommun", dt.date(2026, 3, 1)).as_dict()
    assert body["tasks"][0]["iri"] == ID + "ta-emot-anmalan"
    assert [d["iri"] for d in body["duties"]] == [d["iri"] for d in direct["duties"]]


def test_get_answer_for_a_resolved_task(client):
    response = client.get("/api/answer", params={"uppgift": "erbjuda-mote-efter-anmalan", "kommun": "perstorp", "datum": "2024-05-01"})
    assert response.status_code == 200
    cited = {b["in_force"]["iri"] for d in response.json()["duties"] for b in d["legal_basis"] if b["in_force"]}
    assert "https://lagen.nu/2001:453#K14P1a" in cited


@pytest.mark.parametrize("params,status,words", [
    ({"uppgift": "kalla-till-sip", "kommun": "Atlantis"}, 404, "Atlantis"),
    ({"uppgift": "kalla-till-sip", "kommun": "Timrå", "datum": "2026-02-30"}, 400, "ÅÅÅÅ-MM-DD"),
    ({"uppgift": "baka-kakor", "kommun": "Timrå"}, 404, "uppgiftsvokabulären"),
    ({"kommun": "Timrå"}, 422, "uppgift"),
])
def test_bad_answer_input_gets_a_4xx_that_says_what_to_fix(client, params, status, words):
    response = client.get("/api/answer", params=params)
    assert response.status_code == status
    assert words in json.dumps(response.json(), ensure_ascii=False)


def test_ask_refuses_personnummer_and_overlong_questions(client):
    refused = client.post("/api/ask", json={"fraga": "kalla till SIP för 20121212-1212", "kommun": "Timrå"})
    assert refused.status_code == 422 and "personnummer" in refused.json()["fel"]
    assert "1212" not in refused.text
    too_long = client.post("/api/ask", json={"fraga": "x" * 501, "kommun": "Timrå"})
    assert too_long.status_code == 422 and "för lång" in json.dumps(too_long.json(), ensure_ascii=False)


def test_autocomplete_and_lists(client):
    suggestions = client.get("/api/uppgifter", params={"q": "kalla sip"}).json()
    assert suggestions[0]["id"] == "kalla-till-sip"
    assert len(client.get("/api/uppgifter").json()) >= 30
    kommuner = {k["namn"] for k in client.get("/api/kommuner").json()}
    assert {"Timrå kommun", "Perstorps kommun", "Leksands kommun", "Höörs kommun", "Trelleborgs kommun"} <= kommuner
    for listing in ("dokument", "aktorer", "bestammelser"):
        rows = client.get(f"/api/{listing}").json()
        assert rows and all("nod" in r and "namn" in r for r in rows)
    assert client.get("/api/nonsens").status_code == 404


@pytest.mark.parametrize("path,kind", [
    ("/id/timra-socialnamnden", "nämnd"),
    ("/id/mittbus-2013", "överenskommelse"),
    ("/id/lag-sol-19-5-erbjuda-mote", "åtagande"),
    ("/lagrum/2025:400/K19P5", "bestämmelse"),
    ("/id/kalla-timra-2020", "revisionsrapport"),
])
def test_every_kind_of_node_dereferences_with_content_negotiation(client, path, kind):
    html = client.get(path, headers={"Accept": "text/html"})
    assert html.status_code == 200 and "text/html" in html.headers["content-type"]
    assert kind in html.text.lower()
    turtle = client.get(path, headers={"Accept": "text/turtle"})
    assert turtle.headers["content-type"].startswith("text/turtle")
    graph = rdflib.Graph().parse(data=turtle.text, format="turtle")
    assert len(graph) > 3
    jsonld = client.get(path, headers={"Accept": "application/ld+json"})
    assert jsonld.headers["content-type"].startswith("application/ld+json")
    assert len(rdflib.Graph().parse(data=jsonld.text, format="json-ld")) == len(graph)


@pytest.mark.parametrize("path", ["/id/timra-socialnamnden", "/def"])
@pytest.mark.parametrize("accept,served", [
    ("text/turtle;q=0, text/html", "text/html"),  # q=0 refuses Turtle, even when named first
    ("application/ld+json;q=0.1, text/turtle", "text/turtle"),  # the higher q wins, not the order
    ("text/*;q=0.5, text/html;q=0", "text/turtle"),  # the most specific range decides for HTML
    ("application/xml", None),  # nothing offered is acceptable: 406
])
def test_linked_data_pages_honour_q_values_and_refuse_with_406(client, path, accept, served):
    """/id and /def choose by the Accept header's q-values (web/negotiation.py, as /sparql
    does): the former hand-written matching took the first type named and ignored q."""
    response = client.get(path, headers={"Accept": accept})
    if served is None:
        assert response.status_code == 406 and "Turtle" in response.text
    else:
        assert response.status_code == 200 and response.headers["content-type"].startswith(served)
    assert response.headers["vary"] == "Accept"


def test_unknown_node_is_a_404(client):
    assert client.get("/id/finns-inte-alls").status_code == 404
    assert client.get("/id/finns-inte-alls", headers={"Accept": "text/turtle"}).status_code == 404


def test_sparql_select_in_every_result_format(client):
    query = "PREFIX ag: <https://w3id.org/ansvarsgraf/def#> SELECT ?k WHERE { ?k a ag:Municipality } ORDER BY ?k"
    as_json = client.get("/sparql", params={"query": query}).json()
    names = [b["k"]["value"] for b in as_json["results"]["bindings"]]
    assert ID + "timra-kommun" in names
    csv = client.post("/sparql", data={"query": query}, headers={"Accept": "text/csv"})
    assert csv.headers["content-type"].startswith("text/csv") and csv.text.splitlines()[0] == "k"
    tsv = client.post("/sparql", content=query, headers={"Content-Type": "application/sparql-query", "Accept": "text/tab-separated-values"})
    assert tsv.text.splitlines()[0] == "?k" and f"<{ID}timra-kommun>" in tsv.text
    xml = client.get("/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+xml"})
    assert "<sparql" in xml.text and "timra-kommun" in xml.text
    assert len(csv.text.splitlines()) - 1 == len(names)


@pytest.mark.parametrize("request_kwargs,status,words", [
    ({"data": {"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}}, 403, "skrivskyddad"),
    ({"content": "DELETE WHERE { ?s ?p ?o }", "headers": {"Content-Type": "application/sparql-update"}}, 403, "skrivskyddad"),
    ({"data": {"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}}, 403, "Uppdateringar"),
    ({"data": {"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"}}, 403, "SERVICE"),
    ({"data": {"query": "SELECT * FROM <http://127.0.0.1:9/data.ttl> WHERE { ?s ?p ?o }"}}, 403, "FROM"),
    ({"data": {"query": "LOAD <http://127.0.0.1:9/data.ttl>"}}, 403, "Uppdateringar"),
    ({"data": {"query": "SELEC ?s WHERE { ?s ?p ?o }"}}, 400, "inte giltig SPARQL"),
    ({"data": {"query": "SELECT * WHERE { ?s ?p ?o } # " + "x" * 20_001}}, 413, "för lång"),
    ({"data": {"query": "SELECT * WHERE { ?s ?p ?o }"}}, 400, "fler än 10000 rader"),
    ({"content": "ASK {}", "headers": {"Content-Type": "text/plain"}}, 415, "application/sparql-query"),
    ({"content": "ASK {}".encode("utf-16"), "headers": {"Content-Type": "application/sparql-query; charset=UTF-16"}}, 415, "UTF-8"),
    ({"content": b"ASK { \xff }", "headers": {"Content-Type": "application/sparql-query"}}, 400, "UTF-8"),
])
def test_sparql_refusals_are_explicit(client, request_kwargs, status, words):
    response = client.post("/sparql", **request_kwargs)
    assert response.status_code == status, response.text
    assert words in response.json()["fel"]


def test_sparql_construct_returns_turtle(client):
    query = "CONSTRUCT { ?k a <urn:kommun> } WHERE { ?k a <https://w3id.org/ansvarsgraf/def#Municipality> }"
    response = client.get("/sparql", params={"query": query})
    assert response.headers["content-type"].startswith("text/turtle")
    assert len(rdflib.Graph().parse(data=response.text, format="turtle")) >= 15


def test_named_queries_are_listed_and_runnable(client):
    listed = {q["namn"]: q for q in client.get("/api/fragor").json()}
    assert "overenskommelser" in listed and not listed["overenskommelser"]["kraver_parametrar"]
    assert listed["ansvar-for-uppgift"]["kraver_parametrar"]
    rows = client.get("/api/fragor/overenskommelser").json()["results"]["bindings"]
    assert any("mittbus" in r["dokument"]["value"] for r in rows)
    assert client.get("/api/fragor/ansvar-for-uppgift").status_code == 400
    unknown = client.get("/api/fragor/finns-inte%00%3Cb%3E")
    assert unknown.status_code == 404 and "finns-inte" not in unknown.text and "\\u0000" not in unknown.text


def test_openapi_documents_the_api_and_docs_load_nothing_external(client):
    spec = client.get("/openapi.json").json()
    assert {"/api/ask", "/api/answer", "/api/uppgifter", "/sparql"} <= set(spec["paths"])
    assert client.get("/docs").status_code == 404


def test_ontology_terms_dereference(client):
    page = client.get("/def")
    assert page.status_code == 200 and 'id="Duty"' in page.text and "åtagande" in page.text
    turtle = client.get("/def", headers={"Accept": "text/turtle"})
    graph = rdflib.Graph().parse(data=turtle.text, format="turtle")
    assert (rdflib.URIRef("https://w3id.org/ansvarsgraf/def#Duty"), None, None) in graph


def test_a_runaway_query_is_stopped_with_a_clear_error(store):
    from ansvarsgraf.sparql_endpoint import SparqlRefused, run_query

    with pytest.raises(SparqlRefused) as caught:
        run_query(store, "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", timeout_s=1.0)
    assert caught.value.status == 503 and "avbröts" in caught.value.message


def test_named_query_from_the_command_line(capsys):
    from ansvarsgraf.cli import main

    assert main(["query"]) == 0
    assert "overenskommelser:" in capsys.readouterr().out
    assert main(["query", "rekommendationer-utan-svar", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("rekommendation,") and any("timra-2020-rek-1" in line for line in lines)
    assert main(["query", "ansvar-for-uppgift"]) == 2
