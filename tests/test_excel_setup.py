"""``arsheets excel-setup``: the companion module, the Control sheet, its names and dropdown."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from arsheets.cli import main as cli
from arsheets.errors import ArsheetsError
from arsheets.excel_setup import (ACTION_NAME, ACTIONS, AS_OF_NAME, COMPANION_MARK,
                                  companion_text, control_sheet, module_name_problem,
                                  setup_workbook, suggest_module_name, with_defined_names)
from arsheets.workbook.package import Package
from arsheets.workbook.write import full_calc_on_load, write_workbook
from fidelity_workbook import build, raw_members
from xlsx_fixtures import Sheet, contract_book
from xlwings_memory_engine import MockCaller, app_of, load_xlsx

# parts a setup may change: the new sheet, the workbook's list of sheets and names, its rels,
# content types, and the styles the Control sheet's cells use
MAY_CHANGE = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml",
              "xl/styles.xml"}


@pytest.fixture
def book(tmp_path) -> Path:
    return contract_book(tmp_path / "ar_2024.xlsx")


def control_part(path: Path) -> str:
    with Package.open(path) as pkg:
        return pkg.sheet("Control").part


def test_companion_module(book):
    report = setup_workbook(book)
    companion = book.with_name("ar_2024.py")
    assert report.companion == companion and report.companion_status == "written"
    text = companion.read_text()
    assert text == companion_text("ar_2024.xlsx")
    assert "from arsheets.excel import main as run_arsheets" in text
    assert "def main():\n    run_arsheets()" in text
    assert "xw.Book('ar_2024.xlsx').set_mock_caller()" in text
    assert COMPANION_MARK in text
    compile(text, str(companion), "exec")


def test_the_companion_runs_the_button(book):
    """What Run main does: import <stem>, call main(); here against the in-memory Excel."""
    setup_workbook(book)
    spec = importlib.util.spec_from_file_location("ar_2024", book.with_suffix(".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    xb = load_xlsx(book)
    with MockCaller(xb):
        module.main()
    app = app_of(xb)
    assert app.writes("Invoices")
    assert "Refreshed as of" in app.alerts[-1].prompt


def test_control_sheet_named_cells_and_dropdown(book):
    setup_workbook(book)
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames[-1] == "Control"
    ws = wb["Control"]
    assert ws["A1"].value == "arsheets control"
    assert ws["A3"].value == "Action" and ws["B3"].value == "Refresh"
    assert ws["A4"].value == "As Of" and ws["B4"].value is None
    assert wb.defined_names[ACTION_NAME].attr_text == "Control!$B$3"
    assert wb.defined_names[AS_OF_NAME].attr_text == "Control!$B$4"
    lists = [v for v in ws.data_validations.dataValidation if v.type == "list"]
    assert len(lists) == 1
    assert str(lists[0].sqref) == "B3"
    assert lists[0].formula1 == '"' + ",".join(ACTIONS) + '"'
    dates = [v for v in ws.data_validations.dataValidation if v.type == "date"]
    assert str(dates[0].sqref) == "B4"
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    for needed in ("Windows", "macOS", "pip install arsheets", "pip install -e .",
                   "xlwings addin install", "Interpreter", "PYTHONPATH", "ar_2024.py",
                   "Run main"):
        assert needed in text, needed


def test_running_twice_is_safe_and_changes_nothing(book):
    setup_workbook(book)
    once = book.read_bytes()
    report = setup_workbook(book)
    assert book.read_bytes() == once
    assert report.companion_status == "unchanged" and not report.control_created


def test_the_choices_on_control_are_kept(book):
    setup_workbook(book)
    # the bookkeeper picks an action and a date
    write_workbook(book, [], [control_sheet("ar_2024", "Statement for selected customer",
                                            date(2026, 3, 31))])
    setup_workbook(book)
    ws = openpyxl.load_workbook(book)["Control"]
    assert ws["B3"].value == "Statement for selected customer"
    assert ws["B4"].value.date() == date(2026, 3, 31)
    assert openpyxl.load_workbook(book).defined_names[ACTION_NAME].attr_text == "Control!$B$3"


def test_the_rest_of_the_workbook_is_byte_identical(tmp_path):
    built = build(tmp_path / "fidelity.xlsx")  # charts, pictures, comments, validations, ...
    before = raw_members(built.path)
    setup_workbook(built.path)
    after = raw_members(built.path)
    control = control_part(built.path)
    for name, raw in before.items():
        if name not in MAY_CHANGE:
            assert after[name] == raw, name
    assert set(after) - set(before) == {control}


def test_workbook_xml_gets_only_the_sheet_and_the_names(tmp_path):
    path = contract_book(tmp_path / "ar.xlsx")
    with zipfile.ZipFile(path) as zf:
        old = zf.read("xl/workbook.xml")
    setup_workbook(path)
    with zipfile.ZipFile(path) as zf:
        new = zf.read("xl/workbook.xml")
    names = (b'<definedNames><definedName name="arsheets_action">Control!$B$3</definedName>'
             b'<definedName name="arsheets_as_of">Control!$B$4</definedName></definedNames>')
    assert new.count(names) == 1
    without = re.sub(rb'<sheet name="Control" sheetId="\d+" r:id="rId\d+"/>', b"",
                     new.replace(names, b""))
    assert without == full_calc_on_load(old)  # the writer's own edit, on every write


@pytest.mark.parametrize("existing, expected", [
    (b'<workbook><sheets><sheet name="A"/></sheets><definedNames><definedName name="x">A!$A$1'
     b'</definedName></definedNames></workbook>',
     b'<workbook><sheets><sheet name="A"/></sheets><definedNames><definedName name="x">A!$A$1'
     b'</definedName><definedName name="n">Control!$B$3</definedName></definedNames></workbook>'),
    (b'<workbook><sheets><sheet name="A"/></sheets><definedNames><definedName name="N">'
     b'Old!$A$1</definedName></definedNames></workbook>',
     b'<workbook><sheets><sheet name="A"/></sheets><definedNames><definedName name="n">'
     b'Control!$B$3</definedName></definedNames></workbook>'),
    (b'<x:workbook><x:sheets><x:sheet name="A"/></x:sheets><x:calcPr/></x:workbook>',
     b'<x:workbook><x:sheets><x:sheet name="A"/></x:sheets><x:definedNames><x:definedName '
     b'name="n">Control!$B$3</x:definedName></x:definedNames><x:calcPr/></x:workbook>'),
    (b'<workbook><sheets/><definedNames/></workbook>',
     b'<workbook><sheets/><definedNames><definedName name="n">Control!$B$3</definedName>'
     b'</definedNames></workbook>'),
    (b'<workbook><sheets></sheets><definedNames><definedName name="n" localSheetId="0">A!$A$1'
     b'</definedName></definedNames></workbook>',
     b'<workbook><sheets></sheets><definedNames><definedName name="n" localSheetId="0">A!$A$1'
     b'</definedName><definedName name="n">Control!$B$3</definedName></definedNames>'
     b'</workbook>'),
])
def test_defined_names_edit(existing, expected):
    assert with_defined_names(existing, {"n": "Control!$B$3"}) == expected
    assert with_defined_names(expected, {"n": "Control!$B$3"}) == expected


@pytest.mark.parametrize("name, fix", [
    ("AR 2024.xlsx", "ar_2024.xlsx"),
    ("2024-receivables.xlsx", "ar_2024_receivables.xlsx"),
    ("class.xlsx", "class_book.xlsx"),
    ("Débiteurs.xlsx", "debiteurs.xlsx"),
    ("calendar.xlsx", "calendar_book.xlsx"),  # would hide the standard library's calendar
    ("holidays.xlsx", "holidays_book.xlsx"),  # would hide an installed package arsheets uses
    ("arsheets.xlsx", "arsheets_book.xlsx"),
    ("xlwings.xlsm", "xlwings_book.xlsm"),
])
def test_invalid_module_names(tmp_path, name, fix):
    path = contract_book(tmp_path / "book.xlsx").rename(tmp_path / name)
    before = path.read_bytes()
    problem = module_name_problem(path)
    assert problem is not None
    assert repr(fix) in problem.hint
    with pytest.raises(ArsheetsError) as err:
        setup_workbook(path)
    assert "Run main" in str(err.value)
    assert path.read_bytes() == before
    assert not path.with_suffix(".py").exists()


def test_suggestions_are_valid(tmp_path):
    for stem in ("AR 2024", "2024", "---", "my-book", "def"):
        name = suggest_module_name(stem)
        assert name.isidentifier() and module_name_problem(tmp_path / f"{name}.xlsx") is None


def test_a_foreign_control_sheet_is_refused(tmp_path):
    path = contract_book(tmp_path / "ar.xlsx", extra=[Sheet("Control", [["my own notes"]])])
    before = path.read_bytes()
    with pytest.raises(ArsheetsError, match="did not make"):
        setup_workbook(path)
    assert path.read_bytes() == before
    assert not path.with_suffix(".py").exists()


def test_a_foreign_companion_file_is_refused(book):
    book.with_suffix(".py").write_text("print('mine')\n")
    before = book.read_bytes()
    with pytest.raises(ArsheetsError, match="not written by arsheets"):
        setup_workbook(book)
    assert book.read_bytes() == before
    assert book.with_suffix(".py").read_text() == "print('mine')\n"


def test_an_older_companion_is_updated(book):
    book.with_suffix(".py").write_text(f"{COMPANION_MARK} old\n")
    assert setup_workbook(book).companion_status == "updated"
    assert book.with_suffix(".py").read_text() == companion_text(book.name)


def test_an_open_workbook_is_refused(book):
    (book.parent / f"~${book.name}").write_bytes(b"x" * 165)
    before = book.read_bytes()
    with pytest.raises(ArsheetsError):
        setup_workbook(book)
    assert book.read_bytes() == before


def test_cli_excel_setup(book):
    result = CliRunner().invoke(cli, ["excel-setup", str(book)])
    assert result.exit_code == 0, result.output
    assert "Added the Control sheet" in result.output
    assert "ar_2024.py: written" in result.output
    again = CliRunner().invoke(cli, ["excel-setup", str(book)])
    assert again.exit_code == 0 and "Rewrote the Control sheet" in again.output
    assert "unchanged" in again.output


def test_cli_excel_setup_bad_name(tmp_path):
    path = contract_book(tmp_path / "book.xlsx").rename(tmp_path / "AR 2024.xlsx")
    result = CliRunner().invoke(cli, ["excel-setup", str(path)])
    assert result.exit_code == 2
    assert "ar_2024.xlsx" in result.output
    assert "Nothing was written." in result.output


def test_setup_and_the_normaliser_do_not_import_xlwings():
    code = ("import sys, arsheets.excel_setup, arsheets.excel; "
            "assert 'xlwings' not in sys.modules, 'imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])


def test_macro_workbooks_keep_their_vba(tmp_path):
    built = build(tmp_path / "macros.xlsm", vba=True)
    before = raw_members(built.path)
    setup_workbook(built.path)
    after = raw_members(built.path)
    vba = [n for n in before if n.endswith("vbaProject.bin")]
    assert vba and all(after[n] == before[n] for n in vba)
    shutil.rmtree(tmp_path / ".arsheets-backups", ignore_errors=True)
