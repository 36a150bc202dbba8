"""No input a user (or an attacker) can send gives a 500: every parameter of every route,
read from the app, gets generated values; every bad input is a 4xx with a Swedish message.
The SPARQL endpoint's own checker is tested in its own files; here it only must not 500."""

import json
import logging

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routes import fill_path, path_params, routes_of_the_app

# Values that have broken routes before, or are close to the data's own ids, mixed with
# arbitrary text (controls, surrogate-free unicode, markup).
INTERESTING = ["", " ", "x", "timra-kommun", "Timrå", "perstorp", "kalla-till-sip", "2026-03-01", "2026-02-30",
               "0001-01-01", "9999-12-31", "2026-3-1", "<x>", "\x00", "%00", "../../etc/passwd", "a" * 400,
               "lucka:x", "eskalering:x", "https://lagen.nu/2025:400#K19P5", "http://127.0.0.1:9/",
               "aktor", "lag", "-1", "0", "101", "1e9", "mittbus-2013", "scenario-skolan-orolig", "ansvar-for-uppgift",
               "SELECT * WHERE { ?s ?p ?o }", "\r\nSet-Cookie: x=y", "'", '"', "{{7*7}}", "å" * 50]
values = st.one_of(st.sampled_from(INTERESTING), st.text(st.characters(exclude_categories=["Cs"]), max_size=30))
EXTRA_QUERY = ["q", "kommun", "datum", "uppgift", "nod", "slag", "steg", "antal", "format"]


