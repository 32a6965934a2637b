"""Write arsheets' results into the bookkeeper's workbook, changing only what arsheets owns.

The workbook is the bookkeeper's system of record, so it is never loaded and re-saved through a
spreadsheet library (that drops sparklines, newer validations, pictures, form controls, chart
styling and every cached formula value). Instead the package is copied member by member:

- every part arsheets does not own is copied raw, byte for byte (:mod:`.zipcopy`);
- in each patched worksheet only the owned cells change, streamed row by row (:mod:`.sheetpatch`);
  the new part is deflated on a background thread into a spool file;
- sheets arsheets owns whole (Aging, Schedule) are regenerated with their table and chart
  (:mod:`.ownedsheet`);
- small parts change only where they must: a table's ``ref`` that grows, a new ``cellXfs`` entry
  (:mod:`.styles`), ``calcPr fullCalcOnLoad="1"`` in workbook.xml so formulas that read the status
  columns recalculate, calcChain.xml dropped when an owned cell's formula was replaced (Excel
  rebuilds it), relationships and content types for new parts.

The file is written to a temporary file beside the workbook and moved over it only when complete,
after the previous version is kept in ``.arsheets-backups`` (:mod:`.safety`). Writing the same
values twice gives byte-identical files.
"""

from __future__ import annotations

import posixpath
import re
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from ..errors import ArsheetsError, Problem, Where, column_letter
from .ownedsheet import (CT_WORKSHEET, ChartSeries, OwnedParts, OwnedSheet, OwnedTable,
                         StackedBarChart, build, rels_xml)
from .package import (NS_REL, REL_STYLES, REL_TABLE, REL_WORKSHEET, Package, TableInfo,
                      rels_part)
from .safety import AtomicFile, check_not_open, check_writable, list_backups, os_error, restore
from .schema import Kind
from .records import Progress
from .scan import XlsxBook
from .sheetpatch import PatchStats, SheetPatcher, format_ref, last_data_row, parse_ref
from .styles import Role, StyleBook, set_attr, tag_attrs, xml_attr
from .zipcopy import (Payload, StreamDeflater, ZipFormatError, ZipSource, ZipWriter, deflate,
                      join_head, prefetch)

__all__ = [
    "ChartSeries", "ColumnPatch", "OwnedSheet", "OwnedTable", "Role", "SheetPatch",
    "StackedBarChart", "Value", "WriteReport", "check_not_open", "list_backups", "restore",
    "write_workbook",
]

Value = None | str | Decimal | int | date | bool

SHEET_LEVEL = 3  # zlib level for big sheet parts, on a thread (1: 15% bigger, 6: 2.3x slower)
SMALL_LEVEL = 6  # for small XML parts
# Inflated bytes per read of a patched sheet: chunks wait in the inflate and deflate queues, so
# this sets the writer's transient memory (4 MB chunks cost about 40 MB, no time saved).
STREAM_CHUNK = 1 << 20
REL_CALC_CHAIN = NS_REL + "/calcChain"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"


@dataclass(frozen=True)
class ColumnPatch:
    column: int  # 1-based sheet column
    kind: Kind  # number format for cells arsheets creates
    header: str | None = None  # the column does not exist yet: write this header (and grow tables)


@dataclass(frozen=True)
class SheetPatch:
    sheet: str
    header_row: int
    columns: tuple[ColumnPatch, ...]  # ascending by column
    rows: Iterable[tuple[int, Sequence[Value]]]  # ascending; one value per column; None = blank
    appends: tuple[Mapping[int, Value], ...] = ()  # new rows after the last row with data


@dataclass(frozen=True)
class WriteReport:
    path: Path
    cells_written: int
    rows_appended: int = 0
    columns_added: tuple[str, ...] = ()  # e.g. "Invoices!W1 Problems"
    formulas_replaced: tuple[str, ...] = ()  # owned cells that held a formula, e.g. "Invoices!L7"
    owned_sheets: tuple[str, ...] = ()
    parts_changed: tuple[str, ...] = ()  # package parts rewritten, added or removed
    backup_path: Path | None = None
    seconds: float = 0.0


def _problem(path: Path, message: str, hint: str = "", where: Where | None = None) -> ArsheetsError:
    if where is None:
        return ArsheetsError(Problem(Where(), f"{path.name}: {message}", hint))
    return ArsheetsError(Problem(where, message, hint))


