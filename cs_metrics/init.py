"""`cs-metrics init`: propose a config from a folder of real exports, or print the starter config.

`propose(folder)` reads only the first bytes of each export (header and a sample of rows) with
the csv module, so it stays on the fast path: no pandas, no pydantic. For each file it guesses
the encoding, the delimiter, which canonical table it holds, how its headers map onto the
canonical columns, the date format and whether money uses a decimal comma.
`render_yaml(proposals, data_dir)` turns that into a commented YAML config that loads with
`yaml.safe_load` and validates with `cs_metrics.config.parse_config`.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date, datetime, timedelta
from itertools import islice
from pathlib import Path

from cs_metrics.contract import SURVEY_KINDS, TABLES, Table
from cs_metrics.errors import CsMetricsError

# Where the starter config lives (a package resource); a module attribute so tests can point it elsewhere.
STARTER_PACKAGE = "cs_metrics"
STARTER_RESOURCE = "config.example.yaml"

EXTENSIONS = (".csv", ".tsv", ".txt")
DELIMITERS = (",", ";", "\t", "|")
SAMPLE_BYTES = 64 * 1024
SAMPLE_VALUES = 50  # values looked at per column for the date format and the decimal comma

# ---------------------------------------------------------------------------------------------
# Synonyms: an export header (normalised, see `normalise_header`) -> canonical column.
# Earlier entries win over later ones when two columns compete for one header. The canonical
# name itself always matches first. Matching ignores `_`, so `customer_id` also covers
# `CustomerID`, `Customer-Id` and `customerid`.
# ---------------------------------------------------------------------------------------------
SYNONYMS: dict[str, tuple[str, ...]] = {
    # ids shared by several tables
    "customer_id": (
        "customer_id", "customer", "customerid", "customer_number", "customer_no", "company_id",
        "account_id", "client_id", "cust_id", "account", "company", "organization_id",
        "organisation_id", "org_id", "client", "account_number", "客户id", "客户编号", "客户号",
        "客户", "รหัสลูกค้า", "ลูกค้า",
    ),
    "user_id": (
        "user_id", "user", "userid", "member_id", "person_id", "contact_id", "visitor_id",
        "distinct_id", "login", "email", "user_email", "用户id", "用户编号", "用户", "รหัสผู้ใช้",
        "ผู้ใช้",
    ),
    "currency": ("currency", "currency_code", "curr", "ccy", "币种", "货币", "สกุลเงิน"),
    "amount": (
        "amount", "price", "total", "invoice_amount", "amount_paid", "total_amount", "value",
        "grand_total", "net_amount", "amount_due", "revenue", "sum", "金额", "总金额", "จำนวนเงิน",
        "ยอดเงิน",
    ),
    "created_at": (
        "created", "created_at", "created_date", "date_created", "creation_date", "signup_date",
        "sign_up_date", "signed_up_at", "joined_at", "created_on", "创建日期", "注册日期",
        "วันที่สร้าง", "วันที่สมัคร",
    ),
    "category": ("category", "type", "topic", "reason", "categories", "类别", "分类", "类型", "หมวดหมู่", "ประเภท"),
    # customers
    "name": (
        "name", "customer_name", "company_name", "account_name", "company", "organization",
        "organization_name", "client_name", "display_name", "business_name", "客户名称", "公司名称",
        "名称", "ชื่อลูกค้า", "ชื่อบริษัท", "ชื่อ",
    ),
    "churned_at": (
        "churned_at", "churn_date", "churned", "churned_on", "cancelled_at", "canceled_at",
        "cancellation_date", "lost_at", "closed_at", "deleted_at", "流失日期", "วันที่ยกเลิก",
    ),
    "referred_by": (
        "referred_by", "referrer", "referrer_id", "referred_by_id", "referral", "referred_by_customer_id",
        "推荐人", "ผู้แนะนำ",
    ),
    # subscriptions
    "subscription_id": ("subscription_id", "subscription", "sub_id", "subscriptionid", "contract_id", "订阅id", "订阅编号"),
    "started_at": (
        "start", "start_date", "started", "started_at", "starts_at", "begin_date", "period_start",
        "subscription_start", "service_start", "from", "start_at", "valid_from", "开始日期",
        "วันที่เริ่ม", "วันเริ่ม",
    ),
    "ended_at": (
        "end", "end_date", "ended", "ended_at", "ends_at", "period_end", "cancelled_at",
        "canceled_at", "cancel_date", "to", "end_at", "valid_to", "结束日期", "วันที่สิ้นสุด",
        "วันสิ้นสุด",
    ),
    "mrr": (
        "mrr", "monthly_amount", "monthly_recurring_revenue", "monthly_revenue", "monthly_price",
        "mrr_amount", "monthly_fee", "月度金额", "月费", "รายได้ต่อเดือน",
    ),
    "interval": (
        "interval", "billing_interval", "billing_period", "billing_cycle", "plan_interval",
        "recurring_interval", "frequency", "period", "计费周期", "รอบบิล",
    ),
    "interval_count": ("interval_count", "billing_interval_count", "plan_interval_count", "interval_length"),
    "plan": ("plan", "plan_name", "product", "product_name", "tier", "package", "套餐", "แพ็กเกจ"),
    "is_trial": ("is_trial", "trial", "trialing", "in_trial", "is_trialing", "试用", "ทดลองใช้"),
    "term_ends_at": (
        "term_ends_at", "term_end", "term_end_date", "contract_end", "contract_end_date",
        "commitment_end", "current_term_end", "renewal_date", "renews_at", "合同结束日期",
    ),
    # invoices
    "invoice_id": (
        "invoice_id", "invoice", "invoice_number", "invoice_no", "order_id", "order_number",
        "order_no", "payment_id", "transaction_id", "charge_id", "receipt_id", "document_number",
        "number", "发票号", "发票编号", "订单号", "เลขที่ใบแจ้งหนี้", "เลขที่ใบกำกับภาษี",
    ),
    "issued_at": (
        "issued", "issued_at", "invoice_date", "date", "issue_date", "order_date", "created",
        "created_at", "created_date", "transaction_date", "billing_date", "开票日期", "日期",
        "วันที่ออก", "วันที่", "payment_date",
    ),
    "due_at": ("due", "due_at", "due_date", "payment_due", "due_on", "到期日", "วันครบกำหนด"),
    "paid_at": (
        "paid_at", "paid", "paid_date", "date_paid", "payment_date", "paid_on", "settled_at",
        "付款日期", "วันที่ชำระ",
    ),
    "quantity": ("quantity", "qty", "units", "seats", "count", "数量", "จำนวน"),
    "status": ("status", "state", "invoice_status", "payment_status", "order_status", "状态", "สถานะ"),
    # surveys
    "response_id": ("response_id", "response", "responseid", "submission_id", "answer_id", "survey_response_id"),
    "responded_at": (
        "responded_at", "response_date", "submitted_at", "date", "timestamp", "submitted",
        "submission_date", "completed_at", "answered_at", "created_at", "created", "回复日期",
        "提交时间", "日期", "วันที่ตอบ", "วันที่",
    ),
    "survey": (
        "survey", "survey_type", "type", "question", "survey_name", "metric", "问卷", "问卷类型",
        "调查类型", "แบบสำรวจ", "ประเภทแบบสำรวจ",
    ),
    "score": (
        "score", "rating", "nps_score", "csat_score", "answer", "value", "ces_score", "nps",
        "csat", "ces", "评分", "分数", "得分", "คะแนน",
    ),
    "comment": (
        "comment", "comments", "feedback", "reason", "verbatim", "text", "remarks", "note", "notes",
        "open_answer", "评论", "意见", "备注", "ความคิดเห็น",
    ),
    # tickets
    "ticket_id": (
        "ticket_id", "ticket", "ticket_number", "ticket_no", "case_id", "case_number", "issue_id",
        "conversation_id", "request_id", "工单号", "工单编号", "เลขที่ตั๋ว",
    ),
    "first_response_at": (
        "first_response_at", "first_response", "first_reply_at", "first_replied_at",
        "first_response_time", "responded_at", "first_contact_at", "首次响应时间", "首次回复时间",
    ),
    "resolved_at": (
        "resolved_at", "resolved", "closed_at", "closed", "resolution_date", "solved_at",
        "close_date", "closed_date", "completed_at", "解决时间", "关闭时间", "วันที่ปิด",
    ),
    "contacts": (
        "contacts", "replies", "reply_count", "interactions", "touches", "agent_replies",
        "number_of_contacts", "contact_count", "messages", "回复次数",
    ),
    "reopened": ("reopened", "is_reopened", "reopen", "reopens", "was_reopened", "重开"),
    "channel": ("channel", "source", "via", "medium", "渠道", "ช่องทาง"),
    "priority": ("priority", "urgency", "severity", "优先级", "ความสำคัญ"),
    "agent": ("agent", "assignee", "owner", "agent_name", "assigned_to", "handled_by", "客服", "负责人"),
    # events
    "occurred_at": (
        "occurred_at", "timestamp", "time", "event_time", "event_timestamp", "ts", "datetime",
        "happened_at", "logged_at", "created_at", "date", "时间", "发生时间", "เวลา",
    ),
    "event": ("event", "event_name", "event_type", "action", "name", "feature", "activity", "事件", "เหตุการณ์"),
    "session_id": ("session_id", "session", "sessionid", "visit_id"),
    "duration_seconds": ("duration_seconds", "duration", "duration_sec", "seconds", "time_spent", "length", "时长"),
    # leads
    "lead_id": ("lead_id", "lead", "leadid", "trial_id", "signup_id", "prospect_id"),
    "converted_at": (
        "converted_at", "converted", "conversion_date", "converted_date", "converted_on", "won_at",
        "closed_won_at", "became_customer_at", "paid_at", "转化日期",
    ),
    "source": (
        "source", "lead_source", "utm_source", "channel", "origin", "acquisition_channel",
        "referral_source", "来源", "แหล่งที่มา",
    ),
    # costs
    "month": ("month", "period", "year_month", "yyyy_mm", "月份", "เดือน"),
}

# Synonyms that are right only inside one table, tried after the shared ones.
TABLE_SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "customers": {"customer_id": ("id",)},
    "subscriptions": {"subscription_id": ("id",)},
    "invoices": {"invoice_id": ("id",)},
    "surveys": {"response_id": ("id",)},
    "tickets": {
        "ticket_id": ("id",),
        "created_at": ("opened_at", "opened", "open_date", "submitted_at", "reported_at", "date", "创建时间"),
    },
    "leads": {
        "lead_id": ("id",),
        "created_at": ("trial_start", "trial_started_at", "started_at", "date"),
    },
    "costs": {"amount": ("cost", "spend", "expense", "expenses")},
}

# File-name words that hint at a table (matched against the words of the normalised file name;
# entries with non-Latin letters match anywhere in the name).
TABLE_KEYWORDS: dict[str, tuple[str, ...]] = {
    "subscriptions": (
        "subscription", "subscriptions", "subscription_periods", "subs", "recurring", "mrr",
        "contracts", "订阅", "สมาชิก",
    ),
    "customers": (
        "customers", "customer", "accounts", "account", "companies", "company", "clients",
        "client", "organizations", "organisations", "orgs", "客户", "ลูกค้า",
    ),
    "invoices": (
        "invoices", "invoice", "orders", "order", "payments", "payment", "billing", "charges",
        "transactions", "receipts", "sales", "发票", "订单", "账单", "ใบแจ้งหนี้", "ใบกำกับ",
    ),
    "surveys": ("surveys", "survey", "nps", "csat", "ces", "responses", "feedback", "reviews", "问卷", "调查", "แบบสำรวจ"),
    "tickets": ("tickets", "ticket", "support", "cases", "helpdesk", "zendesk", "freshdesk", "conversations", "工单", "ตั๋ว"),
    "events": ("events", "event", "usage", "activity", "activities", "logins", "sessions", "analytics", "pageviews", "事件", "日志"),
    "leads": ("leads", "lead", "trials", "trial", "signups", "prospects", "线索", "试用"),
    "costs": ("costs", "cost", "expenses", "spend", "budget", "费用", "ค่าใช้จ่าย"),
}

# Trailing header words that are units, not names: `Amount (USD)`, `金额(元)`.
UNIT_WORDS = {
    "usd", "eur", "gbp", "thb", "cny", "rmb", "jpy", "sgd", "aud", "cad", "hkd", "inr",
    "baht", "yuan", "元", "บาท", "utc", "local", "sec", "secs", "s",
}

# Survey labels found in an export -> survey kind (normalised, `_` ignored).
SURVEY_LABEL_WORDS: dict[str, tuple[str, ...]] = {
    "nps": ("nps", "net_promoter", "promoter", "recommend", "净推荐值", "推荐"),
    "csat": ("csat", "satisfaction", "satisfied", "满意度", "满意", "ความพึงพอใจ"),
    "ces": ("ces", "effort", "customer_effort", "费力度", "ความง่าย"),
}

# Strftime formats tried for dates that are not ISO, in order of preference. None has a space:
# the loader applies date_format to the text before the first space or `T` (a time is dropped).
DATE_FORMATS = (
    "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d-%m-%Y", "%m-%d-%Y", "%d/%m/%y",
    "%m/%d/%y", "%Y.%m.%d", "%Y%m%d", "%d-%b-%Y", "%Y-%m-%d",
)
# Pairs that read the same sample equally well: the first is assumed and the choice is flagged.
AMBIGUOUS_DATES = {"%d/%m/%Y": "%m/%d/%Y", "%d-%m-%Y": "%m-%d-%Y", "%d/%m/%y": "%m/%d/%y"}

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?$")
_THAI_CONSONANT = range(0x0E01, 0x0E2F)
_THAI_COMBINING = {0x0E31, *range(0x0E34, 0x0E3B), *range(0x0E47, 0x0E4F)}
_THAI_LEADING_VOWEL = range(0x0E40, 0x0E45)


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


# ---------------------------------------------------------------------------------------------
# Header normalisation and column matching
# ---------------------------------------------------------------------------------------------


def normalise_header(text: str) -> str:
    """Lowercase, strip, every run of characters that are not letters/digits -> `_`, no `_` at the ends.

    Thai vowel and tone marks (Unicode marks) count as letters, so Thai words stay whole.
    """
    out: list[str] = []
    gap = False
    for ch in text.strip().lower():
        if ch.isalnum() or unicodedata.category(ch).startswith("M"):
            if gap and out:
                out.append("_")
            out.append(ch)
            gap = False
        else:
            gap = True
    return "".join(out)


def _compact(norm: str) -> str:
    return norm.replace("_", "")


def _without_unit(norm: str) -> str | None:
    """`amount_usd` -> `amount`; None when the last word is not a unit."""
    head, _, last = norm.rpartition("_")
    return head if head and last in UNIT_WORDS else None


@lru_cache(maxsize=None)
def _synonym_keys(table: str, column: str) -> tuple[str, ...]:
    """The column's synonyms in this table, normalised and without `_`, in order of preference."""
    synonyms = SYNONYMS.get(column, ()) + TABLE_SYNONYMS.get(table, {}).get(column, ())
    return tuple(_compact(normalise_header(s)) for s in synonyms)


