"""Benchmark ansvarsgraf on a generated national graph and print the figures as a table.

For one size (see generate.py) it measures, on this machine:
- load: parsing and checking every file (rdflib) and building the embedded store (pyoxigraph);
- resident memory after loading;
- start-up of `serve` on a prepared on-disk store (open + catalog);
- building every task's answer in every municipality for one date into the prepared store
  (what `ansvarsgraf prepare` does for the day it runs, precomputed.py), with the file size;
- `ask` latency p50/p95 in process (answer_task, the function the API calls), cold: the
  answer cache is emptied before every call, so every answer is built from the store;
- `ask` over HTTP with 20 concurrent clients against the real `ansvarsgraf serve --store DIR
  --workers 2` in its own processes (as deployed), p50/p95/p99 and errors, on distinct
  (task, municipality) pairs, so nearly every request misses the in-process answer cache:
  once on the prepared date (answers read) and once on another date (answers built);
- a load tool (wrk, Debian) at 20 and 100 connections for a bounded time, if installed,
  cycling through 2000 distinct answer URLs, on both dates;
- the same at 20 connections while two deliberately slow public SPARQL queries run the whole
  time (issue 13: public SPARQL must not slow answers; target p99 < 100 ms), each wrk figure
  with the machine's load average before and after it (the 2 cores may be shared);
- full SHACL validation in a child process with a time limit, on the production path
  (validation.run_validation: the fast engine unless the data needs pySHACL), with the engine
  used and the child's peak memory; optionally pySHACL, the reference, the same way;
- validation of one changed agreement (the jurist's edit loop, reachable subgraph);
- gap analysis for one municipality.
Targets (issue 5, at ~1M triples): ask p95 ≤ 50 ms in process, ≤ 100 ms over HTTP at 20
clients, one agreement ≤ 2 s, full validation and gaps ≤ 60 s, start-up ≤ 5 s, ≤ 4 GB.

    python benchmarks/run.py --size small [--requests 400] [--validation-limit 900]
                             [--reference-limit 900] [--json out.json]

`--sparql-isolation N` measures only that isolation figure, against `ansvarsgraf serve` on the
bundled data as a user starts it: N rounds of wrk at 20 connections without and with the two
slow SPARQL queries, alternating, so that a change in the machine's other load shows in both.
"""

import argparse
import datetime as dt
import gc
import json
import logging
import multiprocessing
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from ansvarsgraf import fast_shacl, precomputed  # noqa: E402
from ansvarsgraf.answering import _built_duties, answer_task  # noqa: E402
from ansvarsgraf.catalog import catalog_for  # noqa: E402
from ansvarsgraf.dataset import DATA_DIR, load_data  # noqa: E402
from ansvarsgraf.gaps import analyse  # noqa: E402
from ansvarsgraf.paths import display_path  # noqa: E402
from ansvarsgraf.embedded_store import OxigraphStore  # noqa: E402
from ansvarsgraf.validation import run_validation, validate  # noqa: E402

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from generate import SIZES, TASKS, generate  # noqa: E402

ID = "https://w3id.org/ansvarsgraf/id/"
SHAPES_NS = "https://w3id.org/ansvarsgraf/shapes#"
DATE = dt.date(2026, 3, 1)  # the prepared date: `prepare` builds its answers
UNPREPARED_DATE = dt.date(2026, 2, 1)  # answers built on request
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
        _built_duties.cache_clear()  # cold: measure building the answer, not the cache
        _, seconds = timed(lambda: answer_task(store, task, kommun, DATE))
        times.append(seconds * 1000)
    return times


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_serve(*options: str) -> tuple[str, subprocess.Popen, float]:
    """`ansvarsgraf serve OPTIONS` (as deployed: `--store DIR --workers N`); returns when it answers."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "ansvarsgraf.cli", "serve", *options, "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    base = f"http://127.0.0.1:{port}"
    while time.perf_counter() - started < 300:
        try:
            urllib.request.urlopen(base + "/api/kommuner", timeout=5)
            return base, process, time.perf_counter() - started
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("servern startade inte")


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its children (the serve workers)."""
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
            todo += [int(c) for c in Path(f"/proc/{current}/task/{current}/children").read_text().split()]
        except OSError:
            continue
    return total


