"""MetricResult -> text in one of the output formats of the CLI contract.

Machine formats (csv, tsv, json, jsonl) carry plain numbers, never rounded for display; an
undefined value is empty (csv/tsv) or null (json). Text cells that a spreadsheet would run as a
formula are prefixed with a quote. The table and markdown formats are for people."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from typing import Any

from cs_metrics.result import MetricResult

FORMATS = ("table", "csv", "tsv", "json", "jsonl", "markdown")
# A line of a text cell that a spreadsheet could run as a formula: it starts (after spaces, NBSP or a
# BOM, which spreadsheets skip) with = + - @ or their full-width forms, or with a tab or a CR.
_FORMULA_LINE = re.compile(r"(?:^|(?<=[\r\n]))(?=[ \u00a0\ufeff]*[=+\-@\uff1d\uff0b\uff0d\uff20\t\r])")


# --------------------------------------------------------------------------- values


def _plain(v: Any) -> Any:
    """A JSON-safe plain value: NaN/inf -> None, numpy scalars -> Python, -0.0 -> 0.0."""
    if v is None:
        return None
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        v = v.item()
    if isinstance(v, float):
        if not math.isfinite(v):
            return None
        if v == 0:
            return 0.0
    return v


def guard(v: Any) -> Any:
    """Spreadsheet-injection guard for a text cell: a quote before every line of it that a spreadsheet
    would read as a formula (a reader that splits the cell at a line break sees each line as a row)."""
    if isinstance(v, str):
        return _FORMULA_LINE.sub("'", v)
    return v


def _cell(v: Any) -> Any:
    v = _plain(v)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return guard(v) if isinstance(v, str) else v


def display(v: Any, key: str = "", unit: str = "") -> str:
    """A value for people: thousands separators, units, n/a."""
    v = _plain(v)
    if v is None:
        return "n/a"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, str):
        return v
    if unit == "percent" or key.endswith("_pct") or key.endswith("_rate"):
        return f"{v:,.2f} %"
    if unit == "money" or key.endswith("_mrr") or key in ("arr", "mrr"):
        return f"{v:,.2f}"
    if isinstance(v, int):
        return f"{v:,}"
    if unit in ("score", "days", "seconds", "ratio") or isinstance(v, float):
        return f"{v:,.1f}" if unit == "score" or key == "margin_of_error" else f"{v:,.2f}"
    return str(v)


def _label(key: str) -> str:
    return key.replace("_", " ")


# --------------------------------------------------------------------------- matrices (cohorts)


def matrix_columns(rows: list[dict[str, Any]] | None) -> list[str]:
    """The month columns `m0`, `m1`, ... when the rows are a matrix (every row has the same keys, among
    them m0..mK consecutively), else []. A matrix's cells are percentages or empty (None)."""
    if not rows:
        return []
    keys = [k for k in rows[0] if k[:1] == "m" and k[1:].isdigit()]
    if not keys or keys != [f"m{i}" for i in range(len(keys))]:
        return []
    first = list(rows[0])
    return keys if all(list(row) == first for row in rows) else []


def matrix_cell(v: Any) -> str:
    """A matrix cell for people: one decimal, no % sign (keeps the grid narrow); empty = blank."""
    v = _plain(v)
    return "" if v is None else f"{v:.1f}"


# red at 0, yellow at 50, green at 100 and above (revenue retention can exceed 100)
_HEAT_STOPS = ((0.0, (215, 48, 39)), (50.0, (254, 224, 102)), (100.0, (26, 152, 80)))


def heat_rgb(v: float) -> tuple[int, int, int]:
    """Background colour of a percentage cell: red (0) -> yellow (50) -> green (100 or more)."""
    v = min(max(float(v), _HEAT_STOPS[0][0]), _HEAT_STOPS[-1][0])
    for (lo, a), (hi, b) in zip(_HEAT_STOPS, _HEAT_STOPS[1:]):
        if v <= hi:
            t = (v - lo) / (hi - lo)
            return tuple(round(x + (y - x) * t) for x, y in zip(a, b))  # type: ignore[return-value]
    return _HEAT_STOPS[-1][1]


