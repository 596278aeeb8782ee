"""The metric registry: name -> spec. Importing this module does not import pandas, so the CLI
can build its commands and --help from it; a metric's code is imported only when it runs."""

from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Input:
    """A table a metric reads, with the columns it must have and the ones it uses when present."""

    table: str
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    if_present: bool = False  # read only when the file exists (the metric copes without it)


@dataclass(frozen=True)
class Option:
    """A metric's own command-line option, passed to its function as a keyword argument."""

    flag: str  # "--kind"
    param: str  # "kind"
    default: object
    help: str
    choices: tuple[str, ...] = ()
    listing: bool = False  # --rows of a listing metric: only chooses the output, not passed to the function


@dataclass(frozen=True)
class Sample:
    """What a metric's value rests on: `noun` (responses, customers ...) and the details key(s)
    holding their number; the first key present in a result's details counts."""

    noun: str
    keys: tuple[str, ...]

    def size(self, details: dict) -> int | None:
        for key in self.keys:
            value = details.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return int(value)
        return None


@dataclass(frozen=True)
class MetricSpec:
    name: str
    target: str  # "module:function", imported on first use
    unit: str
    summary: str  # one line, for --help and the README
    higher_is_better: bool | None
    # (config, exists(table[, column]) -> bool) -> the tables and columns this run reads
    inputs: Callable[..., list[Input]]
    aliases: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    sample: Sample | None = None  # what the value rests on (check's min_n, the report's n)
    # (period, config) -> (first, last day) the tables it uses only when present must reach into;
    # None: the period itself
    optional_window: Callable[..., tuple] | None = None
    whole_events: bool = False  # reads events outside its period (sessions may start before it)

    def function(self):
        module, _, func = self.target.partition(":")
        return getattr(importlib.import_module(module), func)


_SUBS_MRR = Input("subscriptions", ("customer_id", "started_at", "mrr"), ("ended_at", "is_trial"))
_LINES_MRR = Input("invoice_lines", ("customer_id", "period_start", "period_end", "amount"))


def lines_route(cfg, exists) -> bool:
    """Whether MRR comes from invoice lines: revenue_source says so, or (auto) there are no subscriptions but lines."""
    chosen = cfg.revenue_source
    return chosen == "invoice_lines" or (chosen == "auto" and not exists("subscriptions") and exists("invoice_lines"))


def mrr_inputs(cfg, exists, plan: bool = False, if_present: bool = False) -> list[Input]:
    """What MRR is made of, by the config's revenue_source: subscription rows or invoice lines (with `plan`
    required when the metric needs each row's plan); with the definitions that need them, exchange rates
    by day (fx) and the invoices that say when a customer fell behind (past_due_churn_days)."""
    from cs_metrics.profiles import in_force

    base = _LINES_MRR if lines_route(cfg, exists) else _SUBS_MRR
    required = base.required + (("plan",) if plan else ())
    inputs = [Input(base.table, required, base.optional, if_present=if_present)]
    defs = in_force(cfg)
    if defs.fx != "fixed":
        inputs.append(Input("fx_rates", ("date", "currency", "rate"), if_present=True))
    if defs.past_due_churn_days is not None and not (base.table == "subscriptions" and exists(base.table, "past_due_since")):
        inputs.append(Input("invoices", ("customer_id", "issued_at", "amount"), ("due_at", "paid_at"), if_present=True))
    return inputs


_SURVEYS = Input("surveys", ("responded_at", "survey", "score"), ("customer_id",))
_SUBS_TERMS = Input("subscriptions", ("customer_id", "started_at", "mrr"), ("ended_at", "is_trial", "term_ends_at"))
_INVOICES = Input("invoices", ("customer_id", "issued_at", "amount"), ("paid_at", "due_at", "quantity"))
_ROWS = Option(
    "--rows", "rows", False,
    "List the per-customer rows behind the number (customer, opening and closing MRR, movement or status; canceled_at and "
    "ended_at when the subscriptions have canceled_at).",
)  # fmt: skip
_WINDOW = Option(
    "--window", "window", None,
    "Trailing window: 12m measures from the snapshot 12 months before the period's end to its end (any 1m..120m).",
)  # fmt: skip


def _listing(what: str) -> Option:
    """--rows of a metric that always lists things: the default output is the result (value, details,
    segments), the listing comes with --rows; JSON carries both."""
    return Option("--rows", "rows", False, f"List {what} instead of the result (JSON always has both).", listing=True)


