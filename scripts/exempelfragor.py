"""Write data/vocab/exempelfragor.txt: the labelled questions of the tuning parts of
tests/data/utvardering/ as example questions for the semantic re-ranker (issue 17).

The questions were written blind, from the sources, by the writers TUNING names; they are data about how
staff ask, like the vocabulary. Only tuning parts are copied (TUNING below): a held-out part is
never an example. Figures on a part whose questions are examples are measured by
cross-validation (tests/test_matching_eval.py, benchmarks/matching_cv.py), never in sample.

    python scripts/exempelfragor.py           # writes the file
    python scripts/exempelfragor.py --check   # exit 1 if the file is not what the parts give
"""

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PARTS_DIR = ROOT / "tests" / "data" / "utvardering"
TARGET = ROOT / "data" / "vocab" / "exempelfragor.txt"
# Tuning parts and who wrote them. `justering-d` (writer B) was the held-out part `provning` and
# `justering-e` (writer D) the held-out part `provning-2`, each released for tuning on 2026-12-05
# after three measurements; `justering-f` (writer E) was the held-out part `provning-3`, written
# blind on 2026-12-05 and released for tuning on 2026-12-05 after two measurements, when a new
# blind held-out set was written (`provning-4`); `justering-g` (writer G) was written blind as a
# tuning part; `justering-i` (writer F) was the held-out part `provning-4`, released after three
# measurements when `provning-5` was written; `justering-k` (writer K) was written blind as a tuning
# part (H, J and L too, and not kept: README); `justering-n` (writer I) was the held-out part
# `provning-5`, released after three measurements when `provning-6` was written; `justering-m` (writer
# M) was the held-out part `provning-6`, released after three measurements when `provning-7` was
# written; `justering-r` (writer N) was the held-out part `provning-7`, released after three
# measurements when `provning-8` was written; `justering-18` (writer 18) was the held-out part
# `provning-8`, released after three measurements when `provning-9` was written; `justering-37` to
# `justering-48` (writers 37-48) and `justering-50` to `justering-61` (writers 50-61) were written blind as
# validation writers (benchmarks/data/validering-4 to -7), each set used for one decision before it became
# examples. A held-out part is never listed here.
TUNING = {
    "justering": "skribent A (första blinda uppsättningen, justeringshalvan)",
    "justering-b": "skribent A (första blinda uppsättningen, den tidigare prövningshalvan)",
    "justering-c": "skribent C (blindskriven 2026-12-05)",
    "justering-d": "skribent B (blindskriven 2026-12-05, prövningsdel t.o.m. 2026-12-05)",
    "justering-e": "skribent D (blindskriven 2026-12-05, prövningsdel provning-2 t.o.m. 2026-12-05)",
    "justering-f": "skribent E (blindskriven 2026-12-05, prövningsdel provning-3 t.o.m. 2026-12-05, mätt två gånger)",
    "justering-g": "skribent G (blindskriven 2026-12-05 som justeringsdel, mest vardagliga ord och situationer)",
    "justering-i": "skribent F (blindskriven 2026-12-05, prövningsdel provning-4 t.o.m. 2026-12-05, mätt tre gånger)",
    "justering-k": "skribent K (blindskriven 2026-12-05 som justeringsdel, vardagliga ord, felstavningar, förkortningar)",
    "justering-n": "skribent I (blindskriven 2026-12-05, prövningsdel provning-5 t.o.m. 2026-12-05, mätt tre gånger)",
    "justering-m": "skribent M (blindskriven 2026-12-05, prövningsdel provning-6 t.o.m. 2026-12-06, mätt tre gånger)",
    "justering-r": "skribent N (blindskriven 2026-12-06, prövningsdel provning-7 t.o.m. 2026-12-06, mätt tre gånger)",
    "justering-h": "skribent H (blindskriven 2026-12-05 som justeringsdel, vardagliga ord, vården och socialtjänstens personal; valideringsskribent 2026-12-06)",
    "justering-j": "skribent J (blindskriven 2026-12-05 som justeringsdel, mest beskrivna situationer; valideringsskribent 2026-12-06)",
    "justering-o": "skribent O (blindskriven 2026-12-06 som justeringsdel, mest situationer och vardagliga ord; valideringsskribent 2026-12-06)",
    "justering-p": "skribent P (blindskriven 2026-12-06 som justeringsdel, mest situationer och vardagliga ord; valideringsskribent 2026-12-06)",
    "justering-s": "skribent S (blindskriven 2026-12-06 som justeringsdel, skribent nr 31, mest situationer och vardagliga ord)",
    "justering-t": "skribent T (blindskriven 2026-12-06 som justeringsdel, skribent nr 32, mest situationer och vardagliga ord)",
    "justering-u": "skribent U (blindskriven 2026-12-06 som justeringsdel, skribent nr 33, mest situationer och vardagliga ord)",
    "justering-v": "skribent V (blindskriven 2026-12-06 som justeringsdel, skribent nr 34, mest situationer och vardagliga ord)",
    "justering-w": "skribent W (blindskriven 2026-12-06 som justeringsdel, skribent nr 35, mest situationer och vardagliga ord)",
    "justering-x": "skribent X (blindskriven 2026-12-06 som justeringsdel, skribent nr 36, mest situationer och vardagliga ord)",
    "justering-18": "skribent 18 (blindskriven 2026-12-06, prövningsdel provning-8 t.o.m. 2026-12-06, mätt tre gånger)",
    "justering-37": "skribent 37 (blindskriven 2026-12-06, valideringsskribent i validering-4, mest situationer och vardagliga ord)",
    "justering-38": "skribent 38 (blindskriven 2026-12-06, valideringsskribent i validering-4, mest situationer och vardagliga ord)",
    "justering-39": "skribent 39 (blindskriven 2026-12-06, valideringsskribent i validering-4, mest situationer och vardagliga ord)",
    "justering-40": "skribent 40 (blindskriven 2026-12-06, valideringsskribent i validering-4, mest situationer och vardagliga ord)",
    "justering-41": "skribent 41 (blindskriven 2026-12-06, valideringsskribent i validering-4, mest situationer och vardagliga ord)",
    "justering-42": "skribent 42 (blindskriven 2026-12-06, valideringsskribent i validering-4, mest situationer och vardagliga ord)",
    "justering-43": "skribent 43 (blindskriven 2026-12-06, valideringsskribent i validering-5, mest situationer och vardagliga ord)",
    "justering-44": "skribent 44 (blindskriven 2026-12-06, valideringsskribent i validering-5, mest situationer och vardagliga ord)",
    "justering-45": "skribent 45 (blindskriven 2026-12-06, valideringsskribent i validering-5, mest situationer och vardagliga ord)",
    "justering-46": "skribent 46 (blindskriven 2026-12-06, valideringsskribent i validering-5, mest situationer och vardagliga ord)",
    "justering-47": "skribent 47 (blindskriven 2026-12-06, valideringsskribent i validering-5, mest situationer och vardagliga ord)",
    "justering-48": "skribent 48 (blindskriven 2026-12-06, valideringsskribent i validering-5, mest situationer och vardagliga ord)",
    "justering-50": "skribent 50 (blindskriven 2026-12-06, valideringsskribent i validering-6, mest situationer och vardagliga ord)",
    "justering-51": "skribent 51 (blindskriven 2026-12-06, valideringsskribent i validering-6, mest situationer och vardagliga ord)",
    "justering-52": "skribent 52 (blindskriven 2026-12-06, valideringsskribent i validering-6, mest situationer och vardagliga ord)",
    "justering-53": "skribent 53 (blindskriven 2026-12-06, valideringsskribent i validering-6, mest situationer och vardagliga ord)",
    "justering-54": "skribent 54 (blindskriven 2026-12-06, valideringsskribent i validering-6, mest situationer och vardagliga ord)",
    "justering-55": "skribent 55 (blindskriven 2026-12-06, valideringsskribent i validering-6, mest situationer och vardagliga ord)",
    "justering-56": "skribent 56 (blindskriven 2026-12-06, valideringsskribent i validering-7, mest situationer och vardagliga ord)",
    "justering-57": "skribent 57 (blindskriven 2026-12-06, valideringsskribent i validering-7, mest situationer och vardagliga ord)",
    "justering-58": "skribent 58 (blindskriven 2026-12-06, valideringsskribent i validering-7, mest situationer och vardagliga ord)",
    "justering-59": "skribent 59 (blindskriven 2026-12-06, valideringsskribent i validering-7, mest situationer och vardagliga ord)",
    "justering-60": "skribent 60 (blindskriven 2026-12-06, valideringsskribent i validering-7, mest situationer och vardagliga ord)",
    "justering-61": "skribent 61 (blindskriven 2026-12-06, valideringsskribent i validering-7, mest situationer och vardagliga ord)",
}
# Who wrote each part ("skribent A (…)" -> "A"): the writer a leave-one-writer-out run holds back.
WRITERS = {part: description.split()[1] for part, description in TUNING.items()}
OUTSIDE = "utanför"
HEADER = """\
# Exempelfrågor med facit: hur personal frågar, skrivna blint ur källorna av {writers} frågeskrivare
# (issue 17). Den semantiska omrankningen (src/ansvarsgraf/reranking.py) jämför en fråga med
# dessa som med uppgifternas egna texter; `utanför` är en fråga grafen inte täcker.
# Format: uppgifts-id (flera åtskilda med mellanslag, vart och ett godtas) TAB fråga.
# GENERERAD av scripts/exempelfragor.py ur tests/data/utvardering/ – redigera inte för hand.
"""


def lines() -> list[str]:
    out = [HEADER.format(writers=len(set(WRITERS.values())))]
    seen: set[str] = set()
    for part, writer in TUNING.items():
        out.append(f"\n# källa: tests/data/utvardering/fragor-{part}.yaml, {writer}\n")
        for q in yaml.safe_load((PARTS_DIR / f"fragor-{part}.yaml").read_text(encoding="utf-8")):
            text = " ".join(q["fråga"].split())  # one line, whatever the YAML folded
            if text in seen:
                continue  # the same question in two parts: one example
            seen.add(text)
            out.append(f"{' '.join(q['väntat']) or OUTSIDE}\t{text}\n")
    return out


def main() -> None:
    text = "".join(lines())
    if sys.argv[1:] == ["--check"]:
        sys.exit(0 if TARGET.read_text(encoding="utf-8") == text else "exempelfragor.txt är inte aktuell")
    TARGET.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