def _rank(table: str, column: str, norm: str) -> tuple[int, int] | None:
    """How well a normalised header names a column: (tier, position in the synonym list), lower is better."""
    if not norm:
        return None
    key = _compact(norm)
    if key == _compact(column):
        return (0, 0)
    synonyms = _synonym_keys(table, column)
    if key in synonyms:
        return (1, synonyms.index(key))
    bare = _without_unit(norm)
    if bare and _compact(bare) == _compact(column):
        return (2, 0)
    if bare and _compact(bare) in synonyms:
        return (2, synonyms.index(_compact(bare)) + 1)
    return None


def _required_units(tbl: Table) -> list[tuple[tuple[str, ...], ...]]:
    """Each unit is satisfied by any one of its groups: a plain required column is a unit of one group."""
    units: list[tuple[tuple[str, ...], ...]] = [((name,),) for name in tbl.required]
    if tbl.one_of:
        units.append(tbl.one_of)
    return units


def match_columns(table: str, headers: list[str]) -> dict[str, str]:
    """Map the table's canonical columns onto headers: canonical -> header, in the table's column order."""
    tbl = TABLES[table]
    norms = [normalise_header(h) for h in headers]
    candidates = []
    for order, column in enumerate(tbl.names):
        for i, norm in enumerate(norms):
            rank = _rank(table, column, norm)
            if rank is not None:
                candidates.append((rank, order, i, column))
    candidates.sort()
    taken: dict[str, int] = {}
    used: set[int] = set()
    for _rank_, _order, i, column in candidates:
        if column not in taken and i not in used:
            taken[column] = i
            used.add(i)
    # A required column left empty may take a header that went to an optional column
    # (`payment_date` is paid_at in an invoice export, but the issue date of a payments export).
    for column in tbl.required:
        if column in taken:
            continue
        for _rank_, _order, i, cand in candidates:
            if cand != column:
                continue
            holder = next(c for c, j in taken.items() if j == i) if i in used else None
            if holder is None or holder not in tbl.required:
                if holder is not None:
                    del taken[holder]
                taken[column] = i
                used.add(i)
                break
    return {c: headers[taken[c]] for c in tbl.names if c in taken}


