"""`validate`: every table that is present, read with all its contract columns, accounted for."""

from __future__ import annotations

from cs_metrics.config import Config
from cs_metrics.contract import TABLES
from cs_metrics.errors import DataError
from cs_metrics.i18n import T
from cs_metrics.load import Dataset
from cs_metrics.period import Period
from cs_metrics.result import MetricResult


def validate_all(cfg: Config, period: Period) -> tuple[MetricResult, int]:
    """One row per table: file, status, read, used, filtered, rejected, reasons with lines.
    Value: total rejected rows. Also returns the number of tables that failed: could not be read,
    named by the config but missing, or with rows of which none is usable (status `broken`)."""
    ds = Dataset(cfg)
    rows, failed, warnings = [], 0, []
    for name, table in TABLES.items():
        path = cfg.path_of(name)
        row = {"table": name, "file": str(path), "status": "ok", "read": None, "used": None, "filtered": None, "rejected": None,
               "span_start": None, "span_end": None, "problem": ""}  # fmt: skip
        if not ds.exists(name) and name in ds.not_read:
            row.update(status="not read", problem=ds.not_read[name])
            rows.append(row)
            continue
        if not any(p.exists() for p, _ in cfg.files_of(name)):
            configured = name in cfg.sources
            if table.auxiliary and not configured:
                continue  # read only when a definition or a command asks for it (fx_rates, vendor_mrr)
            row["status"] = "missing" if configured else "not present"
            if configured:
                failed += 1
                row["problem"] = T("the config names this file but it does not exist")
            rows.append(row)
            continue
        try:
            ds.table(name, optional=[c for c in table.names if c not in table.required])
        except DataError as exc:
            failed += 1
            row.update(status="error", problem=str(exc))
            rows.append(row)
            continue
        report = ds.reports[name]
        row["file"] = report.path
        span = ds.span(name)  # the dates the table covers (its main date column; state tables to the export day)
        if span is not None:
            row.update(span_start=span.start.isoformat(), span_end=span.end.isoformat())
        broken = report.broken()
        failed += bool(broken)
        reasons = [
            f"{r}: {n:,} (lines {', '.join(map(str, report.rejected_lines.get(r, [])))})" for r, n in report.rejected.items()
        ] + [f"{r}: {n:,}" for r, n in report.filtered.items()]
        row.update(
            status="broken" if broken else "rejections" if report.rejected_total else "ok",
            read=report.read,
            used=report.used,
            filtered=report.filtered_total,
            rejected=report.rejected_total,
            problem="; ".join(reasons),
        )
        rows.append(row)
    if not ds.reports and not any(r["status"] in ("missing", "error", "not read") for r in rows):
        raise DataError(
            f"no input table found in {cfg.data_dir()} (looked for {', '.join(t.filename for t in TABLES.values())})",
            "Point --data (or `data:` in the config) at the folder of exports, or map each file under sources:",
        )
    warnings += _unknown_customers(ds)
    total = sum(r["rejected"] or 0 for r in rows)
    result = MetricResult(
        "validate",
        period,
        total,
        "count",
        {"tables_read": sum(1 for r in rows if r["read"] is not None), "tables_failed": failed, "rejected_rows": total},
        rows=rows,
        warnings=warnings,
        definition=T("Rows of every table checked against the data contract."),
        formula=T("{total} rejected rows in {n} tables", total=total, n=len(rows)),
    )
    return result, failed


def _unknown_customers(ds: Dataset) -> list[str]:
    """A reference that names no customer (an unknown customer_id, a name or e-mail no customer has) is
    a warning, not a rejection: the ones the run's join found (sources.keys), as every command warns."""
    return [w for name in ds.reports for w in ds.references.get(name, [])]
