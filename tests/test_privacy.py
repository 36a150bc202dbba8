"""Identity numbers are recognised in every form staff write them, and ordinary numbers
(dates, law references, organisation and phone numbers) are not mistaken for them."""

import pytest
from fastapi.testclient import TestClient
from personnummer import personnummer

from ansvarsgraf.privacy import PersonalDataError, contains_identity_number, refuse_identity_numbers


REFUSED = [
    # personnummer, correct check digit: 10 and 12 digits, with -, + or nothing
    "121212-1212", "121212+1212", "1212121212", "20121212-1212", "19121212+1212", "201212121212",
    # samordningsnummer (day + 60), correct check digit
    "121272-1219", "121272+1219", "1212721219", "20121272-1219", "201212721219",
    # mistyped check digit, written as an identity number: still personal data
    "121212-1213", "19121272+1212", "201212121213", "121212 1213", "121212 - 1213",
]

PASSED = [
    "991399-1234",      # month 13: no birth date, wrong check digit (issue 20: this gave a 500)
    "1212121213",       # ten bare digits with a wrong check digit: not told apart from other numbers
    "0701234567",       # a phone number
    "212000-1355",      # an organisation number (month 20)
    "2026-03-01", "SFS 2001:453", "19 kap. 5 § SoL", "1700000000", "dnr 2024-1234", "kalla-timra-2020",
]


@pytest.mark.parametrize("number", REFUSED)
def test_identity_numbers_are_recognised_in_every_form(number):
    assert contains_identity_number(f"vem kallar till SIP för {number}?")
    with pytest.raises(PersonalDataError):
        refuse_identity_numbers(number)


@pytest.mark.parametrize("text", PASSED)
def test_other_numbers_pass(text):
    assert not contains_identity_number(f"vem kallar till SIP, {text}")
    refuse_identity_numbers(text)


def test_the_check_digit_decides_for_bare_ten_digits():
    """The library's check really runs: the same bare digits are refused with the right
    check digit and passed with a wrong one."""
    assert contains_identity_number("1212721219") and not contains_identity_number("1212721218")
    assert contains_identity_number("1901011237") and not contains_identity_number("1901011238")


# Boundary days of the date rule, each written as an identity number with a wrong check
# digit, so that only the date decides (the library's check is asserted to say no).
POSSIBLE_DATES = ["120101-0000", "121231-0000", "121261-0000", "121291-0000", "120131-0000", "120161-0000"]
IMPOSSIBLE_DATES = ["120001-0000", "121301-0000", "121200-0000", "121232-0000", "121260-0000", "121292-0000"]


@pytest.mark.parametrize("number", POSSIBLE_DATES)
def test_a_mistyped_number_on_the_first_or_last_possible_day_or_month_is_refused(number):
    """Months 1 and 12, days 1 and 31, coordination days 61 and 91: all possible birth dates."""
    assert not personnummer.valid(number)
    assert contains_identity_number(f"vem kallar till SIP för {number}")


@pytest.mark.parametrize("number", IMPOSSIBLE_DATES)
def test_a_number_just_outside_the_possible_days_or_months_passes(number):
    """Month 0 or 13, day 0, 32, 60 or 92 is no birth or coordination day: a case or
    reference number written with a dash is not refused."""
    assert not personnummer.valid(number)
    assert not contains_identity_number(f"ärende {number}")


@pytest.mark.parametrize("century", ["18", "19", "20"])
def test_twelve_digits_from_a_birth_century_are_refused_even_with_a_wrong_check_digit(century):
    number = f"{century}1212121213"
    assert not personnummer.valid(number)
    assert contains_identity_number(f"vem kallar till SIP för {number}")


def test_twelve_digits_from_another_century_with_a_wrong_check_digit_pass():
    assert not contains_identity_number("löpnummer 211212121213")


def test_one_identity_number_among_other_numbers_is_found():
    assert contains_identity_number("dnr 2024-1234, tel 0701234567, barnet 121212-1212")
    assert not contains_identity_number("dnr 2024-1234, tel 0701234567")


def test_the_refusal_tells_the_user_in_swedish_to_remove_the_number_and_ask_again():
    """The message the page, the API and the command line show (str of the error)."""
    message = str(PersonalDataError())
    assert message.startswith("Frågan innehåller något som ser ut som ett personnummer eller samordningsnummer.")
    assert "Ta bort det och fråga igen" in message


@pytest.fixture(scope="module")
def client(embedded):
    """The privacy screen is middleware, in front of whichever store: one store suffices."""
    from ansvarsgraf.web.app import create_app

    return TestClient(create_app(embedded))


