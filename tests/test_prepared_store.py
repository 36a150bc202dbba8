"""A prepared on-disk store (`ansvarsgraf prepare`) shared read-only by several API processes
(`serve --store DIR --workers N`): built whole or not at all, and answering as the
in-memory store does."""

import datetime as dt
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from ansvarsgraf.cli import main
from ansvarsgraf.paths import DATA_DIR
from ansvarsgraf.prepared import NotAPreparedStoreError, open_prepared_store
from datafiles import FORUM_ID, write_broken_forum, write_forum
from server import running_server
from test_faults import get

SKOS_LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"


def _forum_names(target):
    store = open_prepared_store(target)
    return _forum_in(store), len(store)


def _forum_in(store):
    rows = store.select(f"SELECT ?n WHERE {{ <https://w3id.org/ansvarsgraf/id/{FORUM_ID}> <{SKOS_LABEL}> ?n }}")
    return [str(r["n"]) for r in rows]


def test_prepare_replaces_the_store_whole_and_a_broken_file_changes_nothing(tmp_path, capsys):
    target, extra = tmp_path / "lager", tmp_path / "extra.yaml"
    write_forum(extra, "Första versionen")
    assert main(["prepare", str(target), str(DATA_DIR), str(extra), "--utan-svar"]) == 0
    assert _forum_names(target)[0] == ["Första versionen"]
    write_forum(extra, "Andra versionen")
    assert main(["prepare", str(target), str(DATA_DIR), str(extra), "--utan-svar"]) == 0
    names, size = _forum_names(target)
    assert names == ["Andra versionen"] and size > 10000
    write_broken_forum(extra)
    capsys.readouterr()
    assert main(["prepare", str(target), str(DATA_DIR), str(extra), "--utan-svar"]) == 1
    assert "extra.yaml:3" in capsys.readouterr().err  # the file and line of the error
    assert _forum_names(target) == (names, size)
    # The link and the two newest versions; nothing half-built left behind.
    assert target.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".lager-")) == ["extra.yaml", "lager"]
    assert len(list(tmp_path.glob(".lager-*"))) == 2


def test_a_folder_that_is_not_a_store_is_refused_clearly(tmp_path, capsys):
    with pytest.raises(NotAPreparedStoreError):
        open_prepared_store(tmp_path)
    assert main(["serve", "--store", str(tmp_path), "--port", "9"]) == 2
    assert "ansvarsgraf prepare" in capsys.readouterr().err


def test_two_workers_share_one_prepared_store_and_answer_as_in_memory(tmp_path, loaded):
    from ansvarsgraf.answering import answer_task
    from ansvarsgraf.embedded_store import OxigraphStore

    store = OxigraphStore.from_loaded(loaded)

    target = tmp_path / "lager"
    assert main(["prepare", str(target), "--svar-datum", "2026-03-01"]) == 0  # the workers read answers
    log = tmp_path / "serve.log"
    with running_server(log, "--store", str(target), "--workers", "2") as base:
        def get(path):
            with urllib.request.urlopen(base + path, timeout=30) as response:
                return json.loads(response.read())

        path = "/api/answer?uppgift=kalla-till-sip&kommun=timra-kommun&datum=2026-03-01"
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(get, [path] * 40))
        expected = answer_task(store, "https://w3id.org/ansvarsgraf/id/kalla-till-sip",
                               "https://w3id.org/ansvarsgraf/id/timra-kommun", dt.date(2026, 3, 1)).as_dict()
        assert all(a == json.loads(json.dumps(expected)) for a in answers)
        question = "Vem kallar till SIP för Kalle Karlsson 121212-1212?"
        request = urllib.request.Request(base + "/api/ask", method="POST", headers={"Content-Type": "application/json"},
                                         data=json.dumps({"fraga": question, "kommun": "Timrå"}).encode())
        # Refused with 422 and nothing else: a 200 (the number not noticed) or a 500 (a crash
        # before anything was logged) must fail here, not pass.
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 422, refused.value.code
    text = log.read_text(encoding="utf-8")
    assert len(set(re.findall(r"Started server process \[(\d+)\]", text))) == 2
    assert "GET /api/answer 200" in text  # our access log works in every worker
    assert "Kalle" not in text and "121212" not in text


