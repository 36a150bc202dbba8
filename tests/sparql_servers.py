"""Real SPARQL servers on 127.0.0.1 for the store tests: started here, loaded with
`ansvarsgraf load`, stopped afterwards. Nothing listens beyond loopback."""

import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from server import free_port, started, stop


@contextmanager
def oxigraph_server(workdir: Path, port: int | None = None, location: Path | None = None):
    """The Oxigraph server (PyPI `oxigraph`), default graph = union of graphs; in memory, or
    on disk at `location` (so that it can be killed and started again with its data)."""
    binary = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    log = workdir / "oxigraph.log"
    for attempt in range(3):
        chosen = port or free_port()
        with open(log, "ab") as out:
            process = subprocess.Popen([binary, "serve", "--bind", f"127.0.0.1:{chosen}", "--union-default-graph",
                                        "--timeout-s", "30", *(["--location", str(location)] if location else [])],
                                       stdout=out, stderr=subprocess.STDOUT)
        if started(process, f"http://127.0.0.1:{chosen}/query?query=ASK%7B%7D", log, chosen, 60, last=bool(port) or attempt == 2):
            break
    base = f"http://127.0.0.1:{chosen}"
    try:
        yield {"query": base + "/query", "update": base + "/update", "process": process, "port": chosen}
    finally:
        stop(process)


def published(endpoints: dict) -> dict:
    """What readers of the server see now: the current version, its graphs and their sizes,
    and every graph of ours on the server (to find leftovers of other versions)."""
    from ansvarsgraf.dataset import FILE_GRAPH_BASE
    from ansvarsgraf.remote_store import SparqlEndpointStore

    reader = SparqlEndpointStore(endpoints["query"])
    current = reader.current_version()
    sizes = reader.graph_sizes()
    return {"version": current.version, "union": current.union, "parts": current.parts,
            "union_size": sizes.get(current.union or "", 0), "sizes": sizes,
            "ours": sorted(g for g in sizes if g.startswith(FILE_GRAPH_BASE))}


def load_args(endpoints: dict, *paths: str) -> list[str]:
    """`ansvarsgraf load` for the given files (none: all of data/) into one of these servers."""
    if "update" in endpoints:
        return ["load", *paths, "--endpoint", endpoints["query"], "--update-endpoint", endpoints["update"]]
    # Virtuoso's default account; the server listens on 127.0.0.1 only and lives for one test run.
    # In place: Virtuoso 7.2.5 answers wrong over a given graph (docs/drift.md).
    return ["load", *paths, "--endpoint", endpoints["query"], "--graph-store", endpoints["graph_store"],
            "--user", "dba", "--password", "dba", "--digest", "--pa-plats"]


def publisher(endpoints: dict):
    """A store that may write to one of these servers, as `load_args` does."""
    from ansvarsgraf.remote_store import SparqlEndpointStore

    if "update" in endpoints:
        return SparqlEndpointStore(endpoints["query"], endpoints["update"])
    return SparqlEndpointStore(endpoints["query"], user="dba", password="dba", digest=True, graph_store_url=endpoints["graph_store"])


def load_into(endpoints: dict, *paths: str) -> None:
    """Publish data/ with `ansvarsgraf load`; given paths (test fixtures: invented data that
    carries no support, which `load`'s SHACL check refuses), publish them the same way
    through the library, past that check."""
    from ansvarsgraf.cli import main

    if not paths:
        assert main(load_args(endpoints)) == 0
        return
    from ansvarsgraf.dataset import load_data

    publish_loaded(endpoints, load_data([Path(p) for p in paths]))


def publish_loaded(endpoints: dict, loaded) -> None:
    """Publish data already read (and checked) in this process, as `load` publishes it, without
    reading and validating it again: the session's servers get the session's `loaded`."""
    from ansvarsgraf.publish import Publisher

    Publisher(publisher(endpoints), say=lambda _: None, in_place="update" not in endpoints).publish(loaded)


VIRTUOSO_INI = """[Database]
DatabaseFile = ./virtuoso.db
ErrorLogFile = ./virtuoso.log
LockFile = ./virtuoso.lck
TransactionFile = ./virtuoso.trx
xa_persistent_file = ./virtuoso.pxa
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = ./virtuoso-temp.db
TransactionFile = ./virtuoso-temp.trx

[Parameters]
ServerPort = 127.0.0.1:{isql_port}
DisableUnixSocket = 1
ServerThreads = 10
CheckpointInterval = 60
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
DirsAllowed = .

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = .
MaxClientConnections = 10
ServerThreads = 10
Charset = UTF-8

[SPARQL]
ResultSetMaxRows = 100000
MaxQueryExecutionTime = 60
"""


@contextmanager
def virtuoso_server(workdir: Path):
    """Virtuoso Open Source 7 from Debian's packages (scripts/virtuoso.sh unpacks them)."""
    project = Path(__file__).resolve().parents[1]
    binary = subprocess.run(["bash", str(project / "scripts" / "virtuoso.sh")], capture_output=True, text=True, check=True).stdout.strip()
    root = Path(binary).parents[2]
    env = {"LD_LIBRARY_PATH": f"{root}/usr/lib/x86_64-linux-gnu:{root}/lib/x86_64-linux-gnu", "PATH": "/usr/bin:/bin"}
    for attempt in range(3):
        home = workdir / f"forsok-{attempt}" if attempt else workdir  # a stopped try leaves its database
        home.mkdir(exist_ok=True)
        log = home / "virtuoso.out"
        http_port, isql_port = free_port(), free_port()
        (home / "virtuoso.ini").write_text(VIRTUOSO_INI.format(http_port=http_port, isql_port=isql_port))
        with open(log, "wb") as out:
            process = subprocess.Popen([binary, "+foreground", "+configfile", "virtuoso.ini"], cwd=home, env=env,
                                       stdout=out, stderr=subprocess.STDOUT)
        if started(process, f"http://127.0.0.1:{http_port}/sparql?query=ASK%7B%7D", log, http_port, 120, last=attempt == 2):
            break
    base = f"http://127.0.0.1:{http_port}"
    try:
        yield {"query": base + "/sparql", "graph_store": base + "/sparql-graph-crud-auth"}
    finally:
        stop(process, 20)



class DelayingProxy:
    """A TCP proxy on 127.0.0.1 in front of a server: every chunk a client sends waits
    `delay_s` seconds (changeable while it runs) before it goes on, as a slow network or an
    overloaded server would make it. Stopped with close()."""

    def __init__(self, upstream_port: int):
        import socket
        import threading

        self.upstream_port = upstream_port
        self.delay_s = 0.0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._open = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import socket
        import threading

        while self._open:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source, target, delayed: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if delayed and self.delay_s:
                    time.sleep(self.delay_s)
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (source, target):
                try:
                    s.close()
                except OSError:
                    pass

    def close(self) -> None:
        self._open = False
        self._listener.close()
