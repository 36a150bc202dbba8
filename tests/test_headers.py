"""Security headers on every response of every route (read from the app), refusals and
errors included; long caching only for static files under their content-hashed URL."""

import hashlib
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from routes import fill_path, routes_of_the_app

STATIC = Path(__file__).parents[1] / "src" / "ansvarsgraf" / "web" / "static"
# A valid value per parameter name, so each route answers normally.
VALID = {"uppgift": "kalla-till-sip", "kommun": "timra-kommun", "kommun2": "perstorp-kommun", "datum": "2026-03-01",
         "nod": "kalla-till-sip", "name": "overenskommelser", "lista": "dokument", "path": "timra-socialnamnden",
         "sfs": "2025:400", "anchor": "K19P5", "scenario_id": "scenario-skolan-orolig", "fraga": "vem kallar till SIP",
         "query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"}


@pytest.fixture(scope="module")
def client(embedded):
    """Headers are set by the middleware, whichever store answers: one store suffices."""
    from ansvarsgraf.web.app import create_app

    return TestClient(create_app(embedded), raise_server_exceptions=False)


def assert_security_headers(response, where: str):
    h = response.headers
    csp = dict(part.strip().split(" ", 1) for part in h["content-security-policy"].split(";"))
    assert csp["default-src"] == "'none'" and csp["script-src"] == "'self'" and csp["style-src"] == "'self'", where
    assert csp["frame-ancestors"] == "'none'" and csp["base-uri"] == "'none'", where
    assert "unsafe" not in h["content-security-policy"], where
    assert h["x-content-type-options"] == "nosniff" and h["referrer-policy"] == "no-referrer", where


def requests(route):
    method, template, query, form, model = route
    path = fill_path(template.replace("/static/{path}", "/static/app.css"), VALID)
    kwargs = {"params": {k: VALID[k] for k in query if k in VALID}}
    if method == "POST":
        if form:
            kwargs["data"] = {k: VALID[k] for k in form if k in VALID}
        elif model is not None:
            kwargs["json"] = {"fraga": VALID["fraga"], "kommun": "Timrå"}
        else:
            kwargs["data"] = {"query": VALID["query"]}
    return method, path, kwargs


@pytest.mark.parametrize("route", routes_of_the_app(None), ids=lambda r: f"{r[0]} {r[1]}")
def test_every_route_sends_the_security_headers_and_no_store(client, route):
    method, path, kwargs = requests(route)
    for response in (client.request(method, path, follow_redirects=False, **kwargs),
                     client.request(method, path, params={"kommun": "121212-1212"}),  # refused by the privacy screen
                     client.request(method, path + "/finns/inte/alls")):  # 404 or 405 from routing
        where = f"{method} {response.request.url} {response.status_code}"
        assert response.status_code < 500, where
        assert_security_headers(response, where)
        if not path.startswith("/static/"):
            assert response.headers["cache-control"] == "no-store", where


def test_answers_and_questions_are_never_stored(client):
    answer = client.post("/fraga", data={"fraga": "vem kallar till SIP", "kommun": "timra-kommun"}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["cache-control"] == "no-store"
    for response in (client.get(answer.headers["location"]), client.post("/api/ask", json={"fraga": "vem kallar till SIP", "kommun": "Timrå"}),
                     client.get("/api/answer", params={"uppgift": "kalla-till-sip", "kommun": "timra-kommun"})):
        assert response.status_code == 200 and response.headers["cache-control"] == "no-store"


def test_static_files_are_cached_long_only_under_their_content_hash(client):
    page = client.get("/utforska", params={"nod": "kalla-till-sip", "kommun": "timra-kommun"}).text
    linked = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    assert {"app.css", "app.js", "explore.js", "cytoscape.min.js", "explore.css", "cytoscape-dagre.min.js"} <= {
        re.sub(r"\.[a-p]{16}(\.\w+)$", r"\1", url.rsplit("/", 1)[1]) for url in linked}
    for url in linked:
        name = re.sub(r"\.([a-p]{16})(\.\w+)$", r"\2", url.removeprefix("/static/"))
        fingerprint = re.search(r"\.([a-p]{16})\.\w+$", url).group(1)
        content = (STATIC / name).read_bytes()
        expected = hashlib.sha256(content).hexdigest()[:16].translate(str.maketrans("0123456789abcdef", "abcdefghijklmnop"))
        assert fingerprint == expected, url  # the URL changes when the file does
        response = client.get(url)
        assert response.status_code == 200 and response.content == content
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert_security_headers(response, url)
        plain = client.get("/static/" + name)
        assert plain.status_code == 200 and plain.headers["cache-control"] == "no-cache"
    stale = client.get("/static/app.aaaaaaaaaaaaaaaa.css")
    assert stale.status_code == 404 and stale.headers["cache-control"] == "no-store"


def test_no_template_has_inline_script_or_event_handler_attributes():
    """The CSP forbids them; a template that adds one would silently break in the browser."""
    templates = STATIC.parent / "templates"
    for template in templates.glob("*.html"):
        text = re.sub(r"{#.*?#}", "", template.read_text(encoding="utf-8"), flags=re.S)
        scripts = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", text)
        assert not scripts, (template.name, scripts)
        assert not re.search(r"\son[a-z]+\s*=", text), template.name
        assert not re.search(r"\sstyle\s*=", text), template.name
        # Standalone reports written to a file by the CLI (never served) carry their own CSS.
        if template.name not in ("gaps_report.html", "raci_report.html", "changes_report.html"):
            assert "<style" not in text, template.name
