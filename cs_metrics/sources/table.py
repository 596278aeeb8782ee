"""One export file -> one canonical table: typed columns, table rules, row accounting.

The fate of a row (used, filtered, rejected and why) depends only on the row, the data contract
and the config: every column that can reject a row is read and checked whichever command reads
the table — the required ones, every typed one (dates, datetimes, money, numbers, integers,
flags), the table's key and the columns its rules look at (interval, currency, status, survey).
Free-text and id columns that no rule looks at can never reject a row, so they are read only
when a metric uses them. Every command therefore reports the same counts for a table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cs_metrics.config import Config, SourceConfig
from cs_metrics.contract import INTERVALS, SURVEY_KINDS, TABLES, Table
from cs_metrics.errors import DataError
from cs_metrics.sources import readers, values
from cs_metrics.sources.values import MAX_MONEY, MONEY_SCALE, NAT

FIRST_LINES = readers.FIRST_LINES
MAX_LABELS = 8  # reasons listed one by one in a summary line; the rest are counted
SUM_LIMIT = 1 << 62  # the absolute amounts of a table must sum below this, so every sum of them is exact in int64

# Months per interval, as a multiplier of the amount in 1/144 steps: amount x factor / count.
MRR_FACTOR = {"month": 144, "year": 12, "quarter": 48, "week": 52 * 12, "day": 365 * 12}
INTERVAL_ALIASES = {
    "monthly": "month", "months": "month", "mo": "month", "m": "month",
    "yearly": "year", "annual": "year", "annually": "year", "years": "year", "yr": "year", "y": "year",
    "quarterly": "quarter", "quarters": "quarter", "q": "quarter",
    "weekly": "week", "weeks": "week", "w": "week",
    "daily": "day", "days": "day", "d": "day",
}  # fmt: skip
# Text columns that a table rule looks at: they can filter or reject a row, so they are always read.
RULE_COLUMNS = {"subscriptions": ("interval", "currency"), "invoices": ("currency", "status"), "surveys": ("survey",)}

_EXPECTED = {
    "date": "a date like 2024-05-31",
    "datetime": "a datetime like 2024-05-31T14:03:00",
    "money": "an amount like 1234.50",
    "int": "a whole number",
    "bool": "true/false, yes/no, y/n, 1/0, t/f or a count",
    "number": "a number",
}


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

    @property
    def name(self) -> str:
        return Path(self.path).name

    def filter(self, reason: str, count: int) -> None:
        """Count rows a rule of the export leaves out (an excluded status, another survey kind ...)."""
        if count:
            self.filtered[reason] = self.filtered.get(reason, 0) + int(count)

    def broken(self) -> str | None:
        """Why a table with rows has none usable (a broken feed), else None."""
        if self.read == 0 or self.used > 0:
            return None
        reasons = _capped([f"{r} {n:,}" for r, n in {**self.rejected, **self.filtered}.items()], "; ")
        what = "all rejected" if not self.filtered else ("all filtered" if not self.rejected else "none usable")
        return f"{self.name}: {self.read:,} rows, {what}: {reasons}"

    def summary(self) -> str:
        parts = [f"{self.name}: {self.read:,} read, {self.used:,} used"]
        if self.filtered:
            why = _capped([f"{r}: {n:,}" for r, n in self.filtered.items()], "; ")
            parts.append(f"{self.filtered_total:,} filtered ({why})")
        if self.rejected:
            why = _capped(
                [
                    f"{r}: {n:,} (line {', '.join(map(str, self.rejected_lines.get(r, [])))}"
                    f"{', ...' if n > len(self.rejected_lines.get(r, [])) else ''})"
                    for r, n in self.rejected.items()
                ],
                "; ",
            )
            parts.append(f"{self.rejected_total:,} rejected ({why})")
        return ", ".join(parts)


def _capped(items: list[str], sep: str) -> str:
    if len(items) <= MAX_LABELS:
        return sep.join(items)
    return sep.join(items[:MAX_LABELS]) + f"{sep}... and {len(items) - MAX_LABELS} more"


# --------------------------------------------------------------------------- columns


def read_header(path: Path, src: SourceConfig) -> list[str]:
    return readers.read_header(path, src.encoding, src.delimiter)


def resolve_columns(table: Table, header: list[str], src: SourceConfig) -> dict[str, str]:
    """canonical name -> the export's header (as written), for every column the file has.

    Matching ignores surrounding spaces and case. For customers, every other header is a
    segment dimension under its own name, or under the name the config maps it to."""
    exact = {h.strip(): h for h in reversed(header)}  # the first of equal names wins here; duplicates are refused on use
    by_lower = {h.strip().lower(): h for h in reversed(header)}

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


def _position(header: list[str], name: str, path: Path, col: str, table: str) -> int:
    """The header's position; two columns of the same name are refused when that name is used."""
    key = name.strip().lower()
    hits = [i for i, h in enumerate(header) if h.strip().lower() == key]
    if len(hits) > 1:
        raise DataError(
            f"{path.name} has {len(hits)} columns named '{name.strip()}' (columns {', '.join(str(i + 1) for i in hits)}), "
            f"so '{col}' is ambiguous",
            f"Rename one of them in the export, or map {col} to another header: sources.{table}.columns.{col}",
            file=str(path),
            column=col,
        )
    return hits[0]


