"""Builds a workbook that follows the contract: the empty template, or one filled from a Book.

Sheets, tables, headers and column kinds all come from :mod:`arsheets.workbook.schema`; this module
only decides how they look. Every data range is an Excel table; bookkeeper-owned headers are blue,
arsheets-owned ones grey with a comment saying so; choice columns get dropdowns; header rows are
frozen. Dates use Excel's built-in format 14 (the user's short-date format), money ``#,##0.00``,
rates ``0.00%``, day counts ``0.0``, ids ``@`` (text, so "001" stays "001" when typed).

The output is deterministic: fixed document properties and XlsxWriter's fixed zip timestamps, so two
builds of the same input are byte-identical.

``constant_memory=True`` streams rows to disk for very large books. XlsxWriter refuses
``add_table()`` in that mode (it writes the header cells itself, as shared strings, which a streamed
sheet cannot take); :func:`_add_table_streamed` registers the table while suppressing those
writes, and the headers are written as inline strings, in row order. Tables, formats and validations
come out identical to a normal build. Should a future XlsxWriter refuse even that, the range falls
back to a plain autofilter with a warning (the reader finds sheets by their header rows).
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import IO, Any

import xlsxwriter
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.utility import xl_range

from ..errors import ArsheetsError, Problem, Where
from ..model import DEFAULT_LADDER, Book, Customer, LadderStep
from ..money import parse_rate
from . import schema
from .schema import Kind, SheetSpec

SHEET_ORDER: tuple[str, ...] = (
    schema.INVOICES.name, schema.CUSTOMERS.name, schema.PAYMENTS.name, schema.ACTIVITY.name,
    schema.PLANS.name, schema.SCHEDULE_SHEET, schema.AGING_SHEET, schema.SETTINGS_SHEET,
)

# The four tables on the Settings sheet, and their top-left cells (row, column), zero-based: A1, E1,
# I1, N1. Column widths of the Settings sheet by column index.
SETTINGS_TABLE = "SettingsTable"
COLUMNS_TABLE = "ColumnsTable"
LADDER_TABLE = "LadderTable"
REFERENCE_RATES_TABLE = "ReferenceRatesTable"
SETTINGS_HEADERS = (*schema.SETTINGS_HEADERS, "Meaning")
SETTINGS_AT, COLUMNS_AT, LADDER_AT, RATES_AT = (0, 0), (0, 4), (0, 8), (0, 13)
SETTINGS_WIDTHS = {0: 22, 1: 32, 2: 62, 3: 3, 4: 12, 5: 22, 6: 18, 7: 3, 8: 7, 9: 20, 10: 10,
                   11: 20, 12: 3, 13: 12, 14: 15}

OWNED_NOTE = "arsheets fills this column on every refresh; typing here is overwritten"
SCHEDULE_NOTE = ("arsheets rebuilds this sheet from Plans on every refresh; "
                 "typing here is overwritten")
AGING_NOTE = "Run a refresh to fill this sheet"
TABLE_STYLE = "TableStyleLight1"
LAST_ROW = 1_048_575  # zero-based: validations and highlights cover rows typed below the table

# Fixed so that two builds are byte-identical (XlsxWriter would stamp the current time).
PROPERTIES = {
    "title": "Accounts receivable",
    "subject": "Invoices, customers, payments and collection activity",
    "author": "arsheets",
    "comments": "Built by arsheets. See the Settings sheet for what each setting means.",
    "created": datetime(2024, 1, 1, 0, 0, 0),
}

# Built-in number formats where Excel has one (14 = the user's locale short date). "General" is
# spelled out: XlsxWriter reads the integer 0 as format "0" (whole numbers), not as General.
NUM_FORMATS: dict[Kind, int | str] = {
    Kind.TEXT: "General", Kind.CHOICE: "General", Kind.ID: 49, Kind.LIST: 49,  # 49 = "@" (text)
    Kind.DATE: 14, Kind.MONEY: 4, Kind.INT: 1, Kind.DAYS: "0.0", Kind.RATE: 10,  # 4, 1, 10: see doc
}

_EXCEL_EPOCH = date(1899, 12, 30).toordinal()

SOFT_RED = {"bg_color": "#FFC7CE", "font_color": "#9C0006"}
AMBER = {"bg_color": "#FFEB9C", "font_color": "#9C5700"}
PROBLEM = {"bg_color": "#FCE4D6", "font_color": "#833C0B"}


# --- record -> cells -------------------------------------------------------------------------

def _policy_kind(customer: Customer) -> str | None:
    return customer.late_fee.kind.value if customer.late_fee is not None else None


# Getters for every input column, keyed by contract header. Owned columns stay blank: a refresh
# fills them.
GETTERS: dict[str, dict[str, Callable[[Any], object]]] = {
    schema.INVOICES.name: {
        "Invoice": lambda r: r.id, "Customer": lambda r: r.customer_id,
        "Invoice Date": lambda r: r.invoice_date, "Due Date": lambda r: r.due_date,
        "Amount": lambda r: r.amount, "Description": lambda r: r.description,
        "PO": lambda r: r.po, "Notes": lambda r: r.notes, "Hold": lambda r: r.hold,
        "Document": lambda r: r.document,
    },
    schema.CUSTOMERS.name: {
        "Customer": lambda r: r.id, "Name": lambda r: r.name, "Contact": lambda r: r.contact,
        "AP Contact": lambda r: r.ap_contact, "Email": lambda r: r.email,
        "Phone": lambda r: r.phone, "Address": lambda r: r.address, "Terms": lambda r: r.terms,
        "Credit Limit": lambda r: r.credit_limit, "Late Fee Policy": _policy_kind,
        "Channel": lambda r: r.channel, "Locale": lambda r: r.locale, "Notes": lambda r: r.notes,
    },
    schema.PAYMENTS.name: {
        "Date": lambda r: r.date, "Customer": lambda r: r.customer_id,
        "Invoice": lambda r: r.target, "Amount": lambda r: r.amount,
        "Method": lambda r: r.method, "Reference": lambda r: r.reference,
    },
    schema.ACTIVITY.name: {
        "Date": lambda r: r.date, "Customer": lambda r: r.customer_id,
        "Invoice": lambda r: r.invoice_ids, "Type": lambda r: r.type, "Stage": lambda r: r.stage,
        "Summary": lambda r: r.summary, "Promise Date": lambda r: r.promise_date,
        "Promise Amount": lambda r: r.promise_amount, "Document": lambda r: r.document,
    },
    schema.PLANS.name: {
        "Plan": lambda r: r.id, "Customer": lambda r: r.customer_id,
        "Invoices": lambda r: r.invoice_ids, "Start Date": lambda r: r.start_date,
        "Down Payment": lambda r: r.down_payment, "Installments": lambda r: r.installments,
        "Frequency": lambda r: r.frequency, "Annual Rate": lambda r: r.annual_rate,
        "First Due": lambda r: r.first_due, "Status": lambda r: r.status,
    },
}


def _records(book: Book | None, spec: SheetSpec) -> tuple:
    if book is None:
        return ()
    return {
        schema.INVOICES.name: book.invoices, schema.CUSTOMERS.name: book.customers,
        schema.PAYMENTS.name: book.payments, schema.ACTIVITY.name: book.activities,
        schema.PLANS.name: book.plans,
    }[spec.name]


def excel_serial(day: date) -> int:
    """A date as Excel's day number (1900 system): 2024-01-01 -> 45292."""
    return day.toordinal() - _EXCEL_EPOCH


