"""The corpus of bad workbooks, run through the real command line.

One table: each case is a workbook built here (or a file that is not one), and for ``check`` and
``refresh`` the exit code (0 clean, 1 row problems, 2 nothing written) and what the output must say.
Where nothing may be written (``check`` always; ``refresh`` when it stops) the file is unchanged
byte for byte and nothing is added beside it. Where ``refresh`` writes, the file still reads back,
and every row problem it reported is in that row's Problems cell. A case may add its own checks of
what was written (``then``).

Decisions recorded here: a payment larger than everything the customer owes is a prepayment, kept
as an Unapplied credit (not an error); a negative invoice is a credit note; hidden rows are read.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from arsheets.cli import main
from arsheets.workbook.read import read_workbook
from xlsx_fixtures import (CUSTOMER, INVOICE, Formula, Sheet, contract_book, data_rows, raw_xlsx,
                           xlsx)

AS_OF = "2024-06-01"
PAY = {"Date": date(2024, 3, 5), "Customer": "C-01", "Amount": 40}


def inv(n: int, **kw) -> dict:
    return {**INVOICE, "Invoice": f"INV-{n}", **kw}


# --- reading back what refresh wrote -----------------------------------------------------------

def table(path: Path, sheet: str) -> list[dict[str, object]]:
    """A refreshed sheet's rows below its header row (the row with 'Problems'), by header."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(
        skip_empty_area=False)
    head = next(i for i, r in enumerate(rows) if "Problems" in r)
    return [dict(zip(rows[head], r)) for r in rows[head + 1:]
            if any(v not in ("", None) for v in r)]


def column(path: Path, sheet: str, header: str) -> list[object]:
    return [r.get(header) for r in table(path, sheet)]


# --- the cases -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    build: Callable[[Path], Path]  # makes the file in the folder given; returns its path
    check: tuple[int, tuple[str, ...]]  # exit code, fragments of the output
    refresh: tuple[int, tuple[str, ...]]
    then: Callable[[Path], None] | None = None  # more checks of the refreshed file


def book(name: str = "book.xlsx", **kw) -> Callable[[Path], Path]:
    return lambda folder: contract_book(folder / name, **kw)


def raw(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        (folder / name).write_bytes(data)
        return folder / name
    return make


def truncated(folder: Path) -> Path:
    path = contract_book(folder / "copy.xlsx")
    path.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2])
    return path


def document_zip(folder: Path) -> Path:
    path = folder / "letter.xlsx"  # a Word document renamed
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<document/>")
    return path


def merged(folder: Path) -> Path:
    """Merged cells across the data rows (Excel allows no merge inside an Excel table)."""
    rows = data_rows("Invoices", [inv(1), inv(2), inv(3, Description="wide")])
    return contract_book(folder / "book.xlsx", omit=["Invoices"],
                         extra=[Sheet("Invoices", rows, merges=["C3:C4"])])


def hidden(folder: Path) -> Path:
    rows = data_rows("Invoices", [inv(1), inv(2, Amount=250)])
    return contract_book(folder / "book.xlsx", omit=["Invoices"],
                         extra=[Sheet("Invoices", rows, hidden_rows=[3])])


def moved(folder: Path) -> Path:
    """Headers in another order, with the bookkeeper's own column in between, under a title."""
    heads = ["Notes", "Amount", "Mine", "Customer", "Invoice Date", "Invoice"]
    rows = [["Receivables 2024"], [], *data_rows("Invoices", [inv(1, Amount=120)], heads)]
    rows[3][2] = "keep me"
    return contract_book(folder / "book.xlsx", omit=["Invoices"], extra=[Sheet("Invoices", rows)])


RENAMED = ["Inv No", "Client", "Issued", "Total"]


def renamed(mapped: bool) -> Callable[[Path], Path]:
    columns = [("Invoices", "Inv No", "Invoice"), ("Invoices", "Client", "Customer"),
               ("Invoices", "Issued", "Invoice Date"), ("Invoices", "Total", "Amount")]
    rows = [RENAMED, ["INV-1", "C-01", date(2024, 3, 1), "abc"]]
    return lambda folder: contract_book(folder / "book.xlsx", omit=["Invoices"],
                                        extra=[Sheet("Invoices", rows)],
                                        columns=columns if mapped else None)


