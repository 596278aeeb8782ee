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
from datetime import date
from typing import Any

from cs_metrics import i18n
from cs_metrics.i18n import _, tr
from cs_metrics.result import NONE_LABEL, TOTAL_LABEL, MetricResult

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
    if isinstance(v, str):  # NUL ends a string for many CSV readers (and Python 3.10 cannot write it)
        return guard(v.replace("\x00", "\ufffd"))
    return v


def display(v: Any, key: str = "", unit: str = "") -> str:
    """A value for people: thousands separators, units, n/a."""
    v = _plain(v)
    if v is None:
        return "n/a"
    if isinstance(v, bool):
        return _("yes") if v else _("no")
    if isinstance(v, i18n.T):
        return tr(v)
    if isinstance(v, str):
        return i18n.value(v) if key in WORD_KEYS else i18n.words(v) if key in WORD_LIST_KEYS else i18n.era(v)
    if isinstance(v, date):
        return i18n.era(v)
    if unit == "percent" or key.endswith("_pct") or key.endswith("_rate"):
        return f"{v:,.2f} %"
    if unit == "money" or key.endswith("_mrr") or key in ("arr", "mrr"):
        return f"{v:,.2f}"
    if isinstance(v, int):
        return f"{v:,}"
    if unit in ("score", "days", "seconds", "ratio") or isinstance(v, float):
        return f"{v:,.1f}" if unit == "score" or key == "margin_of_error" else f"{v:,.2f}"
    return str(v)


# Columns and details whose values are words of ours (a class, a group, a status), said in the
# reader's language in tables; their values in CSV and JSON stay as they are.
WORD_KEYS = frozenset({"class", "group", "status", "movement", "kind", "segment_kind", "component", "sample", "view", "from_plan", "to_plan", "customer_source"})
WORD_LIST_KEYS = frozenset({"reason", "movements"})  # "usage 0, depth 12": the words of such a text said one by one


def _label(key: str) -> str:
    return i18n.label(key)


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


# --------------------------------------------------------------------------- segments

# The details a person sees beside each segment's value in a table (all of them go to CSV and JSON).
KEY_DETAILS = {
    "mrr": ("opening_mrr", "net_new_mrr", "closing_customers"),
    "arpu": ("closing_mrr", "closing_customers", "average_customers"),
    "ndr": ("starting_customers", "opening_mrr", "closing_mrr"),
    "nrr": ("starting_customers", "opening_mrr", "closing_mrr"),
    "grr": ("starting_customers", "opening_mrr", "closing_mrr"),
    "revenue-churn": ("starting_customers", "opening_mrr", "lost_mrr"),
    "revenue-growth": ("starting_customers", "opening_mrr", "net_change_mrr"),
    "renewal-rate": ("due", "renewed"),
    "clv": ("average_purchase_value", "lifespan_months"),
    "crc": ("retention_costs", "active_customers"),
    "dso": ("receivables", "credit_sales"),
    "repeat-purchase": ("purchasers", "returning_purchasers"),
    "return-rate": ("sold_units", "returned_units"),
    "conversion": ("trials", "converted", "leads"),
    "referrals": ("new_customers", "referred_customers"),
    "churn": ("starting_customers", "churned_customers"),
    "cohorts": ("customers", "m3_retention", "m6_retention"),
    "nps": ("responses", "promoters_pct", "detractors_pct"),
    "csat": ("responses", "mean_score"),
    "ces": ("responses", "mean_score"),
    "feedback": ("unhappy_comments",),
    "fcr": ("resolved", "first_contact_resolved"),
    "tickets": ("resolved_in_period", "open_at_close", "median_resolution_hours"),
    "dau-mau": ("mean_dau", "mau"),
    "sessions": ("sessions", "active_users"),
    "usage": ("active_customers", "using_customers"),
    "health": ("customers", "poor_customers", "poor_mrr"),
}


def segment_lines(r: MetricResult) -> list[tuple[str, str, Any, dict[str, Any]]]:
    """(label, kind, value, details) of each segment, then of the total. `kind` keeps the reserved rows
    apart from real values spelled the same: `value` (a value of the --by column), `none` (customers
    without one: unknown or anonymous) or `total`."""
    out = [(s["segment"], s.get("segment_kind", "value"), s["value"], s["details"]) for s in r.segments or ()]
    out.append((TOTAL_LABEL, "total", r.value, r.details))
    return out


def shown_segment(label: Any, kind: str) -> str:
    """A segment's label for people: a real value spelled like a reserved label is shown in quotes."""
    if kind == "value":
        return f'"{label}"' if label in (TOTAL_LABEL, NONE_LABEL) else str(label)
    return _("total") if kind == "total" else _("(none)") if kind == "none" else str(label)


