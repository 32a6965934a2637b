"""The collection ladder: each invoice's stage and next action, each customer's, the letters due.

The ladder (Settings' Ladder table, else ``model.DEFAULT_LADDER``) is a list of steps, each a
number of days relative to the due date. For every invoice still being chased (Status Open or
Overdue: not paid, not a credit note, not held, not in a payment plan):

- its **Stage** is the highest step reached, ``as_of - due >= step.days``;
- a step is **done** when the Activity log holds a row for that customer with that Stage (any
  Type but Note) naming the invoice, or naming no invoice at all (then it covers every invoice of
  the customer issued by that day); a later step done supersedes the earlier ones, so an invoice
  never gets a courtesy reminder after a first reminder;
- the steps reached and not done are **pending**; the invoice's Next Action is the highest
  pending step (with the letter below it, when a call is pending above an unsent letter), else
  the next step to come, dated the day it falls due, rolled forward to a business day.

Per customer, ONE letter goes at the highest pending letter step of any of its invoices, and lists
every invoice being chased. An open promise to pay (Activity Type Promise, Promise Date not passed,
not yet kept) pauses the customer until its date; a broken one (date passed, not kept, no Call
logged after it) becomes the next action. Customers on credit hold and chronic late payers say so.

Pure: holidays come in as a container of dates, and nothing asks the clock for the date.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Container, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from ..model import (Activity, ActivityType, Book, Customer, CustomerStatus, InvoiceStatus,
                     LadderStep, Status, fast_replacer)
from ..money import ZERO, fmt_plain
from .calendar import roll_forward
from .customers import chronic_late_action
from .payments import Group

LETTER_ACTIONS = frozenset({"Letter", "Email"})  # steps that produce a document from a template
CALL_ACTION = "Call"
AGENCY_ACTION = "Agency"
# Only these are chased; Paid, Credit, In plan and the held statuses are skipped.
CHASED = frozenset({Status.OPEN, Status.OVERDUE})

CREDIT_HOLD_TEXT = "Credit hold — no new work until past invoices are cleared"
LADDER_DONE_TEXT = ("Every collection step is done: set Hold to Agency or Written off, or agree "
                    "a payment plan")
_ONE_DAY = timedelta(days=1)
_LISTED = 3  # invoice ids named in a Next Action before "and N more"


def norm_stage(text: str) -> str:
    """Stages match like headers: case- and space-insensitively."""
    return " ".join(text.split()).casefold()


def is_letter(step: LadderStep) -> bool:
    return step.action in LETTER_ACTIONS


# --- results ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LetterDue:
    """One customer's letter: the step, and every invoice it lists (indexes into book.invoices,
    oldest due first)."""

    customer_id: str
    customer: int  # index into book.customers
    step: LadderStep
    invoices: tuple[int, ...]
    amount_due: Decimal
    since: date  # the day the step was reached (before rolling to a business day)


@dataclass(frozen=True, slots=True)
class PromiseState:
    """A customer's latest promise to pay and what became of it."""

    activity: Activity
    state: str  # "open", "kept", "broken", "handled" (broken, but a Call was logged after it)
    received: Decimal  # paid by the customer on or after the promise's Date


@dataclass(frozen=True, slots=True)
class Action:
    stage: str
    text: str
    when: date | None


@dataclass(frozen=True, slots=True)
class Ladder:
    """The ladder's verdicts. ``invoices`` holds only the invoices being chased (index ->
    action); ``customers`` is aligned with book.customers."""

    invoices: dict[int, Action]
    customers: tuple[Action, ...]
    letters: tuple[LetterDue, ...]
    promises: dict[str, PromiseState]

    def apply(self, invoices: Sequence[InvoiceStatus], customers: Sequence[CustomerStatus]
              ) -> tuple[list[InvoiceStatus], list[CustomerStatus]]:
        """The statuses with Stage, Next Action and Next Action Date filled in."""
        out = list(invoices)
        with_action = _INVOICE_ACTION
        for i, a in self.invoices.items():
            out[i] = with_action(out[i], a.stage, a.text, a.when)
        with_action = _CUSTOMER_ACTION
        people = [with_action(c, a.stage, a.text, a.when)
                  for c, a in zip(customers, self.customers, strict=True)]
        return out, people


