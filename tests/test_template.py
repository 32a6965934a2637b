"""The workbook template: it follows the schema, looks right, builds deterministically, and the
committed workbook_template.xlsx is exactly a fresh build. Checked by reading with openpyxl."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from arsheets.demo import demo_book
from arsheets.errors import ArsheetsError
from arsheets.model import DEFAULT_LADDER, Book, Settings
from arsheets.money import parse_rate
from arsheets.workbook import schema, template
from arsheets.workbook.schema import Kind
from arsheets.workbook.template import (
    AGING_NOTE,
    OWNED_NOTE,
    SHEET_ORDER,
    build_workbook,
    settings_values,
)

from libreoffice import libreoffice_convert_all, require_libreoffice

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "workbook_template.xlsx"
AS_OF = date(2024, 6, 28)

FORMATS = {  # what openpyxl reports for each kind's number format
    Kind.TEXT: "General", Kind.CHOICE: "General", Kind.ID: "@", Kind.LIST: "@",
    Kind.DATE: "mm-dd-yy",  # built-in 14: Excel shows it as the user's short date
    Kind.MONEY: "#,##0.00", Kind.INT: "0", Kind.DAYS: "0.0", Kind.RATE: "0.00%",
}
OWNED_FILL = "FFD9D9D9"


def _build(book=None, settings=None, **kw) -> bytes:
    out = io.BytesIO()
    build_workbook(out, book, settings, **kw)
    return out.getvalue()


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def _load(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


@pytest.fixture(scope="module")
def empty():
    return _load(_build())


@pytest.fixture(scope="module")
def demo():
    book, settings = demo_book(AS_OF)
    return book, settings, _build(book, settings)


@pytest.fixture(scope="module")
def demo_wb(demo):
    return _load(demo[2])


def _column_formats(ws) -> dict[int, tuple[str, float]]:
    """Column index -> (number format, width), expanding XlsxWriter's grouped <col> ranges."""
    found = {}
    for dim in ws.column_dimensions.values():
        for idx in range(dim.min, dim.max + 1):
            found[idx] = (dim.number_format, dim.width)
    return found


# --- the committed file and determinism ---------------------------------------------------------

def test_committed_template_equals_a_fresh_build():
    assert COMMITTED.exists(), "run: python scripts/build_template.py"
    committed = _parts(COMMITTED.read_bytes())
    fresh = _parts(_build())
    assert list(committed) == list(fresh), "parts differ; run: python scripts/build_template.py"
    for name in fresh:
        assert committed[name] == fresh[name], \
            f"{name} drifted from the schema; run: python scripts/build_template.py"


def test_builds_are_byte_identical(demo):
    book, settings, data = demo
    assert _build() == _build()
    assert _build(book, settings) == data


def test_constant_memory_builds_are_byte_identical(tmp_path):
    book, settings = demo_book(AS_OF, seed=3)
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    build_workbook(a, book, settings, constant_memory=True)
    build_workbook(b, book, settings, constant_memory=True)
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 31, 0, 0, 0)}


def test_fixed_zip_timestamps_and_properties():
    data = _build()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = zf.read("docProps/core.xml").decode()
    assert "2024-01-01T00:00:00Z" in core
    props = _load(data).properties
    assert props.creator == "arsheets"
    assert props.created == datetime(2024, 1, 1)


def test_path_target_is_written_atomically(tmp_path):
    target = tmp_path / "book.xlsx"
    build_workbook(target)
    assert target.read_bytes() == _build()
    assert [p.name for p in tmp_path.iterdir()] == ["book.xlsx"]


