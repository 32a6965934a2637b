"""A small zip writer that copies a package member by member.

Untouched members are copied raw: their local header, compressed data and data descriptor go across
byte for byte, with no recompression, and their central-directory record is kept as it was except
for the offset of the local header. Changed members keep the original's name, timestamp, flags and
attributes; only the data, CRC and sizes are new. New members get a fixed timestamp (1980-01-01
00:00), so writing the same package twice gives the same bytes. Zip64 records are written only when
a size, an offset or the member count needs them.

``zipfile`` cannot copy a member without recompressing it, so the central directory is parsed here.
"""

from __future__ import annotations

import queue
import struct
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

LOCAL_SIG = b"PK\x03\x04"
CENTRAL_SIG = b"PK\x01\x02"
EOCD_SIG = b"PK\x05\x06"
ZIP64_EOCD_SIG = b"PK\x06\x06"
ZIP64_LOCATOR_SIG = b"PK\x06\x07"
DESCRIPTOR_SIG = b"PK\x07\x08"

_LOCAL = struct.Struct("<4sHHHHHIIIHH")  # 30 bytes
_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")  # 46 bytes
_EOCD = struct.Struct("<4sHHHHIIH")  # 22 bytes
_ZIP64_EOCD = struct.Struct("<4sQHHIIQQQQ")  # 56 bytes
_ZIP64_LOCATOR = struct.Struct("<4sIQI")  # 20 bytes

U32 = 0xFFFFFFFF
U16 = 0xFFFF
ZIP64_ID = 0x0001
FIXED_DOS_TIME = 0  # 00:00:00
FIXED_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01
DEFLATED = 8
STORED = 0
COPY_BUFFER = 1 << 20


class ZipFormatError(ValueError):
    """The source is not a zip this module can copy (split archive, bad directory, ...)."""


# --- CRC-32 of a concatenation --------------------------------------------------------------------
# zlib's crc32_combine, which Python does not expose: crc(A + B) from crc(A), crc(B) and len(B).

def _gf2_times(mat: list[int], vec: int) -> int:
    total = 0
    i = 0
    while vec:
        if vec & 1:
            total ^= mat[i]
        vec >>= 1
        i += 1
    return total


def _gf2_square(mat: list[int]) -> list[int]:
    return [_gf2_times(mat, mat[n]) for n in range(32)]


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    if len2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]  # the operator for one zero bit
    even = _gf2_square(odd)  # two zero bits
    odd = _gf2_square(even)  # four zero bits
    while True:
        even = _gf2_square(odd)
        if len2 & 1:
            crc1 = _gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _gf2_square(even)
        if len2 & 1:
            crc1 = _gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


# --- extra fields ---------------------------------------------------------------------------------

def _split_extra(extra: bytes) -> list[tuple[int, bytes]]:
    fields = []
    pos = 0
    while pos + 4 <= len(extra):
        hid, size = struct.unpack_from("<HH", extra, pos)
        fields.append((hid, extra[pos + 4:pos + 4 + size]))
        pos += 4 + size
    if pos != len(extra):  # trailing junk some writers leave: keep it as an opaque field
        fields.append((-1, extra[pos:]))
    return fields


def _join_extra(fields: list[tuple[int, bytes]]) -> bytes:
    out = bytearray()
    for hid, data in fields:
        if hid == -1:
            out += data
        else:
            out += struct.pack("<HH", hid, len(data)) + data
    return bytes(out)


def _without_zip64(extra: bytes) -> list[tuple[int, bytes]]:
    return [(hid, data) for hid, data in _split_extra(extra) if hid != ZIP64_ID]


# --- the source -----------------------------------------------------------------------------------

@dataclass(slots=True)
class Entry:
    """One member as its central-directory record describes it."""

    name: str
    raw_name: bytes
    central: bytes  # the whole raw central-directory record
    version_made: int
    version_needed: int
    flags: int
    method: int
    time: int
    date: int
    crc: int
    compress_size: int
    file_size: int
    disk: int
    internal_attr: int
    external_attr: int
    offset: int  # of the local header
    extra: bytes  # central extra field
    comment: bytes
    zip64: bool = False  # the central record uses the zip64 extra for sizes


