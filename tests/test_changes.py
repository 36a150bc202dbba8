"""The change report (`ansvarsgraf andringar`, /api/andringar, /andringar): which answers
differ between two dates, what changed and why, grouped by cause. Expectations are read from
answers built with answer_task and from the graph, never typed in."""

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansvarsgraf.answering import answer_task
from ansvarsgraf.catalog import catalog_for
from ansvarsgraf.changes import NO_CAUSE, answer_changes, change_report, render_csv
from ansvarsgraf.cli import main
from ansvarsgraf.ids import ID_BASE

HOOR = ID_BASE + "hoor-kommun"
NEW_SOL, OLD_SOL = "https://lagen.nu/2025:400#", "https://lagen.nu/2001:453#"
D = dt.date


def _in_force(answer) -> dict[str, set[str]]:
    """Duty → the provisions in force its answer gives."""
    return {d.iri: {(b.in_force or b.cited).iri for b in d.legal_basis} for d in answer.duties}


def test_new_socialtjanstlag_moves_legal_basis_grouped_under_its_entry_into_force(store):
    before, after = D(2025, 6, 30), D(2025, 7, 1)
    report = change_report(store, before, after, [HOOR])
    catalog = catalog_for(store)
    # Expected from the answers themselves: every task with a duty whose provision in force
    # went from an SoL 2001:453 section to an SoL 2025:400 one.
    moved = set()
    for task in catalog.task_labels:
        old, new = _in_force(answer_task(store, task, HOOR, before)), _in_force(answer_task(store, task, HOOR, after))
        for duty in old.keys() & new.keys():
            if any(p.startswith(OLD_SOL) for p in old[duty]) and any(p.startswith(NEW_SOL) for p in new[duty]):
                moved.add(task)
    assert ID_BASE + "kalla-till-sip" in moved
    groups = [g for g in report.groups if g.cause.day == "2025-07-01" and g.cause.kind == "författning"]
    assert len(groups) == 1, [g.cause.title for g in report.groups]
    (group,) = groups
    assert "2025:400" in group.cause.title
    assert any(c.node.iri == NEW_SOL + "K10P8" and c.date == "2025-07-01" for c in group.cause.citations)
    listed = {c.task.iri for c in group.answers}
    assert moved <= listed
    sip = next(c for c in group.answers if c.task.iri == ID_BASE + "kalla-till-sip")
    assert any(i.kind == "lagrum i kraft" and "SoL (2001:453) 2 kap. 7 §" in i.before and "SoL (2025:400) 10 kap. 8 §" in i.after
               for i in sip.items)


def test_feedback_deadline_from_2026_01_15_under_the_amendment_of_19_kap_6(store):
    before, after = D(2026, 1, 14), D(2026, 1, 15)
    task = ID_BASE + "aterkoppla-till-anmalare"
    report = change_report(store, before, after, [HOOR], [task], with_gaps=False)
    deadlines = {d.deadline for d in answer_task(store, task, HOOR, after).duties} - \
        {d.deadline for d in answer_task(store, task, HOOR, before).duties}
    assert deadlines  # the data gives the new deadline; the report must show it
    (group,) = report.groups
    assert group.cause.kind == "ändring" and group.cause.day == "2026-01-15"
    assert any("19 kap. 6 §" in c.node.label for c in group.cause.citations)
    (change,) = group.answers
    assert {i.after for i in change.items if i.kind == "frist"} == deadlines


REVISED = """
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX ag: <https://w3id.org/ansvarsgraf/def#>
SELECT ?dokument ?reviderad WHERE { ?dokument ag:revisionInterval "P1Y"^^<http://www.w3.org/2001/XMLSchema#duration> ;
                                     dcterms:modified|ag:modifiedMonth ?reviderad }"""


