"""Workbook -> Book: records, layouts, headers found wherever the bookkeeper put them."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from arsheets import model
from arsheets.workbook import schema
from arsheets.workbook.read import read_book, read_columns, read_workbook
from arsheets.workbook.records import fast_constructor
from arsheets.workbook.scan import XlsxBook
from arsheets.workbook.values import NO_VALUE

from libreoffice import libreoffice_convert, require_libreoffice
from xlsx_fixtures import (
    CUSTOMER, INVOICE, Formula, Sheet, contract_book, data_rows, inline_row, raw_xlsx, sheet_xml,
    table_xml,
)

D = Decimal


def messages(result) -> list[str]:
    return [str(p) for p in result.problems]


@pytest.fixture(params=[False, True], ids=["shared", "inline"])
def inline(request):
    return request.param


def test_a_complete_workbook(tmp_path, inline):
    path = contract_book(
        tmp_path / "b.xlsx", constant_memory=inline,
        customers=[
            {"Customer": "C-01", "Name": "Acme Ltd", "Contact": "Ann", "AP Contact": "Bob",
             "Email": "ap@acme.test", "Phone": 5551234, "Address": "1 Road\nTown",
             "Terms": 45, "Credit Limit": 5000, "Late Fee Policy": "Monthly Rate 2%",
             "Channel": "mail", "Locale": "en-GB", "Notes": "VIP"},
            {"Customer": "002", "Name": "Zed"},
        ],
        invoices=[
            {"Invoice": "INV-1", "Customer": "C-01", "Invoice Date": date(2024, 3, 1),
             "Due Date": date(2024, 3, 31), "Amount": 1234.5678, "Description": "Work",
             "PO": "PO-9", "Notes": "n", "Hold": "disputed", "Document": "inv1.pdf"},
            {"Invoice": 1002, "Customer": "002", "Invoice Date": "15 Mar 2024",
             "Amount": "$1,200.00"},
            {"Invoice": "CN-1", "Customer": "002", "Invoice Date": date(2024, 3, 20),
             "Amount": -50},
        ],
        payments=[
            {"Date": date(2024, 4, 1), "Customer": "C-01", "Invoice": "INV-1", "Amount": 100,
             "Method": "Wire", "Reference": "ref 1"},
            {"Date": "2024-04-02", "Customer": "002", "Amount": "20.5"},
            {"Date": date(2024, 4, 3), "Customer": "C-01", "Invoice": "P-1", "Amount": 10},
        ],
        activity=[
            {"Date": date(2024, 4, 5), "Customer": "C-01", "Invoice": "INV-1; 1002",
             "Type": "promise", "Stage": "First reminder", "Summary": "will pay",
             "Promise Date": date(2024, 4, 30), "Promise Amount": 500, "Document": "x.pdf"},
            {"Date": date(2024, 4, 6), "Customer": "002", "Type": "Call"},
        ],
        plans=[
            {"Plan": "P-1", "Customer": "C-01", "Invoices": "INV-1", "Start Date": date(2024, 5, 1),
             "Down Payment": 100, "Installments": 6, "Frequency": "every 2 weeks",
             "Annual Rate": "5%", "First Due": date(2024, 5, 15), "Status": "signed"},
            {"Plan": "P-2", "Customer": "002", "Invoices": 1002, "Start Date": date(2024, 5, 1),
             "Installments": "3"},
        ],
        settings={"Late Fee Policy": "Monthly Rate", "Late Fee Rate": "1.5%", "Grace Days": 5},
    )
    result = read_workbook(path)
    assert messages(result) == []
    book = result.book
    assert book.customers == (
        model.Customer("C-01", "Acme Ltd", 2, "Ann", "Bob", "ap@acme.test", "5551234",
                       "1 Road\nTown", 45, D("5000.00"),
                       model.FeePolicy(model.FeeKind.MONTHLY_RATE, D("0.02"), None, 5),
                       model.Channel.MAIL, "en_GB", "VIP"),
        model.Customer("002", "Zed", 3),
    )
    assert book.invoices == (
        model.Invoice("INV-1", "C-01", date(2024, 3, 1), D("1234.57"), date(2024, 3, 31), 2,
                      "Work", "PO-9", "n", model.Hold.DISPUTED, "inv1.pdf"),
        model.Invoice("1002", "002", date(2024, 3, 15), D("1200.00"), None, 3),
        model.Invoice("CN-1", "002", date(2024, 3, 20), D("-50.00"), None, 4),
    )
    assert book.invoices[2].is_credit
    assert book.payments == (
        model.Payment(date(2024, 4, 1), "C-01", D("100.00"), 2, "INV-1", "Wire", "ref 1"),
        model.Payment(date(2024, 4, 2), "002", D("20.50"), 3),
        model.Payment(date(2024, 4, 3), "C-01", D("10.00"), 4, "P-1"),
    )
    assert book.activities == (
        model.Activity(date(2024, 4, 5), "C-01", model.ActivityType.PROMISE, 2, ("INV-1", "1002"),
                       "First reminder", "will pay", date(2024, 4, 30), D("500.00"), "x.pdf"),
        model.Activity(date(2024, 4, 6), "002", model.ActivityType.CALL, 3),
    )
    assert book.plans == (
        model.Plan("P-1", "C-01", ("INV-1",), date(2024, 5, 1), 6, 2, D("100.00"),
                   model.Frequency.EVERY_2_WEEKS, D("0.05"), date(2024, 5, 15),
                   model.PlanStatus.SIGNED),
        model.Plan("P-2", "002", ("1002",), date(2024, 5, 1), 3, 3),
    )
    assert book.settings.late_fee == model.FeePolicy(model.FeeKind.MONTHLY_RATE, D("0.015"),
                                                     None, 5)
    inv = result.layouts["Invoices"]
    assert (inv.name, inv.header_row, inv.rows, inv.last_column) == ("Invoices", 1, (2, 3, 4), 10)
    assert inv.columns == {c.name: i for i, c in enumerate(schema.INVOICES.inputs, 1)}
    assert inv.part.startswith("xl/worksheets/") and inv.table is None
    assert set(result.layouts) == {"Invoices", "Customers", "Payments", "Activity", "Plans"}
    assert result.settings_sheet == "Settings"
    assert str(result.settings_cells["Grace Days"]) == "Settings!B4"


def test_records_match_a_plain_construction():
    make = fast_constructor(model.Invoice)
    args = ("INV-1", "C-1", date(2024, 1, 1), D("1.00"), None, 5, "x", "", "", None, "")
    assert make(*args) == model.Invoice(*args)
    assert hash(make(*args)) == hash(model.Invoice(*args))
    with pytest.raises(dataclasses.FrozenInstanceError):
        make(*args).id = "other"

    @dataclasses.dataclass(frozen=True)
    class Checked:
        x: int

        def __post_init__(self):
            assert self.x > 0

    assert fast_constructor(Checked) is Checked


def test_tables_headers_elsewhere_and_extra_columns(tmp_path):
    rows = [["Invoice register"], [], ["Notes", "My own", "AMOUNT", "invoice  date", "customer",
                                      "Invoice"],
            ["n1", "x", 10, date(2024, 1, 2), "C-01", "A-1"],
            [None, "only mine", None, None, None, None],
            ["n2", "y", 20, date(2024, 1, 3), "C-01", "A-2"]]
    path = contract_book(tmp_path / "b.xlsx", omit=["Invoices"],
                         extra=[Sheet("Invoices", rows), Sheet("Scratch", [["anything"]])])
    result = read_workbook(path)
    assert messages(result) == []
    lay = result.layouts["Invoices"]
    assert lay.header_row == 3 and lay.rows == (4, 6)
    assert lay.columns == {"Notes": 1, "Amount": 3, "Invoice Date": 4, "Customer": 5, "Invoice": 6}
    assert lay.headers["Invoice Date"] == "invoice  date"
    assert [(i.id, i.amount, i.notes) for i in result.book.invoices] == [
        ("A-1", D("10.00"), "n1"), ("A-2", D("20.00"), "n2")]


def test_excel_tables_are_found(tmp_path):
    path = contract_book(tmp_path / "b.xlsx", tables=True,
                         invoices=[INVOICE, {**INVOICE, "Invoice": "INV-2"}])
    result = read_workbook(path)
    lay = result.layouts["Invoices"]
    assert lay.table is not None and lay.table.name == "InvoicesTable" and lay.table.ref == "A1:J3"
    assert lay.rows == (2, 3)
    assert [i.id for i in result.book.invoices] == ["INV-1", "INV-2"]


def test_a_table_below_the_first_thirty_rows(tmp_path):
    heads = [c.name for c in schema.PAYMENTS.inputs]
    rows = data_rows("Payments", [{"Date": date(2024, 1, 5), "Customer": "C-01", "Amount": 5}])
    path = contract_book(tmp_path / "b.xlsx", omit=["Payments"],
                         extra=[Sheet("Payments", rows, table=True, table_at=(40, 3))])
    result = read_workbook(path)
    lay = result.layouts["Payments"]
    assert lay.header_row == 40 and lay.columns["Date"] == 3 and lay.rows == (41,)
    assert lay.table.ref == f"C40:{chr(ord('C') + len(heads) - 1)}41"
    assert result.book.payments == (model.Payment(date(2024, 1, 5), "C-01", D("5.00"), 41),)


def test_table_from_raw_xml_marks_the_header_row(tmp_path):
    """Two candidate header rows: the table's wins even though a plain row comes first."""
    rows = (inline_row(1, ["Invoice", "Customer", "Invoice Date", "Amount"])
            + inline_row(3, ["Invoice", "Customer", "Invoice Date", "Amount"])
            + inline_row(4, ["T-1", "C-01", 45366, 5]))
    sheets = {
        "Customers": sheet_xml(inline_row(1, ["Customer", "Name"]) + inline_row(2, ["C-01", "A"])),
        "Invoices": sheet_xml(rows),
        "Payments": sheet_xml(inline_row(1, ["Date", "Customer", "Amount"])),
    }
    path = raw_xlsx(tmp_path / "r.xlsx", sheets, tables={"Invoices": [table_xml(
        "A3:D4", ["Invoice", "Customer", "Invoice Date", "Amount"], "Inv")]})
    result = read_workbook(path)
    lay = result.layouts["Invoices"]
    assert lay.header_row == 3 and lay.table.name == "Inv" and lay.rows == (4,)
    assert result.book.invoices[0].invoice_date == date(2024, 3, 15)


