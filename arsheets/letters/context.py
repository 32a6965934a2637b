"""Build the template context for one letter from the records and results.

The context is plain data (``str``, ``int``, ``bool``, ``list``, ``dict``), exactly the fields
documented in :mod:`arsheets.letters.fields`, with money and dates already formatted for the
letter's locale (the customer's Locale, else the Settings Locale) and formal sums also in words. Plain data
keeps templates simple, makes the context cheap to send to worker processes, and lets the validator
check a template against the documentation rather than against Python objects.
"""

from __future__ import annotations

import re
from collections.abc import Container, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import (
    format_currency,
    format_percent,
    get_currency_name,
    get_currency_precision,
)
from num2words import CONVERTER_CLASSES, num2words

from arsheets.core.calendar import add_business_days, edate, roll_forward
from arsheets.errors import Problem, Where
from arsheets.holiday_calendar import holiday_calendar
from arsheets.letters.errors import LetterError, customer_where
from arsheets.model import (
    AgingRow,
    Customer,
    Frequency,
    Invoice,
    InvoiceStatus,
    Plan,
    Settings,
)
from arsheets.money import cents

ZERO = Decimal("0.00")

# --- plan input -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    """One installment of a plan's schedule (the Schedule sheet's row)."""

    no: int
    due_date: date
    payment: Decimal
    interest: Decimal
    principal: Decimal
    balance: Decimal


@dataclass(frozen=True, slots=True)
class PlanTerms:
    """What a payment plan agreement or promissory note states.

    ``principal`` is the debt the plan covers, down payment included; the down payment is due on
    ``start_date`` and the installments in ``rows`` repay the rest (``financed``). ``total_payable``
    is the down payment plus every installment (principal + total interest). ``grace_days``: how
    late an installment may be before the whole remaining balance falls due; ``late_charge``: a
    charge per late installment, None for none.
    """

    plan_id: str
    principal: Decimal
    down_payment: Decimal
    installments: int
    frequency: Frequency | str
    annual_rate: Decimal
    total_interest: Decimal
    total_payable: Decimal
    rows: tuple[ScheduleRow, ...]
    start_date: date | None = None
    invoice_ids: tuple[str, ...] = ()
    grace_days: int = 10
    late_charge: Decimal | None = None

    @property
    def financed(self) -> Decimal:
        return self.principal - self.down_payment

    @classmethod
    def from_schedule(
        cls,
        plan: Plan,
        schedule,
        *,
        grace_days: int = 10,
        late_charge: Decimal | None = None,
    ) -> PlanTerms:
        """Terms from a Plans row and its computed schedule.

        ``schedule`` is an ``arsheets.core.plans.Schedule`` (or anything shaped like it):
        ``principal``, ``down_payment``, ``total_interest``, ``total_payable`` and rows with
        ``no``, ``due`` (or ``due_date``), ``payment``, ``interest``, ``principal``, ``balance``.
        Row ``no`` 0 is the down payment, which the documents state on its own.
        """
        rows = tuple(
            ScheduleRow(r.no, getattr(r, "due_date", None) or r.due, r.payment, r.interest,
                        r.principal, r.balance)
            for r in schedule.rows if r.no >= 1)
        return cls(
            plan_id=plan.id,
            principal=schedule.principal,
            down_payment=schedule.down_payment,
            installments=plan.installments,
            frequency=plan.frequency,
            annual_rate=plan.annual_rate,
            total_interest=schedule.total_interest,
            total_payable=schedule.total_payable,
            rows=rows,
            start_date=plan.start_date,
            invoice_ids=plan.invoice_ids,
            grace_days=grace_days,
            late_charge=late_charge,
        )


# --- text -------------------------------------------------------------------------------------

