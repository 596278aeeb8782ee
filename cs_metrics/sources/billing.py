"""Billing rules of the loader: what the columns of subscriptions, invoices and invoice lines mean.

Subscriptions. A row's MRR (`mrr`) is its amount x quantity (seats; empty = 1), less its discount
(percent off first, then the amount off per interval, never below 0), normalised to a month by its
interval; `list_mrr` is the same without the discount (when the file has discount columns), and
`discount_duration` says whether the discount is forever, once or repeating: which of them count is a
definition (definitions.discounts, applied by metrics/_definitions.py), not the loader's business. An
`mrr` column is the row's total (quantity does not multiply it; discounts do apply). Converted to a
base currency at fixed rates, a row keeps its own `currency` and `native_mrr` (`native_list_mrr`) for
dated rates (definitions.fx). A discount that ends (`discount_ends_at`) inside a row splits it into a
discounted part and a part at list price. `paused_at` ends the row's paid span. A row whose
`trial_ends_at` lies after its start is split, once the row fates are settled, into a trial part
[started_at, trial_ends_at) and a paid part [trial_ends_at, ended_at) — so every metric sees trials
and paid spans alike, whether the export has one row per trial or a trial inside the row. A file
whose rows are one per subscription at the export day's state (`snapshot: true`, or a status
column) marks its rows with the day it was taken (`snapshot_on`), so the metrics can say that a
past period is computed at today's seats and prices.

Invoices. `amount_refunded` is netted from `amount` (revenue = amount - refunded); a `paid` flag
is kept as a flag (it is no payment day).

Invoice lines. A line pays for the service period [period_start, period_end): its MRR is
amount / months(period_start, period_end), counted on every day of the period (see `months`).

Money stays int64: amounts in 1/MONEY_SCALE, MRR in 1/MRR_SCALE of the base currency.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from cs_metrics.config import Config, FileConfig
from cs_metrics.contract import INTERVALS
from cs_metrics.sources.table import INTERVAL_ALIASES, MRR_FACTOR, _convert, _currency_rates, _drop, _map_distinct
from cs_metrics.sources.values import MAX_MONEY, MONEY_SCALE, MRR_SCALE, _month_days, by_distinct, days_from_civil

ONE_DAY = pd.Timedelta(days=1)
HALF_CENT = MONEY_SCALE // 200  # half of 0.01 of a currency unit, in money units: the rounding of a billed amount


# --------------------------------------------------------------------------- subscriptions


def subscription_rules(frame: pd.DataFrame, rows, src: FileConfig, cfg: Config, path: Path) -> set:
    """Dates, seats, discounts, currencies and MRR of a subscriptions file. Returns its currencies."""
    started = frame["started_at"]
    if "ended_at" in frame:
        rows.reject((frame["ended_at"] < started).to_numpy(), "ends before it starts")
        if src.end_inclusive:  # the export's end dates are last days of service: make them first days without
            frame["ended_at"] = frame["ended_at"] + ONE_DAY
    if src.end_inclusive and "term_ends_at" in frame:
        frame["term_ends_at"] = frame["term_ends_at"] + ONE_DAY
    if "paused_at" in frame:  # billing paused: no MRR from that day on
        paused = frame["paused_at"]
        rows.reject((paused < started).to_numpy(dtype=bool, na_value=False), "paused before it starts")
        ended = frame["ended_at"] if "ended_at" in frame else pd.Series(pd.NaT, index=frame.index, dtype=paused.dtype)
        earlier = (paused.notna() & (ended.isna() | (paused < ended))).to_numpy(dtype=bool)
        frame["ended_at"] = ended.where(~earlier, paused)
    if "is_trial" in frame:
        frame["is_trial"] = frame["is_trial"].fillna(False).astype(bool)
    if "quantity" in frame:
        rows.reject((frame["quantity"] < 0).to_numpy(dtype=bool, na_value=False), "negative quantity")
    if "discount_percent" in frame:
        pct = frame["discount_percent"]
        rows.reject(((pct < 0) | (pct > 100)).to_numpy(dtype=bool, na_value=False), "discount_percent off 0..100")
    if "discount_amount" in frame:
        rows.reject((frame["discount_amount"] < 0).to_numpy(dtype=bool, na_value=False), "negative discount_amount")
    if "discount_duration" in frame:
        frame["discount_duration"] = _duration(frame["discount_duration"], rows)
    rates, currencies = _currency_rates(frame, cfg, src, path, rows)
    base = cfg.currency.base
    codes = _codes(frame, src) if rates is not None else None
    discounted = "discount_percent" in frame or "discount_amount" in frame
    gross, factor, count = _monthly(frame, rates, rows, base)  # the price before any discount, in base units
    off = _discounted(frame, gross, rates, rows, base) if discounted else gross
    if codes is not None:  # converted at fixed rates: keep the row's own currency for dated rates (definitions.fx)
        native, _, _ = _monthly(frame, None, rows, base)
        native_off = _discounted(frame, native, None, rows, base) if discounted else native
        frame["currency"] = codes
        frame["native_mrr"] = _normalised(native_off, factor, count)
        if discounted:
            frame["native_list_mrr"] = _normalised(native, factor, count)
    frame["mrr"] = _normalised(off, factor, count)  # every discount counted (definitions.discounts picks)
    if discounted:
        frame["list_mrr"] = _normalised(gross, factor, count)
    _drop(frame, "amount", "interval", "interval_count")
    if codes is None:
        _drop(frame, "currency")
    frame["snapshot_on"] = pd.Series(_snapshot_day(frame, src, cfg, path), index=frame.index, dtype="datetime64[us]")
    return currencies


def _monthly(frame: pd.DataFrame, rates, rows, base) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(gross, factor, count): the row's price per interval before discounts (amount x seats, or the mrr
    column) in money units of the base currency (rates) or of its own (rates None); MRR = gross x factor /
    count. Rows that cannot be priced are rejected (the same rows whichever currency is asked for)."""
    if "mrr" in frame:
        units = _convert(frame["mrr"], rates, rows, "mrr", base)
        rows.reject(units < 0, "negative mrr")
        gross = np.where(units > 0, units, 0).astype("int64")
        return gross, np.full(len(frame), 144, dtype="int64"), np.ones(len(frame), dtype="int64")
    interval = by_distinct(frame["interval"], lambda t: _map_distinct(t.str.strip().str.lower(), INTERVAL_ALIASES))
    rows.reject(~interval.isin(INTERVALS).to_numpy(), "unknown interval (expected day, week, month, quarter or year)")
    count = frame["interval_count"] if "interval_count" in frame else pd.Series(1, index=frame.index)
    count = count.fillna(1).to_numpy(dtype="int64")
    rows.reject(count <= 0, "interval_count below 1")
    units = _convert(frame["amount"], rates, rows, "amount", base)
    rows.reject(units < 0, "negative mrr")
    seats = frame["quantity"].fillna(1).to_numpy(dtype="int64") if "quantity" in frame else np.ones(len(frame), dtype="int64")
    seats = np.maximum(seats, 0)
    total = np.where(units > 0, units, 0).astype("float64") * seats
    too_big = total > MAX_MONEY * MONEY_SCALE
    rows.reject(too_big, f"bad amount (amount x quantity above {MAX_MONEY:,})")
    gross = np.where(too_big | (units <= 0), 0, units * np.where(too_big, 0, seats)).astype("int64")
    factor = by_distinct(interval, lambda t: t.map(MRR_FACTOR)).fillna(0).to_numpy(dtype="int64")
    return gross, factor, np.maximum(count, 1)


