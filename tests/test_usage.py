"""Hand-computed cases for dau-mau, sessions and usage (metrics.md, "Product usage"), the DAU/MAU
worked example, hypothesis properties checking the vectorised session building against plain
Python loops, and one CLI run of `usage`. Frames are built here in the loader's output shape:
ids as pandas `str`, occurred_at naive datetime64[us], duration_seconds float64 (NaN = empty)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cs_metrics.cli import app
from cs_metrics.config import parse_config
from cs_metrics.errors import DataError
from cs_metrics.load import MONEY_SCALE, MRR_SCALE
from cs_metrics.metrics.usage import dau_mau, sessions, usage
from cs_metrics.period import parse_period

CFG = parse_config({})
JUNE = parse_period("2024-06")  # 30 days
MAY = parse_period("2024-05")
EVENT_COLUMNS = ("customer_id", "user_id", "occurred_at", "event", "session_id", "duration_seconds")


def events(*rows, columns=EVENT_COLUMNS[:4]) -> pd.DataFrame:
    """rows: tuples in the order of `columns` (default customer, user, occurred_at, event);
    occurred_at as ISO text, None for an empty cell."""
    frame = pd.DataFrame.from_records(list(rows), columns=list(columns))
    if not rows:
        frame = frame.astype({c: "str" for c in columns if c not in ("occurred_at", "duration_seconds")})
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"], format="ISO8601").astype("datetime64[us]")
    if "duration_seconds" in frame:
        frame["duration_seconds"] = frame["duration_seconds"].astype("float64")
    return frame


def subs(*rows) -> pd.DataFrame:
    """rows: (customer, started_at, ended_at or None, monthly amount[, is_trial])."""
    records = []
    for i, (customer, start, end, amount, *trial) in enumerate(rows):
        records.append(
            {
                "subscription_id": f"s{i}",
                "customer_id": customer,
                "started_at": pd.Timestamp(start),
                "ended_at": pd.Timestamp(end) if end else pd.NaT,
                "mrr": round(amount * MRR_SCALE),
                "is_trial": bool(trial and trial[0]),
            }
        )
    return pd.DataFrame.from_records(records)


def undefined(result) -> bool:
    return result.value is None and any("undefined" in w for w in result.warnings)


# --------------------------------------------------------------------------- dau-mau


def test_dau_mau_worked_example_three_users_averaging_1_5_daily_is_50_percent():
    # June 2024 has 30 days. A is active every day (30 user-days), B on days 1..10 (10), C on
    # days 1..5 (5): 45 user-days / 30 days = 1.5 mean DAU; MAU = 3; 1.5 / 3 x 100 = 50 %.
    # A's second event each day does not count twice.
    def day(n, h="09:00"):
        return f"2024-06-{n:02d}T{h}:00"

    rows = [("C1", "A", day(n), "login") for n in range(1, 31)]
    rows += [("C1", "A", day(n, "17:30"), "view") for n in range(1, 31)]
    rows += [("C1", "B", day(n), "view") for n in range(1, 11)]
    rows += [("C2", "C", day(n), "view") for n in range(1, 6)]
    r = dau_mau({"events": events(*rows)}, JUNE, CFG)
    assert r.value == pytest.approx(50.0)
    assert r.details == {"mean_dau": pytest.approx(1.5), "mau": 3, "days": 30, "active_events": 75}
    assert r.unit == "percent" and not r.warnings


ACTIVITY = events(
    ("C1", "A", "2024-06-01T10:00:00", "login"),
    ("C1", "A", "2024-06-02T10:00:00", "login"),
    ("C1", "B", "2024-06-01T11:00:00", "view"),
    ("C2", "C", "2024-06-03T08:00:00", "login"),
    ("C2", "C", "2024-06-04T08:00:00", "view"),
)


def test_dau_mau_counts_only_the_configured_active_events():
    # active_events [login]: A on 06-01 and 06-02, C on 06-03 -> 3 user-days / 30 = 0.1 mean DAU;
    # MAU = 2 (B only viewed); 0.1 / 2 x 100 = 5 %.
    r = dau_mau({"events": ACTIVITY}, JUNE, parse_config({"active_events": ["login"]}))
    assert r.value == pytest.approx(5.0)
    assert r.details["mau"] == 2 and r.details["active_events"] == 3
    assert r.filtered == {"events": {"outside the period": 0, "not an active event": 2}}
    # Default (every event active): A 2 + B 1 + C 2 = 5 user-days / 30; MAU 3 -> (5/30) / 3 x 100 = 5.5556 %.
    r = dau_mau({"events": ACTIVITY}, JUNE, CFG)
    assert r.value == pytest.approx(100 / 18)


def test_dau_mau_without_an_event_column_counts_every_event_unless_a_list_is_configured():
    plain = ACTIVITY.drop(columns=["event"])
    assert dau_mau({"events": plain}, JUNE, CFG).value == pytest.approx(100 / 18)
    with pytest.raises(DataError) as err:
        dau_mau({"events": plain}, JUNE, parse_config({"active_events": ["login"]}))
    assert "event" in str(err.value) and "sources.events.columns.event" in str(err.value)
    assert "\n" not in str(err.value)


def test_dau_mau_counts_days_without_active_users_as_zero():
    # One user, one day of a 30-day month: mean DAU 1/30, MAU 1 -> 3.3333 %; over that single day: 100 %.
    one = events(("C1", "A", "2024-06-15T12:00:00", "login"))
    assert dau_mau({"events": one}, JUNE, CFG).value == pytest.approx(100 / 30)
    assert dau_mau({"events": one}, parse_period("2024-06-15"), CFG).value == pytest.approx(100.0)


def test_dau_mau_period_boundaries_are_whole_local_days():
    # In: 06-01 00:00:00 (A) and 06-30 23:59:59.999999 (B). Out: 05-31 23:59:59 and 07-01 00:00:00 (C).
    ev = events(
        ("C1", "A", "2024-06-01T00:00:00", "login"),
        ("C1", "B", "2024-06-30T23:59:59.999999", "login"),
        ("C1", "C", "2024-05-31T23:59:59", "login"),
        ("C1", "C", "2024-07-01T00:00:00", "login"),
    )
    r = dau_mau({"events": ev}, JUNE, CFG)
    # 2 user-days / 30 days, MAU 2 -> (2/30) / 2 x 100 = 3.3333 %
    assert r.details["mau"] == 2 and r.value == pytest.approx(100 / 30)
    assert r.filtered["events"]["outside the period"] == 2


def test_dau_mau_is_undefined_without_active_users():
    r = dau_mau({"events": ACTIVITY}, MAY, CFG)
    assert undefined(r) and r.details["mau"] == 0


# --------------------------------------------------------------------------- sessions

SESSION_COLUMNS = ("customer_id", "user_id", "occurred_at", "event", "session_id")
TIMED_COLUMNS = EVENT_COLUMNS


def test_a_gap_of_exactly_30_minutes_does_not_split_and_30_01_does():
    # A: 10:00:00, 10:30:00 -> one session of 1800 s. B: 10:00:00, 10:30:01 -> two sessions of 0 s.
    # 1800 s / 3 sessions = 600 s; median of (0, 0, 1800) = 0.
    ev = events(
        ("C1", "A", "2024-06-03T10:00:00", "login"),
        ("C1", "A", "2024-06-03T10:30:00", "view"),
        ("C1", "B", "2024-06-03T10:00:00", "login"),
        ("C1", "B", "2024-06-03T10:30:01", "view"),
    )
    r = sessions({"events": ev}, JUNE, CFG)
    assert r.value == pytest.approx(600.0) and r.unit == "seconds"
    assert r.details["sessions"] == 3 and r.details["inferred_sessions"] == 3
    assert r.details["median_session_seconds"] == 0.0
    assert r.details["total_session_seconds"] == 1800.0
    # 3 sessions / 2 active users
    assert r.details["active_users"] == 2 and r.details["sessions_per_active_user"] == pytest.approx(1.5)
    # gap_minutes 10: A splits too -> 4 sessions of 0 s
    short = sessions({"events": ev}, JUNE, parse_config({"metrics": {"sessions": {"gap_minutes": 10}}}))
    assert short.details["sessions"] == 4 and short.value == 0.0


# A: 05-31 23:50 and 06-01 00:10 (20 min apart): one session starting in May, 1200 s, counted in May only.
# B: 06-01 09:00..09:05: 300 s in June. D: 06-30 23:40 and 07-01 00:05 (25 min): starts in June, 1500 s.
STRADDLE = [
    ("C1", "A", "2024-05-31T23:50:00", "login"),
    ("C1", "A", "2024-06-01T00:10:00", "view"),
    ("C1", "B", "2024-06-01T09:00:00", "login"),
    ("C1", "B", "2024-06-01T09:05:00", "view"),
    ("C2", "D", "2024-06-30T23:40:00", "login"),
    ("C2", "D", "2024-07-01T00:05:00", "view"),
]


@pytest.mark.parametrize("with_ids", [False, True], ids=["inferred", "session_id"])
def test_a_session_belongs_to_the_period_of_its_first_event(with_ids):
    if with_ids:
        ev = events(
            *[(*row, sid) for row, sid in zip(STRADDLE, ["S1", "S1", "S2", "S2", "S3", "S3"])], columns=SESSION_COLUMNS
        )
    else:
        ev = events(*STRADDLE)
    june = sessions({"events": ev}, JUNE, CFG)
    # (300 + 1500) / 2 = 900 s; the 4 events of B's and D's sessions are used, A's 2 are not
    assert june.details["sessions"] == 2 and june.value == pytest.approx(900.0)
    assert june.filtered == {"events": {"not in a session starting in the period": 2}}
    may = sessions({"events": ev}, MAY, CFG)
    assert may.details["sessions"] == 1 and may.value == pytest.approx(1200.0)


# A: session S1 at 10:00 and 11:00 (an hour idle, same id), S2 at 11:05.
BY_ID = [
    ("C1", "A", "2024-06-03T10:00:00", "login", "S1", 30.0),
    ("C1", "A", "2024-06-03T11:00:00", "view", "S1", 40.0),
    ("C1", "A", "2024-06-03T11:05:00", "view", "S2", 50.0),
]


def test_session_id_groups_events_that_the_gap_rule_would_split():
    # by id: S1 10:00..11:00 = 3600 s, S2 = 0 s -> 3600 / 2 = 1800 s.
    with_ids = events(*[r[:5] for r in BY_ID], columns=SESSION_COLUMNS)
    r = sessions({"events": with_ids}, JUNE, CFG)
    assert r.details["sessions"] == 2 and r.value == pytest.approx(1800.0)
    assert r.details["inferred_sessions"] == 0
    # inferred (no session_id column): 10:00 | 11:00, 11:05 -> 0 s and 300 s -> 150 s.
    r = sessions({"events": with_ids.drop(columns=["session_id"])}, JUNE, CFG)
    assert r.details["sessions"] == 2 and r.value == pytest.approx(150.0)
    assert "gaps of more than 30 minutes" in r.definition


def test_duration_seconds_are_summed_when_present_else_last_minus_first():
    # S1 = 30 + 40 = 70 s, S2 = 50 s -> 60 s; median of (50, 70) = 60.
    timed = events(*BY_ID, columns=TIMED_COLUMNS)
    r = sessions({"events": timed}, JUNE, CFG)
    assert r.value == pytest.approx(60.0) and r.details["median_session_seconds"] == pytest.approx(60.0)
    assert not r.warnings
    # an empty duration cell is left out of its session's sum: S1 = 40 s, S2 = 50 s -> 45 s
    timed.loc[0, "duration_seconds"] = np.nan
    assert sessions({"events": timed}, JUNE, CFG).value == pytest.approx(45.0)
    # a session without any duration is timed by its span: S1 10:00..11:00 = 3600 s, S2 = 50 s -> 1825 s
    timed.loc[1, "duration_seconds"] = np.nan
    r = sessions({"events": timed}, JUNE, CFG)
    assert r.value == pytest.approx(1825.0) and any("1 sessions have no duration_seconds" in w for w in r.warnings)
    # inferred sessions sum durations too: 10:00 alone (no duration: span 0 s), 11:00 + 11:05 = 50 s -> 25 s
    assert sessions({"events": timed.drop(columns=["session_id"])}, JUNE, CFG).value == pytest.approx(25.0)


def test_the_same_session_id_of_two_users_is_two_sessions_and_empty_ids_are_inferred():
    # (A, X): 10:00..10:10 = 600 s; (B, X): 10:20 = 0 s; A without id: 15:00, 15:20 -> 1200 s,
    # 17:00 -> 0 s (100 min later). 4 sessions, 1800 s -> 450 s.
    ev = events(
        ("C1", "A", "2024-06-05T10:00:00", "login", "X"),
        ("C1", "A", "2024-06-05T10:10:00", "view", "X"),
        ("C2", "B", "2024-06-05T10:20:00", "login", "X"),
        ("C1", "A", "2024-06-05T15:00:00", "login", None),
        ("C1", "A", "2024-06-05T15:20:00", "view", None),
        ("C1", "A", "2024-06-05T17:00:00", "view", None),
        columns=SESSION_COLUMNS,
    )
    r = sessions({"events": ev}, JUNE, CFG)
    assert r.details["sessions"] == 4 and r.details["inferred_sessions"] == 2
    assert r.value == pytest.approx(450.0)
    assert "events without a session_id" in r.definition


def test_a_shared_session_id_straddling_the_start_stays_with_its_user():
    # X is A's session from 05-31 23:55 (May) and, separately, B's session starting 06-01 00:05.
    # June: only (B, X) starts in June: 06-01 00:05..00:15 = 600 s. A's June event belongs to May.
    ev = events(
        ("C1", "A", "2024-05-31T23:55:00", "login", "X"),
        ("C1", "A", "2024-06-01T00:05:00", "view", "X"),
        ("C2", "B", "2024-06-01T00:05:00", "login", "X"),
        ("C2", "B", "2024-06-01T00:15:00", "view", "X"),
        columns=SESSION_COLUMNS,
    )
    r = sessions({"events": ev}, JUNE, CFG)
    assert r.details["sessions"] == 1 and r.value == pytest.approx(600.0)


def test_a_session_id_seen_before_the_period_only_for_another_user_does_not_drop_a_june_session():
    # A used id X in May only; in June C has W, B has V then X. June sessions: (C, W), (B, V), (B, X),
    # each one event of 0 s. A's May row matches X but not its user (A has no June event at all).
    ev = events(
        ("C1", "A", "2024-05-31T23:55:00", "login", "X"),
        ("C1", "C", "2024-06-01T08:00:00", "login", "W"),
        ("C2", "B", "2024-06-01T09:00:00", "login", "V"),
        ("C2", "B", "2024-06-02T09:00:00", "login", "X"),
        columns=SESSION_COLUMNS,
    )
    r = sessions({"events": ev}, JUNE, CFG)
    assert r.details["sessions"] == 3 and r.value == 0.0


def test_sessions_per_active_user_uses_the_active_event_list():
    # active_events [login]: active users in June = A and C (B only viewed); sessions are built from
    # all events: A 06-01, A 06-02, B 06-01, C 06-03, C 06-04 = 5 sessions -> 5 / 2 = 2.5.
    r = sessions({"events": ACTIVITY}, JUNE, parse_config({"active_events": ["login"]}))
    assert r.details["sessions"] == 5 and r.details["active_users"] == 2
    assert r.details["sessions_per_active_user"] == pytest.approx(2.5)


def test_sessions_are_undefined_when_none_starts_in_the_period():
    r = sessions({"events": ACTIVITY}, MAY, CFG)
    assert undefined(r) and r.details["sessions"] == 0 and r.details["median_session_seconds"] is None


# --------------------------------------------------------------------------- sessions vs plain loops

T0 = datetime(2024, 6, 8)  # events fall on 06-08 .. 06-12; the period is one of these days
SPAN = 5 * 24 * 3600


def _naive_sessions(rows, gap_seconds):
    """Plain Python: per user, events in time order; more than the gap since the previous event
    starts a new session. Returns each session's (first, last)."""
    by_user: dict = {}
    for user, at in rows:
        by_user.setdefault(user, []).append(at)
    found = []
    for times in by_user.values():
        times.sort()
        first = prev = times[0]
        for at in times[1:]:
            if (at - prev).total_seconds() > gap_seconds:
                found.append((first, prev))
                first = at
            prev = at
        found.append((first, prev))
    return found


