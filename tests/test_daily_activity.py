"""Scale beyond one machine: sql/daily_activity.sql run in DuckDB on the sample events, and every
event metric from its output equal to the same metric from the raw events."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from cs_metrics.config import parse_config
from cs_metrics.metrics import REGISTRY
from cs_metrics.period import parse_period
from cs_metrics.runner import run

ROOT = Path(__file__).resolve().parents[1]
SQL = (ROOT / "sql" / "daily_activity.sql").read_text(encoding="utf-8")


def aggregate(events_csv: Path, out: Path, with_sessions_and_durations: bool = True) -> None:
    """Run the shipped query in DuckDB over a CSV of naive Bangkok times and write daily_activity.csv."""
    import duckdb

    con = duckdb.connect()
    session = "session_id" if with_sessions_and_durations else "NULL::VARCHAR AS session_id"
    duration = "duration_seconds" if with_sessions_and_durations else "NULL::DOUBLE AS duration_seconds"
    types = "{'duration_seconds': 'DOUBLE', 'occurred_at': 'TIMESTAMP'}" if with_sessions_and_durations else "{'occurred_at': 'TIMESTAMP'}"
    con.execute(
        f"""CREATE VIEW events AS SELECT customer_id, user_id, timezone('Asia/Bangkok', occurred_at::TIMESTAMP) AS occurred_at,
            event, {session}, {duration} FROM read_csv('{events_csv}', header=true, all_varchar=true, types={types})"""
    )
    frame = con.execute(SQL).df()
    frame["day"] = pd.to_datetime(frame["day"]).dt.strftime("%Y-%m-%d")
    frame.to_csv(out / "daily_activity.csv", index=False)


@pytest.fixture(scope="module", params=[True, False], ids=["session ids", "sessions by gaps"])
def folders(request, tmp_path_factory):
    raw, daily = tmp_path_factory.mktemp("raw"), tmp_path_factory.mktemp("daily")
    events = pd.read_csv(ROOT / "sample_data" / "events.csv", dtype=str)
    if not request.param:
        events = events.drop(columns=["session_id", "duration_seconds"])
    events.to_csv(raw / "events.csv", index=False)
    for name in ("subscriptions.csv", "customers.csv"):
        shutil.copy(ROOT / "sample_data" / name, raw / name)
        shutil.copy(ROOT / "sample_data" / name, daily / name)
    aggregate(raw / "events.csv", daily, request.param)
    return raw, daily


def both(folders, metric, period="2026-10"):
    raw, daily = folders
    results = []
    for folder in (raw, daily):
        cfg = parse_config({"timezone": "Asia/Bangkok", "currency": {"base": "USD", "rates": {"THB": 0.028, "CNY": 0.14}}}, folder)
        results.append(run(REGISTRY[metric], cfg, parse_period(period))[0])
    return results


@pytest.mark.parametrize("period", ["2026-10", "2026-06", "2026-07-14", "2026-Q3"])
def test_dau_mau_is_exact_from_daily_activity(folders, period):
    raw, daily = both(folders, "dau-mau", period)
    assert raw.value is not None and daily.value == pytest.approx(raw.value, abs=1e-12)
    assert (daily.details["mau"], daily.details["mean_dau"]) == (raw.details["mau"], pytest.approx(raw.details["mean_dau"]))


@pytest.mark.parametrize("period", ["2026-10", "2026-Q3"])
def test_usage_value_frequency_and_breadth_are_exact(folders, period):
    raw, daily = both(folders, "usage", period)
    assert daily.value == pytest.approx(raw.value)
    for key in ("active_customers", "using_customers", "active_users"):
        assert daily.details[key] == raw.details[key], key
    for key in ("frequency", "breadth"):
        assert daily.details[key] == pytest.approx(raw.details[key]), key
    assert daily.details["depth"] is None and any("depth and adoption" in w for w in daily.warnings)


@pytest.mark.parametrize("period", ["2026-10", "2026-08-01..2026-08-15"])
def test_session_length_is_exact(folders, period):
    raw, daily = both(folders, "sessions", period)
    assert daily.details["sessions"] == raw.details["sessions"]
    assert daily.value == pytest.approx(raw.value, rel=1e-9)
    assert daily.details["sessions_per_active_user"] == pytest.approx(raw.details["sessions_per_active_user"])
    assert daily.details["median_session_seconds"] is None  # needs single sessions: not in daily rows


def test_health_usage_and_breadth_components_are_exact(folders):
    raw, daily = both(folders, "health", "2026-10")
    by_raw = {r["customer_id"]: r for r in raw.rows}
    assert len(daily.rows) == len(raw.rows)
    for row in daily.rows:
        assert row["usage"] == pytest.approx(by_raw[row["customer_id"]]["usage"]), row["customer_id"]
        assert row["breadth"] == pytest.approx(by_raw[row["customer_id"]]["breadth"]), row["customer_id"]