def test_a_number_that_is_not_an_identity_number_is_answered_not_a_500(client):
    """Issue 20: 'vem kallar till SIP för 991399-1234' crashed /api/ask and /fraga."""
    question = "vem kallar till SIP för 991399-1234"
    response = client.post("/api/ask", json={"fraga": question, "kommun": "Timrå", "datum": "2026-03-01"})
    assert response.status_code == 200, response.text
    assert response.json()["tasks"][0]["iri"].endswith("kalla-till-sip")
    page = client.post("/fraga", data={"fraga": question, "kommun": "Timrå", "datum": "2026-03-01"}, follow_redirects=False)
    assert page.status_code == 303 and "uppgift=kalla-till-sip" in page.headers["location"]


@pytest.mark.parametrize("number", ["121212-1212", "1212721219", "201212121213"])
def test_an_identity_number_in_a_question_is_refused_without_echo(client, number):
    response = client.post("/api/ask", json={"fraga": f"vem kallar till SIP för {number}", "kommun": "Timrå"})
    assert response.status_code == 422 and "personnummer" in response.json()["fel"]
    page = client.post("/fraga", data={"fraga": f"vem kallar till SIP för {number}", "kommun": "Timrå"})
    assert page.status_code == 422 and "personnummer" in page.text
    for text in (response.text, page.text):
        assert number not in text and number.replace("-", "") not in text



def _sparql_escaped(number: str, long_form: bool) -> str:
    return "".join((f"\\U{ord(c):08X}" if long_form else f"\\u{ord(c):04X}") if c.isdigit() else c for c in number)


@pytest.mark.parametrize("number", ["121212-1212", "1212721219", "201212121213"])
def test_an_identity_number_written_with_sparql_escapes_is_refused_without_echo(client, number):
    """The screen before routing reads the text as sent; SPARQL turns \\u0031 into 1 before
    the query runs, so a number written that way came back in the result (200)."""
    for long_form in (False, True):
        query = f'SELECT ?x WHERE {{ BIND("{_sparql_escaped(number, long_form)}" AS ?x) }}'
        for response in (client.get("/sparql", params={"query": query}),
                         client.post("/sparql", data={"query": query}),
                         client.post("/sparql", content=query.encode(), headers={"Content-Type": "application/sparql-query"})):
            assert response.status_code == 422 and "personnummer" in response.json()["fel"], response.text
            assert number not in response.text and number.replace("-", "") not in response.text
    ordinary = client.get("/sparql", params={"query": 'SELECT ?x WHERE { BIND("\\u00e5r 2026" AS ?x) }'})
    assert ordinary.status_code == 200 and ordinary.json()["results"]["bindings"][0]["x"]["value"] == "år 2026"

# ---------------------------------------------------------------------------
# Every field of every route, against the real server and its real log
# ---------------------------------------------------------------------------

import http.client  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
from urllib.parse import quote, urlencode  # noqa: E402

from routes import fill_path, path_params, routes_of_the_app  # noqa: E402
from server import running_server  # noqa: E402

NUMBERS = ["121212-1212", "20121212-1212", "1212721219", "121212+1212", "20121272-1219", "121212-1213"]
CHILD = "Kalle Kullaberg i klass 4B"
QUESTION = f"Vem kallar till SIP för {CHILD}?"
# Fields no route declares, sent too: a route added later that reads them must be screened.
EXTRA_FIELDS = ["q", "fraga", "kommun", "datum", "uppgift", "nod", "query", "format"]


def requests_with(value: str, routes) -> list[tuple]:
    """(method, raw path, headers, body) with the value in one field at a time: each path
    parameter, each declared and extra query parameter, each form or JSON field, the cookie."""
    sent = []
    for method, template, query, form, model in routes:
        plain = fill_path(template, {})
        for name in path_params(template):
            sent.append((method, fill_path(template, {name: quote(value, safe="")}), {}, b""))
        for name in dict.fromkeys(query + EXTRA_FIELDS):
            sent.append((method, plain + "?" + urlencode({name: value}), {}, b""))
        sent.append((method, plain, {"Cookie": "kommun=" + quote(value)}, b""))
        if method == "POST":
            for name in dict.fromkeys(form + EXTRA_FIELDS):
                sent.append((method, plain, {"Content-Type": "application/x-www-form-urlencoded"},
                             urlencode({name: value}).encode()))
            fields = list(model.model_fields) if model is not None else EXTRA_FIELDS
            for name in fields:
                sent.append((method, plain, {"Content-Type": "application/json"},
                             json.dumps({f: (value if f == name else "Timrå") for f in fields}).encode()))
            sent.append((method, plain, {"Content-Type": "application/sparql-query"},
                         f'SELECT * WHERE {{ ?s ?p "{value}" }}'.encode()))
    return sent


def send(base: str, method: str, path: str, headers: dict, body: bytes):
    host, port = base.split("//")[1].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read().decode("utf-8", errors="replace")
    finally:
        connection.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    log = tmp_path_factory.mktemp("privacy") / "serve.log"
    with running_server(log) as base:
        yield base, log


