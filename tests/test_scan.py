"""The streaming sheet scanner: values, addresses, odd but valid XML, and agreement with calamine."""

from __future__ import annotations

import math
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arsheets.errors import ArsheetsError
from arsheets.workbook import scan
from arsheets.workbook.scan import (
    AS_IS, DATE, MONEY, TEXT, CellRange, XlsxBook, classify, is_date_format, serial_to_date,
    typed_from_rows, unescape_text,
)
from arsheets.workbook.values import NO_VALUE, CellError

from xlsx_fixtures import Err, Formula, Sheet, inline_row, raw_xlsx, sheet_xml, sst_xml, xlsx

D = Decimal


def rows_of(path, sheet="S", columns=None, start_row=1):
    with XlsxBook.open(path) as book:
        return list(book.sheet(sheet).rows(columns, start_row))


def grid(path, sheet="S"):
    return {(r, c): v for r, cells in rows_of(path, sheet) for c, v in cells.items()}


MIXED = [["text", "  padded ", "", 1, 1.5, 0.1, 8475.860000000001, -0.0, 1e20],
         [date(2024, 3, 1), datetime(2024, 3, 1, 10, 30), True, False, Formula("=1+1", 2),
          Formula('="x"', "x"), Formula("=A1"), Err("#N/A"), "_x0041_"],
         ["a\nb", "é€😀", "<&>\"'", "001", None, 30, "=not a formula", "  ", "x" * 300]]


@pytest.mark.parametrize("constant_memory", [False, True], ids=["shared", "inline"])
def test_values_from_xlsxwriter(tmp_path, constant_memory):
    path = xlsx(tmp_path / "m.xlsx", [Sheet("S", MIXED)], constant_memory=constant_memory)
    g = grid(path)
    assert g[1, 1] == "text" and g[1, 2] == "  padded "
    assert (1, 3) not in g  # an empty string is a blank cell
    assert g[1, 4] == D(1) and type(g[1, 4]) is Decimal
    assert g[1, 5] == D("1.5") and g[1, 6] == D("0.1")
    assert g[1, 7] == D("8475.860000000001")  # exact from the XML text, never through float
    assert g[1, 8] == 0 and g[1, 9] == D("1E+20")
    assert g[2, 1] == date(2024, 3, 1) and type(g[2, 1]) is date
    assert g[2, 2] == date(2024, 3, 1)  # the time of day is dropped
    assert g[2, 3] is True and g[2, 4] is False
    assert g[2, 5] == D(2) and g[2, 6] == "x"
    assert g[2, 7] is NO_VALUE
    assert g[2, 8] == CellError("#N/A")
    assert g[2, 9] == "_x0041_"  # a literal that looks like an escape survives
    assert g[3, 1] == "a\nb" and g[3, 2] == "é€😀" and g[3, 3] == "<&>\"'"
    assert g[3, 4] == "001" and (3, 5) not in g and g[3, 6] == D(30)
    assert g[3, 7] == "=not a formula" and g[3, 8] == "  " and g[3, 9] == "x" * 300


def test_only_the_asked_columns_and_rows(tmp_path):
    path = xlsx(tmp_path / "m.xlsx", [Sheet("S", [[1, 2, 3, 4], [5, 6, 7, 8], [None, None, 9, None],
                                                 [10, None, None, 11]])])
    assert rows_of(path, columns=[2, 4]) == [(1, {2: D(2), 4: D(4)}), (2, {2: D(6), 4: D(8)}),
                                             (4, {4: D(11)})]
    assert rows_of(path, columns=[1], start_row=2) == [(2, {1: D(5)}), (4, {1: D(10)})]
    assert rows_of(path, columns=[]) == []
    with XlsxBook.open(path) as book:
        s = book.sheet("S")
        assert s.head(2) == [(1, {1: D(1), 2: D(2), 3: D(3), 4: D(4)}),
                             (2, {1: D(5), 2: D(6), 3: D(7), 4: D(8)})]
        assert s.last_column == 4
        assert s.merged == ()


def test_many_columns_and_far_rows(tmp_path):
    rows = [[None] * 30 for _ in range(3)]
    rows[0][27] = "AB1"  # column 28 = AB
    rows[2][0] = "A3"
    path = xlsx(tmp_path / "m.xlsx", [Sheet("S", rows, first_row=1_000_000)])
    assert rows_of(path, columns=[1, 28]) == [(1_000_000, {28: "AB1"}), (1_000_002, {1: "A3"})]
    assert rows_of(path, columns=[2, 28]) == [(1_000_000, {28: "AB1"})]


