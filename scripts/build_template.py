#!/usr/bin/env python
"""Rebuild ``workbook_template.xlsx`` at the repository root from the schema.

    python scripts/build_template.py                      # the empty template
    python scripts/build_template.py --demo demo.xlsx     # the demo business, as of today
    python scripts/build_template.py --demo demo.xlsx --as-of 2024-06-28 --seed 7

The build is deterministic, so the committed template changes only when the schema or the template
builder does; ``tests/test_template.py`` fails when the committed file and a fresh build differ.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from arsheets.workbook.template import build_workbook  # noqa: E402

TEMPLATE = ROOT / "workbook_template.xlsx"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", nargs="?", type=Path, default=TEMPLATE,
                        help=f"where to write the template (default: {TEMPLATE.name})")
    parser.add_argument("--demo", type=Path, metavar="PATH",
                        help="write the demo business's workbook to PATH instead")
    parser.add_argument("--as-of", type=date.fromisoformat, default=None,
                        help="the demo's as-of date, YYYY-MM-DD (default: today)")
    parser.add_argument("--seed", type=int, default=7, help="the demo's random seed")
    args = parser.parse_args(argv)
    if args.demo is not None:
        from arsheets.demo import demo_book

        book, settings = demo_book(args.as_of or date.today(), args.seed)
        build_workbook(args.demo, book, settings)
        print(f"wrote {args.demo}")
        return 0
    build_workbook(args.output)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
