"""Patching a worksheet: owned cells only, every value type, styles, tables, odd but valid XML."""

from __future__ import annotations

import re
import warnings
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from arsheets.errors import ArsheetsError, column_letter
from arsheets.workbook.schema import Kind
from arsheets.workbook.sheetpatch import SheetPatcher
from arsheets.workbook.styles import StyleBook
from arsheets.workbook.write import ColumnPatch, SheetPatch, write_workbook

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET = "xl/worksheets/sheet1.xml"

STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>
</numFmts><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill
 patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/>
<diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0"
 borderId="0"/></cellStyleXfs><cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"
 xfId="0"/><xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="0" fontId="0" fillId="1" borderId="0" xfId="0" applyFill="1"/>
<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"""
MONEY, DATE_STYLE, FILLED, TEXT_STYLE = 1, 2, 3, 4


def sheet(rows: str, *, head: str = '<dimension ref="A1:D3"/>', tail: str = "",
          prefix: str = "") -> str:
    p = f"{prefix}:" if prefix else ""
    ns = f'xmlns:{prefix}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    body = f"<{p}sheetData>{rows}</{p}sheetData>" if rows else f"<{p}sheetData/>"
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{p}worksheet {ns} '
            f'xmlns:r="{REL}">{head}{body}{tail}</{p}worksheet>')


def table_xml(ref: str, columns: list[str], totals: bool = False) -> str:
    cols = "".join(f'<tableColumn id="{i}" name="{c}"/>' for i, c in enumerate(columns, 1))
    extra = ' totalsRowCount="1"' if totals else ' totalsRowShown="0"'
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<table xmlns="{MAIN}" '
            f'id="1" name="Data" displayName="Data" ref="{ref}"{extra}><autoFilter ref="{ref}"/>'
            f'<tableColumns count="{len(columns)}">{cols}</tableColumns><tableStyleInfo '
            f'name="TableStyleMedium2" showFirstColumn="0" showLastColumn="0" '
            f'showRowStripes="1" showColumnStripes="0"/></table>')


def package(path: Path, sheet_xml: str, *, table: str | None = None, calc_chain: bool = False,
            workbook_pr: str = "", calc_pr: str = "") -> Path:
    types = [("/xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml."
              "sheet.main+xml"),
             ("/" + SHEET, "application/vnd.openxmlformats-officedocument.spreadsheetml."
              "worksheet+xml"),
             ("/xl/styles.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml."
              "styles+xml")]
    rels = [("rId1", f"{REL}/worksheet", "worksheets/sheet1.xml"),
            ("rId2", f"{REL}/styles", "styles.xml")]
    if calc_chain:
        types.append(("/xl/calcChain.xml", "application/vnd.openxmlformats-officedocument."
                      "spreadsheetml.calcChain+xml"))
        rels.append(("rId3", f"{REL}/calcChain", "calcChain.xml"))
    if table:
        types.append(("/xl/tables/table1.xml", "application/vnd.openxmlformats-officedocument."
                      "spreadsheetml.table+xml"))
    ct = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.'
          'openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType='
          '"application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
          'ContentType="application/xml"/>'
          + "".join(f'<Override PartName="{n}" ContentType="{t}"/>' for n, t in types) + "</Types>")
    wb = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{MAIN}" '
          f'xmlns:r="{REL}"><workbookPr{workbook_pr}/><sheets><sheet name="Data" sheetId="1" '
          f'r:id="rId1"/></sheets>{calc_pr}</workbook>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", ct)
        zf.writestr("_rels/.rels", f'<?xml version="1.0" encoding="UTF-8"?>\n<Relationships '
                    f'xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/officeDocument" '
                    f'Target="xl/workbook.xml"/></Relationships>')
        zf.writestr("xl/workbook.xml", wb)
        zf.writestr("xl/_rels/workbook.xml.rels", f'<?xml version="1.0" encoding="UTF-8"?>\n'
                    f'<Relationships xmlns="{PKG}">' + "".join(
                        f'<Relationship Id="{i}" Type="{t}" Target="{g}"/>' for i, t, g in rels)
                    + "</Relationships>")
        zf.writestr("xl/styles.xml", STYLES)
        zf.writestr(SHEET, sheet_xml)
        if table:
            zf.writestr("xl/worksheets/_rels/sheet1.xml.rels",
                        f'<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns="{PKG}">'
                        f'<Relationship Id="rId1" Type="{REL}/table" '
                        f'Target="../tables/table1.xml"/></Relationships>')
            zf.writestr("xl/tables/table1.xml", table)
        if calc_chain:
            zf.writestr("xl/calcChain.xml", f'<calcChain xmlns="{MAIN}"><c r="C2" i="1"/>'
                        f'<c r="D2"/></calcChain>')
    return path


def read(path: Path, name: str = SHEET) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(name)


def cell(path: Path, ref: str) -> bytes | None:
    m = re.search(rb'<(?:\w+:)?c r="%s"[^>]*?(?:/>|>.*?</(?:\w+:)?c>)' % ref.encode(),
                  read(path), re.S)
    return m.group(0) if m else None


def values(path: Path) -> list[list]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ws = openpyxl.load_workbook(path).active
    return [[c for c in row] for row in ws.iter_rows(values_only=True)]


def calamine(path: Path) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Data").to_python()


HEADER_ROW = ('<row r="1"><c r="A1" t="inlineStr"><is><t>Invoice</t></is></c><c r="B1" '
              't="inlineStr"><is><t>Amount</t></is></c><c r="C1" t="inlineStr"><is><t>Balance'
              '</t></is></c><c r="D1" t="inlineStr"><is><t>Status</t></is></c></row>')


def data_row(r: int, extra: str = "") -> str:
    return (f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>INV-{r}</t></is></c>'
            f'<c r="B{r}" s="1"><v>{r}00.5</v></c>{extra}</row>')


def patch(path: Path, rows, columns=((3, Kind.MONEY), (4, Kind.TEXT)), *, appends=(),
          new: dict[int, str] | None = None, backup: bool = False):
    cols = tuple(ColumnPatch(c, k, (new or {}).get(c)) for c, k in columns)
    return write_workbook(path, [SheetPatch("Data", 1, cols, iter(rows), tuple(appends))],
                          backup=backup)


# --- values -------------------------------------------------------------------------------------

def test_values_of_every_type(tmp_path):
    book = package(tmp_path / "b.xlsx", sheet(HEADER_ROW + data_row(2) + data_row(3)))
    cols = [(3, Kind.MONEY), (4, Kind.TEXT), (5, Kind.INT), (6, Kind.DATE), (7, Kind.TEXT),
            (8, Kind.DATE)]
    patch(book, [(2, (Decimal("1234.50"), "Overdue", 17, date(2024, 3, 31), True,
                      datetime(2024, 3, 31, 18, 0))),
                 (3, (Decimal("-0.01"), "", -4, None, False, None))], cols)
    # nothing above, no column default: the kind's format (the existing #,##0.00 is found)
    assert cell(book, "C2") == b'<c r="C2" s="1"><v>1234.50</v></c>'
    assert cell(book, "D2") == b'<c r="D2" t="inlineStr"><is><t>Overdue</t></is></c>'
    assert re.fullmatch(rb'<c r="E2" s="5"><v>17</v></c>', cell(book, "E2"))
    assert re.fullmatch(rb'<c r="F2" s="\d+"><v>45382</v></c>', cell(book, "F2"))
    assert cell(book, "G2") == b'<c r="G2" t="b"><v>1</v></c>'
    assert re.fullmatch(rb'<c r="H2" s="\d+"><v>45382.75</v></c>', cell(book, "H2"))
    assert cell(book, "D3") is None and cell(book, "F3") is None  # blank: no cell at all
    rows = values(book)
    assert rows[1][2:8] == [1234.5, "Overdue", 17, datetime(2024, 3, 31), True,
                            datetime(2024, 3, 31, 18)]
    assert rows[2][2:8] == [-0.01, None, -4, None, False, None]
    cal = calamine(book)
    assert cal[1][2:6] == [1234.5, "Overdue", 17.0, date(2024, 3, 31)]


def test_text_is_never_a_formula_and_is_escaped(tmp_path):
    book = package(tmp_path / "b.xlsx", sheet(HEADER_ROW + data_row(2) + data_row(3)
                                              + data_row(4) + data_row(5)))
    texts = ["=SUM(A1:A9)", "+44 20 7946", "-3 days", "@risk & <b>\"q\"</b> ]]>"]
    patch(book, [(r, (None, t)) for r, t in zip(range(2, 6), texts)])
    for r, text in zip(range(2, 6), texts):
        raw = cell(book, f"D{r}")
        assert b't="inlineStr"' in raw and b"<f" not in raw
    assert b"&amp; &lt;b&gt;" in cell(book, "D5") and b"]]&gt;" in cell(book, "D5")
    assert [row[3] for row in values(book)[1:]] == texts
    assert [row[3] for row in calamine(book)[1:]] == texts


def test_edge_spaces_control_characters_and_long_text(tmp_path):
    book = package(tmp_path / "b.xlsx", sheet(HEADER_ROW + data_row(2) + data_row(3)
                                              + data_row(4)))
    patch(book, [(2, (None, "  padded ")), (3, (None, "a\x00b\x1fc\ufffed")),
                 (4, (None, "x" * 40000))])
    assert b'<t xml:space="preserve">  padded </t>' in cell(book, "D2")
    # control characters as Excel writes them (XML cannot hold them); U+FFFE cannot be kept
    assert b"<t>a_x0000_b_x001F_cd</t>" in cell(book, "D3")
    rows = values(book)
    assert rows[1][3] == "  padded " and calamine(book)[2][3] == "a\x00b\x1fcd"
    assert len(rows[3][3]) == 32767 and rows[3][3].endswith("\u2026")


def test_blanks_keep_the_style_of_existing_cells(tmp_path):
    rows = (HEADER_ROW + data_row(2, '<c r="C2" s="1"><v>5</v></c><c r="D2" t="inlineStr"><is>'
                         '<t>Open</t></is></c>'))
    book = package(tmp_path / "b.xlsx", sheet(rows))
    patch(book, [(2, (None, None))])
    assert cell(book, "C2") == b'<c r="C2" s="1"/>'  # styled: kept, emptied
    assert cell(book, "D2") is None  # unstyled: nothing left to keep


# --- structure ------------------------------------------------------------------------------------

def test_missing_column_is_added_with_its_header_and_the_table_grows(tmp_path):
    book = package(tmp_path / "b.xlsx", sheet(HEADER_ROW + data_row(2) + data_row(3),
                                              tail='<tableParts count="1"><tablePart '
                                              'r:id="rId1"/></tableParts>'),
                   table=table_xml("A1:D3", ["Invoice", "Amount", "Balance", "Status"]))
    report = patch(book, [(2, (Decimal("1"), "Open", "ok")), (3, (Decimal("2"), "Paid", None))],
                   [(3, Kind.MONEY), (4, Kind.TEXT), (5, Kind.TEXT)], new={5: "Problems"})
    assert cell(book, "E1") == b'<c r="E1" t="inlineStr"><is><t>Problems</t></is></c>'
    tbl = read(book, "xl/tables/table1.xml").decode()
    assert 'ref="A1:E3"' in tbl and '<autoFilter ref="A1:E3"/>' in tbl
    assert '<tableColumns count="5">' in tbl and '<tableColumn id="5" name="Problems"/>' in tbl
    assert b'<dimension ref="A1:E3"/>' in read(book)
    assert report.columns_added == ("Data!E1 Problems",)
    assert values(book)[0] == ["Invoice", "Amount", "Balance", "Status", "Problems"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ws = openpyxl.load_workbook(book).active
    assert ws.tables["Data"].ref == "A1:E3"


def test_formulas_in_owned_cells_are_replaced_and_calc_chain_dropped(tmp_path):
    rows = HEADER_ROW + data_row(2, '<c r="C2" s="1"><f>B2*2</f><v>401</v></c>'
                                    '<c r="D2" t="str"><f>IF(C2&gt;0,"Open","Paid")</f>'
                                    '<v>Open</v></c>')
    book = package(tmp_path / "b.xlsx", sheet(rows), calc_chain=True)
    report = patch(book, [(2, (Decimal("7.5"), "Paid"))])
    assert cell(book, "C2") == b'<c r="C2" s="1"><v>7.5</v></c>'
    assert report.formulas_replaced == ("Data!C2", "Data!D2")
    with zipfile.ZipFile(book) as zf:
        assert "xl/calcChain.xml" not in zf.namelist()
        assert b"calcChain" not in zf.read("[Content_Types].xml")
        assert b"calcChain" not in zf.read("xl/_rels/workbook.xml.rels")
        assert b'<calcPr fullCalcOnLoad="1"/>' in zf.read("xl/workbook.xml")


def test_calc_chain_is_kept_when_no_formula_was_replaced(tmp_path):
    book = package(tmp_path / "b.xlsx", sheet(HEADER_ROW + data_row(2)), calc_chain=True,
                   calc_pr='<calcPr calcId="191029"/>')
    patch(book, [(2, (Decimal("1"), "Open"))])
    with zipfile.ZipFile(book) as zf:
        assert "xl/calcChain.xml" in zf.namelist()
        assert b'<calcPr calcId="191029" fullCalcOnLoad="1"/>' in zf.read("xl/workbook.xml")


SHARED = ('<c r="C{r}" s="1"><f t="shared" ref="C2:C4" si="0">B2*2</f><v>1</v></c>',
          '<c r="C{r}" s="1"><f t="shared" si="0"/><v>2</v></c>')


def _shared_rows(n: int = 4) -> str:
    return HEADER_ROW + "".join(data_row(r, SHARED[r != 2].format(r=r)) for r in range(2, n + 1))


def test_a_shared_formula_master_used_by_cells_left_behind_is_refused(tmp_path):
    book = package(tmp_path / "b.xlsx", sheet(_shared_rows()))
    before = book.read_bytes()
    with pytest.raises(ArsheetsError) as err:
        patch(book, [(2, (Decimal("1"), "Open")), (3, (Decimal("2"), "Open"))])  # not row 4
    assert "Data!C2" in str(err.value) and "C2:C4" in str(err.value)
    assert book.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.xlsx"]


def test_a_shared_formula_replaced_in_all_its_cells_is_fine(tmp_path):
    book = package(tmp_path / "b.xlsx", sheet(_shared_rows()))
    patch(book, [(r, (Decimal(r), "Open")) for r in (2, 3, 4)])
    assert b"<f" not in read(book)
    assert [row[2] for row in values(book)[1:]] == [2, 3, 4]


def test_rows_and_cells_without_r_and_with_spans(tmp_path):
    rows = ('<row spans="1:2"><c t="inlineStr"><is><t>Invoice</t></is></c><c t="inlineStr"><is>'
            '<t>Amount</t></is></c></row>'
            '<row spans="1:2"><c t="inlineStr"><is><t>INV-2</t></is></c><c s="1"><v>5</v></c>'
            '</row><row><c t="inlineStr"><is><t>INV-3</t></is></c><c><v>6</v></c>'
            '<c r="D3"><v>9</v></c></row>')
    book = package(tmp_path / "b.xlsx", sheet(rows))
    patch(book, [(2, (Decimal("1.5"), None)), (3, (Decimal("2.5"), "Paid")),
                 (5, (Decimal("3"), "New"))])
    xml = read(book)
    assert b'<row spans="1:3"><c t="inlineStr"><is><t>INV-2</t></is></c><c s="1"><v>5</v></c>' \
        b'<c r="C2"' in xml
    assert values(book) == [["Invoice", "Amount", None, None], ["INV-2", 5, 1.5, None],
                            ["INV-3", 6, 2.5, "Paid"], [None, None, None, None],
                            [None, None, 3, "New"]]


def test_prefixed_namespaces(tmp_path):
    rows = ('<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>Invoice</x:t></x:is></x:c></x:row>'
            '<x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t>INV-2</x:t></x:is></x:c>'
            '<x:c r="D2" s="1"><x:v>3</x:v></x:c></x:row>')
    book = package(tmp_path / "b.xlsx", sheet(rows, head='<x:dimension ref="A1:D2"/>',
                                              prefix="x"))
    patch(book, [(2, (Decimal("4"), "Open")), (3, (Decimal("5"), None))])
    xml = read(book)
    assert b'<x:c r="C2" s="1"><x:v>4</x:v></x:c><x:c r="D2" s="1" t="inlineStr"><x:is><x:t>' \
        b'Open</x:t></x:is></x:c>' in xml
    assert b'<x:row r="3"><x:c r="C3" s="1"><x:v>5</x:v></x:c></x:row>' in xml
    assert b'<x:dimension ref="A1:D3"/>' in xml
    assert calamine(book)[1][2:4] == [4.0, "Open"]


def test_empty_rows_self_closing_rows_and_created_rows(tmp_path):
    rows = (HEADER_ROW + '<row r="2" ht="30" customHeight="1"/>' + data_row(4)
            + '<row r="6" ht="20" customHeight="1"/>')
    book = package(tmp_path / "b.xlsx", sheet(rows))
    patch(book, [(2, (Decimal("1"), None)), (3, (Decimal("2"), None)), (5, (None, None)),
                 (6, (None, None)), (7, (Decimal("4"), "x"))])
    xml = read(book)
    assert b'<row r="2" ht="30" customHeight="1"><c r="C2" s="1"><v>1</v></c></row>' in xml
    assert b'<row r="3"><c r="C3" s="1"><v>2</v></c></row>' in xml
    assert b'<row r="6" ht="20" customHeight="1"/>' in xml  # nothing to write: left as it was
    assert b'<row r="5"' not in xml
    assert [r[2] for r in values(book)] == ["Balance", 1, 2, None, None, None, 4]


def test_an_empty_sheet_data(tmp_path):
    book = package(tmp_path / "b.xlsx", sheet("", head='<dimension ref="A1"/>'))
    patch(book, [(2, (Decimal("1"), "x"))])
    assert b'<sheetData><row r="2"><c r="C2" s="1"><v>1</v></c>' in read(book)
    assert b'<dimension ref="A1:D2"/>' in read(book)


def test_rows_must_ascend_and_match_the_columns(tmp_path):
    book = package(tmp_path / "b.xlsx", sheet(HEADER_ROW + data_row(2) + data_row(3)))
    before = book.read_bytes()
    with pytest.raises(ValueError):
        patch(book, [(3, (None, None)), (2, (None, None))])
    with pytest.raises(ValueError):
        patch(book, [(2, (None,))])
    with pytest.raises(ArsheetsError):
        write_workbook(book, [SheetPatch("Nope", 1, (), iter(()))])
    assert book.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["b.xlsx"]


# --- styles -------------------------------------------------------------------------------------

def test_created_cells_take_the_style_above_then_the_column_then_the_kind(tmp_path):
    head = ('<dimension ref="A1:D4"/><cols><col min="4" max="4" width="12" style="3" '
            'customWidth="1"/></cols>')
    rows = (HEADER_ROW + data_row(2, '<c r="C2" s="3"><v>1</v></c>') + data_row(3) + data_row(4))
    book = package(tmp_path / "b.xlsx", sheet(rows, head=head))
    patch(book, [(2, (Decimal("1"), "a", None)), (3, (Decimal("2"), "b", None)),
                 (4, (Decimal("3"), "c", None))], [(3, Kind.MONEY), (4, Kind.TEXT), (5, Kind.DAYS)])
    # C3 inherits C2's style, D takes its <col> default; E gets no values, so no cells
    assert cell(book, "C3") == b'<c r="C3" s="3"><v>2</v></c>'
    assert cell(book, "C4") == b'<c r="C4" s="3"><v>3</v></c>'
    assert cell(book, "D2") == b'<c r="D2" s="3" t="inlineStr"><is><t>a</t></is></c>'
    assert cell(book, "E2") is None
    styles = read(book, "xl/styles.xml")
    assert styles == STYLES.encode()  # nothing new was needed


def test_kind_formats_are_appended_once(tmp_path):
    book = package(tmp_path / "b.xlsx", sheet(HEADER_ROW + data_row(2) + data_row(3)))
    cols = [(5, Kind.MONEY), (6, Kind.DAYS), (7, Kind.DATE), (8, Kind.INT), (9, Kind.RATE)]
    vals = (Decimal("1"), Decimal("2.5"), date(2024, 1, 2), 3, Decimal("0.015"))
    patch(book, [(2, vals), (3, vals)], cols)
    styles = read(book, "xl/styles.xml").decode()
    assert '<cellXfs count="9">' in styles
    assert 'formatCode="0.0"' in styles and 'formatCode="0.0%"' in styles
    assert re.fullmatch(rb'<c r="E2" s="1"><v>1</v></c>', cell(book, "E2"))  # existing #,##0.00
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ws = openpyxl.load_workbook(book).active
    assert [ws.cell(3, c).number_format for c in range(5, 10)] == [
        "#,##0.00", "0.0", "mm-dd-yy", "0", "0.0%"]
    first = book.read_bytes()
    patch(book, [(2, vals), (3, vals)], cols)  # a refresh finds what the first one added
    assert book.read_bytes() == first


def test_a_date_in_a_non_date_style_shows_as_a_date_and_a_number_never_does(tmp_path):
    rows = HEADER_ROW + data_row(2, '<c r="C2" s="3"><v>1</v></c><c r="D2" s="2"><v>1</v></c>')
    book = package(tmp_path / "b.xlsx", sheet(rows))
    patch(book, [(2, (date(2024, 5, 6), Decimal("12.5")))], [(3, Kind.DATE), (4, Kind.MONEY)])
    styles = read(book, "xl/styles.xml").decode()
    xfs = re.findall(r"<xf [^>]*?/>", styles.split("<cellXfs")[1])
    c2 = int(re.search(rb's="(\d+)"', cell(book, "C2")).group(1))
    d2 = int(re.search(rb's="(\d+)"', cell(book, "D2")).group(1))
    assert 'numFmtId="14"' in xfs[c2] and 'fillId="1"' in xfs[c2]  # the fill is kept
    assert 'numFmtId="4"' in xfs[d2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ws = openpyxl.load_workbook(book).active
    assert ws["C2"].value == datetime(2024, 5, 6) and ws["D2"].value == 12.5


def test_dates_in_a_1904_workbook(tmp_path):
    book = package(tmp_path / "b.xlsx", sheet(HEADER_ROW + data_row(2)),
                   workbook_pr=' date1904="1"')
    patch(book, [(2, (date(2024, 3, 31), None))], [(3, Kind.DATE), (4, Kind.TEXT)])
    assert re.search(rb"<v>43920</v>", cell(book, "C2"))  # days since 1904-01-01
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert openpyxl.load_workbook(book).active["C2"].value == datetime(2024, 3, 31)
    assert calamine(book)[1][2] == date(2024, 3, 31)


# --- appends and determinism --------------------------------------------------------------------

def test_appends_go_after_the_last_row_with_data_and_extend_the_table(tmp_path):
    rows = (HEADER_ROW + data_row(2) + data_row(3)
            + '<row r="4"><c r="A4" s="3"/><c r="B4" s="1"/></row>')  # formatted, empty
    book = package(tmp_path / "b.xlsx", sheet(rows, tail='<tableParts count="1"><tablePart '
                                                         'r:id="rId1"/></tableParts>'),
                   table=table_xml("A1:D3", ["Invoice", "Amount", "Balance", "Status"]))
    report = patch(book, [], appends=[{1: "INV-9", 2: Decimal("9.99")}, {1: "INV-10", 4: "x"}])
    assert report.rows_appended == 2
    assert cell(book, "A4") == b'<c r="A4" s="3" t="inlineStr"><is><t>INV-9</t></is></c>'
    assert cell(book, "B4") == b'<c r="B4" s="1"><v>9.99</v></c>'
    assert cell(book, "B5") is None and b"INV-10" in cell(book, "A5")
    assert 'ref="A1:D5"' in read(book, "xl/tables/table1.xml").decode()


def test_appending_after_a_totals_row_is_refused(tmp_path):
    book = package(tmp_path / "b.xlsx", sheet(HEADER_ROW + data_row(2) + data_row(3),
                                              tail='<tableParts count="1"><tablePart '
                                              'r:id="rId1"/></tableParts>'),
                   table=table_xml("A1:D3", ["Invoice", "Amount", "Balance", "Status"], True))
    with pytest.raises(ArsheetsError, match="Total Row"):
        patch(book, [], appends=[{1: "INV-9"}])


def test_a_second_write_with_the_same_values_is_byte_identical(tmp_path):
    book = package(tmp_path / "b.xlsx", sheet(HEADER_ROW + data_row(2) + data_row(3),
                                              tail='<tableParts count="1"><tablePart '
                                              'r:id="rId1"/></tableParts>'),
                   table=table_xml("A1:D3", ["Invoice", "Amount", "Balance", "Status"]))
    cols = [(3, Kind.MONEY), (4, Kind.TEXT), (5, Kind.DATE), (6, Kind.DAYS)]
    rows = [(2, (Decimal("1.10"), "Open", date(2024, 1, 1), Decimal("2.5"))),
            (3, (None, "Paid", None, Decimal("0")))]
    patch(book, rows, cols, new={5: "Next Action Date", 6: "Avg Days Late"})
    first = book.read_bytes()
    patch(book, rows, cols)
    assert book.read_bytes() == first


# --- the two row paths agree ----------------------------------------------------------------------

CELL_KINDS = st.sampled_from(["num", "shared", "inline", "formula", "empty", "none"])
VALUES = st.one_of(st.none(), st.just(""), st.text(max_size=6), st.integers(-5, 10 ** 6),
                   st.decimals(-10 ** 6, 10 ** 6, places=2, allow_nan=False),
                   st.dates(date(1900, 1, 1), date(2100, 1, 1)), st.booleans())


def _raw_cell(ref: str, kind: str, style: int) -> str:
    s = f' s="{style}"' if style else ""
    return {"num": f'<c r="{ref}"{s}><v>1.5</v></c>',
            "shared": f'<c r="{ref}"{s} t="s"><v>0</v></c>',
            "inline": f'<c r="{ref}"{s} t="inlineStr"><is><t>x</t></is></c>',
            "formula": f'<c r="{ref}"{s}><f>A1+1</f><v>2</v></c>',
            "empty": f'<c r="{ref}"{s}/>', "none": ""}[kind]


class _General(SheetPatcher):
    def _patch(self, row, rnum, fast):
        return self._patch_general(row, rnum)


ROW_SHAPES = st.lists(st.tuples(CELL_KINDS, st.integers(0, 4)), min_size=8, max_size=8)


@given(st.lists(ROW_SHAPES, min_size=1, max_size=4).flatmap(  # a few shapes, repeated
           lambda shapes: st.lists(st.sampled_from(shapes), min_size=1, max_size=12)),
       st.lists(st.booleans(), min_size=8, max_size=8),
       st.data())
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_fast_and_general_paths_write_the_same_bytes(grid, owned_mask, data):
    owned = [c + 1 for c, yes in enumerate(owned_mask) if yes] or [3]
    rows_xml = "".join(
        f'<row r="{r}" spans="1:8">'
        + "".join(_raw_cell(f"{column_letter(c)}{r}", kind, style)
                  for c, (kind, style) in enumerate(row, start=1)) + "</row>"
        for r, row in enumerate(grid, start=2))
    xml = sheet(rows_xml, head='<dimension ref="A1:H2"/>').encode()
    patched_rows = sorted(data.draw(st.sets(st.integers(2, len(grid) + 3))))
    templates = [tuple(data.draw(VALUES) for _ in owned) for _ in range(3)]  # repeated values too
    rows = [(r, data.draw(st.one_of(st.sampled_from(templates),
                                    st.tuples(*(VALUES for _ in owned)))))
            for r in patched_rows]
    kinds = [data.draw(st.sampled_from([Kind.TEXT, Kind.MONEY, Kind.DATE, Kind.INT]))
             for _ in owned]
    outs = []
    for cls in (SheetPatcher, _General):
        p = cls("Data", 1, [(c, k, None) for c, k in zip(owned, kinds)], iter(rows),
                styles=StyleBook(STYLES.encode()))
        outs.append((b"".join(p.body([xml[:50], xml[50:]])), p.head(), p.stats))
    assert outs[0][0] == outs[1][0]
    assert outs[0][1] == outs[1][1]
    assert outs[0][2] == outs[1][2]


def test_odd_rows_take_the_general_path(tmp_path):
    rows = (HEADER_ROW
            + '<row r="2"><c s="1" r="A2"><v>1</v></c><c r="B2" s="1"><v>2</v></c></row>'
            + '<row r="3"><c r="A3" t="inlineStr"><is><r><rPr><color rgb="FFFF0000"/></rPr><t>red'
              '</t></r></is></c></row>'
            + '<row r="4"><c r="A4"><v>4</v></c><extLst><ext uri="{x}"/></extLst></row>'
            + '<row r="5">\n  <c r="A5"><v>5</v></c>\n</row>')
    book = package(tmp_path / "b.xlsx", sheet(rows))
    patch(book, [(r, (Decimal(r), "x")) for r in (2, 3, 4, 5)])
    xml = read(book)
    assert b'<c s="1" r="A2"><v>1</v></c><c r="B2" s="1"><v>2</v></c><c r="C2"' in xml
    assert b'<color rgb="FFFF0000"/></rPr><t>red</t></r></is></c><c r="C3"' in xml
    assert b'<c r="D4" t="inlineStr"><is><t>x</t></is></c><extLst><ext uri="{x}"/></extLst>' in xml
    assert b'<row r="5">\n  <c r="A5"><v>5</v></c>\n<c r="C5"' in xml
    assert [r[2:4] for r in values(book)[1:]] == [[2, "x"], [3, "x"], [4, "x"], [5, "x"]]


def test_the_style_above_comes_from_rows_that_are_not_patched_too(tmp_path):
    rows = (HEADER_ROW + data_row(2) + data_row(3)
            + data_row(4, '<c r="C4" s="3"><v>1</v></c>') + data_row(5) + data_row(6))
    book = package(tmp_path / "b.xlsx", sheet(rows))
    patch(book, [(r, (Decimal(r), "x")) for r in (2, 3, 5, 6)])  # row 4 is not patched
    assert cell(book, "C3") == b'<c r="C3" s="1"><v>3</v></c>'
    assert cell(book, "C4") == b'<c r="C4" s="3"><v>1</v></c>'
    assert cell(book, "C5") == b'<c r="C5" s="3"><v>5</v></c>'  # nearest above: C4
    assert cell(book, "C6") == b'<c r="C6" s="3"><v>6</v></c>'
