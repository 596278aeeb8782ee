"""Revenue metrics: MRR and its movements, ARPU, revenue retention (NDR, GRR, revenue churn and
growth of the starting cohort) and the renewal rate.

All MRR is int64 in load.MRR_SCALE units and invoice money int64 in load.MONEY_SCALE units until
the last step, so sums and the identities between the retention metrics are exact."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from cs_metrics.config import Config
from cs_metrics.errors import UsageError
from cs_metrics.i18n import T
from cs_metrics.load import MONEY_SCALE
from cs_metrics.metrics._ratio import SMALL_SAMPLE, fmt_money, fmt_num, rate, safe_ratio
from cs_metrics.metrics._state import _spans as _state_spans
from cs_metrics.metrics._state import (
    as_mrr_rows,
    first_paid_day,
    money_array,
    mrr_based,
    mrr_grid,
    mrr_rows,
    revenue_source,
    settle,
    state_grid,
    to_money,
    with_customer_dates,
)
from cs_metrics.metrics._window import trailing, window_label, window_words
from cs_metrics.period import Period
from cs_metrics.result import MetricResult

MOVEMENTS = ("new", "reactivation", "expansion", "contraction", "churn")
_ROWS_WORDS = {
    "subscriptions": T("non-trial subscription rows"),
    "invoice_lines": T("invoice lines (over their service periods)"),
}


# --------------------------------------------------------------------------- MRR and its movements


class _Steps(NamedTuple):
    """The MRR of every customer at each snapshot of P and the movement of each customer-step."""

    customers: pd.Index  # sorted customer ids, one per grid row
    grid: np.ndarray  # customers x snapshots, MRR units
    masks: dict[str, np.ndarray]  # movement -> customers x steps, True where that step is that movement
    amounts: dict[str, np.ndarray]  # movement -> customers x steps, the amount if the step is that movement
    active: np.ndarray | None = None  # customers x snapshots: a customer (paying, or free by the definitions)
    fx: np.ndarray | None = None  # customers x steps: the MRR change from exchange rates (definitions.fx_movement)


def _steps(rows: pd.DataFrame, period: Period, defs=None) -> _Steps:
    """`rows` = mrr_rows(frames, cfg) (or a subscriptions table): one row = a span with a monthly MRR.
    `defs`: the definitions in force (cs_metrics.profiles.in_force); None = cs-metrics' own."""
    from cs_metrics.profiles import defaults

    defs = defs or defaults()
    rows = as_mrr_rows(rows)
    snapshots = period.snapshots()
    # customers x snapshot dates: MRR units, and whether the customer is one (paying, or free and counted)
    customers, grid, active = state_grid(rows, snapshots, defs.free_customers)
    a, b = grid[:, :-1], grid[:, 1:]  # each column one step
    on_a, on_b = active[:, :-1], active[:, 1:]
    fx = _fx_steps(rows, customers, snapshots, grid) if defs.fx_movement else None
    if fx is not None:
        fx = np.where(on_a & on_b, fx, 0)
        b = b - fx  # each closing at the opening's exchange rates: the rest of the change is the customer's
    step_starts = np.array([np.datetime64(d, "D") for d in snapshots[:-1]])
    paid_before = first_paid_day(rows, customers)[:, None] <= step_starts[None, :]
    if defs.reactivation_days is not None:
        paid_before &= _returned_within(rows, customers, snapshots, defs.reactivation_days)
    masks = {
        "new": ~on_a & on_b & ~paid_before,
        "reactivation": ~on_a & on_b & paid_before,
        "expansion": on_a & on_b & (b > a),
        "contraction": on_a & on_b & (b < a),
        "churn": on_a & ~on_b,
    }
    amounts = {"new": b, "reactivation": b, "expansion": b - a, "contraction": a - b, "churn": a}
    if defs.same_period_churn != "excluded":
        inside, worth = _inside(rows, customers, snapshots, active)  # paying only inside a step: new and churn
        if inside.any():
            masks["new"] = masks["new"] | (inside & ~paid_before)
            masks["reactivation"] = masks["reactivation"] | (inside & paid_before)
            masks["churn"] = masks["churn"] | inside
            amounts = {k: v.copy() for k, v in amounts.items()}
            for name in ("new", "reactivation", "churn"):
                amounts[name][inside] = worth[inside]
    return _Steps(customers, grid, masks, amounts, active, fx)


