"""Commerce metrics: customer lifetime value, retention cost, days sales outstanding, repeat
purchases, returns, conversion and referrals.

Invoice money is int64 in 1/MONEY_SCALE of a currency unit (credit notes negative), summed exactly
and converted to currency only for the result.
"""

from __future__ import annotations


import numpy as np
import pandas as pd

from cs_metrics.config import Config
from cs_metrics.i18n import T
from cs_metrics.load import MONEY_SCALE
from cs_metrics.metrics._ratio import fmt_money, fmt_num, rate, safe_ratio
from cs_metrics.metrics._state import active_customers, first_paid_day, mrr_based, mrr_grid, mrr_rows, to_money
from cs_metrics.metrics.retention import churn
from cs_metrics.period import Period
from cs_metrics.result import MetricResult

_YEAR_MONTH = r"\d{4}-(?:0[1-9]|1[0-2])"
TOP_REFERRERS = 10


# --------------------------------------------------------------------------- shared steps


def _money(units) -> float:
    """Invoice/cost units -> currency, rounded to 6 decimals only to drop float noise."""
    return round(float(units) / MONEY_SCALE, 6)


def _between(days: pd.Series, start, end) -> np.ndarray:
    """Whether each day (NaT = no) lies in [start, end], both ends included."""
    inside = (days >= pd.Timestamp(start)) & (days <= pd.Timestamp(end))
    return inside.to_numpy(dtype=bool, na_value=False)


