"""Customer health (`health`): components, scores, classes, reasons, --customer, --backtest, by hand.

THE MAY FIXTURE. Period 2024-05, `lookback_days: 10`, so the window W = 2024-05-22..2024-05-31 and
the MRR trend runs from the end of 2024-05-21 to the end of 2024-05-31.

    customer  subscriptions                                    MRR 05-21  MRR 05-31
    A Alpha   100 from 01-01, running                          100        100     trend 50
    B Beta    200 01-01..05-25, then 300                       200        300     +50 %: 50 + 25 = 75
    C =Gamma  400 01-01..05-26, then 100                       400        100     -75 %: 50 - 37.5 = 12.5
    D Delta   50 from 05-25                                    0          50      new in W: no data
    E         100 01-01..05-20                                 100        0       not paying: not scored

Events in W (all events are active): A: a1 on 05-22 (login), 05-23 (login, export), a2 on 05-24
(login); its report on 05-21 is outside W. B: b1 login on 05-31 23:59. C: none. D: d1 login 05-26,
d2 report and d3 export 05-27. E (not scored): admin 05-25. An event on 06-01 is after the end.
    active days  A 3, B 1, C 0, D 2         -> usage  A 30, B 10, C 0, D 20   (/ 10 days x 100)
    active users A 2, B 1, C 0, D 3         -> ranks C 1, B 2, A 3, D 4 -> breadth (r-1)/3 x 100:
                                               C 0, B 33.33, A 66.67, D 100
    event names used in W by anyone: login, export, report, admin = 4
    names used   A 2, B 1, C 0, D 3         -> depth  A 50, B 25, C 0, D 75
Surveys (nps 0..10, csat 1..5): A nps 8 (03-01) then 10 (05-10) -> latest 10 -> 100; A csat 4 -> (4-1)/4
= 75. B nps 3 and 7 on the same day 05-20 -> mean 5 -> 50 (its 0 on 06-05 is after the end). C csat 1
-> 0. D none. An anonymous nps and A's ces answer are ignored.
Tickets: B T1 open (created 05-10, never resolved) + T2 complaint ("Complaint ", any case) created
05-28 in W -> 2. C T3 resolved 06-02, so open at the end -> 1; its complaint T4 of 05-15 is before
W and resolved -> 0. A none, D T5 resolved the same day (and T6 is after the end) -> 0.
    load A 0, B 2, C 1, D 0 -> ranks A,D 1.5, C 3, B 4 -> percentile A,D 16.67, C 66.67, B 100
    support = 100 - percentile, 100 with none: A 100, B 0, C 33.33, D 100
Invoices (positive, due in W): A I1 paid on its due day (on time), I2 paid 2 days late -> 1 bad of 2
-> 50. B I3 due 05-31 unpaid -> 0 (a credit note and an invoice due 05-15 are not due in W). C only
an invoice due 06-10 -> no data. D I7 paid before due -> 100.

    component  usage  breadth  depth  nps  csat  support  payments  mrr_trend | skip     neutral
    A          30     66.67    50     100  75    100      50        50        | 65.2083  65.2083
    B          10     33.33    25     50   -     0        0         75        | 27.6190  30.4167
    C          0      0        0      -    0     33.33    -         12.5      |  7.6389  18.2292
    D          20     100      75     -    -     100      100       -         | 79.0     68.125
skip:    A 521.667/8, B 193.333/7, C 45.833/6, D 395/5;  neutral: each missing counts 50, over 8.
mean (skip) = (65.2083 + 27.6190 + 7.6389 + 79) / 4 = 44.8666
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cs_metrics.cli import app
from cs_metrics.config import parse_config
from cs_metrics.errors import UsageError
from cs_metrics.load import MONEY_SCALE, MRR_SCALE
from cs_metrics.metrics.health import COMPONENTS, health, percentile_rank
from cs_metrics.period import parse_period
from cs_metrics.render import render

MAY = parse_period("2024-05")

SUBS = [  # customer, started_at, ended_at, mrr
    ("A", "2024-01-01", None, 100),
    ("B", "2024-01-01", "2024-05-25", 200),
    ("B", "2024-05-25", None, 300),
    ("C", "2024-01-01", "2024-05-26", 400),
    ("C", "2024-05-26", None, 100),
    ("D", "2024-05-25", None, 50),
    ("E", "2024-01-01", "2024-05-20", 100),
]
EVENTS = [  # customer, user, occurred_at, event
    ("A", "a1", "2024-05-21T10:00:00", "report"),
    ("A", "a1", "2024-05-22T09:00:00", "login"),
    ("A", "a1", "2024-05-23T09:00:00", "login"),
    ("A", "a1", "2024-05-23T17:00:00", "export"),
    ("A", "a2", "2024-05-24T08:00:00", "login"),
    ("B", "b1", "2024-05-31T23:59:00", "login"),
    ("D", "d1", "2024-05-26T10:00:00", "login"),
    ("D", "d2", "2024-05-27T10:00:00", "report"),
    ("D", "d3", "2024-05-27T11:00:00", "export"),
    ("E", "e1", "2024-05-25T10:00:00", "admin"),
    ("A", "a1", "2024-06-01T00:00:00", "zzz"),
]
SURVEYS = [  # customer, responded_at, survey, score
    ("A", "2024-03-01", "nps", 8),
    ("A", "2024-05-10", "nps", 10),
    ("A", "2024-05-15", "csat", 4),
    ("A", "2024-05-15", "ces", 1),
    ("B", "2024-05-20", "nps", 3),
    ("B", "2024-05-20", "nps", 7),
    ("B", "2024-06-05", "nps", 0),
    ("C", "2024-05-02", "csat", 1),
    (None, "2024-05-03", "nps", 0),
]
TICKETS = [  # id, customer, created_at, resolved_at, category
    ("T1", "B", "2024-05-10T09:00:00", None, "question"),
    ("T2", "B", "2024-05-28T09:00:00", "2024-05-29T09:00:00", "Complaint "),
    ("T3", "C", "2024-05-01T09:00:00", "2024-06-02T09:00:00", "question"),
    ("T4", "C", "2024-05-15T09:00:00", "2024-05-16T09:00:00", "complaint"),
    ("T5", "D", "2024-05-23T09:00:00", "2024-05-23T10:00:00", "question"),
    ("T6", "D", "2024-06-03T09:00:00", None, "complaint"),
]
INVOICES = [  # id, customer, issued_at, amount, due_at, paid_at
    ("I1", "A", "2024-05-11", 100, "2024-05-25", "2024-05-25"),
    ("I2", "A", "2024-05-14", 100, "2024-05-28", "2024-05-30"),
    ("I3", "B", "2024-05-17", 300, "2024-05-31", None),
    ("I4", "B", "2024-05-11", -50, "2024-05-25", None),
    ("I5", "B", "2024-05-01", 300, "2024-05-15", None),
    ("I6", "C", "2024-05-27", 100, "2024-06-10", None),
    ("I7", "D", "2024-05-16", 50, "2024-05-30", "2024-05-20"),
]
CUSTOMERS = [("A", "Alpha"), ("B", "Beta"), ("C", "=Gamma"), ("D", "Delta"), ("E", "Epsilon")]

# hand-computed (see the module docstring)
A = (30 + 200 / 3 + 50 + 100 + 75 + 100 + 50 + 50) / 8  # 65.2083
B = (10 + 100 / 3 + 25 + 50 + 0 + 0 + 75) / 7  # 27.6190
C = (0 + 0 + 0 + 0 + 100 / 3 + 12.5) / 6  # 7.6389
D = (20 + 100 + 75 + 100 + 100) / 5  # 79.0
BY_HAND = {  # usage, breadth, depth, nps, csat, support, payments, mrr_trend (None = no data)
    "A": (30, 200 / 3, 50, 100, 75, 100, 50, 50),
    "B": (10, 100 / 3, 25, 50, None, 0, 0, 75),
    "C": (0, 0, 0, None, 0, 100 / 3, None, 12.5),
    "D": (20, 100, 75, None, None, 100, 100, None),
}
COMPONENTS_BY_HAND = {customer: dict(zip(COMPONENTS, values)) for customer, values in BY_HAND.items()}


# --------------------------------------------------------------------------- frames in the loader's shape


def _day(text):
    return pd.Timestamp(text) if text else pd.NaT


def subs_frame(rows) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "subscription_id": [f"S{i}" for i in range(len(rows))],
            "customer_id": pd.array([r[0] for r in rows], dtype="str"),
            "started_at": pd.to_datetime([r[1] for r in rows]),
            "ended_at": pd.to_datetime([_day(r[2]) for r in rows]),
            "mrr": np.array([round(r[3] * MRR_SCALE) for r in rows], dtype="int64"),
            "is_trial": np.zeros(len(rows), dtype=bool),
        }
    )


def events_frame(rows) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": pd.array([r[0] for r in rows], dtype="str"),
            "user_id": pd.array([r[1] for r in rows], dtype="str"),
            "occurred_at": pd.to_datetime([r[2] for r in rows]),
            "event": pd.array([r[3] for r in rows], dtype="str"),
        }
    )


def surveys_frame(rows) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": pd.array([r[0] for r in rows], dtype="str"),
            "responded_at": pd.to_datetime([r[1] for r in rows]),
            "survey": pd.array([r[2] for r in rows], dtype="str"),
            "score": np.array([float(r[3]) for r in rows]),
        }
    )


def tickets_frame(rows) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ticket_id": pd.array([r[0] for r in rows], dtype="str"),
            "customer_id": pd.array([r[1] for r in rows], dtype="str"),
            "created_at": pd.to_datetime([r[2] for r in rows]),
            "resolved_at": pd.to_datetime([_day(r[3]) for r in rows]),
            "category": pd.array([r[4] for r in rows], dtype="str"),
        }
    )


def invoices_frame(rows) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "invoice_id": pd.array([r[0] for r in rows], dtype="str"),
            "customer_id": pd.array([r[1] for r in rows], dtype="str"),
            "issued_at": pd.to_datetime([r[2] for r in rows]),
            "amount": pd.array([r[3] * MONEY_SCALE for r in rows], dtype="Int64"),
            "due_at": pd.to_datetime([_day(r[4]) for r in rows]),
            "paid_at": pd.to_datetime([_day(r[5]) for r in rows]),
        }
    )


def customers_frame(rows) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": pd.array([r[0] for r in rows], dtype="str"), "name": pd.array([r[1] for r in rows], dtype="str")})


def may_frames() -> dict[str, pd.DataFrame]:
    return {
        "subscriptions": subs_frame(SUBS),
        "events": events_frame(EVENTS),
        "surveys": surveys_frame(SURVEYS),
        "tickets": tickets_frame(TICKETS),
        "invoices": invoices_frame(INVOICES),
        "customers": customers_frame(CUSTOMERS),
    }


def config(**health) -> object:
    return parse_config({"metrics": {"health": {"lookback_days": 10, **health}}})


def by_customer(result) -> dict[str, dict]:
    return {row["customer_id"]: row for row in result.rows}


def approx_or_none(expected):
    return None if expected is None else pytest.approx(expected)


# --------------------------------------------------------------------------- components and scores


def test_components_of_every_customer_by_hand():
    rows = by_customer(health(may_frames(), MAY, config()))
    assert set(rows) == {"A", "B", "C", "D"}  # E is not paying at the end of May
    for customer, expected in COMPONENTS_BY_HAND.items():
        for component in COMPONENTS:
            assert rows[customer][component] == approx_or_none(expected[component]), (customer, component)


def test_scores_classes_and_details_skip_thresholds():
    r = health(may_frames(), MAY, config())
    rows = by_customer(r)
    assert [rows[c]["score"] for c in "ABCD"] == [pytest.approx(x) for x in (A, B, C, D)]
    # thresholds 70 / 40: A 65.2 at risk, B 27.6 and C 7.6 poor, D 79 good
    assert [rows[c]["class"] for c in "ABCD"] == ["at_risk", "poor", "poor", "good"]
    assert r.value == pytest.approx((A + B + C + D) / 4)  # 44.8666
    assert r.unit == "score"
    d = r.details
    assert d["customers"] == 4 and d["scored_customers"] == 4 and d["unscored_customers"] == 0
    assert d["mean_score"] == pytest.approx(44.86657, abs=1e-4)
    assert (d["good_customers"], d["at_risk_customers"], d["poor_customers"]) == (1, 1, 2)
    assert (d["good_mrr"], d["at_risk_mrr"], d["poor_mrr"]) == (50.0, 100.0, 400.0)  # D; A; B 300 + C 100
    assert d["method"] == "thresholds" and d["lookback_days"] == 10
    assert (d["window_start"], d["window_end"]) == ("2024-05-22", "2024-05-31")
    assert rows["C"]["mrr"] == 100.0 and rows["C"]["name"] == "=Gamma"


def test_rows_are_worst_first_with_the_two_weakest_components_as_reason():
    r = health(may_frames(), MAY, config())
    assert [row["customer_id"] for row in r.rows] == ["C", "B", "A", "D"]
    assert list(r.rows[0]) == ["customer_id", "name", "score", "class", "reason", "mrr", *COMPONENTS]
    reasons = {row["customer_id"]: row["reason"] for row in r.rows}
    # A: usage 30, then depth/payments/mrr_trend tie at 50 -> the first in component order, depth
    # B: support 0 and payments 0 tie -> component order; C: four zeros -> usage, breadth
    assert reasons == {"A": "usage 30, depth 50", "B": "support 0, payments 0", "C": "usage 0, breadth 0", "D": "usage 20, depth 75"}


def test_missing_neutral_counts_a_missing_component_as_50():
    rows = by_customer(health(may_frames(), MAY, config(missing="neutral")))
    # B: csat missing -> (193.333 + 50) / 8; C: nps, payments -> (45.833 + 100) / 8; D: nps, csat, trend -> (395 + 150) / 8
    expected = {"A": A, "B": 30.416667, "C": 18.229167, "D": 68.125}
    assert {c: rows[c]["score"] for c in "ABCD"} == {c: pytest.approx(v) for c, v in expected.items()}
    assert [rows[c]["class"] for c in "ABCD"] == ["at_risk", "poor", "poor", "at_risk"]  # D 68.1 < 70
    assert rows["D"]["nps"] is None  # the component itself stays "no data"
    assert rows["C"]["reason"] == "usage 0, breadth 0"  # a neutral 50 is never named as a reason


def test_quartiles_put_the_top_quarter_in_good_and_the_bottom_quarter_in_poor():
    r = health(may_frames(), MAY, config(method="quartiles"))
    rows = by_customer(r)
    # sorted scores C 7.6389, B 27.6190, A 65.2083, D 79.0 (np.quantile, linear):
    # q25 = 7.6389 + 0.75 x (27.6190 - 7.6389) = 22.6240; q75 = 65.2083 + 0.25 x (79 - 65.2083) = 68.6563
    assert r.details["quartile_25"] == pytest.approx(C + 0.75 * (B - C))
    assert r.details["quartile_75"] == pytest.approx(A + 0.25 * (D - A))
    assert [rows[c]["class"] for c in "ABCD"] == ["at_risk", "at_risk", "poor", "good"]
    assert (r.details["good_customers"], r.details["at_risk_customers"], r.details["poor_customers"]) == (1, 2, 1)


def test_quartiles_with_neutral_missing_data():
    rows = by_customer(health(may_frames(), MAY, config(method="quartiles", missing="neutral")))
    # sorted: C 18.2292, B 30.4167, A 65.2083, D 68.125 -> q25 = 27.37, q75 = 65.94: D good, C poor
    assert [rows[c]["class"] for c in "ABCD"] == ["at_risk", "at_risk", "poor", "good"]


def test_quartile_ties_at_the_cut_stay_at_risk():
    # four customers with the same MRR all along: only mrr_trend has data, 50 each; q25 = q75 = 50
    frames = {"subscriptions": subs_frame([(c, "2024-01-01", None, 10) for c in "WXYZ"])}
    r = health(frames, MAY, config(method="quartiles"))
    assert [row["class"] for row in r.rows] == ["at_risk"] * 4
    assert [row["customer_id"] for row in r.rows] == list("WXYZ")  # equal scores: by customer_id


def test_threshold_boundaries_are_inclusive():
    # usage only (other weights 0): 7 active days of 10 = 70 -> good; 4 -> 40 -> at risk; 3 -> 30 poor
    days = {"G": 7, "H": 4, "P": 3}
    events = [(c, "u", f"2024-05-{22 + i}T12:00:00", "login") for c, n in days.items() for i in range(n)]
    frames = {"subscriptions": subs_frame([(c, "2024-01-01", None, 10) for c in days]), "events": events_frame(events)}
    zero = {c: 0 for c in COMPONENTS if c != "usage"}
    rows = by_customer(health(frames, MAY, config(weights=zero)))
    assert {c: (rows[c]["score"], rows[c]["class"]) for c in days} == {"G": (70.0, "good"), "H": (40.0, "at_risk"), "P": (30.0, "poor")}
    assert rows["G"]["reason"] == "usage 70"  # only one component counts


def test_a_weight_of_zero_leaves_the_component_out_of_score_and_reason():
    rows = by_customer(health(may_frames(), MAY, config(weights={"usage": 0})))
    # A without usage: (521.667 - 30) / 7 = 70.238 -> good
    assert rows["A"]["score"] == pytest.approx((A * 8 - 30) / 7)
    assert rows["A"]["class"] == "good"
    assert rows["A"]["reason"] == "depth 50, payments 50"
    assert rows["A"]["usage"] == pytest.approx(30)  # still shown


def test_a_doubled_weight_counts_twice():
    rows = by_customer(health(may_frames(), MAY, config(weights={"support": 2})))
    # A (521.667 + 100) / 9; B (193.333 + 0) / 8; C (45.833 + 33.333) / 7; D (395 + 100) / 6
    expected = {"A": (A * 8 + 100) / 9, "B": (B * 7) / 8, "C": (C * 6 + 100 / 3) / 7, "D": 82.5}
    assert {c: rows[c]["score"] for c in "ABCD"} == {c: pytest.approx(v) for c, v in expected.items()}


def test_percentile_rank_shares_ties_and_is_50_for_a_single_customer():
    assert percentile_rank(np.array([0, 0, 3, 5])) == pytest.approx([50 / 3, 50 / 3, 200 / 3, 100])
    assert percentile_rank(np.array([2, 2, 2])) == pytest.approx([50, 50, 50])
    assert percentile_rank(np.array([7])) == pytest.approx([50])


def test_a_customer_without_any_data_has_no_score_and_is_listed_last():
    # only subscriptions: A flat (trend 50); D new inside W: no trend, and no other table -> no data
    frames = {"subscriptions": subs_frame([("A", "2024-01-01", None, 100), ("D", "2024-05-25", None, 50)])}
    for missing in ("skip", "neutral"):
        r = health(frames, MAY, config(missing=missing))
        assert [(row["customer_id"], row["score"], row["class"], row["reason"]) for row in r.rows] == [
            ("A", 50.0, "at_risk", "mrr_trend 50"),
            ("D", None, None, "no data"),
        ]
        assert r.value == 50.0 and r.details["unscored_customers"] == 1
    assert any("events.csv is not in the data" in w for w in r.warnings)
    assert "name" not in r.rows[0]  # no customers.csv


def test_without_paying_customers_health_is_undefined_with_a_reason():
    frames = {"subscriptions": subs_frame([("E", "2024-01-01", "2024-05-20", 100)])}
    r = health(frames, MAY, config())
    assert r.value is None and r.rows == []
    assert any("undefined" in w for w in r.warnings)


def test_every_weight_zero_scores_nobody():
    r = health(may_frames(), MAY, config(weights={c: 0 for c in COMPONENTS}))
    assert r.value is None and all(row["score"] is None for row in r.rows)
    assert any("every health weight is 0" in w for w in r.warnings)


def test_active_events_from_the_config():
    cfg = parse_config({"active_events": ["export", "report"], "metrics": {"health": {"lookback_days": 10}}})
    rows = by_customer(health(may_frames(), MAY, cfg))
    # active: A export 05-23; D report + export 05-27; B none. usage A 10, B 0, D 10; names in W: export, report
    assert (rows["A"]["usage"], rows["B"]["usage"], rows["D"]["usage"]) == (10.0, 0.0, 10.0)
    assert (rows["A"]["depth"], rows["D"]["depth"]) == (50.0, 100.0)


# --------------------------------------------------------------------------- --customer


def test_one_customer_shows_its_components_with_weights():
    r = health(may_frames(), MAY, config(weights={"support": 2}), customer="B")
    assert [row["component"] for row in r.rows] == list(COMPONENTS)
    assert all(list(row) == ["component", "score", "weight"] for row in r.rows)
    got = {row["component"]: (row["score"], row["weight"]) for row in r.rows}
    for c in COMPONENTS:
        assert got[c] == (approx_or_none(COMPONENTS_BY_HAND["B"][c]), 2.0 if c == "support" else 1.0)
    assert r.value == pytest.approx(B * 7 / 8)  # 193.333 / 8 = 24.1667
    assert r.details["class"] == "poor" and r.details["reason"] == "support 0, payments 0"
    assert r.details["name"] == "Beta" and r.details["mrr"] == 300.0
    assert "/ 8 = 24.2" in r.formula


def test_an_unknown_customer_is_a_usage_error_naming_it():
    with pytest.raises(UsageError, match="Z999"):
        health(may_frames(), MAY, config(), customer="Z999")
    with pytest.raises(UsageError, match="E: not paying"):  # known, but not paying at the end of May
        health(may_frames(), MAY, config(), customer="E")


def test_bars_in_the_table_and_no_ansi_without_colour():
    r = health(may_frames(), MAY, config(), customer="A")
    text = render(r, "table", color=False, width=100)
    assert "\x1b[" not in text
    lines = {line.split()[0]: line for line in text.splitlines() if line.strip()}
    assert "█" * 6 in lines["usage"] and "█" * 7 not in lines["usage"]  # 30 / 5 = 6 blocks
    assert "█" * 20 in lines["nps"]  # 100 -> 20 blocks
    assert "health: 65.2" in text  # the customer's score


def test_table_rows_are_coloured_by_class_only_with_colour():
    r = health(may_frames(), MAY, config())
    assert "\x1b[31m" in render(r, "table", color=True, width=200)  # poor rows red
    assert "\x1b[" not in render(r, "table", color=False, width=200)


# --------------------------------------------------------------------------- --backtest

# THE BACKTEST FIXTURE. Period 2024-09, horizon 30 days -> scored on 2024-08-31 with a 31-day window
# 2024-08-01..2024-08-31. Seven customers pay 10 all along (trend 50); payments decides the class:
#   P1, P2, P3  their invoice due 08-15 unpaid            payments 0   -> score (0 + 50) / 2 = 25 poor
#   P4          one of two invoices paid late             payments 50  -> 50 at risk
#   P5, P6, P7  invoices due 08-20 paid on time           payments 100 -> 75 good
# P5's invoice due 09-10, unpaid, falls after the scoring date: ignored.
# Churned by the end of September (paying 08-31, not 09-30): P1 (ends 09-10), P2 (09-20), P5 (09-05).
# N1 starts 09-05 and ends 09-25 (not paying on 08-31: outside); O1 ended 08-10 (outside).
#   poor 2 / 3 = 66.667 %, at risk 0 / 1 = 0 %, good 1 / 3 = 33.333 %, all 3 / 7 = 42.857 %
#   lift = 66.667 / 42.857 = (2/3) / (3/7) = 14/9 = 1.5556; good lift 7/9 = 0.7778
BT_SUBS = [
    ("P1", "2024-01-01", "2024-09-10", 10),
    ("P2", "2024-01-01", "2024-09-20", 10),
    ("P3", "2024-01-01", None, 10),
    ("P4", "2024-01-01", None, 10),
    ("P5", "2024-01-01", "2024-09-05", 10),
    ("P6", "2024-01-01", None, 10),
    ("P7", "2024-01-01", None, 10),
    ("N1", "2024-09-05", "2024-09-25", 10),
    ("O1", "2024-01-01", "2024-08-10", 10),
]
BT_INVOICES = [
    ("J1", "P1", "2024-08-01", 10, "2024-08-15", None),
    ("J2", "P2", "2024-08-01", 10, "2024-08-15", None),
    ("J3", "P3", "2024-08-01", 10, "2024-08-15", "2024-09-01"),
    ("J4", "P4", "2024-08-01", 10, "2024-08-10", "2024-08-10"),
    ("J5", "P4", "2024-08-05", 10, "2024-08-20", "2024-08-25"),
    ("J6", "P5", "2024-08-06", 10, "2024-08-20", "2024-08-19"),
    ("J7", "P6", "2024-08-06", 10, "2024-08-20", "2024-08-20"),
    ("J8", "P7", "2024-08-06", 10, "2024-08-20", "2024-08-01"),
    ("J9", "P5", "2024-08-27", 10, "2024-09-10", None),
]
SEPT = parse_period("2024-09")


def bt_config(**health) -> object:
    return parse_config({"metrics": {"health": {"lookback_days": 31, "backtest_horizon_days": 30, **health}}})


def bt_frames() -> dict[str, pd.DataFrame]:
    return {"subscriptions": subs_frame(BT_SUBS), "invoices": invoices_frame(BT_INVOICES)}


def test_backtest_poor_class_churns_more_than_average():
    r = health(bt_frames(), SEPT, bt_config(), backtest=True)
    assert r.unit == "ratio"
    assert r.value == pytest.approx(14 / 9)
    classes = [row for row in r.rows if row["view"] == "class"]
    rows = {row["group"]: row for row in classes}
    assert [row["group"] for row in classes] == ["good", "at_risk", "poor", "all"]
    assert {k: (v["customers"], v["churned"]) for k, v in rows.items()} == {"good": (3, 1), "at_risk": (1, 0), "poor": (3, 2), "all": (7, 3)}
    assert rows["poor"]["churn_rate_pct"] == pytest.approx(200 / 3)
    assert rows["good"]["churn_rate_pct"] == pytest.approx(100 / 3)
    assert rows["at_risk"]["churn_rate_pct"] == 0
    assert rows["all"]["churn_rate_pct"] == pytest.approx(300 / 7)
    assert rows["good"]["lift"] == pytest.approx(7 / 9) and rows["all"]["lift"] == 1.0
    d = r.details
    assert d["scored_on"] == "2024-08-31" and d["horizon_days"] == 30
    assert d["average_churn_rate"] == pytest.approx(300 / 7) and d["poor_churn_rate"] == pytest.approx(200 / 3)
    assert d["lift"] == pytest.approx(14 / 9) and (d["customers"], d["churned_customers"]) == (7, 3)
    assert any("only 7 customers" in w for w in r.warnings)  # small sample, with its interval
    assert "= lift 1.56" in r.formula


def test_backtest_scores_as_of_the_scoring_date_with_the_same_components():
    # the same customers scored directly on 2024-08-31 get the classes the backtest used
    aug = parse_period("2024-08")
    rows = by_customer(health(bt_frames(), aug, bt_config()))
    assert {c: rows[c]["score"] for c in ("P1", "P4", "P5")} == {"P1": 25.0, "P4": 50.0, "P5": 75.0}
    assert "N1" not in rows and "O1" not in rows


def test_backtest_without_churn_has_no_lift():
    frames = {"subscriptions": subs_frame([(c, "2024-01-01", None, 10) for c in ("P1", "P4")]), "invoices": invoices_frame(BT_INVOICES[:1])}
    r = health(frames, SEPT, bt_config(), backtest=True)
    assert r.value is None
    assert any("undefined" in w for w in r.warnings)


def test_backtest_and_customer_together_are_a_usage_error():
    with pytest.raises(UsageError):
        health(bt_frames(), SEPT, bt_config(), customer="P1", backtest=True)


# --------------------------------------------------------------------------- the command line


def _csv(header: str, rows) -> str:
    lines = [header] + [",".join("" if v is None else str(v) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


@pytest.fixture
def data(tmp_path):
    """The May fixture as CSV files, plus the backtest fixture in its own folder."""
    may = tmp_path / "may"
    may.mkdir()
    (may / "subscriptions.csv").write_text(
        _csv("subscription_id,customer_id,started_at,ended_at,mrr", [(f"S{i}", *r) for i, r in enumerate(SUBS)])
    )
    (may / "events.csv").write_text(_csv("customer_id,user_id,occurred_at,event", EVENTS))
    (may / "surveys.csv").write_text(
        _csv("response_id,customer_id,responded_at,survey,score", [(f"R{i}", *r) for i, r in enumerate(SURVEYS)])
    )
    (may / "tickets.csv").write_text(_csv("ticket_id,customer_id,created_at,resolved_at,category", TICKETS))
    (may / "invoices.csv").write_text(_csv("invoice_id,customer_id,issued_at,amount,due_at,paid_at", INVOICES))
    (may / "customers.csv").write_text(_csv("customer_id,name", CUSTOMERS))
    (may / "cs-metrics.yaml").write_text("metrics:\n  health:\n    lookback_days: 10\n")
    bt = tmp_path / "bt"
    bt.mkdir()
    (bt / "subscriptions.csv").write_text(
        _csv("subscription_id,customer_id,started_at,ended_at,mrr", [(f"S{i}", *r) for i, r in enumerate(BT_SUBS)])
    )
    (bt / "invoices.csv").write_text(_csv("invoice_id,customer_id,issued_at,amount,due_at,paid_at", BT_INVOICES))
    (bt / "cs-metrics.yaml").write_text("metrics:\n  health:\n    lookback_days: 31\n    backtest_horizon_days: 30\n")
    return tmp_path


RUNNER = CliRunner()


def test_cli_csv_lists_customers_worst_first(data):
    result = RUNNER.invoke(app, ["health", "--config", str(data / "may" / "cs-metrics.yaml"), "--period", "2024-05", "--format", "csv", "--rows"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "customer_id,name,score,class,reason,mrr," + ",".join(COMPONENTS)
    assert [line.split(",")[0] for line in lines[1:]] == ["C", "B", "A", "D"]
    assert lines[1].startswith("C,'=Gamma,7.63888")  # the name is guarded against spreadsheet formulas
    assert ',"usage 0, breadth 0",100.0,' in lines[1]


def test_cli_customer_table_without_colour_has_bars_and_no_ansi(data):
    result = RUNNER.invoke(
        app, ["health", "--config", str(data / "may" / "cs-metrics.yaml"), "--period", "2024-05", "--customer", "D", "--format", "table"]
    )
    assert result.exit_code == 0, result.output
    assert "\x1b[" not in result.stdout
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert "█" * 4 in lines["usage"] and "█" * 5 not in lines["usage"]  # 20 -> 4 blocks
    assert "█" * 20 in lines["breadth"]
    assert "health: 79.0" in result.stdout


def test_cli_unknown_customer_is_exit_2_with_one_line(data):
    result = RUNNER.invoke(app, ["health", "--config", str(data / "may" / "cs-metrics.yaml"), "--period", "2024-05", "--customer", "Q42"])
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("error: --customer Q42") and len(result.stderr.strip().splitlines()) == 1


def test_cli_backtest_json(data):
    result = RUNNER.invoke(
        app, ["health", "--config", str(data / "bt" / "cs-metrics.yaml"), "--period", "2024-09", "--backtest", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["metric"] == "health" and doc["unit"] == "ratio"
    assert doc["value"] == pytest.approx(14 / 9)
    assert doc["details"]["scored_on"] == "2024-08-31" and doc["details"]["lift"] == pytest.approx(14 / 9)
    assert [(r["group"], r["customers"], r["churned"]) for r in doc["rows"] if r["view"] == "class"] == [
        ("good", 3, 1),
        ("at_risk", 1, 0),
        ("poor", 3, 2),
        ("all", 7, 3),
    ]
