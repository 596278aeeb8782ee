"""Events read in batches: every row is checked and counted, only the days a run needs are kept.

The events export is the largest a team has (tens of millions of rows), and a metric of one month
needs one month of it. Reading it whole costs memory in proportion to the file; here each batch is
typed and checked (the same fate rules as a whole read: sources.table), counted, and then only its
rows inside the run's window are kept. With the parsed-table cache on, every usable row of each
batch goes to the cache entry as it is read. Memory follows the window, not the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cs_metrics.sources import readers, values
from cs_metrics.sources.readers import ConversionFailed


def streamable(name: str, files) -> bool:
    """A table of one CSV file without a key or table rules: events."""
    if name != "events" or len(files) != 1:
        return False
    path, fc = files[0]
    return path.is_file() and readers.file_format(path, fc) == "csv" and path.suffix.lower() != ".gz" and not fc.fixed and not fc.skip_rows


def read(cfg, table, path: Path, fc, required, optional, window: tuple[int, int], sink=None):
    """(frame of the rows inside the window, report) of an events file read batch by batch.
    `sink`: receives every usable row's frame batch (the cache entry being written)."""
    from cs_metrics.sources import table as tables

    header = readers.read_file_header(path, fc)
    found = tables.resolve_columns(table, header, fc)
    cols = tables._columns_to_read(table, found, header, path, fc, required, optional)
    positions = [tables._position(header, found[c], path, c, table.name) for c in cols]
    typed = tables._arrow_types(table, cols, fc, cfg)
    shared = {p for p in positions if positions.count(p) > 1}  # one header mapped to two columns: read once, as text
    types = {p: typed[c] for c, p in zip(cols, positions) if c in typed and p not in shared}
    # A file that can be cut at line feeds is first read as holding no quotes (no separate pass to
    # count them); the first piece with a quote stops that read, and the file is read again with its
    # quotes checked (an unclosed one is an error naming its line), as every other file is.
    quoted = False if readers.cuttable(path, fc.encoding) is not None else readers.check_quotes(path, fc.encoding, fc.delimiter)
    while True:
        try:
            return _batches(cfg, table, path, fc, header, cols, positions, types, quoted, window, sink)
        except ConversionFailed as exc:  # a value Arrow refuses: that column goes to the text path
            types.pop(exc.position)
        except readers.QuotesFound:
            quoted = readers.check_quotes(path, fc.encoding, fc.delimiter)
        if sink is not None:
            sink.reset()


def _batches(cfg, table, path, fc, header, cols, positions, types, quoted, window, sink):
    from cs_metrics.sources import table as tables

    fast = {c for c, p in zip(cols, positions) if p in types}
    names = {c: f"c{p}" for c, p in zip(cols, positions)}
    report = tables.TableReport(table.name, str(path))
    counts: dict[str, int] = {}
    firsts: dict[str, list[int]] = {}  # reason -> the first rows (0-based over the records) it rejected
    kept, offset, spans = [], 0, []
    lo, hi = window
    from cs_metrics.coverage import main_span
    wrong_cells: list = []
    for batch in readers.iter_records(path, fc, len(header), list(dict.fromkeys(positions)), types, quoted, wrong_cells):
        rows = tables._Rows(batch.num_rows)
        frame = tables._typed_frame(batch, cols, names, fast, table, fc, cfg, rows, report)
        for k, reason in enumerate(rows.reasons[1:], 1):  # events have no filter rules: every code is a rejection
            where = np.flatnonzero(rows.code == k)
            if len(where):
                counts[reason] = counts.get(reason, 0) + len(where)
                have = firsts.setdefault(reason, [])
                have += [offset + int(i) for i in where[: tables.FIRST_LINES - len(have)]]
        ok = rows.ok
        usable = frame if ok.all() else frame.loc[ok].reset_index(drop=True)
        if sink is not None:
            sink.write(usable)
        span = main_span(table.name, usable, cfg)  # the table's span is over every usable row, kept or not
        if span:
            spans.append(span)
        t = values.micros(usable["occurred_at"])
        inside = (t >= lo) & (t < hi)
        kept.append(usable if inside.all() else usable.loc[inside].reset_index(drop=True))
        offset += batch.num_rows
    bad_total = len(wrong_cells)
    report.read = offset + bad_total
    report.rejected = counts
    if bad_total:
        report.rejected["wrong number of cells"] = bad_total
    if firsts or bad_total:
        need = max((max(v) for v in firsts.values() if v), default=-1)
        valid, invalid = readers.physical_lines(path, fc, len(header), need, min(bad_total, tables.FIRST_LINES))
        report.rejected_lines = {r: [valid[i] for i in idx if i < len(valid)] for r, idx in firsts.items()}
        if bad_total:
            report.rejected_lines["wrong number of cells"] = [line for line, _ in invalid[: tables.FIRST_LINES]]
    report.ncols = len(header)
    report.span = (min(s[0] for s in spans), max(s[1] for s in spans)) if spans else None
    report.warnings = list(dict.fromkeys(report.warnings))  # a warning of every batch said once
    frame = pd.concat(kept, ignore_index=True) if len(kept) > 1 else (kept[0] if kept else _empty(cols, table))
    return frame, report


def _empty(cols, table) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
