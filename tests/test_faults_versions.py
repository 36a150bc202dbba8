"""Faults on loopback, continued (tests/test_faults.py has the rest): what one request reads
while a publish switches versions under it, and what the API does with a slow store.

- Every query of one request (one answer, one page) reads the same data version, even when a
  publish switches the version between two of its queries.
- With the store 5 s slow, the catalog and cached answers answer at once; requests that need
  the store get a Swedish 503 with Retry-After once their time for the store is spent, never
  a 500 and never later than that.
"""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import rdflib

from ansvarsgraf.publish import Publisher
from ansvarsgraf.remote_store import SparqlEndpointStore
from test_faults import CACHED, ROUTINE, UNCACHED, assert_degrades_well, get

pytestmark = pytest.mark.timeout(120)


class KeepsOldVersion(Publisher):
    """Publishes as `load` does but leaves the superseded version on the server, as it stays
    during the grace time in which API processes move over: both can be read."""

    def _clean(self, *args, **kwargs):
        pass


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory, loaded):
    """An Oxigraph server with two whole versions of the data on it: A (data/ and a routine
    named "Rutin A") and B ("Rutin B"); yields the endpoints and each version's marker."""
    from ansvarsgraf.dataset import LoadedData
    from sparql_servers import oxigraph_server, publisher

    with oxigraph_server(tmp_path_factory.mktemp("two-versions")) as endpoints:
        versions = {}
        for version in ("A", "B"):
            graph = rdflib.Graph()  # the file that tells the versions apart
            graph.add((rdflib.URIRef(f"https://w3id.org/ansvarsgraf/id/{ROUTINE}"), rdflib.SKOS.prefLabel, rdflib.Literal(f"Rutin {version}")))
            data = LoadedData(files={**loaded.files, "felprov.yaml": graph}, ontology=loaded.ontology)
            KeepsOldVersion(publisher(endpoints), say=lambda _: None).publish(data)
            versions[version] = SparqlEndpointStore(endpoints["query"]).current_version()
        yield endpoints, versions


def switch_to(endpoints: dict, version) -> None:
    """The one write that makes a version current (publish.py ends with it)."""
    from sparql_servers import publisher

    publisher(endpoints).mark_published(version.parts, version.version, union=version.union)


def routine_names(store) -> list[str]:
    rows = store.select(f"SELECT ?n WHERE {{ <https://w3id.org/ansvarsgraf/id/{ROUTINE}> "
                        f"<http://www.w3.org/2004/02/skos/core#prefLabel> ?n }}")
    return sorted(str(r["n"]) for r in rows)


def test_the_queries_of_one_reading_read_the_version_it_began_with(two_versions):
    endpoints, versions = two_versions
    switch_to(endpoints, versions["A"])
    reader = SparqlEndpointStore(endpoints["query"])
    reader.version_check_s = 0  # it looks at the marker before every query
    with reader.reading():
        assert routine_names(reader) == ["Rutin A"]
        switch_to(endpoints, versions["B"])  # a publish lands between two queries
        assert routine_names(reader) == ["Rutin A"]
        assert reader.data_version() == versions["A"].version
    assert routine_names(reader) == ["Rutin B"]  # the next reading sees the new version
    assert reader.data_version() == versions["B"].version


class SwitchedUnderEveryQuery(SparqlEndpointStore):
    """A store whose current version is switched (A ↔ B) after every query a web request
    sends, and which records the dataset (default graph) each such query was sent with."""

    def __init__(self, endpoints, versions):
        super().__init__(endpoints["query"])
        self.version_check_s = 0
        self.endpoints, self.versions, self.read = endpoints, versions, []

    def _in_request(self, dataset: bool) -> bool:
        reading = self._reading()  # a web request's has a time budget; start-up's has none
        return dataset and reading is not None and reading.deadline is not None

    def _client(self, url, dataset=False):
        client = super()._client(url, dataset)
        if self._in_request(dataset):
            self.read.append(tuple(client.parameters.get("default-graph-uri", [])))
        return client

    def _json(self, query, dataset=True):
        try:
            return super()._json(query, dataset)
        finally:
            if self._in_request(dataset):
                switch_to(self.endpoints, self.versions["B" if len(self.read) % 2 else "A"])


def test_every_query_of_one_request_reads_one_version_though_publishes_land_between_them(two_versions):
    """An answer: eight queries, a new version after each."""
    from fastapi.testclient import TestClient

    from ansvarsgraf.catalog import catalog_for
    from ansvarsgraf.web.app import create_app

    endpoints, versions = two_versions
    switch_to(endpoints, versions["A"])
    store = SwitchedUnderEveryQuery(endpoints, versions)
    catalog_for(store)  # the catalog of A, built as at start-up
    response = TestClient(create_app(store)).get(CACHED)
    assert response.status_code == 200, response.text[:300]
    assert len(store.read) > 1  # the request did send several queries
    assert len(set(store.read)) == 1, sorted(set(store.read))