class ZipSource:
    """The members of an existing zip, in central-directory order, readable raw."""

    def __init__(self, fh: BinaryIO):
        self.fh = fh
        self.entries: list[Entry] = []
        self.comment = b""
        self._read_directory()

    def _read_directory(self) -> None:
        fh = self.fh
        fh.seek(0, 2)
        size = fh.tell()
        back = min(size, 22 + 0xFFFF + _ZIP64_LOCATOR.size + _ZIP64_EOCD.size)
        fh.seek(size - back)
        tail = fh.read(back)
        pos = tail.rfind(EOCD_SIG)
        while pos >= 0:
            if pos + 22 <= len(tail):
                comment_len = struct.unpack_from("<H", tail, pos + 20)[0]
                if pos + 22 + comment_len == len(tail):
                    break
            pos = tail.rfind(EOCD_SIG, 0, pos)
        if pos < 0:
            raise ZipFormatError("no end-of-central-directory record")
        (_, disk, cd_disk, _n_disk, count, cd_size, cd_offset,
         comment_len) = _EOCD.unpack_from(tail, pos)
        self.comment = tail[pos + 22:pos + 22 + comment_len]
        loc = pos - _ZIP64_LOCATOR.size
        if loc >= 0 and tail[loc:loc + 4] == ZIP64_LOCATOR_SIG:
            _, _, z64_offset, _ = _ZIP64_LOCATOR.unpack_from(tail, loc)
            fh.seek(z64_offset)
            record = fh.read(_ZIP64_EOCD.size)
            if len(record) < _ZIP64_EOCD.size or record[:4] != ZIP64_EOCD_SIG:
                raise ZipFormatError("bad zip64 end-of-central-directory record")
            (_, _, _, _, disk, cd_disk, _n_disk, count, cd_size,
             cd_offset) = _ZIP64_EOCD.unpack(record)
        if disk != 0 or cd_disk != 0:
            raise ZipFormatError("split (multi-disk) archives are not supported")
        fh.seek(cd_offset)
        directory = fh.read(cd_size)
        if len(directory) != cd_size:
            raise ZipFormatError("truncated central directory")
        pos = 0
        for _ in range(count):
            if directory[pos:pos + 4] != CENTRAL_SIG:
                raise ZipFormatError("bad central-directory record")
            (_, made, needed, flags, method, time, date, crc, csize, usize, name_len, extra_len,
             comment_len, disk_start, internal, external,
             offset) = _CENTRAL.unpack_from(directory, pos)
            end = pos + 46 + name_len + extra_len + comment_len
            raw_name = directory[pos + 46:pos + 46 + name_len]
            extra = directory[pos + 46 + name_len:pos + 46 + name_len + extra_len]
            comment = directory[pos + 46 + name_len + extra_len:end]
            zip64 = False
            if U32 in (csize, usize, offset) or disk_start == U16:
                for hid, data in _split_extra(extra):
                    if hid != ZIP64_ID:
                        continue
                    values = iter(struct.unpack_from(f"<{len(data) // 8}Q", data))
                    if usize == U32:
                        usize, zip64 = next(values), True
                    if csize == U32:
                        csize, zip64 = next(values), True
                    if offset == U32:
                        offset = next(values)
                    break
            name = raw_name.decode("utf-8" if flags & 0x800 else "cp437")
            self.entries.append(Entry(name, raw_name, directory[pos:end], made, needed, flags,
                                      method, time, date, crc, csize, usize, disk_start, internal,
                                      external, offset, extra, comment, zip64))
            pos = end

    def local(self, entry: Entry) -> tuple[int, int, bytes]:
        """(start, end, local extra) of a member's local record: header, data and descriptor."""
        fh = self.fh
        fh.seek(entry.offset)
        header = fh.read(_LOCAL.size)
        if len(header) < _LOCAL.size or header[:4] != LOCAL_SIG:
            raise ZipFormatError(f"bad local header for {entry.name}")
        name_len, extra_len = struct.unpack_from("<HH", header, 26)
        extra = fh.read(name_len + extra_len)[name_len:]
        end = entry.offset + _LOCAL.size + name_len + extra_len + entry.compress_size
        if entry.flags & 0x08:  # a data descriptor follows the data
            fh.seek(end)
            sig = fh.read(4)
            zip64 = entry.zip64 or any(hid == ZIP64_ID for hid, _ in _split_extra(extra))
            end += (4 if sig == DESCRIPTOR_SIG else 0) + 4 + (16 if zip64 else 8)
        return entry.offset, end, extra

    def read_raw(self, start: int, end: int) -> Iterator[bytes]:
        fh = self.fh
        fh.seek(start)
        left = end - start
        while left > 0:
            data = fh.read(min(COPY_BUFFER, left))
            if not data:
                raise ZipFormatError("truncated member data")
            left -= len(data)
            yield data


# --- payloads -------------------------------------------------------------------------------------

@dataclass(slots=True)
class Payload:
    """A member's new data, already deflated: CRC, sizes and the compressed bytes."""

    crc: int
    size: int
    compress_size: int
    chunks: Callable[[], Iterable[bytes]]
    method: int = DEFLATED


