"""Cell values -> typed values: one acceptance rule per type, whichever path reads the file.

Two paths read a typed column. The fast path lets Arrow's CSV reader parse ISO dates, ISO
datetimes without an offset and plain numbers while it reads; the text path reads the column as
text and parses it here. A file goes down the text path when Arrow refuses any value of a typed
column, so the text path must accept every value Arrow accepts, with the same result, and a value
must never be accepted on one path and rejected on the other (tests/test_values.py checks the two
against each other). Only an empty cell is empty: `NULL`, `NA`, `nan` are not values of any type.

Times: a datetime column holds instants, as int64-compatible datetime64[us] in UTC. A naive value
is wall-clock time in the config's time zone; a value with an offset (`Z`, `+07`, `+07:00`) is an
instant. A date column holds local days (datetime64[us] at midnight); a datetime written in a date
column is converted to the config's time zone before its day is taken.

Length: a typed cell longer than MAX_TYPED_CHARS is rejected before any pattern looks at it, and
every pattern here is linear in its input, so a hostile file never costs more than its size.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

MONEY_SCALE = 10_000  # money is int64 in 1/10,000 of a currency unit
MRR_SCALE = MONEY_SCALE * 144  # MRR is int64 in 1/1,440,000 of a unit: every billing interval divides it
MAX_MONEY = 10**11  # a money cell above 100,000,000,000 (after conversion) is rejected: sums stay exact in int64
MAX_TYPED_CHARS = 100  # longer money, number, int, bool, date or datetime cells are rejected unparsed
US_PER_DAY = 86_400_000_000
NAT = np.iinfo("int64").min

TRUE = frozenset({"true", "yes", "y", "1", "t"})
FALSE = frozenset({"false", "no", "n", "0", "f"})

# A plain number as Arrow's float parser reads it (after trimming): sign, digits with an optional
# decimal point, optional exponent. Arrow also reads `nan` and `inf`: no value of ours, rejected on both paths.
NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
INT = re.compile(r"[+-]?\d+(?:\.0+)?")
# ISO date, optional time (hour, minute, second, fraction) after `T` or a space, optional offset:
# `Z`, `+07`, `+0700`, `+07:00`, or the zone word ` UTC` / ` GMT` (Recurly writes `2026-06-10 03:12:00 UTC`).
ZONE = r"Z|[+-]\d{2}(?::?\d{2})?| ?(?:UTC|GMT)"
ISO = re.compile(
    r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<h>\d{2})(?::(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?)?)?"
    r"(?P<z>" + ZONE + r")?"
)
# A time of day after a date written in a custom date_format: hour and minute, optional seconds and
# fraction, optional AM/PM, optional offset. Matched against the text after the date part only.
TIME_SUFFIX = re.compile(
    r"[T ](?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
    r"(?: ?(?P<ampm>[AaPp]\.?[Mm]\.?))?(?: ?(?P<z>" + ZONE + r"))?"
)
_MONEY = re.compile(
    r"(?P<s1>[-+])?(?:[A-Z]{3} ?)?(?P<sym>[$€£¥฿₩₹])? ?(?P<s2>[-+])?(?P<num>[0-9][0-9., ]*[0-9]|[0-9])(?: ?[A-Z]{3})?"
)
_GROUPED_POINT = re.compile(r"\d+|\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+")
_GROUPED_COMMA = re.compile(r"\d+|\d{1,3}(?:\.\d{3})+|\d{1,3}(?: \d{3})+")


# --------------------------------------------------------------------------- shared steps


def by_distinct(s: pd.Series, fn) -> pd.Series:
    """fn(s) for a function that maps each value on its own (a parser, strip, upper): computed once
    per distinct value and spread back to the rows. A column of a million rows holds a few thousand
    dates, a handful of currencies or statuses; a column of mostly distinct values is passed whole."""
    codes, uniques = pd.factorize(s, use_na_sentinel=False)  # a missing value is one of the distinct values
    if len(uniques) * 4 > len(s):
        return fn(s)
    distinct = fn(pd.Series(uniques, dtype=s.dtype))
    out = distinct.take(codes)  # the dtype fn gave
    out.index, out.name = s.index, s.name
    return out


def trim_whitespace(arr: pa.ChunkedArray | pa.Array):
    """pc.utf8_trim_whitespace(arr), without its cost when no value can start or end with
    whitespace: the first and last byte of every value are read from Arrow's buffers, and only a
    control or space byte (<= 0x20) or a non-ASCII one (>= 0x80, which may be part of a Unicode
    space such as U+00A0 or U+3000) at either end sends the column through the trim."""
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    if any(_may_have_edge_space(c) for c in chunks):
        return pc.utf8_trim_whitespace(arr)
    return arr


def _may_have_edge_space(chunk: pa.Array) -> bool:
    if chunk.null_count or not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
        return True  # not the plain text arrays the reader makes: the trim decides
    n = len(chunk)
    if n == 0:
        return False
    _, offsets_buf, data_buf = chunk.buffers()
    width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    offsets = np.frombuffer(offsets_buf, dtype=width, count=n + 1, offset=chunk.offset * np.dtype(width).itemsize)
    starts, ends = offsets[:-1], offsets[1:]
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None and data_buf.size else np.zeros(1, np.uint8)
    # An empty value has no bytes: what `take` reads for it (clipped into range) is not its own, so
    # empty values are left out below. uint8 arithmetic wraps: `b - 0x21 >= 0x5F` unless 0x21 <= b <= 0x7F.
    first, last = data.take(starts, mode="clip"), data.take(ends - 1, mode="clip")
    outside = ((first - 0x21) >= 0x5F) | ((last - 0x21) >= 0x5F)
    return bool((outside & (ends > starts)).any())


def _flags(matched: pd.Series) -> pd.Series:
    """A str.fullmatch result as plain booleans, a missing cell False (without pandas 2's downcasting
    warning on object columns)."""
    return pd.Series(matched.to_numpy(dtype=bool, na_value=False), index=matched.index)


def too_long(s: pd.Series) -> np.ndarray:
    """Cells longer than any value of a typed column can be: rejected before parsing."""
    return (s.str.len() > MAX_TYPED_CHARS).to_numpy(dtype=bool, na_value=False)


def _fullmatch(s: pd.Series, pattern: re.Pattern) -> pd.DataFrame:
    """Named groups of `pattern` matched against each whole cell (NaN rows where it does not match)."""
    return s.str.extract("^(?:" + pattern.pattern + r")\Z")


def _ints(part: pd.Series) -> np.ndarray:
    return pd.to_numeric(part, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


# --------------------------------------------------------------------------- numbers, money, flags


def parse_number(s: pd.Series, decimal_comma: bool = False) -> pd.Series:
    """Trimmed text -> float64 (NaN where empty or not a plain finite number)."""
    t = s.str.strip()
    if decimal_comma:
        t = t.str.replace(",", ".", regex=False)
    t = t.where(~too_long(t))  # a long cell never meets a pattern (Python's re backtracks on object strings)
    ok = t.str.fullmatch(NUMBER.pattern).pipe(_flags)
    import pyarrow as pa
    import pyarrow.compute as pc

    # Arrow's parser, as on the fast path: correctly rounded (pandas reads +1006e101 one ulp off)
    valid = pa.array(t.where(ok, None).astype(object), type=pa.string(), from_pandas=True)
    value = pd.Series(pc.cast(valid, pa.float64()).to_numpy(zero_copy_only=False), index=s.index, dtype="float64")
    return value.where(np.isfinite(value))


def parse_int(s: pd.Series) -> pd.Series:
    """A whole number (12, +12, -3, 12.00) -> Int64, exact; NA where unparseable or beyond int64
    (more than 18 digits: a count that large is no count)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = s.str.strip()
    t = t.where(~too_long(t))
    ok = t.str.fullmatch(INT.pattern).pipe(_flags)
    t = t.where(ok).str.replace(r"^\+|\.0+$", "", regex=True)
    t = t.where(t.str.lstrip("-").str.lstrip("0").str.len() <= 18)
    parsed = pc.cast(pa.array(t.astype(object), type=pa.string(), from_pandas=True), pa.int64())  # exact, no float
    mask = parsed.is_null().to_numpy(zero_copy_only=False)
    return pd.Series(pd.arrays.IntegerArray(parsed.fill_null(0).to_numpy(), mask), index=s.index)


