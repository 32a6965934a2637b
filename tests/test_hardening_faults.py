"""Faults while writing: the workbook is as it was or completely refreshed, never half-written.

Each stage of a write is made to fail in turn (monkeypatched, through the real command line): the
temporary file's creation, its writing (a full disk at several points), its fsync, the backup
(hard link refused, then the copy runs out of disk), and the final ``os.replace``. Then a real
process is killed (SIGKILL) at random moments while it writes. Then a read-only workbook, a
workbook open in Excel or LibreOffice, and a letters folder that cannot be written.

The decision about a killed write: the workbook itself is intact (it is only ever replaced whole),
and the temporary file the killed run was writing may stay beside it, hidden
(``.~arsheets-NAME-xxxxxxxx.xlsx.tmp``). The next run ignores it (it may belong to a run still
going) and removes it once it is an hour old.

This suite runs as root in CI containers, where file permissions do not stop anything: a read-only
workbook is still refused (arsheets checks the file's write bit, not only ``access()``), but a
folder without write permission is simulated (see test_write_safety.py and the letters tests).
"""

from __future__ import annotations

import errno
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from arsheets import pipeline
from arsheets.cli import main
from arsheets.errors import ArsheetsError
from arsheets.workbook import safety
from arsheets.workbook.safety import BACKUP_DIR, TEMP_PREFIX, list_backups, remove_stale_temps
from arsheets.workbook.template import build_workbook
from factories import book, cust, inv, pay
from xlsx_fixtures import contract_book, files

AS_OF = date(2024, 6, 1)
TESTS = Path(__file__).resolve().parent


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)



def temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(TEMP_PREFIX))


@pytest.fixture
def workbook(tmp_path) -> Path:
    path = tmp_path / "book.xlsx"
    invoices = [inv(f"INV-{i}", f"{100 + i}.00", f"2024-0{1 + i % 5}-0{1 + i % 9}",
                    customer=f"C-{i % 3}") for i in range(40)]
    build_workbook(path, book(invoices, [pay("2024-03-01", "75.00", customer="C-1")]))
    return path


# --- each stage fails in turn ---------------------------------------------------------------------


class FailingFile:
    """The temporary file, failing with ``error`` once ``limit`` bytes have been written, or when
    the zip's central directory (written last) starts."""

    def __init__(self, real, limit: int | None, error: int):
        self.real, self.limit, self.error, self.written = real, limit, error, 0

    def write(self, data) -> int:
        if self.limit is None:
            if bytes(data[:4]) == b"PK\x01\x02":
                raise OSError(self.error, os.strerror(self.error))
            return self.real.write(data)
        room = self.limit - self.written
        if len(data) > room:
            self.real.write(bytes(data[:max(room, 0)]))
            self.written = self.limit
            raise OSError(self.error, os.strerror(self.error))
        self.written += len(data)
        return self.real.write(data)

    def __getattr__(self, name):
        return getattr(self.real, name)


def fail_writing_after(limit: int | None, error: int = errno.ENOSPC):
    """``limit`` None: at the central directory."""
    def patch(monkeypatch):
        enter = safety.AtomicFile.__enter__

        def failing_enter(self):
            enter(self)
            self.file = FailingFile(self.file, limit, error)
            return self
        monkeypatch.setattr(safety.AtomicFile, "__enter__", failing_enter)
    return patch


def raising(error: int, *, when=lambda *a: True, real=None):
    def fake(*args, **kwargs):
        if when(*args):
            raise OSError(error, os.strerror(error), str(args[0]) if args else None)
        return real(*args, **kwargs)
    return fake


def no_temp_file(monkeypatch):
    monkeypatch.setattr(safety.tempfile, "mkstemp", raising(errno.ENOSPC))


def no_fsync(monkeypatch):
    monkeypatch.setattr(safety.os, "fsync", raising(errno.EIO))


def backup_disk_full(monkeypatch):
    """No hard links on this drive, and the copy runs out of disk half-way."""
    monkeypatch.setattr(safety.os, "link", raising(errno.EPERM))

    def half_copy(src, dst, *a, **k):
        Path(dst).write_bytes(Path(src).read_bytes()[:1000])
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))
    monkeypatch.setattr(safety.shutil, "copy2", half_copy)


def replace_refused(monkeypatch):
    """Windows refuses to replace a file another program holds open."""
    monkeypatch.setattr(safety.os, "replace", raising(errno.EACCES, real=os.replace,
                                                      when=lambda src, dst: str(dst).endswith(
                                                          "book.xlsx")))