def ask_over_http(base: str, pairs, clients: int, on_date: dt.date) -> tuple[list[float], int]:
    def one(pair):
        task, kommun = pair
        url = base + _answer_path(task, kommun, on_date)
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


WRK_SCRIPT = r"""
-- Cycle through many distinct answer URLs (a file of paths, one per line).
local paths, i = {}, 0
for line in io.lines(os.getenv("ANSVARSGRAF_WRK_PATHS")) do paths[#paths + 1] = line end
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
-- wrk's own summary has no p95: print it (in ms) with p50 and p99.
done = function(summary, latency, requests)
  io.write(string.format("ANSVARSGRAF p50=%.1f p95=%.1f p99=%.1f\n", latency:percentile(50) / 1000,
                         latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def _answer_path(task: str, kommun: str, on_date: dt.date) -> str:
    return f"/api/answer?uppgift={task.rsplit('/', 1)[-1]}&kommun={kommun.rsplit('/', 1)[-1]}&datum={on_date}"


def wrk(base: str, connections: int, seconds: int, workdir: Path, pairs, on_date: dt.date) -> dict | None:
    """A real load tool (wrk) on loopback, bounded in time, over many distinct answers."""
    if not shutil.which("wrk"):
        print("  (wrk saknas: apt-get install wrk)", flush=True)
        return None
    script, paths = workdir / "wrk.lua", workdir / "wrk-paths.txt"
    script.write_text(WRK_SCRIPT)
    paths.write_text("\n".join(_answer_path(t, k, on_date) for t, k in pairs) + "\n")
    env = {**os.environ, "ANSVARSGRAF_WRK_PATHS": str(paths)}
    load_before = os.getloadavg()[0]
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s",
                          "-s", str(script), base], capture_output=True, text=True, timeout=seconds + 30, env=env).stdout
    # The 1-minute load average of the whole machine, before and after: other jobs on it slow
    # answers too, and the reader must be able to tell that from what is measured.
    figures = {"connections": connections, "load": [round(load_before, 1), round(os.getloadavg()[0], 1)]}
    for line in out.splitlines():
        parts = line.split()
        if line.strip().startswith("Requests/sec:"):
            figures["requests_per_s"] = float(parts[1])
        elif line.startswith("ANSVARSGRAF "):
            figures.update({k: float(v) for k, v in (p.split("=") for p in parts[1:])})  # ms
        elif "Non-2xx" in line or "Socket errors" in line:
            figures["errors"] = line.strip()
    return figures


SLOW_SPARQL = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # runs to the time limit


def wrk_while_sparql_runs(base: str, seconds: int, workdir: Path, pairs, on_date: dt.date, slow: int = 2) -> dict | None:
    """wrk at 20 connections on /api/answer while `slow` SPARQL queries that run to the time
    limit are kept running (each sent again when it is stopped). The statuses they got show
    they ran (503 = stopped by the time limit) rather than being turned away."""
    stop, statuses = threading.Event(), Counter()
    url = f"{base}/sparql?{urllib.parse.urlencode({'query': SLOW_SPARQL})}"

    def keep_busy():
        while not stop.is_set():
            try:
                with urllib.request.urlopen(url, timeout=60) as response:
                    response.read()
                    statuses[response.status] += 1
            except urllib.error.HTTPError as error:
                body = error.read().decode(errors="replace")
                statuses["tidsgräns" if "avbröts" in body else error.code] += 1
            except OSError:
                statuses["nätverksfel"] += 1

    threads = [threading.Thread(target=keep_busy, daemon=True) for _ in range(slow)]
    for thread in threads:
        thread.start()
    time.sleep(1)
    figures = wrk(base, 20, seconds, workdir, pairs, on_date)
    stop.set()
    for thread in threads:
        thread.join(30)
    if figures is not None:
        figures["sparql"] = dict(statuses)
    return figures


class _StepTimes(logging.Handler):
    """The fast engine's step times (fast_shacl.TIMINGS), summed per step: a shape with
    several SPARQL constraints is one step."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.seconds: Counter = Counter()

    def emit(self, record):
        self.seconds[record.step] += record.seconds