def missing_required(table: str, columns: dict[str, str]) -> list[str]:
    """Required columns not in `columns`; of a one_of unit, the missing part of its most complete group."""
    missing: list[str] = []
    for unit in _required_units(TABLES[table]):
        best = max(unit, key=lambda group: sum(c in columns for c in group))  # ties: the first group
        missing += [c for c in best if c not in columns]
    return missing


def _coverage(table: str, columns: dict[str, str]) -> float:
    units = _required_units(TABLES[table])
    if not units:
        return 1.0
    got = sum(max(sum(c in columns for c in g) / len(g) for g in unit) for unit in units)
    return got / len(units)


def _name_hint(table: str, path: Path) -> bool:
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    stem = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", stem)  # SubscriptionPeriods -> Subscription_Periods
    norm = normalise_header(stem)
    words = set(norm.split("_"))
    for word in TABLE_KEYWORDS.get(table, ()):
        if word.isascii():
            if word in words or ("_" in word and word in norm):
                return True
        elif word in norm:
            return True
    return False


def score_table(table: str, path: Path, headers: list[str]) -> tuple[float, bool, dict[str, str]]:
    """(score, acceptable, columns) of reading this file as `table`.

    score = 0.6 x share of required columns found + 0.3 if the file name hints at the table
            + 0.1 x share of headers placed on canonical columns.
    Acceptable when the name hints at the table, or (nearly) all required columns are found
    (3 of 4 and more) through at least two matched headers.
    """
    columns = match_columns(table, headers)
    coverage = _coverage(table, columns)
    hint = _name_hint(table, path)
    named = sum(1 for h in headers if h.strip())
    placed = len(columns) / named if named else 0.0
    score = round(0.6 * coverage + 0.3 * hint + 0.1 * placed, 3)
    acceptable = hint or (coverage >= 0.75 and len(columns) >= 2)
    return score, acceptable, columns


