"""Benchmark ansvarsgraf on a generated national graph and print the figures as a table.

For one size (see generate.py) it measures, on this machine:
- load: parsing and checking every file (rdflib) and building the embedded store (pyoxigraph);
- resident memory after loading;
- start-up of `serve` on a prepared on-disk store (open + catalog);
- `ask` latency p50/p95 in process (answer_task, the function the API calls);
- `ask` over HTTP with 20 concurrent clients (uvicorn on 127.0.0.1), p50/p95/p99 and errors;
- a load tool (wrk, Debian) at 20 and 100 connections for a bounded time, if installed;
- full SHACL validation (pySHACL) in a child process with a time limit;
- validation of one changed agreement (the jurist's edit loop, reachable subgraph);
- gap analysis for one municipality.
Targets (issue 5, at ~1M triples): ask p95 ≤ 50 ms in process, ≤ 100 ms over HTTP at 20
clients, one agreement ≤ 2 s, full validation and gaps ≤ 60 s, start-up ≤ 5 s, ≤ 4 GB.

    python benchmarks/run.py --size small [--requests 400] [--validation-limit 900] [--json out.json]
"""

import argparse
import datetime as dt
import json
import multiprocessing
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from ansvarsgraf.answer import answer_task, catalog_for  # noqa: E402
from ansvarsgraf.dataset import DATA_DIR, load_data  # noqa: E402
from ansvarsgraf.gaps import analyse  # noqa: E402
from ansvarsgraf.paths import display_path  # noqa: E402
from ansvarsgraf.store import OxigraphStore  # noqa: E402
from ansvarsgraf.validation import validate  # noqa: E402

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from generate import TASKS, generate  # noqa: E402

ID = "https://w3id.org/ansvarsgraf/id/"
DATE = dt.date(2026, 3, 1)
CHANGED_AGREEMENT = DATA_DIR / "agreements" / "mittbus-2013.yaml"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def _pairs(n: int, municipalities: int, seed: int = 7) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    return [(ID + rng.choice(TASKS), f"{ID}gen-kommun-{rng.randint(1, municipalities):03d}") for _ in range(n)]


def ask_in_process(store, pairs) -> list[float]:
    times = []
    for task, kommun in pairs:
        _, seconds = timed(lambda: answer_task(store, task, kommun, DATE))
        times.append(seconds * 1000)
    return times


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_http(store) -> tuple[str, object]:
    import uvicorn

    from ansvarsgraf.web.app import create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(store), host="127.0.0.1", port=port, access_log=False, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/api/kommuner", timeout=5)
            return base, server
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("servern startade inte")


def ask_over_http(base: str, pairs, clients: int) -> tuple[list[float], int]:
    def one(pair):
        task, kommun = pair
        url = f"{base}/api/answer?uppgift={task.rsplit('/', 1)[-1]}&kommun={kommun.rsplit('/', 1)[-1]}&datum={DATE}"
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                response.read()
                ok = response.status == 200
        except OSError:
            ok = False
        return (time.perf_counter() - start) * 1000, ok

    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(one, pairs))
    return [t for t, _ in results], sum(1 for _, ok in results if not ok)


def wrk(base: str, connections: int, seconds: int) -> dict | None:
    """A real load tool against one answer URL; bounded in time, loopback only."""
    if not shutil.which("wrk"):
        return None
    url = f"{base}/api/answer?uppgift=kalla-till-sip&kommun=gen-kommun-001&datum={DATE}"
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s", url],
                         capture_output=True, text=True, timeout=seconds + 30).stdout
    figures = {"connections": connections}
    for line in out.splitlines():
        parts = line.split()
        if line.strip().startswith("Requests/sec:"):
            figures["requests_per_s"] = float(parts[1])
        elif line.strip().startswith("99%"):
            figures["p99"] = parts[1]
        elif line.strip().startswith("50%"):
            figures["p50"] = parts[1]
        elif "Non-2xx" in line or "Socket errors" in line:
            figures["errors"] = line.strip()
    return figures


def _validate_child(paths, conn):
    loaded = load_data(paths=paths, base_paths=[DATA_DIR])
    start = time.perf_counter()
    findings = validate(loaded, DATE)
    conn.send((time.perf_counter() - start, sum(1 for f in findings if f.severity == "FEL"), len(findings)))


def full_validation(paths, limit_s: float) -> dict:
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_validate_child, args=(paths, sender))
    start = time.perf_counter()
    child.start()
    if receiver.poll(limit_s):
        seconds, violations, results = receiver.recv()
        child.join()
        return {"seconds": round(seconds, 1), "violations": violations, "results": results}
    child.kill()
    return {"seconds": None, "stopped_after_s": round(time.perf_counter() - start), "note": "över tidsgränsen"}


