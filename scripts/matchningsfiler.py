"""Write data/matchning/: the e5 vectors of every text the semantic re-ranker holds (the tasks'
texts, the questions the graph does not cover, the example questions and the embedded part of
each long one) and the question model trained on them, named as in the cache folder
(src/ansvarsgraf/reranking.py, PREPARED_DIR). A machine with an empty cache (a first start, CI)
then loads them instead of embedding 24,000 texts (~2 min on two cores) and training the model
(~70 s, 5 GB). Vectors are kept as float16 (17 MB against 34): every machine reads the same ones,
and the model is trained on exactly what it reads.

Run after scripts/exempelfragor.py and scripts/svarsbedomning.py, or when the task texts or the
e5 engine change; tests/test_prepared_matcher.py fails until it is run.

    python scripts/matchningsfiler.py           # writes the files (~2 min with the cache warm)
    python scripts/matchningsfiler.py --check   # exit 1 if they are not the bundled data's
"""

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ansvarsgraf import question_model  # noqa: E402
from ansvarsgraf.catalog import catalog_for  # noqa: E402
from ansvarsgraf.dataset import load_data  # noqa: E402
from ansvarsgraf.embedded_store import OxigraphStore  # noqa: E402
from ansvarsgraf.reranking import (PREPARED_DIR, SemanticRanker, _stored_vectors, example_questions,  # noqa: E402
                                   outside_questions, vectors_file)


def bundled_ranker():
    """The ranker the product builds for the bundled data (with the prepared files as they are)."""
    catalog = catalog_for(OxigraphStore.from_loaded(load_data()))
    while catalog.ranker is None:  # built in the background
        time.sleep(0.2)
    return catalog.ranker


def stale(ranker) -> list[str]:
    """What is not as the bundled data needs it (empty: the files are current)."""
    problems = []
    name = vectors_file(ranker._model)
    vectors = PREPARED_DIR / name
    if not vectors.is_file():
        return [f"{vectors} saknas (motorn {ranker._model.name})"]
    texts = set(_stored_vectors(vectors))
    if texts != set(ranker.known):
        problems.append(f"{vectors.name}: {len(set(ranker.known) - texts)} texter saknas, {len(texts - set(ranker.known))} för mycket")
    models = sorted(PREPARED_DIR.glob("fragemodell-*.npz"))
    if [m.name for m in models] != [model_file(ranker)]:
        problems.append(f"frågemodellen: {[m.name for m in models]} i stället för {model_file(ranker)}")
    return problems


def model_file(ranker) -> str:
    """The file name the ranker's question model is kept under."""
    return question_model.model_file(ranker._texts, ranker._vectors, ranker._owner, len(ranker.tasks) + 1)


def write() -> None:
    ranker = bundled_ranker()
    PREPARED_DIR.mkdir(exist_ok=True)
    name = vectors_file(ranker._model)
    ordered = sorted(ranker.known)
    for old in PREPARED_DIR.glob("*.npz"):
        old.unlink()
    with open(PREPARED_DIR / name, "wb") as f:
        # The texts as UTF-8 with NUL between them: numpy's string array pads every text to the
        # longest, in four bytes a character (48 MB for these).
        assert not any("\0" in t for t in ordered)
        np.savez_compressed(f, texts_utf8=np.frombuffer("\0".join(ordered).encode("utf-8"), dtype=np.uint8),
                            vectors=np.stack([ranker.known[t] for t in ordered]).astype(np.float16))
    # Trained in an empty cache on the vectors as every machine will read them (float16).
    with tempfile.TemporaryDirectory() as empty:
        again = SemanticRanker(ranker.tasks, outside_questions(), example_questions(), cache_dir=Path(empty),
                               prepared_dir=PREPARED_DIR)
        for trained in Path(empty).glob("fragemodell-*.npz"):
            shutil.copy(trained, PREPARED_DIR / trained.name)
    print(f"skrev {PREPARED_DIR}: {len(ordered)} vektorer, modellen för {len(again._texts)} texter")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="kontrollera bara att filerna är aktuella")
    if parser.parse_args().check:
        problems = stale(bundled_ranker())
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
