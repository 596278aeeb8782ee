"""One export file -> one canonical table: typed columns, table rules, row accounting.

The fate of a row (used, filtered, rejected and why) depends only on the row, the data contract
and the config: every column that can reject a row is read and checked whichever command reads
the table — the required ones, every typed one (dates, datetimes, money, numbers, integers,
flags), the table's key and the columns its rules look at (interval, currency, status, survey).
Free-text and id columns that no rule looks at can never reject a row, so they are read only
when a metric uses them. Every command therefore reports the same counts for a table.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cs_metrics.config import Config, FileConfig, SourceConfig
from cs_metrics.contract import SURVEY_KINDS, TABLES, Table
from cs_metrics.errors import DataError
from cs_metrics.i18n import T, join
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
RULE_COLUMNS = {
    "subscriptions": ("interval", "currency", "status", "discount_duration"),
    "invoices": ("currency", "status"),
    "invoice_lines": ("currency",),
    "surveys": ("survey",),
    "fx_rates": ("currency",),
    "vendor_mrr": ("status", "month"),
}

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
    files: list = field(default_factory=list)  # a table of several files: each file's own report
    ncols: int = 0  # header width and rows skipped after it (for line numbers)
    skip: int = 0
    span: tuple | None = None  # (first, last) day of the table's main date column over its usable rows

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
        parts = [T("{name}: {read:,} read, {used:,} used", name=self.name, read=self.read, used=self.used)]
        if self.filtered:
            why = _capped([f"{r}: {n:,}" for r, n in self.filtered.items()], "; ")
            parts.append(T("{n:,} filtered ({why})", n=self.filtered_total, why=why))
        if self.rejected:
            why = _capped(
                [
                    T(
                        "{reason}: {n:,} (line {lines}{more})",
                        reason=r, n=n, lines=", ".join(map(str, self.rejected_lines.get(r, []))),
                        more=", ..." if n > len(self.rejected_lines.get(r, [])) else "",
                    )
                    for r, n in self.rejected.items()
                ],
                "; ",
            )
            parts.append(T("{n:,} rejected ({why})", n=self.rejected_total, why=why))
        return join(", ", parts)


def _capped(items: list[str], sep: str) -> str:
    if len(items) <= MAX_LABELS:
        return join(sep, items)
    return join(sep, items[:MAX_LABELS]) + sep + T("... and {n} more", n=len(items) - MAX_LABELS)


# --------------------------------------------------------------------------- columns


def read_header(path: Path, src: FileConfig) -> list[str]:
    return readers.read_file_header(path, src)


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


def _arrow_types(table: Table, cols: list[str], fc: FileConfig, cfg: Config) -> dict[str, pa.DataType]:
    """Columns Arrow's reader parses while reading (ISO dates and datetimes, plain numbers), unless
    the file needs them as text: a format, a value map, the Buddhist era, a zone of its own."""
    typed = {}
    own_zone = fc.timezone is not None and fc.timezone != cfg.timezone
    for c in cols:
        spec = table.column(c)
        if spec is None or c in fc.values or c in fc.fixed or c in fc.elapsed:
            continue
        if spec.type == "date" and not fc.date_format and not fc.buddhist_era and not own_zone:
            typed[c] = pa.timestamp("us")
        elif spec.type == "datetime" and not fc.datetime_format and not fc.buddhist_era:
            typed[c] = pa.timestamp("us")
        elif spec.type == "number" and not fc.decimal_comma:
            typed[c] = pa.float64()
        elif spec.type == "money" and not fc.decimal_comma:
            typed[c] = pa.decimal128(18, 4)  # plain amounts; any other spelling sends the column to the text path
    return typed


def _read(path: Path, fc: FileConfig, header: list[str], cols: list[str], positions: list[int], typed: dict):
    """Read the columns; a typed column Arrow refuses is read again as text (only that column)."""
    by_pos = dict(zip(positions, cols))
    shared = {p for p in positions if positions.count(p) > 1}  # one header mapped to two columns: read once, as text
    types = {p: typed[c] for p, c in by_pos.items() if c in typed and p not in shared}
    if readers.file_format(path, fc) != "csv":
        types = {}  # sheets and Parquet files come as text: every value goes through the text path
    while True:
        try:
            tbl, bad = readers.read_file(path, fc, len(header), list(dict.fromkeys(positions)), types)
            break
        except readers.ConversionFailed as exc:
            types.pop(exc.position)
    return tbl, bad, {by_pos[p] for p in types}


@dataclass
class _Part:
    """One file of a table, read and typed, before the rules that look across files (repeated keys)."""

    path: Path
    fc: FileConfig
    frame: pd.DataFrame
    rows: "_Rows"
    report: TableReport
    ncols: int
    bad_rows: int
    currencies: set


def _read_file(cfg: Config, table: Table, path: Path, fc: FileConfig, required, optional) -> _Part:
    name = table.name
    if not path.exists():
        raise DataError(
            f"{path}: file not found (needed for table '{name}')",
            f"Put {table.filename} in the data folder (--data) or set sources.{name}.path in the config",
            file=str(path),
        )
    if path.is_dir():
        raise DataError(f"{path}: is a folder, not a file (table '{name}')", f"Set sources.{name}.path to the export file", file=str(path))
    header = readers.read_file_header(path, fc)
    found = resolve_columns(table, header, fc)
    found.update({c: None for c in fc.fixed})  # a fixed column is a column of every row of the file
    cols = _columns_to_read(table, found, header, path, fc, required, optional)
    read_cols = [c for c in cols if found[c] is not None]
    positions = [_position(header, found[c], path, c, name) for c in read_cols]
    tbl, bad_rows, fast = _read(path, fc, header, read_cols, positions, _arrow_types(table, read_cols, fc, cfg))
    skipped = min(fc.skip_rows, tbl.num_rows)
    if skipped:  # rows after the header that are no records (a second header row): left out, and counted
        tbl = tbl.slice(skipped)
    report = TableReport(name, str(path), read=tbl.num_rows + bad_rows + skipped)
    report.filter("rows after the header skipped (skip_rows)", skipped)
    rows = _Rows(tbl.num_rows)
    for col, value in fc.fixed.items():
        tbl = tbl.append_column(f"fixed:{col}", pa.array([value] * tbl.num_rows, type=pa.string()))
    names = {c: (f"c{p}" if c in read_cols else f"fixed:{c}") for c, p in zip(cols, _positions_of(cols, read_cols, positions))}
    frame = _typed_frame(tbl, cols, names, fast, table, fc, cfg, rows, report)
    currencies = _table_rules(frame, rows, table, fc, cfg, path, report)
    report.ncols, report.skip = len(header), skipped  # for the line numbers of rejected rows
    return _Part(path, fc, frame, rows, report, len(header), bad_rows, currencies)


def _positions_of(cols, read_cols, positions) -> list:
    where = dict(zip(read_cols, positions))
    return [where.get(c) for c in cols]


def read_table(cfg: Config, name: str, required=(), optional=(), window=None) -> tuple[pd.DataFrame, TableReport]:
    """See _read_table; with the parsed-table cache (sources/cache.py) in front of it. `window`:
    (first, last) UTC instants in microseconds of the rows to keep by the table's time column
    (events: occurred_at); every row is still checked and counted."""
    from cs_metrics.sources import cache

    files = cfg.files_of(name)
    caching = all(p.is_file() for p, _ in files) and cache.usable(cfg, files)
    if len(files) > 1:
        window = None  # the rows of several files are joined to customers file by file: keep them all
    if caching:
        hit = cache.load(cfg, name, files, window)
        if hit is not None and all(c in hit[0].columns or c == "mrr" for c in required):
            return hit[0], _report_from(hit[1])
        table = TABLES[name]  # an entry holds every column the files have, so any command can use it
        optional = [*optional, *table.names, *(c for _, fc in files for c in fc.columns)]
    from cs_metrics.coverage import MAIN_COLUMN, main_span
    from cs_metrics.sources import stream

    if stream.streamable(name, files):  # batch by batch: memory follows the window (every row without one)
        sink = cache.Writer(cfg, name, files) if caching else None
        frame = None
        keep = window if window is not None else (np.iinfo(np.int64).min, np.iinfo(np.int64).max)
        try:
            frame, report = stream.read(cfg, TABLES[name], *files[0], required, optional, keep, sink)
        except readers._NotStreamable:  # a record larger than a batch, say: the whole-file reader copes
            frame = None
        finally:
            if sink is not None and frame is None:
                sink.abort()
        if frame is not None:
            if sink is not None:
                info = asdict(report)
                info["time_column"] = "occurred_at"
                sink.close(info)
            return frame, report
    frame, report = _read_table(cfg, name, required, optional)
    report.span = main_span(name, frame, cfg)
    if caching:
        info = asdict(report)
        info["time_column"] = MAIN_COLUMN.get(name) if name in ("events",) else None
        cache.save(cfg, name, files, frame, info)
    if window is not None and name == "events" and "occurred_at" in frame:
        from cs_metrics.sources.values import micros

        t = micros(frame["occurred_at"])
        keep = (t >= window[0]) & (t < window[1])
        if not keep.all():
            frame = frame.loc[keep].reset_index(drop=True)
    return frame, report


def _report_from(info: dict) -> TableReport:
    from datetime import date

    fields = {k: v for k, v in info.items() if k in TableReport.__dataclass_fields__}
    fields["files"] = [_report_from(f) for f in fields.get("files", [])]
    if fields.get("span"):
        fields["span"] = tuple(date.fromisoformat(str(d)) for d in fields["span"])
    return TableReport(**fields)


def _read_table(cfg: Config, name: str, required=(), optional=()) -> tuple[pd.DataFrame, TableReport]:
    """Load one canonical table from its file(s): every column that can decide a row's fate, plus the
    ones asked for.

    `required` columns missing from a file are an error naming the config key; `optional` ones are
    simply absent from the frame. Subscriptions always carry `mrr` in MRR units (from `mrr`, or
    `amount` + `interval`). Several files (sources.<table>.files, or a glob) make one table: a row
    that repeats an earlier row of the table exactly is left out and counted; a repeated key with
    different content is rejected."""
    table = TABLES[name]
    parts = [_read_file(cfg, table, path, fc, required, optional) for path, fc in cfg.files_of(name)]
    _check_currencies(parts, cfg, name)
    columns = list(dict.fromkeys(c for p in parts for c in p.frame.columns))
    frame = pd.concat([p.frame.reindex(columns=columns) for p in parts], ignore_index=True) if len(parts) > 1 else parts[0].frame
    ok = np.concatenate([p.rows.ok for p in parts])
    if table.key and table.key in frame:
        _repeated_keys(frame, ok, parts, table.key)
        ok = np.concatenate([p.rows.ok for p in parts])
    _check_sums(frame, ok, table, parts[0].path if len(parts) == 1 else Path(f"{name} files"))
    for p in parts:
        _account(p.rows, p.report, p.path, p.fc, p.ncols, p.bad_rows)
    report = parts[0].report if len(parts) == 1 else _merged_report(name, parts)
    from cs_metrics.sources import billing

    return billing.finish(name, frame if ok.all() else frame.loc[ok].reset_index(drop=True)), report


def _repeated_keys(frame: pd.DataFrame, ok: np.ndarray, parts: list[_Part], key: str) -> None:
    """A key seen before: the row is left out (and counted) when it repeats the earlier row exactly —
    overlapping exports — and rejected when its content differs."""
    keys = frame[key]
    candidates = keys.notna().to_numpy() & ok
    if not candidates.any():
        return  # no key at all (a header-only file): nothing repeats
    values_ = pa.array(keys.array).filter(pa.array(candidates)) if hasattr(keys.array, "__arrow_array__") else pa.array(keys[candidates], from_pandas=True)
    if len(pc.unique(values_)) == len(values_):
        return  # every key once (the usual case): one hash pass in Arrow, nothing more
    repeat = np.zeros(len(frame), dtype=bool)
    repeat[candidates] = keys[candidates].duplicated(keep="first").to_numpy()
    if not repeat.any():
        return
    identical = np.zeros(len(frame), dtype=bool)
    identical[candidates] = frame.loc[candidates].duplicated(keep="first").to_numpy()
    start = 0
    for p in parts:
        n = len(p.frame)
        same = repeat[start : start + n] & identical[start : start + n]
        p.rows.reject(same, _Rows.FILTERED)
        p.report.filter("repeats an earlier row exactly (overlapping exports)", int(same.sum()))
        p.rows.reject(repeat[start : start + n] & ~same, f"duplicate {key}")
        start += n


def _merged_report(name: str, parts: list[_Part]) -> TableReport:
    """One report for a table of several files; rejected lines are named file:line."""
    merged = TableReport(name, f"{parts[0].path.parent}/{{{','.join(p.path.name for p in parts)}}}")
    merged.files = [p.report for p in parts]
    for p in parts:
        r = p.report
        merged.read += r.read
        for reason, n in r.filtered.items():
            merged.filter(reason, n)
        for reason, n in r.rejected.items():
            merged.rejected[reason] = merged.rejected.get(reason, 0) + n
            lines = merged.rejected_lines.setdefault(reason, [])
            lines += [f"{p.path.name}:{line}" for line in r.rejected_lines.get(reason, [])][: FIRST_LINES - len(lines)]
        merged.warnings += [f"{p.path.name}: {w}" for w in r.warnings]
    return merged


def _check_currencies(parts: list[_Part], cfg: Config, name: str) -> None:
    """Without a base currency, the files of a table must all hold the same one currency."""
    present = sorted(set().union(*(p.currencies for p in parts)))
    if cfg.currency.base is None and len(present) > 1:
        where = parts[0].path.name if len(parts) == 1 else f"the files of {name}"
        raise DataError(
            f"{where}: amounts are in several currencies ({', '.join(present)}) and no base currency is set",
            "Set currency.base and currency.rates in the config",
            file=str(parts[0].path),
            column="currency",
        )


class _Rows:
    """The first rejection reason of each row, vectorised: a small code per row (0 = kept) and the
    list of reason texts. FILTERED marks rows left out by a rule of the export (a void invoice)."""

    FILTERED = "__filtered__"

    def __init__(self, n: int):
        self.code = np.zeros(n, dtype=np.int16)
        self.reasons: list[str] = [""]

    def only_empty(self) -> np.ndarray:
        """Rows rejected because a value is empty (not because one is unparseable)."""
        empty = np.array([reason.startswith("empty ") for reason in self.reasons])
        return empty[self.code]

    def leave_out(self, mask) -> None:
        """Filter rows, also rows already rejected (see _excluded_status)."""
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            if self.FILTERED not in self.reasons:
                self.reasons.append(self.FILTERED)
            self.code[mask] = self.reasons.index(self.FILTERED)

    def reject(self, mask, reason: str) -> None:
        mask = np.asarray(mask, dtype=bool) & (self.code == 0)
        if mask.any():
            if reason not in self.reasons:
                self.reasons.append(reason)
            self.code[mask] = self.reasons.index(reason)

    @property
    def ok(self) -> np.ndarray:
        return self.code == 0


def _typed_frame(tbl: pa.Table, cols, names: dict, fast: set, table: Table, fc: FileConfig, cfg: Config, rows: _Rows, report) -> pd.DataFrame:
    """Arrow columns -> a frame of canonical, typed columns; bad values rejected with their reason."""
    frame = pd.DataFrame(index=pd.RangeIndex(tbl.num_rows))
    subs_value = table.name == "subscriptions"
    naive_zone = fc.timezone or cfg.timezone  # the zone of the file's naive datetimes
    for col in cols:
        spec = table.column(col)
        arr = tbl.column(names[col])
        if col in fast and spec.type == "money":  # decimals Arrow parsed: their integers are our units
            units, valid = values.fast_money_units(arr)
            empty = pc.is_null(arr).to_numpy(zero_copy_only=False)
            rows.reject(~empty & ~valid, f"bad {col} (expected {_expected(spec, fc)})")
            if spec.required or (subs_value and col in ("mrr", "amount")):
                rows.reject(empty, f"empty {col}")
            parsed = pd.array(units, dtype="Int64")
            parsed[~valid] = pd.NA
            if fc.amount_divisor > 1:
                parsed = pd.Series(np.rint(parsed.to_numpy(dtype="float64", na_value=np.nan) / fc.amount_divisor)).astype("Int64").array
            frame[col] = parsed
            continue
        if col in fast:  # parsed by Arrow while reading
            if spec.type == "number":  # Arrow reads `nan` and `inf` as numbers: no value of ours
                parsed = arr.to_pandas()
                values_ = parsed.to_numpy(dtype="float64")
                bad = ~np.isfinite(values_) & ~pc.is_null(arr).to_numpy(zero_copy_only=False) if not np.isfinite(values_).all() else None
                if bad is not None and bad.any():
                    rows.reject(bad, f"bad {col} (expected {_expected(spec, fc)})")
                    parsed = parsed.where(~bad)
            else:
                parsed = arr.to_pandas().astype("datetime64[us]")
                if spec.type == "date":
                    parsed = parsed.dt.floor("D")
                else:  # wall-clock time in the zone -> an instant; one that leaves years 1..9999 is no value
                    parsed = values.fast_naive_to_utc(parsed, naive_zone)
            empty = pc.is_null(arr).to_numpy(zero_copy_only=False)
            rows.reject(~empty & parsed.isna().to_numpy(), f"bad {col} (expected {_expected(spec, fc)})")
            if spec.required:
                rows.reject(empty, f"empty {col}")
            frame[col] = parsed
            continue
        trimmed = values.trim_whitespace(arr)
        empty = pc.equal(pc.binary_length(trimmed), 0).to_numpy(zero_copy_only=False)
        text = (trimmed if spec is not None and spec.type == "id" else arr).to_pandas()  # ids lose surrounding spaces
        if col in fc.values:  # the export's own words -> canonical values (`Very easy` -> 7, `Solved` -> true)
            text = values.map_values(text, fc.values[col])
            empty = (text.str.strip() == "").to_numpy(dtype=bool, na_value=True)
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
        if fc.buddhist_era and spec.type in ("date", "datetime") and col not in fc.elapsed:
            text = values.from_buddhist_era(text)
        parsed = values.by_distinct(text, lambda t: _parse_column(spec, t, fc, cfg, naive_zone))
        long = values.too_long(text)
        rows.reject(~empty & long, f"bad {col} (longer than {values.MAX_TYPED_CHARS} characters)")
        rows.reject(~empty & parsed.isna().to_numpy(), f"bad {col} (expected {_expected(spec, fc)})")
        frame[col] = parsed
    for col in fc.elapsed:  # seconds since created_at -> the instant
        if col in frame and "created_at" in frame:
            frame[col] = values.after(frame["created_at"], frame[col])
    _warn_buddhist_era(frame, table, fc, report)
    return frame


_YEAR_2400_US = (date(2400, 1, 1).toordinal() - date(1970, 1, 1).toordinal()) * values.US_PER_DAY
_YEAR_2701_US = (date(2701, 1, 1).toordinal() - date(1970, 1, 1).toordinal()) * values.US_PER_DAY


def _warn_buddhist_era(frame: pd.DataFrame, table: Table, fc: FileConfig, report) -> None:
    """Dates 400+ years ahead that read as 24xx-26xx are Buddhist-era years read as CE: say so."""
    if fc.buddhist_era:
        return
    for col in frame.columns:
        spec = table.column(col)
        if spec is None or spec.type not in ("date", "datetime"):
            continue
        us = values.micros(frame[col])  # years 2400..2700 as microseconds: one comparison per row
        thai = (us >= _YEAR_2400_US) & (us < _YEAR_2701_US)
        if thai.any():
            example = frame.loc[thai, col].iloc[0].date()
            report.warnings.append(
                f"{col} holds dates like {example}, 400+ years ahead: they look like Thai Buddhist-era years "
                f"({example.year} = {example.year - 543}). Set sources.{table.name}.buddhist_era: true to convert them"
            )


def _parse_column(spec, raw: pd.Series, fc: FileConfig, cfg: Config, naive_zone: str) -> pd.Series:
    if spec.name in fc.elapsed:  # seconds since created_at, made an instant once created_at is read
        return values.parse_elapsed(raw, fc.elapsed[spec.name])
    if spec.type == "date":
        return values.parse_dates(raw, fc.date_format, cfg.timezone, naive_zone)
    if spec.type == "datetime":
        return values.parse_datetimes(raw, fc.datetime_format, naive_zone)
    if spec.type == "money":
        units = values.parse_money(raw, fc.decimal_comma)
        if fc.amount_divisor > 1:  # amounts in minor units (cents): exact while the divisor divides them
            units = pd.Series(np.rint(units.to_numpy(dtype="float64", na_value=np.nan) / fc.amount_divisor), index=raw.index).astype("Int64")
        return units
    if spec.type == "int":
        return values.parse_int(raw)
    if spec.type == "bool":
        return values.parse_bool(raw)
    if spec.type == "number":
        return values.parse_number(raw, fc.decimal_comma)
    return raw


def _expected(spec, src: SourceConfig) -> str:
    if spec.name in src.elapsed:
        unit = src.elapsed[spec.name]
        return "a duration like 43:45:00 since created_at" if unit == "h:mm:ss" else f"a number of {unit} since created_at"
    if spec.type == "date" and src.date_format:
        return f"a date in {src.date_format}"
    if spec.type == "datetime" and src.datetime_format:
        return f"a datetime in {src.datetime_format}"
    if spec.type in ("money", "number") and src.decimal_comma:
        return "a number like 1.234,50"
    return _EXPECTED[spec.type]


# --------------------------------------------------------------------------- table rules


def _currency_rates(frame: pd.DataFrame, cfg: Config, src: FileConfig, path: Path, rows: _Rows) -> tuple[np.ndarray | None, set]:
    """Rate per row to the base currency (None when no conversion is needed), and the currencies the
    usable rows hold. A blank currency cell is the file's currency (sources.<table>.currency); with
    neither, the row is rejected, never summed at the base rate."""
    if "currency" in frame:
        codes = values.by_distinct(frame["currency"], lambda c: c.str.strip().str.upper().fillna(""))
        if src.currency:
            codes = codes.where(codes != "", src.currency.upper())
        else:
            rows.reject((codes == "").to_numpy(), "empty currency (set the file's currency: sources.<table>.currency)")
    elif src.currency:
        codes = pd.Series(src.currency.upper(), index=frame.index)
    else:
        return None, set()
    present = set(codes[rows.ok].unique()) - {""}
    base = cfg.currency.base
    if base is None:
        return None, present  # several currencies without a base: _check_currencies stops the run
    missing = sorted(c for c in present if c != base and c not in cfg.currency.rates)
    if missing:
        raise DataError(
            f"{path.name}: no rate to {base} for {', '.join(missing)}",
            f"Add it to the config: currency.rates.{missing[0]} (1 {missing[0]} = ? {base})",
            file=str(path),
            column="currency",
        )
    rates = {**cfg.currency.rates, base: 1.0}
    return values.by_distinct(codes, lambda c: c.map(rates)).to_numpy(dtype="float64", na_value=np.nan), present


def _excluded_status(frame: pd.DataFrame, rows: _Rows, table: Table, fc: FileConfig, report) -> None:
    """Rows whose status the config excludes (void invoices, never-billed subscriptions): left out,
    and counted per status. Before currencies: such a row needs no rate."""
    excluded_statuses = [x.strip().lower() for x in fc.excluded(table.name)]
    if "status" not in frame or not excluded_statuses:
        return
    status = values.by_distinct(frame["status"], lambda t: t.str.strip().str.lower())
    # a value that is empty because of the status (a Recurly `future` subscription has no start yet) does
    # not make the row rejected; a value present but unparseable still does
    excluded = status.isin(excluded_statuses).to_numpy() & (rows.ok | rows.only_empty())
    for label, n in status[excluded].value_counts().items():
        report.filter(f"status {label}", n)
    rows.leave_out(excluded)


def _convert(units: pd.Series, rates: np.ndarray | None, rows: _Rows, col: str, base: str | None) -> np.ndarray:
    """Int64 money units -> int64 in the base currency (0 where missing); out-of-range rows rejected."""
    money = units.to_numpy(dtype="float64", na_value=np.nan)
    if rates is not None:
        money = np.rint(money * rates)
        out = ~(np.abs(money) <= MAX_MONEY * MONEY_SCALE) & ~np.isnan(units.to_numpy(dtype="float64", na_value=np.nan))
        rows.reject(out & ~np.isnan(rates), f"bad {col} (above {MAX_MONEY:,} {base or ''} after conversion)".replace("  ", " "))
    return np.where(np.isfinite(money) & (np.abs(money) <= MAX_MONEY * MONEY_SCALE), money, 0).astype("int64")


def _table_rules(frame: pd.DataFrame, rows: _Rows, table: Table, src: FileConfig, cfg: Config, path: Path, report) -> set:
    """Rules beyond column types: excluded statuses, subscription dates and MRR, currencies, survey
    kinds and scales. Returns the currencies of the file's usable rows."""
    from cs_metrics.sources import billing

    _excluded_status(frame, rows, table, src, report)
    currencies: set = set()
    if table.name == "subscriptions":
        currencies = billing.subscription_rules(frame, rows, src, cfg, path)
    elif table.name == "invoices":
        currencies = billing.invoice_rules(frame, rows, src, cfg, path)
    elif table.name == "invoice_lines":
        currencies = billing.invoice_line_rules(frame, rows, src, cfg, path)
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
    return currencies


def _check_sums(frame: pd.DataFrame, ok: np.ndarray, table: Table, path: Path) -> None:
    """Every sum of a table's amounts must be exact in int64: refuse a table whose amounts cannot be."""
    for col in ("mrr", "amount"):
        if col in frame and table.name in ("subscriptions", "invoices", "costs", "invoice_lines"):
            units = frame[col].to_numpy(dtype="float64", na_value=0.0)
            total = float(np.abs(units[ok]).sum())
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
    return values.by_distinct(s, lambda d: d.map({v: mapping.get(v, v) for v in d.dropna().unique()}))


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
    skip = getattr(report, "skip", 0)  # records skipped after the header come before the rows counted here
    valid, invalid = readers.physical_lines(path, src, ncols, need + skip, min(bad_rows, FIRST_LINES))
    valid = valid[skip:]
    for reason, idx in firsts.items():
        report.rejected_lines[reason] = [valid[i] for i in idx if i < len(valid)]
    if bad_rows:
        report.rejected_lines["wrong number of cells"] = [line for line, _ in invalid[:FIRST_LINES]]
