"""The button inside Excel: the command line's pipeline, run against the open workbook.

The xlwings add-in's "Run main" button imports the companion module named after the workbook (see
``arsheets excel-setup``), whose ``main()`` calls :func:`main` here. It reads the calling workbook
live (``xw.Book.caller()``), one ``.value`` call per sheet, through :class:`ExcelBook`, a
:class:`~arsheets.workbook.scan.BookSource` whose values are normalised to exactly what the file
reader produces (:func:`from_excel`); then the same :func:`arsheets.pipeline.analyse_source`, the
same :mod:`~arsheets.workbook.status_columns` and the same owned sheets as ``arsheets refresh``.
The owned columns go back in bulk, one range assignment per contiguous block of owned columns and
rows, with screen updating off and calculation manual (both restored afterwards, whatever
happens). Problems are written to the Problems columns and summarised in one message box.

The action is chosen on the Control sheet (the defined names ``arsheets_action`` and
``arsheets_as_of``); each action is one small function in :data:`ACTIONS_RUN`. Actions whose
backing function does not exist in arsheets yet say so, and change nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import pipeline
from .errors import ArsheetsError, Problem, Where, column_letter
from .excel_setup import ACTION_CELL, ACTION_NAME, ACTIONS, AS_OF_CELL, AS_OF_NAME, CONTROL_SHEET
from .workbook import schema
from .workbook.dates import EXAMPLE, NotADate, parse_date_text
from .workbook.package import TableInfo
from .workbook.scan import CellRange, Row, serial_to_date
from .workbook.status_columns import OwnedColumns
from .workbook.styles import FMT_DAYS, FMT_INT, FMT_MONEY, FMT_PERCENT, KIND_FORMATS, Role
from .workbook.values import CellError, Value

if TYPE_CHECKING:  # xlwings is imported when the button runs, so the normaliser is shareable
    import xlwings as xw

__all__ = [
    "ACTIONS", "ExcelBook", "ExcelSheet", "NotAvailable", "Run", "Selection", "from_excel", "main",
    "to_excel", "write_owned_columns", "write_owned_sheet",
]

TITLE = "arsheets"
SHOWN_PROBLEMS = 8  # problems listed in the message box; the Problems columns hold them all
MAX_CELL_TEXT = 32767  # Excel's limit for the text of one cell
FMT_DATE_LIVE = "yyyy-mm-dd"  # the file writer's built-in 14 has no portable code to set live


# --- values: Excel -> the reader's normalised values ---------------------------------------------

# Excel's error values (the XlCVError enumeration). Through COM (Windows) an error cell arrives as
# the int -2146828288 + code unless ``err_to_str`` asks xlwings for the text; on macOS as the text.
ERROR_CODES: dict[str, int] = {
    "#NULL!": 2000, "#DIV/0!": 2007, "#VALUE!": 2015, "#REF!": 2023, "#NAME?": 2029,
    "#NUM!": 2036, "#N/A": 2042, "#GETTING_DATA": 2043, "#SPILL!": 2045, "#CONNECT!": 2046,
    "#BLOCKED!": 2047, "#UNKNOWN!": 2048, "#FIELD!": 2049, "#CALC!": 2050,
}
COM_ERROR_BASE = -2146828288  # 0x800A0000 as a signed 32-bit int
COM_ERRORS: dict[int, str] = {COM_ERROR_BASE + n: text for text, n in ERROR_CODES.items()}
_EXACT_FLOAT = 2 ** 53
_EPOCH = datetime(1899, 12, 30)
_FIRST_DATE = datetime(1900, 1, 1)


def from_excel(value: Any) -> Value:
    """A value as xlwings delivers it -> the value the file reader gives for the same cell.

    - floats become Decimal through ``repr`` (the shortest text that gives the same double, as
      Excel writes numbers into a file), never through binary: ``0.1`` -> ``Decimal('0.1')``;
      whole numbers lose the ``.0``; NaN and infinities (which no cell holds) become ``#NUM!``;
    - Decimal (Windows, for currency-formatted cells: four places) drops its trailing zeros;
    - datetimes (date-formatted cells) become dates; a time of day alone (before 1900) is the
      fraction of a day it stands for, as the file reader leaves it;
    - error values, as text (``'#N/A'``) or as COM ints (``-2146826246``), become
      :class:`CellError`;
    - text keeps its spaces, with line ends as ``\\n``; empty text is blank (None).
    """
    if value is None:
        return None
    t = type(value)
    if t is str:
        if not value:
            return None
        if value in ERROR_CODES:
            return CellError(value)
        if "\r" in value:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        return value
    if t is float:
        if not math.isfinite(value):
            return CellError("#NUM!")
        if value.is_integer() and -_EXACT_FLOAT < value < _EXACT_FLOAT:
            return Decimal(int(value))
        return Decimal(repr(value))
    if t is bool:
        return value
    if t is int:
        error = COM_ERRORS.get(value)
        return CellError(error) if error is not None else Decimal(value)
    if isinstance(value, datetime):  # pywintypes' time type is a datetime subclass
        naive = value.replace(tzinfo=None)
        if naive >= _FIRST_DATE:
            return naive.date()
        return from_excel((naive - _EPOCH) / timedelta(days=1))
    if isinstance(value, date):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            return CellError("#NUM!")
        if value == value.to_integral_value():
            return Decimal(int(value))
        return value.normalize()
    if isinstance(value, float):  # numpy floats and other float subclasses
        return from_excel(float(value))
    if isinstance(value, int):
        return from_excel(int(value))
    text = str(value)
    return text or None


# --- values: results -> what goes into a cell -----------------------------------------------------

_BOOLEAN_WORDS = frozenset(("true", "false", "wahr", "falsch", "vrai", "faux", "verdadero",
                            "falso", "vero", "waar", "onwaar", "sant", "usant", "prawda", "fałsz"))


def _needs_quote(text: str) -> bool:
    """Whether Excel would read ``text`` as something else when it is assigned to ``.value``.

    A value set through COM or AppleScript is parsed like typed input: ``1-30`` becomes a date,
    ``001`` the number 1, ``=x`` a formula. Anything with a digit, a leading sign, ``=``, ``@``,
    ``#`` or ``'``, or a word Excel reads as TRUE or FALSE, is written with a leading apostrophe,
    which Excel keeps out of the value."""
    first = text[0]
    if first in "=+-@#'" or first.isspace():
        return True
    if any(ch.isdigit() for ch in text):
        return True
    return text.casefold() in _BOOLEAN_WORDS


def to_excel(value: object) -> object:
    """A value from :mod:`~arsheets.workbook.status_columns` or an owned sheet -> what to assign.

    Money (Decimal) goes as a float: the number Excel reads from the file writer's text is the
    same double. Dates go as datetimes (appscript on macOS takes no plain dates); None clears the
    cell."""
    if value is None:
        return None
    t = type(value)
    if t is str:
        if not value:
            return None
        if len(value) > MAX_CELL_TEXT:
            value = value[:MAX_CELL_TEXT - 1] + "…"
        return "'" + value if _needs_quote(value) else value
    if t is bool or t is int or t is float:
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, CellError):
        return None
    return to_excel(str(value))


# --- the live workbook as a BookSource ------------------------------------------------------------


def _date1904(book: xw.Book) -> bool:
    """Whether the workbook counts dates from 1904 (only undated serial numbers depend on it)."""
    api = book.api
    for getter in (lambda: api.Date1904, lambda: api.date_1904.get()):
        try:
            return bool(getter())
        except Exception:  # noqa: BLE001 - each platform knows one of the two spellings
            continue
    return False


class ExcelSheet:
    """One worksheet of the open workbook, as a :class:`~arsheets.workbook.scan.SheetSource`.

    The used range is read once, in one ``.value`` call (xlwings splits a very large read into a
    few), and normalised with :func:`from_excel`. Merged cells are not reported (finding them
    would take a call per cell): a merged-over cell reads as blank."""

    part = None

    def __init__(self, book: ExcelBook, sheet: xw.Sheet):
        self.book = book
        self.xl = sheet
        self.name = sheet.name
        self.date1904 = book.date1904
        self._rows: list[Row] | None = None
        self._last_column = 0
        self._tables: list[TableInfo] | None = None

    def _load(self) -> list[Row]:
        if self._rows is None:
            used = self.xl.used_range
            top, left = used.row, used.column
            grid = used.options(ndim=2, err_to_str=True).value or []
            rows: list[Row] = []
            last = 0
            for i, raw in enumerate(grid):
                cells = {}
                for j, v in enumerate(raw):
                    if v is None:
                        continue
                    value = from_excel(v)
                    if value is not None:
                        cells[left + j] = value
                if cells:
                    rows.append((top + i, cells))
            if grid:
                last = left + max(len(r) for r in grid) - 1
                if not rows and last == left:
                    last = 0  # an empty sheet's used range is A1
            self._rows = rows
            self._last_column = last
        return self._rows

    @property
    def tables(self) -> list[TableInfo]:
        if self._tables is None:
            found = []
            for t in self.xl.tables:
                ref = t.range.address.replace("$", "")
                found.append(TableInfo("", t.name, ref, 1 if t.show_headers else 0, (),
                                       1 if t.show_totals else 0))
            self._tables = found
        return self._tables

    @property
    def merged(self) -> tuple[CellRange, ...]:
        return ()

    @property
    def last_column(self) -> int:
        self._load()
        return self._last_column

    def head(self, n: int) -> list[Row]:
        return [(r, dict(cells)) for r, cells in self._load() if r <= n]

    def rows(self, columns: Iterable[int] | None = None, start_row: int = 1) -> Iterator[Row]:
        wanted = None if columns is None else sorted(set(columns))
        for r, cells in self._load():
            if r < start_row:
                continue
            if wanted is None:
                yield r, dict(cells)
                continue
            picked = {c: cells[c] for c in wanted if c in cells}
            if picked:
                yield r, picked


class ExcelBook:
    """The open workbook as a :class:`~arsheets.workbook.scan.BookSource`."""

    def __init__(self, book: xw.Book):
        self.xl = book
        self.name = book.name
        self.date1904 = _date1904(book)
        self._sheets = {s.name.casefold(): s for s in book.sheets}
        self._sources: dict[str, ExcelSheet] = {}

    @property
    def sheet_names(self) -> list[str]:
        return [s.name for s in self._sheets.values()]

    def xl_sheet(self, name: str) -> xw.Sheet | None:
        return self._sheets.get(name.casefold())

    def sheet(self, name: str) -> ExcelSheet | None:
        key = name.casefold()
        if key not in self._sheets:
            return None
        if key not in self._sources:
            self._sources[key] = ExcelSheet(self, self._sheets[key])
        return self._sources[key]

    def add_sheet(self, name: str) -> xw.Sheet:
        last = list(self._sheets.values())[-1] if self._sheets else None
        sheet = self.xl.sheets.add(name=name, after=last)
        self._sheets[name.casefold()] = sheet
        return sheet

    def close(self) -> None:
        pass


# --- writing in bulk ------------------------------------------------------------------------------


@contextmanager
def bulk_mode(app: xw.App) -> Iterator[None]:
    """Screen updating off and calculation manual while writing; both restored, whatever happens."""
    screen, calculation = app.screen_updating, app.calculation
    try:
        app.screen_updating = False
        app.calculation = "manual"
        yield
    finally:
        try:
            app.calculation = calculation
        finally:
            app.screen_updating = screen


def runs(numbers: Sequence[int]) -> list[tuple[int, int]]:
    """Index ranges of the stretches of consecutive numbers: [2, 3, 4, 7] -> [(0, 2), (3, 3)]."""
    out: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(numbers) + 1):
        if i == len(numbers) or numbers[i] != numbers[i - 1] + 1:
            if numbers:
                out.append((start, i - 1))
            start = i
    return out


@dataclass
class WriteStats:
    cells: int = 0
    assignments: int = 0
    rows_appended: int = 0
    columns_added: list[str] = field(default_factory=list)


def _assign(sheet: xw.Sheet, top: int, left: int, rows: list[list[object]], stats: WriteStats
            ) -> None:
    """One range assignment of a rectangular block."""
    if not rows or not rows[0]:
        return
    bottom, right = top + len(rows) - 1, left + len(rows[0]) - 1
    sheet.range((top, left), (bottom, right)).value = rows
    stats.cells += len(rows) * len(rows[0])
    stats.assignments += 1


def write_owned_columns(book: ExcelBook, owned: Sequence[OwnedColumns],
                        stats: WriteStats | None = None) -> WriteStats:
    """Every owned column of every data sheet: one assignment per block of adjacent owned columns
    and consecutive data rows (rows between data rows are left as they are, as the file writer
    leaves them). A missing owned column gets its header and number format, and joins the sheet's
    Excel table when it is right beside it."""
    stats = stats or WriteStats()
    for oc in owned:
        sheet = book.xl_sheet(oc.layout.name)
        if sheet is None:
            raise ArsheetsError(Problem(Where(oc.layout.name), "the sheet has gone"))
        spec = next(s for s in schema.DATA_SHEETS if s.name == oc.sheet)
        values = list(oc.iter_rows())
        row_numbers = [r for r, _ in values]
        row_runs = runs(row_numbers)
        header_row = oc.layout.header_row
        for i0, i1 in runs(oc.columns):
            left = oc.columns[i0]
            new = [k for k in range(i0, i1 + 1) if oc.names[k] in oc.new]
            for n0, n1 in runs(new):
                k0, k1 = new[n0], new[n1]
                _assign(sheet, header_row, oc.columns[k0], [list(oc.names[k0:k1 + 1])], stats)
                stats.columns_added += [f"{oc.layout.name}!{column_letter(oc.columns[k])}"
                                        f"{header_row} {oc.names[k]}" for k in range(k0, k1 + 1)]
            for a, b in row_runs:
                block = [[to_excel(v) for v in vals[i0:i1 + 1]] for _, vals in values[a:b + 1]]
                _assign(sheet, row_numbers[a], left, block, stats)
            for k in new:
                fmt = KIND_FORMATS.get(spec.column(oc.names[k]).kind)
                if fmt == KIND_FORMATS.get(schema.Kind.DATE):
                    fmt = FMT_DATE_LIVE
                if fmt:
                    for a, b in row_runs:
                        sheet.range((row_numbers[a], oc.columns[k]),
                                    (row_numbers[b], oc.columns[k])).number_format = fmt
        if oc.new and oc.layout.table is not None:
            _grow_table(sheet, oc.layout.table, extra_columns=oc.columns,
                        header_row=header_row)
    return stats


def _grow_table(sheet: xw.Sheet, table: TableInfo, *, extra_columns: Sequence[int] = (),
                header_row: int | None = None, last_row: int | None = None) -> None:
    """Widen an Excel table over new columns right beside it (when its header row is the sheet's
    header row), or lengthen it to ``last_row``."""
    try:
        box = CellRange.parse(table.ref)
    except ValueError:
        return
    right = box.last_col
    if header_row is None or header_row == box.first_row:
        for col in sorted(extra_columns):
            if col == right + 1:
                right = col
    bottom = max(box.last_row, last_row or 0)
    if (right, bottom) == (box.last_col, box.last_row):
        return
    for live in sheet.tables:
        if live.name.casefold() == table.name.casefold():
            live.resize(sheet.range((box.first_row, box.first_col), (bottom, right)))
            return


_ROLE_FORMATS = {
    Role.MONEY: FMT_MONEY, Role.TOTAL_MONEY: FMT_MONEY, Role.DATE: FMT_DATE_LIVE,
    Role.INT: FMT_INT, Role.DAYS: FMT_DAYS, Role.PERCENT: FMT_PERCENT,
    Role.TOTAL_PERCENT: FMT_PERCENT,
}


def write_owned_sheet(book: ExcelBook, owned: Any, stats: WriteStats | None = None) -> WriteStats:
    """A sheet arsheets owns whole (Aging, Schedule) rewritten live: its old contents cleared, its
    rows written in one assignment, number formats set by role (one call per run of cells with the
    same format down a column), its Excel table fitted to the rows. Charts stay as they are."""
    stats = stats or WriteStats()
    sheet = book.xl_sheet(owned.name)
    created = sheet is None
    if created:
        sheet = book.add_sheet(owned.name)
    else:
        sheet.used_range.clear_contents()
    rows = [list(r) for r in owned.rows]
    width = max((len(r) for r in rows), default=0)
    if owned.table is not None:
        width = max(width, owned.table.first_column + len(owned.table.columns) - 1)
    if rows and width:
        grid = [[to_excel(v) for v, _ in r] + [None] * (width - len(r)) for r in rows]
        _assign(sheet, 1, 1, grid, stats)
        for c in range(width):
            fmts = [_ROLE_FORMATS.get(Role(r[c][1])) if c < len(r) and r[c][0] is not None
                    else None for r in rows]
            start = 0
            for i in range(1, len(fmts) + 1):
                if i == len(fmts) or fmts[i] != fmts[start]:
                    if fmts[start] is not None:
                        sheet.range((start + 1, c + 1), (i, c + 1)).number_format = fmts[start]
                    start = i
    if owned.table is not None:
        t = owned.table
        last = t.last_row if t.last_row is not None else len(rows)
        last = max(last, t.header_row + 1)
        area = sheet.range((t.header_row, t.first_column),
                           (last, t.first_column + len(t.columns) - 1))
        live = next((x for x in sheet.tables if x.name.casefold() == t.name.casefold()), None)
        if live is None:
            sheet.tables.add(source=area, name=t.name, table_style_name=t.style)
        else:
            live.resize(area)
    if created:
        for c, w in enumerate(owned.widths, start=1):
            if w:
                sheet.range((1, c)).column_width = float(w)
    return stats


def last_data_row(book: ExcelBook, name: str) -> int:
    """The last row of a sheet holding a value (0 when none), as read at the start of the run."""
    source = book.sheet(name)
    rows = source._load() if source is not None else []
    return rows[-1][0] if rows else 0


def apply_sheet_patch(book: ExcelBook, patch: Any, stats: WriteStats | None = None) -> WriteStats:
    """A :class:`~arsheets.workbook.write.SheetPatch` (what a command adds to a refresh: new
    columns, rows appended after the last row with data) carried out live, one assignment per run
    of adjacent columns. An Excel table ending at the last row grows over the new rows, and over
    new columns right beside it, as the file writer grows it."""
    stats = stats or WriteStats()
    sheet = book.xl_sheet(patch.sheet)
    if sheet is None:
        raise ArsheetsError(Problem(Where(patch.sheet), "there is no such sheet to write to"))
    new = [c for c in patch.columns if c.header]
    cols = [c.column for c in new]
    for a, b in runs(cols):
        _assign(sheet, patch.header_row, cols[a], [[c.header for c in new[a:b + 1]]], stats)
        stats.columns_added += [f"{patch.sheet}!{column_letter(c.column)}{patch.header_row} "
                                f"{c.header}" for c in new[a:b + 1]]
    rows = list(patch.rows)
    if rows:
        owned = [c.column for c in patch.columns]
        for i0, i1 in runs(owned):
            for a, b in runs([r for r, _ in rows]):
                block = [[to_excel(v) for v in values[i0:i1 + 1]] for _, values in rows[a:b + 1]]
                _assign(sheet, rows[a][0], owned[i0], block, stats)
    appended: list[int] = []
    if patch.appends:
        last = max(last_data_row(book, patch.sheet), patch.header_row)
        used = sorted({c for row in patch.appends for c in row})
        for a, b in runs(used):
            block = [[to_excel(row.get(c)) for c in used[a:b + 1]] for row in patch.appends]
            _assign(sheet, last + 1, used[a], block, stats)
        appended = list(range(last + 1, last + 1 + len(patch.appends)))
        stats.rows_appended += len(appended)
    source = book.sheet(patch.sheet)
    for table in (source.tables if source is not None else ()):
        box = CellRange.parse(table.ref) if table.ref else None
        if box is None:
            continue
        grow_rows = appended and box.first_row <= last <= box.last_row < appended[-1]
        grow_cols = any(c == box.last_col + 1 for c in cols) and box.first_row == patch.header_row
        if grow_rows or grow_cols:
            _grow_table(sheet, table, extra_columns=cols, header_row=patch.header_row,
                        last_row=appended[-1] if grow_rows else None)
    return stats


# --- the Control sheet and the selection ----------------------------------------------------------


class NotAvailable(Exception):
    """The action exists on the Control sheet but not yet in this version of arsheets."""


@dataclass(frozen=True)
class Selection:
    """The cells selected when the button was clicked: a sheet and its rows (None: every row)."""

    sheet: str
    rows: frozenset[int] | None

    def covers(self, row: int) -> bool:
        return self.rows is None or row in self.rows


_AREA = re.compile(r"\$?([A-Z]{1,3})?\$?(\d+)?(?::\$?([A-Z]{1,3})?\$?(\d+)?)?")


def parse_rows(address: str) -> frozenset[int] | None:
    """The rows of an address like ``$A$2:$C$4,$B$9`` or ``$3:$5``; None for ``$A:$C`` (all)."""
    rows: set[int] = set()
    for area in address.replace(" ", "").upper().split(","):
        if "!" in area:
            area = area.rsplit("!", 1)[1]
        m = _AREA.fullmatch(area)
        if m is None or not area:
            continue
        _, r1, _, r2 = m.groups()
        if r1 is None:  # whole columns
            return None
        first, last = int(r1), int(r2 or r1)
        rows.update(range(min(first, last), max(first, last) + 1))
    return frozenset(rows)


def read_selection(book: xw.Book) -> Selection | None:
    try:
        selected = book.selection
    except Exception:  # noqa: BLE001 - a chart or a shape is selected, or nothing
        return None
    if selected is None:
        return None
    try:
        return Selection(selected.sheet.name, parse_rows(selected.address))
    except Exception:  # noqa: BLE001
        return None


def _named_cell(book: xw.Book, name: str, control: xw.Sheet | None, cell: str) -> xw.Range | None:
    try:
        if name in book.names:
            return book.names[name].refers_to_range
    except Exception:  # noqa: BLE001 - a name that refers to nothing (#REF!)
        pass
    return control.range(cell) if control is not None else None


def read_control(book: xw.Book) -> tuple[str, date | None]:
    """The action and the as-of date chosen on the Control sheet (Refresh and None without one)."""
    control = next((s for s in book.sheets if s.name.casefold() == CONTROL_SHEET.casefold()), None)
    action_cell = _named_cell(book, ACTION_NAME, control, ACTION_CELL)
    as_of_cell = _named_cell(book, AS_OF_NAME, control, AS_OF_CELL)
    action = "Refresh"
    if action_cell is not None:
        raw = from_excel(action_cell.options(err_to_str=True).value)
        text = raw.strip() if isinstance(raw, str) else ""
        if text:
            by_key = {schema.normalize_header(a): a for a in ACTIONS}
            action = by_key.get(schema.normalize_header(text), "")
            if not action:
                raise ArsheetsError(Problem(
                    _where(action_cell), f"'{text}' is not an action",
                    "choose one from the list: " + ", ".join(ACTIONS)))
    as_of = None
    if as_of_cell is not None:
        as_of = _as_of(from_excel(as_of_cell.options(err_to_str=True).value),
                       _where(as_of_cell), book)
    return action, as_of


def _where(rng: xw.Range) -> Where:
    return Where(rng.sheet.name, rng.row, rng.column)


def _as_of(value: Value, where: Where, book: xw.Book) -> date | None:
    if value is None:
        return None
    if type(value) is date:
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return parse_date_text(text)
        except NotADate as exc:
            raise ArsheetsError(Problem(where, str(exc), exc.hint or f"type it as {EXAMPLE}, or "
                                        "leave it blank")) from None
    if isinstance(value, Decimal):
        found = serial_to_date(value, _date1904(book))
        if found is not None:
            return found
    raise ArsheetsError(Problem(where, f"{value} is not a date",
                                f"type it as {EXAMPLE}, or leave it blank"))


# --- the run and its actions ----------------------------------------------------------------------


Amend = Callable[[pipeline.Analysis], pipeline.Amendment]


@dataclass
class Run:
    """One click of the button: the workbook, what was chosen, and what has been done so far."""

    book: xw.Book
    action: str
    as_of: date | None
    today: date | None
    selection: Selection | None
    source: ExcelBook | None = None
    analysis: pipeline.Analysis | None = None
    stats: WriteStats = field(default_factory=WriteStats)

    @property
    def folder(self) -> Path | None:
        """The workbook's folder, when it is saved on this computer."""
        try:
            path = Path(self.book.fullname)
        except Exception:  # noqa: BLE001
            return None
        return path.parent if path.is_absolute() and path.parent.is_dir() else None

    def analyse(self) -> pipeline.Analysis:
        if self.analysis is None:
            self.source = ExcelBook(self.book)
            self.analysis = pipeline.analyse_source(
                self.source, self.as_of, today=self.today, path=self.book.fullname)
        return self.analysis

    def refresh(self, amend: Amend | None = None) -> pipeline.Analysis:
        """``pipeline.refresh`` against the open workbook: read, compute, let ``amend`` add to it
        (the letters log their Activity rows so), then write every owned column, the rows and
        columns the amendment adds, and every owned sheet."""
        analysis = self.analyse()
        extra = pipeline.Amendment(analysis) if amend is None else amend(analysis)
        analysis = self.analysis = extra.analysis
        with bulk_mode(self.book.app):
            write_owned_columns(self.source, analysis.owned(), self.stats)
            for patch in extra.patches:
                apply_sheet_patch(self.source, patch, self.stats)
            for sheet in [*pipeline.owned_sheets(analysis), *extra.sheets]:
                write_owned_sheet(self.source, sheet, self.stats)
        return analysis

    def selected(self, contract_sheet: str) -> list[int] | None:
        """The selected data rows when the selection is on ``contract_sheet``, else None."""
        layout = self.analyse().read.layouts.get(contract_sheet)
        sel = self.selection
        if layout is None or sel is None or sel.sheet.casefold() != layout.name.casefold():
            return None
        return [r for r in layout.rows if sel.covers(r)]

    def selected_customers(self) -> tuple[list[str], list[str]]:
        """Customer ids of the rows selected on Customers or Invoices; notes on rows left out."""
        analysis = self.analyse()
        book, layouts = analysis.read.book, analysis.read.layouts
        notes: list[str] = []
        rows = self.selected(schema.CUSTOMERS.name)
        if rows is not None:
            by_row = {c.row: c.id for c in book.customers}
            name = layouts[schema.CUSTOMERS.name].name
        else:
            rows = self.selected(schema.INVOICES.name)
            if rows is None:
                raise ArsheetsError(Problem(Where(), "no customer rows are selected",
                                            "go to the Customers sheet (or Invoices), select the "
                                            "customers' rows, then click Run main again"))
            by_row = {i.row: i.customer_id for i in book.invoices}
            name = layouts[schema.INVOICES.name].name
        ids: list[str] = []
        for r in rows:
            if r in by_row:
                if by_row[r] not in ids:
                    ids.append(by_row[r])
            else:
                notes.append(f"{name} row {r} was left out: it has a problem (see its Problems "
                             "cell)")
        if not ids:
            raise ArsheetsError(Problem(Where(name), "the selected rows hold no customer arsheets "
                                        "can use", "select rows with data, and fix their "
                                        "Problems first"))
        return ids, notes


