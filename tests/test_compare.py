"""`compare`: one metric under two profiles, and the per-customer differences of MRR adding up to the
gap, on the definition-profile fixture (tests/data/profiles; its customers and sources are described
in tests/test_profiles.py)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cs_metrics.cli import app
from cs_metrics.config import load_config
from cs_metrics.load import MRR_SCALE
from cs_metrics.period import parse_period
from cs_metrics.profiles import KEYS, PROFILES, configured, in_force
from test_profiles import CONFIG, _json


def test_compare_rows_name_the_switch_and_sum_to_the_gap():
    doc = _json("compare", "mrr", "--profile", "cs-metrics", "--profile", "stripe", "--rows")
    assert doc["details"]["value_a"] == pytest.approx(637) and doc["details"]["value_b"] == pytest.approx(570)
    assert doc["value"] == pytest.approx(-67)
    rows = [(r["customer_id"], r["switch"], r["mrr_a"], r["mrr_b"], r["difference"]) for r in doc["rows"]]
    assert rows == [  # largest difference first
        ("C6", "churn_at", 120, 0, -120),
        ("C3", "discounts", 150, 200, 50),
        ("C8", "fx", 87, 90, 3),
    ]
    assert sum(r["difference"] for r in doc["rows"]) == pytest.approx(570 - 637)
    assert "canceled_at under stripe" in doc["rows"][0]["why"]
    # and what in the export each switch read
    assert [r["why"].split(": ", 1)[1] for r in doc["rows"]] == [
        "canceled_at 2026-10-15", "discount_percent 25, discount_duration repeating", "currency THB"
    ]


def test_compare_one_customer_two_switches_and_the_csv_shape():
    out = CliRunner().invoke(
        app, ["compare", "mrr", "-c", CONFIG, "-p", "2026-10", "--profile", "baremetrics", "--profile", "stripe", "--rows", "-f", "csv", "-q"]
    )
    lines = out.stdout.splitlines()
    assert lines[0] == "customer_id,mrr_a,mrr_b,difference,switch,why"
    # C6 -120 (churn_at), C5 +80 (past due), C3 +50 (discounts), C8 +6 (84 at the start-day rate -> 90)
    assert [line.split(",")[:5] for line in lines[1:]] == [
        ["C6", "120.0", "0.0", "-120.0", "churn_at"],
        ["C5", "0.0", "80.0", "80.0", "past_due_churn_days"],
        ["C3", "150.0", "200.0", "50.0", "discounts"],
        ["C8", "84.0", "90.0", "6.0", "fx"],
    ]


def test_compare_values_side_by_side_and_its_errors():
    doc = _json("compare", "churn", "--profile", "chartmogul", "--profile", "stripe")
    assert doc["details"]["value_a"] == pytest.approx(200 / 9) and doc["details"]["value_b"] == pytest.approx(37.5)
    assert doc["value"] == pytest.approx(37.5 - 200 / 9)
    out = CliRunner().invoke(app, ["compare", "churn", "-c", CONFIG, "-p", "2026-10", "--profile", "a", "--profile", "stripe"])
    assert out.exit_code == 2
    out = CliRunner().invoke(app, ["compare", "churn", "-c", CONFIG, "-p", "2026-10", "--profile", "stripe", "--rows"])
    assert out.exit_code == 2 and "--rows" in out.output
    out = CliRunner().invoke(app, ["compare", "mrr", "-c", CONFIG, "-p", "2026-10"])
    assert out.exit_code == 2 and "two profiles" in out.output


def test_compare_two_configs(tmp_path):
    # B: the same exports with THB at 0.030 instead of 0.029: only C8 moves, 3,000 x 0.030 = 90.00 against
    # 87.00; the configs differ in more than their definitions, so no switch is named
    from test_profiles import FIXTURE

    other = tmp_path / "b.yaml"
    other.write_text(f"data: {FIXTURE}\ncurrency:\n  base: USD\n  rates: {{THB: 0.030}}\n")
    doc = _json("compare", "mrr", "--config-b", str(other), "--rows")
    assert doc["value"] == pytest.approx(3)
    assert [(r["customer_id"], r["mrr_a"], r["mrr_b"], r["switch"]) for r in doc["rows"]] == [("C8", 87, 90, "config")]
    assert doc["details"]["configs"] == "different"
    # one config against itself under another profile is still split by switch
    same = tmp_path / "same.yaml"
    same.write_text((FIXTURE / "cs-metrics.yaml").read_text().replace("data: .", f"data: {FIXTURE}"))
    doc = _json("compare", "mrr", "--config-b", str(same), "--profile", "stripe", "--rows")
    assert [r["switch"] for r in doc["rows"]] == ["churn_at", "discounts", "fx"]


# --------------------------------------------------------------------------- property: the parts add up


def _frames(rows: list[tuple]) -> dict:
    """Canonical subscription rows (as the loader gives them) with the columns the switches read."""
    records = []
    for i, (customer, start, days, amount, pct, duration, cancel, past_due) in enumerate(rows):
        started = pd.Timestamp("2026-08-01") + pd.Timedelta(days=start)
        ended = started + pd.Timedelta(days=days) if days else pd.NaT
        list_units = amount * MRR_SCALE
        records.append(
            {
                "subscription_id": f"s{i}",
                "customer_id": customer,
                "started_at": started,
                "ended_at": ended,
                "mrr": list_units * (100 - pct) // 100,
                "list_mrr": list_units,
                "is_trial": False,
                "discount_duration": duration,
                "canceled_at": started + pd.Timedelta(days=cancel) if cancel is not None else pd.NaT,
                "past_due_since": started + pd.Timedelta(days=past_due) if past_due is not None else pd.NaT,
            }
        )
    frame = pd.DataFrame.from_records(records)
    frame = frame.astype({"customer_id": "str", "mrr": "int64", "list_mrr": "int64", "is_trial": "bool", "discount_duration": "object"})
    for col in ("started_at", "ended_at", "canceled_at", "past_due_since"):
        frame[col] = frame[col].astype("datetime64[us]")
    return {"subscriptions": frame}


row = st.tuples(
    st.sampled_from(["A", "B", "C", "D"]),
    st.integers(0, 90),  # start, days after 2026-08-01
    st.one_of(st.none(), st.integers(1, 120)),  # length in days, or open
    st.integers(1, 500),
    st.sampled_from([0, 25, 100]),  # discount percent
    st.sampled_from([None, "forever", "once", "repeating"]),
    st.one_of(st.none(), st.integers(0, 60)),  # canceled_at, days after the start
    st.one_of(st.none(), st.integers(0, 60)),  # past_due_since, days after the start
)


@settings(max_examples=60, deadline=None)
@given(st.lists(row, min_size=1, max_size=8), st.sampled_from(list(PROFILES)), st.sampled_from(list(PROFILES)))
def test_compare_parts_add_up_to_each_customer_and_to_the_gap(rows, a, b):
    from cs_metrics.compare import closing_units, contributions

    frames = _frames(rows)
    period = parse_period("2026-10")
    base = load_config(None)
    cfg_a, cfg_b = configured(base, profile=a), configured(base, profile=b)
    defs_a, defs_b = in_force(cfg_a), in_force(cfg_b)
    switches = [k for k in KEYS if defs_a.values[k] != defs_b.values[k]]
    under_a, under_b, parts = contributions(frames, period, cfg_a, switches, defs_b.values)
    direct_b = closing_units(frames, period, cfg_b)  # B computed on its own, not through the walk
    assert under_b.sum() == direct_b.sum()
    assert under_a.sum() == closing_units(frames, period, cfg_a).sum()
    total_parts = int(parts.to_numpy().sum()) if len(parts.columns) else 0
    assert total_parts == int(direct_b.sum()) - int(under_a.sum())
    customers = under_a.index.union(direct_b.index)
    per_customer = parts.sum(axis=1).reindex(customers, fill_value=0) if len(parts.columns) else pd.Series(0, index=customers)
    expected = direct_b.reindex(customers, fill_value=0) - under_a.reindex(customers, fill_value=0)
    assert (per_customer.astype("int64") == expected.astype("int64")).all()


@pytest.mark.parametrize("lang", ["th", "zh"])
def test_profiles_compare_and_reconcile_say_their_words_in_thai_and_chinese(lang):
    from test_i18n import _allowed_words, untranslated

    from cs_metrics import i18n
    from test_profiles import FIXTURE

    # the two sides compared, a switch's YAML value, and a value of the export (its discount_duration)
    allowed = _allowed_words() | {"a", "b", "null", "repeating"}
    runs = [
        ["churn", "--profile", "stripe", "--explain"],
        ["mrr", "--profile", "chartmogul", "--explain"],
        ["compare", "mrr", "--profile", "baremetrics", "--profile", "stripe", "--rows", "--explain"],
        ["compare", "churn", "--profile", "cs-metrics", "--profile", "stripe", "--explain"],
    ]
    for args in runs:
        out = CliRunner().invoke(app, [*args, "-c", CONFIG, "-p", "2026-10", "-f", "table", "-q", "--lang", lang])
        assert out.exit_code == 0, out.output
        assert untranslated(out.stdout, allowed) == [], args
    out = CliRunner().invoke(app, ["reconcile", "mrr", "-c", str(FIXTURE / "reconcile.yaml"), "-p", "2026-10", "-f", "table", "-q",
                                   "--against", str(FIXTURE / "chartmogul-subscriptions.csv"), "--explain", "--lang", lang])  # fmt: skip
    assert untranslated(out.stdout, allowed) == []
    i18n.reset()