# --- checks of a prepared store: at start, and when files go under a running server -----

@pytest.fixture(scope="module")
def prepared_with_answers(tmp_path_factory):
    target = tmp_path_factory.mktemp("kontroll") / "lager"
    assert main(["prepare", str(target), "--svar-datum", "2026-03-01"]) == 0
    return target


def _copy(prepared, tmp_path):
    import shutil

    copy = tmp_path / "kopia"
    shutil.copytree(prepared.resolve(), copy)
    return copy


def test_a_store_is_checked_at_start_and_says_so_in_the_log(prepared_with_answers, caplog):
    caplog.set_level("INFO", logger="ansvarsgraf.store")
    store = open_prepared_store(prepared_with_answers)
    assert store.precomputed is not None
    assert "kontrollerat" in caplog.text and "svar byggda i förväg" in caplog.text


def test_a_damaged_store_is_refused_at_start_with_what_is_wrong(prepared_with_answers, tmp_path, capsys):
    damaged = _copy(prepared_with_answers, tmp_path)
    for table in sorted(damaged.glob("*.sst")):
        table.unlink()  # the data files, gone (a disk problem, a clumsy clean-up)
    with pytest.raises(NotAPreparedStoreError) as refused:
        open_prepared_store(damaged)
    assert "skadat" in str(refused.value) and "ansvarsgraf prepare" in str(refused.value)
    assert main(["serve", "--store", str(damaged), "--port", "9"]) == 2
    assert "skadat" in capsys.readouterr().err


def test_a_damaged_answers_file_is_not_used_and_answers_are_built(prepared_with_answers, tmp_path, caplog):
    copy = _copy(prepared_with_answers, tmp_path)
    with open(copy / "svar.sqlite", "r+b") as answers:  # an answer's bytes changed, as a bad disk would
        answers.seek(-200, 2)
        answers.write(b"\xff" * 64)
    caplog.set_level("WARNING")
    assert open_prepared_store(copy).precomputed is None
    assert "kontrollsumman" in caplog.text
    (copy / "svar.sqlite").unlink()
    assert open_prepared_store(copy).precomputed is None
    assert "saknas fast prepare skrev den" in caplog.text


def _get(base, path):
    """(status, headers, body) of one request, whatever its status (a busy machine: 30 s)."""
    return get(base, path, timeout=30)[:3]


def _until(condition, what, within_s=15.0):
    """Wait for condition(), at most within_s: the check of the store is bounded in time."""
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, f"inte inom {within_s} s: {what}"
        time.sleep(0.2)


# Asked while the store's files are gone: each needs the store (none was asked before).
NEEDS_THE_STORE = ["/api/answer?uppgift=kalla-till-sip&kommun=hoor-kommun&datum=2025-06-01",
                   "/svar?uppgift=hantera-avvikelse&kommun=perstorp-kommun&datum=2025-06-02",
                   "/luckor?kommun=hoor-kommun&datum=2025-06-03", "/api/fragor/forum-per-kommun",
                   "/sparql?query=" + urllib.parse.quote("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")]
ENGLISH = ("Internal Server Error", "Traceback", "IO error", "Corruption", "No such file", "RocksDB")