def extra_sheets(folder: Path) -> Path:
    return contract_book(folder / "book.xlsx", extra=[
        Sheet("My notes", [["call Acme on Monday"], [Formula("=1+1", 2)]]),
        Sheet("Pivot", [["Customer", "Total"], ["C-01", 100]], table=True)])


def empty_sheets(folder: Path) -> Path:
    return xlsx(folder / "book.xlsx", [Sheet(n, []) for n in ("Invoices", "Customers",
                                                               "Payments")])


# the checks of what refresh wrote ---------------------------------------------------------------

def accepted_text_dates(path: Path) -> None:
    assert column(path, "Invoices", "Days Overdue") == [62.0] * 5  # due 2024-03-31 for all


def accepted_money(path: Path) -> None:
    amounts = [i.amount for i in read_workbook(path).book.invoices]
    assert amounts == [Decimal("1234.50")] * 3 + [Decimal("-100.00")]
    # the credit note is applied to the oldest invoice
    assert column(path, "Invoices", "Balance") == [1134.5, 1234.5, 1234.5, 0]


def prepayment(path: Path) -> None:
    (payment,) = table(path, "Payments")
    assert payment["Applied To"] == "INV-1 100.00"
    assert payment["Unapplied"] == 400 and payment["Problems"] in ("", None)
    assert column(path, "Invoices", "Status") == ["Paid"]
    assert column(path, "Customers", "Balance") == [-400]


def hidden_read(path: Path) -> None:
    assert column(path, "Invoices", "Balance") == [100, 250]


def moved_written(path: Path) -> None:
    (row,) = table(path, "Invoices")
    assert row["Mine"] == "keep me" and row["Balance"] == 120 and row["Amount"] == 120


def renamed_problem(path: Path) -> None:
    assert column(path, "Invoices", "Problems") == [
        "Invoices!D2: 'abc' is not an amount (type it like 1234.56)"]


def extra_sheets_copied(path: Path) -> None:
    with zipfile.ZipFile(path) as zf:
        assert b"call Acme on Monday" in zf.read("xl/sharedStrings.xml")
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("My notes").to_python()
    assert rows == [["call Acme on Monday"], [2.0]]


def credit_note(path: Path) -> None:
    assert column(path, "Invoices", "Status") == ["Credit"]