# ---------------------------------------------------------------------------------------------
# Reading a sample: encoding, delimiter, rows
# ---------------------------------------------------------------------------------------------


def _decode(raw: bytes, encoding: str, complete: bool) -> str | None:
    try:
        return codecs.getincrementaldecoder(encoding)(errors="strict").decode(raw, final=complete)
    except UnicodeDecodeError:
        return None


def _thai_plausibility(text: str) -> float:
    """Share of Thai letters in a position Thai spelling allows (a mark after a consonant, ...)."""
    thai = bad = 0
    for i, ch in enumerate(text):
        cp = ord(ch)
        if not 0x0E00 <= cp <= 0x0E7F:
            continue
        thai += 1
        prev = ord(text[i - 1]) if i else 0
        nxt = ord(text[i + 1]) if i + 1 < len(text) else 0
        if cp in _THAI_COMBINING and not (prev in _THAI_CONSONANT or prev in _THAI_COMBINING):
            bad += 1
        elif cp in _THAI_LEADING_VOWEL and nxt not in _THAI_CONSONANT:
            bad += 1
    return 1 - bad / thai if thai else 0.0


def _chinese_plausibility(text: str) -> float:
    """Share of non-ASCII characters that are common Chinese: GB2312 level-1 hanzi or CJK punctuation."""
    total = good = 0
    for ch in text:
        if ch.isascii():
            continue
        total += 1
        if 0x3000 <= ord(ch) <= 0x303F or 0xFF01 <= ord(ch) <= 0xFF5E:
            good += 1
            continue
        try:
            good += 0xB0 <= ch.encode("gb2312")[0] <= 0xD7
        except UnicodeEncodeError:
            pass
    return good / total if total else 0.0


