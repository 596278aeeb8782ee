"""What the HTML report shows beyond `report.build`: the revenue cohort grid, each segment's trend
for the small multiples, the data-through date and the config profile — computed here, from the
frames the report has already read, so that the renderer knows only results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cs_metrics.errors import CsMetricsError
from cs_metrics.i18n import N_
from cs_metrics.metrics import REGISTRY
from cs_metrics.report import Report
from cs_metrics.result import MetricResult

# There are no config profiles yet: the footer names the definitions in force with this one text.
PROFILE = N_("cs-metrics (default definitions)")
# The metrics drawn per segment with --by (small multiples), in this order, when the report has them.
SMALL_MULTIPLES = ("mrr", "churn", "ndr", "nps", "csat")
# Dates that schedule the future (a term's end, a due date, a planned cancellation) say nothing about
# how recent the data is.


@dataclass
class Extras:
    data_through: date | None = None
    profile: str = PROFILE
    revenue_cohorts: MetricResult | None = None
    by: str | None = None


def data_through(rep: Report) -> date | None:
    """The last day every table the report read has data for (see cs_metrics.coverage)."""
    from cs_metrics.coverage import data_through as through

    return through(rep.dataset.spans())


def revenue_cohorts(rep: Report) -> MetricResult | None:
    """The revenue cohort grid of P (the report's `cohorts` entry is the logo kind), from the frames
    the report read; None when the report has no cohorts."""
    entry = next((e for e in rep.entries if e.spec.name == "cohorts"), None)
    if entry is None:
        return None
    spec = REGISTRY["cohorts"]
    frames = {i.table: rep.dataset.table(i.table) for i in spec.inputs(rep.dataset.cfg, rep.dataset.exists) if i.table in rep.dataset.reports}
    try:
        return spec.function()(frames, rep.period, rep.dataset.cfg, kind="revenue")
    except CsMetricsError:
        return None


def segment_trends(rep: Report, by: str, names: tuple[str, ...] = SMALL_MULTIPLES) -> None:
    """With --by: the segments of every trend period of the small-multiple metrics, put on each trend
    period's result (`result.segments`), as report.build puts them on the period's own result."""
    from cs_metrics.runner import segments

    cfg, ds = rep.dataset.cfg, rep.dataset
    for e in rep.entries:
        if e.spec.name not in names:
            continue
        func = e.spec.function()
        frames = {i.table: ds.table(i.table) for i in e.spec.inputs(cfg, ds.exists) if i.table in ds.reports}
        for r in e.trend_results:
            if r.segments is None:
                try:
                    r.segments = segments(func, frames, r.period, cfg, ds, by)
                except CsMetricsError:  # that period stays unsplit: the page leaves the metric out
                    break


def extras(rep: Report, by: str | None = None) -> Extras:
    if by:
        segment_trends(rep, by)
    return Extras(data_through=data_through(rep), revenue_cohorts=revenue_cohorts(rep), by=by)
