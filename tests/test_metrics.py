"""Hand-computed cases for mrr, churn and nps, the worked examples of metrics.md, and a
hypothesis property of the MRR bridge. Frames are built here in the loader's output shape
(MRR in load.MRR_SCALE units), independent of the CSV reader."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from hypothesis import given, settings

from cs_metrics.config import parse_config
from cs_metrics.metrics.retention import churn
from cs_metrics.metrics.revenue import mrr, mrr_bridge, ndr
from cs_metrics.load import MRR_SCALE
from cs_metrics.metrics.voice import nps
from cs_metrics.period import parse_period
from frames import histories, may_subscriptions, periods, subs

D = date
CFG = parse_config({})


def surveys(scores, kind="nps", day="2024-05-10", customers=None) -> pd.DataFrame:
    n = len(scores)
    return pd.DataFrame(
        {
            "responded_at": pd.to_datetime([day] * n if isinstance(day, str) else day),
            "survey": [kind] * n,
            "score": [float(s) for s in scores],
            "customer_id": customers if customers is not None else [f"c{i}" for i in range(n)],
        }
    )


# A month with every movement. Opening = end of 2024-04-30, closing = end of 2024-05-31.
#   A 100 -> 150 (price change 05-10)            expansion 50
#   B 200, ends 05-20                             churn 200
#   C starts 05-15 at 50                          new 50
#   D paid 80 in 2023, back 05-03 at 90           reactivation 90
#   E 300 -> 250 (05-05)                          contraction 50
#   F trial 05-01..05-15 (no MRR), then 60        new 60 (a trial is not a paid day)
#   G base 100 + add-on 20 from 05-07             expansion 20 (customer level)
#   H 40 from 05-10 to 05-20                      no movement in a one-step month
# opening = 100 + 200 + 300 + 100 = 700; closing = 150 + 50 + 90 + 250 + 60 + 120 = 720
MAY = may_subscriptions()


def test_mrr_movements_of_a_month_by_hand():
    r = mrr({"subscriptions": MAY}, parse_period("2024-05"), CFG)
    d = r.details
    assert r.value == 720 and d["closing_mrr"] == 720 and d["opening_mrr"] == 700
    assert d["arr"] == 8640
    assert (d["new_mrr"], d["new_count"], d["new_customers"]) == (110, 2, 2)
    assert (d["reactivation_mrr"], d["reactivation_count"]) == (90, 1)
    assert (d["expansion_mrr"], d["expansion_customers"]) == (70, 2)
    assert (d["contraction_mrr"], d["contraction_count"]) == (50, 1)
    assert (d["churn_mrr"], d["churn_customers"]) == (200, 1)
    assert (d["opening_customers"], d["closing_customers"]) == (4, 6)
    assert d["net_new_mrr"] == 20


def test_mrr_movements_are_summed_over_the_steps_of_a_quarter():
    # X: 100 at 03-31, ended 04-15 (0 at 04-30), back 05-10 at 100: churn then reactivation.
    # Y: 100 -> 150 (04-10) -> 200 (05-10): two expansion steps, one customer.
    q = subs(
        ("X", "2024-01-01", "2024-04-15", 100),
        ("X", "2024-05-10", None, 100),
        ("Y", "2024-01-01", "2024-04-10", 100),
        ("Y", "2024-04-10", "2024-05-10", 150),
        ("Y", "2024-05-10", None, 200),
    )
    d = mrr({"subscriptions": q}, parse_period("2024-Q2"), CFG).details
    assert (d["opening_mrr"], d["closing_mrr"]) == (200, 300)
    assert (d["churn_mrr"], d["churn_count"], d["reactivation_mrr"], d["reactivation_count"]) == (100, 1, 100, 1)
    assert (d["expansion_mrr"], d["expansion_count"], d["expansion_customers"]) == (100, 2, 1)
    assert d["new_count"] == 0


def test_mrr_worked_example_1000_customers_at_750():
    rows = [(f"c{i}", "2024-01-01", None, 750) for i in range(1000)]
    r = mrr({"subscriptions": subs(*rows)}, parse_period("2024-05"), CFG)
    assert r.value == 750_000
    assert r.details["closing_customers"] == 1000


def test_mrr_of_thirds_has_no_phantom_movements():
    # 100/3 + 200/3 split over two rows, then one row of 100: the same MRR, no movement.
    third = 100 / 3
    q = subs(("A", "2024-01-01", "2024-05-10", third), ("A", "2024-01-01", "2024-05-10", 2 * third), ("A", "2024-05-10", None, 100))
    d = mrr({"subscriptions": q}, parse_period("2024-05"), CFG).details
    assert d["expansion_count"] == 0 and d["contraction_count"] == 0


def test_churn_of_the_month_by_hand():
    # S = {A, B, E, G} (paying at 04-30); B is not paying at 05-31: 1 / 4 = 25 %.
    r = churn({"subscriptions": MAY}, parse_period("2024-05"), CFG)
    assert r.value == 25.0
    assert (r.details["starting_customers"], r.details["churned_customers"]) == (4, 1)


def test_churn_include_new_counts_customers_won_and_lost_inside_the_period():
    # H paid 05-10..05-20 only: numerator 2 (B, H), denominator still 4.
    cfg = parse_config({"metrics": {"churn": {"include_new": True}}})
    r = churn({"subscriptions": MAY}, parse_period("2024-05"), cfg)
    assert r.value == 50.0 and r.details["new_churned_customers"] == 1


def test_net_churn_is_negative_when_the_base_grows():
    # (4 paying at opening - 6 at closing) / 4 = -50 %
    cfg = parse_config({"metrics": {"churn": {"method": "net"}}})
    assert churn({"subscriptions": MAY}, parse_period("2024-05"), cfg).value == -50.0


def test_churn_worked_example_64_of_1000():
    rows = [(f"c{i}", "2024-01-01", "2024-05-20" if i < 64 else None, 10) for i in range(1000)]
    assert churn({"subscriptions": subs(*rows)}, parse_period("2024-05"), CFG).value == pytest.approx(6.4)


def test_churn_without_paying_customers_is_undefined_with_a_reason():
    r = churn({"subscriptions": subs(("A", "2024-06-01", None, 10))}, parse_period("2024-05"), CFG)
    assert r.value is None and any("undefined" in w for w in r.warnings)


def test_churn_from_customers_without_subscriptions():
    customers = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e"],
            # a, b, c existed before May; d joined in May (outside S); e was lost in April (outside S)
            "created_at": pd.to_datetime(["2023-01-01", "2024-04-30", None, "2024-05-02", "2023-01-01"]),
            "churned_at": pd.to_datetime([None, "2024-05-31", "2024-06-01", "2024-05-20", "2024-04-15"]),
        }
    )
    r = churn({"customers": customers}, parse_period("2024-05"), CFG)
    assert (r.details["starting_customers"], r.details["churned_customers"]) == (3, 1)
    assert r.value == pytest.approx(100 / 3)


def test_nps_worked_example_with_margin_of_error():
    scores = [10] * 50 + [8] * 30 + [3] * 20
    r = nps({"surveys": surveys(scores)}, parse_period("2024-05"), CFG)
    assert r.value == pytest.approx(30.0)
    # 1.96 x sqrt((0.5 + 0.2) - (0.5 - 0.2)^2) / sqrt(100) x 100 = 1.96 x sqrt(0.61) x 10 = 15.308
    assert r.details["margin_of_error"] == pytest.approx(15.308, abs=0.001)
    assert (r.details["promoters"], r.details["passives"], r.details["detractors"]) == (50, 30, 20)


def test_nps_counts_boundaries_and_anonymous_responses_and_ignores_other_periods():
    # in May: 9 and 10 promoters, 7 and 8 passives, 6 and 0 detractors, one anonymous 10
    may = surveys([9, 10, 7, 8, 6, 0, 10], customers=["a", "b", "c", "d", "e", "f", None])
    june = surveys([0, 0, 0], day="2024-06-01")
    csat = surveys([1, 1], kind="csat")
    r = nps({"surveys": pd.concat([may, june, csat], ignore_index=True)}, parse_period("2024-05"), CFG)
    # (3 - 2) / 7 x 100
    assert r.value == pytest.approx(100 / 7)
    assert r.filtered["surveys"] == {"other survey kinds": 2, "outside the period": 3}


def test_nps_latest_per_customer_keeps_each_customers_last_answer():
    # a answers 0 then 10; b answers 10 then 0 (same day: file order decides); anonymous both kept
    frame = surveys(
        [0, 10, 10, 0, 9, 9],
        day=["2024-05-01", "2024-05-20", "2024-05-05", "2024-05-05", "2024-05-06", "2024-05-07"],
        customers=["a", "a", "b", "b", None, None],
    )
    cfg = parse_config({"metrics": {"nps": {"latest_per_customer": True}}})
    r = nps({"surveys": frame}, parse_period("2024-05"), cfg)
    # kept: a=10, b=0, anon 9, anon 9 -> 3 promoters, 1 detractor of 4 = 50
    assert r.value == pytest.approx(50.0)
    assert r.filtered["surveys"]["earlier responses of the same customer"] == 2


def test_nps_thresholds_come_from_the_config():
    cfg = parse_config({"metrics": {"nps": {"promoter_min": 10, "detractor_max": 5}}})
    r = nps({"surveys": surveys([10, 9, 6, 5])}, parse_period("2024-05"), cfg)
    assert (r.details["promoters"], r.details["detractors"]) == (1, 1)
    assert r.value == 0


def test_nps_without_responses_is_undefined():
    r = nps({"surveys": surveys([9], day="2024-01-01")}, parse_period("2024-05"), CFG)
    assert r.value is None and r.details["margin_of_error"] is None and r.warnings


# --------------------------------------------------------------------------- bridge property

@settings(max_examples=150, deadline=None)
@given(histories, periods)
def test_mrr_bridge_identity_is_exact(frame, period):
    b = mrr_bridge(frame, period)
    assert b["opening"] + b["new"] + b["reactivation"] + b["expansion"] - b["contraction"] - b["churn"] == b["closing"]
    for name in ("new", "reactivation", "expansion", "contraction", "churn"):
        assert b[name] >= 0 and b[f"{name}_count"] >= b[f"{name}_customers"]
    d = mrr({"subscriptions": frame}, period, CFG).details
    lhs = d["opening_mrr"] + d["new_mrr"] + d["reactivation_mrr"] + d["expansion_mrr"] - d["contraction_mrr"] - d["churn_mrr"]
    # exact in units (above); the reported values are each rounded to 6 decimals: 6 x 0.5e-6
    assert lhs == pytest.approx(d["closing_mrr"], abs=3e-6)


def _brute_force_bridge(frame: pd.DataFrame, period) -> dict[str, int]:
    """The bridge computed the slow, obvious way: day by day in plain Python, customer by customer."""
    paying = [
        (r.customer_id, r.started_at.date(), None if pd.isna(r.ended_at) else r.ended_at.date(), int(r.mrr))
        for r in frame.itertuples()
        if r.mrr > 0 and not r.is_trial and (pd.isna(r.ended_at) or r.ended_at > r.started_at)
    ]

    def mrr_on(customer, day):
        return sum(m for c, s, e, m in paying if c == customer and s <= day and (e is None or day < e))

    def paid_by(customer, day):  # paid on some day on or before `day`
        return any(c == customer and s <= day for c, s, e, m in paying)

    out = {f"{n}{suffix}": 0 for n in ("new", "reactivation", "expansion", "contraction", "churn") for suffix in ("", "_count")}
    snaps = period.snapshots()
    for customer in {c for c, *_ in paying}:
        for start, end in zip(snaps, snaps[1:]):
            a, b = mrr_on(customer, start), mrr_on(customer, end)
            kind = None
            if a == 0 and b > 0:
                kind, amount = ("reactivation" if paid_by(customer, start) else "new"), b
            elif a > 0 and b == 0:
                kind, amount = "churn", a
            elif b > a > 0:
                kind, amount = "expansion", b - a
            elif a > b > 0:
                kind, amount = "contraction", a - b
            if kind:
                out[kind] += amount
                out[f"{kind}_count"] += 1
    return out


@settings(max_examples=120, deadline=None)
@given(histories, periods)
def test_mrr_movements_match_a_brute_force_computation(frame, period):
    # Independent of the code under test: a customer who returns after a gap is a reactivation, one
    # never seen paying before is new — swapping the two rules makes this fail.
    b = mrr_bridge(frame, period)
    expected = _brute_force_bridge(frame, period)
    assert {k: b[k] for k in expected} == expected


def test_a_customer_returning_after_a_gap_by_hand():
    # X pays 100 in January and February, nothing in March, comes back on 04-15 at 150: reactivation.
    # Y is never seen before 04-10 (50): new. Z 200 expands to 260 on 05-01.
    frame = subs(
        ("X", "2024-01-01", "2024-03-01", 100),
        ("X", "2024-04-15", None, 150),
        ("Y", "2024-04-10", None, 50),
        ("Z", "2024-01-01", "2024-05-01", 200),
        ("Z", "2024-05-01", None, 260),
    )
    b = mrr_bridge(frame, parse_period("2024-Q2"))
    # opening (03-31): Z 200. April: Y new 50, X reactivation 150. May: Z +60. June: flat. Closing 460.
    assert b["opening"] == 200 * MRR_SCALE and b["closing"] == 460 * MRR_SCALE
    assert (b["new"], b["new_count"]) == (50 * MRR_SCALE, 1)
    assert (b["reactivation"], b["reactivation_count"]) == (150 * MRR_SCALE, 1)
    assert (b["expansion"], b["churn"], b["contraction"]) == (60 * MRR_SCALE, 0, 0)
    # NRR of Q2: S = {Z} (X paid nothing on 03-31): 260 / 200 = 130 %; X's return is not retention
    assert ndr({"subscriptions": frame}, parse_period("2024-Q2"), CFG).value == pytest.approx(130.0)
