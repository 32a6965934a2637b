from decimal import Decimal

from arsheets.core.payments import apply_payments, balance_on, group_by_customer
from arsheets.errors import Problem, Where
from arsheets.model import EarlyDiscount, Hold, Plan, Status
from arsheets.money import ZERO
from factories import applied, book, by_id, cust, d, inv, m, pay, run

TWO_TEN = EarlyDiscount(Decimal("0.02"), 10)


# --- due dates -------------------------------------------------------------------------------

def test_due_date_from_the_invoice_then_customer_terms_then_default_terms():
    result = run(
        "2024-01-01",
        [inv("A", "10.00", "2024-01-10", due="2024-01-20"),
         inv("B", "10.00", "2024-01-10", customer="C-02"),
         inv("C", "10.00", "2024-01-10", customer="C-03"),
         inv("D", "10.00", "2024-01-10", customer="C-04")],
        customers=[cust("C-01"), cust("C-02", terms=15), cust("C-03"), cust("C-04", terms=0)],
        default_terms=45,
    )
    assert [s.due_date for s in result.invoices] == [
        d("2024-01-20"), d("2024-01-25"), d("2024-02-24"), d("2024-01-10")]


# --- one invoice -----------------------------------------------------------------------------

def test_partial_payment():
    result = run("2024-03-01", [inv("INV-1", "100.00")], [pay("2024-02-01", "40.00")])
    line = result.invoices[0]
    assert (line.paid, line.balance, line.settled_on) == (m("40.00"), m("60.00"), None)
    assert applied(result) == [("INV-1", "40.00")]
    assert result.payments[0].unapplied == ZERO


def test_exact_payment_settles_on_its_date():
    result = run("2024-03-01", [inv("INV-1", "100.00")], [pay("2024-02-01", "100.00")])
    line = result.invoices[0]
    assert (line.paid, line.balance, line.settled_on, line.status) == (
        m("100.00"), ZERO, d("2024-02-01"), Status.PAID)


def test_overpayment_leaves_unapplied_credit():
    result = run("2024-03-01", [inv("INV-1", "100.00")], [pay("2024-02-01", "150.00")])
    assert applied(result) == [("INV-1", "100.00")]
    assert result.payments[0].unapplied == m("50.00")
    assert result.invoices[0].balance == ZERO
    assert result.customers[0].balance == m("-50.00")


def test_payment_with_no_invoices_is_all_unapplied():
    result = run("2024-03-01", [], [pay("2024-02-01", "75.00")])
    assert result.payments[0].applied == ()
    assert result.payments[0].unapplied == m("75.00")


# --- order of application --------------------------------------------------------------------

def three_invoices():
    return [inv("A", "100.00", "2024-01-01", due="2024-01-31"),
            inv("B", "100.00", "2024-02-01", due="2024-02-29"),
            inv("C", "100.00", "2024-03-01", due="2024-03-31")]


def test_named_invoice_first_then_oldest_due_first():
    result = run("2024-04-01", three_invoices(), [pay("2024-03-05", "250.00", target="C")])
    assert applied(result) == [("C", "100.00"), ("A", "100.00"), ("B", "50.00")]
    assert [s.balance for s in result.invoices] == [ZERO, m("50.00"), ZERO]
    assert result.problems == ()


def test_unnamed_payments_go_oldest_first_by_due_date_not_input_order():
    invoices = list(reversed(three_invoices()))
    result = run("2024-04-01", invoices, [pay("2024-03-05", "150.00")])
    assert applied(result) == [("A", "100.00"), ("B", "50.00")]


def test_ties_on_due_date_break_by_invoice_date_then_invoice_id():
    invoices = [inv("X-2", "10.00", "2024-01-05", due="2024-02-01"),
                inv("X-1", "10.00", "2024-01-05", due="2024-02-01"),
                inv("X-0", "10.00", "2024-01-09", due="2024-02-01"),
                inv("X-9", "10.00", "2024-01-01", due="2024-02-01")]
    result = run("2024-04-01", invoices, [pay("2024-03-05", "40.00")])
    assert [a for a, _ in applied(result)] == ["X-9", "X-1", "X-2", "X-0"]


def test_payments_apply_in_date_order_then_row_order():
    invoices = [inv("A", "100.00", due="2024-01-31"), inv("B", "100.00", due="2024-02-29")]
    payments = [pay("2024-03-02", "100.00", row=9),  # later date, listed first
                pay("2024-03-01", "100.00", row=7),
                pay("2024-03-01", "100.00", row=5)]  # same day, earlier row: goes first
    result = run("2024-04-01", invoices, payments)
    assert applied(result, 2) == [("A", "100.00")]
    assert applied(result, 1) == [("B", "100.00")]
    assert applied(result, 0) == []
    assert result.payments[0].unapplied == m("100.00")
    assert [p.row for p in result.payments] == [9, 7, 5]  # results keep input order


