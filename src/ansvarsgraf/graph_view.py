"""The graph as trainers walk it: a node's neighbourhood, filtered, with gaps marked, and the
chain behind an answer.

Everything here is read from the store through named queries (grannar, grafnoder,
grafomfang, egenskapsnamn) or, for the chain, from answer.answer_task's result, so the
picture and the answer are one truth. The web layer turns a View into Cytoscape elements
and into the table that keyboard and screen-reader users get instead of the canvas.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import rdflib

from .ids import local_id
from .vocabulary import ACTOR_KINDS, AG, ELI, INSTRUMENT_KINDS
from .results import Answer
from .wording import badge
from .gaps import GapReport
from .queries import query_text
from .graph_store import GraphStore, per_data_version

MAX_NEIGHBOURS = 400  # a hub (a task vocabulary, a municipality) stays drawable

# Kind → Swedish legend text and the classes that make a node that kind, in priority order:
# a node with several types gets the first kind that matches.
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "lag": ("Lag och bestämmelse", (ELI + "LegalResource", ELI + "LegalResourceSubdivision", AG + "ProvisionVersion")),
    "dokument": ("Överenskommelse eller rutin", tuple(map(str, INSTRUMENT_KINDS))),
    "atagande": ("Åtagande", (AG + "Duty",)),
    "forum": ("Forum", (AG + "Forum",)),
    "uppgift": ("Uppgift", (AG + "Task",)),
    "aktor": ("Aktör", tuple(map(str, ACTOR_KINDS))),  # a forum is "forum", above
    "kalla": ("Källa och revision", tuple(AG + t for t in ("SourceDocument", "SourceSection", "AuditReport", "Finding",
                                                           "Recommendation", "Response"))),
    "scenario": ("Scenario", (AG + "Scenario", AG + "ScenarioStep")),
    "lucka": ("Ansvarslucka", ()),        # computed by the gap analysis, not a class
    "eskalering": ("Eskalering", ()),     # a step of an instrument's escalation route (text)
    "ovrigt": ("Övrigt", ()),
}


@dataclass
class Filters:
    """What the view shows. A node that belongs to no municipality (the law, a task, a
    statutory role) is shown whatever municipality is chosen; the same for documents and laws."""

    kommun: str | None = None
    dokument: str | None = None
    lag: str | None = None
    kinds: frozenset[str] | None = None
    datum: dt.date | None = None


@dataclass
class ViewNode:
    iri: str
    label: str
    kind: str
    gaps: list[str] = field(default_factory=list)  # titles of gaps touching the node


@dataclass
class ViewEdge:
    source: str
    target: str
    label: str


@dataclass
class View:
    nodes: dict[str, ViewNode] = field(default_factory=dict)
    edges: list[ViewEdge] = field(default_factory=list)
    centres: list[str] = field(default_factory=list)
    truncated: bool = False

    def add_node(self, node: ViewNode) -> None:
        self.nodes.setdefault(node.iri, node)

    def add_edge(self, source: str, target: str, label: str) -> None:
        if all((e.source, e.target, e.label) != (source, target, label) for e in self.edges):
            self.edges.append(ViewEdge(source, target, label))


class UnknownNodeError(LookupError):
    pass


@per_data_version(maxsize=4)
def property_names(store: GraphStore) -> dict[str, str]:
    """Swedish names of properties and classes (rdfs:label@sv in the ontology)."""
    return {str(r["term"]): str(r["namn"]) for r in store.select(query_text("egenskapsnamn"))}


def kind_of(types: set[str]) -> str:
    for kind, (_, classes) in KINDS.items():
        if types & set(classes):
            return kind
    return "ovrigt"


def describe_nodes(store: GraphStore, iris: list[str]) -> dict[str, ViewNode]:
    """Label and kind of each node that exists in the graph (a node has a type or a name)."""
    if not iris:
        return {}
    types: dict[str, set[str]] = defaultdict(set)
    labels: dict[str, str] = {}
    found: set[str] = set()
    for row in store.select(query_text("grafnoder"), {"nod": [rdflib.URIRef(i) for i in iris]}):
        iri = str(row["nod"])
        if row["typ"] is not None:
            types[iri].add(str(row["typ"]))
            found.add(iri)
        if row["namn"] is not None:
            labels[iri] = str(row["namn"])
            found.add(iri)
        elif row["beskrivning"] is not None and iri not in labels:
            labels[iri] = _short(str(row["beskrivning"]))
    return {i: ViewNode(i, labels.get(i, _local(i)), kind_of(types[i])) for i in iris if i in found}


def neighbourhood(store: GraphStore, centres: list[str], filters: Filters, gaps: GapReport | None = None) -> View:
    """The centres, their neighbours (both directions) that pass the filters, and the gaps
    touching what is shown."""
    known = describe_nodes(store, centres)
    missing = [c for c in centres if c not in known]
    if missing:
        raise UnknownNodeError(missing[0])
    names = property_names(store)
    rows = store.select(query_text("grannar"), {"nod": [rdflib.URIRef(c) for c in centres]})
    neighbours = list(dict.fromkeys(str(r[end]) for r in rows for end in ("fran", "till")))
    nodes = {**describe_nodes(store, [n for n in neighbours if n not in known]), **known}
    visible = _passing(store, [n for n in nodes if n not in known], filters, nodes)
    view = View(centres=list(centres))
    for iri in centres:
        view.add_node(nodes[iri])
    for iri in visible[:MAX_NEIGHBOURS]:
        view.add_node(nodes[iri])
    view.truncated = len(visible) > MAX_NEIGHBOURS
    for row in rows:
        source, target, prop = str(row["fran"]), str(row["till"]), str(row["egenskap"])
        if source in view.nodes and target in view.nodes:
            view.add_edge(source, target, names.get(prop, _local_name(prop)))
    if gaps is not None and (filters.kinds is None or "lucka" in filters.kinds):
        mark_gaps(view, gaps)
    return view


def _passing(store: GraphStore, iris: list[str], filters: Filters, nodes: dict[str, ViewNode]) -> list[str]:
    if not iris:
        return []
    scope: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    if filters.kommun or filters.dokument or filters.lag or filters.datum:
        for row in store.select(query_text("grafomfang"), {"nod": [rdflib.URIRef(i) for i in iris]}):
            scope[str(row["nod"])][str(row["slag"])].add(str(row["varde"]))

    def passes(iri: str) -> bool:
        if filters.kinds is not None and nodes[iri].kind not in filters.kinds:
            return False
        own = scope[iri]
        for key, wanted in (("kommun", filters.kommun), ("dokument", filters.dokument), ("lag", filters.lag)):
            if wanted and own[key] and wanted not in own[key]:
                return False
        if filters.dokument and nodes[iri].kind == "dokument" and iri != filters.dokument:
            return False
        if filters.datum:
            day = filters.datum.isoformat()
            if any(v > day for v in own["fran"]) or any(v < day for v in own["till"]):
                return False
        return True

    return [i for i in iris if passes(i)]


def mark_gaps(view: View, report: GapReport) -> None:
    """Each gap whose focus or evidence is in the view becomes a node joined to what it touches."""
    for number, gap in enumerate(report.gaps, start=1):
        touched = [i for i in [gap.focus.iri, *(e.node.iri for e in gap.evidence)] if i in view.nodes]
        if not touched:
            continue
        gap_id = f"lucka:{number}"
        view.add_node(ViewNode(gap_id, gap.title, "lucka"))
        for iri in dict.fromkeys(touched):
            if gap.title not in view.nodes[iri].gaps:
                view.nodes[iri].gaps.append(gap.title)
            view.add_edge(gap_id, iri, "berör")


def chain(answer: Answer) -> View:
    """Statute → instrument → duty → bearer → its organisation, and the escalation route,
    for every duty of the answer: the answer itself drawn as a graph."""
    view = View()
    task = answer.tasks[0] if answer.tasks else None
    if task:
        view.add_node(ViewNode(task["iri"], task["label"], "uppgift"))
        view.centres.append(task["iri"])
    for duty in answer.duties:
        view.add_node(ViewNode(duty.iri, _short(duty.description or f"{' och '.join(b.actor.label for b in duty.bearers)} {duty.part}"), "atagande"))
        if task:
            view.add_edge(duty.iri, task["iri"], "uppgift")
        upstream = duty.iri
        if duty.instrument:
            view.add_node(ViewNode(duty.instrument.iri, duty.instrument.label, "dokument"))
            view.add_edge(duty.instrument.iri, duty.iri, "fastställer")
            upstream = duty.instrument.iri
        for basis in duty.legal_basis:
            law = basis.in_force or basis.cited
            view.add_node(ViewNode(law.iri, law.label, "lag"))
            view.add_edge(law.iri, upstream, "lagrum för")
        for bearer in duty.bearers:
            view.add_node(ViewNode(bearer.actor.iri, bearer.actor.label, "aktor"))
            view.add_edge(duty.iri, bearer.actor.iri, f"bärare ({badge(duty.modality, duty.part, duty.observed)})".replace(" ()", ""))
            below = bearer.actor.iri
            for org in bearer.organisation_path:
                view.add_node(ViewNode(org.iri, org.label, "aktor"))
                view.add_edge(below, org.iri, "ingår i")
                below = org.iri
            for actor in bearer.fulfilled_by:
                view.add_node(ViewNode(actor.iri, actor.label, "aktor"))
                view.add_edge(actor.iri, bearer.actor.iri, "fullgör rollen")
        if duty.forum:
            view.add_node(ViewNode(duty.forum.iri, duty.forum.label, "forum"))
            view.add_edge(duty.iri, duty.forum.iri, "forum")
        previous = duty.instrument.iri if duty.instrument else duty.iri
        for number, step in enumerate(duty.escalation, start=1):
            step_id = f"eskalering:{duty.iri}:{number}"
            view.add_node(ViewNode(step_id, _short(step), "eskalering"))
            view.add_edge(previous, step_id, "eskaleras" if number == 1 else "sedan")
            previous = step_id
    return view


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


_local = local_id


def _local_name(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def disambiguate(store: GraphStore, view: View) -> None:
    """Nodes that would carry the same label (seven sections or duties named alike) get what
    tells them apart – their document or organisation and section – in brackets, so a
    projected graph never shows two identical labels. Read from the graph (grafsammanhang);
    a pair the graph cannot tell apart keeps a running number rather than a guess."""
    by_label: dict[str, list[ViewNode]] = defaultdict(list)
    for node in view.nodes.values():
        by_label[node.label].append(node)
    twins = [n for group in by_label.values() if len(group) > 1 for n in group if not n.iri.startswith(("lucka:", "eskalering:"))]
    context: dict[str, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    if twins:
        for row in store.select(query_text("grafsammanhang"), {"nod": [rdflib.URIRef(n.iri) for n in twins]}):
            home, section = context[str(row["nod"])]
            if row["hemvist"] is not None:
                home.add(str(row["hemvist"]))
            if row["avsnitt"] is not None:
                section.add(str(row["avsnitt"]))
    for label, group in by_label.items():
        if len(group) < 2:
            continue
        seen: dict[str, int] = defaultdict(int)
        for node in group:
            home, section = context[node.iri]
            extra = ", ".join([*sorted(home)[:1], *sorted(section)[:1]])
            node.label = f"{label} ({extra})" if extra else label
        for node in group:
            seen[node.label] += 1
        numbered: dict[str, int] = defaultdict(int)
        for node in group:
            if seen[node.label] > 1:
                numbered[node.label] += 1
                node.label = f"{node.label} ({numbered[node.label]})" if numbered[node.label] > 1 else node.label
