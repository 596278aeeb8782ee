"""Customer health: a 0..100 score per paying customer from usage, surveys, support, payments and
MRR trend, its class (good / at risk / poor), and a backtest of how well the classes predict churn.

Every component is computed for all customers at once: ids are factorized once per table, counted
with bincount, and distinct (customer, day/user/event) pairs are found by hashing int64 keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from cs_metrics.config import Config
from cs_metrics.errors import UsageError
from cs_metrics.i18n import T, join
from cs_metrics.metrics._events import is_active
from cs_metrics.metrics._ratio import fmt_money, fmt_num, rate, safe_ratio
from cs_metrics.metrics._state import mrr_based, mrr_grid, mrr_rows, to_money
from cs_metrics.metrics._time import NAT, bounds_us, day_number, local_days, micros
from cs_metrics.metrics.revenue import money_array
from cs_metrics.period import Period, days_before
from cs_metrics.result import MetricResult, records

COMPONENTS = ("usage", "breadth", "depth", "nps", "csat", "support", "payments", "mrr_trend")
CLASSES = ("good", "at_risk", "poor")
NEUTRAL = 50.0
ONE_DAY = timedelta(days=1)


# --------------------------------------------------------------------------- small vector helpers


def percentile_rank(x: np.ndarray) -> np.ndarray:
    """Average-rank percentile, 0..100: (rank - 1) / (n - 1) x 100, tied values share their mean rank.

    With one value (or all values tied) every customer sits in the middle: 50.
    >>> percentile_rank(np.array([0, 0, 3, 5])).round(2).tolist()
    [16.67, 16.67, 66.67, 100.0]
    """
    ranks = pd.Series(x, dtype="float64").rank(method="average").to_numpy()
    value, why = safe_ratio(ranks - 1, len(x) - 1 if len(x) > 1 else 0, scale=100)
    return np.full(len(x), NEUTRAL) if why else value


def _ratios(num: np.ndarray, den: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """Element-wise num / den x scale, NaN (no data) where den is 0: `safe_ratio` for arrays of customers."""
    num = np.asarray(num, dtype="float64")
    den = np.asarray(den, dtype="float64")
    out = np.full(num.shape, np.nan)
    np.divide(num * scale, den, out=out, where=den != 0)
    return out


def _positions(ids: pd.Series, customers: pd.Index) -> np.ndarray:
    """Position of each id in `customers` (-1 when it is not there or missing), factorizing ids once."""
    codes, uniques = pd.factorize(ids)
    where = customers.get_indexer(uniques)
    out = np.full(len(codes), -1, dtype="int64")
    ok = codes >= 0
    out[ok] = where[codes[ok]]
    return out


def _distinct_per_customer(pos: np.ndarray, other: np.ndarray, n_other: int, n: int) -> np.ndarray:
    """Number of distinct `other` codes per customer position (pairs with pos or other < 0 dropped)."""
    keep = (pos >= 0) & (other >= 0)
    if n_other == 0 or not keep.any():
        return np.zeros(n, dtype="int64")
    keys = pd.unique(pos[keep] * np.int64(n_other) + other[keep])
    return np.bincount(keys // n_other, minlength=n)


def _count_per_customer(pos: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    keep = mask & (pos >= 0)
    return np.bincount(pos[keep], minlength=n)


def _day64(d: date) -> np.datetime64:
    return np.datetime64(d, "D")


# --------------------------------------------------------------------------- the scores


@dataclass
class Scores:
    """Health of every customer paying at the scoring date `end` (arrays aligned to `customers`)."""

    end: date
    window_start: date
    customers: pd.Index  # sorted ids of the customers paying at `end`
    mrr: np.ndarray  # MRR units at `end`
    values: np.ndarray  # customers x COMPONENTS, 0..100, NaN = no data
    weights: np.ndarray  # one per component
    score: np.ndarray  # NaN = no data at all
    klass: np.ndarray  # object: good / at_risk / poor, None without a score
    reason: np.ndarray  # object: the two weakest components, or "no data"
    cuts: tuple[float, float] | None  # quartiles: (25th, 75th percentile of the scores)
    warnings: list[str] = field(default_factory=list)
    filtered: dict[str, dict[str, int]] = field(default_factory=dict)


def score_customers(frames: dict[str, pd.DataFrame], end: date, cfg: Config) -> Scores:
    """Score every customer paying at the end of day `end` over the lookback window ending there."""
    opt = cfg.metrics.health
    window_start = days_before(end, opt.lookback_days - 1, "the health lookback window (metrics.health.lookback_days)")
    warnings: list[str] = []
    filtered: dict[str, dict[str, int]] = {}

    # customers: one per customer paying at the end of `end`, with its MRR then and before the window
    ids, grid = mrr_grid(mrr_rows(frames, cfg), [window_start - ONE_DAY, end])
    paying = grid[:, 1] > 0
    customers = pd.Index(ids[paying], name="customer_id")
    mrr_before, mrr_end = grid[paying, 0], grid[paying, 1]
    n = len(customers)

    comp: dict[str, np.ndarray] = {c: np.full(n, np.nan) for c in COMPONENTS}
    comp.update(_usage_components(frames, customers, window_start, end, cfg, warnings, filtered))
    comp.update(_survey_components(frames, customers, end, cfg, warnings, filtered))
    comp.update(_support_component(frames, customers, window_start, end, cfg, warnings))
    comp.update(_payments_component(frames, customers, window_start, end, cfg, warnings, filtered))
    # MRR trend: change from the end of the day before the window to `end`, clipped to -100 %..+100 %
    change = _ratios(mrr_end - mrr_before, mrr_before)
    comp["mrr_trend"] = NEUTRAL + NEUTRAL * np.clip(change, -1.0, 1.0)

    values = np.column_stack([comp[c] for c in COMPONENTS]) if n else np.empty((0, len(COMPONENTS)))
    weights = np.array([getattr(opt.weights, c) for c in COMPONENTS], dtype="float64")
    if not (weights > 0).any():
        warnings.append(T("every health weight is 0 (metrics.health.weights): no customer can be scored"))
    score = _weighted_score(values, weights, opt.missing)
    klass, cuts = _classes(score, cfg)
    reason = _reasons(values, weights)
    return Scores(end, window_start, customers, mrr_end, values, weights, score, klass, reason, cuts, warnings, filtered)


def _usage_components(frames, customers, window_start, end, cfg, warnings, filtered) -> dict[str, np.ndarray]:
    """usage = active days in W / days of W x 100; breadth = percentile rank of distinct active users in W;
    depth = distinct active event names used in W / distinct active event names anyone used in W x 100."""
    if "events" not in frames and "daily_activity" in frames:
        return _daily_usage_components(frames["daily_activity"], customers, window_start, end, cfg, warnings)
    if "events" not in frames:
        warnings.append(T("{file} is not in the data: usage, breadth and depth have no data", file=cfg.path_of("events").name))
        return {}
    ev, n = frames["events"], len(customers)
    days = local_days(micros(ev["occurred_at"]), cfg.timezone)  # the local day of each event
    in_window = (days >= day_number(window_start)) & (days <= day_number(end)) & (days != NAT)
    active = np.ones(len(ev), dtype=bool)
    has_event = "event" in ev
    if cfg.active_events:
        if has_event:
            active = is_active(ev, cfg.active_events)
        else:
            warnings.append(T("{file} has no event column: every event counts as active", file=cfg.path_of("events").name))
    filtered["events"] = {
        "outside the health lookback window": int((~in_window).sum()),
        "not an active event": int((in_window & ~active).sum()),
    }
    # one row = an active event in W
    used = ev.loc[in_window & active, [c for c in ("customer_id", "user_id", "event") if c in ev]]  # only what is counted
    pos = _positions(used["customer_id"], customers)
    offset = (days[in_window & active] - day_number(window_start)).astype("int64")
    lookback = cfg.metrics.health.lookback_days
    active_days = _distinct_per_customer(pos, offset, lookback, n)
    user_codes, users = pd.factorize(used["user_id"])
    active_users = _distinct_per_customer(pos, user_codes, len(users), n)
    out = {
        "usage": active_days * 100.0 / lookback,
        "breadth": percentile_rank(active_users),
        "depth": np.full(n, np.nan),
    }
    if has_event:
        event_codes, names = pd.factorize(used["event"])  # NA names are not an event name
        depth, why = safe_ratio(_distinct_per_customer(pos, event_codes, len(names), n), len(names), scale=100)
        if why:
            warnings.append(T("depth has no data: no named active event in the lookback window"))
        else:
            out["depth"] = depth.astype("float64")
    else:
        warnings.append(T("{file} has no event column: depth has no data", file=cfg.path_of("events").name))
    return out


def _daily_usage_components(daily, customers, window_start, end, cfg, warnings) -> dict[str, np.ndarray]:
    """usage and breadth from daily activity (one row per customer, user and day); depth needs event names."""
    n = len(customers)
    day = daily["day"]
    rows = daily.loc[((day >= pd.Timestamp(window_start)) & (day <= pd.Timestamp(end)) & (daily["active_events"] > 0)).to_numpy(dtype=bool, na_value=False)]
    pos = _positions(rows["customer_id"], customers)
    offset = ((rows["day"] - pd.Timestamp(window_start)).dt.days).to_numpy(dtype="int64")
    lookback = cfg.metrics.health.lookback_days
    user_codes, users = pd.factorize(rows["user_id"])
    warnings.append(T("daily activity has no event names: depth has no data"))
    return {
        "usage": _distinct_per_customer(pos, offset, lookback, n) * 100.0 / lookback,
        "breadth": percentile_rank(_distinct_per_customer(pos, user_codes, len(users), n)),
        "depth": np.full(n, np.nan),
    }


def _survey_components(frames, customers, end, cfg, warnings, filtered) -> dict[str, np.ndarray]:
    """nps, csat: each customer's latest response on or before `end` (responses of that same day
    averaged), mapped linearly from the survey's scale to 0..100."""
    name = cfg.path_of("surveys").name
    if "surveys" not in frames:
        warnings.append(T("{file} is not in the data: nps and csat have no data", file=name))
        return {}
    sv = frames["surveys"]
    if "customer_id" not in sv:
        warnings.append(T("{file} has no customer_id column: nps and csat have no data", file=name))
        return {}
    n = len(customers)
    named = sv["customer_id"].notna().to_numpy(dtype=bool)
    by_end = (sv["responded_at"] <= pd.Timestamp(end)).to_numpy(dtype=bool)
    filtered["surveys"] = {"after the health scoring date": int((~by_end).sum())}
    out = {}
    for kind in ("nps", "csat"):
        take = named & by_end & (sv["survey"] == kind).to_numpy(dtype=bool)
        pos = _positions(sv.loc[take, "customer_id"], customers)
        # one row = a response of a scored customer
        answers = pd.DataFrame({"pos": pos, "day": sv.loc[take, "responded_at"].to_numpy(), "score": sv.loc[take, "score"].to_numpy()})
        answers = answers.loc[answers["pos"] >= 0]
        latest = answers.loc[answers["day"] == answers.groupby("pos")["day"].transform("max")]
        mean = latest.groupby("pos")["score"].mean()
        low, high = cfg.metrics.scale(kind)
        values = np.full(n, np.nan)
        values[mean.index.to_numpy(dtype="int64")] = safe_ratio(mean.to_numpy() - low, high - low, scale=100)[0]
        out[kind] = values
    return out


