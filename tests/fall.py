"""Legal expectations written as cases in tests/data/fall/*.yaml (the fields are described in
the README there): loaded, checked for unknown fields (a misspelt field would otherwise check
nothing), asked of a store, and compared. `check` returns what does not hold, in words."""

import datetime as dt
import re
from pathlib import Path

import yaml

from ansvarsgraf.answering import answer_question, answer_task
from ansvarsgraf.catalog import catalog_for

FOLDER = Path(__file__).parent / "data" / "fall"
ID = "https://w3id.org/ansvarsgraf/id/"
LAGEN_NU = "https://lagen.nu/"

CASE_FIELDS = {"mening", "stöd", "kommun", "datum", "fråga", "uppgift", "status", "antal_åtaganden",
               "åtaganden", "inget_åtagande", "inte_lagrum", "dokument"}
DUTY_FIELDS = {"bärare", "fullgörs_av", "del", "modalitet", "lagstadgat", "dokument", "lagrum", "ersätter",
               "källa", "varningar", "eskalering", "tidsfrist", "ensam"}
CARD_FIELDS = {"id", "parter", "undertecknad", "gäller_i_kommunen", "lagrum", "inte_lagrum", "källa"}
YES_NO = {"lagstadgat", "eskalering", "ensam", "gäller_i_kommunen"}  # written ja / nej


def iri(short: str) -> str:
    """`2025:400#K19P5` is a provision on lagen.nu; anything else an id of the graph."""
    return LAGEN_NU + short if re.fullmatch(r"\d{4}:\d+#\S+", short) else ID + short


def short(full: str) -> str:
    return full.removeprefix(ID).removeprefix(LAGEN_NU)


def written_cases() -> int:
    """The cases as the files are written, counted without the YAML loader."""
    return sum(len(re.findall(r"^- mening:", path.read_text(encoding="utf-8"), re.M)) for path in FOLDER.glob("*.yaml"))


def load_cases() -> list[dict]:
    cases = []
    for path in sorted(FOLDER.glob("*.yaml")):
        with path.open(encoding="utf-8") as stream:  # a YAML error then names the file
            written = yaml.safe_load(stream) or []
        for number, case in enumerate(written, 1):
            where = f"{path.name} fall {number}"
            _known(case, CASE_FIELDS, where)
            for duty in case.get("åtaganden", []) + case.get("inget_åtagande", []):
                _known(duty, DUTY_FIELDS, where)
            for card in case.get("dokument", []):
                _known(card, CARD_FIELDS, where)
            missing = {"mening", "kommun", "datum"} - set(case)
            assert not missing and ("fråga" in case or "uppgift" in case), f"{where}: saknar {sorted(missing) or 'fråga/uppgift'}"
            cases.append({**case, "var": where})
    return cases


def _known(fields: dict, allowed: set, where: str) -> None:
    """Unknown fields are refused; ja / nej become booleans (YAML 1.1 reads neither)."""
    unknown = set(fields) - allowed
    assert not unknown, f"{where}: okända fält {sorted(unknown)} (tillåtna: {sorted(allowed)})"
    for field in YES_NO & set(fields):
        assert fields[field] in ("ja", "nej"), f"{where}: {field} ska vara ja eller nej, inte {fields[field]!r}"
        fields[field] = fields[field] == "ja"


def ask(store, case):
    date = case["datum"] if isinstance(case["datum"], dt.date) else dt.date.fromisoformat(case["datum"])
    if "fråga" in case:
        return answer_question(store, case["fråga"], case["kommun"], date)
    kommun = catalog_for(store).municipality(case["kommun"])
    return answer_task(store, iri(case["uppgift"]), kommun.iri, date)


def _provisions(bases) -> set[str]:
    return {(b.in_force or b.cited).iri for b in bases}


