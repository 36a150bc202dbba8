"""`ask` answers the questions staff ask, with the citations behind each answer.

Every expectation here is a fact from the sources (the seed documents, LAW-NOTES) that the
answer must reach through the graph; none is read back from the code.
"""

import datetime as dt

import pytest

from ansvarsgraf.answer import UnknownMunicipalityError, answer_question, answer_task
from ansvarsgraf.privacy import PersonalDataError

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


def test_meeting_after_a_report_is_offered_by_the_social_board(store):
    answer = ask(store, "Vem ska erbjuda barnet, vårdnadshavaren och anmälaren ett möte efter en orosanmälan?", "Timrå")
    assert answer.status == "besvarad"
    assert answer.tasks[0]["iri"] == ID + "erbjuda-mote-efter-anmalan"
    duty = next(d for d in answer.duties if bearer_iris(d) == [ID + "roll-socialnamnden"])
    assert duty.modality == "bör"
    assert NEW_SOL + "K19P5" in in_force(duty)
    assert [r.iri for r in duty.bearers[0].fulfilled_by] == [ID + "timra-socialnamnden"]
    basis = next(b for b in duty.legal_basis if b.in_force.iri == NEW_SOL + "K19P5")
    assert OLD_SOL + "K14P1a" in [p.iri for p in basis.replaced]
    assert basis.in_force.url.startswith("https://lagen.nu/")


@pytest.mark.parametrize("date,expected,absent", [
    (dt.date(2024, 5, 1), OLD_SOL + "K14P1a", NEW_SOL + "K19P5"),
    (dt.date(2026, 3, 1), NEW_SOL + "K19P5", OLD_SOL + "K14P1a"),
])
def test_the_section_in_force_on_the_date_is_cited(store, date, expected, absent):
    answer = ask(store, "vem erbjuder möte efter en orosanmälan", "Perstorp", date)
    cited = set().union(*(in_force(d) for d in answer.duties))
    assert expected in cited and absent not in cited


def test_open_preschool_at_familjens_hus_in_perstorp(store):
    answer = ask(store, "Vem driver öppna förskolan på Familjens hus?", "Perstorp")
    assert answer.tasks[0]["iri"] == ID + "oppen-forskola"
    bearers = {b for d in answer.duties for b in bearer_iris(d)}
    assert any("barn-och-utbildning" in b for b in bearers), bearers
    duty = answer.duties[0]
    assert duty.sources and "3.3.1.1" in " ".join(s.label for s in duty.sources)
    assert any(w.kind == "praxis" for w in duty.warnings)


def test_deviations_in_lotsmodellen_go_to_the_coordinators(store):
    answer = ask(store, "Vem tar emot avvikelser i lotsmodellen?", "Perstorp")
    receivers = [d for d in answer.duties if d.part == "tar emot"]
    assert receivers and all("samordnare" in b.actor.label.lower() for d in receivers for b in d.bearers)
    assert receivers[0].instrument.iri == ID + "lotsmodellen-nordostra-skane-2019"
    assert receivers[0].escalation
    assert any(w.kind == "ej_reviderad" for w in receivers[0].warnings)


def test_parties_of_ramoverenskommelsen(store):
    answer = ask(store, "Vilka parter har undertecknat Ramöverenskommelsen?", "Höör")
    card = next(c for c in answer.instruments if c.iri == ID + "ramoverenskommelsen-skane-2013")
    assert {p.iri for p in card.parties} == {ID + "region-skane", ID + "kommunforbundet-skane"}
    assert card.signed == "2013-06-10"
    assert card.applies_in_municipality
    assert card.sources


def test_ramoverenskommelsen_in_2026_cites_the_new_sol(store):
    answer = ask(store, "Vilka parter har undertecknat Ramöverenskommelsen?", "Trelleborg")
    card = answer.instruments[0]
    cited = {(b.in_force or b.cited).iri for b in card.legal_basis}
    assert NEW_SOL + "K7P2" in cited and OLD_SOL + "K5P8a" not in cited


