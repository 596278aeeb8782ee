"""`compare`: one metric under two definition profiles, side by side, and per customer why MRR differs.

The two values come from the metric itself, run once per profile. The listing (mrr only: its value
is a sum over customers) walks from profile A to profile B one switch at a time, in the order of
cs_metrics.profiles.SWITCHES: each customer's closing MRR after a switch less its MRR before it is
that switch's part. The parts of a customer add up to its MRR under B less its MRR under A, and all
the parts add up to the gap between the two totals, exactly (in MRR units).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cs_metrics.config import Config
from cs_metrics.errors import UsageError
from cs_metrics.i18n import T
from cs_metrics.load import MONEY_SCALE, Dataset
from cs_metrics.metrics import REGISTRY, MetricSpec
from cs_metrics.period import Period
from cs_metrics.result import MetricResult

LISTED = ("mrr",)  # metrics whose value is a sum over customers: their gap splits by customer


def compare(spec: MetricSpec, cfg_a: Config, cfg_b: Config, period: Period, *, rows: bool = False) -> tuple[MetricResult, Dataset | tuple]:
    """`spec` under cfg_a and under cfg_b: value = B - A. With the same data and mapping (two profiles of
    one config) the datasets are one; two configs give (A's dataset, B's)."""
    from cs_metrics.profiles import in_force, show
    from cs_metrics.runner import load_inputs, run

    if rows and spec.name not in LISTED:
        raise UsageError(
            f"compare --rows lists customers for {', '.join(LISTED)} only ({spec.name} is not a sum over customers)",
            "Drop --rows to compare the two values",
        )
    ds = Dataset(cfg_a)
    same = same_but_definitions(cfg_a, cfg_b)
    ds_b = ds if same else Dataset(cfg_b)  # two configs: B reads its own files with its own mapping
    a, _ = run(spec, cfg_a, period, ds=ds)
    b, _ = run(spec, cfg_b, period, ds=ds_b)
    defs_a, defs_b = in_force(cfg_a), in_force(cfg_b)
    name_a, name_b = defs_a.label(), defs_b.label()
    if a.value is not None and b.value is not None:
        gap = round(float(b.value) - float(a.value), 6)
    else:
        gap = None
    details = {"profile_a": name_a, "value_a": a.value, "profile_b": name_b, "value_b": b.value, "difference": gap}
    switches = [k for k in defs_a.values if defs_a.values[k] != defs_b.values[k]]
    details["switches"] = ", ".join(switches) if switches else "none"
    listing = None
    if rows and same:
        frames = load_inputs(REGISTRY["mrr"], cfg_b, ds) | load_inputs(REGISTRY["mrr"], cfg_a, ds)
        listing = _mrr_listing(frames, period, cfg_a, switches, defs_a, defs_b)
    elif rows:
        listing = _configs_listing(
            closing_units(load_inputs(REGISTRY["mrr"], cfg_a, ds), period, cfg_a),
            closing_units(load_inputs(REGISTRY["mrr"], cfg_b, ds_b), period, cfg_b),
        )
    shown = ", ".join(f"{k} {show(defs_a.values[k])} -> {show(defs_b.values[k])}" for k in switches) or T("no switch differs")
    definition = T(
        "{metric} under two sets of definitions: A = {a}, B = {b}; the difference is B - A. Switches that differ: {switches}.",
        metric=T.metric(spec.name), a=name_a, b=name_b, switches=shown,
    )
    if rows:
        definition += T(
            " Each listed customer's difference is its closing MRR under B less under A; the switch responsible is "
            "found by changing A into B one switch at a time (in the order above): the switches whose change moved "
            "the customer's MRR. The differences add up to the gap between the two totals."
        )
    formula = T("{b} ({name_b}) - {a} ({name_a}) = {gap}", b=_fmt(b.value), name_b=name_b, a=_fmt(a.value), name_a=name_a, gap=_fmt(gap))
    warnings = list(
        dict.fromkeys([*(T("{profile}: {warning}", profile=name_a, warning=w) for w in a.warnings),
                       *(T("{profile}: {warning}", profile=name_b, warning=w) for w in b.warnings)])
    )  # fmt: skip
    if not same:
        details["configs"] = "different"
        definition += T(
            " A and B are two configs that differ in more than their definitions (files, mapping or other keys): a "
            "customer's difference is not split by switch."
        )
    result = MetricResult(spec.name, period, gap, spec.unit, details, rows=listing, warnings=warnings, definition=definition, formula=formula)
    return result, (ds if same else (ds, ds_b))


def same_but_definitions(cfg_a: Config, cfg_b: Config) -> bool:
    """Whether two configs read the same data the same way, differing at most in profile and definitions."""
    keep = {"profile", "definitions", "data", "base_dir", "cache"}  # the data folder compared once resolved
    same_folder = Path(cfg_a.data_dir()).resolve() == Path(cfg_b.data_dir()).resolve()
    return same_folder and cfg_a.model_dump(exclude=keep) == cfg_b.model_dump(exclude=keep)


def _configs_listing(under_a: pd.Series, under_b: pd.Series) -> list[dict]:
    """Two configs: every customer whose closing MRR differs, largest difference first (no switch)."""
    from cs_metrics.metrics._state import money_array

    customers = under_a.index.union(under_b.index)
    a = under_a.reindex(customers, fill_value=0).to_numpy(dtype="int64")
    b = under_b.reindex(customers, fill_value=0).to_numpy(dtype="int64")
    keep = a != b
    frame = pd.DataFrame(
        {"customer_id": customers.to_numpy()[keep], "mrr_a": money_array(a[keep]), "mrr_b": money_array(b[keep]),
         "difference": money_array((b - a)[keep]), "switch": "config", "_size": np.abs((b - a)[keep])}
    )  # fmt: skip
    frame = frame.sort_values(["_size", "customer_id"], ascending=[False, True], kind="stable").drop(columns="_size")
    return frame.to_dict("records")


def _short(defs) -> str:
    """A profile's name, or its label when the config changed some of its switches."""
    return defs.label() if defs.overridden else defs.profile