def test_a_table_totals_row_is_not_data(tmp_path):
    rows = (inline_row(1, ["Customer", "Name"]) + inline_row(2, ["C-01", "A"]))
    inv = (inline_row(1, ["Invoice", "Customer", "Invoice Date", "Amount"])
           + inline_row(2, ["T-1", "C-01", 45366, 5]) + inline_row(3, ["Total", None, None, 5]))
    sheets = {"Customers": sheet_xml(rows), "Invoices": sheet_xml(inv),
              "Payments": sheet_xml(inline_row(1, ["Date", "Customer", "Amount"]))}
    table = table_xml("A1:D3", ["Invoice", "Customer", "Invoice Date", "Amount"], "Inv").replace(
        'ref="A1:D3"', 'ref="A1:D3" totalsRowCount="1"')
    result = read_workbook(raw_xlsx(tmp_path / "r.xlsx", sheets, tables={"Invoices": [table]}))
    assert result.problems == ()
    assert result.layouts["Invoices"].rows == (2,)
    assert result.layouts["Invoices"].table.totals_rows == 1


def test_renamed_headers_through_the_columns_table(tmp_path):
    path = contract_book(
        tmp_path / "b.xlsx",
        headers={"Invoices": ["Inv No", "Client", "Date Issued", "Total", "Amount", "Outstanding"]},
        invoices=[{"Inv No": "A-1", "Client": "C-01", "Date Issued": date(2024, 2, 1),
                   "Total": 99, "Amount": "ignored: not the mapped column"}],
        columns=[("Invoices", "Inv No", "Invoice"), ("invoices", "client", "customer"),
                 ("Invoices", "Date Issued", "Invoice Date"), ("Invoices", "TOTAL", "Amount"),
                 ("Invoices", "Outstanding", "Balance"), ("Payments", "Paid On", "Date")])
    result = read_workbook(path)
    assert messages(result) == []
    lay = result.layouts["Invoices"]
    assert lay.columns == {"Invoice": 1, "Customer": 2, "Invoice Date": 3, "Amount": 4,
                           "Balance": 6}
    assert result.book.invoices == (model.Invoice("A-1", "C-01", date(2024, 2, 1), D("99.00"),
                                                  row=2),)


