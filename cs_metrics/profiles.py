"""Definition profiles: named sets of the switches on which SaaS-metrics tools disagree.

A profile gives every switch a value; `definitions:` in the config overrides it key by key (a key
set there always wins), and `profile:` (or `--profile NAME`) picks the profile. `in_force(cfg)` is
what the metrics use: the value of every switch and where it came from, for --explain.

Each profile value carries the public page it was taken from; a value the vendor's documentation does
not settle is marked `confirmed=False` with the reason for the choice (README, "Definition profiles").
This module imports nothing heavy: the CLI builds --help from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_PROFILE = "cs-metrics"


@dataclass(frozen=True)
class Switch:
    key: str
    values: tuple  # the accepted values (a day count switch accepts None or a positive int)
    title: str  # what it decides, for tables
    words: dict  # value -> how --explain and compare say it


SWITCHES: tuple[Switch, ...] = (
    Switch(
        "discounts", ("all", "forever", "none"), "discounts",
        {"all": "every discount reduces MRR", "forever": "only permanent (forever) discounts reduce MRR",
         "none": "list price, discounts do not count"},
    ),
    Switch(
        "free_customers", ("excluded", "retained", "counted"), "trials and 100 %-discount customers",
        {"excluded": "trials and 100 %-discount customers are not customers (a paying customer moved to 100 % off churns)",
         "retained": "a customer who has paid stays a customer at 0 MRR (100 % off, free plan); trials before the first payment are not customers",
         "counted": "trials and 100 %-discount customers count as customers at 0 MRR"},
    ),
    Switch(
        "past_due_churn_days", (None, "days"), "past-due subscriptions",
        {None: "a past-due subscription stays in MRR until it is cancelled",
         "days": "a past-due customer churns {n} days after its unpaid invoice fell due"},
    ),
    Switch(
        "churn_at", ("ended_at", "canceled_at", "period_end"), "churn timing",
        {"ended_at": "churn when service ends (ended_at)",
         "canceled_at": "churn when the customer asks to cancel or schedules it (canceled_at)",
         "period_end": "churn at the end of the last paid period (term_ends_at), even when cancelled before it"},
    ),
    Switch(
        "same_period_churn", ("excluded", "movements", "counted"), "sign-up and churn in one period",
        {"excluded": "a customer who starts and stops paying inside one month is neither new nor churn",
         "movements": "such a customer shows as new and as churn MRR, but not in the churn rate",
         "counted": "such a customer shows as new and as churn MRR, and counts as churned in the churn rate"},
    ),
    Switch(
        "reactivation_days", (None, "days"), "reactivation",
        {None: "any return of a former paying customer is reactivation",
         "days": "a return within {n} days of leaving is reactivation, a later one is new"},
    ),
    Switch(
        "churn_denominator", ("start", "start_plus_new"), "churn rate denominator",
        {"start": "customers paying at the start", "start_plus_new": "customers paying at the start plus those who began paying in the period"},
    ),
    Switch(
        "churn_window", ("period", "rolling_30_days"), "churn rate window",
        {"period": "the calendar period asked for", "rolling_30_days": "the 30 days ending with the period"},
    ),
    Switch(
        "fx", ("fixed", "service_start", "snapshot"), "currency conversion",
        {"fixed": "the fixed rates of currency.rates",
         "service_start": "the rate on the day each subscription row or invoice line starts (fx_rates)",
         "snapshot": "the rate on each snapshot day (fx_rates): existing MRR is re-measured"},
    ),
    Switch(
        "fx_movement", (False, True), "FX change",
        {False: "a change of MRR from exchange rates is expansion or contraction",
         True: "a change of MRR from exchange rates is its own movement line (fx)"},
    ),
)  # fmt: skip
KEYS = tuple(s.key for s in SWITCHES)
SWITCH = {s.key: s for s in SWITCHES}


@dataclass(frozen=True)
class Setting:
    value: object
    source: str  # the public page it comes from ("" for cs-metrics' own choices)
    confirmed: bool = True
    note: str = ""  # why, when the page does not settle it


@dataclass(frozen=True)
class Profile:
    name: str
    summary: str
    settings: dict = field(default_factory=dict)  # key -> Setting

    def value(self, key: str):
        return self.settings[key].value


def _ours(**values) -> dict:
    return {k: Setting(v, "") for k, v in values.items()}


_CM = "https://help.chartmogul.com/hc/en-us/articles/"
_BM = "https://help.baremetrics.com/en/articles/"
_PW = "https://www.paddle.com/help/profitwell-metrics/measure/"
_ST = "https://support.stripe.com/questions/"

PROFILES: dict[str, Profile] = {
    "cs-metrics": Profile(
        "cs-metrics",
        "cs-metrics' own definitions (metrics.md): the default",
        _ours(discounts="all", free_customers="excluded", past_due_churn_days=None, churn_at="ended_at",
              same_period_churn="excluded", reactivation_days=None, churn_denominator="start",
              churn_window="period", fx="fixed", fx_movement=False),
    ),
    "chartmogul": Profile(
        "chartmogul",
        "ChartMogul's default data settings",
        {
            "discounts": Setting("all", _CM + "203299912-Data-Table-and-MRR-Movements-"),
            "free_customers": Setting("retained", _CM + "15384089786524-Configuring-Subscription-Analytics-settings"),
            "past_due_churn_days": Setting(None, "https://help.chartmogul.com/article/303-handling-past-due-subscriptions"),
            "churn_at": Setting("ended_at", "https://help.chartmogul.com/article/242-churn-recognition"),
            "same_period_churn": Setting(
                "movements", _CM + "203299912-Data-Table-and-MRR-Movements-", False,
                "the movements page counts new business when a lead first pays and churn when it cancels; the churn "
                "rate formula page was not found: such a customer is kept out of the rate",
            ),
            "reactivation_days": Setting(None, _CM + "203299912-Data-Table-and-MRR-Movements-"),
            "churn_denominator": Setting(
                "start", _CM + "15384089786524-Configuring-Subscription-Analytics-settings", False,
                "the standard formula is named, its page was not found: customers at the start chosen",
            ),
            "churn_window": Setting(
                "period", _CM + "15384089786524-Configuring-Subscription-Analytics-settings", False,
                "the standard formula is named, its page was not found: the calendar period chosen",
            ),
            "fx": Setting("service_start", _CM + "201520952-How-ChartMogul-handles-subscriptions-billed-in-foreign-currencies"),
            "fx_movement": Setting(True, _CM + "201520952-How-ChartMogul-handles-subscriptions-billed-in-foreign-currencies"),
        },
    ),
    "baremetrics": Profile(
        "baremetrics",
        "Baremetrics' documented defaults",
        {
            "discounts": Setting(
                "all", _BM + "5380330-monthly-recurring-revenue", False,
                "the page removes a coupon's amount from MRR; it does not say whether a limited-duration coupon counts: all chosen",
            ),
            "free_customers": Setting("excluded", _BM + "5380343-cancellations-and-downgrades"),
            "past_due_churn_days": Setting(30, _BM + "5380343-cancellations-and-downgrades"),
            "churn_at": Setting(
                "ended_at", _BM + "5380343-cancellations-and-downgrades", False,
                "no page says whether a cancellation at period end churns at the request or at the end: the end of service chosen",
            ),
            "same_period_churn": Setting("counted", "https://changelog.baremetrics.com/?cursor=4rvQF0AhrFScF"),
            "reactivation_days": Setting(
                None, "", False, "no Baremetrics page on returning customers was found: any return is reactivation"
            ),
            "churn_denominator": Setting(
                "start", "https://updates.baremetrics.com/", False,
                "the revenue churn formula divides by MRR 30 days ago; user churn is taken the same way (customers 30 days ago)",
            ),
            "churn_window": Setting("rolling_30_days", "https://updates.baremetrics.com/"),
            "fx": Setting(
                "service_start", "", False,
                "no Baremetrics page on exchange rates was found; the rate of the day a price starts is chosen, as "
                "ChartMogul documents",
            ),
            "fx_movement": Setting(False, "", False, "no FX movement line is documented"),
        },
    ),
    "profitwell": Profile(
        "profitwell",
        "ProfitWell Metrics (Paddle)",
        {
            "discounts": Setting("all", _PW + "compare/profitwell-vs-chargify"),
            "free_customers": Setting(
                "excluded", "", False, "no ProfitWell page on customers moved to a free plan was found: excluded chosen"
            ),
            "past_due_churn_days": Setting(
                None, _PW + "subscription-retention/churn", False,
                "delinquent churn happens when the billing system's dunning gives up (no fixed day count): past-due stays "
                "in MRR until the export ends the subscription",
            ),
            "churn_at": Setting("ended_at", _PW + "subscription-retention/churn"),
            "same_period_churn": Setting("excluded", _PW + "compare/profitwell-vs-chargify"),
            "reactivation_days": Setting(None, _PW + "compare/profitwell-vs-chargify"),
            "churn_denominator": Setting(
                "start", "", False, "no formula is published: customers at the start of the calendar month chosen"
            ),
            "churn_window": Setting("period", "", False, "no formula is published: the calendar period chosen"),
            "fx": Setting(
                "service_start", "", False,
                "no ProfitWell page on exchange rates was found; the rate of the day a price starts is chosen, as ChartMogul documents",
            ),
            "fx_movement": Setting(False, "", False, "no FX movement line is documented"),
        },
    ),
    "stripe": Profile(
        "stripe",
        "Stripe Billing analytics",
        {
            "discounts": Setting("forever", _ST + "billing-analytics"),
            "free_customers": Setting("excluded", "https://docs.stripe.com/billing/subscriptions/analytics/glossary"),
            "past_due_churn_days": Setting(None, "https://docs.stripe.com/billing/subscriptions/analytics/glossary"),
            "churn_at": Setting("canceled_at", _ST + "impact-of-subscription-cancellations-on-monthly-recurring-revenue-mrr-in-billing"),
            "same_period_churn": Setting("counted", _ST + "calculating-churn-rate-in-billing"),
            "reactivation_days": Setting(None, _ST + "calculating-churn-rate-in-billing"),
            "churn_denominator": Setting("start_plus_new", _ST + "calculating-churn-rate-in-billing"),
            "churn_window": Setting("rolling_30_days", _ST + "calculating-churn-rate-in-billing"),
            "fx": Setting(
                "snapshot", "https://docs.stripe.com/billing/subscriptions/analytics/glossary", False,
                "the glossary adjusts MRR growth for FX impact, so existing MRR is re-measured; which day's rate is "
                "not documented: the rate in force on each day chosen",
            ),
            "fx_movement": Setting(True, "https://docs.stripe.com/billing/subscriptions/analytics/glossary"),
        },
    ),
}


@dataclass(frozen=True)
class InForce:
    """The definitions a run uses: each switch's value and where it came from."""

    profile: str
    values: dict
    overridden: tuple  # the keys the config set itself

    def __getattr__(self, key: str):
        try:
            return self.__dict__["values"][key]
        except KeyError:
            raise AttributeError(key) from None

    @property
    def default(self) -> bool:
        """cs-metrics' own definitions, whatever way they were named."""
        return all(self.values[k] == PROFILES[DEFAULT_PROFILE].value(k) for k in KEYS)

    def label(self) -> str:
        """How a footer or a table names these definitions: `chartmogul`, `stripe with discounts: none`."""
        from cs_metrics.i18n import T

        own = PROFILES[self.profile]
        changed = [k for k in self.overridden if self.values[k] != own.value(k)]
        if not changed:
            return T("{profile} (default definitions)", profile=self.profile) if self.profile == DEFAULT_PROFILE else self.profile
        return T("{profile} with {changes}", profile=self.profile, changes=", ".join(f"{k}: {show(self.values[k])}" for k in changed))

    def words(self) -> str:
        """One sentence for --explain: the profile, and each switch that differs from cs-metrics' own
        definitions or that the config sets (marked)."""
        from cs_metrics.i18n import T, join

        ours = PROFILES[DEFAULT_PROFILE]
        parts = [
            T("{key} {value} (set in the config)", key=key, value=show(self.values[key]))
            if key in self.overridden
            else T("{key} {value}", key=key, value=show(self.values[key]))
            for key in KEYS
            if key in self.overridden or self.values[key] != ours.value(key)
        ]
        if not parts:
            return T(" Definitions in force: profile {profile}.", profile=self.profile)
        return T(" Definitions in force: profile {profile}: {switches}.", profile=self.profile, switches=join(", ", parts))

    def with_values(self, **changes) -> InForce:
        return InForce(self.profile, {**self.values, **changes}, tuple(dict.fromkeys((*self.overridden, *changes))))


