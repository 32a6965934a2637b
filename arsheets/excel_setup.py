"""``arsheets excel-setup``: make a workbook ready for the xlwings add-in's "Run main" button.

"Run main" works with a plain .xlsx: it imports the Python module named like the workbook
(``AR_2024.xlsx`` -> ``AR_2024``) and calls its ``main()``. Setting up therefore means:

- the companion module ``<stem>.py`` beside the workbook, calling :func:`arsheets.excel.main`
  (the workbook's name must be a valid Python module name that hides no other module);
- a Control sheet, owned by arsheets and written through the safe writer (never an openpyxl save),
  with the Action dropdown in the cell named ``arsheets_action``, the As Of cell named
  ``arsheets_as_of``, and the setup steps for Windows and macOS.

The dropdown and the two defined names are small byte-level edits of the Control sheet's part and of
workbook.xml, in the writer's manner: every other byte of the package is copied as it was. Running
it again is safe: the Action and As Of already chosen are kept, and the file comes out the same.
This module does not import xlwings.
"""

from __future__ import annotations

import importlib.util
import keyword
import re
import sys
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from .errors import ArsheetsError, Problem, Where, sheet_prefix
from .workbook.package import Package
from .workbook.safety import AtomicFile, check_not_open, os_error
from .workbook.scan import XlsxBook
from .workbook.write import OwnedSheet, Role, write_workbook
from .workbook.zipcopy import ZipFormatError, ZipSource, ZipWriter, deflate

__all__ = [
    "ACTIONS", "ACTION_CELL", "ACTION_NAME", "AS_OF_CELL", "AS_OF_NAME", "CONTROL_SHEET",
    "SetupReport", "companion_text", "control_sheet", "module_name_problem", "setup_workbook",
    "suggest_module_name",
]

CONTROL_SHEET = "Control"
CONTROL_TITLE = "arsheets control"
ACTION_NAME = "arsheets_action"
AS_OF_NAME = "arsheets_as_of"
ACTION_CELL = "B3"
AS_OF_CELL = "B4"
ACTIONS = ("Refresh", "Letters for selected customers", "Plan for selected invoices",
           "Statement for selected customer")
ACTION_HELP = (
    "computes every status as of the As Of date and writes the status columns, Aging and "
    "Schedule",
    "the collection letters due for the customers whose rows you selected (Customers or "
    "Invoices)",
    "a Proposed payment plan (3 monthly installments, interest-free) for the invoices whose "
    "rows you selected on Invoices, with its agreement in the Letters Folder; change "
    "Installments or Annual Rate on the Plans row and Refresh to reschedule",
    "a statement of account for the customer whose row you selected (several: one each), in "
    "the Letters Folder",
)
COMPANION_MARK = "# arsheets-companion"
RESERVED_MODULES = frozenset(("arsheets", "xlwings"))
SMALL_LEVEL = 6


# --- the workbook's name as a Python module -------------------------------------------------------


def _taken(name: str, companion: Path | None = None) -> str | None:
    """What an existing module of that name is, if importing ``name`` would find one."""
    folded = name.casefold()
    if folded in RESERVED_MODULES:
        return f"the {folded} package itself"
    if folded in {m.casefold() for m in sys.stdlib_module_names}:
        return "a module of Python's standard library"
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return None
    origin = spec.origin or ""
    if companion is not None and origin and Path(origin).resolve() == companion.resolve():
        return None  # our own companion, found because its folder is on sys.path
    return f"an installed module ({origin or name})"


def suggest_module_name(stem: str) -> str:
    """A name that works: ``'AR 2024'`` -> ``'ar_2024'``, ``'2024 AR'`` -> ``'ar_2024_ar'``."""
    ascii_text = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    name = re.sub(r"[^0-9A-Za-z]+", "_", ascii_text).strip("_").lower() or "receivables"
    if name[0].isdigit():
        name = "ar_" + name
    if keyword.iskeyword(name) or _taken(name):
        name += "_book"
    return name


def module_name_problem(workbook: str | Path) -> Problem | None:
    """Why the workbook's name cannot name its companion module, with the rename that fixes it."""
    path = Path(workbook)
    stem = path.stem
    suggestion = f"{suggest_module_name(stem)}{path.suffix}"
    hint = (f"rename the workbook, e.g. {path.name!r} -> {suggestion!r}, then run "
            "arsheets excel-setup again")
    where = Where()
    if not (stem.isascii() and stem.isidentifier()) or keyword.iskeyword(stem):
        return Problem(where, f"{path.name!r} cannot work with the Run main button: xlwings runs "
                       f"the Python module named like the workbook, and {stem!r} is not a valid "
                       "module name (only letters A-Z, digits and _, not starting with a digit, "
                       "not a Python keyword)", hint)
    taken = _taken(stem, path.with_suffix(".py"))
    if taken:
        return Problem(where, f"{path.name!r} cannot work with the Run main button: its companion "
                       f"module {stem}.py would hide {taken}", hint)
    return None


