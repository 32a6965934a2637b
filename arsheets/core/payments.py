"""Payment application: payments and credit notes -> what each invoice still owes.

Each customer's payments and credit notes are replayed in date order against that customer's
invoices: the invoice a payment names first, then oldest first by (due date, invoice date, invoice
id). What cannot be placed stays as unapplied credit. Besides the final balances the replay records,
per invoice, the balance after each application that left it open, so interest can accrue on the
balance that was actually outstanding on each day.

State lives in flat lists indexed like ``book.invoices`` and ``book.payments`` rather than in an
object per invoice: a million invoices must fit in a few hundred bytes each.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from ..errors import Problem, Where
from ..model import Allocation, Book, Invoice, PaymentStatus, fast_constructor
from ..money import ZERO, cents

# (date, balance after) for each application that left an invoice open, in date order.
History = Sequence[tuple[date, Decimal]]

_CREDIT, _PAYMENT = 0, 1  # same-day order: credit notes before payments

# Positional constructors that set the slots directly: a million payments make a million of each.
_status = fast_constructor(PaymentStatus)  # (row, applied, unapplied, future)
_allocation = fast_constructor(Allocation)  # (invoice_id, amount)


@dataclass(frozen=True, slots=True)
class Group:
    """One customer's share of the book, as indexes into ``book.invoices`` and ``book.payments``.

    Arrays rather than lists: a million indexes then cost 8 bytes each, not an int object each.
    """

    invoices: array = field(default_factory=lambda: array("q"))
    payments: array = field(default_factory=lambda: array("q"))


def _shared(seen: dict[date, date], day: date) -> date:
    return seen.setdefault(day, day)


def group_by_customer(book: Book) -> dict[str, Group]:
    """Every customer id found on an invoice or payment, with its rows, in input order."""
    groups: defaultdict[str, Group] = defaultdict(Group)
    for i, inv in enumerate(book.invoices):
        groups[inv.customer_id].invoices.append(i)
    for k, pay in enumerate(book.payments):
        groups[pay.customer_id].payments.append(k)
    return dict(groups)


@dataclass(frozen=True, slots=True)
class Ledger:
    """The book after application; each sequence is indexed like ``book.invoices``."""

    due: Sequence[date]  # effective due date
    balance: Sequence[Decimal]  # >= 0 for invoices; a credit note's unused (negative) remainder
    settled_on: Sequence[date | None]  # the day the balance reached zero
    history: Sequence[list[tuple[date, Decimal]] | None]  # None while untouched and once settled
    payments: tuple[PaymentStatus | None, ...]  # indexed like book.payments; None: routed to a plan
    problems: tuple[Problem, ...]


def balance_on(amount: Decimal, history: History | None, day: date) -> Decimal:
    """What an open invoice owed at the end of ``day``, given its final ``history``."""
    if not history:
        return amount
    k = bisect_right(history, day, key=_entry_day)
    return history[k - 1][1] if k else amount


def _entry_day(entry: tuple[date, Decimal]) -> date:
    return entry[0]


def apply_payments(book: Book, as_of: date, groups: dict[str, Group] | None = None, *,
                   routed: Set[int] = frozenset(),
                   closed_from: Mapping[int, date] | None = None) -> Ledger:
    """Apply every payment and credit note dated on or before ``as_of``.

    Payment plans take two things out of the ordinary flow: the payments in ``routed`` (indexes into
    ``book.payments``) pay a plan's schedule, not invoices, so they are left for the plan to place
    (their status stays None here); and an invoice in ``closed_from`` takes no money from events
    dated on or after its date (the plan's start), since from then on the plan pays it off.
    """
    if groups is None:
        groups = group_by_customer(book)
    run = _Run(book, as_of, routed, closed_from or {})
    for customer_id, group in groups.items():
        run.customer(customer_id, group)
    return Ledger(run.due, run.balance, run.settled_on, run.history, tuple(run.payments),
                  tuple(run.problems))


class _Run:
    """Mutable state of one application pass; only :func:`apply_payments` sees it."""

    def __init__(self, book: Book, as_of: date, routed: Set[int], closed_from: Mapping[int, date]):
        self.book = book
        self.as_of = as_of
        self.routed = routed
        self.closed_from = closed_from
        settings = book.settings
        default = timedelta(days=settings.default_terms)
        terms = {c.id: timedelta(days=c.terms) for c in book.customers if c.terms is not None}
        # one date object per distinct due date (a million invoices share a few hundred dates)
        days: dict[date, date] = {}
        self.due = [inv.due_date or _shared(days, inv.invoice_date
                                            + terms.get(inv.customer_id, default))
                    for inv in book.invoices]
        self.balance = [inv.amount for inv in book.invoices]
        self.settled_on: list[date | None] = [None] * len(book.invoices)
        self.history: list[list[tuple[date, Decimal]] | None] = [None] * len(book.invoices)
        self.payments: list[PaymentStatus | None] = [None] * len(book.payments)
        self.problems: list[Problem] = []
        self.plan_ids = {plan.id for plan in book.plans}
        self.discount = settings.early_discount
        self.window = timedelta(days=self.discount.days if self.discount is not None else 0)
        self._owner: dict[str, str] | None = None  # invoice id -> customer id, built on first need

    def customer(self, customer_id: str, group: Group) -> None:
        invoices, payments, as_of = self.book.invoices, self.book.payments, self.as_of
        balance, due, statuses, take = self.balance, self.due, self.payments, self._take
        closed_from = self.closed_from  # usually empty: no plan in force
        routed = self.routed
        # Oldest first; held invoices only ever take money a payment names, so they are left out.
        queue = [i for i in group.invoices if invoices[i].amount > ZERO and invoices[i].hold is None]
        queue.sort(key=lambda i: (due[i], invoices[i].invoice_date, invoices[i].id))
        events = [(invoices[i].invoice_date, _CREDIT, invoices[i].row, i) for i in group.invoices
                  if invoices[i].amount < ZERO and invoices[i].invoice_date <= as_of]
        for k in group.payments:
            pay = payments[k]
            if routed and k in routed:
                continue
            if pay.date > as_of:
                statuses[k] = _status(pay.row, (), ZERO, True)
            elif pay.amount <= ZERO:  # nothing to place: a refund or a zero row stays as typed
                statuses[k] = _status(pay.row, (), pay.amount, False)
            else:
                events.append((pay.date, _PAYMENT, pay.row, k))
        events.sort()

        ids: dict[str, int] | None = None
        pos, end = 0, len(queue)  # queue[:pos] is settled for good: balances only ever go down
        for day, kind, row, k in events:
            allocations: list[Allocation] = []
            if kind == _CREDIT:
                cash = -balance[k]
            else:
                pay = payments[k]
                cash = pay.amount
                if pay.target:
                    if ids is None:
                        ids = {invoices[i].id: i for i in group.invoices}
                    named = ids.get(pay.target)
                    if named is None:
                        if pay.target not in self.plan_ids:  # a plan id is paid oldest first
                            self.problems.append(self._not_theirs(row, pay.target, customer_id))
                    elif balance[named] > ZERO and not (closed_from and self._closed(named, day)):
                        used = take(named, cash, day)
                        allocations.append(_allocation(invoices[named].id, used))
                        cash -= used
            while cash > ZERO:
                # Events come in date order, so an invoice closed to this one is closed to
                # every later one too: skipping it for good is safe.
                while pos < end and (balance[queue[pos]] <= ZERO or (
                        closed_from and self._closed(queue[pos], day))):
                    pos += 1
                if pos == end:
                    break
                i = queue[pos]
                used = take(i, cash, day)
                allocations.append(_allocation(invoices[i].id, used))
                cash -= used
            if not cash:
                cash = ZERO  # share one zero rather than keep a million equal objects
            if kind == _PAYMENT:
                statuses[k] = _status(row, tuple(allocations), cash, False)
            elif cash:
                balance[k] = -cash
            else:
                balance[k] = ZERO
                self.settled_on[k] = day

    def _closed(self, i: int, day: date) -> bool:
        closed = self.closed_from.get(i)
        return closed is not None and day >= closed

    def _take(self, i: int, cash: Decimal, day: date) -> Decimal:
        """Put up to ``cash`` on invoice ``i``; returns the cash used.

        A payment that leaves no more than the early-payment discount open, inside the discount
        window, settles the invoice: the discount makes up the difference, not the payer.
        """
        owed = self.balance[i]
        if cash < owed:
            left = owed - cash
            inv: Invoice = self.book.invoices[i]
            if (self.discount is None or day > inv.invoice_date + self.window
                    or left > cents(self.discount.rate * inv.amount)):
                self.balance[i] = left
                entries = self.history[i]
                if entries is None:
                    self.history[i] = [(day, left)]
                else:
                    entries.append((day, left))
                return cash
        self.balance[i] = ZERO
        self.settled_on[i] = day
        self.history[i] = None  # a settled invoice accrues nothing; free its history
        return owed if cash >= owed else cash

    def _not_theirs(self, row: int, target: str, customer_id: str) -> Problem:
        if self._owner is None:
            self._owner = {inv.id: inv.customer_id for inv in self.book.invoices}
        owner = self._owner.get(target)
        whose = f" (it is {owner}'s)" if owner is not None else ""
        return Problem(
            Where(sheet="Payments", row=row, field="Invoice"),
            f"'{target}' is not an invoice of customer {customer_id}{whose}; "
            "applied to the oldest invoices instead",
            "check the invoice number and the customer, or leave Invoice blank",
        )
