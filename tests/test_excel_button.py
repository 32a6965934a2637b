"""The button inside Excel: ``arsheets.excel.main()`` driven through xlwings' real Book/Range
code on the in-memory engine, with ``xw.Book.set_mock_caller()``."""

from __future__ import annotations

import re
import shutil
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import xlwings as xw

from arsheets import excel
from arsheets.demo import demo_book
from arsheets.excel_setup import setup_workbook
from arsheets.workbook import schema
from arsheets.workbook.template import build_workbook
from xlsx_fixtures import INVOICE, Sheet, contract_book, xlsx
from xlwings_memory_engine import (FormulaWritten, MockCaller, Range, app_of, load_xlsx, new_book,
                                   sheet_of)

AS_OF = date(2026, 3, 31)


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    path = folder / "ar_demo.xlsx"
    book, settings = demo_book(AS_OF)
    build_workbook(path, book, settings)
    setup_workbook(path)
    return path


@pytest.fixture
def demo(demo_path, tmp_path) -> xw.Book:
    path = tmp_path / demo_path.name
    shutil.copy(demo_path, path)
    return load_xlsx(path)


def run(book: xw.Book, **kw) -> excel.Outcome:
    with MockCaller(book):
        return excel.main(today=kw.pop("today", AS_OF), **kw)


def owned_letters(sheet: str, header_row: int = 1) -> tuple[str, str]:
    spec = next(s for s in schema.DATA_SHEETS if s.name == sheet)
    names = [c.name for c in spec.columns]
    first = names.index(spec.owned[0].name) + 1
    last = names.index(spec.owned[-1].name) + 1
    from arsheets.errors import column_letter
    return column_letter(first), column_letter(last)


def test_refresh_writes_each_sheet_in_one_call_per_block(demo):
    outcome = run(demo)
    assert outcome.ok, outcome.message
    app = app_of(demo)
    analysis = outcome.analysis
    for sheet in ("Invoices", "Customers", "Payments"):
        rows = analysis.read.layouts[sheet].rows
        first, last = owned_letters(sheet)
        assert app.writes(sheet) == [(sheet, f"${first}${rows[0]}:${last}${rows[-1]}")]
    assert app.writes("Invoices") == [("Invoices", "$K$2:$V$302")]
    # the owned sheets: one assignment each
    assert len(app.writes("Aging")) == 1 and len(app.writes("Schedule")) == 1
    # one read per sheet (plus the two Control cells)
    reads = app.reads()
    assert sorted(s for s, _ in reads if s != "Control") == sorted(
        ["Settings", "Invoices", "Customers", "Payments", "Activity", "Plans"])
    assert [a for s, a in reads if s == "Control"] == ["$B$3", "$B$4"]


def test_screen_updating_and_calculation_are_restored(demo):
    app = app_of(demo)
    app.calculation = "semiautomatic"
    app.log.clear()
    run(demo)
    settings = [e[1:] for e in app.log if e[0] == "app"]
    assert settings == [("screen_updating", False), ("calculation", "manual"),
                        ("calculation", "semiautomatic"), ("screen_updating", True)]
    first_write = next(i for i, e in enumerate(app.log) if e[0] == "write")
    last_write = max(i for i, e in enumerate(app.log) if e[0] == "write")
    off = [i for i, e in enumerate(app.log) if e[0] == "app"]
    assert off[1] < first_write and last_write < off[2]


def test_settings_are_restored_when_a_write_fails(demo, monkeypatch):
    original = Range.raw_value.fset

    def failing(self, data):
        if self.sheet.name == "Aging":
            raise RuntimeError("Excel is busy")
        original(self, data)

    monkeypatch.setattr(Range, "raw_value", Range.raw_value.setter(failing))
    with pytest.raises(RuntimeError):
        run(demo)
    app = app_of(demo)
    assert app.screen_updating is True and app.calculation == "automatic"


def test_written_values_are_the_status_columns(demo):
    outcome = run(demo)
    inv = sheet_of(demo, "Invoices")
    analysis = outcome.analysis
    layout = analysis.read.layouts["Invoices"]
    by_row = {s.row: s for s in analysis.result.invoices}
    checked = 0
    for row in layout.rows:
        s = by_row[row]
        assert excel.from_excel(inv.grid.get((row, layout.columns["Balance"]))) == s.balance
        assert inv.grid.get((row, layout.columns["Status"])) == str(s.status)
        assert excel.from_excel(inv.grid.get((row, layout.columns["Days Overdue"]))) \
            == s.days_overdue
        if s.aging:  # bucket labels like 1-30 stay text, never a date
            assert inv.grid.get((row, layout.columns["Aging"])) == s.aging
            checked += 1
    assert checked
    aging = sheet_of(demo, "Aging")
    assert aging.value("A1") == "Accounts receivable aging"
    assert aging.value("B2") == datetime(2026, 3, 31)
    assert [aging.value(f"{c}5") for c in "CDEFG"] == ["Current", "1-30", "31-60", "61-90", "91+"]
    assert aging.formats[(6, 3)] == "#,##0.00"


