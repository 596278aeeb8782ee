"""report --output FILE.xlsx: the Charts sheet holds native Excel charts over the trend, drawn from
numbers on the same sheet (the hand-made months of test_report.py)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from cs_metrics.cli import app

# MRR at month ends: 03-31 A 100 + B 200 + C 300 = 600; 04-30 B + C + D 50 = 550 (D new 50, A churned
# 100); 05-31 B + D = 250 (C churned 300). Churn: March 0 of {A, B, C}; April A of {A, B, C}; May C of {B, C, D}.
SUBSCRIPTIONS = """subscription_id,customer_id,started_at,ended_at,mrr
s1,A,2024-01-01,2024-04-10,100
s2,B,2024-01-01,,200
s3,C,2024-01-01,2024-05-20,300
s4,D,2024-04-15,,50
"""
SURVEYS = """response_id,customer_id,responded_at,survey,score
r1,A,2024-05-02,nps,10
r2,B,2024-05-03,nps,9
r3,C,2024-05-04,nps,3
r4,D,2024-04-05,nps,10
"""


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    (tmp_path / "subscriptions.csv").write_text(SUBSCRIPTIONS, encoding="utf-8")
    (tmp_path / "surveys.csv").write_text(SURVEYS, encoding="utf-8")
    out = tmp_path / "kpis.xlsx"
    r = CliRunner().invoke(app, ["report", "--data", str(tmp_path), "--period", "2024-05", "--trend", "3", "--output", str(out)])
    assert r.exit_code == 0, r.output
    return out


def test_charts_sheet_holds_the_numbers_it_draws(workbook):
    wb = openpyxl.load_workbook(workbook)
    assert wb.sheetnames[:2] == ["report", "Charts"]
    rows = list(wb["Charts"].iter_rows(values_only=True))
    header = rows[0]
    table = {h: [row[j] for row in rows[1:4]] for j, h in enumerate(header)}
    assert table["period"] == ["2024-03", "2024-04", "2024-05"]
    assert table["closing MRR"] == [600, 550, 250]
    assert table["new MRR"] == [0, 50, 0]
    assert table["churn MRR (loss)"] == [0, -100, -300]  # losses below zero: the bars stack downwards
    assert table["net new MRR"] == [0, -50, -300]
    assert table["customer churn"] == [0, pytest.approx(100 / 3), pytest.approx(100 / 3)]
    assert table["NRR"] == [100, pytest.approx(500 / 6), pytest.approx(250 / 5.5)]  # April: S = A, B, C: 500 of 600
    # NPS: March no response (empty), April 100 (one promoter), May 33.3 with its margin of error
    assert table["NPS"] == [None, 100, pytest.approx(100 / 3)]
    assert table["NPS low (95 %)"][2] < 100 / 3 < table["NPS high (95 %)"][2]
    cell = wb["Charts"].cell(row=3, column=header.index("closing MRR") + 1)
    assert isinstance(cell.value, int | float) and cell.number_format == "#,##0.00"


def test_charts_are_native_excel_charts_over_the_trend(workbook):
    ws = openpyxl.load_workbook(workbook)["Charts"]
    charts = {c.title.tx.rich.p[0].r[0].t: c for c in ws._charts}
    assert set(charts) == {"MRR movements", "Customer churn", "Net and gross revenue retention", "NPS with its 95 % margin of error"}
    bars = charts["MRR movements"]
    assert (bars.tagname, bars.grouping, len(bars.series)) == ("barChart", "stacked", 5)
    assert bars.series[0].val.numRef.f == "'Charts'!$C$2:$C$4"  # new MRR over the three periods
    assert (bars.series[0].cat.numRef or bars.series[0].cat.strRef).f == "'Charts'!$A$2:$A$4"  # periods on the x axis
    assert [len(charts[t].series) for t in ("Customer churn", "Net and gross revenue retention", "NPS with its 95 % margin of error")] == [1, 2, 3]
    with zipfile.ZipFile(workbook) as z:
        assert sum(n.startswith("xl/charts/chart") for n in z.namelist()) == 4


def test_no_trend_no_charts_sheet(tmp_path):
    (tmp_path / "subscriptions.csv").write_text(SUBSCRIPTIONS, encoding="utf-8")
    out = tmp_path / "kpis.xlsx"
    r = CliRunner().invoke(app, ["report", "--data", str(tmp_path), "--period", "2024-05", "--trend", "0", "--output", str(out)])
    assert r.exit_code == 0, r.output
    assert "Charts" not in openpyxl.load_workbook(out).sheetnames
