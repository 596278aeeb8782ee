"""Voice of the customer: NPS."""

from __future__ import annotations

import math

import pandas as pd

from cs_metrics.config import Config
from cs_metrics.metrics._ratio import fmt_num, safe_ratio
from cs_metrics.period import Period
from cs_metrics.result import MetricResult


def responses_in_period(surveys: pd.DataFrame, kind: str, period: Period) -> tuple[pd.DataFrame, dict[str, int]]:
    """Responses of one survey kind with responded_at in P, and the counts of rows left out."""
    of_kind = surveys["survey"] == kind
    day = surveys["responded_at"]
    inside = (day >= pd.Timestamp(period.start)) & (day <= pd.Timestamp(period.end))
    filtered = {
        "other survey kinds": int((~of_kind).sum()),
        "outside the period": int((of_kind & ~inside).sum()),
    }
    return surveys.loc[of_kind & inside], filtered


def latest_per_customer(responses: pd.DataFrame) -> pd.DataFrame:
    """One response per customer: the latest (file order breaks ties); anonymous ones all kept."""
    if "customer_id" not in responses:
        return responses
    anonymous = responses["customer_id"].isna()
    named = responses.loc[~anonymous]
    latest = named.sort_values("responded_at", kind="stable").groupby("customer_id").tail(1)
    return pd.concat([responses.loc[anonymous], latest]).sort_index()


def nps(frames: dict[str, pd.DataFrame], period: Period, cfg: Config) -> MetricResult:
    """Net Promoter Score, -100..100: (promoters - detractors) / responses x 100 over the `nps`
    responses of P (anonymous ones count). Promoters score >= promoter_min (9), detractors
    <= detractor_max (6). Margin of error at 95 %: 1.96 x sqrt((p + d) - (p - d)^2) / sqrt(n) x 100.
    Undefined with no responses."""
    opt = cfg.metrics.nps
    responses, filtered = responses_in_period(frames["surveys"], "nps", period)
    if opt.latest_per_customer:
        kept = latest_per_customer(responses)
        filtered["earlier responses of the same customer"] = len(responses) - len(kept)
        responses = kept
    score = responses["score"]
    n = len(responses)
    promoters = int((score >= opt.promoter_min).sum())  # one row = a response in P
    detractors = int((score <= opt.detractor_max).sum())
    passives = n - promoters - detractors
    value, why = safe_ratio(promoters - detractors, n, scale=100, what="NPS (no responses in the period)")
    share = {k: safe_ratio(v, n, scale=100)[0] for k, v in (("promoters", promoters), ("passives", passives), ("detractors", detractors))}
    margin = None
    if n:
        p, d = promoters / n, detractors / n
        margin = 1.96 * math.sqrt(max((p + d) - (p - d) ** 2, 0.0)) / math.sqrt(n) * 100
    details = {
        "responses": n,
        "promoters": promoters,
        "passives": passives,
        "detractors": detractors,
        "promoters_pct": share["promoters"],
        "passives_pct": share["passives"],
        "detractors_pct": share["detractors"],
        "margin_of_error": margin,
    }
    warnings = [why] if why else []
    if 0 < n < 30:
        warnings.append(f"only {n} NPS responses: the margin of error (±{margin:.1f}) is wide")
    return MetricResult(
        "nps",
        period,
        value,
        "score",
        details,
        warnings=warnings,
        definition=(
            f"NPS over the 'nps' survey responses dated in the period (scale {opt.scale[0]:g}..{opt.scale[1]:g}): "
            f"promoters score >= {opt.promoter_min:g}, detractors <= {opt.detractor_max:g}; anonymous responses count"
            + ("; only each customer's latest response is kept." if opt.latest_per_customer else ".")
        ),
        formula=(
            f"({promoters} promoters - {detractors} detractors) / {n} responses x 100 = {fmt_num(value)}"
            + (f" ± {margin:.1f} (95 %)" if margin is not None else "")
        ),
        filtered={"surveys": filtered},
    )