def _client(store):
    from ansvarsgraf.web.app import create_app

    return TestClient(create_app(store), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client(store):
    """The reported bad inputs reach every store (an odd id bound into a server's query)."""
    return _client(store)


@pytest.fixture(scope="module")
def embedded_client(embedded):
    """Generated inputs test the routes' own checks, which run before any store is asked;
    run once, not once per store (the reported inputs above still reach every store)."""
    return _client(embedded)


ROUTES = routes_of_the_app(None)  # the route table does not depend on the data


def assert_swedish_4xx_or_success(response, where: str):
    assert response.status_code < 500, where
    if response.status_code >= 400 and response.status_code != 405:
        if response.headers.get("content-type", "").startswith("application/json"):
            assert response.json().get("fel"), where
        else:
            assert 'role="alert"' in response.text, where


@pytest.mark.parametrize("method,template,query,form,model", ROUTES, ids=[f"{r[0]} {r[1]}" for r in ROUTES])
def test_no_generated_input_gives_a_500(embedded_client, caplog, method, template, query, form, model):
    names = path_params(template)
    fields = list(dict.fromkeys(query + EXTRA_QUERY))
    body_fields = form or (list(model.model_fields) if model is not None else [])

    @settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(st.fixed_dictionaries({n: values for n in names}), st.dictionaries(st.sampled_from(fields), values, max_size=4),
           st.dictionaries(st.sampled_from(body_fields or ["query"]), values, max_size=3), st.sampled_from(["form", "json"]))
    def check(path_values, params, body, encoding):
        from urllib.parse import quote

        path = fill_path(template, {k: quote(v, safe="") for k, v in path_values.items()})
        kwargs = {"params": params}
        if method == "POST":
            kwargs["data" if encoding == "form" or form else "json"] = body
        with caplog.at_level(logging.ERROR, logger="ansvarsgraf"):
            response = embedded_client.request(method, path, **kwargs)
        where = f"{method} {path} {params} {body} -> {response.status_code} {caplog.text[-400:]}"
        assert_swedish_4xx_or_success(response, where)

    check()


@pytest.mark.parametrize("path", [
    "/utforska?nod=foo", "/utforska?kommun=Atlantis", "/utforska?datum=2026-13-45", "/utforska?nod=kalla-till-sip&datum=x",
    "/utforska?slag=nonsens", "/utforska?nod=%3Cx%3E", "/utforska?dokument=%00", "/id/%00", "/id/%3Cx%3E", "/id/a%20b",
    "/lagrum/a%3Cb/c", "/svar?uppgift=kalla-till-sip&kommun=Atlantis", "/svar?uppgift=kalla-till-sip&kommun=timra-kommun&datum=x",
    "/luckor?kommun=Atlantis", "/luckor?kommun=timra-kommun&datum=2026-02-30", "/utforska/kedja?uppgift=nej&kommun=timra-kommun",
    "/utforska/jamfor?uppgift=kalla-till-sip&kommun=timra-kommun&kommun2=Atlantis", "/utforska/scenario/finns-inte",
    "/utforska/scenario/%3Cx%3E?kommun=timra-kommun", "/fragor/%00", "/finns-inte", "/static/finns-inte.js",
    "/api/graf?nod=foo", "/api/graf?nod=%00", "/api/kedja?uppgift=kalla-till-sip&kommun=x", "/api/answer?uppgift=&kommun=",
    "/api/gaps?kommun=timra-kommun&datum=x", "/api/fragor/%00", "/api/nonsens", "/api/uppgifter?antal=0",
])
def test_reported_bad_inputs_are_4xx_with_a_swedish_message(client, path):
    """Issue 13 item 3: each of these was (or is close to) a reported 500."""
    response = client.get(path)
    assert 400 <= response.status_code < 500, (path, response.status_code)
    assert_swedish_4xx_or_success(response, path)
    body = response.text if "json" not in response.headers["content-type"] else json.dumps(response.json(), ensure_ascii=False)
    assert any(word in body for word in ("finns", "Ange", "datum", "ogiltig", "Okänd", "Ingen", "saknas", "Felaktig", "inte")), body[:300]


def test_the_body_limit_takes_the_longest_query_in_any_letters_and_refuses_more(embedded_client):
    """Every body is screened for identity numbers before routing, at a cost in proportion to
    its size, so the limit is what the largest input needs: a SPARQL query of 20,000
    characters, form-encoded, even if every character takes 12 bytes (%F0%9F%98%80)."""
    from ansvarsgraf.web.middleware import MAX_BODY_BYTES

    head = "ASK { ?s ?p ?o } #"
    longest = head + "\U0001F600" * (20_000 - len(head))
    accepted = embedded_client.post("/sparql", data={"query": longest})
    assert accepted.status_code == 200 and accepted.json()["boolean"] is True
    for path in ("/sparql", "/api/ask", "/fraga"):
        refused = embedded_client.post(path, content=b"x" * (MAX_BODY_BYTES + 1),
                                       headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert refused.status_code == 413 and "för stor" in refused.text, path


def test_an_unexpected_error_is_a_swedish_500_that_logs_no_user_input(embedded, caplog):
    """If a route fails anyway, the user gets a Swedish page and the log names the code
    location, never the exception's message (which quoted user input in issue 13)."""
    from ansvarsgraf.web.app import create_app

    app = create_app(embedded)

    @app.get("/prov-fel")
    def broken(varde: str = ""):
        raise KeyError(f"hemligt {varde}")

    with caplog.at_level(logging.ERROR):
        response = TestClient(app, raise_server_exceptions=False).get("/prov-fel", params={"varde": "Kalle Kullaberg"})
    assert response.status_code == 500 and "internt fel" in response.text
    assert "KeyError" in caplog.text and "prov-fel" in caplog.text and "broken" in caplog.text
    assert "Kalle" not in caplog.text and "hemligt" not in caplog.text


# ---------------------------------------------------------------------------
# schemathesis against the real server: no 5xx, and the OpenAPI document tells the truth
# ---------------------------------------------------------------------------

import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))


def schemathesis(base: str, folder: Path, *options: str) -> subprocess.CompletedProcess:
    # Run in a temporary folder: schemathesis keeps its example database in the working directory.
    return subprocess.run([SCHEMATHESIS, "run", f"{base}/openapi.json", "--generation-deterministic", "--max-failures", "20",
                           "--request-timeout", "30", *options], capture_output=True, text=True, timeout=600, cwd=folder)