def _header_hits(text: str) -> int:
    """How many non-ASCII headers of the first line are known synonyms (客户编号, รหัสลูกค้า):
    evidence for an encoding. ASCII headers read the same in every candidate and say nothing."""
    known = {_compact(normalise_header(s)) for syns in SYNONYMS.values() for s in syns if not s.isascii()}
    first = text.splitlines()[0] if text else ""
    return sum(_compact(normalise_header(h)) in known for h in re.split(r"[,;\t|]", first))


def detect_encoding(raw: bytes, complete: bool = True) -> tuple[str, str]:
    """(encoding, decoded text) of a sample: UTF-16 with a BOM, utf-8-sig, else cp874 or gb18030,
    else cp1252 when bytes 0x80-0x9F occur (they are smart quotes and dashes there), else latin-1.

    cp874 and gb18030 both decode many byte strings of the other: the one whose header names
    are known synonyms wins, then the one whose text reads as real Thai / Chinese; a tie keeps
    the listed order (cp874 first).
    """
    if raw[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):  # Excel's "Unicode text": UTF-16 with a BOM
        text = _decode(raw, "utf-16", complete)
        if text is not None:
            return "utf-16", text
    text = _decode(raw, "utf-8-sig", complete)
    if text is not None:
        return "utf-8-sig", text
    ranked = []
    for order, (encoding, plausible, threshold) in enumerate(
        (("cp874", _thai_plausibility, 0.99), ("gb18030", _chinese_plausibility, 0.9))
    ):
        text = _decode(raw, encoding, complete)
        if text is None:
            continue
        p = plausible(text)
        ranked.append(((_header_hits(text), p >= threshold, p, -order), encoding, text))
    ranked.sort(reverse=True)
    if ranked and (ranked[0][0][0] > 0 or ranked[0][0][1]):
        return ranked[0][1], ranked[0][2]
    if any(0x80 <= b <= 0x9F for b in raw):  # control characters in latin-1, smart quotes and € in cp1252
        text = _decode(raw, "cp1252", complete)
        if text is not None:
            return "cp1252", text
    return "latin-1", raw.decode("latin-1")


def _parse(text: str, delimiter: str, limit: int | None = None) -> list[list[str]]:
    rows: list[list[str]] = []
    try:
        for row in islice(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), limit):
            rows.append(row)
    except csv.Error:
        pass  # a sample cut inside a quoted value: keep what was read
    return rows


def detect_delimiter(text: str) -> str:
    """The candidate that splits the header into most fields with rows of the same width.

    Each of `, ; TAB |` reads the first rows; candidates that split the header at all are ranked
    by the share of rows as wide as the header, then by the header's width, then the listed order.
    """
    best, best_key = ",", None
    for order, delim in enumerate(DELIMITERS):
        rows = [r for r in _parse(text, delim, 21) if r]
        if not rows or len(rows[0]) < 2:
            continue
        body = rows[1:-1] if len(rows) > 2 else rows[1:]  # the last row may be cut off
        same = sum(len(r) == len(rows[0]) for r in body) / len(body) if body else 1.0
        key = (same, len(rows[0]), -order)
        if best_key is None or key > best_key:
            best, best_key = delim, key
    return best


def _values(rows: list[list[str]], index: int) -> list[str]:
    out = []
    for row in rows:
        if index < len(row) and row[index].strip():
            out.append(row[index].strip())
            if len(out) == SAMPLE_VALUES:
                break
    return out


# ---------------------------------------------------------------------------------------------
# Value shapes: dates, decimal comma, survey labels, inclusive end dates
# ---------------------------------------------------------------------------------------------


def _misses(values: list[str], fmt: str) -> list[str]:
    """The sample values that do not read as `fmt`."""
    out = []
    for v in values:
        try:
            datetime.strptime(v, fmt)
        except ValueError:
            out.append(v)
    return out


MIN_DATE_SHARE = 0.8  # a format that reads this share of the sample is proposed; the rest get rejected


