"""Benchmark reading a large .xlsx customer export: openpyxl's read-only mode against python-calamine,
and the loader end to end. Not a test.

    python benchmarks/bench_xlsx.py                          # 100,000 rows into $TMPDIR/cs-metrics-bench-xlsx
    python benchmarks/bench_xlsx.py --rows 20000 --repeat 1 --out /tmp/x
    python benchmarks/bench_xlsx.py --skip-generate --out /tmp/x   # time an existing folder

Generates (seeded, with openpyxl's write-only mode) `companies.xlsx`, one sheet of a CRM companies
export with 10 columns — Record ID (number), Company name, Company Domain Name, Create Date
(date-time), Close Date (date), Annual Revenue (number with cents), Number of Employees (number),
Is Public (true/false), Country/Region, Notes (text, 30 % empty) — and `companies.csv`, the same
rows as the text cs-metrics reads from the sheet (a CSV twin).

Then times, best of --repeat, wall clock and CPU time (user + system):
  end to end, each its own process (start, imports, read, compute, output):
    python -m cs_metrics referrals --config <cfg> --period 2026-10 --format json --quiet
  on the .xlsx and on its CSV twin, with the peak RSS of each process (os.wait4 rusage, taken by a
  small launcher process);
  sheet -> rows, in this process (--skip-readers leaves these out):
    openpyxl      load_workbook(read_only=True, data_only=True), iter_rows(values_only=True)
    calamine      CalamineWorkbook.from_path(...).get_sheet_by_index(0).to_python()
  sheet -> the loader's text columns (the rows above, then cs_metrics.sources.excel's cell-to-text
  conversion of all 10 columns), in this process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = ["Record ID", "Company name", "Company Domain Name", "Create Date", "Close Date", "Annual Revenue",
          "Number of Employees", "Is Public", "Country/Region", "Notes"]  # fmt: skip
COUNTRIES = ["Thailand", "China", "Singapore", "United States", "Japan", "Vietnam", "Malaysia", "Indonesia"]
WORDS = ["Logistics", "Analytics", "Foods", "Retail", "Traders", "Coffee", "Cloud", "Energy", "Health", "Media"]
CONFIG = """\
timezone: Asia/Bangkok
sources:
  customers:
    path: {name}
    columns:
      customer_id: Record ID
      name: Company name
      created_at: Create Date
"""


def generate(out: Path, rows: int, seed: int) -> None:
    from openpyxl import Workbook

    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    start = dt.datetime(2020, 1, 1)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("All companies")
    sheet.append(HEADER)
    for i in range(rows):
        created = start + dt.timedelta(minutes=rng.randrange(0, 7 * 365 * 24 * 60))
        closed = (created + dt.timedelta(days=rng.randrange(0, 400))).date() if rng.random() < 0.6 else None
        name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {i}"
        sheet.append([
            18_000_000_000 + i, name, f"{name.split()[0].lower()}{i}.example", created, closed,
            round(rng.uniform(1_000, 5_000_000), 2), rng.randrange(1, 5_000), rng.random() < 0.1,
            rng.choice(COUNTRIES), None if rng.random() < 0.3 else f"note {rng.randrange(10**6)}",
        ])  # fmt: skip
    workbook.save(out / "companies.xlsx")
    # the CSV twin: the text the loader reads from the sheet, written with Arrow
    import pyarrow.csv as pacsv

    from cs_metrics.config import FileConfig
    from cs_metrics.sources import excel

    fc = FileConfig()
    table = excel.records(out / "companies.xlsx", fc, list(range(len(HEADER))))
    pacsv.write_csv(table.rename_columns(HEADER), out / "companies.csv")
    for name in ("xlsx", "csv"):
        (out / f"cfg-{name}.yaml").write_text(CONFIG.format(name=f"companies.{name}"), encoding="utf-8")


def best(fn, repeat: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds), each the best of `repeat` runs: on a shared machine the CPU time
    is the steadier figure."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def read_openpyxl(path: Path) -> list:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        return list(workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()


def read_calamine(path: Path) -> list:
    from python_calamine import CalamineWorkbook

    with CalamineWorkbook.from_path(str(path)) as workbook:
        return workbook.get_sheet_by_index(0).to_python()


def to_text(rows: list) -> None:
    from cs_metrics.config import FileConfig
    from cs_metrics.sources import excel

    fc = FileConfig()
    body = rows[1:]
    for p in range(len(rows[0])):  # openpyxl's read-only rows stop at their last value
        excel._as_text([r[p] if p < len(r) else None for r in body], fc)


# Runs the command and reports its rusage. A small process of its own: Linux keeps a process's peak
# RSS across fork and exec, so a command started from this (large) process would report ours.
LAUNCHER = """
import json, os, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
_, status, usage = os.wait4(proc.pid, 0)
print(json.dumps({"wall": time.perf_counter() - start, "code": os.waitstatus_to_exitcode(status),
                  "cpu": usage.ru_utime + usage.ru_stime, "rss_kib": usage.ru_maxrss, "stderr": proc.stderr.read().decode()[:500]}))
"""


def run_cli(cfg: Path, repeat: int) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MiB) of the command, best of `repeat` processes."""
    cmd = [sys.executable, "-m", "cs_metrics", "referrals", "--config", str(cfg), "--period", "2026-10", "--format", "json", "--quiet"]
    walls, cpus, peaks = [], [], []
    for _ in range(repeat):
        out = json.loads(subprocess.run([sys.executable, "-c", LAUNCHER, *cmd], capture_output=True, text=True, check=True).stdout)
        if out["code"] != 0:
            raise SystemExit(f"{' '.join(cmd)} failed: {out['stderr']}")
        walls.append(out["wall"])
        cpus.append(out["cpu"])
        peaks.append(out["rss_kib"] / 1024)
    return min(walls), min(cpus), max(peaks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "cs-metrics-bench-xlsx")
    parser.add_argument("--skip-generate", action="store_true")
    parser.add_argument("--skip-readers", action="store_true", help="time only the command end to end")
    args = parser.parse_args()
    xlsx = args.out / "companies.xlsx"
    if not args.skip_generate:
        start = time.perf_counter()
        generate(args.out, args.rows, args.seed)
        print(f"generated {args.rows:,} rows x {len(HEADER)} columns in {time.perf_counter() - start:.1f} s: "
              f"{xlsx} ({xlsx.stat().st_size / 2**20:.1f} MiB), {args.out / 'companies.csv'}")  # fmt: skip

    print("\n| `cs-metrics referrals` on | wall s | CPU s | peak memory |\n| --- | --- | --- | --- |")
    for name in ("xlsx", "csv"):
        wall, cpu, peak = run_cli(args.out / f"cfg-{name}.yaml", args.repeat)
        print(f"| companies.{name} | {wall:.2f} | {cpu:.2f} | {peak:.0f} MiB |", flush=True)

    if args.skip_readers:
        return
    print("\n| reader | sheet -> rows: wall s | CPU s | sheet -> text columns: wall s | CPU s |")
    print("| --- | --- | --- | --- | --- |")
    for name, read in (("python-calamine", read_calamine), ("openpyxl (read-only)", read_openpyxl)):
        raw = best(lambda read=read: read(xlsx), args.repeat)
        full = best(lambda read=read: to_text(read(xlsx)), args.repeat)
        print(f"| {name} | {raw[0]:.2f} | {raw[1]:.2f} | {full[0]:.2f} | {full[1]:.2f} |", flush=True)


if __name__ == "__main__":
    main()
