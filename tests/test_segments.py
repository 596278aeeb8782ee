"""--by with segment values spelled like the reserved rows: a customer whose plan is `total` or
`(none)` stays in its own segment, apart from the total row and from the customers without a plan.

    customer  plan      MRR (running all of 2024)
    C1        total     100
    C2        (none)    200
    C3        (empty)   300
    C9        (not in customers.csv)   400
    C5        basic      50

    segments: "(none)" (C2) 200, basic 50, "total" (C1) 100, the reserved (none) = C3 + C9 = 700;
    total 1,050 = 200 + 50 + 100 + 700.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cs_metrics.cli import app

SUBSCRIPTIONS = """\
subscription_id,customer_id,started_at,ended_at,mrr
S1,C1,2024-01-01,,100
S2,C2,2024-01-01,,200
S3,C3,2024-01-01,,300
S4,C9,2024-01-01,,400
S5,C5,2024-01-01,,50
"""
CUSTOMERS = "customer_id,name,plan\nC1,a,total\nC2,b,(none)\nC3,c,\nC5,e,basic\n"
EXPECTED = {("(none)", "value"): 200, ("basic", "value"): 50, ("total", "value"): 100, ("(none)", "none"): 700, ("total", "total"): 1050}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    (tmp_path / "subscriptions.csv").write_text(SUBSCRIPTIONS, encoding="utf-8")
    (tmp_path / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    return tmp_path


def run(*args) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def mrr_by_plan(data: Path, fmt: str) -> str:
    return run("mrr", "--by", "plan", "--data", data, "--period", "2024-05", "--format", fmt)


@pytest.mark.parametrize("fmt,delimiter", [("csv", ","), ("tsv", "\t")])
def test_delimited_keeps_reserved_rows_apart(data, fmt, delimiter):
    rows = list(csv.DictReader(io.StringIO(mrr_by_plan(data, fmt)), delimiter=delimiter))
    got = {(r["segment"], r["segment_kind"]): float(r["value"]) for r in rows}
    assert got == EXPECTED and len(rows) == 5


def test_json_keeps_reserved_rows_apart(data):
    doc = json.loads(mrr_by_plan(data, "json"))
    got = {(s["segment"], s["segment_kind"]): s["value"] for s in doc["segments"]}
    assert got == {k: v for k, v in EXPECTED.items() if k[1] != "total"}
    assert doc["value"] == 1050


def test_jsonl_keeps_reserved_rows_apart(data):
    lines = [json.loads(line) for line in mrr_by_plan(data, "jsonl").splitlines()]
    assert {(o["segment"], o["segment_kind"]): o["value"] for o in lines} == EXPECTED
    assert lines[-1]["segment_kind"] == "total"  # the total comes last


@pytest.mark.parametrize("fmt", ["markdown", "table"])
def test_people_see_a_real_value_spelled_like_a_reserved_label_in_quotes(data, fmt):
    out = mrr_by_plan(data, fmt)
    cells = [[c.strip() for c in line.strip(" |").split("|")] if fmt == "markdown" else line.split() for line in out.splitlines()]
    by_label = {c[0]: c[1] for c in cells if len(c) > 2 and c[0] in ('"(none)"', '"total"', "(none)", "total", "basic")}
    assert by_label == {'"(none)"': "200.00", "basic": "50.00", '"total"': "100.00", "(none)": "700.00", "total": "1,050.00"}


def test_xlsx_keeps_reserved_rows_apart(data, tmp_path):
    import openpyxl

    out = tmp_path / "by.xlsx"
    run("mrr", "--by", "plan", "--data", data, "--period", "2024-05", "--output", out)
    rows = list(openpyxl.load_workbook(out)["mrr segments"].iter_rows(values_only=True))
    assert rows[0][:3] == ("segment", "segment_kind", "value")
    assert {(r[0], r[1]): r[2] for r in rows[1:]} == EXPECTED


def test_report_keeps_reserved_rows_apart(data):
    out = run("report", "--metrics", "mrr", "--by", "plan", "--data", data, "--period", "2024-05", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {(r["segment"], r["segment_kind"]): float(r["value"]) for r in rows} == EXPECTED
    # April equals May for every segment: each has its own previous value, none merged
    assert {(r["segment"], r["segment_kind"]): float(r["previous_value"]) for r in rows} == EXPECTED
    assert {r["change"] for r in rows} == {"0.0"}