def test_sheet_names_match_case_insensitively(tmp_path):
    path = xlsx(tmp_path / "m.xlsx", [Sheet("My Sheet", [["x"]])])
    with XlsxBook.open(path) as book:
        assert book.sheet_names == ["My Sheet"]
        assert book.sheet("my sheet").name == "My Sheet"
        assert book.sheet("nope") is None


def test_merged_ranges(tmp_path):
    path = xlsx(tmp_path / "m.xlsx", [Sheet("S", [["a", "b"], ["c", None], [None, None]],
                                            merges=["A2:A3", "B1:C1"])])
    with XlsxBook.open(path) as book:
        s = book.sheet("S")
        list(s.rows([1, 2]))
        assert set(s.merged) == {CellRange(2, 1, 3, 1), CellRange(1, 2, 1, 3)}
    with XlsxBook.open(path) as book:  # asked before any scan: read from the part's end
        assert len(book.sheet("S").merged) == 2


def test_hidden_rows_are_read(tmp_path):
    path = xlsx(tmp_path / "m.xlsx", [Sheet("S", [["a"], ["b"], ["c"]], hidden_rows=[2])])
    assert rows_of(path) == [(1, {1: "a"}), (2, {1: "b"}), (3, {1: "c"})]


def test_date1904(tmp_path):
    path = xlsx(tmp_path / "m.xlsx", [Sheet("S", [[date(2024, 3, 15)]])], date1904=True)
    with zipfile.ZipFile(path) as zf:
        assert b"<v>43904</v>" in zf.read("xl/worksheets/sheet1.xml")
    assert grid(path)[1, 1] == date(2024, 3, 15)


@pytest.mark.parametrize("fmt", ["yyyy-mm-dd", "dd/mm/yyyy", "d mmm yy", "mmmm d, yyyy", 14, 15, 22])
def test_date_formats_from_styles(tmp_path, fmt):
    path = xlsx(tmp_path / "m.xlsx", [Sheet("S", [[date(2024, 3, 15)]])], date_format=fmt)
    assert grid(path)[1, 1] == date(2024, 3, 15)


# --- raw XML ----------------------------------------------------------------------------------------------


def raw(tmp_path, rows_xml, *, strings=(), raw_strings=(), **kw):
    sheet_kw = {k: kw.pop(k) for k in ("prefix", "dimension", "merges", "doctype", "tail")
                if k in kw}
    return raw_xlsx(tmp_path / "r.xlsx", {"S": sheet_xml(rows_xml, **sheet_kw)},
                    shared_strings=sst_xml(strings, raw=raw_strings) if strings or raw_strings
                    else None, **kw)


def test_cell_types(tmp_path):
    path = raw(tmp_path, '<row r="1">'
               '<c r="A1" t="s"><v>0</v></c>'
               '<c r="B1" t="inlineStr"><is><t>inline</t></is></c>'
               '<c r="C1" t="str"><f>A1</f><v>formula text</v></c>'
               '<c r="D1" t="b"><v>1</v></c>'
               '<c r="E1" t="e"><v>#DIV/0!</v></c>'
               '<c r="F1" t="d"><v>2024-03-15T00:00:00Z</v></c>'
               '<c r="G1"><v>8475.860000000001</v></c>'
               '<c r="H1" t="n"><v>-1.25E-3</v></c>'
               '<c r="I1"><f>SUM(1,2)</f></c>'
               '<c r="J1"><f>SUM(1,2)</f><v></v></c>'
               '<c r="K1" t="str"><f>""</f><v></v></c>'
               '<c r="L1" s="1"/>'
               '<c r="M1" t="b"><f>TRUE()</f></c>'
               '<c r="N1" t="e"><f>NA()</f><v>#N/A</v></c>'
               '<c r="O1" t="d"><v>10:30:00</v></c>'
               '</row>', strings=["shared"])
    g = grid(path)
    assert g == {(1, 1): "shared", (1, 2): "inline", (1, 3): "formula text", (1, 4): True,
                 (1, 5): CellError("#DIV/0!"), (1, 6): date(2024, 3, 15),
                 (1, 7): D("8475.860000000001"), (1, 8): D("-0.00125"), (1, 9): NO_VALUE,
                 (1, 10): NO_VALUE, (1, 13): NO_VALUE, (1, 14): CellError("#N/A"),
                 (1, 15): "10:30:00"}


