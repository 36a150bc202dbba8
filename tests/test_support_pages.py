"""Support shown beyond duties (issue 16, point 8): a document card, a finding, a unit's
budget responsibility and every /id page say for each value whether the source says it
(«quote», section) or the modeller concluded it (with the reason), visibly different, read
the same way answers read it (queries/stod.rq); a shown value without support says so.
"""

import datetime as dt
import re
import textwrap

from fastapi.testclient import TestClient

from ansvarsgraf.answering import answer_task
from ansvarsgraf.catalog import catalog_for
from ansvarsgraf.dataset import DATA_DIR, load_data
from ansvarsgraf.duties import DutyBuilder
from ansvarsgraf.embedded_store import OxigraphStore
from ansvarsgraf.web.app import create_app

ID = "https://w3id.org/ansvarsgraf/id/"
BUDGET_QUOTE = "Socialnämnden och barn- och utbildningsnämnden har delat budgetansvar för det mobila teamet."


def page(store, path):
    response = TestClient(create_app(store)).get(path)
    assert response.status_code == 200, response.text[:300]
    return response.text


def test_a_document_card_shows_the_support_of_its_parties_and_status(store):
    catalog = catalog_for(store)
    builder = DutyBuilder(store, catalog, catalog.municipality("timra-kommun"), dt.date(2021, 5, 1))
    (card,) = builder.instrument_cards([ID + "timra-skip"])
    by_field = {s.field: s for s in card.support}
    party, status = by_field["part"], by_field["status"]
    # Timrå's SKIP process names no party; "Timrå kommun" is the modeller's conclusion.
    assert party.kind == "slutsats" and party.text.startswith("Slutsats: Timrå kommun (skäl: ")
    assert status.kind == "källa" and status.text.startswith("Källan säger: «SKIP:en upprättades under 2019")
    assert "avsnitt 3.2" in status.text
    # The card shows parties, dates, status and law: the purpose's support belongs on the page.
    assert not [s for s in card.support if (s.quote or "").startswith("SKIP:en är inte till för")]


def test_the_unit_page_shows_budget_responsibility_with_its_quote(store):
    html = page(store, "/id/perstorp-mobila-teamet")
    assert "budgetansvar" in html.lower()
    assert f'<span class="said">Källan säger:</span> <q>{BUDGET_QUOTE}</q>' in html
    assert "Stöd saknas" not in html


def test_an_answer_listing_the_unit_shows_its_budget_holders_and_their_support(store):
    answer = answer_task(store, ID + "forebyggande-arbete", ID + "perstorp-kommun", dt.date(2023, 3, 1))
    bearers = [b for d in answer.duties for b in d.bearers if b.actor.iri == ID + "perstorp-mobila-teamet"]
    assert bearers, [b.actor.iri for d in answer.duties for b in d.bearers]
    budget = bearers[0].budget
    assert {s.value for s in budget} == {"Socialnämnden i Perstorps kommun", "Barn- och utbildningsnämnden i Perstorps kommun"}
    assert all(s.kind == "källa" and s.quote == BUDGET_QUOTE for s in budget)


def test_an_id_page_marks_source_and_conclusion_differently_per_value(store):
    html = page(store, "/id/timra-skip")
    assert re.search(r'class="support-conclusion">\s*<span class="concluded">Slutsats:</span> Timrå kommun <span class="reason">\(skäl:', html)
    assert '<span class="said">Källan säger:</span> <q>SKIP:en upprättades under 2019</q>' in html
    assert "Stöd saknas" not in html  # every bundled value has its support


def test_findings_on_a_page_show_their_support(store):
    html = page(store, "/id/timra-skip")
    findings = html[html.index("Iakttagelser i revisioner"):]
    assert "Stöd per uppgift" in findings and 'class="support-source"' in findings


UNSUPPORTED = """
- id: fx-sidstod-rutin
  typ: Rutin
  namn: Rutin vars part saknar stöd
  parter: [timra-kommun]
  giltig_från: 2019
  källa: kalla-timra-2020-s3.2
  stöd:
    giltig_från:
      källa: kalla-timra-2020-s3.2
      citat: "SKIP:en upprättades under 2019"
"""


def test_a_shown_value_without_support_says_so(tmp_path):
    path = tmp_path / "utan-stod.yaml"
    path.write_text(textwrap.dedent(UNSUPPORTED).lstrip(), encoding="utf-8")
    store = OxigraphStore.from_loaded(load_data(paths=[path], base_paths=[DATA_DIR]))
    html = page(store, "/id/fx-sidstod-rutin")
    party_row = html[html.index(">part<"):][:600]
    assert "Stöd saknas" in party_row
    assert html.count("Stöd saknas") == 1  # the date has its quote; names and sources are not claims


# Support whose named source is the project's law notes, written the way the data files once
# wrote it (the file name with its folder), and a duration supported by a conclusion.
LAW_NOTES_SUPPORT = """
- id: fx-lagnotis-rutin
  typ: Rutin
  namn: Rutin vars stöd är lagnoteringarna
  parter: [timra-kommun]
  revideras: P6M
  källa: kalla-lagnoteringar
  stöd:
    parter:
      annan_källa: {titel: "Projektets lagnoteringar (LAW-NOTES), avsnitt 5", referens: "shared/LAW-NOTES.md avsnitt 5", läst: 2026-12-04}
    revideras:
      slutsats: "Halvårsvis enligt LAW-NOTES avsnitt 5."
"""


def support_lines(html: str) -> list[str]:
    """The support lines a reader sees, as text."""
    items = re.findall(r'<li class="support-[a-z]+">(.*?)</li>', html, flags=re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item)).strip() for item in items]


def test_support_names_the_law_notes_and_durations_in_plain_swedish(tmp_path):
    path = tmp_path / "lagnoteringar.yaml"
    path.write_text(textwrap.dedent(LAW_NOTES_SUPPORT).lstrip(), encoding="utf-8")
    store = OxigraphStore.from_loaded(load_data(paths=[path], base_paths=[DATA_DIR]))
    lines = support_lines(page(store, "/id/fx-lagnotis-rutin"))
    assert "Enligt Projektets lagnoteringar, avsnitt 5 (projektets lagnoteringar avsnitt 5, läst 2026-12-04)" in lines
    assert any(line.startswith("Slutsats: sex månader (skäl: Halvårsvis enligt projektets lagnoteringar avsnitt 5.)") for line in lines)
    assert not [line for line in lines if re.search(r"LAW-NOTES|\.md\b|\bP\d+[DWMY]\b", line)]


def test_the_gap_report_shows_a_revision_interval_in_words_and_the_law_notes_by_name(store):
    # After the law notes were read (2026-12-04): an earlier report holds only support written
    # by its day (issue 14).
    lines = support_lines(page(store, "/luckor?kommun=perstorp-kommun&datum=2026-12-10"))
    assert any(line.startswith("revideringsintervall (ett år): Källan säger:") for line in lines)
    assert any("): Enligt Projektets verifierade lagnoteringar, avsnitt 5" in line for line in lines)
    assert not [line for line in lines if re.search(r"LAW-NOTES|\.md\b|\bP\d+[DWMY]\b", line)]
