"""The billing and accounting fixture exports of tests/data/exports/ read through their own configs
(tests/data/exports/<tool>/cs-metrics.yaml), run through the CLI, against the figures computed by
hand in each folder's EXPECTED.md (USD base, 1 THB = 0.028 USD, 1 CNY = 0.14 USD)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cs_metrics.cli import app

EXPORTS = Path(__file__).parent / "data" / "exports"
C1, C2, C3, C4, C5, C6, C7, C8 = (
    "cus_QmA1siamLog01", "cus_QmA2yunfan002", "cus_QmA3acmeAna03", "cus_QmA4bkkFood04",
    "cus_QmA5lionCty05", "cus_QmA6nrthwnd06", "cus_QmA7mingdng07", "cus_QmA8cmCoffe08",
)  # fmt: skip


def config(tool: str, tmp_path: Path | None = None, name: str = "cs-metrics.yaml", **changes) -> Path:
    """The tool's config as committed, or a copy with top-level keys changed (dotted keys reach into
    mappings: `metrics.mrr.discounts`), whose data folder is still the tool's folder."""
    path = EXPORTS / tool / name
    if not changes:
        return path
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["data"] = str(EXPORTS / tool)
    for key, value in changes.items():
        *parents, last = key.split("__")
        node = raw
        for p in parents:
            node = node.setdefault(p, {})
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    out = tmp_path / f"{tool}-{len(list(tmp_path.iterdir()))}.yaml"
    out.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return out


def run(cfg: Path, *args: str, code: int = 0) -> tuple[dict, str]:
    result = CliRunner().invoke(app, [*args, "--config", str(cfg), "--format", "json"])
    assert result.exit_code == code, result.output
    return json.loads(result.stdout), result.stderr


def metric(cfg: Path, name: str, period: str, *extra: str) -> dict:
    return run(cfg, name, "--period", period, *extra)[0]


def by_customer(rows: list[dict]) -> dict[str, dict]:
    return {r["customer_id"]: r for r in rows}


def snapshot_warned(result: dict) -> bool:
    return any("snapshot taken on 2026-11-30" in w for w in result["warnings"])


# --------------------------------------------------------------------------- Stripe subscriptions


def test_stripe_mrr_with_seats_trials_statuses_and_discounts():
    cfg = config("stripe")
    october = metric(cfg, "mrr", "2026-10")
    d = october["details"]
    # 10 x 1,500 THB - 20 % + 500 THB, 5,000 CNY a month (a yearly plan), 8 x 62 USD, 5 x 120 - 100 USD, 3 x 120 USD;
    # C4 paid from its trial's end (10-15); the incomplete_expired add-on of C6 left out
    assert (d["opening_mrr"], october["value"], d["arr"]) == (2406.00, 2544.60, 30535.20)
    assert (d["new_mrr"], d["new_customers"], d["opening_customers"], d["closing_customers"]) == (138.60, 1, 5, 6)
    assert d["expansion_mrr"] == d["contraction_mrr"] == d["churn_mrr"] == d["reactivation_mrr"] == 0
    november = metric(cfg, "mrr", "2026-11")
    # C6 ends 11-08; C7's new row is still in its trial (to 12-04): no false new customer
    assert (november["details"]["opening_mrr"], november["value"]) == (2544.60, 2184.60)
    assert (november["details"]["churn_mrr"], november["details"]["new_mrr"]) == (360.00, 0)


def test_stripe_retention_and_arpu_from_the_snapshot():
    cfg = config("stripe")
    assert metric(cfg, "churn", "2026-10")["value"] == 0
    assert metric(cfg, "churn", "2026-11")["value"] == pytest.approx(100 / 6)  # C6 of 6
    assert metric(cfg, "ndr", "2026-10")["value"] == pytest.approx(100)
    nov = metric(cfg, "ndr", "2026-11")
    assert nov["value"] == pytest.approx(2184.60 / 2544.60 * 100) and round(nov["value"], 2) == 85.85
    assert round(metric(cfg, "revenue-churn", "2026-11")["value"], 2) == 14.15
    assert metric(cfg, "arpu", "2026-10")["value"] == pytest.approx(424.10)  # 2,544.60 / 6
    assert metric(cfg, "arpu", "2026-11")["value"] == pytest.approx(436.92)  # 2,184.60 / 5