# Characters XML 1.0 forbids, plus the ones docxtpl would turn into layout (\a paragraph, \f page,
# \v); tabs and line breaks are kept (a multi-line address prints on several lines).
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def clean_text(value: object) -> str:
    """Text safe to put in a Word document: CR/LF normalised, control characters removed."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _BAD_CHARS.sub("", text)


def one_line(value: object) -> str:
    """Text for a single line (a subject, a display name): every line break becomes a space."""
    return " ".join(clean_text(value).split())


def address_lines(address: str) -> list[str]:
    return [line.strip() for line in clean_text(address).split("\n") if line.strip()]


# --- locale, money, dates, words --------------------------------------------------------------


def parse_locale(name: str | None) -> Locale | None:
    """A babel Locale for ``en_US`` or ``en-US``; None when babel does not know it."""
    if not name or not str(name).strip():
        return None
    try:
        return Locale.parse(str(name).strip().replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return None


def letter_locale(settings: Settings, customer: Customer | None = None) -> Locale:
    """The customer's Locale when set, else the Settings Locale; a clear error when unknown."""
    if customer is not None and customer.locale and customer.locale.strip():
        loc = parse_locale(customer.locale)
        if loc is None:
            raise LetterError(Problem(
                customer_where(customer),
                f"customer {customer.id}: Locale {customer.locale!r} is not a locale arsheets "
                "knows",
                "write it like en_US, en_GB, fr_FR or de_DE, or leave it blank for the Settings "
                "Locale",
            ))
        return loc
    loc = parse_locale(settings.locale or "en_US")
    if loc is None:
        raise LetterError(Problem(
            Where("Settings"), f"Locale {settings.locale!r} is not a locale arsheets knows",
            "write it like en_US, en_GB, fr_FR or de_DE"))
    return loc


def format_money(amount: Decimal, currency: str, locale: Locale | str) -> str:
    return format_currency(amount, currency, locale=locale)


def format_long_date(day: date | None, locale: Locale | str) -> str:
    return format_date(day, format="long", locale=locale) if day else ""


def format_short_date(day: date | None, locale: Locale | str) -> str:
    return format_date(day, format="medium", locale=locale) if day else ""


def format_rate(rate: Decimal, locale: Locale | str) -> str:
    """A fraction as a percentage with up to 3 decimals: 0.085 -> '8.5%'."""
    return format_percent(rate, format="#,##0.###%", locale=locale)


# "and" between the whole units and the cents, as on a cheque, per language.
_AND = {
    "en": "and", "fr": "et", "de": "und", "es": "con", "it": "e", "pt": "e", "nl": "en",
    "sv": "och", "da": "og", "no": "og", "nb": "og", "pl": "i", "cs": "a", "sk": "a", "ro": "și",
    "tr": "ve", "fi": "ja", "ca": "i",
}
# English written the American way (no "and" inside the number) in these territories.
_US_STYLE = {None, "US", "CA", "PH", "PR"}


def _words_lang(locale: Locale) -> str:
    full = f"{locale.language}_{locale.territory}" if locale.territory else locale.language
    if full in CONVERTER_CLASSES:
        return full
    if locale.language in CONVERTER_CLASSES:
        return locale.language
    if locale.language == "nb" and "no" in CONVERTER_CLASSES:
        return "no"
    return "en"  # num2words does not speak the language: English rather than nothing


def amount_in_words(amount: Decimal, currency: str, locale: Locale | str) -> str:
    """``1234.50 USD en_US`` -> ``one thousand two hundred thirty-four dollars and 50/100``.

    The whole units in words in the letter's language (num2words), the currency's name, and the
    minor units as a fraction, the way a cheque or promissory note states a sum.
    """
    loc = locale if isinstance(locale, Locale) else Locale.parse(locale)
    lang = _words_lang(loc)
    precision = get_currency_precision(currency)
    quantum = Decimal(1).scaleb(-precision)
    value = abs(Decimal(amount)).quantize(quantum, rounding=ROUND_HALF_UP)
    whole = int(value)
    minor = int((value - whole) * (10**precision))
    words = num2words(whole, lang=lang)
    converter = CONVERTER_CLASSES[lang]
    if lang.startswith("en"):
        words = words.replace(",", "")
        if loc.territory in _US_STYLE:
            words = words.replace(" and ", " ")
    forms = getattr(converter, "CURRENCY_FORMS", {}).get(currency)
    if forms:
        try:
            name = converter.pluralize(whole, forms[0])
        except Exception:  # noqa: BLE001 - some converters want other shapes; fall back below
            forms = None
    if not forms:
        name = get_currency_name(currency, count=whole, locale=loc) if loc else currency
    text = f"{words} {name}"
    if precision:
        join = _AND.get(lang.split("_")[0], "")
        text += f" {join} " if join else " "
        text += f"{minor:0{precision}d}/{10**precision}"
    if amount < 0:
        text = f"{(getattr(converter, 'negword', '') or 'minus ').strip()} {text}"
    return text


# --- business days ----------------------------------------------------------------------------


def pay_by_date(as_of: date, business_days: int, holidays: Container[date] = ()) -> date:
    """``business_days`` business days after ``as_of`` (WORKDAY), on a business day."""
    return roll_forward(add_business_days(as_of, business_days, holidays), holidays)


