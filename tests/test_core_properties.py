"""Money invariants of a refresh, over random books."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from arsheets.core.refresh import compute
from arsheets.model import (Book, Customer, EarlyDiscount, FeeKind, FeePolicy, Hold, Invoice,
                            Payment, Plan, Settings)
from arsheets.money import ZERO

START = date(2024, 1, 1)
CUSTOMERS = ("C-0", "C-1")
EXAMPLES = settings(max_examples=80, deadline=None)

days = st.integers(0, 200).map(lambda n: START + timedelta(days=n))
as_of_days = st.integers(60, 300).map(lambda n: START + timedelta(days=n))
cents = lambda low, high: st.integers(low, high).map(lambda c: Decimal(c).scaleb(-2))  # noqa: E731
money = st.one_of(cents(1, 200_000), cents(1, 200_000), cents(-50_000, 0))  # mostly invoices
cash = st.one_of(cents(1, 120_000), cents(1, 120_000), cents(-1_000, 0))
policies = st.builds(
    FeePolicy,
    kind=st.sampled_from(list(FeeKind)),
    rate=st.sampled_from([None, Decimal("0.015"), Decimal("0.05"), Decimal("0.18")]),
    amount=st.sampled_from([None, Decimal("25.00")]),
    grace_days=st.integers(0, 15),
    minimum=st.sampled_from([None, Decimal("10.00")]),
    maximum=st.sampled_from([None, Decimal("40.00")]),
)


@st.composite
def books(draw) -> tuple[Book, date]:
    invoices = draw(st.lists(st.builds(
        Invoice,
        id=st.just(""),
        customer_id=st.sampled_from(CUSTOMERS),
        invoice_date=days,
        amount=money,
        due_date=st.one_of(st.none(), days),
        hold=st.sampled_from([None, None, None, *Hold]),
    ), max_size=12))
    invoices = [replace(inv, id=f"INV-{n}", row=n + 2) for n, inv in enumerate(invoices)]
    targets = st.sampled_from([None, "INV-99", "PL-1", *(i.id for i in invoices)])
    payments = draw(st.lists(st.builds(
        Payment, date=days, customer_id=st.sampled_from(CUSTOMERS), amount=cash, target=targets,
    ), max_size=12))
    payments = [replace(p, row=n + 2) for n, p in enumerate(payments)]
    book = Book(
        settings=Settings(
            late_fee=draw(policies),
            early_discount=draw(st.sampled_from([None, EarlyDiscount(Decimal("0.02"), 10)])),
            reference_rate=Decimal("0.05"),
            aging_basis=draw(st.sampled_from(["Due Date", "Invoice Date"])),
        ),
        customers=tuple(Customer(c, c, row=n + 2, terms=draw(st.sampled_from([None, 0, 15])),
                                 late_fee=draw(st.one_of(st.none(), policies)))
                        for n, c in enumerate(CUSTOMERS)),
        invoices=tuple(invoices),
        payments=tuple(payments),
        plans=(Plan("PL-1", "C-0", (), START, 3),),
    )
    return book, draw(as_of_days)


@EXAMPLES
@given(books())
def test_paid_and_balance_add_up_and_balances_stay_in_range(case):
    book, as_of = case
    result = compute(book, as_of)
    for invoice, line in zip(book.invoices, result.invoices, strict=True):
        assert line.invoice_id == invoice.id
        assert line.paid + line.balance == invoice.amount
        if invoice.amount >= 0:
            assert ZERO <= line.balance <= invoice.amount
        else:
            assert invoice.amount <= line.balance <= ZERO
        assert line.late_fee >= 0
        assert line.amount_due == line.balance + line.late_fee
        if invoice.hold is not None or line.balance <= 0:
            assert line.late_fee == 0


@EXAMPLES
@given(books())
def test_every_payment_is_accounted_for_to_the_cent(case):
    book, as_of = case
    result = compute(book, as_of)
    owner = {i.id: i for i in book.invoices}
    total_in = total_out = ZERO
    for payment, status in zip(book.payments, result.payments, strict=True):
        assert status.row == payment.row
        if payment.date > as_of:
            assert (status.applied, status.unapplied, status.future) == ((), ZERO, True)
            continue
        assert sum((a.amount for a in status.applied), ZERO) + status.unapplied == payment.amount
        for a in status.applied:
            assert a.amount > 0
            assert owner[a.invoice_id].customer_id == payment.customer_id
            assert owner[a.invoice_id].hold is None or a.invoice_id == payment.target
        total_in += payment.amount
        total_out += sum((a.amount for a in status.applied), status.unapplied)
    assert total_out == total_in


@EXAMPLES
@given(books())
def test_what_invoices_were_paid_is_the_cash_and_credit_put_on_them(case):
    book, as_of = case
    if book.settings.early_discount is not None:  # a discount is paid by nobody
        book = replace(book, settings=replace(book.settings, early_discount=None))
    result = compute(book, as_of)
    cash_applied = sum((a.amount for p in result.payments for a in p.applied), ZERO)
    credit_used = -sum((s.paid for i, s in zip(book.invoices, result.invoices) if i.amount < 0), ZERO)
    paid = sum((s.paid for i, s in zip(book.invoices, result.invoices) if i.amount > 0), ZERO)
    assert paid == cash_applied + credit_used


@EXAMPLES
@given(books())
def test_aging_buckets_sum_to_totals_and_totals_to_customer_balances(case):
    book, as_of = case
    result = compute(book, as_of)
    report = result.aging
    for row in report.rows:
        assert sum(row.buckets, ZERO) == row.total != 0
    for k, total in enumerate(report.totals):
        assert sum((row.buckets[k] for row in report.rows), ZERO) == total
    assert sum(report.totals, ZERO) == report.total
    balances = {c.customer_id: c.balance for c in result.customers}
    assert {r.customer_id: r.total for r in report.rows} == {k: v for k, v in balances.items() if v}


@settings(max_examples=60, deadline=None)
@given(books(), st.randoms(use_true_random=False))
def test_results_depend_on_rows_not_on_the_order_records_are_listed(case, rng):
    book, as_of = case
    payments = list(book.payments)
    rng.shuffle(payments)
    shuffled = compute(replace(book, payments=tuple(payments)), as_of)
    by_row = {s.row: s for s in compute(book, as_of).payments}
    assert all(by_row[s.row] == s for s in shuffled.payments)
