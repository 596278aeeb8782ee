"""Values and files as the tools write them: times given as the time since creation (`elapsed`), one
header read as two columns, Excel's "Unicode text" (UTF-16 with a BOM, tab-separated)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from cs_metrics.cli import app
from cs_metrics.config import parse_config
from cs_metrics.errors import ConfigError
from cs_metrics.load import read_table
from cs_metrics.sources import values

EXPORTS = Path(__file__).parent / "data" / "exports"


def test_a_time_given_as_minutes_or_hh_mm_ss_since_creation():
    # Freshdesk writes the first response both as an instant (Initial response time) and as the time
    # since creation (First response time (in hrs), 43:45:00 style): read both ways, they agree.
    base = {"path": "Tickets_2026-11-30.csv", "columns": {"ticket_id": "Ticket ID", "customer_id": "Email", "created_at": "Created time"}}
    as_instant = {**base, "columns": {**base["columns"], "first_response_at": "Initial response time"}}
    as_elapsed = {**base, "columns": {**base["columns"], "first_response_at": "First response time (in hrs)"}, "elapsed": {"first_response_at": "h:mm:ss"}}
    frames = [read_table(parse_config({"timezone": "Asia/Bangkok", "sources": {"tickets": s}}, EXPORTS / "freshdesk"), "tickets", optional=["first_response_at"])[0]
              for s in (as_instant, as_elapsed)]  # fmt: skip
    assert frames[0]["first_response_at"].tolist() == frames[1]["first_response_at"].tolist()
    assert frames[1]["first_response_at"].iloc[3] == pd.Timestamp("2026-10-10 00:50")  # 2315: 20:00 + 11:50 in Bangkok, as UTC


def test_elapsed_values_that_are_not_times_are_rejected(tmp_path):
    (tmp_path / "tickets.csv").write_text(
        "Id,Org,Created at,First reply time in minutes\n1,A,2026-10-01 09:00:00,22\n2,A,2026-10-01 09:00:00,soon\n"
        "3,A,2026-10-01 09:00:00,-5\n4,A,2026-10-01 09:00:00,\n5,A,2026-10-01 09:00:00,1.5\n",
        encoding="utf-8",
    )
    source = {"columns": {"ticket_id": "Id", "customer_id": "Org", "created_at": "Created at", "first_response_at": "First reply time in minutes"},
              "elapsed": {"first_response_at": "minutes"}}  # fmt: skip
    frame, rep = read_table(parse_config({"sources": {"tickets": source}}, tmp_path), "tickets", optional=["first_response_at"])
    assert frame["first_response_at"].tolist()[0] == pd.Timestamp("2026-10-01 09:22")
    assert pd.isna(frame["first_response_at"].iloc[1]) and frame["first_response_at"].iloc[2] == pd.Timestamp("2026-10-01 09:01:30")
    assert rep.rejected_lines == {"bad first_response_at (expected a number of minutes since created_at)": [3, 4]}


@pytest.mark.parametrize(
    "cells, unit, seconds",
    [
        (["22", " 0 ", "1.5"], "minutes", [1320, 0, 90]),
        (["2", "0.25"], "hours", [7200, 900]),
        (["43:45:00", "00:02:00", "534:31:57", "1:30"], "h:mm:ss", [157_500, 120, 534 * 3600 + 31 * 60 + 57, 5400]),
        (["-5", "abc", "", "1:75:00", "NULL"], "h:mm:ss", [None] * 5),
        (["-5", "abc", "", "nan"], "seconds", [None] * 4),
    ],
)
def test_parse_elapsed(cells, unit, seconds):
    out = values.parse_elapsed(pd.Series(cells, dtype=object), unit)
    assert [None if pd.isna(x) else x for x in out.tolist()] == seconds


@pytest.mark.parametrize(
    "source, message",
    [
        ({"tickets": {"elapsed": {"contacts": "minutes"}}}, "sources.tickets.elapsed.contacts: only a datetime column of a table with created_at"),
        ({"tickets": {"elapsed": {"created_at": "minutes"}}}, "tickets has first_response_at, resolved_at"),
        ({"events": {"elapsed": {"occurred_at": "seconds"}}}, "sources.events.elapsed.occurred_at: only a datetime column"),
        ({"tickets": {"elapsed": {"resolved_at": "weeks"}}}, "sources.tickets.elapsed.resolved_at: must be one of"),
    ],
)
def test_elapsed_in_the_config_is_checked(source, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_config({"sources": source})


def test_one_header_mapped_to_two_columns(tmp_path):
    # Amplitude's user_id is an e-mail: the user, and the account by its domain (B2C: the user is the customer)
    (tmp_path / "events.csv").write_text("user_id,event_time\na@x.co,2026-10-01 10:00:00\nb@y.co,2026-10-02 10:00:00\n", encoding="utf-8")
    source = {"columns": {"user_id": "user_id", "customer_id": "user_id", "occurred_at": "event_time"}}
    frame, rep = read_table(parse_config({"sources": {"events": source}}, tmp_path), "events", optional=["customer_id"])
    assert frame["customer_id"].tolist() == frame["user_id"].tolist() == ["a@x.co", "b@y.co"] and rep.used == 2


def test_excel_unicode_text_utf16_with_a_bom_and_tabs_end_to_end(tmp_path):
    # The HubSpot companies export re-saved by Excel as "Unicode Text (*.txt)": UTF-16 LE with a BOM,
    # tab-separated, CRLF line ends; Thai and Chinese names.
    with open(EXPORTS / "hubspot" / "hubspot-crm-exports-all-companies-2026-11-30.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    text = "".join("\t".join(row) + "\r\n" for row in rows)
    (tmp_path / "companies.txt").write_bytes(text.encode("utf-16"))  # Python writes the BOM, little-endian here
    assert (tmp_path / "companies.txt").read_bytes()[:2] == b"\xff\xfe"
    config = {"data": str(tmp_path), "sources": {"customers": {"path": "companies.txt", "encoding": "utf-16", "delimiter": "\\t",
              "columns": {"customer_id": "Record ID", "name": "Company name", "created_at": "Create Date", "referred_by": "Referred By"}}}}  # fmt: skip
    (tmp_path / "cs.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    r = CliRunner().invoke(app, ["referrals", "--config", str(tmp_path / "cs.yaml"), "--period", "2026-10", "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["value"] == 50.0 and (out["details"]["new_customers"], out["details"]["referred_customers"]) == (2, 1)
    assert out["rows"][0]["referrer_id"] == "บริษัท กรุงเทพ ฟู้ดส์ จำกัด"  # by name: resolving it to a record id is a join
    assert "companies.txt: 9 read, 9 used" in r.stderr

