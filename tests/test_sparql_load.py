"""Public SPARQL cannot stall the service (issue 13, item 2), against the real `ansvarsgraf
serve` on loopback: slow queries run in bounded, killable workers off the event loop, and
requests beyond the pool are turned away at once. Not timed: the speed figure is printed by
benchmarks/run.py; here every wait only has a generous bound so a stall fails the test."""

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from ansvarsgraf.sparql_endpoint import DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT_S, MAX_WORKERS
from server import running_server

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("serve") / "serve.log") as url:
        yield url


def _get(url: str, timeout: float = 60) -> tuple[int, dict, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read().decode()


def _sparql(base: str, query: str, timeout: float = 60):
    return _get(f"{base}/sparql?{urllib.parse.urlencode({'query': query})}", timeout)


def test_the_limits_are_ten_seconds_and_ten_thousand_rows():
    assert (DEFAULT_TIMEOUT_S, DEFAULT_MAX_ROWS, MAX_WORKERS) == (10.0, 10_000, 2)


def test_while_two_slow_queries_run_answers_come_and_a_third_query_is_turned_away(base):
    slow = []
    threads = [threading.Thread(target=lambda: slow.append(_sparql(base, SLOW))) for _ in range(MAX_WORKERS)]
    for thread in threads:
        thread.start()
    time.sleep(2)  # both have their worker by now (a worker starts in milliseconds)
    started = time.monotonic()
    status, _, body = _get(f"{base}/api/answer?uppgift=kalla-till-sip&kommun=timra&datum=2026-03-01", timeout=5)
    assert status == 200 and "duties" in body
    assert time.monotonic() - started < 5
    status, headers, body = _sparql(base, "ASK { ?s ?p ?o }", timeout=5)
    assert status == 503 and int(headers["retry-after"]) > 0 and "försök igen" in json.loads(body)["fel"]
    for thread in threads:
        thread.join(60)
    assert [s for s, _, _ in slow] == [503] * MAX_WORKERS  # both ran to the time limit …
    assert all("10 sekunder" in json.loads(b)["fel"] for _, _, b in slow)  # the default time limit
    assert _sparql(base, "ASK { ?s ?p ?o }")[0] == 200  # … and freed their places


def test_a_huge_expression_is_stopped_by_the_time_limit_without_freezing_the_server(base):
    huge = "SELECT * WHERE { ?s ?p ?o FILTER(" + "+".join(["1"] * 9900) + ") } LIMIT 1"
    done = []
    thread = threading.Thread(target=lambda: done.append(_sparql(base, huge)))
    thread.start()
    time.sleep(1)
    status, _, _ = _get(f"{base}/api/kommuner", timeout=5)  # served while the expression is parsed
    assert status == 200
    thread.join(60)
    assert done[0][0] in (400, 503) and "fel" in json.loads(done[0][2])
