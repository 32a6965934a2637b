"""Whole worksheet parts for the sheets arsheets owns (Aging, Schedule): cells, table, chart.

A sheet arsheets owns is regenerated on every refresh: its worksheet part, and the table, drawing
and chart parts it uses. The XML is written here from the rows and their roles; part names and
relationship ids are decided by the writer, which reuses the old ones so nothing is left orphaned.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from ..errors import column_index, column_letter, sheet_prefix
from .package import NS_MAIN, NS_PKG_REL, NS_REL, REL_TABLE
from .schema import Kind
from .sheetpatch import date_serial, format_ref, number_text, parse_ref, text_body, xstring
from .styles import Role, StyleBook

Value = None | str | Decimal | int | date | bool

NS_C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
NS_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
NS_XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
REL_DRAWING = NS_REL + "/drawing"
REL_CHART = NS_REL + "/chart"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_TABLE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"
CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
XML_DECL = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# bucket colours, oldest last: green, yellow, orange, red, dark red, then greys
PALETTE = ("70AD47", "FFC000", "ED7D31", "E0301E", "7B1E1E", "7F7F7F", "A5A5A5", "404040")


@dataclass(frozen=True)
class OwnedTable:
    """The data of an owned sheet as an Excel table; header texts must equal ``columns``."""

    name: str
    header_row: int
    columns: tuple[str, ...]
    first_column: int = 1
    last_row: int | None = None  # default: the last row of the sheet's rows
    style: str = "TableStyleMedium2"

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", tuple(self.columns))


@dataclass(frozen=True)
class ChartSeries:
    name_ref: str  # the cell holding the series name: "C4" or "Aging!$C$4"
    values_ref: str  # "C5:C20"


@dataclass(frozen=True)
class StackedBarChart:
    """A stacked bar chart: one bar per category, one coloured segment per series."""

    title: str
    categories_ref: str  # "A5:A20"
    series: tuple[ChartSeries, ...]
    anchor: str = "A1"  # top-left cell
    width_cols: int = 10
    height_rows: int = 20
    horizontal: bool = True  # bars across; False: columns up

    def __post_init__(self) -> None:
        object.__setattr__(self, "series", tuple(
            s if isinstance(s, ChartSeries) else ChartSeries(*s) for s in self.series))


@dataclass(frozen=True)
class OwnedSheet:
    """A sheet arsheets owns whole: regenerated on every refresh, created when missing."""

    name: str
    rows: Sequence[Sequence[tuple[Value, Role]]]  # from A1; a None value is an empty cell
    widths: Sequence[float] = ()
    freeze_rows: int = 0
    table: OwnedTable | None = None
    chart: StackedBarChart | None = None


@dataclass
class OwnedParts:
    """The generated XML of one owned sheet and the parts it relates to, by part name."""

    sheet: bytes
    rels: list[tuple[str, str, str]] = field(default_factory=list)  # (id, type, target part)
    parts: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # name -> (xml, type)
    part_rels: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)


def _a(text: str) -> str:
    return quoteattr(text)


def rels_xml(rels: Sequence[tuple[str, str, str]], source: str) -> bytes:
    """A relationships part; targets are made relative to ``source``."""
    base = posixpath.dirname(source)
    items = "".join(
        f'<Relationship Id={_a(rid)} Type={_a(kind)} '
        f'Target={_a(posixpath.relpath(target, base))}/>' for rid, kind, target in rels)
    return XML_DECL + f'<Relationships xmlns="{NS_PKG_REL}">{items}</Relationships>'.encode()


def _cell_value(value: Value, role: Role, ref: bytes, styles: StyleBook, date1904: bool) -> bytes:
    s = styles.for_role(role)
    if isinstance(value, date):
        if role not in (Role.DATE,):
            s = styles.suited(s, "date", _role_kind(role))
        serial = date_serial(value, date1904)
        if serial is None:
            value = value.isoformat()
        else:
            return b'<c r="%s"%s><v>%s</v></c>' % (ref, _s(s), serial)
    if value is None or value == "":
        return b'<c r="%s"%s/>' % (ref, _s(s)) if s else b""
    if isinstance(value, str):
        return b'<c r="%s"%s t="inlineStr">%s</c>' % (ref, _s(s), text_body(value))
    if isinstance(value, bool):
        return b'<c r="%s"%s t="b"><v>%d</v></c>' % (ref, _s(s), value)
    if isinstance(value, (int, Decimal, float)):
        return b'<c r="%s"%s><v>%s</v></c>' % (ref, _s(s), number_text(value))
    raise TypeError(f"cannot write a {type(value).__name__} to a cell")


def _role_kind(role: Role) -> Kind:
    return {Role.MONEY: Kind.MONEY, Role.TOTAL_MONEY: Kind.MONEY, Role.INT: Kind.INT,
            Role.DAYS: Kind.DAYS, Role.PERCENT: Kind.RATE, Role.TOTAL_PERCENT: Kind.RATE,
            Role.DATE: Kind.DATE}.get(role, Kind.TEXT)


def _s(s: int) -> bytes:
    return b' s="%d"' % s if s else b""


def sheet_xml(sheet: OwnedSheet, styles: StyleBook, date1904: bool, *, drawing_rid: str | None,
              table_rid: str | None) -> bytes:
    rows_xml = []
    last_col = 0
    # Per role: the Role and its style attribute, looked up on the role's first cell as before;
    # text, money and blanks are written here, anything else by _cell_value (20,000 customers
    # make the Aging sheet 200,000 cells).
    roles: dict[object, tuple[Role, int, bytes]] = {}
    letters: list[bytes] = [b""]
    for r, row in enumerate(sheet.rows, start=1):
        cells = []
        while len(letters) <= len(row):
            letters.append(column_letter(len(letters)).encode())
        for c, (value, role) in enumerate(row, start=1):
            known = roles.get(role)
            if known is None:
                as_role = Role(role)
                s = styles.for_role(as_role)
                known = roles[role] = (as_role, s, _s(s))
            t = type(value)
            if t is str and value:
                cell = b'<c r="%s%d"%s t="inlineStr">%s</c>' % (letters[c], r, known[2],
                                                                  text_body(value))
            elif t is Decimal:
                cell = b'<c r="%s%d"%s><v>%s</v></c>' % (letters[c], r, known[2],
                                                         number_text(value))
            elif value is None:
                cell = b'<c r="%s%d"%s/>' % (letters[c], r, known[2]) if known[1] else b""
            else:
                cell = _cell_value(value, known[0], b"%s%d" % (letters[c], r), styles, date1904)
            if cell:
                cells.append(cell)
                if c > last_col:
                    last_col = c
        if cells:
            rows_xml.append(b'<row r="%d">%s</row>' % (r, b"".join(cells)))
    last_row = len(sheet.rows)
    if sheet.table is not None:
        t = sheet.table
        last_row = max(last_row, _table_box(sheet)[2])
        last_col = max(last_col, t.first_column + len(t.columns) - 1)
    dim = format_ref(1, 1, max(last_row, 1), max(last_col, 1))
    out = [XML_DECL, f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_REL}">'.encode(),
           f'<dimension ref="{dim}"/>'.encode(), b'<sheetViews><sheetView workbookViewId="0">']
    if sheet.freeze_rows:
        top = f"A{sheet.freeze_rows + 1}"
        out.append(f'<pane ySplit="{sheet.freeze_rows}" topLeftCell="{top}" '
                   f'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" '
                   f'activeCell="{top}" sqref="{top}"/>'.encode())
    out.append(b'</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>')
    if sheet.widths:
        cols = "".join(f'<col min="{i}" max="{i}" width="{float(w):g}" customWidth="1"/>'
                       for i, w in enumerate(sheet.widths, start=1) if w)
        if cols:
            out.append(f"<cols>{cols}</cols>".encode())
    out.append(b"<sheetData>" + b"".join(rows_xml) + b"</sheetData>" if rows_xml
               else b"<sheetData/>")
    out.append(b'<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
               b'footer="0.3"/>')
    if drawing_rid:
        out.append(f'<drawing r:id="{drawing_rid}"/>'.encode())
    if table_rid:
        out.append(f'<tableParts count="1"><tablePart r:id="{table_rid}"/></tableParts>'.encode())
    out.append(b"</worksheet>")
    return b"".join(out)


def _table_box(sheet: OwnedSheet) -> tuple[int, int, int, int]:
    t = sheet.table
    assert t is not None
    last = t.last_row if t.last_row is not None else len(sheet.rows)
    last = max(last, t.header_row + 1)  # a table needs one data row, even an empty one
    return t.header_row, t.first_column, last, t.first_column + len(t.columns) - 1


def check_table(sheet: OwnedSheet) -> None:
    """The header cells must hold exactly the table's column names."""
    t = sheet.table
    if t is None:
        return
    if not t.columns:
        raise ValueError(f"{sheet.name}: table {t.name} has no columns")
    if len({c.casefold() for c in t.columns}) != len(t.columns):
        raise ValueError(f"{sheet.name}: table {t.name} repeats a column name")
    if not re.fullmatch(r"[A-Za-z_\\][\w.\\]{0,254}", t.name) or re.fullmatch(
            r"[A-Za-z]{1,3}[0-9]+|[RrCc]", t.name):
        raise ValueError(f"{sheet.name}: {t.name!r} is not a valid Excel table name")
    row = sheet.rows[t.header_row - 1] if 0 < t.header_row <= len(sheet.rows) else ()
    for i, name in enumerate(t.columns):
        c = t.first_column - 1 + i
        value = row[c][0] if c < len(row) else None
        if value != name:
            raise ValueError(f"{sheet.name}!{column_letter(c + 1)}{t.header_row}: the header "
                             f"{value!r} must equal the table column {name!r}")


