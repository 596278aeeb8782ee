"""Retention cohorts: customers grouped by the month of their first payment, followed month by month.

A customer's cohort is the month of its first paid day (the first day a non-trial subscription row
with MRR > 0 is active). Cell (cohort, k) looks at the end of the k-th month after the cohort month
(k = 0 is the cohort month's own end): logo kind = share of the cohort's customers paying then;
revenue kind = the cohort's MRR then / its MRR at the end of month 0 x 100.

MRR per customer at every month end comes from one dense customers x months grid built with
difference arrays (no cross join, no mask per month); all MRR stays int64 in load.MRR_SCALE units.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from cs_metrics.config import Config
from cs_metrics.errors import UsageError
from cs_metrics.i18n import T
from cs_metrics.metrics._ratio import fmt_money, fmt_num, rate, safe_ratio
from cs_metrics.metrics._state import first_paid_day, mrr_based, mrr_rows, settle, to_money
from cs_metrics.period import Period
from cs_metrics.result import MetricResult

KINDS = ("logo", "revenue")
MAX_MONTHS = 1200  # a century of monthly cohorts; more is a typo, not a report
HEADLINE_MONTHS = (1, 3, 6, 12)  # details: m1_retention, m3_retention, ... when the grid has that column
_NOT_ENDED = np.datetime64("9999-12-31", "D")


# --------------------------------------------------------------------------- months as integers


def month_number(days) -> np.ndarray:
    """Months since 1970-01 (int64) of datetime64 days: 1970-01-xx -> 0, 2024-05-xx -> 652."""
    return np.asarray(days, dtype="datetime64[D]").astype("datetime64[M]").astype("int64")


def month_label(number: int) -> str:
    year, month0 = divmod(int(number), 12)
    return f"{1970 + year:04d}-{month0 + 1:02d}"


# --------------------------------------------------------------------------- the MRR grid


def month_end_mrr(rows: pd.DataFrame, customers: pd.Index, first_month: date, last_month: date) -> np.ndarray:
    """MRR of each of `customers` at the end of every month from `first_month`'s month to
    `last_month`'s month (both included): int64 matrix len(customers) x months, MRR units.
    `rows` are paying rows (see `_state.paying_rows`); rows of other customers are ignored."""
    first, last = (int(month_number(np.datetime64(d, "D"))) for d in (first_month, last_month))
    codes = customers.get_indexer(rows["customer_id"])  # one per row: its customer, -1 = not asked for
    return _month_end_grid(rows, codes, len(customers), first, max(last - first + 1, 0))


def _month_end_grid(rows: pd.DataFrame, codes: np.ndarray, n_customers: int, first: int, n_months: int) -> np.ndarray:
    """The customers x months grid of `month_end_mrr`; `codes` = each row's customer (0..n_customers-1,
    -1 = leave the row out), `first` = the first month as a `month_number`.

    A row is active at a month end d when started_at <= d < ended_at. d is the last day of its month, so
    started_at <= d  <=>  started_at's month <= d's month, and d < ended_at  <=>  ended_at's month
    > d's month: the row counts at the ends of the months [start month, end month) — a row that
    starts on a month's last day counts at that month's end, one that ends on the 1st counts at the
    end of the month before, one that ends on a month's last day does not count at that end.
    Each row adds its MRR at its start month and takes it back at its end month (difference
    arrays); a cumulative sum along the months gives the MRR at every month end."""
    start = rows["started_at"].to_numpy(dtype="datetime64[D]")
    if "ended_at" in rows:
        end = rows["ended_at"].to_numpy(dtype="datetime64[D]")
        end = np.where(np.isnat(end), _NOT_ENDED, end)
    else:
        end = np.full(len(rows), _NOT_ENDED)
    # one row = a subscription row's active months as column indices [from_col, to_col), clipped to the grid
    from_col = np.clip(month_number(start) - first, 0, n_months)
    to_col = np.clip(month_number(end) - first, 0, n_months)
    counts = (codes >= 0) & (from_col < to_col)
    grids = []
    for col in ("mrr", "tolerance") if "tolerance" in rows else ("mrr",):  # invoice lines carry a tolerance
        values = rows[col].to_numpy(dtype="int64")[counts]
        diff = np.zeros((n_customers, n_months + 1), dtype="int64")
        np.add.at(diff, (codes[counts], from_col[counts]), values)
        np.add.at(diff, (codes[counts], to_col[counts]), -values)
        grids.append(np.cumsum(diff, axis=1)[:, :n_months])
    return settle(*grids)


def _by_cohort(cohort: np.ndarray, grid: np.ndarray, n_cohorts: int) -> np.ndarray:
    """Column sums of `grid` per cohort (int64, cohorts x months)."""
    out = np.zeros((n_cohorts, grid.shape[1]), dtype="int64")
    np.add.at(out, cohort, grid)
    return out


def _relative(by_month: np.ndarray, n_cols: int) -> np.ndarray:
    """Calendar-month columns -> months since each cohort's own month: out[c, k] = by_month[c, c + k],
    0 past the grid's last month."""
    n_cohorts, n_months = by_month.shape
    padded = np.concatenate([by_month, np.zeros((n_cohorts, 1), dtype="int64")], axis=1)
    cols = np.minimum(np.arange(n_cohorts)[:, None] + np.arange(n_cols)[None, :], n_months)
    return np.take_along_axis(padded, cols, axis=1)


