"""The auditable revenue workbook (`report --output FILE.xlsx --audit`).

A finance reader can trace every revenue figure to the MRR bridge it comes from:
- Bridge: one row per monthly step of the previous period and of the period: the five movements
  (data); closing MRR and customers, net new MRR and the step's quick ratio (formulas); the opening
  is data only for the first step, every later one opens where the step before closed (formula).
- Retention: the starting cohort S of each period and of the trailing 12 months ending with it:
  customers, churned customers, opening MRR and its expansion, contraction and churn measured
  customer by customer (data, except what the bridge gives: the size and MRR of a period's own S
  are its opening, and over a one-step period S's movements are the step's); closing and retained
  MRR and customers (formulas).
- Metrics: MRR, ARR, the movements, ARPU, the quick ratio, NRR, GRR, revenue churn and growth,
  customer churn and their trailing-12-month versions, for the period and the previous one, and
  the change: every one a live formula on the Bridge and Retention cells.
- Checks: every formula of the workbook beside the value cs-metrics computed for it, the
  difference (rounded to 4 decimals: 1/100 of a cent, 1/10,000 of a percentage point) and `ok`.

Data cells hold the exact MRR as a float (not rounded to cents), so the formulas add up to the
values cs-metrics computes from integers. Text cells pass the spreadsheet-injection guard; the
only formulas are the ones this module writes, from cell references."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from cs_metrics import i18n
from cs_metrics.config import Config
from cs_metrics.i18n import N_, _, tr
from cs_metrics.load import MRR_SCALE
from cs_metrics.period import Period, parse_period
from cs_metrics.render import guard
from cs_metrics.xlsx import MONEY_FORMAT, PERCENT_FORMAT, _font, _save

NA = "n/a"
DATE_FORMAT = "yyyy-mm-dd"
COUNT_FORMAT = "#,##0"
RATIO_FORMAT = "0.00"
DIFF_FORMAT = "0.0000"
FORMATS = {"money": MONEY_FORMAT, "percent": PERCENT_FORMAT, "count": COUNT_FORMAT, "ratio": RATIO_FORMAT}
MOVEMENTS = ("new", "reactivation", "expansion", "contraction", "churn")


def _money(units: int) -> float:
    """MRR units -> currency, unrounded (the cells add up as the integers do)."""
    return units / MRR_SCALE


@dataclass
class _Check:
    sheet: str
    cell: str
    what: str
    expected: float | None  # the value cs-metrics computed; None = undefined (n/a)
    unit: str


class _Sheet:
    """A worksheet written cell by cell: text (guarded), numbers, dates and formulas, each formula
    optionally registered with the value cs-metrics computed for it."""

    def __init__(self, wb, title: str, checks: list[_Check]):
        self.ws = wb.create_sheet(title)
        self.title = title
        self.checks = checks

    def text(self, row: int, col: int, value: str, bold: bool = False) -> None:
        """A text cell, said in the reader's language when it is one of ours (a header, a label)."""
        cell = self.ws.cell(row=row, column=col, value=guard(tr(value)))
        font = _font(bold)
        if font is not None:
            cell.font = font

    def number(self, row: int, col: int, value: float | int | None, unit: str) -> None:
        if value is None:
            self.ws.cell(row=row, column=col, value=NA)
            return
        self.ws.cell(row=row, column=col, value=value).number_format = FORMATS[unit]

    def day(self, row: int, col: int, value: date) -> None:
        self.ws.cell(row=row, column=col, value=value).number_format = DATE_FORMAT

    def formula(self, row: int, col: int, formula: str, unit: str, what: str | None = None, expected: Any = None) -> None:
        """Write `formula` (built here from cell references, never from data text); with `what`,
        Checks compares it with `expected`, the value cs-metrics computed (None: undefined)."""
        assert formula.startswith("=")
        cell = self.ws.cell(row=row, column=col, value=formula)
        cell.number_format = FORMATS[unit]
        if what is not None:
            self.checks.append(_Check(self.title, cell.coordinate, what, expected, unit))

    def widths(self, widths: dict[int, float]) -> None:
        for col, width in widths.items():
            self.ws.column_dimensions[_letter(col)].width = width


