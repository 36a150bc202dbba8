"""Real SPARQL servers on 127.0.0.1 for the store tests: started here, loaded with
`ansvarsgraf load`, stopped afterwards. Nothing listens beyond loopback."""

import shutil
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from server import free_port


def _wait(url: str, process: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"servern startade inte: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)


@contextmanager
def oxigraph_server(workdir: Path):
    """The Oxigraph server (PyPI `oxigraph`), in memory, default graph = union of graphs."""
    binary = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    port = free_port()
    log = workdir / "oxigraph.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([binary, "serve", "--bind", f"127.0.0.1:{port}", "--union-default-graph",
                                    "--timeout-s", "30"], stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base + "/query?query=ASK%7B%7D", process, log)
        yield {"query": base + "/query", "update": base + "/update"}
    finally:
        process.terminate()
        process.wait(10)


def load_into(endpoints: dict, *paths: str) -> None:
    from ansvarsgraf.cli import main

    args = ["load", *paths, "--endpoint", endpoints["query"], "--update-endpoint", endpoints["update"]]
    assert main(args) == 0
