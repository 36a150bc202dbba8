"""Publishing a data set to a SPARQL server as one transaction with one writer.

`ansvarsgraf load` (cli.py) calls `publish`. Readers (SparqlEndpointStore) query exactly the
graphs that the version marker names (remote_store.VERSION_GRAPH), so:

1. **One writer.** The publisher writes a lock graph of its own (`urn:ansvarsgraf:lock:<id>`)
   and reads every lock graph back: it goes on only when its own is the only live one, and
   otherwise removes its own and, after a few short tries, gives up with the other holder's
   name. This needs nothing but "write a graph" and "read", so it works the same over Graph
   Store Protocol and SPARQL Update, on the Oxigraph server and on Virtuoso 7.2 (whose updates
   are not guaranteed serialisable): of two publishers that both wrote, the later reader sees
   both and backs off, and one that read before the other wrote is seen by the other.
   A lock expires after its lease (renewed while publishing) or when its process is gone
   (same host); `--bryt-las` breaks it at once.
2. **One version.** Every file goes to a new graph named for the version
   (`…/graph/<file>@<version>`), all of them together to one more (`…/graph/version/<version>`,
   which readers query as their default graph); they are counted back, and only then is the
   marker switched, in one write, to the new graphs. A reader sees the old set or the new
   set, never a mix and never half of one. Blank nodes are skolemised
   (remote_store.skolemised): the same file gives the same triples every time.
   `in_place` (`load --pa-plats`) is for Virtuoso 7.2.5, which answers wrong when a query's
   default graph is given, so its readers read the union of all graphs (docs/drift.md): any
   graph written is read at once, and there is no graph to switch. Instead the marker first
   says that a publish is under way, and the publisher waits (the grace time) until every
   reader has seen it; readers then build nothing new from the store (503; cached answers
   as before) while each file's graph is replaced, until the marker switches to the new
   version. A reader sees the old set or the new set, or is told to come back, never a mix.
3. **Clean-up and recovery.** After the switch, once readers have had time to follow it
   (GRACE_ENV, a little more than their check interval), every other graph of ours goes:
   the superseded version, and graphs of an interrupted publish (a version that never became
   current), which the next publish finds and removes.
"""

import datetime as dt
import os
import random
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Callable

import rdflib

from .dataset import FILE_GRAPH_BASE, LoadedData, graph_name
from .remote_store import SUPERSEDED_KEPT_S, VERSION_CHECK_ENV, RemoteStoreError, SparqlEndpointStore, skolemised

LOCK_BASE = "urn:ansvarsgraf:lock:"
LOCK_NODE = rdflib.URIRef("urn:ansvarsgraf:lock")
LOCK = rdflib.Namespace("urn:ansvarsgraf:publish#")
LEASE_ENV = "ANSVARSGRAF_LOCK_LEASE_S"  # a lock not renewed for this long is stale
GRACE_ENV = "ANSVARSGRAF_VERSION_GRACE_S"  # superseded versions stay this long for readers
VERSION_SEPARATOR = "@"
# All of a version in one graph: what readers query as their default graph. (Per-file graphs
# alone would do as a dataset, but the Oxigraph server evaluates paths over a default graph
# of 43 graphs 20× slower than over one: measured 15 s instead of 0.6 s.)
UNION_BASE = FILE_GRAPH_BASE + "version/"


class PublishRefused(RuntimeError):
    """Another publisher holds the lock (message in Swedish, for the operator)."""


@dataclass(frozen=True)
class Lock:
    graph: str
    holder: str
    host: str
    pid: int
    since: str
    expires: dt.datetime
    version: str

    def alive(self, now: dt.datetime) -> bool:
        if self.expires < now:
            return False
        if self.host == socket.gethostname():
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                return False  # the publisher was killed; its lease need not run out
            except PermissionError:
                pass
        return True

    def describe(self) -> str:
        return f"{self.host} (process {self.pid}), sedan {self.since}, version {self.version}"


def version_graph(file_graph: str, version: str) -> str:
    return f"{file_graph}{VERSION_SEPARATOR}{version}"


def file_of(graph: str) -> str:
    """The file graph (…/graph/<file>) a version's graph holds."""
    return graph.rsplit(VERSION_SEPARATOR, 1)[0] if VERSION_SEPARATOR in graph[len(FILE_GRAPH_BASE):] else graph


def version_of(graph: str) -> str | None:
    if graph.startswith(UNION_BASE):
        return graph[len(UNION_BASE):]
    rest = graph[len(FILE_GRAPH_BASE):]
    return rest.rsplit(VERSION_SEPARATOR, 1)[1] if VERSION_SEPARATOR in rest else None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def new_version() -> str:
    # Sortable by time (which version is newer matters for recovery), unique by the suffix.
    return _now().strftime("%Y%m%dT%H%M%S%f") + "-" + uuid.uuid4().hex[:8]


