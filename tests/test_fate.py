"""One fate per row, whatever the command; loud failures for broken feeds (hand-made folders).

Each test reproduces a case where the same data used to give different numbers depending on the
command, or where a broken feed passed silently, and checks the numbers by hand."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cs_metrics.cli import app


def cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def write(folder: Path, name: str, *lines: str) -> Path:
    path = folder / name
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def doc(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def table_line(stderr: str, name: str) -> str:
    """The accounting line of one file on stderr (the same text in every command)."""
    return next(line for line in stderr.splitlines() if line.startswith(f"{name}:"))


# --------------------------------------------------------------------------- one fate per row


def test_a_bad_optional_date_rejects_the_row_in_every_command(tmp_path):
    # S2's term_ends_at "next year" is unparseable: the row is rejected by mrr too (not only by
    # report and validate), so closing MRR is S1's 100 alone (it used to be 300 in mrr).
    write(
        tmp_path, "subscriptions.csv",
        "subscription_id,customer_id,started_at,ended_at,mrr,term_ends_at",
        "S1,C1,2024-01-01,,100,2025-01-01",
        "S2,C2,2024-01-01,,200,next year",
    )  # fmt: skip
    alone = cli("mrr", "--data", tmp_path, "-p", "2024-05", "-f", "json")
    assert doc(alone)["value"] == 100.0
    report = cli("report", "--data", tmp_path, "-p", "2024-05", "-f", "json", "--metrics", "mrr,renewal-rate")
    assert next(m for m in doc(report)["metrics"] if m["metric"] == "mrr")["value"] == 100.0
    validate = cli("validate", "--data", tmp_path, "-f", "json")
    assert table_line(alone.stderr, "subscriptions.csv") == table_line(report.stderr, "subscriptions.csv")
    assert "1 rejected (bad term_ends_at" in table_line(alone.stderr, "subscriptions.csv")
    row = next(r for r in json.loads(validate.stdout)["rows"] if r["table"] == "subscriptions")
    assert (row["read"], row["used"], row["rejected"]) == (2, 1, 1)
    assert cli("mrr", "--data", tmp_path, "-p", "2024-05", "--strict").exit_code == 3


def test_tickets_fcr_and_report_reject_the_same_tickets(tmp_path):
    # T2 has a bad first_response_at (only `tickets` used to read it), T3 a bad contacts count
    # (only `fcr` used to read it): every command now rejects both.
    write(
        tmp_path, "tickets.csv",
        "ticket_id,customer_id,created_at,first_response_at,resolved_at,contacts,reopened",
        "T1,C1,2024-05-02 09:00,2024-05-02 10:00,2024-05-02 12:00,1,no",
        "T2,C1,2024-05-03 09:00,soon,2024-05-03 12:00,1,no",
        "T3,C2,2024-05-04 09:00,2024-05-04 10:00,2024-05-04 12:00,many,no",
        "T4,C2,2024-05-05 09:00,2024-05-05 10:00,2024-05-06 12:00,2,no",
    )  # fmt: skip
    tickets = cli("tickets", "--data", tmp_path, "-p", "2024-05", "-f", "json")
    fcr = cli("fcr", "--data", tmp_path, "-p", "2024-05", "-f", "json")
    report = cli("report", "--data", tmp_path, "-p", "2024-05", "-f", "json", "--metrics", "tickets,fcr")
    lines = {table_line(r.stderr, "tickets.csv") for r in (tickets, fcr, report)}
    assert len(lines) == 1 and "4 read, 2 used" in lines.pop()
    assert doc(tickets)["value"] == 2  # T1, T4
    assert doc(fcr)["value"] == 50.0  # T1 first contact, T4 two contacts: 1 / 2 resolved
    values = {m["metric"]: m["value"] for m in doc(report)["metrics"]}
    assert values == {"tickets": 2, "fcr": 50.0}


def test_a_repeated_response_id_is_rejected_by_every_command(tmp_path):
    # R1 twice: the first (a promoter) is kept, the repeat (a detractor) rejected. NPS = 100 alone
    # and in report (nps alone used to say 0.0), and --strict fails.
    write(
        tmp_path, "surveys.csv",
        "response_id,customer_id,responded_at,survey,score",
        "R1,C1,2024-05-02,nps,10",
        "R1,C2,2024-05-03,nps,0",
    )  # fmt: skip
    assert doc(cli("nps", "--data", tmp_path, "-p", "2024-05", "-f", "json"))["value"] == 100.0
    report = doc(cli("report", "--data", tmp_path, "-p", "2024-05", "-f", "json", "--metrics", "nps,feedback"))
    assert next(m for m in report["metrics"] if m["metric"] == "nps")["value"] == 100.0
    strict = cli("nps", "--data", tmp_path, "-p", "2024-05", "--strict")
    assert strict.exit_code == 3 and "duplicate response_id: 1 (line 3)" in strict.stderr


@pytest.mark.parametrize("spelling", ["NULL", "NA", "N/A", "nan", "NaN", "null"])
def test_null_words_in_a_date_are_rejected_whatever_the_quoting(tmp_path, spelling):
    # S2's ended_at is a null word, not a date: rejected. S3 is fine. With every field quoted the
    # file goes down the other read path: the same fate, the same MRR (100 + 30 = 130).
    rows = [
        ("subscription_id", "customer_id", "started_at", "ended_at", "mrr"),
        ("S1", "C1", "2024-01-01", "", "100"),
        ("S2", "C2", "2024-01-01", spelling, "50"),
        ("S3", "C3", "2024-02-01", "2024-12-01", "30"),
    ]
    for quoting, folder in ((csv.QUOTE_MINIMAL, tmp_path / "plain"), (csv.QUOTE_ALL, tmp_path / "quoted")):
        folder.mkdir()
        buf = io.StringIO()
        csv.writer(buf, quoting=quoting, lineterminator="\n").writerows(rows)
        (folder / "subscriptions.csv").write_text(buf.getvalue(), encoding="utf-8")
        r = cli("mrr", "--data", folder, "-p", "2024-05", "-f", "json")
        assert doc(r)["value"] == 130.0, quoting
        assert "3 read, 2 used, 1 rejected (bad ended_at" in r.stderr


def test_one_unrelated_bad_row_does_not_change_the_fate_of_others(tmp_path):
    # Scores: an exponent reads the same on both paths (1e1 = 10); `nan` is no score on either. Adding
    # an unparseable date elsewhere in the file (which sends it down the text path) changes nothing.
    good = ["response_id,responded_at,survey,score", "R1,2024-05-02,nps,1e1", "R2,2024-05-02,nps,nan", "R3,2024-05-03,nps,3"]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write(tmp_path / "a", "surveys.csv", *good)
    write(tmp_path / "b", "surveys.csv", *good, "R4,someday,nps,9")
    a = cli("nps", "--data", tmp_path / "a", "-p", "2024-05", "-f", "json")
    b = cli("nps", "--data", tmp_path / "b", "-p", "2024-05", "-f", "json")
    # R1 promoter (10), R3 detractor (3): (1 - 1) / 2 = 0.0 in both; R2 rejected in both
    assert doc(a)["value"] == doc(b)["value"] == 0.0
    assert doc(a)["details"]["responses"] == doc(b)["details"]["responses"] == 2
    assert "bad score (expected a number): 1 (line 3)" in a.stderr and "bad score (expected a number): 1 (line 3)" in b.stderr


def test_an_unclosed_quote_is_an_error_naming_its_line(tmp_path):
    write(
        tmp_path, "subscriptions.csv",
        "subscription_id,customer_id,started_at,ended_at,mrr,plan",
        'S1,C1,2024-01-01,,100,"pro',
        "S2,C2,2024-01-01,,200,basic",
        "S3,C3,2024-01-01,,300,basic",
        "S4,C4,2024-01-01,,400,basic",
    )  # fmt: skip
    for command in (["mrr", "-p", "2024-05"], ["validate"]):
        r = cli(*command, "--data", tmp_path)
        assert r.exit_code == 3, command
        assert "subscriptions.csv:2: a quoted value opened on this line never closes" in r.output


def test_a_stray_quote_inside_a_value_is_text(tmp_path):
    # An odd number of quotes that is not an open value: `12" screen` stays text.
    write(tmp_path, "customers.csv", "customer_id,name", 'C1,12" screen shop', "C2,Other")
    r = cli("validate", "--data", tmp_path, "-f", "json")
    assert r.exit_code == 0, r.output
    assert next(x for x in json.loads(r.stdout)["rows"] if x["table"] == "customers")["used"] == 2


def test_money_that_would_overflow_is_rejected_not_lost_or_wrapped(tmp_path):
    write(
        tmp_path, "subscriptions.csv",
        "subscription_id,customer_id,started_at,mrr",
        "S1,C1,2024-01-01,100",
        "S2,C2,2024-01-01,7000000000000",
    )  # fmt: skip
    r = cli("mrr", "--data", tmp_path, "-p", "2024-05", "-f", "json")
    assert doc(r)["value"] == 100.0
    assert "2 read, 1 used, 1 rejected (bad mrr (expected an amount like 1234.50): 1 (line 3))" in r.stderr
    # two invoices of 5e14 each used to sum past int64 and give a negative ARPU
    write(tmp_path, "invoices.csv", "invoice_id,customer_id,issued_at,amount", "I1,C1,2024-05-02,500000000000000", "I2,C2,2024-05-03,500000000000000", "I3,C1,2024-05-04,40")
    (tmp_path / "subscriptions.csv").unlink()
    arpu = doc(cli("arpu", "--data", tmp_path, "-p", "2024-05", "-f", "json"))
    assert arpu["value"] == 40.0  # I3 alone: 40 / 1 customer invoiced


def test_a_huge_rate_rejects_the_row(tmp_path):
    write(tmp_path, "subscriptions.csv", "subscription_id,customer_id,started_at,mrr,currency", "S1,C1,2024-01-01,100,USD", "S2,C2,2024-01-01,100,XYZ")
    (tmp_path / "cs.yaml").write_text(f"data: {tmp_path}\ncurrency:\n  base: USD\n  rates: {{XYZ: 1.0e300}}\n", encoding="utf-8")
    r = cli("mrr", "--config", tmp_path / "cs.yaml", "-p", "2024-05", "-f", "json")
    assert doc(r)["value"] == 100.0
    assert "bad mrr (above 100,000,000,000 USD after conversion): 1 (line 3)" in r.stderr


def test_a_never_date_in_9999_is_far_future_not_a_wrapped_past(tmp_path):
    # T1 "resolved" on 9999-12-31 (a "never" sentinel): open at the end of May, not resolved for FCR.
    write(
        tmp_path, "tickets.csv",
        "ticket_id,customer_id,created_at,resolved_at,contacts",
        "T1,C1,2024-05-02 09:00,9999-12-31 00:00,1",
        "T2,C1,2024-05-03 09:00,2024-05-03 10:00,1",
    )  # fmt: skip
    tickets = doc(cli("tickets", "--data", tmp_path, "-p", "2024-05", "-f", "json"))
    assert tickets["details"]["open_at_close"] == 1 and tickets["details"]["resolved_in_period"] == 1
    fcr = doc(cli("fcr", "--data", tmp_path, "-p", "2024-05", "-f", "json"))
    assert fcr["details"]["resolved"] == 1 and fcr["value"] == 100.0


def test_durations_across_a_dst_change_are_measured_on_instants(tmp_path):
    # 06:00Z -> 07:00Z on 2024-03-10 is one hour, though New York's clocks jump from 01:00 to 03:00.
    write(
        tmp_path, "tickets.csv",
        "ticket_id,customer_id,created_at,resolved_at",
        "T1,C1,2024-03-10T06:00:00Z,2024-03-10T07:00:00Z",
    )  # fmt: skip
    (tmp_path / "cs.yaml").write_text(f"data: {tmp_path}\ntimezone: America/New_York\n", encoding="utf-8")
    r = doc(cli("tickets", "--config", tmp_path / "cs.yaml", "-p", "2024-03", "-f", "json"))
    assert r["details"]["median_resolution_hours"] == 1.0


def test_naive_times_around_a_dst_change_are_local(tmp_path):
    # Naive local 01:30 and 03:30 on the spring-forward night are one hour apart (02:xx does not exist).
    write(tmp_path, "tickets.csv", "ticket_id,customer_id,created_at,resolved_at", "T1,C1,2024-03-10 01:30,2024-03-10 03:30")
    (tmp_path / "cs.yaml").write_text(f"data: {tmp_path}\ntimezone: America/New_York\n", encoding="utf-8")
    r = doc(cli("tickets", "--config", tmp_path / "cs.yaml", "-p", "2024-03", "-f", "json"))
    assert r["details"]["median_resolution_hours"] == 1.0


def test_a_custom_date_format_keeps_the_utc_offset(tmp_path):
    # 31/05/2024 20:00 +00:00 is 1 June 03:00 in Bangkok: S2 starts in June, so May's MRR is S1's 100
    # (it used to be 200, the offset dropped).
    write(
        tmp_path, "subscriptions.csv",
        "subscription_id,customer_id,started_at,mrr",
        "S1,C1,01/05/2024,100",
        "S2,C2,31/05/2024 20:00 +00:00,100",
        "S3,C3,31/05/2024 10:00 +00:00,50",  # 17:00 in Bangkok, still 31 May
    )  # fmt: skip
    (tmp_path / "cs.yaml").write_text(
        f"data: {tmp_path}\ntimezone: Asia/Bangkok\nsources:\n  subscriptions:\n    date_format: '%d/%m/%Y'\n", encoding="utf-8"
    )
    r = cli("mrr", "--config", tmp_path / "cs.yaml", "-p", "2024-05", "-f", "json")
    assert doc(r)["value"] == 150.0
    assert doc(cli("mrr", "--config", tmp_path / "cs.yaml", "-p", "2024-06", "-f", "json"))["value"] == 250.0


def test_z_in_a_datetime_format_is_applied(tmp_path):
    write(tmp_path, "tickets.csv", "ticket_id,customer_id,created_at", "T1,C1,31/05/2024 20:00 +0000", "T2,C1,31/05/2024 20:00 +0700")
    (tmp_path / "cs.yaml").write_text(
        f"data: {tmp_path}\ntimezone: Asia/Bangkok\nsources:\n  tickets:\n    datetime_format: '%d/%m/%Y %H:%M %z'\n",
        encoding="utf-8",
    )
    # T1 is 1 June 03:00 in Bangkok; T2 is 31 May 20:00 in Bangkok
    assert doc(cli("tickets", "--config", tmp_path / "cs.yaml", "-p", "2024-05", "-f", "json"))["value"] == 1
    assert doc(cli("tickets", "--config", tmp_path / "cs.yaml", "-p", "2024-06", "-f", "json"))["value"] == 1


# --------------------------------------------------------------------------- --by adds up


def test_health_by_segment_scores_every_customer_once(tmp_path):
    # Three paying customers with only a support component: open tickets A 0, B 1, C 2. Percentile
    # ranks among all three: 0, 50, 100 -> support 100, 50, 0. B is "at risk" (50) in the total;
    # scored inside segment "x" = {A, B} alone its rank would be 100 -> support 0 -> "poor". It must
    # stay at risk with the same score in its segment.
    write(tmp_path, "subscriptions.csv", "subscription_id,customer_id,started_at,mrr", "S1,A,2024-01-01,10", "S2,B,2024-01-01,20", "S3,C,2024-01-01,30")
    write(tmp_path, "customers.csv", "customer_id,region", "A,x", "B,x", "C,y")
    write(
        tmp_path, "tickets.csv",
        "ticket_id,customer_id,created_at,resolved_at",
        "T1,B,2024-05-01 09:00,", "T2,C,2024-05-01 09:00,", "T3,C,2024-05-02 09:00,",
    )  # fmt: skip
    (tmp_path / "cs.yaml").write_text(
        f"data: {tmp_path}\nmetrics:\n  health:\n    weights: {{usage: 0, breadth: 0, depth: 0, nps: 0, csat: 0, payments: 0, mrr_trend: 0}}\n",
        encoding="utf-8",
    )
    r = doc(cli("health", "--config", tmp_path / "cs.yaml", "-p", "2024-05", "--by", "region", "-f", "json"))
    assert r["value"] == 50.0  # (100 + 50 + 0) / 3
    segments = {s["segment"]: s for s in r["segments"]}
    assert segments["x"]["value"] == 75.0  # (100 + 50) / 2: the scores of the total
    assert segments["x"]["details"]["at_risk_customers"] == 1 and segments["x"]["details"]["good_customers"] == 1
    assert segments["y"]["value"] == 0.0 and segments["y"]["details"]["poor_customers"] == 1


def test_crc_by_segment_splits_costs_by_their_own_column(tmp_path):
    write(tmp_path, "subscriptions.csv", "subscription_id,customer_id,started_at,mrr", "S1,A,2024-01-01,10", "S2,B,2024-01-01,20", "S3,C,2024-01-01,30")
    write(tmp_path, "customers.csv", "customer_id,region", "A,x", "B,x", "C,y")
    write(tmp_path, "costs.csv", "month,category,amount,region", "2024-05,csm,300,x", "2024-05,csm,500,y")
    r = doc(cli("crc", "--data", tmp_path, "-p", "2024-05", "--by", "region", "-f", "json"))
    assert r["value"] == pytest.approx(800 / 3)
    segments = {s["segment"]: s["value"] for s in r["segments"]}
    assert segments == {"x": 150.0, "y": 500.0}  # 300 / 2 customers; 500 / 1


def test_crc_by_segment_without_a_cost_breakdown_is_undefined(tmp_path):
    write(tmp_path, "subscriptions.csv", "subscription_id,customer_id,started_at,mrr", "S1,A,2024-01-01,10", "S2,C,2024-01-01,30")
    write(tmp_path, "customers.csv", "customer_id,region", "A,x", "C,y")
    write(tmp_path, "costs.csv", "month,category,amount", "2024-05,csm,800")
    r = cli("crc", "--data", tmp_path, "-p", "2024-05", "--by", "region", "-f", "json", "--verbose")
    d = doc(r)
    assert d["value"] == 400.0  # the total still has its figure: 800 / 2
    assert [s["value"] for s in d["segments"]] == [None, None]  # never 800 charged to each segment
    assert "warning: [x] CRC per region is undefined: the retention costs are not broken down by region" in r.stderr


def test_usage_depth_does_not_count_an_empty_event_name(tmp_path):
    # C1's events in May: "login" and one with no name: depth 1.0 (it used to be 2.0).
    write(tmp_path, "subscriptions.csv", "subscription_id,customer_id,started_at,mrr", "S1,C1,2024-01-01,10")
    write(tmp_path, "events.csv", "customer_id,user_id,occurred_at,event", "C1,U1,2024-05-02 09:00,login", "C1,U1,2024-05-03 09:00,")
    r = doc(cli("usage", "--data", tmp_path, "-p", "2024-05", "-f", "json"))
    assert r["details"]["depth"] == 1.0


# --------------------------------------------------------------------------- broken feeds fail loudly


def test_a_table_with_rows_but_none_usable_stops_the_metric(tmp_path):
    write(tmp_path, "surveys.csv", "response_id,responded_at,survey,score", *(f"R{i},2024-05-02,,5" for i in range(90)))
    r = cli("nps", "--data", tmp_path, "-p", "2024-05")
    assert r.exit_code == 3
    assert "error: surveys.csv: 90 rows, all rejected: empty survey 90" in r.stderr
    v = cli("validate", "--data", tmp_path, "-f", "json")
    assert v.exit_code == 3
    assert next(x for x in json.loads(v.stdout)["rows"] if x["table"] == "surveys")["status"] == "broken"


def test_no_input_table_at_all_is_a_data_error(tmp_path):
    (tmp_path / "empty").mkdir()
    for command in (["validate"], ["report", "-p", "2024-05"]):
        r = cli(*command, "--data", tmp_path / "empty")
        assert r.exit_code == 3, command
        assert f"no input table found in {tmp_path / 'empty'}" in r.stderr


def test_report_exits_3_when_a_present_file_cannot_be_parsed(tmp_path):
    write(tmp_path, "subscriptions.csv", "subscription_id,customer_id,started_at,mrr", "S1,C1,2024-01-01,100")
    (tmp_path / "surveys.csv").write_bytes(b"response_id,responded_at,survey,score\nR1,2024-05-02,nps,\xff\xfe9\n")
    r = cli("report", "--data", tmp_path, "-p", "2024-05", "-f", "csv")
    assert r.exit_code == 3
    assert "cannot be decoded" in r.stderr
    assert "mrr," in r.stdout  # the metrics that could be computed are still written


def test_check_rule_whose_input_is_missing_is_unknown_and_exits_3(tmp_path):
    write(tmp_path, "subscriptions.csv", "subscription_id,customer_id,started_at,mrr", "S1,C1,2024-01-01,100")
    (tmp_path / "cs.yaml").write_text(f"data: {tmp_path}\nalerts:\n  - metric: nps\n    below: 20\n", encoding="utf-8")
    r = cli("check", "--config", tmp_path / "cs.yaml", "-p", "2024-05", "-f", "csv")
    assert r.exit_code == 3
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert rows[0]["status"] == "unknown" and "surveys.csv" in rows[0]["reason"]


def test_check_min_n_and_sample_size(tmp_path):
    # Japan has one detractor response: NPS -100, but 1 < min_n 5 -> not enough data, not a breach.
    write(
        tmp_path, "surveys.csv",
        "response_id,customer_id,responded_at,survey,score",
        "R1,C1,2024-05-02,nps,10", "R2,C2,2024-05-02,nps,10", "R3,C3,2024-05-02,nps,0",
        "R4,C4,2024-05-02,nps,9", "R5,C5,2024-05-02,nps,9", "R6,J1,2024-05-02,nps,2",
    )  # fmt: skip
    write(tmp_path, "customers.csv", "customer_id,country", "C1,TH", "C2,TH", "C3,TH", "C4,TH", "C5,TH", "J1,JP")
    (tmp_path / "cs.yaml").write_text(
        f"data: {tmp_path}\nalerts:\n  - metric: nps\n    below: 20\n    by: country\n    min_n: 5\n", encoding="utf-8"
    )
    r = cli("check", "--config", tmp_path / "cs.yaml", "-p", "2024-05", "-f", "csv")
    rows = {row["segment"]: row for row in csv.DictReader(io.StringIO(r.stdout))}
    assert r.exit_code == 0, r.output
    assert (rows["JP"]["status"], rows["JP"]["n"], rows["JP"]["sample"]) == ("not enough data", "1", "responses")
    # TH: 4 promoters, 1 detractor of 5 -> 60, ok; total: 4 promoters, 2 detractors of 6 -> 33.3, ok
    assert (rows["TH"]["status"], rows["TH"]["n"], float(rows["TH"]["value"])) == ("ok", "5", 60.0)
    assert (rows["total"]["status"], rows["total"]["n"]) == ("ok", "6")
    assert (rows["total"]["segment_kind"], rows["JP"]["segment_kind"]) == ("total", "value")  # a real "total" stays apart


def test_an_internal_error_has_its_own_exit_code(tmp_path, monkeypatch):
    import cs_metrics.metrics.voice as voice

    def boom(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(voice, "nps", boom)
    write(tmp_path, "surveys.csv", "response_id,responded_at,survey,score", "R1,2024-05-02,nps,9")
    r = cli("nps", "--data", tmp_path, "-p", "2024-05")
    assert r.exit_code == 4
    assert r.stderr.startswith("error: internal error: ZeroDivisionError: a bug")
