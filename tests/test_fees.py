"""Late fees, each figure worked out by hand in the comment beside it."""

from decimal import Decimal

import pytest

from arsheets.core.fees import (ReferenceRates, compensation, discount_available, late_fee,
                                reference_day)
from arsheets.errors import Where
from arsheets.model import EarlyDiscount, FeeKind, FeePolicy, Hold, Settings
from arsheets.money import ZERO
from factories import by_id, cust, d, inv, m, pay, run

R = Decimal


def fee(policy: FeePolicy, due: str, as_of: str, amount: str = "1000.00", payments=(), **kw):
    result = run(as_of, [inv("A", amount, "2022-12-01", due=due)],
                 [pay(when, paid) for when, paid in payments], late_fee=policy, **kw)
    return result.invoices[0].late_fee


def test_no_policy_no_fee():
    assert fee(FeePolicy(), "2024-01-31", "2024-12-31") == ZERO


# --- Flat: charged once the grace is over (grace is a threshold) -----------------------------

@pytest.mark.parametrize("as_of, expected", [
    ("2024-04-05", "0.00"),  # 5 days overdue = the grace: nothing yet
    ("2024-04-06", "25.00"),  # day 6: the whole flat fee
    ("2024-12-31", "25.00"),  # and only once
])
def test_flat_after_grace(as_of, expected):
    policy = FeePolicy(FeeKind.FLAT, amount=m("25.00"), grace_days=5)
    assert fee(policy, "2024-03-31", as_of) == m(expected)


def test_flat_without_grace_starts_the_day_after_due():
    policy = FeePolicy(FeeKind.FLAT, amount=m("25.00"))
    assert fee(policy, "2024-03-31", "2024-03-31") == ZERO
    assert fee(policy, "2024-03-31", "2024-04-01") == m("25.00")


# --- Percent Once: on the balance open when the grace ran out --------------------------------

PCT = FeePolicy(FeeKind.PERCENT_ONCE, rate=R("0.05"), grace_days=10)  # due 31 Mar: charged 11 Apr


@pytest.mark.parametrize("paid_on, expected", [
    ("2024-04-05", "30.00"),  # 5% of the 600 left at the end of grace
    ("2024-04-10", "30.00"),  # paid on the last day of grace still counts
    ("2024-04-11", "50.00"),  # too late: 5% of 1,000, although 600 is owed now
])
def test_percent_once_on_the_balance_when_charged(paid_on, expected):
    assert fee(PCT, "2024-03-31", "2024-04-30", payments=[(paid_on, "400.00")]) == m(expected)


def test_percent_once_threshold():
    assert fee(PCT, "2024-03-31", "2024-04-10") == ZERO
    assert fee(PCT, "2024-03-31", "2024-04-11") == m("50.00")


def test_percent_once_rounds_half_up():
    # 5% of 10.10 = 0.505 -> 0.51
    assert fee(PCT, "2024-03-31", "2024-04-30", amount="10.10") == m("0.51")


# --- Monthly and Annual Rate: simple interest, actual/365, grace is a shift ------------------

MONTHLY = FeePolicy(FeeKind.MONTHLY_RATE, rate=R("0.015"))


def test_monthly_rate_over_a_leap_february():
    # 31 Jan -> 1 Mar 2024 = 30 days. 1,000 x 18% x 30/365 = 14.7945 -> 14.79
    # (/366 would give 14.75; rounding the daily 0.49 first would give 14.70)
    assert fee(MONTHLY, "2024-01-31", "2024-03-01") == m("14.79")


def test_monthly_rate_to_a_month_end():
    # 31 Jan -> 29 Feb 2024 = 29 days: 1,000 x 18% x 29/365 = 14.3014 -> 14.30
    assert fee(MONTHLY, "2024-01-31", "2024-02-29") == m("14.30")


def test_a_whole_leap_year_is_366_days_over_365():
    # 1 Jan 2024 -> 1 Jan 2025 = 366 days: 1,000 x 10% x 366/365 = 100.274 -> 100.27
    policy = FeePolicy(FeeKind.ANNUAL_RATE, rate=R("0.10"))
    assert fee(policy, "2024-01-01", "2025-01-01") == m("100.27")
    # 28 Feb -> 1 Mar 2024 spans 29 Feb: 2 days. 1,000 x 36.5% x 2/365 = 2.00
    assert fee(FeePolicy(FeeKind.ANNUAL_RATE, rate=R("0.365")), "2024-02-28", "2024-03-01") == m("2.00")