def _normalised(gross: np.ndarray, factor: np.ndarray, count: np.ndarray) -> np.ndarray:
    """A price per interval -> MRR units, to the nearest unit (half up)."""
    product = gross * factor  # at most 10^15 x 4,380: fits in int64
    return (product // count + ((product % count) * 2 >= count)).astype("int64")


# A coupon's duration as the tools write it -> forever | once | repeating (Stripe's words)
DURATIONS = {
    "forever": "forever", "permanent": "forever", "lifetime": "forever",
    "once": "once", "one_time": "once", "single_use": "once", "one-time": "once",
    "repeating": "repeating", "limited_period": "repeating", "temporal": "repeating", "limited": "repeating",
}  # fmt: skip


def _duration(values: pd.Series, rows) -> pd.Series:
    """discount_duration in Stripe's words; a value that is none of them is a rejected row."""
    words = values.str.strip().str.lower()
    known = _map_distinct(words, DURATIONS)
    bad = (words.notna() & (words != "") & ~known.isin(("forever", "once", "repeating"))).to_numpy(dtype=bool)
    rows.reject(bad, "unknown discount_duration (expected forever, once or repeating)")
    return known.where(known.isin(("forever", "once", "repeating")))


def _codes(frame: pd.DataFrame, src: FileConfig) -> pd.Series:
    """Each row's currency code (upper case; a blank cell is the file's currency), as _currency_rates reads it."""
    if "currency" in frame:
        codes = frame["currency"].str.strip().str.upper().fillna("")
        if src.currency:
            codes = codes.where(codes != "", src.currency.upper())
        return codes
    return pd.Series(src.currency.upper(), index=frame.index)


def _discounted(frame: pd.DataFrame, gross: np.ndarray, rates, rows, base) -> np.ndarray:
    """The price after the row's discount: percent off, then the amount off per interval; never below 0."""
    out = gross.astype("float64")
    if "discount_percent" in frame:
        pct = np.clip(frame["discount_percent"].to_numpy(dtype="float64", na_value=0.0), 0, 100)
        out = np.rint(out * (100 - pct) / 100)
    if "discount_amount" in frame:
        off = _convert(frame["discount_amount"], rates, rows, "discount_amount", base)
        out = out - np.maximum(off, 0)
    return np.maximum(out, 0).astype("int64")


def _snapshot_day(frame: pd.DataFrame, src: FileConfig, cfg: Config, path: Path):
    """The day a snapshot export was taken (`exported_on`, else the file's modification day in the
    config's time zone), or NaT when the file is a history of subscription periods. A file is a
    snapshot when the config says so, or (snapshot: null) when it has a status column."""
    snapshot = src.snapshot if src.snapshot is not None else "status" in frame
    if not snapshot:
        return pd.NaT
    if src.exported_on:
        return pd.Timestamp(src.exported_on)
    from zoneinfo import ZoneInfo

    return pd.Timestamp(datetime.fromtimestamp(path.stat().st_mtime, ZoneInfo(cfg.timezone)).date())


def split_trials(subs: pd.DataFrame) -> pd.DataFrame:
    """A row whose trial ends after it starts -> a trial part [started_at, trial end) and a paid part
    [trial end, ended_at); the trial end is trial_ends_at, or ended_at when the row ended first (a
    trial cancelled before its end has an empty paid part, which never counts). Rows marked is_trial
    are trials whole. Adds is_trial when the table has trial_ends_at."""
    if "trial_ends_at" not in subs:
        return subs
    trial_end = subs["trial_ends_at"]
    whole_trial = subs["is_trial"].to_numpy(dtype=bool) if "is_trial" in subs else np.zeros(len(subs), dtype=bool)
    inside = (trial_end > subs["started_at"]).to_numpy(dtype=bool, na_value=False) & ~whole_trial
    out = subs.copy()
    out["is_trial"] = whole_trial
    if not inside.any():
        return out
    ended = out["ended_at"] if "ended_at" in out else pd.Series(pd.NaT, index=out.index, dtype=trial_end.dtype)
    paid_from = trial_end.where(ended.isna() | (trial_end <= ended), ended)  # the end of the trial part
    trials = out.loc[inside].copy()
    trials["is_trial"] = True
    trials["ended_at"] = paid_from[inside]
    out.loc[inside, "started_at"] = paid_from[inside]
    if "ended_at" not in out:
        out["ended_at"] = pd.Series(pd.NaT, index=out.index, dtype=trial_end.dtype)
    return pd.concat([out, trials], ignore_index=True)


# --------------------------------------------------------------------------- invoices


def invoice_rules(frame: pd.DataFrame, rows, src: FileConfig, cfg: Config, path: Path) -> set:
    """Currencies, refunds netted from the amount, the paid flag. Returns the file's currencies."""
    rates, currencies = _currency_rates(frame, cfg, src, path, rows)
    base = cfg.currency.base
    amount = frame["amount"]
    units = _convert(amount, rates, rows, "amount", base)
    if "amount_refunded" in frame:  # a payments export: the refund is netted from the charge
        refunded = frame["amount_refunded"]
        ref = _convert(refunded, rates, rows, "amount_refunded", base)
        rows.reject(ref < 0, "negative amount_refunded")
        rows.reject(ref > np.maximum(units, 0), "amount_refunded above the amount")
        units = units - np.maximum(ref, 0)
        frame["amount_refunded"] = pd.array(ref, dtype="Int64")
        frame.loc[refunded.isna().to_numpy(), "amount_refunded"] = pd.NA
    frame["amount"] = pd.array(units, dtype="Int64")
    frame.loc[amount.isna().to_numpy(), "amount"] = pd.NA
    if "paid" in frame:
        frame["paid"] = frame["paid"].fillna(False).astype(bool)
    _drop(frame, "currency")
    return currencies


# --------------------------------------------------------------------------- invoice lines


def invoice_line_rules(frame: pd.DataFrame, rows, src: FileConfig, cfg: Config, path: Path) -> set:
    """Service periods, currencies and the MRR of each line (`mrr`, MRR units, negative for a credit),
    with `tolerance`: how far cent-rounded billing can move it (half a cent / months of the line)."""
    start, end = frame["period_start"], frame["period_end"]
    rows.reject((end < start).to_numpy(dtype=bool, na_value=False), "ends before it starts")
    if src.end_inclusive:
        frame["period_end"] = end = end + ONE_DAY
    rates, currencies = _currency_rates(frame, cfg, src, path, rows)
    amount = frame["amount"]
    units = _convert(amount, rates, rows, "amount", cfg.currency.base)
    s = start.to_numpy(dtype="datetime64[D]")
    e = end.to_numpy(dtype="datetime64[D]")
    ok = ~np.isnat(s) & ~np.isnat(e) & (e > s)  # an empty period (a one-off charge) pays for no day
    whole, rest, month = months(np.where(ok, s, np.datetime64(0, "D")), np.where(ok, e, np.datetime64(31, "D")))
    den = np.where(ok, whole * month + rest, 1)
    mrr = _line_mrr(units, ok, month, den)
    rows.reject(np.abs(mrr) > MAX_MONEY * MRR_SCALE, f"bad amount (above {MAX_MONEY:,} a month)")
    rate = np.ones(len(frame)) if rates is None else np.nan_to_num(rates, nan=1.0)
    if rates is not None:  # keep the line's own currency for dated rates (definitions.fx)
        native = _convert(amount, None, rows, "amount", None)
        frame["native_mrr"] = _line_mrr(native, ok, month, den)
        frame["native_tolerance"] = _tolerance(np.ones(len(frame)), ok, month, den)
        frame["currency"] = _codes(frame, src)
    frame["amount"] = pd.array(units, dtype="Int64")
    frame.loc[amount.isna().to_numpy(), "amount"] = pd.NA
    frame["mrr"] = mrr
    frame["tolerance"] = _tolerance(rate, ok, month, den)
    if "proration" in frame:
        frame["proration"] = frame["proration"].fillna(False).astype(bool)
    if rates is None:
        _drop(frame, "currency")
    return currencies


def _line_mrr(units: np.ndarray, ok: np.ndarray, month: np.ndarray, den: np.ndarray) -> np.ndarray:
    """amount / (whole + rest / month) = amount x month / (whole x month + rest), in MRR units, nearest (half away from 0)."""
    num = np.abs(units) * (MRR_SCALE // MONEY_SCALE) * month  # at most 10^15 x 144 x 31: fits in int64
    magnitude = num // den + ((num % den) * 2 >= den)
    return np.where(ok, np.sign(units) * magnitude, 0).astype("int64")


def _tolerance(rate: np.ndarray, ok: np.ndarray, month: np.ndarray, den: np.ndarray) -> np.ndarray:
    """How far cent-rounded billing can move a line's MRR: half a cent (of the line's currency, at `rate`) / its months."""
    return np.where(ok, np.ceil(HALF_CENT * rate * (MRR_SCALE // MONEY_SCALE) * month / den), 0).astype("int64")


def months(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """months(s, e) of metrics.md for days s < e, as (whole, rest, month): months = whole + rest / month.

    Whole calendar months are counted from s (a month later is the same day of the month, clamped to
    the month's end); rest = the days left, measured against the month that ends with the line (the
    days of [e - 1 month, e)): a proration runs to the end of a billing period, so this is the
    billing month it belongs to, whatever day the subscription renews on. A line that is exactly a
    whole number of months counted back from its end (28 Feb -> 31 Mar of a plan renewing on the
    31st) is that many months."""
    s = np.asarray(start, dtype="datetime64[D]")
    e = np.asarray(end, dtype="datetime64[D]")
    sy, sm, sd = _civil(s)
    ey, em, ed = _civil(e)
    whole = (ey - sy) * 12 + (em - sm)
    whole = np.where(_add_months(sy, sm, sd, whole) > e.astype("int64"), whole - 1, whole)
    whole = np.maximum(whole, 0)
    rest = e.astype("int64") - _add_months(sy, sm, sd, whole)
    for back in (whole, whole + 1):  # counted back from the end, landing exactly on the start
        exact_back = (rest > 0) & (back > 0) & (_add_months(ey, em, ed, -back) == s.astype("int64"))
        whole = np.where(exact_back, back, whole)
        rest = np.where(exact_back, 0, rest)
    month = e.astype("int64") - _add_months(ey, em, ed, np.full(len(e), -1))
    return whole.astype("int64"), rest.astype("int64"), month.astype("int64")


def _civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """datetime64[D] -> (year, month, day) int64 arrays."""
    y = days.astype("datetime64[Y]").astype("int64") + 1970
    m = days.astype("datetime64[M]").astype("int64") % 12 + 1
    d = (days - days.astype("datetime64[M]").astype("datetime64[D]")).astype("int64") + 1
    return y, m, d


def _add_months(y: np.ndarray, m: np.ndarray, d: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of (y, m, d) plus k months, the day clamped to the month's end."""
    total = y * 12 + (m - 1) + k
    y2, m2 = total // 12, total % 12 + 1
    return days_from_civil(y2, m2, np.minimum(d, _month_days(y2, m2)))


# --------------------------------------------------------------------------- after the row fates


def split_discounts(subs: pd.DataFrame) -> pd.DataFrame:
    """A row whose discount ends (discount_ends_at) after it starts and before it ends -> a discounted
    part [started_at, discount end) and a part at list price [discount end, ended_at); a row whose
    discount ended by its start is at list price whole."""
    if "discount_ends_at" not in subs or "list_mrr" not in subs:
        return subs
    until = subs["discount_ends_at"]
    ended = subs["ended_at"] if "ended_at" in subs else pd.Series(pd.NaT, index=subs.index, dtype=until.dtype)
    over = (until <= subs["started_at"]).to_numpy(dtype=bool, na_value=False)
    inside = ((until > subs["started_at"]) & (ended.isna() | (until < ended))).to_numpy(dtype=bool, na_value=False)
    if not (over.any() or inside.any()):
        return subs
    out = subs.copy()
    listed = out.loc[inside].copy()  # the part after the discount, at list price
    listed["started_at"] = until[inside]
    for part, mask in ((out, over), (listed, np.ones(len(listed), dtype=bool))):
        part.loc[mask, "mrr"] = part.loc[mask, "list_mrr"]
        if "native_list_mrr" in part:
            part.loc[mask, "native_mrr"] = part.loc[mask, "native_list_mrr"]
    if "ended_at" not in out:
        out["ended_at"] = pd.Series(pd.NaT, index=out.index, dtype=until.dtype)
    out.loc[inside, "ended_at"] = until[inside]
    return pd.concat([out, listed], ignore_index=True)


def finish(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Shape the usable rows of a table for the metrics (subscriptions: trials inside rows split, then
    discounts that end inside a row)."""
    return split_discounts(split_trials(frame)) if name == "subscriptions" else frame
