"""Gap analysis: the graph finds, by itself, the gaps the audit documents state.

Part 1 lists, per source municipality, which documented finding each reported gap
corresponds to. Part 2 runs every kind of gap on a small fixture (tests/fixtures/gaps):
in Provby each gap must fire, in Kontrollby the same thing is in order and must not.
"""

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from ansvarsgraf.dataset import DATA_DIR, load_data
from ansvarsgraf.gaps import analyse, render_csv, render_html, render_text, rules, warning_shapes
from ansvarsgraf.embedded_store import OxigraphStore
from ansvarsgraf.validation import validate

ID = "https://w3id.org/ansvarsgraf/id/"
AG = "https://w3id.org/ansvarsgraf/def#"
DATE = dt.date(2026, 3, 1)
FIXTURE = Path(__file__).parent / "fixtures" / "gaps" / "provby.yaml"


def has(report, kind, focus, detail=None):
    return any(g.kind == kind and g.focus.iri == ID + focus and (detail is None or g.detail == detail) for g in report.gaps)


# (municipality, what the audit document says, gap kind, focus node, finding kind or None)
DOCUMENTED = [
    ("timra-kommun", "MITTBUS inte reviderad sedan 2013 (KPMG 2020, 3.3)", "dokumenterad-iakttagelse", "mittbus-2013", "ej reviderad"),
    ("timra-kommun", "skolan ingår inte i MITTBUS (3.3, faktakontroll)", "dokumenterad-iakttagelse", "mittbus-2013", "part saknas"),
    ("timra-kommun", "inget bra system för avvikelserapportering (3.1)", "dokumenterad-iakttagelse", "hantera-avvikelse", "saknas"),
    ("timra-kommun", "MITTBUS anger ingen avvikelsehantering", "ingen-avvikelsehantering", "mittbus-2013", None),
    ("timra-kommun", "anmälare i skolan får ingen återkoppling (3.2)", "dokumenterad-iakttagelse", "timra-ifo-processer-aterkoppla-till-anmalare", "ingen återkoppling"),
    ("timra-kommun", "rekommendationerna saknar svar i källan", "RecommendationAnsweredShape", "timra-2020-rek-2", None),
    ("perstorp-kommun", "den lokala överenskommelsen revideras inte årligen (KPMG 2022, 3.1.6)", "RevisionOverdueShape", "lotsmodellen-nordostra-skane-2019", None),
    ("perstorp-kommun", "elevhälsan deltar inte i konsultationsmötena (3.3.1.4, 3.3.3)", "dokumenterad-iakttagelse", "perstorp-konsultationsmoten", "part saknas"),
    ("perstorp-kommun", "det varierar vem som sammankallar lotsmöten (3.3.1.2)", "forum-ofullstandigt", "perstorp-lotsmoten", None),
    ("leksand-kommun", "ingen uppföljning till kommunstyrelsen (uppföljning 2023)", "dokumenterad-iakttagelse", "leksand-kommunstyrelsen", "ingen uppföljning"),
    ("hoor-kommun", "Ramöverenskommelsen är utformad före GDPR", "dokumenterad-iakttagelse", "ramoverenskommelsen-skane-2013", "föråldrad grund"),
    ("hoor-kommun", "Ramöverenskommelsen tydliggör inte gränsdragningen av ansvaret", "dokumenterad-iakttagelse", "ramoverenskommelsen-skane-2013", "oklart ansvar"),
    ("hoor-kommun", "nämnden avvisar rekommendationen om intern kontroll", "svar-avvisat-eller-forsenat", "hoor-2021-rek-4", None),
    # Höör's findings on Ramöverenskommelsen are not Trelleborg's: Trelleborg's answer to the
    # same Region Skåne audit never mentions Ramöverenskommelsen (issue 16, item 6).
    ("trelleborg-kommun", "skolans mandat i SIP är otydligt", "dokumenterad-iakttagelse", "sip", "oklart ansvar"),
]


@pytest.fixture(scope="module")
def bundled_reports(store):
    return {k: analyse(store, ID + k, DATE) for k in {row[0] for row in DOCUMENTED}}


