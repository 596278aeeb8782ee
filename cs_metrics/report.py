"""`report` and `check`: every metric whose inputs exist, in one pass over the data.

Each table is read once per run, with the union of the columns every metric asks for; each
metric then gets the frames it asked for. A metric whose file or column is missing, or that
cannot be computed, is listed as skipped with the reason."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal

from cs_metrics import i18n, progress
from cs_metrics.config import Config
from cs_metrics.contract import TABLES
from cs_metrics.errors import CsMetricsError, DataError
from cs_metrics.i18n import T
from cs_metrics.load import Dataset
from cs_metrics.metrics import REGISTRY, MetricSpec
from cs_metrics.period import Period
from cs_metrics.result import MetricResult


def difference(now: float | None, before: float | None, unit: str) -> float | None:
    """`now - before` as the two are written: the difference of their shortest decimal forms, so no
    float residue shows at any scale (36936390.86 - 0.0 is 36936390.86, not 36936390.859999955);
    money to its finest step in the output (6 decimals), counts exact; None when either is undefined."""
    if now is None or before is None:
        return None
    if isinstance(now, int) and isinstance(before, int):
        return now - before
    diff = float(Decimal(repr(float(now))) - Decimal(repr(float(before))))
    return round(diff, 6) if unit == "money" else diff


@dataclass
class Entry:
    spec: MetricSpec
    result: MetricResult
    previous: MetricResult | None = None
    trend: list[tuple[Period, float | None]] = field(default_factory=list)  # oldest first, P last
    trend_results: list[MetricResult] = field(default_factory=list)  # the MetricResult of each trend period, same order

    @property
    def change(self) -> float | None:
        return difference(self.result.value, self.previous.value if self.previous else None, self.result.unit)

    def segment_previous(self, segment: str, kind: str = "value") -> float | None:
        """A segment's value in the previous period (None when it had none)."""
        for s in (self.previous.segments or ()) if self.previous else ():
            if s["segment"] == segment and s.get("segment_kind", "value") == kind:
                return s["value"]
        return None

    @property
    def improved(self) -> bool | None:
        """True when the change goes the good way for this metric (None: flat, unknown or neutral)."""
        if not self.change or self.spec.higher_is_better is None:
            return None
        return (self.change > 0) == self.spec.higher_is_better


@dataclass
class Report:
    period: Period
    entries: list[Entry]
    skipped: list[dict[str, str]]
    dataset: Dataset
    failed: dict[str, str] = field(default_factory=dict)  # table -> why it is present but cannot be used

    def problem(self) -> str | None:
        """Why the run must end as a data error (exit 3) even though the report was written, else None."""
        if self.failed:
            return "; ".join(self.failed.values())
        if not self.entries:
            return "no metric could be computed: " + "; ".join(f"{s['metric']}: {s['reason']}" for s in self.skipped[:5])
        return None


def _plan(specs: list[MetricSpec], cfg: Config, ds: Dataset):
    """Which metrics can run, the union of columns per table, and the skipped ones with reasons."""
    runnable, skipped, columns = [], [], {}
    for spec in specs:
        inputs = spec.inputs(cfg, ds.exists)
        absent = [i.table for i in inputs if not i.if_present and not ds.exists(i.table)]
        if absent:
            skipped.append({"metric": spec.name, "reason": i18n.join("; ", [ds.why_absent(t) for t in absent])})
            continue
        runnable.append((spec, inputs))
        for i in inputs:
            if ds.exists(i.table):
                columns.setdefault(i.table, set()).update(i.required, i.optional)
    return runnable, skipped, columns


def _missing_columns(inputs, frames, cfg: Config) -> str | None:
    for i in inputs:
        if i.table not in frames:
            continue
        frame = frames[i.table]
        for col in i.required:
            if col not in frame:
                name = cfg.path_of(i.table).name
                return f"{name} has no column for '{col}' (map it: sources.{i.table}.columns.{col})"
    return None


_WORKERS = min(4, os.cpu_count() or 1)  # threads computing the report's metrics (memory grows with each)


def build(
    cfg: Config,
    period: Period,
    *,
    by: str | None = None,
    trend: int = 0,
    metrics: list[str] | None = None,
    previous: bool = True,
    ds: Dataset | None = None,
) -> Report:
    """Run the metrics (all by default) for P, the previous period and `trend` periods back."""
    ds = ds or Dataset(cfg)
    if not any(ds.exists(t) for t in TABLES) and not ds.not_read:
        names = ", ".join(cfg.path_of(t).name for t in TABLES)
        raise DataError(
            f"no input table found in {cfg.data_dir()} (looked for {names})",
            "Point --data (or `data:` in the config) at the folder of exports, or map each file under sources:",
        )
    specs = [REGISTRY[m] for m in metrics] if metrics else list(REGISTRY.values())
    runnable, skipped, columns = _plan(specs, cfg, ds)
    if by and ds.exists("customers"):  # the segment column joins the one read of customers.csv
        columns.setdefault("customers", set()).update({"customer_id", by})
    from cs_metrics.metrics import events_window

    periods = [period, *([period.previous()] if previous else []), *(period.shifted(n) for n in range(2, trend))]
    for spec, _inputs in runnable:  # keep only the events' days some metric needs, in memory
        for p in periods:
            ds.need("events", events_window(spec, p, cfg))
    failed: dict[str, str] = {}
    for table, cols in columns.items():  # one read per table
        try:
            ds.table(table, optional=sorted(cols - set(TABLES[table].required)))
        except DataError as exc:
            failed[table] = str(exc)
            continue
        why = ds.reports[table].broken()
        if why:
            failed[table] = why
    work = []
    for spec, inputs in runnable:
        broken = [failed[i.table] for i in inputs if i.table in failed]
        frames = {i.table: ds.table(i.table) for i in inputs if ds.exists(i.table) and i.table not in failed}
        reason = broken[0] if broken else _missing_columns(inputs, frames, cfg)
        if reason:
            skipped.append({"metric": spec.name, "reason": reason})
            continue
        work.append((spec, frames))
    entries = []
    # The metrics only read the frames, and most of their time is numpy, pandas and Arrow work that
    # releases the GIL: the threads keep the cores busy. Entries keep the registry's order.
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool, progress.task(T("computing {n} metrics", n=len(work)), total=len(work)):
        futures = [pool.submit(_entry, spec, frames, period, cfg, by, ds, trend, previous) for spec, frames in work]
        for (spec, _frames), future in zip(work, futures):
            try:
                entries.append(future.result())
            except CsMetricsError as exc:
                skipped.append({"metric": spec.name, "reason": str(exc)})
            progress.advance()
    order = {name: k for k, name in enumerate(REGISTRY)}
    skipped.sort(key=lambda s: order.get(s["metric"], 0))
    return Report(period, entries, skipped, ds, failed)


def _entry(spec, frames, period, cfg, by, ds, trend, previous) -> Entry:
    from cs_metrics.runner import compute

    func = spec.function()
    result = compute(spec, func, frames, period, cfg, ds, by)
    entry = Entry(spec, result)
    if previous:
        entry.previous = compute(spec, func, frames, period.previous(), cfg, ds, by)  # each segment beside its own previous value
    if trend:
        known = {0: result, 1: entry.previous}
        for n in range(trend - 1, -1, -1):
            p = period.shifted(n)
            r = known[n] if n in known and (n == 0 or previous) else compute(spec, func, frames, p, cfg, ds)
            entry.trend_results.append(r)
            entry.trend.append((p, r.value))
    return entry
