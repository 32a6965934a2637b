"""Rendering real letters: every bundled template, opened and read back; hostile customer text;
unknown fields reported before anything is written; the fast path against plain docxtpl."""

from __future__ import annotations

import zipfile
from dataclasses import replace
from pathlib import Path

import docx
import pytest
from docxtpl import DocxTemplate
from lxml import etree

from arsheets.letters import BUNDLED_TEMPLATES, prepare_letter, write_letters
from arsheets.letters.context import build_context
from arsheets.letters.errors import LetterError, TemplateFieldError
from arsheets.letters.render import (
    bundled_templates_dir,
    check_template,
    compile_template,
    find_template,
    make_environment,
)

try:
    from test_letters_support import (
        AS_OF, CUSTOMER, SETTINGS, doc_text, invoice, items, plan_terms, table_rows,
    )
except ImportError:  # tests/ became a package
    from .test_letters_support import (
        AS_OF, CUSTOMER, SETTINGS, doc_text, invoice, items, plan_terms, table_rows,
    )

PLAN_TEMPLATES = {"payment_plan_agreement", "promissory_note"}


def letter(template: str, customer=CUSTOMER, its=None, settings=SETTINGS, **kw):
    if template in PLAN_TEMPLATES:
        kw.setdefault("plan", plan_terms())
        kw.setdefault("governing_law", "the State of Illinois")
    return prepare_letter(settings, customer, items() if its is None else its,
                          template=template, as_of=AS_OF, stage=template, **kw)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """Every bundled template rendered once, one process (the pool has its own test)."""
    folder = tmp_path_factory.mktemp("letters")
    out = write_letters([letter(t) for t in BUNDLED_TEMPLATES], SETTINGS, AS_OF, folder=folder,
                        workers=1)
    return {w.template: w for w in out}


def test_bundled_templates_exist_and_check_clean():
    folder = bundled_templates_dir()
    assert sorted(p.stem for p in folder.glob("*.docx")) == sorted(BUNDLED_TEMPLATES)
    for name in BUNDLED_TEMPLATES:
        assert check_template(folder / f"{name}.docx") == [], name


@pytest.mark.parametrize("template", sorted(set(BUNDLED_TEMPLATES) - PLAN_TEMPLATES))
def test_letters_carry_the_letterhead_address_invoices_and_signature(written, template):
    w = written[template]
    text = doc_text(w.path)
    for expected in ("Bright Widgets LLC", "400 Market Street, Suite 12, Springfield, IL 62701",
                     "(555) 010-7788", "accounts@brightwidgets.example", "March 18, 2024",
                     "Acme Supplies", "Attn: Raj Patel", "12 High St\nUnit 4\nPeoria, IL 61602",
                     "Dear Raj Patel,", "Dana Reyes", "Accounts Manager",
                     "Total amount due: $1,850.02"):
        assert expected in text, (template, expected)
    rows = table_rows(w.path)
    # a statement says where each item stands; the letters give the days overdue
    standing = (["Status", "33 days overdue", "16 days overdue"] if template == "statement"
                else ["Days overdue", "33", "16"])
    assert rows[0] == ["Invoice", "Date", "Due date", "Amount", "Paid", "Balance",
                       standing[0], "Late fee"]
    assert rows[1] == ["INV-1001", "Jan 15, 2024", "Feb 14, 2024", "$1,234.50", "$200.00",
                       "$1,034.50", standing[1], "$15.52"]
    assert rows[2] == ["INV-1017", "Feb 1, 2024", "Mar 2, 2024", "$800.00", "$0.00", "$800.00",
                       standing[2], "$0.00"]
    assert rows[3] == ["Total", "", "", "$2,034.50", "$200.00", "$1,834.50", "", "$15.52"]
    assert len(rows) == 4  # the {%tr %} rows are gone
    assert "{{" not in text and "{%" not in text
    assert w.subject and "{{" not in w.subject
    assert docx.Document(str(w.path)).core_properties.subject == w.subject