def _fmt(v) -> str:
    return "n/a" if v is None else f"{v:,.2f}"


def closing_units(frames: dict, period: Period, cfg: Config) -> pd.Series:
    """customer_id -> MRR units at the end of the period's closing day, under cfg's definitions (as mrr)."""
    from cs_metrics.metrics._state import mrr_grid, mrr_rows

    customers, grid = mrr_grid(mrr_rows(frames, cfg), [period.closing])
    return pd.Series(grid[:, 0], index=customers, dtype="int64")


def contributions(frames: dict, period: Period, cfg_a: Config, switches: list[str], values_b: dict) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """(MRR under A, MRR under B, parts): parts is customers x switches, the MRR units each switch moved."""
    from cs_metrics.profiles import configured

    before = closing_units(frames, period, cfg_a)
    under_a = before
    parts = {}
    cfg = cfg_a
    for key in switches:
        cfg = configured(cfg, **{key: values_b[key]})
        after = closing_units(frames, period, cfg)
        parts[key] = after.sub(before, fill_value=0).astype("int64")
        before = after
    table = pd.DataFrame(parts, dtype="int64").fillna(0).astype("int64") if parts else pd.DataFrame(index=under_a.index)
    return under_a, before, table


def _day(column: pd.Series) -> pd.Series:
    return column.dt.strftime("%Y-%m-%d")