def _missing_column(table: Table, path: Path, header: list[str], col: str, src: SourceConfig) -> DataError:
    mapped = src.columns.get(col)
    shown = ", ".join(h.strip() for h in header[:12]) + (", ..." if len(header) > 12 else "")
    if mapped:
        msg = f"{path.name} has no column '{mapped}' (mapped to '{col}') (found: {shown})"
    else:
        msg = f"{path.name} has no column for '{col}' (found: {shown})"
    return DataError(msg, f"Map it in the config: sources.{table.name}.columns.{col}", file=str(path), column=col)


def fate_columns(table: Table, found: dict[str, str]) -> list[str]:
    """The columns of the file that can decide a row's fate: always read and checked."""
    rules = RULE_COLUMNS.get(table.name, ())
    return [
        c.name
        for c in table.columns
        if c.name in found and (c.required or c.unique or c.type not in ("id", "text") or c.name in rules)
    ]


def _columns_to_read(table: Table, found: dict[str, str], header: list[str], path: Path, src, required, optional) -> list[str]:
    for col in required:
        if col not in found and not (table.name == "subscriptions" and col == "mrr"):
            raise _missing_column(table, path, header, col, src)
    for col in table.required:
        if col not in found:
            raise _missing_column(table, path, header, col, src)
    if table.one_of and not any(all(c in found for c in group) for group in table.one_of):
        groups = " nor ".join("'" + "' + '".join(g) + "'" for g in table.one_of)
        first = table.one_of[0][0]
        raise DataError(
            f"{path.name} has no column for {groups} (found: {', '.join(h.strip() for h in header[:12])})",
            f"Map one in the config: sources.{table.name}.columns.{first}"
            + (f" (or .{' and .'.join(table.one_of[1])})" if len(table.one_of) > 1 else ""),
            file=str(path),
            column=first,
        )
    asked = [c for c in (*required, *optional) if c in found and c != "mrr"]
    return list(dict.fromkeys([*fate_columns(table, found), *asked]))


# --------------------------------------------------------------------------- reading


def _arrow_types(table: Table, cols: list[str], src: SourceConfig) -> dict[str, pa.DataType]:
    """Columns Arrow's reader parses while reading (ISO dates and datetimes, plain numbers)."""
    typed = {}
    for c in cols:
        spec = table.column(c)
        if spec is None:
            continue
        if (spec.type == "date" and not src.date_format) or (spec.type == "datetime" and not src.datetime_format):
            typed[c] = pa.timestamp("us")
        elif spec.type == "number" and not src.decimal_comma:
            typed[c] = pa.float64()
    return typed


def _read(path: Path, src: SourceConfig, header: list[str], cols: list[str], positions: list[int], typed: dict):
    """Read the columns; a typed column Arrow refuses is read again as text (only that column)."""
    by_pos = dict(zip(positions, cols))
    types = {p: typed[c] for p, c in by_pos.items() if c in typed}
    while True:
        try:
            tbl, bad = readers.read_records(path, src.encoding, src.delimiter, len(header), positions, types)
            break
        except readers.ConversionFailed as exc:
            types.pop(exc.position)
    return tbl, bad, {by_pos[p] for p in types}