def _naive_median(values):
    values = sorted(values)
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def _check(result, lengths):
    assert result.details["sessions"] == len(lengths)
    assert result.details["total_session_seconds"] == pytest.approx(sum(lengths))
    if lengths:
        assert result.value == pytest.approx(sum(lengths) / len(lengths))
        assert result.details["median_session_seconds"] == pytest.approx(_naive_median(lengths))
    else:
        assert undefined(result)


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(st.tuples(st.sampled_from("ABCD"), st.integers(0, SPAN - 1)), max_size=60),
    gap_minutes=st.sampled_from([0.5, 1, 30, 90, 600]),
    day=st.integers(0, 4),
    dense=st.booleans(),
)
def test_inferred_sessions_match_a_plain_loop(rows, gap_minutes, day, dense):
    if dense:  # squeeze the events into the two hours around the start of the period's day
        rows = [(u, max(0, day * 24 * 3600 - 3600) + s % 7200) for u, s in rows]
    period = parse_period((T0 + timedelta(days=day)).date().isoformat())
    at = [(u, T0 + timedelta(seconds=s)) for u, s in rows]
    expected = [(f, l) for f, l in _naive_sessions(at, gap_minutes * 60) if f.date() == period.start]
    ev = events(*[("C", u, t.isoformat(), "x") for u, t in at])
    r = sessions({"events": ev}, period, parse_config({"metrics": {"sessions": {"gap_minutes": gap_minutes}}}))
    _check(r, [(l - f).total_seconds() for f, l in expected])


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from("AB"), st.sampled_from(["s1", "s2", "s3", None]), st.integers(0, SPAN - 1)),
        max_size=40,
    ),
    day=st.integers(0, 4),
)
def test_sessions_by_id_match_a_plain_grouping(rows, day):
    # (user, session_id) groups; rows without a session id are split per user by the 30-minute rule
    period = parse_period((T0 + timedelta(days=day)).date().isoformat())
    groups: dict = {}
    for user, sid, s in rows:
        if sid is not None:
            groups.setdefault((user, sid), []).append(T0 + timedelta(seconds=s))
    found = [(min(g), max(g)) for g in groups.values()]
    found += _naive_sessions([(u, T0 + timedelta(seconds=s)) for u, sid, s in rows if sid is None], 30 * 60)
    lengths = [(l - f).total_seconds() for f, l in found if f.date() == period.start]
    ev = events(
        *[("C", u, (T0 + timedelta(seconds=s)).isoformat(), "x", sid) for u, sid, s in rows], columns=SESSION_COLUMNS
    )
    _check(sessions({"events": ev}, period, CFG), lengths)


