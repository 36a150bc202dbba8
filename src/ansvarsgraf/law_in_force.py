"""The law in force on a date: for each cited section its predecessors and successors
(`lagrum-kedja`), the one that applies on the date, its wording then (`lydelser`), and the
sources of a node as they stood on the date (a section of law stands for the section in
force). `LawReader` adds this to the node reader."""

import datetime as dt
from dataclasses import replace

from rdflib.namespace import DCTERMS, SKOS

from .describe import Node, NodeReader
from .ids import local_id as _local
from .dates import as_date, valid_between
from .results import LegalBasis, Provision, Ref
from .vocabulary import AG, PROV


class LawReader(NodeReader):
    """A node reader that also knows which law stands on the date; what the analyses read with."""

    def sources(self, node: Node) -> list[Ref]:
        return self.sources_on_date(node)[0]

    def sources_on_date(self, node: Node) -> tuple[list[Ref], int]:
        """The node's sources known on the date, and how many were left out as written later.
        A section of law stands for the section in force on the date (a 2025:400 section
        for its 2001:453 predecessor before 2025-07-01); one not yet in force is left out."""
        refs, later = [], 0
        for source in node.all(PROV.wasDerivedFrom):
            if is_law(source):
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
            refs.append(Ref(str(source), label, src.kind() or ("lagrum" if is_law(source) else "källa")))
        return refs, later

    # --- law in force on the date -------------------------------------------------

    def _chain(self, cited: str) -> dict[str, tuple[Provision, str]]:
        """The cited section, its predecessors and successors: provision and direction."""
        self.fetch_grouped(self._chains, "lagrum-kedja", "citerad", [cited])
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
        in_force = [(p, d) for p, d in chain.values() if valid_on(p.valid_from, p.valid_until, self.on_date)]
        # Prefer the cited section itself, then its successors, then its predecessors.
        in_force.sort(key=lambda pd: {"samma": 0, "senare": 1, "tidigare": 2}[pd[1]])
        chosen, direction = in_force[0] if in_force else (None, None)
        return chosen, direction, chain

    def legal_bases(self, cited: list, via: str | None = None) -> list[LegalBasis]:
        """The bases for these cited sections on the date; a section that did not exist yet
        (and had no predecessor in force) is left out: it cannot be the basis on the date."""
        bases = [self.legal_basis(str(p), via=via) for p in cited]
        return distinct_in_force([b for b in bases if not self._not_yet(b)])

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
        self.fetch_grouped(self._versions, "lydelser", "bestammelse", [provision.iri])
        for row in self._versions[provision.iri]:
            if valid_on(str(row["fran"]), str(row["till"]) if row["till"] else None, self.on_date):
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


def distinct_in_force(bases: list[LegalBasis]) -> list[LegalBasis]:
    """One entry per provision in force: an instrument citing both an old section and its
    successor shows the successor once, citing the section that is current first."""
    chosen: dict[str, LegalBasis] = {}
    for basis in sorted(bases, key=lambda b: b.note is not None):
        key = (basis.in_force or basis.cited).iri
        chosen.setdefault(key, basis)
    return list(chosen.values())


def is_law(iri) -> bool:
    return str(iri).startswith("https://lagen.nu/") and "/prop/" not in str(iri)


def valid_on(valid_from: str | None, valid_until: str | None, on_date: dt.date) -> bool:
    return valid_between(valid_from, valid_until, on_date)

