"""benchmarks/mutation-equivalent.toml leaves mutants out of the mutation score. mutmut names a
mutant by its function and a number in order, so after the function changes an entry can name
another mutant (matching.py's entries came to leave out killable ones). Each entry says which
change it is about, and the script counts it only while the mutant is still that change."""

import sys
import tomllib
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_every_equivalent_mutant_names_its_change_and_its_reason():
    entries = tomllib.loads((BENCHMARKS / "mutation-equivalent.toml").read_text(encoding="utf-8"))["equivalent"]
    assert entries
    assert [e["mutant"] for e in entries if not (e.get("change", "").strip() and e.get("reason", "").strip())] == []
    assert len({e["mutant"] for e in entries}) == len(entries)


def test_an_entry_whose_number_now_names_another_mutant_is_not_left_out():
    sys.path.insert(0, str(BENCHMARKS))
    from mutation import still_equivalent

    entry = {"mutant": "ansvarsgraf.matching.xǁTaskMatcherǁmatch_keys__mutmut_23",
             "change": "weight = sum(self._idf.get(k, None) for k in keys)"}
    same = ("-        weight = sum(self._idf.get(k, 1.0) for k in keys)\n"
            "+        weight = sum(self._idf.get(k, None) for k in keys)")
    other = ("-        candidates = sorted({i for k in explains for i in self._labels_with.get(k, ())})\n"
             "+        candidates = sorted({i for k in explains for i in self._labels_with.get(None, ())})")
    assert still_equivalent(entry, same)
    assert not still_equivalent(entry, other)
    assert not still_equivalent(entry, "")  # a mutant that no longer exists