def _what(what: str) -> str:
    """What a checked formula is (`opening MRR 2026-10`, `NRR, 2026-10`) in the reader's language: its
    longest leading words that are a header or label of ours, said again; the period as it is."""
    words = what.split(" ")
    for k in range(len(words), 0, -1):
        name = " ".join(words[:k]).rstrip(",")
        said = i18n.lookup(name)
        if said is not None:
            rest = what[len(name):]
            return said + (", " + tr(N_("change")) if rest == ", change" else rest)
    return what


def _letter(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(col)


def _a1(row: int, col: int) -> str:
    """A reference inside the same sheet: C7."""
    return f"{_letter(col)}{row}"


def _safe_div(numerator: str, denominator: str, scale: str = "") -> str:
    """The workbook's safe_ratio: n/a when the denominator is 0."""
    return f'=IF(({denominator})=0,"{NA}",({numerator})/({denominator}){scale})'


# --------------------------------------------------------------------------- the sheets


def _step_period(a: date, b: date) -> Period:
    """The one-step period from snapshot a to snapshot b (a month when a and b are month ends)."""
    return parse_period(f"{(a + timedelta(days=1)).isoformat()}..{b.isoformat()}")


def _step_label(p: Period) -> str:
    """2026-07 for a whole calendar month, else the day range."""
    whole_month = p.start.day == 1 and (p.end + timedelta(days=1)).day == 1 and p.start.month == p.end.month
    return f"{p.start.year:04d}-{p.start.month:02d}" if whole_month else f"{p.start}..{p.end}"


BRIDGE_HEADER = [
    N_("period"), N_("step"), N_("opening snapshot"), N_("closing snapshot"), N_("opening MRR"), N_("new MRR"), N_("reactivation MRR"),
    N_("expansion MRR"), N_("contraction MRR"), N_("churn MRR"), N_("closing MRR"), N_("net new MRR"), N_("quick ratio"),
    N_("opening customers"), N_("new customers"), N_("reactivated customers"), N_("churned customers"), N_("closing customers"),
]  # fmt: skip
B = {name: j for j, name in enumerate(BRIDGE_HEADER, 1)}


@dataclass
class _Block:
    """Where a period's rows sit in Bridge (first..last) and in Retention (its own and its 12m row)."""

    period: Period
    first: int
    last: int
    retention: int = 0
    trailing: int = 0


def _bridge(sh: _Sheet, frames, periods: list[Period], cfg: Config) -> list[_Block]:
    from cs_metrics.metrics._state import mrr_rows
    from cs_metrics.metrics.finance import quick_ratio
    from cs_metrics.metrics.revenue import mrr, mrr_bridge
    from cs_metrics.profiles import in_force

    subs = mrr_rows(frames, cfg)  # the rows MRR comes from (revenue_source)
    for j, name in enumerate(BRIDGE_HEADER, 1):
        sh.text(1, j, name, bold=True)
    row, blocks, last_closing = 2, [], None
    for p in periods:
        first = row
        for a, b in p.steps():  # one row = a monthly step of the period
            step = _step_period(a, b)
            units = mrr_bridge(subs, step, in_force(cfg))
            computed = mrr(frames, step, cfg).details
            qr = quick_ratio(frames, step, cfg).value
            label = _step_label(step)
            sh.text(row, B["period"], p.label)
            sh.text(row, B["step"], label)
            sh.day(row, B["opening snapshot"], a)
            sh.day(row, B["closing snapshot"], b)

            def c(name: str, r: int = row) -> str:  # a cell of this row (r = row - 1: of the row above)
                return _a1(r, B[name])

            if a != last_closing:  # the first step opens with data; a step opens where the one before closed
                sh.number(row, B["opening MRR"], _money(units["opening"]), "money")
                sh.number(row, B["opening customers"], units["opening_customers"], "count")
            else:
                sh.formula(row, B["opening MRR"], f"={c('closing MRR', row - 1)}", "money", f"opening MRR {label}", computed["opening_mrr"])
                sh.formula(row, B["opening customers"], f"={c('closing customers', row - 1)}", "count",
                           f"opening customers {label}", computed["opening_customers"])  # fmt: skip
            for name in MOVEMENTS:
                sh.number(row, B[f"{name} MRR"], _money(units[name]), "money")
            sh.number(row, B["new customers"], units["new_count"], "count")
            sh.number(row, B["reactivated customers"], units["reactivation_count"], "count")
            sh.number(row, B["churned customers"], units["churn_count"], "count")
            closing = f"={c('opening MRR')}+{c('new MRR')}+{c('reactivation MRR')}+{c('expansion MRR')}-{c('contraction MRR')}-{c('churn MRR')}"
            sh.formula(row, B["closing MRR"], closing, "money", f"closing MRR {label}", computed["closing_mrr"])
            sh.formula(row, B["net new MRR"], f"={c('closing MRR')}-{c('opening MRR')}", "money", f"net new MRR {label}", computed["net_new_mrr"])
            gained = f"{c('new MRR')}+{c('reactivation MRR')}+{c('expansion MRR')}"
            sh.formula(row, B["quick ratio"], _safe_div(gained, f"{c('contraction MRR')}+{c('churn MRR')}"), "ratio", f"quick ratio {label}", qr)
            customers = f"={c('opening customers')}+{c('new customers')}+{c('reactivated customers')}-{c('churned customers')}"
            sh.formula(row, B["closing customers"], customers, "count", f"closing customers {label}", computed["closing_customers"])
            row, last_closing = row + 1, b
        blocks.append(_Block(p, first, row - 1))
    sh.ws.freeze_panes = "C2"
    sh.widths({1: 20, 2: 24, 3: 12, 4: 12, **{j: 14 for j in range(5, len(BRIDGE_HEADER) + 1)}})
    return blocks


class _Refs:
    """Absolute references to the cells of one period: its Bridge rows and its Retention rows."""

    def __init__(self, block: _Block):
        self.b = block

    def first(self, name: str) -> str:  # the period's first Bridge row
        return f"Bridge!${_letter(B[name])}${self.b.first}"

    def last(self, name: str) -> str:  # the period's last Bridge row
        return f"Bridge!${_letter(B[name])}${self.b.last}"

    def sum(self, name: str) -> str:  # over the period's Bridge rows
        col = _letter(B[name])
        return f"SUM(Bridge!${col}${self.b.first}:${col}${self.b.last})"

    def s(self, name: str, trailing: bool = False) -> str:  # the period's (or its trailing 12 months') cohort
        return f"Retention!${_letter(R[name])}${self.b.trailing if trailing else self.b.retention}"


RETENTION_HEADER = [
    N_("cohort"), N_("window"), N_("opening snapshot"), N_("closing snapshot"), N_("starting customers"), N_("churned customers"),
    N_("retained customers"), N_("opening MRR of S"), N_("expansion of S"), N_("contraction of S"), N_("churn of S"),
    N_("closing MRR of S"), N_("retained MRR of S"), N_("new customers lost (include_new)"),
]  # fmt: skip
R = {name: j for j, name in enumerate(RETENTION_HEADER, 1)}


def _retention(sh: _Sheet, frames, blocks: list[_Block], cfg: Config) -> None:
    from cs_metrics.metrics._window import trailing
    from cs_metrics.metrics.retention import churn
    from cs_metrics.metrics._state import mrr_rows
    from cs_metrics.metrics.revenue import cohort_units, grr, ndr, starting_cohort_mrr

    subs = mrr_rows(frames, cfg)  # the rows MRR comes from (revenue_source)
    for j, name in enumerate(RETENTION_HEADER, 1):
        sh.text(1, j, name, bold=True)
    row = 2
    for block in blocks:
        for window in (None, "12m"):  # the period's own cohort, then the trailing 12 months to its end
            measured = trailing(block.period, window)
            u = cohort_units(starting_cohort_mrr(subs, measured))
            n = ndr(frames, block.period, cfg, window=window)
            g = grr(frames, block.period, cfg, window=window)
            k = churn(frames, block.period, cfg, window=window)
            cohort = block.period.label if window is None else f"{block.period.label}, trailing 12 months"
            sh.text(row, R["cohort"], cohort)
            sh.text(row, R["window"], "period" if window is None else window)
            sh.day(row, R["opening snapshot"], measured.opening)
            sh.day(row, R["closing snapshot"], measured.closing)
            bridge = _Refs(block)
            # S = every customer paying at the opening: its size and MRR are the bridge's opening. Over one
            # step, S's movements are the bridge's (new and reactivated customers are outside S); over
            # several, or twelve months back, they are measured customer by customer: data.
            derived = {} if window else {"starting customers": "opening customers", "opening MRR of S": "opening MRR"}
            if not window and block.first == block.last:
                derived.update({"churned customers": "churned customers", "expansion of S": "expansion MRR",
                                "contraction of S": "contraction MRR", "churn of S": "churn MRR"})  # fmt: skip
            data = {
                "starting customers": (u["starting_customers"], "count", n.details["starting_customers"]),
                "churned customers": (u["churn_customers"], "count", n.details["churn_customers"]),
                "opening MRR of S": (_money(u["opening"]), "money", n.details["opening_mrr"]),
                "expansion of S": (_money(u["expansion"]), "money", n.details["expansion_mrr"]),
                "contraction of S": (_money(u["contraction"]), "money", n.details["contraction_mrr"]),
                "churn of S": (_money(u["churn"]), "money", n.details["churn_mrr"]),
            }
            for col, (amount, unit, computed) in data.items():
                if col in derived:
                    sh.formula(row, R[col], f"={bridge.first(derived[col])}", unit, f"{col}, {cohort}", computed)
                else:
                    sh.number(row, R[col], amount, unit)
            sh.number(row, R["new customers lost (include_new)"], k.details.get("new_churned_customers"), "count")

            def c(name: str, r: int = row) -> str:  # a cell of this row
                return _a1(r, R[name])

            sh.formula(row, R["retained customers"], f"={c('starting customers')}-{c('churned customers')}", "count",
                       f"retained customers, {cohort}", k.details.get("retained_customers"))  # fmt: skip
            closing = f"={c('opening MRR of S')}+{c('expansion of S')}-{c('contraction of S')}-{c('churn of S')}"
            sh.formula(row, R["closing MRR of S"], closing, "money", f"closing MRR of S, {cohort}", n.details["closing_mrr"])
            retained = f"={c('opening MRR of S')}-{c('contraction of S')}-{c('churn of S')}"
            sh.formula(row, R["retained MRR of S"], retained, "money", f"retained MRR of S, {cohort}", g.details["retained_mrr"])
            if window is None:
                block.retention = row
            else:
                block.trailing = row
            row += 1
    sh.ws.freeze_panes = "C2"
    sh.widths({1: 34, 2: 8, 3: 12, 4: 12, **{j: 15 for j in range(5, len(RETENTION_HEADER) + 1)}})


def _results(frames, p: Period, cfg: Config) -> dict[str, Any]:
    """What cs-metrics computes for P, by the metric functions themselves."""
    from cs_metrics.metrics.finance import quick_ratio
    from cs_metrics.metrics.retention import churn
    from cs_metrics.metrics.revenue import arpu, grr, mrr, ndr, revenue_churn, revenue_growth

    out = {f.__name__: f(frames, p, cfg) for f in (mrr, quick_ratio, ndr, grr, revenue_churn, revenue_growth, churn)}
    if _arpu_on_mrr(cfg):
        out["arpu"] = arpu(frames, p, cfg)
    out.update({f"{f.__name__}_12m": f(frames, p, cfg, window="12m") for f in (ndr, grr, churn)})
    return out


def _arpu_on_mrr(cfg: Config) -> bool:
    """ARPU comes from the bridge on the mrr basis (what auto is with subscriptions), not on invoice revenue."""
    return cfg.metrics.arpu.basis in ("auto", "mrr")


# The labels the movements' rows get (f"{m.capitalize()} MRR"), for the catalogues
_MOVEMENT_LABELS = (N_("New MRR"), N_("Reactivation MRR"), N_("Expansion MRR"), N_("Contraction MRR"), N_("Churn MRR"))
Formula = Callable[[_Refs], str]
Value = Callable[[dict[str, Any]], "float | None"]


def _metrics(cfg: Config) -> list[tuple[str, str, str, Formula, Value]]:
    """(label, what computes it in cs-metrics, unit, formula on the period's cells, its computed value)."""
    out: list[tuple[str, str, str, Formula, Value]] = [
        (N_("Opening MRR"), "mrr: opening_mrr", "money", lambda r: f"={r.first('opening MRR')}", lambda v: v["mrr"].details["opening_mrr"]),
    ]
    for m in MOVEMENTS:  # labelled as _MOVEMENT_LABELS says
        out.append((f"{m.capitalize()} MRR", f"mrr: {m}_mrr", "money", lambda r, m=m: f"={r.sum(f'{m} MRR')}", lambda v, m=m: v["mrr"].details[f"{m}_mrr"]))
    out += [
        (N_("Closing MRR"), "mrr", "money", lambda r: f"={r.last('closing MRR')}", lambda v: v["mrr"].value),
        (N_("Net new MRR"), "mrr: net_new_mrr", "money", lambda r: f"={r.last('closing MRR')}-{r.first('opening MRR')}",
         lambda v: v["mrr"].details["net_new_mrr"]),
        ("ARR", "mrr: arr", "money", lambda r: f"=12*{r.last('closing MRR')}", lambda v: v["mrr"].details["arr"]),
        (N_("Paying customers at opening"), "mrr: opening_customers", "count", lambda r: f"={r.first('opening customers')}",
         lambda v: v["mrr"].details["opening_customers"]),
        (N_("Paying customers at closing"), "mrr: closing_customers", "count", lambda r: f"={r.last('closing customers')}",
         lambda v: v["mrr"].details["closing_customers"]),
    ]  # fmt: skip
    if _arpu_on_mrr(cfg):
        out.append(("ARPU", "arpu", "money", lambda r: _safe_div(r.last("closing MRR"), r.last("closing customers")), lambda v: v["arpu"].value))
    out += [
        (N_("Quick ratio"), "quick-ratio", "ratio",
         lambda r: _safe_div(f"{r.sum('new MRR')}+{r.sum('reactivation MRR')}+{r.sum('expansion MRR')}",
                             f"{r.sum('contraction MRR')}+{r.sum('churn MRR')}"),
         lambda v: v["quick_ratio"].value),
        ("NRR", "ndr", "percent", lambda r: _safe_div(r.s("closing MRR of S"), r.s("opening MRR of S"), "*100"), lambda v: v["ndr"].value),
        ("GRR", "grr", "percent", lambda r: _safe_div(r.s("retained MRR of S"), r.s("opening MRR of S"), "*100"), lambda v: v["grr"].value),
        (N_("Revenue churn (gross)"), "revenue-churn", "percent",
         lambda r: _safe_div(f"{r.s('contraction of S')}+{r.s('churn of S')}", r.s("opening MRR of S"), "*100"),
         lambda v: v["revenue_churn"].value),
        (N_("Net MRR churn"), "revenue-churn: net_mrr_churn", "percent",
         lambda r: _safe_div(f"{r.s('contraction of S')}+{r.s('churn of S')}-{r.s('expansion of S')}", r.s("opening MRR of S"), "*100"),
         lambda v: v["revenue_churn"].details["net_mrr_churn"]),
        (N_("Revenue growth"), "revenue-growth", "percent",
         lambda r: _safe_div(f"{r.s('closing MRR of S')}-{r.s('opening MRR of S')}", r.s("opening MRR of S"), "*100"),
         lambda v: v["revenue_growth"].value),
        (N_("NRR, trailing 12 months"), "ndr --window 12m", "percent",
         lambda r: _safe_div(r.s("closing MRR of S", True), r.s("opening MRR of S", True), "*100"), lambda v: v["ndr_12m"].value),
        (N_("GRR, trailing 12 months"), "grr --window 12m", "percent",
         lambda r: _safe_div(r.s("retained MRR of S", True), r.s("opening MRR of S", True), "*100"), lambda v: v["grr_12m"].value),
    ]  # fmt: skip
    return out + _churn_metrics(cfg)


def _churn_metrics(cfg: Config) -> list[tuple[str, str, str, Formula, Value]]:
    """Customer churn by the configured method, and the trailing-12-month logo churn and retention."""
    opt = cfg.metrics.churn
    if opt.source == "customers":  # churn from customers.csv does not come from the MRR bridge
        return []
    if opt.method == "net":  # (paying at opening - paying at closing) / paying at opening

        def net(r: _Refs) -> str:
            return _safe_div(f"{r.first('opening customers')}-{r.last('closing customers')}", r.first("opening customers"), "*100")

        return [(N_("Customer churn (net)"), "churn", "percent", net, lambda v: v["churn"].value)]

    def churned(r: _Refs, trailing: bool) -> str:  # include_new: customers won and lost inside the window count too
        lost = r.s("churned customers", trailing)
        return f"{lost}+{r.s('new customers lost (include_new)', trailing)}" if opt.include_new else lost

    return [
        (N_("Customer churn"), "churn", "percent", lambda r: _safe_div(churned(r, False), r.s("starting customers"), "*100"),
         lambda v: v["churn"].value),
        (N_("Customer churn, trailing 12 months"), "churn --window 12m", "percent",
         lambda r: _safe_div(churned(r, True), r.s("starting customers", True), "*100"), lambda v: v["churn_12m"].value),
        (N_("Logo retention, trailing 12 months"), "churn --window 12m: logo_retention", "percent",
         lambda r: _safe_div(r.s("retained customers", True), r.s("starting customers", True), "*100"),
         lambda v: v["churn_12m"].details["logo_retention"]),
    ]  # fmt: skip


def _metrics_sheet(sh: _Sheet, frames, blocks: list[_Block], cfg: Config) -> None:
    current, previous = blocks[-1], blocks[0]
    header = [N_("metric"), N_("computed by"), N_("unit"), current.period.label, _("{period} (previous)", period=previous.period.label), N_("change")]
    for j, name in enumerate(header, 1):
        sh.text(1, j, name, bold=True)
    now_results, before_results = _results(frames, current.period, cfg), _results(frames, previous.period, cfg)
    for i, (label, source, unit, formula, value) in enumerate(_metrics(cfg), 2):  # one row = a metric, both periods
        sh.text(i, 1, label)
        sh.text(i, 2, source)
        sh.text(i, 3, unit)
        now, before = value(now_results), value(before_results)
        sh.formula(i, 4, formula(_Refs(current)), unit, f"{label}, {current.period.label}", now)
        sh.formula(i, 5, formula(_Refs(previous)), unit, f"{label}, {previous.period.label}", before)
        d, e = _a1(i, 4), _a1(i, 5)
        change = None if now is None or before is None else now - before
        sh.formula(i, 6, f'=IF(AND(ISNUMBER({d}),ISNUMBER({e})),{d}-{e},"{NA}")', unit, f"{label}, change", change)
    sh.ws.freeze_panes = "D2"
    sh.widths({1: 36, 2: 36, 3: 9, 4: 16, 5: 22, 6: 14})


def _checks_sheet(sh: _Sheet, checks: list[_Check]) -> str:
    """Every registered formula beside the value cs-metrics computed; returns the cell that counts the differences."""
    first, last = 5, 4 + len(checks)
    sh.text(1, 1, N_("formulas checked"), bold=True)
    sh.ws.cell(row=1, column=2, value=f"=COUNTA(A{first}:A{last})").number_format = COUNT_FORMAT
    sh.text(2, 1, N_("differences"), bold=True)
    sh.ws.cell(row=2, column=2, value=f'=COUNTIF(G{first}:G{last},"<>ok")').number_format = COUNT_FORMAT
    header = [N_("sheet"), N_("cell"), N_("what"), N_("formula gives"), N_("cs-metrics computed"), N_("difference"), N_("status")]
    for j, name in enumerate(header, 1):
        sh.text(4, j, name, bold=True)
    for i, c in enumerate(checks, first):  # one row = a formula cell of the workbook
        sh.text(i, 1, c.sheet)
        sh.text(i, 2, c.cell)
        sh.text(i, 3, _what(c.what))
        sh.ws.cell(row=i, column=4, value=f"={c.sheet}!{c.cell}").number_format = FORMATS[c.unit]
        sh.number(i, 5, c.expected, c.unit)
        sh.ws.cell(row=i, column=6, value=f'=IF(AND(ISNUMBER(D{i}),ISNUMBER(E{i})),ROUND(D{i}-E{i},4),IF(D{i}=E{i},0,"differs"))').number_format = DIFF_FORMAT
        sh.ws.cell(row=i, column=7, value=f'=IF(F{i}=0,"ok","CHECK")')
    sh.ws.freeze_panes = "A5"
    sh.widths({1: 10, 2: 8, 3: 52, 4: 16, 5: 20, 6: 12, 7: 8})
    return "Checks!$B$2"


def _about(sh: _Sheet, period: Period, previous: Period, cfg: Config, differences: str) -> None:
    from cs_metrics import __version__

    lines = [
        (N_("cs-metrics audit workbook"), ""),
        (N_("period"), f"{period.label} ({period.start}..{period.end})"),
        (N_("previous period"), f"{previous.label} ({previous.start}..{previous.end})"),
        (N_("currency"), cfg.currency.base or N_("as in the data (one currency)")),
        (N_("written by"), f"cs-metrics {__version__}"),
        ("", ""),
        ("Bridge", N_("The MRR bridge per monthly step: opening, new, reactivation, expansion, contraction, churn (data), "
                   "closing = opening + new + reactivation + expansion - contraction - churn (formula); a step opens "
                   "where the one before closed. Customers the same way.")),
        ("Retention", N_("The starting cohort S (customers paying at the opening snapshot) of each period and of the 12 "
                      "months to its end: its MRR at the opening and its expansion, contraction and churn to the "
                      "closing, customer by customer (data, or formulas on Bridge where it gives them: S's size and "
                      "MRR are a period's opening, and over one step S moves as the step); closing and retained MRR "
                      "of S (formulas).")),
        ("Metrics", N_("Each metric as a formula on Bridge and Retention: ARR = 12 x closing MRR, NRR = closing MRR of S / "
                    "opening MRR of S x 100, GRR = retained MRR of S / opening MRR of S x 100, churn = churned / "
                    "starting customers x 100, quick ratio = (new + reactivation + expansion) / (contraction + churn) ...")),
        ("Checks", N_("Every formula beside the value cs-metrics computed for it; differences are rounded to 4 decimals. "
                   "n/a marks a value that is undefined (a zero denominator).")),
        ("", ""),
    ]  # fmt: skip
    for i, (key, text) in enumerate(lines, 1):
        sh.text(i, 1, key, bold=i == 1 or key in ("Bridge", "Retention", "Metrics", "Checks"))
        if text:
            sh.text(i, 2, text)
    row = len(lines) + 1
    sh.text(row, 1, N_("differences"), bold=True)
    sh.ws.cell(row=row, column=2, value=f"={differences}").number_format = COUNT_FORMAT
    sh.widths({1: 26, 2: 120})


# --------------------------------------------------------------------------- the workbook


def audit_workbook(frames: dict[str, pd.DataFrame], period: Period, cfg: Config):
    """The audit workbook of P and the period before it (openpyxl Workbook, not saved)."""
    from openpyxl import Workbook
    from openpyxl.workbook.properties import CalcProperties

    wb = Workbook()
    wb.remove(wb.active)
    checks: list[_Check] = []
    about = _Sheet(wb, "About", checks)
    previous = period.previous()
    blocks = _bridge(_Sheet(wb, "Bridge", checks), frames, [previous, period], cfg)
    _retention(_Sheet(wb, "Retention", checks), frames, blocks, cfg)
    _metrics_sheet(_Sheet(wb, "Metrics", checks), frames, blocks, cfg)
    differences = _checks_sheet(_Sheet(wb, "Checks", []), checks)
    _about(about, period, previous, cfg, differences)
    wb.calculation = CalcProperties(fullCalcOnLoad=True)  # spreadsheet programs compute every formula on opening
    return wb


def write_audit(path: Path, cfg: Config, period: Period, ds=None):
    """Read the subscriptions, write the audit workbook atomically; returns the Dataset (row accounting)."""
    from cs_metrics.load import Dataset
    from cs_metrics.metrics import REGISTRY
    from cs_metrics.runner import load_inputs

    from cs_metrics.profiles import configured, in_force

    if in_force(cfg).fx_movement:  # the bridge sheet has no fx column: a change from exchange rates is expansion or contraction
        cfg = configured(cfg, fx_movement=False)
    ds = ds or Dataset(cfg)
    frames = load_inputs(REGISTRY["mrr"], cfg, ds)
    _save(audit_workbook(frames, period, cfg), path)
    return ds
