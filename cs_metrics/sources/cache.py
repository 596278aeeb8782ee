"""The parsed-table cache: a second run over unchanged exports does not parse them again.

A table read from files of at least `cache.min_bytes` (1 MB) is kept, after validation, as an Arrow
IPC file with its row accounting: every usable row with every column the files hold, so any command
can use it. The key is each file's identity (resolved path, size, modification time in ns), the
config entries that shape the table (its sources entry, the time zone, the currencies, the survey
scales) and the cs-metrics version: any change is a new key. Entries are written to a temporary file
and renamed, so two runs at once never read a half-written one; an entry for the same files under an
older key is removed when the new one is written. Row accounting, warnings and the table's span come
from the entry exactly as from a parse. `--no-cache` (or `cache: {enabled: false}`) turns it off;
`cache: {path: DIR}` (or $CS_METRICS_CACHE) moves it from $XDG_CACHE_HOME/cs-metrics.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa

ENV_DIR = "CS_METRICS_CACHE"
FORMAT = 2  # bump when what an entry holds changes
BATCH_ROWS = 1 << 18  # rows a record batch of an entry holds: a window reads the batches it overlaps


def folder(cfg) -> Path:
    if cfg.cache.path:
        return Path(cfg.base_dir) / cfg.cache.path
    if os.environ.get(ENV_DIR):
        return Path(os.environ[ENV_DIR])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cs-metrics"


def usable(cfg, files: list[tuple[Path, object]]) -> bool:
    """Whether the table's files are worth caching (enabled, and large enough)."""
    if not cfg.cache.enabled:
        return False
    try:
        return sum(p.stat().st_size for p, _ in files) >= cfg.cache.min_bytes
    except OSError:
        return False


def key(cfg, name: str, files: list[tuple[Path, object]]) -> tuple[str, str]:
    """(files part, whole key): the first names the files, the second everything that shapes the table."""
    from cs_metrics import __version__

    identity = []
    for path, fc in files:
        st = path.stat()
        identity.append([str(path.resolve()), st.st_size, st.st_mtime_ns, fc.model_dump(mode="json")])
    shaping = {
        "format": FORMAT,
        "version": __version__,
        "table": name,
        "timezone": cfg.timezone,
        "currency": cfg.currency.model_dump(mode="json"),
        "scales": {k: list(cfg.metrics.scale(k)) for k in ("nps", "csat", "ces")},
        "files": identity,
    }
    files_part = hashlib.sha256(json.dumps([i[0] for i in identity]).encode()).hexdigest()[:16]
    whole = hashlib.sha256(json.dumps(shaping, sort_keys=True, default=str).encode()).hexdigest()[:24]
    return files_part, whole


def _entry(cfg, name: str, files) -> tuple[Path, Path]:
    files_part, whole = key(cfg, name, files)
    base = folder(cfg) / f"{name}-{files_part}-{whole}"
    return base.with_suffix(".arrow"), base.with_suffix(".json")


def load(cfg, name: str, files, window=None):
    """(frame, report fields) from the cache, or None. `window`: (first, last) instants (UTC us) of the
    rows to keep by the table's time column, read batch by batch so memory follows the window."""
    try:
        data, meta = _entry(cfg, name, files)
        if not data.is_file() or not meta.is_file():
            return None
        info = json.loads(meta.read_text(encoding="utf-8"))
        source = pa.memory_map(str(data), "r")
        reader = pa.ipc.open_file(source)
        ranges = info.get("batch_ranges") or [None] * reader.num_record_batches
        batches = []
        for i in range(reader.num_record_batches):
            lo_hi = ranges[i] if i < len(ranges) else None
            if window is not None and lo_hi is not None and (lo_hi[1] < window[0] or lo_hi[0] >= window[1]):
                continue  # a batch wholly outside the window is not even touched
            batch = reader.get_batch(i)
            inside = window is not None and lo_hi is not None and window[0] <= lo_hi[0] and lo_hi[1] < window[1]
            if window is not None and not inside:
                batch = _in_window(batch, info["time_column"], window)
            batches.append(batch)
        table = pa.Table.from_batches(batches, schema=reader.schema)
        frame = table.to_pandas()
    except (OSError, pa.ArrowException, ValueError, KeyError, json.JSONDecodeError):
        return None  # a damaged or foreign entry is a miss
    return frame, info


def _in_window(batch: pa.RecordBatch, column: str | None, window) -> pa.RecordBatch:
    import pyarrow.compute as pc

    if column is None or column not in batch.schema.names:
        return batch
    t = pc.cast(batch.column(column), pa.int64())
    lo, hi = window
    keep = pc.and_(pc.greater_equal(t, lo), pc.less(t, hi))
    return batch.filter(pc.fill_null(keep, False))


