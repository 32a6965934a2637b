"""Adding rows to the Activity log: the letters a batch sent, the plan a bookkeeper proposed.

The rows are appended to the Activity sheet through the safe writer, in the same atomic write as
the refreshed statuses, and the book is recomputed with them first, so Stage, Next Action and Last
Contact already count what was just sent. A workbook without an Activity sheet gets one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from . import pipeline
from .model import Activity, Plan
from .workbook import schema
from .workbook.ownedsheet import OwnedSheet, OwnedTable
from .workbook.package import Package
from .workbook.styles import Role
from .workbook.write import ColumnPatch, SheetPatch

LOGGED_COLUMNS = ("Date", "Customer", "Invoice", "Type", "Stage", "Summary", "Document")


@dataclass(frozen=True)
class Logged:
    analysis: pipeline.Analysis  # recomputed with the new rows
    patches: tuple[SheetPatch, ...]
    sheets: tuple[OwnedSheet, ...]
    created: str  # "sheet" / "headers" when the log had to be made; "" otherwise

    def amendment(self, *patches: SheetPatch) -> pipeline.Amendment:
        return pipeline.Amendment(self.analysis, (*patches, *self.patches), self.sheets)


def log(analysis: pipeline.Analysis, acts: Sequence[Activity],
        plans: Sequence[Plan] = ()) -> Logged:
    """The book with ``acts`` (and new ``plans``) added and recomputed, and the rows to append."""
    book = analysis.read.book
    read = replace(analysis.read, book=replace(
        book, activities=book.activities + tuple(acts), plans=book.plans + tuple(plans)))
    patches, sheets, created = activity_patch(analysis, acts)
    return Logged(pipeline.analysis_of(analysis.path, analysis.as_of, read), patches, sheets,
                  created)


def row_values(act: Activity) -> dict[str, object]:
    return {"Date": act.date, "Customer": act.customer_id, "Invoice": "; ".join(act.invoice_ids),
            "Type": str(act.type), "Stage": act.stage, "Summary": act.summary,
            "Document": act.document}


def activity_patch(analysis: pipeline.Analysis, acts: Sequence[Activity]
                   ) -> tuple[tuple[SheetPatch, ...], tuple[OwnedSheet, ...], str]:
    """The rows to append to Activity; creates the sheet (or its header row) when missing, and
    adds a missing Invoice/Stage/Summary/Document column at the right of the table."""
    layout = analysis.read.layouts.get(schema.ACTIVITY.name)
    rows = [row_values(a) for a in acts]
    if layout is not None:
        columns = dict(layout.columns)
        added: list[ColumnPatch] = []
        nxt = layout.last_column
        for name in LOGGED_COLUMNS:
            if name not in columns:
                nxt += 1
                columns[name] = nxt
                added.append(ColumnPatch(nxt, schema.ACTIVITY.column(name).kind, name))
        appends = tuple({columns[k]: v for k, v in row.items() if v not in (None, "")}
                        for row in rows)
        return (SheetPatch(layout.name, layout.header_row, tuple(added), (), appends),), (), ""
    headers = [c.name for c in schema.ACTIVITY.columns]
    with Package.open(analysis.path) as pkg:
        existing = pkg.sheet(schema.ACTIVITY.name)
    if existing is not None:  # there, but empty: write the header row and the rows
        header = {k: h for k, h in enumerate(headers, start=1)}
        appends = (header, *({headers.index(k) + 1: v for k, v in row.items()
                              if v not in (None, "")} for row in rows))
        return (SheetPatch(existing.name, 0, (), (), appends),), (), "headers"
    roles = {"Date": Role.DATE, "Promise Date": Role.DATE, "Promise Amount": Role.MONEY}
    grid = [[(h, Role.HEADER) for h in headers]]
    for row in rows:
        grid.append([(row.get(h) if row.get(h) not in ("",) else None, roles.get(h, Role.TEXT))
                     for h in headers])
    sheet = OwnedSheet(schema.ACTIVITY.name, grid,
                       widths=tuple(c.width for c in schema.ACTIVITY.columns), freeze_rows=1,
                       table=OwnedTable(schema.ACTIVITY.table, 1, tuple(headers),
                                        style="TableStyleLight1"))
    return (), (sheet,), "sheet"
