"""Describing duties and documents for one municipality and date: bearers (and for a
statutory role the organisations that fill it), the organisation path, part, modality, the
law in force, the instrument and its section, the sources, the escalation route, and the
warnings from audit findings, stale revision and repealed citations."""

import datetime as dt
import re

from rdflib.namespace import DCTERMS, RDF

from .catalog import Catalog
from .describe import Node
from .graph_store import GraphStore
from .ids import local_id as _local
from .law_in_force import LawReader, is_law
from .dates import as_date, period_end, period_start
from .results import Bearer, DutyAnswer, InstrumentCard, LegalBasis, Ref, Warning
from .vocabulary import AG, PROV

MODALITY_ORDER = {"ska": 0, "bör": 1, "får": 2}
PART_ORDER = {"ansvarar": 0, "sammankallar": 1, "beslutar": 2, "utför": 3, "initierar": 4}


def duty_order(duty: DutyAnswer):
    # Binding duties first; within the same modality the local instrument before the general law.
    local_first = 0 if duty.instrument else 1
    return (MODALITY_ORDER.get(duty.modality, 9), local_first, PART_ORDER.get(duty.part, 9),
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
        related = [v for d in duties for v in (*d.all(AG.bearer), d.one(AG.establishedBy), *d.all(PROV.wasDerivedFrom))]
        self.describe(*(str(v) for v in related if v is not None))
        sources = [self._nodes[str(s)] for d in duties for s in d.all(PROV.wasDerivedFrom)]
        self.describe(*(str(s.one(DCTERMS.isPartOf)) for s in sources if s.one(DCTERMS.isPartOf) is not None))
        cited = [str(p) for d in duties for p in d.all(AG.legalBasis)]
        cited += [str(s) for d in duties for s in d.all(PROV.wasDerivedFrom) if is_law(s)]
        cited += [str(p) for d in duties if not d.all(AG.legalBasis) and d.one(AG.establishedBy) is not None
                  for p in self._nodes[str(d.one(AG.establishedBy))].all(AG.legalBasis)]
        self.fetch_grouped(self._chains, "lagrum-kedja", "citerad", cited)
        chosen = [p.iri for p in (self._in_force(c)[0] for c in cited) if p is not None]
        self.fetch_grouped(self._chains, "lagrum-kedja", "citerad", chosen)
        self.fetch_grouped(self._versions, "lydelser", "bestammelse", chosen)
        concerned = [i for d in duties for i in self._concerned(d)]
        self.fetch_grouped(self._findings, "iakttagelser", "nod", concerned)

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

    def concept_label(self, node: Node, prop) -> str:
        value = node.one(prop)
        if value is None:
            return ""
        return node.labels.get(str(value)) or str(value).rsplit("#", 1)[-1]

    def bearer(self, node: Node) -> Bearer:
        fulfilled = self.fulfilled_by(node) if AG.StatutoryRole in node.all(RDF.type) else []
        return Bearer(Ref(node.iri, node.label(), node.kind()), fulfilled, self.organisation_path(node.iri))

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
                warnings.append(Warning("upphävd_hänvisning", f"{instrument.label()} hänvisar till {basis.cited.label}, som inte gäller på datumet; {basis.in_force.label} gäller i stället."))
        for bearer in bearers:
            if AG.StatutoryRole in bearer.all(RDF.type) and not self.fulfilled_by(bearer):
                warnings.append(Warning("roll_ej_modellerad", f"Vilken organisation i {self.kommun.label} som fyller rollen ”{bearer.label()}” är inte modellerat."))
        return warnings + self.finding_warnings(self._concerned(duty))

    def finding_warnings(self, concerned: list[str]) -> list[Warning]:
        """Audit findings about any of these nodes, once each."""
        self.fetch_grouped(self._findings, "iakttagelser", "nod", concerned)
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

    def instrument_warnings(self, instrument: Node) -> list[Warning]:
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
                warnings.append(Warning("ej_reviderad", f"{instrument.label()} ska revideras {interval_text(str(interval))} men reviderades senast {last}; revideringen var förfallen {due.isoformat()}."))
        if instrument.one(AG.undatedInSource) is not None:
            warnings.append(Warning("datum_saknas", f"Källan anger inget datum för {instrument.label()}."))
        status = self.status_on(instrument)
        if status is not None and status != AG.gallande:
            warnings.append(Warning("status", f"{instrument.label()} har status ”{instrument.labels.get(str(status), _local(status))}”."))
        if AG.Practice in instrument.all(RDF.type):
            warnings.append(Warning("praxis", "Åtagandet bygger på ett arbetssätt som källan beskriver, inte på ett skriftligt styrdokument."))
        return warnings

    def status_on(self, instrument: Node):
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


def add_duration(start: dt.date, duration: str) -> dt.date | None:
    """start + an xsd:duration of years, months, weeks and days (P1Y, P6M, P14D)."""
    match = re.fullmatch(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?", duration)
    if not match:
        return None
    years, months, weeks, days = (int(g) if g else 0 for g in match.groups())
    month_index = start.year * 12 + start.month - 1 + years * 12 + months
    year, month = divmod(month_index, 12)
    day = min(start.day, [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month])
    return dt.date(year, month + 1, day) + dt.timedelta(weeks=weeks, days=days)


def interval_text(duration: str) -> str:
    return {"P1Y": "årligen", "P2Y": "vartannat år", "P6M": "varje halvår"}.get(duration, f"med intervallet {duration}")

