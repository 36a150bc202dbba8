"""One store interface for the answer engine, the API and the CLI.

A store answers SPARQL SELECT and ASK queries and returns rows of rdflib terms, whatever
engine sits behind it. The embedded store is pyoxigraph (measured 20–300× faster than
rdflib's in-memory graph on our queries, see ../shared/TOOLING-NOTES.md and benchmarks/);
a remote store speaks the SPARQL 1.1 protocol to any server.

Parameters are bound by injecting a VALUES block after the query's first `WHERE {`, built
from rdflib terms (which escape literals and IRIs), so the same query text runs on every
engine and no user text is ever pasted into a query (a SPARQL server gets them in a form it
evaluates right, see remote_store.bind_for_server).

Rows come back in the same order from every store (in_canonical_order).
"""

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
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

# A query's IRIs, comments and string literals (a '#' in an IRI or a quote in a comment is
# neither a comment nor a string).
SPARQL_TOKENS = re.compile(r"""(?P<iri><[^<>"{}|^`\\\s]*>)|(?P<comment>\#[^\n]*)|(?P<string>"{3}(?:[^"\\]|\\.|"(?!""))*"{3}|'{3}(?:[^'\\]|\\.|'(?!''))*'{3}|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')""")
_ORDER_BY = re.compile(r"\bORDER\s+BY\b(.*?)(?:\bLIMIT\b|\bOFFSET\b|\bVALUES\b|\}|$)", re.IGNORECASE | re.DOTALL)
_ORDER_KEY = re.compile(r"\s*(?:(ASC|DESC)\s*\(\s*\?(\w+)\s*\)|\?(\w+))", re.IGNORECASE)
_NUMERIC = {str(rdflib.XSD[t]) for t in ("integer", "decimal", "double", "float", "int", "long", "short", "byte",
                                          "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger",
                                          "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}


@lru_cache(maxsize=256)
def _order_keys(query: str) -> tuple[tuple[str, bool], ...] | None:
    """The (variable, descending) keys of the query's last ORDER BY, () without one, or None
    when it orders by something other than plain variables (then the server's order stands)."""
    code = SPARQL_TOKENS.sub(lambda m: " " if m.group("iri") is None else m.group(0), query)
    clauses = _ORDER_BY.findall(code)
    if not clauses:
        return ()
    clause, keys, position = clauses[-1].strip(), [], 0
    while position < len(clause):
        match = _ORDER_KEY.match(clause, position)
        if not match:
            return None
        keys.append((match.group(2) or match.group(3), (match.group(1) or "").upper() == "DESC"))
        position = match.end()
        while position < len(clause) and clause[position].isspace():
            position += 1
    return tuple(keys)


def _term_key(term: Node | None) -> tuple:
    """SPARQL's order of terms (unbound, blank node, IRI, literal; numbers by value)."""
    if term is None:
        return (0,)
    if isinstance(term, rdflib.BNode):
        return (1,)  # labels differ between stores
    if isinstance(term, rdflib.URIRef):
        return (2, str(term))
    if term.datatype is not None and str(term.datatype) in _NUMERIC:
        try:
            return (3, 0, Decimal(str(term)), "")
        except InvalidOperation:
            pass
    return (3, 1, str(term), term.language or "")


def in_canonical_order(query: str, names: list[str], rows: list[Row]) -> list[Row]:
    """The rows in the query's ORDER BY order, and in the order of all their values where it
    leaves them open or has none: SPARQL does not fix that order and servers differ in it,
    and Virtuoso 7.2.5 orders long strings by their first 20 or so characters only (see
    docs/drift.md). Sorting here gives the same answer, in the same order, from every store."""
    keys = _order_keys(query)
    if keys is None:
        return rows
    ordered = sorted(rows, key=lambda row: tuple(_term_key(row.get(n)) for n in names))
    for name, descending in reversed(keys):  # stable sorts, the last key first
        ordered.sort(key=lambda row: _term_key(row.get(name)), reverse=descending)
    return ordered


def checked_bindings(bindings: dict[str, Node | Iterable[Node]]) -> dict[str, list[Node]]:
    """Each variable with its list of values, after checking names and values: only IRIs and
    literals, rendered later with rdflib's n3() (which escapes them), ever reach a query."""
    checked = {}
    for name, value in bindings.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(f"ogiltigt variabelnamn {name!r}")
        values = [value] if isinstance(value, Node) else list(value)
        if any(not isinstance(v, (rdflib.URIRef, rdflib.Literal)) for v in values):
            raise ValueError(f"värdet för ?{name} måste vara en IRI eller en literal")
        checked[name] = values
    return checked


def insert_after_where(query: str, lines: list[str]) -> str:
    """Put the lines first in the query's first WHERE group."""
    match = WHERE_OPEN.search(query)
    if not match:
        raise ValueError("frågan saknar WHERE { … } och kan inte bindas")
    return query[: match.end()] + "\n  " + "\n  ".join(lines) + "\n" + query[match.end():]


def bind(query: str, bindings: dict[str, Node | Iterable[Node]] | None) -> str:
    """Insert VALUES for the given variables right inside the query's first WHERE block.

    A variable bound to a list gets one row per value (an IN-list without string pasting).
    """
    if not bindings:
        return query
    blocks = [f"VALUES ?{name} {{ {' '.join(v.n3() for v in values)} }}" for name, values in checked_bindings(bindings).items()]
    return insert_after_where(query, blocks)


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
        return in_canonical_order(query, names, [{n: _to_rdflib(s[n]) for n in names} for s in solutions])

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
