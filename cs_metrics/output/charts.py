"""The charts of the HTML report, drawn by matplotlib as inline SVG.

Why matplotlib: it renders to SVG on the machine that writes the report, so the page needs no
JavaScript and no network to show its charts — it opens from an e-mail attachment, a shared drive
or a mail client's preview (which runs no script), prints as vectors, and is the same bytes on
every run. Text stays text (`svg.fonttype: none`): the page's font stack draws it, so Thai and
Chinese come out in the reader's fonts like the rest of the page.

Every function takes plain values (labels, numbers, None for n/a) and returns one `Chart`: the
SVG with its element ids prefixed by the chart's key (the page inlines many SVGs, and ids must be
unique in a page), and the names of the series it drew, each a group with the id
`<key>.series-<name>` (bands: `<key>.band-<name>`), which the browser test counts.

This module imports matplotlib: only the HTML report imports it.
"""

from __future__ import annotations

import io
import math
import re
import warnings
from dataclasses import dataclass, field

import matplotlib
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter, FuncFormatter, MaxNLocator

from cs_metrics.i18n import N_, _

# One palette for the page and the charts (the page's CSS repeats the class colours).
COLORS = {
    "new": "#2f9e44",
    "reactivation": "#8ce99a",
    "expansion": "#1c7ed6",
    "contraction": "#f59f00",
    "churn": "#e03131",
    "level": "#495057",
    "net": "#212529",
    "nrr": "#1c7ed6",
    "grr": "#0ca678",
    "nps": "#7048e8",
    "csat": "#1c7ed6",
    "ces": "#f08c00",
    "tickets": "#74c0fc",
    "resolved": "#1864ab",
    "complaints": "#e03131",
    "fcr": "#2f9e44",
    "dau-mau": "#5f3dc4",
    "usage": "#0ca678",
    "good": "#2f9e44",
    "at_risk": "#f59f00",
    "poor": "#e03131",
    "total": "#adb5bd",
    "segment": "#1c7ed6",
}
MOVEMENTS = ("new", "reactivation", "expansion", "contraction", "churn")
MOVEMENT_NAMES = {"new": N_("New"), "reactivation": N_("Reactivation"), "expansion": N_("Expansion"), "contraction": N_("Contraction"), "churn": N_("Churn")}
_RC = {
    "svg.fonttype": "none",  # text as text: the page's fonts draw it
    "svg.hashsalt": "cs-metrics",  # the same ids, so the same bytes, on every run
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],  # measures the labels; the page's CSS chooses the font shown
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#adb5bd",
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#e9ecef",
    "grid.linewidth": 0.8,
    "axes.axisbelow": True,
    "xtick.color": "#495057",
    "ytick.color": "#495057",
    "legend.frameon": False,
    "legend.fontsize": 8,
    "lines.linewidth": 2,
    "lines.markersize": 4,
}
# red at 0, yellow at 50, green at 100 and above: the terminal heat map's stops (render.heat_rgb)
HEAT = LinearSegmentedColormap.from_list("heat", [(0.0, "#d73027"), (0.5, "#fee066"), (1.0, "#1a9850")])


@dataclass
class Chart:
    key: str
    svg: str
    series: list[str] = field(default_factory=list)
    bands: list[str] = field(default_factory=list)


@dataclass
class Line:
    """One line over the trend; `low`/`high` draw its confidence band when given."""

    name: str
    label: str
    values: list[float | None]
    color: str
    low: list[float | None] | None = None
    high: list[float | None] | None = None


# --------------------------------------------------------------------------- helpers


def compact(v: float, unit: str = "") -> str:
    """A value written on a chart, to three significant digits: 83.6k, 1.25M, 4.9k, 12.5 %, 0.84 %."""
    a = abs(v)
    if unit == "percent":
        return f"{v:,.0f} %" if a >= 100 else f"{v:,.1f} %" if a >= 1 or v == 0 else f"{v:,.2f} %"
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= scale:
            x = v / scale
            return (f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.1f}" if abs(x) >= 10 else f"{x:,.2f}").rstrip("0").rstrip(".") + suffix
    return f"{v:,.0f}" if a >= 100 or v == int(v) else f"{v:,.1f}" if a >= 10 else f"{v:,.2f}"


