"""Billing and accounting exports: Stripe, Chargebee, Recurly, Paddle, PEAK.

Headers and value formats: tests/data/exports/<tool>/SOURCE.md (each cites the tool's
documentation or real exports).
"""

from __future__ import annotations

from cs_metrics.vendors import Export, Key

UTC_HEADERS = "the headers say (UTC)"


def _coupons(p, sample) -> None:
    """Stripe names a subscription's coupon, not its terms: the terms are the person's answer."""
    header = p.header_of("Coupon")
    codes = sorted(set(sample.values(header))) if header else []
    if not codes:
        return
    listed = ", ".join(codes[:8]) + (" ..." if len(codes) > 8 else "")
    p.todo(
        "coupons",
        f"the coupons {listed} reduce MRR, but the export names them without their terms; say what each "
        "takes off (percent or amount per interval) on the lines below and uncomment them, or MRR is the list price",
        lines=[
            ("columns", f'discount_percent: "{header}"'),
            ("columns", f'discount_amount: "{header}"'),
            ("values", "discount_percent: {" + ", ".join(f'"{c}": "TODO percent off, or null"' for c in codes) + "}"),
            ("values", "discount_amount: {" + ", ".join(f'"{c}": "TODO amount off, or null"' for c in codes) + "}"),
        ],
    )


