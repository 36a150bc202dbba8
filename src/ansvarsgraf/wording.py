"""Plain Swedish for staff: the sentence that opens an answer, badges, durations in words,
and prose cleaned of the project's own shorthand (field names, ISO durations, file names).

The answer engine returns data; this module only words it. The verb forms of the parts are
data (ontology/vocabularies.ttl, the block "Verb forms of the parts"), read once.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

import rdflib
from rdflib.namespace import SKOS

from . import durations
from .durations import DURATION, duration_words
from .results import Answer, DutyAnswer
from .paths import ONTOLOGY_DIR
from .vocabulary import AG



@dataclass(frozen=True)
class PartForms:
    present: str         # "utför"
    infinitive: str      # "utföra"
    before_verb: str     # "ansvara för att" (empty: the task's own verb says it)
    before_noun: str     # "ansvara för"


@lru_cache(maxsize=1)
def part_forms() -> dict[str, PartForms]:
    """The parts' verb forms, keyed by their Swedish label (the answer carries the label)."""
    graph = rdflib.Graph().parse(ONTOLOGY_DIR / "vocabularies.ttl")
    forms = {}
    for concept in graph.subjects(AG.infinitive, None):
        label = next(str(v) for v in graph.objects(concept, SKOS.prefLabel) if v.language == "sv")
        forms[label] = PartForms(label, str(graph.value(concept, AG.infinitive)),
                                 str(graph.value(concept, AG.beforeVerbPhrase)), str(graph.value(concept, AG.beforeNounPhrase)))
    return forms


# A modality that only describes practice: the source says what is done, not that anyone
# must (issue 16, point 3). Worded as practice, never with a modal verb.
PRACTICE = "beskrivet arbetssätt"


def badge(modality: str, part: str, observed: str | None = None) -> str:
    """"ska utföra", "får inte sammankalla"; described practice in the present tense with its
    source ("stödjer enligt granskningen 2020-10-13"); without a modality the part as it is."""
    modality, part = str(modality or ""), str(part or "")  # query rows hold Literals
    forms = part_forms().get(part)
    if modality == PRACTICE:
        return f"{part} {according_to_audit(observed)}".strip()
    if not modality or forms is None:
        return " ".join(x for x in (modality, part) if x)
    return f"{modality} {forms.infinitive}"


def according_to_audit(observed: str | None) -> str:
    return f"enligt granskningen {observed}" if observed else "enligt granskningen"


def modality_words(modality: str, observed: str | None = None) -> str:
    """The modality as a reader should take it: practice is never an obligation."""
    if str(modality) == PRACTICE:
        return f"arbetar så {according_to_audit(observed)} (beskrivet arbetssätt, ingen skyldighet)"
    return str(modality)


# ---------------------------------------------------------------------------
# Durations (ISO 8601: P14D, P1Y, P4M, P2W) in words
# ---------------------------------------------------------------------------

def interval_words(value: str | None) -> str | None:
    """How often, in words (durations.interval_words); other text as staff read it."""
    return durations.interval_words(value) or readable(value)


def deadline_words(value: str | None) -> str | None:
    """A deadline: P14D -> "inom 14 dagar" (the engine's own wording, "genast", as it is)."""
    if not value:
        return value
    if DURATION.fullmatch(value.strip()):
        return "inom " + duration_words(value)
    return readable(value)


# The project's own shorthand that the sources' notes carry: the law notes' file name, YAML
# field names (giltig_från), code quotes. Staff read the sources' words, not ours.
FILE_NAMES = [(re.compile(r"\s*\(LAW-NOTES\)"), ""),
              # the file name with its folder and extension too: "shared/LAW-NOTES.md avsnitt 5"
              (re.compile(r"\b(?:shared/)?LAW-NOTES(?:\.md)?\b"), "projektets lagnoteringar"),
              (re.compile(r"\bGLOSSARY(\.md)?\b"), "ordlistan"),
              # a data file named in brackets, "(data/law/….yaml)": the sentence reads without it
              (re.compile(r"\s*\((?:data/)?[\w/.-]+\.(?:yaml|ttl|rq)\)"), ""),
              # "the graph" is our word for the sources as read; staff read "the sources"
              (re.compile(r"\bi grafen\b"), "i källorna"), (re.compile(r"\bgrafen saknar\b"), "källorna saknar"),
              (re.compile(r"\bär (inte )?modellerad(e|t)?\b"), lambda m: f"anges {m[1] or ''}i källorna")]
FIELD_NAME = re.compile(r"\b([a-zåäö]+)_([a-zåäö]+(?:_[a-zåäö]+)*)\b")


def readable(text: str | None) -> str | None:
    """Prose as staff should read it: durations in words, no field or file names."""
    if not text:
        return text
    for pattern, words in FILE_NAMES:
        text = pattern.sub(words, text)
    text = text.replace("`", "")
    text = FIELD_NAME.sub(lambda m: m.group(0).replace("_", " "), text)
    return DURATION.sub(lambda m: duration_words(m.group(0)), text)


