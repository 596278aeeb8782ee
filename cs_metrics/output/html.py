"""The report as one self-contained HTML page: KPI tiles, charts over the trend, cohort heat maps,
customer health, feedback, per-segment small multiples, every metric's definition one click away.

Self-contained and offline by construction: the charts are inline SVG (output/charts.py), the style
is one inline <style>, there is no script, no font file and no link to anything; a Content
Security Policy (`default-src 'none'`) makes the browser refuse any request the page might make.
Fonts are named, not embedded: the stack lists the fonts that cover Thai and Chinese on Windows,
macOS, Linux, Android and iOS (a CJK font is 15-20 MB; no attachment should carry one).

This module knows only the Report, its entries' MetricResults and the Extras (report_extra.py).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from importlib import resources
from typing import Any

from cs_metrics import __version__, i18n
from cs_metrics.output import charts
from cs_metrics.i18n import N_, _, tr
from cs_metrics.output.charts import COLORS, MOVEMENT_NAMES, MOVEMENTS, Chart, Line
from cs_metrics.render import display, matrix_columns
from cs_metrics.render_report import change_text, sparkline
from cs_metrics.report import Entry, Report
from cs_metrics.report_extra import Extras
from cs_metrics.result import MetricResult

HTML_LANG = {"en": "en", "th": "th", "zh": "zh-Hans"}  # the page's lang: the browser picks the fonts of the script
# The headline row, in this order, for the metrics the report has.
HEADLINE = ("mrr", "churn", "ndr", "grr", "nps", "csat", "ces", "fcr", "dau-mau", "health")
TITLES = {
    "mrr": N_("MRR"),
    "arpu": N_("ARPU"),
    "ndr": N_("Net revenue retention"),
    "grr": N_("Gross revenue retention"),
    "revenue-churn": N_("Gross MRR churn"),
    "revenue-growth": N_("Existing-customer growth"),
    "renewal-rate": N_("Renewal rate"),
    "clv": N_("Customer lifetime value"),
    "crc": N_("Retention cost per customer"),
    "dso": N_("Days sales outstanding"),
    "repeat-purchase": N_("Repeat purchase rate"),
    "return-rate": N_("Return rate"),
    "conversion": N_("Conversion"),
    "referrals": N_("Referral rate"),
    "churn": N_("Customer churn"),
    "cohorts": N_("Month-1 cohort retention"),
    "nps": N_("NPS"),
    "csat": N_("CSAT"),
    "ces": N_("CES"),
    "feedback": N_("Survey comments"),
    "fcr": N_("First contact resolution"),
    "tickets": N_("Tickets"),
    "dau-mau": N_("DAU/MAU"),
    "sessions": N_("Session length"),
    "usage": N_("Product usage"),
    "health": N_("Health score (mean)"),
}
# The population behind a value: (details key, what it counts). FCR's depends on its denominator.
SAMPLE = {
    "mrr": ("closing_customers", N_("paying customers")),
    "arpu": ("closing_customers", N_("paying customers")),
    "churn": ("starting_customers", N_("starting customers")),
    "ndr": ("starting_customers", N_("starting customers")),
    "grr": ("starting_customers", N_("starting customers")),
    "revenue-churn": ("starting_customers", N_("starting customers")),
    "revenue-growth": ("starting_customers", N_("starting customers")),
    "renewal-rate": ("due", N_("renewals due")),
    "repeat-purchase": ("purchasers", N_("purchasers")),
    "referrals": ("new_customers", N_("new customers")),
    "conversion": ("trials", N_("trials")),
    "cohorts": ("m1_cohort_customers", N_("customers in month-1 cohorts")),
    "nps": ("responses", N_("responses")),
    "csat": ("responses", N_("responses")),
    "ces": ("responses", N_("responses")),
    "fcr": ("resolved", N_("resolved tickets")),
    "dau-mau": ("mau", N_("monthly active users")),
    "sessions": ("sessions", N_("sessions")),
    "usage": ("active_customers", N_("active customers")),
    "health": ("scored_customers", N_("customers scored")),
}
CLASS_LABELS = {"good": N_("Good"), "at_risk": N_("At risk"), "poor": N_("Poor")}
GROUPS = {  # feedback groups per survey kind, unhappy last
    "NPS": (("promoter", N_("Promoters")), ("passive", N_("Passives")), ("detractor", N_("Detractors"))),
    "CSAT": (("satisfied", N_("Satisfied")), ("unsatisfied", N_("Unsatisfied"))),
    "CES": (("positive", N_("Low effort")), ("negative", N_("High effort"))),
}
_MONTHS = (N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"), N_("July"), N_("August"),
           N_("September"), N_("October"), N_("November"), N_("December"))  # fmt: skip


def esc(v: Any) -> str:
    return html.escape(str(v), quote=True)


def period_name(p) -> str:
    """October 2026 for a month, else the period's label."""
    if p.kind != "month":
        return i18n.era(p.label)
    year = p.start.year + (i18n.BUDDHIST_OFFSET if i18n.buddhist() else 0)
    return _("{month} {year}", month=_(_MONTHS[p.start.month - 1]), year=year)


