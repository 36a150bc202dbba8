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

import datetime as dt
import functools
import re
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Protocol

import pyoxigraph as ox
import rdflib
from rdflib.term import Node

from .dataset import LoadedData, graph_name, load_data
from .errors import StoreUnavailable

if TYPE_CHECKING:
    from .precomputed import PrecomputedAnswers

Row = dict[str, Node | None]


class GraphStore(Protocol):
    # What a store offers beyond its queries, declared by every store (None / False without):
    precomputed: "PrecomputedAnswers | None"  # answers `prepare` built for given dates (precomputed.py)
    inline_tables: bool  # gap rules may get sets as inline VALUES tables (gaps.specialise)

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
    """Put the lines first in the query's first WHERE group."""
    match = WHERE_OPEN.search(query)
    if not match:
        raise ValueError("frågan saknar WHERE { … } och kan inte bindas")
    return query[: match.end()] + "\n  " + "\n  ".join(lines) + "\n" + query[match.end():]


def bind(query: str, bindings: dict[str, Node | Iterable[Node]] | None) -> str:
    """Insert VALUES for the given variables right inside the query's first WHERE block.

    A variable bound to a list gets one row per value (an IN-list without string pasting);
    a tuple of variables bound to a list of tuples becomes one VALUES table of combinations.
    """
    if not bindings:
        return query
    return insert_after_where(query, [values_block(names, rows) for names, rows in checked_bindings(bindings).items()])


def data_version(store) -> str:
    """Which version of the data the store holds. An embedded store never changes while it is
    served; a SPARQL server changes when `ansvarsgraf load` publishes (SparqlEndpointStore
    reads the marker that load writes, at most every few seconds)."""
    version = getattr(store, "data_version", None)
    return version() if version else ""


def per_data_version(maxsize: int):
    """lru_cache for functions of a store, keyed also by the store's data version: what is
    derived from the data (catalog, answers, gap reports) is rebuilt after a new load."""
    def decorate(function):
        @functools.lru_cache(maxsize=maxsize)
        def keyed(store, version, *args):
            return function(store, *args)

        @functools.wraps(function)
        def cached(store, *args):
            return keyed(store, data_version(store), *args)

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


class OxigraphStore:
    """Embedded pyoxigraph store, in memory or on disk; one named graph per source file."""

    inline_tables = True

    def __init__(self, store: ox.Store, precomputed: "PrecomputedAnswers | None" = None):
        self._store = store
        self.precomputed = precomputed  # only a store opened from `prepare`'s directory has them

    @classmethod
    def from_loaded(cls, loaded: LoadedData, path: Path | None = None) -> "OxigraphStore":
        store = ox.Store(str(path)) if path else ox.Store()
        parts = [(graph_name(name), g) for name, g in loaded.files.items()] + [(graph_name("ontology"), loaded.ontology)]
        for name, graph in parts:
            data = graph.serialize(format="nt", encoding="utf-8")
            store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(str(name)))
        return cls(store)

    def select(self, query: str, bindings=None) -> list[Row]:
        with _readable():
            solutions = self._store.query(bind(query, bindings), use_default_graph_as_union=True)
            names = [v.value for v in solutions.variables]
            rows = [{n: _to_rdflib(s[n]) for n in names} for s in solutions]
        return in_canonical_order(query, names, rows)

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
        import logging

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


class NotAPreparedStoreError(ValueError):
    pass


KEEP_VERSIONS = 2  # the new store and the one running processes may still read


def prepare_store(target: Path, paths: list[Path] | None = None, answer_dates: list[dt.date] = ()) -> OxigraphStore:
    """Check every file, then build an on-disk store for `serve --store target`.

    Several API processes open one prepared store read-only (start-up is then an open, not
    a load). Each build is a version of its own (`.<name>-<time>`) and `target` is a symlink
    that is switched to the new version in one atomic rename once it is complete. So a
    broken file (DataLoadError, with file and line) or a crash leaves the previous store as
    it was, a reader never opens half a store, and a process still serving the previous
    version keeps reading it (it opened the version, not the link) until it is restarted.
    Older versions than the previous one are removed.

    For each of `answer_dates` every task's answer in every municipality is built into the
    version too (precomputed.py), so the servers read answers instead of building them.
    """
    import os
    import shutil
    import time

    loaded = load_data(paths)  # raises before anything on disk is touched
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and not target.is_symlink():
        raise NotAPreparedStoreError(f"{target} finns redan och är inget lager från `ansvarsgraf prepare`; välj en annan mapp.")
    version = target.with_name(f".{target.name}-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}")
    try:
        store = OxigraphStore.from_loaded(loaded, version)
        store._store.flush()
        if answer_dates:
            from . import precomputed  # here: it builds answers, which need this module

            precomputed.write(store, version, list(answer_dates))
        write_manifest(store, version)
        del store
    except BaseException:
        shutil.rmtree(version, ignore_errors=True)
        raise
    link = target.with_name(f".{target.name}.ny-{os.getpid()}")
    link.unlink(missing_ok=True)
    link.symlink_to(version.name)
    os.replace(link, target)  # atomic: readers see the old version or the new one
    versions = sorted(target.parent.glob(f".{target.name}-*"), key=lambda p: p.stat().st_mtime)
    for old in versions[:-KEEP_VERSIONS]:
        shutil.rmtree(old, ignore_errors=True)
    return open_prepared_store(target)


