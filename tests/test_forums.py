"""Forums that carry no duty are reachable from a question (issue 16, point 7): the answer
about a task in a municipality on a date lists the forums that handle it ("Forum som
behandlar frågan"), each with its support, never as a bearer of a duty; on a date before
the forum existed or was observed, and in another municipality, it is absent.

Written from the sources (kallor/): Timrå's audit (KPMG, 2020-10-13, avsnitt 3.2) says "Det
sker årligen en samverkansträff mellan skola och socialtjänsten"; Leksand's follow-up (2023,
revisionsfråga 2) lists "Professionella konsultationsmöten, med syfte att samverka kring
elevers hälsa. Mötena sker fyra gånger per termin mellan kommun och region."
"""

import datetime as dt
import textwrap

import pytest
import rdflib
from fastapi.testclient import TestClient

from ansvarsgraf.answering import answer_question, answer_task
from ansvarsgraf.catalog import catalog_for
from ansvarsgraf.cli_text import render_text
from ansvarsgraf.dataset import DATA_DIR, load_data
from ansvarsgraf.duties import DutyBuilder
from ansvarsgraf.embedded_store import OxigraphStore
from ansvarsgraf.forums import applicable_forums
from ansvarsgraf.queries import query_text
from ansvarsgraf.quotes import find, load_sources
from ansvarsgraf.web.app import create_app

ID = "https://w3id.org/ansvarsgraf/id/"
TIMRA, LEKSAND = ID + "timra-kommun", ID + "leksand-kommun"
COOPERATION, CONSULTATION = ID + "samverkan-barn-som-far-illa", ID + "konsultation"
AUDITED_TIMRA = dt.date(2020, 10, 13)  # the date of Timrå's audit report


def named(answer, words: str):
    """The forums in the answer whose name holds these words (any case)."""
    return [f for f in answer.forums if words.casefold() in f.label.casefold()]


def said_in_its_section(support) -> bool:
    """The support's quote stands in the section it cites, in the shipped source text."""
    sources = load_sources()
    section_id = support.section.iri.rsplit("/", 1)[-1]
    text = sources.by_section[section_id]
    return any(find(text, support.quote, a, b) for a, b in text.sections[section_id].spans)


def test_a_timra_forum_the_audit_describes_is_listed_with_its_source_quote(store):
    answer = answer_task(store, COOPERATION, TIMRA, dt.date(2021, 3, 1))
    (forum,) = named(answer, "samverkansträff")
    quoted = [s for s in forum.support if s.quote and s.section]
    assert quoted and all(said_in_its_section(s) for s in quoted)
    assert any("samverkansträff" in s.quote for s in quoted)
    assert forum.observed == AUDITED_TIMRA.isoformat()
    assert {"Barn- och utbildningsförvaltningen i Timrå kommun", "Socialförvaltningen i Timrå kommun"} \
        <= {p.label for p in forum.participants}


@pytest.mark.parametrize("on_date,listed", [
    (AUDITED_TIMRA - dt.timedelta(days=1), False),  # before the audit observed it: no source says it existed
    (AUDITED_TIMRA, True),
])
def test_a_forum_is_absent_before_the_audit_observed_it(store, on_date, listed):
    answer = answer_task(store, COOPERATION, TIMRA, on_date)
    assert bool(named(answer, "samverkansträff")) == listed
    if not listed:
        assert not [f for f in answer.forums if f.observed and f.observed > on_date.isoformat()]


def test_leksands_consultation_meetings_answer_a_question_no_duty_answers(store):
    answer = answer_task(store, CONSULTATION, LEKSAND, dt.date(2024, 3, 1))
    (forum,) = named(answer, "konsultationsmöten")
    assert forum.meeting_frequency == "fyra gånger per termin"
    assert "Leksands kommun" in {p.label for p in forum.participants}
    frequency = [s for s in forum.support if s.field == "mötesfrekvens"]
    assert frequency and frequency[0].kind == "källa" and "fyra gånger per termin" in frequency[0].quote
    assert said_in_its_section(frequency[0])
    assert "bär inget ansvar" in forum.text
    # A forum is never a bearer: it is not among the duties, whatever they are.
    assert forum.iri not in {b.actor.iri for d in answer.duties for b in d.bearers}
    # The 2023 follow-up gives only its year: nothing from it before 2023.
    assert not named(answer_task(store, CONSULTATION, LEKSAND, dt.date(2022, 12, 31)), "konsultationsmöten")


