"""`propose(folder)`: what each export file holds, and what the files decide together.

Each file (subfolders included) is sampled (`sniff`), recognised as a known tool's export
(`cs_metrics.vendors`) or guessed from its headers and values (`matching`, `shapes`), and given a
table, a column mapping and its formats. `conclude` then looks at the files together: several
files of one table become one source, twin files (an .xlsx and its .csv) and a tool's second
export of the same money are left out, the customer master is chosen and every other file's
customer column is matched to one of its keys (`keys`), and the currencies, the business's time
zone and the metric definitions the exports imply are proposed (`folder`).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cs_metrics.contract import TABLES
from cs_metrics.init.matching import INCLUSIVE_END_HEADERS, missing_required, normalise_header, score_table
from cs_metrics.init.shapes import (
    DATE_FORMATS,
    Shape,
    _looks_end_inclusive,
    _survey_labels,
    detect_date_format,
    detect_decimal_comma,
    detect_time_format,
    shape_of,
)
from cs_metrics.init.sniff import Sample, export_files, read_sample
from cs_metrics.vendors import Export, Key, find, recognise

EXTENSIONS = (".csv", ".tsv", ".txt", ".gz", ".xlsx", ".xlsm", ".parquet", ".pq")
STATE_TABLES = ("customers", "subscriptions")  # a state exported on a day (exported_on)


@dataclass
class Todo:
    """An answer only the user has: what to answer, and the commented lines that take it."""

    key: str
    text: str
    lines: list[tuple[str | None, str]] = field(default_factory=list)  # (block: None, columns, values, fixed; YAML)


@dataclass
class FileProposal:
    """What `init` guesses about one export file."""

    path: Path
    table: str | None
    score: float
    delimiter: str
    encoding: str
    date_format: str | None
    decimal_comma: bool
    columns: dict[str, str]  # canonical -> export header, every matched column (also when the names are equal)
    unmapped_headers: list[str]  # headers not placed (for customers: none, see segment_headers)
    missing_required: list[str]  # canonical required columns not found (one_of groups considered)
    headers: list[str] = field(default_factory=list)  # the header row as read
    segment_headers: list[str] = field(default_factory=list)  # customers: extra headers kept as segment dimensions
    survey_labels: dict[str, str] = field(default_factory=dict)  # surveys: export label -> nps/csat/ces
    unknown_survey_labels: list[str] = field(default_factory=list)  # surveys: labels to map by hand (TODO lines)
    end_inclusive: bool = False  # subscriptions: end dates look like the last day of service
    notes: list[str] = field(default_factory=list)  # remarks for the YAML comments; "TODO: ..." needs action
    rel: str = ""  # the path from the folder, with `/`
    format: str = "csv"
    sheet: str | None = None
    datetime_format: str | None = None
    tool: str | None = None  # the tool recognised (None: guessed from the headers)
    export: str | None = None  # which of its exports
    confidence: str = "low"  # high: a tool's export with its every signature header; medium; low: a guess
    settings: dict[str, Any] = field(default_factory=dict)  # further file keys: timezone, fixed, values, customer_key ...
    reasons: dict[str, str] = field(default_factory=dict)  # setting or column -> one-line reason
    keys: list[Key] = field(default_factory=list)  # columns naming the customer, preferred first
    todos: list[Todo] = field(default_factory=list)
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    currencies: list[str] = field(default_factory=list)  # currency codes the sample holds
    spec: Export | None = None
    shapes: dict[str, Shape] = field(default_factory=dict)  # header -> shape of its sampled values
    sample: Sample | None = field(default=None, repr=False)
    used: bool = True  # False: recognised, but the config does not read it (see notes)

    # --- what a vendor's `refine` uses ----------------------------------------------------------
    def header_of(self, name: str) -> str | None:
        return find(name, self.headers)

    def map(self, column: str, header: str) -> None:
        tbl = TABLES[self.table]
        if column in tbl.names or tbl.open_columns:
            self.columns[column] = header

    def set(self, key: str, value: Any, why: str | None = None) -> None:
        if isinstance(value, dict) and isinstance(self.settings.get(key), dict):
            self.settings[key] = {**self.settings[key], **value}
        else:
            self.settings[key] = value
        if why:
            self.reason(key, why)

    def reason(self, key: str, why: str) -> None:
        self.reasons[key] = why if key not in self.reasons else f"{self.reasons[key]}; {why}"

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def todo(self, key: str, text: str, lines=()) -> None:
        self.todos.append(Todo(key, text, list(lines)))

    def add_key(self, key: Key, first: bool = False) -> None:
        self.keys = [key, *self.keys] if first else [*self.keys, key]

    @property
    def name(self) -> str:
        return f"{self.tool} {self.export}" if self.tool else "an export of no known tool"

    def mapped(self) -> dict[str, str]:
        """The columns the file gives: mapped ones and the ones `fixed` gives every row."""
        return {**self.columns, **{c: "(fixed)" for c in self.settings.get("fixed", {})}}

    def customer_header(self) -> str | None:
        return self.columns.get("customer_id")


class Proposal(list):
    """The file proposals, in path order, with what they decide together (see `conclude`)."""

    def __init__(self, files=(), folder: Path | None = None):
        super().__init__(files)
        self.folder = folder
        self.timezone: str = "UTC"
        self.timezone_why: str = ""
        self.timezone_certain = False
        self.currency_base: str | None = None
        self.currency_why: str = ""
        self.rates_needed: list[str] = []
        self.metrics: dict[str, dict[str, Any]] = {}
        self.metric_reasons: dict[str, str] = {}
        self.top: dict[str, Any] = {}  # further top-level keys (revenue_source)
        self.top_reasons: dict[str, str] = {}
        self.master: FileProposal | None = None
        self.other_masters: list[FileProposal] = []
        self.master_why: str = ""
        self.undecided: list[str] = []


# ---------------------------------------------------------------------------------------------
# One file
# ---------------------------------------------------------------------------------------------


def inspect(sample: Sample) -> FileProposal:
    p = FileProposal(
        sample.path, None, 0.0, sample.delimiter, sample.encoding, None, False, {}, [], [],
        headers=list(sample.headers), rel=sample.rel, format=sample.format, sheet=sample.sheet, sample=sample,
    )  # fmt: skip
    if sample.problem:
        p.notes.append(sample.problem)
        return p
    named = [h for h in sample.headers if h.strip()]
    if len(named) < len(sample.headers):
        p.notes.append(f"{len(sample.headers) - len(named)} header cell(s) are empty")
    p.unmapped_headers = named
    hit = recognise(sample.headers)
    if hit:
        _from_export(p, *hit, sample)
    else:
        p.shapes = _shapes(sample)
        _guess(p, sample)
    if p.table:
        _finish(p, sample)
    return p


def _shapes(sample: Sample) -> dict[str, Shape]:
    return {h: shape_of(sample.values(h), sample.column(h)) for h in sample.headers if h}


def _from_export(p: FileProposal, export: Export, share: float, sample: Sample) -> None:
    tbl = TABLES[export.table]
    p.tool, p.export, p.table, p.spec = export.tool, export.export, export.table, export
    taken: set[str] = set()
    for column, spec in export.columns.items():
        if column not in tbl.names and not tbl.open_columns:
            continue  # a column this version of the data contract does not have
        header = find(spec, sample.headers, taken)
        if header:
            p.columns[column] = header
            taken.add(header)
    p.settings = copy.deepcopy(export.settings)
    p.reasons = dict(export.reasons)
    p.notes += list(export.notes)
    p.metrics = copy.deepcopy(export.metrics)
    for key in export.keys:
        header = find(key.header, sample.headers)
        if header:
            p.keys.append(Key(header, key.holds, key.group, key.why))
    if export.refine:
        export.refine(p, sample)
    p.shapes = _shapes(sample)  # after refine: it may drop a second header row
    p.score = round(share, 3)
    complete = not missing_required(export.table, p.mapped())
    p.confidence = "high" if share == 1 and complete else "medium"


# Values that say which table a file holds, whatever its headers are called.
TICKET_STATES = {"new", "open", "pending", "on-hold", "hold", "solved", "closed", "resolved", "snoozed"}
SUBSCRIPTION_STATES = {"active", "canceled", "cancelled", "trialing", "in_trial", "past_due", "expired", "paused", "non_renewing", "future"}
INVOICE_STATES = {"paid", "unpaid", "open", "void", "draft", "overdue", "uncollectible", "refunded", "partially_paid"}
INTERVAL_WORDS = {"month", "year", "monthly", "yearly", "annual", "annually", "quarter", "quarterly", "week", "weekly"}


def _content_hint(table: str, columns: dict[str, str], sample: Sample) -> float:
    """A bonus (or penalty) from what the values say about the table."""
    texts = [{v.casefold() for v in sample.values(h)} for h in sample.headers if h]
    texts = [t for t in texts if t and len(t) <= 12]

    def some(words: set[str]) -> bool:
        return any(len(t & words) >= 2 and t <= words | {"", "-"} for t in texts)

    if table == "tickets":
        return 0.15 if some(TICKET_STATES) else 0.0
    if table == "subscriptions":
        return 0.15 if some(SUBSCRIPTION_STATES) or any(t <= INTERVAL_WORDS for t in texts) else 0.0
    if table == "invoices":
        return 0.1 if some(INVOICE_STATES) else 0.0
    if table == "customers" and "customer_id" in columns:
        ids = sample.values(columns["customer_id"], limit=None)
        return -0.3 if len(set(ids)) < len(ids) else 0.0  # a customer master lists each customer once
    return 0.0


def _guess(p: FileProposal, sample: Sample) -> None:
    """Any other export: the table whose columns its headers and values fit best."""
    ranking = []
    for order, table in enumerate(TABLES):
        score, ok, columns = score_table(table, sample.path, sample.headers, p.shapes)
        if ok:
            ranking.append((round(score + _content_hint(table, columns, sample), 3), -order, table, columns))
    if not ranking:
        if sample.headers:
            p.notes.append("no table recognised")
        return
    ranking.sort(reverse=True)
    score, _, table, columns = ranking[0]
    p.table, p.score, p.columns = table, score, columns
    p.confidence = "medium" if score >= 0.75 and not missing_required(table, columns) else "low"
    guess_keys(p, sample)


def guess_keys(p: FileProposal, sample: Sample) -> None:
    """The customer column of a guessed export, and what it holds (by its values)."""
    header = p.columns.get("customer_id")
    if not header:
        return
    shape = p.shapes.get(header)
    holds = {"email": "email", "domain": "domain"}.get(shape.kind if shape else "", "id")
    if holds == "id" and re.search(r"name|organi[sz]ation|company", normalise_header(header)) and shape and shape.kind == "text":
        holds = "name"
    p.keys.append(Key(header, holds))
    for h, s in p.shapes.items():
        if h != header and s.kind == "email":
            p.keys.append(Key(h, "email"))


def _finish(p: FileProposal, sample: Sample) -> None:
    """Complete a proposal for its table: unmapped headers, formats, money, labels, time zone."""
    tbl = TABLES[p.table]
    placed = set(p.columns.values()) | set(p.settings.get("aliases", []))
    extra = [h for h in p.headers if h.strip() and h not in placed]
    if tbl.open_columns:
        p.segment_headers, p.unmapped_headers = extra, []
    else:
        p.unmapped_headers = extra
    p.missing_required = missing_required(p.table, p.mapped())
    _dates(p)
    money = [v for c, h in p.columns.items() if tbl.column(c) and tbl.column(c).type == "money" for v in sample.values(h)]
    p.decimal_comma = detect_decimal_comma(money, p.delimiter)
    if "currency" in p.columns:
        p.currencies = sorted({v.upper() for v in sample.values(p.columns["currency"], limit=None)})
    elif p.settings.get("currency") or p.settings.get("fixed", {}).get("currency"):
        p.currencies = [str(p.settings.get("currency") or p.settings["fixed"]["currency"]).upper()]
    if p.table == "surveys" and "survey" in p.columns and "survey" not in p.settings.get("fixed", {}):
        p.survey_labels, unknown = _survey_labels(sample.values(p.columns["survey"], limit=None))
        p.unknown_survey_labels = list(unknown)
        if unknown:
            p.notes.append("TODO: survey labels not recognised: " + ", ".join(unknown) + ". Map each under survey_labels to nps, csat or ces")
    if p.table == "subscriptions" and "ended_at" in p.columns:
        if normalise_header(p.columns["ended_at"]) in INCLUSIVE_END_HEADERS:
            p.end_inclusive = True
            p.reason("end_inclusive", f"{p.columns['ended_at']!r} is the last day of service: the loader adds a day")
        elif "started_at" in p.columns and not p.spec:
            fmt = p.date_format if p.date_format and " " not in p.date_format else None
            p.end_inclusive = _looks_end_inclusive(sample.values(p.columns["started_at"]), sample.values(p.columns["ended_at"]), fmt)
            if p.end_inclusive:
                p.reason("end_inclusive", "CHECK: starts fall on the 1st and ends on a month's last day: the last day of service")
    if p.table in STATE_TABLES and "exported_on" not in p.settings:
        day = _day_in_name(p.path.name)
        if day and (p.table == "customers" or "status" in p.columns):
            p.set("exported_on", day, "the date in the file name: the day of the snapshot")
    if not p.spec and p.table == "tickets" and "contacts" not in p.columns:
        p.metrics.setdefault("fcr", {"definition": "within_hours"})
        p.reason("fcr", "the export has no count of agent replies: FCR counts tickets resolved within 24 hours")


def _day_in_name(name: str) -> str | None:
    found = re.findall(r"(?<!\d)(20\d\d)[-_]?(0[1-9]|1[0-2])[-_]?(0[1-9]|[12]\d|3[01])(?!\d)", name)
    return "-".join(found[-1]) if found else None


_ZONE_IN_HEADER = re.compile(r"\((?P<zone>UTC|GMT|[A-Z][A-Za-z_]+/[A-Za-z_/+-]+)\)|\bUTC\b")


def header_zone(header: str) -> str | None:
    """The time zone a header names: `Submit Date (UTC)`, `Conversation started at (Asia/Bangkok)`."""
    m = _ZONE_IN_HEADER.search(header)
    if not m:
        return None
    zone = m.group("zone") or "UTC"
    if zone in ("UTC", "GMT"):
        return "UTC"
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return zone


def _dates(p: FileProposal) -> None:
    """date_format (date columns) and datetime_format (datetime columns), Buddhist era, file zone."""
    tbl = TABLES[p.table]
    for kind, key in (("date", "date_format"), ("datetime", "datetime_format")):
        cols = [c for c in tbl.names if c in p.columns and tbl.column(c).type == kind]
        shapes = [(c, p.shapes.get(p.columns[c])) for c in cols]
        shapes = [(c, s) for c, s in shapes if s is not None and s.kind != "empty"]
        bad = [c for c, s in shapes if not s.is_dated and s.kind != "text"]
        for c in bad:
            p.note(f"CHECK: {c} ({p.columns[c]!r}) holds values like {p.shapes[p.columns[c]].values[0]!r}, not {kind}s: those rows will be rejected")
        unknown = [c for c, s in shapes if s.kind == "text"]
        if unknown and key == "date_format":
            values = p.shapes[p.columns[unknown[0]]].values
            p.note(f"TODO: dates like {values[0]!r} are neither ISO nor a known format: set date_format by hand")
        elif unknown:
            p.note(f"TODO: datetimes like {p.shapes[p.columns[unknown[0]]].values[0]!r} are neither ISO nor a known format: set datetime_format by hand")
        shapes = [(c, s) for c, s in shapes if s.is_dated]
        if not shapes:
            continue
        written = [(c, s) for c, s in shapes if s.fmt and not s.fmt.startswith("epoch")]
        if len(written) > 1:  # the columns share one format: `31/01` in one settles `01/02` in another
            every = [v for _, s in written for v in s.values]
            part, notes = detect_date_format(every)
            full = detect_time_format(every, part) if part and all(s.kind == "datetime" for _, s in written) else None
            for _, s in written:
                s.fmt, s.notes = full or part or s.fmt, notes
        fmts = {s.fmt for _, s in shapes}
        if len(fmts) > 1:  # a date part shared by every column reads them all (a time after it is read too)
            parts = {_date_part(f) for f in fmts}
            fmts = parts if len(parts) == 1 else fmts
        fmt = min(fmts, key=lambda f: (f is None, str(f))) if fmts else None
        if len(fmts) > 1:
            p.note(f"CHECK: the {kind} columns are written in different formats ({', '.join(str(f or 'ISO') for f in fmts)}): {fmt} is proposed, the others' rows will be rejected")
        for _, s in shapes[:1] if len(written) > 1 else shapes:
            for n in s.notes:
                p.note(n)
        if fmt:
            setattr(p, key, fmt)
            if fmt.startswith("epoch"):
                unit = {"epoch": "seconds", "epoch_ms": "milliseconds", "epoch_us": "microseconds"}[fmt]
                p.reason(key, f"{unit} since 1970 (UTC), like {shapes[0][1].values[0]}")
        if any(s.buddhist_era for _, s in shapes):
            p.set("buddhist_era", True, f"years like {_be_year(shapes)} are the Thai Buddhist era (minus 543)")
    if "timezone" not in p.settings:
        zones = {header_zone(h) for c, h in p.columns.items() if tbl.column(c) and tbl.column(c).type in ("date", "datetime")}
        zones.discard(None)
        if len(zones) == 1:
            zone = zones.pop()
            p.set("timezone", zone, f"the headers say ({zone})")


def _date_part(fmt: str | None) -> str | None:
    if not fmt or fmt.startswith("epoch"):
        return fmt
    return next((d for d in DATE_FORMATS if fmt.startswith(d)), fmt.split(" ")[0])


def _be_year(shapes) -> str:
    for _, s in shapes:
        for v in s.values:
            m = re.search(r"(?<!\d)(2[4-6]\d\d)(?!\d)", v)
            if m:
                return m.group(1)
    return "2569"


# ---------------------------------------------------------------------------------------------
# The folder
# ---------------------------------------------------------------------------------------------


def propose(folder: Path, master: str | None = None) -> Proposal:
    """One proposal per export file under `folder` (subfolders included), in path order, and the
    decisions they take together (see `conclude`). `master`: the file to use as the customer
    master when several qualify (its path from the folder)."""
    folder = Path(folder)
    proposals = Proposal([inspect(read_sample(path, folder)) for path in export_files(folder)], folder)
    from cs_metrics.init.decide import conclude

    conclude(proposals, master)
    return proposals
