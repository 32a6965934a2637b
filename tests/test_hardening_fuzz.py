"""Fuzzing cell values through the reader and the whole refresh (hypothesis, XlsxWriter workbooks).

The Customers, Invoices and Payments cells are drawn from a mix of valid values and anything a
bookkeeper (or a program) could leave in a cell: wrong types, odd text (unicode, whitespace,
``=1+1``, ``NaN``, currency signs), huge numbers, negative zero, dates far in the past and future,
Excel serials, booleans, error values, formulas with and without a saved result. Whatever the cells:

- nothing raises but ArsheetsError (a structural problem, exit code 2);
- every row problem has its sheet and row, and is written into that row's Problems cell;
- ``check`` and ``refresh`` exit 0 when there is no problem and 1 when there are, and reading the
  refreshed file finds the same problems (writing never changes what is read);
- the money adds up: per invoice paid + balance = amount and amount due = balance + fee, fees are
  never negative; per payment applied + unapplied = amount (a payment dated after the as-of date
  is not applied at all).
"""

from __future__ import annotations

import re
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from arsheets import pipeline
from arsheets.cli import main
from arsheets.errors import ArsheetsError
from xlsx_fixtures import Err, Formula, contract_book

AS_OF = date(2024, 6, 1)
CUSTOMER_IDS = ["C-1", "C-2", "C-3"]
INVOICE_IDS = [f"INV-{i}" for i in range(1, 7)]

ODD = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "\t", "\n", " C-1 ", "c-1", "=1+1", "+1", "-1", "@x", "NaN", "nan",
                     "inf", "-inf", "1e309", "-0", "0", "0.001", "1,234.56", "1.234,56", "$12",
                     "€5", "(5.00)", "12/31/2024", "31/12/2024", "2024-02-30", "TRUE", "#N/A",
                     "1900-02-29", "9999-12-31", "0001-01-01", "Disputed", "Flat", "Ünïcödé",
                     "北京", "\u202e", "_x0007_", "x" * 300]),
    st.integers(-10 ** 20, 10 ** 20),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.just(-0.0),
    st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31)),
    st.booleans(),
    st.sampled_from([0, 1, 59, 60, 61, 45000, 45000.75, 2958465, 2958466, -1]),  # Excel serials
    st.sampled_from([Err("#N/A"), Err("#DIV/0!"), Err("#REF!"), Formula("=1+1"),
                     Formula("=1+1", 2), Formula('="x"', "x")]),
    st.none(),
)


def mostly(valid: st.SearchStrategy) -> st.SearchStrategy:
    """Three times in four a valid value, else anything."""
    return st.one_of(valid, valid, valid, ODD)


MONEY = st.decimals(min_value=Decimal("-500"), max_value=Decimal("5000"), places=2)
DATES = st.dates(min_value=date(2023, 6, 1), max_value=date(2024, 8, 31))

CUSTOMERS = st.lists(st.fixed_dictionaries({
    "Customer": mostly(st.sampled_from(CUSTOMER_IDS)),
    "Name": mostly(st.sampled_from(["Acme", "Bolt & Nut", "Ça va SARL"])),
    "Terms": mostly(st.one_of(st.none(), st.integers(0, 90))),
    "Credit Limit": mostly(st.one_of(st.none(), MONEY)),
    "Late Fee Policy": mostly(st.sampled_from([None, "None", "Flat 25", "Percent Once 5%",
                                               "Monthly Rate 1.5%", "Annual Rate 12%"])),
}), max_size=4)
INVOICES = st.lists(st.fixed_dictionaries({
    "Invoice": mostly(st.sampled_from(INVOICE_IDS)),
    "Customer": mostly(st.sampled_from(CUSTOMER_IDS)),
    "Invoice Date": mostly(DATES),
    "Due Date": mostly(st.one_of(st.none(), DATES)),
    "Amount": mostly(MONEY),
    "Hold": mostly(st.sampled_from([None, None, None, "Disputed", "On hold", "Written off"])),
}), max_size=6)
PAYMENTS = st.lists(st.fixed_dictionaries({
    "Date": mostly(DATES),
    "Customer": mostly(st.sampled_from(CUSTOMER_IDS)),
    "Invoice": mostly(st.one_of(st.none(), st.sampled_from(INVOICE_IDS))),
    "Amount": mostly(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("3000"), places=2)),
}), max_size=4)
SETTINGS = st.sampled_from([
    None,
    {"Late Fee Policy": "Monthly Rate", "Late Fee Rate": "1.5%", "Grace Days": 5},
    {"Late Fee Policy": "Flat", "Late Fee Amount": 25, "Early Discount": "2/10"},
    {"Aging Basis": "Invoice Date", "Aging Buckets": "15, 45, 90", "Locale": "en_GB"},
])


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


