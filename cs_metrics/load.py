"""CSV exports -> validated frames with canonical names and types, plus row accounting.

Every input row is used, filtered (counted, with the reason) or rejected (counted, with the
reason and its first line numbers). Nothing is coerced to zero and nothing is dropped silently.

Money is held as int64 in 1/10,000 of a currency unit (MONEY_SCALE) and subscription MRR as
int64 in 1/(10,000 x 144) of a unit (MRR_SCALE): every billing interval (day x 365/12,
week x 52/12, month, quarter / 3, year / 12, counts dividing 12) normalises to a whole number
of MRR units, so sums are exact and the MRR bridge holds to the cent with no float residue.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from cs_metrics.config import Config, SourceConfig
from cs_metrics.contract import INTERVALS, SURVEY_KINDS, TABLES, Table
from cs_metrics.errors import DataError

MONEY_SCALE = 10_000
MRR_SCALE = MONEY_SCALE * 144
FIRST_LINES = 5

# Months per interval, as a multiplier of the amount in 1/144 steps: amount x factor / count.
_MRR_FACTOR = {"month": 144, "year": 12, "quarter": 48, "week": 52 * 12, "day": 365 * 12}
_INTERVAL_ALIASES = {
    "monthly": "month", "months": "month", "mo": "month", "m": "month",
    "yearly": "year", "annual": "year", "annually": "year", "years": "year", "yr": "year", "y": "year",
    "quarterly": "quarter", "quarters": "quarter", "q": "quarter",
    "weekly": "week", "weeks": "week", "w": "week",
    "daily": "day", "days": "day", "d": "day",
}  # fmt: skip
_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f", ""}
# An optional sign, an optional ISO currency code or symbol, the number, an optional code after it.
_MONEY_RE = (
    r"^(?P<s1>[-+])?\s*(?:[A-Z]{3}\s*)?[$€£¥฿₩₹]?\s*(?P<s2>[-+])?\s*"
    r"(?P<num>[0-9][0-9., ]*?)\s*(?:[A-Z]{3})?$"
)


@dataclass
class TableReport:
    """Row accounting for one table: read = used + filtered + rejected."""

    table: str
    path: str
    read: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    rejected_lines: dict[str, list[int]] = field(default_factory=dict)
    filtered: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    @property
    def filtered_total(self) -> int:
        return sum(self.filtered.values())

    @property
    def used(self) -> int:
        return self.read - self.rejected_total - self.filtered_total

    def filter(self, reason: str, count: int) -> None:
        """Count rows a metric leaves out (outside the period, other survey type ...)."""
        if count:
            self.filtered[reason] = self.filtered.get(reason, 0) + int(count)

    def summary(self) -> str:
        name = Path(self.path).name
        parts = [f"{name}: {self.read:,} read, {self.used:,} used"]
        if self.filtered:
            why = "; ".join(f"{r}: {n:,}" for r, n in self.filtered.items())
            parts.append(f"{self.filtered_total:,} filtered ({why})")
        if self.rejected:
            why = "; ".join(
                f"{r}: {n:,} (line {', '.join(map(str, self.rejected_lines.get(r, [])))}"
                f"{', ...' if n > len(self.rejected_lines.get(r, [])) else ''})"
                for r, n in self.rejected.items()
            )
            parts.append(f"{self.rejected_total:,} rejected ({why})")
        return ", ".join(parts)


# --------------------------------------------------------------------------- reading


def read_header(path: Path, src: SourceConfig) -> list[str]:
    encoding = "utf-8-sig" if _is_utf8(src.encoding) else src.encoding  # a BOM is always dropped
    try:
        with open(path, newline="", encoding=encoding) as fh:
            header = next(csv.reader(fh, delimiter=src.delimiter), None)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}: cannot be decoded as {src.encoding} (byte {exc.start})",
            "Set the file's encoding in the config: sources.<table>.encoding (e.g. cp874 for Thai "
            "Windows exports, gb18030 for Chinese)",
            file=str(path),
        ) from None
    except OSError as exc:
        raise DataError(f"{path}: cannot be read: {exc.strerror}", file=str(path)) from None
    if not header:
        raise DataError(f"{path}: the file is empty (no header row)", file=str(path))
    return header  # as written (Arrow needs the exact names); matching strips them


def _is_utf8(encoding: str) -> bool:
    return encoding.lower().replace("_", "-") in ("utf-8", "utf-8-sig", "utf8")


def resolve_columns(table: Table, header: list[str], src: SourceConfig) -> dict[str, str]:
    """canonical name -> the export's header (as written), for every column the file has.

    Matching ignores surrounding spaces and case. For customers, every other header is a
    segment dimension under its own name, or under the name the config maps it to."""
    exact = {h.strip(): h for h in header}
    by_lower = {h.strip().lower(): h for h in header}

    def find(name: str) -> str | None:
        return exact.get(name.strip()) or by_lower.get(name.strip().lower())

    found: dict[str, str] = {}
    wanted = table.names + ([c for c in src.columns if c not in table.names] if table.open_columns else [])
    for col in wanted:
        mapped = src.columns.get(col)
        hit = find(mapped) if mapped is not None else find(col)
        if hit is not None:  # a mapped header that is missing is reported with its config key
            found[col] = hit
    if table.open_columns:
        taken = set(found.values())
        for h in header:
            if h not in taken and h.strip():
                found.setdefault(h.strip(), h)
    return found


def _missing_column(table: Table, path: Path, header: list[str], col: str, src: SourceConfig) -> DataError:
    mapped = src.columns.get(col)
    shown = ", ".join(h.strip() for h in header[:12]) + (", ..." if len(header) > 12 else "")
    if mapped:
        msg = f"{path.name} has no column '{mapped}' (mapped to '{col}') (found: {shown})"
    else:
        msg = f"{path.name} has no column for '{col}' (found: {shown})"
    return DataError(msg, f"Map it in the config: sources.{table.name}.columns.{col}", file=str(path), column=col)


def _physical_lines(path: Path, src: SourceConfig, ncols: int, need_valid: int, need_invalid: int):
    """Line numbers of records, found with the csv module (only on the error path).

    Returns (start line of each well-formed record in order, [(line, cells) of malformed ones]).
    Blank lines are skipped, as the Arrow reader does."""
    valid: list[int] = []
    invalid: list[tuple[int, int]] = []
    with open(path, newline="", encoding=src.encoding) as fh:
        reader = csv.reader(fh, delimiter=src.delimiter)
        next(reader, None)
        prev_end = reader.line_num
        for rec in reader:
            start, prev_end = prev_end + 1, reader.line_num
            if not rec:
                continue
            if len(rec) != ncols:
                invalid.append((start, len(rec)))
            else:
                valid.append(start)
            if len(valid) > need_valid and len(invalid) >= need_invalid:
                break
    return valid, invalid


def _read_arrow(
    path: Path, table: Table, src: SourceConfig, headers: list[str], typed: dict | None = None, trim: frozenset = frozenset()
) -> tuple[pd.DataFrame, list]:
    """Read the given headers, as text except for the `typed` ones (header -> Arrow type); the
    `trim` ones (ids) lose surrounding white space in Arrow, before pandas sees them."""
    bad_rows: list = []

    def on_invalid(row):
        bad_rows.append((row.expected_columns, row.actual_columns))
        return "skip"

    encoding = "utf8" if _is_utf8(src.encoding) else src.encoding
    try:
        tbl = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding=encoding, use_threads=True),
            parse_options=pacsv.ParseOptions(
                delimiter=src.delimiter, newlines_in_values=table.free_text, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                include_columns=headers,
                column_types={h: (typed or {}).get(h, pa.string()) for h in headers},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0]
        if typed and "conversion error" in first:
            raise _NotTyped from None
        raise DataError(
            f"{path}: cannot be parsed as CSV: {first}",
            f"Check sources.{table.name}.delimiter and .encoding",
            file=str(path),
        ) from None
    for i, name in enumerate(tbl.column_names):
        if name in trim:
            tbl = tbl.set_column(i, name, pc.utf8_trim_whitespace(tbl.column(i)))
    # one contiguous chunk per column: pandas selections on many small chunks are several times slower
    return tbl.combine_chunks().to_pandas(), bad_rows


class _NotTyped(Exception):
    """Arrow could not parse a typed column as is: read it as text and account row by row."""


def _read(path: Path, table: Table, src: SourceConfig, cols: list[str], headers: list[str]):
    """Fast path: ISO date and datetime columns and plain numbers are parsed by Arrow's reader while
    reading (5-25x faster than parsing text in pandas). Any value it refuses (a bad date, an offset,
    a custom format, a decimal comma) sends the whole file down the text path, which rejects and
    counts row by row."""
    specs = [(h, table.column(c)) for c, h in zip(cols, headers)]
    typed = {}
    for h, spec in specs:
        if spec is None:
            continue
        if (spec.type == "date" and not src.date_format) or (spec.type == "datetime" and not src.datetime_format):
            typed[h] = pa.timestamp("us")
        elif spec.type == "number" and not src.decimal_comma:
            typed[h] = pa.float64()
    trim = frozenset(h for h, spec in specs if spec is not None and spec.type == "id")
    if typed:
        try:
            return _read_arrow(path, table, src, headers, typed, trim)
        except _NotTyped:
            pass
    return _read_arrow(path, table, src, headers, trim=trim)


# --------------------------------------------------------------------------- parsing types


class _Rows:
    """The first rejection reason of each row, vectorised: a small code per row (0 = kept) and the
    list of reason texts. FILTERED marks rows left out by a rule of the export (a void invoice)."""

    FILTERED = "__filtered__"

    def __init__(self, n: int):
        self.code = np.zeros(n, dtype=np.int16)
        self.reasons: list[str] = [""]

    def reject(self, mask, reason: str) -> None:
        mask = np.asarray(mask, dtype=bool) & (self.code == 0)
        if mask.any():
            if reason not in self.reasons:
                self.reasons.append(reason)
            self.code[mask] = self.reasons.index(reason)

    @property
    def ok(self) -> np.ndarray:
        return self.code == 0


def _dt_with_offsets(s: pd.Series, tz: str) -> pd.Series:
    """ISO datetimes; naive ones are local (config timezone), ones with an offset are converted."""
    has_offset = (s.str.len() > 10) & s.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True)
    out = pd.to_datetime(s.where(~has_offset), format="ISO8601", errors="coerce")
    if has_offset.any():
        aware = pd.to_datetime(s.where(has_offset), format="ISO8601", errors="coerce", utc=True)
        local = aware.dt.tz_convert(tz).dt.tz_localize(None)
        out = out.where(~has_offset, local.astype(out.dtype))
    return out


# A time of day (and offset) after a date, dropped when a date column holds datetimes.
_TIME_SUFFIX = r"(?:[T ]+\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[AaPp]\.?[Mm]\.?)?\s*(?:Z|[+-]\d{2}:?\d{2})?)$"


def parse_datetimes(s: pd.Series, fmt: str | None, tz: str) -> pd.Series:
    """Datetime column: ISO (with or without offset), or the file's `datetime_format` (local time)."""
    if fmt:
        return pd.to_datetime(s, format=fmt, errors="coerce")
    return _dt_with_offsets(s, tz)