def test_failed_build_leaves_the_old_file_and_no_debris(tmp_path, monkeypatch):
    target = tmp_path / "book.xlsx"
    target.write_bytes(b"old")

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(template._Builder, "settings_sheet", boom)
    with pytest.raises(RuntimeError):
        build_workbook(target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["book.xlsx"]


def test_unwritable_target_is_a_clear_error(tmp_path):
    with pytest.raises((ArsheetsError, OSError)):
        build_workbook(tmp_path / "missing-folder" / "book.xlsx")


# --- structure ----------------------------------------------------------------------------------

def test_sheets_in_contract_order(empty):
    assert empty.sheetnames == list(SHEET_ORDER) == [
        "Invoices", "Customers", "Payments", "Activity", "Plans", "Schedule", "Aging", "Settings"]


@pytest.mark.parametrize("spec", schema.DATA_SHEETS, ids=lambda s: s.name)
def test_data_sheet_table_matches_schema(empty, spec):
    ws = empty[spec.name]
    tables = list(ws.tables.values())
    assert [t.name for t in tables] == [spec.table]
    table = tables[0]
    names = [c.name for c in spec.columns]
    last = get_column_letter(len(names))
    assert table.ref == f"A1:{last}2"  # the header and one blank row
    assert [c.name for c in table.tableColumns] == names
    assert [c.value for c in ws[1]] == names
    # inputs first, then the owned columns, each group in schema order
    owned = [c.owned for c in spec.columns]
    assert owned == sorted(owned)
    assert ws.max_row == 1  # the table's data row is blank: no cells at all, the reader skips it


@pytest.mark.parametrize("spec", schema.DATA_SHEETS, ids=lambda s: s.name)
def test_headers_styles_and_comments(empty, spec):
    ws = empty[spec.name]
    for i, col in enumerate(spec.columns, start=1):
        cell = ws.cell(1, i)
        assert cell.font.b
        if col.owned:
            assert cell.fill.fgColor.rgb == OWNED_FILL
            assert cell.comment is not None and cell.comment.text == OWNED_NOTE
        else:
            assert cell.fill.fgColor.rgb != OWNED_FILL
            assert cell.comment is None


@pytest.mark.parametrize("spec", schema.DATA_SHEETS, ids=lambda s: s.name)
def test_column_formats_and_widths(empty, spec):
    cols = _column_formats(empty[spec.name])
    for i, col in enumerate(spec.columns, start=1):
        fmt, width = cols[i]
        assert fmt == FORMATS[col.kind], col.name
        assert width == pytest.approx(col.width, abs=1), col.name


def test_frozen_header_rows(empty):
    for name in SHEET_ORDER:
        expected = None if name == schema.AGING_SHEET else "A2"
        assert empty[name].freeze_panes == expected, name


def _validations(ws) -> dict[str, object]:
    return {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}


@pytest.mark.parametrize("spec", schema.DATA_SHEETS, ids=lambda s: s.name)
def test_dropdowns_on_choice_columns(empty, spec):
    found = _validations(empty[spec.name])
    expected = {}
    for i, col in enumerate(spec.columns, start=1):
        if col.choices:
            letter = get_column_letter(i)
            expected[f"{letter}2:{letter}1048576"] = col.choices
    assert set(found) == set(expected)
    for ref, choices in expected.items():
        dv = found[ref]
        assert dv.type == "list"
        assert dv.formula1 == '"' + ",".join(choices) + '"'
        assert dv.showDropDown in (None, False)  # (True would hide the arrow)
        assert dv.showInputMessage and dv.prompt and dv.promptTitle
        assert dv.showErrorMessage and dv.error and dv.errorTitle
        assert dv.errorStyle in (None, "stop")


def test_expected_dropdowns_exist(empty):
    """The ones the contract asks for by name."""
    def listed(sheet, header):
        spec = next(s for s in schema.DATA_SHEETS if s.name == sheet)
        i = [c.name for c in spec.columns].index(header) + 1
        letter = get_column_letter(i)
        return _validations(empty[sheet])[f"{letter}2:{letter}1048576"].formula1
    assert "Disputed" in listed("Invoices", "Hold")
    assert "Promise" in listed("Activity", "Type")
    assert "Defaulted" in listed("Plans", "Status")
    assert "Every 2 weeks" in listed("Plans", "Frequency")
    assert "Mail" in listed("Customers", "Channel")
    assert "UK Statutory" in listed("Customers", "Late Fee Policy")


def test_highlights(empty):
    inv = empty["Invoices"].conditional_formatting
    rules = {str(r.sqref): [x for x in r.rules] for r in inv}
    status = get_column_letter([c.name for c in schema.INVOICES.columns].index("Status") + 1)
    assert any('"Overdue"' in rule.formula for rule in rules[f"{status}2:{status}1048576"])
    cust = empty["Customers"].conditional_formatting
    hold = get_column_letter([c.name for c in schema.CUSTOMERS.columns].index("Credit Hold") + 1)
    assert f"{hold}2:{hold}1048576" in {str(r.sqref) for r in cust}


def test_schedule_sheet(empty):
    ws = empty[schema.SCHEDULE_SHEET]
    (table,) = ws.tables.values()
    assert table.name == schema.SCHEDULE_TABLE
    assert [c.name for c in table.tableColumns] == list(schema.SCHEDULE_HEADERS)
    assert table.ref == f"A1:{get_column_letter(len(schema.SCHEDULE_HEADERS))}2"
    assert all(c.fill.fgColor.rgb == OWNED_FILL for c in ws[1])
    assert ws["A1"].comment is not None
    cols = _column_formats(ws)
    for i, kind in enumerate(schema.SCHEDULE_KINDS, start=1):
        assert cols[i][0] == FORMATS[kind]


def test_aging_sheet_is_only_a_note(empty):
    ws = empty[schema.AGING_SHEET]
    assert ws["A1"].value == AGING_NOTE
    assert ws.max_row == 1 and ws.max_column == 1
    assert not ws.tables


# --- Settings -----------------------------------------------------------------------------------

def _tables(ws) -> dict[str, str]:
    return {t.name: t.ref for t in ws.tables.values()}


def test_settings_sheet_layout(empty):
    ws = empty[schema.SETTINGS_SHEET]
    n = len(schema.SETTINGS)
    assert _tables(ws) == {
        template.SETTINGS_TABLE: f"A1:C{n + 1}",
        template.COLUMNS_TABLE: "E1:G2",
        template.LADDER_TABLE: f"I1:L{len(DEFAULT_LADDER) + 1}",
        template.REFERENCE_RATES_TABLE: "N1:O2",
    }
    assert [ws.cell(1, c).value for c in (1, 2, 3)] == ["Key", "Value", "Meaning"]
    assert [ws.cell(1, c).value for c in (5, 6, 7)] == list(schema.COLUMNS_HEADERS)
    assert [ws.cell(1, c).value for c in (9, 10, 11, 12)] == list(schema.LADDER_HEADERS)
    assert [ws.cell(1, c).value for c in (14, 15)] == list(schema.REFERENCE_RATES_HEADERS)
    assert all(ws.cell(2, c).value is None for c in (5, 6, 7, 14, 15))


def test_settings_keys_defaults_and_meanings(empty):
    ws = empty[schema.SETTINGS_SHEET]
    for row, key in enumerate(schema.SETTINGS, start=2):
        k, v, meaning = (ws.cell(row, c).value for c in (1, 2, 3))
        assert k == key.key
        assert meaning == key.meaning
        if key.default == "":
            assert v is None, key.key
        elif key.kind is Kind.INT:
            assert v == int(key.default), key.key
        elif key.kind is Kind.RATE:
            assert Decimal(repr(v)) == parse_rate(key.default), key.key
        else:
            assert v == key.default, key.key
        fmt = ws.cell(row, 2).number_format
        assert fmt == ("@" if key.kind is Kind.TEXT else FORMATS[key.kind]), key.key


def test_settings_dropdowns(empty):
    ws = empty[schema.SETTINGS_SHEET]
    found = _validations(ws)
    for row, key in enumerate(schema.SETTINGS, start=2):
        if key.choices:
            assert found[f"B{row}"].formula1 == '"' + ",".join(key.choices) + '"'
    assert found["K2:K1048576"].formula1 == '"' + ",".join(schema.LADDER_ACTIONS) + '"'
    keys = [k.key for k in schema.SETTINGS]
    assert f"B{keys.index('Late Fee Policy') + 2}" in found
    assert f"B{keys.index('Aging Basis') + 2}" in found


def test_default_ladder(empty):
    ws = empty[schema.SETTINGS_SHEET]
    rows = [tuple(ws.cell(r, c).value for c in (9, 10, 11, 12))
            for r in range(2, len(DEFAULT_LADDER) + 2)]
    assert rows == [(s.days, s.stage, s.action, s.template) for s in DEFAULT_LADDER]


def test_settings_overrides_are_typed():
    overrides = {
        "Late Fee Policy": "Monthly Rate", "late fee rate": Decimal("0.015"),
        "Late Fee Amount": "25", "Reference Rate": "5.25%", "As Of Date": date(2024, 6, 28),
        "Grace Days": 10, "Aging Buckets": (30, 60, 90, 120), "Company Address": "1 Main St\nTown",
    }
    ws = _load(_build(settings=overrides))[schema.SETTINGS_SHEET]
    keys = [k.key for k in schema.SETTINGS]

    def cell(key):
        return ws.cell(keys.index(key) + 2, 2)

    assert cell("Late Fee Policy").value == "Monthly Rate"
    assert cell("Late Fee Rate").value == pytest.approx(0.015)
    assert cell("Late Fee Rate").number_format == "0.00%"
    assert cell("Late Fee Amount").value == 25
    assert cell("Late Fee Amount").number_format == "#,##0.00"
    assert cell("Reference Rate").value == pytest.approx(0.0525)
    assert cell("As Of Date").value == datetime(2024, 6, 28)
    assert cell("As Of Date").number_format == "mm-dd-yy"
    assert cell("Grace Days").value == 10
    assert cell("Aging Buckets").value == "30, 60, 90, 120"
    assert cell("Company Address").value == "1 Main St\nTown"
    assert cell("Company Address").alignment.wrap_text


def test_unknown_setting_is_refused():
    with pytest.raises(ValueError, match="not a setting"):
        settings_values({"Late Fees": "Flat"})


def test_book_ladder_and_reference_rates_are_written():
    from arsheets.model import LadderStep
    book = Book(settings=Settings(
        ladder=(LadderStep(5, "Nudge", "Email", "nudge"), LadderStep(45, "Call them", "Call")),
        reference_rates=((date(2024, 1, 1), Decimal("0.0525")),
                         (date(2024, 7, 1), Decimal("0.05")))))
    ws = _load(_build(book))[schema.SETTINGS_SHEET]
    assert _tables(ws)[template.LADDER_TABLE] == "I1:L3"
    assert [ws.cell(2, c).value for c in (9, 10, 11, 12)] == [5, "Nudge", "Email", "nudge"]
    assert [ws.cell(3, c).value for c in (9, 10, 11, 12)] == [45, "Call them", "Call", None]
    assert _tables(ws)[template.REFERENCE_RATES_TABLE] == "N1:O3"
    assert ws["N2"].value == datetime(2024, 1, 1) and ws["N2"].number_format == "mm-dd-yy"
    assert ws["O3"].value == pytest.approx(0.05) and ws["O3"].number_format == "0.00%"


# --- a filled book ------------------------------------------------------------------------------

def _rows(ws, spec):
    names = [c.value for c in ws[1]]
    assert names == [c.name for c in spec.columns]
    return [dict(zip(names, row)) for row in ws.iter_rows(min_row=2, values_only=True)]


def test_demo_tables_cover_the_records(demo, demo_wb):
    book = demo[0]
    counts = {"Invoices": len(book.invoices), "Customers": len(book.customers),
              "Payments": len(book.payments), "Activity": len(book.activities), "Plans": 0}
    for spec in schema.DATA_SHEETS:
        ws = demo_wb[spec.name]
        (table,) = ws.tables.values()
        last = get_column_letter(len(spec.columns))
        assert table.ref == f"A1:{last}{max(counts[spec.name], 1) + 1}", spec.name


def test_invoices_written_as_typed(demo, demo_wb):
    book = demo[0]
    rows = _rows(demo_wb["Invoices"], schema.INVOICES)
    assert len(rows) == len(book.invoices)
    for inv, row in zip(book.invoices, rows):
        assert row["Invoice"] == inv.id and isinstance(row["Invoice"], str)
        assert row["Customer"] == inv.customer_id
        assert row["Invoice Date"] == datetime.combine(inv.invoice_date, datetime.min.time())
        assert row["Due Date"] == (datetime.combine(inv.due_date, datetime.min.time())
                                   if inv.due_date else None)
        assert Decimal(repr(row["Amount"])) == inv.amount
        assert row["Hold"] == (inv.hold.value if inv.hold else None)
        assert (row["PO"] or "") == inv.po
        assert all(row[c.name] is None for c in schema.INVOICES.owned)
    ws = demo_wb["Invoices"]
    assert ws["C2"].number_format == "mm-dd-yy"
    assert ws["E2"].number_format == "#,##0.00"
    assert ws["A2"].number_format == "@"


def test_customers_written_as_typed(demo, demo_wb):
    book = demo[0]
    rows = _rows(demo_wb["Customers"], schema.CUSTOMERS)
    for cust, row in zip(book.customers, rows, strict=True):
        assert row["Customer"] == cust.id and row["Name"] == cust.name
        assert row["Address"] == cust.address and "\n" in row["Address"]
        assert row["Terms"] == cust.terms
        assert row["Credit Limit"] == (float(cust.credit_limit) if cust.credit_limit else None)
        assert row["Late Fee Policy"] == (cust.late_fee.kind.value if cust.late_fee else None)
        assert row["Channel"] == cust.channel.value
    address = [c.name for c in schema.CUSTOMERS.columns].index("Address") + 1
    assert demo_wb["Customers"].cell(2, address).alignment.wrap_text


def test_payments_and_activity_written_as_typed(demo, demo_wb):
    book = demo[0]
    pays = _rows(demo_wb["Payments"], schema.PAYMENTS)
    for pay, row in zip(book.payments, pays, strict=True):
        assert row["Date"].date() == pay.date
        assert Decimal(repr(row["Amount"])) == pay.amount
        assert row["Invoice"] == pay.target
    acts = _rows(demo_wb["Activity"], schema.ACTIVITY)
    for act, row in zip(book.activities, acts, strict=True):
        assert row["Type"] == act.type.value
        assert row["Invoice"] == (";".join(act.invoice_ids) or None)
        assert (row["Promise Date"].date() if row["Promise Date"] else None) == act.promise_date


def test_demo_settings_written(demo, demo_wb):
    settings = demo[1]
    ws = demo_wb[schema.SETTINGS_SHEET]
    values = {ws.cell(r, 1).value: ws.cell(r, 2) for r in range(2, len(schema.SETTINGS) + 2)}
    assert values["Company Name"].value == settings["Company Name"]
    assert values["Late Fee Rate"].value == pytest.approx(0.015)
    assert values["Late Fee Rate"].number_format == "0.00%"
    assert values["Early Discount"].value == "2/10"
    assert values["As Of Date"].value == datetime.combine(AS_OF, datetime.min.time())


def test_constant_memory_matches_the_normal_build(demo, demo_wb):
    book, settings, data = demo
    streamed = _build(book, settings, constant_memory=True)
    normal, other = _parts(data), _parts(streamed)
    tables = sorted(n for n in normal if n.startswith("xl/tables/"))
    assert tables and tables == sorted(n for n in other if n.startswith("xl/tables/"))
    for name in tables:
        assert normal[name] == other[name], name
    wb = _load(streamed)
    assert wb.sheetnames == demo_wb.sheetnames
    for name in wb.sheetnames:
        a, b = demo_wb[name], wb[name]
        assert _tables(a) == _tables(b)
        assert a.freeze_panes == b.freeze_panes
        assert set(_validations(a)) == set(_validations(b))
        rows_a = [[(c.value, c.number_format) for c in row] for row in a.iter_rows()]
        rows_b = [[(c.value, c.number_format) for c in row] for row in b.iter_rows()]
        assert rows_a == rows_b, name
        assert [c.comment.text if c.comment else None for c in a[1]] == \
            [c.comment.text if c.comment else None for c in b[1]]


def test_ids_keep_leading_zeros():
    from arsheets.model import Customer, Invoice
    book = Book(customers=(Customer("001", "Zero One"),),
                invoices=(Invoice("0007", "001", date(2024, 1, 31), Decimal("12.50")),))
    wb = _load(_build(book))
    assert wb["Invoices"]["A2"].value == "0007"
    assert wb["Invoices"]["B2"].value == "001"
    assert wb["Customers"]["A2"].value == "001"


def test_every_input_column_has_a_getter():
    for spec in schema.DATA_SHEETS:
        assert set(template.GETTERS[spec.name]) == {c.name for c in spec.inputs}, spec.name


# --- a second client: LibreOffice opens and re-saves the workbooks -------------------------------

def _dropdowns(ws) -> set[tuple[str, str]]:
    return {(str(dv.sqref).split(":")[0].rstrip("0123456789"), dv.formula1)
            for dv in ws.data_validations.dataValidation}


def test_libreoffice_opens_and_resaves(tmp_path, demo):
    require_libreoffice()
    book, settings, data = demo
    src = tmp_path / "src"
    src.mkdir()
    (src / "template.xlsx").write_bytes(_build())
    (src / "demo.xlsx").write_bytes(data)
    build_workbook(src / "streamed.xlsx", book, settings, constant_memory=True)
    converted = libreoffice_convert_all(sorted(src.iterdir()), tmp_path)
    out = converted[0].parent
    original = _load(data)
    for name in ("template.xlsx", "demo.xlsx", "streamed.xlsx"):
        wb = openpyxl.load_workbook(out / name)
        assert wb.sheetnames == list(SHEET_ORDER), name
        ref = _load(_build()) if name == "template.xlsx" else original
        for sheet in SHEET_ORDER:
            assert _tables(wb[sheet]) == _tables(ref[sheet]), (name, sheet)
            # (LibreOffice trims whole-column ranges on save: compare columns and lists)
            assert _dropdowns(wb[sheet]) == _dropdowns(ref[sheet]), (name, sheet)
        if name != "template.xlsx":
            for sheet in ("Invoices", "Customers", "Payments", "Activity"):
                got = [[c.value for c in row] for row in wb[sheet].iter_rows(max_row=6)]
                want = [[c.value for c in row] for row in original[sheet].iter_rows(max_row=6)]
                assert got == want, (name, sheet)
            assert wb["Invoices"]["C2"].is_date


# --- the reader sees exactly what was written -----------------------------------------------------

@pytest.mark.parametrize("constant_memory", [False, True], ids=["normal", "streamed"])
def test_reader_round_trip(tmp_path, demo, constant_memory):
    """The contract's other side: reading a built workbook gives back the Book it was built from
    (ids as text, dates, cents, holds, ';' lists, customer policies, Settings), and the empty
    template's blank table rows are skipped without a problem."""
    read = pytest.importorskip("arsheets.workbook.read")
    book, settings, _ = demo
    path = tmp_path / "book.xlsx"
    build_workbook(path, book, settings, constant_memory=constant_memory)
    result = read.read_workbook(path)
    assert result.problems == ()
    assert result.book == book
    build_workbook(path, constant_memory=constant_memory)
    empty = read.read_workbook(path)
    assert empty.problems == ()
    assert empty.book == Book()
