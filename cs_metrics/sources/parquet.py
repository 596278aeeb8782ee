"""Parquet files (what warehouses and dbt hand out): columns read as text, so that every value
goes through the same parsing and row accounting as a CSV cell."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from cs_metrics.errors import DataError


def _file(path: Path):
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"{path}: cannot be read as Parquet: {str(exc).splitlines()[0][:200]}", file=str(path)) from None


def header(path: Path) -> list[str]:
    return list(_file(path).schema_arrow.names)


def _as_text(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    """A column as the text a CSV export would hold: ISO dates and datetimes, plain numbers, true/false;
    a missing value is an empty cell."""
    t = arr.type
    if pa.types.is_timestamp(t) and t.tz is not None:
        arr = pc.cast(arr, pa.timestamp(t.unit, "UTC"))
        text = pc.strftime(arr, format="%Y-%m-%dT%H:%M:%SZ")
    elif pa.types.is_timestamp(t):
        text = pc.strftime(arr, format="%Y-%m-%dT%H:%M:%S")
    elif pa.types.is_date(t):
        text = pc.strftime(pc.cast(arr, pa.timestamp("s")), format="%Y-%m-%d")
    elif pa.types.is_boolean(t):
        text = pc.if_else(arr, "true", "false")
    elif pa.types.is_decimal(t) or pa.types.is_integer(t) or pa.types.is_floating(t):
        text = pc.cast(arr, pa.string())
    else:
        text = pc.cast(arr, pa.string())
    return pc.fill_null(text, "")


def records(path: Path, positions: list[int]) -> pa.Table:
    """The columns at `positions`, as text, named c<position> like the CSV reader's."""
    f = _file(path)
    names = f.schema_arrow.names
    tbl = f.read(columns=[names[i] for i in positions])
    return pa.table({f"c{i}": _as_text(tbl.column(j)) for j, i in enumerate(positions)})
