"""Prepared stores: `ansvarsgraf prepare` checks every file and builds an on-disk embedded
store, with the answers for given dates built ahead (precomputed.py); `serve --store` opens
it read-only after checking it against what `prepare` recorded, and checks it again
whenever its files or its link change under the running server (PreparedStore.watch)."""

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import pyoxigraph as ox

from .dataset import graph_name, load_data
from .embedded_store import OxigraphStore
from .errors import StoreUnavailable
from .precomputed import FILE_NAME, PrecomputedAnswers, file_checksum, write
from .queries import store_query


class NotAPreparedStoreError(ValueError):
    pass


KEEP_VERSIONS = 2  # the new store and the one running processes may still read


def prepare_store(target: Path, paths: list[Path] | None = None, answer_dates: list[dt.date] = ()) -> "PreparedStore":
    """Check every file, then build an on-disk store for `serve --store target`.

    Several API processes open one prepared store read-only (start-up is then an open, not
    a load). Each build is a version of its own (`.<name>-<time>`) and `target` is a symlink
    that is switched to the new version in one atomic rename once it is complete. So a
    broken file (DataLoadError, with file and line) or a crash leaves the previous store as
    it was, and a reader never opens half a store. A running `serve` switches to the new
    version once its next check has found it whole (PreparedStore.watch); until then, and
    to the end of a request begun before, it reads the previous one (it opened the
    version, not the link). Older versions than the previous one are removed.

    For each of `answer_dates` every task's answer in every municipality is built into the
    version too (precomputed.py), so the servers read answers instead of building them.
    """
    loaded = load_data(paths)  # raises before anything on disk is touched
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and not target.is_symlink():
        raise NotAPreparedStoreError(f"{target} finns redan och är inget lager från `ansvarsgraf prepare`; välj en annan mapp.")
    version = target.with_name(f".{target.name}-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}")
    try:
        store = OxigraphStore.from_loaded(loaded, version)
        store._store.flush()
        if answer_dates:
            write(store, version, list(answer_dates))
        write_manifest(store, version)
        del store
    except BaseException:
        shutil.rmtree(version, ignore_errors=True)
        raise
    link = target.with_name(f".{target.name}.ny-{os.getpid()}")
    link.unlink(missing_ok=True)
    link.symlink_to(version.name)
    os.replace(link, target)  # atomic: readers see the old version or the new one
    versions = sorted(target.parent.glob(f".{target.name}-*"), key=lambda p: p.stat().st_mtime)
    for old in versions[:-KEEP_VERSIONS]:
        shutil.rmtree(old, ignore_errors=True)
    return open_prepared_store(target)


MANIFEST = "lager.json"  # what `prepare` built: triples per graph, the answers file's checksum
CHECK_ENV = "ANSVARSGRAF_STORE_CHECK_S"  # how often `serve` looks at the store on disk (seconds)
CHECK_S = 2.0
# The store's own files, as `prepare` left them. RocksDB's info log and lock file are not
# data (a reader may touch them), and the answers file is looked at on its own.
_NOT_DATA = ("LOG", "LOCK", FILE_NAME)
UNREADABLE = "Lagret på disk går inte att läsa; driften behöver köra `ansvarsgraf prepare` igen."
log = logging.getLogger("ansvarsgraf.store")