def write_workbook(path: str | Path, patches: Sequence[SheetPatch],
                   owned: Sequence[OwnedSheet] = (), *, backup: bool = True,
                   progress: Progress | None = None) -> WriteReport:
    """Write owned cells, appended rows and owned sheets into the workbook at ``path``, in place.
    ``progress("Writing <sheet>", rows)`` is called as each patched sheet starts (0) and ends.

    Raises :class:`ArsheetsError` (and leaves the file untouched) when the workbook is open,
    read-only, damaged, or a change would break something the bookkeeper made."""
    path = Path(path)
    started = time.perf_counter()
    check_not_open(path)
    check_writable(path)
    try:
        with AtomicFile(path) as out:
            with ExitStack() as stack:  # the source and the spools close before the commit
                pkg = stack.enter_context(Package.open(path))
                raw = stack.enter_context(path.open("rb"))
                try:
                    source = ZipSource(raw)
                except ZipFormatError as exc:
                    raise _problem(path, f"is damaged: {exc}", "restore it from a backup, or "
                                   "open it in Excel and save it again") from None
                report = _Writer(pkg, source, path, stack, progress).run(patches, owned,
                                                                         out.file)
            saved = out.commit(backup=backup)
    except OSError as exc:
        raise os_error(exc, path, "writing the workbook") from None
    return WriteReport(path, report.cells_written, report.rows_appended,
                       tuple(report.columns_added), tuple(report.formulas_replaced),
                       tuple(report.owned_sheets), report.parts_changed, saved,
                       round(time.perf_counter() - started, 3))


# --- raw XML edits of small parts -----------------------------------------------------------------

def _attr(tag: bytes, name: str) -> str | None:
    value = tag_attrs(tag).get(name.encode())
    return None if value is None else value.decode("utf-8", "replace")


def _set_attr(tag: bytes, name: str, value: str) -> bytes:
    return set_attr(tag, name.encode(), xml_attr(value))


def _insert_before_close(raw: bytes, local: str, text: bytes) -> bytes:
    """Insert ``text`` before the closing tag ``</prefix:local>``."""
    m = None
    for m in re.finditer(rb"</((?:[\w.-]+:)?)%s\s*>" % local.encode(), raw):
        pass
    if m is None:
        raise ValueError(f"no </{local}>")
    return raw[:m.start()] + text + raw[m.start():]


def _prefix_of(raw: bytes, local: str) -> bytes:
    m = re.search(rb"<((?:[\w.-]+:)?)%s(?=[\s/>])" % local.encode(), raw)
    return m.group(1) if m else b""


def full_calc_on_load(raw: bytes) -> bytes:
    """workbook.xml with ``<calcPr fullCalcOnLoad="1"/>``, added or updated minimally."""
    m = re.search(rb"<((?:[\w.-]+:)?)calcPr(?=[\s/>])[^>]*>", raw)
    if m is not None:
        tag = m.group(0)
        if (_attr(tag, "fullCalcOnLoad") or "").lower() in ("1", "true"):
            return raw
        return raw[:m.start()] + _set_attr(tag, "fullCalcOnLoad", "1") + raw[m.end():]
    p = _prefix_of(raw, "workbook")
    element = b'<%scalcPr fullCalcOnLoad="1"/>' % p
    # schema order: ... sheets, functionGroups, externalReferences, definedNames, calcPr, ...
    for local in ("definedNames", "externalReferences", "functionGroups", "sheets"):
        close = re.search(rb"</%s%s\s*>" % (re.escape(p), local.encode()), raw)
        if close is None:
            close = re.search(rb"<%s%s(?=[\s/>])[^>]*/>" % (re.escape(p), local.encode()), raw)
        if close is not None:
            return raw[:close.end()] + element + raw[close.end():]
    raise ValueError("workbook.xml has no <sheets>")


def _edit_content_types(raw: bytes, add: Sequence[tuple[str, str]], remove: set[str]) -> bytes:
    out = raw
    p = _prefix_of(raw, "Types")
    for name in remove:
        pattern = (rb"<%sOverride\s[^>]*?PartName\s*=\s*[\"']/%s[\"'][^>]*?/>"
                   % (re.escape(p), re.escape(name.encode())))
        out = re.sub(pattern, b"", out, flags=re.I)
    existing = {m.lower() for m in re.findall(
        rb"<%sOverride\s[^>]*?PartName\s*=\s*[\"']/([^\"']*)[\"']" % re.escape(p), out)}
    new = b"".join(b'<%sOverride PartName="/%s" ContentType="%s"/>' % (p, xml_attr(n), ct.encode())
                   for n, ct in add if n.encode().lower() not in existing)
    if new:
        out = _insert_before_close(out, "Types", new)
    return out


