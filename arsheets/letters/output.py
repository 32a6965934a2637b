"""Write letters to disk, merge them for printing, convert them to PDF and e-mail them.

Letters go one ``.docx`` per customer into a dated folder, ``<Letters Folder>/<as-of date>/``,
under file names that cannot leave that folder or upset Windows, and never overwrite a letter
already there. ``merge_letters`` joins them into one document for printing, ``convert_to_pdf`` runs
LibreOffice once for a whole batch, ``build_email`` makes an e-mail (letter and original invoices
attached) that ``write_eml`` saves as a draft and ``send_emails`` sends over SMTP.
"""

from __future__ import annotations

import mimetypes
import os
import re
import shutil
import smtplib
import socket
import ssl
import subprocess
import tempfile
import time
import unicodedata
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid
from ipaddress import ip_address
from pathlib import Path

from arsheets.errors import Problem, Where
from arsheets.letters.context import PlanTerms, build_context, one_line
from arsheets.letters.errors import (
    DeliveryError,
    InFile,
    LetterError,
    customer_where,
    problem_at,
)
from arsheets.letters.render import RenderJob, find_template, load_template, render_jobs
from arsheets.model import AgingRow, Customer, Invoice, InvoiceStatus, Settings

# --- the letters to write ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Letter:
    """One letter to write: for whom, which template, its context, and the invoices' files."""

    customer: Customer
    template: str
    context: Mapping[str, object]
    documents: tuple[str, ...] = ()  # the Document column of the invoices listed


@dataclass(frozen=True, slots=True)
class WrittenLetter:
    customer: Customer
    template: str
    path: Path
    subject: str
    context: Mapping[str, object] = field(repr=False)
    documents: tuple[str, ...] = ()


def prepare_letter(
    settings: Settings,
    customer: Customer,
    items: Sequence[tuple[Invoice, InvoiceStatus]],
    *,
    template: str,
    as_of: date,
    stage: str = "",
    holidays: Container[date] | None = None,
    aging_row: AgingRow | None = None,
    aging_labels: Sequence[str] | None = None,
    plan: PlanTerms | None = None,
    governing_law: str = "",
) -> Letter:
    """A :class:`Letter` with its context built (see :func:`build_context` for the arguments)."""
    context = build_context(
        settings, customer, items, template=template, as_of=as_of, stage=stage,
        holidays=holidays, aging_row=aging_row, aging_labels=aging_labels, plan=plan,
        governing_law=governing_law)
    docs = tuple(inv.document.strip() for inv, _ in items if inv.document and inv.document.strip())
    return Letter(customer, template, context, docs)


# --- folders and file names -------------------------------------------------------------------

_WINDOWS_RESERVED = {
    "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
    *(f"COM{c}" for c in "0123456789¹²³"), *(f"LPT{c}" for c in "0123456789¹²³"),
}
# Path separators, characters Windows refuses, controls, and bidi overrides (which can make
# "abc\u202ecod.exe" display as "abcexe.doc").
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]+')


def safe_filename(text: str, *, max_bytes: int = 120, fallback: str = "letter") -> str:
    """A file name stem that stays in its folder on every system.

    Slashes, ``..``, control characters and the characters Windows refuses become ``_``; leading
    and trailing dots and spaces go; Windows device names (CON, NUL, COM1, ...) get a ``_`` in
    front; the result is cut to ``max_bytes`` of UTF-8 on a character boundary.
    """
    name = unicodedata.normalize("NFC", str(text))
    name = _UNSAFE.sub("_", name)
    name = " ".join(name.split())
    name = re.sub(r"\.{2,}", ".", name)
    name = name.strip(" .")
    encoded = name.encode("utf-8")
    if len(encoded) > max_bytes:
        name = encoded[:max_bytes].decode("utf-8", errors="ignore").rstrip(" .")
    if not name or set(name) <= {"_"}:
        name = fallback
    if name.split(".")[0].strip().upper() in _WINDOWS_RESERVED:
        name = "_" + name
    return name


def letter_stem(customer: Customer, template: str) -> str:
    who = f"{customer.id} {customer.name}".strip() if customer.name else customer.id
    return safe_filename(f"{who} - {template}")


def letters_dir(settings: Settings, as_of: date,
                base_dir: str | os.PathLike | None = None) -> Path:
    """``<Letters Folder>/<as_of>/``; a relative Letters Folder is relative to ``base_dir``."""
    folder = Path((settings.letters_folder or "").strip() or "letters").expanduser()
    if not folder.is_absolute():
        folder = Path(base_dir or ".") / folder
    return folder / as_of.isoformat()