def test_owned_columns_are_mapped_and_not_read(tmp_path):
    heads = ["Invoice", "Customer", "Invoice Date", "Amount", "Balance", "Status", "Problems", "Mine"]
    path = contract_book(tmp_path / "b.xlsx", headers={"Invoices": heads}, invoices=[
        {**INVOICE, "Balance": "junk", "Status": "whatever", "Problems": "old", "Mine": "x"},
        {"Balance": 5, "Problems": "a row with only owned cells is not a data row"}])
    result = read_workbook(path)
    assert messages(result) == []
    lay = result.layouts["Invoices"]
    assert lay.columns["Balance"] == 5 and lay.columns["Problems"] == 7 and lay.last_column == 8
    assert lay.rows == (2,)


def test_blank_rows_and_blank_looking_cells_are_ignored(tmp_path, inline):
    path = contract_book(tmp_path / "b.xlsx", constant_memory=inline, invoices=[
        INVOICE, {}, {"Description": "   "}, {"Document": ""}, {**INVOICE, "Invoice": "INV-2"}])
    result = read_workbook(path)
    assert messages(result) == []
    assert result.layouts["Invoices"].rows == (2, 6)
    assert [i.row for i in result.book.invoices] == [2, 6]


def test_hidden_rows_are_read(tmp_path):
    rows = data_rows("Invoices", [INVOICE, {**INVOICE, "Invoice": "INV-2"}])
    path = contract_book(tmp_path / "b.xlsx", omit=["Invoices"],
                         extra=[Sheet("Invoices", rows, hidden_rows=[2])])
    assert [i.id for i in read_workbook(path).book.invoices] == ["INV-1", "INV-2"]


