"""The workbook contract (shared/spec/workbook.md) as data: sheets, headers, owned columns, settings.

Nothing else in arsheets spells a sheet or header name; the reader, writer, template builder and
the Excel button all look them up here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """What a column holds; decides how the reader parses it and how the writer formats it."""

    TEXT = "text"
    ID = "id"  # text that keeps leading zeros: "001" stays "001"
    DATE = "date"
    MONEY = "money"
    INT = "int"
    DAYS = "days"  # a count of days, one decimal place allowed (Avg Days Late)
    RATE = "rate"
    CHOICE = "choice"
    LIST = "list"  # a ';' separated list of ids


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: Kind = Kind.TEXT
    owned: bool = False  # True: arsheets writes it on every refresh
    required: bool = False
    choices: tuple[str, ...] = ()
    width: float = 14
    wrap: bool = False  # presentation: wrap text (multi-line cells such as Address)


@dataclass(frozen=True, slots=True)
class SheetSpec:
    name: str
    # The id column. A row counts when any input cell is filled; one with data but a blank key
    # is a problem, not skipped. Payments and Activity rows have no id.
    key: str | None
    columns: tuple[Column, ...]
    table: str  # the Excel table name the template gives it

    @property
    def inputs(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if not c.owned)

    @property
    def owned(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.owned)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


def normalize_header(text: str) -> str:
    """Headers match case- and space-insensitively: 'Invoice  date' == 'InvoiceDate'."""
    return re.sub(r"\s+", "", text).casefold()


HOLDS = ("Disputed", "On hold", "Written off", "Agency")
STATUSES = ("Paid", "Open", "Overdue", "In plan", "Disputed", "On hold", "Written off", "Agency",
            "Credit")
CHANNELS = ("Email", "Mail")
FEE_POLICIES = ("None", "Flat", "Percent Once", "Monthly Rate", "Annual Rate", "UK Statutory",
                "EU Statutory")
ACTIVITY_TYPES = ("Letter", "Email", "Call", "Note", "Promise", "Plan", "Agency", "Write-off")
FREQUENCIES = ("Monthly", "Every 2 weeks", "Weekly")
PLAN_STATUSES = ("Proposed", "Signed", "Active", "Completed", "Defaulted", "Cancelled")

T, ID, D, M, I, DAYS, R, C, L = (Kind.TEXT, Kind.ID, Kind.DATE, Kind.MONEY, Kind.INT, Kind.DAYS,
                                 Kind.RATE, Kind.CHOICE, Kind.LIST)


def _in(name, kind=T, required=False, choices=(), width=14, wrap=False):
    return Column(name, kind, False, required, choices, width, wrap)


def _out(name, kind=T, width=14):
    return Column(name, kind, True, False, (), width)


INVOICES = SheetSpec("Invoices", "Invoice", (
    _in("Invoice", ID, True, width=12),
    _in("Customer", ID, True, width=12),
    _in("Invoice Date", D, True, width=12),
    _in("Due Date", D, width=12),
    _in("Amount", M, True, width=13),
    _in("Description", width=28),
    _in("PO", width=10),
    _in("Notes", width=24),
    _in("Hold", C, choices=HOLDS, width=11),
    _in("Document", width=20),
    _out("Paid", M, 13),
    _out("Balance", M, 13),
    _out("Days Overdue", I, 9),
    _out("Aging", T, 9),
    _out("Late Fee", M, 11),
    _out("Discount", M, 11),
    _out("Amount Due", M, 13),
    _out("Status", T, 11),
    _out("Stage", T, 18),
    _out("Next Action", T, 30),
    _out("Next Action Date", D, 12),
    _out("Problems", T, 40),
), "InvoicesTable")

CUSTOMERS = SheetSpec("Customers", "Customer", (
    _in("Customer", ID, True, width=12),
    _in("Name", T, True, width=28),
    _in("Contact", width=20),
    _in("AP Contact", width=20),
    _in("Email", width=28),
    _in("Phone", width=16),
    _in("Address", width=30, wrap=True),
    _in("Terms", I, width=8),
    _in("Credit Limit", M, width=13),
    _in("Late Fee Policy", C, choices=FEE_POLICIES, width=15),
    _in("Channel", C, choices=CHANNELS, width=9),
    _in("Locale", width=9),
    _in("Notes", width=24),
    _out("Balance", M, 13),
    _out("Overdue", M, 13),
    _out("Oldest Days Overdue", I, 10),
    _out("Avg Days Late", DAYS, 10),
    _out("Credit Hold", T, 30),
    _out("Stage", T, 18),
    _out("Next Action", T, 30),
    _out("Next Action Date", D, 12),
    _out("Last Contact", D, 12),
    _out("Problems", T, 40),
), "CustomersTable")

PAYMENTS = SheetSpec("Payments", None, (
    _in("Date", D, True, width=12),
    _in("Customer", ID, True, width=12),
    _in("Invoice", ID, width=12),
    _in("Amount", M, True, width=13),
    _in("Method", width=12),
    _in("Reference", width=16),
    _out("Applied To", T, 32),
    _out("Unapplied", M, 13),
    _out("Problems", T, 40),
), "PaymentsTable")

ACTIVITY = SheetSpec("Activity", None, (
    _in("Date", D, True, width=12),
    _in("Customer", ID, True, width=12),
    _in("Invoice", L, width=16),
    _in("Type", C, True, choices=ACTIVITY_TYPES, width=10),
    _in("Stage", width=18),
    _in("Summary", width=40),
    _in("Promise Date", D, width=12),
    _in("Promise Amount", M, width=13),
    _in("Document", width=30),
), "ActivityTable")

PLANS = SheetSpec("Plans", "Plan", (
    _in("Plan", ID, True, width=10),
    _in("Customer", ID, True, width=12),
    _in("Invoices", L, True, width=20),
    _in("Start Date", D, True, width=12),
    _in("Down Payment", M, width=12),
    _in("Installments", I, True, width=8),
    _in("Frequency", C, choices=FREQUENCIES, width=13),
    _in("Annual Rate", R, width=9),
    _in("First Due", D, width=12),
    _in("Status", C, choices=PLAN_STATUSES, width=11),
    _out("Principal", M, 13),
    _out("Installment", M, 12),
    _out("Total Interest", M, 12),
    _out("Total Payable", M, 13),
    _out("Paid", M, 13),
    _out("Remaining", M, 13),
    _out("Next Due", D, 12),
    _out("Next Amount", M, 12),
    _out("Missed", I, 8),
    _out("Problems", T, 40),
), "PlansTable")

DATA_SHEETS: tuple[SheetSpec, ...] = (INVOICES, CUSTOMERS, PAYMENTS, ACTIVITY, PLANS)

# Sheets arsheets owns whole: rebuilt on every refresh.
SCHEDULE_SHEET = "Schedule"
SCHEDULE_HEADERS = ("Plan", "No", "Due Date", "Payment", "Interest", "Principal", "Balance", "Paid",
                    "Status")
SCHEDULE_TABLE = "ScheduleTable"
SCHEDULE_KINDS = (ID, I, D, M, M, M, M, M, T)  # presentation: one per SCHEDULE_HEADERS
AGING_SHEET = "Aging"

# --- the Settings sheet: three small tables, found by their header rows ---------------------------

SETTINGS_SHEET = "Settings"
SETTINGS_HEADERS = ("Key", "Value")
COLUMNS_HEADERS = ("Sheet", "Header in workbook", "Means")
LADDER_HEADERS = ("Days", "Stage", "Action", "Template")
REFERENCE_RATES_HEADERS = ("Rate From", "Reference Rate")  # optional dated history
LADDER_ACTIONS = ("Letter", "Call", "Email", "Agency")


@dataclass(frozen=True, slots=True)
class SettingKey:
    key: str
    default: str
    meaning: str
    choices: tuple[str, ...] = ()
    kind: Kind = Kind.TEXT  # how the template writes and formats the value (a rate as 1.50%, ...)


SETTINGS: tuple[SettingKey, ...] = (
    SettingKey("Company Name", "", "letterhead: your business name"),
    SettingKey("Company Address", "", "letterhead: your address (several lines in one cell)"),
    SettingKey("Company Phone", "", "letterhead: phone"),
    SettingKey("Company Email", "", "letterhead: e-mail, also the sender of e-mailed letters"),
    SettingKey("Signatory", "", "who signs letters"),
    SettingKey("Signatory Title", "", "the signatory's title"),
    SettingKey("Currency", "USD", "ISO 4217 code"),
    SettingKey("Locale", "en_US", "formatting of money, dates and amounts in words in letters"),
    SettingKey("Holiday Country", "US", "public holidays for business-day dates"),
    SettingKey("Holiday Region", "", "state or region for holidays (blank: national only)"),
    SettingKey("As Of Date", "", "the date every figure is computed for (blank: today)", kind=D),
    SettingKey("Aging Basis", "Due Date", "age by Due Date or Invoice Date",
               ("Due Date", "Invoice Date")),
    SettingKey("Aging Buckets", "30, 60, 90", "bucket edges in days"),
    SettingKey("Default Terms", "30", "days to pay when a customer has no Terms", kind=I),
    SettingKey("Late Fee Policy", "None", "how late fees accrue", FEE_POLICIES),
    SettingKey("Late Fee Rate", "", "the policy's rate, e.g. 5% or 1.5% (per month for Monthly Rate)",
               kind=R),
    SettingKey("Late Fee Amount", "", "the flat fee for the Flat policy", kind=M),
    SettingKey("Grace Days", "0", "days after the due date before any fee", kind=I),
    SettingKey("Late Fee Minimum", "", "smallest fee charged on an invoice (blank: none)", kind=M),
    SettingKey("Late Fee Maximum", "", "largest fee charged on an invoice (blank: none)", kind=M),
    SettingKey("Reference Rate", "", "central-bank rate for UK/EU Statutory interest", kind=R),
    SettingKey("Early Discount", "", "2/10 = 2% off if paid within 10 days of the invoice date"),
    SettingKey("Pay By Business Days", "10", "letters ask for payment this many business days out",
               kind=I),
    SettingKey("Credit Hold Days", "90", "an invoice this far overdue puts the customer on hold",
               kind=I),
    SettingKey("Chronic Late Days", "15", "Avg Days Late above this flags a chronic late payer",
               kind=I),
    SettingKey("Plan Grace Days", "10", "days an installment may be late before a plan is in "
               "default and its whole balance falls due", kind=I),
    SettingKey("Plan Rate", "8%", "annual interest offered on payment plans with interest and "
               "promissory notes (arsheets plan --compare shows it beside interest-free)", kind=R),
    SettingKey("Governing Law", "", "the law named in promissory notes, e.g. the State of "
               "Washington"),
    SettingKey("Letters Folder", "letters", "where letters are written, beside the workbook"),
    SettingKey("Templates Folder", "", "your own letter templates (blank: the bundled ones)"),
)
