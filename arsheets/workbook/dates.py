"""Dates a bookkeeper typed as text: ``2024-03-15``, ``3/15/2024``, ``15 Mar 2024``, ``March 15, 2024``.

Accepted, with or without a time of day after them:

- ISO order, year first: ``2024-03-15``, ``2024/3/15``, ``2024.03.15``, ``2024-03-15T10:30:00Z``;
- the numeric order of the workbook's locale (Settings' Locale): ``3/15/2024`` in en_US,
  ``15/03/2024`` in en_GB, ``15.03.2024`` in de_DE; two-digit years as Excel reads them (00-29 are
  2000-2029, 30-99 are 1930-1999);
- a month name, English or the locale's own, full or abbreviated: ``15 Mar 2024``, ``15-Mar-24``,
  ``March 15, 2024``, ``Mar 15 2024``, ``2024 Mar 15``, ``15. März 2024``, ``15 mars 2024``, with an
  optional weekday in front (``Fri, 15 Mar 2024``) and English ordinals (``15th``).

Anything else, and impossible dates such as ``31/02/2024``, raise :class:`NotADate`, whose ``hint``
says how to type the date.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from babel import Locale, UnknownLocaleError

EXAMPLE = "2024-03-31"


class NotADate(ValueError):
    """``str(exc)`` is the reason (``'abc' is not a date``); ``hint`` how to fix it."""

    def __init__(self, message: str, hint: str = f"type it as {EXAMPLE}"):
        super().__init__(message)
        self.hint = hint


_TIME = re.compile(
    r"(?:[T ]|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*([AaPp]\.?\s?[Mm]\.?)?"
    r"\s*(?:Z|[+-]\d{2}:?\d{2})?$")
_ISO = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})\.?")
_NUMERIC = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})\.?")
_TOKEN = re.compile(r"[^\W\d_]+\.?|\d+(?:st|nd|rd|th)?\.?", re.IGNORECASE)
_JUNK = re.compile(r"[\s,/.\-]+")
_ORDINAL = re.compile(r"(\d+)(?:st|nd|rd|th)$", re.IGNORECASE)

_EN_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
              "september", "october", "november", "december")
_EN_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _locale(locale: str) -> Locale:
    try:
        return Locale.parse(locale.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return Locale.parse("en_US")


@lru_cache(maxsize=64)
def date_order(locale: str) -> str:
    """The order of a locale's numeric dates: ``'MDY'`` (en_US), ``'DMY'`` (en_GB) or ``'YMD'``."""
    pattern = _locale(locale).date_formats["short"].pattern
    pattern = re.sub(r"'[^']*'", "", pattern)
    pos = {k: pattern.find(k) for k in "yMd"}
    if min(pos.values()) < 0:
        return "MDY"
    order = "".join(k for k, _ in sorted(pos.items(), key=lambda kv: kv[1]))
    return order.upper()


def order_words(order: str) -> str:
    return "/".join({"D": "day", "M": "month", "Y": "year"}[c] for c in order)


@lru_cache(maxsize=64)
def _names(locale: str) -> tuple[dict[str, int], frozenset[str]]:
    """Month names (folded, without dots) -> month, and weekday names, English and the locale's."""
    months: dict[str, int] = {}
    for i, name in enumerate(_EN_MONTHS, 1):
        months[name] = i
        months[name[:3]] = i
    months["sept"] = 9
    days = set()
    for name in _EN_DAYS:
        days.add(name)
        days.add(name[:3])
    loc = _locale(locale)
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            try:
                names = loc.months[context][width]
            except KeyError:
                continue
            for i, name in names.items():
                key = name.casefold().rstrip(".")
                if key.isalpha():
                    months[key] = i
            try:
                wnames = loc.days[context][width]
            except KeyError:
                continue
            for name in wnames.values():
                key = name.casefold().rstrip(".")
                if key.isalpha():
                    days.add(key)
    return months, frozenset(days)


def two_digit_year(yy: int) -> int:
    """Excel's rule: 00-29 -> 2000-2029, 30-99 -> 1930-1999."""
    return 2000 + yy if yy < 30 else 1900 + yy


def _make(y: int, m: int, d: int) -> date | None:
    if not 1900 <= y <= 9999:
        return None
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _shown(text: str) -> str:
    text = text if len(text) <= 40 else text[:39] + "…"
    return f"'{text}'"


@lru_cache(maxsize=65536)
def parse_date_text(text: str, locale: str = "en_US") -> date:
    """A typed date -> ``date``; raises :class:`NotADate` with a reason and a hint."""
    raw = text.strip()
    if not raw:
        raise NotADate("is blank")
    body = raw
    tm = _TIME.search(body)
    if tm and tm.start() > 0:
        hour, minute = int(tm.group(1)), int(tm.group(2))
        second = int(tm.group(3) or 0)
        ampm = tm.group(4)
        bad_hour = (not 1 <= hour <= 12) if ampm else hour > 23
        if bad_hour or minute > 59 or second > 59:
            raise NotADate(f"{_shown(raw)} is not a date")
        body = body[:tm.start()].strip()

    m = _ISO.fullmatch(body)
    if m:
        found = _make(int(m.group(1)), int(m.group(3)), int(m.group(4)))
        if found is None:
            raise NotADate(f"{_shown(raw)} is not a date")
        return found

    order = date_order(locale)
    m = _NUMERIC.fullmatch(body)
    if m:
        a, b, yy = int(m.group(1)), int(m.group(3)), m.group(4)
        year = int(yy) if len(yy) == 4 else two_digit_year(int(yy))
        if order == "YMD":
            raise NotADate(f"{_shown(raw)} is not a date: {locale} dates are year/month/day",
                           f"type it as {EXAMPLE}")
        month, day = (a, b) if order == "MDY" else (b, a)
        found = _make(year, month, day)
        if found is not None:
            return found
        swapped = _make(year, day, month)
        if swapped is not None:
            raise NotADate(
                f"{_shown(raw)} is not a date: {locale} dates are {order_words(order)}",
                f"type it as {swapped.isoformat()}, or set Locale in Settings")
        raise NotADate(f"{_shown(raw)} is not a date")

    found = _with_month_name(body, locale)
    if found is not None:
        return found
    raise NotADate(f"{_shown(raw)} is not a date")


def _with_month_name(body: str, locale: str) -> date | None:
    months, weekdays = _names(locale)
    tokens = _TOKEN.findall(body)
    if not tokens or _JUNK.sub("", _TOKEN.sub("", body)):
        return None  # characters that are neither words, numbers nor separators
    words: list[tuple[int, int]] = []  # (position, month)
    numbers: list[tuple[int, str]] = []
    for pos, tok in enumerate(tokens):
        tok = tok.rstrip(".")
        if tok[0].isdigit():
            od = _ORDINAL.match(tok)
            numbers.append((pos, od.group(1) if od else tok))
            continue
        key = tok.casefold()
        if key in months:
            words.append((pos, months[key]))
        elif key in weekdays and pos == 0:
            continue
        else:
            return None
    if len(words) != 1 or len(numbers) != 2:
        return None
    mpos, month = words[0]
    (p1, n1), (p2, n2) = numbers
    if len(n1) == 4 and p1 < mpos:  # 2024 Mar 15
        year, day_text = int(n1), n2
    elif len(n2) in (2, 4) and p2 > mpos:  # 15 Mar 2024, Mar 15 2024, 15-Mar-24
        year = int(n2) if len(n2) == 4 else two_digit_year(int(n2))
        day_text = n1
    else:
        return None
    if len(day_text) > 2:
        return None
    return _make(year, month, int(day_text))