def parse_bool(s: pd.Series, labels: dict[str, bool] | None = None) -> pd.Series:
    """true/false, yes/no, y/n, 1/0, t/f (any case), a non-negative count (true above 0), and the
    configured labels; empty is missing (a flag's missing value counts as false in the metrics)."""
    low = s.str.strip().str.lower()
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    out[low.isin(TRUE)] = True
    out[low.isin(FALSE)] = False
    count = pd.to_numeric(low.where(low.str.fullmatch(r"\d{1,9}").pipe(_flags)), errors="coerce")
    out[count.notna() & out.isna()] = count[count.notna() & out.isna()] > 0
    for label, flag in (labels or {}).items():
        out[low == label.strip().lower()] = flag
    return out


def parse_money(s: pd.Series, decimal_comma: bool) -> pd.Series:
    """Money text -> Int64 units of 1/MONEY_SCALE (NA where unparseable or out of range).
    Accepts a plain number (1234.5, -20, .5, 1.2e3), 1,234.50, $1,234.50, ฿1,234.50, USD 20, 20 USD,
    (20.00); 1.234,50 with decimal comma. Spaces around the sign, symbol and code are single;
    thousands separators group by three."""
    if len(s) == 0:
        return pd.Series(pd.array([], dtype="Int64"), index=s.index)
    t = s.str.strip()
    short = ~too_long(t)
    paren = t.str.startswith("(") & t.str.endswith(")")
    inner = t.where(~paren, t.str.slice(1, -1).str.strip())
    # a plain number (1234.5, -20, .5, 1e3: what Arrow's decimal reader also accepts) needs no more
    plain = t.where(short).str.fullmatch(NUMBER.pattern).pipe(_flags).to_numpy() & short
    inner = inner.where(~plain)
    parts = _fullmatch(inner.where(short), _MONEY)
    num = parts["num"]
    if decimal_comma:
        well = _split_decimal(num, ",", _GROUPED_COMMA)
        num = num.str.replace(r"[. ]", "", regex=True).str.replace(",", ".", regex=False)
    else:
        well = _split_decimal(num, ".", _GROUPED_POINT)
        num = num.str.replace(r"[, ]", "", regex=True)
    well &= ~(parts["s1"].notna() & parts["s2"].notna()).to_numpy()  # one sign at most
    well &= ~(paren.to_numpy(dtype=bool) & (parts["s1"].notna() | parts["s2"].notna()).to_numpy())
    value = pd.to_numeric(num.where(well), errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    negative = paren.to_numpy(dtype=bool) | (parts["s1"] == "-").to_numpy() | (parts["s2"] == "-").to_numpy()
    value = np.where(negative, -value, value)
    if plain.any():
        value[plain] = pd.to_numeric(t[plain], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(over="ignore", invalid="ignore"):  # 1e400 is inf, then out of range below
        units = np.rint(value * MONEY_SCALE)
    units[~(np.abs(units) <= MAX_MONEY * MONEY_SCALE)] = np.nan  # out of range (or NaN) -> unparseable
    return pd.Series(units, index=s.index).astype("Int64")


def _split_decimal(num: pd.Series, point: str, grouped: re.Pattern) -> np.ndarray:
    """Whether each number is `<grouped integer part>[<point><digits>]`, checked without backtracking."""
    parts = num.fillna("").str.rpartition(point)
    head, sep, tail = parts[0], parts[1], parts[2]
    whole = head.where(sep == point, tail)
    frac = tail.where(sep == point, "")
    ok = whole.str.fullmatch(grouped.pattern).pipe(_flags)
    ok &= frac.str.fullmatch(r"\d*").pipe(_flags) & ((sep != point) | (frac != ""))
    return ok.to_numpy(dtype=bool) & num.notna().to_numpy()


# --------------------------------------------------------------------------- calendar arithmetic


def days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (int64 arrays; any year 1..9999)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    mp = (m + 9) % 12
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _month_days(y: np.ndarray, m: np.ndarray) -> np.ndarray:
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    table = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    return table[np.clip(m, 1, 12) - 1] + (leap & (m == 2))


def _offset_minutes(z: pd.Series) -> np.ndarray:
    """`Z`, `+07`, `+0700`, `+07:00`, `UTC`, `GMT` -> minutes east of UTC (NaN where no offset)."""
    digits = z.str.replace(":", "", regex=False)
    sign = np.where(digits.str.startswith("-").to_numpy(dtype=bool, na_value=False), -1, 1)
    hh = _ints(digits.str.slice(1, 3))
    mm = _ints(digits.str.slice(3, 5).replace("", "0"))
    out = sign * (hh * 60 + np.nan_to_num(mm))
    utc = (z == "Z") | z.str.endswith(("UTC", "GMT"))  # ` UTC`, `GMT`: zero offset
    out[utc.to_numpy(dtype=bool, na_value=False)] = 0
    out[(hh > 23) | (mm > 59)] = np.inf  # an offset that cannot be: the cell is rejected
    return out


def _civil_micros(parts: pd.DataFrame, ampm: pd.Series | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(wall-clock microseconds since the epoch as float64, valid mask) from y/mo/d/h/mi/s/f groups."""
    y, m, d = _ints(parts["y"]), _ints(parts["mo"]), _ints(parts["d"])
    h = np.nan_to_num(_ints(parts["h"])) if "h" in parts else np.zeros(len(parts))
    mi = np.nan_to_num(_ints(parts["mi"])) if "mi" in parts else np.zeros(len(parts))
    sec = np.nan_to_num(_ints(parts["s"])) if "s" in parts else np.zeros(len(parts))
    frac = parts["f"].str.ljust(6, "0").str.slice(0, 6) if "f" in parts else pd.Series(np.nan, index=parts.index)
    micro = np.nan_to_num(_ints(frac))
    if ampm is not None:
        pm = ampm.str.lower().str.startswith("p").to_numpy(dtype=bool, na_value=False)
        has = ampm.notna().to_numpy()
        bad_12h = has & ((h < 1) | (h > 12))
        h = np.where(has, (h % 12) + np.where(pm, 12, 0), h)
    else:
        bad_12h = np.zeros(len(parts), dtype=bool)
    valid = ~np.isnan(y) & (m >= 1) & (m <= 12) & (d >= 1) & (y >= 1)
    yi, mi_, di = (np.nan_to_num(a).astype("int64") for a in (y, m, d))
    valid &= di <= _month_days(yi, mi_)
    valid &= (h <= 23) & (mi <= 59) & (sec <= 59) & ~bad_12h
    days = days_from_civil(yi, mi_, di)
    micros = days.astype("float64") * US_PER_DAY + ((h * 60 + mi) * 60 + sec) * 1e6 + micro
    return micros, valid


# --------------------------------------------------------------------------- time zones


@lru_cache(maxsize=64)
def fixed_offset_us(tz: str, years: tuple[int, ...]) -> int | None:
    """The zone's offset in microseconds when it is the same on every day of the given years, else None."""
    from zoneinfo import ZoneInfo

    if _is_utc(tz):
        return 0
    zone = ZoneInfo(tz)
    first = None
    for year in years:  # a zone changes its offset at most a few times a year; daily probes see every change
        day = datetime(year, 1, 1, 12, tzinfo=timezone.utc)
        for _ in range(366 if year < 9999 else 364):
            offset = day.astimezone(zone).utcoffset()
            if first is None:
                first = offset
            elif offset != first:
                return None
            day += timedelta(days=1)
            if day.year != year:
                break
    return None if first is None else int(first.total_seconds() * 1_000_000)


_US_PER_YEAR = 31_556_952_000_000  # a mean Gregorian year


def _years(us: np.ndarray) -> tuple[int, ...]:
    """The years (UTC) of the known instants, each with its neighbours: a superset. The years
    between the first and the last when they are few (one pass for each end), else a count."""
    known = us != NAT
    if not known.any():
        return ()
    lo = int(np.min(us, where=known, initial=np.iinfo("int64").max))
    hi = int(us.max())
    first, last = (max(1, min(9999, v // _US_PER_YEAR + 1970)) for v in (lo, hi))
    if last - first <= 60:
        present = np.arange(first, last + 1)
    else:  # a far sentinel (9999-12-31) among recent dates: count the years actually present
        approx = np.clip(us[known] // _US_PER_YEAR + 1970, 1, 9999)
        present = np.flatnonzero(np.bincount(approx - 1, minlength=9999)) + 1
    around = np.unique(np.clip(np.concatenate([present - 1, present, present + 1]), 1, 9999))
    return tuple(int(y) for y in around)


def _is_utc(tz: str) -> bool:
    return tz.upper() in ("UTC", "ETC/UTC", "GMT", "ETC/GMT", "Z")


def local_to_utc(us: np.ndarray, tz: str) -> np.ndarray:
    """Wall-clock microseconds in `tz` -> UTC instants (int64, NAT kept). A time that a DST change
    repeats is read as its first occurrence; one that a DST change skips moves forward past the gap."""
    if _is_utc(tz):
        return us
    years = _years(us)
    if not years:
        return us
    fixed = fixed_offset_us(tz, years)
    if fixed is not None:
        return np.where(us == NAT, NAT, us - fixed)
    idx = pd.DatetimeIndex(np.where(us == NAT, np.int64(0), us).view("datetime64[us]"))
    utc = idx.tz_localize(tz, ambiguous=np.ones(len(idx), dtype=bool), nonexistent="shift_forward").tz_convert("UTC")
    out = utc.tz_localize(None).as_unit("us").asi8
    return np.where(us == NAT, NAT, out)


def utc_to_local(us: np.ndarray, tz: str) -> np.ndarray:
    """UTC instants (int64 microseconds, NAT kept) -> wall-clock microseconds in `tz`."""
    if _is_utc(tz):
        return us
    years = _years(us)
    if not years:
        return us
    fixed = fixed_offset_us(tz, years)
    if fixed is not None:
        return np.where(us == NAT, NAT, us + fixed)
    idx = pd.DatetimeIndex(np.where(us == NAT, np.int64(0), us).view("datetime64[us]"))
    out = idx.tz_localize("UTC").tz_convert(tz).tz_localize(None).as_unit("us").asi8
    return np.where(us == NAT, NAT, out)


def local_days(us: np.ndarray, tz: str) -> np.ndarray:
    """The local day (days since 1970-01-01 in `tz`) of UTC instants; NAT stays NAT."""
    local = utc_to_local(us, tz)
    return np.where(local == NAT, NAT, np.floor_divide(local, US_PER_DAY))


def as_series(us: np.ndarray, index) -> pd.Series:
    """int64 microseconds (NAT = missing) -> a datetime64[us] Series."""
    return pd.Series(np.asarray(us, dtype="int64").view("datetime64[us]"), index=index)


def micros(series: pd.Series) -> np.ndarray:
    """A datetime64 Series -> int64 microseconds, NAT where missing."""
    return series.to_numpy(dtype="datetime64[us]").view("int64")


# --------------------------------------------------------------------------- dates and datetimes


def _iso_micros(t: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ISO text -> (wall-clock or UTC microseconds, parsed mask, has-offset mask)."""
    fast = _arrow_iso_micros(t)
    return fast if fast is not None else _pattern_iso_micros(t)


def _pattern_iso_micros(t: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ISO text -> (wall-clock or UTC microseconds, parsed mask, has-offset mask), by the pattern."""
    parts = _fullmatch(t.where(~too_long(t)), ISO)
    us, valid = _civil_micros(parts)
    offset = _offset_minutes(parts["z"])
    has_offset = ~np.isnan(offset)
    valid &= ~np.isinf(offset)
    us = us - np.where(has_offset & valid, offset, 0) * 60e6
    return us, valid, has_offset


def _arrow_iso_micros(t: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """A column whose every value is a naive ISO datetime Arrow reads, parsed by Arrow in one cast;
    None otherwise. Arrow's parser is the CSV reader's fast path, whose every accepted value the
    pattern reads the same (see the module's docstring; tests/test_values.py checks the two), so
    this only saves time: sheets and Parquet files come as text, and a 100,000-row date column costs
    a second through the pattern."""
    if len(t) == 0:
        return None
    try:
        stamps = pc.cast(pa.array(t, type=pa.string(), from_pandas=True), pa.timestamp("us"))
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    valid = stamps.is_valid().to_numpy(zero_copy_only=False)
    us = stamps.cast(pa.int64()).fill_null(0).to_numpy().astype("float64")
    return us, valid, np.zeros(len(t), dtype=bool)


def _format_micros(t: pd.Series, fmt: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Text in a strftime `fmt` -> (microseconds, parsed mask, has-offset mask). With %z in the
    format the offsets are applied; without it, a time and an offset after the part `fmt` reads
    (`31/05/2024 20:00 +00:00` with `%d/%m/%Y`) are read too."""
    t = t.where(~too_long(t))
    if "%z" in fmt or "%Z" in fmt:
        parsed = pd.to_datetime(t, format=fmt, errors="coerce", utc=True)
        us = _strptime_fallback(t, parsed.dt.tz_localize(None), fmt, aware=True)
        return us, us != NAT, us != NAT
    direct = _strptime_fallback(t, pd.to_datetime(t, format=fmt, errors="coerce"), fmt, aware=False)
    parsed_ok = direct != NAT
    us = direct.astype("float64")
    has_offset = np.zeros(len(t), dtype=bool)
    rest = t.where(~parsed_ok)
    if rest.notna().any():  # a time (and offset) after the date: read the date part, then the suffix
        # the suffix starts at the last `T` or space followed by a digit and a colon within three characters
        split = rest.str.extract(r"^(?P<day>.*?)(?P<tail>[T ]\d{1,2}:\d{2}.*)\Z")
        day = _strptime_fallback(split["day"], pd.to_datetime(split["day"], format=fmt, errors="coerce"), fmt, aware=False)
        tail = _fullmatch(split["tail"], TIME_SUFFIX)
        got = (day != NAT) & tail["h"].notna().to_numpy()
        tail = tail.assign(y="1970", mo="01", d="01")
        clock, clock_ok = _civil_micros(tail, tail["ampm"])
        offset = _offset_minutes(tail["z"])
        ok = got & clock_ok & ~np.isinf(offset)
        with_offset = ok & ~np.isnan(offset)
        value = day.astype("float64") + clock - np.where(with_offset, offset, 0) * 60e6
        us = np.where(ok, value, us)
        parsed_ok |= ok
        has_offset |= with_offset
    return np.where(parsed_ok, us, np.nan).astype("float64"), parsed_ok, has_offset


def _strptime_fallback(text: pd.Series, parsed: pd.Series, fmt: str, aware: bool) -> np.ndarray:
    """pandas' strict parse as int64 microseconds; values it could not hold (pandas 2 stops at 2262)
    are parsed once per distinct value with datetime.strptime, which holds any year to 9999."""
    out = parsed.to_numpy(dtype="datetime64[us]").view("int64").copy() if len(parsed) else np.empty(0, "int64")
    missing = (out == NAT) & text.notna().to_numpy()
    if not missing.any():
        return out
    distinct = {}
    for value in pd.unique(text[missing]):
        try:
            dt = datetime.strptime(value, fmt)
        except (ValueError, TypeError):
            continue
        if aware and dt.tzinfo is not None:
            dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
        distinct[value] = int((np.datetime64(dt, "us") - np.datetime64(0, "us")).astype("int64"))
    if distinct:
        found = text[missing].map(distinct).to_numpy(dtype="float64", na_value=np.nan)
        idx = np.flatnonzero(missing)
        ok = ~np.isnan(found)
        out[idx[ok]] = found[ok].astype("int64")
    return out


EPOCHS = {"epoch": 1_000_000, "epoch_ms": 1_000, "epoch_us": 1}  # date formats counting from 1970-01-01 (UTC)


def _epoch_micros(t: pd.Series, fmt: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seconds (epoch), milliseconds (epoch_ms) or microseconds (epoch_us) since 1970-01-01 UTC -> instants."""
    number = parse_number(t)
    us = np.rint(number.to_numpy(dtype="float64") * EPOCHS[fmt])
    ok = ~np.isnan(us)
    return us, ok, ok.copy()  # an epoch is an instant, like a value with an offset


def _micros_of(t: pd.Series, fmt: str | None):
    if fmt in EPOCHS:
        return _epoch_micros(t, fmt)
    return _format_micros(t, fmt) if fmt else _iso_micros(t)


def parse_datetimes(s: pd.Series, fmt: str | None, tz: str) -> pd.Series:
    """Datetime column -> UTC instants (datetime64[us]); NaT where empty or unparseable. Naive
    values are wall-clock time in `tz`."""
    t = s.str.strip()
    us, ok, has_offset = _micros_of(t, fmt)
    ok &= ~np.isnan(us)
    wall = np.where(ok & ~has_offset, us, np.nan)
    utc = np.where(ok & has_offset, us, np.nan)
    naive = np.where(np.isnan(wall), NAT, np.nan_to_num(wall)).astype("int64")
    converted = local_to_utc(naive, tz)
    out = np.where(~np.isnan(utc), np.nan_to_num(utc).astype("int64"), converted)
    return as_series(_in_range(out), s.index)


def parse_dates(s: pd.Series, fmt: str | None, tz: str, naive_tz: str | None = None) -> pd.Series:
    """Date column -> local days in `tz` (datetime64[us] at midnight). A datetime with an offset (or
    an epoch) is converted to `tz` before its day is taken; a naive datetime is wall-clock time in
    `naive_tz` (the file's zone, default `tz`), converted when that zone is another."""
    t = s.str.strip()
    us, ok, has_offset = _micros_of(t, fmt)
    ok &= ~np.isnan(us)
    value = np.where(ok, np.nan_to_num(us), 0).astype("int64")
    if naive_tz and naive_tz != tz:
        naive = ok & ~has_offset
        if naive.any():  # wall clock in the file's zone -> an instant -> the business's day below
            value = np.where(naive, local_to_utc(np.where(naive, value, NAT), naive_tz), value)
            has_offset = has_offset | naive
    if (ok & has_offset).any():
        value = np.where(ok & has_offset, utc_to_local(np.where(ok & has_offset, value, NAT), tz), value)
    days = np.where(ok, np.floor_divide(value, US_PER_DAY), NAT)
    out = np.where(days == NAT, NAT, days * US_PER_DAY)
    return as_series(_in_range(out), s.index)


_MIN_US = int((np.datetime64("0001-01-01", "us") - np.datetime64(0, "us")).astype("int64"))
_MAX_US = int((np.datetime64("10000-01-01", "us") - np.datetime64(0, "us")).astype("int64"))


def _in_range(us: np.ndarray) -> np.ndarray:
    """Instants outside years 1..9999 (after a time zone shift) are not values."""
    return np.where((us >= _MIN_US) & (us < _MAX_US), us, NAT)


# --------------------------------------------------------------------------- times given as elapsed time

ELAPSED_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86_400}
_HMS = re.compile(r"(?P<h>\d{1,7}):(?P<mi>[0-5]\d)(?::(?P<s>[0-5]\d))?")


def parse_elapsed(s: pd.Series, unit: str) -> pd.Series:
    """Time since another column, as the export writes it -> float seconds (NaN where empty or
    unparseable; a negative time is no value). `unit` is seconds, minutes, hours or days (a plain
    number: Zendesk's `First reply time in minutes`), or h:mm:ss (hours beyond 24 kept: `43:45:00`)."""
    t = s.str.strip()
    if unit == "h:mm:ss":
        parts = _fullmatch(t.where(~too_long(t)), _HMS)
        seconds = _ints(parts["h"]) * 3600 + _ints(parts["mi"]) * 60 + np.nan_to_num(_ints(parts["s"]))
    else:
        seconds = parse_number(t).to_numpy(dtype="float64") * ELAPSED_SECONDS[unit]
    return pd.Series(np.where(seconds >= 0, seconds, np.nan), index=s.index)


def after(base: pd.Series, seconds: pd.Series) -> pd.Series:
    """Instants `seconds` after the `base` instants (datetime64); missing where either is missing."""
    us = micros(base)
    shift = np.rint(seconds.to_numpy(dtype="float64") * 1e6)
    ok = (us != NAT) & ~np.isnan(shift) & (np.abs(shift) < 1e17)
    out = np.where(ok, us + np.where(ok, shift, 0).astype("int64"), NAT)
    return as_series(_in_range(out), base.index)


# --------------------------------------------------------------------------- the export's own words


def map_values(text: pd.Series, mapping: dict) -> pd.Series:
    """The export's own values -> canonical text (`Very easy` -> `7`, `Solved` -> `true`), compared
    without case and surrounding spaces; values the map does not name stay as written."""
    lookup = {str(k).strip().casefold(): _canonical_text(v) for k, v in mapping.items()}
    key = text.str.strip().str.casefold()
    distinct = {v: lookup[v] for v in key.dropna().unique() if v in lookup}  # one lookup per distinct value
    mapped = key.map(distinct)
    return text.where(mapped.isna(), mapped)


def _canonical_text(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return ""
    return str(v)


_BE_YEAR = re.compile(r"(?<!\d)(2[4-6]\d\d)(?!\d)")


def from_buddhist_era(text: pd.Series) -> pd.Series:
    """Thai Buddhist-era years (2400..2699) -> the Common Era (minus 543): `08/11/2569` -> `08/11/2026`."""
    found = text.str.extract(_BE_YEAR.pattern, expand=False)
    if found.isna().all():
        return text
    ce = (pd.to_numeric(found, errors="coerce") - 543).astype("Int64").astype("string")
    head = text.str.extract(r"^(.*?)(?<!\d)2[4-6]\d\d(?!\d)", expand=False)
    tail = text.str.extract(r"(?<!\d)2[4-6]\d\d(?!\d)(.*)$", expand=False)
    converted = head + ce + tail
    return text.where(found.isna(), converted.astype(object))


# --------------------------------------------------------------------------- Arrow's fast path


def fast_money_units(arr) -> tuple[np.ndarray, np.ndarray]:
    """Money Arrow parsed as decimal128(18, 4) -> (int64 units of 1/MONEY_SCALE, valid mask): the
    decimal's own integer (value x 10,000), read from its buffer; out of range is not valid."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    words = np.frombuffer(arr.buffers()[1], dtype="<i8")[2 * arr.offset : 2 * (arr.offset + len(arr))]
    low, high = words[0::2], words[1::2]
    units = low.copy()
    valid = ~pc.is_null(arr).to_numpy(zero_copy_only=False)
    fits = (high == np.where(low < 0, -1, 0))  # the 128-bit integer fits in 64 bits
    valid &= fits & (np.abs(units) <= MAX_MONEY * MONEY_SCALE)
    return units, valid


def fast_naive_to_utc(values: pd.Series, tz: str) -> pd.Series:
    """A datetime column Arrow parsed (naive wall-clock time) -> UTC instants."""
    us = micros(values)
    return as_series(_in_range(local_to_utc(us, tz)), values.index)
