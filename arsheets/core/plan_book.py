"""Payment plans in the book: which payments pay which plan, what each plan covers, how it stands.

A plan in force (Signed, Active, Completed, or marked Defaulted) takes its invoices out of ordinary
collection from its Start Date: ordinary payments and credits no longer reach them, and the
customer's payments from then on pay the plan's schedule instead: those naming the plan or one of
its invoices, and those naming nothing. The plan's principal is what its invoices still owed the day
before it started (a plan starting later than the as-of date: what they owe now). Each payment's share of principal
(interest first within an installment, as a lender applies it) pays the invoices off, oldest first.
While the plan is in force its invoices are `In plan`: no late fees, no letters. Once it is in
default (an installment unpaid past the grace days, or the bookkeeper marked it Defaulted) they
return to ordinary collection with the whole remaining balance due, and fees accrue again from
the default date.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from ..errors import Problem, Where
from ..model import Allocation, Book, Payment, PaymentStatus, Plan, PlanStatus
from ..money import ZERO, fmt_plain
from .payments import Group, Ledger, apply_payments
from .plans import PlanError, PlanProgress, Schedule, build_schedule, track

IN_FORCE = frozenset({PlanStatus.SIGNED, PlanStatus.ACTIVE, PlanStatus.COMPLETED,
                      PlanStatus.DEFAULTED})
_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class PlanResult:
    """One Plans row worked out: its schedule and, once in force, how it is being paid."""

    plan: Plan
    principal: Decimal | None  # None for a cancelled plan
    schedule: Schedule | None  # None when no schedule can be built (see the row's problem)
    progress: PlanProgress | None  # None unless the plan is in force
    defaulted: bool = False  # in default: computed past grace, or marked Defaulted

    @property
    def in_force(self) -> bool:
        return self.progress is not None and not self.defaulted

    @property
    def default_date(self) -> date | None:
        """When the plan went into default; for one marked Defaulted with no installment past its
        grace, the day it started (the plan's terms no longer hold from then on)."""
        if self.progress is not None and self.progress.default_date is not None:
            return self.progress.default_date
        return self.plan.start_date if self.defaulted else None


@dataclass(frozen=True, slots=True)
class Routing:
    """What plans take out of ordinary payment application."""

    plans: dict[str, tuple[int, ...]]  # plan id -> its invoices (indexes into book.invoices)
    payments: dict[str, tuple[int, ...]]  # plan id -> its payments, in date order
    closed_from: dict[int, date]  # invoice index -> the start of the plan that covers it

    @property
    def routed(self) -> frozenset[int]:
        return frozenset(k for ks in self.payments.values() for k in ks)


def apply_with_plans(book: Book, as_of: date, groups: dict[str, Group],
                     grace_days: int) -> tuple[Ledger, PlanEffects, list[Problem]]:
    """Ordinary payment application with the plans' money taken out, then the plans themselves.

    A plan in force that cannot be scheduled (its invoices were paid off before it started, say)
    takes nothing: it is reported, and the application runs again without it.
    """
    skip: frozenset[str] = frozenset()
    while True:
        routing, problems = route(book, groups, skip)
        ledger = apply_payments(book, as_of, groups, routed=routing.routed,
                                closed_from=routing.closed_from)
        plans = evaluate(book, as_of, groups, routing, ledger, grace_days)
        unscheduled = frozenset(r.plan.id for r in plans.results
                                if r.plan.id in routing.plans and r.schedule is None)
        if not unscheduled:
            return ledger, plans, problems
        skip |= unscheduled


def route(book: Book, groups: dict[str, Group],
          skip: frozenset[str] = frozenset()) -> tuple[Routing, list[Problem]]:
    """Find each in-force plan's invoices and payments (leaving out the plans in ``skip``)."""
    plans: dict[str, tuple[int, ...]] = {}
    taken: dict[str, list[int]] = {}
    closed: dict[int, date] = {}
    problems: list[Problem] = []
    by_customer: dict[str, list[Plan]] = {}
    for plan in book.plans:
        if plan.status in IN_FORCE and plan.id not in skip:
            by_customer.setdefault(plan.customer_id, []).append(plan)
    for customer_id, customer_plans in by_customer.items():
        group = groups.get(customer_id, Group())
        ids = {book.invoices[i].id: i for i in group.invoices}
        customer_plans.sort(key=lambda p: (p.start_date, p.row))
        for plan in customer_plans:
            covered = []
            for invoice_id in plan.invoice_ids:
                i = ids.get(invoice_id)
                if i is None or book.invoices[i].amount <= 0:
                    problems.append(_not_covered(plan, invoice_id))
                elif i in closed:
                    problems.append(Problem(
                        Where("Plans", plan.row, field="Invoices"),
                        f"{invoice_id} is already in an earlier plan",
                        "take it out of one of the two plans"))
                else:
                    covered.append(i)
                    closed[i] = plan.start_date
            plans[plan.id] = tuple(covered)
            taken[plan.id] = []
        # A payment pays the plan it names, or the plan one of its invoices is in; an unnamed one
        # pays the latest plan started on or before it.
        starts = [p.start_date for p in customer_plans]
        owner = {book.invoices[i].id: p.id for p in customer_plans for i in plans[p.id]}
        for k in sorted(group.payments, key=lambda k: (book.payments[k].date, book.payments[k].row)):
            pay = book.payments[k]
            target = pay.target
            if target in plans:
                taken[target].append(k)
            elif target in owner and pay.date >= closed[ids[target]]:
                taken[owner[target]].append(k)
            elif target is None:
                at = bisect_left(starts, pay.date + _DAY) - 1
                if at >= 0:
                    taken[customer_plans[at].id].append(k)
    return Routing(plans, {pid: tuple(ks) for pid, ks in taken.items()}, closed), problems


def _not_covered(plan: Plan, invoice_id: str) -> Problem:
    return Problem(Where("Plans", plan.row, field="Invoices"),
                   f"{invoice_id} is not an invoice of customer {plan.customer_id}",
                   "list that customer's invoice numbers, separated by ;")


@dataclass(frozen=True, slots=True)
class PlanEffects:
    """Everything the rest of the refresh needs from the plans."""

    results: tuple[PlanResult, ...]  # in the order of book.plans
    paid_off: dict[int, Decimal]  # invoice index -> principal a plan paid toward it
    settled_on: dict[int, date]  # invoice index -> the day a plan payment cleared it
    in_plan: frozenset[int]  # invoices of plans in force: In plan, no fees, no letters
    defaulted_from: dict[int, date]  # invoices of plans in default -> the default date
    payments: dict[int, PaymentStatus]  # routed payment index -> where it went
    problems: tuple[Problem, ...]


def evaluate(book: Book, as_of: date, groups: dict[str, Group], routing: Routing,
             ledger: Ledger, grace_days: int) -> PlanEffects:
    """Schedule and track every plan, given the ordinary ledger (which left plan money out)."""
    results: list[PlanResult] = []
    problems: list[Problem] = []
    paid_off: dict[int, Decimal] = {}
    settled_on: dict[int, date] = {}
    in_plan: set[int] = set()
    defaulted_from: dict[int, date] = {}
    statuses: dict[int, PaymentStatus] = {}
    for plan in book.plans:
        if plan.status is PlanStatus.CANCELLED:
            results.append(PlanResult(plan, None, None, None))
            continue
        in_force = plan.id in routing.plans
        if in_force:
            covered = routing.plans[plan.id]
        else:  # Proposed, or in force but unschedulable: nothing is routed to it
            covered = _proposed_invoices(book, groups, plan, problems)
        # No ordinary money reaches a plan's invoices after its start, so what the ledger says
        # they owe is what they owed the day before: the principal stays fixed while it is paid.
        principal = sum((ledger.balance[i] for i in covered), ZERO)
        schedule = _schedule(plan, principal, problems)
        if schedule is None or not in_force:
            results.append(PlanResult(plan, principal, schedule, None))
            continue
        paid_payments = [book.payments[k] for k in routing.payments.get(plan.id, ())]
        progress = track(plan, schedule, paid_payments, as_of, grace_days)
        defaulted = progress.defaulted or plan.status is PlanStatus.DEFAULTED
        if progress.defaulted and plan.status is not PlanStatus.DEFAULTED:
            problems.append(_default_notice(plan, progress, grace_days, as_of))
        result = PlanResult(plan, principal, schedule, progress, defaulted)
        results.append(result)
        statuses.update(_payment_statuses(plan, schedule, routing.payments.get(plan.id, ()),
                                          book.payments, as_of))
        _pay_off(book, ledger, covered, schedule, paid_payments, as_of, paid_off, settled_on)
        if defaulted:
            for i in covered:
                defaulted_from[i] = result.default_date
        else:
            in_plan.update(covered)
    return PlanEffects(tuple(results), paid_off, settled_on, frozenset(in_plan), defaulted_from,
                       statuses, tuple(problems))


def _default_notice(plan: Plan, progress: PlanProgress, grace_days: int, as_of: date) -> Problem:
    """The Status column is the bookkeeper's, so arsheets says the plan is in default rather than
    changing it."""
    first = next(p for p in progress.installments if p.owed and (as_of - p.due).days > grace_days)
    late = (as_of - first.due).days
    return Problem(
        Where("Plans", plan.row, field="Status"),
        f"installment {first.no} ({fmt_plain(first.owed)} due {first.due.isoformat()}) is {late} "
        f"days late, past the {grace_days} grace days: the plan is in default and "
        f"{fmt_plain(progress.accelerated_amount)} is due now",
        "call the customer; set Status to Defaulted once you have acted on it")


def _proposed_invoices(book: Book, groups: dict[str, Group], plan: Plan,
                       problems: list[Problem]) -> tuple[int, ...]:
    group = groups.get(plan.customer_id, Group())
    ids = {book.invoices[i].id: i for i in group.invoices}
    covered = []
    for invoice_id in plan.invoice_ids:
        i = ids.get(invoice_id)
        if i is None or book.invoices[i].amount <= 0:
            problems.append(_not_covered(plan, invoice_id))
        else:
            covered.append(i)
    return tuple(covered)


def _schedule(plan: Plan, principal: Decimal, problems: list[Problem]) -> Schedule | None:
    try:
        return build_schedule(principal, plan.installments, start=plan.start_date,
                              frequency=plan.frequency, annual_rate=plan.annual_rate,
                              down_payment=plan.down_payment, first_due=plan.first_due)
    except PlanError as error:
        problems.append(error.problem(plan.row))
        return None


def _principal_paid(schedule: Schedule, paid: Decimal) -> Decimal:
    """The principal within ``paid``: each installment pays its interest first."""
    principal = ZERO
    for row in schedule.rows:
        if paid <= 0:
            break
        on_row = min(paid, row.payment)
        principal += max(ZERO, on_row - row.interest)
        paid -= on_row
    return principal


def _pay_off(book: Book, ledger: Ledger, covered: Sequence[int], schedule: Schedule,
             payments: Sequence[Payment], as_of: date, paid_off: dict[int, Decimal],
             settled_on: dict[int, date]) -> None:
    """Spread the principal paid so far over the plan's invoices, oldest first, noting the day
    each one was cleared."""
    order = sorted(covered, key=lambda i: (ledger.due[i], book.invoices[i].invoice_date,
                                           book.invoices[i].id))
    received = ZERO
    cleared = ZERO  # principal spread so far
    for pay in payments:
        if pay.date > as_of or pay.amount <= 0:
            continue
        received += pay.amount
        principal = min(_principal_paid(schedule, received), schedule.principal)
        spread, cleared = principal - cleared, principal
        for i in order:
            if spread <= 0:
                break
            owed = ledger.balance[i] - paid_off.get(i, ZERO)
            if owed <= 0:
                continue
            used = min(owed, spread)
            paid_off[i] = paid_off.get(i, ZERO) + used
            spread -= used
            if used == owed:
                settled_on[i] = pay.date


def _payment_statuses(plan: Plan, schedule: Schedule, ks: Sequence[int],
                      payments: Sequence[Payment], as_of: date) -> dict[int, PaymentStatus]:
    """Each routed payment's Applied To: the plan, up to what the schedule still needed."""
    out: dict[int, PaymentStatus] = {}
    room = schedule.total_payable
    for k in ks:
        pay = payments[k]
        if pay.date > as_of:
            out[k] = PaymentStatus(pay.row, (), ZERO, future=True)
        elif pay.amount <= 0:
            out[k] = PaymentStatus(pay.row, (), pay.amount)
        else:
            used = min(room, pay.amount)
            room -= used
            applied = (Allocation(plan.id, used),) if used else ()
            out[k] = PaymentStatus(pay.row, applied, pay.amount - used)
    return out
