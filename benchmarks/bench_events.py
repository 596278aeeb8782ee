"""Benchmark the product-usage commands on a large generated events export. Not a test.

    python benchmarks/bench_events.py                     # 10,000,000 rows into $TMPDIR/cs-metrics-bench
    python benchmarks/bench_events.py --rows 2000000 --seed 7 --out /tmp/ev
    python benchmarks/bench_events.py --skip-generate --out /tmp/ev   # time an existing folder

Generates (numpy, in chunks of about a million rows, so memory stays bounded whatever --rows):
  events.csv         customer_id, user_id, occurred_at (ISO, 2026-01-01..2026-06-30), event,
                     session_id, duration_seconds (about 1 % empty). ~20k customers, ~200k users
                     (each user belongs to one customer; activity is skewed), sessions of a few
                     events a minute or two apart, file roughly in time order as exports are.
  subscriptions.csv  one row per customer, about 70 % paying, some ending inside the range, so
                     `usage` (active customers = paying by default) has a population.

Then times, wall clock, best of 3, each as its own process:
  python -m cs_metrics <cmd> --data DIR --period 2026-05 --format json --quiet
for dau-mau, sessions and usage, and a bare `pyarrow.csv.read_csv` of events.csv with only the
columns that command reads (timestamps typed, as the loader does). Prints seconds, the ratio of
each command to its bare read, and the peak RSS of each process (os.wait4 rusage).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

START = np.datetime64("2026-01-01T00:00:00", "s")
END = np.datetime64("2026-07-01T00:00:00", "s")  # exclusive
PERIOD = "2026-05"
CUSTOMERS = 20_000
USERS = 200_000
EVENTS = np.array(
    ["view_dashboard", "login", "create_invoice", "api_call", "export_report", "search", "edit_record",
     "comment", "upload_file", "invite_user", "configure_alert", "share_report"]
)  # fmt: skip
EVENT_P = np.array([0.30, 0.18, 0.12, 0.10, 0.06, 0.07, 0.06, 0.04, 0.03, 0.02, 0.01, 0.01])
MEAN_EVENTS_PER_SESSION = 6
CHUNK_ROWS = 1_000_000

# The columns each command reads from events.csv (see the registry's inputs; the loader always
# reads the table's required columns: customer_id, user_id, occurred_at).
COLUMNS = {
    "dau-mau": ["customer_id", "user_id", "occurred_at", "event"],
    "sessions": ["customer_id", "user_id", "occurred_at", "event", "session_id", "duration_seconds"],
    "usage": ["customer_id", "user_id", "occurred_at", "event"],
}


# --------------------------------------------------------------------------- generation


def _ids(prefix: str, n: int, width: int) -> pa.Array:
    return pa.array([f"{prefix}{i:0{width}d}" for i in range(n)])


def _session_ids(first: int, n: int) -> pa.Array:
    numbers = pc.cast(pa.array(np.arange(first, first + n, dtype=np.int64)), pa.string())
    return pc.binary_join_element_wise("S", pc.utf8_lpad(numbers, 10, "0"), "")


def generate(out: Path, rows: int, seed: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    customer_names = _ids("C", CUSTOMERS, 5)
    user_names = _ids("U", USERS, 6)
    # each user belongs to one customer; big customers have many users (Zipf-like sizes)
    size = 1.0 / np.arange(1, CUSTOMERS + 1) ** 0.6
    user_customer = rng.choice(CUSTOMERS, size=USERS, p=size / size.sum())
    user_customer[:CUSTOMERS] = rng.permutation(CUSTOMERS)  # every customer has a user
    activity = rng.pareto(1.5, USERS) + 0.05  # a few power users, a long tail
    activity /= activity.sum()
    span = int((END - START) / np.timedelta64(1, "s"))
    n_chunks = max(1, -(-rows // CHUNK_ROWS))
    written, session_no = 0, 0
    schema = pa.schema(
        [("customer_id", pa.string()), ("user_id", pa.string()), ("occurred_at", pa.string()),
         ("event", pa.string()), ("session_id", pa.string()), ("duration_seconds", pa.int64())]
    )  # fmt: skip
    with pacsv.CSVWriter(out / "events.csv", schema, write_options=pacsv.WriteOptions(quoting_style="none")) as writer:
        for k in range(n_chunks):
            want = min(CHUNK_ROWS, rows - written)
            # sessions starting in this chunk's slice of time, so the file is roughly in time order
            lengths = rng.geometric(1 / MEAN_EVENTS_PER_SESSION, size=int(want / MEAN_EVENTS_PER_SESSION * 1.1) + 100)
            lengths = lengths[: np.searchsorted(np.cumsum(lengths), want) + 1]
            lengths[-1] -= lengths.sum() - want
            lengths = lengths[lengths > 0]
            n_sessions = len(lengths)
            lo, hi = span * k // n_chunks, span * (k + 1) // n_chunks
            start = rng.integers(lo, hi, n_sessions)
            user = rng.choice(USERS, size=n_sessions, p=activity)
            session = np.repeat(np.arange(n_sessions), lengths)
            # seconds since the session's first event: exponential gaps, mean 75 s, first gap 0
            step = rng.exponential(75, size=want).astype(np.int64)
            step[np.cumsum(lengths) - lengths] = 0
            offset = np.cumsum(step) - np.repeat(np.cumsum(step)[np.cumsum(lengths) - lengths], lengths)
            seconds = np.minimum(start[session] + offset, span - 1)
            order = np.argsort(seconds, kind="stable")
            at = START + seconds[order].astype("timedelta64[s]")
            s = session[order]
            u = user[s]
            duration = pa.array(rng.integers(5, 240, size=want), mask=rng.random(want) < 0.01)
            batch = pa.record_batch(
                [
                    customer_names.take(pa.array(user_customer[u])),
                    user_names.take(pa.array(u)),
                    pc.strftime(pa.array(at), format="%Y-%m-%dT%H:%M:%S"),
                    pa.array(EVENTS).take(pa.array(rng.choice(len(EVENTS), size=want, p=EVENT_P))),
                    _session_ids(session_no, n_sessions).take(pa.array(s)),
                    duration,
                ],
                schema=schema,
            )
            writer.write_batch(batch)
            written += want
            session_no += n_sessions
            print(f"\r  events.csv: {written:,} / {rows:,} rows", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    _subscriptions(out, rng, customer_names)


def _subscriptions(out: Path, rng: np.random.Generator, customer_names: pa.Array) -> None:
    """One row per customer: ~70 % paying from before the range, ~10 % of those end inside it."""
    paying = rng.random(CUSTOMERS) < 0.7
    ids = np.flatnonzero(paying)
    started = np.datetime64("2025-01-01") + rng.integers(0, 500, len(ids)).astype("timedelta64[D]")
    ends = rng.random(len(ids)) < 0.1
    ended = np.datetime64("2026-01-15") + rng.integers(0, 160, len(ids)).astype("timedelta64[D]")
    table = pa.table(
        {
            "subscription_id": pa.array([f"SUB{i:06d}" for i in range(len(ids))]),
            "customer_id": customer_names.take(pa.array(ids)),
            "started_at": pa.array(started.astype("datetime64[D]").astype(str)),
            "ended_at": pa.array(np.where(ends, ended.astype(str), "")),
            "mrr": pa.array(rng.choice([49, 99, 299, 999], size=len(ids))),
        }
    )
    pacsv.write_csv(table, out / "subscriptions.csv", write_options=pacsv.WriteOptions(quoting_style="none"))


# --------------------------------------------------------------------------- timing


def _timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one child process; stdout discarded, failure is fatal."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode()
    proc.stderr.close()
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{err}")
    return wall, usage.ru_maxrss / 1024  # Linux: KiB


def _best_of(cmd: list[str], repeat: int) -> tuple[float, float]:
    runs = [_timed(cmd) for _ in range(repeat)]
    return min(w for w, _ in runs), max(m for _, m in runs)


BARE_READ = """
import sys, pyarrow as pa, pyarrow.csv as c
cols = sys.argv[2].split(",")
types = {k: (pa.timestamp("us") if k == "occurred_at" else pa.float64() if k == "duration_seconds" else pa.string()) for k in cols}
t = c.read_csv(sys.argv[1], read_options=c.ReadOptions(use_threads=True),
               convert_options=c.ConvertOptions(include_columns=cols, column_types=types))
