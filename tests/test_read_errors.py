"""Every problem the reader reports, word for word: row problems (the row is left out) and structural
problems (the run stops, all of them listed)."""

from __future__ import annotations

import zipfile
from datetime import date
from decimal import Decimal

import pytest

from arsheets.errors import ArsheetsError
from arsheets.workbook.read import read_workbook

from xlsx_fixtures import (
    CUSTOMER, INVOICE, Err, Formula, Sheet, contract_book, data_rows, inline_row, raw_xlsx,
    sheet_xml, xlsx,
)

D = Decimal
C2 = {"Customer": "C-02", "Name": "Beta"}
PAY = {"Date": date(2024, 4, 1), "Customer": "C-01", "Amount": 10}
ACT = {"Date": date(2024, 4, 1), "Customer": "C-01", "Type": "Call"}
PLAN = {"Plan": "P-1", "Customer": "C-01", "Invoices": "INV-1", "Start Date": date(2024, 5, 1),
        "Installments": 3}


def problems(tmp_path, **kw) -> list[str]:
    result = read_workbook(contract_book(tmp_path / "e.xlsx", **kw))
    return [str(p) for p in result.problems]


def structural(path) -> list[str]:
    with pytest.raises(ArsheetsError) as exc:
        read_workbook(path)
    return [str(p) for p in exc.value.problems]


# --- row problems -------------------------------------------------------------------------------------

@pytest.mark.parametrize("invoice, message", [
    ({"Invoice Date": None}, "Invoices!C3: Invoice Date is blank (fill it in, or clear the row)"),
    ({"Invoice": None}, "Invoices!A3: Invoice is blank (every row needs one; fill it in, or clear "
                        "the row)"),
    ({"Invoice": "   "}, "Invoices!A3: Invoice is blank (every row needs one; fill it in, or clear "
                        "the row)"),
    ({"Invoice Date": "abc"}, "Invoices!C3: 'abc' is not a date (type it as 2024-03-31)"),
    ({"Invoice Date": "31/02/2024"}, "Invoices!C3: '31/02/2024' is not a date (type it as "
                                     "2024-03-31)"),
    ({"Invoice Date": "15/03/2024"}, "Invoices!C3: '15/03/2024' is not a date: en_US dates are "
                                     "month/day/year (type it as 2024-03-15, or set Locale in "
                                     "Settings)"),
    ({"Invoice Date": 9_999_999}, "Invoices!C3: 9999999 is not a date (type it as 2024-03-31)"),
    ({"Invoice Date": True}, "Invoices!C3: TRUE is not a date (type it as 2024-03-31)"),
    ({"Due Date": "soon"}, "Invoices!D3: 'soon' is not a date (type it as 2024-03-31)"),
    ({"Due Date": date(2024, 2, 1)}, "Invoices!D3: Due Date 2024-02-01 is before the Invoice Date "
                                     "2024-03-01 (check both dates)"),
    ({"Amount": "abc"}, "Invoices!E3: 'abc' is not an amount (type it like 1234.56)"),
    ({"Amount": "€12"}, "Invoices!E3: '€12' is in €, not the workbook currency USD (convert it to "
                        "USD, or change Currency in Settings)"),
    ({"Amount": date(2024, 1, 1)}, "Invoices!E3: 2024-01-01 is a date, not an amount (format the "
                                   "cell as a number)"),
    ({"Amount": 0}, "Invoices!E3: Amount is 0 (type the invoice amount, or clear the row)"),
    ({"Amount": "0.001"}, "Invoices!E3: Amount is 0 (type the invoice amount, or clear the row)"),
    ({"Amount": Formula("=B1*2")}, "Invoices!E3: Amount has a formula with no saved result (open "
                                   "the workbook in Excel and save it)"),
    ({"Amount": Err("#N/A")}, "Invoices!E3: Amount is #N/A (fix the formula, or type the value)"),
    ({"Notes": Err("#REF!")}, "Invoices!H3: Notes is #REF! (fix the formula, or type the value)"),
    ({"Hold": "Disputd"}, "Invoices!I3: 'Disputd' is not a Hold (use one of Disputed, On hold, "
                          "Written off, Agency, or leave it blank)"),
    ({"Invoice": "INV-1"}, "Invoices!A3: invoice 'INV-1' is already on row 2 (give each invoice "
                           "its own number)"),
    ({"Customer": "C-99"}, "Invoices!B3: no customer 'C-99' on Customers (add it to Customers, or "
                           "fix the id)"),
    ({"Customer": "c 01"}, "Invoices!B3: no customer 'c 01' on Customers (add it to Customers, or "
                           "fix the id)"),
    ({"Customer": "c-01"}, "Invoices!B3: no customer 'c-01' on Customers (did you mean 'C-01'?)"),
    ({"Customer": " C - 01"}, "Invoices!B3: no customer 'C - 01' on Customers (did you mean "
                              "'C-01'?)"),
])
def test_invoice_row_problems(tmp_path, invoice, message):
    bad = {**INVOICE, "Invoice": "INV-2", **invoice}
    assert problems(tmp_path, invoices=[INVOICE, bad]) == [message]


