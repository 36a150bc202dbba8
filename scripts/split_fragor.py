"""Split the evaluation questions ONCE into a tuning part and a frozen held-out part.

Run once (issue 17, item 1): reads tests/data/utvardering/fragor-alla.yaml, draws the held-out
part at random with a fixed seed, stratified by `slag` (so out-of-scope questions, whose slag is
`utanför` or `nära-utanför`, land in both parts), writes fragor-justering.yaml and
fragor-provning.yaml and the held-out file's SHA-256 into provning.sha256. fragor-alla.yaml is
then deleted by hand; the two parts are the record. The script refuses to overwrite a split
that exists, so the held-out part can never be redrawn by accident.

On 2026-12-05 its held-out part was released for tuning (now fragor-justering-b.yaml) and a new
set written blind took its place as fragor-provning.yaml (tests/test_matching_eval.py).

    python scripts/split_fragor.py
"""

import hashlib
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

import yaml

DIR = Path(__file__).resolve().parents[1] / "tests" / "data" / "utvardering"
SEED = 17
HELD_OUT_SHARE = 0.35  # 382 questions -> about 134 held out (the issue asks for at least 100)

HEADER = """# {what} av utvärderingsfrågorna (issue 17, punkt 1), dragen en gång av
# scripts/split_fragor.py (frö {seed}, stratifierad efter slag) ur fragor-alla.yaml.
# väntat: godtagbara uppgifts-id (tom lista = utanför det grafen modellerar).
{extra}"""


def dump(questions: list[dict], what: str, extra: str) -> str:
    lines = [HEADER.format(what=what, seed=SEED, extra=extra)]
    for q in questions:
        lines.append(f"- fråga: {json.dumps(q['fråga'], ensure_ascii=False)}")
        lines.append(f"  kommun: {q['kommun']}")
        lines.append(f"  roll: {q['roll']}")
        lines.append(f"  väntat: [{', '.join(q['väntat'])}]")
        lines.append(f"  slag: {q['slag']}")
    return "\n".join(lines) + "\n"


def main() -> None:
    tuning, held_out = DIR / "fragor-justering.yaml", DIR / "fragor-provning.yaml"
    if tuning.exists() or held_out.exists():
        sys.exit("Delningen finns redan; den görs bara en gång.")
    questions = yaml.safe_load((DIR / "fragor-alla.yaml").read_text(encoding="utf-8"))
    by_kind: dict[str, list[int]] = defaultdict(list)
    for i, q in enumerate(questions):
        by_kind[q["slag"]].append(i)
    rng = random.Random(SEED)
    chosen: set[int] = set()
    for kind in sorted(by_kind):
        members = by_kind[kind]
        chosen.update(rng.sample(members, round(len(members) * HELD_OUT_SHARE)))
    tuning.write_text(
        dump([q for i, q in enumerate(questions) if i not in chosen], "Justeringsdelen",
             "# Får läsas och användas när matchningen justeras.\n"),
        encoding="utf-8",
    )
    held_out.write_text(
        dump([q for i, q in enumerate(questions) if i in chosen], "Prövningsdelen",
             "# FRYST: läs den inte när matchningen justeras; testet kontrollerar dess SHA-256.\n"),
        encoding="utf-8",
    )
    digest = hashlib.sha256(held_out.read_bytes()).hexdigest()
    (DIR / "provning.sha256").write_text(f"{digest}  fragor-provning.yaml\n", encoding="utf-8")
    print(f"justering {len(questions) - len(chosen)}, prövning {len(chosen)}, sha256 {digest}")


if __name__ == "__main__":
    main()
