"""The button and the command line give the same workbook: for one workbook and one as-of date,
``excel.main()`` on the in-memory Excel (loaded with the file's values as Excel shows them) and
``pipeline.refresh`` on the file leave identical status values, cell for cell: every owned column
of every data sheet, and the owned sheets (Aging, Schedule) whole.

Input cells are compared through what the reader makes of them (the records), not as raw cells: a
file may store a number as non-shortest text (XlsxWriter writes 748.18 as ``748.1799999999999``,
the same double), which the file reader keeps digit for digit while Excel hands over the double.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from arsheets import excel, pipeline
from arsheets.demo import demo_book
from arsheets.workbook import schema
from arsheets.workbook.scan import XlsxBook
from arsheets.workbook.template import build_workbook
from xlsx_fixtures import INVOICE, contract_book
from xlwings_memory_engine import MockCaller, load_xlsx

AS_OF = date(2026, 3, 31)
DATA = ("Invoices", "Customers", "Payments", "Plans")
WHOLE = ("Aging", "Schedule")


def _cells(rows) -> dict[tuple[int, int], object]:
    return {(r, c): v for r, values in rows for c, v in values.items()}


def both_ways(path: Path, tmp_path: Path, *, flavour: str = "windows", as_of: date | None = None
              ) -> tuple[dict, dict, excel.Outcome, pipeline.RefreshOutcome]:
    """The owned cells each way, by sheet: {(row, col): value}; and both outcomes."""
    cli_copy = tmp_path / f"cli-{path.name}"
    shutil.copy(path, cli_copy)
    book = load_xlsx(path, flavour=flavour)  # as Excel shows the workbook before the refresh
    with MockCaller(book):
        outcome = excel.main(today=AS_OF)
    assert outcome.ok, outcome.message
    cli = pipeline.refresh(cli_copy, as_of, today=AS_OF)
    live = excel.ExcelBook(book)  # read back the way the button reads
    file_cells, live_cells = {}, {}
    with XlsxBook.open(cli_copy) as fb:
        for name in DATA:
            layout = cli.analysis.read.layouts.get(name)
            if layout is None:
                continue
            spec = next(s for s in schema.DATA_SHEETS if s.name == name)
            header = {v: c for (r, c), v in _cells(fb.sheet(name).head(layout.header_row)).items()
                      if r == layout.header_row}
            cols = [header[c.name] for c in spec.owned]  # every owned column is there now
            rows = set(layout.rows)
            file_cells[name] = {k: v for k, v in _cells(fb.sheet(name).rows(cols)).items()
                                if k[0] in rows}
            live_cells[name] = {k: v for k, v in _cells(live.sheet(name).rows(cols)).items()
                                if k[0] in rows}
        for name in WHOLE:
            file_cells[name] = _cells(fb.sheet(name).rows(None))
            live_cells[name] = _cells(live.sheet(name).rows(None))
    return file_cells, live_cells, outcome, cli


def assert_same(file_sheets: dict, live_sheets: dict) -> None:
    for name, expected in file_sheets.items():
        got = live_sheets[name]
        diff = []
        for rc in sorted(set(expected) | set(got)):
            a, b = expected.get(rc), got.get(rc)
            if a != b or type(a) is not type(b):
                diff.append((name, rc, a, b))
        assert diff == [], diff[:10]


def assert_same_analysis(live: excel.Outcome, cli: pipeline.RefreshOutcome) -> None:
    assert live.analysis.as_of == cli.analysis.as_of
    assert live.analysis.read.book == cli.analysis.read.book
    assert live.analysis.result == cli.analysis.result
    assert live.analysis.problems == cli.analysis.problems


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("parity") / "demo.xlsx"
    book, settings = demo_book(AS_OF)
    build_workbook(path, book, settings)
    return path


@pytest.mark.parametrize("flavour", ["windows", "mac"])
def test_the_demo_business(demo_path, tmp_path, flavour):
    file_cells, live_cells, outcome, cli = both_ways(demo_path, tmp_path, flavour=flavour)
    assert outcome.analysis.as_of == AS_OF
    assert len(file_cells["Invoices"]) > 1500 and len(file_cells["Aging"]) > 300
    assert_same(file_cells, live_cells)
    assert_same_analysis(outcome, cli)


def test_a_refreshed_workbook_refreshed_again(demo_path, tmp_path):
    """The usual day: the status columns already hold yesterday's values."""
    once = tmp_path / "once.xlsx"
    shutil.copy(demo_path, once)
    pipeline.refresh(once, date(2026, 3, 1), today=AS_OF)
    file_cells, live_cells, outcome, cli = both_ways(once, tmp_path)
    assert_same(file_cells, live_cells)
    assert_same_analysis(outcome, cli)


def test_problems_missing_columns_and_tables(tmp_path):
    path = contract_book(tmp_path / "odd.xlsx", tables=True, invoices=[
        INVOICE,
        {**INVOICE, "Invoice": "002", "Amount": "1,234.50"},
        {**INVOICE, "Invoice": "INV-3", "Amount": "abc"},
        {**INVOICE, "Invoice": "INV-4", "Customer": "nobody"},
        {**INVOICE, "Invoice": "INV-5", "Invoice Date": date(2026, 1, 2), "Amount": -40},
    ], payments=[{"Date": date(2024, 4, 1), "Customer": "C-01", "Invoice": "INV-1",
                  "Amount": 150}])
    file_cells, live_cells, outcome, cli = both_ways(path, tmp_path)
    assert len(outcome.analysis.problems) == 2
    assert_same(file_cells, live_cells)
    assert_same_analysis(outcome, cli)