Action = Callable[[Run], str]


def summary(run: Run) -> str:
    analysis = run.analysis
    assert analysis is not None
    book = analysis.read.book
    lines = [f"Refreshed as of {analysis.as_of.isoformat()}: {len(book.invoices):,} invoices, "
             f"{len(book.customers):,} customers, {len(book.payments):,} payments."]
    for added in run.stats.columns_added:
        lines.append(f"Added the column {added}.")
    lines.append(problems_text(analysis.problems))
    return "\n".join(lines)


def problems_text(problems: Sequence[Problem]) -> str:
    if not problems:
        return "No problems found."
    n = len(problems)
    lines = [f"{n} problem{'s' if n != 1 else ''} (a row with a problem is left out of the "
             "figures until it is fixed, unless its message says otherwise; each is in its row's "
             "Problems cell):"]
    lines += [f"- {p}" for p in problems[:SHOWN_PROBLEMS]]
    if n > SHOWN_PROBLEMS:
        lines.append(f"... and {n - SHOWN_PROBLEMS:,} more.")
    return "\n".join(lines)


def refresh_action(run: Run) -> str:
    run.refresh()
    return summary(run)


class _NothingDue(Exception):
    """No letter to write for the customers selected: leave without writing anything."""


def _batch():
    """The letters batch (:mod:`arsheets.letters.batch`), or NotAvailable when this version of
    arsheets does not have it."""
    try:
        from .letters import batch
        batch.BatchOptions, batch.plan_letters, batch.check_templates  # noqa: B018
        batch.produce_and_log  # noqa: B018
    except (ImportError, AttributeError):
        raise NotAvailable("Letters from Excel are not available yet in this version of "
                           "arsheets. Nothing was changed.") from None
    return batch