@pytest.mark.parametrize("kommun,finding,kind,focus,detail", DOCUMENTED, ids=[f"{r[0]}: {r[1]}" for r in DOCUMENTED])
def test_documented_finding_is_reported(bundled_reports, kommun, finding, kind, focus, detail):
    assert has(bundled_reports[kommun], kind, focus, detail), finding


def test_every_gap_has_evidence_with_provenance_and_an_actor(bundled_reports):
    for report in bundled_reports.values():
        for gap in report.gaps:
            assert gap.texts and gap.evidence, gap
            assert any(e.sources for e in gap.evidence), gap
            assert gap.act or gap.kind == "flaskhals", gap


def test_a_reporters_own_follow_up_is_no_deadline_held_against_the_law(store):
    """Timrå 2020 (3.2): "det är upp till anmälare på skolan att följa upp en anmälan efter
    drygt två veckors tid" describes what the reporter does, with no deadline for anyone; it
    once stood as a `ska` duty with P14D and gave a false "hög" gap against SoL 19 kap. 6 §."""
    report = analyse(store, ID + "timra-kommun", DATE)
    assert not has(report, "lagen-skarpt", "timra-ifo-processer-anmalare-foljer-upp")
    # the practice itself is still in the graph, as a description
    assert store.ask(f"ASK {{ <{ID}timra-ifo-processer-anmalare-foljer-upp> <{AG}modality> <{AG}beskrivet_arbetssatt> }}")


# The Region Skåne audit lies behind both Höör's and Trelleborg's answers: each of its
# findings and recommendations names the one municipality whose source document states it.
SHARED_AUDIT = """
PREFIX ag: <https://w3id.org/ansvarsgraf/def#>
SELECT ?item ?kommun WHERE {
  VALUES ?doc { <https://w3id.org/ansvarsgraf/id/revision-region-skane-2021>
                <https://w3id.org/ansvarsgraf/id/kalla-hoor-2021>
                <https://w3id.org/ansvarsgraf/id/kalla-trelleborg-2021> }
  ?item ag:foundIn ?doc .
  OPTIONAL { ?item ag:concernsMunicipality ?kommun }
}"""


def test_findings_of_the_shared_region_skane_audit_name_their_municipality(store):
    rows = store.select(SHARED_AUDIT)
    by_item = {}
    for row in rows:
        by_item.setdefault(str(row["item"]).removeprefix(ID), set()).add(str(row["kommun"]).removeprefix(ID) if row["kommun"] else None)
    assert len(by_item) >= 20, by_item
    for item, kommuner in by_item.items():
        expected = "trelleborg-kommun" if item.startswith("trelleborg-") else "hoor-kommun"
        assert kommuner == {expected}, (item, kommuner)


# --- every kind, on the fixture ---------------------------------------------------------

@pytest.fixture(scope="module")
def fixture_loaded():
    """The gap fixture with the bundled data, read once (2 s): the reports, the one-week rule
    and validate read it; none changes it."""
    return load_data(paths=[FIXTURE], base_paths=[DATA_DIR])


@pytest.fixture(scope="module")
def fixture_store(fixture_loaded):
    return OxigraphStore.from_loaded(fixture_loaded)


@pytest.fixture(scope="module")
def fixture_reports(fixture_store):
    return {name: analyse(fixture_store, ID + f"fx-{name}-kommun", DATE) for name in ("provby", "kontrollby")}


# kind → (focus that must fire in Provby, focus that must not fire in Kontrollby)
EVERY_KIND = {
    "lagstadgad-uppgift-utan-lokal-barare": ("kalla-till-sip", "kalla-till-sip"),
    "flera-ansvariga-utan-samordning": ("folja-upp-placering", "folja-upp-placering"),
    "forum-ofullstandigt": ("fx-provby-forum", "fx-kontrollby-styrgrupp"),
    "ingen-avvikelsehantering": ("fx-provby-avtal", "fx-kontrollby-avtal"),
    "inget-revideringsintervall": ("fx-provby-avtal", "fx-kontrollby-avtal"),
    "lagen-skarpt": ("fx-provby-aterkoppling", "fx-kontrollby-aterkoppling"),
    "svar-avvisat-eller-forsenat": ("fx-rek-provby-avvisad", "fx-rek-kontrollby"),
    "dokumenterad-iakttagelse": ("fx-provby-avtal", "fx-kontrollby-avtal"),
    "RevisionOverdueShape": ("fx-provby-rutin", "fx-kontrollby-avtal"),
    "CitesRepealedShape": ("fx-provby-avtal", "fx-kontrollby-avtal"),
    "RecommendationAnsweredShape": ("fx-rek-provby-utan-svar", "fx-rek-kontrollby"),
    "UndatedAgreementShape": ("fx-provby-odaterad", "fx-kontrollby-avtal"),
    "eskalering-i-ring": ("fx-provby-rutin", "fx-kontrollby-avtal"),
    "eskalering-slutar": ("fx-provby-odaterad", "fx-kontrollby-avtal"),
    "flaskhals": ("fx-provby-samordnare", "fx-kontrollby-enhet-b"),
}


