"""No query to /sparql can make the server call anyone (issue 13, item 1).

A canary TCP server on loopback records every connection; each test asserts it received
none. The first test shows the canary does record a SERVICE call made outside the worker, so
an empty canary in the others means something."""

import ctypes
import socket
import threading

import pytest
from fastapi.testclient import TestClient

# _in_child is called through the module: the mutation run wraps it there to record what the
# forked child calls (benchmarks/mutation_plugin.py); a name imported here would bypass that.
from ansvarsgraf import sparql_endpoint
from ansvarsgraf.sparql_endpoint import (SparqlRefused, _engine_error, _execute, check_query,
                                         run_query, unescape_codepoints)
from ansvarsgraf.web.app import create_app

REMOTE_BODY = "HEMLIG-FJARRTEXT"


class Canary:
    """Accepts connections on 127.0.0.1, records what arrives and answers with a body that
    must never reach a client."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.port = self.socket.getsockname()[1]
        self.received: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(2)
                try:
                    self.received.append(connection.recv(65536))
                    body = REMOTE_BODY.encode()
                    connection.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n"
                                       b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
                except OSError:
                    pass

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/x"


@pytest.fixture()
def canary():
    c = Canary()
    yield c
    c.socket.close()


@pytest.fixture(scope="module")
def client(embedded):
    return TestClient(create_app(embedded))


def test_the_canary_hears_a_service_call_made_outside_the_worker(embedded, canary):
    with pytest.raises(Exception):
        list(embedded.raw_query(f"SELECT * WHERE {{ SERVICE <{canary.url()}> {{ ?s ?p ?o }} }}"))
    assert canary.received and b"POST /x" in canary.received[0]


REPRODUCER = ('SELECT * WHERE { VALUES ?x { "a1\\u00000022 " } SERVICE SILENT <URL> { ?s ?p ?o } '
              'VALUES ?y { " \\u00000022" } }')
# Variants of the hidden SERVICE: \U, mixed case hex, escapes in the IRI and in a prefixed
# name, and escapes that produce a backslash.
VARIANTS = {
    "reproducer": REPRODUCER,
    "no-silent": REPRODUCER.replace("SERVICE SILENT", "SERVICE"),
    "U-escape": 'SELECT * WHERE { VALUES ?x { "a\\U00000022 " } SERVICE <URL> { ?s ?p ?o } VALUES ?y { " \\U00000022" } }',
    "mixed-case": 'SELECT * WHERE { VALUES ?x { "a\\u00000022 " } SERVICE <URL> { ?s ?p ?o } VALUES ?y { " \\u0000002A" } }',
    "escaped-keyword": 'SELECT * WHERE { \\u0053ERVICE <URL> { ?s ?p ?o } }',
    "escaped-iri": 'SELECT * WHERE { SERVICE <\\u0068ttp://127.0.0.1:PORT/x> { ?s ?p ?o } }',
    "prefixed-name": 'PREFIX r: <http://127.0.0.1:PORT/> SELECT * WHERE { SERVICE r:\\u0078 { ?s ?p ?o } }',
    "escape-gives-backslash": 'SELECT * WHERE { VALUES ?x { "\\u005Cu0022" } SERVICE <URL> { ?s ?p ?o } VALUES ?y { "\\u005Cu0022" } }',
    "doubled-backslash": 'SELECT * WHERE { VALUES ?x { "\\\\u0022" } SERVICE <URL> { ?s ?p ?o } VALUES ?y { "\\\\u0022" } }',
    "comment-ended-by-escape": 'SELECT * WHERE { ?s ?p ?o # \\u000A SERVICE <URL> { ?a ?b ?c } \n}',
}


def _requests(query: str):
    yield "GET", {"params": {"query": query}}
    yield "POST", {"data": {"query": query}}
    yield "POST", {"content": query.encode(), "headers": {"Content-Type": "application/sparql-query"}}


@pytest.mark.parametrize("name", VARIANTS)
def test_a_hidden_service_clause_never_reaches_the_network(client, canary, name):
    query = VARIANTS[name].replace("URL", canary.url()).replace("PORT", str(canary.port))
    for method, kwargs in _requests(query):
        response = client.request(method, "/sparql", **kwargs)
        # refused, or run as text in which SERVICE sits inside a string (what the check saw)
        assert response.status_code in (200, 400, 403), (method, response.text)
        assert REMOTE_BODY not in response.text
        if response.status_code != 200:  # a 200 may hold the query's own string, address and all
            assert str(canary.port) not in response.text
    assert canary.received == []


def test_checked_and_run_text_are_the_same_after_the_escape_pass():
    # The spec's rule: \u takes 4 hex digits, \U takes 8; rdflib alone would read 8 after \u.
    assert unescape_codepoints('"a\\u00000022"') == '"a\x000022"'
    assert unescape_codepoints('"\\U0001F600 \\u00e5\\u00C5"') == '"\U0001F600 åÅ"'
    assert unescape_codepoints('"\\n\\t\\\\"') == '"\\n\\t\\\\"'  # other escapes are the string's own
    assert check_query(unescape_codepoints('SELECT ("\\u00e5" AS ?x) {}')) == "SelectQuery"
    for text, words in [('"\\u005Cu0041"', "återstår"), ('"\\\\u0041"', "återstår"),
                        ('"\\U00110000"', "inte ett giltigt"), ('"\\uD800"', "inte ett giltigt")]:
        with pytest.raises(SparqlRefused) as refused:
            unescape_codepoints(text)
        assert refused.value.status == 400 and words in refused.value.message
    with pytest.raises(SparqlRefused) as refused:  # what is left, why, and what to write instead
        unescape_codepoints('"\\u005Cu0041"')
    assert refused.value.message == ("Frågan innehåller en \\u- eller \\U-sekvens som återstår efter att "
                                     "escapesekvenserna tolkats (t.ex. ett kodat omvänt snedstreck följt av u). "
                                     "Skriv tecknet direkt i stället.")


def test_every_unicode_scalar_value_may_be_escaped_and_nothing_else():
    """The edges of Unicode: the last code point and those either side of the surrogates
    are characters; a surrogate or a code point beyond U+10FFFF is refused, naming the
    escape as written and where it stands."""
    for code in (0x0, 0xD7FF, 0xE000, 0xFFFF, 0x10FFFF):
        assert unescape_codepoints(f'ASK {{ "\\U{code:08X}" }}') == f'ASK {{ "{chr(code)}" }}'
        if code <= 0xFFFF:
            assert unescape_codepoints(f'ASK {{ "\\u{code:04x}" }}') == f'ASK {{ "{chr(code)}" }}'
    for escape in ("\\uD800", "\\uDFFF", "\\U0000D800", "\\U00110000"):
        with pytest.raises(SparqlRefused) as refused:
            unescape_codepoints(f'ASK {{ "{escape}" }}')
        assert refused.value.status == 400
        assert f"{escape} (tecken 8)" in refused.value.message, refused.value.message


def test_escapes_that_are_only_text_still_run(client):
    response = client.get("/sparql", params={"query": 'SELECT ?x WHERE { BIND("\\u00e5\\U0001F600\\u00110000" AS ?x) }'})
    assert response.status_code == 200
    assert response.json()["results"]["bindings"][0]["x"]["value"] == "å\U0001F600\x110000"


def test_the_worker_cannot_reach_the_network_even_if_the_check_is_bypassed(embedded, canary):
    for keyword in ("SERVICE SILENT", "SERVICE"):
        query = f"SELECT * WHERE {{ {keyword} <{canary.url()}> {{ ?s ?p ?o }} }}"
        status, payload = sparql_endpoint._in_child(lambda q=query: _execute(embedded, q, "SelectQuery", "json", 100), (), 10)
        assert status in ("ok", "refused")
        if status == "refused":
            assert payload[0] == 400 and str(canary.port) not in payload[1] and REMOTE_BODY not in payload[1]
    assert canary.received == []


def test_engine_errors_name_no_address_or_remote_text():
    status, message, _ = _engine_error(RuntimeError(f"Error calling http://10.0.0.7:8890/sparql: {REMOTE_BODY} at line 3 column 7"))
    assert status == 400 and "10.0.0.7" not in message and REMOTE_BODY not in message and "rad 3, kolumn 7" in message


def test_the_remote_store_path_names_no_address_or_remote_body(canary):
    from ansvarsgraf.remote_store import SparqlEndpointStore

    with pytest.raises(SparqlRefused) as refused:
        run_query(SparqlEndpointStore(canary.url()), "SELECT * WHERE { ?s ?p ?o } LIMIT 1")
    assert refused.value.status in (502, 503)  # 503 when the server's error says it is in trouble (5xx)
    assert str(canary.port) not in refused.value.message and REMOTE_BODY not in refused.value.message


_REAL_LIBC = ctypes.CDLL(None, use_errno=True)


class _Libc:
    """The C library with unshare and/or prctl failing, as on a host that does not allow them."""

    def __init__(self, unshare: bool, prctl: bool):
        self._real = _REAL_LIBC
        self._unshare, self._prctl = unshare, prctl

    def unshare(self, flags):
        return self._real.unshare(flags) if self._unshare else -1

    def prctl(self, *args):
        return self._real.prctl(*args) if self._prctl else -1


def test_each_layer_of_isolation_holds_on_its_own(embedded, canary, monkeypatch):
    import ansvarsgraf.sparql_endpoint as endpoint

    query = f"SELECT * WHERE {{ SERVICE <{canary.url()}> {{ ?s ?p ?o }} }}"
    for unshare, prctl in ((True, False), (False, True)):  # namespace only; seccomp filter only
        monkeypatch.setattr(endpoint.ctypes, "CDLL", lambda *a, u=unshare, p=prctl, **k: _Libc(u, p))
        status, payload = sparql_endpoint._in_child(lambda: _execute(embedded, query, "SelectQuery", "json", 100), (), 10)
        assert status == "refused" and payload[0] == 400
    assert canary.received == []


def test_no_isolation_means_no_query_unless_the_operator_allows_it(embedded, monkeypatch):
    import ansvarsgraf.sparql_endpoint as endpoint

    monkeypatch.setattr(endpoint.ctypes, "CDLL", lambda *a, **k: _Libc(unshare=False, prctl=False))
    with pytest.raises(SparqlRefused) as refused:
        run_query(embedded, "ASK { ?s ?p ?o }")
    assert refused.value.status == 503 and "isolera" in refused.value.message
    monkeypatch.setenv(endpoint.ALLOW_NETWORK_ENV, "1")
    assert run_query(embedded, "ASK { ?s ?p ?o }").body
