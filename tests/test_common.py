"""Checks that hold for every registered metric at once, on the bundled sample data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cs_metrics.config import load_config
from cs_metrics.load import Dataset
from cs_metrics.metrics import REGISTRY
from cs_metrics.period import parse_period
from cs_metrics.render import to_json
from cs_metrics.runner import load_inputs

ROOT = Path(__file__).resolve().parents[1]
CFG = load_config(ROOT / "sample_data" / "cs-metrics.yaml")
PERIOD = parse_period("2026-Q3")  # holds every kind of sample activity, the August NPS wave included
DS = Dataset(CFG)


def frames_for(spec) -> dict[str, pd.DataFrame]:
    return {t: f.copy() for t, f in load_inputs(spec, CFG, DS).items()}


def run(spec, frames, period=PERIOD):
    return spec.function()(frames, period, CFG)


def same(a, b) -> None:
    assert a.value == pytest.approx(b.value, abs=1e-9) if a.value is not None else b.value is None
    assert a.details.keys() == b.details.keys()
    for k in a.details:
        x, y = a.details[k], b.details[k]
        assert x == pytest.approx(y, abs=1e-9) if isinstance(x, float) else x == y, k


METRICS = sorted(REGISTRY.values(), key=lambda s: s.name)
ids = [s.name for s in METRICS]


def test_every_metric_has_the_same_value_alone_in_report_and_in_check():
    """A metric's value must not depend on the command that computes it (each with its own read)."""
    from cs_metrics.check import evaluate
    from cs_metrics.config import AlertRule
    from cs_metrics.report import build
    from cs_metrics.runner import run as run_metric

    alone = {name: run_metric(spec, CFG, PERIOD)[0] for name, spec in REGISTRY.items()}
    report = {e.spec.name: e.result for e in build(CFG, PERIOD, previous=False).entries}
    rules = [AlertRule(metric=name, above=1e18) for name in REGISTRY]
    checked, _ = evaluate(CFG.model_copy(update={"alerts": rules}), PERIOD)
    in_check = {row["metric"]: row["value"] for row in checked.rows if row["segment"] == "total"}
    assert set(report) == set(in_check) == set(REGISTRY)
    for name, result in alone.items():
        assert report[name].value == result.value, name
        assert in_check[name] == result.value, name
        assert result.unit == REGISTRY[name].unit
        to_json(result)  # every value is JSON-serialisable


def test_sample_data_values_match_an_independent_computation():
    """A few headline numbers of 2026-Q3 recomputed from the CSV files with the csv module alone."""
    import csv
    from datetime import date

    def rows(name):
        with open(ROOT / "sample_data" / f"{name}.csv", newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))

    rate = {"USD": 1.0, "THB": 0.028, "CNY": 0.14}
    start, end = date(2026, 7, 1), date(2026, 9, 30)

    def mrr_on(day):  # non-trial rows active at the end of `day`, per customer
        out = {}
        for r in rows("subscriptions"):
            if r["is_trial"] == "true":
                continue
            began = date.fromisoformat(r["started_at"])
            ended = date.fromisoformat(r["ended_at"]) if r["ended_at"] else date.max
            if began <= day < ended:
                # each converted amount is rounded to 1/10,000 of the base currency (README: Currencies)
                out[r["customer_id"]] = out.get(r["customer_id"], 0) + round(float(r["mrr"]) * rate[r["currency"]], 4)
        return out

    opening, closing = mrr_on(date(2026, 6, 30)), mrr_on(end)
    got = {name: run(REGISTRY[name], frames_for(REGISTRY[name])) for name in ("mrr", "churn", "nps", "tickets")}
    assert got["mrr"].value == pytest.approx(sum(closing.values()), abs=1e-6)
    starting = {c for c, v in opening.items() if v > 0}
    lost = {c for c in starting if closing.get(c, 0) <= 0}
    assert got["churn"].value == pytest.approx(len(lost) / len(starting) * 100)
    scores = [int(r["score"]) for r in rows("surveys") if r["survey"] == "nps" and start <= date.fromisoformat(r["responded_at"]) <= end]
    nps = (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores) * 100
    assert got["nps"].value == pytest.approx(nps)
    created = [r for r in rows("tickets") if start <= date.fromisoformat(r["created_at"][:10]) <= end]  # naive = Bangkok time
    assert got["tickets"].value == len(created)


@pytest.mark.parametrize("spec", METRICS, ids=ids)
def test_row_order_does_not_change_the_result(spec):
    frames = frames_for(spec)
    shuffled = {t: f.sample(frac=1.0, random_state=7) for t, f in frames.items()}
    same(run(spec, frames), run(spec, shuffled))


@pytest.mark.parametrize("spec", METRICS, ids=ids)
def test_rows_after_the_period_do_not_change_the_result(spec):
    frames = frames_for(spec)
    later = {}
    for t, f in frames.items():
        moved = f.copy()
        for col in moved.columns:
            if pd.api.types.is_datetime64_any_dtype(moved[col]):
                moved[col] = moved[col] + pd.DateOffset(years=5)
            elif col.endswith("_id") and col not in ("customer_id", "user_id"):
                moved[col] = moved[col] + "-later"  # later rows are new invoices, sessions ...
        later[t] = pd.concat([f, moved], ignore_index=True)
        if t == "customers" or moved.equals(f):  # one row per customer, or nothing dated to move (costs):
            later[t] = f  # a copy would duplicate rows, not add later ones
    same(run(spec, frames), run(spec, later))


@pytest.mark.parametrize("spec", METRICS, ids=ids)
def test_an_empty_input_is_undefined_with_a_reason_or_zero(spec):
    r = run(spec, {t: f.iloc[:0] for t, f in frames_for(spec).items()})
    if r.value is not None:  # a total of nothing is 0; a ratio of nothing (CLV, CRC, ARPU) is undefined
        assert r.unit in ("money", "count") and r.value == 0
    else:
        assert any("undefined" in w for w in r.warnings)


@pytest.mark.parametrize("spec", METRICS, ids=ids)
def test_inputs_are_not_mutated(spec):
    frames = frames_for(spec)
    before = {t: f.copy(deep=True) for t, f in frames.items()}
    run(spec, frames)
    for t in frames:
        pd.testing.assert_frame_equal(frames[t], before[t])
