"""Customer state: MRR per customer at snapshot dates, from subscriptions or from invoice lines.

The config's `revenue_source` picks the rows MRR is made of (`mrr_rows`): non-trial subscription rows
with MRR > 0, or invoice lines, each spread over its service period (MRR may be negative for a
credit line). Either way a row is a span [started_at, ended_at) with a monthly `mrr`, active on day
d when started_at <= d < ended_at (empty ended_at = still running). MRR_c(d) is the sum of a
customer's active rows, never below 0; a sum within the cent rounding of the customer's active
invoice lines (their `tolerance`) is 0, so a prorated credit cancels the charge it refunds. Paying
on d when MRR_c(d) > 0. All MRR here is int64 in load.MRR_SCALE units, so every sum is exact.
"""

from __future__ import annotations

import functools
from datetime import date

import numpy as np
import pandas as pd

from cs_metrics.i18n import T
from cs_metrics.load import MRR_SCALE

_FOREVER = np.datetime64("9999-12-31")


def as_day(d: date) -> np.datetime64:
    return np.datetime64(d, "D")


def paying_rows(subs: pd.DataFrame) -> pd.DataFrame:
    """Rows that can make a customer paying: not a trial, MRR above 0, at least one active day (and the
    rows mrr_rows marked `free`, which count a customer as one without MRR)."""
    keep = subs["mrr"] > 0
    if "is_trial" in subs:
        keep &= ~subs["is_trial"]
    if "ended_at" in subs:
        keep &= subs["ended_at"].isna() | (subs["ended_at"] > subs["started_at"])
    if "free" in subs:
        keep |= subs["free"]
    return subs.loc[keep]


def revenue_source(frames: dict[str, pd.DataFrame], cfg) -> str:
    """Where MRR comes from: the config's `revenue_source`; auto = subscriptions when the metric was given
    them, else invoice lines."""
    chosen = cfg.revenue_source
    if chosen == "auto":
        return "subscriptions" if "subscriptions" in frames or "invoice_lines" not in frames else "invoice_lines"
    return chosen


def mrr_rows(frames: dict[str, pd.DataFrame], cfg) -> pd.DataFrame:
    """The spans MRR is made of, by the config's revenue_source: paying subscription rows (see
    paying_rows), or invoice lines with a service period that pay for at least one day (columns renamed
    started_at / ended_at; `mrr` negative for a credit; `tolerance` for the sums) — as the definitions in
    force shape them (metrics/_definitions.py: discounts, churn timing, past-due, exchange rates; with
    free_customers retained or counted, trial and 0-MRR rows marked `free` too)."""
    from cs_metrics.metrics import _definitions as rules
    from cs_metrics.profiles import in_force

    defs = in_force(cfg)
    if revenue_source(frames, cfg) == "subscriptions":
        subs = rules.priced(frames["subscriptions"], defs)
        free = rules.free_rows(subs) if defs.free_customers != "excluded" else None
        if free is not None and free.any():
            subs = subs.assign(free=free.to_numpy(), mrr=np.where(free, 0, subs["mrr"]).astype("int64"))
        subs = paying_rows(subs)
        subs = rules.ends(subs, defs, frames, "subscriptions")
        return rules.converted(subs, frames, cfg, defs)
    lines = frames["invoice_lines"]
    some_day = lines["period_end"] > lines["period_start"]
    keep = (lines["mrr"] != 0) & some_day
    free = None
    if defs.free_customers != "excluded":
        free = ((lines["mrr"] == 0) & some_day).to_numpy(dtype=bool)
        keep |= free
    rows = lines.loc[keep].rename(columns={"period_start": "started_at", "period_end": "ended_at"})
    if free is not None and free.any():  # a line of 0 is a trial's (a discount sits on the invoice, not the line)
        rows = rows.assign(free=free[keep.to_numpy()], is_trial=free[keep.to_numpy()])
    rows = rules.ends(rows, defs, frames, "invoice_lines")
    return rules.converted(rows, frames, cfg, defs)


def as_mrr_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """A subscriptions table -> its paying rows; rows from mrr_rows pass unchanged (invoice lines carry a
    tolerance column, paying subscription rows stay what they are)."""
    return frame if "tolerance" in frame else paying_rows(frame)


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
    tolerance = rows["tolerance"].to_numpy(dtype="int64") if "tolerance" in rows else None
    grid = np.zeros((len(customers), len(days)), dtype="int64")
    for j, d in enumerate(days):
        # one row = a subscription period (or an invoice line) active at the end of day d
        active = (start <= as_day(d)) & (end > as_day(d))
        grid[:, j] = _exact_sum(codes[active], mrr[active], len(customers))
        if tolerance is not None:
            grid[:, j] = settle(grid[:, j], _exact_sum(codes[active], tolerance[active], len(customers)))
    return pd.Index(customers, name="customer_id"), grid


