"""Start the real `ansvarsgraf serve` on a free loopback port for tests, capturing its log."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(process: subprocess.Popen, grace_s: float = 10) -> None:
    process.terminate()
    try:
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        process.kill()


@contextmanager
def running_server(log_path: Path, *options: str, command: tuple[str, ...] = (sys.executable, "-m", "ansvarsgraf.cli"),
                   cwd: Path | None = None, env: dict | None = None, probe: str = "/", any_status: bool = False):
    """`command` is how ansvarsgraf is started (default: this interpreter's package). It is up
    when `probe` answers 200, or with any_status any HTTP answer (a 503 while its store is down)."""
    port = free_port()
    with open(log_path, "wb") as log:
        process = subprocess.Popen([*command, "serve", "--port", str(port), *options], cwd=cwd,
                                   stdout=log, stderr=subprocess.STDOUT, env={**(env or os.environ), "PYTHONUNBUFFERED": "1"})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(base + probe, timeout=2)
                break
            except OSError as exc:
                if any_status and isinstance(exc, urllib.error.HTTPError):
                    break
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"servern startade inte: {log_path.read_text(errors='replace')[-2000:]}")
                time.sleep(0.3)
        yield base
    finally:
        stop(process)
