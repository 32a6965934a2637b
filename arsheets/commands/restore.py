"""The ``restore`` command: put back a backup arsheets kept (a thin shell over
:func:`arsheets.workbook.safety.restore`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from rich.table import Table

from ..errors import ArsheetsError


def commands() -> list[click.Command]:
    from .. import cli
    from ..workbook.safety import BACKUP_DIR, list_backups, restore

    out = cli.out

    @click.command("restore")
    @click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
    @click.argument("backup", required=False)
    @click.option("--list", "listing", is_flag=True,
                  help="List the backups kept for WORKBOOK, newest first, and change nothing.")
    def restore_command(workbook: Path, backup: str | None, listing: bool) -> None:
        """Put a backup of WORKBOOK back in its place: the newest, or BACKUP (a name from
        --list, or a path).

        arsheets keeps the previous file in .arsheets-backups beside the workbook each time it
        writes (the last 10). The file being replaced is backed up first, so a restore can itself
        be undone. Close the workbook in Excel first.
        """
        found = list_backups(workbook)
        if listing:
            if not found:
                out.print(f"No backups of {workbook} (they are kept in "
                          f"{workbook.parent / BACKUP_DIR}).")
                return
            table = Table(title=f"Backups of {workbook}, newest first", title_justify="left")
            table.add_column("Backup")
            table.add_column("Last saved")
            table.add_column("Size", justify="right")
            for item in found:
                st = item.stat()
                table.add_row(item.name,
                              datetime.fromtimestamp(st.st_mtime).strftime("%Y-%m-%d %H:%M:%S"),
                              f"{st.st_size:,} bytes")
            out.print(table)
            return
        try:
            done = restore(workbook, backup)
        except ArsheetsError as error:
            cli.stop(error)
        out.print(f"Restored {workbook} from {done.backup.name}.")
        if done.kept is not None:
            out.print(f"The file it replaced is kept as {done.kept.name}; to put it back: "
                      f"arsheets restore {workbook} {done.kept.name}")

    return [restore_command]
