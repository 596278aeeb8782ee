"""Render a `report` (many MetricResults beside their previous period and trend) and `check` results."""

from __future__ import annotations

import io
import json

from cs_metrics import i18n
from cs_metrics.i18n import N_, _, tr
from cs_metrics.render import _plain, delimited, display, document, shown_segment
from cs_metrics.report import Entry, Report, difference

SPARKS = "▁▂▃▄▅▆▇█"
COLUMNS = (N_("metric"), N_("value"), N_("previous"), N_("change"), N_("trend"))  # of the tables for people; N_("segment") too


def sparkline(values: list[float | None]) -> str:
    """One block character per value, scaled between the smallest and largest; a gap for n/a."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    span = high - low
    return "".join(
        " " if v is None else SPARKS[0 if span == 0 else min(len(SPARKS) - 1, int((v - low) / span * len(SPARKS)))]
        for v in values
    )


def trend_text(values: list[float | None], name: str, unit: str) -> str:
    """A sparkline with the lowest and highest value it spans, so a small wiggle is not read as a collapse."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    return f"{sparkline(values)} {display(min(known), name, unit)} .. {display(max(known), name, unit)}"


def change_text(e: Entry, change: float | None = None, previous: float | None = None, *, segment: bool = False) -> str:
    """Change for people: points for percentages, else the difference and the relative change.
    Without `segment`, the entry's own change (the total)."""
    if not segment:
        change, previous = e.change, e.previous.value if e.previous else None
    if change is None:
        return "n/a"
    arrow = "▲" if change > 0 else "▼" if change < 0 else "="
    if e.result.unit == "percent":
        return f"{arrow} {change:+,.2f} {_('pp')}"
    if e.result.unit == "score":
        return f"{arrow} {change:+,.1f} {_('pts')}"
    rel = f" ({change / abs(previous) * 100:+.1f} %)" if previous else ""
    return f"{arrow} {display(change, e.spec.name, e.result.unit).lstrip()}{rel}"


def _segment_changes(e: Entry) -> list[tuple[str, str, float | None, float | None, float | None]]:
    """(label, kind, value, previous value, change) of each segment of the entry, total excluded."""
    out = []
    for s in e.result.segments or ():
        kind = s.get("segment_kind", "value")
        before = e.segment_previous(s["segment"], kind)
        out.append((s["segment"], kind, s["value"], before, difference(s["value"], before, e.result.unit)))
    return out


def _entry_doc(e: Entry, explain: bool) -> dict:
    doc = document(e.result, explain)
    doc.pop("rows", None)  # listing metrics' rows belong to their own command
    for seg, (_, _, _, before, change) in zip(doc.get("segments", ()), _segment_changes(e)):
        if e.previous is not None:
            seg["previous_value"], seg["change"] = _plain(before), _plain(change)
    if e.previous is not None:
        doc["previous"] = {
            "period": {"start": e.previous.period.start.isoformat(), "end": e.previous.period.end.isoformat()},
            "value": _plain(e.previous.value),
        }
        doc["change"] = _plain(e.change)
    if e.trend:
        doc["trend"] = [{"period": p.label, "value": _plain(v)} for p, v in e.trend]
    return doc


