"""Would asking back more often cut wrong-but-confident answers for a new writer? (issue 17,
branch matchning10). Tried on the decisions reranking.decide makes to answer: a question it
would answer is asked back instead ("Menade du …") when

- the ranking's first task is not the first of the question model, or of the e5 similarities
  with the example questions, and its lead over the first unrelated rival is below a margin;
- the first two unrelated tasks are siblings (one broader task) and the lead is below a margin;
- a logistic regression over the decision's signals (lead, confidence, agreement of the word
  matcher, the question model and e5, their own leads, the number of words, the question
  model's "not covered" lead, the vote) gives a probability of a wrong answer above a threshold.

Everything is measured leave-one-writer-out (benchmarks/matching_cv.py: a writer's questions
with the other writers' examples and a question model trained without them), and every margin,
threshold and ridge penalty is chosen nested: on the other writers' questions, each measured with
its own inner fold held back too; the regression's threshold on probabilities that are
themselves out of writer (fitted without the writer whose question is scored). A change is kept
only if wrong-but-confident falls by at least 0.3 points, top-1 by at most 0.3 and out-of-scope
honesty stays at 95 % or more (rule fixed before measuring, README).

    python benchmarks/matching_ask_back.py
"""

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from matching_cv import FOLDS, line, load_questions, metrics, prepare, prepare_cv, task_id  # noqa: E402
from ansvarsgraf.reranking import RULE, confidences, decide, ranking  # noqa: E402

MARGINS = (0.2, 0.3, 0.5, 0.75, 1.0)
THRESHOLDS = tuple(np.arange(0.2, 0.95, 0.025))
RIDGES = (0.1, 1.0, 10.0)
SIGNALS = ("model", "examples", "words", "e5")
FEATURES = ("lead", "confidence", "model", "examples", "e5", "words", "model_gap", "example_gap",
            "model_lead", "example_lead", "word_score", "length", "outside", "siblings", "vote")


class Judge:
    """The product's decision per question and measurement, and its signals when it answers."""

    def __init__(self, catalog):
        self.catalog, self.memo = catalog, {}

    def base(self, q, name):
        key = (id(q), name)
        if key not in self.memo:
            self.memo[key] = self._base(q, q.semantic[name])
        return self.memo[key]

    def _base(self, q, s):
        c = self.catalog
        decision = decide(q.lexical, c.task_labels, s, c.related, words=q.words, rule=RULE, narrower=c.narrower)
        if decision.action != "svara":
            return decision, None
        confidence = confidences(q.lexical, s, RULE)
        order = ranking(confidence, c.task_labels, c.narrower, RULE)
        top = order[0]
        rival = next((i for i in order[1:] if not c.related(top, i)), None)

        def agrees(iri):
            return iri is None or iri == top or c.related(iri, top)

        def first(scores):
            return max(scores, key=scores.get)

        def lead(scores):
            high = sorted(scores.values(), reverse=True)
            return high[0] - high[1]

        word = q.lexical[0].iri if q.lexical and q.lexical[0].score > 0 else None
        best_model, best_example = max(s.learned.values()), max(s.examples.values())
        return decision, {
            "lead": min(confidence[top] - confidence[rival], 3.0) if rival else 3.0,
            "confidence": confidence[top],
            "model": agrees(first(s.learned)), "examples": agrees(first(s.examples)), "e5": agrees(first(s.tasks)),
            "words": agrees(word),
            "model_gap": best_model - s.learned.get(top, best_model), "example_gap": best_example - s.examples[top],
            "model_lead": lead(s.learned), "example_lead": lead(s.examples),
            "word_score": next((m.score for m in q.lexical if m.iri == top), 0.0),
            "length": np.log1p(q.words), "outside": s.learned_outside - best_model,
            "siblings": rival is not None and bool(set(c.broader.get(top, ())) & set(c.broader.get(rival, ()))),
            "vote": s.votes.get(top, 0.0),
        }

    def judged(self, q, name, ask):
        decision, signals = self.base(q, name)
        action = "fråga" if decision.action == "svara" and ask(q, signals) else decision.action
        if action == "svara":
            return q.kind, bool(q.expected), "rätt" if task_id(decision.ranked[0].iri) in q.expected else "fel"
        if action == "fråga":
            right = {task_id(m.iri) for m in decision.ranked[:3]} & q.expected
            return q.kind, bool(q.expected), "tillbaka-med-rätt" if right else "tillbaka"
        return q.kind, bool(q.expected), "vägrad"


def never(q, signals):
    return False


def score(results, penalty) -> float:
    return sum((o == "rätt") if ok else (o not in ("rätt", "fel")) for _, ok, o in results) - penalty * sum(
        o == "fel" for _, _, o in results)


