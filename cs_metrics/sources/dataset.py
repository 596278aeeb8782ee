"""The tables of one run: each read once, with the union of the columns its metrics ask for."""

from __future__ import annotations

import pandas as pd

from cs_metrics.config import Config
from cs_metrics.contract import TABLES
from cs_metrics.errors import DataError
from cs_metrics.sources.table import TableReport, read_header, read_table, resolve_columns


class Dataset:
    """Read each table once and share it. A row's fate never depends on the columns asked for (see
    sources.table), so re-reading a table for one more text column gives the same report."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self._frames: dict[str, pd.DataFrame] = {}
        self._asked: dict[str, tuple[set, set]] = {}  # table -> (required, optional) asked so far
        self.reports: dict[str, TableReport] = {}

    def exists(self, name: str, column: str | None = None) -> bool:
        """Whether the table's file exists (and, given a column, has it: only the header is read)."""
        path = self.cfg.path_of(name)
        if not path.is_file():
            return False
        if column is None:
            return True
        src = self.cfg.source(name)
        return column in resolve_columns(TABLES[name], read_header(path, src), src)

    def table(self, name: str, required=(), optional=()) -> pd.DataFrame:
        req, opt = self._asked.get(name, (set(), set()))
        new_req, new_opt = set(required) - req, set(optional) - opt - req
        frame = self._frames.get(name)
        if frame is not None and not new_req and not new_opt:
            return frame
        if frame is not None:
            header_cols = None
            if not new_req - set(frame.columns) - {"mrr"}:
                # every new column is either read already or known to be absent from the file
                src = self.cfg.source(name)
                header_cols = resolve_columns(TABLES[name], read_header(self.cfg.path_of(name), src), src)
            if header_cols is not None and all(c in frame.columns or c not in header_cols for c in new_opt | new_req - {"mrr"}):
                self._asked[name] = (req | new_req, opt | new_opt)
                return frame
        req, opt = req | set(required), (opt | set(optional)) - req - set(required)
        frame, report = read_table(self.cfg, name, sorted(req), sorted(opt))
        self._asked[name] = (req, opt)
        self._frames[name] = frame
        self.reports[name] = report
        return frame

    def usable(self, name: str) -> None:
        """Stop when a table that has rows has none usable: a broken feed is never a quiet month."""
        report = self.reports.get(name)
        why = report.broken() if report else None
        if why:
            raise DataError(why, "Run `cs-metrics validate` for the line numbers, then fix the export or the config")
