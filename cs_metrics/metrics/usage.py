"""Product usage: stickiness (DAU/MAU), sessions, and usage with feature adoption.

Events are the largest exports (tens of millions of rows), so everything here works on integer
arrays: an id column is factorized to codes once per call, on the rows that matter; a timestamp
is int64 UTC microseconds (an instant), its day the local day in the config's time zone; a distinct count is taken on a combined
integer key (a bitmap when it is small enough, else by sorting), never on strings.

Config: `active_events` (the events that make a user active; empty = every event),
`metrics.sessions.gap_minutes` (30), `active_customer` (paying, events or invoiced)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cs_metrics.config import Config
from cs_metrics.errors import DataError
from cs_metrics.i18n import T
from cs_metrics.metrics._events import is_active
from cs_metrics.metrics._ratio import fmt_num, rate, safe_ratio
from cs_metrics.metrics._state import active_customers
from cs_metrics.metrics._time import bounds_us, day_number, local_days, micros
from cs_metrics.period import Period
from cs_metrics.result import MetricResult

US_PER_DAY = 86_400_000_000
_BITMAP_LIMIT = 1 << 27  # distinct counts by bitmap up to 128 Mi keys (128 MiB), else by sorting


# --------------------------------------------------------------------------- shared steps


def _micros(events: pd.DataFrame) -> np.ndarray:
    """occurred_at as int64 UTC microseconds; NaT becomes int64 min, before any P."""
    return micros(events["occurred_at"])


def _bounds(period: Period, cfg: Config) -> tuple[int, int]:
    """P as [lo, hi) in UTC microseconds: the first instant of its first local day and the first
    instant after its last one."""
    return bounds_us(period.start, period.end, cfg.timezone)


def _day_in(t: np.ndarray, period: Period, cfg: Config) -> np.ndarray:
    """The local day of each instant, counted from the start of P (0 .. days-1 for instants in P)."""
    return local_days(t, cfg.timezone) - day_number(period.start)


def active_mask(events: pd.DataFrame, cfg: Config) -> np.ndarray:
    """One flag per event row: is it an active event (its `event` is in cfg.active_events)?

    Every row is active when the list is empty. A list without an `event` column is a DataError."""
    if not cfg.active_events:
        return np.ones(len(events), dtype=bool)
    if "event" not in events:
        raise DataError(
            f"active_events is set ({', '.join(cfg.active_events)}) but events.csv has no 'event' column",
            "Map the column in the config (sources.events.columns.event) or empty the active_events list",
            file="events.csv",
            column="event",
        )
    return is_active(events, cfg.active_events)


def _arrow(values: pd.Series, mask: np.ndarray | None = None) -> pa.Array:
    """An id/text column as one Arrow array, optionally only the rows of `mask` (Arrow's filter is
    several times faster than pandas' boolean indexing on the loader's many-chunk columns)."""
    arr = pa.array(values)
    if mask is not None:
        arr = arr.filter(pa.array(mask, type=pa.bool_()))
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _codes(values: pd.Series, mask: np.ndarray | None = None) -> tuple[np.ndarray, pa.Array]:
    """Integer codes 0..n-1 of an id column (rows of `mask` only), and the n distinct ids (Arrow).
    A missing value gets a code of its own."""
    encoded = pc.dictionary_encode(_arrow(values, mask), null_encoding="encode")
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype("int64", copy=False)
    return codes, encoded.dictionary


def _distinct(keys: np.ndarray, size: int) -> int:
    """Number of distinct values among integer keys known to lie in [0, size)."""
    if len(keys) == 0:
        return 0
    if size <= _BITMAP_LIMIT:
        seen = np.zeros(size, dtype=bool)
        seen[keys] = True
        return int(np.count_nonzero(seen))
    ordered = np.sort(keys)  # (numpy's hash-based np.unique is several times slower here)
    return 1 + int(np.count_nonzero(ordered[1:] != ordered[:-1]))


def _user_days(users: np.ndarray, n_users: int, day: np.ndarray, days: int) -> int:
    """Distinct (user, day) pairs; `day` counts days from the start of P (0..days-1)."""
    return _distinct(users * days + day, n_users * days)


def _active_words(cfg: Config) -> str:
    return T("events in ({events})", events=", ".join(cfg.active_events)) if cfg.active_events else T("any event")


# --------------------------------------------------------------------------- dau-mau


def dau_mau(frames: dict[str, pd.DataFrame], period: Period, cfg: Config) -> MetricResult:
    """Stickiness, percent: mean DAU / MAU x 100.

    Active events = events in P whose `event` is in config `active_events` (every event when the
    list is empty; a list without an event column is a data error). A user is its user_id.
    DAU(d) = distinct users with an active event on day d; mean DAU = the mean over every day of P,
    a day without any counting 0 (sum of DAU / days of P). MAU = distinct users with an active
    event in P. Undefined when no user is active in P."""
    if "events" not in frames:  # the daily activity a warehouse aggregated (cs_metrics.metrics.daily)
        from cs_metrics.metrics import daily

        return daily.dau_mau(frames, period, cfg)
    ev = frames["events"]
    lo, hi = _bounds(period, cfg)
    t = _micros(ev)
    inside = (t >= lo) & (t < hi)
    active = active_mask(ev, cfg)
    keep = inside & active  # one row = an active event in P
    users, user_ids = _codes(ev["user_id"], keep)
    day = _day_in(t[keep], period, cfg)  # 0 .. days-1
    days = period.days
    user_days = _user_days(users, len(user_ids), day, days)  # = sum over the days of P of DAU(d)
    mau = len(user_ids)
    mean_dau = user_days / days
    value, why = safe_ratio(mean_dau, mau, scale=100, what=T("DAU/MAU (no active user in the period)"))
    details = {"mean_dau": mean_dau, "mau": mau, "days": days, "active_events": int(keep.sum())}
    return MetricResult(
        "dau-mau",
        period,
        value,
        "percent",
        details,
        warnings=[why] if why else [],
        definition=T(
            "Stickiness: mean daily active users over all {days} days of the period (a day without any counts 0) "
            "/ users active in the period x 100; a user is active with {active}.",
            days=days, active=_active_words(cfg),
        ),
        formula=T(
            "({user_days} user-days / {days} days = {mean_dau} mean DAU) / {mau} MAU x 100 = {value} %",
            user_days=user_days, days=days, mean_dau=fmt_num(mean_dau, 2), mau=mau, value=fmt_num(value, 2),
        ),
        filtered={
            "events": {"outside the period": int((~inside).sum()), "not an active event": int((inside & ~active).sum())}
        },
    )


# --------------------------------------------------------------------------- sessions


@dataclass
class _Sessions:
    """Sessions that start in P, one entry each: first and last event (us), the sum and the
    number of present duration_seconds, and the number of events."""

    first: np.ndarray
    last: np.ndarray
    duration_sum: np.ndarray
    durations: np.ndarray
    events: np.ndarray

    @classmethod
    def concat(cls, parts: list[_Sessions]) -> _Sessions:
        dtypes = {"first": "int64", "last": "int64", "duration_sum": "float64", "durations": "int64", "events": "int64"}
        return cls(
            **{c: np.concatenate([np.empty(0, dtype=d)] + [getattr(p, c) for p in parts]) for c, d in dtypes.items()}
        )


def _durations(ev: pd.DataFrame) -> np.ndarray | None:
    if "duration_seconds" not in ev:
        return None
    return ev["duration_seconds"].to_numpy(dtype="float64", na_value=np.nan)


def _sessions_by_gap(ev, t, rows, lo, hi, gap_us, dur) -> _Sessions:
    """Sessions inferred from the events of `rows` (a mask): a user's next event more than the gap
    after the previous one starts a new session (exactly the gap does not split).

    Only the events from lo - gap to a cut after P are sorted. Whether an event at or after lo
    starts a session depends only on the user's previous event, and when that one is older than
    lo - gap the event starts a session either way. A session starting in P whose last event
    before the cut is more than the gap before it cannot go on after it; when one might, the cut
    moves on (a day after P, then doubling) until none does or every event is in."""
    if not rows.any():
        return _Sessions.concat([])
    t_max = int(t[rows].max())
    ahead = US_PER_DAY
    while True:
        cut = hi + ahead
        window = rows & (t >= lo - gap_us) & (t < cut)  # one row = an event that can belong to a session starting in P
        found = _split_by_gap(ev, t, window, lo, hi, gap_us, dur)
        if cut > t_max or not (found.last >= cut - gap_us).any():
            return found
        ahead *= 2


def _split_by_gap(ev, t, window, lo, hi, gap_us, dur) -> _Sessions:
    idx = np.flatnonzero(window)
    if len(idx) == 0:
        return _Sessions.concat([])
    users, _ = _codes(ev["user_id"], window)
    times = t[idx]
    order = np.lexsort((times, users))  # by user, then time
    u, ts = users[order], times[order]
    new = np.ones(len(order), dtype=bool)  # one row = an event in (user, time) order; True = starts a session
    new[1:] = (u[1:] != u[:-1]) | (np.diff(ts) > gap_us)
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], len(order)) - 1
    first, last = ts[starts], ts[ends]
    if dur is not None:
        d = dur[idx][order]
        present = ~np.isnan(d)
        duration_sum = np.add.reduceat(np.where(present, d, 0.0), starts)
        durations = np.add.reduceat(present.astype("int64"), starts)
    else:
        duration_sum, durations = np.zeros(len(starts)), np.zeros(len(starts), dtype="int64")
    in_p = (first >= lo) & (first < hi)  # one entry = a session; kept when its first event is in P
    n_events = ends - starts + 1
    return _Sessions(first[in_p], last[in_p], duration_sum[in_p], durations[in_p], n_events[in_p])


def _sessions_by_id(ev, t, rows, lo, hi, dur) -> _Sessions:
    """Sessions given by the export: the events of `rows` (a mask) sharing user_id and session_id.

    A session starting in P has its first event in P, so sessions are grouped from the events
    between lo and a day after P; the events outside that window of the candidate sessions (found
    by one lookup of their session ids) then either show that the session started before P, or
    extend it past the window."""
    near = rows & (t >= lo) & (t < hi + US_PER_DAY)  # one row = an event in or just after P
    idx = np.flatnonzero(near)
    if len(idx) == 0:
        return _Sessions.concat([])
    sids, sid_names = _codes(ev["session_id"], near)
    users, user_names = _codes(ev["user_id"], near)
    n_s, n_u = len(sid_names), len(user_names)
    # key: one per (session_id, user_id) pair; the session code itself when no session id has two users
    user_of = np.full(n_s, n_u, dtype="int64")
    np.minimum.at(user_of, sids, users)
    one_user = bool((users == user_of[sids]).all())
    if one_user:
        key, key_sid, key_user = sids, np.arange(n_s), user_of
    else:
        key, pairs = pd.factorize(sids * n_u + users)
        key_sid, key_user = pairs // n_u, pairs % n_u
    n_keys = len(key_sid)
    times = t[idx]
    first = np.full(n_keys, np.iinfo("int64").max)
    np.minimum.at(first, key, times)
    last = np.full(n_keys, np.iinfo("int64").min)
    np.maximum.at(last, key, times)
    events = np.bincount(key, minlength=n_keys)
    duration_sum, durations = np.zeros(n_keys), np.zeros(n_keys, dtype="int64")
    if dur is not None:
        d = dur[idx]
        present = ~np.isnan(d)
        duration_sum = np.bincount(key, weights=np.where(present, d, 0.0), minlength=n_keys)
        durations = np.bincount(key, weights=present, minlength=n_keys).astype("int64")
    candidate = first < hi  # one entry = a session; its first event from lo on is in P
    if candidate.any():
        # the candidates' events outside the window: before lo (it started earlier) or after it
        far = rows & ~near
        hit_rows, hit_keys = _events_of(ev, far, sid_names, user_names, key_sid, key_user, np.flatnonzero(candidate))
        earlier = t[hit_rows] < lo
        candidate[hit_keys[earlier]] = False
        later_rows, later_keys = hit_rows[~earlier], hit_keys[~earlier]
        np.maximum.at(last, later_keys, t[later_rows])
        np.add.at(events, later_keys, 1)
        if dur is not None:
            d = dur[later_rows]
            present = ~np.isnan(d)
            np.add.at(duration_sum, later_keys, np.where(present, d, 0.0))
            np.add.at(durations, later_keys, present.astype("int64"))
    c = candidate  # one entry = a session whose first event is in P
    return _Sessions(first[c], last[c], duration_sum[c], durations[c], events[c])


def _events_of(ev, among, sid_names, user_names, key_sid, key_user, candidates) -> tuple[np.ndarray, np.ndarray]:
    """The rows of `among` that belong to a candidate session (same session id and user), and
    each one's session key. One hash lookup per row, no sort."""
    rows = np.flatnonzero(among)
    if len(rows) == 0:
        return rows, rows
    is_cand = np.zeros(len(sid_names), dtype=bool)
    is_cand[key_sid[candidates]] = True
    cand_sids = np.flatnonzero(is_cand)  # distinct session ids of the candidates
    values = sid_names.take(pa.array(cand_sids))
    rows = rows[pc.is_in(_arrow(ev["session_id"], among), value_set=values).to_numpy(zero_copy_only=False)]
    if len(rows) == 0:
        return rows, rows
    where = pa.array(rows)
    hit_sid = cand_sids[
        pc.index_in(pc.take(pa.array(ev["session_id"]), where), value_set=values).to_numpy(zero_copy_only=False)
    ]
    hit_user = pc.index_in(pc.take(pa.array(ev["user_id"]), where), value_set=user_names)
    hit_user = hit_user.fill_null(-1).to_numpy(zero_copy_only=False).astype("int64")
    n_u = len(user_names)
    known = hit_user >= 0  # a user without events in the window owns no candidate
    pair = pd.Index(key_sid[candidates] * n_u + key_user[candidates])
    found = pair.get_indexer(hit_sid[known] * n_u + hit_user[known])  # -1: another user's session id
    return rows[known][found >= 0], candidates[found[found >= 0]]


