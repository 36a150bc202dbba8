"""The store interface: SPARQL in, rows out, whatever engine sits behind it.

A store answers SPARQL SELECT, ASK and CONSTRUCT queries and returns rows of rdflib terms.
The embedded store is pyoxigraph (embedded_store.py; measured 20–300× faster than rdflib's
in-memory graph on our queries, see ../shared/TOOLING-NOTES.md and benchmarks/); a remote
store speaks the SPARQL 1.1 protocol to any server (remote_store.py).

Parameters are bound by injecting a VALUES block first in the query's WHERE group, built
from rdflib terms (which escape literals and IRIs), so the same query text runs on every
engine and no user text is ever pasted into a query (a SPARQL server gets them in a form it
evaluates right, see remote_store.bind_for_server).

Rows come back in the same order from every store (in_canonical_order), the order the query's
ORDER BY gives as rdflib's SPARQL parser reads it.
"""

import functools
import re
import threading
from decimal import Decimal, InvalidOperation
from typing import Callable, ContextManager, Iterable, Protocol

import rdflib
from pyparsing import ParseException
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Node

from .sparql_syntax import parse_query

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

    # What a store that can change or fail under a running server (a SPARQL server, a
    # prepared store on disk) does about it; the in-memory embedded store does nothing.
    @property
    def degraded(self) -> bool:
        """True while the data cannot be read: what is served comes from caches."""
        ...

    def reading(self, budget: bool = False) -> ContextManager[None]:
        """Every query inside reads one data version (with budget: within the request's time
        budget for the store)."""
        ...

    def in_this_version(self, function: Callable) -> Callable:
        """`function`, to run in another thread, reading the version read now."""
        ...

    def watch(self, interval_s: float | None = None, warm_up: Callable[[], object] | None = None) -> None:
        """Check the store for changes in the background from now on."""
        ...


