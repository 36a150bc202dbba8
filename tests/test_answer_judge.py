"""When the product answers and when it asks back (answer_judge.py; issue 17)."""

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from ansvarsgraf import answer_judge
from ansvarsgraf.answer_judge import FEATURES, AnswerJudge, fit
from ansvarsgraf.matching import TaskMatch
from ansvarsgraf.reranking import EXAMPLES_FILE, Semantic, decide

from test_matching_eval import HELD_OUT, TUNING_PARTS

ID = "https://w3id.org/ansvarsgraf/id/"


def _semantic() -> Semantic:
    """Task a well ahead of b by every signal: the margin rule answers with a."""
    similarity = {ID + "a": 0.95, ID + "b": 0.80}
    return Semantic(similarity, 0.5, similarity, 0.5, {ID + "a": 1.0}, 0.0, {ID + "a": 0.9, ID + "b": 0.1}, -0.5)


def _judge(threshold: float) -> AnswerJudge:
    n = len(FEATURES)
    return AnswerJudge((0.0,) * n, (1.0,) * n, (1.0,) + (0.0,) * (n - 1), 0.0, threshold)


def test_the_judge_decides_between_answering_and_asking_back():
    lexical = [TaskMatch(ID + "a", "a", 0.6, "a", 0.6)]
    margin_rule = decide(lexical, {}, _semantic(), lambda a, b: False)
    assert margin_rule.action == "svara"
    # The signals give p = sigmoid(margin) (weight 1 on the first, standardised as is): a
    # threshold above it asks back with the best first, one below it answers.
    values = answer_judge.features(lexical, _semantic(), {ID + "a": 0.0, ID + "b": -1.2}, ID + "a", ID + "b", 1, 5)
    assert values[0] == pytest.approx(1.2)
    asked = decide(lexical, {}, _semantic(), lambda a, b: False, judge=_judge(0.999), length=5)
    assert asked.action == "fråga" and asked.ranked[0].iri == ID + "a"
    assert decide(lexical, {}, _semantic(), lambda a, b: False, judge=_judge(0.01), length=5).action == "svara"


def test_the_judge_leaves_not_covered_to_the_rule():
    lexical = [TaskMatch(ID + "a", "a", 0.2, "a", 0.2)]
    outside = replace(_semantic(), learned_outside=2.0)
    assert decide(lexical, {}, outside, lambda a, b: False, judge=_judge(0.0)).action == "utanför"


def test_fit_reaches_the_penalised_optimum():
    """Newton's method stops where the penalised log-loss has no slope (the optimum of
    scikit-learn's default logistic regression), on rows where the first signal tells right from wrong."""
    rng = np.random.default_rng(7)
    rows = rng.normal(size=(400, len(FEATURES)))
    right = (rows[:, 0] + 0.5 * rng.normal(size=400)) > 0
    judge = fit(rows, right, threshold=0.5)
    z = np.hstack([np.ones((400, 1)), (rows - judge.mean) / judge.scale])
    beta = np.array([judge.intercept, *judge.weights])
    p = 1 / (1 + np.exp(-(z @ beta)))
    slope = z.T @ (p - right) + np.r_[0.0, beta[1:]]
    assert np.abs(slope).max() < 1e-6
    assert judge.weights[0] > 1.0 and max(abs(w) for w in judge.weights[1:]) < 0.5
    assert judge.probability(list(rows[np.argmax(rows[:, 0])])) > 0.9 > 0.1 > judge.probability(list(rows[np.argmin(rows[:, 0])]))


def test_the_judge_was_fitted_for_the_current_examples_and_never_on_the_held_out_part():
    record = json.loads(answer_judge.JUDGE_FILE.read_text(encoding="utf-8"))
    assert record["exempelfragor_sha256"] == answer_judge.examples_digest(EXAMPLES_FILE), (
        "exempelfrågorna har ändrats: kör python scripts/svarsbedomning.py")
    assert HELD_OUT not in record["delar"] and set(record["delar"]) <= set(TUNING_PARTS)
    assert answer_judge.load() is not None and 0.0 < answer_judge.load().threshold < 1.0


def test_a_damaged_judge_file_is_named_and_an_older_one_is_set_aside(tmp_path):
    broken = tmp_path / "svarsbedomning.json"
    broken.write_text("{ inte json", encoding="utf-8")
    with pytest.raises(ValueError, match="svarsbedomning.json"):
        answer_judge.load(broken)
    broken.write_text(json.dumps({"egenskaper": list(FEATURES), "medel": [0.0]}), encoding="utf-8")
    with pytest.raises(ValueError, match="svarsbedomning.json"):
        answer_judge.load(broken)
    older = tmp_path / "äldre.json"
    older.write_text(json.dumps({"egenskaper": ["marginal"], "medel": [0], "skala": [1], "vikter": [1],
                                 "intercept": 0, "troskel": 0.5}), encoding="utf-8")
    assert answer_judge.load(older) is None
    assert answer_judge.load(tmp_path / "finns-inte.json") is None
    assert math.isclose(_judge(0.5).probability([0.0] * len(FEATURES)), 0.5)
