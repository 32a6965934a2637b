"""A batch of letters: who gets which letter, render, convert, e-mail, and log it all in Activity.

The ladder (:mod:`arsheets.core.ladder`) says which customers are due a letter and at which stage;
``plan_letters`` / ``plan_statements`` turn that into :class:`Planned` letters, and ``run_batch``
carries them out in an order that never lets a letter go out unlogged:

1. everything that can fail cheaply is checked first: the customers asked for, every template
   (``check_template``), LibreOffice for ``--pdf``, the SMTP settings and the sender for ``--send``;
2. inside the refresh (``pipeline.refresh(amend=...)``, after the workbook was found closed and was
   read): the letters are written, converted, merged and drafted; one Activity row per letter is
   added to the book, the book is recomputed (so Stage, Next Action and Last Contact reflect the
   letters), and the rows are appended to the Activity sheet in the same atomic write as every
   refreshed owned column;
3. if anything fails before the workbook is replaced, every file this run wrote is removed again;
4. only then are e-mails sent (``--send``). A message the server refuses turns its Activity row
   into a Note ("E-mail not sent: ..."), in a second write, so the stage stays due and the next run
   tries again; the .eml draft is left for sending by hand.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from arsheets import pipeline
from arsheets.activity_log import Logged, log
from arsheets.core.ladder import CHASED, Ladder, collection_ladder
from arsheets.core.payments import group_by_customer
from arsheets.errors import ArsheetsError, Problem, Where
from arsheets.letters.context import holiday_calendar
from arsheets.letters.errors import DeliveryError, LetterError, TemplateFieldError, problem_at
from arsheets.letters.output import (
    EmailDraft,
    SendResult,
    SmtpConfig,
    WrittenLetter,
    build_email,
    convert_to_pdf,
    ensure_writable,
    find_soffice,
    letters_dir,
    merge_letters,
    prepare_letter,
    recipients,
    reserve_paths,
    send_emails,
    sender,
    smtp_config_from_env,
    write_eml,
    write_letters,
)
from arsheets.letters.render import check_template, find_template
from arsheets.model import Activity, ActivityType, Channel, Customer, Status
from arsheets.money import ZERO, fmt_plain
from arsheets.workbook import schema
from arsheets.workbook.write import ColumnPatch, SheetPatch, WriteReport

STATEMENT = "Statement"  # the Stage statements are logged with; not a ladder stage
STATEMENT_TEMPLATE = "statement"
PLAN_TEMPLATES = frozenset({"payment_plan_agreement", "promissory_note"})
# What a statement of account lists: everything still owed or owing, held or not, but not what
# was written off.
_STATEMENT_SKIPS = frozenset({Status.PAID, Status.WRITTEN_OFF})


@dataclass(frozen=True)
class Planned:
    """One letter to produce: for whom, at which stage, with which template, listing what."""

    customer: Customer
    stage: str  # logged in Activity's Stage
    template: str
    invoices: tuple[int, ...]  # indexes into book.invoices, oldest due first
    amount_due: Decimal
    email: bool = False  # goes as an e-mail (Channel Email and --email); else printed

    @property
    def activity_type(self) -> ActivityType:
        return ActivityType.EMAIL if self.email else ActivityType.LETTER

    def summary(self) -> str:
        n = len(self.invoices)
        if not n:
            return f"{self.stage}: no open invoices"
        return (f"{self.stage}: {n} invoice{'s' if n != 1 else ''}, "
                f"{fmt_plain(self.amount_due)} due")


@dataclass
class Produced:
    """A letter written, and what became of it."""

    planned: Planned
    letter: Path  # the .docx
    pdf: Path | None = None
    eml: Path | None = None
    draft: EmailDraft | None = field(default=None, repr=False)
    recipients: tuple[str, ...] = ()
    sent: SendResult | None = None
    document: str = ""  # as logged: the file sent (PDF when made), relative to the workbook

    @property
    def delivered_as(self) -> str:
        """For the summary table: the file, or the e-mail address(es)."""
        if self.planned.email and self.recipients:
            return ", ".join(self.recipients)
        return self.document


@dataclass(frozen=True)
class BatchOptions:
    out: Path | None = None  # instead of Settings' Letters Folder (a dated folder goes inside)
    customers: tuple[str, ...] = ()
    template: str | None = None  # force this template for the selected customers
    pdf: bool = False
    merge: bool = False
    email: bool = False
    send: bool = False  # implies email
    dry_run: bool = False
    statements: bool = False  # the statements command: every customer with an open balance


@dataclass
class BatchOutcome:
    analysis: pipeline.Analysis  # after logging (before, for a dry run or when nothing was due)
    planned: tuple[Planned, ...] = ()
    produced: tuple[Produced, ...] = ()
    folder: Path | None = None
    merged: Path | None = None
    written: WriteReport | None = None
    sent: tuple[SendResult, ...] = ()
    warnings: tuple[str, ...] = ()
    activity_created: str = ""  # "sheet" / "headers" when the Activity log had to be created
    declined: bool = False  # --send and the user said no: nothing was written
    unsent_logged: bool = False  # refused e-mails were turned into Notes in Activity

    @property
    def written_anything(self) -> bool:
        return self.written is not None


Confirm = Callable[[Sequence[Planned], SmtpConfig], bool]
RenderProgress = Callable[[int, int], None]


class _Stop(Exception):
    """Leave the refresh without writing (nothing due, or the user declined)."""

    def __init__(self, analysis: pipeline.Analysis, planned: Sequence[Planned], declined: bool,
                 warnings: Sequence[str]):
        super().__init__("stop")
        self.analysis, self.planned, self.declined = analysis, tuple(planned), declined
        self.warnings = tuple(warnings)


# --- choosing ---------------------------------------------------------------------------------


def humanize(template: str) -> str:
    """``satisfaction_check`` -> ``Satisfaction check``: the Stage a forced template is logged
    with when the customer was not due a ladder letter."""
    text = " ".join(template.replace("_", " ").replace("-", " ").split())
    return text[:1].upper() + text[1:]


def ladder_of(analysis: pipeline.Analysis) -> Ladder:
    """The ladder's verdicts for an analysis (the letters due, promises, ...)."""
    book = analysis.read.book
    result = analysis.result
    return collection_ladder(book, analysis.as_of, group_by_customer(book), result.invoices,
                             result.customers, holiday_calendar(book.settings))