def _edit_rels(raw: bytes | None, add: Sequence[tuple[str, str, str]], remove_ids: set[str]
               ) -> bytes:
    """Relationships part with ``add`` (id, type, relative target) added and ids removed."""
    if raw is None:
        raw = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
               b'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
               b'</Relationships>')
    p = _prefix_of(raw, "Relationships")
    out = raw
    for rid in remove_ids:
        out = re.sub(rb"<%sRelationship\s[^>]*?Id\s*=\s*[\"']%s[\"'][^>]*?/>"
                     % (re.escape(p), re.escape(rid.encode())), b"", out)
    if add:
        out = _insert_before_close(out, "Relationships", b"".join(
            b'<%sRelationship Id="%s" Type="%s" Target="%s"/>'
            % (p, xml_attr(i), xml_attr(t), xml_attr(target)) for i, t, target in add))
    return out


def _next_rid(existing: Iterable[str]) -> str:
    used = set(existing)
    n = 1 + max((int(m.group(1)) for r in used if (m := re.fullmatch(r"rId(\d+)", r))), default=0)
    while f"rId{n}" in used:
        n += 1
    return f"rId{n}"


def grow_table(raw: bytes, ref: str, new_columns: Sequence[str] = ()) -> bytes:
    """A table part with a new ``ref`` (and its autoFilter's), plus new columns at the end."""
    m = re.search(rb"<((?:[\w.-]+:)?)table(?=[\s>])[^>]*>", raw)
    if m is None:
        raise ValueError("not a table part")
    p = m.group(1)
    out = raw[:m.start()] + _set_attr(m.group(0), "ref", ref) + raw[m.end():]
    af = re.search(rb"<%sautoFilter(?=[\s/>])[^>]*>" % re.escape(p), out)
    if af is not None and _attr(af.group(0), "ref") is not None:
        out = out[:af.start()] + _set_attr(af.group(0), "ref", ref) + out[af.end():]
    if new_columns:
        cols = re.search(rb"<%stableColumns(?=[\s>])[^>]*>" % re.escape(p), out)
        if cols is None:
            raise ValueError("table part has no <tableColumns>")
        ids = [int(x) for x in re.findall(rb"<%stableColumn\s[^>]*?\bid\s*=\s*[\"'](\d+)[\"']"
                                          % re.escape(p), out)]
        count = len(re.findall(rb"<%stableColumn(?=[\s/>])" % re.escape(p), out))
        nxt = max(ids, default=0) + 1
        added = b"".join(b'<%stableColumn id="%d" name="%s"/>' % (p, nxt + i, xml_attr(name))
                         for i, name in enumerate(new_columns))
        tag = _set_attr(cols.group(0), "count", str(count + len(new_columns)))
        out = out[:cols.start()] + tag + out[cols.end():]
        out = _insert_before_close(out, "tableColumns", added)
    return out


# --- the writer -----------------------------------------------------------------------------------

@dataclass(eq=False)
class _SheetJob:
    """One sheet being patched: prepared (its tables and patcher), streamed into its spool, then
    finished (its payload, the report, its tables grown)."""

    patch: SheetPatch
    name: str  # the sheet's actual name
    part: str
    tables: list[TableInfo]
    last: int  # the last row with data, when rows are appended
    appends: list[tuple[int, Mapping[int, Value]]]
    patcher: SheetPatcher
    spool: BinaryIO  # the deflated body
    streamed: tuple[int, int, int] | None = None  # body CRC, size, compressed size
    head: bytes = b""
    stats: PatchStats | None = None


@dataclass
class _Report:
    cells_written: int = 0
    rows_appended: int = 0
    columns_added: list[str] = field(default_factory=list)
    formulas_replaced: list[str] = field(default_factory=list)
    owned_sheets: list[str] = field(default_factory=list)
    parts_changed: tuple[str, ...] = ()


