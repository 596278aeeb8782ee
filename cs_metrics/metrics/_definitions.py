"""The definition switches that shape the rows MRR is made of (cs_metrics/profiles.py).

The loader keeps what an export says (a row's price with every discount, its list price, the discount's
duration, its currency and own-currency MRR, canceled_at, term_ends_at, past_due_since); which of it
counts is decided here, by the definitions in force, when a metric asks for its rows:

- discounts: all (the row's `mrr`), forever (only a discount whose duration is forever, or unknown,
  counts; otherwise `list_mrr`), none (`list_mrr`).
- churn_at: ended_at (as exported), canceled_at (a row ends on the day the customer asked to cancel,
  scheduled or not), period_end (a row cancelled before its paid term ran out ends at term_ends_at).
- past_due_churn_days N: a row past due since day p ends on p + N; without past_due_since, a customer
  with an invoice unpaid N days after it fell due has no MRR from then until the day it was paid.
- fx: fixed (the loader's fixed rates), service_start (each row's own-currency MRR at the rate of the
  day it starts), snapshot (rows are cut at every rate change of their currency, so MRR on any day is
  at that day's rate).
- free_customers: retained / counted keep trial and 0-MRR rows, marked `free`, so that the customer
  state can count such customers (see _state.state_grid).

Every function returns a new frame (the inputs are never changed), and with cs-metrics' own
definitions the rows are exactly the loader's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cs_metrics.errors import DataError

ONE_DAY = pd.Timedelta(days=1)


def priced(subs: pd.DataFrame, defs) -> pd.DataFrame:
    """Subscription rows with `mrr` (and `native_mrr`) as definitions.discounts counts them."""
    if defs.discounts == "all" or "list_mrr" not in subs:
        return subs
    if defs.discounts == "none":
        listed = np.ones(len(subs), dtype=bool)
    else:  # forever: a once or repeating discount does not count; an unknown duration is taken as forever
        duration = subs["discount_duration"] if "discount_duration" in subs else pd.Series(np.nan, index=subs.index)
        listed = duration.isin(("once", "repeating")).to_numpy(dtype=bool)
    if not listed.any():
        return subs
    out = subs.copy()
    out["mrr"] = np.where(listed, out["list_mrr"], out["mrr"]).astype("int64")
    if "native_list_mrr" in out:
        out["native_mrr"] = np.where(listed, out["native_list_mrr"], out["native_mrr"]).astype("int64")
    return out


def ends(rows: pd.DataFrame, defs, frames: dict, table: str) -> pd.DataFrame:
    """Rows whose end the definitions move: churn_at and past_due_churn_days (row-level past_due_since;
    customer-level from unpaid invoices)."""
    out = rows
    if defs.churn_at == "canceled_at" and "canceled_at" in rows and rows["canceled_at"].notna().any():
        out = _end_by(out, out["canceled_at"])
    elif defs.churn_at == "period_end" and "term_ends_at" in rows and "ended_at" in rows:
        trial = out["is_trial"].to_numpy(dtype=bool) if "is_trial" in out else np.zeros(len(out), dtype=bool)
        paid = (out["ended_at"] > out["started_at"]).to_numpy(dtype=bool, na_value=False) & ~trial
        later = paid & (out["term_ends_at"] > out["ended_at"]).to_numpy(dtype=bool, na_value=False)
        if later.any():
            out = out.copy()
            out.loc[later, "ended_at"] = out.loc[later, "term_ends_at"]
    days = defs.past_due_churn_days
    if days is not None:
        if "past_due_since" in out and out["past_due_since"].notna().any():
            out = _end_by(out, out["past_due_since"] + pd.Timedelta(days=days))
        elif "invoices" in frames:
            out = cut(out, delinquent_windows(frames["invoices"], days))
    return out


def _end_by(rows: pd.DataFrame, day: pd.Series) -> pd.DataFrame:
    """Rows end on `day` when it comes before their end (never before their start)."""
    end = rows["ended_at"] if "ended_at" in rows else pd.Series(pd.NaT, index=rows.index, dtype=day.dtype)
    earlier = (day.notna() & (end.isna() | (day < end))).to_numpy(dtype=bool)
    if not earlier.any():
        return rows
    out = rows.copy()
    moved = day.where(day >= out["started_at"], out["started_at"])  # asked to leave before it began: empty
    out["ended_at"] = end.where(~earlier, moved)
    return out


def delinquent_windows(invoices: pd.DataFrame, days: int) -> pd.DataFrame:
    """Per customer, the spans [due + days, paid_at) of its positive invoices not paid within `days` of
    falling due (due_at, else issued_at); open invoices run on. Overlapping spans are merged."""
    due = invoices["due_at"].fillna(invoices["issued_at"]) if "due_at" in invoices else invoices["issued_at"]
    late_from = due + pd.Timedelta(days=days)
    paid = invoices["paid_at"] if "paid_at" in invoices else pd.Series(pd.NaT, index=invoices.index, dtype=due.dtype)
    late = (invoices["amount"] > 0).to_numpy(dtype=bool, na_value=False) & (paid.isna() | (paid > late_from)).to_numpy(dtype=bool)
    # one row = an invoice paid late or never: the customer has no MRR from late_from to paid_at
    spans = pd.DataFrame(
        {"customer_id": invoices.loc[late, "customer_id"].to_numpy(), "start": late_from[late].to_numpy(),
         "end": paid[late].to_numpy()}
    ).dropna(subset=["customer_id", "start"])  # fmt: skip
    if spans.empty:
        return spans
    spans["end"] = spans["end"].fillna(pd.Timestamp.max.normalize())
    spans = spans.sort_values(["customer_id", "start"], kind="stable")
    # merge overlapping spans of a customer: a new group starts where a span begins after every earlier end
    running = spans.groupby("customer_id", sort=False)["end"].cummax()
    before = running.groupby(spans["customer_id"], sort=False).shift()
    group = (before.isna() | (spans["start"] > before)).cumsum()
    merged = spans.groupby(group, sort=False).agg(customer_id=("customer_id", "first"), start=("start", "min"), end=("end", "max"))
    return merged.reset_index(drop=True)


def cut(rows: pd.DataFrame, windows: pd.DataFrame) -> pd.DataFrame:
    """Rows with the days of their customer's windows taken out (a row across a window becomes the part
    before it and the part after it)."""
    if windows.empty:
        return rows
    out = rows.reset_index(drop=True)
    windows = windows.assign(k=windows.groupby("customer_id", sort=False).cumcount())
    far = pd.Timestamp.max.normalize()
    for k in range(int(windows["k"].max()) + 1):  # the k-th window of every customer at once (a customer has few)
        w = windows.loc[windows["k"] == k].set_index("customer_id")
        start = out["customer_id"].map(w["start"])
        stop = out["customer_id"].map(w["end"])
        end = out["ended_at"].fillna(far) if "ended_at" in out else pd.Series(far, index=out.index)
        hit = (start.notna() & (out["started_at"] < stop) & (end > start)).to_numpy(dtype=bool)
        if not hit.any():
            continue
        after = out.loc[hit & (end > stop).to_numpy(dtype=bool)].copy()  # the part after the window
        after["started_at"] = stop[after.index].astype(out["started_at"].dtype)
        before = out.loc[hit].copy()  # the part before it (empty when the row starts inside the window)
        before["ended_at"] = start[hit].where(start[hit] > before["started_at"], before["started_at"]).astype(out["started_at"].dtype)
        out = pd.concat([out.loc[~hit], before, after], ignore_index=True)
    return out


def rates_of(frames: dict, cfg) -> pd.DataFrame:
    """The fx_rates table, checked: every rate above 0, sorted by currency and day."""
    table = frames.get("fx_rates")
    if table is None:
        raise DataError(
            "definitions.fx asks for dated exchange rates, and there is no fx_rates table",
            "Put fx_rates.csv (date, currency, rate) in the data folder or map it under sources.fx_rates",
        )
    rates = table.assign(currency=table["currency"].str.strip().str.upper())
    return rates.sort_values(["currency", "date"], kind="stable").reset_index(drop=True)


def rate_on(rates: pd.DataFrame, currency: pd.Series, day: pd.Series, cfg) -> np.ndarray:
    """The rate of each (currency, day): the table's latest rate on or before the day; before a currency's
    first dated rate, its fixed rate (currency.rates); the base currency is 1."""
    base = (cfg.currency.base or "").upper()
    fixed = {**{k.upper(): v for k, v in cfg.currency.rates.items()}, base: 1.0}
    out = currency.map(fixed).to_numpy(dtype="float64", na_value=np.nan, copy=True)
    query = pd.DataFrame({"currency": currency.to_numpy(), "day": day.to_numpy(dtype="datetime64[us]"), "i": np.arange(len(day))})
    known = query.dropna(subset=["day"]).sort_values("day", kind="stable")
    table = rates.rename(columns={"date": "day"})[["currency", "day", "rate"]].dropna()
    table["day"] = table["day"].astype("datetime64[us]")
    found = pd.merge_asof(known, table.sort_values("day", kind="stable"), on="day", by="currency", direction="backward")
    dated = found["rate"].notna().to_numpy()
    out[found["i"].to_numpy()[dated]] = found["rate"].to_numpy()[dated]
    return out


def converted(rows: pd.DataFrame, frames: dict, cfg, defs) -> pd.DataFrame:
    """Rows in the base currency by definitions.fx: fixed (as loaded), service_start (each row at the rate
    of its start day), snapshot (rows cut at each rate change of their currency, then as service_start)."""
    if defs.fx == "fixed" or "native_mrr" not in rows or not len(rows) or "fx_rates" not in frames:
        return rows  # without dated rates, the fixed ones (the result carries a warning: _state.fx_warning)
    rates = rates_of(frames, cfg)
    out = rows
    if defs.fx == "snapshot":
        out = _cut_at_rate_changes(out, rates)
    out = out.copy()
    rate = rate_on(rates, out["currency"], out["started_at"], cfg)
    missing = np.isnan(rate) & out["native_mrr"].ne(0).to_numpy()
    if missing.any():
        code = out.loc[missing, "currency"].iloc[0]
        raise DataError(
            f"no exchange rate for {code} on {out.loc[missing, 'started_at'].min().date()}",
            f"Add a row for {code} to fx_rates, or its fixed rate: currency.rates.{code}",
        )
    out["mrr"] = np.rint(out["native_mrr"].to_numpy(dtype="float64") * rate).astype("int64")
    if "native_tolerance" in out:
        out["tolerance"] = np.ceil(out["native_tolerance"].to_numpy(dtype="float64") * rate).astype("int64")
    return out


def _cut_at_rate_changes(rows: pd.DataFrame, rates: pd.DataFrame) -> pd.DataFrame:
    """Each row cut at every day a rate of its currency begins inside it, so every part has one rate."""
    far = pd.Timestamp.max.normalize()
    end = rows["ended_at"].fillna(far) if "ended_at" in rows else pd.Series(far, index=rows.index)
    # one row = a row of `rows` and a rate change of its currency strictly inside its span
    spans = pd.DataFrame({"_row": np.arange(len(rows)), "currency": rows["currency"].to_numpy(),
                          "start": rows["started_at"].to_numpy(), "end": end.to_numpy()})  # fmt: skip
    pairs = spans.merge(rates[["currency", "date"]].drop_duplicates(), on="currency")
    pairs = pairs.loc[(pairs["date"] > pairs["start"]) & (pairs["date"] < pairs["end"]), ["_row", "date"]]
    if pairs.empty:
        return rows
    # the parts: each row from its start, and from every change inside it; a part ends where the next begins
    parts = pd.concat([spans[["_row", "start"]].rename(columns={"start": "date"}), pairs], ignore_index=True)
    parts = parts.sort_values(["_row", "date"], kind="stable")
    next_start = parts.groupby("_row", sort=False)["date"].shift(-1)
    out = rows.iloc[parts["_row"].to_numpy()].copy()
    dtype = rows["started_at"].dtype
    out["started_at"] = parts["date"].to_numpy().astype(dtype)
    original_end = rows["ended_at"].to_numpy()[parts["_row"].to_numpy()] if "ended_at" in rows else np.full(len(parts), np.datetime64("NaT"))
    out["ended_at"] = np.where(next_start.isna(), original_end, next_start.to_numpy().astype(original_end.dtype if len(original_end) else dtype)).astype(dtype)
    return out.reset_index(drop=True)


def free_rows(subs: pd.DataFrame) -> pd.Series:
    """Rows that make a customer a free customer: a trial, or a priced row at 0 MRR (100 % off, a free
    plan), with at least one day."""
    trial = subs["is_trial"].to_numpy(dtype=bool) if "is_trial" in subs else np.zeros(len(subs), dtype=bool)
    some_day = (subs["ended_at"].isna() | (subs["ended_at"] > subs["started_at"])).to_numpy(dtype=bool) if "ended_at" in subs else True
    return pd.Series((trial | (subs["mrr"] <= 0).to_numpy()) & some_day, index=subs.index)