def fit(x, y, ridge):
    """Logistic regression (Newton's method, standardised features): the probability of y = 1."""
    mean, spread = x.mean(0), x.std(0) + 1e-9
    z = np.hstack([(x - mean) / spread, np.ones((len(x), 1))])
    w, penalty = np.zeros(z.shape[1]), ridge * np.r_[np.ones(z.shape[1] - 1), 0.0]
    for _ in range(30):
        p = 1 / (1 + np.exp(-z @ w))
        hessian = (z * (p * (1 - p))[:, None]).T @ z + np.diag(penalty)
        w -= np.linalg.solve(hessian, z.T @ (p - y) + penalty * w)
    return lambda v: 1 / (1 + np.exp(-(np.r_[(np.asarray(v) - mean) / spread, 1.0] @ w)))


def vector(signals):
    return [float(signals[f]) for f in FEATURES]


def regression(judge, pairs, ridge):
    """Fitted on the answered questions among (question, measurement) pairs: wrong = 1."""
    x, y = [], []
    for q, name in pairs:
        decision, signals = judge.base(q, name)
        if signals is not None:
            x.append(vector(signals))
            y.append(0.0 if q.expected and task_id(decision.ranked[0].iri) in q.expected else 1.0)
    return fit(np.array(x), np.array(y), ridge)


def leave_one_writer_out(judge, questions, choose, penalty):
    """Each writer's questions asked with the rule `choose` picks on the other writers'."""
    results, chosen = [], []
    for w in sorted({q.writer for q in questions}):
        train = [(q, f"w{w}/{q.fold}") for q in questions if q.writer != w]
        label, ask = choose(judge, train, penalty)
        chosen.append(f"{w}: {label}")
        results += [judge.judged(q, f"skribent {w}", ask) for q in questions if q.writer == w]
    return results, chosen


def disagreement(signals_used):
    def choose(judge, train, penalty):
        def ask_at(margin):
            return lambda q, s: s["lead"] < margin and not all(s[k] for k in signals_used)
        candidates = [(m, ask_at(m)) for m in MARGINS] + [(0, never)]
        return max(candidates, key=lambda c: score([judge.judged(q, n, c[1]) for q, n in train], penalty))
    return choose


def siblings(judge, train, penalty):
    def ask_at(margin):
        return lambda q, s: s["lead"] < margin and s["siblings"]
    candidates = [(m, ask_at(m)) for m in MARGINS] + [(0, never)]
    return max(candidates, key=lambda c: score([judge.judged(q, n, c[1]) for q, n in train], penalty))


def calibrated(judge, train, penalty):
    """Ridge penalty and threshold chosen on probabilities fitted without the scored writer."""
    writers = {q.writer for q, _ in train}
    best = None
    for ridge in RIDGES:
        probability = {}
        for v in writers:
            model = regression(judge, [(q, n) for q, n in train if q.writer != v], ridge)
            for q, n in train:
                signals = judge.base(q, n)[1]
                if q.writer == v and signals is not None:
                    probability[id(q)] = model(vector(signals))
        for threshold in (*THRESHOLDS, 9.0):
            s = score([judge.judged(q, n, lambda q, _, t=threshold: probability[id(q)] > t) for q, n in train], penalty)
            if best is None or s > best[0]:
                best = (s, ridge, threshold)
    _, ridge, threshold = best
    model = regression(judge, train, ridge)
    return f"ridge {ridge}, gräns {threshold:.3f}", lambda q, s: model(vector(s)) > threshold


def counted(results) -> str:
    answerable = [o for _, ok, o in results if ok]
    return f"rätt {sum(o == 'rätt' for o in answerable)}, fel {sum(o == 'fel' for o in answerable)}"


def main() -> None:
    started = time.perf_counter()
    catalog, questions = load_questions()
    folds, writers = prepare_cv(catalog, questions)
    for w, texts in writers.items():
        train = [q for q in questions if q.writer != w]
        for g in range(FOLDS):
            prepare(catalog, [q for q in train if q.fold == g], f"w{w}/{g}", texts | folds[g])
    judge = Judge(catalog)
    print(f"förberett på {time.perf_counter() - started:.0f} s; per skribent, allt valt nästlat")
    base = [judge.judged(q, f"skribent {q.writer}", never) for q in questions]
    print(line("som på main", base), counted(base))
    before = metrics(base)
    trials = [(f"oenighet {'+'.join(used)}", disagreement(used)) for used in
              (("model",), ("examples",), ("model", "examples"), SIGNALS)]
    trials += [("syskon", siblings), ("kalibrerad (logistisk)", calibrated)]
    for name, choose in trials:
        for penalty in (1, 2):
            results, chosen = leave_one_writer_out(judge, questions, choose, penalty)
            m = metrics(results)
            kept = (before["fel_men_saker"] - m["fel_men_saker"] >= 0.003 and before["top1"] - m["top1"] <= 0.003
                    and m["utanfor_arlighet"] >= 0.95)
            print(line(f"{name}, straff {penalty}", results), counted(results), "BEHÅLL" if kept else "nej")
            print("    valt:", "; ".join(str(c) for c in chosen), flush=True)
    print(f"klart på {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
