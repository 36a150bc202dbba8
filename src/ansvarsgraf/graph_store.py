"""The store interface: SPARQL in, rows out, whatever engine sits behind it.

A store answers SPARQL SELECT, ASK and CONSTRUCT queries and returns rows of rdflib terms.
The embedded store is pyoxigraph (embedded_store.py; measured 20–300× faster than rdflib's
in-memory graph on our queries, see ../shared/TOOLING-NOTES.md and benchmarks/); a remote
store speaks the SPARQL 1.1 protocol to any server (remote_store.py).

Parameters are bound by injecting a VALUES block after the query's first `WHERE {`, built
from rdflib terms (which escape literals and IRIs), so the same query text runs on every
engine and no user text is ever pasted into a query (a SPARQL server gets them in a form it
evaluates right, see remote_store.bind_for_server).

Rows come back in the same order from every store (in_canonical_order).
"""

import functools
import re
from decimal import Decimal, InvalidOperation
from typing import Iterable, Protocol

import rdflib
from rdflib.term import Node

Row = dict[str, Node | None]


class GraphStore(Protocol):
    # Whether the engine evaluates inline VALUES tables inside EXISTS and sub-SELECTs as
    # SPARQL says (Virtuoso 7.2.5 does not, docs/drift.md); a query may then carry sets inline.
    inline_tables: bool

    def select(self, query: str, bindings: dict[str, Node | Iterable[Node]] | None = None) -> list[Row]: ...

    def ask(self, query: str, bindings: dict[str, Node | Iterable[Node]] | None = None) -> bool: ...

    def construct(self, query: str, bindings: dict[str, Node | Iterable[Node]] | None = None) -> rdflib.Graph: ...

    def data_version(self) -> str:
        """Which version of the data the store holds: an embedded store never changes while
        it is served; a SPARQL server changes when `ansvarsgraf load` publishes."""
        ...


WHERE_OPEN = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)

# A query's IRIs, comments and string literals (a '#' in an IRI or a quote in a comment is
# neither a comment nor a string).
SPARQL_TOKENS = re.compile(r"""(?P<iri><[^<>"{}|^`\\\s]*>)|(?P<comment>\#[^\n]*)|(?P<string>"{3}(?:[^"\\]|\\.|"(?!""))*"{3}|'{3}(?:[^'\\]|\\.|'(?!''))*'{3}|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')""")
_ORDER_BY = re.compile(r"\bORDER\s+BY\b(.*?)(?:\bLIMIT\b|\bOFFSET\b|\bVALUES\b|\}|$)", re.IGNORECASE | re.DOTALL)
_ORDER_KEY = re.compile(r"\s*(?:(ASC|DESC)\s*\(\s*\?(\w+)\s*\)|\?(\w+))", re.IGNORECASE)
_NUMERIC = {str(rdflib.XSD[t]) for t in ("integer", "decimal", "double", "float", "int", "long", "short", "byte",
                                          "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger",
                                          "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}


@functools.lru_cache(maxsize=256)
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


def checked_bindings(bindings: dict) -> dict[tuple[str, ...], list[tuple[Node, ...]]]:
    """Each binding as (variables) → rows of values, after checking names and values: only
    IRIs and literals, rendered later with rdflib's n3() (which escapes them), ever reach a
    query. A variable takes one value or a list; a tuple of variables takes a list of
    tuples (one table of combinations)."""
    checked = {}
    for key, value in bindings.items():
        names = key if isinstance(key, tuple) else (key,)
        for name in names:
            _check_name(name)
        if isinstance(key, tuple):
            rows = [tuple(row) for row in value]
        else:
            rows = [(value,)] if isinstance(value, Node) else [(v,) for v in value]
        for row in rows:
            if len(row) != len(names):
                raise ValueError(f"{len(names)} värden behövs per rad för {', '.join('?' + n for n in names)}")
            for name, term in zip(names, row):
                _term(name, term)
        checked[names] = rows
    return checked


def values_block(names: tuple[str, ...], rows: list[tuple[Node, ...]]) -> str:
    """VALUES ?x { … } for one variable, VALUES (?a ?b) { (…) … } for a table. Engines plan
    one table of pairs far better than two lists they must join (Oxigraph: 0.4 ms vs 2.3 ms
    for a municipality's documents × a task and its narrower tasks)."""
    if len(names) == 1:
        return f"VALUES ?{names[0]} {{ {' '.join(row[0].n3() for row in rows)} }}"
    rendered = " ".join("(" + " ".join(term.n3() for term in row) + ")" for row in rows)
    return f"VALUES ({' '.join('?' + n for n in names)}) {{ {rendered} }}"


def insert_after_where(query: str, lines: list[str]) -> str:
    """Put the lines first in the query's first WHERE group: the first WHERE { of the query
    itself, not one in a comment or a string (a header comment may well say "WHERE {")."""
    match = WHERE_OPEN.search(code_only(query))
    if not match:
        raise ValueError("frågan saknar WHERE { … } och kan inte bindas")
    return query[: match.end()] + "\n  " + "\n  ".join(lines) + "\n" + query[match.end():]


def code_only(query: str) -> str:
    """The query with its comments and strings blanked out, every character where it was."""
    return SPARQL_TOKENS.sub(lambda m: m.group(0) if m.group("iri") is not None else " " * len(m.group(0)), query)


def bind(query: str, bindings: dict[str, Node | Iterable[Node]] | None) -> str:
    """Insert VALUES for the given variables right inside the query's first WHERE block.

    A variable bound to a list gets one row per value (an IN-list without string pasting);
    a tuple of variables bound to a list of tuples becomes one VALUES table of combinations.
    """
    if not bindings:
        return query
    return insert_after_where(query, [values_block(names, rows) for names, rows in checked_bindings(bindings).items()])



def per_data_version(maxsize: int):
    """lru_cache for functions of a store, keyed also by the store's data version: what is
    derived from the data (catalog, answers, gap reports) is rebuilt after a new load."""
    def decorate(function):
        @functools.lru_cache(maxsize=maxsize)
        def keyed(store, version, *args):
            return function(store, *args)

        @functools.wraps(function)
        def cached(store, *args):
            reading = getattr(store, "reading", None)  # a SPARQL server may switch versions meanwhile
            if reading is None:
                return keyed(store, store.data_version(), *args)
            with reading():  # the version it is cached under is the version all its queries read
                return keyed(store, store.data_version(), *args)

        cached.cache_clear = keyed.cache_clear
        return cached
    return decorate


def _check_name(name: str) -> None:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"ogiltigt variabelnamn {name!r}")


def _term(name: str, value) -> str:
    if not isinstance(value, (rdflib.URIRef, rdflib.Literal)):
        raise ValueError(f"värdet för ?{name} måste vara en IRI eller en literal")
    return value.n3()

