"""Frames in the loader's output shape, built by hand for metric tests (independent of the CSV reader),
and hypothesis strategies of random subscription histories."""

from __future__ import annotations

import pandas as pd
from hypothesis import strategies as st

from cs_metrics.load import MRR_SCALE
from cs_metrics.period import parse_period


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


def may_subscriptions() -> pd.DataFrame:
    """A May 2024 with every movement (opening = end of 04-30, closing = end of 05-31):
      A 100 -> 150 (05-10)                  expansion 50
      B 200, ends 05-20                     churn 200
      C starts 05-15 at 50                  new 50
      D paid 80 in 2023, back 05-03 at 90   reactivation 90
      E 300 -> 250 (05-05)                  contraction 50
      F trial 05-01..05-15, then 60         new 60 (a trial is not a paid day)
      G base 100 + add-on 20 from 05-07     expansion 20 (customer level)
      H 40 from 05-10 to 05-20              paying inside May only: no MRR at either snapshot
    opening 100 + 200 + 300 + 100 = 700; closing 150 + 50 + 90 + 250 + 60 + 120 = 720;
    S = {A, B, E, G}, closing MRR of S 150 + 0 + 250 + 120 = 520."""
    return subs(
        ("A", "2024-01-01", "2024-05-10", 100),
        ("A", "2024-05-10", None, 150),
        ("B", "2024-02-01", "2024-05-20", 200),
        ("C", "2024-05-15", None, 50),
        ("D", "2023-01-01", "2023-06-01", 80),
        ("D", "2024-05-03", None, 90),
        ("E", "2024-01-01", "2024-05-05", 300),
        ("E", "2024-05-05", None, 250),
        ("F", "2024-05-01", "2024-05-15", 0, True),
        ("F", "2024-05-15", None, 60),
        ("G", "2024-01-01", None, 100),
        ("G", "2024-05-07", None, 20),
        ("H", "2024-05-10", "2024-05-20", 40),
    )


# --------------------------------------------------------------------------- random histories (hypothesis)

_BASE = pd.Timestamp("2023-10-01")
_history_row = st.tuples(
    st.sampled_from("ABCDEFG"),  # customer
    st.integers(min_value=0, max_value=420),  # start, days after the base
    st.one_of(st.none(), st.integers(min_value=0, max_value=200)),  # length in days, or still running
    st.integers(min_value=0, max_value=100_000),  # amount in 1/100 of a currency unit
    st.integers(min_value=1, max_value=12),  # interval months, to make thirds and twelfths
    st.booleans(),  # trial
)


def _history(rows) -> pd.DataFrame:
    return subs(
        *[
            (c, _BASE + pd.Timedelta(days=s), (_BASE + pd.Timedelta(days=s + n)) if n is not None else None, cents / 100 / months, trial)
            for c, s, n, cents, months, trial in rows
        ]
    )


# a subscriptions frame of up to 25 rows over 2023-10..2025-01, and a period inside it
histories = st.lists(_history_row, min_size=0, max_size=25).map(_history)
periods = st.sampled_from(["2024-01", "2024-02", "2024-Q1", "2024-Q2", "2024-H1", "2024", "2024-03-10..2024-05-20", "2024-W10"]).map(parse_period)
