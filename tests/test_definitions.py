"""The switches no shipped profile sets, each set under `definitions:` on a small export, hand-computed
(README, "Definition profiles"). Period 2026-10: opening = end of 2026-09-30, closing = end of 2026-10-31."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cs_metrics.cli import app

SUBS = """subscription_id,customer_id,started_at,ended_at,amount,interval,is_trial,term_ends_at
R1,R,2026-01-01,2026-06-01,50,month,false,
R2,R,2026-10-10,,50,month,false,
P1,P,2026-01-01,2026-10-15,120,month,false,2026-12-01
T1,T,2026-10-01,2026-11-01,0,month,true,
D1,D,2026-01-01,,100,month,false,
"""
INVOICES = """invoice_id,customer_id,issued_at,due_at,amount,paid_at
I2,R,2026-10-10,2026-10-10,50,2026-10-10
I1,D,2026-09-01,2026-09-10,100,
"""  # R's invoice, paid on time, also makes the invoices reach into October (a table that does not is left out)


def _mrr(tmp_path, definitions: str, invoices: str = INVOICES) -> dict:
    (tmp_path / "subscriptions.csv").write_text(SUBS)
    (tmp_path / "invoices.csv").write_text(invoices)
    (tmp_path / "cs-metrics.yaml").write_text(f"data: .\ndefinitions: {definitions}\n")
    out = CliRunner().invoke(app, ["mrr", "-c", str(tmp_path / "cs-metrics.yaml"), "-p", "2026-10", "-f", "json", "-q"])
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)["details"]


def test_todays_definitions(tmp_path):
    # R back on 10-10 after leaving on 06-01: reactivation 50; P ended 10-15: churn 120; T a trial: no
    # customer; D stays (past due never churns): closing 50 + 100 = 150, paying customers R and D
    d = _mrr(tmp_path, "{}")
    assert (d["reactivation_mrr"], d["new_mrr"], d["churn_mrr"], d["closing_mrr"], d["closing_customers"]) == (50, 0, 120, 150, 2)


@pytest.mark.parametrize("days, new, back", [(90, 50, 0), (200, 0, 50)])
def test_reactivation_days(tmp_path, days, new, back):
    # R's gap: 2026-06-01 .. 2026-10-10 = 131 days; within 90 it is not, so it is new; within 200 it is back
    d = _mrr(tmp_path, f"{{reactivation_days: {days}}}")
    assert (d["new_mrr"], d["reactivation_mrr"]) == (new, back)


def test_churn_at_the_end_of_the_paid_term(tmp_path):
    # P cancelled on 10-15 with its term paid to 12-01 (ChartMogul's "end of the final service period"):
    # it keeps its 120 to the end of October, so no churn and a closing MRR of 150 + 120
    d = _mrr(tmp_path, "{churn_at: period_end}")
    assert (d["churn_mrr"], d["closing_mrr"], d["closing_customers"]) == (0, 270, 3)


def test_free_customers_counted(tmp_path):
    # T's trial row is active at the close: a customer at 0 MRR (new, worth 0); MRR unchanged
    d = _mrr(tmp_path, "{free_customers: counted}")
    assert (d["closing_mrr"], d["closing_customers"]) == (150, 3)


def test_past_due_from_invoices(tmp_path):
    # No past_due_since column: D's invoice fell due 09-10 and is unpaid, so 30 days later (10-10) D has
    # no MRR: churn 120 (P) + 100 (D), closing 50 (R)
    d = _mrr(tmp_path, "{past_due_churn_days: 30}")
    assert (d["churn_mrr"], d["closing_mrr"], d["closing_customers"]) == (220, 50, 1)
    # paid on 10-20: D is out from 10-10 to 10-20 only, paying at both snapshots, so no movement of its own
    d = _mrr(tmp_path, "{past_due_churn_days: 30}", INVOICES.replace("100,\n", "100,2026-10-20\n"))
    assert (d["closing_mrr"], d["churn_mrr"], d["reactivation_mrr"]) == (150, 120, 50)
    # paid within the 30 days (10-05): never out
    d = _mrr(tmp_path, "{past_due_churn_days: 30}", INVOICES.replace("100,\n", "100,2026-10-05\n"))
    assert (d["churn_mrr"], d["closing_mrr"]) == (120, 150)
