"""Cell formats in styles.xml: find one that suits, or append it; never rewrite what is there.

The writer needs a handful of formats: a number format for each column kind (money ``#,##0.00``,
dates built-in 14, ...), "this cell's style, but showing a date", and the looks of the sheets
arsheets owns (title, header, totals). Each is looked up among the existing ``cellXfs`` first,
compared by meaning (attributes in any order, children without layout whitespace); only when none
suits is an entry appended, with its ``numFmt``, ``font``, ``fill`` or ``border`` if those are
missing too. So a second refresh finds what the first one added and styles.xml keeps its bytes.

Edits are made on the raw bytes: new entries go before the closing tag of their list and the list's
``count`` is updated; everything else in the part is kept as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from ..errors import ArsheetsError, Problem, Where
from .schema import Kind


class Role(StrEnum):
    """How a cell of a sheet arsheets owns looks."""

    TITLE = "title"
    HEADER = "header"
    TEXT = "text"
    MONEY = "money"
    DATE = "date"
    INT = "int"
    DAYS = "days"
    PERCENT = "percent"  # the value is a fraction: 0.25 shows as 25.0%
    TOTAL_TEXT = "total_text"
    TOTAL_MONEY = "total_money"
    TOTAL_PERCENT = "total_percent"
    NOTE = "note"


FMT_GENERAL = "General"
FMT_MONEY = "#,##0.00"
FMT_DATE = "mm-dd-yy"  # built-in 14: the short date of the reader's locale
FMT_INT = "0"
FMT_DAYS = "0.0"
FMT_PERCENT = "0.0%"

BUILTIN_FORMATS: dict[int, str] = {
    0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%",
    11: "0.00E+00", 12: "# ?/?", 13: "# ??/??", 14: "mm-dd-yy", 15: "d-mmm-yy", 16: "d-mmm",
    17: "mmm-yy", 18: "h:mm AM/PM", 19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss",
    22: "m/d/yy h:mm", 37: "#,##0 ;(#,##0)", 38: "#,##0 ;[Red](#,##0)", 39: "#,##0.00;(#,##0.00)",
    40: "#,##0.00;[Red](#,##0.00)", 45: "mm:ss", 46: "[h]:mm:ss", 47: "mmss.0", 48: "##0.0E+0",
    49: "@",
}
_BUILTIN_IDS = {code: fid for fid, code in BUILTIN_FORMATS.items()}

KIND_FORMATS: dict[Kind, str] = {
    Kind.MONEY: FMT_MONEY, Kind.DATE: FMT_DATE, Kind.INT: FMT_INT, Kind.DAYS: FMT_DAYS,
    Kind.RATE: FMT_PERCENT,
}

BUILTIN_DATE_FORMATS = frozenset((*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)))
_FMT_QUOTED = re.compile(r'"[^"]*"')
_FMT_ESCAPED = re.compile(r"\\.|[_*].")
_FMT_ELAPSED = re.compile(r"\[(?:h+|m+|s+)\]", re.IGNORECASE)
_FMT_BRACKET = re.compile(r"\[[^\]]*\]")
_FMT_DATE_TOKEN = re.compile(r"[dmyhs]", re.IGNORECASE)


def is_date_format(fmt_id: int, code: str | None = None) -> bool:
    """Whether a number format shows dates or times: a built-in date id, or a custom code with date
    tokens (d, m, y, h, s) outside quotes, escapes and brackets. Elapsed-time formats (``[h]:mm``)
    are durations, not dates."""
    if code is None:
        return fmt_id in BUILTIN_DATE_FORMATS
    text = _FMT_QUOTED.sub("", code)
    text = _FMT_ESCAPED.sub("", text)
    if _FMT_ELAPSED.search(text):
        return False
    text = _FMT_BRACKET.sub("", text)
    return _FMT_DATE_TOKEN.search(text) is not None


# font children in the order the schema requires
_FONT_ORDER = (b"b", b"i", b"strike", b"condense", b"extend", b"outline", b"shadow", b"u",
               b"vertAlign", b"sz", b"color", b"name", b"family", b"charset", b"scheme")
_ATTR = re.compile(rb'([\w:.-]+)\s*=\s*("[^"]*"|\'[^\']*\')')
_SPACE_BETWEEN_TAGS = re.compile(rb">\s+<")


def tag_attrs(tag: bytes) -> dict[bytes, bytes]:
    """The attributes of a start tag, raw (values still escaped)."""
    return {k: v[1:-1] for k, v in _ATTR.findall(tag)}


def _unescape_attr(value: bytes) -> str:
    text = value.decode("utf-8", "replace")
    return (text.replace("&quot;", '"').replace("&apos;", "'").replace("&lt;", "<")
            .replace("&gt;", ">").replace("&amp;", "&"))


def xml_attr(text: str) -> bytes:
    """Text for a double-quoted XML attribute value."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;")).encode("utf-8")


