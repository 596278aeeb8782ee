"""Finance views, by hand: trailing-window retention (`--window 12m` of ndr, grr, churn), the quick
ratio, revenue concentration, plan migration and the customer x month MRR matrix. Frames are built
in the loader's output shape (tests/frames.py), independent of the CSV reader."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
from typer.testing import CliRunner

from cs_metrics.cli import app
from cs_metrics.config import parse_config
from cs_metrics.errors import UsageError
from cs_metrics.metrics._window import months_before, trailing
from cs_metrics.metrics.finance import concentration, plan_migration, quick_ratio
from cs_metrics.metrics.retention import churn
from cs_metrics.metrics.revenue import grr, mrr, ndr
from cs_metrics.period import parse_period
from frames import may_subscriptions, subs

CFG = parse_config({})
RUNNER = CliRunner()


# --------------------------------------------------------------------------- trailing windows

# Period 2024-12 with --window 12m: opening snapshot = end of 2023-12-31, closing = end of 2024-12-31.
#   A 100 from 2023-01-01, running                            in S: 100 -> 100   flat
#   B 200 2023-06-01..2024-03-01, back 2024-09-01 at 150      in S: 200 -> 150   contraction 50 (a reactivation
#                                                             inside the window: retained as a logo)
#   C 300 2023-01-01..2024-05-01                              in S: 300 -> 0     churn 300
#   D 50 from 2024-02-01                                      new inside the window: outside S
#   E paid 80 in 2022, back 2024-06-01 at 120                 reactivated, but not paying at the opening: outside S
#   F 100 from 2023-03-01, 160 from 2024-11-15                in S: 100 -> 160   expansion 60
# S = {A, B, C, F}: opening 100 + 200 + 300 + 100 = 700; closing 100 + 150 + 0 + 160 = 410.
#   NRR = 410 / 700 x 100 = 58.5714 %;  GRR = (100 + 150 + 0 + 100) / 700 x 100 = 350 / 700 = 50 %
#   logo churn = 1 (C) / 4 = 25 %;  logo retention = 3 / 4 = 75 %
# Without the window (December alone) S = paying at 2024-11-30 = {A 100, B 150, D 50, E 120, F 160}, all
# unchanged at 2024-12-31: NRR 100 %, churn 0 %.
TRAILING = subs(
    ("A", "2023-01-01", None, 100),
    ("B", "2023-06-01", "2024-03-01", 200),
    ("B", "2024-09-01", None, 150),
    ("C", "2023-01-01", "2024-05-01", 300),
    ("D", "2024-02-01", None, 50),
    ("E", "2022-01-01", "2022-06-01", 80),
    ("E", "2024-06-01", None, 120),
    ("F", "2023-03-01", "2024-11-15", 100),
    ("F", "2024-11-15", None, 160),
)
DEC = parse_period("2024-12")


def test_trailing_12_month_nrr_crosses_a_reactivation():
    r = ndr({"subscriptions": TRAILING}, DEC, CFG, window="12m")
    assert r.value == pytest.approx(410 / 700 * 100)
    assert (r.period.start, r.period.end) == (date(2024, 1, 1), date(2024, 12, 31))
    d = r.details
    assert (d["starting_customers"], d["opening_mrr"], d["closing_mrr"]) == (4, 700, 410)
    assert (d["expansion_mrr"], d["contraction_mrr"], d["churn_mrr"]) == (60, 50, 300)
    assert d["grr"] == pytest.approx(50.0) and d["window"] == "12m"
    assert "Trailing 12 months" in r.definition and "2023-12-31" in r.definition


def test_trailing_12_month_grr_and_logo_retention():
    g = grr({"subscriptions": TRAILING}, DEC, CFG, window="12m")
    assert g.value == pytest.approx(50.0) and g.details["retained_mrr"] == 350
    c = churn({"subscriptions": TRAILING}, DEC, CFG, window="12m")
    assert c.value == pytest.approx(25.0)
    assert (c.details["starting_customers"], c.details["churned_customers"]) == (4, 1)
    assert c.details["logo_retention"] == pytest.approx(75.0) and c.details["window"] == "12m"
    assert "logo retention 3 / 4 x 100 = 75.00 %" in c.formula


def test_without_a_window_the_period_is_its_own_opening():
    assert ndr({"subscriptions": TRAILING}, DEC, CFG).value == pytest.approx(100.0)
    plain = churn({"subscriptions": TRAILING}, DEC, CFG)
    assert plain.value == 0 and "window" not in plain.details and "logo_retention" not in plain.details


def test_trailing_window_of_customers_without_subscriptions():
    # customers.csv churn: S = created before the window's start and not churned before it
    customers = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "created_at": pd.to_datetime(["2023-05-01", "2023-05-01", "2024-03-01", "2023-05-01"]),
            "churned_at": pd.to_datetime(["2024-04-10", None, None, "2023-11-01"]),
        }
    )
    # window 2024-01-01..2024-12-31: S = {a, b} (c is new, d left before); a churned -> 1 / 2 = 50 %
    r = churn({"customers": customers}, DEC, CFG, window="12m")
    assert r.value == pytest.approx(50.0) and r.details["logo_retention"] == pytest.approx(50.0)


def test_window_opening_is_the_same_day_months_before_the_end():
    assert months_before(date(2026, 10, 31), 12) == date(2025, 10, 31)
    assert months_before(date(2024, 2, 29), 12) == date(2023, 2, 28)  # a month's last day stays one
    assert months_before(date(2025, 2, 28), 12) == date(2024, 2, 29)
    assert months_before(date(2024, 3, 30), 1) == date(2024, 2, 29)  # clipped to the month
    assert months_before(date(2024, 5, 15), 3) == date(2024, 2, 15)
    w = trailing(parse_period("2024-05-01..2024-05-15"), "1m")
    assert (w.opening, w.closing) == (date(2024, 4, 15), date(2024, 5, 15))
    assert trailing(DEC, " 12M ").label == "2024-01..2024-12"


@pytest.mark.parametrize("bad", ["1y", "0m", "121m", "twelve", "-3m"])
def test_a_window_that_is_not_months_is_a_usage_error(bad):
    with pytest.raises(UsageError, match="--window"):
        ndr({"subscriptions": TRAILING}, DEC, CFG, window=bad)


@pytest.fixture
def data(tmp_path):
    """TRAILING as subscriptions.csv (mrr in currency)."""
    rows = ["subscription_id,customer_id,started_at,ended_at,mrr"]
    for r in TRAILING.itertuples():
        end = "" if pd.isna(r.ended_at) else r.ended_at.strftime("%Y-%m-%d")
        rows.append(f"{r.subscription_id},{r.customer_id},{r.started_at:%Y-%m-%d},{end},{r.mrr / 1_440_000:g}")
    (tmp_path / "subscriptions.csv").write_text("\n".join(rows) + "\n")
    return tmp_path


def test_cli_window_option_of_ndr_grr_and_churn(data):
    base = ["--data", str(data), "--period", "2024-12", "--format", "json", "--window", "12m"]
    values = {}
    for name in ("ndr", "grr", "churn"):
        result = RUNNER.invoke(app, [name, *base])
        assert result.exit_code == 0, result.output
        doc = json.loads(result.stdout)
        assert doc["period"] == {"start": "2024-01-01", "end": "2024-12-31"}
        values[name] = doc["value"]
    assert values == {"ndr": pytest.approx(410 / 7), "grr": pytest.approx(50.0), "churn": pytest.approx(25.0)}


def test_cli_bad_window_exits_2_with_one_line(data):
    result = RUNNER.invoke(app, ["grr", "--data", str(data), "--period", "2024-12", "--window", "1y"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1].startswith("error: --window 1y: not a window of months")


# --------------------------------------------------------------------------- quick ratio

MAY = parse_period("2024-05")


def test_quick_ratio_of_the_may_fixture():
    # tests/frames.py May: new C 50 + F 60 = 110, reactivation D 90, expansion A 50 + G 20 = 70 -> gained 270;
    # contraction E 50, churn B 200 -> lost 250.  270 / 250 = 1.08
    r = quick_ratio({"subscriptions": may_subscriptions()}, MAY, CFG)
    assert r.unit == "ratio" and r.value == pytest.approx(1.08)
    d = r.details
    assert (d["gained_mrr"], d["lost_mrr"]) == (270, 250)
    assert (d["new_mrr"], d["reactivation_mrr"], d["expansion_mrr"], d["contraction_mrr"], d["churn_mrr"]) == (110, 90, 70, 50, 200)
    assert "= 270.00 / 250.00 = 1.08" in r.formula


def test_quick_ratio_without_losses_is_undefined_with_a_reason():
    # A 100 running, add-on 50 from 05-10 (expansion 50); B new at 30 on 05-15: gained 80, lost 0
    frame = subs(("A", "2024-01-01", None, 100), ("A", "2024-05-10", None, 50), ("B", "2024-05-15", None, 30))
    r = quick_ratio({"subscriptions": frame}, MAY, CFG)
    assert r.value is None and r.details["gained_mrr"] == 80 and r.details["lost_mrr"] == 0
    assert any("undefined" in w and "no MRR was lost" in w for w in r.warnings)


def test_quick_ratio_of_a_quarter_sums_the_monthly_steps():
    # X 100 -> 150 on 05-10 -> 100 on 06-10: May step expansion 50, June step contraction 50 (customer by
    # customer over the quarter X is flat, but the steps count both); Y 80 churns 04-20: churn 80 in April.
    # gained 50, lost 50 + 80 = 130: 50 / 130 = 0.3846
    frame = subs(
        ("X", "2024-01-01", "2024-05-10", 100),
        ("X", "2024-05-10", "2024-06-10", 150),
        ("X", "2024-06-10", None, 100),
        ("Y", "2024-01-01", "2024-04-20", 80),
    )
    r = quick_ratio({"subscriptions": frame}, parse_period("2024-Q2"), CFG)
    assert r.value == pytest.approx(50 / 130)


# --------------------------------------------------------------------------- concentration

# Closing snapshot 2024-05-31. Twelve paying customers:
#   K01 400 + add-on 100 = 500, K02 300, K03 300, K04 200, K05..K12 100 each (800)
#   total 500 + 300 + 300 + 200 + 800 = 2,100
# Not paying at the closing: T (a trial), Z (ended 05-20).
#   top 10 = 500 + 300 + 300 + 200 + 6 x 100 = 1,900 -> 1,900 / 2,100 = 90.476 % (K10, K11, K12 tie at 100:
#            K05..K10 are listed, the share is the same whichever tied customer is taken)
#   top decile: ceil(12 / 10) = 2 customers -> 500 + 300 = 800 / 2,100 = 38.095 %
#   largest: 500 / 2,100 = 23.810 %
#   HHI = 10,000 x (500^2 + 2 x 300^2 + 200^2 + 8 x 100^2) / 2,100^2 = 10,000 x 550,000 / 4,410,000 = 1,247.166
#   effective customers = 4,410,000 / 550,000 = 8.018
#   ranks: K01 1, K02 and K03 2, K04 4, K05..K12 5
KS = subs(
    ("K01", "2024-01-01", None, 400),
    ("K01", "2024-03-01", None, 100),
    ("K02", "2024-01-01", None, 300),
    ("K03", "2024-01-01", None, 300),
    ("K04", "2024-01-01", None, 200),
    *[(f"K{i:02d}", "2024-01-01", None, 100) for i in range(5, 13)],
    ("T", "2024-05-01", None, 900, True),
    ("Z", "2024-01-01", "2024-05-20", 5000),
)


def test_concentration_with_ties_by_hand():
    r = concentration({"subscriptions": KS}, MAY, CFG, rows=True)
    assert r.unit == "percent" and r.value == pytest.approx(1900 / 2100 * 100)
    d = r.details
    assert (d["paying_customers"], d["closing_mrr"], d["top_customers"], d["top_decile_customers"]) == (12, 2100, 10, 2)
    assert d["top_decile_share_pct"] == pytest.approx(800 / 2100 * 100)
    assert d["largest_share_pct"] == pytest.approx(500 / 2100 * 100)
    assert d["hhi"] == pytest.approx(10_000 * 550_000 / 4_410_000)
    assert d["effective_customers"] == pytest.approx(4_410_000 / 550_000)
    assert [(row["rank"], row["customer_id"]) for row in r.rows] == [
        (1, "K01"), (2, "K02"), (2, "K03"), (4, "K04"), *[(5, f"K{i:02d}") for i in range(5, 11)]
    ]
    assert [row["mrr"] for row in r.rows[:4]] == [500, 300, 300, 200]
    assert r.rows[2]["cumulative_share_pct"] == pytest.approx(1100 / 2100 * 100)
    assert r.rows[-1]["cumulative_share_pct"] == pytest.approx(1900 / 2100 * 100)


def test_concentration_top_n_from_the_config_with_a_tie_at_the_cut():
    # top 2: K01 500 + one of the tied K02/K03 300 = 800 / 2,100; the listing runs to max(2, decile 2) = 2
    r = concentration({"subscriptions": KS}, MAY, parse_config({"metrics": {"concentration": {"top": 2}}}), rows=True)
    assert r.value == pytest.approx(800 / 2100 * 100)
    assert [row["customer_id"] for row in r.rows] == ["K01", "K02"]


def test_concentration_of_few_customers_says_the_top_10_are_all_of_them():
    # five customers 40, 30, 20, 5, 5 = 100: top 10 = 100 %, decile = ceil(5 / 10) = 1 -> 40 %;
    # HHI = 40^2 + 30^2 + 20^2 + 5^2 + 5^2 = 1,600 + 900 + 400 + 25 + 25 = 2,950
    frame = subs(*[(c, "2024-01-01", None, v) for c, v in zip("abcde", (40, 30, 20, 5, 5))])
    r = concentration({"subscriptions": frame}, MAY, CFG)
    assert r.value == pytest.approx(100.0) and r.details["top_decile_share_pct"] == pytest.approx(40.0)
    assert r.details["hhi"] == pytest.approx(2950.0) and r.rows is None
    assert any("only 5 customers" in w for w in r.warnings)


def test_concentration_without_paying_customers_is_undefined():
    r = concentration({"subscriptions": KS.iloc[:0]}, MAY, CFG)
    assert r.value is None and r.details["hhi"] is None and any("undefined" in w for w in r.warnings)


# --------------------------------------------------------------------------- plan migration

# May 2024, opening = end of 04-30, closing = end of 05-31:
#   A starter 100, growth 250 from 05-10        starter -> growth     moved, to a higher MRR
#   B growth 200 all along                      growth -> growth      stayed
#   C growth 300, starter 140 from 05-20        growth -> starter     moved, to a lower MRR
#   D starter 50, ends 05-15                    starter -> (none)     churned
#   E growth 120 from 05-05                     (none) -> growth      new
#   F enterprise 400 + add-on "api" 50          enterprise both times (the plan of the largest row)
#   G starter 100 (from 01-01) + growth 100 (from 03-01): equal MRR, the row started last wins: growth
#   H starter 80 in 2023, back 05-03 on starter (none) -> starter     reactivated
#   J no plan 70 all along                      (no plan) -> (no plan)
#   I a trial only: never paying, not listed
# cells: (no plan)->(no plan) 1: 70 -> 70; enterprise->enterprise 1: 450 -> 450;
#        growth->growth B + G 2: 400 -> 400; growth->starter C 1: 300 -> 140 (-160);
#        starter->growth A 1: 100 -> 250 (+150); starter->(none) D 1: 50 -> 0;
#        (none)->growth E 1: 0 -> 120; (none)->starter H 1: 0 -> 80
# opening A B C D F G J = 7; closing A B C E F G H J = 8; stayed B F G J = 4; moved A C = 2 (1 up, 1 down,
# change 150 - 160 = -10); new E H = 2; churned D = 1.
PLANS = [
    ("A", "2024-01-01", "2024-05-10", 100, "starter"),
    ("A", "2024-05-10", None, 250, "growth"),
    ("B", "2024-01-01", None, 200, "growth"),
    ("C", "2024-01-01", "2024-05-20", 300, "growth"),
    ("C", "2024-05-20", None, 140, "starter"),
    ("D", "2024-01-01", "2024-05-15", 50, "starter"),
    ("E", "2024-05-05", None, 120, "growth"),
    ("F", "2024-01-01", None, 400, "enterprise"),
    ("F", "2024-02-01", None, 50, "api"),
    ("G", "2024-01-01", None, 100, "starter"),
    ("G", "2024-03-01", None, 100, "growth"),
    ("H", "2023-01-01", "2023-06-01", 80, "starter"),
    ("H", "2024-05-03", None, 80, "starter"),
    ("J", "2024-01-01", None, 70, None),
    ("I", "2024-05-01", "2024-05-15", 0, "starter", True),
]


def plan_frame(rows=PLANS) -> pd.DataFrame:
    frame = subs(*[(r[0], r[1], r[2], r[3], *r[5:]) for r in rows])
    frame["plan"] = pd.Series([r[4] for r in rows], dtype="str", index=frame.index)  # an empty cell stays missing
    return frame


def test_plan_migration_matrix_with_new_and_churned_rows():
    r = plan_migration({"subscriptions": plan_frame()}, MAY, CFG)
    assert r.unit == "count" and r.value == 2
    cells = [(row["from_plan"], row["to_plan"], row["customers"], row["opening_mrr"], row["closing_mrr"], row["change_mrr"]) for row in r.rows]
    assert cells == [
        ("(no plan)", "(no plan)", 1, 70, 70, 0),
        ("enterprise", "enterprise", 1, 450, 450, 0),
        ("growth", "growth", 2, 400, 400, 0),
        ("growth", "starter", 1, 300, 140, -160),
        ("starter", "growth", 1, 100, 250, 150),
        ("starter", "(none)", 1, 50, 0, -50),
        ("(none)", "growth", 1, 0, 120, 120),
        ("(none)", "starter", 1, 0, 80, 80),
    ]
    d = r.details
    assert (d["opening_customers"], d["closing_customers"], d["stayed_customers"], d["moved_customers"]) == (7, 8, 4, 2)
    assert (d["upgraded_customers"], d["downgraded_customers"], d["moved_change_mrr"]) == (1, 1, -10)
    assert (d["new_customers"], d["churned_customers"]) == (2, 1)


def test_plan_migration_row_order_and_empty_input():
    shuffled = plan_frame().sample(frac=1.0, random_state=3)
    assert plan_migration({"subscriptions": shuffled}, MAY, CFG).rows == plan_migration({"subscriptions": plan_frame()}, MAY, CFG).rows
    empty = plan_migration({"subscriptions": plan_frame().iloc[:0]}, MAY, CFG)
    assert empty.value == 0 and empty.rows == []


# --------------------------------------------------------------------------- customer x month MRR matrix


def test_mrr_matrix_of_a_quarter_has_one_column_per_snapshot():
    # Q2 snapshots: 03-31 (opening), 04-30, 05-31, 06-30 (closing)
    #   X 100 -> 150 on 05-10 -> 100 on 06-10; Y 80 ends 04-20; W starts 06-05 at 40; V paid only 05-02..05-20
    frame = subs(
        ("X", "2024-01-01", "2024-05-10", 100),
        ("X", "2024-05-10", "2024-06-10", 150),
        ("X", "2024-06-10", None, 100),
        ("Y", "2024-01-01", "2024-04-20", 80),
        ("W", "2024-06-05", None, 40),
        ("V", "2024-05-02", "2024-05-20", 60),
    )
    r = mrr({"subscriptions": frame}, parse_period("2024-Q2"), CFG, matrix=True)
    assert r.rows == [
        {"customer_id": "W", "2024-03-31": 0, "2024-04-30": 0, "2024-05-31": 0, "2024-06-30": 40},
        {"customer_id": "X", "2024-03-31": 100, "2024-04-30": 100, "2024-05-31": 150, "2024-06-30": 100},
        {"customer_id": "Y", "2024-03-31": 80, "2024-04-30": 0, "2024-05-31": 0, "2024-06-30": 0},
    ]
    assert r.value == 140  # the last column adds up to the closing MRR


def test_mrr_matrix_and_rows_together_are_a_usage_error():
    with pytest.raises(UsageError):
        mrr({"subscriptions": may_subscriptions()}, MAY, CFG, rows=True, matrix=True)
