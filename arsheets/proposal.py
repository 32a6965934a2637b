"""Proposing a payment plan: choose the invoices, schedule them, compare the options.

``arsheets plan`` reads the workbook, works out what the customer owes on the chosen invoices, and
either prints a table of options (``--compare``) or adds a Proposed plan to the Plans sheet, with its
schedule, the signed-by-both agreement and, for a plan with interest, a promissory note.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from .core.plan_book import PlanResult
from .core.plans import Option, PlanError, Schedule, build_schedule, compare_options
from .errors import ArsheetsError, Problem, Where
from .activity_log import log
from .letters.batch import relative_to
from .letters.context import PlanTerms
from .letters.output import prepare_letter, write_letters
from .model import (Activity, ActivityType, Customer, Frequency, Invoice, InvoiceStatus, Plan,
                    PlanStatus, Status)
from .money import ZERO, cents, fmt_plain
from .pipeline import Amendment, Analysis, Progress, refresh
from .workbook import schema
from .workbook.status_columns import PLAN_CELLS
from .workbook.write import SheetPatch, WriteReport

# Invoices a plan can take: owed, not held, not a credit, not already in a plan.
_PLANNABLE = frozenset({Status.OPEN, Status.OVERDUE})


@dataclass(frozen=True)
class Terms:
    """What the bookkeeper asked for on the command line."""

    customer_id: str
    invoice_ids: tuple[str, ...] = ()  # empty: every open invoice of the customer
    installments: int = 3
    annual_rate: Decimal = ZERO
    down_payment: Decimal = ZERO
    frequency: Frequency = Frequency.MONTHLY
    first_due: date | None = None
    start: date | None = None  # default: the as-of date


@dataclass(frozen=True)
class Proposal:
    plan: Plan
    schedule: Schedule
    customer: Customer
    items: tuple[tuple[Invoice, InvoiceStatus], ...]  # the invoices it covers, oldest first


def _customer(analysis: Analysis, customer_id: str) -> Customer:
    for customer in analysis.read.book.customers:
        if customer.id == customer_id:
            return customer
    raise ArsheetsError(Problem(Where("Customers"), f"no customer {customer_id!r}",
                                "use an id from the Customer column"))


def chosen_invoices(analysis: Analysis, terms: Terms) -> tuple[tuple[Invoice, InvoiceStatus], ...]:
    """The invoices the plan covers, oldest due first; a named one that can't be covered stops
    the command with the reason."""
    book, result = analysis.read.book, analysis.result
    mine = [(inv, st) for inv, st in zip(book.invoices, result.invoices)
            if inv.customer_id == terms.customer_id]
    if terms.invoice_ids:
        by_id = dict((inv.id, (inv, st)) for inv, st in mine)
        chosen = []
        for invoice_id in terms.invoice_ids:
            if invoice_id not in by_id:
                raise ArsheetsError(Problem(
                    Where("Invoices"), f"{invoice_id} is not an invoice of {terms.customer_id}",
                    "list that customer's invoice numbers"))
            inv, st = by_id[invoice_id]
            if st.status not in _PLANNABLE:
                raise ArsheetsError(Problem(
                    Where("Invoices", inv.row), f"{invoice_id} is {st.status}, so a plan can't "
                    "cover it", "choose open or overdue invoices"))
            chosen.append((inv, st))
    else:
        chosen = [(inv, st) for inv, st in mine if st.status in _PLANNABLE]
        if not chosen:
            raise ArsheetsError(Problem(Where("Invoices"), f"{terms.customer_id} has no open "
                                        "invoices a plan could cover"))
    chosen.sort(key=lambda pair: (pair[1].due_date, pair[0].invoice_date, pair[0].id))
    return tuple(chosen)


def next_plan_id(plans: Sequence[Plan]) -> str:
    """P-1, P-2, ...: one more than the highest number already used."""
    numbers = [int(m.group(1)) for p in plans if (m := re.fullmatch(r"P-(\d+)", p.id))]
    return f"P-{max(numbers, default=0) + 1}"


def principal_of(items: Sequence[tuple[Invoice, InvoiceStatus]]) -> Decimal:
    return sum((st.balance for _, st in items), ZERO)


def propose(analysis: Analysis, terms: Terms) -> Proposal:
    """The Proposed plan and its schedule; an impossible plan stops with the reason."""
    customer = _customer(analysis, terms.customer_id)
    items = chosen_invoices(analysis, terms)
    start = terms.start or analysis.as_of
    plan = Plan(next_plan_id(analysis.read.book.plans), customer.id,
                tuple(inv.id for inv, _ in items), start, terms.installments,
                down_payment=cents(terms.down_payment), frequency=terms.frequency,
                annual_rate=terms.annual_rate, first_due=terms.first_due,
                status=PlanStatus.PROPOSED)
    try:
        schedule = build_schedule(principal_of(items), plan.installments, start=start,
                                  frequency=plan.frequency, annual_rate=plan.annual_rate,
                                  down_payment=plan.down_payment, first_due=plan.first_due)
    except PlanError as error:
        raise ArsheetsError(Problem(Where("Plans"), error.message)) from None
    return Proposal(plan, schedule, customer, items)


def options(analysis: Analysis, terms: Terms, counts: Sequence[int] = (3, 6, 12)) -> list[Option]:
    """The --compare table: each count interest-free and at the plan rate."""
    items = chosen_invoices(analysis, terms)
    _customer(analysis, terms.customer_id)
    rate = terms.annual_rate or analysis.read.book.settings.plan_rate or ZERO
    try:
        return compare_options(principal_of(items), start=terms.start or analysis.as_of,
                               rates=(ZERO, rate), counts=counts, frequency=terms.frequency,
                               down_payment=terms.down_payment, first_due=terms.first_due)
    except PlanError as error:
        raise ArsheetsError(Problem(Where("Plans"), error.message)) from None


def summary(proposal: Proposal) -> str:
    """One line for the Activity log and the terminal."""
    s, plan = proposal.schedule, proposal.plan
    rate = ("interest-free" if not plan.annual_rate
            else f"at {(plan.annual_rate * 100).normalize():f}% a year")
    down = f"{fmt_plain(s.down_payment)} down, then " if s.down_payment else ""
    return (f"Proposed plan {plan.id}: {fmt_plain(s.principal)} over {down}{plan.installments} "
            f"{plan.frequency.value.lower()} installments of {fmt_plain(s.installment)}, {rate}")


# --- adding the plan to the workbook ------------------------------------------------------------

AGREEMENT, NOTE = "payment_plan_agreement", "promissory_note"
PROPOSED_STAGE = "Payment plan proposed"


@dataclass(frozen=True)
class ProposalOutcome:
    analysis: Analysis  # after adding the plan
    proposal: Proposal
    documents: tuple[Path, ...]
    written: WriteReport | None


def plan_row(plan: Plan, result: PlanResult) -> dict[str, object]:
    """The new Plans row: what the bookkeeper would have typed, and arsheets' figures."""
    row: dict[str, object] = {
        "Plan": plan.id, "Customer": plan.customer_id, "Invoices": "; ".join(plan.invoice_ids),
        "Start Date": plan.start_date, "Down Payment": plan.down_payment,
        "Installments": plan.installments, "Frequency": plan.frequency.value,
        "Annual Rate": plan.annual_rate, "First Due": plan.first_due,
        "Status": plan.status.value,
    }
    row.update((name, get(result)) for name, get in PLAN_CELLS.items())
    return row