def test_a_row_with_problems_is_left_out_and_every_problem_is_listed(tmp_path):
    bad = {"Invoice": "INV-2", "Customer": "nobody", "Invoice Date": "abc", "Amount": "x",
           "Hold": "maybe"}
    result = read_workbook(contract_book(tmp_path / "e.xlsx", invoices=[INVOICE, bad]))
    assert [i.id for i in result.book.invoices] == ["INV-1"]
    assert [str(p) for p in result.problems] == [
        "Invoices!B3: no customer 'nobody' on Customers (add it to Customers, or fix the id)",
        "Invoices!C3: 'abc' is not a date (type it as 2024-03-31)",
        "Invoices!E3: 'x' is not an amount (type it like 1234.56)",
        "Invoices!I3: 'maybe' is not a Hold (use one of Disputed, On hold, Written off, Agency, or "
        "leave it blank)",
    ]
    assert result.layouts["Invoices"].rows == (2, 3)
    assert result.problems[0].as_dict() == {
        "where": "Invoices!B3", "sheet": "Invoices", "row": 3, "column": "B",
        "message": "no customer 'nobody' on Customers",
        "hint": "add it to Customers, or fix the id"}


def test_the_first_of_duplicates_wins_even_with_a_problem(tmp_path):
    result = read_workbook(contract_book(tmp_path / "e.xlsx", invoices=[
        {**INVOICE, "Amount": "x"}, INVOICE]))
    assert result.book.invoices == ()
    assert [str(p) for p in result.problems] == [
        "Invoices!E2: 'x' is not an amount (type it like 1234.56)",
        "Invoices!A3: invoice 'INV-1' is already on row 2 (give each invoice its own number)"]


@pytest.mark.parametrize("customer, message", [
    ({"Name": None}, "Customers!B3: Name is blank (fill it in, or clear the row)"),
    ({"Customer": "C-01"}, "Customers!A3: customer 'C-01' is already on row 2 (give each customer "
                           "its own id)"),
    ({"Terms": "30 days"}, "Customers!H3: '30 days' is not a whole number (type it like 30)"),
    ({"Terms": 30.5}, "Customers!H3: 30.5 is not a whole number (type it like 30)"),
    ({"Terms": -1}, "Customers!H3: -1 cannot be negative"),
    ({"Credit Limit": -5}, "Customers!I3: Credit Limit -5.00 cannot be negative (leave it blank "
                           "for no limit)"),
    ({"Late Fee Policy": "Flat"}, "Customers!J3: 'Flat' needs an amount (type it like Flat 25, or "
                                  "set Late Fee Amount in Settings)"),
    ({"Channel": "Fax"}, "Customers!K3: 'Fax' is not a Channel (use one of Email, Mail, or leave "
                         "it blank)"),
    ({"Locale": "klingon"}, "Customers!L3: 'klingon' is not a locale (type one like en_US, en_GB, "
                            "de_DE or fr_FR, or leave it blank)"),
])
def test_customer_row_problems(tmp_path, customer, message):
    assert problems(tmp_path, customers=[CUSTOMER, {**C2, **customer}]) == [message]


def test_rows_naming_a_left_out_customer_are_left_out_too(tmp_path):
    result = read_workbook(contract_book(
        tmp_path / "e.xlsx", customers=[{**CUSTOMER, "Terms": "x"}],
        invoices=[INVOICE], payments=[PAY], activity=[ACT], plans=[PLAN]))
    assert result.book == type(result.book)(result.book.settings)
    assert [str(p) for p in result.problems] == [
        "Invoices!B2: customer 'C-01' is left out until Customers row 2 is fixed (fix that row "
        "first)",
        "Customers!H2: 'x' is not a whole number (type it like 30)",
        "Payments!B2: customer 'C-01' is left out until Customers row 2 is fixed (fix that row "
        "first)",
        "Activity!B2: customer 'C-01' is left out until Customers row 2 is fixed (fix that row "
        "first)",
        "Plans!B2: customer 'C-01' is left out until Customers row 2 is fixed (fix that row first)",
        "Plans!C2: invoice 'INV-1' is left out until Invoices row 2 is fixed (fix that row first)",
    ]


