"""The shape of sampled values: date formats, decimal comma, survey labels, inclusive end dates."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from cs_metrics.contract import SURVEY_KINDS
from cs_metrics.init.matching import _compact, normalise_header

SURVEY_LABEL_WORDS: dict[str, tuple[str, ...]] = {
    "nps": ("nps", "net_promoter", "promoter", "recommend", "净推荐值", "推荐"),
    "csat": ("csat", "satisfaction", "satisfied", "满意度", "满意", "ความพึงพอใจ"),
    "ces": ("ces", "effort", "customer_effort", "费力度", "ความง่าย"),
}

# Strftime formats tried for dates that are not ISO, in order of preference. None has a space:
# the loader applies date_format to the text before the first space or `T` (a time is dropped).
DATE_FORMATS = (
    "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%Y", "%m-%d-%Y", "%d/%m/%y",
    "%m/%d/%y", "%Y.%m.%d", "%Y%m%d", "%d-%b-%Y", "%Y-%m-%d",
)
# Pairs that read the same sample equally well: the first is assumed and the choice is flagged.
AMBIGUOUS_DATES = {"%d/%m/%Y": "%m/%d/%Y", "%d-%m-%Y": "%m-%d-%Y", "%d/%m/%y": "%m/%d/%y"}

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?$")

# ---------------------------------------------------------------------------------------------
# Value shapes: dates, decimal comma, survey labels, inclusive end dates
# ---------------------------------------------------------------------------------------------


def _misses(values: list[str], fmt: str) -> list[str]:
    """The sample values that do not read as `fmt`."""
    out = []
    for v in values:
        try:
            datetime.strptime(v, fmt)
        except ValueError:
            out.append(v)
    return out


MIN_DATE_SHARE = 0.8  # a format that reads this share of the sample is proposed; the rest get rejected


def detect_date_format(values: list[str]) -> tuple[str | None, list[str]]:
    """(strftime format or None for ISO, notes) from sample values of one date column.

    Like the loader, it looks only at the date before a time of day, so `31/05/2024 14:03` gives
    `%d/%m/%Y`. The format that reads most of the sample wins when it reads at least 80 % of it:
    a real export often holds a few impossible dates (31/02/2024), which the loader then rejects
    with their line numbers."""
    if not values or all(_ISO_DATE.match(v) for v in values):
        return None, []
    days = [re.split(r"[ T]", v, maxsplit=1)[0] for v in values]
    years = [int(m.group(0)) for v in values for m in [re.search(r"(?<!\d)(2[4-6]\d\d)(?!\d)", v)] if m]
    be = ["TODO: years like %d look like the Thai Buddhist Era (subtract 543): convert them to CE in the export" % years[0]] if years else []
    misses = {fmt: _misses(days, fmt) for fmt in DATE_FORMATS}
    fmt = min(DATE_FORMATS, key=lambda f: len(misses[f]))  # ties: the first in DATE_FORMATS (day-first)
    if (len(days) - len(misses[fmt])) / len(days) < MIN_DATE_SHARE:
        return None, be + [f"TODO: dates like {values[0]!r} are neither ISO nor a known format: set date_format by hand"]
    notes = list(be)
    other = AMBIGUOUS_DATES.get(fmt)
    if other and len(misses[other]) <= len(misses[fmt]):
        notes.append(
            f"CHECK: every date sampled (e.g. {values[0]}) reads both day-first and month-first; "
            f"assumed day-first {fmt}. Use {other} if the export is month-first"
        )
    if misses[fmt]:
        notes.append(
            f"CHECK: {len(misses[fmt])} of {len(days)} sampled dates do not read as {fmt} "
            f"(e.g. {misses[fmt][0]!r}); those rows will be rejected: `cs-metrics validate` lists their lines"
        )
    return fmt, notes


_MONEY_CHARS = re.compile(r"[^\d.,]")


def detect_decimal_comma(values: list[str], delimiter: str) -> bool:
    """True when money values read `1.234,50` or `12,5`; False at the first `1,234.50` or `12.50`.

    `12,5` counts only in files not delimited by commas (there it would have to be quoted).
    Values like `1,234` or `1.234` say nothing either way.
    """
    comma = False
    for v in values:
        digits = _MONEY_CHARS.sub("", v)
        if re.fullmatch(r"\d{1,3}(\.\d{3})+,\d+", digits) or (delimiter != "," and re.fullmatch(r"\d+,\d{1,2}", digits)):
            comma = True
        elif re.fullmatch(r"\d{1,3}(,\d{3})+\.\d+", digits) or re.fullmatch(r"\d+\.\d{1,2}", digits):
            return False
    return comma


def _survey_labels(values: list[str]) -> tuple[dict[str, str], list[str]]:
    labels: dict[str, str] = {}
    unknown: list[str] = []
    for value in dict.fromkeys(values):
        key = _compact(normalise_header(value))
        if key in SURVEY_KINDS:
            continue
        kind = next(
            (k for k, words in SURVEY_LABEL_WORDS.items() if any(_compact(normalise_header(w)) in key for w in words)),
            None,
        )
        if kind:
            labels[value] = kind
        else:
            unknown.append(value)
    return labels, unknown


def _to_date(value: str, fmt: str | None) -> date | None:
    try:
        return (datetime.strptime(re.split(r"[ T]", value, maxsplit=1)[0], fmt) if fmt else datetime.fromisoformat(value[:10])).date()
    except ValueError:
        return None


def _looks_end_inclusive(starts: list[str], ends: list[str], fmt: str | None) -> bool:
    """Starts on the 1st and ends on a month's last day (at least 3 ends, 80% each): the end is the last day of service."""
    start_days = [d for d in (_to_date(v, fmt) for v in starts) if d]
    end_days = [d for d in (_to_date(v, fmt) for v in ends) if d]
    if len(end_days) < 3 or not start_days:
        return False
    firsts = sum(d.day == 1 for d in start_days) / len(start_days)
    month_ends = sum((d + timedelta(days=1)).day == 1 for d in end_days) / len(end_days)
    return firsts >= 0.8 and month_ends >= 0.8