def test_named_invoice_already_paid_falls_back_to_oldest_first_quietly():
    result = run("2024-04-01", three_invoices(),
                 [pay("2024-03-01", "100.00", target="C"), pay("2024-03-02", "60.00", target="C")])
    assert applied(result, 1) == [("A", "60.00")]
    assert result.problems == ()


def test_payment_naming_another_customers_invoice_is_applied_oldest_first_with_a_problem():
    invoices = [inv("INV-1", "100.00", customer="C-01"), inv("INV-2", "100.00", customer="C-02")]
    result = run("2024-04-01", invoices, [pay("2024-03-01", "30.00", target="INV-2", row=12)])
    assert applied(result) == [("INV-1", "30.00")]
    assert by_id(result, "INV-2").balance == m("100.00")
    (problem,) = result.problems
    assert problem.where == Where(sheet="Payments", row=12, field="Invoice")
    assert problem.message == ("'INV-2' is not an invoice of customer C-01 (it is C-02's); "
                               "applied to the oldest invoices instead")
    assert problem.hint


def test_payment_naming_an_unknown_invoice():
    result = run("2024-04-01", [inv("INV-1", "100.00")],
                 [pay("2024-03-01", "30.00", target="INV-99")])
    assert applied(result) == [("INV-1", "30.00")]
    assert [p.message for p in result.problems] == [
        "'INV-99' is not an invoice of customer C-01; applied to the oldest invoices instead"]
    assert isinstance(result.problems[0], Problem)


def test_payment_naming_a_plan_is_applied_oldest_first_without_a_problem():
    plan = Plan("PL-1", "C-01", ("INV-1",), d("2024-02-01"), 3)
    result = run("2024-04-01", [inv("INV-1", "100.00")],
                 [pay("2024-03-01", "30.00", target="PL-1")], plans=(plan,))
    assert applied(result) == [("INV-1", "30.00")]
    assert result.problems == ()


# --- held invoices ---------------------------------------------------------------------------

def test_unnamed_payments_skip_held_invoices_but_a_named_one_pays_them():
    invoices = [inv("H", "100.00", due="2024-01-31", hold=Hold.DISPUTED),
                inv("A", "100.00", due="2024-02-29")]
    result = run("2024-04-01", invoices,
                 [pay("2024-03-01", "50.00"), pay("2024-03-02", "20.00", target="H")])
    assert applied(result, 0) == [("A", "50.00")]
    assert applied(result, 1) == [("H", "20.00")]
    assert by_id(result, "H").balance == m("80.00")


def test_only_held_invoices_left_means_unapplied():
    result = run("2024-04-01", [inv("W", "100.00", hold=Hold.WRITTEN_OFF)],
                 [pay("2024-03-01", "50.00")])
    assert applied(result) == []
    assert result.payments[0].unapplied == m("50.00")


# --- credit notes ----------------------------------------------------------------------------

def test_credit_note_is_applied_oldest_first_on_its_date():
    invoices = [inv("A", "100.00", "2024-01-01", due="2024-01-31"),
                inv("B", "100.00", "2024-01-15", due="2024-02-14"),
                inv("CN", "-150.00", "2024-02-01")]
    result = run("2024-04-01", invoices)
    assert [s.balance for s in result.invoices] == [ZERO, m("50.00"), ZERO]
    cn = by_id(result, "CN")
    assert (cn.paid, cn.balance, cn.status, cn.settled_on) == (
        m("-150.00"), ZERO, Status.PAID, d("2024-02-01"))
    assert by_id(result, "A").settled_on == d("2024-02-01")


def test_credit_note_left_over_keeps_a_negative_balance():
    result = run("2024-04-01", [inv("A", "100.00"), inv("CN", "-250.00", "2024-02-01")])
    cn = by_id(result, "CN")
    assert (cn.paid, cn.balance, cn.status) == (m("-100.00"), m("-150.00"), Status.CREDIT)
    assert cn.amount_due == m("-150.00")
    assert result.customers[0].balance == m("-150.00")


def test_credit_is_used_by_a_later_invoice():
    # The credit note and the overpayment predate the invoice; both still go against it.
    invoices = [inv("CN", "-30.00", "2024-01-05"), inv("A", "100.00", "2024-02-01")]
    result = run("2024-04-01", invoices, [pay("2024-01-10", "50.00")])
    assert by_id(result, "A").paid == m("80.00")
    assert by_id(result, "A").balance == m("20.00")
    assert applied(result) == [("A", "50.00")]