def test_stripe_mrr_at_list_price_when_discounts_do_not_count(tmp_path):
    cfg = config("stripe", tmp_path, metrics__mrr__discounts=False)
    october = metric(cfg, "mrr", "2026-10")
    # C1 15,500 THB (572.60 ... 434.00 before C4), C5 600 USD: the coupons are worth 184.00 a month
    assert (october["details"]["opening_mrr"], october["value"]) == (2590.00, 2728.60)
    assert metric(cfg, "mrr", "2026-11")["value"] == 2368.60
    explained = run(cfg, "mrr", "--period", "2026-10", "--explain")[0]["definition"]
    assert "discounts not counted (metrics.mrr.discounts: false)" in explained


def test_stripe_trial_conversion_from_trials_inside_rows():
    cfg = config("stripe")
    october = metric(cfg, "conversion", "2026-10")
    # C4's trial ends 10-15 and its paid span starts then; C8 cancelled at its trial's end (no paid day)
    assert (october["value"], october["details"]["trials"], october["details"]["converted"]) == (50.0, 2, 1)
    assert metric(cfg, "conversion", "2026-11")["value"] is None  # C7's trial ends 2026-12-04


def test_stripe_rows_show_when_customers_asked_to_leave_and_when_service_ended():
    cfg = config("stripe")
    rows = by_customer(metric(cfg, "churn", "2026-11", "--rows")["rows"])
    assert (rows[C6]["status"], rows[C6]["canceled_at"], rows[C6]["ended_at"]) == (
        "churned",
        "2026-10-20",
        "2026-11-08",
    )
    # C1 asked to drop its storage add-on on 11-25; it ends at the period's end, so nothing has ended yet
    assert (rows[C1]["canceled_at"], rows[C1]["ended_at"]) == ("2026-11-25", None)
    assert (rows[C2]["canceled_at"], rows[C2]["ended_at"]) == (None, None)
    ndr = by_customer(metric(cfg, "ndr", "2026-11", "--rows")["rows"])
    assert (ndr[C6]["movement"], ndr[C6]["canceled_at"], ndr[C6]["ended_at"]) == ("churn", "2026-10-20", "2026-11-08")
    august = by_customer(metric(cfg, "mrr", "2026-08", "--rows")["rows"])
    # C7 cancelled at once on 08-20; its later row (a trial from 11-20) had not started in August
    assert (august[C7]["movements"], august[C7]["canceled_at"], august[C7]["ended_at"]) == (
        "churn",
        "2026-08-20",
        "2026-08-20",
    )


def test_stripe_snapshot_before_its_export_day_is_warned_and_explained():
    cfg = config("stripe")
    result, err = run(cfg, "mrr", "--period", "2026-10", "--explain")
    assert snapshot_warned(result) and "snapshot taken on 2026-11-30" in err
    assert "Limitation: the subscriptions export is a snapshot taken on 2026-11-30" in result["definition"]
    for name in ("churn", "ndr", "grr", "arpu", "quick-ratio", "concentration", "cohorts"):
        assert snapshot_warned(metric(cfg, name, "2026-10")), name
    assert not snapshot_warned(metric(cfg, "mrr", "2026-12"))  # opening 11-30: the export day itself


def test_stripe_rows_counted_as_read_used_and_filtered():
    result, _ = run(config("stripe"), "validate", "--strict")
    subs = next(r for r in result["rows"] if r["table"] == "subscriptions")
    assert (subs["read"], subs["used"], subs["filtered"], subs["rejected"]) == (11, 10, 1, 0)
    lines = next(r for r in result["rows"] if r["table"] == "invoice_lines")
    assert (lines["read"], lines["used"], lines["rejected"]) == (22, 22, 0)


# --------------------------------------------------------------------------- Stripe invoice lines


def test_stripe_mrr_from_invoice_lines_shows_the_upgrade_the_snapshot_hides(tmp_path):
    cfg = config("stripe", tmp_path, revenue_source="invoice_lines")
    october = metric(cfg, "mrr", "2026-10")
    d = october["details"]
    # C3 billed 5 seats (310) until the 10-15 upgrade to 8 (496): the credit -170 and the proration +272 over
    # 17/31 of a month are -310 and +496 a month; C2's yearly line 60,000 CNY is 5,000 a month
    assert (d["opening_mrr"], october["value"]) == (2404.00, 2728.60)
    assert (d["expansion_mrr"], d["expansion_customers"], d["new_mrr"]) == (186.00, 1, 138.60)
    assert not snapshot_warned(october)
    assert "MRR from invoice lines" in run(cfg, "mrr", "--period", "2026-10", "--explain")[0]["definition"]
    assert round(metric(cfg, "ndr", "2026-10")["value"], 2) == 107.74  # (2,404.00 + 186.00) / 2,404.00
    november = metric(cfg, "mrr", "2026-11")
    assert (november["details"]["opening_mrr"], november["value"], november["details"]["churn_mrr"]) == (
        2728.60,
        2368.60,
        360.00,
    )
    day = metric(cfg, "mrr", "2026-10-15..2026-10-15")  # the day of the upgrade: 2,404.00 -> 2,728.60
    assert (day["details"]["opening_mrr"], day["value"]) == (2404.00, 2728.60)


