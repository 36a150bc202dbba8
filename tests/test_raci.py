"""The responsibility matrix (`ansvarsgraf raci`, /raci, /api/raci): every cell is the parts
an agreement's duties give an actor, read here straight from the graph; the spreadsheet has
the same cells as the CSV."""

import csv
import datetime as dt
import io

import pytest
import rdflib
from openpyxl import load_workbook

from ansvarsgraf.answering import answer_task
from ansvarsgraf.catalog import catalog_for
from ansvarsgraf.cli import main
from ansvarsgraf.ids import ID_BASE
from ansvarsgraf.dates import valid_between
from ansvarsgraf.raci import NO_ACCOUNTABLE, documents, matrix, render_csv, render_xlsx

ON = dt.date(2026, 3, 1)
DUTIES = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX ag: <https://w3id.org/ansvarsgraf/def#>
SELECT ?atagande ?uppgift ?barare ?del ?bokstav ?fran ?till WHERE {
  ?atagande ag:establishedBy ?dokument ; ag:task ?uppgift ; ag:bearer ?barare ; ag:part ?d .
  ?d skos:prefLabel ?del . FILTER(lang(?del) = "sv")
  OPTIONAL { ?d skos:broadMatch/skos:notation ?bokstav }
  OPTIONAL { ?atagande ag:validFrom ?fran }
  OPTIONAL { ?atagande ag:validUntil ?till }
}"""


def _applicable(store):
    """Each document with one municipality where it applies on the date."""
    catalog = catalog_for(store)
    found = []
    for document in sorted(documents(store)):
        where = [m for m in sorted(catalog.by_iri) if catalog.organisations.applies(document, m, ON)]
        if where:
            found.append((document, where[0]))
    return found


def test_matrix_of_each_agreement_matches_its_duties_cell_by_cell(store):
    checked = 0
    for document, kommun in _applicable(store):
        expected: dict[tuple[str, str], list[tuple[str, str | None]]] = {}
        for r in store.select(DUTIES, {"dokument": rdflib.URIRef(document)}):
            if valid_between(r["fran"], r["till"], ON):
                expected.setdefault((str(r["uppgift"]), str(r["barare"])), []).append(
                    (str(r["del"]), str(r["bokstav"]) if r["bokstav"] is not None else None))
        result = matrix(store, kommun, ON, document)
        cells = {(row.task.iri, actor): [(e.part, e.letter) for e in entries] for row in result.rows for actor, entries in row.cells.items()}
        assert {k: sorted(v) for k, v in cells.items()} == {k: sorted(v) for k, v in expected.items()}, document
        assert len(result.footnotes) == len({e.duty.iri for row in result.rows for es in row.cells.values() for e in es})
        checked += 1
    assert checked >= 5


def test_tasks_with_nothing_modelled_are_empty_rows_marked_as_gaps(store):
    kommun = ID_BASE + "timra-kommun"
    result = matrix(store, kommun, ON)
    assert len(result.rows) == len(catalog_for(store).task_labels)
    for row in result.rows:
        if answer_task(store, row.task.iri, kommun, ON).status == "ingen_ansvarig":
            assert row.cells == {} and row.gap == NO_ACCOUNTABLE


def test_xlsx_has_the_same_cells_as_the_csv(store):
    result = matrix(store, ID_BASE + "timra-kommun", ON, ID_BASE + "timra-skip")
    rows = list(csv.reader(io.StringIO(render_csv(result))))
    book = load_workbook(io.BytesIO(render_xlsx(result)))
    sheet = [[c if c is not None else "" for c in row] for row in book["Matris"].iter_rows(values_only=True)]
    assert sheet == rows and len(rows) > 1
    assert [r[0] for r in book["Förklaring"].iter_rows(min_row=2, max_row=1 + len(result.legend), values_only=True)] == \
        [item.letter for item in result.legend]


def test_cli_raci(tmp_path, capsys):
    target = tmp_path / "matris.xlsx"
    assert main(["raci", "--kommun", "Timrå", "--dokument", "timra-skip", "--datum", "2026-03-01", "--format", "xlsx", "-o", str(target)]) == 0
    assert load_workbook(target)["Matris"].max_row > 1
    assert main(["raci", "--kommun", "Timrå", "--dokument", "timra-skip", "--datum", "2026-03-01"]) == 0
    assert capsys.readouterr().out.startswith("Uppgift,")
    assert main(["raci", "--kommun", "Timrå", "--format", "html", "-o", str(tmp_path / "m.html")]) == 0
    assert "Ansvarsmatris" in (tmp_path / "m.html").read_text(encoding="utf-8")
    assert main(["raci", "--kommun", "Timrå", "--dokument", "finns-inte"]) == 2


@pytest.fixture(scope="module")
def client(store):
    from fastapi.testclient import TestClient

    from ansvarsgraf.web.app import create_app

    return TestClient(create_app(store))


def test_raci_page_downloads_and_links(store, client):
    params = {"kommun": "timra-kommun", "dokument": "timra-skip", "datum": "2026-03-01"}
    page = client.get("/raci", params=params)
    assert page.status_code == 200
    result = matrix(store, ID_BASE + "timra-kommun", ON, ID_BASE + "timra-skip")
    for actor in result.actors:
        assert actor.label in page.text
    assert client.get("/raci", params={**params, "format": "csv"}).text == render_csv(result)
    xlsx = client.get("/raci", params={**params, "format": "xlsx"})
    assert xlsx.status_code == 200 and load_workbook(io.BytesIO(xlsx.content))["Matris"].max_row == len(result.rows) + 1
    assert client.get("/api/raci", params=params).json()["rows"]
    assert "/raci?kommun=timra-kommun&amp;dokument=timra-skip" in client.get("/id/timra-skip").text
    assert "/raci?kommun=timra-kommun" in client.get("/id/timra-kommun").text


@pytest.mark.parametrize("params,status", [({"kommun": "Atlantis"}, 404), ({"kommun": "timra-kommun", "dokument": "nej"}, 404),
                                           ({"kommun": "timra-kommun", "datum": "igår"}, 400)])
def test_bad_input_to_raci(client, params, status):
    assert client.get("/api/raci", params=params).status_code == status
    assert client.get("/raci", params=params).status_code == status
