"""The impact of one provision (`ansvarsgraf paverkan LAGRUM`, the section on /lagrum pages).

Which agreements, routines and local duties cite the provision or one of its predecessors
(queries/paverkan-citerar.rq), in which municipalities those documents apply on the date,
which answers rest on it (built with answer.answer_task, as a request is), and, where a
document cites a provision that no longer applies, the successor it should cite instead, per
municipality.
"""

import datetime as dt
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field

import rdflib

from .answering import answer_task
from .catalog import catalog_for
from .results import Ref
from .dates import as_date, in_period
from .queries import query_text
from .graph_store import GraphStore
from .vocabulary import AG, INSTRUMENT_KINDS

LAW_BASE = "https://lagen.nu/"
INSTRUMENT_TYPES = set(map(str, INSTRUMENT_KINDS))
DUTY = str(AG.Duty)
# "SoL (2001:453) 2 kap. 7 §", "2025:400 19 kap. 6 §", "1990:52 1 §"
_WRITTEN = re.compile(r"(\d{4}:\d+)\)?\s+(?:(\d+)\s*kap\.?\s*)?(\d+(?:\s*[a-z])?)\s*§")


class UnknownProvisionError(ValueError):
    pass


def provision_iri(text: str) -> str:
    """A provision as people write it: its lagen.nu URI, sfs:2001:453#K2P7, 2001:453#K2P7,
    /lagrum/2001:453/K2P7, or "SoL (2001:453) 2 kap. 7 §"."""
    text = text.strip()
    if text.startswith(LAW_BASE):
        return text
    if text.startswith("/lagrum/"):
        sfs, _, anchor = text[len("/lagrum/"):].partition("/")
        return f"{LAW_BASE}{sfs}#{anchor}"
    if re.fullmatch(r"(sfs:)?\d{4}:\d+#[A-Za-z0-9]+", text):
        return LAW_BASE + text.removeprefix("sfs:")
    match = _WRITTEN.search(text)
    if match:
        sfs, chapter, section = match.groups()
        return f"{LAW_BASE}{sfs}#" + (f"K{chapter}" if chapter else "") + "P" + section.replace(" ", "")
    raise UnknownProvisionError(f"'{text[:80]}' är ingen bestämmelse; skriv t.ex. sfs:2001:453#K2P7 eller ”SoL (2001:453) 2 kap. 7 §”.")


@dataclass
class ProvisionRef:
    iri: str
    label: str
    valid_from: str | None = None
    valid_until: str | None = None
    in_force: bool = True


@dataclass
class DocumentImpact:
    document: Ref
    cites: list[ProvisionRef]  # the provision or predecessors it (or its duties) cites
    duties: list[Ref]
    municipalities: list[Ref]  # where it applies on the date
    repealed: list[ProvisionRef]  # cited provisions that do not apply on the date
    successors: list[ProvisionRef]  # what to cite instead, in force on the date


@dataclass
class RestingAnswer:
    municipality: Ref
    task: Ref
    duties: list[Ref]
    cited: list[str]  # labels of the provisions the answer gives for them


@dataclass
class StillCiting:
    """"Still cites a repealed provision": a document that applies in a municipality."""

    municipality: Ref
    document: Ref
    cited: list[ProvisionRef]
    successors: list[ProvisionRef]