def _cell_value(value: object, kind: Kind) -> str | float | None:
    """What goes in the cell: a str, a number (dates as serials), or None for blank."""
    if value is None:
        return None
    t = type(value)  # fast paths for the common exact types
    if t is str:
        return value or None
    if t is Decimal or t is int or t is float:
        return float(value)
    if t is date:
        return float(value.toordinal() - _EXCEL_EPOCH)
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, (tuple, list)):
        sep = ";" if kind is Kind.LIST else ", "
        value = sep.join(str(v) for v in value)
    if isinstance(value, str):
        return value or None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, date):  # datetime included: the day is what counts
        return float(excel_serial(value))
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    return str(value)


# --- the workbook --------------------------------------------------------------------------------

class _Styles:
    """Every format the workbook uses, created once (XlsxWriter dedupes them in styles.xml)."""

    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        header = {"bold": True, "text_wrap": True, "valign": "top", "bottom": 1,
                  "bottom_color": "#8EA9C1"}
        self.header_in = wb.add_format({**header, "bg_color": "#DDEBF7", "font_color": "#1F3864"})
        self.header_out = wb.add_format({**header, "bg_color": "#D9D9D9", "font_color": "#404040",
                                         "italic": True, "bottom_color": "#A6A6A6"})
        self.note = wb.add_format({"italic": True, "font_color": "#595959"})
        self._kinds: dict[tuple[Kind, bool], Any] = {}
        self._wb = wb
        self.soft_red = wb.add_format(SOFT_RED)
        self.amber = wb.add_format(AMBER)
        self.problem = wb.add_format(PROBLEM)

    def kind(self, kind: Kind, wrap: bool = False):
        key = (kind, wrap)
        if key not in self._kinds:
            props: dict[str, object] = {"valign": "top", "num_format": NUM_FORMATS[kind]}
            if wrap:
                props["text_wrap"] = True
            self._kinds[key] = self._wb.add_format(props)
        return self._kinds[key]


