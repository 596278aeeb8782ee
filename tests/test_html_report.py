"""The HTML report: what it is built from (each trend period's result, the data-through date, the
revenue cohorts, segment trends) and what it shows, checked on the hand-made folder of test_report.py
and on the bundled sample data. The browser check is in test_browser.py."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from datetime import date
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


def make_data(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "subscriptions.csv").write_text(SUBSCRIPTIONS, encoding="utf-8")
    (folder / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    (folder / "surveys.csv").write_text(SURVEYS, encoding="utf-8")
    return folder


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return make_data(tmp_path / "data")


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> Path:
    """The folder for tests that only read it."""
    return make_data(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def page(shared: Path, tmp_path_factory) -> str:
    """The HTML report of May 2024 with the defaults (12 trend periods), written once."""
    return html_report(shared, tmp_path_factory.mktemp("out"))


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


# --------------------------------------------------------------------------- what the HTML report adds to the report


def test_data_through_is_the_latest_date_that_happened_in_the_inputs(data):
    from cs_metrics.report_extra import data_through

    rep = build(parse_config({"data": str(data)}), parse_period("2024-05"), metrics=["mrr", "nps"])
    # starts: latest 2024-04-15 (D); responses: latest 2024-05-04; C's ended_at 2024-05-20 is a
    # scheduled end, not data: the data runs through the last response
    assert data_through(rep) == date(2024, 5, 4)


def test_revenue_cohorts_follow_the_cohort_mrr(data):
    from cs_metrics.report_extra import revenue_cohorts

    rep = build(parse_config({"data": str(data)}), parse_period("2024-05"), metrics=["cohorts"])
    rows = {row["cohort"]: row for row in revenue_cohorts(rep).rows}
    # cohort 2024-01 = A, B, C: 600 at the end of January; April end B 200 + C 300; May end B 200
    jan = rows["2024-01"]
    assert (jan["m0"], jan["m3"], jan["m4"]) == (100.0, pytest.approx(500 / 6), pytest.approx(200 / 6))
    assert rows["2024-04"]["m1"] == 100.0  # D keeps its 50


def test_segment_trends_give_every_trend_period_its_segments(data):
    from cs_metrics.report_extra import segment_trends

    rep = build(parse_config({"data": str(data)}), parse_period("2024-05"), by="plan", trend=3, metrics=["mrr"])
    segment_trends(rep, "plan")
    (e,) = rep.entries
    per = [{s["segment"]: s["value"] for s in r.segments} for r in e.trend_results]
    # basic = A (100, ends 04-10) and D (50 from 04-15); pro = B 200 and C 300 (ends 05-20)
    assert [p["basic"] for p in per] == [100, 50, 50]
    assert [p["pro"] for p in per] == [500, 500, 200]


# --------------------------------------------------------------------------- the page


def html_report(data: Path, tmp_path: Path, *args: str) -> str:
    out = tmp_path / "report.html"
    r = cli("report", "--data", str(data), "--period", "2024-05", "--output", str(out), *args)
    assert r.exit_code == 0, r.output
    assert r.stdout == ""
    return out.read_text(encoding="utf-8")


def section(page: str, element_id: str) -> str:
    """The HTML of the element with that id, up to the start of the next tile or card."""
    start = page.index(f"id='{element_id}'")
    ends = [i for i in (page.find("<div class='tile", start + 1), page.find("<section", start + 1)) if i > 0]
    return page[start : min(ends) if ends else len(page)]


def chart_series(page: str) -> dict[str, set[str]]:
    """Chart key -> the series drawn in its SVG (groups with the id <key>.series-<name>[.n])."""
    out: dict[str, set[str]] = {}
    for key, name in re.findall(r'id="([\w-]+)\.series-([\w-]+?)(?:\.\d+)?"', page):
        out.setdefault(key, set()).add(name)
    return out


def test_html_report_is_one_file_that_asks_for_nothing(page):
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page and "<link" not in page and "@import" not in page and "<iframe" not in page
    # the only URLs are XML namespace names and in-page references; the browser may fetch nothing
    urls = set(re.findall(r"(?:https?|ftp)://[^\s\"')]+", page))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?!#)""", page)
    assert not re.search(r"url\((?!#)", page)
    assert "content=\"default-src 'none'" in page  # and the browser refuses any request it might make


def test_tiles_show_value_previous_change_and_sample(page):
    mrr = section(page, "tile-mrr")
    # closing May 250, opening (April) 550: down 300 = -54.5 %, the bad way for MRR
    assert ">250.00<" in mrr and "April 2024: 550.00" in mrr
    assert "▼ -300 (-54.5 %)" in mrr and "'change bad'" in mrr
    assert "n = 2 paying customers" in mrr  # B and D
    churn = section(page, "tile-churn")
    # May: S = {B, C, D}, C lost -> 33.3 %; April 33.3 % too: no change, no colour
    assert ">33.3 %<" in churn and "n = 3 starting customers" in churn and "'change flat'" in churn
    nps = section(page, "tile-nps")
    assert ">33.3<" in nps and "n = 3 responses" in nps and "▼ -66.7 pts" in nps  # April: one promoter, 100


