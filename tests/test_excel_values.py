"""Values between Excel and arsheets: what xlwings delivers -> the reader's values, and back."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arsheets.excel import from_excel, parse_rows, to_excel
from arsheets.workbook.values import CellError
from xlwings_memory_engine import typed_entry


@pytest.mark.parametrize("raw, expected", [
    (None, None),
    ("", None),
    ("  ", "  "),  # the file keeps spaces too; the reader strips where it reads text
    ("001", "001"),
    ("line 1\r\nline 2\rline 3", "line 1\nline 2\nline 3"),
    (True, True),
    (False, False),
    (1.0, Decimal(1)),
    (-3.0, Decimal(-3)),
    (0.1, Decimal("0.1")),
    (1234.56, Decimal("1234.56")),
    (0.1 + 0.2, Decimal("0.30000000000000004")),  # repr, never the binary expansion
    (1e20, Decimal(10) ** 20),
    (7, Decimal(7)),  # appscript's whole numbers
    (Decimal("1234.5000"), Decimal("1234.5")),  # COM currency: four places
    (Decimal("100.0000"), Decimal(100)),
    (datetime(2024, 3, 15), date(2024, 3, 15)),
    (datetime(2024, 3, 15, 13, 45), date(2024, 3, 15)),
    (datetime(2024, 3, 15, tzinfo=timezone.utc), date(2024, 3, 15)),  # pywintypes are aware
    (date(2024, 3, 15), date(2024, 3, 15)),
    (datetime(1899, 12, 30, 12, 0), Decimal("0.5")),  # a time of day alone
    ("#N/A", CellError("#N/A")),
    ("#DIV/0!", CellError("#DIV/0!")),
    ("#SPILL!", CellError("#SPILL!")),
    (-2146826246, CellError("#N/A")),  # COM error ints
    (-2146826281, CellError("#DIV/0!")),
    (-2146826259, CellError("#NAME?")),
    (-2146826288, CellError("#NULL!")),
    (-2146826252, CellError("#NUM!")),
    (-2146826265, CellError("#REF!")),
    (-2146826273, CellError("#VALUE!")),
    (-2146826245, CellError("#GETTING_DATA")),
    (math.nan, CellError("#NUM!")),
    (math.inf, CellError("#NUM!")),
])
def test_from_excel(raw, expected):
    got = from_excel(raw)
    assert got == expected
    assert type(got) is type(expected)


def _xlwings_source(name: str) -> str:
    # read, not imported: the platform modules need pywin32 / appscript
    return Path(__import__("xlwings").__file__).with_name(name).read_text()


def test_xlwings_documented_error_texts_are_all_known():
    block = re.search(r"cell_errors = \((.*?)\)", _xlwings_source("_xlmac.py"), re.S)
    assert block, "xlwings' macOS error list moved"
    texts = re.findall(r"\"(#[^\"]+)\"", block.group(1))
    assert len(texts) == 7
    for text in texts:
        assert from_excel(text) == CellError(text)


def test_windows_error_ints_match_xlwings():
    table = dict(re.findall(r"(-21468\d+): \"(#[^\"]+)\"", _xlwings_source("_xlwindows.py")))
    assert len(table) == 7, "xlwings' Windows error table moved"
    for number, text in table.items():
        assert from_excel(int(number)) == CellError(text)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_become_the_decimal_of_their_shortest_text(x):
    got = from_excel(x)
    assert got == Decimal(repr(x))
    assert float(got) == x


@given(st.decimals(allow_nan=False, allow_infinity=False, places=2,
                   min_value=-10 ** 12, max_value=10 ** 12))
def test_money_goes_to_excel_and_back_unchanged(amount):
    written = to_excel(amount)
    assert type(written) is float
    assert from_excel(written) == amount


@pytest.mark.parametrize("text", ["1-30", "31-60", "91+", "001", "12%", "TRUE", "false",
                                  "=SUM(A1)", "+1", "-", "@home", "#N/A", "'quoted",
                                  "Apr 8", "INV-7 400.00; INV-9 100.00", " 12"])
def test_text_excel_would_reinterpret_is_quoted(text):
    written = to_excel(text)
    assert written == "'" + text
    assert typed_entry(written) == text  # Excel keeps the apostrophe out of the value


@pytest.mark.parametrize("text", ["Paid", "Open", "In plan", "Current", "First reminder",
                                  "Yes - over the credit limit"])
def test_plain_words_go_as_they_are(text):
    assert to_excel(text) == text
    assert typed_entry(text) == text


def test_the_engine_reinterprets_unquoted_text_as_excel_does():
    assert isinstance(typed_entry("1-30"), datetime)
    assert typed_entry("001") == 1.0
    assert typed_entry("TRUE") is True
    with pytest.raises(AssertionError):
        typed_entry("=1+1")


def test_to_excel_other_values():
    assert to_excel(None) is None
    assert to_excel("") is None
    assert to_excel(3) == 3
    assert to_excel(True) is True
    assert to_excel(date(2024, 2, 29)) == datetime(2024, 2, 29)
    assert to_excel(CellError("#N/A")) is None
    long = "x" * 40_000
    assert len(to_excel(long)) == 32767


def test_time_only_values_match_the_file_reader():
    # the file reader: a time-formatted 0.75 is no date (serial < 1) and stays a number
    assert from_excel(datetime(1899, 12, 30) + timedelta(hours=18)) == Decimal("0.75")


@pytest.mark.parametrize("address, rows", [
    ("$A$2", {2}),
    ("$A$2:$C$4", {2, 3, 4}),
    ("$B$9:$B$7", {7, 8, 9}),
    ("$A$2:$C$3,$E$7", {2, 3, 7}),
    ("$3:$5", {3, 4, 5}),
    ("Customers!$A$4", {4}),
])
def test_parse_rows(address, rows):
    assert parse_rows(address) == frozenset(rows)


def test_parse_rows_whole_columns_means_every_row():
    assert parse_rows("$A:$C") is None
