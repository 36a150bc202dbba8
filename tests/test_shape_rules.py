"""Every SHACL rule in ontology/shapes.ttl catches its error, in both validation engines.

The rules are read from shapes.ttl itself (every node shape with a target), so a new rule
without a broken fixture fails test_every_rule_has_a_fixture. Fixtures are the files in
tests/fixtures/broken and tests/fixtures/warnings and, for the rules those did not cover,
tests/data/regler (YAML, or Turtle where the YAML reader refuses the error before SHACL
sees it). Each says in its header which rule must fire, with which severity, at which line
and on which date, optionally with a fragment of the message (`# förväntar: ags:Rule FEL rad
3 "fragment"`); `# inte:` says on which date it must not fire.

Both engines run every fixture against its expectations on their own: the engine-parity
test (test_validation_engines.py) compares the engines with each other and would not notice
a rule turned off in both.
"""

import re

import pytest
import rdflib
from rdflib.namespace import RDF, SH

from ansvarsgraf.paths import SHAPES_FILE, display_path
from shape_fixtures import ENGINES, FIXTURE_FILES, expectations

pytestmark = pytest.mark.timeout(600)  # pySHACL on every fixture date (the first test)

AGS = "https://w3id.org/ansvarsgraf/shapes#"
TARGETS = (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode, SH.target)


def shapes() -> rdflib.Graph:
    return rdflib.Graph().parse(SHAPES_FILE, format="turtle")


def short(node) -> str:
    return "ags:" + str(node).removeprefix(AGS)


def rules() -> dict[str, list[str]]:
    """Every rule (a node shape with a target) and the messages it can give."""
    graph = shapes()
    found = {}
    for shape in graph.subjects(RDF.type, SH.NodeShape):
        if not any(graph.value(shape, t) is not None for t in TARGETS):
            continue
        constraints = [shape, *graph.objects(shape, SH.property), *graph.objects(shape, SH.sparql)]
        found[short(shape)] = [str(m) for c in constraints for m in graph.objects(c, SH.message)]
    return found


def helpers() -> dict[str, tuple[str, str]]:
    """Shapes without a target, used through sh:node: helper → (rule, message it gives there)."""
    graph = shapes()
    used = {}
    for rule in graph.subjects(RDF.type, SH.NodeShape):
        for prop in graph.objects(rule, SH.property):
            for helper in graph.objects(prop, SH.node):
                used[short(helper)] = (short(rule), str(graph.value(prop, SH.message)))
    return used


def as_pattern(template: str) -> re.Pattern:
    """A message template ({?var} and {$this} filled in by the engine) as a pattern."""
    parts = re.split(r"\{[?$]\w+\}", template)
    return re.compile(".+".join(re.escape(p) for p in parts), re.S)


RULES = rules()


def test_rules_are_read_from_the_shapes():
    assert len(RULES) >= 22
    assert "ags:ActorProvenanceShape" in RULES and "ags:RevisionOverdueShape" in RULES
    assert all(RULES.values()), [r for r, m in RULES.items() if not m]  # every rule says what is wrong


def test_every_rule_has_a_fixture():
    covered = {e[0] for path in FIXTURE_FILES for e in expectations(path)[0]}
    missing = sorted(set(RULES) - covered)
    assert not missing, f"regler utan trasig fixtur: {missing}"
    assert covered <= set(RULES), sorted(covered - set(RULES))  # no fixture names a rule that is gone
    for helper, (rule, _message) in helpers().items():
        assert rule in covered, f"{helper} används av {rule}, som saknar fixtur"


@pytest.fixture(scope="module")
def results(validated_fixtures):
    return {key: result.findings for key, result in validated_fixtures.items()}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
def test_rule_fires_on_its_fixture(results, engine, path):
    expected, forbidden = expectations(path)
    name = display_path(path)
    for rule, severity, line, date, text in expected:
        hits = [f for f in results[engine, date] if f.file == name and f.rule == rule and f.line == line]
        assert hits, f"{engine}: {rule} gav inget på {name}:{line} per {date}: " + \
            str([str(f) for f in results[engine, date] if f.file == name])
        assert all(f.severity == severity for f in hits), [str(f) for f in hits]
        # The message is one the rule itself gives (templates filled in), and the one meant.
        assert all(any(as_pattern(m).fullmatch(f.message) for m in RULES[rule]) for f in hits), [f.message for f in hits]
        if text:
            assert any(text in f.message for f in hits), (text, [f.message for f in hits])
    for rule, date in forbidden:
        assert not [f for f in results[engine, date] if f.file == name and f.rule == rule], f"{engine}: {rule} ska inte slå till per {date}"


@pytest.mark.parametrize("engine", ENGINES)
def test_helper_shapes_are_reached_through_their_rule(results, engine):
    """PartConceptShape and FindingKindShape have no target; a wrong concept is reported by
    the rule that uses them, with that property's message."""
    for helper, (rule, message) in helpers().items():
        assert any(f.rule == rule and f.message == message for (e, _d), found in results.items() if e == engine for f in found), helper
