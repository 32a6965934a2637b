"""Days overdue, aging buckets, the Aging report and DSO."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from ..model import (AgingBasis, AgingReport, AgingRow, Book, CustomerStatus, Hold, Invoice,
                     InvoiceStatus, PaymentStatus)
from ..money import ZERO
from .calendar import days_in_month
from .payments import Group

_FRACTION = Decimal("0.0001")
_TENTH = Decimal("0.1")


@dataclass(frozen=True, slots=True)
class Buckets:
    """Aging buckets from their edges: (30, 60, 90) -> Current, 1-30, 31-60, 61-90, 91+."""

    edges: tuple[int, ...]
    labels: tuple[str, ...]

    @classmethod
    def from_edges(cls, edges: Sequence[int]) -> Buckets:
        lows = (1, *(edge + 1 for edge in edges))
        labels = ("Current", *(f"{low}-{edge}" for low, edge in zip(lows, edges)), f"{lows[-1]}+")
        return cls(tuple(edges), labels)

    def index(self, days: int) -> int:
        """The bucket of a line ``days`` old: Current when not yet due or due today."""
        return 0 if days <= 0 else 1 + bisect_left(self.edges, days)


def days_overdue(due: date, balance: Decimal, is_credit: bool, as_of: date) -> int:
    if is_credit or balance <= 0:
        return 0
    return max(0, (as_of - due).days)


def age(invoice: Invoice, due: date, basis: AgingBasis, as_of: date) -> int:
    """Days a line has aged; a credit note ages from its own date under either basis."""
    if basis is AgingBasis.INVOICE_DATE or invoice.amount < 0:
        return (as_of - invoice.invoice_date).days
    return (as_of - due).days


def aging_report(
    book: Book,
    as_of: date,
    buckets: Buckets,
    groups: dict[str, Group],
    invoices: Sequence[InvoiceStatus],
    payments: Sequence[PaymentStatus],
    customers: Sequence[CustomerStatus],
) -> AgingReport:
    """One row per customer owing (or owed) anything, in the order of ``book.customers``.

    ``invoices``, ``payments`` and ``customers`` are the statuses, indexed like the book's records.
    Written-off invoices are left out; held ones are still receivable. Credit notes and unapplied
    payments are negative lines, aged by their own date.
    """
    position = {label: k for k, label in enumerate(buckets.labels)}
    width = len(buckets.labels)
    rows: list[AgingRow] = []
    totals = [ZERO] * width
    empty = Group()
    for customer, status in zip(book.customers, customers):
        group = groups.get(customer.id, empty)
        sums = [ZERO] * width
        for i in group.invoices:
            line = invoices[i]
            if line.aging is not None and book.invoices[i].hold is not Hold.WRITTEN_OFF:
                sums[position[line.aging]] += line.balance
        for k in group.payments:
            if payments[k].unapplied:
                sums[buckets.index((as_of - book.payments[k].date).days)] -= payments[k].unapplied
        total = sum(sums, ZERO)
        if not total:
            continue
        rows.append(AgingRow(customer.id, customer.name, tuple(sums), total,
                             _fraction(total - sums[0], total) if total > 0 else None,
                             status.credit_hold))
        totals = [a + b for a, b in zip(totals, sums)]
    grand = sum(totals, ZERO)
    return AgingReport(
        as_of=as_of,
        basis=book.settings.aging_basis,
        labels=buckets.labels,
        rows=tuple(rows),
        totals=tuple(totals),
        total=grand,
        percents=tuple(_fraction(t, grand) for t in totals),
        pct_overdue=_fraction(grand - totals[0], grand) if grand > 0 else None,
        dso=dso(book.invoices, as_of, grand),
    )


def dso(invoices: Iterable[Invoice], as_of: date, receivable: Decimal) -> Decimal | None:
    """Days sales outstanding by the countback method, one decimal.

    Walking back month by month from ``as_of`` (the current month counts its days up to ``as_of``),
    each month's net credit sales are taken off the receivable until a month's sales cover what is
    left; that month adds its share of days. None when nothing was ever invoiced.
    """
    sales: dict[tuple[int, int], Decimal] = {}
    invoiced = False
    for inv in invoices:
        if inv.invoice_date <= as_of:
            month = (inv.invoice_date.year, inv.invoice_date.month)
            sales[month] = sales.get(month, ZERO) + inv.amount
            invoiced = invoiced or inv.amount > 0
    if not invoiced:
        return None
    if receivable <= 0:
        return Decimal("0.0")
    first = min(sales)
    left, days = receivable, Decimal(0)
    year, month, period = as_of.year, as_of.month, as_of.day
    while True:
        sold = sales.get((year, month), ZERO)
        if sold > 0 and left <= sold:
            days += left / sold * period
            break
        days += period
        if sold > 0:
            left -= sold
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        if (year, month) < first:
            break  # history ran out before the receivable was accounted for
        period = days_in_month(year, month)
    return days.quantize(_TENTH, ROUND_HALF_UP)


def _fraction(part: Decimal, whole: Decimal) -> Decimal | None:
    return (part / whole).quantize(_FRACTION, ROUND_HALF_UP) if whole else None