def _select_customers(analysis: pipeline.Analysis, wanted: Sequence[str]) -> dict[str, int]:
    """customer id -> index in book.customers, for the ids asked for (all when none)."""
    book = analysis.read.book
    index = {c.id: k for k, c in enumerate(book.customers)}
    if not wanted:
        return index
    missing = [w for w in wanted if w not in index]
    if missing:
        problems = analysis.read.problems
        hint = ("it is not on the Customers sheet"
                + (", or its row has a problem (run arsheets check)" if problems else ""))
        raise LetterError(*(Problem(Where(schema.CUSTOMERS.name), f"no customer {m!r}", hint)
                            for m in missing))
    return {w: index[w] for w in dict.fromkeys(wanted)}


def _chased(analysis: pipeline.Analysis, cid: str, groups) -> tuple[int, ...]:
    invoices = analysis.result.invoices
    group = groups.get(cid)
    found = [i for i in (group.invoices if group else ()) if invoices[i].status in CHASED]
    return _oldest_first(analysis, found)


def _statement_items(analysis: pipeline.Analysis, cid: str, groups) -> tuple[int, ...]:
    invoices = analysis.result.invoices
    group = groups.get(cid)
    found = [i for i in (group.invoices if group else ())
             if invoices[i].balance and invoices[i].status not in _STATEMENT_SKIPS]
    return _oldest_first(analysis, found)


def _oldest_first(analysis: pipeline.Analysis, found: list[int]) -> tuple[int, ...]:
    book, invoices = analysis.read.book, analysis.result.invoices
    found.sort(key=lambda i: (invoices[i].due_date, book.invoices[i].invoice_date,
                              book.invoices[i].id))
    return tuple(found)


def _due(analysis: pipeline.Analysis, items: Sequence[int]) -> Decimal:
    invoices = analysis.result.invoices
    return sum((invoices[i].amount_due for i in items), ZERO)


def _template_for(step) -> str:
    return step.template or "_".join(step.stage.lower().split())


