"""The zip layer: raw copies are byte-identical, replaced members keep their metadata, zip64."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arsheets.workbook.zipcopy import (FIXED_DOS_DATE, U32, Entry, StreamDeflater, ZipSource,
                                       ZipWriter, _relocate, crc32_combine, deflate, join_head)


def _zip(members, *, stream: bool = False, zip64: bool = False, comment: bytes = b"") -> bytes:
    """A zip written by Python's zipfile; ``stream`` forces data descriptors."""
    buf = io.BytesIO()

    class Unseekable(io.RawIOBase):
        def writable(self):
            return True

        def write(self, b):
            return buf.write(b)

    target = Unseekable() if stream else buf
    with zipfile.ZipFile(target, "w") as zf:
        zf.comment = comment
        for name, data, method in members:
            info = zipfile.ZipInfo(name, date_time=(2021, 5, 6, 7, 8, 10))
            info.compress_type = method
            info.external_attr = 0o644 << 16
            with zf.open(info, "w", force_zip64=zip64) as fh:
                fh.write(data)
    return buf.getvalue()


MEMBERS = [
    ("[Content_Types].xml", b"<Types/>" * 20, zipfile.ZIP_DEFLATED),
    ("xl/worksheets/sheet1.xml", b"<worksheet>" + b"<row/>" * 5000 + b"</worksheet>",
     zipfile.ZIP_DEFLATED),
    ("xl/media/image1.png", bytes(range(256)) * 10, zipfile.ZIP_STORED),
    ("xl/unicodé.xml", b"<x/>", zipfile.ZIP_DEFLATED),
]


def _copy_all(data: bytes, replace: dict[str, bytes] | None = None,
              add: dict[str, bytes] | None = None) -> bytes:
    src = ZipSource(io.BytesIO(data))
    out = io.BytesIO()
    w = ZipWriter(out)
    for entry in src.entries:
        if replace and entry.name in replace:
            w.replace(src, entry, deflate(replace[entry.name]))
        else:
            w.copy(src, entry)
    for name, payload in (add or {}).items():
        w.add(name, deflate(payload))
    w.close(src.comment)
    return out.getvalue()


@pytest.mark.parametrize("stream", [False, True], ids=["sizes-in-header", "data-descriptors"])
@pytest.mark.parametrize("zip64", [False, True], ids=["zip32", "zip64-extras"])
def test_copying_every_member_raw_reproduces_the_file(stream, zip64):
    data = _zip(MEMBERS, stream=stream, zip64=zip64, comment=b"kept")
    assert _copy_all(data) == data


def test_replaced_member_keeps_name_time_and_attributes():
    data = _zip(MEMBERS)
    new = _copy_all(data, replace={"xl/worksheets/sheet1.xml": b"<worksheet>new</worksheet>"},
                    add={"xl/new.xml": b"<new/>"})
    with zipfile.ZipFile(io.BytesIO(new)) as zf:
        assert zf.testzip() is None
        assert zf.namelist() == [m[0] for m in MEMBERS] + ["xl/new.xml"]
        old = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml")
        info = zf.getinfo("xl/worksheets/sheet1.xml")
        assert (info.date_time, info.external_attr, info.create_system) == (
            old.date_time, old.external_attr, old.create_system)
        assert zf.read("xl/worksheets/sheet1.xml") == b"<worksheet>new</worksheet>"
        assert zf.getinfo("xl/new.xml").date_time == (1980, 1, 1, 0, 0, 0)
        assert zf.read("xl/unicodé.xml") == b"<x/>"
    # untouched members are byte for byte what they were
    src_old, src_new = ZipSource(io.BytesIO(data)), ZipSource(io.BytesIO(new))
    for a, b in zip(src_old.entries, src_new.entries):
        if a.name != "xl/worksheets/sheet1.xml":
            sa, ea, _ = src_old.local(a)
            sb, eb, _ = src_new.local(b)
            assert data[sa:ea] == new[sb:eb]


