"""Hand-computed cases for arpu, ndr (nrr), grr, revenue-churn, revenue-growth and renewal-rate, the
NDR worked example of metrics.md, a hypothesis property of the identities between the revenue
retention metrics, and the per-customer `rows` of mrr, churn and ndr (also through the CLI).
Frames are built here in the loader's output shape (MRR in load.MRR_SCALE units, invoice amounts
in load.MONEY_SCALE units), independent of the CSV reader."""

from __future__ import annotations

import csv
import io
import json
from fractions import Fraction

import pandas as pd
import pytest
from hypothesis import given, settings
from typer.testing import CliRunner

from cs_metrics.cli import app
from cs_metrics.config import parse_config
from cs_metrics.load import MONEY_SCALE
from cs_metrics.metrics._state import to_money
from cs_metrics.metrics.retention import churn
from cs_metrics.metrics.revenue import (
    arpu,
    cohort_units,
    grr,
    mrr,
    ndr,
    renewal_rate,
    revenue_churn,
    revenue_growth,
    starting_cohort_mrr,
)
from cs_metrics.period import parse_period
from frames import histories, may_subscriptions, periods, subs

CFG = parse_config({})
MAY_P = parse_period("2024-05")  # opening snapshot = end of 2024-04-30, closing = end of 2024-05-31
Q2 = parse_period("2024-Q2")  # snapshots 03-31, 04-30, 05-31, 06-30


def terms(*rows) -> pd.DataFrame:
    """rows: (customer, started_at, ended_at or None, monthly amount, is_trial, term_ends_at or None)."""
    frame = subs(*[r[:5] for r in rows])
    frame["term_ends_at"] = pd.to_datetime([r[5] for r in rows])
    return frame


def invoices(*rows) -> pd.DataFrame:
    """rows: (customer, issued_at, amount in currency; negative = credit note)."""
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "issued_at": pd.to_datetime([r[1] for r in rows]),
            "amount": pd.array([round(r[2] * MONEY_SCALE) for r in rows], dtype="Int64"),
        }
    )


def cfg(**metrics) -> object:
    return parse_config({"metrics": metrics})


# The month of test_metrics.py, every movement. Opening = end of 04-30, closing = end of 05-31.
#   A 100 -> 150 (05-10)   expansion 50        E 300 -> 250 (05-05)          contraction 50
#   B 200, ends 05-20      churn 200           F trial 05-01..05-15, then 60 new 60
#   C new 05-15 at 50      new 50              G 100 + add-on 20 (05-07)     expansion 20
#   D paid 80 in 2023, back 05-03 at 90: reactivation 90
#   H 40 from 05-10 to 05-20: paying inside May only, no MRR at either snapshot
# S = {A, B, E, G}: opening 100 + 200 + 300 + 100 = 700; closing of S 150 + 0 + 250 + 120 = 520.
MAY = may_subscriptions()


# --------------------------------------------------------------------------- NDR, GRR, revenue churn and growth


def worked_example() -> pd.DataFrame:
    """100 customers at 1,000 (opening 100,000): c0..c11 expand to 2,000 (+12,000), c12..c17 contract
    to 500 (-3,000), c18..c22 end on 05-20 (churn 5,000), the other 77 stay. Closing of S = 104,000."""
    rows = []
    for i in range(100):
        c = f"c{i:03d}"
        if i < 12:
            rows += [(c, "2024-01-01", "2024-05-10", 1000), (c, "2024-05-10", None, 2000)]
        elif i < 18:
            rows += [(c, "2024-01-01", "2024-05-10", 1000), (c, "2024-05-10", None, 500)]
        elif i < 23:
            rows.append((c, "2024-01-01", "2024-05-20", 1000))
        else:
            rows.append((c, "2024-01-01", None, 1000))
    rows.append(("new", "2024-05-02", None, 9000))  # a new customer: outside S, changes nothing
    return subs(*rows)