def _amounts(inv: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Invoice amounts as int64 units, and which rows are positive (a purchase, not a credit note)."""
    units = inv["amount"].to_numpy(dtype="int64", na_value=0)
    positive = (inv["amount"] > 0).to_numpy(dtype=bool, na_value=False)
    return units, positive


def _issued_in(inv: pd.DataFrame, period: Period) -> np.ndarray:
    return _between(inv["issued_at"], period.start, period.end)


def _issued_by(inv: pd.DataFrame, period: Period) -> np.ndarray:
    """Issued on or before the period's last day."""
    return (inv["issued_at"] <= pd.Timestamp(period.end)).to_numpy(dtype=bool, na_value=False)


def _month_labels(period: Period) -> list[str]:
    """YYYY-MM of every calendar month that overlaps P (a handful: one per month, not per row)."""
    months, (y, m) = [], (period.start.year, period.start.month)
    while (y, m) <= (period.end.year, period.end.month):
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def _currency(cfg: Config) -> dict:
    return {"currency": cfg.currency.base} if cfg.currency.base else {}


# --------------------------------------------------------------------------- CLV


@mrr_based
def clv(frames: dict[str, pd.DataFrame], period: Period, cfg: Config) -> MetricResult:
    """Customer lifetime value, money.

    config `metrics.clv.method`: `auto` (default: purchases when invoices are given, else
    subscription), `purchases` or `subscription`.

    purchases: average purchase value (positive invoice amounts issued in P / their count)
    x purchase frequency (positive invoices in P / distinct purchasing customers / months of P)
    x lifespan in months.
    subscription: ARPU (closing MRR / customers paying at closing) x `gross_margin` (default 1)
    x lifespan in months.

    Lifespan = config `lifespan_months` when set, else 1 / monthly customer churn rate, where the
    monthly rate is the `churn` metric's rate of P divided by the months of P (calendar months
    when P is month-aligned, else days / 30.4375).
    Undefined when there is no purchase in P (purchases) or no paying customer at closing
    (subscription), or when the churn rate is 0, negative or undefined (lifespan unbounded)."""
    opt = cfg.metrics.clv
    method = opt.method if opt.method != "auto" else ("purchases" if "invoices" in frames else "subscription")
    life = _lifespan(frames, period, cfg)
    if method == "purchases":
        return _clv_purchases(frames["invoices"], period, cfg, life)
    return _clv_subscription(mrr_rows(frames, cfg), period, cfg, life)


def _lifespan(frames: dict[str, pd.DataFrame], period: Period, cfg: Config) -> dict:
    """Lifespan in months: the configured one, else 1 / monthly churn rate (reusing `churn`)."""
    configured = cfg.metrics.clv.lifespan_months
    out = {"lifespan_months": None, "lifespan_source": "config" if configured else "churn",
           "churn_rate": None, "monthly_churn_rate": None, "why": None, "warnings": []}  # fmt: skip
    if configured:
        out["lifespan_months"] = float(configured)
        return out
    if "subscriptions" not in frames and "invoice_lines" not in frames and "customers" not in frames:
        out["why"] = T(
            "CLV is undefined: no subscriptions nor customers.csv to measure churn (or set metrics.clv.lifespan_months)"
        )
        return out
    lost = churn(frames, period, cfg)
    out["churn_rate"] = lost.value
    out["warnings"] = [T("churn: {warning}", warning=w) for w in lost.warnings if "undefined" not in w]
    if lost.value is None:
        reason = next((w for w in lost.warnings if "undefined" in w), T("no starting customers"))
        out["why"] = T("CLV is undefined: the churn rate of the period is undefined ({reason})", reason=reason)
        return out
    monthly = lost.value / period.months  # percent a month
    out["monthly_churn_rate"] = monthly
    if monthly <= 0:
        out["why"] = T(
            "CLV is undefined: customer churn in the period is {value} %, so the lifespan "
            "1 / monthly churn is unbounded (set metrics.clv.lifespan_months to fix one)",
            value=fmt_num(lost.value, 2),
        )
        return out
    out["lifespan_months"] = 100 / monthly
    return out


def _lifespan_text(life: dict) -> str:
    if life["lifespan_source"] == "config":
        return T("lifespan {months} months (configured)", months=fmt_num(life["lifespan_months"], 2))
    return T(
        "lifespan {months} months (1 / monthly churn {churn} %)",
        months=fmt_num(life["lifespan_months"], 2), churn=fmt_num(life["monthly_churn_rate"], 3),
    )


def _lifespan_definition(life: dict, period: Period) -> str:
    if life["lifespan_source"] == "config":
        return T("lifespan = metrics.clv.lifespan_months")
    return T(
        "lifespan = 1 / monthly customer churn rate (the churn rate of the period / {months:g} months; "
        "0 churn makes CLV undefined)",
        months=period.months,
    )


def _lifespan_details(life: dict) -> dict:
    return {k: life[k] for k in ("churn_rate", "monthly_churn_rate", "lifespan_months", "lifespan_source")}


def _clv_purchases(inv: pd.DataFrame, period: Period, cfg: Config, life: dict) -> MetricResult:
    units, positive = _amounts(inv)
    inside = _issued_in(inv, period)
    purchase = positive & inside  # one row = a positive invoice issued in P
    revenue = int(units[purchase].sum())
    purchases = int(purchase.sum())
    purchasers = int(inv.loc[purchase, "customer_id"].nunique())
    months = period.months
    average, why_avg = safe_ratio(revenue / MONEY_SCALE, purchases, what=T("CLV (no purchase in the period)"))
    frequency = (purchases / purchasers / months) if purchasers else None
    value = None
    warnings = [w for w in (why_avg, life["why"]) if w] + life["warnings"]
    if average is not None and life["lifespan_months"] is not None:
        value = average * frequency * life["lifespan_months"]
    details = {
        "method": "purchases",
        "purchase_revenue": _money(revenue),
        "purchases": purchases,
        "purchasers": purchasers,
        "months": months,
        "average_purchase_value": average,
        "purchase_frequency_per_month": frequency,
        **_lifespan_details(life),
        **_currency(cfg),
    }
    formula = T(
        "average purchase {average} ({revenue} / {purchases} purchases) x frequency {frequency} a month "
        "({purchases} purchases / {purchasers} purchasers / {months:g} months) x {lifespan} = {value}",
        average=fmt_money(average), revenue=fmt_money(_money(revenue)), purchases=purchases,
        frequency=fmt_num(frequency, 3), purchasers=purchasers, months=months, lifespan=_lifespan_text(life),
        value=fmt_money(value),
    )  # fmt: skip
    definition = T(
        "CLV (purchases) = average purchase value (positive invoice amounts issued in the period / their count) "
        "x purchase frequency (positive invoices / distinct purchasing customers / months of the period) "
        "x {lifespan}.",
        lifespan=_lifespan_definition(life, period),
    )
    filtered = {
        "invoices": {
            "credit notes and zero amounts": int((~positive).sum()),
            "outside the period": int((positive & ~inside).sum()),
        }
    }
    return MetricResult(
        "clv", period, value, "money", details, warnings=warnings, definition=definition, formula=formula,
        filtered=filtered,
    )  # fmt: skip


def _clv_subscription(rows: pd.DataFrame, period: Period, cfg: Config, life: dict) -> MetricResult:
    """`rows` = mrr_rows(frames, cfg): one row = a paying subscription period, or an invoice line."""
    margin = cfg.metrics.clv.gross_margin
    _, grid = mrr_grid(rows, [period.closing])
    closing_mrr = int(grid[:, 0].sum())
    paying = int((grid[:, 0] > 0).sum())
    arpu, why_arpu = safe_ratio(to_money(closing_mrr), paying, what=T("CLV (no paying customer at the closing snapshot)"))
    value = None
    warnings = [w for w in (why_arpu, life["why"]) if w] + life["warnings"]
    if arpu is not None and life["lifespan_months"] is not None:
        value = arpu * margin * life["lifespan_months"]
    details = {
        "method": "subscription",
        "closing_mrr": to_money(closing_mrr),
        "paying_customers": paying,
        "arpu": arpu,
        "gross_margin": margin,
        "months": period.months,
        **_lifespan_details(life),
        **_currency(cfg),
    }
    formula = T(
        "ARPU {arpu} ({mrr} closing MRR / {paying} paying customers) x gross margin {margin:g} x {lifespan} = {value}",
        arpu=fmt_money(arpu), mrr=fmt_money(to_money(closing_mrr)), paying=paying, margin=margin,
        lifespan=_lifespan_text(life), value=fmt_money(value),
    )
    definition = T(
        "CLV (subscription) = ARPU (MRR at the end of {day} / customers paying then) x gross margin "
        "(metrics.clv.gross_margin) x {lifespan}.",
        day=period.closing, lifespan=_lifespan_definition(life, period),
    )
    return MetricResult("clv", period, value, "money", details, warnings=warnings, definition=definition, formula=formula)


# --------------------------------------------------------------------------- CRC


def crc(frames: dict[str, pd.DataFrame], period: Period, cfg: Config, segment_by: str | None = None) -> MetricResult:
    """Customer retention cost, money: retention costs of P / active customers in P.

    Costs of P = the full cost of every calendar month that overlaps P (a period from 05-20 to
    06-10 counts all of May and all of June), from config `metrics.crc.per_month` (the same figure
    every month), else `metrics.crc.monthly` ({"YYYY-MM": amount}), else costs.csv (`month`
    YYYY-MM, `category`, `amount`; every category of the overlapping months is summed; a row
    whose month is not YYYY-MM is left out and counted). Active customers follow the config's
    `active_customer` (paying, events or invoiced).
    Undefined when a month of P has no cost figure (named in the warning) or no customer is active.
    `segment_by` (set for a segment of `--by`): the costs must be broken down by that column of
    costs.csv (the caller keeps the segment's rows); costs from the config, or a costs.csv without
    that column, cannot be split, so a segment's CRC is undefined rather than charged the whole cost."""
    opt = cfg.metrics.crc
    months = _month_labels(period)
    filtered: dict = {}
    warnings: list[str] = []
    by_category: dict[str, float] = {}
    if opt.per_month is not None:
        source = "metrics.crc.per_month"
        per_month = round(opt.per_month * MONEY_SCALE)
        present, costs_units = months, per_month * len(months)
    elif opt.monthly:
        source = "metrics.crc.monthly"
        present = [m for m in months if m in opt.monthly]
        costs_units = sum(round(opt.monthly[m] * MONEY_SCALE) for m in present)
    else:
        source = "costs.csv"
        present, costs_units, by_category, filtered, warnings = _costs_from_table(frames["costs"], months)
    missing = [m for m in months if m not in present]
    active = len(active_customers(frames, period, cfg))
    value = None
    unsplit = segment_by is not None and (source != "costs.csv" or segment_by not in frames["costs"])
    if unsplit:
        where = source if source != "costs.csv" else T("costs.csv has no '{column}' column", column=segment_by)
        warnings.insert(
            0, T("CRC per {by} is undefined: the retention costs are not broken down by {by} ({where})", by=segment_by, where=where)
        )
    elif missing:
        warnings.insert(0, T("CRC is undefined: no retention cost for {months} (from {source})", months=", ".join(missing), source=source))
    else:
        value, why = safe_ratio(_money(costs_units), active, what=T("CRC (no active customer in the period)"))
        warnings[:0] = [why] if why else []
    details = {
        "retention_costs": None if (missing or unsplit) else _money(costs_units),
        "active_customers": active,
        "months_counted": len(present),
        "cost_source": source,
        **{f"cost_{k}": v for k, v in by_category.items()},
        **_currency(cfg),
    }
    costs_text = fmt_money(details["retention_costs"])
    formula = T(
        "{costs} retention costs of {n} month(s) {first}..{last} / {active} active customers = {value}",
        costs=costs_text, n=len(months), first=months[0], last=months[-1], active=active, value=fmt_money(value),
    )
    definition = T(
        "CRC = retention costs of every calendar month overlapping the period, counted in full (from {source}) "
        "/ customers active in the period (active_customer: {active}).",
        source=source, active=cfg.active_customer,
    )
    return MetricResult(
        "crc", period, value, "money", details, warnings=warnings, definition=definition, formula=formula,
        filtered=filtered,
    )  # fmt: skip


def _costs_from_table(costs: pd.DataFrame, months: list[str]):
    """Sum costs.csv over the given months: (months present, total units, per category, filtered, warnings)."""
    month = costs["month"].str.strip()
    well_formed = month.str.fullmatch(_YEAR_MONTH).to_numpy(dtype=bool, na_value=False)
    inside = well_formed & month.isin(months).to_numpy(dtype=bool, na_value=False)  # one row = a cost line of P
    units = costs["amount"].to_numpy(dtype="int64", na_value=0)
    present = set(month[inside].unique())
    by_category: dict[str, float] = {}
    if "category" in costs:
        label = costs.loc[inside, "category"].str.strip().str.lower().str.replace(r"\W+", "_", regex=True)
        label = label.where(label.notna() & (label != ""), "uncategorised")
        sums = pd.Series(units[inside], index=label.index).groupby(label.to_numpy()).sum()
        by_category = {str(k): _money(v) for k, v in sums.sort_index().items()}
    bad = int((~well_formed).sum())
    warnings = [T("costs.csv: {n} row(s) left out, month not written YYYY-MM", n=bad)] if bad else []
    filtered = {"costs": {"month not written YYYY-MM": bad, "month outside the period": int((well_formed & ~inside).sum())}}
    return [m for m in months if m in present], int(units[inside].sum()), by_category, filtered, warnings


# --------------------------------------------------------------------------- DSO


def dso(frames: dict[str, pd.DataFrame], period: Period, cfg: Config) -> MetricResult:
    """Days sales outstanding, days: receivables at closing / credit sales of P x days of P.

    Receivables = positive invoices issued on or before `end` and not paid on or before `end`
    (paid_at empty or after `end`); credit notes (negative amounts) do not reduce them. Credit
    sales = positive invoices issued in P. Days of P count both ends.
    Undefined with no credit sales in P, or when invoices have no paid_at column (a true/false `paid`
    column says whether an invoice was paid, not when: it cannot date a receivable). An invoice
    marked paid without a paid_at is counted as owed, with a warning."""
    inv = frames["invoices"]
    units, positive = _amounts(inv)
    days = period.days
    if "paid_at" in inv:
        unpaid = (inv["paid_at"].isna() | (inv["paid_at"] > pd.Timestamp(period.end))).to_numpy(dtype=bool, na_value=True)
    else:
        unpaid = np.zeros(len(inv), dtype=bool)
    open_at_end = positive & _issued_by(inv, period) & unpaid  # one row = an invoice still owed at closing
    sold = positive & _issued_in(inv, period)  # one row = a credit sale of P
    receivables, credit_sales = int(units[open_at_end].sum()), int(units[sold].sum())
    value, why = safe_ratio(receivables, credit_sales, scale=days, what=T("DSO (no credit sales in the period)"))
    warnings = [why] if why else []
    if "paid_at" not in inv:
        value = None
        flag = T(" (their paid column says whether, not when)") if "paid" in inv else ""
        warnings = [
            T("DSO is undefined: invoices have no payment day{flag}; map the paid-at date: sources.invoices.columns.paid_at", flag=flag)
        ]
    elif "paid" in inv:
        dayless = int((open_at_end & inv["paid"].to_numpy(dtype=bool) & inv["paid_at"].isna().to_numpy()).sum())
        if dayless:
            owed = T("counted as owed at the end of {day}", day=period.end)
            warnings.append(T("{n} invoice(s) marked paid have no paid_at: {owed}", n=dayless, owed=owed))
    details = {
        "receivables": _money(receivables),
        "credit_sales": _money(credit_sales),
        "days": days,
        "open_invoices": int(open_at_end.sum()),
        "credit_sale_invoices": int(sold.sum()),
        **_currency(cfg),
    }
    formula = T(
        "{receivables} receivables at the end of {day} / {sales} credit sales x {days} days = {value} days",
        receivables=fmt_money(details["receivables"]), day=period.end, sales=fmt_money(details["credit_sales"]),
        days=days, value=fmt_num(value),
    )
    definition = T(
        "DSO = receivables at the end of {day} (positive invoices issued by then and not paid by then; "
        "credit notes do not reduce them) / credit sales (positive invoices issued in the period) x days of the period.",
        day=period.end,
    )
    filtered = {
        "invoices": {
            "credit notes and zero amounts": int((~positive).sum()),
            "issued after the period": int((positive & ~_issued_by(inv, period)).sum()),
        }
    }
    return MetricResult(
        "dso", period, value, "days", details, warnings=warnings, definition=definition, formula=formula,
        filtered=filtered,
    )  # fmt: skip


# --------------------------------------------------------------------------- repeat purchase


def repeat_purchase(frames: dict[str, pd.DataFrame], period: Period, cfg: Config) -> MetricResult:
    """Repeat purchase rate, percent: returning purchasers / purchasers x 100.

    Purchasers = distinct customers with a positive invoice issued in P; returning = purchasers
    with at least two positive invoices issued on or before `end` (config
    `metrics.repeat_purchase.window: period` counts only the invoices issued inside P).
    Undefined with no purchaser in P."""
    window = cfg.metrics.repeat_purchase.window
    inv = frames["invoices"]
    _, positive = _amounts(inv)
    inside = _issued_in(inv, period)
    counted = positive & (inside if window == "period" else _issued_by(inv, period))  # one row = a purchase that counts
    purchasers = pd.Index(inv.loc[positive & inside, "customer_id"].unique())
    per_customer = inv.loc[counted, "customer_id"].value_counts()
    returning = per_customer.index[per_customer.to_numpy() >= 2].intersection(purchasers)
    n, k = len(purchasers), len(returning)
    value, interval, warnings = rate(k, n, what=T("repeat purchase rate"), population=T("purchasers"))
    first = inv["issued_at"].min()
    if window == "all" and pd.notna(first) and first.date() > period.start - pd.Timedelta(days=365):
        warnings.append(
            T(
                "the invoices start on {day}, less than a year before the period: purchases before that are "
                "unknown, so returning purchasers may be undercounted",
                day=first.date(),
            )
        )
    details = {
        "window": window,
        "purchasers": n,
        "returning_purchasers": k,
        "one_time_purchasers": n - k,
        **interval,
    }
    scope = T("issued in the period") if window == "period" else T("issued on or before {day}", day=period.end)
    definition = T(
        "Repeat purchase rate = purchasers (customers with a positive invoice issued in the period) with at least two "
        "positive invoices {scope} / purchasers x 100 (window: {window}).",
        scope=scope, window=window,
    )
    formula = T("{k} returning purchasers / {n} purchasers x 100 = {value} %", k=k, n=n, value=fmt_num(value, 2))
    filtered = {
        "invoices": {
            "credit notes and zero amounts": int((~positive).sum()),
            ("outside the period" if window == "period" else "issued after the period"): int((positive & ~counted).sum()),
        }
    }
    return MetricResult(
        "repeat-purchase", period, value, "percent", details, warnings=warnings, definition=definition, formula=formula,
        filtered=filtered,
    )  # fmt: skip


# --------------------------------------------------------------------------- return rate


def return_rate(frames: dict[str, pd.DataFrame], period: Period, cfg: Config) -> MetricResult:
    """Return rate, percent: returned units / sold units x 100 over the invoice rows issued in P.

    Returned units = the absolute quantity of rows with quantity < 0; sold units = the quantity of
    rows with quantity > 0. A row with an empty quantity (or every row when there is no quantity
    column) counts one unit: returned when its amount is negative, sold otherwise. Not a Wilson
    proportion: returns of earlier sales can exceed the sales of P. Undefined with no unit sold."""
    inv = frames["invoices"]
    inside = _issued_in(inv, period)
    rows = inv.loc[inside]  # one row = an invoice, order or credit note issued in P
    if "quantity" in rows:
        quantity = rows["quantity"].to_numpy(dtype="int64", na_value=0)
        no_quantity = rows["quantity"].isna().to_numpy()
    else:
        quantity = np.zeros(len(rows), dtype="int64")
        no_quantity = np.ones(len(rows), dtype=bool)
    negative_amount = (rows["amount"] < 0).to_numpy(dtype=bool, na_value=False)
    returned = int(-quantity[quantity < 0].sum()) + int((no_quantity & negative_amount).sum())
    sold = int(quantity[quantity > 0].sum()) + int((no_quantity & ~negative_amount).sum())
    value, why = safe_ratio(returned, sold, scale=100, what=T("return rate (no unit sold in the period)"))
    details = {
        "returned_units": returned,
        "sold_units": sold,
        "invoice_rows": len(rows),
        "rows_without_quantity": int(no_quantity.sum()),
    }
    definition = T(
        "Return rate = returned units (absolute quantity of rows with quantity < 0) / sold units (quantity of rows "
        "with quantity > 0) x 100, over invoice rows issued in the period; a row without quantity counts one unit, "
        "returned when its amount is negative, sold otherwise."
    )
    formula = T("{returned} returned units / {sold} sold units x 100 = {value} %", returned=returned, sold=sold, value=fmt_num(value, 2))
    return MetricResult(
        "return-rate", period, value, "percent", details, warnings=[why] if why else [], definition=definition,
        formula=formula, filtered={"invoices": {"outside the period": int((~inside).sum())}},
    )  # fmt: skip


# --------------------------------------------------------------------------- conversion


def conversion(frames: dict[str, pd.DataFrame], period: Period, cfg: Config) -> MetricResult:
    """Conversion rate, percent: converted / cohort x 100.

    config `metrics.conversion.kind`: `auto` (default: trial when subscriptions with is_trial or
    trial_ends_at are given, else leads), `trial` or `leads`.
    trial: cohort = trial rows (is_trial, or the trial part of a row with trial_ends_at: the loader
    splits such a row) whose ended_at falls in P, one per row; converted = the same customer has a
    non-trial row with mrr > 0 and at least one paid day whose started_at lies between the trial's
    started_at and its ended_at + `grace_days` (default 14), both ends included.
    leads: cohort = leads created in P; converted = converted_at set, and within `window_days` of
    created_at when configured.
    Undefined with an empty cohort, or leads without a converted_at column."""
    opt = cfg.metrics.conversion
    kind = opt.kind if opt.kind != "auto" else ("trial" if "subscriptions" in frames else "leads")
    if kind == "trial":
        from cs_metrics.metrics._definitions import priced
        from cs_metrics.profiles import in_force

        # a paid row is one with MRR as definitions.discounts counts it (100 % off is no paid row unless discounts: none)
        return _trial_conversion(priced(frames["subscriptions"], in_force(cfg)), period, opt.grace_days)
    return _lead_conversion(frames["leads"], period, opt.window_days)


def _trial_conversion(subs: pd.DataFrame, period: Period, grace_days: int) -> MetricResult:
    trial = np.zeros(len(subs), dtype=bool)
    if "is_trial" in subs:
        trial = subs["is_trial"].to_numpy(dtype=bool, na_value=False)
    ended = subs["ended_at"] if "ended_at" in subs else pd.Series(pd.NaT, index=subs.index, dtype="datetime64[us]")
    ending = trial & _between(ended, period.start, period.end)
    # one row = a trial that ended in P
    trials = pd.DataFrame(
        {"trial": np.arange(int(ending.sum())), "customer_id": subs.loc[ending, "customer_id"].to_numpy(),
         "trial_start": subs.loc[ending, "started_at"].to_numpy(), "trial_end": ended[ending].to_numpy()}
    )  # fmt: skip
    paid = ~trial & (subs["mrr"] > 0).to_numpy(dtype=bool, na_value=False)
    # a paid span that never began (a trial cancelled at its end) does not convert
    paid &= (ended.isna() | (ended > subs["started_at"])).to_numpy(dtype=bool)
    # one row = a paid (non-trial, mrr > 0, at least one day) subscription row
    paid_rows = pd.DataFrame(
        {"customer_id": subs.loc[paid, "customer_id"].to_numpy(), "paid_start": subs.loc[paid, "started_at"].to_numpy()}
    )
    pairs = trials.merge(paid_rows, on="customer_id")  # one row = a trial and a paid row of its customer
    deadline = pairs["trial_end"] + pd.Timedelta(days=grace_days)
    hit = (pairs["paid_start"] >= pairs["trial_start"]) & (pairs["paid_start"] <= deadline)
    n, k = len(trials), int(pairs.loc[hit, "trial"].nunique())
    value, interval, warnings = rate(k, n, what=T("trial conversion"), population=T("trials"))
    details = {"kind": "trial", "trials": n, "converted": k, "grace_days": grace_days, **interval}
    definition = T(
        "Trial conversion = trials (trial subscription rows, or the trial inside a row before its trial_ends_at, ending "
        "in the period, one per row) whose customer started a paid non-trial row (mrr > 0, at least one paid day) "
        "between the trial's start and {days} day(s) after its end, both included / trials x 100.",
        days=grace_days,
    )
    formula = T("{k} converted / {n} trials ended in the period x 100 = {value} %", k=k, n=n, value=fmt_num(value, 2))
    return MetricResult(
        "conversion", period, value, "percent", details, warnings=warnings, definition=definition, formula=formula
    )


def _lead_conversion(leads: pd.DataFrame, period: Period, window_days: int | None) -> MetricResult:
    created = leads["created_at"]
    inside = _between(created, period.start, period.end)  # one row = a lead created in P
    n = int(inside.sum())
    has_column = "converted_at" in leads
    if has_column:
        done = leads["converted_at"].notna()
        if window_days is not None:
            done &= leads["converted_at"] <= created + pd.Timedelta(days=window_days)
        k = int((inside & done.to_numpy(dtype=bool, na_value=False)).sum())
    else:
        k = 0
    value, interval, warnings = rate(k, n, what=T("lead conversion"), population=T("leads"))
    if not has_column:
        value = None
        warnings = [T("lead conversion is undefined: leads have no converted_at column (map it: sources.leads.columns.converted_at)")]
    details = {"kind": "leads", "leads": n, "converted": k, "window_days": window_days, **interval}
    window = T(" within {days} day(s) of creation", days=window_days) if window_days is not None else ""
    definition = T("Lead conversion = leads created in the period with converted_at set{window} / leads created x 100.", window=window)
    formula = T("{k} converted / {n} leads created in the period x 100 = {value} %", k=k, n=n, value=fmt_num(value, 2))
    return MetricResult(
        "conversion", period, value, "percent", details, warnings=warnings, definition=definition, formula=formula,
        filtered={"leads": {"created outside the period": int((~inside).sum())}},
    )  # fmt: skip


# --------------------------------------------------------------------------- referrals


def referrals(frames: dict[str, pd.DataFrame], period: Period, cfg: Config) -> MetricResult:
    """Referral rate, percent: referred new customers / new customers x 100.

    New customers = rows of customers.csv whose signup day is in P: created_at, else (empty or no
    column) the first paid day from subscriptions when they are given. Referred = those with
    referred_by. Rows: the top 10 referrers (referrer_id, referrer_name when customers.csv has
    names, referred_customers = new customers of P they referred), most referrals first, then by id.
    Undefined with no new customer in P, or when customers.csv has no referred_by column."""
    customers = frames["customers"]
    paying = mrr_rows(frames, cfg) if "subscriptions" in frames or "invoice_lines" in frames else None
    signup = _signup_days(customers, paying)
    new = _between(signup, period.start, period.end)  # one row = a customer who signed up in P
    has_column = "referred_by" in customers
    if has_column:
        ref = customers["referred_by"]
        referred = new & (ref.notna() & (ref.str.strip() != "")).to_numpy(dtype=bool, na_value=False)
    else:
        referred = np.zeros(len(customers), dtype=bool)
    n, k = int(new.sum()), int(referred.sum())
    value, interval, warnings = rate(k, n, what=T("referral rate"), population=T("new customers"))
    if not has_column:
        value = None
        warnings = [T("referral rate is undefined: customers.csv has no referred_by column (map it: sources.customers.columns.referred_by)")]
    rows = _top_referrers(customers, referred) if has_column else []
    referrers = len(_referrer_counts(customers, referred)) if has_column else 0
    details = {"new_customers": n, "referred_customers": k, "referrers": referrers, **interval}
    fallback = T(" (else the first paid day)") if "subscriptions" in frames or "invoice_lines" in frames else ""
    definition = T(
        "Referral rate = new customers (created_at{fallback} in the period) with referred_by set / new customers x 100; "
        "rows: the top {top} referrers by new customers referred in the period.",
        fallback=fallback, top=TOP_REFERRERS,
    )
    formula = T("{k} referred / {n} new customers x 100 = {value} %", k=k, n=n, value=fmt_num(value, 2))
    no_day = int(signup.isna().sum())
    filtered = {"customers": {"signed up outside the period": int((~new).sum()) - no_day, "no signup day": no_day}}
    return MetricResult(
        "referrals", period, value, "percent", details, rows=rows, warnings=warnings, definition=definition,
        formula=formula, filtered=filtered,
    )  # fmt: skip


def _signup_days(customers: pd.DataFrame, rows: pd.DataFrame | None) -> pd.Series:
    """Each customer's signup day: created_at, else the first paid day when the rows MRR comes from are given."""
    if "created_at" in customers:
        created = customers["created_at"]
    else:
        created = pd.Series(pd.NaT, index=customers.index, dtype="datetime64[us]")
    if rows is None:
        return created
    first_paid = first_paid_day(rows, pd.Index(customers["customer_id"]))
    return created.where(created.notna(), pd.Series(first_paid, index=customers.index).astype(created.dtype))


def _referrer_counts(customers: pd.DataFrame, referred: np.ndarray) -> pd.Series:
    return customers.loc[referred, "referred_by"].str.strip().value_counts()


def _top_referrers(customers: pd.DataFrame, referred: np.ndarray) -> list[dict]:
    counts = _referrer_counts(customers, referred)
    top = pd.DataFrame({"referrer_id": counts.index.astype(str), "referred_customers": counts.to_numpy(dtype="int64")})
    top = top.sort_values(["referred_customers", "referrer_id"], ascending=[False, True], kind="stable").head(TOP_REFERRERS)
    if "name" in customers:
        names = customers.drop_duplicates("customer_id").set_index("customer_id")["name"]
        top.insert(1, "referrer_name", names.reindex(top["referrer_id"]).to_numpy())
    top = top.astype(object)
    return top.where(top.notna(), None).to_dict("records")
