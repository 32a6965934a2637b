"""Payment plans inside a refresh: routing payments, In plan invoices, default and acceleration.

The worked example: C-01 owes INV-1 1,000.00 (200.00 paid before the plan) and INV-2 500.00.
Plan P-1 starts 2026-01-10 with three interest-free monthly installments of 1,300.00:
433.34 on 2026-02-10, 433.33 on 2026-03-10, 433.33 on 2026-04-10.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from arsheets.model import FeeKind, FeePolicy, Plan, PlanStatus, Status
from arsheets.money import ZERO
from factories import by_id, d, inv, m, pay, run

INVOICES = [inv("INV-1", "1000.00", "2025-10-01", due="2025-10-31"),
            inv("INV-2", "500.00", "2025-11-01", due="2025-12-01")]
BEFORE = pay("2025-12-15", "200.00")  # ordinary, before the plan: oldest first, to INV-1
PLAN = Plan("P-1", "C-01", ("INV-1", "INV-2"), d("2026-01-10"), 3, row=2,
            status=PlanStatus.SIGNED)
FEES = FeePolicy(FeeKind.MONTHLY_RATE, rate=Decimal("0.015"))


def refresh(as_of, payments=(), plan=PLAN, **kw):
    return run(as_of, INVOICES, [BEFORE, *payments], plans=(plan,), late_fee=FEES, **kw)


def test_principal_is_what_the_invoices_owed_before_the_start_and_schedule_splits_it():
    (result,) = refresh("2026-01-20").plans
    assert result.principal == m("1300.00")
    assert [r.payment for r in result.schedule.rows] == [m("433.34"), m("433.33"), m("433.33")]
    assert [r.due for r in result.schedule.rows] == [d("2026-02-10"), d("2026-03-10"),
                                                       d("2026-04-10")]


def test_plan_payments_pay_the_schedule_and_clear_invoices_oldest_first():
    payments = [pay("2026-02-10", "433.34", target="P-1"), pay("2026-03-09", "433.33")]
    result = refresh("2026-03-20", payments)
    (plan,) = result.plans
    progress = plan.progress
    assert (progress.paid, progress.remaining) == (m("866.67"), m("433.33"))
    assert (progress.next_due, progress.next_amount, progress.missed) == (
        d("2026-04-10"), m("433.33"), 0)
    # 866.67 of principal: INV-1's 800.00 first, then 66.67 of INV-2
    first, second = by_id(result, "INV-1"), by_id(result, "INV-2")
    assert (first.balance, first.status, first.settled_on) == (ZERO, Status.PAID, d("2026-03-09"))
    assert (second.paid, second.balance, second.status) == (m("66.67"), m("433.33"),
                                                            Status.IN_PLAN)
    assert second.late_fee == ZERO and second.discount is None
    named, unnamed = result.payments[1], result.payments[2]
    assert [(a.invoice_id, a.amount) for a in named.applied] == [("P-1", m("433.34"))]
    assert [(a.invoice_id, a.amount) for a in unnamed.applied] == [("P-1", m("433.33"))]
    assert unnamed.unapplied == ZERO
    assert result.problems == ()


def test_payment_naming_an_invoice_in_the_plan_pays_the_plan():
    result = refresh("2026-02-20", [pay("2026-02-10", "433.34", target="INV-2")])
    assert [(a.invoice_id, a.amount) for a in result.payments[1].applied] == [("P-1", m("433.34"))]
    assert by_id(result, "INV-1").balance == m("366.66")  # principal goes oldest first


def test_payments_before_the_start_stay_ordinary():
    result = refresh("2026-02-20")
    assert [(a.invoice_id, a.amount) for a in result.payments[0].applied] == [("INV-1", m("200.00"))]


def test_overpaying_the_plan_leaves_the_rest_unapplied():
    result = refresh("2026-02-20", [pay("2026-02-10", "1500.00", target="P-1")])
    status = result.payments[1]
    assert status.applied[0].amount == m("1300.00") and status.unapplied == m("200.00")
    assert result.plans[0].progress.remaining == ZERO
    assert {by_id(result, i).status for i in ("INV-1", "INV-2")} == {Status.PAID}


def test_missed_installment_within_grace_is_missed_not_defaulted():
    result = refresh("2026-03-15", [pay("2026-02-10", "433.34", target="P-1")], plan_grace_days=10)
    plan = result.plans[0]
    assert plan.progress.missed == 1 and not plan.defaulted
    assert by_id(result, "INV-2").status is Status.IN_PLAN
    assert result.problems == ()


def test_missed_beyond_grace_defaults_accelerates_and_returns_invoices_to_collection():
    result = refresh("2026-03-25", [pay("2026-02-10", "433.34", target="P-1")], plan_grace_days=10)
    plan = result.plans[0]
    assert plan.defaulted and plan.default_date == d("2026-03-21")  # due 3-10, 10 days' grace
    assert plan.progress.accelerated_amount == m("866.66")  # everything left: no interest
    second = by_id(result, "INV-2")
    assert second.status is Status.OVERDUE
    # fees run again from the default date: 4 days (3-22..3-25) at 18% a year on 866.66 - 433.34
    # of INV-1 paid off first -> INV-1 366.66 and INV-2 500.00 still owed
    first = by_id(result, "INV-1")
    assert first.balance == m("366.66") and second.balance == m("500.00")
    assert second.late_fee == m("0.99")  # 500 x 0.18 x 4 / 365 = 0.986...
    (notice,) = result.problems
    assert notice.where.sheet == "Plans" and notice.where.field == "Status"
    assert "installment 2 (433.33 due 2026-03-10) is 15 days late" in notice.message
    assert "866.66 is due now" in notice.message


def test_plan_marked_defaulted_by_the_bookkeeper_gives_no_notice():
    result = refresh("2026-03-25", [pay("2026-02-10", "433.34", target="P-1")],
                     plan=replace(PLAN, status=PlanStatus.DEFAULTED))
    assert result.plans[0].defaulted and result.problems == ()
    assert by_id(result, "INV-2").status is Status.OVERDUE


def test_proposed_plan_schedules_today_s_balances_and_changes_nothing_else():
    result = refresh("2026-01-20", [pay("2026-01-15", "100.00")],
                     plan=replace(PLAN, status=PlanStatus.PROPOSED))
    plan = result.plans[0]
    assert plan.principal == m("1200.00") and plan.progress is None
    assert by_id(result, "INV-1").status is Status.OVERDUE
    assert by_id(result, "INV-1").late_fee > ZERO
    assert result.payments[1].applied[0].invoice_id == "INV-1"


def test_cancelled_plan_is_ignored():
    result = refresh("2026-02-20", [pay("2026-02-10", "100.00")],
                     plan=replace(PLAN, status=PlanStatus.CANCELLED))
    assert result.plans[0].schedule is None
    assert result.payments[1].applied[0].invoice_id == "INV-1"


def test_interest_is_paid_before_principal_within_an_installment():
    plan = replace(PLAN, annual_rate=Decimal("0.12"))
    result = refresh("2026-02-20", [pay("2026-02-10", "100.00", target="P-1")], plan=plan)
    schedule = result.plans[0].schedule
    assert schedule.rows[0].interest == m("13.00")  # 1,300.00 x 1%
    assert by_id(result, "INV-1").balance == m("800.00") - m("87.00")


def test_plan_listing_an_unknown_invoice_is_a_problem_on_the_plan_row():
    plan = replace(PLAN, invoice_ids=("INV-1", "INV-9"))
    result = refresh("2026-01-20", plan=plan)
    (problem,) = result.problems
    assert (problem.where.sheet, problem.where.row, problem.where.field) == ("Plans", 2, "Invoices")
    assert "INV-9 is not an invoice of customer C-01" in problem.message
    assert result.plans[0].principal == m("800.00")


def test_impossible_plan_is_a_problem_and_its_invoices_stay_in_ordinary_collection():
    plan = replace(PLAN, installments=0)
    result = refresh("2026-01-20", plan=plan)
    (problem,) = result.problems
    assert problem.where.sheet == "Plans" and result.plans[0].schedule is None
    assert by_id(result, "INV-1").status is Status.OVERDUE


def test_unschedulable_plan_in_force_takes_no_payments():
    """Everything was paid before the start: principal 0 cannot be scheduled, so the payments
    after the start go to invoices as usual instead of vanishing into a plan that isn't there."""
    plan = replace(PLAN, invoice_ids=("INV-1",))
    result = refresh("2026-02-20", [pay("2026-01-05", "800.00", target="INV-1"),
                                    pay("2026-02-10", "100.00")], plan=plan)
    (problem,) = result.problems
    assert problem.where.sheet == "Plans"
    assert result.plans[0].schedule is None and result.plans[0].progress is None
    assert [(a.invoice_id, a.amount) for a in result.payments[2].applied] == [("INV-2", m("100.00"))]