def _header_height(columns: Iterable[tuple[str, float]]) -> float:
    """Row height fitting each header word-wrapped in its column (about a char per width unit)."""
    lines = 1
    for name, width in columns:
        room = max(int(width) - 1, 4)
        count, used = 1, 0
        for word in name.split():
            need = len(word) if used == 0 else used + 1 + len(word)
            if need > room and used:
                count, used = count + 1, len(word)
            else:
                used = need
        lines = max(lines, count)
    return 15.0 * lines


class _Builder:
    def __init__(self, target: str | IO[bytes], constant_memory: bool) -> None:
        self.constant_memory = constant_memory
        options: dict[str, object] = {"constant_memory": constant_memory,
                                      "in_memory": not constant_memory,
                                      "strings_to_numbers": False, "strings_to_formulas": False,
                                      "strings_to_urls": False}
        self.wb = xlsxwriter.Workbook(target, options)
        self.wb.set_properties(dict(PROPERTIES))
        self.styles = _Styles(self.wb)

    # -- tables ------------------------------------------------------------------------------

    def add_table(self, ws, first_row: int, first_col: int, headers: list[str],
                  owned: list[bool], kinds: list[Kind], rows: int, name: str) -> None:
        """An Excel table over ``rows`` data rows (at least one: the reader skips blank rows).

        Call before writing any data row of the table, so that in constant_memory mode the header
        cells are streamed in order.
        """
        last_row = first_row + max(rows, 1)
        last_col = first_col + len(headers) - 1
        fmts = [self.styles.header_out if o else self.styles.header_in for o in owned]
        options = {
            "name": name, "style": TABLE_STYLE, "autofilter": True,
            "columns": [{"header": h, "header_format": f, "format": self.styles.kind(k)}
                        for h, f, k in zip(headers, fmts, kinds)],
        }
        if not self.constant_memory:
            rc = ws.add_table(first_row, first_col, last_row, last_col, options)
            if rc != 0:
                raise ValueError(f"XlsxWriter refused table {name} ({rc})")
            return
        rc = _add_table_streamed(ws, first_row, first_col, last_row, last_col, options)
        for offset, (header, fmt) in enumerate(zip(headers, fmts)):
            ws.write_string(first_row, first_col + offset, header, fmt)
        if rc != 0:
            warnings.warn(f"XlsxWriter refused table {name} in constant_memory mode; "
                          "the range gets a plain autofilter instead", stacklevel=3)
            ws.autofilter(first_row, first_col, last_row, last_col)

    def choice_validation(self, ws, first_row: int, col: int, last_row: int, label: str,
                          choices: Iterable[str], required: bool) -> None:
        choices = tuple(choices)
        listed = ", ".join(choices)
        blank = "" if required else " Leave it blank for none."
        ws.data_validation(first_row, col, last_row, col, {
            "validate": "list", "source": list(choices), "ignore_blank": True,
            "input_title": label[:32],
            "input_message": f"Choose from the list: {listed}.{blank}"[:255],
            "error_title": "Not one of the choices"[:32],
            "error_message": (f"{label} must be one of: {listed}.{blank} "
                              "Pick it from the dropdown.")[:255],
            "error_type": "stop",
        })

    # -- the data sheets ---------------------------------------------------------------------

    def data_sheet(self, spec: SheetSpec, records: tuple) -> None:
        ws = self.wb.add_worksheet(spec.name)
        cols = spec.columns
        for i, col in enumerate(cols):
            ws.set_column(i, i, col.width, self.styles.kind(col.kind, col.wrap))
        ws.set_row(0, _header_height((c.name, c.width) for c in cols))
        ws.freeze_panes(1, 0)
        self.add_table(ws, 0, 0, [c.name for c in cols], [c.owned for c in cols],
                       [c.kind for c in cols], len(records), spec.table)
        for i, col in enumerate(cols):
            if col.owned:
                ws.write_comment(0, i, OWNED_NOTE, {"author": "arsheets", "x_scale": 1.6,
                                                    "y_scale": 0.8})
            elif col.choices:
                self.choice_validation(ws, 1, i, LAST_ROW, col.name, col.choices, col.required)
        self._highlights(ws, spec)
        self._rows(ws, spec, records)

    def _rows(self, ws, spec: SheetSpec, records: tuple) -> None:
        getters = GETTERS[spec.name]
        plan = []
        for i, col in enumerate(spec.columns):
            if col.owned:
                continue
            get = getters[col.name]  # KeyError here: schema and GETTERS disagree
            plan.append((i, get, col.kind))
        write_string, write_number = ws.write_string, ws.write_number
        for row, record in enumerate(records, start=1):
            for i, get, kind in plan:
                value = _cell_value(get(record), kind)
                if value is None:
                    continue
                if isinstance(value, str):
                    write_string(row, i, value)
                else:
                    write_number(row, i, value)

    def _highlights(self, ws, spec: SheetSpec) -> None:
        names = [c.name for c in spec.columns]

        def where(name: str) -> int | None:
            return names.index(name) if name in names else None

        status = where("Status")
        if spec is schema.INVOICES and status is not None:
            ws.conditional_format(1, status, LAST_ROW, status, {
                "type": "cell", "criteria": "==", "value": '"Overdue"',
                "format": self.styles.soft_red})
        hold = where("Credit Hold")
        if hold is not None and spec.column("Credit Hold").owned:
            ws.conditional_format(1, hold, LAST_ROW, hold, {
                "type": "no_blanks", "format": self.styles.amber})
        problems = where("Problems")
        if problems is not None:
            ws.conditional_format(1, problems, LAST_ROW, problems, {
                "type": "no_blanks", "format": self.styles.problem})

    # -- the owned sheets --------------------------------------------------------------------

    def schedule_sheet(self) -> None:
        ws = self.wb.add_worksheet(schema.SCHEDULE_SHEET)
        ws.set_tab_color("#A6A6A6")
        headers = list(schema.SCHEDULE_HEADERS)
        kinds = list(schema.SCHEDULE_KINDS)
        for i, (header, kind) in enumerate(zip(headers, kinds)):
            ws.set_column(i, i, 11 if i else 10, self.styles.kind(kind))
        ws.set_row(0, 15)
        ws.freeze_panes(1, 0)
        self.add_table(ws, 0, 0, headers, [True] * len(headers), kinds, 0,
                       schema.SCHEDULE_TABLE)
        ws.write_comment(0, 0, SCHEDULE_NOTE, {"author": "arsheets", "x_scale": 1.6,
                                               "y_scale": 0.8})

    def aging_sheet(self) -> None:
        ws = self.wb.add_worksheet(schema.AGING_SHEET)
        ws.set_tab_color("#A6A6A6")
        ws.set_column(0, 0, 40)
        ws.write_string(0, 0, AGING_NOTE, self.styles.note)

    # -- Settings ----------------------------------------------------------------------------

    def settings_sheet(self, values: dict[str, object], ladder: tuple[LadderStep, ...],
                       rates: tuple[tuple[date, Decimal], ...]) -> None:
        ws = self.wb.add_worksheet(schema.SETTINGS_SHEET)
        for col, width in SETTINGS_WIDTHS.items():
            ws.set_column(col, col, width)
        ws.freeze_panes(1, 0)
        st = self.styles
        # Four tables side by side: collect the cells, then write them row by row, which
        # constant_memory mode requires.
        cells: list[tuple[int, int, object, Any]] = []
        tables = []

        # Key | Value | Meaning
        r0, c0 = SETTINGS_AT
        ws.set_column(c0 + 1, c0 + 1, SETTINGS_WIDTHS[c0 + 1], st.kind(Kind.ID, wrap=True))
        tables.append((r0, c0, list(SETTINGS_HEADERS), [Kind.TEXT, Kind.TEXT, Kind.TEXT],
                       len(schema.SETTINGS), SETTINGS_TABLE))
        for n, key in enumerate(schema.SETTINGS, start=1):
            value = values[key.key]
            cells.append((r0 + n, c0, key.key, None))
            # Text values are text-formatted, so that typing 2/10 (Early Discount) stays 2/10
            # instead of becoming the 10th of February.
            text = key.kind is Kind.TEXT
            cells.append((r0 + n, c0 + 1, _cell_value(value, key.kind),
                          st.kind(Kind.ID if text else key.kind, wrap=text)))
            cells.append((r0 + n, c0 + 2, key.meaning, None))
            if key.choices:
                self.choice_validation(ws, r0 + n, c0 + 1, r0 + n, key.key, key.choices, False)

        # Sheet | Header in workbook | Means (one blank row)
        r0, c0 = COLUMNS_AT
        tables.append((r0, c0, list(schema.COLUMNS_HEADERS), [Kind.TEXT] * 3, 0, COLUMNS_TABLE))
        self.choice_validation(ws, r0 + 1, c0, LAST_ROW, schema.COLUMNS_HEADERS[0],
                               [s.name for s in schema.DATA_SHEETS], True)

        # Days | Stage | Action | Template
        r0, c0 = LADDER_AT
        ladder_kinds = [Kind.INT, Kind.TEXT, Kind.CHOICE, Kind.TEXT]
        tables.append((r0, c0, list(schema.LADDER_HEADERS), ladder_kinds, len(ladder),
                       LADDER_TABLE))
        for n, step in enumerate(ladder, start=1):
            for k, value in enumerate((step.days, step.stage, step.action, step.template)):
                cells.append((r0 + n, c0 + k, _cell_value(value, ladder_kinds[k]),
                              st.kind(ladder_kinds[k])))
        self.choice_validation(ws, r0 + 1, c0 + 2, LAST_ROW, schema.LADDER_HEADERS[2],
                               schema.LADDER_ACTIONS, True)

        # Rate From | Reference Rate (optional, blank)
        r0, c0 = RATES_AT
        tables.append((r0, c0, list(schema.REFERENCE_RATES_HEADERS), [Kind.DATE, Kind.RATE],
                       len(rates), REFERENCE_RATES_TABLE))
        for n, (since, rate) in enumerate(rates, start=1):
            cells.append((r0 + n, c0, _cell_value(since, Kind.DATE), st.kind(Kind.DATE)))
            cells.append((r0 + n, c0 + 1, _cell_value(rate, Kind.RATE), st.kind(Kind.RATE)))

        height = max(_header_height(zip(t[2], (SETTINGS_WIDTHS[t[1] + i]
                                               for i in range(len(t[2]))))) for t in tables)
        ws.set_row(0, height)
        for r0, c0, headers, kinds, rows, name in tables:
            for i, kind in enumerate(kinds):
                if (r0, c0) != SETTINGS_AT:
                    ws.set_column(c0 + i, c0 + i, SETTINGS_WIDTHS[c0 + i], st.kind(kind))
            self.add_table(ws, r0, c0, headers, [False] * len(headers), kinds, rows, name)
        for row, col, value, fmt in sorted(cells, key=lambda c: (c[0], c[1])):
            if value is None:
                if fmt is not None:
                    ws.write_blank(row, col, None, fmt)
            elif isinstance(value, str):
                ws.write_string(row, col, value, fmt)
            else:
                ws.write_number(row, col, value, fmt)

    def close(self) -> None:
        self.wb.close()