def _last_day(value: str) -> dt.date:
    """The last day a revision date of day or month precision can mean ("2022-06" → 2022-06-30)."""
    if len(value) == 10:
        return D.fromisoformat(value)
    year, month = map(int, value.split("-"))
    return D(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


def _shown_in_an_answer(store, document: str, kommun: str, day: dt.date) -> bool:
    from ansvarsgraf.answering import duties_for_tasks

    by_task = duties_for_tasks(store, sorted(catalog_for(store).task_labels), kommun, day)
    return any(d.instrument is not None and d.instrument.iri == document and not d.known_first
               for duties, _ in by_task.values() for d in duties)


def test_a_revision_falling_due_is_a_cause(store):
    catalog = catalog_for(store)
    checked = 0
    for row in store.select(REVISED):
        document, revised = str(row["dokument"]), _last_day(str(row["reviderad"]))
        overdue = revised.replace(year=revised.year + 1) + dt.timedelta(days=1)  # yearly, warned the day after
        where = [m for m in sorted(catalog.by_iri) if catalog.organisations.applies(document, m, overdue)]
        if not where or not _shown_in_an_answer(store, document, where[0], overdue):
            continue  # e.g. duties known only from a source written later (issue 14): no answer shows them
        report = change_report(store, overdue - dt.timedelta(days=1), overdue, where[:1], with_gaps=False)
        groups = [g for g in report.groups if any(c.node.iri == document for c in g.cause.citations)]
        assert groups and groups[0].cause.day == overdue.isoformat(), document
        assert any(i.kind == "varning tillkom" for g in groups for a in g.answers for i in a.items)
        checked += 1
    assert checked


def test_no_change_between_two_ordinary_days(store):
    report = change_report(store, D(2024, 3, 3), D(2024, 3, 4), [HOOR])
    assert report.empty and report.answers_compared == len(catalog_for(store).task_labels)
    assert render_csv(report).splitlines()[1:] == []


def test_cli_andringar_json_and_text(capsys):
    assert main(["andringar", "--fran", "2026-01-14", "--till", "2026-01-15", "--kommun", "Höör", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["groups"] and data["groups"][0]["cause"]["day"] == "2026-01-15"
    assert main(["andringar", "--fran", "2026-01-14", "--till", "2026-01-15", "--kommun", "Höör"]) == 0
    assert "i kraft 2026-01-15" in capsys.readouterr().out
    assert main(["andringar", "--fran", "2026-13-01", "--till", "2026-01-15"]) == 2


def test_cli_andringar_html_names_every_cause(tmp_path):
    target = tmp_path / "andringar.html"
    assert main(["andringar", "--fran", "2025-06-30", "--till", "2025-07-01", "--kommun", "Höör", "--format", "html", "-o", str(target)]) == 0
    text = target.read_text(encoding="utf-8")
    import html

    from ansvarsgraf.embedded_store import open_embedded_store

    for group in change_report(open_embedded_store(), D(2025, 6, 30), D(2025, 7, 1), [HOOR]).groups:
        assert html.escape(group.cause.title) in text


# ---------------------------------------------------------------------------
# Property: the report between D and D+1 is empty exactly when the answers are equal
# ---------------------------------------------------------------------------

def _equal(x, y, day_x: str, day_y: str) -> bool:
    """The specification of equal answers, written apart from changes.py: the same data,
    where a text may differ only by each answer naming its own date."""
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(_equal(x[k], y[k], day_x, day_y) for k in x)
    if isinstance(x, list) and isinstance(y, list):
        return len(x) == len(y) and all(_equal(a, b, day_x, day_y) for a, b in zip(x, y))
    if isinstance(x, str) and isinstance(y, str) and x != y:
        return x.split(day_x) == y.split(day_y)
    return x == y


def _days(store, where: str) -> list[D]:
    """The day before and the day of every date the pattern finds, and some ordinary days."""
    rows = store.select(f"SELECT DISTINCT ?d WHERE {{ {where} FILTER(DATATYPE(?d) = <http://www.w3.org/2001/XMLSchema#date>) }}")
    days = {D.fromisoformat(str(r["d"])) for r in rows}
    return sorted({x for d in days for x in (d, d - dt.timedelta(days=1))} | {D(2019, 1, 1), D(2024, 6, 1), D(2026, 12, 4)})


CHECKED = {"answers": 0, "changed": 0}


def test_report_between_consecutive_days_is_empty_exactly_when_answers_are_equal(embedded, figures):
    catalog = catalog_for(embedded)
    tasks = sorted(catalog.task_labels)
    kommuner = sorted(catalog.by_iri)
    every_date = _days(embedded, "?s ?p ?d")
    law_dates = _days(embedded, "?s a <http://data.europa.eu/eli/ontology#LegalResourceSubdivision> ; ?p ?d")

    @settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(st.sampled_from(tasks), st.sampled_from(kommuner), st.sampled_from(law_dates) | st.sampled_from(every_date))
    def check(task, kommun, day):
        after = day + dt.timedelta(days=1)
        a, b = answer_task(embedded, task, kommun, day), answer_task(embedded, task, kommun, after)
        equal = _equal({**a.as_dict(), "date": ""}, {**b.as_dict(), "date": ""}, a.date, b.date)
        report = change_report(embedded, day, after, [kommun], [task], with_gaps=False)
        assert report.empty == equal == (answer_changes(a, b) == [])
        CHECKED["answers"] += 1
        if not equal:
            CHECKED["changed"] += 1
            # The why is found in the data: something in the material starts or ends on D+1.
            assert all(g.cause.kind != NO_CAUSE and g.cause.day == after.isoformat() for g in report.groups)

    check()
    figures(f"{CHECKED['answers']} dagpar jämförda, {CHECKED['changed']} med ändringar")
    assert CHECKED["changed"] > 0


# ---------------------------------------------------------------------------
# API and page: the same report
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def client(store):
    from fastapi.testclient import TestClient

    from ansvarsgraf.web.app import create_app

    return TestClient(create_app(store))


def test_api_and_page_show_the_report(store, client):
    report = change_report(store, D(2026, 1, 14), D(2026, 1, 15), [HOOR])
    response = client.get("/api/andringar", params={"fran": "2026-01-14", "till": "2026-01-15", "kommun": "hoor-kommun"})
    assert response.status_code == 200
    assert response.json() == json.loads(json.dumps(report.as_dict()))
    page = client.get("/andringar", params={"fran": "2026-01-14", "till": "2026-01-15", "kommun": "hoor-kommun"})
    assert page.status_code == 200
    for group in report.groups:
        assert group.cause.title in page.text
    assert client.get("/andringar").status_code == 200


@pytest.mark.parametrize("params", [{"fran": "2026-01-14"}, {"fran": "igår", "till": "2026-01-15"},
                                    {"fran": "2026-01-14", "till": "2026-01-15", "kommun": "Atlantis"}])
def test_bad_input_is_a_swedish_4xx(client, params):
    response = client.get("/api/andringar", params=params)
    assert 400 <= response.status_code < 500 and response.json()["fel"]
    assert 400 <= client.get("/andringar", params=params).status_code < 500


def test_change_items_follow_the_answers_order_in_every_process(embedded):
    """The report lists what came and went in the answers' own order. It used set differences,
    whose order for strings changes from one process to the next (hash randomisation): the
    same two dates gave a differently ordered report on every run (/api/andringar, the CLI).
    Eight warnings and four bearers come: a set would keep their order by chance once in
    8! × 4! times."""
    import copy

    from ansvarsgraf.results import Bearer, Ref, Warning

    catalog = catalog_for(embedded)
    before = next(a for m in sorted(catalog.by_iri) for t in sorted(catalog.task_labels)
                  if (a := answer_task(embedded, t, m, dt.date(2026, 3, 1))).duties)
    after = copy.deepcopy(before)
    duty = after.duties[0]
    texts = [f"Varning {n}: {word}" for n, word in enumerate("oxe häst ko får get gris höna anka".split())]
    duty.warnings.extend(Warning("varning", text) for text in texts)
    actors = [Ref(f"{ID_BASE}barare-{n}", f"Bärare {n}", "aktör") for n in "dcba"]
    duty.bearers.extend(Bearer(actor, [], []) for actor in actors)
    items = answer_changes(before, after)
    assert [i.after for i in items if i.kind == "varning tillkom"] == texts
    assert [i.after for i in items if i.kind == "bärare tillkom"] == [a.label for a in actors]
    # and the other way, what went, in the earlier answer's order
    items = answer_changes(after, before)
    assert [i.before for i in items if i.kind == "varning försvann"] == texts
    assert [i.before for i in items if i.kind == "bärare försvann"] == [a.label for a in actors]