MANIFEST = "lager.json"  # what `prepare` built: triples per graph, the answers file's checksum


def write_manifest(store: "OxigraphStore", directory: Path) -> None:
    """Record what the version holds, for open_prepared_store to check against."""
    import json

    from .precomputed import FILE_NAME, file_checksum

    graphs = {}
    for row in store.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"):
        graphs[str(row["g"])] = int(row["n"])
    answers = Path(directory) / FILE_NAME
    manifest = {"tripler": sum(graphs.values()), "grafer": graphs,
                "svar_sha256": file_checksum(answers) if answers.exists() else None}
    (Path(directory) / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")


def open_prepared_store(path: Path) -> OxigraphStore:
    """Open a store made by `ansvarsgraf prepare`, read-only (many processes may share it),
    after checking it against what `prepare` recorded: a damaged store is refused with what
    is wrong, a damaged or missing answers file is not used (answers are built on request).
    The version the link points to now is opened, so a later `prepare` does not move it."""
    import json
    import logging

    log = logging.getLogger("ansvarsgraf.store")
    link, path = Path(path), Path(path).resolve()
    again = f"skapa det igen med `ansvarsgraf prepare {link}`"
    if not (path / "CURRENT").exists():
        raise NotAPreparedStoreError(f"{path} är inget förberett lager; skapa det med `ansvarsgraf prepare {link}`.")
    try:
        store = ox.Store.read_only(str(path))
        has_ontology = store.contains_named_graph(ox.NamedNode(str(graph_name("ontology"))))
    except (OSError, RuntimeError) as exc:  # RocksDB reports missing or damaged files as either
        raise NotAPreparedStoreError(f"lagret {path} är skadat och går inte att öppna ({str(exc)[:200]}); {again}.") from None
    if not has_ontology:
        raise NotAPreparedStoreError(f"{path} saknar ontologin och är inget förberett lager; {again}.")
    manifest_path = path / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else None
    embedded = OxigraphStore(store)
    if manifest is None:
        log.warning("Lagret %s saknar förteckningen %s (gjort av en äldre version) och kan inte kontrolleras; "
                    "kör `ansvarsgraf prepare` igen.", path, MANIFEST)
    else:
        try:
            found = {str(r["g"]): int(r["n"]) for r in embedded.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")}
        except StoreUnavailable as exc:
            raise NotAPreparedStoreError(f"lagret {path} är skadat: {exc.message} {again}.") from None
        if found != manifest["grafer"]:
            wrong = sorted(g for g in set(found) | set(manifest["grafer"]) if found.get(g) != manifest["grafer"].get(g))
            raise NotAPreparedStoreError(f"lagret {path} är skadat: {len(wrong)} grafer har inte de tripler prepare skrev "
                                         f"(t.ex. {wrong[0]}: {found.get(wrong[0], 0)} i stället för "
                                         f"{manifest['grafer'].get(wrong[0], 0)}); {again}.")
    from .precomputed import PrecomputedAnswers  # here: it reads answers, which need this module

    embedded.precomputed = PrecomputedAnswers.open(path, expected_sha256=manifest.get("svar_sha256") if manifest else None)
    log.info("Lagret %s kontrollerat: %s tripler%s.", path, manifest["tripler"] if manifest else "okänt antal",
             ", svar byggda i förväg" if embedded.precomputed else ", svar byggs vid behov")
    return embedded


ENDPOINT_ENV = "ANSVARSGRAF_ENDPOINT"
UPDATE_ENDPOINT_ENV = "ANSVARSGRAF_UPDATE_ENDPOINT"
PREPARED_STORE_ENV = "ANSVARSGRAF_STORE"


def open_store(endpoint: str | None = None, update_endpoint: str | None = None,
               prepared: Path | None = None) -> GraphStore:
    """The configured store: a SPARQL server when an endpoint is given (argument or
    ANSVARSGRAF_ENDPOINT), else a prepared on-disk store (argument or ANSVARSGRAF_STORE),
    else the bundled data in an in-memory embedded store."""
    import os

    endpoint = endpoint or os.environ.get(ENDPOINT_ENV)
    if not endpoint:
        prepared = prepared or os.environ.get(PREPARED_STORE_ENV)
        return open_prepared_store(Path(prepared)) if prepared else open_embedded_store()
    from .remote_store import SparqlEndpointStore

    return SparqlEndpointStore(endpoint, update_endpoint or os.environ.get(UPDATE_ENDPOINT_ENV))
