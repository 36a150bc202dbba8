"""One store interface for the answer engine, the API and the CLI.

A store answers SPARQL SELECT and ASK queries and returns rows of rdflib terms, whatever
engine sits behind it. The embedded store is pyoxigraph (measured 20–300× faster than
rdflib's in-memory graph on our queries, see ../shared/TOOLING-NOTES.md and benchmarks/);
a remote store speaks the SPARQL 1.1 protocol to any server.

Parameters are bound by injecting a VALUES block after the query's first `WHERE {`, built
from rdflib terms (which escape literals and IRIs), so the same query text runs on every
engine and no user text is ever pasted into a query.
"""

import re
from pathlib import Path
from typing import Iterable, Protocol

import pyoxigraph as ox
import rdflib
from rdflib.term import Node

from .dataset import LoadedData, graph_name, load_data

Row = dict[str, Node | None]


class GraphStore(Protocol):
    def select(self, query: str, bindings: dict[str, Node | Iterable[Node]] | None = None) -> list[Row]: ...

    def ask(self, query: str, bindings: dict[str, Node | Iterable[Node]] | None = None) -> bool: ...

    def construct(self, query: str, bindings: dict[str, Node | Iterable[Node]] | None = None) -> rdflib.Graph: ...


WHERE_OPEN = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)


def bind(query: str, bindings: dict[str, Node | Iterable[Node]] | None) -> str:
    """Insert VALUES for the given variables right inside the query's first WHERE block.

    A variable bound to a list gets one row per value (an IN-list without string pasting).
    """
    if not bindings:
        return query
    match = WHERE_OPEN.search(query)
    if not match:
        raise ValueError("frågan saknar WHERE { … } och kan inte bindas")
    blocks = []
    for name, value in bindings.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(f"ogiltigt variabelnamn {name!r}")
        values = [value] if isinstance(value, Node) else list(value)
        if any(not isinstance(v, (rdflib.URIRef, rdflib.Literal)) for v in values):
            raise ValueError(f"värdet för ?{name} måste vara en IRI eller en literal")
        rendered = " ".join(v.n3() for v in values) if values else ""
        blocks.append(f"VALUES ?{name} {{ {rendered} }}")
    return query[: match.end()] + "\n  " + "\n  ".join(blocks) + "\n" + query[match.end():]


class OxigraphStore:
    """Embedded pyoxigraph store, in memory or on disk; one named graph per source file."""

    def __init__(self, store: ox.Store):
        self._store = store

    @classmethod
    def from_loaded(cls, loaded: LoadedData, path: Path | None = None) -> "OxigraphStore":
        store = ox.Store(str(path)) if path else ox.Store()
        parts = [(graph_name(name), g) for name, g in loaded.files.items()] + [(graph_name("ontology"), loaded.ontology)]
        for name, graph in parts:
            data = graph.serialize(format="nt", encoding="utf-8")
            store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(str(name)))
        return cls(store)

    def select(self, query: str, bindings=None) -> list[Row]:
        solutions = self._store.query(bind(query, bindings), use_default_graph_as_union=True)
        names = [v.value for v in solutions.variables]
        return [{n: _to_rdflib(s[n]) for n in names} for s in solutions]

    def ask(self, query: str, bindings=None) -> bool:
        return bool(self._store.query(bind(query, bindings), use_default_graph_as_union=True))

    def construct(self, query: str, bindings=None) -> rdflib.Graph:
        graph = rdflib.Graph()
        for triple in self._store.query(bind(query, bindings), use_default_graph_as_union=True):
            graph.add((_to_rdflib(triple.subject), _to_rdflib(triple.predicate), _to_rdflib(triple.object)))
        return graph

    def raw_query(self, query: str):
        """Run a query as given (already checked by the caller) and return pyoxigraph's result."""
        return self._store.query(query, use_default_graph_as_union=True)

    def __len__(self) -> int:
        return len(self._store)


def _to_rdflib(term) -> Node | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))
    raise TypeError(f"okänd term {term!r}")


def open_embedded_store(paths: list[Path] | None = None) -> OxigraphStore:
    """Load the bundled data (or the given files) into an in-memory store."""
    return OxigraphStore.from_loaded(load_data(paths))


ENDPOINT_ENV = "ANSVARSGRAF_ENDPOINT"
UPDATE_ENDPOINT_ENV = "ANSVARSGRAF_UPDATE_ENDPOINT"


def open_store(endpoint: str | None = None, update_endpoint: str | None = None) -> GraphStore:
    """The configured store: a SPARQL server when an endpoint is given (argument or
    ANSVARSGRAF_ENDPOINT), else the bundled data in the embedded store."""
    import os

    endpoint = endpoint or os.environ.get(ENDPOINT_ENV)
    if not endpoint:
        return open_embedded_store()
    from .remote_store import SparqlEndpointStore

    return SparqlEndpointStore(endpoint, update_endpoint or os.environ.get(UPDATE_ENDPOINT_ENV))
