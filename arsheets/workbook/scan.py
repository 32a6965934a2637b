"""A fast streaming scanner for .xlsx worksheets: exact cell addresses, only the columns asked for.

Why not openpyxl or calamine: the reader needs the exact address of every cell, to know when a formula
has no saved result, to read a handful of columns out of many, and to stay within bounded memory on a
1,048,576-row sheet. A worksheet part is streamed through :meth:`Package.stream` (decompressed in a
thread, as zlib releases the GIL), cut into chunks at ``</row>`` boundaries, and matched with compiled
regular expressions over the raw bytes; only the cells of the wanted columns are decoded. Nothing
holds the whole XML or a full grid.

The scanner produces the normalised values of :mod:`arsheets.workbook.values`. The reader consumes the
source-agnostic :class:`SheetSource` protocol, so a live-Excel source can plug in later; a file source
also offers ``typed_rows``, which finishes the common cases (text, dates, money) while scanning.
"""

from __future__ import annotations

import codecs
import queue
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Protocol

from ..errors import ArsheetsError, Problem, Where, column_index, column_letter
from ..money import CENT
from .package import NS_MAIN, Package, TableInfo
from .styles import is_date_format
from .values import NO_VALUE, CellError, Value

__all__ = [
    "AS_IS", "ANY", "BookSource", "CellRange", "DATE", "MONEY", "Row", "SheetSource", "TEXT",
    "TypedRow", "XlsxBook", "XlsxSheet", "classify", "date_styles", "is_date_format",
    "serial_to_date", "typed_from_rows", "unescape_text",
]

Row = tuple[int, dict[int, Value]]

# What the reader asks of a column in ``typed_rows``: AS_IS keeps the value; the others finish the
# common case (TEXT: a string, stripped, blank dropped; DATE: a date; MONEY: a number rounded to
# cents) and leave any other value, raw, for the reader's converters.
AS_IS, ANY, TEXT, DATE, MONEY = -1, 0, 1, 2, 3

# (row, [finished value or None, ...], {index: raw value} or None); see XlsxSheet.typed_rows
TypedRow = tuple[int, Any, "dict | None"]

CHUNK = 4 << 20  # decompressed bytes per read while streaming rows
HEAD_CHUNK = 256 << 10  # smaller reads for head(): only the first rows are wanted


# --- ranges --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CellRange:
    """A rectangle of cells, 1-based and inclusive, e.g. a merged range ``D17:D18``."""

    first_row: int
    first_col: int
    last_row: int
    last_col: int

    @classmethod
    def parse(cls, ref: str) -> CellRange:
        """``'D17:E18'`` or ``'D17'`` (``$`` signs allowed)."""
        m = _REF_RANGE.fullmatch(ref.replace("$", "").strip().upper())
        if m is None:
            raise ValueError(f"{ref!r} is not a cell range")
        c1, r1, c2, r2 = m.groups()
        first_col, first_row = column_index(c1), int(r1)
        last_col, last_row = (column_index(c2), int(r2)) if c2 else (first_col, first_row)
        return cls(min(first_row, last_row), min(first_col, last_col),
                   max(first_row, last_row), max(first_col, last_col))

    def __contains__(self, cell: object) -> bool:
        row, col = cell  # type: ignore[misc]
        return self.first_row <= row <= self.last_row and self.first_col <= col <= self.last_col

    @property
    def top_left(self) -> tuple[int, int]:
        return self.first_row, self.first_col

    @property
    def ref(self) -> str:
        a = f"{column_letter(self.first_col)}{self.first_row}"
        b = f"{column_letter(self.last_col)}{self.last_row}"
        return a if a == b else f"{a}:{b}"


_REF_RANGE = re.compile(r"([A-Z]{1,3})([0-9]+)(?::([A-Z]{1,3})([0-9]+))?")


# --- the protocol the reader consumes --------------------------------------------------------------


class SheetSource(Protocol):
    """One worksheet, whatever it comes from (a file today, live Excel later).

    ``rows`` and ``head`` leave out blank cells (``None``); a row with no value in the asked-for columns
    is not yielded at all. Rows come in ascending order (in any valid file).
    """

    name: str  # the sheet's actual name
    part: str | None  # the worksheet part in the package (None for non-file sources)
    tables: Sequence[TableInfo]  # Excel tables on the sheet
    date1904: bool

    @property
    def merged(self) -> Sequence[CellRange]:
        """Merged ranges. For a file this is complete once :meth:`rows` has run to the end."""
        ...

    @property
    def last_column(self) -> int:
        """The last used column (0 for an empty sheet)."""
        ...

    def head(self, n: int) -> list[Row]:
        """The first ``n`` rows, all columns."""
        ...

    def rows(self, columns: Iterable[int] | None = None, start_row: int = 1) -> Iterator[Row]:
        """``(row, {column: value})`` for just ``columns`` (all when None), from ``start_row`` on."""
        ...


class BookSource(Protocol):
    name: str
    date1904: bool

    @property
    def sheet_names(self) -> Sequence[str]: ...

    def sheet(self, name: str) -> SheetSource | None:
        """A worksheet by name, matched case-insensitively; None when there is none."""
        ...

    def close(self) -> None: ...


