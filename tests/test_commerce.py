"""Hand-computed cases for the commerce metrics (clv, crc, dso, repeat-purchase, return-rate,
conversion, referrals), every config variant, the worked examples of metrics.md (CLV 3,600, DSO
30 days), and one CLI run of `referrals --format json`. Frames are built here in the loader's
output shape (invoice and cost amounts Int64 in load.MONEY_SCALE units, MRR in load.MRR_SCALE
units, dates at midnight, ids as text), independent of the CSV reader."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from cs_metrics.cli import app
from cs_metrics.config import parse_config
from cs_metrics.load import MONEY_SCALE
from cs_metrics.metrics.commerce import clv, conversion, crc, dso, referrals, repeat_purchase, return_rate
from cs_metrics.period import parse_period
from frames import subs

CFG = parse_config({})
MAY = parse_period("2024-05")
Q2 = parse_period("2024-Q2")


def cfg(**metrics) -> object:
    """A config with `metrics.<name>` set, e.g. cfg(clv={"lifespan_months": 24})."""
    top = metrics.pop("top", {})
    return parse_config({**top, "metrics": metrics})


def day(text):
    return pd.Timestamp(text) if text else pd.NaT


def invoices(*rows, quantity: bool = True, paid: bool = True) -> pd.DataFrame:
    """rows: (customer, issued_at, amount[, paid_at or None[, quantity or None]])."""
    full = [(r + (None, None))[:5] for r in rows]
    frame = pd.DataFrame(
        {
            "invoice_id": pd.Series([f"i{i}" for i in range(len(full))], dtype="str"),
            "customer_id": pd.Series([r[0] for r in full], dtype="str"),
            "issued_at": pd.to_datetime([r[1] for r in full]),
            "amount": pd.array([round(r[2] * MONEY_SCALE) for r in full], dtype="Int64"),
            "paid_at": pd.to_datetime([r[3] for r in full]),
            "quantity": pd.array([r[4] for r in full], dtype="Int64"),
        }
    )
    drop = [c for c, keep in (("quantity", quantity), ("paid_at", paid)) if not keep]
    return frame.drop(columns=drop)


def customers(*rows, columns=("customer_id", "created_at", "referred_by", "name")) -> pd.DataFrame:
    """rows: (customer_id, created_at or None, referred_by or None, name or None), cut to `columns`."""
    frame = pd.DataFrame(
        {
            "customer_id": pd.Series([r[0] for r in rows], dtype="str"),
            "created_at": pd.to_datetime([r[1] for r in rows]),
            "referred_by": pd.Series([r[2] for r in rows], dtype="str"),
            "name": pd.Series([r[3] for r in rows], dtype="str"),
        }
    )
    return frame[list(columns)]


def leads(*rows, converted: bool = True) -> pd.DataFrame:
    """rows: (lead_id, created_at, converted_at or None)."""
    frame = pd.DataFrame(
        {
            "lead_id": pd.Series([r[0] for r in rows], dtype="str"),
            "created_at": pd.to_datetime([r[1] for r in rows]),
            "converted_at": pd.to_datetime([r[2] for r in rows]),
        }
    )
    return frame if converted else frame.drop(columns="converted_at")


def costs(*rows) -> pd.DataFrame:
    """rows: (month text, category, amount)."""
    return pd.DataFrame(
        {
            "month": pd.Series([r[0] for r in rows], dtype="str"),
            "category": pd.Series([r[1] for r in rows], dtype="str"),
            "amount": pd.array([round(r[2] * MONEY_SCALE) for r in rows], dtype="Int64"),
        }
    )


def undefined(result) -> bool:
    return result.value is None and any("undefined" in w for w in result.warnings)


def steady(n: int, ending: int = 0, end: str = "2024-05-15", prefix: str = "k") -> pd.DataFrame:
    """n customers paying 10 a month since 2024-01-01; the first `ending` of them stop on `end`."""
    return subs(*[(f"{prefix}{i}", "2024-01-01", end if i < ending else None, 10) for i in range(n)])


# --------------------------------------------------------------------------- CLV


# Worked example: average purchase 50, 3 purchases a month, lifespan 24 months => 3,600.
# A buys 3 x 50 in May; a credit note (-50, not a purchase) and an April invoice are left out.
# average = 150 / 3 = 50; frequency = 3 purchases / 1 purchaser / 1 month = 3; 50 x 3 x 24 = 3,600.
THREE_PURCHASES = invoices(
    ("A", "2024-05-03", 50),
    ("A", "2024-05-10", 50),
    ("A", "2024-05-20", 50),
    ("A", "2024-05-21", -50),
    ("A", "2024-04-30", 1000),
)


def test_clv_worked_example_with_a_configured_lifespan():
    r = clv({"invoices": THREE_PURCHASES}, MAY, cfg(clv={"lifespan_months": 24}))
    assert r.value == pytest.approx(3600)
    d = r.details
    assert d["method"] == "purchases" and d["lifespan_source"] == "config"
    assert d["average_purchase_value"] == pytest.approx(50)
    assert d["purchase_frequency_per_month"] == pytest.approx(3)
    assert d["lifespan_months"] == 24 and d["monthly_churn_rate"] is None
    assert (d["purchases"], d["purchasers"], d["purchase_revenue"]) == (3, 1, 150)
    assert r.filtered["invoices"] == {"credit notes and zero amounts": 1, "outside the period": 1}
    assert "3,600.00" in r.formula and "configured" in r.formula


def test_clv_worked_example_with_the_lifespan_from_churn():
    # 24 customers paying at the end of April, k0 stops on 05-15: churn 1 / 24 = 4.1667 % in one
    # month, lifespan 1 / (1 / 24) = 24 months. A and B each buy 3 x 50 in May: average 300 / 6 = 50,
    # frequency 6 / 2 / 1 = 3. CLV = 50 x 3 x 24 = 3,600.
    purchases = invoices(*[(c, f"2024-05-{d:02d}", 50) for c in "AB" for d in (2, 12, 22)])
    r = clv({"invoices": purchases, "subscriptions": steady(24, ending=1)}, MAY, CFG)
    assert r.value == pytest.approx(3600)
    d = r.details
    assert d["lifespan_source"] == "churn"
    assert d["churn_rate"] == pytest.approx(100 / 24) and d["monthly_churn_rate"] == pytest.approx(100 / 24)
    assert d["lifespan_months"] == pytest.approx(24)
    assert (d["purchases"], d["purchasers"]) == (6, 2)
    assert "1 / monthly churn 4.167 %" in r.formula


def test_clv_over_a_quarter_divides_frequency_and_churn_by_three_months():
    # Q2: A buys 100 + 200 + 300, B 600: average 1,200 / 4 = 300; frequency 4 / 2 / 3 = 2/3 a month.
    # 10 customers paying at the end of March, 3 stop on 05-15: churn 30 % a quarter = 10 % a month,
    # lifespan 10 months. CLV = 300 x 2/3 x 10 = 2,000.
    purchases = invoices(("A", "2024-04-10", 100), ("A", "2024-05-10", 200), ("A", "2024-06-10", 300), ("B", "2024-06-20", 600))
    r = clv({"invoices": purchases, "subscriptions": steady(10, ending=3)}, Q2, CFG)
    assert r.value == pytest.approx(2000)
    assert r.details["months"] == 3
    assert r.details["purchase_frequency_per_month"] == pytest.approx(2 / 3)
    assert r.details["monthly_churn_rate"] == pytest.approx(10)
    assert r.details["lifespan_months"] == pytest.approx(10)


def test_clv_over_a_range_that_is_not_month_aligned_counts_days_over_30_4375():
    # 2024-05-01..2024-05-15: months = 15 / 30.4375. A buys 2 x 100: frequency 2 / 1 / (15 / 30.4375)
    # = 4.058333; CLV = 100 x 4.058333 x 10 = 4,058.33.
    period = parse_period("2024-05-01..2024-05-15")
    purchases = invoices(("A", "2024-05-01", 100), ("A", "2024-05-15", 100), ("A", "2024-05-16", 100))
    r = clv({"invoices": purchases}, period, cfg(clv={"lifespan_months": 10}))
    assert r.details["months"] == pytest.approx(15 / 30.4375)
    assert r.value == pytest.approx(2 * 30.4375 / 15 * 100 * 10)


def test_clv_lifespan_from_customers_churned_at_without_subscriptions():
    # 20 customers created before May, c0 churned 05-20: churn 1 / 20 = 5 %, lifespan 20 months.
    # A buys 2 x 100 in May: average 100, frequency 2. CLV = 100 x 2 x 20 = 4,000.
    people = pd.DataFrame(
        {
            "customer_id": pd.Series([f"c{i}" for i in range(20)], dtype="str"),
            "created_at": pd.to_datetime(["2023-06-01"] * 20),
            "churned_at": pd.to_datetime(["2024-05-20"] + [None] * 19),
        }
    )
    purchases = invoices(("A", "2024-05-05", 100), ("A", "2024-05-25", 100))
    r = clv({"invoices": purchases, "customers": people}, MAY, CFG)
    assert r.value == pytest.approx(4000)
    assert r.details["churn_rate"] == pytest.approx(5)


def test_clv_is_undefined_when_nobody_churns():
    # 10 customers paying all May: churn 0 %, lifespan unbounded.
    r = clv({"invoices": THREE_PURCHASES, "subscriptions": steady(10)}, MAY, CFG)
    assert undefined(r)
    assert r.details["churn_rate"] == 0 and r.details["lifespan_months"] is None
    assert r.details["average_purchase_value"] == pytest.approx(50)  # the parts that are defined stay


def test_clv_is_undefined_when_the_churn_rate_is_undefined():
    # Nobody paying at the end of April: churn has no starting cohort.
    r = clv({"invoices": THREE_PURCHASES, "subscriptions": subs(("A", "2024-05-02", None, 10))}, MAY, CFG)
    assert undefined(r) and r.details["churn_rate"] is None


def test_clv_is_undefined_without_purchases_in_the_period():
    only_april = invoices(("A", "2024-04-10", 100), ("A", "2024-05-10", -20))
    r = clv({"invoices": only_april}, MAY, cfg(clv={"lifespan_months": 12}))
    assert undefined(r)
    assert r.details["purchases"] == 0 and r.details["average_purchase_value"] is None


# Subscription method, May. 10 customers paying 100 since January; k0, k1 stop on 05-10, so churn
# = 2 / 10 = 20 % a month and the lifespan is 5 months. N has a trial (no MRR) then pays 100 from
# 05-05. Closing: k2..k9 + N = 9 customers, 900 MRR: ARPU 100.
SUB_MAY = subs(
    *[(f"k{i}", "2024-01-01", "2024-05-10" if i < 2 else None, 100) for i in range(10)],
    ("N", "2024-04-25", "2024-05-05", 0, True),
    ("N", "2024-05-05", None, 100),
)


def test_clv_subscription_method_is_arpu_times_margin_over_monthly_churn():
    # ARPU 100 x margin 0.8 / 20 % = 100 x 0.8 x 5 = 400.
    r = clv({"subscriptions": SUB_MAY}, MAY, cfg(clv={"method": "subscription", "gross_margin": 0.8}))
    assert r.value == pytest.approx(400)
    d = r.details
    assert d["method"] == "subscription"
    assert (d["closing_mrr"], d["paying_customers"], d["arpu"]) == (900, 9, 100)
    assert d["monthly_churn_rate"] == pytest.approx(20) and d["lifespan_months"] == pytest.approx(5)
    assert "gross margin 0.8" in r.formula


def test_clv_auto_is_subscription_without_invoices_and_honours_a_configured_lifespan():
    # auto + no invoices -> subscription; lifespan 12 configured: 100 x 1 (default margin) x 12 = 1,200.
    r = clv({"subscriptions": SUB_MAY}, MAY, cfg(clv={"lifespan_months": 12}))
    assert r.details["method"] == "subscription" and r.value == pytest.approx(1200)


def test_clv_auto_is_purchases_with_invoices():
    r = clv({"invoices": THREE_PURCHASES, "subscriptions": SUB_MAY}, MAY, CFG)
    # purchases: 50 x 3 x lifespan 5 (churn 20 % of SUB_MAY) = 750
    assert r.details["method"] == "purchases" and r.value == pytest.approx(750)


def test_clv_subscription_is_undefined_without_paying_customers_at_closing():
    gone = subs(("A", "2024-01-01", "2024-05-10", 100))
    r = clv({"subscriptions": gone}, MAY, cfg(clv={"method": "subscription", "lifespan_months": 12}))
    assert undefined(r) and r.details["paying_customers"] == 0


# --------------------------------------------------------------------------- CRC

# Active (paying on some day) customers: A and B all the time; C paying 01-01..05-14; D from 06-05.
# May: A, B, C = 3. 2024-05-20..2024-06-10: A, B, D = 3 (C stopped before 05-20).
ACTIVE = subs(
    ("A", "2024-01-01", None, 10),
    ("B", "2024-01-01", None, 10),
    ("C", "2024-01-01", "2024-05-15", 10),
    ("D", "2024-06-05", None, 10),
)
STRADDLE = parse_period("2024-05-20..2024-06-10")


def test_crc_per_month():
    r = crc({"subscriptions": ACTIVE}, MAY, cfg(crc={"per_month": 1200}))
    # 1,200 / 3 active customers = 400
    assert r.value == pytest.approx(400)
    assert r.details["retention_costs"] == 1200 and r.details["active_customers"] == 3
    assert r.details["months_counted"] == 1 and r.details["cost_source"] == "metrics.crc.per_month"


def test_crc_counts_every_overlapping_month_in_full():
    r = crc({"subscriptions": ACTIVE}, STRADDLE, cfg(crc={"per_month": 1200}))
    # May and June counted in full: 2 x 1,200 = 2,400 / 3 active customers = 800
    assert r.value == pytest.approx(800)
    assert r.details["months_counted"] == 2 and r.details["retention_costs"] == 2400
    assert "2024-05..2024-06" in r.formula


def test_crc_monthly_figures():
    r = crc({"subscriptions": ACTIVE}, STRADDLE, cfg(crc={"monthly": {"2024-05": 900, "2024-06": 600, "2024-07": 5000}}))
    # (900 + 600) / 3 = 500; July is not in the period
    assert r.value == pytest.approx(500) and r.details["retention_costs"] == 1500


def test_crc_monthly_with_a_month_missing_is_undefined_naming_it():
    r = crc({"subscriptions": ACTIVE}, STRADDLE, cfg(crc={"monthly": {"2024-05": 900}}))
    assert undefined(r)
    assert any("2024-06" in w and "undefined" in w for w in r.warnings)
    assert r.details["retention_costs"] is None and r.details["months_counted"] == 1


# costs.csv: May 600 + 300, June 500 + 100 (category "Tools " folds into tools); April is outside;
# "2024-5" and "May 2024" are not YYYY-MM and are left out with a reason.
COSTS = costs(
    ("2024-05", "cs_salaries", 600),
    ("2024-05", "tools", 300),
    ("2024-06", "cs_salaries", 500),
    ("2024-06", "Tools ", 100),
    ("2024-04", "tools", 999),
    ("2024-5", "tools", 50),
    ("May 2024", "tools", 70),
)


def test_crc_from_costs_csv_sums_all_categories_of_the_overlapping_months():
    r = crc({"costs": COSTS, "subscriptions": ACTIVE}, STRADDLE, CFG)
    # (600 + 300 + 500 + 100) = 1,500 / 3 active customers = 500
    assert r.value == pytest.approx(500)
    d = r.details
    assert d["retention_costs"] == 1500 and d["cost_source"] == "costs.csv"
    assert d["cost_cs_salaries"] == 1100 and d["cost_tools"] == 400
    assert r.filtered["costs"] == {"month not written YYYY-MM": 2, "month outside the period": 1}
    assert any("YYYY-MM" in w for w in r.warnings)


def test_crc_from_costs_csv_without_rows_for_a_month_is_undefined():
    # July has no rows ("2024-5" is not July and not May either).
    r = crc({"costs": COSTS, "subscriptions": ACTIVE}, parse_period("2024-06..2024-07"), CFG)
    assert undefined(r) and any("2024-07" in w for w in r.warnings)


def test_crc_with_invoiced_active_customers_and_none_active():
    # active_customer: invoiced -> customers with a positive invoice in May: A, B (C has only a credit note).
    inv = invoices(("A", "2024-05-02", 10), ("B", "2024-05-03", 10), ("B", "2024-05-04", 10), ("C", "2024-05-05", -10))
    config = cfg(crc={"per_month": 100}, top={"active_customer": "invoiced"})
    r = crc({"invoices": inv}, MAY, config)
    assert r.value == pytest.approx(50) and r.details["active_customers"] == 2  # 100 / 2
    nobody = crc({"invoices": inv.iloc[:0]}, MAY, config)
    assert undefined(nobody)


# --------------------------------------------------------------------------- DSO


def test_dso_worked_example():
    # 2023 (365 days): credit sales 335,000 (paid) + 30,000 (unpaid) = 365,000; receivables 30,000.
    # The unpaid credit note of -5,000 reduces neither. 30,000 / 365,000 x 365 = 30 days.
    inv = invoices(
        ("A", "2023-03-01", 335_000, "2023-03-20"),
        ("B", "2023-12-15", 30_000, None),
        ("B", "2023-12-20", -5_000, None),
    )
    r = dso({"invoices": inv}, parse_period("2023"), CFG)
    assert r.value == pytest.approx(30)
    assert (r.details["receivables"], r.details["credit_sales"], r.details["days"]) == (30_000, 365_000, 365)


def test_dso_with_credit_notes_and_invoices_paid_after_the_end():
    # May 2024, 31 days.
    #   X1 A 1,000 issued 04-10, paid 06-02 (after end)  -> receivable, not a sale of May
    #   X2 A 2,000 issued 05-05, paid 05-31 (on end)     -> sale, not receivable
    #   X3 B 3,000 issued 05-20, paid 06-15              -> sale and receivable
    #   X4 B  -500 credit note, unpaid                   -> neither
    #   X5 C 4,000 issued 06-01                          -> after the period
    #   X6 C   500 issued 03-01, paid 03-10              -> neither
    #   X7 D 1,000 issued 05-31, unpaid                  -> sale and receivable
    # receivables 1,000 + 3,000 + 1,000 = 5,000; credit sales 2,000 + 3,000 + 1,000 = 6,000
    # DSO = 5,000 / 6,000 x 31 = 25.8333 days
    inv = invoices(
        ("A", "2024-04-10", 1000, "2024-06-02"),
        ("A", "2024-05-05", 2000, "2024-05-31"),
        ("B", "2024-05-20", 3000, "2024-06-15"),
        ("B", "2024-05-25", -500, None),
        ("C", "2024-06-01", 4000, None),
        ("C", "2024-03-01", 500, "2024-03-10"),
        ("D", "2024-05-31", 1000, None),
    )
    r = dso({"invoices": inv}, MAY, CFG)
    assert r.value == pytest.approx(5000 / 6000 * 31)
    assert (r.details["open_invoices"], r.details["credit_sale_invoices"]) == (3, 3)
    assert "5,000.00 receivables" in r.formula and "31 days" in r.formula


def test_dso_is_undefined_without_credit_sales_or_without_paid_at():
    april_only = invoices(("A", "2024-04-10", 1000, None), ("A", "2024-05-10", -100, None))
    assert undefined(dso({"invoices": april_only}, MAY, CFG))
    no_paid_column = invoices(("A", "2024-05-10", 1000), paid=False)
    r = dso({"invoices": no_paid_column}, MAY, CFG)
    assert undefined(r) and any("paid_at" in w for w in r.warnings)


# --------------------------------------------------------------------------- repeat purchase

# May 2024:
#   A: 03-01 and 05-10            -> all: 2 purchases by 05-31, returning; period: 1, not
#   B: 05-02 and 05-20            -> returning in both windows
#   C: 05-15, credit note 05-16   -> one purchase (a credit note is not a purchase)
#   D: 04-01 only                 -> not a purchaser of May
#   E: 05-31 and 06-05            -> one purchase by 05-31
REPEAT = invoices(
    ("A", "2024-03-01", 100),
    ("A", "2024-05-10", 100),
    ("B", "2024-05-02", 50),
    ("B", "2024-05-20", 60),
    ("C", "2024-05-15", 80),
    ("C", "2024-05-16", -80),
    ("D", "2024-04-01", 100),
    ("E", "2024-05-31", 100),
    ("E", "2024-06-05", 100),
)


def test_repeat_purchase_counts_all_purchases_up_to_the_end_by_default():
    r = repeat_purchase({"invoices": REPEAT}, MAY, CFG)
    # purchasers A, B, C, E = 4; returning A, B = 2: 50 %
    assert r.value == pytest.approx(50)
    assert (r.details["purchasers"], r.details["returning_purchasers"], r.details["window"]) == (4, 2, "all")


def test_repeat_purchase_window_period_counts_only_purchases_inside_it():
    r = repeat_purchase({"invoices": REPEAT}, MAY, cfg(repeat_purchase={"window": "period"}))
    # purchasers 4; returning B only: 25 %
    assert r.value == pytest.approx(25) and r.details["returning_purchasers"] == 1


def test_repeat_purchase_without_purchasers_is_undefined():
    assert undefined(repeat_purchase({"invoices": REPEAT}, parse_period("2024-02"), CFG))


# --------------------------------------------------------------------------- return rate


def test_return_rate_with_quantities_empty_quantities_and_negative_amounts():
    # May rows: +5 sold; -2 returned; empty qty amount 30 -> 1 sold; empty qty amount -30 -> 1
    # returned; empty qty amount 0 -> 1 sold; quantity 0 -> nothing; April -10 is outside.
    # returned 2 + 1 = 3; sold 5 + 1 + 1 = 7: 3 / 7 x 100 = 42.857 %
    inv = invoices(
        ("A", "2024-05-01", 100, None, 5),
        ("A", "2024-05-02", -40, None, -2),
        ("B", "2024-05-03", 30, None, None),
        ("B", "2024-05-04", -30, None, None),
        ("C", "2024-05-05", 0, None, None),
        ("C", "2024-05-06", 10, None, 0),
        ("D", "2024-04-30", -100, None, -10),
    )
    r = return_rate({"invoices": inv}, MAY, CFG)
    assert r.value == pytest.approx(300 / 7)
    assert (r.details["returned_units"], r.details["sold_units"], r.details["rows_without_quantity"]) == (3, 7, 3)
    assert r.filtered["invoices"]["outside the period"] == 1


def test_return_rate_without_a_quantity_column_counts_one_unit_a_row():
    inv = invoices(("A", "2024-05-01", 100), ("A", "2024-05-02", 50), ("B", "2024-05-03", 20), ("B", "2024-05-04", -20), quantity=False)
    r = return_rate({"invoices": inv}, MAY, CFG)
    assert r.value == pytest.approx(100 / 3)  # 1 returned / 3 sold


def test_return_rate_may_exceed_100_and_is_undefined_without_sales():
    # April sale returned in May: 2 returned / 1 sold = 200 %
    inv = invoices(("A", "2024-05-02", 10, None, 1), ("A", "2024-05-03", -20, None, -2))
    assert return_rate({"invoices": inv}, MAY, CFG).value == pytest.approx(200)
    only_returns = invoices(("A", "2024-05-03", -20, None, -2))
    assert undefined(return_rate({"invoices": only_returns}, MAY, CFG))


# --------------------------------------------------------------------------- conversion

# Trials ending in May (ended_at in May), grace 14 days:
#   T1 A 04-20..05-10, paid from 05-24 (end + 14)            -> converted
#   T2 B 04-21..05-11, paid from 05-26 (end + 15)            -> not with grace 14, yes with 15
#   T3 C 05-01..05-15, non-trial row of mrr 0 from 05-15     -> not converted (no MRR)
#   T4 D 04-01..04-30 (ends in April), paid 05-01             -> not in the cohort
#   T5 E 05-10..06-01 (ends in June)                          -> not in the cohort
#   T6 F 05-01..05-20, F paid since 04-01 (before the trial)  -> not converted
#   T7 G 05-05..05-31, paid from 05-05 (the trial's start)    -> converted
#   T8 H 05-01..05-08 and 05-08..05-15, paid from 05-15       -> two trials, both converted
# cohort 7 (T1 T2 T3 T6 T7 T8a T8b); converted 4 -> 57.14 %; grace 15: 5 -> 71.43 %
TRIALS = subs(
    ("A", "2024-04-20", "2024-05-10", 0, True),
    ("A", "2024-05-24", None, 50),
    ("B", "2024-04-21", "2024-05-11", 0, True),
    ("B", "2024-05-26", None, 50),
    ("C", "2024-05-01", "2024-05-15", 0, True),
    ("C", "2024-05-15", None, 0),
    ("D", "2024-04-01", "2024-04-30", 0, True),
    ("D", "2024-05-01", None, 50),
    ("E", "2024-05-10", "2024-06-01", 0, True),
    ("F", "2024-04-01", None, 50),
    ("F", "2024-05-01", "2024-05-20", 0, True),
    ("G", "2024-05-05", "2024-05-31", 0, True),
    ("G", "2024-05-05", None, 50),
    ("H", "2024-05-01", "2024-05-08", 0, True),
    ("H", "2024-05-08", "2024-05-15", 0, True),
    ("H", "2024-05-15", None, 50),
)


def test_trial_conversion_grace_day_14_is_in_and_day_15_is_out():
    r = conversion({"subscriptions": TRIALS}, MAY, CFG)
    assert r.value == pytest.approx(400 / 7)
    assert (r.details["kind"], r.details["trials"], r.details["converted"], r.details["grace_days"]) == ("trial", 7, 4, 14)


def test_trial_conversion_with_a_longer_grace():
    r = conversion({"subscriptions": TRIALS}, MAY, cfg(conversion={"grace_days": 15}))
    assert r.value == pytest.approx(500 / 7) and r.details["converted"] == 5


def test_trial_conversion_without_trials_ending_is_undefined():
    assert undefined(conversion({"subscriptions": TRIALS}, parse_period("2024-03"), CFG))


# Leads (May): L1 converted after 30 days, L2 after 31, L3 never, L4 the same day;
# L5 (April) and L6 (June) are outside. No window: 3 / 4 = 75 %; window 30 days: L1, L4 = 50 %.
LEADS = leads(
    ("L1", "2024-05-01", "2024-05-31"),
    ("L2", "2024-05-02", "2024-06-02"),
    ("L3", "2024-05-03", None),
    ("L4", "2024-05-31", "2024-05-31"),
    ("L5", "2024-04-30", "2024-05-05"),
    ("L6", "2024-06-01", "2024-06-02"),
)


def test_lead_conversion_is_the_default_without_subscriptions():
    r = conversion({"leads": LEADS}, MAY, CFG)
    assert r.value == pytest.approx(75)
    assert (r.details["kind"], r.details["leads"], r.details["converted"], r.details["window_days"]) == ("leads", 4, 3, None)
    assert r.filtered["leads"]["created outside the period"] == 2


def test_lead_conversion_within_window_days():
    r = conversion({"leads": LEADS}, MAY, cfg(conversion={"kind": "leads", "window_days": 30}))
    assert r.value == pytest.approx(50) and r.details["converted"] == 2


def test_lead_conversion_needs_converted_at():
    r = conversion({"leads": leads(("L1", "2024-05-01", None), converted=False)}, MAY, CFG)
    assert undefined(r) and any("converted_at" in w for w in r.warnings)


# --------------------------------------------------------------------------- referrals

# May 2024. New customers (created_at in May, else first paid day):
#   N1 05-01 by R1; N2 05-31 by R2; N3 05-10 by R2; N4 05-15 not referred; N5 no created_at, first
#   paid 05-20, by R3; N10 05-05 by R1; N11 05-06 by X9 (unknown referrer); N12..N14 by Z1.
# Not new: N6 (no signup day at all), N7 04-30, N8 06-01, N9 (trial in May, first paid day June).
# new 10, referred 9: 90 %. Top referrers: Z1 3, R1 2, R2 2 (tie: by id), R3 1, X9 1 (tie: by id).
PEOPLE = customers(
    ("R1", "2023-01-01", None, "Rho One"),
    ("R2", "2023-01-01", None, "Rho Two"),
    ("R3", "2023-01-01", None, "Rho Three"),
    ("Z1", "2023-01-01", None, "Zeta"),
    ("N1", "2024-05-01", "R1", None),
    ("N2", "2024-05-31", "R2", None),
    ("N3", "2024-05-10", "R2", None),
    ("N4", "2024-05-15", None, None),
    ("N5", None, "R3", None),
    ("N6", None, "R1", None),
    ("N7", "2024-04-30", "R1", None),
    ("N8", "2024-06-01", "R1", None),
    ("N9", None, "R1", None),
    ("N10", "2024-05-05", "R1", None),
    ("N11", "2024-05-06", "X9", None),
    ("N12", "2024-05-07", "Z1", None),
    ("N13", "2024-05-08", "Z1", None),
    ("N14", "2024-05-09", "Z1", None),
)
PAID = subs(
    ("N5", "2024-05-20", None, 30),
    ("N9", "2024-05-01", "2024-05-10", 0, True),
    ("N9", "2024-06-01", None, 30),
    ("N1", "2024-03-01", None, 30),  # created_at wins over an earlier paid day
)


def test_referrals_rate_and_top_referrers():
    r = referrals({"customers": PEOPLE, "subscriptions": PAID}, MAY, CFG)
    assert r.value == pytest.approx(90)
    assert (r.details["new_customers"], r.details["referred_customers"], r.details["referrers"]) == (10, 9, 5)
    assert r.rows == [
        {"referrer_id": "Z1", "referrer_name": "Zeta", "referred_customers": 3},
        {"referrer_id": "R1", "referrer_name": "Rho One", "referred_customers": 2},
        {"referrer_id": "R2", "referrer_name": "Rho Two", "referred_customers": 2},
        {"referrer_id": "R3", "referrer_name": "Rho Three", "referred_customers": 1},
        {"referrer_id": "X9", "referrer_name": None, "referred_customers": 1},
    ]
    assert r.filtered["customers"] == {"signed up outside the period": 7, "no signup day": 1}


def test_referrals_without_subscriptions_use_created_at_only():
    # N5 has no signup day now: new 9, referred 8.
    r = referrals({"customers": PEOPLE}, MAY, CFG)
    assert r.value == pytest.approx(800 / 9) and r.details["new_customers"] == 9


def test_referrals_without_a_created_at_column_use_the_first_paid_day_and_keep_the_top_ten():
    # 12 customers first paying in May, each referred by a different referrer: rows R00..R09 only.
    people = customers(*[(f"c{i}", None, f"R{i:02d}", None) for i in range(12)], columns=("customer_id", "referred_by"))
    paid = subs(*[(f"c{i}", "2024-05-10", None, 30) for i in range(12)])
    r = referrals({"customers": people, "subscriptions": paid}, MAY, CFG)
    assert r.value == pytest.approx(100) and r.details["new_customers"] == 12
    assert [row["referrer_id"] for row in r.rows] == [f"R{i:02d}" for i in range(10)]
    assert "referrer_name" not in r.rows[0]


def test_referrals_undefined_without_new_customers_or_without_referred_by():
    r = referrals({"customers": PEOPLE}, parse_period("2022-01"), CFG)
    assert undefined(r) and r.rows == []
    no_column = customers(("N1", "2024-05-01", None, None), columns=("customer_id", "created_at"))
    r = referrals({"customers": no_column}, MAY, CFG)
    assert undefined(r) and any("referred_by" in w for w in r.warnings)


# --------------------------------------------------------------------------- the CLI


def test_referrals_cli_json_lists_the_referrers(tmp_path, monkeypatch):
    monkeypatch.delenv("CS_METRICS_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    # May: C3 (by C1), C4 (by C1), C5 (by C2), C6 (not referred) are new: 3 / 4 = 75 %.
    (data / "customers.csv").write_text(
        "customer_id,name,created_at,referred_by\n"
        "C1,Alpha Co,2023-01-01,\n"
        "C2,Beta Ltd,2023-02-01,\n"
        "C3,Gamma Inc,2024-05-02,C1\n"
        "C4,Delta LLC,2024-05-03,C1\n"
        "C5,Epsilon,2024-05-30,C2\n"
        "C6,Zeta,2024-05-31,\n"
        "C7,Eta,2024-06-01,C2\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["referrals", "--data", str(data), "--period", "2024-05", "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["metric"] == "referrals" and doc["unit"] == "percent"
    assert doc["value"] == pytest.approx(75)
    assert doc["details"]["new_customers"] == 4 and doc["details"]["referred_customers"] == 3
    assert doc["rows"] == [
        {"referrer_id": "C1", "referrer_name": "Alpha Co", "referred_customers": 2},
        {"referrer_id": "C2", "referrer_name": "Beta Ltd", "referred_customers": 1},
    ]
