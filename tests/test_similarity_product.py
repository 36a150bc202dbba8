"""The question's similarity to every text (reranking.SemanticRanker.similarities) is computed
in numpy's own loop, not handed to OpenBLAS: its threads, waiting on a busy two-core machine,
made this one matrix-vector product 7-15 ms of a question's 8 ms outside the embedding, and
stole the core the embedding's second thread needs (benchmarks/matching.py, 2026-12-05)."""

import numpy as np

from ansvarsgraf import reranking
from ansvarsgraf.reranking import Example, SemanticRanker, TaskTexts

ID = "https://w3id.org/ansvarsgraf/id/"


class _Embedder:
    """Vectors from the text's letters: different texts, different directions."""

    name = "test/letters"  # the vectors cache file is per engine

    def query(self, texts):
        one = isinstance(texts, str)
        rows = [texts] if one else list(texts)
        vectors = np.array([[t.count(c) + 0.1 for c in "aeiounrst"] for t in rows], dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors[0] if one else vectors


class _NoMatmul(np.ndarray):
    """The text vectors, refusing the products numpy gives to BLAS."""

    def __matmul__(self, other):
        raise AssertionError("matrisprodukten gick till BLAS")

    def dot(self, *args, **kwargs):
        raise AssertionError("matrisprodukten gick till BLAS")


def test_the_similarities_are_computed_without_blas_and_are_the_cosines(tmp_path, monkeypatch):
    monkeypatch.setattr(reranking, "embedder", _Embedder)
    tasks = [TaskTexts(ID + "anmala-oro", ("anmäla oro till socialtjänsten",)),
             TaskTexts(ID + "kalla-till-sip", ("kalla till SIP", "vem sammankallar samordnad individuell plan"))]
    ranker = SemanticRanker(tasks, ["bostadsanpassning"], [Example("ska jag ringa soc", (ID + "anmala-oro",))],
                            cache_dir=tmp_path)
    question = "vem kallar till ett SIP-möte?"
    expected = ranker.similarities(question)
    ranker._vectors = ranker._vectors.view(_NoMatmul)
    found = ranker.similarities(question)
    assert np.allclose(list(found.tasks.values()), list(expected.tasks.values()))
    vector = _Embedder().query(question)
    assert np.isclose(found.tasks[ID + "kalla-till-sip"],
                      max(float(np.dot(_Embedder().query(t), vector)) for t in tasks[1].texts))