_DAILY = Input("daily_activity", ("customer_id", "user_id", "day", "events", "active_events"), ("sessions", "session_seconds"))


def activity(exists, events: Input) -> Input:
    """Raw events when the data has them, else the daily activity a warehouse computed from them
    (sql/daily_activity.sql): the same metrics from one row per customer, user and day."""
    if exists is None or exists("events") or not exists("daily_activity"):
        return events
    return dataclasses.replace(_DAILY, if_present=events.if_present)


def active_inputs(cfg, exists) -> list[Input]:
    """What `active customers in P` reads, by the config's `active_customer`."""
    return {
        "paying": mrr_inputs(cfg, exists),
        "events": [activity(exists, Input("events", ("customer_id", "occurred_at"), ("event",)))],
        "invoiced": [Input("invoices", ("customer_id", "issued_at", "amount"))],
    }[cfg.active_customer]


def _arpu_inputs(cfg, exists) -> list[Input]:
    basis = cfg.metrics.arpu.basis
    if basis == "mrr" or (basis == "auto" and (exists("subscriptions") or lines_route(cfg, exists))):
        return mrr_inputs(cfg, exists)
    return [_INVOICES, *mrr_inputs(cfg, exists, if_present=True)]


def _clv_inputs(cfg, exists) -> list[Input]:
    opt = cfg.metrics.clv
    if opt.method == "subscription" or (opt.method == "auto" and not exists("invoices")):
        return mrr_inputs(cfg, exists)
    churn_source = [] if opt.lifespan_months else _churn_inputs(cfg, exists)
    return [_INVOICES, *churn_source]


def _crc_inputs(cfg, exists) -> list[Input]:
    costs = [] if (cfg.metrics.crc.per_month is not None or cfg.metrics.crc.monthly) else [Input("costs", ("month", "amount"), ("category",))]
    return costs + active_inputs(cfg, exists)


def _conversion_inputs(cfg, exists) -> list[Input]:
    kind = cfg.metrics.conversion.kind
    if kind == "trial" or (kind == "auto" and (exists("subscriptions", "is_trial") or exists("subscriptions", "trial_ends_at"))):
        return [Input("subscriptions", ("customer_id", "started_at", "mrr"), ("ended_at", "is_trial", "trial_ends_at"))]
    return [Input("leads", ("lead_id", "created_at"), ("converted_at", "customer_id", "source"))]


def _churn_inputs(cfg, exists) -> list[Input]:
    source = cfg.metrics.churn.source
    if source == "subscriptions" or (source == "auto" and (exists("subscriptions") or lines_route(cfg, exists))):
        return mrr_inputs(cfg, exists)
    return [Input("customers", ("customer_id", "churned_at"), ("created_at",))]


