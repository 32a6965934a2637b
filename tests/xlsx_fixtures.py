"""Fixture workbooks built in code.

- :func:`xlsx` writes any sheets with XlsxWriter, with shared strings (the default) or
  ``constant_memory`` inline strings, optional Excel tables, merged ranges, hidden rows and the 1904
  date system. Cell values: str, int, float, Decimal, date, datetime, bool, None (blank),
  :class:`Formula` (with or without a saved result) and :class:`Err`.
- :func:`contract_book` builds a valid arsheets workbook from a few dicts, for the reader's tests.
- :func:`raw_xlsx` and :func:`sheet_xml` write the XML parts directly with zipfile, for what
  XlsxWriter cannot make: namespace prefixes, rows and cells without ``r``, ``t="d"`` cells, rich text
  with phonetic runs, DOCTYPEs, custom number formats, odd shared strings.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

import xlsxwriter

from arsheets.workbook import schema


@dataclass(frozen=True)
class Formula:
    """A formula cell. ``value=None``: saved without a result (as a program that cannot calculate
    writes it)."""

    formula: str
    value: object = None


@dataclass(frozen=True)
class Err:
    """A formula whose saved result is an error value such as ``#N/A``."""

    code: str = "#N/A"


@dataclass
class Sheet:
    name: str
    rows: Sequence[Sequence[object]]  # row 1 first
    table: bool = False  # make the rows (first = headers) an Excel table
    table_at: tuple[int, int] = (1, 1)  # the table's top-left (row, col), 1-based; rows start there
    merges: Sequence[str] = ()  # e.g. "D3:D4"
    hidden_rows: Sequence[int] = ()  # 1-based
    first_row: int = 1  # the row the first of ``rows`` goes to


def xlsx(path: str | Path, sheets: Iterable[Sheet], *, constant_memory: bool = False,
         date1904: bool = False, date_format: str | int = "yyyy-mm-dd") -> Path:
    path = Path(path)
    options = {"constant_memory": constant_memory, "date_1904": date1904}
    wb = xlsxwriter.Workbook(str(path), options)
    dfmt = wb.add_format({"num_format": date_format})
    for sheet in sheets:
        ws = wb.add_worksheet(sheet.name)
        if sheet.table:
            r0, c0 = sheet.table_at
            ncols = max(len(r) for r in sheet.rows)
            headers = [str(h) for h in sheet.rows[0]] + [f"Column{i}" for i in
                                                         range(len(sheet.rows[0]), ncols)]
            last_row = r0 - 1 + max(len(sheet.rows) - 1, 1)
            ws.add_table(r0 - 1, c0 - 1, last_row, c0 - 1 + ncols - 1,
                         {"columns": [{"header": h} for h in headers],
                          "name": f"{sheet.name.replace(' ', '')}Table", "autofilter": False})
            start_row, start_col = r0, c0
        else:
            start_row, start_col = sheet.first_row, 1
        for i, row in enumerate(sheet.rows):
            for j, value in enumerate(row):
                _write(ws, start_row - 1 + i, start_col - 1 + j, value, dfmt)
        for ref in sheet.merges:
            ws.merge_range(ref, None)
        for r in sheet.hidden_rows:
            ws.set_row(r - 1, None, None, {"hidden": True})
    wb.close()
    return path


def _write(ws, r: int, c: int, value: object, dfmt) -> None:
    if value is None:
        return
    if isinstance(value, Formula):
        if value.value is None:
            ws.write_formula(r, c, value.formula, None, "")
        else:
            ws.write_formula(r, c, value.formula, None, value.value)
    elif isinstance(value, Err):
        ws.write_formula(r, c, "=NA()", None, value.code)
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value)
    elif isinstance(value, (date, datetime)):
        ws.write_datetime(r, c, value if isinstance(value, datetime)
                          else datetime(value.year, value.month, value.day), dfmt)
    elif isinstance(value, Decimal):
        ws.write_number(r, c, float(value))
    elif isinstance(value, (int, float)):
        ws.write_number(r, c, value)
    else:
        ws.write_string(r, c, str(value))