def test_every_kind_of_gap_is_covered():
    kinds = {r.name for r in rules()} | {name for name, *_ in warning_shapes()} | {"eskalering-i-ring", "eskalering-slutar", "flaskhals"}
    assert kinds == set(EVERY_KIND)


@pytest.mark.parametrize("kind", sorted(EVERY_KIND))
def test_gap_fires_in_provby_and_not_in_kontrollby(fixture_reports, kind):
    fires, quiet = EVERY_KIND[kind]
    assert has(fixture_reports["provby"], kind, fires), [f"{g.kind} {g.focus.iri}" for g in fixture_reports["provby"].gaps]
    assert not has(fixture_reports["kontrollby"], kind, quiet)


def test_the_one_week_rule_applies_only_from_2026_01_15(fixture_store):
    before = analyse(fixture_store, ID + "fx-provby-kommun", dt.date(2025, 12, 1))
    after = analyse(fixture_store, ID + "fx-provby-kommun", dt.date(2026, 2, 1))
    assert not has(before, "lagen-skarpt", "fx-provby-aterkoppling")
    assert has(after, "lagen-skarpt", "fx-provby-aterkoppling")


def test_report_formats(fixture_reports):
    reports = list(fixture_reports.values())
    csv_text = render_csv(reports)
    assert csv_text.splitlines()[0].startswith("kommun,datum,allvarlighet")
    assert len(csv_text.splitlines()) == 1 + sum(len(r.gaps) for r in reports)
    html = render_html(reports)
    assert html.startswith("<!doctype html>") and "Provby kommun" in html and "<style>" in html
    assert json.loads(json.dumps([r.as_dict() for r in reports]))[0]["gaps"]


def test_the_csv_columns_are_read_by_name(fixture_reports):
    """A spreadsheet or script reads the CSV by its column names: each named column holds
    that field of the gap (mutation run, issue 20: a renamed column passed)."""
    import csv
    import io

    report = fixture_reports["provby"]
    rows = list(csv.DictReader(io.StringIO(render_csv([report]))))
    assert len(rows) == len(report.gaps)
    for row, gap in zip(rows, report.gaps):
        assert (row["kommun"], row["datum"], row["allvarlighet"], row["lucka"], row["typ"], row["gäller"]) == \
            (report.municipality.label, report.date, gap.severity, gap.title, gap.kind, gap.focus.label)
        assert row["förklaring"] == " ".join(gap.texts) and row["rubrik"] == gap.heading
        assert row["bör_åtgärdas_av"] == "; ".join(a.label for a in gap.act)
        assert row["belägg"] == "; ".join(e.node.label for e in gap.evidence)
        assert row["källor"] == "; ".join(s.label for e in gap.evidence for s in e.sources)
        assert row["datavarningar"] == " ".join(gap.data_warnings)


def test_a_rejected_recommendation_shows_the_boards_answer_and_its_stance(fixture_reports):
    """The evidence of a rejected recommendation is the board's answer, named by the board
    and what it answered (mutation run, issue 20: dropping the stance passed)."""
    (gap,) = [g for g in fixture_reports["provby"].gaps if g.kind == "svar-avvisat-eller-forsenat"]
    assert [e.node.label for e in gap.evidence] == ["Svar från Socialnämnden i Provby: avvisar"]
    # The heading names the whole board that rejects, not its first word.
    assert gap.heading == ("Provby kommun: Socialnämnden i Provby avvisar rekommendationen "
                           "”Nämnden bör föra in målen i internkontrollplanen”")


