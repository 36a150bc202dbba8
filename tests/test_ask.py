"""`ask` answers the questions staff ask, with the citations behind each answer.

Every expectation here is a fact from the sources (the seed documents, LAW-NOTES) that the
answer must reach through the graph; none is read back from the code.
"""

import datetime as dt

import pytest

from ansvarsgraf.answering import answer_question, answer_task
from ansvarsgraf.catalog import catalog_for
from ansvarsgraf.results import UnknownMunicipalityError
from ansvarsgraf.privacy import PersonalDataError
from fall import check, load_cases, written_cases

ID = "https://w3id.org/ansvarsgraf/id/"
NEW_SOL = "https://lagen.nu/2025:400#"
OLD_SOL = "https://lagen.nu/2001:453#"
SPRING_2026 = dt.date(2026, 3, 1)


def ask(store, question, kommun, date=SPRING_2026):
    return answer_question(store, question, kommun, date)


def bearer_iris(duty):
    return [b.actor.iri for b in duty.bearers]


def in_force(duty):
    return {(b.in_force or b.cited).iri for b in duty.legal_basis}


def test_every_case_holds(store):
    """The legal expectations, one sentence each (tests/data/fall/*.yaml): every case is
    asked and compared, and every case written in the files is among those that ran."""
    cases, ran, failures = load_cases(), 0, {}
    for case in cases:
        if misses := check(store, case):
            failures[f"{case['var']}: {case['mening']}"] = misses
        ran += 1
    assert not failures, "\n".join(f"{case}\n  " + "\n  ".join(misses) for case, misses in failures.items())
    assert ran == written_cases() >= 13, (ran, written_cases())


def test_the_reporters_own_follow_up_in_timra_is_described_practice_without_deadline(store):
    """Timrå 2020 (3.2): "det är upp till anmälare på skolan att följa upp en anmälan efter
    drygt två veckors tid" describes practice; it is not answered as an obligation with a
    14-day deadline."""
    answer = answer_task(store, ID + "aterkoppla-till-anmalare", ID + "timra-kommun", dt.date(2026, 3, 1))
    duty = next(d for d in answer.duties if d.iri == ID + "timra-ifo-processer-anmalare-foljer-upp")
    assert duty.modality == "beskrivet arbetssätt" and not duty.deadline
    intake = next(d for d in answer.duties if d.iri == ID + "timra-ifo-processer-aterkoppla-till-anmalare")
    assert intake.modality == "ska"  # "mottagningsgruppen ska återkoppla": the source's own ska


def test_timras_skip_is_not_returned_before_2019_nor_its_practice_before_it_was_observed(store):
    """SKIP "upprättades under 2019": asked about 2018 it is not there. Its process is known
    only from the audit of 2020-10-13 (observerad), so an answer for mid-2019 does not claim
    what the process was then (docs/model.md: a duty observed, with no start of its own,
    applies from the observation); from the audit's day it is there."""
    before = answer_task(store, ID + "skip", ID + "timra-kommun", dt.date(2018, 6, 1))
    during = answer_task(store, ID + "skip", ID + "timra-kommun", dt.date(2019, 6, 1))
    observed = answer_task(store, ID + "skip", ID + "timra-kommun", dt.date(2020, 10, 13))
    assert not any(d.iri.startswith(ID + "timra-skip") for d in before.duties)
    assert not any(d.iri == ID + "timra-skip-initiera" for d in during.duties)
    assert any(d.iri == ID + "timra-skip-initiera" for d in observed.duties)


def test_nothing_modelled_is_said_plainly_with_the_statutory_fallback(store):
    """How the answer says it (tests/data/fall/leksand.yaml holds that nothing is modelled)."""
    answer = ask(store, "Vem kontaktar skolan när ett barn placeras i en annan kommun?", "Leksand")
    assert answer.status == "ingen_ansvarig" and not answer.duties
    assert "Ingen ansvarig aktör är modellerad" in answer.message
    assert answer.fallback and all(p.url.startswith("https://lagen.nu/") for p in answer.fallback)


def test_a_question_about_nothing_in_the_graph(store):
    answer = ask(store, "Vem ansvarar för snöröjningen vid skolan?", "Timrå")
    assert answer.status == "okand_fraga" and not answer.duties


def test_ambiguous_question_lists_candidates(store):
    answer = ask(store, "uppföljning", "Timrå")
    assert answer.status == "tvetydig"
    assert len(answer.candidates) >= 2 and not answer.duties


def test_unknown_municipality_is_refused_with_suggestions(store):
    with pytest.raises(UnknownMunicipalityError) as caught:
        ask(store, "vem kallar till SIP", "Timro")
    assert "Timrå kommun" in caught.value.suggestions


@pytest.mark.parametrize("number", ["19121212-1212", "121212-1212", "1212121212", "201212121212", "19121272+1212"])
def test_identity_numbers_are_refused(store, number):
    with pytest.raises(PersonalDataError):
        ask(store, f"vem ska kalla till SIP för {number}?", "Timrå")


def test_every_answer_carries_a_source(embedded):
    """Every duty of every task, in every municipality, names its source; the check counts
    the duties it saw, so an answer without duties cannot pass it. On the embedded store:
    the servers give the same answers, sources included, field for field
    (test_answer_engine.test_every_store_gives_the_same_answers)."""
    catalog = catalog_for(embedded)
    seen = 0
    for kommun in sorted({ref.iri for ref in catalog.municipalities.values()}):
        for task in sorted(catalog.task_labels):
            for duty in answer_task(embedded, task, kommun, SPRING_2026).duties:
                assert duty.sources, duty.iri
                seen += 1
    assert seen >= 100, seen