def parse_dates(s: pd.Series, fmt: str | None, tz: str) -> pd.Series:
    """Date column: ISO (a datetime is accepted and truncated to its day) or the file's format."""
    if fmt:
        day_part = s.str.replace(_TIME_SUFFIX, "", regex=True)
        return pd.to_datetime(day_part, format=fmt, errors="coerce")
    short = s.str.len() == 10
    out = pd.to_datetime(s.where(short), format="%Y-%m-%d", errors="coerce")
    if (~short & (s != "")).any():
        out = out.where(short, _dt_with_offsets(s.where(~short), tz).dt.normalize())
    return out


def parse_money(s: pd.Series, decimal_comma: bool) -> pd.Series:
    """Money text -> int64 units of 1/MONEY_SCALE (NA where unparseable).
    Accepts 1234.5, -20, 1,234.50, $1,234.50, ฿1,234.50, USD 20, (20.00); 1.234,50 with decimal comma."""
    paren = s.str.match(r"^\s*\(.*\)\s*$")
    inner = s.str.replace(r"^\s*\((.*)\)\s*$", r"\1", regex=True)
    parts = inner.str.extract(_MONEY_RE)
    num = parts["num"]
    # thousands separators only in groups of three (a space also groups: 1 234,50)
    if decimal_comma:
        well_formed = num.str.fullmatch(r"(?:\d+|\d{1,3}(?:\.\d{3})+|\d{1,3}(?: \d{3})+)(?:,\d+)?")
        num = num.str.replace(r"[. ]", "", regex=True).str.replace(",", ".", regex=False)
    else:
        well_formed = num.str.fullmatch(r"(?:\d+|\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+)(?:\.\d+)?")
        num = num.str.replace(r"[, ]", "", regex=True)
    well_formed &= ~(parts["s1"].notna() & parts["s2"].notna())  # one sign at most
    value = pd.to_numeric(num.where(well_formed.fillna(False).astype(bool)), errors="coerce")
    negative = paren | (parts["s1"] == "-") | (parts["s2"] == "-")
    units = np.rint(value.to_numpy(dtype="float64", na_value=np.nan) * MONEY_SCALE)
    units = np.where(negative.fillna(False).to_numpy(dtype=bool), -units, units)
    return pd.Series(units, index=s.index).astype("Int64")


