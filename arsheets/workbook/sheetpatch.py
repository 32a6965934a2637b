"""Patch the owned cells of one worksheet part while streaming it.

The part is read in chunks cut at ``</row>``; nothing builds a tree of the sheet. Rows the caller
does not patch are copied as they are; in a patched row only the owned cells are rewritten, every
other cell keeps its exact bytes. Everything before ``<sheetData>`` is kept except ``<dimension>``,
which is widened at the end if the written cells reach past it (so the head is handed out last, see
:meth:`SheetPatcher.head`); everything after ``</sheetData>`` is copied.

Values: text as inline strings (``t="inlineStr"``: never a formula, sharedStrings.xml untouched),
numbers as ``<v>``, dates as serials of the workbook's date system, booleans as ``t="b"``.

Three paths give the same bytes (a property test holds them to it):

- the block path, for rows as Excel writes them (``<row r="..">``, cells ``<c r="..``) whose owned
  cells sit together: the block's shape (existing cells' attributes, one ``findall``), the value
  types and the inherited styles key a cached %-format template that writes the whole block;
- the per-cell walk, for such rows otherwise (formulas to account for, other columns in between):
  the row is split at ``<c r="`` and owned cells are found by binary search on their columns;
- the general path (regular expressions, implicit row and cell positions) for anything else.

A million-row sheet streams in bounded memory: 4 MB chunks, inflated and deflated on threads.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from ..errors import ArsheetsError, Problem, Where, column_index, column_letter
from .schema import Kind
from .styles import StyleBook

MAX_TEXT = 32767  # characters Excel keeps in a cell
MAX_ROW, MAX_COL = 1048576, 16384  # Excel's grid
HEAD_LIMIT = 64 << 20  # bytes before <sheetData>: columns, views, ... never this much
_NEVER = 1 << 62

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # XML 1.0 cannot hold them; Excel escapes them
# anything text_body would change: characters it drops or escapes, and Excel's _xHHHH_ escapes
_PLAIN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff&<>\r]|_x")
_X_ESCAPE = re.compile("_x[0-9A-Fa-f]{4}_")
_EPOCH_1900 = date(1899, 12, 30).toordinal()
_EPOCH_1904 = date(1904, 1, 1).toordinal()
_MARCH_1900 = date(1900, 3, 1).toordinal()
_JAN_1900 = date(1900, 1, 1).toordinal()


def _damaged(sheet: str, what: str) -> ArsheetsError:
    return ArsheetsError(Problem(Where(sheet), f"the sheet is damaged: {what}",
                                 "open the workbook in Excel and save it again"))


def xstring(value: str) -> str:
    """Text as Excel stores it (ST_Xstring): text that looks like one of its ``_xHHHH_`` escapes
    protected, control characters written as those escapes (so a customer id with a stray BEL
    reads back the same), lone surrogates dropped. Not yet XML-escaped."""
    if "_x" in value:
        value = _X_ESCAPE.sub(r"_x005F\g<0>", value)
    if _XML_BAD.search(value):
        value = _CONTROL.sub(lambda m: "_x%04X_" % ord(m.group()), value)
        value = _XML_BAD.sub("", value)
    return value


def text_body(value: str, p: bytes = b"") -> bytes:
    """The ``<is>`` of an inline string: cut to Excel's limit, as :func:`xstring`, XML-escaped,
    carriage returns kept, edge spaces preserved."""
    if len(value) > MAX_TEXT:
        value = value[:MAX_TEXT - 1] + "\u2026"
    value = xstring(value)
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    if "\r" in value:
        value = value.replace("\r", "&#13;")
    space = b' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else b""
    return b"<%sis><%st%s>%s</%st></%sis>" % (p, p, space, value.encode("utf-8"), p, p)


def number_text(value: Decimal | int | float) -> bytes:
    if type(value) is int:
        return b"%d" % value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{value!r} cannot be written to a cell")
        return repr(value).encode()
    text = str(value)
    if "E" in text or not text[-1].isdigit():
        if not value.is_finite():
            raise ValueError(f"{value!r} cannot be written to a cell")
        text = format(value, "f")
    return text.encode()


def date_serial(value: date, date1904: bool) -> bytes | None:
    """The serial of a date (a datetime keeps its time as a fraction); None before the epoch."""
    n = value.toordinal()
    if date1904:
        serial = n - _EPOCH_1904
        if serial < 0:
            return None
    else:
        if n < _JAN_1900:
            return None
        serial = n - _EPOCH_1900 - (1 if n < _MARCH_1900 else 0)  # Excel's phantom 1900-02-29
    if isinstance(value, datetime):
        seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
        if seconds:
            return repr(serial + seconds / 86400).encode()
    return b"%d" % serial


class _Columns(dict):
    """Column letters (bytes) -> number, filled on demand."""

    def __init__(self, sheet: str):
        super().__init__()
        self.sheet = sheet

    def __missing__(self, letters: bytes) -> int:
        if not (1 <= len(letters) <= 3 and letters.isalpha() and letters.isupper()):
            raise _damaged(self.sheet, f"a cell reference starts {letters[:8]!r}")
        col = column_index(letters.decode())
        self[letters] = col
        return col


def _int(text: bytes, sheet: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise _damaged(sheet, f"{text[:20]!r} is not a row number") from None


_TEXT, _NUMBER, _DATE, _BOOL, _BLANK = range(5)


@dataclass(eq=False)
class _Plan:
    """One column the patcher writes, with what it learns about it while streaming."""

    col: int
    letters: bytes
    kind: Kind
    col_style: int | None = None  # the <col> default
    above: int | None = None  # style of the nearest cell above (below the header row)
    opener: bytes = b""  # '<c r="' and the letters, once the namespace prefix is known
    # cell style -> the bytes between the r attribute and the value, one dict per value kind
    mids: tuple[dict[int, bytes | None], ...] = field(default_factory=lambda: ({}, {}, {}, {}, {}))


@dataclass
class SharedMaster:
    cell: str  # "L2"
    si: bytes
    ref: str


@dataclass
class PatchStats:
    cells_written: int = 0
    rows_created: int = 0
    formulas_replaced: list[str] = field(default_factory=list)  # cell refs
    shared_masters: list[SharedMaster] = field(default_factory=list)
    first_row: int = _NEVER
    last_row: int = 0
    first_col: int = _NEVER
    last_col: int = 0


_HEADER, _NORMAL = 0, 1


class _Rx:
    """Byte patterns for one namespace prefix."""

    def __init__(self, p: bytes):
        e = re.escape(p)
        self.p = p
        self.row_open = b"<" + p + b"row"
        self.row_end = b"</" + p + b"row>"
        self.c_open_r = b"<" + p + b'c r="'
        self.c_close = b"</" + p + b"c>"
        self.f_open = b"<" + p + b"f"
        self.sheet_data_end = b"</" + p + b"sheetData>"
        self.c_any = b"<" + p + b"c"
        self.ext_lst = b"<" + p + b"extLst"
        self.cell = re.compile(rb"<" + e + rb"c(?=[\s/>])([^>]*?)(/?)>", re.S)
        self.f_tag = re.compile(rb"<" + e + rb"f(?=[\s/>])[^>]*>", re.S)
        self.data = re.compile(rb"<" + e + rb"(?:v|is|f)[\s/>]")
        self.dimension = re.compile(rb"<" + e + rb"dimension\s+ref\s*=\s*[\"']([^\"']*)[\"']")
        self.col = re.compile(rb"<" + e + rb"col(?=[\s/>])([^>]*?)/?>", re.S)
        self.v_open, self.v_close = b"<" + p + b"v>", b"</" + p + b"v>"
        self.vc_close = self.v_close + self.c_close
        self.shape = re.compile(rb"<" + e + rb'c r="([A-Z]{1,3})[0-9]+"([^>]*)>')


_SHEET_DATA = re.compile(rb"<([A-Za-z_][\w.-]*:)?sheetData(?=[\s/>])[^>]*?(/?)>")
_ROW_R = re.compile(rb"\sr\s*=\s*[\"']([0-9]+)[\"']")
_ATTR_R = re.compile(rb"\sr\s*=\s*[\"']\$?([A-Za-z]{0,3})\$?([0-9]*)[\"']")
_ATTR_S = re.compile(rb"\ss\s*=\s*[\"']([0-9]+)[\"']")
_ATTR_T = re.compile(rb"\st\s*=\s*[\"']([A-Za-z]+)[\"']")
_ATTR_REF = re.compile(rb"\sref\s*=\s*[\"']([^\"']*)[\"']")
_ATTR_SI = re.compile(rb"\ssi\s*=\s*[\"']([0-9]+)[\"']")
_ATTR_SPANS = re.compile(rb"(\sspans\s*=\s*[\"'])([^\"']*)([\"'])")
_ATTR_CUSTOM_FORMAT = re.compile(rb"\scustomFormat\s*=\s*[\"'](?:1|true)[\"']")
_SI_ANY = re.compile(rb"\ssi=\"([0-9]+)\"")
_REF = re.compile(r"\$?([A-Z]{1,3})\$?([0-9]+)(?::\$?([A-Z]{1,3})\$?([0-9]+))?")


def parse_ref(ref: str) -> tuple[int, int, int, int] | None:
    """'A1:V300' -> (first row, first col, last row, last col)."""
    m = _REF.fullmatch(ref.strip().upper())
    if m is None:
        return None
    c1, r1, c2, r2 = m.groups()
    a, b = column_index(c1), int(r1)
    c, d = (column_index(c2), int(r2)) if c2 else (a, b)
    return min(b, d), min(a, c), max(b, d), max(a, c)


def format_ref(first_row: int, first_col: int, last_row: int, last_col: int) -> str:
    a = f"{column_letter(first_col)}{first_row}"
    b = f"{column_letter(last_col)}{last_row}"
    return a if a == b else f"{a}:{b}"


_MISSING = object()
_is_finite = Decimal.is_finite


class _Unusual(Exception):
    """A value the row template cannot write; the per-cell walk will."""


@dataclass(frozen=True, slots=True)
class _Template:
    """How to write one shape of owned block: a %-format over the row's values (the row number is
    a NUL placeholder, which no XML text can contain)."""

    fmt: str
    pick: Callable[[Sequence[object]], list[object]] | None  # the values that have a slot
    texts: tuple[int, ...]  # slots holding text: mapped to their escaped <is> body
    dates: tuple[int, ...]  # slots holding dates: mapped to serials
    decimals: Callable[[Sequence[object]], tuple[Decimal, ...]] | None  # checked to be finite
    above: tuple[int | None, ...] | None  # the columns' inherited styles after this row
    written: int
    lo_col: int
    hi_col: int
    created_max: int
    rows: list[int] = field(default_factory=lambda: [0])  # rows written with it


def _getter(indices: Sequence[int]) -> Callable[[Sequence[object]], list[object]]:
    if not indices:
        return lambda values: []
    get = operator.itemgetter(*indices)
    if len(indices) == 1:
        return lambda values: [get(values)]
    return lambda values: list(get(values))


class _TextCache(dict):
    """Text -> its escaped ``<is>`` body as str; empty text is not written by a template."""

    def __init__(self, patcher: SheetPatcher):
        super().__init__()
        self.patcher = patcher

    def __missing__(self, value: str) -> str:
        if not value:
            raise _Unusual
        if (len(value) <= MAX_TEXT and _PLAIN_TEXT.search(value) is None
                and not value[0].isspace() and not value[-1].isspace()):
            # nothing to drop, escape or preserve: what text_body gives, built as str
            p = self.patcher._rx.p.decode()
            body = f"<{p}is><{p}t>{value}</{p}t></{p}is>"
        else:
            body = text_body(value, self.patcher._rx.p).decode("utf-8")
        if len(self) > 50000:
            self.clear()
        self[value] = body
        return body


class _SerialCache(dict):
    """Date -> its serial as str; a date before the workbook's epoch is not written by a
    template."""

    def __init__(self, patcher: SheetPatcher):
        super().__init__()
        self.patcher = patcher

    def __missing__(self, value: date) -> str:
        serial = date_serial(value, self.patcher.date1904)
        if serial is None:
            raise _Unusual
        if len(self) > 50000:
            self.clear()
        text = self[value] = serial.decode()
        return text


class SheetPatcher:
    """Rewrites the owned cells of one sheet part.

    ``columns``: (column, kind, header or None) ascending; ``rows``: (row, values) ascending, one
    value per column; ``appends``: (row, {column: value}) for new rows, ascending, after every
    patched row. Use :meth:`body` to stream the part from ``<sheetData>`` on, then :meth:`head`.
    """

    def __init__(self, sheet: str, header_row: int,
                 columns: Sequence[tuple[int, Kind, str | None]],
                 rows: Iterable[tuple[int, Sequence[object]]],
                 appends: Sequence[tuple[int, Mapping[int, object]]] = (),
                 *, styles: StyleBook, date1904: bool = False):
        self.sheet = sheet
        self.header_row = header_row
        self.styles = styles
        self.date1904 = date1904
        self.stats = PatchStats()
        self._cols = _Columns(sheet)
        self._plans: dict[int, _Plan] = {}
        kinds = {col: kind for col, kind, _ in columns}
        prev = 0
        for col, kind, _ in columns:
            if col <= prev or col > MAX_COL:
                raise ValueError(f"{sheet}: patch columns must ascend without repeats, within "
                                 f"Excel's {MAX_COL} columns")
            prev = col
            self._plan(col, kind)
        self.owned = tuple(self._plans[col] for col, _, _ in columns)
        self.headers = tuple((self._plans[col], header) for col, _, header in columns if header)
        self.appends = []
        for row, values in appends:
            if row > MAX_ROW or any(not 0 < col <= MAX_COL for col in values):
                raise ArsheetsError(Problem(Where(sheet), f"the sheet is full: a new row {row} "
                                            f"would not fit in Excel's {MAX_ROW:,} rows",
                                            "move old rows to another workbook"))
            plans = tuple(self._plan(col, kinds.get(col) or _kind_of(values[col]))
                          for col in sorted(values))
            self.appends.append((row, plans, tuple(values[p.col] for p in plans)))
        self._observe_all = any(col not in kinds for _, mapping in appends for col in mapping)
        self._rows = rows
        self._texts: dict[str, bytes] = {}
        self._attrs: dict[bytes, tuple[int, bool]] = {}
        self._templates: dict[tuple, _Template | None] = {}
        self._used_templates: list[_Template] = []
        self._block_first = self._block_last = 0
        self._above_version = 0  # bumped whenever a column's inherited style changes
        self._text_str = _TextCache(self)
        self._serials = _SerialCache(self)
        self._head: bytes | None = None
        self._used_si: set[bytes] = set()
        self._renumber = False  # a row was created: later rows without r get one
        self._prev_row = 0
        self._next_row, self._job_kind = _NEVER, _NORMAL
        self._next_rb: bytes | None = None  # the next job's row number as written in a tag
        self._job_plans: tuple[_Plan, ...] = ()
        self._job_values: Sequence[object] = ()

    def _plan(self, col: int, kind: Kind) -> _Plan:
        if col not in self._plans:
            self._plans[col] = _Plan(col, column_letter(col).encode(), kind)
        return self._plans[col]

    # --- jobs: the rows to write, in order ----------------------------------------------------

    def _jobs(self) -> Iterator[tuple[int, int, tuple[_Plan, ...], Sequence[object]]]:
        prev = 0
        if self.headers:
            yield (self.header_row, _HEADER, tuple(p for p, _ in self.headers),
                   tuple(h for _, h in self.headers))
            prev = self.header_row
        owned, n, header_row = self.owned, len(self.owned), self.header_row
        # An empty table row is cleared of old statuses and may also be where a row is appended:
        # the append fills it instead.
        appended = {row for row, _, _ in self.appends}
        for row, values in self._rows:
            if row in appended and all(v is None for v in values):
                continue
            if row <= prev or row <= header_row or row > MAX_ROW:
                raise ValueError(f"{self.sheet}: patch row {row} is out of order, not below "
                                 f"the header row {header_row} or past Excel's last row")
            if len(values) != n:
                raise ValueError(f"{self.sheet}: row {row} has {len(values)} values for {n} "
                                 "columns")
            yield row, _NORMAL, owned, values
            prev = row
        for row, plans, values in self.appends:
            if row <= prev:
                raise ValueError(f"{self.sheet}: appended row {row} collides with a patched row")
            yield row, _NORMAL, plans, values
            prev = row

    def _advance(self) -> None:
        job = next(self._job_iter, None)
        if job is None:
            self._next_row, self._next_rb = _NEVER, None
        else:
            self._next_row, self._job_kind, self._job_plans, self._job_values = job
            self._next_rb = b"%d" % job[0]

    # --- cells ------------------------------------------------------------------------------

    def _mid(self, plan: _Plan, what: int, s: int) -> bytes | None:
        """The bytes of a cell between its r attribute and its value: the (suited) style and the
        type; None for a blank cell that needs no element."""
        cache = plan.mids[what]
        if s in cache:
            return cache[s]
        rx = self._rx
        if what == _NUMBER:
            style = self.styles.suited(s, "number", plan.kind)
        elif what == _DATE:
            style = self.styles.suited(s, "date", plan.kind)
        else:
            style = s
        attr = b' s="%d"' % style if style else b""
        if what == _TEXT:
            mid = attr + b' t="inlineStr">'
        elif what == _BOOL:
            mid = attr + b' t="b">' + rx.v_open
        elif what == _BLANK:
            mid = attr + b"/>" if style else None
        else:
            mid = attr + b">" + rx.v_open
        cache[s] = mid
        return mid

    def _text(self, value: str) -> bytes:
        body = text_body(value, self._rx.p)
        if len(self._texts) > 50000:
            self._texts.clear()
        self._texts[value] = body
        return body

    def _cell(self, plan: _Plan, key: bytes, s: int, value: object) -> bytes | None:
        """A new owned cell (``key`` is e.g. ``K17"``); None when it is blank and needs none."""
        rx = self._rx
        if isinstance(value, str):
            if not value:
                return self._cell(plan, key, s, None)
            value = str(value)
            body = self._texts.get(value) or self._text(value)
            return b"".join((rx.c_open_r, key, self._mid(plan, _TEXT, s), body, rx.c_close))
        if value is None:
            mid = self._mid(plan, _BLANK, s)
            return None if mid is None else rx.c_open_r + key + mid
        if isinstance(value, bool):
            return b"".join((rx.c_open_r, key, self._mid(plan, _BOOL, s), b"1" if value else b"0",
                             rx.vc_close))
        if isinstance(value, (int, Decimal, float)):
            return b"".join((rx.c_open_r, key, self._mid(plan, _NUMBER, s), number_text(value),
                             rx.vc_close))
        if isinstance(value, date):
            serial = date_serial(value, self.date1904)
            if serial is None:  # before the workbook's epoch: keep it readable as text
                return self._cell(plan, key, s, value.isoformat())
            return b"".join((rx.c_open_r, key, self._mid(plan, _DATE, s), serial, rx.vc_close))
        raise TypeError(f"{self.sheet}!{plan.letters.decode()}{key[:-1].decode()}: cannot write "
                        f"a {type(value).__name__}")

    def _set_above(self, plan: _Plan, s: int) -> None:
        """Remember the style of the nearest cell above; templates built before are stale."""
        if plan.above != s:
            plan.above = s
            self._above_version += 1

    def _created_style(self, plan: _Plan, row_style: int | None) -> int:
        if plan.above is not None:
            return plan.above
        if row_style is not None:
            return row_style
        if plan.col_style is not None:
            return plan.col_style
        return self.styles.for_kind(plan.kind)

    def _attr_info(self, attrs: bytes) -> tuple[int, bool]:
        """(style, self-closing) from the bytes after a cell's r attribute up to its '>'."""
        info = self._attrs.get(attrs)
        if info is None:
            m = _ATTR_S.search(attrs)
            info = (int(m.group(1)) if m else 0, attrs.endswith(b"/"))
            if len(self._attrs) < 10000:
                self._attrs[attrs] = info
        return info

    def _replaced(self, cell: bytes, gt: int, rnum: int, plan: _Plan) -> None:
        """Book-keeping for an owned cell about to be overwritten: formulas, shared masters."""
        f = self._rx.f_tag.search(cell, gt)
        if f is None:
            return
        where = f"{plan.letters.decode()}{rnum}"
        self.stats.formulas_replaced.append(where)
        tag = f.group(0)
        t = _ATTR_T.search(tag)
        ref = _ATTR_REF.search(tag)
        si = _ATTR_SI.search(tag)
        if t and t.group(1) == b"shared" and ref and si:
            span = parse_ref(ref.group(1).decode("ascii", "replace"))
            if span is None or span[0] != span[2] or span[1] != span[3]:
                self.stats.shared_masters.append(SharedMaster(where, si.group(1),
                                                              ref.group(1).decode()))

    def _wrote(self, rnum: int, first_col: int, last_col: int, count: int) -> None:
        st = self.stats
        st.cells_written += count
        if rnum < st.first_row:
            st.first_row = rnum
        if rnum > st.last_row:
            st.last_row = rnum
        if first_col < st.first_col:
            st.first_col = first_col
        if last_col > st.last_col:
            st.last_col = last_col

    # --- streaming ----------------------------------------------------------------------------

    def body(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """The part from ``<sheetData>`` to its end, patched."""
        chunks = iter(chunks)
        buf = b""
        while True:
            m = _SHEET_DATA.search(buf)
            if m is not None:
                break
            data = next(chunks, None)
            if data is None:
                raise _damaged(self.sheet, "its worksheet part has no <sheetData>")
            if not buf and data[:2] in (b"\xff\xfe", b"\xfe\xff"):
                raise _damaged(self.sheet, "its worksheet part is UTF-16 encoded")
            buf += data
            if len(buf) > HEAD_LIMIT:
                raise _damaged(self.sheet, "its worksheet part has no <sheetData>")
        p = m.group(1) or b""
        self._rx = rx = _Rx(p)
        for plan in self._plans.values():
            plan.opener = rx.c_open_r + plan.letters
        self._head = buf[:m.start()]
        self._read_cols(self._head)
        self._job_iter = self._jobs()
        self._advance()
        if m.group(2):  # <sheetData/>: no rows yet
            out: list[bytes] = []
            self._flush_jobs(_NEVER, out)
            self._fold_templates()
            if out:
                yield b"<%ssheetData>%s</%ssheetData>" % (p, b"".join(out), p)
            else:
                yield m.group(0)
            yield buf[m.end():]
            yield from chunks
            return
        yield m.group(0)
        buf = buf[m.end():]
        end_tag, row_end = rx.sheet_data_end, rx.row_end
        searched = 0
        while True:
            end = buf.find(end_tag, max(0, searched - len(end_tag)))
            if end >= 0:
                yield self._segment(buf[:end], True)
                yield buf[end:]
                yield from chunks
                return
            searched = len(buf)
            cut = buf.rfind(row_end)
            if cut >= 0:
                cut += len(row_end)
                yield self._segment(buf[:cut], False)
                buf = buf[cut:]
                searched = len(buf)
            data = next(chunks, None)
            if data is None:
                raise _damaged(self.sheet, "its worksheet part ends inside <sheetData>")
            buf += data

    def head(self) -> bytes:
        """Everything before ``<sheetData>``, with ``<dimension>`` widened to the written cells.
        Call after :meth:`body` is exhausted."""
        if self._head is None:
            raise RuntimeError("head() before body()")
        head, st = self._head, self.stats
        if not st.last_row:
            return head
        m = self._rx.dimension.search(head)
        if m is None:
            return head
        old = parse_ref(m.group(1).decode("ascii", "replace"))
        box = (st.first_row, st.first_col, st.last_row, st.last_col)
        if old is not None:
            box = (min(old[0], box[0]), min(old[1], box[1]), max(old[2], box[2]),
                   max(old[3], box[3]))
            if box == old:
                return head
        return head[:m.start(1)] + format_ref(*box).encode() + head[m.end(1):]

    def check_shared_formulas(self) -> None:
        """Refuse to have removed a shared formula that cells left in the sheet still copy."""
        for master in self.stats.shared_masters:
            if master.si in self._used_si:
                raise ArsheetsError(Problem(
                    Where(self.sheet, *_cell_rc(master.cell)),
                    f"holds a formula that other cells ({master.ref}) share; arsheets writes "
                    "this column and would have to remove it, breaking theirs",
                    f"clear the formulas in {master.ref} (arsheets fills its own columns with "
                    "values), or copy them and Paste Special > Values, then refresh again"))

    def _read_cols(self, head: bytes) -> None:
        for m in self._rx.col.finditer(head):
            attrs = m.group(1)
            lo, hi, style = (re.search(rb"\s%s\s*=\s*[\"']([0-9]+)[\"']" % name, attrs)
                             for name in (b"min", b"max", b"style"))
            if not (lo and hi and style):
                continue
            a, b, s = int(lo.group(1)), int(hi.group(1)), int(style.group(1))
            for plan in self._plans.values():
                if a <= plan.col <= b:
                    plan.col_style = s

    def _segment(self, seg: bytes, final: bool) -> bytes:
        rx = self._rx
        out: list[bytes] = []
        append = out.append
        parts = seg.split(rx.row_end)
        last = parts.pop()
        row_r, row_end = rx.row_open + b' r="', rx.row_end
        lr = len(row_r)
        patch_block, patch_fast, jobs = self._patch_block, self._patch_fast, self._job_iter
        simple = not self._observe_all
        for part in parts:
            # the usual row, patched: <row r="N" ...>cells (anything else: _part decides)
            if simple and part.startswith(row_r) and self._job_kind == _NORMAL:
                q = part.find(b'"', lr)
                rb = part[lr:q]
                if rb == self._next_rb and part[part.find(b">", q) - 1] != 47:
                    rnum = self._prev_row = self._next_row
                    done = patch_block(part, rnum, rb)
                    append(patch_fast(part, rnum, False) if done is None else done)
                    append(row_end)
                    job = next(jobs, None)
                    if job is None:
                        self._next_row, self._next_rb = _NEVER, None
                    else:
                        self._next_row, self._job_kind, self._job_plans, self._job_values = job
                        self._next_rb = b"%d" % job[0]
                    continue
            self._part(part, True, out)
        if last:
            self._part(last, False, out)
        if final:
            self._flush_jobs(_NEVER, out)
            self._fold_templates()
        data = b"".join(out)
        if self.stats.shared_masters and b'si="' in data:
            self._used_si.update(_SI_ANY.findall(data))
        return data

    def _part(self, part: bytes, terminated: bool, out: list[bytes]) -> None:
        """One piece between ``</row>`` tags: whitespace, perhaps empty ``<row/>``s, then a row.

        A row as Excel writes it (``<row r="..."``, cells ``<c r="...``) takes the fast path;
        anything else the general one."""
        rx = self._rx
        row_r = rx.row_open + b' r="'
        pos = 0
        while True:
            k = part.find(rx.row_open, pos)
            if k < 0:
                if terminated:
                    raise _damaged(self.sheet, "a </row> without its <row>")
                out.append(part[pos:])
                return
            gt = part.find(b">", k)
            if gt < 0:
                raise _damaged(self.sheet, "an unfinished <row> tag")
            fast = part.startswith(row_r, k)
            if fast:
                start = k + len(row_r)
                rnum = _int(part[start:part.find(b'"', start)], self.sheet)
            else:
                rm = _ROW_R.search(part, k, gt)
                rnum = int(rm.group(1)) if rm else self._prev_row + 1
                if rm is None and self._renumber:  # rows were inserted: give it its number
                    at = k + len(rx.row_open)
                    part = part[:at] + b' r="%d"' % rnum + part[at:]
                    gt = part.find(b">", k)
            self._prev_row = rnum
            if self._next_row < rnum:
                out.append(part[pos:k])
                pos = k
                self._flush_jobs(rnum, out)
            if part[gt - 1] == 47:  # <row .../>: a row without cells
                out.append(part[pos:k])
                if self._next_row == rnum:
                    tag = part[k:gt - 1].rstrip() + b">"
                    row = self._patch(tag, rnum, False)
                    out.append(part[k:gt + 1] if row == tag else row + rx.row_end)
                    self._advance()
                else:
                    out.append(part[k:gt + 1])
                pos = gt + 1
                continue
            if self._next_row == rnum:
                if pos != k:
                    out.append(part[pos:k])
                if self._observe_all:
                    self._observe(part[k:], rnum, fast)
                out.append(self._patch(part[k:] if k else part, rnum, fast))
                self._advance()
            else:
                if rnum > self.header_row:
                    self._observe(part[k:], rnum, fast)
                out.append(part[pos:])
            if terminated:
                out.append(rx.row_end)
            return

    def _flush_jobs(self, limit: int, out: list[bytes]) -> None:
        """Create the rows that have jobs but no <row> in the sheet, up to ``limit``."""
        rx = self._rx
        while self._next_row < limit:
            rnum = self._next_row
            tag = b'%s r="%d">' % (rx.row_open, rnum)
            row = self._patch(tag, rnum, False)
            if row != tag:
                out.append(row + rx.row_end)
                self.stats.rows_created += 1
                self._renumber = True
            self._advance()

    def _observe(self, row: bytes, rnum: int, fast: bool) -> None:
        """Remember the styles of the written columns' cells in a row that is not patched."""
        plans = self._plans
        if fast and row.count(self._rx.c_any) == row.count(self._rx.c_open_r):
            c_open, rq = self._rx.c_open_r, b'%d"' % rnum
            for plan in plans.values():
                at = row.find(c_open + plan.letters + rq)
                if at >= 0:
                    gt = row.find(b">", at)
                    self._set_above(plan, self._attr_info(
                        row[at + len(c_open) + len(plan.letters) + len(rq):gt])[0])
            return
        gt = row.find(b">")
        prev = 0
        for m in self._rx.cell.finditer(row, gt + 1):
            attrs = m.group(1)
            r = _ATTR_R.search(attrs)
            col = self._cols[r.group(1).upper()] if r and r.group(1) else prev + 1
            prev = col
            plan = plans.get(col)
            if plan is not None:
                sm = _ATTR_S.search(attrs)
                self._set_above(plan, int(sm.group(1)) if sm else 0)

    # --- one row ------------------------------------------------------------------------------

    def _patch(self, row: bytes, rnum: int, fast: bool) -> bytes:
        """``row`` is ``<row ...>`` and its cells (no ``</row>``)."""
        if fast and self._job_kind == _NORMAL:
            return self._patch_fast(row, rnum)
        return self._patch_general(row, rnum)

    def _col_of(self, piece: bytes) -> int:
        if piece[1] < 65:
            return self._cols[piece[:1]]
        if piece[2] < 65:
            return self._cols[piece[:2]]
        return self._cols[piece[:3]]

    def _patch_fast(self, row: bytes, rnum: int, block: bool = True) -> bytes:
        """A row whose cells start ``<c r="``. Usually its owned cells form one block that a cached
        template rewrites at once; otherwise split it at ``<c r="`` and walk the pieces, rewriting
        owned cells and keeping every other piece as it was. (``block`` False: the block path
        was tried already.)"""
        if block:
            done = self._patch_block(row, rnum)
            if done is not None:
                return done
        rx = self._rx
        plans, values = self._job_plans, self._job_values
        C = rx.c_open_r
        col_of = self._col_of
        rq = b'%d"' % rnum
        pieces = row.split(C)
        n = len(pieces)
        if row.count(rx.c_any) != n - 1 or rx.ext_lst in row:
            return self._patch_general(row, rnum)  # a cell not written <c r="..., rich text, ...
        first = plans[0]
        at = row.find(C + first.letters + rq)
        if at >= 0:
            lo = row.count(C, 0, at) + 1
        elif n == 1 or col_of(pieces[-1]) < first.col:
            lo = n
        else:
            lo, hi = 1, n
            while lo < hi:
                mid = (lo + hi) >> 1
                if col_of(pieces[mid]) < first.col:
                    lo = mid + 1
                else:
                    hi = mid
        head = C.join(pieces[:lo]) if lo > 1 else pieces[0]
        out = [head]
        append, extend = out.append, out.extend
        texts = self._texts
        c_close, vc_close = rx.c_close, rx.vc_close
        lc = len(c_close)
        has_f = row.find(rx.f_open, len(head)) >= 0
        track = rnum > self.header_row
        i = lo
        created_max = written = lo_col = hi_col = 0
        for plan, value in zip(plans, values):
            key = plan.letters + rq
            piece = pieces[i] if i < n else None
            if piece is not None and not piece.startswith(key):
                col = plan.col
                while col_of(piece) < col:  # a cell of another column between owned ones
                    append(C)
                    append(piece)
                    i += 1
                    if i == n:
                        piece = None
                        break
                    piece = pieces[i]
                if piece is not None and not piece.startswith(key):
                    piece = None
            if piece is not None:  # the cell exists: keep its style, replace the rest
                i += 1
                kl = len(key)
                gt = piece.find(b">", kl)
                s, closed = self._attrs.get(piece[kl:gt]) or self._attr_info(piece[kl:gt])
                if closed:
                    tail = piece[gt + 1:]
                else:
                    end = len(piece) - lc
                    if not piece.endswith(c_close):
                        end = piece.find(c_close, gt)
                        if end < 0:
                            raise _damaged(self.sheet, f"cell {key[:-1].decode()} is not closed")
                    if has_f and piece.find(rx.f_open, gt, end) >= 0:
                        self._replaced(piece, gt, rnum, plan)
                    tail = piece[end + lc:]
            elif value is None or (value.__class__ is str and not value):
                continue
            else:
                s = plan.above
                if s is None:
                    s = self._created_style(plan, _row_style(pieces[0]))
                tail = b""
                if plan.col > created_max:
                    created_max = plan.col
            if track and plan.above != s:
                self._set_above(plan, s)
            kind = value.__class__
            if kind is str and value:
                extend((C, key, plan.mids[_TEXT].get(s) or self._mid(plan, _TEXT, s),
                        texts.get(value) or self._text(value), c_close))
            elif kind is Decimal:
                text = str(value)
                if text[-1] > "9":  # NaN, Infinity
                    number_text(value)
                extend((C, key, plan.mids[_NUMBER].get(s) or self._mid(plan, _NUMBER, s),
                        text.encode(), vc_close))
            elif kind is int:
                extend((C, key, plan.mids[_NUMBER].get(s) or self._mid(plan, _NUMBER, s),
                        b"%d" % value, vc_close))
            else:
                cell = self._cell(plan, key, s, value)
                if cell is None:  # blank and unstyled: no element
                    if tail:
                        append(tail)
                    continue
                append(cell)
            if tail:
                append(tail)
            written += 1
            hi_col = plan.col
            if not lo_col:
                lo_col = hi_col
        if written:
            self._wrote(rnum, lo_col, hi_col, written)
        if i < n:
            append(C)
            append(C.join(pieces[i:]))
        if created_max and b"spans" in pieces[0]:
            out[0] = _widen_spans(pieces[0], created_max) + head[len(pieces[0]):]
        return b"".join(out)

    def _patch_block(self, row: bytes, rnum: int, rb: bytes | None = None) -> bytes | None:
        """The owned cells of this row as one block, rewritten by a cached template; None when
        the row is not of the usual shape (then the per-cell walk decides). ``rb``: the row
        number as the tag writes it, when the caller has it."""
        rx = self._rx
        plans = self._job_plans
        C = rx.c_open_r
        lc = len(C)
        tag_end = row.find(b">")
        if row.find(b"customFormat", 0, tag_end) >= 0:
            return None
        # the block ends where the cells after the owned columns (the bookkeeper's own) start
        end = n = len(row)
        pos = row.rfind(C)
        if pos >= 0:
            col_of, last = self._col_of, plans[-1].col
            col = col_of(row[pos + lc:pos + lc + 4])
            while col > last:
                end = pos
                pos = row.rfind(C, 0, pos)
                if pos < 0:
                    col = 0
                    break
                col = col_of(row[pos + lc:pos + lc + 4])
            if end == n and not (row.endswith(rx.c_close) or row.endswith(b"/>")):
                return None  # something after the last cell (whitespace, extLst) to keep
        else:
            col = 0
        # ... and starts at the first owned cell, or where the first one would go
        start = row.find(plans[0].opener + (b"%d" % rnum if rb is None else rb) + b'"', 0, end)
        if start < 0:
            if pos >= 0 and col >= plans[0].col:
                return None  # owned cells, but not the first: the per-cell walk
            start = end
            check = pos if pos >= 0 else 0  # from the last cell before the owned columns
        else:
            check = start
        # every cell from there on must start <c r="... (cells before are the bookkeeper's and
        # are kept as they are), and owned cells must hold no formula
        if row.count(rx.c_any, check, end) != row.count(C, check, end):
            return None
        if start < end and row.find(rx.f_open, start, end) >= 0:
            return None  # formulas to account for: the per-cell walk does that
        return self._apply_block(row, rnum, tag_end, start, end)

    def _apply_block(self, row: bytes, rnum: int, tag_end: int, start: int, end: int
                     ) -> bytes | None:
        """``row`` with ``row[start:end]`` (its owned cells, none holding a formula) rewritten by
        the cached template for their shape and the value types; None when there is none."""
        rx = self._rx
        plans, values = self._job_plans, self._job_values
        shape = tuple(rx.shape.findall(row, start, end)) if start < end else ()
        key = (shape, tuple(map(type, values)), self._above_version)
        template = self._templates.get(key, _MISSING)
        if template is _MISSING:
            template = self._templates[key] = self._template(shape, key[1])
            if template is not None:
                self._used_templates.append(template)
            if len(self._templates) > 20000:
                self._fold_templates()
                self._templates.clear()
        if template is None:
            return None
        args = list(values) if template.pick is None else template.pick(values)
        try:
            texts = self._text_str
            for i in template.texts:
                args[i] = texts[args[i]]
            serials = self._serials
            for i in template.dates:
                args[i] = serials[args[i]]
        except _Unusual:
            return None
        text = template.fmt % tuple(args)
        if template.decimals and ("NaN" in text or "Infinity" in text) and not all(
                map(_is_finite, template.decimals(values))):
            return None  # NaN or infinity: let the per-cell walk raise about it
        block = text.replace("\x00", str(rnum)).encode()
        if template.above is not None:
            for plan, s in zip(plans, template.above):
                plan.above = s
            self._above_version += 1
        if template.written:
            template.rows[0] += 1
            if not self._block_first:
                self._block_first = rnum
            self._block_last = rnum
        if template.created_max:
            tag = row[:tag_end + 1]
            wide = _widen_spans(tag, template.created_max)
            if wide is not tag:
                return wide + row[tag_end + 1:start] + block + row[end:]
        return row[:start] + block + row[end:]

    def _fold_templates(self) -> None:
        """Add the cells written by templates to the statistics."""
        for t in self._used_templates:
            if t.rows[0]:
                self._wrote(self._block_first, t.lo_col, t.hi_col, t.written * t.rows[0])
                self._wrote(self._block_last, t.lo_col, t.hi_col, 0)
                t.rows[0] = 0
        self._used_templates = []

    def _template(self, shape: tuple[tuple[bytes, bytes], ...],
                  types: tuple[type, ...]) -> _Template | None:
        """The format string that writes a row's owned block, for one shape of existing cells and
        one set of value types; None when this needs the per-cell walk."""
        plans = self._job_plans
        existing: dict[bytes, tuple[int, bool]] = {}
        order = {p.letters: i for i, p in enumerate(plans)}
        prev = -1
        for letters, attrs in shape:
            i = order.get(letters)
            if i is None or i <= prev:
                return None  # another column inside the block, or out of order
            prev = i
            existing[letters] = self._attr_info(attrs)
        rx = self._rx
        c_open = rx.c_open_r.decode()
        close, vclose = rx.c_close.decode(), rx.vc_close.decode()
        parts: list[str] = []
        texts, dates, decimals = [], [], []
        above = [p.above for p in plans]
        written = lo_col = hi_col = created_max = 0
        for i, (plan, kind) in enumerate(zip(plans, types)):
            info = existing.get(plan.letters)
            if info is not None:
                s = info[0]
            elif kind is type(None):
                continue
            else:
                s = self._created_style(plan, None)
                created_max = plan.col
            above[i] = s
            r = f"{c_open}{plan.letters.decode()}\x00\""
            if kind is type(None):
                mid = self._mid(plan, _BLANK, s)
                if mid is None:
                    continue
                parts.append(r + mid.decode())
            elif kind is str:
                parts.append(r + self._mid(plan, _TEXT, s).decode() + "%s" + close)
                texts.append(i)
            elif kind is Decimal:
                parts.append(r + self._mid(plan, _NUMBER, s).decode() + "%s" + vclose)
                decimals.append(i)
            elif kind is int:
                parts.append(r + self._mid(plan, _NUMBER, s).decode() + "%d" + vclose)
            elif kind is bool:
                parts.append(r + self._mid(plan, _BOOL, s).decode() + "%d" + vclose)
            elif kind is date or kind is datetime:
                parts.append(r + self._mid(plan, _DATE, s).decode() + "%s" + vclose)
                dates.append(i)
            else:
                return None
            written += 1
            hi_col = plan.col
            lo_col = lo_col or plan.col
        used = [i for i, kind in enumerate(types) if kind is not type(None)]
        slot = {i: k for k, i in enumerate(used)}  # value index -> format argument index
        return _Template(
            "".join(parts), None if len(used) == len(types) else _getter(used),
            tuple(slot[i] for i in texts), tuple(slot[i] for i in dates),
            _getter(decimals) if decimals else None,
            None if above == [p.above for p in plans] else tuple(above),
            written, lo_col, hi_col, created_max)

    def _patch_general(self, row: bytes, rnum: int) -> bytes:
        """Any row: cells found by regular expression, implicit positions honoured."""
        rx = self._rx
        plans, values, job = self._job_plans, self._job_values, self._job_kind
        gt = row.find(b">")
        tag = row[:gt + 1]
        content = row[gt + 1:]
        rq = b'%d"' % rnum
        track = job == _NORMAL and rnum > self.header_row
        row_style = _row_style(tag)
        out: list[bytes] = []
        pos = 0
        k = 0
        prev = 0
        shifted = False  # a cell was inserted or dropped: later cells need an explicit r
        left = row_style or 0  # style of the cell to the left (for new header cells)
        created_max = 0

        def create(plan: _Plan, value: object) -> None:
            nonlocal shifted, created_max, left
            if value is None or (isinstance(value, str) and not value):
                return
            s = left if job == _HEADER else self._created_style(plan, row_style)
            cell = self._cell(plan, plan.letters + rq, s, value)
            if cell is not None:
                out.append(cell)
                self._wrote(rnum, plan.col, plan.col, 1)
                shifted = True
                created_max = max(created_max, plan.col)
                left = s
            if track:
                self._set_above(plan, s)

        for m in rx.cell.finditer(content):
            attrs = m.group(1)
            r = _ATTR_R.search(attrs)
            has_r = bool(r and r.group(1))
            col = self._cols[r.group(1).upper()] if has_r else prev + 1
            prev = col
            if m.group(2):
                end = m.end()
            else:
                end = content.find(rx.c_close, m.end())
                if end < 0:
                    raise _damaged(self.sheet, f"cell {column_letter(col)}{rnum} is not closed")
                end += len(rx.c_close)
            sm = _ATTR_S.search(attrs)
            s = int(sm.group(1)) if sm else 0
            while k < len(plans) and plans[k].col < col:
                out.append(content[pos:m.start()])
                pos = m.start()
                create(plans[k], values[k])
                k += 1
            out.append(content[pos:m.start()])
            if k < len(plans) and plans[k].col == col:
                plan = plans[k]
                cell_raw = content[m.start():end]
                if not m.group(2):
                    self._replaced(cell_raw, m.end() - m.start() - 1, rnum, plan)
                cell = self._cell(plan, plan.letters + rq, s, values[k])
                if cell is None:
                    shifted = True
                else:
                    out.append(cell)
                    self._wrote(rnum, col, col, 1)
                    left = s
                if track:
                    self._set_above(plan, s)
                k += 1
            else:
                cell_raw = content[m.start():end]
                if shifted and not has_r:
                    at = m.end(1) - m.start()
                    cell_raw = (cell_raw[:at] + b' r="%s%d"' % (column_letter(col).encode(), rnum)
                                + cell_raw[at:])
                out.append(cell_raw)
                left = s
            pos = end
        rest = content[pos:]
        while k < len(plans):
            create(plans[k], values[k])
            k += 1
        out.append(rest)
        if created_max and b"spans" in tag:
            tag = _widen_spans(tag, created_max)
        return tag + b"".join(out)


def _row_style(tag: bytes) -> int | None:
    """The row's own style when it has one (customFormat), for cells created in it."""
    if b"customFormat" not in tag or not _ATTR_CUSTOM_FORMAT.search(tag):
        return None
    s = _ATTR_S.search(tag)
    return int(s.group(1)) if s else None


def _widen_spans(tag: bytes, col: int) -> bytes:
    """The row tag with its ``spans`` hint reaching column ``col``."""
    at = tag.find(b' spans="')  # as Excel writes it: the new value comes from a small cache
    if at >= 0:
        at += 8
        end = tag.find(b'"', at)
        if end >= 0:
            old = tag[at:end]
            key = (old, col)
            spans = _SPANS.get(key)
            if spans is None:
                spans = _SPANS[key] = _wider(old, col)
                if len(_SPANS) > 4096:
                    _SPANS.clear()
            return tag if spans is old else tag[:at] + spans + tag[end:]
    m = _ATTR_SPANS.search(tag)
    if m is None:
        return tag
    old = m.group(2)
    spans = _wider(old, col)
    return tag if spans is old else tag[:m.start(2)] + spans + tag[m.end(2):]


def _wider(spans: bytes, col: int) -> bytes:
    """A ``spans`` value widened to ``col`` (the same object when it already reaches it)."""
    numbers = [int(x) for x in re.findall(rb"[0-9]+", spans)]
    if not numbers or max(numbers) >= col:
        return spans
    return b"%d:%d" % (min(numbers), col)


_SPANS: dict[tuple[bytes, int], bytes] = {}


def _cell_rc(cell: str) -> tuple[int, int]:
    m = _REF.fullmatch(cell)
    return (int(m.group(2)), column_index(m.group(1))) if m else (0, 0)


def _kind_of(value: object) -> Kind:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return Kind.TEXT
    if isinstance(value, date):
        return Kind.DATE
    if isinstance(value, int):
        return Kind.INT
    return Kind.MONEY


def last_data_row(chunks: Iterable[bytes]) -> int:
    """The last row holding a value or a formula (0 when none), for appending after it."""
    buf = b""
    chunks = iter(chunks)
    for data in chunks:
        buf += data
        m = _SHEET_DATA.search(buf)
        if m is not None:
            break
    else:
        return 0
    if m.group(2):
        return 0
    rx = _Rx(m.group(1) or b"")
    buf = buf[m.end():]
    last = prev = 0
    done = False
    while not done:
        end = buf.find(rx.sheet_data_end)
        if end >= 0:
            seg, done = buf[:end], True
        else:
            cut = buf.rfind(rx.row_end)
            seg = buf[:cut + len(rx.row_end)] if cut >= 0 else b""
            buf = buf[len(seg):]
        for m in re.finditer(rb"<" + re.escape(rx.p) + rb"row(?=[\s/>])([^>]*?)(/?)>", seg):
            r = re.search(rb"\sr\s*=\s*[\"']([0-9]+)[\"']", m.group(1))
            prev = int(r.group(1)) if r else prev + 1
            if not m.group(2):
                close = seg.find(rx.row_end, m.end())
                if rx.data.search(seg, m.end(), close if close >= 0 else len(seg)):
                    last = prev
        if not done:
            data = next(chunks, None)
            if data is None:
                break
            buf += data
    return last
