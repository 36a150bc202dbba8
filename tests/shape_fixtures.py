"""The SHACL rule fixtures (tests/fixtures/broken, tests/fixtures/warnings, tests/data/regler):
which files, what each header expects, on which dates, and both engines run on them once per
test session (conftest.validated_fixtures), for test_shape_rules.py (each rule fires) and
test_validation_engines.py (the engines agree)."""

import datetime as dt
import re
from pathlib import Path

from ansvarsgraf.dataset import DATA_DIR, load_data
from ansvarsgraf.paths import display_path
from ansvarsgraf.validation import run_validation

ENGINES = ("fast", "pyshacl")
TESTS = Path(__file__).parent
FIXTURE_FILES = sorted([*(TESTS / "fixtures" / "broken").glob("*.yaml"), *(TESTS / "fixtures" / "warnings").glob("*.yaml"),
                        *(TESTS / "data" / "regler").glob("*.yaml"), *(TESTS / "data" / "regler").glob("*.ttl")])
EXPECT = re.compile(r'^# förväntar: (?P<rule>\S+) (?P<severity>FEL|VARNING) rad (?P<line>\d+)'
                    r'(?: datum (?P<date>\d{4}-\d{2}-\d{2}))?(?: "(?P<text>[^"]+)")?\s*$')
NOT = re.compile(r"^# inte: (?P<rule>\S+) datum (?P<date>\S+)")
DEFAULT_DATE = "2026-03-01"


def expectations(path: Path):
    expected, forbidden = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if m := EXPECT.match(line):
            expected.append((m["rule"], m["severity"], int(m["line"]), m["date"] or DEFAULT_DATE, m["text"]))
        elif m := NOT.match(line):
            forbidden.append((m["rule"], m["date"]))
    return expected, forbidden


def fixture_dates(files) -> list[str]:
    """Every date a fixture header names, and the default."""
    dates = {DEFAULT_DATE}
    for path in files:
        expected, forbidden = expectations(path)
        dates |= {e[3] for e in expected} | {f[1] for f in forbidden}
    return sorted(dates)


def validate_fixtures() -> dict:
    """Both engines on every fixture, focused on the fixture files, on every date a header
    names: {(engine, date): ValidationResult} (pySHACL takes about 25 s per date)."""
    loaded = load_data(paths=FIXTURE_FILES, base_paths=[DATA_DIR])
    only = {display_path(p) for p in FIXTURE_FILES}
    return {(engine, d): run_validation(loaded, dt.date.fromisoformat(d), only_files=only, focused=True, engine=engine)
            for engine in ENGINES for d in fixture_dates(FIXTURE_FILES)}
