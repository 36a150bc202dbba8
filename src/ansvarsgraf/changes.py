"""What changes between two dates, and why: the change report (`ansvarsgraf andringar`).

Every answer is built with `answer.answer_task`, the function that answers a request, so
the report can never disagree with the page. Two answers are *equal* when they are the same
apart from their date (`comparable`); `answer_changes` lists what differs, and lists
something whenever they are not equal (a field it has no name for is still reported).

The *why* is found in the data, not guessed: every date in [D1+1, D2] at which a node in
either answer's material (its duties, bearers, documents, provisions and their dated
wordings, sources) starts or stops applying (queries/andringsdatum.rq). Changes are grouped
by their main cause: an amending act before an act's entry into force before a document's
dates before a duty's own validity before a source's date. When no date in the material
explains a difference the report says so instead of inventing a cause.
"""

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import asdict, dataclass, field

import rdflib

from .answering import answer_task
from .catalog import catalog_for
from .dates import period_end, period_start
from .duties import revision_overdue
from .gaps import analyse_cached
from .results import Answer, Ref
from .graph_view import property_names
from .queries import query_text
from .graph_store import GraphStore

DATE_MARK = "\x00datum\x00"  # stands for an answer's own date when texts are compared
CAUSE_ORDER = {"ändring": 0, "författning": 1, "dokument": 2, "åtagande": 3, "källa": 4, "underlag": 5}
NO_CAUSE = "ingen-orsak"
REVISION_DUE = "revideringen förfallen"  # a computed fact: last revised + revision interval

# Fields of a duty the report names itself; any other field that differs is reported by
# its Swedish name (FIELD_NAMES) or, failing that, its own name.
FIELD_NAMES = {
    "description": "beskrivning", "condition": "villkor", "frequency": "frekvens", "target_groups": "målgrupper",
    "instrument_section": "avsnitt", "sources": "källor", "quote": "citat", "forum": "forum",
    "escalation": "eskalering", "task": "uppgift", "legal_basis": "lagrum", "fallback": "lagstadgad utgångspunkt",
    "status": "svarsstatus", "tasks": "uppgift", "message": "meddelande", "municipality": "kommun",
}


@dataclass
class ChangeItem:
    kind: str  # åtagande tillkom/upphörde/ersatt, bärare tillkom/försvann, del, modalitet, frist, lagrum, lydelse, dokument, status, varning …
    duty: Ref | None
    before: str | None
    after: str | None


@dataclass
class Citation:
    """One dated fact behind a cause: the node, what its date says, and the date."""

    node: Ref
    text: str
    date: str


@dataclass
class Cause:
    key: str
    kind: str  # ändring, författning, dokument, åtagande, källa, underlag, or ingen-orsak
    day: str | None  # the first day the change applies
    title: str
    citations: list[Citation] = field(default_factory=list)


@dataclass
class AnswerChange:
    task: Ref
    municipality: Ref
    items: list[ChangeItem]
    also: list[str] = field(default_factory=list)  # titles of further causes in the same material


@dataclass
class GapChange:
    municipality: Ref
    kind: str  # "ny lucka", "stängd lucka" or "ändrad lucka"
    title: str
    focus: Ref
    texts: list[str]
    also: list[str] = field(default_factory=list)


@dataclass
class CauseGroup:
    cause: Cause
    answers: list[AnswerChange] = field(default_factory=list)
    gaps: list[GapChange] = field(default_factory=list)


@dataclass
class ChangeReport:
    from_date: str
    to_date: str
    municipalities: list[Ref]
    answers_compared: int
    groups: list[CauseGroup]

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def empty(self) -> bool:
        return not self.groups

    def answer_changes(self) -> list[AnswerChange]:
        return [a for g in self.groups for a in g.answers]


# ---------------------------------------------------------------------------
# Comparing two answers
# ---------------------------------------------------------------------------

def comparable(answer: Answer) -> dict:
    """The answer as data without its date."""
    data = answer.as_dict()
    data.pop("date")
    return data


def same_text(x: str, y: str, day_x: str, day_y: str) -> bool:
    """Two texts are the same when equal, or equal once each answer's own date is taken out
    of it: the engine writes the date it answers for into notes ("På 2025-06-30 gällde …")."""
    return x == y or (day_x in x and day_y in y and x.replace(day_x, DATE_MARK) == y.replace(day_y, DATE_MARK))


