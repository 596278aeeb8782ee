"""What each export spans, and what a metric may say about a period its inputs do not cover.

Every table has a span: the first and last day of its main date column over its usable rows (the
activity tables: invoices issued, responses, tickets created, events, leads created, invoice lines'
service starts, cost months). The state tables — subscriptions and customers — describe the state
up to the day they were exported: their span starts at the first start (signup) and runs through
the export day (`exported_on`, else the file's modification day), or the last start when that is
later.

A metric asked for a period that lies wholly outside the span of a table it needs is undefined
(n/a) with a warning naming the file and its span; a period only partly covered keeps its value and
gets a warning. A table a metric uses only when present (health's usage, surveys, tickets and
invoices) that does not cover the period is left out for that period, with a warning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

MAIN_COLUMN = {
    "customers": "created_at",
    "subscriptions": "started_at",
    "invoices": "issued_at",
    "invoice_lines": "period_start",
    "surveys": "responded_at",
    "tickets": "created_at",
    "events": "occurred_at",
    "daily_activity": "day",
    "leads": "created_at",
    "costs": "month",
}
STATE_TABLES = ("subscriptions", "customers")  # a state exported on a day: covered through that day


@dataclass(frozen=True)
class Span:
    table: str
    file: str  # the file name(s), for messages
    start: date
    end: date
    what: str  # "issued_at", "through the export day" ...

    def text(self) -> str:
        from cs_metrics.i18n import T

        return T("{file} covers {start}..{end}", file=self.file, start=self.start, end=self.end)


def main_span(name: str, frame, cfg) -> tuple[date, date] | None:
    """(first, last) day of the table's main date column over the frame's rows (None without any)."""
    import pandas as pd

    from cs_metrics.contract import TABLES
    from cs_metrics.sources.values import NAT, US_PER_DAY, local_days, micros

    column = MAIN_COLUMN.get(name)
    if column is None or column not in frame or not len(frame):
        return None
    values = frame[column]
    if name == "costs":  # YYYY-MM text: from the first day of the first month to the last of the last
        months = values.dropna().str.strip()
        months = months[months.str.fullmatch(r"\d{4}-(?:0[1-9]|1[0-2])")]
        if months.empty:
            return None
        first, last = pd.Period(months.min(), "M"), pd.Period(months.max(), "M")
        return first.start_time.date(), last.end_time.date()
    if TABLES[name].column(column).type == "datetime":  # instants: their days in the config's zone
        us = micros(values)
        us = us[us != NAT]
        if not len(us):
            return None
        # A local day only runs backwards across a clock change (hours, never days), so the first and
        # last local days are those of instants within two days of the first and last instant.
        lo, hi = us.min(), us.max()
        margin = 2 * US_PER_DAY
        days = local_days(us[(us <= lo + margin) | (us >= hi - margin)], cfg.timezone)
        return tuple(date.fromordinal(date(1970, 1, 1).toordinal() + int(d)) for d in (days.min(), days.max()))
    known = values.dropna()
    if known.empty:
        return None
    return known.min().date(), known.max().date()


def table_span(name: str, report, cfg) -> Span | None:
    """The span of a table read for a run: its main column's days (from the read, before any window),
    state tables through their export day."""
    if not report.span:
        return None
    start, end = report.span
    if name in STATE_TABLES:
        end = max(end, _export_day(name, cfg))
    return Span(name, _files(report), start, end, MAIN_COLUMN[name])


def _files(report) -> str:
    return Path(report.path).name if not getattr(report, "files", None) else ", ".join(Path(r.path).name for r in report.files)


def _export_day(name: str, cfg) -> date:
    """The day a state export was taken: `exported_on` of its (last) file, else its modification day."""
    days = []
    for path, fc in cfg.files_of(name):
        exported = getattr(fc, "exported_on", None)
        if exported:
            days.append(date.fromisoformat(str(exported)))
        elif path.is_file():
            days.append(datetime.fromtimestamp(path.stat().st_mtime).date())
    return max(days) if days else date.min


def check(result, spans: dict[str, Span], tables) -> None:
    """Apply coverage to a metric result of its period (in place): n/a when the period lies wholly
    outside the span of a table it needs, a warning when it is only partly inside."""
    from cs_metrics.i18n import T

    period = result.period
    for table in tables:
        span = spans.get(table)
        if span is None:
            continue
        if period.end < span.start or period.start > span.end:
            result.value = None
            for seg in result.segments or ():
                seg["value"] = None
            result.warnings.insert(
                0,
                T(
                    "{metric} is undefined for {start}..{end}: {span}, outside the period",
                    metric=T.metric(result.metric), start=period.start, end=period.end, span=span.text(),
                ),
            )
        elif period.start < span.start or period.end > span.end:
            result.warnings.append(
                T("{span}: the period {start}..{end} is only partly covered", span=span.text(), start=period.start, end=period.end)
            )


def uncovered(window: tuple[date, date], spans: dict[str, Span], optional) -> list[str]:
    """The optional tables (used only when present) whose span does not reach into the window."""
    first, last = window
    return [t for t in optional if t in spans and (last < spans[t].start or first > spans[t].end)]


def data_through(spans: dict[str, Span]) -> date | None:
    """The last day every table read has data for: the earliest end of their spans."""
    ends = [s.end for s in spans.values()]
    return min(ends) if ends else None
