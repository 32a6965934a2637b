"""Problems as values, each carrying where it was found.

A problem names a cell (``Invoices!D17``), a row, a sheet or the whole file, says what is wrong and,
where it helps, how to fix it. Row problems are collected and written to the Problems columns;
structural problems are raised as :class:`ArsheetsError` and stop the run before anything is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def column_letter(col: int) -> str:
    """1 -> 'A', 27 -> 'AA' (Excel's bijective base 26)."""
    if col < 1:
        raise ValueError(f"column {col} is not a spreadsheet column")
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = _LETTERS[rem] + letters
    return letters


def column_index(letters: str) -> int:
    """'A' -> 1, 'AA' -> 27."""
    col = 0
    for ch in letters:
        col = col * 26 + (ord(ch) - 64)
    return col


_PLAIN_SHEET = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def sheet_prefix(sheet: str) -> str:
    """How Excel writes a sheet in a reference: ``Invoices`` or ``'My Sheet'``."""
    if _PLAIN_SHEET.match(sheet):
        return sheet
    return "'" + sheet.replace("'", "''") + "'"


@dataclass(frozen=True, slots=True)
class Where:
    """A place in the workbook: a cell, a row, a sheet, or the file itself.

    ``field`` names a contract column (``"Invoice"``) when the code that found the problem knows the
    column only by meaning; :meth:`with_column` fills in the letter once the sheet's headers are known.
    """

    sheet: str | None = None
    row: int | None = None
    column: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        if self.sheet is None:
            return "workbook"
        text = sheet_prefix(self.sheet)
        if self.row is None and self.column is None:
            return text
        col = column_letter(self.column) if self.column else ""
        row = str(self.row) if self.row else ""
        if col and not row:
            return f"{text}!{col}:{col}"
        if row and not col:
            return f"{text}!{row}:{row}"
        return f"{text}!{col}{row}"

    def with_column(self, column: int | None) -> Where:
        return Where(self.sheet, self.row, column, self.field)


def cell(sheet: str, row: int, column: int) -> Where:
    return Where(sheet, row, column)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong, where it is, and how to fix it.

    ``str(problem)`` reads ``Invoices!D17: 'abc' is not a date`` and, with a hint,
    ``... (type it as 2024-03-31)``.
    """

    where: Where
    message: str
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text

    def as_dict(self) -> dict[str, object]:
        return {
            "where": str(self.where),
            "sheet": self.where.sheet,
            "row": self.where.row,
            "column": column_letter(self.where.column) if self.where.column else None,
            "message": self.message,
            "hint": self.hint or None,
        }


class ArsheetsError(Exception):
    """A problem that stops the run before anything is written (exit code 2)."""

    def __init__(self, problem: Problem | str, *more: Problem):
        if isinstance(problem, str):
            problem = Problem(Where(), problem)
        self.problems: tuple[Problem, ...] = (problem, *more)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def problem(self) -> Problem:
        return self.problems[0]


def fail(where: Where, message: str, hint: str = "") -> ArsheetsError:
    """Build (not raise) a structural error, so call sites read ``raise fail(...)``."""
    return ArsheetsError(Problem(where, message, hint))
