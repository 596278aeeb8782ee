"""The "Charts" sheet of `report --output FILE.xlsx`: native Excel charts over the trend (MRR
movements, customer churn, NRR and GRR, NPS with its margin of error), drawn by Excel from a table
of numbers on the same sheet, so the workbook reads without re-plotting and every number stays a
number. openpyxl only (no matplotlib)."""

from __future__ import annotations

from typing import Any

from cs_metrics import i18n
from cs_metrics.i18n import N_, _
from cs_metrics.report import Report
from cs_metrics.xlsx import MONEY_FORMAT, PERCENT_FORMAT, _font, _put

SHEET = "Charts"
# the HTML report's colours (output/charts.py), without the '#'
COLORS = {"new": "2F9E44", "reactivation": "8CE99A", "expansion": "1C7ED6", "contraction": "F59F00", "churn": "E03131",
          "customer churn": "E03131", "NRR": "1C7ED6", "GRR": "0CA678", "NPS": "7048E8"}  # fmt: skip
MOVEMENTS = ("new", "reactivation", "expansion", "contraction", "churn")
LOSSES = ("contraction", "churn")  # below zero in the table, so the stacked bars show them as losses
_SHOWN = (N_("closing MRR"), N_("net new MRR"), N_("customer churn"), N_("NPS low (95 %)"), N_("NPS high (95 %)"), N_("period"))


def shown(name: str) -> str:
    """A column's header for people (the English header is also the key charts look columns up by)."""
    for m in MOVEMENTS:
        if name == f"{m} MRR (loss)":
            return _("{movement} MRR (loss)", movement=i18n.label(m, english=m))
        if name == f"{m} MRR":
            return _("{movement} MRR", movement=i18n.label(m, english=m))
    return name if name.isupper() else _(name)  # NRR, GRR, NPS as they are


def _columns(report: Report) -> list[tuple[str, str | None, list[Any]]]:
    """(header, number format, one value per trend period) for what the report has."""
    by = {e.spec.name: e for e in report.entries}
    cols: list[tuple[str, str | None, list[Any]]] = []

    def series(name: str, key: str | None = None) -> list[Any]:
        return [r.value if key is None else r.details.get(key) for r in by[name].trend_results]

    if "mrr" in by:
        cols.append(("closing MRR", MONEY_FORMAT, series("mrr")))
        for m in MOVEMENTS:
            values = series("mrr", f"{m}_mrr")
            if m in LOSSES:
                cols.append((f"{m} MRR (loss)", MONEY_FORMAT, [None if v is None else -v for v in values]))
            else:
                cols.append((f"{m} MRR", MONEY_FORMAT, values))
        cols.append(("net new MRR", MONEY_FORMAT, series("mrr", "net_new_mrr")))
    if "churn" in by:
        cols.append(("customer churn", PERCENT_FORMAT, series("churn")))
    for name, header in (("ndr", "NRR"), ("grr", "GRR")):
        if name in by:
            cols.append((header, PERCENT_FORMAT, series(name)))
    if "nps" in by:
        nps, moe = series("nps"), series("nps", "margin_of_error")
        cols.append(("NPS", "0.0", nps))
        cols.append(("NPS low (95 %)", "0.0", [None if v is None or m is None else v - m for v, m in zip(nps, moe)]))
        cols.append(("NPS high (95 %)", "0.0", [None if v is None or m is None else v + m for v, m in zip(nps, moe)]))
    return cols


def add_charts(wb, report: Report) -> bool:
    """Add the Charts sheet (second, after the overview) when the report has a trend and a charted
    metric; False when there is nothing to chart."""
    from openpyxl.chart import BarChart, LineChart, Reference

    periods = [r.period.label for r in next((e.trend_results for e in report.entries if e.trend_results), [])]
    cols = _columns(report) if periods else []
    if not cols:
        return False
    ws = wb.create_sheet(SHEET, 1)
    header = ["period", *(c[0] for c in cols)]
    for j, name in enumerate(header, 1):
        ws.cell(row=1, column=j, value=shown(name)).font = _font(bold=True)
        ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width = max(11, len(name) + 2)
    for i, label in enumerate(periods, 2):
        _put(ws, i, 1, i18n.era(label))
        for j, (_name, fmt, values) in enumerate(cols, 2):
            _put(ws, i, j, values[i - 2], fmt)
    last = len(periods) + 1
    where = {name: j for j, name in enumerate(header, 1)}
    cats = Reference(ws, min_col=1, min_row=2, max_row=last)

    def chart(kind, title: str, names: list[str], y_title: str, fmt: str):
        c = kind()
        c.title, c.y_axis.title, c.height, c.width = _(title), _(y_title), 7.5, 16
        c.y_axis.numFmt = fmt
        c.x_axis.delete = c.y_axis.delete = False  # Excel hides axes left undeclared
        for name in names:
            c.add_data(Reference(ws, min_col=where[name], min_row=1, max_row=last), titles_from_data=True)
        c.set_categories(cats)
        c.x_axis.tickLblPos = "low"  # period labels under the plot, not on the zero line
        for name, s in zip(names, c.series):
            color = COLORS.get(name.split(" MRR")[0], COLORS["NPS"] if name.startswith("NPS") else None)
            if kind is LineChart:
                s.smooth = False
                s.graphicalProperties.line.width = 22000  # EMU: about 1.7 pt
                if color:
                    s.graphicalProperties.line.solidFill = color
            elif color:
                s.graphicalProperties.solidFill = color
                s.graphicalProperties.line.solidFill = color
        return c

    charts = []
    moves = [h for h in header if h.endswith(("MRR", "MRR (loss)")) and h.split()[0] in MOVEMENTS]
    if moves:
        bars = chart(BarChart, N_("MRR movements"), moves, "MRR", "#,##0")
        bars.type, bars.grouping, bars.overlap = "col", "stacked", 100
        charts.append(bars)
    if "customer churn" in where:
        charts.append(chart(LineChart, N_("Customer churn"), ["customer churn"], "%", "0.0"))
    retention = [h for h in ("NRR", "GRR") if h in where]
    if retention:
        charts.append(chart(LineChart, N_("Net and gross revenue retention"), retention, "%", "0"))
    if "NPS" in where:
        nps = chart(LineChart, N_("NPS with its 95 % margin of error"), ["NPS", "NPS low (95 %)", "NPS high (95 %)"], N_("score"), "0")
        for s in nps.series[1:]:
            s.graphicalProperties.line.dashStyle = "dash"
        charts.append(nps)
    top = last + 3
    for k, c in enumerate(charts):
        ws.add_chart(c, f"{'A' if k % 2 == 0 else 'J'}{top + (k // 2) * 16}")
    return True
