"""Describing duties and documents for one municipality and date: bearers (and for a
statutory role the organisations that fill it), the organisation path, part, modality, the
law in force, the instrument and its section, the sources, the escalation route, and the
warnings from audit findings, stale revision and repealed citations."""

import datetime as dt
import functools
from dataclasses import replace

from rdflib.namespace import DCTERMS, RDF
from rdflib.xsd_datetime import Duration, parse_xsd_duration

from .catalog import Catalog
from .describe import Node
from .graph_store import GraphStore
from .ids import local_id as _local
from .law_in_force import LawReader, is_law
from .dates import period_end, period_start
from .durations import duration_words, interval_words
from .organisation_index import entry_on
from .shape_queries import warning_shape
from .results import Bearer, DutyAnswer, InstrumentCard, LegalBasis, Ref, Support, TaskFinding, Warning
from .vocabulary import AG, MODALITY_RANK, PART_RANK, PROV

# The month and year properties of the dates an instrument card shows (ag:precisionOf).
PRECISIONS = {DCTERMS.dateAccepted: (AG.dateAcceptedMonth, AG.dateAcceptedYear),
              AG.validFrom: (AG.validFromMonth, AG.validFromYear), AG.validUntil: (AG.validUntilMonth, AG.validUntilYear),
              DCTERMS.modified: (AG.modifiedMonth, AG.modifiedYear)}
# What a document card shows, whose support it shows with it (issue 16, point 8).
CARD_FIELDS = {str(p) for p in (AG.party, AG.status, AG.statusFrom, AG.statusFromMonth, AG.statusFromYear, AG.legalBasis,
                                AG.revisionInterval, *PRECISIONS, *(q for pair in PRECISIONS.values() for q in pair))}
REVISION_RULE = "RevisionOverdueShape"  # ontology/shapes.ttl
SUPPORT_KINDS = {"source": "källa", "statute": "lag", "namedSource": "annan_källa", "conclusion": "slutsats"}


def duty_order(duty: DutyAnswer):
    # Binding duties first (the ontology's order of modalities and parts, vocabulary.py); within
    # the same modality the local instrument before the general law.
    local_first = 0 if duty.instrument else 1
    return (MODALITY_RANK.get(duty.modality, 99), local_first, PART_RANK.get(duty.part, 99),
            [b.actor.label for b in duty.bearers])