def test_headings_cut_long_evidence_and_name_a_repeal_they_cannot_place():
    """A heading stays readable: the evidence it names is cut at a word within 80 characters,
    and a document tied to a repealed law whose section the texts do not name is tied to "upphävd
    bestämmelse" (ontology/vocabularies.ttl; mutation run, issue 20: other limits and words passed)."""
    from ansvarsgraf.gaps import Evidence, Gap, with_headings
    from ansvarsgraf.results import Ref

    long = "Återkoppling till anmälaren sker skriftligen av den handläggare som har ansvar för ärendet efter beslutet"
    sharper = Gap("lagen-skarpt", "lagen skärpt", "hög", Ref(ID + "r", "R"), [], [Evidence(Ref(ID + "e", long), [])])
    repeal = Gap("CitesRepealedShape", "hänvisning", "medel", Ref(ID + "a", "Avtalet"), ["Avtalet nämner en lag som upphävts."])
    with_headings(Ref(ID + "k", "K kommun"), [sharper, repeal])
    assert sharper.heading == ("K kommun: den lokala rutinen ger en längre frist än lagen kräver för "
                               "återkoppling till anmälaren sker skriftligen av den handläggare som har ansvar …")
    assert repeal.heading == "K kommun: Avtalet är knuten till upphävd bestämmelse"
    # A quote keeps the source's line breaks and double spaces; the heading is one line,
    # cut at a word whatever the space before it was.
    broken = Gap("lagen-skarpt", "lagen skärpt", "hög", Ref(ID + "r", "R"), [],
                 [Evidence(Ref(ID + "e", long.replace("skriftligen av", "skriftligen\nav").replace(" har ", "  har\n")), [])])
    with_headings(Ref(ID + "k", "K kommun"), [broken])
    assert broken.heading == sharper.heading


def test_one_finding_about_two_units_gives_two_headings_told_apart():
    """One finding about two units is two gaps; their headings would be the same, so each
    names its unit (mutation run, issue 20: headings left alike passed)."""
    from ansvarsgraf.gaps import Gap, with_headings
    from ansvarsgraf.results import Ref

    gaps = [Gap("dokumenterad-iakttagelse", "iakttagelse", "medel", Ref(ID + unit, name), ["Ansvaret är oklart."])
            for unit, name in (("a", "Enhet A"), ("b", "Enhet B"))]
    with_headings(Ref(ID + "k", "K kommun"), gaps)
    assert [g.heading for g in gaps] == ["K kommun: Ansvaret är oklart (Enhet A)", "K kommun: Ansvaret är oklart (Enhet B)"]


def test_a_severity_the_order_does_not_know_is_summarised_last():
    """A rule file's `# Allvarlighet:` is free text: a word outside hög/medel/låg/info (a new
    or misspelt one) is summarised after the known ones instead of failing the report
    (mutation run, issue 20)."""
    from ansvarsgraf.gaps import Gap, GapReport
    from ansvarsgraf.results import Ref

    def gap(severity, title):
        return Gap("regel", title, severity, Ref(ID + "x", "X"), [])

    report = GapReport(Ref(ID + "k", "K"), "2026-03-01", [gap("kritisk", "A"), gap("låg", "B"), gap("hög", "C")])
    assert [r["severity"] for r in report.summary()] == ["hög", "låg", "kritisk"]


def test_gaps_api_and_page(store):
    from fastapi.testclient import TestClient

    from ansvarsgraf.web.app import create_app

    client = TestClient(create_app(store))
    body = client.get("/api/gaps", params={"kommun": "Timrå", "datum": "2026-03-01"}).json()
    assert body["municipality"]["label"] == "Timrå kommun" and body["gaps"]
    assert client.get("/api/gaps", params={"kommun": "Atlantis"}).status_code == 404
    page = client.get("/luckor", params={"kommun": "timra-kommun", "datum": "2026-03-01"})
    assert page.status_code == 200 and "MITTBUS" in page.text
    answer = client.get("/svar", params={"uppgift": "aterkoppla-till-anmalare", "kommun": "timra-kommun", "datum": "2026-03-01"})
    assert "Ansvarsluckor berör svaret" in answer.text and "/luckor?kommun=timra-kommun" in answer.text


