"""Answer "who is responsible for X in municipality M on date D" from the graph.

`answer_task` is the one function that answers a resolved task; the CLI, the API and the
web page all call it (through `answer_question` when they start from free text). It never
invents a bearer: when no duty applies it says so and names the statutory starting point.

Steps: the question is matched to task concepts (matching.py); the duties for the task and
its narrower tasks that apply in the municipality on the date are found (a named query);
each is described by duties.DutyBuilder. Answers `prepare` built ahead are read when the
store comes with them (a store with prepared answers, see `WithPreparedAnswers`).
"""

import datetime as dt
from dataclasses import replace
from typing import Protocol, runtime_checkable

import rdflib

from .catalog import Catalog, catalog_for
from .duties import DutyBuilder, duty_order
from .forums import task_forums
from .graph_store import GraphStore, per_data_version
from .matching import TaskMatch, without_words
from .dates import valid_between
from .privacy import refuse_identity_numbers
from .queries import query_text
from .reranking import decide
from .results import Answer, Duties, Ref, UnknownMunicipalityError, UnknownTaskError, Warning

# The decision between answering, asking back ("Menade du …") and "not modelled" is
# reranking.decide, with constants chosen on the tuning questions.
NOT_MODELLED = ("Frågan gäller inget som grafen modellerar. Grafen svarar på vem som ansvarar för uppgifter "
                "kring barn som far illa: orosanmälan och mottagande, skyddsbedömning, förhandsbedömning och "
                "utredning, samverkan, konsultation och informationsdelning mellan skola, socialtjänst och region, "
                "SIP och SKIP, placering och placerade barns skolgång, samt nämndernas styrning och uppföljning "
                "av samverkan. Formulera om frågan eller välj en uppgift i listan.")
FEW_TASKS = 4  # up to this many tasks, duties are looked up by (document, task) pairs


class PreparedDuties(Protocol):
    """Answers built ahead for some dates (precomputed.PrecomputedAnswers)."""

    def duties(self, task: str, municipality: str, on_date: dt.date) -> Duties | None: ...


@runtime_checkable
class WithPreparedAnswers(Protocol):
    """A store that comes with answers `prepare` built (prepared.PreparedStore); the store
    interface itself knows nothing of answers."""

    precomputed: PreparedDuties | None


def answer_question(store: GraphStore, question: str, municipality: str, on_date: dt.date,
                    after: bool = False) -> Answer:
    """Resolve free text to a task, then answer it; ambiguous text gets candidates instead."""
    refuse_identity_numbers(question)
    catalog = catalog_for(store)
    kommun = catalog.municipality(municipality)
    named = [m for m in catalog.instrument_matcher.match(question, limit=3) if m.coverage >= 1.0]
    cards = DutyBuilder(store, catalog, kommun, on_date).instrument_cards([m.iri for m in named])
    if not after:
        cards = [_without_later(c) for c in cards]
    # The words that name a document do not count towards the task: "vem tar emot
    # avvikelser i <dokument>" is about deviations, "vilka parter har undertecknat
    # <dokument>" is about the document alone.
    keys = catalog.matcher.question_keys(question)
    for document in named:
        keys = without_words(keys, document.matched, keep=catalog.matcher.abbreviations)
    # Nothing left once the document's words are taken out (its name alone, or "vad är" and
    # its name): the question asks about the document, whatever task its name brings to mind
    # (the question model reads the name too and would pick one).
    decision = None if cards and not keys else decide(
        catalog.matcher.match_keys(keys, limit=len(catalog.task_labels)), catalog.task_labels,
        catalog.ranker.similarities(question) if catalog.ranker else None, catalog.related,
        words=len(keys), narrower=catalog.narrower, judge=catalog.ranker.judge if catalog.ranker else None,
        length=len(question.split()))
    if decision is None or decision.action == "utanför":
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
    duties = sorted(duties, key=lambda d: (d.instrument is None or d.instrument.iri not in prefer_instruments, duty_order(d)))
    # A duty nothing of which was known on the date (every support from a later source) is no
    # answer for the date: said in a note, and shown only in the "after the date" part.
    known_later = [d for d in duties if d.known_first]
    duties = [d for d in duties if not d.known_first]
    answer = Answer(None, kommun, on_date.isoformat(), "besvarad" if duties else "ingen_ansvarig", tasks, duties)
    answer.later_duties = known_later if after else []
    builder = DutyBuilder(store, catalog, kommun, on_date)
    answer.notes = lapsed_documents(catalog, task_iri, kommun, on_date) + [_known_later_note(d) for d in known_later]
    # What audits state about the task here, also when no actor is modelled for it, and the
    # forums that handle it (they carry no duty, so they are never among the duties).
    answer.findings = builder.task_findings(catalog.with_narrower(task_iri))
    answer.forums = task_forums(builder, catalog.with_narrower(task_iri))
    if not after:
        answer.forums = [_without_later(f) for f in answer.forums]
    if not duties:
        answer.fallback = list(fallback)
        names = ", ".join(p.label for p in answer.fallback) or "ingen bestämmelse angiven"
        answer.message = (f"Ingen ansvarig aktör är modellerad för ”{task_ref.label}” i {kommun.label} "
                          f"per {on_date.isoformat()}. Närmaste lagstadgade utgångspunkt: {names}.")
    else:
        answer.message = f"{len(duties)} åtaganden för ”{task_ref.label}” i {kommun.label} per {on_date.isoformat()}."
    return answer


