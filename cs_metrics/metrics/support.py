"""Support: first contact resolution and ticket volumes.

Ticket datetimes are instants (UTC microseconds). P is whole local days [start, end] in the config's
time zone, so a ticket is created in P when it was created from the first instant of `start` up to
(not including) the first instant after `end`, and something happened "by the end of P" when it
happened before that instant. Durations are differences of instants (a DST change does not add an
hour). Counts made "by the end of P" never change when later rows arrive.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cs_metrics.config import Config
from cs_metrics.errors import DataError
from cs_metrics.i18n import T
from cs_metrics.metrics import active_inputs
from cs_metrics.metrics._ratio import fmt_num, rate, safe_ratio
from cs_metrics.metrics._state import active_customers
from cs_metrics.metrics._time import NAT, bounds_us, hours_between, micros
from cs_metrics.period import Period
from cs_metrics.result import MetricResult



def _times(tickets: pd.DataFrame, column: str) -> np.ndarray:
    """A datetime column as int64 UTC microseconds (NAT where empty, or everywhere without the column).
    Microseconds hold every date of the contract, 9999-12-31 included."""
    if column not in tickets:
        return np.full(len(tickets), NAT, dtype="int64")
    return micros(tickets[column])


def _before(times: np.ndarray, instant: int) -> np.ndarray:
    """Known and earlier than `instant` (a missing time is never before anything)."""
    return (times != NAT) & (times < instant)


def _flag(tickets: pd.DataFrame, column: str) -> np.ndarray:
    """A bool column with empty cells (or no column) read as False."""
    if column not in tickets:
        return np.zeros(len(tickets), dtype=bool)
    return tickets[column].fillna(False).to_numpy(dtype=bool)


def _median(hours: np.ndarray) -> float | None:
    """Median of the given hours; None over no tickets (never 0)."""
    return float(np.median(hours)) if len(hours) else None


def _require(tickets: pd.DataFrame, column: str, cfg: Config, why: str, fix: str) -> None:
    if column not in tickets:
        raise DataError(
            f"{cfg.path_of('tickets').name} has no {column} column, which {why} needs",
            f"Map it with sources.tickets.columns.{column}{fix}",
        )


def fcr(frames: dict[str, pd.DataFrame], period: Period, cfg: Config) -> MetricResult:
    """First contact resolution, percent, over the tickets created in P.

    Resolved = resolved_at on or before the end of P (a past period's figure never changes later).
    First-contact resolved = resolved, not reopened (empty = not reopened) and, by config
    `metrics.fcr.definition`: `contacts` (default) contacts <= `max_contacts` (default 1; an empty
    contacts cell is not first-contact), or `within_hours` resolved within `within_hours` (default 24)
    hours of creation. FCR = first-contact resolved / resolved x 100, or / created x 100 with
    `denominator: created`. Undefined when the denominator is 0 (no ticket of P resolved, or created).
    Raises DataError when tickets.csv has no resolved_at column, or no contacts column under the
    contacts definition."""
    opt = cfg.metrics.fcr
    tickets = frames["tickets"]
    _require(tickets, "resolved_at", cfg, "first contact resolution", "")
    if opt.definition == "contacts":
        _require(
            tickets, "contacts", cfg, "first contact resolution (metrics.fcr.definition: contacts)",
            " or set metrics.fcr.definition: within_hours",
        )
    start, after_end = bounds_us(period.start, period.end, cfg.timezone)

    # in_period: one row = a ticket created in P
    created_at = _times(tickets, "created_at")
    in_period = (created_at >= start) & _before(created_at, after_end)
    cohort = tickets.loc[in_period]
    created_at, resolved_at = created_at[in_period], _times(cohort, "resolved_at")

    # resolved: resolved by the end of P; reopened: flagged reopened (empty = not reopened)
    resolved = _before(resolved_at, after_end)
    reopened = _flag(cohort, "reopened")

    # first_contact: by the definition in force; an empty contacts cell is not first-contact
    warnings: list[str] = []
    if opt.definition == "contacts":
        contacts = cohort["contacts"]
        first_contact = contacts.le(opt.max_contacts).fillna(False).to_numpy(dtype=bool)
        no_contacts = int((resolved & contacts.isna().to_numpy(dtype=bool)).sum())
        if no_contacts:
            warnings.append(
                T("{n} resolved tickets have no contacts count: counted as not resolved on first contact", n=no_contacts)
            )
        rule = T("contacts <= {max} (an empty contacts cell is not first-contact)", max=opt.max_contacts)
    else:
        first_contact = hours_between(resolved_at, created_at) <= opt.within_hours  # NaN compares False
        rule = T("resolved within {hours:g} hours of creation", hours=opt.within_hours)
    first_contact_resolved = resolved & first_contact & ~reopened

    n_created, n_resolved, n_fcr = int(in_period.sum()), int(resolved.sum()), int(first_contact_resolved.sum())
    denominator = n_resolved if opt.denominator == "resolved" else n_created
    value, interval, rate_warnings = rate(n_fcr, denominator, what=T("FCR"), population=T("tickets"))
    if denominator == 0:
        which = T("created in the period and resolved by its end") if opt.denominator == "resolved" else T("created in the period")
        rate_warnings = [T("FCR is undefined: its denominator is 0 (no tickets {which})", which=which)]
    details: dict = {
        "created": n_created,
        "resolved": n_resolved,
        "first_contact_resolved": n_fcr,
        "reopened": int((resolved & reopened).sum()),
        "definition": opt.definition,
        "denominator": opt.denominator,
        "denominator_tickets": denominator,
        **({"max_contacts": opt.max_contacts} if opt.definition == "contacts" else {"within_hours": opt.within_hours}),
        **interval,
    }
    base = T("resolved tickets") if opt.denominator == "resolved" else T("tickets created")
    return MetricResult(
        "fcr",
        period,
        value,
        "percent",
        details,
        warnings=rate_warnings + warnings,
        definition=T(
            "First contact resolution over the tickets created from {start} to {end}: resolved = "
            "resolved_at on or before the end of {end}; first-contact resolved = resolved, {rule}, and not "
            "reopened (an empty reopened cell is not reopened). Denominator: the {base} "
            "(metrics.fcr.denominator: {denominator}).",
            start=period.start, end=period.end, rule=rule, base=base, denominator=opt.denominator,
        ),
        formula=T(
            "{fcr} first-contact resolved / {denominator} {base} x 100 = {value} %",
            fcr=n_fcr, denominator=denominator, base=base, value=fmt_num(value, 2),
        ),
        filtered={"tickets": {"created outside the period": len(tickets) - n_created}},
    )


def tickets(frames: dict[str, pd.DataFrame], period: Period, cfg: Config) -> MetricResult:
    """Support tickets created in P (count; 0 when there are none).

    Details: resolved_in_period (resolved_at in P, whatever the creation date); open_at_close
    (created on or before the end of P, not resolved by then); complaints (created in P, category one
    of `metrics.tickets.complaint_categories`, default `complaint`, any case);
    median_first_response_hours and median_resolution_hours over the tickets created in P that got a
    first response / a resolution by the end of P (None over no tickets); and
    tickets_per_100_active_customers = created / customers active in P (config `active_customer`)
    x 100, None when the active-customer table is absent (with a warning) or no customer is active.
    A detail whose column the export lacks is None with a warning."""
    t = frames["tickets"]
    start, after_end = bounds_us(period.start, period.end, cfg.timezone)
    warnings: list[str] = []
    file = cfg.path_of("tickets").name

    def missing(column: str, what: str) -> None:
        warnings.append(T("{file} has no {column} column: {what} is unknown (map sources.tickets.columns.{column})", file=file, column=column, what=what))

    # one row = a ticket; each mask says what the ticket counts towards
    created_at, resolved_at = _times(t, "created_at"), _times(t, "resolved_at")
    created = (created_at >= start) & _before(created_at, after_end)
    resolved_by_close = _before(resolved_at, after_end)
    resolved_in_period = (resolved_at >= start) & resolved_by_close
    open_at_close = _before(created_at, after_end) & ~resolved_by_close
    n_created = int(created.sum())

    has_resolved = "resolved_at" in t
    if not has_resolved:
        missing("resolved_at", "resolved_in_period, open_at_close and median_resolution_hours")

    # complaints: created in P with a complaint category, compared case-insensitively
    complaints = None
    if "category" in t:
        categories = [c.strip().casefold() for c in cfg.metrics.tickets.complaint_categories]
        is_complaint = t["category"].str.strip().str.casefold().isin(categories).to_numpy(dtype=bool)
        complaints = int((created & is_complaint).sum())
    else:
        missing("category", "complaints")

    # medians over the tickets created in P with the event by the end of P
    medians: dict[str, float | None] = {}
    for key, column, what in (
        ("median_first_response_hours", "first_response_at", T("first response")),
        ("median_resolution_hours", "resolved_at", T("resolution")),
    ):
        if column not in t:
            medians[key] = None
            if column == "first_response_at":
                missing(column, key)
            continue
        at = _times(t, column)
        hours = hours_between(at, created_at)
        with_event = created & _before(at, after_end)
        negative = with_event & (hours < 0)
        if negative.any():
            warnings.append(
                T("{n} tickets have {column} before created_at: left out of the median {what} time", n=int(negative.sum()), column=column, what=what)
            )
        medians[key] = _median(hours[with_event & ~negative])

    # per 100 active customers, when the active-customer table is in the data
    known = lambda table, column=None: table in frames  # noqa: E731
    active_table = next((t for t in (active_inputs(cfg, known)[0].table, "daily_activity") if t in frames), active_inputs(cfg, known)[0].table)
    per_100 = active = None
    if active_table in frames:
        active = len(active_customers(frames, period, cfg))
        per_100, why = safe_ratio(n_created, active, scale=100, what=T("tickets per 100 active customers"))
        if why:
            warnings.append(T("{why} (no customer active in the period)", why=why))
    else:
        warnings.append(
            T(
                "tickets per 100 active customers is unknown: it needs {file} (active_customer: {active}), which is not in the data folder",
                file=cfg.path_of(active_table).name, active=cfg.active_customer,
            )
        )

    details: dict = {
        "created": n_created,
        "resolved_in_period": int(resolved_in_period.sum()) if has_resolved else None,
        "open_at_close": int(open_at_close.sum()) if has_resolved else None,
        "complaints": complaints,
        **medians,
        "active_customers": active,
        "tickets_per_100_active_customers": per_100,
    }
    listed = ", ".join(cfg.metrics.tickets.complaint_categories)
    formula = T("{n} tickets created from {start} to {end}", n=n_created, start=period.start, end=period.end)
    if per_100 is not None:
        formula += T("; per 100 active customers: {n} / {active} x 100 = {value}", n=n_created, active=active, value=fmt_num(per_100, 2))
    unused = ~(created | resolved_in_period | open_at_close)
    return MetricResult(
        "tickets",
        period,
        n_created,
        "count",
        details,
        warnings=warnings,
        definition=T(
            "Tickets created from {start} to {end}. Resolved in the period: resolved_at in it, whatever "
            "the creation date. Open at close: created on or before {end} and not resolved by its end. "
            "Complaints: tickets created in the period whose category is one of: {listed} (any case). Median hours "
            "to first response and to resolution: over the tickets created in the period that got a first response "
            "/ were resolved by the end of {end} (later resolutions do not count, so the figure never "
            "changes). Per 100 active customers: created / customers active in the period "
            "(active_customer: {active}) x 100.",
            start=period.start, end=period.end, listed=listed, active=cfg.active_customer,
        ),
        formula=formula,
        filtered={"tickets": {"not created, resolved or open in the period": int(unused.sum())}},
    )