def test_specialised_rules_find_what_the_reference_rules_find(store):
    if not store.inline_tables:
        pytest.skip("SPARQL-servrar kör reglerna som de är skrivna")
    """The engine replaces each rule's marked tree walk with the set from the organisation
    index; the rule as written (complete SPARQL) is the reference. Same rows everywhere."""
    import rdflib

    from ansvarsgraf.catalog import catalog_for
    from ansvarsgraf.gaps import DUTIES_PER_ACTOR, INSTRUMENTS_IN_MUNICIPALITY, Rule, rules, specialise

    catalog = catalog_for(store)
    marked = [r for r in rules() if "# ersätts:" in r.text or "# ersätts till slut:" in r.text]
    assert len(marked) >= 7
    marked += [Rule(name, name, "", text) for name, text in
               (("dokument-med-eskalering", INSTRUMENTS_IN_MUNICIPALITY), ("ataganden-per-aktor", DUTIES_PER_ACTOR))]
    found = 0
    for kommun in sorted(catalog.by_iri):
        for on_date in (dt.date(2024, 6, 1), dt.date(2026, 3, 1)):
            bindings = {"kommun": rdflib.URIRef(kommun), "datum": rdflib.Literal(on_date.isoformat(), datatype=rdflib.XSD.date)}
            for rule in marked:
                # As sets: the gap analysis groups rows; how often a row repeats carries nothing.
                rows = lambda text: sorted({tuple(sorted((k, str(v)) for k, v in r.items() if v is not None))  # noqa: E731
                                            for r in store.select(text, bindings)})
                expected = rows(rule.text)
                assert rows(specialise(rule.text, catalog.organisations, kommun, on_date)) == expected, (rule.name, kommun, on_date)
                found += len(expected)
    assert found  # the rules fire somewhere in the data


def test_servers_give_the_duties_per_actor_of_the_embedded_store(server_store, embedded):
    """The bottleneck analysis reads the duties per actor; a SPARQL server runs the query as
    written and must give the embedded store's rows, each as often (Virtuoso 7.2.5 repeated
    rows, or gave another set, for the form with OPTIONALs between two UNIONs; docs/drift.md)."""
    from collections import Counter

    import rdflib

    from ansvarsgraf.catalog import catalog_for
    from ansvarsgraf.gaps import DUTIES_PER_ACTOR

    found = 0
    for kommun in sorted(catalog_for(embedded).by_iri):
        bindings = {"kommun": rdflib.URIRef(kommun)}
        rows = lambda store: Counter(tuple(sorted((k, str(v)) for k, v in r.items() if v is not None))  # noqa: E731
                                     for r in store.select(DUTIES_PER_ACTOR, bindings))
        expected = rows(embedded)
        assert rows(server_store) == expected, kommun
        found += sum(expected.values())
    assert found


def test_exists_marked_as_optional_runs_as_an_optional_on_the_embedded_engine():
    """The rules that took minutes at scale on the embedded engine (an EXISTS it does not plan)
    carry `# som valfri: ?var`; the specialised text has the OPTIONAL and no EXISTS there, and a
    misplaced marker is an error naming it, not a silently different rule."""
    from ansvarsgraf.gaps import rules, specialise

    class NoSets:  # the rules' tree walks are not what is checked here
        def __getattr__(self, name):
            return lambda *args: []

    marked = {r.name: r for r in rules() if "# som valfri:" in r.text}
    assert {"flera-ansvariga-utan-samordning", "lagstadgad-uppgift-utan-lokal-barare"} <= set(marked)
    text = specialise(marked["lagstadgad-uppgift-utan-lokal-barare"].text, NoSets(), "urn:k", dt.date(2026, 3, 1))
    assert "OPTIONAL {\n    ?lokal ag:establishedBy" in text and "FILTER(!BOUND(?lokal))" in text
    text = specialise(marked["flera-ansvariga-utan-samordning"].text, NoSets(), "urn:k", dt.date(2026, 3, 1))
    assert "FILTER(BOUND(?d))" in text and "FILTER(!BOUND(?s))" in text and "FILTER EXISTS {\n    ?d" not in text
    # Every other line is kept as written, the first too (a rule text may begin with its query).
    text = specialise("SELECT * WHERE {\n  # som valfri: ?x\n  FILTER NOT EXISTS {\n    ?x a ?y .\n  }\n}",
                      NoSets(), "urn:k", dt.date(2026, 3, 1))
    assert text.splitlines()[0] == "SELECT * WHERE {" and text.splitlines()[-2:] == ["  FILTER(!BOUND(?x))", "}"]
    for broken, says in (("  # som valfri: ?x\n  ?x a ?y .\n", "står inte ovanför"),
                         ("  # som valfri: ?x\n  FILTER EXISTS {\n    ?x a ?y .\n", "slutar inte"),
                         ("  # som valfri: ?x\n  FILTER EXISTS {\n    ?z a ?y .\n  }\n", "binder inte ?x")):
        with pytest.raises(ValueError, match=re.escape(says)):
            specialise(f"SELECT * WHERE {{\n{broken}}}", NoSets(), "urn:k", dt.date(2026, 3, 1))
    with pytest.raises(ValueError, match="står inte ovanför"):  # a marker on the text's last line
        specialise("SELECT * WHERE { ?x a ?y }\n# som valfri: ?x", NoSets(), "urn:k", dt.date(2026, 3, 1))