def settled_length(log) -> int:
    """The log's line count once the server has written the lines of earlier requests (it
    writes each just after its response has gone out)."""
    import time

    size, since = -1, time.monotonic()
    while time.monotonic() - since < 0.5:
        if log.stat().st_size != size:
            size, since = log.stat().st_size, time.monotonic()
        time.sleep(0.05)
    return len(log.read_text(errors="replace").splitlines())


def log_after(log, before: int, wanted: int) -> list[str]:
    """The log lines written after line `before`, once there are `wanted` access lines (the
    server writes its line just after the response has gone out)."""
    import time

    deadline = time.monotonic() + 10
    while True:
        lines = log.read_text(errors="replace").splitlines()[before:]
        if sum("ansvarsgraf.access" in line for line in lines) >= wanted or time.monotonic() > deadline:
            return lines


def spellings(number: str) -> set[str]:
    digits = number.replace("-", "").replace("+", "")
    return {number, digits, digits[-10:], quote(number), number.replace("-", "%2D")}


def test_an_identity_number_in_any_field_of_any_route_is_refused_and_never_logged_or_echoed(served, embedded):
    base, log = served
    before = settled_length(log)
    routes = routes_of_the_app(embedded)
    assert {"/api/ask", "/fraga", "/sparql", "/id/{path:path}", "/utforska"} <= {r[1] for r in routes}
    count = 0
    for number in NUMBERS:
        for method, path, headers, body in requests_with(number, routes):
            status, response_headers, text = send(base, method, path, headers, body)
            count += 1
            where = f"{method} {path} {headers} {body[:80]!r}"
            assert status == 422, where
            assert "personnummer" in text, where
            echoed = text + " ".join(f"{k}: {v}" for k, v in response_headers)
            assert not any(s in echoed for s in spellings(number)), where
    lines = log_after(log, before, count)
    written = "\n".join(lines)
    assert not any(s in written for n in NUMBERS for s in spellings(n))
    assert len(lines) == count and all(" 422 " in line for line in lines)


def test_question_text_and_names_are_never_logged(served, embedded):
    """Issue 20: the question is processed but never written to the log, for the page and
    for /api/ask, nor is a name sent in any other field."""
    base, log = served
    status, headers, _ = send(base, "POST", "/fraga", {"Content-Type": "application/x-www-form-urlencoded"},
                              urlencode({"fraga": QUESTION, "kommun": "Timrå", "datum": "2026-03-01"}).encode())
    assert status == 303 and "uppgift=kalla-till-sip" in {k.lower(): v for k, v in headers}["location"]
    status, _, text = send(base, "POST", "/api/ask", {"Content-Type": "application/json"},
                           json.dumps({"fraga": QUESTION, "kommun": "Timrå", "datum": "2026-03-01"}).encode())
    assert status == 200 and "kalla-till-sip" in text
    statuses = [send(base, *request)[0] for request in requests_with(CHILD, routes_of_the_app(embedded))]
    assert not [s for s in statuses if s >= 500]
    written = log.read_text(errors="replace")
    assert "uppgift=kalla-till-sip" in written  # the resolved task is logged, the question is not
    for fragment in ("Kalle", "Kullaberg", "klass 4B", "SIP för", "kallar till"):
        assert fragment not in written


ACCESS_LINE = re.compile(r"^\S+ \S+ ansvarsgraf\.access (GET|POST|PUT|DELETE|PATCH|OPTIONS|HEAD) (\S+) \d{3} [\d.]+ms( uppgift=[a-z0-9-]+)?$")


def test_the_access_log_writes_route_templates_one_line_per_request(served, embedded):
    """A CR, LF or NUL in the path cannot forge a log line; the requested path and query
    string are never written, only the route's declared template."""
    from ansvarsgraf.web.middleware import all_routes
    from ansvarsgraf.web.app import create_app

    base, log = served
    before = settled_length(log)
    forged = ["/id/a%0d%0a2026-01-01%20ansvarsgraf.access%20GET%20/falsk%20200", "/id/%00", "/id/%0a", "/svar?kommun=a%0d%0ab",
              "/finns-inte%0a/alls", "/id/ab%E2%80%A8cd", "/lagrum/a%00/b"]
    for path in forged:
        status, _, _ = send(base, "GET", path, {}, b"")
        assert status < 500, path
    lines = log_after(log, before, len(forged))
    access = [line for line in lines if "ansvarsgraf.access" in line]
    assert len(access) == len(forged) and len(lines) == len(forged), lines
    templates = {getattr(r, "path", "") for r in all_routes(create_app(embedded))} | {"/static/{path}", "-"}
    for line in access:
        match = ACCESS_LINE.match(line)
        assert match and match.group(2) in templates, line
    assert "falsk" not in "\n".join(lines) and "\0" not in "\n".join(lines)
