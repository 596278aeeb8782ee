"""What each export spans: a period outside it is n/a with the reason, a partly covered one warned
about; validate, report, JSON and xlsx say what the data covers (cs_metrics/coverage.py)."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cs_metrics.cli import app


def cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def put(folder: Path, name: str, *lines: str) -> None:
    (folder / name).write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def doc(r) -> dict:
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def folder(tmp_path: Path) -> Path:
    put(tmp_path, "subscriptions.csv", "subscription_id,customer_id,started_at,ended_at,mrr", "S1,C1,2024-01-10,,100", "S2,C2,2024-02-01,,50")
    put(tmp_path, "events.csv", "customer_id,user_id,occurred_at,event", "C1,U1,2024-06-03 09:00,login", "C1,U1,2024-06-20 09:00,login", "C2,U2,2024-07-02 09:00,login")
    put(tmp_path, "invoices.csv", "invoice_id,customer_id,issued_at,amount", "I1,C1,2024-03-05,100", "I2,C1,2024-04-05,100", "I3,C2,2024-04-06,50")
    (tmp_path / "cs.yaml").write_text(
        f"data: {tmp_path}\nsources:\n  subscriptions:\n    exported_on: '2024-07-31'\n", encoding="utf-8"
    )
    return tmp_path / "cs.yaml"


def test_usage_before_the_events_start_is_undefined_not_zero(tmp_path):
    cfg = folder(tmp_path)
    r = cli("usage", "--config", cfg, "-p", "2024-04", "-f", "json")
    d = doc(r)
    assert d["value"] is None  # it used to be 0.00 %: nobody "used" the product before the export starts
    assert d["warnings"][0] == "usage is undefined for 2024-04-01..2024-04-30: events.csv covers 2024-06-03..2024-07-02, outside the period"
    # inside the span: C1 and C2 pay in June, only C1 has events: 1 / 2
    assert doc(cli("usage", "--config", cfg, "-p", "2024-06", "-f", "json"))["value"] == 50.0


def test_mrr_after_the_export_day_is_undefined(tmp_path):
    cfg = folder(tmp_path)
    assert doc(cli("mrr", "--config", cfg, "-p", "2024-07", "-f", "json"))["value"] == 150.0
    later = doc(cli("mrr", "--config", cfg, "-p", "2030-01", "-f", "json"))
    assert later["value"] is None  # not a plausible flat 150
    assert "subscriptions.csv covers 2024-01-10..2024-07-31, outside the period" in later["warnings"][0]


def test_a_partly_covered_period_keeps_its_value_with_a_warning(tmp_path):
    cfg = folder(tmp_path)
    r = doc(cli("mrr", "--config", cfg, "-p", "2024-Q1", "-f", "json"))
    assert r["value"] == 150.0  # S1 and S2 at the end of March
    assert "subscriptions.csv covers 2024-01-10..2024-07-31: the period 2024-01-01..2024-03-31 is only partly covered" in r["warnings"]


def test_json_carries_what_the_inputs_span(tmp_path):
    cfg = folder(tmp_path)
    d = doc(cli("dau-mau", "--config", cfg, "-p", "2024-06", "-f", "json"))
    assert d["data_through"] == "2024-07-02"
    assert d["coverage"] == [{"table": "events", "file": "events.csv", "start": "2024-06-03", "end": "2024-07-02"}]
    report = doc(cli("report", "--config", cfg, "-p", "2024-06", "-f", "json", "--metrics", "mrr,usage,dso"))
    spans = {c["table"]: (c["start"], c["end"]) for c in report["coverage"]}
    assert spans == {"subscriptions": ("2024-01-10", "2024-07-31"), "events": ("2024-06-03", "2024-07-02"), "invoices": ("2024-03-05", "2024-04-06")}
    assert report["data_through"] == "2024-04-06"  # the last day every input has data for


def test_validate_prints_each_tables_span(tmp_path):
    cfg = folder(tmp_path)
    rows = {r["table"]: r for r in doc(cli("validate", "--config", cfg, "-f", "json"))["rows"]}
    assert (rows["invoices"]["span_start"], rows["invoices"]["span_end"]) == ("2024-03-05", "2024-04-06")
    assert rows["tickets"]["span_start"] is None  # no file


def test_the_report_workbook_has_a_coverage_sheet_with_dates(tmp_path):
    import datetime

    import openpyxl

    cfg = folder(tmp_path)
    out = tmp_path / "kpis.xlsx"
    assert cli("report", "--config", cfg, "-p", "2024-06", "--metrics", "mrr,usage", "-o", out).exit_code == 0
    ws = openpyxl.load_workbook(out)["coverage"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0] == ["table", "file", "first_day", "last_day"]
    assert rows[1][:2] == ["subscriptions", "subscriptions.csv"] and rows[1][2] == datetime.datetime(2024, 1, 10)
    assert rows[-1] == ["data_through", datetime.datetime(2024, 7, 2), None, None]


def test_repeat_purchase_warns_when_the_invoices_start_less_than_a_year_before(tmp_path):
    cfg = folder(tmp_path)
    r = doc(cli("repeat-purchase", "--config", cfg, "-p", "2024-04", "-f", "json"))
    assert r["value"] == 50.0  # C1 has its second invoice, C2 its first
    assert any("the invoices start on 2024-03-05, less than a year before the period" in w for w in r["warnings"])


# A local day can run backwards where a clock change crosses midnight: America/St_Johns on
# 1987-10-25, when 03:00 UTC was a day earlier in St. John's than 02:30 UTC had been (the example);
# America/Santiago and Europe/Berlin change their clocks, Asia/Bangkok has a fixed offset.
@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(530_000_000, 1_700_000_000), min_size=1, max_size=40),
    st.sampled_from(["America/St_Johns", "America/Santiago", "Europe/Berlin", "Asia/Bangkok", "UTC"]),
)
@example([562_127_400, 562_129_200, 581_000_000], "America/St_Johns")  # 1987-10-25 02:30 and 03:00 UTC, 1988-05
def test_the_span_of_instants_is_their_first_and_last_local_day(seconds, zone):
    import numpy as np
    import pandas as pd

    from cs_metrics.config import Config
    from cs_metrics.coverage import main_span

    instants = pd.Series(pd.to_datetime(np.array(seconds, dtype="int64"), unit="s").as_unit("us"))
    local = instants.dt.tz_localize("UTC").dt.tz_convert(zone).dt.date  # every instant, one by one
    assert main_span("events", pd.DataFrame({"occurred_at": instants}), Config(timezone=zone)) == (local.min(), local.max())
