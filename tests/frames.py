"""Frames in the loader's output shape, built by hand for metric tests (independent of the CSV reader)."""

from __future__ import annotations

import pandas as pd

from cs_metrics.load import MRR_SCALE


def subs(*rows) -> pd.DataFrame:
    """Subscription rows: (customer, started_at, ended_at or None, monthly amount[, is_trial]).
    MRR goes into load.MRR_SCALE units and ids are text, as the loader gives them."""
    records = []
    for i, row in enumerate(rows):
        customer, start, end, amount, *trial = row
        records.append(
            {
                "subscription_id": f"s{i}",
                "customer_id": customer,
                "started_at": pd.Timestamp(start),
                "ended_at": pd.Timestamp(end) if end else pd.NaT,
                "mrr": round(amount * MRR_SCALE),
                "is_trial": bool(trial and trial[0]),
            }
        )
    frame = pd.DataFrame.from_records(records, columns=["subscription_id", "customer_id", "started_at", "ended_at", "mrr", "is_trial"])
    return frame.astype({"subscription_id": "str", "customer_id": "str", "mrr": "int64", "is_trial": "bool"})
