"""The typed config: loaded with yaml.safe_load and validated once.

Every error names the key path, the problem and the value found, e.g.
`metrics.churn.method: must be one of 'cohort', 'net'. Got 'gross'.`
Relative paths in a config file are relative to the folder of that file.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cs_metrics.contract import SURVEY_KINDS, TABLES
from cs_metrics.errors import ConfigError

DEFAULT_CONFIG_NAME = "cs-metrics.yaml"
ENV_CONFIG = "CS_METRICS_CONFIG"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True, allow_inf_nan=False)  # no .inf, no .nan

    @model_validator(mode="before")
    @classmethod
    def _empty_means_default(cls, data: Any) -> Any:
        """A key left empty in YAML (`columns:` with every entry commented out) takes its default."""
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (v is None and k in cls.model_fields and _has_default(cls, k))}
        return data


def _has_default(model: type[BaseModel], key: str) -> bool:
    field = model.model_fields[key]
    return field.default_factory is not None or field.default is not None


CUSTOMER_KEYS = ("id", "alias", "name", "email", "domain")
FILE_FORMATS = ("auto", "csv", "xlsx", "parquet")
# Statuses left out by default (a row of one of them is filtered, and counted): drafts and voided
# invoices; subscriptions that never billed (Stripe's incomplete and incomplete_expired) or have not
# started (Recurly's and Chargebee's future).
DEFAULT_EXCLUDED = {
    "invoices": ("void", "draft"),
    "subscriptions": ("incomplete", "incomplete_expired", "future"),
    "vendor_mrr": ("cancelled", "canceled"),  # a vendor's row of a cancelled subscription carries its last MRR
}
_MERGED = ("columns", "fixed", "values", "survey_labels", "elapsed")  # a file's entries add to its source's


class FileConfig(_Model):
    """How one export file maps onto a canonical table. Every key is also a key of its source, where
    it is the default of each of the source's `files`."""

    path: str | None = None  # relative to the data folder; may be a glob (exports/tickets-*.csv)
    format: Literal["auto", "csv", "xlsx", "parquet"] = "auto"  # auto: by extension (.csv, .tsv, .txt, .gz, .xlsx, .parquet)
    sheet: str | int | None = None  # xlsx: the sheet's name or 0-based index (default: the first)
    columns: dict[str, str] = Field(default_factory=dict)
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    date_format: str | None = None  # strftime, or epoch / epoch_ms / epoch_us (numbers since 1970-01-01)
    datetime_format: str | None = None
    decimal_comma: bool = False
    end_inclusive: bool = False
    timezone: str | None = None  # the zone of this file's naive datetimes (default: the config's timezone)
    buddhist_era: bool = False  # years written in the Thai Buddhist era: 2569 -> 2026
    skip_rows: int = Field(0, ge=0)  # rows after the header that are no records (a second header row)
    fixed: dict[str, str] = Field(default_factory=dict)  # canonical column -> the value of every row of this file
    values: dict[str, dict[str, Any]] = Field(default_factory=dict)  # canonical column -> {export value: value}
    # a datetime written as the time since the row's created_at: {first_response_at: minutes} (Zendesk)
    elapsed: dict[str, Literal["seconds", "minutes", "hours", "days", "h:mm:ss"]] = Field(default_factory=dict)
    amount_divisor: int = Field(1, ge=1)  # amounts written in minor units: 100 for cents
    exclude_status: list[str] | None = None  # None: the table's default (see DEFAULT_EXCLUDED)
    survey_labels: dict[str, str] = Field(default_factory=dict)
    currency: str | None = None
    customer_key: Literal["id", "alias", "name", "email", "domain"] = "id"  # what customer_id holds (customers: referred_by)
    customer_group: str | None = None  # customer_id holds a JSON object of groups (Amplitude's `groups`): this group's name
    aliases: list[str] = Field(default_factory=list)  # customers: headers of other tools' ids for the customer
    snapshot: bool | None = None  # subscriptions: one row per subscription at today's state (auto: with a status column)
    exported_on: str | None = None  # the day a snapshot export was taken (default: the file's modification day)

    @field_validator("delimiter")
    @classmethod
    def _one_char(cls, v: str) -> str:
        v = "\t" if v in ("\\t", "tab") else v
        if len(v) != 1:
            raise ValueError("must be a single character (use '\\t' for tab)")
        if v in "\r\n\"":
            raise ValueError("cannot be a line break or the quote character (\"); use e.g. ',', ';', '|' or '\\t'")
        return v

    @field_validator("date_format", "datetime_format")
    @classmethod
    def _strptime_format(cls, v: str | None) -> str | None:
        if v is not None and v not in ("epoch", "epoch_ms", "epoch_us"):
            _check_time_format(v)
        return v

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, v: str) -> str:
        import codecs

        try:
            codecs.lookup(v)
        except LookupError:
            raise ValueError("is not an encoding Python knows (e.g. utf-8-sig, cp874, gb18030)") from None
        return v

    @field_validator("survey_labels")
    @classmethod
    def _survey_targets(cls, v: dict[str, str]) -> dict[str, str]:
        for label, kind in v.items():
            if kind not in SURVEY_KINDS:
                raise ValueError(f"label '{label}' must map to one of {', '.join(SURVEY_KINDS)}, not '{kind}'")
        return v

    @field_validator("timezone")
    @classmethod
    def _file_tz(cls, v: str | None) -> str | None:
        return v if v is None else _zone(v)

    @field_validator("exported_on", mode="before")
    @classmethod
    def _day(cls, v: Any) -> str | None:
        if v is not None:  # YAML reads an unquoted 2026-11-30 as a date
            from cs_metrics.period import parse_date

            parse_date(str(v))
        return None if v is None else str(v)

    @field_validator("fixed", mode="before")
    @classmethod
    def _fixed_text(cls, v: Any) -> Any:
        return {k: str(x) for k, x in v.items()} if isinstance(v, dict) else v

    def excluded(self, table: str) -> list[str]:
        """The statuses whose rows are left out (and counted)."""
        return list(self.exclude_status) if self.exclude_status is not None else list(DEFAULT_EXCLUDED.get(table, ()))


