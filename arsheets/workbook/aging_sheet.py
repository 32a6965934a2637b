"""The Aging sheet: the core's AgingReport laid out as a report a bookkeeper can print.

Customers are listed largest balance first, since that is the order collections work in, and the
stacked bar chart shows the largest few, so it stays readable with thousands of customers.
"""

from __future__ import annotations

from ..errors import column_letter
from ..model import AgingReport
from .ownedsheet import ChartSeries, OwnedSheet, StackedBarChart
from .schema import AGING_SHEET
from .styles import Role

HEADER_ROW = 5
CHART_CUSTOMERS = 20


def aging_sheet(report: AgingReport) -> OwnedSheet:
    labels = report.labels
    dso = report.dso
    rows: list[list[tuple[object, Role]]] = [
        [("Accounts receivable aging", Role.TITLE)],
        [("As of", Role.TEXT), (report.as_of, Role.DATE), ("Basis", Role.TEXT),
         (str(report.basis), Role.TEXT)],
        [("DSO (days)", Role.TEXT),
         (dso, Role.DAYS) if dso is not None else ("n/a: no credit sales", Role.NOTE)],
        [],
        [(h, Role.HEADER) for h in ("Customer", "Name", *labels, "Total", "% Overdue",
                                    "Credit Hold")],
    ]
    ordered = sorted(report.rows, key=lambda r: (-r.total, r.customer_id))
    for r in ordered:
        rows.append([(r.customer_id, Role.TEXT), (r.name, Role.TEXT),
                     *((amount, Role.MONEY) for amount in r.buckets), (r.total, Role.MONEY),
                     (r.pct_overdue, Role.PERCENT), (r.credit_hold or None, Role.TEXT)])
    rows.append([("Total", Role.TOTAL_TEXT), (None, Role.TOTAL_TEXT),
                 *((amount, Role.TOTAL_MONEY) for amount in report.totals),
                 (report.total, Role.TOTAL_MONEY),
                 (report.pct_overdue, Role.TOTAL_PERCENT)])
    rows.append([("% of total", Role.TOTAL_TEXT), (None, Role.TOTAL_TEXT),
                 *((share, Role.TOTAL_PERCENT) for share in report.percents)])
    if not ordered:
        rows.append([("No open balances as of this date.", Role.NOTE)])

    widths = (12, 30, *(13 for _ in labels), 14, 10, 36)
    return OwnedSheet(AGING_SHEET, rows, widths, freeze_rows=HEADER_ROW,
                      chart=_chart(labels, len(ordered)) if ordered else None)


def _chart(labels: tuple[str, ...], customers: int) -> StackedBarChart:
    first = HEADER_ROW + 1
    last = HEADER_ROW + min(customers, CHART_CUSTOMERS)
    series = []
    for k in range(len(labels)):
        col = column_letter(3 + k)
        series.append(ChartSeries(f"{col}{HEADER_ROW}", f"{col}{first}:{col}{last}"))
    title = ("Balances by age" if customers <= CHART_CUSTOMERS
             else f"The {CHART_CUSTOMERS} largest balances by age")
    anchor = f"{column_letter(3 + len(labels) + 4)}{HEADER_ROW}"
    return StackedBarChart(title, f"B{first}:B{last}", tuple(series), anchor=anchor,
                           width_cols=10, height_rows=max(16, min(customers, CHART_CUSTOMERS) + 6))
