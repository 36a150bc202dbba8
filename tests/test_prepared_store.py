"""A prepared on-disk store (`ansvarsgraf prepare`) shared read-only by several API processes
(`serve --store DIR --workers N`): built whole or not at all, and answering as the
in-memory store does."""

import datetime as dt
import json
import re
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from ansvarsgraf.cli import main
from ansvarsgraf.paths import DATA_DIR
from ansvarsgraf.store import NotAPreparedStoreError, open_prepared_store
from datafiles import FORUM_ID, write_broken_forum, write_forum
from server import running_server

SKOS_LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"


def _forum_names(target):
    store = open_prepared_store(target)
    rows = store.select(f"SELECT ?n WHERE {{ <https://w3id.org/ansvarsgraf/id/{FORUM_ID}> <{SKOS_LABEL}> ?n }}")
    return [str(r["n"]) for r in rows], len(store)


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


def test_a_running_reader_keeps_its_version_while_a_new_one_is_prepared(tmp_path):
    target, extra = tmp_path / "lager", tmp_path / "extra.yaml"
    write_forum(extra, "Första versionen")
    assert main(["prepare", str(target), str(DATA_DIR), str(extra), "--utan-svar"]) == 0
    reader = open_prepared_store(target)
    write_forum(extra, "Andra versionen")
    assert main(["prepare", str(target), str(DATA_DIR), str(extra), "--utan-svar"]) == 0
    query = f"SELECT ?n WHERE {{ <https://w3id.org/ansvarsgraf/id/{FORUM_ID}> <{SKOS_LABEL}> ?n }}"
    assert [str(r["n"]) for r in reader.select(query)] == ["Första versionen"]
    assert _forum_names(target)[0] == ["Andra versionen"]


def test_a_folder_that_is_not_a_store_is_refused_clearly(tmp_path, capsys):
    with pytest.raises(NotAPreparedStoreError):
        open_prepared_store(tmp_path)
    assert main(["serve", "--store", str(tmp_path), "--port", "9"]) == 2
    assert "ansvarsgraf prepare" in capsys.readouterr().err


def test_two_workers_share_one_prepared_store_and_answer_as_in_memory(tmp_path, loaded):
    from ansvarsgraf.answer import answer_task
    from ansvarsgraf.store import OxigraphStore

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


def test_answers_file_removed_under_a_running_server_falls_back_to_building(prepared_with_answers, tmp_path, loaded):
    from ansvarsgraf.answer import answer_task
    from ansvarsgraf.store import OxigraphStore

    copy = _copy(prepared_with_answers, tmp_path)
    expected = {}
    store = OxigraphStore.from_loaded(loaded)
    tasks = ["kalla-till-sip", "aterkoppla-till-anmalare", "hantera-avvikelse", "utredning", "skyddsbedomning"]
    for task in tasks:
        expected[task] = json.loads(json.dumps(answer_task(store, "https://w3id.org/ansvarsgraf/id/" + task,
                                                           "https://w3id.org/ansvarsgraf/id/perstorp-kommun", dt.date(2026, 3, 1)).as_dict()))
    log = tmp_path / "serve.log"
    with running_server(log, "--store", str(copy)) as base:
        def get(task):
            url = f"{base}/api/answer?uppgift={task}&kommun=perstorp-kommun&datum=2026-03-01"
            with urllib.request.urlopen(url, timeout=30) as response:
                return task, json.loads(response.read())

        (copy / "svar.sqlite").unlink()
        with ThreadPoolExecutor(8) as pool:  # new threads open the file anew, and find it gone
            answers = list(pool.map(get, tasks * 10))
    assert all(answer == expected[task] for task, answer in answers)
    text = log.read_text(encoding="utf-8")
    assert "Traceback" not in text and " 500 " not in text
