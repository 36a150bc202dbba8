"""A store behind any SPARQL 1.1 server: SPARQLWrapper for queries, SPARQL 1.1 Update to
publish the data, one named graph per source file.

This is how a large deployment runs: several stateless API processes (`ansvarsgraf serve
--endpoint …`) in front of a clustered SPARQL store (see docs/drift.md). The server's
default graph must be the union of the named graphs (Oxigraph: --union-default-graph;
Virtuoso does this by default).

Publishing replaces a file's graph with one Graph Store Protocol PUT when the server has one
(Oxigraph: /store, Virtuoso: /sparql-graph-crud-auth) — a PUT replaces the graph as a whole —
or else with ONE SPARQL Update request (DROP + INSERT DATA), which every SPARQL 1.1 store runs
as one transaction; either way readers never see half a file (over SPARQL Update a file of
more than MAX_UPDATE_TRIPLES triples is sent in several requests and loses that); files are
parsed and checked locally first, so a broken file never reaches the server and the
previous version of its graph stays in place.

Queries are sent in forms that every server we test (the Oxigraph server, Virtuoso 7.2.5)
evaluates as SPARQL says: parameters by bind_for_server, strings by type_non_ascii_strings,
and Virtuoso's numeric durations are read back as durations (docs/drift.md).
"""

import http.client
import itertools
import logging
import os
import re
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from typing import Iterable, NamedTuple

import rdflib
from rdflib.term import Node
from SPARQLWrapper import CONSTRUCT, DIGEST, JSON, POST, SELECT, TURTLE, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import EndPointInternalError, SPARQLWrapperException

from .errors import StoreUnavailable
from .queries import store_query
from .store_guard import StoreGuard

from .graph_store import (SPARQL_TOKENS, Row, blanked, checked_bindings, in_canonical_order, insert_after_where,
                          values_block)

MAX_UPDATE_TRIPLES = 50_000  # per request; a larger graph is sent as DROP + several INSERTs
GSP_CHUNK_TRIPLES = 2_500  # per Graph Store request; a larger graph is sent as PUT + POSTs

# `load` ends by switching the current data version here (publish.py): the version's id, the
# graph that holds all of it and its graph per file. Readers send every query with exactly
# those as its dataset (SPARQL protocol `default-graph-uri` / `named-graph-uri`), so graphs of
# a version still being published, or of an old one, are never seen. API processes that cache what they
# derive from the data (catalog, answers, gap reports) rebuild when the version changes.
# A store loaded before versions existed has a marker without parts: it is read as the union
# of all its graphs, as before.
VERSION_GRAPH = "urn:ansvarsgraf:dataversion"
VERSION_NODE = "urn:ansvarsgraf:data"
_DCT = "http://purl.org/dc/terms/"
UNION_OF = "urn:ansvarsgraf:publish#union"  # the version's graph that holds all of it
# Set while a publish replaces graphs that readers read (publish.py, in place): readers build
# nothing new from the store until the marker switches again.
IN_PROGRESS = "urn:ansvarsgraf:publish#inProgress"
VERSION_QUERY = (f"SELECT ?version ?modified ?union ?part ?busy WHERE {{ GRAPH <{VERSION_GRAPH}> {{ <{VERSION_NODE}> <{_DCT}identifier> ?version . "
                 f"OPTIONAL {{ <{VERSION_NODE}> <{_DCT}modified> ?modified }} OPTIONAL {{ <{VERSION_NODE}> <{UNION_OF}> ?union }} "
                 f"OPTIONAL {{ <{VERSION_NODE}> <{_DCT}hasPart> ?part }} OPTIONAL {{ <{VERSION_NODE}> <{IN_PROGRESS}> ?busy }} }} }}")
VERSION_CHECK_ENV = "ANSVARSGRAF_VERSION_CHECK_S"
# publish.py keeps a superseded version's graphs this long beyond the readers' check interval.
# A reader whose last check is older than its interval plus half of that (the other half
# covers a query still running) can no longer count on its version's graphs being there.
SUPERSEDED_KEPT_S = 5.0
CHECK_WAIT_S = 0.5  # how long a request served from the caches may wait for an overdue check
# How long one request (web/unavailable.py) may wait for the server in all its queries
# together; past it the request gets 503 (standard: the store's own timeout, 30 s).
REQUEST_BUDGET_ENV = "ANSVARSGRAF_STORE_REQUEST_S"