def test_the_as_of_cell_on_control_wins(demo):
    sheet_of(demo, "Control").set("B4", datetime(2026, 1, 15))
    outcome = run(demo)
    assert outcome.analysis.as_of == date(2026, 1, 15)
    assert "as of 2026-01-15" in app_of(demo).alerts[-1].prompt


def test_a_bad_as_of_cell_stops_with_its_address(demo):
    sheet_of(demo, "Control").set("B4", "soon")
    outcome = run(demo)
    assert not outcome.ok
    alert = app_of(demo).alerts[-1]
    assert alert.mode == "critical"
    assert "Control!B4: 'soon' is not a date" in alert.prompt
    assert "Nothing was written." in alert.prompt
    assert app_of(demo).writes() == []


def test_an_unknown_action_stops(demo):
    sheet_of(demo, "Control").set("B3", "Make coffee")
    outcome = run(demo)
    assert not outcome.ok
    assert "Control!B3: 'Make coffee' is not an action" in app_of(demo).alerts[-1].prompt


def test_problems_go_to_the_problems_column_and_one_message_box(tmp_path):
    path = contract_book(tmp_path / "book.xlsx", invoices=[
        INVOICE,
        {**INVOICE, "Invoice": "INV-2", "Amount": "abc"},
        {**INVOICE, "Invoice": "INV-3", "Invoice Date": "someday"},
    ] + [{**INVOICE, "Invoice": f"INV-{n}", "Amount": "x"} for n in range(4, 14)])
    book = load_xlsx(path)
    outcome = run(book)
    assert outcome.ok
    app = app_of(book)
    assert len(app.alerts) == 1
    prompt = app.alerts[0].prompt
    assert "12 problems" in prompt
    assert "- Invoices!E3: 'abc' is not an amount" in prompt
    assert re.search(r"- Invoices!C4: 'someday' is not a date", prompt)
    assert "... and 4 more." in prompt
    inv = sheet_of(book, "Invoices")
    layout = outcome.analysis.read.layouts["Invoices"]
    problems_col = next(c for c in range(1, 40) if inv.grid.get((1, c)) == "Problems")
    assert inv.grid.get((3, problems_col)).startswith("Invoices!E3: 'abc' is not an amount")
    assert inv.grid.get((2, problems_col)) is None
    # a row left out of the figures has blank statuses
    status_col = next(c for c in range(1, 40) if inv.grid.get((1, c)) == "Status")
    assert inv.grid.get((3, status_col)) is None and inv.grid.get((2, status_col)) == "Overdue"
    assert layout.rows == tuple(range(2, 15))


def test_missing_owned_columns_get_headers_formats_and_join_the_table(tmp_path):
    path = contract_book(tmp_path / "book.xlsx", tables=True)
    book = load_xlsx(path)
    outcome = run(book)
    assert outcome.ok
    inv = sheet_of(book, "Invoices")
    headers = [inv.grid.get((1, c)) for c in range(1, 23)]
    assert headers == [c.name for c in schema.INVOICES.columns]
    app = app_of(book)
    assert app.writes("Invoices") == [("Invoices", "$K$1:$V$1"), ("Invoices", "$K$2:$V$2")]
    assert inv.formats[(2, 12)] == "#,##0.00"  # Balance
    assert inv.tables.tables[0].box == (1, 1, 2, 22)
    assert "Added the column Invoices!K1 Paid." in app.alerts[0].prompt


def test_rows_between_data_rows_are_left_alone(tmp_path):
    rows = [[c.name for c in schema.INVOICES.columns],
            ["INV-1", "C-01", date(2024, 3, 1), None, 100],
            [None, None, None, None, None, None, None, None, None, None, "keep me"],
            ["INV-2", "C-01", date(2024, 3, 2), None, 50]]
    customers = [[c.name for c in schema.CUSTOMERS.inputs], ["C-01", "Acme"]]
    payments = [[c.name for c in schema.PAYMENTS.inputs]]
    path = xlsx(tmp_path / "gaps.xlsx", [Sheet("Invoices", rows), Sheet("Customers", customers),
                                         Sheet("Payments", payments)])
    book = load_xlsx(path)
    assert run(book).ok
    assert app_of(book).writes("Invoices") == [("Invoices", "$K$2:$V$2"),
                                               ("Invoices", "$K$4:$V$4")]
    assert sheet_of(book, "Invoices").value("K3") == "keep me"


