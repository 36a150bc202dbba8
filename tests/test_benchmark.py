"""Smoke test of the benchmark at its smallest size ("mini", one generated municipality per
region): it runs every step and prints its figures. Figures are not asserted against targets
here (speed lives in the benchmark, not in tests); that the generated data is valid is."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_generator_is_deterministic(tmp_path):
    sys.path.insert(0, str(BENCHMARKS))
    from generate import generate

    first = generate("small", tmp_path / "a")
    second = generate("small", tmp_path / "b")
    assert first == second > 50_000
    assert (tmp_path / "a" / "region-01.ttl").read_bytes() == (tmp_path / "b" / "region-01.ttl").read_bytes()


@pytest.mark.timeout(900)  # above the 600 s the benchmark subprocess itself is given
def test_benchmark_smoke(tmp_path):
    out = tmp_path / "result.json"
    run = subprocess.run([sys.executable, str(BENCHMARKS / "run.py"), "--size", "mini", "--requests", "10",
                          "--wrk-seconds", "0", "--validation-limit", "300", "--json", str(out)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "| mått | mini |" in run.stdout
    figures = json.loads(out.read_text())[0]
    assert figures["store_triples"] > figures["generated_triples"] > 4_000
    assert figures["ask_http_20_clients_ms"]["errors"] == 0
    assert figures["ask_http_20_clients_unprepared_ms"]["errors"] == 0
    assert figures["precomputed_answers"] > 21 * 30  # every task in every municipality
    assert figures["gaps_found"] >= 1
    # The generated graph passes the project's own validation, or every figure above is
    # measured on data `validate`, `serve` and `prepare` would refuse (the generator once
    # fell behind when per-statement support, `stöd:`, became required).
    assert figures["full_validation"].get("violations") == 0, figures["full_validation"]