def test_same_day_credit_note_goes_before_a_payment():
    invoices = [inv("A", "100.00"), inv("CN", "-30.00", "2024-02-01", row=40)]
    result = run("2024-04-01", invoices, [pay("2024-02-01", "100.00", row=2)])
    assert applied(result) == [("A", "70.00")]
    assert result.payments[0].unapplied == m("30.00")
    assert by_id(result, "CN").balance == ZERO


def test_credit_note_dated_after_as_of_is_not_applied():
    result = run("2024-04-01", [inv("A", "100.00"), inv("CN", "-30.00", "2024-04-02")])
    assert by_id(result, "A").balance == m("100.00")
    cn = by_id(result, "CN")
    assert (cn.paid, cn.balance, cn.status) == (ZERO, m("-30.00"), Status.CREDIT)


# --- dates -----------------------------------------------------------------------------------

def test_payment_dated_after_as_of_is_flagged_not_applied_and_not_a_problem():
    result = run("2024-04-01", [inv("A", "100.00")], [pay("2024-04-02", "100.00", target="A")])
    status = result.payments[0]
    assert (status.applied, status.unapplied, status.future) == ((), ZERO, True)
    assert result.invoices[0].balance == m("100.00")
    assert result.customers[0].balance == m("100.00")
    assert result.problems == ()


def test_payment_on_as_of_is_applied():
    result = run("2024-04-01", [inv("A", "100.00")], [pay("2024-04-01", "100.00")])
    assert not result.payments[0].future
    assert result.invoices[0].balance == ZERO


def test_zero_and_negative_payments_stay_as_typed():
    result = run("2024-04-01", [inv("A", "100.00")],
                 [pay("2024-03-01", "0.00"), pay("2024-03-01", "-20.00")])
    assert [(p.applied, p.unapplied) for p in result.payments] == [((), ZERO), ((), m("-20.00"))]
    assert result.invoices[0].balance == m("100.00")


# --- early-payment discount ------------------------------------------------------------------

def discounted(paid_on: str, amount: str):
    return run("2024-04-30", [inv("A", "1000.00", "2024-03-01")], [pay(paid_on, amount)],
               early_discount=TWO_TEN)


def test_discount_taken_on_day_ten():
    result = discounted("2024-03-11", "980.00")
    line = result.invoices[0]
    assert (line.paid, line.balance, line.settled_on, line.status) == (
        m("1000.00"), ZERO, d("2024-03-11"), Status.PAID)
    assert applied(result) == [("A", "980.00")]  # the cash, not the discount


def test_no_discount_on_day_eleven():
    result = discounted("2024-03-12", "980.00")
    assert result.invoices[0].balance == m("20.00")
    assert result.invoices[0].paid == m("980.00")


def test_discount_covers_a_shortfall_up_to_its_amount_only():
    assert discounted("2024-03-05", "990.00").invoices[0].balance == ZERO
    assert discounted("2024-03-05", "979.99").invoices[0].balance == m("20.01")


def test_credit_note_in_the_window_takes_the_discount_too():
    result = run("2024-04-30", [inv("A", "1000.00", "2024-03-01"), inv("CN", "-980.00", "2024-03-10")],
                 early_discount=TWO_TEN)
    assert by_id(result, "A").balance == ZERO
    assert by_id(result, "CN").balance == ZERO


# --- the ledger ------------------------------------------------------------------------------

def test_history_records_each_partial_balance_and_is_dropped_once_settled():
    b = book([inv("A", "100.00", due="2024-01-31"), inv("B", "100.00", due="2024-02-29")],
             [pay("2024-02-05", "30.00"), pay("2024-02-20", "50.00"), pay("2024-03-01", "20.00"),
              pay("2024-03-02", "10.00")])
    ledger = apply_payments(b, d("2024-04-01"), group_by_customer(b))
    assert ledger.history[0] is None
    assert list(ledger.history[1]) == [(d("2024-03-02"), m("90.00"))]
    assert ledger.settled_on[0] == d("2024-03-01")


def test_balance_on():
    history = [(d("2024-02-05"), m("70.00")), (d("2024-02-20"), m("20.00"))]
    amount = m("100.00")
    assert balance_on(amount, history, d("2024-02-04")) == m("100.00")
    assert balance_on(amount, history, d("2024-02-05")) == m("70.00")
    assert balance_on(amount, history, d("2024-02-19")) == m("70.00")
    assert balance_on(amount, history, d("2024-03-01")) == m("20.00")
    assert balance_on(amount, None, d("2024-03-01")) == m("100.00")


def test_customers_are_applied_separately():
    invoices = [inv("A", "100.00", customer="C-01"), inv("B", "100.00", customer="C-02")]
    result = run("2024-04-01", invoices, [pay("2024-03-01", "150.00", customer="C-02")])
    assert [s.balance for s in result.invoices] == [m("100.00"), ZERO]
    assert result.payments[0].unapplied == m("50.00")
