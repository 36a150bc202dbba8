"""Two municipalities' answers to one task, reduced to what differs.

A trainer comparing two municipalities wants the differences: who does it there, under which
document, with which deadline and escalation. What both share – the statute and its text, a
duty the law gives both – is said once and folded. Built from two answer.answer_task results,
so the comparison and the answer page are one truth; nothing is added the answers lack.
"""

from dataclasses import dataclass, field

from .results import Answer, DutyAnswer, Ref
from .wording import badge, deadline_words, readable


@dataclass
class Value:
    """What one municipality's answer says on one aspect: text, optionally linking to a node."""

    text: str
    iri: str | None = None


@dataclass
class DiffRow:
    aspect: str
    left: list[Value]
    right: list[Value]


@dataclass
class DiffBlock:
    title: str
    rows: list[DiffRow]
    only_in: str | None = None  # the municipality that has this duty, when only one has it


@dataclass
class Comparison:
    left: Ref
    right: Ref
    blocks: list[DiffBlock] = field(default_factory=list)
    same: list[DiffBlock] = field(default_factory=list)   # duties both have, aspects both share
    law: list = field(default_factory=list)               # Provisions cited, each once
    messages: list[str] = field(default_factory=list)     # an answer that has no duties says why


def _aspects(duty: DutyAnswer) -> list[tuple[str, list[Value]]]:
    return [
        ("Ansvarig", [Value(b.actor.label, b.actor.iri) for b in duty.bearers]),
        ("I kommunen", [Value(r.label, r.iri) for b in duty.bearers for r in b.fulfilled_by]),
        ("Ingår i", [Value(r.label, r.iri) for b in duty.bearers for r in b.organisation_path]),
        # Worded as on the answer page ("får sammankalla", "inom 14 dagar"), not as stored.
        ("Vad", [Value(badge(duty.modality, duty.part, duty.observed))]),
        ("Beskrivning", [Value(readable(duty.description))] if duty.description else []),
        ("När", [Value(readable(duty.condition))] if duty.condition else []),
        ("Frist", [Value(deadline_words(duty.deadline))] if duty.deadline else []),
        ("Lagrum", [Value((b.in_force or b.cited).label, (b.in_force or b.cited).iri) for b in duty.legal_basis]),
        ("Dokument", [Value(duty.instrument.label + (f", {duty.instrument_section}" if duty.instrument_section else ""),
                            duty.instrument.iri)] if duty.instrument else []),
        ("Forum", [Value(duty.forum.label, duty.forum.iri)] if duty.forum else []),
        ("Eskalering", [Value(readable(step)) for step in duty.escalation]),
        ("Observera", [Value(readable(w.text)) for w in duty.warnings]),
    ]


def _title(duty: DutyAnswer) -> str:
    """The duty's first sentence: enough to tell the blocks apart, the rest is in the rows."""
    text = duty.description or f"{', '.join(b.actor.label for b in duty.bearers)}: {badge(duty.modality, duty.part, duty.observed)}"
    first, dot, rest = text.partition(". ")
    return first + "." if dot and rest else text


def _texts(values: list[Value]) -> list[str]:
    return [v.text for v in values]


def compare(left: Answer, right: Answer) -> Comparison:
    result = Comparison(left.municipality, right.municipality)
    for answer in (left, right):
        if not answer.duties:
            result.messages.append(f"{answer.municipality.label}: {answer.message}")
    seen_law: dict[str, object] = {}
    for answer in (left, right):
        for duty in answer.duties:
            for basis in duty.legal_basis:
                law = basis.in_force or basis.cited
                seen_law.setdefault(law.iri, law)
    result.law = list(seen_law.values())
    right_duties = {d.iri: d for d in right.duties}
    left_iris = {d.iri for d in left.duties}
    for duty in left.duties:
        other = right_duties.get(duty.iri)
        if other is None:
            result.blocks.append(_alone(duty, left.municipality, right.municipality, first=True))
            continue
        differing, shared = [], []
        for (aspect, mine), (_, theirs) in zip(_aspects(duty), _aspects(other)):
            if not mine and not theirs:
                continue
            (shared if _texts(mine) == _texts(theirs) else differing).append(DiffRow(aspect, mine, theirs))
        if differing:
            result.blocks.append(DiffBlock(_title(duty), differing))
        if shared:
            result.same.append(DiffBlock(_title(duty), shared))
    for duty in right.duties:
        if duty.iri not in left_iris:
            result.blocks.append(_alone(duty, right.municipality, left.municipality, first=False))
    return result


def _alone(duty: DutyAnswer, has: Ref, lacks: Ref, first: bool) -> DiffBlock:
    missing = [Value(f"Inget motsvarande åtagande i {lacks.label}")]
    rows = []
    for aspect, values in _aspects(duty):
        if values:
            rows.append(DiffRow(aspect, values, missing) if first else DiffRow(aspect, missing, values))
            missing = []  # said once, on the first row
    return DiffBlock(_title(duty), rows, only_in=has.label)
