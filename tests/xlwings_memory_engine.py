"""A small in-memory Excel for xlwings, so the button's real ``xw.Book``/``xw.Range`` code runs.

xlwings' public classes (``xlwings/main.py``) delegate everything to an engine's ``impl`` objects:
``Book.impl.sheets``, ``Sheet.impl.range(...)``, ``Range.impl.raw_value``, ``App.impl.alert``, and
the engine's ``clean_value_data`` / ``prepare_xl_data_element`` through xlwings' conversion
pipeline. This module implements those impl classes (on ``xlwings.base_classes``, so anything the
button does not need raises NotImplementedError) over a dict of cells per sheet, and registers the
engine as ``xw.engines["memory"]``.

It behaves like desktop Excel where the button depends on it:

- values come back as COM delivers them (``flavour="windows"``): numbers as floats, date-formatted
  cells as datetimes, currency-formatted cells as Decimal with four places, error cells as the COM
  ints (-2146826246 for #N/A) that xlwings turns into text with ``err_to_str``; or as appscript does
  (``flavour="mac"``): whole numbers as ints, errors visible only as text with ``err_to_str``;
- a string assigned to ``.value`` is parsed like typed input: ``'1-30'`` becomes a date,
  ``'001'`` the number 1, ``'TRUE'`` a boolean, ``'=...'`` a formula (refused here); a leading
  apostrophe keeps the text as it is and is not part of the value;
- every value read and every value assignment is logged with its address, so a test can check
  that each block is written in ONE call; App settings changes are logged too.

:func:`load_xlsx` fills a book from an .xlsx file as Excel would show it (openpyxl, cached values).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import xlwings as xw
from xlwings import base_classes

from arsheets.errors import column_index, column_letter

MAX_ROW, MAX_COL = 1_048_576, 16_384
COM_ERRORS = {
    "#NULL!": -2146826288, "#DIV/0!": -2146826281, "#VALUE!": -2146826273, "#REF!": -2146826265,
    "#NAME?": -2146826259, "#NUM!": -2146826252, "#N/A": -2146826246,
}
COM_ERROR_TEXT = {v: k for k, v in COM_ERRORS.items()}
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
          "january", "february", "march", "april", "june", "july", "august", "september",
          "october", "november", "december")


@dataclass(frozen=True)
class XlError:
    """An error value in a cell, e.g. ``XlError("#N/A")``."""

    text: str


class FormulaWritten(AssertionError):
    """The button assigned a string Excel would take for a formula."""


# --- typed input -------------------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?[$€£]?\(?(?:\d{1,3}(?:,\d{3})+|\d*)(?:\.\d+)?\)?(?:[eE][+-]?\d+)?%?")
_NUMERIC_DATE = re.compile(r"\d{1,4}[-/.]\d{1,2}(?:[-/.]\d{1,4})?(?:\s+\d{1,2}:\d{2}.*)?")
_TIME = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp][Mm])?")
_WORD_DATE = re.compile(r"(?:(\d{1,2})[-\s]?([A-Za-z]+)(?:[-\s,]+\d{2,4})?"
                        r"|([A-Za-z]+)[-\s]?(\d{1,4})(?:[-\s,]+\d{2,4})?)")


def typed_entry(text: str) -> object:
    """What Excel stores when ``text`` is assigned to a cell's value (an approximation of its
    input parser that covers the cases that matter: numbers, dates, times, booleans, formulas)."""
    if text.startswith("'"):
        return text[1:] or None
    if text.startswith("="):
        raise FormulaWritten(f"{text!r} would be taken for a formula")
    s = text.strip()
    if not s:
        return text
    if s.upper() in ("TRUE", "FALSE"):
        return s.upper() == "TRUE"
    if any(ch.isdigit() for ch in s) and _NUMBER.fullmatch(s):
        body = s.replace(",", "").replace("$", "").replace("€", "").replace("£", "")
        negative = body.startswith("(") and body.endswith(")")
        body = body.strip("()")
        scale = 100 if body.endswith("%") else 1
        try:
            number = float(body.rstrip("%")) / scale
        except ValueError:
            return text
        return -number if negative else number
    if _NUMERIC_DATE.fullmatch(s) or _TIME.fullmatch(s):
        return dt.datetime(2000, 1, 1)  # some date: the point is that it is no longer the text
    m = _WORD_DATE.fullmatch(s)
    if m is not None:
        word = (m.group(2) or m.group(3) or "").lower()
        if word in MONTHS:
            return dt.datetime(2000, 1, 1)
    return text


# --- the engine -----------------------------------------------------------------------------------


class Engine:
    name = "memory"
    type = "desktop"

    def __init__(self) -> None:
        self._apps = Apps(self)

    @property
    def apps(self) -> Apps:
        return self._apps

    @staticmethod
    def prepare_xl_data_element(x: Any, options: Any) -> Any:
        """Like the Windows engine: None clears the cell, datetimes go naive, the rest as is."""
        if x is None:
            return ""
        if isinstance(x, float) and x != x:
            return ""
        if isinstance(x, dt.datetime):
            return x.replace(tzinfo=None)
        return x

    @staticmethod
    def clean_value_data(data, datetime_builder, empty_as, number_builder, err_to_str):
        def clean(value):
            if value in ("", None):
                return empty_as
            if isinstance(value, dt.datetime):
                return datetime_builder(year=value.year, month=value.month, day=value.day,
                                        hour=value.hour, minute=value.minute,
                                        second=value.second, microsecond=value.microsecond)
            if number_builder is not None and isinstance(value, float):
                return number_builder(value)
            if type(value) is int and value in COM_ERROR_TEXT:
                return COM_ERROR_TEXT[value] if err_to_str else None
            return value

        return [[clean(c) for c in row] for row in data]


class Apps(base_classes.Apps):
    def __init__(self, engine: Engine):
        self.engine = engine
        self.apps: list[App] = []

    def keys(self):
        return [a.pid for a in self.apps]

    def add(self, spec=None, add_book=None, xl=None, visible=None, flavour="windows"):
        app = App(self.engine, 4000 + len(self.apps), flavour)
        self.apps.insert(0, app)
        return app

    def __iter__(self):
        return iter(list(self.apps))

    def __len__(self):
        return len(self.apps)

    def __getitem__(self, pid):
        for app in self.apps:
            if app.pid == pid:
                return app
        raise KeyError(pid)


@dataclass
class Alert:
    prompt: str
    title: str | None
    buttons: str
    mode: str | None


class App(base_classes.App):
    def __init__(self, engine: Engine, pid: int, flavour: str = "windows"):
        self._engine = engine
        self._pid = pid
        self.flavour = flavour
        self._books = Books(self)
        self._screen_updating = True
        self._calculation = "automatic"
        self.alerts: list[Alert] = []
        self.log: list[tuple] = []  # ("read"|"write"|"format"|"clear", sheet, address) and
        # ("app", setting, value)
        self._selection: Range | None = None
        self.max_cells_per_read: int | None = None
        self.max_cells_per_write: int | None = None

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def api(self):
        return self

    @property
    def pid(self) -> int:
        return self._pid

    @property
    def version(self) -> str:
        return "16.0"

    @property
    def books(self) -> Books:
        return self._books

    @property
    def selection(self) -> Range | None:
        return self._selection

    def select(self, sheet: Sheet, address: str) -> None:
        self._selection = sheet.range(address)

    @property
    def screen_updating(self) -> bool:
        return self._screen_updating

    @screen_updating.setter
    def screen_updating(self, value: bool) -> None:
        self.log.append(("app", "screen_updating", value))
        self._screen_updating = value

    @property
    def calculation(self) -> str:
        return self._calculation

    @calculation.setter
    def calculation(self, value: str) -> None:
        self.log.append(("app", "calculation", value))
        self._calculation = value

    def alert(self, prompt, title, buttons, mode, callback):
        self.alerts.append(Alert(prompt, title, buttons, mode))
        return "ok"

    # --- what the tests ask --------------------------------------------------------------------

    def writes(self, sheet: str | None = None) -> list[tuple[str, str]]:
        return [(e[1], e[2]) for e in self.log
                if e[0] == "write" and (sheet is None or e[1] == sheet)]

    def reads(self) -> list[tuple[str, str]]:
        return [(e[1], e[2]) for e in self.log if e[0] == "read"]


class Books(base_classes.Books):
    def __init__(self, app: App):
        self.app = app
        self.books: list[Book] = []

    @property
    def api(self):
        return self

    @property
    def active(self) -> Book:
        return self.books[0]

    def __call__(self, name_or_index):
        if isinstance(name_or_index, int):
            return self.books[name_or_index - 1]
        for book in self.books:
            if book.name.casefold() == str(name_or_index).casefold():
                return book
        raise KeyError(name_or_index)

    def __len__(self):
        return len(self.books)

    def __iter__(self):
        return iter(list(self.books))

    def add(self, name: str = "Book1.xlsx", fullname: str | None = None,
            date1904: bool = False) -> Book:
        book = Book(self.app, name, fullname or name, date1904)
        self.books.insert(0, book)
        return book


class BookApi:
    """The native workbook: only what the button asks (COM's Date1904)."""

    def __init__(self, date1904: bool):
        self.Date1904 = date1904


class Book(base_classes.Book):
    def __init__(self, app: App, name: str, fullname: str, date1904: bool = False):
        self._app = app
        self._name = name
        self._fullname = fullname
        self._sheets = Sheets(self)
        self._names = Names(self)
        self._api = BookApi(date1904)

    @property
    def api(self):
        return self._api

    @property
    def name(self) -> str:
        return self._name

    @property
    def fullname(self) -> str:
        return self._fullname

    @property
    def sheets(self) -> Sheets:
        return self._sheets

    @property
    def app(self) -> App:
        return self._app

    @property
    def names(self) -> Names:
        return self._names

    def sheet(self, name: str) -> Sheet:
        return self._sheets(name)


class Sheets(base_classes.Sheets):
    def __init__(self, book: Book):
        self.book = book
        self.sheets: list[Sheet] = []
        self._active: Sheet | None = None

    @property
    def api(self):
        return self

    @property
    def active(self) -> Sheet:
        return self._active or self.sheets[0]

    def __call__(self, name_or_index):
        if isinstance(name_or_index, int):
            return self.sheets[name_or_index - 1]
        for sheet in self.sheets:
            if sheet.name.casefold() == str(name_or_index).casefold():
                return sheet
        raise KeyError(name_or_index)

    def __contains__(self, name):
        return any(s.name.casefold() == str(name).casefold() for s in self.sheets)

    def __len__(self):
        return len(self.sheets)

    def __iter__(self):
        return iter(list(self.sheets))

    def add(self, before=None, after=None, name=None):
        name = name or f"Sheet{len(self.sheets) + 1}"
        sheet = Sheet(self.book, name)
        if before is not None:
            self.sheets.insert(self.sheets.index(before), sheet)
        elif after is not None:
            self.sheets.insert(self.sheets.index(after) + 1, sheet)
        else:
            self.sheets.insert(0, sheet)
        self._active = sheet  # Excel activates a new sheet
        self.book.app.log.append(("add_sheet", name, ""))
        return sheet


Box = tuple[int, int, int, int]  # first row, first col, last row, last col


def parse_area(text: str) -> Box:
    text = text.replace("$", "").strip().upper()
    m = re.fullmatch(r"([A-Z]{1,3})?(\d+)?(?::([A-Z]{1,3})?(\d+)?)?", text)
    if m is None or not text:
        raise ValueError(f"{text!r} is not an address")
    c1, r1, c2, r2 = m.groups()
    if c1 and not r1:  # columns
        a, b = column_index(c1), column_index(c2 or c1)
        return 1, min(a, b), MAX_ROW, max(a, b)
    if r1 and not c1:  # rows
        a, b = int(r1), int(r2 or r1)
        return min(a, b), 1, max(a, b), MAX_COL
    a, b = (int(r1), column_index(c1))
    c, d = (int(r2), column_index(c2)) if c2 else (a, b)
    return min(a, c), min(b, d), max(a, c), max(b, d)


class Sheet(base_classes.Sheet):
    def __init__(self, book: Book, name: str):
        self._book = book
        self._name = name
        self.grid: dict[tuple[int, int], object] = {}
        self.formats: dict[tuple[int, int], str] = {}
        self.widths: dict[int, float] = {}
        self._tables = Tables(self)
        self.used: Box | None = None  # as loaded (formatted cells count too)

    @property
    def api(self):
        return self

    @property
    def name(self) -> str:
        return self._name

    @property
    def book(self) -> Book:
        return self._book

    @property
    def index(self) -> int:
        return self._book.sheets.sheets.index(self) + 1

    @property
    def tables(self) -> Tables:
        return self._tables

    @property
    def names(self) -> Names:
        return self._book.names  # sheet-scoped names are not needed here

    def range(self, arg1, arg2=None) -> Range:
        if isinstance(arg1, Range):
            box1 = arg1.areas[0]
        elif isinstance(arg1, tuple):
            if len(arg1) == 4:
                r, c, nr, nc = arg1
                return Range(self, [(r, c, r + nr - 1, c + nc - 1)])
            if 0 in arg1:
                raise IndexError("xlwings/Excel Ranges are 1-based")
            box1 = (arg1[0], arg1[1], arg1[0], arg1[1])
        elif isinstance(arg1, str):
            if arg2 is None and "," in arg1:
                return Range(self, [parse_area(a) for a in arg1.split(",")])
            box1 = self._named(arg1) or parse_area(arg1)
        else:
            raise TypeError(arg1)
        if arg2 is None:
            return Range(self, [box1])
        if isinstance(arg2, Range):
            box2 = arg2.areas[0]
        elif isinstance(arg2, tuple):
            box2 = (arg2[0], arg2[1], arg2[0], arg2[1])
        else:
            box2 = parse_area(arg2)
        return Range(self, [(min(box1[0], box2[0]), min(box1[1], box2[1]),
                             max(box1[2], box2[2]), max(box1[3], box2[3]))])

    def _named(self, text: str) -> Box | None:
        if self._book.names.contains(text):
            target = self._book.names(text).refers_to_range
            if target.sheet is self:
                return target.areas[0]
        return None

    @property
    def used_range(self) -> Range:
        keys = list(self.grid) + list(self.formats)
        boxes = [(r, c, r, c) for r, c in keys]
        if self.used is not None:
            boxes.append(self.used)
        if not boxes:
            return Range(self, [(1, 1, 1, 1)])
        return Range(self, [(min(b[0] for b in boxes), min(b[1] for b in boxes),
                             max(b[2] for b in boxes), max(b[3] for b in boxes))])

    # --- for tests ---------------------------------------------------------------------------

    def value(self, address: str) -> object:
        r, c, _, _ = parse_area(address)
        return self.grid.get((r, c))

    def set(self, address: str, value: object, number_format: str | None = None) -> None:
        r, c, _, _ = parse_area(address)
        if value is None:
            self.grid.pop((r, c), None)
        else:
            self.grid[(r, c)] = value
        if number_format:
            self.formats[(r, c)] = number_format


class Range(base_classes.Range):
    def __init__(self, sheet: Sheet, areas: list[Box]):
        self._sheet = sheet
        self.areas = areas
        self.options: dict = {}

    @property
    def api(self):
        return self

    @property
    def sheet(self) -> Sheet:
        return self._sheet

    @property
    def coords(self):
        r1, c1, r2, c2 = self.areas[0]
        return self._sheet, r1, c1, r2 - r1 + 1, c2 - c1 + 1

    def __len__(self):
        return sum((b[2] - b[0] + 1) * (b[3] - b[1] + 1) for b in self.areas)

    @property
    def row(self) -> int:
        return self.areas[0][0]

    @property
    def column(self) -> int:
        return self.areas[0][1]

    @property
    def shape(self) -> tuple[int, int]:
        r1, c1, r2, c2 = self.areas[0]
        return r2 - r1 + 1, c2 - c1 + 1

    def __call__(self, *args):
        r1, c1, r2, c2 = self.areas[0]
        if len(args) == 1:
            ncols = c2 - c1 + 1
            i = args[0] - 1
            row, col = r1 + i // ncols, c1 + i % ncols
        else:
            row, col = r1 + args[0] - 1, c1 + args[1] - 1
        return Range(self._sheet, [(row, col, row, col)])

    def _address(self, box: Box, row_abs=True, col_abs=True) -> str:
        r1, c1, r2, c2 = box
        rd, cd = ("$" if row_abs else ""), ("$" if col_abs else "")
        a = f"{cd}{column_letter(c1)}{rd}{r1}"
        b = f"{cd}{column_letter(c2)}{rd}{r2}"
        return a if (r1, c1) == (r2, c2) else f"{a}:{b}"

    @property
    def address(self) -> str:
        return ",".join(self._address(b) for b in self.areas)

    def get_address(self, row_absolute, col_absolute, external):
        text = ",".join(self._address(b, row_absolute, col_absolute) for b in self.areas)
        if external:
            return f"[{self._sheet.book.name}]{self._sheet.name}!{text}"
        return text

    @property
    def max_cells_per_read(self):
        return self._sheet.book.app.max_cells_per_read

    @property
    def max_cells_per_write(self):
        return self._sheet.book.app.max_cells_per_write

    def _cells(self) -> Iterable[tuple[int, int]]:
        r1, c1, r2, c2 = self.areas[0]
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                yield r, c

    def _raw(self, value: object) -> object:
        app = self._sheet.book.app
        if isinstance(value, XlError):
            if app.flavour == "windows":
                return COM_ERRORS.get(value.text, COM_ERRORS["#VALUE!"])
            return value.text if self.options.get("err_to_str") else None
        if app.flavour == "mac":
            if isinstance(value, Decimal):
                value = float(value)
            if isinstance(value, float) and value.is_integer():
                return int(value)
        return value

    @property
    def raw_value(self):
        self._sheet.book.app.log.append(("read", self._sheet.name, self.address))
        r1, c1, r2, c2 = self.areas[0]
        grid = tuple(tuple(self._raw(self._sheet.grid.get((r, c))) for c in range(c1, c2 + 1))
                     for r in range(r1, r2 + 1))
        if r1 == r2 and c1 == c2:
            return grid[0][0]
        return grid

    @raw_value.setter
    def raw_value(self, data):
        sheet = self._sheet
        sheet.book.app.log.append(("write", sheet.name, self.address))
        r1, c1, r2, c2 = self.areas[0]
        if not isinstance(data, (list, tuple)):
            data = [[data] * (c2 - c1 + 1) for _ in range(r2 - r1 + 1)]
        assert len(data) == r2 - r1 + 1 and all(len(row) == c2 - c1 + 1 for row in data), \
            f"{self.address}: {len(data)} rows for a range of shape {self.shape}"
        for i, row in enumerate(data):
            for j, value in enumerate(row):
                key = (r1 + i, c1 + j)
                stored = self._store(value)
                if stored is None:
                    sheet.grid.pop(key, None)
                else:
                    sheet.grid[key] = stored

    @staticmethod
    def _store(value: object) -> object:
        if value is None or value == "":
            return None
        if isinstance(value, str):
            return typed_entry(value)
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return float(value)
        if isinstance(value, dt.datetime):
            return value.replace(tzinfo=None)
        if isinstance(value, dt.date):
            return dt.datetime(value.year, value.month, value.day)
        return value

    def clear_contents(self):
        self._sheet.book.app.log.append(("clear", self._sheet.name, self.address))
        for key in list(self._cells()):
            self._sheet.grid.pop(key, None)

    @property
    def number_format(self):
        found = {self._sheet.formats.get(k, "General") for k in self._cells()}
        return found.pop() if len(found) == 1 else None

    @number_format.setter
    def number_format(self, value):
        self._sheet.book.app.log.append(("format", self._sheet.name, self.address))
        for key in self._cells():
            self._sheet.formats[key] = value

    @property
    def column_width(self):
        return self._sheet.widths.get(self.areas[0][1], 8.43)

    @column_width.setter
    def column_width(self, value):
        for c in range(self.areas[0][1], self.areas[0][3] + 1):
            self._sheet.widths[c] = value

    @property
    def merge_cells(self):
        return False

    def __repr__(self):
        return f"<memory range {self._sheet.name}!{self.address}>"


class Names(base_classes.Names):
    def __init__(self, book: Book):
        self.book = book
        self._store: dict[str, Name] = {}

    @property
    def api(self):
        return self

    def __call__(self, name_or_index):
        if isinstance(name_or_index, int):
            return list(self._store.values())[name_or_index - 1]
        return self._store[name_or_index.casefold()]

    def contains(self, name_or_index):
        return isinstance(name_or_index, str) and name_or_index.casefold() in self._store

    def snapshot(self):
        return [(n.name, n) for n in self._store.values()]

    def __len__(self):
        return len(self._store)

    def add(self, name, refers_to):
        item = Name(self.book, name, refers_to)
        self._store[name.casefold()] = item
        return item


class Name(base_classes.Name):
    def __init__(self, book: Book, name: str, refers_to: str):
        self.book = book
        self._name = name
        self._refers_to = refers_to if refers_to.startswith("=") else "=" + refers_to

    @property
    def api(self):
        return self

    @property
    def name(self) -> str:
        return self._name

    @property
    def refers_to(self) -> str:
        return self._refers_to

    @property
    def refers_to_range(self) -> Range:
        target = self._refers_to[1:]
        sheet_name, _, address = target.rpartition("!")
        sheet_name = sheet_name.strip("'").replace("''", "'")
        return self.book.sheets(sheet_name).range(address)


class Tables(base_classes.Tables):
    def __init__(self, sheet: Sheet):
        self.sheet = sheet
        self.tables: list[Table] = []

    @property
    def api(self):
        return self

    def __call__(self, key):
        if isinstance(key, int):
            return self.tables[key - 1]
        for t in self.tables:
            if t.name.casefold() == key.casefold():
                return t
        raise KeyError(key)

    def __len__(self):
        return len(self.tables)

    def __iter__(self):
        return iter(list(self.tables))

    def __contains__(self, key):
        return any(t.name.casefold() == key.casefold() for t in self.tables)

    def add(self, source_type=None, source=None, link_source=None, has_headers=None,
            destination=None, table_style_name=None, name=None):
        table = Table(self.sheet, name or f"Table{len(self.tables) + 1}",
                      source.impl.areas[0], totals=False)
        self.tables.append(table)
        self.sheet.book.app.log.append(("table", self.sheet.name, table.name))
        return table


class Table(base_classes.Table):
    def __init__(self, sheet: Sheet, name: str, box: Box, *, headers: bool = True,
                 totals: bool = False):
        self.sheet = sheet
        self._name = name
        self.box = box
        self.headers = headers
        self.totals = totals

    @property
    def api(self):
        return self

    @property
    def name(self) -> str:
        return self._name

    @property
    def parent(self) -> Sheet:
        return self.sheet

    @property
    def range(self) -> Range:
        return Range(self.sheet, [self.box])

    @property
    def show_headers(self) -> bool:
        return self.headers

    @property
    def show_totals(self) -> bool:
        return self.totals

    def resize(self, range):
        self.box = range.impl.areas[0]
        self.sheet.book.app.log.append(("table", self.sheet.name, self._name))


# --- registration and loading ---------------------------------------------------------------------

ENGINE = Engine()
if "memory" not in [e.name for e in xw.engines]:
    xw.engines.add(xw.Engine(impl=ENGINE))


def new_book(name: str = "Book1.xlsx", *, fullname: str | None = None, flavour: str = "windows",
             date1904: bool = False) -> xw.Book:
    """An empty workbook in a new in-memory Excel."""
    app = ENGINE.apps.add(flavour=flavour)
    return xw.Book(impl=app.books.add(name, fullname, date1904))


_CURRENCY = re.compile(r"[$€£¥]|\[\$")


def _from_openpyxl(cell: Any, flavour: str) -> object:
    value = cell.value
    if value is None:
        return None
    if cell.data_type == "e":
        return XlError(str(value))
    if isinstance(value, bool):
        return value
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, dt.time):
        return dt.datetime.combine(dt.date(1899, 12, 30), value)
    if isinstance(value, dt.timedelta):
        return dt.datetime(1899, 12, 30) + value
    if isinstance(value, (int, float)):
        if flavour == "windows" and _CURRENCY.search(cell.number_format or ""):
            return Decimal(repr(float(value))).quantize(Decimal("0.0001"), ROUND_HALF_EVEN)
        return float(value)
    if isinstance(value, str):
        return value or None
    return value