def _add_table_streamed(ws, first_row, first_col, last_row, last_col, options) -> int:
    """``add_table()`` on a constant_memory worksheet, minus the header cells it would write.

    XlsxWriter refuses tables in constant_memory mode because add_table() writes the header
    cells itself, as shared-string indexes that a streamed sheet would emit as inline text. The
    table record itself (range, columns, dxf formats, autofilter) does not depend on the mode, so:
    lift the guard, swallow add_table's own cell writes, and let the caller write the headers.
    The table is registered over one data row and then given its real range: add_table() keeps
    a map entry per covered cell for its overlap check, which for a million rows would cost more
    memory than constant_memory saves.
    """
    if not hasattr(ws, "_write_string") or "data" in options:
        return -3
    saved = ws.constant_memory
    ws.constant_memory = False
    ws._write_string = lambda *args, **kwargs: 0  # instance attribute shadows the method
    try:
        rc = ws.add_table(first_row, first_col, first_row + 1, last_col, options)
        if rc == 0 and last_row > first_row + 1:
            table = ws.tables[-1]
            if not {"range", "a_range"} <= table.keys():
                raise KeyError("range")
            full = xl_range(first_row, first_col, last_row, last_col)
            table["range"] = table["a_range"] = full
            if table.get("autofilter"):
                table["autofilter"] = full
        return rc
    except Exception:  # an XlsxWriter that changed underneath: fall back to an autofilter
        if ws.tables and ws.tables[-1].get("name") == options.get("name"):
            ws.tables.pop()
        return -3
    finally:
        del ws._write_string
        ws.constant_memory = saved


