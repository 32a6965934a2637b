#!/usr/bin/env python
"""Large synthetic workbooks, fast: the records of ``demo.synthetic_book`` written as Excel would
store them (shared strings), without holding a sheet in memory.

    python benchmarks/bigbook.py 1000000                 # -> benchmarks/out/big-1000000i-....xlsx
    python benchmarks/bigbook.py 10000 --verify          # also build it with XlsxWriter and compare

XlsxWriter in normal mode (shared strings) keeps every cell of a sheet in memory, which for a
million invoices and a million payments takes gigabytes and minutes; its constant_memory mode writes
inline strings, which is not how Excel stores text. So the workbook is made in two steps:

1. ``build_workbook`` writes the skeleton: the same settings, styles, tables, validations,
   conditional formats and comments, with empty data sheets;
2. each data sheet's rows are generated from the records, cell by cell as XlsxWriter's normal mode
   writes them (the column's style, numbers as ``%.16G``, text as shared-string indexes, the same
   escaping, ``spans`` per block of 16 rows), streamed into the zip; the tables' ranges, the
   ``<dimension>`` and the shared-strings part follow.

``--verify`` builds the same book with ``build_workbook`` in normal mode and compares every cell of
every sheet (python-calamine) and the table ranges: the files differ only in the order of the
shared strings.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
import time
import zipfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from xlsxwriter.utility import xl_col_to_name  # noqa: E402

from arsheets.demo import synthetic_book  # noqa: E402
from arsheets.model import Book  # noqa: E402
from arsheets.workbook import schema  # noqa: E402
from arsheets.workbook.template import GETTERS, _cell_value, build_workbook  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
AS_OF = date(2024, 6, 28)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

# XlsxWriter's escaping of shared strings (xmlwriter / sharedstrings)
_CONTROL_1 = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_CONTROL_2 = re.compile(r"([\x00-\x08\x0b-\x1f])")
_XML_ESCAPES = re.compile('["&<>\n]')


def _si(text: str) -> str:
    text = _CONTROL_1.sub(r"_x005F\1", text)
    text = _CONTROL_2.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
    text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    attr = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"<si><t{attr}>{text}</t></si>"


def default_path(invoices: int, customers: int, payments: int) -> Path:
    return OUT / f"big-{invoices}i-{customers}c-{payments}p-{AS_OF:%Y%m%d}.xlsx"


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> worksheet part, from workbook.xml and its rels."""
    wb = zf.read("xl/workbook.xml").decode()
    rels = zf.read("xl/_rels/workbook.xml.rels").decode()
    targets = dict(re.findall(r'<Relationship Id="([^"]+)" Type="[^"]+" Target="([^"]+)"', rels))
    out = {}
    for name, rid in re.findall(r'<sheet name="([^"]+)" sheetId="\d+" r:id="([^"]+)"', wb):
        out[name] = "xl/" + targets[rid].lstrip("/").removeprefix("xl/")
    return out


def _table_part(zf: zipfile.ZipFile, sheet_part: str) -> str | None:
    folder, name = sheet_part.rsplit("/", 1)
    rels = f"{folder}/_rels/{name}.rels"
    if rels not in zf.namelist():
        return None
    m = re.search(r'Type="[^"]+/table" Target="\.\./tables/([^"]+)"', zf.read(rels).decode())
    return f"xl/tables/{m.group(1)}" if m else None


class _Strings:
    """The shared-string table: the skeleton's strings first, then each new one once."""

    def __init__(self, sst_xml: bytes):
        self.head = sst_xml[:sst_xml.index(b"<si>")] if b"<si>" in sst_xml else None
        self.items = re.findall(rb"<si>.*?</si>", sst_xml, re.S)
        m = re.search(rb'count="(\d+)"', sst_xml)
        self.count = int(m.group(1)) if m else 0
        self.index: dict[str, int] = {}
        self.new: list[str] = []

    def __call__(self, text: str) -> int:
        self.count += 1
        k = self.index.get(text)
        if k is None:
            k = self.index[text] = len(self.items) + len(self.new)
            self.new.append(text)
        return k

    def xml(self) -> bytes:
        unique = len(self.items) + len(self.new)
        head = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://'
                b'schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">'
                % (self.count, unique))
        return head + b"".join(self.items) + "".join(map(_si, self.new)).encode() + b"</sst>"