@pytest.mark.parametrize("as_of, expected", [
    ("2024-07-05", "0.00"),  # still in grace
    ("2024-07-06", "0.27"),  # 1 day: 1,000 x 10% / 365 = 0.274
    ("2024-07-30", "6.85"),  # 30 days overdue, 25 charged: 2,500/365 = 6.849 (not 8.22)
])
def test_annual_rate_grace_days_are_never_charged(as_of, expected):
    policy = FeePolicy(FeeKind.ANNUAL_RATE, rate=R("0.10"), grace_days=5)
    assert fee(policy, "2024-06-30", as_of) == m(expected)


ANNUAL_12 = FeePolicy(FeeKind.ANNUAL_RATE, rate=R("0.12"))


@pytest.mark.parametrize("paid_on, expected", [
    # due 31 Jan 2023, as of 1 Apr 2023 = 60 days; 400 paid of 1,000
    ("2023-03-02", "15.78"),  # 1,000 x 30 + 600 x 30 = 48,000 x 12%/365 = 15.781
    ("2023-02-01", "11.97"),  # 1,000 x 1 + 600 x 59 = 36,400 -> 11.967
    ("2023-01-31", "11.84"),  # paid on the due date: 600 x 60 = 36,000 -> 11.836
    ("2023-01-15", "11.84"),  # paid before due: the same
])
def test_partial_payment_reduces_the_balance_from_its_date(paid_on, expected):
    assert fee(ANNUAL_12, "2023-01-31", "2023-04-01", payments=[(paid_on, "400.00")]) == m(expected)


def test_two_partial_payments_then_rounded_once():
    # 1,000 x 10 + 700 x 20 + 200 x 30 = 30,000 day-units x 12% / 365 = 9.863 -> 9.86
    payments = [("2023-02-10", "300.00"), ("2023-03-02", "500.00")]
    assert fee(ANNUAL_12, "2023-01-31", "2023-04-01", payments=payments) == m("9.86")


# --- minimum and maximum ---------------------------------------------------------------------

def test_minimum_and_maximum_bound_a_fee_that_is_due():
    low = FeePolicy(FeeKind.MONTHLY_RATE, rate=R("0.015"), minimum=m("25.00"))
    high = FeePolicy(FeeKind.MONTHLY_RATE, rate=R("0.015"), maximum=m("10.00"))
    assert fee(low, "2024-01-31", "2024-03-01") == m("25.00")  # 14.79 raised
    assert fee(high, "2024-01-31", "2024-03-01") == m("10.00")  # 14.79 capped
    capped_flat = FeePolicy(FeeKind.FLAT, amount=m("25.00"), maximum=m("20.00"))
    assert fee(capped_flat, "2024-01-31", "2024-03-01") == m("20.00")


def test_minimum_never_creates_a_fee():
    low = FeePolicy(FeeKind.FLAT, amount=m("5.00"), grace_days=5, minimum=m("25.00"))
    assert fee(low, "2024-03-31", "2024-04-05") == ZERO  # in grace
    assert fee(low, "2024-03-31", "2024-04-30", payments=[("2024-04-01", "1000.00")]) == ZERO
    zero_rate = FeePolicy(FeeKind.ANNUAL_RATE, rate=ZERO, minimum=m("25.00"))
    assert fee(zero_rate, "2024-03-31", "2024-04-30") == ZERO
    assert fee(low, "2024-03-31", "2024-04-06") == m("25.00")


# --- no fee on held, paid, credit ------------------------------------------------------------

STRICT = FeePolicy(FeeKind.FLAT, amount=m("25.00"), minimum=m("30.00"))


@pytest.mark.parametrize("hold", list(Hold))
def test_held_invoices_owe_no_fee(hold):
    result = run("2024-12-31", [inv("A", "100.00", due="2024-01-31", hold=hold)], late_fee=STRICT)
    assert result.invoices[0].late_fee == ZERO
    assert result.invoices[0].amount_due == m("100.00")


def test_paid_invoices_and_credit_notes_owe_no_fee():
    result = run("2024-12-31", [inv("A", "100.00", due="2024-01-31"),
                                inv("CN", "-50.00", "2024-01-01", customer="C-02")],
                 [pay("2024-06-01", "100.00")], late_fee=STRICT)
    assert [s.late_fee for s in result.invoices] == [ZERO, ZERO]


def test_fee_adds_to_amount_due_and_the_customer_policy_wins():
    invoices = [inv("A", "100.00", due="2024-01-31"),
                inv("B", "100.00", due="2024-01-31", customer="C-02"),
                inv("C", "100.00", due="2024-01-31", customer="C-03")]
    customers = [cust("C-01"), cust("C-02", fee=FeePolicy()),
                 cust("C-03", fee=FeePolicy(FeeKind.FLAT, amount=m("10.00")))]
    result = run("2024-03-01", invoices, customers=customers, late_fee=STRICT)
    assert [(s.late_fee, s.amount_due) for s in result.invoices] == [
        (m("30.00"), m("130.00")), (ZERO, m("100.00")), (m("10.00"), m("110.00"))]