REGISTRY: dict[str, MetricSpec] = {
    spec.name: spec
    for spec in (
        MetricSpec(
            "mrr",
            "cs_metrics.metrics.revenue:mrr",
            "money",
            "Closing MRR, ARR and the MRR movements (new, expansion, contraction, churn, reactivation).",
            True,
            mrr_inputs,
            options=(
                _ROWS,
                Option("--matrix", "matrix", False, "List the customer x month MRR matrix: one row per customer, one column per month end (opening first)."),
            ),
        ),
        MetricSpec(
            "churn",
            "cs_metrics.metrics.retention:churn",
            "percent",
            "Customer churn: share of customers paying at the start of the period not paying at its end.",
            False,
            _churn_inputs,
            options=(_ROWS, _WINDOW),
        ),
        MetricSpec(
            "nps",
            "cs_metrics.metrics.voice:nps",
            "score",
            "Net Promoter Score: % promoters (9-10) minus % detractors (0-6), with its margin of error.",
            True,
            lambda cfg, exists: [Input("surveys", ("responded_at", "survey", "score"), ("customer_id",))],
        ),
        MetricSpec(
            "csat",
            "cs_metrics.metrics.voice:csat",
            "percent",
            "Customer satisfaction: share of CSAT responses scoring 4 or 5 (of 1-5), with the mean score.",
            True,
            lambda cfg, exists: [_SURVEYS],
        ),
        MetricSpec(
            "ces",
            "cs_metrics.metrics.voice:ces",
            "percent",
            "Customer effort score: share of CES responses scoring 5 or more (of 1-7), with the mean score.",
            True,
            lambda cfg, exists: [_SURVEYS],
        ),
        MetricSpec(
            "feedback",
            "cs_metrics.metrics.voice:feedback",
            "count",
            "Survey comments of the period: counts and the most frequent terms per group; --rows lists them, unhappy ones first.",
            None,
            lambda cfg, exists: [Input("surveys", ("responded_at", "survey", "score"), ("customer_id", "comment", "response_id"))],
            options=(_listing("the comments with their score and group, unhappy ones first"),),
        ),
        MetricSpec(
            "fcr",
            "cs_metrics.metrics.support:fcr",
            "percent",
            "First contact resolution: resolved tickets of the period solved in one contact and not reopened / resolved tickets.",
            True,
            lambda cfg, exists: [Input("tickets", ("created_at", "resolved_at"), ("contacts", "reopened"))],
        ),
        MetricSpec(
            "tickets",
            "cs_metrics.metrics.support:tickets",
            "count",
            "Support tickets created in the period; resolved, open, complaints, median response and resolution hours, per 100 active customers.",
            None,
            lambda cfg, exists: [
                Input("tickets", ("created_at",), ("first_response_at", "resolved_at", "category")),
                *[Input(i.table, i.required, i.optional, if_present=True) for i in active_inputs(cfg, exists)],
            ],
        ),
        MetricSpec(
            "dau-mau",
            "cs_metrics.metrics.usage:dau_mau",
            "percent",
            "Stickiness: mean daily active users / monthly (period) active users x 100.",
            True,
            lambda cfg, exists: [activity(exists, Input("events", ("user_id", "occurred_at"), ("event",)))],
        ),
        MetricSpec(
            "sessions",
            "cs_metrics.metrics.usage:sessions",
            "seconds",
            "Average session length in seconds (by session_id, else a 30-minute inactivity gap); sessions per active user.",
            True,
            lambda cfg, exists: [activity(exists, Input("events", ("user_id", "occurred_at"), ("event", "session_id", "duration_seconds")))],
        ),
        MetricSpec(
            "usage",
            "cs_metrics.metrics.usage:usage",
            "percent",
            "Product usage: active customers with an active event / active customers x 100; frequency, breadth, depth; --rows: adoption per event.",
            True,
            lambda cfg, exists: [
                activity(exists, Input("events", ("customer_id", "user_id", "occurred_at"), ("event",))),
                *[i for i in active_inputs(cfg, exists) if i.table not in ("events", "daily_activity")],
            ],
            options=(_listing("the adoption of each event (customers using it, share of active customers)"),),
        ),
        MetricSpec(
            "health",
            "cs_metrics.metrics.health:health",
            "score",
            "Customer health scores 0-100 from usage, surveys, support, payments and MRR trend: customers and MRR per class; --rows lists them worst first, with the reasons.",
            True,
            lambda cfg, exists: [
                *mrr_inputs(cfg, exists),
                activity(exists, Input("events", ("customer_id", "user_id", "occurred_at"), ("event",), if_present=True)),
                Input("surveys", ("responded_at", "survey", "score"), ("customer_id",), if_present=True),
                Input("tickets", ("customer_id", "created_at"), ("resolved_at", "category"), if_present=True),
                Input("invoices", ("customer_id", "issued_at", "amount"), ("due_at", "paid_at", "paid"), if_present=True),
                Input("customers", ("customer_id",), ("name",), if_present=True),
            ],
            options=(
                Option("--customer", "customer", None, "Show one customer's components as bars (its listing: no --rows needed)."),
                Option(
                    "--backtest",
                    "backtest",
                    False,
                    "Score customers as of the period's end minus metrics.health.backtest_horizon_days (90) and show, per class, "
                    "how many churned by the period's end (the period follows --period / --as-of).",
                ),
                _listing("every customer's score, class, two weakest components and MRR, worst first (with --backtest: each class)"),
            ),
        ),
        MetricSpec(
            "arpu",
            "cs_metrics.metrics.revenue:arpu",
            "money",
            "Average revenue per customer: closing MRR / paying customers (basis mrr), or invoice revenue / average active customers (basis revenue).",
            True,
            _arpu_inputs,
        ),
        MetricSpec(
            "ndr",
            "cs_metrics.metrics.revenue:ndr",
            "percent",
            "Net dollar (revenue) retention: closing MRR of the customers paying at the start / their opening MRR x 100.",
            True,
            mrr_inputs,
            aliases=("nrr",),
            options=(_ROWS, _WINDOW),
        ),
        MetricSpec(
            "grr",
            "cs_metrics.metrics.revenue:grr",
            "percent",
            "Gross revenue retention: starting customers' MRR kept, capped at each one's opening MRR, / their opening MRR x 100.",
            True,
            mrr_inputs,
            options=(_WINDOW,),
        ),
        MetricSpec(
            "revenue-churn",
            "cs_metrics.metrics.revenue:revenue_churn",
            "percent",
            "Gross MRR churn: churn + contraction of the starting customers / their opening MRR x 100 (net in the details).",
            False,
            mrr_inputs,
        ),
        MetricSpec(
            "revenue-growth",
            "cs_metrics.metrics.revenue:revenue_growth",
            "percent",
            "Existing-customer revenue growth: (closing - opening MRR of the starting customers) / opening x 100.",
            True,
            mrr_inputs,
        ),
        MetricSpec(
            "renewal-rate",
            "cs_metrics.metrics.revenue:renewal_rate",
            "percent",
            "Renewal rate: subscription terms ending in the period whose customer is still paying on the due day (+ grace days).",
            True,
            # due terms are subscription rows; whether renewed follows the MRR route (and the definitions' extra tables)
            lambda cfg, exists: [_SUBS_TERMS, *(mrr_inputs(cfg, exists) if lines_route(cfg, exists) else mrr_inputs(cfg, exists)[1:])],
        ),
        MetricSpec(
            "quick-ratio",
            "cs_metrics.metrics.finance:quick_ratio",
            "ratio",
            "Quick ratio: MRR gained (new + reactivation + expansion) / MRR lost (contraction + churn) in the period.",
            True,
            mrr_inputs,
        ),
        MetricSpec(
            "concentration",
            "cs_metrics.metrics.finance:concentration",
            "percent",
            "Revenue concentration: share of closing MRR held by the top 10 customers and the top decile, and the HHI.",
            False,
            lambda cfg, exists: [*mrr_inputs(cfg, exists), Input("customers", ("customer_id",), ("name",), if_present=True)],
            options=(Option("--rows", "rows", False, "List the top customers with their rank, MRR, share and cumulative share."),),
        ),
        MetricSpec(
            "plan-migration",
            "cs_metrics.metrics.finance:plan_migration",
            "count",
            "Plan migration: from-plan x to-plan matrix of customers and MRR between the opening and closing snapshots.",
            None,
            lambda cfg, exists: mrr_inputs(cfg, exists, plan=True),
            options=(_listing("the from-plan x to-plan cells with their customers and MRR"),),
        ),
        MetricSpec(
            "clv",
            "cs_metrics.metrics.commerce:clv",
            "money",
            "Customer lifetime value: purchase value x purchase frequency x lifespan, or ARPU x margin / monthly churn.",
            True,
            _clv_inputs,
        ),
        MetricSpec(
            "crc",
            "cs_metrics.metrics.commerce:crc",
            "money",
            "Customer retention cost: retention costs of the period / active customers.",
            False,
            _crc_inputs,
        ),
        MetricSpec(
            "dso",
            "cs_metrics.metrics.commerce:dso",
            "days",
            "Days sales outstanding: receivables at the end / credit sales of the period x days.",
            False,
            lambda cfg, exists: [Input("invoices", ("customer_id", "issued_at", "amount"), ("paid_at", "paid"))],
        ),
        MetricSpec(
            "repeat-purchase",
            "cs_metrics.metrics.commerce:repeat_purchase",
            "percent",
            "Repeat purchase rate: purchasers of the period with at least two purchases / purchasers x 100.",
            True,
            lambda cfg, exists: [_INVOICES],
        ),
        MetricSpec(
            "return-rate",
            "cs_metrics.metrics.commerce:return_rate",
            "percent",
            "Return rate: units returned / units sold in the period x 100.",
            False,
            lambda cfg, exists: [_INVOICES],
        ),
        MetricSpec(
            "conversion",
            "cs_metrics.metrics.commerce:conversion",
            "percent",
            "Conversion rate: trials ending in the period that became paying (or leads created that converted) x 100.",
            True,
            _conversion_inputs,
        ),
        MetricSpec(
            "referrals",
            "cs_metrics.metrics.commerce:referrals",
            "percent",
            "Referral rate: new customers of the period who were referred / new customers x 100; --rows: top referrers.",
            True,
            lambda cfg, exists: [
                Input("customers", ("customer_id",), ("created_at", "referred_by", "name")),
                *mrr_inputs(cfg, exists, if_present=True),
            ],
            options=(_listing("the top referrers with the customers they referred"),),
        ),
        MetricSpec(
            "cohorts",
            "cs_metrics.metrics.cohorts:cohorts",
            "percent",
            "Retention cohorts by month of first payment: share of customers (or MRR) still paying k months later.",
            True,
            mrr_inputs,
            options=(
                Option("--kind", "kind", "logo", "logo: share of the cohort's customers paying; revenue: cohort MRR vs month 0.", ("logo", "revenue")),
                Option("--months", "months", 12, "How many monthly cohorts, ending with the period (1..1200)."),
                _listing("the cohort grid (a heat map in the terminal)"),
            ),
        ),
    )
}