def ensure_writable(folder: Path) -> Path:
    """Create ``folder`` and check a file can be written there, or raise a clear LetterError."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".~arsheets-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except FileExistsError:
        raise _unwritable(folder, "a file of that name is in the way") from None
    except PermissionError:
        raise _unwritable(folder, "permission denied") from None
    except OSError as exc:
        raise _unwritable(folder, exc.strerror or str(exc)) from None
    return folder


def _unwritable(folder: Path, reason: str) -> LetterError:
    return LetterError(problem_at(
        str(folder), f"cannot write letters here: {reason}",
        "check the folder's permissions and that the disk is not full or read-only, or set "
        "Letters Folder in Settings to a folder you can write to"))


def reserve_paths(folder: Path, stems: Sequence[str], suffix: str = ".docx") -> list[Path]:
    """One new, empty file per stem; a name already taken gets `` (2)``, `` (3)``, ...

    Names are compared ignoring case (as Windows and macOS do), and each file is created
    exclusively, so two runs at once cannot claim the same name and nothing is overwritten.
    """
    taken = {n.casefold() for n in os.listdir(folder)}
    paths = []
    for stem in stems:
        n = 1
        while True:
            name = f"{stem}{suffix}" if n == 1 else f"{stem} ({n}){suffix}"
            n += 1
            if name.casefold() in taken:
                continue
            try:
                with open(folder / name, "xb"):
                    pass
            except FileExistsError:
                taken.add(name.casefold())
                continue
            except OSError as exc:
                raise _unwritable(folder, exc.strerror or str(exc)) from None
            taken.add(name.casefold())
            paths.append(folder / name)
            break
    return paths


def write_letters(
    letters: Sequence[Letter],
    settings: Settings,
    as_of: date,
    *,
    base_dir: str | os.PathLike | None = None,
    folder: str | os.PathLike | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[WrittenLetter]:
    """Render each letter to its own .docx in ``<Letters Folder>/<as_of>/`` (or ``folder``).

    Every template is found, compiled and checked against the field documentation before the
    folder is created or anything is written. ``base_dir`` is the workbook's folder, which relative
    Letters / Templates Folders and invoice Document paths are taken from.
    """
    if not letters:
        return []
    templates = {name: find_template(name, settings, base_dir)
                 for name in dict.fromkeys(letter.template for letter in letters)}
    for path in templates.values():
        load_template(path)  # raises TemplateFieldError listing every unknown field
    out_dir = Path(folder) if folder is not None else letters_dir(settings, as_of, base_dir)
    ensure_writable(out_dir)
    paths = reserve_paths(out_dir, [letter_stem(lt.customer, lt.template) for lt in letters])
    jobs = [RenderJob(templates[lt.template], lt.context, p, reserved=True)
            for lt, p in zip(letters, paths, strict=True)]
    try:
        rendered = render_jobs(jobs, workers=workers, progress=progress)
    except BaseException:
        # All or nothing: no letter may exist that the caller will not log as sent.
        for p in paths:
            try:
                p.unlink()
            except OSError:
                pass
        raise
    return [WrittenLetter(lt.customer, lt.template, r.output, r.subject, lt.context,
                          lt.documents) for lt, r in zip(letters, rendered, strict=True)]


# --- merge for printing -----------------------------------------------------------------------


def merge_letters(paths: Sequence[str | os.PathLike], output: str | os.PathLike) -> Path:
    """All letters in one .docx for printing, each starting on a new page."""
    from docx import Document
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docxcompose.composer import Composer

    if not paths:
        raise LetterError(problem_at(str(output), "there are no letters to merge"))
    composer = Composer(Document(str(paths[0])))
    for path in paths[1:]:
        doc = Document(str(path))
        body = doc.element.body
        first = body[0] if len(body) else None
        if first is None or first.tag != qn("w:p"):
            first = OxmlElement("w:p")
            body.insert(0, first)
        p_pr = first.get_or_add_pPr()
        p_pr.insert(0, OxmlElement("w:pageBreakBefore"))
        composer.append(doc)
    output = Path(output)
    tmp = output.with_name(f".~{output.name}")
    composer.save(str(tmp))
    os.replace(tmp, output)
    return output


# --- PDF through LibreOffice ------------------------------------------------------------------

_SOFFICE_PLACES = (
    r"C:\Program Files\LibreOffice\program\soffice.exe",
    r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
)

INSTALL_LIBREOFFICE = (
    "install LibreOffice: on Debian/Ubuntu `sudo apt-get install libreoffice-writer-nogui`, "
    "on Fedora `sudo dnf install libreoffice-writer`, on macOS `brew install --cask libreoffice`, "
    "on Windows from https://www.libreoffice.org/download/ (or set ARSHEETS_SOFFICE to the "
    "soffice program)"
)


def find_soffice() -> str:
    """The LibreOffice program, or a DeliveryError saying how to install it."""
    own = os.environ.get("ARSHEETS_SOFFICE")
    if own:
        if Path(own).is_file():
            return own
        raise DeliveryError(problem_at("ARSHEETS_SOFFICE", f"{own!r} does not exist",
                                       INSTALL_LIBREOFFICE))
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for place in _SOFFICE_PLACES:
        if Path(place).is_file():
            return place
    raise DeliveryError(problem_at(
        "PDF", "LibreOffice is not installed (no soffice program found), so letters cannot be "
        "converted to PDF", INSTALL_LIBREOFFICE))


def convert_to_pdf(paths: Sequence[str | os.PathLike], outdir: str | os.PathLike | None = None,
                   *, timeout: float = 600) -> list[Path]:
    """Convert .docx letters to PDF with one LibreOffice run per output folder.

    PDFs go to ``outdir``, else beside each letter. LibreOffice runs headless with a private,
    throw-away profile, so conversions running at the same time (or an open LibreOffice) do not
    block each other.
    """
    if not paths:
        return []
    soffice = find_soffice()
    sources = [Path(p).resolve() for p in paths]
    groups: dict[Path, list[Path]] = {}
    for src in sources:
        groups.setdefault(Path(outdir).resolve() if outdir else src.parent, []).append(src)
    results: dict[Path, Path] = {}
    for target, files in groups.items():
        target.mkdir(parents=True, exist_ok=True)
        profile = Path(tempfile.mkdtemp(prefix="arsheets-lo-"))
        started = time.time()
        cmd = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
               "--invisible", "--norestore", "--nolockcheck", "--nodefault",
               "--convert-to", "pdf", "--outdir", str(target), *map(str, files)]
        try:
            proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise DeliveryError(problem_at(
                "PDF", f"LibreOffice did not finish converting {len(files)} letters within "
                f"{timeout:.0f} s")) from None
        except OSError as exc:
            raise DeliveryError(problem_at("PDF", f"LibreOffice could not be started: {exc}",
                                           INSTALL_LIBREOFFICE)) from None
        finally:
            shutil.rmtree(profile, ignore_errors=True)
        missing = []
        for src in files:
            pdf = target / (src.stem + ".pdf")
            if pdf.is_file() and pdf.stat().st_mtime >= started - 2:
                results[src] = pdf
            else:
                missing.append(src.name)
        if missing:
            detail = (proc.stderr or proc.stdout or b"").decode("utf-8", "replace").strip()
            raise DeliveryError(problem_at(
                "PDF", f"LibreOffice did not convert {', '.join(missing)}"
                + (f": {detail[-500:]}" if detail else f" (exit code {proc.returncode})"),
                "open the letter in Word or LibreOffice to check it, and close LibreOffice "
                "windows that may hold it"))
    return [results[src] for src in sources]


# --- e-mail -----------------------------------------------------------------------------------

_ADDR = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
# control characters, and the Unicode line breaks (NEL, LINE and PARAGRAPH SEPARATOR) that a mail
# client may show as a new line
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _check_address(addr: str, who: str, where: Where) -> str:
    if _CONTROL.search(addr):
        raise DeliveryError(Problem(where, f"{who}: the e-mail address {addr!r} contains a line "
                                    "break or control character and was refused",
                                    "correct the Email cell; it should hold only the address"))
    addr = addr.strip()
    if not _ADDR.match(addr):
        raise DeliveryError(Problem(where, f"{who}: {addr!r} is not a valid e-mail address",
                                    "write it like name@example.com; separate several with ;"))
    return addr


def _check_name(name: str, who: str, where: Where) -> str:
    if _CONTROL.search(name):
        raise DeliveryError(Problem(where, f"{who}: the name {name!r} contains a line break or "
                                    "control character and cannot go in an e-mail header",
                                    "put the name on one line"))
    return name.strip()


def recipients(customer: Customer) -> list[Address]:
    """The customer's Email (several may be separated by ; or ,), the first one carrying the AP
    Contact's name, else the Contact's. Refuses anything that could inject a header."""
    where = customer_where(customer)
    who = f"customer {customer.id}"
    raw = customer.email or ""
    if not raw.strip():
        raise DeliveryError(Problem(where, f"{who} has no Email", "fill in the Email column, or "
                                    "set Channel to Mail"))
    if _CONTROL.search(raw.strip()):
        _check_address(raw, who, where)
    name = _check_name(customer.ap_contact or customer.contact or "", who, where)
    addrs = [_check_address(a, who, where) for a in re.split(r"[;,]", raw) if a.strip()]
    out = []
    for i, addr in enumerate(addrs):
        local, _, domain = addr.rpartition("@")
        out.append(Address(display_name=name if i == 0 else "", username=local, domain=domain))
    return out


def sender(settings: Settings) -> Address:
    where = Where("Settings")
    addr = _check_address(settings.company_email or "", "Company Email", where) \
        if (settings.company_email or "").strip() else None
    if addr is None:
        raise DeliveryError(Problem(where, "Company Email is blank; e-mailed letters are sent "
                                    "from it", "fill in Company Email on the Settings sheet"))
    name = _check_name(settings.company_name or "", "Company Name", where)
    local, _, domain = addr.rpartition("@")
    return Address(display_name=name, username=local, domain=domain)


@dataclass(frozen=True, slots=True)
class EmailDraft:
    customer_id: str
    message: EmailMessage
    missing_documents: tuple[str, ...] = ()  # invoice Document files that were not found


_PLAN_TEMPLATES = {"payment_plan_agreement", "promissory_note"}
_BEFORE_DUE = {"courtesy_reminder", "satisfaction_check"}


def email_body(letter: WrittenLetter) -> str:
    """A short plain-text note to go with the attached letter."""
    ctx = letter.context
    company, customer, totals = ctx["company"], ctx["customer"], ctx["totals"]
    lines = [f"Dear {customer['attention'] or 'Sir or Madam'},", ""]
    if letter.template in _PLAN_TEMPLATES:
        lines.append("Please find attached the document we discussed. Please read it, sign it "
                     "and return a copy to us.")
    else:
        lines.append(f"Please find attached our letter of {ctx['letter_date']} about your account "
                     f"{customer['id']}" + (f" (invoice {ctx['invoice_numbers']})"
                                            if ctx["invoice_numbers"] else "") + ".")
        if letter.template in _BEFORE_DUE:
            if ctx["earliest_due_date"]:
                lines += ["", f"Amount: {totals['amount_due']}, due on "
                              f"{ctx['earliest_due_date']}."]
        elif ctx["invoices"]:
            lines += ["", f"Amount due: {totals['amount_due']}, by {ctx['pay_by']}."]
    contact = " or call us on " + company["phone"] if company["phone"] else ""
    lines += ["", f"If you have any questions, please reply to this e-mail{contact}.", "",
              "Kind regards,", ""]
    lines += [x for x in (company["signatory"], company["signatory_title"], company["name"]) if x]
    return "\n".join(lines) + "\n"


def _resolve_document(doc: str, base_dir: str | os.PathLike | None) -> Path:
    p = Path(doc.strip().strip('"')).expanduser()
    return p if p.is_absolute() else Path(base_dir or ".") / p


def _attach(msg: EmailMessage, path: Path) -> None:
    ctype, encoding = mimetypes.guess_type(path.name)
    if path.suffix.lower() == ".docx":
        ctype = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    if ctype is None or encoding is not None:
        ctype = "application/octet-stream"
    maintype, subtype = ctype.split("/", 1)
    msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype,
                       filename=path.name)


def build_email(letter: WrittenLetter, settings: Settings, *,
                attachment: str | os.PathLike | None = None,
                base_dir: str | os.PathLike | None = None,
                when: float | None = None) -> EmailDraft:
    """An e-mail for a written letter: To the customer, From the Company Email, the letter (or
    ``attachment``, e.g. its PDF) attached, and each invoice's Document file when it exists."""
    to = recipients(letter.customer)
    msg = EmailMessage()
    from_addr = sender(settings)
    msg["From"] = from_addr
    msg["To"] = to
    subject = one_line(letter.subject) or one_line(
        f"{settings.company_name}: your account {letter.customer.id}")
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.fromtimestamp(when or time.time()).astimezone())
    msg["Message-ID"] = make_msgid(domain=from_addr.domain)
    msg.set_content(email_body(letter))
    _attach(msg, Path(attachment) if attachment else letter.path)
    missing = []
    for doc in dict.fromkeys(letter.documents):
        path = _resolve_document(doc, base_dir)
        if path.is_file():
            _attach(msg, path)
        else:
            missing.append(doc)
    return EmailDraft(letter.customer.id, msg, tuple(missing))


