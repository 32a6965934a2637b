"""Typed text: dates, money, whole numbers, ids, choices, lists and rates as a bookkeeper types them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arsheets import model
from arsheets.workbook import records as R
from arsheets.workbook.dates import NotADate, date_order, parse_date_text, two_digit_year
from arsheets.workbook.values import NO_VALUE, CellError

D = Decimal


# --- dates ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, locale, expected", [
    ("2024-03-15", "en_US", date(2024, 3, 15)),
    ("2024-03-15", "de_DE", date(2024, 3, 15)),
    ("2024/3/5", "en_GB", date(2024, 3, 5)),
    ("2024.03.05", "de_DE", date(2024, 3, 5)),
    ("3/15/2024", "en_US", date(2024, 3, 15)),
    ("03/04/2024", "en_US", date(2024, 3, 4)),
    ("03/04/2024", "en_GB", date(2024, 4, 3)),
    ("15/03/2024", "en_GB", date(2024, 3, 15)),
    ("15/03/2024", "fr_FR", date(2024, 3, 15)),
    ("15.03.2024", "de_DE", date(2024, 3, 15)),
    ("15.3.24", "de_DE", date(2024, 3, 15)),
    ("3/15/24", "en_US", date(2024, 3, 15)),
    ("1/2/30", "en_US", date(1930, 1, 2)),
    ("15 Mar 2024", "en_US", date(2024, 3, 15)),
    ("15 March 2024", "en_GB", date(2024, 3, 15)),
    ("March 15, 2024", "en_US", date(2024, 3, 15)),
    ("Mar 15 2024", "en_US", date(2024, 3, 15)),
    ("15-Mar-24", "en_US", date(2024, 3, 15)),
    ("15-Mar-2024", "de_DE", date(2024, 3, 15)),
    ("2024 Mar 15", "en_US", date(2024, 3, 15)),
    ("Sept 9, 2024", "en_US", date(2024, 9, 9)),
    ("Fri, 15 Mar 2024", "en_US", date(2024, 3, 15)),
    ("15th March 2024", "en_GB", date(2024, 3, 15)),
    ("15. März 2024", "de_DE", date(2024, 3, 15)),
    ("15 mars 2024", "fr_FR", date(2024, 3, 15)),
    ("2 févr. 2024", "fr_FR", date(2024, 2, 2)),
    ("2024-03-15 10:30", "en_US", date(2024, 3, 15)),
    ("2024-03-15T10:30:00Z", "en_US", date(2024, 3, 15)),
    ("2024-03-15T10:30:00.123+01:00", "en_US", date(2024, 3, 15)),
    ("3/15/2024 2:30 PM", "en_US", date(2024, 3, 15)),
    ("15/03/2024 14:05:09", "en_GB", date(2024, 3, 15)),
    ("15 Mar 2024 9:00", "en_US", date(2024, 3, 15)),
    ("  2024-03-15  ", "en_US", date(2024, 3, 15)),
    ("2024-02-29", "en_US", date(2024, 2, 29)),
])
def test_text_dates(text, locale, expected):
    assert parse_date_text(text, locale) == expected


@pytest.mark.parametrize("text, locale", [
    ("abc", "en_US"), ("31/02/2024", "en_GB"), ("2024-02-30", "en_US"), ("2023-02-29", "en_US"),
    ("13/13/2024", "en_US"), ("Mar 2024", "en_US"), ("15 Foo 2024", "en_US"), ("10:30", "en_US"),
    ("2024-03-15 25:00", "en_US"), ("3/15/2024 13:00 PM", "en_US"), ("15 Mar 2024!", "en_US"),
    ("45366", "en_US"), ("15 März 2024", "en_US"), ("0024-03-15", "en_US"), ("15 Mar Apr 2024", "en_US"),
    ("Mar 2024 15", "en_US"), ("2024-3", "en_US"), ("", "en_US"),
])
def test_not_dates(text, locale):
    with pytest.raises(NotADate):
        parse_date_text(text, locale)


def test_not_a_date_message_and_hint():
    with pytest.raises(NotADate) as exc:
        parse_date_text("abc", "en_US")
    assert str(exc.value) == "'abc' is not a date"
    assert exc.value.hint == "type it as 2024-03-31"


def test_wrong_locale_order_suggests_the_swap():
    with pytest.raises(NotADate) as exc:
        parse_date_text("15/03/2024", "en_US")
    assert str(exc.value) == "'15/03/2024' is not a date: en_US dates are month/day/year"
    assert exc.value.hint == "type it as 2024-03-15, or set Locale in Settings"


def test_year_first_locale_refuses_day_month_text():
    with pytest.raises(NotADate) as exc:
        parse_date_text("15/03/2024", "ja_JP")
    assert str(exc.value) == "'15/03/2024' is not a date: ja_JP dates are year/month/day"


def test_long_text_is_shortened_in_messages():
    with pytest.raises(NotADate) as exc:
        parse_date_text("x" * 100, "en_US")
    assert str(exc.value) == "'" + "x" * 39 + "…' is not a date"


@pytest.mark.parametrize("locale, order", [("en_US", "MDY"), ("en_GB", "DMY"), ("de_DE", "DMY"),
                                           ("fr_FR", "DMY"), ("ja_JP", "YMD"), ("en_CA", "YMD"),
                                           ("nonsense", "MDY")])
def test_date_order(locale, order):
    assert date_order(locale) == order


def test_two_digit_years_follow_excel():
    assert two_digit_year(0) == 2000 and two_digit_year(29) == 2029
    assert two_digit_year(30) == 1930 and two_digit_year(99) == 1999


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(9999, 12, 31)))
def test_iso_and_locale_round_trip(d):
    assert parse_date_text(d.isoformat(), "en_US") == d
    assert parse_date_text(f"{d.month}/{d.day}/{d.year}", "en_US") == d
    assert parse_date_text(f"{d.day:02d}/{d.month:02d}/{d.year}", "en_GB") == d
    assert parse_date_text(d.strftime("%d %b %Y"), "en_US") == d
    assert parse_date_text(d.strftime("%B %d, %Y"), "en_GB") == d


# --- the converters ----------------------------------------------------------------------------------------

CONV = R.Converters("en_US", "USD")


def bad(fn, value) -> str:
    with pytest.raises(R.Bad) as exc:
        fn(value)
    e = exc.value
    return e.message + (f" ({e.hint})" if e.hint else "")


def test_date_converter():
    assert CONV.date(date(2024, 3, 1)) == date(2024, 3, 1)
    assert CONV.date("15 Mar 2024") == date(2024, 3, 15)
    assert CONV.date(D(45366)) == date(2024, 3, 15)  # an Excel serial
    assert CONV.date(D("45366.75")) == date(2024, 3, 15)
    assert R.Converters(date1904=True).date(D(43904)) == date(2024, 3, 15)
    assert CONV.date("   ") is None
    assert bad(CONV.date, "abc") == "'abc' is not a date (type it as 2024-03-31)"
    assert bad(CONV.date, D(3000000)) == "3000000 is not a date (type it as 2024-03-31)"
    assert bad(CONV.date, D(-1)) == "-1 is not a date (type it as 2024-03-31)"
    assert bad(CONV.date, True) == "TRUE is not a date (type it as 2024-03-31)"
    assert bad(CONV.date, CellError("#N/A")) == \
        "{header} is #N/A (fix the formula, or type the value)"
    assert bad(CONV.date, NO_VALUE) == ("{header} has a formula with no saved result (open the "
                                        "workbook in Excel and save it)")


def test_date_converter_uses_the_locale():
    assert R.Converters("en_GB").date("03/04/2024") == date(2024, 4, 3)
    assert R.Converters("en_US").date("03/04/2024") == date(2024, 3, 4)


def test_money_converter():
    assert CONV.money(D("1234.5678")) == D("1234.57")
    assert CONV.money(D("8475.860000000001")) == D("8475.86")
    assert CONV.money(D("2.675")) == D("2.68")
    assert CONV.money(D("-2.675")) == D("-2.68")
    assert CONV.money("$1,200.00") == D("1200.00")
    assert CONV.money("(45.10)") == D("-45.10")
    assert CONV.money(" 12 ") == D("12.00")
    assert CONV.money("") is None
    assert R.Converters("de_DE", "EUR").money("1.200,50 €") == D("1200.50")
    assert bad(CONV.money, "abc") == "'abc' is not an amount (type it like 1234.56)"
    assert bad(CONV.money, "EUR 12") == ("'EUR 12' is in EUR, not the workbook currency USD "
                                         "(convert it to USD, or change Currency in Settings)")
    assert bad(CONV.money, "1.200,00") == (
        "'1.200,00' could be read more than one way ('1.2' or '1,200') "
        "(type it without thousands separators, like 1234.56)")
    assert bad(CONV.money, date(2024, 3, 1)) == \
        "2024-03-01 is a date, not an amount (format the cell as a number)"
    assert bad(CONV.money, True) == "TRUE is not an amount (type it like 1234.56)"
    assert bad(CONV.money, D("1E+40")) == \
        "10000000000000000000000000000000000000000 is too large to be an amount"
    assert bad(CONV.money, CellError("#DIV/0!")) == \
        "{header} is #DIV/0! (fix the formula, or type the value)"


def test_int_converter():
    assert R.to_int(D(30)) == 30
    assert R.to_int(D("30.0")) == 30
    assert R.to_int("30") == 30
    assert R.to_int(" 30.00 ") == 30
    assert R.to_int(D(0)) == 0
    assert R.to_int("") is None
    assert R.to_int("-7", negative=True) == -7
    assert bad(R.to_int, D("30.5")) == "30.5 is not a whole number (type it like 30)"
    assert bad(R.to_int, "30 days") == "'30 days' is not a whole number (type it like 30)"
    assert bad(R.to_int, D(-5)) == "-5 cannot be negative"
    assert bad(R.to_int, "-5") == "'-5' cannot be negative"
    assert bad(R.to_int, date(2024, 1, 1)) == "2024-01-01 is not a whole number (type it like 30)"
    assert bad(R.to_int, NO_VALUE).startswith("{header} has a formula with no saved result")


def test_id_converter():
    assert R.to_id("001") == "001"
    assert R.to_id("  INV-7 ") == "INV-7"
    assert R.to_id(D(1001)) == "1001"
    assert R.to_id(D("1001.0")) == "1001"
    assert R.to_id(D("1E+3")) == "1000"
    assert R.to_id(D("12.5")) == "12.5"
    assert R.to_id("  ") is None
    assert R.to_id(date(2024, 1, 2)) == "2024-01-02"
    assert bad(R.to_id, True) == "TRUE is not an id (type the id as text)"
    assert bad(R.to_id, CellError("#REF!")) == "{header} is #REF! (fix the formula, or type the value)"


def test_text_converter():
    assert R.to_text("  Line 1\nLine 2  ") == "Line 1\nLine 2"
    assert R.to_text(D("5551234")) == "5551234"
    assert R.to_text(D("0.5")) == "0.5"
    assert R.to_text(False) == "FALSE"
    assert R.to_text(date(2024, 1, 2)) == "2024-01-02"
    assert R.to_text(" ") is None
    assert bad(R.to_text, CellError("#N/A")) == "{header} is #N/A (fix the formula, or type the value)"


def test_choice_converter():
    hold = R.choice("Hold", [h.value for h in model.Hold])
    assert hold("disputed") == "Disputed"
    assert hold("ON HOLD") == "On hold"
    assert hold("onhold") == "On hold"
    assert hold(" ") is None
    assert bad(hold, "Disputd") == ("'Disputd' is not a Hold (use one of Disputed, On hold, Written "
                                    "off, Agency, or leave it blank)")
    assert bad(hold, D(1)) == ("1 is not a Hold (use one of Disputed, On hold, Written off, Agency, "
                               "or leave it blank)")
    kind = R.choice("Type", ("Letter", "Call"), required=True)
    assert bad(kind, "Fax") == "'Fax' is not a Type (use one of Letter, Call)"
    assert bad(kind, CellError("#N/A")) == "{header} is #N/A (fix the formula, or type the value)"


def test_list_converter():
    assert R.to_list("INV-1; INV-2 ;;INV-1") == ("INV-1", "INV-2")
    assert R.to_list("INV-1") == ("INV-1",)
    assert R.to_list(D(1001)) == ("1001",)
    assert R.to_list(" ; ") is None


def test_rate_converter():
    assert R.to_rate("5%") == D("0.05")
    assert R.to_rate("1.5 %") == D("0.015")
    assert R.to_rate(D("0.015")) == D("0.015")
    assert R.to_rate(D(0)) == 0
    assert R.to_rate(" ") is None
    assert bad(R.to_rate, "abc") == "'abc' is not a rate; type it like 5% or 1.5%"
    assert bad(R.to_rate, D("1.5")) == \
        "1.5 would mean 150.0%; type it with a percent sign, like 1.5%"
    assert bad(R.to_rate, "-2%") == "'-2%' cannot be negative"
    assert bad(R.to_rate, date(2024, 1, 1)) == "2024-01-01 is not a rate (type it like 5% or 1.5%)"


def test_locale_converter():
    assert R.to_locale("en-GB") == "en_GB"
    assert R.to_locale("de") == "de"
    assert bad(R.to_locale, "xx_YY") == ("'xx_YY' is not a locale (type one like en_US, en_GB, "
                                         "de_DE or fr_FR, or leave it blank)")


def test_values_no_column_accepts():
    assert R.special(object()).message.endswith("cannot be used here")
    assert bad(R.to_text, [1]) == "[1] cannot be used here"


def test_shown():
    assert R.shown("abc") == "'abc'"
    assert R.shown(D("30.50")) == "30.5"
    assert R.shown(D("1E+3")) == "1000"
    assert R.shown(True) == "TRUE"
    assert R.shown(date(2024, 3, 1)) == "2024-03-01"
    assert R.shown(CellError("#N/A")) == "#N/A"


# --- customers' own late fee policies -----------------------------------------------------------------------

BASE = model.Settings(late_fee=model.FeePolicy(model.FeeKind.MONTHLY_RATE, D("0.015"), D("25.00"),
                                               5, D("10.00"), D("100.00")))


def policy(text, settings=BASE):
    return R.customer_policy(text, settings, CONV)


def test_customer_policy_with_own_rate_or_amount():
    assert policy("Monthly Rate 2%") == model.FeePolicy(model.FeeKind.MONTHLY_RATE, D("0.02"),
                                                        D("25.00"), 5, D("10.00"), D("100.00"))
    assert policy("flat 40") == model.FeePolicy(model.FeeKind.FLAT, D("0.015"), D("40.00"), 5,
                                                D("10.00"), D("100.00"))
    assert policy("Flat: $30").amount == D("30.00")
    assert policy("Annual Rate 18%").rate == D("0.18")
    assert policy("percentonce 5%").kind is model.FeeKind.PERCENT_ONCE


def test_customer_policy_name_only_takes_the_settings():
    assert policy("Annual Rate") == model.FeePolicy(model.FeeKind.ANNUAL_RATE, D("0.015"),
                                                    D("25.00"), 5, D("10.00"), D("100.00"))
    assert policy("None").kind is model.FeeKind.NONE
    assert policy("  ") is None


def test_customer_policy_problems():
    bare = model.Settings()
    assert bad(lambda v: policy(v, bare), "Flat") == \
        "'Flat' needs an amount (type it like Flat 25, or set Late Fee Amount in Settings)"
    assert bad(lambda v: policy(v, bare), "Monthly Rate") == (
        "'Monthly Rate' needs a rate (type it like Monthly Rate 1.5%, or set Late Fee Rate in "
        "Settings)")
    assert bad(lambda v: policy(v, bare), "UK Statutory") == (
        "'UK Statutory' needs a Reference Rate (set Reference Rate in Settings, or add a "
        "Rate From | Reference Rate table)")
    assert policy("UK Statutory", model.Settings(reference_rate=D("0.05"))).kind is \
        model.FeeKind.UK_STATUTORY
    assert bad(policy, "Weekly 5%") == (
        "'Weekly 5%' is not a Late Fee Policy (use one of None, Flat, Percent Once, Monthly Rate, "
        "Annual Rate, UK Statutory, EU Statutory, optionally with a rate or amount like Monthly "
        "Rate 1.5% or Flat 25, or leave it blank)")
    assert bad(policy, "Flat abc") == "'Flat abc': 'abc' is not an amount (type it like Flat 25)"
    assert bad(policy, "Flat 0") == \
        "'Flat 0': the amount must be more than 0 (type it like Flat 25)"
    assert bad(policy, "Monthly Rate abc") == \
        "'Monthly Rate abc': 'abc' is not a rate; type it like 5% or 1.5%"
    assert bad(policy, "Monthly Rate 0%") == \
        "'Monthly Rate 0%': the rate must be more than 0 (type it like Monthly Rate 1.5%)"
    assert bad(policy, "None 5") == "'None 5': None takes no rate or amount (type just None)"
    assert bad(lambda v: policy(v, model.Settings(reference_rate=D("0.05"))), "EU Statutory 2%") \
        == ("'EU Statutory 2%': EU Statutory takes no rate of its own; set Reference Rate in "
            "Settings (type just EU Statutory)")
    assert bad(policy, CellError("#N/A")) == "{header} is #N/A (fix the formula, or type the value)"


def test_split_policy():
    assert R.split_policy("Monthly Rate 2%") == (model.FeeKind.MONTHLY_RATE, "2%")
    assert R.split_policy("MonthlyRate2%") == (model.FeeKind.MONTHLY_RATE, "2%")
    assert R.split_policy("Flatten") is None
    assert R.split_policy("UK Statutory") == (model.FeeKind.UK_STATUTORY, "")
