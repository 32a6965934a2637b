"""Date arithmetic the way Excel does it: EDATE month steps and WORKDAY business days.

Holidays are passed in as any container of dates; which country's calendar applies is decided by
the caller, so this module needs no holiday library.
"""

from __future__ import annotations

from collections.abc import Container
from datetime import date, timedelta

_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in_month(year: int, month: int) -> int:
    return 29 if month == 2 and is_leap(year) else _MONTH_DAYS[month - 1]


def edate(start: date, months: int) -> date:
    """Excel EDATE: ``months`` whole months from ``start``, the day clamped to the month's end.

    Always step from a fixed anchor (EDATE(anchor, k)), never from the previous result: 31 Jan ->
    29 Feb 2024 -> 31 Mar, whereas stepping from 29 Feb would drift to 29 Mar.
    """
    years, month0 = divmod(start.month - 1 + months, 12)
    year, month = start.year + years, month0 + 1
    return date(year, month, min(start.day, days_in_month(year, month)))


def add_days(start: date, days: int) -> date:
    return start + timedelta(days=days)


def is_business_day(day: date, holidays: Container[date] = ()) -> bool:
    """Monday to Friday, and not a holiday."""
    return day.weekday() < 5 and day not in holidays


def roll_forward(day: date, holidays: Container[date] = ()) -> date:
    """``day`` itself when it is a business day, else the next business day."""
    while not is_business_day(day, holidays):
        day += timedelta(days=1)
    return day


def add_business_days(start: date, n: int, holidays: Container[date] = ()) -> date:
    """Excel WORKDAY: the date ``n`` business days after ``start`` (before it when ``n`` < 0).

    ``start`` itself is never counted, so the result of a non-zero ``n`` is always a business day;
    ``n`` = 0 returns ``start`` unchanged, as WORKDAY does.
    """
    step = timedelta(days=1 if n >= 0 else -1)
    day, left = start, abs(n)
    while left:
        day += step
        if is_business_day(day, holidays):
            left -= 1
    return day
