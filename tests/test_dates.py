"""Dates of each precision (dates.py) as staff rely on them, without the data: a year or a
month given alone stands for the whole of it, both ends of a period are days in force, and
a date the project cannot read is refused naming the value, never guessed.

The fixture-based tests in test_date_precision.py show the same rules through the answer
engine; these pin each boundary of the rules themselves."""

import datetime as dt

import pytest

from ansvarsgraf.dates import as_date, in_period, period_end, period_start, valid_between

D = dt.date


@pytest.mark.parametrize("on_date,in_force", [
    (D(2022, 12, 31), False),  # the day before the year
    (D(2023, 1, 1), True),     # a year counts from 1 January
    (D(2023, 12, 31), True),   # an agreement valid to 2023 (year only) still applies on New Year's Eve
    (D(2024, 1, 1), False),    # and not on the next day
])
def test_an_agreement_valid_for_a_year_given_alone_applies_the_whole_year(on_date, in_force):
    assert valid_between("2023", "2023", on_date) is in_force


@pytest.mark.parametrize("on_date,in_force", [
    (D(2021, 9, 30), False),
    (D(2021, 10, 1), True),    # a month counts from its first day
    (D(2022, 6, 30), True),    # to its last day
    (D(2022, 7, 1), False),
])
def test_a_routine_valid_from_a_month_to_a_month_applies_on_both_boundary_days(on_date, in_force):
    assert valid_between("2021-10", "2022-06", on_date) is in_force


@pytest.mark.parametrize("on_date,in_force", [
    (D(2025, 6, 30), False),
    (D(2025, 7, 1), True),     # a day in force from is in force that day (the SoL changeover)
    (D(2025, 12, 31), True),   # and a day in force until is in force that day
    (D(2026, 1, 1), False),
])
def test_a_period_given_to_the_day_includes_its_first_and_last_day(on_date, in_force):
    assert valid_between("2025-07-01", "2025-12-31", on_date) is in_force
    assert valid_between(dt.date(2025, 7, 1), dt.date(2025, 12, 31), on_date) is in_force
    assert in_period(D(2025, 7, 1), D(2025, 12, 31), on_date) is in_force


def test_an_open_end_or_start_is_no_limit():
    assert valid_between(None, None, D(1900, 1, 1))
    assert valid_between("2025-07-01", None, D(2099, 12, 31)) and not valid_between("2025-07-01", None, D(2025, 6, 30))
    assert valid_between(None, "2025-06-30", D(1900, 1, 1)) and not valid_between(None, "2025-06-30", D(2025, 7, 1))
    assert in_period(None, None, D(2000, 1, 1))
    assert in_period(None, D(2000, 1, 1), D(2000, 1, 1)) and not in_period(None, D(2000, 1, 1), D(2000, 1, 2))
    assert in_period(D(2000, 1, 1), None, D(2000, 1, 1)) and not in_period(D(2000, 1, 1), None, D(1999, 12, 31))


@pytest.mark.parametrize("value,first,last", [
    ("2021", D(2021, 1, 1), D(2021, 12, 31)),
    ("2023-01", D(2023, 1, 1), D(2023, 1, 31)),
    ("2023-02", D(2023, 2, 1), D(2023, 2, 28)),
    ("2024-02", D(2024, 2, 1), D(2024, 2, 29)),   # a leap year's February
    ("2023-04", D(2023, 4, 1), D(2023, 4, 30)),
    ("2023-12", D(2023, 12, 1), D(2023, 12, 31)),
    ("2021-10-13", D(2021, 10, 13), D(2021, 10, 13)),
    # As rdflib gives typed literals, with a time zone or a time (a day-level conclusion
    # ignores them) and with the whitespace a YAML value may carry.
    ("2021Z", D(2021, 1, 1), D(2021, 12, 31)),
    ("2021-10+02:00", D(2021, 10, 1), D(2021, 10, 31)),
    ("2021-10-13-05:00", D(2021, 10, 13), D(2021, 10, 13)),
    ("2021-10-13T12:30:00Z", D(2021, 10, 13), D(2021, 10, 13)),
    (" 2021-10 ", D(2021, 10, 1), D(2021, 10, 31)),
])
def test_the_first_and_last_day_a_date_of_each_precision_stands_for(value, first, last):
    assert period_start(value) == first
    assert period_end(value) == last


def test_a_date_object_is_its_own_first_and_last_day():
    assert period_start(D(2021, 10, 13)) == period_end(D(2021, 10, 13)) == D(2021, 10, 13)


def test_no_date_gives_no_limit():
    assert period_start(None) is None and period_end(None) is None and as_date(None) is None


@pytest.mark.parametrize("value", ["hösten 2021", "21", "2021-1", "2021-10-1", "x2021", "2021-10-13x", "2021/10"])
def test_a_date_that_cannot_be_read_is_refused_naming_the_value(value):
    for read in (period_start, period_end):
        with pytest.raises(ValueError) as refused:
            read(value)
        assert str(refused.value) == f"inget datum, ingen månad och inget år: '{value}'"


def test_a_day_is_read_as_that_day():
    assert as_date("2025-07-01") == D(2025, 7, 1)
    assert as_date(D(2025, 7, 1)) == D(2025, 7, 1)
