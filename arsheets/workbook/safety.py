"""Writing the bookkeeper's workbook safely: never half-written, never lost.

- :func:`check_not_open` refuses a workbook that Excel (``~$NAME``) or LibreOffice
  (``.~lock.NAME#``) has open: saving over it would be lost when they save theirs.
- :class:`AtomicFile` writes to a temporary file in the same folder, fsyncs it and moves it over the
  original with ``os.replace``; on any error the temporary file is removed and the original is as it
  was.
- Before the move, the previous file is kept in ``<folder>/.arsheets-backups/`` as
  ``<stem>.<YYYYMMDD-HHMMSS><suffix>`` (``_2``, ``_3``, ... when two land in one second), the last
  :data:`KEEP_BACKUPS` per workbook. The backup is a hard link to the old file where the file system
  allows it (instant, and the old file is never touched again once replaced), else a copy.
- :func:`restore` puts a backup back (keeping a backup of the file it replaces).
- A run killed mid-write (power cut, ``kill -9``) can leave its temporary file
  (``.~arsheets-NAME-xxxxxxxx.xlsx.tmp``) beside the workbook, which is itself intact; the next
  successful write removes such files once they are an hour old (:func:`remove_stale_temps`).

Operating-system errors become :class:`ArsheetsError` with a message a bookkeeper can act on.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from ..errors import ArsheetsError, Problem, Where

BACKUP_DIR = ".arsheets-backups"
KEEP_BACKUPS = 10
TEMP_PREFIX = ".~arsheets-"
STALE_TEMP_SECONDS = 3600  # a temporary file untouched this long belongs to no running write


def _error(path: Path, message: str, hint: str = "") -> ArsheetsError:
    return ArsheetsError(Problem(Where(), f"{path.name}: {message}", hint))


def os_error(exc: OSError, path: Path, doing: str) -> ArsheetsError:
    """An OSError while ``doing`` something to ``path``, said plainly."""
    code = exc.errno
    where = exc.filename or path
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return _error(path, f"the disk is full while {doing}; the workbook was not changed",
                      f"free some space on the drive holding {Path(where).parent} and run again")
    if code == errno.EROFS:
        return _error(path, f"the drive is read-only, so arsheets cannot save while {doing}",
                      "copy the workbook to a writable folder")
    if code in (errno.EACCES, errno.EPERM):
        return _error(path, f"permission denied while {doing} ({where})",
                      "check that you may change this file and its folder, and that no other "
                      "program has it open")
    if code == errno.ENOENT:
        return _error(path, f"{where} went missing while {doing}")
    return _error(path, f"could not finish {doing}: {exc.strerror or exc}",
                  "the workbook was not changed")


# --- is it open? --------------------------------------------------------------------------------

def lock_files(path: str | Path) -> list[Path]:
    """The lock files that say another program has the workbook open."""
    path = Path(path)
    folder, name = path.parent, path.name
    candidates = [folder / ("~$" + name), folder / (".~lock." + name + "#")]
    if len(name) > 2:  # Office shortens long names: ~$ replaces their first two characters
        candidates.append(folder / ("~$" + name[2:]))
    return [c for c in dict.fromkeys(candidates) if c.exists()]


def _lock_owner(lock: Path) -> str:
    try:
        data = lock.read_bytes()[:512]
    except OSError:
        return ""
    if lock.name.startswith(".~lock."):  # LibreOffice: "U,user,host,date,path,"
        parts = data.decode("utf-8", "replace").split(",")
        return parts[1].strip() if len(parts) > 1 else ""
    if data:  # Excel: a length byte, then the user name
        n = data[0]
        return data[1:1 + n].decode("latin-1", "replace").strip()
    return ""


def check_not_open(path: str | Path) -> None:
    """Raise when Excel or LibreOffice has the workbook open (their lock file is beside it)."""
    path = Path(path)
    locks = lock_files(path)
    if not locks:
        return
    lock = locks[0]
    owner = _lock_owner(lock)
    app = "LibreOffice" if lock.name.startswith(".~lock.") else "Excel"
    who = f" by {owner}" if owner else ""
    raise _error(path, f"is open in {app}{who}; arsheets cannot save it while it is open",
                 f"close it in {app} and run again (if {app} is not running, delete the lock "
                 f"file {lock})")


def check_writable(path: str | Path) -> None:
    """Raise when the workbook or its folder cannot be written."""
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise _error(path, "does not exist") from None
    except OSError as exc:
        raise os_error(exc, path, "checking the workbook") from None
    if not st.st_mode & stat.S_IWUSR or not os.access(path, os.W_OK):
        raise _error(path, "is read-only, so arsheets cannot save its results",
                     "clear the read-only flag (file Properties) or save a copy and use that")
    folder = path.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        raise _error(path, f"its folder {folder} is read-only, so arsheets cannot save safely",
                     "move the workbook to a folder you can write in")


# --- backups ------------------------------------------------------------------------------------

def _backup_pattern(path: Path) -> re.Pattern[str]:
    return re.compile(re.escape(path.stem) + r"\.(\d{8}-\d{6})(?:_(\d+))?" + re.escape(path.suffix)
                      + r"$")


def list_backups(path: str | Path) -> list[Path]:
    """The backups of a workbook, newest first."""
    path = Path(path)
    folder = path.parent / BACKUP_DIR
    if not folder.is_dir():
        return []
    pattern = _backup_pattern(path)
    found = []
    for item in folder.iterdir():
        m = pattern.fullmatch(item.name)
        if m:
            found.append(((m.group(1), int(m.group(2) or 1)), item))
    return [item for _, item in sorted(found, reverse=True)]


def make_backup(path: str | Path, keep: int = KEEP_BACKUPS, now: datetime | None = None) -> Path:
    """Keep the current file as a backup and prune old ones; returns the backup's path."""
    path = Path(path)
    folder = path.parent / BACKUP_DIR
    try:
        folder.mkdir(exist_ok=True)
        stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
        n = 1
        while True:
            target = folder / f"{path.stem}.{stamp}{'' if n == 1 else f'_{n}'}{path.suffix}"
            try:
                os.link(path, target)
                break
            except FileExistsError:
                n += 1
            except OSError:  # no hard links here (FAT, some network drives): copy
                if target.exists():
                    n += 1
                    continue
                _copy_whole(path, target)
                break
    except OSError as exc:
        raise os_error(exc, path, f"keeping a backup in {folder}") from None
    for old in list_backups(path)[keep:]:
        try:
            old.unlink()
        except OSError:
            pass  # an old backup we cannot remove is no reason to stop
    return target


