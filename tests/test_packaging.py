"""The installed package has every module and the bundled letter templates."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "arsheets").rglob("__init__.py")}
    assert found <= listed, f"add {sorted(found - listed)} to pyproject.toml"


def test_the_letter_templates_are_package_data():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert setuptools["package-dir"]["arsheets.letter_templates"] == "letter_templates"
    assert list((ROOT / "letter_templates").glob("*.docx"))