def _support_component(frames, customers, window_start, end, cfg, warnings) -> dict[str, np.ndarray]:
    """support = 100 - percentile rank of (tickets open at the end of `end` + complaints created in W);
    a customer with none scores 100."""
    name = cfg.path_of("tickets").name
    if "tickets" not in frames:
        warnings.append(T("{file} is not in the data: support has no data", file=name))
        return {}
    tk = frames["tickets"]
    has_resolved, has_category = "resolved_at" in tk, "category" in tk
    if not (has_resolved or has_category):
        warnings.append(T("{file} has neither resolved_at nor category: support has no data", file=name))
        return {}
    n = len(customers)
    window_from, after_end = bounds_us(window_start, end, cfg.timezone)
    created = micros(tk["created_at"])
    pos = _positions(tk["customer_id"], customers)
    load = np.zeros(n, dtype="int64")
    # one row = a ticket; it counts once if open at the end, once more if a complaint created in W
    if has_resolved:
        resolved = micros(tk["resolved_at"])
        open_at_end = (created != NAT) & (created < after_end) & ~((resolved != NAT) & (resolved < after_end))
        load += _count_per_customer(pos, open_at_end, n)
    else:
        warnings.append(T("{file} has no resolved_at column: support counts complaints only, not open tickets", file=name))
    if has_category:
        categories = [c.strip().casefold() for c in cfg.metrics.tickets.complaint_categories]
        complaint = tk["category"].str.strip().str.casefold().isin(categories).to_numpy(dtype=bool)
        in_window = (created >= window_from) & (created < after_end)
        load += _count_per_customer(pos, complaint & in_window, n)
    else:
        warnings.append(T("{file} has no category column: support counts open tickets only, not complaints", file=name))
    return {"support": np.where(load == 0, 100.0, 100.0 - percentile_rank(load))}


