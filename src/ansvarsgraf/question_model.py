"""A classifier that reads the question's own text: which task (or "not covered") the
words and the meaning of a question point to, learned from every text the ranker holds (each
task's names, definition and example questions, the uncovered questions, the labelled example
questions).

The semantic ranker compares a question with each text one at a time and keeps the closest;
the word matcher knows only the vocabulary's words. This model weighs every word, word pair,
piece of a word (character n-grams: inflections and compounds share them) and every dimension
of the e5 vector against all the texts of all the tasks at once, so that a word that tells
tasks apart ("ta emot" against "anmäla till") counts for more than a background noun every
task shares ("orosanmälan").

Beside these linear terms, a kernel on the e5 vectors lets a task be found by whichever of its
texts a question is near (a soft nearest-neighbour vote inside the same fit).

Ridge regression onto the classes, solved in closed form in its dual (n texts × n texts, by
Cholesky): deterministic, about ten seconds of one core for 13,400 texts, retrained whenever the texts change
(a held-back fold in cross-validation, a new example). The full model's weights are kept in a
file named by a hash of its inputs (cached_model), so a server's start-up only loads them.
"""

import hashlib
import os
import re
import zlib
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy.linalg import cho_factor, cho_solve, lapack
from threadpoolctl import threadpool_limits

from .cache_files import keep_recent, used

WORD = re.compile(r"[a-zåäöéü0-9]+")
CHAR_NGRAMS = (3, 4, 5)
HASH_DIMS = 1 << 12
# Chosen by benchmarks/matching_cv.py (README, Frågematchning): the ridge penalty and how much
# the word features weigh against the e5 vector (both blocks have unit length). The penalty was
# 0.3 until a fifth writer's questions came (matchning9): with 1,700 example questions, 0.1 read
# a held-back writer's questions better (leave-one-writer-out top-1 91.2 -> 91.6 %, wrong with
# confidence 2.2 -> 2.1 %); 0.03 and 1 were worse.
RIDGE = 0.1
WORDS_WEIGHT = 1.0
# Besides the linear terms, a kernel on the e5 vectors: exp((cosine - 1) / KERNEL_WIDTH), weighted
# KERNEL_WEIGHT, a soft nearest-neighbour vote of the training texts that sits inside the ridge fit.
# A linear map of the e5 vector gives each task one direction in its space; a task whose texts
# tell several kinds of story (a bruise, a parent's drinking, weeks of absence) needs several.
KERNEL_WIDTH = 0.2
KERNEL_WEIGHT = 1.0
GRAM_COLUMNS = 1024  # the gram matrix is filled this many columns at a time (~90 MB of float32 at 22,000 texts)


@lru_cache(maxsize=4096)
def _hashed(text: str) -> tuple[np.ndarray, np.ndarray]:
    """The hashed word, word-pair and character n-gram features of a text (indices, counts)."""
    tokens = WORD.findall(text.lower())
    grams = [f"w {t}" for t in tokens] + [f"p {a} {b}" for a, b in zip(tokens, tokens[1:])]
    for token in tokens:
        padded = f" {token} "
        grams += [padded[i:i + n] for n in CHAR_NGRAMS for i in range(len(padded) - n + 1)]
    indices = np.fromiter((zlib.crc32(g.encode("utf-8")) % HASH_DIMS for g in grams), dtype=np.int64, count=len(grams))
    found, counts = np.unique(indices, return_counts=True)
    return found, counts.astype(np.float32)


def word_features(texts: list[str]) -> np.ndarray:
    """Rows of hashed features, each scaled to unit length (sublinear counts)."""
    matrix = np.zeros((len(texts), HASH_DIMS), dtype=np.float32)
    for row, text in enumerate(texts):
        indices, counts = _hashed(text)
        matrix[row, indices] = 1.0 + np.log(counts)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


def features(vectors: np.ndarray, words: np.ndarray, words_weight: float = WORDS_WEIGHT) -> np.ndarray:
    """The linear terms' rows: the e5 vectors beside the weighted word features."""
    return np.hstack([vectors.astype(np.float32), words_weight * words])


def kernel(cosines: np.ndarray, weight: float = KERNEL_WEIGHT, width: float = KERNEL_WIDTH) -> np.ndarray:
    """The kernel on e5 cosines: a soft nearest-neighbour vote of the training texts."""
    return weight * np.exp((cosines - 1.0) / width)


