"""A linear classifier that reads the question's own text: which task (or "not covered") the
words and the meaning of a question point to, learned from every text the ranker holds (each
task's names, definition and example questions, the uncovered questions, the labelled example
questions).

The semantic ranker compares a question with each text one at a time and keeps the closest;
the word matcher knows only the vocabulary's words. This model weighs every word, word pair,
piece of a word (character n-grams: inflections and compounds share them) and every dimension
of the e5 vector against all the texts of all the tasks at once, so that a word that tells
tasks apart ("ta emot" against "anmäla till") counts for more than a background noun every
task shares ("orosanmälan").

Ridge regression onto the classes, solved in closed form in its dual (n texts × n texts):
deterministic, about half a second of CPU for ~1,700 texts, retrained whenever the texts change
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


class QuestionModel:
    """Scores per class (the ranker's owners: tasks, then "not covered") for a question."""

    def __init__(self, texts: list[str], vectors: np.ndarray, owners: np.ndarray, classes: int,
                 ridge: float = RIDGE, words_weight: float = WORDS_WEIGHT, weights: np.ndarray | None = None):
        self.texts = frozenset(" ".join(t.split()) for t in texts)  # what it was trained on
        self.words_weight = words_weight
        if weights is not None:  # trained before on exactly these inputs (cached)
            self.weights = weights
            return
        features = self._features(vectors, word_features(texts))
        targets = np.zeros((len(texts), classes), dtype=np.float32)
        targets[np.arange(len(texts)), owners] = 1.0
        # Centred targets: a class with many texts gains no head start of its own.
        targets -= targets.mean(axis=0)
        gram = features @ features.T
        gram[np.diag_indices_from(gram)] += ridge
        self.weights = features.T @ np.linalg.solve(gram, targets)

    def _features(self, vectors: np.ndarray, words: np.ndarray) -> np.ndarray:
        return np.hstack([vectors.astype(np.float32), self.words_weight * words])

    def scores(self, vector: np.ndarray, text: str) -> np.ndarray:
        return (self._features(vector[None, :], word_features([text])) @ self.weights)[0]


def cached_model(texts: list[str], vectors: np.ndarray, owners: np.ndarray, classes: int, cache_dir: Path) -> QuestionModel:
    """The model for these inputs, trained once: its weights are kept in a file named by a hash
    of everything training reads (a server's start-up then only loads them; the previous file
    is removed when the texts change)."""
    digest = hashlib.sha256(repr((HASH_DIMS, CHAR_NGRAMS, RIDGE, WORDS_WEIGHT, classes)).encode())
    for text, owner in zip(texts, owners.tolist()):
        digest.update(f"{owner}\t{text}\n".encode("utf-8"))
    digest.update(np.ascontiguousarray(vectors, dtype=np.float32).tobytes())
    path = cache_dir / f"fragemodell-{digest.hexdigest()[:16]}.npy"
    try:
        weights = np.load(path, allow_pickle=False)
        if weights.shape == (vectors.shape[1] + HASH_DIMS, classes):
            return QuestionModel(texts, vectors, owners, classes, weights=weights)
    except (OSError, ValueError):
        pass  # missing or unreadable: train
    model = QuestionModel(texts, vectors, owners, classes)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
        with open(tmp, "wb") as f:
            np.save(f, model.weights)
        tmp.replace(path)  # atomic: a parallel process never reads half a file
        for old in cache_dir.glob("fragemodell-*.npy"):
            if old != path and ".tmp." not in old.name:
                old.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only home still answers, only slower to start
    return model
