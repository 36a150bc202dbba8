"""Whether to answer with the best task or ask back: the probability that the ranking's first
task is right, from what the ranking itself shows (issue 17).

The margin rule answered when the best task led every unrelated one by a fixed margin. How far
ahead the best task is says only part of it: whether the question model, the nearest example
questions and the word matcher agree on it, how close the question is to what the graph does not
cover, and how long the question is (a story tells more than it asks) say the rest. A logistic
regression over these signals, fitted on the tuning writers' questions each measured with its
own writer's examples held back (what a new writer's question looks like to the product), reads
them together; the product answers when the probability reaches the threshold chosen on the same
questions, else it asks back with the best three.

The fitted weights are data (data/vocab/svarsbedomning.json), written by
scripts/svarsbedomning.py, with the digest of the example questions they were fitted with; a
test fails when the examples change and the weights were not fitted again.
"""

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

from .paths import DATA_DIR

JUDGE_FILE = DATA_DIR / "vocab" / "svarsbedomning.json"
FEATURES = (
    "marginal till närmaste orelaterade uppgift (högst 3)",
    "bästa uppgiftens säkerhet",
    "frågemodellens försprång för bästa uppgiften",
    "frågemodellens poäng för bästa uppgiften",
    "frågemodellens 'utanför' minus bästa uppgiftens",
    "försprång i likhet med uppgiftstexter och exempel",
    "försprång i likhet med uppgiftstexter",
    "likhet med 'utanför'-exempel minus bästa uppgiftens",
    "närmaste exempelfrågornas röster på bästa uppgiften",
    "närmaste exempelfrågornas röster har bästa uppgiften främst",
    "ordmatchningen har bästa uppgiften främst",
    "ordmatchningens poäng för bästa uppgiften",
    "ordmatchningens högsta poäng",
    "log(1 + ord kvar för uppgiften)",
    "log(1 + ord i frågan)",
    "ingen orelaterad rival",
)
NO_RIVAL_MARGIN = 3.0


def features(lexical, semantic, confidence: dict[str, float], top: str, rival: str | None,
             words: int, length: int) -> list[float]:
    """The signals FEATURES names, for the ranking's first task `top` (lexical: the word
    matcher's matches, best first; semantic: reranking.Semantic)."""
    def lead(scores: dict[str, float]) -> float:
        return scores[top] - max((v for k, v in scores.items() if k != top), default=scores[top])

    learned, examples, tasks = semantic.learned, semantic.examples, semantic.tasks
    by_iri = {m.iri: m for m in lexical}
    voted = max(semantic.votes, key=semantic.votes.get) if semantic.votes else None
    margin = confidence[top] - confidence[rival] if rival is not None else NO_RIVAL_MARGIN
    return [
        min(margin, NO_RIVAL_MARGIN), confidence[top],
        lead(learned), learned[top], semantic.learned_outside - learned[top],
        lead(examples), lead(tasks), semantic.examples_outside - examples[top],
        semantic.votes.get(top, 0.0), float(voted == top), float(bool(lexical) and lexical[0].iri == top),
        by_iri[top].score if top in by_iri else 0.0, lexical[0].score if lexical else 0.0,
        math.log1p(words), math.log1p(length), float(rival is None),
    ]


@dataclass(frozen=True)
class AnswerJudge:
    """A fitted logistic regression on standardised FEATURES, and the threshold to answer at."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    intercept: float
    threshold: float

    def probability(self, values: list[float]) -> float:
        z = self.intercept + sum(w * (v - m) / s for w, v, m, s in zip(self.weights, values, self.mean, self.scale))
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0

    def answers(self, values: list[float]) -> bool:
        return self.probability(values) >= self.threshold


def fit(rows, right, threshold: float, c: float = 1.0, iterations: int = 50) -> AnswerJudge:
    """Logistic regression, L2-penalised as scikit-learn's default (C·log-loss + ½|w|², the
    intercept free), by Newton's method on the standardised rows; right: whether each row's
    first task was right."""
    import numpy as np

    x = np.asarray(rows, dtype=float)
    y = np.asarray(right, dtype=float)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = np.hstack([np.ones((len(x), 1)), (x - mean) / scale])
    penalty = np.eye(z.shape[1]) / c
    penalty[0, 0] = 0.0
    beta = np.zeros(z.shape[1])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(z @ beta)))
        gradient = z.T @ (p - y) + penalty @ beta
        hessian = (z * (p * (1 - p))[:, None]).T @ z + penalty
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-10:
            break
    return AnswerJudge(tuple(mean.tolist()), tuple(scale.tolist()), tuple(beta[1:].tolist()), float(beta[0]), threshold)


def examples_digest(path: Path) -> str:
    """The digest of the example questions a judge was fitted with."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save(judge: AnswerJudge, path: Path, **provenance) -> None:
    record = {"egenskaper": list(FEATURES), "medel": judge.mean, "skala": judge.scale, "vikter": judge.weights,
              "intercept": judge.intercept, "troskel": judge.threshold, **provenance}
    path.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def load(path: Path = JUDGE_FILE) -> AnswerJudge | None:
    """The judge in the file; None when there is none (the margin rule decides), or when it
    was fitted on other signals than FEATURES (an older file: the margin rule, not a wrong model)."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError as error:
        raise ValueError(f"{path}: inte läsbar JSON ({error})") from error
    if not isinstance(record, dict) or record.get("egenskaper") != list(FEATURES):
        return None
    try:
        judge = AnswerJudge(tuple(map(float, record["medel"])), tuple(map(float, record["skala"])),
                            tuple(map(float, record["vikter"])), float(record["intercept"]), float(record["troskel"]))
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{path}: svarsbedömningen saknar eller har fel värde för {error}") from error
    if not len(judge.mean) == len(judge.scale) == len(judge.weights) == len(FEATURES):
        raise ValueError(f"{path}: {len(FEATURES)} värden väntades per lista (medel, skala, vikter)")
    return judge
