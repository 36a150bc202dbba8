"""A document's revision is overdue only after its interval has passed, in years or months.

"Revision overdue" is the SHACL rule RevisionOverdueShape, read in three places that must
each honour the interval: validate (both engines), the gap report and the warning shown with
an answer (both run the shape's query on the store, shape_queries.py). Leksand's routine is
revised yearly (P1Y) and was last revised 2022-06-30: on 2023-06-30 it is due, not late;
from 2023-07-01 it is late. A fixture routine revised every second year (P2Y) checks that
the number of years counts, not only that there is one.
"""

import datetime as dt
from pathlib import Path

import pytest

from ansvarsgraf.answering import answer_task
from ansvarsgraf.dataset import DATA_DIR, load_data
from ansvarsgraf.gaps import analyse
from ansvarsgraf.paths import display_path
from ansvarsgraf.embedded_store import OxigraphStore
from ansvarsgraf.validation import validate

ID = "https://w3id.org/ansvarsgraf/id/"
FIXTURE = Path(__file__).parent / "data" / "revision" / "vartannat-ar.yaml"
RULE = "ags:RevisionOverdueShape"

# (document, task it assigns, municipality, last day in time, first day late)
LEKSAND = ("leksand-samverkansrutin", "forebyggande-arbete", "leksand-kommun", dt.date(2023, 6, 30), dt.date(2023, 7, 1))
EVERY_SECOND_YEAR = ("fx-rev-rutin", "kalla-till-sip", "timra-kommun", dt.date(2022, 1, 15), dt.date(2022, 1, 16))


@pytest.fixture(scope="module")
def with_fixture():
    loaded = load_data(paths=[FIXTURE], base_paths=[DATA_DIR])
    return loaded, OxigraphStore.from_loaded(loaded)


def overdue_in_answer(store, document, task, kommun, on_date) -> bool:
    answer = answer_task(store, ID + task, ID + kommun, on_date)
    duties = [d for d in answer.duties if d.instrument and d.instrument.iri == ID + document]
    assert duties, f"{document} ger inget åtagande för {task} i {kommun} per {on_date}"
    return any(w.kind == "ej_reviderad" and "ska revideras" in w.text for d in duties for w in d.warnings)


def overdue_in_gaps(store, document, kommun, on_date) -> bool:
    return any(g.kind == "RevisionOverdueShape" and g.focus.iri == ID + document for g in analyse(store, ID + kommun, on_date).gaps)


@pytest.mark.parametrize("case", [LEKSAND], ids=["Leksand P1Y"])
def test_leksands_routine_is_late_only_after_its_year(store, loaded, case):
    document, task, kommun, due, late = case
    assert not overdue_in_answer(store, document, task, kommun, due)
    assert overdue_in_answer(store, document, task, kommun, late)
    assert not overdue_in_gaps(store, document, kommun, due)
    assert overdue_in_gaps(store, document, kommun, late)
    for on_date, expected in ((due, False), (late, True)):
        found = [f for f in validate(loaded, on_date) if f.rule == RULE and f.node == document]
        assert bool(found) == expected, (on_date, [str(f) for f in found])


def test_every_second_year_counts_two_years(with_fixture):
    loaded, store = with_fixture
    document, task, kommun, due, late = EVERY_SECOND_YEAR
    assert not overdue_in_answer(store, document, task, kommun, due)
    assert overdue_in_answer(store, document, task, kommun, late)
    assert not overdue_in_gaps(store, document, kommun, due)
    assert overdue_in_gaps(store, document, kommun, late)


@pytest.mark.timeout(600)  # pySHACL
@pytest.mark.parametrize("engine", ["fast", "pyshacl"])
def test_every_second_year_in_validation(with_fixture, engine):
    loaded, _store = with_fixture
    only = {display_path(FIXTURE)}
    for on_date, expected in ((EVERY_SECOND_YEAR[3], False), (EVERY_SECOND_YEAR[4], True)):
        found = [f for f in validate(loaded, on_date, only_files=only, focused=True, engine=engine) if f.rule == RULE]
        assert bool(found) == expected, (engine, on_date, [str(f) for f in found])
        if expected:
            assert "revideras P2Y" in found[0].message and "2022-01" in found[0].message
