"""Time each cs-metrics command against DuckDB computing the same metric off the same CSV files.

    python benchmarks/generate.py --out /tmp/csm-bench                      # the data (once)
    python benchmarks/bench_duckdb.py --data /tmp/csm-bench                 # every metric, report, validate
    python benchmarks/bench_duckdb.py --data /tmp/csm-bench --metrics dau-mau,mrr --repeat 3

For every metric, each run is a fresh process, run in turn (cs-metrics, DuckDB, Arrow read,
cs-metrics, DuckDB, ...), --repeat times (5):
  cs-metrics  python -m cs_metrics <metric> --config DATA/cs-metrics.yaml --period P --format json --quiet
  DuckDB      python, import duckdb, one SQL query (benchmarks/sql/<metric>.sql) straight off the CSV files
  Arrow read  python, import pyarrow, pyarrow.csv.read_csv of the columns the metric reads, typed as
              cs-metrics' loader types them (ISO dates and datetimes as timestamps, numbers as float64,
              the rest as text), with Arrow's jemalloc pool as cs-metrics uses it: the floor any
              CSV-reading implementation pays
Each process's peak memory is its maximum resident set size (os.wait4). The table shows medians.

Values: every column the SQL returns (`value` and detail keys) is compared with the same key of
cs-metrics' JSON (`value`, else `details.<key>`): counts exactly, other numbers to within 1e-9
relative or 1e-6 absolute (money is exact in both; the rest differ only by float summation
order). A mismatch is printed loudly and marks the row. `report` runs every SQL query for P and
the previous period in one DuckDB process and checks both values of each metric the SQL covers;
`validate` reads every table whole and checks rows read, used, filtered and rejected per table.

The SQL follows the default metric definitions (the README's Commands) and takes the currency
rates and active events from the data's cs-metrics.yaml; the generated data has no rejected
rows, so the queries do not repeat the loader's row rejections. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

import yaml

HERE = Path(__file__).resolve().parent
SQL = HERE / "sql"
sys.path.insert(0, str(HERE.parent))  # the registry and periods of this checkout (pandas-free imports)

from cs_metrics.contract import TABLES
from cs_metrics.metrics import REGISTRY
from cs_metrics.period import parse_period

METRICS = ("dau-mau", "sessions", "usage", "nps", "csat", "ces", "tickets", "fcr", "mrr", "churn", "ndr", "grr",
           "arpu", "dso", "repeat-purchase", "cohorts", "health")  # fmt: skip
# every metric with a query (all of report's but feedback): report's DuckDB side runs them all
SQL_METRICS = (*METRICS, "revenue-churn", "revenue-growth", "renewal-rate", "clv", "crc", "return-rate", "conversion",
               "referrals")  # fmt: skip
EXTRA = ("report", "validate")
YEARLY = {"mrr"}  # timed over --year (13 snapshots: the opening and 12 month ends)
REL, ABS = 1e-9, 1e-6

DUCK = r"""
import decimal, json, sys, duckdb
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")  # it would print to stdout
out = []
for path in sys.argv[1:]:
    cur = con.execute(open(path, encoding="utf-8").read())
    cols = [d[0] for d in cur.description]
    out.append([dict(zip(cols, row)) for row in cur.fetchall()])
conv = lambda v: float(v) if isinstance(v, decimal.Decimal) else str(v)
print(json.dumps(out, default=conv))
"""

ARROW = r"""
import json, sys, pyarrow as pa, pyarrow.csv as c
try:
    pa.set_memory_pool(pa.jemalloc_memory_pool())  # as cs-metrics does: mimalloc's page faults cost more than the parse here
except NotImplementedError:
    pass
rows = 0
for spec in json.loads(sys.argv[1]):
    types = {h: getattr(pa, t)("us") if t == "timestamp" else getattr(pa, t)() for h, t in spec["types"].items()}
    table = c.read_csv(spec["path"], read_options=c.ReadOptions(use_threads=True),
                       parse_options=c.ParseOptions(newlines_in_values=spec["free_text"]),
                       convert_options=c.ConvertOptions(include_columns=list(types), column_types=types,
                                                        strings_can_be_null=False, quoted_strings_can_be_null=False))
    rows += table.num_rows