def load_xlsx(path: str | Path, *, flavour: str = "windows", name: str | None = None) -> xw.Book:
    """The workbook at ``path`` open in a new in-memory Excel, its cells as Excel would show them
    (cached formula results; date-formatted numbers as datetimes), with its tables and names."""
    import openpyxl

    path = Path(path)
    wb = openpyxl.load_workbook(path, data_only=True)
    book = new_book(name or path.name, fullname=str(path.resolve()), flavour=flavour,
                    date1904=wb.epoch.year == 1904)
    impl = book.impl
    for ws in wb.worksheets:
        sheet = impl.sheets.add(after=impl.sheets.sheets[-1] if impl.sheets.sheets else None,
                                name=ws.title)
        for row in ws.iter_rows():
            for cell in row:
                value = _from_openpyxl(cell, flavour)
                if value is not None:
                    sheet.grid[(cell.row, cell.column)] = value
                fmt = cell.number_format
                if fmt and fmt != "General":
                    sheet.formats[(cell.row, cell.column)] = fmt
        if ws.max_row and ws.max_column and (ws.max_row, ws.max_column) != (1, 1):
            sheet.used = (ws.min_row, ws.min_column, ws.max_row, ws.max_column)
        for table in ws.tables.values():
            r1, c1, r2, c2 = parse_area(table.ref)
            sheet.tables.tables.append(Table(
                sheet, table.displayName or table.name, (r1, c1, r2, c2),
                headers=(table.headerRowCount if table.headerRowCount is not None else 1) > 0,
                totals=bool(table.totalsRowCount)))
    for name_, defined in wb.defined_names.items():
        impl.names.add(name_, defined.attr_text)
    impl.sheets._active = impl.sheets.sheets[0] if impl.sheets.sheets else None
    impl.app.log.clear()
    return book


@dataclass
class MockCaller:
    """``with MockCaller(book):`` makes ``xw.Book.caller()`` return ``book``, then forgets it."""

    book: xw.Book
    previous: Any = field(default=None, init=False)

    def __enter__(self) -> xw.Book:
        self.previous = getattr(xw.Book, "_mock_caller", None)
        self.book.set_mock_caller()
        return self.book

    def __exit__(self, *exc) -> None:
        if self.previous is None:
            del xw.Book._mock_caller
        else:
            xw.Book._mock_caller = self.previous


def sheet_of(book: xw.Book, name: str) -> Sheet:
    return book.impl.sheets(name)


def app_of(book: xw.Book) -> App:
    return book.impl.app
