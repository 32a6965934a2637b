"""Collection letters: build the context, render docxtpl templates, write, merge, convert, e-mail.

Typical use (the ladder decides which customer gets which template)::

    letter = prepare_letter(settings, customer, items, template="first_reminder", as_of=as_of,
                            stage="First reminder")
    written = write_letters([letter, ...], settings, as_of, base_dir=workbook.parent)
    merge_letters([w.path for w in written], folder / "all letters.docx")
    pdfs = convert_to_pdf([w.path for w in written])
    drafts = write_drafts(written, settings, base_dir=workbook.parent)
    send_emails([d for _, d in drafts], smtp_config_from_env())   # after the user confirms
"""

from arsheets.letters.context import (
    PlanTerms,
    ScheduleRow,
    amount_in_words,
    build_context,
    holiday_calendar,
    pay_by_date,
)
from arsheets.letters.errors import DeliveryError, LetterError, TemplateFieldError
from arsheets.letters.fields import CONTEXT, Field, fields_markdown
from arsheets.letters.output import (
    EmailDraft,
    Letter,
    SendResult,
    SmtpConfig,
    WrittenLetter,
    build_email,
    convert_to_pdf,
    find_soffice,
    letters_dir,
    merge_letters,
    prepare_letter,
    safe_filename,
    send_emails,
    smtp_config_from_env,
    write_drafts,
    write_eml,
    write_letters,
)
from arsheets.letters.render import (
    CompiledTemplate,
    bundled_templates_dir,
    check_template,
    compile_template,
    find_template,
    load_template,
)

BUNDLED_TEMPLATES = (
    "courtesy_reminder", "first_reminder", "second_reminder", "final_notice", "statement",
    "satisfaction_check", "agency_notice", "payment_plan_agreement", "promissory_note",
)

__all__ = [
    "BUNDLED_TEMPLATES", "CONTEXT", "CompiledTemplate", "DeliveryError", "EmailDraft", "Field",
    "Letter", "LetterError", "PlanTerms", "ScheduleRow", "SendResult", "SmtpConfig",
    "TemplateFieldError", "WrittenLetter", "amount_in_words", "build_context", "build_email",
    "bundled_templates_dir", "check_template", "compile_template", "convert_to_pdf",
    "fields_markdown", "find_soffice", "find_template", "holiday_calendar", "letters_dir",
    "load_template", "merge_letters", "pay_by_date", "prepare_letter", "safe_filename",
    "send_emails", "smtp_config_from_env", "write_drafts", "write_eml", "write_letters",
]
