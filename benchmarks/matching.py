"""Benchmark free-text question matching in process and print the figures.

Measured on the project's own data on the embedded store, over the tuning questions
(tests/data/utvardering/fragor-justering.yaml) and tests/data/fragor.yaml: the held-out
part is never read here.
- matching: the time from question text to decision (word keys, word scores, the semantic
  re-ranker's question embedding, decide), p50/p95/max per question, wall time and the
  process's CPU time (the asking thread and the embedding engine's threads: the wall time on
  idle cores with one thread); every question is embedded afresh (the embedding cache is
  emptied before each); the engine's threads per question as ANSVARSGRAF_E5_THREADS says;
- with --samtidiga N: the same questions asked by N threads at once (a server answering N
  clients), wall time per question and questions per second;
- answer_question: the whole answer (matching and the duties of the chosen task), p50/p95;
- building the matchers (done in a background thread when a server starts), with the
  semantic ranker's cache file present;
- `serve` start-up to the first answered page, for this tree and optionally another
  (--compare DIR, e.g. an unpacked older commit), started alternately --starts times each.
Target (issue 17): matching p95 ≤ 20 ms with the re-ranker; start-up not slower by > 1 s.

    python benchmarks/matching.py [--starts 3] [--compare /tmp/old-tree] [--samtidiga 20]
"""

import argparse
import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ansvarsgraf.answering import answer_question  # noqa: E402
from ansvarsgraf.catalog import catalog_for  # noqa: E402
from ansvarsgraf.dataset import load_data  # noqa: E402
from ansvarsgraf.matching import without_words  # noqa: E402
from ansvarsgraf import embedding  # noqa: E402
from ansvarsgraf.reranking import decide  # noqa: E402
from ansvarsgraf.embedded_store import OxigraphStore  # noqa: E402

QUESTION_FILES = (ROOT / "tests/data/utvardering/fragor-justering.yaml", ROOT / "tests/data/fragor.yaml")
DATE = dt.date(2026, 12, 1)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def questions() -> list[tuple[str, str]]:
    found = []
    for path in QUESTION_FILES:
        for q in yaml.safe_load(path.read_text(encoding="utf-8")):
            found.append((q["fråga"], q.get("kommun", "Timrå")))
    return found


def match_once(catalog, question: str):
    """The matching steps of answer_question, without building the answer."""
    named = [m for m in catalog.instrument_matcher.match(question, limit=3) if m.coverage >= 1.0]
    keys = catalog.matcher.question_keys(question)
    for document in named:
        keys = without_words(keys, document.matched, keep=catalog.matcher.abbreviations)
    lexical = catalog.matcher.match_keys(keys, limit=len(catalog.task_labels))
    semantic = catalog.ranker.similarities(question) if catalog.ranker else None
    return decide(lexical, catalog.task_labels, semantic, catalog.related, words=len(keys),
                  narrower=catalog.narrower, judge=catalog.ranker.judge if catalog.ranker else None,
                  length=len(question.split()))


def ms(seconds: float) -> str:
    return f"{1000 * seconds:7.1f} ms"


def serve_start(tree: Path) -> float:
    """Seconds from launching `ansvarsgraf serve` (default data) to its first answered page."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(tree / "src"), os.environ.get("PYTHONPATH")]))}
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "ansvarsgraf.cli", "serve", "--port", str(port)],
                               cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - started < 300:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/kommuner", timeout=5)
                return time.perf_counter() - started
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(f"serve i {tree} avslutades")
                time.sleep(0.05)
        raise RuntimeError("servern startade inte")
    finally:
        process.terminate()
        process.wait(timeout=30)


def concurrent(catalog, asked, clients: int) -> None:
    """The questions asked by `clients` threads at once, each embedded afresh."""
    if catalog.ranker:
        embedding.embed.cache_clear()

    def timed(question: str) -> float:
        t = time.perf_counter()
        match_once(catalog, question)
        return time.perf_counter() - t

    started, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(clients) as pool:
        times = list(pool.map(timed, [question for question, _ in asked]))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"  {clients} samtidiga: p50 {ms(statistics.median(times))}  p95 {ms(percentile(times, 0.95))}  "
          f"{len(times) / wall:.0f} frågor/s, cpu {1000 * cpu / len(times):.1f} ms per fråga, last {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=3, help="serve-starter per träd (0: hoppa över)")
    parser.add_argument("--compare", type=Path, help="ett annat träd (t.ex. en äldre commit) att jämföra start-tiden med")
    parser.add_argument("--samtidiga", type=int, default=0, help="frågor som ställs samtidigt (0: hoppa över)")
    args = parser.parse_args()

    store = OxigraphStore.from_loaded(load_data())
    started = time.perf_counter()
    catalog = catalog_for(store)
    ready = time.perf_counter() - started
    catalog.matchers.result()
    built = time.perf_counter() - started
    print(f"katalog klar {ready:.2f} s; matchare (i bakgrunden, med e5-cachefilen) klara efter {built:.2f} s")

    asked = questions()
    if catalog.ranker:
        # The tuning questions are example questions, whose vectors the ranker keeps: forgotten
        # here, so that each is embedded as a new question is.
        catalog.ranker.known = {}
    match_times, match_cpu, answer_times = [], [], []
    for question, kommun in asked:
        if catalog.ranker:
            embedding.embed.cache_clear()
        t, cpu = time.perf_counter(), time.process_time()
        match_once(catalog, question)
        match_times.append(time.perf_counter() - t)
        match_cpu.append(time.process_time() - cpu)
    for question, kommun in asked:
        if catalog.ranker:
            embedding.embed.cache_clear()
        t = time.perf_counter()
        answer_question(store, question, kommun, DATE)
        answer_times.append(time.perf_counter() - t)
    ranker = f"med semantisk omrankning ({embedding.embedder().name})" if catalog.ranker else "UTAN semantisk omrankning"
    threads = os.environ.get(embedding.THREADS_SETTING, embedding.AUTO)
    print(f"{len(asked)} frågor, {ranker}, {os.cpu_count()} kärnor, "
          f"{embedding.THREADS_SETTING}={threads}, last {os.getloadavg()[0]:.1f}")
    # CPU time of the whole process (the asking thread and the engine's): with one thread per
    # question, what the wall time would be on an idle core.
    for name, times in (("matchning", match_times), ("matchning, cpu", match_cpu), ("answer_question", answer_times)):
        print(f"  {name:<16} p50 {ms(statistics.median(times))}  p95 {ms(percentile(times, 0.95))}  max {ms(max(times))}")

    if args.samtidiga:
        concurrent(catalog, asked, args.samtidiga)

    if args.starts:
        trees = [("detta träd", ROOT)] + ([("jämförelse", args.compare)] if args.compare else [])
        times = {name: [] for name, _ in trees}
        for _ in range(args.starts):
            for name, tree in trees:  # alternately, so both see the same machine load
                times[name].append(serve_start(tree))
        for name, values in times.items():
            print(f"  serve-start {name:<11} median {statistics.median(values):5.2f} s  ({', '.join(f'{v:.2f}' for v in values)})")


if __name__ == "__main__":
    main()
