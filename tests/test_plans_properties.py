"""Invariants of every schedule and every tracking, over generated plans."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import numpy_financial as npf
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from arsheets.core.plans import InstallmentStatus, PlanError, build_schedule, track
from arsheets.model import Frequency, Payment, Plan, PlanStatus

D = Decimal
PERIODS = {Frequency.MONTHLY: 12, Frequency.EVERY_2_WEEKS: 26, Frequency.WEEKLY: 52}


def money(lo: int, hi: int):
    return st.integers(lo, hi).map(lambda c: D(c).scaleb(-2))


@st.composite
def plans(draw):
    principal_cents = draw(st.one_of(st.integers(1, 10_000), st.integers(1, 100_000_000_000)))
    down_cents = draw(st.one_of(st.just(0), st.integers(0, principal_cents - 1)))
    financed = principal_cents - down_cents
    installments = draw(st.integers(1, min(600, financed)))
    rate = draw(st.one_of(st.just(D(0)), st.integers(1, 3600).map(lambda bp: D(bp).scaleb(-4))))
    start = draw(st.dates(date(2000, 1, 1), date(2060, 12, 31)))
    first_due = draw(st.one_of(st.none(), st.integers(0, 90).map(lambda d: start + timedelta(d))))
    frequency = draw(st.sampled_from(list(Frequency)))
    return dict(principal=D(principal_cents).scaleb(-2), installments=installments, start=start,
                frequency=frequency, annual_rate=rate, down_payment=D(down_cents).scaleb(-2),
                first_due=first_due)


def schedule_of(kwargs):
    kwargs = dict(kwargs)
    try:
        return build_schedule(kwargs.pop("principal"), kwargs.pop("installments"), **kwargs)
    except PlanError as exc:
        # Only amortized plans whose cent-rounded installment can't amortize are refused here.
        assert kwargs["annual_rate"] > 0 and exc.field in ("Annual Rate", "Installments")
        assume(False)


def monthly(anchor: date, months: int) -> date:
    y, m = divmod(anchor.month - 1 + months, 12)
    year, month = anchor.year + y, m + 1
    return date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))


@settings(max_examples=300, deadline=None)
@given(plans())
def test_every_schedule_adds_up_to_the_cent(kw):
    s = schedule_of(kw)
    assert sum(r.payment for r in s.rows) == s.total_payable == s.principal + s.total_interest
    assert sum(r.interest for r in s.rows) == s.total_interest
    assert sum(r.principal for r in s.rows) == s.principal
    assert all(r.payment == r.interest + r.principal for r in s.rows)
    assert all(x.as_tuple().exponent == -2 for r in s.rows
               for x in (r.payment, r.interest, r.principal, r.balance))


@settings(max_examples=300, deadline=None)
@given(plans())
def test_nothing_negative_and_the_balance_ends_at_zero(kw):
    s = schedule_of(kw)
    assert all(r.payment > 0 and r.interest >= 0 and r.principal >= 0 for r in s.rows)
    assert all(r.balance >= 0 for r in s.rows)
    assert str(s.rows[-1].balance) == "0.00"
    assert len([r for r in s.rows if r.no > 0]) == kw["installments"]


@settings(max_examples=300, deadline=None)
@given(plans())
def test_due_dates_step_from_a_fixed_anchor_and_strictly_increase(kw):
    s = schedule_of(kw)
    rows = [r for r in s.rows if r.no > 0]
    assert all(a.due < b.due for a, b in zip(rows, rows[1:]))
    if s.down_payment:
        assert s.rows[0].no == 0 and s.rows[0].due == kw["start"] <= rows[0].due
    anchor, offset = ((kw["first_due"], -1) if kw["first_due"] else (kw["start"], 0))
    for r in rows:
        k = r.no + offset
        if kw["frequency"] is Frequency.MONTHLY:
            assert r.due == monthly(anchor, k)
        else:
            assert r.due == anchor + timedelta(7 * k * (2 if kw["frequency"] is
                                                          Frequency.EVERY_2_WEEKS else 1))


@settings(max_examples=300, deadline=None)
@given(plans())
def test_rows_follow_the_rounding_rules(kw):
    s = schedule_of(kw)
    rows = [r for r in s.rows if r.no > 0]
    if kw["annual_rate"] == 0:
        payments = [r.payment for r in rows]
        assert payments == sorted(payments, reverse=True)
        assert payments[0] - payments[-1] <= D("0.01")
        return
    periods = PERIODS[kw["frequency"]]
    rate = float(kw["annual_rate"]) / periods
    pmt = float(npf.pmt(rate, kw["installments"], -float(s.principal - s.down_payment)))
    # Within half a cent of the float PMT, give or take the float's own error, which grows as the
    # periodic rate shrinks ((1 + r) - 1 cancels).
    assert abs(s.installment - D(repr(pmt))) <= D("0.005") + D(abs(pmt) * 1e-14 / rate)
    assert all(r.payment == s.installment for r in rows[:-1])
    balance = s.principal - s.down_payment
    for r in rows:
        exact = Fraction(balance) * Fraction(kw["annual_rate"]) / periods
        assert r.interest == D((exact * 100 + Fraction(1, 2)).__floor__()).scaleb(-2)
        balance = r.balance


@st.composite
def tracked(draw):
    kw = draw(plans())
    s = schedule_of(kw)
    plan = Plan(id="PL-1", customer_id="C1", invoice_ids=("INV-1",), start_date=kw["start"],
                installments=kw["installments"], status=PlanStatus.ACTIVE)
    last = s.last_due
    day = st.dates(kw["start"] - timedelta(10), last + timedelta(60))
    amount = st.one_of(st.sampled_from([r.payment for r in s.rows]), money(1, 10_000),
                       money(1, int(s.total_payable * 100)))
    payments = draw(st.lists(st.builds(lambda d, a: Payment(d, "C1", a), day, amount),
                             max_size=8))
    as_of = draw(day)
    grace = draw(st.integers(0, 30))
    return plan, s, payments, as_of, grace


@settings(max_examples=300, deadline=None)
@given(tracked())
def test_tracking_accounts_for_every_cent(case):
    plan, s, payments, as_of, grace = case
    got = track(plan, s, payments, as_of, grace)
    received = sum((p.amount for p in payments if p.date <= as_of), D(0))
    assert got.paid + got.remaining == s.total_payable
    assert got.paid + got.unapplied == received
    if received <= s.total_payable:
        assert got.unapplied == 0 and got.paid == received
    assert sum(r.paid for r in got.installments) == got.paid
    assert all(0 <= r.paid <= r.payment and r.owed == r.payment - r.paid
               for r in got.installments)
    # Paid installments come first, in schedule order.
    flags = [r.status is InstallmentStatus.PAID for r in got.installments]
    assert flags == sorted(flags, reverse=True)
    missed = [r for r in got.installments if r.status is InstallmentStatus.MISSED]
    assert got.missed == len(missed) and all(r.due < as_of and r.owed for r in missed)
    assert got.overdue == sum((r.owed for r in missed), D(0))
    assert got.completed == (got.remaining == 0) == (got.next_due is None)
    if got.defaulted:
        assert got.overdue <= got.accelerated_amount <= got.remaining
        assert got.default_date <= as_of
        assert s.total_interest or got.accelerated_amount == got.remaining
    else:
        assert got.accelerated_amount is None and got.default_date is None
        assert all((as_of - r.due).days <= grace for r in missed)
