"""Trailing windows (`--window 12m`): the retention metrics measured from the snapshot N months
before the period's end instead of from the period's own opening snapshot."""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from cs_metrics.errors import UsageError
from cs_metrics.i18n import T
from cs_metrics.period import Period, parse_period

MAX_MONTHS = 120


def window_months(window: str | None) -> int | None:
    """`12m` -> 12; None (the period itself) -> None; anything else is a UsageError.

    >>> window_months("12m"), window_months(None)
    (12, None)
    """
    if window is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*m\s*", str(window).lower())
    months = int(match.group(1)) if match else 0
    if not 1 <= months <= MAX_MONTHS:
        raise UsageError(
            f"--window {window}: not a window of months",
            f"Write the number of months followed by m, from 1m to {MAX_MONTHS}m, e.g. --window 12m",
        )
    return months


def window_label(window: str | None) -> str | None:
    """The canonical text of a window: ` 12M ` -> `12m`."""
    months = window_months(window)
    return None if months is None else f"{months}m"


def months_before(d: date, months: int) -> date:
    """The same day `months` calendar months before `d`; a month's last day gives that month's last day,
    any other day is clipped to the length of its month (2024-03-30 - 1 month = 2024-02-29).

    >>> months_before(date(2026, 10, 31), 12), months_before(date(2025, 2, 28), 12)
    (datetime.date(2025, 10, 31), datetime.date(2024, 2, 29))
    """
    year, month0 = divmod(d.year * 12 + d.month - 1 - months, 12)
    if year < 1:
        raise UsageError(f"--window {months}m: {months} months before {d} is before the year 1")
    last = calendar.monthrange(year, month0 + 1)[1]
    month_end = d.day == calendar.monthrange(d.year, d.month)[1]
    return date(year, month0 + 1, last if month_end else min(d.day, last))


def trailing(period: Period, window: str | None) -> Period:
    """The period a metric measures under `--window`: P itself without one; with `Nm`, the range whose
    opening snapshot is the end of the day N months before P's end and whose closing snapshot is P's
    end (`--window 12m` on 2026-10 measures 2025-11-01..2026-10-31, from the end of 2025-10-31)."""
    months = window_months(window)
    if months is None:
        return period
    opening = months_before(period.end, months)
    return parse_period(f"{(opening + timedelta(days=1)).isoformat()}..{period.end.isoformat()}")


def window_words(period: Period, window: str | None) -> str:
    """The sentence --explain adds under a window ('' without one)."""
    months = window_months(window)
    if months is None:
        return ""
    return T(
        "Trailing {months} months (--window {months}m): from the snapshot at the end of {opening}, "
        "{months} months before the end of {closing}. ",
        months=months, opening=period.opening, closing=period.closing,
    )