def parse_bool(s: pd.Series) -> pd.Series:
    low = s.str.strip().str.lower()
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    out[low.isin(_TRUE)] = True
    out[low.isin(_FALSE)] = False
    return out


def parse_int(s: pd.Series) -> pd.Series:
    ok = s.str.fullmatch(r"[+-]?\d+(?:\.0+)?")
    return pd.to_numeric(s.where(ok), errors="coerce").astype("Int64")


def parse_number(s: pd.Series, decimal_comma: bool) -> pd.Series:
    t = s.str.replace(",", ".", regex=False) if decimal_comma else s
    return pd.to_numeric(t.where(t.str.fullmatch(r"[+-]?(?:\d+\.?\d*|\.\d+)")), errors="coerce").astype("float64")


_EXPECTED = {
    "date": "a date like 2024-05-31",
    "datetime": "a datetime like 2024-05-31T14:03:00",
    "money": "an amount like 1234.50",
    "int": "a whole number",
    "bool": "true/false, yes/no, y/n, 1/0 or t/f",
    "number": "a number",
}


def _parse_column(col, raw: pd.Series, src: SourceConfig, cfg: Config) -> pd.Series:
    if col.type == "date":
        return parse_dates(raw, src.date_format, cfg.timezone)
    if col.type == "datetime":
        return parse_datetimes(raw, src.datetime_format, cfg.timezone)
    if col.type == "money":
        return parse_money(raw, src.decimal_comma)
    if col.type == "int":
        return parse_int(raw)
    if col.type == "bool":
        return parse_bool(raw)
    if col.type == "number":
        return parse_number(raw, src.decimal_comma)
    return raw  # id, text