def plan_letters(analysis: pipeline.Analysis, options: BatchOptions) -> list[Planned]:
    """The letters a run would produce, in the order of the Customers sheet."""
    book = analysis.read.book
    wanted = _select_customers(analysis, options.customers)
    groups = group_by_customer(book)
    forced = options.template
    if forced is not None and forced.removesuffix(".docx") in PLAN_TEMPLATES:
        raise LetterError(problem_at(
            forced, "payment plan documents need a plan's schedule",
            "use arsheets plan to prepare a payment plan agreement or promissory note"))
    planned: list[Planned] = []
    if options.statements:
        status = {c.customer_id: c for c in analysis.result.customers}
        for cid, k in wanted.items():
            if not options.customers and status[cid].balance <= ZERO:
                continue
            items = _statement_items(analysis, cid, groups)
            planned.append(Planned(book.customers[k], STATEMENT, STATEMENT_TEMPLATE, items,
                                   _due(analysis, items)))
        return planned
    due = {letter.customer_id: letter for letter in ladder_of(analysis).letters}
    for cid, k in wanted.items():
        letter = due.get(cid)
        if letter is None and not (forced and options.customers):
            continue
        if forced:
            template = forced.removesuffix(".docx")
            stage = letter.step.stage if letter is not None else humanize(template)
            items = (_statement_items(analysis, cid, groups) if template == STATEMENT_TEMPLATE
                     else letter.invoices if letter is not None
                     else _chased(analysis, cid, groups))
        else:
            template, stage, items = _template_for(letter.step), letter.step.stage, \
                letter.invoices
        planned.append(Planned(book.customers[k], stage, template, tuple(items),
                               _due(analysis, items)))
    return planned


def route_email(planned: Sequence[Planned], options: BatchOptions) -> tuple[list[Planned],
                                                                          list[str]]:
    """Mark the letters that go by e-mail (Channel Email, with --email or --send). A customer
    whose Email cannot be used gets a printed letter instead, with a warning."""
    if not (options.email or options.send):
        return list(planned), []
    out, warnings = [], []
    for p in planned:
        if p.customer.channel is not Channel.EMAIL:
            out.append(p)
            continue
        try:
            recipients(p.customer)
        except DeliveryError as exc:
            warnings.append(f"{exc.problem}: a printed letter is made instead of an e-mail")
            out.append(p)
            continue
        out.append(replace(p, email=True))
    return out, warnings


def check_templates(names: Sequence[str], analysis: pipeline.Analysis) -> None:
    """Every template used, found and checked against the documented fields, before anything is
    written; one error listing every problem."""
    settings = analysis.read.book.settings
    problems: list[Problem] = []
    for name in dict.fromkeys(names):
        try:
            path = find_template(name, settings, analysis.path.parent)
        except LetterError as exc:
            problems.extend(exc.problems)
            continue
        problems.extend(check_template(path))
    if problems:
        raise TemplateFieldError(*problems)


# --- logging ------------------------------------------------------------------------------------

def activity_record(p: Planned, produced: Produced, as_of: date,
                    analysis: pipeline.Analysis) -> Activity:
    ids = tuple(analysis.read.book.invoices[i].id for i in p.invoices)
    return Activity(as_of, p.customer.id, p.activity_type, 0, ids, p.stage, p.summary(),
                    None, None, produced.document)


def relative_to(path: Path, base: Path) -> str:
    """A path as logged in the workbook: relative to its folder where possible."""
    try:
        return Path(os.path.relpath(path, base)).as_posix()
    except ValueError:  # another drive (Windows)
        return str(path)


# --- the run ------------------------------------------------------------------------------------


