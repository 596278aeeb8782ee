"""Revenue metrics: MRR and its movements."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cs_metrics.config import Config
from cs_metrics.metrics._ratio import fmt_money
from cs_metrics.metrics._state import first_paid_day, mrr_grid, paying_rows, to_money
from cs_metrics.period import Period
from cs_metrics.result import MetricResult

MOVEMENTS = ("new", "reactivation", "expansion", "contraction", "churn")


def mrr_bridge(subs: pd.DataFrame, period: Period) -> dict[str, int]:
    """Opening and closing MRR and the five movements summed over the steps of P, in MRR units.

    For each customer and step from a (MRR at the step's start) to b (at its end):
    a=0<b new, or reactivation when the customer paid on some day on or before the step's start;
    a>0=b churn (a); both > 0: b>a expansion (b-a), b<a contraction (a-b).
    Identity, exact: opening + new + reactivation + expansion - contraction - churn = closing."""
    rows = paying_rows(subs)  # one row = a non-trial subscription period with MRR > 0
    snapshots = period.snapshots()
    customers, grid = mrr_grid(rows, snapshots)  # customers x snapshot dates, MRR units
    a, b = grid[:, :-1], grid[:, 1:]  # each column one step
    step_starts = np.array([np.datetime64(d, "D") for d in snapshots[:-1]])
    paid_before = first_paid_day(rows, customers)[:, None] <= step_starts[None, :]
    masks = {
        "new": (a == 0) & (b > 0) & ~paid_before,
        "reactivation": (a == 0) & (b > 0) & paid_before,
        "expansion": (a > 0) & (b > a),
        "contraction": (b > 0) & (b < a),
        "churn": (a > 0) & (b == 0),
    }
    amounts = {"new": b, "reactivation": b, "expansion": b - a, "contraction": a - b, "churn": a}
    out = {
        "opening": int(grid[:, 0].sum()),
        "closing": int(grid[:, -1].sum()),
        "opening_customers": int((grid[:, 0] > 0).sum()),
        "closing_customers": int((grid[:, -1] > 0).sum()),
    }
    for name, mask in masks.items():
        out[f"{name}"] = int(amounts[name][mask].sum())
        out[f"{name}_count"] = int(mask.sum())
        out[f"{name}_customers"] = int(mask.any(axis=1).sum())
    return out


def mrr(frames: dict[str, pd.DataFrame], period: Period, cfg: Config) -> MetricResult:
    """Closing MRR: sum of MRR_c at the closing snapshot. Details: opening MRR, ARR (12 x closing),
    paying customers at opening and closing, and the five movements (amount, customer-steps,
    distinct customers). Never undefined: no paying customer gives 0 MRR."""
    bridge = mrr_bridge(frames["subscriptions"], period)
    opening, closing = to_money(bridge["opening"]), to_money(bridge["closing"])
    details: dict = {
        "opening_mrr": opening,
        "closing_mrr": closing,
        "arr": to_money(12 * bridge["closing"]),
        "net_new_mrr": to_money(bridge["closing"] - bridge["opening"]),
        "opening_customers": bridge["opening_customers"],
        "closing_customers": bridge["closing_customers"],
    }
    for name in MOVEMENTS:
        details[f"{name}_mrr"] = to_money(bridge[name])
        details[f"{name}_count"] = bridge[f"{name}_count"]
        details[f"{name}_customers"] = bridge[f"{name}_customers"]
    if cfg.currency.base:
        details["currency"] = cfg.currency.base
    steps = len(period.snapshots()) - 1
    d = details
    formula = (
        f"opening {fmt_money(opening)} + new {fmt_money(d['new_mrr'])} + reactivation "
        f"{fmt_money(d['reactivation_mrr'])} + expansion {fmt_money(d['expansion_mrr'])} - contraction "
        f"{fmt_money(d['contraction_mrr'])} - churn {fmt_money(d['churn_mrr'])} = closing {fmt_money(closing)} "
        f"({d['closing_customers']} paying customers on {period.closing}); ARR = 12 x {fmt_money(closing)} "
        f"= {fmt_money(d['arr'])}"
    )
    definition = (
        f"MRR on a day = sum of the monthly recurring revenue of non-trial subscription rows active that day "
        f"(started_at <= day < ended_at). Closing MRR is taken at the end of {period.closing}, opening at the "
        f"end of {period.opening}. Movements are summed over {steps} step(s) (opening, each month end, closing), "
        f"customer by customer: 0 -> >0 new (reactivation if the customer paid before), >0 -> 0 churn, "
        f"up expansion, down contraction."
    )
    return MetricResult("mrr", period, closing, "money", details, definition=definition, formula=formula)
