"""The product-usage metrics from daily activity instead of raw events.

A team whose product emits billions of events keeps them in a warehouse. `sql/daily_activity.sql`
turns them there, in one GROUP BY, into one row per customer, user and local day: the day's events,
its active events (the config's `active_events`), the sessions that started that day and their
seconds. From those rows these metrics are exact: dau-mau (DAU and MAU are counts of active
user-days and users), usage (its value, frequency and breadth), sessions (the mean length and
sessions per active user). What needs single events or event names is not in the rows: the median
session length, usage depth and adoption per event are n/a with the reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cs_metrics.config import Config
from cs_metrics.i18n import T
from cs_metrics.metrics._ratio import fmt_num, rate, safe_ratio
from cs_metrics.metrics._state import active_customers
from cs_metrics.period import Period
from cs_metrics.result import MetricResult

NOT_IN_DAILY = T("is not in daily activity (it needs single events: read events.csv for it)")


def _in_period(daily: pd.DataFrame, period: Period) -> np.ndarray:
    day = daily["day"]
    return ((day >= pd.Timestamp(period.start)) & (day <= pd.Timestamp(period.end))).to_numpy(dtype=bool, na_value=False)


def _active(daily: pd.DataFrame) -> np.ndarray:
    return (daily["active_events"] > 0).to_numpy(dtype=bool, na_value=False)


def _pairs(a: pd.Series, b: pd.Series) -> int:
    """Distinct (a, b) pairs."""
    return int(pd.MultiIndex.from_arrays([a.to_numpy(), b.to_numpy()]).nunique())


def dau_mau(frames: dict[str, pd.DataFrame], period: Period, cfg: Config) -> MetricResult:
    daily = frames["daily_activity"]
    inside = _in_period(daily, period)
    rows = daily.loc[inside & _active(daily)]  # one row = a user active on a day of P
    user_days = _pairs(rows["user_id"], rows["day"])
    mau = int(rows["user_id"].nunique())
    days = period.days
    mean_dau = user_days / days
    value, why = safe_ratio(mean_dau, mau, scale=100, what=T("DAU/MAU (no active user in the period)"))
    return MetricResult(
        "dau-mau",
        period,
        value,
        "percent",
        {"mean_dau": mean_dau, "mau": mau, "days": days, "active_events": int(rows["active_events"].sum())},
        warnings=[why] if why else [],
        definition=T(
            "Stickiness from daily activity: mean daily active users over all {days} days of the period (a day without "
            "any counts 0) / users active in the period x 100; a user is active on a day with active_events > 0.",
            days=days,
        ),
        formula=T(
            "({user_days} user-days / {days} days = {mean_dau} mean DAU) / {mau} MAU x 100 = {value} %",
            user_days=user_days, days=days, mean_dau=fmt_num(mean_dau, 2), mau=mau, value=fmt_num(value, 2),
        ),
        filtered={"daily_activity": {"outside the period": int((~inside).sum()), "no active event": int((inside & ~_active(daily)).sum())}},
    )


def sessions(frames: dict[str, pd.DataFrame], period: Period, cfg: Config) -> MetricResult:
    daily = frames["daily_activity"]
    inside = _in_period(daily, period)
    if "sessions" not in daily or "session_seconds" not in daily:
        missing = T("sessions and session_seconds")
        n = total = None
    else:
        missing = None
        n = int(daily.loc[inside, "sessions"].fillna(0).sum())
        total = float(daily.loc[inside, "session_seconds"].fillna(0).sum())
    active_users = int(daily.loc[inside & _active(daily), "user_id"].nunique())
    warnings = [T("median session length {why}", why=NOT_IN_DAILY)]
    if missing:
        value = None
        warnings.insert(0, T("daily activity has no {missing} columns: the mean session length is undefined", missing=missing))
    else:
        value, why = safe_ratio(total, n, what=T("mean session length (no session starts in the period)"))
        warnings += [why] if why else []
    per_user = safe_ratio(n, active_users)[0] if n is not None else None
    details = {
        "sessions": n,
        "total_session_seconds": total,
        "median_session_seconds": None,
        "active_users": active_users,
        "sessions_per_active_user": per_user,
    }
    return MetricResult(
        "sessions",
        period,
        value,
        "seconds",
        details,
        warnings=warnings,
        definition=T(
            "Mean session length from daily activity: the session seconds / sessions of the days of the period (a "
            "session counts on the day of its first event, as sql/daily_activity.sql builds it)."
        ),
        formula=T("{total} session seconds / {n} sessions = {value} s", total=fmt_num(total, 0), n=n, value=fmt_num(value, 1)),
        filtered={"daily_activity": {"outside the period": int((~inside).sum())}},
    )


def usage(frames: dict[str, pd.DataFrame], period: Period, cfg: Config) -> MetricResult:
    daily = frames["daily_activity"]
    inside = _in_period(daily, period)
    active_rows = daily.loc[inside & _active(daily)]  # one row = a user active on a day of P
    with_activity = pd.Index(active_rows["customer_id"].unique())
    population = with_activity if cfg.active_customer == "events" else active_customers(frames, period, cfg)
    using_ids = with_activity.intersection(population)
    n_active, n_using = len(population), len(using_ids)
    value, interval, warnings = rate(n_using, n_active, what=T("usage"), population=T("active customers"))
    counted = active_rows.loc[active_rows["customer_id"].isin(using_ids).to_numpy()]
    users = int(counted["user_id"].nunique())
    details = {
        "active_customers": n_active,
        "using_customers": n_using,
        **interval,
        "active_users": users,
        "frequency": safe_ratio(_pairs(counted["user_id"], counted["day"]), users)[0],
        "breadth": safe_ratio(_pairs(counted["customer_id"], counted["user_id"]), n_using)[0],
        "depth": None,
    }
    warnings.append(T("depth and adoption per event {why}", why=NOT_IN_DAILY))
    return MetricResult(
        "usage",
        period,
        value,
        "percent",
        details,
        rows=[],
        warnings=warnings,
        definition=T(
            "Usage from daily activity: active customers ({active}) with an active day in the period / active "
            "customers x 100. Frequency = active days per active user, breadth = active users per using customer.",
            active=cfg.active_customer,
        ),
        formula=T("{using} using customers / {active} active customers x 100 = {value} %", using=n_using, active=n_active, value=fmt_num(value, 2)),
        filtered={"daily_activity": {"outside the period": int((~inside).sum())}},
    )