def test_stage_specific_wording(written):
    first = doc_text(written["first_reminder"].path)
    assert "we have enclosed a copy" in first and "confirm that you have received" in first
    assert "payment of $1,850.02 by April 1, 2024" in first
    assert "late fees of $15.52" in first

    second = doc_text(written["second_reminder"].path)
    assert "Perhaps this is simply an oversight" in second
    assert "half now and half next month" in second
    assert "$925.01 by April 1, 2024 and $925.01 by May 1, 2024" in second
    assert written["second_reminder"].subject == (
        "Second reminder: $1,850.02 overdue on account C-104")

    final = doc_text(written["final_notice"].path)
    assert "(one thousand eight hundred fifty dollars and 02/100) by April 1, 2024" in final
    assert "unable to accept new orders" in final
    assert "refer the account to a collection agency" in final

    courtesy = doc_text(written["courtesy_reminder"].path)
    assert "February 14, 2024" in courtesy and "collection" not in courtesy

    satisfaction = doc_text(written["satisfaction_check"].path)
    assert "everything is exactly as you ordered" in satisfaction

    agency = doc_text(written["agency_notice"].path)
    assert "referring the account to a collection agency" in agency
    assert "last opportunity" in agency and "April 1, 2024" in agency

    statement = doc_text(written["statement"].path)
    aging = table_rows(written["statement"].path, 1)
    assert aging == [["Days past due", "Balance"], ["Current", "$0.00"], ["1-30", "$800.00"],
                     ["31-60", "$1,034.50"], ["61-90", "$0.00"], ["91+", "$0.00"],
                     ["Total", "$1,834.50"]]
    assert "as of March 18, 2024" in statement


def test_letters_are_never_threatening(written):
    for name, w in written.items():
        text = doc_text(w.path).lower()
        for word in ("legal action", "court", "sue ", "lawsuit", "immediately or", "threat"):
            assert word not in text, (name, word)


def test_payment_plan_agreement(written):
    w = written["payment_plan_agreement"]
    text = doc_text(w.path)
    for expected in ("Payment Plan Agreement", "Agreement P-7", "(the \"Creditor\")",
                     "(the \"Debtor\")", "$2,230.00 (two thousand two hundred thirty dollars "
                     "and 00/100)", "down payment of $230.00 on March 18, 2024",
                     "remaining $2,000.00 in 2 installments (monthly)", "8.5% a year",
                     "total payable under this agreement is $2,244.21",
                     "within 10 days of its due date, the whole remaining balance",
                     "Signature:", "Date:"):
        assert expected in text, expected
    covered = table_rows(w.path, 0)
    assert covered[1][0] == "INV-1001" and covered[-1] == [
        "Total", "", "", "$1,834.50", "$1,850.02"]
    schedule = table_rows(w.path, 1)
    assert schedule[0] == ["No.", "Due date", "Payment", "Interest", "Principal", "Balance"]
    assert schedule[1] == ["1", "Apr 18, 2024", "$1,000.00", "$7.08", "$992.92", "$1,007.08"]
    assert schedule[2] == ["2", "May 18, 2024", "$1,014.21", "$7.13", "$1,007.08", "$0.00"]
    assert schedule[3] == ["Total", "", "$2,014.21", "$14.21", "$2,000.00", ""]


def test_promissory_note(written):
    text = doc_text(written["promissory_note"].path)
    for expected in ("Promissory Note", "FOR VALUE RECEIVED",
                     "two thousand dollars and 00/100 ($2,000.00)", "8.5% per year",
                     "first on April 18, 2024 and the last on May 18, 2024",
                     "Acceleration", "declare the entire unpaid principal balance",
                     "governed by the laws of the State of Illinois", "Maker: Acme Supplies",
                     "Holder: Bright Widgets LLC"):
        assert expected in text, expected


def test_interest_free_plan_says_so(tmp_path):
    lt = letter("promissory_note", plan=plan_terms(down="0.00", rate="0"))
    [w] = write_letters([lt], SETTINGS, AS_OF, folder=tmp_path, workers=1)
    text = doc_text(w.path)
    assert "without interest" in text and "per year" not in text
    assert "after a down payment" not in text