class Figures(dict):
    """Measured values, each printed the moment it is known (a slow step hides nothing)."""

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        print(f"  {key}: {value}", flush=True)


def run(size: str, requests: int, validation_limit: float, wrk_seconds: int) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"ansvarsgraf-bench-{size}-"))
    triples = generate(size, workdir / "data")
    print(f"{size}:", flush=True)
    figures = Figures(size=size)
    figures["generated_triples"] = triples
    paths = [workdir / "data"]
    loaded, figures["parse_s"] = timed(lambda: load_data(paths=paths, base_paths=[DATA_DIR]))
    store, figures["store_build_s"] = timed(lambda: OxigraphStore.from_loaded(loaded))
    figures["store_triples"] = len(store)
    figures["rss_mb"] = round(rss_mb())
    _, figures["catalog_s"] = timed(lambda: catalog_for(store))

    disk = workdir / "store"
    OxigraphStore.from_loaded(loaded, disk)._store.flush()
    reopened, figures["startup_s"] = timed(lambda: catalog_for(OxigraphStore(ox.Store(str(disk)))))
    del reopened

    municipalities = 290
    times = ask_in_process(store, _pairs(requests, municipalities))
    figures["ask_in_process_ms"] = {"p50": round(percentile(times, 0.5), 1), "p95": round(percentile(times, 0.95), 1)}

    base, server = start_http(store)
    http_times, errors = ask_over_http(base, _pairs(requests, municipalities, seed=8), clients=20)
    figures["ask_http_20_clients_ms"] = {"p50": round(percentile(http_times, 0.5), 1), "p95": round(percentile(http_times, 0.95), 1),
                                         "p99": round(percentile(http_times, 0.99), 1), "errors": errors}
    if wrk_seconds:
        figures["wrk"] = [wrk(base, c, wrk_seconds) for c in (20, 100)]
    server.should_exit = True

    changed = {display_path(CHANGED_AGREEMENT)}
    _, first = timed(lambda: validate(loaded, DATE, only_files=changed, focused=True))
    _, again = timed(lambda: validate(loaded, DATE, only_files=changed, focused=True))
    figures["validate_one_agreement_s"] = f"{again:.2f} (första gången {first:.1f})"
    report, seconds = timed(lambda: analyse(store, f"{ID}gen-kommun-001", DATE))
    figures["gaps_one_municipality_s"] = round(seconds, 2)
    figures["gaps_found"] = len(report.gaps)
    if validation_limit:
        figures["full_validation"] = full_validation(paths, validation_limit)
    figures["rss_mb_end"] = round(rss_mb())
    shutil.rmtree(workdir, ignore_errors=True)
    return figures


def table(results: list[dict]) -> str:
    rows = [("genererade tripler", "generated_triples"), ("tripler i lagret", "store_triples"),
            ("läsa och kontrollera filerna (s)", "parse_s"), ("bygga inbyggt lager (s)", "store_build_s"),
            ("minne efter laddning (MB)", "rss_mb"), ("start av serve på förberett lager (s)", "startup_s"),
            ("ask p50 / p95 i processen (ms)", "ask_in_process_ms"), ("ask p50 / p95 / p99 över HTTP, 20 klienter (ms)", "ask_http_20_clients_ms"),
            ("validera en ändrad överenskommelse (s)", "validate_one_agreement_s"), ("luckanalys, en kommun (s)", "gaps_one_municipality_s"),
            ("full SHACL-validering (s)", "full_validation"), ("wrk 20 / 100 anslutningar (req/s, p99)", "wrk")]
    lines = ["| mått | " + " | ".join(r["size"] for r in results) + " |", "|---|" + "---|" * len(results)]
    for label, key in rows:
        cells = []
        for r in results:
            value = r.get(key)
            if isinstance(value, dict) and "p50" in value:
                cell = " / ".join(str(value[k]) for k in ("p50", "p95", "p99") if k in value)
                if value.get("errors"):
                    cell += f" ({value['errors']} fel)"
            elif isinstance(value, dict):
                cell = str(value.get("seconds") or f"> {value.get('stopped_after_s')} (avbruten)")
            elif isinstance(value, list):
                cell = "; ".join(f"{w['requests_per_s']:.0f} req/s, p99 {w.get('p99')}" for w in value if w)
            elif isinstance(value, float):
                cell = f"{value:.2f}"
            else:
                cell = "–" if value is None else str(value)
            cells.append(cell)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", action="append", choices=["small", "medium", "large"])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--validation-limit", type=float, default=600, help="s; 0 hoppar över full validering")
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = []
    for size in args.size or ["small"]:
        results.append(dict(run(size, args.requests, args.validation_limit, args.wrk_seconds)))
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