class _Ticks(Formatter):
    """Axis labels with as many decimals as the tick step needs (10.55 %, 10.70 %; 68k, 72k; 2.5k)."""

    def __init__(self, unit: str):
        self.unit = unit
        self.ticks: list[float] = []

    def set_locs(self, locs) -> None:
        self.ticks = [float(x) for x in locs]

    def __call__(self, v, pos=None) -> str:
        if v == 0:
            return "0 %" if self.unit == "percent" else "0"
        scale, suffix = 1.0, ""
        if self.unit != "percent":
            top = max((abs(x) for x in self.ticks), default=abs(v))
            scale, suffix = next(((s, x) for s, x in ((1e9, "B"), (1e6, "M"), (1e3, "k")) if top >= s), (1.0, ""))
        diffs = [b - a for a, b in zip(self.ticks, self.ticks[1:]) if b > a]
        step = (min(diffs) if diffs else 1.0) / scale
        decimals = next((d for d in range(4) if abs(step * 10**d - round(step * 10**d)) < 1e-6), 3)  # enough to tell ticks apart
        text = f"{v / scale:,.{decimals}f}{suffix}"
        return f"{text} %" if self.unit == "percent" else text


def _nan(values) -> list[float]:
    return [math.nan if v is None else float(v) for v in values]


def _figure(
    width: float, height: float, ncols: int = 1, nrows: int = 1, *,
    left: float = 0.62, right: float = 0.2, top: float = 0.3, bottom: float = 0.36, wspace: float = 0.8, hspace: float = 0.5, **kw,
):  # fmt: skip
    """A figure of `ncols` x `nrows` panels with fixed margins and gaps, in inches (a layout engine
    would draw every figure twice: this halves the time of the page)."""
    fig = Figure(figsize=(width, height))
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    panel_w = (width - left - right - (ncols - 1) * wspace) / ncols
    panel_h = (height - top - bottom - (nrows - 1) * hspace) / nrows
    fig.subplots_adjust(
        left=left / width, right=1 - right / width, top=1 - top / height, bottom=bottom / height,
        wspace=wspace / panel_w if ncols > 1 else 0.2, hspace=hspace / panel_h if nrows > 1 else 0.2,
    )  # fmt: skip
    return fig, [ax for row in axes for ax in row]


def _x_axis(ax, labels: list[str], most: int = 7) -> None:
    """Period labels on a categorical axis, thinned to at most `most` visible (the latest always)."""
    step = max(1, math.ceil(len(labels) / most))
    ticks = list(range(len(labels) - 1, -1, -step))[::-1]  # always label the latest period
    ax.set_xticks(ticks, [labels[i] for i in ticks])
    ax.set_xlim(-0.6, len(labels) - 0.4)
    ax.tick_params(axis="x", length=0)


def _most(panel_width: float) -> int:
    """How many period labels fit under a panel that many inches wide."""
    return max(2, min(8, int(panel_width / 0.85)))


def _y_format(ax, unit: str) -> None:
    ax.yaxis.set_major_formatter(_Ticks(unit))
    ax.yaxis.set_major_locator(MaxNLocator(5))