def test_rich_text_phonetic_runs_and_escapes(tmp_path):
    path = raw(tmp_path, '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
               '<c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c>'
               '<c r="E1" t="inlineStr"><is><r><rPr><color rgb="FFFF0000"/></rPr><t>red</t></r>'
               '<r><t xml:space="preserve"> text</t></r></is></c></row>',
               raw_strings=['<r><rPr><b/></rPr><t>Bold</t></r><r><t xml:space="preserve"> rest'
                            '</t></r>',
                            '<t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh>'
                            '<phoneticPr fontId="1"/>',
                            '<t>a&amp;b &lt;c&gt; &quot;q&quot; &apos;s&apos; &#233;&#x20AC;</t>',
                            '<t>line_x000D__x000A_two _x005F_x000D_ tab_x0009_</t>'])
    g = grid(path)
    assert g[1, 1] == "Bold rest"
    assert g[1, 2] == "東京"
    assert g[1, 3] == "a&b <c> \"q\" 's' é€"
    assert g[1, 4] == "line\r\ntwo _x000D_ tab\t"
    assert g[1, 5] == "red text"


def test_namespace_prefix(tmp_path):
    rows = (inline_row(1, ["Invoice", "Amount"]) + inline_row(2, ["INV-1", 12.5])
            + '<{p}row r="3"><{p}c r="A3" t="s"><{p}v>0</{p}v></{p}c>'
              '<{p}c r="B3"><{p}f>1+1</{p}f><{p}v>2</{p}v></{p}c></{p}row>')
    path = raw(tmp_path, rows, prefix="x", strings=["shared"], dimension="A1:B3",
               merges=["A2:A3"])
    with XlsxBook.open(path) as book:
        s = book.sheet("S")
        assert list(s.rows()) == [(1, {1: "Invoice", 2: "Amount"}), (2, {1: "INV-1", 2: D("12.5")}),
                                  (3, {1: "shared", 2: D(2)})]
        assert s.merged == (CellRange(2, 1, 3, 1),)
        assert s.last_column == 2


def test_rows_and_cells_without_r(tmp_path):
    rows = (inline_row(None, ["a", "b"], refs=False) + inline_row(None, ["c"], refs=False)
            + inline_row(5, ["d", None, "f"]) + inline_row(None, [1, 2], refs=False)
            + '<row><c r="C7"><v>3</v></c><c><v>4</v></c></row>')
    path = raw(tmp_path, rows)
    assert rows_of(path) == [(1, {1: "a", 2: "b"}), (2, {1: "c"}), (5, {1: "d", 3: "f"}),
                             (6, {1: D(1), 2: D(2)}), (7, {3: D(3), 4: D(4)})]
    assert rows_of(path, columns=[2, 4], start_row=2) == [(6, {2: D(2)}), (7, {4: D(4)})]


def test_attributes_in_any_order(tmp_path):
    path = raw(tmp_path, '<row r="1"><c s="1" r="A1"><v>45366</v></c>'
               "<c r='B1' t='s'><v>0</v></c><c t=\"s\" r=\"C1\"><v>0</v></c></row>",
               strings=["x"])
    assert rows_of(path) == [(1, {1: date(2024, 3, 15), 2: "x", 3: "x"})]


def test_custom_number_formats(tmp_path):
    # styles: 1 built-in 14, 2 dd/mm/yyyy, 3 "Day "0, 4 [h]:mm, 5 built-in 22, 6 [$-409]mmm d, 7 0.00%
    cells = "".join(f'<c r="{chr(64 + i)}1" s="{i}"><v>45366.5</v></c>' for i in range(1, 8))
    path = raw(tmp_path, f'<row r="1">{cells}<c r="H1" s="99"><v>45366</v></c></row>')
    assert rows_of(path) == [(1, {1: date(2024, 3, 15), 2: date(2024, 3, 15), 3: D("45366.5"),
                                  4: D("45366.5"), 5: date(2024, 3, 15), 6: date(2024, 3, 15),
                                  7: D("45366.5"), 8: D(45366)})]


def test_no_styles_part(tmp_path):
    path = raw(tmp_path, '<row r="1"><c r="A1" s="1"><v>45366</v></c></row>', styles=None)
    assert rows_of(path) == [(1, {1: D(45366)})]


