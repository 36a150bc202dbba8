"""A document's status is a history (issue 14): the status on a date is the entry with the
latest start on or before it, and everything that reads status uses that.

The fixture tests/data/point-in-time/statushistorik.yaml has Statusbyavtalet, under drafting
from 2019 and in force from 2021-03. Answers, instrument cards, the reference query
ansvar-for-uppgift.rq, the gap rules (as written, as a SPARQL server runs them) and the
change analysis must agree on every store. The located validation errors of a malformed
history are in tests/fixtures/broken/statushistorik-samma-start.yaml (test_shapes.py).
"""

import datetime as dt
from pathlib import Path

import pytest
import rdflib
from dated_facts import ID, GraphDates, bearers_of, problems_in

from ansvarsgraf.answering import answer_task
from ansvarsgraf.catalog import catalog_for
from ansvarsgraf.changes import change_report
from ansvarsgraf.dataset import DATA_DIR, load_data
from ansvarsgraf.duties import DutyBuilder
from ansvarsgraf.gaps import analyse, rules
from ansvarsgraf.queries import query_text
from ansvarsgraf.embedded_store import OxigraphStore
from ansvarsgraf.yaml_source import read_yaml_file

FIXTURES = Path(__file__).parent / "data" / "point-in-time"
KOMMUN, AVTAL, ATAGANDE, TASK = (ID + n for n in ("fx-statusby-kommun", "fx-statusby-avtal", "fx-statusby-kalla-sip", "kalla-till-sip"))
DRAFTING, IN_FORCE = dt.date(2020, 6, 1), dt.date(2021, 3, 1)


@pytest.fixture(scope="module", params=("inbyggd", "oxigraph-server", "virtuoso"))
def history_store(request, tmp_path_factory):
    """The bundled data and the fixtures of tests/data/point-in-time (this one and the
    versioned agreement of versioner.yaml), in each of the three stores."""
    if request.param == "inbyggd":
        yield OxigraphStore.from_loaded(load_data(paths=[DATA_DIR, FIXTURES]))
        return
    from sparql_servers import load_into, oxigraph_server, virtuoso_server

    from ansvarsgraf.remote_store import SparqlEndpointStore

    server = oxigraph_server if request.param == "oxigraph-server" else virtuoso_server
    with server(tmp_path_factory.mktemp(request.param)) as endpoints:
        load_into(endpoints, str(DATA_DIR), str(FIXTURES))
        yield SparqlEndpointStore(endpoints["query"])


def _answer(store, day):
    return answer_task(store, TASK, KOMMUN, day)


def _card(store, iri, kommun, day):
    catalog = catalog_for(store)
    (card,) = DutyBuilder(store, catalog, catalog.municipality(kommun), day).instrument_cards([iri])
    return card


def test_under_drafting_on_the_date_gives_no_duties_and_says_so(history_store):
    answer = _answer(history_store, DRAFTING)
    assert ATAGANDE not in {d.iri for d in answer.duties}
    notes = [n for n in answer.notes if n.kind == "under_framtagande"]
    assert [n.source.iri for n in notes] == [AVTAL]
    assert "under framtagande på 2020-06-01" in notes[0].text
    card = _card(history_store, AVTAL, KOMMUN, DRAFTING)
    assert card.status == "under framtagande"
    # The status shown carries the support of its own entry: the source's words of 2019.
    assert [s.quote for s in card.support if s.field == "status"] == ["Avtalet är under framtagande."]


def test_in_force_from_the_first_day_of_its_entry_with_no_warning(history_store):
    assert ATAGANDE not in {d.iri for d in _answer(history_store, IN_FORCE - dt.timedelta(days=1)).duties}
    answer = _answer(history_store, IN_FORCE)
    (duty,) = [d for d in answer.duties if d.iri == ATAGANDE]
    assert not [w for w in duty.warnings if w.kind == "status"]
    assert not [n for n in answer.notes if n.source is not None and n.source.iri == AVTAL]
    card = _card(history_store, AVTAL, KOMMUN, IN_FORCE)
    assert card.status == "gällande"
    # The source saying so is dated 2021-03-15: on the first day of March its words were not
    # yet written, so they are known only after the date (docs/provenans.md, "Känt från").
    assert not [s for s in card.support if s.field == "status"]
    assert [(s.quote, s.known_from) for s in card.later_support if s.field == "status"] == [
        ("Avtalet antogs i mars 2021.", "2021-03-15")]
    written = _card(history_store, AVTAL, KOMMUN, dt.date(2021, 3, 15))
    assert [s.quote for s in written.support if s.field == "status"] == ["Avtalet antogs i mars 2021."]