def test_ids_keep_their_text(tmp_path):
    path = contract_book(
        tmp_path / "b.xlsx",
        customers=[{"Customer": "001", "Name": "Zero"}, {"Customer": 7, "Name": "Seven"}],
        invoices=[{"Invoice": "0042", "Customer": "001", "Invoice Date": date(2024, 1, 1),
                   "Amount": 1},
                  {"Invoice": 43.0, "Customer": 7, "Invoice Date": date(2024, 1, 1), "Amount": 1},
                  {"Invoice": " INV 44 ", "Customer": "7", "Invoice Date": date(2024, 1, 1),
                   "Amount": 1}])
    result = read_workbook(path)
    assert messages(result) == []
    assert [(i.id, i.customer_id) for i in result.book.invoices] == [
        ("0042", "001"), ("43", "7"), ("INV 44", "7")]


@pytest.mark.parametrize("locale, text, expected", [
    ("en_US", "3/15/2024", date(2024, 3, 15)), ("en_GB", "15/03/2024", date(2024, 3, 15)),
    ("de_DE", "15.03.2024", date(2024, 3, 15)), ("fr_FR", "15/03/2024", date(2024, 3, 15)),
    ("en_US", "March 15, 2024", date(2024, 3, 15)), ("en_GB", "15-Mar-24", date(2024, 3, 15)),
    ("en_US", "2024-03-15 10:00", date(2024, 3, 15)),
])
def test_text_dates_follow_the_locale(tmp_path, locale, text, expected):
    path = contract_book(tmp_path / "b.xlsx", settings={"Locale": locale},
                         invoices=[{**INVOICE, "Invoice Date": text}])
    result = read_workbook(path)
    assert messages(result) == []
    assert result.book.invoices[0].invoice_date == expected