HOSTILE = replace(
    CUSTOMER,
    id="C-<9>",
    name='Tom & Jerry <b>Bold</b> "Quoted" \'single\' {{ company.name }} {% if 1 %}x{% endif %}',
    ap_contact="محمد الأحمد",
    contact="",
    address="北京市朝阳区 建国路 88号\n"
            "Ленинградский пр. 1 & <Suite>\n\x01\x0c]]>",
)


def test_hostile_customer_text_renders_as_literal_text(tmp_path):
    its = [invoice("INV-<1>&2", "10.00", AS_OF, AS_OF, description="<w:p>{{ x }}</w:p>")]
    [w] = write_letters([letter("first_reminder", HOSTILE, its)], SETTINGS, AS_OF,
                        folder=tmp_path, workers=1)
    text = doc_text(w.path)  # python-docx opened it: the package and its XML are valid
    assert HOSTILE.name in text
    assert "Attn: محمد الأحمد" in text and "Dear محمد الأحمد," in text
    assert "北京市朝阳区 建国路 88号\nЛенинградский пр. 1 & <Suite>\n]]>" in text  # noqa: E501
    assert "INV-<1>&2" in text and "Bright Widgets LLC {%" not in text
    assert "Account C-<9>" in text
    with zipfile.ZipFile(w.path) as zf:
        etree.fromstring(zf.read("word/document.xml"))  # strict parse
        assert b"<b>Bold" not in zf.read("word/document.xml")
    assert "&" in w.subject or "INV-<1>&2" in w.subject


def test_unknown_fields_are_reported_before_anything_is_written(tmp_path):
    own = tmp_path / "my templates"
    own.mkdir()
    doc = docx.Document(str(find_template("first_reminder")))
    doc.add_paragraph("Dear {{ customer.nmae }}, you owe {{ totals.amount_duee }}.")
    doc.add_paragraph("{{ unknown_thing }} {{ customer.name.upper() }} {{ loop_var }}")
    doc.add_paragraph("{% for inv in invoices %}{{ inv.numbr }} {{ inv.number }}{% endfor %}")
    doc.add_paragraph("{% for b in aging.buckets %}{{ b.label }}{{ loop.indx }}{% endfor %}")
    doc.add_paragraph("{{ invoices.number }}")
    doc.save(str(own / "first_reminder.docx"))
    settings = replace(SETTINGS, templates_folder="my templates",
                       letters_folder=str(tmp_path / "out"))

    with pytest.raises(TemplateFieldError) as err:
        write_letters([letter("second_reminder"), letter("first_reminder")], settings, AS_OF,
                      base_dir=tmp_path)
    message = str(err.value)
    assert "unknown field 'customer.nmae' (did you mean 'customer.name'?)" in message
    assert "in 'Dear {{ customer.nmae }}, you owe {{ totals.amount_duee }}.'" in message
    assert "unknown field 'totals.amount_duee' (did you mean 'totals.amount_due'?)" in message
    assert "unknown field 'unknown_thing'" in message
    assert "unknown field 'loop_var'" in message
    assert "unknown field 'inv.numbr' (did you mean 'inv.number'?)" in message
    assert "'loop' has no 'indx'" in message
    assert "'invoices' is a list" in message
    assert "name.upper'" not in message  # a string method is fine
    assert str(own / "first_reminder.docx") in message
    assert len(err.value.problems) == 7
    assert not (tmp_path / "out").exists()  # nothing written, not even the folder


def test_syntax_errors_are_reported_with_the_paragraph(tmp_path):
    doc = docx.Document(str(find_template("statement")))
    doc.add_paragraph("Total {{ totals.amount_due }")
    doc.save(str(tmp_path / "broken.docx"))
    problems = check_template(tmp_path / "broken.docx")
    assert len(problems) == 1 and "template syntax error" in str(problems[0])


def test_includes_and_broken_files_are_reported(tmp_path):
    doc = docx.Document(str(find_template("statement")))
    doc.add_paragraph("{% include 'other.xml' %}")
    doc.save(str(tmp_path / "include.docx"))
    [problem] = check_template(tmp_path / "include.docx")
    assert "{% include %} is not available" in str(problem)
    (tmp_path / "text.docx").write_text("not a Word file")
    [problem] = check_template(tmp_path / "text.docx")
    assert "is not a Word document that can be opened" in str(problem)


