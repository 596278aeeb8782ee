"""`check`: the config's alert rules evaluated for a period, as a listing result."""

from __future__ import annotations

from cs_metrics.config import Config
from cs_metrics.load import Dataset
from cs_metrics.period import Period
from cs_metrics.report import build
from cs_metrics.result import MetricResult


def _breached(value, above, below) -> bool | None:
    if value is None:
        return None
    return (above is not None and value > above) or (below is not None and value < below)


def evaluate(cfg: Config, period: Period) -> tuple[MetricResult, list[Dataset]]:
    """One row per rule and segment: value, thresholds, status breach | ok | n/a.
    Value: the number of breaches (exit 1 when above 0). Tables are read once for all rules."""
    ds = Dataset(cfg)
    reports = {}
    for by in dict.fromkeys(rule.by for rule in cfg.alerts):
        metrics = sorted({r.metric for r in cfg.alerts if r.by == by})
        reports[by] = build(cfg, period, by=by, metrics=metrics, previous=False, ds=ds)
    rows, warnings = [], []
    for n, rule in enumerate(cfg.alerts, 1):
        rep = reports[rule.by]
        label = rule.name or f"{rule.metric} " + " and ".join(
            x for x in (f"above {rule.above:g}" if rule.above is not None else "", f"below {rule.below:g}" if rule.below is not None else "") if x
        )
        entry = next((e for e in rep.entries if e.spec.name == rule.metric), None)
        if entry is None:
            reason = next((s["reason"] for s in rep.skipped if s["metric"] == rule.metric), "not computed")
            rows.append({"rule": label, "metric": rule.metric, "segment": "total", "value": None, "above": rule.above, "below": rule.below, "status": "n/a"})
            warnings.append(f"rule {n} ({label}) cannot be evaluated: {reason}")
            continue
        checks = [("total", entry.result.value)] + [(s["segment"], s["value"]) for s in entry.result.segments or ()]
        for segment, value in checks:
            hit = _breached(value, rule.above, rule.below)
            status = "n/a" if hit is None else "breach" if hit else "ok"
            rows.append({"rule": label, "metric": rule.metric, "segment": segment, "value": value, "above": rule.above, "below": rule.below, "status": status})
            if hit is None:
                warnings.append(f"rule {n} ({label}), {segment}: the value is undefined, so it cannot be checked")
    breaches = sum(r["status"] == "breach" for r in rows)
    result = MetricResult(
        "check",
        period,
        breaches,
        "count",
        {"rules": len(cfg.alerts), "checks": len(rows), "breaches": breaches, "not_evaluated": sum(r["status"] == "n/a" for r in rows)},
        rows=rows,
        warnings=warnings,
        definition="Alert rules of the config: a rule is breached when the metric's value is above `above` or below `below`.",
        formula=f"{breaches} of {len(rows)} checks breached",
    )
    return result, [ds]
