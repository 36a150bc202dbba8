"""Fit data/vocab/svarsbedomning.json: when the product answers with the best task and when it
asks back (src/ansvarsgraf/answer_judge.py; issue 17).

Each tuning writer's questions are ranked with that writer's example questions held back (as
benchmarks/matching_cv.py's leave-one-writer-out: what a new writer's question looks like to the
product); for every question the product would not call "not covered", the signals
answer_judge.FEATURES are read and labelled by whether the first task is right. A logistic
regression is fitted on them, and the threshold is the one (0.4 to 0.95, by 0.025) with the most
right answers and honest refusals less PENALTY times the wrong answers on the same questions,
the objective the rest of the decision rule was chosen by. Held-out parts are never read.

    python scripts/svarsbedomning.py                       # fits and writes the file
    python scripts/svarsbedomning.py --validering DIR      # also: figures on other writers' sets
                                                           # (DIR/*.yaml), margin rule against judge

About a minute and a half on two cores.
"""

import argparse
import datetime as dt
import sys
from dataclasses import replace
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
for folder in ("src", "tests", "benchmarks", "scripts"):
    sys.path.insert(0, str(ROOT / folder))

import matching_cv as cv  # noqa: E402
from ansvarsgraf import answer_judge  # noqa: E402
from ansvarsgraf.reranking import EXAMPLES_FILE, RULE, confidences, decide, ranking  # noqa: E402
from ansvarsgraf.results import UnknownMunicipalityError  # noqa: E402

PENALTY = cv.PENALTY
THRESHOLDS = [round(0.4 + 0.025 * i, 3) for i in range(23)]


def signals(catalog, q, name: str):
    """(the margin rule's decision, the first task, the judge's signals or None when not covered)."""
    semantic = q.semantic[name]
    decision = decide(q.lexical, catalog.task_labels, semantic, catalog.related, words=q.words, rule=RULE,
                      narrower=catalog.narrower)
    if decision.action == "utanför" or not semantic.learned:
        return decision, None, None
    confidence = confidences(q.lexical, semantic, RULE)
    order = ranking(confidence, catalog.task_labels, catalog.narrower, RULE)
    top = order[0]
    rival = next((iri for iri in order[1:] if not catalog.related(top, iri)), None)
    return decision, top, answer_judge.features(q.lexical, semantic, confidence, top, rival, q.words,
                                                len(q.text.split()))


def outcomes(rows, answers) -> list[tuple[str, bool, str]]:
    """As the tests count them, when the product answers where `answers` says so."""
    return [(q.kind, bool(q.expected),
             cv.counted(q, "utanför" if top is None else "svara" if answer else "fråga",
                        [top] if answer else [m.iri for m in decision.ranked[:3]]))
            for (q, decision, top, _), answer in zip(rows, answers)]


def margin_rule(rows) -> list[bool]:
    return [decision.action == "svara" for _, decision, _, _ in rows]


def judged(judge, rows) -> list[bool]:
    return [values is not None and judge.answers(values) for _, _, _, values in rows]


def validation(catalog, folder: Path):
    """Questions of writers whose questions are not examples, ranked with every example."""
    questions = []
    for path in sorted(folder.glob("*.yaml")):
        part = f"validering-{path.stem}"
        cv.WRITERS.setdefault(part, path.stem.upper())
        for q in yaml.safe_load(path.read_text(encoding="utf-8")):
            try:
                catalog.municipality(cv.municipality_of(catalog, q))
            except UnknownMunicipalityError:
                continue
            questions.append(cv.Question(part, q, catalog))
    cv.prepare(catalog, questions, "validering", set())
    return [(q, *signals(catalog, q, "validering")) for q in questions]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--validering", type=Path, help="mapp med andra skribenters frågor (*.yaml)")
    parser.add_argument("--skriv-inte", action="store_true", help="skriv inte filen, visa bara siffrorna")
    args = parser.parse_args()
    catalog, questions = cv.load_questions()
    writers = sorted({q.writer for q in questions})
    cv.prepare_each(catalog, [([q for q in questions if q.writer == w], f"skribent {w}",
                               {q.key for q in questions if q.writer == w}) for w in writers])
    rows = [(q, *signals(catalog, q, f"skribent {q.writer}")) for q in questions]
    fitted = [(values, cv.task_id(top) in q.expected) for q, _, top, values in rows if values is not None]
    draft = answer_judge.fit([v for v, _ in fitted], [r for _, r in fitted], threshold=0.5)
    best = max(THRESHOLDS, key=lambda t: (cv.score(outcomes(rows, judged(replace(draft, threshold=t), rows))), -t))
    judge = replace(draft, threshold=best)
    with_judge, with_margin = cv.metrics(outcomes(rows, judged(judge, rows))), cv.metrics(outcomes(rows, margin_rule(rows)))

    def figures(m):
        return {k: round(100 * m[k], 1) for k in ("top1", "fel_men_saker", "tillbakafragade", "vagrade", "utanfor_arlighet")}

    print(f"tröskel {best}; per skribent (utan egna exempel), {len(questions)} frågor:")
    print("  bedömning ", figures(with_judge))
    print("  marginal  ", figures(with_margin))
    if args.validering:
        others = validation(catalog, args.validering)
        print(f"andra skribenter ({args.validering}), {len(others)} frågor:")
        print("  bedömning ", figures(cv.metrics(outcomes(others, judged(judge, others)))))
        print("  marginal  ", figures(cv.metrics(outcomes(others, margin_rule(others)))))
    if not args.skriv_inte:
        answer_judge.save(judge, answer_judge.JUDGE_FILE,
                          anpassad=dt.date.today().isoformat(), delar=sorted({q.part for q in questions}),
                          skribenter=writers, exempelfragor_sha256=answer_judge.examples_digest(EXAMPLES_FILE),
                          straff=PENALTY, per_skribent_bedomning=figures(with_judge),
                          per_skribent_marginal=figures(with_margin))
        print("skrev", answer_judge.JUDGE_FILE)


if __name__ == "__main__":
    main()