def _validate_child(paths, engine, conn):
    loaded = load_data(paths=paths, base_paths=[DATA_DIR])
    before = rss_mb()
    steps = _StepTimes()
    fast_shacl.TIMINGS.addHandler(steps)
    fast_shacl.TIMINGS.setLevel(logging.DEBUG)
    start, cpu = time.perf_counter(), time.process_time()
    run = run_validation(loaded, DATE, engine=engine)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # this child's peak, MB
    # CPU seconds beside wall seconds: the 2 cores are shared, and wall time shows the load.
    conn.send({"seconds": round(seconds, 1), "cpu_s": round(cpu, 1), "engine": run.engine,
               "violations": sum(1 for f in run.findings if f.severity == "FEL"), "results": len(run.findings),
               "rss_before_mb": round(before), "peak_rss_mb": round(peak),
               "slowest_steps_s": {step.replace(f"{SHAPES_NS}", "ags:"): round(s, 2) for step, s in steps.seconds.most_common(6)}})


def full_validation(paths, limit_s: float, engine: str = "fast") -> dict:
    """Full validation in a fresh child (its own load, so its peak memory is its own: a
    forked child would start with the parent's graph and store in its resident memory)."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_validate_child, args=(paths, engine, sender))
    start = time.perf_counter()
    child.start()
    if receiver.poll(limit_s):
        figures = receiver.recv()
        child.join()
        return figures
    child.kill()
    return {"seconds": None, "stopped_after_s": round(time.perf_counter() - start), "note": "över tidsgränsen"}


class Figures(dict):
    """Measured values, each printed the moment it is known (a slow step hides nothing), with
    the machine's load average (1 min) at that moment under "load_1min": the 2 cores may be
    shared, and a figure means little without the load it was measured under."""

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        if key != "load_1min":
            load = round(os.getloadavg()[0], 2)
            self.setdefault("load_1min", {})[key] = load
            print(f"  {key}: {value} (last {load})", flush=True)


def _commit() -> str | None:
    """The code's commit (with "+ändrad" if the work tree differs), for the results file."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+ändrad" if dirty else "")


