"""``arsheets plan`` and plans through a refresh, on real workbooks built in the test.

C-1 owes INV-1 1,200.00 (due 2024-01-31) and INV-2 600.00 (due 2024-02-29): 1,800.00 in all.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from arsheets import cli, pipeline
from arsheets.model import (Book, Customer, Frequency, Invoice, Payment, Plan,
                            PlanStatus, Settings)
from arsheets.workbook.template import build_workbook

try:
    from test_letters_support import doc_text
except ImportError:  # tests/ became a package
    from .test_letters_support import doc_text

AS_OF = date(2024, 3, 18)
SETTINGS = {"Company Name": "Bright Widgets LLC", "Company Address": "400 Market Street",
            "Company Email": "accounts@brightwidgets.example", "Signatory": "Dana Reyes",
            "Governing Law": "the State of Illinois", "Late Fee Policy": "Monthly Rate",
            "Late Fee Rate": D("0.015")}
CUSTOMERS = (Customer("C-1", "Acme Supplies", ap_contact="Dana Ruiz", email="ap@acme.example",
                      address="12 High St\nPeoria, IL"),
             Customer("C-2", "Bolt & Nut"))
INVOICES = (Invoice("INV-1", "C-1", date(2024, 1, 1), D("1200.00"), date(2024, 1, 31)),
            Invoice("INV-2", "C-1", date(2024, 1, 30), D("600.00"), date(2024, 2, 29)),
            Invoice("INV-3", "C-2", date(2024, 3, 1), D("99.00")))


def make(tmp_path: Path, plans=(), payments=()) -> Path:
    path = tmp_path / "book.xlsx"
    build_workbook(path, Book(Settings(), CUSTOMERS, INVOICES, tuple(payments), (), tuple(plans)),
                   SETTINGS)
    return path


def run(*args) -> object:
    return CliRunner().invoke(cli.main, [*map(str, args), "--as-of", AS_OF.isoformat()])


def rows(path: Path, sheet: str) -> list[dict]:
    ws = openpyxl.load_workbook(path, read_only=True)[sheet]
    values = list(ws.iter_rows(values_only=True))
    return [dict(zip(values[0], r)) for r in values[1:] if any(v is not None for v in r)]


def test_compare_prints_the_options_and_writes_nothing(tmp_path):
    path = make(tmp_path)
    before = path.read_bytes()
    result = run("plan", path, "--customer", "C-1", "--compare", "--rate", "12%")
    assert result.exit_code == 0, result.output
    # 1,800.00 in 3: 600.00 each interest-free; at 1% a month PMT(1%, 3, 1800) = 612.04
    assert "600.00" in result.output and "612.04" in result.output
    # at 12%: 18.00, then 1,205.96 x 1% = 12.06, then 605.98 x 1% = 6.06 -> 36.12 of interest
    assert "36.12" in result.output and "1,836.12" in result.output
    assert path.read_bytes() == before
    assert not (tmp_path / "letters").exists()


def test_plan_adds_the_row_schedule_activity_and_documents(tmp_path):
    path = make(tmp_path)
    result = run("plan", path, "--customer", "C-1", "--installments", "3", "--rate", "12%",
                 "--down", "300")
    assert result.exit_code == 0, result.output
    (plan,) = rows(path, "Plans")
    assert (plan["Plan"], plan["Customer"], plan["Invoices"], plan["Status"]) == (
        "P-1", "C-1", "INV-1; INV-2", "Proposed")
    assert plan["Principal"] == 1800 and plan["Down Payment"] == 300
    # 1,500.00 financed at 1% a month over 3: PMT = 15 / (1 - 1.01^-3) = 510.0332 -> 510.03;
    # interest 15.00, then 1,004.97 x 1% = 10.05, then 504.99 x 1% = 5.05; the last payment
    # is 504.99 + 5.05 = 510.04
    assert plan["Installment"] == pytest.approx(510.03)
    assert plan["Total Interest"] == pytest.approx(30.10)
    assert plan["Total Payable"] == pytest.approx(1830.10)
    schedule = rows(path, "Schedule")
    assert [(r["No"], r["Payment"]) for r in schedule] == [
        (0, 300), (1, pytest.approx(510.03)), (2, pytest.approx(510.03)),
        (3, pytest.approx(510.04))]
    assert {r["Status"] for r in schedule} == {"Proposed"}
    activity = rows(path, "Activity")[-1]
    assert (activity["Type"], activity["Stage"]) == ("Plan", "Payment plan proposed")
    folder = tmp_path / "letters" / AS_OF.isoformat()
    agreement = doc_text(folder / "C-1 Acme Supplies - payment_plan_agreement.docx")
    note = doc_text(folder / "C-1 Acme Supplies - promissory_note.docx")
    assert "Acme Supplies" in agreement and "$510.03" in agreement and "$300.00" in agreement
    assert "one thousand five hundred dollars" in note.lower()  # the financed principal in words
    assert "$1,500.00" in note and "12%" in note and "Illinois" in note
    assert activity["Document"] == f"letters/{AS_OF.isoformat()}/C-1 Acme Supplies - payment_plan_agreement.docx"


def test_interest_free_plan_writes_only_the_agreement_unless_a_note_is_asked_for(tmp_path):
    path = make(tmp_path)
    assert run("plan", path, "--customer", "C-1", "--invoices", "INV-2").exit_code == 0
    folder = tmp_path / "letters" / AS_OF.isoformat()
    assert [p.name for p in folder.iterdir()] == ["C-1 Acme Supplies - payment_plan_agreement.docx"]
    (plan,) = rows(path, "Plans")
    assert plan["Invoices"] == "INV-2" and plan["Installment"] == 200
    assert run("plan", path, "--customer", "C-1", "--invoices", "INV-1", "--note").exit_code == 0
    assert [r["Plan"] for r in rows(path, "Plans")] == ["P-1", "P-2"]
    assert (folder / "C-1 Acme Supplies - promissory_note.docx").exists()


@pytest.mark.parametrize("args, message", [
    (("--customer", "C-9"), "no customer 'C-9'"),
    (("--customer", "C-1", "--invoices", "INV-3"), "INV-3 is not an invoice of C-1"),
    (("--customer", "C-1", "--down", "1800"), "down payment"),
])
def test_impossible_plans_stop_before_anything_is_written(tmp_path, args, message):
    path = make(tmp_path)
    before = path.read_bytes()
    result = run("plan", path, *args)
    assert result.exit_code == 2
    assert message.lower() in result.output.lower()
    assert "Nothing was written" in result.output
    assert path.read_bytes() == before
    assert not any(tmp_path.rglob("*.docx"))


def test_a_bad_rate_is_a_usage_error(tmp_path):
    result = run("plan", make(tmp_path), "--customer", "C-1", "--rate", "12")
    assert result.exit_code == 2 and "percent sign" in result.output


# --- a signed plan through refresh ---------------------------------------------------------------

SIGNED = Plan("P-1", "C-1", ("INV-1", "INV-2"), date(2024, 2, 1), 3,
              frequency=Frequency.MONTHLY, status=PlanStatus.SIGNED)  # 600.00 on 3-1, 4-1, 5-1


def refreshed(tmp_path, as_of, payments):
    path = make(tmp_path, (SIGNED,), payments)
    outcome = pipeline.refresh(path, as_of)
    return path, outcome


def test_refresh_tracks_paid_remaining_and_marks_invoices_in_plan(tmp_path):
    path, outcome = refreshed(tmp_path, date(2024, 3, 18),
                              [Payment(date(2024, 3, 1), "C-1", D("600.00"), target="P-1")])
    (plan,) = rows(path, "Plans")
    assert (plan["Principal"], plan["Paid"], plan["Remaining"], plan["Missed"]) == (
        1800, 600, 1200, 0)
    assert plan["Next Due"].date() == date(2024, 4, 1) and plan["Next Amount"] == 600
    invoices = {r["Invoice"]: r for r in rows(path, "Invoices")}
    assert invoices["INV-1"]["Status"] == "In plan" and invoices["INV-1"]["Balance"] == 600
    assert invoices["INV-1"]["Late Fee"] == 0 and invoices["INV-2"]["Status"] == "In plan"
    assert [r["Status"] for r in rows(path, "Schedule")] == ["Paid", "Due", "Upcoming"]
    assert rows(path, "Payments")[0]["Applied To"] == "P-1 600.00"
    assert outcome.analysis.problems == ()


def test_refresh_shows_the_default_path(tmp_path):
    path, outcome = refreshed(tmp_path, date(2024, 4, 20),
                              [Payment(date(2024, 3, 1), "C-1", D("600.00"))])
    (plan,) = rows(path, "Plans")
    assert plan["Missed"] == 1
    assert plan["Next Due"].date() == date(2024, 4, 12)  # due 4-1, 10 days' grace, then default
    assert plan["Next Amount"] == 1200  # acceleration: everything left
    assert "in default" in plan["Problems"] and "1,200.00 is due now" in plan["Problems"]
    invoices = {r["Invoice"]: r for r in rows(path, "Invoices")}
    assert invoices["INV-2"]["Status"] == "Overdue"
    assert [r["Status"] for r in rows(path, "Schedule")] == ["Paid", "Missed", "Due"]
    assert [str(p) for p in outcome.analysis.problems][0].startswith("Plans!J2:")


def test_documents_are_removed_when_the_workbook_cannot_be_written(tmp_path, monkeypatch):
    from arsheets.errors import ArsheetsError

    def refuse(*args, **kwargs):
        raise ArsheetsError("disk full")

    monkeypatch.setattr(pipeline, "write_workbook", refuse)
    path = make(tmp_path)
    before = path.read_bytes()
    result = run("plan", path, "--customer", "C-1", "--rate", "8%")
    assert result.exit_code == 2 and "disk full" in result.output
    assert path.read_bytes() == before
    assert not any(tmp_path.rglob("*.docx"))
