"""Cell values -> typed records, every problem with its cell address.

The reader's rule: a row with a problem is left out of every figure until it is fixed, and its Problems
cell says why. The one exception is a payment naming an invoice or plan that can't take it: the money
was received, so it stays in, placed oldest first, and the problem says so. Structural problems (a missing sheet or header) are collected by the caller and raised
together before anything is written; row problems are returned as values.

Sheets are read in dependency order (Customers, Invoices, Plans, Payments, Activity) so a row that
names another row can be checked against it as it is read: an unknown or left-out customer (or, for
an invoice or activity, plan) leaves the naming row out too, with a problem that says which row to fix
first.
"""

from __future__ import annotations

import bisect
import itertools
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel import Locale, UnknownLocaleError

from .. import model
from ..model import fast_constructor
from ..errors import Problem, Where, column_letter
from ..money import CENT, parse_rate
from .amounts import parse_money
from . import schema
from .dates import EXAMPLE, NotADate, parse_date_text
from .package import TableInfo
from .scan import (
    ANY, DATE, MONEY, TEXT, CellRange, SheetSource, serial_to_date, typed_from_rows,
)
from .values import NO_VALUE, CellError, Value

HEADER_SEARCH_ROWS = 30
PROGRESS_EVERY = 10_000

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class SheetLayout:
    name: str  # the sheet's actual name in the workbook
    header_row: int
    columns: Mapping[str, int]  # contract header (schema name) -> 1-based column, for headers present
    last_column: int  # last used column (missing owned columns get added after it)
    rows: tuple[int, ...]  # every data row, ascending (rows with any input cell filled)
    part: str | None  # worksheet part in the package (None for non-file sources)
    table: TableInfo | None  # the Excel table holding the data, if any
    headers: Mapping[str, str] = field(default_factory=dict)  # contract header -> text as typed


# --- showing values in messages ------------------------------------------------------------------