def _rows(spec: schema.SheetSpec, records, styles: dict[int, int], strings: _Strings,
          ncols: int):
    """The sheet's data rows as XML text, a block of 16 rows at a time, as XlsxWriter writes
    them; block 0 holds the header row (already written), so its span covers every column."""
    getters = GETTERS[spec.name]
    plan = []
    for i, col in enumerate(spec.columns):
        if col.owned:
            continue
        s = styles.get(i)
        attr = f' s="{s}"' if s else ""
        plan.append((i, xl_col_to_name(i), attr, getters[col.name], col.kind))
    block: list[tuple[int, list[str]]] = []
    lo: int | None = 0
    hi: int | None = ncols - 1  # block 0 holds the header row
    for row0, record in enumerate(records, start=1):
        cells = []
        for i, letters, attr, get, kind in plan:
            value = _cell_value(get(record), kind)
            if value is None:
                continue
            if isinstance(value, str):
                cells.append(f'<c r="{letters}{row0 + 1}"{attr} t="s"><v>{strings(value)}</v></c>')
            else:
                cells.append(f'<c r="{letters}{row0 + 1}"{attr}><v>{value:.16G}</v></c>')
            lo = i if lo is None else min(lo, i)
            hi = i if hi is None else max(hi, i)
        block.append((row0, cells))
        if (row0 + 1) % 16 == 0:
            yield _block_xml(block, lo, hi)
            block, lo, hi = [], None, None
    if block:
        yield _block_xml(block, lo, hi)


def _block_xml(block, lo, hi) -> str:
    spans = f' spans="{lo + 1}:{hi + 1}"' if lo is not None else ""
    return "".join(f'<row r="{row0 + 1}"{spans}>{"".join(cells)}</row>'
                   for row0, cells in block if cells)


def build_big(path: Path, invoices: int, customers: int, payments: int,
              as_of: date = AS_OF) -> dict:
    """Write the synthetic book to ``path``; returns timings."""
    started = time.perf_counter()
    book, settings = synthetic_book(invoices, customers, payments, as_of)
    made = time.perf_counter()
    skeleton = io.BytesIO()
    build_workbook(skeleton, Book(settings=book.settings), settings)
    records = {schema.INVOICES.name: book.invoices, schema.CUSTOMERS.name: book.customers,
               schema.PAYMENTS.name: book.payments, schema.ACTIVITY.name: book.activities,
               schema.PLANS.name: book.plans}
    tmp = path.with_name(path.name + ".part")
    with zipfile.ZipFile(skeleton) as src:
        parts = _sheet_parts(src)
        strings = _Strings(src.read("xl/sharedStrings.xml"))
        by_part = {parts[spec.name]: spec for spec in schema.DATA_SHEETS if records[spec.name]}
        tables = {}
        for part, spec in by_part.items():
            table = _table_part(src, part)
            if table:
                tables[table] = len(records[spec.name]) + 1
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as out:
            for info in src.infolist():
                name = info.filename
                target = zipfile.ZipInfo(name, ZIP_TIME)
                target.compress_type = zipfile.ZIP_DEFLATED
                if name == "xl/sharedStrings.xml":
                    continue  # written last, once every sheet has added its strings
                if name in by_part:
                    spec = by_part[name]
                    recs = records[spec.name]
                    xml = src.read(name).decode()
                    styles: dict[int, int] = {}  # column (0-based) -> its default style
                    for a, b, s in re.findall(r'<col min="(\d+)" max="(\d+)"[^>]*? style="(\d+)"',
                                              xml):
                        for c in range(int(a) - 1, int(b)):
                            styles[c] = int(s)
                    ncols = len(spec.columns)
                    last = f"{xl_col_to_name(ncols - 1)}{len(recs) + 1}"
                    xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{last}"/>', xml)
                    head, tail = xml.split("</sheetData>")
                    with out.open(target, "w", force_zip64=True) as fh:
                        fh.write(head.encode())
                        buf: list[str] = []
                        size = 0
                        for chunk in _rows(spec, recs, styles, strings, ncols):
                            buf.append(chunk)
                            size += len(chunk)
                            if size > 1 << 20:
                                fh.write("".join(buf).encode())
                                buf, size = [], 0
                        fh.write("".join(buf).encode())
                        fh.write(b"</sheetData>" + tail.encode())
                    continue
                data = src.read(name)
                if name in tables:
                    text = data.decode()
                    text = re.sub(r'(<(?:table|autoFilter)\b[^>]*? ref="[A-Z]+1:[A-Z]+)\d+"',
                                  lambda m: f'{m.group(1)}{tables[name]}"', text)
                    data = text.encode()
                out.writestr(target, data)
            target = zipfile.ZipInfo("xl/sharedStrings.xml", ZIP_TIME)
            target.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(target, strings.xml())
    os.replace(tmp, path)
    return {"records": made - started, "seconds": time.perf_counter() - made}


