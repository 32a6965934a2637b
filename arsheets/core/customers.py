"""Invoice status and the per-customer rollups: balance, overdue, lateness, credit hold."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from ..model import (Activity, ActivityType, Book, Customer, CustomerStatus, Hold, Invoice,
                     InvoiceStatus, PaymentStatus, Settings, Status)
from ..money import ZERO, fmt_plain
from .payments import Group

_TENTH = Decimal("0.1")
# Held invoices still count as overdue debt for Oldest Days Overdue; written-off ones do not.
_STILL_OWED = frozenset({Status.OVERDUE, Status.DISPUTED, Status.ON_HOLD, Status.AGENCY})
_HOLD_WORTHY = frozenset({Status.OVERDUE, Status.AGENCY})
HELD = {hold: Status(hold.value) for hold in Hold}  # a held invoice's status


def invoice_status(invoice: Invoice, balance: Decimal, days_overdue: int,
                   in_plan: bool = False) -> Status:
    if invoice.hold is not None:
        return HELD[invoice.hold]
    if invoice.amount < 0:
        return Status.CREDIT if balance < 0 else Status.PAID
    if not balance:
        return Status.PAID
    if in_plan:
        return Status.IN_PLAN
    return Status.OVERDUE if days_overdue > 0 else Status.OPEN


def last_contacts(activities: Iterable[Activity], as_of: date) -> dict[str, date]:
    """Each customer's latest contact on or before ``as_of``; notes are not contact."""
    latest: dict[str, date] = {}
    for act in activities:
        if act.type is not ActivityType.NOTE and act.date <= as_of:
            seen = latest.get(act.customer_id)
            if seen is None or act.date > seen:
                latest[act.customer_id] = act.date
    return latest


def customer_status(
    customer: Customer,
    group: Group,
    book: Book,
    invoices: Sequence[InvoiceStatus],
    payments: Sequence[PaymentStatus],
    last_contact: date | None,
) -> CustomerStatus:
    """Roll up one customer; ``invoices`` and ``payments`` are indexed like the book's records."""
    settings = book.settings
    balance = overdue = ZERO
    oldest = 0
    late_days, settled = 0, 0
    worst: InvoiceStatus | None = None  # the oldest invoice bad enough for a credit hold
    for i in group.invoices:
        line = invoices[i]
        if line.balance:
            if book.invoices[i].hold is not Hold.WRITTEN_OFF:
                balance += line.balance
            status = line.status
            if status is Status.OVERDUE:
                overdue += line.balance
            if line.balance > ZERO and status in _STILL_OWED:
                oldest = max(oldest, line.days_overdue)
            if (status in _HOLD_WORTHY and line.days_overdue >= settings.credit_hold_days
                    and (worst is None or line.days_overdue > worst.days_overdue)):
                worst = line
        elif line.settled_on is not None and line.paid > ZERO:  # settled, and never after as_of
            late_days += max(0, (line.settled_on - line.due_date).days)
            settled += 1
    for k in group.payments:
        balance -= payments[k].unapplied
    avg = (Decimal(late_days) / settled).quantize(_TENTH, ROUND_HALF_UP) if settled else None
    chronic = avg is not None and avg > settings.chronic_late_days
    return CustomerStatus(
        customer_id=customer.id,
        row=customer.row,
        balance=balance,
        overdue=overdue,
        oldest_days_overdue=oldest,
        avg_days_late=avg,
        credit_hold=credit_hold(customer, balance, worst, settings),
        chronic_late=chronic,
        next_action=chronic_late_action(avg) if chronic else "",
        last_contact=last_contact,
    )


def credit_hold(customer: Customer, balance: Decimal, worst: InvoiceStatus | None,
                settings: Settings) -> str:
    reasons = []
    if worst is not None:
        unit = "day" if worst.days_overdue == 1 else "days"
        reasons.append(f"{worst.invoice_id} is {worst.days_overdue} {unit} overdue")
    limit = customer.credit_limit
    if limit is not None and balance > limit:
        reasons.append(f"balance {fmt_plain(balance)} is over the {fmt_plain(limit)} credit limit")
    return "Yes - " + "; ".join(reasons) if reasons else ""


def chronic_late_action(avg_days_late: Decimal) -> str:
    """The next action for a chronic late payer (the collection ladder will take this over)."""
    return f"Invoice more often: pays {avg_days_late} days late on average"
