"""The normalised cell values every sheet source produces (the file scanner and, later, live Excel).

A cell is one of: ``str`` (never empty: an empty string is ``None``), ``Decimal`` (exact, from the
stored text, never through float), ``datetime.date`` (a date-formatted number), ``bool``, ``None``
(blank), :class:`CellError` (``#N/A``, ``#DIV/0!``, ...) or :data:`NO_VALUE` (a formula whose result
was never saved, as in a file written by a program that cannot calculate).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final, Union


@dataclass(frozen=True, slots=True)
class CellError:
    """An Excel error value, e.g. ``CellError("#N/A")``."""

    code: str

    def __str__(self) -> str:
        return self.code


class _NoValue:
    """A formula with no saved result. Falsy; one instance, :data:`NO_VALUE`."""

    __slots__ = ()
    _instance: _NoValue | None = None

    def __new__(cls) -> _NoValue:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_VALUE"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self):
        return (_NoValue, ())


NO_VALUE: Final = _NoValue()

Value = Union[str, Decimal, date, bool, None, CellError, _NoValue]