EXPORTS = [
    Export(
        "Stripe", "subscriptions export", "subscriptions",
        signature=("id", "Customer ID", "Plan", "Quantity", "Interval", "Amount", "Status", "Current Period End (UTC)"),
        columns={
            "subscription_id": "id",
            "customer_id": "Customer ID",
            "started_at": ("Start Date (UTC)", "Start (UTC)", "Created (UTC)"),
            "ended_at": "Ended At (UTC)",
            "amount": "Amount",
            "interval": "Interval",
            "interval_count": "Interval Count",
            "quantity": "Quantity",
            "currency": "Currency",
            "plan": ("Product", "Plan"),
            "status": "Status",
            "trial_ends_at": "Trial End (UTC)",
            "canceled_at": "Canceled At (UTC)",
        },
        keys=(Key("Customer ID", "id"), Key("Customer Email", "email")),
        settings={"timezone": "UTC"},
        reasons={
            "timezone": UTC_HEADERS,
            "ended_at": "Ended At is the first moment without service; Canceled At only the day the customer asked",
            "trial_ends_at": "a trial inside the row: no MRR before Trial End",
            "plan": "Product is the plan's name (Plan holds the price id)",
        },
        notes=("statuses incomplete and incomplete_expired never billed: left out and counted (the default)",),
        refine=_coupons,
    ),
    Export(
        "Stripe", "invoices export", "invoices",
        signature=("id", "Amount Due", "Amount Paid", "Customer", "Date (UTC)", "Number", "Paid", "Status", "Total"),
        columns={
            "invoice_id": "id",
            "customer_id": "Customer",
            "issued_at": "Date (UTC)",
            "amount": "Total",
            "due_at": "Due Date (UTC)",
            "paid_at": "Paid At (UTC)",
            "paid": "Paid",
            "currency": "Currency",
            "status": "Status",
        },
        keys=(Key("Customer", "id"), Key("Customer Email", "email")),
        settings={"timezone": "UTC"},
        reasons={
            "timezone": UTC_HEADERS,
            "paid": "Paid is a true/false flag, not a day: the payment day is Paid At",
            "amount": "Total is after discounts (Subtotal before them)",
        },
        notes=("statuses void and draft are left out and counted (the default)",),
        prefer=2,
    ),
    Export(
        "Stripe", "invoice line items export", "invoice_lines",
        signature=("Invoice ID", "Line Item ID", "Amount", "Currency", "Proration", "Period Start (UTC)", "Period End (UTC)"),
        columns={
            "line_id": "Line Item ID",
            "invoice_id": "Invoice ID",
            "customer_id": "Customer ID",
            "period_start": "Period Start (UTC)",
            "period_end": "Period End (UTC)",
            "amount": "Amount",
            "quantity": "Quantity",
            "currency": "Currency",
            "proration": "Proration",
            "plan": "Product",
        },
        keys=(Key("Customer ID", "id"),),
        settings={"timezone": "UTC"},
        reasons={"timezone": UTC_HEADERS, "period_end": "Stripe's period end is the next period's start: the first moment without service"},
    ),
    Export(
        "Stripe", "payments export", "invoices",
        signature=("id", "Created date (UTC)", "Amount", "Amount Refunded", "Currency", "Captured", "Status"),
        columns={
            "invoice_id": "id",
            "customer_id": "Customer ID",
            "issued_at": "Created date (UTC)",
            "amount": "Amount",
            "amount_refunded": "Amount Refunded",
            "currency": "Currency",
            "status": "Status",
        },
        keys=(Key("Customer ID", "id"), Key("Customer Email", "email")),
        settings={"timezone": "UTC", "exclude_status": ["Failed"]},
        reasons={
            "timezone": UTC_HEADERS,
            "exclude_status": "a failed charge collected nothing",
            "amount_refunded": "refunds are netted from the amount",
        },
        prefer=1,
        same_money_as=("invoices export",),
    ),
    Export(
        "Chargebee", "subscriptions export", "subscriptions",
        signature=("id", "customer_id", "plan_id", "plan_quantity", "plan_unit_price", "billing_period_unit", "status", "current_term_end"),
        columns={
            "subscription_id": "id",
            "customer_id": "customer_id",
            "started_at": ("started_at", "activated_at", "created_at"),
            "ended_at": "cancelled_at",
            "amount": "plan_unit_price",
            "interval": "billing_period_unit",
            "interval_count": "billing_period",
            "quantity": "plan_quantity",
            "currency": "currency_code",
            "plan": "plan_id",
            "status": "status",
            "trial_ends_at": "trial_end",
            "canceled_at": "cancel_schedule_created_at",
        },
        keys=(Key("customer_id", "id"),),
        settings={"amount_divisor": 100, "exclude_status": ["future"]},
        reasons={
            "amount_divisor": "Chargebee writes amounts in cents",
            "exclude_status": "a future subscription has not started",
            "ended_at": "Chargebee's cancelled_at is the (scheduled) end of service, not the request",
            "canceled_at": "cancel_schedule_created_at is the day the customer asked to leave",
        },
    ),
    Export(
        "Recurly", "subscriptions export", "subscriptions",
        signature=("uuid", "account_code", "plan_code", "state", "quantity", "unit_amount", "activated_at", "expires_at"),
        columns={
            "subscription_id": "uuid",
            "customer_id": "account_code",
            "started_at": "activated_at",
            "ended_at": "expires_at",
            "amount": "unit_amount",
            "quantity": "quantity",
            "currency": "currency",
            "plan": ("plan_name", "plan_code"),
            "status": "state",
            "trial_ends_at": "trial_ends_at",
            "canceled_at": "canceled_at",
        },
        keys=(Key("account_code", "id"), Key("email", "email"), Key("company_name", "name")),
        settings={"fixed": {"interval": "month"}, "exclude_status": ["future"]},
        reasons={
            "fixed": "CHECK: Recurly's export has no billing interval (it is on the plan): every plan is read as monthly",
            "exclude_status": "a future subscription has not started (its activated_at is empty)",
            "ended_at": "expires_at is the end of service; a canceled subscription is live until then",
        },
    ),
    Export(
        "Paddle", "subscriptions (API fields)", "subscriptions",
        signature=("id", "status", "customer_id", "currency_code", "billing_cycle.interval", "items[0].price.unit_price.amount", "items[0].quantity"),
        columns={
            "subscription_id": "id",
            "customer_id": "customer_id",
            "started_at": "started_at",
            "ended_at": "canceled_at",
            "paused_at": "paused_at",
            "amount": "items[0].price.unit_price.amount",
            "interval": "billing_cycle.interval",
            "interval_count": "billing_cycle.frequency",
            "quantity": "items[0].quantity",
            "currency": "currency_code",
            "plan": "items[0].price.product_id",
            "status": "status",
            "trial_ends_at": "items[0].trial_dates.ends_at",
        },
        keys=(Key("customer_id", "id"),),
        settings={"amount_divisor": 100},
        reasons={
            "amount_divisor": "Paddle writes amounts in the currency's lowest denomination (cents; CHECK zero-decimal currencies such as JPY)",
            "ended_at": "canceled_at is the day service ended; a scheduled cancellation ends nothing yet",
            "paused_at": "a paused subscription bills nothing from that day",
        },
    ),
    Export(
        "PEAK", "sales documents export (Thai)", "invoices",
        signature=("เลขที่เอกสาร", "วันที่เอกสาร", "ชื่อลูกค้า", "มูลค่าก่อนภาษี", "ยอดรวมสุทธิ", "สถานะ"),
        columns={
            "invoice_id": "เลขที่เอกสาร",
            "customer_id": "ชื่อลูกค้า",
            "issued_at": "วันที่เอกสาร",
            "amount": "มูลค่าก่อนภาษี",
            "due_at": "วันที่ครบกำหนด",
            "paid_at": "วันที่รับชำระ",
            "status": "สถานะ",
        },
        keys=(Key("ชื่อลูกค้า", "name"), Key("รหัสผู้ติดต่อ", "id")),
        settings={"currency": "THB", "values": {"status": {"ยกเลิก": "void"}}},
        reasons={
            "currency": "PEAK is a Thai accounting program: amounts in baht",
            "values": "ยกเลิก (cancelled) is a void document: left out and counted",
            "amount": "มูลค่าก่อนภาษี is the value before VAT (the 7 % VAT is not revenue)",
        },
    ),
]  # fmt: skip