class _Writer:
    def __init__(self, pkg: Package, source: ZipSource, path: Path, stack: ExitStack,
                 progress: Progress | None = None):
        self.pkg = pkg
        self.progress = progress or (lambda what, rows: None)
        self.source = source
        self.path = path
        self.stack = stack
        self.names = [e.name for e in source.entries]
        self.taken = set(self.names)
        self.payloads: dict[str, Payload] = {}  # parts replaced or added (compressed)
        self.texts: dict[str, bytes] = {}  # small parts edited or added, by name
        self.removed: set[str] = set()
        self.ct_add: list[tuple[str, str]] = []
        self.rel_add: dict[str, list[tuple[str, str, str]]] = {}  # source part -> new rels
        self.rel_remove: dict[str, set[str]] = {}
        self.report = _Report()

    # --- helpers --------------------------------------------------------------------------------

    def text(self, name: str) -> bytes:
        """The current text of a small part (edited version if any)."""
        if name not in self.texts:
            self.texts[name] = self.pkg.read(name)
        return self.texts[name]

    def free_name(self, pattern: str) -> str:
        n = 1
        while pattern.format(n) in self.taken:
            n += 1
        name = pattern.format(n)
        self.taken.add(name)
        return name

    def fail(self, message: str, hint: str = "", where: Where | None = None) -> ArsheetsError:
        return _problem(self.path, message, hint, where)

    # --- the run --------------------------------------------------------------------------------

    def run(self, patches: Sequence[SheetPatch], owned: Sequence[OwnedSheet], out) -> _Report:
        pkg = self.pkg
        seen: set[str] = set()
        for item in [*(p.sheet for p in patches), *(o.name for o in owned)]:
            if item.casefold() in seen:
                raise ValueError(f"sheet {item!r} is given twice")
            seen.add(item.casefold())
        styles_part = pkg.styles_part()
        self.styles = StyleBook(pkg.read(styles_part) if styles_part else None)
        self.styles_part = styles_part or "xl/styles.xml"
        for patch in patches:
            if pkg.sheet(patch.sheet) is None:
                raise self.fail(f"has no sheet {patch.sheet!r} to write to")
            if patch.columns or patch.appends:
                self.patch_sheet(patch)
        for sheet in owned:
            self.owned_sheet(sheet)
        self.finish_small_parts()
        self.assemble(out)
        return self.report

    # --- patched sheets -------------------------------------------------------------------------

    def _check_new_columns_empty(self, patch: SheetPatch) -> None:
        """A column arsheets adds must land on empty cells: refuse rather than overwrite data the
        bookkeeper keeps there (a sheet whose stored size understated its width, say)."""
        new = [c.column for c in patch.columns if c.header is not None]
        if not new:
            return
        sheet = XlsxBook(self.pkg).sheet(patch.sheet)
        for row, values in sheet.rows(new):
            filled = [(col, value) for col, value in values.items() if value not in (None, "")]
            if not filled:
                continue
            col, value = filled[0]
            where = Where(sheet.name, row, col)
            raise self.fail(f"arsheets would add a column at {where} but that cell holds "
                            f"{value!r}", "move that data, or add arsheets' column headers "
                            "yourself where you want them", where)

    def patch_sheet(self, patch: SheetPatch) -> None:
        job = self.prepare_patch(patch)
        self.progress(f"Writing {job.name}", 0)
        self.stream(job)
        self.finish_patch(job)

    def prepare_patch(self, patch: SheetPatch) -> _SheetJob:
        pkg = self.pkg
        info = pkg.sheet(patch.sheet)
        if info is None or not pkg.has(info.part):
            raise self.fail(f"has no sheet {patch.sheet!r} to write to")
        name = info.name
        self._check_new_columns_empty(patch)
        tables = pkg.tables(info.part)
        appends: list[tuple[int, Mapping[int, Value]]] = []
        last = 0
        if patch.appends:
            last = max(last_data_row(pkg.stream(info.part)), patch.header_row)
            appends = [(last + i, row) for i, row in enumerate(patch.appends, start=1)]
        columns = tuple((c.column, c.kind, c.header) for c in patch.columns)
        patcher = SheetPatcher(name, patch.header_row, columns, patch.rows, appends,
                               styles=self.styles, date1904=pkg.date1904)
        spool = self.stack.enter_context(tempfile.TemporaryFile(dir=self.path.parent))
        return _SheetJob(patch, name, info.part, tables, last, appends, patcher, spool)

    def stream(self, job: _SheetJob) -> None:
        """Patch and deflate one sheet into its spool; inflating, patching and deflating each on a
        thread of their own."""
        deflater = StreamDeflater(job.spool, SHEET_LEVEL)
        source = prefetch(self.pkg.stream(job.part, STREAM_CHUNK))
        try:
            for chunk in job.patcher.body(source):
                deflater.feed(chunk)
            job.streamed = deflater.finish()
        except BaseException:
            deflater.abort()
            raise
        finally:
            source.close()
        job.patcher.check_shared_formulas()
        job.head = job.patcher.head()
        job.stats = job.patcher.stats

    def finish_patch(self, job: _SheetJob) -> None:
        spool = job.spool

        def body() -> Iterable[bytes]:
            spool.seek(0)
            while data := spool.read(1 << 20):
                yield data

        assert job.streamed is not None and job.stats is not None
        self.payloads[job.part] = join_head(job.head, *job.streamed, body, SMALL_LEVEL)
        st = job.stats
        self.report.cells_written += st.cells_written
        self.report.rows_appended += len(job.appends)
        self.report.formulas_replaced += [f"{job.name}!{cell}" for cell in st.formulas_replaced]
        self.grow_tables(job.name, job.patch, job.tables, job.last, job.appends)
        self.progress(f"Writing {job.name}", max(st.last_row - job.patch.header_row, 0))

    def grow_tables(self, sheet: str, patch: SheetPatch, tables: list[TableInfo], last: int,
                    appends: list[tuple[int, Mapping[int, Value]]]) -> None:
        new_cols = [c for c in patch.columns if c.header]
        for c in new_cols:
            self.report.columns_added.append(
                f"{sheet}!{column_letter(c.column)}{patch.header_row} {c.header}")
        for table in tables:
            box = parse_ref(table.ref)
            if box is None:
                continue
            r1, c1, r2, c2 = box
            added: list[str] = []
            for c in new_cols:
                if r1 == patch.header_row and c.column == c2 + 1:
                    if c.header.casefold() in {n.casefold() for n in (*table.columns, *added)}:
                        raise self.fail(
                            f"table {table.name} already has a column named {c.header!r}",
                            "rename that column, then refresh again",
                            Where(sheet, patch.header_row, c.column))
                    added.append(c.header)
                    c2 = c.column
            if appends and r1 <= last <= r2 < appends[-1][0]:
                cols = {col for _, row in appends for col in row}
                if any(c1 <= col <= c2 for col in cols):
                    if table.totals_rows and last == r2:
                        raise self.fail(
                            f"table {table.name} ends with a totals row, so new rows cannot be "
                            "added to it", "turn the table's Total Row off (Table Design tab), "
                            "then refresh again", Where(sheet, r2))
                    r2 = appends[-1][0]
            new_ref = format_ref(r1, c1, r2, c2)
            if new_ref != format_ref(*box) or added:
                self.texts[table.part] = grow_table(self.text(table.part), new_ref, added)

    # --- owned sheets -------------------------------------------------------------------------

    def rel_index(self) -> dict[str, set[str]]:
        """Every internal relationship target -> the parts that point to it."""
        if not hasattr(self, "_rel_index"):
            index: dict[str, set[str]] = {}
            for name in self.names:
                if not name.endswith(".rels"):
                    continue
                folder, rel_name = posixpath.split(name)
                if posixpath.basename(folder) != "_rels":
                    continue
                src = posixpath.join(posixpath.dirname(folder), rel_name[:-5])
                src = "" if rel_name == ".rels" else src
                for rel in self.pkg.rels(src).values():
                    if not rel.external:
                        index.setdefault(rel.target, set()).add(src)
            self._rel_index = index
        return self._rel_index

    def tree(self, part: str) -> list[str]:
        """The parts reachable from ``part`` through relationships (not ``part`` itself)."""
        found: list[str] = []
        todo = [part]
        while todo:
            cur = todo.pop()
            for rel in self.pkg.rels(cur).values():
                if not rel.external and rel.target not in found and rel.target != part \
                        and self.pkg.has(rel.target):
                    found.append(rel.target)
                    todo.append(rel.target)
        return found

    def owned_sheet(self, sheet: OwnedSheet) -> None:
        pkg = self.pkg
        info = pkg.sheet(sheet.name)
        old_tree: list[str] = []
        drawing = chart = table_part = None
        table_id = None
        if info is not None:
            part = info.part
            old_tree = self.tree(part)
            rels = pkg.rels(part)
            if sheet.chart is not None:
                drawings = [r.target for r in rels.values()
                            if r.type.endswith("/drawing") and not r.external]
                if drawings:
                    drawing = drawings[0]
                    charts = [r.target for r in pkg.rels(drawing).values()
                              if r.type.endswith("/chart") and not r.external]
                    chart = charts[0] if charts else None
            if sheet.table is not None:
                old_tables = [r.target for r in rels.values() if r.type == REL_TABLE]
                if old_tables and pkg.has(old_tables[0]):
                    table_part = old_tables[0]
                    m = re.search(rb"<(?:[\w.-]+:)?table\s[^>]*?\bid\s*=\s*[\"'](\d+)",
                                  self.text(table_part))
                    table_id = int(m.group(1)) if m else None
        else:
            part = self.new_sheet(sheet.name)
        if sheet.table is not None:
            self.check_table_name(sheet, table_part)
            table_part = table_part or self.free_name("xl/tables/table{}.xml")
            table_id = table_id or self.next_table_id()
        if sheet.chart is not None:
            drawing = drawing or self.free_name("xl/drawings/drawing{}.xml")
            chart = chart or self.free_name("xl/charts/chart{}.xml")
        built: OwnedParts = build(sheet, self.styles, pkg.date1904, sheet_part=part,
                                  table_part=table_part, table_id=table_id, drawing_part=drawing,
                                  chart_part=chart)
        keep = {part, *built.parts}
        # parts of the old sheet that nothing else uses go, with their content types and rels
        index = self.rel_index()
        tree = set(old_tree)
        for old in old_tree:
            if old in keep:
                continue
            if all(src in tree or src == part for src in index.get(old, ())):
                self.remove_part(old)
        self.put(part, built.sheet)
        self.put_rels(part, built.rels)
        for name, (xml, ctype) in built.parts.items():
            self.put(name, xml)
            self.ct_add.append((name, ctype))
            self.put_rels(name, built.part_rels.get(name, []))
        self.report.owned_sheets.append(sheet.name)

    def put(self, name: str, data: bytes) -> None:
        self.texts[name] = data
        self.taken.add(name)
        self.removed.discard(name)

    def put_rels(self, part: str, rels: list[tuple[str, str, str]]) -> None:
        name = rels_part(part)
        if rels:
            self.put(name, rels_xml(rels, part))
        elif name in self.taken:
            self.remove_part(name)

    def remove_part(self, name: str) -> None:
        self.removed.add(name)
        self.texts.pop(name, None)
        if self.pkg.has(rels_part(name)):
            self.removed.add(rels_part(name))
            self.texts.pop(rels_part(name), None)

    def next_table_id(self) -> int:
        if not hasattr(self, "_table_id"):
            ids = [0]
            for name in self.names:
                if name.startswith("xl/tables/") and name.endswith(".xml"):
                    m = re.search(rb"<(?:[\w.-]+:)?table\s[^>]*?\bid\s*=\s*[\"'](\d+)",
                                  self.pkg.read(name)[:4000])
                    if m:
                        ids.append(int(m.group(1)))
            self._table_id = max(ids)
        self._table_id += 1
        return self._table_id

    def check_table_name(self, sheet: OwnedSheet, own_part: str | None) -> None:
        wanted = sheet.table.name.casefold()
        for name in self.names:
            if name == own_part or not (name.startswith("xl/tables/") and name.endswith(".xml")):
                continue
            head = self.pkg.read(name)[:4000]
            m = re.search(rb"<(?:[\w.-]+:)?table\s[^>]*?\b(?:displayName|name)\s*=\s*[\"']"
                          rb"([^\"']*)", head)
            if m and m.group(1).decode("utf-8", "replace").casefold() == wanted:
                raise self.fail(f"another sheet already has a table named {sheet.table.name}",
                                f"rename that table, so arsheets can use the name for "
                                f"{sheet.name}")

    def new_sheet(self, name: str) -> str:
        if not name or len(name) > 31 or re.search(r"[\[\]:*?/\\]", name) \
                or name.startswith("'") or name.endswith("'"):
            raise ValueError(f"{name!r} is not a valid sheet name")
        wb = self.pkg.workbook_part
        raw = self.text(wb)
        names = [n.casefold() for n in re.findall(
            r"<(?:[\w.-]+:)?sheet\s[^>]*?\bname\s*=\s*\"([^\"]*)\"", raw.decode("utf-8"))]
        if name.casefold() in names:
            raise self.fail(f"has a sheet named {name!r} that is not a worksheet",
                            f"rename it, so arsheets can create its own {name} sheet")
        ids = [int(x) for x in re.findall(rb"<(?:[\w.-]+:)?sheet\s[^>]*?\bsheetId\s*=\s*\"(\d+)\"",
                                          raw)]
        part = self.free_name("xl/worksheets/sheet{}.xml")
        existing = [*self.pkg.rels(wb), *(i for i, _, _ in self.rel_add.get(wb, []))]
        rid = _next_rid(existing)
        self.rel_add.setdefault(wb, []).append(
            (rid, REL_WORKSHEET, posixpath.relpath(part, posixpath.dirname(wb))))
        self.ct_add.append((part, CT_WORKSHEET))
        p = _prefix_of(raw, "sheets")
        m = re.search(rb"xmlns:([\w.-]+)\s*=\s*[\"']%s[\"']" % re.escape(NS_REL.encode()), raw)
        rel_prefix = m.group(1) if m else b"r"
        decl = b"" if m else b' xmlns:r="%s"' % NS_REL.encode()
        element = b'<%ssheet%s name="%s" sheetId="%d" %s:id="%s"/>' % (
            p, decl, xml_attr(name), max(ids, default=0) + 1, rel_prefix, rid.encode())
        self.texts[wb] = _insert_before_close(raw, "sheets", element)
        return part

    # --- small parts --------------------------------------------------------------------------

    def finish_small_parts(self) -> None:
        pkg = self.pkg
        wb = pkg.workbook_part
        self.texts[wb] = full_calc_on_load(self.text(wb))
        if self.report.formulas_replaced:  # Excel rebuilds the chain; a stale one needs repair
            for rel in pkg.rels(wb).values():
                if rel.type == REL_CALC_CHAIN and not rel.external:
                    self.remove_part(rel.target)
                    self.rel_remove.setdefault(wb, set()).add(rel.id)
        if self.styles.changed:
            self.texts[self.styles_part] = self.styles.to_bytes()
            if self.styles.created:
                existing = [*pkg.rels(wb), *(i for i, _, _ in self.rel_add.get(wb, []))]
                self.rel_add.setdefault(wb, []).append(
                    (_next_rid(existing), REL_STYLES,
                     posixpath.relpath(self.styles_part, posixpath.dirname(wb))))
                self.ct_add.append((self.styles_part, CT_STYLES))
                self.taken.add(self.styles_part)
        for src in set(self.rel_add) | set(self.rel_remove):
            name = rels_part(src)
            raw = self.text(name) if pkg.has(name) else None
            self.texts[name] = _edit_rels(raw, self.rel_add.get(src, []),
                                          self.rel_remove.get(src, set()))
        ct_remove = {n for n in self.removed}
        if self.ct_add or ct_remove:
            self.texts["[Content_Types].xml"] = _edit_content_types(
                self.text("[Content_Types].xml"), self.ct_add, ct_remove)

    # --- the package ----------------------------------------------------------------------------

    def unchanged(self, entry, name: str) -> bool:
        """Whether an edited small part came out as it was (then it is copied raw)."""
        data = self.texts[name]
        return entry.file_size == len(data) and self.pkg.read(name) == data

    def assemble(self, out) -> None:
        writer = ZipWriter(out)
        changed: list[str] = []
        for entry in self.source.entries:
            name = entry.name
            if name in self.removed:
                changed.append(name)
                continue
            payload = self.payloads.get(name)
            if payload is None and name in self.texts and not self.unchanged(entry, name):
                payload = deflate(self.texts[name], SMALL_LEVEL)
            if payload is None:
                writer.copy(self.source, entry)
            else:
                writer.replace(self.source, entry, payload)
                changed.append(name)
        existing = set(self.names)
        for name, data in self.texts.items():
            if name not in existing and name not in self.removed:
                writer.add(name, deflate(data, SMALL_LEVEL))
                changed.append(name)
        writer.close(self.source.comment)
        self.report.parts_changed = tuple(changed)
