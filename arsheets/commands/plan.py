"""The ``plan`` command: a thin shell over :mod:`arsheets.proposal`."""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import click
from rich.table import Table

from ..errors import ArsheetsError
from ..model import Frequency
from ..money import ZERO, fmt_plain, parse_rate

_FREQUENCIES = {"monthly": Frequency.MONTHLY, "every-2-weeks": Frequency.EVERY_2_WEEKS,
                "weekly": Frequency.WEEKLY}


class RateParam(click.ParamType):
    name = "RATE"

    def convert(self, value, param, ctx):
        try:
            return parse_rate(value)
        except ValueError as exc:
            self.fail(f"{value!r} {exc}", param, ctx)


class AmountParam(click.ParamType):
    name = "AMOUNT"

    def convert(self, value, param, ctx):
        from ..workbook.amounts import parse_money

        try:
            amount = parse_money(str(value))
        except ValueError as exc:
            self.fail(f"{value!r} {exc}", param, ctx)
        if amount < 0:
            self.fail(f"{value!r} is negative", param, ctx)
        return amount


def _ids(values: tuple[str, ...]) -> tuple[str, ...]:
    """``--invoices A --invoices B``, ``--invoices A,B`` and ``--invoices "A; B"`` all work."""
    found: list[str] = []
    for value in values:
        found += [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
    return tuple(dict.fromkeys(found))


def options_table(rows) -> Table:
    table = Table(title="Payment plan options", title_justify="left")
    for name in ("Installments", "Rate", "Installment", "Total interest", "Total payable",
                 "Last payment"):
        table.add_column(name, justify="right" if name != "Last payment" else "left")
    for o in rows:
        rate = f"{(o.annual_rate * 100).normalize():f}%"
        if o.problem:
            table.add_row(str(o.installments), rate, "-", "-", "-", o.problem)
        else:
            table.add_row(str(o.installments), rate, fmt_plain(o.installment),
                          fmt_plain(o.total_interest), fmt_plain(o.total_payable),
                          o.last_due.isoformat())
    return table


def schedule_table(schedule) -> Table:
    table = Table(title="Schedule", title_justify="left")
    for name in ("No", "Due", "Payment", "Interest", "Principal", "Balance"):
        table.add_column(name, justify="left" if name == "Due" else "right")
    for r in schedule.rows:
        table.add_row("down" if r.no == 0 else str(r.no), r.due.isoformat(), fmt_plain(r.payment),
                      fmt_plain(r.interest), fmt_plain(r.principal), fmt_plain(r.balance))
    return table


def commands() -> list[click.Command]:
    from .. import cli

    out = cli.out

    @click.command()
    @click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--customer", required=True, metavar="ID", help="The customer the plan is for.")
    @click.option("--invoices", multiple=True, metavar="IDS",
                  help="The invoices it covers (default: all the customer's open invoices).")
    @click.option("--installments", type=click.IntRange(min=1), default=3, show_default=True,
                  help="How many installments after the down payment.")
    @click.option("--rate", type=RateParam(), default=None,
                  help="Annual interest rate, e.g. 8% (default 0: interest-free).")
    @click.option("--down", type=AmountParam(), default=None,
                  help="Down payment, due on the start date.")
    @click.option("--frequency", type=click.Choice(list(_FREQUENCIES), case_sensitive=False),
                  default="monthly", show_default=True)
    @click.option("--first-due", type=cli.DateParam(), default=None,
                  help="First installment's date (default: one period after the start).")
    @click.option("--start", type=cli.DateParam(), default=None,
                  help="Start date (default: the as-of date).")
    @click.option("--note", is_flag=True,
                  help="Also write a promissory note (always written for a plan with interest).")
    @click.option("--compare", is_flag=True,
                  help="Print 3, 6 and 12 installments, interest-free and at the rate; write "
                       "nothing.")
    @cli.AS_OF
    def plan(workbook: Path, customer: str, invoices: tuple[str, ...], installments: int,
             rate: Decimal | None, down: Decimal | None, frequency: str, first_due: date | None,
             start: date | None, note: bool, compare: bool, as_of: date | None) -> None:
        """Propose a payment plan for a customer, or compare plan options.

        Adds a Proposed plan to the Plans sheet with its schedule on the Schedule sheet, logs it
        in Activity, and writes the payment plan agreement (and a promissory note) for signing.
        When the customer signs, set the plan's Status to Signed: from then on their payments
        pay the plan, and its invoices show In plan.
        """
        from .. import pipeline
        from ..proposal import Terms, options, run_proposal, summary

        terms = Terms(customer.strip(), _ids(invoices), installments, rate or ZERO,
                      down or ZERO, _FREQUENCIES[frequency.lower()], first_due, start)
        try:
            if compare:
                analysis = pipeline.analyse(workbook, as_of)
                out.print(options_table(options(analysis, terms)))
                out.print("Nothing was written. Run again without --compare to propose one.")
                sys.exit(cli.EXIT_OK)
            result = run_proposal(workbook, terms, as_of=as_of, note=note)
        except ArsheetsError as error:
            cli.stop(error)
        proposal = result.proposal
        out.print(f"{proposal.customer.id} {proposal.customer.name}: {summary(proposal)}.")
        out.print(schedule_table(proposal.schedule))
        for document in result.documents:
            out.print(f"Wrote {document}")
        out.print(f"Added {proposal.plan.id} to Plans (Status Proposed) and refreshed {workbook}. "
                  "Set its Status to Signed once both sides have signed.")
        if result.written is not None and result.written.backup_path:
            out.print(f"Backup of the previous file: {result.written.backup_path}")
        cli.print_problems(result.analysis.problems)
        sys.exit(cli.EXIT_PROBLEMS if result.analysis.problems else cli.EXIT_OK)

    return [plan]
