"""``arsheets letters`` and ``arsheets statements`` against real workbooks, end to end.

The workbook is built in code, the commands run through click's CliRunner, and the tests open what
was produced: the .docx letters (their text and invoice rows), the .eml drafts, the mail a local
SMTP server received, and the Activity rows read back from the workbook.
"""

from __future__ import annotations

import os
import shutil
from datetime import date
from decimal import Decimal as D
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from arsheets import cli, pipeline
from arsheets.errors import ArsheetsError, Problem, Where
from arsheets.letters import fields_markdown, find_template
from arsheets.model import (Activity, ActivityType, Book, Channel, Customer, Hold, Invoice,
                            LadderStep, Plan, PlanStatus, Settings)
from arsheets.workbook.read import read_workbook
from arsheets.workbook.template import build_workbook

try:
    from test_letters_support import SmtpSink, doc_text, table_rows
except ImportError:  # tests/ became a package
    from .test_letters_support import SmtpSink, doc_text, table_rows

AS_OF = date(2024, 3, 18)  # a Monday
DOCS = Path(__file__).resolve().parents[1] / "docs" / "letters.md"

SETTINGS = {
    "Company Name": "Bright Widgets LLC", "Company Address": "400 Market Street\nSpringfield",
    "Company Phone": "(555) 010-7788", "Company Email": "accounts@brightwidgets.example",
    "Signatory": "Dana Reyes", "Signatory Title": "Accounts Manager", "Holiday Country": "US",
}

CUSTOMERS = (
    Customer("C-1", "Acme Supplies", contact="Jane Smith", ap_contact="Dana Ruiz",
             email="ap@acme.example", phone="555-0142", address="12 High St\nPeoria, IL"),
    Customer("C-2", "Bolt & Nut", contact="Sam Lee", phone="555-0199", channel=Channel.MAIL,
             address="1 Mill Road\nAurora"),
    Customer("C-3", "Disputing Co", email="ap@disputing.example"),
    Customer("C-4", "Plan Co", email="ap@plan.example"),
    Customer("C-5", "Promising Co", email="ap@promising.example"),
    Customer("../../evil", "x/../../y", channel=Channel.MAIL),
    Customer("C-7", "Broken Promise Co", ap_contact="Kim Ode", phone="555-0177",
             email="ap@broken.example"),
)


def invoice(id, customer, amount, due, invoice_date=date(2024, 1, 15), **kw):
    return Invoice(id, customer, invoice_date, D(amount), due_date=due, **kw)


INVOICES = (
    invoice("INV-1001", "C-1", "1234.50", date(2024, 2, 14), description="Widgets",
            document="invoices/INV-1001.pdf"),  # day 33: Second reminder
    invoice("INV-1017", "C-1", "800.00", date(2024, 3, 16), date(2024, 2, 15)),  # day 2
    invoice("INV-1020", "C-1", "500.00", date(2024, 4, 10), date(2024, 3, 11)),  # not due
    invoice("INV-2001", "C-2", "300.00", date(2024, 3, 13)),  # day 5: First reminder + call
    invoice("INV-3001", "C-3", "900.00", date(2024, 2, 7), hold=Hold.DISPUTED),
    invoice("INV-4001", "C-4", "600.00", date(2024, 2, 2)),
    invoice("INV-5001", "C-5", "450.00", date(2024, 3, 8)),  # day 10, promise open
    invoice("INV-6001", "../../evil", "75.00", date(2024, 3, 17)),  # day 1
    invoice("INV-7001", "C-7", "220.00", date(2024, 2, 27)),  # day 20, promise broken
)

ACTIVITIES = (
    Activity(date(2024, 3, 12), "C-5", ActivityType.PROMISE, promise_date=date(2024, 3, 25),
             promise_amount=D("450.00"), summary="Will pay by the 25th"),
    Activity(date(2024, 2, 28), "C-7", ActivityType.LETTER, invoice_ids=("INV-7001",),
             stage="First reminder"),
    Activity(date(2024, 3, 1), "C-7", ActivityType.CALL, invoice_ids=("INV-7001",),
             stage="Confirm receipt"),
    Activity(date(2024, 3, 4), "C-7", ActivityType.PROMISE, promise_date=date(2024, 3, 11),
             promise_amount=D("220.00")),
)

PLANS = (Plan("P-1", "C-4", ("INV-4001",), date(2024, 3, 1), 3, status=PlanStatus.SIGNED),)


