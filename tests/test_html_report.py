"""The HTML report: what it is built from (each trend period's result, the data-through date, the
revenue cohorts, segment trends) and what it shows, checked on the hand-made folder of test_report.py
and on the bundled sample data. The browser check is in test_browser.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cs_metrics.cli import app
from cs_metrics.config import parse_config
from cs_metrics.period import parse_period
from cs_metrics.report import build

ROOT = Path(__file__).resolve().parents[1]

# The folder of test_report.py, with its hand-computed months (MRR at month ends):
#   03-31: A 100 + B 200 + C 300 = 600     04-30: B 200 + C 300 + D 50 = 550     05-31: B 200 + D 50 = 250
SUBSCRIPTIONS = """subscription_id,customer_id,started_at,ended_at,mrr
s1,A,2024-01-01,2024-04-10,100
s2,B,2024-01-01,,200
s3,C,2024-01-01,2024-05-20,300
s4,D,2024-04-15,,50
"""
CUSTOMERS = """customer_id,name,plan
A,Alpha,basic
B,บริษัท เบต้า จำกัด,pro
C,成都华信,pro
D,Delta,basic
"""
SURVEYS = """response_id,customer_id,responded_at,survey,score,comment
r1,A,2024-05-02,nps,10,great
r2,B,2024-05-03,nps,9,ดีมาก
r3,C,2024-05-04,nps,3,太慢了
r4,D,2024-04-05,nps,10,
"""


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "subscriptions.csv").write_text(SUBSCRIPTIONS, encoding="utf-8")
    (folder / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    (folder / "surveys.csv").write_text(SURVEYS, encoding="utf-8")
    return folder


def cli(*args: str):
    return CliRunner().invoke(app, list(args))


# --------------------------------------------------------------------------- the report keeps each trend period's result


def test_each_trend_period_keeps_its_whole_result(data):
    rep = build(parse_config({"data": str(data)}), parse_period("2024-05"), trend=3, metrics=["mrr"])
    (e,) = rep.entries
    assert [r.period.label for r in e.trend_results] == ["2024-03", "2024-04", "2024-05"]
    assert [r.value for r in e.trend_results] == [v for _, v in e.trend] == [600, 550, 250]
    movements = [{k: r.details[f"{k}_mrr"] for k in ("new", "reactivation", "expansion", "contraction", "churn")} for r in e.trend_results]
    # March: nothing moves; April: D new 50, A churns 100; May: C churns 300
    assert movements == [
        dict(new=0, reactivation=0, expansion=0, contraction=0, churn=0),
        dict(new=50, reactivation=0, expansion=0, contraction=0, churn=100),
        dict(new=0, reactivation=0, expansion=0, contraction=0, churn=300),
    ]
    assert e.trend_results[-1] is e.result and e.trend_results[-2] is e.previous