def test_stripe_both_routes_agree_where_no_price_changed(tmp_path):
    snapshot = config("stripe", tmp_path, metrics__mrr__discounts=False)  # line amounts are before discounts
    lines = config("stripe", tmp_path, revenue_source="invoice_lines")
    grids = [by_customer(metric(c, "mrr", "2026-10..2026-11", "--matrix")["rows"]) for c in (snapshot, lines)]
    assert grids[0].keys() == grids[1].keys() == {C1, C2, C3, C4, C5, C6}
    for customer in (C1, C2, C4, C5, C6):  # same seats and price all along
        assert grids[0][customer] == grids[1][customer], customer
    # C3: the snapshot shows today's 8 seats since July; 5 seats were billed until 10-15
    assert (grids[0][C3]["2026-09-30"], grids[1][C3]["2026-09-30"]) == (496.00, 310.00)
    assert grids[0][C3]["2026-10-31"] == grids[1][C3]["2026-10-31"] == 496.00


# --------------------------------------------------------------------------- Stripe invoices and payments


def test_stripe_invoices_revenue_and_dso_with_a_paid_flag_beside_the_payment_day(tmp_path):
    cfg = config("stripe")
    october = metric(cfg, "dso", "2026-10")
    assert (october["value"], october["details"]["credit_sales"]) == (0, 1658.60)  # everything paid by 10-31
    november = metric(cfg, "dso", "2026-11")
    assert november["details"]["receivables"] == 500.00  # C5's open invoice
    assert november["value"] == pytest.approx(500 / 1586.60 * 30) and round(november["value"], 2) == 9.45
    arpu = metric(config("stripe", tmp_path, metrics__arpu__basis="revenue"), "arpu", "2026-10")
    # 1,658.60 / the mean of the paying counts at 09-30 (5) and 10-31 (6)
    assert (arpu["details"]["invoice_revenue"], arpu["value"]) == (1658.60, pytest.approx(1658.60 / 5.5))


def test_a_paid_flag_without_the_payment_day_says_what_dso_and_health_lack(tmp_path):
    cfg = config("stripe", tmp_path, sources__invoices__columns__paid_at=None)
    result, err = run(cfg, "dso", "--period", "2026-11")
    assert result["value"] is None
    assert "no payment day (their paid column says whether, not when)" in result["warnings"][0]
    assert "rejected" not in err  # the true/false column is read as the flag it is
    health = metric(cfg, "health", "2026-11")
    assert any("paid column says whether an invoice was paid, not when" in w for w in health["warnings"])


def test_stripe_payments_net_refunds_and_leave_failed_charges_out():
    cfg = config("stripe", name="payments.yaml")
    october, err = run(cfg, "arpu", "--period", "2026-10")
    # 17,450 THB (488.60) + 60,000 CNY (8,400.00) + 1,170 USD = 10,058.60, less the 60.00 refunded to C6
    assert october["details"]["invoice_revenue"] == 9998.60
    assert october["details"]["refunds_netted"] == 60.00
    assert october["value"] == pytest.approx(9998.60 / 6)  # C1 C2 C3 C4 C5 C6 paid in October
    assert "2 filtered (status failed: 2)" in err
    november = metric(cfg, "arpu", "2026-11")
    assert (november["details"]["invoice_revenue"], november["value"]) == (1086.60, pytest.approx(1086.60 / 3))


# --------------------------------------------------------------------------- Chargebee, Recurly, Paddle


