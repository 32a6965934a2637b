"""The Schedule sheet: one row per installment of every plan that is not cancelled.

Proposed plans show their schedule with Status "Proposed"; plans in force show what each
installment has received and where it stands (Paid, Partly paid, Due, Missed, Upcoming).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..core.plan_book import PlanResult
from .ownedsheet import OwnedSheet, OwnedTable
from .schema import Kind, SCHEDULE_HEADERS, SCHEDULE_KINDS, SCHEDULE_SHEET, SCHEDULE_TABLE
from .styles import Role

_ROLE = {Kind.ID: Role.TEXT, Kind.INT: Role.INT, Kind.DATE: Role.DATE, Kind.MONEY: Role.MONEY,
         Kind.TEXT: Role.TEXT}
_WIDTHS = (10, 6, 12, 13, 12, 13, 13, 13, 12)


def schedule_sheet(plans: Sequence[PlanResult]) -> OwnedSheet:
    roles = [_ROLE[kind] for kind in SCHEDULE_KINDS]
    rows: list[list[tuple[object, Role]]] = [[(h, Role.HEADER) for h in SCHEDULE_HEADERS]]
    for result in plans:
        if result.schedule is None:
            continue
        progress = result.progress
        tracked = {p.no: p for p in progress.installments} if progress is not None else {}
        for line in result.schedule.rows:
            seen = tracked.get(line.no)
            values = (result.plan.id, line.no, line.due, line.payment, line.interest,
                      line.principal, line.balance, seen.paid if seen else None,
                      str(seen.status) if seen else str(result.plan.status))
            rows.append(list(zip(values, roles)))
    # An Excel table needs a data row; an empty schedule keeps one blank row.
    last = max(len(rows), 2)
    table = OwnedTable(SCHEDULE_TABLE, 1, SCHEDULE_HEADERS, last_row=last)
    return OwnedSheet(SCHEDULE_SHEET, rows, _WIDTHS, freeze_rows=1, table=table)