def key_details(r: MetricResult) -> list[str]:
    """The few details shown beside each segment in a table: the metric's choice, else its first numbers."""
    keys = [k for k in KEY_DETAILS.get(r.metric, ()) if k in r.details]
    if not keys:
        numbers = [k for k, v in r.details.items() if isinstance(_plain(v), (int, float)) and not isinstance(v, bool)]
        keys = [k for k in numbers if not k.startswith("ci95_")][:3]
    return keys


def _row_cell(row: dict[str, Any], key: str) -> str:
    """A listing cell for people; a segment beside its kind (check's rows) is shown as in --by tables."""
    if key == "segment" and "segment_kind" in row:
        return shown_segment(row["segment"], row["segment_kind"])
    return display(row.get(key), key)


def _detail(r: MetricResult, key: str, v: Any) -> str:
    """A detail for people; a confidence bound is in the unit of the value it bounds."""
    return display(v, key, r.unit if key.startswith("ci95_") else "")


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
            {
                "segment": s["segment"],
                "segment_kind": s.get("segment_kind", "value"),
                "value": _plain(s["value"]),
                "details": {k: _plain(v) for k, v in s["details"].items()},
            }
            for s in r.segments
        ]
    doc["warnings"] = list(r.warnings)
    if r.coverage:  # what the inputs span, and the last day all of them have data for
        doc["data_through"] = min(span.end for span in r.coverage.values()).isoformat()
        doc["coverage"] = [
            {"table": s.table, "file": s.file, "start": s.start.isoformat(), "end": s.end.isoformat()} for s in r.coverage.values()
        ]
    if explain:
        doc["definition"] = r.definition
        doc["formula"] = r.formula
    return doc


def _listing(r: MetricResult, rows: bool) -> bool:
    """Whether the output is the listing: asked for (--rows), and the result has one."""
    return rows and r.rows is not None


def _flat_rows(r: MetricResult, rows: bool = True) -> tuple[list[str], list[list[Any]]]:
    """The CSV shape: the result (one row, or one per segment plus the total), or with `rows` the listing."""
    if _listing(r, rows):
        assert r.rows is not None
        header = list(dict.fromkeys(k for row in r.rows for k in row)) if r.rows else ["metric"]
        return header, [[row.get(k) for k in header] for row in r.rows]
    head = ["metric", "period_start", "period_end"]
    if r.segments is not None:
        head += ["segment", "segment_kind"]
    detail_keys = list(dict.fromkeys([*r.details, *(k for s in r.segments or () for k in s["details"])]))
    header = head + ["value", "unit"] + detail_keys
    base = [r.metric, r.period.start.isoformat(), r.period.end.isoformat()]
    if r.segments is None:
        return header, [base + [r.value, r.unit] + [r.details.get(k) for k in detail_keys]]
    lines = segment_lines(r)
    return header, [base + [label, kind, value, r.unit] + [details.get(k) for k in detail_keys] for label, kind, value, details in lines]


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


def to_delimited(r: MetricResult, delimiter: str = ",", rows: bool = True) -> str:
    return delimited(*_flat_rows(r, rows), delimiter)


def to_json(r: MetricResult, explain: bool = False) -> str:
    return json.dumps(document(r, explain), ensure_ascii=False, indent=2) + "\n"


def to_jsonl(r: MetricResult, explain: bool = False, rows: bool = True) -> str:
    """One object a line: with `rows` each row of the listing, else each segment then the total, else the document."""
    doc = document(r, explain)
    base = {"metric": doc["metric"], "period": doc["period"], "unit": doc["unit"]}
    if _listing(r, rows):
        lines = [{**base, **row} for row in doc["rows"]]
    elif r.segments is not None:
        lines = [
            {**base, "segment": label, "segment_kind": kind, "value": _plain(value), "details": {k: _plain(v) for k, v in details.items()}}
            for label, kind, value, details in segment_lines(r)
        ]
    else:
        lines = [{k: v for k, v in doc.items()}]
    return "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines)


def _title(r: MetricResult) -> str:
    return f"{i18n.metric_name(r.metric)} · {i18n.period_text(r.period)}"


def _headline(r: MetricResult) -> str:
    """The value under a listing (and the scoring date of a backtest)."""
    when = " · " + _("scored on {day}", day=r.details["scored_on"]) if "scored_on" in r.details else ""
    return f"{i18n.metric_name(r.metric)}: {display(r.value, r.metric, r.unit)}{when}"