def test_in_plan_invoices_owe_no_fee():
    invoice = inv("A", "100.00", due="2024-01-31")
    args = (invoice, STRICT, d("2024-01-31"), m("100.00"), None, d("2024-03-01"), ReferenceRates())
    assert late_fee(*args) == (m("30.00"), None)
    assert late_fee(*args, in_plan=True) == (ZERO, None)


# --- UK Statutory ----------------------------------------------------------------------------

UK = FeePolicy(FeeKind.UK_STATUTORY)
BOE = ((d("2023-08-03"), R("0.0525")), (d("2024-08-01"), R("0.05")))


@pytest.mark.parametrize("due, as_of, expected", [
    # overdue from 1 Feb 2024: rate of 31 Dec 2023 = 5.25% + 8% = 13.25%.
    # 5,000 x 13.25% x 30/365 = 54.452 -> 54.45, + 70 compensation (under 10,000)
    ("2024-01-31", "2024-03-01", "124.45"),
    # overdue from 1 Aug 2024: rate of 30 Jun 2024, still 5.25% although it fell to 5% that day,
    # and kept for life: 153 days to 31 Dec: 5,000 x 13.25% x 153/365 = 277.705 -> 277.71 + 70
    ("2024-07-31", "2024-12-31", "347.71"),
    # overdue from 1 Feb 2025: rate of 31 Dec 2024 = 5% -> 13%: 30 days = 53.425 -> 53.42 + 70
    ("2025-01-31", "2025-03-02", "123.42"),
])
def test_uk_statutory_interest_and_compensation(due, as_of, expected):
    assert fee(UK, due, as_of, amount="5000.00", reference_rates=BOE) == m(expected)


def test_uk_reference_rate_in_force_on_the_half_year_day_itself():
    rates = ((d("2023-08-03"), R("0.0525")), (d("2024-06-30"), R("0.06")))
    # due 29 Jun: overdue 30 Jun (first half) -> 31 Dec 2023 rate: 124.45 as above
    assert fee(UK, "2024-06-29", "2024-07-29", amount="5000.00", reference_rates=rates) == m("124.45")
    # due 30 Jun: overdue 1 Jul -> 30 Jun 2024 rate 6% -> 14%: 5,000 x 14% x 30/365 = 57.534 + 70
    assert fee(UK, "2024-06-30", "2024-07-30", amount="5000.00", reference_rates=rates) == m("127.53")


def test_uk_compensation_is_on_the_debt_when_it_became_overdue():
    # 1,500 with 600 paid before due: debt 900 -> 40; 900 x 13.25% x 30/365 = 9.801 -> 9.80
    assert fee(UK, "2024-01-31", "2024-03-01", amount="1500.00", reference_rates=BOE,
               payments=[("2024-01-20", "600.00")]) == m("49.80")
    # 600 paid after due: debt 1,500 -> 70; 1,500 x 10 + 900 x 20 = 33,000 x 13.25%/365 = 11.979
    assert fee(UK, "2024-01-31", "2024-03-01", amount="1500.00", reference_rates=BOE,
               payments=[("2024-02-10", "600.00")]) == m("81.98")


@pytest.mark.parametrize("debt, expected", [
    ("0.01", "40.00"), ("999.99", "40.00"), ("1000.00", "70.00"), ("9999.99", "70.00"),
    ("10000.00", "100.00"), ("250000.00", "100.00"),
])
def test_uk_compensation_bands(debt, expected):
    assert compensation(FeeKind.UK_STATUTORY, m(debt)) == m(expected)
    assert compensation(FeeKind.EU_STATUTORY, m(debt)) == m("40.00")


def test_uk_single_reference_rate_and_fallback_before_the_history_starts():
    # 5% -> 13%: 5,000 x 13% x 30/365 = 53.425 -> 53.42 + 70
    assert fee(UK, "2024-01-31", "2024-03-01", amount="5000.00",
               reference_rate=R("0.05")) == m("123.42")
    # history starts after 31 Dec 2023, so the single rate (4% -> 12%): 49.315 -> 49.32 + 70
    assert fee(UK, "2024-01-31", "2024-03-01", amount="5000.00", reference_rate=R("0.04"),
               reference_rates=((d("2024-08-01"), R("0.05")),)) == m("119.32")


