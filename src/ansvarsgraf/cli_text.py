"""An answer as text for the command line."""

from .results import Answer, Bearer, InstrumentCard
from .wording import modality_words, readable


def render_instruments(cards: list[InstrumentCard]) -> list[str]:
    lines = []
    for card in cards:
        lines.append(f"Dokument: {card.label} ({card.kind})")
        lines.append("   Parter: " + (", ".join(p.label for p in card.parties) or "inga angivna"))
        dates = [("undertecknad", card.signed), ("gäller från", card.valid_from), ("gäller till", card.valid_until),
                 ("senast reviderad", card.last_revised), ("revideras", card.revision_interval)]
        shown = ", ".join(f"{name} {value}" for name, value in dates if value)
        lines.append(f"   {shown or 'Inga datum i källan'}" + (f"; status {card.status}" if card.status else ""))
        for basis in card.legal_basis:
            law = basis.in_force or basis.cited
            lines.append(f"   Lagrum: {law.label} <{law.url}>" + (f" – {basis.note}" if basis.note else ""))
        for source in card.sources:
            lines.append(f"   Källa: {source.label}")
        for warning in card.warnings:
            lines.append(f"   ⚠ {warning.text}" + (f" [{warning.source.label}]" if warning.source else ""))
        lines.extend(_later_support_lines(card.later_support, "   "))
        lines.append("")
    return lines


def _bearer_text(bearer: Bearer) -> str:
    if bearer.fulfilled_by:
        return bearer.actor.label + " – i kommunen: " + ", ".join(r.label for r in bearer.fulfilled_by)
    if bearer.organisation_path:
        return bearer.actor.label + " (" + " › ".join(r.label for r in bearer.organisation_path) + ")"
    return bearer.actor.label


def render_text(answer: Answer) -> str:
    lines = render_instruments(answer.instruments)
    if answer.status == "dokument":
        return "\n".join(lines).rstrip()
    if answer.status == "tvetydig":
        lines.append(answer.message)
        for c in answer.candidates:
            lines.append(f"  – {c['label']} (träff {c['score']:.2f}, på ”{c['matched']}”)")
        return "\n".join(lines)
    if answer.status == "okand_fraga":
        return answer.message
    task = answer.tasks[0]
    lines.append(f"Uppgift: {task['label']}" + (f" (träff {task['score']:.2f} på ”{task['matched']}”)" if task.get("matched") else ""))
    lines.append(f"Kommun: {answer.municipality.label}   Datum: {answer.date}")
    lines.append("")
    if not answer.duties:
        lines.append(answer.message)
        for p in answer.fallback:
            lines.append(f"  Lagrum: {p.label} <{p.url}>" + (f" – {p.summary}" if p.summary else ""))
        return "\n".join(lines + _note_lines(answer) + _finding_lines(answer) + _forum_lines(answer)
                         + _later_duty_lines(answer))
    for number, duty in enumerate(answer.duties, start=1):
        lines.append(f"{number}. " + " och ".join(_bearer_text(b) for b in duty.bearers))
        lines.append(f"   {modality_words(duty.modality, duty.observed)} · {duty.part} · {duty.task.label}")
        lines.extend(f"   {label}: {value}" for label, value in
                     (("Vad", duty.description), ("När", duty.condition), ("Frist", duty.deadline)) if value)
        for basis in duty.legal_basis:
            law = basis.in_force or basis.cited
            text = f"   Lagrum: {law.label} <{law.url}>"
            if basis.replaced:
                text += " (ersätter " + ", ".join(p.label for p in basis.replaced) + ")"
            lines.append(text)
            if law.version_summary:
                lines.append(f"     Lydelse från {law.version_from}: {law.version_summary}")
            elif law.summary:
                lines.append(f"     {law.summary}")
            if basis.note:
                lines.append(f"     Obs: {basis.note}")
            if basis.later:
                lines.append(f"     Efter detta datum: ersätts av {basis.later.label} från {basis.later.valid_from}.")
        if duty.instrument:
            section = f", {duty.instrument_section}" if duty.instrument_section else ""
            lines.append(f"   Dokument: {duty.instrument.label} ({duty.instrument.kind}){section}")
        for source in duty.sources:
            lines.append(f"   Källa: {source.label}")
        for step in duty.escalation:
            lines.append(f"   Eskalering: {step}")
        for support in duty.support:
            lines.append(f"   Stöd för {support.field} ({readable(support.value)}): {_support_words(support)}")
        for warning in duty.warnings:
            lines.append(f"   ⚠ {warning.text}" + (f" [{warning.source.label}]" if warning.source else ""))
        lines.extend(_later_support_lines(duty.later_support, "   "))
        lines.append("")
    return "\n".join(lines + _note_lines(answer) + _finding_lines(answer) + _forum_lines(answer)
                     + _later_duty_lines(answer)).rstrip()