def _aligned(x, y, day_x: str, day_y: str):
    """x with every text that is the same as y's at the same place (same_text) set to y's."""
    if isinstance(x, str) and isinstance(y, str):
        return y if same_text(x, y, day_x, day_y) else x
    if isinstance(x, dict) and isinstance(y, dict):
        return {k: _aligned(v, y[k], day_x, day_y) if k in y else v for k, v in x.items()}
    if isinstance(x, list) and isinstance(y, list):
        return [_aligned(v, y[i], day_x, day_y) if i < len(y) else v for i, v in enumerate(x)]
    return x


def answers_equal(before: Answer, after: Answer) -> bool:
    return _aligned(comparable(before), comparable(after), before.date, after.date) == comparable(after)


def answer_changes(before: Answer, after: Answer) -> list[ChangeItem]:
    """What differs between two answers to the same task in the same municipality; empty
    exactly when answers_equal(before, after)."""
    day_a, day_b = before.date, after.date
    b = comparable(after)
    a = _aligned(comparable(before), b, day_a, day_b)
    if a == b:
        return []
    items: list[ChangeItem] = []
    if a["status"] != b["status"]:
        items.append(ChangeItem("svarsstatus", None, a["status"], b["status"]))
    old = {d["iri"]: d for d in a["duties"]}
    new = {d["iri"]: d for d in b["duties"]}
    removed = [old[i] for i in old if i not in new]
    added = [new[i] for i in new if i not in old]
    for d in old:
        if d in new:
            items.extend(_duty_changes(_aligned(old[d], new[d], day_a, day_b), new[d]))
    # A duty that ends as another with the same task and bearers starts is one line of
    # responsibility that changed (SoL 19:6's feedback duty on 2026-01-15), not two.
    unpaired_added = list(added)
    for gone in removed:
        twin = next((d for d in unpaired_added if _line(d) == _line(gone)), None)
        if twin is None:
            items.append(ChangeItem("åtagande upphörde", _duty_ref(gone), _duty_text(gone), None))
            continue
        unpaired_added.remove(twin)
        items.append(ChangeItem("åtagande ersatt", _duty_ref(twin), _duty_ref(gone).label, _duty_ref(twin).label))
        items.extend(_duty_changes(_aligned(gone, twin, day_a, day_b), twin))
    for came in unpaired_added:
        items.append(ChangeItem("åtagande tillkom", _duty_ref(came), None, _duty_text(came)))
    if a["fallback"] != b["fallback"]:
        items.append(ChangeItem(FIELD_NAMES["fallback"], None, _labels(a["fallback"]), _labels(b["fallback"])))
    if not items:
        for name in a:
            if a[name] != b[name]:
                items.append(ChangeItem(FIELD_NAMES.get(name, name), None, _short(a[name]), _short(b[name])))
    return items


def _line(duty: dict) -> tuple:
    return duty["task"]["iri"] if duty["task"] else None, tuple(sorted(x["actor"]["iri"] for x in duty["bearers"]))


def _duty_ref(duty: dict) -> Ref:
    bearers = " och ".join(x["actor"]["label"] for x in duty["bearers"]) or "ingen bärare"
    source = f" ({duty['instrument']['label']})" if duty["instrument"] else " (lag)"
    return Ref(duty["iri"], f"{bearers} · {duty['modality']} · {duty['part']}{source}", "åtagande")


def _duty_text(duty: dict) -> str:
    text = _duty_ref(duty).label
    if duty["deadline"]:
        text += f" · frist: {duty['deadline']}"
    laws = _law_labels(duty)
    return text + (f" · {laws}" if laws else "")


def _law_labels(duty: dict) -> str:
    return ", ".join((b["in_force"] or b["cited"])["label"] for b in duty["legal_basis"])


def _versions(duty: dict) -> str:
    shown = []
    for basis in duty["legal_basis"]:
        law = basis["in_force"]
        if law and law["version_from"]:
            text = f"{law['label']} i lydelse från {law['version_from']}"
            if law["amended_by"]:
                text += f" (ändrad genom SFS {law['amended_by'].removeprefix('https://lagen.nu/')})"
            shown.append(text)
    return ", ".join(shown)


