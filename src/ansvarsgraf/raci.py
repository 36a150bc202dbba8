"""A responsibility matrix (RACI) for a municipality, or one document in it, on a date
(`ansvarsgraf raci`, /raci): tasks as rows, actors as columns, each cell the parts the duties
give the actor, with their RACI letter (from ontology/vocabularies.ttl, queries/raci-delar.rq)
and a footnote naming each duty's document, section, source and provision.

The duties are those of the answers a request gets (answer.answer_task), so the matrix never
disagrees with the page. A cell is empty where nothing is modelled. A row is marked when no
actor is accountable (A), or when several are and no duty for the task coordinates
(the part ”samordnar”, as the gap rule flera-ansvariga-utan-samordning).
"""

import csv
import datetime as dt
import io
from dataclasses import asdict, dataclass, field

from .answering import answer_task
from .catalog import catalog_for
from .results import DutyAnswer, Ref
from .queries import query_text
from .graph_store import GraphStore, per_data_version

ACCOUNTABLE = "A"
NO_ACCOUNTABLE = "Ingen ansvarig (A) modellerad"
SEVERAL_ACCOUNTABLE = "Flera ansvariga (A) utan att någon samordnar"


@dataclass
class Entry:
    part: str
    letter: str | None
    duty: Ref
    modality: str
    footnote: int


@dataclass
class Row:
    task: Ref
    cells: dict[str, list[Entry]]  # actor IRI → entries
    gap: str | None = None

    def cell_text(self, actor: str) -> str:
        return cell_text(self.cells.get(actor, []))


@dataclass
class Legend:
    letter: str
    name: str
    parts: list[str]


@dataclass
class Matrix:
    municipality: Ref
    date: str
    document: Ref | None
    actors: list[Ref]
    rows: list[Row]
    legend: list[Legend]
    footnotes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    def table(self) -> list[list[str]]:
        """The matrix as the CSV and the spreadsheet have it: a header, then one row per task."""
        header = ["Uppgift", *(a.label for a in self.actors), "Lucka"]
        return [header] + [[row.task.label, *(row.cell_text(a.iri) for a in self.actors), row.gap or ""] for row in self.rows]


def cell_text(entries: list[Entry]) -> str:
    return "; ".join(f"{e.letter or '–'} ({e.part}) [{e.footnote}]" for e in entries)


def part_letters(store: GraphStore) -> tuple[dict[str, str], list[Legend], set[str]]:
    """Part name → RACI letter, the legend, and the parts that coordinate."""
    letters, legend, coordinating = {}, {}, set()
    for row in store.select(query_text("raci-delar")):
        part = str(row["delnamn"])
        if str(row["samordnar"]).lower() == "true":
            coordinating.add(part)
        if row["bokstav"] is not None:
            letter = str(row["bokstav"])
            letters[part] = letter
            legend.setdefault(letter, Legend(letter, str(row["bokstavsnamn"]), [])).parts.append(part)
    order = "RACI"
    return letters, sorted(legend.values(), key=lambda x: order.index(x.letter) if x.letter in order else 9), coordinating


class UnknownDocumentError(ValueError):
    pass


@per_data_version(maxsize=4)
def documents(store: GraphStore) -> dict[str, str]:
    """Every governing document: IRI → name."""
    return {str(r["nod"]): str(r["namn"]) for r in store.select(query_text("lista-dokument"))}


def matrix(store: GraphStore, municipality_iri: str, on_date: dt.date, document_iri: str | None = None) -> Matrix:
    catalog = catalog_for(store)
    if document_iri is not None and document_iri not in documents(store):
        raise UnknownDocumentError(f"Dokumentet '{document_iri.rsplit('/', 1)[-1][:80]}' finns inte i grafen; se /api/dokument.")
    kommun = catalog.by_iri[municipality_iri]
    letters, legend, coordinating = part_letters(store)
    duties: dict[str, DutyAnswer] = {}
    for task in sorted(catalog.task_labels):
        for duty in answer_task(store, task, municipality_iri, on_date).duties:
            if document_iri is None or (duty.instrument is not None and duty.instrument.iri == document_iri):
                duties.setdefault(duty.iri, duty)
    actors: dict[str, Ref] = {}
    rows: dict[str, Row] = {}
    if document_iri is None:
        # Every task is a row: an empty row says that nothing is modelled for it here.
        for task, label in catalog.task_labels.items():
            rows[task] = Row(Ref(task, label, "uppgift"), {})
    footnotes: list[str] = []
    for duty in sorted(duties.values(), key=lambda d: (d.task.label, d.iri)):
        footnotes.append(_footnote(duty))
        row = rows.setdefault(duty.task.iri, Row(Ref(duty.task.iri, duty.task.label, "uppgift"), {}))
        for bearer in duty.bearers:
            actor = bearer.actor
            shown = actor.label + (" (" + ", ".join(r.label for r in bearer.fulfilled_by) + ")" if bearer.fulfilled_by else "")
            actors.setdefault(actor.iri, Ref(actor.iri, shown, actor.kind))
            row.cells.setdefault(actor.iri, []).append(
                Entry(duty.part, letters.get(duty.part), Ref(duty.iri, duty.description or duty.task.label, "åtagande"),
                      duty.modality, len(footnotes)))
    for row in rows.values():
        accountable = {a for a, entries in row.cells.items() if any(e.letter == ACCOUNTABLE for e in entries)}
        coordinated = any(e.part in coordinating for entries in row.cells.values() for e in entries)
        if not accountable:
            row.gap = NO_ACCOUNTABLE
        elif len(accountable) > 1 and not coordinated:
            row.gap = SEVERAL_ACCOUNTABLE
    document = Ref(document_iri, documents(store)[document_iri], "dokument") if document_iri else None
    return Matrix(kommun, on_date.isoformat(), document, sorted(actors.values(), key=lambda a: a.label),
                  sorted(rows.values(), key=lambda r: r.task.label), legend, footnotes)


def _footnote(duty: DutyAnswer) -> str:
    where = duty.instrument.label + (f", {duty.instrument_section}" if duty.instrument_section else "") if duty.instrument else "lag"
    laws = ", ".join((b.in_force or b.cited).label for b in duty.legal_basis)
    sources = "; ".join(s.label for s in duty.sources)
    what = duty.description or duty.task.label
    return f"{what} – {where}" + (f"; lagrum: {laws}" if laws else "") + (f"; källa: {sources}" if sources else "") + f" <{duty.iri}>"


def render_csv(result: Matrix) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(result.table())
    return out.getvalue()


def render_xlsx(result: Matrix) -> bytes:
    """The same cells as the CSV on the first sheet; the legend and the footnotes on their own."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    book = Workbook()
    sheet = book.active
    sheet.title = "Matris"
    for row in result.table():
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    marked = PatternFill("solid", fgColor="FFE0B2")
    for index, row in enumerate(result.rows, start=2):
        if row.gap:
            sheet.cell(row=index, column=len(result.actors) + 2).fill = marked
    sheet.freeze_panes = "B2"
    legend = book.create_sheet("Förklaring")
    legend.append(["Bokstav", "Betydelse", "Delar i ansvaret"])
    for item in result.legend:
        legend.append([item.letter, item.name, ", ".join(item.parts)])
    legend.append([])
    legend.append([f"{result.municipality.label} per {result.date}" + (f", {result.document.label}" if result.document else "")])
    notes = book.create_sheet("Källor")
    notes.append(["Not", "Åtagande, dokument, lagrum och källa"])
    for number, text in enumerate(result.footnotes, start=1):
        notes.append([number, text])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