def test_a_session_running_far_past_the_period_keeps_all_its_events():
    # A: an event every 20 minutes from 06-30 22:00 to 07-02 02:00 (85 events, 28 h): one inferred
    # session of 100,800 s starting in June. B: session id Z on 06-30 10:00 and 07-05 10:00: 5 days
    # = 432,000 s. Both reach beyond the day after the period. (100,800 + 432,000) / 2 = 266,400 s.
    start = datetime(2024, 6, 30, 22)
    chain = [("C1", "A", (start + timedelta(minutes=20 * k)).isoformat(), "view", None) for k in range(85)]
    ev = events(
        *chain,
        ("C2", "B", "2024-06-30T10:00:00", "login", "Z"),
        ("C2", "B", "2024-07-05T10:00:00", "view", "Z"),
        columns=SESSION_COLUMNS,
    )
    r = sessions({"events": ev}, JUNE, CFG)
    assert r.details["sessions"] == 2 and r.value == pytest.approx(266_400.0)
    assert r.filtered == {"events": {"not in a session starting in the period": 0}}


# --------------------------------------------------------------------------- usage

# June 2024. Paying in June: P1 (running), P2 (ends 06-10, so paying on some day of June), P3 (no
# events), P4 (events only in May). N1 has events but no paid subscription (a trial).
# Events in June:
#   P1: u1 login 06-01, login + view 06-02; u2 view 06-05
#   P2: u3 login + export 06-03
#   N1: u4 login, view, api 06-04
USAGE_SUBS = subs(
    ("P1", "2024-01-01", None, 100),
    ("P2", "2024-01-01", "2024-06-10", 50),
    ("P3", "2024-02-01", None, 80),
    ("P4", "2024-03-01", None, 20),
    ("N1", "2024-05-20", "2024-06-20", 0, True),
)
USAGE_EVENTS = events(
    ("P1", "u1", "2024-06-01T09:00:00", "login"),
    ("P1", "u1", "2024-06-02T09:00:00", "login"),
    ("P1", "u1", "2024-06-02T09:10:00", "view"),
    ("P1", "u2", "2024-06-05T14:00:00", "view"),
    ("P2", "u3", "2024-06-03T10:00:00", "login"),
    ("P2", "u3", "2024-06-03T10:05:00", "export"),
    ("N1", "u4", "2024-06-04T11:00:00", "login"),
    ("N1", "u4", "2024-06-04T11:01:00", "view"),
    ("N1", "u4", "2024-06-04T11:02:00", "api"),
    ("P4", "u5", "2024-05-20T11:00:00", "login"),
)