def _labels(refs: list[dict]) -> str:
    return ", ".join(r["label"] for r in refs)


def _short(value) -> str | None:
    if value is None or value == [] or value == "":
        return None
    if isinstance(value, list):
        return "; ".join(_short(v) or "" for v in value)
    if isinstance(value, dict):
        return value.get("label") or value.get("text") or str(value)
    return str(value)


def _duty_changes(a: dict, b: dict) -> list[ChangeItem]:
    """What differs within one line of responsibility (same duty, or its successor)."""
    ref = _duty_ref(b)
    items = []
    old_bearers = {x["actor"]["iri"]: x for x in a["bearers"]}
    new_bearers = {x["actor"]["iri"]: x for x in b["bearers"]}
    # In the answers' own order, never a set's: a set of strings iterates in an order that
    # changes from one process to the next, and so did the report's items.
    for iri in _only_in(old_bearers, new_bearers):
        items.append(ChangeItem("bärare försvann", ref, old_bearers[iri]["actor"]["label"], None))
    for iri in _only_in(new_bearers, old_bearers):
        items.append(ChangeItem("bärare tillkom", ref, None, new_bearers[iri]["actor"]["label"]))
    for iri in _in_both(old_bearers, new_bearers):
        if old_bearers[iri] != new_bearers[iri]:
            items.append(ChangeItem("bärare i kommunen", ref, _bearer_text(old_bearers[iri]), _bearer_text(new_bearers[iri])))
    for name, kind in (("part", "del"), ("modality", "modalitet"), ("deadline", "frist")):
        if a[name] != b[name]:
            items.append(ChangeItem(kind, ref, a[name], b[name]))
    if a["legal_basis"] != b["legal_basis"]:
        if _law_labels(a) != _law_labels(b):
            items.append(ChangeItem("lagrum i kraft", ref, _law_labels(a), _law_labels(b)))
        if _versions(a) != _versions(b):
            items.append(ChangeItem("lydelse", ref, _versions(a) or None, _versions(b) or None))
        if _law_labels(a) == _law_labels(b) and _versions(a) == _versions(b):
            items.append(ChangeItem("lagrum", ref, _notes(a), _notes(b)))
    if a["instrument"] != b["instrument"]:
        items.append(ChangeItem("dokument", ref, _short(a["instrument"]), _short(b["instrument"])))
    old_warnings = {w["text"]: w for w in a["warnings"]}
    new_warnings = {w["text"]: w for w in b["warnings"]}
    for text in _only_in(old_warnings, new_warnings):
        kind = "status" if old_warnings[text]["kind"] == "status" else "varning försvann"
        items.append(ChangeItem(kind, ref, text, None))
    for text in _only_in(new_warnings, old_warnings):
        kind = "status" if new_warnings[text]["kind"] == "status" else "varning tillkom"
        items.append(ChangeItem(kind, ref, None, text))
    if list(old_warnings) != list(new_warnings) and old_warnings.keys() == new_warnings.keys():
        items.append(ChangeItem("varningar", ref, "; ".join(old_warnings), "; ".join(new_warnings)))
    handled = {"iri", "bearers", "part", "modality", "deadline", "legal_basis", "instrument", "warnings"}
    for name in a:
        if name not in handled and a[name] != b[name]:
            items.append(ChangeItem(FIELD_NAMES.get(name, name), ref, _short(a[name]), _short(b[name])))
    return items


def _only_in(these: dict, others: dict) -> list:
    """The keys of `these` that `others` lacks, in `these`' order."""
    return [key for key in these if key not in others]


def _in_both(these: dict, others: dict) -> list:
    return [key for key in these if key in others]


def _bearer_text(bearer: dict) -> str:
    text = bearer["actor"]["label"]
    if bearer["fulfilled_by"]:
        text += " – i kommunen: " + _labels(bearer["fulfilled_by"])
    if bearer["organisation_path"]:
        text += " (" + " › ".join(r["label"] for r in bearer["organisation_path"]) + ")"
    return text


def _notes(duty: dict) -> str | None:
    return " ".join(b["note"] for b in duty["legal_basis"] if b["note"]) or None