# --- the context ------------------------------------------------------------------------------


def _aging_labels(edges: Sequence[int]) -> list[str]:
    labels, low = ["Current"], 1
    for edge in edges:
        labels.append(f"{low}-{edge}")
        low = edge + 1
    labels.append(f"{low}+")
    return labels


def _address(text: str) -> dict[str, object]:
    lines = address_lines(text)
    return {"address": "\n".join(lines), "address_lines": lines,
            "address_oneline": ", ".join(lines)}


def build_context(
    settings: Settings,
    customer: Customer,
    items: Sequence[tuple[Invoice, InvoiceStatus]],
    *,
    template: str,
    as_of: date,
    stage: str = "",
    holidays: Container[date] | None = None,
    aging_row: AgingRow | None = None,
    aging_labels: Sequence[str] | None = None,
    plan: PlanTerms | None = None,
    governing_law: str = "",
) -> dict[str, object]:
    """The context of one letter: every field documented in :mod:`arsheets.letters.fields`.

    ``items`` are the customer's invoices to list with their computed status (oldest due first in
    the letter). ``holidays`` defaults to the Settings' Holiday Country / Region calendar.
    ``aging_row`` is the customer's row of the Aging report (``aging_labels`` its labels, default
    from the Settings' bucket edges); without it the aging summary is built from ``items``.
    ``plan`` is given for payment plan agreements and promissory notes.
    """
    loc = letter_locale(settings, customer)
    currency = (settings.currency or "USD").strip().upper()

    def money(value: Decimal) -> str:
        return format_money(value, currency, loc)

    def words(value: Decimal) -> str:
        return amount_in_words(value, currency, loc)

    if holidays is None:
        holidays = holiday_calendar(settings)
    pay_by = pay_by_date(as_of, settings.pay_by_business_days, holidays)

    ordered = sorted(items, key=lambda p: (p[1].due_date, p[0].invoice_date, p[0].id))
    invoices = []
    for inv, st in ordered:
        invoices.append({
            "number": clean_text(inv.id),
            "date": format_short_date(inv.invoice_date, loc),
            "due_date": format_short_date(st.due_date, loc),
            "amount": money(inv.amount),
            "paid": money(st.paid),
            "balance": money(st.balance),
            "fee": money(st.late_fee),
            "amount_due": money(st.amount_due),
            "days_overdue": int(st.days_overdue),
            "aging": clean_text(st.aging or ""),
            "status": str(st.status.value if hasattr(st.status, "value") else st.status),
            "description": clean_text(inv.description),
            "po": clean_text(inv.po),
            "notes": clean_text(inv.notes),
            "is_credit": bool(inv.amount < 0),
        })
    statuses = [st for _, st in ordered]
    sum_ = lambda values: sum(values, ZERO)  # noqa: E731
    total_due = sum_(st.amount_due for st in statuses)
    owing = [st for inv, st in ordered if st.balance > 0] or statuses
    earliest_due = min((st.due_date for st in owing), default=None)

    first_half = cents(total_due / 2)
    second_date = roll_forward(edate(pay_by, 1), holidays)

    labels = list(aging_labels) if aging_labels else _aging_labels(settings.aging_edges)
    if aging_row is not None:
        if len(aging_row.buckets) != len(labels):
            raise LetterError(Problem(
                Where("Aging"), f"customer {customer.id}: the aging row has "
                f"{len(aging_row.buckets)} buckets but there are {len(labels)} labels"))
        amounts = dict(zip(labels, aging_row.buckets, strict=True))
        aging_total = aging_row.total
    else:
        amounts = {label: ZERO for label in labels}
        for st in statuses:
            if st.aging:
                amounts[st.aging] = amounts.get(st.aging, ZERO) + st.balance
        aging_total = sum_(amounts.values())

    company_name = clean_text(settings.company_name)
    context: dict[str, object] = {
        "company": {
            "name": company_name,
            **_address(settings.company_address),
            "phone": clean_text(settings.company_phone),
            "email": one_line(settings.company_email),
            "signatory": clean_text(settings.signatory),
            "signatory_title": clean_text(settings.signatory_title),
        },
        "customer": {
            "id": clean_text(customer.id),
            "name": clean_text(customer.name),
            "contact": clean_text(customer.contact),
            "ap_contact": clean_text(customer.ap_contact),
            "attention": one_line(customer.ap_contact or customer.contact),
            "email": one_line(customer.email),
            "phone": clean_text(customer.phone),
            **_address(customer.address),
        },
        "letter_date": format_long_date(as_of, loc),
        "letter_date_iso": as_of.isoformat(),
        "pay_by": format_long_date(pay_by, loc),
        "pay_by_iso": pay_by.isoformat(),
        "earliest_due_date": format_long_date(earliest_due, loc),
        "oldest_days_overdue": max((int(st.days_overdue) for st in statuses), default=0),
        "invoice_numbers": ", ".join(i["number"] for i in invoices),
        "has_fees": any(st.late_fee for st in statuses),
        "stage": clean_text(stage),
        "template": clean_text(template),
        "currency": currency,
        "locale": str(loc),
        "invoices": invoices,
        "totals": {
            "count": len(invoices),
            "amount": money(sum_(inv.amount for inv, _ in ordered)),
            "paid": money(sum_(st.paid for st in statuses)),
            "balance": money(sum_(st.balance for st in statuses)),
            "fee": money(sum_(st.late_fee for st in statuses)),
            "amount_due": money(total_due),
            "amount_due_words": words(total_due),
            "overdue": money(sum_(st.amount_due for st in statuses if st.days_overdue > 0)),
        },
        "split": {
            "first_amount": money(first_half),
            "first_date": format_long_date(pay_by, loc),
            "second_amount": money(total_due - first_half),
            "second_date": format_long_date(second_date, loc),
        },
        "aging": {
            "buckets": [{"label": clean_text(k), "amount": money(v)} for k, v in amounts.items()],
            "total": money(aging_total),
        },
        "has_plan": plan is not None,
        "plan": _plan_context(plan, customer, ordered, money, words, loc),
        "governing_law": clean_text(governing_law)
        or "the place where the Holder has its principal place of business",
    }
    return context