def title(name: str) -> str:
    """A metric's title on the page."""
    return _(TITLES[name]) if name in TITLES else i18n.metric_name(name)


# --------------------------------------------------------------------------- values for people


def value_text(v: Any, unit: str, currency: str | None = None) -> str:
    """A headline value: money without cents from 1,000 on, with its currency; units spelled out."""
    if v is None:
        return "n/a"
    if unit == "money":
        text = f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.2f}"
        return f"{currency} {text}" if currency else text
    if unit == "percent":
        return f"{v:,.1f} %"
    if unit == "score":
        return f"{v:,.1f}"
    if unit == "days":
        return _("{n} days", n=f"{v:,.1f}")
    if unit == "seconds":
        return _("{n} min", n=f"{v / 60:,.1f}") if v >= 120 else _("{n} s", n=f"{v:,.0f}")
    if unit == "count":
        return f"{v:,.0f}"
    return display(v, "", unit)


def sample_text(r: MetricResult) -> str:
    key, what = SAMPLE.get(r.metric, (None, ""))
    if r.metric == "fcr" and r.details.get("denominator") == "created":
        key, what = "created", N_("tickets created")
    if r.metric == "conversion" and r.details.get("kind") == "leads":
        key, what = "leads", N_("leads")
    n = r.details.get(key) if key else None
    return f"n = {n:,} {_(what)}" if isinstance(n, (int, float)) and not isinstance(n, bool) else ""


def reason(r: MetricResult) -> str:
    return tr(r.warnings[0]) if r.warnings else _("not defined for this period")


def _change(e: Entry) -> str:
    """The change for a tile: money and counts without cents, with the relative change."""
    if e.change is None or e.result.unit in ("percent", "score"):
        return change_text(e)
    arrow = "▲" if e.change > 0 else "▼" if e.change < 0 else "="
    rel = f" ({e.change / abs(e.previous.value) * 100:+.1f} %)" if e.previous and e.previous.value else ""
    digits = 0 if abs(e.change) >= 100 else 2 if e.result.unit == "money" else 1
    return f"{arrow} {e.change:+,.{digits}f}{rel}"


def _trend_tone(e: Entry) -> str:
    return {True: "good", False: "bad"}.get(e.improved, "flat")


def _definition(r: MetricResult, title: str | None = None) -> str:
    head = f"<b>{esc(title)}</b> " if title else ""
    formula = f"<p class=formula>{esc(tr(r.formula))}</p>" if r.formula else ""
    return f"<p>{head}{esc(tr(r.definition))}</p>{formula}"


# --------------------------------------------------------------------------- page parts


def _tile(e: Entry) -> str:
    r = e.result
    currency = r.details.get("currency") if r.unit == "money" else None
    tone = _trend_tone(e)
    if r.value is None:
        body = f"<div class=value>n/a</div><div class=why>{esc(reason(r))}</div>"
    else:
        prev = e.previous.value if e.previous else None
        prev_text = f"{esc(period_name(e.previous.period))}: {esc(value_text(prev, r.unit, currency))}" if e.previous else ""
        change = _change(e) if e.previous else ""
        body = (
            f"<div class=value>{esc(value_text(r.value, r.unit, currency))}</div>"
            f"<div class='change {tone}'>{esc(change)}</div>"
            f"<div class=prev>{prev_text}</div>"
        )
    sample = sample_text(r)
    return (
        f"<div class='tile {tone}' id='tile-{esc(r.metric)}'>"
        f"<div class=name>{esc(title(r.metric))}"
        f"<details class=def><summary title='{esc(_('How it is computed'))}'>?</summary><div class=pop>{_definition(r)}</div></details></div>"
        f"{body}<div class=n>{esc(sample)}</div></div>"
    )