def session_seconds(s: _Sessions, has_durations: bool) -> tuple[np.ndarray, int]:
    """Each session's length in seconds, and how many were timed by their span for lack of durations."""
    span = (s.last - s.first) / 1e6
    if not has_durations:
        return span, 0
    timed = s.durations > 0
    return np.where(timed, s.duration_sum, span), int((~timed).sum())


def sessions(frames: dict[str, pd.DataFrame], period: Period, cfg: Config) -> MetricResult:
    """Mean session length, seconds: total session seconds / sessions starting in P.

    Sessions are built from all events (not only active ones), over the whole export, and belong
    to the period of their first event. With a `session_id` column a session is the events sharing
    (user_id, session_id) (user_id too because some exports number sessions per user); events
    with an empty session_id, or every event without the column, are split per user by
    inactivity: a gap of more than `metrics.sessions.gap_minutes` (30; exactly 30:00 does not split)
    starts a new session. Duration = the sum of the session's `duration_seconds` when the column
    exists (empty cells are left out of the sum; a session with none at all is timed as below),
    else last event - first event. Details: sessions, median, active users (distinct users with an
    active event in P, see `active_events`) and sessions per active user. Undefined when no
    session starts in P."""
    if "events" not in frames:  # the daily activity a warehouse aggregated (cs_metrics.metrics.daily)
        from cs_metrics.metrics import daily

        return daily.sessions(frames, period, cfg)
    ev = frames["events"]
    lo, hi = _bounds(period, cfg)
    gap_minutes = cfg.metrics.sessions.gap_minutes
    gap_us = round(gap_minutes * 60 * 1_000_000)
    t = _micros(ev)
    dur = _durations(ev)
    with_id = ev["session_id"].notna().to_numpy(dtype=bool) if "session_id" in ev else np.zeros(len(ev), dtype=bool)
    by_id = _sessions_by_id(ev, t, with_id, lo, hi, dur) if with_id.any() else _Sessions.concat([])
    by_gap = _sessions_by_gap(ev, t, ~with_id, lo, hi, gap_us, dur) if not with_id.all() else _Sessions.concat([])
    found = _Sessions.concat([by_id, by_gap])  # one entry = a session whose first event is in P
    seconds, timed_by_span = session_seconds(found, dur is not None)
    n = len(seconds)
    total = float(seconds.sum())
    inside = (t >= lo) & (t < hi)
    active_users = len(_codes(ev["user_id"], inside & active_mask(ev, cfg))[1])
    value, why = safe_ratio(total, n, what=T("mean session length (no session starts in the period)"))
    per_user, _ = safe_ratio(n, active_users)
    details = {
        "sessions": n,
        "total_session_seconds": total,
        "median_session_seconds": float(np.median(seconds)) if n else None,
        "active_users": active_users,
        "sessions_per_active_user": per_user,
        "inferred_sessions": len(by_gap.first),
    }
    warnings = [why] if why else []
    if timed_by_span:
        warnings.append(T("{n} sessions have no duration_seconds: timed as last event - first event", n=timed_by_span))
    split = T("split per user by gaps of more than {minutes:g} minutes", minutes=gap_minutes)
    if "session_id" not in ev:
        how = T("each user's events {split}", split=split)
    elif with_id.all():
        how = T("the events sharing user_id and session_id")
    else:
        how = T("the events sharing user_id and session_id; events without a session_id are {split}", split=split)
    length = T("the sum of its events' duration_seconds") if dur is not None else T("last event - first event")
    return MetricResult(
        "sessions",
        period,
        value,
        "seconds",
        details,
        warnings=warnings,
        definition=T(
            "Mean session length: a session is {how}, built from all events and counted in the period "
            "of its first event; its length is {length}. Active users: {active} in the period.",
            how=how, length=length, active=_active_words(cfg),
        ),
        formula=T("{total} session seconds / {n} sessions = {value} s", total=fmt_num(total, 0), n=n, value=fmt_num(value, 1)),
        filtered={"events": {"not in a session starting in the period": len(ev) - int(found.events.sum())}},
    )