def test_ndr_worked_example_104_percent():
    frames = {"subscriptions": worked_example()}
    r = ndr(frames, MAY_P, CFG)
    # 104,000 / 100,000 x 100 = 104 %
    assert r.value == pytest.approx(104.0)
    d = r.details
    assert (d["opening_mrr"], d["closing_mrr"]) == (100_000, 104_000)
    assert (d["expansion_mrr"], d["contraction_mrr"], d["churn_mrr"]) == (12_000, 3_000, 5_000)
    assert (d["expansion_customers"], d["contraction_customers"], d["churn_customers"], d["flat_customers"]) == (12, 6, 5, 77)
    assert d["starting_customers"] == 100
    # GRR = (100,000 - 3,000 - 5,000) / 100,000 = 92 %
    assert d["grr"] == pytest.approx(92.0) and d["retained_mrr"] == 92_000
    assert r.warnings == []  # 100 starting customers: no small-base warning
    assert "104.00 %" in r.formula and "100,000.00" in r.formula and "12,000.00" in r.formula
    assert grr(frames, MAY_P, CFG).value == pytest.approx(92.0)
    rc = revenue_churn(frames, MAY_P, CFG)
    # gross (5,000 + 3,000) / 100,000 = 8 %; net (8,000 - 12,000) / 100,000 = -4 %
    assert rc.value == pytest.approx(8.0) and rc.details["net_mrr_churn"] == pytest.approx(-4.0)
    assert rc.details["lost_mrr"] == 8_000
    growth = revenue_growth(frames, MAY_P, CFG)
    # (104,000 - 100,000) / 100,000 = 4 %
    assert growth.value == pytest.approx(4.0) and growth.details["net_change_mrr"] == 4_000


def test_retention_of_the_may_cohort_by_hand():
    frames = {"subscriptions": MAY}
    r = ndr(frames, MAY_P, CFG)
    # 520 / 700 x 100 = 74.2857 %; C, D, F (new, reactivated) and H are outside S
    assert r.value == pytest.approx(520 / 7)
    d = r.details
    assert (d["opening_mrr"], d["closing_mrr"], d["starting_customers"]) == (700, 520, 4)
    assert (d["expansion_mrr"], d["contraction_mrr"], d["churn_mrr"]) == (70, 50, 200)
    # GRR: min(100,150) + min(200,0) + min(300,250) + min(100,120) = 450 -> 450 / 700
    assert d["grr"] == pytest.approx(450 / 7) and d["retained_mrr"] == 450
    assert grr(frames, MAY_P, CFG).value == pytest.approx(450 / 7)
    rc = revenue_churn(frames, MAY_P, CFG)
    assert rc.value == pytest.approx(250 / 7)  # (200 + 50) / 700
    assert rc.details["net_mrr_churn"] == pytest.approx(180 / 7)  # (250 - 70) / 700
    assert revenue_growth(frames, MAY_P, CFG).value == pytest.approx(-180 / 7)  # (520 - 700) / 700
    # 4 starting customers: the small-base warning, worded like rate()'s; the largest is 300 / 700
    assert r.warnings == [
        "NDR rests on only 4 starting customers: a money ratio has no 95 % interval, and the largest "
        "account holds 42.9 % of their opening MRR"
    ]


def test_ndr_measures_each_customer_from_opening_to_closing_not_over_steps():
    # Q2: X 100, gone 04-15..05-10, back at 100: flat (the bridge sees churn then reactivation).
    # Y 100 -> 150 -> 200: expansion 100. W 300, gone 05-15, back 06-01 at 250: contraction 50.
    # Z new 04-01 at 500: outside S. S opening 500, closing 100 + 200 + 250 = 550.
    q = subs(
        ("X", "2024-01-01", "2024-04-15", 100),
        ("X", "2024-05-10", None, 100),
        ("Y", "2024-01-01", "2024-04-10", 100),
        ("Y", "2024-04-10", "2024-05-10", 150),
        ("Y", "2024-05-10", None, 200),
        ("W", "2024-01-01", "2024-05-15", 300),
        ("W", "2024-06-01", None, 250),
        ("Z", "2024-04-01", None, 500),
    )
    r = ndr({"subscriptions": q}, Q2, CFG)
    assert r.value == pytest.approx(110.0)  # 550 / 500
    d = r.details
    assert (d["expansion_mrr"], d["contraction_mrr"], d["churn_mrr"]) == (100, 50, 0)
    assert (d["expansion_customers"], d["contraction_customers"], d["churn_customers"], d["flat_customers"]) == (1, 1, 0, 1)
    assert d["grr"] == pytest.approx(90.0)  # (100 + 100 + 250) / 500
    assert revenue_churn({"subscriptions": q}, Q2, CFG).details["net_mrr_churn"] == pytest.approx(-10.0)  # (50 - 100) / 500