_DROPPED = re.compile("[\ufffe\uffff]")  # what a cell cannot hold (controls are escaped)


def check_money(analysis: pipeline.Analysis) -> None:
    book, result = analysis.read.book, analysis.result
    assert len(result.invoices) == len(book.invoices)
    for invoice, status in zip(book.invoices, result.invoices, strict=True):
        assert status.invoice_id == invoice.id
        assert status.paid + status.balance == invoice.amount, (invoice, status)
        assert status.late_fee >= 0, status
        assert status.amount_due == status.balance + status.late_fee, status
    payments = {p.row: p for p in book.payments}
    assert len(result.payments) == len(book.payments)
    for status in result.payments:
        payment = payments[status.row]
        applied = sum((a.amount for a in status.applied), Decimal(0))
        if status.future:
            assert payment.date > AS_OF and not status.applied
        else:
            assert applied + status.unapplied == payment.amount, (payment, status)
        assert all(a.amount > 0 for a in status.applied) and status.unapplied >= 0


def problem_cells(path: Path) -> dict[tuple[str, int], str]:
    """(sheet, row) -> the text of the row's Problems cell."""
    book = CalamineWorkbook.from_path(str(path))
    found = {}
    for sheet in ("Customers", "Invoices", "Payments"):
        rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        col = rows[0].index("Problems")
        for r, row in enumerate(rows[1:], start=2):
            if col < len(row) and row[col] not in ("", None):
                found[(sheet, r)] = str(row[col])
    return found


@settings(max_examples=45, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(customers=CUSTOMERS, invoices=INVOICES, payments=PAYMENTS, extra=SETTINGS)
def test_any_cells_through_the_reader_and_the_refresh(customers, invoices, payments, extra):
    with tempfile.TemporaryDirectory() as folder:
        path = contract_book(Path(folder) / "fuzz.xlsx", customers=customers, invoices=invoices,
                             payments=payments, settings=extra)
        try:
            analysis = pipeline.analyse(path, AS_OF)
        except ArsheetsError as error:  # structural: every command stops, writing nothing
            assert all(p.message for p in error.problems)
            before = path.read_bytes()
            for command in ("check", "refresh"):
                assert run(command, path, "--as-of", AS_OF).exit_code == 2
            assert path.read_bytes() == before
            return
        for problem in analysis.problems:
            assert problem.where.sheet in ("Customers", "Invoices", "Payments"), problem
            assert problem.where.row and problem.where.row >= 2, problem
            assert str(problem).startswith(f"{problem.where.sheet}!"), problem
        check_money(analysis)
        expected = 1 if analysis.problems else 0
        assert run("check", path, "--as-of", AS_OF).exit_code == expected
        result = run("refresh", path, "--as-of", AS_OF)
        assert result.exit_code == expected, result.output
        # reading the refreshed file finds the same problems, each in its row's Problems cell
        again = pipeline.analyse(path, AS_OF)
        assert [str(p) for p in again.problems] == [str(p) for p in analysis.problems]
        cells = problem_cells(path)
        for problem in analysis.problems:
            where = (problem.where.sheet, problem.where.row)
            assert _DROPPED.sub("", str(problem)) in cells.get(where, ""), (problem, cells)
        assert len({(p.where.sheet, p.where.row) for p in analysis.problems}) == len(cells)
        assert run("check", path, "--as-of", AS_OF).exit_code == expected


@settings(max_examples=100, deadline=None)
@given(cells=st.lists(ODD, min_size=6, max_size=6))
def test_any_single_row_reads_with_addressed_problems_only(cells):
    """One invoice row of odd values beside a valid customer: read only (faster, so more of it)."""
    heads = ["Invoice", "Customer", "Invoice Date", "Due Date", "Amount", "Hold"]
    with tempfile.TemporaryDirectory() as folder:
        path = contract_book(Path(folder) / "row.xlsx", invoices=[dict(zip(heads, cells))])
        analysis = pipeline.analyse(path, AS_OF)
        for problem in analysis.problems:
            assert (problem.where.sheet, problem.where.row) == ("Invoices", 2), problem
            assert problem.where.column, problem
        check_money(analysis)
        if analysis.read.book.invoices:  # a row with a problem is left out
            assert not analysis.read.problems