def detect_date_format(values: list[str]) -> tuple[str | None, list[str]]:
    """(strftime format or None for ISO, notes) from sample values of one date column.

    Like the loader, it looks only at the date before a time of day, so `31/05/2024 14:03` gives
    `%d/%m/%Y`. The format that reads most of the sample wins when it reads at least 80 % of it:
    a real export often holds a few impossible dates (31/02/2024), which the loader then rejects
    with their line numbers."""
    if not values or all(_ISO_DATE.match(v) for v in values):
        return None, []
    days = [re.split(r"[ T]", v, maxsplit=1)[0] for v in values]
    years = [int(m.group(0)) for v in values for m in [re.search(r"(?<!\d)(2[4-6]\d\d)(?!\d)", v)] if m]
    be = ["TODO: years like %d look like the Thai Buddhist Era (subtract 543): convert them to CE in the export" % years[0]] if years else []
    misses = {fmt: _misses(days, fmt) for fmt in DATE_FORMATS}
    fmt = min(DATE_FORMATS, key=lambda f: len(misses[f]))  # ties: the first in DATE_FORMATS (day-first)
    if (len(days) - len(misses[fmt])) / len(days) < MIN_DATE_SHARE:
        return None, be + [f"TODO: dates like {values[0]!r} are neither ISO nor a known format: set date_format by hand"]
    notes = list(be)
    other = AMBIGUOUS_DATES.get(fmt)
    if other and len(misses[other]) <= len(misses[fmt]):
        notes.append(
            f"CHECK: every date sampled (e.g. {values[0]}) reads both day-first and month-first; "
            f"assumed day-first {fmt}. Use {other} if the export is month-first"
        )
    if misses[fmt]:
        notes.append(
            f"CHECK: {len(misses[fmt])} of {len(days)} sampled dates do not read as {fmt} "
            f"(e.g. {misses[fmt][0]!r}); those rows will be rejected: `cs-metrics validate` lists their lines"
        )
    return fmt, notes


_MONEY_CHARS = re.compile(r"[^\d.,]")


def detect_decimal_comma(values: list[str], delimiter: str) -> bool:
    """True when money values read `1.234,50` or `12,5`; False at the first `1,234.50` or `12.50`.

    `12,5` counts only in files not delimited by commas (there it would have to be quoted).
    Values like `1,234` or `1.234` say nothing either way.
    """
    comma = False
    for v in values:
        digits = _MONEY_CHARS.sub("", v)
        if re.fullmatch(r"\d{1,3}(\.\d{3})+,\d+", digits) or (delimiter != "," and re.fullmatch(r"\d+,\d{1,2}", digits)):
            comma = True
        elif re.fullmatch(r"\d{1,3}(,\d{3})+\.\d+", digits) or re.fullmatch(r"\d+\.\d{1,2}", digits):
            return False
    return comma


def _survey_labels(values: list[str]) -> tuple[dict[str, str], list[str]]:
    labels: dict[str, str] = {}
    unknown: list[str] = []
    for value in dict.fromkeys(values):
        key = _compact(normalise_header(value))
        if key in SURVEY_KINDS:
            continue
        kind = next(
            (k for k, words in SURVEY_LABEL_WORDS.items() if any(_compact(normalise_header(w)) in key for w in words)),
            None,
        )
        if kind:
            labels[value] = kind
        else:
            unknown.append(value)
    return labels, unknown


def _to_date(value: str, fmt: str | None) -> date | None:
    try:
        return (datetime.strptime(re.split(r"[ T]", value, maxsplit=1)[0], fmt) if fmt else datetime.fromisoformat(value[:10])).date()
    except ValueError:
        return None


def _looks_end_inclusive(starts: list[str], ends: list[str], fmt: str | None) -> bool:
    """Starts on the 1st and ends on a month's last day (at least 3 ends, 80% each): the end is the last day of service."""
    start_days = [d for d in (_to_date(v, fmt) for v in starts) if d]
    end_days = [d for d in (_to_date(v, fmt) for v in ends) if d]
    if len(end_days) < 3 or not start_days:
        return False
    firsts = sum(d.day == 1 for d in start_days) / len(start_days)
    month_ends = sum((d + timedelta(days=1)).day == 1 for d in end_days) / len(end_days)
    return firsts >= 0.8 and month_ends >= 0.8


# ---------------------------------------------------------------------------------------------
# propose
# ---------------------------------------------------------------------------------------------


def _read_sample(path: Path) -> tuple[bytes, bool]:
    with path.open("rb") as f:
        raw = f.read(SAMPLE_BYTES + 1)
    complete = len(raw) <= SAMPLE_BYTES
    return raw[:SAMPLE_BYTES], complete