class Publisher:
    def __init__(self, store: SparqlEndpointStore, say: Callable[[str], None] = print, break_lock: bool = False,
                 in_place: bool = False):
        self.store = store
        self.in_place = in_place
        self.say = say
        self.break_lock = break_lock
        self.lease_s = float(os.environ.get(LEASE_ENV, "300"))
        # Readers look at the marker every VERSION_CHECK_ENV seconds; a little more than that
        # (a reader idle for longer checks before it queries again, remote_store._follow).
        self.grace_s = float(os.environ.get(GRACE_ENV) or float(os.environ.get(VERSION_CHECK_ENV, "10")) + SUPERSEDED_KEPT_S)
        self.id = uuid.uuid4().hex
        self.host, self.pid = socket.gethostname(), os.getpid()
        self.lock_graph = LOCK_BASE + self.id
        self.version = new_version()
        self._renewed = 0.0
        self.readers_held = False  # the marker tells readers to wait for this publish

    # --- the lock ---------------------------------------------------------------------

    def locks(self) -> list[Lock]:
        rows = self.store.select(
            f"SELECT ?g ?holder ?host ?pid ?since ?expires ?version WHERE {{ GRAPH ?g {{ <{LOCK_NODE}> <{LOCK.holder}> ?holder ; "
            f"<{LOCK.host}> ?host ; <{LOCK.pid}> ?pid ; <{LOCK.since}> ?since ; <{LOCK.expires}> ?expires ; <{LOCK.version}> ?version }} }}",
            dataset=False)
        locks = []
        for r in rows:
            if not str(r["g"]).startswith(LOCK_BASE):
                continue
            try:
                expires = dt.datetime.fromisoformat(str(r["expires"]))
            except ValueError:
                expires = _now()  # unreadable: treat as expired
            locks.append(Lock(str(r["g"]), str(r["holder"]), str(r["host"]), int(str(r["pid"])), str(r["since"]),
                              expires, str(r["version"])))
        return locks

    def _write_lock(self) -> None:
        graph = rdflib.Graph()
        now = _now()
        for p, o in ((LOCK.holder, self.id), (LOCK.host, self.host), (LOCK.pid, self.pid),
                     (LOCK.since, now.isoformat(timespec="seconds")),
                     (LOCK.expires, (now + dt.timedelta(seconds=self.lease_s)).isoformat(timespec="seconds")),
                     (LOCK.version, self.version)):
            graph.add((LOCK_NODE, p, rdflib.Literal(o)))
        self.store.replace_graph(self.lock_graph, graph)
        self._renewed = time.monotonic()

    def renew(self) -> None:
        """Keep the lease while publishing (a long upload must not look like a dead one)."""
        if time.monotonic() - self._renewed > self.lease_s / 3:
            self._write_lock()

    def acquire(self, tries: int = 4) -> None:
        """Take the lock, breaking stale ones (their publish was interrupted; what it left
        is removed after this publish, see _clean), or raise PublishRefused."""
        others: list[Lock] = []
        for attempt in range(tries):
            self._write_lock()
            now = _now()
            others = [lock for lock in self.locks() if lock.holder != self.id]
            stale = [lock for lock in others if self.break_lock or not lock.alive(now)]
            for lock in stale:
                reason = "bryts (--bryt-las)" if self.break_lock and lock.alive(now) else "har gått ut"
                self.say(f"Publiceringslåset från {lock.describe()} {reason}; dess avbrutna publicering städas bort.")
                self.store.drop_graph(lock.graph)
            live = [lock for lock in others if lock not in stale]
            if not live:
                if stale and attempt + 1 < tries:
                    continue  # read again: another publisher may have broken the same lock
                return
            self.store.drop_graph(self.lock_graph)  # someone else is (or is becoming) the writer
            time.sleep(random.uniform(0.1, 0.6) * (attempt + 1))
        holder = next((lock for lock in others if lock.holder != self.id), None)
        who = holder.describe() if holder else "en annan publicering"
        raise PublishRefused(f"En annan publicering pågår redan mot servern: {who}. Inget har ändrats. "
                             f"Vänta tills den är klar, eller bryt låset med --bryt-las om den har avbrutits.")

    def release(self) -> None:
        self.store.drop_graph(self.lock_graph)

    # --- the version ------------------------------------------------------------------

    def publish(self, loaded: LoadedData) -> tuple[str, list[str]]:
        """Publish the loaded data set (all of data/ and any files named) as a new version;
        returns the version and its graphs. Files no longer there are in no graph of it."""
        self.acquire()
        try:
            return self._publish(loaded)
        finally:
            try:
                self.release()
            except RemoteStoreError as exc:
                self.say(f"Varning: publiceringslåset kunde inte tas bort ({exc}); nästa publicering ser att det gått ut.")

    def _publish(self, loaded: LoadedData) -> tuple[str, list[str]]:
        store = self.store
        current = store.current_version()
        ours = {g for g in store.graph_names() if g.startswith(FILE_GRAPH_BASE)}
        if ours and (self.in_place or not current.union):
            # Readers read the union of all graphs (in place, or a server loaded file by file
            # before versions): whatever is written now, they would read at once.
            self._hold_readers(current)
        files = [(str(graph_name(name)), skolemised(graph)) for name, graph in loaded.files.items()]
        files.append((str(graph_name("ontology")), skolemised(loaded.ontology)))
        if self.in_place:
            return self._publish_in_place(files, ours)
        expected = {}
        for file_graph, graph in files:
            name = version_graph(file_graph, self.version)
            self.renew()
            store.replace_graph(name, graph, whole=False)
            expected[name] = len(graph)
            self.say(f"{len(graph):>7} tripler → <{name}>")
        parts = sorted(expected)
        union_name = UNION_BASE + self.version
        union = rdflib.Graph()
        for _, graph in files:
            union += graph
        self.renew()
        store.replace_graph(union_name, union, whole=False)
        expected[union_name] = len(union)
        self.say(f"{len(union):>7} tripler → <{union_name}> (det API-processerna läser)")
        self._check_counts(expected)
        store.mark_published(parts, self.version, union=union_name)  # the switch: one write
        self._clean(current.version, set(expected), readers_follow=bool(current.union))
        return self.version, sorted(expected)

    def _hold_readers(self, current) -> None:
        """Tell readers that the graphs they read are about to change, and wait until every
        one has seen it (a reader looks at the marker every VERSION_CHECK_ENV seconds): from
        then on they build nothing new from the store until the marker switches."""
        self.readers_held = True
        if current.publishing:
            self.say("En tidigare publicering avbröts innan den blev klar; API-processerna har väntat på den här.")
            return
        self.store.mark_published(current.parts, current.version or None, union=current.union, publishing=True)
        self.say(f"API-processerna bygger inga nya svar (de svarar 503, cachade svar som vanligt) tills den nya "
                 f"versionen är på plats; väntar {self.grace_s:g} s på att alla har sett det.")
        time.sleep(self.grace_s)

    def _publish_in_place(self, files: list[tuple[str, rdflib.Graph]], ours: set[str]) -> tuple[str, list[str]]:
        """Each file's graph replaced where readers read the union of all graphs, while they
        are held off (module docstring, point 2)."""
        store = self.store
        expected = {}
        for file_graph, graph in files:
            self.renew()
            store.replace_graph(file_graph, graph)  # one request: never half a file
            expected[file_graph] = len(graph)
            self.say(f"{len(graph):>7} tripler → <{file_graph}>")
        for g in sorted(ours - set(expected)):  # files no longer there, before anyone reads again
            store.drop_graph(g)
        self._check_counts(expected, "API-processerna bygger inga nya svar förrän en publicering har gått igenom; kör load igen")
        store.mark_published(sorted(expected), self.version)  # readers read again, the new set
        return self.version, sorted(expected)

    def _check_counts(self, expected: dict[str, int],
                      consequence: str = "versionen kopplas inte in och förra versionen gäller") -> None:
        sizes = self.store.graph_sizes()
        short = {g: (sizes.get(g, 0), n) for g, n in expected.items() if sizes.get(g, 0) != n}
        if short:
            g, (got, want) = next(iter(short.items()))
            raise RemoteStoreError(f"servern har {got} tripler i <{g}>, {want} skickades ({len(short)} grafer avviker); {consequence}")

    def _clean(self, previous: str, new_parts: set[str], readers_follow: bool) -> None:
        """Remove every graph of ours outside the new version: those of interrupted publishes
        (never read by anyone) and, after the grace time in which readers move to the new
        version, those of the superseded ones."""
        leftovers = {g for g in self.store.graph_names() if g.startswith(FILE_GRAPH_BASE)} - new_parts
        interrupted = {g for g in leftovers if (version_of(g) or "") > (previous or "")}
        for version in sorted({version_of(g) for g in interrupted}):
            self.say(f"Grafer från en avbruten publicering (version {version}) tas bort; den blev aldrig synlig.")
        if readers_follow and leftovers - interrupted and self.grace_s > 0:
            self.say(f"Förra versionen tas bort om {self.grace_s:g} s, när API-processerna har gått över till den nya.")
            time.sleep(self.grace_s)
        for g in sorted(leftovers):
            self.store.drop_graph(g)
        if leftovers:
            self.say(f"{len(leftovers)} gamla grafer borttagna.")
