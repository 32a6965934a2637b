"""Letters on disk: safe file names, the dated folder, merging, PDF, .eml drafts and SMTP."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import replace
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from hypothesis import given, settings
from hypothesis import strategies as st

from arsheets.letters import (
    build_email,
    convert_to_pdf,
    merge_letters,
    prepare_letter,
    send_emails,
    smtp_config_from_env,
    write_drafts,
    write_letters,
)
from arsheets.letters.errors import DeliveryError, LetterError
from arsheets.letters.output import (
    email_body,
    find_soffice,
    letters_dir,
    recipients,
    reserve_paths,
    safe_filename,
)

try:
    from test_letters_support import (
        AS_OF, CUSTOMER, SETTINGS, SmtpSink, doc_text, invoice, items,
    )
except ImportError:  # tests/ became a package
    from .test_letters_support import (
        AS_OF, CUSTOMER, SETTINGS, SmtpSink, doc_text, invoice, items,
    )


def letter(customer=CUSTOMER, template="first_reminder", its=None):
    return prepare_letter(SETTINGS, customer, items() if its is None else its,
                          template=template, as_of=AS_OF)


# --- file names -------------------------------------------------------------------------------

WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)),
                    *(f"LPT{i}" for i in range(10))}


def assert_safe(name: str, max_bytes: int = 120) -> None:
    assert name and len(name.encode()) <= max_bytes
    assert not any(c in name for c in '/\\:*?"<>|'), name
    assert not any(ord(c) < 32 or ord(c) == 127 for c in name), name
    assert name == name.strip(" .") and not name.startswith(".")
    assert name.split(".")[0].strip().upper() not in WINDOWS_RESERVED, name


@pytest.mark.parametrize(("raw", "expected"), [
    ("../../etc/passwd", "_._etc_passwd"),
    ("..\\..\\Windows\\win.ini", "_._Windows_win.ini"),
    ("CON", "_CON"),
    ("nul.txt", "_nul.txt"),
    ("com1", "_com1"),
    ("LPT9 ", "_LPT9"),
    ("Acme: Supplies? <Ltd>*", "Acme_ Supplies_ _Ltd_"),
    ("tab\there\nnewline\x00nul", "tab_here_newline_nul"),
    ("...", "letter"),
    ("", "letter"),
    ("  trailing dot. ", "trailing dot"),
    ("evil\u202egpj.exe", "evil_gpj.exe"),
    ("北京贸易有限公司", "北京贸易有限公司"),
    ("شركة الأمل", "شركة الأمل"),
])
def test_safe_filename(raw, expected):
    assert safe_filename(raw) == expected
    assert_safe(safe_filename(raw))


def test_long_names_are_cut_on_a_character_boundary():
    assert len(safe_filename("a" * 500).encode()) == 120
    cut = safe_filename("é" * 100)  # two bytes each
    assert cut == "é" * 60
    assert safe_filename("贸" * 100) == "贸" * 40


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=0, max_size=300))
def test_any_text_gives_a_name_that_stays_in_the_folder(tmp_path_factory, text):
    name = safe_filename(text)
    assert_safe(name)
    folder = Path("/letters/2024-03-18")
    assert (folder / f"{name}.docx").parent == folder
    assert os.path.normpath(folder / f"{name}.docx").startswith(str(folder) + os.sep)


def test_hostile_ids_and_collisions_stay_in_the_dated_folder(tmp_path):
    settings_ = replace(SETTINGS, letters_folder="out")
    customers = [
        replace(CUSTOMER, id="../../escape", name=""),
        replace(CUSTOMER, id="CON", name=""),
        replace(CUSTOMER, id="C-1", name="Acme/Supplies"),
        replace(CUSTOMER, id="C-1", name="Acme\\Supplies"),
        replace(CUSTOMER, id="c-1", name="ACME:SUPPLIES"),
        replace(CUSTOMER, id="C-2", name="x" * 400),
    ]
    out = write_letters([letter(c) for c in customers], settings_, AS_OF, base_dir=tmp_path,
                        workers=1)
    folder = tmp_path / "out" / "2024-03-18"
    assert letters_dir(settings_, AS_OF, tmp_path) == folder
    names = [w.path.name for w in out]
    assert all(w.path.parent == folder for w in out)
    assert names[:5] == [
        "_._escape - first_reminder.docx",
        "CON - first_reminder.docx",  # only a bare CON (or CON.xyz) is a Windows device
        "C-1 Acme_Supplies - first_reminder.docx",
        "C-1 Acme_Supplies - first_reminder (2).docx",
        "c-1 ACME_SUPPLIES - first_reminder (3).docx",  # same name ignoring case
    ]
    assert len(names[5].encode()) <= 125
    assert sorted(p.name for p in folder.iterdir()) == sorted(names)
    # a second run the same day never overwrites the first run's letters
    again = write_letters([letter(customers[2])], settings_, AS_OF, base_dir=tmp_path, workers=1)
    assert again[0].path.name == "C-1 Acme_Supplies - first_reminder (4).docx"


def test_reserve_paths_is_exclusive(tmp_path):
    (tmp_path / "A.docx").write_bytes(b"keep")
    paths = reserve_paths(tmp_path, ["a", "a", "b"])
    assert [p.name for p in paths] == ["a (2).docx", "a (3).docx", "b.docx"]
    assert (tmp_path / "A.docx").read_bytes() == b"keep"


def test_unwritable_letters_folder_is_a_clear_error(tmp_path):
    (tmp_path / "blocker").write_text("a file, not a folder")
    settings_ = replace(SETTINGS, letters_folder="blocker/letters")
    with pytest.raises(LetterError, match="cannot write letters here") as err:
        write_letters([letter()], settings_, AS_OF, base_dir=tmp_path)
    assert "Letters Folder" in str(err.value)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs a user that file permissions apply to")
def test_read_only_letters_folder_is_a_clear_error(tmp_path):
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro").chmod(0o500)
    try:
        with pytest.raises(LetterError, match="permission denied"):
            write_letters([letter()], replace(SETTINGS, letters_folder="ro"), AS_OF,
                          base_dir=tmp_path)
    finally:
        (tmp_path / "ro").chmod(0o700)


# --- merge ------------------------------------------------------------------------------------


def test_merge_puts_every_letter_in_one_document(tmp_path):
    customers = [replace(CUSTOMER, id=f"C-{i}", name=f"Customer {i}") for i in range(3)]
    out = write_letters([letter(c, t) for c, t in zip(
        customers, ["first_reminder", "statement", "final_notice"], strict=True)],
        SETTINGS, AS_OF, folder=tmp_path / "letters", workers=1)
    merged = merge_letters([w.path for w in out], tmp_path / "all.docx")
    text = doc_text(merged)
    for c in customers:
        assert c.name in text
    assert text.count("Dear Raj Patel,") == 3
    assert "Statement of account C-1" in text and "Final notice" in text
    d = docx.Document(str(merged))
    breaks = d.element.body.findall(".//" + qn("w:pageBreakBefore"))
    assert len(breaks) == 2
    assert len(d.tables) == 4  # three invoice tables and the statement's aging table


# --- PDF --------------------------------------------------------------------------------------


def _need_libreoffice() -> None:
    try:
        find_soffice()
    except DeliveryError:
        if os.environ.get("ARSHEETS_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("ARSHEETS_REQUIRE_LIBREOFFICE=1 but LibreOffice is not installed")
        pytest.skip("LibreOffice is not installed")
    if shutil.which("pdftotext") is None:
        if os.environ.get("ARSHEETS_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("pdftotext (poppler-utils) is needed to check the PDF")
        pytest.skip("pdftotext is not installed")


def test_letter_to_pdf(tmp_path):
    _need_libreoffice()
    [w] = write_letters([letter(template="second_reminder")], SETTINGS, AS_OF,
                        folder=tmp_path, workers=1)
    [pdf] = convert_to_pdf([w.path])
    assert pdf == w.path.with_suffix(".pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          check=True, text=True).stdout
    for expected in ("Bright Widgets LLC", "Acme Supplies", "Dear Raj Patel,", "INV-1001",
                     "$1,034.50", "$1,850.02", "April 1, 2024", "Dana Reyes"):
        assert expected in text, expected


def test_missing_libreoffice_says_how_to_install_it(monkeypatch):
    monkeypatch.setenv("PATH", "")
    monkeypatch.delenv("ARSHEETS_SOFFICE", raising=False)
    monkeypatch.setattr("arsheets.letters.output._SOFFICE_PLACES", ())
    with pytest.raises(DeliveryError, match="LibreOffice is not installed") as err:
        convert_to_pdf(["x.docx"])
    assert "apt-get install libreoffice-writer-nogui" in str(err.value)
    assert "brew install --cask libreoffice" in str(err.value)


# --- e-mail -----------------------------------------------------------------------------------


@pytest.fixture
def written(tmp_path):
    (tmp_path / "invoices").mkdir()
    (tmp_path / "invoices" / "INV-1001.pdf").write_bytes(b"%PDF-1.4 original invoice")
    its = items()
    its[1] = invoice("INV-1001", "1234.50", its[1][0].invoice_date, its[1][0].due_date,
                     paid="200.00", fee="15.52", days=33, aging="31-60",
                     document="invoices/INV-1001.pdf")
    its[0] = invoice("INV-1017", "800.00", its[0][0].invoice_date, its[0][0].due_date,
                     days=16, aging="1-30", document="invoices/missing.pdf")
    [w] = write_letters([letter(its=its)], SETTINGS, AS_OF, folder=tmp_path / "letters",
                        workers=1)
    return w


def test_eml_draft_headers_and_attachments(written, tmp_path):
    [(path, draft)] = write_drafts([written], SETTINGS, base_dir=tmp_path)
    assert path == written.path.with_suffix(".eml")
    assert draft.missing_documents == ("invoices/missing.pdf",)
    msg = message_from_bytes(path.read_bytes(), policy=default_policy)
    assert msg["To"] == "Raj Patel <ap@acme.example>"
    assert msg["From"] == "Bright Widgets LLC <accounts@brightwidgets.example>"
    assert msg["Subject"] == "Payment reminder: invoice INV-1001, INV-1017"
    assert msg["X-Unsent"] == "1" and msg["Message-ID"].endswith("@brightwidgets.example>")
    body = msg.get_body(("plain",)).get_content()
    assert body.startswith("Dear Raj Patel,")
    assert "Amount due: $1,850.02, by April 1, 2024." in body
    attachments = {a.get_filename(): a for a in msg.iter_attachments()}
    assert set(attachments) == {written.path.name, "INV-1001.pdf"}
    assert attachments["INV-1001.pdf"].get_content_type() == "application/pdf"
    assert attachments["INV-1001.pdf"].get_content() == b"%PDF-1.4 original invoice"
    letter_part = attachments[written.path.name]
    assert letter_part.get_content_type().endswith("wordprocessingml.document")
    assert letter_part.get_content() == written.path.read_bytes()
    assert b"\r\n" in path.read_bytes()  # CRLF, as mail clients expect


def test_to_uses_the_contact_when_there_is_no_ap_contact_and_splits_lists():
    c = replace(CUSTOMER, ap_contact="", email="jane@acme.example; ap@acme.example")
    assert [str(a) for a in recipients(c)] == ["Jane Smith <jane@acme.example>",
                                               "ap@acme.example"]
    quoted = replace(CUSTOMER, ap_contact='Patel, Raj "RJ"')
    assert str(recipients(quoted)[0]) == '"Patel, Raj \\"RJ\\"" <ap@acme.example>'


@pytest.mark.parametrize(("field", "value", "message"), [
    ("email", "ap@acme.example\r\nBcc: everyone@example.com", "line break"),
    ("email", "ap@acme.example\nBcc: x@example.com", "line break"),
    ("email", "not an address", "is not a valid e-mail address"),
    ("email", "a@b@c.com", "is not a valid e-mail address"),
    ("email", "Raj <ap@acme.example>", "is not a valid e-mail address"),
    ("email", "", "has no Email"),
    ("ap_contact", "Raj\r\nBcc: x@example.com", "line break"),
])
def test_bad_addresses_are_refused_naming_the_customer(written, field, value, message):
    bad = replace(written, customer=replace(CUSTOMER, **{field: value}))
    with pytest.raises(DeliveryError, match=message) as err:
        build_email(bad, SETTINGS)
    assert "customer C-104" in str(err.value) and "Customers!5" in str(err.value)


def test_a_bad_address_stops_the_drafts_before_any_is_written(written, tmp_path):
    bad = replace(written, customer=replace(CUSTOMER, email="x\n@y"))
    with pytest.raises(DeliveryError):
        write_drafts([written, bad], SETTINGS, base_dir=tmp_path)
    assert not written.path.with_suffix(".eml").exists()


def test_subject_from_hostile_data_stays_on_one_line(tmp_path):
    hostile = replace(CUSTOMER, id="C-1\r\nBcc: evil@example.com")
    [w] = write_letters([letter(hostile, "final_notice")], SETTINGS, AS_OF, folder=tmp_path,
                        workers=1)
    assert "\n" not in w.subject and "\r" not in w.subject
    msg = build_email(w, SETTINGS).message
    assert "Bcc" not in msg and msg["Subject"].startswith("Final notice: account C-1 Bcc:")


def test_email_body_per_kind_of_letter(written):
    courtesy = replace(written, template="courtesy_reminder")
    assert "due on February 14, 2024" in email_body(courtesy)
    plan = replace(written, template="payment_plan_agreement")
    assert "sign it and return a copy" in email_body(plan)


# --- SMTP -------------------------------------------------------------------------------------


def env(port: int, **more: str) -> dict[str, str]:
    return {"ARSHEETS_SMTP_HOST": "127.0.0.1", "ARSHEETS_SMTP_PORT": str(port),
            "ARSHEETS_SMTP_SECURITY": "none", **more}


def test_send_over_smtp_to_a_local_server(written, tmp_path):
    customers = [CUSTOMER, replace(CUSTOMER, id="C-2", email="a@two.example, b@two.example")]
    drafts = [build_email(replace(written, customer=c), SETTINGS, base_dir=tmp_path)
              for c in customers]
    with SmtpSink() as sink:
        config = smtp_config_from_env(env(sink.port, ARSHEETS_SMTP_USER="bookkeeper",
                                          ARSHEETS_SMTP_PASSWORD="s3cret"))
        results = send_emails(drafts, config)
    assert [r.ok for r in results] == [True, True]
    assert sink.logins == [("bookkeeper", "s3cret")]
    assert [m.rcpt_to for m in sink.messages] == [["ap@acme.example"],
                                                  ["a@two.example", "b@two.example"]]
    assert sink.messages[0].mail_from == "accounts@brightwidgets.example"
    msg = message_from_bytes(sink.messages[0].data, policy=default_policy)
    assert msg["To"] == "Raj Patel <ap@acme.example>" and "X-Unsent" not in msg
    names = sorted(a.get_filename() for a in msg.iter_attachments())
    assert names == sorted([written.path.name, "INV-1001.pdf"])


def test_smtp_from_override_keeps_replies_with_the_company(written):
    draft = build_email(written, SETTINGS)
    with SmtpSink() as sink:
        config = smtp_config_from_env(env(sink.port, ARSHEETS_SMTP_FROM="relay@mailer.example"))
        [result] = send_emails([draft], config)
    assert result.ok and sink.messages[0].mail_from == "relay@mailer.example"
    msg = message_from_bytes(sink.messages[0].data, policy=default_policy)
    assert msg["From"] == "relay@mailer.example"
    assert msg["Reply-To"] == "Bright Widgets LLC <accounts@brightwidgets.example>"


def test_a_refused_recipient_is_reported_and_the_rest_are_sent(written):
    drafts = [build_email(replace(written, customer=replace(CUSTOMER, email=e)), SETTINGS)
              for e in ("gone@acme.example", "ap@acme.example")]
    with SmtpSink(reject=("gone@acme.example",)) as sink:
        results = send_emails(drafts, smtp_config_from_env(env(sink.port)))
    assert [r.ok for r in results] == [False, True]
    assert "gone@acme.example" in results[0].error and "550" in results[0].error
    assert len(sink.messages) == 1


def test_smtp_configuration_errors():
    with pytest.raises(DeliveryError, match="ARSHEETS_SMTP_HOST: is not set"):
        smtp_config_from_env({})
    with pytest.raises(DeliveryError, match="ARSHEETS_SMTP_SECURITY: 'tls' is not"):
        smtp_config_from_env({"ARSHEETS_SMTP_HOST": "mail.example", "ARSHEETS_SMTP_SECURITY":
                              "tls"})
    with pytest.raises(DeliveryError, match="ARSHEETS_SMTP_PORT: 'abc' is not a port"):
        smtp_config_from_env({"ARSHEETS_SMTP_HOST": "mail.example", "ARSHEETS_SMTP_PORT": "abc"})
    with pytest.raises(DeliveryError, match="unencrypted"):
        smtp_config_from_env({"ARSHEETS_SMTP_HOST": "mail.example", "ARSHEETS_SMTP_SECURITY":
                              "none", "ARSHEETS_SMTP_USER": "u", "ARSHEETS_SMTP_PASSWORD": "p"})
    with pytest.raises(DeliveryError, match="ARSHEETS_SMTP_FROM"):
        smtp_config_from_env({"ARSHEETS_SMTP_HOST": "h.example", "ARSHEETS_SMTP_FROM": "x\ny"})
    defaults = smtp_config_from_env({"ARSHEETS_SMTP_HOST": "mail.example"})
    assert (defaults.port, defaults.security) == (587, "starttls")
    assert smtp_config_from_env({"ARSHEETS_SMTP_HOST": "h", "ARSHEETS_SMTP_SECURITY": "ssl"}
                                ).port == 465
    cfg = smtp_config_from_env({"ARSHEETS_SMTP_HOST": "h", "ARSHEETS_SMTP_USER": "u",
                                "ARSHEETS_SMTP_PASSWORD": "hunter2"})
    assert "hunter2" not in repr(cfg) and "hunter2" not in cfg.describe()


def test_unreachable_smtp_server_is_a_clear_error(written):
    with SmtpSink() as sink:
        port = sink.port
    with pytest.raises(DeliveryError, match="cannot connect to 127.0.0.1"):
        send_emails([build_email(written, SETTINGS)], smtp_config_from_env(env(port)), timeout=5)