@pytest.mark.timeout(240)
def test_store_files_removed_under_a_running_server(prepared_with_answers, tmp_path, loaded, monkeypatch):
    """The answers file removed: answers are built, the same. The data files removed: what
    needs them gets a Swedish 503 with Retry-After within seconds (never a 500, never "too
    slow"), what comes from caches says it may be stale. Both put back: served as before.
    A data file cut short: 503 again, until it is whole."""
    from ansvarsgraf.answering import answer_task
    from ansvarsgraf.embedded_store import OxigraphStore

    copy = _copy(prepared_with_answers, tmp_path)
    aside = tmp_path / "undan"
    aside.mkdir()
    store = OxigraphStore.from_loaded(loaded)
    tasks = ["kalla-till-sip", "aterkoppla-till-anmalare", "hantera-avvikelse", "utredning", "skyddsbedomning"]
    expected = {task: json.loads(json.dumps(answer_task(store, "https://w3id.org/ansvarsgraf/id/" + task,
                                                        "https://w3id.org/ansvarsgraf/id/perstorp-kommun",
                                                        dt.date(2026, 3, 1)).as_dict())) for task in tasks}
    monkeypatch.setenv("ANSVARSGRAF_STORE_CHECK_S", "0.3")
    log = tmp_path / "serve.log"
    with running_server(log, "--store", str(copy)) as base:
        def answer(task):
            status, _, body = _get(base, f"/api/answer?uppgift={task}&kommun=perstorp-kommun&datum=2026-03-01")
            return task, status, json.loads(body)

        assert _get(base, "/api/kommuner")[0] == 200  # the catalog, cached from here on
        # 1. The answers file goes: every answer is built instead, and is the same answer.
        (copy / "svar.sqlite").rename(aside / "svar.sqlite")
        with ThreadPoolExecutor(8) as pool:  # during and after the check notices
            answers = list(pool.map(answer, tasks * 10))
        assert all(status == 200 and body == expected[task] for task, status, body in answers)
        # The store's check must have seen the file go (its own line), not only a request that
        # failed to read it: that line says "svaren byggs vid behov" too, and a file put back
        # before the check saw it gone is, rightly, no change at all (a race CI hit once).
        _until(lambda: "har ändrats under servern: svaren byggs vid behov" in log.read_text(encoding="utf-8"),
               "kontrollen ser att svarsfilen är borta")
        (aside / "svar.sqlite").rename(copy / "svar.sqlite")
        _until(lambda: "svaren läses ur den igen" in log.read_text(encoding="utf-8"), "svarsfilen används igen")

        # 2. The data files go: a Swedish 503 within seconds for what needs them.
        for table in copy.glob("*.sst"):
            table.rename(aside / table.name)
        # (Waited for in the log: a request that got its answer before would now come from the cache.)
        _until(lambda: "Lagrets filer har ändrats under servern" in log.read_text(encoding="utf-8"), "kontrollen ser det")
        for path in NEEDS_THE_STORE:
            # Said at once, not after the query limit: the wording checked below is the store's
            # ("går inte att läsa"), never the time limit's ("tog längre tid"). No bound in
            # seconds: a loaded machine broke a 5 s bound once, which proved nothing.
            status, headers, body = _get(base, path)
            assert status == 503, (path, status, body[:200])
            assert headers["Retry-After"].isdigit() and "Lagret på disk går inte att läsa" in body, (path, body[:200])
            assert not any(word in body for word in ENGLISH) and "tog längre tid" not in body, (path, body[:300])
        for path in ["/", "/api/kommuner", "/api/answer?uppgift=utredning&kommun=perstorp-kommun&datum=2026-03-01"]:
            status, headers, body = _get(base, path)  # from the catalog and the answers file: said to be stale
            assert status == 200 and "inaktuellt" in headers.get("Warning", ""), (path, status, body[:200])
        assert "Kan vara inaktuellt" in _get(base, "/")[2]

        # 3. Put back: checked again, and served as before, without a restart.
        for table in aside.glob("*.sst"):
            table.rename(copy / table.name)
        _until(lambda: _get(base, NEEDS_THE_STORE[-1])[0] == 200, "lagret läses igen när filerna är tillbaka")
        for path in NEEDS_THE_STORE:
            status, headers, body = _get(base, path)
            assert status == 200 and "Warning" not in headers, (path, status, body[:200])
        assert [answer(task)[1:] for task in tasks] == [(200, expected[task]) for task in tasks]

        # 4. A data file damaged in place (cut short, as a full disk leaves it), then mended.
        table = max(copy.glob("*.sst"), key=lambda path: path.stat().st_size)
        whole = table.read_bytes()
        table.write_bytes(whole[:len(whole) // 2])
        _until(lambda: log.read_text(encoding="utf-8").count("Lagrets filer har ändrats under servern") == 2, "skadan ses")
        status, headers, body = _get(base, NEEDS_THE_STORE[-1])
        assert status == 503 and "Lagret på disk går inte att läsa" in body and headers["Retry-After"].isdigit(), body[:200]
        table.write_bytes(whole)
        _until(lambda: _get(base, NEEDS_THE_STORE[-1])[0] == 200, "lagret läses igen när filen är hel")
    text = log.read_text(encoding="utf-8")
    assert text.count("går att läsa igen") == 2
    assert "Traceback" not in text and " 500 " not in text


def _sparql_names(base):
    query = f"SELECT ?n WHERE {{ <https://w3id.org/ansvarsgraf/id/{FORUM_ID}> <{SKOS_LABEL}> ?n }}"
    status, _, body = _get(base, "/sparql?query=" + urllib.parse.quote(query))
    return status, sorted(b["n"]["value"] for b in json.loads(body)["results"]["bindings"]) if status == 200 else body


@pytest.mark.timeout(360)
def test_a_new_prepare_under_a_running_server_is_checked_and_served_whole(tmp_path, monkeypatch):
    """`prepare` run again while `serve --store --workers 2` runs: every worker checks the new
    version and switches to it; a request reads one version from start to end (and a store
    opened by a program that does not check it again keeps its version); a version that
    fails the checks is not switched to, and the log says why."""
    import shutil
    import threading

    target, extra = tmp_path / "lager", tmp_path / "extra.yaml"
    write_forum(extra, "Första versionen")
    assert main(["prepare", str(target), str(DATA_DIR), str(extra), "--utan-svar"]) == 0
    monkeypatch.setenv("ANSVARSGRAF_STORE_CHECK_S", "0.3")
    log = tmp_path / "serve.log"
    reader, kept = open_prepared_store(target), open_prepared_store(target)
    with running_server(log, "--store", str(target), "--workers", "2") as base:
        assert _sparql_names(base) == (200, ["Första versionen"])
        seen, done = [], threading.Event()

        def keep_reading():
            while not done.is_set():
                seen.append(_sparql_names(base))

        watcher = threading.Thread(target=keep_reading)
        watcher.start()
        try:
            with reader.reading():  # a request begun before the new version
                write_forum(extra, "Andra versionen")
                assert main(["prepare", str(target), str(DATA_DIR), str(extra), "--utan-svar"]) == 0
                reader.check_now()
                assert _forum_in(reader) == ["Första versionen"]  # read to its end in its own version
            assert _forum_in(reader) == ["Andra versionen"]  # the next one reads the new version
            assert _forum_in(kept) == ["Första versionen"]  # a store not checked again keeps the version it opened
            _until(lambda: all(_sparql_names(base) == (200, ["Andra versionen"]) for _ in range(10)),
                   "båda processerna läser den nya versionen")
        finally:
            done.set()
            watcher.join()
        assert set(map(str, seen)) <= {str((200, ["Första versionen"])), str((200, ["Andra versionen"]))}, set(map(str, seen))

        # A version that does not pass the checks (its data files gone) is not switched to.
        broken = tmp_path / ".lager-trasig"
        shutil.copytree(target.resolve(), broken)
        for table in broken.glob("*.sst"):
            table.unlink()
        link = tmp_path / ".lager.ny"
        link.symlink_to(broken.name)
        link.replace(target)
        _until(lambda: "som inte används" in log.read_text(encoding="utf-8"), "loggen säger att versionen inte används")
        assert all(_sparql_names(base) == (200, ["Andra versionen"]) for _ in range(6))
    text = log.read_text(encoding="utf-8")
    assert text.count("har bytts: servern läser nu versionen") == 2  # once per worker
    assert "Traceback" not in text and " 500 " not in text

