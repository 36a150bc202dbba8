""""Revision overdue" has one definition, the SHACL rule ags:RevisionOverdueShape, and
validate, the gap report and the answer agree on it: on each date around the due day all
three report a document's revision as overdue, with the same due day, or none does.

The fixture (tests/data/revision/regel.yaml, routines in Timrå that each give a duty to
call a SIP meeting) holds the cases where the rule and the answer engine's own arithmetic
used to differ: (1) a document that has ended or been replaced is not due for revision;
(2) a revision made after the date is not known on it (the last one before it counts);
(3) intervals in weeks and days count days (P2W, P14D, across a leap day); (4) of several
revision dates the latest counts; (5) a document under drafting on the date (its status
history: in force from 2020-01-15, under drafting again from June 2021) is not due.
"""

import datetime as dt
from pathlib import Path

import pytest
import yaml

from ansvarsgraf.answering import answer_task
from ansvarsgraf.changes import change_report
from ansvarsgraf.dataset import DATA_DIR, load_data
from ansvarsgraf.embedded_store import OxigraphStore
from ansvarsgraf.gaps import analyse
from ansvarsgraf.paths import display_path
from ansvarsgraf.validation import validate
from counting_store import CountingStore

ID = "https://w3id.org/ansvarsgraf/id/"
FIXTURE = Path(__file__).parent / "data" / "revision" / "regel.yaml"
TASK, KOMMUN = ID + "kalla-till-sip", ID + "timra-kommun"
RULE = "ags:RevisionOverdueShape"

# document → [(date, the due day when overdue on that date, else None)]
CASES = {
    # (1) ended 2021-06-30: due 2021-01-15, overdue while in force, not after it ended.
    "fx-regel-utgangen": [("2021-01-15", None), ("2021-01-16", "2021-01-15"), ("2021-06-30", "2021-01-15"),
                          ("2021-07-01", None)],
    # (1) replaced by a version valid from 2021-03-01: not due from that day.
    "fx-regel-ersatt": [("2021-01-16", "2021-01-15"), ("2021-02-28", "2021-01-15"), ("2021-03-01", None)],
    # (2) valid from 2019-01-01, revised 2022-03-01: before the revision the start counts.
    "fx-regel-senare": [("2020-01-01", None), ("2020-01-02", "2020-01-01"), ("2022-03-01", None),
                        ("2023-03-01", None), ("2023-03-02", "2023-03-01")],
    # (3) revised 2024-02-20, every two weeks / 14 days: due 2024-03-05 (2024 has a leap day).
    "fx-regel-veckor": [("2024-03-05", None), ("2024-03-06", "2024-03-05")],
    "fx-regel-dagar": [("2024-03-05", None), ("2024-03-06", "2024-03-05")],
    # (4) revised 2021-03-01 and 2022-03-01: the latest counts (the earlier one fell due 2022-03-01).
    "fx-regel-flera": [("2022-03-02", None), ("2023-03-01", None), ("2023-03-02", "2023-03-01")],
    # (5) in force from 2020-01-15 (after drafting from 2019), due 2021-01-15, under drafting
    # again from 2021-06: overdue until then, not from the first day of that month.
    "fx-regel-utkast": [("2021-01-15", None), ("2021-01-16", "2021-01-15"), ("2021-05-31", "2021-01-15"),
                        ("2021-06-01", None)],
}

# The interval in the answer's words, as stores give it back (P2W as P14D).
HOW_OFTEN = {"fx-regel-veckor": "varannan vecka", "fx-regel-dagar": "varannan vecka"}


@pytest.fixture(scope="module")
def fixture_loaded():
    return load_data(paths=[FIXTURE], base_paths=[DATA_DIR])


@pytest.fixture(scope="module", params=["inbyggd", "oxigraph-server", "virtuoso"])
def fixture_store(request, fixture_loaded, tmp_path_factory):
    if request.param == "inbyggd":
        yield OxigraphStore.from_loaded(fixture_loaded)
        return
    from sparql_servers import load_into, oxigraph_server, virtuoso_server

    from ansvarsgraf.remote_store import SparqlEndpointStore

    start = {"oxigraph-server": oxigraph_server, "virtuoso": virtuoso_server}[request.param]
    with start(tmp_path_factory.mktemp(request.param)) as endpoints:
        load_into(endpoints, str(DATA_DIR), str(FIXTURE))
        yield SparqlEndpointStore(endpoints["query"])


_validated: dict = {}


