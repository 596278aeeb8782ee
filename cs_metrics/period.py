"""Reporting periods: parse period text into a range of whole days, and walk it.

A period P is a range of whole days ``[start, end]``, both ends inclusive. It is written as

* an absolute period: ``2024-05`` (month), ``2024-Q2``, ``2024-H1``, ``2024``, ``2024-W18``
  (ISO week, Monday..Sunday), ``2024-05-07`` (a day);
* a period relative to an ``as_of`` day: ``today``, ``yesterday``, ``this-week``, ``last-week``,
  ``this-month``, ``last-month``, ``this-quarter``, ``last-quarter``, ``this-year`` (= ``ytd``),
  ``last-year``, ``last-N-days``. The ``this-*`` forms run to date, ``as_of`` included;
  ``last-N-days`` are the N days ending the day before ``as_of``;
* a range ``A..B`` of any two of these: from the start of A to the end of B
  (``2024-01..2024-03``, ``2024-05-01..2024-05-15``, ``2024-01..this-month``).

Text is case-insensitive and surrounding whitespace is ignored. Bad text raises `PeriodError`
with a one-line message naming the problem and the accepted forms.

Snapshots are "state at the end of a day": the opening snapshot of P is the day before
``start``, the closing snapshot is ``end``, and the steps of P go from the opening through each
month end inside P to the closing.

Standard library only: this module is imported on the CLI's fast paths.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from cs_metrics.errors import UsageError

__all__ = ["Period", "PeriodError", "parse_date", "parse_period", "days_before", "FIRST_DAY", "LAST_DAY"]

DAYS_PER_MONTH = 30.4375  # mean Gregorian month, 365.25 / 12
ONE_DAY = timedelta(days=1)
# The days a period can cover: its opening snapshot is the day before its start, and metrics look at
# the day after its end, so neither end may be the calendar's first or last day.
FIRST_DAY = date(1, 1, 2)
LAST_DAY = date(9999, 12, 30)
_LIMITS = f"periods run from {FIRST_DAY} to {LAST_DAY}"

KINDS = (
    "day",
    "week",
    "month",
    "quarter",
    "half",
    "year",
    "months",  # a range of whole calendar months
    "range",  # any other range of days
    "to-date-week",
    "to-date-month",
    "to-date-quarter",
    "to-date-year",
)

# How far one period of each kind moves back in time (`months` and `range` depend on the size).
_MONTH_STEP = {
    "month": 1,
    "quarter": 3,
    "half": 6,
    "year": 12,
    "to-date-month": 1,
    "to-date-quarter": 3,
    "to-date-year": 12,
}
_DAY_STEP = {"day": 1, "week": 7, "to-date-week": 7}

_ACCEPTED = (
    "2024-05, 2024-Q2, 2024-H1, 2024, 2024-W18, 2024-05-07, 2024-05-01..2024-05-15, "
    "today, yesterday, this-week, last-week, this-month, last-month, this-quarter, "
    "last-quarter, this-year, last-year, ytd, last-N-days (e.g. last-30-days), "
    "A..B (from the start of A to the end of B)"
)


class PeriodError(UsageError, ValueError):
    """Period or date text that cannot be understood, or a period the calendar cannot hold; the
    message is one line. A usage error (exit 2) on the command line."""


class _Invalid(Exception):
    """Internal: why a piece of text is not a period; wrapped into `PeriodError`."""


# --------------------------------------------------------------------------------------------
# Period


@dataclass(frozen=True)
class Period:
    """A range of whole days ``[start, end]`` (both inclusive) and the kind it was written as.

    `label` is the canonical text: parsing the label of an absolute period gives it back.
    Relative periods get the label of the absolute period they resolve to (``last-month`` ->
    ``2024-04``); to-date periods and ``last-N-days`` are labelled as a day range.
    """

    start: date
    end: date
    kind: str
    label: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            expected = ", ".join(KINDS)
            raise PeriodError(f"unknown period kind {self.kind!r}; expected one of {expected}")
        if self.start > self.end:
            raise PeriodError(f"period {self.label!r} starts {self.start} after it ends {self.end}")

    @property
    def days(self) -> int:
        """Number of days, both ends counted."""
        return (self.end - self.start).days + 1

    @property
    def months(self) -> float:
        """Calendar months when month-aligned (1st to a month's last day), else days / 30.4375."""
        if _is_month_aligned(self.start, self.end):
            return float(_month_span(self.start, self.end))
        return self.days / DAYS_PER_MONTH

    @property
    def opening(self) -> date:
        """Opening snapshot: the state at the end of the day before `start`."""
        return self.start - ONE_DAY

    @property
    def closing(self) -> date:
        """Closing snapshot: the state at the end of `end`."""
        return self.end

    def month_ends(self) -> list[date]:
        """The last days of months d with ``start <= d <= end``."""
        ends: list[date] = []
        year, month = self.start.year, self.start.month
        while (d := _month_end(year, month)) <= self.end:
            ends.append(d)
            if d == self.end:  # also keeps us from stepping past 9999-12
                break
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return ends

    def snapshots(self) -> list[date]:
        """Snapshot dates: opening, each month end d with ``start <= d < end``, closing."""
        inner = [d for d in self.month_ends() if d < self.end]
        return [self.opening, *inner, self.closing]

    def steps(self) -> list[tuple[date, date]]:
        """Consecutive pairs of snapshot dates: a month has 1 step, a quarter 3."""
        snaps = self.snapshots()
        return list(zip(snaps, snaps[1:]))

    def contains(self, d: date) -> bool:
        """Whether day `d` is inside the period (both ends included)."""
        return self.start <= d <= self.end

    def previous(self) -> Period:
        """The same kind of period just before this one (see `shifted`)."""
        return self.shifted(1)

    def shifted(self, n: int) -> Period:
        """The period `n` periods back (negative `n` goes forward); ``shifted(0)`` is self.

        Months, quarters, halves, years and whole-month ranges move by whole calendar months;
        days, weeks and other ranges by their number of days. A to-date period keeps its span:
        the start moves to the start of the earlier month/quarter/year/week and the end keeps
        its day of month, clipped to the length of its new month (2024-03-01..2024-03-30 ->
        2024-02-01..2024-02-29), except that one ending on a month's last day ends on the last
        day of its new month (2024-04-01..2024-04-30 -> 2024-03-01..2024-03-31). Each shift is computed from this period, not by repeating
        `previous()`, so clipping never accumulates.
        """
        if n == 0:
            return self
        try:
            if self.kind in _DAY_STEP or self.kind == "range":
                step = self.days if self.kind == "range" else _DAY_STEP[self.kind]
                delta = timedelta(days=n * step)
                start, end = self.start - delta, self.end - delta
            else:
                step = _MONTH_STEP.get(self.kind) or _month_span(self.start, self.end)
                start = _add_months(self.start, -n * step)
                if self.kind.startswith("to-date-") and self.end != _month_end(self.end.year, self.end.month):
                    end = _add_months(self.end, -n * step)
                else:
                    moved = _add_months(self.end, -n * step)
                    end = _month_end(moved.year, moved.month)
            return _make(start, end, self.kind)
        except (_Invalid, ValueError, OverflowError):
            which = f"{'' if abs(n) == 1 else f'{abs(n)} periods '}{'before' if n > 0 else 'after'} {self.label}"
            raise PeriodError(f"the period {which} falls outside the calendar: {_LIMITS}") from None


def days_before(d: date, n: int, what: str) -> date:
    """The day `n` days before `d`; a PeriodError naming `what` and the limit when it is before FIRST_DAY."""
    if (d - FIRST_DAY).days < n:
        raise PeriodError(f"{what} would start {n:,} days before {d}, outside the calendar: {_LIMITS}")
    return d - timedelta(days=n)


def _make(start: date, end: date, kind: str) -> Period:
    """Build a period with its canonical label; the opening snapshot must exist."""
    if start < FIRST_DAY:
        raise _Invalid(f"it starts on {start}, which has no day before it for the opening; {_LIMITS}")
    if end > LAST_DAY:
        raise _Invalid(f"it ends on {end}, which has no day after it for the metrics; {_LIMITS}")
    return Period(start, end, kind, _label(start, end, kind))


def _label(start: date, end: date, kind: str) -> str:
    """Canonical text of a period (years zero-padded so the label parses back)."""
    if kind == "day":
        return start.isoformat()
    if kind == "week":
        iso = start.isocalendar()
        return f"{iso.year:04d}-W{iso.week:02d}"
    if kind == "month":
        return _ym(start)
    if kind == "quarter":
        return f"{start.year:04d}-Q{(start.month - 1) // 3 + 1}"
    if kind == "half":
        return f"{start.year:04d}-H{(start.month - 1) // 6 + 1}"
    if kind == "year":
        return f"{start.year:04d}"
    if kind == "months":
        return f"{_ym(start)}..{_ym(end)}"
    return f"{start.isoformat()}..{end.isoformat()}"


# --------------------------------------------------------------------------------------------
# Calendar helpers


def _ym(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _days_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _month_end(year: int, month: int) -> date:
    return date(year, month, _days_in_month(year, month))


def _add_months(d: date, n: int) -> date:
    """`d` moved by `n` calendar months, its day clipped to the length of the new month."""
    year, month0 = divmod(d.year * 12 + d.month - 1 + n, 12)
    if not 1 <= year <= 9999:
        raise OverflowError("year out of range")
    return date(year, month0 + 1, min(d.day, _days_in_month(year, month0 + 1)))


def _is_month_aligned(start: date, end: date) -> bool:
    """Starts on a 1st and ends on the last day of a month."""
    return start.day == 1 and end.day == _days_in_month(end.year, end.month)


def _month_span(start: date, end: date) -> int:
    """Number of calendar months from start's month to end's month, both counted."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _quarter_start(d: date) -> date:
    return date(d.year, (d.month - 1) // 3 * 3 + 1, 1)


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


# --------------------------------------------------------------------------------------------
# Parsing


def parse_date(text: str) -> date:
    """Strict ISO ``YYYY-MM-DD`` (used for ``--as-of``); `PeriodError` otherwise."""
    raw = text.strip()
    match = _DAY_RE.fullmatch(raw)
    try:
        if not match:
            raise _Invalid("not a date")
        return _ymd(*match.groups())
    except _Invalid as exc:
        message = f"bad date {raw!r}: {exc}. Expected YYYY-MM-DD, e.g. 2024-05-31"
        raise PeriodError(message) from None


def parse_period(text: str, as_of: date | None = None) -> Period:
    """Parse period text; relative forms are resolved against `as_of` (default: today)."""
    raw = text.strip()
    if as_of is None:
        as_of = date.today()
    elif isinstance(as_of, datetime):
        as_of = as_of.date()
    try:
        return _parse(raw.lower(), as_of)
    except _Invalid as exc:
        reason = str(exc)
    except (ValueError, OverflowError):
        reason = f"its dates fall outside the calendar: {_LIMITS}"
    raise PeriodError(f"bad period {raw!r}: {reason}. Accepted: {_ACCEPTED}")


def _parse(text: str, as_of: date) -> Period:
    """Parse lower-cased, stripped text: a single period or a range ``A..B``."""
    if not text:
        raise _Invalid("no period given")
    if ".." not in text:
        return _parse_single(text, as_of)
    parts = [part.strip() for part in text.split("..")]
    if len(parts) != 2:
        raise _Invalid("a range joins exactly two periods, A..B")
    if not all(parts):
        raise _Invalid("a range needs a period on each side of '..'")
    first, last = (_parse_single(part, as_of) for part in parts)
    start, end = first.start, last.end
    if start > end:
        raise _Invalid(f"it starts {start} after it ends {end}")
    return _make(start, end, "months" if _is_month_aligned(start, end) else "range")


_YEAR_RE = re.compile(r"([0-9]{4})")
_MONTH_RE = re.compile(r"([0-9]{4})-([0-9]+)")
_DAY_RE = re.compile(r"([0-9]{4})-([0-9]+)-([0-9]+)")
_QUARTER_RE = re.compile(r"([0-9]{4})-q([0-9]+)")
_HALF_RE = re.compile(r"([0-9]{4})-h([0-9]+)")
_WEEK_RE = re.compile(r"([0-9]{4})-w([0-9]+)")
_LAST_DAYS_RE = re.compile(r"last-([0-9]+)-days")


def _parse_single(text: str, as_of: date) -> Period:
    """One period (no '..'), absolute or relative."""
    if text in _RELATIVE:
        return _RELATIVE[text](as_of)
    if match := _LAST_DAYS_RE.fullmatch(text):
        n = int(match.group(1))
        if n < 1:
            raise _Invalid("last-N-days needs N >= 1")
        return _make(as_of - timedelta(days=n), as_of - ONE_DAY, "range")
    if match := _DAY_RE.fullmatch(text):
        day = _ymd(*match.groups())
        return _make(day, day, "day")
    if match := _WEEK_RE.fullmatch(text):
        return _week(_year(match.group(1)), match.group(2))
    if match := _MONTH_RE.fullmatch(text):
        year, month = _year(match.group(1)), _month(match.group(2))
        return _make(date(year, month, 1), _month_end(year, month), "month")
    if match := _QUARTER_RE.fullmatch(text):
        year = _year(match.group(1))
        quarter = _number(match.group(2), 1, 4, "quarter must be Q1..Q4")
        first = date(year, 3 * quarter - 2, 1)
        return _make(first, _month_end(year, 3 * quarter), "quarter")
    if match := _HALF_RE.fullmatch(text):
        year, half = _year(match.group(1)), _number(match.group(2), 1, 2, "half must be H1 or H2")
        return _make(date(year, 6 * half - 5, 1), _month_end(year, 6 * half), "half")
    if match := _YEAR_RE.fullmatch(text):
        year = _year(match.group(1))
        return _make(date(year, 1, 1), date(year, 12, 31), "year")
    raise _Invalid("not a recognised period")


def _number(digits: str, low: int, high: int, message: str, width: int = 1) -> int:
    """An integer of exactly `width` digits within [low, high], else `_Invalid(message)`."""
    if len(digits) != width or not low <= int(digits) <= high:
        raise _Invalid(message)
    return int(digits)


def _year(digits: str) -> int:
    return _number(digits, 1, 9999, "year must be 0001..9999", width=4)


def _month(digits: str) -> int:
    return _number(digits, 1, 12, "month must be 01..12", width=2)


def _ymd(year: str, month: str, day: str) -> date:
    """A validated calendar date from its three digit groups."""
    y, m = _year(year), _month(month)
    last = _days_in_month(y, m)
    return date(y, m, _number(day, 1, last, f"day must be 01..{last} in {y:04d}-{m:02d}", width=2))


def _week(year: int, digits: str) -> Period:
    """ISO week `digits` of ISO year `year`, Monday..Sunday."""
    week = _number(digits, 1, 53, "week must be W01..W53", width=2)
    if week == 53 and date(year, 12, 28).isocalendar().week != 53:
        raise _Invalid(f"ISO year {year:04d} has no week 53 (it has 52 weeks)")
    monday = date.fromisocalendar(year, week, 1)
    return _make(monday, monday + timedelta(days=6), "week")


# Relative periods, each resolved against the as-of day.


def _today(as_of: date) -> Period:
    return _make(as_of, as_of, "day")


def _yesterday(as_of: date) -> Period:
    return _make(as_of - ONE_DAY, as_of - ONE_DAY, "day")


def _this_week(as_of: date) -> Period:
    return _make(_monday(as_of), as_of, "to-date-week")


def _last_week(as_of: date) -> Period:
    monday = _monday(as_of) - timedelta(days=7)
    return _make(monday, monday + timedelta(days=6), "week")


def _this_month(as_of: date) -> Period:
    return _make(as_of.replace(day=1), as_of, "to-date-month")


def _last_month(as_of: date) -> Period:
    end = as_of.replace(day=1) - ONE_DAY
    return _make(end.replace(day=1), end, "month")


def _this_quarter(as_of: date) -> Period:
    return _make(_quarter_start(as_of), as_of, "to-date-quarter")


def _last_quarter(as_of: date) -> Period:
    end = _quarter_start(as_of) - ONE_DAY
    return _make(_quarter_start(end), end, "quarter")


def _this_year(as_of: date) -> Period:
    return _make(date(as_of.year, 1, 1), as_of, "to-date-year")


def _last_year(as_of: date) -> Period:
    year = as_of.year - 1
    return _make(date(year, 1, 1), date(year, 12, 31), "year")


_RELATIVE = {
    "today": _today,
    "yesterday": _yesterday,
    "this-week": _this_week,
    "last-week": _last_week,
    "this-month": _this_month,
    "last-month": _last_month,
    "this-quarter": _this_quarter,
    "last-quarter": _last_quarter,
    "this-year": _this_year,
    "ytd": _this_year,
    "last-year": _last_year,
}