_RAW = object()


def classify(value: Value, hint: int) -> object:
    """Finish a value for a column hint: the finished value, None (blank) or ``_RAW`` (leave it to
    the reader's converter)."""
    t = type(value)
    if hint == TEXT:
        if t is str:
            return value.strip() or None  # type: ignore[union-attr]
    elif hint == DATE:
        if t is date:
            return value
    elif hint == MONEY:
        if t is Decimal:
            try:
                return value.quantize(CENT, ROUND_HALF_UP)  # type: ignore[union-attr]
            except ArithmeticError:
                return _RAW
    elif hint == AS_IS:
        return value
    return _RAW


def is_raw(value: object) -> bool:
    return value is _RAW


def typed_from_rows(src: SheetSource, plan: Mapping[int, tuple[int, int]], width: int,
                    start_row: int = 1) -> Iterator[TypedRow]:
    """``typed_rows`` for a source that has only ``rows``."""
    for row, values in src.rows(list(plan), start_row):
        cur: list = [None] * width
        raw: dict | None = None
        filled = False
        for col, v in values.items():
            if v is None or col not in plan:
                continue
            i, hint = plan[col]
            done = classify(v, hint)
            if done is _RAW:
                if raw is None:
                    raw = {}
                raw[i] = v
            elif done is not None:
                cur[i] = done
                filled = True
        if filled or raw:
            yield row, cur, raw


# --- text ------------------------------------------------------------------------------------------

_ENTITY = re.compile(r"&(?:(amp|lt|gt|quot|apos)|#([0-9]+)|#[xX]([0-9A-Fa-f]+));")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_XESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _entity(m: re.Match) -> str:
    name, dec, hexa = m.groups()
    if name:
        return _NAMED[name]
    try:
        return chr(int(dec) if dec else int(hexa, 16))
    except (ValueError, OverflowError):
        return m.group(0)


def _xescape(m: re.Match) -> str:
    return chr(int(m.group(1), 16))


def unescape_text(raw: bytes | str) -> str:
    """XML character data as stored -> the text Excel shows.

    Decodes UTF-8, normalises line ends as an XML parser would, resolves the five XML entities and
    numeric character references, then Excel's own ``_xHHHH_`` escapes (``_x000D_`` is a carriage
    return, ``_x005F_`` a literal underscore, so ``_x005F_x000D_`` stays ``_x000D_``).
    """
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "&" in text:
        text = _ENTITY.sub(_entity, text)
    if "_x" in text:
        text = _XESCAPE.sub(_xescape, text)
    return text


# --- dates -----------------------------------------------------------------------------------------

_EPOCH_1900 = date(1899, 12, 30)
_EPOCH_1904 = date(1904, 1, 1)
_MAX_1900 = 2958465  # 9999-12-31
_MAX_1904 = _MAX_1900 - 1462


def serial_to_date(serial: Decimal | int | float, date1904: bool = False) -> date | None:
    """An Excel date serial -> its date (the time of day dropped); None when it is no valid date.

    In the 1900 system serial 1 is 1900-01-01 and serial 60 is Excel's phantom 1900-02-29, which is
    not a date; in the 1904 system serial 0 is 1904-01-01.
    """
    try:
        if not (serial == serial) or serial < 0:  # NaN, negative
            return None
        n = int(serial)
    except (ValueError, OverflowError, InvalidOperation, TypeError):
        return None
    if date1904:
        return _EPOCH_1904 + timedelta(days=n) if n <= _MAX_1904 else None
    if n < 1 or n == 60 or n > _MAX_1900:
        return None
    if n < 60:
        n += 1
    return _EPOCH_1900 + timedelta(days=n)


def date_styles(pkg: Package) -> tuple[bool, ...]:
    """For each cell style (cellXfs index): does it format numbers as dates?"""
    part = pkg.styles_part()
    if part is None:
        return ()
    root = pkg.xml(part)
    ns = f"{{{NS_MAIN}}}"
    codes: dict[int, str] = {}
    fmts = root.find(f"{ns}numFmts")
    if fmts is not None:
        for fmt in fmts.iter(f"{ns}numFmt"):
            try:
                codes[int(fmt.get("numFmtId", ""))] = fmt.get("formatCode", "")
            except ValueError:
                continue
    xfs = root.find(f"{ns}cellXfs")
    if xfs is None:
        return ()
    found = []
    for xf in xfs.findall(f"{ns}xf"):
        try:
            fmt_id = int(xf.get("numFmtId", "0"))
        except ValueError:
            fmt_id = 0
        found.append(is_date_format(fmt_id, codes.get(fmt_id)))
    return tuple(found)


# --- streaming XML ----------------------------------------------------------------------------------

