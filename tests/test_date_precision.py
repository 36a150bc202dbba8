"""Dates known to the year or the month (issue 16, point 4): every conclusion drawn from
them counts the whole year or month, on both sides of each boundary, and the answer engine
agrees with the reference query.

The fixture is a routine valid from 2021-10 to 2023 (month and year only), with one duty
that ends in 2022-06 and one that does not, revised last in 2022-01 with a yearly interval, and a board's
response planning an action by 2021-10.
"""

import datetime as dt
import textwrap

import pytest
import rdflib

from ansvarsgraf.answering import answer_task, applicable_duties
from ansvarsgraf.catalog import catalog_for
from ansvarsgraf.changes import _Fact
from ansvarsgraf.dataset import DATA_DIR, load_data
from ansvarsgraf.dates import period_end, period_start, valid_between
from ansvarsgraf.paths import QUERIES_DIR
from ansvarsgraf.queries import query_text
from ansvarsgraf.embedded_store import OxigraphStore

ID = "https://w3id.org/ansvarsgraf/id/"
KOMMUN = ID + "timra-kommun"
TASK = ID + "skip"

FIXTURE = """
- id: fx-precision-rutin
  typ: Rutin
  namn: Rutin som bara anger månad och år
  parter: [timra-kommun]
  giltig_från: "2021-10"
  giltig_till: 2023
  senast_reviderad: "2022-01"
  revideras: P1Y
  källa: kalla-timra-2020-s3.2
  åtaganden:
    - id: fx-precision-atagande
      typ: Åtagande
      bärare: [timra-socialnamnden]
      uppgift: skip
      del: samordnar
      modalitet: ska
      giltig_till: "2022-06"
      källa: kalla-timra-2020-s3.2
    - id: fx-precision-atagande-utan-slut
      typ: Åtagande
      bärare: [timra-socialnamnden]
      uppgift: skip
      del: ansvarar
      modalitet: ska
      källa: kalla-timra-2020-s3.2
- id: fx-precision-svar
  typ: Svar
  svarar_på: timra-2020-rek-1
  svarande: timra-socialnamnden
  ställningstagande: accepterar
  planerad_åtgärd: En åtgärd
  planerad_senast: "2021-10"
  källa: kalla-timra-2020
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("precision") / "precision.yaml"
    path.write_text(textwrap.dedent(FIXTURE).lstrip(), encoding="utf-8")
    return OxigraphStore.from_loaded(load_data(paths=[path], base_paths=[DATA_DIR]))


def reference(store, on_date: dt.date) -> set[str]:
    literal = rdflib.Literal(on_date.isoformat(), datatype=rdflib.XSD.date)
    return {str(r["atagande"]) for r in store.select(query_text("ansvar-for-uppgift"), {
        "uppgift": rdflib.URIRef(TASK), "kommun": rdflib.URIRef(KOMMUN), "datum": literal})}


@pytest.mark.parametrize("on_date,applies", [
    (dt.date(2021, 9, 30), False),   # before the month the routine starts
    (dt.date(2021, 10, 1), True),    # the month counts from its first day
    (dt.date(2022, 6, 30), True),    # the duty's own end month counts whole
    (dt.date(2022, 7, 1), False),
])
def test_a_duty_applies_for_the_whole_month_and_year_in_engine_and_query(store, on_date, applies):
    duty = ID + "fx-precision-atagande"
    assert (duty in reference(store, on_date)) is applies
    assert (duty in applicable_duties(store, TASK, KOMMUN, on_date)) is applies


@pytest.mark.parametrize("on_date,in_force", [
    (dt.date(2023, 12, 31), True),   # valid to 2023: the whole year
    (dt.date(2024, 1, 1), False),
])
def test_a_document_valid_to_a_year_is_in_force_to_its_last_day(store, on_date, in_force):
    assert catalog_for(store).organisations.validity(ID + "fx-precision-rutin").in_force(on_date) is in_force


@pytest.mark.parametrize("on_date,overdue", [
    (dt.date(2023, 1, 31), False),   # revised in 2022-01 + P1Y: due in the whole of 2023-01
    (dt.date(2023, 2, 1), True),
])
def test_a_revision_known_to_the_month_is_overdue_only_after_the_whole_due_month(store, on_date, overdue):
    answer = answer_task(store, TASK, KOMMUN, on_date)
    (duty,) = [d for d in answer.duties if d.iri == ID + "fx-precision-atagande-utan-slut"]
    warnings = [w for w in duty.warnings if w.kind == "ej_reviderad"]
    assert bool(warnings) is overdue
    if overdue:
        assert "2023-01-31" in warnings[0].text and "2022-01" in warnings[0].text


@pytest.mark.parametrize("on_date,passed", [
    (dt.date(2021, 10, 31), False),  # planned "by 2021-10": the whole month
    (dt.date(2021, 11, 1), True),
])
def test_a_planned_month_has_passed_only_after_the_month(store, on_date, passed):
    literal = rdflib.Literal(on_date.isoformat(), datatype=rdflib.XSD.date)
    rule = (QUERIES_DIR / "luckor" / "svar-avvisat-eller-forsenat.rq").read_text(encoding="utf-8")
    rows = store.select(rule, {"kommun": rdflib.URIRef(KOMMUN), "datum": literal})
    assert any(str(r["bevis"]) == ID + "fx-precision-svar" for r in rows) is passed


def test_periods_of_each_precision():
    assert (period_start("2021"), period_end("2021")) == (dt.date(2021, 1, 1), dt.date(2021, 12, 31))
    assert (period_start("2024-02"), period_end("2024-02")) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert period_start("2021-10-13") == period_end("2021-10-13") == dt.date(2021, 10, 13)
    assert valid_between("2021-10", None, dt.date(2021, 10, 1)) and not valid_between("2021-10", None, dt.date(2021, 9, 30))
    with pytest.raises(ValueError):
        period_start("hösten 2021")


def test_a_change_report_dates_a_month_end_to_the_day_after_the_month():
    fact = _Fact(node="n", carrier="n", carrier_label="n", prop="p", value="2022-06", end=True, kind="åtagande",
                 act=None, act_label=None, amendment=None, amendment_label=None, successor=None,
                 successor_label=None, successor_from=None)
    assert fact.day() == dt.date(2022, 7, 1)


def test_a_document_card_shows_its_dates_as_the_source_gives_them(store):
    from ansvarsgraf.answering import answer_question

    answer = answer_question(store, "Rutin som bara anger månad och år", "Timrå", dt.date(2022, 6, 1))
    (card,) = [c for c in answer.instruments if c.iri == ID + "fx-precision-rutin"]
    assert (card.valid_from, card.valid_until, card.last_revised) == ("2021-10", "2023", "2022-01")
