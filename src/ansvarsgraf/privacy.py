"""Keep personal data out: text with a personnummer or samordningsnummer is refused.

Staff may paste a child's identity number into a question, a search field or an address.
Such input is never processed, stored, logged or echoed; the user is asked to remove the
number. Two ways to recognise one:

- written the way identity numbers are written — YYMMDD-NNNN, YYMMDD+NNNN, with a space,
  or twelve digits from century 18, 19 or 20 — a possible birth date (or coordination
  day, day + 60) is enough, also when the check digit is wrong: a mistyped number is still
  personal data;
- a bare run of ten digits is also how phone numbers, case numbers and timestamps are
  written, so there the check digit decides (the personnummer library's own check: the
  Luhn digit and a real calendar date).
"""

import re

from personnummer import personnummer

IDENTITY_NUMBER = re.compile(r"(?<!\d)(\d{2})?(\d{2})(\d{2})(\d{2})(\s?[-+]\s?|\s)?(\d{4})(?!\d)")


class PersonalDataError(ValueError):
    """The text contains what looks like a personnummer or samordningsnummer."""

    message_sv = (
        "Frågan innehåller något som ser ut som ett personnummer eller samordningsnummer. "
        "Ta bort det och fråga igen – tjänsten behöver aldrig veta vem frågan gäller."
    )

    def __init__(self):
        super().__init__(self.message_sv)


def contains_identity_number(text: str) -> bool:
    return any(_is_identity_number(match) for match in IDENTITY_NUMBER.finditer(text))


def _is_identity_number(match: re.Match) -> bool:
    century, _year, month, day, separator, _tail = match.groups()
    written_as_identity_number = bool(separator) or century in ("18", "19", "20")
    if written_as_identity_number and _possible_date(int(month), int(day)):
        return True
    compact = re.sub(r"\s", "", match.group(0))
    return personnummer.valid(compact)


def _possible_date(month: int, day: int) -> bool:
    # Coordination numbers add 60 to the day. Any day up to 31 is taken as possible: without
    # a correct check digit the year (and so 29 February) is not known for certain.
    return 1 <= month <= 12 and (1 <= day <= 31 or 61 <= day <= 91)


def refuse_identity_numbers(text: str) -> None:
    if contains_identity_number(text):
        raise PersonalDataError()