def test_uk_without_a_reference_rate_is_a_problem_and_counts_it_as_zero():
    result = run("2024-03-01", [inv("A", "5000.00", "2023-12-01", due="2024-01-31", row=17)],
                 late_fee=UK)
    # 8% alone: 5,000 x 8% x 30/365 = 32.877 -> 32.88 + 70
    assert result.invoices[0].late_fee == m("102.88")
    (problem,) = result.problems
    assert problem.where == Where(sheet="Invoices", row=17, field="Late Fee")
    assert "2023-12-31" in problem.message and "UK Statutory" in problem.message


def test_no_reference_rate_problem_when_no_interest_is_due():
    result = run("2024-01-31", [inv("A", "5000.00", "2023-12-01", due="2024-01-31")], late_fee=UK)
    assert result.problems == ()


# --- EU Statutory ----------------------------------------------------------------------------

ECB = ((d("2023-09-20"), R("0.045")), (d("2024-06-12"), R("0.0425")))


@pytest.mark.parametrize("due, as_of, expected", [
    # overdue from 1 Jul: the rate of 1 Jul 2024 = 4.25% + 8 = 12.25%:
    # 2,000 x 12.25% x 30/365 = 20.137 -> 20.14, + 40
    ("2024-06-30", "2024-07-30", "60.14"),
    # overdue from 1 Jun: the rate of 1 Jan 2024 = 4.5% -> 12.5%: 30 days = 20.548 -> 20.55 + 40
    ("2024-05-31", "2024-06-30", "60.55"),
])
def test_eu_statutory(due, as_of, expected):
    assert fee(FeePolicy(FeeKind.EU_STATUTORY), due, as_of, amount="2000.00",
               reference_rates=ECB) == m(expected)


@pytest.mark.parametrize("kind, overdue_from, expected", [
    (FeeKind.UK_STATUTORY, "2024-01-01", "2023-12-31"),
    (FeeKind.UK_STATUTORY, "2024-06-30", "2023-12-31"),
    (FeeKind.UK_STATUTORY, "2024-07-01", "2024-06-30"),
    (FeeKind.UK_STATUTORY, "2024-12-31", "2024-06-30"),
    (FeeKind.EU_STATUTORY, "2024-06-30", "2024-01-01"),
    (FeeKind.EU_STATUTORY, "2024-07-01", "2024-07-01"),
])
def test_reference_day(kind, overdue_from, expected):
    assert reference_day(kind, d(overdue_from)) == d(expected)


def test_reference_rates_pick_the_last_entry_on_or_before_the_day():
    rates = ReferenceRates.from_settings(Settings(
        reference_rates=((d("2024-08-01"), R("0.05")), (d("2023-08-03"), R("0.0525"))),  # unsorted
        reference_rate=R("0.01")))
    assert rates.on(d("2023-08-02")) == R("0.01")
    assert rates.on(d("2023-08-03")) == R("0.0525")
    assert rates.on(d("2024-07-31")) == R("0.0525")
    assert rates.on(d("2024-08-01")) == R("0.05")
    assert ReferenceRates.from_settings(Settings()).on(d("2024-01-01")) is None


# --- early-payment discount still on offer ---------------------------------------------------

TWO_TEN = EarlyDiscount(R("0.02"), 10)


@pytest.mark.parametrize("as_of, expected", [
    ("2024-02-25", "20.00"),  # before the invoice date
    ("2024-03-01", "20.00"),
    ("2024-03-11", "20.00"),  # day 10 included
    ("2024-03-12", None),  # day 11
])
def test_discount_available_in_the_window(as_of, expected):
    result = run(as_of, [inv("A", "1000.00", "2024-03-01")], early_discount=TWO_TEN)
    assert result.invoices[0].discount == (m(expected) if expected else None)


def test_discount_after_a_partial_payment_and_not_on_held_credit_or_paid():
    invoices = [inv("A", "1000.00", "2024-03-01"),
                inv("H", "1000.00", "2024-03-01", hold=Hold.DISPUTED),
                inv("CN", "-100.00", "2024-03-01", customer="C-02"),
                inv("P", "500.00", "2024-03-01", customer="C-03")]
    payments = [pay("2024-03-02", "500.00", target="A"), pay("2024-03-02", "500.00", customer="C-03")]
    result = run("2024-03-05", invoices, payments, early_discount=TWO_TEN)
    assert by_id(result, "A").discount == m("20.00")  # 2% of the amount, not of the balance
    assert [by_id(result, i).discount for i in ("H", "CN", "P")] == [None, None, None]
    assert run("2024-03-05", invoices[:1]).invoices[0].discount is None  # no discount offered


def test_discount_is_capped_at_the_balance():
    invoice = inv("A", "1000.00", "2024-03-01")
    assert discount_available(invoice, m("15.00"), d("2024-03-05"), TWO_TEN) == m("15.00")