def configured(cfg, profile: str | None = None, **values):
    """The config with another profile and/or definition keys set (as if written under `definitions:`)."""
    update = {}
    if profile is not None:
        update["profile"] = profile
    if values:
        update["definitions"] = cfg.definitions.model_copy(update=values)
    return cfg.model_copy(update=update) if update else cfg


def defaults() -> InForce:
    """cs-metrics' own definitions."""
    return InForce(DEFAULT_PROFILE, {k: PROFILES[DEFAULT_PROFILE].value(k) for k in KEYS}, ())


def show(value) -> str:
    """A switch value as written in YAML."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def describe(key: str, value) -> str:
    """What a switch value means, in words."""
    sw = SWITCH[key]
    if sw.values[-1] == "days":
        return sw.words[None] if value is None else sw.words["days"].format(n=value)
    return sw.words[value]


def in_force(cfg) -> InForce:
    """The definitions of a run: the profile's values, each key the config sets under `definitions:`
    instead (and `metrics.mrr.discounts`, the older spelling of definitions.discounts: true = all,
    false = none)."""
    name = getattr(cfg, "profile", DEFAULT_PROFILE) or DEFAULT_PROFILE
    profile = PROFILES[name]
    values = {k: profile.value(k) for k in KEYS}
    own = getattr(cfg, "definitions", None)
    overridden = []
    explicit = set(own.model_fields_set) if own is not None else set()
    mrr_cfg = cfg.metrics.mrr
    if "discounts" in mrr_cfg.model_fields_set and "discounts" not in explicit:
        values["discounts"] = "all" if mrr_cfg.discounts else "none"
        overridden.append("discounts")
    for key in KEYS:
        if key in explicit:
            values[key] = getattr(own, key)
            overridden.append(key)
    return InForce(name, values, tuple(overridden))