def test_school_may_convene_sip_in_timra_but_it_is_undocumented(store):
    answer = ask(store, "Vem ska kalla till SIP när skolan är orolig?", "Timrå")
    assert answer.tasks[0]["iri"] == ID + "kalla-till-sip"
    school = [d for d in answer.duties if any("utbildning" in b for b in bearer_iris(d)) and d.modality == "får"]
    assert school
    assert any(w.kind == "ej dokumenterad" for w in school[0].warnings)
    statutory = [d for d in answer.duties if d.instrument is None]
    assert {b for d in statutory for b in bearer_iris(d)} >= {ID + "roll-kommunen", ID + "roll-regionen"}
    region = next(d for d in statutory if bearer_iris(d) == [ID + "roll-regionen"])
    assert [r.iri for r in region.bearers[0].fulfilled_by] == [ID + "region-vasternorrland"]


def test_feedback_to_reporter_changes_on_2026_01_15(store):
    before = answer_task(store, ID + "aterkoppla-till-anmalare", ID + "timra-kommun", dt.date(2025, 12, 1))
    after = answer_task(store, ID + "aterkoppla-till-anmalare", ID + "timra-kommun", dt.date(2026, 2, 1))
    statutory_after = [d for d in after.duties if d.instrument is None]
    assert any(d.deadline and "vecka" in d.deadline for d in statutory_after)
    statutory_before = [d for d in before.duties if d.instrument is None]
    assert not any(d.deadline and "vecka" in d.deadline for d in statutory_before)


def test_the_reporters_own_follow_up_in_timra_is_described_practice_without_deadline(store):
    """Timrå 2020 (3.2): "det är upp till anmälare på skolan att följa upp en anmälan efter
    drygt två veckors tid" describes practice; it is not answered as an obligation with a
    14-day deadline."""
    answer = answer_task(store, ID + "aterkoppla-till-anmalare", ID + "timra-kommun", dt.date(2026, 3, 1))
    duty = next(d for d in answer.duties if d.iri == ID + "timra-ifo-processer-anmalare-foljer-upp")
    assert duty.modality == "beskrivet arbetssätt" and not duty.deadline
    intake = next(d for d in answer.duties if d.iri == ID + "timra-ifo-processer-aterkoppla-till-anmalare")
    assert intake.modality == "ska"  # "mottagningsgruppen ska återkoppla": the source's own ska


def test_timras_skip_is_not_returned_before_2019(store):
    """SKIP "upprättades under 2019": asked about 2018 it is not there, asked about mid-2019 it is."""
    before = answer_task(store, ID + "skip", ID + "timra-kommun", dt.date(2018, 6, 1))
    during = answer_task(store, ID + "skip", ID + "timra-kommun", dt.date(2019, 6, 1))
    assert not any(d.iri.startswith(ID + "timra-skip") for d in before.duties)
    assert any(d.iri == ID + "timra-skip-initiera" for d in during.duties)


def test_nothing_modelled_is_said_plainly_with_the_statutory_fallback(store):
    answer = ask(store, "Vem kontaktar skolan när ett barn placeras i en annan kommun?", "Leksand")
    assert answer.tasks[0]["iri"] == ID + "placerat-barns-skolgang"
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


def test_every_answer_carries_a_source(store):
    for question, kommun in [("vem kallar till SIP", "Leksand"), ("vem tar emot orosanmälan", "Timrå"),
                             ("vem ska revidera överenskommelsen", "Perstorp"), ("konsultationsmöte", "Perstorp")]:
        for duty in ask(store, question, kommun).duties:
            assert duty.sources, duty.iri


def test_a_shared_duty_names_every_bearer_in_text_page_and_chain(store):
    """Timrå's SKIP may be initiated by socialförvaltningen or by the school: a reader who
    sees only one of them is told the other has no part in it."""
    from fastapi.testclient import TestClient

    from ansvarsgraf.answer import render_text
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
