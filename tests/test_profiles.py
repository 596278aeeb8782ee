"""Definition profiles and `compare`: each vendor's documented rule, hand-computed on a fixture where
every switch matters (tests/data/profiles), and the per-customer differences adding up to the gap.

The fixture (subscriptions.csv, fx_rates.csv; USD base, fixed rate THB 0.029), period 2026-10:
  C1  100/month                                            every profile 100
  C2  200/month, 50 % off forever                          every profile 100
  C3  200/month, 25 % off repeating until 2027-03-01        150; stripe 200 (only forever coupons count)
  C5  80/month, past due since 2026-09-20                  80; baremetrics 0 (churned after 30 days: 10-20)
  C6  120/month, canceled_at 2026-10-15, ended_at 11-15    120; stripe 0 (MRR removed at cancellation)
  C8  THB 3,000/month from 2026-03-01                      fixed 0.029: 87; rate of its start day
                                                           (0.028): 84; stripe, rate of the day (0.030): 90
  C9  50/month 2026-10-05..10-20 (in and out in October)   churn only where same-period churn counts
  C10 60/month, ended 2026-10-10                           churned in every profile
  C11 paid 40 until 09-15, then 100 % off                  a customer only where free customers stay (chartmogul)
  C13 70/month, ended 2026-10-01 (last day 09-30)          churned in October by the calendar month; already gone
                                                           at the start of a rolling 30 days (10-02..10-31)

Sources (README, "Definition profiles", has the full table):
  ChartMogul https://help.chartmogul.com/hc/en-us/articles/15384089786524-Configuring-Subscription-Analytics-settings
    (churn when the subscription ends, by default; a paying customer moved to 100 % off stays Active),
    https://help.chartmogul.com/article/303-handling-past-due-subscriptions (past due stays in MRR by default)
  Baremetrics https://help.baremetrics.com/en/articles/5380343-cancellations-and-downgrades (delinquent more
    than 30 days: cancelled; a downgrade to free is a cancellation), https://changelog.baremetrics.com
    ("customers who sign up and cancel within the same 30 day window are now included in your churn rate")
  ProfitWell https://paddle.com/help/profitwell-metrics/measure/compare/profitwell-vs-chargify (discounts
    always subtracted; sign-up and churn in one calendar month ignored; MRR kept to the end of the cycle)
  Stripe https://support.stripe.com/questions/billing-analytics (only forever coupons reduce MRR),
    https://docs.stripe.com/billing/subscriptions/analytics/glossary (active and past_due count; churn at
    cancellation), Stripe's subscriber churn rate: churned in the past 30 days / (active 30 days ago + new
    in those 30 days).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cs_metrics.cli import app
from cs_metrics.config import load_config
from cs_metrics.profiles import PROFILES, in_force

FIXTURE = Path(__file__).parent / "data" / "profiles"
CONFIG = str(FIXTURE / "cs-metrics.yaml")


def _json(*args: str) -> dict:
    out = CliRunner().invoke(app, [*args, "-c", CONFIG, "-p", "2026-10", "-f", "json", "-q"])
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)


# closing MRR 2026-10-31, by hand from the table above
MRR = {
    "cs-metrics": 100 + 100 + 150 + 80 + 120 + 87,  # 637: today's definitions
    "chartmogul": 100 + 100 + 150 + 80 + 120 + 84,  # 634: every discount, past due stays, rate of the start day
    "baremetrics": 100 + 100 + 150 + 0 + 120 + 84,  # 554: C5 churned 30 days after falling due
    "profitwell": 100 + 100 + 150 + 80 + 120 + 84,  # 634
    "stripe": 100 + 100 + 200 + 80 + 0 + 90,  # 570: C3 at list price, C6 gone at cancellation, C8 at 0.030
}
# customer churn 2026-10, by hand
CHURN = {
    "cs-metrics": 2 / 8,  # S = C1 C2 C3 C5 C6 C8 C10 C13; lost C10, C13
    "chartmogul": 2 / 9,  # C11 (paid, then 100 % off) is in S and stays
    "baremetrics": 3 / 7,  # rolling 30 days (S at the end of 10-01, without C13): lost C10, C5; C9 in and out counts
    "profitwell": 2 / 8,
    "stripe": 3 / 8,  # rolling: lost C10, C6 (canceled 10-15), C9 in and out; over 7 at the start + 1 new (C9)
}


@pytest.mark.parametrize("profile", list(PROFILES))
def test_each_profile_gives_the_vendors_documented_mrr_and_churn(profile):
    assert _json("mrr", "--profile", profile)["value"] == pytest.approx(MRR[profile], abs=1e-6)
    assert _json("churn", "--profile", profile)["value"] == pytest.approx(100 * CHURN[profile], abs=1e-9)


def test_profile_from_the_config_and_a_definitions_key_overriding_it(tmp_path):
    cfg = tmp_path / "cs-metrics.yaml"
    cfg.write_text(
        f"data: {FIXTURE}\ncurrency:\n  base: USD\n  rates: {{THB: 0.029}}\nprofile: stripe\ndefinitions:\n  churn_at: ended_at\n"
    )
    out = CliRunner().invoke(app, ["mrr", "-c", str(cfg), "-p", "2026-10", "-f", "json", "-q", "--explain"])
    doc = json.loads(out.stdout)
    assert doc["value"] == pytest.approx(570 + 120)  # stripe, but C6 keeps its MRR to the end of service
    assert "Definitions in force: profile stripe: discounts forever, churn_at ended_at (set in the config)," in doc["definition"]
    # --profile replaces the config's profile; the config's own key still wins
    out = CliRunner().invoke(app, ["mrr", "-c", str(cfg), "-p", "2026-10", "-f", "json", "-q", "--profile", "baremetrics"])
    assert json.loads(out.stdout)["value"] == pytest.approx(554)


def test_unknown_profile_is_a_usage_error_naming_the_profiles(tmp_path):
    out = CliRunner().invoke(app, ["mrr", "-c", CONFIG, "-p", "2026-10", "--profile", "klipfolio"])
    assert out.exit_code == 2
    assert "stripe" in out.output and "klipfolio" in out.output
    cfg = tmp_path / "c.yaml"
    cfg.write_text("profile: klipfolio\n")
    out = CliRunner().invoke(app, ["mrr", "-c", str(cfg), "-p", "2026-10"])
    assert out.exit_code == 2 and "unknown profile 'klipfolio'" in out.output


def test_default_profile_changes_nothing():
    cfg = load_config(CONFIG)
    assert in_force(cfg).default and cfg.profile == "cs-metrics"


def test_readme_table_names_every_profile_value_and_its_page():
    from cs_metrics.profiles import SWITCHES, show

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(" `"): line for line in readme.splitlines() if line.startswith("| `") and "[" in line}
    names = [n for n in PROFILES if n != "cs-metrics"]
    for sw in SWITCHES:
        cells = [c.strip() for c in rows[sw.key].split("|")[2:-1]]
        assert cells[0].startswith(f"`{show(PROFILES['cs-metrics'].value(sw.key))}`")
        for name, cell in zip(names, cells[1:]):
            setting = PROFILES[name].settings[sw.key]
            assert cell.startswith(f"`{show(setting.value)}`"), (name, sw.key)
            assert (setting.source in cell) if setting.source else "](" not in cell
            assert ("\\*" in cell) == (not setting.confirmed), (name, sw.key)
            if not setting.confirmed:
                assert setting.note in readme


def test_the_configs_profile_names_are_the_profiles():
    import typing

    from cs_metrics.config import Config

    assert typing.get_args(Config.model_fields["profile"].annotation) == tuple(PROFILES)


def test_stripe_puts_the_exchange_rate_change_on_its_own_line():
    # Stripe's glossary: MRR growth is adjusted for FX impact. Under stripe, C8's 3,000 THB is at 0.028 on
    # 09-30 (84.00) and at 0.030 on 10-31 (90.00): the +6.00 is the fx line, not expansion. The bridge, by
    # hand: opening 100 + 100 + 200 + 80 + 120 + 84 + 60 + 70 = 814; new 50 (C9); churn 120 (C6) + 50 (C9)
    # + 60 (C10) + 70 (C13) = 300; 814 + 50 - 300 + 6 = 570.
    d = _json("mrr", "--profile", "stripe")["details"]
    assert (d["opening_mrr"], d["new_mrr"], d["churn_mrr"], d["expansion_mrr"], d["fx_mrr"]) == (814, 50, 300, 0, 6)
    assert d["closing_mrr"] == pytest.approx(570)
    assert "fx_mrr" not in _json("mrr")["details"]  # cs-metrics: one fixed rate, no fx line


@pytest.mark.parametrize(
    "profile, expected",
    [
        # opening (end of 09-30): C1 100 + C2 100 + C3 150 + C5 80 + C6 120 + C8 87 + C10 60 + C13 70 = 767;
        # churn C10 60 + C13 70; C9 (in and out in October) is in no movement
        ("cs-metrics", (767, 0, 130, 637, 8, 6)),
        # ChartMogul: C8 at its start day's rate (84); C9 counts as new business and as churn at its 50.00
        # (movements page); C11, paid then 100 % off, stays a customer (Free Customer Handling default)
        ("chartmogul", (764, 50, 180, 634, 9, 7)),
        # ProfitWell: "when a customer signs up and churns in the same calendar month, we ignore them"
        ("profitwell", (764, 0, 130, 634, 8, 6)),
    ],
)
def test_the_bridge_per_profile(profile, expected):
    d = _json("mrr", "--profile", profile)["details"]
    got = (d["opening_mrr"], d["new_mrr"], d["churn_mrr"], d["closing_mrr"], d["opening_customers"], d["closing_customers"])
    assert got == pytest.approx(expected)