class DutyBuilder(LawReader):
    """Describes duties for one municipality and date.

    A whole answer is built from a handful of queries whatever its size: `prefetch` asks for
    every duty, then every bearer, instrument and source, then every cited provision's
    succession chain, versions and audit findings, each as one list-bound query; the
    per-duty methods then read from those results (and query only for what was not
    prefetched, as the instrument cards and gap analysis do).
    """

    def prefetch(self, duty_iris: list[str]) -> None:
        duties = self.describe(*duty_iris)
        concerned = [i for d in duties for i in self._concerned(d)]
        self.fetch_grouped(self._findings, "iakttagelser", "nod", concerned)
        # The findings are described with the duties' bearers and documents (for their
        # `kommuner`): one query for all.
        findings = [str(r["iakttagelse"]) for i in concerned for r in self._findings[i]]
        related = [v for d in duties for v in (*d.all(AG.bearer), d.one(AG.establishedBy), *d.all(PROV.wasDerivedFrom))]
        self.describe(*(str(v) for v in related if v is not None), *findings)
        sources = [self._nodes[str(s)] for d in duties for s in d.all(PROV.wasDerivedFrom)]
        # The entries of the documents' status histories (status_on reads them).
        entries = [str(e) for d in duties if d.one(AG.establishedBy) is not None
                   for e in self._nodes[str(d.one(AG.establishedBy))].all(AG.qualifiedStatus)]
        if entries:
            self.describe(*entries)
        self.describe(*(str(s.one(DCTERMS.isPartOf)) for s in sources if s.one(DCTERMS.isPartOf) is not None))
        cited = [str(p) for d in duties for p in d.all(AG.legalBasis)]
        cited += [str(s) for d in duties for s in d.all(PROV.wasDerivedFrom) if is_law(s)]
        cited += [str(p) for d in duties if not d.all(AG.legalBasis) and d.one(AG.establishedBy) is not None
                  for p in self._nodes[str(d.one(AG.establishedBy))].all(AG.legalBasis)]
        self.fetch_grouped(self._chains, "lagrum-kedja", "citerad", cited)
        chosen = [p.iri for p in (self._in_force(c)[0] for c in cited) if p is not None]
        self.fetch_grouped(self._chains, "lagrum-kedja", "citerad", chosen)
        self.fetch_grouped(self._versions, "lydelser", "bestammelse", chosen)
        # Support of the duties, of their documents (whose cited law a warning words by it) and
        # of the bearers that hold a budget (shown with its support): one query for all.
        budget_holders = [str(b) for d in duties for b in d.all(AG.bearer) if self._nodes[str(b)].all(AG.budgetHolder)]
        self.fetch_grouped(self._support, "stod", "nod", [d.iri for d in duties] + budget_holders +
                           [str(d.one(AG.establishedBy)) for d in duties if d.one(AG.establishedBy) is not None])

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
        observed = self.observed(duty, instrument)
        if observed is not None:
            warnings.extend(self.observation_warnings(observed))
        if unknown and not sources:
            warnings.append(Warning("källa_senare", f"Källorna till åtagandet skrevs efter {self.on_date.isoformat()} och visas inte för det datumet."))
        support, later_support = self.split_by_date(s for s in self.support(iri) if not self._later_end(s))
        later_support += [s for b in bearers for s in self.budget_support(b)[1]]
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
            support=support,
            observed=observed,
            later_support=later_support,
            known_first=known_first(support, sources, later_support),
        )

    def _later_end(self, support: Support) -> bool:
        """Support for the duty's last day when that day is after the date: on the date the end
        was not known (SoL 19 kap. 6 §'s old wording "gäller till och med 2026-01-14", with the
        later SFS, in a 2019 answer); the duty applies then, and that is all the answer says."""
        return support.property in LATER_END and (period_start(support.object) or dt.date.min) > self.on_date

    # --- support and observation (issue 16) ----------------------------------------

    def split_by_date(self, supports) -> tuple[list[Support], list[Support]]:
        """(the supports known on the date, those known only from sources written after it)."""
        known, later = [], []
        for s in supports:
            (known if known_on(s, self.on_date) else later).append(s)
        return known, later

    def support_fields(self, supports) -> dict[str, list[Support]]:
        """`support` and `later_support` of a result (card, forum), split by the date."""
        known, later = self.split_by_date(supports)
        return {"support": known, "later_support": later}

    def prefetch_support(self, iris) -> None:
        """The support of many nodes in one query (a gap report's evidence)."""
        self.fetch_grouped(self._support, "stod", "nod", iris)

    def support(self, iri: str) -> list[Support]:
        """Each shown value's own support, as stod.rq reads it: the source's words with the
        section, a statute, another named source, or a conclusion with its reason."""
        self.fetch_grouped(self._support, "stod", "nod", [iri])
        return [s for s in (self._statute_on_date(s) for s in read_support(self._support[iri])) if s is not None]

    def _statute_on_date(self, support: Support) -> Support | None:
        """A statute support names the section in force on the date, as the legal basis does:
        the data cites today's section (SoL 2025:400), and before it applied its predecessor
        is what the law said. A section that did not exist yet (and had none) is not shown."""
        if support.statute is None:
            return support
        basis = self.legal_basis(support.statute.iri)
        if self._not_yet(basis):
            return None
        law = basis.in_force or basis.cited
        if law.iri == support.statute.iri:
            return support
        value = law.label if support.value == support.statute.label else support.value
        # The section in force on the date is known from its own start (its act's when it has none).
        known = law.valid_from or support.known_from
        # The supported value itself may be the later section (a legal basis): name the one in
        # force on the date there too, so no later law leaks into the answer for that date.
        target = law.iri if support.object == support.statute.iri else support.object
        return replace(support, statute=Ref(law.iri, law.label), value=value, object=target, text=f"Lagen säger: {law.label}",
                       known_from=known, known_through=law.label)

    def source_says(self, node: str, prop, value: str) -> bool:
        """Whether a source section says this value in its own words (support of kind
        source), as opposed to a conclusion, another source, or nothing."""
        self.fetch_grouped(self._support, "stod", "nod", [node])
        return any(str(r["egenskap"]) == str(prop) and str(r["varde"]) == value and str(r["slag"]) == str(AG.source)
                   for r in self._support[node])

    def observed(self, duty: Node, instrument: Node | None) -> str | None:
        """When an audit observed the duty: its own `observerad`, else its document's."""
        for node in (duty, instrument):
            if node is None:
                continue
            for prop in (AG.observedOn, AG.observedOnMonth, AG.observedOnYear):
                if node.one(prop) is not None:
                    return str(node.one(prop))
        return None

    def observation_warnings(self, observed: str) -> list[Warning]:
        """An observation older than the age set in ontology/vocabularies.ttl (ag:warnAfter)
        may no longer hold: said, with the date, so the reader can check it."""
        age = self.observation_age()
        limit = add_duration(period_end(observed), age) if age else None
        if limit is None or limit >= self.on_date:
            return []
        return [Warning("gammal_iakttagelse", f"Bygger på vad granskningen iakttog {observed}, mer än "
                        f"{duration_words(age)} före {self.on_date.isoformat()}; kontrollera att det fortfarande stämmer.")]

    def observation_age(self) -> str | None:
        return self.catalog.observation_age  # read once with the catalog (installningar.rq)

    def concept_label(self, node: Node, prop) -> str:
        value = node.one(prop)
        if value is None:
            return ""
        return node.labels.get(str(value)) or str(value).rsplit("#", 1)[-1]

    def bearer(self, node: Node) -> Bearer:
        fulfilled = self.fulfilled_by(node) if AG.StatutoryRole in node.all(RDF.type) else []
        # Only what was known on the date; the rest is the duty's later support (build).
        budget = self.budget_support(node)[0]
        return Bearer(Ref(node.iri, node.label(), node.kind()), fulfilled, self.organisation_path(node.iri), budget)

    def budget_support(self, node: Node) -> tuple[list[Support], list[Support]]:
        """The support of a bearer's budget responsibility, split by the date: the bearer
        shows what was known on it, the duty lists the rest as its later support."""
        if not node.all(AG.budgetHolder):
            return [], []
        return self.split_by_date(s for s in self.support(node.iri) if s.property == str(AG.budgetHolder))

    def fulfilled_by(self, role: Node) -> list[Ref]:
        return [Ref(n.iri, n.label) for n in self.catalog.organisations.fulfilled_by(role.iri, self.kommun.iri)]

    def organisation_path(self, iri: str) -> list[Ref]:
        return [Ref(n.iri, n.label) for n in self.catalog.organisations.path(iri)]

    # --- warnings -----------------------------------------------------------------

    def _concerned(self, duty: Node) -> list[str]:
        """The nodes whose audit findings a duty's reader must see."""
        nodes = [duty.iri] + [str(v) for v in (*duty.all(AG.bearer), duty.one(AG.establishedBy), duty.one(AG.forum)) if v is not None]
        return nodes

    def warnings(self, duty: Node, instrument: Node | None, bearers: list[Node], legal_basis: list[LegalBasis]) -> list[Warning]:
        warnings: list[Warning] = []
        if instrument is not None:
            warnings.extend(self.instrument_warnings(instrument))
        for basis in legal_basis:
            if basis.note and basis.in_force is not None and basis.in_force.iri != basis.cited.iri and instrument is not None:
                quoted = self.source_says(instrument.iri, AG.legalBasis, basis.cited.iri)
                who = f"{instrument.label()} hänvisar till" if quoted else f"Modelleraren har knutit {instrument.label()} till"
                note = "" if quoted else " Dokumentet hänvisar inte själv dit enligt något citat."
                warnings.append(Warning("upphävd_hänvisning", f"{who} {basis.cited.label}, som inte gäller på datumet; {basis.in_force.label} gäller i stället.{note}"))
        for bearer in bearers:
            if AG.StatutoryRole in bearer.all(RDF.type) and not self.fulfilled_by(bearer):
                warnings.append(Warning("roll_ej_modellerad", f"Vilken organisation i {self.kommun.label} som fyller rollen ”{bearer.label()}” är inte modellerat."))
        return warnings + self.finding_warnings(self._concerned(duty))

    def finding_warnings(self, concerned: list[str]) -> list[Warning]:
        """Audit findings about any of these nodes, once each: those written by the date
        that concern the municipality (by their `kommuner`, when the source names them)."""
        warnings = []
        for row in self._findings_here(concerned):
            kind = str(row["typnamn"] or _local(row["typ"]))
            report = Ref(str(row["rapport"]), str(row["rapportnamn"] or _local(row["rapport"]))) if row["rapport"] else None
            warnings.append(Warning(kind, str(row["beskrivning"] or kind), report))
        return warnings

    def task_findings(self, tasks: list[str]) -> list[TaskFinding]:
        """What audits and responses state about these tasks in the municipality, written by
        the date (a year or month from its first day), from the catalog (no query). A finding
        names its municipalities (`kommuner`); one that names none counts when its report
        concerns or was published by one of the municipality's organisations, and says so."""
        rows: dict[str, list[dict]] = {}
        for task in tasks:
            for row in self.catalog.task_findings.get(task, ()):
                rows.setdefault(str(row["iakttagelse"]), []).append(row)
        index, found = self.catalog.organisations, []
        for finding, its in rows.items():
            row = its[0]
            written = period_start(row["rapportdatum"] or row["rapportar"])
            if written is not None and written > self.on_date:
                continue  # reported after the date: not known then
            named = {str(r["kommun"]) for r in its if r["kommun"] is not None}
            if named and self.kommun.iri not in named:
                continue  # a shared report's finding about another municipality
            if not named and not any(r["rapportdel"] is not None and index.concerns(str(r["rapportdel"]), self.kommun.iri)
                                     for r in its):
                continue
            kind = str(row["typnamn"] or _local(row["typ"]))
            description = str(row["beskrivning"] or kind)
            report = Ref(str(row["rapport"]), str(row["rapportnamn"] or _local(row["rapport"]))) if row["rapport"] else None
            date = str(row["rapportdatum"] or row["rapportar"] or "") or None
            who = "Granskningen" if row["granskning"] is not None else (report.label if report is not None else "Källan")
            found.append(TaskFinding(
                text=f"{who} {date or '(odaterad)'} konstaterar: {description}", kind=kind, description=description,
                concerns=Ref(str(row["nod"]), self.catalog.task_labels.get(str(row["nod"]), _local(row["nod"])), "uppgift"),
                report=report, report_date=date,
                data_warning=None if named else "Iakttagelsen anger inte vilka kommuner den gäller (kommuner saknas i data)."))
        return sorted(found, key=lambda f: (f.report_date or "", f.text))

    def _findings_here(self, nodes: list[str]) -> list[dict]:
        """The finding rows about these nodes, each finding once, written on or before the
        date (a year or month from its first day) and, when the finding names its
        municipalities (`kommuner`), naming this one."""
        self.fetch_grouped(self._findings, "iakttagelser", "nod", nodes)
        rows = [row for node in nodes for row in self._findings[node]]
        self.describe(*{str(r["iakttagelse"]) for r in rows})
        kept, seen = [], set()
        for row in rows:
            finding = str(row["iakttagelse"])
            written = period_start(row["rapportdatum"] or row["rapportar"])
            if finding in seen or (written is not None and written > self.on_date):
                continue  # reported after the date: not known then
            named = {str(k) for k in self.describe(finding)[0].all(AG.concernsMunicipality)}
            if named and self.kommun.iri not in named:
                continue  # a shared report's finding about another municipality
            seen.add(finding)
            kept.append(row)
        return kept

    def instrument_warnings(self, instrument: Node) -> list[Warning]:
        warnings = []
        # "Revision overdue" has one definition, the SHACL rule ags:RevisionOverdueShape
        # (ontology/shapes.ttl) that validate and the gap report run too: the document in force
        # on the date, its last revision known then, the interval and the dates' precision.
        # Run for every document once per data version and date with the catalog (one query).
        row = revision_overdue(self.catalog, self.store, instrument.iri, self.on_date)
        if row is not None:
            warnings.append(Warning("ej_reviderad", f"{instrument.label()} ska revideras {interval_text(str(row['interval']))} men "
                                    f"reviderades senast {row['last']}; revideringen var förfallen {row['due']}."))
        if instrument.one(AG.undatedInSource) is not None:
            warnings.append(Warning("datum_saknas", f"Källan anger inget datum för {instrument.label()}."))
        status = self.status_on(instrument)
        if status is not None and status != AG.gallande:
            warnings.append(Warning("status", f"{instrument.label()} har status ”{self.status_name(instrument, status)}”."))
        if AG.Practice in instrument.all(RDF.type):
            warnings.append(Warning("praxis", "Åtagandet bygger på ett arbetssätt som källan beskriver, inte på ett skriftligt styrdokument."))
        return warnings

    def status_on(self, instrument: Node):
        """The document's status on the date: of its status history (its own `status:`, or
        one ag:DatedStatus per entry), the entry with the latest start on or before the date
        (organisation_index.status_on). A status is a statement of some day: before its
        start none is shown. "Ersatt" holds only once the document has ended or a later
        version has begun; while it is in force it is not yet replaced."""
        status, _entry = self.status_entry_on(instrument)
        if status == AG.ersatt:
            validity = self.catalog.organisations.validity(instrument.iri)
            if validity is not None and validity.in_force(self.on_date):
                return None
        return status

    def status_entry_on(self, instrument: Node):
        """(status on the date, the node whose support shows it: the history entry, or the
        document itself for a single `status:`); (None, None) before the first entry."""
        def start(node: Node):
            return node.one(AG.statusFrom) or node.one(AG.statusFromMonth) or node.one(AG.statusFromYear)
        history = {instrument.iri: (start(instrument), instrument.one(AG.status))} if instrument.one(AG.status) is not None else {}
        entries = [str(e) for e in instrument.all(AG.qualifiedStatus)]
        for entry in self.describe(*entries) if entries else []:
            if entry.one(AG.status) is not None:
                history[entry.iri] = (start(entry), entry.one(AG.status))
        entry = entry_on([(str(f) if f is not None else None, v, iri) for iri, (f, v) in history.items()], self.on_date)
        return (entry[1], entry[2]) if entry is not None else (None, None)

    def status_name(self, instrument: Node, status) -> str:
        """The status's Swedish name, from the node that states it (the document or an entry)."""
        entries = [str(e) for e in instrument.all(AG.qualifiedStatus)]
        for node in (instrument, *(self.describe(*entries) if entries else [])):
            if str(status) in node.labels:
                return node.labels[str(status)]
        return _local(status).rsplit("#", 1)[-1]

    def instrument_cards(self, iris: list[str]) -> list[InstrumentCard]:
        cards = []
        for node in self.describe(*iris) if iris else []:
            parties = [Ref(str(p), node.labels.get(str(p), _local(p))) for p in node.all(AG.party)]
            applies = self.catalog.organisations.party_in(node.iri, self.kommun.iri)
            status = self.status_on(node)
            _, status_node = self.status_entry_on(node)
            # A date as the source gives it: the day, else the month, else the year (dates.py).
            text = lambda prop: next((str(node.one(p)) for p in (prop, *PRECISIONS.get(prop, ())) if node.one(p) is not None), None)  # noqa: E731
            validity = self.catalog.organisations.validity(node.iri)
            in_force = [] if validity is None or validity.in_force(self.on_date) else \
                [Warning("ej_i_kraft", f"{node.label()} gäller inte på {self.on_date.isoformat()}.")]
            if validity is not None and (validity.start or dt.date.min) > self.on_date:
                # Not yet signed or in force: what it will say and when is not known on the date.
                cards.append(InstrumentCard(node.iri, node.label(), node.kind(), parties, None, None, None, None, None,
                                            None, applies, [], [], [], in_force))
                continue
            on_or_before = lambda prop: text(prop) if text(prop) and period_start(text(prop)) <= self.on_date else None  # noqa: E731
            cards.append(InstrumentCard(
                iri=node.iri, label=node.label(), kind=node.kind(), parties=parties,
                signed=text(DCTERMS.dateAccepted), valid_from=text(AG.validFrom), valid_until=text(AG.validUntil),
                last_revised=on_or_before(DCTERMS.modified), revision_interval=text(AG.revisionInterval),
                status=self.status_name(node, status) if status is not None else None,
                applies_in_municipality=applies,
                legal_basis=self.legal_bases(node.all(AG.legalBasis)),
                sources=self.sources(node), escalation=self.escalation(node),
                warnings=in_force + self.instrument_warnings(node) + self.finding_warnings([node.iri]),
                **self.support_fields(
                    [s for s in self.support(node.iri) if s.property in CARD_FIELDS
                     and (status is not None or s.property != str(AG.status))]
                    + ([s for s in self.support(status_node) if s.property == str(AG.status)]
                       if status is not None and status_node not in (None, node.iri) else []))))
        return cards

    def escalation(self, instrument: Node) -> list[str]:
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