def test_templates_folder_first_then_bundled(tmp_path):
    own = tmp_path / "tpl"
    own.mkdir()
    doc = docx.Document(str(find_template("first_reminder")))
    doc.add_paragraph("Our own wording for {{ customer.name }}.")
    doc.save(str(own / "first_reminder.docx"))
    settings = replace(SETTINGS, templates_folder="tpl")
    assert find_template("first_reminder", settings, tmp_path) == own / "first_reminder.docx"
    assert find_template("statement", settings, tmp_path) == bundled_templates_dir() / (
        "statement.docx")
    [w] = write_letters([letter("first_reminder")], settings, AS_OF, base_dir=tmp_path,
                        folder=tmp_path / "out", workers=1)
    assert "Our own wording for Acme Supplies." in doc_text(w.path)


@pytest.mark.parametrize("name", ["../statement", "a/b", "..", "", "x\\y", "C:statement"])
def test_template_names_cannot_leave_the_folders(name):
    with pytest.raises(LetterError, match="not a plain template name"):
        find_template(name, SETTINGS)


def test_missing_template_and_folder_are_clear_errors(tmp_path):
    with pytest.raises(LetterError, match="no template 'thank_you'.*bundled templates: "):
        find_template("thank_you", SETTINGS)
    with pytest.raises(LetterError, match="Templates Folder .* does not exist"):
        find_template("statement", replace(SETTINGS, templates_folder="nope"), tmp_path)


@pytest.mark.parametrize("template", BUNDLED_TEMPLATES)
def test_fast_path_matches_plain_docxtpl(tmp_path, template):
    """Compiling once and copying unchanged members gives the document docxtpl itself makes."""
    kw = {"plan": plan_terms(), "governing_law": "Illinois"} if template in PLAN_TEMPLATES else {}
    context = build_context(SETTINGS, HOSTILE, items(), template=template, as_of=AS_OF, **kw)
    path = find_template(template)
    fast, subject = compile_template(path).render(context)
    (tmp_path / "fast.docx").write_bytes(fast)
    plain = DocxTemplate(str(path))
    plain.render(context, make_environment())
    plain.save(str(tmp_path / "plain.docx"))
    assert doc_text(tmp_path / "fast.docx") == doc_text(tmp_path / "plain.docx")
    with (zipfile.ZipFile(tmp_path / "fast.docx") as a,
          zipfile.ZipFile(tmp_path / "plain.docx") as b):
        assert sorted(a.namelist()) == sorted(b.namelist())
        canon = lambda z: etree.tostring(etree.fromstring(z.read("word/document.xml")),  # noqa
                                         method="c14n")
        assert canon(a) == canon(b)
        assert a.read("word/styles.xml") == b.read("word/styles.xml")


def test_a_failing_letter_writes_nothing_and_names_the_letter(tmp_path):
    good = letter("statement")
    broken = replace(letter("statement", replace(CUSTOMER, id="C-9", name="Broken")),
                     context={k: v for k, v in good.context.items() if k != "aging"})
    with pytest.raises(LetterError, match=r"template could not be rendered.*"
                       r"\(writing C-9 Broken - statement.docx\)"):
        write_letters([good, broken], SETTINGS, AS_OF, folder=tmp_path, workers=1)
    assert list(tmp_path.iterdir()) == []


def test_process_pool_writes_every_letter(tmp_path):
    customers = [replace(CUSTOMER, id=f"C-{i:03}", name=f"Customer {i}") for i in range(40)]
    letters = [letter("second_reminder", c) for c in customers]
    seen = []
    out = write_letters(letters, SETTINGS, AS_OF, folder=tmp_path, workers=2,
                        progress=lambda done, total: seen.append((done, total)))
    assert len(out) == 40 and seen[-1] == (40, 40)
    for c, w in zip(customers, out, strict=True):
        assert w.customer is c and w.path.name.startswith(c.id)
        assert f"{c.name}\nAttn: Raj Patel" in doc_text(w.path)
    assert not [p for p in Path(tmp_path).iterdir() if p.name.startswith(".~")]