# --- the arsheets contract -------------------------------------------------------------------------

SPECS = {s.name: s for s in schema.DATA_SHEETS}


def data_rows(sheet: str, records: Iterable[Mapping[str, object]],
              headers: Sequence[str] | None = None) -> list[list[object]]:
    """Header row + one row per dict (keys are headers); headers default to the sheet's inputs."""
    heads = list(headers) if headers is not None else [c.name for c in SPECS[sheet].inputs]
    rows: list[list[object]] = [list(heads)]
    for rec in records:
        unknown = set(rec) - set(heads)
        assert not unknown, f"{sheet}: no header for {unknown}"
        rows.append([rec.get(h) for h in heads])
    return rows


def settings_rows(settings: Mapping[str, object] | None = None,
                  columns: Sequence[tuple[str, str, str]] | None = None,
                  ladder: Sequence[Sequence[object]] | None = None,
                  rates: Sequence[tuple[object, object]] | None = None) -> list[list[object]]:
    """A Settings sheet: Key | Value, then (each after a blank row) Columns, Ladder, Rates."""
    rows: list[list[object]] = [["Key", "Value"]]
    for k, v in (settings or {}).items():
        rows.append([k, v])
    if columns is not None:
        rows += [[], ["Sheet", "Header in workbook", "Means"], *[list(c) for c in columns]]
    if ladder is not None:
        rows += [[], ["Days", "Stage", "Action", "Template"], *[list(s) for s in ladder]]
    if rates is not None:
        rows += [[], ["Rate From", "Reference Rate"], *[list(r) for r in rates]]
    return rows


CUSTOMER = {"Customer": "C-01", "Name": "Acme Ltd", "Email": "ap@acme.test"}
INVOICE = {"Invoice": "INV-1", "Customer": "C-01", "Invoice Date": date(2024, 3, 1),
           "Amount": 100}


def contract_book(path: str | Path, *, customers: Sequence[Mapping] | None = None,
                  invoices: Sequence[Mapping] | None = None,
                  payments: Sequence[Mapping] | None = None,
                  activity: Sequence[Mapping] | None = None,
                  plans: Sequence[Mapping] | None = None,
                  settings: Mapping[str, object] | None = None,
                  columns: Sequence[tuple[str, str, str]] | None = None,
                  ladder: Sequence[Sequence[object]] | None = None,
                  rates: Sequence[tuple[object, object]] | None = None,
                  headers: Mapping[str, Sequence[str]] | None = None,
                  omit: Iterable[str] = (), extra: Iterable[Sheet] = (),
                  tables: bool = False, constant_memory: bool = False,
                  date1904: bool = False) -> Path:
    """A workbook in the contract's shape: one valid customer and invoice unless given."""
    headers = headers or {}
    omit = set(omit)
    content = {
        "Settings": settings_rows(settings, columns, ladder, rates)
        if (settings or columns or ladder or rates) else None,
        "Customers": [CUSTOMER] if customers is None else customers,
        "Invoices": [INVOICE] if invoices is None else invoices,
        "Payments": payments or [],
        "Activity": activity,
        "Plans": plans,
    }
    sheets = []
    for name, recs in content.items():
        if name in omit or recs is None:
            continue
        if name == "Settings":
            sheets.append(Sheet(name, recs))
        else:
            sheets.append(Sheet(name, data_rows(name, recs, headers.get(name)),
                                table=tables and not constant_memory))
    sheets.extend(extra)
    return xlsx(path, sheets, constant_memory=constant_memory, date1904=date1904)


# --- raw parts ----------------------------------------------------------------------------------------

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