def in_validation(loaded, engine: str, document: str, on_date: dt.date) -> list[str]:
    key = (engine, on_date)
    if key not in _validated:
        _validated[key] = validate(loaded, on_date, only_files={display_path(FIXTURE)}, focused=True, engine=engine)
    return [f.message for f in _validated[key] if f.rule == RULE and f.node == document]


# The gap report of one store on one date, built once: several documents are checked on
# the same dates (16 dates for 23 cases), and a report takes seconds on Virtuoso.
_reports: dict = {}


def in_gaps(store, document: str, on_date: dt.date) -> list[str]:
    key = (id(store), on_date)
    if key not in _reports:
        _reports[key] = (store, analyse(store, KOMMUN, on_date))  # the store kept: its id stays its own
    return [t for g in _reports[key][1].gaps
            if g.kind == "RevisionOverdueShape" and g.focus.iri == ID + document for t in g.texts]


def in_answer(store, document: str, on_date: dt.date) -> list[str]:
    answer = answer_task(store, TASK, KOMMUN, on_date)
    return [w.text for d in answer.duties if d.instrument and d.instrument.iri == ID + document
            for w in d.warnings if w.kind == "ej_reviderad"]


@pytest.mark.timeout(900)
@pytest.mark.parametrize("document", sorted(CASES))
def test_validate_the_gap_report_and_the_answer_agree(fixture_loaded, fixture_store, document):
    for date, due in CASES[document]:
        on_date = dt.date.fromisoformat(date)
        found = {"validate": in_validation(fixture_loaded, "fast", document, on_date),
                 "luckrapport": in_gaps(fixture_store, document, on_date),
                 "svar": in_answer(fixture_store, document, on_date)}
        assert {k: bool(v) for k, v in found.items()} == {k: due is not None for k in found}, (document, date, found)
        if due is not None:
            # The same due day everywhere, and the answer worded for staff.
            assert all(f"förfallen {due}" in texts[0] for texts in found.values()), (document, date, found)
            assert f"ska revideras {HOW_OFTEN.get(document, 'varje år')} men" in found["svar"][0], found["svar"]


@pytest.mark.timeout(900)
def test_pyshacl_agrees_with_the_fast_engine_on_every_case(fixture_loaded):
    """The reference engine runs the rule as written (the fast engine runs it whole-graph)."""
    for document, dates in sorted(CASES.items()):
        for date, due in dates:
            on_date = dt.date.fromisoformat(date)
            messages = in_validation(fixture_loaded, "pyshacl", document, on_date)
            assert bool(messages) is (due is not None), (document, date, messages)
            assert messages == in_validation(fixture_loaded, "fast", document, on_date)


@pytest.mark.timeout(900)
def test_the_change_report_dates_a_new_warning_by_the_rule(fixture_store):
    """On the first day a revision is overdue the answer gains its warning, and the change
    report names the due day the rule gives as a cause (it used to compute its own from the
    latest revision in the data, 2023-03-01 for fx-regel-senare, and found no cause)."""
    names = {node["id"]: node["namn"] for node in yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))}
    checked = 0
    for document, dates in sorted(CASES.items()):
        for date, due in dates:
            on_date = dt.date.fromisoformat(date)
            if due is None or on_date != dt.date.fromisoformat(due) + dt.timedelta(days=1):
                continue
            report = change_report(fixture_store, on_date - dt.timedelta(days=1), on_date, [KOMMUN], [TASK], with_gaps=False)
            titles = [g.cause.title for g in report.groups] + [t for g in report.groups for a in g.answers for t in a.also]
            assert f"{names[document]}: revideringen förfallen från {date}" in titles, (document, date, titles)
            checked += 1
    assert checked == 8


class RecordingStore(CountingStore):
    def select(self, query, bindings=None):
        self.texts = [*getattr(self, "texts", []), query]
        return super().select(query, bindings)


def test_the_rule_runs_once_per_date_for_answers_and_the_gap_report(fixture_loaded):
    """The warning takes no query per answer: the rule runs for every document once per data
    version and date, with the catalog, and the gap report on that date reads the same rows."""
    store = RecordingStore(OxigraphStore.from_loaded(fixture_loaded))
    rule_queries = lambda: sum("ag:revisionInterval ?interval" in q for q in getattr(store, "texts", []))  # noqa: E731
    first, second = dt.date(2024, 3, 6), dt.date(2024, 3, 7)
    assert in_answer(store, "fx-regel-veckor", first) and rule_queries() == 1
    assert in_gaps(store, "fx-regel-veckor", first) and rule_queries() == 1
    assert answer_task(store, ID + "folja-upp-placering", KOMMUN, first) is not None and rule_queries() == 1
    assert in_answer(store, "fx-regel-veckor", second) and rule_queries() == 2
