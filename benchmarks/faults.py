"""Faults injected on loopback, with the figures issue 21 sets targets for.

Against a real Oxigraph server on 127.0.0.1 that this script starts:
1. `--runs` rounds of two publishers at once (data sets A and B, each publisher in its own
   process, started together) and `--runs` rounds of `kill -9` of a publisher at a random
   moment of its publishing; all the while a reader samples what API processes see. Counted:
   mixed versions (the two data sets' routine both visible) and half versions (a version whose
   whole graph has not the triples the data set has), during and after each round.
2. The store killed under a running `ansvarsgraf serve --endpoint`: p99 and maximum of every
   page and API call, and how many answered 500 (target: p99 ≤ 1 s, no 500).
3. A 60 s delay on every request to the store (a TCP proxy): p99 of /api/kommuner and of an
   answer already cached while requests that need the store wait (target: ≤ 100 ms).

    python benchmarks/faults.py [--runs 50] [--requests 200]

Publishers here are forked from one process that has read the data once (reading it takes
seconds; what is measured is the publishing), and run exactly the code `ansvarsgraf load` runs.
"""

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]
# `serve` runs in processes of its own: the same checkout's code, not an installed one.
os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])])
os.environ.setdefault("ANSVARSGRAF_VERSION_GRACE_S", "0.5")

from ansvarsgraf.dataset import load_data  # noqa: E402
from ansvarsgraf.publish import Publisher, PublishRefused  # noqa: E402
from ansvarsgraf.remote_store import SparqlEndpointStore, skolemised  # noqa: E402
from sparql_servers import DelayingProxy, oxigraph_server, publisher  # noqa: E402
from test_faults import CACHED, UNCACHED, get, write_routine  # noqa: E402

ROUTINE = "https://w3id.org/ansvarsgraf/id/felprov-rutin"


def _size(loaded) -> int:
    union = skolemised(loaded.ontology)
    for graph in loaded.files.values():
        union += skolemised(graph)
    return len(union)


def _publish(endpoints, loaded, out) -> None:
    try:
        Publisher(publisher(endpoints), say=lambda _: None).publish(loaded)
        out.put("ok")
    except PublishRefused:
        out.put("refused")
    except Exception as exc:  # noqa: BLE001 (counted and shown)
        out.put(f"error: {exc}")