@dataclass
class Impact:
    provision: ProvisionRef
    date: str
    predecessors: list[ProvisionRef]
    successors: list[ProvisionRef]
    documents: list[DocumentImpact]
    statutory_duties: list[Ref]  # duties the law itself places, citing it (they apply everywhere)
    answers: list[RestingAnswer] | None  # None when not asked for (the page links to them)
    still_citing: list[StillCiting] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def impact(store: GraphStore, iri: str, on_date: dt.date, with_answers: bool = True) -> Impact:
    catalog = catalog_for(store)
    chain = _chain(store, iri, on_date)
    if iri not in chain:
        raise UnknownProvisionError(f"Bestämmelsen {iri} finns inte i grafen.")
    provision = chain[iri][0]
    predecessors = [p for p, way in chain.values() if way == "tidigare"]
    successors = [p for p, way in chain.values() if way == "senare"]
    rows = store.select(query_text("paverkan-citerar"), {"bestammelse": rdflib.URIRef(iri)})
    by_document: dict[str, dict] = {}
    statutory: dict[str, Ref] = {}
    tasks: set[str] = set()
    cited_chain: dict[str, ProvisionRef] = {}
    for row in rows:
        cited = str(row["citerad"])
        cited_chain.setdefault(cited, chain[cited][0] if cited in chain else ProvisionRef(cited, _text(row["citeradnamn"], cited)))
        node, kind = str(row["nod"]), str(row["typ"])
        if row["uppgift"] is not None:
            tasks.add(str(row["uppgift"]))
        document = node if kind in INSTRUMENT_TYPES else (str(row["dokument"]) if row["dokument"] is not None else None)
        if document is None:
            statutory[node] = Ref(node, _text(row["nodnamn"] or row["beskrivning"], node), "åtagande")
            continue
        label = _text(row["nodnamn"], node) if document == node else _text(row["dokumentnamn"], document)
        entry = by_document.setdefault(document, {"ref": Ref(document, label, "dokument"), "cites": {}, "duties": {}})
        entry["cites"][cited] = cited_chain[cited]
        if kind == DUTY:
            entry["duties"][node] = Ref(node, _text(row["nodnamn"] or row["beskrivning"], node), "åtagande")
    municipalities = sorted(catalog.by_iri.values(), key=lambda m: m.label)
    documents, still = [], []
    for document, entry in sorted(by_document.items(), key=lambda d: d[1]["ref"].label):
        where = [m for m in municipalities if catalog.organisations.applies(document, m.iri, on_date)]
        cites = list(entry["cites"].values())
        repealed = [p for p in cites if not p.in_force]
        instead = _successors_in_force(store, repealed, on_date) if repealed else []
        documents.append(DocumentImpact(entry["ref"], cites, list(entry["duties"].values()), where, repealed, instead))
        if repealed:
            still.extend(StillCiting(m, entry["ref"], repealed, instead) for m in where)
    answers = None
    if with_answers:
        answers = _resting_answers(store, catalog, sorted(tasks | _tasks_of(store, by_document)), municipalities,
                                   set(chain), on_date)
    return Impact(provision, on_date.isoformat(), predecessors, successors, documents, sorted(statutory.values(), key=lambda r: r.label),
                  answers, sorted(still, key=lambda s: (s.municipality.label, s.document.label)))


def _text(value, fallback: str) -> str:
    return str(value) if value is not None else fallback.rsplit("/", 1)[-1]


def _chain(store: GraphStore, iri: str, on_date: dt.date) -> dict[str, tuple[ProvisionRef, str]]:
    """The provision, its predecessors and successors (lagrum-kedja), each with its validity."""
    exists = store.select(query_text("beskriv"), {"nod": rdflib.URIRef(iri)})
    if not exists:
        return {}
    chain = {}
    for row in store.select(query_text("lagrum-kedja"), {"citerad": rdflib.URIRef(iri)}):
        p = str(row["bestammelse"])
        start, end = (str(row[k]) if row[k] is not None else None for k in ("fran", "till"))
        chain[p] = (ProvisionRef(p, _text(row["namn"], p), start, end, in_period(as_date(start), as_date(end), on_date)),
                    str(row["riktning"]))
    return chain


def _successors_in_force(store: GraphStore, provisions: list[ProvisionRef], on_date: dt.date) -> list[ProvisionRef]:
    found: dict[str, ProvisionRef] = {}
    for provision in provisions:
        for p, way in _chain(store, provision.iri, on_date).values():
            if way == "senare" and p.in_force:
                found.setdefault(p.iri, p)
    return sorted(found.values(), key=lambda p: p.label)


