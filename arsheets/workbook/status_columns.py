"""Results -> the values of the owned columns, row by row, ready for the writer (or Excel).

This is the one place that decides how a computed figure looks in a cell: money as Decimal, counts as
int, blanks as None, the Applied To text, the Problems text. The file writer and the Excel button
both take their values from here, so the two give identical results. Values are produced lazily, a
row at a time, so a million-row sheet never exists twice in memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from operator import attrgetter

from ..errors import Problem
from ..core.plan_book import PlanResult
from ..model import CustomerStatus, InvoiceStatus, PaymentStatus, Refresh
from ..money import fmt_plain
from . import schema
from .read import SheetLayout
from .scan import CellRange

Value = None | str | Decimal | int | date | bool
Getter = Callable[[object], Value]

NOT_APPLIED_FUTURE = "not applied: dated after the as-of date"


def applied_to_text(s: PaymentStatus) -> str | None:
    if s.future:
        return NOT_APPLIED_FUTURE
    return "; ".join(f"{a.invoice_id} {fmt_plain(a.amount)}" for a in s.applied) or None


# Plain attributes are read with attrgetter (a C call): these run once per cell of a million rows.
INVOICE_CELLS: dict[str, Callable[[InvoiceStatus], Value]] = {
    "Paid": attrgetter("paid"),
    "Balance": attrgetter("balance"),
    "Days Overdue": attrgetter("days_overdue"),
    "Aging": attrgetter("aging"),
    "Late Fee": attrgetter("late_fee"),
    "Discount": attrgetter("discount"),
    "Amount Due": attrgetter("amount_due"),
    "Status": lambda s: str(s.status),
    "Stage": lambda s: s.stage or None,
    "Next Action": lambda s: s.next_action or None,
    "Next Action Date": attrgetter("next_action_date"),
}

CUSTOMER_CELLS: dict[str, Callable[[CustomerStatus], Value]] = {
    "Balance": attrgetter("balance"),
    "Overdue": attrgetter("overdue"),
    "Oldest Days Overdue": attrgetter("oldest_days_overdue"),
    "Avg Days Late": attrgetter("avg_days_late"),
    "Credit Hold": lambda s: s.credit_hold or None,
    "Stage": lambda s: s.stage or None,
    "Next Action": lambda s: s.next_action or None,
    "Next Action Date": attrgetter("next_action_date"),
    "Last Contact": attrgetter("last_contact"),
}

def _plan_next_due(r: PlanResult) -> date | None:
    if r.progress is None:
        return None
    return r.default_date if r.defaulted else r.progress.next_due


def _plan_next_amount(r: PlanResult) -> Decimal | None:
    if r.progress is None:
        return None
    return r.progress.accelerated_amount if r.defaulted else r.progress.next_amount


def _schedule_value(r: PlanResult, name: str) -> Value:
    return getattr(r.schedule, name) if r.schedule is not None else None


def _progress_value(r: PlanResult, name: str) -> Value:
    return getattr(r.progress, name) if r.progress is not None else None


PLAN_CELLS: dict[str, Callable[[PlanResult], Value]] = {
    "Principal": lambda r: r.principal,
    "Installment": lambda r: _schedule_value(r, "installment"),
    "Total Interest": lambda r: _schedule_value(r, "total_interest"),
    "Total Payable": lambda r: _schedule_value(r, "total_payable"),
    "Paid": lambda r: _progress_value(r, "paid"),
    "Remaining": lambda r: _progress_value(r, "remaining"),
    "Next Due": _plan_next_due,
    "Next Amount": _plan_next_amount,
    "Missed": lambda r: _progress_value(r, "missed"),
}

PAYMENT_CELLS: dict[str, Callable[[PaymentStatus], Value]] = {
    "Applied To": applied_to_text,
    "Unapplied": lambda s: None if s.future else s.unapplied,
}


@dataclass(frozen=True, slots=True)
class OwnedColumns:
    """One sheet's owned columns: where each goes, and the values for every data row."""

    sheet: str  # contract sheet name
    layout: SheetLayout
    names: tuple[str, ...]  # owned contract headers, in sheet-column order
    columns: tuple[int, ...]  # 1-based sheet columns, aligned to names
    new: frozenset[str]  # owned headers the sheet lacks; the writer adds them
    _statuses: Mapping[int, object]  # row -> result record
    _getters: Mapping[str, Getter]
    _problems: Mapping[int, Sequence[Problem]]  # row -> its problems

    def values(self, row: int) -> tuple[Value, ...]:
        status = self._statuses.get(row)  # None: the row was left out for its problems
        found = self._problems.get(row)
        problems = "; ".join(str(p) for p in found) if found else None
        if status is None:
            return tuple(problems if name == "Problems" else None for name in self.names)
        return self._maker()(status, problems)

    def _maker(self) -> Callable[[object, str | None], tuple[Value, ...]]:
        """``(status, problems text) -> the row's values``, one generated function per sheet: a
        tuple display of getter calls costs far less per row than a loop over the columns."""
        maker = _MAKERS.get(self.names)
        if maker is None or maker[0] is not self._getters:
            namespace: dict[str, object] = {}
            items = []
            for k, name in enumerate(self.names):
                if name == "Problems":
                    items.append("p")
                else:
                    namespace[f"g{k}"] = self._getters[name]
                    items.append(f"g{k}(s)")
            exec(f"def make(s, p): return ({', '.join(items)},)", namespace)  # noqa: S102
            maker = _MAKERS[self.names] = (self._getters, namespace["make"])
        return maker[1]  # type: ignore[return-value]

    def iter_rows(self) -> Iterator[tuple[int, tuple[Value, ...]]]:
        """Every data row, and the table's other rows, whose old statuses are cleared: a row the
        bookkeeper emptied of input must not keep saying Overdue. Rows outside the Excel table
        are left alone, since a total under a column may sit there."""
        rows = self.layout.rows
        cleared = _table_rows(self.layout).difference(rows)
        if cleared:
            rows = sorted(cleared.union(rows))
        statuses, problems, make = self._statuses.get, self._problems, self._maker()
        if not problems:
            for row in rows:
                status = statuses(row)
                yield row, (make(status, None) if status is not None else self.values(row))
            return
        for row in rows:
            status = statuses(row)
            if status is None or row in problems:
                yield row, self.values(row)
            else:
                yield row, make(status, None)