def test_before_the_first_entry_no_status_is_shown(history_store):
    """Before its first entry the sources say nothing of the status: none, not 'okänd'."""
    assert _card(history_store, AVTAL, KOMMUN, dt.date(2018, 12, 31)).status is None
    assert not [n for n in _answer(history_store, dt.date(2018, 12, 31)).notes if n.kind == "under_framtagande"]


def test_a_real_history_mittbus_in_force_as_audited_then_unknown(history_store):
    """MITTBUS: in force as the audit of 2020-10-13 describes it, unknown from 2023."""
    mittbus, timra = ID + "mittbus-2013", ID + "timra-kommun"
    statuses = {day: _card(history_store, mittbus, timra, dt.date.fromisoformat(day)).status
                for day in ("2020-10-12", "2020-10-13", "2022-12-31", "2023-01-01")}
    assert statuses == {"2020-10-12": None, "2020-10-13": "gällande", "2022-12-31": "gällande", "2023-01-01": "okänd status"}


def test_the_reference_query_agrees_with_the_engine(history_store):
    """ansvar-for-uppgift.rq (the rule as SPARQL, on this store) gives the duty exactly when
    the engine does, on the days around each start."""
    from ansvarsgraf.answering import applicable_duties

    for day in ("2018-12-31", "2019-01-01", "2020-06-01", "2021-02-28", "2021-03-01", "2026-03-01"):
        literal = rdflib.Literal(day, datatype=rdflib.XSD.date)
        expected = {str(r["atagande"]) for r in history_store.select(query_text("ansvar-for-uppgift"), {
            "uppgift": rdflib.URIRef(TASK), "kommun": rdflib.URIRef(KOMMUN), "datum": literal})}
        engine = set(applicable_duties(history_store, TASK, KOMMUN, dt.date.fromisoformat(day)))
        assert engine == expected, day
        assert (ATAGANDE in engine) == (day >= "2021-03-01"), day


def test_gap_rules_see_the_status_on_the_date(history_store):
    """inget-revideringsintervall: the agreement has no revision interval, but is a gap only
    once it is in force. Both as the rule is written (what a SPARQL server runs, here on
    every store) and in the full analysis (on the embedded store through the organisation
    index)."""
    (rule,) = [r for r in rules() if r.name == "inget-revideringsintervall"]
    for day, fires in ((DRAFTING, False), (IN_FORCE - dt.timedelta(days=1), False), (IN_FORCE, True)):
        rows = history_store.select(rule.text, {"kommun": rdflib.URIRef(KOMMUN),
                                                "datum": rdflib.Literal(day.isoformat(), datatype=rdflib.XSD.date)})
        assert (AVTAL in {str(r["fokus"]) for r in rows}) == fires, day
        gaps = analyse(history_store, KOMMUN, day).gaps
        assert (AVTAL in {g.focus.iri for g in gaps if g.kind == "inget-revideringsintervall"}) == fires, day
        # A draft is no lapsed document.
        assert not [g for g in gaps if g.kind == "ingen-giltig-version" and g.focus.iri == AVTAL], day


def test_the_change_analysis_dates_the_change_to_the_entry(history_store):
    """Each entry's start is a change date: between 2020-06-01 and 2021-03-01 the duty
    appears, and the cause is the agreement's status from 2021-03."""
    rows = history_store.select(query_text("andringsdatum"), {"nod": [rdflib.URIRef(AVTAL)]})
    assert {str(r["datum"]) for r in rows if "statusFrom" in str(r["egenskap"])} == {"2019", "2021-03"}
    report = change_report(history_store, DRAFTING, IN_FORCE, [KOMMUN], [TASK], with_gaps=False)
    (group,) = [g for g in report.groups if any(a.task.iri == TASK for a in g.answers)]
    assert (group.cause.kind, group.cause.day) == ("dokument", "2021-03-01")
    assert any(c.node.iri == AVTAL and c.date == "2021-03" for c in group.cause.citations)


# --- authoring: what the loader says about a malformed history -----------------------------

HEAD = """- id: fx-h
  typ: Överenskommelse
  namn: Avtal
  parter: [timra-kommun]
  källa: kalla-timra-2020
"""


@pytest.mark.parametrize("body,line,words", [
    ("  status:\n    - värde: gällande\n      från: 2021\n      slutsats: x\n  status_från: 2021\n", 10, "eget 'från'"),
    ("  status:\n    - värde: gällande\n      från: 2021\n      slutsats: x\n  stöd:\n    status:\n      slutsats: x\n", 11, "varje post"),
    ("  status:\n    - värde: gällande\n      börjar: 2021\n", 8, "okänd nyckel 'börjar'"),
    ("  status:\n    - värde: pågår\n      från: 2021\n", 7, "'pågår' är inget känt värde"),
    ("  status:\n    - värde: gällande\n      från: 2021-13\n", 8, "'status_från'"),
])
def test_a_malformed_history_is_a_located_loading_error(tmp_path, body, line, words):
    path = tmp_path / "fel.yaml"
    path.write_text(HEAD + body, encoding="utf-8")
    result = read_yaml_file(path, "fel.yaml")
    assert [(e.line, words in e.message) for e in result.errors] == [(line, True)], [str(e) for e in result.errors]