def revision_overdue(catalog: Catalog, store: GraphStore, document: str, on_date: dt.date) -> dict | None:
    """The document's row of the rule ags:RevisionOverdueShape on the date (?interval, ?last,
    ?due), or None when its revision is not overdue then. The rule runs for every document
    once per data version and date, with the catalog: answers, the gap report and the change
    report read the same rows."""
    rows = catalog.shape_rows(store, warning_shape(REVISION_RULE), on_date).get(document, [])
    return min(rows, key=lambda r: (str(r["due"]), str(r["last"])), default=None)


def add_duration(start: dt.date, duration: str) -> dt.date | None:
    """start + an xsd:duration of years, months, weeks and days (P1Y, P6M, P14D), by
    rdflib's xsd:duration arithmetic: months and years first, clamped to the month's last
    day (2024-01-31 + P1M = 2024-02-29, 2024-02-29 + P1Y = 2025-02-28), then days. A time
    of day, a fraction or a negative interval is no calendar interval: no due date."""
    interval = _calendar_interval(duration)
    if interval is None:
        return None
    due = start + interval
    return due if due >= start else None


@functools.lru_cache(maxsize=256)
def _calendar_interval(duration: str):
    # Parsed once per distinct interval: parsing costs three times the addition, and the
    # data has a handful of intervals (benchmarks/libraries.py).
    try:
        value = parse_xsd_duration(duration)
    except (ValueError, TypeError):
        return None
    time_part = value.tdelta if isinstance(value, Duration) else value
    if time_part.seconds or time_part.microseconds:
        return None
    try:
        dt.date(2000, 1, 1) + value  # a fractional year or month cannot be added to a date
    except ValueError:
        return None
    return value


