"""Headless LibreOffice for the tests: an independent program that opens what arsheets wrote.

Every test that needs it calls :func:`require_libreoffice` (directly or through
:func:`libreoffice_convert`): without LibreOffice the test is skipped, unless the environment sets
``ARSHEETS_REQUIRE_LIBREOFFICE=1`` (as CI does), and then it fails.

Each conversion runs with a private user profile (``-env:UserInstallation``) inside the test's
own folder, so parallel runs and a LibreOffice the developer has open do not interfere, and with
Calc set to recalculate every formula on load, as Excel does for a workbook marked
``fullCalcOnLoad``.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

RECALC_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode"
 oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""

# "Text - txt - csv (StarCalc)" with options: comma, double quote, UTF-8, ..., cells as shown
# (formatted), every sheet to its own file NAME-SHEET.csv (LibreOffice 7.2 and later).
CSV_ALL_SHEETS = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"


def libreoffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def require_libreoffice() -> str:
    """LibreOffice's command; skips the test without it (fails when CI says it must be there)."""
    import pytest

    found = libreoffice()
    if found is None:
        if os.environ.get("ARSHEETS_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail("ARSHEETS_REQUIRE_LIBREOFFICE=1 but LibreOffice is not installed")
        pytest.skip("LibreOffice is not installed")
    return found


def _soffice(paths: list[Path], outdir: Path, fmt: str) -> str:
    """Run one headless conversion into ``outdir/converted``; returns what LibreOffice said."""
    profile = outdir / "lo-profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC_PROFILE)
    env = {**os.environ, "HOME": str(outdir)}
    result = subprocess.run(
        [require_libreoffice(), f"-env:UserInstallation={profile.as_uri()}", "--headless",
         "--norestore", "--convert-to", fmt, "--outdir", str(outdir / "converted"),
         *(str(p) for p in paths)],
        capture_output=True, text=True, timeout=240, env=env)
    return f"{result.stdout} {result.stderr}"


def libreoffice_convert_all(paths: Iterable[str | Path], outdir: str | Path,
                            fmt: str = "xlsx") -> list[Path]:
    """Open each workbook in one headless LibreOffice run (recalculating every formula on load)
    and save it as ``fmt`` (an extension, optionally with a filter) in ``outdir/converted``;
    returns the converted files, in the order given."""
    paths, outdir = [Path(p) for p in paths], Path(outdir)
    said = _soffice(paths, outdir, fmt)
    ext = fmt.split(":", 1)[0]
    out = [outdir / "converted" / f"{p.stem}.{ext}" for p in paths]
    missing = [p.name for p in out if not p.exists()]
    assert not missing, f"LibreOffice failed on {missing}: {said}"
    return out


def libreoffice_convert(path: str | Path, outdir: str | Path, fmt: str = "xlsx") -> Path:
    """:func:`libreoffice_convert_all` for one workbook."""
    return libreoffice_convert_all([path], outdir, fmt)[0]


def libreoffice_csv(path: str | Path, outdir: str | Path) -> dict[str, list[list[str]]]:
    """Every sheet of a workbook as LibreOffice shows it after recalculating: sheet name -> rows
    of cell texts (as formatted)."""
    path, outdir = Path(path), Path(outdir)
    said = _soffice([path], outdir, CSV_ALL_SHEETS)
    prefix = path.stem + "-"
    sheets = {}
    for file in sorted((outdir / "converted").glob(f"{path.stem}-*.csv")):
        with file.open(newline="", encoding="utf-8") as fh:
            sheets[file.stem[len(prefix):]] = list(csv.reader(fh))
    assert sheets, f"LibreOffice wrote no CSV for {path.name}: {said}"
    return sheets