# Blank nodes are published as IRIs under this prefix, labelled from the graph's canonical
# form, so loading the same file again gives the very same triples (skolemised, below) and
# read back as blank nodes, as every other store gives them.
GENID = "https://w3id.org/ansvarsgraf/.well-known/genid/"


log = logging.getLogger("ansvarsgraf.store")


class CurrentVersion(NamedTuple):
    version: str  # "" before any load
    modified: str  # when it was switched to (ISO date-time)
    union: str | None  # the graph holding all of it (None: read the union of all graphs)
    parts: tuple[str, ...]  # its graph per source file
    publishing: bool = False  # a publish is replacing its graphs in place: read nothing new


class RemoteStoreError(RuntimeError):
    """The SPARQL server could not be reached or refused the request."""


class _Reading:
    """One request's reading of the store: the version its first query (or its first look at
    the data version) found, which every later query of the request reads too, so a publish
    between two queries of one answer cannot give an answer of two versions; and, for a web
    request, when its time for the store runs out."""

    def __init__(self, store: "SparqlEndpointStore", deadline: float | None):
        self.store = store
        self.deadline = deadline
        self.version: CurrentVersion | None = None


# Set per web request (web/unavailable.py) or per derived value (graph_store.per_data_version);
# a context variable, so the worker thread that runs the request sees it and no other does.
_READING: ContextVar[_Reading | None] = ContextVar("ansvarsgraf_reading", default=None)


def skolemised(graph: rdflib.Graph) -> rdflib.Graph:
    """The graph with every blank node replaced by an IRI named from the graph's canonical
    form (rdflib.compare): the same file gives the same IRIs on every load, so a repeated or
    concurrent load can never add a second copy of its blank-node triples."""
    if not any(isinstance(term, rdflib.BNode) for triple in graph for term in triple):
        return graph
    from rdflib.compare import to_canonical_graph

    def iri(term):
        return rdflib.URIRef(GENID + str(term)) if isinstance(term, rdflib.BNode) else term

    out = rdflib.Graph()
    for triple in to_canonical_graph(graph):
        out.add(tuple(iri(t) for t in triple))
    return out


def bind_for_server(query: str, bindings: dict[str, Node | Iterable[Node]] | None) -> str:
    """Bind parameters the way every server we test evaluates as SPARQL says.

    The embedded store gets one VALUES block per variable (store.bind). Virtuoso 7.2.5 gets
    such queries wrong (docs/drift.md): a VALUES-bound start of a property path is refused
    ("transitive start not given"), so is a list bound to either end, and two one-row VALUES
    blocks with a path and EXISTS filters lose rows. So a single value becomes
    BIND(value AS ?var) first in the WHERE group, which SPARQL evaluates exactly like a one-row
    VALUES there (the empty pattern extended, then joined with the rest); a list becomes one
    VALUES table inside a sub-SELECT, joined the same way, which Virtuoso evaluates before the
    paths that use it. (Virtuoso hangs on a one-row table in a sub-SELECT, hence BIND.)
    """
    if not bindings:
        return query
    lines, tables = [], {}
    for names, rows in checked_bindings(bindings).items():
        if len(names) == 1 and len(rows) == 1:
            lines.append(f"BIND({rows[0][0].n3()} AS ?{names[0]})")
        elif not rows:
            lines.append(values_block(names, rows))  # no value: no solutions, on every engine
        else:
            tables[names] = rows
    if tables:
        # Separate VALUES blocks would be joined as a cross product; one table says the same.
        names = tuple(n for key in tables for n in key)
        rows = [tuple(term for part in combination for term in part) for combination in itertools.product(*tables.values())]
        lines.insert(0, f"{{ SELECT {' '.join('?' + n for n in names)} WHERE {{ {values_block(names, rows)} }} }}")
    return insert_after_where(query, lines)


def _set_query(client: SPARQLWrapper, query: str, form: str) -> None:
    """The query, with its form as the caller knows it. SPARQLWrapper guesses the form from
    the text, with a pattern that removes only every second line of a comment block and then
    takes the first word it knows anywhere: a comment line with "laddar" (ADD) or "load"
    (LOAD) made a query an update, sent as `update=` and refused by the server."""
    client.setQuery(query)
    client.queryType = form