def _payments_component(frames, customers, window_start, end, cfg, warnings, filtered) -> dict[str, np.ndarray]:
    """payments = 100 x (1 - bad / due): due = positive invoices issued by `end` with due_at in W;
    bad = those not paid on or before due_at (paid late, or still unpaid). None due -> no data."""
    name = cfg.path_of("invoices").name
    if "invoices" not in frames:
        warnings.append(T("{file} is not in the data: payments has no data", file=name))
        return {}
    inv = frames["invoices"]
    missing = [c for c in ("due_at", "paid_at") if c not in inv]
    if missing:
        flag = ""
        if "paid_at" in missing and "paid" in inv:
            flag = T(" (its paid column says whether an invoice was paid, not when)")
        warnings.append(T("{file} has no {columns} column{flag}: payments has no data", file=name, columns=" or ".join(missing), flag=flag))
        return {}
    n = len(customers)
    due = inv["due_at"].to_numpy()
    positive = (inv["amount"] > 0).to_numpy(dtype=bool, na_value=False)
    # one row = a positive invoice falling due in W
    in_window = positive & (inv["issued_at"].to_numpy() <= _day64(end)) & (due >= _day64(window_start)) & (due <= _day64(end))
    bad = in_window & ~(inv["paid_at"].to_numpy() <= due)  # unpaid (NaT) compares False: bad
    filtered["invoices"] = {"not a positive invoice due in the health lookback window": int((~in_window).sum())}
    pos = _positions(inv["customer_id"], customers)
    due_n, bad_n = _count_per_customer(pos, in_window, n), _count_per_customer(pos, bad, n)
    return {"payments": 100.0 - _ratios(bad_n, due_n, scale=100)}


