#!/usr/bin/env python
"""refresh, check and letters at 10,000, 100,000 and 1,000,000 invoices, against python-calamine
and openpyxl on the same files, with the targets checked from the same run.

    python benchmarks/scale_bench.py                         # 10k, 100k and 1M invoices, letters
    python benchmarks/scale_bench.py --sizes 10000,100000    # leave out the million
    python benchmarks/scale_bench.py --skip-openpyxl --skip-letters

Each book has 20,000 customers and as many payments as invoices; ``benchmarks/bigbook.py`` makes it
(the records of ``demo.synthetic_book`` stored with shared strings, as Excel and XlsxWriter's normal
mode store them) and caches it in ``benchmarks/out/``. Every operation runs in a fresh Python
process; its time covers the operation only (not starting Python or the imports) and its peak memory
is that process's ``VmHWM``. The memory of any process it starts (the letters' worker pool) is
sampled from outside (private pages) and shown as ``+N workers``.

- refresh: ``pipeline.refresh`` of a copy of the book (read, compute, write back, backup);
- refresh again: the same on a copy of the refreshed book (the owned cells exist and mostly keep
  their values: the steady state);
- check: ``pipeline.analyse`` (read and compute; what ``arsheets check`` does);
- calamine: ``CalamineWorkbook.from_path`` and ``to_python()`` of every sheet: the floor for
  merely parsing the file;
- openpyxl: ``load_workbook`` and ``save`` (left out at 1,000,000 invoices, where it takes many
  minutes and gigabytes);
- letters: 1,000 letters through arsheets' renderer (template compiled once, both cores) against a
  plain docxtpl loop (see ``letters_bench.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bigbook  # noqa: E402
from refresh_bench import AS_OF, OUT, _calamine, _openpyxl, _refresh, peak_rss  # noqa: E402

MB = 1024 * 1024
OPENPYXL_MAX = 200_000  # invoices; above this the openpyxl round trip is left out


# --- the child processes ---------------------------------------------------------------------------

def _check(path: Path) -> dict:
    from arsheets import pipeline
    start = time.perf_counter()
    analysis = pipeline.analyse(path, AS_OF)
    took = time.perf_counter() - start
    return {"seconds": took, "problems": len(analysis.problems)}


def _build(path: Path, spec: str) -> dict:
    invoices, customers, payments = (int(n) for n in spec.split(","))
    return bigbook.build_big(path, invoices, customers, payments)


def _letter_inputs(n: int):
    import letters_bench
    from arsheets.letters import prepare_letter
    return letters_bench, [
        prepare_letter(letters_bench.SETTINGS, c, items, template="second_reminder",
                       as_of=letters_bench.AS_OF)
        for c, items in letters_bench.customers_and_invoices(n)]


def _letters(folder: Path, n: str) -> dict:
    from dataclasses import replace

    from arsheets.letters import write_letters
    from arsheets.letters.render import default_workers
    bench, letters = _letter_inputs(int(n))
    start = time.perf_counter()
    written = write_letters(letters, replace(bench.SETTINGS, letters_folder=str(folder)),
                            bench.AS_OF, workers=default_workers())
    took = time.perf_counter() - start
    return {"seconds": took, "letters": len(written), "workers": default_workers()}


def _docxtpl(folder: Path, n: str) -> dict:
    from docxtpl import DocxTemplate

    from arsheets.letters import find_template
    _, letters = _letter_inputs(int(n))
    path = str(find_template("second_reminder"))
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for i, letter in enumerate(letters):
        tpl = DocxTemplate(path)
        tpl.render(letter.context, autoescape=True)
        tpl.save(str(folder / f"{i}.docx"))
    return {"seconds": time.perf_counter() - start, "letters": len(letters)}


CHILDREN = {"refresh": _refresh, "check": _check, "calamine": _calamine, "openpyxl": _openpyxl,
            "build": _build, "letters": _letters, "docxtpl": _docxtpl}


def child(op: str, path: str, *extra: str) -> int:
    result = CHILDREN[op](Path(path), *extra)
    result["rss"] = peak_rss()
    print(json.dumps(result))
    return 0


# --- the parent: one fresh process per operation, its workers' memory sampled -----------------

def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        cur = todo.pop()
        try:
            with open(f"/proc/{cur}/task/{cur}/children") as fh:
                kids = [int(k) for k in fh.read().split()]
        except OSError:
            continue
        found += kids
        todo += kids
    return found


def _private_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            return sum(int(line.split()[1]) * 1024 for line in fh
                       if line.startswith(("Private_Clean:", "Private_Dirty:")))
    except (OSError, ValueError):
        return 0


def measure(op: str, path: Path, *extra: str) -> dict:
    """Run one operation in a fresh interpreter; its seconds, peak RSS, extras, and the largest
    private memory its child processes held at once (sampled every 20 ms; Linux only)."""
    proc = subprocess.Popen([sys.executable, __file__, "--child", op, str(path), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    children = 0
    while proc.poll() is None:
        if sys.platform.startswith("linux"):
            children = max(children, sum(_private_bytes(p) for p in _descendants(proc.pid)))
        time.sleep(0.02)
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        sys.exit(f"{op} failed:\n{stdout}\n{stderr}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["children_rss"] = children
    return result


def best(op: str, source: Path, work: Path, repeat: int, name: str, *extra: str) -> dict:
    """Best time of ``repeat`` runs, each on a fresh copy of ``source``; the largest memory."""
    runs = []
    for _ in range(repeat):
        target = work / name
        shutil.rmtree(work / ".arsheets-backups", ignore_errors=True)
        shutil.copyfile(source, target)
        runs.append(measure(op, target, *extra))
    out = min(runs, key=lambda r: r["seconds"])
    return {**out, "rss": max(r["rss"] for r in runs),
            "children_rss": max(r["children_rss"] for r in runs),
            "path": work / name}


def book(invoices: int, customers: int) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = bigbook.default_path(invoices, customers, invoices)
    if path.exists():
        return path
    print(f"  building {path.relative_to(ROOT)} ...", flush=True)
    built = measure("build", path, f"{invoices},{customers},{invoices}")
    print(f"  built: records {built['records']:.1f} s, XML {built['seconds']:.1f} s", flush=True)
    return path


def _phases(result: dict) -> str:
    phases = dict(result.get("phases", {}))
    if not phases:
        return ""
    phases["other"] = result["seconds"] - sum(phases.values())
    return ", ".join(f"{k} {v:.2f}s" for k, v in phases.items())


def _mem(r: dict) -> str:
    text = f"{r['rss'] / MB:6.0f} MB"
    children = r.get("children_rss")
    return text + (f" +{children / MB:.0f} workers" if children else "")


def ok(flag: bool) -> str:
    return "ok" if flag else "MISSED"


def run_size(n: int, customers: int, args, work: Path) -> dict:
    source = book(n, customers)
    print(f"\n{n:,} invoices, {customers:,} customers, {n:,} payments: "
          f"{source.relative_to(ROOT)}, {source.stat().st_size / MB:.1f} MB", flush=True)
    got: dict[str, dict] = {}
    got["refresh"] = best("refresh", source, work, args.repeat, "refresh.xlsx")
    refreshed = work / "refreshed.xlsx"
    shutil.copyfile(got["refresh"]["path"], refreshed)
    got["again"] = best("refresh", refreshed, work, args.repeat, "again.xlsx")
    got["check"] = best("check", source, work, args.repeat, "check.xlsx")
    got["calamine"] = best("calamine", source, work, args.repeat, "calamine.xlsx")
    if not args.skip_openpyxl and n <= OPENPYXL_MAX:
        got["openpyxl"] = best("openpyxl", source, work, 1, "openpyxl.xlsx")
    rows = [("arsheets refresh", got["refresh"],
             f"{got['refresh']['cells']:,} cells; {_phases(got['refresh'])}"),
            ("refresh again (steady state)", got["again"], _phases(got["again"])),
            ("arsheets check (read + compute)", got["check"], ""),
            ("python-calamine read, every sheet", got["calamine"],
             f"{got['calamine']['cells']:,} cells")]
    if "openpyxl" in got:
        rows.append(("openpyxl load_workbook + save", got["openpyxl"], ""))
    else:
        rows.append(("openpyxl load_workbook + save", None,
                     "left out: minutes and gigabytes at this size" if n > OPENPYXL_MAX
                     else "left out (--skip-openpyxl)"))
    for label, r, note in rows:
        if r is None:
            print(f"  {label:<36} {'-':>9} {'-':>9}      {note}")
        else:
            print(f"  {label:<36} {r['seconds']:8.2f}s {_mem(r):<22} {note}")
    for key in ("refresh", "again", "check"):
        r = got[key]
        extra = ""
        if "openpyxl" in got:
            extra = f", openpyxl / this {got['openpyxl']['seconds'] / r['seconds']:5.1f}x"
        print(f"  {key:<8} this / calamine {r['seconds'] / got['calamine']['seconds']:4.1f}x"
              + extra)
    return got


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10000,100000,1000000",
                    help="invoice counts, comma-separated (default 10000,100000,1000000)")
    ap.add_argument("--customers", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=1, help="best of K runs (default 1)")
    ap.add_argument("--letters", type=int, default=1000, help="letters to render (default 1000)")
    ap.add_argument("--skip-openpyxl", action="store_true")
    ap.add_argument("--skip-letters", action="store_true")
    ap.add_argument("--skip-docxtpl", action="store_true",
                    help="leave out the plain docxtpl loop the letters are compared with")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(*args.child)

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    print(f"Python {platform.python_version()} on {platform.machine()} "
          f"({platform.platform(terse=True)}), {os.cpu_count()} CPUs; as of {AS_OF}; "
          f"best of {args.repeat}")
    work = Path(tempfile.mkdtemp(prefix="arsheets-scale-bench-", dir=OUT))
    results: dict[int, dict] = {}
    letters = docx = None
    try:
        for n in sizes:
            results[n] = run_size(n, args.customers, args, work)
        if not args.skip_letters:
            print(f"\n{args.letters:,} letters (second reminder), contexts built beforehand")
            letters = measure("letters", work / "letters", str(args.letters))
            print(f"  {'arsheets write_letters':<36} {letters['seconds']:8.2f}s {_mem(letters):<22}"
                  f" {letters['workers']} processes")
            if not args.skip_docxtpl:
                docx = measure("docxtpl", work / "docxtpl", str(args.letters))
                print(f"  {'plain docxtpl loop':<36} {docx['seconds']:8.2f}s {_mem(docx):<22}")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print("\nTargets")
    hk = results.get(100_000)
    if hk:
        r = hk["refresh"]
        if "openpyxl" in hk:
            ratio = hk["openpyxl"]["seconds"] / r["seconds"]
            print(f"  100k: openpyxl round trip / refresh  {ratio:6.1f}x   >= 5x {ok(ratio >= 5)}, "
                  f">= 8x {ok(ratio >= 8)}")
        ratio = r["seconds"] / hk["calamine"]["seconds"]
        print(f"  100k: refresh / calamine read        {ratio:6.1f}x   <= 3x {ok(ratio <= 3)}")
        peak = max(r["rss"] + r["children_rss"],
                   hk["again"]["rss"] + hk["again"]["children_rss"]) / MB
        print(f"  100k: refresh peak memory            {peak:6.0f} MB  < 300 MB {ok(peak < 300)}")
    m = results.get(1_000_000)
    if m:
        r = m["refresh"]
        print(f"  1M:   refresh                        {r['seconds']:6.1f}s   < 40 s "
              f"{ok(r['seconds'] < 40)}")
        peak = max(r["rss"] + r["children_rss"],
                   m["again"]["rss"] + m["again"]["children_rss"]) / MB
        print(f"  1M:   refresh peak memory            {peak:6.0f} MB  < 1024 MB "
              f"{ok(peak < 1024)}")
        if hk:
            ratio = r["seconds"] / hk["refresh"]["seconds"]
            print(f"  1M / 100k refresh time               {ratio:6.1f}x   <= 12x {ok(ratio <= 12)}")
    if letters and docx:
        ratio = docx["seconds"] / letters["seconds"]
        print(f"  letters: docxtpl loop / arsheets     {ratio:6.1f}x   >= 3x {ok(ratio >= 3)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