def test_a_value_without_data_is_na_with_the_reason(data, tmp_path):
    out = tmp_path / "march.html"
    r = cli("report", "--data", str(data), "--period", "2024-03", "--metrics", "nps,mrr", "--output", str(out))
    assert r.exit_code == 0, r.output
    nps = section(out.read_text(encoding="utf-8"), "tile-nps")
    # no NPS response in March: the surveys run from 2024-04-05, so March is outside what they cover
    assert "<div class=value>n/a</div>" in nps and "surveys.csv covers 2024-04-05..2024-05-04, outside the period" in nps


def test_the_mrr_bridge_draws_every_movement_with_the_numbers(page):
    series = chart_series(page)
    assert series["mrr-bridge"] == {"opening", "new", "reactivation", "expansion", "contraction", "churn", "closing"}
    assert series["mrr-trend"] == {"mrr", "new", "reactivation", "expansion", "contraction", "churn", "net"}
    bridge = section(page, "card-mrr-bridge")
    assert "<td>Churn</td><td>300.00</td><td>1</td>" in bridge  # C's 300, one customer
    assert "<td>New</td><td>0.00</td><td>0</td>" in bridge


def test_text_is_escaped_and_thai_and_chinese_pass_through(data, tmp_path):
    (data / "surveys.csv").write_text(SURVEYS + 'r5,C,2024-05-06,nps,2,"<img src=x onerror=alert(1)> ช้ามาก"\n', encoding="utf-8")
    page = html_report(data, tmp_path, "--metrics", "nps,feedback", "--trend", "2")
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt; ช้ามาก" in page
    assert "太慢了" in page  # C's detractor comment, among the latest unhappy ones
    assert 'lang="en"' in page and '<meta charset="utf-8">' in page
    assert '"Noto Sans Thai"' in page and '"Noto Sans CJK SC"' in page and '"Microsoft YaHei"' in page


def test_every_metric_has_its_definition_one_click_away(page, shared):
    doc = json.loads(cli("report", "--data", str(shared), "--period", "2024-05", "--format", "json", "--explain").stdout)
    for m in doc["metrics"]:
        row = f"<details class=def-row><summary>{m['metric']}</summary><p>{html.escape(m['definition'])}</p>"
        assert row in page, m["metric"]


def test_footer_names_the_data_through_date_and_the_profile(page):
    assert "<b id=data-through>2024-05-04</b>" in page
    assert "<b id=profile>cs-metrics (default definitions)</b>" in page


def test_html_report_is_the_same_bytes_every_run(page, shared, tmp_path):
    assert html_report(shared, tmp_path) == page


def test_by_adds_small_multiples_per_segment(data, tmp_path):
    page = html_report(data, tmp_path, "--by", "plan", "--metrics", "mrr,churn", "--trend", "3")
    segments = section(page, "card-segments")
    assert "MRR by plan" in segments and "Customer churn by plan" in segments
    series = chart_series(page)
    small = {k: v for k, v in series.items() if k.startswith("sm-")}
    # two plans for each metric; churn (a rate) beside the total, MRR (an amount) alone
    assert small == {"sm-mrr-0": {"segment"}, "sm-mrr-1": {"segment"}, "sm-churn-0": {"segment", "total"}, "sm-churn-1": {"segment", "total"}}
    assert "<b>basic</b>" in segments and "<b>pro</b>" in segments


def test_html_trend_defaults_to_12_periods(data, tmp_path):
    page = html_report(data, tmp_path, "--metrics", "churn")
    assert "trend: the last 12 periods" in page
    assert "trend: the last 3 periods" in html_report(data, tmp_path, "--metrics", "churn", "--trend", "3")


def test_format_html_writes_to_stdout_and_only_report_writes_html(data):
    r = cli("report", "--data", str(data), "--period", "2024-05", "--metrics", "mrr", "--format", "html", "--trend", "2")
    assert r.exit_code == 0 and r.stdout.startswith("<!doctype html>")
    r = cli("mrr", "--data", str(data), "--period", "2024-05", "--format", "html")
    assert r.exit_code == 2 and "only `report` writes HTML" in r.stderr


def test_commands_that_write_no_html_do_not_import_the_charting_library(data):
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from cs_metrics.cli import app\n"
        f"r = CliRunner().invoke(app, ['report', '--data', {str(data)!r}, '--period', '2024-05', '--format', 'csv', '--trend', '3'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib' or m.startswith('cs_metrics.output')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_without_a_trend_the_page_says_how_to_get_the_charts(data, tmp_path):
    page = html_report(data, tmp_path, "--trend", "0")
    assert "Run with <code>--trend N</code>" in page
    # what shows the period alone needs no trend: the bridge, the cohort grids, the health classes
    assert set(chart_series(page)) == {"mrr-bridge", "cohorts-logo", "cohorts-revenue", "health-classes"}
    assert "<b id=data-through>2024-05-04</b>" in page