def run_batch(path: str | Path, as_of: date | None = None, *,
              options: BatchOptions = BatchOptions(), today: date | None = None,
              progress: pipeline.Progress | None = None,
              on_render: RenderProgress | None = None,
              confirm: Confirm | None = None,
              smtp: SmtpConfig | None = None) -> BatchOutcome:
    """Choose, write, log and (with ``send``) e-mail a batch of letters; see the module doc.

    ``confirm(emails, smtp)`` is asked before anything is written when ``send`` is set (None:
    no question, as with --yes). Raises :class:`ArsheetsError` subclasses, having written
    nothing, for anything that stops the run.
    """
    path = Path(path)
    if options.send:
        options = replace(options, email=True)
        if not options.dry_run:  # a missing SMTP setting stops the run before anything
            smtp = smtp or smtp_config_from_env()
    if options.pdf and not options.dry_run:
        find_soffice()  # says how to install LibreOffice when it is missing

    if options.dry_run:
        analysis = pipeline.analyse(path, as_of, today=today, progress=progress)
        planned, warnings = route_email(plan_letters(analysis, options), options)
        if planned:
            check_templates([p.template for p in planned], analysis)
            if any(p.email for p in planned):
                sender(analysis.read.book.settings)
        return BatchOutcome(analysis, tuple(planned), warnings=tuple(warnings))

    state: dict[str, object] = {}
    made: list[Path] = []  # every file this run wrote, removed again if the run fails
    started = time.time()

    def amend(analysis: pipeline.Analysis) -> pipeline.Amendment:
        planned, warnings = route_email(plan_letters(analysis, options), options)
        state["warnings"] = warnings
        if not planned:
            raise _Stop(analysis, planned, False, warnings)
        check_templates([p.template for p in planned], analysis)
        settings = analysis.read.book.settings
        if any(p.email for p in planned):
            sender(settings)  # Company Email must be there to send from
        if options.send and confirm is not None and any(p.email for p in planned):
            if not confirm([p for p in planned if p.email], smtp):
                raise _Stop(analysis, planned, True, warnings)
        produced, logged = produce_and_log(analysis, planned, options, made, on_render, state)
        state.update(planned=tuple(planned), produced=tuple(produced), created=logged.created)
        return logged.amendment()

    try:
        outcome = pipeline.refresh(path, as_of, today=today, progress=progress, amend=amend)
    except _Stop as stop:
        return BatchOutcome(stop.analysis, stop.planned, warnings=stop.warnings,
                            declined=stop.declined)
    except BaseException:
        _remove(made, started)
        raise
    produced: tuple[Produced, ...] = state["produced"]  # type: ignore[assignment]
    result = BatchOutcome(outcome.analysis, state["planned"], produced,  # type: ignore[arg-type]
                          state.get("folder"), state.get("merged"),  # type: ignore[arg-type]
                          outcome.written, warnings=tuple(state["warnings"]),  # type: ignore
                          activity_created=state["created"])  # type: ignore[arg-type]
    if options.send:
        _send(path, result, smtp, today)
    return result


def produce_and_log(analysis: pipeline.Analysis, planned: Sequence[Planned],
                    options: BatchOptions, made: list[Path], on_render: RenderProgress | None,
                    state: dict) -> tuple[list[Produced], Logged]:
    """Write the planned letters (every file made is added to ``made``, so a caller whose
    workbook write then fails can remove them) and log them in Activity."""
    produced = _produce(analysis, planned, options, made, on_render, state)
    acts = [activity_record(pr.planned, pr, analysis.as_of, analysis) for pr in produced]
    return produced, log(analysis, acts)


def _produce(analysis: pipeline.Analysis, planned: Sequence[Planned], options: BatchOptions,
             made: list[Path], on_render: RenderProgress | None, state: dict) -> list[Produced]:
    book, result = analysis.read.book, analysis.result
    settings, as_of, base = book.settings, analysis.as_of, analysis.path.parent
    holidays = holiday_calendar(settings)
    aging_rows = {row.customer_id: row for row in result.aging.rows}
    letters = []
    for p in planned:
        items = [(book.invoices[i], result.invoices[i]) for i in p.invoices]
        letters.append(prepare_letter(
            settings, p.customer, items, template=p.template, as_of=as_of, stage=p.stage,
            holidays=holidays, aging_row=aging_rows.get(p.customer.id),
            aging_labels=result.aging.labels, governing_law=getattr(settings, "governing_law",
                                                                    "")))
    folder = (options.out / as_of.isoformat() if options.out is not None
              else letters_dir(settings, as_of, base))
    ensure_writable(folder)
    state["folder"] = folder
    written: list[WrittenLetter] = write_letters(letters, settings, as_of, base_dir=base,
                                                 folder=folder, progress=on_render)
    made.extend(w.path for w in written)
    produced = [Produced(p, w.path) for p, w in zip(planned, written, strict=True)]

    to_convert = [w.path for w in written]
    if options.merge:
        printed = [pr.letter for pr in produced if not pr.planned.email]
        if printed:
            [merged] = reserve_paths(folder, [f"All letters {as_of.isoformat()}"])
            made.append(merged)
            merge_letters(printed, merged)
            state["merged"] = merged
            to_convert.append(merged)
    if options.pdf:
        pdfs = convert_to_pdf(to_convert)
        made.extend(pdfs)
        for pr, pdf in zip(produced, pdfs, strict=False):
            pr.pdf = pdf
    for pr, w in zip(produced, written, strict=True):
        pr.document = relative_to(pr.pdf or pr.letter, base)
        if pr.planned.email:
            draft = build_email(w, settings, attachment=pr.pdf, base_dir=base)
            pr.draft = draft
            pr.recipients = tuple(a.addr_spec for a in draft.message["To"].addresses)
    for pr in produced:
        if pr.draft is not None:
            eml = pr.letter.with_suffix(".eml")
            made.append(eml)
            write_eml(pr.draft, eml)
            pr.eml = eml
    return produced