def test_a_structural_problem_writes_nothing(tmp_path):
    path = contract_book(tmp_path / "book.xlsx", omit=["Customers"])
    book = load_xlsx(path)
    outcome = run(book)
    assert not outcome.ok
    app = app_of(book)
    assert app.writes() == []
    assert app.alerts[0].mode == "critical"
    assert "no 'Customers' sheet" in app.alerts[0].prompt
    assert app.screen_updating is True


def test_a_workbook_without_a_control_sheet_refreshes(tmp_path):
    path = contract_book(tmp_path / "book.xlsx")
    book = load_xlsx(path)
    outcome = run(book)
    assert outcome.ok and outcome.action == "Refresh"


def _open_invoice_rows(book, customer: str) -> list[int]:
    """Rows on Invoices of the customer's invoices a plan can take (Open or Overdue)."""
    outcome = run(book)  # a refresh first, so Status shows what is open
    assert outcome.ok
    return [s.row for s, inv in zip(outcome.analysis.result.invoices,
                                    outcome.analysis.read.book.invoices)
            if inv.customer_id == customer and str(s.status) in ("Open", "Overdue")]


def test_plan_for_the_selected_invoices(demo):
    customer = "C019"
    rows = _open_invoice_rows(demo, customer)
    assert len(rows) >= 2
    sheet_of(demo, "Control").set("B3", "Plan for selected invoices")
    app = app_of(demo)
    invoices = sheet_of(demo, "Invoices")
    app.select(invoices, f"A{rows[0]}:E{rows[0]},A{rows[1]}:E{rows[1]}")
    chosen = [invoices.value(f"A{r}") for r in rows[:2]]
    outcome = run(demo)
    assert outcome.ok, outcome.message
    (plan,) = outcome.analysis.read.book.plans
    assert (plan.customer_id, plan.invoice_ids, plan.installments) == (customer, tuple(chosen), 3)
    plans = sheet_of(demo, "Plans")
    assert plans.value("A2") == plan.id and plans.value("J2") == "Proposed"
    assert plans.value("K2") == float(sum(
        s.balance for s, inv in zip(outcome.analysis.result.invoices,
                                    outcome.analysis.read.book.invoices) if inv.id in chosen))
    folder = Path(demo.fullname).parent / "letters" / AS_OF.isoformat()
    assert list(folder.glob(f"{customer} *payment_plan_agreement.docx"))
    assert "Added P-1 to Plans" in app.alerts[-1].prompt


def test_plan_needs_invoices_of_one_customer(demo):
    sheet_of(demo, "Control").set("B3", "Plan for selected invoices")
    app = app_of(demo)
    app.select(sheet_of(demo, "Invoices"), "A2:A40")
    outcome = run(demo)
    assert not outcome.ok and "select invoices of one customer" in app.alerts[-1].prompt
    assert app.writes("Plans") == []


def test_statement_for_the_selected_customer(demo):
    sheet_of(demo, "Control").set("B3", "Statement for selected customer")
    customers = sheet_of(demo, "Customers")
    app = app_of(demo)
    app.select(customers, "B5:D5")
    cid = customers.value("A5")
    activity = sheet_of(demo, "Activity")
    before = max(r for r, _ in activity.grid)
    outcome = run(demo)
    assert outcome.ok, outcome.message
    folder = Path(demo.fullname).parent / "letters" / "2026-03-31"
    written = list(folder.glob(f"{cid} *statement.docx"))
    assert len(written) == 1
    row = before + 1
    assert activity.value(f"B{row}") == cid
    assert activity.value(f"E{row}") == "Statement"
    assert activity.value(f"A{row}") == datetime(2026, 3, 31)
    assert activity.tables.tables[0].box[2] == row  # the table grew over the new row
    assert f"1 statement written to {folder}" in app.alerts[-1].prompt
    # the Activity rows are appended in one call per run of adjacent columns
    assert [a for s, a in app.writes("Activity")] == [f"$A${row}:$F${row}", f"$I${row}"]


