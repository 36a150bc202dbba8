"""Requests that arrive together for something not cached yet share one computation.

Measured before: twenty requests for a date nobody had asked about each read the same
per-date rows side by side (p50 7.5 s instead of 0.4 s on the generated small graph, figures
in benchmarks/run.py). The sleeps below only make the callers overlap; nothing is timed."""

import datetime as dt
import threading
import time
from contextlib import nullcontext

import pytest

from ansvarsgraf import catalog as catalog_module
from ansvarsgraf.catalog import catalog_for
from ansvarsgraf.graph_store import SingleFlight, per_data_version
from ansvarsgraf.shape_queries import warning_shapes

CALLERS = 8


class _Store:
    """Enough of a store for per_data_version: a version and a reading context."""

    def __init__(self, version="v1"):
        self.version = version

    def data_version(self):
        return self.version

    def reading(self):
        return nullcontext()


def _together(call):
    """call() from CALLERS threads released at the same moment; their results or errors."""
    start = threading.Barrier(CALLERS)
    results: list = [None] * CALLERS

    def run(i):
        start.wait()
        try:
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 — collected and checked by the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_callers_asking_together_for_an_uncached_value_share_one_computation():
    computed = []

    @per_data_version(maxsize=4)
    def derived(store, day):
        computed.append(day)
        time.sleep(0.3)  # long enough that every caller asks while it runs
        return object()

    store = _Store()
    results = _together(lambda: derived(store, "2026-01-11"))
    assert computed == ["2026-01-11"]
    assert all(r is results[0] for r in results)
    store.version = "v2"  # a new load: computed again, once
    _together(lambda: derived(store, "2026-01-11"))
    assert computed == ["2026-01-11"] * 2


def test_an_error_reaches_every_waiting_caller_and_is_not_cached():
    calls = []

    @per_data_version(maxsize=4)
    def failing(store):
        calls.append(1)
        time.sleep(0.3)
        raise LookupError("lagret svarade inte")

    store = _Store()
    results = _together(lambda: failing(store))
    assert len(calls) == 1
    assert all(isinstance(r, LookupError) for r in results)
    with pytest.raises(LookupError):
        failing(store)
    assert len(calls) == 2


def test_other_keys_do_not_wait_for_a_computation_in_progress():
    flights = SingleFlight()
    release = threading.Event()
    slow = threading.Thread(target=lambda: flights.do("a", lambda: release.wait(60)))
    slow.start()
    try:
        assert flights.do("b", lambda: "b") == "b"  # while "a" still runs
    finally:
        release.set()
        slow.join(60)


def test_a_dates_warning_rows_are_read_once_for_callers_asking_together(embedded, monkeypatch):
    catalog = catalog_for(embedded)
    read = []
    original = catalog_module.shape_rows

    def counting(store, warning_shape, on_date):
        read.append((warning_shape.name, on_date))
        time.sleep(0.3)
        return original(store, warning_shape, on_date)

    monkeypatch.setattr(catalog_module, "shape_rows", counting)
    first = warning_shapes()[0]
    day = dt.date(2031, 1, 17)  # asked about by no other test
    results = _together(lambda: catalog.shape_rows(embedded, first, day))
    assert read == [(first.name, day)]
    assert all(r is results[0] for r in results)
