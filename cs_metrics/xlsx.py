"""Excel workbooks (--output FILE.xlsx): one sheet per table, numbers as numbers, percentages
formatted as such, and the spreadsheet-injection guard on every text cell."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from cs_metrics.render import _plain, guard
from cs_metrics.result import MetricResult

PERCENT_FORMAT = '0.00" %"'  # values are percentages already (6.4 means 6.4 %)
MONEY_FORMAT = "#,##0.00"


def _is_percent(key: str, unit: str | None = None) -> bool:
    cohort_month = key[:1] == "m" and key[1:].isdigit()  # cohorts grid: m0, m1, ...
    return unit == "percent" or key.endswith(("_pct", "_rate")) or key.startswith("ci95_") or cohort_month


def _put(ws, row: int, col: int, value: Any, fmt: str | None = None) -> None:
    value = _plain(value)
    if isinstance(value, str):
        value = guard(value)
    cell = ws.cell(row=row, column=col, value=value)
    if fmt and isinstance(value, (int, float)) and not isinstance(value, bool):
        cell.number_format = fmt


def _format_for(key: str, unit: str | None = None) -> str | None:
    if _is_percent(key, unit):
        return PERCENT_FORMAT
    if unit == "money" or key.endswith("_mrr") or key in ("arr", "mrr", "receivables", "credit_sales", "retention_costs"):
        return MONEY_FORMAT
    return None


def _table(ws, header: list[str], rows: list[list[Any]], unit: str | None = None, value_col: str | None = None) -> None:
    from openpyxl.styles import Font

    for j, name in enumerate(header, 1):
        ws.cell(row=1, column=j, value=name).font = Font(bold=True)
    for i, row in enumerate(rows, 2):
        for j, (name, value) in enumerate(zip(header, row), 1):
            _put(ws, i, j, value, _format_for(name, unit if name == value_col else None))
    for j, name in enumerate(header, 1):
        ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width = max(10, min(40, len(name) + 4))


def _summary(ws, r: MetricResult) -> None:
    ws.append(["metric", r.metric])
    ws.append(["period_start", r.period.start.isoformat()])
    ws.append(["period_end", r.period.end.isoformat()])
    ws.append(["unit", r.unit])
    _put(ws, 5, 1, "value")
    _put(ws, 5, 2, r.value, _format_for("value", r.unit))
    for i, (k, v) in enumerate(r.details.items(), 6):
        _put(ws, i, 1, k)
        _put(ws, i, 2, v, _format_for(k))
    row = 6 + len(r.details)
    for w in r.warnings:
        _put(ws, row, 1, "warning")
        _put(ws, row, 2, w)
        row += 1
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 24


def _sheet_name(name: str, taken: set[str]) -> str:
    base = "".join(c for c in name if c not in "[]:*?/\\")[:31] or "sheet"
    out, n = base, 2
    while out in taken:
        out = f"{base[:28]}-{n}"
        n += 1
    taken.add(out)
    return out


def add_result(wb, r: MetricResult, taken: set[str], prefix: str = "") -> None:
    """Sheets for one result: its summary (value and details), rows, segments."""
    ws = wb.create_sheet(_sheet_name(prefix or r.metric, taken))
    _summary(ws, r)
    if r.rows:
        header = list(dict.fromkeys(k for row in r.rows for k in row))
        _table(wb.create_sheet(_sheet_name(f"{prefix or r.metric} rows", taken)), header, [[row.get(k) for k in header] for row in r.rows])
    if r.segments:
        keys = list(dict.fromkeys(k for s in r.segments for k in s["details"]))
        header = ["segment", "value", *keys]
        rows = [[s["segment"], s["value"], *[s["details"].get(k) for k in keys]] for s in r.segments]
        rows.append(["total", r.value, *[r.details.get(k) for k in keys]])
        _table(wb.create_sheet(_sheet_name(f"{prefix or r.metric} segments", taken)), header, rows, r.unit, "value")


def _save(wb, path: Path) -> None:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent if str(path.parent) else ".")
    os.close(fd)
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_result(path: Path, r: MetricResult) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    add_result(wb, r, set())
    _save(wb, path)


def write_report(path: Path, report) -> None:
    """An overview sheet (metric, value, previous, change, trend) and one sheet per metric."""
    from openpyxl import Workbook

    from cs_metrics.render_report import _grid

    wb = Workbook()
    ws = wb.active
    ws.title = "report"
    header, rows = _grid(report)
    _table(ws, header, rows)
    for i, row in enumerate(rows, 2):  # value, previous and change in each metric's own unit
        unit = row[header.index("unit")]
        for name in ("value", "previous_value", "change"):
            cell = ws.cell(row=i, column=header.index(name) + 1)
            if isinstance(cell.value, (int, float)) and (fmt := _format_for("value", unit)):
                cell.number_format = fmt
    taken = {"report"}
    from cs_metrics.output.xlsx_charts import SHEET, add_charts

    if add_charts(wb, report):  # native charts over the trend, second sheet
        taken.add(SHEET)
    for e in report.entries:
        add_result(wb, e.result, taken)
    if report.skipped:
        _table(wb.create_sheet(_sheet_name("skipped", taken)), ["metric", "reason"], [[s["metric"], s["reason"]] for s in report.skipped])
    _coverage_sheet(wb.create_sheet(_sheet_name("coverage", taken)), report)
    _save(wb, path)


def _coverage_sheet(ws, report) -> None:
    """What each input spans, and the last day all of them have data for (dates as Excel dates)."""
    from cs_metrics.coverage import data_through

    spans = report.dataset.spans()
    through = data_through(spans)
    _table(ws, ["table", "file", "first_day", "last_day"], [[s.table, s.file, s.start, s.end] for s in spans.values()])
    row = len(spans) + 3
    _put(ws, row, 1, "data_through")
    _put(ws, row, 2, through)
    for r in range(2, row + 1):
        for c in (2, 3, 4):
            if ws.cell(row=r, column=c).is_date:
                ws.cell(row=r, column=c).number_format = "yyyy-mm-dd"