CASES: dict[str, Case] = {
    # dates typed as text: the locale's order, ISO, and month names are dates; others are not
    "text dates accepted": Case(
        book(invoices=[inv(1, **{"Invoice Date": "2024-03-01"}),
                       inv(2, **{"Invoice Date": "03/01/2024"}),
                       inv(3, **{"Invoice Date": "1 March 2024"}),
                       inv(4, **{"Invoice Date": "March 1, 2024"}),
                       inv(5, **{"Invoice Date": "1-Mar-24"})]),
        (0, ("5 invoices", "No problems found.")), (0, ("Refreshed",)), accepted_text_dates),
    "text dates rejected": Case(
        book(invoices=[inv(1), inv(2, **{"Invoice Date": "31/02/2024"}),
                       inv(3, **{"Invoice Date": "2024-13-45"}),
                       inv(4, **{"Due Date": "next week"})]),
        (1, ("Invoices!C3: '31/02/2024' is not a date (type it as 2024-03-31)",
             "Invoices!C4: '2024-13-45' is not a date",
             "Invoices!D5: 'next week' is not a date")), (1, ("Invoices!C3: '31/02/2024'",))),
    # money typed as text: symbols of the workbook's currency and thousands separators are fine
    "money as text accepted": Case(
        book(invoices=[inv(1, Amount="$1,234.50"), inv(2, Amount="USD 1,234.50"),
                       inv(3, Amount=" 1 234.50 "), inv(4, Amount="(100.00)")]),
        (0, ("4 invoices", "No problems found.")), (0, ("Refreshed",)), accepted_money),
    "money as text rejected": Case(
        book(invoices=[inv(1), inv(2, Amount="€12"), inv(3, Amount="1.234,50"),
                       inv(4, Amount="12 dollars")]),
        (1, ("Invoices!E3: '€12' is in €, not the workbook currency USD",
             "Invoices!E4: '1.234,50' could be read more than one way",
             "Invoices!E5: '12 dollars' is not an amount")), (1, ("Invoices!E3: '€12'",))),
    "blank ids": Case(
        book(customers=[CUSTOMER, {"Name": "No Id Ltd"}],
             invoices=[inv(1), {**inv(2), "Invoice": None}]),
        (1, ("Invoices!A3: Invoice is blank", "Customers!A3: Customer is blank")),
        (1, ("Invoices!A3: Invoice is blank",))),
    "duplicate ids": Case(
        book(customers=[CUSTOMER, CUSTOMER], invoices=[inv(1), inv(1)]),
        (1, ("Invoices!A3: invoice 'INV-1' is already on row 2",
             "Customers!A3: customer 'C-01' is already on row 2")), (1, ("already on row 2",))),
    "unknown customers": Case(
        book(invoices=[inv(1), inv(2, Customer="C-99")],
             payments=[{**PAY, "Customer": "ACME"}]),
        (1, ("Invoices!B3: no customer 'C-99' on Customers",
             "Payments!B2: no customer 'ACME' on Customers")), (1, ("no customer 'C-99'",))),
    "zero and negative amounts": Case(
        book(customers=[{**CUSTOMER, "Terms": -30, "Credit Limit": -1}],
             invoices=[inv(1, Amount=0)],
             payments=[PAY, {**PAY, "Amount": -5}, {**PAY, "Amount": 0}]),
        (1, ("Customers!H2: -30 cannot be negative",
             "Customers!I2: Credit Limit -1.00 cannot be negative",
             "Invoices!E2: Amount is 0", "Payments!D3: Amount -5.00 is not more than 0",
             "Payments!D4: Amount 0.00 is not more than 0")), (1, ("Amount is 0",))),
    "negative invoice is a credit note": Case(
        book(invoices=[inv(1, Amount=-50)]), (0, ("No problems found.",)), (0, ("Refreshed",)),
        credit_note),
    "due date before invoice date": Case(
        book(invoices=[inv(1, **{"Due Date": date(2024, 2, 1)})]),
        (1, ("Invoices!D2: Due Date 2024-02-01 is before the Invoice Date 2024-03-01",)),
        (1, ("Invoices!D2: Due Date 2024-02-01",))),
    "payment larger than every invoice is a prepayment": Case(
        book(payments=[{**PAY, "Amount": 500}]), (0, ("No problems found.",)),
        (0, ("Refreshed",)), prepayment),
    "merged cells in the table": Case(
        merged, (1, ("Invoices!C4: Invoice Date is merged with C3 (unmerge the cells",)),
        (1, ("Invoices!C4: Invoice Date is merged with C3",))),
    "hidden rows are read": Case(hidden, (0, ("2 invoices",)), (0, ("Refreshed",)), hidden_read),
    "headers renamed through the Columns table": Case(
        renamed(mapped=True), (1, ("Invoices!D2: 'abc' is not an amount",)),
        (1, ("Invoices!D2: 'abc' is not an amount",)), renamed_problem),
    "headers renamed without the Columns table": Case(
        renamed(mapped=False),
        (2, ("Invoices: has no header row in its first 30 rows (put the headers Invoice, "
             "Customer, Invoice Date, Amount in one row above the data)",)),
        (2, ("Invoices: has no header row in its first 30 rows",))),
    "headers moved, below a title, around a column of the bookkeeper's": Case(
        moved, (0, ("1 invoice,", "No problems found.")), (0, ("Refreshed",)), moved_written),
    "headers missing": Case(
        book(headers={"Invoices": ["Invoice", "Amount"], "Customers": ["Customer"]},
             customers=[{"Customer": "C-01"}], invoices=[{"Invoice": "A", "Amount": 1}]),
        (2, ("Invoices: no 'Customer' column", "Invoices: no 'Invoice Date' column",
             "Customers: no 'Name' column")), (2, ("Customers: no 'Name' column",))),
    "extra sheets are left alone": Case(
        extra_sheets, (0, ("No problems found.",)), (0, ("Refreshed",)), extra_sheets_copied),
    "a formula with no saved result": Case(
        book(invoices=[inv(1), inv(2, Amount=Formula("=B1*2"))]),
        (1, ("Invoices!E3: Amount has a formula with no saved result (open the workbook in Excel "
             "and save it)",)), (1, ("has a formula with no saved result",))),
    "an empty workbook": Case(
        lambda folder: raw_xlsx(folder / "empty.xlsx", {}),
        (2, ("workbook: no 'Invoices' sheet", "workbook: no 'Payments' sheet")),
        (2, ("workbook: no 'Customers' sheet",))),
    "empty sheets": Case(
        empty_sheets, (2, ("Invoices: the sheet is empty",)),
        (2, ("Payments: the sheet is empty",))),
    "a .xls workbook": Case(
        raw("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1000)),
        (2, ("old.xls: is an old-style .xls workbook or a password-protected one",)),
        (2, ("Save As Excel Workbook (.xlsx)",))),
    "a .csv file": Case(
        raw("export.csv", b"Invoice,Customer,Amount\nINV-1,C-01,100\n"),
        (2, ("export.csv: is a text file, not an Excel workbook",)), (2, ("is a text file",))),
    "a corrupt zip": Case(
        raw("book.xlsx", b"PK\x03\x04" + bytes(range(256)) * 4),
        (2, ("book.xlsx: is damaged: it is not a valid .xlsx package",)), (2, ("is damaged",))),
    "a copy cut short": Case(
        truncated, (2, ("copy.xlsx: is damaged",)), (2, ("copy.xlsx: is damaged",))),
    "not a workbook at all": Case(
        raw("photo.jpg", b"\xff\xd8\xff\xe0" + bytes(500)),
        (2, ("photo.jpg: is not an Excel workbook (arsheets reads .xlsx and .xlsm files)",)),
        (2, ("photo.jpg: is not an Excel workbook",))),
    "text named .xlsx": Case(
        raw("notes.xlsx", b"just some notes\n"),
        (2, ("notes.xlsx: is damaged: it is not a valid .xlsx package",)), (2, ("is damaged",))),
    "a Word document named .xlsx": Case(
        document_zip, (2, ("letter.xlsx: is a zip file but not an Excel workbook",)),
        (2, ("is a zip file but not an Excel workbook",))),
}


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def folder_state(folder: Path) -> list[tuple[str, bytes]]:
    return sorted((str(p.relative_to(folder)), p.read_bytes() if p.is_file() else b"")
                  for p in folder.rglob("*"))


TABLE = [(name, command, *getattr(case, command)) for name, case in CASES.items()
         for command in ("check", "refresh")]


@pytest.mark.parametrize("name, command, exit_code, fragments", TABLE,
                         ids=[f"{t[0]}-{t[1]}" for t in TABLE])
def test_bad_workbook(tmp_path, name, command, exit_code, fragments):
    case = CASES[name]
    path = case.build(tmp_path)
    before = folder_state(tmp_path)
    result = run(command, path, "--as-of", AS_OF)
    said = result.stdout + result.stderr
    assert result.exit_code == exit_code, said
    for fragment in fragments:
        assert fragment in said
    if command == "check" or exit_code == 2:
        assert folder_state(tmp_path) == before, "nothing may be written"
        if exit_code == 2:
            assert said.rstrip().endswith("Nothing was written.")
        return
    # refresh wrote: the file reads back, with the same problems, each in its row's Problems cell
    again = run("check", path, "--as-of", AS_OF)
    assert again.exit_code == exit_code, again.stdout
    problems = [line.strip() for line in result.stdout.splitlines() if line.startswith("  ")
                and "!" in line.split(":")[0]]
    assert bool(problems) == (exit_code == 1)
    for line in problems:
        where = line.split(":")[0]
        sheet, cell = where.split("!")
        row = int("".join(c for c in cell if c.isdigit()))
        texts = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(
            skip_empty_area=False)
        assert any(line in str(v) for v in texts[row - 1]), f"{line} is not in row {row}"
    if case.then is not None:
        case.then(path)


def test_the_corpus_covers_every_exit_code():
    codes = {code for case in CASES.values() for code, _ in (case.check, case.refresh)}
    assert codes == {0, 1, 2}


def test_a_prepayment_with_no_invoice_at_all_is_credit_too(tmp_path):
    """A customer who pays before being invoiced: the whole payment is an Unapplied credit."""
    path = contract_book(tmp_path / "book.xlsx", invoices=[], payments=[{**PAY, "Amount": 75}])
    result = run("refresh", path, "--as-of", AS_OF)
    assert result.exit_code == 0, result.stdout
    (payment,) = table(path, "Payments")
    assert payment["Unapplied"] == 75 and payment["Applied To"] in ("", None)
    assert column(path, "Customers", "Balance") == [Decimal("-75")]
