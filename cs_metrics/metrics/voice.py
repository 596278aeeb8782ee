"""Voice of the customer: NPS, CSAT, CES and the comments behind them (feedback)."""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np
import pandas as pd

from cs_metrics import text
from cs_metrics.config import CesConfig, Config
from cs_metrics.contract import SURVEY_KINDS
from cs_metrics.i18n import T, join
from cs_metrics.metrics._ratio import fmt_num, rate, safe_ratio
from cs_metrics.period import Period
from cs_metrics.result import MetricResult, records

# Comment groups per survey kind; the unhappy ones are listed first by `feedback`.
GROUPS = ("promoter", "passive", "detractor", "satisfied", "unsatisfied", "positive", "negative")
UNHAPPY = ("detractor", "unsatisfied", "negative")


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
    value, why = safe_ratio(promoters - detractors, n, scale=100, what=T("NPS (no responses in the period)"))
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
        warnings.append(T("only {n} NPS responses: the margin of error (±{margin:.1f}) is wide", n=n, margin=margin))
    return MetricResult(
        "nps",
        period,
        value,
        "score",
        details,
        warnings=warnings,
        definition=(
            T(
                "NPS over the 'nps' survey responses dated in the period (scale {low:g}..{high:g}): "
                "promoters score >= {promoter:g}, detractors <= {detractor:g}; anonymous responses count",
                low=opt.scale[0], high=opt.scale[1], promoter=opt.promoter_min, detractor=opt.detractor_max,
            )
            + (T("; only each customer's latest response is kept.") if opt.latest_per_customer else ".")
        ),
        formula=(
            T(
                "({promoters} promoters - {detractors} detractors) / {n} responses x 100 = {value}",
                promoters=promoters, detractors=detractors, n=n, value=fmt_num(value),
            )
            + (f" ± {margin:.1f} (95 %)" if margin is not None else "")
        ),
        filtered={"surveys": filtered},
    )


def score_distribution(score: pd.Series, scale: tuple[float, float]) -> dict[str, int]:
    """Responses per point of the scale, as flat keys.

    A scale of whole numbers with at most 11 points (1..5, 0..10) gives `score_<k>` for every k from
    low to high, counting k <= score < k + 1 (a half score 4.5 counts under score_4). Any other
    scale (0..100, 0.5..5) gives five equal bins `score_<from>_<to>`, each [from, to), the last
    [from, to]. The keys depend on the config only, never on the data.
    """
    low, high = scale
    if float(low).is_integer() and float(high).is_integer() and high - low <= 10:
        edges = np.arange(int(low), int(high) + 2, dtype="float64")
        names = [f"score_{int(k)}" for k in edges[:-1]]
    else:
        edges = np.linspace(low, high, 6)
        names = [f"score_{a:g}_{b:g}" for a, b in pairwise(edges)]
    counts, _ = np.histogram(score.to_numpy(dtype="float64"), bins=edges)
    return {name: int(c) for name, c in zip(names, counts)}


def csat(frames: dict[str, pd.DataFrame], period: Period, cfg: Config) -> MetricResult:
    """Customer satisfaction, percent: satisfied / responses x 100 over the `csat` responses of P
    (anonymous ones count). Satisfied = score >= metrics.csat.satisfied_min (4) on
    metrics.csat.scale (1..5). Details: responses, satisfied, mean_score, the distribution
    (`score_1` .. `score_5`, see score_distribution) and the 95 % Wilson interval.
    Undefined (None, with a warning) with no responses in P."""
    opt = cfg.metrics.csat
    responses, filtered = responses_in_period(frames["surveys"], "csat", period)  # one row = a csat response in P
    score = responses["score"]
    n = len(responses)
    satisfied = int((score >= opt.satisfied_min).sum())
    value, interval, warnings = rate(satisfied, n, what=T("CSAT"), population=T("responses"))
    mean_score = float(score.mean()) if n else None
    details = {
        "responses": n,
        "satisfied": satisfied,
        "mean_score": mean_score,
        **score_distribution(score, opt.scale),
        **interval,
    }
    low, high = opt.scale
    return MetricResult(
        "csat",
        period,
        value,
        "percent",
        details,
        warnings=warnings,
        definition=T(
            "CSAT over the 'csat' survey responses dated in the period (scale {low:g}..{high:g}; anonymous "
            "responses count): satisfied = score >= {satisfied:g}; satisfied / responses x 100. "
            "Distribution: score_k = responses with k <= score < k + 1.",
            low=low, high=high, satisfied=opt.satisfied_min,
        ),
        formula=T(
            "{satisfied} satisfied / {n} responses x 100 = {value} % (mean score {mean})",
            satisfied=satisfied, n=n, value=fmt_num(value, 2), mean=fmt_num(mean_score, 2),
        ),
        filtered={"surveys": filtered},
    )