def test_retention_at_both_ends_of_the_period():
    # P1 starts 05-01: not paying at the opening (end of 04-30), outside S.
    # P2 ends 05-01 (first day without service): paying on 04-30, in S, gone at closing: churn 100.
    # P3 ends 06-01: still paying at the end of 05-31: flat. P4 ends 04-30: not paying on 04-30.
    frame = subs(
        ("P1", "2024-05-01", None, 100),
        ("P2", "2024-01-01", "2024-05-01", 100),
        ("P3", "2024-01-01", "2024-06-01", 100),
        ("P4", "2024-01-01", "2024-04-30", 100),
    )
    r = ndr({"subscriptions": frame}, MAY_P, CFG)
    assert r.details["starting_customers"] == 2 and r.details["churn_customers"] == 1
    assert r.value == pytest.approx(50.0)  # 100 / 200
    assert grr({"subscriptions": frame}, MAY_P, CFG).value == pytest.approx(50.0)
    assert revenue_churn({"subscriptions": frame}, MAY_P, CFG).value == pytest.approx(50.0)
    assert revenue_growth({"subscriptions": frame}, MAY_P, CFG).value == pytest.approx(-50.0)


@pytest.mark.parametrize("func", [ndr, grr, revenue_churn, revenue_growth])
def test_retention_without_a_starting_cohort_is_undefined_with_a_reason(func):
    # the only customer starts paying inside May: S is empty
    r = func({"subscriptions": subs(("A", "2024-05-02", None, 10))}, MAY_P, CFG)
    assert r.value is None
    assert len(r.warnings) == 1
    assert r.warnings[0].endswith("(no customer was paying at the end of 2024-04-30) is undefined: its denominator is 0")
    assert r.details["starting_customers"] == 0 and r.details["opening_mrr"] == 0


def test_trial_rows_do_not_make_a_starting_customer():
    # T is on a trial at the opening and pays 50 at closing: not in S. U pays 100 throughout.
    frame = subs(("T", "2024-04-01", "2024-05-10", 0, True), ("T", "2024-05-10", None, 50), ("U", "2024-01-01", None, 100))
    r = ndr({"subscriptions": frame}, MAY_P, CFG)
    assert r.details["starting_customers"] == 1 and r.value == pytest.approx(100.0)


# --------------------------------------------------------------------------- identities (hypothesis)

@settings(max_examples=150, deadline=None)
@given(histories, periods)
def test_revenue_retention_identities_hold_exactly(frame, period):
    frames = {"subscriptions": frame}
    u = cohort_units(starting_cohort_mrr(frame, period))
    # exact, in integer MRR units
    assert u["opening"] + u["expansion"] - u["contraction"] - u["churn"] == u["closing"]
    assert u["retained"] == u["opening"] - u["contraction"] - u["churn"]
    assert u["retained"] <= u["closing"] and u["retained"] <= u["opening"]  # GRR <= NDR, GRR <= 100
    for k in ("expansion", "contraction", "churn", "retained"):
        assert u[k] >= 0
    assert u["expansion_customers"] + u["contraction_customers"] + u["churn_customers"] + u["flat_customers"] == u["starting_customers"]
    n, g, c, gr = (f(frames, period, CFG) for f in (ndr, grr, revenue_churn, revenue_growth))
    if u["opening"] == 0:
        assert n.value is None and g.value is None and c.value is None and gr.value is None
        return
    o = u["opening"]
    # the same identities as exact fractions of the integer units, before any float division
    nrr_f, grr_f = Fraction(u["closing"] * 100, o), Fraction(u["retained"] * 100, o)
    assert Fraction((u["churn"] + u["contraction"]) * 100, o) == 100 - grr_f
    assert Fraction((u["churn"] + u["contraction"] - u["expansion"]) * 100, o) == 100 - nrr_f
    assert Fraction((u["closing"] - o) * 100, o) == nrr_f - 100
    # and the reported values follow them (each is one correctly rounded division)
    assert g.value <= n.value
    assert c.value == pytest.approx(100 - g.value, abs=1e-9)
    assert c.details["net_mrr_churn"] == pytest.approx(100 - n.value, abs=1e-9)
    assert gr.value == pytest.approx(n.value - 100, abs=1e-9)
    assert n.details["grr"] == g.value
    assert n.details["opening_mrr"] == to_money(o) and n.details["closing_mrr"] == to_money(u["closing"])


# --------------------------------------------------------------------------- ARPU

