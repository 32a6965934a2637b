"""Sheets arsheets owns whole: created when missing, regenerated when present, with table/chart."""

from __future__ import annotations

import re
import warnings
import zipfile
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from arsheets.errors import ArsheetsError
from arsheets.workbook.write import (ChartSeries, OwnedSheet, OwnedTable, Role, StackedBarChart,
                                     write_workbook)
from fidelity_workbook import build, raw_members
from libreoffice import libreoffice_convert

BUCKETS = ("Current", "1-30", "31-60", "61-90", "91+")


def aging(customers: int) -> OwnedSheet:
    """An Aging-like report: title, note, header, one row per customer, totals, chart."""
    rows = [[("Aging as of 2024-06-30", Role.TITLE)],
            [("Basis: due date", Role.NOTE)],
            [],
            [(h, Role.HEADER) for h in ("Customer", "Name", *BUCKETS, "Total", "% Overdue")]]
    for i in range(customers):
        amounts = [Decimal(100 * (i + 1) + 10 * b) for b in range(5)]
        total = sum(amounts)
        rows.append([(f"C{i + 1}", Role.TEXT), (f"Customer & Co {i + 1}", Role.TEXT),
                     *((a, Role.MONEY) for a in amounts), (total, Role.MONEY),
                     ((total - amounts[0]) / total, Role.PERCENT)])
    first, last = 5, 4 + customers
    rows.append([("Total", Role.TOTAL_TEXT), (None, Role.TOTAL_TEXT),
                 *((Decimal(1), Role.TOTAL_MONEY) for _ in range(6)),
                 (Decimal("0.5"), Role.TOTAL_PERCENT)])
    rows.append([("DSO", Role.TEXT), (Decimal("41.5"), Role.DAYS), ("as of", Role.TEXT),
                 (date(2024, 6, 30), Role.DATE), (7, Role.INT)])
    chart = StackedBarChart(
        "Aging by customer", f"A{first}:A{last}",
        tuple(ChartSeries(f"{col}4", f"{col}{first}:{col}{last}") for col in "CDEFG"),
        anchor="L2")
    return OwnedSheet("Aging", rows, widths=(12, 28, 12, 12, 12, 12, 12, 13, 10), freeze_rows=4,
                      chart=chart)


def schedule(installments: int) -> OwnedSheet:
    headers = ("Plan", "No", "Due Date", "Payment", "Interest", "Principal", "Balance", "Paid",
               "Status")
    rows = [[(h, Role.HEADER) for h in headers]]
    for n in range(1, installments + 1):
        rows.append([("P-1", Role.TEXT), (n, Role.INT), (date(2024, n % 12 + 1, 1), Role.DATE),
                     (Decimal("100.00"), Role.MONEY), (Decimal("1.25"), Role.MONEY),
                     (Decimal("98.75"), Role.MONEY), (Decimal(1000 - 100 * n), Role.MONEY),
                     (Decimal("0.00"), Role.MONEY), ("Due", Role.TEXT)])
    return OwnedSheet("Schedule", rows, freeze_rows=1,
                      table=OwnedTable("ScheduleTable", 1, headers))


@pytest.fixture
def book(tmp_path):
    return build(tmp_path / "book.xlsx", 6).path