def test_with_a_5_s_store_delay_cached_answers_answer_at_once_and_the_rest_get_503_in_bounded_time(two_versions, tmp_path,
                                                                                                   monkeypatch):
    from server import running_server
    from sparql_servers import DelayingProxy

    endpoints, versions = two_versions
    switch_to(endpoints, versions["B"])
    budget_s = 2
    monkeypatch.setenv("ANSVARSGRAF_VERSION_CHECK_S", "1")
    monkeypatch.setenv("ANSVARSGRAF_STORE_REQUEST_S", str(budget_s))  # one request's time for the store
    proxy = DelayingProxy(endpoints["port"])
    try:
        with running_server(tmp_path / "serve.log", "--endpoint", f"http://127.0.0.1:{proxy.port}/query") as base:
            assert get(base, CACHED, 60)[0] == 200  # now cached
            proxy.delay_s = 5
            # (Answers, pages, gap reports; /sparql and /api/fragor have their own limit, 10 s.)
            needing_store = UNCACHED[:3] * 2
            with ThreadPoolExecutor(len(needing_store)) as pool:
                waiting = [pool.submit(get, base, path, 15) for path in needing_store]
                time.sleep(0.3)
                served = [(path, *get(base, path, 5)) for path in ["/api/kommuner", CACHED, "/static/app.css"] * 4]
                refused = [(path, *future.result()) for path, future in zip(needing_store, waiting)]
        for path, status, _, _, seconds in served:
            assert status == 200 and seconds < 1.0, (path, status, seconds)
        for path, status, headers, body, seconds in refused:
            assert status == 503 and seconds < budget_s + 1.5, (path, status, seconds)
            assert_degrades_well(status, headers, body, endpoints["port"])
    finally:
        proxy.close()
    assert "Traceback" not in (tmp_path / "serve.log").read_text()


# --- publishing in place (Virtuoso 7.2.5: readers read the union of all graphs) ----------

FILES = 20  # per data set: enough requests for a reader to look in between
MARK = "urn:ansvarsgraf:felprov#dataset"


def small_data_set(name: str):
    """FILES files, each saying which data set it belongs to, with some bulk."""
    import rdflib

    from ansvarsgraf.dataset import LoadedData

    files = {}
    for number in range(FILES):
        graph = rdflib.Graph()
        node = rdflib.URIRef(f"urn:ansvarsgraf:felprov:fil{number}")
        graph.add((node, rdflib.URIRef(MARK), rdflib.Literal(name)))
        for filler in range(200):
            graph.add((node, rdflib.URIRef(f"urn:ansvarsgraf:felprov#p{filler}"), rdflib.Literal(f"{name}{filler}")))
        files[f"felprov/fil{number}.yaml"] = graph
    return LoadedData(files=files)


class InPlaceReader:
    """Reads, over and over as an API process does (one reading per request), which data set
    each file says it belongs to: one data set whole, or 'hållen' when told to wait."""

    def __init__(self, store):
        import threading

        self.store, self.seen, self._running = store, [], True
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from ansvarsgraf.errors import StoreUnavailable

        while self._running:
            try:
                with self.store.reading():
                    rows = self.store.select(f"SELECT ?v WHERE {{ ?fil <{MARK}> ?v }}")
                names = sorted(str(r["v"]) for r in rows)
                self.seen.append(names[0] if len(set(names)) == 1 and len(names) == FILES else f"blandat {names}")
            except StoreUnavailable as exc:
                self.seen.append("hållen" if "publiceras" in exc.message else f"fel: {exc.message}")
                time.sleep(0.05)

    def stop(self) -> list[str]:
        self._running = False
        self._thread.join()
        return self.seen


@pytest.mark.parametrize("server_kind", ["oxigraph-server", "virtuoso"])
def test_a_publish_in_place_is_never_seen_half_done(server_kind, tmp_path, monkeypatch):
    """Readers see the old data set or the new one, whole, or are told to come back (503),
    while every file's graph is replaced where they read (load --pa-plats)."""
    from contextlib import ExitStack

    from sparql_servers import oxigraph_server, publisher, virtuoso_server

    monkeypatch.setenv("ANSVARSGRAF_VERSION_CHECK_S", "0.5")  # readers look at the marker this often
    monkeypatch.setenv("ANSVARSGRAF_VERSION_GRACE_S", "2")
    with ExitStack() as stack:
        endpoints = stack.enter_context((oxigraph_server if server_kind == "oxigraph-server" else virtuoso_server)(tmp_path))
        Publisher(publisher(endpoints), say=lambda _: None, in_place=True).publish(small_data_set("A"))
        reader = InPlaceReader(SparqlEndpointStore(endpoints["query"]))
        time.sleep(0.5)
        said = []
        Publisher(publisher(endpoints), say=said.append, in_place=True).publish(small_data_set("B"))
        time.sleep(1.0)  # readers follow the switch
        seen = reader.stop()
    order = [s for i, s in enumerate(seen) if i == 0 or s != seen[i - 1]]
    assert order == ["A", "hållen", "B"], order[:10]  # never a mix, never half, never another error
    assert any("bygger inga nya svar" in line for line in said)  # the operator is told