def interval_text(duration: str) -> str:
    return interval_words(duration) or f"med intervallet {duration}"



# A duty's own last day, at each precision (docs/model.md, "Datum med precision").
LATER_END = {str(AG.validUntil), str(AG.validUntilMonth), str(AG.validUntilYear)}


def known_on(support: Support, on_date: dt.date) -> bool:
    """Whether the support was known on the date: its source written (a statute in force)
    on or before it, by stod.rq's ?kand; a conclusion quoting nothing has no date of its own."""
    return support.known_from is None or (period_start(support.known_from) or dt.date.min) <= on_date


def known_first(support: list[Support], sources: list, later_support: list[Support]) -> str | None:
    """"Känt först ur <källa> (<datum>)" when nothing a duty rests on was known on the date:
    no dated support and no source then, only support from sources written after it."""
    if not later_support or sources or any(s.known_from for s in support):
        return None
    first = min(later_support, key=lambda s: (period_start(s.known_from), s.known_through or ""))
    return f"Känt först ur {first.known_through or first.text} ({first.known_from})"


def read_support(rows) -> list[Support]:
    """The supports in stod.rq's rows, one per statement, worded for a reader: the one
    reader of support for answers, document cards, findings and /id pages."""
    found: dict[str, Support] = {}
    for row in rows:
        key = str(row["pastaende"])
        if key in found:
            # A second section or statute of the same statement adds nothing new to show; the
            # statement is known from the earliest of its sources.
            known = _text(row["kand"])
            earlier = found[key].known_from
            if known is not None and (earlier is None or period_start(known) < period_start(earlier)):
                found[key] = replace(found[key], known_from=known, known_through=_text(row["kandur"]))
            continue
        kind = SUPPORT_KINDS.get(str(row["slag"]).rsplit("#", 1)[-1], "slutsats")
        value = str(row["vardenamn"] or _local(row["varde"]).rsplit("#", 1)[-1])
        section = None
        if row["avsnitt"] is not None:
            where = ", ".join(str(x) for x in (row["dokumentnamn"], _section_words(row["nummer"], row["avsnittsnamn"])) if x)
            section = Ref(str(row["avsnitt"]), where or _local(row["avsnitt"]))
        statute = Ref(str(row["lagrum"]), str(row["lagrumsnamn"] or _local(row["lagrum"]))) if row["lagrum"] is not None else None
        quote, reason = _text(row["citat"]), _text(row["skal"])
        found[key] = Support(
            field=str(row["falt"] or _local(row["egenskap"]).rsplit("#", 1)[-1]), value=value, kind=kind,
            text=_support_text(kind, value, quote, section, statute, reason, row), quote=quote, section=section,
            statute=statute, reason=reason, observed=_text(row["observerad"]),
            property=str(row["egenskap"]), object=str(row["varde"]),
            known_from=_text(row["kand"]), known_through=_text(row["kandur"]) if row["kand"] is not None else None)
    return list(found.values())