def test_usage_counts_active_customers_with_an_active_event():
    # active (paying in June) = P1 P2 P3 P4 = 4; using = P1 P2 (N1 is not paying: in neither part) -> 50 %.
    r = usage({"events": USAGE_EVENTS, "subscriptions": USAGE_SUBS}, JUNE, CFG)
    assert r.value == pytest.approx(50.0)
    d = r.details
    assert (d["active_customers"], d["using_customers"], d["active_users"]) == (4, 2, 3)
    # frequency: u1 2 days, u2 1, u3 1 -> 4 user-days / 3 users
    assert d["frequency"] == pytest.approx(4 / 3)
    # breadth: (P1 u1) (P1 u2) (P2 u3) -> 3 users / 2 customers
    assert d["breadth"] == pytest.approx(1.5)
    # depth: P1 {login, view}, P2 {login, export} -> 4 / 2
    assert d["depth"] == pytest.approx(2.0)
    assert d["ci95_low"] < 50 < d["ci95_high"]
    assert any("only 4 active customers" in w for w in r.warnings)
    assert r.filtered == {"events": {"outside the period": 1}}


def test_usage_adoption_rows_over_customers_with_events():
    # customers with any event in June: P1 P2 N1 = 3. login: P1 P2 N1 = 100 %; view: P1 N1 = 66.67 %;
    # api: N1 and export: P2 = 33.33 % each, api first by name.
    r = usage({"events": USAGE_EVENTS, "subscriptions": USAGE_SUBS}, JUNE, CFG)
    assert [(row["event"], row["customers"]) for row in r.rows] == [
        ("login", 3),
        ("view", 2),
        ("api", 1),
        ("export", 1),
    ]
    assert [row["adoption_pct"] for row in r.rows] == pytest.approx([100.0, 200 / 3, 100 / 3, 100 / 3])
    json.dumps(r.rows)  # plain scalars