class _List:
    """One list of styles.xml (numFmts, fonts, fills, borders, cellXfs): its items and additions."""

    def __init__(self, raw: bytes, p: bytes, name: bytes, item: bytes):
        self.name, self.item, self.p = name, item, p
        ep = re.escape(p)
        self.span: tuple[int, int] | None = None  # of the whole list element
        self.inner: tuple[int, int] | None = None  # of its content
        m = re.search(rb"<" + ep + name + rb"(?=[\s/>])[^>]*?(/?)>", raw)
        self.items: list[bytes] = []
        if m is not None:
            if m.group(1):
                self.span, self.inner = (m.start(), m.end()), None
            else:
                close = raw.find(b"</" + p + name + b">", m.end())
                if close < 0:
                    raise _damaged(f"its <{name.decode()}> list is not closed")
                self.span = (m.start(), close + len(p) + len(name) + 3)
                self.inner = (m.end(), close)
                content = raw[m.end():close]
                self.items = re.findall(
                    rb"<" + ep + item + rb"(?=[\s/>])[^>]*?(?:/>|>.*?</" + ep + item + rb">)",
                    content, re.S)
        self.added: list[bytes] = []
        self._keys: dict[tuple, int] | None = None

    def __len__(self) -> int:
        return len(self.items) + len(self.added)

    def get(self, index: int) -> bytes:
        return (self.items + self.added)[index]

    def key(self, raw: bytes) -> tuple:
        m = re.match(rb"<[^>]*?(/?)>", raw)
        tag = m.group(0) if m else raw
        inner = b"" if (m is None or m.group(1)) else raw[m.end():raw.rfind(b"<")]
        return (tuple(sorted(tag_attrs(tag).items())),
                _SPACE_BETWEEN_TAGS.sub(b"><", inner.strip()))

    def find_or_add(self, raw: bytes) -> int:
        if self._keys is None:
            self._keys = {}
            for i, existing in enumerate(self.items):
                self._keys.setdefault(self.key(existing), i)
        k = self.key(raw)
        if k not in self._keys:
            self._keys[k] = len(self)
            self.added.append(raw)
        return self._keys[k]


def _damaged(what: str) -> ArsheetsError:
    return ArsheetsError(Problem(Where(), f"the workbook's styles part is damaged: {what}",
                                 "open the workbook in Excel and save it again"))


_MINIMAL = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
            b'</fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill>'
            b'<patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/>'
            b'<right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1">'
            b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            b'<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            b'</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
            b'</cellStyles></styleSheet>')


@dataclass(frozen=True)
class _Look:
    fmt: str = FMT_GENERAL
    bold: bool = False
    italic: bool = False
    size: float | None = None
    grey: bool = False
    fill: bool = False
    top: bool = False
    bottom: bool = False
    wrap: bool = False


_LOOKS: dict[Role, _Look] = {
    Role.TITLE: _Look(bold=True, size=14),
    Role.HEADER: _Look(bold=True, fill=True, bottom=True, wrap=True),
    Role.TEXT: _Look(),
    Role.MONEY: _Look(FMT_MONEY),
    Role.DATE: _Look(FMT_DATE),
    Role.INT: _Look(FMT_INT),
    Role.DAYS: _Look(FMT_DAYS),
    Role.PERCENT: _Look(FMT_PERCENT),
    Role.TOTAL_TEXT: _Look(bold=True, top=True),
    Role.TOTAL_MONEY: _Look(FMT_MONEY, bold=True, top=True),
    Role.TOTAL_PERCENT: _Look(FMT_PERCENT, bold=True, top=True),
    Role.NOTE: _Look(italic=True, grey=True),
}


