"""Sources: the one place that turns export files into canonical, validated frames.

    readers   files -> Arrow tables (header, records, quotes, block sizes, encodings)
    values    cells -> typed values (money, numbers, flags, dates and datetimes, time zones)
    table     one file -> one canonical table: fate columns, table rules, row accounting
    billing   what billing columns mean: seats, discounts, trials, snapshots, invoice lines, refunds
    dataset   the tables of a run, each read once
    memory    Arrow's allocator (jemalloc: far fewer page faults than pyarrow's default)
"""

from cs_metrics.sources import memory  # noqa: F401  (first: every Arrow allocation of the run uses its pool)
from cs_metrics.sources.dataset import Dataset
from cs_metrics.sources.table import TableReport, read_header, read_table, resolve_columns
from cs_metrics.sources.values import MONEY_SCALE, MRR_SCALE, parse_money

__all__ = ["Dataset", "TableReport", "read_header", "read_table", "resolve_columns", "MONEY_SCALE", "MRR_SCALE", "parse_money"]