def names(path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        return zf.namelist()


def text(path, name) -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read(name).decode()


def sheet_part(path, sheet: str) -> str:
    wb = text(path, "xl/workbook.xml")
    rid = re.search(rf'<sheet name="{sheet}" sheetId="\d+" r:id="(rId\d+)"/>', wb).group(1)
    rels = text(path, "xl/_rels/workbook.xml.rels")
    return "xl/" + re.search(rf'Id="{rid}" Type="[^"]*" Target="([^"]*)"', rels).group(1)


def load(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(path)


def test_aging_sheet_is_created_with_its_chart(book):
    before = raw_members(book)
    report = write_workbook(book, [], [aging(3)], backup=False)
    assert report.owned_sheets == ("Aging",)
    part = sheet_part(book, "Aging")
    listing = names(book)
    assert part in listing and "xl/drawings/drawing3.xml" in listing
    chart = next(n for n in listing if n.startswith("xl/charts/") and n not in before)
    types = text(book, "[Content_Types].xml")
    for name in (part, "xl/drawings/drawing3.xml", chart):
        assert types.count(f'PartName="/{name}"') == 1
    xml = text(book, chart)
    assert "<c:grouping val=\"stacked\"/>" in xml and '<c:overlap val="100"/>' in xml
    assert "<c:f>Aging!$A$5:$A$7</c:f>" in xml and "<c:f>Aging!$G$5:$G$7</c:f>" in xml
    assert "<c:f>Aging!$C$4</c:f>" in xml and "<c:v>Current</c:v>" in xml
    assert xml.count("<c:ser>") == 5
    # parts that are not about the new sheet are copied raw
    after = raw_members(book)
    changed = {n for n in before if before[n] != after[n]}
    assert changed <= {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                       "xl/styles.xml"}
    ws = load(book)["Aging"]
    assert ws["A1"].value == "Aging as of 2024-06-30" and ws["A1"].font.b
    assert ws["B5"].value == "Customer & Co 1" and ws["C5"].number_format == "#,##0.00"
    assert ws["I5"].number_format == "0.0%" and ws["A8"].font.b and ws["A8"].value == "Total"
    assert ws.freeze_panes == "A5"
    assert len(ws._charts) == 1
    cal = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Aging").to_python()
    assert cal[4][:3] == ["C1", "Customer & Co 1", 100.0]
    assert cal[8][3] == date(2024, 6, 30)


def test_aging_sheet_is_replaced_and_the_chart_follows_the_rows(book):
    write_workbook(book, [], [aging(3)], backup=False)
    first = names(book)
    part = sheet_part(book, "Aging")
    write_workbook(book, [], [aging(5)], backup=False)
    assert names(book) == first  # same parts, reused: nothing orphaned, nothing new
    assert sheet_part(book, "Aging") == part
    chart = text(book, "xl/charts/chart2.xml")
    assert "<c:f>Aging!$A$5:$A$9</c:f>" in chart and "<c:f>Aging!$C$5:$C$9</c:f>" in chart
    assert text(book, "xl/workbook.xml").count('name="Aging"') == 1
    assert load(book)["Aging"]["A9"].value == "C5"
    same = book.read_bytes()
    write_workbook(book, [], [aging(5)], backup=False)
    assert book.read_bytes() == same


def test_schedule_sheet_with_a_table(book):
    write_workbook(book, [], [schedule(4)], backup=False)
    table = next(n for n in names(book)
                 if n.startswith("xl/tables/") and n != "xl/tables/table1.xml")
    xml = text(book, table)
    assert 'name="ScheduleTable"' in xml and 'ref="A1:I5"' in xml and 'id="2"' in xml
    assert '<tableColumn id="3" name="Due Date"/>' in xml
    ws = load(book)["Schedule"]
    assert ws.tables["ScheduleTable"].ref == "A1:I5"
    assert ws["C2"].is_date and ws["D2"].value == 100
    write_workbook(book, [], [schedule(7)], backup=False)
    assert 'ref="A1:I8"' in text(book, table) and 'id="2"' in text(book, table)
    write_workbook(book, [], [schedule(0)], backup=False)  # a table keeps one (empty) data row
    assert 'ref="A1:I2"' in text(book, table)


def test_an_owned_sheet_made_by_someone_else_is_taken_over_cleanly(tmp_path):
    path = tmp_path / "other.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Data")
    ws.write("A1", 1)
    old = wb.add_worksheet("Aging")
    old.write("A1", "old report")
    old.write_comment("A1", "a note")
    chart = wb.add_chart({"type": "pie"})
    chart.add_series({"values": "=Aging!$A$1:$A$1"})
    old.insert_chart("C3", chart)
    wb.close()
    write_workbook(path, [], [aging(2)], backup=False)
    listing = names(path)
    assert not any("comments" in n or n.endswith(".vml") for n in listing)
    types = text(path, "[Content_Types].xml")
    for part in re.findall(r'PartName="/([^"]*)"', types):
        assert part in listing, part
    ws = load(path)["Aging"]
    assert ws["A1"].value == "Aging as of 2024-06-30" and ws["A1"].comment is None
    assert "stacked" in text(path, "xl/charts/chart1.xml")


def test_table_names_must_be_free_and_headers_must_match(book):
    clash = schedule(2)
    clash = OwnedSheet("Schedule", clash.rows, table=OwnedTable("InvoicesTable", 1,
                                                                clash.table.columns))
    with pytest.raises(ArsheetsError, match="InvoicesTable"):
        write_workbook(book, [], [clash], backup=False)
    wrong = OwnedSheet("Schedule", schedule(2).rows,
                       table=OwnedTable("ScheduleTable", 1, ("Plan", "Number")))
    with pytest.raises(ValueError, match="header"):
        write_workbook(book, [], [wrong], backup=False)


def test_libreoffice_opens_the_owned_sheets(book, tmp_path):
    write_workbook(book, [], [aging(3), schedule(3)], backup=False)
    converted = libreoffice_convert(book, tmp_path)
    wb = load(converted)
    assert wb["Aging"]["B6"].value == "Customer & Co 2"
    assert wb["Schedule"]["G4"].value == 700
    with zipfile.ZipFile(converted) as zf:
        assert any(n.startswith("xl/charts/chart") for n in zf.namelist())
