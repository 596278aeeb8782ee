"""Support, survey and product-analytics exports read as the tools write them, each through its config
in tests/data/exports/<tool>/cs-metrics.yaml, end to end through the CLI. The expected values are the
hand computations of each folder's EXPECTED.md (the metrics that need no join to customers)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cs_metrics.cli import app

EXPORTS = Path(__file__).parent / "data" / "exports"


def run(tool: str, metric: str, period: str = "2026-10", *extra, config: Path | None = None) -> dict:
    r = CliRunner().invoke(app, [metric, "--config", str(config or EXPORTS / tool / "cs-metrics.yaml"), "--period", period, "--format", "json", *extra])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    out["stderr"] = r.stderr
    return out


def margin(p: float, d: float, n: int) -> float:
    """NPS margin of error at 95 %: 1.96 x sqrt((p + d) - (p - d)^2) / sqrt(n) x 100."""
    return 1.96 * math.sqrt((p + d) - (p - d) ** 2) / math.sqrt(n) * 100


# --------------------------------------------------------------------------- support


def test_zendesk_fcr_with_reopen_counts_and_replies_as_contacts():
    # 13 tickets created in October; 10 solved by its end (4130 open, 4133 pending, 4139 solved on
    # 1 November); first contact: 4118, 4122, 4126, 4128, 4131 (0 replies), 4137 -> 6. 4121 has one
    # reply but Reopens = 2, 4125 Reopens = 1: reopened.
    out = run("zendesk", "fcr")
    assert out["value"] == pytest.approx(6 / 10 * 100)
    assert {k: out["details"][k] for k in ("created", "resolved", "first_contact_resolved", "reopened")} == {
        "created": 13, "resolved": 10, "first_contact_resolved": 6, "reopened": 2,
    }  # fmt: skip
    assert "19 read, 19 used" in out["stderr"]  # Reopens = 2 is a flag, not a rejected value
    # November: 4142 and 4150 of the 3 solved (4145 reopened twice)
    assert run("zendesk", "fcr", "2026-11")["value"] == pytest.approx(2 / 3 * 100)


def test_zendesk_ticket_counts_and_medians():
    d = run("zendesk", "tickets")["details"]
    assert (d["created"], d["resolved_in_period"], d["open_at_close"], d["complaints"]) == (13, 10, 3, 2)
    # resolution: the 5th and 6th of the 10 sorted durations, 4126 (5 h 49 min 50 s) and 4122 (11 h 45 min)
    assert d["median_resolution_hours"] == pytest.approx((5 * 3600 + 49 * 60 + 50 + 11.75 * 3600) / 2 / 3600)
    # first response from `First reply time in minutes`: 11 tickets answered by the end of October
    # (4131 has no reply; 4139's reply, 25 min after 23:40 on the 31st, is in November):
    # 6, 8, 12, 22, 30, 55, 95, 110, 240, 640, 790 -> the 6th, 55 min
    assert d["median_first_response_hours"] == pytest.approx(55 / 60)


def test_freshdesk_fcr_and_tickets():
    out = run("freshdesk", "fcr")
    assert out["value"] == 75.0 and (out["details"]["resolved"], out["details"]["first_contact_resolved"]) == (4, 3)
    d = run("freshdesk", "tickets")["details"]
    assert (d["created"], d["resolved_in_period"], d["open_at_close"], d["complaints"]) == (6, 4, 2, None)
    assert d["median_first_response_hours"] == pytest.approx((25 + 105) / 2 / 60)  # 2310 25 min, 2312 1 h 45 min
    assert d["median_resolution_hours"] == pytest.approx((1.5 + 12.0) / 2)  # 2310, 2315


def test_intercom_fcr_and_tickets():
    out = run("intercom", "fcr")
    assert out["value"] == 50.0 and (out["details"]["created"], out["details"]["resolved"]) == (5, 4)
    d = run("intercom", "tickets")["details"]
    assert (d["created"], d["resolved_in_period"], d["open_at_close"]) == (5, 4, 1)
    assert d["median_first_response_hours"] == pytest.approx(10 / 60)  # 2, 5, 10, 20, 30 minutes
    assert d["median_resolution_hours"] == pytest.approx((0.5 + 1.0) / 2)  # to the last close: 0.33, 0.5, 1, 20 h


def test_help_scout_utc_times_on_bangkok_days():
    # 1201 (30 September 17:30 UTC) is 1 October in Bangkok; 1216 (31 October 18:30 UTC) is 1 November
    out = run("helpscout", "fcr")
    assert out["value"] == pytest.approx(2 / 3 * 100) and out["details"]["definition"] == "within_hours"
    d = run("helpscout", "tickets")["details"]
    assert (d["created"], d["resolved_in_period"], d["open_at_close"]) == (4, 3, 1)
    assert d["median_resolution_hours"] == 8.5 and d["median_first_response_hours"] is None
    assert run("helpscout", "fcr", "2026-11")["value"] == 100.0


def test_help_scout_has_no_contacts_for_the_default_fcr(tmp_path):
    config = yaml.safe_load((EXPORTS / "helpscout" / "cs-metrics.yaml").read_text(encoding="utf-8"))
    del config["metrics"]
    config["data"] = str(EXPORTS / "helpscout")
    (tmp_path / "cs.yaml").write_text(json.dumps(config), encoding="utf-8")
    r = CliRunner().invoke(app, ["fcr", "--config", str(tmp_path / "cs.yaml"), "--period", "2026-10"])
    assert r.exit_code == 3 and "has no contacts column" in r.stderr and "metrics.fcr.definition: within_hours" in r.stderr


# --------------------------------------------------------------------------- surveys


def test_nps_from_typeform_and_csat_from_google_forms_as_one_table():
    # one config, two files of the surveys table (../typeform/cs-metrics.yaml)
    nps = run("typeform", "nps")
    assert (nps["details"]["promoters"], nps["details"]["passives"], nps["details"]["detractors"]) == (5, 2, 3)
    assert nps["value"] == pytest.approx((5 - 3) / 10 * 100)
    assert nps["details"]["margin_of_error"] == pytest.approx(margin(0.5, 0.3, 10))  # 54.03
    csat = run("typeform", "csat")
    assert csat["value"] == pytest.approx(7 / 10 * 100) and csat["details"]["mean_score"] == pytest.approx(37 / 10)
    assert "27 read, 27 used" in csat["stderr"]  # 14 Typeform + 13 Google Forms rows
    # November (Bangkok days): axjmpfqm (2), zz7tv1ld (9), iexlubyt (8); CSAT 5 and 3
    november = run("typeform", "nps", "2026-11")
    assert november["value"] == 0.0 and november["details"]["responses"] == 3
    assert run("typeform", "csat", "2026-11")["value"] == 50.0


def test_comments_of_both_survey_files_keep_their_scripts():
    out = run("typeform", "feedback")
    assert out["value"] == 9 + 6  # October comments: Typeform's 10 responses but hloef2xh's, Google Forms' 6
    comments = {r["comment"] for r in out["rows"]}
    assert {"数据看板很好用", "ราคาสูงไปสำหรับทีมเล็ก", "Easy to set up 😊", "ตอบช้ามาก รอสามวัน", "问题解决得很快"} <= comments


def test_google_forms_csat_alone():
    out = run("googleforms", "csat")
    assert out["value"] == 70.0 and out["details"]["responses"] == 10
    assert [out["details"][f"score_{k}"] for k in range(1, 6)] == [1, 1, 1, 4, 3]


def test_surveymonkey_ces_from_word_answers_with_its_second_header_row_skipped():
    out = run("surveymonkey", "ces", "2026-10", "--strict")  # the skipped row is no rejection
    assert out["value"] == pytest.approx(5 / 8 * 100) and out["details"]["mean_score"] == pytest.approx(36 / 8)
    assert "11 read, 10 used, 1 filtered (rows after the header skipped (skip_rows): 1)" in out["stderr"]
    assert run("surveymonkey", "ces", "2026-11")["value"] == 100.0


def test_delighted_nps_from_epoch_seconds_on_bangkok_days():
    # 78302 (1790793000 = 30 September 18:30 UTC) is an October response in Bangkok
    out = run("delighted", "nps")
    assert (out["details"]["responses"], out["details"]["promoters"], out["details"]["detractors"]) == (8, 4, 2)
    assert out["value"] == 25.0 and out["details"]["margin_of_error"] == pytest.approx(margin(0.5, 0.25, 8))  # 57.46
    assert run("delighted", "nps", "2026-11")["value"] == 100.0


# --------------------------------------------------------------------------- product analytics, Bangkok days


@pytest.mark.parametrize(
    "tool, user_days, mau, sessions, total_seconds, median_seconds",
    [
        ("amplitude", 13, 9, 12, 12_900, 900),  # session ids shared by two users stay two sessions
        ("mixpanel", 5, 3, 5, 4_500, 1_200),  # no session id: a gap of exactly 30:00 does not split
        ("posthog", 6, 3, 5, 2_520, 300),
        ("segment", 4, 4, 5, 1_500, 0),
    ],
)
def test_dau_mau_and_sessions(tool, user_days, mau, sessions, total_seconds, median_seconds):
    stickiness = run(tool, "dau-mau")
    assert stickiness["details"]["mau"] == mau
    assert stickiness["value"] == pytest.approx(user_days / 31 / mau * 100)
    s = run(tool, "sessions")
    assert (s["details"]["sessions"], s["details"]["median_session_seconds"]) == (sessions, median_seconds)
    assert s["value"] == pytest.approx(total_seconds / sessions)
    assert s["details"]["sessions_per_active_user"] == pytest.approx(sessions / mau)


def test_amplitude_rejects_the_event_without_a_user_and_reads_november():
    out = run("amplitude", "dau-mau", "2026-11")
    assert "31 read, 30 used, 1 rejected" in out["stderr"] and "(line 12)" in out["stderr"]
    assert out["value"] == pytest.approx(3 / 30 / 3 * 100)
    november = run("amplitude", "sessions", "2026-11")["details"]
    assert (november["sessions"], november["total_session_seconds"]) == (2, 1_500)