def deflate(data: bytes, level: int = 6) -> Payload:
    comp = zlib.compressobj(level, zlib.DEFLATED, -15)
    packed = comp.compress(data) + comp.flush()
    return Payload(zlib.crc32(data), len(data), len(packed), lambda: (packed,))


class StreamDeflater:
    """Deflate a stream of chunks into a spool file on a background thread (zlib releases the GIL).

    ``feed`` queues a chunk; ``finish`` waits and returns (crc, size, compressed size). The stream
    is finished with Z_FINISH; a separately deflated head can be put in front of it (see
    :func:`join_head`).
    """

    def __init__(self, spool: BinaryIO, level: int = 1, depth: int = 4):
        self.spool = spool
        self.crc = 0
        self.size = 0
        self.compress_size = 0
        self._comp = zlib.compressobj(level, zlib.DEFLATED, -15)
        self._queue: queue.Queue[bytes | None] = queue.Queue(depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="arsheets-deflate", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        get, comp, write = self._queue.get, self._comp, self.spool.write
        ended = False
        try:
            while (data := get()) is not None:
                self.crc = zlib.crc32(data, self.crc)
                self.size += len(data)
                packed = comp.compress(data)
                if packed:
                    self.compress_size += len(packed)
                    write(packed)
            ended = True
            packed = comp.flush()
            self.compress_size += len(packed)
            write(packed)
        except BaseException as exc:  # surfaced by feed/finish
            self._error = exc
            while not ended and get() is not None:  # drain so feeders never block
                pass

    def feed(self, data: bytes) -> None:
        if self._error is not None:
            raise self._error
        if data:
            self._queue.put(data)

    def finish(self) -> tuple[int, int, int]:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self.crc, self.size, self.compress_size

    def abort(self) -> None:
        """Stop the thread after an error on the feeding side (or its own)."""
        if self._thread.is_alive():
            self._queue.put(None)
        self._thread.join()


def prefetch(chunks: Iterable[bytes], depth: int = 3) -> Iterator[bytes]:
    """Iterate ``chunks`` (a decompressing stream) on a background thread, a few chunks ahead."""
    q: queue.Queue[tuple[bool, object]] = queue.Queue(depth)
    stop = threading.Event()

    def run() -> None:
        try:
            for chunk in chunks:
                if stop.is_set():
                    return
                q.put((True, chunk))
            q.put((False, None))
        except BaseException as exc:  # handed to the consumer
            q.put((False, exc))

    thread = threading.Thread(target=run, name="arsheets-inflate", daemon=True)
    thread.start()
    try:
        while True:
            ok, item = q.get()
            if not ok:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            try:
                q.get_nowait()
            except queue.Empty:
                pass
            thread.join(0.01)


def join_head(head: bytes, body_crc: int, body_size: int, body_csize: int,
              body_chunks: Callable[[], Iterable[bytes]], level: int = 6) -> Payload:
    """A payload whose data is ``head`` followed by an already deflated body.

    The head is deflated and sync-flushed (no final block, byte-aligned), so the two raw deflate
    streams concatenate into one valid stream; the CRC is combined without rereading the body.
    """
    comp = zlib.compressobj(level, zlib.DEFLATED, -15)
    packed = comp.compress(head) + comp.flush(zlib.Z_SYNC_FLUSH)
    crc = crc32_combine(zlib.crc32(head), body_crc, body_size)

    def chunks() -> Iterator[bytes]:
        yield packed
        yield from body_chunks()

    return Payload(crc, len(head) + body_size, len(packed) + body_csize, chunks)


# --- the writer -----------------------------------------------------------------------------------

@dataclass
class ZipWriter:
    """Writes members to ``fh`` in the order given, then the central directory."""

    fh: BinaryIO
    pos: int = 0
    _records: list[bytes] = field(default_factory=list)
    _names: set[str] = field(default_factory=set)

    def _write(self, data: bytes) -> None:
        self.fh.write(data)
        self.pos += len(data)

    def _claim(self, name: str) -> None:
        if name in self._names:
            raise ValueError(f"duplicate zip member {name}")
        self._names.add(name)

    def copy(self, source: ZipSource, entry: Entry) -> None:
        """Copy a member raw: local record byte for byte, central record with the new offset."""
        self._names.add(entry.name)
        start, end, _ = source.local(entry)
        offset = self.pos
        for data in source.read_raw(start, end):
            self._write(data)
        self._records.append(_relocate(entry, offset))

    def replace(self, source: ZipSource, entry: Entry, payload: Payload) -> None:
        """Write new data for a source member, keeping its name bytes, time, flags, attributes and
        extra fields (less any zip64 field, which is rebuilt when needed)."""
        self._add(entry.name, payload, entry, source.local(entry)[2])

    def add(self, name: str, payload: Payload) -> None:
        """Write a new member, with the fixed timestamp."""
        self._add(name, payload, None, b"")

    def _add(self, name: str, payload: Payload, like: Entry | None, like_local: bytes) -> None:
        self._claim(name)
        offset = self.pos
        big = payload.size >= U32 or payload.compress_size >= U32
        if like is not None:
            raw_name = like.raw_name
            flags = like.flags & ~0x09  # no data descriptor, no encryption
            made, needed = like.version_made, like.version_needed
            time, date = like.time, like.date
            internal, external, comment = like.internal_attr, like.external_attr, like.comment
            local_extra = _without_zip64(like_local)
            central_extra = _without_zip64(like.extra)
        else:
            raw_name = name.encode("utf-8")
            flags = 0 if name.isascii() else 0x800
            made, needed = 20, 20
            time, date = FIXED_DOS_TIME, FIXED_DOS_DATE
            internal, external, comment = 0, 0, b""
            local_extra, central_extra = [], []
        if payload.method == STORED:
            flags &= ~0x06
        needed = max(needed, 45 if big else 20)
        if big:
            local_extra = [(ZIP64_ID, struct.pack("<QQ", payload.size, payload.compress_size)),
                           *local_extra]
            usize32 = csize32 = U32
        else:
            usize32, csize32 = payload.size, payload.compress_size
        extra = _join_extra(local_extra)
        self._write(_LOCAL.pack(LOCAL_SIG, needed, flags, payload.method, time, date, payload.crc,
                                csize32, usize32, len(raw_name), len(extra)) + raw_name + extra)
        written = 0
        for data in payload.chunks():
            written += len(data)
            self._write(data)
        if written != payload.compress_size:
            raise ValueError(f"{name}: wrote {written} bytes, expected {payload.compress_size}")
        z64 = []
        if big:
            z64 += [payload.size, payload.compress_size]
        if offset >= U32:
            z64.append(offset)
        cextra = list(central_extra)
        if z64:
            cextra.insert(0, (ZIP64_ID, struct.pack(f"<{len(z64)}Q", *z64)))
            needed = max(needed, 45)
        cextra_b = _join_extra(cextra)
        self._records.append(_CENTRAL.pack(
            CENTRAL_SIG, made, needed, flags, payload.method, time, date, payload.crc, csize32,
            usize32, len(raw_name), len(cextra_b), len(comment), 0, internal, external,
            min(offset, U32)) + raw_name + cextra_b + comment)

    def close(self, comment: bytes = b"") -> None:
        cd_offset = self.pos
        for record in self._records:
            self._write(record)
        cd_size = self.pos - cd_offset
        count = len(self._records)
        if count >= U16 or cd_size >= U32 or cd_offset >= U32:
            z64_offset = self.pos
            self._write(_ZIP64_EOCD.pack(ZIP64_EOCD_SIG, 44, 45, 45, 0, 0, count, count, cd_size,
                                         cd_offset))
            self._write(_ZIP64_LOCATOR.pack(ZIP64_LOCATOR_SIG, 0, z64_offset, 1))
        self._write(_EOCD.pack(EOCD_SIG, 0, 0, min(count, U16), min(count, U16), min(cd_size, U32),
                               min(cd_offset, U32), len(comment)) + comment)
        self.fh.flush()


def _relocate(entry: Entry, offset: int) -> bytes:
    """The central record of a copied member with its new local-header offset."""
    record = entry.central
    old_field = struct.unpack_from("<I", record, 42)[0]
    if old_field != U32 and offset < U32:
        return record[:42] + struct.pack("<I", offset) + record[46:]
    # zip64 offset: rebuild the zip64 extra with the fields it must carry, in the spec's order
    (_, made, needed, flags, method, time, date, crc, csize32, usize32, name_len, extra_len,
     comment_len, disk, internal, external, _) = _CENTRAL.unpack_from(record)
    values = []
    if usize32 == U32:
        values.append(entry.file_size)
    if csize32 == U32:
        values.append(entry.compress_size)
    values.append(offset)
    if disk == U16:
        values.append(entry.disk)
    fields = _split_extra(entry.extra)
    z64 = (ZIP64_ID, struct.pack(f"<{len(values)}Q", *values))
    for i, (hid, _) in enumerate(fields):
        if hid == ZIP64_ID:
            fields[i] = z64
            break
    else:
        fields.insert(0, z64)
    extra = _join_extra(fields)
    return _CENTRAL.pack(CENTRAL_SIG, made, max(needed, 45), flags, method, time, date, crc,
                         csize32, usize32, name_len, len(extra), comment_len, disk, internal,
                         external, U32) + entry.raw_name + extra + entry.comment