def run(size: str, requests: int, validation_limit: float, wrk_seconds: int, reference_limit: float = 0) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"ansvarsgraf-bench-{size}-"))
    triples = generate(size, workdir / "data")
    print(f"{size}:", flush=True)
    figures = Figures(size=size)
    figures["measured_at"] = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    figures["commit"] = _commit()
    figures["generated_triples"] = triples
    paths = [workdir / "data"]
    loaded, figures["parse_s"] = timed(lambda: load_data(paths=paths, base_paths=[DATA_DIR]))
    store, figures["store_build_s"] = timed(lambda: OxigraphStore.from_loaded(loaded))
    figures["store_triples"] = len(store)
    figures["rss_mb"] = round(rss_mb())
    _, figures["catalog_s"] = timed(lambda: catalog_for(store))

    municipalities = SIZES[size][2]
    times = ask_in_process(store, _pairs(requests, municipalities))
    figures["ask_in_process_ms"] = {"p50": round(percentile(times, 0.5), 1), "p95": round(percentile(times, 0.95), 1)}

    disk = workdir / "store"
    prepared = OxigraphStore.from_loaded(loaded, disk)
    prepared._store.flush()
    figures["precomputed_answers"], figures["precompute_s"] = timed(lambda: precomputed.write(prepared, disk, [DATE]))
    figures["precomputed_mb"] = round((disk / precomputed.FILE_NAME).stat().st_size / 1e6)
    del prepared  # closed: the serve processes open it read-only
    reopened, figures["open_and_catalog_s"] = timed(lambda: catalog_for(OxigraphStore(ox.Store.read_only(str(disk)))))
    del reopened
    base, server, figures["startup_s"] = start_serve("--store", str(disk), "--workers", "2")
    try:
        for key, on_date, seed in (("", DATE, 8), ("_unprepared", UNPREPARED_DATE, 10)):
            http_times, errors = ask_over_http(base, _pairs(requests, municipalities, seed=seed), 20, on_date)
            figures[f"ask_http_20_clients{key}_ms"] = {
                "p50": round(percentile(http_times, 0.5), 1), "p95": round(percentile(http_times, 0.95), 1),
                "p99": round(percentile(http_times, 0.99), 1), "errors": errors}
            if wrk_seconds:
                mix = _pairs(2000, municipalities, seed=seed + 1)
                figures[f"wrk{key}"] = [wrk(base, c, wrk_seconds, workdir, mix, on_date) for c in (20, 100)]
        if wrk_seconds:
            mix = _pairs(2000, municipalities, seed=9)
            figures["wrk_sparql_busy"] = wrk_while_sparql_runs(base, wrk_seconds, workdir, mix, DATE)
        figures["serve_rss_mb"] = round(tree_rss_mb(server.pid))
    finally:
        server.terminate()
        server.wait(30)

    changed = {display_path(CHANGED_AGREEMENT)}
    _, first = timed(lambda: validate(loaded, DATE, only_files=changed, focused=True))
    one, again = timed(lambda: run_validation(loaded, DATE, only_files=changed, focused=True))
    figures["validate_one_agreement_s"] = f"{again:.2f} (första gången {first:.1f}; {one.engine})"
    report, seconds = timed(lambda: analyse(store, f"{ID}gen-kommun-001", DATE))
    figures["gaps_one_municipality_s"] = round(seconds, 2)
    figures["gaps_found"] = len(report.gaps)
    figures["rss_mb_end"] = round(rss_mb())
    # The validating child loads everything again: let go of this process's copy first (at
    # ≈5M triples both would not fit in 24 GB together).
    del loaded, store, report
    _built_duties.cache_clear()
    catalog_for.cache_clear()
    gc.collect()
    if validation_limit:
        figures["full_validation"] = full_validation(paths, validation_limit)
    if reference_limit:
        figures["full_validation_pyshacl"] = full_validation(paths, reference_limit, engine="pyshacl")
    shutil.rmtree(workdir, ignore_errors=True)
    return figures


def table(results: list[dict]) -> str:
    rows = [("genererade tripler", "generated_triples"), ("tripler i lagret", "store_triples"),
            ("läsa och kontrollera filerna (s)", "parse_s"), ("bygga inbyggt lager (s)", "store_build_s"),
            ("minne efter laddning (MB)", "rss_mb"), ("start av serve på förberett lager, 2 processer (s)", "startup_s"),
            ("minne för serve, alla processer (MB)", "serve_rss_mb"),
            ("ask p50 / p95 i processen, kallt (ms)", "ask_in_process_ms"),
            ("bygga alla svar för ett datum i förväg (s)", "precompute_s"), ("svar byggda i förväg (antal)", "precomputed_answers"),
            ("förberäknade svar på disk (MB)", "precomputed_mb"),
            ("ask p50 / p95 / p99 över HTTP, 20 klienter, förberett datum (ms)", "ask_http_20_clients_ms"),
            ("ask p50 / p95 / p99 över HTTP, 20 klienter, annat datum (ms)", "ask_http_20_clients_unprepared_ms"),
            ("validera en ändrad överenskommelse (s)", "validate_one_agreement_s"), ("luckanalys, en kommun (s)", "gaps_one_municipality_s"),
            ("full SHACL-validering (s; motor; toppminne MB)", "full_validation"),
            ("full validering, långsammaste stegen (s)", "full_validation_steps"),
            ("full SHACL-validering med pySHACL, referensen (s)", "full_validation_pyshacl"),
            ("wrk 20 / 100 anslutningar, förberett datum", "wrk"),
            ("wrk 20 / 100 anslutningar, annat datum", "wrk_unprepared"),
            ("wrk 20 anslutningar medan två långsamma SPARQL-frågor körs, förberett datum", "wrk_sparql_busy")]
    lines = ["| mått | " + " | ".join(r["size"] for r in results) + " |", "|---|" + "---|" * len(results)]
    for label, key in rows:
        cells = []
        for r in results:
            value = r.get(key)
            if key == "full_validation_steps":
                steps = (r.get("full_validation") or {}).get("slowest_steps_s") or {}
                value = "; ".join(f"{step.removeprefix('SPARQL-regel ')} {s}" for step, s in steps.items()) or None
            if isinstance(value, dict) and "requests_per_s" in value:
                cell = f"{_wrk_cell(value)} (SPARQL: {value.get('sparql')})"
            elif isinstance(value, dict) and "p50" in value:
                cell = " / ".join(str(value[k]) for k in ("p50", "p95", "p99") if k in value)
                if value.get("errors"):
                    cell += f" ({value['errors']} fel)"
            elif isinstance(value, dict) and value.get("seconds") is not None:
                cell = f"{value['seconds']} ({value['engine']}; {value['peak_rss_mb']} MB)"
            elif isinstance(value, dict):
                cell = f"> {value.get('stopped_after_s')} (avbruten)"
            elif isinstance(value, list):
                cell = "; ".join(_wrk_cell(w) for w in value if w)
            elif isinstance(value, float):
                cell = f"{value:.2f}"
            else:
                cell = "–" if value is None else str(value)
            cells.append(cell)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _wrk_cell(w: dict) -> str:
    load = f", last {w['load'][0]}–{w['load'][1]}" if "load" in w else ""
    return f"{w['requests_per_s']:.0f} req/s, p50 / p95 / p99 {w.get('p50')} / {w.get('p95')} / {w.get('p99')} ms{load}"