def table_xml(sheet: OwnedSheet, table_id: int) -> bytes:
    t = sheet.table
    assert t is not None
    ref = format_ref(*_table_box(sheet))
    cols = "".join(f'<tableColumn id="{i}" name={_a(name)}/>'
                   for i, name in enumerate(t.columns, start=1))
    return XML_DECL + (
        f'<table xmlns="{NS_MAIN}" id="{table_id}" name={_a(t.name)} displayName={_a(t.name)} '
        f'ref="{ref}" totalsRowShown="0"><autoFilter ref="{ref}"/>'
        f'<tableColumns count="{len(t.columns)}">{cols}</tableColumns>'
        f'<tableStyleInfo name={_a(t.style)} showFirstColumn="0" showLastColumn="0" '
        f'showRowStripes="1" showColumnStripes="0"/></table>').encode()


def drawing_xml(chart: StackedBarChart, chart_rid: str) -> bytes:
    m = re.fullmatch(r"\$?([A-Za-z]{1,3})\$?([0-9]+)", chart.anchor.strip())
    if m is None:
        raise ValueError(f"{chart.anchor!r} is not a cell")
    col, row = column_index(m.group(1).upper()) - 1, int(m.group(2)) - 1
    return XML_DECL + (
        f'<xdr:wsDr xmlns:xdr="{NS_XDR}" xmlns:a="{NS_A}"><xdr:twoCellAnchor editAs="oneCell">'
        f"<xdr:from><xdr:col>{col}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{row}</xdr:row>"
        f"<xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:to><xdr:col>{col + chart.width_cols}</xdr:col>"
        f"<xdr:colOff>0</xdr:colOff><xdr:row>{row + chart.height_rows}</xdr:row><xdr:rowOff>0"
        f'</xdr:rowOff></xdr:to><xdr:graphicFrame macro=""><xdr:nvGraphicFramePr>'
        f'<xdr:cNvPr id="2" name={_a(chart.title or "Chart")}/><xdr:cNvGraphicFramePr/>'
        f'</xdr:nvGraphicFramePr><xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>'
        f'<a:graphic><a:graphicData uri="{NS_C}"><c:chart xmlns:c="{NS_C}" xmlns:r="{NS_REL}" '
        f'r:id="{chart_rid}"/></a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/>'
        f"</xdr:twoCellAnchor></xdr:wsDr>").encode()