def test_usage_with_an_active_event_list():
    # active_events [export]: using = P2 only -> 1 / 4 = 25 %; frequency: u3 one day -> 1;
    # breadth 1 / 1; depth counts all of P2's June events {login, export} -> 2.
    r = usage({"events": USAGE_EVENTS, "subscriptions": USAGE_SUBS}, JUNE, parse_config({"active_events": ["export"]}))
    assert r.value == pytest.approx(25.0)
    assert (r.details["frequency"], r.details["breadth"], r.details["depth"]) == (1.0, 1.0, 2.0)
    assert r.rows[0] == {"event": "login", "customers": 3, "adoption_pct": 100.0}  # adoption: all events


def test_usage_with_active_customers_by_events_or_invoices():
    # events: active = customers with an active event in June = P1 P2 N1 -> 3 / 3 = 100 %.
    r = usage({"events": USAGE_EVENTS}, JUNE, parse_config({"active_customer": "events"}))
    assert r.value == pytest.approx(100.0) and r.details["active_customers"] == 3
    # with active_events [export] only P2 is active (a customer with only other events is not): 1 / 1
    cfg = parse_config({"active_customer": "events", "active_events": ["export"]})
    r = usage({"events": USAGE_EVENTS}, JUNE, cfg)
    assert r.value == pytest.approx(100.0) and r.details["active_customers"] == 1
    # invoiced: positive invoices in June from P1, N1, P3 (P2 only a credit note) -> using P1, N1 -> 2 / 3.
    invoices = pd.DataFrame(
        {
            "customer_id": ["P1", "N1", "P3", "P2"],
            "issued_at": pd.to_datetime(["2024-06-01", "2024-06-15", "2024-06-30", "2024-06-10"]),
            "amount": pd.array(
                [100 * MONEY_SCALE, 20 * MONEY_SCALE, 80 * MONEY_SCALE, -10 * MONEY_SCALE], dtype="Int64"
            ),
        }
    )
    r = usage({"events": USAGE_EVENTS, "invoices": invoices}, JUNE, parse_config({"active_customer": "invoiced"}))
    assert r.value == pytest.approx(200 / 3) and r.details["using_customers"] == 2


