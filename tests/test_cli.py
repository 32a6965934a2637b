"""The ``arsheets`` command line, through click's CliRunner: one test per behaviour.

Exit codes: 0 clean, 1 done but some rows have problems, 2 nothing written. Problems go to standard
output, "Nothing was written." and the stopping errors to standard error. Every workbook is built in
the test: a bookkeeper's workbook from the template (``build_workbook``), broken ones with
``xlsx_fixtures.contract_book``.
"""

from __future__ import annotations

import json
import re
import warnings
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result
from python_calamine import CalamineWorkbook

from arsheets.cli import main
from arsheets.demo import demo_book
from arsheets.errors import column_letter
from arsheets.workbook import schema
from arsheets.workbook.safety import BACKUP_DIR, list_backups
from arsheets.workbook.template import build_workbook

from factories import book, cust, inv, pay
from xlsx_fixtures import INVOICE, contract_book

AS_OF = date(2024, 6, 1)
# INV-1: 100.00 on 2024-03-01, due 2024-03-31 (Default Terms 30), 30.00 paid on 2024-04-01:
# as of 2024-06-01 70.00 open, 62 days overdue.
# INV-2: 250.00 on 2024-05-20, due 2024-06-19: current.
BOOK = book([inv("INV-1", "100.00", "2024-03-01"), inv("INV-2", "250.00", "2024-05-20")],
            [pay("2024-04-01", "30.00")], customers=[cust("C-01", name="Acme Ltd")])
SPECS = {s.name: s for s in schema.DATA_SHEETS}
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def run(*args: object) -> Result:
    """``arsheets ARGS``; unexpected exceptions propagate: a traceback is a bug, not an exit
    code."""
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def out(result: Result) -> str:
    return ANSI.sub("", result.stdout)


def err(result: Result) -> str:
    return ANSI.sub("", result.stderr)


def letter(sheet: str, header: str) -> str:
    """The column of a contract header in a workbook built from the template."""
    names = [c.name for c in SPECS[sheet].columns]
    return column_letter(names.index(header) + 1)