def _fx_steps(rows: pd.DataFrame, customers: pd.Index, snapshots: list, grid: np.ndarray) -> np.ndarray | None:
    """Per customer and step, the part of its MRR change that exchange rates made: for each of its
    currencies, the closing MRR less the closing own-currency MRR at the opening's rate (closing native x
    opening MRR / opening native); None when the rows are in one currency."""
    if "native_mrr" not in rows or "currency" not in rows:
        return None
    pairs, labels = pd.factorize(pd.MultiIndex.from_arrays([rows["customer_id"], rows["currency"].fillna("")]))
    start, end = _state_spans(rows)
    base = rows["mrr"].to_numpy(dtype="int64")
    native = rows["native_mrr"].to_numpy(dtype="int64")
    B = np.zeros((len(labels), len(snapshots)), dtype="int64")
    N = np.zeros((len(labels), len(snapshots)), dtype="int64")
    for j, d in enumerate(snapshots):
        # one row = a row active at the end of day d, summed per (customer, currency)
        on = (start <= np.datetime64(d, "D")) & (end > np.datetime64(d, "D"))
        np.add.at(B[:, j], pairs[on], base[on])
        np.add.at(N[:, j], pairs[on], native[on])
    Ba, Bb, Na, Nb = B[:, :-1], B[:, 1:], N[:, :-1], N[:, 1:]
    both = (Na != 0) & (Nb != 0)
    at_opening_rate = np.rint(Nb.astype("float64") * Ba / np.where(Na == 0, 1, Na)).astype("int64")
    per_pair = np.where(both, Bb - at_opening_rate, 0)
    owner = customers.get_indexer(labels.get_level_values(0))
    fx = np.zeros((len(customers), len(snapshots) - 1), dtype="int64")
    np.add.at(fx, owner, per_pair)
    a, b = grid[:, :-1], grid[:, 1:]
    return np.where((a > 0) & (b > 0) & (b - fx > 0), fx, 0)


def _returned_within(rows: pd.DataFrame, customers: pd.Index, snapshots: list, days: int) -> np.ndarray:
    """customers x steps: whether a customer paying at the step's end came back within `days` of its last
    paid day before it (the first day of its returning rows - the end of its last earlier row)."""
    paying = rows.loc[rows["mrr"] > 0]
    start, end = _state_spans(paying)
    who = customers.get_indexer(paying["customer_id"])
    out = np.zeros((len(customers), len(snapshots) - 1), dtype=bool)
    for j in range(len(snapshots) - 1):
        a, b = np.datetime64(snapshots[j], "D"), np.datetime64(snapshots[j + 1], "D")
        back = (start > a) & (start <= b) & (end > b)  # one row = a row of a return inside this step
        returned = pd.Series(start[back]).groupby(who[back]).min()
        before = end <= a  # one row = a row that had ended by the step's start
        left = pd.Series(end[before]).groupby(who[before]).max()
        gap = (returned - left.reindex(returned.index)).dt.days
        soon = gap.index[(gap <= days).to_numpy(dtype=bool, na_value=False)]
        out[soon.to_numpy(dtype="int64"), j] = True
    return out