@dataclass
class Card:
    key: str
    title: str
    body: str  # charts and tables
    definitions: list[MetricResult]
    numbers: str = ""  # an HTML table of the charted numbers
    wide: bool = False


def _figure(chart: Chart, caption: str = "") -> str:
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f"<figure class=chart data-chart='{esc(chart.key)}' data-series='{esc(','.join(chart.series))}'>{chart.svg}{cap}</figure>"


def _card(c: Card) -> str:
    defs = "".join(_definition(r, title(r.metric)) for r in c.definitions)
    more = f"<details><summary>{esc(_('Definitions'))}</summary>{defs}</details>" if defs else ""
    if c.numbers:
        more += f"<details><summary>{esc(_('Numbers'))}</summary>{c.numbers}</details>"
    return f"<section class='card{' wide' if c.wide else ''}' id='card-{esc(c.key)}'><h3>{esc(c.title)}</h3>{c.body}{more}</section>"


def _table(header: list[str], rows: list[list[str]], cls: str = "") -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)  # cells are escaped by the caller
    return f"<table class='{cls}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _numbers(labels: list[str], columns: dict[str, list[Any]], unit: dict[str, str]) -> str:
    header = [_("period"), *columns]
    rows = [[esc(lab)] + [esc(value_text(columns[c][i], unit.get(c, ""))) for c in columns] for i, lab in enumerate(labels)]
    return _table(header, rows, "num")


def _series(e: Entry | None, key: str | None = None) -> list[Any]:
    """The trend of an entry: its values, or one detail per period."""
    if e is None:
        return []
    return [(r.value if key is None else r.details.get(key)) for r in e.trend_results]


# --------------------------------------------------------------------------- the cards


def _revenue_cards(by: dict[str, Entry], labels: list[str]) -> list[Card]:
    cards = []
    mrr = by.get("mrr")
    if mrr is None:
        return cards
    r = mrr.result
    currency = r.details.get("currency")
    unit_note = f" ({currency})" if currency else ""
    if r.value is not None and r.details.get("opening_mrr") is not None:
        moves = {m: r.details.get(f"{m}_mrr") or 0.0 for m in MOVEMENTS}
        chart = charts.waterfall("mrr-bridge", r.details["opening_mrr"], moves, r.value)
        counts = [
            [esc(_(MOVEMENT_NAMES[m])), esc(display(r.details.get(f"{m}_mrr"), "", "money")), esc(f"{r.details.get(f'{m}_customers', 0):,}")]
            for m in MOVEMENTS
        ]
        table = _table([_("movement"), f"MRR{unit_note}", _("customers")], counts, "num")
        cards.append(Card("mrr-bridge", _("MRR bridge, {period}", period=period_name(r.period)) + unit_note, _figure(chart) + table, [r]))
    if len(labels) > 1:
        moves = {m: _series(mrr, f"{m}_mrr") for m in MOVEMENTS}
        chart = charts.mrr_trend("mrr-trend", labels, _series(mrr), moves)
        numbers = _numbers(labels, {_("closing MRR"): _series(mrr), **{i18n.label(m, english=m): moves[m] for m in MOVEMENTS}}, {})
        cards.append(Card("mrr-trend", _("MRR and its movements, last {n} periods", n=len(labels)) + unit_note, _figure(chart), [r], numbers))
    return cards


def _line(e: Entry | None, name: str, label: str, band: tuple[str, str] | None = None, margin: str | None = None) -> Line | None:
    if e is None:
        return None
    values = _series(e)
    low = high = None
    if band:
        low, high = _series(e, band[0]), _series(e, band[1])
    if margin:  # NPS: value ± margin of error
        moe = _series(e, margin)
        low = [None if v is None or m is None else v - m for v, m in zip(values, moe)]
        high = [None if v is None or m is None else v + m for v, m in zip(values, moe)]
    return Line(name, label, values, COLORS[name], low, high)


