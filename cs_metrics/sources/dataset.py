"""The tables of one run: each read once, with the union of the columns its metrics ask for."""

from __future__ import annotations

import pandas as pd

from cs_metrics import progress
from cs_metrics.config import Config
from cs_metrics.contract import TABLES
from cs_metrics.errors import DataError
from cs_metrics.i18n import T
from cs_metrics.sources import keys
from cs_metrics.sources.table import TableReport, read_header, read_table, resolve_columns


class Dataset:
    """Read each table once and share it. A row's fate never depends on the columns asked for (see
    sources.table), so re-reading a table for one more text column gives the same report."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self._frames: dict[str, pd.DataFrame] = {}
        self._asked: dict[str, tuple[set, set]] = {}  # table -> (required, optional) asked so far
        self.reports: dict[str, TableReport] = {}
        self._headers: dict[tuple, list[str]] = {}
        self.not_read: dict[str, str] = {}  # table -> why a file of its name is not read as it
        self._spans: dict = {}
        self._windows: dict[str, tuple | None] = {}  # table -> the (first, last) days a run needs of it; None: all
        self.references: dict[str, list[str]] = {}  # table -> warnings about its customer references
        self.customer_keys = None  # (customers frame, its keys): see sources.keys

    def exists(self, name: str, column: str | None = None) -> bool:
        """Whether the table has a file to read (and, given a column, has that column: only the header
        is read). A file that merely carries a table's name (`subscriptions.csv` from Stripe) without
        the table's columns, and is not named in the config, is not that table: see why_absent."""
        first = self._first_file(name)
        if first is None:
            return False
        if column is None:
            return True
        path, fc = first
        return column in resolve_columns(TABLES[name], self._header(path, fc), fc)

    def why_absent(self, name: str) -> str:
        """Why a table is not there: no file, or a file of that name that is not the table."""
        self.exists(name)
        return self.not_read.get(name) or T("needs {file} (not found)", file=self.cfg.path_of(name).name)

    def _first_file(self, name: str):
        present = [(p, fc) for p, fc in self.cfg.files_of(name) if p.is_file()]
        if not present:
            return None
        if name not in self.cfg.sources:  # read only because of its name: it must look like the table
            path, fc = present[0]
            try:
                found = resolve_columns(TABLES[name], self._header(path, fc), fc)
            except DataError:
                return present[0]  # unreadable: reading it reports the error
            table = TABLES[name]
            lacking = [c for c in table.required if c not in found]
            if table.one_of and not any(all(c in found for c in g) for g in table.one_of):
                lacking.append(" or ".join(" + ".join(g) for g in table.one_of))
            # most of the table's required columns missing: another export under the table's name.
            # A column or two missing is the table with a gap, which reading it reports with the config key.
            if lacking and len(lacking) * 2 > len(table.required) + bool(table.one_of):
                shown = ", ".join(h.strip() for h in self._header(path, fc)[:8])
                self.not_read[name] = T(
                    "{file} is in the data folder but is not read as the {table} table: it has no column for "
                    "{columns} (found: {found}). Map it under sources.{table} to read it",
                    file=path.name, table=name, columns=", ".join(lacking), found=shown,
                )
                return None
        return present[0]

    def _header(self, path, fc) -> list[str]:
        key = (str(path), fc.encoding, fc.delimiter, fc.sheet)
        if key not in self._headers:
            self._headers[key] = read_header(path, fc)
        return self._headers[key]

    def table(self, name: str, required=(), optional=()) -> pd.DataFrame:
        optional = (*optional, *keys.always_read(self.cfg, name))  # the customer references, joined alike everywhere
        req, opt = self._asked.get(name, (set(), set()))
        new_req, new_opt = set(required) - req, set(optional) - opt - req
        frame = self._frames.get(name)
        if frame is not None and not new_req and not new_opt:
            return frame
        if frame is not None:
            header_cols = None
            if not new_req - set(frame.columns) - {"mrr"}:
                # every new column is either read already or known to be absent from the file(s)
                header_cols = set()
                for path, fc in self.cfg.files_of(name):
                    header_cols |= set(resolve_columns(TABLES[name], self._header(path, fc), fc)) | set(fc.fixed)
            if header_cols is not None and all(c in frame.columns or c not in header_cols for c in new_opt | new_req - {"mrr"}):
                self._asked[name] = (req | new_req, opt | new_opt)
                return frame
        req, opt = req | set(required), (opt | set(optional)) - req - set(required)
        files = self.cfg.files_of(name)
        shown = files[0][0].name if len(files) == 1 else name
        with progress.task(T("reading {file}", file=shown)):
            frame, report = read_table(self.cfg, name, sorted(req), sorted(opt), window=self._window_us(name))
        frame = keys.canonical(self, name, frame, report)  # customer references -> canonical customer_id
        self._asked[name] = (req, opt)
        self._frames[name] = frame
        self.reports[name] = report
        self._spans.pop(name, None)
        return frame

    def need(self, name: str, days: tuple | None) -> None:
        """Say which days of a time table (events) the run needs before it is read: rows outside every
        window asked for are checked and counted, then not kept in memory. None: every row."""
        if name in self._frames:
            return
        if name in self._windows and (self._windows[name] is None or days is None):
            self._windows[name] = None
        elif name in self._windows:
            old = self._windows[name]
            self._windows[name] = (min(old[0], days[0]), max(old[1], days[1]))
        else:
            self._windows[name] = days

    def _window_us(self, name: str):
        days = self._windows.get(name)
        if days is None:
            return None
        from cs_metrics.metrics._time import bounds_us

        return bounds_us(days[0], days[1], self.cfg.timezone)

    def span(self, name: str):
        """The dates the table covers (coverage.Span), once it has been read; None without any."""
        if name not in self._frames:
            return None
        if name not in self._spans:
            from cs_metrics.coverage import table_span

            self._spans[name] = table_span(name, self.reports[name], self.cfg)
        return self._spans[name]

    def spans(self) -> dict:
        """The span of every table read so far (tables without dates left out)."""
        return {name: span for name in self._frames if (span := self.span(name)) is not None}

    def usable(self, name: str) -> None:
        """Stop when a table that has rows has none usable: a broken feed is never a quiet month."""
        report = self.reports.get(name)
        why = report.broken() if report else None
        if why:
            raise DataError(why, "Run `cs-metrics validate` for the line numbers, then fix the export or the config")