STAGES = {
    "creating the temporary file": (no_temp_file, "the disk is full while creating a temporary "
                                                  "file beside it; the workbook was not changed"),
    "writing: disk full at once": (fail_writing_after(0), "the disk is full while writing"),
    "writing: disk full in the sheets": (fail_writing_after(20_000), "the disk is full"),
    "writing: disk full at the central directory": (fail_writing_after(None), "the disk is full"),
    "writing: I/O error": (fail_writing_after(5_000, errno.EIO), "could not finish writing the "
                                                                 "workbook: Input/output error"),
    "fsync": (no_fsync, "could not finish saving the new workbook: Input/output error"),
    "backup: no hard links, disk full while copying": (
        backup_disk_full, "the disk is full while keeping a backup in"),
    "os.replace refused": (replace_refused, "permission denied while replacing the workbook with "
                                            "the new one"),
}


@pytest.mark.parametrize("stage", list(STAGES))
def test_a_write_failing_at_any_stage_leaves_the_original(workbook, monkeypatch, stage):
    make_fail, message = STAGES[stage]
    folder = workbook.parent
    before = files(folder)
    make_fail(monkeypatch)
    result = run("refresh", workbook, "--as-of", AS_OF)
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr
    assert result.stderr.rstrip().endswith("Nothing was written.")
    monkeypatch.undo()
    assert files(folder) == before  # the workbook byte for byte; no temp file, no backup
    assert list_backups(workbook) == []
    # and the next run, with the fault gone, refreshes
    assert run("refresh", workbook, "--as-of", AS_OF).exit_code == 0
    assert len(list_backups(workbook)) == 1 and temps(folder) == []


def test_a_backup_copy_cut_short_never_passes_for_a_backup(workbook, monkeypatch):
    backup_disk_full(monkeypatch)
    with pytest.raises(ArsheetsError, match="the disk is full while keeping a backup"):
        safety.make_backup(workbook)
    monkeypatch.undo()
    assert list_backups(workbook) == []
    assert [p.name for p in (workbook.parent / BACKUP_DIR).iterdir()] == []


def test_a_backup_copy_is_used_where_hard_links_are_not_allowed(workbook, monkeypatch):
    monkeypatch.setattr(safety.os, "link", raising(errno.EPERM))
    original = workbook.read_bytes()
    assert run("refresh", workbook, "--as-of", AS_OF).exit_code == 0
    (backup,) = list_backups(workbook)
    assert backup.read_bytes() == original and backup.stat().st_ino != workbook.stat().st_ino


# --- a real process killed while it writes --------------------------------------------------------

CHILD = textwrap.dedent("""
    # Refresh the workbook sys.argv[1] as of sys.argv[2], saying "writing" when the write starts.
    # With sys.argv[3], also say "at STAGE" at that stage of the write and wait there to be killed.
    import os, sys, time
    from datetime import date
    import arsheets.pipeline as pipeline
    from arsheets.workbook import safety, zipcopy

    stage = sys.argv[3] if len(sys.argv) > 3 else ""

    def stop_at(name):
        if name == stage:
            print("at", name, flush=True)
            time.sleep(60)

    def after(owner, attr, name):
        real = getattr(owner, attr)
        def wrapped(*args, **kwargs):
            result = real(*args, **kwargs)
            stop_at(name)
            return result
        setattr(owner, attr, wrapped)

    def before(owner, attr, name):
        real = getattr(owner, attr)
        def wrapped(*args, **kwargs):
            stop_at(name)
            return real(*args, **kwargs)
        setattr(owner, attr, wrapped)

    write = zipcopy.ZipWriter._write

    def assembling(self, data):  # 32 KB of the new workbook are in the temporary file
        write(self, data)
        if self.pos > 32768:
            stop_at("assembling")
    zipcopy.ZipWriter._write = assembling
    before(safety.os, "fsync", "fsync")  # the temporary file is complete
    after(safety, "make_backup", "backed up")  # the backup is made, the workbook not replaced
    after(safety.os, "replace", "replaced")  # the new workbook is in place
    real = pipeline.write_workbook

    def announced(*args, **kwargs):
        print("writing", flush=True)
        return real(*args, **kwargs)

    pipeline.write_workbook = announced
    pipeline.refresh(sys.argv[1], date.fromisoformat(sys.argv[2]))
""")


def big_workbook(path: Path, n: int = 2000) -> Path:
    invoices = [inv(f"INV-{i:05d}", f"{100 + i % 900}.{i % 100:02d}",
                    (date(2024, 1, 1) + timedelta(days=i % 150)).isoformat(),
                    customer=f"C-{i % 200:03d}") for i in range(n)]
    payments = [pay((date(2024, 2, 1) + timedelta(days=i % 100)).isoformat(), "50.00",
                    customer=f"C-{i % 200:03d}") for i in range(n // 3)]
    build_workbook(path, book(invoices, payments, customers=[cust(f"C-{i:03d}")
                                                             for i in range(200)]))
    return path


def start_child(path: Path, stage: str = "") -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS.parent), str(TESTS)])}
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(path), AS_OF.isoformat(), stage],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline()
    assert line.startswith("writing"), line + proc.stderr.read()
    return proc


