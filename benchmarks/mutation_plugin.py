"""pytest plugin for the mutation run (benchmarks/mutation.py loads it with -p).

mutmut runs, for each mutant, only the tests that called the mutated function while it
collected its statistics. The package caches what it derives from the data (the catalog
and its matcher, gap reports, word keys) for the whole session, so only the first test to
build it would be recorded, and a mutant in the matcher's set-up would be tested by one
test only (typo correction mutants survived that way). While mutmut collects statistics,
every cache is emptied before each test, so each test is recorded for what it uses.

The SPARQL endpoint checks and runs each query in a forked child (sparql_endpoint._in_child).
What the child calls is recorded in the child's memory and lost when it exits, so mutmut
took check_query to be reached only by the one test that calls it directly, and ran its
mutants against that test alone (57 of 71 "survived" so). While mutmut collects
statistics, the child writes what it recorded to a file before it answers, and the parent
adds it to its own record. The mutants themselves run the child unchanged (a forked child
has its parent's mutant).

A fixture of module or session scope (a gap report, a validation run on every fixture date)
is set up once, inside the first test that asks for it, and mutmut took what its set-up
called to be reached by that test alone: a later test that checks the result against the
mutant was never run (three gaps mutants "survived" so). While mutmut collects statistics,
what a shared fixture's set-up calls is recorded for every test that uses the fixture.
"""

import os
import sys
import tempfile
from pathlib import Path

import pytest


def _recording() -> bool:
    return os.environ.get("MUTANT_UNDER_TEST") == "stats"


@pytest.fixture(autouse=True)
def _fresh_caches_while_mutmut_records():
    if _recording():
        for name, module in list(sys.modules.items()):
            if name.startswith("ansvarsgraf") and module is not None:
                for value in list(vars(module).values()):
                    clear = getattr(value, "cache_clear", None)
                    if callable(clear):
                        clear()
    yield


@pytest.fixture(autouse=True)
def _forked_sparql_worker_recorded(monkeypatch):
    if not _recording():
        yield
        return
    from mutmut.state import state

    from ansvarsgraf import sparql_endpoint

    in_child = sparql_endpoint._in_child

    def recorded_in_child(job, args, timeout_s):
        handle, record = tempfile.mkstemp(prefix="mutmut-barn-")
        os.close(handle)

        def recorded_job(*job_args):
            try:
                return job(*job_args)
            finally:  # before the child answers: the parent may end it as soon as it has
                try:
                    Path(record).write_text("\n".join(state()._stats), encoding="utf-8")
                except OSError:
                    pass  # (a child in a user namespace of its own may not write it): not recorded

        try:
            return in_child(recorded_job, args, timeout_s)
        finally:
            state()._stats.update(filter(None, Path(record).read_text(encoding="utf-8").splitlines()))
            Path(record).unlink()

    monkeypatch.setattr(sparql_endpoint, "_in_child", recorded_in_child)
    yield


_called_in_setup: dict[int, set[str]] = {}  # id(fixturedef) → functions its set-up called


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef, request):
    if not _recording() or fixturedef.scope == "function":
        yield
        return
    from mutmut.state import state

    stats = state()._stats
    before = set(stats)
    stats.clear()
    try:
        yield
    finally:
        _called_in_setup.setdefault(id(fixturedef), set()).update(stats)
        stats.update(before)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item, nextitem):
    """Before mutmut's own teardown hook files the test's calls: add those of the shared
    fixtures it uses."""
    if not _recording():
        return
    from mutmut.state import state

    for definitions in getattr(item, "_fixtureinfo").name2fixturedefs.values():
        for fixturedef in definitions:
            state()._stats.update(_called_in_setup.get(id(fixturedef), ()))
