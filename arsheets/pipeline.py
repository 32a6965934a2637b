"""The whole run on one screen: read -> compute -> write.

The command line and the Excel button both call these functions, so they give identical results.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from .core.refresh import compute
from .errors import Problem, Where
from .holiday_calendar import holiday_calendar
from .model import Refresh
from .workbook import schema
from .workbook.aging_sheet import aging_sheet
from .workbook.schedule_sheet import schedule_sheet
from .workbook.read import ReadResult, SheetLayout, read_book, read_columns, read_workbook
from .workbook.scan import BookSource
from .workbook.status_columns import OwnedColumns, Value, owned_columns
from .workbook.write import ColumnPatch, SheetPatch, WriteReport, check_not_open, write_workbook

Progress = Callable[[str, int], None]


def choose_as_of(given: date | None, read: ReadResult, today: date) -> date:
    """--as-of wins, then Settings' As Of Date, then today."""
    return given or read.book.settings.as_of or today


def locate(problems: Sequence[Problem], layouts: dict[str, SheetLayout]) -> tuple[Problem, ...]:
    """Give core problems (which know a column only by its contract name) a real cell address."""
    out = []
    for problem in problems:
        where = problem.where
        layout = layouts.get(where.sheet or "")
        if layout is not None and where.field and where.column is None:
            where = Where(layout.name, where.row, layout.columns.get(where.field), where.field)
            problem = Problem(where, problem.message, problem.hint)
        elif layout is not None and where.sheet != layout.name:
            problem = Problem(Where(layout.name, where.row, where.column, where.field),
                              problem.message, problem.hint)
        out.append(problem)
    return tuple(out)


@dataclass(frozen=True)
class Analysis:
    """A workbook read and computed, nothing written."""

    path: Path
    as_of: date
    read: ReadResult
    result: Refresh
    problems: tuple[Problem, ...]  # every row problem, reader's and core's, addressed

    def owned(self) -> list[OwnedColumns]:
        return owned_columns(self.read.layouts, self.result, self.problems)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a run.

    A run builds millions of small records and results that form no reference cycles (reference
    counting frees them); with the collector on, every full collection rescans the whole growing
    heap, which doubled the time of computing a million invoices. Pauses nest."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def analyse(path: str | Path, as_of: date | None = None, *, today: date | None = None,
            progress: Progress | None = None) -> Analysis:
    path = Path(path)
    with collector_paused():
        read = read_workbook(path, progress=progress)
        when = choose_as_of(as_of, read, today or date.today())
        return analysis_of(path, when, read)


def analyse_source(source: BookSource, as_of: date | None = None, *, today: date | None = None,
                   path: str | Path | None = None, progress: Progress | None = None) -> Analysis:
    """:func:`analyse` for any :class:`BookSource`: the Excel button reads the open workbook so."""
    with collector_paused():
        read = read_book(source, progress=progress)
        when = choose_as_of(as_of, read, today or date.today())
        return analysis_of(Path(path if path is not None else source.name), when, read)


def analysis_of(path: Path, when: date, read: ReadResult) -> Analysis:
    """Compute a book already read (or amended, e.g. with the Activity rows letters add)."""
    holidays = holiday_calendar(read.book.settings)
    with collector_paused():
        result = compute(read.book, when, holidays)
    problems = read.problems + locate(result.problems, dict(read.layouts))
    return Analysis(path, when, read, result, problems)


@dataclass(frozen=True)
class Change:
    where: Where
    old: Value
    new: Value


@dataclass(frozen=True)
class RefreshOutcome:
    analysis: Analysis
    changes: tuple[Change, ...] = ()  # filled by a dry run
    written: WriteReport | None = None
    added_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)


def sheet_patch(owned: OwnedColumns) -> SheetPatch:
    spec = next(s for s in schema.DATA_SHEETS if s.name == owned.sheet)
    columns = tuple(
        ColumnPatch(col, spec.column(name).kind, name if name in owned.new else None)
        for name, col in zip(owned.names, owned.columns))
    return SheetPatch(owned.layout.name, owned.layout.header_row, columns, owned.iter_rows())


def merge_patches(owned: Sequence[SheetPatch], extra: Sequence[SheetPatch]) -> list[SheetPatch]:
    """One patch per sheet: rows an amendment appends join that sheet's owned-column patch.

    An amendment only appends rows to a sheet the refresh also patches; its owned columns are the
    refresh's to write."""
    merged = {p.sheet.casefold(): p for p in owned}
    for patch in extra:
        key = patch.sheet.casefold()
        base = merged.get(key)
        if base is None:
            merged[key] = patch
        elif patch.columns or patch.rows:
            raise ValueError(f"an amendment may only append rows to {patch.sheet!r}")
        else:
            merged[key] = replace(base, appends=base.appends + patch.appends)
    return list(merged.values())


def _same(old: Value, new: Value) -> bool:
    """Blank equals blank; 5 equals 5.00 (the reader gives numbers as Decimal)."""
    return (old in (None, "") and new in (None, "")) or old == new


def diff(analysis: Analysis, owned: Sequence[OwnedColumns]) -> tuple[Change, ...]:
    """The owned cells a refresh would change, read against what the workbook holds now."""
    changes = []
    for oc in owned:
        existing = [c for n, c in zip(oc.names, oc.columns) if n not in oc.new]
        current = read_columns(analysis.path, oc.layout.name, existing) if existing else {}
        for row, values in oc.iter_rows():
            now = current.get(row, {})
            for col, new in zip(oc.columns, values):
                old = now.get(col)
                if not _same(old, new):
                    changes.append(Change(Where(oc.layout.name, row, col), old, new))
    return tuple(changes)


def owned_sheets(analysis: Analysis) -> list:
    """The sheets a refresh rebuilds whole (list[OwnedSheet]); the Excel button writes the same."""
    return [aging_sheet(analysis.result.aging), schedule_sheet(analysis.result.plans)]


@dataclass(frozen=True)
class Amendment:
    """What a command adds to a refresh, written in the same atomic write: the analysis
    recomputed from an amended book, and extra patches (rows appended) and new sheets."""

    analysis: Analysis
    patches: tuple[SheetPatch, ...] = ()
    sheets: tuple = ()  # tuple[OwnedSheet, ...]


def refresh(path: str | Path, as_of: date | None = None, *, dry_run: bool = False,
            today: date | None = None, progress: Progress | None = None,
            amend: Callable[[Analysis], Amendment] | None = None,
            backup: bool = True) -> RefreshOutcome:
    """Read, compute and write every status column and the Aging sheet back into the workbook.

    ``amend`` (not with ``dry_run``) sees the analysis before anything is written and may amend it
    (the letters command logs the letters it wrote in Activity this way)."""
    path = Path(path)
    if not dry_run:
        check_not_open(path)  # before the slow part, so the bookkeeper hears at once
    analysis = analyse(path, as_of, today=today, progress=progress)
    extra = Amendment(analysis)
    if amend is not None and not dry_run:
        extra = amend(analysis)
        analysis = extra.analysis
    with collector_paused():
        owned = analysis.owned()
        added = {oc.layout.name: tuple(n for n in oc.names if n in oc.new)
                 for oc in owned if oc.new}
        if dry_run:
            return RefreshOutcome(analysis, diff(analysis, owned), None, added)
        report = write_workbook(
            path, merge_patches([sheet_patch(oc) for oc in owned], extra.patches),
            [*owned_sheets(analysis), *extra.sheets], backup=backup, progress=progress)
    return RefreshOutcome(analysis, (), report, added)
