"""One rule for every metric: the default output is the result (value, details, segments); the listing
of a listing metric (health, referrals, usage, cohorts, feedback) comes with --rows; JSON has both.
Also the people's formats: what a table with --by shows, nrr named nrr, sparklines with their range,
health's backtest naming its scoring date.

The data, period 2024-05 (every number below by hand):

    customer  plan   created     referred_by  subscription                      events in May
    C1        basic  2024-04-01               100 from 2024-04-01, running      login, export
    C2        pro    2024-04-01               200 2024-04-01 .. 2024-05-15
    C3        basic  2024-05-03  C1           50 from 2024-05-03, running       login
    C4        pro    2024-05-10               (none)

    referrals: new in May C3, C4; referred C3 -> 1 / 2 = 50 %; basic {C3} 100 %, pro {C4} 0 %;
               rows: referrer C1 (Alpha) with 1.
    usage:     paying in May C1, C2, C3; with an event C1, C3 -> 2 / 3 = 66.67 %; basic 2 / 2, pro 0 / 1;
               rows: login 2 customers (100 % of the 2 using), export 1 (50 %).
    cohorts:   2024-04 = {C1, C2}, 2024-05 = {C3}; month 1 of 2024-04 (end of May): C1 -> 1 / 2 = 50 %.
    feedback:  comments R1 (C1, nps 3, detractor) and R2 (C2, nps 10, promoter); R3 has none -> 2.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cs_metrics.cli import app

FILES = {
    "subscriptions.csv": "subscription_id,customer_id,started_at,ended_at,mrr\nS1,C1,2024-04-01,,100\nS2,C2,2024-04-01,2024-05-15,200\nS3,C3,2024-05-03,,50\n",
    "customers.csv": "customer_id,name,plan,created_at,referred_by\nC1,Alpha,basic,2024-04-01,\nC2,Beta,pro,2024-04-01,\nC3,Gamma,basic,2024-05-03,C1\nC4,Delta,pro,2024-05-10,\n",
    "events.csv": "customer_id,user_id,occurred_at,event\nC1,u1,2024-05-02T10:00:00,login\nC1,u2,2024-05-03T10:00:00,export\nC3,u3,2024-05-20T10:00:00,login\n",
    "surveys.csv": "response_id,customer_id,responded_at,survey,score,comment\nR1,C1,2024-05-02,nps,3,slow export\nR2,C2,2024-05-03,nps,10,great support\nR3,C3,2024-05-04,nps,8,\n",
}
# metric -> (its own options, value, {plan: value}, the listing's header, its first row)
LISTING = {
    "referrals": ((), 50.0, {"basic": 100.0, "pro": 0.0}, ["referrer_id", "referrer_name", "referred_customers"], ["C1", "Alpha", "1"]),
    "usage": ((), 200 / 3, {"basic": 100.0, "pro": 0.0}, ["event", "customers", "adoption_pct"], ["login", "2", "100.0"]),
    "cohorts": (("--months", "2"), 50.0, {"basic": 100.0, "pro": 0.0}, ["cohort", "customers", "m0", "m1"], ["2024-04", "2", "100.0", "50.0"]),
    "feedback": ((), 2, {"basic": 1, "pro": 1}, ["responded_at", "survey", "score", "group", "customer_id", "comment"], ["2024-05-02", "nps", "3", "detractor", "C1", "slow export"]),
}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    for name, text in FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def run(*args) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def rows_of(text: str, delimiter: str = ",") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


# --------------------------------------------------------------------------- the rule, metric by metric


@pytest.mark.parametrize("name", LISTING)
@pytest.mark.parametrize("fmt,delimiter", [("csv", ","), ("tsv", "\t")])
def test_default_delimited_output_is_the_result_with_its_headline(data, name, fmt, delimiter):
    options, value, _, _, _ = LISTING[name]
    [row] = rows_of(run(name, *options, "--data", data, "--period", "2024-05", "--format", fmt), delimiter)
    assert (row["metric"], row["period_start"], row["period_end"]) == (name, "2024-05-01", "2024-05-31")
    assert float(row["value"]) == pytest.approx(value)


@pytest.mark.parametrize("name", LISTING)
def test_by_gives_the_segments_of_a_listing_metric(data, name):
    options, value, by_plan, _, _ = LISTING[name]
    rows = rows_of(run(name, *options, "--by", "plan", "--data", data, "--period", "2024-05"))
    got = {r["segment"]: float(r["value"]) for r in rows}
    assert got == pytest.approx({**by_plan, "total": value})


@pytest.mark.parametrize("name", LISTING)
def test_rows_gives_the_listing(data, name):
    options, _, _, header, first = LISTING[name]
    out = run(name, *options, "--rows", "--data", data, "--period", "2024-05")
    lines = list(csv.reader(io.StringIO(out)))
    assert lines[0] == header and lines[1] == first


@pytest.mark.parametrize("name", LISTING)
def test_json_has_both_the_result_and_the_rows(data, name):
    options, value, _, header, first = LISTING[name]
    doc = json.loads(run(name, *options, "--data", data, "--period", "2024-05", "--format", "json"))
    assert doc["value"] == pytest.approx(value)
    assert list(doc["rows"][0]) == header
    assert [str(v) if v is not None else "" for v in doc["rows"][0].values()] == first
    assert json.loads(run(name, *options, "--rows", "--data", data, "--period", "2024-05", "--format", "json")) == doc


@pytest.mark.parametrize("name", LISTING)
def test_jsonl_is_the_document_or_with_rows_one_line_per_row(data, name):
    options, value, _, header, _ = LISTING[name]
    [line] = run(name, *options, "--data", data, "--period", "2024-05", "--format", "jsonl").splitlines()
    assert json.loads(line)["value"] == pytest.approx(value)
    lines = [json.loads(x) for x in run(name, *options, "--rows", "--data", data, "--period", "2024-05", "--format", "jsonl").splitlines()]
    assert all(set(header) <= set(x) and x["metric"] == name for x in lines)


@pytest.mark.parametrize("name", [*LISTING, "health"])
def test_help_of_a_listing_metric_offers_rows(name):
    out = CliRunner().invoke(app, [name, "--help"], env={"COLUMNS": "200"}).stdout
    assert "--rows" in out and "JSON always has both" in out


def test_health_csv_is_the_result_and_its_classes_agree_with_the_listing(data):
    [row] = rows_of(run("health", "--data", data, "--period", "2024-05"))
    listing = rows_of(run("health", "--rows", "--data", data, "--period", "2024-05"))
    scores = [float(r["score"]) for r in listing]
    assert [r["customer_id"] for r in listing] == ["C3", "C1"]  # paying at the end of May, worst first
    assert float(row["value"]) == pytest.approx(sum(scores) / len(scores))
    for cls in ("good", "at_risk", "poor"):
        members = [r for r in listing if r["class"] == cls]
        assert int(row[f"{cls}_customers"]) == len(members)
        assert float(row[f"{cls}_mrr"]) == pytest.approx(sum(float(r["mrr"]) for r in members))


def test_health_table_shows_customers_and_mrr_per_class(data):
    out = run("health", "--data", data, "--period", "2024-05", "--format", "table")
    lines = {line.split()[0] + (" " + line.split()[1] if line.split()[:2] == ["at", "risk"] else ""): line.split() for line in out.splitlines() if line.strip()}
    # C3 (50) is poor, C1 (100) at risk, nobody good
    assert lines["poor"][-2:] == ["1", "50.00"] and lines["at risk"][-2:] == ["1", "100.00"] and lines["good"][-2:] == ["0", "0.00"]


def test_feedback_table_shows_counts_and_top_terms_per_group(data):
    out = run("feedback", "--data", data, "--period", "2024-05", "--format", "table")
    groups = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert groups["detractor"].split()[1] == "1" and "export (1), slow (1)" in groups["detractor"]
    assert groups["promoter"].split()[1] == "1" and "great (1), support (1)" in groups["promoter"]
    assert groups["passive"].split()[1] == "0"
    assert "slow export" not in out  # the comments themselves come with --rows


def test_health_customer_still_shows_its_components(data):
    out = run("health", "--customer", "C1", "--data", data, "--period", "2024-05", "--format", "csv")
    assert [r["component"] for r in rows_of(out)][:3] == ["usage", "breadth", "depth"]


# --------------------------------------------------------------------------- backtest: its scoring date everywhere


def test_backtest_names_its_scoring_date_in_every_format(data):
    # period 2024-05 ends 05-31; 90 days before: 2024-03-02
    args = ("health", "--backtest", "--data", data, "--period", "2024-05")
    assert rows_of(run(*args))[0]["scored_on"] == "2024-03-02"
    assert {r["scored_on"] for r in rows_of(run(*args, "--rows"))} == {"2024-03-02"}
    assert json.loads(run(*args, "--format", "json"))["details"]["scored_on"] == "2024-03-02"
    assert "scored on" in run(*args, "--format", "table") and "2024-03-02" in run(*args, "--format", "table")
    assert "scored on 2024-03-02" in run(*args, "--rows", "--format", "table")
    assert "| scored on | 2024-03-02 |" in run(*args, "--format", "markdown")
    assert "scored on 2024-03-02" in run(*args, "--rows", "--format", "markdown")


def test_backtest_follows_the_period_and_so_as_of(data):
    relative = json.loads(run("health", "--backtest", "--data", data, "--period", "last-month", "--as-of", "2024-06-15", "--format", "json"))
    assert relative["details"]["scored_on"] == "2024-03-02"


# --------------------------------------------------------------------------- the name typed


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "markdown", "table"])
def test_nrr_output_says_nrr(data, fmt):
    out = run("nrr", "--data", data, "--period", "2024-05", "--format", fmt)
    assert "nrr" in out and "ndr" not in out


# --------------------------------------------------------------------------- trends with their range


def test_report_trend_shows_the_range_of_its_sparkline(data):
    # closing MRR: March n/a (before the subscriptions start: a gap), April 300 (C1 + C2), May 150 (C1 100 + C3 50)
    out = run("report", "--metrics", "mrr", "--trend", "3", "--data", data, "--period", "2024-05", "--format", "markdown")
    assert "| mrr | 150.00 | 300.00 | ▼ -150.00 (-50.0 %) |  █▁ 150.00 .. 300.00 |" in out


def test_xlsx_change_of_a_rate_is_in_percentage_points_and_intervals_in_percent(data, tmp_path):
    import openpyxl

    out = tmp_path / "r.xlsx"
    run("report", "--metrics", "churn,mrr", "--data", data, "--period", "2024-05", "--output", out)
    wb = openpyxl.load_workbook(out)
    header = [c.value for c in wb["report"][1]]
    rows = {row[0].value: row for row in wb["report"].iter_rows(min_row=2)}
    # churn: April S = {} (nobody paying at 03-31) -> n/a; May: S = {C1, C2}, C2 lost -> 50 %
    assert rows["churn"][header.index("value")].value == 50.0
    mrr_change = rows["mrr"][header.index("change")]
    assert mrr_change.value == -150 and mrr_change.number_format == "#,##0.00"
    summary = {row[0].value: row[1] for row in wb["churn"].iter_rows()}
    assert summary["ci95_low"].number_format == '0.00" %"' and summary["ci95_high"].number_format == '0.00" %"'


def test_xlsx_change_of_a_percentage_carries_pp(tmp_path):
    import openpyxl

    from cs_metrics.xlsx import POINTS_FORMAT

    # churn 2024-04: S = {A, B}, A lost -> 50 %; 2024-05: S = {B}, kept -> 0 %: change -50 pp
    (tmp_path / "subscriptions.csv").write_text(
        "subscription_id,customer_id,started_at,ended_at,mrr\ns1,A,2024-01-01,2024-04-10,10\ns2,B,2024-01-01,,20\n", encoding="utf-8"
    )
    out = tmp_path / "r.xlsx"
    run("report", "--metrics", "churn", "--data", tmp_path, "--period", "2024-05", "--output", out)
    ws = openpyxl.load_workbook(out)["report"]
    header = [c.value for c in ws[1]]
    change = ws.cell(row=2, column=header.index("change") + 1)
    assert change.value == -50 and change.number_format == POINTS_FORMAT


# --------------------------------------------------------------------------- tables a person can read


def _table(result, width: int) -> list[str]:
    from cs_metrics.render import render

    text = render(result, "table", color=True, width=width, rows=result.rows is not None)
    return re.sub(r"\x1b\[[0-9;]*m", "", text).splitlines()


def test_mrr_by_plan_on_a_terminal_shows_each_segment_with_a_few_details_uncut(tmp_path):
    from cs_metrics.config import parse_config
    from cs_metrics.metrics import REGISTRY
    from cs_metrics.period import parse_period
    from cs_metrics.runner import run as run_metric

    (tmp_path / "subscriptions.csv").write_text(
        "subscription_id,customer_id,started_at,mrr\ns1,A,2024-01-01,49500.50\ns2,B,2024-01-01,1234567.89\n", encoding="utf-8"
    )
    (tmp_path / "customers.csv").write_text("customer_id,plan\nA,enterprise plan with a long name\nB,growth\n", encoding="utf-8")
    result, _ = run_metric(REGISTRY["mrr"], parse_config({"data": str(tmp_path)}), parse_period("2024-05"), by="plan")
    lines = _table(result, 120)
    assert all(len(line) <= 120 for line in lines)
    header = next(line for line in lines if "segment" in line)
    assert [c.strip() for c in header.strip("│ ").split("│")] == ["segment", "mrr", "opening mrr", "net new mrr", "closing customers"]
    text = "\n".join(lines)
    assert "49,500.50" in text and "1,234,567.89" in text and "1,284,068.39" in text and "…" not in text


def test_health_listing_on_a_narrow_terminal_cuts_no_name_and_no_mrr(data):
    from cs_metrics.config import parse_config
    from cs_metrics.metrics import REGISTRY
    from cs_metrics.period import parse_period
    from cs_metrics.runner import run as run_metric

    names = (data / "customers.csv").read_text(encoding="utf-8").replace("Alpha", "Alpha Manufacturing Company Limited")
    (data / "customers.csv").write_text(names, encoding="utf-8")
    result, _ = run_metric(REGISTRY["health"], parse_config({"data": str(data)}), parse_period("2024-05"))
    lines = _table(result, 80)
    assert all(len(line) <= 80 for line in lines)
    text = "\n".join(lines)
    assert "…" not in text and "100.00" in text and "50.00" in text  # the MRR of C1 and C3
    for word in ("Alpha", "Manufacturing", "Company", "Limited", "Gamma"):
        assert word in text
    assert "not shown at this width" in text  # the components that did not fit are named, not squeezed
