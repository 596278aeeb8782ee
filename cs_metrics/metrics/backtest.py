"""How well health scores predict churn (`health --backtest`): per group of customers scored on a
past date, the churn rate (the precision of "this group will churn"), the share of all churners it
holds (recall) and the lift; score thresholds, score deciles (calibration), horizons of 60 and 90
days against the practitioners' bar, and the lead time between the first poor score and the churn.

The scores come from health.score_customers, unchanged; this module only groups and counts them."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from cs_metrics.config import Config
from cs_metrics.i18n import T, join
from cs_metrics.metrics._ratio import fmt_num, rate, safe_ratio
from cs_metrics.metrics._state import mrr_grid, mrr_rows
from cs_metrics.period import Period

THRESHOLDS = tuple(range(10, 100, 10))  # "poor if score < t" for t = 10, 20, ... 90
BAR_HORIZONS = (60, 90)  # days: where practitioners ask a health score to predict churn
CHECKPOINT_DAYS = 7  # lead time: the score is taken again every 7 days after the scoring date


def group_row(view: str, group: str, members: np.ndarray, churned: np.ndarray, average: float | None, cfg: Config,
              predicts: bool = False) -> tuple[dict, list[str]]:  # fmt: skip
    """One backtest row: customers in the group, churned among them, churn rate (with its 95 %
    interval; for a predicting group, its precision), recall (churned in the group / every churner
    scored), lift (churn rate / average). `predicts`: the row also says whether it meets the bar."""
    n, lost, all_lost = int(members.sum()), int((members & churned).sum()), int(churned.sum())
    if view == "class":
        what, population = T("churn of the {group} class", group=T.word(group)), T("{group} customers", group=T.word(group))
    else:
        what, population = T("churn of {group}", group=group), T("customers")
    churn_rate, interval, notes = rate(lost, n, what=what, population=population)
    recall, _ = safe_ratio(lost, all_lost, scale=100)
    lift = safe_ratio(churn_rate, average)[0] if churn_rate is not None and average is not None else None
    row = {"view": view, "group": group, "customers": n, "churned": lost, "churn_rate_pct": churn_rate, **interval,
           "recall_pct": recall, "lift": lift, "meets_bar": meets_bar(churn_rate, recall, cfg) if predicts else None}  # fmt: skip
    return row, notes


def meets_bar(precision: float | None, recall: float | None, cfg: Config) -> bool | None:
    """Precision >= target_precision and recall >= target_recall; None when nobody churned (nothing to
    predict); a group with no customer has no precision and does not meet the bar."""
    opt = cfg.metrics.health
    if recall is None:
        return None
    return precision is not None and precision >= opt.target_precision and recall >= opt.target_recall


def threshold_rows(score: np.ndarray, churned: np.ndarray, average: float | None, cfg: Config, poor_cut: float | None) -> list[dict]:
    """"poor if score < t" for t = 10..90 and the configured cut of the poor class, ascending."""
    cuts = sorted(set(THRESHOLDS) | ({round(poor_cut, 2)} if poor_cut is not None and not np.isnan(poor_cut) else set()))
    rows = []
    for t in cuts:  # a handful of thresholds, each one vectorised over the customers
        label = T("score < {t:g}", t=t) + (T(" (poor)") if poor_cut is not None and t == round(poor_cut, 2) else "")
        rows.append(group_row("threshold", label, score < t, churned, average, cfg, predicts=True)[0])
    return rows


def decile_rows(score: np.ndarray, churned: np.ndarray, average: float | None, cfg: Config) -> list[dict]:
    """Calibration: the scored customers in ten groups by score, lowest first. A customer's decile is
    floor((r - 1) x 10 / n) + 1 with r its rank from the lowest score, tied customers sharing the
    lowest rank of their tie, so a tie never straddles two deciles (and some deciles may be empty,
    which are left out)."""
    n = len(score)
    if n == 0:
        return []
    first_rank = pd.Series(score).rank(method="min").to_numpy(dtype="int64")
    decile = (first_rank - 1) * 10 // n + 1
    rows = []
    for k in np.unique(decile):  # at most ten groups
        members = decile == k
        low, high = score[members].min(), score[members].max()
        rows.append(group_row("decile", T("decile {k} ({low:.1f}-{high:.1f})", k=k, low=low, high=high), members, churned, average, cfg)[0])
    return rows


def churned_by(frames: dict[str, pd.DataFrame], customers: pd.Index, end: date, cfg: Config) -> np.ndarray:
    """Which of `customers` are not paying at the end of `end` (aligned to `customers`)."""
    ids, grid = mrr_grid(mrr_rows(frames, cfg), [end])
    return ~customers.isin(ids[grid[:, 0] > 0])


def churn_days(frames: dict[str, pd.DataFrame], customers: pd.Index, after: date, end: date, cfg: Config) -> np.ndarray:
    """For each of `customers` (paying at the end of `after`, not at the end of `end`), the first day
    d in (after, end] at whose end it is not paying: the day it churned (datetime64[D])."""
    days = [after + timedelta(days=i) for i in range(1, (end - after).days + 1)]
    subs = mrr_rows(frames, cfg)
    subs = subs.loc[subs["customer_id"].isin(customers)]  # only the churners' rows
    ids, grid = mrr_grid(subs, days)
    positions = ids.get_indexer(customers)
    paying = np.zeros((len(customers), len(days)), dtype=bool)
    paying[positions >= 0] = grid[positions[positions >= 0]] > 0
    first_gap = np.argmax(~paying, axis=1)  # every churner has a gap: it is not paying at `end`
    return np.array([np.datetime64(d, "D") for d in days])[first_gap] if len(days) else np.array([], dtype="datetime64[D]")


def lead_times(frames, period: Period, cfg: Config, scored, churners: pd.Index, score_at) -> np.ndarray:
    """Days from the first checkpoint at which each churner scored poor to the day it churned (NaN when
    it was never poor before churning). Checkpoints: the scoring date, then every 7 days while before
    the end of the period; each is a full scoring of every paying customer (`score_at(day)`)."""
    if len(churners) == 0:
        return np.empty(0)
    gone = churn_days(frames, churners, scored, period.end, cfg)
    first_poor = np.full(len(churners), np.datetime64("NaT"), dtype="datetime64[D]")
    day = scored
    while day < period.end:  # one scoring per week of the horizon
        s = score_at(day)
        pos = s.customers.get_indexer(churners)
        poor = np.zeros(len(churners), dtype=bool)
        poor[pos >= 0] = s.klass[pos[pos >= 0]] == "poor"
        first = poor & np.isnat(first_poor) & (np.datetime64(day, "D") < gone)
        first_poor[first] = np.datetime64(day, "D")
        day += timedelta(days=CHECKPOINT_DAYS)
    lead = (gone - first_poor).astype("timedelta64[D]").astype("float64")
    lead[np.isnat(first_poor)] = np.nan
    return lead


def horizon_rows(frames, period: Period, cfg: Config, score_at) -> tuple[list[dict], dict]:
    """The poor class scored 60 and 90 days before the end, against the bar: its precision and recall."""
    rows, details = [], {}
    for h in BAR_HORIZONS:
        day = period.end - timedelta(days=h)
        s = score_at(day)
        has_class = pd.notna(s.klass)
        churned = churned_by(frames, s.customers, period.end, cfg)[has_class]
        n, lost = int(has_class.sum()), int(churned.sum())
        average = safe_ratio(lost, n, scale=100)[0]
        poor = (s.klass[has_class] == "poor").astype(bool)
        row, _ = group_row("horizon", T("poor, {h} days (scored {day})", h=h, day=day), poor, churned, average, cfg, predicts=True)
        rows.append(row)
        details.update({f"precision_{h}d": row["churn_rate_pct"], f"recall_{h}d": row["recall_pct"], f"meets_bar_{h}d": row["meets_bar"]})
    return rows, details


def bar_text(details: dict, cfg: Config) -> str:
    """The bar and where the weights stand, for the formula line."""
    opt = cfg.metrics.health
    parts = []
    for h in BAR_HORIZONS:
        verdict = {True: T("meets it"), False: T("below it"), None: T("no churn to predict")}[details[f"meets_bar_{h}d"]]
        parts.append(
            T(
                "{h} days: precision {precision} %, recall {recall} % ({verdict})",
                h=h, precision=fmt_num(details[f"precision_{h}d"], 1), recall=fmt_num(details[f"recall_{h}d"], 1), verdict=verdict,
            )
        )
    return T("bar (precision >= {precision:g} %, recall >= {recall:g} %): ", precision=opt.target_precision, recall=opt.target_recall) + join(
        "; ", parts
    )