_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(url\(#|xlink:href="#)([^)"]+)')


def _svg(fig: Figure, key: str) -> str:
    """The figure as an <svg> element to inline: no XML prolog, no fixed size (the page scales it),
    every id prefixed with `key.` and made unique (matplotlib repeats a gid on each bar)."""
    buf = io.StringIO()
    with _rc(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a glyph DejaVu lacks: the page's font draws it
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, facecolor="white")
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    text = re.sub(r'<svg ([^>]*?)width="[^"]*" height="[^"]*" ', r'<svg \1role="img" ', text, count=1)
    seen: dict[str, int] = {}

    def rename(m: re.Match) -> str:
        old = m.group(1)
        seen[old] = seen.get(old, 0) + 1
        return f'id="{key}.{old}"' if seen[old] == 1 else f'id="{key}.{old}.{seen[old]}"'

    text = _ID.sub(rename, text)
    return _REF.sub(lambda m: f"{m.group(1)}{key}.{m.group(2)}", text)


def _done(fig: Figure, key: str, series: list[str], bands: list[str] | None = None) -> Chart:
    return Chart(key, _svg(fig, key), series, bands or [])


def _rc():
    return matplotlib.rc_context(_RC)


# --------------------------------------------------------------------------- MRR


def waterfall(key: str, opening: float, movements: dict[str, float], closing: float) -> Chart:
    """The MRR bridge of the period: opening, each movement floating from the running total, closing.
    The value axis starts below the lowest level (not at 0) so that the movements are visible."""
    names = ["opening", *MOVEMENTS, "closing"]
    labels = [_(x) for x in (N_("Opening"), N_("New"), N_("Reactiv."), N_("Expansion"), N_("Contraction"), N_("Churn"), N_("Closing"))]
    with _rc():
        fig, (ax,) = _figure(6.4, 3.2, right=0.1, top=0.12, bottom=0.3)
        level, levels = opening, [opening]
        bottoms, heights = [0.0], [opening]
        for m in MOVEMENTS:
            amount = movements.get(m) or 0.0
            signed = -amount if m in ("contraction", "churn") else amount
            bottoms.append(min(level, level + signed))
            heights.append(abs(signed))
            level += signed
            levels.append(level)
        bottoms.append(0.0)
        heights.append(closing)
        top, low = max(levels + [closing]), min(levels + [closing])
        span = max(top - low, abs(top) * 0.02, 1.0)
        floor = max(0.0, low - 1.2 * span)
        for i, name in enumerate(names):
            color = COLORS["level"] if name in ("opening", "closing") else COLORS[name]
            b = bottoms[i] if name not in ("opening", "closing") else floor
            h = heights[i] if name not in ("opening", "closing") else heights[i] - floor
            ax.bar(i, h, bottom=b, color=color, width=0.62, gid=f"series-{name}")
            value = heights[i]
            text = compact(value) if name in ("opening", "closing") else ("−" if name in ("contraction", "churn") else "+") + compact(value)
            ax.annotate(text, (i, b + h), xytext=(0, 3), textcoords="offset points", ha="center", va="bottom", fontsize=8)
        for i in range(len(names) - 1):  # connectors between the running totals
            y = levels[i] if i < len(levels) else closing
            ax.plot([i + 0.31, i + 0.69], [y, y], color="#adb5bd", linewidth=0.8)
        ax.set_xticks(range(len(names)), labels)
        ax.tick_params(axis="x", length=0)
        ax.set_ylim(floor, top + span * 0.25)
        _y_format(ax, "money")
    return _done(fig, key, names)


def mrr_trend(key: str, labels: list[str], closing: list[float | None], movements: dict[str, list[float | None]]) -> Chart:
    """Closing MRR over the trend (top) and the five movements as stacked bars, losses below zero,
    with the net new MRR as a line (bottom)."""
    with _rc():
        fig, (top, bottom) = _figure(6.4, 4.6, nrows=2, sharex=True, height_ratios=(1, 1.4), bottom=0.62, hspace=0.4)
        x = list(range(len(labels)))
        top.plot(x, _nan(closing), color=COLORS["level"], marker="o", gid="series-mrr")
        known = [v for v in closing if v is not None]
        if known:
            top.fill_between(x, _nan(closing), min(known) * 0.98, color=COLORS["level"], alpha=0.08, linewidth=0)
            top.set_ylim(min(known) * 0.98, max(known) * 1.02)
        top.set_title(_("Closing MRR"))
        _y_format(top, "money")
        up = [0.0] * len(x)
        down = [0.0] * len(x)
        for m in MOVEMENTS:
            values = [v or 0.0 for v in movements[m]]
            if m in ("contraction", "churn"):
                bottom.bar(x, [-v for v in values], bottom=down, color=COLORS[m], width=0.7, label=_(MOVEMENT_NAMES[m]), gid=f"series-{m}")
                down = [d - v for d, v in zip(down, values)]
            else:
                bottom.bar(x, values, bottom=up, color=COLORS[m], width=0.7, label=_(MOVEMENT_NAMES[m]), gid=f"series-{m}")
                up = [u + v for u, v in zip(up, values)]
        net = [
            None if all(movements[m][i] is None for m in MOVEMENTS) else sum((movements[m][i] or 0.0) * (-1 if m in ("contraction", "churn") else 1) for m in MOVEMENTS)
            for i in x
        ]
        bottom.plot(x, _nan(net), color=COLORS["net"], marker="o", linewidth=1.5, label=_("Net new MRR"), gid="series-net")
        bottom.axhline(0, color="#868e96", linewidth=0.8)
        bottom.set_title(_("MRR movements"))
        bottom.legend(ncols=6, loc="upper center", bbox_to_anchor=(0.5, -0.12), handlelength=1.2, columnspacing=1.0)
        _y_format(bottom, "money")
        _x_axis(bottom, labels)
    return _done(fig, key, ["mrr", *MOVEMENTS, "net"])


# --------------------------------------------------------------------------- lines over the trend


def _draw_lines(ax, x: list[int], group: list[Line], unit: str, series: list[str], bands: list[str]) -> None:
    """Each line with its band (when it has one), and its latest value written at its end."""
    for line in group:
        if line.low is not None and line.high is not None:
            ax.fill_between(x, _nan(line.low), _nan(line.high), color=line.color, alpha=0.15, linewidth=0, gid=f"band-{line.name}")
            bands.append(line.name)
        ax.plot(x, _nan(line.values), color=line.color, marker="o", label=line.label, gid=f"series-{line.name}")
        series.append(line.name)
        if line.values and line.values[-1] is not None:
            ax.annotate(compact(line.values[-1], unit), (x[-1], line.values[-1]), xytext=(5, 0), textcoords="offset points",
                        va="center", fontsize=8, color=line.color, annotation_clip=False)  # fmt: skip


def lines(
    key: str,
    labels: list[str],
    panels: list[tuple[str, str, list[Line]]],
    reference: dict[int, float] | None = None,
    width: float = 6.4,
    height: float = 2.6,
) -> Chart:
    """One panel per (title, unit, lines), side by side; `reference` draws a dashed line (e.g. 100 %
    for NRR) in the panel of that index. A None value leaves a gap in its line."""
    series: list[str] = []
    bands: list[str] = []
    with _rc():
        legend = any(len(group) > 1 for _, _, group in panels)
        fig, axes = _figure(width, height, ncols=len(panels), right=0.55, bottom=0.62 if legend else 0.36, wspace=1.05)
        x = list(range(len(labels)))
        for k, (ax, (title, unit, group)) in enumerate(zip(axes, panels)):
            _draw_lines(ax, x, group, unit, series, bands)
            if reference and k in reference:
                ax.axhline(reference[k], color="#868e96", linewidth=0.8, linestyle="--")
            ax.set_title(title)
            _y_format(ax, unit)
            _x_axis(ax, labels, _most(width / len(panels)))
            if len(group) > 1:
                ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=len(group))
    return _done(fig, key, series, bands)


def bars_and_lines(key: str, labels: list[str], bars: list[Line], title: str, right: tuple[str, str, list[Line]] | None = None) -> Chart:
    """Grouped count bars over the trend (tickets: created, resolved, complaints) and, beside them,
    a panel of lines (FCR with its band)."""
    series: list[str] = []
    bands: list[str] = []
    with _rc():
        fig, axes = _figure(6.4, 2.9, ncols=2 if right else 1, left=0.5, right=0.55, bottom=0.62, wspace=1.0)
        x = list(range(len(labels)))
        ax = axes[0]
        width = 0.8 / max(len(bars), 1)
        for j, b in enumerate(bars):
            offset = (j - (len(bars) - 1) / 2) * width
            ax.bar([i + offset for i in x], [v or 0.0 for v in b.values], width=width, color=b.color, label=b.label, gid=f"series-{b.name}")
            series.append(b.name)
        ax.set_title(title)
        _y_format(ax, "count")
        _x_axis(ax, labels, _most(3.2))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=len(bars))
        if right:
            rtitle, unit, group = right
            _draw_lines(axes[1], x, group, unit, series, bands)
            axes[1].set_title(rtitle)
            _y_format(axes[1], unit)
            _x_axis(axes[1], labels, _most(3.2))
    return _done(fig, key, series, bands)