def _plan_context(plan, customer, ordered, money, words, loc) -> dict[str, object]:
    keys_money = ("principal", "down_payment", "financed", "total_interest", "total_payable",
                  "late_charge")
    if plan is None:
        blank: dict[str, object] = {
            k: "" for k in ("id", *keys_money, "principal_words", "financed_words",
                            "total_payable_words", "frequency", "annual_rate", "start_date",
                            "first_due", "last_due", "invoice_numbers")}
        blank.update(has_down_payment=False, installments=0, interest_free=True, grace_days=0,
                     schedule=[], schedule_totals={"payment": "", "interest": "",
                                                   "principal": ""})
        return blank
    rows = sorted((r for r in plan.rows if r.no >= 1), key=lambda r: r.no)  # no 0: down payment
    if len(rows) != plan.installments:
        raise LetterError(Problem(
            Where("Plans"), f"plan {plan.plan_id}: the schedule has {len(rows)} installments but "
            f"Installments is {plan.installments}", "refresh the workbook to rebuild the Schedule"))
    ids = plan.invoice_ids or tuple(inv.id for inv, _ in ordered)
    return {
        "id": clean_text(plan.plan_id),
        "principal": money(plan.principal),
        "principal_words": words(plan.principal),
        "down_payment": money(plan.down_payment),
        "has_down_payment": plan.down_payment > 0,
        "financed": money(plan.financed),
        "financed_words": words(plan.financed),
        "installments": int(plan.installments),
        "frequency": clean_text(getattr(plan.frequency, "value", plan.frequency)),
        "annual_rate": format_rate(plan.annual_rate, loc),
        "interest_free": plan.annual_rate == 0,
        "total_interest": money(plan.total_interest),
        "total_payable": money(plan.total_payable),
        "total_payable_words": words(plan.total_payable),
        "start_date": format_long_date(plan.start_date, loc),
        "first_due": format_long_date(rows[0].due_date if rows else None, loc),
        "last_due": format_long_date(rows[-1].due_date if rows else None, loc),
        "grace_days": int(plan.grace_days),
        "late_charge": money(plan.late_charge) if plan.late_charge else "",
        "invoice_numbers": ", ".join(clean_text(i) for i in ids),
        "schedule": [{
            "no": int(r.no),
            "due_date": format_short_date(r.due_date, loc),
            "payment": money(r.payment),
            "interest": money(r.interest),
            "principal": money(r.principal),
            "balance": money(r.balance),
        } for r in rows],
        "schedule_totals": {
            "payment": money(sum((r.payment for r in rows), ZERO)),
            "interest": money(sum((r.interest for r in rows), ZERO)),
            "principal": money(sum((r.principal for r in rows), ZERO)),
        },
    }

