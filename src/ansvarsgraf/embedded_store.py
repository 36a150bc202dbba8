"""The embedded store: pyoxigraph, in memory or on disk, one named graph per source file."""

import functools
import logging
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib.term import Node

from .dataset import LoadedData, graph_name, load_data
from .errors import StoreUnavailable
from .graph_store import Row, bind, in_canonical_order


class OxigraphStore:
    """Embedded pyoxigraph store, in memory or on disk; one named graph per source file."""

    inline_tables = True

    def __init__(self, store: ox.Store):
        self._store = store

    def data_version(self) -> str:
        return ""  # the data behind an embedded store does not change while it is served

    # Nothing to pin, check or fall back from: the data in memory neither changes nor fails
    # (a prepared store on disk, prepared.PreparedStore, overrides these).
    degraded = False

    @contextmanager
    def reading(self, budget: bool = False):
        yield

    def in_this_version(self, function):
        return function

    def watch(self, interval_s=None, warm_up=None) -> None:
        return None

    @classmethod
    def from_loaded(cls, loaded: LoadedData, path: Path | None = None) -> "OxigraphStore":
        store = ox.Store(str(path)) if path else ox.Store()
        parts = [(graph_name(name), g) for name, g in loaded.files.items()] + [(graph_name("ontology"), loaded.ontology)]
        for name, graph in parts:
            data = graph.serialize(format="nt", encoding="utf-8")
            store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(str(name)))
        return cls(store)

    def select(self, query: str, bindings=None) -> list[Row]:
        names, rows = self._rows(bind(query, bindings))
        return in_canonical_order(query, names, rows)

    def _rows(self, query: str) -> tuple[list[str], list[Row]]:
        # pyoxigraph's result lives in this frame only, which ends before the rows are put
        # in order: reading the ORDER BY (rdflib) can leave frames of the caller's in
        # reference cycles, and a result freed with them by another thread's garbage
        # collection fails there ("unsendable, but is being dropped on another thread").
        with _readable():
            solutions = self._store.query(query, use_default_graph_as_union=True)
            names = [v.value for v in solutions.variables]
            return names, [{n: _to_rdflib(s[n]) for n in names} for s in solutions]

    def ask(self, query: str, bindings=None) -> bool:
        with _readable():
            return bool(self._store.query(bind(query, bindings), use_default_graph_as_union=True))

    def construct(self, query: str, bindings=None) -> rdflib.Graph:
        graph = rdflib.Graph()
        with _readable():
            for triple in self._store.query(bind(query, bindings), use_default_graph_as_union=True):
                graph.add((_to_rdflib(triple.subject), _to_rdflib(triple.predicate), _to_rdflib(triple.object)))
        return graph

    def raw_query(self, query: str, default_graphs: list[str] | None = None, named_graphs: list[str] | None = None,
                  base_iri: str | None = None):
        """Run a query as given (already checked by the caller) and return pyoxigraph's result.
        By default the default graph is the union of all graphs; given graph IRIs (the SPARQL
        Protocol's default-graph-uri / named-graph-uri), the dataset is exactly those graphs
        of this store (ValueError for an IRI that is not one). base_iri resolves relative IRIs."""
        if default_graphs is None and named_graphs is None:
            return self._store.query(query, use_default_graph_as_union=True, base_iri=base_iri)
        return self._store.query(query, default_graph=[ox.NamedNode(g) for g in default_graphs or []],
                                 named_graphs=[ox.NamedNode(g) for g in named_graphs or []], base_iri=base_iri)

    def __len__(self) -> int:
        return len(self._store)


@contextmanager
def _readable():
    """A store on disk whose files were removed or damaged under a running server fails
    with an I/O error: that is said, in Swedish, as the store being unavailable (503), with
    the details in the log, instead of a 500."""
    try:
        yield
    except (OSError, RuntimeError) as exc:
        if isinstance(exc, RuntimeError) and not any(w in str(exc) for w in ("IO error", "Corruption", "No such file")):
            raise
        logging.getLogger("ansvarsgraf.store").error("Lagret på disk går inte att läsa: %s", exc)
        raise StoreUnavailable("Lagret på disk går inte att läsa; driften behöver köra `ansvarsgraf prepare` igen.",
                               retry_after_s=30) from None


def _to_rdflib(term) -> Node | None:
    if term is None:
        return None
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)  # never cached: blank nodes are local to one result
    return _named_or_literal(term)


@functools.lru_cache(maxsize=200_000)
def _named_or_literal(term) -> Node:
    """IRIs and literals recur across answers (labels, types, concepts); building an rdflib
    Literal costs more than the query row it came in, so each distinct term is built once."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))
    raise TypeError(f"okänd term {term!r}")


def open_embedded_store(paths: list[Path] | None = None) -> OxigraphStore:
    """Load the bundled data (or the given files) into an in-memory store."""
    return OxigraphStore.from_loaded(load_data(paths))