# --------------------------------------------------------------------------- cohorts and health


def heatmap(key: str, rows: list[str], columns: list[str], grid: list[list[float | None]], title: str) -> Chart:
    """A cohort grid: one row per cohort, one column per month since; red (0) -> yellow (50) ->
    green (100 or more), blank where the month has not come yet, the percentage in each cell."""
    import numpy as np

    with _rc():
        height = 0.9 + 0.24 * max(len(rows), 1)
        fig, (ax,) = _figure(6.4, height, left=0.95, right=0.1, top=0.6, bottom=0.08)
        data = np.ma.masked_invalid(np.array([_nan(r) for r in grid], dtype=float))
        ax.pcolormesh(np.clip(data, 0, 100), cmap=HEAT, vmin=0, vmax=100, edgecolors="white", linewidth=1, gid="series-cohorts")
        for i, r in enumerate(grid):
            for j, v in enumerate(r):
                if v is not None:
                    ax.text(j + 0.5, i + 0.5, f"{v:.0f}", ha="center", va="center", fontsize=7, color="#212529")
        ax.set_xticks([j + 0.5 for j in range(len(columns))], columns)
        ax.set_yticks([i + 0.5 for i in range(len(rows))], rows)
        ax.invert_yaxis()
        ax.xaxis.tick_top()
        ax.tick_params(length=0, labelsize=8)
        ax.grid(False)
        for side in ("left", "bottom", "top", "right"):
            ax.spines[side].set_visible(False)
        ax.set_title(title, loc="left", pad=18)
    return _done(fig, key, ["cohorts"])