def shown(value: Value) -> str:
    """A cell value as a message quotes it: ``'abc'``, ``30.5``, ``2024-03-15``, ``TRUE``."""
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:39] + "…"
        return f"'{text}'"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, Decimal):
        return plain_number(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def plain_number(value: Decimal) -> str:
    """``Decimal('30')`` -> ``'30'``, ``Decimal('1E+3')`` -> ``'1000'``, never an exponent or ``.0``."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def quote(text: str) -> str:
    return f"'{text}'"


def listing(items: Iterable[str], limit: int = 12) -> str:
    items = list(items)
    if len(items) > limit:
        items = items[:limit] + ["…"]
    return ", ".join(items)


# --- converters: a cell value -> a typed value, None for blank, or Bad ---------------------------------


class Bad(Exception):
    """A value that cannot be used. ``{header}`` in the message is replaced by the column's header."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint


def special(value: Value) -> Bad:
    """The problem for a value no column accepts: an error, an unsaved formula, an odd type."""
    if isinstance(value, CellError):
        return Bad(f"{{header}} is {value.code}", "fix the formula, or type the value")
    if value is NO_VALUE:
        return Bad("{header} has a formula with no saved result",
                   "open the workbook in Excel and save it")
    return Bad(f"{shown(value)} cannot be used here")


def to_text(value: Value) -> str | None:
    t = type(value)
    if t is str:
        return value.strip() or None  # type: ignore[union-attr]
    if t is Decimal:
        return plain_number(value)  # type: ignore[arg-type]
    if t is date:
        return value.isoformat()  # type: ignore[union-attr]
    if t is bool:
        return "TRUE" if value else "FALSE"
    if value is None:
        return None
    raise special(value)


def to_id(value: Value) -> str | None:
    """Ids stay as typed ('001' stays '001'); numbers become whole numbers without '.0'. As
    :func:`to_text`, except that TRUE or FALSE is no id."""
    if type(value) is bool:
        raise Bad(f"{shown(value)} is not an id", "type the id as text")
    return to_text(value)


class Converters:
    """The converters that depend on the workbook: its locale, currency and date system."""

    def __init__(self, locale: str = "en_US", currency: str = "USD", date1904: bool = False):
        self.locale = locale
        self.currency = currency
        self.date1904 = date1904

    def date(self, value: Value) -> date | None:
        t = type(value)
        if t is date:
            return value  # type: ignore[return-value]
        if t is str:
            text = value.strip()  # type: ignore[union-attr]
            if not text:
                return None
            try:
                return parse_date_text(text, self.locale)
            except NotADate as exc:
                raise Bad(str(exc), exc.hint) from None
        if t is Decimal:
            found = serial_to_date(value, self.date1904)  # type: ignore[arg-type]
            if found is None:
                raise Bad(f"{shown(value)} is not a date", f"type it as {EXAMPLE}")
            return found
        if t is bool:
            raise Bad(f"{shown(value)} is not a date", f"type it as {EXAMPLE}")
        raise special(value)

    def money(self, value: Value) -> Decimal | None:
        t = type(value)
        if t is Decimal:
            try:
                return value.quantize(CENT, ROUND_HALF_UP)  # type: ignore[union-attr]
            except InvalidOperation:
                raise Bad(f"{shown(value)} is too large to be an amount") from None
        if t is str:
            text = value.strip()  # type: ignore[union-attr]
            if not text:
                return None
            try:
                return parse_money(text, locale=self.locale, currency=self.currency)
            except (ValueError, ArithmeticError) as exc:
                reason = str(exc) or "is not an amount"
                if reason.startswith("is in "):
                    hint = f"convert it to {self.currency}, or change Currency in Settings"
                elif "more than one way" in reason:
                    hint = "type it without thousands separators, like 1234.56"
                else:
                    hint = "type it like 1234.56"
                raise Bad(f"{quote(text)} {reason}", hint) from None
        if t is date:
            raise Bad(f"{shown(value)} is a date, not an amount", "format the cell as a number")
        if t is bool:
            raise Bad(f"{shown(value)} is not an amount", "type it like 1234.56")
        raise special(value)


_WHOLE = re.compile(r"[+-]?\d+(?:\.0*)?")
# Every whole-number column counts days or installments: a hundred years of days is past any
# real value, and bounding it keeps date arithmetic from overflowing on a typo like 1e9.
MOST_WHOLE = 36_500


def to_int(value: Value, *, negative: bool = False, example: str = "30") -> int | None:
    t = type(value)
    if t is str:
        text = value.strip()  # type: ignore[union-attr]
        if not text:
            return None
        if not _WHOLE.fullmatch(text):
            raise Bad(f"{quote(text)} is not a whole number", f"type it like {example}")
        number = int(Decimal(text))
    elif t is Decimal:
        if value != value.to_integral_value():  # type: ignore[union-attr]
            raise Bad(f"{shown(value)} is not a whole number", f"type it like {example}")
        number = int(value)  # type: ignore[arg-type]
    elif t is bool or t is date:
        raise Bad(f"{shown(value)} is not a whole number", f"type it like {example}")
    else:
        raise special(value)
    if number < 0 and not negative:
        raise Bad(f"{shown(value)} cannot be negative")
    if abs(number) > MOST_WHOLE:
        raise Bad(f"{shown(value)} is too large", f"type a number up to {MOST_WHOLE:,}")
    return number


def to_rate(value: Value) -> Decimal | None:
    t = type(value)
    if t is str and not value.strip():  # type: ignore[union-attr]
        return None
    if t is CellError or value is NO_VALUE:
        raise special(value)
    if t is date:
        raise Bad(f"{shown(value)} is not a rate", "type it like 5% or 1.5%")
    try:
        rate = parse_rate(value.strip() if t is str else value)  # type: ignore[union-attr]
    except ValueError as exc:
        raise Bad(f"{shown(value)} {exc}") from None
    if rate < 0:
        raise Bad(f"{shown(value)} cannot be negative")
    return rate


def to_list(value: Value) -> tuple[str, ...] | None:
    """A ';' separated list of ids; blanks dropped, repeats dropped, order kept."""
    if type(value) is not str:
        one = to_id(value)
        return (one,) if one else None
    items: list[str] = []
    for part in value.split(";"):  # type: ignore[union-attr]
        part = part.strip()
        if part and part not in items:
            items.append(part)
    return tuple(items) or None


def choice(name: str, choices: Sequence[str], required: bool = False) -> Callable[[Value], str | None]:
    """Case- and space-insensitive to the canonical spelling."""
    table = {schema.normalize_header(c): c for c in choices}
    hint = f"use one of {', '.join(choices)}" + ("" if required else ", or leave it blank")

    def convert(value: Value) -> str | None:
        t = type(value)
        if t is str:
            text = value.strip()  # type: ignore[union-attr]
            if not text:
                return None
            found = table.get(schema.normalize_header(text))
            if found is None:
                raise Bad(f"{quote(text)} is not a {name}", hint)
            return found
        if t is CellError or value is NO_VALUE:
            raise special(value)
        raise Bad(f"{shown(value)} is not a {name}", hint)

    return convert


def to_locale(value: Value) -> str | None:
    text = to_text(value)
    if text is None:
        return None
    try:
        return str(Locale.parse(text.replace("-", "_")))
    except (ValueError, TypeError, UnknownLocaleError):
        raise Bad(f"{quote(text)} is not a locale",
                  "type one like en_US, en_GB, de_DE or fr_FR, or leave it blank") from None


# --- late fee policies ---------------------------------------------------------------------------------

_POLICY_PATTERNS = sorted(
    ((kind, re.compile(r"\s*" + r"\s*".join(re.escape(w) for w in kind.value.split())
                       + r"(?![^\W\d_])\s*:?\s*(.*)", re.IGNORECASE | re.DOTALL))
     for kind in model.FeeKind),
    key=lambda kp: len(kp[0].value), reverse=True)

RATE_POLICIES = (model.FeeKind.PERCENT_ONCE, model.FeeKind.MONTHLY_RATE, model.FeeKind.ANNUAL_RATE)
STATUTORY_POLICIES = (model.FeeKind.UK_STATUTORY, model.FeeKind.EU_STATUTORY)


def split_policy(text: str) -> tuple[model.FeeKind, str] | None:
    """``'Monthly Rate 2%'`` -> ``(FeeKind.MONTHLY_RATE, '2%')``; None when no policy name leads."""
    for kind, pattern in _POLICY_PATTERNS:
        m = pattern.fullmatch(text)
        if m:
            return kind, m.group(1).strip()
    return None


def customer_policy(value: Value, settings: model.Settings, conv: Converters
                    ) -> model.FeePolicy | None:
    """A customer's own Late Fee Policy: a policy name, optionally with its own rate or amount
    (``Monthly Rate 2%``, ``Flat 25``); the rest comes from Settings."""
    text = to_text(value) if type(value) is not str else value.strip()  # type: ignore[union-attr]
    if not text:
        return None
    found = split_policy(text)
    names = ", ".join(k.value for k in model.FeeKind)
    if found is None:
        raise Bad(f"{quote(text)} is not a Late Fee Policy",
                  f"use one of {names}, optionally with a rate or amount like Monthly Rate 1.5% "
                  "or Flat 25, or leave it blank")
    kind, rest = found
    base = settings.late_fee
    rate, amount = base.rate, base.amount
    if kind is model.FeeKind.FLAT:
        if rest:
            try:
                amount = parse_money(rest, locale=conv.locale, currency=conv.currency)
            except ValueError as exc:
                raise Bad(f"{quote(text)}: {quote(rest)} {exc}",
                          "type it like Flat 25") from None
            if amount <= 0:
                raise Bad(f"{quote(text)}: the amount must be more than 0",
                          "type it like Flat 25")
        if amount is None:
            raise Bad(f"{quote(text)} needs an amount",
                      "type it like Flat 25, or set Late Fee Amount in Settings")
    elif kind in RATE_POLICIES:
        if rest:
            try:
                rate = parse_rate(rest)
            except ValueError as exc:
                raise Bad(f"{quote(text)}: {quote(rest)} {exc}") from None
            if rate <= 0:
                raise Bad(f"{quote(text)}: the rate must be more than 0",
                          f"type it like {kind.value} 1.5%")
        if rate is None:
            raise Bad(f"{quote(text)} needs a rate",
                      f"type it like {kind.value} 1.5%, or set Late Fee Rate in Settings")
    elif rest:
        what = ("takes no rate of its own; set Reference Rate in Settings"
                if kind in STATUTORY_POLICIES else "takes no rate or amount")
        raise Bad(f"{quote(text)}: {kind.value} {what}",
                  f"type just {kind.value}")
    if kind in STATUTORY_POLICIES and settings.reference_rate is None \
            and not settings.reference_rates:
        raise Bad(f"{quote(text)} needs a Reference Rate",
                  "set Reference Rate in Settings, or add a Rate From | Reference Rate table")
    return model.FeePolicy(kind, rate, amount, base.grace_days, base.minimum, base.maximum)


# --- finding the header row ------------------------------------------------------------------------------


def _header_text(value: Value) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, Decimal):
        return plain_number(value)
    if isinstance(value, date):
        return value.isoformat()
    return None