def ces_positive(score: pd.Series, opt: CesConfig) -> pd.Series:
    """Which CES scores are positive.

    Default: score >= positive_min (5 on 1..7: 5, 6, 7 = agree that it was easy). With
    lower_is_better the scale reads upside down (1 = very easy) and the threshold mirrors:
    score <= low + high - positive_min (1 + 7 - 5 = 3: 1, 2, 3), so the same config value keeps
    meaning "the best three points of seven"."""
    if opt.lower_is_better:
        return score <= opt.scale[0] + opt.scale[1] - opt.positive_min
    return score >= opt.positive_min


def ces_rule(opt: CesConfig) -> str:
    """ces_positive in words, with the threshold in force."""
    if opt.lower_is_better:
        limit = opt.scale[0] + opt.scale[1] - opt.positive_min
        return T(
            "score <= {limit:g} (lower is better: {low:g} + {high:g} - positive_min {positive:g})",
            limit=limit, low=opt.scale[0], high=opt.scale[1], positive=opt.positive_min,
        )
    return T("score >= {positive:g}", positive=opt.positive_min)


def ces(frames: dict[str, pd.DataFrame], period: Period, cfg: Config) -> MetricResult:
    """Customer effort score, percent: positive / responses x 100 over the `ces` responses of P
    (anonymous ones count), scale metrics.ces.scale (1..7). Positive = score >=
    metrics.ces.positive_min (5); with metrics.ces.lower_is_better the threshold mirrors:
    score <= low + high - positive_min (1 + 7 - 5 = 3). Details: responses, positive, mean_score
    and the 95 % Wilson interval. Undefined (None, with a warning) with no responses in P."""
    opt = cfg.metrics.ces
    responses, filtered = responses_in_period(frames["surveys"], "ces", period)  # one row = a ces response in P
    score = responses["score"]
    n = len(responses)
    positive = int(ces_positive(score, opt).sum())
    value, interval, warnings = rate(positive, n, what=T("CES"), population=T("responses"))
    mean_score = float(score.mean()) if n else None
    low, high = opt.scale
    return MetricResult(
        "ces",
        period,
        value,
        "percent",
        {"responses": n, "positive": positive, "mean_score": mean_score, **interval},
        warnings=warnings,
        definition=T(
            "CES over the 'ces' survey responses dated in the period (scale {low:g}..{high:g}; anonymous "
            "responses count): positive = {rule}; positive / responses x 100.",
            low=low, high=high, rule=ces_rule(opt),
        ),
        formula=T(
            "{positive} positive / {n} responses x 100 = {value} % (mean score {mean})",
            positive=positive, n=n, value=fmt_num(value, 2), mean=fmt_num(mean_score, 2),
        ),
        filtered={"surveys": filtered},
    )


def comment_groups(responses: pd.DataFrame, cfg: Config) -> np.ndarray:
    """The group of each response: nps promoter/passive/detractor (metrics.nps thresholds), csat
    satisfied/unsatisfied (metrics.csat.satisfied_min), ces positive/negative (see ces_positive)."""
    kind, score = responses["survey"], responses["score"]
    nps_opt, csat_opt = cfg.metrics.nps, cfg.metrics.csat
    is_nps, is_csat, is_ces = (kind == "nps"), (kind == "csat"), (kind == "ces")
    conditions = [
        is_nps & (score >= nps_opt.promoter_min),
        is_nps & (score <= nps_opt.detractor_max),
        is_nps,
        is_csat & (score >= csat_opt.satisfied_min),
        is_csat,
        is_ces & ces_positive(score, cfg.metrics.ces),
        is_ces,
    ]
    groups = ["promoter", "detractor", "passive", "satisfied", "unsatisfied", "positive", "negative"]
    return np.select([c.to_numpy(dtype=bool) for c in conditions], groups, default="")