def verify(invoices: int, customers: int, payments: int) -> None:
    """Build the book both ways and compare every cell and the table ranges."""
    from python_calamine import CalamineWorkbook
    OUT.mkdir(parents=True, exist_ok=True)
    fast = OUT / f"verify-fast-{invoices}.xlsx"
    slow = OUT / f"verify-xlsxwriter-{invoices}.xlsx"
    build_big(fast, invoices, customers, payments)
    book, settings = synthetic_book(invoices, customers, payments, AS_OF)
    build_workbook(slow, book, settings)
    a, b = CalamineWorkbook.from_path(str(fast)), CalamineWorkbook.from_path(str(slow))
    assert a.sheet_names == b.sheet_names, (a.sheet_names, b.sheet_names)
    for name in a.sheet_names:
        ra, rb = a.get_sheet_by_name(name).to_python(), b.get_sheet_by_name(name).to_python()
        assert ra == rb, f"sheet {name} differs"
    with zipfile.ZipFile(fast) as za, zipfile.ZipFile(slow) as zb:
        assert sorted(za.namelist()) == sorted(zb.namelist())
        for name in za.namelist():
            if name.startswith("xl/tables/") or name.startswith("xl/worksheets/sheet"):
                ta, tb = za.read(name), zb.read(name)
                if name.startswith("xl/tables/"):
                    assert ta == tb, f"{name} differs"
                else:  # the same but for shared-string indexes
                    strip = re.compile(rb'(t="s"><v>)\d+')
                    assert strip.sub(rb"\1", ta) == strip.sub(rb"\1", tb), f"{name} differs"
    fast.unlink()
    slow.unlink()
    print(f"verified: {invoices:,} invoices, every cell and table range as XlsxWriter writes them")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("invoices", type=int)
    ap.add_argument("--customers", type=int, default=20_000)
    ap.add_argument("--payments", type=int, default=None, help="default: as many as invoices")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--verify", action="store_true",
                    help="also build it with XlsxWriter (normal mode) and compare")
    args = ap.parse_args()
    payments = args.invoices if args.payments is None else args.payments
    if args.verify:
        verify(args.invoices, args.customers, payments)
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    path = args.out or default_path(args.invoices, args.customers, payments)
    took = build_big(path, args.invoices, args.customers, payments)
    print(f"{path}: records {took['records']:.1f} s, XML {took['seconds']:.1f} s, "
          f"{path.stat().st_size / 2**20:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