# --------------------------------------------------------------------------- health (classes, bars)

CLASS_STYLES = {"good": "green", "at_risk": "yellow", "poor": "red"}  # table rows with a `class` key
BAR_KEYS = ["component", "score", "weight"]


def is_bar_rows(rows: list[dict[str, Any]] | None) -> bool:
    """Rows of one customer's components (keys exactly component, score, weight): shown with bars."""
    return bool(rows) and all(list(row) == BAR_KEYS for row in rows)


def score_bar(v: Any) -> str:
    """A 0..100 score as a bar of up to 20 blocks, one per 5 points (half up); empty when undefined."""
    v = _plain(v)
    return "" if v is None else "█" * int(min(max(float(v), 0.0), 100.0) / 5 + 0.5)


# --------------------------------------------------------------------------- documents


def document(r: MetricResult, explain: bool = False) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "metric": r.metric,
        "period": {"start": r.period.start.isoformat(), "end": r.period.end.isoformat()},
        "value": _plain(r.value),
        "unit": r.unit,
        "details": {k: _plain(v) for k, v in r.details.items()},
    }
    if r.rows is not None:
        doc["rows"] = [{k: _plain(v) for k, v in row.items()} for row in r.rows]
    if r.segments is not None:
        doc["segments"] = [
            {"segment": s["segment"], "value": _plain(s["value"]), "details": {k: _plain(v) for k, v in s["details"].items()}}
            for s in r.segments
        ]
    doc["warnings"] = list(r.warnings)
    if explain:
        doc["definition"] = r.definition
        doc["formula"] = r.formula
    return doc


def _flat_rows(r: MetricResult) -> tuple[list[str], list[list[Any]]]:
    """The CSV shape: listing metrics print their rows; others one row (or one per segment + total)."""
    if r.rows is not None:
        header = list(dict.fromkeys(k for row in r.rows for k in row)) if r.rows else ["metric"]
        return header, [[row.get(k) for k in header] for row in r.rows]
    head = ["metric", "period_start", "period_end"]
    if r.segments is not None:
        head.append("segment")
    detail_keys = list(dict.fromkeys([*r.details, *(k for s in r.segments or () for k in s["details"])]))
    header = head + ["value", "unit"] + detail_keys
    base = [r.metric, r.period.start.isoformat(), r.period.end.isoformat()]
    out = []
    for s in r.segments or ():
        out.append(base + [s["segment"], s["value"], r.unit] + [s["details"].get(k) for k in detail_keys])
    total = base + (["total"] if r.segments is not None else []) + [r.value, r.unit]
    out.append(total + [r.details.get(k) for k in detail_keys])
    return header, out


class _Records(io.StringIO):
    """A csv writer's target: the writer ends records with CRLF, so that it quotes every cell holding
    a CR or a LF (a bare CR must not end a row either); each record is stored ending with LF."""

    def write(self, s: str) -> int:
        return super().write(s[:-2] + "\n" if s.endswith("\r\n") else s)


def delimited(header: list[str], rows, delimiter: str = ",") -> str:
    """CSV/TSV text: a header, then the rows' cells (plain numbers, empty when undefined, guarded text)."""
    buf = _Records()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerow([_cell(h) for h in header])
    for row in rows:
        w.writerow([_cell(v) for v in row])
    return buf.getvalue()


def to_delimited(r: MetricResult, delimiter: str = ",") -> str:
    return delimited(*_flat_rows(r), delimiter)


def to_json(r: MetricResult, explain: bool = False) -> str:
    return json.dumps(document(r, explain), ensure_ascii=False, indent=2) + "\n"