def write_eml(draft: EmailDraft | EmailMessage, path: str | os.PathLike) -> Path:
    """Save an e-mail as an .eml draft (marked unsent, so Outlook opens it ready to send)."""
    msg = draft.message if isinstance(draft, EmailDraft) else draft
    if "X-Unsent" not in msg:
        msg["X-Unsent"] = "1"
    path = Path(path)
    tmp = path.with_name(f".~{path.name}")
    tmp.write_bytes(msg.as_bytes(policy=SMTP_POLICY))
    os.replace(tmp, path)
    return path


def write_drafts(letters: Sequence[WrittenLetter], settings: Settings, *,
                 base_dir: str | os.PathLike | None = None,
                 prefer_pdf: bool = True) -> list[tuple[Path, EmailDraft]]:
    """An .eml draft beside each letter (attaching its PDF when one has been made).

    Every e-mail is built first, so an invalid address stops the batch before any draft is
    written, with a message naming the customer.
    """
    drafts = []
    for letter in letters:
        pdf = letter.path.with_suffix(".pdf")
        attachment = pdf if prefer_pdf and pdf.is_file() else None
        drafts.append((letter, build_email(letter, settings, attachment=attachment,
                                           base_dir=base_dir)))
    return [(write_eml(d, lt.path.with_suffix(".eml")), d) for lt, d in drafts]