MAY_INVOICES = invoices(
    ("A", "2024-05-01", 1000),  # first day of May
    ("C", "2024-05-31", 500),  # last day of May
    ("E", "2024-05-15", -100),  # credit note: netted, and E is not an invoiced customer
    ("B", "2024-04-30", 999),  # before May (inside Q2)
    ("G", "2024-06-01", 777),  # after May (inside Q2)
)


def test_arpu_mrr_basis_is_the_default_with_subscriptions():
    # closing MRR 720 (A 150, C 50, D 90, E 250, F 60, G 120) / 6 paying customers = 120
    for config in (CFG, cfg(arpu={"basis": "mrr"})):
        r = arpu({"subscriptions": MAY, "invoices": MAY_INVOICES}, MAY_P, config)
        assert r.value == pytest.approx(120.0)
        assert r.details["basis"] == "mrr" and r.details["closing_customers"] == 6 and r.details["closing_mrr"] == 720
        assert "720.00" in r.formula and "6 paying" in r.formula


def test_arpu_revenue_basis_with_subscriptions_averages_the_snapshot_counts():
    # May revenue 1000 + 500 - 100 = 1400; paying at 04-30: A B E G (4), at 05-31: A C D E F G (6);
    # average (4 + 6) / 2 = 5 -> 1400 / 5 = 280
    r = arpu({"subscriptions": MAY, "invoices": MAY_INVOICES}, MAY_P, cfg(arpu={"basis": "revenue"}))
    assert r.value == pytest.approx(280.0)
    d = r.details
    assert (d["basis"], d["invoice_revenue"], d["invoices"], d["average_customers"]) == ("revenue", 1400, 3, 5)
    assert (d["opening_customers"], d["closing_customers"], d["snapshots"]) == (4, 6, 2)
    assert r.filtered == {"invoices": {"outside the period": 2}}


def test_arpu_revenue_basis_over_a_quarter_counts_each_month_end():
    # Q2 revenue 1000 + 500 - 100 + 999 + 777 = 3176; paying at 03-31 4, 04-30 4, 05-31 6, 06-30 6
    # (H's 05-10..05-20 row is at no snapshot): average 20 / 4 = 5 -> 3176 / 5 = 635.2
    r = arpu({"subscriptions": MAY, "invoices": MAY_INVOICES}, Q2, cfg(arpu={"basis": "revenue"}))
    assert r.value == pytest.approx(635.2)
    assert (r.details["snapshots"], r.details["average_customers"]) == (4, 5)


def test_arpu_without_subscriptions_uses_revenue_and_invoiced_customers():
    # auto without subscriptions -> revenue; invoiced in May (positive invoice): A, C -> 1400 / 2 = 700
    for config in (CFG, cfg(arpu={"basis": "revenue"})):
        r = arpu({"invoices": MAY_INVOICES}, MAY_P, config)
        assert r.value == pytest.approx(700.0)
        assert r.details["customer_source"] == "invoiced in the period" and r.details["average_customers"] == 2


def test_arpu_is_undefined_without_customers():
    nobody = subs(("A", "2024-01-01", "2024-03-01", 100))  # not paying at the end of May
    r = arpu({"subscriptions": nobody}, MAY_P, CFG)
    assert r.value is None and any("undefined" in w for w in r.warnings)
    r = arpu({"invoices": invoices(("A", "2024-04-01", 100))}, MAY_P, CFG)
    assert r.value is None and any("undefined" in w for w in r.warnings)


# --------------------------------------------------------------------------- renewal rate

