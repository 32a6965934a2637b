"""The plain typed records the reader produces and the results the core computes.

Everything here is a frozen dataclass of ``Decimal`` money, ``datetime.date`` dates and text. Each
record remembers the worksheet ``row`` it came from, so results and problems can be written back to it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum


class Hold(StrEnum):
    DISPUTED = "Disputed"
    ON_HOLD = "On hold"
    WRITTEN_OFF = "Written off"
    AGENCY = "Agency"


class Status(StrEnum):
    PAID = "Paid"
    OPEN = "Open"
    OVERDUE = "Overdue"
    IN_PLAN = "In plan"
    DISPUTED = "Disputed"
    ON_HOLD = "On hold"
    WRITTEN_OFF = "Written off"
    AGENCY = "Agency"
    CREDIT = "Credit"


class FeeKind(StrEnum):
    NONE = "None"
    FLAT = "Flat"
    PERCENT_ONCE = "Percent Once"
    MONTHLY_RATE = "Monthly Rate"
    ANNUAL_RATE = "Annual Rate"
    UK_STATUTORY = "UK Statutory"
    EU_STATUTORY = "EU Statutory"


class AgingBasis(StrEnum):
    DUE_DATE = "Due Date"
    INVOICE_DATE = "Invoice Date"


class Channel(StrEnum):
    EMAIL = "Email"
    MAIL = "Mail"


class ActivityType(StrEnum):
    LETTER = "Letter"
    EMAIL = "Email"
    CALL = "Call"
    NOTE = "Note"
    PROMISE = "Promise"
    PLAN = "Plan"
    AGENCY = "Agency"
    WRITE_OFF = "Write-off"


class Frequency(StrEnum):
    MONTHLY = "Monthly"
    EVERY_2_WEEKS = "Every 2 weeks"
    WEEKLY = "Weekly"


class PlanStatus(StrEnum):
    PROPOSED = "Proposed"
    SIGNED = "Signed"
    ACTIVE = "Active"
    COMPLETED = "Completed"
    DEFAULTED = "Defaulted"
    CANCELLED = "Cancelled"


# --- settings ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeePolicy:
    """How late fees accrue. ``rate`` is a fraction (0.05 = 5%), per month for Monthly Rate."""

    kind: FeeKind = FeeKind.NONE
    rate: Decimal | None = None
    amount: Decimal | None = None
    grace_days: int = 0
    minimum: Decimal | None = None
    maximum: Decimal | None = None


@dataclass(frozen=True, slots=True)
class EarlyDiscount:
    """``2/10``: ``rate`` 0.02 if paid within ``days`` calendar days of the invoice date."""

    rate: Decimal
    days: int


@dataclass(frozen=True, slots=True)
class LadderStep:
    """One rung of the collection ladder; ``days`` are relative to the due date."""

    days: int
    stage: str
    action: str
    template: str | None = None


DEFAULT_LADDER: tuple[LadderStep, ...] = (
    LadderStep(-7, "Courtesy reminder", "Letter", "courtesy_reminder"),
    LadderStep(1, "First reminder", "Letter", "first_reminder"),
    LadderStep(3, "Confirm receipt", "Call"),
    LadderStep(30, "Second reminder", "Letter", "second_reminder"),
    LadderStep(60, "Phone call", "Call"),
    LadderStep(90, "Final notice", "Letter", "final_notice"),
    LadderStep(120, "Agency review", "Agency"),
)


@dataclass(frozen=True, slots=True)
class Settings:
    company_name: str = ""
    company_address: str = ""
    company_phone: str = ""
    company_email: str = ""
    signatory: str = ""
    signatory_title: str = ""
    currency: str = "USD"
    locale: str = "en_US"
    holiday_country: str | None = "US"
    holiday_region: str | None = None
    as_of: date | None = None
    aging_basis: AgingBasis = AgingBasis.DUE_DATE
    aging_edges: tuple[int, ...] = (30, 60, 90)
    default_terms: int = 30
    late_fee: FeePolicy = FeePolicy()
    # Central-bank rate for the statutory policies: one rate, or a dated history (effective-from
    # date, rate) so each debt uses the rate in force on its statutory reference date.
    reference_rate: Decimal | None = None
    reference_rates: tuple[tuple[date, Decimal], ...] = ()
    early_discount: EarlyDiscount | None = None
    pay_by_business_days: int = 10
    credit_hold_days: int = 90
    chronic_late_days: int = 15
    plan_grace_days: int = 10
    plan_rate: Decimal | None = Decimal("0.08")  # offered beside interest-free plans
    governing_law: str = ""
    letters_folder: str = "letters"
    templates_folder: str | None = None
    ladder: tuple[LadderStep, ...] = DEFAULT_LADDER


# --- input records ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    name: str
    row: int = 0
    contact: str = ""
    ap_contact: str = ""
    email: str = ""
    phone: str = ""
    address: str = ""
    terms: int | None = None
    credit_limit: Decimal | None = None
    late_fee: FeePolicy | None = None  # overrides Settings when set
    channel: Channel = Channel.EMAIL
    locale: str | None = None
    notes: str = ""


@dataclass(frozen=True, slots=True)
class Invoice:
    id: str
    customer_id: str
    invoice_date: date
    amount: Decimal  # negative: a credit note
    due_date: date | None = None  # None: invoice date + terms
    row: int = 0
    description: str = ""
    po: str = ""
    notes: str = ""
    hold: Hold | None = None
    document: str = ""

    @property
    def is_credit(self) -> bool:
        return self.amount < 0


@dataclass(frozen=True, slots=True)
class Payment:
    date: date
    customer_id: str
    amount: Decimal
    row: int = 0
    target: str | None = None  # the invoice (or plan) id the payment names, if any
    method: str = ""
    reference: str = ""


@dataclass(frozen=True, slots=True)
class Activity:
    date: date
    customer_id: str
    type: ActivityType
    row: int = 0
    invoice_ids: tuple[str, ...] = ()
    stage: str = ""
    summary: str = ""
    promise_date: date | None = None
    promise_amount: Decimal | None = None
    document: str = ""


@dataclass(frozen=True, slots=True)
class Plan:
    id: str
    customer_id: str
    invoice_ids: tuple[str, ...]
    start_date: date
    installments: int
    row: int = 0
    down_payment: Decimal = Decimal("0.00")
    frequency: Frequency = Frequency.MONTHLY
    annual_rate: Decimal = Decimal(0)
    first_due: date | None = None
    status: PlanStatus = PlanStatus.PROPOSED


@dataclass(frozen=True, slots=True)
class Book:
    """Everything read from one workbook."""

    settings: Settings = Settings()
    customers: tuple[Customer, ...] = ()
    invoices: tuple[Invoice, ...] = ()
    payments: tuple[Payment, ...] = ()
    activities: tuple[Activity, ...] = ()
    plans: tuple[Plan, ...] = ()


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InvoiceStatus:
    invoice_id: str
    row: int
    due_date: date
    paid: Decimal
    balance: Decimal
    days_overdue: int
    aging: str | None  # bucket label; None when nothing is owed
    late_fee: Decimal
    discount: Decimal | None
    amount_due: Decimal
    status: Status
    settled_on: date | None = None  # the day the balance reached zero
    stage: str = ""
    next_action: str = ""
    next_action_date: date | None = None


@dataclass(frozen=True, slots=True)
class CustomerStatus:
    customer_id: str
    row: int
    balance: Decimal
    overdue: Decimal
    oldest_days_overdue: int
    avg_days_late: Decimal | None
    credit_hold: str  # "" or "Yes - <reason>"
    chronic_late: bool
    stage: str = ""
    next_action: str = ""
    next_action_date: date | None = None
    last_contact: date | None = None


@dataclass(frozen=True, slots=True)
class Allocation:
    invoice_id: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class PaymentStatus:
    row: int
    applied: tuple[Allocation, ...]
    unapplied: Decimal
    future: bool = False  # dated after the as-of date: not applied yet, and not an error


@dataclass(frozen=True, slots=True)
class AgingRow:
    customer_id: str
    name: str
    buckets: tuple[Decimal, ...]  # one per label, Current first
    total: Decimal
    pct_overdue: Decimal | None  # fraction; None when total is zero
    credit_hold: str


@dataclass(frozen=True, slots=True)
class AgingReport:
    as_of: date
    basis: AgingBasis
    labels: tuple[str, ...]
    rows: tuple[AgingRow, ...]
    totals: tuple[Decimal, ...]
    total: Decimal
    percents: tuple[Decimal | None, ...]  # each bucket's share of the total, as a fraction
    pct_overdue: Decimal | None  # the share of the total past due, as a fraction
    dso: Decimal | None  # days, one decimal; None when there were no credit sales


@dataclass(frozen=True, slots=True)
class Refresh:
    """Everything a refresh computes, ready for the writer."""

    as_of: date
    invoices: tuple[InvoiceStatus, ...]
    customers: tuple[CustomerStatus, ...]
    payments: tuple[PaymentStatus, ...]
    aging: AgingReport
    problems: tuple = field(default=())  # tuple[Problem, ...] found by the core
    plans: tuple = field(default=())  # tuple[core.plan_book.PlanResult, ...], like book.plans


# --- building records fast ----------------------------------------------------------------------


def fast_constructor(cls: type) -> Callable:
    """A positional constructor for a frozen, slotted dataclass that sets the slots directly.

    A frozen dataclass's ``__init__`` goes through ``object.__setattr__`` once per field, which costs
    more than half of building a record; this builds the same object in less than half the time. Any
    class it cannot handle the same way (``__post_init__``, fields outside ``__init__``, no slots) gets
    its own constructor back. The reader builds a million records with it, the core a million
    results.
    """
    if not dataclasses.is_dataclass(cls) or hasattr(cls, "__post_init__") \
            or "__slots__" not in cls.__dict__:
        return cls
    fields = dataclasses.fields(cls)
    if any(not f.init for f in fields):
        return cls
    names = [f.name for f in fields]
    namespace: dict[str, object] = {"_new": object.__new__, "_cls": cls}
    for n in names:
        namespace[f"_set_{n}"] = cls.__dict__[n].__set__
    lines = [f"def make({', '.join('a_' + n for n in names)}):", "    o = _new(_cls)"]
    lines += [f"    _set_{n}(o, a_{n})" for n in names]
    lines.append("    return o")
    exec("\n".join(lines), namespace)  # noqa: S102 - generated from the dataclass's own fields
    make = namespace["make"]
    make.__doc__ = f"{cls.__name__}({', '.join(names)}), all positional"  # type: ignore[union-attr]
    return make  # type: ignore[return-value]


def fast_replacer(cls: type, *names: str) -> Callable:
    """``make(obj, *values)``: a copy of ``obj`` with the fields ``names`` set to ``values``, as
    ``dataclasses.replace(obj, **dict(zip(names, values)))`` gives, built like
    :func:`fast_constructor` (for a class it cannot handle, through ``replace`` itself)."""
    if fast_constructor(cls) is cls:
        return lambda obj, *values: dataclasses.replace(obj, **dict(zip(names, values)))
    fields = [f.name for f in dataclasses.fields(cls)]
    namespace: dict[str, object] = {"_new": object.__new__, "_cls": cls}
    for n in fields:
        namespace[f"_set_{n}"] = cls.__dict__[n].__set__
    lines = [f"def make(o, {', '.join('a_' + n for n in names)}):", "    c = _new(_cls)"]
    lines += [f"    _set_{n}(c, a_{n})" if n in names else f"    _set_{n}(c, o.{n})"
              for n in fields]
    lines.append("    return c")
    exec("\n".join(lines), namespace)  # noqa: S102 - generated from the dataclass's own fields
    return namespace["make"]  # type: ignore[return-value]
