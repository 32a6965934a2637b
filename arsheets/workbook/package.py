"""The .xlsx/.xlsm package: a zip of XML parts, opened defensively.

Both the reader and the writer start here. Small parts (workbook, relationships, styles, tables) are
parsed with defusedxml, which refuses entity tricks; big parts (sheets, shared strings) are streamed
by the reader's scanner, which refuses any DOCTYPE. Sizes are checked while decompressing, so a zip
bomb is stopped by its actual output, not by what its header claims.
"""

from __future__ import annotations

import posixpath
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element
from xml.parsers import expat

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ..errors import ArsheetsError, Problem, Where

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_WORKSHEET = NS_REL + "/worksheet"
REL_SHARED_STRINGS = NS_REL + "/sharedStrings"
REL_STYLES = NS_REL + "/styles"
REL_TABLE = NS_REL + "/table"
REL_OFFICE_DOCUMENT = NS_REL + "/officeDocument"


@dataclass(frozen=True, slots=True)
class Limits:
    """Guards against hostile files. Generous enough for a full 1,048,576-row sheet."""

    part_bytes: int = 4 << 30  # one decompressed part
    total_bytes: int = 8 << 30  # all parts together
    small_part_bytes: int = 64 << 20  # parts parsed whole (workbook, styles, tables, rels)
    ratio: int = 400  # decompressed / compressed, for parts over ratio_floor
    ratio_floor: int = 1 << 20
    parts: int = 100_000  # members in the zip (a real workbook has tens, or a few thousand)
    prolog_bytes: int = 1 << 20  # how far into an XML part its root element must start


LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class SheetInfo:
    name: str
    part: str  # e.g. "xl/worksheets/sheet1.xml"
    rid: str
    state: str  # "visible", "hidden", "veryHidden"


@dataclass(frozen=True, slots=True)
class TableInfo:
    part: str
    name: str
    ref: str  # "A1:V301"
    header_rows: int
    columns: tuple[str, ...]
    totals_rows: int = 0  # a totals row at the bottom of the ref (not data)


@dataclass(frozen=True, slots=True)
class Rel:
    id: str
    type: str
    target: str  # resolved part name, or the raw target when external
    external: bool


def _file_error(path: Path, message: str, hint: str = "") -> ArsheetsError:
    return ArsheetsError(Problem(Where(), f"{path.name}: {message}", hint))


def _sniff(path: Path) -> ArsheetsError:
    """Explain what a non-zip file most likely is."""
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return _file_error(path, "is an old-style .xls workbook or a password-protected one",
                           "open it in Excel, remove any password, and Save As Excel Workbook (.xlsx)")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return _file_error(path, "is a text file, not an Excel workbook",
                           "open it in Excel and Save As Excel Workbook (.xlsx)")
    if suffix in (".xlsx", ".xlsm"):
        return _file_error(path, "is damaged: it is not a valid .xlsx package",
                           "restore it from a backup, or open it in Excel to repair it")
    return _file_error(path, "is not an Excel workbook",
                       "arsheets reads .xlsx and .xlsm files")


class _Root(Exception):
    pass


class _Doctype(Exception):
    pass


