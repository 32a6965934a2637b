"""The Activity log: letters are appended as rows through the safe writer, in the same atomic write
as the refreshed status columns, and read back; the log is created or completed when it must be."""

from __future__ import annotations

import re
import zipfile
from datetime import date
from pathlib import Path

import pytest

from arsheets import pipeline
from arsheets.letters.batch import BatchOptions, run_batch
from arsheets.model import ActivityType
from arsheets.workbook.read import read_columns, read_workbook
from arsheets.workbook.write import list_backups

try:
    from libreoffice import libreoffice_convert
    from xlsx_fixtures import Sheet, contract_book
except ImportError:  # tests/ became a package
    from .libreoffice import libreoffice_convert
    from .xlsx_fixtures import Sheet, contract_book

AS_OF = date(2024, 3, 18)
CUSTOMERS = [{"Customer": "C-01", "Name": "Acme Ltd", "Email": "ap@acme.test",
              "AP Contact": "Dana Ruiz", "Phone": "555-0142"},
             {"Customer": "C-02", "Name": "Bolt Co", "Email": "ap@bolt.test", "Channel": "Mail"}]
INVOICES = [
    {"Invoice": "INV-1", "Customer": "C-01", "Invoice Date": date(2024, 1, 1),
     "Due Date": date(2024, 3, 10), "Amount": 100},  # day 8: first reminder
    {"Invoice": "INV-2", "Customer": "C-01", "Invoice Date": date(2024, 1, 5),
     "Due Date": date(2024, 3, 22), "Amount": 40},  # courtesy window
    {"Invoice": "INV-3", "Customer": "C-02", "Invoice Date": date(2024, 1, 1),
     "Due Date": date(2024, 2, 1), "Amount": 250},  # day 46: second reminder
]
OWN_ROW = {"Date": date(2024, 3, 1), "Customer": "C-02", "Type": "Note",
           "Summary": "Asked for a copy of INV-3"}


def table_refs(path: Path) -> dict[str, str]:
    refs = {}
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/tables/"):
                xml = z.read(name).decode()
                display = re.search(r'displayName="([^"]+)"', xml).group(1)
                refs[display] = re.search(r'<table[^>]*\bref="([^"]+)"', xml).group(1)
    return refs


def send(path: Path, **options):
    return run_batch(path, AS_OF, options=BatchOptions(**options))


def test_rows_are_appended_inside_the_table_and_read_back(tmp_path):
    path = contract_book(tmp_path / "b.xlsx", customers=CUSTOMERS, invoices=INVOICES,
                         activity=[OWN_ROW], tables=True)
    assert table_refs(path)["ActivityTable"] == "A1:I2"
    outcome = send(path)
    assert outcome.written.rows_appended == 2
    assert table_refs(path)["ActivityTable"] == "A1:I4"  # the table grew with the log
    acts = read_workbook(path).book.activities
    assert acts[0].summary == "Asked for a copy of INV-3"  # the bookkeeper's row, untouched
    assert [(a.row, a.date, a.customer_id, a.type, a.invoice_ids, a.stage, a.summary)
            for a in acts[1:]] == [
        (3, AS_OF, "C-01", ActivityType.LETTER, ("INV-1", "INV-2"), "First reminder",
         "First reminder: 2 invoices, 140.00 due"),
        (4, AS_OF, "C-02", ActivityType.LETTER, ("INV-3",), "Second reminder",
         "Second reminder: 1 invoice, 250.00 due"),
    ]
    assert acts[1].document == "letters/2024-03-18/C-01 Acme Ltd - first_reminder.docx"
    # the date is a real date cell, the list a text cell
    cells = read_columns(path, "Activity", [1, 3], start_row=3)
    assert cells[3][1] == AS_OF and cells[3][3] == "INV-1; INV-2"


def test_one_atomic_write_refreshes_and_logs_together(tmp_path):
    path = contract_book(tmp_path / "b.xlsx", customers=CUSTOMERS, invoices=INVOICES,
                         activity=[OWN_ROW], tables=True)
    outcome = send(path)
    assert len(list_backups(path)) == 1  # one write: one backup of the file before it
    written = outcome.written
    assert written.cells_written > 0 and written.rows_appended == 2
    analysis = pipeline.analyse(path, AS_OF)
    acme = [c for c in analysis.result.customers if c.customer_id == "C-01"][0]
    assert acme.last_contact == AS_OF  # the status columns saw the letters just logged
    assert acme.next_action.startswith("Call Dana Ruiz (AP) at 555-0142: confirm INV-1 arrived")
    cells = read_columns(path, "Customers", [analysis.read.layouts["Customers"]
                                             .columns["Last Contact"]])
    assert AS_OF in [v for row in cells.values() for v in row.values()]


def test_missing_log_columns_are_added(tmp_path):
    path = contract_book(tmp_path / "b.xlsx", customers=CUSTOMERS, invoices=INVOICES,
                         activity=[OWN_ROW], tables=True,
                         headers={"Activity": ["Date", "Customer", "Type", "Summary"]})
    send(path)
    layout = read_workbook(path).layouts["Activity"]
    assert {"Invoice", "Stage", "Document"} <= set(layout.columns)
    assert table_refs(path)["ActivityTable"] == "A1:G4"
    acts = read_workbook(path).book.activities
    assert [a.stage for a in acts] == ["", "First reminder", "Second reminder"]
    # the stages logged count: nothing is due a second time
    assert send(path).planned == ()


def test_an_empty_activity_sheet_gets_its_header_row(tmp_path):
    path = contract_book(tmp_path / "b.xlsx", customers=CUSTOMERS, invoices=INVOICES,
                         extra=[Sheet("Activity", [])])
    outcome = send(path)
    assert outcome.activity_created == "headers"
    acts = read_workbook(path).book.activities
    assert [(a.row, a.customer_id, a.stage) for a in acts] == [
        (2, "C-01", "First reminder"), (3, "C-02", "Second reminder")]
    assert send(path).planned == ()


def test_a_missing_activity_sheet_is_created_as_a_table(tmp_path):
    path = contract_book(tmp_path / "b.xlsx", customers=CUSTOMERS, invoices=INVOICES)
    outcome = send(path)
    assert outcome.activity_created == "sheet"
    assert table_refs(path)["ActivityTable"] == "A1:I3"
    read = read_workbook(path)
    assert read.problems == ()
    assert [a.stage for a in read.book.activities] == ["First reminder", "Second reminder"]
    assert send(path).planned == ()
    # a plain refresh leaves the log alone
    pipeline.refresh(path, AS_OF)
    assert len(read_workbook(path).book.activities) == 2


@pytest.mark.parametrize("layout", ["table", "created"])
def test_the_logged_workbook_opens_in_libreoffice(tmp_path, layout):
    kwargs = {"activity": [OWN_ROW], "tables": True} if layout == "table" else {}
    path = contract_book(tmp_path / "b.xlsx", customers=CUSTOMERS, invoices=INVOICES, **kwargs)
    send(path)
    converted = libreoffice_convert(path, tmp_path / "lo")  # skips without LibreOffice
    acts = read_workbook(converted).book.activities
    assert [a.stage for a in acts][-2:] == ["First reminder", "Second reminder"]
