"""Dates as the sources give them: a day, a month or a year (issue 16, point 4).

The loader stores a date under the property of its precision (ag:validFrom xsd:date,
ag:validFromMonth xsd:gYearMonth, ag:validFromYear xsd:gYear; ontology: ag:precisionOf).
Every conclusion drawn from a date reads it here: a month or a year is never turned into
an invented day, it stands for the whole of it. "In force from" counts from its first
day (as a year alone always has), "until", "due" and "overdue after" to its last day:
a plan valid to 2023 applies on 2023-12-31, a revision last made in 2022-01 with a yearly
interval is overdue from 2023-02-01, not from some day in January.
"""

import calendar
import datetime as dt
import re

def in_period(valid_from: dt.date | None, valid_until: dt.date | None, on_date: dt.date) -> bool:
    return (valid_from is None or valid_from <= on_date) and (valid_until is None or valid_until >= on_date)


def valid_between(start, end, on_date: dt.date) -> bool:
    """In force on the day, for a start and an end of any precision (a day, a month or a
    year, as the source gives it): a month or a year counts as the whole of it."""
    return in_period(period_start(start), period_end(end), on_date)


def as_date(value) -> dt.date | None:
    return dt.date.fromisoformat(str(value)) if value is not None else None


# xsd:date, xsd:gYearMonth or xsd:gYear, with an optional time zone (which a day-level
# conclusion ignores, as it always has for years).
_PRECISE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?:T[\d:.]+)?(?:Z|[+-]\d{2}:\d{2})?$")


def period_start(value) -> dt.date | None:
    """The first day a date of any precision can mean: 2021 → 2021-01-01, 2021-10 →
    2021-10-01, a day itself. For 'not before': no day is invented, the earliest is used."""
    parts = _precise(value)
    if parts is None:
        return None
    year, month, day = parts
    return dt.date(year, month or 1, day or 1)


def period_end(value) -> dt.date | None:
    """The last day a date of any precision can mean: 2021 → 2021-12-31, 2023-01 →
    2023-01-31. For 'until' and 'overdue after': the whole year or month counts."""
    parts = _precise(value)
    if parts is None:
        return None
    year, month, day = parts
    if day:
        return dt.date(year, month, day)
    if month:
        return dt.date(year, month, calendar.monthrange(year, month)[1])
    return dt.date(year, 12, 31)


def _precise(value) -> tuple[int, int | None, int | None] | None:
    if value is None:
        return None
    match = _PRECISE.match(str(value).strip())
    if match is None:
        raise ValueError(f"inget datum, ingen månad och inget år: '{value}'")
    year, month, day = match.groups()
    return int(year), int(month) if month else None, int(day) if day else None