PROVISION = re.compile(r"^https://lagen\.nu/(\d{4}:\d+)#(?:K(\d+[a-z]?))?P(\d+)([a-z]?)$")


def link_text(iri: str) -> str:
    """Words for a link to a node that has no name: a section of law by its act and
    section ("SFS 2001:453 14 kap. 1 §"), a page elsewhere by its host; never the address."""
    match = PROVISION.match(iri)
    if match:
        sfs, chapter, section, letter = match.groups()
        return f"SFS {sfs} " + (f"{chapter} kap. " if chapter else "") + f"{section}{' ' + letter if letter else ''} §"
    if iri.startswith(("http://", "https://")):
        host = iri.split("/")[2]
        return "dokument hos " + host.removeprefix("www.")
    return iri.rsplit("/", 1)[-1].replace("-", " ")


# ---------------------------------------------------------------------------
# The verdict: one sentence naming who, in what part, by which document or provision
# ---------------------------------------------------------------------------

@dataclass
class Verdict:
    lead: str              # "I <kommun> ska"
    who: list[str]         # the bearers as the municipality names them
    rest: str              # "göra omedelbar skyddsbedömning"
    deadline: str | None   # "genast"
    basis: list[str]       # provisions, then the document and its section
    others: list[tuple[str, str]]  # further duties: (who, badge)


def _is_verb_phrase(task: str) -> bool:
    # Task names are written as infinitive verb phrases ("Göra förhandsbedömning", "Ta emot
    # en orosanmälan") or as noun phrases ("Placerade barns skolgång"); Swedish infinitives
    # end in -a (gå/se/ge are not task verbs in the vocabulary).
    first = task.split(" ", 1)[0]
    return first.lower().endswith("a")


def lower_first(text: str) -> str:
    # "Kalla till SIP" -> "kalla till SIP"; an acronym ("SIP …") keeps its capitals.
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def task_phrase(part: str, task: str) -> str:
    """What the bearer does, as words after the modal verb: "ansvara för att göra förhandsbedömning"."""
    forms = part_forms().get(part)
    words = lower_first(task)
    if forms is None:
        return f"{part} – {words}" if part else words
    if not _is_verb_phrase(task):
        return f"{forms.before_noun} {words}"
    prefix = forms.before_verb
    # "Kalla till SIP" with the part "sammankallar": the task's verb already says it. A short
    # verb is compared with its particle ("ta emot" is not "ta initiativ").
    verb = prefix.split(" ")[:2 if len(prefix.split(" ")[0]) <= 2 else 1]
    if not prefix or words.lower().split(" ")[:len(verb)] == verb:
        return words
    return f"{prefix} {words}"


def bearer_names(duty: DutyAnswer) -> list[str]:
    """The bearers as the municipality names them: the board that fills a statutory role
    ("Socialnämnden i <kommun>"), else the actor itself."""
    names = []
    for b in duty.bearers:
        names += [r.label for r in b.fulfilled_by] or [b.actor.label]
    return list(dict.fromkeys(names))


def duty_basis(duty: DutyAnswer) -> list[str]:
    basis = [(b.in_force or b.cited).label for b in duty.legal_basis]
    if duty.instrument:
        section = readable(duty.instrument_section)
        basis.append(duty.instrument.label + (f", {section}" if section else ""))
    return list(dict.fromkeys(basis))


def verdict(answer: Answer) -> Verdict | None:
    """The opening sentence of an answer with duties, built from its first (most binding,
    most local) duty; the other duties are named after it."""
    if not answer.duties:
        return None
    duty = answer.duties[0]
    place = f"I {answer.municipality.label}"
    lead = f"{place} {duty.modality}" if duty.modality else place
    rest = task_phrase(duty.part, duty.task.label)
    if duty.modality == "får inte":
        # "I <kommun> får socialnämnden inte informera …": the negation after the subject.
        lead, rest = f"{place} får", f"inte {rest}"
    elif duty.modality == PRACTICE:
        # Described practice: what the audit saw done, never "ska".
        lead = f"{according_to_audit(duty.observed).capitalize()} arbetar"
        rest = f"så i {answer.municipality.label}: {duty.part} {lower_first(duty.task.label)} (beskrivet arbetssätt, ingen skyldighet)"
    elif not duty.modality:
        # No modal verb: "har … i uppgift att" keeps the infinitive phrase correct.
        lead, rest = f"{place} har", f"i uppgift att {rest}"
    others = []
    for d in answer.duties[1:]:
        who = " och ".join(bearer_names(d))
        if (who, badge(d.modality, d.part, d.observed)) not in others:
            others.append((who, badge(d.modality, d.part, d.observed)))
    return Verdict(lead, bearer_names(duty), rest, deadline_words(duty.deadline), duty_basis(duty), others)


# Plain Swedish for the templates (web pages and printed reports): the opening sentence,
# badges, durations in words.
WORDING = {"verdict": verdict, "badge": badge, "readable": readable, "bearer_names": bearer_names,
           "interval_words": interval_words, "deadline_words": deadline_words}
