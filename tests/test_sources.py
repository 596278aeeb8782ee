"""Reading exports as the tools write them: several files per table, per-file settings, value maps,
fixed columns, epochs, the Buddhist era, compressed CSV and Parquet (cs_metrics/sources)."""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cs_metrics.cli import app
from cs_metrics.config import parse_config
from cs_metrics.errors import DataError
from cs_metrics.load import MONEY_SCALE, Dataset, read_table


def put(folder: Path, name: str, *lines: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def cfg(folder: Path, sources: dict, **top):
    return parse_config({"sources": sources, **top}, folder)


def cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


# --------------------------------------------------------------------------- several files, one table


def test_two_survey_exports_feed_one_table_each_with_its_own_mapping(tmp_path):
    # NPS from a Typeform-like file, CSAT from a Google-Forms-like one: own headers, own date formats,
    # the survey kind fixed per file.
    put(tmp_path, "typeform.csv", "#,How likely are you to recommend us?,Submit Date (UTC)", "r1,10,2024-05-02 10:00:00", "r2,3,2024-05-03 11:00:00")
    put(tmp_path, "forms.csv", "Timestamp,How satisfied are you?", "5/2/2024 9:00:00,5", "5/3/2024 9:00:00,2")
    sources = {
        "surveys": {
            "files": [
                {"path": "typeform.csv", "fixed": {"survey": "nps"},
                 "columns": {"response_id": "#", "score": "How likely are you to recommend us?", "responded_at": "Submit Date (UTC)"}},
                {"path": "forms.csv", "fixed": {"survey": "csat"}, "date_format": "%m/%d/%Y %H:%M:%S",
                 "columns": {"score": "How satisfied are you?", "responded_at": "Timestamp"}},
            ]
        }
    }  # fmt: skip
    frame, rep = read_table(cfg(tmp_path, sources), "surveys", optional=["response_id"])
    assert frame["survey"].tolist() == ["nps", "nps", "csat", "csat"]
    assert frame["score"].tolist() == [10, 3, 5, 2]
    assert frame["responded_at"].dt.strftime("%Y-%m-%d").tolist() == ["2024-05-02", "2024-05-03", "2024-05-02", "2024-05-03"]
    assert (rep.read, rep.used) == (4, 4) and len(rep.files) == 2


def test_monthly_exports_by_glob_with_overlapping_rows(tmp_path):
    # Two monthly ticket exports overlap on T2: the identical repeat is counted, not rejected; T3
    # appears twice with a different resolution time: a rejected duplicate, named file:line.
    put(tmp_path, "tickets/2024-04.csv", "ticket_id,customer_id,created_at,resolved_at", "T1,C1,2024-04-10 09:00,2024-04-10 10:00", "T2,C1,2024-04-30 09:00,2024-05-01 10:00")
    put(tmp_path, "tickets/2024-05.csv", "ticket_id,customer_id,created_at,resolved_at", "T2,C1,2024-04-30 09:00,2024-05-01 10:00", "T3,C2,2024-05-02 09:00,", "T3,C2,2024-05-02 09:00,2024-05-03 09:00")
    frame, rep = read_table(cfg(tmp_path, {"tickets": {"path": "tickets/*.csv"}}), "tickets", optional=["resolved_at"])
    assert frame["ticket_id"].tolist() == ["T1", "T2", "T3"]
    assert rep.filtered == {"repeats an earlier row exactly (overlapping exports)": 1}
    assert rep.rejected == {"duplicate ticket_id": 1} and rep.rejected_lines == {"duplicate ticket_id": ["2024-05.csv:4"]}


def test_files_of_a_table_in_several_currencies_need_a_base(tmp_path):
    put(tmp_path, "th.csv", "invoice_id,customer_id,issued_at,amount", "I1,C1,2024-05-01,1000")
    put(tmp_path, "us.csv", "invoice_id,customer_id,issued_at,amount", "I2,C2,2024-05-01,10")
    sources = {"invoices": {"files": [{"path": "th.csv", "currency": "THB"}, {"path": "us.csv", "currency": "USD"}]}}
    with pytest.raises(DataError, match=r"several currencies \(THB, USD\)"):
        read_table(cfg(tmp_path, sources), "invoices")
    frame, _ = read_table(cfg(tmp_path, sources, currency={"base": "USD", "rates": {"THB": 0.03}}), "invoices")
    assert frame["amount"].tolist() == [30 * MONEY_SCALE, 10 * MONEY_SCALE]  # 1000 THB x 0.03 = 30 USD


# --------------------------------------------------------------------------- values as the tools write them


def test_word_answers_map_to_scores_and_a_second_header_row_is_skipped(tmp_path):
    # SurveyMonkey writes a second header row ("Response") and word answers on the CES scale.
    put(
        tmp_path, "ces.csv",
        "Respondent ID,End Date,It was easy to handle my issue.",
        ",,Response",
        "1001,10/03/2024 02:05:12 PM,Strongly agree",
        "1002,10/04/2024 09:00:00 AM,Somewhat disagree",
        "1003,10/05/2024 09:00:00 AM,Neither agree nor disagree",
    )  # fmt: skip
    scale = {"Strongly disagree": 1, "Disagree": 2, "Somewhat disagree": 3, "Neither agree nor disagree": 4,
             "Somewhat agree": 5, "Agree": 6, "Strongly agree": 7}  # fmt: skip
    sources = {"surveys": {"path": "ces.csv", "skip_rows": 1, "fixed": {"survey": "ces"}, "date_format": "%m/%d/%Y %I:%M:%S %p",
                           "values": {"score": scale}, "columns": {"response_id": "Respondent ID", "responded_at": "End Date",
                                                                   "score": "It was easy to handle my issue."}}}  # fmt: skip
    frame, rep = read_table(cfg(tmp_path, sources), "surveys", optional=["response_id"])
    assert frame["score"].tolist() == [7, 3, 4]
    assert frame["responded_at"].dt.strftime("%Y-%m-%d").tolist() == ["2024-10-03", "2024-10-04", "2024-10-05"]
    assert rep.filtered == {"rows after the header skipped (skip_rows)": 1} and rep.rejected == {}
    assert rep.read == 4 and rep.used == 3


def test_a_count_where_a_flag_is_expected_and_custom_labels(tmp_path):
    # Zendesk writes Reopens as a count: 2 means reopened. A helpdesk writes "Reopened"/"-".
    put(tmp_path, "tickets.csv", "ticket_id,customer_id,created_at,reopened", "T1,C1,2024-05-01 09:00,2", "T2,C1,2024-05-01 09:00,0", "T3,C1,2024-05-01 09:00,Reopened", "T4,C1,2024-05-01 09:00,-")
    sources = {"tickets": {"values": {"reopened": {"Reopened": True, "-": False}}}}
    frame, rep = read_table(cfg(tmp_path, sources), "tickets")
    assert frame["reopened"].tolist() == [True, False, True, False] and rep.rejected == {}


def test_epoch_seconds_and_milliseconds_and_a_file_in_utc(tmp_path):
    # 1717200000 = 2024-06-01 00:00:00 UTC = 07:00 in Bangkok; ms the same instant.
    put(tmp_path, "mixpanel.csv", "distinct_id,time,event,company", "u1,1717200000,login,C1", "u2,1717199999,login,C2")
    put(tmp_path, "amplitude.csv", "user_id,event_time,event_type,company", "u3,2024-05-31 20:00:00.000000,open,C3")
    sources = {"events": {"files": [
        {"path": "mixpanel.csv", "datetime_format": "epoch", "columns": {"user_id": "distinct_id", "occurred_at": "time", "customer_id": "company"}},
        {"path": "amplitude.csv", "timezone": "UTC", "columns": {"occurred_at": "event_time", "event": "event_type", "customer_id": "company"}},
    ]}}  # fmt: skip
    frame, _ = read_table(cfg(tmp_path, sources, timezone="Asia/Bangkok"), "events")
    assert frame["occurred_at"].tolist() == [pd.Timestamp("2024-06-01 00:00:00"), pd.Timestamp("2024-05-31 23:59:59"), pd.Timestamp("2024-05-31 20:00:00")]
    # in Bangkok (UTC+7) all three are on 1 June (07:00, 06:59:59, 03:00), none on 31 May; in UTC
    # only u1 would be on 1 June
    path = _write_cfg(tmp_path, sources, "Asia/Bangkok")
    assert json.loads(cli("dau-mau", "--config", path, "-p", "2024-06-01", "-f", "json").stdout)["details"]["mau"] == 3
    assert json.loads(cli("dau-mau", "--config", path, "-p", "2024-05-31", "-f", "json").stdout)["details"]["mau"] == 0


def _write_cfg(folder: Path, sources: dict, tz: str) -> Path:
    path = folder / "cs.yaml"
    path.write_text(json.dumps({"data": str(folder), "timezone": tz, "sources": sources}), encoding="utf-8")
    return path


def test_buddhist_era_years_are_converted_and_unconverted_ones_warned_about(tmp_path):
    put(tmp_path, "invoices.csv", "invoice_id,customer_id,issued_at,amount", "I1,C1,08/11/2569,100", "I2,C1,15/11/2569,50")
    converted, rep = read_table(cfg(tmp_path, {"invoices": {"date_format": "%d/%m/%Y", "buddhist_era": True}}), "invoices")
    assert converted["issued_at"].dt.strftime("%Y-%m-%d").tolist() == ["2026-11-08", "2026-11-15"] and rep.warnings == []
    as_written, rep = read_table(cfg(tmp_path, {"invoices": {"date_format": "%d/%m/%Y"}}), "invoices")
    assert as_written["issued_at"].dt.year.tolist() == [2569, 2569]
    assert rep.warnings == [
        "issued_at holds dates like 2569-11-08, 400+ years ahead: they look like Thai Buddhist-era years "
        "(2569 = 2026). Set sources.invoices.buddhist_era: true to convert them"
    ]


def test_amounts_in_minor_units(tmp_path):
    put(tmp_path, "subscriptions.csv", "subscription_id,customer_id,started_at,amount,interval", "S1,C1,2024-01-01,4900,month", "S2,C2,2024-01-01,120000,year")
    frame, _ = read_table(cfg(tmp_path, {"subscriptions": {"amount_divisor": 100}}), "subscriptions")
    assert (frame["mrr"] / (MONEY_SCALE * 144)).tolist() == [49.0, 100.0]  # 49.00 a month; 1,200.00 a year


# --------------------------------------------------------------------------- files people have


def test_a_compressed_csv(tmp_path):
    with gzip.open(tmp_path / "invoices.csv.gz", "wt", encoding="utf-8") as fh:
        fh.write("invoice_id,customer_id,issued_at,amount\nI1,C1,2024-05-01,10\nI2,C1,2024-05-02,x\n")
    frame, rep = read_table(cfg(tmp_path, {"invoices": {"path": "invoices.csv.gz"}}), "invoices")
    assert frame["invoice_id"].tolist() == ["I1"]
    assert rep.rejected_lines == {"bad amount (expected an amount like 1234.50)": [3]}


def test_a_parquet_file(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "ticket_id": ["T1", None],
            "customer_id": ["C1", None],
            "created_at": pa.array([datetime(2024, 5, 1, 9, 0, tzinfo=timezone.utc), datetime(2024, 5, 2, 10, 30, tzinfo=timezone.utc)], type=pa.timestamp("us", "UTC")),
            "contacts": pa.array([1, 3], type=pa.int64()),
            "reopened": [False, True],
        }
    )
    pq.write_table(table, tmp_path / "tickets.parquet")
    frame, rep = read_table(cfg(tmp_path, {"tickets": {"path": "tickets.parquet"}}, timezone="Asia/Bangkok"), "tickets")
    assert frame["created_at"].tolist() == [pd.Timestamp("2024-05-01 09:00")]  # an instant: stays UTC
    assert frame["contacts"].tolist() == [1] and frame["reopened"].tolist() == [False]
    assert rep.rejected == {"empty ticket_id": 1} and rep.rejected_lines == {"empty ticket_id": [3]}