MEANWHILE = "; meanwhile the payment is applied to the oldest invoices)"


@pytest.mark.parametrize("payment, message", [
    ({"Amount": 0}, "Payments!D2: Amount 0.00 is not more than 0 (payments must be positive; to "
                    "undo a payment, clear its row)"),
    ({"Amount": -5}, "Payments!D2: Amount -5.00 is not more than 0 (payments must be positive; to "
                     "undo a payment, clear its row)"),
    ({"Date": None}, "Payments!A2: Date is blank (fill it in, or clear the row)"),
    ({"Customer": "C-9"}, "Payments!B2: no customer 'C-9' on Customers (add it to Customers, or "
                          "fix the id)"),
    ({"Invoice": "INV-9"}, "Payments!C2: no invoice or plan 'INV-9' (fix the number, or leave it "
                           "blank" + MEANWHILE),
    ({"Invoice": "inv-1"}, "Payments!C2: no invoice or plan 'inv-1' (did you mean 'INV-1'?"
                           + MEANWHILE),
    ({"Invoice": "p-1"}, "Payments!C2: no invoice or plan 'p-1' (did you mean 'P-1'?" + MEANWHILE),
    ({"Invoice": "INV-2"}, "Payments!C2: invoice 'INV-2' belongs to customer 'C-02', not 'C-01' "
                           "(check the customer or the number" + MEANWHILE),
    ({"Invoice": "INV-3"}, "Payments!C2: invoice 'INV-3' is left out until Invoices row 4 is "
                           "fixed (fix that row first" + MEANWHILE),
    ({"Invoice": "P-2"}, "Payments!C2: plan 'P-2' belongs to customer 'C-02', not 'C-01' (check "
                         "the customer or the number" + MEANWHILE),
])
def test_payment_row_problems(tmp_path, payment, message):
    found = problems(tmp_path, customers=[CUSTOMER, C2],
                     invoices=[INVOICE, {**INVOICE, "Invoice": "INV-2", "Customer": "C-02"},
                               {**INVOICE, "Invoice": "INV-3", "Amount": "x"}],
                     plans=[PLAN, {**PLAN, "Plan": "P-2", "Customer": "C-02", "Invoices": "INV-2"}],
                     payments=[{**PAY, **payment}])
    assert found == ["Invoices!E4: 'x' is not an amount (type it like 1234.56)", message]


@pytest.mark.parametrize("target", ["INV-9", "INV-2", "INV-3", "P-2"])
def test_a_payment_naming_the_wrong_invoice_still_counts(tmp_path, target):
    """Money received is a fact; the reference is a hint. The payment stays in the book, placed
    oldest first, so the customer's balance is not overstated while the reference is wrong."""
    path = contract_book(tmp_path / "book.xlsx", customers=[CUSTOMER, C2],
                         invoices=[INVOICE, {**INVOICE, "Invoice": "INV-2", "Customer": "C-02"},
                                   {**INVOICE, "Invoice": "INV-3", "Amount": "x"}],
                         plans=[PLAN, {**PLAN, "Plan": "P-2", "Customer": "C-02",
                                       "Invoices": "INV-2"}],
                         payments=[{**PAY, "Invoice": target}])
    read = read_workbook(path)
    (payment,) = read.book.payments
    assert payment.target is None and payment.row == 2
    assert any(str(p).startswith("Payments!C2:") for p in read.problems)


def test_a_payment_naming_a_left_out_plan(tmp_path):
    assert problems(tmp_path, plans=[{**PLAN, "Installments": "x"}],
                    payments=[{**PAY, "Invoice": "P-1"}]) == [
        "Payments!C2: plan 'P-1' is left out until Plans row 2 is fixed (fix that row first"
        + MEANWHILE,
        "Plans!F2: 'x' is not a whole number (type it like 30)"]


def test_payments_may_name_a_plan(tmp_path):
    result = read_workbook(contract_book(tmp_path / "e.xlsx", plans=[PLAN],
                                         payments=[{**PAY, "Invoice": "P-1"}]))
    assert result.problems == () and result.book.payments[0].target == "P-1"


