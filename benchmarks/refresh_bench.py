#!/usr/bin/env python
"""How fast and how lean a refresh is on a 100,000-invoice workbook, against reading it with
python-calamine and a load-and-save through openpyxl.

    python benchmarks/refresh_bench.py                    # 100,000 invoices, best of 1
    python benchmarks/refresh_bench.py --repeat 3         # best of 3
    python benchmarks/refresh_bench.py --invoices 20000   # a smaller book (built and cached)
    python benchmarks/refresh_bench.py --skip-openpyxl    # leave out the slow round trip

The workbook is ``synthetic_book(N, customers, payments, as_of)`` written by ``build_workbook`` in
normal mode (shared strings, as Excel writes them) and cached in ``benchmarks/out/`` (git-ignored),
so only the first run pays for building it. Each measurement runs in a fresh Python process, so its
peak resident memory (``ru_maxrss``, interpreter and imports included) is its own; the time covers
the operation only, not the process start or the imports:

- refresh: ``pipeline.refresh`` of a copy of the built workbook (read, compute, write back, backup);
- refresh again: ``pipeline.refresh`` of a copy of an already refreshed workbook (steady state:
  the owned cells exist and mostly keep their values);
- calamine: ``CalamineWorkbook.from_path`` and ``to_python()`` of every sheet;
- openpyxl: ``load_workbook`` and ``save`` of a copy (what a library round trip costs).

Targets: the openpyxl round trip takes at least 5x as long as a refresh (8x later), a refresh at
most 3x as long as the calamine read, and a refresh's peak memory stays under 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUT = ROOT / "benchmarks" / "out"
AS_OF = date(2024, 6, 28)
MB = 1024 * 1024


# --- the child processes: one operation each ------------------------------------------------------

def _timed(module, name: str, phases: dict[str, float], label: str) -> None:
    """Wrap ``module.name`` to add its run time to ``phases[label]`` (if the name still exists)."""
    fn = getattr(module, name, None)
    if fn is None:
        return

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            phases[label] = phases.get(label, 0.0) + time.perf_counter() - start

    setattr(module, name, wrapper)


def _refresh(path: Path) -> dict:
    from arsheets import pipeline
    phases: dict[str, float] = {}
    for name, label in (("read_workbook", "read"), ("compute", "compute"), ("diff", "diff"),
                        ("write_workbook", "write")):
        _timed(pipeline, name, phases, label)
    start = time.perf_counter()
    outcome = pipeline.refresh(path, AS_OF)
    took = time.perf_counter() - start
    return {"seconds": took, "cells": outcome.written.cells_written,
            "problems": len(outcome.analysis.problems), "phases": phases}


def _calamine(path: Path) -> dict:
    from python_calamine import CalamineWorkbook
    start = time.perf_counter()
    wb = CalamineWorkbook.from_path(str(path))
    cells = 0
    for name in wb.sheet_names:
        rows = wb.get_sheet_by_name(name).to_python()
        cells += sum(len(r) for r in rows)
    took = time.perf_counter() - start
    return {"seconds": took, "cells": cells}


def _openpyxl(path: Path) -> dict:
    import warnings

    import openpyxl
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(path)
        wb.save(path)
    took = time.perf_counter() - start
    return {"seconds": took}




def proc_status(field: str) -> int | None:
    """A memory figure of /proc/self/status (``VmRSS``, ``VmHWM``) in bytes; None off Linux."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def peak_rss() -> int:
    """This process's peak resident memory in bytes.

    On Linux ``ru_maxrss`` survives fork and exec, so a child would report at least its parent's
    size at the fork; ``VmHWM`` in /proc/self/status is the peak of this program alone."""
    peak = proc_status("VmHWM")
    if peak is not None:
        return peak
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss if sys.platform == "darwin" else maxrss * 1024  # macOS: bytes; else KiB


def child(op: str, path: str, *extra: str) -> int:
    children = {"refresh": _refresh, "calamine": _calamine, "openpyxl": _openpyxl,
                "build": _build}
    result = children[op](Path(path), *extra)
    result["rss"] = peak_rss()
    print(json.dumps(result))
    return 0