def _tasks_of(store: GraphStore, documents: dict[str, dict]) -> set[str]:
    """Tasks of every duty in the citing documents: a duty that cites no provision rests on its document's."""
    tasks = set()
    for document in documents:
        tasks |= {str(r["uppgift"]) for r in store.select(query_text("atagande-i-dokument"), {"dokument": rdflib.URIRef(document)})}
    return tasks


def _resting_answers(store, catalog, tasks: list[str], municipalities: list[Ref], chain: set[str], on_date: dt.date) -> list[RestingAnswer]:
    """Answers (as a request gets them) with a duty whose legal basis is in the provision's chain."""
    found = []
    for kommun in municipalities:
        for task in tasks:
            if task not in catalog.task_labels:
                continue
            answer = answer_task(store, task, kommun.iri, on_date)
            duties, cited = [], []
            for duty in answer.duties:
                hits = [b for b in duty.legal_basis if b.cited.iri in chain or (b.in_force and b.in_force.iri in chain)]
                if hits:
                    duties.append(Ref(duty.iri, " och ".join(b.actor.label for b in duty.bearers) + f" · {duty.modality} · {duty.part}"))
                    cited.extend((b.in_force or b.cited).label for b in hits)
            if duties:
                found.append(RestingAnswer(kommun, Ref(task, catalog.task_labels[task], "uppgift"), duties, sorted(set(cited))))
    return found


def render_text(result: Impact) -> str:
    p = result.provision
    validity = ", ".join(x for x in (f"från {p.valid_from}" if p.valid_from else "", f"till och med {p.valid_until}" if p.valid_until else "") if x)
    lines = [f"Påverkan av {p.label} per {result.date}" + (f" (gäller {validity})" if validity else ""),
             "Gäller på datumet." if p.in_force else "Gäller INTE på datumet."]
    for title, items in (("Föregångare", result.predecessors), ("Efterföljare", result.successors)):
        if items:
            lines.append(f"{title}: " + ", ".join(x.label + ("" if x.in_force else " (gäller inte)") for x in items))
    lines += ["", f"Dokument som hänvisar till bestämmelsen eller dess föregångare ({len(result.documents)}):"]
    for doc in result.documents:
        lines.append(f"  {doc.document.label}: hänvisar till " + ", ".join(c.label for c in doc.cites))
        lines.append("    gäller i: " + (", ".join(m.label for m in doc.municipalities) or "ingen kommun på datumet"))
        for duty in doc.duties:
            lines.append(f"    åtagande: {duty.label}")
        if doc.repealed:
            lines.append("    ⚠ hänvisar till bestämmelse som inte gäller; hänvisa i stället till: "
                         + (", ".join(s.label for s in doc.successors) or "ingen efterföljare i grafen"))
    if result.statutory_duties:
        lines += ["", "Lagstadgade åtaganden (gäller i alla kommuner): " + ", ".join(d.label for d in result.statutory_duties)]
    if result.still_citing:
        lines += ["", "Hänvisar fortfarande till en upphävd bestämmelse, per kommun:"]
        by_municipality = defaultdict(list)
        for s in result.still_citing:
            by_municipality[s.municipality.label].append(s)
        for name, entries in by_municipality.items():
            lines.append(f"  {name}:")
            for s in entries:
                lines.append(f"    {s.document.label}: {', '.join(c.label for c in s.cited)} → {', '.join(x.label for x in s.successors) or '?'}")
    if result.answers is not None:
        lines += ["", f"Svar som vilar på bestämmelsen ({len(result.answers)}):"]
        for a in result.answers:
            lines.append(f"  {a.municipality.label} · {a.task.label}: {'; '.join(d.label for d in a.duties)} ({', '.join(a.cited)})")
    return "\n".join(lines)
