"""Match a question in everyday Swedish to concepts of the task vocabulary.

Staff write "vem kallar till SIP:en när skolan är orolig", "orosanmälning", "förhandsbedömmning".
Each word is reduced to a key that survives inflection (simplemma's lemma, then the Snowball
Swedish stem of it: skolan → skola → skol); a word that is not in the vocabulary is tried
as a compound of two real Swedish words (orosanmälan → oro(s) + anmälan, elevhälsoteamet →
elevhälso + teamet; what is a word comes from the `wordfreq` Swedish list), and only a word
that is not Swedish at all is taken as a typo of a vocabulary word (rapidfuzz): "funkar" or
"äger" are never rewritten. Keys of one family match each other by prefix (anmäl ~ anmälan).
Negations ("inte", "aldrig") are kept as words, so "samverkan fungerar inte" is not
"samverkan fungerar". (The Hunspell dictionary hunspell-sv through spylls was tried for the
same job: 37 s to load and seconds per suggestion on this machine, so wordfreq it is.)

A concept's score is the best, over its labels, of the share of the label's words (weighted
by how rare they are across the vocabulary) that the question contains.
"""

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import simplemma
import snowballstemmer
from rapidfuzz import fuzz, process

from .paths import DATA_DIR

WORD = re.compile(r"[a-zåäöéü0-9]+")
STOPWORDS_FILE = DATA_DIR / "vocab" / "stoppord.txt"
MIN_PREFIX = 4  # shorter keys must match exactly, or 'sam' would match everything
MAX_EXTENSION = 3  # longer extensions are compounds, not inflections
TYPO_SCORE = 85
CLOSE_TYPO_SCORE = 93  # about one letter in a long word: corrected before trying compounds
LINKING_LETTERS = ("s", "")
# A word with at least this Zipf frequency in wordfreq's Swedish list is a real word (1 = once
# per 100 million words): never corrected as a typo, and a valid part of a compound.
REAL_WORD_ZIPF = 1.0
MIN_PART = 3  # shortest part of a compound
FAMILY_CACHE = 50000


@dataclass(frozen=True)
class TaskLabels:
    """A task concept and every way of naming it."""

    iri: str
    pref_label: str
    labels: tuple[str, ...]
    broader: tuple[str, ...] = ()


@dataclass(frozen=True)
class TaskMatch:
    iri: str
    label: str
    score: float
    matched: str  # the label that matched best
    coverage: float = 0.0  # share of that label's words found in the question


@lru_cache(maxsize=1)
def _stemmer():
    return snowballstemmer.stemmer("swedish")


@lru_cache(maxsize=1)
def stopwords(path: Path = STOPWORDS_FILE) -> frozenset[str]:
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            words.update(line.split())
    return frozenset(words)


FOLD = str.maketrans("åäöéü", "aaoeu")


@lru_cache(maxsize=20000)
def word_key(word: str) -> str:
    """Lemma, then stem, then folded to a–z: people often type 'anmalan' for 'anmälan'."""
    lemma = simplemma.lemmatize(word, lang="sv")
    return _stemmer().stemWord(lemma.lower()).translate(FOLD)


def words(text: str) -> list[str]:
    return [w for w in WORD.findall(text.lower()) if w not in stopwords()]


@lru_cache(maxsize=20000)
def is_swedish_word(word: str) -> bool:
    # Imported on first use, in the thread that builds the matchers: importing wordfreq
    # takes half a second that a server's start-up should not wait for.
    import wordfreq

    return wordfreq.zipf_frequency(word, "sv") >= REAL_WORD_ZIPF


