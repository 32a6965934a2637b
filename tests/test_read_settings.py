"""The Settings sheet: Key | Value, the Columns table, the Ladder and the reference-rate history."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from arsheets import model
from arsheets.errors import ArsheetsError
from arsheets.workbook.read import read_workbook
from arsheets.workbook.scan import XlsxBook
from arsheets.workbook.settings import read_settings

from xlsx_fixtures import Sheet, contract_book, settings_rows, xlsx

D = Decimal


def read(tmp_path, rows, **kw):
    path = xlsx(tmp_path / "s.xlsx", [Sheet("Settings", rows)], **kw)
    with XlsxBook.open(path) as book:
        return read_settings(book.sheet("Settings"), book.date1904)


def ok(tmp_path, settings=None, **kw) -> model.Settings:
    found = read(tmp_path, settings_rows(settings, **kw))
    assert [str(p) for p in found.problems] == []
    return found.settings


def problems(tmp_path, settings=None, **kw) -> list[str]:
    return [str(p) for p in read(tmp_path, settings_rows(settings, **kw)).problems]


def test_no_settings_sheet_means_defaults():
    found = read_settings(None)
    assert found.settings == model.Settings() and found.problems == [] and found.sheet is None
    assert found.settings.ladder == model.DEFAULT_LADDER


def test_every_key(tmp_path):
    s = ok(tmp_path, {
        "Company Name": "Bright Books", "Company Address": "1 High St\nLeeds",
        "Company Phone": 441130000000, "Company Email": "ar@bright.test", "Signatory": "Sam",
        "Signatory Title": "Director", "Currency": "gbp", "Locale": "en-GB",
        "Holiday Country": "gb", "Holiday Region": "eng", "As Of Date": date(2024, 6, 30),
        "Aging Basis": "invoice date", "Aging Buckets": "15; 30 45,90", "Default Terms": 14,
        "Late Fee Policy": "uk statutory", "Late Fee Rate": "", "Late Fee Amount": "£40",
        "Grace Days": "3", "Late Fee Minimum": 1, "Late Fee Maximum": "500",
        "Reference Rate": 0.0525, "Early Discount": "2%/10 net 30",
        "Pay By Business Days": 7, "Credit Hold Days": 60, "Chronic Late Days": 20,
        "Letters Folder": "out", "Templates Folder": "my templates",
    })
    assert s == model.Settings(
        company_name="Bright Books", company_address="1 High St\nLeeds",
        company_phone="441130000000", company_email="ar@bright.test", signatory="Sam",
        signatory_title="Director", currency="GBP", locale="en_GB", holiday_country="GB",
        holiday_region="ENG", as_of=date(2024, 6, 30), aging_basis=model.AgingBasis.INVOICE_DATE,
        aging_edges=(15, 30, 45, 90), default_terms=14,
        late_fee=model.FeePolicy(model.FeeKind.UK_STATUTORY, None, D("40.00"), 3, D("1.00"),
                                 D("500.00")),
        reference_rate=D("0.0525"), early_discount=model.EarlyDiscount(D("0.02"), 10),
        pay_by_business_days=7, credit_hold_days=60, chronic_late_days=20, letters_folder="out",
        templates_folder="my templates")


def test_keys_match_loosely_blank_means_default_unknown_ignored(tmp_path):
    s = ok(tmp_path, {"  default   TERMS ": 10, "grace days": None, "Currency": "  ",
                      "Favourite colour": "blue", "Holiday Country": "None"})
    assert s.default_terms == 10 and s.late_fee.grace_days == 0 and s.currency == "USD"
    assert s.holiday_country is None


def test_tables_anywhere_and_reading_stops_at_a_blank_row(tmp_path):
    rows = [["My settings"], [], [None, None, "key", "VALUE"], [None, None, "Currency", "EUR"],
            [None, None, "Locale", "de_DE"], [], [None, None, "Default Terms", 99],
            [None, None, None, None, None, "Days", "Stage", "Action", "Template"],
            [None, None, None, None, None, 10, "Nudge", "Email", "nudge"]]
    s = read(tmp_path, rows).settings
    assert (s.currency, s.locale, s.default_terms) == ("EUR", "de_DE", 30)
    assert s.ladder == (model.LadderStep(10, "Nudge", "Email", "nudge"),)


def test_as_of_date_as_text_follows_the_locale(tmp_path):
    assert ok(tmp_path, {"Locale": "en_GB", "As Of Date": "01/02/2024"}).as_of == date(2024, 2, 1)
    assert ok(tmp_path, {"As Of Date": "01/02/2024"}).as_of == date(2024, 1, 2)
    assert ok(tmp_path, {"As Of Date": 45366}).as_of == date(2024, 3, 15)


@pytest.mark.parametrize("value, expected", [
    ("2/10", (D("0.02"), 10)), ("2%/10", (D("0.02"), 10)), ("2 / 10 net 30", (D("0.02"), 10)),
    ("1.5/15", (D("0.015"), 15)), ("2/10, n30", (D("0.02"), 10)),
    (date(2024, 2, 10), (D("0.02"), 10)),  # "2/10" typed into a cell Excel turned into a date
])
def test_early_discount(tmp_path, value, expected):
    s = ok(tmp_path, {"Early Discount": value})
    assert s.early_discount == model.EarlyDiscount(*expected)


def test_early_discount_typed_as_a_date_in_a_day_first_locale(tmp_path):
    s = ok(tmp_path, {"Locale": "en_GB", "Early Discount": date(2024, 10, 2)})
    assert s.early_discount == model.EarlyDiscount(D("0.02"), 10)


@pytest.mark.parametrize("policy, extra, rate, amount", [
    ("Flat", {"Late Fee Amount": 25}, None, D("25.00")),
    ("Percent Once", {"Late Fee Rate": "5%"}, D("0.05"), None),
    ("Monthly Rate", {"Late Fee Rate": 0.015}, D("0.015"), None),
    ("Annual Rate", {"Late Fee Rate": "18 %"}, D("0.18"), None),
    ("EU Statutory", {"Reference Rate": "4.5%"}, None, None),
    ("None", {}, None, None),
])
def test_policies_with_what_they_need(tmp_path, policy, extra, rate, amount):
    s = ok(tmp_path, {"Late Fee Policy": policy, **extra})
    assert (s.late_fee.kind.value, s.late_fee.rate, s.late_fee.amount) == (policy, rate, amount)


def test_reference_rate_history(tmp_path):
    s = ok(tmp_path, {"Late Fee Policy": "UK Statutory"},
           rates=[(date(2024, 8, 1), "5%"), (date(2023, 8, 3), 0.0525), ("2020-03-19", "0.1%"),
                  (date(2009, 3, 5), "-0.5%")])
    assert s.reference_rate is None
    assert s.reference_rates == ((date(2009, 3, 5), D("-0.005")), (date(2020, 3, 19), D("0.001")),
                                 (date(2023, 8, 3), D("0.0525")), (date(2024, 8, 1), D("0.05")))


def test_ladder(tmp_path):
    s = ok(tmp_path, ladder=[(30, "Second", "letter", "second"), (-7, "Early", "Email", "early"),
                             ("1", "Call them", "call", None), (120, "Agency", "Agency", None)])
    assert s.ladder == (model.LadderStep(-7, "Early", "Email", "early"),
                        model.LadderStep(1, "Call them", "Call"),
                        model.LadderStep(30, "Second", "Letter", "second"),
                        model.LadderStep(120, "Agency", "Agency"))


def test_an_empty_ladder_table_means_no_ladder(tmp_path):
    assert ok(tmp_path, ladder=[]).ladder == ()


def test_ladder_without_a_template_column(tmp_path):
    rows = [["Days", "Stage", "Action"], [3, "Call", "Call"]]
    assert read(tmp_path, rows).settings.ladder == (model.LadderStep(3, "Call", "Call"),)


def test_columns_table(tmp_path):
    found = read(tmp_path, settings_rows(columns=[("Invoices", "Inv No", "Invoice"),
                                                  ("customers", " Client  ID", "customer"),
                                                  ("Invoices", "Outstanding", "Balance")]))
    assert found.problems == []
    assert found.aliases == {"Invoices": {"invno": "Invoice", "outstanding": "Balance"},
                             "Customers": {"clientid": "Customer"}}
    assert found.alias_text["Customers"] == {"Customer": "Client  ID"}


# --- problems: every one is structural -----------------------------------------------------------------


@pytest.mark.parametrize("settings, message", [
    ({"Currency": "XYZ"},
     "Settings!B2: 'XYZ' is not a currency code (type an ISO 4217 code like USD, EUR or GBP)"),
    ({"Currency": 12}, "Settings!B2: '12' is not a currency code (type an ISO 4217 code like USD, "
                       "EUR or GBP)"),
    ({"Locale": "xx_YY"}, "Settings!B2: 'xx_YY' is not a locale (type one like en_US, en_GB, "
                          "de_DE or fr_FR, or leave it blank)"),
    ({"Holiday Country": "Narnia"}, "Settings!B2: 'Narnia' is not a country the holiday calendar "
                                    "knows (type a two-letter code like US, GB or DE, or None for "
                                    "no holidays)"),
    ({"Holiday Country": "None", "Holiday Region": "CA"},
     "Settings!B3: Holiday Region 'CA' needs a Holiday Country (set Holiday Country, or clear "
     "Holiday Region)"),
    ({"As Of Date": "abc"}, "Settings!B2: 'abc' is not a date (type it as 2024-03-31)"),
    ({"Aging Basis": "Due"}, "Settings!B2: 'Due' is not a Aging Basis (use one of Due Date, Invoice "
                             "Date, or leave it blank)"),
    ({"Aging Buckets": "30, 20"}, "Settings!B2: '30, 20' is not a list of increasing bucket edges "
                                  "(type increasing day counts like 30, 60, 90)"),
    ({"Aging Buckets": "30, x"}, "Settings!B2: '30, x' is not a list of bucket edges (type "
                                 "increasing day counts like 30, 60, 90)"),
    ({"Aging Buckets": "0, 30"}, "Settings!B2: '0, 30' is not a list of bucket edges (type "
                                 "increasing day counts like 30, 60, 90)"),
    ({"Aging Buckets": True}, "Settings!B2: TRUE is not a list of bucket edges (type increasing "
                              "day counts like 30, 60, 90)"),
    ({"Default Terms": "thirty"}, "Settings!B2: 'thirty' is not a whole number (type it like 30)"),
    ({"Grace Days": -1}, "Settings!B2: -1 cannot be negative"),
    ({"Credit Hold Days": 1.5}, "Settings!B2: 1.5 is not a whole number (type it like 30)"),
    ({"Late Fee Policy": "Weekly"}, "Settings!B2: 'Weekly' is not a Late Fee Policy (use one of "
                                    "None, Flat, Percent Once, Monthly Rate, Annual Rate, UK "
                                    "Statutory, EU Statutory, or leave it blank)"),
    ({"Late Fee Rate": "abc"}, "Settings!B2: 'abc' is not a rate; type it like 5% or 1.5%"),
    ({"Late Fee Rate": 5}, "Settings!B2: 5 would mean 500%; type it with a percent sign, like 5%"),
    ({"Late Fee Rate": "-1%"}, "Settings!B2: '-1%' cannot be negative"),
    ({"Late Fee Amount": "abc"}, "Settings!B2: 'abc' is not an amount (type it like 1234.56)"),
    ({"Late Fee Amount": -5}, "Settings!B2: -5 cannot be negative"),
    ({"Reference Rate": "x"}, "Settings!B2: 'x' is not a rate; type it like 5% or 1.5%"),
    ({"Early Discount": "2-10"}, "Settings!B2: '2-10' is not an early discount (type it like 2/10 "
                                 "for 2% off if paid within 10 days)"),
    ({"Early Discount": "0/10"}, "Settings!B2: '0/10': the discount must be more than 0% and less "
                                 "than 100% (type it like 2/10 for 2% off if paid within 10 days)"),
    ({"Early Discount": 2}, "Settings!B2: 2 is not an early discount (type it like 2/10 for 2% "
                            "off if paid within 10 days)"),
    ({"Late Fee Policy": "Flat"}, "Settings!B2: Late Fee Policy Flat needs a Late Fee Amount (add "
                                  "a Late Fee Amount row to the Key | Value table, like 25)"),
    ({"Late Fee Policy": "Monthly Rate"}, "Settings!B2: Late Fee Policy Monthly Rate needs a Late "
                                          "Fee Rate (add a Late Fee Rate row to the Key | Value "
                                          "table, like 1.5%)"),
    ({"Late Fee Policy": "UK Statutory"}, "Settings!B2: Late Fee Policy UK Statutory needs a "
                                          "Reference Rate (add a Reference Rate row to the Key | "
                                          "Value table, like 5.25%, or a Rate From | Reference "
                                          "Rate table)"),
    ({"Late Fee Minimum": 50, "Late Fee Maximum": 10},
     "Settings!B2: Late Fee Minimum 50.00 is more than the Late Fee Maximum 10.00 (swap them, or "
     "clear one)"),
    ({"Company Name": "x", "company name": "y"},
     "Settings!A3: Company Name is set twice (also on row 2) (keep one of them)"),
])
def test_setting_problems(tmp_path, settings, message):
    assert problems(tmp_path, settings) == [message]


def test_error_values_in_the_small_tables(tmp_path):
    from xlsx_fixtures import Err
    assert problems(tmp_path, {"Currency": "USD"}, ladder=[(Err(), "A", "Call", None),
                                                           (1, Err(), "Call", None),
                                                           (2, "B", Err(), None),
                                                           (3, "C", "Call", Err())]) == [
        "Settings!A5: Days is #N/A (fix the formula, or type the value)",
        "Settings!B6: Stage is #N/A (fix the formula, or type the value)",
        "Settings!C7: Action is #N/A (fix the formula, or type the value)",
        "Settings!D8: Template is #N/A (fix the formula, or type the value)"]
    assert problems(tmp_path, {"Currency": "USD"}, columns=[("Invoices", Err(), "Invoice")]) == [
        "Settings!A5: this Columns row is #N/A (fix the formula, or type the value)"]


def test_early_discount_as_a_date_in_a_year_first_locale(tmp_path):
    assert problems(tmp_path, {"Locale": "ja_JP", "Early Discount": date(2024, 2, 10)}) == [
        "Settings!B3: 2024-02-10 is not an early discount (type it like 2/10 for 2% off if paid "
        "within 10 days)"]


def test_negative_reference_rate_as_a_number(tmp_path):
    s = ok(tmp_path, {"Reference Rate": -0.005})
    assert s.reference_rate == D("-0.005")


def test_holiday_region_problem_lists_the_regions(tmp_path):
    [message] = problems(tmp_path, {"Holiday Region": "ZZ"})
    assert message.startswith("Settings!B2: 'ZZ' is not a region of US (use one of AK, AL, ")
    assert message.endswith(", …)")
    [message] = problems(tmp_path, {"Holiday Country": "IS", "Holiday Region": "x"})
    assert message.startswith("Settings!B3: 'x' is not a region of IS (")


def test_a_bad_value_is_not_reported_twice(tmp_path):
    assert problems(tmp_path, {"Late Fee Policy": "Flat", "Late Fee Amount": "x"}) == [
        "Settings!B3: 'x' is not an amount (type it like 1234.56)"]


def test_errors_and_unsaved_formulas_in_settings(tmp_path):
    from xlsx_fixtures import Err, Formula
    assert problems(tmp_path, {"Currency": Err("#N/A"), "Default Terms": Formula("=1")}) == [
        "Settings!B2: Currency is #N/A (fix the formula, or type the value)",
        "Settings!B3: Default Terms has a formula with no saved result (open the workbook in Excel "
        "and save it)"]


@pytest.mark.parametrize("ladder, message", [
    ([("x", "A", "Call", None)], "Settings!A5: 'x' is not a whole number (type it like -7 or 30)"),
    ([(None, "A", "Call", None)], "Settings!A5: Days is blank (type the days after the due date, "
                                  "like 30 (negative: before it))"),
    ([(1, None, "Call", None)], "Settings!B5: Stage is blank (every ladder step needs a name)"),
    ([(1, "A", "Call", None), (2, " a ", "Call", None)],
     "Settings!B6: Stage 'a' is already on row 5 (give each step its own name)"),
    ([(1, "A", "Fax", None)], "Settings!C5: 'Fax' is not a ladder Action (use one of Letter, Call, "
                              "Email, Agency)"),
    ([(1, "A", None, None)], "Settings!C5: Action is blank (use one of Letter, Call, Email, "
                             "Agency)"),
    ([(1, "A", "Letter", None)], "Settings!D5: a Letter step needs a Template (type the "
                                 "template's name, like first_reminder)"),
    ([(1, "A", "Email", "  ")], "Settings!D5: a Email step needs a Template (type the template's "
                                "name, like first_reminder)"),
])
def test_ladder_problems(tmp_path, ladder, message):
    assert problems(tmp_path, {"Currency": "USD"}, ladder=ladder) == [message]


@pytest.mark.parametrize("rates, message", [
    ([("abc", "5%")], "Settings!A5: 'abc' is not a date (type it as 2024-03-31)"),
    ([(None, "5%")], "Settings!A5: Rate From is blank (type the date the rate took effect)"),
    ([(date(2024, 1, 1), None)], "Settings!B5: Reference Rate is blank (type the rate, like "
                                 "5.25%)"),
    ([(date(2024, 1, 1), "five")], "Settings!B5: 'five' is not a rate; type it like 5% or 1.5%"),
    ([(date(2024, 1, 1), "5%"), ("2024-01-01", "4%")],
     "Settings!A6: Rate From 2024-01-01 is already on row 5 (keep one rate per date)"),
])
def test_rate_history_problems(tmp_path, rates, message):
    assert problems(tmp_path, {"Currency": "USD"}, rates=rates) == [message]


@pytest.mark.parametrize("columns, message", [
    ([("Sales", "X", "Invoice")], "Settings!A5: 'Sales' is not a sheet arsheets reads (use one of "
                                  "Invoices, Customers, Payments, Activity, Plans)"),
    ([(None, "X", "Invoice")], "Settings!A5: Sheet is blank (use one of Invoices, Customers, "
                               "Payments, Activity, Plans)"),
    ([("Invoices", None, "Invoice")], "Settings!B5: Header in workbook is blank (type the header "
                                      "as it is in your sheet)"),
    ([("Payments", "X", "Total")], "Settings!C5: 'Total' is not a Payments column (use one of "
                                   "Date, Customer, Invoice, Amount, Method, Reference, Applied "
                                   "To, Unapplied, Problems)"),
    ([("Payments", "X", None)], "Settings!C5: Means is blank (use one of Date, Customer, Invoice, "
                                "Amount, Method, Reference, Applied To, Unapplied, Problems)"),
    ([("Invoices", "X", "Invoice"), ("Invoices", " x", "Customer")],
     "Settings!B6: 'x' on Invoices is already mapped on row 5 (keep one of them)"),
    ([("Invoices", "X", "Invoice"), ("Invoices", "Y", "invoice")],
     "Settings!C6: 'Invoice' on Invoices is already mapped on row 5 (map one header to it)"),
])
def test_columns_table_problems(tmp_path, columns, message):
    assert problems(tmp_path, {"Currency": "USD"}, columns=columns) == [message]


def test_settings_problems_stop_the_read_all_together(tmp_path):
    path = contract_book(tmp_path / "b.xlsx", settings={"Currency": "XYZ", "Grace Days": "x"},
                         omit=["Payments"])
    with pytest.raises(ArsheetsError) as exc:
        read_workbook(path)
    assert [str(p) for p in exc.value.problems] == [
        "Settings!B2: 'XYZ' is not a currency code (type an ISO 4217 code like USD, EUR or GBP)",
        "Settings!B3: 'x' is not a whole number (type it like 30)",
        "workbook: no 'Payments' sheet (add it, or see arsheets init for a ready-made workbook)",
    ]


def test_customer_policies_use_the_settings(tmp_path):
    path = contract_book(tmp_path / "b.xlsx",
                         settings={"Late Fee Policy": "Flat", "Late Fee Amount": 25,
                                   "Late Fee Rate": "2%", "Grace Days": 7, "Late Fee Maximum": 90},
                         customers=[{"Customer": "C-01", "Name": "A",
                                     "Late Fee Policy": "Percent Once"},
                                    {"Customer": "C-02", "Name": "B", "Late Fee Policy": "Flat 40"},
                                    {"Customer": "C-03", "Name": "C"}])
    book = read_workbook(path).book
    assert book.customers[0].late_fee == model.FeePolicy(model.FeeKind.PERCENT_ONCE, D("0.02"),
                                                         D("25.00"), 7, None, D("90.00"))
    assert book.customers[1].late_fee.amount == D("40.00")
    assert book.customers[2].late_fee is None