# --------------------------------------------------------------------------- the table reader


def _currency_rates(frame: pd.DataFrame, cfg: Config, src: SourceConfig, table: Table, path: Path, ok) -> pd.Series | None:
    """Rate per row to the base currency, or None when no conversion is needed."""
    if "currency" in frame:
        codes = frame["currency"].str.strip().str.upper().where(lambda c: c != "", src.currency or cfg.currency.base)
    elif src.currency:
        codes = pd.Series(src.currency.upper(), index=frame.index)
    else:
        return None
    codes = codes.fillna("")
    present = sorted(set(codes[ok].unique()) - {""})
    base = cfg.currency.base
    if base is None:
        if len(present) > 1:
            raise DataError(
                f"{path.name}: amounts are in several currencies ({', '.join(present)}) and no base currency is set",
                "Set currency.base and currency.rates in the config",
                file=str(path),
                column="currency",
            )
        return None
    missing = [c for c in present if c != base and c not in cfg.currency.rates]
    if missing:
        raise DataError(
            f"{path.name}: no rate to {base} for {', '.join(missing)}",
            f"Add it to the config: currency.rates.{missing[0]} (1 {missing[0]} = ? {base})",
            file=str(path),
            column="currency",
        )
    rates = {**cfg.currency.rates, base: 1.0, "": 1.0}
    return codes.map(rates).astype("float64")


