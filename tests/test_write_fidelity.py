"""The writer changes only the cells arsheets owns and copies everything else byte for byte.

A realistic workbook (tests/fidelity_workbook.py: table, chart, sparklines, validations, data bars,
comment, pictures, text box, defined names, dynamic array, formulas reading the status columns, VBA)
is patched; every other part must be identical down to its compressed bytes, the patched sheet may
differ only in owned cells, and three independent readers (openpyxl, python-calamine, LibreOffice)
must read the new values back.
"""

from __future__ import annotations

import re
import shutil
import warnings
from datetime import date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from arsheets.errors import column_letter
from arsheets.workbook.schema import Kind
from arsheets.workbook.write import ColumnPatch, SheetPatch, write_workbook
from fidelity_workbook import (HEADERS, OWNED, OWNED_COLUMNS, VBA_STUB, build, cells, part,
                               raw_members, row_tags, split_sheet)
from libreoffice import libreoffice_convert

KINDS = {"Paid": Kind.MONEY, "Balance": Kind.MONEY, "Days Overdue": Kind.INT, "Aging": Kind.TEXT,
         "Late Fee": Kind.MONEY, "Discount": Kind.MONEY, "Amount Due": Kind.MONEY,
         "Status": Kind.TEXT, "Stage": Kind.TEXT, "Next Action": Kind.TEXT,
         "Next Action Date": Kind.DATE, "Problems": Kind.TEXT}
COLUMNS = tuple(ColumnPatch(col, KINDS[name]) for name, col in zip(OWNED, OWNED_COLUMNS))
PROBLEMS = [
    "=Invoices!D17: 'abc' is not a date & <b>bold</b>",
    "  leading and trailing  ",
    "+1 555 0100",
    "@mention -5 days",
    "tab\there, line\nbreak, CR\rreturn, bell\x07kept",
    "_x0041_ stays literal",
    "naïve ünïcode € 😀",
]
ROWS = 12
SHEET = "xl/worksheets/sheet1.xml"


def status_values(row: int) -> tuple:
    i = row - 2
    overdue = i % 3 == 0
    amount = Decimal(str(100 + 37.5 * i)).quantize(Decimal("0.01"))
    paid = Decimal("25.00") if i % 2 else Decimal("0.00")
    balance = amount - paid
    fee = Decimal("5.00") if overdue else None
    return (paid, balance, 12 * i if overdue else 0, "31-60" if overdue else "Current", fee, None,
            balance + (fee or 0), "Overdue" if overdue else "Open",
            "Second reminder" if overdue else None,
            "=send letter" if overdue else "wait", date(2024, 7, 1) + timedelta(days=i),
            PROBLEMS[i] if i < len(PROBLEMS) else None)


@pytest.fixture(scope="module", params=["xlsx", "xlsm"])
def patched(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    built = build(folder / f"book.{request.param}", ROWS, vba=request.param == "xlsm")
    original = folder / f"original.{request.param}"
    shutil.copyfile(built.path, original)
    rows = ((r, status_values(r)) for r in range(2, ROWS + 2))
    report = write_workbook(built.path, [SheetPatch("Invoices", 1, COLUMNS, rows)])
    return original, built.path, report


def test_every_other_part_is_copied_byte_for_byte(patched):
    original, new, report = patched
    before, after = raw_members(original), raw_members(new)
    assert list(before) == list(after)  # same members, same order
    changed = [name for name in before if before[name] != after[name]]
    assert changed == [SHEET]
    assert report.parts_changed == (SHEET,)


def test_workbook_asks_for_recalculation(patched):
    _, new, _ = patched
    assert b'fullCalcOnLoad="1"' in part(new, "xl/workbook.xml")


def test_patched_sheet_differs_only_in_owned_cells(patched):
    original, new, _ = patched
    old_xml, new_xml = part(original, SHEET), part(new, SHEET)
    old_head, _, old_tail = split_sheet(old_xml)
    new_head, _, new_tail = split_sheet(new_xml)
    assert old_head == new_head  # dimension already covered the owned columns
    assert old_tail == new_tail  # validations, conditional formats, sparklines, extLst ...
    assert row_tags(old_xml) == row_tags(new_xml)
    old_cells, new_cells = cells(old_xml), cells(new_xml)
    owned_letters = {column_letter(c) for c in OWNED_COLUMNS}
    for (col, row), raw in old_cells.items():
        if col not in owned_letters or row == 1:
            assert new_cells[(col, row)] == raw, f"{col}{row} changed"
    for (col, row) in new_cells:
        if (col, row) not in old_cells:
            assert col in owned_letters and row > 1, f"{col}{row} appeared"
    # every written cell is an inline string or a plain number: no formula, no shared string
    for (col, row), raw in new_cells.items():
        if col in owned_letters and row > 1:
            assert b"<f" not in raw and b't="s"' not in raw


def openpyxl_text(v):
    """openpyxl leaves some of Excel's _xHHHH_ escapes in place (those of control characters)."""
    if isinstance(v, str):
        v = re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), v)
    return v