def letters_run(run: Run, *, statements: bool) -> str:
    """``arsheets letters`` (or ``statements``) for the selected customers, live: the letters are
    written to the Letters Folder beside the workbook and logged on Activity in the same refresh,
    exactly as the command line does; a failure removes the files it wrote."""
    batch = _batch()
    ids, notes = run.selected_customers()
    if run.folder is None:
        raise ArsheetsError(Problem(Where(), "the workbook is not saved in a folder on this "
                                    "computer", "save it (File > Save As), then click Run main "
                                    "again: letters go in the Letters Folder beside it"))
    options = batch.BatchOptions(customers=tuple(ids), statements=statements)
    made: list[Path] = []
    state: dict[str, Any] = {}

    def amend(analysis: pipeline.Analysis) -> pipeline.Amendment:
        planned = batch.plan_letters(analysis, options)
        if not planned:
            raise _NothingDue()
        batch.check_templates([p.template for p in planned], analysis)
        produced, logged = batch.produce_and_log(analysis, planned, options, made, None, state)
        state["produced"] = produced
        return logged.amendment()

    try:
        run.refresh(amend)
    except _NothingDue:
        who = ", ".join(ids[:6]) + (", ..." if len(ids) > 6 else "")
        return "\n".join([f"No letter is due for {who} as of "
                          f"{run.analysis.as_of.isoformat()}. Nothing was written.", *notes])
    except BaseException:
        for path in made:  # all or nothing, as on the command line
            try:
                path.unlink()
            except OSError:
                pass
        raise
    produced = state["produced"]
    lines = [summary(run), ""]
    what = "statement" if statements else "letter"
    lines.append(f"{len(produced)} {what}{'s' if len(produced) != 1 else ''} written to "
                 f"{state.get('folder', run.folder)} and logged on Activity:")
    for pr in produced:
        lines.append(f"- {pr.planned.customer.id} {pr.planned.customer.name}: "
                     f"{pr.planned.summary()} ({pr.letter.name})")
    return "\n".join([*lines, *notes])