def test_chargebee_cents_epochs_trials_and_its_cancel_columns():
    cfg = config("chargebee")
    october = metric(cfg, "mrr", "2026-10")
    assert (october["details"]["opening_mrr"], october["value"], october["details"]["churn_mrr"]) == (
        1790.00,
        1430.00,
        360.00,
    )
    assert metric(cfg, "churn", "2026-10")["value"] == 25.0
    assert round(metric(cfg, "ndr", "2026-10")["value"], 2) == 79.89
    assert metric(cfg, "arpu", "2026-10")["value"] == pytest.approx(1430 / 3)
    assert metric(cfg, "conversion", "2026-10")["value"] is None
    november = metric(cfg, "mrr", "2026-11")
    assert (november["value"], november["details"]["new_mrr"]) == (1568.60, 138.60)  # C4 paid from its trial end 11-03
    assert metric(cfg, "conversion", "2026-11")["value"] == 100.0
    assert metric(cfg, "arpu", "2026-11")["value"] == pytest.approx(392.15)
    rows = by_customer(metric(cfg, "churn", "2026-10", "--rows")["rows"])
    assert (rows["northwind-traders"]["canceled_at"], rows["northwind-traders"]["ended_at"]) == (
        "2026-09-25",
        "2026-10-08",
    )
    rows = by_customer(metric(cfg, "churn", "2026-11", "--rows")["rows"])
    assert (rows["acme-analytics"]["canceled_at"], rows["acme-analytics"]["ended_at"]) == ("2026-11-18", "2026-12-01")


def test_recurly_future_rows_are_filtered_and_canceled_rows_still_pay():
    cfg = config("recurly")
    result, _ = run(cfg, "validate", "--strict")  # the future row has no activated_at: filtered, not rejected
    subs = next(r for r in result["rows"] if r["table"] == "subscriptions")
    assert (subs["read"], subs["used"], subs["filtered"], subs["rejected"]) == (6, 5, 1, 0)
    october = metric(cfg, "mrr", "2026-10")
    d = october["details"]
    assert (d["opening_mrr"], october["value"], d["new_mrr"], d["churn_mrr"]) == (1690.00, 1468.60, 138.60, 360.00)
    assert metric(cfg, "churn", "2026-10")["value"] == 25.0
    assert round(metric(cfg, "ndr", "2026-10")["value"], 2) == 78.70  # 1,330.00 / 1,690.00
    assert metric(cfg, "conversion", "2026-10")["value"] == 100.0
    assert metric(cfg, "arpu", "2026-10")["value"] == pytest.approx(367.15)
    november = metric(cfg, "mrr", "2026-11")  # C5 canceled but live until 12-05
    assert (november["value"], november["details"]["churn_mrr"]) == (1468.60, 0)
    assert metric(cfg, "churn", "2026-11")["value"] == 0


def test_paddle_minor_units_rfc3339_times_and_a_pause_that_ends_billing():
    cfg = config("paddle")
    october = metric(cfg, "mrr", "2026-10")
    d = october["details"]
    assert (d["opening_mrr"], october["value"], d["churn_mrr"], d["churn_customers"]) == (2528.60, 2030.00, 498.60, 2)
    assert metric(cfg, "churn", "2026-10")["value"] == pytest.approx(200 / 6)
    assert round(metric(cfg, "ndr", "2026-10")["value"], 2) == 80.28
    assert metric(cfg, "arpu", "2026-10")["value"] == 507.50
    november = metric(cfg, "mrr", "2026-11")
    assert (november["value"], november["details"]["new_mrr"], november["details"]["churn_mrr"]) == (2030.00, 0, 0)
    assert metric(cfg, "conversion", "2026-11")["value"] is None


# --------------------------------------------------------------------------- PEAK (Thai accounting)


def test_peak_revenue_arpu_dso_and_repeat_purchase_with_buddhist_era_dates(tmp_path):
    cfg = config("peak")
    october, err = run(cfg, "arpu", "--period", "2026-10")
    assert "12 read, 11 used, 1 filtered (status void: 1)" in err
    assert (october["details"]["invoice_revenue"], october["value"]) == (52150.00, 13037.50)
    assert metric(cfg, "arpu", "2026-11")["value"] == pytest.approx(19750 / 3)
    assert metric(cfg, "dso", "2026-10")["value"] == pytest.approx(33150 / 53150 * 31)
    assert metric(cfg, "dso", "2026-11")["value"] == pytest.approx(29950 / 19750 * 30)
    assert metric(cfg, "repeat-purchase", "2026-10")["value"] == 75.0
    assert metric(cfg, "repeat-purchase", "2026-11")["value"] == 100.0
    window = config("peak", tmp_path, metrics__repeat_purchase__window="period")
    assert metric(window, "repeat-purchase", "2026-10")["value"] == 25.0
    unconverted = config("peak", tmp_path, sources__invoices__buddhist_era=None)
    assert "look like Thai Buddhist-era years (2569 = 2026)" in run(unconverted, "arpu", "--period", "2569-10")[1]
