from datetime import date

import pytest

from arsheets.core.calendar import (add_business_days, add_days, days_in_month, edate,
                                    is_business_day, roll_forward)
from factories import d


@pytest.mark.parametrize("start, months, expected", [
    ("2024-01-31", 1, "2024-02-29"),  # leap February
    ("2024-01-31", 2, "2024-03-31"),  # from the anchor, not from 29 Feb
    ("2023-01-31", 1, "2023-02-28"),
    ("2024-02-29", 12, "2025-02-28"),
    ("2024-03-31", -1, "2024-02-29"),
    ("2024-11-15", 3, "2025-02-15"),  # across the year end
    ("2024-01-15", -13, "2022-12-15"),
    ("2024-05-31", 0, "2024-05-31"),
    ("2024-08-31", 1, "2024-09-30"),
])
def test_edate_clamps_to_month_end(start, months, expected):
    assert edate(d(start), months) == d(expected)


def test_stepping_from_the_previous_result_drifts_which_is_why_edate_takes_an_anchor():
    jan31 = d("2024-01-31")
    assert edate(edate(jan31, 1), 1) == d("2024-03-29")
    assert [edate(jan31, k) for k in range(4)] == [
        d("2024-01-31"), d("2024-02-29"), d("2024-03-31"), d("2024-04-30")]


@pytest.mark.parametrize("year, month, days", [
    (2024, 2, 29), (2023, 2, 28), (1900, 2, 28), (2000, 2, 29), (2024, 4, 30), (2024, 12, 31),
])
def test_days_in_month(year, month, days):
    assert days_in_month(year, month) == days


def test_add_days_crosses_the_leap_day():
    assert add_days(d("2024-02-28"), 1) == d("2024-02-29")
    assert add_days(d("2024-03-01"), -1) == d("2024-02-29")
    assert add_days(d("2023-02-28"), 1) == d("2023-03-01")


def test_business_days_are_weekdays_that_are_not_holidays():
    assert is_business_day(d("2024-03-01"))  # Friday
    assert not is_business_day(d("2024-03-02"))  # Saturday
    assert not is_business_day(d("2024-03-03"))  # Sunday
    assert not is_business_day(d("2024-12-25"), {d("2024-12-25")})


def test_roll_forward():
    assert roll_forward(d("2024-03-04")) == d("2024-03-04")  # a Monday stays
    assert roll_forward(d("2024-03-02")) == d("2024-03-04")  # Saturday -> Monday
    assert roll_forward(d("2024-03-02"), {d("2024-03-04")}) == d("2024-03-05")
    assert roll_forward(d("2024-12-25"), {d("2024-12-25")}) == d("2024-12-26")


@pytest.mark.parametrize("start, n, holidays, expected", [
    ("2024-03-01", 1, (), "2024-03-04"),  # Friday + 1 -> Monday
    ("2024-03-06", 10, (), "2024-03-20"),  # two working weeks
    ("2024-03-06", 10, ("2024-03-11",), "2024-03-21"),
    ("2024-03-02", 1, (), "2024-03-04"),  # from a Saturday
    ("2024-03-02", 0, (), "2024-03-02"),  # WORKDAY(start, 0) is start itself
    ("2024-03-04", -1, (), "2024-03-01"),
    ("2024-12-24", 1, ("2024-12-25",), "2024-12-26"),
    ("2024-02-28", 2, (), "2024-03-01"),  # Wed + 2 over the leap day
])
def test_add_business_days_matches_workday(start, n, holidays, expected):
    assert add_business_days(d(start), n, frozenset(map(d, holidays))) == d(expected)


def test_holidays_can_be_any_container():
    assert add_business_days(date(2024, 7, 3), 1, [date(2024, 7, 4)]) == date(2024, 7, 5)