# --- SMTP -------------------------------------------------------------------------------------

SMTP_ENV = ("ARSHEETS_SMTP_HOST", "ARSHEETS_SMTP_PORT", "ARSHEETS_SMTP_USER",
            "ARSHEETS_SMTP_PASSWORD", "ARSHEETS_SMTP_SECURITY", "ARSHEETS_SMTP_FROM")
_DEFAULT_PORT = {"starttls": 587, "ssl": 465, "none": 25}


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    security: str = "starttls"  # starttls | ssl | none
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str | None = None  # envelope and From address when the server requires its own

    def describe(self) -> str:
        """For the confirmation prompt: where mail goes, never the password."""
        who = f" as {self.user}" if self.user else ""
        return f"{self.host}:{self.port} ({self.security}){who}"


def _env_problem(var: str, message: str, hint: str = "") -> DeliveryError:
    return DeliveryError(problem_at(var, message, hint))


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def smtp_config_from_env(env: Mapping[str, str] | None = None) -> SmtpConfig:
    """SMTP settings from ARSHEETS_SMTP_HOST, _PORT, _USER, _PASSWORD, _SECURITY, _FROM."""
    env = os.environ if env is None else env
    get = lambda k: (env.get(k) or "").strip()  # noqa: E731
    host = get("ARSHEETS_SMTP_HOST")
    if not host:
        raise _env_problem("ARSHEETS_SMTP_HOST", "is not set, so e-mail cannot be sent",
                           "set ARSHEETS_SMTP_HOST (and _PORT, _USER, _PASSWORD, _SECURITY) to "
                           "your mail provider's SMTP server, or write .eml drafts instead")
    security = get("ARSHEETS_SMTP_SECURITY").lower() or "starttls"
    if security not in _DEFAULT_PORT:
        raise _env_problem("ARSHEETS_SMTP_SECURITY", f"{security!r} is not starttls, ssl or none")
    port_text = get("ARSHEETS_SMTP_PORT")
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise _env_problem("ARSHEETS_SMTP_PORT", f"{port_text!r} is not a port number",
                               "usually 587 (starttls), 465 (ssl) or 25")
        port = int(port_text)
    else:
        port = _DEFAULT_PORT[security]
    user = get("ARSHEETS_SMTP_USER") or None
    password = env.get("ARSHEETS_SMTP_PASSWORD") or None
    if password and not user:
        raise _env_problem("ARSHEETS_SMTP_USER", "is not set but ARSHEETS_SMTP_PASSWORD is")
    if user and security == "none" and not _is_loopback(host):
        raise _env_problem("ARSHEETS_SMTP_SECURITY", "is none, which would send the SMTP "
                           f"password to {host} unencrypted", "use starttls or ssl")
    from_addr = get("ARSHEETS_SMTP_FROM") or None
    if from_addr:
        _check_address(from_addr, "ARSHEETS_SMTP_FROM", InFile(path="ARSHEETS_SMTP_FROM"))
    return SmtpConfig(host, port, security, user, password, from_addr)