def read_table(cfg: Config, name: str, required=(), optional=()) -> tuple[pd.DataFrame, TableReport]:
    """Load one canonical table: every column that can decide a row's fate, plus the ones asked for.

    `required` columns missing from the file are an error naming the config key; `optional` ones
    are simply absent from the frame. Subscriptions always carry `mrr` in MRR units (from `mrr`,
    or `amount` + `interval`)."""
    table = TABLES[name]
    src = cfg.source(name)
    path = cfg.path_of(name)
    if not path.exists():
        raise DataError(
            f"{path}: file not found (needed for table '{name}')",
            f"Put {table.filename} in the data folder (--data) or set sources.{name}.path in the config",
            file=str(path),
        )
    if path.is_dir():
        raise DataError(f"{path}: is a folder, not a file (table '{name}')", f"Set sources.{name}.path to the export file", file=str(path))
    header = read_header(path, src)
    found = resolve_columns(table, header, src)
    cols = _columns_to_read(table, found, header, path, src, required, optional)
    positions = [_position(header, found[c], path, c, name) for c in cols]
    readers.check_quotes(path, src.encoding, src.delimiter)
    tbl, bad_rows, fast = _read(path, src, header, cols, positions, _arrow_types(table, cols, src))
    report = TableReport(name, str(path), read=tbl.num_rows + bad_rows)
    rows = _Rows(tbl.num_rows)
    frame = _typed_frame(tbl, cols, positions, fast, table, src, cfg, rows)
    _table_rules(frame, rows, table, src, cfg, path, report)
    if table.key and table.key in frame:
        key = frame[table.key]
        dup = (key.notna() & key.where(rows.ok).duplicated(keep="first")).to_numpy() & rows.ok
        rows.reject(dup, f"duplicate {table.key}")
    _check_sums(frame, rows, table, path)
    _account(rows, report, path, src, len(header), bad_rows)
    ok = rows.ok
    return (frame if ok.all() else frame.loc[ok].reset_index(drop=True)), report


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


def _typed_frame(tbl: pa.Table, cols, positions, fast: set, table: Table, src, cfg: Config, rows: _Rows) -> pd.DataFrame:
    """Arrow columns -> a frame of canonical, typed columns; bad values rejected with their reason."""
    frame = pd.DataFrame(index=pd.RangeIndex(tbl.num_rows))
    subs_value = table.name == "subscriptions"
    for col, pos in zip(cols, positions):
        spec = table.column(col)
        arr = tbl.column(f"c{pos}")
        if col in fast:  # parsed by Arrow while reading
            if spec.type == "number":  # Arrow reads `nan` and `inf` as numbers: no value of ours
                parsed = arr.to_pandas()
                values_ = parsed.to_numpy(dtype="float64")
                bad = ~np.isfinite(values_) & ~pc.is_null(arr).to_numpy(zero_copy_only=False) if not np.isfinite(values_).all() else None
                if bad is not None and bad.any():
                    rows.reject(bad, f"bad {col} (expected {_expected(spec, src)})")
                    parsed = parsed.where(~bad)
            else:
                parsed = arr.to_pandas().astype("datetime64[us]")
                if spec.type == "date":
                    parsed = parsed.dt.floor("D")
                else:  # wall-clock time in the zone -> an instant; one that leaves years 1..9999 is no value
                    parsed = values.fast_naive_to_utc(parsed, cfg.timezone)
            empty = pc.is_null(arr).to_numpy(zero_copy_only=False)
            rows.reject(~empty & parsed.isna().to_numpy(), f"bad {col} (expected {_expected(spec, src)})")
            if spec.required:
                rows.reject(empty, f"empty {col}")
            frame[col] = parsed
            continue
        trimmed = pc.utf8_trim_whitespace(arr)
        empty = pc.equal(pc.utf8_length(trimmed), 0).to_numpy(zero_copy_only=False)
        text = (trimmed if spec is not None and spec.type == "id" else arr).to_pandas()  # ids lose surrounding spaces
        if empty.any():
            missing = text.where(~empty)  # an empty cell is a missing value; text stays exactly as written
        else:
            missing = text
        if spec is None:  # customers' segment dimension
            frame[col] = missing
            continue
        if spec.required or (subs_value and col in ("mrr", "amount", "interval")):
            rows.reject(empty, f"empty {col}")
        if spec.type in ("id", "text"):
            frame[col] = missing
            continue
        parsed = _parse_column(spec, text, src, cfg)
        long = values.too_long(text)
        rows.reject(~empty & long, f"bad {col} (longer than {values.MAX_TYPED_CHARS} characters)")
        rows.reject(~empty & parsed.isna().to_numpy(), f"bad {col} (expected {_expected(spec, src)})")
        frame[col] = parsed
    return frame


