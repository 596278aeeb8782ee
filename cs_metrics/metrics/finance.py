"""Finance views of recurring revenue: the quick ratio, revenue concentration and plan migration.

MRR stays int64 in load.MRR_SCALE units until the last step, as in revenue.py."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cs_metrics.config import Config
from cs_metrics.i18n import T
from cs_metrics.metrics._ratio import fmt_money, fmt_num, safe_ratio
from cs_metrics.metrics._state import _spans, as_day, money_array, mrr_based, mrr_grid, mrr_rows, settle, to_money
from cs_metrics.metrics.revenue import mrr_bridge
from cs_metrics.period import Period
from cs_metrics.result import MetricResult, records

NO_PLAN = "(none)"  # the from-plan of a customer not paying at the opening, the to-plan of one not paying at the closing
PLAN_MISSING = "(no plan)"  # a paying row whose plan cell is empty


# --------------------------------------------------------------------------- quick ratio


@mrr_based
def quick_ratio(frames: dict[str, pd.DataFrame], period: Period, cfg: Config) -> MetricResult:
    """SaaS quick ratio, unit ratio: (new + reactivation + expansion MRR) / (contraction + churn MRR),
    the movements of the MRR bridge summed over the steps of P exactly as `mrr` reports them.
    Above 1, P gained more recurring revenue than it lost; 4 is the usual mark of efficient growth.
    Details: gained_mrr, lost_mrr and each movement. No config keys. Undefined when nothing was
    lost (contraction + churn = 0), growth or not."""
    from cs_metrics.profiles import in_force

    b = mrr_bridge(mrr_rows(frames, cfg), period, in_force(cfg))  # MRR units, summed over the steps of P
    gained = b["new"] + b["reactivation"] + b["expansion"]
    lost = b["contraction"] + b["churn"]
    what = T("the quick ratio (no MRR was lost in {start}..{end}: contraction + churn = 0)", start=period.start, end=period.end)
    value, why = safe_ratio(gained, lost, what=what)
    details: dict = {"gained_mrr": to_money(gained), "lost_mrr": to_money(lost)}
    for name in ("new", "reactivation", "expansion", "contraction", "churn"):
        details[f"{name}_mrr"] = to_money(b[name])
    details.update(opening_mrr=to_money(b["opening"]), closing_mrr=to_money(b["closing"]))
    if cfg.currency.base:
        details["currency"] = cfg.currency.base
    d = details
    return MetricResult(
        "quick-ratio",
        period,
        value,
        "ratio",
        details,
        warnings=[why] if why else [],
        definition=T(
            "Quick ratio: MRR gained (new + reactivation + expansion) / MRR lost (contraction + churn), the "
            "movements of the MRR bridge summed over the {steps} step(s) of the period (opening, "
            "each month end, closing), customer by customer as `mrr` counts them. Undefined when nothing was lost.",
            steps=len(period.steps()),
        ),
        formula=T(
            "(new {new} + reactivation {reactivation} + expansion {expansion}) / (contraction {contraction} + churn "
            "{churn}) = {gained} / {lost} = {value}",
            new=fmt_money(d["new_mrr"]), reactivation=fmt_money(d["reactivation_mrr"]), expansion=fmt_money(d["expansion_mrr"]),
            contraction=fmt_money(d["contraction_mrr"]), churn=fmt_money(d["churn_mrr"]), gained=fmt_money(d["gained_mrr"]),
            lost=fmt_money(d["lost_mrr"]), value=fmt_num(value, 2),
        ),
    )


# --------------------------------------------------------------------------- revenue concentration


@mrr_based
def concentration(frames: dict[str, pd.DataFrame], period: Period, cfg: Config, rows: bool = False) -> MetricResult:
    """Revenue concentration at the closing snapshot, percent: the share of closing MRR held by the
    top N paying customers (config `metrics.concentration.top`, default 10).

    Paying customers are ranked by closing MRR, largest first; customers with the same MRR are
    ordered by customer_id, which decides who is listed but never a share (tied customers hold the
    same MRR). Top decile = the ceil(n / 10) largest of the n paying customers, so at least one
    (n = 5 -> 1, n = 11 -> 2, n = 364 -> 37); with fewer than N customers the top N are all of them.
    HHI (Herfindahl-Hirschman index) = sum over customers of (share in percent)^2, 0..10,000
    (10,000: a single customer); effective_customers = 10,000 / HHI, the number of equal customers
    that would give the same index. `rows=True` lists the top max(N, decile) customers with their
    rank (tied customers share the better rank), MRR, share and cumulative share, and name when
    customers.csv has one. Undefined when no customer pays at the closing snapshot."""
    top = cfg.metrics.concentration.top
    paying = mrr_rows(frames, cfg)  # one row = a paying subscription period, or an invoice line
    customers, grid = mrr_grid(paying, [period.closing])
    held = grid[:, 0] > 0  # one grid row = a customer; held = paying at the closing snapshot
    ids, mrr = customers[held], grid[held, 0]
    order = np.argsort(-mrr, kind="stable")  # largest first; ids are sorted, so ties keep id order
    ranked = mrr[order]
    n, total = len(ranked), int(ranked.sum())
    n_top, n_decile = min(top, n), -(-n // 10)
    why_undefined = T("concentration (no customer was paying at the end of {day})", day=period.closing)
    top_share, why = safe_ratio(int(ranked[:n_top].sum()), total, scale=100, what=why_undefined)
    decile_share, _ = safe_ratio(int(ranked[:n_decile].sum()), total, scale=100)
    largest_share, _ = safe_ratio(int(ranked[:1].sum()), total, scale=100)
    hhi = float(np.square(ranked / total * 100).sum()) if total else None
    effective = safe_ratio(10_000, hhi)[0] if hhi else None
    details: dict = {
        "paying_customers": n,
        "closing_mrr": to_money(total),
        "top_customers": top,
        "top_share_pct": top_share,
        "top_decile_customers": n_decile,
        "top_decile_share_pct": decile_share,
        "largest_share_pct": largest_share,
        "hhi": hhi,
        "effective_customers": effective,
    }
    if cfg.currency.base:
        details["currency"] = cfg.currency.base
    warnings = [why] if why else []
    if 0 < n <= top:
        warnings.append(T("only {n} customers were paying at the end of {day}: the top {top} are all of them", n=n, day=period.closing, top=top))
    listing = _top_rows(frames, ids.to_numpy()[order], ranked, total, max(top, n_decile)) if rows else None
    return MetricResult(
        "concentration",
        period,
        top_share,
        "percent",
        details,
        rows=listing,
        warnings=warnings,
        definition=T(
            "Revenue concentration at the end of {day}: share of the closing MRR held by the top {top} "
            "paying customers (metrics.concentration.top) and by the top decile (the ceil(n / 10) largest of the n "
            "paying customers); customers ranked by MRR, ties in customer_id order (a tie never changes a share). "
            "HHI = sum of each customer's share in percent squared (0..10,000); effective customers = 10,000 / HHI.",
            day=period.closing, top=top,
        ),
        formula=T(
            "top {top}: {share} % of {mrr}; top decile ({decile} of {n} customers): {decile_share} %; HHI {hhi} "
            "(effective customers {effective})",
            top=n_top, share=fmt_num(top_share, 2), mrr=fmt_money(details["closing_mrr"]), decile=n_decile, n=n,
            decile_share=fmt_num(decile_share, 2), hhi=fmt_num(hhi, 0), effective=fmt_num(effective, 1),
        ),
    )


def _top_rows(frames, ids: np.ndarray, ranked: np.ndarray, total: int, k: int) -> list[dict]:
    """The k largest customers (ids and MRR units largest first): rank (ties share the better one)."""
    ids, ranked = ids[:k], ranked[:k]
    # competition rank: 1 + the number of customers with more MRR (ties share it: 1, 2, 2, 4)
    rank = np.searchsorted(-ranked, -ranked, side="left") + 1
    frame = pd.DataFrame({"rank": rank, "customer_id": ids})
    names = frames.get("customers")
    if names is not None and "name" in names:
        first = names.drop_duplicates("customer_id").set_index("customer_id")["name"]
        frame["name"] = first.reindex(ids).astype(object).where(lambda x: x.notna(), None).to_numpy()
    frame["mrr"] = money_array(ranked)
    frame["share_pct"] = ranked / total * 100
    frame["cumulative_share_pct"] = np.cumsum(ranked) / total * 100
    return records(frame)


# --------------------------------------------------------------------------- plan migration


def plans_at(rows: pd.DataFrame, day) -> pd.DataFrame:
    """Each customer paying at the end of `day`: its MRR (units) and its plan, the plan of its
    largest active row (ties: the row started last, then the plan name first in order). Invoice lines
    settle as in mrr_grid (credits count in the sum; within the cent rounding it is 0)."""
    start, end = _spans(rows)
    active = (start <= as_day(day)) & (end > as_day(day))
    # one row = a paying subscription row active at the end of `day`
    live = pd.DataFrame(
        {
            "customer_id": rows["customer_id"].to_numpy()[active],
            "mrr": rows["mrr"].to_numpy(dtype="int64")[active],
            "started_at": rows["started_at"].to_numpy()[active],
            "plan": rows["plan"].astype(object).where(rows["plan"].notna(), PLAN_MISSING).to_numpy()[active],
            "tolerance": rows["tolerance"].to_numpy(dtype="int64")[active] if "tolerance" in rows else 0,
        }
    )
    ordered = live.sort_values(["customer_id", "mrr", "started_at", "plan"], ascending=[True, False, False, True], kind="stable")
    plan = ordered.drop_duplicates("customer_id").set_index("customer_id")["plan"]
    sums = live.groupby("customer_id")[["mrr", "tolerance"]].sum()
    mrr = pd.Series(settle(sums["mrr"].to_numpy(dtype="int64"), sums["tolerance"].to_numpy(dtype="int64")), index=sums.index)
    out = pd.DataFrame({"mrr": mrr, "plan": plan})
    return out.loc[out["mrr"] > 0]


@mrr_based
def plan_migration(frames: dict[str, pd.DataFrame], period: Period, cfg: Config) -> MetricResult:
    """Plan migration, a from-plan x to-plan matrix between the opening and closing snapshots; value:
    the customers paying at both whose plan changed (count).

    A customer's plan at a snapshot is the `plan` of its largest non-trial subscription row (or invoice
    line, under revenue_source: invoice_lines) active then
    (a customer with several plans at once, e.g. a base plan and an add-on, counts under the larger;
    equal MRR: the row started last, then the plan name first in alphabetical order); an empty plan
    cell is "(no plan)". From-plan "(none)": not paying at the opening (new or reactivated); to-plan
    "(none)": not paying at the closing (churned). Rows, one per (from, to) cell with customers:
    customers, opening_mrr, closing_mrr and change_mrr of the customers in the cell; plans in
    alphabetical order, "(none)" last. Details: opening and closing paying customers, stayed, moved
    (with upgraded = moved to a higher MRR, downgraded = moved to a lower one), new, churned. No
    config keys. Never undefined: no customer gives 0."""
    rows = mrr_rows(frames, cfg)  # one row = a paying subscription period, or an invoice line with its plan
    opening, closing = plans_at(rows, period.opening), plans_at(rows, period.closing)
    # one row = a customer paying at the opening or at the closing snapshot
    both = opening.merge(closing, how="outer", left_index=True, right_index=True, suffixes=("_opening", "_closing"))
    both = both.fillna({"plan_opening": NO_PLAN, "plan_closing": NO_PLAN, "mrr_opening": 0, "mrr_closing": 0})
    was, now = both["plan_opening"], both["plan_closing"]
    o_units, c_units = both["mrr_opening"].astype("int64"), both["mrr_closing"].astype("int64")
    paying_both = (was != NO_PLAN) & (now != NO_PLAN)
    moved = paying_both & (was != now)
    cells = (
        pd.DataFrame({"from_plan": was, "to_plan": now, "opening": o_units, "closing": c_units})
        .groupby(["from_plan", "to_plan"], sort=False)
        .agg(customers=("opening", "size"), opening=("opening", "sum"), closing=("closing", "sum"))
        .reset_index()
    )
    cells = cells.assign(_f=cells["from_plan"] == NO_PLAN, _t=cells["to_plan"] == NO_PLAN)
    cells = cells.sort_values(["_f", "from_plan", "_t", "to_plan"], kind="stable")
    listing = pd.DataFrame(
        {
            "from_plan": cells["from_plan"].to_numpy(dtype=object),
            "to_plan": cells["to_plan"].to_numpy(dtype=object),
            "customers": cells["customers"].to_numpy(dtype="int64"),
            "opening_mrr": money_array(cells["opening"].to_numpy()),
            "closing_mrr": money_array(cells["closing"].to_numpy()),
            "change_mrr": money_array((cells["closing"] - cells["opening"]).to_numpy()),
        }
    ).to_dict("records")
    n_moved = int(moved.sum())
    details: dict = {
        "opening_customers": len(opening),
        "closing_customers": len(closing),
        "stayed_customers": int((paying_both & ~moved).sum()),
        "moved_customers": n_moved,
        "upgraded_customers": int((moved & (c_units > o_units)).sum()),
        "downgraded_customers": int((moved & (c_units < o_units)).sum()),
        "moved_change_mrr": to_money(int((c_units - o_units)[moved].sum())),
        "new_customers": int((was == NO_PLAN).sum()),
        "churned_customers": int((now == NO_PLAN).sum()),
    }
    if cfg.currency.base:
        details["currency"] = cfg.currency.base
    d = details
    return MetricResult(
        "plan-migration",
        period,
        n_moved,
        "count",
        details,
        rows=listing,
        definition=T(
            "Plan migration from the end of {opening} to the end of {closing}: each customer's plan "
            "at a snapshot is the plan of its largest active non-trial subscription row (equal MRR: the row started "
            "last, then the first plan name); (none) = not paying (from: new or reactivated; to: churned). The "
            "value counts the customers paying at both snapshots whose plan changed.",
            opening=period.opening, closing=period.closing,
        ),
        formula=T(
            "{opening} paying at opening = {stayed} stayed + {moved} moved ({up} to a higher MRR, {down} to a lower) + "
            "{churned} churned; {closing} paying at closing include {new} new or reactivated",
            opening=d["opening_customers"], stayed=d["stayed_customers"], moved=n_moved, up=d["upgraded_customers"],
            down=d["downgraded_customers"], churned=d["churned_customers"], closing=d["closing_customers"],
            new=d["new_customers"],
        ),
    )
