"""The public, read-only SPARQL surface: check a query, then run it where it can be stopped
and where it cannot reach the network.

Refused before running: updates (403), SERVICE (it makes the server fetch any URL, even in
read-only mode), LOAD, FROM / FROM NAMED (remote datasets), malformed or over-long text.

The check and the run see the same text. SPARQL processes \\u and \\U code point escapes
before parsing (SPARQL 1.1 §19.2); rdflib and Oxigraph do that pass differently (rdflib reads
8 hex digits after \\u), and that difference once hid a SERVICE clause from the check. So the
escapes are processed here, once, by the rule of the specification, and the result is what
rdflib checks and Oxigraph runs. Text in which an escape sequence remains after that pass (an
escape producing a backslash before "u", or a doubled backslash before "u") is refused: both
engines would process it again, and differently. Refusing every escape was the alternative;
it would break ordinary queries that write non-ASCII letters as \\u00e5.

Checking and running happen in a forked child process, because neither rdflib's parser nor
the embedded engine has a time limit of its own: the parent waits for the time limit and
kills the child. Before it reads the query the child moves into a network namespace of its
own, with no interface but a loopback that is down, and installs a seccomp filter that
allows no socket but a Unix one, so that a query the check misreads still cannot make the
server call anyone (defence in depth). If that isolation cannot be made the
query is not run, unless the operator allows it (ALLOW_NETWORK_ENV). At most MAX_WORKERS
queries run at once; more get 503 with Retry-After at once rather than queueing behind slow
ones. A result over the row limit is an explicit error, never a silently truncated answer.
"""

import ctypes
import logging
import multiprocessing
import os
import re
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox
import rdflib
from pyparsing import ParseException, ParseResults
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.query import Result

from .embedded_store import OxigraphStore, _to_rdflib
from .errors import StoreUnavailable
from . import sparql_syntax
from .graph_store import in_canonical_order
from .privacy import PersonalDataError, contains_identity_number
from .remote_store import RemoteStoreError, SparqlEndpointStore
from .sparql_syntax import parse_query, parse_update

MAX_QUERY_CHARS = 20_000
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_ROWS = 10_000
MAX_WORKERS = 2
RETRY_AFTER_S = 5
ALLOW_NETWORK_ENV = "ANSVARSGRAF_SPARQL_TILLAT_NATVERK"

RESULT_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_TYPES = {"turtle": "text/turtle", "ntriples": "application/n-triples", "jsonld": "application/ld+json",
               "rdfxml": "application/rdf+xml"}
_RDFLIB_GRAPH_FORMATS = {"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld", "rdfxml": "xml"}
_FORMATS_OF_FORM = {
    "SelectQuery": ("json", "xml", "csv", "tsv"),
    "AskQuery": ("json", "xml"),  # SPARQL defines no CSV/TSV for a boolean
    "ConstructQuery": tuple(GRAPH_TYPES),
    "DescribeQuery": tuple(GRAPH_TYPES),
}
_UPDATE_REFUSED = "Uppdateringar (INSERT, DELETE, LOAD, CLEAR …) är inte tillåtna: slutpunkten är skrivskyddad."

log = logging.getLogger(__name__)