def _prolog_problem(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> str | None:
    """What is wrong before an XML part's root element: a DOCTYPE, or no root element within
    ``limit`` bytes. Expat reads the prolog, in any encoding; parts that are damaged or not XML
    are left to whatever reads them."""
    parser = expat.ParserCreate()

    def doctype(*_: object) -> None:
        raise _Doctype

    def root(*_: object) -> None:
        raise _Root

    parser.StartDoctypeDeclHandler = doctype
    parser.StartElementHandler = root
    seen = 0
    try:
        with zf.open(info) as fh:
            while data := fh.read(16 << 10):
                parser.Parse(data, False)
                seen += len(data)
                if seen >= limit:
                    return f"has no XML root element in its first {limit:,} bytes"
    except _Doctype:
        return "declares a DOCTYPE"
    except (_Root, expat.ExpatError, zipfile.BadZipFile, zlib.error, EOFError, RuntimeError,
            NotImplementedError):
        pass
    return None


def resolve_target(source_part: str, target: str) -> str:
    """A relationship target, relative to its source part, as a part name without a leading '/'."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    base = posixpath.dirname(source_part)
    return posixpath.normpath(posixpath.join(base, target))


def rels_part(part: str) -> str:
    """'xl/workbook.xml' -> 'xl/_rels/workbook.xml.rels'."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


@dataclass
class Package:
    path: Path
    zip: zipfile.ZipFile
    limits: Limits = LIMITS
    sheets: list[SheetInfo] = field(default_factory=list)
    workbook_part: str = "xl/workbook.xml"
    date1904: bool = False
    _rels: dict[str, dict[str, Rel]] = field(default_factory=dict)

    @classmethod
    def open(cls, path: str | Path, limits: Limits = LIMITS) -> Package:
        path = Path(path)
        if not path.exists():
            raise _file_error(path, "does not exist")
        if path.is_dir():
            raise _file_error(path, "is a folder, not a workbook")
        try:
            zf = zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            raise _sniff(path) from None
        except OSError as exc:
            raise _file_error(path, f"cannot be read ({exc.strerror or exc})") from None
        pkg = cls(path, zf, limits)
        try:
            pkg._check_sizes()
            pkg._check_prologs()
            pkg._load_workbook()
        except BaseException:
            zf.close()
            raise
        return pkg

    def close(self) -> None:
        self.zip.close()

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- raw access -------------------------------------------------------------------------

    def has(self, part: str) -> bool:
        return part in self.zip.NameToInfo

    def _check_sizes(self) -> None:
        count = len(self.zip.infolist())
        if count > self.limits.parts:
            raise _file_error(self.path, f"has {count:,} parts; refusing it as a possible zip bomb")
        total = 0
        for info in self.zip.infolist():
            total += info.file_size
            too_big = info.file_size > self.limits.part_bytes
            ratio = info.file_size / max(info.compress_size, 1)
            bomb = info.file_size > self.limits.ratio_floor and ratio > self.limits.ratio
            if too_big or bomb:
                raise _file_error(self.path, f"part {info.filename} would unpack to "
                                  f"{info.file_size:,} bytes; refusing it as a possible zip bomb")
        if total > self.limits.total_bytes:
            raise _file_error(self.path, f"would unpack to {total:,} bytes; refusing it as a "
                              "possible zip bomb")

    def _check_prologs(self) -> None:
        """Refuse a DOCTYPE in any XML part, read or not: arsheets never expands an entity, and
        the parts it copies go on to Excel. Only the start of each part is read."""
        for info in self.zip.infolist():
            if info.filename.lower().endswith((".xml", ".rels", ".vml")) and info.file_size:
                problem = _prolog_problem(self.zip, info, self.limits.prolog_bytes)
                if problem:
                    raise _file_error(self.path, f"part {info.filename} {problem}; refusing to "
                                      "read it (XML entity tricks)",
                                      "open it in Excel and save it again")

    def stream(self, part: str, chunk: int = 4 << 20) -> Iterator[bytes]:
        """Decompressed chunks of a part, stopping at the size limit whatever the header says."""
        limit = self.limits.part_bytes
        seen = 0
        try:
            with self.zip.open(part) as fh:
                while data := fh.read(chunk):
                    seen += len(data)
                    if seen > limit:
                        raise _file_error(self.path, f"part {part} unpacks past {limit:,} bytes; "
                                          "refusing it as a possible zip bomb")
                    yield data
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise _file_error(self.path, f"is damaged: part {part} cannot be unpacked ({exc})",
                              "restore it from a backup, or open it in Excel to repair it") from None

    def read(self, part: str, limit: int | None = None) -> bytes:
        data = bytearray()
        cap = self.limits.small_part_bytes if limit is None else limit
        for chunk in self.stream(part):
            data += chunk
            if len(data) > cap:
                raise _file_error(self.path, f"part {part} is larger than {cap:,} bytes; "
                                  "refusing it")
        return bytes(data)

    def xml(self, part: str) -> Element:
        """A small part parsed safely: no DTDs, no entities, no external references."""
        try:
            return fromstring(self.read(part), forbid_dtd=True)
        except DefusedXmlException as exc:
            raise _file_error(self.path, f"part {part} uses a forbidden XML feature "
                              f"({type(exc).__name__}); refusing to read it") from None
        except Exception as exc:  # ParseError, or malformed content
            raise _file_error(self.path, f"is damaged: part {part} is not well-formed XML ({exc})",
                              "restore it from a backup, or open it in Excel to repair it") from None

    # --- relationships ----------------------------------------------------------------------

    def rels(self, source_part: str) -> dict[str, Rel]:
        """The relationships of a part (empty when it has none), by id."""
        if source_part not in self._rels:
            found: dict[str, Rel] = {}
            name = rels_part(source_part) if source_part else "_rels/.rels"
            if self.has(name):
                for rel in self.xml(name).iter(f"{{{NS_PKG_REL}}}Relationship"):
                    external = rel.get("TargetMode") == "External"
                    target = rel.get("Target", "")
                    found[rel.get("Id", "")] = Rel(
                        rel.get("Id", ""), rel.get("Type", ""),
                        target if external else resolve_target(source_part, target), external)
            self._rels[source_part] = found
        return self._rels[source_part]

    def related(self, source_part: str, rel_type: str) -> list[str]:
        return [r.target for r in self.rels(source_part).values()
                if r.type == rel_type and not r.external]

    # --- the workbook -----------------------------------------------------------------------

    def _load_workbook(self) -> None:
        roots = [r.target for r in self.rels("").values() if r.type == REL_OFFICE_DOCUMENT]
        if roots:
            self.workbook_part = roots[0]
        if not self.has(self.workbook_part):
            raise _file_error(self.path, "is a zip file but not an Excel workbook "
                              "(it has no xl/workbook.xml)",
                              "arsheets reads .xlsx and .xlsm files saved by Excel or LibreOffice")
        root = self.xml(self.workbook_part)
        if root.tag != f"{{{NS_MAIN}}}workbook":
            raise _file_error(self.path, "uses the Strict Open XML format",
                              "open it in Excel and Save As Excel Workbook (.xlsx)")
        pr = root.find(f"{{{NS_MAIN}}}workbookPr")
        self.date1904 = pr is not None and pr.get("date1904", "0").lower() in ("1", "true")
        rels = self.rels(self.workbook_part)
        for sheet in root.iter(f"{{{NS_MAIN}}}sheet"):
            rid = sheet.get(f"{{{NS_REL}}}id", "")
            rel = rels.get(rid)
            if rel is None or rel.type != REL_WORKSHEET:
                continue  # chart sheets and dialog sheets hold no data
            self.sheets.append(SheetInfo(sheet.get("name", ""), rel.target, rid,
                                         sheet.get("state", "visible")))

    def sheet(self, name: str) -> SheetInfo | None:
        """A worksheet by name; like Excel, names match case-insensitively."""
        folded = name.casefold()
        for info in self.sheets:
            if info.name.casefold() == folded:
                return info
        return None

    def shared_strings_part(self) -> str | None:
        parts = self.related(self.workbook_part, REL_SHARED_STRINGS)
        return parts[0] if parts and self.has(parts[0]) else None

    def styles_part(self) -> str | None:
        parts = self.related(self.workbook_part, REL_STYLES)
        return parts[0] if parts and self.has(parts[0]) else None

    def tables(self, sheet_part: str) -> list[TableInfo]:
        """The Excel tables (ListObjects) on a worksheet."""
        found = []
        for part in self.related(sheet_part, REL_TABLE):
            if not self.has(part):
                continue
            root = self.xml(part)
            columns = tuple(c.get("name", "") for c in root.iter(f"{{{NS_MAIN}}}tableColumn"))
            found.append(TableInfo(part, root.get("displayName") or root.get("name", ""),
                                   root.get("ref", ""), int(root.get("headerRowCount", "1")),
                                   columns, int(root.get("totalsRowCount", "0"))))
        return found