def companion_text(workbook_name: str) -> str:
    return f'''"""The companion module of {workbook_name}, written by ``arsheets excel-setup``.

The xlwings add-in's "Run main" button imports the module named like the workbook and calls its
main(). Keep this file in the same folder as {workbook_name} (or in a folder listed in PYTHONPATH
on the xlwings tab), and choose what Run main does on the workbook's {CONTROL_SHEET} sheet.
"""
{COMPANION_MARK} (arsheets rewrites this file; remove this line to keep your own edits)

from arsheets.excel import main as run_arsheets


def main():
    run_arsheets()


if __name__ == "__main__":
    # For debugging from a terminal: the workbook must be open in Excel.
    import xlwings as xw

    xw.Book({workbook_name!r}).set_mock_caller()
    main()
'''


# --- the Control sheet ----------------------------------------------------------------------------


def _steps(module: str) -> list[tuple[str, list[str]]]:
    companion = f"{module}.py"
    return [
        ("Windows", [
            "Install Python 3.11 or newer from python.org (tick \"Add python.exe to PATH\").",
            "In a Command Prompt: pip install arsheets  (from a copy of the arsheets source "
            "folder: pip install -e .)",
            "Close Excel, then in the Command Prompt: xlwings addin install",
            "Open this workbook. On the xlwings tab, set Interpreter to the Python you installed "
            "arsheets into, e.g. C:\\Users\\you\\AppData\\Local\\Programs\\Python\\Python312"
            "\\pythonw.exe (with conda: set Conda Path and Conda Env instead).",
            f"Keep {companion} in the same folder as this workbook. If it lives elsewhere, add "
            "that folder to PYTHONPATH on the xlwings tab.",
            "Choose the Action above, then click Run main on the xlwings tab.",
        ]),
        ("macOS", [
            "Install Python 3.11 or newer (python.org or Homebrew).",
            "In Terminal: pip3 install arsheets  (from a copy of the arsheets source folder: "
            "pip3 install -e .)",
            "Quit Excel, then in Terminal: xlwings addin install  (it also installs the script "
            "Excel needs to start Python on a Mac)",
            "Open this workbook. On the xlwings tab, set Interpreter to the path that "
            "'which python3' prints in Terminal, e.g. /opt/homebrew/bin/python3 or your "
            "virtual environment's bin/python.",
            f"Keep {companion} in the same folder as this workbook. If it lives elsewhere, add "
            "that folder to PYTHONPATH on the xlwings tab.",
            "Choose the Action above, then click Run main on the xlwings tab.",
        ]),
    ]


def control_sheet(module: str, action: str = "Refresh", as_of: date | str | None = None
                  ) -> OwnedSheet:
    """The Control sheet: Action (B3), As Of (B4), what each action does, and the setup steps."""
    T, N, H = Role.TEXT, Role.NOTE, Role.HEADER
    rows: list[list[tuple[object, Role]]] = [
        [(CONTROL_TITLE, Role.TITLE)],
        [("Choose an action, select rows where it needs them, then click Run main on the "
          "xlwings tab.", N)],
        [("Action", H), (action, T), ("the list shows every action", N)],
        [("As Of", H), (as_of, Role.DATE),
         ("blank: the As Of Date in Settings, else today", N)],
        [],
        [("What each action does", H)],
    ]
    for name, text in zip(ACTIONS, ACTION_HELP):
        rows.append([(name, T), (text, N)])
    rows.append([("For the selection actions: go to the Invoices or Customers sheet, select the "
                  "rows (any cells of them), then click Run main.", N)])
    rows.append([])
    rows.append([("Set up Run main, once per computer", H)])
    for system, steps in _steps(module):
        rows.append([(system, H)])
        for k, step in enumerate(steps, start=1):
            rows.append([(f"{k}.", T), (step, T)])
        rows.append([])
    rows.append([("This sheet belongs to arsheets: arsheets excel-setup rewrites it, keeping the "
                  "Action and As Of chosen. Do not rename it.", N)])
    return OwnedSheet(CONTROL_SHEET, rows, widths=(22, 34, 60))


