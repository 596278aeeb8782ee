"""report, check and Excel output, through the CLI on a small hand-made data folder."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cs_metrics.load
from cs_metrics.cli import app
from cs_metrics.config import parse_config
from cs_metrics.period import parse_period
from cs_metrics.report import build

# Paying customers by month end (MRR):
#   A 100 from 2024-01-01, churns 2024-04-10       -> paying at 03-31 only
#   B 200 from 2024-01-01, running                 -> always
#   C 300 from 2024-01-01, churns 2024-05-20       -> paying at 03-31, 04-30
#   D 50 from 2024-04-15, running                  -> from 04-30
# Churn (S = paying at the opening):
#   2024-04: S = {A, B, C}; lost A -> 1/3 = 33.33 %
#   2024-05: S = {B, C, D}; lost C -> 1/3 = 33.33 %
#   2024-03: S = {A, B, C}; lost none -> 0 %
SUBSCRIPTIONS = """subscription_id,customer_id,started_at,ended_at,mrr
s1,A,2024-01-01,2024-04-10,100
s2,B,2024-01-01,,200
s3,C,2024-01-01,2024-05-20,300
s4,D,2024-04-15,,50
"""
CUSTOMERS = """customer_id,name,plan
A,Alpha,basic
B,Beta,pro
C,=Gamma,=EVIL
D,Delta,basic
"""
SURVEYS = """response_id,customer_id,responded_at,survey,score
r1,A,2024-05-02,nps,10
r2,B,2024-05-03,nps,9
r3,C,2024-05-04,nps,3
r4,D,2024-04-05,nps,10
"""


@pytest.fixture
def data(tmp_path: Path) -> Path:
    (tmp_path / "subscriptions.csv").write_text(SUBSCRIPTIONS, encoding="utf-8")
    (tmp_path / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    (tmp_path / "surveys.csv").write_text(SURVEYS, encoding="utf-8")
    return tmp_path


def cli(*args: str):
    return CliRunner().invoke(app, list(args))


def metric(doc: dict, name: str) -> dict:
    return next(m for m in doc["metrics"] if m["metric"] == name)


def test_report_lists_each_metric_beside_the_previous_period(data):
    r = cli("report", "--data", str(data), "--period", "2024-05", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    churn = metric(doc, "churn")
    assert churn["value"] == pytest.approx(100 / 3)
    assert churn["previous"]["value"] == pytest.approx(100 / 3)
    assert churn["previous"]["period"] == {"start": "2024-04-01", "end": "2024-04-30"}
    mrr = metric(doc, "mrr")
    # closing 05-31: B 200 + D 50; opening (04-30): B 200 + C 300 + D 50
    assert (mrr["value"], mrr["previous"]["value"], mrr["change"]) == (250, 550, -300)
    # NPS May: 10, 9, 3 -> (2 - 1) / 3 x 100; April: one promoter -> 100
    assert metric(doc, "nps")["value"] == pytest.approx(100 / 3)
    assert metric(doc, "nps")["previous"]["value"] == 100


def test_previous_values_equal_the_metric_run_on_the_previous_period(data):
    doc = json.loads(cli("report", "--data", str(data), "--period", "2024-05", "--format", "json").stdout)
    for m in doc["metrics"]:
        direct = cli(m["metric"], "--data", str(data), "--period", "2024-04", "--format", "json")
        assert direct.exit_code == 0, direct.output
        assert json.loads(direct.stdout)["value"] == m["previous"]["value"], m["metric"]


def test_metrics_without_their_files_are_listed_with_the_reason(data):
    doc = json.loads(cli("report", "--data", str(data), "--period", "2024-05", "--format", "json").stdout)
    skipped = {s["metric"]: s["reason"] for s in doc["skipped"]}
    assert "tickets.csv" in skipped["fcr"] and "not found" in skipped["fcr"]
    assert "invoices.csv" in skipped["dso"]
    assert {m["metric"] for m in doc["metrics"]}.isdisjoint(skipped)


def test_trend_values_are_the_metric_over_the_last_n_periods(data):
    doc = json.loads(cli("report", "--data", str(data), "--period", "2024-05", "--trend", "3", "--metrics", "churn", "--format", "json").stdout)
    trend = metric(doc, "churn")["trend"]
    assert [t["period"] for t in trend] == ["2024-03", "2024-04", "2024-05"]
    assert [t["value"] for t in trend] == pytest.approx([0.0, 100 / 3, 100 / 3])
    table = cli("report", "--data", str(data), "--period", "2024-05", "--trend", "3", "--metrics", "churn", "--format", "table")
    assert "▁" in table.stdout and "\x1b[" not in table.stdout


def test_each_table_is_read_once_per_run(data, monkeypatch):
    calls: list[str] = []
    real = cs_metrics.load.read_table

    def counting(cfg, name, *args, **kwargs):
        calls.append(name)
        return real(cfg, name, *args, **kwargs)

    monkeypatch.setattr(cs_metrics.load, "read_table", counting)
    rep = build(parse_config({"data": str(data)}), parse_period("2024-05"), by="plan", trend=4)
    assert len(rep.entries) >= 3
    assert sorted(calls) == sorted(set(calls)), calls


def test_report_by_segment_and_csv_shape(data):
    r = cli("report", "--data", str(data), "--period", "2024-05", "--metrics", "mrr", "--by", "plan", "--format", "csv")
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith("metric,period_start,period_end,segment,segment_kind,value,unit,previous_value,change")
    # segments basic (D 50), pro (B 200), =EVIL (C 0 at closing) and the total 250; each beside its
    # April value: basic D 50 (from 04-15), pro B 200, =EVIL C 300 (A ended 04-10), total 550
    rows = {row["segment"]: (row["segment_kind"], row["value"], row["previous_value"], row["change"]) for row in csv.DictReader(io.StringIO(r.stdout))}
    assert rows == {
        "'=EVIL": ("value", "0.0", "300.0", "-300.0"),
        "basic": ("value", "50.0", "50.0", "0.0"),
        "pro": ("value", "200.0", "200.0", "0.0"),
        "total": ("total", "250.0", "550.0", "-300.0"),
    }


def test_report_by_shows_each_segments_previous_value_and_change_in_every_format(data):
    args = ("report", "--data", str(data), "--period", "2024-05", "--metrics", "mrr", "--by", "plan")
    doc = json.loads(cli(*args, "--format", "json").stdout)
    segs = {s["segment"]: (s["previous_value"], s["change"]) for s in metric(doc, "mrr")["segments"]}
    assert segs == {"=EVIL": (300, -300), "basic": (50, 0), "pro": (200, 0)}
    table = cli(*args, "--format", "table").stdout
    evil = next(line for line in table.splitlines() if "=EVIL" in line)
    assert evil.split()[2:5] == ["0.00", "300.00", "▼"] and "-300.00 (-100.0 %)" in evil
    markdown = cli(*args, "--format", "markdown").stdout
    assert "| mrr · =EVIL | 0.00 | 300.00 | ▼ -300.00 (-100.0 %) | |" in markdown
    assert "| mrr · total | 250.00 | 550.00 | ▼ -300.00 (-54.5 %) |" in markdown


ALERTS = """
data: {data}
alerts:
  - metric: churn
    above: {threshold}
  - metric: mrr
    below: 100
    by: plan