class SparqlRefused(Exception):
    """A query the endpoint will not run; status is the HTTP status to answer with."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass(frozen=True)
class SparqlResult:
    media_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


# --- the text both engines see ----------------------------------------------------------

_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.DOTALL)
_ESCAPE_LEFT = re.compile(r"\\[uU]")


def unescape_codepoints(text: str) -> str:
    """The query after SPARQL's code point escape pass, or refused. A backslash followed by
    anything else is kept with that character (so "\\\\" stays a pair, as in Oxigraph)."""

    def expand(match: re.Match) -> str:
        digits = match.group(1) or match.group(2)
        if digits is None:
            return match.group(0)
        code = int(digits, 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise SparqlRefused(400, f"Escapesekvensen \\{'u' if match.group(1) else 'U'}{digits} "
                                     f"(tecken {match.start() + 1}) är inte ett giltigt Unicode-tecken.")
        return chr(code)

    unescaped = _ESCAPE.sub(expand, text)
    left = _ESCAPE_LEFT.search(unescaped)
    if left:
        raise SparqlRefused(400, "Frågan innehåller en \\u- eller \\U-sekvens som återstår efter att "
                                 "escapesekvenserna tolkats (t.ex. ett kodat omvänt snedstreck följt av u). "
                                 "Skriv tecknet direkt i stället.")
    return unescaped


def check_query(text: str) -> str:
    """Return the query form (SelectQuery, AskQuery, ConstructQuery, DescribeQuery) of text,
    which must already be unescaped (unescape_codepoints), or refuse."""
    if not text or not text.strip():
        raise SparqlRefused(400, "Frågan är tom. Skicka en SPARQL-fråga i parametern 'query'.")
    if len(text) > MAX_QUERY_CHARS:
        raise SparqlRefused(413, f"Frågan är för lång ({len(text)} tecken); högst {MAX_QUERY_CHARS} tecken.")
    try:
        parsed = parse_query(text)
    except ParseException as exc:
        try:
            parse_update(text)
        except (ParseException, RecursionError):
            raise SparqlRefused(400, f"Frågan är inte giltig SPARQL (rad {exc.lineno}, kolumn {exc.col}).") from None
        raise SparqlRefused(403, _UPDATE_REFUSED) from None
    except RecursionError:
        raise SparqlRefused(400, "Frågan är för djupt nästlad eller har för många led för att tolkas; förenkla den.") from None
    names = set(_names(parsed))
    if "ServiceGraphPattern" in names:
        raise SparqlRefused(403, "SERVICE är inte tillåtet: det skulle låta servern hämta godtyckliga adresser.")
    if "DatasetClause" in names:
        raise SparqlRefused(403, "FROM och FROM NAMED är inte tillåtna (en extern SPARQL-server kan hämta sådana grafer "
                                 "från nätet). Välj bland grafens egna grafer med parametrarna default-graph-uri "
                                 "och named-graph-uri.")
    return parsed[1].name


def _names(node):
    if isinstance(node, CompValue):
        yield node.name
        for value in node.values():
            yield from _names(value)
    elif isinstance(node, (list, tuple, ParseResults)):
        for item in node:
            yield from _names(item)


# --- running -----------------------------------------------------------------------------

_workers = threading.BoundedSemaphore(MAX_WORKERS)


def run_query(store, text: str, result_format: str | Sequence[str] = "json",
              timeout_s: float = DEFAULT_TIMEOUT_S, max_rows: int = DEFAULT_MAX_ROWS,
              dataset: tuple[list[str], list[str]] | None = None, base_iri: str | None = None) -> SparqlResult:
    """Check and run text. result_format is one format name (used where the query form has
    it, else the form's default), or the acceptable names in order of preference (none that
    fits the form: 406). dataset is (default graph IRIs, named graph IRIs) of this store's
    own graphs (the protocol's default-graph-uri / named-graph-uri), never fetched from
    anywhere. base_iri resolves relative IRIs in the query (the endpoint's own address).
    Blocks the calling thread up to timeout_s."""
    if dataset is not None and not isinstance(store, OxigraphStore):
        raise SparqlRefused(403, "default-graph-uri och named-graph-uri stöds bara med det inbyggda lagret.")
    if not _workers.acquire(blocking=False):
        raise SparqlRefused(503, f"Slutpunkten kör redan {MAX_WORKERS} frågor; försök igen om en stund.",
                            {"Retry-After": str(RETRY_AFTER_S)})
    try:
        remote = not isinstance(store, OxigraphStore)
        status, payload = _in_child(_check_only if remote else _check_and_execute,
                                    (store, text, result_format, max_rows, dataset, base_iri), timeout_s)
        if status != "ok":
            raise SparqlRefused(*payload)
        if remote:
            unescaped, form, fmt = payload
            return _run_remote(store, unescaped, form, fmt, timeout_s, max_rows)
        return payload
    finally:
        _workers.release()


def _in_child(job, args, timeout_s: float):
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(target=_work, args=(job, args, sender), daemon=True)
    worker.start()
    sender.close()
    try:
        if not receiver.poll(timeout_s):
            raise SparqlRefused(503, f"Frågan tog längre tid än {timeout_s:g} sekunder och avbröts. "
                                     "Begränsa den, t.ex. med fler villkor eller LIMIT.")
        return receiver.recv()
    except EOFError:  # the child died (e.g. the engine overflowed its stack on a deep query)
        raise SparqlRefused(400, "Frågan kunde inte köras: sökmotorn avbröt den. Förenkla frågan.") from None
    finally:
        if worker.is_alive():
            worker.kill()
        worker.join(1)
        receiver.close()


def _work(job, args, sender) -> None:
    # A fork copies the lock as it was: held by another thread of the server, it would never
    # be released here. The child has only this thread, so it takes a fresh one.
    sparql_syntax.PARSER_LOCK = threading.Lock()
    try:
        _isolate_from_network()
        _yield_to_the_server()
        sys.setrecursionlimit(20_000)  # rdflib's parser recurses once per triple pattern; the time limit bounds it
        sender.send(("ok", job(*args)))
    except SparqlRefused as exc:
        sender.send(("refused", (exc.status, exc.message, exc.headers)))
    except StoreUnavailable as exc:  # a prepared store whose files went away (prepared.py): not the query's fault
        sender.send(("refused", (503, exc.message, {"Retry-After": str(max(1, round(exc.retry_after_s)))})))
    except Exception as exc:  # the engine's own words may quote a remote body or URL: never pass them on
        sender.send(("refused", _engine_error(exc)))
    finally:
        sender.close()


def _yield_to_the_server() -> None:
    """Lower priority (nice 10: about a tenth of the weight of a server process when they
    compete), so public SPARQL gives way to answers. Not SCHED_IDLE or nice 19: on a busy
    host those starve even a trivial query until its time limit (seen in the tests)."""
    os.nice(10)


def _engine_error(exc: Exception) -> tuple[int, str, dict]:
    where = re.search(r"line (\d+) column (\d+)", str(exc))
    place = f" (rad {where.group(1)}, kolumn {where.group(2)})" if where else ""
    return 400, f"Frågan kunde inte köras av sökmotorn{place}. Kontrollera syntax och funktioner.", {}


def _check_only(store, text: str, result_format, max_rows: int, dataset=None, base_iri=None):
    unescaped = unescape_codepoints(text)
    # The screen before routing (web/middleware.py) read the text as sent; a number written
    # with escapes (\u0031…) appears only now, and would come back in the result.
    if contains_identity_number(unescaped):
        raise SparqlRefused(422, PersonalDataError.message_sv)
    form = check_query(unescaped)
    return unescaped, form, _format_for(form, result_format)


def _check_and_execute(store: OxigraphStore, text: str, result_format, max_rows: int, dataset=None,
                       base_iri=None) -> SparqlResult:
    unescaped, form, fmt = _check_only(store, text, result_format, max_rows)
    return _execute(store, unescaped, form, fmt, max_rows, dataset, base_iri)


def _format_for(form: str, wanted) -> str:
    usable = _FORMATS_OF_FORM[form]
    if isinstance(wanted, str):
        return wanted if wanted in usable else usable[0]
    for name in wanted:
        if name in usable:
            return name
    types = ", ".join((GRAPH_TYPES | RESULT_TYPES)[name] for name in usable)
    raise SparqlRefused(406, f"Ingen av de begärda medietyperna (Accept) finns för den här frågetypen; välj bland {types}.")


_CLONE_NEWNET = 0x40000000
_CLONE_NEWUSER = 0x10000000


def _isolate_from_network() -> None:
    """Cut this (forked, single-threaded) process off from the network, in two layers:
    a network namespace of its own (no interface but a loopback that is down, so no
    connection can be opened, even to 127.0.0.1; as root CLONE_NEWNET is enough, otherwise
    an unprivileged user namespace may allow it), and a seccomp filter that refuses every
    socket but a Unix one (needs no privileges). Either suffices; with neither the query
    is not run, unless the operator allows it."""
    libc = ctypes.CDLL(None, use_errno=True)
    in_namespace = any(libc.unshare(flags) == 0 for flags in (_CLONE_NEWNET, _CLONE_NEWUSER | _CLONE_NEWNET))
    filtered = _deny_network_sockets(libc)
    if in_namespace or filtered or os.environ.get(ALLOW_NETWORK_ENV) == "1":
        return
    raise SparqlRefused(503, "SPARQL-slutpunkten kan inte isolera frågor från nätverket på den här servern "
                             "och kör därför inga frågor. Kontakta förvaltningen.")


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


# (audit architecture, socket(2), io_uring_setup(2) — io_uring can open sockets itself)
_SYSCALLS = {"x86_64": (0xC000003E, 41, 425), "aarch64": (0xC00000B7, 198, 425)}
_LD_W_ABS, _JEQ_K, _JGE_K, _RET_K = 0x20, 0x15, 0x35, 0x06
_ALLOW, _DENY = 0x7FFF0000, 0x00050000 | 13  # SECCOMP_RET_ALLOW; SECCOMP_RET_ERRNO | EACCES
_AF_UNIX = 1


def _deny_network_sockets(libc) -> bool:
    """Install a seccomp filter: socket(2) only for AF_UNIX, no io_uring, and nothing at all
    through another system call ABI (x32, 32-bit). False where it cannot be installed."""
    machine = os.uname().machine
    if machine not in _SYSCALLS:
        return False
    arch, socket_nr, io_uring_nr = _SYSCALLS[machine]
    program = [
        (_LD_W_ABS, 0, 0, 4),                 # 0: A = architecture
        (_JEQ_K, 1, 0, arch),                 # 1: ours? go on : deny
        (_RET_K, 0, 0, _DENY),                # 2
        (_LD_W_ABS, 0, 0, 0),                 # 3: A = system call number
        (_JGE_K, 5, 0, 0x40000000),           # 4: x32 ABI? deny
        (_JEQ_K, 4, 0, io_uring_nr),          # 5: io_uring_setup? deny
        (_JEQ_K, 0, 2, socket_nr),            # 6: socket? check the family : allow
        (_LD_W_ABS, 0, 0, 16),                # 7: A = first argument (family), low word
        (_JEQ_K, 0, 1, _AF_UNIX),             # 8: AF_UNIX? allow : deny
        (_RET_K, 0, 0, _ALLOW),               # 9
        (_RET_K, 0, 0, _DENY),                # 10
    ]
    filters = (_SockFilter * len(program))(*[_SockFilter(*instruction) for instruction in program])
    fprog = _SockFprog(len(program), filters)
    pr_set_no_new_privs, pr_set_seccomp, seccomp_mode_filter = 38, 22, 2
    if libc.prctl(pr_set_no_new_privs, 1, 0, 0, 0) != 0:
        return False
    return libc.prctl(pr_set_seccomp, seccomp_mode_filter, ctypes.byref(fprog), 0, 0) == 0


def _run_remote(store, text: str, form: str, fmt: str, timeout_s: float, max_rows: int) -> SparqlResult:
    """A remote server is stopped by its own timeout; ours bounds the HTTP wait. Its errors
    are logged, not passed on: they can name internal addresses or quote remote bodies."""
    limited = SparqlEndpointStore(store.query_url, timeout_s=timeout_s)
    try:
        if form == "AskQuery":
            return _serialize_ask(limited.ask(text), fmt)
        if form in ("ConstructQuery", "DescribeQuery"):
            graph = limited.construct(text)
            if len(graph) > max_rows:
                raise _too_many(max_rows)
            return _serialize_graph(graph, fmt)
        variables, rows = limited.select_with_variables(text)
    except (RemoteStoreError, StoreUnavailable) as exc:
        if _timed_out(exc):  # the user's own query ran out of time: say so, as the embedded store does
            raise SparqlRefused(503, f"Frågan tog längre tid än {timeout_s:g} sekunder och avbröts.") from None
        if isinstance(exc, StoreUnavailable):
            raise SparqlRefused(503, str(exc), {"Retry-After": str(int(exc.retry_after_s))}) from None
        log.warning("den bakomliggande SPARQL-servern svarade med fel (%s)", type(exc).__name__)
        raise SparqlRefused(502, "Den bakomliggande SPARQL-servern kunde inte besvara frågan.") from None
    if len(rows) > max_rows:
        raise _too_many(max_rows)
    return _serialize_rows(variables, rows, fmt)


def _timed_out(exc: BaseException | None) -> bool:
    """Whether a remote call failed because it ran out of time (anywhere in its causes)."""
    while exc is not None:
        if isinstance(exc, TimeoutError) or "timed out" in str(exc).lower():
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _too_many(max_rows: int) -> SparqlRefused:
    # 400, not 413 (which is about the request, and which clients show as "Request Entity Too
    # Large"): SPARQLWrapper turns a 400 into QueryBadFormed with this text in its message,
    # and passes any other status on as a bare HTTPError without it (tests/test_sparql_clients.py).
    return SparqlRefused(400, f"Svaret har fler än {max_rows} rader. Lägg till LIMIT eller fler villkor; svaret kortas aldrig av i tysthet.")


def _execute(store: OxigraphStore, text: str, form: str, fmt: str, max_rows: int, dataset=None,
             base_iri=None) -> SparqlResult:
    if dataset is not None:
        try:
            [ox.NamedNode(iri) for graphs in dataset for iri in graphs]
        except ValueError:
            raise SparqlRefused(400, "default-graph-uri och named-graph-uri ska vara absoluta IRI:er.") from None
    result = store.raw_query(text, *(dataset or (None, None)), base_iri=base_iri)
    if form == "AskQuery":
        return _serialize_ask(bool(result), fmt)
    if form in ("ConstructQuery", "DescribeQuery"):
        graph = rdflib.Graph()
        for count, triple in enumerate(result, start=1):
            if count > max_rows:
                raise _too_many(max_rows)
            graph.add((_to_rdflib(triple.subject), _to_rdflib(triple.predicate), _to_rdflib(triple.object)))
        return _serialize_graph(graph, fmt)
    variables = [v.value for v in result.variables]
    rows = []
    for count, solution in enumerate(result, start=1):
        if count > max_rows:
            raise _too_many(max_rows)
        rows.append({v: _to_rdflib(solution[v]) for v in variables})
    rows = in_canonical_order(text, variables, rows)  # as a remote store gives them (store.py)
    return _serialize_rows(variables, rows, fmt)


# --- serialising -------------------------------------------------------------------------

def _serialize_ask(value: bool, fmt: str) -> SparqlResult:
    result = Result("ASK")
    result.askAnswer = value
    return SparqlResult(RESULT_TYPES[fmt], result.serialize(format=fmt))


def _serialize_graph(graph: rdflib.Graph, fmt: str) -> SparqlResult:
    return SparqlResult(GRAPH_TYPES[fmt], graph.serialize(format=_RDFLIB_GRAPH_FORMATS[fmt], encoding="utf-8"))


def _serialize_rows(variables: list[str], rows: list[dict], fmt: str) -> SparqlResult:
    if fmt == "tsv":  # rdflib has no TSV serializer
        return SparqlResult(RESULT_TYPES["tsv"], _tsv(variables, rows))
    if fmt == "xml":
        _refuse_unrepresentable_in_xml(rows)
    result = Result("SELECT")
    result.vars = [rdflib.Variable(v) for v in variables]
    result.bindings = [{rdflib.Variable(v): row[v] for v in variables if row.get(v) is not None} for row in rows]
    return SparqlResult(RESULT_TYPES[fmt], result.serialize(format=fmt))


def _tsv(variables: list[str], rows: list[dict]) -> bytes:
    """SPARQL 1.1 TSV: terms in Turtle syntax, one row per line, so a tab or line break
    inside a literal is written as an escape (never rdflib's n3(), which writes such a
    literal in triple quotes with the line break left in)."""
    lines = ["\t".join(f"?{v}" for v in variables)]
    for row in rows:
        lines.append("\t".join("" if row.get(v) is None else _tsv_term(row[v]) for v in variables))
    return ("\n".join(lines) + "\n").encode()


_TSV_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})
_XSD_STRING = rdflib.XSD.string


def _tsv_term(term) -> str:
    if isinstance(term, rdflib.URIRef):
        return f"<{term}>"
    if isinstance(term, rdflib.BNode):
        return f"_:{term}"
    text = f'"{str(term).translate(_TSV_ESCAPES)}"'
    if term.language:
        return f"{text}@{term.language}"
    if term.datatype and term.datatype != _XSD_STRING:
        return f"{text}^^<{term.datatype}>"
    return text


_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _refuse_unrepresentable_in_xml(rows: list[dict]) -> None:
    """XML 1.0 cannot carry most control characters, not even as character references."""
    for row in rows:
        for term in row.values():
            if term is not None and _XML_FORBIDDEN.search(str(term)):
                raise SparqlRefused(406, "Svaret innehåller kontrolltecken som inte kan skrivas i XML; "
                                         "begär application/sparql-results+json i stället.")
