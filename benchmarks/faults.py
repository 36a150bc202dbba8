"""Faults injected on loopback, with the figures issue 21 sets targets for.

Against a real Oxigraph server on 127.0.0.1 that this script starts:
1. `--runs` rounds of two publishers at once (data sets A and B, each publisher in its own
   process, started together) and `--runs` rounds of `kill -9` of a publisher at a random
   moment of its publishing; all the while a reader samples what API processes see. Counted:
   mixed versions (the two data sets' routine both visible) and half versions (a version whose
   whole graph has not the triples the data set has), during and after each round. The same
   again publishing in place (`load --pa-plats`, as against Virtuoso 7.2.5), where readers
   are held off (503) while the graphs are replaced: counted as "hållna", never as a mix.
2. The store killed under a running `ansvarsgraf serve --endpoint`: p99 and maximum of every
   page and API call, and how many answered 500 (target: p99 ≤ 1 s, no 500).
3. A 5 s and a 60 s delay on every request to the store (a TCP proxy): p99 of /api/kommuner
   and of an answer already cached while requests that need the store wait (target:
   ≤ 100 ms), and how long those requests took and what they got (503 within the request
   budget, ANSVARSGRAF_STORE_REQUEST_S, never 500).

    python benchmarks/faults.py [--runs 50] [--requests 200] [--pa-plats-runs 50]

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

from ansvarsgraf.dataset import FILE_GRAPH_BASE, load_data  # noqa: E402
from ansvarsgraf.errors import StoreUnavailable  # noqa: E402
from ansvarsgraf.publish import Publisher, PublishRefused  # noqa: E402
from ansvarsgraf.remote_store import SparqlEndpointStore, skolemised  # noqa: E402
from sparql_servers import DelayingProxy, oxigraph_server, publisher  # noqa: E402
from test_faults import CACHED, UNCACHED, get, write_routine  # noqa: E402

ROUTINE = "https://w3id.org/ansvarsgraf/id/felprov-rutin"


def _size(loaded, in_place: bool = False) -> int:
    """Triples a reader should count: the version's whole graph, or (in place) every file's."""
    if in_place:
        return len(skolemised(loaded.ontology)) + sum(len(skolemised(g)) for g in loaded.files.values())
    union = skolemised(loaded.ontology)
    for graph in loaded.files.values():
        union += skolemised(graph)
    return len(union)


def _report(out, processes) -> list[str]:
    """What each publisher said; one that hung or died without a word is stopped and counted."""
    import queue

    for p in processes:
        if p.is_alive():
            p.kill()
            p.join()
    reports = []
    for _ in processes:
        try:
            reports.append(out.get(timeout=5)[:40])
        except queue.Empty:
            reports.append("ingen rapport")
    return reports


def _publish(endpoints, loaded, out, in_place: bool = False) -> None:
    try:
        Publisher(publisher(endpoints), say=lambda _: None, in_place=in_place).publish(loaded)
        out.put("ok")
    except PublishRefused:
        out.put("refused")
    except Exception as exc:  # noqa: BLE001 (counted and shown)
        out.put(f"error: {exc}")


class Sampler:
    """Reads what an API process would, over and over, and counts mixed and half versions."""

    def __init__(self, endpoints, sizes, in_place: bool = False):
        self.endpoints, self.sizes, self.in_place = endpoints, sizes, in_place
        self.samples = self.mixed = self.half = self.held = 0
        self._running = True
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def check(self) -> None:
        reader = SparqlEndpointStore(self.endpoints["query"])
        reader.version_check_s = 0  # the marker before every query: the harshest reader
        # In place, readers read every graph: ours are counted, not the marker's or a lock's.
        count = (f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), '{FILE_GRAPH_BASE}')) }}"
                 if self.in_place else "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        try:
            with reader.reading():  # both queries read one version, as one request does
                names = {str(r["n"]) for r in reader.select(f"SELECT ?n WHERE {{ <{ROUTINE}> <http://www.w3.org/2004/02/skos/core#prefLabel> ?n }}")}
                total = int(str(reader.select(count)[0]["n"]))
        except StoreUnavailable as exc:
            if "publiceras" not in exc.message:
                raise
            self.held += 1
            time.sleep(0.05)  # told to come back: not at once
            return
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


def publishing(runs: int, workdir: Path, in_place: bool = False) -> dict:
    from contextlib import ExitStack

    a = load_data([write_routine(workdir / "a.yaml", "Rutin A")])
    b = load_data([write_routine(workdir / "b.yaml", "Rutin B")])
    sizes = {"Rutin A": _size(a, in_place), "Rutin B": _size(b, in_place)}
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

        Publisher(publisher(endpoints), say=lambda _: None, in_place=in_place).publish(a)
        sampler = Sampler(endpoints, sizes, in_place)
        for _ in range(runs):
            endpoints = alive(endpoints)
            out = fork.Queue()
            processes = [fork.Process(target=_publish, args=(endpoints, data, out, in_place)) for data in (a, b)]
            for p in processes:
                p.start()
            for p in processes:
                p.join(120)
            outcome = "+".join(sorted(_report(out, processes)))
            results["concurrent"][outcome] = results["concurrent"].get(outcome, 0) + 1
        for run in range(runs):
            endpoints = alive(endpoints)
            data = (a, b)[run % 2]
            out = fork.Queue()
            process = fork.Process(target=_publish, args=(endpoints, data, out, in_place))
            process.start()
            time.sleep(random.uniform(0.05, 2.0))
            if process.is_alive():
                os.kill(process.pid, 9)
                results["killed"] += 1
            process.join()
        endpoints = alive(endpoints)
        recovery = fork.Queue()
        _publish(endpoints, a, recovery, in_place)  # the next load takes over the dead publishers' lock
        results["recovered"] = recovery.get(timeout=5)  # this process: it always reports
        sampler.stop()
        sampler.check()
        results.update(samples=sampler.samples, mixed=sampler.mixed, half=sampler.half, held=sampler.held)
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


def slow_store(requests: int, workdir: Path, delay_s: float) -> dict:
    from server import running_server
    from sparql_servers import load_into

    os.environ["ANSVARSGRAF_VERSION_CHECK_S"] = "1"
    with oxigraph_server(workdir) as endpoints:
        load_into(endpoints)
        proxy = DelayingProxy(endpoints["port"])
        try:
            with running_server(workdir / f"serve-seg-{delay_s:g}.log", "--endpoint", f"http://127.0.0.1:{proxy.port}/query") as base:
                get(base, CACHED, 60)
                proxy.delay_s = delay_s
                background = ThreadPoolExecutor(16)
                # Requests that need the store (answers, pages, gap reports), waiting.
                waiting = [background.submit(get, base, path, 120) for path in UNCACHED[:3] * 4]
                time.sleep(1.5)
                figures = {}
                for name, path in (("api_kommuner", "/api/kommuner"), ("cachat_svar", CACHED)):
                    with ThreadPoolExecutor(4) as pool:
                        results = list(pool.map(lambda p: get(base, p, 10), [path] * requests))
                    times = [r[3] for r in results]
                    figures[name] = {"p50_ms": statistics.median(times) * 1000, "p99_ms": _p(times, 0.99),
                                     "errors": sum(1 for r in results if r[0] != 200)}
                needing = [f.result() for f in waiting]
                figures["behover_lagret"] = {"max_s": max(r[3] for r in needing),
                                             "statuses": {s: sum(1 for r in needing if r[0] == s) for s in sorted({r[0] for r in needing})}}
                background.shutdown(wait=False, cancel_futures=True)
        finally:
            proxy.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="rounds of two publishers, and of kill -9 (standard 50)")
    parser.add_argument("--requests", type=int, default=200, help="requests per measured path")
    parser.add_argument("--pa-plats-runs", type=int, default=50, help="rounds of each kind publishing in place (standard 50)")
    parser.add_argument("--workdir", help="keep servers' logs here (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ansvarsgraf-fel-") as folder:
        workdir = Path(args.workdir or folder)
        for part in ("publicering", "pa-plats", "nere", "seg"):
            (workdir / part).mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        pub = publishing(args.runs, workdir / "publicering")
        print(f"Publicering, {args.runs} rundor med två samtidiga publicerare: {pub['concurrent']}")
        print(f"Publicering, {args.runs} rundor med kill -9 ({pub['killed']} dödade mitt i), nästa publicering: {pub['recovered']}"
              f"; SPARQL-servern omstartad {pub['server_restarts']} gånger")
        print(f"  läsarens stickprov: {pub['samples']}; blandade versioner: {pub['mixed']}; halva versioner: {pub['half']}"
              f"  (mål 0 och 0)  [{time.monotonic() - started:.0f} s]")
        if args.pa_plats_runs:
            started = time.monotonic()
            pub = publishing(args.pa_plats_runs, workdir / "pa-plats", in_place=True)
            print(f"På plats (--pa-plats), {args.pa_plats_runs} rundor med två samtidiga publicerare: {pub['concurrent']}; "
                  f"{args.pa_plats_runs} rundor med kill -9 ({pub['killed']} dödade mitt i), nästa publicering: {pub['recovered']}")
            print(f"  läsarens stickprov: {pub['samples']} lästa, {pub['held']} hållna (503); blandade versioner: {pub['mixed']}; "
                  f"halva versioner: {pub['half']}  (mål 0 och 0)  [{time.monotonic() - started:.0f} s]")
        down = store_down(args.requests, workdir / "nere")
        print(f"Lagret nere: {down['requests']} anrop mot sidor och API, p99 {down['p99_ms']:.0f} ms, max {down['max_ms']:.0f} ms, "
              f"svar 500: {down['status_500']}  (mål p99 ≤ 1000 ms, 0 st 500); statuskoder {down['statuses']}")
        for delay_s in (5, 60):
            slow = slow_store(args.requests, workdir / "seg", delay_s)
            needing = slow.pop("behover_lagret")
            for name, f in slow.items():
                print(f"Lagret {delay_s} s fördröjt: {name}: p50 {f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms, fel {f['errors']}  (mål p99 ≤ 100 ms)")
            print(f"Lagret {delay_s} s fördröjt: svar, sidor och luckrapporter som behöver lagret: längst {needing['max_s']:.1f} s, "
                  f"statuskoder {needing['statuses']}  (503 inom ANSVARSGRAF_STORE_REQUEST_S, aldrig 500)")


if __name__ == "__main__":
    main()