def _weighted_score(values: np.ndarray, weights: np.ndarray, missing: str) -> np.ndarray:
    """Weighted mean of the components with a weight above 0: those with data (skip), or all of them
    with a missing one counted as 50 (neutral). NaN when a customer has no component with data."""
    counted = weights > 0
    has = ~np.isnan(values) & counted
    filled = np.where(np.isnan(values), NEUTRAL, values)
    use = has if missing == "skip" else np.broadcast_to(counted, values.shape)
    num = np.where(use, filled * weights, 0.0).sum(axis=1)
    den = np.where(use, weights, 0.0).sum(axis=1)
    score = _ratios(num, den)
    score[~has.any(axis=1)] = np.nan
    return score


def _classes(score: np.ndarray, cfg: Config) -> tuple[np.ndarray, tuple[float, float] | None]:
    """thresholds: good >= good_min, at_risk >= at_risk_min, else poor. quartiles: good above the 75th
    percentile of the scores (np.quantile, linear), poor below the 25th, the rest (ties at a cut
    included) at risk. No score, no class."""
    opt = cfg.metrics.health
    scored = ~np.isnan(score)
    cuts = None
    if opt.method == "thresholds":
        good, at_risk = score >= opt.good_min, score >= opt.at_risk_min
        conditions = [good, at_risk, scored]
    else:
        q25, q75 = np.quantile(score[scored], [0.25, 0.75]) if scored.any() else (np.nan, np.nan)
        cuts = (float(q25), float(q75))
        conditions = [score > q75, scored & ~(score < q25), scored]
    klass = np.select(conditions, list(CLASSES), default="").astype(object)
    klass[~scored] = None
    return klass, cuts