def test_date_serials_out_of_range_stay_numbers(tmp_path):
    path = raw(tmp_path, '<row r="1"><c r="A1" s="1"><v>60</v></c><c r="B1" s="1"><v>-3</v></c>'
               '<c r="C1" s="1"><v>3000000</v></c><c r="D1" s="1"><v>0</v></c>'
               '<c r="E1" s="1"><v>61</v></c></row>')
    assert rows_of(path) == [(1, {1: D(60), 2: D(-3), 3: D(3000000), 4: D(0),
                                  5: date(1900, 3, 1)})]


def test_raw_date1904(tmp_path):
    path = raw(tmp_path, '<row r="1"><c r="A1" s="1"><v>0</v></c><c r="B1" s="1"><v>43904</v></c>'
               "</row>", date1904=True)
    assert rows_of(path) == [(1, {1: date(1904, 1, 1), 2: date(2024, 3, 15)})]


def test_empty_sheet_and_dimension(tmp_path):
    path = raw(tmp_path, "", dimension="A1")
    with XlsxBook.open(path) as book:
        s = book.sheet("S")
        assert list(s.rows()) == [] and s.head(30) == [] and s.merged == ()
        assert s.last_column == 1


def test_dimension_wider_than_the_header(tmp_path):
    path = raw(tmp_path, inline_row(1, ["a", "b"]), dimension="A1:H40")
    with XlsxBook.open(path) as book:
        assert book.sheet("S").last_column == 8


@pytest.mark.parametrize("where", ["sheet", "sst"])
def test_doctype_is_refused(tmp_path, where):
    doctype = '<!DOCTYPE x [<!ENTITY e "boom">]>'
    if where == "sheet":
        path = raw(tmp_path, inline_row(1, ["a"]), doctype=doctype)
    else:
        sst = sst_xml(["a"]).replace("<sst ", doctype + "<sst ", 1)
        path = raw_xlsx(tmp_path / "r.xlsx", {"S": sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v>'
                                                             "</c></row>")}, shared_strings=sst)
    with pytest.raises(ArsheetsError) as exc:  # by the package when it opens (see package.py)
        with XlsxBook.open(path) as book:
            list(book.sheet("S").rows())
    assert "declares a DOCTYPE; refusing to read it (XML entity tricks)" in str(exc.value)


def test_a_missing_shared_string_is_damage(tmp_path):
    path = raw(tmp_path, '<row r="1"><c r="A1" t="s"><v>7</v></c></row>', strings=["only"])
    with XlsxBook.open(path) as book, pytest.raises(ArsheetsError) as exc:
        list(book.sheet("S").rows())
    assert "is damaged: a cell refers to shared string '7', which does not exist" in str(exc.value)


def test_not_a_worksheet_part_is_damage(tmp_path):
    path = raw_xlsx(tmp_path / "r.xlsx", {"S": '<?xml version="1.0"?><chartsheet xmlns="x"/>'})
    with XlsxBook.open(path) as book, pytest.raises(ArsheetsError) as exc:
        list(book.sheet("S").rows())
    assert "is damaged: part xl/worksheets/sheet1.xml is not a worksheet" in str(exc.value)


def test_utf16_part(tmp_path):
    xml = sheet_xml(inline_row(1, ["héllo", 3])).replace('encoding="UTF-8"', 'encoding="UTF-16"')
    path = tmp_path / "u.xlsx"
    raw_xlsx(path, {"S": "PLACEHOLDER"})
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    parts["xl/worksheets/sheet1.xml"] = xml.encode("utf-16")
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in parts.items():
            zf.writestr(n, data)
    assert rows_of(path) == [(1, {1: "héllo", 2: D(3)})]


def test_chunks_cut_at_row_boundaries(tmp_path, monkeypatch):
    """Tiny chunks: every row crosses a read boundary, and fast and slow chunks alternate."""
    rows = []
    for r in range(1, 400):
        if r % 7 == 0:  # cells without r: this chunk takes the slow path
            rows.append(f'<row r="{r}"><c><v>{r}</v></c><c t="inlineStr"><is><t>r{r}</t></is></c></row>')
        else:
            rows.append(inline_row(r, [r, f"r{r}"]))
    path = raw(tmp_path, "".join(rows), merges=["C1:C2"])
    monkeypatch.setattr(scan, "CHUNK", 97)
    with XlsxBook.open(path) as book:
        s = book.sheet("S")
        got = list(s.rows([1, 2]))
        assert got == [(r, {1: D(r), 2: f"r{r}"}) for r in range(1, 400)]
        assert s.merged == (CellRange(1, 3, 2, 3),)