# Period 2024-05. term_ends_at, like ended_at, is the first day after the term.
#   A term ends 05-01 (first day of May), continues on a new row from 05-01        renewed at grace 0
#   B term ends 05-15, new row only from 05-20                                      renewed with grace 7 (05-22)
#   C term ends 05-31 (last day of May) on a row still running (auto-renewed)       renewed
#   D term ends 05-10, then only a trial row 05-10..05-24                           never renewed
#   E a trial row with a term end 05-05                                             not due (trial)
#   F term ends 06-01 and 04-30                                                     not due (outside May)
#   G term ends 05-31, new row from 06-03                                           renewed with grace 7 (06-07)
#   H row ends 05-12 without a term end                                             due only on the ended_at basis
RENEWALS = terms(
    ("A", "2023-05-01", "2024-05-01", 100, False, "2024-05-01"),
    ("A", "2024-05-01", None, 100, False, "2025-05-01"),
    ("B", "2023-05-15", "2024-05-15", 100, False, "2024-05-15"),
    ("B", "2024-05-20", None, 100, False, "2025-05-20"),
    ("C", "2023-06-01", None, 100, False, "2024-05-31"),
    ("D", "2023-05-10", "2024-05-10", 100, False, "2024-05-10"),
    ("D", "2024-05-10", "2024-05-24", 0, True, None),
    ("E", "2024-04-21", "2024-05-05", 0, True, "2024-05-05"),
    ("F", "2023-06-01", "2024-06-01", 100, False, "2024-06-01"),
    ("F", "2023-04-30", "2024-04-30", 100, False, "2024-04-30"),
    ("G", "2023-05-31", "2024-05-31", 100, False, "2024-05-31"),
    ("G", "2024-06-03", None, 100, False, None),
    ("H", "2024-01-01", "2024-05-12", 100, False, None),
)


def test_renewal_rate_on_term_ends_at_without_grace():
    # due A B C D G (5); renewed on the due day: A (new row from 05-01), C (row running) -> 2 / 5 = 40 %
    r = renewal_rate({"subscriptions": RENEWALS}, MAY_P, CFG)
    assert r.value == pytest.approx(40.0)
    d = r.details
    assert (d["basis"], d["grace_days"], d["due"], d["renewed"], d["not_renewed"]) == ("term_ends_at", 0, 5, 2, 3)
    assert d["ci95_low"] < 40 < d["ci95_high"]
    assert any("renewal rate rests on only 5 renewals due" in w for w in r.warnings)
    assert r.formula == "2 renewed / 5 due x 100 = 40.00 %"


def test_renewal_rate_on_term_ends_at_with_seven_grace_days():
    # checked 7 days later: A (05-08), B (05-22, row from 05-20), C (06-07), G (06-07, row from 06-03);
    # D (05-17) only has a trial row -> 4 / 5 = 80 %
    r = renewal_rate({"subscriptions": RENEWALS}, MAY_P, cfg(renewal_rate={"grace_days": 7}))
    assert r.value == pytest.approx(80.0)
    assert (r.details["due"], r.details["renewed"], r.details["grace_days"]) == (5, 4, 7)


def test_renewal_rate_without_term_ends_at_uses_ended_at():
    # non-trial rows ending in May: A (05-01), B (05-15), D (05-10), G (05-31), H (05-12) -> 5 due.
    # grace 0: only A continues the same day (1 / 5 = 20 %); each expiring row is inactive on its ended_at.
    # grace 7: A, B (05-22), G (06-07) -> 3 / 5 = 60 %
    frame = RENEWALS.drop(columns="term_ends_at")
    r0 = renewal_rate({"subscriptions": frame}, MAY_P, CFG)
    assert (r0.details["basis"], r0.details["due"], r0.details["renewed"]) == ("ended_at", 5, 1)
    assert r0.value == pytest.approx(20.0)
    r7 = renewal_rate({"subscriptions": frame}, MAY_P, cfg(renewal_rate={"grace_days": 7}))
    assert (r7.details["due"], r7.details["renewed"]) == (5, 3)
    assert r7.value == pytest.approx(60.0)


def test_renewal_rate_excludes_trial_rows():
    # only E's trial row ends in May (on both bases): nothing due
    trial_only = RENEWALS.loc[RENEWALS["customer_id"] == "E"]
    for frame in (trial_only, trial_only.drop(columns="term_ends_at")):
        r = renewal_rate({"subscriptions": frame}, MAY_P, CFG)
        assert r.details["due"] == 0 and r.value is None


def test_renewal_rate_with_nothing_due_is_undefined_with_a_reason():
    r = renewal_rate({"subscriptions": RENEWALS}, parse_period("2022-01"), CFG)
    assert r.value is None and r.details["due"] == 0
    assert any("undefined" in w for w in r.warnings)


# --------------------------------------------------------------------------- rows


def test_rows_stay_none_without_the_option():
    frames = {"subscriptions": MAY}
    assert mrr(frames, MAY_P, CFG).rows is None
    assert churn(frames, MAY_P, CFG).rows is None
    assert ndr(frames, MAY_P, CFG).rows is None


def _sums(rows, key):
    return sum(r[key] for r in rows)