def test_a_publish_in_place_cut_off_midway_holds_readers_until_the_next_one_goes_through(tmp_path, monkeypatch):
    from ansvarsgraf.errors import StoreUnavailable
    from ansvarsgraf.remote_store import RemoteStoreError
    from sparql_servers import oxigraph_server, publisher

    class CutOff(Publisher):
        """Loses the server after a few files (the network, a restart)."""

        files = 0

        def renew(self):
            self.files += 1
            if self.files > FILES // 2:
                raise RemoteStoreError("SPARQL-servern svarade inte")

    monkeypatch.setenv("ANSVARSGRAF_VERSION_CHECK_S", "0.5")
    grace_s = 3
    monkeypatch.setenv("ANSVARSGRAF_VERSION_GRACE_S", str(grace_s))
    with oxigraph_server(tmp_path) as endpoints:
        Publisher(publisher(endpoints), say=lambda _: None, in_place=True).publish(small_data_set("A"))
        cut_off = CutOff(publisher(endpoints), say=lambda _: None, in_place=True)
        with pytest.raises(RemoteStoreError):
            cut_off.publish(small_data_set("B"))
        assert cut_off.readers_held  # what `load` tells the operator (cli.py)
        reader = SparqlEndpointStore(endpoints["query"])
        with pytest.raises(StoreUnavailable, match="publiceras"):  # half A, half B: not read
            reader.select(f"SELECT ?v WHERE {{ ?fil <{MARK}> ?v }}")
        said = []
        started = time.monotonic()
        Publisher(publisher(endpoints), say=said.append, in_place=True).publish(small_data_set("B"))
        assert time.monotonic() - started < grace_s  # readers are held already: no waiting again
        assert any("avbröts innan den blev klar" in line for line in said)
        reader = SparqlEndpointStore(endpoints["query"])
        assert [str(r["v"]) for r in reader.select(f"SELECT ?v WHERE {{ ?fil <{MARK}> ?v }}")] == ["B"] * FILES


# --- the circuit breaker and the bounded pool in front of the store (store_guard.py) -----

def test_the_breaker_opens_after_failures_refuses_at_once_and_closes_when_the_store_answers(monkeypatch):
    import threading

    from ansvarsgraf import store_guard
    from ansvarsgraf.errors import StoreUnavailable

    monkeypatch.setattr(store_guard, "PROBE_S", 0.05)
    up = threading.Event()

    def probe():
        if not up.is_set():
            raise StoreUnavailable()

    guard = store_guard.StoreGuard(probe)
    for _ in range(store_guard.FAILURES_TO_OPEN):
        with pytest.raises(StoreUnavailable), guard.call():
            raise StoreUnavailable()  # no connection, a timeout, a 5xx
    sent = []
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as refused, guard.call():
        sent.append("fråga")
    assert sent == [] and time.monotonic() - started < 0.1  # not even tried
    assert refused.value.retry_after_s >= 1
    up.set()  # the store is back: the probe in the background closes the breaker
    deadline = time.monotonic() + 5
    while guard.is_open:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    with guard.call():
        sent.append("fråga")
    assert sent == ["fråga"]


def test_a_full_pool_refuses_within_its_wait_and_takes_calls_again_when_one_returns(monkeypatch):
    import threading

    from ansvarsgraf import store_guard
    from ansvarsgraf.errors import StoreUnavailable

    monkeypatch.setenv(store_guard.CONNECTIONS_ENV, "2")
    monkeypatch.setattr(store_guard, "QUEUE_WAIT_S", 0.2)
    guard = store_guard.StoreGuard(lambda: None)
    slow_store_answers = threading.Event()
    inside = threading.Barrier(3)

    def slow_call():
        with guard.call():
            inside.wait(5)
            slow_store_answers.wait(5)

    callers = [threading.Thread(target=slow_call) for _ in range(2)]
    for caller in callers:
        caller.start()
    inside.wait(5)  # both slots taken
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match="upptaget"), guard.call():
        pass
    assert 0.15 < time.monotonic() - started < 1.0
    slow_store_answers.set()
    for caller in callers:
        caller.join(5)
    with guard.call():
        pass  # the slots are free again
    assert not guard.is_open  # a full pool is not a failing store