def feedback(frames: dict[str, pd.DataFrame], period: Period, cfg: Config) -> MetricResult:
    """The survey comments of P, count: responses of the three kinds (nps, csat, ces) dated in P
    with a non-empty comment, each with its score and group (see comment_groups). Value = number
    of comments; 0 when there are none (never undefined).

    Details: `comments`, `unhappy_comments`, `<group>_comments` for every group, and
    `<group>_top_terms`: the metrics.feedback.top_terms (10) most frequent terms of the group's
    comments as one string "term (n), term (n)", n = occurrences, ties by the term (see
    cs_metrics.text for the words of Thai, Chinese and other scripts; metrics.feedback.stop_words
    adds to the built-in stop words).

    Rows, one per comment: responded_at (ISO date), survey, score, group, customer_id (None when
    anonymous), comment (untouched). Unhappy groups (detractor, unsatisfied, negative) first, newest
    first; then the others, newest first; same day: by survey, response_id, customer_id, comment."""
    opt = cfg.metrics.feedback
    surveys = frames["surveys"]
    kinds = [responses_in_period(surveys, kind, period) for kind in SURVEY_KINDS]
    responses = pd.concat([r for r, _ in kinds])  # one row = a response of any kind dated in P
    filtered = {
        "other survey kinds": int((~surveys["survey"].isin(SURVEY_KINDS)).sum()),
        "outside the period": sum(f["outside the period"] for _, f in kinds),
    }
    warnings: list[str] = []
    if "comment" in responses:
        comment = responses["comment"]
        has_comment = (comment.notna() & comment.str.strip().ne("")).to_numpy(dtype=bool)
    else:
        has_comment = np.zeros(len(responses), dtype=bool)
        warnings.append(T("surveys has no comment column: there are no comments to list"))
    filtered["without a comment"] = int((~has_comment).sum())

    # one row = a comment of P with its group
    commented = responses.loc[has_comment].assign(group=comment_groups(responses, cfg)[has_comment])
    commented = _newest_unhappy_first(commented)
    n = len(commented)
    if n == 0 and not warnings:
        warnings.append(T("no survey comments in the period"))

    counts = commented["group"].value_counts()
    details: dict = {"comments": n, "unhappy_comments": int(commented["group"].isin(UNHAPPY).sum())}
    details |= {f"{g}_comments": int(counts.get(g, 0)) for g in GROUPS}
    for g in GROUPS:  # one pass per group (seven), each over the group's comments joined
        joined = commented.loc[commented["group"] == g, "comment"].str.cat(sep="\n") if n else ""
        details[f"{g}_top_terms"] = text.format_terms(text.top_terms(joined, opt.top_terms, opt.stop_words))
    warnings += text.notes()

    nps_opt, csat_opt = cfg.metrics.nps, cfg.metrics.csat
    extra = T(" + {n} from metrics.feedback.stop_words", n=len(opt.stop_words)) if opt.stop_words else ""
    return MetricResult(
        "feedback",
        period,
        n,
        "count",
        details,
        rows=_comment_rows(commented),
        warnings=warnings,
        definition=T(
            "The comments (non-empty) of the nps, csat and ces survey responses dated in the period, with "
            "their group: nps promoter score >= {promoter:g}, detractor <= {detractor:g}, "
            "else passive; csat satisfied >= {satisfied:g}, else unsatisfied; ces positive "
            "{rule}, else negative. Rows: detractor, "
            "unsatisfied and negative comments first, newest first, then the others newest first. Top terms: the "
            "{top} most frequent words per group (occurrences), Thai cut into words by pythainlp newmm, "
            "Chinese by jieba (rjieba), other unspaced scripts into character pairs; lowercased, without "
            "punctuation, numbers, emoji, one-letter words and stop words (built-in English, Thai, Chinese"
            "{extra}).",
            promoter=nps_opt.promoter_min, detractor=nps_opt.detractor_max, satisfied=csat_opt.satisfied_min,
            rule=ces_rule(cfg.metrics.ces), top=opt.top_terms, extra=extra,
        ),
        formula=T(
            "{n} comments = {groups}; {unhappy} unhappy",
            n=n,
            groups=join(" + ", (T("{n} {group}", n=details[f"{g}_comments"], group=T.word(g)) for g in GROUPS)),
            unhappy=details["unhappy_comments"],
        ),
        filtered={"surveys": filtered},
    )


def _newest_unhappy_first(commented: pd.DataFrame) -> pd.DataFrame:
    """Unhappy groups first, newest first within each half; ties in a fixed order (row order never matters)."""
    ties = [c for c in ("survey", "response_id", "customer_id", "comment") if c in commented]
    keyed = commented.assign(_happy=~commented["group"].isin(UNHAPPY))
    keys = ["_happy", "responded_at", *ties]
    ordered = keyed.sort_values(keys, ascending=[True, False] + [True] * len(ties), kind="stable", na_position="last")
    return ordered.drop(columns="_happy")


def _comment_rows(commented: pd.DataFrame) -> list[dict]:
    """The listing: flat dicts, missing values as None, whole-number scores as ints."""
    score = commented["score"]
    if bool((score % 1 == 0).all()):
        score = score.astype("int64")
    missing = pd.Series(pd.NA, index=commented.index, dtype="object")
    frame = pd.DataFrame(
        {
            "responded_at": commented["responded_at"].dt.strftime("%Y-%m-%d"),
            "survey": commented["survey"],
            "score": score,
            "group": commented["group"],
            "customer_id": commented.get("customer_id", missing),
            "comment": commented.get("comment", missing),
        }
    )
    return records(frame)