def write_manifest(store: "OxigraphStore", directory: Path) -> None:
    """Record what the version holds, for open_prepared_store to check against."""
    graphs = {}
    for row in store.select(store_query("grafstorlek")):
        graphs[str(row["g"])] = int(row["n"])
    answers = Path(directory) / FILE_NAME
    manifest = {"tripler": sum(graphs.values()), "grafer": graphs,
                "svar_sha256": file_checksum(answers) if answers.exists() else None}
    (Path(directory) / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")


@dataclass(frozen=True)
class _Version:
    """One version of a prepared store as checked: its store and answers, what its files
    looked like then (name -> size and time), and, if it can no longer be read, what is wrong."""

    directory: Path
    store: ox.Store
    precomputed: PrecomputedAnswers | None
    identifier: str  # the data version: which version, and what its manifest says it holds
    triples: int | None
    data_files: dict | None
    answers_file: tuple | None
    fault: str | None = None


def _files(directory: Path) -> tuple[dict | None, tuple | None]:
    """(the data files, the answers file), each by size and modification time; None for a
    directory or file that is not there."""
    try:
        entries = {e.name: (e.stat().st_size, e.stat().st_mtime_ns) for e in os.scandir(directory) if e.is_file()}
    except OSError:
        return None, None
    data = {name: state for name, state in entries.items() if not name.startswith(_NOT_DATA)}
    return data, entries.get(FILE_NAME)


def _checked(link: Path, path: Path) -> _Version:
    """Open the version at `path` read-only and check it against what `prepare` recorded: a
    damaged store raises NotAPreparedStoreError saying what is wrong; a damaged or missing
    answers file is not used (answers are then built on request)."""
    again = f"skapa det igen med `ansvarsgraf prepare {link}`"
    data_files, answers_file = _files(path)  # before opening: a change meanwhile is seen at the next check
    if not (path / "CURRENT").exists():
        raise NotAPreparedStoreError(f"{path} är inget förberett lager; skapa det med `ansvarsgraf prepare {link}`.")
    try:
        store = ox.Store.read_only(str(path))
        has_ontology = store.contains_named_graph(ox.NamedNode(str(graph_name("ontology"))))
    except (OSError, RuntimeError) as exc:  # RocksDB reports missing or damaged files as either
        raise NotAPreparedStoreError(f"lagret {path} är skadat och går inte att öppna ({str(exc)[:200]}); {again}.") from None
    if not has_ontology:
        raise NotAPreparedStoreError(f"{path} saknar ontologin och är inget förberett lager; {again}.")
    manifest_path = path / MANIFEST
    manifest_text = manifest_path.read_text(encoding="utf-8") if manifest_path.exists() else None
    manifest = json.loads(manifest_text) if manifest_text else None
    if manifest is None:
        log.warning("Lagret %s saknar förteckningen %s (gjort av en äldre version) och kan inte kontrolleras; "
                    "kör `ansvarsgraf prepare` igen.", path, MANIFEST)
    else:
        try:
            found = {str(r["g"]): int(r["n"]) for r in OxigraphStore(store).select(store_query("grafstorlek"))}
        except StoreUnavailable as exc:
            raise NotAPreparedStoreError(f"lagret {path} är skadat: {exc.message} {again}.") from None
        if found != manifest["grafer"]:
            wrong = sorted(g for g in set(found) | set(manifest["grafer"]) if found.get(g) != manifest["grafer"].get(g))
            raise NotAPreparedStoreError(f"lagret {path} är skadat: {len(wrong)} grafer har inte de tripler prepare skrev "
                                         f"(t.ex. {wrong[0]}: {found.get(wrong[0], 0)} i stället för "
                                         f"{manifest['grafer'].get(wrong[0], 0)}); {again}.")
    precomputed = PrecomputedAnswers.open(path, expected_sha256=manifest.get("svar_sha256") if manifest else None)
    identifier = f"{path.name}:{hashlib.sha256((manifest_text or '').encode()).hexdigest()[:16]}"
    return _Version(path, store, precomputed, identifier, manifest["tripler"] if manifest else None, data_files, answers_file)


class _Pin:
    def __init__(self, store: "PreparedStore", version: _Version):
        self.store, self.version = store, version


# The version one web request (web/unavailable.py) or one derived value (per_data_version)
# reads, so that a new `prepare` switched in meanwhile cannot give it parts of two versions.
_PINNED: ContextVar[_Pin | None] = ContextVar("ansvarsgraf_prepared_version", default=None)


class PreparedStore(OxigraphStore):
    """An embedded store opened from `prepare`'s directory, with the answers built there
    (None when there are none or they cannot be used: answers are then built on request).
    The answer engine reads them through answering.WithPreparedAnswers.

    Opened, it reads the version the link pointed to then. `watch()` (what `serve` does)
    looks at the link and the version's files every ANSVARSGRAF_STORE_CHECK_S seconds and
    checks them again when they change (check_now): a new version from `prepare` is
    switched to once it has passed the checks; files that went missing or changed make every
    query answer StoreUnavailable (503) until they are back and pass the checks again; an
    answers file that went missing or changed is not used (answers are built) until it is
    back as prepare wrote it. Every change is logged, in Swedish, once."""

    def __init__(self, version: _Version, link: Path):
        self._current = version
        self._link = link
        self._said: set[str] = set()  # what the log has been told about the current problems
        self._refused: tuple[Path, dict | None] | None = None  # a new version that failed, as its files were
        self._watcher: threading.Thread | None = None
        self._warm_up: Callable[[], object] | None = None

    # --- what a query reads: the request's version ---------------------------------------

    def _version(self) -> _Version:
        pin = _PINNED.get()
        return pin.version if pin is not None and pin.store is self else self._current

    @property
    def _store(self) -> ox.Store:
        version = self._version()
        if version.fault is not None:
            raise StoreUnavailable(UNREADABLE, retry_after_s=30)
        return version.store

    @property
    def precomputed(self) -> PrecomputedAnswers | None:
        return self._version().precomputed

    def data_version(self) -> str:
        return self._version().identifier

    @property
    def directory(self) -> Path:
        """The version read now (prepare's `.<name>-<time>` beside the link)."""
        return self._version().directory

    @property
    def degraded(self) -> bool:
        """True while the store's files cannot be read: what is served comes from caches and
        the answers file, with a notice that it may be stale (web/unavailable.py)."""
        return self._current.fault is not None

    @contextmanager
    def reading(self, budget: bool = False):
        """Every query inside reads the version current at its start (nested: the outer one's).
        (budget is the SPARQL server's time limit per request; a store on disk has none.)"""
        pin = _PINNED.get()
        if pin is not None and pin.store is self:
            yield
            return
        token = _PINNED.set(_Pin(self, self._current))
        try:
            yield
        finally:
            _PINNED.reset(token)

    def in_this_version(self, function):
        """`function`, to run in another thread (the catalog's matchers) on this version."""
        version = self._version()

        def run(*args, **kwargs):
            token = _PINNED.set(_Pin(self, version))
            try:
                return function(*args, **kwargs)
            finally:
                _PINNED.reset(token)
        return run

    # --- checked on change --------------------------------------------------------------

    def watch(self, interval_s: float | None = None, warm_up: Callable[[], object] | None = None) -> None:
        """Check the store on disk in the background from now on (once per store). warm_up
        (the server's catalog) is run on a new version before it is switched to, so that no
        request waits for it."""
        if self._watcher is not None:
            return
        self._warm_up = warm_up
        interval_s = float(os.environ.get(CHECK_ENV) or CHECK_S) if interval_s is None else interval_s

        def loop():
            while True:
                time.sleep(interval_s)
                try:
                    self.check_now()
                except Exception:  # noqa: BLE001 — the watcher must outlive one odd check
                    log.exception("Kontrollen av lagret %s misslyckades; försöker igen", self._link)

        self._watcher = threading.Thread(target=loop, name="lagerkontroll", daemon=True)
        self._watcher.start()

    def check_now(self) -> None:
        """Look at the link and the files of the version read now; check again what changed."""
        current = self._current
        target = self._link.resolve()
        if target != current.directory and self._switch_to(target):
            return
        data_files, answers_file = _files(current.directory)
        if data_files != current.data_files:
            self._recheck(current)
        elif answers_file != current.answers_file:
            self._reopen_answers(current, answers_file)

    def _switch_to(self, target: Path) -> bool:
        """A new `prepare` (or the link changed by hand): read the version it points to, if it
        passes the checks; else keep the one read now and say why."""
        files = _files(target)[0]
        if self._refused == (target, files):
            return False  # checked as it is now, and refused: not again until its files change
        try:
            new = _checked(self._link, target)
        except NotAPreparedStoreError as exc:
            self._refused = (target, files)
            self._say(f"ny:{target}", logging.ERROR, "Lagret %s pekar nu på %s, som inte används: %s Servern fortsätter "
                      "med versionen %s.", self._link, target, exc, self._current.directory.name)
            return False
        if self._warm_up is not None:
            token = _PINNED.set(_Pin(self, new))
            try:
                self._warm_up()
            except StoreUnavailable as exc:  # checked whole a moment ago; answered on request instead
                log.warning("Den nya versionen %s kunde inte förberedas (%s); den byggs vid första frågan.", target.name, exc.message)
            finally:
                _PINNED.reset(token)
        old, self._current = self._current, new
        self._said.clear()
        log.warning("Lagret %s har bytts: servern läser nu versionen %s (%s tripler, %s) i stället för %s.",
                    self._link, target.name, new.triples if new.triples is not None else "okänt antal",
                    "svar byggda i förväg" if new.precomputed else "svar byggs vid behov", old.directory.name)
        return True

    def _recheck(self, current: _Version) -> None:
        """The version's own files changed (removed, damaged, or put back)."""
        try:
            checked = _checked(self._link, current.directory)
        except NotAPreparedStoreError as exc:
            data_files, answers_file = _files(current.directory)
            self._current = replace(current, data_files=data_files, answers_file=answers_file, fault=str(exc))
            self._say("fel", logging.ERROR, "Lagrets filer har ändrats under servern och %s Frågor som behöver lagret får "
                      "503 tills filerna är tillbaka eller `ansvarsgraf prepare %s` har körts; det som kommer ur "
                      "cachen och svarsfilen märks som kanske inaktuellt.", exc, self._link)
            return
        if checked.identifier != current.identifier:  # the same folder now holds other data: a new version
            self._said.clear()
        self._current = checked
        if current.fault is not None:
            self._said.clear()
            log.warning("Lagret %s går att läsa igen och har de tripler prepare skrev; servern svarar som vanligt.",
                        current.directory)

    def _reopen_answers(self, current: _Version, answers_file: tuple | None) -> None:
        manifest_path = current.directory / MANIFEST
        expected = json.loads(manifest_path.read_text(encoding="utf-8")).get("svar_sha256") if manifest_path.exists() else None
        precomputed = PrecomputedAnswers.open(current.directory, expected_sha256=expected)
        self._current = replace(current, precomputed=precomputed, answers_file=answers_file)
        log.warning("Svarsfilen %s har ändrats under servern: %s.", current.directory / FILE_NAME,
                    "svaren läses ur den igen" if precomputed else "svaren byggs vid behov")

    def _say(self, key: str, level: int, message: str, *args) -> None:
        if key not in self._said:
            self._said.add(key)
            log.log(level, message, *args)


def open_prepared_store(path: Path) -> PreparedStore:
    """Open a store made by `ansvarsgraf prepare`, read-only (many processes may share it),
    after checking it against what `prepare` recorded: a damaged store is refused with what
    is wrong, a damaged or missing answers file is not used (answers are built on request).
    The version the link points to now is opened; a later `prepare` does not move it unless
    the store is watched (PreparedStore.watch, as `serve` does)."""
    link = Path(path)
    version = _checked(link, link.resolve())
    log.info("Lagret %s kontrollerat: %s tripler%s.", version.directory, version.triples or "okänt antal",
             ", svar byggda i förväg" if version.precomputed else ", svar byggs vid behov")
    return PreparedStore(version, link)
