"""Customer state from subscriptions: MRR per customer at snapshot dates.

A subscription row is active on day d when started_at <= d < ended_at (empty ended_at = still
running). MRR_c(d) is the sum of a customer's non-trial active rows; paying on d when > 0.
All MRR here is int64 in load.MRR_SCALE units, so every sum is exact.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from cs_metrics.load import MRR_SCALE

_FOREVER = np.datetime64("9999-12-31")


def as_day(d: date) -> np.datetime64:
    return np.datetime64(d, "D")


def paying_rows(subs: pd.DataFrame) -> pd.DataFrame:
    """Rows that can make a customer paying: not a trial, MRR above 0, at least one active day."""
    keep = subs["mrr"] > 0
    if "is_trial" in subs:
        keep &= ~subs["is_trial"]
    if "ended_at" in subs:
        keep &= subs["ended_at"].isna() | (subs["ended_at"] > subs["started_at"])
    return subs.loc[keep]


def _spans(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    start = rows["started_at"].to_numpy(dtype="datetime64[D]")
    if "ended_at" in rows:
        end = rows["ended_at"].to_numpy(dtype="datetime64[D]")
        end = np.where(np.isnat(end), _FOREVER, end)
    else:
        end = np.full(len(rows), _FOREVER)
    return start, end


def mrr_grid(rows: pd.DataFrame, days: list[date]) -> tuple[pd.Index, np.ndarray]:
    """MRR of every customer with a paying row at each of `days` (end of day).

    Returns (customer ids, int64 matrix customers x days)."""
    codes, customers = pd.factorize(rows["customer_id"], sort=True)
    start, end = _spans(rows)
    mrr = rows["mrr"].to_numpy(dtype="int64")
    grid = np.zeros((len(customers), len(days)), dtype="int64")
    for j, d in enumerate(days):
        # one row = a subscription period active at the end of day d
        active = (start <= as_day(d)) & (end > as_day(d))
        grid[:, j] = _exact_sum(codes[active], mrr[active], len(customers))
    return pd.Index(customers, name="customer_id"), grid


def _exact_sum(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Per-code int64 sums (np.bincount would pass through float64 and lose exactness)."""
    out = np.zeros(n, dtype="int64")
    np.add.at(out, codes, values)
    return out


def first_paid_day(rows: pd.DataFrame, customers: pd.Index) -> np.ndarray:
    """Each customer's first paid day (datetime64[D]), aligned to `customers`."""
    first = rows.groupby("customer_id", sort=False)["started_at"].min()
    return first.reindex(customers).to_numpy(dtype="datetime64[D]")


def paid_within(rows: pd.DataFrame, start: date, end: date) -> pd.Index:
    """Customers paying on at least one day of [start, end]."""
    s, e = _spans(rows)
    overlap = (s <= as_day(end)) & (e > as_day(start))
    return pd.Index(rows.loc[overlap, "customer_id"].unique())


def money_array(units: np.ndarray) -> np.ndarray:
    """`to_money` for an array of MRR units: currency floats, rounded to 6 decimals (float noise only)."""
    return np.round(np.asarray(units, dtype="float64") / MRR_SCALE, 6)


def to_money(units) -> float:
    """MRR units -> currency, rounded to 6 decimals only to drop float noise (not for display)."""
    return round(float(units) / MRR_SCALE, 6)


def active_customers(frames: dict[str, pd.DataFrame], period, cfg) -> pd.Index:
    """Customers active in P by the config's `active_customer`: paying on some day of P (default),
    with at least one event in P, or with at least one positive invoice issued in P."""
    start, end = pd.Timestamp(period.start), pd.Timestamp(period.end)
    how = cfg.active_customer
    if how == "paying":
        return paid_within(paying_rows(frames["subscriptions"]), period.start, period.end)
    if how == "events" and "events" not in frames:  # the daily activity a warehouse aggregated
        daily = frames["daily_activity"]
        days = daily["day"]
        keep = (days >= start) & (days <= end) & (daily["active_events"] > 0)
        return pd.Index(daily.loc[keep.to_numpy(dtype=bool, na_value=False), "customer_id"].unique())
    if how == "events":  # at least one active event (cfg.active_events; all when empty) in P
        from cs_metrics.metrics._time import NAT, bounds_us, micros

        ev = frames["events"]
        lo, hi = bounds_us(period.start, period.end, cfg.timezone)
        t = micros(ev["occurred_at"])
        keep = (t != NAT) & (t >= lo) & (t < hi)
        if cfg.active_events and "event" in ev:
            keep &= ev["event"].isin(cfg.active_events).to_numpy(dtype=bool)
        return pd.Index(ev.loc[keep, "customer_id"].dropna().unique())  # an anonymous event is no customer's
    inv = frames["invoices"]
    inside = (inv["issued_at"] >= start) & (inv["issued_at"] <= end) & (inv["amount"] > 0)
    return pd.Index(inv.loc[inside, "customer_id"].unique())