def find_layout(src: SheetSource, spec: schema.SheetSpec, aliases: Mapping[str, str],
                alias_text: Mapping[str, str] | None = None, optional: bool = False
                ) -> tuple[SheetLayout | None, list[Problem]]:
    """Find the header row and map its headers to contract columns.

    ``aliases`` maps a normalised workbook header to a contract header (Settings' Columns table);
    ``alias_text`` the contract header to the workbook header as typed there, for hints. Returns the
    layout (its ``rows`` still empty) or the structural problems. An ``optional`` sheet that is
    completely empty gives neither.
    """
    contract = {schema.normalize_header(c.name): c.name for c in spec.columns}
    required = [c.name for c in spec.inputs if c.required]
    tables = [t for t in src.tables if t.header_rows >= 1 and t.ref]
    table_rows: dict[int, TableInfo] = {}
    for t in tables:
        try:
            table_rows.setdefault(CellRange.parse(t.ref).first_row, t)
        except ValueError:
            continue
    depth = max([HEADER_SEARCH_ROWS, *table_rows])
    head = src.head(depth)
    name = src.name

    def matches(cells: Mapping[int, Value]) -> dict[str, list[tuple[int, str, bool]]]:
        found: dict[str, list[tuple[int, str, bool]]] = {}
        for col in sorted(cells):
            text = _header_text(cells[col])
            if text is None:
                continue
            key = schema.normalize_header(text)
            if key in aliases:
                found.setdefault(aliases[key], []).append((col, text, True))
            elif key in contract:
                found.setdefault(contract[key], []).append((col, text, False))
        return found

    def score(found: Mapping[str, list]) -> tuple[int, int]:
        return sum(1 for r in required if r in found), len(found)

    best: tuple[tuple[int, int], int, TableInfo | None, dict] | None = None
    for row, cells in head:  # tables first: a table whose header holds the required headers
        table = table_rows.get(row)
        if table is None:
            continue
        found = matches(cells)
        s = score(found)
        if s[0] > 0 and (best is None or s > best[0]):
            best = (s, row, table, found)
    if best is None:
        for row, cells in head:
            if row > HEADER_SEARCH_ROWS:
                break
            found = matches(cells)
            s = score(found)
            if s[1] > 0 and (best is None or s > best[0]):
                best = (s, row, None, found)
    where = Where(name)
    if best is None:
        wanted = ", ".join(required)
        if not head:
            if optional:
                return None, []
            return None, [Problem(where, "the sheet is empty",
                                  f"add a header row with {wanted}, or see arsheets init")]
        return None, [Problem(where, f"has no header row in its first {HEADER_SEARCH_ROWS} rows",
                              f"put the headers {wanted} in one row above the data")]
    _, header_row, table, found = best
    problems: list[Problem] = []
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    for contract_name, cols in found.items():
        aliased = [c for c in cols if c[2]]
        use = aliased or cols
        first_col, first_text, _ = use[0]
        for col, text, _ in use[1:]:  # the same header twice (one alias per contract header)
            problems.append(Problem(Where(name, header_row, col),
                                    f"{quote(text)} is also in column {column_letter(first_col)}",
                                    "rename or remove one of them"))
        columns[contract_name] = first_col
        headers[contract_name] = first_text
    for col in spec.inputs:
        if col.required and col.name not in columns:
            hint = "add it, or map your header in Settings' Columns table"
            mapped = (alias_text or {}).get(col.name)
            if mapped:
                hint = (f"Settings' Columns table maps {quote(mapped)} to it, but row {header_row} "
                        f"has no {quote(mapped)}; fix the header or the Columns table")
            problems.append(Problem(where, f"no {quote(col.name)} column in the header row "
                                    f"{header_row}", hint))
    if problems:
        return None, problems
    last = max([src.last_column, *columns.values()])
    return SheetLayout(name, header_row, columns, last, (), src.part, table, headers), []


