"""The letter context: pay-by dates, money and words for the locale, and the documented fields."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from arsheets.letters import fields as F
from arsheets.letters.context import (
    amount_in_words,
    build_context,
    holiday_calendar,
    pay_by_date,
)
from arsheets.errors import ArsheetsError
from arsheets.letters.errors import LetterError
from arsheets.model import AgingRow, Plan

try:
    from test_letters_support import AS_OF, CUSTOMER, SETTINGS, D, items, plan_terms
except ImportError:  # tests/ became a package
    from .test_letters_support import AS_OF, CUSTOMER, SETTINGS, D, items, plan_terms


def ctx(**kw):
    kw.setdefault("template", "second_reminder")
    kw.setdefault("as_of", AS_OF)
    settings = kw.pop("settings", SETTINGS)
    customer = kw.pop("customer", CUSTOMER)
    return build_context(settings, customer, kw.pop("items", items()), **kw)


# --- pay-by dates -----------------------------------------------------------------------------


def test_pay_by_skips_weekends_and_us_holidays():
    us = holiday_calendar(SETTINGS)
    # Fri 28 Jun 2024 + 10 business days, 4 July off: Mon 15 Jul (12 Jul without the holiday)
    assert pay_by_date(date(2024, 6, 28), 10, us) == date(2024, 7, 15)
    assert pay_by_date(date(2024, 6, 28), 10, ()) == date(2024, 7, 12)


def test_pay_by_zero_days_rolls_a_weekend_or_holiday_forward():
    us = holiday_calendar(SETTINGS)
    assert pay_by_date(date(2024, 3, 16), 0, us) == date(2024, 3, 18)  # Saturday -> Monday
    assert pay_by_date(date(2024, 12, 25), 0, us) == date(2024, 12, 26)  # Christmas -> Thursday


def test_pay_by_uses_the_settings_calendar_and_region():
    uk = replace(SETTINGS, holiday_country="GB", holiday_region="ENG", pay_by_business_days=1)
    # Thu 28 Mar 2024 + 1: Good Friday and Easter Monday are English holidays -> Tue 2 Apr
    assert ctx(settings=uk, as_of=date(2024, 3, 28))["pay_by_iso"] == "2024-04-02"
    none = replace(SETTINGS, holiday_country="", pay_by_business_days=1)
    assert ctx(settings=none, as_of=date(2024, 3, 28))["pay_by_iso"] == "2024-03-29"


def test_unknown_holiday_country_or_region_is_a_clear_error():
    with pytest.raises(ArsheetsError, match="Holiday Country 'XX'"):
        ctx(settings=replace(SETTINGS, holiday_country="XX"))
    with pytest.raises(ArsheetsError, match="Holiday Region 'ZZ' is not a region of US"):
        ctx(settings=replace(SETTINGS, holiday_region="ZZ"))


# --- money, dates, words ----------------------------------------------------------------------


@pytest.mark.parametrize(("amount", "currency", "locale", "words"), [
    ("1234.50", "USD", "en_US", "one thousand two hundred thirty-four dollars and 50/100"),
    ("1.00", "USD", "en_US", "one dollar and 00/100"),
    ("101.05", "USD", "en_US", "one hundred one dollars and 05/100"),
    ("1234.50", "GBP", "en_GB",
     "one thousand two hundred and thirty-four pounds sterling and 50/100"),
    ("1234.50", "EUR", "fr_FR", "mille deux cent trente-quatre euros et 50/100"),
    ("1234.50", "EUR", "de_DE", "eintausendzweihundertvierunddreißig Euro und 50/100"),
    ("0.99", "USD", "en_US", "zero dollars and 99/100"),
])
def test_amount_in_words(amount, currency, locale, words):
    assert amount_in_words(D(amount), currency, locale) == words


def test_money_dates_and_words_follow_the_customers_locale():
    c = ctx(customer=replace(CUSTOMER, locale="fr_FR"),
            settings=replace(SETTINGS, currency="EUR"))
    assert c["locale"] == "fr_FR"
    assert c["letter_date"] == "18 mars 2024"
    assert c["totals"]["amount_due"] == "1\u202f850,02\xa0€"
    assert c["totals"]["amount_due_words"] == "mille huit cent cinquante euros et 02/100"
    assert ctx()["totals"]["amount_due"] == "$1,850.02"  # the Settings locale otherwise


def test_unknown_locale_names_the_customer():
    with pytest.raises(LetterError, match=r"Customers!5:5: customer C-104: Locale 'xx_QQ'"):
        ctx(customer=replace(CUSTOMER, locale="xx_QQ"))


# --- the fields -------------------------------------------------------------------------------


def test_second_reminder_figures():
    c = ctx()
    assert [i["number"] for i in c["invoices"]] == ["INV-1001", "INV-1017"]  # oldest due first
    first = c["invoices"][0]
    assert (first["amount"], first["paid"], first["balance"], first["fee"], first["amount_due"],
            first["days_overdue"], first["due_date"]) == (
        "$1,234.50", "$200.00", "$1,034.50", "$15.52", "$1,050.02", 33, "Feb 14, 2024")
    t = c["totals"]
    assert (t["amount"], t["paid"], t["balance"], t["fee"], t["amount_due"], t["count"]) == (
        "$2,034.50", "$200.00", "$1,834.50", "$15.52", "$1,850.02", 2)
    assert t["amount_due_words"] == "one thousand eight hundred fifty dollars and 02/100"
    assert c["pay_by"] == "April 1, 2024"  # Mon 18 Mar + 10 business days
    assert c["earliest_due_date"] == "February 14, 2024"
    assert c["oldest_days_overdue"] == 33
    assert c["has_fees"] is True
    assert c["customer"]["attention"] == "Raj Patel"
    assert c["customer"]["address_lines"] == ["12 High St", "Unit 4", "Peoria, IL 61602"]
    assert c["company"]["address_oneline"] == "400 Market Street, Suite 12, Springfield, IL 62701"
    # half now, half next month: the odd cent goes first, the second date is a business day
    assert c["split"] == {"first_amount": "$925.01", "first_date": "April 1, 2024",
                          "second_amount": "$925.01", "second_date": "May 1, 2024"}


def test_attention_falls_back_to_the_contact():
    assert ctx(customer=replace(CUSTOMER, ap_contact=""))["customer"]["attention"] == "Jane Smith"
    assert ctx(customer=replace(CUSTOMER, ap_contact="", contact=""))["customer"][
        "attention"] == ""


def _shape(value, field: F.Field, path: str, problems: list[str]) -> None:
    if field.kind in (F.OBJECT,):
        assert isinstance(value, dict), path
        names = {f.name for f in field.fields}
        for extra in set(value) - names:
            problems.append(f"undocumented {path}.{extra}")
        for f in field.fields:
            if f.name not in value:
                problems.append(f"missing {path}.{f.name}")
            else:
                _shape(value[f.name], f, f"{path}.{f.name}", problems)
    elif field.kind == F.LIST:
        assert isinstance(value, list), path
        item = F.Field(field.name, F.OBJECT, "", "", field.fields)
        for v in value:
            _shape(v, item, f"{path}[]", problems)
    elif field.kind == F.LINES:
        assert all(isinstance(v, str) for v in value), path
    elif field.kind == F.NUMBER:
        assert isinstance(value, int) and not isinstance(value, bool), path
    elif field.kind == F.FLAG:
        assert isinstance(value, bool), path
    else:
        assert isinstance(value, str), path


@pytest.mark.parametrize("with_plan", [False, True])
def test_context_is_exactly_the_documented_fields(with_plan):
    c = ctx(plan=plan_terms() if with_plan else None)
    problems: list[str] = []
    _shape(c, F.ROOT, "", problems)
    assert problems == []


def test_plan_fields():
    p = ctx(template="promissory_note", plan=plan_terms(), governing_law="the State of Illinois")
    plan = p["plan"]
    assert p["has_plan"] is True
    assert plan["principal"] == "$2,230.00"
    assert plan["principal_words"] == "two thousand two hundred thirty dollars and 00/100"
    assert plan["financed"] == "$2,000.00"
    assert plan["financed_words"] == "two thousand dollars and 00/100"
    assert plan["annual_rate"] == "8.5%" and plan["interest_free"] is False
    assert plan["first_due"] == "April 18, 2024" and plan["last_due"] == "May 18, 2024"
    assert [r["payment"] for r in plan["schedule"]] == ["$1,000.00", "$1,014.21"]
    assert plan["schedule_totals"] == {"payment": "$2,014.21", "interest": "$14.21",
                                       "principal": "$2,000.00"}
    assert p["governing_law"] == "the State of Illinois"
    blank = ctx()["plan"]
    assert blank["schedule"] == [] and blank["principal"] == ""


def test_plan_terms_from_the_core_schedule():
    from arsheets.core.plans import build_schedule
    from arsheets.letters.context import PlanTerms
    from arsheets.model import Frequency

    plan = Plan("P-9", "C-104", ("INV-1001",), AS_OF, 6, down_payment=D("230.00"),
                frequency=Frequency.MONTHLY, annual_rate=D("0.085"))
    schedule = build_schedule(D("2230.00"), 6, start=AS_OF, frequency=Frequency.MONTHLY,
                              annual_rate=D("0.085"), down_payment=D("230.00"))
    terms = PlanTerms.from_schedule(plan, schedule)
    assert len(terms.rows) == 6 and terms.rows[0].no == 1  # the down payment row is not an
    assert terms.financed == D("2000.00")                  # installment
    c = ctx(plan=terms)
    assert c["plan"]["installments"] == 6 and len(c["plan"]["schedule"]) == 6


def test_aging_summary_from_the_report_row_or_the_invoices():
    from_items = ctx()["aging"]
    assert [(b["label"], b["amount"]) for b in from_items["buckets"]] == [
        ("Current", "$0.00"), ("1-30", "$800.00"), ("31-60", "$1,034.50"), ("61-90", "$0.00"),
        ("91+", "$0.00")]
    row = AgingRow("C-104", "Acme", (D("10"), D("800"), D("1034.50"), D("0"), D("0")),
                   D("1844.50"), None, "")
    from_row = ctx(aging_row=row)["aging"]
    assert from_row["total"] == "$1,844.50"
    assert from_row["buckets"][0] == {"label": "Current", "amount": "$10.00"}


def test_control_characters_are_dropped_and_line_breaks_kept():
    c = ctx(customer=replace(CUSTOMER, name="Acme\x00\x0b Supplies\x1b",
                             address="12 High St\r\nUnit 4\rPeoria"))
    assert c["customer"]["name"] == "Acme Supplies"
    assert c["customer"]["address"] == "12 High St\nUnit 4\nPeoria"


def test_fields_markdown_documents_every_field():
    md = F.fields_markdown()
    for path, field in F.walk():
        name = path.split(".")[-1].replace("[]", "")
        assert f"{name}`" in md, path
    assert "| `customer.name` | text |" in md
    assert "| `inv.balance` | money |" in md
    assert "| `row.payment` | money |" in md
    assert F.lookup("customer.name").kind == F.TEXT
    assert F.lookup("customer.nmae") is None
