"""Where the ranking of free-text questions fails (issue 17): the cross-validated misrankings of
the tuning parts, grouped by kind of question and by (expected, ranked first) task pair.

Each question is ranked with its own fold held back from the example questions and from the
question model (as benchmarks/matching_cv.py does); "ranked first" is the first task of
reranking.ranking, whatever the decision would then be, so these are the ranking's errors, not
the decision rule's. The held-out part is never read. This prints; it tunes nothing.

    python benchmarks/matching_errors.py [--per-skribent] [--visa 0]
"""

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from matching_cv import load_questions, prepare_cv, ranked_first, pct  # noqa: E402
from ansvarsgraf.reranking import RULE  # noqa: E402
from test_matching_eval import task_id  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-skribent", action="store_true", help="håll tillbaka en skribent i stället för en fold")
    parser.add_argument("--visa", type=int, default=2, help="exempelfrågor att skriva per par (0: inga)")
    args = parser.parse_args()
    catalog, questions = load_questions()
    prepare_cv(catalog, questions)
    name = (lambda q: f"skribent {q.writer}") if args.per_skribent else (lambda q: f"fold {q.fold}")
    answerable = [q for q in questions if q.expected]
    kinds: dict[str, Counter] = defaultdict(Counter)
    pairs: dict[tuple[str, str], list] = defaultdict(list)
    for q in answerable:
        first = task_id(ranked_first(catalog, q, name(q), RULE))
        kinds[q.kind]["n"] += 1
        if first in q.expected:
            kinds[q.kind]["rätt"] += 1
            continue
        pairs[(" / ".join(sorted(q.expected)), first)].append(q)
    right = sum(c["rätt"] for c in kinds.values())
    print(f"rätt uppgift först i rangordningen: {right} av {len(answerable)} ({pct(right / len(answerable))}),"
          f" {'per skribent' if args.per_skribent else '5-faldig korsvalidering'}")
    print("per slag (rätt först / besvarbara):")
    for kind, c in sorted(kinds.items(), key=lambda item: item[1]["rätt"] / item[1]["n"]):
        print(f"  {kind:<14} {c['rätt']:3}/{c['n']:<3} {pct(c['rätt'] / c['n'])}")
    print("vanligaste förväxlingarna (väntad → först):")
    for (expected, first), found in sorted(pairs.items(), key=lambda item: -len(item[1]))[:25]:
        print(f"  {len(found):2}  {expected} → {first}   [{', '.join(sorted(Counter(q.kind for q in found)))}]")
        for q in found[:args.visa]:
            print(f"        {q.part}: {q.text[:110]}")


if __name__ == "__main__":
    main()
