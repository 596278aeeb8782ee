"""`check`: the config's alert rules evaluated for a period, as a listing result.

Each rule and segment gets one status: `breach`, `ok`, `not enough data` (its sample is below the
rule's `min_n`, or empty) or `unknown` (the value cannot be computed: a file or column is missing,
a table is broken, or the value is undefined), with the sample size its value rests on. The CLI
exits 1 when any rule is breached and 3 when any is unknown, so cron hears about both."""

from __future__ import annotations

from cs_metrics.config import Config
from cs_metrics.i18n import T, join
from cs_metrics.load import Dataset
from cs_metrics.period import Period
from cs_metrics.report import build
from cs_metrics.result import MetricResult

STATUSES = ("breach", "unknown", "not enough data", "ok")


def _breached(value, above, below) -> bool:
    return (above is not None and value > above) or (below is not None and value < below)


def _label(rule) -> str:
    limits = [T("above {x:g}", x=rule.above) if rule.above is not None else "", T("below {x:g}", x=rule.below) if rule.below is not None else ""]
    return rule.name or T.metric(rule.metric) + " " + join(T(" and "), [x for x in limits if x])


def _status(value, n, rule) -> tuple[str, str]:
    """(status, why) of one value whose sample size is n (None when the metric has no sample)."""
    if rule.min_n is not None and n is not None and n < rule.min_n:
        return "not enough data", T("{n} below min_n {min_n}", n=n, min_n=rule.min_n)
    if value is None:
        if n == 0:
            return "not enough data", T("no data in the period")
        return "unknown", T("the value is undefined")
    return ("breach" if _breached(value, rule.above, rule.below) else "ok"), ""


def evaluate(cfg: Config, period: Period) -> tuple[MetricResult, list[Dataset]]:
    """One row per rule and segment: value, sample size, thresholds, status and the reason.
    Value: the number of breaches. Tables are read once for all rules."""
    ds = Dataset(cfg)
    reports = {}
    for by in dict.fromkeys(rule.by for rule in cfg.alerts):
        metrics = sorted({r.metric for r in cfg.alerts if r.by == by})
        reports[by] = build(cfg, period, by=by, metrics=metrics, previous=False, ds=ds)
    rows, warnings = [], []
    for n, rule in enumerate(cfg.alerts, 1):
        rep = reports[rule.by]
        label = _label(rule)
        base = {"rule": label, "metric": rule.metric, "above": rule.above, "below": rule.below, "min_n": rule.min_n}
        entry = next((e for e in rep.entries if e.spec.name == rule.metric), None)
        if entry is None:
            reason = next((s["reason"] for s in rep.skipped if s["metric"] == rule.metric), T("not computed"))
            rows.append({**base, "segment": "total", "segment_kind": "total", "value": None, "n": None, "sample": None, "status": "unknown", "reason": reason})
            warnings.append(T("rule {n} ({label}) cannot be evaluated: {reason}", n=n, label=label, reason=reason))
            continue
        sample = entry.spec.sample
        checks = [("total", "total", entry.result.value, entry.result.details)]
        checks += [(s["segment"], s.get("segment_kind", "value"), s["value"], s["details"]) for s in entry.result.segments or ()]
        for segment, kind, value, details in checks:
            size = sample.size(details) if sample else None
            status, why = _status(value, size, rule)
            rows.append(
                {**base, "segment": segment, "segment_kind": kind, "value": value, "n": size,
                 "sample": sample.noun if sample else None, "status": status, "reason": why}
            )  # fmt: skip
            if status == "unknown":
                warnings.append(T("rule {n} ({label}), {segment}: cannot be evaluated: {why}", n=n, label=label, segment=segment, why=why))
    counts = {s: sum(r["status"] == s for r in rows) for s in STATUSES}
    result = MetricResult(
        "check",
        period,
        counts["breach"],
        "count",
        {
            "rules": len(cfg.alerts),
            "checks": len(rows),
            "breaches": counts["breach"],
            "unknown": counts["unknown"],
            "not_enough_data": counts["not enough data"],
            "ok": counts["ok"],
        },
        rows=rows,
        warnings=warnings,
        definition=T(
            "Alert rules of the config: a rule is breached when the metric's value is above `above` or below `below`; "
            "`not enough data` when its sample (responses, customers ...) is below `min_n` or empty; `unknown` when "
            "the value cannot be computed (a missing file or column, a broken table, an undefined value)."
        ),
        formula=T(
            "{breach} of {n} checks breached, {unknown} unknown, {thin} without enough data",
            breach=counts["breach"], n=len(rows), unknown=counts["unknown"], thin=counts["not enough data"],
        ),
    )
    return result, [ds]