def test_letters_need_a_selection(demo):
    sheet_of(demo, "Control").set("B3", "Letters for selected customers")
    app = app_of(demo)
    app.select(sheet_of(demo, "Aging"), "A1")
    outcome = run(demo)
    assert not outcome.ok
    assert "no customer rows are selected" in app.alerts[-1].prompt
    assert app.writes() == []


def test_letters_for_the_customers_of_selected_invoices(demo):
    sheet_of(demo, "Control").set("B3", "Letters for selected customers")
    app = app_of(demo)
    activity = sheet_of(demo, "Activity")
    before = max(r for r, _ in activity.grid)
    # invoice rows of several customers, as two areas (Ctrl+click)
    app.select(sheet_of(demo, "Invoices"), "$B$250:$D$302,$A$200")
    outcome = run(demo)
    assert outcome.ok, outcome.message
    prompt = app.alerts[-1].prompt
    m = re.search(r"(\d+) letters? written to (.*) and logged on Activity", prompt)
    assert m, prompt
    n = int(m.group(1))
    assert n >= 1
    assert len(list(Path(m.group(2)).glob("*.docx"))) == n
    after = max(r for r, _ in activity.grid)
    assert after == before + n
    selected = {sheet_of(demo, "Invoices").value(f"B{r}") for r in [*range(250, 303), 200]}
    assert {activity.value(f"B{r}") for r in range(before + 1, after + 1)} <= selected


def test_unsaved_workbook_cannot_make_letters(tmp_path):
    path = contract_book(tmp_path / "book.xlsx")
    book = load_xlsx(path)
    book.impl._fullname = "Book1"  # never saved
    sheet_control = book.impl.sheets.add(name="Control")
    sheet_control.set("B3", "Statement for selected customer")
    app_of(book).select(sheet_of(book, "Customers"), "A2")
    outcome = run(book)
    assert not outcome.ok
    assert "not saved in a folder" in app_of(book).alerts[-1].prompt


def test_the_mac_flavour_reads_the_same(demo_path, tmp_path):
    path = tmp_path / demo_path.name
    shutil.copy(demo_path, path)
    win = run(load_xlsx(path))
    mac = run(load_xlsx(path, flavour="mac"))
    assert win.analysis.problems == mac.analysis.problems
    assert win.analysis.result == mac.analysis.result


def test_error_cells_are_problems_with_their_address(tmp_path):
    path = contract_book(tmp_path / "book.xlsx")
    for flavour in ("windows", "mac"):
        book = load_xlsx(path, flavour=flavour)
        from xlwings_memory_engine import XlError
        sheet_of(book, "Invoices").set("E2", XlError("#N/A"))
        outcome = run(book)
        assert any(str(p).startswith("Invoices!E2: ") and "#N/A" in str(p)
                   for p in outcome.analysis.problems), outcome.analysis.problems


def test_currency_cells_arrive_as_decimal_and_read_the_same(tmp_path):
    path = contract_book(tmp_path / "book.xlsx", invoices=[{**INVOICE, "Amount": 1234.5}])
    plain = run(load_xlsx(path))
    book = load_xlsx(path)
    sheet = sheet_of(book, "Invoices")
    sheet.set("E2", Decimal("1234.5000"), "$#,##0.00")
    assert run(book).analysis.read.book.invoices == plain.analysis.read.book.invoices


def test_writing_text_that_excel_would_misread_is_refused_by_the_engine():
    book = new_book()
    sheet = book.sheets.add("S")
    sheet.range("A1").value = "'1-30"
    assert sheet.range("A1").value == "1-30"
    sheet.range("A2").value = "1-30"
    assert isinstance(sheet.range("A2").value, datetime)
    with pytest.raises(FormulaWritten):
        sheet.range("A3").value = "=A1"


def test_large_blocks_follow_xlwings_chunking(demo):
    app = app_of(demo)
    app.max_cells_per_write = 1000  # as xlwings' own budget does for very large writes
    outcome = run(demo)
    assert outcome.ok
    writes = app.writes("Invoices")
    assert len(writes) > 1 and writes[0] == ("Invoices", "$K$2:$V$84")


def test_main_uses_the_caller_book(demo):
    with MockCaller(demo):
        outcome = excel.main(today=AS_OF)
    assert outcome.ok


def test_no_xlwings_pro_anywhere():
    """xlwings PRO's licence does not fit arsheets: nothing may import it."""
    package = Path(excel.__file__).parent
    pattern = re.compile(r"xlwings\s*\.\s*pro\b|from\s+xlwings\s+import\s+[^\n]*\bpro\b"
                         r"|import\s+xlwings\.pro|from\s+xlwings\.pro")
    offenders = [str(p) for p in package.rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []

