"""Small builders for records, so a test reads like the worksheet it stands for."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from arsheets.core.refresh import compute
from arsheets.model import (Activity, ActivityType, Book, Customer, FeePolicy, Hold, Invoice,
                            Payment, Plan, Refresh, Settings)


def d(text: str) -> date:
    return date.fromisoformat(text)


def m(text: str) -> Decimal:
    """Money as typed: m("1,234.50")."""
    return Decimal(text.replace(",", ""))


def inv(id: str, amount: str, date: str = "2024-01-01", *, customer: str = "C-01",
        due: str | None = None, hold: Hold | None = None, row: int = 0) -> Invoice:
    return Invoice(id, customer, d(date), m(amount), d(due) if due else None, row=row, hold=hold)


def pay(date: str, amount: str, *, customer: str = "C-01", target: str | None = None,
        row: int = 0) -> Payment:
    return Payment(d(date), customer, m(amount), row=row, target=target)


def cust(id: str = "C-01", *, name: str = "", terms: int | None = None, limit: str | None = None,
         fee: FeePolicy | None = None, row: int = 0) -> Customer:
    return Customer(id, name or f"Customer {id}", row=row, terms=terms,
                    credit_limit=m(limit) if limit else None, late_fee=fee)


def act(date: str, type: ActivityType, *, customer: str = "C-01") -> Activity:
    return Activity(d(date), customer, type)


def book(invoices=(), payments=(), *, customers=None, activities=(), plans: tuple[Plan, ...] = (),
         settings: Settings | None = None, **settings_kw) -> Book:
    """A book whose rows are numbered from 2, as under a header row; customers default to every
    customer id the invoices and payments mention, in order of first mention."""
    if customers is None:
        ids = dict.fromkeys([r.customer_id for r in (*invoices, *payments)] or ["C-01"])
        customers = [cust(i) for i in ids]
    number = lambda records: tuple(r if r.row else replace(r, row=n)  # noqa: E731
                                   for n, r in enumerate(records, start=2))
    return Book(
        settings=settings or Settings(**settings_kw),
        customers=number(customers),
        invoices=number(invoices),
        payments=number(payments),
        activities=number(activities),
        plans=tuple(plans),
    )


def run(as_of: str, invoices=(), payments=(), **kw) -> Refresh:
    return compute(book(invoices, payments, **kw), d(as_of))


def by_id(result: Refresh, invoice_id: str):
    (status,) = [s for s in result.invoices if s.invoice_id == invoice_id]
    return status


def applied(result: Refresh, k: int = 0) -> list[tuple[str, str]]:
    """Payment k's allocations as (invoice, amount text): [("INV-1", "40.00")]."""
    return [(a.invoice_id, str(a.amount)) for a in result.payments[k].applied]
