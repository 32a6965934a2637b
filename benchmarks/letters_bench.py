#!/usr/bin/env python
"""How long 1,000 letters take: arsheets' renderer against a plain docxtpl loop.

    python benchmarks/letters_bench.py                 # 1,000 second reminders
    python benchmarks/letters_bench.py -n 200 --template statement
    python benchmarks/letters_bench.py --skip-baseline # only arsheets' timings

The baseline is what one would write with docxtpl directly: for each letter
``DocxTemplate(path).render(ctx, autoescape=True); save`` (autoescape, because workbook text with
``&`` or ``<`` would otherwise corrupt the document). arsheets preprocesses and compiles the
template once, renders only the XML per letter, copies the unchanged zip members, and spreads the
batch over a process pool. Contexts are built once up front and shared by every run, so the
figures compare rendering and writing only; the context build time is printed separately.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from docxtpl import DocxTemplate  # noqa: E402

from arsheets.letters import find_template, prepare_letter, write_letters  # noqa: E402
from arsheets.letters.render import _CACHE, default_workers  # noqa: E402
from arsheets.model import Customer, Invoice, InvoiceStatus, Settings, Status  # noqa: E402

AS_OF = date(2024, 3, 18)
SETTINGS = Settings(
    company_name="Bright Widgets LLC",
    company_address="400 Market Street\nSuite 12\nSpringfield, IL 62701",
    company_phone="(555) 010-7788", company_email="accounts@brightwidgets.example",
    signatory="Dana Reyes", signatory_title="Accounts Manager",
)


def customers_and_invoices(n: int):
    """``n`` customers with 1 to 6 open invoices each, some names with & and < in them."""
    for i in range(n):
        c = Customer(f"C-{i:05}", f"Customer {i} & Sons <Ltd>" if i % 7 == 0 else
                     f"Customer {i} Trading", contact="Jane Smith", ap_contact="Raj Patel",
                     email=f"ap{i}@example.com", address=f"{i} High Street\nSpringfield IL")
        items = []
        for k in range(1 + i % 6):
            amount = Decimal(100 + (i * 37 + k * 101) % 5000) + Decimal("0.25")
            due = AS_OF - timedelta(days=5 + 11 * k + i % 40)
            inv = Invoice(f"INV-{i:05}-{k}", c.id, due - timedelta(days=30), amount,
                          due_date=due)
            days = (AS_OF - due).days
            st = InvoiceStatus(inv.id, 0, due, Decimal("0.00"), amount, days, "1-30",
                               Decimal("0.00"), None, amount, Status.OVERDUE)
            items.append((inv, st))
        yield c, items


def timed(label: str, fn) -> float:
    start = time.perf_counter()
    fn()
    took = time.perf_counter() - start
    print(f"  {label:<44} {took:8.2f} s", flush=True)
    return took


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=1000, help="letters (default 1000)")
    ap.add_argument("--template", default="second_reminder")
    ap.add_argument("--workers", type=int, default=None,
                    help=f"processes for the pooled run (default: {default_workers()} here)")
    ap.add_argument("--skip-baseline", action="store_true")
    args = ap.parse_args()

    path = find_template(args.template)
    print(f"{args.n} letters from {path.name}; {default_workers()} CPUs available")
    start = time.perf_counter()
    letters = [prepare_letter(SETTINGS, c, items, template=args.template, as_of=AS_OF)
               for c, items in customers_and_invoices(args.n)]
    print(f"  {'building the contexts (shared by every run)':<44} "
          f"{time.perf_counter() - start:8.2f} s")
    root = Path(tempfile.mkdtemp(prefix="arsheets-bench-"))
    try:
        baseline = None
        if not args.skip_baseline:
            out = root / "docxtpl"
            out.mkdir()

            def plain() -> None:
                for i, lt in enumerate(letters):
                    tpl = DocxTemplate(str(path))
                    tpl.render(lt.context, autoescape=True)
                    tpl.save(str(out / f"{i}.docx"))

            baseline = timed("plain docxtpl loop (load, render, save)", plain)

        def ours(workers: int, name: str):
            def run() -> None:
                _CACHE.clear()  # include compiling the template once
                write_letters(letters, replace(SETTINGS, letters_folder=str(root / name)), AS_OF,
                              workers=workers)
            return run

        one = timed("arsheets, 1 process (compile once)", ours(1, "one"))
        workers = args.workers or default_workers()
        pool = timed(f"arsheets, {workers} processes", ours(workers, "pool"))
        written = len(list((root / "pool").rglob("*.docx")))
        assert written == args.n, f"{written} letters written, expected {args.n}"
        print()
        print(f"  per letter: arsheets {1000 * pool / args.n:.1f} ms"
              + (f", docxtpl {1000 * baseline / args.n:.1f} ms" if baseline else ""))
        if baseline:
            print(f"  speed-up: {baseline / one:.1f}x in one process, {baseline / pool:.1f}x "
                  f"with {workers} processes (target: 3x)")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
