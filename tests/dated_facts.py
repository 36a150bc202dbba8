"""What the graph itself says about dates, read with plain SPARQL (not through the answer
engine), and what an answer for a date may hold by them: the oracle of the point-in-time
sweeps (tests/test_point_in_time.py on the bundled data, tests/test_status_history.py on the
fixtures of tests/data/point-in-time, each on every store)."""

import datetime as dt
import re

ID = "https://w3id.org/ansvarsgraf/id/"

DATED = """
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX ag: <https://w3id.org/ansvarsgraf/def#>
PREFIX eli: <http://data.europa.eu/eli/ontology#>
SELECT ?n ?p ?v WHERE {
  VALUES ?p { ag:validFrom ag:validUntil ag:validFromYear ag:validUntilYear dcterms:dateAccepted
              dcterms:date ag:year ag:statusFrom ag:statusFromMonth ag:statusFromYear
              ag:validFromMonth ag:observedOn ag:observedOnMonth ag:observedOnYear }
  ?n ?p ?v .
}"""

LINKS = """
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX ag: <https://w3id.org/ansvarsgraf/def#>
PREFIX eli: <http://data.europa.eu/eli/ontology#>
SELECT ?n ?p ?v WHERE {
  VALUES ?p { dcterms:isPartOf ag:foundIn eli:is_part_of dcterms:isReplacedBy dcterms:replaces ag:establishedBy
              ag:qualifiedStatus }
  ?n ?p ?v .
}"""

# A document's status: its own `status:` or the entries of its history (ag:DatedStatus).
STATUSES = """
PREFIX ag: <https://w3id.org/ansvarsgraf/def#>
SELECT ?dokument ?status ?fran WHERE {
  { ?dokument ag:status ?status . OPTIONAL { ?dokument ag:statusFrom|ag:statusFromMonth|ag:statusFromYear ?fran } }
  UNION
  { ?dokument ag:qualifiedStatus ?post . ?post ag:status ?status .
    OPTIONAL { ?post ag:statusFrom|ag:statusFromMonth|ag:statusFromYear ?fran } }
}"""

STATUS_NAMES = """
PREFIX ag: <https://w3id.org/ansvarsgraf/def#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?status ?namn WHERE { ?status skos:inScheme ag:InstrumentStatus ; skos:prefLabel ?namn . FILTER(LANG(?namn) = "sv") }"""

# Every supported statement with what dates it (docs/provenans.md, "Känt från"): the section
# it quotes (dated by its document), the named source's own date and the day it was read, the
# statute, and the observation.
STATEMENTS = """
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX ag: <https://w3id.org/ansvarsgraf/def#>
SELECT ?st ?s ?p ?o ?slag ?fran ?last ?utgiven ?lagrum ?obs WHERE {
  ?st a ag:Statement ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; ag:supportKind ?slag .
  OPTIONAL { ?st prov:wasDerivedFrom ?fran }
  OPTIONAL { ?st ag:accessedOn ?last }
  OPTIONAL { ?st prov:wasDerivedFrom/(dcterms:issued|ag:issuedMonth|ag:issuedYear) ?utgiven }
  OPTIONAL { ?st ag:statute ?lagrum }
  OPTIONAL { ?st ag:observedOn|ag:observedOnMonth|ag:observedOnYear ?obs }
}"""

AG = "https://w3id.org/ansvarsgraf/def#"
DCT = "http://purl.org/dc/terms/"
# The last day of a duty: its support is left out altogether while that day is after the date.
LAST_DAY = {AG + "validUntil", AG + "validUntilMonth", AG + "validUntilYear"}