# Two schemathesis runs against a real server: ~60 s on a quiet machine, past the suite's
# 120 s default on a loaded one; the subprocess keeps its own 600 s bound.
@pytest.mark.timeout(600)
def test_schemathesis_finds_no_5xx_and_no_schema_violation(served, tmp_path):
    """Every check (status codes documented, responses as documented, schema-valid requests
    accepted, invalid ones refused, Allow headers …) over the API. The SPARQL operations'
    protocol is tested in its own files; here they are held to no 5xx only."""
    base, _ = served
    api = schemathesis(base, tmp_path, "--checks", "all", "--max-examples", "40", "--exclude-tag", "sparql")
    assert api.returncode == 0, api.stdout[-6000:]
    assert " passed" in api.stdout and "generated" in api.stdout
    sparql = schemathesis(base, tmp_path, "--checks", "not_a_server_error", "--max-examples", "20", "--include-tag", "sparql")
    assert sparql.returncode == 0, sparql.stdout[-6000:]


# ---------------------------------------------------------------------------
# Never serve invalid data; YAML errors at the broken line
# ---------------------------------------------------------------------------

import os  # noqa: E402
import shutil  # noqa: E402

REPO = Path(__file__).parents[1]
DANGLING = Path(__file__).parent / "data" / "hardening" / "barare-finns-inte.yaml"


def project_with(tmp_path, extra: Path) -> Path:
    """A copy of the project's data with one more file, read through ANSVARSGRAF_HOME."""
    home = tmp_path / "projekt"
    shutil.copytree(REPO / "data", home / "data")
    for folder in ("ontology", "queries"):
        (home / folder).symlink_to(REPO / folder)
    shutil.copy(extra, home / "data" / "organisations" / extra.name)
    return home


