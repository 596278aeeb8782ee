"""`health --backtest` as a churn prediction, by hand: precision and recall of the poor class at the
configured horizon and at 60 and 90 days against the bar, a threshold sweep, score deciles
(calibration) and the lead time between the first poor score and the churn.

THE FIXTURE. Period 2024-12 (end 12-31), lookback 31 days, horizon 60 days -> scored on 2024-11-01
(window 10-02..11-01); the 90-day scoring is on 2024-10-02 (window 09-02..10-02). Ten customers pay 10
a month from 2024-01-01, so the MRR trend is 50 for all; only payments (100 x (1 - bad / due)) moves
the score = (payments + 50) / 2: an unpaid invoice due in the window -> 25 (poor), all paid on time ->
75 (good), no invoice due in the window -> only the trend, 50 (at risk).

    customer  due 09-20   due 10-20   due 11-10   stops paying   score 10-02   score 11-01
    Q1        unpaid      unpaid      -           12-10          25 poor       25 poor
    Q2        unpaid      unpaid      -           12-01          25 poor       25 poor
    Q3        on time     unpaid      -           12-20          75 good       25 poor
    Q4        unpaid      unpaid      -           -              25 poor       25 poor
    Q5        on time     on time     -           12-15          75 good       75 good
    Q6        -           -           unpaid      12-20          50 at risk    50 at risk (25 poor from 11-15)
    Q7..Q10   on time     on time     -           -              75 good       75 good

Scored on 11-01 (the horizon): churners Q1 Q2 Q3 Q5 Q6 = 5 of 10, average 50 %.
    good Q5 Q7..Q10  5, 1 churned: 20 %, recall 1 / 5 = 20 %, lift 0.4
    at risk Q6       1, 1 churned: 100 %, recall 20 %, lift 2
    poor Q1..Q4      4, 3 churned: precision 75 %, recall 3 / 5 = 60 %, lift 1.5 -> meets 70 / 60
    thresholds: < 10, < 20 nobody (precision n/a, recall 0); < 30 = < 40 (poor) = < 50: Q1..Q4 75 % / 60 %;
                < 60 = < 70: + Q6, 4 of 5 = 80 % / 80 %; < 80 = < 90: all 10, 5 = 50 % / 100 %
    deciles (rank from the lowest, ties share the lowest rank r; decile = floor((r - 1) x 10 / 10) + 1):
                Q1..Q4 r 1 -> decile 1, 3 of 4 = 75 %; Q6 r 5 -> decile 5, 1 of 1 = 100 %;
                Q5, Q7..Q10 r 6 -> decile 6, 1 of 5 = 20 %
60 days = the horizon: precision 75 %, recall 60 % -> meets the bar.
90 days (scored 10-02): same 5 churners; poor Q1 Q2 Q4, 2 churned: precision 2 / 3 = 66.67 %, recall 2 / 5
    = 40 % -> below the bar.
Lead time, checkpoints 11-01, 11-08, 11-15, ... (every 7 days): Q1 poor on 11-01, gone 12-10: 39 days;
    Q2 11-01 -> 12-01: 30; Q3 11-01 -> 12-20: 49; Q6 first poor 11-15 (window 10-16..11-15 holds its
    11-10 invoice) -> 12-20: 35; Q5 never poor: missed. Median of 30, 35, 39, 49 = (35 + 39) / 2 = 37.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from cs_metrics.cli import app
from cs_metrics.config import parse_config
from cs_metrics.load import MONEY_SCALE
from cs_metrics.metrics.health import health
from cs_metrics.period import parse_period
from frames import subs

DEC = parse_period("2024-12")
ENDS = {"Q1": "2024-12-10", "Q2": "2024-12-01", "Q3": "2024-12-20", "Q5": "2024-12-15", "Q6": "2024-12-20"}
SUBS = [(c, "2024-01-01", ENDS.get(c), 10) for c in [f"Q{i}" for i in range(1, 11)]]
ON_TIME, UNPAID = "on time", None
DUE = {  # customer -> {due day: paid on time or unpaid}
    "Q1": {"2024-09-20": UNPAID, "2024-10-20": UNPAID},
    "Q2": {"2024-09-20": UNPAID, "2024-10-20": UNPAID},
    "Q3": {"2024-09-20": ON_TIME, "2024-10-20": UNPAID},
    "Q4": {"2024-09-20": UNPAID, "2024-10-20": UNPAID},
    "Q6": {"2024-11-10": UNPAID},
    **{c: {"2024-09-20": ON_TIME, "2024-10-20": ON_TIME} for c in ("Q5", "Q7", "Q8", "Q9", "Q10")},
}
INVOICES = [  # id, customer, issued 14 days before due, amount, due, paid (the day before due, or never)
    (f"I{n}", c, str(pd.Timestamp(due) - pd.Timedelta(days=14))[:10], 10, due, str(pd.Timestamp(due) - pd.Timedelta(days=1))[:10] if paid else None)
    for n, (c, due, paid) in enumerate((c, due, paid) for c, dues in DUE.items() for due, paid in dues.items())
]
CFG = parse_config({"metrics": {"health": {"lookback_days": 31, "backtest_horizon_days": 60}}})


def frames() -> dict[str, pd.DataFrame]:
    inv = pd.DataFrame(
        {
            "invoice_id": [r[0] for r in INVOICES],
            "customer_id": [r[1] for r in INVOICES],
            "issued_at": pd.to_datetime([r[2] for r in INVOICES]),
            "amount": pd.array([r[3] * MONEY_SCALE for r in INVOICES], dtype="Int64"),
            "due_at": pd.to_datetime([r[4] for r in INVOICES]),
            "paid_at": pd.to_datetime([r[5] for r in INVOICES]),
        }
    )
    return {"subscriptions": subs(*SUBS), "invoices": inv}


def rows_of(result, view: str) -> dict[str, dict]:
    return {row["group"]: row for row in result.rows if row["view"] == view}


@pytest.fixture(scope="module")
def result():
    return health(frames(), DEC, CFG, backtest=True)


def test_classes_with_precision_recall_and_lift(result):
    assert result.value == pytest.approx(1.5)  # lift of the poor class, 75 / 50
    classes = rows_of(result, "class")
    got = {g: (r["customers"], r["churned"], r["churn_rate_pct"], r["recall_pct"], r["lift"]) for g, r in classes.items()}
    assert got == {
        "good": (5, 1, pytest.approx(20.0), pytest.approx(20.0), pytest.approx(0.4)),
        "at_risk": (1, 1, pytest.approx(100.0), pytest.approx(20.0), pytest.approx(2.0)),
        "poor": (4, 3, pytest.approx(75.0), pytest.approx(60.0), pytest.approx(1.5)),
        "all": (10, 5, pytest.approx(50.0), pytest.approx(100.0), pytest.approx(1.0)),
    }
    assert classes["poor"]["meets_bar"] is True and classes["good"]["meets_bar"] is None
    d = result.details
    assert d["scored_on"] == "2024-11-01"
    assert (d["poor_precision_pct"], d["poor_recall_pct"]) == (pytest.approx(75.0), pytest.approx(60.0))


def test_threshold_sweep_gives_precision_and_recall_per_cut(result):
    t = rows_of(result, "threshold")
    assert list(t) == ["score < 10", "score < 20", "score < 30", "score < 40 (poor)", "score < 50", "score < 60",
                       "score < 70", "score < 80", "score < 90"]  # fmt: skip
    assert t["score < 10"]["customers"] == 0 and t["score < 10"]["churn_rate_pct"] is None
    assert t["score < 10"]["recall_pct"] == 0 and t["score < 10"]["meets_bar"] is False
    for cut in ("score < 30", "score < 40 (poor)", "score < 50"):
        assert (t[cut]["customers"], t[cut]["churned"], t[cut]["churn_rate_pct"], t[cut]["recall_pct"]) == (4, 3, 75.0, 60.0)
    assert (t["score < 60"]["churn_rate_pct"], t["score < 60"]["recall_pct"], t["score < 60"]["meets_bar"]) == (80.0, 80.0, True)
    assert (t["score < 90"]["churn_rate_pct"], t["score < 90"]["recall_pct"], t["score < 90"]["meets_bar"]) == (50.0, 100.0, False)


def test_deciles_keep_ties_together(result):
    deciles = rows_of(result, "decile")
    got = {g: (r["customers"], r["churned"], r["churn_rate_pct"]) for g, r in deciles.items()}
    assert got == {
        "decile 1 (25.0-25.0)": (4, 3, 75.0),
        "decile 5 (50.0-50.0)": (1, 1, 100.0),
        "decile 6 (75.0-75.0)": (5, 1, 20.0),
    }


def test_the_bar_at_60_and_90_days(result):
    h = list(rows_of(result, "horizon").values())
    assert [r["group"] for r in h] == ["poor, 60 days (scored 2024-11-01)", "poor, 90 days (scored 2024-10-02)"]
    assert (h[0]["churn_rate_pct"], h[0]["recall_pct"], h[0]["meets_bar"]) == (75.0, 60.0, True)
    assert (h[1]["customers"], h[1]["churned"]) == (3, 2)
    assert h[1]["churn_rate_pct"] == pytest.approx(200 / 3) and h[1]["recall_pct"] == pytest.approx(40.0)
    assert h[1]["meets_bar"] is False
    d = result.details
    assert (d["meets_bar_60d"], d["meets_bar_90d"]) == (True, False)
    assert (d["target_precision_pct"], d["target_recall_pct"]) == (70, 60)
    assert "60 days: precision 75.0 %, recall 60.0 % (meets it); 90 days: precision 66.7 %, recall 40.0 % (below it)" in result.formula


def test_lead_time_from_the_first_poor_score_to_the_churn(result):
    d = result.details
    assert (d["churners_flagged"], d["median_lead_days"], d["lead_checkpoint_days"]) == (4, 37.0, 7)
    assert rows_of(result, "class")["poor"]["median_lead_days"] == 37.0


def test_a_stricter_bar_from_the_config():
    cfg = parse_config({"metrics": {"health": {"lookback_days": 31, "backtest_horizon_days": 60, "target_precision": 80}}})
    r = health(frames(), DEC, cfg, backtest=True)
    assert r.details["meets_bar_60d"] is False and rows_of(r, "threshold")["score < 60"]["meets_bar"] is True


def test_nobody_churning_leaves_the_bar_and_lead_time_undefined():
    still = {"subscriptions": subs(*[(c, "2024-01-01", None, 10) for c, *_ in SUBS]), "invoices": frames()["invoices"]}
    r = health(still, DEC, CFG, backtest=True)
    assert r.value is None and r.details["median_lead_days"] is None and r.details["churners_flagged"] == 0
    assert r.details["meets_bar_60d"] is None and rows_of(r, "class")["poor"]["recall_pct"] is None


def test_cli_backtest_csv_and_json(tmp_path):
    (tmp_path / "subscriptions.csv").write_text(
        "subscription_id,customer_id,started_at,ended_at,mrr\n"
        + "".join(f"S{i},{c},{s},{e or ''},{m}\n" for i, (c, s, e, m) in enumerate(SUBS))
    )
    (tmp_path / "invoices.csv").write_text(
        "invoice_id,customer_id,issued_at,amount,due_at,paid_at\n" + "".join(",".join(str(v or "") for v in r) + "\n" for r in INVOICES)
    )
    (tmp_path / "cs-metrics.yaml").write_text("metrics:\n  health:\n    lookback_days: 31\n    backtest_horizon_days: 60\n")
    base = ["health", "--config", str(tmp_path / "cs-metrics.yaml"), "--period", "2024-12", "--backtest"]
    doc = json.loads(CliRunner().invoke(app, [*base, "--format", "json"]).stdout)
    assert doc["details"]["median_lead_days"] == 37.0 and doc["details"]["meets_bar_90d"] is False
    csv = CliRunner().invoke(app, [*base, "--format", "csv", "--rows"]).stdout.splitlines()
    assert csv[0].startswith("view,group,customers,churned,churn_rate_pct,ci95_low,ci95_high,recall_pct,lift,meets_bar")
    assert "horizon,\"poor, 60 days (scored 2024-11-01)\",4,3,75.0," in "\n".join(csv)