def _line_cards(by: dict[str, Entry], labels: list[str]) -> list[Card]:
    if len(labels) < 2:
        return []
    ci = ("ci95_low", "ci95_high")
    cards = []

    def card(key, heading, panels, names, reference=None, wide=False):
        kept = [(t, u, [x for x in ls if x is not None]) for t, u, ls in panels]
        refs = {n: reference[k] for n, (k, p) in enumerate((k, p) for k, p in enumerate(kept) if p[2]) if reference and k in reference}
        kept = [p for p in kept if p[2]]
        if not kept:
            return
        chart = charts.lines(key, labels, kept, reference=refs, width=12.8 if wide else 6.4, height=2.6 if wide else 2.8)
        entries = [by[n] for n in names if n in by]
        numbers = _numbers(labels, {_(TITLES[n]): _series(by[n]) for n in names if n in by}, {_(TITLES[n]): by[n].result.unit for n in names if n in by})
        cards.append(Card(key, heading, _figure(chart, _("Shaded: the 95 % interval.") if chart.bands else ""), [e.result for e in entries], numbers, wide))

    card(
        "retention",
        _("Customer churn, NRR and GRR"),
        [
            (_("Customer churn"), "percent", [_line(by.get("churn"), "churn", _("Churn"), ci)]),
            (_("NRR and GRR"), "percent", [_line(by.get("ndr"), "nrr", "NRR"), _line(by.get("grr"), "grr", "GRR")]),
        ],
        ["churn", "ndr", "grr"],
        reference={1: 100.0},
        wide=True,
    )
    card(
        "voice",
        _("NPS, CSAT and CES"),
        [
            ("NPS", "score", [_line(by.get("nps"), "nps", "NPS", margin="margin_of_error")]),
            (_("CSAT: satisfied responses"), "percent", [_line(by.get("csat"), "csat", "CSAT", ci)]),
            (_("CES: low-effort responses"), "percent", [_line(by.get("ces"), "ces", "CES", ci)]),
        ],
        ["nps", "csat", "ces"],
        reference={0: 0.0},
        wide=True,
    )
    tickets, fcr = by.get("tickets"), by.get("fcr")
    if tickets or fcr:
        bars = []
        if tickets:
            bars = [
                Line("tickets", _("Created"), _series(tickets), COLORS["tickets"]),
                Line("resolved", _("Resolved"), _series(tickets, "resolved_in_period"), COLORS["resolved"]),
                Line("complaints", _("Complaints"), _series(tickets, "complaints"), COLORS["complaints"]),
            ]
        right = (_("First contact resolution"), "percent", [_line(fcr, "fcr", "FCR", ci)]) if fcr else None
        if bars:
            chart = charts.bars_and_lines("support", labels, bars, _("Tickets"), right)
        else:
            chart = charts.lines("support", labels, [right])  # type: ignore[list-item]
        columns = {b.label.lower(): b.values for b in bars}
        if fcr:
            columns["FCR"] = _series(fcr)
        numbers = _numbers(labels, columns, {"FCR": "percent"})
        cards.append(Card("support", _("Tickets and first contact resolution"), _figure(chart), [e.result for e in (tickets, fcr) if e], numbers))
    card("usage", _("DAU/MAU (stickiness)"), [(_("Mean daily / monthly active users"), "percent", [_line(by.get("dau-mau"), "dau-mau", "DAU/MAU")])], ["dau-mau"])
    return cards


def _cohort_cards(by: dict[str, Entry], revenue: MetricResult | None) -> list[Card]:
    cards = []
    for key, r, heading in (
        ("cohorts-logo", by["cohorts"].result if "cohorts" in by else None, _("Logo retention by cohort (% of customers still paying)")),
        ("cohorts-revenue", revenue, _("Revenue retention by cohort (% of month-0 MRR)")),
    ):
        if r is None or not r.rows or not matrix_columns(r.rows):
            continue
        cols = matrix_columns(r.rows)
        grid = [[row.get(c) for c in cols] for row in r.rows]
        names = [f"{i18n.era(row['cohort'])} ({row.get('customers', 0)})" for row in r.rows]
        chart = charts.heatmap(key, names, [c[1:] for c in cols], grid, _("cohort (customers)  ×  months since first payment"))
        cards.append(Card(key, heading, _figure(chart), [r], wide=False))
    return cards