@pytest.mark.parametrize("locale, currency, text, expected", [
    ("en_US", "USD", "$1,200.00", D("1200.00")), ("en_US", "USD", "(45.10)", D("-45.10")),
    ("de_DE", "EUR", "1.200,50 €", D("1200.50")), ("en_GB", "GBP", "£12.5", D("12.50")),
    ("fr_FR", "EUR", "1 200,50", D("1200.50")),
])
def test_text_money(tmp_path, locale, currency, text, expected):
    path = contract_book(tmp_path / "b.xlsx", settings={"Locale": locale, "Currency": currency},
                         invoices=[{**INVOICE, "Amount": text}])
    result = read_workbook(path)
    assert messages(result) == []
    assert result.book.invoices[0].amount == expected


def test_numbers_in_date_columns_are_serials(tmp_path):
    path = contract_book(tmp_path / "b.xlsx", invoices=[{**INVOICE, "Invoice Date": 45366}])
    assert read_workbook(path).book.invoices[0].invoice_date == date(2024, 3, 15)


def test_date1904_serials(tmp_path):
    path = contract_book(tmp_path / "b.xlsx", date1904=True,
                         invoices=[{**INVOICE, "Invoice Date": date(2024, 3, 15),
                                    "Due Date": 43934}])
    inv = read_workbook(path).book.invoices[0]
    assert inv.invoice_date == date(2024, 3, 15) and inv.due_date == date(2024, 4, 14)


def test_choices_and_defaults(tmp_path):
    path = contract_book(
        tmp_path / "b.xlsx",
        customers=[{**CUSTOMER, "Channel": "EMAIL", "Late Fee Policy": "none"}],
        invoices=[{**INVOICE, "Hold": "written  off"}],
        plans=[{"Plan": "P", "Customer": "C-01", "Invoices": "INV-1", "Start Date": date(2024, 1, 1),
                "Installments": 2.0, "Frequency": "WEEKLY", "Status": "active"}])
    book = read_workbook(path).book
    assert book.customers[0].channel is model.Channel.EMAIL
    assert book.customers[0].late_fee.kind is model.FeeKind.NONE
    assert book.invoices[0].hold is model.Hold.WRITTEN_OFF
    plan = book.plans[0]
    assert (plan.frequency, plan.status, plan.installments, plan.annual_rate, plan.down_payment) == (
        model.Frequency.WEEKLY, model.PlanStatus.ACTIVE, 2, 0, D("0.00"))


def test_optional_sheets_may_be_missing_or_empty(tmp_path):
    path = contract_book(tmp_path / "b.xlsx", extra=[Sheet("Plans", [])])
    result = read_workbook(path)
    assert set(result.layouts) == {"Invoices", "Customers", "Payments"}
    assert result.book.plans == () and result.book.activities == ()
    assert result.settings_sheet is None
    assert result.book.settings == model.Settings()


def test_sheet_names_match_case_insensitively(tmp_path):
    rows = data_rows("Invoices", [INVOICE])
    path = contract_book(tmp_path / "b.xlsx", omit=["Invoices"], extra=[Sheet("INVOICES", rows)])
    result = read_workbook(path)
    assert result.layouts["Invoices"].name == "INVOICES"
    assert len(result.book.invoices) == 1


def test_an_empty_data_sheet_with_headers(tmp_path):
    path = contract_book(tmp_path / "b.xlsx", invoices=[])
    result = read_workbook(path)
    assert result.book.invoices == () and result.layouts["Invoices"].rows == ()


def test_progress_is_reported(tmp_path, monkeypatch):
    from arsheets.workbook import records

    monkeypatch.setattr(records, "PROGRESS_EVERY", 2)
    invoices = [{**INVOICE, "Invoice": f"INV-{i}"} for i in range(5)]
    path = contract_book(tmp_path / "b.xlsx", invoices=invoices)
    calls = []
    read_workbook(path, progress=lambda what, n: calls.append((what, n)))
    assert [c for c in calls if c[0] == "Reading Invoices"] == [
        ("Reading Invoices", 2), ("Reading Invoices", 4), ("Reading Invoices", 5)]
    assert ("Reading Customers", 1) in calls and ("Reading Payments", 0) in calls