def read_table(cfg: Config, name: str, required=(), optional=()) -> tuple[pd.DataFrame, TableReport]:
    """Load one canonical table with the contract's required columns plus the ones asked for.

    `required` columns missing from the file are an error naming the config key; `optional` ones
    are simply absent from the frame. For subscriptions, asking for `mrr` reads `mrr` or
    `amount` + `interval` (+ `interval_count`, `currency`) and yields `mrr` in MRR units."""
    table = TABLES[name]
    src = cfg.source(name)
    path = cfg.path_of(name)
    if not path.exists():
        raise DataError(
            f"{path}: file not found (needed for table '{name}')",
            f"Put {table.filename} in the data folder (--data) or set sources.{name}.path in the config",
            file=str(path),
        )
    header = read_header(path, src)
    found = resolve_columns(table, header, src)
    wanted = list(dict.fromkeys([*table.required, *required]))
    extra = list(dict.fromkeys(optional))
    if name == "subscriptions" and "mrr" in wanted + extra:
        wanted = [c for c in wanted if c != "mrr"]
        extra = [c for c in extra if c != "mrr"]
        if "mrr" in found:
            wanted.append("mrr")
        elif "amount" in found and "interval" in found:
            wanted += ["amount", "interval"]
            extra.append("interval_count")
        else:
            raise DataError(
                f"{path.name} has no column for 'mrr' nor 'amount' + 'interval' (found: {', '.join(h.strip() for h in header[:12])})",
                f"Map one in the config: sources.{name}.columns.mrr (or .amount and .interval)",
                file=str(path),
                column="mrr",
            )
        extra += ["currency", "is_trial"]
    if name == "invoices":
        extra += ["currency", "status"]
    if name == "subscriptions" and src.end_inclusive:
        extra.append("ended_at")
    for col in wanted:
        if col not in found:
            raise _missing_column(table, path, header, col, src)
    cols = list(dict.fromkeys(wanted + [c for c in extra if c in found]))
    headers = [found[c] for c in cols]
    raw, bad_rows = _read(path, table, src, cols, headers)
    raw.columns = cols
    report = TableReport(name, str(path), read=len(raw) + len(bad_rows))
    frame, rows = _validate(raw, table, cols, src, cfg, path, report)
    _account(rows, report, path, src, len(header), bad_rows)
    ok = rows.ok
    return (frame if ok.all() else frame.loc[ok].reset_index(drop=True)), report


