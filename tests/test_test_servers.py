"""The servers the tests start are the ones they talk to. free_port only finds a port free at
that moment, and a second worker can be given the same one before a slow server binds it: a
full run once compared the bundled data with another worker's Virtuoso, which held the
gap-rule fixtures (test_stores, 2026-12-06)."""

import http.server
import os
import socket
import subprocess
import sys
import threading

import pytest

from ansvarsgraf.remote_store import SparqlEndpointStore

import server
import sparql_servers


@pytest.fixture
def other_server():
    """An HTTP server of this process that answers 200 to everything, as another worker's would."""
    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"not the server you started")

        def log_message(self, *args):
            pass

    taken = http.server.HTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=taken.serve_forever, daemon=True).start()
    yield taken.server_address[1]
    taken.shutdown()


def test_a_listening_socket_is_known_by_the_process_that_holds_it():
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        assert server.holds_listener(os.getpid(), port)
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        try:
            assert not server.holds_listener(child.pid, port)
        finally:
            server.stop(child)
    assert not server.holds_listener(os.getpid(), port)


def test_virtuoso_on_a_port_another_server_took_starts_again_on_another(other_server, tmp_path, monkeypatch):
    ports = iter([other_server, server.free_port(), server.free_port(), server.free_port()])
    monkeypatch.setattr(sparql_servers, "free_port", lambda: next(ports))
    with sparql_servers.virtuoso_server(tmp_path) as endpoints:
        assert f":{other_server}/" not in endpoints["query"]
        answer = SparqlEndpointStore(endpoints["query"]).select('SELECT ("svar" AS ?x) WHERE {}')
        assert [str(row["x"]) for row in answer] == ["svar"]


def test_a_server_on_a_port_it_cannot_have_is_an_error_not_another_server(other_server, tmp_path):
    with pytest.raises(server.PortTaken):
        with sparql_servers.oxigraph_server(tmp_path, port=other_server):
            pass