def test_a_forum_in_another_municipality_is_absent(store):
    on_date = dt.date(2024, 3, 1)
    timra = {f.iri for f in answer_task(store, COOPERATION, TIMRA, on_date).forums}
    leksand = {f.iri for f in answer_task(store, COOPERATION, LEKSAND, on_date).forums}
    assert timra and leksand and not timra & leksand
    assert not named(answer_task(store, CONSULTATION, TIMRA, on_date), "konsultationsmöten")


def test_a_forum_answers_its_tasks_and_every_broader_task_and_no_other(store):
    """The task hierarchy duties use (skos:broader): a forum is listed for a task exactly
    when it handles that task or one under it, in every Leksand answer on the date."""
    catalog = catalog_for(store)
    on_date = dt.date(2024, 3, 1)
    listed = {task: answer_task(store, task, LEKSAND, on_date).forums for task in sorted(catalog.task_labels)}
    handled: dict[str, set[str]] = {}
    for task, forums in listed.items():
        for forum in forums:
            shown = {t.iri for t in forum.tasks}
            assert shown and shown <= set(catalog.with_narrower(task)), (forum.label, task)
            handled.setdefault(forum.iri, set()).update(shown)
    assert handled
    wider = 0
    for task, forums in listed.items():
        expected = {f for f, tasks in handled.items() if tasks & set(catalog.with_narrower(task))}
        assert {f.iri for f in forums} == expected, task
        wider += len([f for f in forums if task not in handled[f.iri]])
    assert wider  # some forum is reached through a broader task than the one it handles


def test_the_cli_text_lists_forums_apart_from_the_duties(embedded):
    answer = answer_task(embedded, CONSULTATION, LEKSAND, dt.date(2024, 3, 1))
    text = render_text(answer)
    heading = text.index("Forum som behandlar frågan")
    assert "bär inget ansvar" in text[heading:]
    assert text.index("Professionella konsultationsmöten") > heading
    assert "Källan säger: «Mötena sker fyra gånger per termin" in text[heading:]


def test_the_api_answer_lists_the_forum_with_its_quote(store):
    client = TestClient(create_app(store))
    response = client.post("/api/ask", json={"fraga": "kan skolan konsultera socialtjänsten", "kommun": "Leksand",
                                             "datum": "2024-03-01"})
    assert response.status_code == 200
    body = response.json()
    (forum,) = [f for f in body["forums"] if "konsultationsmöten" in f["label"]]
    assert any(s["kind"] == "källa" and "fyra gånger per termin" in s["quote"] and s["section"] for s in forum["support"])
    assert forum["iri"] not in {b["actor"]["iri"] for d in body["duties"] for b in d["bearers"]}
    earlier = client.get("/api/answer", params={"uppgift": "konsultation", "kommun": "leksand", "datum": "2022-06-01"})
    assert earlier.status_code == 200
    assert not [f for f in earlier.json()["forums"] if "konsultationsmöten" in f["label"]]


def test_the_staff_page_shows_forums_beside_the_duties_with_their_quote(store):
    client = TestClient(create_app(store))
    page = client.get("/svar", params={"uppgift": "samverkan-barn-som-far-illa", "kommun": "timra-kommun", "datum": "2021-03-01"})
    assert page.status_code == 200, page.text[:300]
    html = page.text
    start = html.index('<section class="card forums"')
    forums = html[start:html.index("</section>", start)]
    assert "Forum som behandlar frågan" in forums and "bär inget ansvar" in forums
    assert "Årlig samverkansträff mellan skola och socialtjänst, Timrå" in forums
    assert '<span class="said">Källan säger:</span> <q>' in forums and "samverkansträff" in forums.split("<q>", 1)[1]
    # Never drawn as a duty card: no duty heading names a forum.
    duty_cards = html.split('<article class="card duty"')[1:]
    assert duty_cards and not any("samverkansträff" in card.split("</h3>", 1)[0] for card in duty_cards)
    before = client.get("/svar", params={"uppgift": "samverkan-barn-som-far-illa", "kommun": "timra-kommun", "datum": "2020-10-12"})
    assert before.status_code == 200 and "samverkansträff mellan skola och socialtjänst, Timrå" not in before.text


# --- The rules on data that states them outright (a fixture, beside the bundled data) ---

FIXTURE = """
- id: fx-forum-rutin
  typ: Rutin
  namn: Rutin som gällde under 2019
  parter: [timra-kommun]
  giltig_från: 2019-01-01
  giltig_till: 2019-12-31
  källa: kalla-timra-2020-s3.2
  inrättade_forum:
    - id: fx-forum-i-rutinen
      typ: Forum
      namn: Forum som rutinen inrättade
      fastställs_i: fx-forum-rutin
      behandlar: [skip]
      källa: kalla-timra-2020-s3.2
- id: fx-forum-med-egna-datum
  typ: Forum
  namn: Forum med egna datum
  deltagare: [timra-socialnamnden]
  behandlar: [skip]
  giltig_från: 2022-05
  källa: kalla-timra-2020-s3.2
- id: fx-forum-iakttaget
  typ: Forum
  namn: Forum som en granskning iakttog
  sammankallande: timra-socialnamnden
  behandlar: [skip]
  observerad: 2021-05
  källa: kalla-timra-2020-s3.2
"""


