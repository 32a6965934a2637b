#!/usr/bin/env python
"""Build the bundled letter templates (``letter_templates/*.docx``) with python-docx.

The templates are ordinary Word documents with docxtpl tags, committed to the repository so a
bookkeeper can copy one into their Templates Folder and edit it in Word. This script is how they are
(re)built; run it after changing the wording or the layout:

    python scripts/build_letter_templates.py            # writes letter_templates/
    python scripts/build_letter_templates.py OUTDIR     # elsewhere

Every field used here is documented in ``arsheets/letters/fields.py``; the tests render each
template and check them against that documentation.

Text in the content definitions below may use ``**bold**``; docxtpl tags pass through unchanged.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt, RGBColor

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "letter_templates"

FONT = "Arial"
ACCENT = RGBColor(0x1F, 0x38, 0x64)
GREY = RGBColor(0x59, 0x59, 0x59)
HEADER_FILL = "DCE3EE"
RULE = "8EA0BD"
CONTENT_WIDTH = 6.7  # inches: US Letter 8.5 less two 0.9 in margins

# "on (555) 010-7788 or at accounts@..." — how to reach us, whichever is filled in.
CONTACT = (
    "{% if company.phone %} on {{ company.phone }}{% endif %}"
    "{% if company.email %}{% if company.phone %} or{% endif %} at {{ company.email }}{% endif %}"
)
FEES_NOTE = ("The amount due includes late fees of {{ totals.fee }}, charged under our payment "
             "terms.")


# --- document scaffolding ---------------------------------------------------------------------


def _set_cell_shading(cell, fill: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tc_pr.append(shd)


def _border(parent, edge: str, size: int = 6, color: str = RULE, val: str = "single") -> None:
    el = OxmlElement(f"w:{edge}")
    el.set(qn("w:val"), val)
    el.set(qn("w:sz"), str(size))
    el.set(qn("w:space"), "0")
    el.set(qn("w:color"), color)
    parent.append(el)


def _paragraph_rule(paragraph, edge: str = "bottom", size: int = 12, color: str = "1F3864") -> None:
    p_pr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    _border(borders, edge, size, color)
    p_pr.append(borders)


def _table_borders(table, inside: bool = True) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    _border(borders, "top", 8, "1F3864")
    _border(borders, "left", 0, "auto", "nil")
    _border(borders, "bottom", 8, "1F3864")
    _border(borders, "right", 0, "auto", "nil")
    if inside:
        _border(borders, "insideH", 4, "C9D1DE")
    else:
        _border(borders, "insideH", 0, "auto", "nil")
    _border(borders, "insideV", 0, "auto", "nil")
    tbl_pr.append(borders)


def _cell_margins(table, twips: int) -> None:
    """Narrow left/right cell padding, so amounts fit their columns."""
    mar = OxmlElement("w:tblCellMar")
    for edge in ("left", "right"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:w"), str(twips))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    table._tbl.tblPr.append(mar)


def _no_borders(table) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        _border(borders, edge, 0, "auto", "nil")
    tbl_pr.append(borders)


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    tr_pr.append(el)


def _keep_row_together(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))


def _styles(doc) -> None:
    styles = doc.styles
    normal = styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(10)
    rpr = normal.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    pf = normal.paragraph_format
    pf.space_before = Pt(0)
    pf.space_after = Pt(8)
    pf.line_spacing = 1.1

    def para_style(name, size=None, bold=False, color=None, after=None, before=None,
                   align=None, keep_next=False, italic=False):
        st = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        st.base_style = normal
        st.quick_style = True
        if size:
            st.font.size = Pt(size)
        st.font.bold = bold
        st.font.italic = italic
        if color is not None:
            st.font.color.rgb = color
        if after is not None:
            st.paragraph_format.space_after = Pt(after)
        if before is not None:
            st.paragraph_format.space_before = Pt(before)
        if align is not None:
            st.paragraph_format.alignment = align
        st.paragraph_format.keep_with_next = keep_next
        return st

    para_style("Letterhead Name", 18, bold=True, color=ACCENT, after=2)
    para_style("Letterhead Details", 8.5, color=GREY, after=0)
    para_style("Letter Date", before=18, after=14)
    para_style("Address", after=0)
    para_style("Reference", 8.5, color=GREY, before=10, after=10)
    para_style("Subject", 10.5, bold=True, color=ACCENT, after=10, keep_next=True)
    para_style("Document Title", 16, bold=True, color=ACCENT, before=14, after=4,
               align=WD_ALIGN_PARAGRAPH.CENTER)
    para_style("Document Subtitle", 9.5, color=GREY, after=14, align=WD_ALIGN_PARAGRAPH.CENTER)
    para_style("Clause Heading", 10, bold=True, color=ACCENT, before=8, after=4, keep_next=True)
    para_style("Table Text", 8, after=0)
    para_style("Table Amount", 8, after=0, align=WD_ALIGN_PARAGRAPH.RIGHT)
    para_style("Table Heading", 8, bold=True, color=ACCENT, after=0)
    para_style("Table Heading Amount", 8, bold=True, color=ACCENT, after=0,
               align=WD_ALIGN_PARAGRAPH.RIGHT)
    para_style("Total Due", 10.5, bold=True, before=6, after=12, align=WD_ALIGN_PARAGRAPH.RIGHT)
    para_style("Closing", before=6, after=36, keep_next=True)
    para_style("Signature", after=0, keep_next=True)
    para_style("Signature Line", before=26, after=0, keep_next=True)
    para_style("Small Print", 8, color=GREY, before=12, after=0)
    para_style("Footer Text", 7.5, color=GREY, after=0, align=WD_ALIGN_PARAGRAPH.CENTER)


def new_document(title: str, subject: str):
    doc = Document()
    _styles(doc)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Inches(8.5), Inches(11)
    section.left_margin = section.right_margin = Inches(0.9)
    section.top_margin = Inches(0.7)
    section.bottom_margin = Inches(0.8)
    section.footer_distance = Inches(0.4)
    props = doc.core_properties
    props.title = title
    props.subject = subject  # the e-mail subject; docxtpl renders it like the body
    props.author = ""
    props.last_modified_by = ""
    props.comments = ("arsheets letter template. Fields are documented in the arsheets README "
                      "(Fields available in letter templates).")
    props.keywords = "arsheets"
    props.revision = 1
    footer = section.footer.paragraphs[0]
    footer.style = doc.styles["Footer Text"]
    footer.text = ("{{ company.name }}{% if company.address_oneline %}  ·  "
                   "{{ company.address_oneline }}{% endif %}")
    return doc


def add_text(doc_or_cell, text: str, style: str | None = None):
    """A paragraph whose ``**bold**`` parts are bold."""
    p = doc_or_cell.add_paragraph(style=style)
    for i, part in enumerate(text.split("**")):
        if part:
            run = p.add_run(part)
            run.bold = bool(i % 2) or None
    return p


def letterhead(doc) -> None:
    doc.add_paragraph("{{ company.name }}", style="Letterhead Name")
    doc.add_paragraph("{{ company.address_oneline }}", style="Letterhead Details")
    p = doc.add_paragraph(
        "{% if company.phone %}Tel. {{ company.phone }}{% endif %}"
        "{% if company.phone and company.email %}   ·   {% endif %}"
        "{{ company.email }}", style="Letterhead Details")
    _paragraph_rule(p)
    p.paragraph_format.space_after = Pt(0)


def recipient(doc, reference: str = "Account {{ customer.id }}") -> None:
    doc.add_paragraph("{{ letter_date }}", style="Letter Date")
    doc.add_paragraph("{{ customer.name }}", style="Address")
    doc.add_paragraph("{%p if customer.attention %}", style="Address")
    doc.add_paragraph("Attn: {{ customer.attention }}", style="Address")
    doc.add_paragraph("{%p endif %}", style="Address")
    doc.add_paragraph("{%p if customer.address %}", style="Address")
    doc.add_paragraph("{{ customer.address }}", style="Address")
    doc.add_paragraph("{%p endif %}", style="Address")
    doc.add_paragraph(reference, style="Reference")


def salutation(doc) -> None:
    doc.add_paragraph('Dear {{ customer.attention or "Sir or Madam" }},')


def closing(doc, words: str = "Yours sincerely,") -> None:
    doc.add_paragraph(words, style="Closing")
    doc.add_paragraph("{{ company.signatory }}", style="Signature").runs[0].bold = True
    doc.add_paragraph("{%p if company.signatory_title %}", style="Signature")
    doc.add_paragraph("{{ company.signatory_title }}", style="Signature")
    doc.add_paragraph("{%p endif %}", style="Signature")
    doc.add_paragraph("{{ company.name }}", style="Signature")


def _table(doc, widths: list[float], amounts: set[int], heading: list[str], loop: str,
           cells: list[str], totals: list[str] | None, inside: bool = True):
    """A table with a heading row, one docxtpl loop row, and an optional bold totals row."""
    n = len(widths)
    table = doc.add_table(rows=0, cols=n)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _table_borders(table, inside)
    _cell_margins(table, 50)
    for i, w in enumerate(widths):
        table.columns[i].width = Inches(w)

    def row(values: list[str], kind: str):
        r = table.add_row()
        _keep_row_together(r)
        for i, (c, text) in enumerate(zip(r.cells, values, strict=True)):
            c.width = Inches(widths[i])
            amount = i in amounts
            style = {
                "head": "Table Heading Amount" if amount else "Table Heading",
                "body": "Table Amount" if amount else "Table Text",
                "total": "Table Amount" if amount else "Table Text",
            }[kind]
            p = c.paragraphs[0]
            p.style = doc.styles[style]
            p.paragraph_format.space_before = Pt(2)
            p.paragraph_format.space_after = Pt(2)
            if text:
                run = p.add_run(text)
                if kind == "total":
                    run.bold = True
            if kind == "head":
                _set_cell_shading(c, HEADER_FILL)
        return r

    _repeat_header(row(heading, "head"))
    row([f"{{%tr for {loop} %}}"] + [""] * (n - 1), "body")
    row(cells, "body")
    row(["{%tr endfor %}"] + [""] * (n - 1), "body")
    if totals:
        row(totals, "total")
    doc.add_paragraph().paragraph_format.space_after = Pt(0)
    return table


def invoice_table(doc) -> None:
    _table(
        doc,
        [0.8, 0.85, 0.85, 0.9, 0.85, 0.9, 0.65, 0.9],
        {3, 4, 5, 6, 7},
        ["Invoice", "Date", "Due date", "Amount", "Paid", "Balance", "Days overdue", "Late fee"],
        "inv in invoices",
        ["{{ inv.number }}", "{{ inv.date }}", "{{ inv.due_date }}", "{{ inv.amount }}",
         "{{ inv.paid }}", "{{ inv.balance }}", "{{ inv.days_overdue }}", "{{ inv.fee }}"],
        ["Total", "", "", "{{ totals.amount }}", "{{ totals.paid }}", "{{ totals.balance }}", "",
         "{{ totals.fee }}"],
    )
    doc.add_paragraph("Total amount due: {{ totals.amount_due }}", style="Total Due")


# On a statement: where each item stands, so a disputed or held invoice reads as such rather
# than as one more overdue amount.
ITEM_STATUS = ('{% if inv.status in ("Open", "Overdue") %}{% if inv.days_overdue %}'
               '{{ inv.days_overdue }} day{{ "s" if inv.days_overdue != 1 }} overdue'
               '{% else %}Not yet due{% endif %}{% else %}{{ inv.status }}{% endif %}')


def statement_table(doc) -> None:
    _table(
        doc,
        [0.8, 0.85, 0.85, 0.9, 0.85, 0.9, 0.75, 0.8],
        {3, 4, 5, 7},
        ["Invoice", "Date", "Due date", "Amount", "Paid", "Balance", "Status", "Late fee"],
        "inv in invoices",
        ["{{ inv.number }}", "{{ inv.date }}", "{{ inv.due_date }}", "{{ inv.amount }}",
         "{{ inv.paid }}", "{{ inv.balance }}", ITEM_STATUS, "{{ inv.fee }}"],
        ["Total", "", "", "{{ totals.amount }}", "{{ totals.paid }}", "{{ totals.balance }}", "",
         "{{ totals.fee }}"],
    )
    doc.add_paragraph("Total amount due: {{ totals.amount_due }}", style="Total Due")


def covered_invoice_table(doc) -> None:
    _table(
        doc,
        [1.3, 1.3, 1.3, 1.4, 1.4],  # 6.7 in
        {3, 4},
        ["Invoice", "Date", "Due date", "Balance", "Amount due"],
        "inv in invoices",
        ["{{ inv.number }}", "{{ inv.date }}", "{{ inv.due_date }}", "{{ inv.balance }}",
         "{{ inv.amount_due }}"],
        ["Total", "", "", "{{ totals.balance }}", "{{ totals.amount_due }}"],
    )


def aging_table(doc) -> None:
    add_text(doc, "Aging summary", style="Clause Heading")
    table = _table(
        doc,
        [1.8, 1.6],
        {1},
        ["Days past due", "Balance"],
        "b in aging.buckets",
        ["{{ b.label }}", "{{ b.amount }}"],
        ["Total", "{{ aging.total }}"],
    )
    table.alignment = WD_TABLE_ALIGNMENT.LEFT


def schedule_table(doc) -> None:
    _table(
        doc,
        [0.6, 1.3, 1.2, 1.2, 1.2, 1.2],  # 6.7 in
        {0, 2, 3, 4, 5},
        ["No.", "Due date", "Payment", "Interest", "Principal", "Balance"],
        "row in plan.schedule",
        ["{{ row.no }}", "{{ row.due_date }}", "{{ row.payment }}", "{{ row.interest }}",
         "{{ row.principal }}", "{{ row.balance }}"],
        ["Total", "", "{{ plan.schedule_totals.payment }}", "{{ plan.schedule_totals.interest }}",
         "{{ plan.schedule_totals.principal }}", ""],
    )


def signature_blocks(doc, left: list[str], right: list[str]) -> None:
    """Two side-by-side signature blocks with lines to sign and date."""
    table = doc.add_table(rows=1, cols=2)
    table.autofit = False
    _no_borders(table)
    _keep_row_together(table.rows[0])
    for cell, lines in zip(table.rows[0].cells, (left, right), strict=True):
        cell.width = Inches(CONTENT_WIDTH / 2)
        heading, *rest = lines
        p = cell.paragraphs[0]
        p.add_run(heading).bold = True
        p.paragraph_format.keep_with_next = True
        # The same spacing at the same position in both columns keeps the lines level.
        for i, line in enumerate(rest):
            p = cell.add_paragraph(line, style="Signature Line")
            p.paragraph_format.space_before = Pt(34 if i == 0 else 16)


def conditional(doc, condition: str, *texts: str, style: str | None = None) -> None:
    doc.add_paragraph(f"{{%p if {condition} %}}")
    for text in texts:
        add_text(doc, text, style=style)
    doc.add_paragraph("{%p endif %}")


# --- the letters ------------------------------------------------------------------------------


def letter(title: str, subject: str, build) -> Document:
    doc = new_document(title, subject)
    letterhead(doc)
    recipient(doc)
    doc.add_paragraph(subject, style="Subject")
    salutation(doc)
    build(doc)
    return doc


def courtesy_reminder(doc) -> None:
    add_text(doc, "This is a friendly note ahead of the due date. The invoices below fall due "
             "shortly, the first on **{{ earliest_due_date }}**; we are writing now simply so "
             "that nothing is held up in processing.")
    invoice_table(doc)
    add_text(doc, "If payment is already scheduled, thank you, and please disregard this note. "
             "If anything on these invoices needs correcting, or you need a copy, please let us "
             "know before the due date and we will sort it out straight away. You can reach us"
             + CONTACT + ".")
    add_text(doc, "Thank you for your business.")
    closing(doc, "Kind regards,")


def first_reminder(doc) -> None:
    add_text(doc, "According to our records, the invoices below, the first of which fell due on "
             "**{{ earliest_due_date }}**, have not yet been paid. In case the original did not "
             "reach you, we have enclosed a copy.")
    add_text(doc, "Could you please confirm that you have received the invoice and that it is "
             "with your accounts team for payment?")
    invoice_table(doc)
    conditional(doc, "has_fees", FEES_NOTE)
    add_text(doc, "We would be grateful if you could arrange payment of "
             "**{{ totals.amount_due }}** by **{{ pay_by }}**. If you have already sent it, "
             "thank you; please let us know the payment date and reference so that we can match "
             "it to your account.")
    add_text(doc, "If there is any question about the invoice, please contact us" + CONTACT +
             " and we will be glad to help.")
    closing(doc)
    add_text(doc, "Enclosure: copy of invoice {{ invoice_numbers }}", style="Small Print")


def second_reminder(doc) -> None:
    add_text(doc, "We wrote to you recently about the invoices below, which remain unpaid; the "
             "oldest is now {{ oldest_days_overdue }} days past its due date. Perhaps this is "
             "simply an oversight, and we would be grateful if you could look into it.")
    invoice_table(doc)
    conditional(doc, "has_fees", FEES_NOTE)
    add_text(doc, "Please arrange payment of **{{ totals.amount_due }}** by **{{ pay_by }}**.")
    add_text(doc, "If paying the full amount at once is difficult, we are happy to accept it in "
             "two parts: half now and half next month, that is **{{ split.first_amount }}** by "
             "{{ split.first_date }} and **{{ split.second_amount }}** by "
             "{{ split.second_date }}. Just let us know that you would like to do this, so that "
             "we can note it on your account.")
    add_text(doc, "If you have already paid, thank you, and please accept our apologies for this "
             "reminder. If there is a problem with any of these invoices, please contact us"
             + CONTACT + " so that we can resolve it together.")
    closing(doc)


def final_notice(doc) -> None:
    add_text(doc, "Despite our earlier letters, the invoices below remain unpaid; the oldest is "
             "now {{ oldest_days_overdue }} days past its due date.")
    invoice_table(doc)
    conditional(doc, "has_fees", FEES_NOTE)
    add_text(doc, "Please pay **{{ totals.amount_due }}** ({{ totals.amount_due_words }}) by "
             "**{{ pay_by }}**.")
    add_text(doc, "Until the account is brought up to date, we are unable to accept new orders "
             "or begin new work for you.")
    add_text(doc, "If payment has not been received by {{ pay_by }}, our next step will be to "
             "refer the account to a collection agency. We would much rather settle this "
             "directly with you: if there is a reason for the delay, or you would like to agree "
             "a payment plan, please contact {{ company.signatory or \"us\" }}" + CONTACT +
             " before that date.")
    add_text(doc, "If you have paid in the meantime, thank you, and please disregard this "
             "notice.")
    closing(doc)


def statement(doc) -> None:
    add_text(doc, "Please find below a statement of the open items on your account as of "
             "{{ letter_date }}.")
    statement_table(doc)
    aging_table(doc)
    conditional(doc, "has_fees", FEES_NOTE)
    add_text(doc, "We would be grateful for payment of the overdue items by **{{ pay_by }}**. If "
             "your records differ from ours, please let us know" + CONTACT +
             " so that we can reconcile them.")
    add_text(doc, "Thank you for your business.")
    closing(doc, "Kind regards,")


def satisfaction_check(doc) -> None:
    add_text(doc, "Thank you for your order. Please find enclosed our invoice, summarised "
             "below.")
    invoice_table(doc)
    add_text(doc, "We would like to make sure that everything is exactly as you ordered. If "
             "anything is missing, not as expected, or the invoice needs a purchase order number "
             "or other detail for your records, please let us know" + CONTACT + " and we will "
             "put it right well before payment is due on **{{ earliest_due_date }}**.")
    add_text(doc, "We appreciate your business and look forward to working with you again.")
    closing(doc, "Kind regards,")


def agency_notice(doc) -> None:
    add_text(doc, "We have written to you several times about the overdue balance below and, "
             "regrettably, have not been able to reach an arrangement. We are therefore "
             "referring the account to a collection agency.")
    invoice_table(doc)
    conditional(doc, "has_fees", FEES_NOTE)
    add_text(doc, "This is a last opportunity to settle the matter directly with us. If "
             "**{{ totals.amount_due }}** ({{ totals.amount_due_words }}) reaches us by "
             "**{{ pay_by }}**, or you contact us by then and we agree a payment plan, we will "
             "withdraw the referral and the matter will be closed between us. After that date "
             "the agency will contact you directly.")
    add_text(doc, "To arrange payment, please contact {{ company.signatory or \"us\" }}" + CONTACT +
             ".")
    closing(doc)


def payment_plan_agreement() -> Document:
    doc = new_document("Payment plan agreement", "Payment plan agreement {{ plan.id }}")
    letterhead(doc)
    doc.add_paragraph("Payment Plan Agreement", style="Document Title")
    doc.add_paragraph("Agreement {{ plan.id }}  ·  {{ letter_date }}", style="Document Subtitle")
    add_text(doc, "This agreement is made on {{ letter_date }} between:")
    add_text(doc, "**{{ company.name }}**{% if company.address_oneline %}, "
             "{{ company.address_oneline }}{% endif %} (the \"Creditor\"), and")
    add_text(doc, "**{{ customer.name }}**{% if customer.address_oneline %}, "
             "{{ customer.address_oneline }}{% endif %}, customer account {{ customer.id }} "
             "(the \"Debtor\").")
    add_text(doc, "1. The debt", style="Clause Heading")
    add_text(doc, "The Debtor owes the Creditor **{{ plan.principal }}** "
             "({{ plan.principal_words }}) under the following invoices:")
    covered_invoice_table(doc)
    add_text(doc, "2. Payments", style="Clause Heading")
    conditional(doc, "plan.has_down_payment",
                "The Debtor will pay a down payment of **{{ plan.down_payment }}** on "
                "{{ plan.start_date }}.")
    add_text(doc, "The Debtor will pay the remaining **{{ plan.financed }}** in "
             "{{ plan.installments }} installments ({{ plan.frequency | lower }}), on the dates "
             "and in the amounts below"
             "{% if plan.interest_free %}, free of interest{% else %}, with interest at "
             "{{ plan.annual_rate }} a year on the outstanding balance (total interest "
             "{{ plan.total_interest }}){% endif %}. The total payable under this agreement is "
             "**{{ plan.total_payable }}**.")
    schedule_table(doc)
    add_text(doc, "3. Missed payments", style="Clause Heading")
    add_text(doc, "If an installment has not been received within {{ plan.grace_days }} days of "
             "its due date, the whole remaining balance under this agreement becomes due at once, "
             "and the Creditor may resume its normal collection of the account.")
    add_text(doc, "4. Paying early", style="Clause Heading")
    add_text(doc, "The Debtor may pay the remaining balance, or part of it, early at any time "
             "without penalty.")
    add_text(doc, "5. While the plan is kept", style="Clause Heading")
    add_text(doc, "As long as the payments are made as agreed, the Creditor will take no further "
             "collection action on the invoices listed above. Once every payment has been made, "
             "those invoices are settled in full.")
    add_text(doc, "Signed on behalf of the parties:")
    signature_blocks(
        doc,
        ["{{ company.name }} (Creditor)", "Signature: ______________________________",
         "Name: {{ company.signatory }}", "Title: {{ company.signatory_title }}",
         "Date: _______________"],
        ["{{ customer.name }} (Debtor)", "Signature: ______________________________",
         "Name: ______________________________", "Title: ______________________________",
         "Date: _______________"],
    )
    return doc


def promissory_note() -> Document:
    doc = new_document("Promissory note", "Promissory note {{ plan.id }}")
    letterhead(doc)
    doc.add_paragraph("Promissory Note", style="Document Title")
    doc.add_paragraph("{{ plan.financed }}  ·  {{ letter_date }}  ·  Note {{ plan.id }}",
                      style="Document Subtitle")
    add_text(doc, "FOR VALUE RECEIVED, **{{ customer.name }}**{% if customer.address_oneline %}, "
             "{{ customer.address_oneline }}{% endif %} (the \"Maker\"), promises to pay to the "
             "order of **{{ company.name }}**{% if company.address_oneline %}, "
             "{{ company.address_oneline }}{% endif %} (the \"Holder\"), the principal sum of "
             "**{{ plan.financed_words }} ({{ plan.financed }})**"
             "{% if plan.interest_free %}, without interest{% else %}, with interest on the "
             "unpaid principal balance at the rate of {{ plan.annual_rate }} per year{% endif %}, "
             "as set out below.")
    add_text(doc, "This note is given for the balance of invoices {{ plan.invoice_numbers }} "
             "({{ plan.principal }} in total){% if plan.has_down_payment %}, after a down "
             "payment of {{ plan.down_payment }} due on {{ plan.start_date }}{% endif %}.")
    add_text(doc, "1. Payment", style="Clause Heading")
    add_text(doc, "The Maker will pay this note in {{ plan.installments }} installments "
             "({{ plan.frequency | lower }}), the first on {{ plan.first_due }} and the last on "
             "{{ plan.last_due }}, as follows:")
    schedule_table(doc)
    add_text(doc, "Payments are applied first to interest due and then to principal. The Maker "
             "may prepay all or part of this note at any time without penalty.")
    add_text(doc, "2. Late payment", style="Clause Heading")
    add_text(doc, "{% if plan.late_charge %}If an installment is not received within "
             "{{ plan.grace_days }} days of its due date, the Maker will pay a late charge of "
             "{{ plan.late_charge }} for that installment. {% endif %}"
             "{% if plan.interest_free %}Overdue installments carry no interest unless the note "
             "is accelerated.{% else %}Interest continues to accrue on unpaid principal at the "
             "rate stated above until it is paid.{% endif %}")
    add_text(doc, "3. Acceleration", style="Clause Heading")
    add_text(doc, "If an installment remains unpaid more than {{ plan.grace_days }} days after "
             "its due date, the Holder may, by written notice to the Maker, declare the entire "
             "unpaid principal balance{% if not plan.interest_free %}, together with accrued "
             "interest,{% endif %} immediately due and payable.")
    add_text(doc, "4. Governing law", style="Clause Heading")
    add_text(doc, "This note is governed by the laws of {{ governing_law }}.")
    add_text(doc, "5. Waivers", style="Clause Heading")
    add_text(doc, "A delay by the Holder in exercising any right under this note does not waive "
             "that right. If any provision of this note is found unenforceable, the remaining "
             "provisions remain in effect.")
    signature_blocks(
        doc,
        ["Maker: {{ customer.name }}", "Signature: ______________________________",
         "Name: ______________________________", "Title: ______________________________",
         "Date: _______________"],
        ["Holder: {{ company.name }}", "Signature: ______________________________",
         "Name: {{ company.signatory }}", "Title: {{ company.signatory_title }}",
         "Date: _______________"],
    )
    return doc


LETTERS = {
    "courtesy_reminder": ("Courtesy reminder",
                          "Upcoming payment: invoice {{ invoice_numbers }}", courtesy_reminder),
    "first_reminder": ("First reminder", "Payment reminder: invoice {{ invoice_numbers }}",
                       first_reminder),
    "second_reminder": ("Second reminder",
                        "Second reminder: {{ totals.amount_due }} overdue on account "
                        "{{ customer.id }}", second_reminder),
    "final_notice": ("Final notice", "Final notice: account {{ customer.id }}, "
                     "{{ totals.amount_due }} overdue", final_notice),
    "statement": ("Statement of account", "Statement of account {{ customer.id }} as of "
                  "{{ letter_date }}", statement),
    "satisfaction_check": ("Satisfaction check", "Your invoice {{ invoice_numbers }} from "
                           "{{ company.name }}", satisfaction_check),
    "agency_notice": ("Agency referral notice", "Referral of account {{ customer.id }} to a "
                      "collection agency", agency_notice),
}


def slim(doc) -> None:
    """Leave out what python-docx's default template carries but a letter does not need.

    ``stylesWithEffects.xml`` (Word 2010 compatibility, 440 KB), the thumbnail of the default
    template (a wrong preview in file browsers), the sample custom XML, and style definitions
    nothing uses: every letter is smaller and opens faster in Word, LibreOffice and python-docx.
    Word re-creates any built-in style from its latent definitions when a bookkeeper uses it.
    """
    part = doc.part
    for rid, rel in list(part.rels.items()):
        if rel.reltype.endswith(("/stylesWithEffects", "/customXml")):
            part.drop_rel(rid)
    pkg = part.package
    for rid, rel in list(pkg.rels.items()):
        if rel.reltype.endswith("/thumbnail"):
            pkg.rels.pop(rid)

    styles = doc.styles.element
    by_id = {st.get(qn("w:styleId")): st for st in styles.findall(qn("w:style"))}
    used: set[str] = set()
    xml_parts = [doc.element] + [s.footer._element for s in doc.sections
                                 if not s.footer.is_linked_to_previous]
    for root in xml_parts:
        for tag in ("w:pStyle", "w:rStyle", "w:tblStyle"):
            for el in root.iter(qn(tag)):
                used.add(el.get(qn("w:val")))
    used |= {sid for sid, st in by_id.items() if st.get(qn("w:default")) in ("1", "true")}
    used |= {"Normal", "Footer", "Header", "TableGrid", "ListParagraph"}
    pending = list(used)
    while pending:  # keep what the used styles are based on or linked to
        st = by_id.get(pending.pop())
        if st is None:
            continue
        for tag in ("w:basedOn", "w:link", "w:next"):
            el = st.find(qn(tag))
            if el is not None and el.get(qn("w:val")) not in used:
                used.add(el.get(qn("w:val")))
                pending.append(el.get(qn("w:val")))
    for sid, st in by_id.items():
        if sid not in used:
            styles.remove(st)


def build_all() -> dict[str, Document]:
    docs = {name: letter(title, subject, body) for name, (title, subject, body) in
            LETTERS.items()}
    docs["payment_plan_agreement"] = payment_plan_agreement()
    docs["promissory_note"] = promissory_note()
    return docs


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else OUT
    out.mkdir(parents=True, exist_ok=True)
    for name, doc in build_all().items():
        slim(doc)
        path = out / f"{name}.docx"
        doc.save(path)
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
