"""Plan schedules against independent numbers: numpy-financial's PMT and IPMT, an exact-fraction
re-computation of the spec's rounding, and hand-worked splits and dates."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import numpy_financial as npf
import pytest

from arsheets.core.plans import PlanError, build_schedule, compare_options
from arsheets.model import Frequency

D = Decimal
M, B, W = Frequency.MONTHLY, Frequency.EVERY_2_WEEKS, Frequency.WEEKLY
PERIODS = {M: 12, B: 26, W: 52}


def half_up(value: Fraction | float) -> Decimal:
    """A non-negative amount to cents, half up; a float via its shortest repr (0.1 stays 0.1)."""
    if isinstance(value, float):
        return D(repr(value)).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    return (D((value * 100 + Fraction(1, 2)).__floor__()) / 100).quantize(D("0.01"))


def oracle_rows(financed: Decimal, n: int, annual: Decimal, frequency: Frequency):
    """The spec's schedule computed with exact fractions and numpy-financial's PMT."""
    rate = float(annual) / PERIODS[frequency]
    payment = half_up(float(npf.pmt(rate, n, -float(financed))))
    balance, rows = financed, []
    for k in range(1, n + 1):
        interest = half_up(Fraction(balance) * Fraction(annual) / PERIODS[frequency])
        pay = balance + interest if k == n else payment
        balance -= pay - interest
        rows.append((pay, interest, pay - interest, balance))
    return payment, rows


CASES = [  # principal, installments, annual rate, frequency, down payment
    (D("1000.00"), 3, D("0.12"), M, D(0)),
    (D("25000.00"), 36, D("0.075"), M, D(0)),
    (D("1000000000.00"), 600, D("0.06"), M, D(0)),
    (D("1000000000.00"), 12, D("0.0999"), M, D(0)),
    (D("4321.09"), 26, D("0.10"), B, D(0)),
    (D("999.99"), 52, D("0.18"), W, D(0)),
    (D("100.00"), 1, D("0.12"), M, D(0)),
    (D("5000.00"), 12, D("0.08"), M, D("1000.00")),
    (D("7777.77"), 24, D("0.0525"), B, D("777.77")),
]


@pytest.mark.parametrize(("principal", "n", "annual", "frequency", "down"), CASES)
def test_amortized_schedule_matches_the_oracle(principal, n, annual, frequency, down):
    s = build_schedule(principal, n, start=date(2024, 1, 31), frequency=frequency,
                       annual_rate=annual, down_payment=down)
    payment, expected = oracle_rows(principal - down, n, annual, frequency)
    installments = [r for r in s.rows if r.no > 0]
    assert s.installment == payment
    assert [(r.payment, r.interest, r.principal, r.balance) for r in installments] == expected
    rate = float(annual) / PERIODS[frequency]
    # IPMT of the exact (unrounded) schedule: equal on the first row, and within what cent
    # rounding can drift on the others.
    owed = -float(principal - down)
    assert installments[0].interest == half_up(float(npf.ipmt(rate, 1, n, owed)))
    for r in installments:
        exact = half_up(float(npf.ipmt(rate, r.no, n, owed)))
        assert abs(r.interest - exact) <= D("0.50")
    assert s.rows[-1].balance == 0 and str(s.rows[-1].balance) == "0.00"
    assert sum(r.payment for r in s.rows) == s.total_payable == principal + s.total_interest
    assert s.principal == principal and s.down_payment == down


def test_hand_worked_amortization():
    # PMT(1%, 3, -1000) = 340.0221 -> 340.02; interest 10.00, 6.6998 -> 6.70, 3.3666 -> 3.37.
    s = build_schedule(D("1000"), 3, start=date(2024, 1, 31), frequency=M, annual_rate=D("0.12"))
    assert [(r.no, r.due, r.payment, r.interest, r.principal, r.balance) for r in s.rows] == [
        (1, date(2024, 2, 29), D("340.02"), D("10.00"), D("330.02"), D("669.98")),
        (2, date(2024, 3, 31), D("340.02"), D("6.70"), D("333.32"), D("336.66")),
        (3, date(2024, 4, 30), D("340.03"), D("3.37"), D("336.66"), D("0.00")),
    ]
    assert (s.installment, s.total_interest, s.total_payable) == (D("340.02"), D("20.07"),
                                                                   D("1020.07"))


def test_interest_half_cent_ties_round_up_though_the_periodic_rate_never_terminates():
    # 6.00 x 7% / 12 = 0.035 exactly; 6.00 x round(0.07 / 12, 28 digits) would give 0.0349999...
    s = build_schedule(D("6.00"), 1, start=date(2024, 1, 31), frequency=M, annual_rate=D("0.07"))
    assert (s.rows[0].interest, s.rows[0].payment) == (D("0.04"), D("6.04"))


@pytest.mark.parametrize(("principal", "n", "expected"), [
    (D("100.00"), 3, ["33.34", "33.33", "33.33"]),
    (D("100.01"), 3, ["33.34", "33.34", "33.33"]),
    (D("0.03"), 3, ["0.01", "0.01", "0.01"]),
    (D("10.00"), 4, ["2.50", "2.50", "2.50", "2.50"]),
    (D("1000000000.00"), 3, ["333333333.34", "333333333.33", "333333333.33"]),
    (D("1000.00"), 1, ["1000.00"]),
])
def test_interest_free_split_puts_extra_cents_first(principal, n, expected):
    s = build_schedule(principal, n, start=date(2024, 1, 15), frequency=M, annual_rate=0)
    assert [str(r.payment) for r in s.rows] == expected
    assert all(r.interest == 0 for r in s.rows)
    assert s.total_interest == 0 and s.total_payable == principal
    assert s.installment == D(expected[0])
    assert [r.balance for r in s.rows][-1] == 0


def test_single_amortized_installment_is_principal_plus_one_period():
    s = build_schedule(D("1000.00"), 1, start=date(2024, 3, 15), frequency=M,
                       annual_rate=D("0.12"))
    assert [(r.due, r.payment, r.interest) for r in s.rows] == [
        (date(2024, 4, 15), D("1010.00"), D("10.00"))]
    assert s.installment == D("1010.00")


def dues(s):
    return [r.due for r in s.rows if r.no > 0]


def test_monthly_from_the_31st_clamps_each_month_from_the_fixed_anchor():
    s = build_schedule(D("1300"), 13, start=date(2024, 1, 31), frequency=M, annual_rate=0)
    assert dues(s) == [date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30), date(2024, 5, 31),
                       date(2024, 6, 30), date(2024, 7, 31), date(2024, 8, 31), date(2024, 9, 30),
                       date(2024, 10, 31), date(2024, 11, 30), date(2024, 12, 31),
                       date(2025, 1, 31), date(2025, 2, 28)]


def test_monthly_in_a_common_year():
    s = build_schedule(D("300"), 3, start=date(2023, 1, 31), frequency=M, annual_rate=0)
    assert dues(s) == [date(2023, 2, 28), date(2023, 3, 31), date(2023, 4, 30)]


def test_monthly_from_29_february_lands_on_28_february_next_year():
    s = build_schedule(D("1200"), 12, start=date(2024, 2, 29), frequency=M, annual_rate=0)
    assert dues(s)[0] == date(2024, 3, 29) and dues(s)[-1] == date(2025, 2, 28)


def test_first_due_is_the_anchor_when_given():
    s = build_schedule(D("300"), 3, start=date(2024, 1, 15), frequency=M, annual_rate=0,
                       first_due=date(2024, 1, 31))
    assert dues(s) == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)]
    # Anchored on a 29 Feb First Due, the plan keeps the 29th.
    s = build_schedule(D("300"), 3, start=date(2024, 2, 1), frequency=M, annual_rate=0,
                       first_due=date(2024, 2, 29))
    assert dues(s) == [date(2024, 2, 29), date(2024, 3, 29), date(2024, 4, 29)]


def test_first_due_does_not_change_the_interest():
    late = build_schedule(D("1000"), 3, start=date(2024, 1, 1), frequency=M, annual_rate=D("0.12"),
                          first_due=date(2024, 6, 1))
    plain = build_schedule(D("1000"), 3, start=date(2024, 1, 1), frequency=M,
                           annual_rate=D("0.12"))
    assert [r.payment for r in late.rows] == [r.payment for r in plain.rows]


def test_weekly_steps_seven_days_across_29_february():
    s = build_schedule(D("300"), 3, start=date(2024, 2, 22), frequency=W, annual_rate=0)
    assert dues(s) == [date(2024, 2, 29), date(2024, 3, 7), date(2024, 3, 14)]


def test_every_two_weeks_steps_fourteen_days():
    s = build_schedule(D("300"), 3, start=date(2024, 2, 15), frequency=B, annual_rate=0)
    assert dues(s) == [date(2024, 2, 29), date(2024, 3, 14), date(2024, 3, 28)]
    s = build_schedule(D("300"), 3, start=date(2024, 2, 15), frequency=B, annual_rate=0,
                       first_due=date(2024, 3, 1))
    assert dues(s) == [date(2024, 3, 1), date(2024, 3, 15), date(2024, 3, 29)]


def test_down_payment_is_row_zero_on_the_start_date_and_reduces_the_principal():
    s = build_schedule(D("1000.00"), 3, start=date(2024, 1, 15), frequency=M, annual_rate=0,
                       down_payment=D("100.00"))
    assert [(r.no, r.due, r.payment, r.interest, r.principal, r.balance) for r in s.rows] == [
        (0, date(2024, 1, 15), D("100.00"), D("0.00"), D("100.00"), D("900.00")),
        (1, date(2024, 2, 15), D("300.00"), D("0.00"), D("300.00"), D("600.00")),
        (2, date(2024, 3, 15), D("300.00"), D("0.00"), D("300.00"), D("300.00")),
        (3, date(2024, 4, 15), D("300.00"), D("0.00"), D("300.00"), D("0.00")),
    ]
    assert (s.installment, s.total_payable, s.last_due) == (D("300.00"), D("1000.00"),
                                                            date(2024, 4, 15))
    amortized = build_schedule(D("1000.00"), 3, start=date(2024, 1, 15), frequency=M,
                               annual_rate=D("0.12"), down_payment=D("100.00"))
    assert amortized.rows[1].interest == D("9.00")  # 1% of the 900.00 left, not of 1,000.00
    assert amortized.total_payable == D("1000.00") + amortized.total_interest


def test_amounts_are_quantized_to_cents_first():
    s = build_schedule(D("100.005"), 2, start=date(2024, 1, 15), frequency=M, annual_rate=0)
    assert s.principal == D("100.01") and [r.payment for r in s.rows] == [D("50.01"), D("50.00")]


def test_six_hundred_installments_are_allowed():
    s = build_schedule(D("600.00"), 600, start=date(2024, 1, 31), frequency=M, annual_rate=0)
    assert len(s.rows) == 600 and s.last_due == date(2074, 1, 31)


REFUSALS = [  # kwargs, field, message
    (dict(principal=D("0")), None, "a plan needs a positive amount owed, not 0.00"),
    (dict(principal=D("-5")), None, "a plan needs a positive amount owed, not -5.00"),
    (dict(down_payment=D("-1")), "Down Payment", "the down payment can't be negative (-1.00)"),
    (dict(down_payment=D("1000")), "Down Payment",
     "the down payment (1,000.00) must be less than the amount owed (1,000.00); if it pays "
     "everything, no plan is needed"),
    (dict(down_payment=D("1500")), "Down Payment",
     "the down payment (1,500.00) must be less than the amount owed (1,000.00); if it pays "
     "everything, no plan is needed"),
    (dict(installments=0), "Installments", "a plan needs at least 1 installment, not 0"),
    (dict(installments=-3), "Installments", "a plan needs at least 1 installment, not -3"),
    (dict(installments=601), "Installments", "a plan can have at most 600 installments, not 601"),
    (dict(principal=D("0.02")), "Installments",
     "0.02 can't be split into 3 installments of at least 0.01; use at most 2"),
    (dict(down_payment=D("999.99")), "Installments",
     "0.01 can't be split into 3 installments of at least 0.01; use at most 1"),
    (dict(annual_rate=D("-0.05")), "Annual Rate", "the annual rate can't be negative (-5%)"),
    (dict(principal=D("1000000000"), installments=600, annual_rate=D("1")), "Annual Rate",
     "at 100% a year, an installment of 83,333,333.33 pays no more than the 83,333,333.33 "
     "interest of one month, so the balance would never go down; lower the rate or use fewer "
     "installments"),
    (dict(principal=D("500"), installments=600, annual_rate=D("0.1164")), "Annual Rate",
     "at 11.64% a year, installments of 4.86 (rounded to the cent) would leave 192.52 for the "
     "last one; lower the rate or use fewer installments"),
    (dict(principal=D("0.15"), installments=10, annual_rate=D("0.01")), "Installments",
     "installments of 0.02 (rounded to the cent) would pay off 0.15 before the last of 10; use "
     "fewer installments"),
    (dict(first_due=date(2024, 1, 1)), "First Due",
     "the first installment can't be due (2024-01-01) before the plan starts (2024-01-15)"),
]


@pytest.mark.parametrize(("changes", "field", "message"), REFUSALS)
def test_impossible_plans_are_refused_in_plain_words(changes, field, message):
    kwargs = dict(principal=D("1000"), installments=3, start=date(2024, 1, 15), frequency=M,
                  annual_rate=D(0), down_payment=D(0), first_due=None) | changes
    with pytest.raises(PlanError) as info:
        build_schedule(kwargs.pop("principal"), kwargs.pop("installments"), **kwargs)
    assert str(info.value) == message
    assert isinstance(info.value, ValueError)
    assert info.value.field == field
    problem = info.value.problem(7)
    assert (problem.where.sheet, problem.where.row, problem.where.field) == ("Plans", 7, field)
    assert problem.message == message


def test_compare_options_lists_every_rate_with_every_count():
    options = compare_options(D("1200.00"), start=date(2024, 1, 31), rates=(0, D("0.12")))
    assert [(o.annual_rate, o.installments) for o in options] == [
        (0, 3), (0, 6), (0, 12), (D("0.12"), 3), (D("0.12"), 6), (D("0.12"), 12)]
    for o in options:
        s = build_schedule(D("1200.00"), o.installments, start=date(2024, 1, 31), frequency=M,
                           annual_rate=o.annual_rate)
        assert (o.installment, o.total_interest, o.total_payable, o.last_due, o.problem) == (
            s.installment, s.total_interest, s.total_payable, s.last_due, None)
    assert options[0].installment == D("400.00") and options[2].last_due == date(2025, 1, 31)


def test_compare_options_drops_repeated_rates_and_passes_frequency_and_down_payment():
    options = compare_options(D("1000.00"), start=date(2024, 1, 1), rates=(0, D("0.00")),
                              counts=(2,), frequency=W, down_payment=D("100.00"))
    assert len(options) == 1
    assert (options[0].installment, options[0].last_due) == (D("450.00"), date(2024, 1, 15))


def test_compare_options_reports_an_impossible_count_on_its_own_line():
    options = compare_options(D("0.05"), start=date(2024, 1, 1), rates=(0,), counts=(3, 6))
    assert options[0].installment == D("0.02") and options[0].problem is None
    assert options[1].installment is None and options[1].last_due is None
    assert options[1].problem == ("0.05 can't be split into 6 installments of at least 0.01; use "
                                  "at most 5")


def test_compare_options_refuses_an_amount_no_plan_can_take():
    with pytest.raises(PlanError, match="positive amount owed"):
        compare_options(D("0"), start=date(2024, 1, 1), rates=(0,))