@pytest.fixture(scope="module")
def fixture_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("forum") / "forum.yaml"
    path.write_text(textwrap.dedent(FIXTURE).lstrip(), encoding="utf-8")
    return OxigraphStore.from_loaded(load_data(paths=[path], base_paths=[DATA_DIR]))


@pytest.mark.parametrize("kommun,on_date,expected", [
    (TIMRA, dt.date(2019, 6, 1), {"fx-forum-i-rutinen"}),             # its document in force
    (TIMRA, dt.date(2020, 6, 1), set()),                                # its document has ended
    (TIMRA, dt.date(2021, 4, 30), set()),                               # before the audit observed one
    (TIMRA, dt.date(2021, 5, 1), {"fx-forum-iakttaget"}),               # observed in that month
    (TIMRA, dt.date(2022, 4, 30), {"fx-forum-iakttaget"}),              # before the other's own month
    (TIMRA, dt.date(2022, 5, 1), {"fx-forum-iakttaget", "fx-forum-med-egna-datum"}),
    (LEKSAND, dt.date(2019, 6, 1), set()),                              # the document's parties are Timrå's
    (LEKSAND, dt.date(2023, 6, 1), set()),                              # Timrå's board takes part, convenes
], ids=lambda value: value.rsplit("/", 1)[-1] if isinstance(value, str) else None)
def test_a_forums_document_dates_and_participants_decide_where_and_when(fixture_store, kommun, on_date, expected):
    answer = answer_task(fixture_store, ID + "skip", kommun, on_date)
    assert {f.iri.rsplit("/", 1)[-1] for f in answer.forums if "/fx-" in f.iri} == expected


def test_a_question_reaches_forums_too(embedded):
    answer = answer_question(embedded, "kan skolan konsultera socialtjänsten", "Leksand", dt.date(2024, 3, 1))
    assert answer.tasks[0]["iri"] == CONSULTATION and named(answer, "konsultationsmöten")


# --- The rule as SPARQL: the reference the engine is held to, on every store ---

# Before the audits, after Timrå's audit (2020-10-13) and Höör's and Trelleborg's answers (2021),
# after Perstorp's audit (2022-12-15), Leksand's follow-up (2023) and the new Socialtjänstlag.
REFERENCE_DATES = [dt.date(2019, 6, 1), dt.date(2021, 3, 1), dt.date(2023, 6, 1), dt.date(2025, 7, 1)]
# The municipalities the sources describe, Lund (party only to Höör's sub-regional agreement)
# and Osby (party only to the lotsmodell agreement): one test each, to keep each short.
REFERENCE_MUNICIPALITIES = ["hoor-kommun", "lund-kommun", "perstorp-kommun", "osby-kommun", "trelleborg-kommun",
                            "timra-kommun", "leksand-kommun"]


def _forums_both_ways(store, municipalities, dates):
    """For each municipality and date and every task a forum answers: the forums the engine
    chooses (forums.py, in memory) and those queries/forum-i-kommun.rq gives on the store,
    the engine's with its 'only through its source' flag."""
    catalog = catalog_for(store)
    # The tasks some forum handles, directly or through a narrower task, and one that none
    # does: every other task has no forum on either side.
    handled = set(catalog.forums.by_task)
    tasks = sorted(t for t in catalog.task_labels if handled & set(catalog.with_narrower(t)))
    tasks += sorted(set(catalog.task_labels) - set(tasks))[:1]
    for kommun in municipalities:
        for on_date in dates:
            builder = DutyBuilder(store, catalog, catalog.by_iri[kommun], on_date)
            literal = rdflib.Literal(on_date.isoformat(), datatype=rdflib.XSD.date)
            for task in tasks:
                engine = applicable_forums(builder, catalog.with_narrower(task))
                reference = {str(r["forum"]) for r in store.select(query_text("forum-i-kommun"), {
                    "uppgift": rdflib.URIRef(task), "kommun": rdflib.URIRef(kommun), "datum": literal})}
                yield (task, kommun, on_date), engine, reference