def _health_cards(by: dict[str, Entry]) -> list[Card]:
    """One card: customers and MRR per class beside the ten least healthy customers."""
    e = by.get("health")
    if e is None:
        return []
    r = e.result
    classes = [c for c in CLASS_LABELS if f"{c}_customers" in r.details]
    parts = []
    if classes:
        chart = charts.class_bars(
            "health-classes",
            classes,
            [_(CLASS_LABELS[c]) for c in classes],
            [float(r.details.get(f"{c}_customers") or 0) for c in classes],
            [float(r.details.get(f"{c}_mrr") or 0) for c in classes],
        )
        parts.append(f"<div><h4>{esc(_('Customers and MRR per class'))}</h4>{_figure(chart)}</div>")
    rows = (r.rows or [])[:10]
    if rows:
        body = [
            [
                f"{esc(row.get('name') or '')}<span class=id>{esc(row.get('customer_id'))}</span>",
                f"<span class='pill {esc(row.get('class'))}'>{esc(_(CLASS_LABELS[row['class']]) if row.get('class') in CLASS_LABELS else row.get('class') or '')}</span>",
                esc(value_text(row.get("score"), "score")),
                esc(value_text(row.get("mrr"), "money")),
                esc(i18n.words(row.get("reason") or "")),
            ]
            for row in rows
        ]
        table = _table([_("customer"), _("class"), _("score"), "MRR", _("two weakest components")], body, "worst")
        parts.append(f"<div id=health-worst><h4>{esc(_('The ten least healthy customers'))}</h4>{table}</div>")
    if not parts:
        return []
    return [Card("health", _("Customer health, {period}", period=period_name(r.period)), f"<div class=split>{''.join(parts)}</div>", [r], wide=True)]


def _feedback_card(by: dict[str, Entry]) -> list[Card]:
    e = by.get("feedback")
    if e is None or not e.result.details:
        return []
    d = e.result.details
    blocks = []
    for kind, groups in GROUPS.items():
        items = []
        for g, label in groups:
            terms = d.get(f"{g}_top_terms")
            if terms:
                items.append(f"<dt>{esc(_(label))} <span class=n>({d.get(f'{g}_comments', 0):,})</span></dt><dd>{esc(terms)}</dd>")
        if items:
            blocks.append(f"<div><h4>{esc(kind)}</h4><dl class=terms>{''.join(items)}</dl></div>")
    unhappy = [row for row in (e.result.rows or []) if row.get("group") in ("detractor", "unsatisfied", "negative")][:5]
    quotes = "".join(
        f"<blockquote><p>{esc(row.get('comment') or '')}</p><footer>{esc(row.get('survey', '').upper())} {esc(row.get('score'))} · "
        f"{esc(row.get('customer_id') or _('anonymous'))} · {esc(i18n.era(row.get('responded_at') or ''))}</footer></blockquote>"
        for row in unhappy
    )
    body = f"<div class=feedback>{''.join(blocks)}</div>"
    if quotes:
        body += f"<h4>{esc(_('Latest unhappy comments'))}</h4>{quotes}"
    return [Card("feedback", _("What customers say: most frequent terms, {n:,} comments", n=d.get("comments", 0)), body, [e.result], wide=True)]


def _small_multiples(by: dict[str, Entry], labels: list[str], segment_column: str | None) -> str:
    from cs_metrics.report_extra import SMALL_MULTIPLES

    if not segment_column or len(labels) < 2:
        return ""
    blocks = []
    for name in SMALL_MULTIPLES:
        e = by.get(name)
        if e is None or not e.trend_results or e.result.segments is None or any(r.segments is None for r in e.trend_results):
            continue
        segs = [s["segment"] for s in e.result.segments]
        per = {s: [next((x["value"] for x in r.segments if x["segment"] == s), None) for r in e.trend_results] for s in segs}
        rate = e.result.unit in ("percent", "score")  # a rate compares with the total's; an amount does not
        total = _series(e) if rate else None
        known = [v for vs in [*per.values(), total or []] for v in vs if v is not None]
        if not known:
            continue
        low, high = min(known), max(known)
        pad = (high - low) * 0.08 or abs(high) * 0.05 or 1.0
        ylim = (low - pad if low < 0 or e.result.unit != "money" else max(0.0, low - pad), high + pad)
        cells = []
        for k, s in enumerate(segs):
            chart = charts.small_multiple(f"sm-{name}-{k}", labels, per[s], total, e.result.unit, ylim)
            last = per[s][-1]
            cells.append(f"<div class=sm><div class=smh><b>{esc(s)}</b> {esc(value_text(last, e.result.unit))}</div>{_figure(chart)}</div>")
        note = f" <span class=n>{esc(_('(grey: all customers)'))}</span>" if rate else ""
        heading = _("{metric} by {column}", metric=title(name), column=segment_column)
        blocks.append(f"<h4>{esc(heading)}{note}</h4><div class=grid-sm>{''.join(cells)}</div>")
    if not blocks:
        return ""
    return f"<section class='card wide' id='card-segments'><h3>{esc(_('By {column}', column=segment_column))}</h3>{''.join(blocks)}</section>"


