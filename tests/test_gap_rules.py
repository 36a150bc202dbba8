"""Every gap rule in queries/luckor/*.rq, and every graph analysis that reads documents on a
date (escalation, bottleneck), fires where the gap is and stays quiet where it is not.

Each rule has a fixture tests/data/luckor/<rule>.yaml of small invented municipalities,
loaded beside the bundled data. Its header says, per municipality and focus (and date,
default 2026-03-01), whether the rule must fire (`# slår till:`) or not (`# slår inte till:`).
The quiet cases differ from a firing one in the one thing the rule turns on (a written
routine instead of a described practice, a coordinator added, the deadline equal to the
law's …), so a rule that stops testing that thing is caught. A new rule without a fixture
fails test_every_rule_has_fixtures.
"""

import datetime as dt
import re
from pathlib import Path

import pytest

from ansvarsgraf.dataset import DATA_DIR, load_data
from ansvarsgraf.gaps import analyse, rules
from ansvarsgraf.embedded_store import OxigraphStore

ID = "https://w3id.org/ansvarsgraf/id/"
FIXTURES = Path(__file__).parent / "data" / "luckor"
DEFAULT_DATE = "2026-03-01"
CASE = re.compile(r"^# (?P<verdict>slår till|slår inte till): (?P<kommun>\S+) (?P<focus>\S+)(?: datum (?P<date>\d{4}-\d{2}-\d{2}))?(?P<why>.*)$")


def cases(path: Path) -> list[tuple[bool, str, str, str, str]]:
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if m := CASE.match(line):
            found.append((m["verdict"] == "slår till", m["kommun"], m["focus"], m["date"] or DEFAULT_DATE, m["why"].strip()))
    return found


# The graph analyses in gaps.py (not rule files) that count a municipality's documents on
# the date: a document counts only between its start and its end, like in answers.
ANALYSES = ("eskalering-i-ring", "eskalering-slutar", "flaskhals")
RULE_NAMES = sorted([r.name for r in rules()] + list(ANALYSES))
ALL_CASES = [(name, *case) for name in RULE_NAMES if (FIXTURES / f"{name}.yaml").exists()
             for case in cases(FIXTURES / f"{name}.yaml")]


def test_every_rule_has_fixtures():
    assert len(RULE_NAMES) >= 8
    for name in RULE_NAMES:
        path = FIXTURES / f"{name}.yaml"
        assert path.exists(), f"regeln {name} saknar fixtur {path}"
        verdicts = {fires for fires, *_ in cases(path)}
        assert verdicts == {True, False}, f"{path.name} ska ange både '# slår till:' och '# slår inte till:'"
    assert {p.stem for p in FIXTURES.glob("*.yaml")} <= set(RULE_NAMES), "fixtur utan regel"


@pytest.fixture(scope="module")
def fixture_store():
    return OxigraphStore.from_loaded(load_data(paths=sorted(FIXTURES.glob("*.yaml")), base_paths=[DATA_DIR]))


@pytest.fixture(scope="module")
def reports(fixture_store):
    cache = {}

    def report(kommun, date):
        if (kommun, date) not in cache:
            cache[kommun, date] = analyse(fixture_store, ID + kommun, dt.date.fromisoformat(date))
        return cache[kommun, date]
    return report


@pytest.mark.parametrize("rule,fires,kommun,focus,date,why", ALL_CASES,
                         ids=[f"{c[0]}: {'slår till' if c[1] else 'tyst'} {c[2]} {c[3]} {c[4]}" for c in ALL_CASES])
def test_rule_fires_only_where_the_gap_is(reports, rule, fires, kommun, focus, date, why):
    report = reports(kommun, date)
    hits = [g for g in report.gaps if g.kind == rule and g.focus.iri == ID + focus]
    if fires:
        assert hits, f"{rule} ska slå till för {focus} i {kommun} per {date} {why}"
        assert all(g.texts and g.evidence for g in hits)
    else:
        assert not hits, f"{rule} ska inte slå till för {focus} i {kommun} per {date} {why}: {[g.texts for g in hits]}"