# dataclasses.replace(status, stage=..., next_action=..., next_action_date=...), four times faster
_INVOICE_ACTION = fast_replacer(InvoiceStatus, "stage", "next_action", "next_action_date")
_CUSTOMER_ACTION = fast_replacer(CustomerStatus, "stage", "next_action", "next_action_date")


# --- wording ------------------------------------------------------------------------------------


def _ids(ids: Sequence[str]) -> str:
    if len(ids) <= _LISTED + 1:
        return ", ".join(ids[:-1]) + (" and " if len(ids) > 1 else "") + ids[-1]
    return ", ".join(ids[:_LISTED]) + f" and {len(ids) - _LISTED} more"


def who_to_call(customer: Customer) -> str:
    """``Dana Ruiz (AP) at 555-0142``: the AP Contact, else the Contact, else the company."""
    ap, contact = customer.ap_contact.strip(), customer.contact.strip()
    name = f"{ap} (AP)" if ap else contact or customer.name.strip() or customer.id
    phone = " ".join(customer.phone.split())
    return f"{name} at {phone}" if phone else f"{name} (no Phone in Customers)"


def letter_text(step: LadderStep, customer: Customer) -> str:
    how = "by e-mail" if customer.channel == "Email" else "by post"
    return f"Send the {step.stage} letter {how}"


def call_text(step: LadderStep, customer: Customer, ids: Sequence[str], due: Decimal) -> str:
    if norm_stage(step.stage) == "confirm receipt":
        what = f"confirm {_ids(ids)} arrived"
    else:
        what = f"ask when {_ids(ids)} will be paid ({fmt_plain(due)} due)"
    return f"Call {who_to_call(customer)}: {what}"


def agency_text(step: LadderStep, ids: Sequence[str], due: Decimal) -> str:
    return (f"{step.stage}: decide whether to pass {_ids(ids)} ({fmt_plain(due)} due) to a "
            "collection agency")


def step_text(step: LadderStep, customer: Customer, ids: Sequence[str], due: Decimal) -> str:
    if is_letter(step):
        return letter_text(step, customer)
    if step.action == CALL_ACTION:
        return call_text(step, customer, ids, due)
    if step.action == AGENCY_ACTION:
        return agency_text(step, ids, due)
    return f"{step.stage}: {_ids(ids)} ({fmt_plain(due)} due)"


def promise_text(p: PromiseState, customer: Customer) -> str:
    act = p.activity
    amount = f"{fmt_plain(act.promise_amount)} " if act.promise_amount is not None else ""
    by = act.promise_date.isoformat()
    if p.state == "open":
        return f"Paused: promise to pay {amount}by {by} — check it arrived"
    got = f", {fmt_plain(p.received)} received" if p.received > ZERO else ""
    return (f"Call: promise broken — {amount or 'payment '}promised by {by} not received{got}; "
            f"call {who_to_call(customer)}")


# --- the ladder ---------------------------------------------------------------------------------


def promise_state(act: Activity, group: Group, book: Book, invoices: Sequence[InvoiceStatus],
                  as_of: date, last_call: date | None) -> PromiseState:
    """Kept: payments by the customer dated on/after the promise's Date reach the Promise Amount,
    or the invoices it lists are paid (no amount and no invoices: any payment since keeps it)."""
    received = ZERO
    for k in group.payments:
        pay = book.payments[k]
        if act.date <= pay.date <= as_of and pay.amount > ZERO:
            received += pay.amount
    if act.promise_amount is not None:
        kept = received >= act.promise_amount
    else:
        kept = not act.invoice_ids and received > ZERO
    if not kept and act.invoice_ids:
        wanted = set(act.invoice_ids)
        found = [i for i in group.invoices if book.invoices[i].id in wanted]
        kept = bool(found) and len(found) == len(wanted) and all(
            invoices[i].balance <= ZERO for i in found)
    if kept:
        state = "kept"
    elif act.promise_date >= as_of:
        state = "open"
    elif last_call is not None and last_call > act.promise_date:
        state = "handled"
    else:
        state = "broken"
    return PromiseState(act, state, received)


