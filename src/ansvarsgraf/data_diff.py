"""What an edit of the data changes (`ansvarsgraf diff [--mot GIT-REF|MAPP]`): the duties,
forums, documents (parties, dates) and actors added, removed or changed between two versions
of data/, and the answers and gaps that change as a result, per municipality.

Both versions are loaded as they are (all or nothing, as `load`), each into its own embedded
store, with the current ontology; the answers on both sides are built with
answer.answer_task for the same date and compared with changes.answer_changes, the gaps with
gaps.analyse, so the review shows exactly what a user would get differently.
"""

import datetime as dt
import shutil
import subprocess
import tempfile
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import rdflib

from .answering import answer_task
from .catalog import catalog_for
from .results import Ref
from .changes import AnswerChange, GapChange, answer_changes, gap_changes, item_text
from .dataset import load_data
from .gaps import analyse
from .graph_view import property_names
from .paths import DATA_DIR, PROJECT_ROOT
from .queries import query_text
from .embedded_store import OxigraphStore
from .graph_store import GraphStore


class DiffSourceError(ValueError):
    pass


@dataclass
class PropertyChange:
    name: str
    removed: list[str]
    added: list[str]


@dataclass
class NodeChange:
    kind: str  # åtagande, forum, dokument, aktör
    node: Ref
    change: str  # tillkom, togs bort, ändrad
    properties: list[PropertyChange] = field(default_factory=list)


@dataclass
class DataDiff:
    against: str
    date: str
    nodes: list[NodeChange]
    answers: list[AnswerChange]
    gaps: list[GapChange]

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def empty(self) -> bool:
        return not (self.nodes or self.answers or self.gaps)


def data_folder_at(revision: str, target: Path) -> Path:
    """data/ as it is at a git revision, written into target (git archive | tar)."""
    try:
        archive = subprocess.run(["git", "-C", str(PROJECT_ROOT), "archive", "--format=tar", revision, "data"],
                                 check=True, capture_output=True).stdout
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        message = exc.stderr.decode("utf-8", "replace").strip() if isinstance(exc, subprocess.CalledProcessError) else str(exc)
        raise DiffSourceError(f"'{revision}' är varken en mapp eller en git-revision med data/: {message}") from None
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target / "data"


def _store(folder: Path) -> OxigraphStore:
    # The folder is both the data and its own base: nothing from the working copy mixes in.
    return OxigraphStore.from_loaded(load_data(paths=[folder], base_paths=[folder]))


def diff(against: str, on_date: dt.date, data: Path = DATA_DIR, municipality: str | None = None) -> DataDiff:
    """data (default the working copy's data/) against a folder or a git revision."""
    temporary = None
    try:
        if Path(against).is_dir():
            old_folder = Path(against)
        else:
            temporary = Path(tempfile.mkdtemp(prefix="ansvarsgraf-diff-"))
            old_folder = data_folder_at(against, temporary)
        return compare(_store(old_folder), _store(Path(data)), on_date, against, municipality)
    finally:
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)


def compare(old: GraphStore, new: GraphStore, on_date: dt.date, against: str = "", municipality: str | None = None) -> DataDiff:
    nodes = node_changes(old, new)
    old_catalog, new_catalog = catalog_for(old), catalog_for(new)
    kommuner = {**old_catalog.by_iri, **new_catalog.by_iri}
    if municipality is not None:
        wanted = new_catalog.municipality(municipality).iri
        kommuner = {wanted: kommuner[wanted]}
    answers, gaps = [], []
    for iri, kommun in sorted(kommuner.items(), key=lambda k: k[1].label):
        in_old, in_new = iri in old_catalog.by_iri, iri in new_catalog.by_iri
        for task in sorted(set(old_catalog.task_labels) | set(new_catalog.task_labels)):
            if not (in_old and in_new and task in old_catalog.task_labels and task in new_catalog.task_labels):
                continue  # a municipality or task on one side only is listed among the nodes
            items = answer_changes(answer_task(old, task, iri, on_date), answer_task(new, task, iri, on_date))
            if items:
                answers.append(AnswerChange(Ref(task, new_catalog.task_labels[task], "uppgift"), kommun, items))
        if in_old and in_new:
            gaps.extend(change for change, _ in gap_changes(kommun, analyse(old, iri, on_date), analyse(new, iri, on_date)))
    return DataDiff(against, on_date.isoformat(), nodes, answers, gaps)