class GraphDates:
    """Every date the data states, and what each node's first and last day are by them."""

    def __init__(self, store):
        self.values: dict[str, dict[str, list]] = {}
        for row in store.select(DATED):
            self.values.setdefault(str(row["n"]), {}).setdefault(str(row["p"]), []).append(str(row["v"]))
        self.links: dict[str, dict[str, list[str]]] = {}
        for row in store.select(LINKS):
            self.links.setdefault(str(row["n"]), {}).setdefault(str(row["p"]), []).append(str(row["v"]))
        self.statuses: dict[str, list[tuple[str | None, str]]] = {}
        for row in store.select(STATUSES):
            start = str(row["fran"]) if row["fran"] is not None else None
            self.statuses.setdefault(str(row["dokument"]), []).append((start, str(row["status"])))
        self.status_names = {str(r["status"]): str(r["namn"]) for r in store.select(STATUS_NAMES)}
        # (subject, predicate, object) → {statement: (kind, [its dates], its statute)}
        self.statements: dict[tuple[str, str, str], dict[str, tuple[str, list, str | None]]] = {}
        for row in store.select(STATEMENTS):
            key = (str(row["s"]), str(row["p"]), str(row["o"]))
            kind, sources, statute = self.statements.setdefault(key, {}).setdefault(
                str(row["st"]), (str(row["slag"]).rsplit("#", 1)[-1], [], None))
            self.statements[key][str(row["st"])] = (kind, sources + [row], str(row["lagrum"]) if row["lagrum"] else statute)

    def one(self, node, prop):
        found = self.values.get(node, {}).get(prop)
        return found[0] if found else None

    def link(self, node, prop):
        return self.links.get(node, {}).get(prop, [])

    def written(self, node) -> dt.date | None:
        """A source, report or finding: its date, its year's first day, or its parent's."""
        if self.one(node, DCT + "date"):
            return dt.date.fromisoformat(self.one(node, DCT + "date"))
        if self.one(node, AG + "year"):
            return dt.date(int(self.one(node, AG + "year")[:4]), 1, 1)
        for parent in self.link(node, DCT + "isPartOf") + self.link(node, AG + "foundIn"):
            return self.written(parent)
        return None

    def statement_known(self, kind: str, rows: list, statute: str | None) -> dt.date | None:
        """From when a supported statement was known: its statute's start; a named source's own
        date, else the day it was read; the document its quoted section is part of (its date,
        else its start); never before its observation. None: no date of its own (a conclusion)."""
        if kind == "statute":
            return self.start(statute) if statute else None
        known = []
        for row in rows:
            if kind == "namedSource":
                day = row["utgiven"] or row["last"]
                known.append(first_day(str(day)) if day else None)
            elif row["fran"] is not None:
                known.append(self.written(str(row["fran"])) or self.adopted(str(row["fran"])))
        dated = [d for d in known if d is not None]
        first = min(dated) if dated else None
        observed = [first_day(str(r["obs"])) for r in rows if r["obs"] is not None]
        return max([first, *observed], key=lambda d: d or dt.date.min) if (first or observed) else None

    def adopted(self, node) -> dt.date | None:
        """An agreement's or routine's first day as a source: the earlier of signed and valid
        from (its own, or its document's for a section)."""
        days = [dt.date.fromisoformat(self.one(node, p)) for p in (AG + "validFrom", DCT + "dateAccepted") if self.one(node, p)]
        if days:
            return min(days)
        for parent in self.link(node, DCT + "isPartOf"):
            return self.adopted(parent)
        return None

    def support_known(self, subject: str, support) -> dt.date | None:
        """From when a shown support was known, by the statements it may stand for: a statute
        by the section shown (the one in force on the date), other kinds by the earliest of the
        statements on the same subject, property and value."""
        if support.kind == "lag":
            return self.start(support.statute.iri) if support.statute else None
        kind = {"källa": "source", "annan_källa": "namedSource", "slutsats": "conclusion"}[support.kind]
        found = [self.statement_known(k, rows, statute)
                 for k, rows, statute in self.statements.get((subject, support.property, support.object), {}).values() if k == kind]
        if not found:
            raise AssertionError(f"stödet {support.text!r} för {subject} finns inte bland påståendena i datan")
        return None if None in found else min(found)

    def later_statements(self, subject: str, day: dt.date) -> set[tuple[str, str]]:
        """(property, value) of the statements about the subject known only after the day (all
        but statutes, which answer by the section in force, and support for the last day)."""
        return {(p, o) for (s, p, o), statements in self.statements.items() if s == subject and p not in LAST_DAY
                for kind, rows, statute in statements.values()
                if kind != "statute" and (self.statement_known(kind, rows, statute) or dt.date.min) > day}

    def start(self, node) -> dt.date | None:
        """The first day something applies: its validity, signature or year; for a section of
        law without dates, its act's."""
        dates = [dt.date.fromisoformat(self.one(node, p)) for p in (AG + "validFrom", DCT + "dateAccepted") if self.one(node, p)]
        if self.one(node, AG + "validFromYear"):
            dates.append(dt.date(int(self.one(node, AG + "validFromYear")[:4]), 1, 1))
        if dates:
            return max(dates)
        for act in self.link(node, "http://data.europa.eu/eli/ontology#is_part_of"):
            return self.start(act)
        return None

    def end(self, node) -> dt.date | None:
        if self.one(node, AG + "validUntil"):
            end = dt.date.fromisoformat(self.one(node, AG + "validUntil"))
        elif self.one(node, AG + "validUntilYear"):
            end = dt.date(int(self.one(node, AG + "validUntilYear")[:4]), 12, 31)
        else:
            end = None
        # A version ends the day before a later one begins.
        later = self.link(node, DCT + "isReplacedBy") + [n for n, p in self._replacing(node)]
        starts = [self.start(n) for n in later if self.start(n)]
        if starts and (end is None or min(starts) - dt.timedelta(days=1) < end):
            end = min(starts) - dt.timedelta(days=1)
        return end

    def _replacing(self, node):
        return [(n, p) for n, links in self.links.items() for p, vs in links.items() if p == DCT + "replaces" and node in vs]

    def status_on(self, document, day: dt.date) -> str | None:
        """The status the sources give the document on the day: of its own `status:` (from
        its `status_från`, or from the start when undated) and its history entries, the one
        that began last on or before the day; None before the first."""
        begun = [(first_day(start) if start else dt.date.min, status)
                 for start, status in self.statuses.get(document, []) if not start or first_day(start) <= day]
        return max(begun)[1] if begun else None

    def change_dates(self) -> list[dt.date]:
        """Every day on which something in the data begins, ends (the day after) or is written."""
        days = set()
        for props in self.values.values():
            for prop, values in props.items():
                for value in values:
                    if len(value) == 10:
                        day = dt.date.fromisoformat(value)
                        days.add(day + dt.timedelta(days=1) if prop == AG + "validUntil" else day)
                    elif len(value) == 7 and prop == AG + "statusFromMonth":
                        days.add(dt.date(int(value[:4]), int(value[5:7]), 1))
                    else:
                        year = int(value[:4])
                        days.add(dt.date(year + 1, 1, 1) if prop == AG + "validUntilYear" else dt.date(year, 1, 1))
        return sorted(days)


