"""Excel workbooks (--output FILE.xlsx): one sheet per table, numbers as numbers, dates as dates,
percentages formatted as such (changes of them in percentage points), and the spreadsheet-injection
guard on every text cell. Characters XML cannot hold are replaced; a table longer than a sheet is
refused before anything is written."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path
from typing import Any

from cs_metrics import i18n
from cs_metrics.errors import UsageError
from cs_metrics.render import WORD_KEYS, _plain, guard, segment_lines
from cs_metrics.result import MetricResult

PERCENT_FORMAT = '0.00" %"'  # values are percentages already (6.4 means 6.4 %)
POINTS_FORMAT = '+0.00" pp";-0.00" pp";0.00" pp"'  # a change of a percentage, in percentage points
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
MAX_ROWS = 1_048_576  # rows of an Excel sheet, the header included
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# XML 1.0 holds no C0 control character but tab, LF and CR: vertical tab and form feed become line
# breaks (what they meant in the export), the others U+FFFD.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# A workbook in Thai or Chinese names a font with the script's glyphs (Excel and LibreOffice fall back
# per character for the rest: Latin names, the other script's customer names).
FONTS = {"th": "Leelawadee UI", "zh": "Microsoft YaHei"}


def _font(bold: bool = False):
    """The font of a cell in the language in force; None (the workbook's default) in English."""
    from openpyxl.styles import Font

    name = FONTS.get(i18n.current())
    if name is None:
        return Font(bold=True) if bold else None
    return Font(name=name, bold=bold)


def _label(key: str) -> str:
    """A header or details key for people: the key itself in English (as in CSV), translated otherwise."""
    return i18n.label(key, english=key)


def _xml_text(v: str) -> str:
    return _XML_ILLEGAL.sub(lambda m: "\n" if m.group() in "\x0b\x0c" else "\ufffd", v)


def check_rows(what: str, n: int) -> None:
    """A sheet of `n` rows under a header fits, else a usage error (before any sheet is written)."""
    if n + 1 > MAX_ROWS:
        raise UsageError(
            f"--output: the {what} sheet would have {n:,} rows; an Excel sheet holds {MAX_ROWS - 1:,} under its header",
            "Write CSV instead (--output FILE.csv), or narrow the period",
        )


def _is_percent(key: str, unit: str | None = None) -> bool:
    cohort_month = key[:1] == "m" and key[1:].isdigit()  # cohorts grid: m0, m1, ...
    return unit == "percent" or key.endswith(("_pct", "_rate")) or key.startswith("ci95_") or cohort_month


def _put(ws, row: int, col: int, value: Any, fmt: str | None = None) -> None:
    value = i18n.tr(value) if isinstance(value, i18n.T) else _plain(value)
    if isinstance(value, str):
        if len(value) == 10 and _ISO_DAY.fullmatch(value):  # an ISO day is an Excel date
            try:
                value, fmt = date.fromisoformat(value), DATE_FORMAT
            except ValueError:
                pass
        if isinstance(value, str):
            value = guard(_xml_text(value))
    cell = ws.cell(row=row, column=col, value=value)
    font = _font()
    if font is not None:
        cell.font = font
    if fmt and isinstance(value, (int, float, date)) and not isinstance(value, bool):
        cell.number_format = fmt


def _format_for(key: str, unit: str | None = None) -> str | None:
    if _is_percent(key, unit):
        return PERCENT_FORMAT
    if unit == "money" or key.endswith("_mrr") or key in ("arr", "mrr", "receivables", "credit_sales", "retention_costs"):
        return MONEY_FORMAT
    return None


def _table(ws, header: list[str], rows: list[list[Any]], unit: str | None = None, value_col: str | None = None) -> None:
    for j, name in enumerate(header, 1):
        ws.cell(row=1, column=j, value=_label(name)).font = _font(bold=True)
    for i, row in enumerate(rows, 2):
        for j, (name, value) in enumerate(zip(header, row), 1):
            if name in WORD_KEYS and isinstance(value, str):
                value = i18n.value(value)
            _put(ws, i, j, value, _format_for(name, unit if name == value_col else None))
    for j, name in enumerate(header, 1):
        ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width = max(10, min(40, len(name) + 4))


def _summary(ws, r: MetricResult) -> None:
    for i, (k, v) in enumerate((("metric", i18n.metric_name(r.metric)), ("period_start", r.period.start), ("period_end", r.period.end), ("unit", r.unit)), 1):
        _put(ws, i, 1, _label(k))
        _put(ws, i, 2, v, DATE_FORMAT)
    _put(ws, 5, 1, _label("value"))
    _put(ws, 5, 2, r.value, _format_for("value", r.unit))
    for i, (k, v) in enumerate(r.details.items(), 6):
        _put(ws, i, 1, _label(k))
        _put(ws, i, 2, i18n.value(v) if k in WORD_KEYS and isinstance(v, str) else v, _format_for(k, r.unit if k.startswith("ci95_") else None))  # an interval is in the value's unit
    row = 6 + len(r.details)
    for w in r.warnings:
        _put(ws, row, 1, _label("warning"))
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


def _check_result(r: MetricResult) -> None:
    check_rows(f"{r.metric} rows", len(r.rows or ()))
    check_rows(f"{r.metric} segments", len(r.segments or ()) + 1)


def add_result(wb, r: MetricResult, taken: set[str], prefix: str = "") -> None:
    """Sheets for one result: its summary (value and details), rows, segments."""
    _check_result(r)
    ws = wb.create_sheet(_sheet_name(prefix or r.metric, taken))
    _summary(ws, r)
    if r.rows:
        header = list(dict.fromkeys(k for row in r.rows for k in row))
        _table(wb.create_sheet(_sheet_name(f"{prefix or r.metric} rows", taken)), header, [[row.get(k) for k in header] for row in r.rows])
    if r.segments:
        keys = list(dict.fromkeys(k for s in r.segments for k in s["details"]))
        header = ["segment", "segment_kind", "value", *keys]
        rows = [[label, kind, value, *[details.get(k) for k in keys]] for label, kind, value, details in segment_lines(r)]
        _table(wb.create_sheet(_sheet_name(f"{prefix or r.metric} segments", taken)), header, rows, r.unit, "value")


def _save(wb, path: Path) -> None:
    from cs_metrics.outfile import writing

    buf = io.BytesIO()  # the whole workbook first: a failing write never leaves a half-built zip behind
    wb.save(buf)
    with writing(path, binary=True) as fh:
        fh.write(buf.getbuffer())


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

    for e in report.entries:  # every sheet fits before any is written
        _check_result(e.result)
    wb = Workbook()
    ws = wb.active
    ws.title = "report"
    header, rows = _grid(report)
    _table(ws, header, [[i18n.metric_name(v) if k == "metric" else v for k, v in zip(header, row)] for row in rows])
    for i, row in enumerate(rows, 2):  # value, previous and change in each metric's own unit
        unit = row[header.index("unit")]
        for name in ("value", "previous_value", "change"):
            cell = ws.cell(row=i, column=header.index(name) + 1)
            fmt = POINTS_FORMAT if name == "change" and unit == "percent" else _format_for("value", unit)
            if isinstance(cell.value, (int, float)) and fmt:
                cell.number_format = fmt
    taken = {"report"}
    from cs_metrics.output.xlsx_charts import SHEET, add_charts

    if add_charts(wb, report):  # native charts over the trend, second sheet
        taken.add(SHEET)
    for e in report.entries:
        add_result(wb, e.result, taken)
    if report.skipped:
        _table(wb.create_sheet(_sheet_name("skipped", taken)), ["metric", "reason"], [[s["metric"], i18n.tr(s["reason"])] for s in report.skipped])
    _coverage_sheet(wb.create_sheet(_sheet_name("coverage", taken)), report)
    _save(wb, path)


def _coverage_sheet(ws, report) -> None:
    """What each input spans, and the last day all of them have data for (dates as Excel dates)."""
    from cs_metrics.coverage import data_through

    spans = report.dataset.spans()
    through = data_through(spans)
    _table(ws, ["table", "file", "first_day", "last_day"], [[s.table, s.file, s.start, s.end] for s in spans.values()])
    row = len(spans) + 3
    _put(ws, row, 1, _label("data_through"))
    _put(ws, row, 2, through)
    for r in range(2, row + 1):
        for c in (2, 3, 4):
            if ws.cell(row=r, column=c).is_date:
                ws.cell(row=r, column=c).number_format = "yyyy-mm-dd"
