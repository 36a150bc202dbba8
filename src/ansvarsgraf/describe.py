"""Reading nodes: every property of a node with the labels of its values, from the named
query `beskriv`, read once per store and kept (catalog.DescribedNodes). `NodeReader` is the
public reader for one municipality and date that the duty builder and the analyses share."""

import datetime as dt
from collections import defaultdict

import rdflib
from rdflib.namespace import DCTERMS, RDF, SKOS

from .catalog import Catalog
from .graph_store import GraphStore
from .ids import local_id as _local
from .dates import as_date
from .queries import query_text
from .results import Ref
from .vocabulary import AG, KIND_NAMES


class Node:
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


class NodeReader:
    """Describes nodes for one municipality and date, each node once per store.

    The caches are the catalog's (shared by every answer on the store); a query asks only
    for what is not yet in them, as one list-bound query.
    """

    def __init__(self, store: GraphStore, catalog: Catalog, kommun: Ref, on_date: dt.date):
        self.store = store
        self.catalog = catalog
        self.kommun = kommun
        self.on_date = on_date
        shared = catalog.described
        self._nodes: dict[str, Node] = shared.current("nodes")
        self._chains: dict[str, list[dict]] = shared.current("chains")      # cited provision → succession rows
        self._versions: dict[str, list[dict]] = shared.current("versions")  # provision → dated wordings
        self._findings: dict[str, list[dict]] = shared.current("findings")  # node → audit findings about it
        self._support: dict[str, list[dict]] = shared.current("support")    # node → its statements' support

    def describe(self, *iris: str) -> list[Node]:
        missing = [i for i in dict.fromkeys(iris) if i not in self._nodes]
        if missing:
            rows = self.store.select(query_text("beskriv"), {"nod": [rdflib.URIRef(i) for i in missing]})
            grouped: dict[str, list] = defaultdict(list)
            for row in rows:
                grouped[str(row["nod"])].append(row)
            for iri in missing:
                self._nodes[iri] = Node(iri, grouped.get(iri, []))
        return [self._nodes[i] for i in iris]

    def fetch_grouped(self, cache: dict, query: str, variable: str, iris) -> None:
        """Run a list-bound query once for every IRI not yet cached; group its rows by IRI."""
        missing = [i for i in dict.fromkeys(iris) if i not in cache]
        if not missing:
            return
        grouped: dict[str, list] = {iri: [] for iri in missing}
        for row in self.store.select(query_text(query), {variable: [rdflib.URIRef(i) for i in missing]}):
            grouped[str(row[variable])].append(row)
        cache.update(grouped)  # published whole: another thread never sees a half-filled entry

    def written(self, node: Node) -> dt.date | None:
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