def test_timra_sip_convening_without_a_written_document_is_a_gap(store):
    """The audit's own finding (KPMG 2020, 3.3): who convenes SIP in Timrå rests on a
    decision nobody wrote down. A described practice is not a written document, so the
    statutory task stays without a local bearer."""
    report = analyse(store, ID + "timra-kommun", dt.date.fromisoformat(DEFAULT_DATE))
    sip = [g for g in report.gaps if g.kind == "lagstadgad-uppgift-utan-lokal-barare" and g.focus.iri == ID + "kalla-till-sip"]
    assert sip, "Timrås lucka för kallelse till SIP saknas"
    assert any(e.node.iri == ID + "lag-sol-10-8-kalla-till-sip-kommunen" for g in sip for e in g.evidence), [e.node.iri for g in sip for e in g.evidence]


def test_rules_as_written_count_documents_on_the_same_dates(fixture_store):
    """A SPARQL server runs the rules as written; the embedded store runs them with the
    documents in force from the organisation index. Both must agree on every fixture date
    (a document before its start, after its end, or signed later does not count)."""
    import rdflib

    from ansvarsgraf.catalog import catalog_for
    from ansvarsgraf.gaps import specialise

    index = catalog_for(fixture_store).organisations
    dated = [r for r in rules() if "# ersätts till slut: dokument-i-kraft-i-kommunen" in r.text]
    assert dated, "ingen regel räknar dokument i kraft på datumet"
    checked = 0
    for rule in dated:
        for _fires, kommun, _focus, date, _why in cases(FIXTURES / f"{rule.name}.yaml"):
            bindings = {"kommun": rdflib.URIRef(ID + kommun), "datum": rdflib.Literal(date, datatype=rdflib.XSD.date)}
            rows = lambda text: sorted({tuple(sorted((k, str(v)) for k, v in r.items() if v is not None))  # noqa: E731
                                        for r in fixture_store.select(text, bindings)})
            written = rows(rule.text)
            assert rows(specialise(rule.text, index, ID + kommun, dt.date.fromisoformat(date))) == written, (rule.name, kommun, date)
            checked += len(written)
    assert checked


@pytest.fixture(scope="module", params=["oxigraph-server", "virtuoso"])
def fixture_server(request, tmp_path_factory):
    """A SPARQL server with the bundled data and the gap fixtures: servers run the rules as
    written, where Virtuoso 7.2.5 has its own ways with paths, EXISTS and grouping."""
    from sparql_servers import load_into, oxigraph_server, virtuoso_server

    from ansvarsgraf.remote_store import SparqlEndpointStore

    start = {"oxigraph-server": oxigraph_server, "virtuoso": virtuoso_server}[request.param]
    with start(tmp_path_factory.mktemp(request.param)) as endpoints:
        load_into(endpoints, str(DATA_DIR), *(str(p) for p in sorted(FIXTURES.glob("*.yaml"))))
        yield SparqlEndpointStore(endpoints["query"])


DATED = sorted(r.name for r in rules() if "# ersätts till slut: dokument-i-kraft-i-kommunen" in r.text)


@pytest.mark.parametrize("name", DATED)
def test_servers_find_the_rules_rows_on_every_fixture_date(request, fixture_store, fixture_server, name):
    """A dated rule as written on a SPARQL server gives the embedded store's rows on every
    fixture case (a document before its start, after its end, signed later; a forum before
    its observation)."""
    import rdflib

    if name == "lagstadgad-uppgift-utan-lokal-barare" and "virtuoso" in request.node.callspec.id:
        request.applymarker(pytest.mark.xfail(strict=True, reason="Virtuoso 7.2.5 ger fler rader (luckor som inte "
                                              "finns) än det inbyggda lagret för regeln som den står skriven, t.ex. "
                                              "fx-lb-rutin-kommun 2026-03-01; öppet fel"))
    rule = next(r for r in rules() if r.name == name)
    checked = 0
    for _fires, kommun, _focus, date, _why in cases(FIXTURES / f"{name}.yaml"):
        bindings = {"kommun": rdflib.URIRef(ID + kommun), "datum": rdflib.Literal(date, datatype=rdflib.XSD.date)}
        rows = lambda store: sorted({tuple(sorted((k, str(v)) for k, v in r.items() if v is not None))  # noqa: E731
                                     for r in store.select(rule.text, bindings)})
        expected = rows(fixture_store)
        assert rows(fixture_server) == expected, (name, kommun, date)
        checked += len(expected)
    assert checked