def collection_ladder(book: Book, as_of: date, groups: dict[str, Group],
                      invoices: Sequence[InvoiceStatus], customers: Sequence[CustomerStatus],
                      holidays: Container[date] = ()) -> Ladder:
    """Stage, Next Action and Next Action Date of every invoice being chased and every customer,
    and the letters due. ``invoices``/``customers`` are indexed like the book's records."""
    steps = tuple(sorted(book.settings.ladder, key=lambda s: s.days))
    days = [s.days for s in steps]
    index = {norm_stage(s.stage): k for k, s in enumerate(steps)}
    letter_at: list[int] = []  # the highest letter step at or below each step, -1 for none
    best = -1
    for k, s in enumerate(steps):
        best = k if is_letter(s) else best
        letter_at.append(best)

    # The Activity log, once: steps done per invoice, blanket steps per customer, calls, promises.
    done: dict[tuple[str, str], int] = {}
    blanket: dict[str, list[tuple[date, int]]] = {}
    last_call: dict[str, date] = {}
    promise: dict[str, Activity] = {}
    for act in book.activities:
        if act.date > as_of:
            continue
        cid, kind = act.customer_id, act.type
        if kind is ActivityType.NOTE:
            continue
        if kind is ActivityType.CALL:
            seen = last_call.get(cid)
            if seen is None or act.date > seen:
                last_call[cid] = act.date
        elif kind is ActivityType.PROMISE and act.promise_date is not None:
            seen_p = promise.get(cid)
            if seen_p is None or (act.date, act.row) >= (seen_p.date, seen_p.row):
                promise[cid] = act
        k = index.get(norm_stage(act.stage)) if act.stage else None
        if k is None:
            continue
        if act.invoice_ids:
            for inv_id in act.invoice_ids:
                key = (cid, inv_id)
                if done.get(key, -1) < k:
                    done[key] = k
        else:
            blanket.setdefault(cid, []).append((act.date, k))

    rolled: dict[date, date] = {}  # a few hundred distinct dates, rolled once each

    def roll(day: date) -> date:
        found = rolled.get(day)
        if found is None:
            found = rolled[day] = roll_forward(day, holidays)
        return found

    inv_out: dict[int, Action] = {}
    cust_out: list[Action] = []
    letters: list[LetterDue] = []
    promises: dict[str, PromiseState] = {}
    empty = Group()
    records = book.invoices
    for ci, (customer, cstatus) in enumerate(zip(book.customers, customers, strict=True)):
        cid = customer.id
        group = groups.get(cid, empty)
        chased = [i for i in group.invoices if invoices[i].status in CHASED]
        p = promise.get(cid)
        pstate = (promise_state(p, group, book, invoices, as_of, last_call.get(cid))
                  if p is not None else None)
        if pstate is not None:
            promises[cid] = pstate
        paused = pstate is not None and pstate.state == "open"
        broken = pstate is not None and pstate.state == "broken"
        broken_ids = set(p.invoice_ids) if broken and p.invoice_ids else None

        top_reached = -1
        sent_k = -1  # the highest letter already sent about an invoice still open
        letter_k, letter_since = -1, None
        call_k, call_items = -1, []
        upcoming: tuple[date, int, int] | None = None  # (date, step, invoice)
        chased.sort(key=lambda i: (invoices[i].due_date, records[i].invoice_date, records[i].id))
        for i in chased:
            inv, st = records[i], invoices[i]
            due = st.due_date
            age = (as_of - due).days
            r = bisect_right(days, age) - 1
            d = done.get((cid, inv.id), -1)
            for when, k in blanket.get(cid, ()):
                if k > d and when >= inv.invoice_date:
                    d = k
            top_reached = max(top_reached, r)
            if d >= 0:
                sent_k = max(sent_k, letter_at[d])
            stage = steps[r].stage if r >= 0 else ""
            nxt = max(r, d) + 1
            # the invoice's own action
            if paused:
                action = Action(stage, promise_text(pstate, customer), roll(p.promise_date))
            elif broken and (broken_ids is None or inv.id in broken_ids):
                action = Action(stage, promise_text(pstate, customer),
                                roll(p.promise_date + _ONE_DAY))
            elif r > d:
                step = steps[r]
                text = step_text(step, customer, (inv.id,), st.amount_due)
                when = due + timedelta(days=step.days)
                low = letter_at[r]
                if not is_letter(step) and low > d:
                    text = f"{letter_text(steps[low], customer)}; then {text[0].lower()}{text[1:]}"
                    when = due + timedelta(days=steps[low].days)
                action = Action(stage, text, roll(when))
            elif nxt < len(steps):
                step = steps[nxt]
                action = Action(stage, step_text(step, customer, (inv.id,), st.amount_due),
                                roll(due + timedelta(days=step.days)))
            elif steps:
                action = Action(stage, LADDER_DONE_TEXT, None)
            else:  # no ladder at all: nothing to say
                continue
            inv_out[i] = action
            # the customer's: the highest pending letter and call, the earliest step to come
            if r > d:
                lk = letter_at[r]
                if lk > d:
                    since = due + timedelta(days=steps[lk].days)
                    if lk > letter_k:
                        letter_k, letter_since = lk, since
                    elif lk == letter_k and since < letter_since:
                        letter_since = since
                if not is_letter(steps[r]):
                    if r > call_k:
                        call_k, call_items = r, [i]
                    elif r == call_k:
                        call_items.append(i)
            elif nxt < len(steps):
                when = due + timedelta(days=steps[nxt].days)
                if upcoming is None or when < upcoming[0]:
                    upcoming = (when, nxt, i)

        if letter_k < sent_k:
            # Never down the ladder: a customer already sent a final notice about an invoice
            # still unpaid gets no courtesy reminder about a newer one; the newer invoice joins
            # the next letter at or above that rung.
            letter_k, letter_since = -1, None
        if letter_k >= 0 and not paused:
            letters.append(LetterDue(cid, ci, steps[letter_k], tuple(chased),
                                     sum((invoices[i].amount_due for i in chased), ZERO),
                                     letter_since))
        cust_out.append(_customer_action(
            customer, cstatus, steps, top_reached, pstate, paused, broken, letter_k,
            letter_since, call_k, call_items, upcoming, bool(chased), invoices, records, roll))
    return Ladder(inv_out, tuple(cust_out), tuple(letters), promises)


