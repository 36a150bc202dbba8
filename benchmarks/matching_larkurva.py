"""How matching for writers whose questions are not examples grows with the number of writers
whose questions are (issue 17): a learning curve, to tell whether more blind writers would help.

The six writers in benchmarks/data/validering/ (never examples, never fitted on) are measured
with the example questions of the first n tuning writers only (the others' held back from the
ranker and its question model), n = 2, 4, ..., all; in the order the writers were written, and
in a second, shuffled order. Decisions as the product makes them (the answer judge fitted for
all writers: for fewer writers it is a little off, which the margin rule's column shows).

    python benchmarks/matching_larkurva.py
"""

import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for folder in ("src", "tests", "benchmarks", "scripts"):
    sys.path.insert(0, str(ROOT / folder))

import matching_cv as cv  # noqa: E402
import svarsbedomning as sb  # noqa: E402

VALIDATION = ROOT / "benchmarks" / "data" / "validering"


def main() -> None:
    catalog, questions = cv.load_questions()
    val = [row[0] for row in sb.validation(catalog, VALIDATION)]
    written = list(dict.fromkeys(q.writer for q in questions))  # TUNING's order
    shuffled = written[:]
    random.Random(17).shuffle(shuffled)
    texts = {w: {q.key for q in questions if q.writer == w} for w in written}
    for label, order in (("skrivordning", written), ("blandad", shuffled)):
        print(f"{label}: {' '.join(order)}")
        for n in [*range(2, len(order), 2), len(order)]:
            name = f"{label} {n}"
            held = set().union(*(texts[w] for w in order[n:])) if n < len(order) else set()
            cv.prepare(catalog, val, name, held)
            rows = [(q, *sb.signals(catalog, q, name)) for q in val]
            judge = catalog.ranker.judge
            with_judge = cv.metrics(sb.outcomes(rows, sb.judged(judge, rows)))
            with_margin = cv.metrics(sb.outcomes(rows, sb.margin_rule(rows)))
            f = lambda m: f"{100 * m['top1']:5.1f} / {100 * m['fel_men_saker']:4.1f}"  # noqa: E731
            print(f"  {n:2} skribenter ({sum(len(texts[w]) for w in order[:n]):4} frågor)  bedömning {f(with_judge)}"
                  f"   marginal {f(with_margin)}", flush=True)


if __name__ == "__main__":
    main()