_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)(?=[\s/>])")
_PROLOG_BAD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def _utf8_stream(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Pass UTF-8 through (minus a BOM); re-encode the rare UTF-16 part to UTF-8."""
    first = next(chunks, b"")
    if first.startswith(b"\xef\xbb\xbf"):
        first = first[3:]
    utf16 = first.startswith((b"\xff\xfe", b"\xfe\xff")) or first[:2] in (b"<\x00", b"\x00<")
    if not utf16:
        if first:
            yield first
        yield from chunks
        return
    if first.startswith((b"\xff\xfe", b"\xfe\xff")):
        decoder = codecs.getincrementaldecoder("utf-16")()
    else:
        decoder = codecs.getincrementaldecoder("utf-16-le" if first[:1] == b"<" else "utf-16-be")()
    text = decoder.decode(first)
    yield re.sub(r'encoding="[^"]*"', 'encoding="UTF-8"', text, count=1).encode("utf-8")
    for data in chunks:
        yield decoder.decode(data).encode("utf-8")
    yield decoder.decode(b"", final=True).encode("utf-8")


def _prefetch(chunks: Iterator[bytes], depth: int = 2) -> Iterator[bytes]:
    """Decompress the next chunks in a thread (zlib releases the GIL) while the caller scans."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def pump() -> None:
        try:
            for data in chunks:
                while not stop.is_set():
                    try:
                        q.put((data, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put((done, None))
        except BaseException as exc:  # handed to the consumer
            q.put((None, exc))
        finally:
            if stop.is_set():
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()

    worker = threading.Thread(target=pump, name="arsheets-unzip", daemon=True)
    worker.start()
    try:
        while True:
            data, exc = q.get()
            if exc is not None:
                raise exc
            if data is done:
                return
            yield data
    finally:
        stop.set()
        while worker.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                worker.join(0.05)


def _open_root(pkg: Package, part: str, chunks: Iterator[bytes], expected: str
               ) -> tuple[bytes, bytes]:
    """Read up to the root element: refuse DOCTYPE/ENTITY, return (namespace prefix, buffered bytes)."""
    buf = b""
    for data in chunks:
        buf += data
        if _first_element(buf) is not None or len(buf) > (1 << 20):
            break
    m = _first_element(buf)
    if _PROLOG_BAD.search(buf, 0, m.start() if m else len(buf)):
        raise ArsheetsError(Problem(Where(), f"{pkg.path.name}: part {part} declares a DOCTYPE; "
                                    "refusing to read it (XML entity tricks)",
                                    "open it in Excel and save it again"))
    if m is None or m.group(2).decode() != expected:
        raise ArsheetsError(Problem(Where(), f"{pkg.path.name}: is damaged: part {part} is not a "
                                    f"{expected}", "restore it from a backup, or open it in Excel "
                                    "to repair it"))
    return m.group(1) or b"", buf


def _first_element(buf: bytes) -> re.Match | None:
    """The first start tag that is not a declaration, processing instruction or comment."""
    pos = 0
    while True:
        lt = buf.find(b"<", pos)
        if lt < 0 or lt + 1 >= len(buf):
            return None
        nxt = buf[lt + 1:lt + 2]
        if nxt == b"?":
            end = buf.find(b"?>", lt)
        elif buf.startswith(b"<!--", lt):
            end = buf.find(b"-->", lt)
        elif nxt == b"!":
            end = buf.find(b">", lt)
        else:
            return _ROOT.match(buf, lt)
        if end < 0:
            return None
        pos = end + 1


# --- the regular expressions ---------------------------------------------------------------------------


class _Rx:
    """The regular expressions for one namespace prefix (b'' or e.g. b'x:')."""

    _cache: dict[bytes, _Rx] = {}

    def __new__(cls, prefix: bytes) -> _Rx:
        if prefix not in cls._cache:
            self = super().__new__(cls)
            self._build(prefix)
            cls._cache[prefix] = self
        return cls._cache[prefix]

    def _build(self, raw: bytes) -> None:
        p = re.escape(raw)
        self.prefix = p  # escaped, for patterns
        self.raw = raw  # as written, for literal searches
        S = re.S
        self.sheet_data = re.compile(rb"<" + p + rb"sheetData(?=[\s/>])[^>]*?(/?)>")
        self.sheet_data_end = b"</" + raw + b"sheetData>"
        self.row_end = b"</" + raw + b"row>"
        self.row_open = b"<" + raw + b"row"
        # a cell whose first attribute is not r="...": the fast path cannot read that chunk
        self.cell_without_r = re.compile(rb"<" + p + rb"c(?=[\s/>])(?! r=\")")
        self.dimension = re.compile(rb"<" + p + rb"dimension\s+ref=[\"']([^\"']*)[\"']")
        self.cell_column = re.compile(rb"<" + p + rb"c\s+r=\"([A-Z]{1,3})[0-9]")
        self.row = re.compile(rb"<" + p + rb"row(?=[\s/>])([^>]*?)(?:/>|>(.*?)</" + p + rb"row>)", S)
        self.cell = re.compile(rb"<" + p + rb"c(?=[\s/>])(?:\s+r=\"([A-Z]{1,3})([0-9]+)\")?([^>]*?)"
                               rb"(?:/>|>(.*?)</" + p + rb"c>)", S)
        self.v = re.compile(rb"<" + p + rb"v(?:\s[^>]*)?>(.*?)</" + p + rb"v>", S)
        self.f = re.compile(rb"<" + p + rb"f(?=[\s/>])")
        self.is_ = re.compile(rb"<" + p + rb"is(?:\s[^>]*)?>(.*?)</" + p + rb"is>", S)
        self.t = re.compile(rb"<" + p + rb"t(?:\s[^>]*)?>(.*?)</" + p + rb"t>|<" + p
                            + rb"t(?:\s[^>]*)?/>", S)
        self.rph = re.compile(rb"<" + p + rb"rPh(?=[\s>]).*?</" + p + rb"rPh>", S)
        # groups: the text of a plain <si><t>...</t></si>, else the inside of any other <si>
        self.si = re.compile(rb"<" + p + rb"si><" + p + rb"t(?: xml:space=\"preserve\")?>([^<]+)</"
                             + p + rb"t></" + p + rb"si>|<" + p + rb"si(?:\s[^>]*)?>(.*?)</" + p
                             + rb"si>|<" + p + rb"si\s*/>", S)
        self.si_end = b"</" + raw + b"si>"
        self.v_open, self.v_close = b"<" + raw + b"v>", b"</" + raw + b"v>"
        self.t_open, self.t_close = b"<" + raw + b"t>", b"</" + raw + b"t>"
        self.merge = re.compile(rb"<" + p + rb"mergeCell\s[^>]*?ref=[\"']\$?([A-Z]{1,3})\$?"
                                rb"([0-9]+)(?::\$?([A-Z]{1,3})\$?([0-9]+))?[\"']")
        self.row_attr_r = re.compile(rb"(?:^|\s)r\s*=\s*[\"']([0-9]+)[\"']")
        self.cell_attr_r = re.compile(rb"(?:^|\s)r\s*=\s*[\"']\$?([A-Z]{1,3})\$?([0-9]+)[\"']")
        self.attr_s = re.compile(rb"(?:^|\s)s\s*=\s*[\"']([0-9]+)[\"']")
        self.attr_t = re.compile(rb"(?:^|\s)t\s*=\s*[\"']([A-Za-z]+)[\"']")

    def fast_cells(self, letters: Sequence[str] | None) -> re.Pattern:
        """Cells with ``r`` first, of the given columns (any when None). Groups: column letters, row
        digits, other attributes, the text of a plain ``<v>...</v>`` body or plain inline string (the
        attributes tell which), any other body."""
        p = self.prefix
        if letters is None:
            cols = rb"[A-Z]{1,3}"
        elif all(len(s) == 1 for s in letters):
            cols = b"[" + "".join(letters).encode() + b"]"
        else:
            cols = b"|".join(s.encode() for s in letters)
        # the attributes stop before '/' so a self-closing <c .../> never swallows the next cell;
        # a body is "anything up to </c>", unrolled (normal* (special normal*)*) for speed
        return re.compile(rb"<" + p + rb"c r=\"(" + cols + rb")([0-9]+)\"([^>/]*)(?:/>|>(?:<" + p
                          + rb"v>|<" + p + rb"is><" + p + rb"t(?: xml:space=\"preserve\")?>)([^<]*)"
                          + rb"(?:</" + p + rb"v>|</" + p + rb"t></" + p + rb"is>)</" + p + rb"c>|>("
                          + rb"[^<]*(?:<(?!/" + p + rb"c>)[^<]*)*)</" + p + rb"c>)", re.S)

    def rich_text(self, inner: bytes) -> str:
        """The text of an ``<si>`` or ``<is>``: plain ``<t>`` or rich-text runs, phonetic runs left
        out."""
        if inner.startswith(self.t_open) and inner.endswith(self.t_close) \
                and inner.count(b"<") == 2:
            return unescape_text(inner[len(self.t_open):-len(self.t_close)])
        if b"rPh" in inner:
            inner = self.rph.sub(b"", inner)
        return unescape_text(b"".join(self.t.findall(inner)))


# --- shared strings --------------------------------------------------------------------------------


def read_shared_strings(pkg: Package, part: str) -> list[str]:
    chunks = _utf8_stream(_prefetch(pkg.stream(part, CHUNK)))
    prefix, buf = _open_root(pkg, part, chunks, "sst")
    rx = _Rx(prefix)
    strings: list[str] = []
    add = strings.append
    rich = rx.rich_text
    raw = rx.raw.decode()
    plain_rx = re.compile(f"<{raw}si>(?:<{raw}t(?: xml:space=\"preserve\")?>([^<]*)</{raw}t>"
                          f"|<{raw}t/>)</{raw}si>|<{raw}si/>")
    si_open, si_empty = f"<{raw}si>", f"<{raw}si/>"

    def parse(block: bytes) -> None:
        # the common case, a block of plain strings with nothing to unescape, in one findall
        text = block.decode("utf-8", "replace")
        if "&" not in text and "_x" not in text and "\r" not in text:
            found = plain_rx.findall(text)
            if len(found) == text.count(si_open) + text.count(si_empty):
                strings.extend(found)
                return
        for plain, inner in rx.si.findall(block):
            if plain:
                if b"&" in plain or b"_x" in plain or b"\r" in plain:
                    add(unescape_text(plain))
                else:
                    add(plain.decode("utf-8", "replace"))
            else:
                add(rich(inner))

    end = rx.si_end
    for data in chunks:
        buf += data
        cut = buf.rfind(end)
        if cut < 0:
            continue
        cut += len(end)
        parse(buf[:cut])
        buf = buf[cut:]
    parse(buf)
    return strings


# --- cell values --------------------------------------------------------------------------------------


class _Cells:
    """Turns a cell's attributes and body into a normalised value."""

    def __init__(self, book: XlsxBook, rx: _Rx):
        self.rx = rx
        self.book = book
        self.sst = book.shared_strings
        self.date_xf = book.date_xf
        self.date1904 = book.date1904
        self.kinds: dict[bytes, tuple[bytes, bool]] = {}
        self.fast_kinds: dict[bytes, int] = _Kinds(self)
        self.dates: dict[bytes, date | None] = {}
        self.v_open, self.v_close = rx.v_open, rx.v_close
        self.nv = len(rx.v_open)
        self.nvc = len(rx.v_close)

    @property
    def sst_or_none(self) -> list[str | None]:
        """The shared strings with empty ones as None (an empty string is a blank cell)."""
        return self.book.sst_or_none

    @property
    def sst_stripped(self) -> list[str | None]:
        """The shared strings stripped, blank ones as None: for TEXT columns."""
        return self.book.sst_stripped

    def kind(self, attrs: bytes) -> tuple[bytes, bool]:
        """(cell type, date-formatted?) from a cell's attributes."""
        m = self.rx.attr_t.search(attrs)
        t = m.group(1) if m else b"n"
        is_date = False
        if t == b"n":
            m = self.rx.attr_s.search(attrs)
            if m:
                s = int(m.group(1))
                is_date = s < len(self.date_xf) and self.date_xf[s]
        if len(self.kinds) < 10_000:
            self.kinds[attrs] = (t, is_date)
        return t, is_date

    def fast_kind(self, attrs: bytes) -> int:
        """0 a plain number, 1 a shared string, 2 a date-formatted number, 3 anything else, 4 an
        inline string."""
        t, is_date = self.kind(attrs)
        k = 3
        if t == b"n":
            k = 2 if is_date else 0
        elif t == b"s":
            k = 1
        elif t == b"inlineStr":
            k = 4
        if len(self.fast_kinds) < 10_000:
            self.fast_kinds[attrs] = k
        return k

    def convert(self, attrs: bytes, body: bytes) -> Value:
        """A cell's value from its attributes and the XML between ``<c ...>`` and ``</c>``."""
        if not body:
            return None
        kind = self.kinds.get(attrs)
        t, is_date = kind if kind is not None else self.kind(attrs)
        rx = self.rx
        if body.startswith(self.v_open) and body.endswith(self.v_close) \
                and body.count(b"<") == 2:
            v: bytes | None = body[self.nv:-self.nvc]
            formula = False
        else:
            m = rx.v.search(body)
            v = m.group(1) if m else None
            formula = rx.f.search(body) is not None
        if t == b"n":
            if not v:
                return NO_VALUE if formula else None
            return self.number(v, is_date)
        if t == b"s":
            if not v:
                return None
            try:
                text = self.sst[int(v)]
            except (ValueError, IndexError):
                raise ArsheetsError(Problem(
                    Where(), f"{self.book.name}: is damaged: a cell refers to shared string "
                    f"{v.decode(errors='replace')!r}, which does not exist",
                    "open it in Excel to repair it")) from None
            return text or None
        if t == b"str":
            if v is None:
                return NO_VALUE if formula else None
            return unescape_text(v) or None
        if t == b"inlineStr":
            m = rx.is_.search(body)
            if m is not None:
                return rx.rich_text(m.group(1)) or None
            return (unescape_text(v) or None) if v is not None else None
        if t == b"b":
            if not v:
                return NO_VALUE if formula else None
            return v.strip() in (b"1", b"true")
        if t == b"e":
            if not v:
                return NO_VALUE if formula else None
            return CellError(unescape_text(v).strip())
        if t == b"d":
            if not v:
                return NO_VALUE if formula else None
            text = unescape_text(v).strip()
            try:
                return date.fromisoformat(text[:10])
            except ValueError:
                return text
        # an unknown type: keep what is stored
        if v is None:
            return NO_VALUE if formula else None
        return unescape_text(v) or None

    def number(self, v: bytes, is_date: bool) -> Value:
        if is_date:
            d = self.dates.get(v, self)
            if d is self:
                try:
                    d = serial_to_date(Decimal(v.decode("ascii", "replace")), self.date1904)
                except InvalidOperation:
                    d = None
                if len(self.dates) > 100_000:
                    self.dates.clear()
                self.dates[v] = d
            if d is not None:
                return d
        try:
            num = Decimal(v.decode("ascii", "replace").strip())
        except InvalidOperation:
            return CellError("#VALUE!")
        if not num.is_finite():
            return CellError("#NUM!")
        return num


# --- the file sources ---------------------------------------------------------------------------------


class XlsxBook:
    """A workbook file as a :class:`BookSource`. Shared strings and styles load once, when a sheet is
    first read."""

    def __init__(self, pkg: Package):
        self.pkg = pkg
        self.name = pkg.path.name
        self.date1904 = pkg.date1904
        self._sst: list[str] | None = None
        self._sst_or_none: list[str | None] | None = None
        self._sst_stripped: list[str | None] | None = None
        self._date_xf: tuple[bool, ...] | None = None

    @classmethod
    def open(cls, path: str | Path) -> XlsxBook:
        return cls(Package.open(path))

    def close(self) -> None:
        self.pkg.close()

    def __enter__(self) -> XlsxBook:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def sheet_names(self) -> list[str]:
        return [s.name for s in self.pkg.sheets]

    def sheet(self, name: str) -> XlsxSheet | None:
        info = self.pkg.sheet(name)
        if info is None:
            return None
        return XlsxSheet(self, info.name, info.part)

    @property
    def shared_strings(self) -> list[str]:
        if self._sst is None:
            part = self.pkg.shared_strings_part()
            self._sst = read_shared_strings(self.pkg, part) if part else []
        return self._sst

    @property
    def sst_or_none(self) -> list[str | None]:
        if self._sst_or_none is None:
            sst = self.shared_strings
            self._sst_or_none = [s or None for s in sst] if "" in sst else sst  # type: ignore
        return self._sst_or_none

    @property
    def sst_stripped(self) -> list[str | None]:
        if self._sst_stripped is None:
            sst = self.sst_or_none
            stripped = [s.strip() or None if s is not None else None for s in sst]
            # usually nothing needed stripping: share the one list (a pointer per string saved)
            self._sst_stripped = sst if all(a is b for a, b in zip(stripped, sst)) else stripped
        return self._sst_stripped

    @property
    def date_xf(self) -> tuple[bool, ...]:
        if self._date_xf is None:
            self._date_xf = date_styles(self.pkg)
        return self._date_xf


class XlsxSheet:
    """One worksheet part of a file, as a :class:`SheetSource`."""

    def __init__(self, book: XlsxBook, name: str, part: str):
        self.book = book
        self.name = name
        self.part = part
        self.date1904 = book.date1904
        self._tables: list[TableInfo] | None = None
        self._merged: tuple[CellRange, ...] | None = None
        self._dimension_col: int | None = None
        self._head_col = 0
        self._prefix: bytes | None = None

    @property
    def tables(self) -> list[TableInfo]:
        if self._tables is None:
            self._tables = self.book.pkg.tables(self.part) if self.book.pkg.has(self.part) else []
        return self._tables

    @property
    def merged(self) -> tuple[CellRange, ...]:
        if self._merged is None:
            for _ in self._chunks(CHUNK, skip_rows=True):
                pass
        return self._merged or ()

    @property
    def last_column(self) -> int:
        """The last used column. The stored ``<dimension>`` is trusted when it reaches at least
        as far as the first rows do; when it is missing or plainly stale (some writers always
        say A1), every row is looked at, since a new column must never land on someone's data."""
        if self._dimension_col is None:
            self.head(30)
        if (self._dimension_col or 0) < self._head_col or not self._dimension_col:
            self._dimension_col = self._widest_row()
        return max(self._dimension_col or 0, self._head_col)

    def _widest_row(self) -> int:
        widest = 0
        find = _Rx(self._prefix or b"").cell_column.findall
        for chunk in self._chunks(CHUNK):
            letters = set(find(chunk))
            if letters:
                widest = max(widest, max(column_index(c.decode()) for c in letters))
        return widest

    # --- streaming ------------------------------------------------------------------------------

    def _chunks(self, size: int, skip_rows: bool = False) -> Iterator[bytes]:
        """Chunks of the sheetData holding whole rows; afterwards, records the merged ranges."""
        pkg = self.book.pkg
        if not pkg.has(self.part):
            raise ArsheetsError(Problem(Where(self.name), f"{pkg.path.name}: is damaged: sheet "
                                        f"{self.name!r} has no part {self.part}",
                                        "open it in Excel to repair it"))
        chunks = _utf8_stream(_prefetch(pkg.stream(self.part, size)) if size >= CHUNK
                              else pkg.stream(self.part, size))
        prefix, buf = _open_root(pkg, self.part, chunks, "worksheet")
        self._prefix = prefix
        rx = _Rx(prefix)
        # the prolog: up to <sheetData>
        while True:
            m = rx.sheet_data.search(buf)
            if m is not None:
                break
            data = next(chunks, None)
            if data is None:
                self._dimension(rx, buf)
                self._merged = tuple(self._merges(rx, buf))
                return
            buf += data
        self._dimension(rx, buf[:m.start()])
        buf = buf[m.end():]
        if m.group(1) == b"/":  # <sheetData/>: no rows
            tail = buf
        else:
            end, row_end = rx.sheet_data_end, rx.row_end
            searched = 0
            while True:
                pos = buf.find(end, max(0, searched - len(end)))
                if pos >= 0:
                    if not skip_rows:
                        yield buf[:pos]
                    tail = buf[pos:]
                    break
                searched = len(buf)
                cut = buf.rfind(row_end)
                if cut >= 0:
                    cut += len(row_end)
                    if not skip_rows:
                        yield buf[:cut]
                    buf = buf[cut:]
                    searched = len(buf)
                data = next(chunks, None)
                if data is None:  # truncated: no </sheetData>
                    if not skip_rows:
                        yield buf
                    tail = b""
                    break
                buf += data
        ranges: list[CellRange] = []
        carry = tail
        for data in chunks:
            carry += data
            cut = carry.rfind(b">")
            ranges.extend(self._merges(rx, carry[:cut + 1]))
            carry = carry[cut + 1:]
        ranges.extend(self._merges(rx, carry))
        self._merged = tuple(ranges)

    def _dimension(self, rx: _Rx, prolog: bytes) -> None:
        m = rx.dimension.search(prolog)
        col = 0
        if m:
            try:
                col = CellRange.parse(m.group(1).decode("ascii")).last_col
            except ValueError:
                col = 0
        self._dimension_col = col

    @staticmethod
    def _merges(rx: _Rx, text: bytes) -> list[CellRange]:
        found = []
        for c1, r1, c2, r2 in rx.merge.findall(text):
            a, b = column_index(c1.decode()), int(r1)
            c, d = (column_index(c2.decode()), int(r2)) if c2 else (a, b)
            found.append(CellRange(min(b, d), min(a, c), max(b, d), max(a, c)))
        return found

    def head(self, n: int) -> list[Row]:
        out: list[Row] = []
        gen = self._chunks(HEAD_CHUNK)
        try:
            cells: _Cells | None = None
            state = [0]
            for chunk in gen:
                if cells is None:
                    cells = _Cells(self.book, _Rx(self._prefix or b""))
                got: list[TypedRow] = []
                self._generic(chunk, cells, None, 0, 1, got, state, limit=n)
                for row, values, _ in got:
                    if row > n:
                        return out
                    out.append((row, values))
                    if values:
                        self._head_col = max(self._head_col, max(values))
                if state[0] > n:
                    return out
        finally:
            gen.close()
        return out

    def rows(self, columns: Iterable[int] | None = None, start_row: int = 1) -> Iterator[Row]:
        if columns is None:
            # every column: the slow path, which needs no plan (the Settings sheet, small)
            state = [0]
            cells: _Cells | None = None
            for chunk in self._chunks(CHUNK):
                if cells is None:
                    cells = _Cells(self.book, _Rx(self._prefix or b""))
                got: list[TypedRow] = []
                self._generic(chunk, cells, None, 0, start_row, got, state)
                for row, values, _ in got:
                    yield row, values
            return
        cols = sorted(set(columns))
        if not cols:
            return
        plan = {c: (i, AS_IS) for i, c in enumerate(cols)}
        for batch in self._scan(plan, len(cols), start_row):
            for row, values, _ in batch:
                yield row, {c: v for c, v in zip(cols, values) if v is not None}

    def typed_rows(self, plan: Mapping[int, tuple[int, int]], width: int, start_row: int = 1
                   ) -> Iterator[TypedRow]:
        """The reader's fast path. ``plan`` maps a column to (index, hint); rows come as
        ``(row, values, raw)``: ``values`` a list of ``width`` finished values (None where blank or
        raw), ``raw`` None or {index: raw value} for the reader's converters (see :func:`classify`)."""
        for batch in self.typed_batches(plan, width, start_row):
            yield from batch

    def typed_batches(self, plan: Mapping[int, tuple[int, int]], width: int, start_row: int = 1
                      ) -> Iterator[list[TypedRow]]:
        """:meth:`typed_rows` a chunk at a time (a list of rows), which saves a little per row."""
        if plan:
            yield from self._scan(plan, width, start_row)

    def _scan(self, plan: Mapping[int, tuple[int, int]], width: int, start_row: int
              ) -> Iterator[list[TypedRow]]:
        cells: _Cells | None = None
        fast = None
        by_letters: Mapping[bytes, tuple[int, int]] = {}
        state = [0]
        for chunk in self._chunks(CHUNK):
            if cells is None:
                rx = _Rx(self._prefix or b"")
                cells = _Cells(self.book, rx)
                letters = sorted((column_letter(c) for c in plan), key=len, reverse=True)
                by_letters = {s.encode(): plan[column_index(s)] for s in letters}
                fast = rx.fast_cells(letters)
            got: list[TypedRow] = []
            if cells.rx.cell_without_r.search(chunk) is None:
                self._fast(chunk, fast, by_letters, width, cells, start_row, got)
                state[0] = self._last_row(chunk, cells.rx, state[0])
            else:
                self._generic(chunk, cells, plan, width, start_row, got, state)
            if got:
                yield got

    @staticmethod
    def _fast(chunk: bytes, rx: re.Pattern, plan: Mapping[bytes, tuple[int, int]], width: int,
              cells: _Cells, start_row: int, out: list[TypedRow]) -> None:
        """Every cell has ``r`` first: match only the wanted columns' cells. The common bodies
        (``<v>...</v>`` of a number, date or shared string, a plain inline string) are converted
        inline, and what the plan asks for is finished here (see :func:`classify`)."""
        kinds = cells.fast_kinds
        sst = cells.sst_or_none
        stripped = cells.sst_stripped if any(h == TEXT for _, h in plan.values()) else sst
        dates = cells.dates
        number = cells.number
        convert = cells.convert
        v_open, v_close = cells.v_open, cells.v_close
        raw_prefix = cells.rx.raw
        inline_open = b"<" + raw_prefix + b"is><" + raw_prefix + b"t>"
        inline_close = b"</" + raw_prefix + b"t></" + raw_prefix + b"is>"
        prev = None
        blank = [None] * width
        cur: list = blank[:]
        raw: dict | None = None
        row = 0
        first = len(out)
        date_type, quantize_to, half_up, dec = date, CENT, ROUND_HALF_UP, Decimal
        # hints as literals in the loop: 1 TEXT, 2 DATE, 3 MONEY, -1 AS_IS (see the module top);
        # kinds: 0 number, 1 shared string, 2 date-formatted number, 3 other, 4 inline string
        for letters, rb, attrs, v, body in rx.findall(chunk):
            if rb != prev:
                if raw is not None or cur != blank:
                    out.append((row, cur, raw))
                    cur = blank[:]
                    raw = None
                prev = rb
                row = int(rb)
            i, hint = plan[letters]
            if v:
                k = kinds[attrs]
                try:
                    if k == 1:
                        if hint == 1:
                            cur[i] = stripped[int(v)]
                            continue
                        val = sst[int(v)]
                    elif k == 0 and 48 <= v[-1] <= 57:
                        val = dec(v.decode())
                        if hint == 3:
                            cur[i] = val.quantize(quantize_to, half_up)
                            continue
                    elif k == 2:
                        val = dates.get(v)
                        if val is None:
                            val = number(v, True)
                        if hint == 2 and type(val) is date_type:
                            cur[i] = val
                            continue
                    elif k == 4:
                        if b"&" in v or b"_x" in v or b"\r" in v:
                            val = convert(attrs, inline_open + v + inline_close)
                        elif hint == 1:
                            cur[i] = v.decode("utf-8", "replace").strip() or None
                            continue
                        else:
                            val = v.decode("utf-8", "replace")
                    else:
                        val = convert(attrs, v_open + v + v_close)
                except (ValueError, IndexError, ArithmeticError):
                    val = convert(attrs, (inline_open + v + inline_close) if k == 4
                                  else (v_open + v + v_close))
            elif body:
                val = convert(attrs, body)
            else:
                continue
            if val is None:
                continue
            if hint == -1:
                cur[i] = val
                continue
            done = classify(val, hint)
            if done is _RAW:
                if raw is None:
                    raw = {}
                raw[i] = val
            else:
                cur[i] = done
        if raw is not None or cur != blank:
            out.append((row, cur, raw))
        if len(out) > first and out[first][0] < start_row:
            out[first:] = [item for item in out[first:] if item[0] >= start_row]

    @staticmethod
    def _last_row(chunk: bytes, rx: _Rx, previous: int) -> int:
        """The number of the last row in a chunk (for rows without ``r`` in a later chunk)."""
        pos = chunk.rfind(rx.row_open)
        if pos < 0:
            return previous
        m = rx.row.match(chunk, pos)
        if m is None:
            return previous
        r = rx.row_attr_r.search(m.group(1))
        if r:
            return int(r.group(1))
        c = rx.cell_attr_r.search(m.group(2) or b"")
        return int(c.group(2)) if c else previous + 1

    @staticmethod
    def _generic(chunk: bytes, cells: _Cells, plan: Mapping[int, tuple[int, int]] | None,
                 width: int, start_row: int, out: list[TypedRow], state: list[int],
                 limit: int | None = None) -> None:
        """Any well-formed sheetData: rows or cells without ``r``, attributes in any order.

        With a ``plan``, rows come as in :meth:`typed_rows`; without, as ``(row, {column: value},
        None)`` for every column."""
        rx = cells.rx
        value = cells.convert
        row = state[0]
        for row_attrs, body in rx.row.findall(chunk):
            m = rx.row_attr_r.search(row_attrs)
            explicit = int(m.group(1)) if m else None
            col = 0
            cur: Any = {} if plan is None else [None] * width
            raw: dict | None = None
            filled = False
            first = True
            for letters, digits, attrs, inner in rx.cell.findall(body or b""):
                if not letters:
                    r = rx.cell_attr_r.search(attrs)
                    if r is not None:
                        letters, digits = r.group(1), r.group(2)
                        attrs = attrs[:r.start()] + attrs[r.end():]
                if letters:
                    col = column_index(letters.decode())
                    if first and explicit is None:
                        explicit = int(digits)
                else:
                    col += 1
                first = False
                if not inner:
                    continue
                if plan is None:
                    key, hint = col, AS_IS
                else:
                    wanted = plan.get(col)
                    if wanted is None:
                        continue
                    key, hint = wanted
                v = value(attrs, inner)
                if v is None:
                    continue
                done = v if hint == AS_IS else classify(v, hint)
                if done is _RAW:
                    if raw is None:
                        raw = {}
                    raw[key] = v
                elif done is not None:
                    cur[key] = done
                    filled = True
            row = explicit if explicit is not None else row + 1
            if (filled or raw) and row >= start_row:
                out.append((row, cur, raw))
            if limit is not None and row > limit:
                break
        state[0] = row


class _Kinds(dict):
    """Cell attributes -> fast kind (see ``_Cells.fast_kind``), filled on demand."""

    def __init__(self, cells: _Cells):
        super().__init__()
        self.cells = cells

    def __missing__(self, attrs: bytes) -> int:
        return self.cells.fast_kind(attrs)