@pytest.mark.parametrize("kommun", REFERENCE_MUNICIPALITIES)
def test_the_engine_chooses_the_forums_the_reference_query_gives(request, store, kommun):
    """The forum rule on the bundled data, on the embedded store and on each SPARQL server:
    the same forums for every task and date."""
    if request.node.callspec.params.get("store") == "virtuoso":
        # Virtuoso 7.2.5 drops forums that only a participant ties to the municipality, or
        # (as the query is written now) needs minutes for Perstorp and Trelleborg; see
        # docs/drift.md. The engine's forums on Virtuoso are compared with the embedded
        # store's in test_answer_engine.test_every_store_gives_the_same_answers.
        pytest.skip("forum-i-kommun.rq i Virtuoso 7.2.5: se docs/drift.md")
    for where, engine, reference in _forums_both_ways(store, [ID + kommun], REFERENCE_DATES):
        assert set(engine) == reference, where


def test_the_bundled_data_meets_every_branch_of_the_forum_rule(embedded):
    """The comparison above means something only if the data has forums of each kind that
    apply somewhere: through a document, through an actor, and only through the source."""
    rows = [r for found in catalog_for(embedded).forums.by_task.values() for r in found]
    with_document = {str(r["forum"]) for r in rows if r["dokument"] is not None}
    kinds = set()
    for _, engine, _ in _forums_both_ways(embedded, [ID + k for k in REFERENCE_MUNICIPALITIES], [dt.date(2024, 3, 1)]):
        kinds |= {"källa" if by_source else "dokument" if forum in with_document else "aktör"
                  for forum, (_, by_source) in engine.items()}
    assert kinds == {"dokument", "aktör", "källa"}, kinds


def test_the_reference_query_states_the_rule_on_dates_and_documents(fixture_store):
    """The fixture's forums (a document that ended, a month-only start, an observation
    month) decide on both sides alike, for every task and each date around them."""
    dates = [dt.date(2019, 6, 1), dt.date(2020, 6, 1), dt.date(2021, 4, 30), dt.date(2021, 5, 1),
             dt.date(2022, 4, 30), dt.date(2022, 5, 1)]
    fixture_forums = set()
    for where, engine, reference in _forums_both_ways(fixture_store, [TIMRA, LEKSAND], dates):
        assert set(engine) == reference, where
        fixture_forums |= {f for f in reference if "/fx-" in f}
    assert fixture_forums == {ID + "fx-forum-i-rutinen", ID + "fx-forum-med-egna-datum", ID + "fx-forum-iakttaget"}


def test_a_documents_escalation_route_names_its_steering_group(embedded):
    """Trelleborg's local agreement (its audit, 2021: brister "återkopplas till berörda parter
    via styrgruppen") names its steering group as where deviations go and as the forum that
    governs it: an answer resting on that agreement shows both steps with the group's name
    (mutation run, issue 20: the "Styrande forum" step dropped passed)."""
    agreement, group = ID + "trelleborg-lokal-overenskommelse", ID + "trelleborg-lokal-overenskommelse-styrgrupp"
    rows = embedded.select(f"SELECT ?label WHERE {{ <{group}> <http://www.w3.org/2004/02/skos/core#prefLabel> ?label "
                           'FILTER(lang(?label) = "sv") }')
    assert len(rows) == 1
    label = str(rows[0]["label"])
    catalog = catalog_for(embedded)
    on_date = dt.date(2026, 3, 1)
    duties = [d for task in catalog.task_labels
              for d in answer_task(embedded, task, ID + "trelleborg-kommun", on_date).duties
              if d.instrument and d.instrument.iri == agreement]
    assert duties, "inget svar vilar på Trelleborgs lokala överenskommelse"
    for duty in duties:
        assert f"Eskaleras till {label}." in duty.escalation
        assert f"Styrande forum: {label}." in duty.escalation


def test_a_documents_card_says_how_often_it_is_revised(embedded):
    """The same agreement "följs upp och revideras varje år": the card a question naming it
    gets says so, as the graph holds it (ag:revisionInterval), for the page's "Revideras" line
    (mutation run, issue 20: the interval left out of the card passed)."""
    agreement = ID + "trelleborg-lokal-overenskommelse"
    rows = embedded.select(f"SELECT ?i WHERE {{ <{agreement}> <https://w3id.org/ansvarsgraf/def#revisionInterval> ?i }}")
    assert [str(r["i"]) for r in rows] == ["P1Y"]
    catalog = catalog_for(embedded)
    builder = DutyBuilder(embedded, catalog, catalog.municipality("Trelleborg"), dt.date(2026, 3, 1))
    (card,) = builder.instrument_cards([agreement])
    assert card.revision_interval == "P1Y"
