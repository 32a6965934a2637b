from decimal import Decimal

import pytest

from arsheets.core.customers import chronic_late_action, invoice_status
from arsheets.model import ActivityType, Hold, Status
from arsheets.money import ZERO
from factories import act, cust, d, inv, m, pay, run

AS_OF = "2024-06-30"


# --- invoice status --------------------------------------------------------------------------

@pytest.mark.parametrize("hold", list(Hold))
def test_held_invoices_show_their_hold_whatever_they_owe(hold):
    held = inv("A", "100.00", hold=hold)
    assert invoice_status(held, m("100.00"), 40) == Status(hold.value)
    assert invoice_status(held, ZERO, 0) == Status(hold.value)


def test_status_of_credit_paid_overdue_and_open():
    credit = inv("CN", "-50.00")
    assert invoice_status(credit, m("-20.00"), 0) is Status.CREDIT
    assert invoice_status(credit, ZERO, 0) is Status.PAID
    invoice = inv("A", "100.00")
    assert invoice_status(invoice, ZERO, 0) is Status.PAID
    assert invoice_status(invoice, m("10.00"), 1) is Status.OVERDUE
    assert invoice_status(invoice, m("10.00"), 0) is Status.OPEN


def test_status_through_a_refresh():
    result = run(AS_OF, [inv("A", "100.00", due="2024-06-30"), inv("B", "100.00", due="2024-06-29"),
                         inv("C", "100.00", due="2024-06-01"), inv("D", "100.00", hold=Hold.AGENCY)],
                 [pay("2024-06-15", "100.00", target="C")])
    assert [s.status for s in result.invoices] == [
        Status.OPEN, Status.OVERDUE, Status.PAID, Status.AGENCY]


# --- rollups ---------------------------------------------------------------------------------

def rollup_book():
    invoices = [
        inv("I1", "1000.00", due="2024-03-22"),  # 100 days overdue, 300 paid
        inv("I2", "500.00", due="2024-04-01"),  # 90 days
        inv("I3", "300.00", due="2024-01-31", hold=Hold.DISPUTED),  # 151 days
        inv("I4", "200.00", due="2023-12-31", hold=Hold.WRITTEN_OFF),  # 182 days, not owed
        inv("I5", "400.00", due="2024-07-15"),  # not yet due
        inv("J1", "100.00", due="2024-06-01", customer="C-02"),
        inv("CN", "-30.00", "2024-06-15", customer="C-02"),
    ]
    payments = [pay("2024-06-01", "300.00", target="I1"),
                pay("2024-06-10", "150.00", customer="C-02")]  # 50 over: unapplied
    return invoices, payments


def test_balance_overdue_and_oldest_days():
    invoices, payments = rollup_book()
    result = run(AS_OF, invoices, payments, customers=[cust("C-01", row=5), cust("C-02", row=6)])
    one, two = result.customers
    assert (one.customer_id, one.row) == ("C-01", 5)
    assert one.balance == m("1900.00")  # 700 + 500 + 300 + 400; the written-off 200 left out
    assert one.overdue == m("1200.00")  # 700 + 500: disputed and open ones are not "Overdue"
    assert one.oldest_days_overdue == 151  # the disputed one counts; the written-off one not
    assert one.avg_days_late is None
    assert one.credit_hold == "Yes - I1 is 100 days overdue"
    # C-02: J1 paid, 50 unapplied, the credit note dated later finds nothing to pay
    assert two.balance == m("-80.00")
    assert (two.overdue, two.oldest_days_overdue, two.credit_hold) == (ZERO, 0, "")


def test_aging_total_is_the_customer_balance():
    invoices, payments = rollup_book()
    result = run(AS_OF, invoices, payments)
    assert [r.total for r in result.aging.rows] == [c.balance for c in result.customers]


def test_customer_without_invoices():
    result = run(AS_OF, [inv("A", "10.00")], customers=[cust("C-01"), cust("C-09", limit="0.00")])
    quiet = result.customers[1]
    assert (quiet.balance, quiet.overdue, quiet.oldest_days_overdue, quiet.avg_days_late,
            quiet.credit_hold, quiet.chronic_late, quiet.last_contact) == (
        ZERO, ZERO, 0, None, "", False, None)


# --- average days late -----------------------------------------------------------------------

def settled(*pairs: tuple[str, str]):
    """Invoices of 100.00 due on each first date, paid in full on each second."""
    invoices = [inv(f"I{n}", "100.00", due=due) for n, (due, _) in enumerate(pairs)]
    payments = [pay(paid, "100.00", target=f"I{n}") for n, (_, paid) in enumerate(pairs)]
    return invoices, payments


def test_avg_days_late_counts_early_payment_as_zero():
    invoices, payments = settled(("2024-01-31", "2024-02-05"), ("2024-02-29", "2024-02-20"),
                                 ("2024-03-31", "2024-04-10"))
    invoices.append(inv("OPEN", "100.00", due="2024-01-01"))  # not settled: not counted
    invoices.append(inv("CN", "-10.00", "2024-05-01", customer="C-02"))
    assert run(AS_OF, invoices, payments).customers[0].avg_days_late == Decimal("5.0")  # 15 / 3