@pytest.mark.parametrize("activity, message", [
    ({"Type": "Fax"}, "Activity!D2: 'Fax' is not a Type (use one of Letter, Email, Call, Note, "
                      "Promise, Plan, Agency, Write-off)"),
    ({"Type": None}, "Activity!D2: Type is blank (fill it in, or clear the row)"),
    ({"Customer": "X"}, "Activity!B2: no customer 'X' on Customers (add it to Customers, or fix "
                        "the id)"),
    ({"Promise Amount": -1}, "Activity!H2: Promise Amount -1.00 cannot be negative"),
    ({"Promise Date": "tomorrow"}, "Activity!G2: 'tomorrow' is not a date (type it as "
                                   "2024-03-31)"),
])
def test_activity_row_problems(tmp_path, activity, message):
    assert problems(tmp_path, activity=[{**ACT, **activity}]) == [message]


@pytest.mark.parametrize("plan, message", [
    ({"Invoices": "INV-9"}, "Plans!C3: no invoice 'INV-9' (fix the number)"),
    ({"Invoices": "INV-1, INV-2"}, "Plans!C3: no invoice 'INV-1, INV-2' (separate invoices with "
                                   "';')"),
    ({"Invoices": "INV-1; inv-2"}, "Plans!C3: no invoice 'inv-2' (did you mean 'INV-2'?)"),
    ({"Invoices": "INV-3"}, "Plans!C3: invoice 'INV-3' belongs to customer 'C-02', not 'C-01' "
                            "(check the customer or the number)"),
    ({"Invoices": None}, "Plans!C3: Invoices is blank (fill it in, or clear the row)"),
    ({"Plan": "P-1"}, "Plans!A3: plan 'P-1' is already on row 2 (give each plan its own id)"),
    ({"Installments": 0}, "Plans!F3: Installments is 0 (a plan needs at least 1)"),
    ({"Installments": 2.5}, "Plans!F3: 2.5 is not a whole number (type it like 30)"),
    ({"Down Payment": -1}, "Plans!E3: Down Payment -1.00 cannot be negative"),
    ({"Annual Rate": "-5%"}, "Plans!H3: '-5%' cannot be negative"),
    ({"Annual Rate": "lots"}, "Plans!H3: 'lots' is not a rate; type it like 5% or 1.5%"),
    ({"Frequency": "Daily"}, "Plans!G3: 'Daily' is not a Frequency (use one of Monthly, Every 2 "
                             "weeks, Weekly, or leave it blank)"),
    ({"Status": "Done"}, "Plans!J3: 'Done' is not a Status (use one of Proposed, Signed, Active, "
                         "Completed, Defaulted, Cancelled, or leave it blank)"),
    ({"First Due": date(2024, 4, 1)}, "Plans!I3: First Due 2024-04-01 is before the Start Date "
                                      "2024-05-01 (check both dates)"),
])
def test_plan_row_problems(tmp_path, plan, message):
    found = problems(tmp_path, customers=[CUSTOMER, C2],
                     invoices=[INVOICE, {**INVOICE, "Invoice": "INV-2"},
                               {**INVOICE, "Invoice": "INV-3", "Customer": "C-02"}],
                     plans=[PLAN, {**PLAN, "Plan": "P-2", "Invoices": "INV-2", **plan}])
    assert found == [message]


def test_merged_cells(tmp_path):
    rows = data_rows("Invoices", [INVOICE, {**INVOICE, "Invoice": "INV-2"},
                                  {**INVOICE, "Invoice": "INV-3", "Description": "wide"}])
    sheet = Sheet("Invoices", rows, merges=["C2:C3", "F4:H4"])
    result = read_workbook(contract_book(tmp_path / "e.xlsx", omit=["Invoices"], extra=[sheet]))
    assert [str(p) for p in result.problems] == [
        "Invoices!C3: Invoice Date is merged with C2 (unmerge the cells so each row has its own "
        "value)",
        "Invoices!G4: PO is merged with F4 (unmerge the cells so each row has its own value)",
        "Invoices!H4: Notes is merged with F4 (unmerge the cells so each row has its own value)",
    ]
    assert [i.id for i in result.book.invoices] == ["INV-1"]