def test_a_file_with_a_tables_name_but_not_its_columns_is_not_read_as_it(tmp_path):
    # Stripe names its export subscriptions.csv: without a mapping it is not the canonical table.
    put(tmp_path, "subscriptions.csv", "id,Customer ID,Status,Start Date (UTC),Amount,Interval", "sub_1,cus_1,active,2024-01-01 00:00,10,month")
    put(tmp_path, "surveys.csv", "responded_at,survey,score", "2024-05-02,nps,9")
    ds = Dataset(cfg(tmp_path, {}))
    assert not ds.exists("subscriptions")
    assert "subscriptions.csv is in the data folder but is not read as the subscriptions table" in ds.why_absent("subscriptions")
    report = cli("report", "--data", tmp_path, "-p", "2024-05", "-f", "json", "-v")
    assert report.exit_code == 0, report.output
    skipped = {s["metric"]: s["reason"] for s in json.loads(report.stdout)["skipped"]}
    assert "is not read as the subscriptions table" in skipped["mrr"]
    mrr = cli("mrr", "--data", tmp_path, "-p", "2024-05")
    assert mrr.exit_code == 3 and "Map it under sources.subscriptions to read it" in mrr.stderr


def test_arrow_allocates_through_jemalloc_unless_the_environment_chooses():
    import os
    import subprocess
    import sys

    import pyarrow as pa

    try:
        pa.jemalloc_memory_pool()
        expected = "jemalloc"
    except NotImplementedError:  # a pyarrow without jemalloc keeps its default
        expected = pa.default_memory_pool().backend_name
    code = "import cs_metrics.sources, pyarrow as pa; print(pa.default_memory_pool().backend_name)"
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    chosen = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert chosen.stdout.strip() == expected
    env["ARROW_DEFAULT_MEMORY_POOL"] = "system"
    kept = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert kept.stdout.strip() == "system"
