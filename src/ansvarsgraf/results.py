"""What an answer is: plain result types (as_dict() is the JSON of CLI and API alike) and
the errors for a municipality or task the graph does not know."""

from dataclasses import dataclass, field

import orjson


class UnknownMunicipalityError(ValueError):
    def __init__(self, name: str, suggestions: list[str]):
        hint = f" Menade du {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"Kommunen '{name}' finns inte i grafen.{hint}")
        self.suggestions = suggestions


class UnknownTaskError(ValueError):
    pass


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
class Support:
    """What one shown value rests on (docs/provenans.md): the source's words, a statute,
    another named source, or the modeller's conclusion, each worded differently in `text`
    ("Källan säger: «…» (…)" against "Slutsats: … (skäl: …)") so that a reader never takes
    a conclusion for the source."""

    field: str          # the field, in Swedish ("bärare", "modalitet")
    value: str          # the value it supports, by its label
    kind: str           # källa, lag, annan_källa, slutsats
    text: str           # the whole line as shown
    quote: str | None = None
    section: Ref | None = None
    statute: Ref | None = None
    reason: str | None = None
    observed: str | None = None  # when the source observed it (YYYY, YYYY-MM or YYYY-MM-DD)
    property: str | None = None  # the property's and the value's IRIs (or the literal), to place it
    object: str | None = None
    # From when the support was known (YYYY, YYYY-MM or YYYY-MM-DD; stod.rq ?kand): the
    # document's date, the statute's start, the named source's date written or read; None for
    # a conclusion that quotes nothing. An answer for an earlier date leaves it out of
    # `support` and, when later changes are asked for, shows it in `later_support`.
    known_from: str | None = None
    known_through: str | None = None  # what it is known from, by name (an audit's or a web page's title)


@dataclass
class TaskFinding:
    """What an audit or a board's response states about the asked task in the municipality
    (issue 16, point 6), shown even when no actor is modelled: "Granskningen 2020-10-13
    konstaterar: …". Only findings written on or before the answer's date."""

    text: str                   # the whole line as shown
    kind: str                   # the kind of finding ("saknas", "oklart ansvar" …)
    description: str
    concerns: Ref               # the task (the asked one or a narrower one)
    report: Ref | None = None
    report_date: str | None = None  # YYYY, YYYY-MM or YYYY-MM-DD, as the source gives it
    data_warning: str | None = None  # the finding names no municipality (`kommuner`)


@dataclass
class ForumAnswer:
    """A forum that handles the asked task (or one under it) in the municipality on the date
    (ag:addresses, `behandlar:`). A forum is a meeting place: it carries no duty and is never
    shown as a bearer; `text` says so. Who convenes, chairs and takes part is shown only as
    far as the source names them, each value with its support (section and quote)."""

    iri: str
    label: str
    text: str                    # the line as shown: that it handles the task and bears no duty
    tasks: list[Ref]             # the tasks (the asked one or narrower ones) it handles
    instrument: Ref | None       # the document that establishes it, when one is modelled
    convenors: list[Ref]
    chairs: list[Ref]
    participants: list[Ref]
    purpose: str | None
    meeting_frequency: str | None
    observed: str | None = None  # when an audit observed it (YYYY, YYYY-MM or YYYY-MM-DD)
    support: list[Support] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)
    later_support: list[Support] = field(default_factory=list)  # known after the date, as DutyAnswer's
    # It belongs to the municipality only through the source that describes it (no document,
    # convenor, chair or participant is modelled): said, so no one reads more into it.
    data_warning: str | None = None


@dataclass
class Bearer:
    """One bearer of a duty: the actor, its way up to its municipality, and for a statutory
    role the organisations that fill it in the municipality asked about."""

    actor: Ref
    fulfilled_by: list[Ref]
    organisation_path: list[Ref]
    # Issue 16: the boards with budget responsibility for a unit (ag:budgetHolder), each
    # with its support, e.g. a mobile team's budget holders.
    budget: list[Support] = field(default_factory=list)


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
    # Issue 16: each shown value's own support, and when an audit observed the duty (its
    # own `observerad`, else its document's): "enligt granskningen 2020-10-13".
    support: list[Support] = field(default_factory=list)
    observed: str | None = None
    # Issue 14: support known only from sources written after the date: in the answer's
    # "after the date" part (answer_task(after=True), ?efter=1), else empty.
    later_support: list[Support] = field(default_factory=list)
    # Nothing the duty rests on was known on the date (every support and source is later):
    # "Känt först ur <källa> (<datum>)". Such a duty is no plain answer for the date
    # (Answer.later_duties).
    known_first: str | None = None


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
    support: list[Support] = field(default_factory=list)  # issue 16: parties, dates, status, legal basis
    later_support: list[Support] = field(default_factory=list)  # known after the date, as DutyAnswer's


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
    # Findings about the task (or a narrower one) in the municipality, written by the date.
    findings: list[TaskFinding] = field(default_factory=list)
    # Forums that handle the task in the municipality on the date: no duty, no bearer.
    forums: list[ForumAnswer] = field(default_factory=list)
    # Duties that apply on the date but are known only from sources written after it: never
    # among `duties`; a note says so, and they are here only when later changes are asked for.
    later_duties: list[DutyAnswer] = field(default_factory=list)

    def as_dict(self) -> dict:
        # The answer's JSON read back: every field is JSON data already (str, bool, lists,
        # dicts, dataclasses), so this is dataclasses.asdict's result (a test holds it, type
        # for type), at a third of its cost; the change report converts two answers per task
        # and municipality, and asdict's deep copies were 40 % of its time.
        return orjson.loads(orjson.dumps(self))

    def to_json(self) -> bytes:
        """The JSON of as_dict(), compact UTF-8 as the API sends it."""
        return orjson.dumps(self)