def _duty_misses(duty, want: dict) -> list[str]:
    """The fields of `want` that `duty` does not meet."""
    bases = duty.legal_basis
    found = {
        "bärare": [short(b.actor.iri) for b in duty.bearers],
        "fullgörs_av": [short(r.iri) for b in duty.bearers for r in b.fulfilled_by],
        "del": duty.part, "modalitet": duty.modality, "lagstadgat": duty.instrument is None,
        "dokument": duty.instrument and short(duty.instrument.iri),
        "lagrum": {short(p) for p in _provisions(bases)},
        "ersätter": {short(p.iri) for b in bases for p in b.replaced},
        "källa": {short(s.iri) for s in duty.sources}, "varningar": {w.kind for w in duty.warnings},
        "eskalering": bool(duty.escalation), "tidsfrist": duty.deadline or "",
    }
    misses = []
    for field, expected in want.items():
        if field == "ensam":
            continue
        if field in ("lagrum", "ersätter", "källa", "varningar"):
            ok = set(expected) <= found[field]
        elif field == "tidsfrist":
            ok = expected in found[field]
        else:
            ok = found[field] == expected
        if not ok:
            misses.append(f"{field}: {found[field]!r}, väntat {expected!r}")
    if "lagrum" in want:
        misses += [f"lagrum {short(b.in_force.iri)} länkar till {b.in_force.url}" for b in bases
                   if b.in_force and not b.in_force.url.startswith(LAGEN_NU)]
    return misses


def _card_misses(card, want: dict) -> list[str]:
    found = {"parter": {short(p.iri) for p in card.parties}, "undertecknad": card.signed,
             "gäller_i_kommunen": card.applies_in_municipality,
             "lagrum": {short(p) for p in _provisions(card.legal_basis)}, "källa": {short(s.iri) for s in card.sources}}
    misses = []
    for field, expected in want.items():
        if field == "id":
            continue
        if field == "parter":
            ok = found[field] == set(expected)
        elif field in ("lagrum", "källa"):
            ok = set(expected) <= found[field]
        elif field == "inte_lagrum":
            ok = not set(expected) & found["lagrum"]
        else:
            ok = found[field] == (expected.isoformat() if isinstance(expected, dt.date) else expected)
        if not ok:
            misses.append(f"{field}: {found.get(field, found['lagrum'])!r}, väntat {expected!r}")
    return misses


def check(store, case) -> list[str]:
    """What the answer does not meet, each as a line; empty when the case holds."""
    answer = ask(store, case)
    misses = []
    if "status" in case and answer.status != case["status"]:
        misses.append(f"status {answer.status!r}, väntat {case['status']!r}")
    if "fråga" in case and "uppgift" in case:
        first = short(answer.tasks[0]["iri"]) if answer.tasks else None
        if first != case["uppgift"]:
            misses.append(f"frågan når {first!r}, väntat {case['uppgift']!r}")
    if "antal_åtaganden" in case and len(answer.duties) != case["antal_åtaganden"]:
        misses.append(f"{len(answer.duties)} åtaganden, väntat {case['antal_åtaganden']}")
    for want in case.get("åtaganden", []):
        closest = min((_duty_misses(d, want) for d in answer.duties), key=len, default=["inga åtaganden i svaret"])
        if closest:
            misses.append(f"inget åtagande {want}; närmast: {'; '.join(closest)}")
        elif want.get("ensam"):
            others = [d.iri for d in answer.duties if d.part == want["del"] and _duty_misses(d, want)]
            misses += [f"{short(o)} har också delen {want['del']!r}" for o in others]
    for unwanted in case.get("inget_åtagande", []):
        misses += [f"{short(d.iri)} stämmer med {unwanted}" for d in answer.duties if not _duty_misses(d, unwanted)]
    cited = {short(p) for d in answer.duties for p in _provisions(d.legal_basis)}
    misses += [f"{p} anförs" for p in case.get("inte_lagrum", []) if p in cited]
    cards = {short(c.iri): c for c in answer.instruments}
    for want in case.get("dokument", []):
        card = cards.get(want["id"])
        misses += [f"inget dokumentkort {want['id']} (bara {sorted(cards)})"] if card is None else \
            [f"{want['id']}: {m}" for m in _card_misses(card, want)]
    return misses
