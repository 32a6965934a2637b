"""Writing never leaves the workbook half-written, open files are refused, backups restore."""

from __future__ import annotations

import errno
import os
import stat
import zipfile
from datetime import datetime
from decimal import Decimal

import pytest

from arsheets.errors import ArsheetsError
from arsheets.workbook import safety, zipcopy
from arsheets.workbook.safety import (BACKUP_DIR, check_not_open, list_backups, make_backup,
                                      restore)
from arsheets.workbook.schema import Kind
from arsheets.workbook.write import ColumnPatch, SheetPatch, write_workbook
from fidelity_workbook import build


@pytest.fixture
def book(tmp_path):
    return build(tmp_path / "book.xlsx", 8).path


def _patch(rows=range(2, 10), status="Overdue"):
    cols = (ColumnPatch(12, Kind.MONEY), ColumnPatch(18, Kind.TEXT))
    return [SheetPatch("Invoices", 1, cols, ((r, (Decimal(r), status)) for r in rows))]


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name != BACKUP_DIR)


def test_a_failing_replace_leaves_the_original_and_no_temp_file(book, monkeypatch):
    before = book.read_bytes()

    def boom(*a):
        raise OSError(errno.EIO, "Input/output error")
    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(ArsheetsError, match="could not finish"):
        write_workbook(book, _patch())
    assert book.read_bytes() == before
    assert _leftovers(book.parent) == ["book.xlsx"]
    assert list_backups(book) == []


def test_an_error_mid_write_leaves_the_original_and_no_temp_file(book, monkeypatch):
    before = book.read_bytes()

    def rows():
        yield 2, (Decimal(1), "Open")
        raise RuntimeError("the caller failed half-way")
    with pytest.raises(RuntimeError):
        write_workbook(book, [SheetPatch("Invoices", 1, (ColumnPatch(12, Kind.MONEY),
                                                        ColumnPatch(18, Kind.TEXT)), rows())])
    real = zipcopy.ZipWriter.close

    def full_disk(self, *a):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(zipcopy.ZipWriter, "close", full_disk)
    with pytest.raises(ArsheetsError, match="disk is full") as err:
        write_workbook(book, _patch())
    assert "was not changed" in str(err.value)
    monkeypatch.setattr(zipcopy.ZipWriter, "close", real)
    assert book.read_bytes() == before
    assert _leftovers(book.parent) == ["book.xlsx"]


def test_a_full_disk_while_compressing_is_reported(book, monkeypatch):
    before = book.read_bytes()

    class Full:
        def __init__(self, *a, **k):
            pass

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

        def close(self):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *a):
            pass
    monkeypatch.setattr("arsheets.workbook.write.tempfile.TemporaryFile", Full)
    with pytest.raises(ArsheetsError, match="disk is full"):
        write_workbook(book, _patch())
    assert book.read_bytes() == before
    assert _leftovers(book.parent) == ["book.xlsx"]


@pytest.mark.parametrize("lock, app", [("~$book.xlsx", "Excel"),
                                       (".~lock.book.xlsx#", "LibreOffice")])
def test_open_workbooks_are_refused(book, lock, app):
    lock_file = book.parent / lock
    if app == "Excel":
        lock_file.write_bytes(bytes([5]) + b"Maria" + b"\x00" * 50)
    else:
        lock_file.write_text("U,Maria,host,23.11.2026 10:00,file:///x;")
    before = book.read_bytes()
    with pytest.raises(ArsheetsError) as err:
        check_not_open(book)
    message = str(err.value)
    assert f"open in {app} by Maria" in message and str(lock_file) in message
    with pytest.raises(ArsheetsError):
        write_workbook(book, _patch())
    assert book.read_bytes() == before
    lock_file.unlink()
    check_not_open(book)


def test_a_read_only_workbook_is_refused(book):
    book.chmod(stat.S_IRUSR | stat.S_IRGRP)
    try:
        with pytest.raises(ArsheetsError, match="read-only"):
            write_workbook(book, _patch())
    finally:
        book.chmod(0o644)


def test_permission_denied_in_the_folder(book, monkeypatch):
    def denied(*a, **k):
        raise PermissionError(errno.EACCES, "Permission denied", str(book.parent))
    monkeypatch.setattr(safety.tempfile, "mkstemp", denied)
    with pytest.raises(ArsheetsError, match="permission denied"):
        write_workbook(book, _patch())


def test_a_backup_is_kept_and_can_be_restored(book):
    original = book.read_bytes()
    report = write_workbook(book, _patch())
    assert report.backup_path is not None and report.backup_path.parent.name == BACKUP_DIR
    assert report.backup_path.read_bytes() == original
    assert list_backups(book) == [report.backup_path]
    refreshed = book.read_bytes()
    assert refreshed != original
    done = restore(book)
    assert done.backup == report.backup_path
    assert book.read_bytes() == original
    # the refreshed file was kept too, so the restore can be undone
    assert done.kept is not None and done.kept.read_bytes() == refreshed
    with zipfile.ZipFile(book) as zf:
        assert zf.testzip() is None


def test_no_backup_when_asked(book):
    assert write_workbook(book, _patch(), backup=False).backup_path is None
    assert list_backups(book) == []


def test_only_the_last_ten_backups_are_kept(book):
    for i in range(12):
        make_backup(book, now=datetime(2024, 1, 1, 12, 0, i // 2))  # two per second
    kept = list_backups(book)
    assert len(kept) == 10
    names = [p.name for p in kept]
    assert names[0] == "book.20240101-120005_2.xlsx"
    assert names[-1] == "book.20240101-120001.xlsx"


def test_the_new_file_keeps_the_permissions(book):
    book.chmod(0o640)
    write_workbook(book, _patch())
    assert stat.S_IMODE(book.stat().st_mode) == 0o640


def test_a_damaged_workbook_is_refused(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ArsheetsError, match="damaged"):
        write_workbook(bad, _patch())
    assert _leftovers(tmp_path) == ["bad.xlsx"]


def test_a_read_only_folder_is_refused(book, monkeypatch):
    real = os.access
    monkeypatch.setattr(safety.os, "access",
                        lambda p, mode: False if str(p) == str(book.parent) else real(p, mode))
    with pytest.raises(ArsheetsError, match="folder .* is read-only"):
        write_workbook(book, _patch())


def test_restore_a_chosen_backup(book):
    original = book.read_bytes()
    first = write_workbook(book, _patch(status="Open")).backup_path
    second = write_workbook(book, _patch(status="Paid")).backup_path
    assert list_backups(book)[:2] == [second, first] or list_backups(book)[0] == second
    restore(book, first)
    assert book.read_bytes() == original
    with pytest.raises(ArsheetsError, match="does not exist"):
        restore(book, book.parent / "nope.xlsx")