def kill(proc: subprocess.Popen) -> int:
    """SIGKILL the child (unless it has finished); its exit code."""
    proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode in (0, -signal.SIGKILL), err
    return proc.returncode


# the stage a kill lands in -> (the workbook afterwards, is a temporary file left, a backup made)
STAGED_KILLS = {"assembling": ("original", True, False), "fsync": ("original", True, False),
                "backed up": ("original", True, True), "replaced": ("refreshed", False, True)}


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_a_process_killed_while_writing_leaves_the_original_or_the_refresh(tmp_path):
    folder = tmp_path / "books"
    folder.mkdir()
    path = big_workbook(folder / "book.xlsx")
    original = path.read_bytes()
    # the complete refresh, for comparison (the same as-of gives the same bytes)
    expected = tmp_path / "expected.xlsx"
    shutil.copyfile(path, expected)
    seconds = pipeline.refresh(expected, AS_OF, backup=False).written.seconds
    refreshed = expected.read_bytes()

    def check(context: str) -> tuple[str, list[int]]:
        now = path.read_bytes()
        assert now in (original, refreshed), context
        for backup in list_backups(path):  # a backup is always a whole copy of the original
            assert backup.read_bytes() == original, context
        strays = sorted(set(os.listdir(folder)) - {"book.xlsx", BACKUP_DIR})
        assert strays == temps(folder), context  # nothing but temporary files
        result = ("refreshed" if now == refreshed else "original",
                  [(folder / name).stat().st_size for name in strays])
        # start over from the original, with no backup or leftover, for the next kill
        for name in strays:
            (folder / name).unlink()
        shutil.rmtree(folder / BACKUP_DIR, ignore_errors=True)
        (folder / "reset").write_bytes(original)
        os.replace(folder / "reset", path)
        return result

    # killed at each stage of the write, deterministically
    for stage, (outcome, temp_left, backed_up) in STAGED_KILLS.items():
        child = start_child(path, stage)
        assert child.stdout.readline().strip() == f"at {stage}"
        had_backup = bool(list_backups(path))
        assert kill(child) == -signal.SIGKILL
        now, left = check(stage)
        assert (now, bool(left), had_backup) == (outcome, temp_left, backed_up), stage
        if stage == "assembling":
            assert 0 < left[0] < len(refreshed)  # half-written, and beside the workbook
    # killed at random moments
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    kills = 3
    for i in range(kills):
        delay = (i + rng.random()) * 1.3 * seconds / kills
        child = start_child(path)
        time.sleep(delay)
        kill(child)
        check(f"seed {seed}, killed {delay:.3f} s into the write")


def test_the_next_run_ignores_a_killed_runs_file_then_removes_it(workbook):
    folder = workbook.parent
    left = folder / f"{TEMP_PREFIX}book-abcd1234.xlsx.tmp"
    left.write_bytes(b"PK\x03\x04 half a workbook")
    assert run("refresh", workbook, "--as-of", AS_OF).exit_code == 0
    assert temps(folder) == [left.name]  # young: it could be a run still going
    assert run("check", workbook, "--as-of", AS_OF).exit_code == 0
    old = time.time() - 2 * safety.STALE_TEMP_SECONDS
    os.utime(left, (old, old))
    assert run("refresh", workbook, "--as-of", "2024-06-02").exit_code == 0
    assert temps(folder) == []


def test_only_this_workbooks_old_temporary_files_are_removed(tmp_path):
    path = tmp_path / "AR [2024].xlsx"
    path.write_bytes(b"x")
    old = time.time() - 2 * safety.STALE_TEMP_SECONDS
    names = {
        f"{TEMP_PREFIX}AR [2024]-abc_1234.xlsx.tmp": True,  # ours, old: removed
        f"{TEMP_PREFIX}AR [2024]-new_1234.xlsx.tmp": False,  # ours, young: left
        f"{TEMP_PREFIX}AR [2024]-2-abc12345.xlsx.tmp": False,  # another workbook's
        f"{TEMP_PREFIX}AR [2024]-abc_1234.xlsm.tmp": False,  # the .xlsm of the same name
        "AR [2024]-abc_1234.xlsx.tmp": False,  # not arsheets'
        f"{TEMP_PREFIX}AR [2024]-abc_1234.xlsx": False,
    }
    for name in names:
        (tmp_path / name).write_bytes(b"partial")
        if "new" not in name:
            os.utime(tmp_path / name, (old, old))
    removed = remove_stale_temps(path)
    assert sorted(p.name for p in removed) == [n for n, gone in names.items() if gone]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [path.name] + [n for n, gone in names.items() if not gone])