# --------------------------------------------------------------------------- usage


def usage(frames: dict[str, pd.DataFrame], period: Period, cfg: Config) -> MetricResult:
    """Product usage, percent: active customers with an active event in P / active customers x 100.

    Active customers: config `active_customer` (paying on some day of P, default; `events`: with
    an active event in P, which makes the value 100 whenever defined; `invoiced`). Active events:
    config `active_events` (empty = every event). A customer with events that is not active
    counts in neither part, so the value never exceeds 100. Details, over the using customers
    (active and with an active event in P): frequency = mean active days per active user
    (distinct (user, day) / distinct users), breadth = mean active users per customer, depth =
    mean distinct event names (all events of P) per customer. Rows: adoption of each event =
    customers with that event in P / customers with any event in P x 100, most adopted first.
    Undefined when there is no active customer."""
    if "events" not in frames:  # the daily activity a warehouse aggregated (cs_metrics.metrics.daily)
        from cs_metrics.metrics import daily

        return daily.usage(frames, period, cfg)
    ev = frames["events"]
    lo, hi = _bounds(period, cfg)
    t = _micros(ev)
    in_period = (t >= lo) & (t < hi)
    anonymous = in_period & ev["customer_id"].isna().to_numpy(dtype=bool)  # no customer to count them for
    inside = in_period & ~anonymous
    active = active_mask(ev, cfg)[inside]  # one entry = an event in P, as are the arrays below
    customers, customer_ids = _codes(ev["customer_id"], inside)
    customer_ids = pd.Index(customer_ids.to_pandas())
    n_c = len(customer_ids)
    has_active = np.zeros(n_c, dtype=bool)  # one entry = a customer with events in P
    has_active[customers[active]] = True
    if cfg.active_customer == "events":  # the spec's "at least one active event in P"
        population = customer_ids[has_active]
    else:
        population = active_customers(frames, period, cfg)
    using = has_active & customer_ids.isin(population)
    n_active, n_using = len(population), int(using.sum())
    value, interval, warnings = rate(n_using, n_active, what=T("usage"), population=T("active customers"))
    # frequency and breadth: the active events in P of the using customers
    of_using = using[customers]
    counted = active & of_using
    rows_counted = inside.copy()
    rows_counted[inside] = counted
    users, user_ids = _codes(ev["user_id"], rows_counted)
    n_users = len(user_ids)
    day = _day_in(t[rows_counted], period, cfg)
    user_days = _user_days(users, n_users, day, period.days)
    customer_users = _distinct(customers[counted] * n_users + users, n_c * n_users)
    details = {
        "active_customers": n_active,
        "using_customers": n_using,
        **interval,
        "active_users": n_users,
        "frequency": safe_ratio(user_days, n_users)[0],
        "breadth": safe_ratio(customer_users, n_using)[0],
        "depth": None,
    }
    rows: list[dict] = []
    if "event" in ev:
        events, event_names = _codes(ev["event"], inside)
        n_e = len(event_names)
        named = ~pd.isna(event_names.to_numpy(zero_copy_only=False))[events]  # an empty event name is no event
        counted_events = of_using & named
        customer_events = _distinct(customers[counted_events] * n_e + events[counted_events], n_c * n_e)
        details["depth"] = safe_ratio(customer_events, n_using)[0]
        rows = _adoption(customers, n_c, events, event_names)
    else:
        warnings.append(T("events.csv has no event column: depth and adoption need it"))
    definition = T(
        "Usage: active customers ({active_customer}) with {active} in the period / active customers x 100. "
        "Frequency = active days per active user, breadth = active users per using customer, depth = distinct events "
        "per using customer; adoption = customers with the event / customers with any event in the period x 100.",
        active_customer=cfg.active_customer, active=_active_words(cfg),
    )
    formula = T("{using} using customers / {active} active customers x 100 = {value} %", using=n_using, active=n_active, value=fmt_num(value, 2))
    return MetricResult(
        "usage", period, value, "percent", details, rows=rows, warnings=warnings, definition=definition,
        formula=formula, filtered={"events": {"outside the period": int((~in_period).sum()), **_anonymous(anonymous)}},
    )  # fmt: skip


