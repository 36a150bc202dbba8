"""The suite's own distribution (scripts/test.sh: `-n 2 --dist loadgroup`): the files that share
an expensive session fixture, and the Chromium files, must run in one worker (conftest.py's
groups). With pytest 9.2, pytest-xdist 3.8's loadgroup silently distributed test by test
(pytest-dev/pytest-xdist#1386): every group was split over both workers, each building the
shared pySHACL runs (~40 s) and module fixtures itself, and two browsers could draw at once.
Nothing failed; this test does."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_group_runs_in_one_worker():
    # Cheap tests from two files of the "validering" group and one file that is its own group.
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-v", "-p", "no:cacheprovider",
         "--stores", "inbyggd", "tests/test_shape_rules.py", "tests/test_validation_engines.py", "tests/test_dates.py",
         "-k", "rules_are_read or every_rule_has or this_written or year_given"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    workers: dict[str, set[str]] = {}
    for worker, path in re.findall(r"^\[(gw\d)\] .*?PASSED (tests/\w+\.py)::", run.stdout, re.M):
        workers.setdefault({"tests/test_dates.py": "dates"}.get(path, "validering"), set()).add(worker)
    assert set(workers) == {"dates", "validering"}, run.stdout[-3000:]
    assert all(len(w) == 1 for w in workers.values()), workers