def report_json(r: Report, explain: bool = False) -> str:
    from cs_metrics.coverage import data_through

    spans = r.dataset.spans()
    through = data_through(spans)
    doc = {
        "period": {"start": r.period.start.isoformat(), "end": r.period.end.isoformat()},
        "data_through": through.isoformat() if through else None,
        "coverage": [{"table": s.table, "file": s.file, "start": s.start.isoformat(), "end": s.end.isoformat()} for s in spans.values()],
        "metrics": [_entry_doc(e, explain) for e in r.entries],
        "skipped": r.skipped,
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def report_jsonl(r: Report, explain: bool = False) -> str:
    return "".join(json.dumps(_entry_doc(e, explain), ensure_ascii=False) + "\n" for e in r.entries)


def _grid(r: Report) -> tuple[list[str], list[list]]:
    trend_labels = list(dict.fromkeys(p.label for e in r.entries for p, _ in e.trend))
    header = ["metric", "period_start", "period_end", "segment", "segment_kind", "value", "unit", "previous_value", "change", *trend_labels]
    rows = []
    for e in r.entries:
        base = [e.spec.name, r.period.start.isoformat(), r.period.end.isoformat()]
        trend = dict((p.label, v) for p, v in e.trend)
        prev = e.previous.value if e.previous else None
        for label, kind, value, before, change in _segment_changes(e):
            rows.append(base + [label, kind, value, e.result.unit, before, change] + [None] * len(trend_labels))
        rows.append(base + ["total", "total", e.result.value, e.result.unit, prev, e.change] + [trend.get(t) for t in trend_labels])
    return header, rows


def report_delimited(r: Report, delimiter: str) -> str:
    return delimited(*_grid(r), delimiter)


def report_markdown(r: Report) -> str:
    lines = [f"### {_('cs-metrics report')} · {i18n.period_text(r.period)}\n", ""]
    lines.append("| " + " | ".join(_(c) for c in COLUMNS) + " |")
    lines.append("| --- | --- | --- | --- | --- |")
    for e in r.entries:
        prev = display(e.previous.value, e.spec.name, e.result.unit) if e.previous else "n/a"
        for label, kind, value, before, change in _segment_changes(e):  # with --by: each segment, then the total
            shown = display(before, e.spec.name, e.result.unit) if e.previous else "n/a"
            seg_change = change_text(e, change, before, segment=True) if e.previous else "n/a"
            name = f"{i18n.metric_name(e.spec.name)} · {shown_segment(label, kind)}".replace("|", "\\|")
            lines.append(f"| {name} | {display(value, e.spec.name, e.result.unit)} | {shown} | {seg_change} | |")
        name = f"{i18n.metric_name(e.spec.name)} · {_('total')}" if e.result.segments else i18n.metric_name(e.spec.name)
        trend = trend_text([v for _, v in e.trend], e.spec.name, e.result.unit)
        lines.append(f"| {name} | {display(e.result.value, e.spec.name, e.result.unit)} | {prev} | {change_text(e)} | {trend} |")
    if r.skipped:
        lines.append("\n" + _("Not computed:") + "\n")
        lines += [f"- `{s['metric']}`: {tr(s['reason'])}" for s in r.skipped]
    return "\n".join(lines) + "\n"


def report_table(r: Report, *, color: bool, width: int | None = None) -> str:
    import shutil

    from rich import box
    from rich.console import Console
    from rich.table import Table

    buf = io.StringIO()
    width = width or (shutil.get_terminal_size((120, 24)).columns if color else 1000)  # piped: nothing is cut
    console = Console(file=buf, force_terminal=color, no_color=not color, width=width, highlight=False)
    title = f"{_('cs-metrics report')} · {i18n.period_text(r.period)}"
    t = Table(title=title, box=box.ROUNDED if color else None, min_width=i18n.width(title) + 2)
    has_trend = any(e.trend for e in r.entries)
    has_segments = any(e.result.segments for e in r.entries)
    columns = ["metric"] + (["segment"] if has_segments else []) + ["value", "previous", "change"] + (["trend"] if has_trend else [])
    for name in columns:
        t.add_column(_(name), justify="left" if name in ("metric", "segment", "trend") else "right", no_wrap=name in ("value", "previous", "change"))
    for e in r.entries:
        style = {True: "green", False: "red"}.get(e.improved) if color else None
        prev = display(e.previous.value, e.spec.name, e.result.unit) if e.previous else "n/a"
        spark = [trend_text([v for _, v in e.trend], e.spec.name, e.result.unit)] if has_trend else []
        for label, kind, value, before, change in _segment_changes(e):
            shown = display(before, e.spec.name, e.result.unit) if e.previous else "n/a"
            seg_change = change_text(e, change, before, segment=True) if e.previous else "n/a"
            t.add_row(i18n.metric_name(e.spec.name), shown_segment(label, kind), display(value, e.spec.name, e.result.unit), shown, seg_change, *([""] if has_trend else []))
        segment = [_("total") if e.result.segments else ""] if has_segments else []
        t.add_row(i18n.metric_name(e.spec.name), *segment, display(e.result.value, e.spec.name, e.result.unit), prev, change_text(e), *spark, style=style)
    console.print(t)
    for s in r.skipped:
        console.print(_("not computed: {metric}: {reason}", metric=s["metric"], reason=tr(s["reason"])), markup=False)
    return buf.getvalue()


def render_report(r: Report, fmt: str, *, color: bool = False, explain: bool = False) -> str:
    if fmt == "table":
        return report_table(r, color=color)
    if fmt in ("csv", "tsv"):
        return report_delimited(r, "," if fmt == "csv" else "\t")
    if fmt == "json":
        return report_json(r, explain)
    if fmt == "jsonl":
        return report_jsonl(r, explain)
    return report_markdown(r)
