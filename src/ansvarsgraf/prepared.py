"""Prepared stores: `ansvarsgraf prepare` checks every file and builds an on-disk embedded
store, with the answers for given dates built ahead (precomputed.py); `serve --store` opens
it read-only after checking it against what `prepare` recorded."""

import datetime as dt
import json
import logging
import os
import shutil
import time
from pathlib import Path

import pyoxigraph as ox

from .dataset import graph_name, load_data
from .embedded_store import OxigraphStore
from .errors import StoreUnavailable
from .precomputed import FILE_NAME, PrecomputedAnswers, file_checksum, write


class PreparedStore(OxigraphStore):
    """An embedded store opened from `prepare`'s directory, with the answers built there
    (None when there are none or they cannot be used: answers are then built on request).
    The answer engine reads them through answering.WithPreparedAnswers."""

    def __init__(self, store: ox.Store, precomputed: PrecomputedAnswers | None = None):
        super().__init__(store)
        self.precomputed = precomputed


class NotAPreparedStoreError(ValueError):
    pass


KEEP_VERSIONS = 2  # the new store and the one running processes may still read


def prepare_store(target: Path, paths: list[Path] | None = None, answer_dates: list[dt.date] = ()) -> PreparedStore:
    """Check every file, then build an on-disk store for `serve --store target`.

    Several API processes open one prepared store read-only (start-up is then an open, not
    a load). Each build is a version of its own (`.<name>-<time>`) and `target` is a symlink
    that is switched to the new version in one atomic rename once it is complete. So a
    broken file (DataLoadError, with file and line) or a crash leaves the previous store as
    it was, a reader never opens half a store, and a process still serving the previous
    version keeps reading it (it opened the version, not the link) until it is restarted.
    Older versions than the previous one are removed.

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


def write_manifest(store: "OxigraphStore", directory: Path) -> None:
    """Record what the version holds, for open_prepared_store to check against."""
    graphs = {}
    for row in store.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"):
        graphs[str(row["g"])] = int(row["n"])
    answers = Path(directory) / FILE_NAME
    manifest = {"tripler": sum(graphs.values()), "grafer": graphs,
                "svar_sha256": file_checksum(answers) if answers.exists() else None}
    (Path(directory) / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")


def open_prepared_store(path: Path) -> PreparedStore:
    """Open a store made by `ansvarsgraf prepare`, read-only (many processes may share it),
    after checking it against what `prepare` recorded: a damaged store is refused with what
    is wrong, a damaged or missing answers file is not used (answers are built on request).
    The version the link points to now is opened, so a later `prepare` does not move it."""
    log = logging.getLogger("ansvarsgraf.store")
    link, path = Path(path), Path(path).resolve()
    again = f"skapa det igen med `ansvarsgraf prepare {link}`"
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
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else None
    embedded = PreparedStore(store)
    if manifest is None:
        log.warning("Lagret %s saknar förteckningen %s (gjort av en äldre version) och kan inte kontrolleras; "
                    "kör `ansvarsgraf prepare` igen.", path, MANIFEST)
    else:
        try:
            found = {str(r["g"]): int(r["n"]) for r in embedded.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")}
        except StoreUnavailable as exc:
            raise NotAPreparedStoreError(f"lagret {path} är skadat: {exc.message} {again}.") from None
        if found != manifest["grafer"]:
            wrong = sorted(g for g in set(found) | set(manifest["grafer"]) if found.get(g) != manifest["grafer"].get(g))
            raise NotAPreparedStoreError(f"lagret {path} är skadat: {len(wrong)} grafer har inte de tripler prepare skrev "
                                         f"(t.ex. {wrong[0]}: {found.get(wrong[0], 0)} i stället för "
                                         f"{manifest['grafer'].get(wrong[0], 0)}); {again}.")
    embedded.precomputed = PrecomputedAnswers.open(path, expected_sha256=manifest.get("svar_sha256") if manifest else None)
    log.info("Lagret %s kontrollerat: %s tripler%s.", path, manifest["tripler"] if manifest else "okänt antal",
             ", svar byggda i förväg" if embedded.precomputed else ", svar byggs vid behov")
    return embedded