def openpyxl_rows(path: Path, sheet: str) -> list[dict[str, object]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ws = openpyxl.load_workbook(path, read_only=True)[sheet]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
    return [dict(zip(rows[0], r)) for r in rows[1:] if any(v is not None for v in r)]


def calamine_rows(path: Path, sheet: str) -> list[dict[str, object]]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()
    return [dict(zip(rows[0], r)) for r in rows[1:] if any(v not in (None, "") for v in r)]


def money(value: object) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def blank(value: object) -> bool:
    return value is None or value == ""


def owned_cells(path: Path) -> dict[str, object]:
    """Every non-blank owned cell of the data sheets: {"Invoices!L2": value}."""
    found = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(path)
    for spec in schema.DATA_SHEETS:
        if spec.name not in wb.sheetnames:
            continue
        ws = wb[spec.name]
        headers = {c.value: c.column for c in ws[1]}
        for col in spec.owned:
            if col.name not in headers:
                continue
            for (cell,) in ws.iter_rows(min_row=2, min_col=headers[col.name],
                                        max_col=headers[col.name]):
                if not blank(cell.value):
                    found[f"{spec.name}!{cell.coordinate}"] = cell.value
    return found


@pytest.fixture
def workbook(tmp_path) -> Path:
    """A bookkeeper's workbook from the template: BOOK's inputs, owned columns blank."""
    path = tmp_path / "book.xlsx"
    build_workbook(path, BOOK)
    return path


@pytest.fixture
def with_problems(tmp_path) -> Path:
    """Two bad invoice rows and a payment from an unknown customer, beside a good invoice."""
    return contract_book(
        tmp_path / "problems.xlsx", tables=True,
        invoices=[INVOICE, {**INVOICE, "Invoice": "INV-2", "Invoice Date": "abc"},
                  {**INVOICE, "Invoice": "INV-3", "Amount": "xyz"}],
        payments=[{"Date": date(2024, 4, 1), "Customer": "C-99", "Amount": 5}])


PROBLEM_LINES = [
    "Invoices!C3: 'abc' is not a date (type it as 2024-03-31)",
    "Invoices!E4: 'xyz' is not an amount (type it like 1234.56)",
    "Payments!B2: no customer 'C-99' on Customers (add it to Customers, or fix the id)",
]

STRUCTURAL = {
    "missing sheet": (dict(omit=["Payments"]), "workbook: no 'Payments' sheet"),
    "missing header": (dict(headers={"Invoices": ["Invoice", "Customer", "Amount"]},
                            invoices=[{"Invoice": "A", "Customer": "C-01", "Amount": 1}]),
                       "Invoices: no 'Invoice Date' column in the header row 1"),
}


# --- init -----------------------------------------------------------------------------------------

def test_init_creates_a_workbook_that_check_finds_clean(tmp_path):
    path = tmp_path / "sub" / "new.xlsx"
    result = run("init", path)
    assert result.exit_code == 0, result.output
    assert f"Created {path}." in out(result)
    checked = run("check", path)
    assert checked.exit_code == 0, checked.output
    assert "0 customers, 0 invoices, 0 payments" in out(checked)
    assert "No problems found." in out(checked)


def test_init_refuses_to_overwrite_an_existing_file(workbook):
    before = workbook.read_bytes()
    result = run("init", workbook)
    assert result.exit_code == 2
    assert "already exists; arsheets will not overwrite it" in err(result)
    assert workbook.read_bytes() == before


@pytest.mark.parametrize("name", ["book.csv", "book.xls", "book"])
def test_init_rejects_a_name_that_is_not_xlsx(tmp_path, name):
    result = run("init", tmp_path / name)
    assert result.exit_code == 2
    assert "give the new workbook a .xlsx name" in err(result)
    assert list(tmp_path.iterdir()) == []


# --- demo -----------------------------------------------------------------------------------------

def test_demo_builds_and_refreshes_a_sample_workbook(tmp_path):
    as_of = date(2024, 6, 28)
    result = run("demo", tmp_path / "demo", "--as-of", as_of)
    assert result.exit_code == 0, result.output
    path = tmp_path / "demo" / "arsheets_demo.xlsx"
    text = out(result)
    book_, _ = demo_book(as_of)
    assert f"Sample workbook: {path}" in text
    assert (f"{len(book_.customers)} customers, {len(book_.invoices)} invoices, "
            f"{len(book_.payments)} payments, refreshed as of 2024-06-28.") in text
    assert "Receivables as of 2024-06-28" in text
    # the summary printed is the one written: total and DSO as on the Aging sheet
    aging = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Aging").to_python()
    dso = next(r[1] for r in aging if r[0] == "DSO (days)")
    total = next(r for r in aging if r[0] == "Total")[7]
    assert f"DSO: {dso:.1f} days" in text
    assert f"{money(total):,}" in text
    statuses = [r["Status"] for r in calamine_rows(path, "Invoices")]
    assert len(statuses) == len(book_.invoices) and "" not in statuses


def test_running_demo_again_keeps_a_backup_of_the_first(tmp_path):
    folder = tmp_path / "demo"
    assert run("demo", folder, "--as-of", "2024-06-28").exit_code == 0
    path = folder / "arsheets_demo.xlsx"
    first = path.read_bytes()
    assert run("demo", folder, "--as-of", "2024-07-15").exit_code == 0
    assert path.read_bytes() != first
    backups = list_backups(path)
    assert [b.read_bytes() for b in backups] == [first]  # the refreshed first, not a raw build


# --- check ----------------------------------------------------------------------------------------

def test_check_a_clean_workbook(workbook):
    before = workbook.read_bytes()
    result = run("check", workbook, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    first, *rest = out(result).splitlines()
    assert first.startswith(f"{workbook} as of 2024-06-01: ")
    assert "2 invoices" in first and "1 customer," in first and "1 payment," in first
    assert rest == ["No problems found."]
    assert workbook.read_bytes() == before


def test_check_lists_every_row_problem_with_its_cell(with_problems):
    result = run("check", with_problems, "--as-of", AS_OF)
    assert result.exit_code == 1
    lines = out(result).splitlines()
    assert lines[1].startswith("3 problems (a row with a problem is left out")
    assert lines[2:] == [f"  {p}" for p in PROBLEM_LINES]
    assert "1 invoice," in lines[0]  # the two bad rows are left out


@pytest.mark.parametrize("command", ["check", "refresh"])
@pytest.mark.parametrize("case", list(STRUCTURAL))
def test_a_structural_problem_stops_before_anything_is_written(tmp_path, command, case):
    options, message = STRUCTURAL[case]
    path = contract_book(tmp_path / "broken.xlsx", **options)
    before = path.read_bytes()
    result = run(command, path, "--as-of", AS_OF)
    assert result.exit_code == 2
    assert f"error {message}" in err(result)
    assert err(result).rstrip().endswith("Nothing was written.")
    assert out(result) == ""
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.xlsx"]  # no backup, no temp


def test_check_json_on_a_clean_workbook(workbook):
    result = run("check", workbook, "--json", "--as-of", AS_OF)
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert {k: report[k] for k in ("workbook", "as_of", "ok", "stopped", "problems")} == {
        "workbook": str(workbook), "as_of": "2024-06-01", "ok": True, "stopped": False,
        "problems": []}
    assert report["counts"].items() >= {"customers": 1, "invoices": 2, "payments": 1,
                                        "activities": 0, "plans": 0}.items()


def test_check_json_lists_row_problems(with_problems):
    result = run("check", with_problems, "--json", "--as-of", AS_OF)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert (report["ok"], report["stopped"]) == (False, False)
    assert report["counts"]["invoices"] == 1
    assert report["problems"][0] == {
        "where": "Invoices!C3", "sheet": "Invoices", "row": 3, "column": "C",
        "message": "'abc' is not a date", "hint": "type it as 2024-03-31"}
    assert [f"{p['where']}: {p['message']} ({p['hint']})" for p in report["problems"]] \
        == PROBLEM_LINES


def test_check_json_on_a_structural_problem(tmp_path):
    options, message = STRUCTURAL["missing header"]
    path = contract_book(tmp_path / "broken.xlsx", **options)
    result = run("check", path, "--json")
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert (report["ok"], report["stopped"]) == (False, True)
    assert "counts" not in report
    (problem,) = report["problems"]
    assert problem["where"] == "Invoices" and problem["hint"]
    assert f"{problem['where']}: {problem['message']}".startswith(message)


# --- refresh --------------------------------------------------------------------------------------

def test_refresh_writes_the_owned_columns(workbook):
    before = workbook.read_bytes()
    result = run("refresh", workbook, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    for rows in (openpyxl_rows(workbook, "Invoices"), calamine_rows(workbook, "Invoices")):
        first, second = rows
        assert [money(first[h]) for h in ("Paid", "Balance", "Late Fee", "Amount Due")] \
            == [Decimal("30.00"), Decimal("70.00"), Decimal("0.00"), Decimal("70.00")]
        assert (int(first["Days Overdue"]), first["Aging"], first["Status"]) == (62, "61-90",
                                                                                 "Overdue")
        assert blank(first["Discount"]) and blank(first["Problems"])
        assert (money(second["Balance"]), int(second["Days Overdue"]), second["Aging"],
                second["Status"]) == (Decimal("250.00"), 0, "Current", "Open")
    for rows in (openpyxl_rows(workbook, "Customers"), calamine_rows(workbook, "Customers")):
        (acme,) = rows
        assert (money(acme["Balance"]), money(acme["Overdue"])) == (Decimal("320.00"),
                                                                    Decimal("70.00"))
    for rows in (openpyxl_rows(workbook, "Payments"), calamine_rows(workbook, "Payments")):
        (payment,) = rows
        assert (payment["Applied To"], money(payment["Unapplied"])) == ("INV-1 30.00",
                                                                        Decimal("0.00"))
    text = out(result)
    m = re.search(r"^Refreshed (.+) as of 2024-06-01: ([\d,]+) cells written\.$", text, re.M)
    assert m and m.group(1) == str(workbook)
    assert int(m.group(2).replace(",", "")) == len(owned_cells(workbook))
    m = re.search(r"^Backup of the previous file: (.+)$", text, re.M)
    assert m and Path(m.group(1)).parent == workbook.parent / BACKUP_DIR
    assert Path(m.group(1)).read_bytes() == before
    assert "Receivables as of 2024-06-01" in text


def test_refresh_with_row_problems_writes_and_exits_1(with_problems):
    result = run("refresh", with_problems, "--as-of", AS_OF)
    assert result.exit_code == 1
    assert [line.strip() for line in out(result).splitlines()[-3:]] == PROBLEM_LINES
    rows = calamine_rows(with_problems, "Invoices")
    assert [r["Problems"] for r in rows] == ["", PROBLEM_LINES[0], PROBLEM_LINES[1]]
    assert rows[0]["Status"] == "Overdue"


CHANGE = re.compile(r"^  (\w+![A-Z]+\d+): (.*) -> (.*)$")


def test_dry_run_lists_the_changes_and_writes_nothing(workbook):
    before = workbook.read_bytes()
    result = run("refresh", workbook, "--dry-run", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert workbook.read_bytes() == before
    assert not (workbook.parent / BACKUP_DIR).exists()
    text = out(result)
    changes = {m.group(1): (m.group(2), m.group(3))
               for m in map(CHANGE.match, text.splitlines()) if m}
    inv_row = lambda h, r=2: f"Invoices!{letter('Invoices', h)}{r}"  # noqa: E731
    assert changes[inv_row("Balance")] == ("(blank)", "70.00")
    assert changes[inv_row("Days Overdue")] == ("(blank)", "62")
    assert changes[inv_row("Status")] == ("(blank)", "Overdue")
    assert changes[inv_row("Aging", 3)] == ("(blank)", "Current")
    assert changes[f"Payments!{letter('Payments', 'Applied To')}2"] == ("(blank)",
                                                                       "INV-1 30.00")
    assert (f"Dry run as of 2024-06-01: {len(changes)} cells would change, and the Aging and "
            "Schedule sheets would be rebuilt; nothing was written.") in text
    # the dry run said exactly what the refresh then did
    assert run("refresh", workbook, "--as-of", AS_OF).exit_code == 0
    written = owned_cells(workbook)
    assert set(written) == set(changes)
    again = run("refresh", workbook, "--dry-run", "--as-of", AS_OF)
    assert "Dry run as of 2024-06-01: 0 cells would change" in out(again)


def test_dry_run_with_a_new_as_of_lists_old_and_new_values(workbook):
    assert run("refresh", workbook, "--as-of", AS_OF).exit_code == 0
    result = run("refresh", workbook, "--dry-run", "--as-of", "2024-07-01")
    lines = [line for line in out(result).splitlines() if CHANGE.match(line)]
    assert f"  Invoices!{letter('Invoices', 'Days Overdue')}2: 62 -> 92" in lines
    assert f"  Invoices!{letter('Invoices', 'Aging')}2: 61-90 -> 91+" in lines
    assert f"  Invoices!{letter('Invoices', 'Status')}3: Open -> Overdue" in lines


def test_limit_caps_the_changes_listed(workbook):
    full = run("refresh", workbook, "--dry-run", "--as-of", AS_OF)
    every = [line for line in out(full).splitlines() if CHANGE.match(line)]
    assert 3 < len(every) < 200  # the default --limit 200 lists them all
    capped = run("refresh", workbook, "--dry-run", "--limit", 3, "--as-of", AS_OF)
    lines = out(capped).splitlines()
    assert [line for line in lines if CHANGE.match(line)] == every[:3]
    assert f"  ... and {len(every) - 3} more (--limit 0 lists all)" in lines
    unlimited = run("refresh", workbook, "--dry-run", "--limit", 0, "--as-of", AS_OF)
    assert [line for line in out(unlimited).splitlines() if CHANGE.match(line)] == every
    assert run("refresh", workbook, "--dry-run", "--limit", -1).exit_code == 2


@pytest.mark.parametrize("setting, option, expected", [
    (None, None, date.today()),
    (date(2024, 5, 1), None, date(2024, 5, 1)),
    (date(2024, 5, 1), date(2024, 6, 1), date(2024, 6, 1)),
], ids=["today", "settings", "option"])
def test_as_of_option_then_settings_then_today(tmp_path, setting, option, expected):
    path = tmp_path / "book.xlsx"
    build_workbook(path, BOOK, {"As Of Date": setting})
    result = run("refresh", path, *(("--as-of", option) if option else ()))
    assert result.exit_code == 0, result.output
    assert f"as of {expected.isoformat()}:" in out(result)
    first = calamine_rows(path, "Invoices")[0]
    assert int(first["Days Overdue"]) == (expected - date(2024, 3, 31)).days


@pytest.mark.parametrize("command", ["check", "refresh"])
def test_a_bad_as_of_is_a_usage_error(workbook, command):
    before = workbook.read_bytes()
    result = run(command, workbook, "--as-of", "2024-13-01")
    assert result.exit_code == 2
    assert "'2024-13-01' is not a date; write it as YYYY-MM-DD" in err(result)
    assert workbook.read_bytes() == before


@pytest.mark.parametrize("lock, app", [("~$book.xlsx", "Excel by Alice"),
                                       (".~lock.book.xlsx#", "LibreOffice by alice")])
def test_a_workbook_open_in_excel_is_not_written(workbook, lock, app):
    owner = b"\x05Alice" + b"\0" * 50 if lock.startswith("~$") else b"U,alice,host,2024,path,"
    (workbook.parent / lock).write_bytes(owner)
    before = workbook.read_bytes()
    result = run("refresh", workbook, "--as-of", AS_OF)
    assert result.exit_code == 2
    assert (f"error workbook: book.xlsx: is open in {app}; arsheets cannot save it while it is "
            "open") in err(result)
    assert "Nothing was written." in err(result)
    assert workbook.read_bytes() == before
    assert not (workbook.parent / BACKUP_DIR).exists()


def test_check_and_dry_run_read_a_workbook_that_is_open(workbook):
    (workbook.parent / "~$book.xlsx").write_bytes(b"\x05Alice")
    assert run("check", workbook, "--as-of", AS_OF).exit_code == 0
    assert run("refresh", workbook, "--dry-run", "--as-of", AS_OF).exit_code == 0


def _csv(path: Path) -> None:
    path.write_text("Invoice,Customer\nINV-1,C-01\n")


def _corrupt(path: Path) -> None:
    path.write_bytes(b"PK\x03\x04 this is not really a zip")


def _not_a_workbook(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")


NOT_WORKBOOKS = {
    "csv": ("data.csv", _csv, "data.csv: is a text file, not an Excel workbook (open it in Excel "
                              "and Save As Excel Workbook (.xlsx))"),
    "corrupt zip": ("broken.xlsx", _corrupt, "broken.xlsx: is damaged: it is not a valid .xlsx "
                                             "package"),
    "zip, not a workbook": ("docs.xlsx", _not_a_workbook,
                            "docs.xlsx: is a zip file but not an Excel workbook (it has no "
                            "xl/workbook.xml)"),
    "missing": ("nope.xlsx", None, "nope.xlsx: does not exist"),
}


@pytest.mark.parametrize("command", ["check", "refresh"])
@pytest.mark.parametrize("case", list(NOT_WORKBOOKS))
def test_a_file_that_is_not_a_workbook_stops_with_the_packages_message(tmp_path, command, case):
    name, make, message = NOT_WORKBOOKS[case]
    path = tmp_path / name
    if make:
        make(path)
    before = sorted((p.name, p.read_bytes()) for p in tmp_path.iterdir())
    result = run(command, path)
    assert result.exit_code == 2
    assert f"error workbook: {message}" in err(result)
    assert "Nothing was written." in err(result)
    assert sorted((p.name, p.read_bytes()) for p in tmp_path.iterdir()) == before


def test_paths_are_printed_as_they_are(tmp_path):
    path = tmp_path / "AR [final].xlsx"
    build_workbook(path, BOOK)
    result = run("refresh", path, "--as-of", AS_OF)
    assert result.exit_code == 0
    assert f"Refreshed {path} as of" in out(result)
    (backup,) = list_backups(path)
    assert f"Backup of the previous file: {backup}" in out(result)


# --- restore ------------------------------------------------------------------------------------

def test_restore_lists_then_puts_back_the_newest_backup_and_keeps_the_replaced_file(workbook):
    assert "No backups of" in out(run("restore", workbook, "--list"))
    original = workbook.read_bytes()
    assert run("refresh", workbook, "--as-of", AS_OF).exit_code == 0
    refreshed = workbook.read_bytes()
    (backup,) = list_backups(workbook)
    listed = run("restore", workbook, "--list")
    assert listed.exit_code == 0 and backup.name in out(listed)
    assert workbook.read_bytes() == refreshed  # --list changes nothing

    result = run("restore", workbook)
    assert result.exit_code == 0, result.output
    assert workbook.read_bytes() == original
    kept = next(b for b in list_backups(workbook) if b != backup)
    assert kept.read_bytes() == refreshed
    assert f"Restored {workbook} from {backup.name}." in out(result)
    assert f"arsheets restore {workbook} {kept.name}" in out(result)

    # and undone, by the name it printed
    assert run("restore", workbook, kept.name).exit_code == 0
    assert workbook.read_bytes() == refreshed


def test_restore_of_an_unknown_backup_or_an_open_workbook_changes_nothing(workbook):
    run("refresh", workbook, "--as-of", AS_OF)
    before = workbook.read_bytes()
    result = run("restore", workbook, "nope.xlsx")
    assert result.exit_code == 2
    assert "the backup nope.xlsx does not exist" in err(result)
    # a bare name only finds this workbook's backups, not another's in the same folder
    other = workbook.parent / BACKUP_DIR / "other.20240101-120000.xlsx"
    other.write_bytes(b"someone else's workbook")
    result = run("restore", workbook, other.name)
    assert result.exit_code == 2 and f"the backup {other.name} does not exist" in err(result)
    (workbook.parent / f"~${workbook.name}").write_bytes(b"\x05Alice" + b"\0" * 50)
    result = run("restore", workbook)
    assert result.exit_code == 2 and "Alice" in err(result)
    assert workbook.read_bytes() == before