def state_grid(rows: pd.DataFrame, days: list[date], free_customers: str = "excluded") -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """(customers, MRR grid, active grid) at each of `days`: a customer is active when it pays (MRR > 0),
    or, with definitions.free_customers `counted`, when a trial or 0-MRR row of it is active, or, with
    `retained`, when a 0-MRR row (not a trial) is active and it has paid on or before that day."""
    customers, grid = mrr_grid(rows, days)
    active = grid > 0
    if free_customers == "excluded" or "free" not in rows or not rows["free"].any():
        return customers, grid, active
    free = rows["free"].to_numpy(dtype=bool, copy=True)
    if free_customers == "retained" and "is_trial" in rows:
        free &= ~rows["is_trial"].to_numpy(dtype=bool)
    codes = customers.get_indexer(rows["customer_id"])
    start, end = _spans(rows)
    paid_first = first_paid_day(rows, customers)
    for j, d in enumerate(days):
        # one row = a free row active at the end of day d
        on = free & (start <= as_day(d)) & (end > as_day(d))
        hit = np.zeros(len(customers), dtype=bool)
        hit[codes[on]] = True
        if free_customers == "retained":
            hit &= paid_first <= as_day(d)  # NaT (never paid) compares False
        active[:, j] |= hit
    return customers, grid, active


def settle(mrr: np.ndarray, tolerance: np.ndarray | None = None) -> np.ndarray:
    """Customer MRR from the sum of its active rows: never below 0, and 0 within the rounding of
    cent-billed lines (a credit for unused time against the charge it refunds)."""
    out = np.maximum(mrr, 0)
    if tolerance is not None:
        out = np.where(mrr <= tolerance, 0, out)
    return out


