"""Hand-computed cases for fcr and tickets, the FCR worked example of metrics.md, and the CLI on a
tiny data folder. Frames are built here in the loader's output shape (naive local datetimes,
contacts nullable Int64, reopened nullable boolean), independent of the CSV reader.

Period 2024-05: a ticket is created in P when 2024-05-01 00:00 <= created_at < 2024-06-01 00:00,
and resolved by the end of P when resolved_at < 2024-06-01 00:00."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from cs_metrics.cli import app
from cs_metrics.config import parse_config
from cs_metrics.errors import DataError
from cs_metrics.metrics.support import fcr, tickets
from cs_metrics.period import parse_period
from frames import subs

MAY = parse_period("2024-05")
CFG = parse_config({})


def cfg(**metrics) -> object:
    return parse_config({"metrics": metrics})


def tix(*rows) -> pd.DataFrame:
    """rows: (created_at, resolved_at, contacts, reopened[, first_response_at, category, customer]);
    None = an empty cell."""
    records = []
    for i, row in enumerate(rows):
        created, resolved, contacts, reopened, *more = row
        first_response, category, customer = (more + [None, None, None])[:3]
        records.append(
            {
                "ticket_id": f"T{i + 1}",
                "customer_id": customer or "C1",
                "created_at": pd.Timestamp(created),
                "first_response_at": pd.Timestamp(first_response) if first_response else pd.NaT,
                "resolved_at": pd.Timestamp(resolved) if resolved else pd.NaT,
                "contacts": contacts,
                "reopened": reopened,
                "category": category,
            }
        )
    frame = pd.DataFrame.from_records(records)
    return frame.astype(
        {"ticket_id": "str", "customer_id": "str", "contacts": "Int64", "reopened": "boolean", "category": "str"}
    )


# --------------------------------------------------------------------------- fcr

# FCR tickets, period 2024-05:
#   T1  05-02 09:00 -> 05-02 10:00 (1 h)    contacts 1, not reopened    resolved, first contact
#   T2  05-03 10:00 -> 05-04 10:00 (24 h)   contacts 2, not reopened    resolved; first contact only with max_contacts 2
#   T3  05-05 08:00 -> 05-05 09:00 (1 h)    contacts 1, reopened yes    resolved, not first contact (reopened)
#   T4  05-06 08:00 -> 05-06 12:00 (4 h)    contacts empty, reopened empty  resolved, not first contact (empty contacts)
#   T5  05-07 08:00 -> 05-07 09:00 (1 h)    contacts 1, reopened empty  resolved, first contact (empty = not reopened)
#   T6  05-31 23:59 -> 06-01 00:30          contacts 1                  created in P (last minute), resolved after the end: not resolved
#   T7  05-20 12:00 -> open                 contacts empty              created in P, not resolved
#   T8  04-30 23:59 -> 05-01 08:00          contacts 1                  created before P: out
#   T9  06-01 00:00 -> 06-01 02:00          contacts 1                  created after P: out
#   T10 05-01 00:00 -> 05-31 23:59:59       contacts 0, not reopened    created at the first instant, resolved at the last second:
#                                                                       resolved, first contact (0 <= 1), 744 h - 1 s
# created = T1..T7, T10 = 8; resolved = T1 T2 T3 T4 T5 T10 = 6; reopened among resolved = T3 = 1.
FCR_TICKETS = tix(
    ("2024-05-02 09:00", "2024-05-02 10:00", 1, False),
    ("2024-05-03 10:00", "2024-05-04 10:00", 2, False),
    ("2024-05-05 08:00", "2024-05-05 09:00", 1, True),
    ("2024-05-06 08:00", "2024-05-06 12:00", None, None),
    ("2024-05-07 08:00", "2024-05-07 09:00", 1, None),
    ("2024-05-31 23:59", "2024-06-01 00:30", 1, False),
    ("2024-05-20 12:00", None, None, None),
    ("2024-04-30 23:59", "2024-05-01 08:00", 1, False),
    ("2024-06-01 00:00", "2024-06-01 02:00", 1, False),
    ("2024-05-01 00:00", "2024-05-31 23:59:59", 0, False),
)


def test_fcr_default_contacts_over_resolved():
    r = fcr({"tickets": FCR_TICKETS}, MAY, CFG)
    # first contact: T1, T5, T10 = 3 of 6 resolved -> 50 %
    assert r.value == pytest.approx(50.0)
    assert r.unit == "percent"
    d = r.details
    assert (d["created"], d["resolved"], d["first_contact_resolved"], d["reopened"]) == (8, 6, 3, 1)
    assert (d["definition"], d["denominator"], d["max_contacts"]) == ("contacts", "resolved", 1)
    assert "within_hours" not in d
    assert d["ci95_low"] < 50 < d["ci95_high"]
    # T4 is resolved with an empty contacts cell; 6 resolved < 30 gives the low-sample warning
    assert any("1 resolved tickets have no contacts count" in w for w in r.warnings)
    assert any("only 6 tickets" in w for w in r.warnings)
    assert r.filtered == {"tickets": {"created outside the period": 2}}  # T8, T9
    assert "3 first-contact resolved / 6 resolved tickets x 100 = 50.00 %" in r.formula
    assert "contacts <= 1" in r.definition and "on or before the end of 2024-05-31" in r.definition


def test_fcr_max_contacts_two_counts_the_two_contact_ticket():
    r = fcr({"tickets": FCR_TICKETS}, MAY, cfg(fcr={"max_contacts": 2}))
    # T1, T2 (2 contacts), T5, T10 = 4 of 6 -> 66.67 %
    assert r.value == pytest.approx(400 / 6)
    assert r.details["first_contact_resolved"] == 4 and r.details["max_contacts"] == 2


def test_fcr_denominator_created():
    r = fcr({"tickets": FCR_TICKETS}, MAY, cfg(fcr={"denominator": "created"}))
    # 3 first contact / 8 created = 37.5 %
    assert r.value == pytest.approx(37.5)
    assert r.details["denominator"] == "created"
    assert "3 first-contact resolved / 8 tickets created x 100 = 37.50 %" in r.formula


def test_fcr_within_hours_needs_no_contacts_column():
    frame = FCR_TICKETS.drop(columns="contacts")
    r = fcr({"tickets": frame}, MAY, cfg(fcr={"definition": "within_hours"}))
    # within 24 h and not reopened, resolved by the end: T1 (1 h), T2 (exactly 24 h: within),
    # T4 (4 h), T5 (1 h); T3 reopened; T10 takes 744 h - 1 s; T6 resolved after the end. 4 of 6.
    assert r.value == pytest.approx(400 / 6)
    d = r.details
    assert (d["resolved"], d["first_contact_resolved"], d["definition"], d["within_hours"]) == (6, 4, "within_hours", 24)
    assert "max_contacts" not in d
    assert "resolved within 24 hours of creation" in r.definition


def test_fcr_within_hours_shorter_window_and_denominator_created():
    r = fcr({"tickets": FCR_TICKETS}, MAY, cfg(fcr={"definition": "within_hours", "within_hours": 2, "denominator": "created"}))
    # within 2 h and not reopened: T1 (1 h), T5 (1 h) = 2; T6 (31 min) is resolved after the end of P. 2 of 8 = 25 %
    assert r.value == pytest.approx(25.0)


def test_fcr_a_ticket_resolved_after_the_end_is_not_resolved_for_that_period():
    # One ticket created 05-31 23:59, resolved 06-01 00:30 on its first contact.
    frame = tix(("2024-05-31 23:59", "2024-06-01 00:30", 1, False))
    may = fcr({"tickets": frame}, MAY, CFG)
    assert (may.details["created"], may.details["resolved"]) == (1, 0)
    assert may.value is None and any("undefined" in w for w in may.warnings)
    # over the created tickets it is 0 of 1, not 1 of 1
    assert fcr({"tickets": frame}, MAY, cfg(fcr={"denominator": "created"})).value == 0
    # and June does not pick it up: it was created in May
    assert fcr({"tickets": frame}, parse_period("2024-06"), CFG).details["created"] == 0


def test_fcr_worked_example_78_percent():
    # 100 tickets, all resolved, 78 resolved on the first contact: 78 %.
    rows = [("2024-05-10 09:00", "2024-05-10 15:00", 1 if i < 78 else 3, False) for i in range(100)]
    r = fcr({"tickets": tix(*rows)}, MAY, CFG)
    assert r.value == pytest.approx(78.0)
    assert (r.details["resolved"], r.details["first_contact_resolved"]) == (100, 78)
    assert not any("only" in w for w in r.warnings)  # 100 tickets: no low-sample warning


def test_fcr_without_a_contacts_column_is_a_data_error_naming_the_fix():
    with pytest.raises(DataError) as err:
        fcr({"tickets": FCR_TICKETS.drop(columns="contacts")}, MAY, CFG)
    text = str(err.value)
    assert "\n" not in text
    assert "tickets.csv has no contacts column" in text
    assert "sources.tickets.columns.contacts" in text and "metrics.fcr.definition: within_hours" in text


def test_fcr_without_a_resolved_at_column_is_a_data_error():
    with pytest.raises(DataError, match="tickets.csv has no resolved_at column"):
        fcr({"tickets": FCR_TICKETS.drop(columns="resolved_at")}, MAY, CFG)


def test_fcr_empty_period_is_undefined():
    r = fcr({"tickets": FCR_TICKETS}, parse_period("2024-08"), CFG)
    assert r.value is None
    assert r.details["created"] == 0 and r.details["ci95_low"] is None
    assert any("undefined" in w for w in r.warnings)


def test_fcr_reopened_column_absent_means_not_reopened():
    r = fcr({"tickets": FCR_TICKETS.drop(columns="reopened")}, MAY, CFG)
    # T3 now counts: T1, T3, T5, T10 = 4 of 6
    assert r.value == pytest.approx(400 / 6)
    assert r.details["reopened"] == 0


# --------------------------------------------------------------------------- tickets

# Tickets, period 2024-05 (created, first response, resolved, category):
#   K1 04-20 10:00, 04-20 11:00, 05-03 10:00, bug         created before P; resolved in P
#   K2 04-25 09:00, -,           open,        question    created before P; open at close
#   K3 04-28 09:00, -,           04-29 09:00, complaint   neither: left out
#   K4 05-02 08:00, 05-02 09:00, 05-02 12:00, Complaint   created; resolved in P; complaint; 1 h / 4 h
#   K5 05-10 08:00, 05-10 11:00, 05-11 08:00, COMPLAINT   created; resolved in P; complaint; 3 h / 24 h
#   K6 05-15 00:00, 05-15 02:00, 05-15 10:00, question    created; resolved in P; 2 h / 10 h
#   K7 05-20 12:00, 05-20 18:00, open,        (empty)     created; open at close; 6 h / -
#   K8 05-31 23:59, 06-01 00:29, 06-01 01:00, bug         created (last minute); open at close (resolved after the end);
#                                                         its first response and resolution come after the end: in no median
#   K9 06-02 09:00, -,           06-03 09:00, complaint   created after P: left out
# created 5 (K4..K8); resolved in P 4 (K1 K4 K5 K6); open at close 3 (K2 K7 K8); complaints 2 (K4 K5);
# median first response over K4 K5 K6 K7 = [1, 2, 3, 6] -> (2 + 3) / 2 = 2.5 h;
# median resolution over K4 K5 K6 = [4, 10, 24] -> 10 h.
TICKETS = tix(
    ("2024-04-20 10:00", "2024-05-03 10:00", 1, False, "2024-04-20 11:00", "bug", "C1"),
    ("2024-04-25 09:00", None, None, None, None, "question", "C2"),
    ("2024-04-28 09:00", "2024-04-29 09:00", 1, False, None, "complaint", "C1"),
    ("2024-05-02 08:00", "2024-05-02 12:00", 1, False, "2024-05-02 09:00", "Complaint", "C1"),
    ("2024-05-10 08:00", "2024-05-11 08:00", 2, False, "2024-05-10 11:00", "COMPLAINT", "C2"),
    ("2024-05-15 00:00", "2024-05-15 10:00", 1, False, "2024-05-15 02:00", "question", "C3"),
    ("2024-05-20 12:00", None, None, None, "2024-05-20 18:00", None, "C4"),
    ("2024-05-31 23:59", "2024-06-01 01:00", 1, False, "2024-06-01 00:29", "bug", "C1"),
    ("2024-06-02 09:00", "2024-06-03 09:00", 1, False, None, "complaint", "C1"),
)

# Active (paying on some day of May): C1 running; C2 ends 05-02 (paid 05-01); C3 starts 05-31 (paid on the
# last day); C4 running. Not active: C5 starts 06-01; C6 only a trial in May; C7 ends 05-01 (last paid 04-30).
# 4 active customers: 5 tickets / 4 x 100 = 125.0 per 100.
SUBS = subs(
    ("C1", "2024-01-01", None, 100),
    ("C2", "2024-01-01", "2024-05-02", 100),
    ("C3", "2024-05-31", None, 50),
    ("C4", "2024-03-01", None, 70),
    ("C5", "2024-06-01", None, 90),
    ("C6", "2024-05-01", "2024-05-31", 0, True),
    ("C7", "2024-01-01", "2024-05-01", 80),
)


def test_tickets_by_hand():
    r = tickets({"tickets": TICKETS, "subscriptions": SUBS}, MAY, CFG)
    assert r.value == 5 and r.unit == "count"
    assert r.details == {
        "created": 5,
        "resolved_in_period": 4,
        "open_at_close": 3,
        "complaints": 2,
        "median_first_response_hours": pytest.approx(2.5),
        "median_resolution_hours": pytest.approx(10.0),
        "active_customers": 4,
        "tickets_per_100_active_customers": pytest.approx(125.0),
    }
    assert isinstance(r.details["median_resolution_hours"], float)
    assert r.warnings == []
    assert r.filtered == {"tickets": {"not created, resolved or open in the period": 2}}  # K3, K9
    assert "5 / 4 x 100 = 125.00" in r.formula
    assert "resolved by the end of 2024-05-31" in r.definition and "complaint (any case)" in r.definition


def test_tickets_complaint_categories_from_config_any_case():
    r = tickets({"tickets": TICKETS, "subscriptions": SUBS}, MAY, cfg(tickets={"complaint_categories": ["QUESTION", "Bug"]}))
    # created in P with category question or bug, any case: K6 (question), K8 (bug) = 2; K4 K5 are no longer complaints
    assert r.details["complaints"] == 2


def test_tickets_medians_with_even_counts_and_none_over_no_tickets():
    # resolution over K4 K5 K6 plus one more: created 05-20 08:00 resolved 05-22 08:00 (48 h)
    # -> [4, 10, 24, 48] -> (10 + 24) / 2 = 17 h
    extra = tix(("2024-05-20 08:00", "2024-05-22 08:00", 1, False, None, "bug", "C1"))
    frame = pd.concat([TICKETS, extra], ignore_index=True)
    r = tickets({"tickets": frame, "subscriptions": SUBS}, MAY, CFG)
    assert r.details["median_resolution_hours"] == pytest.approx(17.0)
    assert r.details["median_first_response_hours"] == pytest.approx(2.5)  # the extra ticket has no first response
    # July: nothing created -> 0 tickets, medians None (not 0); K2 still open at its close
    july = tickets({"tickets": TICKETS, "subscriptions": SUBS}, parse_period("2024-07"), CFG)
    assert july.value == 0
    assert july.details["median_first_response_hours"] is None and july.details["median_resolution_hours"] is None
    assert july.details["open_at_close"] == 2  # K2 and K7 were never resolved


def test_tickets_open_at_close_counts_a_ticket_resolved_after_the_end():
    # K8 created 05-31 23:59, resolved 06-01 01:00: open at the close of May, resolved in June, created in May only
    frame = TICKETS.iloc[[7]]
    may = tickets({"tickets": frame}, MAY, CFG)
    june = tickets({"tickets": frame}, parse_period("2024-06"), CFG)
    assert (may.value, may.details["open_at_close"], may.details["resolved_in_period"]) == (1, 1, 0)
    assert (june.value, june.details["open_at_close"], june.details["resolved_in_period"]) == (0, 0, 1)
    assert may.details["median_resolution_hours"] is None  # resolved after the end of May


def test_tickets_without_the_active_customer_table_warns_which_file():
    r = tickets({"tickets": TICKETS}, MAY, CFG)
    assert r.value == 5
    assert r.details["tickets_per_100_active_customers"] is None and r.details["active_customers"] is None
    assert any("subscriptions.csv" in w and "per 100 active customers" in w for w in r.warnings)
    events = tickets({"tickets": TICKETS}, MAY, parse_config({"active_customer": "events"}))
    assert any("events.csv" in w for w in events.warnings)


def test_tickets_no_active_customer_is_undefined_per_100():
    r = tickets({"tickets": TICKETS, "subscriptions": SUBS.iloc[[4]]}, MAY, CFG)  # only C5, from June
    assert r.details["active_customers"] == 0 and r.details["tickets_per_100_active_customers"] is None
    assert any("undefined" in w for w in r.warnings)


def test_tickets_without_optional_columns_gives_none_with_warnings():
    frame = TICKETS.drop(columns=["resolved_at", "category", "first_response_at"])
    r = tickets({"tickets": frame, "subscriptions": SUBS}, MAY, CFG)
    assert r.value == 5
    d = r.details
    assert d["resolved_in_period"] is None and d["open_at_close"] is None and d["complaints"] is None
    assert d["median_first_response_hours"] is None and d["median_resolution_hours"] is None
    for column in ("resolved_at", "category", "first_response_at"):
        assert any(f"no {column} column" in w for w in r.warnings), column


def test_tickets_response_before_creation_is_left_out_of_the_median():
    # first response 1 h before creation (bad data) and one 3 h after: median over [3] = 3 h
    frame = tix(
        ("2024-05-02 08:00", None, None, None, "2024-05-02 07:00"),
        ("2024-05-03 08:00", None, None, None, "2024-05-03 11:00"),
    )
    r = tickets({"tickets": frame}, MAY, CFG)
    assert r.details["median_first_response_hours"] == pytest.approx(3.0)
    assert any("1 tickets have first_response_at before created_at" in w for w in r.warnings)


def test_inputs_are_not_mutated():
    before = TICKETS.copy(deep=True)
    tickets({"tickets": TICKETS, "subscriptions": SUBS}, MAY, CFG)
    fcr({"tickets": TICKETS}, MAY, CFG)
    pd.testing.assert_frame_equal(TICKETS, before)


# --------------------------------------------------------------------------- CLI

# The TICKETS and SUBS rows above as CSV files.
TICKETS_CSV = """\
ticket_id,customer_id,created_at,first_response_at,resolved_at,contacts,reopened,category
K1,C1,2024-04-20T10:00:00,2024-04-20T11:00:00,2024-05-03T10:00:00,1,no,bug
K2,C2,2024-04-25T09:00:00,,,,,question
K3,C1,2024-04-28T09:00:00,,2024-04-29T09:00:00,1,no,complaint
K4,C1,2024-05-02T08:00:00,2024-05-02T09:00:00,2024-05-02T12:00:00,1,no,Complaint
K5,C2,2024-05-10T08:00:00,2024-05-10T11:00:00,2024-05-11T08:00:00,2,no,COMPLAINT
K6,C3,2024-05-15T00:00:00,2024-05-15T02:00:00,2024-05-15T10:00:00,1,no,question
K7,C4,2024-05-20T12:00:00,2024-05-20T18:00:00,,,,
K8,C1,2024-05-31T23:59:00,2024-06-01T00:29:00,2024-06-01T01:00:00,1,no,bug
K9,C1,2024-06-02T09:00:00,,2024-06-03T09:00:00,1,no,complaint
"""

SUBSCRIPTIONS_CSV = """\
subscription_id,customer_id,started_at,ended_at,mrr,is_trial
S1,C1,2024-01-01,,100,false
S2,C2,2024-01-01,2024-05-02,100,false
S3,C3,2024-05-31,,50,false
S4,C4,2024-03-01,,70,false
S5,C5,2024-06-01,,90,false
S6,C6,2024-05-01,2024-05-31,0,true
S7,C7,2024-01-01,2024-05-01,80,false
"""


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.delenv("CS_METRICS_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)  # no ./cs-metrics.yaml: built-in defaults
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "tickets.csv").write_text(TICKETS_CSV, encoding="utf-8")
    (folder / "subscriptions.csv").write_text(SUBSCRIPTIONS_CSV, encoding="utf-8")
    return folder


def test_cli_tickets_json(data):
    result = CliRunner().invoke(app, ["tickets", "--data", str(data), "--period", "2024-05", "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["metric"] == "tickets" and doc["unit"] == "count"
    assert doc["period"] == {"start": "2024-05-01", "end": "2024-05-31"}
    assert doc["value"] == 5
    assert doc["details"] == {
        "created": 5,
        "resolved_in_period": 4,
        "open_at_close": 3,
        "complaints": 2,
        "median_first_response_hours": 2.5,
        "median_resolution_hours": 10.0,
        "active_customers": 4,
        "tickets_per_100_active_customers": 125.0,
    }
    assert doc["warnings"] == []


def test_cli_fcr_without_contacts_is_one_error_line_exit_3(data):
    (data / "tickets.csv").write_text(
        "\n".join(",".join(line.split(",")[:5]) for line in TICKETS_CSV.splitlines()) + "\n", encoding="utf-8"
    )  # ticket_id .. resolved_at: no contacts column
    result = CliRunner().invoke(app, ["fcr", "--data", str(data), "--period", "2024-05", "--format", "json"])
    assert result.exit_code == 3
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "tickets.csv has no contacts column" in errors[0]
    assert "Traceback" not in result.stderr and result.stdout == ""