BEARERS = """
PREFIX ag: <https://w3id.org/ansvarsgraf/def#>
SELECT ?atagande ?barare WHERE { ?atagande a ag:Duty ; ag:bearer ?barare }"""


def problems_in(answer, dates: GraphDates, bearers: dict[str, set[str]], after: bool = False) -> list[str]:
    """Everything in an answer that is dated after its date, or a document outside its
    period, or a missing bearer; empty when the answer is right for its date."""
    day = dt.date.fromisoformat(answer.date)
    found = []

    def later(what, iri, first):
        if first is not None and first > day:
            found.append(f"{what} {iri} från {first} i svaret för {day}")

    def provision(p, what):
        later(what, p.iri, dates.start(p.iri))
        if p.version_from:
            later("lydelse av", p.iri, dt.date.fromisoformat(p.version_from))
        if p.valid_until and dt.date.fromisoformat(p.valid_until) > day:
            found.append(f"{what} {p.iri}: slutdatum {p.valid_until} var inte känt {day}")

    for duty in answer.duties:
        assert {b.actor.iri for b in duty.bearers} == bearers[duty.iri], duty.iri
        if duty.instrument is not None:
            document = duty.instrument.iri
            later("dokument", document, dates.start(document))
            end = dates.end(document)
            if end is not None and end < day:
                found.append(f"dokument {document} slutade {end}, i svaret för {day}")
        for basis in duty.legal_basis:
            for p in (basis.cited, basis.in_force, *basis.replaced):
                if p is not None:
                    provision(p, "lagrum")
            if basis.later is not None and not after:
                found.append(f"senare lagrum {basis.later.iri} utan att det efterfrågats")
        for source in duty.sources:
            if source.iri.startswith("https://lagen.nu/"):
                later("lagrum som källa", source.iri, dates.start(source.iri))
            else:
                later("källa", source.iri, dates.written(source.iri))
        for support in duty.support:
            # The duty's last day, when after the date, was not known then (the support line
            # "gäller till och med 2026-01-14" of SoL 19 kap. 6 §'s old wording in 2019).
            if support.property in LAST_DAY and first_day(support.object) > day:
                found.append(f"stöd för slutdatum {support.object} för {duty.iri} i svaret för {day}")
        found += support_problems(duty.iri, duty.support, duty.later_support, dates, day, after)
        for bearer in duty.bearers:
            # (a budget known only later is among the duty's later support, checked there)
            found += support_problems(bearer.actor.iri, bearer.budget, [], dates, day, after, every_property=False)
        if duty.known_first:
            found.append(f"{duty.iri} är känt först senare ({duty.known_first}) men står bland svarets åtaganden {day}")
        for warning in duty.warnings:
            if warning.source is not None:
                later("varning ur", warning.source.iri, dates.written(warning.source.iri))
        # The status shown is the one in force on the day; a document under drafting gives
        # no duties yet, and a version in force is not yet "ersatt" (docs/model.md).
        shown = [re.search(r"har status ”(.+)”", w.text).group(1) for w in duty.warnings if w.kind == "status"]
        status = dates.status_on(duty.instrument.iri, day) if duty.instrument is not None else None
        if status == AG + "under_framtagande":
            found.append(f"dokument {duty.instrument.iri} under framtagande {day}, men dess åtagande {duty.iri} ges")
        expected = [] if status in (None, AG + "gallande", AG + "ersatt") else [dates.status_names[status]]
        if shown != expected:
            found.append(f"status {shown} för {duty.iri} i svaret för {day}; källorna anger {expected}")
    for finding in answer.findings:
        if finding.report_date:
            later("iakttagelse ur", finding.report.iri if finding.report else finding.text, first_day(finding.report_date))
    for duty in answer.later_duties:
        # Known only from later sources: shown only when asked for, and then truly nothing known on the day.
        if not after:
            found.append(f"{duty.iri} visas efter datumet utan att det efterfrågats")
        known = [s for s in duty.support if dates.support_known(duty.iri, s) is not None]
        if not duty.known_first or known or not duty.later_support:
            found.append(f"{duty.iri} sägs känt först senare, men stöd känt {day}: {[s.text for s in known]}")
        found += support_problems(duty.iri, duty.support, duty.later_support, dates, day, after)
    noted = {n.source.iri for n in answer.notes if n.kind == "känt_senare"}
    if after and noted != {d.iri for d in answer.later_duties}:
        found.append(f"anteckningar om det som är känt senare ({sorted(noted)}) och åtagandena efter datumet skiljer sig")
    for forum in answer.forums:
        # A forum shows what it handles of the asked tasks only.
        handled = {t.iri for t in forum.tasks}
        found += support_problems(forum.iri, forum.support, forum.later_support, dates, day, after, every_property=False,
                                  shown=lambda p, o: p != AG + "addresses" or o in handled)
        if forum.observed:
            later("forum iakttaget", forum.iri, first_day(forum.observed))
        for warning in forum.warnings:
            if warning.source is not None:
                later("varning om forum ur", warning.source.iri, dates.written(warning.source.iri))
    for note in answer.notes:
        document = note.source.iri
        if note.kind == "under_framtagande" and dates.status_on(document, day) != AG + "under_framtagande":
            found.append(f"{document} sägs vara under framtagande {day}; källorna anger {dates.status_on(document, day)}")
        lapsed = (dates.start(document) or dt.date.min) <= day and (dates.end(document) or dt.date.max) < day
        if note.kind == "ingen_giltig_version" and not lapsed:
            found.append(f"{document} sägs sakna giltig version {day}, men gäller {dates.start(document)}–{dates.end(document)}")
    for p in answer.fallback:
        provision(p, "utgångspunkt")
    return found