def sparql_isolation(rounds: int, seconds: int) -> list[dict]:
    """wrk at 20 connections on /api/answer against `ansvarsgraf serve` on the bundled data
    (no options: one process, the data validated and loaded at start), `rounds` times without
    and with two slow SPARQL queries, alternating; every figure printed with the load."""
    workdir = Path(tempfile.mkdtemp(prefix="ansvarsgraf-bench-isolation-"))
    base, server, _ = start_serve()
    results = []
    try:
        tasks = [t["id"] for t in json.load(urllib.request.urlopen(base + "/api/uppgifter", timeout=60))]
        municipalities = [m["id"] for m in json.load(urllib.request.urlopen(base + "/api/kommuner", timeout=60))]
        pairs = [(ID + t, ID + m) for t in tasks for m in municipalities]  # every answer there is
        wrk(base, 20, 3, workdir, pairs, DATE)  # the answers built once (cached), as for staff asking again
        for n in range(1, rounds + 1):
            for kind in ("utan SPARQL", "två långsamma SPARQL-frågor"):
                figures = (wrk(base, 20, seconds, workdir, pairs, DATE) if kind == "utan SPARQL"
                           else wrk_while_sparql_runs(base, seconds, workdir, pairs, DATE))
                if figures is None:
                    return results
                results.append({"round": n, "kind": kind, **figures})
                sparql = f" (SPARQL: {figures['sparql']})" if "sparql" in figures else ""
                print(f"  {n}. {kind}: {_wrk_cell(figures)}{sparql}", flush=True)
    finally:
        server.terminate()
        server.wait(30)
        shutil.rmtree(workdir, ignore_errors=True)
    for kind in ("utan SPARQL", "två långsamma SPARQL-frågor"):
        p99 = [r["p99"] for r in results if r["kind"] == kind]
        print(f"{kind}: p99 median {round(statistics.median(p99), 1)} ms (min {min(p99)}, max {max(p99)}) över {len(p99)} omgångar")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", action="append", choices=list(SIZES))
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--validation-limit", type=float, default=600, help="s; 0 hoppar över full validering")
    parser.add_argument("--reference-limit", type=float, default=0,
                        help="s för full validering med pySHACL (referensen) också; 0 (standard) hoppar över den")
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--sparql-isolation", type=int, metavar="N", default=0,
                        help="mät bara isoleringen mot SPARQL: N omgångar mot serve på de medföljande data")
    args = parser.parse_args()
    if args.sparql_isolation:
        results = sparql_isolation(args.sparql_isolation, args.wrk_seconds)
        if args.json:
            args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
        return
    results = []
    for size in args.size or ["small"]:
        results.append(dict(run(size, args.requests, args.validation_limit, args.wrk_seconds, args.reference_limit)))
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