_XSD_STRING = "^^<http://www.w3.org/2001/XMLSchema#string>"


def type_non_ascii_strings(query: str) -> str:
    """Write plain string literals with non-ASCII characters as "…"^^xsd:string.

    Virtuoso 7.2.5 double-encodes the UTF-8 of data values when CONCAT mixes them with such a
    plain literal from the query ("ö" comes back as "Ã¶"; openlink/virtuoso-opensource
    #944); it handles the typed form right. In RDF 1.1 both forms are the same term, so the
    query means the same. GROUP_CONCAT's separator must stay a plain string, and a literal
    with a language tag or a datatype (SPARQL allows space or a comment before `@` and `^^`)
    is not plain.

    A rewrite of the text, since the text is what the server gets: rdflib's parse tree has no
    positions, and parsing every query sent (they carry their bound values) would take up to
    seconds each. SPARQL_TOKENS finds the strings as SPARQL's grammar does (not in comments
    or IRIs); what is next to them is read with the comments blanked out.
    """
    code = blanked(query, "comment")
    out, last = [], 0
    for token in SPARQL_TOKENS.finditer(query):
        text = token.group("string")
        if text is None or text.isascii():
            continue
        after = _NEXT_CODE.match(code, token.end())
        if after.group(1) or _is_separator(code, token.start()):
            continue
        out.append(query[last:token.end()] + _XSD_STRING)
        last = token.end()
    return "".join(out) + query[last:]


_NEXT_CODE = re.compile(r"\s*(@|\^\^)?")


def _is_separator(code: str, start: int) -> bool:
    """Whether the string at `start` is written `SEPARATOR = "…"` (any case, any space),
    the keyword, not a variable or a prefixed name ending so."""
    end = _back_over_space(code, start)
    if not code[:end].endswith("="):
        return False
    end = _back_over_space(code, end - 1)
    keyword = len("separator")
    preceding = code[end - keyword - 1] if end > keyword else ""
    return code[end - keyword:end].lower() == "separator" and not (preceding.isalnum() or preceding in "_:?$-.")


def _back_over_space(code: str, end: int) -> int:
    while end and code[end - 1].isspace():
        end -= 1
    return end