def _later_support_lines(supports, indent: str) -> list[str]:
    """Support known only from sources written after the date, apart and dated (asked for with --efter)."""
    if not supports:
        return []
    return [f"{indent}Känt ur källor skrivna efter datumet:"] + [
        f"{indent}  Stöd för {s.field} ({readable(s.value)}): {_support_words(s)} (känt från {s.known_from})" for s in supports]


def _note_lines(answer: Answer) -> list[str]:
    return [f"⚠ {note.text}" for note in answer.notes]


def _later_duty_lines(answer: Answer) -> list[str]:
    """Duties known only from sources written after the date: not part of the answer for it."""
    if not answer.later_duties:
        return []
    lines = ["", f"Känt ur källor skrivna efter datumet (ingår inte i svaret för {answer.date}):"]
    for duty in answer.later_duties:
        lines.append(f"  – {duty.known_first}: " + " och ".join(_bearer_text(b) for b in duty.bearers)
                     + f" · {duty.modality} · {duty.task.label}")
        lines.extend(_later_support_lines(duty.later_support, "    "))
    return lines


def _support_words(support) -> str:
    """As the staff page shows it: plain words around the source's quote, the quote as written."""
    if support.quote and support.quote in support.text:
        before, _, after = support.text.partition(support.quote)
        return f"{readable(before)}{support.quote}{readable(after)}"
    return readable(support.text)


def _finding_lines(answer: Answer) -> list[str]:
    """What audits state about the task in the municipality (issue 16, point 6)."""
    if not answer.findings:
        return []
    lines = ["", "Iakttagelser om uppgiften:"]
    for finding in answer.findings:
        where = f" [{finding.report.label}]" if finding.report else ""
        lines.append(f"  – {finding.text}{where}")
        if finding.data_warning:
            lines.append(f"    Datavarning: {finding.data_warning}")
    return lines


def _forum_lines(answer: Answer) -> list[str]:
    """The forums that handle the task here: meeting places, never bearers of a duty."""
    if not answer.forums:
        return []
    lines = ["", "Forum som behandlar frågan (ett forum bär inget ansvar; vem som ansvarar säger åtagandena):"]
    for forum in answer.forums:
        lines.append(f"  – {forum.label}" + (f" (enligt granskningen {forum.observed})" if forum.observed else ""))
        people = [("Sammankallande", forum.convenors), ("Ordförande", forum.chairs), ("Deltagare", forum.participants)]
        lines.extend(f"    {name}: " + ", ".join(r.label for r in refs) for name, refs in people if refs)
        lines.extend(f"    {label}: {value}" for label, value in
                     (("Dokument", forum.instrument.label if forum.instrument else None), ("Syfte", forum.purpose),
                      ("Möts", forum.meeting_frequency)) if value)
        lines.extend(f"    Stöd för {s.field} ({s.value}): {s.text}" for s in forum.support)
        lines.extend(f"    ⚠ {w.text}" for w in forum.warnings)
        lines.extend(_later_support_lines(forum.later_support, "    "))
        if forum.data_warning:
            lines.append(f"    Datavarning: {forum.data_warning}")
    return lines
