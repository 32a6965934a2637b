"""Tracking a plan's payments against its schedule: statuses, totals, default and acceleration."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from arsheets.core.plans import InstallmentStatus, build_schedule, track
from arsheets.model import Frequency, Payment, Plan, PlanStatus

D = Decimal
S = InstallmentStatus
START = date(2024, 1, 15)  # installments due 15 Feb, 15 Mar, 15 Apr


def plan(status=PlanStatus.ACTIVE, **changes) -> Plan:
    return Plan(**(dict(id="PL-1", customer_id="C1", invoice_ids=("INV-1",), start_date=START,
                        installments=3, status=status) | changes))


def schedule_for(p: Plan, principal=D("300.00")):
    return build_schedule(principal, p.installments, start=p.start_date, frequency=p.frequency,
                          annual_rate=p.annual_rate, down_payment=p.down_payment,
                          first_due=p.first_due)


def pay(day: date, amount: str) -> Payment:
    return Payment(date=day, customer_id="C1", amount=D(amount), target="PL-1")


def run(payments, as_of, grace_days=10, p=None, principal=D("300.00")):
    p = p or plan()
    return track(p, schedule_for(p, principal), payments, as_of, grace_days)


def statuses(progress):
    return [r.status for r in progress.installments]


def test_on_time():
    got = run([pay(date(2024, 2, 15), "100"), pay(date(2024, 3, 14), "100")], date(2024, 3, 20))
    assert statuses(got) == [S.PAID, S.PAID, S.DUE]
    assert [r.paid for r in got.installments] == [D(100), D(100), D(0)]
    assert (got.paid, got.remaining, got.unapplied) == (D(200), D(100), D(0))
    assert (got.next_due, got.next_amount) == (date(2024, 4, 15), D("100.00"))
    assert (got.missed, got.overdue, got.defaulted, got.completed) == (0, 0, False, False)
    assert got.default_date is None and got.accelerated_amount is None
    assert (got.plan_id, got.as_of) == ("PL-1", date(2024, 3, 20))


def test_before_anything_is_due_the_first_installment_is_due_and_the_rest_upcoming():
    got = run([], date(2024, 1, 20))
    assert statuses(got) == [S.DUE, S.UPCOMING, S.UPCOMING]
    assert (got.paid, got.remaining, got.next_due) == (D(0), D("300.00"), date(2024, 2, 15))


def test_due_today_and_unpaid_is_not_missed():
    got = run([], date(2024, 2, 15))
    assert statuses(got)[0] is S.DUE and got.missed == 0


def test_partial_payment_carries_forward():
    got = run([pay(date(2024, 2, 10), "150")], date(2024, 3, 1))
    assert statuses(got) == [S.PAID, S.PARTLY_PAID, S.UPCOMING]
    assert [r.owed for r in got.installments] == [D(0), D(50), D(100)]
    assert (got.next_due, got.next_amount, got.missed) == (date(2024, 3, 15), D(50), 0)


def test_partial_then_catch_up():
    payments = [pay(date(2024, 2, 15), "60")]
    behind = run(payments, date(2024, 2, 20))
    assert statuses(behind) == [S.MISSED, S.DUE, S.UPCOMING]
    assert behind.installments[0].paid == D(60)
    assert (behind.missed, behind.overdue, behind.next_due, behind.next_amount) == (
        1, D(40), date(2024, 2, 15), D(40))
    assert not behind.defaulted

    caught_up = run(payments + [pay(date(2024, 3, 10), "140")], date(2024, 3, 12))
    assert statuses(caught_up) == [S.PAID, S.PAID, S.DUE]
    assert (caught_up.paid, caught_up.remaining, caught_up.missed) == (D(200), D(100), 0)


def test_one_missed_within_grace_is_not_a_default():
    got = run([], date(2024, 2, 25), grace_days=10)  # 10 days late: grace is a threshold
    assert statuses(got) == [S.MISSED, S.DUE, S.UPCOMING]
    assert (got.missed, got.defaulted, got.accelerated_amount) == (1, False, None)


def test_missed_beyond_grace_defaults_and_accelerates_the_remaining_balance():
    got = run([], date(2024, 2, 26), grace_days=10)
    assert got.defaulted and got.default_date == date(2024, 2, 26)
    assert got.accelerated_amount == got.remaining == D("300.00")  # interest-free: all of it


def test_grace_zero_defaults_the_day_after_the_due_date():
    got = run([], date(2024, 2, 16), grace_days=0)
    assert got.defaulted and got.default_date == date(2024, 2, 16)


def test_default_date_is_the_first_installment_past_grace():
    got = run([], date(2024, 4, 30), grace_days=5)
    assert statuses(got) == [S.MISSED, S.MISSED, S.MISSED]
    assert (got.missed, got.overdue, got.default_date) == (3, D(300), date(2024, 2, 21))


def test_acceleration_of_an_amortized_plan_leaves_out_unearned_interest():
    p = plan(start_date=date(2024, 1, 31), annual_rate=D("0.12"))
    # 340.02 due 29 Feb, 340.02 due 31 Mar, 340.03 (3.37 of it interest) due 30 Apr.
    got = run([pay(date(2024, 2, 28), "340.02")], date(2024, 4, 10), grace_days=5, p=p,
              principal=D("1000.00"))
    assert statuses(got) == [S.PAID, S.MISSED, S.DUE]
    assert got.defaulted and got.default_date == date(2024, 4, 6)
    assert got.remaining == D("680.05")
    assert got.accelerated_amount == D("340.02") + D("336.66") == got.remaining - D("3.37")


def test_catching_up_cures_a_default():
    late = [pay(date(2024, 3, 20), "100")]
    assert not run(late, date(2024, 3, 21), grace_days=10).defaulted
    assert run([], date(2024, 3, 21), grace_days=10).defaulted


def test_completed():
    payments = [pay(date(2024, 2, 15), "100"), pay(date(2024, 3, 15), "100"),
                pay(date(2024, 4, 1), "100")]
    got = run(payments, date(2024, 4, 2))
    assert statuses(got) == [S.PAID, S.PAID, S.PAID]
    assert got.completed and (got.paid, got.remaining, got.unapplied) == (D(300), D(0), D(0))
    assert (got.next_due, got.next_amount, got.missed, got.defaulted) == (None, None, 0, False)


def test_overpayment_is_left_over():
    got = run([pay(date(2024, 2, 1), "350.00")], date(2024, 2, 2))
    assert got.completed and (got.paid, got.unapplied) == (D(300), D(50))


def test_future_payments_and_refunds_are_not_counted():
    payments = [pay(date(2024, 2, 15), "100"), pay(date(2024, 3, 1), "100"),
                pay(date(2024, 2, 20), "-50"), pay(date(2024, 2, 20), "0")]
    got = run(payments, date(2024, 2, 25))
    assert (got.paid, got.unapplied, got.remaining) == (D(100), D(0), D(200))


def test_down_payment_is_applied_first():
    p = plan(down_payment=D("60.00"))  # 60.00 on 15 Jan, then 80.00 x 3
    got = run([pay(START, "50")], START, p=p)
    assert [r.no for r in got.installments] == [0, 1, 2, 3]
    assert statuses(got) == [S.PARTLY_PAID, S.UPCOMING, S.UPCOMING, S.UPCOMING]
    assert (got.next_due, got.next_amount) == (START, D(10))
    later = run([pay(START, "50")], date(2024, 1, 20), p=p)
    assert statuses(later) == [S.MISSED, S.DUE, S.UPCOMING, S.UPCOMING]
    paid = run([pay(START, "100")], date(2024, 1, 20), p=p)
    assert statuses(paid) == [S.PAID, S.PARTLY_PAID, S.UPCOMING, S.UPCOMING]
    assert paid.installments[1].paid == D(40)


def test_weekly_plan_tracking():
    p = plan(frequency=Frequency.WEEKLY)  # due 22 Jan, 29 Jan, 5 Feb
    got = run([pay(date(2024, 1, 22), "100")], date(2024, 1, 31), grace_days=1, p=p)
    assert statuses(got) == [S.PAID, S.MISSED, S.DUE]
    assert got.defaulted and got.default_date == date(2024, 1, 31)


@pytest.mark.parametrize("status", [PlanStatus.PROPOSED, PlanStatus.CANCELLED])
def test_proposed_and_cancelled_plans_are_not_tracked(status):
    assert run([pay(date(2024, 2, 15), "100")], date(2024, 3, 1), p=plan(status)) is None


@pytest.mark.parametrize("status", [PlanStatus.SIGNED, PlanStatus.ACTIVE, PlanStatus.COMPLETED,
                                    PlanStatus.DEFAULTED])
def test_signed_active_completed_and_defaulted_plans_are_tracked_from_the_payments(status):
    got = run([pay(date(2024, 2, 15), "100")], date(2024, 2, 20), p=plan(status))
    assert (got.paid, got.remaining, got.completed) == (D(100), D(200), False)