# A query's IRIs, comments and string literals (a '#' in an IRI or a quote in a comment is
# neither a comment nor a string).
SPARQL_TOKENS = re.compile(r"""(?P<iri><[^<>"{}|^`\\\s]*>)|(?P<comment>\#[^\n]*)|(?P<string>"{3}(?:[^"\\]|\\.|"(?!""))*"{3}|'{3}(?:[^'\\]|\\.|'(?!''))*'{3}|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')""")
# SPARQL's terminals, for the few rewrites a store needs (shape_queries, gaps): IRIs,
# comments and strings whole, then variables (?x and $x), words (keywords, prefixed names,
# numbers) and single characters. A "?x" or "WHERE" in a comment or a string is no token.
_TERMINALS = re.compile(SPARQL_TOKENS.pattern + r"|(?P<variable>[?$]\w+)|(?P<word>[\w:\-]+(?:\.[\w:\-]+)*)|(?P<mark>\S)")
# What is left of a query once its IRIs, comments and strings are blanked: braces,
# parentheses, and words (keywords, variables, prefixed names) between them.
_STRUCTURE = re.compile(r"[{}()]|[?$]?[\w:.\-]+")
_QUERY_FORMS = {"select", "construct", "describe", "ask"}
_NUMERIC = {str(rdflib.XSD[t]) for t in ("integer", "decimal", "double", "float", "int", "long", "short", "byte",
                                          "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger",
                                          "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}

@functools.lru_cache(maxsize=256)  # a query is bound and then ordered: read once for both (as many texts as order keys keeps; queries/ alone holds 59, the shapes and gap rules more)
def where_group(query: str) -> tuple[int, int]:
    """Where the query's own WHERE group is: query[start:end] is `{ … }`, braces included.

    Bindings and the SHACL targets are put into this group as text, because nothing else
    can carry them to every engine: rdflib's parse tree keeps no positions, and neither
    rdflib nor pyoxigraph writes a query back as text that every server reads the same way.
    So the group is found by SPARQL's own terminals: IRIs, comments and strings are skipped
    whole, the query form is a whole word (not `ex:ask` or `?select`), and braces and
    parentheses are counted. A "WHERE {" in a comment or a string, a brace in a string, an
    EXISTS { … } in the projection, CONSTRUCT's template, a sub-SELECT and a group written
    without its optional WHERE all land right (tests/test_query_binding.py)."""
    code = blanked(query, "iri", "comment", "string")
    form, template, parens, position = None, False, 0, 0
    while (token := _STRUCTURE.search(code, position)) is not None:
        word, position = token.group(), token.end()
        if form is None:
            if word.lower() in _QUERY_FORMS:
                form = word.lower()
                template = form == "construct"  # CONSTRUCT { template } WHERE { … }, or CONSTRUCT WHERE { … }
            continue
        if word in ("(", ")"):
            parens += 1 if word == "(" else -1
        elif parens == 0 and word.lower() == "where":
            template = False
        elif parens == 0 and word == "{":
            end = _group_end(code, token.start())
            if not template:
                return token.start(), end
            template, position = False, end
    raise ValueError("frågan saknar WHERE { … } och kan inte bindas")


def _group_end(code: str, start: int) -> int:
    depth = 0
    for brace in re.finditer(r"[{}]", code[start:]):
        depth += 1 if brace.group() == "{" else -1
        if depth == 0:
            return start + brace.end()
    raise ValueError("frågans klamrar { … } går inte jämnt ut")


def terminals(query: str) -> list[re.Match]:
    """The query's terminals in order (match.lastgroup: iri, comment, string, variable, word
    or mark), each with its position in the text."""
    return list(_TERMINALS.finditer(query))


def blanked(query: str, *kinds: str) -> str:
    """The query with the given kinds of SPARQL_TOKENS (iri, comment, string) as spaces,
    every other character where it was."""
    return SPARQL_TOKENS.sub(lambda m: " " * len(m.group(0)) if m.lastgroup in kinds else m.group(0), query)


@functools.lru_cache(maxsize=256)
def _order_keys(query: str) -> tuple[tuple[str, bool], ...] | None:
    """The (variable, descending) keys of the query's ORDER BY, () without one, or None when it
    orders by something other than plain variables (then the server's order stands).

    Only the query's solution modifiers, the text after its WHERE group, are parsed (after
    an empty `SELECT * {}`): rdflib takes from milliseconds to seconds for a whole query, for
    this part well under one. A sub-SELECT's ORDER BY is inside the group and orders nothing
    outside it."""
    try:
        _start, end = where_group(query)
        if "order" not in query[end:].lower():
            return ()  # no ORDER BY can be there: nothing to parse
        parsed = parse_query("SELECT * {}" + query[end:])
    except (ValueError, ParseException, RecursionError):
        return None  # not a query this could read; the server's order stands
    modifiers = parsed[1]
    if "orderby" not in modifiers:
        return ()
    keys = []
    for condition in modifiers["orderby"]["condition"]:
        expression = _bare(condition["expr"])
        if not isinstance(expression, rdflib.Variable):
            return None
        keys.append((str(expression), "order" in condition and condition["order"] == "DESC"))
    return tuple(keys)


# rdflib's parse wraps a lone operand in one node per level of the expression grammar.
_EXPRESSION_LEVELS = {"ConditionalOrExpression", "ConditionalAndExpression", "RelationalExpression",
                      "AdditiveExpression", "MultiplicativeExpression"}


def _bare(expression):
    """The expression without the grammar's wrappers around a lone operand: `(?x)` is ?x."""
    while isinstance(expression, CompValue) and expression.name in _EXPRESSION_LEVELS and list(expression) == ["expr"]:
        expression = expression["expr"]
    return expression


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
    if len(rows) < 2:
        return rows  # in every order already (and the query's ORDER BY need not be read)
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
    """Put the lines first in the query's WHERE group (where_group): never in a comment or a
    string that reads "WHERE {", a sub-SELECT or a CONSTRUCT template."""
    start = where_group(query)[0] + 1
    return query[:start] + "\n  " + "\n  ".join(lines) + "\n" + query[start:]


def bind(query: str, bindings: dict[str, Node | Iterable[Node]] | None) -> str:
    """Insert VALUES for the given variables right inside the query's first WHERE block.

    A variable bound to a list gets one row per value (an IN-list without string pasting);
    a tuple of variables bound to a list of tuples becomes one VALUES table of combinations.
    """
    if not bindings:
        return query
    return insert_after_where(query, [values_block(names, rows) for names, rows in checked_bindings(bindings).items()])



class SingleFlight:
    """One computation per key at a time: a caller that asks for a key already being computed
    waits for that result instead of computing it again. A cache alone does not do this: the
    twenty requests that arrive together for a date nobody has asked about yet would each
    build the same per-date rows, side by side under one interpreter lock, and every one of
    them would wait twenty times as long (measured: p50 7.5 s instead of 0.4 s)."""

    def __init__(self):
        self._guard = threading.Lock()
        self._running: dict = {}  # key → _Flight, only while it is computed

    def do(self, key, compute: Callable[[], object]):
        with self._guard:
            flight = self._running.get(key)
            leader = flight is None
            if leader:
                flight = self._running[key] = _Flight()
        if not leader:
            with flight.running:  # held by the leader until its result is there
                pass
            if flight.error is not None:
                raise flight.error
            return flight.result
        try:
            flight.result = compute()
        except BaseException as exc:  # the waiting callers get the same error (a 503 stays a 503)
            flight.error = exc
            raise
        finally:
            with self._guard:
                del self._running[key]
            flight.running.release()
        return flight.result


class _Flight:
    """A computation in progress. Every cached call passes through one (per_data_version), so
    it is a bare lock the leader holds, not an Event (a condition and a lock): a cached call
    took 5.2 µs with an Event, takes 1.8 µs with the lock, 0.65 µs for the cache alone."""

    __slots__ = ("running", "result", "error")

    def __init__(self):
        self.running = threading.Lock()
        self.running.acquire()
        self.result = None
        self.error: BaseException | None = None


def per_data_version(maxsize: int):
    """lru_cache for functions of a store, keyed also by the store's data version: what is
    derived from the data (catalog, answers, gap reports) is rebuilt after a new load. Callers
    asking at the same time for what is not cached yet share one computation (SingleFlight)."""
    def decorate(function):
        @functools.lru_cache(maxsize=maxsize)
        def keyed(store, version, *args):
            return function(store, *args)

        flights = SingleFlight()

        @functools.wraps(function)
        def cached(store, *args):
            with store.reading():  # the version it is cached under is the version all its queries read
                version = store.data_version()
                return flights.do((store, version, *args), functools.partial(keyed, store, version, *args))

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

