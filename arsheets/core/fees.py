"""Late fees under the seven policies, and the early-payment discount still on offer.

A fee is worked out exactly and rounded once, to cents, at the end; interest is simple, accrued
actual/365 on the balance that was outstanding each day (partial payments reduce it from their
date). Flat and Percent Once are charged once the grace period is over (grace is a threshold);
interest starts after it (grace is a shift: grace days are never charged).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from ..errors import Problem, Where
from ..model import Customer, EarlyDiscount, FeeKind, FeePolicy, Invoice, Settings
from ..money import ZERO, cents
from .payments import History, balance_on

_YEAR_DAYS = Decimal(365)  # also in leap years, as the UK act and the policies say
_MONTHS = Decimal(12)
_STATUTORY_MARGIN = Decimal("0.08")  # 8 points over the reference rate (UK act, EU directive)
_EU_COMPENSATION = Decimal("40.00")
_UK_COMPENSATION = ((Decimal(1000), Decimal("40.00")), (Decimal(10000), Decimal("70.00")))
_UK_COMPENSATION_TOP = Decimal("100.00")


def policy_for(customer: Customer | None, settings: Settings) -> FeePolicy:
    if customer is not None and customer.late_fee is not None:
        return customer.late_fee
    return settings.late_fee


@dataclass(frozen=True, slots=True)
class ReferenceRates:
    """The central-bank rate in force on a day: the dated history first, else the single rate."""

    dates: tuple[date, ...] = ()
    rates: tuple[Decimal, ...] = ()
    fallback: Decimal | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ReferenceRates:
        history = sorted(settings.reference_rates)
        return cls(tuple(d for d, _ in history), tuple(r for _, r in history), settings.reference_rate)

    def on(self, day: date) -> Decimal | None:
        k = bisect_right(self.dates, day)
        return self.rates[k - 1] if k else self.fallback


def late_fee(
    invoice: Invoice,
    policy: FeePolicy,
    due: date,
    balance: Decimal,
    history: History | None,
    as_of: date,
    rates: ReferenceRates,
    *,
    in_plan: bool = False,
) -> tuple[Decimal, Problem | None]:
    """The fee owed on ``invoice`` as of ``as_of``, and a problem when a needed rate is missing.

    ``balance`` and ``history`` are the invoice's from :func:`~arsheets.core.payments.apply_payments`.
    """
    if (policy.kind is FeeKind.NONE or invoice.hold is not None or invoice.amount <= 0
            or balance <= 0 or in_plan):
        return ZERO, None
    grace = policy.grace_days
    if (as_of - due).days <= grace:
        return ZERO, None
    start = due + timedelta(days=grace)  # the last day of grace; charging begins the day after
    kind, rate, problem = policy.kind, policy.rate or ZERO, None
    if kind is FeeKind.FLAT:
        raw = policy.amount or ZERO
    elif kind is FeeKind.PERCENT_ONCE:
        raw = rate * balance_on(invoice.amount, history, start)
    elif kind is FeeKind.MONTHLY_RATE:
        raw = interest(invoice.amount, history, start, as_of, rate * _MONTHS)
    elif kind is FeeKind.ANNUAL_RATE:
        raw = interest(invoice.amount, history, start, as_of, rate)
    else:
        ref_day = reference_day(kind, due + timedelta(days=1))
        reference = rates.on(ref_day)
        if reference is None:
            problem = Problem(
                Where(sheet="Invoices", row=invoice.row, field="Late Fee"),
                f"no reference rate in force on {ref_day.isoformat()} for {kind} interest; "
                "counted as 0%, so interest is at the 8% margin alone",
                "add a Reference Rate on the Settings sheet",
            )
            reference = ZERO
        raw = interest(invoice.amount, history, start, as_of, reference + _STATUTORY_MARGIN)
        raw += compensation(kind, balance_on(invoice.amount, history, due))
    if raw <= 0:
        return ZERO, problem
    fee = cents(raw)
    # Only now, with some fee owed, do the bounds apply: a minimum never creates a fee.
    if policy.minimum is not None and fee < policy.minimum:
        fee = policy.minimum
    if policy.maximum is not None and fee > policy.maximum:
        fee = policy.maximum
    return fee, problem


def interest(amount: Decimal, history: History | None, start: date, end: date,
             annual_rate: Decimal) -> Decimal:
    """Simple interest from the day after ``start`` to ``end``, actual/365, unrounded.

    Sums balance x days over the spans of constant balance, then applies the rate once, so no
    daily amount is ever rounded.
    """
    balance, since, weighted = amount, start, Decimal(0)
    for day, after in history or ():
        if day > since:
            weighted += balance * (day - since).days
            since = day
        balance = after
    weighted += balance * (end - since).days
    return weighted * annual_rate / _YEAR_DAYS


def reference_day(kind: FeeKind, overdue_from: date) -> date:
    """The day whose reference rate a debt keeps for life, by the half-year it became overdue in.

    UK: the rate on 31 December (overdue in January to June) or 30 June (July to December) before.
    EU: the rate on 1 January or 1 July of that half-year.
    """
    first_half = overdue_from.month <= 6
    if kind is FeeKind.UK_STATUTORY:
        return date(overdue_from.year - 1, 12, 31) if first_half else date(overdue_from.year, 6, 30)
    return date(overdue_from.year, 1 if first_half else 7, 1)


def compensation(kind: FeeKind, debt: Decimal) -> Decimal:
    """Fixed compensation for a late debt: EU 40; UK 40, 70 or 100 by the size of the debt."""
    if kind is FeeKind.EU_STATUTORY:
        return _EU_COMPENSATION
    for below, fixed in _UK_COMPENSATION:
        if debt < below:
            return fixed
    return _UK_COMPENSATION_TOP


def discount_available(invoice: Invoice, balance: Decimal, as_of: date,
                       offer: EarlyDiscount | None) -> Decimal | None:
    """The early-payment discount the customer can still take, capped at what is owed."""
    if (offer is None or invoice.hold is not None or invoice.amount <= 0 or balance <= 0
            or as_of > invoice.invoice_date + timedelta(days=offer.days)):
        return None
    discount = min(cents(offer.rate * invoice.amount), balance)
    return discount if discount > 0 else None
