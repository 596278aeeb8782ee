"""What the billing columns mean (cs_metrics/sources/billing.py and the MRR metrics): seats, discounts,
trials inside rows, pauses, never-billed statuses, snapshots, invoice lines with service periods,
refunds and paid flags. Every figure is computed by hand in the comments."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cs_metrics.cli import app
from cs_metrics.config import parse_config
from cs_metrics.errors import ConfigError
from cs_metrics.load import MONEY_SCALE, MRR_SCALE, read_table
from cs_metrics.metrics.commerce import conversion, dso
from cs_metrics.metrics.revenue import mrr
from cs_metrics.period import parse_period
from cs_metrics.sources.billing import months

MAY = parse_period("2024-05")  # opening = end of 2024-04-30, closing = end of 2024-05-31


def put(folder: Path, name: str, *lines: str) -> Path:
    path = folder / name
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def cfg(folder: Path, **top):
    return parse_config(top, folder)


def subs_frame(folder: Path, config, **kw) -> dict:
    frame, report = read_table(config, "subscriptions", **kw)
    return {"subscriptions": frame}, report


# --------------------------------------------------------------------------- seats and discounts

SEATS = (
    "subscription_id,customer_id,started_at,amount,interval,quantity,discount_percent,discount_amount",
    "S1,C1,2024-01-01,10,month,3,,",  # 3 seats x 10 = 30
    "S2,C2,2024-01-01,1200,year,2,,",  # 2 x 1,200 / 12 = 200
    "S3,C3,2024-01-01,100,month,,25,",  # empty quantity = 1 seat; 25 % off: 75
    "S4,C4,2024-01-01,50,month,2,,30",  # 2 x 50 - 30 off each month = 70
    "S5,C5,2024-01-01,40,month,1,100,",  # 100 % off: 0, not paying
    "S6,C6,2024-01-01,20,month,1,,50",  # 50 off a price of 20: 0, never below
    "S7,C7,2024-01-01,300,quarter,2,10,20",  # 2 x 300 = 600, 10 % off = 540, 20 off = 520 a quarter: 173.333333
)


def test_mrr_is_amount_times_seats_less_the_discount(tmp_path):
    put(tmp_path, "subscriptions.csv", *SEATS)
    frames, report = subs_frame(tmp_path, cfg(tmp_path))
    r = mrr(frames, MAY, cfg(tmp_path))
    assert report.rejected == {}
    assert r.value == pytest.approx(30 + 200 + 75 + 70 + 520 / 3)
    assert r.details["closing_customers"] == 5  # C5 and C6 pay nothing
    assert "less its discount (metrics.mrr.discounts: true)" in r.definition


def test_discounts_off_is_the_list_price(tmp_path):
    put(tmp_path, "subscriptions.csv", *SEATS)
    config = cfg(tmp_path, metrics={"mrr": {"discounts": False}})
    frames, _ = subs_frame(tmp_path, config)
    r = mrr(frames, MAY, config)
    assert r.value == pytest.approx(30 + 200 + 100 + 100 + 40 + 20 + 200) and r.details["closing_customers"] == 7
    assert "at list price, discounts not counted" in r.definition


def test_seats_and_discounts_that_cannot_be_are_rejected_rows(tmp_path):
    put(
        tmp_path, "subscriptions.csv",
        "subscription_id,customer_id,started_at,amount,interval,quantity,discount_percent,discount_amount",
        "S1,C1,2024-01-01,10,month,-1,,",
        "S2,C2,2024-01-01,10,month,1,120,",
        "S3,C3,2024-01-01,10,month,1,,-5",
        "S4,C4,2024-01-01,10,month,1,,",
    )  # fmt: skip
    frames, report = subs_frame(tmp_path, cfg(tmp_path))
    assert report.rejected == {"negative quantity": 1, "discount_percent off 0..100": 1, "negative discount_amount": 1}
    assert report.rejected_lines == {
        "negative quantity": [2],
        "discount_percent off 0..100": [3],
        "negative discount_amount": [4],
    }
    assert frames["subscriptions"]["customer_id"].tolist() == ["C4"]


def test_a_coupon_id_mapped_to_its_terms(tmp_path):
    # The export names the coupon; the config says what it is worth. An unknown coupon is a rejected row, not 0.
    put(tmp_path, "subscriptions.csv", "id,customer,start,amount,interval,Coupon", "S1,C1,2024-01-01,100,month,HALF",
        "S2,C2,2024-01-01,100,month,TENOFF", "S3,C3,2024-01-01,100,month,", "S4,C4,2024-01-01,100,month,NEW")  # fmt: skip
    source = {"columns": {"subscription_id": "id", "customer_id": "customer", "started_at": "start", "discount_percent": "Coupon",
                          "discount_amount": "Coupon"},
              "values": {"discount_percent": {"HALF": 50, "TENOFF": None}, "discount_amount": {"TENOFF": 10, "HALF": None}}}  # fmt: skip
    config = cfg(tmp_path, sources={"subscriptions": source})
    frames, report = subs_frame(tmp_path, config)
    assert report.rejected == {"bad discount_amount (expected an amount like 1234.50)": 1}
    assert mrr(frames, MAY, config).value == pytest.approx(50 + 90 + 100)


def test_seats_do_not_multiply_an_mrr_column_but_discounts_apply(tmp_path):
    put(
        tmp_path,
        "subscriptions.csv",
        "subscription_id,customer_id,started_at,mrr,quantity,discount_percent",
        "S1,C1,2024-01-01,300,3,10",
    )
    frames, _ = subs_frame(tmp_path, cfg(tmp_path))
    assert mrr(frames, MAY, cfg(tmp_path)).value == pytest.approx(270)  # the row's total, 10 % off


# --------------------------------------------------------------------------- trials inside rows, pauses


TRIALS = (
    "subscription_id,customer_id,started_at,trial_ends_at,ended_at,amount,interval",
    "T1,C1,2024-05-01,2024-05-15,,100,month",  # trial 05-01..05-14, paid from 05-15: converted
    "T2,C2,2024-05-10,2024-05-24,2024-05-20,100,month",  # cancelled inside its trial (05-20): trial ends then, no paid day
    "T3,C3,2024-05-01,2024-04-20,,100,month",  # a trial end before the start: no trial inside, paid from 05-01
    "T4,C4,2024-05-20,2024-06-03,,100,month",  # trial ends in June
)


def test_a_trial_inside_a_row_carries_no_mrr_and_converts_from_its_end(tmp_path):
    put(tmp_path, "subscriptions.csv", *TRIALS)
    config = cfg(tmp_path)
    frames, report = subs_frame(tmp_path, config)
    assert report.used == 4 and report.rejected == {}
    r = mrr(frames, MAY, config)
    assert (r.value, r.details["new_customers"]) == (200, 2)  # C1 and C3 at 05-31; C4 still in its trial
    before = mrr(frames, parse_period("2024-05-14"), config)
    assert before.value == 100  # on 05-14 only C3 pays: C1's trial runs to 05-15
    c = conversion(frames, MAY, config)
    assert (c.details["trials"], c.details["converted"], c.value) == (2, 1, 50.0)  # C1 and C2's trials end in May
    june = conversion(frames, parse_period("2024-06"), config)
    assert (june.details["trials"], june.details["converted"]) == (1, 1)  # C4: paid from its trial end 06-03


def test_conversion_kind_auto_uses_trial_ends_at_without_an_is_trial_column(tmp_path):
    put(tmp_path, "subscriptions.csv", *TRIALS)
    out = CliRunner().invoke(app, ["conversion", "--data", str(tmp_path), "--period", "2024-05", "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["details"] == {
        **json.loads(out.stdout)["details"],
        "kind": "trial",
        "trials": 2,
        "converted": 1,
    }


def test_paused_at_ends_the_paid_span(tmp_path):
    put(
        tmp_path, "subscriptions.csv",
        "subscription_id,customer_id,started_at,ended_at,paused_at,mrr",
        "P1,C1,2024-01-01,,2024-05-10,100",  # paused in May: churn 100
        "P2,C2,2024-01-01,2024-05-05,2024-05-20,50",  # ended before the pause: ends 05-05
        "P3,C3,2024-01-01,,2024-06-01,70",  # pause after the period
        "P4,C4,2024-03-01,,2024-02-01,10",  # paused before it starts: rejected
    )  # fmt: skip
    config = cfg(tmp_path)
    frames, report = subs_frame(tmp_path, config)
    assert report.rejected == {"paused before it starts": 1}
    r = mrr(frames, MAY, config)
    assert (r.details["opening_mrr"], r.value, r.details["churn_mrr"]) == (220, 70, 150)


# --------------------------------------------------------------------------- statuses and snapshots


def test_an_excluded_status_is_filtered_even_without_a_start_but_a_bad_value_is_still_rejected(tmp_path):
    put(
        tmp_path, "subscriptions.csv",
        "subscription_id,customer_id,started_at,mrr,status",
        "R1,C1,2024-01-01,100,active",
        "R2,C2,,100,future",  # not started yet: filtered
        "R3,C3,2024-01-01,abc,future",  # an amount that is no amount: rejected whatever the status
        "R4,C4,,100,active",  # an active row without a start: rejected
        "R5,C5,2024-01-01,100,Incomplete_Expired",
    )  # fmt: skip
    _, report = read_table(cfg(tmp_path), "subscriptions")
    assert report.filtered == {"status future": 1, "status incomplete_expired": 1}
    assert report.rejected == {"bad mrr (expected an amount like 1234.50)": 1, "empty started_at": 1}
    assert (report.read, report.used) == (5, 1)


def _status_file(folder: Path) -> Path:
    path = put(
        folder, "subscriptions.csv", "subscription_id,customer_id,started_at,mrr,status", "S1,C1,2024-01-01,100,active"
    )
    taken = datetime(2024, 6, 15, 12).timestamp()
    os.utime(path, (taken, taken))
    return path


def test_a_snapshot_export_warns_for_days_before_it_was_taken(tmp_path):
    _status_file(tmp_path)  # a status column: a snapshot, taken (modified) on 2024-06-15
    config = cfg(tmp_path)
    frames, _ = subs_frame(tmp_path, config)
    may = mrr(frames, MAY, config)
    assert any("snapshot taken on 2024-06-15" in w and "2024-04-30" in w for w in may.warnings)
    assert "Limitation: the subscriptions export is a snapshot taken on 2024-06-15" in may.definition
    july = mrr(frames, parse_period("2024-07"), config)  # opening 06-30: after the export day
    assert not any("snapshot" in w for w in july.warnings)
    dated = cfg(tmp_path, sources={"subscriptions": {"exported_on": "2024-05-20"}})
    assert any("snapshot taken on 2024-05-20" in w for w in mrr(subs_frame(tmp_path, dated)[0], MAY, dated).warnings)


def test_a_history_of_price_periods_is_no_snapshot(tmp_path):
    _status_file(tmp_path)
    config = cfg(tmp_path, sources={"subscriptions": {"snapshot": False}})
    may = mrr(subs_frame(tmp_path, config)[0], MAY, config)
    assert not any("snapshot" in w for w in may.warnings) and "snapshot" not in may.definition
    put(
        tmp_path, "subscriptions.csv", "subscription_id,customer_id,started_at,mrr", "S1,C1,2024-01-01,100"
    )  # no status
    assert not mrr(subs_frame(tmp_path, cfg(tmp_path))[0], MAY, cfg(tmp_path)).warnings


# --------------------------------------------------------------------------- invoice lines


@pytest.mark.parametrize(
    "start, end, expected",
    [
        ("2024-01-10", "2024-02-10", (1, 0, 31)),  # a monthly line
        ("2024-09-15", "2025-09-15", (12, 0, 31)),  # a yearly line
        ("2024-10-15", "2024-11-01", (0, 17, 31)),  # 17 days of a 31-day month
        ("2024-10-20", "2024-11-10", (0, 21, 31)),  # a proration to the end of a 10-10 .. 11-10 billing month
        ("2025-01-31", "2025-02-28", (1, 0, 31)),  # a month later, clamped to the month's end
        ("2025-02-28", "2025-03-31", (1, 0, 31)),  # a plan renewing on the 31st: one month counted back from the end
        (
            "2024-01-10",
            "2024-03-25",
            (2, 15, 29),
        ),  # 2 months to 03-10, 15 days of the month 02-25 .. 03-25 (2024 is leap)
    ],
)
def test_months_of_a_service_period(start, end, expected):
    whole, rest, month = months(np.array([start], dtype="datetime64[D]"), np.array([end], dtype="datetime64[D]"))
    assert (int(whole[0]), int(rest[0]), int(month[0])) == expected


LINES = (
    "line_id,customer_id,period_start,period_end,amount",
    "L1,C1,2024-05-01,2024-06-01,100",  # monthly 100 -> 100
    "L2,C2,2024-01-15,2025-01-15,1200",  # yearly 1,200 -> 100
    "L3,C3,2024-05-15,2024-06-01,54.84",  # 17 days of May billed 54.84 -> 54.84 x 31 / 17 = 100.002353
    "L4,C4,2024-04-10,2024-05-10,100",  # C4 monthly from 04-10 ...
    "L5,C4,2024-05-10,2024-06-10,100",
    "L6,C4,2024-05-20,2024-06-10,-67.74",  # ... cancelled on 05-20: unused time 21/31 of 100 = 67.74 credited
    "L7,C5,2024-05-31,2024-05-31,500",  # a one-off charge with no service period: no MRR
)


def test_mrr_from_invoice_lines_spread_over_their_service_periods(tmp_path):
    put(tmp_path, "invoice_lines.csv", *LINES)
    config = cfg(tmp_path)  # revenue_source auto: no subscriptions, so invoice lines
    frame, report = read_table(config, "invoice_lines")
    assert report.used == 7 and report.rejected == {}
    assert frame["mrr"].tolist()[:3] == [100 * MRR_SCALE, 100 * MRR_SCALE, round(54.84 * 31 / 17 * MRR_SCALE)]
    r = mrr({"invoice_lines": frame}, MAY, config)
    # opening (04-30): C2 100 + C4 100; closing (05-31): C1 100 + C2 100 + C3 100.002353, and C4 100 - 99.998571 =
    # 0.001429, within the cent rounding of its two lines: 0, so C4 churned (not contracted to 0.0014)
    assert r.details["opening_mrr"] == 200
    assert r.value == pytest.approx(300.002353, abs=1e-6)
    assert (r.details["churn_mrr"], r.details["churn_customers"], r.details["contraction_mrr"]) == (100, 1, 0)
    assert r.details["new_customers"] == 2  # C1, C3
    assert "MRR from invoice lines" in r.definition and not any("snapshot" in w for w in r.warnings)


def test_invoice_lines_route_chosen_in_the_config_and_checked(tmp_path):
    put(tmp_path, "invoice_lines.csv", *LINES)
    put(tmp_path, "subscriptions.csv", "subscription_id,customer_id,started_at,mrr", "S1,C9,2024-01-01,999")
    args = ["mrr", "--period", "2024-05", "--format", "json"]
    auto = CliRunner().invoke(app, [*args, "--data", str(tmp_path)])
    assert json.loads(auto.stdout)["value"] == 999  # auto: subscriptions when present
    (tmp_path / "lines.yaml").write_text(f"data: {tmp_path}\nrevenue_source: invoice_lines\n", encoding="utf-8")
    lines = CliRunner().invoke(app, [*args, "--config", str(tmp_path / "lines.yaml")])
    assert json.loads(lines.stdout)["value"] == pytest.approx(300.002353, abs=1e-6)
    with pytest.raises(ConfigError, match="revenue_source: must be one of"):
        parse_config({"revenue_source": "invoices"})


# --------------------------------------------------------------------------- both routes on the same customers


HISTORY = (  # A 100 from 01-01; B 200 from 01-01 to 05-01; C 50 from 05-10; D 300 from 03-01 (plan Pro)
    "subscription_id,customer_id,started_at,ended_at,mrr,plan",
    "SA,A,2024-01-01,,100,Basic",
    "SB,B,2024-01-01,2024-05-01,200,Basic",
    "SC,C,2024-05-10,,50,Basic",
    "SD,D,2024-03-01,,300,Pro",
)


def _monthly_lines(customer: str, start: str, end: str, amount: int, plan: str) -> list[str]:
    days = pd.date_range(start, end, freq=pd.DateOffset(months=1))
    return [
        f"{customer}{k},{customer},{a:%Y-%m-%d},{b:%Y-%m-%d},{amount},{plan}"
        for k, (a, b) in enumerate(zip(days[:-1], days[1:]))
    ]


@pytest.fixture
def two_routes(tmp_path):
    put(tmp_path, "subscriptions.csv", *HISTORY)
    lines = ["line_id,customer_id,period_start,period_end,amount,plan"]
    lines += _monthly_lines("A", "2024-01-01", "2024-08-01", 100, "Basic") + _monthly_lines(
        "B", "2024-01-01", "2024-05-01", 200, "Basic"
    )
    lines += _monthly_lines("C", "2024-05-10", "2024-08-10", 50, "Basic") + _monthly_lines(
        "D", "2024-03-01", "2024-08-01", 300, "Pro"
    )
    put(tmp_path, "invoice_lines.csv", *lines)
    configs = []
    for route in ("subscriptions", "invoice_lines"):
        path = tmp_path / f"{route}.yaml"
        metrics = "{clv: {method: subscription, lifespan_months: 12}, crc: {per_month: 300}}"
        path.write_text(f"data: {tmp_path}\nrevenue_source: {route}\nmetrics: {metrics}\n", encoding="utf-8")
        configs.append(path)
    return configs


# May by hand: opening A 100 + B 200 + D 300 = 600; closing A 100 + C 50 + D 300 = 450 (3 paying); B churned (200), C new (50)
BY_HAND = {
    "mrr": 450, "churn": 100 / 3, "ndr": 400 / 600 * 100, "grr": 400 / 600 * 100, "revenue-churn": 200 / 600 * 100,
    "revenue-growth": -200 / 600 * 100, "arpu": 150, "quick-ratio": 50 / 200, "concentration": 100,
    "plan-migration": 0, "clv": 150 * 12, "renewal-rate": 0,  # B's end on 05-01 is due, and B is not paying then
    "crc": 300 / 3,  # paying on some day of May: A, C, D (B's last paid day is 04-30)
}  # fmt: skip


@pytest.mark.parametrize("name", [*BY_HAND, "cohorts", "health"])
def test_every_mrr_metric_takes_either_route_and_both_agree_where_no_price_changed(two_routes, name):
    values = []
    for path in two_routes:
        out = CliRunner().invoke(app, [name, "--config", str(path), "--period", "2024-05", "--format", "json"])
        assert out.exit_code == 0, out.output
        result = json.loads(out.stdout)
        values.append(result["value"])
    assert values[0] == pytest.approx(values[1])
    if name in BY_HAND:
        assert values[0] == pytest.approx(BY_HAND[name])
    if name != "crc":  # CRC is no MRR: it counts the paying customers
        assert "MRR from invoice lines" in _explained(two_routes[1], name)


def _explained(path: Path, name: str) -> str:
    out = CliRunner().invoke(app, [name, "--config", str(path), "--period", "2024-05", "--format", "json", "--explain"])
    return json.loads(out.stdout)["definition"]


# --------------------------------------------------------------------------- invoices: refunds and paid flags


def test_refunds_are_netted_from_the_amount(tmp_path):
    put(
        tmp_path, "invoices.csv",
        "invoice_id,customer_id,issued_at,amount,amount_refunded,paid",
        "I1,C1,2024-05-01,100,40,true",  # 60 of revenue
        "I2,C2,2024-05-02,100,,false",  # nothing refunded
        "I3,C3,2024-05-03,100,120,true",  # more refunded than charged: rejected
        "I4,C4,2024-05-04,100,-5,true",  # rejected
        "I5,C5,2024-05-05,50,50,Yes",  # fully refunded: 0
    )  # fmt: skip
    frame, report = read_table(cfg(tmp_path), "invoices")
    assert report.rejected == {"amount_refunded above the amount": 1, "negative amount_refunded": 1}
    assert frame["amount"].tolist() == [60 * MONEY_SCALE, 100 * MONEY_SCALE, 0]
    assert frame["paid"].tolist() == [True, False, True]


def test_dso_with_a_paid_flag_but_no_payment_day_is_undefined_with_the_reason(tmp_path):
    put(
        tmp_path,
        "invoices.csv",
        "invoice_id,customer_id,issued_at,amount,paid",
        "I1,C1,2024-05-01,100,true",
        "I2,C1,2024-05-02,100,false",
    )
    config = cfg(tmp_path)
    frame, report = read_table(config, "invoices", optional=["paid"])
    assert report.rejected == {}
    r = dso({"invoices": frame}, MAY, config)
    assert r.value is None and "no payment day (their paid column says whether, not when)" in r.warnings[0]


def test_dso_counts_an_invoice_marked_paid_without_its_day_as_owed_and_says_so(tmp_path):
    put(
        tmp_path, "invoices.csv",
        "invoice_id,customer_id,issued_at,amount,paid,paid_at",
        "I1,C1,2024-05-01,100,true,2024-05-10",
        "I2,C1,2024-05-02,100,true,",  # paid, but when?
        "I3,C1,2024-05-03,200,false,",
    )  # fmt: skip
    config = cfg(tmp_path)
    frame, _ = read_table(config, "invoices", optional=["paid", "paid_at"])
    r = dso({"invoices": frame}, MAY, config)
    assert r.value == pytest.approx(300 / 400 * 31)
    assert "1 invoice(s) marked paid have no paid_at: counted as owed at the end of 2024-05-31" in r.warnings