def _reasons(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The two weakest components with data and a weight above 0, as "support 12, usage 20" (whole
    numbers, half up; ties keep the component order); "no data" when there is none."""
    n = len(values)
    if n == 0:
        return np.empty(0, dtype=object)
    key = np.where(np.isnan(values) | (weights <= 0), np.inf, values)
    order = np.argsort(key, axis=1, kind="stable")[:, :2]  # the weakest, then the second weakest
    weakest = np.take_along_axis(key, order, axis=1)
    shown = np.isfinite(weakest)
    whole = np.floor(np.where(shown, weakest, 0.0) + 0.5).astype("int64").astype(str).astype(object)
    text = np.array(COMPONENTS, dtype=object)[order] + " " + whole
    return np.where(shown[:, 1], text[:, 0] + ", " + text[:, 1], np.where(shown[:, 0], text[:, 0], "no data")).astype(object)


# --------------------------------------------------------------------------- the metric


def _lookback_start(result: MetricResult, cfg: Config) -> date:
    """The earliest day health looks at: the day before its lookback window (and before a backtest's)."""
    opt = cfg.metrics.health
    backtest = opt.backtest_horizon_days if result.unit == "ratio" else 0
    return result.period.end - timedelta(days=opt.lookback_days + backtest)


@mrr_based(first_day=_lookback_start)
def health(
    frames: dict[str, pd.DataFrame],
    period: Period,
    cfg: Config,
    customer: str | None = None,
    backtest: bool = False,
    within=None,
) -> MetricResult:
    """Customer health, a score 0..100 (unit score); `backtest` gives the lift of the poor class (ratio).

    Scored customers: paying (MRR_c > 0) at the closing snapshot. W = the `lookback_days` (90) days
    ending at `end`. Components, each 0..100 (NaN = no data):
      usage     = active days in W / days of W x 100 (active events: config `active_events`, empty =
                  all; no events table -> no data; with the table but no event -> 0);
      breadth   = percentile rank of distinct active users in W among the scored customers;
      depth     = distinct active event names used in W / distinct active event names any customer
                  used in W x 100 (no data without an event column or without any event in W);
      nps, csat = the latest response on or before `end` (not limited to W; same-day responses
                  averaged), mapped linearly from `metrics.<survey>.scale` to 0..100;
      support   = 100 - percentile rank of (tickets open at the end of `end` + complaints created in W,
                  categories `metrics.tickets.complaint_categories`); a customer with none scores 100;
      payments  = 100 x (1 - bad / due): due = positive invoices issued by `end` with due_at in W, bad =
                  not paid on or before due_at (late or still unpaid); none due -> no data;
      mrr_trend = 50 + 50 x clip((MRR_end - MRR_before) / MRR_before, -1, 1), MRR_before = MRR at the
                  end of the day before W; a customer not paying then (new in W) -> no data.
    Percentile rank: (average rank - 1) / (n - 1) x 100 (ties share; one customer -> 50).
    Score = sum(weight x component) / sum(weight) over the components with a weight > 0 that have data
    (`missing: skip`), or over all of them with missing ones counted as 50 (`missing: neutral`);
    a customer with no component with data has no score (reason "no data", no class).
    Class (`method`): thresholds (good >= good_min 70, at_risk >= at_risk_min 40, else poor) or
    quartiles (good > 75th percentile of the scores, poor < 25th, np.quantile linear; ties at a cut
    are at_risk). Value = mean score of the customers with a score; undefined with none.
    Details: customers, scored_customers, unscored_customers, mean_score, <class>_customers and
    <class>_mrr for good / at_risk / poor, method, missing, lookback_days, window_start, window_end, and
    with quartiles the cuts quartile_25 and quartile_75.
    Rows, worst first (score ascending, no score last, then customer_id): customer_id, name (with
    customers.csv), score, class, reason (the two weakest components), mrr, one column per component.

    `customer`: rows become that customer's components (component, score, weight) and the value its
    score; an id the data does not know, or one not paying at the closing snapshot, is a UsageError.

    `within` (a segment of `--by`): a function of customer ids -> a mask of those in the segment.
    Every customer is scored once, against everyone (percentile ranks, quartile cuts); the result
    then keeps the segment's customers, so a customer has the same score and class in its segment
    as in the total.

    `backtest`: scores every customer as of `end - backtest_horizon_days` (same computation, with that
    day as the end), then per class: customers, churned (paying at the scoring date, not paying at
    `end`), churn_rate_pct (with its 95 % interval) and lift (class churn rate / average churn rate).
    The average is over every customer with a class. Value = lift of the poor class; undefined when
    there is no poor customer or the average churn rate is 0.
    """
    if backtest and customer is not None:
        raise UsageError("--backtest and --customer cannot be combined", "Run them separately")
    if backtest:
        return _backtest(frames, period, cfg, within)
    s = score_customers(frames, period.end, cfg)
    if within is not None:
        s = _keep(s, within(s.customers))
    names = _names(frames, s.customers)
    if customer is not None:
        return _one_customer(frames, period, cfg, s, names, customer)
    return _all_customers(period, cfg, s, names)


def _keep(s: Scores, mask: np.ndarray) -> Scores:
    """The scores of some customers only (scored against everyone before)."""
    from dataclasses import replace

    mask = np.asarray(mask, dtype=bool)
    return replace(
        s, customers=s.customers[mask], mrr=s.mrr[mask], values=s.values[mask], score=s.score[mask],
        klass=s.klass[mask], reason=s.reason[mask],
    )  # fmt: skip


def _names(frames: dict[str, pd.DataFrame], customers: pd.Index) -> np.ndarray | None:
    """Each customer's name from customers.csv, aligned to `customers` (None without a name column)."""
    table = frames.get("customers")
    if table is None or "name" not in table:
        return None
    first = table.drop_duplicates("customer_id").set_index("customer_id")["name"]
    return first.reindex(customers).astype(object).where(lambda x: x.notna(), None).to_numpy()


def _definition(cfg: Config, s: Scores) -> str:
    opt = cfg.metrics.health
    weights = join(", ", (T("{component} {weight:g}", component=T.word(c), weight=w) for c, w in zip(COMPONENTS, s.weights)))
    if opt.method == "thresholds":
        classes = T("good >= {good:g}, at risk >= {at_risk:g}, else poor", good=opt.good_min, at_risk=opt.at_risk_min)
    else:
        classes = T("good above the 75th percentile of the scores, poor below the 25th (np.quantile, linear), the rest at risk")
    missing = T("left out of the weighted mean") if opt.missing == "skip" else T("counted as 50")
    events = ", ".join(cfg.active_events) if cfg.active_events else T("all events")
    complaints = ", ".join(cfg.metrics.tickets.complaint_categories)
    return T(
        "Health of every customer paying at the end of {end}, over the {days} days "
        "{start}..{end}. Components 0..100: usage = active days / {days} x 100 "
        "(active events: {events}); breadth = percentile rank of distinct active users; depth = distinct active "
        "events used / distinct active events used by anyone x 100; nps and csat = latest response on or before "
        "{end} mapped from its scale ({nps_low:g}..{nps_high:g}, "
        "{csat_low:g}..{csat_high:g}) to 0..100; support = 100 - percentile rank "
        "of open tickets at the end + complaints ({complaints}) created in the window, 100 with none; payments = "
        "100 x (1 - invoices paid late or unpaid / positive invoices due in the window); mrr_trend = 50 + 50 x the "
        "MRR change over the window clipped to -100 %..+100 % (no data for a customer not paying before it). "
        "Percentile ranks use average ranks, (rank - 1) / (n - 1) x 100. Score = weighted mean "
        "(weights: {weights}); a component without data is {missing}; no data at all: no score. "
        "Classes ({method}): {classes}.",
        end=s.end, days=opt.lookback_days, start=s.window_start, events=events,
        nps_low=cfg.metrics.nps.scale[0], nps_high=cfg.metrics.nps.scale[1], csat_low=cfg.metrics.csat.scale[0],
        csat_high=cfg.metrics.csat.scale[1], complaints=complaints, weights=weights, missing=missing,
        method=opt.method, classes=classes,
    )  # fmt: skip


def _all_customers(period: Period, cfg: Config, s: Scores, names: np.ndarray | None) -> MetricResult:
    opt = cfg.metrics.health
    scored = ~np.isnan(s.score)
    n_scored = int(scored.sum())
    value, why = safe_ratio(float(s.score[scored].sum()), n_scored, what=T("health (no paying customer with data at the end of the period)"))
    warnings = list(s.warnings) + ([why] if why else [])
    details: dict = {
        "customers": len(s.customers),
        "scored_customers": n_scored,
        "unscored_customers": len(s.customers) - n_scored,
        "mean_score": value,
    }
    for cls in CLASSES:
        members = s.klass == cls
        details[f"{cls}_customers"] = int(members.sum())
        details[f"{cls}_mrr"] = to_money(int(s.mrr[members].sum()))
    details.update(
        {
            "method": opt.method,
            "missing": opt.missing,
            "lookback_days": opt.lookback_days,
            "window_start": s.window_start.isoformat(),
            "window_end": s.end.isoformat(),
        }
    )
    if s.cuts is not None:
        details["quartile_25"], details["quartile_75"] = (None if np.isnan(c) else c for c in s.cuts)

    table = pd.DataFrame({"customer_id": s.customers.to_numpy(dtype=object)})
    if names is not None:
        table["name"] = names
    table["score"] = s.score
    table["class"] = s.klass
    table["reason"] = s.reason
    table["mrr"] = money_array(s.mrr)
    for j, c in enumerate(COMPONENTS):
        table[c] = s.values[:, j]
    table = table.sort_values(["score", "customer_id"], na_position="last", kind="stable")
    rows = records(table)

    counts = join(
        ", ",
        (
            T("{cls} {n} (MRR {mrr})", cls=T.word(cls.replace("_", " ")), n=details[f"{cls}_customers"], mrr=fmt_money(details[f"{cls}_mrr"]))
            for cls in CLASSES
        ),
    )
    return MetricResult(
        "health",
        period,
        value,
        "score",
        details,
        rows=rows,
        warnings=warnings,
        definition=_definition(cfg, s),
        formula=T("mean of {n} customer scores = {value}; {counts}", n=n_scored, value=fmt_num(value), counts=counts),
        filtered=s.filtered,
    )


def _one_customer(frames, period: Period, cfg: Config, s: Scores, names, customer: str) -> MetricResult:
    i = s.customers.get_indexer([customer])[0]
    if i < 0:
        tables = ("subscriptions", "invoice_lines", "customers")
        known = any(t in frames and (frames[t]["customer_id"] == customer).any() for t in tables)
        if known:
            raise UsageError(f"--customer {customer}: not paying at the end of {period.end}, so it has no health score")
        raise UsageError(f"--customer {customer}: no such customer in the data", "Check the id; ids are compared as text")
    opt = cfg.metrics.health
    values = s.values[i]
    score = None if np.isnan(s.score[i]) else float(s.score[i])
    rows = [
        {"component": c, "score": None if np.isnan(v) else float(v), "weight": float(w)}
        for c, v, w in zip(COMPONENTS, values, s.weights)  # the eight components of one customer
    ]
    counted = [(c, v, w) for c, v, w in zip(COMPONENTS, values, s.weights) if w > 0 and (opt.missing == "neutral" or not np.isnan(v))]
    terms = " + ".join(f"{w:g} x {fmt_num(NEUTRAL if np.isnan(v) else v)}" for c, v, w in counted)
    total = sum(w for _, _, w in counted)
    warnings = list(s.warnings)
    if score is None:
        warnings.append(T("health of {customer} is undefined: no component has data", customer=customer))
    details = {
        "customer_id": customer,
        **({"name": names[i]} if names is not None else {}),
        "class": s.klass[i],
        "reason": s.reason[i],
        "mrr": to_money(int(s.mrr[i])),
        "method": opt.method,
        "missing": opt.missing,
        "lookback_days": opt.lookback_days,
    }
    return MetricResult(
        "health",
        period,
        score,
        "score",
        details,
        rows=rows,
        warnings=warnings,
        definition=_definition(cfg, s),
        formula=f"{customer}: ({terms}) / {total:g} = {fmt_num(score)}" if score is not None else T("{customer}: no component has data", customer=customer),
        filtered=s.filtered,
    )


def _backtest(frames: dict[str, pd.DataFrame], period: Period, cfg: Config, within=None) -> MetricResult:
    from cs_metrics.metrics import backtest as bt

    opt = cfg.metrics.health
    horizon = opt.backtest_horizon_days
    scored_on = days_before(period.end, horizon, "the backtest (metrics.health.backtest_horizon_days)")
    scores: dict[date, Scores] = {}

    def score_at(day: date) -> Scores:  # each date scored once (the checkpoints and horizons can meet)
        if day not in scores:
            scored = score_customers(frames, day, cfg)  # against everyone, then a --by segment keeps its own
            scores[day] = scored if within is None else _keep(scored, within(scored.customers))
        return scores[day]

    s = score_at(scored_on)
    # churned: one row = a customer paying at the scoring date and not paying at the end of the period
    churned = bt.churned_by(frames, s.customers, period.end, cfg)
    has_class = pd.notna(s.klass)
    warnings = list(s.warnings)
    unscored = int((~has_class).sum())
    if unscored:
        warnings.append(T("{n} customers paying on {day} had no data to score: left out of the backtest", n=unscored, day=scored_on))

    # from here on, one element = a customer with a class on the scoring date
    klass, score, lost = s.klass[has_class], s.score[has_class], churned[has_class]
    n_all, churned_all = int(has_class.sum()), int(lost.sum())
    average, interval, notes = rate(churned_all, n_all, what=T("average churn of the backtest"))
    warnings += notes
    rows, details = [], {"scored_on": scored_on.isoformat(), "horizon_days": horizon}
    details.update({"customers": n_all, "churned_customers": churned_all, "average_churn_rate": average})
    for cls in CLASSES:
        row, notes = bt.group_row("class", cls, klass == cls, lost, average, cfg, predicts=cls == "poor")
        warnings += [w for w in notes if "undefined" not in w]  # an empty class is shown as n/a, not warned about
        rows.append(row)
        details[f"{cls}_churn_rate"] = row["churn_rate_pct"]
    rows.append(bt.group_row("class", "all", np.ones(n_all, dtype=bool), lost, average, cfg)[0])

    # the poor class as a churn prediction: precision (its churn rate), recall, and how early it came
    poor_row = rows[CLASSES.index("poor")]
    lead = bt.lead_times(frames, period, cfg, scored_on, s.customers[has_class][lost], score_at)
    flagged = ~np.isnan(lead)
    median_lead = float(np.median(lead[flagged])) if flagged.any() else None
    poor_row["median_lead_days"] = median_lead
    poor_cut = s.cuts[0] if s.cuts is not None else opt.at_risk_min
    rows += bt.threshold_rows(score, lost, average, cfg, poor_cut)
    rows += bt.decile_rows(score, lost, average, cfg)
    horizon_rows, bar = bt.horizon_rows(frames, period, cfg, score_at)
    rows += horizon_rows
    for row in rows:  # every format names the scoring date (a horizon view has its own)
        row.setdefault("scored_on", scored_on.isoformat())
    details.update(
        {
            "poor_precision_pct": poor_row["churn_rate_pct"],
            "poor_recall_pct": poor_row["recall_pct"],
            "churners_flagged": int(flagged.sum()),
            "median_lead_days": median_lead,
            "lead_checkpoint_days": bt.CHECKPOINT_DAYS,
            "target_precision_pct": opt.target_precision,
            "target_recall_pct": opt.target_recall,
            **bar,
        }
    )

    poor = details["poor_churn_rate"]
    if poor is None:
        lift, why = None, T("lift is undefined: no customer was in the poor class on the scoring date")
    elif average is None:
        lift, why = None, T("lift is undefined: no customer could be scored on the scoring date")
    else:
        lift, why = safe_ratio(poor, average, what=T("lift (nobody churned within the horizon)"))
    if why:
        warnings.append(why)
    details.update({"lift": lift, "method": opt.method, "lookback_days": opt.lookback_days})
    return MetricResult(
        "health",
        period,
        lift,
        "ratio",
        details,
        rows=rows,
        warnings=warnings,
        definition=(
            T(
                "Backtest of the health classes: every customer scored as of {scored_on} ({horizon} days before "
                "{end}, metrics.health.backtest_horizon_days); churned = paying on {scored_on} and not paying "
                "at the end of {end}. Per group of scored customers: churn rate = churned / customers x 100 (for "
                "a group that predicts churn - the poor class, 'score < t' - this is its precision); recall = churned in "
                "the group / every churner x 100; lift = churn rate / average churn rate over every customer with a class "
                "(above 1: the group churns more than average). Views: the classes; thresholds t = 10..90 and the poor "
                "class's cut; deciles of the score (lowest first; tied scores share a decile), the calibration; the poor "
                "class scored 60 and 90 days before {end}, against the bar precision >= {precision:g} % "
                "and recall >= {recall:g} % (metrics.health.target_precision, target_recall). Lead time: the "
                "score is taken again every {checkpoint} days from {scored_on}; a churner's lead time is the days "
                "from the first checkpoint at which it was poor to the day it stopped paying (never poor: missed). ",
                scored_on=scored_on, horizon=horizon, end=period.end, precision=opt.target_precision,
                recall=opt.target_recall, checkpoint=bt.CHECKPOINT_DAYS,
            )
            + _definition(cfg, s)
        ),
        formula=(
            T(
                "poor churn rate {poor} % / average churn rate {average} % ({churned} of {n}) = lift {lift}; poor: "
                "precision {precision} % ({poor_churned} of {poor_customers}), recall {recall} % ({poor_churned} of "
                "{churned}); median lead time {lead} days ({flagged} of {churned} churners poor before churning); ",
                poor=fmt_num(poor, 2), average=fmt_num(average, 2), churned=churned_all, n=n_all, lift=fmt_num(lift, 2),
                precision=fmt_num(poor, 1), poor_churned=poor_row["churned"], poor_customers=poor_row["customers"],
                recall=fmt_num(poor_row["recall_pct"], 1), lead=fmt_num(median_lead, 1), flagged=int(flagged.sum()),
            )
            + bt.bar_text(details, cfg)
        ),
        filtered=s.filtered,
    )