"""


def test_check_exits_1_on_a_breach_and_0_without(data, tmp_path):
    config = tmp_path / "alerts.yaml"
    config.write_text(ALERTS.format(data=data, threshold=30), encoding="utf-8")
    breach = cli("check", "--config", str(config), "--period", "2024-05", "--format", "csv")
    assert breach.exit_code == 1
    statuses = [row["status"] for row in csv.DictReader(io.StringIO(breach.stdout))]
    # churn 33.3 > 30: breach; mrr by plan: =EVIL 0 < 100 breach, basic 50 < 100 breach, pro 200 ok, total 250 ok
    assert sorted(statuses) == ["breach", "breach", "breach", "ok", "ok"]
    assert "breached" in breach.stderr
    config.write_text(ALERTS.format(data=data, threshold=40).replace("below: 100", "below: 10"), encoding="utf-8")
    fine = cli("check", "--config", str(config), "--period", "2024-05", "--format", "csv")
    # mrr =EVIL is 0 < 10: still one breach; lower the bar to see exit 0
    assert fine.exit_code == 1
    config.write_text(ALERTS.format(data=data, threshold=40).replace("below: 100", "below: 0"), encoding="utf-8")
    assert cli("check", "--config", str(config), "--period", "2024-05").exit_code == 0


def test_check_without_rules_is_a_usage_error(data):
    r = cli("check", "--data", str(data), "--period", "2024-05")
    assert r.exit_code == 2 and r.stderr.startswith("error: no alert rules")


def test_xlsx_output_reads_back_as_numbers_with_formats_and_guarded_text(data, tmp_path):
    import openpyxl

    out = tmp_path / "churn.xlsx"
    r = cli("churn", "--data", str(data), "--period", "2024-05", "--by", "plan", "--output", str(out))
    assert r.exit_code == 0 and r.stdout == ""
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["churn", "churn segments"]
    summary = {row[0].value: row[1] for row in wb["churn"].iter_rows()}
    assert summary["value"].value == pytest.approx(100 / 3) and summary["value"].number_format == '0.00" %"'
    assert summary["starting_customers"].value == 3 and isinstance(summary["starting_customers"].value, int)
    assert [c.value for c in wb["churn segments"][1]][:3] == ["segment", "segment_kind", "value"]
    segments = {row[0].value: row[2].value for row in wb["churn segments"].iter_rows(min_row=2)}
    # S = {B, C, D}: basic {D} keeps, pro {B} keeps, =EVIL {C} lost
    assert segments == {"'=EVIL": 100.0, "basic": 0.0, "pro": 0.0, "total": pytest.approx(100 / 3)}


def test_report_xlsx_has_one_sheet_per_metric(data, tmp_path):
    import openpyxl

    out = tmp_path / "report.xlsx"
    r = cli("report", "--data", str(data), "--period", "2024-05", "--metrics", "mrr,churn", "--output", str(out))
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["report", "Charts", "mrr", "churn", "coverage"]
    header = [c.value for c in wb["report"][1]]
    mrr_row = [c.value for c in wb["report"][2]]
    assert mrr_row[header.index("value")] == 250 and mrr_row[header.index("previous_value")] == 550
    assert not [p for p in tmp_path.iterdir() if re.search(r"\.tmp$", p.name)]


def test_format_xlsx_needs_an_xlsx_output(data):
    r = cli("mrr", "--data", str(data), "--period", "2024-05", "--format", "xlsx")
    assert r.exit_code == 2 and "--output" in r.stderr


def test_conversion_auto_uses_leads_when_subscriptions_have_no_trial_column(data):
    # the fixture's subscriptions.csv has no is_trial column: the default kind is leads.
    # May leads: L1 converted, L2 not, L3 not (L4 was created in April) -> 1 / 3
    (data / "leads.csv").write_text(
        "lead_id,created_at,converted_at\nL1,2024-05-02,2024-05-20\nL2,2024-05-03,\nL3,2024-05-09,\nL4,2024-04-30,2024-05-02\n",
        encoding="utf-8",
    )
    doc = json.loads(cli("conversion", "--data", str(data), "--period", "2024-05", "--format", "json").stdout)
    assert doc["details"]["kind"] == "leads" and doc["value"] == pytest.approx(100 / 3)


@pytest.mark.parametrize(
    "args,says",
    [
        (("report", "--period", "9999"), "9999-12-31, which has no day after it"),
        (("dau-mau", "--period", "9999-12"), "9999-12-31, which has no day after it"),
        (("report", "--period", "0001-02"), "the period before 0001-02 falls outside the calendar"),
        (("report", "--period", "0001-04", "--trend", "6"), "the period 5 periods before 0001-04 falls outside"),
        (("health", "--period", "0001-02"), "the health lookback window (metrics.health.lookback_days) would start 89 days before 0001-02-28"),
    ],
)
def test_periods_the_calendar_cannot_hold_are_usage_errors(data, args, says):
    (data / "events.csv").write_text("customer_id,user_id,occurred_at,event\nA,u1,2024-05-02T10:00:00,login\n", encoding="utf-8")
    r = cli(*args, "--data", str(data))
    assert r.exit_code == 2, r.output
    assert says in r.stderr and "periods run from 0001-01-02 to 9999-12-30" in r.stderr
    assert "internal error" not in r.stderr and r.stdout == ""


def test_report_change_carries_no_float_noise_at_scale(tmp_path):
    # April closing MRR = A's 788,723.35; May closing = B's 36,063,718.91 (A ended on May 1):
    # change = 36,063,718.91 - 788,723.35 = 35,274,995.56 (a float difference prints 35274995.559999995)
    (tmp_path / "subscriptions.csv").write_text(
        "subscription_id,customer_id,started_at,ended_at,mrr\n"
        "s1,A,2024-01-01,2024-05-01,788723.35\n"
        "s2,B,2024-05-01,,36063718.91\n",
        encoding="utf-8",
    )
    r = cli("report", "--metrics", "mrr,arpu", "--data", str(tmp_path), "--period", "2024-05", "--format", "csv")
    assert r.exit_code == 0, r.output
    rows = {row["metric"]: row for row in csv.DictReader(io.StringIO(r.stdout))}
    assert rows["mrr"]["change"] == "35274995.56"
    assert rows["arpu"]["change"] == "35274995.56"  # one paying customer in each month