class Sampler:
    """Reads what an API process would, over and over, and counts mixed and half versions."""

    def __init__(self, endpoints, sizes):
        self.endpoints, self.sizes = endpoints, sizes
        self.samples = self.mixed = self.half = 0
        self._running = True
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def check(self) -> None:
        reader = SparqlEndpointStore(self.endpoints["query"])
        reader.version_check_s = 0
        names = {str(r["n"]) for r in reader.select(f"SELECT ?n WHERE {{ <{ROUTINE}> <http://www.w3.org/2004/02/skos/core#prefLabel> ?n }}")}
        total = int(str(reader.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"]))
        self.samples += 1
        if len(names) > 1:
            self.mixed += 1
        elif len(names) == 1 and total != self.sizes[names.pop()]:
            self.half += 1

    def _run(self) -> None:
        while self._running:
            try:
                self.check()
            except Exception:  # noqa: BLE001 (the server busy or restarting: sample again)
                time.sleep(0.2)

    def stop(self) -> None:
        self._running = False
        self._thread.join()


def publishing(runs: int, workdir: Path) -> dict:
    from contextlib import ExitStack

    a = load_data([write_routine(workdir / "a.yaml", "Rutin A")])
    b = load_data([write_routine(workdir / "b.yaml", "Rutin B")])
    sizes = {"Rutin A": _size(a), "Rutin B": _size(b)}
    fork = multiprocessing.get_context("fork")
    results = {"concurrent": {}, "killed": 0, "server_restarts": 0}
    with ExitStack() as servers:
        # On disk: if the server itself goes (on a shared machine it has been killed from
        # outside), it is started again with its data, counted, and the rounds go on.
        endpoints = servers.enter_context(oxigraph_server(workdir, location=workdir / "db"))

        def alive(endpoints):
            if endpoints["process"].poll() is None:
                return endpoints
            results["server_restarts"] += 1
            return servers.enter_context(oxigraph_server(workdir, port=endpoints["port"], location=workdir / "db"))

        Publisher(publisher(endpoints), say=lambda _: None).publish(a)
        sampler = Sampler(endpoints, sizes)
        for _ in range(runs):
            endpoints = alive(endpoints)
            out = fork.Queue()
            processes = [fork.Process(target=_publish, args=(endpoints, data, out)) for data in (a, b)]
            for p in processes:
                p.start()
            for p in processes:
                p.join(120)
            outcome = "+".join(sorted(out.get(timeout=5)[:40] for _ in processes))
            results["concurrent"][outcome] = results["concurrent"].get(outcome, 0) + 1
        for run in range(runs):
            endpoints = alive(endpoints)
            data = (a, b)[run % 2]
            out = fork.Queue()
            process = fork.Process(target=_publish, args=(endpoints, data, out))
            process.start()
            time.sleep(random.uniform(0.05, 2.0))
            if process.is_alive():
                os.kill(process.pid, 9)
                results["killed"] += 1
            process.join()
        endpoints = alive(endpoints)
        recovery = fork.Queue()
        _publish(endpoints, a, recovery)  # the next load takes over the dead publishers' lock
        results["recovered"] = recovery.get(timeout=5)
        sampler.stop()
        sampler.check()
        results.update(samples=sampler.samples, mixed=sampler.mixed, half=sampler.half)
    return results


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000


def store_down(requests: int, workdir: Path) -> dict:
    from server import running_server
    from sparql_servers import load_into

    os.environ["ANSVARSGRAF_VERSION_CHECK_S"] = "1"
    with oxigraph_server(workdir) as endpoints:
        load_into(endpoints)
        with running_server(workdir / "serve-nere.log", "--endpoint", endpoints["query"]) as base:
            get(base, CACHED, 60)
            endpoints["process"].kill()
            endpoints["process"].wait()
            time.sleep(1.5)
            paths = [UNCACHED[i % len(UNCACHED)] for i in range(requests)]
            with ThreadPoolExecutor(8) as pool:
                results = list(pool.map(lambda p: get(base, p, 30), paths))
    times = [r[3] for r in results]
    return {"requests": len(results), "p99_ms": _p(times, 0.99), "max_ms": max(times) * 1000,
            "status_500": sum(1 for r in results if r[0] == 500),
            "statuses": {s: sum(1 for r in results if r[0] == s) for s in sorted({r[0] for r in results})}}


def slow_store(requests: int, workdir: Path) -> dict:
    from server import running_server
    from sparql_servers import load_into

    os.environ["ANSVARSGRAF_VERSION_CHECK_S"] = "1"
    with oxigraph_server(workdir) as endpoints:
        load_into(endpoints)
        proxy = DelayingProxy(endpoints["port"])
        try:
            with running_server(workdir / "serve-seg.log", "--endpoint", f"http://127.0.0.1:{proxy.port}/query") as base:
                get(base, CACHED, 60)
                proxy.delay_s = 60
                background = ThreadPoolExecutor(16)
                for path in UNCACHED[:4] * 4:  # requests that need the store, waiting
                    background.submit(get, base, path, 2)
                time.sleep(1.5)
                figures = {}
                for name, path in (("api_kommuner", "/api/kommuner"), ("cachat_svar", CACHED)):
                    with ThreadPoolExecutor(4) as pool:
                        results = list(pool.map(lambda p: get(base, p, 10), [path] * requests))
                    times = [r[3] for r in results]
                    figures[name] = {"p50_ms": statistics.median(times) * 1000, "p99_ms": _p(times, 0.99),
                                     "errors": sum(1 for r in results if r[0] != 200)}
                background.shutdown(wait=False, cancel_futures=True)
        finally:
            proxy.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="rounds of two publishers, and of kill -9 (standard 50)")
    parser.add_argument("--requests", type=int, default=200, help="requests per measured path")
    parser.add_argument("--workdir", help="keep servers' logs here (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ansvarsgraf-fel-") as folder:
        workdir = Path(args.workdir or folder)
        for part in ("publicering", "nere", "seg"):
            (workdir / part).mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        pub = publishing(args.runs, workdir / "publicering")
        print(f"Publicering, {args.runs} rundor med två samtidiga publicerare: {pub['concurrent']}")
        print(f"Publicering, {args.runs} rundor med kill -9 ({pub['killed']} dödade mitt i), nästa publicering: {pub['recovered']}"
              f"; SPARQL-servern omstartad {pub['server_restarts']} gånger")
        print(f"  läsarens stickprov: {pub['samples']}; blandade versioner: {pub['mixed']}; halva versioner: {pub['half']}"
              f"  (mål 0 och 0)  [{time.monotonic() - started:.0f} s]")
        down = store_down(args.requests, workdir / "nere")
        print(f"Lagret nere: {down['requests']} anrop mot sidor och API, p99 {down['p99_ms']:.0f} ms, max {down['max_ms']:.0f} ms, "
              f"svar 500: {down['status_500']}  (mål p99 ≤ 1000 ms, 0 st 500); statuskoder {down['statuses']}")
        slow = slow_store(args.requests, workdir / "seg")
        for name, f in slow.items():
            print(f"Lagret 60 s fördröjt: {name}: p50 {f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms, fel {f['errors']}  (mål p99 ≤ 100 ms)")


if __name__ == "__main__":
    main()
