"""A revision falls due a duration after its last day, by the calendar the staff use: a
month after 31 January is the last of February, a year after a leap day is 28 February,
days and weeks count days. rdflib's xsd:duration arithmetic does this (duties.add_duration
uses it); these are the boundaries a hand-written calendar got wrong before."""

import datetime as dt

import pytest

from ansvarsgraf.duties import add_duration


@pytest.mark.parametrize("start, duration, due", [
    ("2024-01-31", "P1M", "2024-02-29"),   # into a leap February: its last day
    ("2023-01-31", "P1M", "2023-02-28"),   # an ordinary February
    ("2024-02-29", "P1Y", "2025-02-28"),   # a leap day a year on: the last of February
    ("2024-02-29", "P4Y", "2028-02-29"),   # the next leap year keeps the day
    ("2024-02-29", "P2Y", "2026-02-28"),
    ("2022-06-30", "P2Y", "2024-06-30"),
    ("2024-01-31", "P14D", "2024-02-14"),
    ("2024-12-25", "P14D", "2025-01-08"),  # across the year
    ("2023-08-31", "P6M", "2024-02-29"),
    ("2024-01-31", "P1M15D", "2024-03-15"),  # months first, then days
    ("2024-01-31", "P2W", "2024-02-14"),
])
def test_due_date_follows_the_calendar(start, duration, due):
    assert add_duration(dt.date.fromisoformat(start), duration) == dt.date.fromisoformat(due)


@pytest.mark.parametrize("duration", ["", "x", "P1.5Y", "PT1H", "P1DT2H", "-P1Y"])
def test_no_due_date_from_what_is_not_a_calendar_interval(duration):
    # A time of day, a fraction of a year or a negative interval gives no revision date;
    # the warning is then not given rather than given for an invented day.
    assert add_duration(dt.date(2024, 1, 31), duration) is None
