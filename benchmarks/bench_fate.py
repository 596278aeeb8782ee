"""What one fate per row costs: reading the events table with every column that can reject a row
(here duration_seconds, a number) against reading only the columns dau-mau uses. Not a test.

    python benchmarks/bench_events.py --rows 10000000 --out /tmp/ev     # generate the file once
    python benchmarks/bench_fate.py --data /tmp/ev                       # then time the two reads

Each read runs in this process (after a warm-up read, so the file is in the page cache), in
alternation, `--repeat` times; prints the median wall and CPU seconds of each and the difference.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from unittest import mock

from cs_metrics.config import parse_config
from cs_metrics.sources import table


def _time(cfg, only_used: bool) -> tuple[float, float]:
    asked = ["customer_id", "user_id", "occurred_at", "event"]  # what dau-mau reads
    patch = (
        mock.patch.object(table, "fate_columns", lambda t, found: [c for c in t.required if c in found])
        if only_used
        else mock.patch.object(table, "fate_columns", table.fate_columns)
    )
    with patch:
        wall, cpu = time.perf_counter(), time.process_time()
        frame, report = table.read_table(cfg, "events", optional=asked)
        return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True, help="folder with events.csv")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    cfg = parse_config({"data": str(args.data.resolve())})
    _time(cfg, False)  # warm the page cache
    runs = {"every fate column": [], "only the columns dau-mau uses": []}
    for _ in range(args.repeat):
        runs["every fate column"].append(_time(cfg, False))
        runs["only the columns dau-mau uses"].append(_time(cfg, True))
    print("| read of events.csv | wall s (median) | CPU s (median) |\n| --- | --- | --- |")
    medians = {}
    for name, times in runs.items():
        medians[name] = (statistics.median(t[0] for t in times), statistics.median(t[1] for t in times))
        print(f"| {name} | {medians[name][0]:.2f} | {medians[name][1]:.2f} |")
    extra = medians["every fate column"][0] - medians["only the columns dau-mau uses"][0]
    print(f"\nvalidating the columns dau-mau does not use costs {extra:+.2f} s wall")


if __name__ == "__main__":
    main()