def _inspect(path: Path) -> tuple[FileProposal, list[tuple[float, bool, str, dict[str, str]]], list[list[str]]]:
    """Read one file's sample; return a proposal without a table, the scored tables, and the data rows."""
    blank = FileProposal(path, None, 0.0, ",", "utf-8-sig", None, False, {}, [], [])
    try:
        raw, complete = _read_sample(path)
    except OSError as exc:
        blank.notes.append(f"cannot be read: {exc.strerror or exc}")
        return blank, [], []
    if not raw.strip():
        blank.notes.append("empty file")
        return blank, [], []
    encoding, text = detect_encoding(raw, complete)
    delimiter = detect_delimiter(text)
    rows = _parse(text, delimiter)
    if not complete and len(rows) > 1:
        rows = rows[:-1]  # the sample may end inside the last row
    # Stripped, as the loader strips them; empty cells stay, so positions match the data rows.
    headers = [h.strip() for h in rows[0]] if rows else []
    named = [h for h in headers if h.strip()]
    if len(named) < len(headers):
        blank.notes.append(f"{len(headers) - len(named)} header cell(s) are empty")
    blank.encoding, blank.delimiter, blank.headers = encoding, delimiter, headers
    blank.unmapped_headers = named
    scored = sorted(
        ((*score_table(t, path, headers), t) for t in TABLES),
        key=lambda s: (s[1], s[0]),  # acceptable first, then by score; ties keep TABLES order
        reverse=True,
    )
    ranking = [(score, ok, t, cols) for score, ok, cols, t in scored]
    blank.score = ranking[0][0] if ranking else 0.0
    data = [r for r in rows[1:] if any(c.strip() for c in r)]
    return blank, ranking, data


def _fill(p: FileProposal, table: str, score: float, columns: dict[str, str], rows: list[list[str]]) -> None:
    """Complete a proposal for its chosen table: mapping, problems, date format, money, labels."""
    tbl = TABLES[table]
    p.table, p.score, p.columns = table, score, columns
    placed = set(columns.values())
    extra = [h for h in p.headers if h.strip() and h not in placed]
    if tbl.open_columns:
        p.segment_headers, p.unmapped_headers = extra, []
    else:
        p.unmapped_headers = extra
    p.missing_required = missing_required(table, columns)

    index: dict[str, int] = {}
    for i, h in enumerate(p.headers):
        index.setdefault(h, i)  # first occurrence of each header
    values = {c: _values(rows, index[h]) for c, h in columns.items()}
    # date_format applies to the file's date columns (a file with only datetimes is looked at too);
    # they share one format, so all of them are sampled: `31/01` in one settles `01/02` in another.
    dated = [c for kind in ("date", "datetime") for c in tbl.names if c in columns and tbl.column(c).type == kind and values[c]]
    dated = [c for c in dated if tbl.column(c).type == tbl.column(dated[0]).type]
    if dated:
        p.date_format, notes = detect_date_format([v for c in dated for v in values[c]])
        p.notes += notes
        if p.date_format and tbl.column(dated[0]).type == "datetime":
            p.notes.append(
                f"CHECK: {dated[0]} holds datetimes like {values[dated[0]][0]!r}; "
                "datetime columns are read as ISO (2024-05-31T14:03:00), so convert them in the export"
            )
    money = [v for c in tbl.names if c in columns and tbl.column(c).type == "money" for v in values[c]]
    p.decimal_comma = detect_decimal_comma(money, p.delimiter)
    if table == "surveys" and "survey" in columns:
        p.survey_labels, unknown = _survey_labels(values["survey"])
        p.unknown_survey_labels = list(unknown)
        if unknown:
            p.notes.append(
                "TODO: survey labels not recognised: "
                + ", ".join(unknown)
                + ". Map each under survey_labels to nps, csat or ces"
            )
    if table == "subscriptions" and "started_at" in columns and "ended_at" in columns:
        p.end_inclusive = _looks_end_inclusive(values["started_at"], values["ended_at"], p.date_format)


def propose(folder: Path) -> list[FileProposal]:
    """One proposal per *.csv / *.tsv / *.txt file of `folder` (not recursive), sorted by name.

    Each table goes to at most one file: the best-scoring one; the other candidates get table None
    and a note naming the file that won.
    """
    folder = Path(folder)
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in EXTENSIONS)
    inspected = [_inspect(p) for p in files]
    best_for: dict[str, tuple[float, int]] = {}  # table -> (score, file index) of its best acceptable file
    for n, (_p, ranking, _rows) in enumerate(inspected):
        choice = next(((s, t) for s, ok, t, _c in ranking if ok), None)
        if choice and (choice[1] not in best_for or choice[0] > best_for[choice[1]][0]):
            best_for[choice[1]] = (choice[0], n)
    winner = {n: t for t, (_s, n) in best_for.items()}
    proposals = []
    for n, (p, ranking, rows) in enumerate(inspected):
        choice = next(((s, t, c) for s, ok, t, c in ranking if ok), None)
        if n in winner:
            score, table, columns = choice
            _fill(p, table, score, columns, rows)
        elif choice:
            other = files[best_for[choice[1]][1]].name
            p.notes.append(f"also looks like {choice[1]} (score {choice[0]}), but {other} scored higher")
        elif p.headers:
            p.notes.append("no table recognised")
        proposals.append(p)
    return proposals