def _validate(raw: pd.DataFrame, table: Table, cols: list[str], src, cfg: Config, path: Path, report: TableReport):
    rows = _Rows(len(raw))
    frame = pd.DataFrame(index=raw.index)
    for col in cols:
        spec = table.column(col)
        if spec is not None and not pd.api.types.is_string_dtype(raw[col]):  # parsed by Arrow while reading
            parsed = raw[col].dt.floor("D") if spec.type == "date" else raw[col]
            if spec.required:
                rows.reject(parsed.isna(), f"empty {col}")
            if spec.type == "number":
                rows.reject(np.isinf(parsed.to_numpy()), f"bad {col} (expected {_expected(spec, src)})")
            frame[col] = parsed
            continue
        if spec is not None and spec.type in ("id", "text"):
            text = raw[col]  # ids were trimmed in Arrow; text stays exactly as written
            empty = (text == "") if spec.type == "id" else (text.str.strip() == "")
        else:
            text = raw[col].str.strip()
            empty = text == ""
        if spec is None:  # customers' segment dimension
            frame[col] = text.where(~empty)
            continue
        if spec.required or (table.name == "subscriptions" and col in ("mrr", "amount", "interval")):
            rows.reject(empty, f"empty {col}")
        parsed = _parse_column(spec, text, src, cfg)
        if spec.type in ("id", "text"):
            parsed = parsed.where(~empty)  # an empty cell is a missing value
        else:
            rows.reject(~empty & parsed.isna(), f"bad {col} (expected {_expected(spec, src)})")
        frame[col] = parsed
    _table_rules(frame, rows, table, src, cfg, path, report)
    if table.key and table.key in frame:
        key = frame[table.key]
        dup = key.notna() & key.where(rows.ok).duplicated(keep="first") & rows.ok
        rows.reject(dup.to_numpy() & key.notna().to_numpy(), f"duplicate {table.key}")
    return frame, rows


def _expected(spec, src: SourceConfig) -> str:
    if spec.type == "date" and src.date_format:
        return f"a date in {src.date_format}"
    if spec.type == "datetime" and src.datetime_format:
        return f"a datetime in {src.datetime_format}"
    if spec.type in ("money", "number") and src.decimal_comma:
        return "a number like 1.234,50"
    return _EXPECTED[spec.type]


def _table_rules(frame: pd.DataFrame, rows: _Rows, table: Table, src, cfg: Config, path: Path, report) -> None:
    """Rules beyond column types: subscription dates and MRR, excluded statuses, survey scales."""
    if table.name == "subscriptions":
        if "ended_at" in frame:
            rows.reject(frame["ended_at"] < frame["started_at"], "ends before it starts")
            if src.end_inclusive:  # the export's end dates are last days of service: make them first days without
                frame["ended_at"] = frame["ended_at"] + pd.Timedelta(days=1)
                if "term_ends_at" in frame:
                    frame["term_ends_at"] = frame["term_ends_at"] + pd.Timedelta(days=1)
        if "is_trial" in frame:
            frame["is_trial"] = frame["is_trial"].fillna(False).astype(bool)
        rates = _currency_rates(frame, cfg, src, table, path, rows.ok)
        if "mrr" in frame:
            money = frame["mrr"].astype("float64")
            if rates is not None:
                money = np.rint(money * rates)
            rows.reject((money < 0).fillna(False), "negative mrr")
            frame["mrr"] = (money.fillna(0) * 144).astype("int64")
        elif "amount" in frame:
            interval = frame["interval"].str.strip().str.lower()
            interval = _map_distinct(interval, _INTERVAL_ALIASES)
            known = interval.isin(INTERVALS)
            rows.reject(~known, "unknown interval (expected day, week, month, quarter or year)")
            count = frame["interval_count"] if "interval_count" in frame else pd.Series(1, index=frame.index)
            count = count.fillna(1).astype("int64")
            rows.reject(count <= 0, "interval_count below 1")
            money = frame["amount"].astype("float64")
            if rates is not None:
                money = np.rint(money * rates)
            rows.reject((money < 0).fillna(False), "negative mrr")
            factor = interval.map(_MRR_FACTOR).fillna(0).astype("int64")
            mrr = np.rint(money.fillna(0) * factor / count.clip(lower=1))
            frame["mrr"] = mrr.astype("int64")
            _drop(frame, "amount", "interval", "interval_count")
        _drop(frame, "currency")
    elif table.name == "invoices":
        if "status" in frame and src.exclude_status:  # before currencies: a void row needs no rate
            excluded = frame["status"].str.strip().str.lower().isin([s.lower() for s in src.exclude_status])
            excluded &= rows.ok
            for status, n in frame.loc[excluded, "status"].str.strip().str.lower().value_counts().items():
                report.filter(f"status {status}", n)
            rows.reject(excluded, _Rows.FILTERED)
        rates = _currency_rates(frame, cfg, src, table, path, rows.ok)
        if rates is not None:
            frame["amount"] = np.rint(frame["amount"].astype("float64") * rates).astype("Int64")
        _drop(frame, "currency")
    elif table.name == "surveys":
        labels = {k.strip().lower(): v for k, v in src.survey_labels.items()}
        kind = frame["survey"].str.strip().str.lower()
        kind = _map_distinct(kind, labels)
        frame["survey"] = kind
        other = ~kind.isin(SURVEY_KINDS) & rows.ok
        for label, n in kind[other].value_counts().items():
            report.filter(f"survey '{label}' is not nps/csat/ces (map it: sources.surveys.survey_labels)", n)
        rows.reject(other, _Rows.FILTERED)
        for survey in SURVEY_KINDS:
            low, high = cfg.metrics.scale(survey)
            off = (kind == survey) & ((frame["score"] < low) | (frame["score"] > high))
            rows.reject(off.fillna(False), f"score off the {survey} scale {low:g}..{high:g}")


