"""The whole computation of a refresh: a validated book and an as-of date in, every status out."""

from __future__ import annotations

from collections.abc import Container
from datetime import date

from ..model import Book, InvoiceStatus, Refresh, Status, fast_constructor
from ..money import ZERO
from .aging import Buckets, age, aging_report, days_overdue
from .customers import HELD, customer_status, invoice_status, last_contacts
from .fees import ReferenceRates, discount_available, late_fee, policy_for
from .ladder import collection_ladder
from .payments import Group, group_by_customer
from .plan_book import apply_with_plans


# InvoiceStatus(invoice_id, row, due_date, paid, balance, days_overdue, aging, late_fee, discount,
# amount_due, status, settled_on, stage, next_action, next_action_date), all positional, slots set
# directly: building a million frozen records is most of the run time.
_invoice_status = fast_constructor(InvoiceStatus)


def compute(book: Book, as_of: date, holidays: Container[date] = ()) -> Refresh:
    """Apply payments, then age, charge and roll up. Results follow the order of the book.

    ``holidays``: the public holidays Next Action Dates skip (the caller picks the calendar).
    """
    settings = book.settings
    groups = group_by_customer(book)
    ledger, plans, problems = apply_with_plans(book, as_of, groups, settings.plan_grace_days)
    problems += ledger.problems + plans.problems
    payments = tuple(plans.payments[k] if s is None else s for k, s in enumerate(ledger.payments))

    buckets = Buckets.from_edges(settings.aging_edges)
    rates = ReferenceRates.from_settings(settings)
    policies = {c.id: policy_for(c, settings) for c in book.customers}
    basis, offer = settings.aging_basis, settings.early_discount
    invoices: list[InvoiceStatus] = []
    add = invoices.append
    paid_off, in_plan, defaulted_from = plans.paid_off, plans.in_plan, plans.defaulted_from
    paid = Status.PAID
    for i, (inv, due, balance, settled_on, history) in enumerate(zip(
            book.invoices, ledger.due, ledger.balance, ledger.settled_on, ledger.history)):
        if i in paid_off:
            balance -= paid_off[i]
            settled_on = settled_on or plans.settled_on.get(i)
        if not balance:
            # Settled (the usual case): nothing to age, charge or offer; the status is
            # invoice_status(inv, 0, 0): Paid, or the hold's.
            add(_invoice_status(inv.id, inv.row, due, inv.amount, balance, 0, None, ZERO, None,
                                balance, paid if inv.hold is None else HELD[inv.hold], settled_on,
                                "", "", None))
            continue
        overdue = days_overdue(due, balance, inv.amount < ZERO, as_of)
        policy = policies.get(inv.customer_id, settings.late_fee)
        if i in defaulted_from:
            # Back from a defaulted plan: fees run again, from the default on what is still owed.
            since = defaulted_from[i]
            fee, problem = late_fee(inv, policy, since, balance, [(since, balance)], as_of, rates)
        else:
            fee, problem = late_fee(inv, policy, due, balance, history, as_of, rates,
                                    in_plan=i in in_plan)
        if problem is not None:
            problems.append(problem)
        add(_invoice_status(
            inv.id, inv.row, due, inv.amount - balance, balance, overdue,
            buckets.labels[buckets.index(age(inv, due, basis, as_of))], fee,
            None if i in in_plan else discount_available(inv, balance, as_of, offer),
            balance + fee if fee else balance,
            invoice_status(inv, balance, overdue, i in in_plan), settled_on, "", "", None,
        ))

    contacts = last_contacts(book.activities, as_of)
    empty = Group()
    customers = [
        customer_status(c, groups.get(c.id, empty), book, invoices, payments,
                        contacts.get(c.id))
        for c in book.customers
    ]
    ladder = collection_ladder(book, as_of, groups, invoices, customers, holidays)
    invoices, customers = ladder.apply(invoices, customers)
    return Refresh(
        as_of=as_of,
        invoices=tuple(invoices),
        customers=tuple(customers),
        payments=payments,
        aging=aging_report(book, as_of, buckets, groups, invoices, payments, customers),
        problems=tuple(problems),
        plans=plans.results,
    )
