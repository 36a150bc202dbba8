"""Where things apply: the organisation tree, parties, members and roles, read once per store.

Every answer asks "does this duty's document apply in the municipality?", "who fills this
statutory role here?" and "what is this actor's path up to its municipality?". In SPARQL
these are transitive property paths joined with bound values, which Oxigraph evaluates by
walking the path for every candidate (hundreds of milliseconds at national scale) and
Virtuoso 7.2 evaluates differently from the spec when an end is bound through VALUES. The
tree itself is small (tens of thousands of edges for the whole country), so it is read with
two flat queries and walked in memory. `queries/ansvar-for-uppgift.rq` stays the reference
definition of "applies"; tests/test_answer_engine.py checks that both agree everywhere.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, replace

from .dates import in_period, period_end, period_start
from .ids import local_id
from .queries import query_text
from .vocabulary import AG

UNDER_DRAFTING = str(AG.under_framtagande)


def status_on(history, on_date: dt.date) -> str | None:
    """The status on the date from a status history [(start, status IRI, …)]: the entry
    with the latest start on or before the date (a year or a month from its first day).
    Before the first entry no status is known: None, not "okänd". A start of None (a single
    `status:` without `status_från`) holds from the beginning."""
    entry = entry_on(history, on_date)
    return entry[1] if entry is not None else None


def entry_on(history, on_date: dt.date):
    """The entry of the history (start, status IRI, …) in force on the date, or None."""
    begun = [entry for entry in history if entry[0] is None or period_start(entry[0]) <= on_date]
    return max(begun, key=lambda entry: period_start(entry[0]) or dt.date.min) if begun else None


@dataclass(frozen=True)
class Named:
    iri: str
    label: str


@dataclass(frozen=True)
class DocumentValidity:
    """When a document applies: not before it was signed/adopted nor before its first day
    of validity (a year or month alone counts from its first day, and to its last day at
    the end: period_start/period_end), never while under drafting (its status on the date,
    from its status history: `statuses`). A document with no start date at all is used from
    the day the first source describing it was written (its existence is not known before)."""

    valid_from: dt.date | None
    valid_until: dt.date | None
    # (start as written, status IRI, the node stating it: the entry or the document); status_on
    statuses: tuple[tuple[str | None, str, str], ...]
    signed: dt.date | None = None
    known_from: dt.date | None = None
    replaced_by: tuple[str, ...] = ()  # later versions (dcterms:isReplacedBy / replaces)
    replaced_from: dt.date | None = None  # the first day a later version applies

    @property
    def dated(self) -> bool:
        return self.valid_from is not None or self.signed is not None

    @property
    def start(self) -> dt.date | None:
        dated = [d for d in (self.valid_from, self.signed) if d is not None]
        return max(dated) if dated else self.known_from

    def status_on(self, on_date: dt.date) -> str | None:
        return status_on(self.statuses, on_date)

    def status_node_on(self, on_date: dt.date) -> str | None:
        """The node that states the status on the date: its history entry, or the document."""
        entry = entry_on(self.statuses, on_date)
        return entry[2] if entry is not None else None

    def drafting_on(self, on_date: dt.date) -> bool:
        return self.status_on(on_date) == UNDER_DRAFTING

    def in_force(self, on_date: dt.date) -> bool:
        if self.replaced_from is not None and self.replaced_from <= on_date:
            return False  # a replaced version ends when its successor begins
        return not self.drafting_on(on_date) and in_period(self.start, self.valid_until, on_date)


def _validity(rows: list[dict]) -> DocumentValidity:
    first = rows[0]
    # Each source is known from its own date or year (or its document's); one undated
    # source makes the document known from the start.
    written = [period_start(r["kalladatum"]) for r in rows if r["kalla"] is not None]
    known_from = None if not written or None in written else min(written)
    # One status per row: the document's own (`status:`) or one per entry of its history.
    statuses = {(str(r["statusFran"]) if r.get("statusFran") is not None else None, str(r["status"]),
                 str(r.get("statusPost") or r["dokument"])) for r in rows if r["status"] is not None}
    return DocumentValidity(period_start(first["fran"]), period_end(first["till"]),
                            tuple(sorted(statuses, key=lambda e: (e[0] or "", e[1], e[2]))),
                            period_start(first["undertecknad"]), known_from,
                            tuple(sorted({str(r["ersattAv"]) for r in rows if r["ersattAv"] is not None})))


class OrganisationIndex:
    def __init__(self, store):
        # relation → from → [to]; names of every node that is the target of an edge
        self._edges: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        self._names: dict[str, str] = {}
        for row in store.select(query_text("organisationstrad")):
            source, target = str(row["fran"]), str(row["till"])
            targets = self._edges[str(row["relation"])][source]
            if target not in targets:
                targets.append(target)
            for node, name in ((source, row["franNamn"]), (target, row["namn"])):
                if name is not None:
                    self._names[node] = str(name)
        for relation in self._edges.values():
            for targets in relation.values():
                targets.sort()  # a node with two parents takes the same path every time
        self._members_of = self._edges["medlem"]
        self._inverse: dict[tuple, dict[str, list[str]]] = {}
        # node → documents it is party to: directly, as a member of a party, or as the
        # organisation above a party (a board signs for its municipality).
        self._documents_of: dict[str, set[str]] = defaultdict(set)
        for document, parties in self._edges["part"].items():
            for party in parties:
                for node in (party, *self._members_of.get(party, ()), *self.ancestors(party)):
                    self._documents_of[node].add(document)
        # (role, place) → actors filling the role at or under that place, walked once here
        # rather than for every actor of the country on every answer.
        self._fillers: dict[tuple[str, str], set[str]] = defaultdict(set)
        for actor, roles in self._edges["fyller"].items():
            for place in (actor, *self.ancestors(actor)):
                for role in roles:
                    self._fillers[(role, place)].add(actor)
        by_document: dict[str, list[dict]] = defaultdict(list)
        for row in store.select(query_text("dokumentgiltighet")):
            by_document[str(row["dokument"])].append(row)
        validity = {document: _validity(rows) for document, rows in by_document.items()}
        for document, found in validity.items():
            starts = [validity[n].start for n in found.replaced_by if n in validity and validity[n].dated]
            if starts:
                validity[document] = replace(found, replaced_from=min(starts))
        self._validity = validity
        self._version_links: dict[str, set[str]] = defaultdict(set)
        for document, found in validity.items():
            for later in found.replaced_by:
                if later in validity:
                    self._version_links[document].add(later)
                    self._version_links[later].add(document)

    def name(self, iri: str) -> str:
        return self._names.get(iri) or local_id(iri)

    def _parents(self, iri: str, relations: tuple[str, ...]) -> list[str]:
        return [p for r in relations for p in self._edges[r].get(iri, ())]

    def ancestors(self, iri: str, relations: tuple[str, ...] = ("del",)) -> set[str]:
        """Every node above this one (not the node itself) along the given relations."""
        seen: set[str] = set()
        todo = [iri]
        while todo:
            for parent in self._parents(todo.pop(), relations):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return seen

    def path(self, iri: str) -> list[Named]:
        """The way up from an actor: post → unit → administration → board → municipality."""
        path, current, seen = [], iri, {iri}
        while True:
            parents = self._parents(current, ("del", "befattning"))
            if not parents or parents[0] in seen:
                return path  # the top, or a cycle in the data (SHACL reports it; never hang here)
            current = parents[0]
            seen.add(current)
            path.append(Named(current, self.name(current)))

    def party_in(self, document: str, municipality: str) -> bool:
        """The municipality is a party: directly, as a member of an association that is a
        party, or through one of its boards or units."""
        return document in self._documents_of.get(municipality, ())

    def documents_with_party(self, municipality: str) -> list[str]:
        """The documents the municipality is party to, whatever their dates or status."""
        return sorted(self._documents_of.get(municipality, ()))

    def below(self, municipality: str, relations: tuple[str, ...] = ("del", "befattning")) -> list[str]:
        """The municipality and every node under it along the given relations."""
        children: dict[str, list[str]] = self._children(relations)
        found, todo = {municipality}, [municipality]
        while todo:
            for child in children.get(todo.pop(), ()):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return sorted(found)

    def _children(self, relations: tuple[str, ...]) -> dict[str, list[str]]:
        key = ("barn", relations)
        if key not in self._inverse:
            inverse: dict[str, list[str]] = defaultdict(list)
            for relation in relations:
                for child, parents in self._edges[relation].items():
                    for parent in parents:
                        inverse[parent].append(child)
            self._inverse[key] = inverse
        return self._inverse[key]

    def documents_in_force(self, municipality: str, on_date: dt.date) -> list[str]:
        """The documents that apply in the municipality on the date."""
        return sorted(d for d in self._documents_of.get(municipality, ()) if self._validity[d].in_force(on_date))

    def validity(self, document: str) -> DocumentValidity | None:
        return self._validity.get(document)

    def versions(self, document: str) -> set[str]:
        """Every version linked to the document by replacement, either way, transitively."""
        seen, todo = {document}, [document]
        while todo:
            for other in self._version_links.get(todo.pop(), ()):
                if other not in seen:
                    seen.add(other)
                    todo.append(other)
        return seen - {document}

    def applies(self, document: str, municipality: str, on_date: dt.date) -> bool:
        validity = self._validity.get(document)
        return validity is not None and validity.in_force(on_date) and self.party_in(document, municipality)

    def fulfilled_by(self, role: str, municipality: str) -> list[Named]:
        """Who fills a statutory role in the municipality: its own boards and units, or the
        region it belongs to and the region's units."""
        places = (municipality, *self._edges["region"].get(municipality, ()))
        actors = set().union(*(self._fillers.get((role, place), ()) for place in places))
        return sorted((Named(a, self.name(a)) for a in actors), key=lambda n: n.label)

    def concerns(self, node: str, municipality: str) -> bool:
        """Is this node part of the municipality's picture: one of its organisations, a
        document it is party to, or a recommendation addressed to one of its organisations?"""
        if node == municipality or municipality in self.ancestors(node, ("del", "befattning")):
            return True
        if self.party_in(node, municipality):
            return True
        return any(a == municipality or municipality in self.ancestors(a) for a in self._edges["mottagare"].get(node, ()))
