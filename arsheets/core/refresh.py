"""The whole computation of a refresh: a validated book and an as-of date in, every status out."""

from __future__ import annotations

from datetime import date

from ..model import Book, InvoiceStatus, Refresh
from ..money import ZERO
from .aging import Buckets, age, aging_report, days_overdue
from .customers import customer_status, invoice_status, last_contacts
from .fees import ReferenceRates, discount_available, late_fee, policy_for
from .payments import Group, apply_payments, group_by_customer


def compute(book: Book, as_of: date) -> Refresh:
    """Apply payments, then age, charge and roll up. Results follow the order of the book."""
    settings = book.settings
    groups = group_by_customer(book)
    ledger = apply_payments(book, as_of, groups)
    problems = list(ledger.problems)

    buckets = Buckets.from_edges(settings.aging_edges)
    rates = ReferenceRates.from_settings(settings)
    policies = {c.id: policy_for(c, settings) for c in book.customers}
    basis, offer = settings.aging_basis, settings.early_discount
    invoices: list[InvoiceStatus] = []
    add = invoices.append
    for inv, due, balance, settled_on, history in zip(
            book.invoices, ledger.due, ledger.balance, ledger.settled_on, ledger.history):
        if not balance:
            # Settled (the usual case): nothing to age, charge or offer. Positional arguments,
            # because building a million frozen records is most of the run time.
            add(InvoiceStatus(inv.id, inv.row, due, inv.amount, balance, 0, None, ZERO, None, balance,
                              invoice_status(inv, balance, 0), settled_on))
            continue
        overdue = days_overdue(due, balance, inv.amount < ZERO, as_of)
        fee, problem = late_fee(inv, policies.get(inv.customer_id, settings.late_fee), due, balance,
                                history, as_of, rates)
        if problem is not None:
            problems.append(problem)
        add(InvoiceStatus(
            inv.id, inv.row, due, inv.amount - balance, balance, overdue,
            buckets.labels[buckets.index(age(inv, due, basis, as_of))], fee,
            discount_available(inv, balance, as_of, offer), balance + fee if fee else balance,
            invoice_status(inv, balance, overdue), settled_on,
        ))

    contacts = last_contacts(book.activities, as_of)
    empty = Group()
    customers = [
        customer_status(c, groups.get(c.id, empty), book, invoices, ledger.payments,
                        contacts.get(c.id))
        for c in book.customers
    ]
    return Refresh(
        as_of=as_of,
        invoices=tuple(invoices),
        customers=tuple(customers),
        payments=ledger.payments,
        aging=aging_report(book, as_of, buckets, groups, invoices, ledger.payments, customers),
        problems=tuple(problems),
    )