def detail_groups(details: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Details that form a grid: groups (rows) x fields (columns) with every `<group>_<field>` present,
    such as health's good/at_risk/poor x customers/mrr, feedback's promoter/... x comments/top_terms or
    mrr's movements x mrr/count/customers. The largest such grid (at least 2 x 2), else ([], [])."""
    fields_of: dict[str, set[str]] = {}
    for key in details:
        for i, ch in enumerate(key):
            if ch == "_" and 0 < i < len(key) - 1:
                fields_of.setdefault(key[:i], set()).add(key[i + 1 :])
    grids: dict[frozenset[str], list[str]] = {}
    for group, fields in fields_of.items():
        if len(fields) >= 2:
            grids.setdefault(frozenset(fields), []).append(group)
    best = max(((groups, fields) for fields, groups in grids.items() if len(groups) >= 2), key=lambda x: len(x[0]) * len(x[1]), default=None)
    if best is None:
        return [], []
    groups, fields = best
    ordered = [k.split("_" + f, 1)[0] for k in details for f in fields if k.endswith("_" + f) and k[: -len(f) - 1] in groups]
    field_order = [k[len(g) + 1 :] for k in details for g in groups if k.startswith(g + "_") and k[len(g) + 1 :] in fields]
    return list(dict.fromkeys(ordered)), list(dict.fromkeys(field_order))


def _value_rows(r: MetricResult) -> list[tuple[str, str]]:
    groups, fields = detail_groups(r.details)
    grouped = {f"{g}_{f}" for g in groups for f in fields}
    rows = [(_("value"), display(r.value, r.metric, r.unit))]
    rows += [(_label(k), _detail(r, k, v)) for k, v in r.details.items() if k not in grouped]
    return rows


def _group_cells(r: MetricResult) -> tuple[list[str], list[list[str]]]:
    """The grid of `detail_groups` for people: one row per group, one column per field."""
    groups, fields = detail_groups(r.details)
    if not groups:
        return [], []
    return [""] + [_label(f) for f in fields], [[_label(g)] + [_detail(r, f"{g}_{f}", r.details[f"{g}_{f}"]) for f in fields] for g in groups]


def _segment_cells(r: MetricResult) -> tuple[list[str], list[list[str]]]:
    """The people's view of --by: segment, value and a few key details per row, the total last."""
    keys = key_details(r)
    header = [_("segment"), i18n.metric_name(r.metric)] + [_label(k) for k in keys]
    cells = [
        [shown_segment(label, kind), display(value, r.metric, r.unit)] + [_detail(r, k, details.get(k)) for k in keys]
        for label, kind, value, details in segment_lines(r)
    ]
    return header, cells


def to_markdown(r: MetricResult, explain: bool = False, rows: bool = True) -> str:
    def table(header: list[str], rows: list[list[str]]) -> str:
        esc = lambda s: re.sub(r"\r\n|[\r\n]", " ", str(s).replace("|", "\\|"))  # noqa: E731
        lines = ["| " + " | ".join(map(esc, header)) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
        lines += ["| " + " | ".join(map(esc, row)) + " |" for row in rows]
        return "\n".join(lines) + "\n"

    out = [f"### {_title(r)}\n\n"]
    if _listing(r, rows):
        assert r.rows is not None
        header = list(dict.fromkeys(k for row in r.rows for k in row))
        cells = set(matrix_columns(r.rows))
        rows_ = [[matrix_cell(row.get(k)) if k in cells else _row_cell(row, k) for k in header] for row in r.rows]
        out.append(table([i18n.label(k, english=k) for k in header], rows_))
        out.append(f"\n{_headline(r)}\n")
    elif r.segments is not None:
        out.append(table(*_segment_cells(r)))
    else:
        out.append(table(["", i18n.metric_name(r.metric)], [list(x) for x in _value_rows(r)]))
        header, cells = _group_cells(r)
        if header:
            out.append("\n" + table(header, cells))
    out += ["\n> " + _("warning: {text}", text=tr(w)) + "\n" for w in r.warnings]
    if explain:
        out.append("\n" + _("**Definition.** {definition}\n\n**Formula.** {formula}", definition=r.definition, formula=r.formula) + "\n")
    return "".join(out)


_NUMBER = re.compile(r"[-+]?[\d,]*\.?\d+(?: %| pp| pts)?|n/a|")


def _is_number(text: str) -> bool:
    """A number cell (right-aligned, never cut): digits with an optional unit of ours."""
    if _NUMBER.fullmatch(text):
        return True
    for unit in (_("pp"), _("pts")):
        if text.endswith(" " + unit) and _NUMBER.fullmatch(text[: -len(unit) - 1]):
            return True
    return False


def _fitted(title: str, header: list[str], cells: list[list[str]], *, color: bool, width: int, caption: str | None = None):
    """A rich table of text cells in which no number is ever cut: number columns keep their full width,
    text columns wrap. On a terminal too narrow for every column, the last columns are left out and
    the caption names them (CSV and JSON have them all)."""
    from rich import box
    from rich.table import Table

    numeric = [all(_is_number(row[j]) for row in cells) for j in range(len(header))]
    w = i18n.width
    need = [
        max((w(row[j]) for row in cells), default=0) if numeric[j] else min(max((w(row[j]) for row in cells), default=0), 16)
        for j in range(len(header))
    ]
    need = [max(n, min(w(h), 12), 3) for n, h in zip(need, header)]
    shown, used = [], 1
    for j, n in enumerate(need):
        if j >= 2 and used + n + 3 > width:
            break
        shown.append(j)
        used += n + 3
    left_out = [header[j] for j in range(len(header)) if j not in shown]
    if left_out:
        note = _("not shown at this width: {columns} (see --format csv)", columns=", ".join(left_out))
        caption = f"{caption}\n{note}" if caption else note
    t = Table(title=title, caption=caption, box=box.ROUNDED if color else None, min_width=min(w(title) + 2, width))
    for j in shown:
        if numeric[j]:
            t.add_column(header[j], justify="right", no_wrap=True, min_width=need[j])
        else:
            t.add_column(header[j], overflow="fold")
    return t, shown


def to_table(r: MetricResult, *, color: bool, explain: bool = False, width: int | None = None, rows: bool = True) -> str:
    """A rich table; plain (no colour, no box drawing) when `color` is off."""
    if _listing(r, rows) and matrix_columns(r.rows):
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
    if _listing(r, rows):
        assert r.rows is not None
        header = list(dict.fromkeys(k for row in r.rows for k in row))
        bars = is_bar_rows(r.rows)  # one customer's health components: a bar after each score
        names = [_label(k) for k in header]
        cells = [[_row_cell(row, k) for k in header] for row in r.rows]
        if bars:
            at = header.index("score") + 1
            names.insert(at, "")
            for row, line in zip(r.rows, cells):
                line.insert(at, score_bar(row.get("score")))
        t, shown = _fitted(_title(r), names, cells, color=color, width=width, caption=_headline(r))
        for row, line in zip(r.rows, cells):
            row_style = CLASS_STYLES.get(row.get("class")) if color else None  # type: ignore[arg-type]
            t.add_row(*(line[j] for j in shown), style=row_style)
    elif r.segments is not None:
        header, cells = _segment_cells(r)
        t, shown = _fitted(_title(r), header, cells, color=color, width=width)
        for n, line in enumerate(cells):
            total = n == len(cells) - 1
            t.add_row(*(line[j] for j in shown), style="bold" if total and color else None, end_section=n == len(cells) - 2)
    else:
        t = Table(title=_title(r), box=style, show_header=False, min_width=i18n.width(_title(r)) + 2)
        t.add_column("", style="bold" if color else None)
        t.add_column("", justify="right")
        for name, value in _value_rows(r):
            t.add_row(name, value)
        header, cells = _group_cells(r)
        if header:  # e.g. health's customers and MRR per class, feedback's comments and top terms per group
            console.print(t)
            t, shown = _fitted("", header, cells, color=color, width=width)
            for line in cells:
                t.add_row(*(line[j] for j in shown))
    console.print(t)
    if explain:
        console.print(_("Definition: {text}", text=r.definition), markup=False)
        console.print(_("Formula: {text}", text=r.formula), markup=False)
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
        caption=f"{_('value')}: {display(r.value, r.metric, r.unit)}",
        box=box.ROUNDED if color else None,
        padding=(0, 0) if color else (0, 1),
        min_width=i18n.width(_title(r)) + 2,
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
        console.print(_("Definition: {text}", text=r.definition), markup=False)
        console.print(_("Formula: {text}", text=r.formula), markup=False)
    return buf.getvalue()


def render(r: MetricResult, fmt: str, *, color: bool = False, explain: bool = False, width: int | None = None, rows: bool = True) -> str:
    """`rows`: the listing (rows) instead of the result where a result has one; JSON always has both."""
    if fmt == "table":
        return to_table(r, color=color, explain=explain, width=width, rows=rows)
    if fmt == "csv":
        return to_delimited(r, ",", rows)
    if fmt == "tsv":
        return to_delimited(r, "\t", rows)
    if fmt == "json":
        return to_json(r, explain)
    if fmt == "jsonl":
        return to_jsonl(r, explain, rows)
    if fmt == "markdown":
        return to_markdown(r, explain, rows)
    raise ValueError(f"unknown format {fmt!r}")