def _parse_column(spec, raw: pd.Series, src: SourceConfig, cfg: Config) -> pd.Series:
    if spec.type == "date":
        return values.parse_dates(raw, src.date_format, cfg.timezone)
    if spec.type == "datetime":
        return values.parse_datetimes(raw, src.datetime_format, cfg.timezone)
    if spec.type == "money":
        return values.parse_money(raw, src.decimal_comma)
    if spec.type == "int":
        return values.parse_int(raw)
    if spec.type == "bool":
        return values.parse_bool(raw)
    if spec.type == "number":
        return values.parse_number(raw, src.decimal_comma)
    return raw


def _expected(spec, src: SourceConfig) -> str:
    if spec.type == "date" and src.date_format:
        return f"a date in {src.date_format}"
    if spec.type == "datetime" and src.datetime_format:
        return f"a datetime in {src.datetime_format}"
    if spec.type in ("money", "number") and src.decimal_comma:
        return "a number like 1.234,50"
    return _EXPECTED[spec.type]


# --------------------------------------------------------------------------- table rules


def _currency_rates(frame: pd.DataFrame, cfg: Config, src: SourceConfig, path: Path, rows: _Rows) -> np.ndarray | None:
    """Rate per row to the base currency, or None when no conversion is needed. A blank currency
    cell is the file's currency (sources.<table>.currency); with neither, the row is rejected."""
    if "currency" in frame:
        codes = frame["currency"].str.strip().str.upper().fillna("")
        if src.currency:
            codes = codes.where(codes != "", src.currency.upper())
        else:
            rows.reject((codes == "").to_numpy(), "empty currency (set the file's currency: sources.<table>.currency)")
    elif src.currency:
        codes = pd.Series(src.currency.upper(), index=frame.index)
    else:
        return None
    present = sorted(set(codes[rows.ok].unique()) - {""})
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
    rates = {**cfg.currency.rates, base: 1.0}
    return codes.map(rates).to_numpy(dtype="float64", na_value=np.nan)


def _convert(units: pd.Series, rates: np.ndarray | None, rows: _Rows, col: str, base: str | None) -> np.ndarray:
    """Int64 money units -> int64 in the base currency (0 where missing); out-of-range rows rejected."""
    money = units.to_numpy(dtype="float64", na_value=np.nan)
    if rates is not None:
        money = np.rint(money * rates)
        out = ~(np.abs(money) <= MAX_MONEY * MONEY_SCALE) & ~np.isnan(units.to_numpy(dtype="float64", na_value=np.nan))
        rows.reject(out & ~np.isnan(rates), f"bad {col} (above {MAX_MONEY:,} {base or ''} after conversion)".replace("  ", " "))
    return np.where(np.isfinite(money) & (np.abs(money) <= MAX_MONEY * MONEY_SCALE), money, 0).astype("int64")


def _table_rules(frame: pd.DataFrame, rows: _Rows, table: Table, src, cfg: Config, path: Path, report) -> None:
    """Rules beyond column types: subscription dates and MRR, excluded statuses, survey scales."""
    if table.name == "subscriptions":
        _subscription_rules(frame, rows, src, cfg, path)
    elif table.name == "invoices":
        if "status" in frame and src.exclude_status:  # before currencies: a void row needs no rate
            status = frame["status"].str.strip().str.lower()
            excluded = status.isin([s.lower() for s in src.exclude_status]).to_numpy() & rows.ok
            for label, n in status[excluded].value_counts().items():
                report.filter(f"status {label}", n)
            rows.reject(excluded, _Rows.FILTERED)
        rates = _currency_rates(frame, cfg, src, path, rows)
        amount = frame["amount"]
        frame["amount"] = pd.array(_convert(amount, rates, rows, "amount", cfg.currency.base), dtype="Int64")
        frame.loc[amount.isna().to_numpy(), "amount"] = pd.NA
        _drop(frame, "currency")
    elif table.name == "surveys":
        labels = {k.strip().lower(): v for k, v in src.survey_labels.items()}
        kind = _map_distinct(frame["survey"].str.strip().str.lower(), labels)
        frame["survey"] = kind
        other = ~kind.isin(SURVEY_KINDS).to_numpy() & rows.ok
        for label, n in kind[other].value_counts().items():
            report.filter(f"survey '{label}' is not nps/csat/ces (map it: sources.surveys.survey_labels)", n)
        rows.reject(other, _Rows.FILTERED)
        for survey in SURVEY_KINDS:
            low, high = cfg.metrics.scale(survey)
            off = (kind == survey).to_numpy() & ~((frame["score"] >= low) & (frame["score"] <= high)).to_numpy(dtype=bool, na_value=False)
            rows.reject(off & frame["score"].notna().to_numpy(), f"score off the {survey} scale {low:g}..{high:g}")


