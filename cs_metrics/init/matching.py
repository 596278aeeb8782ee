"""Headers -> canonical columns: synonyms per column and table, file-name hints, table scores."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from cs_metrics.contract import TABLES, Table

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
        "account_id", "client_id", "cust_id", "account", "company", "organization_id", "record_id",
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
        "ยอดเงิน", "มูลค่าก่อนภาษี", "ยอดรวมสุทธิ",
    ),
    "created_at": (
        "created", "created_at", "created_date", "date_created", "creation_date", "signup_date",
        "sign_up_date", "signed_up_at", "joined_at", "created_on", "create_date", "createdate", "创建日期", "注册日期",
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
        "วันสิ้นสุด", *("last_service_day", "last_day_of_service", "last_service_date", "service_end_date", "last_day", "service_until"),
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
        "number", "发票号", "发票编号", "订单号", "เลขที่ใบแจ้งหนี้", "เลขที่ใบกำกับภาษี", "เลขที่เอกสาร",
    ),
    "issued_at": (
        "issued", "issued_at", "invoice_date", "date", "issue_date", "order_date", "created",
        "created_at", "created_date", "transaction_date", "billing_date", "开票日期", "日期",
        "วันที่ออก", "วันที่เอกสาร", "วันที่", "payment_date",
    ),
    "due_at": ("due", "due_at", "due_date", "payment_due", "due_on", "到期日", "วันครบกำหนด", "วันที่ครบกำหนด"),
    "paid_at": (
        "paid_at", "paid", "paid_date", "date_paid", "payment_date", "paid_on", "settled_at",
        "付款日期", "วันที่ชำระ", "วันที่รับชำระ",
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
    "invoices": {
        "invoice_id": ("id",),
        "customer_id": ("customer_name", "company_name", "client_name", "ชื่อลูกค้า", "客户名称"),
        "paid": ("is_paid", "paid_flag"),
    },
    "tickets": {
        "ticket_id": ("id",),
        "customer_id": ("organization", "organisation", "organization_name", "company", "company_name", "requester_email", "email"),
        "created_at": ("opened_at", "opened", "open_date", "submitted_at", "reported_at", "date", "创建时间"),
    },
    "surveys": {"response_id": ("id",), "customer_id": ("email", "email_address", "respondent_email", "user_email")},
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

# ended_at headers that name the last day of service (the loader adds a day: end_inclusive).
INCLUSIVE_END_HEADERS = ("last_service_day", "last_day_of_service", "last_service_date", "last_day", "service_until")

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


def fits(table: str, column: str, shape) -> bool:
    """Whether a column's sampled values can be the canonical column: never a flag or a count as a
    date, never a date or text as an amount, never a row number or a constant as a customer id."""
    if shape is None or shape.kind == "empty":
        return True
    kind = TABLES[table].column(column).type
    if kind in ("date", "datetime"):
        return shape.is_dated or shape.kind == "text"  # text: dates in a format init does not know (a TODO)
    if kind in ("money", "number", "int"):
        return shape.is_numeric or shape.kind == "bool01"
    if kind == "bool":
        return shape.kind in ("bool", "bool01", "count", "const", "text")
    if column == "customer_id" or (kind == "id" and TABLES[table].column(column).unique):
        return shape.kind not in ("bool", "bool01", "date", "datetime", "epoch") and not (
            column == "customer_id" and shape.kind in ("seq", "const") and len(shape.values) > 2
        )
    return True


def match_columns(table: str, headers: list[str], shapes: dict | None = None) -> dict[str, str]:
    """Map the table's canonical columns onto headers: canonical -> header, in the table's column order.
    With `shapes` (header -> Shape of its sampled values) a header whose values cannot be the column
    is not taken (a true/false `Paid` is no `paid_at`, a row number no `customer_id`)."""
    tbl = TABLES[table]
    norms = [normalise_header(h) for h in headers]
    shapes = shapes or {}
    candidates = []
    for order, column in enumerate(tbl.names):
        for i, norm in enumerate(norms):
            rank = _rank(table, column, norm)
            if rank is not None and fits(table, column, shapes.get(headers[i])):
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


def score_table(table: str, path: Path, headers: list[str], shapes: dict | None = None) -> tuple[float, bool, dict[str, str]]:
    """(score, acceptable, columns) of reading this file as `table`.

    score = 0.6 x share of required columns found + 0.3 if the file name hints at the table
            + 0.1 x share of headers placed on canonical columns.
    Acceptable when the name hints at the table, or (nearly) all required columns are found
    (3 of 4 and more) through at least two matched headers.
    """
    columns = match_columns(table, headers, shapes)
    coverage = _coverage(table, columns)
    hint = _name_hint(table, path)
    named = sum(1 for h in headers if h.strip())
    placed = len(columns) / named if named else 0.0
    score = round(0.6 * coverage + 0.3 * hint + 0.1 * placed, 3)
    acceptable = hint or (coverage >= 0.75 and len(columns) >= 2)
    return score, acceptable, columns