print(rows)
"""


# --------------------------------------------------------------------------- running one process


@dataclass
class Run:
    seconds: float
    peak_mib: float
    ok: bool
    stdout: str = ""
    stderr: str = ""


def timed(cmd: list[str]) -> Run:
    """Wall seconds and peak RSS of one child process (stdout kept, stderr kept for errors)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(seconds, usage.ru_maxrss / 1024, proc.returncode == 0, out.read().decode(), err.read().decode())


# --------------------------------------------------------------------------- what each side runs


@dataclass
class Case:
    name: str
    cs: list[str]
    duck: list[str]  # rendered SQL files
    arrow: list[dict]
    checks: list = field(default_factory=list)  # (label, cs value getter, sql result index, key)


def load_config(data: Path) -> dict:
    path = data / "cs-metrics.yaml"
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.exists() else {}


def sql_params(cfg: dict, data: Path, period) -> dict[str, str]:
    currency = cfg.get("currency") or {}
    rates = {**(currency.get("rates") or {}), **({currency["base"]: 1} if currency.get("base") else {})}
    rates = rates or {"": 1}
    events = cfg.get("active_events") or []
    return {
        "data": str(data.resolve()).replace("'", "''"),
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "rates": ", ".join(f"('{code.upper()}', {rate!r})" for code, rate in rates.items()),
        "active_events": "[" + ", ".join("'" + e.replace("'", "''") + "'" for e in events) + "]::VARCHAR[]",
    }


def render(metric: str, params: dict[str, str], workdir: Path) -> str:
    """The metric's SQL with the data folder, period and config values filled in, as a file; the revenue
    queries' shared CTEs (sql/_paying.sql) stand in for ${paying}."""
    shared = (SQL / "_paying.sql").read_text(encoding="utf-8").splitlines()
    paying = Template("\n".join(line for line in shared if not line.startswith("--"))).substitute(params)
    text = Template((SQL / f"{metric}.sql").read_text(encoding="utf-8")).substitute(params, paying=paying)
    path = workdir / f"{metric}.{params['start']}.{params['end']}.sql"
    path.write_text(text, encoding="utf-8")
    return str(path)


def arrow_specs(metrics: list[str], data: Path) -> list[dict]:
    """The tables and columns cs-metrics' loader reads for these metrics, typed as it types them."""
    cfg = _registry_config()
    wanted: dict[str, set[str]] = {}
    for name in metrics:
        for inp in REGISTRY[name].inputs(cfg, lambda table, column=None: _exists(data, table, column)):
            if inp.if_present and not (data / f"{inp.table}.csv").exists():
                continue
            cols = wanted.setdefault(inp.table, set(TABLES[inp.table].required))
            cols.update(inp.required, inp.optional)
            if inp.table == "subscriptions":
                cols.update({"currency", "is_trial"})
            if inp.table == "invoices":
                cols.update({"currency", "status"})
    return [_read_spec(data, table, lambda header, cols=cols: sorted(c for c in cols if c in header))
            for table, cols in wanted.items()]  # fmt: skip