def _map_distinct(s: pd.Series, mapping: dict[str, str]) -> pd.Series:
    """Rename values through `mapping` (others unchanged), looking up each distinct value once."""
    distinct = {v: mapping.get(v, v) for v in s.dropna().unique()}
    return s.map(distinct)


def _drop(frame: pd.DataFrame, *columns: str) -> None:
    """Remove helper columns in place (the frame is local to the reader)."""
    for c in columns:
        if c in frame:
            del frame[c]


def _account(rows: _Rows, report: TableReport, path: Path, src, ncols: int, bad_rows: list) -> None:
    """Fill the report's rejection counts and first line numbers."""
    if bad_rows:
        report.rejected["wrong number of cells"] = len(bad_rows)
    firsts = {}
    for k, reason in enumerate(rows.reasons[1:], 1):
        if reason == _Rows.FILTERED:
            continue
        where = np.flatnonzero(rows.code == k)
        if len(where):
            report.rejected[reason] = len(where)
            firsts[reason] = where[:FIRST_LINES]
    if not firsts and not bad_rows:
        return
    need = max((int(i.max()) for i in firsts.values()), default=-1)
    valid, invalid = _physical_lines(path, src, ncols, need, min(len(bad_rows), FIRST_LINES))
    for reason, idx in firsts.items():
        report.rejected_lines[reason] = [valid[i] for i in idx if i < len(valid)]
    if bad_rows:
        report.rejected_lines["wrong number of cells"] = [line for line, _ in invalid[:FIRST_LINES]]


# --------------------------------------------------------------------------- the dataset


class Dataset:
    """The tables of one run: each read once (with the union of the columns asked for) and shared."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self._frames: dict[str, tuple[pd.DataFrame, frozenset]] = {}
        self._required: dict[str, set] = {}
        self.reports: dict[str, TableReport] = {}

    def exists(self, name: str, column: str | None = None) -> bool:
        """Whether the table's file exists (and, given a column, has it: only the header is read)."""
        path = self.cfg.path_of(name)
        if not path.exists():
            return False
        if column is None:
            return True
        src = self.cfg.source(name)
        return column in resolve_columns(TABLES[name], read_header(path, src), src)

    def table(self, name: str, required=(), optional=()) -> pd.DataFrame:
        asked = frozenset(required) | frozenset(optional)
        cached = self._frames.get(name)
        if cached and asked <= cached[1]:
            frame = cached[0]
            missing = [c for c in required if c not in frame and not (name == "subscriptions" and c == "mrr")]
            if not missing:
                return frame
        union = asked | (cached[1] if cached else frozenset())
        req = set(required) | self._required.get(name, set())
        frame, report = read_table(self.cfg, name, sorted(req), sorted(union - req))
        self._required[name] = req
        self._frames[name] = (frame, union | frozenset(TABLES[name].required))  # required ones are always read
        self.reports[name] = report
        return frame