def test_problems_use_the_bookkeepers_header_and_sheet_names(tmp_path):
    path = contract_book(
        tmp_path / "e.xlsx", omit=["Invoices"],
        extra=[Sheet("invoices", data_rows("Invoices", [{"Invoice": "A", "Customer": "C-01",
                                                         "Amount": 5}],
                                           ["Invoice", "Customer", "Date Issued", "Amount"]))],
        columns=[("Invoices", "Date Issued", "Invoice Date")])
    assert [str(p) for p in read_workbook(path).problems] == [
        "invoices!C2: Date Issued is blank (fill it in, or clear the row)"]


def test_a_raw_inline_workbook(tmp_path):
    sheets = {"Customers": sheet_xml(inline_row(1, ["Customer", "Name"]) + inline_row(2, ["C", None])),
              "Invoices": sheet_xml(inline_row(1, ["Invoice", "Customer", "Invoice Date", "Amount"])),
              "Payments": sheet_xml(inline_row(1, ["Date", "Customer", "Amount"]))}
    result = read_workbook(raw_xlsx(tmp_path / "r.xlsx", sheets))
    assert [str(p) for p in result.problems] == [
        "Customers!B2: Name is blank (fill it in, or clear the row)"]


# --- structural problems --------------------------------------------------------------------------------


def test_missing_required_sheets_are_all_reported(tmp_path):
    path = xlsx(tmp_path / "e.xlsx", [Sheet("Sheet1", [["hello"]])])
    assert structural(path) == [
        "workbook: no 'Invoices' sheet (add it, or see arsheets init for a ready-made workbook)",
        "workbook: no 'Customers' sheet (add it, or see arsheets init for a ready-made workbook)",
        "workbook: no 'Payments' sheet (add it, or see arsheets init for a ready-made workbook)",
    ]


def test_an_empty_workbook(tmp_path):
    path = raw_xlsx(tmp_path / "e.xlsx", {})
    assert len(structural(path)) == 3


def test_missing_required_headers(tmp_path):
    path = contract_book(tmp_path / "e.xlsx",
                         headers={"Invoices": ["Invoice", "Customer", "Amount"],
                                  "Payments": ["Date", "Amount"]},
                         invoices=[{"Invoice": "A", "Customer": "C-01", "Amount": 1}])
    assert structural(path) == [
        "Invoices: no 'Invoice Date' column in the header row 1 (add it, or map your header in "
        "Settings' Columns table)",
        "Payments: no 'Customer' column in the header row 1 (add it, or map your header in "
        "Settings' Columns table)",
    ]


def test_missing_header_with_a_stale_mapping(tmp_path):
    path = contract_book(tmp_path / "e.xlsx", headers={"Invoices": ["Invoice", "Customer", "Amount"]},
                         invoices=[{"Invoice": "A", "Customer": "C-01", "Amount": 1}],
                         columns=[("Invoices", "Issued", "Invoice Date")])
    assert structural(path) == [
        "Invoices: no 'Invoice Date' column in the header row 1 (Settings' Columns table maps "
        "'Issued' to it, but row 1 has no 'Issued'; fix the header or the Columns table)"]


def test_duplicate_headers(tmp_path):
    path = contract_book(
        tmp_path / "e.xlsx",
        headers={"Invoices": ["Invoice", "Customer", "Invoice Date", "Amount", "amount "],
                 "Customers": ["Customer", "Name", "Client", "Cust"]},
        invoices=[], customers=[],
        columns=[("Customers", "Client", "Customer"), ("Customers", "Cust", "Name")])
    assert structural(path) == [
        "Invoices!E1: 'amount' is also in column D (rename or remove one of them)",
    ]
    path = contract_book(
        tmp_path / "e2.xlsx", headers={"Customers": ["Customer", "Name", "Client", "Buyer"]},
        customers=[], columns=[("Customers", "Client", "Customer"), ("Customers", "Buyer", "Name")])
    assert read_workbook(path).layouts["Customers"].columns == {"Customer": 3, "Name": 4}


def test_two_headers_mapped_to_one_column(tmp_path):
    path = contract_book(tmp_path / "e.xlsx",
                         headers={"Invoices": ["Invoice", "Customer", "Invoice Date", "Amount",
                                               "Total", "TOTAL"]},
                         invoices=[], columns=[("Invoices", "Total", "Amount")])
    assert structural(path) == [
        "Invoices!F1: 'TOTAL' is also in column E (rename or remove one of them)"]


def test_an_empty_required_sheet(tmp_path):
    path = contract_book(tmp_path / "e.xlsx", omit=["Payments"], extra=[Sheet("Payments", [])])
    assert structural(path) == [
        "Payments: the sheet is empty (add a header row with Date, Customer, Amount, or see "
        "arsheets init)"]