def _all_metrics(rep: Report) -> str:
    rows = []
    for e in rep.entries:
        r = e.result
        currency = r.details.get("currency") if r.unit == "money" else None
        value = esc(value_text(r.value, r.unit, currency)) if r.value is not None else f"n/a <span class=why>{esc(reason(r))}</span>"
        prev = esc(value_text(e.previous.value, r.unit, currency)) if e.previous else ""
        change = f"<span class='change {_trend_tone(e)}'>{esc(change_text(e))}</span>" if e.previous else ""
        spark = esc(sparkline([v for _, v in e.trend]))
        name = f"<details class=def-row><summary>{esc(i18n.metric_name(r.metric))}</summary>{_definition(r)}</details>"
        rows.append([name, value, prev, change, esc(sample_text(r)), f"<span class=spark>{spark}</span>"])
    table = _table([_("metric"), _("value"), _("previous"), _("change"), _("sample"), _("trend")], rows, "all")
    skipped = ""
    if rep.skipped:
        items = "".join(f"<li><b>{esc(s['metric'])}</b>: {esc(tr(s['reason']))}</li>" for s in rep.skipped)
        skipped = f"<h4>{esc(_('Not computed'))}</h4><ul class=skipped>{items}</ul>"
    heading = f"{esc(_('Every metric'))} <span class=n>{esc(_('(click a name for its definition)'))}</span>"
    return f"<section class='card wide' id='card-all'><h3>{heading}</h3>{table}{skipped}</section>"


# --------------------------------------------------------------------------- the page


def render_html(rep: Report, extras: Extras) -> str:
    by = {e.spec.name: e for e in rep.entries}
    labels = [i18n.era(p.label) for p, _v in rep.entries[0].trend] if rep.entries and rep.entries[0].trend else []
    tiles = "".join(_tile(by[n]) for n in HEADLINE if n in by)
    sections = [
        ("Revenue", _revenue_cards(by, labels)),
        ("Retention, voice of the customer, support and usage", _line_cards(by, labels)),
        ("Cohorts", _cohort_cards(by, extras.revenue_cohorts)),
        ("Customer health", _health_cards(by)),
        ("Feedback", _feedback_card(by)),
    ]
    body = "<div class=cards>" + "".join(_card(c) for _, cards in sections for c in cards) + "</div>"
    if len(labels) < 2:
        body = f"<p class=note>{_('Run with <code>--trend N</code> (N ≥ 2) for the charts over time.')}</p>" + body
    p = rep.period
    compared = " · " + esc(_("compared with {period}", period=period_name(p.previous()))) if any(e.previous for e in rep.entries) else ""
    trend = " · " + esc(_("trend: the last {n} periods", n=len(labels))) if len(labels) > 1 else ""
    through = i18n.era(extras.data_through) if extras.data_through else "n/a"
    page_title = _("Customer-success KPIs · {period}", period=period_name(p))
    css = resources.files("cs_metrics.output").joinpath("report.css").read_text(encoding="utf-8")
    return f"""<!doctype html>
<html lang="{HTML_LANG[i18n.current()]}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="cs-metrics {esc(__version__)}">
<title>{esc(page_title)}</title>
<style>
{css}</style>
</head>
<body>
<header>
<h1>{esc(page_title)}</h1>
<p class=sub>{esc(i18n.era(p.start))} – {esc(i18n.era(p.end))}{compared}{trend}</p>
</header>
<main>
<section class=tiles>{tiles}</section>
{body}
{_small_multiples(by, labels, extras.by)}
{_all_metrics(rep)}
</main>
<footer>
<span>{esc(_("Data through"))} <b id=data-through>{esc(through)}</b></span>
<span>{esc(_("Definitions:"))} <b id=profile>{esc(tr(extras.profile))}</b></span>
<span>cs-metrics {esc(__version__)} · {esc(_("one file, no network: it opens offline"))}</span>
</footer>
</body>
</html>
"""