def _exact_sum(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Per-code int64 sums (np.bincount would pass through float64 and lose exactness)."""
    out = np.zeros(n, dtype="int64")
    np.add.at(out, codes, values)
    return out


def first_paid_day(rows: pd.DataFrame, customers: pd.Index) -> np.ndarray:
    """Each customer's first paid day (datetime64[D]), aligned to `customers`."""
    rows = rows.loc[rows["mrr"] > 0]  # credit lines make nobody paying
    first = rows.groupby("customer_id", sort=False)["started_at"].min()
    return first.reindex(customers).to_numpy(dtype="datetime64[D]")


def paid_within(rows: pd.DataFrame, start: date, end: date) -> pd.Index:
    """Customers paying on at least one day of [start, end] (with a row of positive MRR active then)."""
    rows = rows.loc[rows["mrr"] > 0]
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
        return paid_within(mrr_rows(frames, cfg), period.start, period.end)
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
            from cs_metrics.metrics._events import is_active

            keep &= is_active(ev, cfg.active_events)
        return pd.Index(ev.loc[keep, "customer_id"].dropna().unique())  # an anonymous event is no customer's
    inv = frames["invoices"]
    inside = (inv["issued_at"] >= start) & (inv["issued_at"] <= end) & (inv["amount"] > 0)
    return pd.Index(inv.loc[inside, "customer_id"].unique())


# --------------------------------------------------------------------------- where the MRR comes from


def snapshot_day(frames: dict[str, pd.DataFrame]) -> date | None:
    """The day the subscriptions export was taken when it is a snapshot (the earliest, for several files), else None."""
    subs = frames.get("subscriptions")
    if subs is None or "snapshot_on" not in subs or not subs["snapshot_on"].notna().any():
        return None
    return subs["snapshot_on"].min().date()


def source_words(frames: dict[str, pd.DataFrame], cfg) -> str:
    """The rows MRR comes from and how a row's MRR is made, for --explain."""
    if revenue_source(frames, cfg) == "invoice_lines":
        return T(
            " MRR from invoice lines (revenue_source): each line's amount / months of its service period "
            "[period_start, period_end) on every day of it (whole months from the start, the days left against "
            "the month the line ends with), credit lines included; a customer's MRR is never below 0."
        )
    from cs_metrics.profiles import in_force

    discounts = in_force(cfg).discounts
    if discounts == "all":
        counted = T("less its discount (metrics.mrr.discounts: true)")
    elif discounts == "none":
        counted = T("at list price, discounts not counted (metrics.mrr.discounts: false)")
    else:
        counted = T(
            "less its discount only when the discount is permanent (definitions.discounts: forever; a discount "
            "without a discount_duration counts as permanent)"
        )
    words = T(
        " MRR from subscriptions: a row's amount x quantity, {counted}, normalised to a month; a trial inside "
        "a row (before trial_ends_at) carries none.",
        counted=counted,
    )
    day = snapshot_day(frames)
    if day is not None:
        words += T(
            " Limitation: the subscriptions export is a snapshot taken on {day} (one row per subscription at that "
            "day's seats and price), so a day before it is computed at that day's prices and a past upgrade, "
            "downgrade or discount change is invisible; invoice lines (revenue_source: invoice_lines) give history.",
            day=day,
        )
    return words


def definition_words(cfg) -> str:
    """The definitions in force (profile and overrides), for --explain."""
    from cs_metrics.profiles import in_force

    return in_force(cfg).words()


def fx_warning(frames: dict[str, pd.DataFrame], cfg) -> str | None:
    """The warning for definitions.fx asking for dated rates when there is no fx_rates table and the MRR
    rows are in other currencies than the base: they are converted at the fixed rates instead."""
    from cs_metrics.profiles import in_force

    fx = in_force(cfg).fx
    if fx == "fixed" or "fx_rates" in frames:
        return None
    table = frames.get("subscriptions", frames.get("invoice_lines"))
    base = (cfg.currency.base or "").upper()
    if table is None or "currency" not in table or not table["currency"].ne(base).any():
        return None
    return T(
        "definitions.fx: {fx} converts at the rate of a day, and there is no fx_rates table: the fixed rates "
        "of currency.rates are used (put fx_rates.csv with date, currency, rate in the data folder)",
        fx=fx,
    )


def snapshot_warning(frames: dict[str, pd.DataFrame], cfg, first_day: date) -> str | None:
    """The warning for a result from a snapshot export that looks at a day before the export was taken."""
    day = snapshot_day(frames)
    if day is None or revenue_source(frames, cfg) != "subscriptions" or first_day >= day:
        return None
    return T(
        "the subscriptions export is a snapshot taken on {day}: days before it (here from {first_day}) are computed "
        "at that day's seats and prices, so past upgrades and downgrades do not show; for history map the invoice "
        "line items and set revenue_source: invoice_lines (or snapshot: false if each price change is a row of its own)",
        day=day, first_day=first_day,
    )


def mrr_based(func=None, *, first_day=None):
    """Decorate a metric computed from MRR: --explain says which rows the MRR comes from, and a result
    from a snapshot export that looks at a day before the export was taken carries the warning.
    `first_day(result, cfg)` is the earliest day the metric looks at (default: its opening snapshot)."""

    def decorate(f):
        @functools.wraps(f)
        def wrapper(frames, period, cfg, *args, **kwargs):
            result = f(frames, period, cfg, *args, **kwargs)
            if "subscriptions" not in frames and "invoice_lines" not in frames:
                return result  # not computed from MRR (churn from customers.csv, ARPU from invoices alone)
            result.definition += source_words(frames, cfg) + definition_words(cfg)
            warning = snapshot_warning(frames, cfg, first_day(result, cfg) if first_day else result.period.opening)
            for warning in (warning, fx_warning(frames, cfg)):
                if warning and not any(warning in w for w in result.warnings):  # once, also beside a metric it reuses
                    result.warnings.append(warning)
            return result

        return wrapper

    return decorate(func) if func is not None else decorate


def with_customer_dates(listing: list[dict], subs: pd.DataFrame, closing: date) -> None:
    """Add to each listed customer (a dict with customer_id) its canceled_at and ended_at, in place,
    when the subscriptions carry canceled_at (the export tells when customers asked to leave)."""
    if "canceled_at" not in subs:
        return
    dates = customer_dates(subs, pd.Index([r["customer_id"] for r in listing]), closing)
    for name, days in dates.items():
        for r, day in zip(listing, days):  # one per listed customer: the listing is already the output
            r[name] = day


def customer_dates(subs: pd.DataFrame, customers: pd.Index, closing: date) -> dict[str, list]:
    """Per customer (aligned to `customers`), from its subscription rows that started by `closing`:
    canceled_at = the latest day it asked to leave (empty: never), ended_at = the latest first day
    without service (empty while one of those rows still runs). ISO text or None."""
    started = subs["started_at"] <= pd.Timestamp(closing)
    rows = subs.loc[started.to_numpy(dtype=bool, na_value=False)]
    out: dict[str, list] = {}
    for col in ("canceled_at", "ended_at"):
        if col not in rows:
            continue
        days = rows[col]
        latest = days.groupby(rows["customer_id"]).max()
        if col == "ended_at":  # a row still running: no end
            running = days.isna().groupby(rows["customer_id"]).any()
            latest = latest.where(~running.reindex(latest.index, fill_value=False))
        text = latest.reindex(customers).dt.strftime("%Y-%m-%d")
        out[col] = text.astype(object).where(text.notna(), None).tolist()
    return out