# --- findings where they belong (issue 16, point 6) --------------------------------------
# Norrby and Söderby share one report (as Höör and Trelleborg share Region Skåne's audit).

SHARED_REPORT = Path(__file__).parent / "data" / "luckor" / "dokumenterad-iakttagelse.yaml"


@pytest.fixture(scope="module")
def shared_reports():
    store = OxigraphStore.from_loaded(load_data(paths=[SHARED_REPORT], base_paths=[DATA_DIR]))
    return {name: analyse(store, ID + f"fx-dk-{name}-kommun", DATE) for name in ("norr", "syd")}


def _gaps(report, kind, focus):
    return [g for g in report.gaps if g.kind == kind and g.focus.iri == ID + focus]


def test_who_should_act_on_a_finding_is_the_addressee_the_source_names(shared_reports):
    """The report concerns the education boards, but its recommendation about deviations is
    addressed to the social welfare board: that board should act, not the one audited."""
    (gap,) = _gaps(shared_reports["norr"], "dokumenterad-iakttagelse", "hantera-avvikelse")
    assert [a.iri for a in gap.act] == [ID + "fx-dk-norr-socialnamnden"]


def test_a_finding_without_municipalities_is_shown_with_a_data_warning(shared_reports):
    for report in shared_reports.values():
        (gap,) = _gaps(report, "dokumenterad-iakttagelse", "forebyggande-arbete")
        assert gap.data_warnings and "kommuner saknas" in gap.data_warnings[0]
        assert "Datavarning: Iakttagelsen anger inte vilka kommuner" in render_text(report)
    (named,) = _gaps(shared_reports["norr"], "dokumenterad-iakttagelse", "hantera-avvikelse")
    assert not named.data_warnings
    assert "Datavarning" in render_html([shared_reports["norr"]])


def test_a_recommendation_of_a_shared_report_belongs_to_its_own_municipality(shared_reports):
    (gap,) = _gaps(shared_reports["norr"], "RecommendationAnsweredShape", "fx-dk-norr-rek")
    assert [a.iri for a in gap.act] == [ID + "fx-dk-norr-socialnamnden"]
    assert not _gaps(shared_reports["syd"], "RecommendationAnsweredShape", "fx-dk-norr-rek")
    # One recommendation to both municipalities' boards: each report names its own board.
    for name in ("norr", "syd"):
        (shared,) = _gaps(shared_reports[name], "RecommendationAnsweredShape", "fx-dk-gemensam-rek")
        assert [a.iri for a in shared.act] == [ID + f"fx-dk-{name}-socialnamnden"]


# --- support per statement (issue 16, point 8) -------------------------------------------

@pytest.fixture(scope="module")
def support_report():
    fixture = Path(__file__).parent / "data" / "luckor-stod" / "hanvisningar.yaml"
    store = OxigraphStore.from_loaded(load_data(paths=[fixture], base_paths=[DATA_DIR]))
    # After the day its web page was read (2026-11-20): a report for an earlier day holds only
    # support written by then (issue 14), and this fixture is about how each kind is shown.
    return analyse(store, ID + "fx-st-kommun", dt.date(2026, 12, 10))


