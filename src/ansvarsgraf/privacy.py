"""Keep personal data out: a question with a personnummer or samordningsnummer is refused.

Staff may paste a child's identity number into a question. Such a question is never
processed, stored or logged; the user is asked to remove the number. A number is refused
when it has the shape of a Swedish identity number (with or without century, dash or plus)
and a possible birth date (or coordination day, day + 60) — also when its check digit is
wrong, since a mistyped number is still personal data.
"""

import re

import personnummer

IDENTITY_NUMBER = re.compile(r"(?<!\d)(\d{2})?(\d{2})(\d{2})(\d{2})\s?([-+]?)\s?(\d{4})(?!\d)")


class PersonalDataError(ValueError):
    """The text contains what looks like a personnummer or samordningsnummer."""

    message_sv = (
        "Frågan innehåller något som ser ut som ett personnummer eller samordningsnummer. "
        "Ta bort det och fråga igen – tjänsten behöver aldrig veta vem frågan gäller."
    )

    def __init__(self):
        super().__init__(self.message_sv)


def contains_identity_number(text: str) -> bool:
    for match in IDENTITY_NUMBER.finditer(text):
        _century, _year, month, day, _sep, _tail = match.groups()
        day_number = int(day)
        if 1 <= int(month) <= 12 and (1 <= day_number <= 31 or 61 <= day_number <= 91):
            return True
        if personnummer.valid(match.group(0).replace(" ", "")):
            return True
    return False


def refuse_identity_numbers(text: str) -> None:
    if contains_identity_number(text):
        raise PersonalDataError()
