"""Money and rates as exact decimals.

Money is ``Decimal`` quantized to cents with ROUND_HALF_UP, as Excel's ROUND does (2.675 -> 2.68,
-2.675 -> -2.68). Rates are never rounded. Parsing of typed text ("$1,200.00", "(45.10)", "1.5%")
lives here; formatting for letters lives with the letters, because it needs the locale's rules.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel import Locale, UnknownLocaleError
from babel.numbers import NumberFormatError, get_currency_symbol, get_group_symbol, parse_decimal

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def cents(value: Decimal | int | str) -> Decimal:
    """Round to whole cents, half away from zero."""
    if not isinstance(value, Decimal):
        value = Decimal(value)
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def decimal_from_float(value: float) -> Decimal:
    """The decimal a person typed, not the binary float Excel stored: 0.1 -> Decimal('0.1')."""
    return Decimal(repr(value))


def fmt_plain(amount: Decimal) -> str:
    """``1234.5`` -> ``'1,234.50'``: locale-free, for messages and the Applied To column."""
    return f"{amount:,.2f}"


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
        suggestions = getattr(exc, "suggestions", None)
        if suggestions:
            raise ValueError(
                "could be read more than one way (" + " or ".join(repr(s) for s in suggestions) + ")"
            ) from None
        raise ValueError("is not an amount") from None
    return cents(-value if negative else value)


def parse_rate(value: object) -> Decimal:
    """A rate as a fraction: ``'5%'`` -> 0.05, ``0.015`` -> 0.015, ``'1.5 %'`` -> 0.015.

    A number above 1 is refused rather than guessed at: 1.5 could mean 1.5% or 150%.
    """
    if isinstance(value, Decimal):
        rate = value
    elif isinstance(value, bool):
        raise ValueError("is not a rate")
    elif isinstance(value, int):
        rate = Decimal(value)
    elif isinstance(value, float):
        rate = decimal_from_float(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", ".")
        percent = text.endswith("%")
        if percent:
            text = text[:-1].strip()
        try:
            rate = Decimal(text)
        except InvalidOperation:
            raise ValueError("is not a rate; type it like 5% or 1.5%") from None
        if not rate.is_finite():
            raise ValueError("is not a rate; type it like 5% or 1.5%")
        if percent:
            return rate / HUNDRED
    else:
        raise ValueError("is not a rate; type it like 5% or 1.5%")
    if not rate.is_finite():
        raise ValueError("is not a rate; type it like 5% or 1.5%")
    if rate > 1:
        raise ValueError(f"would mean {rate * HUNDRED:f}%; type it with a percent sign, like {rate:f}%")
    return rate