def test_early_stop_releases_the_reader(tmp_path, monkeypatch):
    import threading
    import time

    monkeypatch.setattr(scan, "CHUNK", 4096)  # many chunks, so the unzip thread is mid-way
    path = xlsx(tmp_path / "m.xlsx", [Sheet("S", [[i] for i in range(1, 20000)])])
    before = threading.active_count()
    with XlsxBook.open(path) as book:
        s = book.sheet("S")
        for _ in range(20):
            it = s.rows([1])
            assert next(it) == (1, {1: D(1)})
            it.close()
        assert s.head(3) == [(1, {1: D(1)}), (2, {1: D(2)}), (3, {1: D(3)})]
        for _ in range(5):
            next(iter(s.rows([1])))  # abandoned, not closed: collected at once
    for _ in range(50):
        if threading.active_count() <= before:
            break
        time.sleep(0.02)
    assert threading.active_count() <= before


# --- typed rows ----------------------------------------------------------------------------------------------


def test_typed_rows_finish_the_common_cases(tmp_path):
    path = xlsx(tmp_path / "m.xlsx", [Sheet("S", [
        [" id ", date(2024, 3, 1), 12.345, "x", "   "],
        [7, "2024-03-01", "12", Err("#N/A"), None],
        [Formula('="f "', "f "), 45366, Formula("=A1"), None, "y"],
        [None, None, None, None, "  "],
    ])])
    plan = {1: (0, TEXT), 2: (1, DATE), 3: (2, MONEY), 4: (3, AS_IS), 5: (5, TEXT)}
    expected = [
        (1, ["id", date(2024, 3, 1), D("12.35"), "x", None, None], None),
        (2, [None, None, None, CellError("#N/A"), None, None],
         {0: D(7), 1: "2024-03-01", 2: "12"}),
        (3, ["f", None, None, None, None, "y"], {1: D(45366), 2: NO_VALUE}),
    ]
    with XlsxBook.open(path) as book:
        s = book.sheet("S")
        assert list(s.typed_rows(plan, 6)) == expected
        assert list(typed_from_rows(s, plan, 6)) == expected
        assert [r for batch in s.typed_batches(plan, 6, start_row=2) for r in batch] == expected[1:]


def test_typed_rows_on_the_slow_path(tmp_path):
    path = raw(tmp_path, '<row><c t="inlineStr"><is><t> a </t></is></c><c><v>5.555</v></c></row>'
               '<row><c><v>1</v></c></row>')
    with XlsxBook.open(path) as book:
        assert list(book.sheet("S").typed_rows({1: (0, TEXT), 2: (1, MONEY)}, 2)) == [
            (1, ["a", D("5.56")], None), (2, [None, None], {0: D(1)})]


def test_classify():
    assert classify("  a ", TEXT) == "a" and classify("  ", TEXT) is None
    assert scan.is_raw(classify(D(1), TEXT))
    assert classify(date(2024, 1, 1), DATE) == date(2024, 1, 1)
    assert scan.is_raw(classify("2024-01-01", DATE))
    assert classify(D("1.005"), MONEY) == D("1.01")
    assert scan.is_raw(classify(D("1E+40"), MONEY))
    assert classify(NO_VALUE, AS_IS) is NO_VALUE


# --- helpers -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("serial, expected", [
    (1, date(1900, 1, 1)), (59, date(1900, 2, 28)), (60, None), (61, date(1900, 3, 1)),
    (45366, date(2024, 3, 15)), (D("45366.99"), date(2024, 3, 15)), (2958465, date(9999, 12, 31)),
    (2958466, None), (0, None), (-1, None), (D("NaN"), None), (float("nan"), None),
])
def test_serial_to_date(serial, expected):
    assert serial_to_date(serial) == expected


def test_serial_to_date_1904():
    assert serial_to_date(0, True) == date(1904, 1, 1)
    assert serial_to_date(43904, True) == date(2024, 3, 15)
    assert serial_to_date(2957003, True) == date(9999, 12, 31)
    assert serial_to_date(2957004, True) is None


