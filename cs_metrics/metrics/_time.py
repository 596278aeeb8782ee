"""Instants and local days for the metrics.

Datetime columns hold UTC instants (int64 microseconds through `micros`); a period is whole local
days in the config's time zone. Durations are differences of instants; the day of an instant is
taken in the config's time zone (`local_days`), and a period's bounds are the instants of its
first local midnight and of the local midnight after its last day.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from cs_metrics.sources.values import NAT, US_PER_DAY, local_days, local_to_utc, micros  # noqa: F401

US_PER_HOUR = 3_600_000_000


def day_number(d: date) -> int:
    """Days since 1970-01-01."""
    return (d - date(1970, 1, 1)).days


def midnight_us(d: date, tz: str) -> int:
    """The instant (UTC microseconds) at which local day `d` starts in `tz`."""
    return int(local_to_utc(np.array([day_number(d) * US_PER_DAY], dtype="int64"), tz)[0])


def bounds_us(start: date, end: date, tz: str) -> tuple[int, int]:
    """[first instant of local day `start`, first instant after local day `end`)."""
    return midnight_us(start, tz), midnight_us(end + timedelta(days=1), tz)


def hours_between(later: np.ndarray, earlier: np.ndarray) -> np.ndarray:
    """later - earlier in hours (float; NaN where either is missing)."""
    missing = (later == NAT) | (earlier == NAT)
    out = (later.astype("float64") - earlier.astype("float64")) / US_PER_HOUR
    out[missing] = np.nan
    return out