def _subscription_rules(frame: pd.DataFrame, rows: _Rows, src, cfg: Config, path: Path) -> None:
    if "ended_at" in frame:
        rows.reject((frame["ended_at"] < frame["started_at"]).to_numpy(), "ends before it starts")
        if src.end_inclusive:  # the export's end dates are last days of service: make them first days without
            frame["ended_at"] = frame["ended_at"] + pd.Timedelta(days=1)
    if src.end_inclusive and "term_ends_at" in frame:
        frame["term_ends_at"] = frame["term_ends_at"] + pd.Timedelta(days=1)
    if "is_trial" in frame:
        frame["is_trial"] = frame["is_trial"].fillna(False).astype(bool)
    rates = _currency_rates(frame, cfg, src, path, rows)
    if "mrr" in frame:
        units = _convert(frame["mrr"], rates, rows, "mrr", cfg.currency.base)
        rows.reject(units < 0, "negative mrr")
        frame["mrr"] = np.where(units > 0, units, 0).astype("int64") * 144
    else:
        interval = _map_distinct(frame["interval"].str.strip().str.lower(), INTERVAL_ALIASES)
        rows.reject(~interval.isin(INTERVALS).to_numpy(), "unknown interval (expected day, week, month, quarter or year)")
        count = frame["interval_count"] if "interval_count" in frame else pd.Series(1, index=frame.index)
        count = count.fillna(1).to_numpy(dtype="int64")
        rows.reject(count <= 0, "interval_count below 1")
        units = _convert(frame["amount"], rates, rows, "amount", cfg.currency.base)
        rows.reject(units < 0, "negative mrr")
        factor = interval.map(MRR_FACTOR).fillna(0).to_numpy(dtype="int64")
        count = np.maximum(count, 1)
        product = np.where(units > 0, units, 0) * factor  # at most 10^15 x 4,380: fits in int64
        frame["mrr"] = (product // count + ((product % count) * 2 >= count)).astype("int64")  # nearest, half up
        _drop(frame, "amount", "interval", "interval_count")
    _drop(frame, "currency")


def _check_sums(frame: pd.DataFrame, rows: _Rows, table: Table, path: Path) -> None:
    """Every sum of a table's amounts must be exact in int64: refuse a table whose amounts cannot be."""
    for col in ("mrr", "amount"):
        if col in frame and table.name in ("subscriptions", "invoices", "costs"):
            units = frame[col].to_numpy(dtype="float64", na_value=0.0)
            total = float(np.abs(units[rows.ok]).sum())
            if total >= SUM_LIMIT:
                raise DataError(
                    f"{path.name}: the amounts of '{col}' add up to more than int64 can hold exactly "
                    f"({total / (MONEY_SCALE * (144 if col == 'mrr' else 1)):,.0f} in all)",
                    "Check the export's amounts and their currency rates: amounts of this size are not real money",
                    file=str(path),
                    column=col,
                )


def _map_distinct(s: pd.Series, mapping: dict[str, str]) -> pd.Series:
    """Rename values through `mapping` (others unchanged), looking up each distinct value once."""
    distinct = {v: mapping.get(v, v) for v in s.dropna().unique()}
    return s.map(distinct)


def _drop(frame: pd.DataFrame, *columns: str) -> None:
    """Remove helper columns in place (the frame is local to the reader)."""
    for c in columns:
        if c in frame:
            del frame[c]


def _account(rows: _Rows, report: TableReport, path: Path, src, ncols: int, bad_rows: int) -> None:
    """Fill the report's rejection counts and first line numbers."""
    if bad_rows:
        report.rejected["wrong number of cells"] = bad_rows
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
    valid, invalid = readers.physical_lines(path, src.encoding, src.delimiter, ncols, need, min(bad_rows, FIRST_LINES))
    for reason, idx in firsts.items():
        report.rejected_lines[reason] = [valid[i] for i in idx if i < len(valid)]
    if bad_rows:
        report.rejected_lines["wrong number of cells"] = [line for line, _ in invalid[:FIRST_LINES]]
