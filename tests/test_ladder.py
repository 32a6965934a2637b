"""The collection ladder in the core: stages, next actions, letters due, promises, superseding."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date, timedelta

import pytest

from arsheets.core.ladder import (CREDIT_HOLD_TEXT, LADDER_DONE_TEXT, collection_ladder,
                                  norm_stage)
from arsheets.core.payments import group_by_customer
from arsheets.core.refresh import compute
from arsheets.model import (DEFAULT_LADDER, Activity, ActivityType, Channel, Customer, Hold,
                            InvoiceStatus, LadderStep, Plan, PlanStatus, Status)

try:
    from factories import book, d, inv, m, pay
except ImportError:  # tests/ became a package
    from .factories import book, d, inv, m, pay

DUE = "2024-03-01"  # a Friday
ACME = Customer("C-01", "Acme Supplies", contact="Sam Lee", ap_contact="Dana Ruiz",
                phone="555-0142", email="ap@acme.example")


def invoice(id: str = "INV-1043", amount: str = "1000.00", due: str = DUE, **kw):
    return inv(id, amount, "2024-01-31", due=due, **kw)


def act(day: str, type: ActivityType = ActivityType.LETTER, stage: str = "", ids=(),
        customer: str = "C-01", promise_date: str | None = None, amount: str | None = None):
    return Activity(d(day), customer, type, invoice_ids=tuple(ids), stage=stage,
                    promise_date=d(promise_date) if promise_date else None,
                    promise_amount=m(amount) if amount else None)


def run(as_of: str, invoices=None, payments=(), activities=(), customers=(ACME,), holidays=(),
        **settings):
    b = book(invoices if invoices is not None else [invoice()], payments,
             customers=list(customers), activities=activities, **settings)
    result = compute(b, d(as_of), holidays)
    ladder = collection_ladder(b, d(as_of), group_by_customer(b), result.invoices,
                               result.customers, holidays)
    return result, ladder


def status(result, invoice_id="INV-1043") -> InvoiceStatus:
    (found,) = [s for s in result.invoices if s.invoice_id == invoice_id]
    return found


def due_plus(days: int) -> str:
    return (d(DUE) + timedelta(days=days)).isoformat()


# --- the rungs ------------------------------------------------------------------------------------

EDGES = [(-8, ""), (-7, "Courtesy reminder"), (0, "Courtesy reminder"), (1, "First reminder"),
         (2, "First reminder"), (3, "Confirm receipt"), (29, "Confirm receipt"),
         (30, "Second reminder"), (59, "Second reminder"), (60, "Phone call"),
         (89, "Phone call"), (90, "Final notice"), (119, "Final notice"),
         (120, "Agency review"), (400, "Agency review")]


@pytest.mark.parametrize(("age", "stage"), EDGES)
def test_each_rung_starts_on_its_day(age, stage):
    result, _ = run(due_plus(age))
    assert status(result).stage == stage
    assert result.customers[0].stage == stage


@pytest.mark.parametrize(("age", "template"), [
    (-8, None), (-7, "courtesy_reminder"), (0, "courtesy_reminder"), (1, "first_reminder"),
    (3, "first_reminder"), (29, "first_reminder"), (30, "second_reminder"),
    (89, "second_reminder"), (90, "final_notice"), (200, "final_notice")])
def test_the_letter_due_is_the_highest_letter_rung_reached(age, template):
    _, ladder = run(due_plus(age))
    assert [lt.step.template for lt in ladder.letters] == ([template] if template else [])


def test_next_actions_before_and_on_each_rung():
    result, _ = run(due_plus(-8))
    s = status(result)
    assert s.next_action == "Send the Courtesy reminder letter by e-mail"
    assert s.next_action_date == date(2024, 2, 23)  # due - 7, a Friday
    result, _ = run(due_plus(1))
    s = status(result)
    assert s.next_action == "Send the First reminder letter by e-mail"
    assert s.next_action_date == date(2024, 3, 4)  # due + 1 is a Saturday: Monday
    mail = replace(ACME, channel=Channel.MAIL)
    result, _ = run(due_plus(1), customers=[mail])
    assert status(result).next_action == "Send the First reminder letter by post"


def test_a_call_rung_names_the_ap_contact_and_phone():
    logged = [act(due_plus(1), stage="First reminder", ids=["INV-1043"])]
    result, ladder = run(due_plus(3), activities=logged)
    s = status(result)
    assert s.next_action == "Call Dana Ruiz (AP) at 555-0142: confirm INV-1043 arrived"
    assert s.next_action_date == date(2024, 3, 4)
    assert result.customers[0].next_action == s.next_action
    assert ladder.letters == ()
    result, _ = run(due_plus(60), activities=logged
                    + [act(due_plus(30), stage="Second reminder", ids=["INV-1043"])])
    assert status(result).next_action == ("Call Dana Ruiz (AP) at 555-0142: ask when INV-1043 "
                                          "will be paid (1,000.00 due)")


def test_a_call_without_an_ap_contact_asks_for_the_contact():
    sam = replace(ACME, ap_contact="")
    logged = [act(due_plus(1), stage="First reminder")]
    result, _ = run(due_plus(3), activities=logged, customers=[sam])
    assert status(result).next_action.startswith("Call Sam Lee at 555-0142: confirm")
    nobody = replace(ACME, ap_contact="", contact="", phone="")
    result, _ = run(due_plus(3), activities=logged, customers=[nobody])
    assert status(result).next_action.startswith(
        "Call Acme Supplies (no Phone in Customers): confirm")


def test_an_unsent_letter_below_a_call_comes_first():
    result, ladder = run(due_plus(5))
    s = status(result)
    assert s.next_action == ("Send the First reminder letter by e-mail; then call Dana Ruiz (AP) "
                             "at 555-0142: confirm INV-1043 arrived")
    assert s.next_action_date == date(2024, 3, 4)
    assert [lt.step.stage for lt in ladder.letters] == ["First reminder"]


def test_agency_rung():
    logged = [act(due_plus(90), stage="Final notice")]
    result, ladder = run(due_plus(120), activities=logged)
    assert status(result).next_action == ("Agency review: decide whether to pass INV-1043 "
                                          "(1,000.00 due) to a collection agency")
    assert ladder.letters == ()
    result, _ = run(due_plus(130), activities=logged + [
        act(due_plus(125), ActivityType.AGENCY, stage="Agency review")])
    assert status(result).next_action == LADDER_DONE_TEXT
    assert status(result).next_action_date is None


# --- business days ------------------------------------------------------------------------------


def test_next_action_dates_roll_to_the_next_business_day():
    july = invoice(due="2024-07-03")  # due + 1 = Thursday 4 July
    result, _ = run("2024-07-04", [july])
    assert status(result).next_action_date == date(2024, 7, 4)
    result, _ = run("2024-07-04", [july], holidays={date(2024, 7, 4)})
    assert status(result).next_action_date == date(2024, 7, 5)
    result, _ = run("2024-07-04", [july], holidays={date(2024, 7, 4), date(2024, 7, 5)})
    assert status(result).next_action_date == date(2024, 7, 8)  # over the weekend too


def test_the_refresh_takes_holidays_from_the_caller():
    result = compute(book([invoice(due="2024-07-03")], customers=[ACME]), d("2024-07-04"),
                     {date(2024, 7, 4)})
    assert status(result).next_action_date == date(2024, 7, 5)


# --- the Activity log -------------------------------------------------------------------------


def test_a_stage_already_logged_is_not_produced_again():
    for ids in (["INV-1043"], []):  # the invoice named, or no invoice = all open then
        logged = [act(due_plus(1), stage="First reminder", ids=ids)]
        result, ladder = run(due_plus(2), activities=logged)
        assert ladder.letters == ()
        s = status(result)
        assert s.stage == "First reminder"
        assert s.next_action.startswith("Call Dana Ruiz (AP)")  # the next rung, day 3
        assert s.next_action_date == date(2024, 3, 4)


def test_a_logged_stage_matches_case_and_spaces_insensitively():
    logged = [act(due_plus(1), ActivityType.EMAIL, stage="  first   REMINDER ")]
    _, ladder = run(due_plus(2), activities=logged)
    assert ladder.letters == ()
    assert norm_stage(" First  Reminder") == "first reminder"


def test_notes_future_rows_and_other_customers_do_not_count():
    for logged in ([act(due_plus(1), ActivityType.NOTE, stage="First reminder")],
                   [act(due_plus(5), stage="First reminder")],  # after the as-of date
                   [act(due_plus(1), stage="First reminder", customer="C-02")],
                   [act(due_plus(1), stage="First reminder", ids=["INV-9"])]):
        _, ladder = run(due_plus(2), activities=logged,
                        customers=[ACME, Customer("C-02", "Other")])
        assert [lt.step.stage for lt in ladder.letters] == ["First reminder"], logged


def test_a_blank_invoice_list_covers_only_invoices_issued_by_then():
    old = invoice("INV-1")
    new = inv("INV-2", "50.00", "2024-03-10", due="2024-03-11")
    logged = [act("2024-03-05", stage="First reminder")]
    result, ladder = run("2024-03-12", [old, new], activities=logged)
    assert [lt.step.stage for lt in ladder.letters] == ["First reminder"]  # for INV-2
    assert status(result, "INV-1").next_action.startswith("Call")
    assert status(result, "INV-2").next_action.startswith("Send the First reminder letter")


def test_a_later_stage_sent_supersedes_the_earlier_ones():
    # INV-2 was not yet due when a first reminder about INV-1 listed it: no courtesy reminder.
    one, two = invoice("INV-1", due="2024-02-20"), invoice("INV-2", due="2024-03-05")
    logged = [act("2024-02-21", stage="First reminder", ids=["INV-1", "INV-2"])]
    result, ladder = run("2024-02-28", [one, two], activities=logged)
    assert status(result, "INV-2").stage == "Courtesy reminder"
    assert ladder.letters == ()
    assert status(result, "INV-2").next_action.startswith("Call")  # day 3 after its due date
    assert status(result, "INV-2").next_action_date == date(2024, 3, 8)
    # and a call logged at a later rung supersedes a letter never sent below it
    result, ladder = run(due_plus(5), activities=[act(due_plus(4), ActivityType.CALL,
                                                       stage="Confirm receipt")])
    assert ladder.letters == ()
    assert status(result).next_action.startswith("Send the Second reminder letter")
    assert status(result).next_action_date == date(2024, 4, 1)  # 31 March is a Sunday


def test_one_letter_per_customer_at_the_highest_unsent_stage_listing_every_open_invoice():
    a = invoice("INV-A", "300.00", due=due_plus(-35))  # day 35: Second reminder
    b = invoice("INV-B", "200.00", due=due_plus(-2))  # day 2: First reminder
    c = invoice("INV-C", "100.00", due=due_plus(20))  # not due for 20 days
    paid = invoice("INV-P", "50.00", due=due_plus(-40))
    credit = inv("CN-1", "-25.00", "2024-01-31")
    disputed = invoice("INV-D", "70.00", due=due_plus(-100), hold=Hold.DISPUTED)
    payments = [pay("2024-02-01", "50.00", target="INV-P")]
    result, ladder = run(DUE, [a, b, c, paid, credit, disputed], payments)
    (letter,) = ladder.letters
    assert letter.step.stage == "Second reminder"
    ids = [result.invoices[i].invoice_id for i in letter.invoices]
    assert ids == ["INV-A", "INV-B", "INV-C"]  # oldest due first; no paid, credit or held
    # the credit note was applied to INV-A (oldest due): 300 - 25
    assert letter.amount_due == m("575.00")
    assert result.customers[0].stage == "Second reminder"
    # A's second reminder logged alone: B's first reminder is unsent, but the customer is not
    # taken down the ladder while A is unpaid; B joins the next letter at or above that rung
    logged = [act(DUE, stage="Second reminder", ids=["INV-A"])]
    result, ladder = run(DUE, [a, b, c], activities=logged)
    assert ladder.letters == ()
    result, ladder = run(due_plus(28), [a, b, c], activities=logged)  # B at day 30
    (letter,) = ladder.letters
    assert letter.step.stage == "Second reminder"
    assert [result.invoices[i].invoice_id for i in letter.invoices] == ["INV-A", "INV-B", "INV-C"]
    # once A is paid, B's own rung counts again
    result, ladder = run(DUE, [a, b, c], [pay(DUE, "300.00", target="INV-A")], activities=logged)
    assert [lt.step.stage for lt in ladder.letters] == ["First reminder"]
    # logged for every invoice the letter listed: nothing more until a higher rung
    logged = [act(DUE, stage="Second reminder", ids=["INV-A", "INV-B", "INV-C"])]
    _, ladder = run(DUE, [a, b, c], activities=logged)
    assert ladder.letters == ()


def test_held_paid_and_credit_invoices_have_no_stage_or_action():
    for hold in Hold:
        result, ladder = run(due_plus(45), [invoice(hold=hold)])
        s = status(result)
        assert (s.stage, s.next_action, s.next_action_date) == ("", "", None)
        assert ladder.letters == ()
    result, ladder = run(due_plus(45), payments=[pay("2024-02-01", "1000.00")])
    assert status(result).status is Status.PAID and status(result).next_action == ""
    assert ladder.letters == () and result.customers[0].next_action == ""


def test_invoices_in_a_plan_are_skipped():
    plan = Plan("P-1", "C-01", ("INV-1043",), d("2024-03-10"), 3, status=PlanStatus.SIGNED)
    b = book([invoice()], customers=[ACME], plans=(plan,))
    result = compute(b, d(due_plus(45)))
    s = status(result)
    assert s.status is Status.IN_PLAN
    assert (s.stage, s.next_action) == ("", "")
    ladder = collection_ladder(b, d(due_plus(45)), group_by_customer(b), result.invoices,
                               result.customers)
    assert ladder.letters == ()


# --- promises ---------------------------------------------------------------------------------


def promise(day="2024-03-05", by="2024-03-20", amount="600.00", ids=()):
    return act(day, ActivityType.PROMISE, ids=ids, promise_date=by, amount=amount)


def test_an_open_promise_pauses_the_customer_until_its_date():
    result, ladder = run("2024-03-12", activities=[promise()])
    assert ladder.letters == ()
    text = "Paused: promise to pay 600.00 by 2024-03-20 — check it arrived"
    assert result.customers[0].next_action == text
    assert result.customers[0].next_action_date == date(2024, 3, 20)
    assert status(result).next_action == text
    assert status(result).stage == "Confirm receipt"  # the stage still shows where it stands
    # on the promise date itself it is still open; a weekend date rolls to Monday
    result, ladder = run("2024-03-23", activities=[promise(by="2024-03-23")])
    assert ladder.letters == () and result.customers[0].next_action_date == date(2024, 3, 25)


def test_a_broken_promise_becomes_the_call():
    result, ladder = run("2024-03-21", activities=[promise()],
                         payments=[pay("2024-03-06", "100.00")])
    text = ("Call: promise broken — 600.00 promised by 2024-03-20 not received, 100.00 received; "
            "call Dana Ruiz (AP) at 555-0142")
    assert result.customers[0].next_action == (text + "; Send the First reminder letter by "
                                               "e-mail")
    assert result.customers[0].next_action_date == date(2024, 3, 4)  # the letter, pending since
    assert status(result).next_action == text
    assert status(result).next_action_date == date(2024, 3, 21)  # the day after the promise
    assert [lt.step.stage for lt in ladder.letters] == ["First reminder"]  # letters go on
    assert ladder.promises["C-01"].state == "broken"


def test_a_call_after_a_broken_promise_clears_it():
    calls = [promise(), act("2024-03-21", ActivityType.CALL)]
    result, _ = run("2024-03-22", activities=calls)
    assert "promise" not in result.customers[0].next_action
    # a call before the promise date does not count
    calls = [promise(), act("2024-03-19", ActivityType.CALL)]
    result, _ = run("2024-03-22", activities=calls)
    assert result.customers[0].next_action.startswith("Call: promise broken")


def test_a_kept_promise_does_not_pause():
    # paid on/after the promise's Date, reaching the amount (in two payments)
    kept = [pay("2024-03-06", "200.00"), pay("2024-03-08", "400.00")]
    result, ladder = run("2024-03-12", [invoice(amount="2000.00")], kept,
                         activities=[promise()])
    assert ladder.promises["C-01"].state == "kept"
    assert [lt.step.stage for lt in ladder.letters] == ["First reminder"]
    # money paid before the promise was made does not keep it
    early = [pay("2024-03-04", "600.00")]
    _, ladder = run("2024-03-12", [invoice(amount="2000.00")], early, activities=[promise()])
    assert ladder.promises["C-01"].state == "open"
    # or the invoices it lists are paid
    two = [invoice("INV-1", "100.00"), invoice("INV-2", "900.00")]
    _, ladder = run("2024-03-12", two, [pay("2024-03-02", "100.00", target="INV-1")],
                    activities=[promise(amount=None, ids=["INV-1"])])
    assert ladder.promises["C-01"].state == "kept"


def test_the_latest_promise_counts():
    ps = [promise("2024-03-01", by="2024-03-05"), promise("2024-03-06", by="2024-03-25")]
    result, ladder = run("2024-03-12", activities=ps)
    assert result.customers[0].next_action.startswith("Paused: promise to pay 600.00 by "
                                                      "2024-03-25")


# --- customers ------------------------------------------------------------------------------------


def test_credit_hold_is_shown_first():
    result, _ = run(due_plus(95), activities=[act(due_plus(90), stage="Final notice")])
    c = result.customers[0]
    assert c.credit_hold.startswith("Yes")
    # the final notice superseded the phone call: the agency review comes next
    assert c.next_action == (CREDIT_HOLD_TEXT + "; Agency review: decide whether to pass "
                             "INV-1043 (1,000.00 due) to a collection agency")
    assert c.next_action_date == date(2024, 7, 1)  # due + 120 is a Saturday
    # over the credit limit with nothing to chase yet
    limited = replace(ACME, credit_limit=m("500.00"))
    result, _ = run(due_plus(-20), customers=[limited])
    assert result.customers[0].next_action.startswith(
        "Credit hold — no new work until past invoices are cleared; Send the Courtesy reminder")


def test_chronic_late_payers_keep_the_invoice_more_often_note():
    history = [inv("INV-OLD", "100.00", "2023-11-01", due="2023-12-01")]
    payments = [pay("2024-01-10", "100.00", target="INV-OLD")]  # 40 days late
    result, _ = run(due_plus(-20), [invoice(), *history], payments)
    c = result.customers[0]
    assert c.chronic_late
    assert c.next_action == ("Send the Courtesy reminder letter by e-mail; Invoice more often: "
                             "pays 40.0 days late on average")
    result, _ = run(due_plus(-20), history, payments)  # nothing open: the note alone
    assert result.customers[0].next_action == "Invoice more often: pays 40.0 days late on average"
    assert result.customers[0].next_action_date is None


def test_customer_next_action_combines_the_letter_and_the_call():
    a = invoice("INV-A", due=due_plus(-65))  # day 65: the call rung; only a first reminder sent
    logged = [act(due_plus(-64), stage="First reminder", ids=["INV-A"])]
    b = invoice("INV-B", "200.00", due=due_plus(-2))  # day 2: first reminder
    result, ladder = run(DUE, [a, b], activities=logged)
    c = result.customers[0]
    assert c.next_action == ("Send the Second reminder letter by e-mail; Call Dana Ruiz (AP) at "
                             "555-0142: ask when INV-A will be paid (1,000.00 due)")
    assert c.stage == "Phone call"
    (letter,) = ladder.letters
    assert letter.step.stage == "Second reminder" and len(letter.invoices) == 2


# --- custom ladders ---------------------------------------------------------------------------


def test_a_custom_ladder_from_settings():
    ladder = (LadderStep(45, "Last call", "Call"), LadderStep(5, "Nudge", "Email", "nudge"),
              LadderStep(-3, "Heads up", "Letter", "heads_up"))  # any order
    result, lad = run(due_plus(4), ladder=ladder)
    assert status(result).stage == "Heads up"
    assert [lt.step.template for lt in lad.letters] == ["heads_up"]
    result, lad = run(due_plus(5), ladder=ladder)
    assert status(result).stage == "Nudge"
    assert [lt.step.template for lt in lad.letters] == ["nudge"]
    result, lad = run(due_plus(5), ladder=ladder,
                      activities=[act(due_plus(5), ActivityType.EMAIL, stage="Nudge")])
    assert lad.letters == ()
    assert status(result).next_action.startswith("Call Dana Ruiz (AP) at 555-0142: ask when")
    assert status(result).next_action_date == date(2024, 4, 15)  # due + 45
    # the default ladder's stage names mean nothing to a custom ladder
    _, lad = run(due_plus(5), ladder=ladder, activities=[act(due_plus(5), stage="Nudge ")])
    assert lad.letters == ()
    result, lad = run(due_plus(30), ladder=())
    assert lad.letters == () and status(result).stage == "" and status(result).next_action == ""


def test_the_default_ladder_is_the_contract():
    assert [(s.days, s.stage, s.action, s.template) for s in DEFAULT_LADDER] == [
        (-7, "Courtesy reminder", "Letter", "courtesy_reminder"),
        (1, "First reminder", "Letter", "first_reminder"),
        (3, "Confirm receipt", "Call", None),
        (30, "Second reminder", "Letter", "second_reminder"),
        (60, "Phone call", "Call", None),
        (90, "Final notice", "Letter", "final_notice"),
        (120, "Agency review", "Agency", None),
    ]


# --- cost ---------------------------------------------------------------------------------------


def test_a_big_mostly_paid_book_is_cheap():
    n = 200_000
    day = d("2024-01-01")
    customers = [Customer(f"C{k}", f"Customer {k}") for k in range(1000)]
    invoices = [inv(f"I{k}", "10.00", "2024-01-01", customer=f"C{k % 1000}", due="2024-01-31")
                for k in range(n)]
    b = book(invoices, customers=customers)
    paid = InvoiceStatus("x", 0, day, m("10.00"), m("0.00"), 0, None, m("0.00"), None,
                         m("0.00"), Status.PAID)
    statuses = [paid] * n
    for k in range(0, n, 100):  # 1% open and overdue
        statuses[k] = InvoiceStatus(f"I{k}", 0, d("2024-01-31"), m("0"), m("10.00"), 30, "1-30",
                                    m("0"), None, m("10.00"), Status.OVERDUE)
    people = compute(book([], customers=customers), day).customers
    groups = group_by_customer(b)
    started = time.perf_counter()
    ladder = collection_ladder(b, d("2024-03-01"), groups, statuses, people)
    elapsed = time.perf_counter() - started
    assert len(ladder.invoices) == n // 100
    assert len(ladder.letters) == 10  # the open invoices fall on 10 of the 1000 customers
    assert elapsed < 3.0, elapsed
