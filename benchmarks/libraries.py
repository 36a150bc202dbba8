"""Benchmark the pieces issue 15 handed to libraries, and print the figures.

- add_duration: a revision's due date from its last day and interval, over every day of
  six years and the intervals the data uses (P1Y, P2Y, P6M, P1M, P14D), µs per call;
- decoding a prepared answer: PrecomputedAnswers.duties for every (task, municipality) on
  one date of the project's own data on the embedded store, read from svar.sqlite (SQLite
  read, zlib, orjson and the decoding into result types), µs per answer, best of --repeat;
(The SPARQL result writers already were rdflib's Result.serialize for JSON, XML and CSV;
rdflib has no TSV writer, so sparql_endpoint keeps its own.)
Target: no loss against the hand-written versions (run on both commits and compare).

    python benchmarks/libraries.py [--repeat 5]
"""

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ansvarsgraf import precomputed  # noqa: E402
from ansvarsgraf.dataset import load_data  # noqa: E402
from ansvarsgraf.duties import add_duration  # noqa: E402
from ansvarsgraf.embedded_store import OxigraphStore  # noqa: E402


def best(runs, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        runs()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    days = [dt.date(2019, 1, 1) + dt.timedelta(i) for i in range(365 * 6)]
    intervals = ["P1Y", "P2Y", "P6M", "P1M", "P14D"]
    calls = len(days) * len(intervals)
    low, mid = best(lambda: [add_duration(d, i) for d in days for i in intervals], args.repeat)
    print(f"add_duration: {low / calls * 1e6:.2f} µs/anrop (median {mid / calls * 1e6:.2f}), {calls} anrop")

    store = OxigraphStore.from_loaded(load_data())
    on_date = dt.date(2026, 3, 1)
    with tempfile.TemporaryDirectory() as directory:
        count = precomputed.write(store, Path(directory), [on_date])
        answers = precomputed.PrecomputedAnswers.open(Path(directory))
        keys = [tuple(row) for row in answers._connection().execute("SELECT uppgift, kommun FROM duties")]
        low, mid = best(lambda: [answers.duties(t, k, on_date) for t, k in keys], args.repeat)
        print(f"förberett svar: {low / count * 1e6:.1f} µs/svar (median {mid / count * 1e6:.1f}), {count} svar")


if __name__ == "__main__":
    main()