def test_usage_without_an_event_column_has_no_depth_nor_adoption():
    r = usage({"events": USAGE_EVENTS.drop(columns=["event"]), "subscriptions": USAGE_SUBS}, JUNE, CFG)
    assert r.value == pytest.approx(50.0) and r.details["depth"] is None and r.rows == []
    assert any("no event column" in w for w in r.warnings)


def test_usage_is_undefined_without_active_customers():
    r = usage({"events": USAGE_EVENTS, "subscriptions": USAGE_SUBS.iloc[:0]}, JUNE, CFG)
    assert undefined(r) and r.details["active_customers"] == 0


# --------------------------------------------------------------------------- CLI

EVENTS_CSV = """\
customer_id,user_id,occurred_at,event,session_id,duration_seconds
P1,u1,2024-06-01T09:00:00,login,s1,10
P1,u1,2024-06-02T09:00:00,login,s2,20
P1,u1,2024-06-02T09:10:00,view,s2,
P1,u2,2024-06-05 14:00:00,view,s3,5
P2,u3,2024-06-03T10:00:00,login,s4,7
P2,u3,2024-06-03T10:05:00,export,s4,8
N1,u4,2024-06-04T11:00:00,login,s5,1
N1,u4,2024-06-04T11:01:00,view,s5,1
N1,u4,2024-06-04T11:02:00,api,s5,1
P4,u5,2024-05-20T11:00:00,login,s6,3
"""
SUBSCRIPTIONS_CSV = """\
subscription_id,customer_id,started_at,ended_at,mrr,is_trial
S1,P1,2024-01-01,,100,false
S2,P2,2024-01-01,2024-06-10,50,false
S3,P3,2024-02-01,,80,false
S4,P4,2024-03-01,,20,false
S5,N1,2024-05-20,2024-06-20,0,true
"""


