"""Customer retention: logo churn."""

from __future__ import annotations

import pandas as pd

from cs_metrics.config import Config
from cs_metrics.metrics._ratio import fmt_num, rate, safe_ratio
from cs_metrics.metrics._state import mrr_grid, paid_within, paying_rows
from cs_metrics.period import Period
from cs_metrics.result import MetricResult


def churn(frames: dict[str, pd.DataFrame], period: Period, cfg: Config) -> MetricResult:
    """Customer churn rate, percent.

    With subscriptions: S = customers paying at the opening snapshot; churned = members of S not
    paying at the closing snapshot; churned / |S| x 100. `include_new` also counts, in the numerator
    only, customers who started paying inside P and are not paying at closing. `method: net`:
    (paying at opening - paying at closing) / paying at opening x 100.
    Without subscriptions (customers.csv): S = created before start and not churned before it;
    churned = members of S with churned_at in P. Undefined when S is empty."""
    if "subscriptions" in frames:
        return _churn_subscriptions(frames["subscriptions"], period, cfg)
    return _churn_customers(frames["customers"], period)


def _churn_subscriptions(subs: pd.DataFrame, period: Period, cfg: Config) -> MetricResult:
    opt = cfg.metrics.churn
    rows = paying_rows(subs)  # one row = a non-trial subscription period with MRR > 0
    customers, grid = mrr_grid(rows, [period.opening, period.closing])
    starting = pd.Index(customers[grid[:, 0] > 0])  # S: paying at the opening snapshot
    closing = pd.Index(customers[grid[:, 1] > 0])  # paying at the closing snapshot
    lost = starting.difference(closing)  # members of S not paying at closing
    details: dict = {
        "method": opt.method,
        "starting_customers": len(starting),
        "closing_customers": len(closing),
        "churned_customers": len(lost),
        "retained_customers": len(starting) - len(lost),
    }
    if opt.method == "net":
        value, why = safe_ratio(len(starting) - len(closing), len(starting), scale=100, what="net churn")
        formula = f"({len(starting)} paying at opening - {len(closing)} paying at closing) / {len(starting)} x 100 = {fmt_num(value, 2)} %"
        definition = "Net customer churn: (paying at opening - paying at closing) / paying at opening x 100; new customers offset losses, so it can be negative."
    else:
        numerator = len(lost)
        definition = (
            f"Customer churn: of the customers paying at the end of {period.opening} (S), the share not paying "
            f"at the end of {period.closing}."
        )
        if opt.include_new:
            new_lost = paid_within(rows, period.start, period.end).difference(starting).difference(closing)
            details["new_churned_customers"] = len(new_lost)
            numerator += len(new_lost)
            definition += " include_new: customers who started paying inside the period and stopped count in the numerator."
        value, interval, warnings = rate(numerator, len(starting), what="churn")
        details.update(interval)
        formula = f"{numerator} churned / {len(starting)} paying at opening x 100 = {fmt_num(value, 2)} %"
        return MetricResult("churn", period, value, "percent", details, warnings=warnings, definition=definition, formula=formula)
    warnings = [why] if why else []
    return MetricResult("churn", period, value, "percent", details, warnings=warnings, definition=definition, formula=formula)


def _churn_customers(customers: pd.DataFrame, period: Period) -> MetricResult:
    start, end = pd.Timestamp(period.start), pd.Timestamp(period.end)
    created = customers["created_at"] if "created_at" in customers else pd.Series(pd.NaT, index=customers.index)
    churned_at = customers["churned_at"]
    # S: one row = a customer created before the period and not lost before it (empty created_at = long-standing)
    in_s = (created.isna() | (created < start)) & (churned_at.isna() | (churned_at >= start))
    lost = in_s & (churned_at >= start) & (churned_at <= end)
    n_s, n_lost = int(in_s.sum()), int(lost.sum())
    value, interval, warnings = rate(n_lost, n_s, what="churn")
    return MetricResult(
        "churn",
        period,
        value,
        "percent",
        {"method": "customers", "starting_customers": n_s, "churned_customers": n_lost, "retained_customers": n_s - n_lost, **interval},
        warnings=warnings,
        definition=(
            "Customer churn from customers.csv (no subscriptions): of the customers created before "
            f"{period.start} and not lost before it, the share whose churned_at falls in the period."
        ),
        formula=f"{n_lost} churned / {n_s} customers at start x 100 = {fmt_num(value, 2)} %",
    )