def test_mrr_rows_of_a_month_add_up_to_the_details():
    r = mrr({"subscriptions": MAY}, MAY_P, CFG, rows=True)
    by = {row["customer_id"]: row for row in r.rows}
    # H paid only between the snapshots, with no movement: not listed
    assert list(by) == ["A", "B", "C", "D", "E", "F", "G"]
    assert {c: row["movements"] for c, row in by.items()} == {
        "A": "expansion", "B": "churn", "C": "new", "D": "reactivation", "E": "contraction", "F": "new", "G": "expansion"
    }
    assert (by["B"]["opening_mrr"], by["B"]["closing_mrr"], by["B"]["churn_mrr"]) == (200, 0, 200)
    assert (by["G"]["opening_mrr"], by["G"]["closing_mrr"], by["G"]["expansion_mrr"]) == (100, 120, 20)
    for key in ("opening_mrr", "closing_mrr", "new_mrr", "reactivation_mrr", "expansion_mrr", "contraction_mrr", "churn_mrr"):
        assert _sums(r.rows, key) == pytest.approx(r.details[key], abs=1e-5), key


def test_mrr_rows_of_a_quarter_join_the_movements_of_each_step():
    # X: 03-31 100 -> 04-30 0 (churn 100) -> 05-31 100 (reactivation 100): "churn+reactivation"
    # Y: 100 -> 150 -> 200: "expansion+expansion", 100 in all; Z new 500 in April; K flat 70
    q = subs(
        ("X", "2024-01-01", "2024-04-15", 100),
        ("X", "2024-05-10", None, 100),
        ("Y", "2024-01-01", "2024-04-10", 100),
        ("Y", "2024-04-10", "2024-05-10", 150),
        ("Y", "2024-05-10", None, 200),
        ("Z", "2024-04-01", None, 500),
        ("K", "2024-01-01", None, 70),
    )
    r = mrr({"subscriptions": q}, Q2, CFG, rows=True)
    by = {row["customer_id"]: row for row in r.rows}
    assert [row["customer_id"] for row in r.rows] == ["K", "X", "Y", "Z"]  # sorted by customer_id
    assert by["X"]["movements"] == "churn+reactivation"
    assert (by["X"]["churn_mrr"], by["X"]["reactivation_mrr"]) == (100, 100)
    assert by["Y"]["movements"] == "expansion+expansion" and by["Y"]["expansion_mrr"] == 100
    assert by["Z"]["movements"] == "new" and by["Z"]["new_mrr"] == 500
    assert by["K"]["movements"] == "flat" and by["K"]["opening_mrr"] == by["K"]["closing_mrr"] == 70
    for key in ("opening_mrr", "closing_mrr", "new_mrr", "reactivation_mrr", "expansion_mrr", "contraction_mrr", "churn_mrr"):
        assert _sums(r.rows, key) == pytest.approx(r.details[key], abs=1e-5), key


def test_churn_rows_list_the_starting_cohort_with_status():
    r = churn({"subscriptions": MAY}, MAY_P, CFG, rows=True)
    assert [(x["customer_id"], x["status"]) for x in r.rows] == [("A", "retained"), ("B", "churned"), ("E", "retained"), ("G", "retained")]
    assert sum(x["status"] == "churned" for x in r.rows) == r.details["churned_customers"]
    assert len(r.rows) == r.details["starting_customers"]
    assert _sums(r.rows, "opening_mrr") == pytest.approx(700)  # = the opening MRR of S
    assert r.rows[1] == {"customer_id": "B", "status": "churned", "opening_mrr": 200.0, "closing_mrr": 0.0}


def test_churn_rows_with_include_new_and_net():
    r = churn({"subscriptions": MAY}, MAY_P, cfg(churn={"include_new": True}), rows=True)
    # H paid 05-10..05-20 only: listed as new_churned, with no MRR at either snapshot
    assert r.rows[-1] == {"customer_id": "H", "status": "new_churned", "opening_mrr": 0.0, "closing_mrr": 0.0}
    assert sum(x["status"] == "new_churned" for x in r.rows) == r.details["new_churned_customers"] == 1
    net = churn({"subscriptions": MAY}, MAY_P, cfg(churn={"method": "net"}), rows=True)
    # net: the closing count holds C, D, F from outside S
    status = {x["customer_id"]: x["status"] for x in net.rows}
    assert status == {"A": "retained", "B": "churned", "C": "new", "D": "new", "E": "retained", "F": "new", "G": "retained"}
    assert sum(s != "churned" for s in status.values()) == net.details["closing_customers"]


