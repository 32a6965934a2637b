"""A realistic bookkeeper's workbook, built with XlsxWriter, for the writer's fidelity tests.

It holds what a load-and-save through a spreadsheet library would damage: an Invoices table with the
contract's input and owned columns and the bookkeeper's own formula column, sparklines, data
validations, conditional formats with 2010 data bars, a comment, a header picture, an image, a text
box, a chart, defined names, a dynamic-array formula, formulas on another sheet that read the status
columns, and (as .xlsm) a VBA project with a form-control button.

The VBA project is a stub: XlsxWriter only copies the bytes of a vbaProject.bin into the package,
and arsheets never reads it, so a small blob with the OLE compound-file signature is enough to check
that the part, its relationship and the macro-enabled content type survive byte for byte. (A real
VBA project cannot be made without Excel; Excel would call this one damaged, LibreOffice ignores
it.)
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import xlsxwriter

from arsheets.workbook.zipcopy import ZipSource

INPUTS = ("Invoice", "Customer", "Invoice Date", "Due Date", "Amount", "Description", "PO", "Notes",
          "Hold", "Document")
OWNED = ("Paid", "Balance", "Days Overdue", "Aging", "Late Fee", "Discount", "Amount Due",
         "Status", "Stage", "Next Action", "Next Action Date", "Problems")
OWN_EXTRA = ("Chase?",)  # the bookkeeper's own column, a formula reading Status
HEADERS = INPUTS + OWNED + OWN_EXTRA
OWNED_COLUMNS = tuple(HEADERS.index(h) + 1 for h in OWNED)  # 1-based: 11..22
VBA_STUB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8


def png(width: int = 16, height: int = 16, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A small valid PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


@dataclass(frozen=True)
class Built:
    path: Path
    rows: int  # data rows, 2..rows+1
    header_row: int = 1
    sheet: str = "Invoices"
    table: str = "InvoicesTable"


def build(path: str | Path, rows: int = 12, *, vba: bool = False) -> Built:
    path = Path(path)
    wb = xlsxwriter.Workbook(str(path))
    money = wb.add_format({"num_format": "#,##0.00"})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    whole = wb.add_format({"num_format": "0"})
    status_fmt = wb.add_format({"bold": True, "font_color": "#9C0006"})
    ws = wb.add_worksheet("Invoices")
    summary = wb.add_worksheet("Summary")
    lists = wb.add_worksheet("Lists")

    widths = {1: 12, 2: 10, 3: 12, 4: 12, 5: 12, 6: 24}
    for col, width in widths.items():
        ws.set_column(col - 1, col - 1, width)
    # owned columns carry their formats as column defaults, as the arsheets template sets them
    for name, fmt in (("Paid", money), ("Balance", money), ("Late Fee", money),
                      ("Discount", money), ("Amount Due", money), ("Days Overdue", whole),
                      ("Next Action Date", day), ("Status", status_fmt)):
        col = HEADERS.index(name)
        ws.set_column(col, col, 13, fmt)

    start = date(2024, 1, 3)
    data = []
    for i in range(rows):
        inv_date = start + timedelta(days=9 * i)
        data.append([f"INV-{i + 1:03d}", f"C{i % 4 + 1}", inv_date, inv_date + timedelta(days=30),
                     round(100 + 37.5 * i, 2), f"Work item {i + 1}", f"PO-{i}" if i % 3 else None,
                     None, "Disputed" if i == 5 else None, None])
    columns = [{"header": h} for h in HEADERS]
    ws.add_table(0, 0, rows, len(HEADERS) - 1, {"name": "InvoicesTable", "columns": columns,
                                                 "style": "Table Style Light 9"})
    for r, values in enumerate(data, start=1):
        for c, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, date):
                ws.write_datetime(r, c, datetime.combine(value, datetime.min.time()), day)
            elif isinstance(value, float):
                ws.write_number(r, c, value, money)
            else:
                ws.write_string(r, c, value)
    # the bookkeeper's own column reads Status
    status = HEADERS.index("Status")
    chase = HEADERS.index("Chase?")
    for r in range(1, rows + 1):
        ws.write_formula(r, chase, f'=IF(R{r + 1}="Overdue","chase","")', None, "")
    # a previous refresh left values in some owned cells; the bookkeeper typed a formula in two
    bal = HEADERS.index("Balance")
    for r in (1, 2, 3):
        ws.write_number(r, HEADERS.index("Paid"), 0, money)
        ws.write_string(r, status, "Open", status_fmt)
    ws.write_formula(4, bal, "=E5-K5", money, 250)
    ws.write_formula(5, bal, "=E6-K6", money, 287.5)
    # what a library round trip loses
    ws.write_comment("A2", "First invoice of the year", {"author": "Bookkeeper"})
    ws.data_validation(1, HEADERS.index("Hold"), rows, HEADERS.index("Hold"), {
        "validate": "list", "source": "=Lists!$A$1:$A$4"})
    ws.conditional_format(1, HEADERS.index("Amount"), rows, HEADERS.index("Amount"), {
        "type": "data_bar", "bar_color": "#63C384", "data_bar_2010": True,
        "bar_solid": True, "bar_direction": "left"})
    ws.conditional_format(1, status, rows, status, {
        "type": "cell", "criteria": "==", "value": '"Overdue"',
        "format": wb.add_format({"bg_color": "#FFC7CE"})})
    ws.add_sparkline(f"F{rows + 3}", {"range": f"Invoices!E2:E{rows + 1}", "type": "column",
                                      "markers": True})
    ws.set_header("&L&[Picture]&CInvoices", {"image_left": "logo.png",
                                             "image_data_left": io.BytesIO(png(24, 12))})
    ws.insert_textbox(f"B{rows + 5}", "Type invoices above; arsheets fills the grey columns.",
                      {"width": 320, "height": 50})
    ws.freeze_panes(1, 1)

    for i, value in enumerate(("Disputed", "On hold", "Written off", "Agency")):
        lists.write_string(i, 0, value)

    summary.write_string("A1", "Overdue invoices")
    summary.write_formula("B1", '=COUNTIF(InvoicesTable[Status],"Overdue")', None, 0)
    summary.write_string("A2", "Open balance")
    summary.write_formula("B2", "=SUM(InvoicesTable[Balance])", money, 537.5)
    summary.write_string("A3", "Chase")
    summary.write_formula("B3", '=COUNTIF(InvoicesTable[Chase?],"chase")', None, 0)
    summary.write_string("A4", "Statuses")
    summary.write_dynamic_array_formula("B4:B4", "=_xlfn.UNIQUE(InvoicesTable[Status])", None,
                                        "Open")
    summary.insert_image("D1", "logo.png", {"image_data": io.BytesIO(png()), "x_scale": 2,
                                            "y_scale": 2})
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"name": "Amount", "categories": f"=Invoices!$A$2:$A${rows + 1}",
                      "values": f"=Invoices!$E$2:$E${rows + 1}", "fill": {"color": "#4472C4"}})
    chart.add_series({"name": "Balance", "categories": f"=Invoices!$A$2:$A${rows + 1}",
                      "values": f"=Invoices!$L$2:$L${rows + 1}", "fill": {"color": "#ED7D31"}})
    chart.set_title({"name": "Invoices", "name_font": {"size": 12, "bold": True}})
    chart.set_style(26)
    summary.insert_chart("D8", chart)
    wb.define_name("OverdueCount", '=COUNTIF(InvoicesTable[Status],"Overdue")')
    wb.define_name("Amounts", f"=Invoices!$E$2:$E${rows + 1}")
    wb.define_name("Invoices!LocalName", "=Invoices!$A$1")
    if vba:
        wb.add_vba_project(io.BytesIO(VBA_STUB), is_stream=True)
        wb.set_vba_name("ThisWorkbook")
        summary.insert_button("H1", {"macro": "refresh", "caption": "Refresh", "width": 90})
    wb.close()
    return Built(path, rows)


# --- reading packages back, for the tests ---------------------------------------------------------

def raw_members(path: str | Path) -> dict[str, tuple[bytes, bytes]]:
    """Each member's local record (header, compressed data, descriptor) and its central-directory
    record less the local-header offset: equal when the member was copied byte for byte."""
    out = {}
    with open(path, "rb") as fh:
        src = ZipSource(fh)
        for entry in src.entries:
            start, end, _ = src.local(entry)
            local = b"".join(src.read_raw(start, end))
            central = entry.central[:42] + entry.central[46:]
            out[entry.name] = (local, central)
    return out


def part(path: str | Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(name)


_SHEET_DATA = re.compile(rb"<sheetData>(.*)</sheetData>", re.S)
_ROW = re.compile(rb"<row (?:[^>]*?)>|<row [^>]*/>")
_CELL = re.compile(rb'<c r="([A-Z]+)([0-9]+)"[^>]*?(?:/>|>.*?</c>)', re.S)


def split_sheet(xml: bytes) -> tuple[bytes, bytes, bytes]:
    """(before <sheetData>, its content, after </sheetData>)."""
    m = _SHEET_DATA.search(xml)
    assert m is not None
    return xml[:m.start()], m.group(1), xml[m.end():]


def cells(xml: bytes) -> dict[tuple[str, int], bytes]:
    """Every cell of a sheet part, raw, by (column letters, row)."""
    return {(m.group(1).decode(), int(m.group(2))): m.group(0)
            for m in _CELL.finditer(split_sheet(xml)[1])}


def row_tags(xml: bytes) -> list[bytes]:
    return _ROW.findall(split_sheet(xml)[1])