def letters_action(run: Run) -> str:
    return letters_run(run, statements=False)


def statement_action(run: Run) -> str:
    return letters_run(run, statements=True)


def plan_action(run: Run) -> str:
    """``arsheets plan`` for the invoices selected on Invoices (one customer's): a Proposed plan
    of three monthly interest-free installments, with its agreement in the Letters Folder. The
    bookkeeper changes Installments or Annual Rate on the Plans row and refreshes to reschedule;
    the command line offers every option (--installments, --rate, --down, --note)."""
    from .proposal import Terms, proposal_amendment, summary as plan_summary

    rows = run.selected(schema.INVOICES.name)
    if not rows:
        raise ArsheetsError(Problem(Where(), "no invoice rows are selected",
                                    "go to the Invoices sheet, select the rows of the invoices "
                                    "the plan should cover, then click Run main again"))
    if run.folder is None:
        raise ArsheetsError(Problem(Where(), "the workbook is not saved in a folder on this "
                                    "computer", "save it (File > Save As), then click Run main "
                                    "again: the agreement goes in the Letters Folder beside it"))
    by_row = {inv.row: inv for inv in run.analysis.read.book.invoices}
    chosen = [by_row[r] for r in rows if r in by_row]
    customers = {inv.customer_id for inv in chosen}
    if len(customers) != 1:
        raise ArsheetsError(Problem(Where(), "the selected invoices belong to "
                                    f"{len(customers) or 'no'} customers",
                                    "select invoices of one customer"))
    terms = Terms(customers.pop(), tuple(inv.id for inv in chosen))
    made: list[Path] = []
    state: dict[str, Any] = {}
    try:
        run.refresh(lambda analysis: proposal_amendment(analysis, terms, note=False, made=made,
                                                        state=state))
    except BaseException:
        for path in made:
            path.unlink(missing_ok=True)
        raise
    proposal = state["proposal"]
    lines = [summary(run), "", f"{proposal.customer.id} {proposal.customer.name}: "
             f"{plan_summary(proposal)}.", f"Added {proposal.plan.id} to Plans (Status "
             "Proposed) with its schedule; the agreement to sign is in:"]
    lines += [f"- {document}" for document in state["documents"]]
    return "\n".join(lines)


