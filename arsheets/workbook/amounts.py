"""Money a bookkeeper typed as text: "$1,200.00", "(45.10)", "1.234,56 €".

The locale decides which separator is which (babel knows every locale's symbols); anything that
could be read two ways is refused with the readings, never guessed.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from babel import Locale, UnknownLocaleError
from babel.numbers import (NumberFormatError, get_currency_symbol, get_decimal_symbol,
                           get_group_symbol, parse_decimal)

from ..money import cents

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_ISO_CODE = re.compile(r"\b[A-Z]{3}\b")


def _locale(locale: str) -> Locale:
    try:
        return Locale.parse(locale)
    except (ValueError, UnknownLocaleError):
        return Locale.parse("en_US")


def parse_money(text: str, *, locale: str = "en_US", currency: str = "USD") -> Decimal:
    """Parse money a bookkeeper typed as text, rounded to cents.

    Accepts the workbook currency's symbol or code, the locale's thousands separators, a leading or
    trailing minus and accounting parentheses. Raises ``ValueError`` with a reason a bookkeeper can act
    on when the text is not an amount, is in another currency, or could be read two ways.
    """
    raw = text.strip()
    if not raw:
        raise ValueError("is blank")
    loc = _locale(locale)
    body = raw
    negative = False
    if body.startswith("(") and body.endswith(")"):
        negative, body = True, body[1:-1].strip()
    for sign in ("-", "\u2212"):
        if body.startswith(sign):
            negative, body = not negative, body[1:].strip()
        elif body.endswith(sign):
            negative, body = not negative, body[:-1].strip()
    symbols = {currency, get_currency_symbol(currency, loc), get_currency_symbol(currency, "en_US")}
    for symbol in sorted(symbols, key=len, reverse=True):
        if symbol and symbol in body:
            body = body.replace(symbol, "", 1).strip()
            break
    other = _ISO_CODE.search(body)
    if other or re.search(r"[$€£¥₹₩₽₪]", body):
        found = other.group(0) if other else re.search(r"[$€£¥₹₩₽₪]", body).group(0)
        raise ValueError(f"is in {found}, not the workbook currency {currency}")
    if body.startswith("-"):  # "$-12.00"
        negative, body = not negative, body[1:].strip()
    group = get_group_symbol(loc)
    if group.isspace() or group in "\u00a0\u202f":
        body = _SPACES.sub(group, body)
    else:
        body = _SPACES.sub("", body)
    if not body or not re.fullmatch(r"[0-9.,'’\u00a0\u202f]+", body):
        raise ValueError("is not an amount")
    try:
        value = parse_decimal(body, locale=loc, strict=True)
    except (NumberFormatError, InvalidOperation) as exc:
        readings = list(dict.fromkeys(getattr(exc, "suggestions", None) or ()))
        if len(readings) > 1:
            raise ValueError("could be read more than one way ("
                             + " or ".join(repr(r) for r in readings) + ")") from None
        if readings:
            raise ValueError(f"is not an amount (did you mean {readings[0]!r}?)") from None
        raise ValueError("is not an amount") from None
    decimal_sep = get_decimal_symbol(loc)
    whole, sep, fraction = body.rpartition(decimal_sep)
    looks_grouped = whole.isdigit() and len(whole) <= 3 and not whole.startswith("0")
    if sep and len(fraction) == 3 and fraction.isdigit() and looks_grouped:
        # "1,234" under a comma-decimal locale is far likelier someone's thousands separator
        # than a fraction of a cent: ask rather than round it to 1.23.
        raise ValueError(f"could be read more than one way ('{whole}.{fraction}' or "
                         f"'{whole}{fraction}')")
    return cents(-value if negative else value)