def make_workbook(folder: Path, *, settings: dict | None = None, ladder=None,
                  customers=CUSTOMERS, invoices=INVOICES, activities=ACTIVITIES,
                  payments=()) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "invoices").mkdir(exist_ok=True)
    (folder / "invoices" / "INV-1001.pdf").write_bytes(b"%PDF-1.4 the original invoice")
    book = Book(Settings(**({"ladder": ladder} if ladder else {})), tuple(customers),
                tuple(invoices), tuple(payments), tuple(activities), PLANS)
    path = folder / "book.xlsx"
    build_workbook(path, book, {**SETTINGS, **(settings or {})})
    return path


@pytest.fixture
def workbook(tmp_path) -> Path:
    return make_workbook(tmp_path / "books")


def letters(*args, input=None, env=None):
    result = CliRunner().invoke(cli.main, [str(a) for a in args], input=input, env=env,
                                catch_exceptions=False)
    return result


def activities(path: Path) -> list[Activity]:
    return list(read_workbook(path).book.activities)


def customer_status(path: Path, cid: str):
    analysis = pipeline.analyse(path, AS_OF)
    (found,) = [c for c in analysis.result.customers if c.customer_id == cid]
    return found


def folder_of(path: Path) -> Path:
    return path.parent / "letters" / AS_OF.isoformat()


# --- the ladder's letters -----------------------------------------------------------------------


def test_letters_writes_one_letter_per_customer_due_and_logs_it(workbook):
    result = letters("letters", workbook, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    folder = folder_of(workbook)
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["C-1 Acme Supplies - second_reminder.docx",
                     "C-2 Bolt & Nut - first_reminder.docx",
                     "_._evil x_._._y - first_reminder.docx"]  # never outside the folder
    assert all(p.resolve().parent == folder.resolve() for p in folder.iterdir())

    text = doc_text(folder / "C-1 Acme Supplies - second_reminder.docx")
    for expected in ("Bright Widgets LLC", "Acme Supplies", "Dana Ruiz", "INV-1001", "INV-1017",
                     "INV-1020", "$1,234.50", "$2,534.50", "March 18, 2024", "Dana Reyes"):
        assert expected in text, expected
    rows = table_rows(folder / "C-1 Acme Supplies - second_reminder.docx")
    listed = [r for r in rows if r and r[0].startswith("INV-")]
    assert [r[0] for r in listed] == ["INV-1001", "INV-1017", "INV-1020"]  # oldest due first
    assert any("$1,234.50" in cell for cell in listed[0])
    assert "Bolt & Nut" in doc_text(folder / "C-2 Bolt & Nut - first_reminder.docx")

    logged = activities(workbook)[len(ACTIVITIES):]
    assert [(a.date, a.customer_id, a.type, a.stage) for a in logged] == [
        (AS_OF, "C-1", ActivityType.LETTER, "Second reminder"),
        (AS_OF, "C-2", ActivityType.LETTER, "First reminder"),
        (AS_OF, "../../evil", ActivityType.LETTER, "First reminder"),
    ]
    assert logged[0].invoice_ids == ("INV-1001", "INV-1017", "INV-1020")
    assert logged[0].summary == "Second reminder: 3 invoices, 2,534.50 due"
    assert logged[0].document == "letters/2024-03-18/C-1 Acme Supplies - second_reminder.docx"
    assert logged[2].summary == "First reminder: 1 invoice, 75.00 due"
    for a in logged:
        assert (workbook.parent / a.document).is_file()

    # the workbook was refreshed with the letters counted
    acme = customer_status(workbook, "C-1")
    assert acme.last_contact == AS_OF
    assert acme.stage == "Second reminder"
    # the second reminder listed INV-1017 too, so its first reminder and call are superseded
    assert acme.next_action == ("Call Dana Ruiz (AP) at 555-0142: ask when INV-1001 will be paid "
                                "(1,234.50 due)")
    assert acme.next_action_date == date(2024, 4, 15)  # due + 60 is a Sunday
    assert customer_status(workbook, "C-5").next_action.startswith("Paused: promise to pay "
                                                                   "450.00 by 2024-03-25")
    assert customer_status(workbook, "C-7").next_action.startswith(
        "Call: promise broken — 220.00 promised by 2024-03-11 not received; call Kim Ode (AP) "
        "at 555-0177")
    assert "Written 3" not in result.output and "Wrote 3 letters" in result.output


def test_running_letters_twice_the_same_day_produces_nothing_the_second_time(workbook):
    assert letters("letters", workbook, "--as-of", AS_OF).exit_code == 0
    before = workbook.read_bytes()
    files = sorted(folder_of(workbook).iterdir())
    result = letters("letters", workbook, "--as-of", AS_OF)
    assert result.exit_code == 0
    assert "No letters are due as of 2024-03-18; nothing was written." in result.output
    assert sorted(folder_of(workbook).iterdir()) == files
    assert workbook.read_bytes() == before


def test_dry_run_lists_and_writes_nothing(workbook):
    before = workbook.read_bytes()
    result = letters("letters", workbook, "--as-of", AS_OF, "--dry-run", "--email")
    assert result.exit_code == 0, result.output
    assert "Dry run: 3 letters would be written; nothing was written." in result.output
    for text in ("C-1", "Second reminder", "second_reminder", "2,534.50", "e-mail", "C-2"):
        assert text in result.output
    assert workbook.read_bytes() == before
    assert not (workbook.parent / "letters").exists()


def test_customer_filter_and_unknown_customers(workbook):
    result = letters("letters", workbook, "--as-of", AS_OF, "--customer", "C-2", "C-3")
    assert result.exit_code == 0, result.output
    assert [p.name for p in folder_of(workbook).iterdir()] == [
        "C-2 Bolt & Nut - first_reminder.docx"]  # C-3's only invoice is disputed
    result = letters("letters", workbook, "--as-of", AS_OF, "--customer", "C-1,NOPE")
    assert result.exit_code == 2
    assert "no customer 'NOPE'" in result.output
    assert len(list(folder_of(workbook).iterdir())) == 1


def test_forced_template(workbook):
    result = letters("letters", workbook, "--as-of", AS_OF, "--template", "satisfaction_check",
                     "--customer", "C-1", "--customer", "C-3")
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in folder_of(workbook).iterdir())
    assert names == ["C-1 Acme Supplies - satisfaction_check.docx",
                     "C-3 Disputing Co - satisfaction_check.docx"]
    logged = activities(workbook)[len(ACTIVITIES):]
    # C-1 was due its second reminder, which this letter replaced; C-3 was due nothing
    assert [(a.customer_id, a.stage) for a in logged] == [("C-1", "Second reminder"),
                                                         ("C-3", "Satisfaction check")]
    result = letters("letters", workbook, "--as-of", AS_OF, "--template",
                     "payment_plan_agreement", "--customer", "C-1")
    assert result.exit_code == 2 and "arsheets plan" in result.output


