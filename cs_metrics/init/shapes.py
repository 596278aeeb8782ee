"""The shape of sampled values: what a column holds (dates, datetimes, epochs, flags, counts, money,
e-mails, ids ...), date and datetime formats, decimal comma, survey labels, inclusive end dates."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
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
    be: list[str] = []  # Buddhist-era years (2569) read with any format: `buddhist_era` converts them
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




# ---------------------------------------------------------------------------------------------
# What a column holds
# ---------------------------------------------------------------------------------------------

BOOL_WORDS = {"true", "false", "yes", "no", "y", "n", "t", "f"}
# Times of day tried after a date format, for a date_format / datetime_format that reads the whole value.
TIMES = (" %H:%M:%S", " %H:%M", " %I:%M:%S %p", " %I:%M %p", " %H:%M:%S %Z", " %H:%M %Z", "T%H:%M:%S", " %H:%M:%S.%f")
_INT = re.compile(r"^[+-]?\d+$")
_NUMBER = re.compile(r"^\(?[+-]?(?:[A-Z]{3} ?)?[$€£¥฿₩₹]? ?[+-]?\d[\d,. ]*\)?(?: ?[A-Z]{3})?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_DOMAIN = re.compile(r"^(?:https?://)?(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)+/?$", re.IGNORECASE)
_TIME = re.compile(r"\d{1,2}:\d{2}")
_BE_YEAR = re.compile(r"(?<!\d)(2[4-6]\d\d)(?!\d)")
_DATEISH = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?!\d)|\d{8}(?!\d)|\d{1,2}[- ][A-Za-z]{3}")
EPOCH_DIGITS = {10: "epoch", 13: "epoch_ms", 16: "epoch_us"}
EPOCH_RANGE = (946_684_800, 4_102_444_800)  # 2000-01-01 .. 2100-01-01, in seconds


@dataclass
class Shape:
    """What the sampled values of one column look like."""

    kind: str  # empty, bool, count, seq, const, int, number, money, epoch, date, datetime, email, domain, json, text
    fmt: str | None = None  # date / datetime: the strftime format (None: ISO); epoch: epoch, epoch_ms, epoch_us
    offset: bool = False  # datetime values carry their zone (Z, +07:00, UTC): instants
    buddhist_era: bool = False
    notes: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)

    @property
    def is_dated(self) -> bool:
        return self.kind in ("date", "datetime", "epoch")

    @property
    def is_numeric(self) -> bool:
        return self.kind in ("count", "seq", "const", "int", "number", "money", "bool01")


def epoch_unit(values: list[str]) -> str | None:
    """epoch / epoch_ms / epoch_us when every value is a whole number of 10 / 13 / 16 digits that
    lands between 2000 and 2100."""
    if not values or not all(_INT.match(v) for v in values):
        return None
    digits = {len(v.lstrip("+-")) for v in values}
    if len(digits) != 1 or (unit := EPOCH_DIGITS.get(digits.pop())) is None:
        return None
    scale = {"epoch": 1, "epoch_ms": 1_000, "epoch_us": 1_000_000}[unit]
    return unit if all(EPOCH_RANGE[0] <= int(v) / scale < EPOCH_RANGE[1] for v in values) else None


def detect_time_format(values: list[str], date_fmt: str | None) -> str | None:
    """A format reading each whole value (date and time of day), for values that are not ISO;
    None when no single one does."""
    if not values:
        return None
    fmts = [date_fmt] if date_fmt else list(DATE_FORMATS)
    for d in fmts:
        for t in TIMES:
            fmt = d + t
            if not _misses(values, fmt):
                return fmt
    return None


def shape_of(values: list[str], ordered: list[str] | None = None) -> Shape:
    """Classify a column from its sampled non-empty values (`ordered`: every cell in file order)."""
    if not values:
        return Shape("empty")
    low = {v.casefold() for v in values}
    if low <= BOOL_WORDS:
        return Shape("bool", values=values)
    unit = epoch_unit(values)
    if unit:
        return Shape("epoch", fmt=unit, offset=True, values=values)
    if all(_INT.match(v) for v in values):
        numbers = [int(v) for v in values]
        cells = ordered or values
        if len(set(numbers)) == 1:
            return Shape("const", values=values)
        if low <= {"0", "1"}:
            return Shape("bool01", values=values)
        seq = [int(v) for v in cells if _INT.match(v or "x")]
        if len(seq) >= 3 and len(seq) == len(cells) and all(b - a == 1 for a, b in zip(seq, seq[1:])):
            return Shape("seq", values=values)
        if min(numbers) >= 0 and max(numbers) < 1000:
            return Shape("count", values=values)
        return Shape("int", values=values)
    dated = _date_shape(values)
    if dated:
        return dated
    if all(_NUMBER.match(v) for v in values):
        return Shape("money" if any(re.search(r"[$€£¥฿₩₹]|,\d{3}|\d\.\d{2}$", v) for v in values) else "number", values=values)
    if all(_EMAIL.match(v) for v in values):
        return Shape("email", values=values)
    if all(_DOMAIN.match(v) for v in values):
        return Shape("domain", values=values)
    if all(v.startswith(("{", "[")) for v in values):
        return Shape("json", values=values)
    return Shape("text", values=values)


def _date_shape(values: list[str]) -> Shape | None:
    """A date or datetime column: ISO, or a format reading 80 % of the sample; None otherwise."""
    if sum(bool(_DATEISH.match(v)) for v in values) < MIN_DATE_SHARE * len(values):
        return None  # most values do not even start like a date: no format is tried (it is slow)
    timed = [v for v in values if _TIME.search(v)]
    kind = "datetime" if len(timed) == len(values) else "date"
    be = any(_BE_YEAR.search(v) for v in values)
    if all(_ISO_DATE.match(v) for v in values):
        offset = all(re.search(r"(?:Z|[+-]\d{2}:?\d{2})$", v) for v in values)
        return Shape(kind, None, offset=offset, buddhist_era=be, values=values)
    fmt, notes = detect_date_format(values)
    if fmt is None:
        if timed and re.match(r"^\d{4}-\d{2}-\d{2}", values[0]):  # ISO with a zone name: 2026-06-10 03:12:00 UTC
            full = detect_time_format(values, "%Y-%m-%d")
            if full:
                return Shape(kind, full, offset="%Z" in full, buddhist_era=be, values=values)
        return None
    if re.fullmatch(r"\d{8}", values[0]) and fmt == "%Y%m%d" and not be:
        return None  # eight digits: a number more often than a date
    shape = Shape(kind, fmt, buddhist_era=be, notes=notes, values=values)
    if kind == "datetime":
        full = detect_time_format(values, fmt)
        if full:
            shape.fmt = full
            shape.offset = "%Z" in full
    return shape


def domain_of(value: str) -> str | None:
    """acme.com from jane@acme.com, https://www.acme.com/x, www.acme.com or acme.com."""
    v = value.strip().lower()
    if "@" in v:
        v = v.rsplit("@", 1)[1]
    v = re.sub(r"^[a-z]+://", "", v).split("/")[0].split("?")[0]
    v = v.removeprefix("www.")
    return v if _DOMAIN.match(v) and "." in v else None