# ---------------------------------------------------------------------------
# Why: dated facts in the material
# ---------------------------------------------------------------------------

def material(*dicts) -> set[str]:
    """Every node an answer or gap names (their "iri" and "url" values)."""
    found: set[str] = set()

    def walk(value):
        if isinstance(value, dict):
            for key, inner in value.items():
                if key in ("iri", "url") and isinstance(inner, str) and inner.startswith("http"):
                    found.add(inner)
                else:
                    walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    for d in dicts:
        walk(d)
    return found


@dataclass(frozen=True)
class _Fact:
    node: str  # the node from the answer
    carrier: str  # the node whose date it is (the node, a wording of it, a source's document)
    carrier_label: str
    prop: str
    value: str
    end: bool
    kind: str
    act: str | None
    act_label: str | None
    amendment: str | None
    amendment_label: str | None
    successor: str | None
    successor_label: str | None
    successor_from: str | None

    def day(self) -> dt.date:
        """The first day on which the fact makes a difference: a start from its first day,
        an end the day after its last (a month or a year counts whole)."""
        return period_end(self.value) + dt.timedelta(days=1) if self.end else period_start(self.value)


class _Facts:
    """Dated facts for nodes, read once per node from queries/andringsdatum.rq."""

    def __init__(self, store: GraphStore, later: dt.date):
        self.store = store
        self.later = later  # the later of the two dates compared
        self.by_node: dict[str, list[_Fact]] = {}
        self._names: dict[str, str] | None = None

    def names(self) -> dict[str, str]:
        if self._names is None:
            self._names = property_names(self.store)
        return self._names

    def fetch(self, iris: set[str]) -> None:
        missing = sorted(i for i in iris if i not in self.by_node)
        for iri in missing:
            self.by_node[iri] = []
        if not missing:
            return
        text = lambda row, name: str(row[name]) if row[name] is not None else None  # noqa: E731
        for row in self.store.select(query_text("andringsdatum"), {"nod": [rdflib.URIRef(i) for i in missing]}):
            fact = _Fact(
                node=str(row["nod"]), carrier=str(row["bar"]), carrier_label=text(row, "barnamn") or _local(row["bar"]),
                prop=str(row["egenskap"]), value=str(row["datum"]), end=str(row["slut"]).lower() == "true",
                kind=str(row["slag"]), act=text(row, "lag"), act_label=text(row, "lagnamn"),
                amendment=text(row, "andring"), amendment_label=text(row, "andringsnamn"),
                successor=text(row, "efterfoljare"), successor_label=text(row, "efterfoljarnamn"),
                successor_from=text(row, "efterfoljarfran"))
            if fact not in self.by_node[fact.node]:
                self.by_node[fact.node].append(fact)
        # A document's revision falls due on the day the rule ags:RevisionOverdueShape gives
        # (a computed date, not one in the data), read from the rule's rows on the later date,
        # where the answer carries its warning "ej_reviderad" (from the day after the due day).
        catalog = catalog_for(self.store)
        for node in missing:
            row = revision_overdue(catalog, self.store, node, self.later)
            if row is not None:
                self.by_node[node].append(_Fact(
                    node=node, carrier=node, carrier_label=str(row.get("label") or _local(node)), prop=REVISION_DUE,
                    value=str(row["due"]), end=True, kind="dokument", act=None, act_label=None, amendment=None,
                    amendment_label=None, successor=None, successor_label=None, successor_from=None))

    def causes(self, iris: set[str], d1: dt.date, d2: dt.date) -> list[Cause]:
        """The causes dated within (min, max] of the two dates, main cause first."""
        low, high = min(d1, d2), max(d1, d2)
        facts = [f for i in sorted(iris) for f in self.by_node.get(i, ()) if low < f.day() <= high]
        starts = {(f.node, f.day()) for f in facts if not f.end} | {(f.act, f.day()) for f in facts if not f.end and f.act}
        causes: dict[str, Cause] = {}
        for fact in facts:
            if fact.end and ((fact.node, fact.day()) in starts or (fact.act, fact.day()) in starts) and fact.kind in ("ändring", "författning"):
                # One wording or act ends because the next starts that day: that start is the cause.
                continue
            cause = self._cause(fact)
            cause = causes.setdefault(cause.key, cause)
            citation = Citation(Ref(fact.carrier, fact.carrier_label), self._fact_text(fact), fact.value)
            if citation not in cause.citations:
                cause.citations.append(citation)
        return sorted(causes.values(), key=lambda c: (CAUSE_ORDER.get(c.kind, 9), c.day or "", c.title))

    def _fact_text(self, fact: _Fact) -> str:
        if fact.prop == REVISION_DUE:
            return f"{fact.carrier_label}: revideringen var förfallen {fact.value}"
        name = self.names().get(fact.prop, fact.prop.rsplit("#", 1)[-1].rsplit("/", 1)[-1])
        return f"{fact.carrier_label}: {name} {fact.value}"

    @staticmethod
    def _cause(fact: _Fact) -> Cause:
        day = fact.day().isoformat()
        if fact.kind == "ändring":
            return Cause(f"ändring {fact.amendment} {day}", "ändring", day,
                         f"{fact.amendment_label or _local(fact.amendment)} i kraft {day}")
        if fact.kind == "författning":
            if not fact.end:
                return Cause(f"författning {fact.act} {day}", "författning", day, f"{fact.act_label or _local(fact.act)} i kraft {day}")
            if fact.successor and fact.successor_from == day:
                return Cause(f"författning {fact.successor} {day}", "författning", day,
                             f"{fact.successor_label or _local(fact.successor)} i kraft {day}")
            return Cause(f"upphör {fact.carrier} {day}", "författning", day,
                         f"{fact.carrier_label} gäller inte längre från {day}")
        if fact.prop == REVISION_DUE:
            return Cause(f"revision {fact.carrier} {day}", fact.kind, day, f"{fact.carrier_label}: revideringen förfallen från {day}")
        verb = "gäller inte längre från" if fact.end else "från"
        return Cause(f"{fact.kind} {fact.carrier} {day}", fact.kind, day, f"{fact.carrier_label}: {verb} {day}")