class QuestionModel:
    """Scores per class (the ranker's owners: tasks, then "not covered") for a question."""

    def __init__(self, texts: list[str], vectors: np.ndarray, owners: np.ndarray, classes: int,
                 ridge: float = RIDGE, words_weight: float = WORDS_WEIGHT, kernel_weight: float = KERNEL_WEIGHT,
                 kernel_width: float = KERNEL_WIDTH, trained: tuple[np.ndarray, np.ndarray] | None = None):
        self.texts = frozenset(" ".join(t.split()) for t in texts)  # what it was trained on
        self.words_weight, self.kernel_weight, self.kernel_width = words_weight, kernel_weight, kernel_width
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if trained is not None:  # trained before on exactly these inputs (cached)
            self.weights, self.dual = trained
            return
        features = self._features(self.vectors, word_features(texts))
        targets = np.zeros((len(texts), classes), dtype=np.float32)
        targets[np.arange(len(texts)), owners] = 1.0
        # Centred targets: a class with many texts gains no head start of its own.
        targets -= targets.mean(axis=0)
        factor = _factor(self._gram(features, ridge))
        with _one_blas_thread():
            self.dual = cho_solve(factor, targets, check_finite=False).astype(np.float32)
        self.weights = features.T @ self.dual

    def _gram(self, features: np.ndarray, ridge: float) -> np.ndarray:
        """The gram matrix in float64 and Fortran order, where the factorisation and the inverse
        then work in place, filled GRAM_COLUMNS columns at a time. Whole products in float32 and
        a float64 copy took 11.5 GB at 22,000 texts (a first start on a small machine fails so);
        this takes the matrix itself (8 bytes a pair: 3.9 GB) and a block."""
        rows = len(features)
        gram = np.empty((rows, rows), dtype=np.float64, order="F")
        for start in range(0, rows, GRAM_COLUMNS):
            end = min(start + GRAM_COLUMNS, rows)
            block = features @ features[start:end].T
            block += self._kernel(self.vectors @ self.vectors[start:end].T)
            gram[:, start:end] = block
        gram[np.diag_indices(rows)] += ridge
        return gram

    def _kernel(self, cosines: np.ndarray) -> np.ndarray:
        return kernel(cosines, self.kernel_weight, self.kernel_width)

    def _features(self, vectors: np.ndarray, words: np.ndarray) -> np.ndarray:
        return features(vectors, words, self.words_weight)

    def scores(self, vector: np.ndarray, text: str, cosines: np.ndarray | None = None) -> np.ndarray:
        """The class scores; cosines: the vector's with each training text's, when the caller has them."""
        if cosines is None:
            cosines = np.einsum("ij,j->i", self.vectors, vector)
        linear = (self._features(vector[None, :], word_features([text])) @ self.weights)[0]
        return linear + self._kernel(cosines) @ self.dual if self.kernel_weight else linear


def _factor(gram: np.ndarray):
    """The Cholesky factor of a gram matrix, in float64 (as numpy's solver computed before: the
    matrix's condition, ~1e5, would cost float32 three decimals). The matrix is symmetric
    positive definite (two inner products and a Gaussian kernel, plus the ridge): Cholesky takes
    about half the time of numpy's general solver (9.5 s against 17.7 for 13,400 texts on one core)."""
    with _one_blas_thread():
        return cho_factor(np.asfortranarray(gram, dtype=np.float64), lower=True, overwrite_a=True, check_finite=False)


def _one_blas_thread():
    """OpenBLAS's threaded Cholesky (numpy's and scipy's alike) dies with SIGSEGV on a float64
    matrix over 2 GiB (16,384 rows; the bundled data has 17,000 texts): found when a process ran
    with OPENBLAS_NUM_THREADS=2. The package sets one thread before numpy loads, but an operator's
    setting wins and a program may load numpy first; so the factorisation and what reads the
    factor run on one thread whatever the setting (tests/test_question_model.py)."""
    return threadpool_limits(limits=1, user_api="blas")


