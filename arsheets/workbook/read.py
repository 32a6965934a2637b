"""The reader's entry points: a workbook file -> typed records, layouts and problems.

``read_workbook`` checks the structure first (sheets, header rows, Settings) and raises one
:class:`ArsheetsError` listing every structural problem before any row is read; then it reads the data
sheets and returns the :class:`ReadResult`, whose ``problems`` are the row problems, each addressed to
its cell. A row with a problem is left out of the Book.
"""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .. import model
from ..errors import ArsheetsError, Problem, Where
from . import schema
from .records import BookReader, Converters, Progress, SheetLayout, SheetRows, find_layout, quote
from .scan import BookSource, XlsxBook
from .settings import read_settings
from .values import Value

__all__ = ["ReadResult", "SheetLayout", "read_book", "read_columns", "read_workbook",
           "REQUIRED_SHEETS"]

REQUIRED_SHEETS = (schema.INVOICES.name, schema.CUSTOMERS.name, schema.PAYMENTS.name)


@dataclass(frozen=True)
class ReadResult:
    book: model.Book
    layouts: Mapping[str, SheetLayout]  # by contract sheet name ("Invoices", ...); absent sheets absent
    problems: tuple[Problem, ...]  # row problems, each with a cell address
    settings_sheet: str | None = None  # the Settings sheet's actual name, None when there is none
    settings_cells: Mapping[str, Where] = dataclasses.field(default_factory=dict)  # key -> value cell


def read_workbook(path: str | Path, *, progress: Progress | None = None) -> ReadResult:
    """Read a .xlsx/.xlsm workbook. ``progress("Reading <sheet>", rows_done)`` is called every 10,000
    rows of a sheet and once at its end."""
    with XlsxBook.open(path) as book:
        return read_book(book, progress=progress)


def read_book(source: BookSource, *, progress: Progress | None = None) -> ReadResult:
    """:func:`read_workbook` for any :class:`BookSource` (a file today, live Excel later)."""
    # Millions of small objects and no reference cycles: the cyclic collector would only rescan the
    # growing heap again and again (15% of a 1M-row read), so it rests while the book is read.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _read_book(source, progress)
    finally:
        if was_enabled:
            gc.enable()


def _read_book(source: BookSource, progress: Progress | None) -> ReadResult:
    found = read_settings(source.sheet(schema.SETTINGS_SHEET), source.date1904)
    structural: list[Problem] = list(found.problems)
    layouts: dict[str, SheetLayout] = {}
    sources = {}
    for spec in schema.DATA_SHEETS:
        src = source.sheet(spec.name)
        required = spec.name in REQUIRED_SHEETS
        if src is None:
            if required:
                structural.append(Problem(Where(), f"no {quote(spec.name)} sheet",
                                          "add it, or see arsheets init for a ready-made workbook"))
            continue
        layout, problems = find_layout(src, spec, found.aliases.get(spec.name, {}),
                                       found.alias_text.get(spec.name), optional=not required)
        structural.extend(problems)
        if layout is not None:
            layouts[spec.name] = layout
            sources[spec.name] = src
    if structural:
        raise ArsheetsError(*structural)

    settings = found.settings
    reader = BookReader(settings, Converters(settings.locale, settings.currency, source.date1904),
                        progress)
    read: dict[str, SheetRows] = {}
    for name, method in ((schema.CUSTOMERS.name, reader.customers),
                         (schema.INVOICES.name, reader.invoices),
                         (schema.PLANS.name, reader.plans),
                         (schema.PAYMENTS.name, reader.payments),
                         (schema.ACTIVITY.name, reader.activity)):
        if name in layouts:
            read[name] = method(sources[name], layouts[name])

    def records(name: str) -> tuple:
        return tuple(read[name].final_records()) if name in read else ()

    book = model.Book(settings, records(schema.CUSTOMERS.name), records(schema.INVOICES.name),
                      records(schema.PAYMENTS.name), records(schema.ACTIVITY.name),
                      records(schema.PLANS.name))
    final_layouts = {name: dataclasses.replace(layout, rows=tuple(read[name].rows))
                     for name, layout in layouts.items()}
    problems: list[Problem] = []
    for spec in schema.DATA_SHEETS:
        if spec.name in read:
            problems.extend(read[spec.name].all_problems())
    return ReadResult(book, final_layouts, tuple(problems), found.sheet, dict(found.cells))


def read_columns(path: str | Path, sheet: str, columns: Iterable[int], *, start_row: int = 1
                 ) -> dict[int, dict[int, Value]]:
    """The current values of some columns of a sheet: ``{row: {column: value}}``, blanks left out.

    ``sheet`` matches case-insensitively. The dry run uses it to compare old and new owned values.
    """
    with XlsxBook.open(path) as book:
        src = book.sheet(sheet)
        if src is None:
            raise ArsheetsError(Problem(Where(), f"no {quote(sheet)} sheet"))
        return {row: values for row, values in src.rows(list(columns), start_row)}
