"""`reconcile mrr --against FILE`: our closing MRR per customer against a billing or metrics tool's own.

The tool's export is the `vendor_mrr` table (customer_id, mrr in the base currency; optional month,
status, name), read and mapped like any other source. Each customer's figure is the sum of its rows
(of the period's closing month, when the export has a month column); rows of a cancelled status are
filtered. Every customer whose figure differs from ours by more than half a cent is listed with the
profiles under which our figure equals the tool's, and for the first of them the switches that make
the difference (the walk of cs_metrics.compare). The differences add up to the gap between the totals.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cs_metrics.config import Config, SourceConfig
from cs_metrics.errors import UsageError
from cs_metrics.i18n import T
from cs_metrics.load import MONEY_SCALE, MRR_SCALE, Dataset
from cs_metrics.period import Period
from cs_metrics.result import MetricResult

HALF_CENT = MRR_SCALE // 200  # MRR units: the tool's figures are in cents


def vendor_config(cfg: Config, path: Path) -> Config:
    """The config with the vendor_mrr table read from `path` (its mapping as the config gives it)."""
    src = cfg.source("vendor_mrr")
    update = {"path": str(Path(path).resolve())}
    if src.files:
        raise UsageError("sources.vendor_mrr: give its mapping without files: (--against names the file)")
    sources = {**cfg.sources, "vendor_mrr": (src if isinstance(src, SourceConfig) else SourceConfig()).model_copy(update=update)}
    return cfg.model_copy(update={"sources": sources})


def vendor_units(frame: pd.DataFrame, period: Period) -> tuple[pd.Series, int]:
    """customer_id -> the tool's MRR in MRR units; and the rows left out for another month."""
    other = np.zeros(len(frame), dtype=bool)
    if "month" in frame:
        month = frame["month"].str.strip().str.slice(0, 7)
        other = (month.notna() & (month != period.closing.strftime("%Y-%m"))).to_numpy(dtype=bool)
    use = frame.loc[~other]
    units = use["mrr"].to_numpy(dtype="int64") * (MRR_SCALE // MONEY_SCALE)
    return pd.Series(units, index=use["customer_id"].to_numpy()).groupby(level=0).sum().astype("int64"), int(other.sum())


def reconcile(cfg: Config, against: Path, period: Period) -> tuple[MetricResult, Dataset]:
    from cs_metrics.compare import closing_units, contributions
    from cs_metrics.metrics import REGISTRY
    from cs_metrics.metrics._state import money_array, to_money
    from cs_metrics.profiles import KEYS, PROFILES, configured, in_force
    from cs_metrics.runner import load_inputs

    if not Path(against).is_file():
        raise UsageError(f"--against {against}: no such file")
    cfg = vendor_config(cfg, against)
    ds = Dataset(cfg)
    vendor_frame = ds.table("vendor_mrr", ("customer_id", "mrr"), ("month", "status", "name"))
    ds.usable("vendor_mrr")
    theirs, other_months = vendor_units(vendor_frame, period)
    ours_defs = in_force(cfg)
    frames: dict = {}
    for name in PROFILES:
        frames |= load_inputs(REGISTRY["mrr"], configured(cfg, profile=name), ds)
    frames |= load_inputs(REGISTRY["mrr"], cfg, ds)
    ours = closing_units(frames, period, cfg)
    customers = ours.index.union(theirs.index)
    a = ours.reindex(customers, fill_value=0).to_numpy(dtype="int64")
    b = theirs.reindex(customers, fill_value=0).to_numpy(dtype="int64")
    differs = np.abs(b - a) > HALF_CENT
    # under which profile our figure is the tool's (profiles other than the one in force first)
    names = [n for n in PROFILES if n != ours_defs.profile] + [ours_defs.profile]
    under = {n: closing_units(frames, period, configured(cfg, profile=n)).reindex(customers, fill_value=0).to_numpy(dtype="int64") for n in names}
    matches = np.full(len(customers), "", dtype=object)
    for n in names:
        same = np.abs(under[n] - b) <= HALF_CENT
        matches = np.where(differs & same, matches + np.where(matches != "", ", ", "").astype(object) + n, matches)
    switch = np.full(len(customers), "", dtype=object)
    first = pd.Series(matches, dtype=object).str.split(", ").str[0].fillna("").to_numpy(dtype=object)
    for n in names:
        who = differs & (first == n)
        if not who.any():
            continue
        target = in_force(configured(cfg, profile=n))
        keys = [k for k in KEYS if ours_defs.values[k] != target.values[k]]
        _, _, parts = contributions(frames, period, cfg, keys, target.values)
        parts = parts.reindex(customers, fill_value=0)
        for key in keys:
            moved = who & (parts[key].to_numpy(dtype="int64") != 0)
            switch = np.where(moved, switch + np.where(switch != "", "+", "").astype(object) + key, switch)
    frame = pd.DataFrame(
        {
            "customer_id": customers.to_numpy()[differs],
            "mrr_ours": money_array(a[differs]),
            "mrr_vendor": money_array(b[differs]),
            "difference": money_array((b - a)[differs]),
            "matching_profiles": np.where(matches[differs] == "", "none", matches[differs]),
            "switch": np.where(switch[differs] == "", "none", switch[differs]),
            "_size": np.abs((b - a)[differs]),
        }
    )
    frame = frame.sort_values(["_size", "customer_id"], ascending=[False, True], kind="stable").drop(columns="_size")
    total_ours, total_theirs = int(a.sum()), int(b.sum())
    explained = int((differs & (matches != "")).sum())
    details = {
        "profile": ours_defs.label(),
        "mrr_ours": to_money(total_ours),
        "mrr_vendor": to_money(total_theirs),
        "customers": len(customers),
        "customers_differing": int(differs.sum()),
        "explained_by_a_profile": explained,
        "unexplained": int(differs.sum()) - explained,
        "within_half_a_cent": to_money(int((b - a)[~differs].sum())),
    }
    if other_months:
        details["vendor_rows_of_other_months"] = other_months
    definition = T(
        "Closing MRR on {closing} per customer under {profile} against the tool's figures in {file} (vendor_mrr: its "
        "rows summed per customer, of the closing month when it has a month column; cancelled rows filtered). Listed: "
        "every customer whose figures differ by more than half a cent, with the profiles under which our figure equals "
        "the tool's and, for the first of them, the switches that make the difference. The listed differences plus the "
        "differences within half a cent add up to the gap between the totals.",
        closing=period.closing, profile=ours_defs.label(), file=Path(against).name,
    )
    formula = T(
        "{theirs} (tool) - {ours} (ours) = {gap}; {n} customer(s) differ, {matched} of them matched by a profile",
        theirs=f"{to_money(total_theirs):,.2f}", ours=f"{to_money(total_ours):,.2f}",
        gap=f"{to_money(total_theirs - total_ours):,.2f}", n=int(differs.sum()), matched=explained,
    )
    result = MetricResult(
        "mrr", period, to_money(total_theirs - total_ours), "money", details, rows=frame.to_dict("records"),
        definition=definition, formula=formula,
    )  # fmt: skip
    return result, ds
