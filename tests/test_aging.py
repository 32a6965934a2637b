from datetime import timedelta
from decimal import Decimal

import pytest

from arsheets.core.aging import Buckets, dso
from arsheets.model import AgingBasis, Hold
from arsheets.money import ZERO
from factories import by_id, cust, d, inv, m, pay, run

AS_OF = "2024-06-30"


def test_default_labels():
    assert Buckets.from_edges((30, 60, 90)).labels == ("Current", "1-30", "31-60", "61-90", "91+")


def test_labels_from_other_edges():
    assert Buckets.from_edges((15, 45)).labels == ("Current", "1-15", "16-45", "46+")
    assert Buckets.from_edges(()).labels == ("Current", "1+")


@pytest.mark.parametrize("days, label", [
    (-5, "Current"), (0, "Current"), (1, "1-30"), (30, "1-30"), (31, "31-60"), (60, "31-60"),
    (61, "61-90"), (90, "61-90"), (91, "91+"), (400, "91+"),
])
def test_bucket_edges(days, label):
    buckets = Buckets.from_edges((30, 60, 90))
    assert buckets.labels[buckets.index(days)] == label


@pytest.mark.parametrize("days, label", [(15, "1-15"), (16, "16-45"), (45, "16-45"), (46, "46+")])
def test_bucket_edges_configured(days, label):
    buckets = Buckets.from_edges((15, 45))
    assert buckets.labels[buckets.index(days)] == label


@pytest.mark.parametrize("days, label", [
    (-1, "Current"), (0, "Current"), (1, "1-30"), (30, "1-30"), (31, "31-60"), (60, "31-60"),
    (61, "61-90"), (90, "61-90"), (91, "91+"),
])
def test_invoice_days_overdue_and_aging_at_each_edge(days, label):
    due = d(AS_OF) - timedelta(days=days)
    result = run(AS_OF, [inv("A", "10.00", "2024-01-01", due=due.isoformat())])
    line = result.invoices[0]
    assert (line.days_overdue, line.aging) == (max(days, 0), label)


def test_paid_invoice_has_no_age_and_no_days_overdue():
    result = run(AS_OF, [inv("A", "10.00", due="2024-01-31")], [pay("2024-06-01", "10.00")])
    assert (result.invoices[0].days_overdue, result.invoices[0].aging) == (0, None)


def test_invoice_date_basis_ages_from_the_invoice_date():
    invoices = [inv("A", "10.00", "2024-05-16", due="2024-06-15")]  # 45 days old, 15 past due
    assert run(AS_OF, invoices).invoices[0].aging == "1-30"
    by_date = run(AS_OF, invoices, aging_basis=AgingBasis.INVOICE_DATE).invoices[0]
    assert by_date.aging == "31-60"
    assert by_date.days_overdue == 15  # days overdue stay days past due


@pytest.mark.parametrize("basis", list(AgingBasis))
def test_credit_note_and_unapplied_payment_age_by_their_own_dates(basis):
    result = run(AS_OF, [inv("CN", "-40.00", "2024-05-21")],  # 40 days old
                 [pay("2024-04-20", "25.00")],  # 71 days old
                 aging_basis=basis)
    cn = by_id(result, "CN")
    assert (cn.aging, cn.days_overdue) == ("31-60", 0)
    (row,) = result.aging.rows
    assert row.buckets == (ZERO, ZERO, m("-40.00"), m("-25.00"), ZERO)
    assert row.total == m("-65.00")
    assert row.pct_overdue is None  # a credit balance is not "100% overdue"
    assert result.aging.pct_overdue is None


def test_credit_note_dated_after_as_of_is_current():
    result = run(AS_OF, [inv("CN", "-40.00", "2024-07-10")])
    assert by_id(result, "CN").aging == "Current"


def test_report_rows_buckets_totals_and_percents():
    invoices = [
        inv("A1", "100.00", due="2024-06-30", customer="A"),  # due today: Current
        inv("A2", "300.00", due="2024-05-31", customer="A"),  # 30 days: 1-30
        inv("A3", "500.00", due="2024-01-31", customer="A", hold=Hold.WRITTEN_OFF),  # left out
        inv("A4", "200.00", due="2024-03-01", customer="A", hold=Hold.DISPUTED),  # 121 days: 91+
        inv("B1", "400.00", due="2024-04-30", customer="B"),  # 61 days: 61-90
        inv("C1", "50.00", due="2024-04-30", customer="C"),  # paid: no row
    ]
    result = run(AS_OF, invoices, [pay("2024-06-01", "50.00", customer="C", target="C1")],
                 customers=[cust("B", name="Beta", limit="100.00"), cust("C"), cust("A", name="Alpha")])
    report = result.aging
    assert report.labels == ("Current", "1-30", "31-60", "61-90", "91+")
    assert [r.customer_id for r in report.rows] == ["B", "A"]  # customer order; C owes nothing
    beta, alpha = report.rows
    assert alpha.name == "Alpha"
    assert alpha.buckets == (m("100.00"), m("300.00"), ZERO, ZERO, m("200.00"))
    assert alpha.total == m("600.00")
    assert alpha.pct_overdue == Decimal("0.8333")  # 500 / 600
    assert beta.buckets == (ZERO, ZERO, ZERO, m("400.00"), ZERO)
    assert beta.pct_overdue == Decimal("1.0000")
    assert beta.credit_hold == "Yes - balance 400.00 is over the 100.00 credit limit"
    assert report.totals == (m("100.00"), m("300.00"), ZERO, m("400.00"), m("200.00"))
    assert report.total == m("1000.00")
    assert report.percents == (Decimal("0.1000"), Decimal("0.3000"), Decimal("0.0000"),
                               Decimal("0.4000"), Decimal("0.2000"))
    assert report.pct_overdue == Decimal("0.9000")  # 900 of 1,000 is past due
    assert report.as_of == d(AS_OF)
    assert report.basis is AgingBasis.DUE_DATE