def _check_values(get):
    for r in range(2, ROWS + 2):
        for name, value in zip(OWNED, status_values(r)):
            got = get(r, HEADERS.index(name))
            if value is None:
                assert got in (None, ""), (r, name, got)
            elif isinstance(value, Decimal):
                assert Decimal(str(got)) == value, (r, name, got)
            elif isinstance(value, date):
                assert got == value, (r, name, got)
            elif isinstance(value, int):
                assert got == value, (r, name, got)
            else:
                assert got == value, (r, name, got)


def test_openpyxl_reads_the_values(patched):
    _, new, _ = patched
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ws = openpyxl.load_workbook(new)["Invoices"]

    def get(r, c):
        v = ws.cell(r, c + 1).value
        return v.date() if isinstance(v, datetime) else openpyxl_text(v)
    _check_values(get)
    assert ws.cell(2, HEADERS.index("Next Action Date") + 1).number_format in ("yyyy-mm-dd",
                                                                               "mm-dd-yy")


def test_calamine_reads_the_values(patched):
    _, new, _ = patched
    rows = CalamineWorkbook.from_path(str(new)).get_sheet_by_name("Invoices").to_python()

    def get(r, c):
        v = rows[r - 1][c]
        if isinstance(v, datetime):
            return v.date()
        if isinstance(v, float) and v.is_integer() and HEADERS[c] == "Days Overdue":
            return int(v)
        return v
    _check_values(get)


def test_libreoffice_opens_it_and_formulas_follow_the_status_columns(patched, tmp_path):
    _, new, _ = patched
    converted = libreoffice_convert(new, tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(converted, data_only=True)
    ws = wb["Invoices"]
    values = [status_values(r) for r in range(2, ROWS + 2)]
    statuses = [ws.cell(r, HEADERS.index("Status") + 1).value for r in range(2, ROWS + 2)]
    assert statuses == [v[OWNED.index("Status")] for v in values]
    # calamine, not openpyxl, decodes Excel's _xHHHH_ escapes in shared strings exactly
    rows = CalamineWorkbook.from_path(str(converted)).get_sheet_by_name("Invoices").to_python()
    problems = [rows[r - 1][HEADERS.index("Problems")] for r in range(2, ROWS + 2)]
    # Calc keeps line breaks as LF: a CR comes back as one
    assert problems[:len(PROBLEMS)] == [p.replace("\r", "\n") for p in PROBLEMS]
    overdue = sum(1 for v in values if v[OWNED.index("Status")] == "Overdue")
    summary = wb["Summary"]
    assert summary["B1"].value == overdue  # =COUNTIF(InvoicesTable[Status],"Overdue")
    balance = sum(v[OWNED.index("Balance")] for v in values)
    assert Decimal(str(summary["B2"].value)) == balance  # =SUM(InvoicesTable[Balance])
    assert summary["B3"].value == overdue  # counts the bookkeeper's column that reads Status
    chase = [ws.cell(r, HEADERS.index("Chase?") + 1).value for r in range(2, ROWS + 2)]
    assert chase.count("chase") == overdue


def test_xlsm_keeps_its_vba_project(patched):
    original, new, _ = patched
    if new.suffix != ".xlsm":
        pytest.skip("only for .xlsm")
    assert part(new, "xl/vbaProject.bin") == VBA_STUB
    types = part(new, "[Content_Types].xml")
    assert b"application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
    assert b"vbaProject" in part(new, "xl/_rels/workbook.xml.rels")
    assert types == part(original, "[Content_Types].xml")


def test_refreshing_again_with_the_same_values_changes_nothing(patched, tmp_path):
    _, new, _ = patched
    again = tmp_path / new.name
    shutil.copyfile(new, again)
    rows = ((r, status_values(r)) for r in range(2, ROWS + 2))
    write_workbook(again, [SheetPatch("Invoices", 1, COLUMNS, rows)], backup=False)
    assert again.read_bytes() == new.read_bytes()