def support_problems(subject: str, support, later_support, dates: GraphDates, day: dt.date, after: bool,
                     every_property: bool = True, shown=lambda p, o: True) -> list[str]:
    """Support in the answer for the day that was known only after it; support in the
    "after the date" part that was known on it, or that is there unasked; and, when asked,
    later support about the subject that is in neither (a duty shows every property's
    support; a forum or a bearer's budget only some, so there only those shown are checked)."""
    found = []
    for s in support:
        known = dates.support_known(subject, s)
        if known is not None and known > day:
            found.append(f"stöd känt först {known} för {subject} i svaret för {day}: {s.text}")
    if later_support and not after:
        found.append(f"stöd efter datumet för {subject} utan att det efterfrågats")
    for s in later_support:
        known = dates.support_known(subject, s)
        if known is None or known <= day:
            found.append(f"stöd känt {known} för {subject} visas som känt efter {day}: {s.text}")
    if after:
        missing = {m for m in dates.later_statements(subject, day) - {(s.property, s.object) for s in [*support, *later_support]}
                   if shown(*m)}
        if not every_property:
            missing = {m for m in missing if m[0] in {s.property for s in [*support, *later_support]}}
        if missing:
            found.append(f"stöd känt efter {day} för {subject} saknas i delen efter datumet: {sorted(missing)}")
    return found


def first_day(text: str) -> dt.date:
    """A date of day, month or year precision: its first day."""
    year, month, day = (text.split("-") + ["1", "1"])[:3]
    return dt.date(int(year[:4]), int(month), int(day[:2]))


def bearers_of(store) -> dict[str, set[str]]:
    """Every duty's bearers, as the data names them."""
    bearers: dict[str, set[str]] = {}
    for row in store.select(BEARERS):
        bearers.setdefault(str(row["atagande"]), set()).add(str(row["barare"]))
    return bearers