def _validations(p: bytes = b"") -> bytes:
    """The Action dropdown and the As Of date check (``p``: the part's namespace prefix)."""
    choices = ",".join(ACTIONS)
    assert len(choices) < 256 and '"' not in choices  # a list literal's limits
    return (
        b'<%sdataValidations count="2">' % p
        + b'<%sdataValidation type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1" '
        b'errorTitle="Action" error="Choose an action from the list." promptTitle="Action" '
        b'prompt="What Run main does" sqref="%s"><%sformula1>"%s"</%sformula1></%sdataValidation>'
        % (p, ACTION_CELL.encode(), p, escape(choices).encode(), p, p)
        + b'<%sdataValidation type="date" operator="greaterThan" allowBlank="1" '
        b'showErrorMessage="1" errorTitle="As Of" error="Type a date such as 2026-03-31, or leave '
        b'it blank." sqref="%s"><%sformula1>1</%sformula1></%sdataValidation>'
        % (p, AS_OF_CELL.encode(), p, p, p)
        + b"</%sdataValidations>" % p)


# --- byte-level edits -----------------------------------------------------------------------------

_AFTER_VALIDATIONS = ("hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter",
                      "rowBreaks", "colBreaks", "customProperties", "cellWatches", "ignoredErrors",
                      "smartTags", "drawing", "legacyDrawing", "legacyDrawingHF", "picture",
                      "oleObjects", "controls", "webPublishItems", "tableParts", "extLst")


def _prefix(raw: bytes, local: str) -> bytes:
    m = re.search(rb"<((?:[\w.-]+:)?)%s(?=[\s/>])" % local.encode(), raw)
    return m.group(1) if m else b""


def with_validations(sheet_xml: bytes) -> bytes:
    """The Control sheet's part with the Action dropdown and the As Of date check."""
    raw_prefix = _prefix(sheet_xml, "worksheet")
    p = re.escape(raw_prefix)
    block = _validations(raw_prefix)
    old = re.search(rb"<%sdataValidations(?=[\s>]).*?</%sdataValidations>" % (p, p), sheet_xml,
                    re.S)
    if old is not None:
        return sheet_xml[:old.start()] + block + sheet_xml[old.end():]
    for local in _AFTER_VALIDATIONS:
        m = re.search(rb"<%s%s(?=[\s/>])" % (p, local.encode()), sheet_xml)
        if m is not None:
            return sheet_xml[:m.start()] + block + sheet_xml[m.start():]
    m = re.search(rb"</%sworksheet\s*>" % p, sheet_xml)
    if m is None:
        raise ValueError("not a worksheet part")
    return sheet_xml[:m.start()] + block + sheet_xml[m.start():]


def with_defined_names(workbook_xml: bytes, names: dict[str, str]) -> bytes:
    """workbook.xml with workbook-level defined names set (``name -> Sheet!$B$3``); names already
    there with that reference are left byte for byte, others updated or added."""
    raw = workbook_xml
    p = _prefix(raw, "workbook")
    ep = re.escape(p)
    for name, ref in names.items():
        element = b"<%sdefinedName name=%s>%s</%sdefinedName>" % (
            p, quoteattr(name).encode(), escape(ref).encode(), p)
        existing = None
        for m in re.finditer(rb"<%sdefinedName(\s[^>]*)>(.*?)</%sdefinedName>" % (ep, ep), raw,
                             re.S):
            attrs = m.group(1)
            found = re.search(rb"\bname\s*=\s*[\"']([^\"']*)[\"']", attrs)
            if found and found.group(1).decode().casefold() == name.casefold() \
                    and b"localSheetId" not in attrs:
                existing = m
                break
        if existing is not None:
            if existing.group(2) != escape(ref).encode():
                raw = raw[:existing.start()] + element + raw[existing.end():]
            continue
        close = re.search(rb"</%sdefinedNames\s*>" % ep, raw)
        if close is not None:
            raw = raw[:close.start()] + element + raw[close.start():]
            continue
        empty = re.search(rb"<%sdefinedNames\s*/>" % ep, raw)
        wrapped = b"<%sdefinedNames>%s</%sdefinedNames>" % (p, element, p)
        if empty is not None:
            raw = raw[:empty.start()] + wrapped + raw[empty.end():]
            continue
        # schema order: ... sheets, functionGroups, externalReferences, definedNames, calcPr ...
        for local in (b"externalReferences", b"functionGroups", b"sheets"):
            end = re.search(rb"</%s%s\s*>" % (ep, local), raw) or \
                re.search(rb"<%s%s(?=[\s/])[^>]*/>" % (ep, local), raw)
            if end is not None:
                raw = raw[:end.end()] + wrapped + raw[end.end():]
                break
        else:
            raise ValueError("workbook.xml has no <sheets>")
    return raw


