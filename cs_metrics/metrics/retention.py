"""Customer retention: logo churn (and the customers behind it with `rows`)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from cs_metrics.config import Config
from cs_metrics.i18n import T
from cs_metrics.metrics._ratio import fmt_num, rate, safe_ratio
from cs_metrics.metrics._state import (
    money_array,
    mrr_based,
    mrr_rows,
    paid_within,
    revenue_source,
    state_grid,
    with_customer_dates,
)
from cs_metrics.metrics._window import trailing, window_label, window_words
from cs_metrics.period import Period, parse_period
from cs_metrics.result import MetricResult, records


@mrr_based
def churn(
    frames: dict[str, pd.DataFrame], period: Period, cfg: Config, rows: bool = False, window: str | None = None
) -> MetricResult:
    """Customer churn rate, percent.

    With subscriptions: S = customers paying at the opening snapshot; churned = members of S not
    paying at the closing snapshot; churned / |S| x 100. `include_new` also counts, in the numerator
    only, customers who started paying inside P and are not paying at closing. `method: net`:
    (paying at opening - paying at closing) / paying at opening x 100.
    Without subscriptions (customers.csv): S = created before start and not churned before it;
    churned = members of S with churned_at in P. Undefined when S is empty.
    `rows=True` lists the customers behind the number, sorted by customer_id: each member of S with
    its status (churned/retained), plus `new_churned` customers with include_new and `new` ones
    (paying at closing, outside S) with method net; opening and closing MRR with subscriptions (and
    each customer's canceled_at and ended_at: see _state.customer_dates), churned_at without.
    `window="12m"`: measured from the snapshot 12 months before P's end to P's end (trailing-12-month
    logo churn; the result's period is that window), with `window` and `logo_retention` (members of S
    still paying at the closing snapshot / |S| x 100) in the details."""
    measured = trailing(period, window)  # P itself, or the trailing window ending with P
    if "subscriptions" in frames or "invoice_lines" in frames:
        rolling = window is None and _defs(cfg).churn_window == "rolling_30_days"
        if rolling:  # definitions.churn_window: the 30 days ending with P (Baremetrics, Stripe)
            measured = parse_period(f"{(period.end - timedelta(days=29)).isoformat()}..{period.end.isoformat()}")
        result = _churn_subscriptions(frames, measured, cfg, rows)
        if rolling:
            result.definition = T("Rolling 30 days (definitions.churn_window), {start}..{end}: ", start=measured.start, end=measured.end) + result.definition
    else:
        result = _churn_customers(frames["customers"], measured, rows)
    if window:
        d = result.details
        retention, _ = safe_ratio(d["retained_customers"], d["starting_customers"], scale=100)
        d.update(window=window_label(window), logo_retention=retention)
        result.definition = window_words(measured, window) + result.definition
        result.formula += T(
            "; logo retention {retained} / {starting} x 100 = {value} %",
            retained=d["retained_customers"], starting=d["starting_customers"], value=fmt_num(retention, 2),
        )
    return result


def _listing(frame: pd.DataFrame) -> list[dict]:
    """Rows sorted by customer_id, missing values as None."""
    frame = frame.sort_values("customer_id", kind="stable")
    return records(frame)


def _defs(cfg):
    from cs_metrics.profiles import in_force

    return in_force(cfg)


def _churn_subscriptions(
    frames: dict[str, pd.DataFrame], period: Period, cfg: Config, rows: bool = False
) -> MetricResult:
    opt = cfg.metrics.churn
    defs = _defs(cfg)
    rows_ = mrr_rows(frames, cfg)  # one row = a paying subscription period, or an invoice line
    # customers x [opening, closing]: MRR, and whether a customer (paying, or free as the definitions count it)
    customers, grid, active = state_grid(rows_, [period.opening, period.closing], defs.free_customers)
    starting = pd.Index(customers[active[:, 0]])  # S: customers at the opening snapshot
    closing = pd.Index(customers[active[:, 1]])  # customers at the closing snapshot
    lost = starting.difference(closing)  # members of S not customers at closing
    # customers who became customers inside P (new, back, or free and counted), and those of them gone by its end
    entered = paid_within(rows_, period.start, period.end).union(_free_within(rows_, period, defs)).difference(starting)
    new_lost = entered.difference(closing)
    count_new = opt.include_new or defs.same_period_churn == "counted"
    plus_new = defs.churn_denominator == "start_plus_new"
    listing = _churn_rows(customers, grid, lost, new_lost, opt, count_new, active, entered if plus_new else None) if rows else None
    if listing and revenue_source(frames, cfg) == "subscriptions":
        with_customer_dates(listing, frames["subscriptions"], period.closing)
    details: dict = {
        "method": opt.method,
        "starting_customers": len(starting),
        "closing_customers": len(closing),
        "churned_customers": len(lost),
        "retained_customers": len(starting) - len(lost),
    }
    if opt.method == "net":
        value, why = safe_ratio(len(starting) - len(closing), len(starting), scale=100, what=T("net churn"))
        formula = T(
            "({starting} paying at opening - {closing} paying at closing) / {starting} x 100 = {value} %",
            starting=len(starting), closing=len(closing), value=fmt_num(value, 2),
        )
        definition = T("Net customer churn: (paying at opening - paying at closing) / paying at opening x 100; new customers offset losses, so it can be negative.")
    else:
        numerator, denominator = len(lost), len(starting)
        definition = T(
            "Customer churn: of the customers paying at the end of {opening} (S), the share not paying at the end of {closing}.",
            opening=period.opening, closing=period.closing,
        )
        if count_new:
            details["new_churned_customers"] = len(new_lost)
            numerator += len(new_lost)
            if opt.include_new:
                definition += T(" include_new: customers who started paying inside the period and stopped count in the numerator.")
            else:
                definition += T(
                    " definitions.same_period_churn: counted: customers who started paying inside the period and stopped "
                    "count in the numerator."
                )
        if plus_new:
            details["new_customers"] = len(entered)
            denominator += len(entered)
            definition += T(
                " definitions.churn_denominator: start_plus_new: the customers who began paying inside the period "
                "(new or back) are in the denominator too."
            )
        if defs.free_customers != "excluded":
            definition += T(
                " definitions.free_customers: {value}: a customer without MRR (a trial, 100 % off, a free plan) can "
                "count as a customer.",
                value=defs.free_customers,
            )
        value, interval, warnings = rate(numerator, denominator, what=T("churn"))
        details.update(interval)
        if plus_new:
            formula = T(
                "{churned} churned / ({starting} paying at opening + {new} new) x 100 = {value} %",
                churned=numerator, starting=len(starting), new=len(entered), value=fmt_num(value, 2),
            )
        else:
            formula = T(
                "{churned} churned / {starting} paying at opening x 100 = {value} %",
                churned=numerator, starting=len(starting), value=fmt_num(value, 2),
            )
        return MetricResult(
            "churn", period, value, "percent", details, rows=listing, warnings=warnings,
            definition=definition, formula=formula,
        )
    warnings = [why] if why else []
    return MetricResult(
        "churn", period, value, "percent", details, rows=listing, warnings=warnings,
        definition=definition, formula=formula,
    )


def _free_within(rows: pd.DataFrame, period: Period, defs) -> pd.Index:
    """Customers with a free row (a trial, 0 MRR) on some day of P, when free_customers counts them."""
    if defs.free_customers != "counted" or "free" not in rows:
        return pd.Index([])
    free = rows.loc[rows["free"].to_numpy(dtype=bool)]
    start = free["started_at"]
    end = free["ended_at"] if "ended_at" in free else pd.Series(pd.NaT, index=free.index)
    overlap = (start <= pd.Timestamp(period.end)) & (end.isna() | (end > pd.Timestamp(period.start)))
    return pd.Index(free.loc[overlap.to_numpy(dtype=bool), "customer_id"].unique())


def _churn_rows(
    customers: pd.Index, grid: np.ndarray, lost: pd.Index, new_lost: pd.Index, opt, count_new: bool | None = None,
    active: np.ndarray | None = None, entered: pd.Index | None = None,
) -> list[dict]:  # fmt: skip
    """One row per customer behind the churn figure (grid: customers x [opening, closing] MRR units;
    active: whether each was a customer then, by the definitions)."""
    count_new = opt.include_new if count_new is None else count_new
    active = grid > 0 if active is None else active
    in_s, at_close = active[:, 0], active[:, 1]
    conditions = [in_s & customers.isin(lost), in_s]
    labels = ["churned", "retained"]
    if opt.method == "net":  # the closing count also holds customers outside S
        conditions.append(~in_s & at_close)
        labels.append("new")
    else:
        if count_new:
            conditions.append(customers.isin(new_lost))
            labels.append("new_churned")
        if entered is not None:  # definitions.churn_denominator: start_plus_new
            conditions.append(customers.isin(entered))
            labels.append("new")
    status = np.select(conditions, labels, "")
    keep = status != ""
    frame = pd.DataFrame(
        {
            "customer_id": customers.to_numpy()[keep],
            "status": status[keep],
            "opening_mrr": money_array(grid[keep, 0]),
            "closing_mrr": money_array(grid[keep, 1]),
        }
    )
    return _listing(frame)


def _churn_customers(customers: pd.DataFrame, period: Period, rows: bool = False) -> MetricResult:
    start, end = pd.Timestamp(period.start), pd.Timestamp(period.end)
    created = customers["created_at"] if "created_at" in customers else pd.Series(pd.NaT, index=customers.index)
    churned_at = customers["churned_at"]
    # S: one row = a customer created before the period and not lost before it (empty created_at = long-standing)
    in_s = (created.isna() | (created < start)) & (churned_at.isna() | (churned_at >= start))
    lost = in_s & (churned_at >= start) & (churned_at <= end)
    n_s, n_lost = int(in_s.sum()), int(lost.sum())
    value, interval, warnings = rate(n_lost, n_s, what=T("churn"))
    listing = None
    if rows:
        frame = pd.DataFrame(
            {
                "customer_id": customers.loc[in_s, "customer_id"],
                "status": np.where(lost[in_s], "churned", "retained"),
                "churned_at": churned_at[in_s].dt.strftime("%Y-%m-%d"),
            }
        )
        listing = _listing(frame)
    return MetricResult(
        "churn",
        period,
        value,
        "percent",
        {"method": "customers", "starting_customers": n_s, "churned_customers": n_lost, "retained_customers": n_s - n_lost, **interval},
        rows=listing,
        warnings=warnings,
        definition=T(
            "Customer churn from customers.csv (no subscriptions): of the customers created before "
            "{start} and not lost before it, the share whose churned_at falls in the period.",
            start=period.start,
        ),
        formula=T("{churned} churned / {n} customers at start x 100 = {value} %", churned=n_lost, n=n_s, value=fmt_num(value, 2)),
    )