def _inside(rows: pd.DataFrame, customers: pd.Index, snapshots: list, active: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(customers x steps mask, MRR): customers who were customers at neither end of a step but paid on
    some day inside it, with their MRR on the first day they paid in it."""
    paying = rows.loc[rows["mrr"] > 0]
    start, end = _state_spans(paying)
    who = customers.get_indexer(paying["customer_id"])
    mrr = paying["mrr"].to_numpy(dtype="int64")
    mask = np.zeros((len(customers), len(snapshots) - 1), dtype=bool)
    worth = np.zeros(mask.shape, dtype="int64")
    for j in range(len(snapshots) - 1):
        a, b = np.datetime64(snapshots[j], "D"), np.datetime64(snapshots[j + 1], "D")
        within = (end > a + 1) & (start <= b)  # one row = a paying row with a day in (a, b]
        first = pd.Series(np.maximum(start[within], a + 1)).groupby(who[within]).min()  # each customer's first paid day in the step
        first = first[~active[first.index.to_numpy(), j] & ~active[first.index.to_numpy(), j + 1]]
        if first.empty:
            continue
        day = first.reindex(who).to_numpy(dtype="datetime64[D]")  # aligned to the rows; NaT for other customers
        on = ~np.isnat(day) & (start <= day) & (end > day)  # one row = a row active on its customer's first paid day
        sums = np.zeros(len(customers), dtype="int64")
        np.add.at(sums, who[on], mrr[on])
        ids = first.index.to_numpy(dtype="int64")
        hit = sums[ids] > 0
        mask[ids[hit], j] = True
        worth[ids[hit], j] = sums[ids[hit]]
    return mask, worth


def _bridge_totals(st: _Steps) -> dict[str, int]:
    grid = st.grid
    active = st.active if st.active is not None else grid > 0
    out = {
        "opening": int(grid[:, 0].sum()),
        "closing": int(grid[:, -1].sum()),
        "opening_customers": int(active[:, 0].sum()),
        "closing_customers": int(active[:, -1].sum()),
    }
    for name, mask in st.masks.items():
        out[f"{name}"] = int(st.amounts[name][mask].sum())
        out[f"{name}_count"] = int(mask.sum())
        out[f"{name}_customers"] = int(mask.any(axis=1).sum())
    if st.fx is not None:
        out["fx"] = int(st.fx.sum())
        out["fx_count"] = int((st.fx != 0).sum())
        out["fx_customers"] = int((st.fx != 0).any(axis=1).sum())
    return out


def mrr_bridge(rows: pd.DataFrame, period: Period, defs=None) -> dict[str, int]:
    """Opening and closing MRR and the five movements summed over the steps of P, in MRR units.

    For each customer and step from a (MRR at the step's start) to b (at its end):
    a=0<b new, or reactivation when the customer paid on some day on or before the step's start;
    a>0=b churn (a); both > 0: b>a expansion (b-a), b<a contraction (a-b).
    Identity, exact: opening + new + reactivation + expansion - contraction - churn = closing.
    `rows` = mrr_rows(frames, cfg) (or a subscriptions table). `defs` (the definitions in force) may
    count free customers, customers paying only inside a step, a return after N days as new, and an
    `fx` line (closing = the sum above + fx): see _steps."""
    return _bridge_totals(_steps(rows, period, defs))


def _mrr_rows(st: _Steps) -> list[dict]:
    """One row per customer with MRR at the opening or closing snapshot or with a movement: opening and
    closing MRR, the movements of its steps in time order joined with '+', and each movement's amount
    summed over the steps (so each amount column sums to the movement's total)."""
    label = np.full(st.masks["new"].shape, "", dtype=object)  # customers x steps
    for name in MOVEMENTS:  # disjoint, except new (or reactivation) + churn inside one step
        mask = st.masks[name]
        label[mask] = label[mask] + np.where(label[mask] != "", "+", "").astype(object) + name
    if st.fx is not None:
        moved = st.fx != 0
        label[moved] = label[moved] + np.where(label[moved] != "", "+", "").astype(object) + "fx"
    joined = label[:, 0]
    for j in range(1, label.shape[1]):  # one pass per step (a handful), not per row
        step = label[:, j]
        joined = joined + np.where((joined != "") & (step != ""), "+", "").astype(object) + step
    grid = st.grid
    active = st.active if st.active is not None else grid > 0
    keep = active[:, 0] | active[:, -1] | (joined != "")
    per_customer = {name: np.where(st.masks[name], st.amounts[name], 0).sum(axis=1) for name in MOVEMENTS}
    columns = {f"{name}_mrr": money_array(per_customer[name][keep]) for name in MOVEMENTS}
    if st.fx is not None:
        columns["fx_mrr"] = money_array(st.fx.sum(axis=1)[keep])
    frame = pd.DataFrame(
        {
            "customer_id": st.customers.to_numpy()[keep],
            "opening_mrr": money_array(grid[keep, 0]),
            "closing_mrr": money_array(grid[keep, -1]),
            "movements": np.where(joined[keep] == "", "flat", joined[keep]),
            **columns,
        }
    )
    return frame.to_dict("records")


def _matrix_rows(st: _Steps, period: Period) -> list[dict]:
    """The customer x month MRR matrix: one row per customer with MRR at some snapshot of P, one column
    per snapshot (opening, each month end, closing) named by its date, sorted by customer_id."""
    keep = (st.grid > 0).any(axis=1)
    columns = {d.isoformat(): money_array(st.grid[keep, j]) for j, d in enumerate(period.snapshots())}
    return pd.DataFrame({"customer_id": st.customers.to_numpy()[keep], **columns}).to_dict("records")


@mrr_based
def mrr(
    frames: dict[str, pd.DataFrame], period: Period, cfg: Config, rows: bool = False, matrix: bool = False
) -> MetricResult:
    """Closing MRR: sum of MRR_c at the closing snapshot. Details: opening MRR, ARR (12 x closing),
    paying customers at opening and closing, and the five movements (amount, customer-steps,
    distinct customers). `rows=True` lists each customer with MRR at opening or closing or with a
    movement (from subscriptions also its canceled_at and ended_at: see _state.customer_dates).
    `matrix=True` lists instead the customer x month MRR matrix: one row per customer with MRR at some snapshot, one column per snapshot of P (the opening, each month end, the closing),
    named by its date. Never undefined: no paying customer gives 0 MRR."""
    if rows and matrix:
        raise UsageError("--rows and --matrix cannot be combined", "Pick one: --rows for movements, --matrix for MRR per month")
    from cs_metrics.profiles import in_force

    defs = in_force(cfg)
    st = _steps(mrr_rows(frames, cfg), period, defs)
    bridge = _bridge_totals(st)
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
    if "fx" in bridge:  # definitions.fx_movement: the change from exchange rates is its own line
        details.update(fx_mrr=to_money(bridge["fx"]), fx_count=bridge["fx_count"], fx_customers=bridge["fx_customers"])
    if cfg.currency.base:
        details["currency"] = cfg.currency.base
    steps = len(period.snapshots()) - 1
    d = details
    money = dict(
        opening=fmt_money(opening), new=fmt_money(d["new_mrr"]), reactivation=fmt_money(d["reactivation_mrr"]),
        expansion=fmt_money(d["expansion_mrr"]), contraction=fmt_money(d["contraction_mrr"]), churn=fmt_money(d["churn_mrr"]),
        closing=fmt_money(closing), customers=d["closing_customers"], day=period.closing, arr=fmt_money(d["arr"]),
    )  # fmt: skip
    if "fx_mrr" in d:  # definitions.fx_movement: the change from exchange rates is its own line
        formula = T(
            "opening {opening} + new {new} + reactivation {reactivation} + expansion {expansion} - contraction "
            "{contraction} - churn {churn} + fx {fx} = closing {closing} ({customers} paying customers on {day}); "
            "ARR = 12 x {closing} = {arr}",
            fx=fmt_money(d["fx_mrr"]), **money,
        )
    else:
        formula = T(
            "opening {opening} + new {new} + reactivation {reactivation} + expansion {expansion} - contraction "
            "{contraction} - churn {churn} = closing {closing} ({customers} paying customers on {day}); ARR = 12 x {closing} "
            "= {arr}",
            **money,
        )
    definition = T(
        "MRR on a day = sum of the monthly recurring revenue of {rows} active that day "
        "(started_at <= day < ended_at). Closing MRR is taken at the end of {closing}, opening at the "
        "end of {opening}. Movements are summed over {steps} step(s) (opening, each month end, closing), "
        "customer by customer: 0 -> >0 new (reactivation if the customer paid before), >0 -> 0 churn, "
        "up expansion, down contraction.",
        rows=_ROWS_WORDS[revenue_source(frames, cfg)], closing=period.closing, opening=period.opening, steps=steps,
    ) + _movement_words(defs)
    listing = _mrr_rows(st) if rows else _matrix_rows(st, period) if matrix else None
    if rows and revenue_source(frames, cfg) == "subscriptions":
        with_customer_dates(listing, frames["subscriptions"], period.closing)
    return MetricResult("mrr", period, closing, "money", details, rows=listing, definition=definition, formula=formula)


def _movement_words(defs) -> str:
    """What the definitions in force change in the movements, for --explain."""
    words = ""
    if defs.free_customers != "excluded":
        words += T(
            " definitions.free_customers: {value}: a customer without MRR (a trial, 100 % off, a free plan) can "
            "count as a customer.",
            value=defs.free_customers,
        )
    if defs.same_period_churn != "excluded":
        words += T(
            " A customer paying only inside a step counts as new (or reactivation) and as churn, at its MRR on its "
            "first paid day."
        )
    if defs.reactivation_days is not None:
        words += T(" A return within {n} days of leaving is reactivation, a later one is new.", n=defs.reactivation_days)
    if defs.fx_movement:
        words += T(
            " The change of a customer's MRR from exchange rates (its closing own-currency MRR at the opening's rate, "
            "against its closing MRR) is the fx line, not expansion or contraction."
        )
    return words


# --------------------------------------------------------------------------- ARPU


@mrr_based
def arpu(frames: dict[str, pd.DataFrame], period: Period, cfg: Config) -> MetricResult:
    """Average revenue per customer, money.

    config `metrics.arpu.basis`: `mrr` (what `auto` picks with an MRR source: subscriptions, or invoice
    lines): closing MRR / customers paying at the closing snapshot. `revenue` (what `auto` picks without):
    invoice revenue issued in P (every invoice, credit notes netted) / average active customers in
    P, the mean of the paying counts at the opening, each month-end and the closing snapshot (P's
    snapshots); without subscriptions, the distinct customers with a positive invoice issued in P.
    Revenue per customer is for the whole period (a quarter's revenue for a quarter).
    Undefined when the denominator is 0 (no paying, or no invoiced, customer)."""
    basis = cfg.metrics.arpu.basis
    if basis == "auto":
        basis = "mrr" if "subscriptions" in frames or "invoice_lines" in frames else "revenue"
    result = _arpu_mrr(frames, period, cfg) if basis == "mrr" else _arpu_revenue(frames, period, cfg)
    if cfg.currency.base:
        result.details["currency"] = cfg.currency.base
    return result


def _arpu_mrr(frames: dict[str, pd.DataFrame], period: Period, cfg: Config) -> MetricResult:
    rows = mrr_rows(frames, cfg)  # one row = a paying subscription period, or an invoice line
    _, grid = mrr_grid(rows, [period.closing])
    closing, paying = int(grid[:, 0].sum()), int((grid[:, 0] > 0).sum())
    per_customer, why = safe_ratio(closing, paying, what=T("ARPU (no customer paying at the end of {day})", day=period.closing))
    value = None if per_customer is None else to_money(per_customer)
    details = {"basis": "mrr", "closing_mrr": to_money(closing), "closing_customers": paying}
    return MetricResult(
        "arpu",
        period,
        value,
        "money",
        details,
        warnings=[why] if why else [],
        definition=T(
            "ARPU, basis mrr: MRR at the end of {day} ({rows} active that day) / customers paying that day.",
            day=period.closing, rows=_ROWS_WORDS[revenue_source(frames, cfg)],
        ),
        formula=T(
            "closing MRR {mrr} / {paying} paying customers = {value}",
            mrr=fmt_money(details["closing_mrr"]), paying=paying, value=fmt_money(value),
        ),
    )


def _arpu_revenue(frames: dict[str, pd.DataFrame], period: Period, cfg: Config) -> MetricResult:
    inv = frames["invoices"]
    issued = inv["issued_at"]
    inside = (issued >= pd.Timestamp(period.start)) & (issued <= pd.Timestamp(period.end))
    in_p = inv.loc[inside]  # one row = an invoice or credit note issued in P
    revenue = int(in_p["amount"].sum())  # MONEY_SCALE units, credit notes netted
    details: dict = {"basis": "revenue", "invoice_revenue": round(revenue / MONEY_SCALE, 6), "invoices": len(in_p)}
    refunds = ""
    if "amount_refunded" in in_p:  # a payments export: refunds are netted from the amounts at load
        refunded = int(in_p["amount_refunded"].fillna(0).sum())
        details["refunds_netted"] = round(refunded / MONEY_SCALE, 6)
        refunds = T(", refunds {refunds} netted", refunds=fmt_money(details["refunds_netted"]))
    if "subscriptions" in frames or "invoice_lines" in frames:
        snapshots = period.snapshots()
        _, grid = mrr_grid(mrr_rows(frames, cfg), snapshots)
        paying = (grid > 0).sum(axis=0)  # one count per snapshot
        customer_days, n_snapshots = int(paying.sum()), len(snapshots)
        details.update(
            customer_source="paying at each snapshot",
            opening_customers=int(paying[0]),
            closing_customers=int(paying[-1]),
            snapshots=n_snapshots,
        )
        counts = " + ".join(str(int(c)) for c in paying)
        average_text = T("({counts}) / {n} snapshots", counts=counts, n=n_snapshots)
        whom = T("the mean of the paying-customer counts at the {n} snapshots (opening, month ends, closing)", n=n_snapshots)
    else:
        buyers = in_p.loc[in_p["amount"] > 0, "customer_id"].nunique()  # customers with a positive invoice in P
        customer_days, n_snapshots = int(buyers), 1
        details["customer_source"] = "invoiced in the period"
        average_text = T("{n} customers invoiced", n=buyers)
        whom = T("the distinct customers with a positive invoice issued in the period")
    average, _ = safe_ratio(customer_days, n_snapshots)
    details["average_customers"] = average
    # revenue / (customer_days / n_snapshots), in currency: one exact division of integers
    value, why = safe_ratio(
        revenue * n_snapshots, customer_days * MONEY_SCALE, what=T("ARPU (no active customer in the period)")
    )
    value = None if value is None else round(value, 6)
    return MetricResult(
        "arpu",
        period,
        value,
        "money",
        details,
        warnings=[why] if why else [],
        filtered={"invoices": {"outside the period": int((~inside).sum())}},
        definition=T(
            "ARPU, basis revenue: invoice revenue issued {start}..{end} (every invoice, credit notes "
            "and refunds netted) / average active customers, {whom}. Revenue per customer over the whole period.",
            start=period.start, end=period.end, whom=whom,
        ),
        formula=T(
            "revenue {revenue} ({invoices} invoices{refunds}) / average customers {average} ({average_text}) = {value}",
            revenue=fmt_money(details["invoice_revenue"]), invoices=len(in_p), refunds=refunds, average=fmt_num(average, 2),
            average_text=average_text, value=fmt_money(value),
        ),
    )


# --------------------------------------------------------------------------- revenue retention of S


class Cohort(NamedTuple):
    """The starting cohort S of P: customers paying at the opening snapshot, with their MRR units at
    the opening and closing snapshots (aligned, sorted by customer id)."""

    customers: pd.Index
    opening: np.ndarray  # int64, > 0
    closing: np.ndarray  # int64, >= 0


def starting_cohort_mrr(rows: pd.DataFrame, period: Period) -> Cohort:
    """S = customers paying at the opening snapshot, each with MRR_c(opening) and MRR_c(closing);
    `rows` = mrr_rows(frames, cfg) (or a subscriptions table)."""
    rows = as_mrr_rows(rows)
    customers, grid = mrr_grid(rows, [period.opening, period.closing])
    in_s = grid[:, 0] > 0  # one grid row = a customer; S = paying at the opening snapshot
    return Cohort(customers[in_s], grid[in_s, 0], grid[in_s, 1])


def cohort_movement(c: Cohort) -> np.ndarray:
    """Each member's movement from opening to closing: churn, expansion, contraction or flat."""
    return np.select(
        [c.closing == 0, c.closing > c.opening, c.closing < c.opening], ["churn", "expansion", "contraction"], "flat"
    )


def cohort_units(c: Cohort) -> dict[str, int]:
    """Integer MRR units of S, customer by customer from opening to closing.

    Identities, exact: opening + expansion - contraction - churn = closing;
    retained (sum of min(closing, opening)) = opening - contraction - churn <= closing."""
    o, k = c.opening, c.closing
    expanded, contracted, churned = k > o, (k > 0) & (k < o), k == 0
    return {
        "starting_customers": len(o),
        "opening": int(o.sum()),
        "closing": int(k.sum()),
        "retained": int(np.minimum(o, k).sum()),
        "expansion": int((k - o)[expanded].sum()),
        "contraction": int((o - k)[contracted].sum()),
        "churn": int(o[churned].sum()),
        "expansion_customers": int(expanded.sum()),
        "contraction_customers": int(contracted.sum()),
        "churn_customers": int(churned.sum()),
        "flat_customers": int((k == o).sum()),
        "largest_opening": int(o.max()) if len(o) else 0,
    }


def _cohort_details(u: dict[str, int]) -> dict:
    return {
        "starting_customers": u["starting_customers"],
        "opening_mrr": to_money(u["opening"]),
        "closing_mrr": to_money(u["closing"]),
        "retained_mrr": to_money(u["retained"]),
        "expansion_mrr": to_money(u["expansion"]),
        "contraction_mrr": to_money(u["contraction"]),
        "churn_mrr": to_money(u["churn"]),
        "expansion_customers": u["expansion_customers"],
        "contraction_customers": u["contraction_customers"],
        "churn_customers": u["churn_customers"],
        "flat_customers": u["flat_customers"],
    }


def _cohort_warnings(what: T, u: dict[str, int], why: str | None) -> list[str]:
    """The undefined reason, and a small-base warning worded like rate()'s (money ratios have no Wilson interval)."""
    if why:
        return [why]
    n = u["starting_customers"]
    if n < SMALL_SAMPLE:
        share, _ = safe_ratio(u["largest_opening"], u["opening"], scale=100)
        return [
            T(
                "{what} rests on only {n} starting customers: a money ratio has no 95 % interval, and the "
                "largest account holds {share:.1f} % of their opening MRR",
                what=what, n=n, share=share,
            )
        ]
    return []


def _cohort_words(period: Period) -> str:
    return T(
        "S = the customers paying at the end of {opening} (non-trial rows, started_at <= day < ended_at); "
        "each member's MRR at the end of {closing} is compared with its MRR at the opening, customer by "
        "customer (not over the monthly steps); new and reactivated customers are outside S.",
        opening=period.opening, closing=period.closing,
    )


def _undefined(what: T, period: Period) -> T:
    return T("{what} (no customer was paying at the end of {day})", what=what, day=period.opening)


def _cohort_formula_tail(u: dict[str, int]) -> T:
    return T(
        "(opening {opening} + expansion {expansion} - contraction {contraction} - churn {churn} = closing "
        "{closing}; {n} starting customers)",
        opening=fmt_money(to_money(u["opening"])), expansion=fmt_money(to_money(u["expansion"])),
        contraction=fmt_money(to_money(u["contraction"])), churn=fmt_money(to_money(u["churn"])),
        closing=fmt_money(to_money(u["closing"])), n=u["starting_customers"],
    )  # fmt: skip


@mrr_based
def ndr(
    frames: dict[str, pd.DataFrame], period: Period, cfg: Config, rows: bool = False, window: str | None = None
) -> MetricResult:
    """Net dollar (revenue) retention, percent: sum over S of MRR_c(closing) / sum over S of
    MRR_c(opening) x 100, where S = customers paying at the opening snapshot. Details: opening and
    closing MRR of S, its expansion, contraction and churn measured customer by customer from
    opening to closing (not over steps) with their customer counts, and GRR. `rows=True` lists each
    member of S with its opening and closing MRR and movement. `window="12m"` measures from the
    snapshot 12 months before P's end instead (trailing-12-month NRR; the result's period is that
    window). No config keys. Undefined when S is empty; a warning when S has fewer than 30 customers."""
    period = trailing(period, window)  # P itself, or the trailing window ending with P
    words = window_words(period, window)
    cohort = starting_cohort_mrr(mrr_rows(frames, cfg), period)
    u = cohort_units(cohort)
    value, why = safe_ratio(u["closing"], u["opening"], scale=100, what=_undefined(T("NDR"), period))
    grr_value, _ = safe_ratio(u["retained"], u["opening"], scale=100)
    details = {**_cohort_details(u), "grr": grr_value}
    if window:
        details["window"] = window_label(window)
    listing = None
    if rows:
        o, k = cohort.opening, cohort.closing
        movement = cohort_movement(cohort)
        frame = pd.DataFrame(
            {
                "customer_id": cohort.customers.to_numpy(),
                "opening_mrr": money_array(o),
                "closing_mrr": money_array(k),
                "movement": movement,
                "expansion_mrr": money_array(np.where(movement == "expansion", k - o, 0)),
                "contraction_mrr": money_array(np.where(movement == "contraction", o - k, 0)),
                "churn_mrr": money_array(np.where(movement == "churn", o, 0)),
            }
        )
        listing = frame.to_dict("records")
        if revenue_source(frames, cfg) == "subscriptions":
            with_customer_dates(listing, frames["subscriptions"], period.closing)
    return MetricResult(
        "ndr",
        period,
        value,
        "percent",
        details,
        rows=listing,
        warnings=_cohort_warnings(T("NDR"), u, why),
        definition=words + T("Net revenue retention: closing MRR of S / opening MRR of S x 100. ") + _cohort_words(period),
        formula=T(
            "closing MRR of S {closing} / opening MRR of S {opening} x 100 = {value} % ",
            closing=fmt_money(details["closing_mrr"]), opening=fmt_money(details["opening_mrr"]), value=fmt_num(value, 2),
        )
        + _cohort_formula_tail(u),
    )


@mrr_based
def grr(frames: dict[str, pd.DataFrame], period: Period, cfg: Config, window: str | None = None) -> MetricResult:
    """Gross revenue retention, percent: sum over S of min(MRR_c(closing), MRR_c(opening)) / sum over
    S of MRR_c(opening) x 100 (S = customers paying at the opening snapshot): expansion does not
    count, churn and contraction do. Never above NDR. `window="12m"` measures from the snapshot 12
    months before P's end (trailing-12-month GRR). No config keys. Undefined when S is empty."""
    period = trailing(period, window)  # P itself, or the trailing window ending with P
    words = window_words(period, window)
    u = cohort_units(starting_cohort_mrr(mrr_rows(frames, cfg), period))
    value, why = safe_ratio(u["retained"], u["opening"], scale=100, what=_undefined(T("GRR"), period))
    details = _cohort_details(u)
    if window:
        details["window"] = window_label(window)
    return MetricResult(
        "grr",
        period,
        value,
        "percent",
        details,
        warnings=_cohort_warnings(T("GRR"), u, why),
        definition=words + (
            T("Gross revenue retention: sum over S of min(closing MRR, opening MRR) / opening MRR of S x 100. ")
            + _cohort_words(period)
        ),
        formula=T(
            "retained {retained} (= opening {opening} - contraction {contraction} - churn {churn}) / "
            "opening {opening} x 100 = {value} %; {n} starting customers",
            retained=fmt_money(details["retained_mrr"]), opening=fmt_money(details["opening_mrr"]),
            contraction=fmt_money(details["contraction_mrr"]), churn=fmt_money(details["churn_mrr"]),
            value=fmt_num(value, 2), n=u["starting_customers"],
        ),
    )


@mrr_based
def revenue_churn(frames: dict[str, pd.DataFrame], period: Period, cfg: Config) -> MetricResult:
    """Gross MRR churn, percent: (churn + contraction of S) / opening MRR of S x 100 = 100 - GRR,
    with S = customers paying at the opening snapshot, measured customer by customer from opening
    to closing. Details: net_mrr_churn = (churn + contraction - expansion of S) / opening x 100
    = 100 - NDR, negative when expansion outweighs the losses. No config keys. Undefined when S is empty."""
    u = cohort_units(starting_cohort_mrr(mrr_rows(frames, cfg), period))
    lost = u["churn"] + u["contraction"]
    value, why = safe_ratio(lost, u["opening"], scale=100, what=_undefined(T("Revenue churn"), period))
    net, _ = safe_ratio(lost - u["expansion"], u["opening"], scale=100)
    details = {**_cohort_details(u), "lost_mrr": to_money(lost), "net_mrr_churn": net}
    return MetricResult(
        "revenue-churn",
        period,
        value,
        "percent",
        details,
        warnings=_cohort_warnings(T("Revenue churn"), u, why),
        definition=(
            T(
                "Gross MRR churn: (churn + contraction of S) / opening MRR of S x 100 (= 100 - GRR); net MRR churn "
                "subtracts the expansion of S (= 100 - NDR). "
            )
            + _cohort_words(period)
        ),
        formula=T(
            "(churn {churn} + contraction {contraction}) / opening {opening} x 100 = {value} %; net: (lost "
            "{lost} - expansion {expansion}) / opening x 100 = {net} %; {n} starting customers",
            churn=fmt_money(details["churn_mrr"]), contraction=fmt_money(details["contraction_mrr"]),
            opening=fmt_money(details["opening_mrr"]), value=fmt_num(value, 2), lost=fmt_money(details["lost_mrr"]),
            expansion=fmt_money(details["expansion_mrr"]), net=fmt_num(net, 2), n=u["starting_customers"],
        ),
    )


@mrr_based
def revenue_growth(frames: dict[str, pd.DataFrame], period: Period, cfg: Config) -> MetricResult:
    """Existing-customer revenue growth, percent: (closing - opening MRR of S) / opening MRR of S x 100
    = NDR - 100, with S = customers paying at the opening snapshot. No config keys.
    Undefined when S is empty."""
    u = cohort_units(starting_cohort_mrr(mrr_rows(frames, cfg), period))
    change = u["closing"] - u["opening"]
    value, why = safe_ratio(change, u["opening"], scale=100, what=_undefined(T("Revenue growth"), period))
    details = {**_cohort_details(u), "net_change_mrr": to_money(change)}
    return MetricResult(
        "revenue-growth",
        period,
        value,
        "percent",
        details,
        warnings=_cohort_warnings(T("Revenue growth"), u, why),
        definition=T(
            "Existing-customer revenue growth: (closing - opening MRR of S) / opening MRR of S x 100 (= NDR - 100). "
        )
        + _cohort_words(period),
        formula=T(
            "(closing {closing} - opening {opening}) / opening {opening} x 100 = {value} % ",
            closing=fmt_money(details["closing_mrr"]), opening=fmt_money(details["opening_mrr"]), value=fmt_num(value, 2),
        )
        + _cohort_formula_tail(u),
    )


# --------------------------------------------------------------------------- renewal rate


@mrr_based
def renewal_rate(frames: dict[str, pd.DataFrame], period: Period, cfg: Config) -> MetricResult:
    """Renewal rate, percent, with its 95 % Wilson interval.

    Due = non-trial subscription rows whose `term_ends_at` falls in P; when the table has no
    `term_ends_at` column, rows whose `ended_at` falls in P (both are the first day after the
    term). Renewed = the row's customer is paying (MRR_c > 0 from non-trial rows) at the end of
    the due day + config `metrics.renewal_rate.grace_days` (default 0). A row that ends and is
    followed by a new row of the same customer starting that day is renewed; the expiring row
    itself is not active on its `ended_at`. Renewed / due x 100. Undefined when nothing is due."""
    grace = cfg.metrics.renewal_rate.grace_days
    subs = frames["subscriptions"]
    basis = "term_ends_at" if "term_ends_at" in subs else "ended_at"
    term_end = subs[basis] if basis in subs else pd.Series(pd.NaT, index=subs.index, dtype="datetime64[s]")
    non_trial = ~subs["is_trial"] if "is_trial" in subs else pd.Series(True, index=subs.index)
    if "ended_at" in subs:  # a paid span that never began (a trial cancelled at its end) renews nothing
        non_trial &= subs["ended_at"].isna() | (subs["ended_at"] > subs["started_at"])
    in_p = (term_end >= pd.Timestamp(period.start)) & (term_end <= pd.Timestamp(period.end))
    # one row = a term due in P, with the day its customer must be paying on
    is_due = non_trial & in_p
    due = pd.DataFrame(
        {
            "due_row": np.arange(int(is_due.sum())),
            "customer_id": subs.loc[is_due, "customer_id"].reset_index(drop=True),
            "check_day": (term_end[is_due] + pd.Timedelta(days=grace)).reset_index(drop=True),
        }
    )
    paying = mrr_rows(frames, cfg)  # the rows MRR comes from: paying subscription rows, or invoice lines
    ended = paying["ended_at"] if "ended_at" in paying else pd.Series(pd.NaT, index=paying.index, dtype="datetime64[s]")
    tolerance = paying["tolerance"] if "tolerance" in paying else 0
    # one row = a due term paired with a paying row of the same customer
    spans = pd.DataFrame(
        {"customer_id": paying["customer_id"], "started_at": paying["started_at"], "ended_at": ended, "mrr": paying["mrr"],
         "tolerance": tolerance}
    )  # fmt: skip
    pairs = due.merge(spans, on="customer_id")
    day = pairs["check_day"]
    active = (pairs["started_at"] <= day) & (pairs["ended_at"].isna() | (pairs["ended_at"] > day))
    # one row = a due term with active rows
    on_check_day = pairs.loc[active].groupby("due_row")[["mrr", "tolerance"]].sum()
    mrr_on_check_day = settle(on_check_day["mrr"].to_numpy("int64"), on_check_day["tolerance"].to_numpy("int64"))
    n_due, renewed = len(due), int((mrr_on_check_day > 0).sum())
    value, interval, warnings = rate(renewed, n_due, what=T("renewal rate"), population=T("renewals due"))
    details = {
        "basis": basis,
        "grace_days": grace,
        "due": n_due,
        "renewed": renewed,
        "not_renewed": n_due - renewed,
        **interval,
    }
    when = T("the due day") if grace == 0 else T("the due day + {grace} days", grace=grace)
    return MetricResult(
        "renewal-rate",
        period,
        value,
        "percent",
        details,
        warnings=warnings,
        definition=T(
            "Renewal rate: due = non-trial subscription rows whose {basis} (the first day after the term) falls in "
            "{start}..{end}; renewed = the customer is paying (MRR > 0) at the end of "
            "{when} (config grace_days = {grace}). Renewed / due x 100.",
            basis=basis, start=period.start, end=period.end, when=when, grace=grace,
        ),
        formula=T("{renewed} renewed / {due} due x 100 = {value} %", renewed=renewed, due=n_due, value=fmt_num(value, 2)),
    )