def test_a_template_problem_stops_before_anything_is_written(workbook):
    own = workbook.parent / "mine"
    own.mkdir()
    doc = docx.Document(str(find_template("first_reminder")))
    doc.add_paragraph("Dear {{ customer.nmae }}")
    doc.save(str(own / "first_reminder.docx"))
    path = make_workbook(workbook.parent, settings={"Templates Folder": "mine"})
    before = path.read_bytes()
    result = letters("letters", path, "--as-of", AS_OF)
    assert result.exit_code == 2
    assert "unknown field 'customer.nmae'" in result.output
    assert path.read_bytes() == before
    assert not (path.parent / "letters").exists()


def test_a_failed_workbook_write_removes_the_letters(workbook, monkeypatch):
    def refuse(*args, **kwargs):
        raise ArsheetsError(Problem(Where(), "book.xlsx: the disk is full"))

    monkeypatch.setattr(pipeline, "write_workbook", refuse)
    before = workbook.read_bytes()
    result = letters("letters", workbook, "--as-of", AS_OF, "--email", "--merge")
    assert result.exit_code == 2
    assert "the disk is full" in result.output
    assert list(folder_of(workbook).iterdir()) == []
    assert workbook.read_bytes() == before


def test_a_custom_ladder_from_the_settings_sheet(tmp_path):
    ladder = (LadderStep(-3, "Heads up", "Letter", "courtesy_reminder"),
              LadderStep(4, "Nudge", "Email", "first_reminder"))
    path = make_workbook(tmp_path, ladder=ladder, activities=())
    result = letters("letters", path, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    logged = activities(path)
    assert {(a.customer_id, a.stage) for a in logged} == {
        ("C-1", "Nudge"), ("C-2", "Nudge"), ("C-5", "Nudge"), ("C-7", "Nudge"),
        ("../../evil", "Heads up")}


# --- statements -------------------------------------------------------------------------------


def test_statements_go_to_every_open_balance_and_leave_the_ladder_alone(workbook):
    result = letters("statements", workbook, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in folder_of(workbook).iterdir())
    assert len(names) == 7 and all(n.endswith(" - statement.docx") for n in names)
    text = doc_text(folder_of(workbook) / "C-3 Disputing Co - statement.docx")
    assert "INV-3001" in text and "$900.00" in text  # a statement shows held invoices too
    assert "| Disputed |" in text and "days overdue" not in text  # ... as what they are
    text = doc_text(folder_of(workbook) / "C-1 Acme Supplies - statement.docx")
    assert all(s in text for s in ("33 days overdue", "2 days overdue", "Not yet due")), text
    logged = activities(workbook)[len(ACTIVITIES):]
    assert {a.stage for a in logged} == {"Statement"}
    assert {a.type for a in logged} == {ActivityType.LETTER}
    # the ladder's letters are still due
    result = letters("letters", workbook, "--as-of", AS_OF, "--dry-run")
    assert "Dry run: 3 letters would be written" in result.output
    # only those given
    result = letters("statements", workbook, "--as-of", "2024-03-19", "--customer", "C-2")
    assert result.exit_code == 0
    assert [p.name for p in (workbook.parent / "letters" / "2024-03-19").iterdir()] == [
        "C-2 Bolt & Nut - statement.docx"]


# --- output options ---------------------------------------------------------------------------


def test_out_folder_and_merge(workbook, tmp_path):
    out = tmp_path / "print run"
    result = letters("letters", workbook, "--as-of", AS_OF, "--out", out, "--merge")
    assert result.exit_code == 0, result.output
    folder = out / AS_OF.isoformat()
    merged = folder / "All letters 2024-03-18.docx"
    assert merged.is_file()
    text = doc_text(merged)
    assert "Acme Supplies" in text and "Bolt & Nut" in text
    assert not (workbook.parent / "letters").exists()
    logged = activities(workbook)[len(ACTIVITIES):]
    assert logged[0].document == os.path.relpath(
        folder / "C-1 Acme Supplies - second_reminder.docx", workbook.parent).replace(os.sep, "/")


def test_email_drafts_for_email_customers(workbook):
    result = letters("letters", workbook, "--as-of", AS_OF, "--email")
    assert result.exit_code == 0, result.output
    folder = folder_of(workbook)
    emls = sorted(p.name for p in folder.glob("*.eml"))
    assert emls == ["C-1 Acme Supplies - second_reminder.eml"]  # C-2 and C-6 go by post
    msg = message_from_bytes((folder / emls[0]).read_bytes(), policy=default_policy)
    assert msg["To"] == "Dana Ruiz <ap@acme.example>"
    assert msg["From"] == "Bright Widgets LLC <accounts@brightwidgets.example>"
    assert msg["X-Unsent"] == "1"
    assert sorted(a.get_filename() for a in msg.iter_attachments()) == [
        "C-1 Acme Supplies - second_reminder.docx", "INV-1001.pdf"]
    logged = {a.customer_id: a.type for a in activities(workbook)[len(ACTIVITIES):]}
    assert logged == {"C-1": ActivityType.EMAIL, "C-2": ActivityType.LETTER,
                      "../../evil": ActivityType.LETTER}


def smtp_env(port: int) -> dict[str, str]:
    return {"ARSHEETS_SMTP_HOST": "127.0.0.1", "ARSHEETS_SMTP_PORT": str(port),
            "ARSHEETS_SMTP_SECURITY": "none", "ARSHEETS_SMTP_USER": "", "ARSHEETS_SMTP_FROM": "",
            "ARSHEETS_SMTP_PASSWORD": ""}


def test_send_over_smtp_after_confirmation(workbook):
    with SmtpSink() as sink:
        declined = letters("letters", workbook, "--as-of", AS_OF, "--send", input="n\n",
                           env=smtp_env(sink.port))
        assert declined.exit_code == 2
        assert "About to send 1 e-mail through 127.0.0.1" in declined.output
        assert "Nothing was sent or written." in declined.output
        assert not (workbook.parent / "letters").exists() and sink.messages == []
        result = letters("letters", workbook, "--as-of", AS_OF, "--send", input="y\n",
                         env=smtp_env(sink.port))
    assert result.exit_code == 0, result.output
    assert "Sent 1 of 1 e-mails." in result.output
    (received,) = sink.messages
    assert received.rcpt_to == ["ap@acme.example"]
    msg = message_from_bytes(received.data, policy=default_policy)
    assert msg["To"] == "Dana Ruiz <ap@acme.example>" and "X-Unsent" not in msg
    assert sorted(a.get_filename() for a in msg.iter_attachments()) == [
        "C-1 Acme Supplies - second_reminder.docx", "INV-1001.pdf"]
    logged = activities(workbook)[len(ACTIVITIES):]
    assert [(a.customer_id, a.type) for a in logged][0] == ("C-1", ActivityType.EMAIL)


def test_a_refused_email_is_logged_as_a_note_so_the_stage_stays_due(workbook):
    with SmtpSink(reject=("ap@acme.example",)) as sink:
        result = letters("letters", workbook, "--as-of", AS_OF, "--send", "--yes",
                         env=smtp_env(sink.port))
    assert result.exit_code == 1, result.output
    assert "NOT sent to C-1" in result.output
    logged = activities(workbook)[len(ACTIVITIES):]
    acme = [a for a in logged if a.customer_id == "C-1"]
    assert [a.type for a in acme] == [ActivityType.NOTE]
    assert acme[0].summary.startswith("E-mail not sent (refused: ap@acme.example (550")
    assert customer_status(workbook, "C-1").next_action.startswith(
        "Send the Second reminder letter by e-mail")
    # the next run tries again
    result = letters("letters", workbook, "--as-of", AS_OF, "--dry-run", "--customer", "C-1")
    assert "Dry run: 1 letter would be written" in result.output


def test_send_needs_the_smtp_settings(workbook):
    result = letters("letters", workbook, "--as-of", AS_OF, "--send", "--yes",
                     env={"ARSHEETS_SMTP_HOST": ""})
    assert result.exit_code == 2
    assert "ARSHEETS_SMTP_HOST: is not set" in result.output
    assert not (workbook.parent / "letters").exists()


def _need_libreoffice() -> None:
    if shutil.which("soffice") is None and shutil.which("libreoffice") is None:
        if os.environ.get("ARSHEETS_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("ARSHEETS_REQUIRE_LIBREOFFICE=1 but LibreOffice is not installed")
        pytest.skip("LibreOffice is not installed")


def test_pdf(workbook):
    _need_libreoffice()
    result = letters("letters", workbook, "--as-of", AS_OF, "--pdf", "--customer", "C-1", "C-2")
    assert result.exit_code == 0, result.output
    folder = folder_of(workbook)
    pdfs = sorted(p.name for p in folder.glob("*.pdf"))
    assert pdfs == ["C-1 Acme Supplies - second_reminder.pdf",
                    "C-2 Bolt & Nut - first_reminder.pdf"]
    assert all((folder / p).read_bytes().startswith(b"%PDF") for p in pdfs)
    logged = activities(workbook)[len(ACTIVITIES):]
    assert [a.document for a in logged] == [f"letters/2024-03-18/{p}" for p in pdfs]


def test_pdf_without_libreoffice_is_a_clear_error(workbook, monkeypatch):
    monkeypatch.setenv("PATH", "")
    monkeypatch.delenv("ARSHEETS_SOFFICE", raising=False)
    monkeypatch.setattr("arsheets.letters.output._SOFFICE_PLACES", ())
    result = letters("letters", workbook, "--as-of", AS_OF, "--pdf")
    assert result.exit_code == 2
    assert "LibreOffice is not installed" in result.output
    assert not (workbook.parent / "letters").exists()


def test_no_activity_sheet_is_created_and_then_used(tmp_path):
    from xlsx_fixtures import contract_book

    path = contract_book(tmp_path / "plain.xlsx", customers=[
        {"Customer": "C-01", "Name": "Acme Ltd", "Email": "ap@acme.test", "AP Contact": "Dana"}],
        invoices=[{"Invoice": "INV-1", "Customer": "C-01", "Invoice Date": date(2024, 1, 1),
                   "Due Date": date(2024, 3, 10), "Amount": 100}])
    result = letters("letters", path, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "had no Activity sheet, so arsheets added one" in result.output
    (logged,) = activities(path)
    assert (logged.customer_id, logged.type, logged.stage) == ("C-01", ActivityType.LETTER,
                                                               "First reminder")
    again = letters("letters", path, "--as-of", AS_OF)
    assert "No letters are due" in again.output
    later = letters("letters", path, "--as-of", "2024-04-09")  # day 30: the second reminder
    assert later.exit_code == 0, later.output
    assert [a.stage for a in activities(path)] == ["First reminder", "Second reminder"]


# --- the field reference ------------------------------------------------------------------------


def test_the_fields_document_is_up_to_date():
    text = DOCS.read_text(encoding="utf-8")
    assert fields_markdown(heading_level=2) in text, (
        "docs/letters.md is out of date: replace its field reference with "
        "arsheets.letters.fields_markdown(heading_level=2)")
    for needed in ("Templates Folder", "Word", "check_template", "arsheets letters"):
        assert needed in text
