"""pytest plugin for the mutation run (benchmarks/mutation.py loads it with -p).

mutmut runs, for each mutant, only the tests that called the mutated function while it
collected its statistics. The package caches what it derives from the data (the catalog
and its matcher, gap reports, word keys) for the whole session, so only the first test to
build it would be recorded, and a mutant in the matcher's set-up would be tested by one
test only (typo correction mutants survived that way). While mutmut collects statistics,
every cache is emptied before each test, so each test is recorded for what it uses.
"""

import os
import sys

import pytest


@pytest.fixture(autouse=True)
def _fresh_caches_while_mutmut_records():
    if os.environ.get("MUTANT_UNDER_TEST") == "stats":
        for name, module in list(sys.modules.items()):
            if name.startswith("ansvarsgraf") and module is not None:
                for value in list(vars(module).values()):
                    clear = getattr(value, "cache_clear", None)
                    if callable(clear):
                        clear()
    yield