def test_a_shared_duty_names_every_bearer_in_text_page_and_chain(store):
    """Timrå's SKIP may be initiated by socialförvaltningen or by the school: a reader who
    sees only one of them is told the other has no part in it."""
    from fastapi.testclient import TestClient

    from ansvarsgraf.cli_text import render_text
    from ansvarsgraf.graph_view import chain
    from ansvarsgraf.web.app import create_app

    answer = answer_task(store, ID + "skip", ID + "timra-kommun", dt.date(2021, 1, 1))
    duty = next(d for d in answer.duties if d.iri == ID + "timra-skip-initiera")
    both = [ID + "timra-barn-och-utbildningsforvaltningen", ID + "timra-socialforvaltningen"]
    assert bearer_iris(duty) == both
    assert all(b.organisation_path and b.organisation_path[-1].iri == ID + "timra-kommun" for b in duty.bearers)
    names = [b.actor.label for b in duty.bearers]
    text = render_text(answer)
    assert all(name in text for name in names)
    view = chain(answer)
    assert all(iri in view.nodes for iri in both)
    page = TestClient(create_app(store)).get("/svar", params={"uppgift": "skip", "kommun": "timra-kommun", "datum": "2021-01-01"})
    assert page.status_code == 200
    assert all(name in page.text for name in names)


# --- findings about the asked task (issue 16, point 6) -----------------------------------
# Norrby and Söderby share one report dated 2021-02 (tests/data/luckor/dokumenterad-iakttagelse.yaml).

@pytest.fixture(scope="module")
def shared_report():
    from pathlib import Path

    from ansvarsgraf.dataset import DATA_DIR, load_data
    from ansvarsgraf.embedded_store import OxigraphStore

    fixture = Path(__file__).parent / "data" / "luckor" / "dokumenterad-iakttagelse.yaml"
    return OxigraphStore.from_loaded(load_data(paths=[fixture], base_paths=[DATA_DIR]))


def finding_texts(answer):
    return [f.text for f in answer.findings]


def test_an_answer_shows_what_the_audit_found_about_the_task_even_without_an_actor(shared_report):
    norr = answer_task(shared_report, ID + "hantera-avvikelse", ID + "fx-dk-norr-kommun", SPRING_2026)
    assert norr.status == "ingen_ansvarig"
    assert finding_texts(norr) == ["Granskningen 2021-02 konstaterar: Avvikelser rapporteras inte inom socialtjänsten i Norrby."]
    assert norr.findings[0].report.iri == ID + "fx-dk-rapport" and not norr.findings[0].data_warning
    # The same report, the other municipality: not its finding.
    syd = answer_task(shared_report, ID + "hantera-avvikelse", ID + "fx-dk-syd-kommun", SPRING_2026)
    assert not syd.findings


def test_a_finding_is_not_shown_before_its_report_was_written(shared_report):
    for day, shown in ((dt.date(2021, 1, 31), False), (dt.date(2021, 2, 1), True)):
        answer = answer_task(shared_report, ID + "hantera-avvikelse", ID + "fx-dk-norr-kommun", day)
        assert bool(answer.findings) == shown, day


def test_a_finding_without_municipalities_is_shown_by_its_report_with_a_data_warning(shared_report):
    for kommun in ("fx-dk-norr-kommun", "fx-dk-syd-kommun"):
        answer = answer_task(shared_report, ID + "forebyggande-arbete", ID + kommun, SPRING_2026)
        (finding,) = answer.findings
        assert "Det förebyggande arbetet saknar plan." in finding.text and "kommuner saknas" in finding.data_warning


def test_a_duty_on_a_shared_document_carries_only_its_own_municipalitys_findings(shared_report):
    about = "I Norrby vet personalen inte vem som erbjuder konsultation"
    warnings = lambda kommun: [w.text for d in answer_task(shared_report, ID + "konsultation", ID + kommun,  # noqa: E731
                                                           SPRING_2026).duties for w in d.warnings]
    assert any(about in w for w in warnings("fx-dk-norr-kommun"))
    assert not any(about in w for w in warnings("fx-dk-syd-kommun"))


def test_findings_reach_the_cli_text_the_json_and_the_staff_page(shared_report):
    from fastapi.testclient import TestClient

    from ansvarsgraf.cli_text import render_text
    from ansvarsgraf.web.app import create_app

    answer = answer_task(shared_report, ID + "hantera-avvikelse", ID + "fx-dk-norr-kommun", SPRING_2026)
    text = render_text(answer)
    assert "Iakttagelser om uppgiften:" in text and "Granskningen 2021-02 konstaterar: Avvikelser rapporteras inte" in text
    assert answer.as_dict()["findings"][0]["report_date"] == "2021-02"
    client = TestClient(create_app(shared_report))
    body = client.get("/api/answer", params={"uppgift": "hantera-avvikelse", "kommun": "fx-dk-norr-kommun",
                                             "datum": "2026-03-01"})
    assert body.status_code == 200 and body.json()["findings"][0]["description"].startswith("Avvikelser rapporteras inte")
    page = client.get("/svar", params={"uppgift": "hantera-avvikelse", "kommun": "fx-dk-norr-kommun", "datum": "2026-03-01"})
    assert "Iakttagelser om uppgiften" in page.text and "Avvikelser rapporteras inte inom socialtjänsten i Norrby" in page.text