# --- read-only, open elsewhere --------------------------------------------------------------------


def test_a_read_only_workbook_is_refused(workbook):
    before = files(workbook.parent)
    workbook.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    try:
        result = run("refresh", workbook, "--as-of", AS_OF)
        assert result.exit_code == 2
        assert ("book.xlsx: is read-only, so arsheets cannot save its results (clear the "
                "read-only flag") in result.stderr
        assert files(workbook.parent) == before
        assert run("check", workbook, "--as-of", AS_OF).exit_code == 0  # reading is fine
    finally:
        workbook.chmod(0o644)


def test_excel_shortens_the_lock_file_of_a_long_name(tmp_path):
    path = tmp_path / "receivables-2024.xlsx"
    build_workbook(path, book([inv("INV-1", "10.00")]))
    (tmp_path / "~$ceivables-2024.xlsx").write_bytes(b"\x04Dana" + bytes(50))
    before = files(tmp_path)
    result = run("refresh", path, "--as-of", AS_OF)
    assert result.exit_code == 2
    assert "is open in Excel by Dana; arsheets cannot save it while it is open" in result.stderr
    assert files(tmp_path) == before


# --- letters --------------------------------------------------------------------------------------

LETTERS_AS_OF = "2024-03-18"
OVERDUE = {"Invoice": "INV-1", "Customer": "C-01", "Invoice Date": date(2024, 1, 1),
           "Due Date": date(2024, 3, 10), "Amount": 100}


def letters_book(folder: Path, **settings) -> Path:
    return contract_book(folder / "book.xlsx", invoices=[OVERDUE], settings={
        "Company Name": "Bright Widgets", "Company Email": "ar@bright.example", **settings})


@pytest.mark.parametrize("lock", ["~$book.xlsx", ".~lock.book.xlsx#"])
def test_letters_for_an_open_workbook_write_nothing(tmp_path, lock):
    path = letters_book(tmp_path)
    (tmp_path / lock).write_bytes(b"U,dana,host,2024,path," if lock.startswith(".") else b"\x00")
    before = files(tmp_path)
    result = run("letters", path, "--as-of", LETTERS_AS_OF)
    assert result.exit_code == 2
    assert "is open in" in result.stderr and "Nothing was written." in result.stderr
    assert files(tmp_path) == before


def test_letters_for_a_read_only_workbook_leave_no_letter(tmp_path):
    path = letters_book(tmp_path)
    path.chmod(0o444)
    try:
        before = files(tmp_path)
        result = run("letters", path, "--as-of", LETTERS_AS_OF)
        assert result.exit_code == 2
        assert "is read-only" in result.stderr
        assert files(tmp_path) == before  # no letter that Activity would not know of
    finally:
        path.chmod(0o644)


def test_a_file_in_the_way_of_the_letters_folder(tmp_path):
    path = letters_book(tmp_path, **{"Letters Folder": "out/letters"})
    (tmp_path / "out").write_text("a file, not a folder")
    before = files(tmp_path)
    result = run("letters", path, "--as-of", LETTERS_AS_OF)
    assert result.exit_code == 2
    assert f"{tmp_path / 'out' / 'letters' / LETTERS_AS_OF}: cannot write letters here" \
        in result.stderr
    assert files(tmp_path) == before


def test_a_letters_folder_without_permission(tmp_path, monkeypatch):
    """As root nothing is denied, so the operating system's answer is simulated."""
    path = letters_book(tmp_path)
    target = tmp_path / "letters" / LETTERS_AS_OF
    real = os.mkdir

    def denied(p, *a, **k):
        if Path(p) == target:
            raise PermissionError(errno.EACCES, "Permission denied", str(p))
        return real(p, *a, **k)
    monkeypatch.setattr(os, "mkdir", denied)
    before = files(tmp_path)
    result = run("letters", path, "--as-of", LETTERS_AS_OF)
    assert result.exit_code == 2
    assert "cannot write letters here: permission denied" in result.stderr
    assert files(tmp_path) == before


def test_a_full_disk_while_writing_the_letters(tmp_path, monkeypatch):
    path = letters_book(tmp_path)
    from arsheets.letters import output

    def full(folder, stems, suffix=".docx"):
        raise output._unwritable(folder, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(output, "reserve_paths", full)
    before = files(tmp_path)
    result = run("letters", path, "--as-of", LETTERS_AS_OF)
    assert result.exit_code == 2
    assert "cannot write letters here: No space left on device" in result.stderr
    assert files(tmp_path) == before