@dataclass
class TaskMatcher:
    tasks: list[TaskLabels]
    _label_keys: list[tuple[TaskLabels, str, tuple[str, ...]]] = field(init=False, default_factory=list)
    _idf: dict[str, float] = field(init=False, default_factory=dict)
    _surface: dict[str, str] = field(init=False, default_factory=dict)
    # Indexes built once, so a question costs dictionary look-ups rather than a scan of the
    # whole vocabulary per word (that scan was most of the 9 ms a question took).
    _extensions: dict[str, set[str]] = field(init=False, default_factory=dict)
    _labels_with: dict[str, list[int]] = field(init=False, default_factory=dict)
    _context_of: dict[str, tuple[str, ...]] = field(init=False, default_factory=dict)
    _families: dict[str, frozenset[str]] = field(init=False, default_factory=dict)

    def __post_init__(self):
        document_frequency: dict[str, int] = {}
        for task in self.tasks:
            seen = set()
            for label in task.labels:
                keys = tuple(dict.fromkeys(word_key(w) for w in words(label)))
                if keys:
                    self._label_keys.append((task, label, keys))
                    seen.update(keys)
                for w in words(label):
                    self._surface.setdefault(w, word_key(w))
            for key in seen:
                document_frequency[key] = document_frequency.get(key, 0) + 1
        total = max(len(self.tasks), 1)
        self._idf = {k: math.log(1 + total / df) for k, df in document_frequency.items()}
        for key in self._idf:
            for extra in range(1, MAX_EXTENSION + 1):
                if _same_family(key[:-extra], key) and len(key) > extra:
                    self._extensions.setdefault(key[:-extra], set()).add(key)
        for index, (_, _, keys) in enumerate(self._label_keys):
            for key in keys:
                self._labels_with.setdefault(key, []).append(index)
        self._surface_words = list(self._surface)
        self._context_of = {t.iri: tuple(sorted(self._ancestors(t.iri))) for t in self.tasks}

    def family(self, key: str) -> frozenset[str]:
        """The vocabulary keys of the word family of a key (see _same_family)."""
        found = self._families.get(key)
        if found is None:
            candidates = {key[:-extra] for extra in range(1, MAX_EXTENSION + 1)} | {key}
            candidates |= self._extensions.get(key, set())
            found = frozenset(k for k in candidates if k in self._idf and _same_family(k, key))
            if len(self._families) > FAMILY_CACHE:
                self._families.clear()  # a long-running server meets endless new words
            self._families[key] = found
        return found

    @cached_property
    def abbreviations(self) -> frozenset[str]:
        """Keys of labels that are one abbreviation (SIP, SKIP, EHT): a task's own name, even
        inside a document's name."""
        return frozenset(keys[0] for _, label, keys in self._label_keys if len(keys) == 1 and label.isupper())

    def question_keys(self, question: str) -> set[str]:
        keys: set[str] = set()
        for w in words(question):
            key = word_key(w)
            if self._known(key):
                keys.add(key)
                continue
            # A one-letter slip in a vocabulary word ("uppgiftskyldighet", "förebygande") is
            # likelier than a new compound (uppgift|skyldighet, före|bygande).
            corrected = self._correct_typo(w, CLOSE_TYPO_SCORE)
            parts = None if corrected else self._split_compound(w)
            if parts:
                keys.update(parts)
                continue
            corrected = corrected or self._correct_typo(w)
            keys.add(corrected or key)
        return keys

    def _weight(self, key: str) -> float:
        """A question word's weight: the rarest vocabulary key of its family (unknown: 1)."""
        family = self.family(key)
        return max(self._idf[k] for k in family) if family else 1.0

    def _known(self, key: str) -> bool:
        return bool(self.family(key))

    def _split_compound(self, word: str) -> list[str] | None:
        """Two vocabulary words; or, for a word that is not itself Swedish (a compound the
        word list lacks), two real Swedish words of which the vocabulary knows one ('kollar'
        stays whole, not kol|lar). Real words count first, then parts the vocabulary knows, then the longest
        last part ('oros|anmälan' over 'orosan|mälan'): in Swedish the last part names the thing."""
        best = None
        for cut in range(MIN_PART, len(word) - MIN_PART + 1):
            head, tail = word[:cut], word[cut:]
            for link in LINKING_LETTERS:
                if link and not head.endswith(link):
                    continue
                stem_head = head[: len(head) - len(link)] if link else head
                if len(stem_head) < MIN_PART:
                    continue
                head_key, tail_key = word_key(stem_head), word_key(tail)
                known = self._known(head_key) + self._known(tail_key)
                real = all(self._known(k) or is_swedish_word(w) for k, w in ((head_key, stem_head), (tail_key, tail)))
                if known == 2 or (known and real and not is_swedish_word(word)):
                    rank = (real, known, len(tail))  # avvikelse|mötet, not avvikels|emötet
                    if best is None or rank > best[0]:
                        best = (rank, [head_key, tail_key])
        return best[1] if best else None

    def _correct_typo(self, word: str, cutoff: float = TYPO_SCORE) -> str | None:
        if len(word) < 5 or is_swedish_word(word):
            return None  # a real word is what the person meant, even when it is not ours
        found = process.extractOne(word, self._surface_words, scorer=fuzz.ratio, score_cutoff=cutoff)
        return self._surface[found[0]] if found else None

    def match(self, question: str, limit: int = 5) -> list[TaskMatch]:
        """Rank tasks for the question.

        A task's own best label must be (mostly) in the question; words the question adds
        may be explained by the task's broader tasks, so "orosanmälan för barn som far
        illa" reaches the specific task, with the general one as its context.
        """
        return self.match_keys(self.question_keys(question), limit)

    def match_keys(self, q: set[str], limit: int = 5) -> list[TaskMatch]:
        if not q:
            return []
        question_weight = sum(self._weight(k) for k in q)
        # Which question keys each vocabulary key explains, and the labels worth scoring.
        explains: dict[str, set[str]] = defaultdict(set)
        for qk in q:
            for k in self.family(qk):
                explains[k].add(qk)
        candidates = sorted({i for k in explains for i in self._labels_with.get(k, ())})
        own: dict[str, tuple[float, str, set[str]]] = {}
        explained_by: dict[str, set[str]] = defaultdict(set)
        for index in candidates:
            task, label, keys = self._label_keys[index]
            weight = sum(self._idf.get(k, 1.0) for k in keys)
            hit = sum(self._idf.get(k, 1.0) for k in keys if k in explains)
            explained = set().union(*(explains[k] for k in keys if k in explains))
            explained_by[task.iri] |= explained
            coverage = hit / weight
            if task.iri not in own or coverage > own[task.iri][0] or (
                coverage == own[task.iri][0] and len(explained) > len(own[task.iri][2])
            ):
                own[task.iri] = (coverage, label, explained)
        results = []
        for task in self.tasks:
            if task.iri not in own:
                continue
            coverage, label, explained = own[task.iri]
            context = set(explained)
            for ancestor in self._context_of[task.iri]:
                context |= explained_by.get(ancestor, set())
            share = sum(self._weight(k) for k in context) / question_weight
            results.append(TaskMatch(task.iri, task.pref_label, round(coverage * (0.4 + 0.6 * share), 3), label, round(coverage, 3)))
        return sorted(results, key=lambda m: (-m.score, m.label))[:limit]

    def _ancestors(self, iri: str) -> set[str]:
        by_iri = {t.iri: t for t in self.tasks}
        seen, todo = set(), [iri]
        while todo:
            task = by_iri.get(todo.pop())
            for parent in task.broader if task else ():
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return seen


def without_words(keys: set[str], text: str, keep: frozenset[str] = frozenset()) -> set[str]:
    """The keys that remain when the words of text (e.g. a document's name) are taken out,
    except those in keep: a document named after a task (SKIP in "SKIP i <kommun>") must not erase that task."""
    removed = {word_key(w) for w in words(text)} - keep
    return {k for k in keys if not any(_same_family(k, r) for r in removed)}


def _same_family(a: str, b: str) -> bool:
    """Keys of one word family: the same, or one a short extension of the other
    (anmäl ~ anmälan, kall ~ kallelse, sip ~ sipp), but not a compound (skol ≁ skolsamordn)."""
    if a == b:
        return True
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if not long_.startswith(short):
        return False
    extra = len(long_) - len(short)
    return (len(short) >= MIN_PREFIX and extra <= MAX_EXTENSION) or (len(short) == 3 and extra <= 1)
