"""Run a registered metric: read the tables it needs (once), call it, split it by segment.

This is the glue between the CLI and the pure metric functions: it reads files (through
load.Dataset) so that metrics never do."""

from __future__ import annotations

import functools

import pandas as pd

from cs_metrics.config import Config
from cs_metrics.errors import DataError, UsageError
from cs_metrics.load import Dataset
from cs_metrics.metrics import MetricSpec
from cs_metrics.period import Period
from cs_metrics.result import NONE_LABEL, MetricResult

# Customers without a value of the --by column (unknown or anonymous ones, or an empty cell) form one
# segment. Its key is "", which no real value can be (empty text is missing), so a customer whose
# value is "(none)" or "total" never merges with it; it is labelled `(none)` with segment_kind `none`.
NO_SEGMENT = ""


def _labelled(segments: list[dict]) -> list[dict]:
    """Each segment with its kind: `value` (a value of the --by column) or `none` (the reserved one)."""
    for s in segments:
        s["segment_kind"] = "none" if s["segment"] == NO_SEGMENT else "value"
        s["segment"] = NONE_LABEL if s["segment"] == NO_SEGMENT else s["segment"]
    return segments


def load_inputs(spec: MetricSpec, cfg: Config, ds: Dataset, options: dict | None = None) -> dict[str, pd.DataFrame]:
    """The tables and columns the metric asks for; a table it marks optional is left out when absent."""
    frames = {}
    for i in spec.inputs(cfg, ds.exists):
        if i.if_present and not ds.exists(i.table):
            continue
        frames[i.table] = ds.table(i.table, i.required, i.optional)
    return frames


def run(
    spec: MetricSpec, cfg: Config, period: Period, *, by: str | None = None, ds: Dataset | None = None, options: dict | None = None
) -> tuple[MetricResult, Dataset]:
    """Run one metric; `options` are its own command-line options (e.g. rows=True)."""
    if by and (options or {}).get("customer") is not None:
        raise UsageError("--customer and --by cannot be combined", "Drop --by to see one customer")
    ds = ds or Dataset(cfg)
    frames = load_inputs(spec, cfg, ds, options or {})
    func = functools.partial(spec.function(), **(options or {}))
    result = func(frames, period, cfg)
    for table, reasons in result.filtered.items():
        for reason, n in reasons.items():
            ds.reports[table].filter(reason, n)
    if by:
        result.segments = segments(func, frames, period, cfg, ds, by)
    return result, ds


def segment_of(ds: Dataset, by: str) -> pd.Series:
    """customer_id -> value of the customer attribute `by` (a column of customers.csv)."""
    if not ds.exists("customers"):
        raise DataError(
            f"--by {by} needs customers.csv (customer attributes such as plan, region, owner)",
            "Put customers.csv in the data folder or set sources.customers.path in the config",
        )
    from cs_metrics.load import read_header, resolve_columns
    from cs_metrics.contract import TABLES

    path = ds.cfg.path_of("customers")
    header = read_header(path, ds.cfg.source("customers"))
    if by not in resolve_columns(TABLES["customers"], header, ds.cfg.source("customers")):
        shown = ", ".join(h.strip() for h in header if h.strip())
        raise UsageError(f"--by {by}: {path.name} has no column '{by}' (columns: {shown})", "Pick one of them")
    customers = ds.table("customers", ("customer_id", by))
    values = customers[by]
    if pd.api.types.is_datetime64_any_dtype(values):  # a date attribute segments by its day
        values = values.dt.strftime("%Y-%m-%d")
    labels = values.astype("str").where(values.notna(), NO_SEGMENT)
    return pd.Series(labels.to_numpy(), index=customers["customer_id"].to_numpy())


def segments(func, frames, period, cfg, ds, by) -> list[dict]:
    """Run `func` once per value of the customer attribute `by`."""
    seg_of = segment_of(ds, by)
    labels: dict[str, pd.Series] = {}
    values = set(seg_of.unique())
    for table, frame in frames.items():
        if "customer_id" in frame:  # tables without customers (costs) go whole to every segment
            labels[table] = frame["customer_id"].map(seg_of).fillna(NO_SEGMENT)
            values |= set(labels[table].unique())
    segments = []
    for value in sorted(values, key=lambda v: (v == NO_SEGMENT, str(v))):
        part = {t: (f.loc[labels[t] == value] if t in labels else f) for t, f in frames.items()}
        if value == NO_SEGMENT and not any(len(part[t]) for t in labels):
            continue
        r = func(part, period, cfg)
        segments.append({"segment": value, "value": r.value, "details": r.details, "warnings": r.warnings})
    return _labelled(segments)