@pytest.mark.parametrize("fmt_id, code, expected", [
    (14, None, True), (22, None, True), (27, None, True), (45, None, True), (58, None, True),
    (0, None, False), (2, None, False), (10, None, False), (49, None, False), (164, None, False),
    (164, "yyyy-mm-dd", True), (164, "d/m/yy h:mm", True), (164, "[$-409]mmmm d, yyyy", True),
    (164, "hh:mm:ss AM/PM", True), (164, '"Day "0', False), (164, "0.00%", False),
    (164, "#,##0.00 [$USD]", False), (164, "[Red]#,##0", False), (164, "[h]:mm", False),
    (164, "[mm]:ss", False), (164, "General", False), (164, '0 "days"', False),
    (164, "0\\d", False), (164, "_(* #,##0_)", False), (164, "0.00E+00", False),
    (14, "0.00", False), (3, "dd/mm/yyyy", True),
])
def test_is_date_format(fmt_id, code, expected):
    assert is_date_format(fmt_id, code) is expected


def test_unescape_text():
    assert unescape_text(b"a&amp;b&lt;&gt;&quot;&apos;&#65;&#x42;") == "a&b<>\"'AB"
    assert unescape_text(b"_x000D__x000A_") == "\r\n"
    assert unescape_text(b"_x005F_x000D_") == "_x000D_"
    assert unescape_text(b"a\r\nb\rc") == "a\nb\nc"
    assert unescape_text(b"&unknown; &#xZZ;") == "&unknown; &#xZZ;"
    assert unescape_text("caf\u00e9".encode()) == "café"


def test_cell_range():
    r = CellRange.parse("$D$18:B17")
    assert r == CellRange(17, 2, 18, 4) and r.ref == "B17:D18" and r.top_left == (17, 2)
    assert (18, 3) in r and (19, 3) not in r
    assert CellRange.parse("C5").ref == "C5"
    with pytest.raises(ValueError):
        CellRange.parse("nope")


# --- agreement with calamine -------------------------------------------------------------------------------

TEXT_ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"),
                              include_characters="\n\t&<>\"'_")
CELL = st.one_of(
    st.none(),
    st.text(TEXT_ALPHABET, min_size=1, max_size=12),
    st.sampled_from(["_x0041_", "_x005F_", "a_x000D_b", "  lead", "trail  ", "001", "=1+1"]),
    st.integers(-10**12, 10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=64).filter(lambda f: abs(f) < 1e300),
    st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31)),
    st.booleans(),
)


def _same(ours, theirs) -> bool:
    if ours is None:
        return theirs == ""
    if isinstance(ours, bool):
        return theirs is ours
    if isinstance(ours, Decimal):
        return isinstance(theirs, (int, float)) and not isinstance(theirs, bool) and (
            float(ours) == theirs or math.isclose(float(ours), theirs, rel_tol=1e-15))
    if isinstance(ours, date):
        return (theirs.date() if isinstance(theirs, datetime) else theirs) == ours
    return ours == theirs


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.lists(CELL, min_size=1, max_size=6), min_size=1, max_size=8),
       constant_memory=st.booleans())
def test_agrees_with_calamine(tmp_path, cells, constant_memory):
    from python_calamine import CalamineWorkbook

    path = xlsx(tmp_path / "h.xlsx", [Sheet("S", cells)], constant_memory=constant_memory)
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("S")
    theirs = sheet.to_python()
    r0, c0 = sheet.start if theirs else (0, 0)  # calamine starts at the first used cell
    ours = grid(path)
    for r, row in enumerate(theirs, r0 + 1):
        for c, value in enumerate(row, c0 + 1):
            mine = ours.pop((r, c), None)
            assert _same(mine, value), ((r, c), mine, value, cells)
    assert not ours, ours  # nothing read that calamine did not see


def test_agrees_with_calamine_on_a_wide_sheet(tmp_path):
    from python_calamine import CalamineWorkbook

    rows = [[f"h{c}" for c in range(1, 60)]]
    rows += [[(r * c) / 7 if c % 3 else f"t{r}-{c}" for c in range(1, 60)] for r in range(1, 60)]
    for cm in (False, True):
        path = xlsx(tmp_path / f"w{cm}.xlsx", [Sheet("S", rows)], constant_memory=cm)
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("S")
        theirs = sheet.to_python()
        assert sheet.start == (0, 0)
        ours = grid(path)
        for r, row in enumerate(theirs, 1):
            for c, value in enumerate(row, 1):
                assert _same(ours.get((r, c)), value)