def class_bars(key: str, classes: list[str], labels: list[str], customers: list[float], mrr: list[float]) -> Chart:
    """Health classes: customers and MRR per class, side by side, in the class colours."""
    with _rc():
        fig, axes = _figure(5.6, 2.2, ncols=2, left=0.6, right=0.3, wspace=0.95)
        for ax, values, title, unit in ((axes[0], customers, _("Customers"), "count"), (axes[1], mrr, "MRR", "money")):
            y = list(range(len(classes)))
            for i, c in enumerate(classes):
                ax.barh(i, values[i], color=COLORS[c], height=0.6, gid=f"series-{c}")
                ax.annotate(compact(values[i]), (values[i], i), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
            ax.set_yticks(y, labels)
            ax.invert_yaxis()
            ax.set_title(title)
            ax.grid(axis="x", color="#e9ecef")
            ax.grid(axis="y", visible=False)
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: compact(v)))
            ax.xaxis.set_major_locator(MaxNLocator(4))
            ax.margins(x=0.18)
            ax.tick_params(axis="y", length=0)
    return _done(fig, key, list(classes))


def small_multiple(
    key: str, labels: list[str], values: list[float | None], total: list[float | None] | None, unit: str, ylim: tuple[float, float] | None
) -> Chart:
    """One segment's line over the trend, beside the total's (grey) when given, on a scale shared by
    the segments of one metric: the segment's name is the page's caption, not part of the picture."""
    with _rc():
        fig, (ax,) = _figure(2.5, 1.45, left=0.5, right=0.12, top=0.1, bottom=0.28)
        x = list(range(len(labels)))
        if total is not None:
            ax.plot(x, _nan(total), color=COLORS["total"], linewidth=1.2, gid="series-total")
        ax.plot(x, _nan(values), color=COLORS["segment"], linewidth=1.8, marker="o", markersize=2.5, gid="series-segment")
        if ylim and all(math.isfinite(v) for v in ylim) and ylim[0] < ylim[1]:
            ax.set_ylim(*ylim)
        _y_format(ax, unit)
        ax.yaxis.set_major_locator(MaxNLocator(3))
        ticks = [0, len(labels) - 1] if len(labels) > 1 else [0]
        ax.set_xticks(ticks, [labels[i] for i in ticks])
        ax.tick_params(labelsize=7, length=0)
    return _done(fig, key, ["segment"] if total is None else ["total", "segment"])