def to_jsonl(r: MetricResult, explain: bool = False) -> str:
    """One object a line: each row of a listing metric, else each segment then the total, else the document."""
    doc = document(r, explain)
    base = {"metric": doc["metric"], "period": doc["period"], "unit": doc["unit"]}
    if r.rows is not None:
        lines = [{**base, **row} for row in doc["rows"]]
    elif r.segments is not None:
        lines = [{**base, **s} for s in doc["segments"]]
        lines.append({**base, "segment": "total", "value": doc["value"], "details": doc["details"]})
    else:
        lines = [{k: v for k, v in doc.items()}]
    return "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines)


def _title(r: MetricResult) -> str:
    return f"{r.metric} · {r.period.label} ({r.period.start} .. {r.period.end})"


def _value_rows(r: MetricResult) -> list[tuple[str, str]]:
    rows = [("value", display(r.value, r.metric, r.unit))]
    rows += [(_label(k), display(v, k)) for k, v in r.details.items()]
    return rows


def to_markdown(r: MetricResult, explain: bool = False) -> str:
    def table(header: list[str], rows: list[list[str]]) -> str:
        esc = lambda s: re.sub(r"\r\n|[\r\n]", " ", str(s).replace("|", "\\|"))  # noqa: E731
        lines = ["| " + " | ".join(map(esc, header)) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
        lines += ["| " + " | ".join(map(esc, row)) + " |" for row in rows]
        return "\n".join(lines) + "\n"

    out = [f"### {_title(r)}\n\n"]
    if r.rows is not None:
        header = list(dict.fromkeys(k for row in r.rows for k in row))
        cells = set(matrix_columns(r.rows))
        out.append(table(header, [[matrix_cell(row.get(k)) if k in cells else display(row.get(k), k) for k in header] for row in r.rows]))
    elif r.segments is not None:
        keys = list(r.details)
        rows = [[str(s["segment"]), display(s["value"], r.metric, r.unit)] + [display(s["details"].get(k), k) for k in keys] for s in r.segments]
        rows.append(["total", display(r.value, r.metric, r.unit)] + [display(r.details.get(k), k) for k in keys])
        out.append(table(["segment", r.metric] + [_label(k) for k in keys], rows))
    else:
        out.append(table(["", r.metric], [list(x) for x in _value_rows(r)]))
    out += [f"\n> warning: {w}\n" for w in r.warnings]
    if explain:
        out.append(f"\n**Definition.** {r.definition}\n\n**Formula.** {r.formula}\n")
    return "".join(out)


def to_table(r: MetricResult, *, color: bool, explain: bool = False, width: int | None = None) -> str:
    """A rich table; plain (no colour, no box drawing) when `color` is off."""
    if r.rows is not None and matrix_columns(r.rows):
        return _heat_map(r, color=color, explain=explain, width=width)
    from rich import box
    from rich.console import Console
    from rich.table import Table

    buf = io.StringIO()
    if width is None:  # a terminal's width; written to a pipe or file, nothing is cut
        import shutil

        width = shutil.get_terminal_size((100, 24)).columns if color else 1000
    console = Console(file=buf, force_terminal=color, no_color=not color, width=width, highlight=False)
    style = box.ROUNDED if color else None
    if r.rows is not None:
        header = list(dict.fromkeys(k for row in r.rows for k in row))
        bars = is_bar_rows(r.rows)  # one customer's health components: a bar after each score
        caption = f"{r.metric}: {display(r.value, r.metric, r.unit)}" if bars else None
        t = Table(title=_title(r), caption=caption, box=style, min_width=len(_title(r)) + 2)
        for k in header:
            t.add_column(_label(k))
            if bars and k == "score":
                t.add_column("")
        for row in r.rows:
            cells = [display(row.get(k), k) for k in header]
            if bars:
                cells.insert(header.index("score") + 1, score_bar(row.get("score")))
            row_style = CLASS_STYLES.get(row.get("class")) if color else None  # type: ignore[arg-type]
            t.add_row(*cells, style=row_style)
    elif r.segments is not None:
        keys = list(r.details)
        t = Table(title=_title(r), box=style, min_width=len(_title(r)) + 2)
        for k in ["segment", r.metric] + [_label(k) for k in keys]:
            t.add_column(k, justify="left" if k == "segment" else "right")
        for s in r.segments:
            t.add_row(str(s["segment"]), display(s["value"], r.metric, r.unit), *(display(s["details"].get(k), k) for k in keys))
        t.add_row("total", display(r.value, r.metric, r.unit), *(display(r.details.get(k), k) for k in keys), style="bold")
    else:
        t = Table(title=_title(r), box=style, show_header=False, min_width=len(_title(r)) + 2)
        t.add_column("", style="bold" if color else None)
        t.add_column("", justify="right")
        for name, value in _value_rows(r):
            t.add_row(name, value)
    console.print(t)
    if explain:
        console.print(f"Definition: {r.definition}", markup=False)
        console.print(f"Formula: {r.formula}", markup=False)
    return buf.getvalue()


def _heat_map(r: MetricResult, *, color: bool, explain: bool, width: int | None) -> str:
    """A matrix (cohorts) as a heat map: each percentage cell shaded red -> yellow -> green when `color`
    is on; plain numbers, no ANSI codes and no box drawing when it is off. Never wraps a cell: the
    table is as wide as it needs to be."""
    from rich import box
    from rich.color import Color
    from rich.console import Console
    from rich.measure import Measurement
    from rich.padding import Padding
    from rich.style import Style
    from rich.table import Table
    from rich.text import Text

    assert r.rows is not None
    cells = set(matrix_columns(r.rows))
    header = list(r.rows[0])
    cell_width = max((len(matrix_cell(row.get(k))) for row in r.rows for k in cells), default=0)
    justify = {k: "left" if k == header[0] and k not in cells else "right" for k in header}

    def cell(text: str, k: str, shade: Style | None = None) -> Any:
        """Without colour a plain string; with colour the cell carries its own one-space margins,
        so that its shading fills the whole cell."""
        if not color:
            return text
        return Padding(Text(text, justify=justify[k], style=shade or ""), (0, 1), style=shade or "")  # type: ignore[arg-type]

    t = Table(
        title=_title(r),
        caption=f"value: {display(r.value, r.metric, r.unit)}",
        box=box.ROUNDED if color else None,
        padding=(0, 0) if color else (0, 1),
        min_width=len(_title(r)) + 2,
    )
    for k in header:
        t.add_column(cell(_label(k), k), justify=justify[k], no_wrap=True)  # type: ignore[arg-type]
    for row in r.rows:
        out: list[Any] = []
        for k in header:
            v = _plain(row.get(k))
            if k not in cells:
                out.append(cell(display(v, k), k))
            elif v is None:
                out.append(cell("", k))
            else:
                shade = Style(color="black", bgcolor=Color.from_rgb(*heat_rgb(v))) if color else None
                out.append(cell(matrix_cell(v).rjust(cell_width), k, shade))
        t.add_row(*out)
    if width is None:  # a terminal's width; written to a pipe or file, nothing is cut
        import shutil

        width = shutil.get_terminal_size((100, 24)).columns if color else 1000
    probe = Console(file=io.StringIO(), width=10_000)
    width = max(width, Measurement.get(probe, probe.options, t).maximum)
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=color, no_color=not color, width=width, highlight=False)
    console.print(t)
    if explain:
        console.print(f"Definition: {r.definition}", markup=False)
        console.print(f"Formula: {r.formula}", markup=False)
    return buf.getvalue()


def render(r: MetricResult, fmt: str, *, color: bool = False, explain: bool = False, width: int | None = None) -> str:
    if fmt == "table":
        return to_table(r, color=color, explain=explain, width=width)
    if fmt == "csv":
        return to_delimited(r, ",")
    if fmt == "tsv":
        return to_delimited(r, "\t")
    if fmt == "json":
        return to_json(r, explain)
    if fmt == "jsonl":
        return to_jsonl(r, explain)
    if fmt == "markdown":
        return to_markdown(r, explain)
    raise ValueError(f"unknown format {fmt!r}")