# --- settings values -----------------------------------------------------------------------------

def _typed(key: schema.SettingKey, value: object) -> object:
    """A setting value as the cell holds it: text typed as a number, rate or date becomes one."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text:
        return None
    try:
        if key.kind is Kind.INT and re.fullmatch(r"-?\d+", text):
            return int(text)
        if key.kind is Kind.MONEY and re.fullmatch(r"-?\d+(\.\d+)?", text):
            return Decimal(text)
        if key.kind is Kind.RATE:
            return parse_rate(text)
        if key.kind is Kind.DATE:
            return date.fromisoformat(text)
    except ValueError:
        pass
    return value


def settings_values(overrides: Mapping[str, object] | None = None) -> dict[str, object]:
    """Every Settings key with its default, ``overrides`` applied (keys matched like headers)."""
    by_norm = {schema.normalize_header(k.key): k for k in schema.SETTINGS}
    values = {k.key: _typed(k, k.default) for k in schema.SETTINGS}
    for name, value in (overrides or {}).items():
        key = by_norm.get(schema.normalize_header(name))
        if key is None:
            raise ValueError(f"{name!r} is not a setting; the settings are: "
                             + ", ".join(k.key for k in schema.SETTINGS))
        values[key.key] = _typed(key, value)
    return values


# --- entry point ---------------------------------------------------------------------------------

def build_workbook(path: str | os.PathLike[str] | IO[bytes], book: Book | None = None,
                   settings: Mapping[str, object] | None = None, *,
                   constant_memory: bool = False) -> None:
    """Write a contract workbook to ``path`` (a file path or a binary file object).

    Without ``book`` it is the empty template: each table holds one blank row. With ``book`` its
    customers, invoices, payments, activities and plans fill the tables (input columns only; a
    refresh fills the rest), and its ladder and reference-rate history fill the Settings sheet.
    ``settings`` overrides Settings values by key (see ``schema.SETTINGS``); values are written as
    typed: numbers, rates (as fractions, shown as %), money and dates as such, lists joined by ", ".
    ``constant_memory`` streams rows to disk for very large books (see the module docstring).
    """
    values = settings_values(settings)
    ladder = book.settings.ladder if book is not None else DEFAULT_LADDER
    rates = book.settings.reference_rates if book is not None else ()
    if isinstance(path, (str, os.PathLike)):
        # Built beside the target and renamed over it, so a failed build leaves no half file.
        final = Path(path)
        tmp = str(final.with_name(f".{final.name}.{os.getpid()}.tmp"))
        try:
            _build(tmp, book, values, ladder, rates, constant_memory)
            os.replace(tmp, final)
        except FileCreateError as exc:
            raise ArsheetsError(Problem(Where(), f"{final.name}: cannot be written ({exc})",
                                        "close it in Excel and check the folder is writable")) \
                from None
        except PermissionError as exc:
            raise ArsheetsError(Problem(Where(), f"{final.name}: cannot be written "
                                        f"({exc.strerror or exc})",
                                        "close it in Excel and check the folder is writable")) \
                from None
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    else:
        _build(path, book, values, ladder, rates, constant_memory)


def _build(target, book, values, ladder, rates, constant_memory) -> None:
    builder = _Builder(target, constant_memory)
    try:
        for spec in schema.DATA_SHEETS:
            builder.data_sheet(spec, tuple(_records(book, spec)))
        builder.schedule_sheet()
        builder.aging_sheet()
        builder.settings_sheet(values, tuple(ladder), tuple(rates))
    except BaseException:
        try:
            builder.close()  # releases constant_memory temp files; the output is discarded
        except Exception:
            pass
        raise
    builder.close()


__all__ = [
    "build_workbook", "settings_values", "excel_serial", "SHEET_ORDER", "SETTINGS_TABLE",
    "COLUMNS_TABLE", "LADDER_TABLE", "REFERENCE_RATES_TABLE", "OWNED_NOTE", "SCHEDULE_NOTE",
    "AGING_NOTE",
]