def _text(value) -> str | None:
    return str(value) if value is not None else None


def _section_words(number, name) -> str | None:
    """"avsnitt 3.2 Samverkan internt"; a section named like its number is said once."""
    number, name = _text(number), _text(name)
    if number and name and name.startswith(number):
        return f"avsnitt {name}"
    return " ".join(x for x in (f"avsnitt {number}" if number else None, name) if x) or None


def _support_text(kind: str, value: str, quote: str | None, section: Ref | None, statute: Ref | None,
                  reason: str | None, row: dict) -> str:
    """The line a reader sees: the source's words in «», a statute, a named source, or a
    conclusion marked as such with its reason (never worded as the source's)."""
    where = f" ({section.label})" if section else ""
    if kind == "källa":
        return f"Källan säger: «{quote}»{where}" if quote else f"Källan säger det{where}"
    if kind == "lag":
        return f"Lagen säger: {statute.label}" if statute else "Lagen säger det"
    if kind == "annan_källa":
        place = _text(row["url"]) or _text(row["referens"])
        read = f", läst {row['last']}" if row["last"] is not None else ""
        title = _text(row["titel"]) or "en namngiven källa"
        return f"Enligt {title}" + (f" ({place}{read})" if place or read else "")
    resting = f"; vilar på «{quote}»{where}" if quote else ""
    return f"Slutsats: {value} (skäl: {reason or 'inget skäl angivet'}){resting}"