def lapsed_documents(catalog: Catalog, task_iri: str, kommun: Ref, on_date: dt.date) -> list[Warning]:
    """The municipality's documents with duties for the task that applied before the date
    but not on it, with no version of them applying: the reader must not assume they still do.
    And those under drafting on the date (their status then, docs/model.md): their duties
    are not in the answer, and the reader is told why."""
    index = catalog.organisations
    wanted = set(catalog.with_narrower(task_iri))
    notes = []
    for document in index.documents_with_party(kommun.iri):
        validity = index.validity(document)
        if validity is None or not (catalog.document_tasks.get(document, set()) & wanted):
            continue
        if validity.drafting_on(on_date):
            if all(entry[0] is None for entry in validity.statuses) and (validity.known_from or on_date) > on_date:
                continue  # an undated draft is not known before its first source
            name = index.name(document)
            notes.append(Warning("under_framtagande", f"{name} är under framtagande på {on_date.isoformat()}; "
                                                      "dess åtaganden gäller inte än.", Ref(document, name)))
            continue
        if validity.in_force(on_date):
            continue  # one in force answers for itself
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
    """A duty, card or forum without what came after its date: the successors of its law and
    the support known only from later sources (a copy; cached ones are shared)."""
    changes = {}
    if any(b.later for b in getattr(item, "legal_basis", ())):
        changes["legal_basis"] = [replace(b, later=None) for b in item.legal_basis]
    if item.later_support:
        changes["later_support"] = []
    return replace(item, **changes) if changes else item


def _known_later_note(duty) -> Warning:
    """The note in place of a duty known only from a later source: what, and from when."""
    who = ", ".join(b.actor.label for b in duty.bearers) or "okänd bärare"
    return Warning("känt_senare", f"{duty.known_first}: {who} – {duty.task.label} ({duty.modality}). "
                                  "Visas bland det som är känt efter datumet.", Ref(duty.iri, duty.task.label))


def _duties_on(store: GraphStore, task_iri: str, municipality_iri: str, on_date: dt.date
               ) -> Duties:
    """The duties that apply (and, when none does, the statutory starting point): read from
    the answers `prepare` built for the date (precomputed.py) when the store has them, else
    built. Callers share these objects and must not change them; `Answer.as_dict()` copies."""
    if isinstance(store, WithPreparedAnswers) and store.precomputed is not None:
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
    builder = DutyBuilder(store, catalog, catalog.municipality(municipality_iri), on_date)
    by_task = applicable_duties_by_task(store, task_iris, municipality_iri, on_date)
    built = {d.iri: d for d in builder.build_all(sorted(set().union(*by_task.values())))}
    answers = {}
    for task, iris in by_task.items():
        duties = tuple(built[i] for i in iris if i in built)
        # The statutory starting point when no duty is an answer for the date (also when every
        # one is known only from later sources: answer_task leaves those out).
        answers[task] = (duties, () if any(not d.known_first for d in duties) else tuple(builder.fallback(task)))
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
    # A duty an audit observed, with no start date of its own, applies from the observation:
    # before it no source says the duty existed (docs/model.md, "Iakttagen när").
    in_force = {(str(r["atagande"]), str(r["task"])) for r in rows
                if valid_between(r["fran"] or r.get("observerad"), r["till"], on_date)}
    return {task: sorted({duty for duty, its_task in in_force if its_task in wanted[task]}) for task in task_iris}


def _match_dict(match: TaskMatch) -> dict:
    return {"iri": match.iri, "label": match.label, "score": match.score, "matched": match.matched}