def measure(op: str, path: Path, *extra: str) -> dict:
    """Run one operation in a fresh interpreter; returns its seconds, peak RSS and extras."""
    proc = subprocess.run([sys.executable, __file__, "--child", op, str(path), *extra],
                          capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        sys.exit(f"{op} failed:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- the parent -----------------------------------------------------------------------------------

def build(invoices: int, customers: int, payments: int) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"synthetic-{invoices}i-{customers}c-{payments}p-{AS_OF:%Y%m%d}.xlsx"
    if path.exists():
        print(f"workbook: {path.relative_to(ROOT)} (cached)")
        return path
    spec = f"{invoices},{customers},{payments}"
    built = measure("build", path, spec)  # in a child: the parent stays small
    print(f"workbook: {path.relative_to(ROOT)} built: records {built['records']:.1f} s, "
          f"XlsxWriter {built['seconds']:.1f} s")
    return path


def _build(path: Path, spec: str) -> dict:
    from arsheets.demo import synthetic_book
    from arsheets.workbook.template import build_workbook
    invoices, customers, payments = (int(n) for n in spec.split(","))
    start = time.perf_counter()
    book, settings = synthetic_book(invoices, customers, payments, AS_OF)
    made = time.perf_counter()
    tmp = path.with_name(path.name + ".part")
    build_workbook(tmp, book, settings)
    os.replace(tmp, path)
    return {"records": made - start, "seconds": time.perf_counter() - made}


def best(op: str, source: Path, work: Path, repeat: int, name: str) -> dict:
    """Best time of ``repeat`` runs, each on a fresh copy of ``source``; the largest peak RSS."""
    runs = []
    for _ in range(repeat):
        target = work / name
        shutil.rmtree(work / ".arsheets-backups", ignore_errors=True)
        shutil.copyfile(source, target)
        runs.append(measure(op, target))
    out = min(runs, key=lambda r: r["seconds"])
    return {**out, "rss": max(r["rss"] for r in runs), "path": work / name}


def _phases(result: dict) -> str:
    phases = dict(result.get("phases", {}))
    if phases:
        phases["other"] = result["seconds"] - sum(phases.values())
    return ", ".join(f"{k} {v:.2f}s" for k, v in phases.items())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--invoices", type=int, default=100_000, help="invoices (default 100000)")
    ap.add_argument("--customers", type=int, default=None,
                    help="customers (default: invoices / 5)")
    ap.add_argument("--payments", type=int, default=None, help="payments (default: invoices)")
    ap.add_argument("--repeat", type=int, default=1, help="best of K runs (default 1)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the refreshed and re-saved copies (their folder is printed)")
    ap.add_argument("--skip-openpyxl", action="store_true",
                    help="leave out the openpyxl round trip")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(*args.child)

    customers = args.customers or max(args.invoices // 5, 1)
    payments = args.payments if args.payments is not None else args.invoices
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
          f"{args.invoices:,} invoices, {customers:,} customers, {payments:,} payments; "
          f"as of {AS_OF}; best of {args.repeat}")
    source = build(args.invoices, customers, payments)
    print(f"size: {source.stat().st_size / MB:.1f} MB")
    work = Path(tempfile.mkdtemp(prefix="arsheets-refresh-bench-", dir=OUT))
    try:
        rows = []
        refresh = best("refresh", source, work, args.repeat, "refresh.xlsx")
        rows.append(("arsheets refresh (pipeline.refresh)", refresh,
                     f"{refresh['cells']:,} cells, {refresh['problems']} problems; "
                     + _phases(refresh)))
        refreshed = work / "refreshed.xlsx"
        shutil.copyfile(refresh["path"], refreshed)
        again = best("refresh", refreshed, work, args.repeat, "refresh-again.xlsx")
        rows.append(("refresh again (steady state)", again,
                     f"{again['cells']:,} cells; " + _phases(again)))
        calamine = best("calamine", source, work, args.repeat, "calamine.xlsx")
        rows.append(("python-calamine read, every sheet", calamine,
                     f"{calamine['cells']:,} cells"))
        openpyxl = None
        if not args.skip_openpyxl:
            openpyxl = best("openpyxl", source, work, args.repeat, "openpyxl.xlsx")
            rows.append(("openpyxl load_workbook + save", openpyxl, ""))

        print()
        print(f"  {'operation':<38} {'wall':>9} {'peak RSS':>10}")
        for label, r, note in rows:
            print(f"  {label:<38} {r['seconds']:8.2f}s {r['rss'] / MB:7.0f} MB   {note}")
        print()

        def verdict(ok: bool) -> str:
            return "ok" if ok else "MISSED"

        t = refresh["seconds"]
        if openpyxl:
            ratio = openpyxl["seconds"] / t
            print(f"  openpyxl round trip / refresh:  {ratio:5.1f}x   target >= 5x "
                  f"{verdict(ratio >= 5)}, >= 8x {verdict(ratio >= 8)}")
            ratio = openpyxl["seconds"] / again["seconds"]
            print(f"  openpyxl round trip / again:    {ratio:5.1f}x")
        ratio = t / calamine["seconds"]
        print(f"  refresh / calamine read:        {ratio:5.1f}x   target <= 3x "
              f"{verdict(ratio <= 3)}")
        ratio = again["seconds"] / calamine["seconds"]
        print(f"  refresh again / calamine read:  {ratio:5.1f}x")
        peak = max(refresh["rss"], again["rss"]) / MB
        print(f"  refresh peak memory:            {peak:5.0f} MB  target < 300 MB "
              f"{verdict(peak < 300)}")
        if args.keep:
            print(f"\n  kept: {work}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