def _copy_whole(source: Path, target: Path) -> None:
    """Copy under a side name first, so a copy cut short (a full disk) never passes for a backup."""
    partial = target.with_name(f".{target.name}.part")
    try:
        shutil.copy2(source, partial)
        os.replace(partial, target)
    except BaseException:
        try:
            partial.unlink()
        except OSError:
            pass
        raise


# --- atomic replace -----------------------------------------------------------------------------

def remove_stale_temps(path: str | Path, older_than: float = STALE_TEMP_SECONDS) -> list[Path]:
    """Remove the temporary files of this workbook that a run killed mid-write left beside it.

    Such a file is never read (the workbook itself is intact: it is only ever replaced whole).
    One younger than ``older_than`` seconds may belong to a run still going, so it is left."""
    path = Path(path)
    pattern = re.compile(re.escape(TEMP_PREFIX + path.stem + "-") + r"[a-z0-9_]{8}"
                         + re.escape(path.suffix + ".tmp"))
    removed = []
    now = time.time()
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    for entry in entries:
        try:
            if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False) \
                    and now - entry.stat(follow_symlinks=False).st_mtime > older_than:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            pass  # a leftover we cannot remove is no reason to stop
    return removed


class AtomicFile:
    """A temporary file beside ``path`` that replaces it on :meth:`commit`, or vanishes.

    Use as a context manager; leaving the block without committing (an exception) removes the
    temporary file and leaves the original untouched.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.temp: Path | None = None
        self.file: BinaryIO | None = None
        self.committed = False

    def __enter__(self) -> AtomicFile:
        try:
            fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX + self.path.stem + "-",
                                        suffix=self.path.suffix + ".tmp", dir=self.path.parent)
        except OSError as exc:
            raise os_error(exc, self.path, "creating a temporary file beside it") from None
        self.temp = Path(name)
        self.file = os.fdopen(fd, "w+b")
        return self

    def commit(self, backup: bool = True, keep: int = KEEP_BACKUPS) -> Path | None:
        """fsync, back the original up, move the new file over it; returns the backup path."""
        assert self.file is not None and self.temp is not None
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            try:
                os.chmod(self.temp, stat.S_IMODE(self.path.stat().st_mode))
            except OSError:
                pass
        except OSError as exc:
            raise os_error(exc, self.path, "saving the new workbook") from None
        saved = make_backup(self.path, keep) if backup and self.path.exists() else None
        try:
            os.replace(self.temp, self.path)
        except OSError as exc:
            if saved is not None:  # nothing changed, so this backup would only mislead
                try:
                    saved.unlink()
                except OSError:
                    pass
            raise os_error(exc, self.path, "replacing the workbook with the new one") from None
        self.committed = True
        _fsync_dir(self.path.parent)
        remove_stale_temps(self.path)
        return saved

    def __exit__(self, *exc_info) -> None:
        if self.committed:
            return
        if self.file is not None and not self.file.closed:
            self.file.close()
        if self.temp is not None:
            try:
                self.temp.unlink()
            except FileNotFoundError:
                pass
            except OSError:
                pass


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Restored:
    backup: Path  # the backup put back
    kept: Path | None  # the backup of the file it replaced (None: it was that backup already)


def restore(path: str | Path, backup: str | Path | None = None) -> Restored:
    """Put a backup (default: the newest) back in place of the workbook.

    ``backup`` is a path, or the name of one of this workbook's backups in its backup folder. The
    file being replaced is itself backed up first, so a restore can be undone."""
    path = Path(path)
    check_not_open(path)
    folder = path.parent / BACKUP_DIR
    if backup is None:
        found = list_backups(path)
        if not found:
            raise _error(path, "has no backups to restore", f"backups are kept in {folder}")
        chosen = found[0]
    else:
        chosen = Path(backup)
        if not chosen.is_file() and chosen.parent == Path("."):  # a name from the backup folder
            chosen = next((b for b in list_backups(path) if b.name == chosen.name), chosen)
        if not chosen.is_file():
            raise _error(path, f"the backup {backup} does not exist",
                         "arsheets restore WORKBOOK --list shows the backups kept")
    with AtomicFile(path) as out:
        try:
            with chosen.open("rb") as src:
                shutil.copyfileobj(src, out.file, 1 << 20)
        except OSError as exc:
            raise os_error(exc, path, f"copying the backup {chosen.name}") from None
        # the current file is kept as a backup too, unless it is already the one we restore
        kept = out.commit(backup=path.exists() and not _same_file(path, chosen))
    return Restored(chosen, kept)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