def _local(iri) -> str:
    return str(iri).rsplit("/", 1)[-1]


# ---------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------

def change_report(store: GraphStore, d1: dt.date, d2: dt.date, municipality_iris: list[str] | None = None,
                  task_iris: list[str] | None = None, with_gaps: bool = True) -> ChangeReport:
    """Every task × municipality whose answer differs between d1 and d2, with the new and
    closed gaps, grouped by cause."""
    catalog = catalog_for(store)
    municipalities = [catalog.by_iri[i] for i in municipality_iris] if municipality_iris else \
        sorted(catalog.by_iri.values(), key=lambda m: m.label)
    tasks = task_iris or sorted(catalog.task_labels, key=lambda t: catalog.task_labels[t])
    facts = _Facts(store, max(d1, d2))
    found: list[tuple[object, set[str]]] = []  # (AnswerChange | GapChange, material)
    compared = 0
    for kommun in municipalities:
        for task in tasks:
            before, after = answer_task(store, task, kommun.iri, d1), answer_task(store, task, kommun.iri, d2)
            compared += 1
            items = answer_changes(before, after)
            if items:
                change = AnswerChange(Ref(task, catalog.task_labels[task], "uppgift"), kommun, items)
                found.append((change, material(before.as_dict(), after.as_dict())))
        if with_gaps:
            found.extend(_gap_changes(store, kommun, d1, d2))
    facts.fetch(set().union(*(m for _, m in found)) if found else set())
    groups: dict[str, CauseGroup] = {}
    for change, nodes in found:
        causes = facts.causes(nodes, d1, d2) or [Cause(NO_CAUSE, NO_CAUSE, None, "Ingen daterad orsak i underlaget: "
                                                         "skillnaden förklaras inte av något datum i grafen")]
        main = causes[0]
        change.also = [c.title for c in causes[1:]]
        group = groups.setdefault(main.key, CauseGroup(Cause(main.key, main.kind, main.day, main.title)))
        for citation in main.citations:
            if citation not in group.cause.citations:
                group.cause.citations.append(citation)
        (group.answers if isinstance(change, AnswerChange) else group.gaps).append(change)
    ordered = sorted(groups.values(), key=lambda g: (g.cause.kind == NO_CAUSE, g.cause.day or "", CAUSE_ORDER.get(g.cause.kind, 9), g.cause.title))
    return ChangeReport(d1.isoformat(), d2.isoformat(), municipalities, compared, ordered)