def test_read_columns(tmp_path):
    path = contract_book(tmp_path / "b.xlsx", headers={"Invoices": [
        "Invoice", "Customer", "Invoice Date", "Amount", "Balance", "Status"]},
        invoices=[{**INVOICE, "Balance": 100, "Status": "Open"},
                  {**INVOICE, "Invoice": "INV-2", "Status": Formula("=1")}])
    assert read_columns(path, "invoices", [5, 6]) == {
        1: {5: "Balance", 6: "Status"}, 2: {5: D(100), 6: "Open"}, 3: {6: NO_VALUE}}
    assert read_columns(path, "Invoices", [5], start_row=2) == {2: {5: D(100)}}


class LiveSheet:
    """A non-file source: only the protocol (no typed_rows, no part)."""

    def __init__(self, name, rows):
        self.name, self._rows = name, rows
        self.part, self.tables, self.date1904, self.merged = None, [], False, ()

    @property
    def last_column(self):
        return max((max(r) for _, r in self._rows if r), default=0)

    def head(self, n):
        return [(r, dict(v)) for r, v in self._rows if r <= n]

    def rows(self, columns=None, start_row=1):
        for r, v in self._rows:
            got = {c: x for c, x in v.items() if columns is None or c in columns}
            if r >= start_row and got:
                yield r, got


class LiveBook:
    name, date1904 = "live", False

    def __init__(self, sheets):
        self.sheets = sheets

    @property
    def sheet_names(self):
        return list(self.sheets)

    def sheet(self, name):
        for k, v in self.sheets.items():
            if k.lower() == name.lower():
                return v
        return None

    def close(self):
        pass


def test_a_source_without_a_file(tmp_path):
    """The reader works against the protocol alone, as the Excel button will."""
    path = contract_book(tmp_path / "b.xlsx", invoices=[INVOICE, {**INVOICE, "Invoice": "bad",
                                                                  "Invoice Date": "abc"}],
                         payments=[{"Date": date(2024, 1, 1), "Customer": "C-01", "Amount": 5}],
                         settings={"Locale": "en_GB"})
    with XlsxBook.open(path) as book:
        sheets = {n: LiveSheet(n, list(book.sheet(n).rows())) for n in book.sheet_names}
    live = read_book(LiveBook(sheets))
    from_file = read_workbook(path)
    assert live.book == from_file.book
    assert live.problems == from_file.problems
    assert live.layouts["Invoices"].part is None and live.layouts["Invoices"].rows == (2, 3)


def test_a_workbook_saved_by_libreoffice(tmp_path):
    """A real second writer: LibreOffice recalculates on load and saves its own XML (its own styles,
    shared strings, merged cells); the reader gives the same Book, now with formula results."""
    require_libreoffice()
    src = contract_book(
        tmp_path / "src.xlsx", settings={"Locale": "en_GB", "Late Fee Policy": "Flat",
                                         "Late Fee Amount": 25},
        customers=[{**CUSTOMER, "Address": "1 Road\nTown", "Terms": 14}],
        invoices=[{**INVOICE, "Due Date": Formula("=C2+30"), "Description": "Tom & Jerry <ok>"},
                  {**INVOICE, "Invoice": "0042", "Invoice Date": "15/03/2024", "Amount": 12.345}],
        payments=[{"Date": date(2024, 4, 1), "Customer": "C-01", "Amount": 5}])
    before = read_workbook(src)
    assert [str(p) for p in before.problems] == [
        "Invoices!D2: Due Date has a formula with no saved result (open the workbook in Excel and "
        "save it)"]
    after = read_workbook(libreoffice_convert(src, tmp_path))
    assert after.problems == ()
    first, second = after.book.invoices
    assert first.due_date == date(2024, 3, 31) and first.description == "Tom & Jerry <ok>"
    assert (second.id, second.invoice_date, second.amount) == ("0042", date(2024, 3, 15),
                                                               D("12.35"))
    assert after.book.customers == before.book.customers
    assert after.book.payments == before.book.payments
    assert after.book.settings == before.book.settings