def test_no_header_row_in_the_first_30_rows(tmp_path):
    rows = [["notes"]] * 3 + [[None]] * 30 + data_rows("Payments", [PAY])
    path = contract_book(tmp_path / "e.xlsx", omit=["Payments"], extra=[Sheet("Payments", rows)])
    assert structural(path) == [
        "Payments: has no header row in its first 30 rows (put the headers Date, Customer, Amount "
        "in one row above the data)"]


def test_an_optional_sheet_with_bad_headers_stops_the_run(tmp_path):
    path = contract_book(tmp_path / "e.xlsx", extra=[Sheet("Plans", [["Plan", "Customer"]])])
    assert structural(path) == [
        "Plans: no 'Invoices' column in the header row 1 (add it, or map your header in Settings' "
        "Columns table)",
        "Plans: no 'Start Date' column in the header row 1 (add it, or map your header in "
        "Settings' Columns table)",
        "Plans: no 'Installments' column in the header row 1 (add it, or map your header in "
        "Settings' Columns table)",
    ]


def test_doctype_in_a_sheet_stops_the_run(tmp_path):
    sheets = {"Invoices": sheet_xml(inline_row(1, ["Invoice"]), doctype="<!DOCTYPE x>"),
              "Customers": sheet_xml(""), "Payments": sheet_xml("")}
    path = raw_xlsx(tmp_path / "d.xlsx", sheets)
    assert structural(path) == [
        "workbook: d.xlsx: part xl/worksheets/sheet1.xml declares a DOCTYPE; refusing to read it "
        "(XML entity tricks) (open it in Excel and save it again)"]


# --- files that are not workbooks (package.py's messages) ---------------------------------------------


def test_an_old_xls_file(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    assert structural(path) == [
        "workbook: old.xls: is an old-style .xls workbook or a password-protected one (open it in "
        "Excel, remove any password, and Save As Excel Workbook (.xlsx))"]


def test_a_csv_file(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("Invoice,Customer\nINV-1,C-01\n")
    assert structural(path) == [
        "workbook: data.csv: is a text file, not an Excel workbook (open it in Excel and Save As "
        "Excel Workbook (.xlsx))"]


def test_a_corrupt_zip(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip")
    assert structural(path) == [
        "workbook: broken.xlsx: is damaged: it is not a valid .xlsx package (restore it from a "
        "backup, or open it in Excel to repair it)"]


def test_a_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "docs.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
    assert structural(path) == [
        "workbook: docs.xlsx: is a zip file but not an Excel workbook (it has no xl/workbook.xml) "
        "(arsheets reads .xlsx and .xlsm files saved by Excel or LibreOffice)"]


def test_not_a_workbook_at_all(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    assert structural(path) == [
        "workbook: notes.txt: is a text file, not an Excel workbook (open it in Excel and Save As "
        "Excel Workbook (.xlsx))"]
    path = tmp_path / "picture.png"
    path.write_bytes(b"\x89PNG\r\n")
    assert structural(path) == [
        "workbook: picture.png: is not an Excel workbook (arsheets reads .xlsx and .xlsm files)"]


def test_a_missing_file_and_a_folder(tmp_path):
    assert structural(tmp_path / "nope.xlsx") == ["workbook: nope.xlsx: does not exist"]
    (tmp_path / "dir.xlsx").mkdir()
    assert structural(tmp_path / "dir.xlsx") == ["workbook: dir.xlsx: is a folder, not a workbook"]


def test_a_sheet_whose_part_is_missing(tmp_path):
    path = raw_xlsx(tmp_path / "m.xlsx", {"Invoices": sheet_xml(""), "Customers": sheet_xml(""),
                                          "Payments": sheet_xml("")})
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist() if n != "xl/worksheets/sheet1.xml"}
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in parts.items():
            zf.writestr(n, data)
    assert structural(path) == [
        "Invoices: m.xlsx: is damaged: sheet 'Invoices' has no part xl/worksheets/sheet1.xml (open "
        "it in Excel to repair it)"]


def test_read_columns_of_a_missing_sheet(tmp_path):
    from arsheets.workbook.read import read_columns

    with pytest.raises(ArsheetsError) as exc:
        read_columns(contract_book(tmp_path / "e.xlsx"), "Nope", [1])
    assert str(exc.value) == "workbook: no 'Nope' sheet"