def _repealed(report, focus):
    (gap,) = _gaps(report, "CitesRepealedShape", focus)
    return gap


def test_only_a_reference_the_source_makes_is_said_to_be_the_documents(support_report):
    quoted = _repealed(support_report, "fx-st-citat")
    assert quoted.texts[0].startswith("Dokumentet hänvisar till SoL (2001:453) 5 kap. 1 a §")
    assert "hänvisar till upphävd" in quoted.heading
    (said,) = [s for e in quoted.evidence for s in e.support if s.kind == "källa"]
    assert said.text.startswith("Källan säger: «Socialtjänstlagen, SFS (2001:453)»")
    for focus, words in (("fx-st-slutsats", "Enligt modellerarens slutsats (skäl: Rutinen handlar om samverkan kring barn"),
                         ("fx-st-annan", "Enligt Stödby kommuns webbsida om rutinen (https://example.org/stodby/rutin, läst 2026-11-20)"),
                         ("fx-st-utan", "Utan angivet stöd har modelleraren knutit dokumentet till")):
        gap = _repealed(support_report, focus)
        assert gap.texts[0].startswith(words), gap.texts
        assert "hänvisar till" not in " ".join(gap.texts) + gap.heading, (focus, gap.texts, gap.heading)


def test_the_report_shows_source_words_and_conclusions_differently(support_report):
    text = render_text(support_report)
    assert "lagrum (SoL (2001:453) 5 kap. 1 a §): Källan säger: «Socialtjänstlagen, SFS (2001:453)»" in text
    assert "lagrum (SoL (2001:453) 5 kap. 1 a §): Slutsats: SoL (2001:453) 5 kap. 1 a § (skäl: Rutinen handlar" in text
    html = render_html([support_report])
    assert 'class="support-source"' in html and 'class="support-conclusion"' in html and 'class="support-named"' in html
    assert '<span class="said">Källan säger:</span> <q>Socialtjänstlagen, SFS (2001:453)</q>' in html
    assert '<span class="concluded">Slutsats:</span>' in html


def test_the_gap_fixture_is_data_validate_accepts(fixture_loaded):
    """The gap rules are proven on data a jurist could have written: validate accepts the
    fixture as it accepts the bundled data, every shown value with its support (issue 16;
    it is invented, and its support says so)."""
    errors = [f for f in validate(fixture_loaded, DATE) if f.severity == "FEL" and (f.file or "").endswith(FIXTURE.name)]
    assert not errors, "\n".join(map(str, errors))


def test_every_kind_of_gap_has_its_heading_in_the_vocabulary():
    """The headings' wording is data (ag:GapKind in ontology/vocabularies.ttl), one entry per
    kind the analysis reports; a warning shape that is not a kind there is data quality
    (validate), never a gap."""
    from ansvarsgraf.vocabulary import GAP_HEADINGS

    kinds = set(EVERY_KIND) | {"ingen-giltig-version"}
    assert set(GAP_HEADINGS) == kinds
    assert all(GAP_HEADINGS[k][0] for k in kinds), [k for k in kinds if not GAP_HEADINGS[k][0]]
    assert not {"UnsupportedStatementShape", "InventedDayShape"} & {name for name, *_ in warning_shapes()}


def test_every_warning_shape_is_either_about_the_data_or_a_gap_kind_with_a_heading():
    """A new warning shape must be marked ags:aboutTheData (validate's) or get a heading as
    ag:GapKind; otherwise it would reach the report without wording, or be lost."""
    from rdflib.namespace import SH

    from ansvarsgraf.shape_queries import ABOUT_THE_DATA
    from ansvarsgraf.validation import load_shapes
    from ansvarsgraf.vocabulary import GAP_HEADINGS

    shapes = load_shapes()
    for shape in shapes.subjects(SH.severity, SH.Warning):
        name = str(shape).rsplit("#", 1)[-1]
        about_data = shapes.value(shape, ABOUT_THE_DATA) is not None
        assert about_data != (name in GAP_HEADINGS), name