# Families, in the order of --help, report and the README.
FAMILIES = {
    "Revenue": ("mrr", "arpu", "ndr", "grr", "revenue-churn", "revenue-growth", "renewal-rate", "clv", "crc", "dso",
                "repeat-purchase", "return-rate", "conversion", "referrals", "quick-ratio", "concentration",
                "plan-migration"),
    "Customer retention": ("churn", "cohorts"),
    "Voice of the customer": ("nps", "csat", "ces", "feedback"),
    "Support": ("fcr", "tickets"),
    "Product usage": ("dau-mau", "sessions", "usage"),
    "Customer health": ("health",),
}  # fmt: skip
REGISTRY = {name: REGISTRY[name] for names in FAMILIES.values() for name in names}

SAMPLES = {
    "mrr": Sample("customers", ("closing_customers",)),
    "arpu": Sample("customers", ("closing_customers", "average_customers")),
    "ndr": Sample("customers", ("starting_customers",)),
    "grr": Sample("customers", ("starting_customers",)),
    "revenue-churn": Sample("customers", ("starting_customers",)),
    "revenue-growth": Sample("customers", ("starting_customers",)),
    "renewal-rate": Sample("renewals due", ("due",)),
    "clv": Sample("customers", ("purchasers", "paying_customers")),
    "crc": Sample("customers", ("active_customers",)),
    "dso": Sample("invoices", ("credit_sale_invoices",)),
    "repeat-purchase": Sample("customers", ("purchasers",)),
    "return-rate": Sample("units", ("sold_units",)),
    "conversion": Sample("trials or leads", ("trials", "leads")),
    "referrals": Sample("customers", ("new_customers",)),
    "churn": Sample("customers", ("starting_customers",)),
    "cohorts": Sample("customers", ("m1_cohort_customers", "customers")),
    "nps": Sample("responses", ("responses",)),
    "csat": Sample("responses", ("responses",)),
    "ces": Sample("responses", ("responses",)),
    "feedback": Sample("comments", ("comments",)),
    "fcr": Sample("tickets", ("denominator_tickets",)),
    "tickets": Sample("tickets", ("created",)),
    "dau-mau": Sample("users", ("mau",)),
    "sessions": Sample("sessions", ("sessions",)),
    "usage": Sample("customers", ("active_customers",)),
    "health": Sample("customers", ("scored_customers", "customers")),
    "concentration": Sample("customers", ("paying_customers",)),
    "plan-migration": Sample("customers", ("opening_customers",)),
}
REGISTRY = {name: (dataclasses.replace(spec, sample=SAMPLES[name]) if name in SAMPLES and spec.sample is None else spec) for name, spec in REGISTRY.items()}


def _health_window(period, cfg) -> tuple:
    """Health looks back `lookback_days` from each scoring day, the earliest `backtest_horizon_days`
    before the period's end."""
    from datetime import date

    opt = cfg.metrics.health
    first = max(period.end.toordinal() - opt.backtest_horizon_days - opt.lookback_days, 1)  # the calendar's first day at most
    return date.fromordinal(first), period.end


REGISTRY["health"] = dataclasses.replace(REGISTRY["health"], optional_window=_health_window)
REGISTRY["sessions"] = dataclasses.replace(REGISTRY["sessions"], whole_events=True)


def events_window(spec: MetricSpec, period, cfg) -> tuple | None:
    """The days of events a metric reads for a period (None: all of them), so that a run keeps only
    those in memory: its period, or its look-back window."""
    if spec.whole_events:
        return None
    return spec.optional_window(period, cfg) if spec.optional_window else (period.start, period.end)

ALIASES = {alias: spec.name for spec in REGISTRY.values() for alias in spec.aliases}


def get(name: str) -> MetricSpec:
    return REGISTRY[ALIASES.get(name, name)]