# ---------------------------------------------------------------------------------------------
# render_yaml
# ---------------------------------------------------------------------------------------------


def _q(text: str) -> str:
    """A YAML double-quoted scalar; characters YAML cannot hold raw are escaped."""
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\t":
            out.append("\\t")
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def _c(text: str) -> str:
    """Text safe inside a YAML comment: one line, printable."""
    return "".join(ch if ch.isprintable() else " " for ch in text)


def _names(headers: list[str]) -> str:
    return ", ".join(_c(h) for h in headers)


def _missing_text(table: str, missing: list[str]) -> list[str]:
    tbl = TABLES[table]
    group_cols = {c for g in tbl.one_of for c in g}
    out = [c for c in missing if c not in group_cols]
    if any(c in group_cols for c in missing):
        out.append(" or ".join(" + ".join(g) for g in tbl.one_of))
    return out


def _block(p: FileProposal) -> list[str]:
    lines = [f"  # {_c(p.path.name)} -> {p.table} (score {p.score})"]
    if p.segment_headers:
        lines.append(f"  # segment columns, kept under their own names (usable with --by): {_names(p.segment_headers)}")
    if p.unmapped_headers:
        lines.append(f"  # headers not used: {_names(p.unmapped_headers)}")
    if p.missing_required:
        lines.append(f"  # missing required columns: {', '.join(_missing_text(p.table, p.missing_required))}")
        lines.append(
            f"  # TODO: map the missing required columns under columns: (canonical: \"Export header\"); "
            f"until then metrics that need {p.table} stop with an error"
        )
    for note in p.notes:
        lines.append(f"  # {_c(note)}")
    if p.table == "subscriptions":
        lines.append("  # end_inclusive: true is needed when the export's end date is the last day of service")
        lines.append("  # (cs-metrics reads ended_at as the first day without service).")
        if p.end_inclusive:
            lines.append("  # Set below because starts fall on the 1st and ends on a month's last day.")
    lines.append(f"  {p.table}:")
    lines.append(f"    path: {_q(p.path.name)}")
    if p.delimiter != ",":
        lines.append(f"    delimiter: {_q(p.delimiter)}")
    if p.encoding != "utf-8-sig":
        lines.append(f"    encoding: {_q(p.encoding)}")
    if p.date_format:
        lines.append(f"    date_format: {_q(p.date_format)}")
    elif any("set date_format by hand" in n for n in p.notes):
        lines.append('    # date_format: "TODO strptime format, e.g. %d.%m.%Y"')
    if p.decimal_comma:
        lines.append("    decimal_comma: true")
    if p.end_inclusive:
        lines.append("    end_inclusive: true")
    if p.survey_labels or p.unknown_survey_labels:
        lines.append("    survey_labels:")
        lines += [f"      {_q(label)}: {kind}" for label, kind in p.survey_labels.items()]
        lines += [f'      # {_q(label)}: "TODO nps, csat or ces"' for label in p.unknown_survey_labels]
    # a block mapping (never `{}`), so that uncommenting a TODO line below keeps the YAML valid
    lines.append("    columns:")
    lines += [f"      {c}: {_q(h)}" for c, h in p.columns.items()]
    lines += [f'      # {c}: "TODO export header"' for c in p.missing_required]
    return lines


def render_yaml(proposals: list[FileProposal], data_dir: str) -> str:
    """A commented YAML config for the matched files; unmatched files are listed in comments only."""
    matched = [p for p in proposals if p.table]
    lines = [
        "# cs-metrics config proposed by `cs-metrics init --from` from the exports found.",
        "# Review it: every mapping reads `canonical_column: \"Header in your export\"`;",
        "# lines marked TODO need your answer, lines marked CHECK a second look.",
        f"data: {_q(str(data_dir))}",
        "",
    ]
    if matched:
        lines.append("sources:")
        for p in matched:
            lines += _block(p)
            lines.append("")
    else:
        lines += ["# No export was recognised: add sources by hand (see config.example.yaml).", "sources: {}", ""]
    unused = [p for p in proposals if not p.table]
    if unused:
        lines.append("# Files not used:")
        for p in unused:
            why = "; ".join(_c(n) for n in p.notes) or "no table recognised"
            headers = f" (headers: {_names(p.headers)})" if p.headers else ""
            lines.append(f"#   {_c(p.path.name)}: {why}{headers}")
        lines.append(f"# A file holding one of {', '.join(TABLES)} can be added under sources: by hand.")
    return "\n".join(lines).rstrip("\n") + "\n"


# ---------------------------------------------------------------------------------------------
# starter config
# ---------------------------------------------------------------------------------------------


def starter_config() -> str:
    """The text of the package resource `cs_metrics/config.example.yaml`."""
    from importlib import resources

    try:
        return resources.files(STARTER_PACKAGE).joinpath(STARTER_RESOURCE).read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError):
        raise CsMetricsError(
            f"the starter config {STARTER_PACKAGE}/{STARTER_RESOURCE} is missing from the installed package",
            "Reinstall cs-metrics",
        ) from None
