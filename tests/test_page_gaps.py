"""The gap report as a board reads it: a heading per gap naming what and where, a summary
that counts every gap, and the standalone report with every source.

On the embedded store: these read a report already built, and the servers' reports for the
same municipalities and date are compared with the embedded store's field for field
(test_stores.test_same_gap_report_from_embedded_and_server)."""

import datetime as dt

import pytest

from ansvarsgraf.gaps import analyse, render_html
from ansvarsgraf.wording import readable

ID = "https://w3id.org/ansvarsgraf/id/"
KOMMUNER = ["timra-kommun", "perstorp-kommun", "leksand-kommun", "hoor-kommun", "trelleborg-kommun"]


@pytest.mark.parametrize("kommun", KOMMUNER)
def test_every_gap_has_its_own_heading_naming_what_and_where(embedded, kommun):
    report = analyse(embedded, ID + kommun, dt.date(2026, 3, 1))
    headings = [g.heading for g in report.gaps]
    assert headings and all(h.startswith(report.municipality.label + ": ") for h in headings)
    assert len(set(headings)) == len(headings), "två luckor har samma rubrik"
    # specific: more than the kind's generic title, which many gaps share
    assert not [g for g in report.gaps if g.heading.removeprefix(report.municipality.label + ": ") == g.title]


def test_the_bup_finding_is_named_by_what_it_says(embedded):
    report = analyse(embedded, ID + "timra-kommun", dt.date(2026, 3, 1))
    assert any(h.startswith("Timrå kommun: Avvikelser enligt samverkansrutinen för skola och BUP rapporteras inte")
               for h in (g.heading for g in report.gaps))


@pytest.mark.parametrize("kommun", KOMMUNER)
def test_the_summary_counts_every_gap_once_per_kind_and_per_board(embedded, kommun):
    report = analyse(embedded, ID + kommun, dt.date(2026, 3, 1))
    assert sum(row["count"] for row in report.summary()) == len(report.gaps)
    for actor, by_severity in report.by_actor():
        assert sum(by_severity.values()) == sum(1 for g in report.gaps if actor.iri in {a.iri for a in g.act})
    assert sum(len(gaps) for _, gaps in report.groups()) == len(report.gaps)


def test_the_standalone_report_shows_every_source_open(embedded):
    report = analyse(embedded, ID + "timra-kommun", dt.date(2026, 3, 1))
    html = render_html([report])
    assert "<details" not in html and "Sammanfattning" in html
    assert html.count("Belägg och källor") == sum(1 for g in report.gaps if g.evidence)
    for source in {s.label for g in report.gaps for e in g.evidence for s in e.sources}:
        assert readable(source).replace("&", "&amp;") in html.replace("&#34;", '"').replace("&#39;", "'"), source
