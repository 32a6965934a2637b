"""Shared data and helpers for the letters tests (no tests here).

Records are built in code; ``SmtpSink`` is a minimal SMTP server on 127.0.0.1 (``smtpd`` is gone
from Python 3.12) that records what it is sent.
"""

from __future__ import annotations

import base64
import socketserver
import threading
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import docx

from arsheets.letters.context import PlanTerms, ScheduleRow
from arsheets.model import Customer, Invoice, InvoiceStatus, Settings, Status

D = Decimal
AS_OF = date(2024, 3, 18)  # a Monday

SETTINGS = Settings(
    company_name="Bright Widgets LLC",
    company_address="400 Market Street\nSuite 12\nSpringfield, IL 62701",
    company_phone="(555) 010-7788",
    company_email="accounts@brightwidgets.example",
    signatory="Dana Reyes",
    signatory_title="Accounts Manager",
    holiday_country="US",
)

CUSTOMER = Customer(
    "C-104", "Acme Supplies", row=5, contact="Jane Smith", ap_contact="Raj Patel",
    email="ap@acme.example", address="12 High St\nUnit 4\nPeoria, IL 61602",
)


def invoice(num: str, amount: str, inv_date: date, due: date, paid: str = "0.00",
            fee: str = "0.00", days: int = 0, aging: str = "Current", document: str = "",
            description: str = "", customer: str = "C-104") -> tuple[Invoice, InvoiceStatus]:
    amt, pd, fe = D(amount), D(paid), D(fee)
    inv = Invoice(num, customer, inv_date, amt, due_date=due, description=description,
                  document=document)
    st = InvoiceStatus(num, 0, due, pd, amt - pd, days, aging, fe, None, amt - pd + fe,
                       Status.OVERDUE if days > 0 else Status.OPEN)
    return inv, st


def items() -> list[tuple[Invoice, InvoiceStatus]]:
    """Two overdue invoices: 1,234.50 with 200 paid and a 15.52 fee, and 800.00."""
    return [
        invoice("INV-1017", "800.00", date(2024, 2, 1), date(2024, 3, 2), days=16,
                aging="1-30"),
        invoice("INV-1001", "1234.50", date(2024, 1, 15), date(2024, 2, 14), paid="200.00",
                fee="15.52", days=33, aging="31-60", description="Widgets"),
    ]


def plan_terms(down: str = "230.00", rate: str = "0.085") -> PlanTerms:
    rows = (
        ScheduleRow(1, date(2024, 4, 18), D("1000.00"), D("7.08"), D("992.92"), D("1007.08")),
        ScheduleRow(2, date(2024, 5, 18), D("1014.21"), D("7.13"), D("1007.08"), D("0.00")),
    )
    return PlanTerms("P-7", D("2230.00"), D(down), 2, "Monthly", D(rate), D("14.21"),
                     D("2244.21"), rows, start_date=AS_OF, invoice_ids=("INV-1001", "INV-1017"))


def doc_text(path: str | Path) -> str:
    """All the text of a .docx: paragraphs, table cells (row by row, ' | ' between cells),
    footers; opening it with python-docx also proves the package is valid."""
    d = docx.Document(str(path))
    out = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            out.append(" | ".join(c.text for c in row.cells))
    for s in d.sections:
        out += [p.text for p in s.footer.paragraphs]
    return "\n".join(out)


def table_rows(path: str | Path, index: int = 0) -> list[list[str]]:
    d = docx.Document(str(path))
    return [[c.text for c in row.cells] for row in d.tables[index].rows]


# --- a loopback SMTP server ---------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_to: list[str]
    data: bytes


@dataclass
class SmtpSink:
    messages: list[Received] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    reject: tuple[str, ...] = ()  # recipients to refuse with 550

    def __enter__(self) -> SmtpSink:
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, text: str) -> None:
                self.wfile.write(text.encode() + b"\r\n")

            def handle(self) -> None:
                self.reply("220 sink ESMTP")
                mail_from, rcpt = "", []
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    cmd = line.decode("utf-8", "replace").rstrip("\r\n")
                    verb = cmd.split(" ", 1)[0].upper()
                    if verb == "EHLO":
                        self.reply("250-sink\r\n250-AUTH PLAIN\r\n250-8BITMIME\r\n250 SMTPUTF8")
                    elif verb == "HELO":
                        self.reply("250 sink")
                    elif verb == "AUTH":
                        parts = cmd.split()
                        _, user, password = base64.b64decode(parts[2]).decode().split("\0")
                        sink.logins.append((user, password))
                        self.reply("235 ok")
                    elif verb == "MAIL":
                        mail_from, rcpt = cmd[10:].strip().split()[0].strip("<>"), []
                        self.reply("250 ok")
                    elif verb == "RCPT":
                        addr = cmd[8:].strip().split()[0].strip("<>")
                        if addr in sink.reject:
                            self.reply("550 no such user")
                        else:
                            rcpt.append(addr)
                            self.reply("250 ok")
                    elif verb == "DATA":
                        self.reply("354 go ahead")
                        chunks = []
                        while True:
                            data = self.rfile.readline()
                            if data in (b".\r\n", b".\n", b""):
                                break
                            chunks.append(data[1:] if data.startswith(b"..") else data)
                        sink.messages.append(Received(mail_from, rcpt, b"".join(chunks)))
                        self.reply("250 queued")
                    elif verb in ("RSET", "NOOP"):
                        self.reply("250 ok")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("502 not implemented")

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,),
                                       daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


__all__ = ["AS_OF", "CUSTOMER", "D", "SETTINGS", "SmtpSink", "doc_text", "invoice", "items",
           "plan_terms", "replace", "table_rows"]
