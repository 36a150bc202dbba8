"""Answers built by `ansvarsgraf prepare` for given dates (precomputed.py) are read by the
servers instead of being built: they must be exactly the answers built on request, used
only for the date they were built for, and never when another version of the code wrote
them."""

import datetime as dt
import logging
import sqlite3

import pytest

from ansvarsgraf import precomputed
from ansvarsgraf.answering import answer_task
from ansvarsgraf.catalog import catalog_for
from ansvarsgraf.cli import main
from ansvarsgraf.embedded_store import OxigraphStore
from ansvarsgraf.prepared import open_prepared_store, prepare_store
from counting_store import CountingStore

PREPARED = [dt.date(2024, 6, 1), dt.date(2026, 3, 1)]
NOT_PREPARED = dt.date(2025, 7, 1)  # the day the new Socialtjänstlag came into force


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    return prepare_store(tmp_path_factory.mktemp("lager") / "lager", answer_dates=PREPARED)


def _every_answer(store, on_date):
    catalog = catalog_for(store)
    for kommun in sorted(catalog.by_iri):
        for task in sorted(catalog.task_labels):
            yield (task, kommun), answer_task(store, task, kommun, on_date).to_json()


def test_prepared_answers_are_the_answers_built_on_request(prepared, loaded):
    live = OxigraphStore.from_loaded(loaded)
    counting = CountingStore(prepared)
    catalog_for(counting)
    before = counting.queries
    for on_date in PREPARED:
        read = dict(_every_answer(counting, on_date))
        built = dict(_every_answer(live, on_date))
        assert read == built, on_date
        assert sum(b'"duties":[{' in a for a in read.values()) > len(read) / 4  # answers with duties compared
    assert counting.queries == before  # every one of them was read, none built
    assert prepared.precomputed.count() == len(read) * len(PREPARED)


def test_a_date_not_prepared_is_built_on_request(prepared, loaded):
    live = OxigraphStore.from_loaded(loaded)
    assert prepared.precomputed.duties("https://w3id.org/ansvarsgraf/id/kalla-till-sip",
                                       "https://w3id.org/ansvarsgraf/id/timra-kommun", NOT_PREPARED) is None
    counting = CountingStore(prepared)
    catalog_for(counting)
    before = counting.queries
    assert dict(_every_answer(counting, NOT_PREPARED)) == dict(_every_answer(live, NOT_PREPARED))
    assert counting.queries > before


def test_answers_written_by_another_version_are_not_used(tmp_path, caplog):
    target = tmp_path / "lager"
    store = prepare_store(target, answer_dates=PREPARED[-1:])
    assert store.precomputed is not None
    with sqlite3.connect(target.resolve() / precomputed.FILE_NAME) as db:
        db.execute("UPDATE meta SET value = 'en äldre version' WHERE key = 'fingerprint'")
    with caplog.at_level(logging.WARNING, logger="ansvarsgraf.precomputed"):
        assert open_prepared_store(target).precomputed is None
    assert "annan version" in caplog.text


def test_prepare_builds_todays_answers_unless_told_not_to(tmp_path, capsys):
    assert main(["prepare", str(tmp_path / "utan"), "--utan-svar"]) == 0
    assert open_prepared_store(tmp_path / "utan").precomputed is None
    assert main(["prepare", str(tmp_path / "med")]) == 0
    store = open_prepared_store(tmp_path / "med")
    catalog = catalog_for(store)
    assert store.precomputed.count() == len(catalog.task_labels) * len(catalog.by_iri)
    assert store.precomputed.duties(sorted(catalog.task_labels)[0], sorted(catalog.by_iri)[0], dt.date.today()) is not None
    assert f"{store.precomputed.count()} svar för {dt.date.today().isoformat()}" in capsys.readouterr().out


def test_a_bad_answer_date_is_refused_before_anything_is_built(tmp_path, capsys):
    assert main(["prepare", str(tmp_path / "lager"), "--svar-datum", "2026-02-30"]) == 2
    assert "2026-02-30" in capsys.readouterr().err
    assert not (tmp_path / "lager").exists()