def _read_spec(data: Path, table: str, columns) -> dict:
    """What the Arrow child reads of one table: `columns(header)`, typed as cs-metrics' loader types
    them (ISO dates and datetimes as timestamps, numbers as float64, everything else as text)."""
    import csv

    path = data / TABLES[table].filename
    with open(path, newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    types = {}
    for col in columns(header):
        spec = TABLES[table].column(col)
        kind = spec.type if spec is not None else "text"
        types[col] = "timestamp" if kind in ("date", "datetime") else "float64" if kind == "number" else "string"
    return {"path": str(path), "types": types, "free_text": TABLES[table].free_text}


def _registry_config():
    from cs_metrics.config import Config  # pydantic only; the defaults are what the inputs need

    return Config()


def _exists(data: Path, table: str, column: str | None = None) -> bool:
    path = data / f"{table}.csv"
    if not path.exists():
        return False
    if column is None:
        return True
    with open(path, encoding="utf-8") as fh:
        return column in fh.readline().strip().split(",")


CACHE = {"on": False}  # --cache: time cs-metrics with its parsed-table cache warm (a cron job's later runs)


def cs_cmd(config: Path, command: str, period: str) -> list[str]:
    return [sys.executable, "-m", "cs_metrics", command, "--config", str(config), "--period", period,
            "--format", "json", "--quiet", *([] if CACHE["on"] else ["--no-cache"])]  # fmt: skip


def build_cases(names: list[str], data: Path, period: str, year: str, workdir: Path) -> list[Case]:
    cfg = load_config(data)
    config = data / "cs-metrics.yaml"
    cases = []
    for name in names:
        if name in SQL_METRICS:
            label = year if name in YEARLY else period
            p = parse_period(label)
            sql = render(name, sql_params(cfg, data, p), workdir)
            case = Case(f"{name} ({label})", cs_cmd(config, name, label), [sql], arrow_specs([name], data))
            case.checks = [(name, lambda doc: doc, 0)]
        elif name == "report":
            p = parse_period(period)
            prev = p.previous()
            files, checks = [], []
            for m in SQL_METRICS:
                files.append(render(m, sql_params(cfg, data, p), workdir))
                files.append(render(m, sql_params(cfg, data, prev), workdir))
                checks.append((m, _report_metric(m, previous=False), len(files) - 2))
                checks.append((f"{m} (previous)", _report_metric(m, previous=True), len(files) - 1))
            case = Case(f"report ({period})", cs_cmd(config, "report", period), files,
                        arrow_specs(list(REGISTRY), data), checks)  # fmt: skip
        elif name == "validate":
            sql = render("validate", sql_params(cfg, data, parse_period(period)), workdir)
            cmd = [sys.executable, "-m", "cs_metrics", "validate", "--config", str(config), "--format", "json", "--quiet",
                   *([] if CACHE["on"] else ["--no-cache"])]  # fmt: skip
            case = Case("validate", cmd, [sql], _validate_specs(data))
            case.checks = [("validate", _validate_doc, 0)]
        else:
            sys.exit(f"unknown metric {name!r}; choose from {', '.join(SQL_METRICS + EXTRA)}")
        cases.append(case)
    return cases


def _report_metric(metric: str, previous: bool):
    def get(doc):
        for m in doc.get("metrics", []):
            if m["metric"] == metric:
                if previous:
                    return {"value": (m.get("previous") or {}).get("value"), "details": {}}
                return m
        return None

    return get


def _validate_doc(doc):
    """validate's rows flattened to <table>_<read|used|filtered|rejected> details."""
    details = {f"{r['table']}_{k}": r[k] for r in doc.get("rows", []) for k in ("read", "used", "filtered", "rejected")}
    return {"value": doc.get("value"), "details": details}


def _validate_specs(data: Path) -> list[dict]:
    """Every column of every table present."""
    return [_read_spec(data, t.name, list) for t in TABLES.values() if (data / t.filename).exists()]


# --------------------------------------------------------------------------- comparing values


def same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, str) or isinstance(b, str):
        return str(a) == str(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return bool(a) == bool(b)
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= max(ABS, REL * max(abs(a), abs(b)))


def compare(case: Case, cs_doc: dict, sql_results: list) -> tuple[list[str], int]:
    """Mismatch lines (one per key whose values differ), and the number of values compared."""
    problems, checked = [], 0
    for label, getter, index in case.checks:
        doc = getter(cs_doc)
        if doc is None:
            problems.append(f"{label}: not in the cs-metrics output")
            continue
        rows = sql_results[index]
        if len(rows) != 1:
            problems.append(f"{label}: the SQL returned {len(rows)} rows, expected 1")
            continue
        for key, expected in rows[0].items():
            if key.startswith("_"):
                continue  # work done for a fair comparison, not a value cs-metrics reports
            if key == "value":
                got, present = doc.get("value"), "value" in doc
            else:
                present = key in (doc.get("details") or {})
                got = (doc.get("details") or {}).get(key)
            if not present and expected is None:
                continue  # a detail cs-metrics leaves out when undefined (cohorts' m12 on a 12-month grid)
            if not present and label.endswith("(previous)"):
                continue
            checked += 1
            if not present or not same(got, expected):
                problems.append(f"{label}: {key}: cs-metrics {got!r} != DuckDB {expected!r}")
    return problems, checked


# --------------------------------------------------------------------------- the benchmark


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def bench(cases: list[Case], repeat: int) -> list[dict]:
    results = []
    for case in cases:
        cs_runs, duck_runs, arrow_runs = [], [], []
        duck_cmd = [sys.executable, "-c", DUCK, *case.duck]
        arrow_cmd = [sys.executable, "-c", ARROW, json.dumps(case.arrow)]
        errors: list[str] = []
        first_cs = first_duck = None
        if CACHE["on"]:
            timed(case.cs)  # warm the cache: every timed run then reads it
        for r in range(repeat):
            for side, cmd, runs in (("cs-metrics", case.cs, cs_runs), ("DuckDB", duck_cmd, duck_runs),
                                    ("Arrow read", arrow_cmd, arrow_runs)):  # fmt: skip
                run = timed(cmd)
                runs.append(run)
                if not run.ok:
                    errors.append(f"{side} failed: {run.stderr.strip().splitlines()[-1] if run.stderr.strip() else '?'}")
                    continue
                if side == "cs-metrics":
                    first_cs = first_cs or run.stdout
                    if run.stdout != first_cs:
                        errors.append("cs-metrics printed a different output on a later run")
                elif side == "DuckDB":
                    first_duck = first_duck or run.stdout
            print(f"  {case.name}: run {r + 1}/{repeat}: cs-metrics {cs_runs[-1].seconds:.2f} s, "
                  f"DuckDB {duck_runs[-1].seconds:.2f} s, Arrow {arrow_runs[-1].seconds:.2f} s", file=sys.stderr)  # fmt: skip
        mismatches, checked = [], 0
        if first_cs and first_duck:
            try:
                cs_doc, duck_rows = json.loads(first_cs), json.loads(first_duck)
            except json.JSONDecodeError as exc:
                errors.append(f"output is not JSON ({exc})")
            else:
                mismatches, checked = compare(case, cs_doc, duck_rows)
        for line in errors + mismatches:
            print(f"!!! {case.name}: {line}", file=sys.stderr)
        cs_s, duck_s = median([x.seconds for x in cs_runs]), median([x.seconds for x in duck_runs])
        results.append({
            "case": case.name,
            "cs": cs_s,
            "duck": duck_s,
            "arrow": median([x.seconds for x in arrow_runs]),
            "ratio": cs_s / duck_s if duck_s else float("nan"),
            "cs_mib": max(x.peak_mib for x in cs_runs),
            "duck_mib": max(x.peak_mib for x in duck_runs),
            "equal": f"yes ({checked})" if not (mismatches or errors) else f"NO ({len(mismatches) + len(errors)} of {checked})",
            "problems": errors + mismatches,
        })  # fmt: skip
    return results


def table(results: list[dict], repeat: int) -> str:
    lines = [
        ("| metric (period) | cs-metrics median s | DuckDB median s | Arrow read s | cs-metrics / DuckDB "
        "| cs-metrics peak MiB | DuckDB peak MiB | values equal |"),
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        lines.append(f"| `{r['case']}` | {r['cs']:.2f} | {r['duck']:.2f} | {r['arrow']:.2f} | {r['ratio']:.2f}x "
                     f"| {r['cs_mib']:,.0f} | {r['duck_mib']:,.0f} | {r['equal']} |")  # fmt: skip
    return "\n".join(lines) + (
        f"\n\n(medians of {repeat} interleaved runs, each a fresh process; peak memory = the largest max RSS of the "
        "runs; values equal: how many values were compared, or how many differ)"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True, help="folder written by benchmarks/generate.py")
    ap.add_argument("--metrics", default=",".join(METRICS + EXTRA),
                    help=f"comma-separated, of: {', '.join(SQL_METRICS + EXTRA)} (default: the metrics of issue 12, "
                         "report and validate)")  # fmt: skip
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--period", default="2025-05", help="the period of every metric but mrr (default 2025-05)")
    ap.add_argument("--year", default="2024", help="the period of mrr (default 2024: 13 snapshots)")
    ap.add_argument("--cache", action="store_true", help="time cs-metrics with its parsed-table cache warm (default: --no-cache, every run parses)")
    args = ap.parse_args(argv)
    CACHE["on"] = args.cache
    names = [m.strip() for m in args.metrics.split(",") if m.strip()]
    sizes = ", ".join(f"{p.name} {p.stat().st_size / 1e6:,.0f} MB" for p in sorted(args.data.glob("*.csv")))
    print(f"data: {args.data} ({sizes}); {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.2f}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="csm-bench-sql-") as tmp:
        cases = build_cases(names, args.data, args.period, args.year, Path(tmp))
        results = bench(cases, args.repeat)
    print(table(results, args.repeat))
    bad = [r for r in results if r["problems"]]
    if bad:
        print("\nMISMATCHES AND FAILURES:")
        for r in bad:
            for line in r["problems"]:
                print(f"- {r['case']}: {line}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