print(t.num_rows)
"""


def bench(out: Path, repeat: int, period: str) -> None:
    events = out / "events.csv"
    size = events.stat().st_size / 2**20
    print(f"{events}: {size:,.0f} MiB, period {period}, best of {repeat}, {os.cpu_count()} CPUs")
    print(f"{'command':<10} {'seconds':>8} {'bare read':>10} {'ratio':>6} {'peak RSS MiB':>13}")
    for cmd, cols in COLUMNS.items():
        bare, bare_rss = _best_of([sys.executable, "-c", BARE_READ, str(events), ",".join(cols)], repeat)
        run = [
            sys.executable,
            "-m",
            "cs_metrics",
            cmd,
            "--data",
            str(out),
            "--period",
            period,
            "--format",
            "json",
            "--quiet",
        ]
        wall, rss = _best_of(run, repeat)
        print(
            f"{cmd:<10} {wall:8.2f} {bare:10.2f} {wall / bare:6.2f} {rss:13,.0f}   (bare read peak {bare_rss:,.0f} MiB)"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "cs-metrics-bench")
    ap.add_argument("--period", default=PERIOD)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-generate", action="store_true", help="time the files already in --out")
    args = ap.parse_args()
    if not args.skip_generate:
        t0 = time.perf_counter()
        generate(args.out, args.rows, args.seed)
        print(f"generated {args.rows:,} rows in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    bench(args.out, args.repeat, args.period)


if __name__ == "__main__":
    main()