# --- reading rows -------------------------------------------------------------------------------------

def _totals_rows(table: TableInfo | None) -> range | None:
    """The rows of an Excel table's totals row(s), which hold sums, not data."""
    if table is None or not getattr(table, "totals_rows", 0):
        return None
    try:
        last = CellRange.parse(table.ref).last_row
    except ValueError:
        return None
    return range(last - table.totals_rows + 1, last + 1)


def _batched(rows: Iterable, size: int = 4096) -> Iterable[list]:
    batch: list = []
    for item in rows:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class RowProblems:
    """Collects one row's problems; ``problems("Amount", "...")`` addresses the Amount cell."""

    __slots__ = ("sheet", "columns", "row", "probs", "notes")

    def __init__(self, sheet: str, columns: Mapping[str, int]):
        self.sheet = sheet
        self.columns = columns
        self.row = 0
        self.probs: list[Problem] = []
        self.notes: list[Problem] = []  # problems that leave the row in (shown all the same)

    def __call__(self, field_name: str, message: str, hint: str = "") -> None:
        self.probs.append(Problem(Where(self.sheet, self.row, self.columns.get(field_name)),
                                  message, hint))

    def __bool__(self) -> bool:
        return bool(self.probs)


@dataclass
class SheetRows:
    """What one sheet's rows gave: records by row, problems by row, every data row."""

    layout: SheetLayout
    records: dict[int, object] = field(default_factory=dict)
    problems: dict[int, list[Problem]] = field(default_factory=dict)  # rows left out
    notes: dict[int, list[Problem]] = field(default_factory=dict)  # rows kept, with a problem
    rows: list[int] = field(default_factory=list)
    first: dict[str, int] = field(default_factory=dict)  # key id -> its first row

    def ok(self, row: int) -> bool:
        return row not in self.problems

    def all_problems(self) -> list[Problem]:
        out: list[Problem] = []
        for row in sorted({*self.problems, *self.notes}):
            found = [*self.problems.get(row, ()), *self.notes.get(row, ())]
            out.extend(sorted(found, key=lambda p: p.where.column or 0))
        return out

    def final_records(self) -> list:
        """The records of the rows without problems, in row order."""
        problems = self.problems
        if not problems:
            return list(self.records.values())
        return [rec for row, rec in self.records.items() if row not in problems]


