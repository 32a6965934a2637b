#!/usr/bin/env python
"""What no tuning of arsheets' Python can go below, on one of scale_bench's books: the floors the
speed and memory targets are held against.

    python benchmarks/floors.py                  # 1,000,000 invoices (the book scale_bench built)
    python benchmarks/floors.py --invoices 100000

Printed, from one process:

- read and compute: ``read_workbook`` then ``analysis_of`` (what ``arsheets check`` does), timed,
  with the growth of resident memory over each: the records (one frozen dataclass per row,
  ``Decimal`` amounts, with what the reader keeps such as the shared strings) and then the results,
  all held before anything is written.
- write floor: inflating every worksheet part and deflating it again at the writer's zlib level,
  with nothing patched. The writer runs the two on threads of their own beside the patching, so
  a write cannot take less than the larger of the two; the rest of a write is Python per row.

Build the book first with ``python benchmarks/scale_bench.py --sizes N`` (it is cached in
``benchmarks/out/``).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bigbook  # noqa: E402
from refresh_bench import AS_OF, proc_status  # noqa: E402

MB = 1024 * 1024


def rss() -> int:
    """Resident memory now, in bytes (0 where /proc is missing: not Linux)."""
    return proc_status("VmRSS") or 0


def write_floor(path: Path, level: int) -> tuple[float, float, int]:
    """Seconds to inflate and to deflate every worksheet part, and their inflated size."""
    inflate = deflate = 0.0
    size = 0
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            if not info.filename.startswith("xl/worksheets/"):
                continue
            start = time.perf_counter()
            data = z.read(info)
            mid = time.perf_counter()
            packer = zlib.compressobj(level, zlib.DEFLATED, -15)
            packer.compress(data)
            packer.flush()
            inflate += mid - start
            deflate += time.perf_counter() - mid
            size += len(data)
    return inflate, deflate, size


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--invoices", type=int, default=1_000_000)
    ap.add_argument("--customers", type=int, default=20_000)
    args = ap.parse_args()
    path = bigbook.default_path(args.invoices, args.customers, args.invoices)
    if not path.exists():
        sys.exit(f"{path} is not built: run  python benchmarks/scale_bench.py "
                 f"--sizes {args.invoices} --skip-openpyxl --skip-letters  first")

    from arsheets import pipeline
    from arsheets.workbook.read import read_workbook
    from arsheets.workbook.write import SHEET_LEVEL

    print(f"{path.relative_to(ROOT)}: {args.invoices:,} invoices, {args.customers:,} customers, "
          f"{args.invoices:,} payments")
    gc.disable()  # as a refresh runs (pipeline.collector_paused)
    base = rss()
    start = time.perf_counter()
    read = read_workbook(path)
    read_s = time.perf_counter() - start
    after_read = rss()
    start = time.perf_counter()
    analysis = pipeline.analysis_of(path, AS_OF, read)
    compute_s = time.perf_counter() - start
    after_compute = rss()
    book = analysis.read.book
    records = len(book.invoices) + len(book.payments) + len(book.customers)
    print(f"  read          {read_s:6.2f}s   resident +{(after_read - base) / MB:6.0f} MB "
          f"({(after_read - base) / records:.0f} B per record read)")
    print(f"  compute       {compute_s:6.2f}s   resident +{(after_compute - after_read) / MB:6.0f}"
          f" MB ({(after_compute - after_read) / records:.0f} B per record read)")
    print(f"  read + compute {read_s + compute_s:5.2f}s   resident {after_compute / MB:,.0f} MB "
          f"before anything is written (the interpreter and imports: {base / MB:.0f} MB)")
    del read, analysis, book
    inflate, deflate, size = write_floor(path, SHEET_LEVEL)
    print(f"  write floor   inflate {inflate:6.2f}s, deflate {deflate:6.2f}s "
          f"({size / MB:,.0f} MB of sheet XML, zlib level {SHEET_LEVEL})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