def _customer_action(customer, cstatus, steps, top_reached, pstate, paused, broken, letter_k,
                     letter_since, call_k, call_items, upcoming, chasing, invoices, records,
                     roll) -> Action:
    stage = steps[top_reached].stage if top_reached >= 0 else ""
    parts: list[str] = []
    dates: list[date] = []
    if paused:
        parts.append(promise_text(pstate, customer))
        dates.append(pstate.activity.promise_date)
    elif chasing:
        if broken:
            parts.append(promise_text(pstate, customer))
            dates.append(pstate.activity.promise_date + _ONE_DAY)
        if letter_k >= 0:
            parts.append(letter_text(steps[letter_k], customer))
            dates.append(letter_since)
        if call_k >= 0 and not (broken and steps[call_k].action == CALL_ACTION):
            step = steps[call_k]
            ids = [records[i].id for i in call_items]
            due = sum((invoices[i].amount_due for i in call_items), ZERO)
            parts.append(step_text(step, customer, ids, due))
            dates.append(min(invoices[i].due_date for i in call_items)
                         + timedelta(days=step.days))
        if not parts and upcoming is not None:
            when, k, i = upcoming
            parts.append(step_text(steps[k], customer, (records[i].id,), invoices[i].amount_due))
            dates.append(when)
    text = "; ".join(parts)
    if cstatus.credit_hold:
        text = CREDIT_HOLD_TEXT + (f"; {text}" if text else "")
    if cstatus.chronic_late and cstatus.avg_days_late is not None:
        text = (f"{text}; " if text else "") + chronic_late_action(cstatus.avg_days_late)
    return Action(stage, text, roll(min(dates)) if dates else None)