class BookReader:
    """Reads the data sheets of one workbook in dependency order."""

    def __init__(self, settings: model.Settings, conv: Converters,
                 progress: Progress | None = None):
        self.settings = settings
        self.conv = conv
        self.progress = progress
        self.sheets: dict[str, SheetRows] = {}
        self._folded: dict[str, dict[str, str]] = {}

    # --- the generic row loop ------------------------------------------------------------------------

    def _kind_conv(self, col: schema.Column) -> Callable[[Value], object]:
        kind = col.kind
        if kind is schema.Kind.ID:
            return to_id
        if kind is schema.Kind.DATE:
            return self.conv.date
        if kind is schema.Kind.MONEY:
            return self.conv.money
        if kind is schema.Kind.INT:
            return to_int
        if kind is schema.Kind.RATE:
            return to_rate
        if kind is schema.Kind.CHOICE:
            return choice(col.name, col.choices, col.required)
        if kind is schema.Kind.LIST:
            return to_list
        return to_text

    def read_sheet(self, src: SheetSource, spec: schema.SheetSpec, layout: SheetLayout,
                   build: Callable[[int, list, RowProblems, bool], object | None],
                   special_conv: Mapping[str, Callable[[Value], object]] | None = None,
                   first: dict[str, int] | None = None) -> SheetRows:
        """The row loop: convert each input cell, note blank required cells, then let ``build``
        check across cells and sheets and make the record.

        A row's values come as a list in the order of ``spec.inputs`` (None where blank or absent);
        ``first`` is the dict ``build`` fills with each key's first row.
        """
        out = SheetRows(layout, first=first if first is not None else {})
        self.sheets[spec.name] = out
        special_conv = special_conv or {}
        name = layout.name
        problems = out.problems
        records = out.records
        data_rows = out.rows
        progress = self.progress
        date_conv, money_conv = self.conv.date, self.conv.money
        # the plan for the scanner: each present input column's index in the row list, and what to
        # finish while scanning (text stripped, dates, money rounded); the rest comes back raw
        plan: dict[int, tuple[int, int]] = {}
        slow: dict[int, tuple[Callable, str, int, str]] = {}  # index -> (converter, header, col, name)
        required: list[tuple[int, int, str, bool]] = []
        fields: list[tuple[str, int, Callable, str]] = []  # (name, col, converter, header)
        for i, column in enumerate(spec.inputs):
            col = layout.columns.get(column.name)
            if col is None:
                continue
            conv = special_conv.get(column.name) or self._kind_conv(column)
            header = layout.headers.get(column.name, column.name)
            hint = ANY
            if conv is to_text or conv is to_id:
                hint = TEXT
            elif conv == date_conv:
                hint = DATE
            elif conv == money_conv:
                hint = MONEY
            plan[col] = (i, hint)
            slow[i] = (conv, header, col, column.name)
            fields.append((column.name, col, conv, header))
            if column.required:
                required.append((i, col, header, column.name == spec.key))
        width = len(spec.inputs)
        # "is any required value None?", as one generated expression: `None in tuple` would compare
        # each value with None, and Decimal's == None goes through a slow abstract-class check
        test = " or ".join(f"v[{r[0]}] is None" for r in required) or "False"
        missing_required = eval(f"lambda v: {test}")  # noqa: S307 - built from int indexes
        collector = RowProblems(name, layout.columns)
        count = 0
        last = 0
        ordered = True
        batches = getattr(src, "typed_batches", None)
        scan = batches(plan, width, layout.header_row + 1) if batches is not None \
            else _batched(typed_from_rows(src, plan, width, layout.header_row + 1))
        totals = _totals_rows(layout.table)
        for row, vals, raw in itertools.chain.from_iterable(scan):
            if totals and row in totals:
                continue  # the Excel table's totals row
            bad: list[Problem] | None = None
            failed: set[int] | tuple = ()
            if raw is not None:
                for i, v in raw.items():
                    conv, header, col, _ = slow[i]
                    try:
                        vals[i] = conv(v)
                    except Bad as exc:
                        if bad is None:
                            bad = []
                            failed = set()
                        bad.append(Problem(Where(name, row, col),
                                           exc.message.replace("{header}", header), exc.hint))
                        failed.add(i)  # type: ignore[union-attr]
                if bad is None and vals.count(None) == width:
                    continue  # only blanks after all (spaces, empty lists)
            data_rows.append(row)
            if row <= last:
                ordered = False
            last = row
            count += 1
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(f"Reading {name}", count)
            if missing_required(vals):
                for i, col, header, is_key in required:
                    if vals[i] is None and i not in failed:
                        if bad is None:
                            bad = []
                        bad.append(Problem(Where(name, row, col), f"{header} is blank",
                                           "every row needs one; fill it in, or clear the row"
                                           if is_key else "fill it in, or clear the row"))
            if bad is None:
                collector.probs, collector.notes = [], []
                collector.row = row
                record = build(row, vals, collector, False)
                if collector.probs:
                    problems[row] = collector.probs
                elif record is not None:
                    records[row] = record
                if collector.notes:
                    out.notes[row] = collector.notes
            else:
                collector.probs = bad
                collector.row = row
                build(row, vals, collector, True)
                problems[row] = bad
        if progress is not None:
            progress(f"Reading {name}", count)
        self._merged(src, out, fields)
        if not ordered:
            data_rows.sort()  # rows out of order in the file (not valid, but seen)
            out.records = dict(sorted(records.items()))
        return out

    def _merged(self, src: SheetSource, out: SheetRows, fields) -> None:
        """A needed cell inside merged cells, not the top-left one, is a problem on its row."""
        ranges = src.merged
        if not ranges or not out.rows:
            return
        rows = out.rows if all(a < b for a, b in zip(out.rows, out.rows[1:])) else sorted(out.rows)
        name = out.layout.name
        for rng in ranges:
            cols = [(col, header) for _, col, _, header in fields
                    if rng.first_col <= col <= rng.last_col]
            if not cols:
                continue
            lo = bisect.bisect_left(rows, rng.first_row)
            hi = bisect.bisect_right(rows, rng.last_row)
            top = f"{column_letter(rng.first_col)}{rng.first_row}"
            for row in rows[lo:hi]:
                for col, header in cols:
                    if (row, col) == rng.top_left:
                        continue
                    probs = out.problems.setdefault(row, [])
                    probs[:] = [p for p in probs if p.where.column != col]
                    probs.append(Problem(Where(name, row, col), f"{header} is merged with {top}",
                                         "unmerge the cells so each row has its own value"))

    # --- references between sheets ---------------------------------------------------------------------

    def _hint_for(self, sheet: str, wanted: str) -> str:
        """'did you mean ...' when only case or spaces differ."""
        rows = self.sheets.get(sheet)
        if rows is None:
            return ""
        folded = self._folded.get(sheet)
        if folded is None:
            folded = {}
            for ident in rows.first:
                folded.setdefault(schema.normalize_header(ident), ident)
            self._folded[sheet] = folded
        near = folded.get(schema.normalize_header(wanted))
        return f"did you mean {quote(near)}?" if near else ""

    def check_customer(self, cid: str, problem: Callable, field_name: str = "Customer") -> None:
        customers = self.sheets["Customers"]
        first = customers.first.get(cid)
        if first is None:
            hint = self._hint_for("Customers", cid) or \
                f"add it to {customers.layout.name}, or fix the id"
            problem(field_name, f"no customer {quote(cid)} on {customers.layout.name}", hint)
        elif first in customers.problems:
            problem(field_name, f"customer {quote(cid)} is left out until "
                    f"{customers.layout.name} row {first} is fixed", "fix that row first")

    def check_invoice(self, iid: str, cid: str | None, problem: Callable, field_name: str,
                      plans: bool = False) -> None:
        """An invoice (or, for a payment, a plan) another row names: it exists, belongs to the same
        customer and is not left out."""
        invoices = self.sheets["Invoices"]
        first = invoices.first.get(iid)
        if first is None and plans and "Plans" in self.sheets:
            plan_rows = self.sheets["Plans"]
            pfirst = plan_rows.first.get(iid)
            if pfirst is not None:
                self._check_owner(plan_rows, "plan", iid, pfirst, cid, problem, field_name)
                return
        if first is None:
            what = "invoice or plan" if plans else "invoice"
            hint = self._hint_for("Invoices", iid)
            if not hint and plans:
                hint = self._hint_for("Plans", iid)
            if not hint:
                if "," in iid and not plans:
                    hint = "separate invoices with ';'"
                elif plans:
                    hint = "fix the number, or leave it blank"
                else:
                    hint = "fix the number"
            problem(field_name, f"no {what} {quote(iid)}", hint)
            return
        self._check_owner(invoices, "invoice", iid, first, cid, problem, field_name)

    @staticmethod
    def _check_owner(rows: SheetRows, what: str, ident: str, first: int, cid: str | None,
                     problem: Callable, field_name: str) -> None:
        record = rows.records.get(first)
        owner = record.customer_id if record is not None else None
        if cid is not None and owner is not None and owner != cid:
            problem(field_name, f"{what} {quote(ident)} belongs to customer {quote(owner)}, "
                    f"not {quote(cid)}", "check the customer or the number")
        elif first in rows.problems:
            problem(field_name, f"{what} {quote(ident)} is left out until "
                    f"{rows.layout.name} row {first} is fixed", "fix that row first")

    @staticmethod
    def _duplicate(problem: Callable, what: str, ident: str, first: int, field_name: str) -> None:
        problem(field_name, f"{what} {quote(ident)} is already on row {first}",
                f"give each {what} its own {'number' if what == 'invoice' else 'id'}")

    # --- the sheets ------------------------------------------------------------------------------------
    # Each ``build`` gets the row's values in the order of the sheet's inputs in the schema, taken
    # apart by name with an itemgetter, so the order there can change freely.

    @staticmethod
    def _getter(spec: schema.SheetSpec, *names: str) -> Callable[[list], tuple]:
        index = {c.name: i for i, c in enumerate(spec.inputs)}
        return operator.itemgetter(*(index[n] for n in names))

    def customers(self, src: SheetSource, layout: SheetLayout) -> SheetRows:
        settings, conv = self.settings, self.conv
        channel = model.Channel
        Customer = fast_constructor(model.Customer)
        first_rows: dict[str, int] = {}
        fields = self._getter(schema.CUSTOMERS, "Customer", "Name", "Contact", "AP Contact",
                              "Email", "Phone", "Address", "Terms", "Credit Limit",
                              "Late Fee Policy", "Channel", "Locale", "Notes")

        def build(row: int, v: list, problem: RowProblems, bad: bool) -> model.Customer | None:
            (cid, name, contact, ap_contact, email, phone, address, terms, limit, policy, ch,
             locale, notes) = fields(v)
            if cid is not None:
                first = first_rows.setdefault(cid, row)
                if first != row:
                    self._duplicate(problem, "customer", cid, first, "Customer")
            if limit is not None and limit < 0:
                problem("Credit Limit", f"Credit Limit {limit} cannot be negative",
                        "leave it blank for no limit")
            if problem.probs or bad:
                return None
            return Customer(cid, name, row, contact or "", ap_contact or "", email or "",
                            phone or "", address or "", terms, limit, policy,
                            channel(ch) if ch else channel.EMAIL, locale, notes or "")

        special_conv = {
            "Late Fee Policy": lambda value: customer_policy(value, settings, conv),
            "Locale": to_locale,
        }
        return self.read_sheet(src, schema.CUSTOMERS, layout, build, special_conv,
                               first=first_rows)

    def invoices(self, src: SheetSource, layout: SheetLayout) -> SheetRows:
        hold = model.Hold
        Invoice = fast_constructor(model.Invoice)
        zero = Decimal(0)
        first_rows: dict[str, int] = {}
        customers = self.sheets["Customers"]
        cust_first, cust_bad = customers.first, customers.problems
        check_customer = self.check_customer
        fields = self._getter(schema.INVOICES, "Invoice", "Customer", "Invoice Date", "Due Date",
                              "Amount", "Description", "PO", "Notes", "Hold", "Document")

        def build(row: int, v: list, problem: RowProblems, bad: bool) -> model.Invoice | None:
            iid, cid, inv_date, due, amount, description, po, notes, h, document = fields(v)
            if iid is not None:
                first = first_rows.setdefault(iid, row)
                if first != row:
                    self._duplicate(problem, "invoice", iid, first, "Invoice")
            if cid is not None:
                first = cust_first.get(cid)
                if first is None or first in cust_bad:
                    check_customer(cid, problem)
            if amount is not None and amount == zero:
                problem("Amount", "Amount is 0", "type the invoice amount, or clear the row")
            if due is not None and inv_date is not None and due < inv_date:
                problem("Due Date", f"Due Date {due.isoformat()} is before the Invoice Date "
                        f"{inv_date.isoformat()}", "check both dates")
            if problem.probs or bad:
                return None
            return Invoice(iid, cid, inv_date, amount, due, row, description or "", po or "",
                           notes or "", hold(h) if h else None, document or "")

        return self.read_sheet(src, schema.INVOICES, layout, build, first=first_rows)

    def plans(self, src: SheetSource, layout: SheetLayout) -> SheetRows:
        frequency, status = model.Frequency, model.PlanStatus
        first_rows: dict[str, int] = {}
        fields = self._getter(schema.PLANS, "Plan", "Customer", "Invoices", "Start Date",
                              "Down Payment", "Installments", "Frequency", "Annual Rate",
                              "First Due", "Status")

        def build(row: int, v: list, problem: RowProblems, bad: bool) -> model.Plan | None:
            pid, cid, ids, start, down, n, f, rate, first_due, s = fields(v)
            if pid is not None:
                first = first_rows.setdefault(pid, row)
                if first != row:
                    self._duplicate(problem, "plan", pid, first, "Plan")
            if cid is not None:
                self.check_customer(cid, problem)
            if ids is not None:
                for iid in ids:
                    self.check_invoice(iid, cid, problem, "Invoices")
            if n is not None and n < 1:
                problem("Installments", f"Installments is {n}", "a plan needs at least 1")
            if down is not None and down < 0:
                problem("Down Payment", f"Down Payment {down} cannot be negative")
            if start is not None and first_due is not None and first_due < start:
                problem("First Due", f"First Due {first_due.isoformat()} is before the Start "
                        f"Date {start.isoformat()}", "check both dates")
            if problem.probs or bad:
                return None
            return model.Plan(
                pid, cid, ids, start, n, row, down if down is not None else Decimal("0.00"),
                frequency(f) if f else frequency.MONTHLY, rate if rate is not None else Decimal(0),
                first_due, status(s) if s else status.PROPOSED)

        return self.read_sheet(src, schema.PLANS, layout, build, first=first_rows)

    def payments(self, src: SheetSource, layout: SheetLayout) -> SheetRows:
        zero = Decimal(0)
        Payment = fast_constructor(model.Payment)
        customers = self.sheets["Customers"]
        cust_first, cust_bad = customers.first, customers.problems
        invoices = self.sheets["Invoices"]
        inv_first, inv_bad, inv_records = invoices.first, invoices.problems, invoices.records
        check_customer, check_invoice = self.check_customer, self.check_invoice
        fields = self._getter(schema.PAYMENTS, "Date", "Customer", "Invoice", "Amount", "Method",
                              "Reference")

        def build(row: int, v: list, problem: RowProblems, bad: bool) -> model.Payment | None:
            d, cid, target, amount, method, reference = fields(v)
            if cid is not None:
                first = cust_first.get(cid)
                if first is None or first in cust_bad:
                    check_customer(cid, problem)
            if amount is not None and amount <= zero:
                problem("Amount", f"Amount {amount} is not more than 0",
                        "payments must be positive; to undo a payment, clear its row")
            if problem.probs or bad:
                return None
            if target is not None:
                first = inv_first.get(target)
                rec = inv_records.get(first) if first is not None else None
                if rec is None or first in inv_bad or rec.customer_id != cid:
                    check_invoice(target, cid, problem, "Invoice", plans=True)
                    if problem.probs:
                        # The money was received all the same: leaving it out would overstate
                        # what the customer owes (and could send a reminder for money paid).
                        problem.notes = [Problem(p.where, p.message, f"{p.hint}; meanwhile the "
                                                 "payment is applied to the oldest invoices")
                                         for p in problem.probs]
                        problem.probs = []
                        target = None
            return Payment(d, cid, amount, row, target, method or "", reference or "")

        return self.read_sheet(src, schema.PAYMENTS, layout, build)

    def activity(self, src: SheetSource, layout: SheetLayout) -> SheetRows:
        kind = model.ActivityType
        fields = self._getter(schema.ACTIVITY, "Date", "Customer", "Invoice", "Type", "Stage",
                              "Summary", "Promise Date", "Promise Amount", "Document")

        def build(row: int, v: list, problem: RowProblems, bad: bool) -> model.Activity | None:
            d, cid, ids, t, stage, summary, promise_date, amount, document = fields(v)
            if cid is not None:
                self.check_customer(cid, problem)
            if amount is not None and amount < 0:
                problem("Promise Amount", f"Promise Amount {amount} cannot be negative")
            if problem.probs or bad:
                return None
            return model.Activity(d, cid, kind(t), row, ids or (), stage or "", summary or "",
                                  promise_date, amount, document or "")

        return self.read_sheet(src, schema.ACTIVITY, layout, build)