class SparqlEndpointStore:
    inline_tables = False  # Virtuoso 7.2.5 misreads VALUES inside EXISTS and sub-SELECTs (docs/drift.md)

    def __init__(self, query_url: str, update_url: str | None = None, timeout_s: float = 30.0,
                 user: str | None = None, password: str | None = None, digest: bool = False,
                 graph_store_url: str | None = None):
        self.query_url = query_url
        self.update_url = update_url
        self.graph_store_url = graph_store_url
        self.timeout_s = timeout_s
        self._credentials = (user, password) if user else None
        self._digest = digest  # Virtuoso's authenticated endpoint uses HTTP digest
        self.version_check_s = float(os.environ.get(VERSION_CHECK_ENV, "10"))
        # (checked at, the version then current): one tuple, replaced whole, so a query never
        # takes the union graph of one version and the file graphs of another.
        self._version: tuple[float, CurrentVersion] | None = None
        self._refreshing = threading.Lock()  # one background version check at a time
        self.version_stale = False  # the last version check failed: cached answers may be old
        self.guard = StoreGuard(self._probe)
        self.request_budget_s = float(os.environ.get(REQUEST_BUDGET_ENV) or timeout_s)

    @property
    def degraded(self) -> bool:
        """True while the server does not answer: what is served comes from caches."""
        return self.guard.is_open or self.version_stale

    def _probe(self) -> None:
        """Does the server answer at all (asked by the open circuit breaker, past it)?"""
        client = self._client(self.query_url)
        client.setQuery("ASK {}")
        client.setReturnFormat(JSON)
        with self._translated():
            client.query().convert()

    def __repr__(self) -> str:
        return f"SparqlEndpointStore({self.query_url!r})"

    @contextmanager
    def reading(self, budget: bool = False):
        """Every query inside reads one data version: the one current at the first query or
        the first data_version() (nested: the outer reading's). With budget, the queries
        together may wait for the server request_budget_s, after which StoreUnavailable."""
        outer = _READING.get()
        if outer is not None and outer.store is self:
            yield
            return
        token = _READING.set(_Reading(self, time.monotonic() + self.request_budget_s if budget else None))
        try:
            yield
        finally:
            _READING.reset(token)

    def in_this_version(self, function):
        """`function`, to be run in another thread for the current reading (the catalog's
        matchers, built in the background): it reads the same version, without the reading's
        time budget (what it builds outlives the request)."""
        reading = self._reading()
        version = reading.version if reading is not None else None

        def run(*args, **kwargs):
            with self.reading():
                self._reading().version = version
                return function(*args, **kwargs)
        return run

    def watch(self, interval_s: float | None = None, warm_up=None) -> None:
        """Nothing to watch: a server's new data is found by each request's data version."""
        return None

    def _reading(self) -> _Reading | None:
        reading = _READING.get()
        return reading if reading is not None and reading.store is self else None

    def _time_left(self) -> float:
        """Seconds this call may wait for the server: the store's timeout, or less when the
        request's budget is nearly spent (then StoreUnavailable, before anything is sent)."""
        reading = self._reading()
        if reading is None or reading.deadline is None:
            return self.timeout_s
        left = reading.deadline - time.monotonic()
        if left <= 0:
            raise StoreUnavailable("Grafens lager svarar för långsamt just nu. Försök igen om en stund.", retry_after_s=5)
        return min(self.timeout_s, left)

    def _client(self, url: str, dataset: bool = False) -> SPARQLWrapper:
        client = SPARQLWrapper(url)
        timeout = self._time_left()
        if dataset:
            current = self._read_version()  # which graphs make up the version this request reads
            if current.publishing:  # its graphs are being replaced: a query now could read a mix
                raise StoreUnavailable("Nya data publiceras just nu. Försök igen om en stund.", retry_after_s=10)
            if current.union:
                client.addDefaultGraph(current.union)
                for part in current.parts:
                    client.addNamedGraph(part)
            timeout = self._time_left()  # less after waiting for a version check
        client.setTimeout(1)
        client.timeout = max(0.1, timeout)  # setTimeout takes whole seconds; urllib takes any
        client.setMethod(POST)  # queries can be long; POST keeps them out of URLs and logs
        if self._credentials:
            if self._digest:
                client.setHTTPAuth(DIGEST)
            client.setCredentials(*self._credentials)
        return client

    def _json(self, query: str, dataset: bool = True) -> dict:
        client = self._client(self.query_url, dataset)
        _set_query(client, query, SELECT)  # SELECT or ASK: a query, answered in JSON
        client.setReturnFormat(JSON)
        with self._guarded():
            return client.query().convert()

    @contextmanager
    def _guarded(self):
        """A call to the query endpoint, through the circuit breaker and the bounded pool
        (store_guard.py)."""
        with self.guard.call(), self._translated():
            yield

    @contextmanager
    def _translated(self):
        """The server's address and its own error text go to the log only: users get a
        Swedish sentence (StoreUnavailable when the server is down or too slow)."""
        try:
            yield
        except EndPointInternalError as exc:  # 5xx: the server is in trouble, not the query
            log.warning("SPARQL-servern %s: %s", self.query_url, str(exc)[:300])
            raise StoreUnavailable() from exc
        except SPARQLWrapperException as exc:
            log.warning("SPARQL-servern %s vägrade en fråga: %s", self.query_url, str(exc)[:300])
            raise RemoteStoreError("SPARQL-servern vägrade frågan.") from exc
        except (OSError, http.client.HTTPException) as exc:  # no connection, a timeout
            log.warning("SPARQL-servern %s svarade inte: %s", self.query_url, exc)
            raise StoreUnavailable() from exc

    def _prepare(self, query: str, bindings) -> str:
        return type_non_ascii_strings(bind_for_server(query, bindings))

    def select(self, query: str, bindings: dict[str, Node | Iterable[Node]] | None = None, dataset: bool = True) -> list[Row]:
        """Rows over the current version's graphs (dataset=False: over the server's whole
        default graph, as publishing needs to see every graph)."""
        return self.select_with_variables(query, bindings, dataset)[1]

    def select_with_variables(self, query: str, bindings: dict[str, Node | Iterable[Node]] | None = None,
                              dataset: bool = True) -> tuple[list[str], list[Row]]:
        """The variables the server says the query selects (also when no row comes back), and the rows."""
        result = self._json(self._prepare(query, bindings), dataset)
        names = result["head"]["vars"]
        return names, in_canonical_order(query, names, [{n: _term(b.get(n)) for n in names} for b in result["results"]["bindings"]])

    def ask(self, query: str, bindings=None) -> bool:
        result = self._json(self._prepare(query, bindings))
        if "boolean" in result:
            return bool(result["boolean"])
        # Virtuoso may answer ASK as one row with one binding (e.g. __ask_retval = 1).
        rows = result.get("results", {}).get("bindings", [])
        value = next(iter(rows[0].values()))["value"] if rows and rows[0] else "0"
        return value in ("1", "true")

    def construct(self, query: str, bindings=None) -> rdflib.Graph:
        client = self._client(self.query_url, dataset=True)
        _set_query(client, self._prepare(query, bindings), CONSTRUCT)
        client.setReturnFormat(TURTLE)  # every server speaks Turtle; Virtuoso refuses N-Triples here
        with self._guarded():
            response = client.query().response
            body = response.read().decode("utf-8")
            content_type = response.headers.get("Content-Type", "")
        parsed = rdflib.Graph()
        fmt = "nt" if "n-triples" in content_type else "turtle"
        if body.strip():
            parsed.parse(data=body, format=fmt)
        if not any(str(t).startswith(GENID) for triple in parsed for t in triple):
            return parsed
        graph = rdflib.Graph()
        for triple in parsed:
            graph.add(tuple(_unskolemised(t) for t in triple))
        return graph

    # --- publishing -------------------------------------------------------------------

    def update(self, request: str) -> None:
        if not self.update_url:
            raise RemoteStoreError("Ingen uppdateringsadress (--update-endpoint) är angiven.")
        # Straight over HTTP: SPARQLWrapper runs a regular expression over the whole request to
        # guess its type, seconds for a data set's INSERT DATA.
        import urllib.parse

        self._http("POST", self.update_url, urllib.parse.urlencode({"update": request}).encode("utf-8"),
                   {"Content-Type": "application/x-www-form-urlencoded"}, "vägrade uppdateringen")

    def _http(self, method: str, url: str, body: bytes | None, headers: dict, failed: str, missing_ok: bool = False) -> None:
        import urllib.error
        import urllib.request

        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        handlers = []
        if self._credentials:
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            passwords.add_password(None, url.split("?")[0], *self._credentials)
            handler = urllib.request.HTTPDigestAuthHandler if self._digest else urllib.request.HTTPBasicAuthHandler
            handlers.append(handler(passwords))
        try:
            with urllib.request.build_opener(*handlers).open(request, timeout=self.timeout_s) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            if not (missing_ok and exc.code == 404):
                raise RemoteStoreError(f"SPARQL-servern {url.split('?')[0]} {failed} ({exc.code}): {exc.read()[:300]!r}") from exc
        except OSError as exc:
            raise RemoteStoreError(f"SPARQL-servern {url.split('?')[0]} svarade inte: {exc}") from exc

    def _graph_store(self, method: str, name: str, body: bytes | None = None) -> None:
        import urllib.parse

        url = f"{self.graph_store_url}?{urllib.parse.urlencode({'graph': name})}"
        self._http(method, url, body, {"Content-Type": "application/n-triples"} if body is not None else {},
                   "vägrade ändringen av en graf", missing_ok=method == "DELETE")

    def drop_graph(self, name: str) -> None:
        if self.graph_store_url:
            self._graph_store("DELETE", name)
        else:
            self.update(f"DROP SILENT GRAPH <{name}>")

    def replace_graph(self, name: str, graph: rdflib.Graph, whole: bool = True) -> None:
        """Replace one named graph. Over Graph Store Protocol a whole graph is one PUT, so
        readers see the old or the new one, never half; with whole=False (for graphs no reader
        reads yet, publish.py) it goes in parts of GSP_CHUNK_TRIPLES triples. Over SPARQL Update
        a graph of more than MAX_UPDATE_TRIPLES triples always goes in parts."""
        triples = graph.serialize(format="nt").splitlines()
        if self.graph_store_url and whole:
            self._graph_store("PUT", name, ("\n".join(triples) + "\n").encode("utf-8"))
            return
        if self.graph_store_url:
            # Virtuoso answers an unauthenticated large body with 401 and closes the connection
            # before reading it (a broken pipe for urllib's digest retry): small requests.
            chunks = [triples[i:i + GSP_CHUNK_TRIPLES] for i in range(0, len(triples), GSP_CHUNK_TRIPLES)] or [[]]
            for number, chunk in enumerate(chunks):
                self._graph_store("PUT" if number == 0 else "POST", name, ("\n".join(chunk) + "\n").encode("utf-8"))
            return
        chunks = [triples[i:i + MAX_UPDATE_TRIPLES] for i in range(0, len(triples), MAX_UPDATE_TRIPLES)] or [[]]
        first = f"DROP SILENT GRAPH <{name}> ;\nINSERT DATA {{ GRAPH <{name}> {{\n" + "\n".join(chunks[0]) + "\n} }"
        self.update(first)
        for chunk in chunks[1:]:
            self.update(f"INSERT DATA {{ GRAPH <{name}> {{\n" + "\n".join(chunk) + "\n} }")

    def data_version(self) -> str:
        """The version `load` last published; asked at most every version_check_s seconds, so
        answers are at most that much behind a new load. Only the very first check waits for
        the server; later ones run in the background and hold up a request served from the
        caches at most CHECK_WAIT_S, and only the first one after the process was idle (with
        the server down or slow, the last known version stands and version_stale says so:
        cached answers of it are whole answers of the old set)."""
        reading = self._reading()
        if reading is not None and reading.version is not None:
            return reading.version.version
        self._follow(wait=False)
        checked, current = self._version
        if reading is not None and self._safe(checked):
            reading.version = current  # the request's queries read this version
        # (Not pinned when the version may be gone already: then the first query waits for
        # the check and pins the version it finds.)
        return current.version

    def _safe(self, checked: float) -> bool:
        """Are the graphs of the version seen at `checked` still on the server? publish.py
        keeps a superseded version SUPERSEDED_KEPT_S past the readers' check interval; half
        of that is left for the queries that use it."""
        return self.version_check_s <= 0 or time.monotonic() - checked < self.version_check_s + SUPERSEDED_KEPT_S / 2

    def _read_version(self) -> "CurrentVersion":
        """The version a query reads: the request's, or else the current one (waiting for an
        overdue check, since this query goes to the server anyway), which then becomes the
        request's."""
        reading = self._reading()
        if reading is not None and reading.version is not None:
            return reading.version
        self._follow(wait=True)
        current = self._version[1]
        if reading is not None:
            reading.version = current
        return current

    def _follow(self, wait: bool) -> None:
        """Check the marker if it is due, in the background. Within SUPERSEDED_KEPT_S / 2 past
        the interval the version last seen is still on the server (publish.py keeps it), so
        nobody waits for the check. Later its graphs may be gone, and a query over them finds
        nothing (every question "okänd", every municipality unknown): with wait (the caller's
        query goes to the server anyway) the check is waited for; without, only by the request
        that started it, briefly (so that a cached answer of the old set is not given out
        after a re-publish, yet a slow server never holds up the caches)."""
        if self._version is None or self.version_check_s <= 0:
            self._check_version()
            return
        age = time.monotonic() - self._version[0]
        if age < self.version_check_s:
            return
        started = self._refreshing.acquire(blocking=False)
        if started:
            threading.Thread(target=self._check_version_in_background, name="dataversion", daemon=True).start()
        if self._safe(self._version[0]) or not (wait or started):
            return
        if self._refreshing.acquire(timeout=self._time_left() if wait else CHECK_WAIT_S):  # the check is done
            self._refreshing.release()

    def _check_version(self) -> None:
        checked = time.monotonic()
        self._version = (checked, self.current_version())
        self.version_stale = False

    def _check_version_in_background(self) -> None:
        try:
            self._check_version()
        except (StoreUnavailable, RemoteStoreError):
            self.version_stale = True
            self._version = (time.monotonic(), self._version[1])  # try again after the interval
        finally:
            self._refreshing.release()

    def current_version(self) -> "CurrentVersion":
        """The version as the marker says now; without graphs for a store loaded before
        versions existed, which is read as the union of all its graphs."""
        rows = self.select(VERSION_QUERY, dataset=False)
        version = max((str(r["version"]) for r in rows), default="")
        rows = [r for r in rows if str(r["version"]) == version]
        modified = max((str(r["modified"]) for r in rows if r["modified"] is not None), default="")
        union = next((str(r["union"]) for r in rows if r["union"] is not None), None)
        return CurrentVersion(version, modified, union, tuple(sorted({str(r["part"]) for r in rows if r["part"] is not None})),
                              any(r["busy"] is not None for r in rows))

    def mark_published(self, parts: Iterable[str] = (), version: str | None = None, union: str | None = None,
                       publishing: bool = False) -> str:
        """Switch the current data version, in one write of the marker graph: readers follow it
        on their next check. Publishing calls this once every graph of the version is in place
        (publish.py); without parts the union of all graphs is read, as before versions.
        With publishing, the version stays but readers stop reading the store (publish.py,
        in place)."""
        import datetime as dt
        import uuid

        version = version or uuid.uuid4().hex
        graph = rdflib.Graph()
        node = rdflib.URIRef(VERSION_NODE)
        graph.add((node, rdflib.DCTERMS.identifier, rdflib.Literal(version)))
        graph.add((node, rdflib.DCTERMS.modified, rdflib.Literal(dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                                                                  datatype=rdflib.XSD.dateTime)))
        if union:
            graph.add((node, rdflib.URIRef(UNION_OF), rdflib.URIRef(union)))
        if publishing:
            graph.add((node, rdflib.URIRef(IN_PROGRESS), rdflib.Literal(True)))
        for part in parts:
            graph.add((node, rdflib.DCTERMS.hasPart, rdflib.URIRef(part)))
        self.replace_graph(VERSION_GRAPH, graph)
        self._version = None
        return version

    def graph_sizes(self) -> dict[str, int]:
        """Every named graph on the server and its number of triples."""
        rows = self.select(store_query("grafstorlek"), dataset=False)
        return {str(r["g"]): int(r["n"]) for r in rows}

    def graph_names(self) -> list[str]:
        return sorted(self.graph_sizes())


