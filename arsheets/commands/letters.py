"""The ``letters`` and ``statements`` commands: thin shells over :mod:`arsheets.letters.batch`.

They are built by :func:`commands` (called by :mod:`arsheets.cli`), which takes the shared option
types and consoles from the CLI module, so importing this module first does not import the CLI in
a circle.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import click
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn,
                           TimeElapsedColumn)
from rich.table import Table

from ..errors import ArsheetsError
from ..money import fmt_plain


def _customer_ids(given: Sequence[str], extra: Sequence[str]) -> tuple[str, ...]:
    """``--customer A --customer B``, ``--customer A,B`` and ``--customer A B`` all work."""
    ids: list[str] = []
    for item in (*given, *extra):
        ids += [part.strip() for part in item.split(",") if part.strip()]
    return tuple(dict.fromkeys(ids))


@contextmanager
def _progress(enabled: bool, console) -> Iterator[tuple]:
    """(read progress, render progress) callbacks drawing one rich progress display."""
    if not enabled:
        yield None, None
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                  transient=True) as bar:
        tasks: dict[str, int] = {}

        def read(sheet: str, rows: int) -> None:
            if sheet not in tasks:
                tasks[sheet] = bar.add_task(f"Reading {sheet}", total=None)
            bar.update(tasks[sheet], completed=rows)

        def render(done: int, total: int) -> None:
            if "letters" not in tasks:
                tasks["letters"] = bar.add_task("Writing letters", total=total)
            bar.update(tasks["letters"], completed=done, total=total)

        yield read, render


def summary_table(outcome, *, dry_run: bool) -> Table:
    from ..letters.batch import Produced

    title = ("Would be written" if dry_run else "Written") + f" as of {outcome.analysis.as_of}"
    table = Table(title=title, title_justify="left")
    for name, justify in (("Customer", "left"), ("Stage", "left"), ("Template", "left"),
                          ("Invoices", "right"), ("Amount", "right"),
                          ("File / e-mail", "left")):
        table.add_column(name, justify=justify, overflow="fold")
    rows = outcome.produced if not dry_run else [Produced(p, Path()) for p in outcome.planned]
    for pr in rows:
        p = pr.planned
        if dry_run:
            where = "e-mail" if p.email else "letter"
        else:
            where = pr.delivered_as
            if pr.sent is not None:
                where += " (sent)" if pr.sent.ok else " (NOT sent)"
        table.add_row(f"{p.customer.id} {p.customer.name}".strip(), p.stage, p.template,
                      str(len(p.invoices)), fmt_plain(p.amount_due), where)
    return table


def commands() -> list[click.Command]:
    """The two commands, using the CLI's shared pieces."""
    from .. import cli

    out, err = cli.out, cli.err

    def confirm(emails, smtp) -> bool:
        err.print(f"About to send {len(emails)} e-mail{'s' if len(emails) != 1 else ''} "
                  f"through {smtp.describe()}:")
        for p in emails:
            err.print(f"  {p.customer.id} {p.customer.name}: {p.stage} to {p.customer.email}")
        try:
            return click.confirm("Send them?", default=False, err=True)
        except click.Abort:
            return False

    def run(workbook: Path, as_of: date | None, options, yes: bool) -> None:
        from ..letters.batch import run_batch

        try:
            with _progress(err.is_terminal, err) as (read, render):
                outcome = run_batch(workbook, as_of, options=options, progress=read,
                                    on_render=render, confirm=None if yes else confirm)
        except ArsheetsError as error:
            cli.stop(error)
        report(workbook, outcome, options)

    def report(workbook: Path, outcome, options) -> None:
        analysis = outcome.analysis
        what = "statement" if options.statements else "letter"
        for warning in outcome.warnings:
            out.print(f"warning: {warning}")
        if outcome.declined:
            err.print("Nothing was sent or written.")
            sys.exit(cli.EXIT_STOPPED)
        if not outcome.planned:
            out.print(f"No {what}s are due as of {analysis.as_of.isoformat()}"
                      + (" for the customers given" if options.customers else "")
                      + "; nothing was written.")
            cli.print_problems(analysis.problems)
            sys.exit(cli.EXIT_PROBLEMS if analysis.problems else cli.EXIT_OK)
        table = summary_table(outcome, dry_run=options.dry_run)
        if out.is_terminal:
            out.print(table)
        else:  # piped or captured: whole lines, not a table folded to 80 columns
            cli.TextConsole(file=out.file, width=200, highlight=False, markup=False).print(table)
        n = len(outcome.planned)
        plural = f"{n} {what}{'s' if n != 1 else ''}"
        if options.dry_run:
            out.print(f"Dry run: {plural} would be written; nothing was written.")
            cli.print_problems(analysis.problems)
            sys.exit(cli.EXIT_PROBLEMS if analysis.problems else cli.EXIT_OK)
        out.print(f"Wrote {plural} to {outcome.folder}")
        if outcome.merged is not None:
            out.print(f"For printing, all in one: {outcome.merged}")
        drafts = [pr for pr in outcome.produced if pr.eml is not None]
        if drafts and not options.send:
            out.print(f"{len(drafts)} e-mail draft{'s' if len(drafts) != 1 else ''} (.eml) "
                      "beside the letters: open one and press Send.")
        if outcome.activity_created == "sheet":
            out.print("The workbook had no Activity sheet, so arsheets added one to log what it "
                      "sends; log your own calls, promises and notes there too.")
        elif outcome.activity_created == "headers":
            out.print("The Activity sheet was empty: arsheets wrote its header row and logged "
                      "the letters there.")
        out.print(f"Logged {n} row{'s' if n != 1 else ''} in Activity and refreshed {workbook}.")
        if outcome.written is not None and outcome.written.backup_path:
            out.print(f"Backup of the previous file: {outcome.written.backup_path}")
        failed = [r for r in outcome.sent if not r.ok]
        if outcome.sent:
            out.print(f"Sent {len(outcome.sent) - len(failed)} of {len(outcome.sent)} e-mails.")
        for r in failed:
            out.print(f"  NOT sent to {r.customer_id}: {r.error}")
        if failed:
            if outcome.unsent_logged:
                out.print("Their Activity rows now say Note (E-mail not sent), so the next run "
                          "tries again; the .eml drafts are beside the letters.")
            else:
                out.print("Their Activity rows still say Email: send the .eml drafts beside the "
                          "letters by hand, or change those rows' Type to Note so the next run "
                          "tries again.")
        cli.print_problems(analysis.problems)
        sys.exit(cli.EXIT_PROBLEMS if analysis.problems or failed else cli.EXIT_OK)

    workbook_arg = click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
    out_opt = click.option("--out", type=click.Path(file_okay=False, path_type=Path),
                           default=None, help="Write into a dated folder here instead of the "
                           "Settings' Letters Folder beside the workbook.")
    customer_opt = click.option("--customer", "customers", multiple=True, metavar="ID",
                                help="Only these customers (repeat, or separate with commas).")
    pdf_opt = click.option("--pdf", is_flag=True,
                           help="Also convert each letter to PDF (needs LibreOffice).")
    merge_opt = click.option("--merge", is_flag=True,
                             help="Also join the printed letters into one document.")
    email_opt = click.option("--email", is_flag=True,
                             help="Write .eml drafts for customers whose Channel is Email.")
    send_opt = click.option("--send", is_flag=True,
                            help="Send the e-mails over SMTP (ARSHEETS_SMTP_* variables).")
    yes_opt = click.option("--yes", is_flag=True, help="Send without asking.")
    dry_opt = click.option("--dry-run", is_flag=True, help="List what would be sent; write "
                           "nothing.")
    extra_args = {"allow_extra_args": True}

    @click.command(context_settings=extra_args)
    @workbook_arg
    @cli.AS_OF
    @out_opt
    @customer_opt
    @click.option("--template", metavar="NAME", default=None,
                  help="Use this template for the selected customers (e.g. satisfaction_check, "
                       "statement); with --customer, also for customers not due a letter.")
    @pdf_opt
    @merge_opt
    @email_opt
    @send_opt
    @yes_opt
    @dry_opt
    @click.pass_context
    def letters(ctx, workbook, as_of, out, customers, template, pdf, merge, email, send, yes,
                dry_run):
        """Write the collection letters due: one per customer, at the highest unsent stage.

        Each letter lists all of the customer's open invoices and is logged in the Activity sheet
        (so it is never sent twice), in the same safe write that refreshes the workbook.
        """
        from ..letters.batch import BatchOptions

        ids = _check_extra(ctx, customers)
        run(workbook, as_of, BatchOptions(out, ids, template, pdf, merge, email, send, dry_run),
            yes)

    @click.command(context_settings=extra_args)
    @workbook_arg
    @cli.AS_OF
    @customer_opt
    @out_opt
    @pdf_opt
    @merge_opt
    @email_opt
    @send_opt
    @yes_opt
    @dry_opt
    @click.pass_context
    def statements(ctx, workbook, as_of, customers, out, pdf, merge, email, send, yes,
                   dry_run):
        """Write statements of account: every customer with an open balance, or those given.

        Logged in Activity with Stage "Statement"; statements do not move the collection ladder.
        """
        from ..letters.batch import BatchOptions

        ids = _check_extra(ctx, customers)
        run(workbook, as_of, BatchOptions(out, ids, None, pdf, merge, email, send, dry_run,
                                          statements=True), yes)

    return [letters, statements]


def _check_extra(ctx: click.Context, customers: Sequence[str]) -> tuple[str, ...]:
    """Extra words after --customer are more customer ids; anywhere else they are a mistake."""
    if ctx.args and not customers:
        raise click.UsageError(f"Got unexpected extra argument{'s' if len(ctx.args) > 1 else ''} "
                               f"({' '.join(ctx.args)})", ctx)
    return _customer_ids(customers, ctx.args)
