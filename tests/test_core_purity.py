"""The core stays pure: it imports only the records, money, problems and the standard library,
and never asks the clock what day it is."""

import ast
import sys
from pathlib import Path

import pytest

import arsheets.core

CORE = Path(arsheets.core.__file__).parent
MODULES = sorted(CORE.glob("*.py"))
ALLOWED = {"arsheets.model", "arsheets.money", "arsheets.errors"}
FORBIDDEN = {"openpyxl", "xlwings", "docxtpl", "click", "babel", "holidays"}
CLOCK = {"today", "now", "utcnow"}


def imported(source: str, package: str = "arsheets.core") -> set[str]:
    """Every module a source file imports, relative imports resolved against ``package``."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                names.add(".".join(base + ([node.module] if node.module else [])))
            else:
                names.add(node.module)
    return names


def allowed(module: str) -> bool:
    top = module.split(".")[0]
    if top == "arsheets":
        return module in ALLOWED or module.startswith("arsheets.core")
    return top in sys.stdlib_module_names or top == "__future__"


def test_the_scanner_sees_what_it_must():
    source = ("import openpyxl\nfrom babel.numbers import x\n"
              "from ..workbook import read\nfrom . import fees\n")
    assert imported(source) == {"openpyxl", "babel.numbers", "arsheets.workbook", "arsheets.core"}
    assert not allowed("openpyxl") and not allowed("arsheets.workbook.read")
    assert allowed("decimal") and allowed("arsheets.money") and allowed("arsheets.core.fees")


def test_there_is_a_core_to_check():
    assert {p.name for p in MODULES} >= {"calendar.py", "payments.py", "aging.py", "fees.py",
                                         "customers.py", "refresh.py"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_core_module_imports_only_model_money_errors_and_the_standard_library(path):
    names = imported(path.read_text(encoding="utf-8"))
    assert not {n for n in names if n.split(".")[0] in FORBIDDEN}
    assert [n for n in names if not allowed(n)] == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_core_module_never_reads_the_clock(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = [node.func.attr for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
             and node.func.attr in CLOCK]
    assert calls == []