ACTIONS_RUN: dict[str, Action] = {
    "Refresh": refresh_action,
    "Letters for selected customers": letters_action,
    "Plan for selected invoices": plan_action,
    "Statement for selected customer": statement_action,
}
assert tuple(ACTIONS_RUN) == ACTIONS


# --- the entry point ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a click did (for tests and for callers other than the button)."""

    action: str
    ok: bool
    message: str
    analysis: pipeline.Analysis | None = None
    stats: WriteStats | None = None


def _alert(app: xw.App, message: str, critical: bool = False) -> None:
    app.alert(message, title=TITLE, buttons="ok", mode="critical" if critical else "info")


def main(book: xw.Book | None = None, *, today: date | None = None) -> Outcome:
    """Run the action chosen on the Control sheet against the calling workbook, and say how it went
    in one message box. ``book`` defaults to ``xw.Book.caller()``."""
    if book is None:
        import xlwings as xw

        book = xw.Book.caller()
    app = book.app
    action = "Refresh"
    run: Run | None = None
    try:
        action, as_of = read_control(book)
        run = Run(book, action, as_of, today, read_selection(book))
        message = ACTIONS_RUN[action](run)
    except NotAvailable as exc:
        _alert(app, str(exc))
        return Outcome(action, False, str(exc))
    except ArsheetsError as error:
        written = run is not None and run.stats.assignments > 0
        message = "\n".join(f"- {p}" for p in error.problems)
        message = (f"{action} stopped:\n{message}\n" +
                   ("" if written else "Nothing was written."))
        _alert(app, message.strip(), critical=True)
        return Outcome(action, False, message, run.analysis if run else None,
                       run.stats if run else None)
    _alert(app, message)
    return Outcome(action, True, message, run.analysis, run.stats)