def test_writing_twice_gives_the_same_bytes():
    data = _zip(MEMBERS)
    change = {"xl/worksheets/sheet1.xml": b"<worksheet>x</worksheet>"}
    add = {"a.xml": b"<a/>"}
    assert _copy_all(data, change, add) == _copy_all(data, change, add)


def test_new_member_timestamp_is_fixed():
    out = io.BytesIO()
    w = ZipWriter(out)
    w.add("a.xml", deflate(b"<a/>"))
    w.close()
    raw = out.getvalue()
    assert struct.unpack_from("<HH", raw, 10) == (0, FIXED_DOS_DATE)


@given(st.binary(max_size=3000), st.binary(max_size=3000))
@settings(max_examples=200, deadline=None)
def test_crc32_combine(a, b):
    assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


@given(st.binary(min_size=1, max_size=2000), st.lists(st.binary(max_size=5000), max_size=6),
       st.integers(1, 9))
@settings(max_examples=60, deadline=None)
def test_head_and_streamed_body_make_one_valid_member(head, chunks, level):
    spool = io.BytesIO()
    d = StreamDeflater(spool, level)
    for c in chunks:
        d.feed(c)
    crc, size, csize = d.finish()
    payload = join_head(head, crc, size, csize, lambda: (spool.getvalue(),))
    out = io.BytesIO()
    w = ZipWriter(out)
    w.add("sheet.xml", payload)
    w.close()
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as zf:
        assert zf.read("sheet.xml") == head + b"".join(chunks)  # zipfile checks the CRC too


def test_deflater_error_surfaces():
    class Broken(io.BytesIO):
        def write(self, b):
            raise OSError(28, "No space left on device")

    d = StreamDeflater(Broken(), 1)
    with pytest.raises(OSError):
        for _ in range(50):
            d.feed(bytes(range(256)) * 4000)
        d.finish()
    d.abort()


def test_many_members_use_a_zip64_directory():
    out = io.BytesIO()
    w = ZipWriter(out)
    payload = deflate(b"x")
    for i in range(0x10000):
        w.add(f"m{i}", payload)
    w.close()
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as zf:
        assert len(zf.infolist()) == 0x10000
        assert zf.read("m65535") == b"x"
    # and such an archive is copied raw, byte for byte
    assert _copy_all(out.getvalue()) == out.getvalue()


def test_offset_past_4gib_moves_into_the_zip64_extra():
    data = _zip(MEMBERS[:1])
    entry: Entry = ZipSource(io.BytesIO(data)).entries[0]
    record = _relocate(entry, 5 << 30)
    assert struct.unpack_from("<I", record, 42)[0] == U32
    name_len, extra_len = struct.unpack_from("<HH", record, 28)
    extra = record[46 + name_len:46 + name_len + extra_len]
    hid, size = struct.unpack_from("<HH", extra)
    assert hid == 1 and struct.unpack_from("<Q", extra, 4)[0] == 5 << 30
    assert struct.unpack_from("<H", record, 6)[0] >= 45  # version needed
    # a small offset is patched in place
    assert _relocate(entry, 1234)[:42] == entry.central[:42]
    assert struct.unpack_from("<I", _relocate(entry, 1234), 42)[0] == 1234


def test_prefetch_passes_chunks_and_errors_and_stops_early():
    import threading

    from arsheets.workbook.zipcopy import prefetch
    assert list(prefetch(iter([b"a", b"b", b"c"]))) == [b"a", b"b", b"c"]

    def broken():
        yield b"a"
        raise OSError("bad")
    with pytest.raises(OSError):
        list(prefetch(broken()))
    before = threading.active_count()
    gen = prefetch(iter([b"x"] * 100), depth=1)
    assert next(gen) == b"x"
    gen.close()  # the producer, blocked on a full queue, must finish
    assert threading.active_count() == before
