"""The SHACL shapes: bundled data has no violations, and every shape catches its error.

Each fixture in fixtures/broken (violations) and fixtures/warnings (real-world gaps) says
in its header which rule must fire, at which line, and on which date; `# inte:` lines say
on which date a rule must NOT fire. All fixtures are loaded beside the bundled data and
validated together, so the test also shows that one file's errors are reported in that
file only.
"""

import datetime as dt
from pathlib import Path

import pytest
from shape_fixtures import DEFAULT_DATE, expectations, fixture_dates

from ansvarsgraf.dataset import DATA_DIR, load_data
from ansvarsgraf.paths import display_path
from ansvarsgraf.validation import validate

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_FILES = sorted((FIXTURES / "broken").glob("*.yaml")) + sorted((FIXTURES / "warnings").glob("*.yaml"))


@pytest.fixture(scope="module")
def fixture_loaded():
    return load_data(paths=FIXTURE_FILES, base_paths=[DATA_DIR])


@pytest.fixture(scope="module")
def fixture_results(fixture_loaded):
    loaded = fixture_loaded
    only = {display_path(p) for p in FIXTURE_FILES}
    return {d: validate(loaded, dt.date.fromisoformat(d), only_files=only) for d in fixture_dates(FIXTURE_FILES)}


def test_bundled_data_has_no_violations(findings_2026):
    violations = [str(f) for f in findings_2026 if f.severity == "FEL"]
    assert not violations, "\n".join(violations)


def test_every_fixture_states_what_it_expects():
    assert len(FIXTURE_FILES) >= 16
    for path in FIXTURE_FILES:
        assert expectations(path)[0], f"{path.name} har ingen '# förväntar:'-rad"


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
def test_fixture_fires_where_it_should(path, fixture_results):
    expected, forbidden = expectations(path)
    name = display_path(path)
    for rule, severity, line, date, _text in expected:
        hits = [f for f in fixture_results[date] if f.file == name and f.rule == rule]
        assert hits, f"{rule} gav inget resultat i {name} per {date}"
        assert any(f.line == line and f.severity == severity for f in hits), [str(f) for f in hits]
        located = next(f for f in hits if f.line == line)
        assert str(located).startswith(f"{name}:{line}: {severity} ")
        assert located.message and "http" not in located.message.split(":")[0]
    for rule, date in forbidden:
        assert not [f for f in fixture_results[date] if f.file == name and f.rule == rule], f"{rule} ska inte slå till per {date}"


def test_fixture_errors_stay_in_their_files(fixture_results):
    names = {display_path(p) for p in FIXTURE_FILES}
    assert all(f.file in names for results in fixture_results.values() for f in results)


def test_focused_validation_reports_what_a_full_run_reports(fixture_results):
    """The jurist's edit loop validates only the nodes of the changed files; it must not
    miss anything a whole-graph run finds in those files."""
    loaded = load_data(paths=FIXTURE_FILES, base_paths=[DATA_DIR])
    only = {display_path(p) for p in FIXTURE_FILES}
    focused = validate(loaded, dt.date.fromisoformat(DEFAULT_DATE), only_files=only, focused=True)
    full = fixture_results[DEFAULT_DATE]
    key = lambda f: (f.file, f.line, f.rule, f.severity, f.node)  # noqa: E731
    assert sorted(map(key, focused)) == sorted(map(key, full))


def test_a_finding_names_the_key_the_value_and_the_swedish_message(fixture_results):
    """The jurist reads which key and which value broke the rule, in the YAML's words, with
    the rule's Swedish message (mutation run, issue 20: a finding without its value, or with
    the property's IRI for the key, passed)."""
    name = display_path(FIXTURES / "broken" / "duty-fel-modalitet.yaml")
    (finding,) = [f for f in fixture_results[DEFAULT_DATE] if f.file == name and f.rule == "ags:DutyShape"]
    assert (finding.node, finding.path, finding.value, finding.line) == ("fx-fel-modalitet", "modalitet", "ag:ansvarar", 7)
    assert finding.message.startswith("Åtagandet ska ha exakt en modalitet")


def test_an_unknown_engine_is_refused_by_name(fixture_loaded):
    with pytest.raises(ValueError, match="okänd valideringsmotor 'snabb'; välj fast eller pyshacl"):
        validate(fixture_loaded, dt.date.fromisoformat(DEFAULT_DATE), engine="snabb")


def test_a_whole_run_lists_what_it_cannot_place_in_a_file_last():
    """`ansvarsgraf validate` without --fil lists findings file by file and line by line; a
    finding about a node no file defines (a concept of the ontology used in the wrong place)
    comes after them, not first (mutation run, issue 20: another sort key for 'no file' passed)."""
    fixture = Path(__file__).parent / "data" / "regler" / "fel-begrepp.ttl"
    findings = validate(load_data(paths=[fixture], base_paths=[DATA_DIR]), dt.date.fromisoformat(DEFAULT_DATE))
    placed = [f.file is not None for f in findings]
    assert True in placed and False in placed, [str(f) for f in findings]
    assert placed == sorted(placed, reverse=True), [str(f) for f in findings]