def _gap_changes(store: GraphStore, kommun: Ref, d1: dt.date, d2: dt.date) -> list[tuple[GapChange, set[str]]]:
    return gap_changes(kommun, analyse_cached(store, kommun.iri, d1), analyse_cached(store, kommun.iri, d2))


def gap_changes(kommun: Ref, old_report, new_report) -> list[tuple[GapChange, set[str]]]:
    """New, closed and changed gaps between two gap reports of a municipality, each with its material."""
    def keyed(report):
        # The same kind of gap at the same node, numbered: a changed text or evidence is a
        # changed gap, not one closed and one new.
        keyed, seen = {}, defaultdict(int)
        for gap in report.gaps:
            key = (gap.kind, gap.title, gap.focus.iri, gap.detail)
            keyed[(*key, seen[key])] = gap
            seen[key] += 1
        return keyed

    old, new = keyed(old_report), keyed(new_report)
    changes = []
    for kind, these, others in (("stängd lucka", old, new), ("ny lucka", new, old)):
        for key in _only_in(these, others):
            gap = these[key]
            changes.append((GapChange(kommun, kind, gap.title, gap.focus, gap.texts), material(asdict(gap))))
    for key in _in_both(old, new):
        before, after = asdict(old[key]), asdict(new[key])
        if _aligned(before, after, old_report.date, new_report.date) != after:
            gap = new[key]
            changes.append((GapChange(kommun, "ändrad lucka", gap.title, gap.focus, gap.texts), material(before, after)))
    return sorted(changes, key=lambda c: (c[0].kind, c[0].title, c[0].focus.label))


# ---------------------------------------------------------------------------
# Text and CSV
# ---------------------------------------------------------------------------

def render_text(report: ChangeReport) -> str:
    where = ", ".join(m.label for m in report.municipalities) if len(report.municipalities) <= 3 else f"{len(report.municipalities)} kommuner"
    lines = [f"Ändringar mellan {report.from_date} och {report.to_date} i {where} ({report.answers_compared} svar jämförda)"]
    if report.empty:
        lines.append("Inga svar och inga ansvarsluckor skiljer sig mellan datumen.")
        return "\n".join(lines)
    for group in report.groups:
        lines += ["", f"■ {group.cause.title}"]
        for citation in group.cause.citations:
            lines.append(f"  Belägg: {citation.text} <{citation.node.iri}>")
        for change in group.answers:
            lines.append(f"  {change.task.label} – {change.municipality.label}")
            for item in change.items:
                lines.append("    " + item_text(item))
            for title in change.also:
                lines.append(f"    (även: {title})")
        for gap in group.gaps:
            lines.append(f"  {gap.kind.capitalize()} i {gap.municipality.label}: {gap.title} – {gap.focus.label}")
    return "\n".join(lines)


def item_text(item: ChangeItem) -> str:
    what = f"{item.kind}"
    if item.duty is not None and item.kind not in ("åtagande tillkom", "åtagande upphörde"):
        what += f" [{item.duty.label}]"
    if item.before is not None and item.after is not None:
        return f"{what}: {item.before} → {item.after}"
    if item.after is not None:
        return f"{what}: + {item.after}"
    if item.before is not None:
        return f"{what}: − {item.before}"
    return what


CSV_COLUMNS = ["orsak", "orsakens_datum", "kommun", "uppgift", "ändring", "åtagande", "före", "efter", "belägg"]


def render_csv(report: ChangeReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for group in report.groups:
        evidence = "; ".join(c.text for c in group.cause.citations)
        for change in group.answers:
            for item in change.items:
                writer.writerow([group.cause.title, group.cause.day or "", change.municipality.label, change.task.label,
                                 item.kind, item.duty.iri if item.duty else "", item.before or "", item.after or "", evidence])
        for gap in group.gaps:
            writer.writerow([group.cause.title, group.cause.day or "", gap.municipality.label, "", gap.kind,
                             gap.focus.iri, "", f"{gap.title}: {gap.focus.label}", evidence])
    return out.getvalue()
