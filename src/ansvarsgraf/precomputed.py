"""Answers worked out when a store is prepared, so that a server reads them instead of
building them.

Building one answer takes 10–25 ms at national scale (about 1M triples), and two API
processes on two cores then give some 50–80 distinct answers a second. Every (task,
municipality) pair for the dates staff ask about (by default the day of `prepare`) is
therefore built once, municipality by municipality, by the same code that builds an answer
on request (answering.duties_for_tasks), and kept beside the store in an SQLite file. A
server reads one row instead of running a handful of queries.

An answer is keyed by its exact date, so nothing is assumed about when the data changes;
a date that was not prepared is built on request as before. The file records a
fingerprint of the code and queries that build answers: one written by another version is
not used (and says so in the log), so an upgrade never serves answers in an old form.
"""

import datetime as dt
import hashlib
import logging
import sqlite3
import threading
import zlib
from contextlib import closing
from pathlib import Path

import orjson
from pydantic import TypeAdapter

from .answering import duties_for_tasks
from .catalog import catalog_for
from .results import Duties
from .paths import ONTOLOGY_FILES, QUERIES_DIR

FILE_NAME = "svar.sqlite"
log = logging.getLogger(__name__)

def fingerprint() -> str:
    """Changes whenever the package's code, a query or the ontology changes: any of them may
    shape an answer (the store's row order, a label's fallback, a kind's name …), so none is
    trusted to not."""
    digest = hashlib.sha256()
    package = Path(__file__).parent
    for path in [*sorted(package.rglob("*.py")), *sorted(QUERIES_DIR.rglob("*.rq")), *ONTOLOGY_FILES]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def write(store, directory: Path, dates: list[dt.date]) -> int:
    """Build every task's answer in every municipality on each date into directory/svar.sqlite.
    Written to a new file that replaces the old one only when complete."""
    catalog = catalog_for(store)
    tasks = sorted(catalog.task_labels)
    target = Path(directory) / FILE_NAME
    partial = target.with_suffix(".ny")
    partial.unlink(missing_ok=True)
    count = 0
    with closing(sqlite3.connect(partial)) as db, db:  # closed, and committed only if all went well
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("CREATE TABLE duties (datum TEXT, uppgift TEXT, kommun TEXT, svar BLOB NOT NULL,"
                   " PRIMARY KEY (datum, uppgift, kommun)) WITHOUT ROWID")
        db.execute("INSERT INTO meta VALUES ('fingerprint', ?)", (fingerprint(),))
        for on_date in dates:
            for kommun in sorted(catalog.by_iri):
                built = duties_for_tasks(store, tasks, kommun, on_date)
                db.executemany("INSERT INTO duties VALUES (?, ?, ?, ?)",
                               [(on_date.isoformat(), task, kommun, _pack(duties)) for task, duties in built.items()])
                count += len(built)
    partial.replace(target)
    return count


def file_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


class PrecomputedAnswers:
    """The answers of one prepared store, read-only; safe to share between threads.

    If the file disappears or breaks under a running server, an answer that cannot be read
    is built on request instead (duties gives None), and the log says so once; the store's
    check (prepared.PreparedStore.check_now) then stops using it, and opens it again when
    it is back as `prepare` wrote it."""

    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()  # an SQLite connection per thread
        self._failed = False

    @classmethod
    def open(cls, directory: Path, expected_sha256: str | None = None) -> "PrecomputedAnswers | None":
        path = Path(directory) / FILE_NAME
        if not path.exists():
            if expected_sha256:
                log.warning("%s saknas fast prepare skrev den; svaren byggs vid behov. Kör `ansvarsgraf prepare` igen.", path)
            return None
        found = cls(path)
        try:
            written_by = found._connection().execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
        except sqlite3.Error as exc:
            log.warning("%s går inte att läsa (%s) och används inte; svaren byggs vid behov.", path, exc)
            return None
        if written_by is None or written_by[0] != fingerprint():
            log.warning("%s gjordes av en annan version av ansvarsgraf och används inte; "
                        "kör `ansvarsgraf prepare` igen för snabba svar.", path)
            return None
        if expected_sha256 and file_checksum(path) != expected_sha256:
            log.warning("%s är inte den fil prepare skrev (kontrollsumman skiljer sig) och används inte; "
                        "svaren byggs vid behov. Kör `ansvarsgraf prepare` igen.", path)
            return None
        return found

    def count(self) -> int:
        return self._connection().execute("SELECT count(*) FROM duties").fetchone()[0]

    def duties(self, task: str, municipality: str, on_date: dt.date) -> Duties | None:
        """The prepared answer, or None: not prepared, or the file cannot be read (then the
        answer is built on request)."""
        try:
            row = self._connection().execute("SELECT svar FROM duties WHERE datum = ? AND uppgift = ? AND kommun = ?",
                                             (on_date.isoformat(), task, municipality)).fetchone()
        except sqlite3.Error as exc:
            if not self._failed:
                self._failed = True
                log.warning("%s går inte längre att läsa (%s); svaren byggs vid behov tills filen är tillbaka "
                            "eller `ansvarsgraf prepare` har körts.", self.path, exc)
            return None
        if row is None:
            return None
        return _DUTIES.validate_json(zlib.decompress(row[0]))

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
            self._local.connection = connection
        return connection


def _pack(duties: Duties) -> bytes:
    # The same provisions and paths recur in many answers: compressed, a national store's
    # answers take a tenth of the room, and unpacking one costs microseconds.
    return zlib.compress(orjson.dumps(duties), 1)


# What orjson wrote, read back into the result types by pydantic (its JSON parser and the
# dataclasses' own field types; as fast as the hand-written decoder it replaced,
# benchmarks/libraries.py). Built once: building it reads every type hint.
_DUTIES = TypeAdapter(Duties)