def test_customer_netting_to_zero_gets_no_row_and_empty_report_has_no_percents():
    result = run(AS_OF, [inv("A", "100.00", due="2024-05-31")], [pay("2024-06-01", "100.00")])
    assert result.aging.rows == ()
    assert result.aging.total == ZERO
    assert result.aging.percents == (None,) * 5


def test_pct_overdue_rounds_half_up_to_four_places():
    result = run(AS_OF, [inv("A", "200.00", due="2024-06-30"), inv("B", "100.00", due="2024-06-01")])
    assert result.aging.rows[0].pct_overdue == Decimal("0.3333")
    result = run(AS_OF, [inv("A", "100.00", due="2024-06-30"), inv("B", "200.00", due="2024-06-01")])
    assert result.aging.rows[0].pct_overdue == Decimal("0.6667")
    # 1 / 20,000 = 0.00005 exactly: half-up gives 0.0001 where banker's rounding would give 0
    result = run(AS_OF, [inv("A", "19999.00", due="2024-06-30"), inv("B", "1.00", due="2024-06-01")])
    assert result.aging.rows[0].pct_overdue == Decimal("0.0001")


# --- DSO -------------------------------------------------------------------------------------

def test_dso_countback_into_the_previous_month():
    # AR 1,500 = 1,000 (March) + 500 left of February's 2,000. March (15 days so far) sold 1,000:
    # 15 days, 500 left; February sold 2,000: 500/2,000 of its 29 days = 7.25. 22.25 -> 22.3.
    result = run("2024-03-15", [inv("F", "2000.00", "2024-02-10"), inv("M", "1000.00", "2024-03-05")],
                 [pay("2024-03-10", "1500.00", target="F")])
    assert result.aging.total == m("1500.00")
    assert result.aging.dso == Decimal("22.3")


def test_dso_within_the_current_month():
    # AR 600 of March's 1,000 sales over 15 days: 9.0
    result = run("2024-03-15", [inv("M", "1000.00", "2024-03-05")], [pay("2024-03-10", "400.00")])
    assert result.aging.dso == Decimal("9.0")


def test_dso_stops_in_the_month_whose_sales_exactly_cover_the_receivable():
    # The February credit note settles January's invoice; AR = March's 1,000 = March's sales:
    # 15 days, not 15 + February's 29 for a month with net negative sales.
    result = run("2024-03-15", [inv("J", "100.00", "2024-01-10"), inv("CN", "-100.00", "2024-02-01"),
                                inv("M", "1000.00", "2024-03-05")])
    assert result.aging.total == m("1000.00")
    assert result.aging.dso == Decimal("15.0")


def test_dso_month_with_net_negative_sales_adds_its_days():
    # March: only a credit note (-200) -> 10 days. February sold 1,000, AR 800 -> 800/1000 x 29.
    result = run("2024-03-10", [inv("F", "1000.00", "2024-02-05"), inv("CN", "-200.00", "2024-03-01")])
    assert result.aging.total == m("800.00")
    assert result.aging.dso == Decimal("33.2")


def test_dso_stops_when_history_runs_out():
    # AR 1,500 includes an invoice dated after as-of; March's sales cover 1,000 of it, then no
    # earlier invoices: the 15 days counted so far.
    result = run("2024-03-15", [inv("M", "1000.00", "2024-03-01"), inv("N", "500.00", "2024-04-01")])
    assert result.aging.total == m("1500.00")
    assert result.aging.dso == Decimal("15.0")


def test_dso_across_the_year_end_with_actual_month_lengths():
    invoices = [inv("N", "4000.00", "2023-11-10"), inv("D", "2000.00", "2023-12-10"),
                inv("J", "1000.00", "2024-01-10")]
    # AR 5,000: January (20 days) 1,000 -> 4,000 left; December (31) 2,000 -> 2,000 left;
    # November: 2,000/4,000 x 30 = 15. 20 + 31 + 15 = 66.0
    assert dso(invoices, d("2024-01-20"), m("5000.00")) == Decimal("66.0")


def test_dso_is_zero_when_nothing_is_owed_and_none_without_credit_sales():
    assert run(AS_OF, [inv("A", "10.00")], [pay("2024-02-01", "10.00")]).aging.dso == Decimal("0")
    assert run(AS_OF).aging.dso is None
    assert run(AS_OF, [inv("CN", "-10.00", "2024-06-01")]).aging.dso is None
    assert run(AS_OF, [inv("A", "10.00", "2024-07-01")]).aging.dso is None  # dated after as-of
