"""``pipeline.refresh`` from workbook to workbook: read, compute, write, and read back.

Every workbook is built in the test: the demo business from the template, small books with
``xlsx_fixtures.contract_book`` (a bookkeeper's own layout: missing owned columns, stale values, a
formula column of their own). Expected figures are worked out by hand in the comments, from the
inputs, with the conventions of money-and-dates.md: Monthly Rate 1.5% = 18% a year, actual/365,
grace 10 days as a shift; Early Discount 2/10.
"""

from __future__ import annotations

import re
import warnings
import zipfile
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from arsheets import pipeline
from arsheets.demo import DEMO_ROLES, demo_book
from arsheets.errors import column_letter
from arsheets.model import Hold
from arsheets.workbook import schema
from arsheets.workbook.template import build_workbook

from fidelity_workbook import cells, part
from libreoffice import libreoffice_csv
from xlsx_fixtures import CUSTOMER, Formula, Sheet, contract_book, data_rows, xlsx

D = Decimal
AS_OF = date(2024, 6, 1)
SPECS = {s.name: s for s in schema.DATA_SHEETS}
INV_INPUTS = [c.name for c in SPECS["Invoices"].inputs]
INV_OWNED = [c.name for c in SPECS["Invoices"].owned]

# The small book. As of 2024-06-01:
#   INV-1 100.00 on 2024-03-01, due 2024-03-31 (Default Terms 30); the 30.00 paid on 2024-04-01
#         goes to it (the oldest): paid 30.00, balance 70.00, 62 days overdue -> 61-90, Overdue.
#   INV-2 250.00 on 2024-05-20, due 2024-06-19: current, Open.
INVOICES = [
    {"Invoice": "INV-1", "Customer": "C-01", "Invoice Date": date(2024, 3, 1), "Amount": 100},
    {"Invoice": "INV-2", "Customer": "C-01", "Invoice Date": date(2024, 5, 20), "Amount": 250},
]
PAYMENTS = [{"Date": date(2024, 4, 1), "Customer": "C-01", "Amount": 30}]


def cents(x: Decimal) -> Decimal:
    return x.quantize(D("0.01"), ROUND_HALF_UP)


def money(value: object) -> Decimal:
    return cents(D(str(value)))


def blank(value: object) -> bool:
    return value is None or value == ""