def _absolute(ref: str, sheet: str) -> tuple[str, list[tuple[int, int]] | None]:
    """A chart reference as Excel writes it ('Aging'!$C$5:$C$20) and, when it points into the
    owned sheet itself, its cells (row, col) for the chart's cache."""
    ref = ref.strip()
    target = sheet
    if "!" in ref:
        target, _, ref = ref.rpartition("!")
        if target.startswith("'") and target.endswith("'"):
            target = target[1:-1].replace("''", "'")
    box = parse_ref(ref.replace("$", ""))
    if box is None:
        raise ValueError(f"{ref!r} is not a cell range")
    r1, c1, r2, c2 = box
    text = f"${column_letter(c1)}${r1}"
    if (r1, c1) != (r2, c2):
        text += f":${column_letter(c2)}${r2}"
    cells = ([(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]
             if target.casefold() == sheet.casefold() else None)
    return f"{sheet_prefix(target)}!{text}", cells


def _values(sheet: OwnedSheet, cells: list[tuple[int, int]] | None) -> list[Value] | None:
    if cells is None:
        return None
    out = []
    for r, c in cells:
        row = sheet.rows[r - 1] if r <= len(sheet.rows) else ()
        out.append(row[c - 1][0] if c <= len(row) else None)
    return out


def _str_ref(ref: str, values: list[Value] | None) -> str:
    cache = ""
    if values is not None:
        pts = "".join(f'<c:pt idx="{i}"><c:v>{escape(xstring(str(v)))}</c:v></c:pt>'
                      for i, v in enumerate(values) if v is not None and v != "")
        cache = f'<c:strCache><c:ptCount val="{len(values)}"/>{pts}</c:strCache>'
    return f"<c:strRef><c:f>{escape(ref)}</c:f>{cache}</c:strRef>"


def _num_ref(ref: str, values: list[Value] | None) -> str:
    cache = ""
    if values is not None:
        pts = "".join(f'<c:pt idx="{i}"><c:v>{number_text(v).decode()}</c:v></c:pt>'
                      for i, v in enumerate(values)
                      if isinstance(v, (int, Decimal, float)) and not isinstance(v, bool))
        cache = (f'<c:numCache><c:formatCode>General</c:formatCode><c:ptCount val="{len(values)}"/>'
                 f"{pts}</c:numCache>")
    return f"<c:numRef><c:f>{escape(ref)}</c:f>{cache}</c:numRef>"


def chart_xml(sheet: OwnedSheet, chart: StackedBarChart) -> bytes:
    cat_ref, cat_cells = _absolute(chart.categories_ref, sheet.name)
    cats = _values(sheet, cat_cells)
    series = []
    for i, s in enumerate(chart.series):
        name_ref, name_cells = _absolute(s.name_ref, sheet.name)
        val_ref, val_cells = _absolute(s.values_ref, sheet.name)
        color = PALETTE[i % len(PALETTE)]
        series.append(
            f'<c:ser><c:idx val="{i}"/><c:order val="{i}"/>'
            f"<c:tx>{_str_ref(name_ref, _values(sheet, name_cells))}</c:tx>"
            f'<c:spPr><a:solidFill><a:srgbClr val="{color}"/></a:solidFill></c:spPr>'
            f'<c:invertIfNegative val="0"/><c:cat>{_str_ref(cat_ref, cats)}</c:cat>'
            f"<c:val>{_num_ref(val_ref, _values(sheet, val_cells))}</c:val></c:ser>")
    bar = "bar" if chart.horizontal else "col"
    # bars across: categories top to bottom in sheet order, values along the bottom
    cat_pos, val_pos = ("l", "b") if chart.horizontal else ("b", "l")
    orientation = "maxMin" if chart.horizontal else "minMax"
    crosses = "max" if chart.horizontal else "autoZero"
    title = ""
    if chart.title:
        title = (f'<c:title><c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz="1400" '
                 f'b="1"/></a:pPr><a:r><a:rPr lang="en-US" sz="1400" b="1"/><a:t>'
                 f"{escape(chart.title)}</a:t></a:r></a:p></c:rich></c:tx><c:overlay val=\"0\"/>"
                 f"</c:title><c:autoTitleDeleted val=\"0\"/>")
    return XML_DECL + (
        f'<c:chartSpace xmlns:c="{NS_C}" xmlns:a="{NS_A}" xmlns:r="{NS_REL}">'
        f'<c:roundedCorners val="0"/><c:chart>{title}<c:plotArea><c:layout/>'
        f'<c:barChart><c:barDir val="{bar}"/><c:grouping val="stacked"/><c:varyColors val="0"/>'
        f'{"".join(series)}<c:gapWidth val="60"/><c:overlap val="100"/>'
        f'<c:axId val="510001"/><c:axId val="510002"/></c:barChart>'
        f'<c:catAx><c:axId val="510001"/><c:scaling><c:orientation val="{orientation}"/>'
        f'</c:scaling><c:delete val="0"/><c:axPos val="{cat_pos}"/><c:numFmt formatCode="General" '
        f'sourceLinked="0"/><c:majorTickMark val="none"/><c:minorTickMark val="none"/>'
        f'<c:tickLblPos val="nextTo"/><c:crossAx val="510002"/><c:crosses val="autoZero"/>'
        f'<c:auto val="1"/><c:lblAlgn val="ctr"/><c:lblOffset val="100"/>'
        f'<c:noMultiLvlLbl val="0"/></c:catAx>'
        f'<c:valAx><c:axId val="510002"/><c:scaling><c:orientation val="minMax"/></c:scaling>'
        f'<c:delete val="0"/><c:axPos val="{val_pos}"/><c:majorGridlines/>'
        f'<c:numFmt formatCode="#,##0" sourceLinked="0"/><c:majorTickMark val="none"/>'
        f'<c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/><c:crossAx val="510001"/>'
        f'<c:crosses val="{crosses}"/><c:crossBetween val="between"/></c:valAx></c:plotArea>'
        f'<c:legend><c:legendPos val="b"/><c:overlay val="0"/></c:legend>'
        f'<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart></c:chartSpace>').encode()


def build(sheet: OwnedSheet, styles: StyleBook, date1904: bool, *, sheet_part: str,
          table_part: str | None, table_id: int | None, drawing_part: str | None,
          chart_part: str | None) -> OwnedParts:
    """All parts of one owned sheet, under the part names the writer chose."""
    check_table(sheet)
    rels: list[tuple[str, str, str]] = []
    parts: dict[str, tuple[bytes, str]] = {}
    part_rels: dict[str, list[tuple[str, str, str]]] = {}
    drawing_rid = table_rid = None
    if sheet.chart is not None:
        assert drawing_part and chart_part
        drawing_rid = "rId1"
        rels.append((drawing_rid, REL_DRAWING, drawing_part))
        parts[drawing_part] = (drawing_xml(sheet.chart, "rId1"), CT_DRAWING)
        part_rels[drawing_part] = [("rId1", REL_CHART, chart_part)]
        parts[chart_part] = (chart_xml(sheet, sheet.chart), CT_CHART)
    if sheet.table is not None:
        assert table_part and table_id
        table_rid = f"rId{len(rels) + 1}"
        rels.append((table_rid, REL_TABLE, table_part))
        parts[table_part] = (table_xml(sheet, table_id), CT_TABLE)
    xml = sheet_xml(sheet, styles, date1904, drawing_rid=drawing_rid, table_rid=table_rid)
    return OwnedParts(xml, rels, parts, part_rels)
