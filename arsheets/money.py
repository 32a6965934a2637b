"""Money and rates as exact decimals.

Money is ``Decimal`` quantized to cents with ROUND_HALF_UP, as Excel's ROUND does (2.675 -> 2.68,
-2.675 -> -2.68). Rates are never rounded. Rates typed as text ("1.5%") are parsed here; money typed
as text ("$1,200.00") is parsed by the reader (``workbook/amounts.py``), which knows the locale.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation


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