def _described(store: GraphStore) -> tuple[dict[str, str], dict[str, dict[str, set[str]]], dict[str, str]]:
    """Node → kind, node → property → values (as text), and node labels."""
    kinds = {str(r["nod"]): str(r["slag"]) for r in store.select(query_text("diff-noder"))}
    values: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    labels: dict[str, str] = {}
    rows = store.select(query_text("beskriv"), {"nod": [rdflib.URIRef(n) for n in kinds]}) if kinds else []
    for row in rows:
        node, prop, value = str(row["nod"]), str(row["egenskap"]), row["varde"]
        shown = str(row["namn"]) if row["namn"] is not None else str(value)
        values[node][prop].add(shown if not isinstance(value, rdflib.BNode) else "(tom nod)")
        if prop == "http://www.w3.org/2004/02/skos/core#prefLabel" and getattr(value, "language", None) == "sv":
            labels[node] = str(value)
    return kinds, values, labels


def node_changes(old: GraphStore, new: GraphStore) -> list[NodeChange]:
    old_kinds, old_values, old_labels = _described(old)
    new_kinds, new_values, new_labels = _described(new)
    names = property_names(new)
    changes = []
    for node in sorted(old_kinds.keys() | new_kinds.keys()):
        label = new_labels.get(node) or old_labels.get(node) or _description(new_values.get(node) or old_values.get(node)) or node.rsplit("/", 1)[-1]
        ref = Ref(node, label)
        if node not in old_kinds:
            changes.append(NodeChange(new_kinds[node], ref, "tillkom", _properties({}, new_values[node], names)))
        elif node not in new_kinds:
            changes.append(NodeChange(old_kinds[node], ref, "togs bort", _properties(old_values[node], {}, names)))
        elif old_values[node] != new_values[node]:
            changes.append(NodeChange(new_kinds[node], ref, "ändrad", _properties(old_values[node], new_values[node], names)))
    return sorted(changes, key=lambda c: (c.kind, c.change, c.node.label))


def _description(values) -> str | None:
    texts = (values or {}).get("http://purl.org/dc/terms/description")
    return sorted(texts)[0][:80] if texts else None


def _properties(before: dict, after: dict, names: dict[str, str]) -> list[PropertyChange]:
    found = []
    for prop in sorted(before.keys() | after.keys()):
        old, new = before.get(prop, set()), after.get(prop, set())
        if old != new:
            name = names.get(prop, prop.rsplit("#", 1)[-1].rsplit("/", 1)[-1])
            found.append(PropertyChange(name, sorted(old - new), sorted(new - old)))
    return found


def render_text(result: DataDiff) -> str:
    lines = [f"Dataändringar mot {result.against}, svar och luckor per {result.date}"]
    if result.empty:
        lines.append("Inga skillnader.")
        return "\n".join(lines)
    if result.nodes:
        lines += ["", f"Ändrade noder ({len(result.nodes)}):"]
    for change in result.nodes:
        lines.append(f"  {change.kind} {change.change}: {change.node.label} <{change.node.iri}>")
        if change.change == "ändrad":
            for p in change.properties:
                removed = "; ".join(f"− {v}" for v in p.removed)
                added = "; ".join(f"+ {v}" for v in p.added)
                lines.append(f"    {p.name}: " + "; ".join(x for x in (removed, added) if x))
    by_municipality: dict[str, list] = defaultdict(list)
    for answer in result.answers:
        by_municipality[answer.municipality.label].append(answer)
    for gap in result.gaps:
        by_municipality[gap.municipality.label].append(gap)
    for name, entries in sorted(by_municipality.items()):
        lines += ["", f"{name}:"]
        for entry in entries:
            if isinstance(entry, AnswerChange):
                lines.append(f"  Svar: {entry.task.label}")
                lines.extend(f"    {item_text(item)}" for item in entry.items)
            else:
                lines.append(f"  {entry.kind.capitalize()}: {entry.title} – {entry.focus.label}")
    return "\n".join(lines)