# --------------------------------------------------------------------------- the metric


def _first_month_end(result: MetricResult, cfg: Config) -> date:
    """The earliest day the matrix looks at: the end of its oldest cohort's month."""
    year, month = (int(x) for x in result.details["first_cohort"].split("-"))
    if (year, month) == (9999, 12):
        return date(9999, 12, 31)
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


@mrr_based(first_day=_first_month_end)
def cohorts(
    frames: dict[str, pd.DataFrame], period: Period, cfg: Config, kind: str = "logo", months: int = 12
) -> MetricResult:
    """Retention cohorts by month of first payment, percent.

    Cohort = the month of a customer's first paid day (first day a non-trial subscription row with
    MRR > 0 is active; trials do not count). Rows: the `months` (option --months, default 12) monthly
    cohorts ending with the month of P's end; a customer whose first paid day is after P's end is in
    no cohort. Column mk, for the end d of the k-th month after the cohort month (m0 = the cohort
    month's own end), only while d <= P's end (later cells are empty):
    kind `logo` (default): customers of the cohort paying at d (MRR_c(d) > 0) / cohort customers x 100;
    kind `revenue`: the cohort's MRR at d / its MRR at the end of month 0 x 100 (above 100 when
    expansion outweighs churn). A customer who stops and pays again stays in its first cohort.
    Value: month-1 retention over the cohorts that have a month 1, weighted by cohort size
    (logo: paying at the end of month 1 / cohort customers) or by month-0 MRR (revenue: month-1 MRR /
    month-0 MRR). Details: m1/m3/m6/m12 retention weighted the same way, where the grid has them.
    No config keys. Undefined when no cohort has reached the end of its month 1 by P's end, or those
    cohorts have no customers (logo) or no month-0 MRR (revenue). `months` outside 1..1200 is a UsageError."""
    if not 1 <= months <= MAX_MONTHS:
        raise UsageError(f"--months {months}: must be 1..{MAX_MONTHS}", "Use e.g. --months 12 (the default)")
    if kind not in KINDS:
        raise UsageError(f"--kind {kind}: not a choice", f"Use one of {', '.join(KINDS)}")

    # the cohort months, and the last month whose end is on or before P's end (the last grid column)
    end_day = np.datetime64(period.end, "D")
    last_cohort = int(month_number(end_day))
    first_cohort = last_cohort - months + 1
    last_month = int(month_number(end_day + 1)) - 1  # P's own month only when P ends on its last day
    n_cols = max(last_month - first_cohort + 1, 1)  # m0 .. m(n_cols-1): the oldest cohort's months

    # one row = a non-trial subscription row with MRR > 0 (what makes a customer paying)
    rows = mrr_rows(frames, cfg)
    codes, customers = pd.factorize(rows["customer_id"])  # integer customer codes, once; NA -> -1
    # one customer = its first paid day and cohort month (grouped on the integer codes, not the id strings)
    first_paid = first_paid_day(rows.assign(customer_id=codes), pd.RangeIndex(len(customers)))
    cohort_month = month_number(first_paid)
    member = (cohort_month >= first_cohort) & (cohort_month <= last_cohort) & (first_paid <= end_day)
    cohort = cohort_month[member] - first_cohort  # one per member: 0 = the oldest cohort of the matrix
    member_code = np.full(len(customers) + 1, -1)  # customer code -> member code; the extra slot maps NA (-1) to -1
    member_code[np.flatnonzero(member)] = np.arange(int(member.sum()))
    # one row of `grid` = a cohort member's MRR at the end of each month, oldest cohort month .. last_month
    grid = _month_end_grid(rows, member_code[codes], len(cohort), first_cohort, max(last_month - first_cohort + 1, 0))

    # per cohort: customers, and paying customers / MRR at the end of month k after the cohort month
    size = np.bincount(cohort, minlength=months).astype("int64")
    paying = _relative(_by_cohort(cohort, (grid > 0).astype("int64"), months), n_cols)
    mrr = _relative(_by_cohort(cohort, grid, months), n_cols)
    # cell (c, k) exists when its month end is on or before P's end
    reached = np.arange(months)[:, None] + np.arange(n_cols)[None, :] <= last_month - first_cohort

    numerator = paying if kind == "logo" else mrr
    # logo: out of the cohort's customers; revenue: out of its MRR at the end of month 0
    denominator = np.broadcast_to(size[:, None] if kind == "logo" else mrr[:, :1], numerator.shape)
    result_rows = []
    for c in range(months):  # one output row per cohort (at most --months), not per data row
        row: dict = {"cohort": month_label(first_cohort + c), "customers": int(size[c])}
        if kind == "revenue":
            row["mrr_month_0"] = to_money(mrr[c, 0]) if reached[c, 0] else None
        for k in range(n_cols):
            cell = safe_ratio(int(numerator[c, k]), int(denominator[c, k]), scale=100)[0] if reached[c, k] else None
            row[f"m{k}"] = None if cell is None else float(cell)
        result_rows.append(row)

    def weighted(k: int) -> tuple[int, int, int]:
        """(numerator, denominator, cohorts) of month-k retention over the cohorts that reached month k."""
        has = reached[:, k]
        return int(numerator[has, k].sum()), int(denominator[has, k].sum()), int(has.sum())

    labels = (month_label(first_cohort), month_label(last_cohort))
    details: dict = {
        "kind": kind,
        "months": months,
        "first_cohort": labels[0],
        "last_cohort": labels[1],
        "cohorts": int((size > 0).sum()),
        "customers": int(size.sum()),
    }
    warnings: list[str] = []
    what = T("month-1 {kind} retention", kind=kind)
    if n_cols < 2:
        value, num, den, with_m1 = None, 0, 0, 0
        span = f"{labels[0]}..{labels[1]}"
        warnings.append(T("{what} is undefined: no cohort of {span} reaches the end of its month 1 by {day}", what=what, span=span, day=period.end))
    else:
        num, den, with_m1 = weighted(1)
        if kind == "logo":
            value, interval, warnings = rate(num, den, what=what, population=T("cohort customers"))
            details.update(interval)
        else:
            value, why = safe_ratio(num, den, scale=100, what=what)
            warnings = [why] if why else []
        if den == 0:
            empty = T("customers") if kind == "logo" else T("MRR at the end of their month 0")
            reached_m1 = f"{labels[0]}..{month_label(first_cohort + with_m1 - 1)}"
            warnings = [T("{what} is undefined: the cohorts that reached month 1 ({span}) have no {empty}", what=what, span=reached_m1, empty=empty)]
    for k in HEADLINE_MONTHS:
        if k < n_cols:
            n, d, _ = weighted(k)
            details[f"m{k}_retention"] = safe_ratio(n, d, scale=100)[0]
    if kind == "logo":
        details["m1_cohort_customers"], details["m1_paying_customers"] = den, num
    else:
        details["m1_mrr_month_0"], details["m1_mrr"] = to_money(den), to_money(num)

    m1_cohorts = f"{labels[0]}..{month_label(first_cohort + with_m1 - 1)}" if with_m1 else T("none")
    definition, formula = _explain(kind, months, labels, period, m1_cohorts, num, den, value)
    return MetricResult(
        "cohorts",
        period,
        value,
        "percent",
        details,
        rows=result_rows,
        warnings=warnings,
        definition=definition,
        formula=formula,
    )