def facts(frames: dict, key: str) -> pd.Series:
    """customer_id -> what the export says that the switch `key` reads, as column and value
    (`canceled_at 2026-10-15`, `discount_percent 25, discount_duration repeating`, `currency THB`): the
    customer's latest subscription row that has it. Empty when the export has none."""
    subs = frames.get("subscriptions")
    if subs is None or not len(subs):
        return pd.Series(dtype=object)
    latest = subs.sort_values("started_at", kind="stable", ascending=False)
    text = None
    if key == "discounts":
        parts = [("discount_percent", None), ("discount_amount", None), ("discount_duration", None)]
        cols = [c for c, _ in parts if c in latest]
        if cols:
            has = latest[cols].notna().any(axis=1)
            rows = latest.loc[has]
            text = pd.Series("", index=rows.index, dtype=object)
            for c in cols:
                present = rows[c].notna().to_numpy()
                if c == "discount_duration":
                    shown = rows[c].astype(object).fillna("").astype(str).to_numpy(dtype=object)
                else:  # a number as written: 25, 12.5 (an amount in money units)
                    number = rows[c].to_numpy(dtype="float64", na_value=np.nan) / (MONEY_SCALE if c == "discount_amount" else 1)
                    shown = np.char.mod("%g", np.nan_to_num(number)).astype(object)
                piece = pd.Series(np.where(present, c + " " + shown, ""), index=rows.index, dtype=object)
                text = text + np.where((text != "") & (piece != ""), ", ", "") + piece
            latest = rows
    elif key in ("churn_at", "past_due_churn_days", "fx"):
        column = {"churn_at": "canceled_at", "past_due_churn_days": "past_due_since", "fx": "currency"}[key]
        if column in latest:
            rows = latest.loc[latest[column].notna()]
            value = _day(rows[column]) if column != "currency" else rows[column].astype(str)
            text = column + " " + value
            latest = rows
    if text is None or not len(text):
        return pd.Series(dtype=object)
    return pd.Series(np.asarray(text, dtype=object), index=latest["customer_id"].to_numpy()).groupby(level=0).first()


def _mrr_listing(frames: dict, period: Period, cfg_a: Config, switches: list[str], defs_a, defs_b) -> list[dict]:
    from cs_metrics.metrics._state import money_array
    from cs_metrics.profiles import show

    under_a, under_b, parts = contributions(frames, period, cfg_a, switches, defs_b.values)
    customers = under_a.index.union(under_b.index).union(parts.index)
    a = under_a.reindex(customers, fill_value=0).to_numpy(dtype="int64")
    b = under_b.reindex(customers, fill_value=0).to_numpy(dtype="int64")
    diff = b - a
    moved = parts.reindex(customers, fill_value=0)
    keep = diff != 0
    if not keep.any():
        return []
    # one column per switch that differs: the words of each switch whose part is not 0, in switch order
    why = np.full(len(customers), "", dtype=object)
    which = np.full(len(customers), "", dtype=object)
    several = (moved != 0).sum(axis=1).to_numpy() > 1
    for key in switches:
        part = moved[key].to_numpy(dtype="int64")
        hit = part != 0
        words = T(
            "{key} {a} under {name_a}, {b} under {name_b}",
            key=key, a=show(defs_a.values[key]), name_a=_short(defs_a), b=show(defs_b.values[key]), name_b=_short(defs_b),
        )
        same = np.empty(len(customers), dtype=object)
        same.fill(words)  # an object array of the one T: its elements stay T (their words translate)
        fact = facts(frames, key).reindex(customers).fillna("").to_numpy(dtype=object)
        same = same + np.where(fact != "", ": ", "").astype(object) + fact  # what in the export the switch reads
        amounts = np.char.mod(" (%+.2f)", money_array(part)).astype(object)
        text = np.where(several, same + amounts, same)
        sep = np.where(why != "", "; ", "").astype(object)
        why = np.where(hit, why + sep + text, why)
        which = np.where(hit, which + np.where(which != "", "+", "").astype(object) + key, which)
    frame = pd.DataFrame(
        {
            "customer_id": customers.to_numpy()[keep],
            "mrr_a": money_array(a[keep]),
            "mrr_b": money_array(b[keep]),
            "difference": money_array(diff[keep]),
            "switch": which[keep],
            "_size": np.abs(diff[keep]),
            "_at": np.arange(int(keep.sum())),
        }
    )
    frame = frame.sort_values(["_size", "customer_id"], ascending=[False, True], kind="stable")
    records = frame.drop(columns=["_size", "_at"]).to_dict("records")
    # `why` holds T values (translated for people): kept out of the frame, where pandas would make them plain text
    for record, text in zip(records, why[keep][frame["_at"].to_numpy()]):  # the listing's rows, already the output
        record["why"] = text
    return records