class SourceConfig(FileConfig):
    """A canonical table: one file, or several `files` (each entry's keys override the source's)."""

    files: list[FileConfig] = Field(default_factory=list)

    def file_configs(self) -> list[FileConfig]:
        """One FileConfig per file: the source itself, or each entry of `files` on top of it."""
        if not self.files:
            return [FileConfig.model_validate(self.model_dump(exclude={"files"}))]
        base = self.model_dump(exclude={"files"})
        out = []
        for entry in self.files:
            own = entry.model_dump(include=entry.model_fields_set)
            merged = {**base, **own}
            for key in _MERGED:
                if key in own:
                    merged[key] = {**base[key], **own[key]}
            out.append(FileConfig.model_validate(merged))
        return out


def _zone(v: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name longer than a file name
        raise ValueError("is not an IANA time zone (e.g. UTC, Asia/Bangkok, Asia/Shanghai)") from None
    return v


def _check_time_format(fmt: str) -> None:
    """A strptime format: at least one directive, and every directive one that Python (and pandas) know."""
    from datetime import datetime, timezone

    if "%" not in fmt:
        raise ValueError(
            "has no % directive; write it with strptime directives, e.g. %d/%m/%Y or %d %b %Y %H:%M "
            "(or epoch, epoch_ms, epoch_us for numbers since 1970)"
        )
    sample = datetime(2024, 5, 31, 13, 45, 30, tzinfo=timezone.utc)
    try:
        datetime.strptime(sample.strftime(fmt), fmt)
    except ValueError as exc:
        raise ValueError(f"{exc}; use strptime directives such as %d, %m, %Y, %b, %H, %M, %S, %z") from None


class CurrencyConfig(_Model):
    base: str | None = None
    rates: dict[str, float] = Field(default_factory=dict)

    @field_validator("rates")
    @classmethod
    def _positive(cls, v: dict[str, float]) -> dict[str, float]:
        for code, rate in v.items():
            if not rate > 0:
                raise ValueError(f"rate for {code} must be above 0")
        return {k.upper(): r for k, r in v.items()}

    @field_validator("base")
    @classmethod
    def _upper(cls, v: str | None) -> str | None:
        return v.upper() if v else v


class MrrConfig(_Model):
    # a row's discount_amount / discount_percent reduces its MRR; false = list price. The older spelling of
    # definitions.discounts (true = all, false = none): set, it overrides the profile as that key does
    discounts: bool = True


class DefinitionsConfig(_Model):
    """The definition switches (cs_metrics/profiles.py). A key left out takes the profile's value; a key
    set here wins over the profile (null is a value: past-due never churns, any return reactivates)."""

    discounts: Literal["all", "forever", "none"] | None = None
    free_customers: Literal["excluded", "retained", "counted"] | None = None
    past_due_churn_days: int | None = Field(None, ge=1, le=3650)
    churn_at: Literal["ended_at", "canceled_at", "period_end"] | None = None
    same_period_churn: Literal["excluded", "movements", "counted"] | None = None
    reactivation_days: int | None = Field(None, ge=1, le=36500)
    churn_denominator: Literal["start", "start_plus_new"] | None = None
    churn_window: Literal["period", "rolling_30_days"] | None = None
    fx: Literal["fixed", "service_start", "snapshot"] | None = None
    fx_movement: bool | None = None

    @model_validator(mode="after")
    def _set_keys_have_values(self):
        # null is meaningful only for the day counts; `discounts:` left empty would silently mean "the profile's"
        for key in self.model_fields_set:
            if getattr(self, key) is None and key not in ("past_due_churn_days", "reactivation_days"):
                raise ValueError(f"{key} needs a value (or leave the key out to take the profile's)")
        return self


class ChurnConfig(_Model):
    method: Literal["cohort", "net"] = "cohort"
    include_new: bool = False
    source: Literal["auto", "subscriptions", "customers"] = "auto"


class ScaleModel(_Model):
    scale: tuple[float, float]

    @model_validator(mode="after")
    def _ordered(self):
        if self.scale[0] >= self.scale[1]:
            raise ValueError(f"scale must be [low, high] with low < high, got {list(self.scale)}")
        return self


class NpsConfig(ScaleModel):
    scale: tuple[float, float] = (0, 10)
    promoter_min: float = 9
    detractor_max: float = 6
    latest_per_customer: bool = False

    @model_validator(mode="after")
    def _groups(self):
        if self.detractor_max >= self.promoter_min:
            raise ValueError("detractor_max must be below promoter_min")
        return self


class CsatConfig(ScaleModel):
    scale: tuple[float, float] = (1, 5)
    satisfied_min: float = 4


class CesConfig(ScaleModel):
    scale: tuple[float, float] = (1, 7)
    positive_min: float = 5
    lower_is_better: bool = False


class ArpuConfig(_Model):
    basis: Literal["auto", "mrr", "revenue"] = "auto"  # auto: mrr with subscriptions, else revenue


class RenewalConfig(_Model):
    grace_days: int = Field(0, ge=0)


class ClvConfig(_Model):
    method: Literal["auto", "purchases", "subscription"] = "auto"  # auto: purchases with invoices
    lifespan_months: float | None = Field(None, gt=0)
    gross_margin: float = Field(1.0, gt=0, le=1)


class CrcConfig(_Model):
    per_month: float | None = Field(None, ge=0)  # the same retention cost every month
    monthly: dict[str, float] = Field(default_factory=dict)  # {"2024-05": 40000}; else costs.csv

    @field_validator("monthly")
    @classmethod
    def _months(cls, v: dict[str, float]) -> dict[str, float]:
        import re

        for month, amount in v.items():
            if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", str(month)):
                raise ValueError(f"month '{month}' must be written YYYY-MM")
            if amount < 0:
                raise ValueError(f"cost of {month} must not be negative")
        return {str(k): float(a) for k, a in v.items()}


class RepeatPurchaseConfig(_Model):
    window: Literal["all", "period"] = "all"


class ConversionConfig(_Model):
    kind: Literal["auto", "trial", "leads"] = "auto"  # auto: trial with is_trial rows, else leads
    grace_days: int = Field(14, ge=0)
    window_days: int | None = Field(None, ge=0)


class FeedbackConfig(_Model):
    stop_words: list[str] = Field(default_factory=list)  # added to the built-in English/Thai/Chinese lists
    top_terms: int = Field(10, ge=1)


class FcrConfig(_Model):
    definition: Literal["contacts", "within_hours"] = "contacts"
    max_contacts: int = Field(1, ge=1)
    within_hours: float = Field(24, gt=0)
    denominator: Literal["resolved", "created"] = "resolved"


class TicketsConfig(_Model):
    complaint_categories: list[str] = Field(default_factory=lambda: ["complaint"])


class SessionsConfig(_Model):
    gap_minutes: float = Field(30, gt=0)


class HealthWeights(_Model):
    usage: float = Field(1.0, ge=0)
    breadth: float = Field(1.0, ge=0)
    depth: float = Field(1.0, ge=0)
    nps: float = Field(1.0, ge=0)
    csat: float = Field(1.0, ge=0)
    support: float = Field(1.0, ge=0)
    payments: float = Field(1.0, ge=0)
    mrr_trend: float = Field(1.0, ge=0)


class HealthConfig(_Model):
    lookback_days: int = Field(90, ge=1)
    weights: HealthWeights = Field(default_factory=HealthWeights)
    missing: Literal["skip", "neutral"] = "skip"  # a component without data: left out, or counted as 50
    method: Literal["thresholds", "quartiles"] = "thresholds"
    good_min: float = Field(70, ge=0, le=100)
    at_risk_min: float = Field(40, ge=0, le=100)
    backtest_horizon_days: int = Field(90, ge=1)
    target_precision: float = Field(70, ge=0, le=100)  # the bar a backtest holds the poor class to, percent
    target_recall: float = Field(60, ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self):
        if self.at_risk_min >= self.good_min:
            raise ValueError("at_risk_min must be below good_min")
        return self


class ConcentrationConfig(_Model):
    top: int = Field(10, ge=1)  # the share of MRR held by the top N customers


class MetricsConfig(_Model):
    mrr: MrrConfig = Field(default_factory=MrrConfig)
    churn: ChurnConfig = Field(default_factory=ChurnConfig)
    nps: NpsConfig = Field(default_factory=NpsConfig)
    csat: CsatConfig = Field(default_factory=CsatConfig)
    ces: CesConfig = Field(default_factory=CesConfig)
    arpu: ArpuConfig = Field(default_factory=ArpuConfig)
    renewal_rate: RenewalConfig = Field(default_factory=RenewalConfig)
    clv: ClvConfig = Field(default_factory=ClvConfig)
    crc: CrcConfig = Field(default_factory=CrcConfig)
    repeat_purchase: RepeatPurchaseConfig = Field(default_factory=RepeatPurchaseConfig)
    conversion: ConversionConfig = Field(default_factory=ConversionConfig)
    feedback: FeedbackConfig = Field(default_factory=FeedbackConfig)
    fcr: FcrConfig = Field(default_factory=FcrConfig)
    tickets: TicketsConfig = Field(default_factory=TicketsConfig)
    sessions: SessionsConfig = Field(default_factory=SessionsConfig)
    health: HealthConfig = Field(default_factory=HealthConfig)
    concentration: ConcentrationConfig = Field(default_factory=ConcentrationConfig)

    def scale(self, survey: str) -> tuple[float, float]:
        return getattr(self, survey).scale


class AlertRule(_Model):
    """`check`: breached when the metric's value is above `above` or below `below`."""

    metric: str
    above: float | None = None
    below: float | None = None
    by: str | None = None  # check every segment of this customers.csv column (and the total)
    name: str | None = None
    min_n: int | None = Field(None, ge=1)  # below this sample size (responses, customers ...): not enough data, not a breach

    @field_validator("metric")
    @classmethod
    def _known(cls, v: str) -> str:
        from cs_metrics.metrics import ALIASES, REGISTRY

        name = ALIASES.get(v, v)
        if name not in REGISTRY:
            raise ValueError(f"unknown metric '{v}'; metrics are {', '.join(REGISTRY)}")
        return name

    @model_validator(mode="after")
    def _threshold(self):
        if self.above is None and self.below is None:
            raise ValueError("an alert needs `above` or `below` (or both)")
        return self


class CacheConfig(_Model):
    """The parsed-table cache (cs_metrics/sources/cache.py)."""

    enabled: bool = True
    path: str | None = None  # default: $CS_METRICS_CACHE, else $XDG_CACHE_HOME/cs-metrics (~/.cache/cs-metrics)
    min_bytes: int = Field(1_000_000, ge=0)  # smaller exports parse faster than a cache reads


class Config(_Model):
    data: str | None = None
    timezone: str = "UTC"
    period: str | None = None
    # The definition profile: cs-metrics (default), chartmogul, baremetrics, profitwell or stripe; `definitions:`
    # overrides it key by key (cs_metrics/profiles.py, README "Definition profiles").
    profile: Literal["cs-metrics", "chartmogul", "baremetrics", "profitwell", "stripe"] = "cs-metrics"  # profiles.PROFILES
    definitions: DefinitionsConfig = Field(default_factory=DefinitionsConfig)
    language: Literal["en", "th", "zh"] | None = None  # what people read; None: the locale's, else English
    calendar: Literal["gregorian", "buddhist"] = "gregorian"  # dates and periods shown to people (machine outputs stay ISO)
    active_customer: Literal["paying", "events", "invoiced"] = "paying"
    # Where MRR comes from: subscription rows, or invoice lines spread over their service periods
    # (auto: subscriptions when the table is there, else invoice_lines).
    revenue_source: Literal["auto", "subscriptions", "invoice_lines"] = "auto"
    active_events: list[str] = Field(default_factory=list)  # events that make a user active; empty = all
    personal_email_domains: list[str] = Field(default_factory=list)  # added to the built-in gmail.com, qq.com ...
    currency: CurrencyConfig = Field(default_factory=CurrencyConfig)
    sources: dict[str, SourceConfig] = Field(default_factory=dict)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    alerts: list[AlertRule] = Field(default_factory=list)
    cache: CacheConfig = Field(default_factory=CacheConfig)

    # Set by load_config, not by the user: where relative paths start.
    base_dir: str = Field(default=".", exclude=True)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        return _zone(v)

    @field_validator("profile", mode="before")
    @classmethod
    def _profile(cls, v: str) -> str:
        from cs_metrics.profiles import PROFILES

        if v not in PROFILES:
            raise ValueError(f"unknown profile '{v}'; profiles are {', '.join(PROFILES)}")
        return v

    @field_validator("period")
    @classmethod
    def _period(cls, v: str | None) -> str | None:
        if v is not None:
            from datetime import date

            from cs_metrics.period import parse_period

            parse_period(v, date(2000, 1, 1))  # raises PeriodError (a ValueError) with the accepted forms
        return v

    @field_validator("sources")
    @classmethod
    def _sources(cls, v: dict[str, SourceConfig]) -> dict[str, SourceConfig]:
        for name, src in v.items():
            if name not in TABLES:
                raise ValueError(f"sources.{name}: unknown table; tables are {', '.join(TABLES)}")
            known = TABLES[name].names
            for where, fc in [("", src)] + [(f".files.{i}", f) for i, f in enumerate(src.files)]:
                if fc.aliases and name != "customers":
                    raise ValueError(f"sources.{name}{where}.aliases: only the customers table has alias columns")
                if (fc.customer_key != "id" or fc.customer_group) and "customer_id" not in known:
                    raise ValueError(f"sources.{name}{where}.customer_key: the {name} table names no customer")
                for key in ("columns", "fixed", "values"):
                    for canonical in getattr(fc, key):
                        if canonical not in known and not TABLES[name].open_columns:
                            raise ValueError(
                                f"sources.{name}{where}.{key}.{canonical}: not a column of {name}; columns are {', '.join(known)}"
                            )
                for canonical in fc.elapsed:
                    spec = TABLES[name].column(canonical)
                    if TABLES[name].column("created_at") is None or spec is None or spec.type != "datetime" or canonical == "created_at":
                        times = [c.name for c in TABLES[name].columns if c.type == "datetime" and c.name != "created_at"]
                        raise ValueError(
                            f"sources.{name}{where}.elapsed.{canonical}: only a datetime column of a table with created_at "
                            f"can be given as the time since created_at"
                            + (f"; {name} has {', '.join(times)}" if times and TABLES[name].column("created_at") else "")
                        )
        return v

    def source(self, table: str) -> SourceConfig:
        return self.sources.get(table) or SourceConfig()

    def data_dir(self) -> Path:
        base = Path(self.base_dir)
        return (base / self.data) if self.data else base

    def path_of(self, table: str) -> Path:
        """The table's (first) file, as configured: for messages and for a table of one file."""
        src = self.source(table)
        # A relative source path is relative to the data folder, so `data:` (or --data) moves all files.
        first = src.file_configs()[0]
        return self.data_dir() / (first.path or TABLES[table].filename)

    def files_of(self, table: str) -> list[tuple[Path, FileConfig]]:
        """Every file of the table with its settings, globs expanded (sorted); a pattern that matches
        nothing stays as it is, so that reading it reports the missing file."""
        out = []
        for fc in self.source(table).file_configs():
            path = self.data_dir() / (fc.path or TABLES[table].filename)
            if any(ch in str(fc.path or "") for ch in "*?["):
                matches = sorted(p for p in path.parent.glob(path.name) if p.is_file())
                out += [(m, fc) for m in matches] or [(path, fc)]
            else:
                out.append((path, fc))
        return out


def _short(value: Any, limit: int = 60) -> str:
    """The repr of a value found in the config, cut to `limit` characters: never a whole input."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _format_error(err: ValidationError) -> str:
    """One line per problem: `key.path: problem. Got X.`"""
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"] if not str(p).startswith("function-"))
        msg = e["msg"]
        got = e.get("input")
        if e["type"] == "extra_forbidden":
            lines.append(f"{loc}: unknown key. Check the spelling against config.example.yaml")
            continue
        if e["type"] == "literal_error":
            expected = e.get("ctx", {}).get("expected", "")
            lines.append(f"{loc}: must be one of {expected}. Got {_short(got)}.")
            continue
        msg = msg.removeprefix("Value error, ")
        got_txt = "" if isinstance(got, dict) else f" Got {_short(got)}."
        if loc and msg.startswith(loc + "."):  # the message already names the full key path
            lines.append(f"{msg}.{got_txt}")
        else:
            lines.append(f"{loc or 'config'}: {msg}.{got_txt}")
    if len(lines) > 3:  # one line, however many values are wrong
        lines = lines[:3] + [f"and {len(lines) - 3:,} more problems"]
    return "; ".join(lines)


def parse_config(raw: Any, base_dir: str | os.PathLike = ".", origin: str = "config") -> Config:
    if raw is None:  # an empty file
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{origin}: the top level must be a mapping of keys, got {type(raw).__name__}")
    try:
        cfg = Config.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(f"{origin}: {_format_error(err)}") from None
    return cfg.model_copy(update={"base_dir": str(base_dir)})


def find_config(explicit: str | None) -> Path | None:
    """--config, else $CS_METRICS_CONFIG, else ./cs-metrics.yaml when present, else None."""
    chosen = explicit or os.environ.get(ENV_CONFIG)
    if chosen:
        return Path(chosen)
    here = Path(DEFAULT_CONFIG_NAME)
    return here if here.exists() else None


def load_config(path: str | os.PathLike | None) -> Config:
    """Read and validate a YAML config; None gives the built-in defaults."""
    if path is None:
        return parse_config({})
    import yaml

    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"config file {p} not found", "Create one with `cs-metrics init` or fix --config") from None
    except OSError as exc:
        raise ConfigError(f"config file {p} cannot be read: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(
            f"{p}:{line}:{column}: not UTF-8 text (byte 0x{data[exc.start]:02x})", "Save the config as UTF-8"
        ) from None
    try:
        raw = yaml.load(text, Loader=_loader())  # noqa: S506 - a SafeLoader without aliases, see _loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{p}:{mark.line + 1}:{mark.column + 1}" if mark else str(p)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}: invalid YAML: {problem}") from None
    return parse_config(raw, p.parent, str(p))


@functools.lru_cache(maxsize=None)
def _loader():
    """yaml.SafeLoader that refuses aliases (`*name`: a few lines of nested aliases expand to billions
    of nodes) and keys given twice in one mapping (YAML would let the last one win silently)."""
    import yaml
    from yaml.constructor import ConstructorError
    from yaml.events import AliasEvent

    class Loader(yaml.SafeLoader):
        def compose_node(self, parent, index):
            if self.check_event(AliasEvent):
                event = self.peek_event()
                raise ConstructorError(
                    None, None, f"aliases (*{event.anchor}) are not accepted in the config: write the values out", event.start_mark
                )
            return super().compose_node(parent, index)

        def construct_mapping(self, node, deep=False):
            seen: dict = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:  # an unhashable key: the base class says so
                    break
                if first is not key_node:
                    raise ConstructorError(
                        None, None, f"key {_short(key)} appears twice in one mapping (first on line {first.start_mark.line + 1})", key_node.start_mark
                    )
            return super().construct_mapping(node, deep)

    return Loader
