"""The data contract: canonical tables, their columns, types and which are required.

This module is the single source of truth for the data contract (docs/data-contract.md) inside the program.
It imports nothing heavy, so the CLI's --help and `init` can use it without pandas.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Column types of the contract. `number` is a plain decimal (survey scores, durations).
TYPES = ("id", "date", "datetime", "money", "int", "bool", "text", "number")

SURVEY_KINDS = ("nps", "csat", "ces")
INTERVALS = {"day", "week", "month", "quarter", "year"}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    unique: bool = False

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.type!r}; types are {', '.join(TYPES)}")


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    # Free-text tables may hold quoted newlines: the CSV reader must allow them.
    free_text: bool = False
    # Any header not in `columns` is kept as a text column (customer segment dimensions).
    open_columns: bool = False
    # Alternative required groups: at least one group must be fully present.
    one_of: tuple[tuple[str, ...], ...] = field(default_factory=tuple)
    # Read only when a definition or a command asks for it (fx_rates, vendor_mrr): `validate` lists it
    # only when its file is there or the config names it.
    auxiliary: bool = False

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    def column(self, name: str) -> Column | None:
        for col in self.columns:
            if col.name == name:
                return col
        return None

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def key(self) -> str | None:
        for col in self.columns:
            if col.unique:
                return col.name
        return None


def _t(name, *cols, **kw) -> Table:
    return Table(name, tuple(Column(*c) if isinstance(c, tuple) else c for c in cols), **kw)


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        _t(
            "customers",
            Column("customer_id", "id", True, True),
            ("name", "text"),
            ("created_at", "date"),
            ("churned_at", "date"),
            ("referred_by", "id"),
            ("email", "text"),  # the customer's own e-mail (billing contact): a key, and a domain key
            ("domain", "text"),  # its domain, website or an e-mail at it (`https://www.acme.com/` -> acme.com): a key
            open_columns=True,
        ),
        _t(
            "subscriptions",
            Column("subscription_id", "id", True, True),
            ("customer_id", "id", True),
            ("started_at", "date", True),
            ("ended_at", "date"),
            ("mrr", "money"),
            ("amount", "money"),
            ("interval", "text"),
            ("interval_count", "int"),
            ("currency", "text"),
            ("plan", "text"),
            ("is_trial", "bool"),
            ("term_ends_at", "date"),
            ("quantity", "int"),  # seats: MRR = amount x quantity (empty = 1); not applied to an mrr column
            ("trial_ends_at", "date"),  # a trial inside the row: no MRR before this day (the loader splits the row)
            # rows of an excluded status (never billed) are filtered, and counted; a status column makes a snapshot
            ("status", "text"),
            ("canceled_at", "date"),  # the day the customer asked to leave (ended_at: the first day without service)
            ("paused_at", "date"),  # billing paused: no MRR from this day (it ends the row when before ended_at)
            ("discount_amount", "money"),  # amount off per interval, the row's currency (metrics.mrr.discounts)
            ("discount_percent", "number"),  # percent off, 0..100 (metrics.mrr.discounts)
            # forever | once | repeating (Stripe's coupon duration; Chargebee and Recurly words map to them):
            # definitions.discounts: forever counts only permanent discounts
            ("discount_duration", "text"),
            ("discount_ends_at", "date"),  # the first day without the discount (a repeating coupon's end)
            ("past_due_since", "date"),  # the day its unpaid invoice fell due (Chargebee's due_since)
            one_of=(("mrr",), ("amount", "interval")),
        ),
        _t(
            "invoices",
            Column("invoice_id", "id", True, True),
            ("customer_id", "id", True),
            ("issued_at", "date", True),
            ("amount", "money", True),
            ("due_at", "date"),
            ("paid_at", "date"),
            ("quantity", "int"),
            ("currency", "text"),
            ("status", "text"),
            ("paid", "bool"),  # a paid flag (true/false): no payment day, so DSO and health payments need paid_at
            ("amount_refunded", "money"),  # netted from the amount at load (revenue = amount - refunded), 0..amount
        ),
        _t(
            "invoice_lines",
            Column("line_id", "id", False, True),
            ("invoice_id", "id"),
            ("customer_id", "id", True),
            ("period_start", "date", True),  # the service period [period_start, period_end) the line pays for
            ("period_end", "date", True),
            ("amount", "money", True),  # the line's total (not per unit); negative for a credit (unused time)
            ("quantity", "int"),
            ("currency", "text"),
            ("proration", "bool"),
            ("plan", "text"),
        ),
        _t(
            "surveys",
            Column("response_id", "id", False, True),
            ("customer_id", "id"),
            ("responded_at", "date", True),
            ("survey", "text", True),
            ("score", "number", True),
            ("comment", "text"),
            free_text=True,
        ),
        _t(
            "tickets",
            Column("ticket_id", "id", True, True),
            ("customer_id", "id"),  # empty = anonymous: counted by tickets and fcr, by no per-customer metric
            ("created_at", "datetime", True),
            ("first_response_at", "datetime"),
            ("resolved_at", "datetime"),
            ("contacts", "int"),
            ("reopened", "bool"),
            ("category", "text"),
            ("channel", "text"),
            ("priority", "text"),
            ("agent", "text"),
            free_text=True,
        ),
        _t(
            "events",
            ("customer_id", "id"),  # empty = anonymous user: counted by dau-mau and sessions, by no per-customer metric
            ("user_id", "id", True),
            ("occurred_at", "datetime", True),
            ("event", "text"),
            ("session_id", "id"),
            ("duration_seconds", "number"),
        ),
        _t(
            "daily_activity",  # events pre-aggregated in a warehouse (sql/daily_activity.sql): instead of events
            ("customer_id", "id", True),
            ("user_id", "id", True),
            ("day", "date", True),  # the local day (the config's timezone)
            ("events", "int", True),
            ("active_events", "int", True),  # events of the active list (active_events in the config)
            ("sessions", "int"),  # sessions whose first event is on this day
            ("session_seconds", "number"),  # their total length
        ),
        _t(
            "leads",
            Column("lead_id", "id", True, True),
            ("created_at", "date", True),
            ("converted_at", "date"),
            ("customer_id", "id"),
            ("source", "text"),
        ),
        _t(
            "costs",
            ("month", "text", True),
            ("category", "text"),
            ("amount", "money", True),
            open_columns=True,  # a segment column (region, plan ...) splits the costs for --by
        ),
        _t(
            "fx_rates",  # exchange rates by day, for definitions.fx: service_start | snapshot
            ("date", "date", True),  # the rate holds from this day until the next row of the currency
            ("currency", "text", True),
            ("rate", "number", True),  # 1 unit of the currency = rate units of the base currency
            auxiliary=True,
        ),
        _t(
            "vendor_mrr",  # a billing or metrics tool's MRR per customer (reconcile mrr --against FILE)
            ("customer_id", "id", True),
            ("mrr", "money", True),  # the customer's MRR as the tool reports it (its currency, or the base)
            ("month", "text"),  # YYYY-MM (or a date) the figure is for: only the period's closing month is used
            ("status", "text"),  # a subscription's status (ChartMogul's STATUS): cancelled rows are filtered
            ("name", "text"),
            auxiliary=True,
        ),
    )
}


def table(name: str) -> Table:
    return TABLES[name]
