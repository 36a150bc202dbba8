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


class PortTaken(RuntimeError):
    """Another process answers on the port a server was started on. free_port only finds a
    port free at that moment: a second worker's free_port can return the same one before a
    slow server (Virtuoso, `serve`) binds it. Virtuoso then logs "Failed HTTP listen" and runs
    on without HTTP, and the first answer came from the other worker's server: a full run once
    compared the bundled data with a Virtuoso holding the gap-rule fixtures (test_stores). The
    caller starts again on another port."""


def holds_listener(pid: int, port: int) -> bool:
    """Whether process `pid` holds the socket listening on 127.0.0.1:`port` (Linux /proc: the
    socket's inode in /proc/net/tcp, among the process's open files)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(f"socket:[{fields[9]}]")
    try:
        opened = os.listdir(f"/proc/{pid}/fd")
    except OSError:  # the process has ended
        return False
    for fd in opened:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                return True
        except OSError:  # closed since the listing (the listing's own descriptor, for one)
            continue
    return False


def wait_until_up(url: str, process: subprocess.Popen, log: Path, port: int, seconds: float = 60,
                  any_status: bool = False) -> None:
    """Wait until `url` answers (200, or with any_status any HTTP answer) and the answer came
    from `process`: PortTaken when another process holds the port, RuntimeError with the end
    of the log when the process stops or the time runs out."""
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"servern startade inte: {log.read_text(errors='replace')[-2000:]}")
        try:
            urllib.request.urlopen(url, timeout=2)
        except OSError as exc:
            if not (any_status and isinstance(exc, urllib.error.HTTPError)):
                time.sleep(0.2)
                continue
        if holds_listener(process.pid, port):
            return
        raise PortTaken(f"port {port}: en annan process än servern (pid {process.pid}) svarar där")


def started(process: subprocess.Popen, url: str, log: Path, port: int, seconds: float, last: bool,
            any_status: bool = False) -> bool:
    """True when the server is up on its port; False, with the process stopped, when another
    process holds the port (start again on another one), unless this was the last try."""
    try:
        wait_until_up(url, process, log, port, seconds, any_status)
        return True
    except PortTaken:
        stop(process, 20)
        if last:
            raise
        return False
    except BaseException:
        stop(process, 20)
        raise


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
    for attempt in range(3):
        port = free_port()
        with open(log_path, "wb") as log:
            process = subprocess.Popen([*command, "serve", "--port", str(port), *options], cwd=cwd,
                                       stdout=log, stderr=subprocess.STDOUT, env={**(env or os.environ), "PYTHONUNBUFFERED": "1"})
        if started(process, f"http://127.0.0.1:{port}{probe}", log_path, port, 120, last=attempt == 2, any_status=any_status):
            break
    base = f"http://127.0.0.1:{port}"
    try:
        yield base
    finally:
        stop(process)
