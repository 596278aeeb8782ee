"""Run a registered metric: read the tables it needs (once), call it, split it by segment.

This is the glue between the CLI and the pure metric functions: it reads files (through
load.Dataset) so that metrics never do."""

from __future__ import annotations

import functools
import inspect

import pandas as pd

from cs_metrics import progress
from cs_metrics.config import Config
from cs_metrics.errors import DataError, UsageError
from cs_metrics.i18n import T
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
    """The tables and columns the metric asks for; a table it marks optional is left out when absent.
    A table that has rows but none usable stops the run (a broken feed is never a quiet month)."""
    frames = {}
    for i in spec.inputs(cfg, ds.exists):
        if not ds.exists(i.table):
            if i.if_present:
                continue
            if i.table in ds.not_read:
                raise DataError(ds.why_absent(i.table))
        frames[i.table] = ds.table(i.table, i.required, i.optional)
        ds.usable(i.table)
    return frames


def run(
    spec: MetricSpec, cfg: Config, period: Period, *, by: str | None = None, ds: Dataset | None = None, options: dict | None = None
) -> tuple[MetricResult, Dataset]:
    """Run one metric; `options` are its own command-line options (e.g. rows=True)."""
    if by and (options or {}).get("customer") is not None:
        raise UsageError("--customer and --by cannot be combined", "Drop --by to see one customer")
    ds = ds or Dataset(cfg)
    from cs_metrics.metrics import events_window

    ds.need("events", events_window(spec, period, cfg))
    frames = load_inputs(spec, cfg, ds, options or {})
    func = functools.partial(spec.function(), **(options or {}))
    with progress.task(T("computing {metric}", metric=spec.name)):
        return compute(spec, func, frames, period, cfg, ds, by), ds


def compute(spec: MetricSpec, func, frames: dict, period: Period, cfg: Config, ds: Dataset, by: str | None = None) -> MetricResult:
    """The metric for one period, as far as its inputs cover it (see cs_metrics.coverage): a table it
    needs that does not reach into the period makes the value n/a; one it uses only when present
    is left out for that period."""
    from cs_metrics import coverage

    inputs = spec.inputs(cfg, ds.exists)
    spans = ds.spans()
    optional = [i.table for i in inputs if i.if_present and i.table in frames]
    window = spec.optional_window(period, cfg) if spec.optional_window else (period.start, period.end)
    dropped = coverage.uncovered(window, spans, optional)
    use = {t: f for t, f in frames.items() if t not in dropped}
    result = func(use, period, cfg)
    if by:
        result.segments = segments(func, use, period, cfg, ds, by)
    coverage.check(result, spans, [i.table for i in inputs if not i.if_present and i.table in frames])
    for table in dropped:
        result.warnings.append(T("{span}: left out for {start}..{end}, which it does not reach", span=spans[table].text(), start=window[0], end=window[1]))
    result.coverage = {t: spans[t] for t in frames if t in spans}
    return result


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
    """Run `func` once per value of the customer attribute `by`; the segments add up to the total.

    A table with customer ids is split by the customers' segment. A table without (costs) is split
    by its own column of the same name when it has one; otherwise the metric is told (`segment_by`)
    and says the figure is not broken down that way. A metric that takes `within` (health) is
    computed once over everyone and each segment keeps its own customers' part of that result."""
    seg_of = segment_of(ds, by)
    params = inspect.signature(getattr(func, "func", func)).parameters
    labels: dict[str, pd.Series] = {}
    values = set(seg_of.unique())
    for table, frame in frames.items():
        if "customer_id" in frame:
            labels[table] = frame["customer_id"].map(seg_of).fillna(NO_SEGMENT)
            values |= set(labels[table].unique())
        elif table in ("costs",):
            frame = frames[table] = _with_column(ds, table, frame, by)
            if by in frame:
                labels[table] = frame[by].fillna(NO_SEGMENT)
    extra = {"segment_by": by} if "segment_by" in params else {}
    segments = []
    for value in sorted(values, key=lambda v: (v == NO_SEGMENT, str(v))):
        if "within" in params:
            part = frames
            extra["within"] = lambda ids, value=value: (pd.Series(ids).map(seg_of).fillna(NO_SEGMENT) == value).to_numpy()
        else:
            part = {t: (f.loc[(labels[t] == value).to_numpy()] if t in labels else f) for t, f in frames.items()}
        customer_tables = [t for t in labels if "customer_id" in frames[t]]
        if value == NO_SEGMENT and not any((labels[t] == value).any() for t in customer_tables):
            continue
        r = func(part, period, cfg, **extra)
        segments.append({"segment": value, "value": r.value, "details": r.details, "warnings": r.warnings})
    return _labelled(segments)


def _with_column(ds: Dataset, table: str, frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """The table with `column` too when its file has one (read once more only if needed)."""
    if column in frame or not ds.exists(table, column):
        return frame
    return ds.table(table, optional=[column])