# cellXfs: 0 General, 1 built-in 14 (m/d/yyyy), 2 custom dd/mm/yyyy, 3 custom '"Day "0' (a number),
# 4 elapsed [h]:mm (a duration), 5 built-in 22 (m/d/yyyy h:mm), 6 custom '[$-409]mmm d, yyyy',
# 7 built-in 10 (0.00%)
STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{NS}">
<numFmts count="4"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/>
<numFmt numFmtId="165" formatCode="&quot;Day &quot;0"/><numFmt numFmtId="166" formatCode="[h]:mm"/>
<numFmt numFmtId="167" formatCode="[$-409]mmm d, yyyy"/></numFmts>
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="1"><fill><patternFill patternType="none"/></fill></fills>
<borders count="1"><border/></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="8"><xf numFmtId="0" xfId="0"/><xf numFmtId="14" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="164" xfId="0" applyNumberFormat="1"/><xf numFmtId="165" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="166" xfId="0" applyNumberFormat="1"/><xf numFmtId="22" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="167" xfId="0" applyNumberFormat="1"/><xf numFmtId="10" xfId="0" applyNumberFormat="1"/>
</cellXfs></styleSheet>"""


def sheet_xml(rows: str, *, prefix: str = "", dimension: str | None = None,
              merges: Sequence[str] = (), doctype: str = "", tail: str = "") -> str:
    """A worksheet part around ``rows`` (the XML inside ``<sheetData>``). With a ``prefix``, every
    element is written as ``<prefix:name>``: write ``rows`` with ``{p}`` where the prefix goes."""
    p = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns:{prefix}="{NS}"' if prefix else f'xmlns="{NS}"'
    dim = f'<{p}dimension ref="{dimension}"/>' if dimension else ""
    merge = ""
    if merges:
        merge = (f'<{p}mergeCells count="{len(merges)}">'
                 + "".join(f'<{p}mergeCell ref="{m}"/>' for m in merges) + f"</{p}mergeCells>")
    body = rows.replace("{p}", p)
    data = f"<{p}sheetData>{body}</{p}sheetData>" if body else f"<{p}sheetData/>"
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{doctype}'
            f'<{p}worksheet {xmlns} xmlns:r="{NS_R}">{dim}{data}{merge}{tail}</{p}worksheet>')


def sst_xml(strings: Sequence[str], *, raw: Sequence[str] = ()) -> str:
    """A shared strings part: plain strings (escaped), then ``raw`` ``<si>`` inner XML as given."""
    items = [f"<si><t xml:space=\"preserve\">{escape(s)}</t></si>" for s in strings]
    items += [f"<si>{r}</si>" for r in raw]
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{NS}" '
            f'count="{len(items)}" uniqueCount="{len(items)}">' + "".join(items) + "</sst>")


def raw_xlsx(path: str | Path, sheets: Mapping[str, str], *, shared_strings: str | None = None,
             styles: str | None = STYLES, date1904: bool = False,
             tables: Mapping[str, Sequence[str]] | None = None) -> Path:
    """A package from XML parts. ``sheets``: name -> worksheet XML (see :func:`sheet_xml`);
    ``tables``: sheet name -> table part XMLs."""
    path = Path(path)
    tables = tables or {}
    ct = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
          '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">',
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
          'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>',
          '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
          'officedocument.spreadsheetml.sheet.main+xml"/>']
    wb_rels = []
    sheet_entries = []
    parts: dict[str, str] = {}
    n_table = 0
    for i, (name, xml) in enumerate(sheets.items(), 1):
        parts[f"xl/worksheets/sheet{i}.xml"] = xml
        ct.append(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                  'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
        wb_rels.append(f'<Relationship Id="rId{i}" Type="{REL}/worksheet" '
                       f'Target="worksheets/sheet{i}.xml"/>')
        sheet_entries.append(f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>')
        rels = []
        for t_xml in tables.get(name, ()):
            n_table += 1
            parts[f"xl/tables/table{n_table}.xml"] = t_xml
            rels.append(f'<Relationship Id="rIdT{n_table}" Type="{REL}/table" '
                        f'Target="../tables/table{n_table}.xml"/>')
        if rels:
            parts[f"xl/worksheets/_rels/sheet{i}.xml.rels"] = (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
                'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                + "".join(rels) + "</Relationships>")
    k = len(sheets)
    if shared_strings is not None:
        k += 1
        parts["xl/sharedStrings.xml"] = shared_strings
        wb_rels.append(f'<Relationship Id="rId{k}" Type="{REL}/sharedStrings" '
                       'Target="sharedStrings.xml"/>')
    if styles is not None:
        k += 1
        parts["xl/styles.xml"] = styles
        wb_rels.append(f'<Relationship Id="rId{k}" Type="{REL}/styles" Target="styles.xml"/>')
    ct.append("</Types>")
    pr = '<workbookPr date1904="1"/>' if date1904 else "<workbookPr/>"
    parts["xl/workbook.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{NS}" '
        f'xmlns:r="{NS_R}">{pr}<sheets>{"".join(sheet_entries)}</sheets></workbook>')
    parts["xl/_rels/workbook.xml.rels"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
        'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(wb_rels) + "</Relationships>")
    parts["_rels/.rels"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
        'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>")
    parts["[Content_Types].xml"] = "".join(ct)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, xml in parts.items():
            zf.writestr(name, xml.encode("utf-8") if isinstance(xml, str) else xml)
    return path


def table_xml(ref: str, columns: Sequence[str], name: str = "Table1", header_rows: int = 1
              ) -> str:
    cols = "".join(f'<tableColumn id="{i}" name="{escape(c)}"/>' for i, c in enumerate(columns, 1))
    hdr = "" if header_rows == 1 else f' headerRowCount="{header_rows}"'
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<table xmlns="{NS}" id="1" '
            f'name="{name}" displayName="{name}" ref="{ref}"{hdr}><tableColumns '
            f'count="{len(columns)}">{cols}</tableColumns></table>')


def inline_row(r: int | None, values: Sequence[object], *, refs: bool = True) -> str:
    """A ``<row>`` of inline strings and numbers (None: no cell)."""
    from arsheets.errors import column_letter
    cells = []
    for j, v in enumerate(values, 1):
        if v is None:
            continue
        ref = f' r="{column_letter(j)}{r}"' if refs and r is not None else ""
        if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
            cells.append(f"<{{p}}c{ref}><{{p}}v>{v}</{{p}}v></{{p}}c>")
        else:
            cells.append(f'<{{p}}c{ref} t="inlineStr"><{{p}}is><{{p}}t>{escape(str(v))}</{{p}}t>'
                         f"</{{p}}is></{{p}}c>")
    row_attr = f' r="{r}"' if r is not None else ""
    return f"<{{p}}row{row_attr}>" + "".join(cells) + "</{p}row>"


# --- altering a package ----------------------------------------------------------------------------


def rewrite_parts(source: str | Path, target: str | Path,
                  edits: Mapping[str, object]) -> Path:
    """A copy of the package ``source`` at ``target`` with some parts changed: ``edits`` maps a part
    name to new bytes, or to a function of the old bytes (a name not in the package is added)."""
    target = Path(target)
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            data = zin.read(name)
            edit = edits.get(name)
            zout.writestr(name, edit(data) if callable(edit) else data if edit is None else edit)
        for name, edit in edits.items():
            if name not in zin.namelist():
                zout.writestr(name, edit)
    return target


def with_doctype(xml: bytes, doctype: bytes) -> bytes:
    """An XML part with ``doctype`` put after its XML declaration (or at its start)."""
    if xml.startswith(b"<?xml"):
        end = xml.index(b"?>") + 2
        return xml[:end] + doctype + xml[end:]
    return doctype + xml


def files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` and its bytes (empty folders do not count)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}