def test_cli_usage_json_on_a_tiny_data_folder(tmp_path: Path):
    # The frames of test_usage_counts_active_customers_with_an_active_event, written as CSV: 50 %.
    (tmp_path / "events.csv").write_text(EVENTS_CSV, encoding="utf-8")
    (tmp_path / "subscriptions.csv").write_text(SUBSCRIPTIONS_CSV, encoding="utf-8")
    result = CliRunner().invoke(app, ["usage", "--data", str(tmp_path), "--period", "2024-06", "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["metric"] == "usage" and doc["unit"] == "percent" and doc["value"] == pytest.approx(50.0)
    assert doc["period"] == {"start": "2024-06-01", "end": "2024-06-30"}
    assert doc["details"]["active_customers"] == 4 and doc["details"]["using_customers"] == 2
    assert doc["details"]["frequency"] == pytest.approx(4 / 3) and doc["details"]["depth"] == pytest.approx(2.0)
    assert [row["event"] for row in doc["rows"]] == ["login", "view", "api", "export"]


def test_distinct_counts_by_sorting_agree_with_the_bitmap(monkeypatch):
    # Large key spaces count distinct keys by sorting instead of a bitmap: same numbers.
    import cs_metrics.metrics.usage as module

    frames = {"events": USAGE_EVENTS, "subscriptions": USAGE_SUBS}
    before = (usage(frames, JUNE, CFG), dau_mau({"events": ACTIVITY}, JUNE, CFG))
    monkeypatch.setattr(module, "_BITMAP_LIMIT", 0)
    after = (usage(frames, JUNE, CFG), dau_mau({"events": ACTIVITY}, JUNE, CFG))
    for a, b in zip(before, after):
        assert (a.value, a.details, a.rows) == (b.value, b.details, b.rows)
    assert after[0].details["breadth"] == pytest.approx(1.5) and after[1].details["mau"] == 3


def test_active_flags_are_computed_once_per_frame_and_list_and_cannot_be_changed():
    import numpy as np
    import pandas as pd
    import pytest

    from cs_metrics.metrics._events import is_active

    ev = pd.DataFrame({"event": ["login", "export", "search", None]})
    first = is_active(ev, ["export", "search"])
    assert first.tolist() == [False, True, True, False]
    assert is_active(ev, ["export", "search"]) is first  # the same frame and list: asked once
    assert is_active(ev, ["login"]).tolist() == [True, False, False, False]  # another list: asked again
    other = pd.DataFrame({"event": ["search", "login"]})
    assert is_active(other, ["export", "search"]).tolist() == [True, False]  # another frame: its own flags
    with pytest.raises(ValueError):
        first[0] = True  # read-only: a caller cannot change what the next metric sees
    assert np.array_equal(is_active(ev, ["export", "search"]), [False, True, True, False])
