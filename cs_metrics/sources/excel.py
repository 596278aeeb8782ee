"""Excel workbooks (.xlsx), as HubSpot and Salesforce export them by default."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from cs_metrics.errors import DataError


def header(path: Path, fc) -> list[str]:
    raise DataError(f"{path}: reading .xlsx files is not supported yet", "Save the sheet as CSV (UTF-8)", file=str(path))


def records(path: Path, fc, positions: list[int]) -> pa.Table:
    raise DataError(f"{path}: reading .xlsx files is not supported yet", "Save the sheet as CSV (UTF-8)", file=str(path))