def save(cfg, name: str, files, frame: pd.DataFrame, info: dict) -> None:
    """Write an entry atomically; stale entries of the same files go. A cache that cannot be written
    (read-only home, full disk) is skipped silently: it only ever saves time."""
    try:
        data, meta = _entry(cfg, name, files)
        data.parent.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        fd, tmp = tempfile.mkstemp(prefix=f".{data.name}.", dir=data.parent)
        info = dict(info, batch_ranges=[])
        with os.fdopen(fd, "wb") as fh, pa.ipc.new_file(fh, table.schema) as writer:
            for batch in table.to_batches(max_chunksize=BATCH_ROWS):
                writer.write_batch(batch)
                info["batch_ranges"].append(_range(batch, info.get("time_column")))
        fd2, tmp2 = tempfile.mkstemp(prefix=f".{meta.name}.", dir=data.parent)
        with os.fdopen(fd2, "w", encoding="utf-8") as fh:
            json.dump(info, fh, default=_jsonable)
        os.replace(tmp, data)
        os.replace(tmp2, meta)
        prefix = data.name.rsplit("-", 1)[0] + "-"
        for old in data.parent.glob(prefix + "*"):
            if old not in (data, meta) and not old.name.startswith("."):
                old.unlink(missing_ok=True)
    except (OSError, pa.ArrowException, ValueError, TypeError):
        for t in ("tmp", "tmp2"):
            if t in locals():
                Path(locals()[t]).unlink(missing_ok=True)


def _range(batch: pa.RecordBatch, column: str | None):
    """[first, last] instant (UTC us) of a batch's time column, or None (no time column, or empty)."""
    import pyarrow.compute as pc

    if column is None or column not in batch.schema.names or batch.num_rows == 0:
        return None
    t = pc.cast(batch.column(column), pa.int64())
    bounds = pc.min_max(t).as_py()
    return None if bounds["min"] is None else [bounds["min"], bounds["max"]]


def _jsonable(v):
    if isinstance(v, date):
        return v.isoformat()
    raise TypeError(type(v))


def report_fields(report) -> dict:
    """What a TableReport holds, as JSON (the parts that are reports themselves included)."""
    fields = asdict(report)
    return fields


class Writer:
    """A cache entry written batch by batch (events read in batches): the schema of the first batch,
    a column Arrow sees as all-null there typed from the contract; renamed into place on `close`."""

    def __init__(self, cfg, name: str, files):
        self.cfg, self.name, self.files = cfg, name, files
        self.data, self.meta = _entry(cfg, name, files)
        self._fh = self._writer = self._tmp = None
        self.schema = None
        self.time_column = "occurred_at" if name == "events" else None
        self.ranges: list = []

    def reset(self) -> None:
        self.abort()
        self._fh = self._writer = self._tmp = None
        self.schema = None
        self.ranges = []

    def write(self, frame: pd.DataFrame) -> None:
        try:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if self._writer is None:
                self.schema = _typed_schema(table.schema, self.name)
                self.data.parent.mkdir(parents=True, exist_ok=True)
                fd, self._tmp = tempfile.mkstemp(prefix=f".{self.data.name}.", dir=self.data.parent)
                self._fh = os.fdopen(fd, "wb")
                self._writer = pa.ipc.new_file(self._fh, self.schema)
            for batch in table.cast(self.schema).to_batches(max_chunksize=BATCH_ROWS):
                self._writer.write_batch(batch)
                self.ranges.append(_range(batch, self.time_column))
        except (OSError, pa.ArrowException, ValueError, TypeError):
            self.abort()
            self._writer = False  # give up on this entry; the run goes on without the cache

    def close(self, info: dict) -> None:
        if not self._writer:
            return
        try:
            self._writer.close()
            self._fh.close()
            fd, tmp = tempfile.mkstemp(prefix=f".{self.meta.name}.", dir=self.data.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(dict(info, batch_ranges=self.ranges), fh, default=_jsonable)
            os.replace(self._tmp, self.data)
            os.replace(tmp, self.meta)
            prefix = self.data.name.rsplit("-", 1)[0] + "-"
            for old in self.data.parent.glob(prefix + "*"):
                if old not in (self.data, self.meta) and not old.name.startswith("."):
                    old.unlink(missing_ok=True)
        except (OSError, pa.ArrowException, ValueError, TypeError):
            self.abort()

    def abort(self) -> None:
        for closer in (self._writer, self._fh):
            try:
                if closer:
                    closer.close()
            except (OSError, pa.ArrowException):
                pass
        if self._tmp:
            Path(self._tmp).unlink(missing_ok=True)


def _typed_schema(schema: pa.Schema, name: str) -> pa.Schema:
    """Null-typed columns (all empty in the first batch) get their contract type."""
    from cs_metrics.contract import TABLES

    arrow = {"id": pa.string(), "text": pa.string(), "date": pa.timestamp("us"), "datetime": pa.timestamp("us"),
             "money": pa.int64(), "int": pa.int64(), "bool": pa.bool_(), "number": pa.float64()}  # fmt: skip
    fields = []
    for f in schema:
        if pa.types.is_null(f.type):
            spec = TABLES[name].column(f.name)
            f = pa.field(f.name, arrow[spec.type] if spec else pa.string())
        fields.append(f)
    return pa.schema(fields, metadata=schema.metadata)