class StyleBook:
    """The cell formats of one workbook, with find-or-append."""

    def __init__(self, raw: bytes | None):
        self.created = raw is None
        self.raw = _MINIMAL if raw is None else raw
        m = re.search(rb"<([A-Za-z_][\w.-]*:)?styleSheet(?=[\s>])", self.raw)
        if m is None:
            raise _damaged("it has no <styleSheet>")
        self.p = m.group(1) or b""
        self.root_end = self.raw.find(b">", m.end()) + 1
        p = self.p
        self.numfmts = _List(self.raw, p, b"numFmts", b"numFmt")
        self.fonts = _List(self.raw, p, b"fonts", b"font")
        self.fills = _List(self.raw, p, b"fills", b"fill")
        self.borders = _List(self.raw, p, b"borders", b"border")
        self.xfs = _List(self.raw, p, b"cellXfs", b"xf")
        if not len(self.xfs):
            raise _damaged("it has no cell formats (cellXfs)")
        self.codes: dict[int, str] = {}
        for item in self.numfmts.items:
            a = tag_attrs(item[:item.find(b">") + 1])
            try:
                self.codes[int(a.get(b"numFmtId", b""))] = _unescape_attr(a.get(b"formatCode", b""))
            except ValueError:
                continue
        self._date: dict[int, bool] = {}
        self._suit: dict[tuple[int, str], int] = {}
        self._kind: dict[Kind, int] = {}
        self._role: dict[Role, int] = {}

    # --- reading ---------------------------------------------------------------------------------

    @property
    def changed(self) -> bool:
        return self.created or any(lst.added for lst in (self.numfmts, self.fonts, self.fills,
                                                          self.borders, self.xfs))

    def _xf_attrs(self, s: int) -> dict[bytes, bytes]:
        raw = self.xfs.get(s)
        return tag_attrs(raw[:raw.find(b">") + 1])

    def numfmt(self, s: int) -> tuple[int, str | None]:
        """(numFmtId, format code or None for an unknown built-in) of cell format ``s``."""
        if not 0 <= s < len(self.xfs):
            return 0, FMT_GENERAL
        try:
            fid = int(self._xf_attrs(s).get(b"numFmtId", b"0"))
        except ValueError:
            fid = 0
        return fid, self.codes.get(fid, BUILTIN_FORMATS.get(fid))

    def is_date(self, s: int) -> bool:
        if s not in self._date:
            fid, code = self.numfmt(s)
            self._date[s] = is_date_format(fid, code if fid in self.codes else None)
        return self._date[s]

    # --- find or append --------------------------------------------------------------------------

    def numfmt_id(self, code: str) -> int:
        if code in _BUILTIN_IDS:
            return _BUILTIN_IDS[code]
        for fid, existing in self.codes.items():
            if existing == code:
                return fid
        fid = max([163, *self.codes]) + 1
        self.codes[fid] = code
        self.numfmts.added.append(b'<%snumFmt numFmtId="%d" formatCode="%s"/>'
                                  % (self.p, fid, xml_attr(code)))
        return fid

    def with_format(self, s: int, code: str) -> int:
        """Cell format ``s`` showing numbers with ``code`` instead: found, or appended."""
        if not 0 <= s < len(self.xfs):
            s = 0
        fid = self.numfmt_id(code)
        raw = self.xfs.get(s)
        gt = raw.find(b">")
        tag, rest = raw[:gt + 1], raw[gt + 1:]
        tag = set_attr(tag, b"numFmtId", b"%d" % fid)
        tag = set_attr(tag, b"applyNumberFormat", b"1") if fid else tag
        return self.xfs.find_or_add(tag + rest)

    def suited(self, s: int, value_kind: str, kind: Kind) -> int:
        """A cell format for a value of ``value_kind`` ('date' or 'number') in a ``kind`` column.

        A date needs a date format; a number must not show as a date. Otherwise ``s`` is kept."""
        key = (s, value_kind + kind)
        found = self._suit.get(key)
        if found is None:
            found = s
            if value_kind == "date":
                if not self.is_date(s):
                    found = self.with_format(s, FMT_DATE)
            elif self.is_date(s):
                found = self.with_format(s, KIND_FORMATS.get(kind, FMT_GENERAL)
                                         if kind != Kind.DATE else FMT_GENERAL)
            self._suit[key] = found
        return found

    def for_kind(self, kind: Kind) -> int:
        """The default cell format with the kind's number format (0 for text kinds)."""
        if kind not in self._kind:
            code = KIND_FORMATS.get(kind)
            self._kind[kind] = 0 if code is None else self.with_format(0, code)
        return self._kind[kind]

    def for_role(self, role: Role) -> int:
        if role not in self._role:
            self._role[role] = self._make_look(_LOOKS[Role(role)])
        return self._role[role]

    def _make_look(self, look: _Look) -> int:
        p = self.p
        fid = self.numfmt_id(look.fmt)
        font = 0
        if look.bold or look.italic or look.size or look.grey:
            font = self.fonts.find_or_add(self._font(look))
        fill = 0
        if look.fill:
            fill = self.fills.find_or_add(
                b'<%sfill><%spatternFill patternType="solid"><%sfgColor rgb="FFDDEBF7"/>'
                b'<%sbgColor indexed="64"/></%spatternFill></%sfill>' % ((p,) * 6))
        border = 0
        if look.top or look.bottom:
            edge = b'<%s%%s style="thin"><%scolor auto="1"/></%s%%s>' % (p, p, p)
            top = (edge % (b"top", b"top")) if look.top else b"<%stop/>" % p
            bottom = (edge % (b"bottom", b"bottom")) if look.bottom else b"<%sbottom/>" % p
            border = self.borders.find_or_add(
                b"<%sborder><%sleft/><%sright/>%s%s<%sdiagonal/></%sborder>"
                % (p, p, p, top, bottom, p, p))
        attrs = b'numFmtId="%d" fontId="%d" fillId="%d" borderId="%d" xfId="0"' % (
            fid, font, fill, border)
        for flag, name in ((fid, b"applyNumberFormat"), (font, b"applyFont"), (fill, b"applyFill"),
                           (border, b"applyBorder"), (look.wrap, b"applyAlignment")):
            if flag:
                attrs += b' %s="1"' % name
        if look.wrap:
            raw = b'<%sxf %s><%salignment vertical="top" wrapText="1"/></%sxf>' % (p, attrs, p, p)
        else:
            raw = b"<%sxf %s/>" % (p, attrs)
        return self.xfs.find_or_add(raw)

    def _font(self, look: _Look) -> bytes:
        """The workbook's default font (font 0) with the look's changes, in schema order."""
        p = self.p
        base = self.fonts.get(0) if len(self.fonts) else b"<font/>"
        children: dict[bytes, bytes] = {}
        for m in re.finditer(rb"<(?:[\w.-]+:)?([\w]+)\b[^>]*?/>", base):
            children[m.group(1)] = m.group(0)
        if look.bold:
            children[b"b"] = b"<%sb/>" % p
        if look.italic:
            children[b"i"] = b"<%si/>" % p
        if look.size:
            children[b"sz"] = b'<%ssz val="%s"/>' % (p, (b"%g" % look.size))
        if look.grey:
            children[b"color"] = b'<%scolor rgb="FF595959"/>' % p
        body = b"".join(children[name] for name in _FONT_ORDER if name in children)
        return b"<%sfont>%s</%sfont>" % (p, body, p)

    # --- writing ---------------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        if not self.changed:
            return self.raw
        raw = self.raw
        edits: list[tuple[int, int, bytes]] = []
        for lst in (self.numfmts, self.fonts, self.fills, self.borders, self.xfs):
            if not lst.added:
                continue
            p, name = self.p, lst.name
            if lst.span is None:  # only numFmts may be missing: it is the first child
                if lst is not self.numfmts:
                    raise _damaged(f"it has no <{name.decode()}> list")
                block = (b'<%s%s count="%d">' % (p, name, len(lst)) + b"".join(lst.added)
                         + b"</%s%s>" % (p, name))
                edits.append((self.root_end, self.root_end, block))
                continue
            start, end = lst.span
            if lst.inner is None:  # <numFmts count="0"/>
                tag = raw[start:end]
                tag = set_attr(tag[:-2].rstrip() + b">", b"count", b"%d" % len(lst))
                edits.append((start, end, tag + b"".join(lst.added) + b"</%s%s>" % (p, name)))
                continue
            open_end, close = lst.inner
            tag = set_attr(raw[start:open_end], b"count", b"%d" % len(lst))
            edits.append((start, open_end, tag))
            edits.append((close, close, b"".join(lst.added)))
        out = []
        pos = 0
        for start, end, text in sorted(edits, key=lambda e: (e[0], e[1])):
            out.append(raw[pos:start])
            out.append(text)
            pos = end
        out.append(raw[pos:])
        return b"".join(out)


def set_attr(tag: bytes, name: bytes, value: bytes) -> bytes:
    """Set an attribute in a start tag (``<x a="1">`` or ``<x a="1"/>``), changing nothing else;
    ``value`` is already escaped."""
    m = re.search(rb"(\s" + re.escape(name) + rb'\s*=\s*)("[^"]*"|\'[^\']*\')', tag)
    if m is not None:
        return tag[:m.start(2)] + b'"' + value + b'"' + tag[m.end(2):]
    end = len(tag) - (2 if tag.endswith(b"/>") else 1)
    return tag[:end].rstrip() + b' %s="%s"' % (name, value) + tag[end:]
