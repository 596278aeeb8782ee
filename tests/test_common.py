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


@pytest.mark.parametrize("spec", METRICS, ids=ids)
def test_sample_data_gives_a_defined_value(spec):
    r = run(spec, frames_for(spec))
    assert r.value is not None and r.unit == spec.unit
    to_json(r)  # every value is JSON-serialisable


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