def _replace_parts(path: Path, new: dict[str, bytes]) -> None:
    """Write ``path`` again with some parts replaced; every other member copied raw."""
    try:
        with AtomicFile(path) as out:
            with path.open("rb") as fh:
                try:
                    source = ZipSource(fh)
                except ZipFormatError as exc:
                    raise ArsheetsError(Problem(Where(), f"{path.name}: is damaged: {exc}")) \
                        from None
                writer = ZipWriter(out.file)
                for entry in source.entries:
                    data = new.get(entry.name)
                    if data is None:
                        writer.copy(source, entry)
                    else:
                        writer.replace(source, entry, deflate(data, SMALL_LEVEL))
                writer.close(source.comment)
            out.commit(backup=False)  # the first write of this setup kept the backup
    except OSError as exc:
        raise os_error(exc, path, "writing the workbook") from None


# --- the whole setup ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SetupReport:
    workbook: Path
    companion: Path
    companion_status: str  # "written", "updated" or "unchanged"
    control_created: bool
    backup_path: Path | None


def _current_choices(path: Path) -> tuple[bool, str, date | str | None]:
    """Whether the workbook has a Control sheet already, and the Action and As Of on it."""
    with XlsxBook.open(path) as book:
        sheet = book.sheet(CONTROL_SHEET)
        if sheet is None:
            return False, "Refresh", None
        cells = {(r, c): v for r, values in sheet.rows(None) if r <= 4 for c, v in values.items()}
        title = cells.get((1, 1))
        if not (isinstance(title, str) and title.strip().casefold() == CONTROL_TITLE):
            raise ArsheetsError(Problem(
                Where(sheet.name), "the workbook already has a sheet of that name that arsheets "
                "did not make", f"rename your sheet, so arsheets can add its own "
                f"{CONTROL_SHEET} sheet, then run arsheets excel-setup again"))
        action = cells.get((3, 2))
        keys = {re.sub(r"\s+", "", a).casefold(): a for a in ACTIONS}
        chosen = keys.get(re.sub(r"\s+", "", action).casefold(), "Refresh") \
            if isinstance(action, str) else "Refresh"
        as_of = cells.get((4, 2))  # a date, or text the button will read as one
        return True, chosen, as_of if type(as_of) is date or isinstance(as_of, str) else None


def setup_workbook(path: str | Path) -> SetupReport:
    """Prepare ``path`` for Run main; raises :class:`ArsheetsError` before changing anything when it
    cannot (a bad name, an open workbook, a Control sheet or companion file that is not ours)."""
    path = Path(path)
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise ArsheetsError(Problem(Where(), f"{path.name}: is not an .xlsx or .xlsm workbook",
                                    "give the path of the workbook you use in Excel"))
    if not path.is_file():
        raise ArsheetsError(Problem(Where(), f"{path.name}: does not exist",
                                    "check the path, or create one with arsheets init"))
    problem = module_name_problem(path)
    if problem is not None:
        raise ArsheetsError(problem)
    companion = path.with_suffix(".py")
    text = companion_text(path.name)
    status = "written"
    if companion.exists():
        old = companion.read_text(encoding="utf-8", errors="replace")
        if old.replace("\r\n", "\n") == text:
            status = "unchanged"
        elif COMPANION_MARK in old:
            status = "updated"
        else:
            raise ArsheetsError(Problem(
                Where(), f"{companion.name}: already exists and was not written by arsheets",
                f"Run main needs {companion.name} to be the companion module: move your file "
                "elsewhere (or rename the workbook), then run arsheets excel-setup again"))
    check_not_open(path)
    existed, action, as_of = _current_choices(path)
    report = write_workbook(path, [], [control_sheet(path.stem, action, as_of)])
    with Package.open(path) as pkg:
        info = pkg.sheet(CONTROL_SHEET)
        assert info is not None
        sheet_xml, wb_xml = pkg.read(info.part), pkg.read(pkg.workbook_part)
        wb_part, sheet_part, name = pkg.workbook_part, info.part, info.name
    ref = sheet_prefix(name)
    new_sheet = with_validations(sheet_xml)
    new_wb = with_defined_names(wb_xml, {
        ACTION_NAME: f"{ref}!${ACTION_CELL[0]}${ACTION_CELL[1:]}",
        AS_OF_NAME: f"{ref}!${AS_OF_CELL[0]}${AS_OF_CELL[1:]}",
    })
    changed = {part: data for part, data, old in ((sheet_part, new_sheet, sheet_xml),
                                                   (wb_part, new_wb, wb_xml)) if data != old}
    if changed:
        _replace_parts(path, changed)
    if status != "unchanged":
        companion.write_text(text, encoding="utf-8")
    return SetupReport(path, companion, status, not existed, report.backup_path)