def test_churn_rows_from_customers_without_subscriptions():
    customers = pd.DataFrame(
        {
            "customer_id": ["c", "b", "a", "d", "e"],
            # a, b, c existed before May; d joined in May, e was lost in April: outside S
            "created_at": pd.to_datetime([None, "2024-04-30", "2023-01-01", "2024-05-02", "2023-01-01"]),
            "churned_at": pd.to_datetime(["2024-06-01", "2024-05-31", None, "2024-05-20", "2024-04-15"]),
        }
    )
    r = churn({"customers": customers}, MAY_P, CFG, rows=True)
    assert r.rows == [
        {"customer_id": "a", "status": "retained", "churned_at": None},
        {"customer_id": "b", "status": "churned", "churned_at": "2024-05-31"},
        {"customer_id": "c", "status": "retained", "churned_at": "2024-06-01"},
    ]


def test_ndr_rows_list_each_starting_customer_and_add_up_to_the_details():
    r = ndr({"subscriptions": worked_example()}, MAY_P, CFG, rows=True)
    assert len(r.rows) == 100 and [x["customer_id"] for x in r.rows] == sorted(x["customer_id"] for x in r.rows)
    assert r.rows[0] == {
        "customer_id": "c000", "opening_mrr": 1000.0, "closing_mrr": 2000.0, "movement": "expansion",
        "expansion_mrr": 1000.0, "contraction_mrr": 0.0, "churn_mrr": 0.0,
    }
    counts = pd.Series([x["movement"] for x in r.rows]).value_counts().to_dict()
    assert counts == {"flat": 77, "expansion": 12, "contraction": 6, "churn": 5}
    for key in ("opening_mrr", "closing_mrr", "expansion_mrr", "contraction_mrr", "churn_mrr"):
        assert _sums(r.rows, key) == pytest.approx(r.details[key], abs=1e-4), key


# --------------------------------------------------------------------------- CLI

# May 2024: C1 100 throughout (flat), C2 200 ending 05-15 (churn), C3 50 -> 80 on 05-10
# (expansion 30), C4 trial then 120 from 05-20 (new: outside S). NDR = (100 + 0 + 80) / 350 = 51.43 %.
CLI_SUBSCRIPTIONS = """\
subscription_id,customer_id,started_at,ended_at,mrr,is_trial
S1,C1,2024-01-01,,100,false
S2,C2,2024-02-01,2024-05-15,200,false
S3,C3,2024-01-01,2024-05-10,50,false
S4,C3,2024-05-10,,80,false
S5,C4,2024-05-01,2024-05-20,0,true
S6,C4,2024-05-20,,120,false
"""


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.delenv("CS_METRICS_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)  # no cs-metrics.yaml here: built-in defaults
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "subscriptions.csv").write_text(CLI_SUBSCRIPTIONS, encoding="utf-8")
    return folder


def test_cli_ndr_rows_as_csv_and_the_nrr_alias(data):
    runner = CliRunner()
    args = ["--rows", "--format", "csv", "--data", str(data), "--period", "2024-05"]
    result = runner.invoke(app, ["ndr", *args])
    assert result.exit_code == 0, result.output
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(table[0]) == ["customer_id", "opening_mrr", "closing_mrr", "movement", "expansion_mrr", "contraction_mrr", "churn_mrr"]
    got = {r["customer_id"]: (float(r["opening_mrr"]), float(r["closing_mrr"]), r["movement"]) for r in table}
    assert got == {"C1": (100, 100, "flat"), "C2": (200, 0, "churn"), "C3": (50, 80, "expansion")}
    alias = runner.invoke(app, ["nrr", *args])
    assert alias.exit_code == 0 and alias.stdout == result.stdout
    doc = runner.invoke(app, ["nrr", "--format", "json", "--data", str(data), "--period", "2024-05"])
    assert doc.exit_code == 0, doc.output
    parsed = json.loads(doc.stdout)
    assert parsed["metric"] == "nrr" and "rows" not in parsed  # the name the user typed
    assert parsed["value"] == pytest.approx(180 / 350 * 100)  # (100 + 0 + 80) / (100 + 200 + 50)
    assert parsed["details"]["grr"] == pytest.approx(150 / 350 * 100)  # (100 + 0 + 50) / 350