def _anonymous(rows: np.ndarray) -> dict[str, int]:
    """Events of the period without a customer, when there are any: per-customer figures leave them out."""
    n = int(rows.sum())
    return {"anonymous (no customer)": n} if n else {}


def _adoption(customers: np.ndarray, n_c: int, events: np.ndarray, event_names: pa.Array) -> list[dict]:
    """One row per event name: customers with it in P, and their share of customers with any event."""
    n_e = len(event_names)
    pairs = customers * n_e + events  # one key = a (customer, event) pair seen in P
    if n_c * n_e <= _BITMAP_LIMIT:
        seen = np.zeros(n_c * n_e, dtype=bool)
        seen[pairs] = True
        per_event = seen.reshape(n_c, n_e).sum(axis=0)
    else:
        ordered = np.sort(pairs)
        distinct = ordered[np.append(True, ordered[1:] != ordered[:-1])]
        per_event = np.bincount(distinct % n_e, minlength=n_e)
    names = event_names.to_numpy(zero_copy_only=False)
    present = ~pd.isna(names)  # rows without an event name have no adoption row
    table = pd.DataFrame({"event": names[present], "customers": per_event[present].astype("int64")})
    table["adoption_pct"] = table["customers"] * 100.0 / n_c
    table = table.sort_values(["adoption_pct", "event"], ascending=[False, True], kind="stable")
    return table.to_dict("records")
