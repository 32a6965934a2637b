"""A second client for every workbook the tests write.

Every workbook ``write_workbook`` produces during the run is copied, once per content, into a
session folder. A helper process started with the session (``python conftest.py FOLDER SOFFICE``,
so no test's monkeypatching can reach it) converts them with headless LibreOffice in batches while
the tests run, with a private profile (see ``libreoffice.py``). At the end of the session each one
must have been converted, and the values arsheets wrote must read back the same from LibreOffice's
file as from arsheets' own (both read with python-calamine): the owned cells of every patched row,
every appended row, and the whole of each sheet arsheets owns (Aging, Schedule, Control). A
workbook LibreOffice cannot open, or reads differently, fails the run. (One difference is
LibreOffice's own and allowed: it reads a carriage return in a text cell as a line feed.)

It runs when LibreOffice is installed, and must when ``ARSHEETS_REQUIRE_LIBREOFFICE=1`` (CI);
``ARSHEETS_SECOND_CLIENT=0`` turns it off for a quick local run.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

BATCH = 12  # workbooks per LibreOffice run while the tests go on (each run costs ~1.5 s to start)
_rename = os.rename  # taken now: tests monkeypatch os functions while arsheets writes


class SecondClient:
    def __init__(self, folder: Path, soffice: str | None):
        self.folder, self.soffice = folder, soffice
        self.inbox = folder / "inbox"
        self.inbox.mkdir(parents=True)
        self.meta: dict[str, dict] = {}
        self.helper = None
        if soffice:
            self.log = (folder / "helper.log").open("wb")
            self.helper = subprocess.Popen([sys.executable, __file__, str(folder), soffice],
                                           stdout=self.log, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL)

    def wrap(self, real):
        @functools.wraps(real)
        def write_workbook(path, patches, owned=(), *args, **kw):
            written: dict[int, list[int]] = {}

            def tap(i, rows):
                for item in rows:
                    written.setdefault(i, []).append(item[0])
                    yield item

            def tapped(i, patch):  # the rows it writes, noted as the writer takes them
                if isinstance(patch.rows, Sequence):
                    written[i] = [row for row, _ in patch.rows]
                    return patch
                return dataclasses.replace(patch, rows=tap(i, patch.rows))
            patches = [tapped(i, p) for i, p in enumerate(patches)]
            report = real(path, patches, owned, *args, **kw)
            cells = [(p.sheet, p.header_row, [c.column for c in p.columns], written.get(i, []),
                      len(p.appends)) for i, p in enumerate(patches)]
            self.record(Path(path), cells, [o.name for o in owned])
            return report
        return write_workbook

    def record(self, path: Path, cells: list, owned: list[str]) -> None:
        data = path.read_bytes()
        key = hashlib.sha256(data).hexdigest()[:24]
        if key in self.meta:
            return
        test = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" ", 1)[0]
        self.meta[key] = {"test": test, "cells": cells, "owned": owned}
        part = self.inbox / f"{key}.part"
        part.write_bytes(data)
        _rename(part, self.inbox / f"{key}.xlsx")

    def finish(self) -> tuple[list[str], float]:
        """Wait for the helper; the failures, and how long the session waited for it."""
        if not self.meta:
            if self.helper:
                (self.folder / "DONE").touch()
                self.helper.wait(60)
            return [], 0.0
        if self.helper is None:
            return ["ARSHEETS_REQUIRE_LIBREOFFICE=1 but LibreOffice is not installed"], 0.0
        started = time.perf_counter()
        (self.folder / "DONE").touch()
        try:
            self.helper.wait(900)
        except subprocess.TimeoutExpired:
            self.helper.kill()
            return ["LibreOffice did not finish converting within 15 minutes"], 900.0
        waited = time.perf_counter() - started
        self.log.close()
        failures = []
        if self.helper.returncode:
            tail = (self.folder / "helper.log").read_text(errors="replace")[-2000:]
            failures.append(f"the LibreOffice helper failed ({self.helper.returncode}): {tail}")
        for key, meta in self.meta.items():
            ours, theirs = self.inbox / f"{key}.xlsx", self.folder / "converted" / f"{key}.xlsx"
            if not theirs.exists():
                failures.append(f"{meta['test']}: LibreOffice could not open {ours}")
                continue
            failures += [f"{meta['test']}: {d}" for d in compare(ours, theirs, meta)[:5]]
        return failures, waited


def _norm(value):
    if value == "":
        return None
    if isinstance(value, str) and "\r" in value:  # LibreOffice reads a carriage return as \n
        return value.replace("\r\n", "\n").replace("\r", "\n")
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date()
    if isinstance(value, float) and not isinstance(value, bool):
        return round(value, 9)
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def compare(ours: Path, theirs: Path, meta: dict) -> list[str]:
    """Where LibreOffice's copy reads differently from arsheets' file, in the cells it wrote."""
    from python_calamine import CalamineWorkbook

    books = CalamineWorkbook.from_path(str(ours)), CalamineWorkbook.from_path(str(theirs))

    def grid(book, sheet):
        names = {n.casefold(): n for n in book.sheet_names}
        if sheet.casefold() not in names:
            return None
        return book.get_sheet_by_name(names[sheet.casefold()]).to_python(skip_empty_area=False)

    def at(rows, r, c):
        return _norm(rows[r - 1][c - 1]) if 0 < r <= len(rows) and c <= len(rows[r - 1]) else None

    diffs = []
    todo = [(sheet, [(header, c) for c in cols] + [(r, c) for r in rows for c in cols], appended)
            for sheet, header, cols, rows, appended in meta["cells"]]
    todo += [(sheet, None, 0) for sheet in meta["owned"]]
    for sheet, cells, appended in todo:
        a, b = grid(books[0], sheet), grid(books[1], sheet)
        if a is None or b is None:
            diffs.append(f"{sheet}: missing in {'LibreOffice' if a else 'arsheets'}' copy")
            continue
        if cells is None or appended:  # a sheet arsheets owns, or rows it appended: every cell
            rows = range(1, max(len(a), len(b)) + 1) if cells is None else \
                range(len(a) - appended + 1, len(a) + 1)
            width = max(map(len, a + b), default=0)
            cells = (cells or []) + [(r, c) for r in rows for c in range(1, width + 1)]
        for r, c in cells:
            if at(a, r, c) != at(b, r, c):
                diffs.append(f"{ours.name} {sheet} row {r} column {c}: arsheets wrote "
                             f"{at(a, r, c)!r}, LibreOffice read {at(b, r, c)!r}")
    return diffs


# --- pytest hooks ---------------------------------------------------------------------------------

_client: SecondClient | None = None


def pytest_configure(config) -> None:
    global _client
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    required = os.environ.get("ARSHEETS_REQUIRE_LIBREOFFICE") == "1"
    if os.environ.get("ARSHEETS_SECOND_CLIENT") == "0" or not (soffice or required):
        return
    import arsheets.workbook.write as write

    _client = SecondClient(Path(tempfile.mkdtemp(prefix="arsheets-second-client-")), soffice)
    real = write.write_workbook
    wrapper = _client.wrap(real)
    for module in [write, *sys.modules.values()]:
        if getattr(module, "write_workbook", None) is real:
            module.write_workbook = wrapper


def pytest_sessionfinish(session, exitstatus) -> None:
    if _client is None:
        return
    failures, waited = _client.finish()
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    say = reporter.write_line if reporter else print
    say(f"second client: LibreOffice opened {len(_client.meta)} workbooks written by the tests; "
        f"the session waited {waited:.1f} s for it")
    if failures:
        for line in failures[:40]:
            say(f"second client FAILED: {line}")
        say(f"(arsheets' files and LibreOffice's copies are in {_client.folder})")
        session.exitstatus = 1
    else:
        shutil.rmtree(_client.folder, ignore_errors=True)


def pytest_unconfigure(config) -> None:
    if _client is not None and _client.helper is not None and _client.helper.poll() is None:
        _client.helper.kill()


# --- the helper process ---------------------------------------------------------------------------

def _watch(folder: Path, soffice: str) -> None:
    """Convert what arrives in ``folder/inbox`` in batches until ``folder/DONE`` appears."""
    from libreoffice import _soffice

    os.nice(19)  # the tests come first; LibreOffice uses what CPU they leave
    done: set[str] = set()
    while True:
        finished = (folder / "DONE").exists()
        todo = sorted(p for p in (folder / "inbox").glob("*.xlsx") if p.name not in done)
        if todo and (finished or len(todo) >= BATCH):
            print(_soffice(todo, folder, "xlsx"), flush=True)
            done.update(p.name for p in todo)
        elif finished:
            return
        else:
            time.sleep(0.5)


if __name__ == "__main__":
    _watch(Path(sys.argv[1]), sys.argv[2])
