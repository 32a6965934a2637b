"""The ``arsheets`` command line: a thin shell over :mod:`arsheets.pipeline`.

Exit codes: 0 clean; 1 done, but some rows have problems (listed); 2 nothing written (a usage or
structural error). Problems go to standard output, progress to standard error.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import __version__, pipeline
from .errors import ArsheetsError, Problem
from .model import AgingReport, Book, Refresh
from .money import ZERO, fmt_plain

EXIT_OK, EXIT_PROBLEMS, EXIT_STOPPED = 0, 1, 2

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class TextConsole(Console):
    """Cell text reaches the terminal as text: a control character (the ESC that starts a terminal
    command, say) is shown as ``\\x1b`` rather than obeyed."""

    def render_str(self, text: str, **kwargs):
        if _CONTROL.search(text):
            text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
        return super().render_str(text, **kwargs)


# No markup: paths, customer names and cell text print as they are ("AR [final].xlsx").
out = TextConsole(highlight=False, soft_wrap=True, markup=False)
err = TextConsole(stderr=True, highlight=False, soft_wrap=True, markup=False)


class DateParam(click.ParamType):
    name = "DATE"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-03-31", param, ctx)


AS_OF = click.option("--as-of", type=DateParam(), default=None,
                     help="Compute every figure for this date (default: Settings' As Of Date, "
                          "else today).")


@contextmanager
def progress_bar(enabled: bool) -> Iterator[pipeline.Progress | None]:
    """A progress line per sheet read and written, on standard error."""
    if not enabled:
        yield None
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.completed:,} rows"), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        tasks: dict[str, int] = {}

        def report(what: str, rows: int) -> None:  # what: "Reading Invoices", "Writing Invoices"
            if what not in tasks:
                tasks[what] = bar.add_task(what, total=None)
            bar.update(tasks[what], completed=rows)

        yield report


def counted(n: int, things: str) -> str:
    """``counted(1, "invoices")`` -> "1 invoice"; the plural is given, since "activities"."""
    singular = things[:-3] + "y" if things.endswith("ies") else things[:-1]
    return f"{n:,} {singular if n == 1 else things}"


def stop(error: ArsheetsError) -> None:
    for problem in error.problems:
        err.print("error", style="red", end=" ")
        err.print(str(problem))
    err.print("Nothing was written.")
    sys.exit(EXIT_STOPPED)


def print_problems(problems: tuple[Problem, ...]) -> None:
    if not problems:
        return
    out.print(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} "
              "(a row with a problem is left out of the figures until it is fixed, unless its "
              "message says otherwise):")
    for problem in problems:
        out.print(f"  {problem}")


def aging_table(report: AgingReport) -> Table:
    table = Table(title=f"Receivables as of {report.as_of.isoformat()}", title_justify="left")
    for label in report.labels:
        table.add_column(label, justify="right")
    table.add_column("Total", justify="right")
    table.add_row(*(fmt_plain(v) for v in report.totals), fmt_plain(report.total))
    return table


ATTENTION_ROWS = 8


def attention_table(book: Book, result: Refresh) -> Table | None:
    """The customers most overdue, with what to do next: where a bookkeeper starts the day."""
    names = {c.id: c.name for c in book.customers}
    owing = sorted((c for c in result.customers if c.overdue > 0 or c.credit_hold),
                   key=lambda c: (-c.overdue, c.customer_id))[:ATTENTION_ROWS]
    if not owing:
        return None
    table = Table(title="Needs attention", title_justify="left")
    table.add_column("Customer")
    table.add_column("Overdue", justify="right")
    table.add_column("Oldest", justify="right")
    table.add_column("Next action", overflow="fold")
    for c in owing:
        table.add_row(f"{c.customer_id} {names.get(c.customer_id, '')}", fmt_plain(c.overdue),
                      f"{c.oldest_days_overdue} d", c.next_action)
    return table


def print_summary(book: Book, result: Refresh) -> None:
    report = result.aging
    out.print(aging_table(report))
    holds = sum(1 for c in result.customers if c.credit_hold)
    overdue = sum((c.overdue for c in result.customers), start=ZERO)
    dso = f"{report.dso} days" if report.dso is not None else "n/a (no credit sales)"
    out.print(f"Overdue (not disputed, on hold or in a plan): {fmt_plain(overdue)}   DSO: {dso}   "
              f"On credit hold: {counted(holds, 'customers')}")
    attention = attention_table(book, result)
    if attention is not None:
        out.print(attention)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="arsheets")
def main() -> None:
    """Get paid: aging, late fees, payment plans and collection letters from your Excel workbook.

    The workbook stays the system of record. arsheets reads it, computes every status for an as-of
    date, and writes only the columns it owns back into it, keeping a backup.
    """


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def init(path: Path) -> None:
    """Create a new, empty workbook laid out the way arsheets expects."""
    from .workbook.safety import os_error
    from .workbook.template import build_workbook

    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise click.BadParameter("give the new workbook a .xlsx name", param_hint="PATH")
    if path.exists():
        err.print(f"{path} already exists; arsheets will not overwrite it. Choose another name.")
        sys.exit(EXIT_STOPPED)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        build_workbook(path)
    except OSError as exc:
        stop(os_error(exc, path, "creating the workbook"))
    except ArsheetsError as error:
        stop(error)
    out.print(f"Created {path}. Fill in Settings, Customers and Invoices, then run "
              f"arsheets refresh {path}")


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path),
                default=Path("arsheets-demo"))
@AS_OF
def demo(directory: Path, as_of: date | None) -> None:
    """Build a sample business's workbook in DIRECTORY and refresh it.

    About 40 customers and 300 invoices over 8 months, with partial payments, credit notes, a
    disputed invoice and a promise to pay. Run it again to rebuild the sample (the previous one is
    kept as a backup).
    """
    from .demo import demo_book
    from .workbook.safety import check_not_open, make_backup
    from .workbook.template import build_workbook

    when = as_of or date.today()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "arsheets_demo.xlsx"  # a Python module name, so excel-setup takes it
    if path.exists():
        check_not_open(path)
        make_backup(path)
    book, settings = demo_book(when)
    build_workbook(path, book, settings)
    try:
        outcome = pipeline.refresh(path, when, backup=False)  # nothing to keep: just built
    except ArsheetsError as error:
        stop(error)
    analysis = outcome.analysis
    out.print(f"Sample workbook: {path}")
    book = analysis.read.book
    out.print(f"{counted(len(book.customers), 'customers')}, "
              f"{counted(len(book.invoices), 'invoices')}, "
              f"{counted(len(book.payments), 'payments')}, refreshed as of {when.isoformat()}.")
    print_summary(analysis.read.book, analysis.result)
    print_problems(analysis.problems)
    out.print(f"Open it in Excel, or try: arsheets check {path}")
    sys.exit(EXIT_PROBLEMS if analysis.problems else EXIT_OK)


@main.command()
@click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
@AS_OF
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def check(workbook: Path, as_of: date | None, as_json: bool) -> None:
    """Validate WORKBOOK and list every problem, writing nothing."""
    try:
        with progress_bar(not as_json and err.is_terminal) as report:
            analysis = pipeline.analyse(workbook, as_of, progress=report)
    except ArsheetsError as error:
        if as_json:
            click.echo(json.dumps({"workbook": str(workbook), "ok": False, "stopped": True,
                                   "problems": [p.as_dict() for p in error.problems]}, indent=2))
            sys.exit(EXIT_STOPPED)
        stop(error)
    book = analysis.read.book
    counts = {"customers": len(book.customers), "invoices": len(book.invoices),
              "payments": len(book.payments), "activities": len(book.activities),
              "plans": len(book.plans)}
    if as_json:
        click.echo(json.dumps({"workbook": str(workbook), "as_of": analysis.as_of.isoformat(),
                               "ok": not analysis.problems, "stopped": False, "counts": counts,
                               "problems": [p.as_dict() for p in analysis.problems]}, indent=2))
    else:
        out.print(f"{workbook} as of {analysis.as_of.isoformat()}: "
                  + ", ".join(counted(n, what) for what, n in counts.items()) + ".")
        print_problems(analysis.problems)
        if not analysis.problems:
            out.print("No problems found.")
    sys.exit(EXIT_PROBLEMS if analysis.problems else EXIT_OK)


def _cell_text(value: object) -> str:
    if value is None or value == "":
        return "(blank)"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@main.command()
@click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
@AS_OF
@click.option("--dry-run", is_flag=True, help="List the cells that would change; write nothing.")
@click.option("--limit", type=click.IntRange(min=0), default=200, show_default=True,
              help="With --dry-run, list at most this many changes (0: all).")
def refresh(workbook: Path, as_of: date | None, dry_run: bool, limit: int) -> None:
    """Compute every status for WORKBOOK and write the owned columns back into it."""
    try:
        with progress_bar(err.is_terminal) as report:
            outcome = pipeline.refresh(workbook, as_of, dry_run=dry_run, progress=report)
    except ArsheetsError as error:
        stop(error)
    analysis = outcome.analysis
    for sheet, names in outcome.added_columns.items():
        verb = "would add" if dry_run else "added"
        out.print(f"{sheet}: {verb} the missing column{'s' if len(names) > 1 else ''} "
                  + ", ".join(names))
    if dry_run:
        changes = outcome.changes
        shown = changes if limit == 0 else changes[:limit]
        for change in shown:
            out.print(f"  {change.where}: {_cell_text(change.old)} -> {_cell_text(change.new)}")
        if len(shown) < len(changes):
            out.print(f"  ... and {len(changes) - len(shown):,} more (--limit 0 lists all)")
        out.print(f"Dry run as of {analysis.as_of.isoformat()}: {len(changes):,} cell"
                  f"{'s' if len(changes) != 1 else ''} would change, and the Aging and Schedule "
                  "sheets would be rebuilt; nothing was written.")
    else:
        written = outcome.written
        out.print(f"Refreshed {workbook} as of {analysis.as_of.isoformat()}: "
                  f"{written.cells_written:,} cells written.")
        if written.backup_path:
            out.print(f"Backup of the previous file: {written.backup_path}")
        print_summary(analysis.read.book, analysis.result)
    print_problems(analysis.problems)
    sys.exit(EXIT_PROBLEMS if analysis.problems else EXIT_OK)


@main.command("excel-setup")
@click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
def excel_setup(workbook: Path) -> None:
    """Prepare WORKBOOK for the Run main button of the xlwings add-in in Excel.

    Writes the companion module (WORKBOOK's name with .py) beside it and adds a Control sheet
    with the Action list, the As Of cell and the setup steps. Safe to run again: the choices on
    the Control sheet are kept. See docs/excel.md.
    """
    from .excel_setup import setup_workbook

    try:
        report = setup_workbook(workbook)
    except ArsheetsError as error:
        stop(error)
    verb = "Added" if report.control_created else "Rewrote"
    out.print(f"{verb} the Control sheet of {workbook}.")
    if report.backup_path:
        out.print(f"Backup of the previous file: {report.backup_path}")
    out.print(f"Companion module {report.companion}: {report.companion_status}.")
    out.print("Next: open the workbook in Excel and follow the steps on its Control sheet "
              "(xlwings addin install, set the Interpreter, then Run main).")


def _add_commands() -> None:
    """Commands kept in modules of their own; they take the shared pieces from this one."""
    from .commands import letters, plan, restore

    for module in (letters, plan, restore):
        for command in module.commands():
            main.add_command(command)


_add_commands()