def load(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(path, **kw)


def records(path, sheet: str) -> list[dict[str, object]]:
    """A sheet's rows as {header: value}, read with python-calamine (blank rows kept)."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def by(path, sheet: str, key: str) -> dict[str, dict[str, object]]:
    return {r[key]: r for r in records(path, sheet) if r[key] != ""}


# --- the same as-of date twice --------------------------------------------------------------------

DEMO_AS_OF = date(2024, 6, 28)


@pytest.fixture(scope="module")
def demo_bytes(tmp_path_factory) -> bytes:
    """The demo workbook as built (not yet refreshed)."""
    path = tmp_path_factory.mktemp("demo") / "demo.xlsx"
    build_workbook(path, *demo_book(DEMO_AS_OF))
    return path.read_bytes()


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_bytes):
    """The demo workbook refreshed as of DEMO_AS_OF, and its Book."""
    path = tmp_path_factory.mktemp("demo-refreshed") / "demo.xlsx"
    path.write_bytes(demo_bytes)
    pipeline.refresh(path, DEMO_AS_OF)
    return path, demo_book(DEMO_AS_OF)[0]


def test_refreshing_twice_with_the_same_as_of_gives_identical_files(tmp_path, demo_bytes):
    path = tmp_path / "demo.xlsx"
    path.write_bytes(demo_bytes)
    first = pipeline.refresh(path, DEMO_AS_OF)
    once = path.read_bytes()
    assert once != demo_bytes and first.written.cells_written > 1000
    second = pipeline.refresh(path, DEMO_AS_OF)
    assert path.read_bytes() == once
    assert second.written.backup_path.read_bytes() == once
    assert pipeline.refresh(path, DEMO_AS_OF, dry_run=True).changes == ()


# --- owned columns the bookkeeper's sheet lacks ---------------------------------------------------

def test_progress_is_reported_for_each_sheet_read_and_written(tmp_path):
    path = contract_book(tmp_path / "book.xlsx", invoices=INVOICES, payments=PAYMENTS)
    seen: list[tuple[str, int]] = []
    pipeline.refresh(path, AS_OF, progress=lambda what, rows: seen.append((what, rows)))
    assert ("Reading Invoices", 2) in seen and ("Reading Payments", 1) in seen
    writes = [step for step in seen if step[0] == "Writing Invoices"]
    assert writes == [("Writing Invoices", 0), ("Writing Invoices", 2)]  # started, then done
    assert seen.index(("Reading Payments", 1)) < seen.index(writes[0])


def test_missing_owned_columns_are_added_after_the_last_used_column(tmp_path):
    headers = [*INV_INPUTS, "Paid", "Balance", "Status", "My Notes"]  # N: the bookkeeper's own
    path = contract_book(tmp_path / "book.xlsx", tables=True, headers={"Invoices": headers},
                         invoices=[{**INVOICES[0], "Status": "stale", "My Notes": "call Tuesday"},
                                   {**INVOICES[1], "My Notes": "new customer"}],
                         payments=PAYMENTS)
    outcome = pipeline.refresh(path, AS_OF)
    missing = [h for h in INV_OWNED if h not in headers]  # in the contract's order
    added = [f"Invoices!{column_letter(len(headers) + 1 + k)}1 {name}"
             for k, name in enumerate(missing)]
    assert [c for c in outcome.written.columns_added if c.startswith("Invoices!")] == added
    assert outcome.added_columns["Invoices"] == tuple(missing)  # in sheet order

    ws = load(path)["Invoices"]
    assert [c.value for c in ws[1]] == headers + missing
    table = ws.tables["InvoicesTable"]
    last = column_letter(len(headers) + len(missing))
    assert table.ref == f"A1:{last}3"
    assert [c.name for c in table.tableColumns] == headers + missing
    row = dict(zip(headers + missing, (c.value for c in ws[2])))
    assert row["My Notes"] == "call Tuesday"  # the bookkeeper's column is left alone
    assert (money(row["Paid"]), money(row["Balance"]), row["Status"]) == (D("30.00"), D("70.00"),
                                                                         "Overdue")
    assert (row["Days Overdue"], row["Aging"], money(row["Amount Due"])) == (62, "61-90",
                                                                            D("70.00"))
    assert blank(row["Problems"]) and blank(row["Discount"])
    second = dict(zip(headers + missing, (c.value for c in ws[3])))
    assert (second["My Notes"], second["Status"], second["Aging"]) == ("new customer", "Open",
                                                                      "Current")
    # the other sheets had no owned column at all: theirs go after their inputs
    payments = load(path)["Payments"]
    n = len(SPECS["Payments"].inputs)
    assert [c.value for c in payments[1]][n:] == [c.name for c in SPECS["Payments"].owned]
    # and a second refresh finds them all in place
    assert pipeline.refresh(path, AS_OF).added_columns == {}


# --- problem rows and stale values ----------------------------------------------------------------

def _stale(kind: schema.Kind) -> object:
    return {schema.Kind.MONEY: 999, schema.Kind.INT: 999, schema.Kind.DATE: date(2020, 1, 1)
            }.get(kind, "stale")


STALE = {c.name: _stale(c.kind) for c in SPECS["Invoices"].owned}


@pytest.fixture
def stale_book(tmp_path):
    """Every owned cell holds a stale value. Row 3 has a bad date; row 4 is blank of input (the
    bookkeeper cleared an invoice's inputs and left our columns); row 5 is a second good invoice:
    INV-3 50.00 on 2024-04-15, due 2024-05-15, 17 days overdue as of 2024-06-01 -> 1-30."""
    path = contract_book(
        tmp_path / "stale.xlsx", tables=True, headers={"Invoices": INV_INPUTS + INV_OWNED},
        invoices=[{**INVOICES[0], **STALE},
                  {**INVOICES[0], "Invoice": "INV-2", "Invoice Date": "abc", **STALE},
                  STALE,
                  {"Invoice": "INV-3", "Customer": "C-01", "Invoice Date": date(2024, 4, 15),
                   "Amount": 50, **STALE}],
        payments=PAYMENTS)
    pipeline.refresh(path, AS_OF)
    return path


def test_a_problem_row_gets_its_problems_and_nothing_else(stale_book):
    rows = records(stale_book, "Invoices")
    bad = rows[1]
    assert bad["Problems"] == "Invoices!C3: 'abc' is not a date (type it as 2024-03-31)"
    assert {h: bad[h] for h in INV_OWNED if h != "Problems" and not blank(bad[h])} == {}
    first, third = rows[0], rows[3]
    assert (money(first["Paid"]), money(first["Balance"]), first["Status"]) == (
        D("30.00"), D("70.00"), "Overdue")
    assert (money(third["Paid"]), money(third["Balance"]), int(third["Days Overdue"]),
            third["Aging"], third["Status"]) == (D("0.00"), D("50.00"), 17, "1-30", "Overdue")
    for row in (first, third):
        assert blank(row["Problems"]) and blank(row["Discount"])
        # no stale value survives in a computed row (Stage and Next Action may be filled now)
        assert not any(row[h] in ("stale", 999, 999.0) for h in INV_OWNED), row


def test_stale_values_in_a_row_blank_of_input_are_cleared(stale_book):
    row = records(stale_book, "Invoices")[2]
    assert blank(row["Invoice"])
    assert {h: row[h] for h in INV_OWNED if not blank(row[h])} == {}


# --- the bookkeeper's formulas over the status columns --------------------------------------------

FORMULA_HEADERS = [*INV_INPUTS, *INV_OWNED, "Chase?"]
STATUS = column_letter(FORMULA_HEADERS.index("Status") + 1)
CHASE = column_letter(FORMULA_HEADERS.index("Chase?") + 1)
CHASE_IF = "IF(" + STATUS + '{row}="Overdue","chase","")'


@pytest.fixture
def formula_book(tmp_path):
    """The small book with the bookkeeper's own formula column reading Status, and a Summary sheet
    counting and summing the status columns, all saved with stale results (blank / 0)."""
    invoices = [{**inv, "Chase?": Formula(f'={CHASE_IF.format(row=n)}', "")}
                for n, inv in enumerate(INVOICES, start=2)]
    summary = Sheet("Summary", [
        ["Overdue", Formula('=COUNTIF(InvoicesTable[Status],"Overdue")', 0)],
        ["Open balance", Formula("=SUM(InvoicesTable[Balance])", 0)],
    ])
    path = contract_book(tmp_path / "formulas.xlsx", tables=True,
                         headers={"Invoices": FORMULA_HEADERS}, invoices=invoices,
                         payments=PAYMENTS, extra=[summary])
    # as Excel saves it: no recalculation asked for (XlsxWriter asks for one on every file)
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    wb = parts["xl/workbook.xml"]
    parts["xl/workbook.xml"] = wb.replace(b' fullCalcOnLoad="1"', b"")
    assert parts["xl/workbook.xml"] != wb
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path



def _sheet_part(path, name: str) -> str:
    wb = part(path, "xl/workbook.xml").decode()
    rels = part(path, "xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet name="{name}" sheetId="\d+" r:id="(rId\d+)"', wb).group(1)
    return "xl/" + re.search(rf'Id="{rid}" Type="[^"]*" Target="([^"]*)"', rels).group(1)


def test_formulas_reading_the_status_columns_are_kept_and_recalculate_on_open(formula_book):
    sheet = _sheet_part(formula_book, "Invoices")
    before = cells(part(formula_book, sheet))
    assert b'fullCalcOnLoad="1"' not in part(formula_book, "xl/workbook.xml")
    pipeline.refresh(formula_book, AS_OF)
    after = cells(part(formula_book, sheet))
    for row in (2, 3):
        assert after[(CHASE, row)] == before[(CHASE, row)]  # byte for byte
    assert b'fullCalcOnLoad="1"' in part(formula_book, "xl/workbook.xml")
    wb = load(formula_book)
    assert wb["Invoices"][f"{CHASE}2"].value == f"={CHASE_IF.format(row=2)}"
    assert wb["Summary"]["B1"].value == '=COUNTIF(InvoicesTable[Status],"Overdue")'
    assert [wb["Invoices"][f"{STATUS}{r}"].value for r in (2, 3)] == ["Overdue", "Open"]


def test_libreoffice_opens_a_refreshed_workbook_and_reads_the_statuses(formula_book, tmp_path):
    pipeline.refresh(formula_book, AS_OF)
    sheets = libreoffice_csv(formula_book, tmp_path / "lo")
    invoices = [dict(zip(sheets["Invoices"][0], r)) for r in sheets["Invoices"][1:]]
    assert [(r["Invoice"], r["Status"], r["Aging"], D(r["Balance"].replace(",", "")),
             r["Days Overdue"]) for r in invoices] == [
        ("INV-1", "Overdue", "61-90", D("70.00"), "62"),
        ("INV-2", "Open", "Current", D("250.00"), "0")]
    # the bookkeeper's formulas were recalculated from the new statuses
    assert [r["Chase?"] for r in invoices] == ["chase", ""]
    summary = dict((r[0], r[1]) for r in sheets["Summary"])
    assert summary["Overdue"] == "1"
    assert D(summary["Open balance"].replace(",", "")) == D("320")
    aging = sheets["Aging"]
    assert next(r for r in aging if r[0] == "C-01")[:2] == ["C-01", "Acme Ltd"]


# --- the Aging sheet ------------------------------------------------------------------------------

def _aging(path) -> list[list[object]]:
    ws = load(path)["Aging"]
    return [[c.value for c in row] for row in ws.iter_rows()]


def _day(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def test_the_aging_sheet_is_created_then_replaced(tmp_path):
    path = contract_book(tmp_path / "book.xlsx", invoices=INVOICES, payments=PAYMENTS)
    assert "Aging" not in load(path).sheetnames
    pipeline.refresh(path, AS_OF)
    rows = _aging(path)
    assert rows[0][0] == "Accounts receivable aging"
    assert (rows[1][0], _day(rows[1][1]), rows[1][3]) == ("As of", AS_OF, "Due Date")
    # DSO, countback from 2024-06-01 over 320.00 owed: June (1 day, no sales) 1; May 250.00 sold
    # < 320 -> +31 days, 70.00 left; April no sales +30; March 100.00 covers 70.00: 70/100 x 31
    # = 21.7 -> 83.7 days.
    assert rows[2][0] == "DSO (days)" and D(str(rows[2][1])) == D("83.7")
    assert rows[4][:10] == ["Customer", "Name", "Current", "1-30", "31-60", "61-90", "91+",
                            "Total", "% Overdue", "Credit Hold"]
    customer, total, share = rows[5], rows[6], rows[7]
    assert customer[:2] == ["C-01", "Acme Ltd"]
    assert [money(v) for v in customer[2:8]] == [D(250), D(0), D(0), D(70), D(0), D(320)]
    assert D(str(customer[8])) == D("0.2188")  # 70 / 320 = 0.21875, to four places
    assert total[0] == "Total" and [money(v) for v in total[2:8]] == [D(250), D(0), D(0), D(70),
                                                                      D(0), D(320)]
    assert share[0] == "% of total"
    assert [D(str(v)) for v in share[2:7]] == [D("0.7813"), D(0), D(0), D("0.2188"), D(0)]
    with zipfile.ZipFile(path) as zf:
        parts = sorted(zf.namelist())
    assert any(p.startswith("xl/charts/") for p in parts)

    # 2024-07-15: INV-1 is 106 days past due -> 91+; INV-2 26 days -> 1-30. DSO: July 15 + June
    # 30 (no sales) + May 31 (250.00 -> 70.00 left) + April 30 + 70/100 x 31 = 127.7.
    pipeline.refresh(path, date(2024, 7, 15))
    rows = _aging(path)
    assert _day(rows[1][1]) == date(2024, 7, 15)
    assert D(str(rows[2][1])) == D("127.7")
    assert [money(v) for v in rows[5][2:8]] == [D(0), D(250), D(0), D(0), D(70), D(320)]
    assert D(str(rows[5][8])) == D(1)
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == parts  # the same parts, reused: nothing orphaned
    assert part(path, "xl/workbook.xml").count(b'name="Aging"') == 1


def test_the_templates_aging_placeholder_is_replaced(demo):
    path, _ = demo
    rows = _aging(path)
    assert rows[0][0] == "Accounts receivable aging"
    assert not any("Run a refresh" in str(v) for row in rows for v in row)


# --- the demo business, hand-checked --------------------------------------------------------------

def _fee(spans: list[tuple[Decimal, int]]) -> Decimal:
    """Monthly Rate 1.5% as simple interest: balance x days x 18% / 365, summed, rounded once."""
    return cents(sum(balance * days for balance, days in spans) * D("0.18") / 365)


def test_demo_partial_payments_with_late_fees(demo):
    path, book_ = demo
    inputs = {i.id: i for i in book_.invoices}
    inv = by(path, "Invoices", "Invoice")

    # INV-10240 (C004, the customer over its credit limit): 3,891.62 on 2024-05-10, due
    # 2024-06-09; 40% (1,556.65) paid 2024-06-24. Interest from the end of grace, 2024-06-19:
    # 3,891.62 x 5 days to 06-24, then 2,334.97 x 4 days to 06-28.
    assert (inputs["INV-10240"].customer_id, inputs["INV-10240"].amount,
            inputs["INV-10240"].invoice_date) == ("C004", D("3891.62"), date(2024, 5, 10))
    assert any(p.customer_id == "C004" and p.date == date(2024, 6, 24)
               and p.amount == D("1556.65") for p in book_.payments)
    row = inv["INV-10240"]
    fee = _fee([(D("3891.62"), 5), (D("2334.97"), 4)])
    assert fee == D("14.20")
    assert (money(row["Paid"]), money(row["Balance"]), int(row["Days Overdue"]), row["Aging"],
            money(row["Late Fee"]), money(row["Amount Due"]), row["Status"]) == (
        D("1556.65"), D("2334.97"), 19, "1-30", fee, D("2334.97") + fee, "Overdue")

    # INV-10135 (C019, stopped paying): 563.06 on 2024-02-09, due 2024-03-10, 110 days overdue;
    # 225.22 paid 2024-04-25. Grace ends 2024-03-20: 563.06 x 36 days, then 337.84 x 64 days.
    assert (inputs["INV-10135"].amount, inputs["INV-10135"].invoice_date) == (D("563.06"),
                                                                              date(2024, 2, 9))
    row = inv["INV-10135"]
    fee = _fee([(D("563.06"), 36), (D("337.84"), 64)])
    assert fee == D("20.66")
    assert (money(row["Paid"]), money(row["Balance"]), int(row["Days Overdue"]), row["Aging"],
            money(row["Late Fee"]), money(row["Amount Due"])) == (
        D("225.22"), D("337.84"), 110, "91+", fee, D("358.50"))
    customers = by(path, "Customers", "Customer")
    assert customers[DEMO_ROLES["credit_hold"]]["Credit Hold"].startswith("Yes")
    assert customers[DEMO_ROLES["over_limit"]]["Credit Hold"].startswith("Yes")


def test_demo_credit_note(demo):
    path, book_ = demo
    inputs = {i.id: i for i in book_.invoices}
    # CM-2001 credits 394.74 against INV-10207 (1,794.29, C001), which was paid 1,399.55: the
    # rest. Both are settled; the credit is used up.
    assert (inputs["CM-2001"].amount, inputs["CM-2001"].customer_id) == (D("-394.74"), "C001")
    assert inputs["INV-10207"].amount == D("1794.29")
    inv = by(path, "Invoices", "Invoice")
    credit, invoice = inv["CM-2001"], inv["INV-10207"]
    assert (money(credit["Paid"]), money(credit["Balance"]), credit["Status"]) == (
        D("-394.74"), D("0.00"), "Paid")
    assert blank(credit["Aging"]) and int(credit["Days Overdue"]) == 0
    assert (money(invoice["Paid"]), money(invoice["Balance"]), invoice["Status"]) == (
        D("1794.29"), D("0.00"), "Paid")
    applied = [r["Applied To"] for r in records(path, "Payments")
               if r["Customer"] == "C001" and r["Amount"] == 1399.55]
    assert applied == ["INV-10207 1,399.55"]


def test_demo_disputed_invoice(demo):
    path, book_ = demo
    (disputed,) = [i for i in book_.invoices if i.hold is Hold.DISPUTED]
    # INV-10234 (C005, 45 days' terms): 3,350.75 on 2024-05-01, due 2024-06-15, 13 days past.
    # Held: no fee, not counted as overdue, but still owed and aged.
    assert (disputed.id, disputed.customer_id, disputed.amount, disputed.invoice_date) == (
        "INV-10234", DEMO_ROLES["disputed"], D("3350.75"), date(2024, 5, 1))
    row = by(path, "Invoices", "Invoice")["INV-10234"]
    assert (row["Status"], int(row["Days Overdue"]), row["Aging"], money(row["Late Fee"]),
            money(row["Amount Due"])) == ("Disputed", 13, "1-30", D("0.00"), D("3350.75"))
    assert blank(row["Discount"])
    # C005 also owes INV-10275, 3,399.98 on 2024-06-10, due 2024-07-25: current.
    customer = by(path, "Customers", "Customer")["C005"]
    assert (money(customer["Balance"]), money(customer["Overdue"])) == (D("6750.73"), D("0.00"))
    aging = next(r for r in _aging(path) if r[0] == "C005")
    assert [money(v) for v in aging[2:8]] == [D("3399.98"), D("3350.75"), 0, 0, 0, D("6750.73")]
    assert D(str(aging[8])) == (D("3350.75") / D("6750.73")).quantize(D("0.0001"), ROUND_HALF_UP)


def test_demo_early_discount(demo):
    path, book_ = demo
    inputs = {i.id: i for i in book_.invoices}
    # The discount customer C011 paid INV-10284 (1,418.73, 2024-06-17) on 2024-06-21, inside
    # the 10 days, less 2%: 1,418.73 - 28.37 = 1,390.36. The discount settles the rest.
    assert (inputs["INV-10284"].customer_id, inputs["INV-10284"].amount) == (
        DEMO_ROLES["discount"], D("1418.73"))
    assert cents(D("1418.73") * D("0.02")) == D("28.37")
    row = by(path, "Invoices", "Invoice")["INV-10284"]
    assert (money(row["Paid"]), money(row["Balance"]), row["Status"]) == (D("1418.73"),
                                                                         D("0.00"), "Paid")
    payment = next(r for r in records(path, "Payments")
                   if r["Customer"] == "C011" and r["Amount"] == 1390.36)
    assert (payment["Applied To"], money(payment["Unapplied"])) == ("INV-10284 1,390.36",
                                                                    D("0.00"))
    # INV-10298 (C007): 2,050.00 on 2024-06-25, unpaid; 2% = 41.00 still on offer to 07-05.
    assert (inputs["INV-10298"].amount, inputs["INV-10298"].invoice_date) == (D("2050.00"),
                                                                              date(2024, 6, 25))
    row = by(path, "Invoices", "Invoice")["INV-10298"]
    assert (money(row["Discount"]), money(row["Balance"]), row["Status"]) == (
        D("41.00"), D("2050.00"), "Open")


def test_demo_aging_total_is_every_balance_less_unapplied_credit(demo):
    path, _ = demo
    balances = sum((money(r["Balance"]) for r in records(path, "Invoices") if r["Invoice"]
                    and r["Status"] != "Written off"), D(0))
    unapplied = sum((money(r["Unapplied"]) for r in records(path, "Payments")
                     if not blank(r["Unapplied"])), D(0))
    total = next(r for r in _aging(path) if r[0] == "Total")
    assert money(total[7]) == balances - unapplied
    assert money(total[7]) == sum((money(v) for v in total[2:7]), D(0))


# --- a new column never lands on the bookkeeper's data --------------------------------------------

def _strip_dimension(path) -> None:
    """Rewrite the workbook without <dimension> in its sheets, as some tools write them."""
    with zipfile.ZipFile(path) as z:
        parts = {i: z.read(i) for i in z.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts.items():
            if info.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb"<dimension [^>]*/>", b"", data)
            z.writestr(info, data)


def _inputs_only_book(path, invoices, extra_cell: tuple[int, int, str]):
    """Invoices with input columns only, and one of the bookkeeper's cells to the right."""
    rows = data_rows("Invoices", invoices)
    r, c, text = extra_cell
    rows[r - 1] = [*rows[r - 1], *([None] * (c - 1 - len(rows[r - 1]))), text]
    return xlsx(path, [Sheet("Customers", data_rows("Customers", [CUSTOMER])),
                       Sheet("Invoices", rows),
                       Sheet("Payments", data_rows("Payments", PAYMENTS))])


def test_without_a_stored_size_every_row_decides_where_new_columns_go(tmp_path):
    """Data beyond the first rows, further right than the header row: the Problems column and
    the others go after it, not over it."""
    invoices = [{**INVOICES[0], "Invoice": f"INV-{n}"} for n in range(1, 41)]
    note_col = len(INV_INPUTS) + 2
    path = _inputs_only_book(tmp_path / "wide.xlsx", invoices, (40, note_col, "kept note"))
    _strip_dimension(path)
    outcome = pipeline.refresh(path, AS_OF)
    first_new = column_letter(note_col + 1)
    assert outcome.written.columns_added[0] == f"Invoices!{first_new}1 {INV_OWNED[0]}"
    assert load(path)["Invoices"].cell(40, note_col).value == "kept note"


def test_the_writer_refuses_to_add_a_column_over_existing_cells(tmp_path):
    from arsheets.errors import ArsheetsError
    from arsheets.workbook.write import ColumnPatch, SheetPatch, write_workbook

    path = _inputs_only_book(tmp_path / "book.xlsx", INVOICES, (3, 12, "mine"))
    before = path.read_bytes()
    patch = SheetPatch("Invoices", 1, (ColumnPatch(12, schema.Kind.TEXT, "Status"),),
                       iter([(2, ("Open",)), (3, ("Open",))]))
    with pytest.raises(ArsheetsError, match=r"Invoices!L3 but that cell holds 'mine'"):
        write_workbook(path, [patch])
    assert path.read_bytes() == before