def _explain(
    kind: str, months: int, labels: tuple[str, str], period: Period, m1_cohorts: str, num: int, den: int, value
) -> tuple[str, str]:
    """(definition in force, formula with the actual numbers) for --explain."""
    if kind == "logo":
        formula = T(
            "{num} of {den} customers of the cohorts {cohorts} paying at the end of their month 1 x 100 = {value} %",
            num=num, den=den, cohorts=m1_cohorts, value=fmt_num(value, 2),
        )
        cells = T("the share of the cohort's customers paying (MRR > 0) at the end of the k-th month after the cohort month")
        weights = T("weighted by cohort size")
    else:
        formula = T(
            "MRR {num} at the end of month 1 / {den} at the end of month 0 (cohorts {cohorts}) x 100 = {value} %",
            num=fmt_money(to_money(num)), den=fmt_money(to_money(den)), cohorts=m1_cohorts, value=fmt_num(value, 2),
        )
        cells = T(
            "the cohort's MRR at the end of the k-th month after the cohort month / its MRR at the end of month 0 "
            "x 100 (above 100 when expansion outweighs churn)"
        )
        weights = T("weighted by month-0 MRR")
    definition = T(
        "Retention cohorts ({kind}): a customer's cohort is the month of its first paid day (first day a non-trial "
        "subscription row with MRR > 0 is active; trials do not count; a customer who stops and pays again stays in "
        "its first cohort). Rows: the {months} monthly cohorts {first}..{last}, customers whose first paid "
        "day is on or before {day}. Column mk: {cells}; m0 = the end of the cohort month itself; cells "
        "whose month end falls after {day} are empty. Value: month-1 retention of the cohorts that have a "
        "month 1, {weights}.",
        kind=kind, months=months, first=labels[0], last=labels[1], day=period.end, cells=cells, weights=weights,
    )
    return definition, formula