def _remove(paths: Sequence[Path], started: float) -> None:
    """Remove what a failed run wrote, with any PDF or draft it made beside a letter (one
    LibreOffice left behind when it failed half-way, say) but nothing older."""
    beside = [p.with_suffix(s) for p in paths if p.suffix == ".docx" for s in (".pdf", ".eml")]
    for p in paths:
        try:
            p.unlink()
        except OSError:
            pass
    for p in beside:
        try:
            if p not in paths and p.stat().st_mtime >= started - 2:
                p.unlink()
        except OSError:
            pass


# --- sending ------------------------------------------------------------------------------------


def _send(path: Path, outcome: BatchOutcome, smtp: SmtpConfig | None, today: date | None) -> None:
    """Send the drafts (the workbook already logs them); a refused one becomes a Note."""
    emails = [pr for pr in outcome.produced if pr.draft is not None]
    if not emails:
        return
    try:
        results = send_emails([pr.draft for pr in emails], smtp)
    except DeliveryError as exc:  # no connection: nothing was sent
        results = [SendResult(pr.planned.customer.id, pr.recipients, False, str(exc.problem))
                   for pr in emails]
    for pr, res in zip(emails, results, strict=True):
        pr.sent = res
    outcome.sent = tuple(results)
    failed = [pr for pr in emails if not pr.sent.ok]
    if failed:
        warnings: list[str] = []
        outcome.unsent_logged = _log_unsent(path, outcome.analysis.as_of, failed, today,
                                            warnings)
        outcome.warnings += tuple(warnings)


def _log_unsent(path: Path, as_of: date, failed: Sequence[Produced], today: date | None,
                warnings: list[str]) -> bool:
    """Turn the Activity rows of e-mails that were not sent into Notes, so the stage stays due."""
    wanted = {(pr.planned.customer.id, pr.document): pr for pr in failed}
    done: dict[str, bool] = {}

    def amend(analysis: pipeline.Analysis) -> pipeline.Amendment:
        layout = analysis.read.layouts.get(schema.ACTIVITY.name)
        book = analysis.read.book
        if layout is None:
            return pipeline.Amendment(analysis)
        acts, rows = [], []
        for act in book.activities:
            pr = wanted.get((act.customer_id, act.document))
            if pr is not None and act.type is ActivityType.EMAIL and act.date == as_of:
                note = f"E-mail not sent ({pr.sent.error}); {act.summary}"
                act = replace(act, type=ActivityType.NOTE, summary=note)
                rows.append((act.row, act))
            acts.append(act)
        if not rows:
            return pipeline.Amendment(analysis)
        cols = sorted([(layout.columns["Type"], "Type"), (layout.columns["Summary"], "Summary")])
        kinds = {"Type": schema.Kind.CHOICE, "Summary": schema.Kind.TEXT}
        values = [(row, tuple(str(a.type) if n == "Type" else a.summary for _, n in cols))
                  for row, a in sorted(rows, key=lambda x: x[0])]
        patch = SheetPatch(layout.name, layout.header_row,
                           tuple(ColumnPatch(c, kinds[n]) for c, n in cols), iter(values))
        amended = replace(analysis.read, book=replace(book, activities=tuple(acts)))
        done["ok"] = True
        return pipeline.Amendment(pipeline.analysis_of(path, as_of, amended), (patch,))

    try:
        pipeline.refresh(path, as_of, today=today, amend=amend)
    except ArsheetsError as exc:  # reported by the caller: the rows still say Email
        warnings.append(f"the Activity rows of the e-mails not sent could not be changed to "
                        f"Note: {exc}")
        return False
    return bool(done)


__all__ = [
    "BatchOptions", "BatchOutcome", "Planned", "Produced", "STATEMENT", "produce_and_log",
    "check_templates", "humanize", "ladder_of", "plan_letters", "route_email", "run_batch",
]