def test_the_single_status_form_is_unchanged(tmp_path):
    """`status:` with one value still writes ag:status (and ag:statusFrom…) on the document."""
    path = tmp_path / "en.yaml"
    path.write_text(HEAD + "  status: gällande\n  status_från: 2021-03\n", encoding="utf-8")
    graph = read_yaml_file(path, "en.yaml").graph
    AG = rdflib.Namespace("https://w3id.org/ansvarsgraf/def#")
    assert set(graph.objects(rdflib.URIRef(ID + "fx-h"), AG.status)) == {AG.gallande}
    assert [str(v) for v in graph.objects(rdflib.URIRef(ID + "fx-h"), AG.statusFromMonth)] == ["2021-03"]
    assert not list(graph.objects(rdflib.URIRef(ID + "fx-h"), AG.qualifiedStatus))


def test_the_id_page_as_of_a_date_shows_the_status_on_that_date(history_store):
    """/id/… ?datum=D lists only the history entry in force on D (none before the first) and
    says when the document is under drafting; without a date the whole history."""
    from fastapi.testclient import TestClient

    from ansvarsgraf.web.app import create_app

    client = TestClient(create_app(history_store))
    entries = {n: f"fx-statusby-avtal--status--{n}" for n in (1, 2)}

    def page(query=""):
        response = client.get("/id/fx-statusby-avtal" + query)
        assert response.status_code == 200
        return response.text
    shown = {day: {n for n, entry in entries.items() if entry in page(f"?datum={day}")}
             for day in ("2018-12-31", "2020-06-01", "2021-03-01")}
    assert shown == {"2018-12-31": set(), "2020-06-01": {1}, "2021-03-01": {2}}
    assert "under framtagande på 2020-06-01" in page("?datum=2020-06-01")
    assert "under framtagande på" not in page("?datum=2021-03-01")
    assert all(entry in page() for entry in entries.values())


# --- the sweep over the fixtures, on every store ----------------------------------------------

# Every document whose status or version changes over time, and the tasks of its duties:
# the status history of this fixture and of MITTBUS, the versions of versioner.yaml and of
# Leksand's routines.
CHANGING = """
PREFIX ag: <https://w3id.org/ansvarsgraf/def#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT DISTINCT ?dokument ?task WHERE {
  ?atagande ag:establishedBy ?dokument ; ag:task ?task .
  { ?dokument ag:qualifiedStatus ?x } UNION { ?dokument dcterms:replaces ?x } UNION
  { ?dokument dcterms:isReplacedBy ?x } UNION { ?x dcterms:replaces|dcterms:isReplacedBy ?dokument }
}"""


def test_sweep_over_the_fixtures(history_store, figures, request):
    """Issue 14's sweep, on the fixtures: on the day before, of and after every change date
    in the data, each changing document's tasks in its first municipality (and the
    fixture's statutory duties in Timrå) hold nothing dated after the day, every bearer, and
    the status in force on the day, on every store."""
    dates, bearers = GraphDates(history_store), bearers_of(history_store)
    catalog = catalog_for(history_store)
    # Each document in the first municipality (by IRI) it is a party in, itself or by a unit.
    pairs = {(next(k for k in sorted(catalog.by_iri) if catalog.organisations.party_in(str(r["dokument"]), k)), str(r["task"]))
             for r in history_store.select(CHANGING)} | {(ID + "timra-kommun", TASK)}
    assert {KOMMUN, ID + "fx-versionby-kommun", ID + "timra-kommun", ID + "leksand-kommun"} <= {k for k, _ in pairs}
    days = sorted({d + dt.timedelta(days=k) for d in dates.change_dates() for k in (-1, 0, 1)
                   if dt.date(2010, 1, 1) <= d <= dt.date(2030, 12, 31)})
    checked = 0
    for kommun, task in sorted(pairs):
        for day in days:
            assert problems_in(answer_task(history_store, task, kommun, day), dates, bearers) == [], (kommun, task, day)
            checked += 1
    figures(f"[svep, fixturer] {checked} svar kontrollerade på {request.node.callspec.params['history_store']} "
            f"({len(pairs)} uppgifter i kommuner, {len(days)} dagar)")