def _term(value: dict | None) -> Node | None:
    if value is None:
        return None
    kind = value["type"]
    if kind == "uri":
        return _unskolemised(rdflib.URIRef(value["value"]))
    if kind == "bnode":
        return rdflib.BNode(value["value"])
    if "xml:lang" in value:
        return rdflib.Literal(value["value"], lang=value["xml:lang"])
    datatype = value.get("datatype")
    if datatype == XSD_DURATION and not value["value"].lstrip("-").startswith("P"):
        return rdflib.Literal(_duration(value["value"]), datatype=rdflib.URIRef(datatype))
    return rdflib.Literal(value["value"], datatype=rdflib.URIRef(datatype) if datatype else None)


def _unskolemised(term: Node) -> Node:
    text = str(term)
    return rdflib.BNode(text[len(GENID):]) if isinstance(term, rdflib.URIRef) and text.startswith(GENID) else term


XSD_DURATION = "http://www.w3.org/2001/XMLSchema#duration"


def _duration(number: str) -> str:
    """The canonical xsd:duration (Oxigraph's form) for the number Virtuoso 7.2.5 stores instead.

    Virtuoso keeps a duration as months when it has years or months (an integer: "P1Y" → "12")
    and as seconds otherwise (a double: "P7D" → "604800.0"); a duration with both parts has
    lost its days already on loading (docs/drift.md).
    """
    amount = Decimal(number)
    sign, amount = ("-" if amount < 0 else ""), abs(amount)
    if not any(c in number for c in ".eE"):
        years, months = divmod(int(amount), 12)
        text = (f"{years}Y" if years else "") + (f"{months}M" if months else "")
        return f"{sign}P{text}" if text else "PT0S"
    days, rest = divmod(amount, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    time = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (f"{_plain(seconds)}S" if seconds else "")
    text = (f"{days}D" if days else "") + (f"T{time}" if time else "")
    return f"{sign}P{text}" if text else "PT0S"


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")

