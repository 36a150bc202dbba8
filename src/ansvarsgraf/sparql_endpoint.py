"""The public, read-only SPARQL surface: check a query, then run it where it can be stopped.

Refused before running: updates (403), SERVICE (it makes the server fetch any URL, even in
read-only mode), LOAD, FROM / FROM NAMED (remote datasets), malformed or over-long text.
Run in a forked child process, because the embedded engine has no timeout of its own: the
parent waits for the timeout and kills the child. A result over the row limit is an
explicit error, never a silently truncated answer.
"""

import csv
import io
import json
import multiprocessing
import threading
from dataclasses import dataclass
from xml.sax.saxutils import escape

import rdflib
from pyparsing import ParseException, ParseResults
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from .store import OxigraphStore, _to_rdflib, in_canonical_order

MAX_QUERY_CHARS = 20_000
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_ROWS = 10_000

RESULT_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_TYPES = {"turtle": "text/turtle", "ntriples": "application/n-triples", "jsonld": "application/ld+json"}


class SparqlRefused(Exception):
    """A query the endpoint will not run; status is the HTTP status to answer with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class SparqlResult:
    media_type: str
    body: bytes


# rdflib's SPARQL grammar (pyparsing) keeps parse state in shared objects: two threads
# parsing at once fail with TypeError (seen as 500s under 8 concurrent requests).
_PARSER = threading.Lock()


def check_query(text: str) -> str:
    """Return the query form (SelectQuery, AskQuery, ConstructQuery, DescribeQuery) or refuse."""
    if not text or not text.strip():
        raise SparqlRefused(400, "Frågan är tom. Skicka en SPARQL-fråga i parametern 'query'.")
    if len(text) > MAX_QUERY_CHARS:
        raise SparqlRefused(413, f"Frågan är för lång ({len(text)} tecken); högst {MAX_QUERY_CHARS} tecken.")
    try:
        with _PARSER:
            parsed = parseQuery(text)
    except ParseException as exc:
        try:
            with _PARSER:
                parseUpdate(text)
        except ParseException:
            raise SparqlRefused(400, f"Frågan är inte giltig SPARQL (rad {exc.lineno}, kolumn {exc.col}): {exc.msg}.") from None
        raise SparqlRefused(403, "Uppdateringar (INSERT, DELETE, LOAD, CLEAR …) är inte tillåtna: slutpunkten är skrivskyddad.") from None
    names = set(_names(parsed))
    if "ServiceGraphPattern" in names:
        raise SparqlRefused(403, "SERVICE är inte tillåtet: det skulle låta servern hämta godtyckliga adresser.")
    if "DatasetClause" in names:
        raise SparqlRefused(403, "FROM och FROM NAMED är inte tillåtna: frågor körs bara mot grafens egna data.")
    query = parsed[1]
    return query.name


def _names(node):
    if isinstance(node, CompValue):
        yield node.name
        for value in node.values():
            yield from _names(value)
    elif isinstance(node, (list, tuple, ParseResults)):
        for item in node:
            yield from _names(item)


def run_query(store, text: str, result_format: str = "json",
              timeout_s: float = DEFAULT_TIMEOUT_S, max_rows: int = DEFAULT_MAX_ROWS) -> SparqlResult:
    form = check_query(text)
    if not isinstance(store, OxigraphStore):
        return _run_remote(store, text, form, result_format, timeout_s, max_rows)
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(target=_work, args=(store, text, form, result_format, max_rows, sender), daemon=True)
    worker.start()
    sender.close()
    try:
        if not receiver.poll(timeout_s):
            raise SparqlRefused(503, f"Frågan tog längre tid än {timeout_s:g} sekunder och avbröts. Begränsa den, t.ex. med fler villkor eller LIMIT.")
        status, payload = receiver.recv()
    except EOFError:
        raise SparqlRefused(500, "Frågan avbröts oväntat.") from None
    finally:
        if worker.is_alive():
            worker.kill()
        worker.join(1)
        receiver.close()
    if status == "ok":
        return SparqlResult(*payload)
    raise SparqlRefused(*payload)


def _run_remote(store, text: str, form: str, result_format: str, timeout_s: float, max_rows: int) -> SparqlResult:
    """A remote server is stopped by its own timeout; ours bounds the HTTP wait."""
    from .remote_store import RemoteStoreError, SparqlEndpointStore

    limited = SparqlEndpointStore(store.query_url, timeout_s=timeout_s)
    try:
        if form == "AskQuery":
            return SparqlResult(RESULT_TYPES["json"], json.dumps({"head": {}, "boolean": limited.ask(text)}).encode())
        if form in ("ConstructQuery", "DescribeQuery"):
            graph = limited.construct(text)
            if len(graph) > max_rows:
                raise _too_many(max_rows)
            fmt = result_format if result_format in GRAPH_TYPES else "turtle"
            return SparqlResult(GRAPH_TYPES[fmt], graph.serialize(format={"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld"}[fmt]).encode())
        rows = limited.select(text)
    except RemoteStoreError as exc:
        if "timed out" in str(exc).lower() or "timeout" in str(exc).lower():
            raise SparqlRefused(503, f"Frågan tog längre tid än {timeout_s:g} sekunder och avbröts.") from None
        raise SparqlRefused(502, str(exc)) from None
    if len(rows) > max_rows:
        raise _too_many(max_rows)
    variables = list(rows[0]) if rows else _select_variables(text)
    return SparqlResult(RESULT_TYPES.get(result_format, RESULT_TYPES["json"]), _serialize(variables, rows, result_format))


def _select_variables(text: str) -> list[str]:
    import re

    head = text.split("WHERE", 1)[0] if "WHERE" in text else text.split("{", 1)[0]
    return list(dict.fromkeys(re.findall(r"\?(\w+)", head)))


def _work(store: OxigraphStore, text: str, form: str, result_format: str, max_rows: int, sender) -> None:
    try:
        sender.send(("ok", _execute(store, text, form, result_format, max_rows)))
    except SparqlRefused as exc:
        sender.send(("refused", (exc.status, exc.message)))
    except Exception as exc:  # the engine's own errors: tell the caller what it said
        sender.send(("refused", (400, f"Frågan kunde inte köras: {exc}")))
    finally:
        sender.close()


def _too_many(max_rows: int) -> SparqlRefused:
    return SparqlRefused(413, f"Svaret har fler än {max_rows} rader. Lägg till LIMIT eller fler villkor; svaret kortas aldrig av i tysthet.")


def _execute(store: OxigraphStore, text: str, form: str, result_format: str, max_rows: int) -> tuple[str, bytes]:
    result = store.raw_query(text)
    if form == "AskQuery":
        value = bool(result)
        if result_format == "xml":
            body = f'<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/><boolean>{str(value).lower()}</boolean></sparql>'
            return RESULT_TYPES["xml"], body.encode()
        return RESULT_TYPES["json"], json.dumps({"head": {}, "boolean": value}).encode()
    if form in ("ConstructQuery", "DescribeQuery"):
        graph = rdflib.Graph()
        for count, triple in enumerate(result, start=1):
            if count > max_rows:
                raise _too_many(max_rows)
            graph.add((_to_rdflib(triple.subject), _to_rdflib(triple.predicate), _to_rdflib(triple.object)))
        fmt = result_format if result_format in GRAPH_TYPES else "turtle"
        rdflib_format = {"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld"}[fmt]
        return GRAPH_TYPES[fmt], graph.serialize(format=rdflib_format).encode()
    variables = [v.value for v in result.variables]
    rows = []
    for count, solution in enumerate(result, start=1):
        if count > max_rows:
            raise _too_many(max_rows)
        rows.append({v: _to_rdflib(solution[v]) for v in variables})
    rows = in_canonical_order(text, variables, rows)  # as a remote store gives them (store.py)
    return RESULT_TYPES.get(result_format, RESULT_TYPES["json"]), _serialize(variables, rows, result_format)


def _serialize(variables: list[str], rows: list[dict], result_format: str) -> bytes:
    if result_format in ("csv", "tsv"):
        buffer = io.StringIO()
        if result_format == "csv":
            writer = csv.writer(buffer, lineterminator="\r\n")
            writer.writerow(variables)
            for row in rows:
                writer.writerow(["" if row[v] is None else str(row[v]) for v in variables])
        else:
            buffer.write("\t".join(f"?{v}" for v in variables) + "\n")
            for row in rows:
                buffer.write("\t".join("" if row[v] is None else row[v].n3() for v in variables) + "\n")
        return buffer.getvalue().encode()
    if result_format == "xml":
        parts = ['<?xml version="1.0"?>', '<sparql xmlns="http://www.w3.org/2005/sparql-results#">', "<head>"]
        parts += [f'<variable name="{v}"/>' for v in variables]
        parts += ["</head>", "<results>"]
        for row in rows:
            parts.append("<result>")
            for v in variables:
                term = row[v]
                if term is None:
                    continue
                parts.append(f'<binding name="{v}">{_xml_term(term)}</binding>')
            parts.append("</result>")
        parts += ["</results>", "</sparql>"]
        return "".join(parts).encode()
    bindings = [{v: _json_term(row[v]) for v in variables if row[v] is not None} for row in rows]
    return json.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}}, ensure_ascii=False).encode()


def _json_term(term) -> dict:
    if isinstance(term, rdflib.URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, rdflib.BNode):
        return {"type": "bnode", "value": str(term)}
    out = {"type": "literal", "value": str(term)}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype:
        out["datatype"] = str(term.datatype)
    return out


def _xml_term(term) -> str:
    if isinstance(term, rdflib.URIRef):
        return f"<uri>{escape(str(term))}</uri>"
    if isinstance(term, rdflib.BNode):
        return f"<bnode>{escape(str(term))}</bnode>"
    if term.language:
        return f'<literal xml:lang="{term.language}">{escape(str(term))}</literal>'
    if term.datatype:
        return f'<literal datatype="{escape(str(term.datatype))}">{escape(str(term))}</literal>'
    return f"<literal>{escape(str(term))}</literal>"


def negotiate_format(accept: str | None, explicit: str | None, graph_query: bool) -> str:
    """Pick a result format from ?format= or the Accept header (SPARQL 1.1 Protocol)."""
    if explicit:
        return explicit
    accept = (accept or "").lower()
    table = GRAPH_TYPES if graph_query else RESULT_TYPES
    for name, media_type in table.items():
        if media_type in accept:
            return name
    if not graph_query and "application/xml" in accept:
        return "xml"
    return "turtle" if graph_query else "json"