class HeldBack:
    """Models each trained without some of the texts (cross-validation's held-back folds), all
    from one factorisation of the whole gram matrix G, where training each anew costs a
    factorisation per fold (~18 s each on one core with 13,400 texts; the 34 writers' folds
    took ten minutes, five folds are now ~40 s in all).

    With H = G^-1 and the texts split into kept (R) and held back (B), the kept texts' own
    inverse is G_RR^-1 = H_RR - H_RB H_BB^-1 H_BR (the block inverse), so a fold's dual weights
    are a product with H and a solve the size of the fold. The targets are centred on the kept
    texts as in training: that is linear in them, so a column of ones is solved for beside.
    The same model as QuestionModel trained on the kept texts, up to rounding
    (tests/test_question_model.py). H takes 8 bytes per pair of texts (1.4 GB for 13,400):
    kept only while the folds are made (SemanticRanker.without_each)."""

    def __init__(self, texts: list[str], vectors: np.ndarray, owners: np.ndarray, classes: int, ridge: float = RIDGE,
                 **settings):
        # QuestionModel's own helpers and settings (settings: its words_weight, kernel_weight,
        # kernel_width), untrained; each fold's model gets the same settings.
        self.settings = settings
        self.trainer = QuestionModel(texts, vectors, owners, classes, trained=(None, None), **settings)
        self.texts, self.owners, self.classes = list(texts), np.asarray(owners), classes
        self.features = self.trainer._features(self.trainer.vectors, word_features(self.texts))
        factor, _ = _factor(self.trainer._gram(self.features, ridge))
        with _one_blas_thread():
            self.inverse, info = lapack.dpotri(factor, lower=1, overwrite_c=1)
        if info:
            raise np.linalg.LinAlgError(f"dpotri: {info}")
        _symmetric_from_lower(self.inverse)
        # H times every text's class and a column of ones: a fold takes its held texts' part out.
        self.targets = np.zeros((len(self.texts), classes + 1))
        self.targets[np.arange(len(self.texts)), self.owners] = 1.0
        self.targets[:, classes] = 1.0
        self.solved = self.inverse @ self.targets

    def without(self, keep: np.ndarray) -> QuestionModel:
        """The model trained on the texts where keep is true."""
        kept, held = np.flatnonzero(keep), np.flatnonzero(~keep)
        classes = self.classes
        solved = self.solved
        if held.size:
            columns = self.inverse[:, held]  # H_.B
            solved = solved - columns @ self.targets[held]  # H times the kept texts' targets only
            solved = solved[kept] - columns[kept] @ np.linalg.solve(columns[held], solved[held])
        means = self.targets[kept, :classes].mean(axis=0)
        dual = (solved[:, :classes] - solved[:, classes:] * means).astype(np.float32)
        return QuestionModel([self.texts[i] for i in kept], self.trainer.vectors[kept], self.owners[kept], classes,
                             trained=(self.features[kept].T @ dual, dual), **self.settings)


def _symmetric_from_lower(matrix: np.ndarray, block: int = 1024) -> None:
    """Fills the upper triangle from the lower one in place, a block of rows at a time (LAPACK's
    potri leaves the upper triangle as it found it; a transposed copy would be 1.4 GB more)."""
    for start in range(0, len(matrix), block):
        end = min(start + block, len(matrix))
        square = matrix[start:end, start:end]
        square[...] = np.tril(square) + np.tril(square, -1).T
        matrix[start:end, end:] = matrix[end:, start:end].T


KEPT_MODELS = 8  # ~3 MB each with 13,400 texts


def model_file(texts: list[str], vectors: np.ndarray, owners: np.ndarray, classes: int) -> str:
    """The name a model is kept under: a hash of everything training reads."""
    digest = hashlib.sha256(repr((HASH_DIMS, CHAR_NGRAMS, RIDGE, WORDS_WEIGHT, KERNEL_WEIGHT, KERNEL_WIDTH, classes)).encode())
    for text, owner in zip(texts, owners.tolist()):
        digest.update(f"{owner}\t{text}\n".encode("utf-8"))
    digest.update(np.ascontiguousarray(vectors, dtype=np.float32).tobytes())
    return f"fragemodell-{digest.hexdigest()[:16]}.npz"


def cached_model(texts: list[str], vectors: np.ndarray, owners: np.ndarray, classes: int, cache_dir: Path,
                 prepared_dir: Path | None = None) -> QuestionModel:
    """The model for these inputs, trained once: its weights are kept in a file named by a hash
    of everything training reads (a server's start-up then only loads them); the KEPT_MODELS
    files used last are kept (cache_files.py). A file of that name in prepared_dir (the bundled
    data's model, scripts/matchningsfiler.py) is taken when the cache has none."""
    path = cache_dir / model_file(texts, vectors, owners, classes)
    for found in (path, *([prepared_dir / path.name] if prepared_dir is not None else [])):
        try:
            with np.load(found, allow_pickle=False) as stored:
                weights, dual = stored["weights"], stored["dual"]
            if weights.shape == (vectors.shape[1] + HASH_DIMS, classes) and dual.shape == (len(texts), classes):
                if found == path:
                    used(path)
                return QuestionModel(texts, vectors, owners, classes, trained=(weights, dual))
        except (OSError, ValueError, KeyError):
            pass  # missing or unreadable: the next, or train
    model = QuestionModel(texts, vectors, owners, classes)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
        with open(tmp, "wb") as f:
            np.savez(f, weights=model.weights, dual=model.dual)
        tmp.replace(path)  # atomic: a parallel process never reads half a file
        for old in cache_dir.glob("fragemodell-*.npy"):  # the format before .npz
            old.unlink(missing_ok=True)
        keep_recent((p for p in cache_dir.glob("fragemodell-*.npz") if ".tmp." not in p.name), KEPT_MODELS)
    except OSError:
        pass  # a read-only home still answers, only slower to start
    return model