def test_avg_days_late_rounds_half_up():
    invoices, payments = settled(("2024-01-31", "2024-02-01"), ("2024-02-29", "2024-02-29"),
                                 ("2024-03-31", "2024-03-31"), ("2024-04-30", "2024-04-01"))
    assert run(AS_OF, invoices, payments).customers[0].avg_days_late == Decimal("0.3")  # 0.25


def test_settled_by_a_later_payment_counts_the_day_it_was_settled():
    # 60 paid on 10 Feb, the rest on 1 Mar: settled 1 Mar, 30 days after the 31 Jan due date
    result = run(AS_OF, [inv("A", "100.00", due="2024-01-31")],
                 [pay("2024-02-10", "60.00"), pay("2024-03-01", "40.00")])
    assert result.customers[0].avg_days_late == Decimal("30.0")


def test_chronic_late_payer_gets_a_next_action():
    invoices, payments = settled(("2024-01-31", "2024-02-20"), ("2024-02-29", "2024-03-25"))
    late = run(AS_OF, invoices, payments).customers[0]
    assert (late.avg_days_late, late.chronic_late) == (Decimal("22.5"), True)
    assert late.next_action == "Invoice more often: pays 22.5 days late on average"
    assert chronic_late_action(Decimal("22.5")) == late.next_action


def test_average_equal_to_the_threshold_is_not_chronic():
    invoices, payments = settled(("2024-01-31", "2024-02-15"))  # 15 days
    on_edge = run(AS_OF, invoices, payments).customers[0]
    assert (on_edge.avg_days_late, on_edge.chronic_late, on_edge.next_action) == (
        Decimal("15.0"), False, "")
    stricter = run(AS_OF, invoices, payments, chronic_late_days=14).customers[0]
    assert stricter.chronic_late


# --- credit hold -----------------------------------------------------------------------------

@pytest.mark.parametrize("due, expected", [
    ("2024-04-01", "Yes - A is 90 days overdue"),  # exactly the threshold
    ("2024-04-02", ""),  # 89 days
])
def test_credit_hold_days_threshold(due, expected):
    assert run(AS_OF, [inv("A", "100.00", due=due)]).customers[0].credit_hold == expected


def test_credit_hold_names_the_oldest_overdue_or_agency_invoice_only():
    invoices = [inv("INV-5", "100.00", due="2024-03-01"),  # 121 days
                inv("INV-7", "100.00", due="2024-02-01", hold=Hold.AGENCY),  # 150 days
                inv("INV-8", "100.00", due="2023-01-01", hold=Hold.DISPUTED)]  # older, but disputed
    assert run(AS_OF, invoices).customers[0].credit_hold == "Yes - INV-7 is 150 days overdue"


def test_credit_hold_days_setting():
    result = run(AS_OF, [inv("A", "100.00", due="2024-05-31")], credit_hold_days=30)
    assert result.customers[0].credit_hold == "Yes - A is 30 days overdue"


def test_credit_limit_reason_and_both_reasons_together():
    over = [inv("INV-1", "12400.00", due="2024-06-30")]
    customers = [cust("C-01", limit="10000.00")]
    assert run(AS_OF, over, customers=customers).customers[0].credit_hold == (
        "Yes - balance 12,400.00 is over the 10,000.00 credit limit")
    both = [inv("INV-7", "2400.00", due="2024-03-25"), inv("INV-8", "10000.00", due="2024-06-30")]
    assert run(AS_OF, both, customers=customers).customers[0].credit_hold == (
        "Yes - INV-7 is 97 days overdue; balance 12,400.00 is over the 10,000.00 credit limit")
    at_limit = [inv("INV-1", "10000.00", due="2024-06-30")]
    assert run(AS_OF, at_limit, customers=customers).customers[0].credit_hold == ""


def test_customer_status_reaches_the_aging_report():
    result = run(AS_OF, [inv("INV-1", "12400.00", due="2024-06-30")],
                 customers=[cust("C-01", limit="10000.00")])
    assert result.aging.rows[0].credit_hold == result.customers[0].credit_hold != ""


# --- last contact ----------------------------------------------------------------------------

def test_last_contact_is_the_latest_non_note_activity_up_to_as_of():
    activities = [act("2024-05-01", ActivityType.LETTER), act("2024-06-01", ActivityType.CALL),
                  act("2024-06-20", ActivityType.NOTE), act("2024-07-05", ActivityType.EMAIL),
                  act("2024-06-25", ActivityType.CALL, customer="C-02")]
    result = run(AS_OF, [inv("A", "10.00"), inv("B", "10.00", customer="C-02")],
                 activities=activities, customers=[cust("C-01"), cust("C-02"), cust("C-03")])
    assert [c.last_contact for c in result.customers] == [d("2024-06-01"), d("2024-06-25"), None]