@dataclass(frozen=True, slots=True)
class SendResult:
    customer_id: str
    recipients: tuple[str, ...]
    ok: bool
    error: str = ""


def send_emails(drafts: Sequence[EmailDraft], config: SmtpConfig | None = None, *,
                timeout: float = 60) -> list[SendResult]:
    """Send e-mails over one SMTP connection. The caller confirms with the user first.

    A refused message is reported in its :class:`SendResult` and the rest are still sent; a
    connection or login failure raises :class:`DeliveryError` before anything is sent.
    """
    config = config or smtp_config_from_env()
    context = ssl.create_default_context()
    try:
        if config.security == "ssl":
            server: smtplib.SMTP = smtplib.SMTP_SSL(config.host, config.port, timeout=timeout,
                                                   context=context)
        else:
            server = smtplib.SMTP(config.host, config.port, timeout=timeout)
        server.ehlo()
        if config.security == "starttls":
            server.starttls(context=context)
            server.ehlo()
        if config.user:
            server.login(config.user, config.password or "")
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(problem_at("ARSHEETS_SMTP_USER", f"the SMTP server refused the login "
                                       f"for {config.user}: {_smtp_text(exc)}",
                                       "check ARSHEETS_SMTP_USER and ARSHEETS_SMTP_PASSWORD (many "
                                       "providers need an app password)")) from None
    except (smtplib.SMTPException, OSError, ssl.SSLError, socket.timeout) as exc:
        raise DeliveryError(problem_at("ARSHEETS_SMTP_HOST", f"cannot connect to "
                                       f"{config.describe()}: {exc}",
                                       "check ARSHEETS_SMTP_HOST, _PORT and _SECURITY")) from None
    results = []
    try:
        for draft in drafts:
            msg = draft.message
            if config.sender:
                if "Reply-To" not in msg:
                    msg["Reply-To"] = msg["From"]
                del msg["From"]
                msg["From"] = config.sender
            if "X-Unsent" in msg:
                del msg["X-Unsent"]
            to = tuple(a.addr_spec for a in msg["To"].addresses)
            try:
                refused = server.send_message(msg, from_addr=config.sender or
                                              msg["From"].addresses[0].addr_spec, to_addrs=to)
            except smtplib.SMTPRecipientsRefused as exc:
                results.append(SendResult(draft.customer_id, to, False, "refused: " + ", ".join(
                    f"{a} ({_smtp_text(e)})" for a, e in exc.recipients.items())))
                continue
            except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                results.append(SendResult(draft.customer_id, to, False, _smtp_text(exc)))
                continue
            if refused:
                results.append(SendResult(draft.customer_id, to, True, "some recipients refused: "
                                          + ", ".join(refused)))
            else:
                results.append(SendResult(draft.customer_id, to, True))
    except (smtplib.SMTPServerDisconnected, OSError) as exc:
        for draft in drafts[len(results):]:
            results.append(SendResult(draft.customer_id, (), False,
                                      f"not sent, the connection was lost: {exc}"))
    finally:
        try:
            server.quit()
        except (smtplib.SMTPException, OSError):
            pass
    return results


def _smtp_text(exc: Exception) -> str:
    if isinstance(exc, tuple) and len(exc) == 2:
        code, text = exc
    else:
        code, text = getattr(exc, "smtp_code", ""), getattr(exc, "smtp_error", exc)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()


__all__ = [
    "EmailDraft", "Letter", "SendResult", "SmtpConfig", "WrittenLetter", "build_email",
    "convert_to_pdf", "email_body", "ensure_writable", "find_soffice", "letter_stem",
    "letters_dir", "merge_letters", "prepare_letter", "recipients", "reserve_paths",
    "safe_filename", "send_emails", "sender", "smtp_config_from_env", "write_drafts", "write_eml",
    "write_letters",
]
