"""Every field a letter template can use, documented in one place.

This structure is the contract between :mod:`arsheets.letters.context` (which builds exactly
these fields, no more and no fewer), :mod:`arsheets.letters.render` (whose validator reports any
name a template uses that is not here, before a letter is written) and the README
(:func:`fields_markdown`).

All money and dates are already formatted for the letter's locale (the customer's Locale, else the
Settings Locale), so a template prints them as they are: ``{{ totals.amount_due }}`` ->
``$1,234.50``.
Text fields are plain text; the renderer escapes them, so ``&`` or ``<`` in a customer's name prints
as written. A line break inside a text value (a multi-line address) becomes a line break in Word.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

# Kinds of value, for the documentation and the validator.
TEXT = "text"
MONEY = "money"  # formatted text: "$1,234.50"
DATE = "date"  # formatted text: "March 5, 2024" (or the locale's long form)
ISO = "iso date"  # "2024-03-05"
WORDS = "words"  # "one thousand two hundred thirty-four dollars and 50/100"
NUMBER = "number"  # an integer
FLAG = "yes/no"  # a boolean, for {% if %}
LINES = "list of text"
OBJECT = "group"
LIST = "list"  # list of groups, for {%tr for x in ... %}

SCALARS = frozenset({TEXT, MONEY, DATE, ISO, WORDS, NUMBER, FLAG})


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: str
    doc: str
    example: str = ""
    fields: tuple[Field, ...] = ()  # members of a group, or of each item of a list

    def child(self, name: str) -> Field | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None

    @property
    def is_scalar(self) -> bool:
        return self.kind in SCALARS


def _f(name: str, kind: str, doc: str, example: str = "", *fields: Field) -> Field:
    return Field(name, kind, doc, example, tuple(fields))


_ADDRESS = (
    _f("address", TEXT, "the address as typed, several lines", "12 High St\nSpringfield IL 62701"),
    _f("address_lines", LINES, "the address, one item per non-blank line", "['12 High St', ...]"),
    _f("address_oneline", TEXT, "the address on one line, lines joined by ', '",
       "12 High St, Springfield IL 62701"),
)

COMPANY = _f(
    "company", OBJECT, "your business, from Settings", "",
    _f("name", TEXT, "Company Name", "Bright Widgets LLC"),
    *_ADDRESS,
    _f("phone", TEXT, "Company Phone", "(555) 010-7788"),
    _f("email", TEXT, "Company Email", "accounts@brightwidgets.example"),
    _f("signatory", TEXT, "Signatory: who signs the letter", "Dana Reyes"),
    _f("signatory_title", TEXT, "Signatory Title", "Accounts Manager"),
)

CUSTOMER = _f(
    "customer", OBJECT, "the customer the letter is for, from the Customers sheet", "",
    _f("id", TEXT, "Customer id", "C-104"),
    _f("name", TEXT, "Name (the customer's business name)", "Acme & Sons"),
    _f("contact", TEXT, "Contact", "Jane Smith"),
    _f("ap_contact", TEXT, "AP Contact (accounts payable)", "Raj Patel"),
    _f("attention", TEXT, "the person to address: AP Contact, else Contact, else blank",
       "Raj Patel"),
    _f("email", TEXT, "Email", "ap@acme.example"),
    _f("phone", TEXT, "Phone", "(555) 010-1234"),
    *_ADDRESS,
)

INVOICE = _f(
    "invoices", LIST,
    "the customer's open invoices in this letter, oldest due first; each item has:", "",
    _f("number", TEXT, "Invoice number", "INV-1042"),
    _f("date", DATE, "Invoice Date (medium format)", "Feb 1, 2024"),
    _f("due_date", DATE, "Due Date (medium format)", "Mar 2, 2024"),
    _f("amount", MONEY, "Amount invoiced", "$1,200.00"),
    _f("paid", MONEY, "payments and credits applied", "$200.00"),
    _f("balance", MONEY, "Amount - Paid", "$1,000.00"),
    _f("fee", MONEY, "late fee accrued as of the letter date", "$15.00"),
    _f("amount_due", MONEY, "Balance + fee", "$1,015.00"),
    _f("days_overdue", NUMBER, "days past the due date (0 when not yet due)", "34"),
    _f("aging", TEXT, "aging bucket label", "31-60"),
    _f("status", TEXT, "Status", "Overdue"),
    _f("description", TEXT, "Description", "Website redesign, phase 1"),
    _f("po", TEXT, "PO number", "PO-7781"),
    _f("notes", TEXT, "Notes", ""),
    _f("is_credit", FLAG, "true for a credit note (negative amount)", "false"),
)

TOTALS = _f(
    "totals", OBJECT, "sums over the invoices listed", "",
    _f("count", NUMBER, "how many invoices are listed", "2"),
    _f("amount", MONEY, "sum of Amount", "$2,400.00"),
    _f("paid", MONEY, "sum of Paid", "$200.00"),
    _f("balance", MONEY, "sum of Balance", "$2,200.00"),
    _f("fee", MONEY, "sum of late fees", "$30.00"),
    _f("amount_due", MONEY, "sum of Amount Due: what the customer should pay", "$2,230.00"),
    _f("amount_due_words", WORDS, "amount_due in words, in the letter's language",
       "two thousand two hundred thirty dollars and 00/100"),
    _f("overdue", MONEY, "Amount Due of the invoices already past due", "$2,230.00"),
)

SPLIT = _f(
    "split", OBJECT, "the total due in two halves: half by the pay-by date, half a month later", "",
    _f("first_amount", MONEY, "the first half (takes the odd cent)", "$1,115.00"),
    _f("first_date", DATE, "the pay-by date", "March 19, 2024"),
    _f("second_amount", MONEY, "the rest", "$1,115.00"),
    _f("second_date", DATE, "one month after the pay-by date, on a business day",
       "April 19, 2024"),
)

AGING = _f(
    "aging", OBJECT, "aging summary of the customer's account (the Aging sheet's row when given)",
    "",
    _f("buckets", LIST, "one item per bucket, Current first; each has:", "",
       _f("label", TEXT, "bucket label", "1-30"),
       _f("amount", MONEY, "balance in the bucket", "$1,000.00")),
    _f("total", MONEY, "the account's total open balance", "$2,200.00"),
)

SCHEDULE_ROW = (
    _f("no", NUMBER, "installment number", "1"),
    _f("due_date", DATE, "due date (medium format)", "Apr 1, 2024"),
    _f("payment", MONEY, "amount to pay", "$350.00"),
    _f("interest", MONEY, "interest part", "$8.25"),
    _f("principal", MONEY, "principal part", "$341.75"),
    _f("balance", MONEY, "principal left after this payment", "$658.25"),
)

PLAN = _f(
    "plan", OBJECT,
    "the payment plan (payment plan agreements and promissory notes; blank in other letters)", "",
    _f("id", TEXT, "Plan id", "P-7"),
    _f("principal", MONEY, "the debt the plan covers", "$2,230.00"),
    _f("principal_words", WORDS, "principal in words", "two thousand two hundred thirty dollars "
       "and 00/100"),
    _f("down_payment", MONEY, "Down Payment, due on the start date", "$230.00"),
    _f("has_down_payment", FLAG, "true when there is a down payment", "true"),
    _f("financed", MONEY, "principal - down payment: what the installments repay", "$2,000.00"),
    _f("financed_words", WORDS, "financed in words", "two thousand dollars and 00/100"),
    _f("installments", NUMBER, "number of installments", "6"),
    _f("frequency", TEXT, "Frequency", "Monthly"),
    _f("annual_rate", TEXT, "Annual Rate as a percentage", "8.5%"),
    _f("interest_free", FLAG, "true when the annual rate is 0", "false"),
    _f("total_interest", MONEY, "interest over the whole plan", "$50.12"),
    _f("total_payable", MONEY, "down payment + all installments", "$2,280.12"),
    _f("total_payable_words", WORDS, "total payable in words", ""),
    _f("start_date", DATE, "Start Date (long format)", "March 5, 2024"),
    _f("first_due", DATE, "first installment's due date", "April 5, 2024"),
    _f("last_due", DATE, "last installment's due date", "September 5, 2024"),
    _f("grace_days", NUMBER, "days a payment may be late before the whole balance falls due",
       "10"),
    _f("late_charge", MONEY, "charge per late installment (blank: none)", ""),
    _f("invoice_numbers", TEXT, "the invoices the plan covers, comma-separated", "INV-1, INV-2"),
    _f("schedule", LIST, "the installment schedule; each row has:", "", *SCHEDULE_ROW),
    _f("schedule_totals", OBJECT, "sums of the schedule", "",
       _f("payment", MONEY, "sum of payments", "$2,050.12"),
       _f("interest", MONEY, "sum of interest", "$50.12"),
       _f("principal", MONEY, "sum of principal", "$2,000.00")),
)

CONTEXT: tuple[Field, ...] = (
    COMPANY,
    CUSTOMER,
    _f("letter_date", DATE, "the as-of date the letter is written for (long format)",
       "March 5, 2024"),
    _f("letter_date_iso", ISO, "the same, as YYYY-MM-DD", "2024-03-05"),
    _f("pay_by", DATE, "Pay By Business Days business days after the letter date",
       "March 19, 2024"),
    _f("pay_by_iso", ISO, "the same, as YYYY-MM-DD", "2024-03-19"),
    _f("earliest_due_date", DATE, "the earliest due date among the invoices listed",
       "March 2, 2024"),
    _f("oldest_days_overdue", NUMBER, "the most days any listed invoice is past due", "34"),
    _f("invoice_numbers", TEXT, "the listed invoice numbers, comma-separated", "INV-1, INV-2"),
    _f("has_fees", FLAG, "true when any listed invoice carries a late fee", "true"),
    _f("stage", TEXT, "the ladder stage this letter is for", "Second reminder"),
    _f("template", TEXT, "the template's name", "second_reminder"),
    _f("currency", TEXT, "ISO currency code", "USD"),
    _f("locale", TEXT, "the locale money and dates are formatted for", "en_US"),
    INVOICE,
    TOTALS,
    SPLIT,
    AGING,
    _f("has_plan", FLAG, "true in payment plan agreements and promissory notes", "false"),
    PLAN,
    _f("governing_law", TEXT, "the law a promissory note is governed by",
       "the State of Illinois"),
)

ROOT = Field("", OBJECT, "the letter context", "", CONTEXT)

# Jinja's own names a template may use besides the fields.
JINJA_GLOBALS = frozenset({"range", "dict", "lipsum", "cycler", "joiner", "namespace", "loop"})
LOOP_ATTRIBUTES = frozenset({
    "index", "index0", "revindex", "revindex0", "first", "last", "length", "cycle", "depth",
    "depth0", "previtem", "nextitem", "changed",
})


def lookup(path: str) -> Field | None:
    """The field at a dotted path (``customer.name``, ``invoices.number``), or None."""
    node: Field | None = ROOT
    for part in path.split("."):
        node = node.child(part) if node is not None else None
    return node


def walk(fields: tuple[Field, ...] = CONTEXT, prefix: str = "") -> Iterator[tuple[str, Field]]:
    """Every field with its dotted path, depth first, in documentation order."""
    for f in fields:
        path = f"{prefix}{f.name}"
        yield path, f
        if f.fields:
            yield from walk(f.fields, path + ("[]." if f.kind == LIST else "."))


_LOOP_VARS = {"invoices": "inv", "buckets": "b", "schedule": "row"}


def fields_markdown(heading_level: int = 3) -> str:
    """The field reference as Markdown for the README: one table per group."""
    h = "#" * heading_level
    out: list[str] = [
        f"{h} Fields available in letter templates",
        "",
        "Templates are ordinary Word files with docxtpl tags: `{{ customer.name }}` prints a "
        "field, `{%p if customer.attention %}` … `{%p endif %}` keeps a paragraph only when a "
        "field is set, and `{%tr for inv in invoices %}` … `{%tr endfor %}` repeats a table "
        "row. Money and dates "
        "arrive formatted for the letter's locale. A template that names a field not listed here "
        "(a typo such as `customer.nmae`) is reported before any letter is written.",
        "",
        "The e-mail subject of a letter is the template's own *Subject* document property "
        "(File > Info > Properties in Word), which may use the same fields.",
        "",
        "| field | kind | meaning | example |",
        "|---|---|---|---|",
    ]

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", "<br>")

    def rows(fields: tuple[Field, ...], prefix: str) -> None:
        for f in fields:
            path = prefix + f.name
            example = f"`{cell(f.example)}`" if f.example else ""
            out.append(f"| `{path}` | {f.kind} | {cell(f.doc)} | {example} |")
            if f.fields:
                if f.kind == LIST:  # items are shown under a loop variable: inv.number
                    rows(f.fields, _LOOP_VARS.get(f.name, "item") + ".")
                else:
                    rows(f.fields, path + ".")

    rows(CONTEXT, "")
    out += [
        "",
        "Inside `{%tr for inv in invoices %}` an invoice's fields are `inv.number`, `inv.balance`, "
        "…; likewise `b.label` in `aging.buckets` and `row.payment` in `plan.schedule` (any loop "
        "variable name works). Jinja filters such as `|upper` and loop helpers such as "
        "`loop.index` may be used too.",
        "",
    ]
    return "\n".join(out)