# names -> (the getters it was made for, the row maker); see OwnedColumns._maker
_MAKERS: dict[tuple[str, ...], tuple[Mapping[str, Getter], Callable]] = {}


def _table_rows(layout: SheetLayout) -> set[int]:
    table = layout.table
    if table is None:
        return set()
    try:
        span = CellRange.parse(table.ref)
    except ValueError:
        return set()
    first = max(span.first_row + table.header_rows, layout.header_row + 1)
    return set(range(first, span.last_row - table.totals_rows + 1))


def _row(status: object) -> int:
    """The sheet row a result belongs to (plan results carry their plan)."""
    return status.plan.row if isinstance(status, PlanResult) else status.row


def place_columns(spec: schema.SheetSpec, layout: SheetLayout) -> tuple[tuple[str, int], ...]:
    """Owned headers with their sheet columns; missing ones go after the last used column."""
    placed = []
    next_free = layout.last_column
    for col in spec.owned:
        where = layout.columns.get(col.name)
        if where is None:
            next_free += 1
            where = next_free
        placed.append((col.name, where))
    return tuple(sorted(placed, key=lambda item: item[1]))


def owned_columns(layouts: Mapping[str, SheetLayout], result: Refresh,
                  problems: Sequence[Problem]) -> list[OwnedColumns]:
    """The owned columns of every data sheet the refresh fills.

    ``problems`` must already carry the workbook's own sheet names (see ``pipeline.locate``).
    """
    by_sheet: dict[str, dict[int, list[Problem]]] = defaultdict(lambda: defaultdict(list))
    for problem in problems:
        if problem.where.sheet and problem.where.row:
            by_sheet[problem.where.sheet][problem.where.row].append(problem)
    filled: dict[str, tuple[Sequence, Mapping[str, Getter]]] = {
        schema.INVOICES.name: (result.invoices, INVOICE_CELLS),
        schema.CUSTOMERS.name: (result.customers, CUSTOMER_CELLS),
        schema.PAYMENTS.name: (result.payments, PAYMENT_CELLS),
        schema.PLANS.name: (result.plans, PLAN_CELLS),
    }
    out = []
    for spec in schema.DATA_SHEETS:
        layout = layouts.get(spec.name)
        if layout is None or spec.name not in filled:
            continue
        statuses, getters = filled[spec.name]
        placed = place_columns(spec, layout)
        names = tuple(name for name, _ in placed)
        out.append(OwnedColumns(
            spec.name, layout, names, tuple(col for _, col in placed),
            frozenset(n for n in names if n not in layout.columns),
            {s.row: s for s in statuses} if spec.name != schema.PLANS.name
            else {_row(s): s for s in statuses}, getters, by_sheet.get(layout.name, {})))
    return out