def cli(home: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    env = {**os.environ, "ANSVARSGRAF_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, "-m", "ansvarsgraf.cli", *args], capture_output=True, text=True, env=env,
                          timeout=timeout)


def test_serve_prepare_and_load_refuse_data_with_a_dangling_bearer(tmp_path):
    """Issue 13 item 7: serve started on such data and showed a bearer that does not exist."""
    home = project_with(tmp_path, DANGLING)
    where = "data/organisations/barare-finns-inte.yaml:12"
    from server import free_port

    served = cli(home, "serve", "--port", str(free_port()))
    assert served.returncode == 1, served.stderr[-2000:]
    assert "servern startas inte" in served.stderr and where in served.stderr
    assert "timra-namnd-som-inte-finns" in served.stderr and "Uvicorn running" not in served.stderr
    multi = cli(home, "serve", "--port", str(free_port()), "--workers", "2")
    assert multi.returncode == 1 and where in multi.stderr
    prepared = cli(home, "prepare", str(tmp_path / "lager"), "--utan-svar")
    assert prepared.returncode == 1 and where in prepared.stderr and "lagret byggs inte" in prepared.stderr
    assert not (tmp_path / "lager").exists()
    # serve --endpoint answers from what `load` published: load refuses it before it sends
    # anything (nothing listens on port 9; a load that tried would fail on the connection).
    published = cli(home, "load", "--endpoint", "http://127.0.0.1:9/sparql", "--update-endpoint", "http://127.0.0.1:9/update")
    assert published.returncode == 1 and where in published.stderr and "inget har publicerats" in published.stderr


BREAKS_ON_LINE_10 = {
    "citattecknet stängs aldrig, en rad senare står ett annat": ('  namn: "C', '  beskrivning: "x"'),
    "citattecknet stängs aldrig": ('  namn: "C', None),
    "kolon saknas": ("  namn C", None),
    "indraget en kolumn för kort": (" namn: C", None),
    "ett listtecken mitt i noden": ("  - namn: C", None),
    "öppen hakparentes": ("  namn: [C", None),
    "tabb som indrag": ("\tnamn: C", None),
}


@pytest.mark.parametrize("broken,later", BREAKS_ON_LINE_10.values(), ids=BREAKS_ON_LINE_10.keys())
def test_a_yaml_syntax_error_is_reported_at_the_broken_line(tmp_path, broken, later):
    """Issue 13 item 7: a break on line 10 was reported at lines 8 and 16."""
    from ansvarsgraf.dataset import load_data
    from ansvarsgraf.errors import DataLoadError

    lines = ["- id: fx-a", "  typ: Forum", "  namn: A", "  källa: kalla-timra-2020", "- id: fx-b", "  typ: Forum",
             "  namn: B", "- id: fx-c", "  typ: Forum", broken, "  källa: kalla-timra-2020", "- id: fx-d",
             "  typ: Forum", "  namn: D", "  källa: kalla-timra-2020", later or "  namn: E", "- id: fx-e", "  typ: Forum"]
    path = tmp_path / "trasig.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataLoadError) as caught:
        load_data([path])
    [error] = caught.value.errors
    assert error.line == 10, str(error)
    assert "YAML-syntaxfel" in error.message


def test_an_unreachable_sparql_server_is_a_503_with_retry_after(caplog):
    """With an external store down, every route says so (503, Retry-After) instead of a 500,
    and neither the page nor the JSON names the server's internal address."""
    from server import free_port

    from ansvarsgraf.remote_store import SparqlEndpointStore
    from ansvarsgraf.web.app import create_app

    address = f"http://127.0.0.1:{free_port()}/sparql"
    client = TestClient(create_app(SparqlEndpointStore(address)), raise_server_exceptions=False)
    with caplog.at_level(logging.WARNING):
        responses = [client.get("/api/answer", params={"uppgift": "kalla-till-sip", "kommun": "timra-kommun"}),
                     client.get("/svar", params={"uppgift": "kalla-till-sip", "kommun": "timra-kommun"}),
                     client.get("/api/kommuner")]
    for response in responses:
        assert response.status_code == 503 and int(response.headers["retry-after"]) >= 1, response.text
        assert "Försök igen" in response.text and "127.0.0.1" not in response.text
    assert "kunde inte nås" in caplog.text or "svarade inte" in caplog.text  # the operator is told, in the log
    spec = client.get("/openapi.json").json()
    assert "503" in spec["paths"]["/api/answer"]["get"]["responses"]


def test_a_sparql_server_that_refuses_the_query_is_a_502_saying_so(caplog):
    """A reachable server that answers every query with 400 (an engine that cannot run our
    SPARQL) is not "down": the route says the store could not answer (502, no Retry-After,
    no address, no engine text), and the log names the route template, not the request."""
    import http.server
    import threading

    from ansvarsgraf.remote_store import SparqlEndpointStore
    from ansvarsgraf.web.app import create_app

    class Refuses(http.server.BaseHTTPRequestHandler):
        def _refuse(self):
            body = b"Virtuoso 37000 Error SP030: secret engine text"
            self.send_response(400)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _refuse

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refuses)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        address = f"http://127.0.0.1:{server.server_address[1]}/sparql"
        client = TestClient(create_app(SparqlEndpointStore(address)), raise_server_exceptions=False)
        with caplog.at_level(logging.WARNING):
            api = client.get("/api/answer", params={"uppgift": "kalla-till-sip", "kommun": "timra-kommun"})
            page = client.get("/svar", params={"uppgift": "kalla-till-sip", "kommun": "timra-kommun"})
    finally:
        server.shutdown()
    assert api.status_code == 502 and api.json() == {"fel": "Grafens lager kunde inte svara på frågan."}
    assert page.status_code == 502 and "text/html" in page.headers["content-type"]
    assert "kunde inte svara" in page.text
    for response in (api, page):
        assert "retry-after" not in response.headers
        assert "127.0.0.1" not in response.text and "secret engine text" not in response.text
    assert "vägrade frågan" in caplog.text and "kunde inte nås" not in caplog.text
    assert "timra-kommun" not in "".join(r.getMessage() for r in caplog.records if "vägrade frågan" in r.getMessage())