def _plans_patch(analysis: Analysis, row: dict[str, object]) -> SheetPatch:
    layout = analysis.read.layouts.get(schema.PLANS.name)
    if layout is None:
        raise ArsheetsError(Problem(
            Where("Plans"), "the workbook has no Plans sheet (or it has no header row)",
            "add a Plans sheet with the headers of the template (arsheets init makes one)"))
    missing = [name for name, value in row.items()
               if value not in (None, "") and name not in layout.columns]
    if missing:
        raise ArsheetsError(Problem(
            Where(layout.name, layout.header_row), "the Plans sheet has no "
            + ", ".join(repr(m) for m in missing) + " column", "add the column(s) to Plans"))
    cells = {layout.columns[name]: value for name, value in row.items() if value not in (None, "")}
    return SheetPatch(layout.name, layout.header_row, (), (), (cells,))


def proposal_amendment(analysis: Analysis, terms: Terms, *, note: bool, made: list[Path],
                       state: dict) -> Amendment:
    """Inside a refresh: propose the plan, write its documents (each added to ``made``, so the
    caller can remove them should the workbook write fail), and add the Plans and Activity rows.
    ``state`` receives the proposal and the documents."""
    proposal = propose(analysis, terms)
    plan, settings, base = proposal.plan, analysis.read.book.settings, analysis.path.parent
    templates = [AGREEMENT] + ([NOTE] if note or plan.annual_rate else [])
    terms_text = PlanTerms.from_schedule(plan, proposal.schedule,
                                         grace_days=settings.plan_grace_days)
    letters = [prepare_letter(settings, proposal.customer, proposal.items, template=name,
                              as_of=analysis.as_of, stage=PROPOSED_STAGE, plan=terms_text,
                              governing_law=settings.governing_law)
               for name in templates]
    written = write_letters(letters, settings, analysis.as_of, base_dir=base)
    made.extend(w.path for w in written)
    act = Activity(analysis.as_of, plan.customer_id, ActivityType.PLAN, 0, plan.invoice_ids,
                   PROPOSED_STAGE, summary(proposal), None, None,
                   relative_to(written[0].path, base))
    logged = log(analysis, [act], [plan])
    state.update(proposal=proposal, documents=tuple(w.path for w in written))
    row = plan_row(plan, logged.analysis.result.plans[-1])
    return logged.amendment(_plans_patch(analysis, row))


def run_proposal(path: str | Path, terms: Terms, *, as_of: date | None = None,
                 note: bool = False, today: date | None = None,
                 progress: Progress | None = None) -> ProposalOutcome:
    """Add a Proposed plan to Plans, its rows to Schedule, an Activity row, and write the
    agreement (and, for a plan with interest or with ``note``, the promissory note).

    The documents are written first and removed again if the workbook cannot be written, so no
    document exists that the workbook does not record."""
    state: dict[str, object] = {}
    made: list[Path] = []
    try:
        outcome = refresh(path, as_of, today=today, progress=progress,
                          amend=lambda analysis: proposal_amendment(
                              analysis, terms, note=note, made=made, state=state))
    except BaseException:
        for made_path in made:
            made_path.unlink(missing_ok=True)
        raise
    return ProposalOutcome(outcome.analysis, state["proposal"], state["documents"],
                           outcome.written)
