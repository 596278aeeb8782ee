#!/usr/bin/env python3
"""Generate the deterministic sample data set for cs-metrics.

Writes eight CSV files in the canonical column names of the data contract
(``/work/shared/data-contract.md``) for a fictional B2B SaaS company with
three years of history, 2023-11-01 through 2026-11-22 (inclusive):

* ``customers.csv``     ~360 accounts (English, Thai and Chinese names, one
                        ``=Fresh Foods Co`` to exercise spreadsheet-injection
                        guards), referrals, segment columns plan/region/
                        industry/owner; ``churned_at`` is empty because the
                        business runs on subscriptions.
* ``subscriptions.csv`` subscription periods at a constant price: monthly and
                        annual plans, add-ons held beside the base plan,
                        upgrades, downgrades, churn, reactivations and
                        14-day trials of which about 60 % convert.
* ``invoices.csv``      monthly / yearly invoices for every paid period,
                        one-off orders, returns and credit notes, late and
                        unpaid invoices, a few ``void`` and ``draft`` rows and
                        a few amounts in the other accepted money formats
                        (``1,200.00``, ``(20.00)``, ``$1,234.50``).
* ``surveys.csv``       quarterly NPS campaigns plus CSAT/CES after tickets;
                        ~5 % anonymous, ~40 % with a comment in English, Thai
                        or Chinese (emoji, commas, quotes, line breaks).
* ``tickets.csv``       support tickets with response/resolution times.
* ``events.csv``        product usage of paying customers for the last months
                        of history, grouped into short weekday-heavy sessions.
* ``leads.csv``         leads, ~25 % of them converted into customers.
* ``costs.csv``         monthly customer-success costs per category.

The output is deterministic: only the standard library is used, every random
draw comes from ``random.Random`` instances seeded from ``--seed`` (string
seeds, which do not depend on hash randomisation), money is computed with
``decimal.Decimal`` and files are written as UTF-8 without BOM with ``\\n``
line endings. Running the script twice, on any machine, gives byte-identical
files.

Usage::

    python scripts/generate_sample_data.py [--out DIR] [--seed N]

``--out`` defaults to ``sample_data/`` at the repository root.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "sample_data"
DEFAULT_SEED = 20231101

START = dt.date(2023, 11, 1)
END = dt.date(2026, 11, 22)  # last day of history, inclusive
EVENTS_FROM = dt.date(2026, 6, 1)  # usage events cover the last ~6 months only
CENT = Decimal("0.01")

# --------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------

PLANS = ["starter", "growth", "enterprise"]
# plan -> (monthly USD base price, seats included, USD per extra seat)
PLAN_PRICE = {
    "starter": (Decimal("49"), 2, Decimal("10")),
    "growth": (Decimal("199"), 5, Decimal("19")),
    "enterprise": (Decimal("1200.50"), 20, Decimal("29")),
}
SEAT_RANGE = {"starter": (1, 5), "growth": (5, 20), "enterprise": (20, 60)}
ADDONS = {"addon_analytics": Decimal("29"), "addon_api": Decimal("79")}
FX = {"USD": Decimal("1"), "THB": Decimal("35"), "CNY": Decimal("7")}
PRICE_STEP = {"USD": CENT, "THB": Decimal("10"), "CNY": Decimal("1")}
ANNUAL_SHARE = {"starter": 0.15, "growth": 0.35, "enterprise": 0.7}
MONTHLY_CHURN = {"starter": 0.045, "growth": 0.028, "enterprise": 0.015}
RENEWAL_CHURN = {"starter": 0.35, "growth": 0.2, "enterprise": 0.12}
REACTIVATION_RATE = 0.25
TRIAL_SHARE = 0.45
TRIAL_CONVERSION = 0.6
TRIAL_DAYS = 14

REGIONS = [("TH", 35), ("CN", 25), ("SG", 20), ("US", 20)]
INDUSTRIES = ["retail", "logistics", "manufacturing", "software", "healthcare",
              "education", "finance", "hospitality"]
CSM_OWNERS = ["Anna Schmidt", "Somchai Prasert", "Li Wei", "Priya Nair", "Marcus Tan"]
AGENTS = ["Nok", "Wang Fang", "Tom Baker", "Ploy", "Chen Jie", "Sarah Lee", "Arthit K."]

EN_BRANDS = ["Acme", "Blue River", "Northwind", "Golden Gate", "Summit", "Bright Path",
             "Redwood", "Silverline", "Harbor", "Evergreen", "Pioneer", "Atlas", "Lotus",
             "Crescent", "Falcon", "Orchid", "Granite", "Sunrise", "Maple", "Horizon"]
EN_KINDS = ["Logistics", "Foods", "Labs", "Trading", "Health", "Learning", "Retail",
            "Capital", "Hotels", "Manufacturing", "Software", "Partners"]
EN_SUFFIXES = ["", " Co", " Inc", " Ltd", " Pte Ltd", " LLC"]
TH_BRANDS = ["สยามเทค", "ไทยพัฒนา", "กรุงเทพโลจิสติกส์", "เชียงใหม่ฟู้ดส์", "ศรีสยาม",
             "รุ่งเรืองกิจ", "ทองไทย", "อันดามันซีฟู้ด", "ล้านนาคอฟฟี่", "บางกอกดิจิทัล",
             "มหานครค้าปลีก", "สุขใจเฮลท์แคร์", "ชัยพฤกษ์", "เจริญผล", "ไทยสมาร์ท"]
TH_FORMS = [("บริษัท ", " จำกัด"), ("บริษัท ", " จำกัด (มหาชน)"), ("ห้างหุ้นส่วนจำกัด ", "")]
TH_VARIANTS = ["", " อินเตอร์", " กรุ๊ป", " เอ็นจิเนียริ่ง", " เทรดดิ้ง"]
CN_CITIES = ["上海", "北京", "深圳", "杭州", "广州", "成都", "苏州", "南京"]
CN_BRANDS = ["云帆", "华信", "星辰", "鼎盛", "瑞丰", "远航", "天衡", "博远", "汇通", "恒达"]
CN_KINDS = ["科技", "物流", "贸易", "食品", "医疗", "教育", "软件"]

# survey comments: (language, sentiment) -> texts
COMMENTS = {
    ("en", "pos"): [
        "Great product, the dashboards save us hours every week.",
        "Support team is fast and friendly 👍",
        "Love the new export feature 🙂",
        "Onboarding was smooth, thanks Anna!",
        'The "health score" view is exactly what we needed.',
        "Easy to use, reliable, good value.",
        "Our CSMs open it every morning. Keep it up!",
    ],
    ("en", "neu"): [
        "It's fine. Would like more integrations.",
        "Good overall, but pricing is a bit high for a small team.",
        "Reports are useful; the mobile view needs work.",
        "Does the job.",
        'Please add a "compare to last year" option, then it would be a 10.',
    ],
    ("en", "neg"): [
        "The app is slow in the morning, please fix.",
        'Export to Excel breaks Thai characters, "฿" shows as ???',
        "Billing was wrong twice, had to chase support.",
        "Too expensive for what we use.\nWe are evaluating alternatives.",
        "Dashboard timed out again.\nSecond time this week 😞",
        "Hard to find settings, the menu is confusing.",
    ],
    ("th", "pos"): [
        "บริการดีมาก ตอบเร็ว",
        "ใช้งานง่าย ทีมซัพพอร์ตช่วยเหลือดี 👍",
        "รายงานสวยและเข้าใจง่าย 🙂",
        "คุ้มค่ากับราคา แนะนำให้เพื่อนแล้ว",
    ],
    ("th", "neu"): [
        "โดยรวมโอเค แต่ราคาค่อนข้างสูง",
        "อยากให้มีแอปมือถือ",
        "ใช้ได้ดี, แต่อยากให้มีรายงานภาษาไทยมากกว่านี้",
    ],
    ("th", "neg"): [
        "ระบบช้าบ่อย อยากให้ปรับปรุง",
        "ส่งออกรายงานแล้วภาษาไทยเพี้ยน",
        "ติดต่อซัพพอร์ตยาก\nรอนานมาก",
        'ปุ่ม "ส่งออก" หายบ่อย, ต้องรีเฟรชหลายครั้ง',
    ],
    ("zh", "pos"): [
        "客服响应很快，非常满意",
        "界面简洁，好用 👍",
        "数据看板很直观🙂",
        "性价比高，推荐给同事了",
    ],
    ("zh", "neu"): [
        "还可以，希望增加更多集成",
        "功能够用, 但价格有点贵",
        "希望支持\"按季度\"对比",
    ],
    ("zh", "neg"): [
        "报表功能太难用了",
        "系统经常卡顿，影响工作",
        '导出的"CSV"文件乱码\n希望尽快修复',
        "账单金额不对, 联系了两次才解决",
    ],
}

# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------


def make_rng(seed: int, name: str) -> random.Random:
    """One independent, reproducible random stream per table."""
    return random.Random(f"{seed}:{name}")


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day-of-month ``months`` later, clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def month_starts(first: dt.date, last: dt.date) -> list[dt.date]:
    """First days of every month from ``first``'s month to ``last``'s month."""
    out, cur = [], first.replace(day=1)
    while cur <= last:
        out.append(cur)
        cur = add_months(cur, 1)
    return out


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def iso(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def iso_dt(moment: dt.datetime | None) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S") if moment else ""


def fmt_mrr(value: Decimal) -> str:
    """Plain number: ``49`` or ``1200.50``."""
    value = value.quantize(CENT, ROUND_HALF_UP)
    if value == value.to_integral_value():
        return str(int(value))
    return f"{value:.2f}"


def fmt_money(value: Decimal) -> str:
    """Default invoice format: ``99.00`` / ``-20.00``."""
    return f"{value.quantize(CENT, ROUND_HALF_UP):.2f}"


def fmt_thousands(value: Decimal) -> str:
    return f"{value.quantize(CENT, ROUND_HALF_UP):,.2f}"


def weighted(rng: random.Random, pairs):
    """Pick a value from ``[(value, weight), ...]``."""
    values = [v for v, _ in pairs]
    weights = [w for _, w in pairs]
    return rng.choices(values, weights=weights, k=1)[0]


def business_time(rng: random.Random, day: dt.date) -> dt.datetime:
    """A moment on ``day``, weighted towards office hours."""
    hour = weighted(rng, [(h, 1) for h in range(0, 7)] + [(h, 2) for h in (7, 19, 20, 21)]
                    + [(h, 10) for h in range(8, 19)] + [(22, 1)])
    return dt.datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60))


def weekday_day(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    """A random day in ``[first, last]``; weekends drawn about a quarter as often."""
    span = (last - first).days
    for _ in range(20):
        day = first + dt.timedelta(days=rng.randint(0, span))
        if day.weekday() < 5 or rng.random() < 0.25:
            return day
    return day


def price(plan: str, seats: int, currency: str) -> Decimal:
    """Monthly list price of a base plan in the customer's currency."""
    base, included, per_seat = PLAN_PRICE[plan]
    usd = base + max(0, seats - included) * per_seat
    return local_price(usd, currency)


def local_price(usd: Decimal, currency: str) -> Decimal:
    step = PRICE_STEP[currency]
    return ((usd * FX[currency]) / step).quantize(Decimal("1"), ROUND_HALF_UP) * step


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> int:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return len(rows)


# --------------------------------------------------------------------------
# Domain model
# --------------------------------------------------------------------------


@dataclass
class Customer:
    customer_id: str
    name: str
    created_at: dt.date
    region: str
    industry: str
    owner: str
    currency: str
    start_plan: str
    trial: bool
    late_payer: bool
    referred_by: str = ""
    plan: str = ""
    users: list = field(default_factory=list)


@dataclass
class Sub:
    customer_id: str
    started_at: dt.date
    ended_at: dt.date | None
    mrr: Decimal
    currency: str
    plan: str
    interval: str  # "month", "year" or "trial"
    price: Decimal  # amount per interval
    seats: int = 0
    is_trial: bool = False
    term_ends_at: dt.date | None = None
    addon: bool = False
    subscription_id: str = ""


@dataclass
class World:
    """Everything later tables are derived from."""

    customers: list[Customer]
    subs: list[Sub]
    paying: dict  # customer_id -> sorted list of [start, end) paying intervals


# --------------------------------------------------------------------------
# Customers
# --------------------------------------------------------------------------


def company_name(rng: random.Random, region: str, used: set) -> str:
    for _ in range(200):
        lang = {"TH": weighted(rng, [("th", 70), ("en", 30)]),
                "CN": weighted(rng, [("zh", 85), ("en", 15)]),
                "SG": weighted(rng, [("en", 85), ("zh", 15)]),
                "US": "en"}[region]
        if lang == "th":
            prefix, suffix = rng.choice(TH_FORMS)
            name = f"{prefix}{rng.choice(TH_BRANDS)}{rng.choice(TH_VARIANTS)}{suffix}"
        elif lang == "zh":
            name = f"{rng.choice(CN_CITIES)}{rng.choice(CN_BRANDS)}{rng.choice(CN_KINDS)}有限公司"
        else:
            name = f"{rng.choice(EN_BRANDS)} {rng.choice(EN_KINDS)}{rng.choice(EN_SUFFIXES)}"
        if name not in used:
            used.add(name)
            return name
    raise RuntimeError("name pool exhausted")


def signup_dates(rng: random.Random) -> list[dt.date]:
    """Sign-up days, growing from ~6 to ~14 a month over the history."""
    months = month_starts(START, END)
    days = []
    for index, first in enumerate(months):
        last = min(month_end(first), END)
        share = ((last - first).days + 1) / calendar.monthrange(first.year, first.month)[1]
        count = round((6 + 8 * index / (len(months) - 1) + rng.uniform(-2, 2)) * share)
        days += [weekday_day(rng, first, last) for _ in range(max(count, 0))]
    return sorted(days)


def make_customers(rng: random.Random) -> list[Customer]:
    customers, used = [], set()
    for number, created in enumerate(signup_dates(rng), start=1):
        region = weighted(rng, REGIONS)
        currency = "USD"
        if region == "TH" and rng.random() < 0.5:
            currency = "THB"
        elif region == "CN" and rng.random() < 0.5:
            currency = "CNY"
        plan = weighted(rng, [("starter", 55), ("growth", 35), ("enterprise", 10)])
        customers.append(Customer(
            customer_id=f"C{number:04d}",
            name=company_name(rng, region, used),
            created_at=created,
            region=region,
            industry=rng.choice(INDUSTRIES),
            owner=rng.choice(CSM_OWNERS[:3] if plan == "starter" else CSM_OWNERS),
            currency=currency,
            start_plan=plan,
            trial=plan != "enterprise" and rng.random() < TRIAL_SHARE / 0.9,
            late_payer=rng.random() < 0.12,
        ))
    # spreadsheet-injection probe and a name that needs CSV quoting
    customers[len(customers) // 3].name = "=Fresh Foods Co"
    customers[len(customers) // 2].name = "Smith, Jones & Partners"
    return customers


def assign_referrals(rng: random.Random, customers: list[Customer], paying: dict) -> None:
    """About 15 % of customers were referred by an earlier, then-paying customer."""
    for index, cust in enumerate(customers):
        if index < 10 or rng.random() >= 0.15:
            continue
        candidates = [c.customer_id for c in customers[:index]
                      if c.created_at < cust.created_at
                      and is_paying(paying, c.customer_id, cust.created_at)]
        if candidates:
            cust.referred_by = rng.choice(candidates)


# --------------------------------------------------------------------------
# Subscriptions
# --------------------------------------------------------------------------


def open_base(cust: Customer, start: dt.date, plan: str, seats: int, interval: str) -> Sub:
    monthly = price(plan, seats, cust.currency)
    if interval == "year":
        yearly = monthly * 10  # two months free
        return Sub(cust.customer_id, start, None, (yearly / 12).quantize(CENT, ROUND_HALF_UP),
                   cust.currency, plan, "year", yearly, seats,
                   term_ends_at=add_months(start, 12))
    return Sub(cust.customer_id, start, None, monthly, cust.currency, plan, "month",
               monthly, seats)


def change_base(rows: list[Sub], base: Sub, cust: Customer, day: dt.date,
                plan: str, seats: int, interval: str | None = None,
                uplift: Decimal | None = None) -> Sub:
    """Close ``base`` on ``day`` and open the next period the same day."""
    base.ended_at = day
    new = open_base(cust, day, plan, seats, interval or base.interval)
    if uplift is not None:
        new.price = (base.price * uplift).quantize(PRICE_STEP[cust.currency], ROUND_HALF_UP)
        new.mrr = new.price if new.interval == "month" else \
            (new.price / 12).quantize(CENT, ROUND_HALF_UP)
    rows.append(new)
    return new


def simulate_life(rng: random.Random, cust: Customer, first_paid: dt.date) -> list[Sub]:
    """Paid history of one customer: plan changes, add-ons, churn, reactivation."""
    rows: list[Sub] = []
    plan = cust.start_plan
    life_start = first_paid
    while life_start <= END:
        lo, hi = SEAT_RANGE[plan]
        seats = rng.randint(lo, min(hi, lo + 5))
        interval = "year" if rng.random() < ANNUAL_SHARE[plan] else "month"
        base = open_base(cust, life_start, plan, seats, interval)
        rows.append(base)
        addon = None
        churned_on = None
        step = 1
        while True:
            day = add_months(life_start, step)
            step += 1
            if day > END:
                break
            if base.interval == "year" and day >= base.term_ends_at:
                renewal = base.term_ends_at
                if rng.random() < RENEWAL_CHURN[base.plan]:
                    churned_on = renewal
                    break
                r = rng.random()
                if r < 0.12 and base.seats > SEAT_RANGE[base.plan][0]:
                    seats = max(SEAT_RANGE[base.plan][0], base.seats - rng.randint(1, 3))
                    base = change_base(rows, base, cust, renewal, base.plan, seats)
                elif r < 0.2:
                    base = change_base(rows, base, cust, renewal, base.plan, base.seats,
                                       interval="month")
                elif r < 0.45:
                    base = change_base(rows, base, cust, renewal, base.plan, base.seats,
                                       uplift=Decimal("1.05"))
                else:
                    base = change_base(rows, base, cust, renewal, base.plan, base.seats)
                continue
            months_in = step - 1
            if base.interval == "month":
                p = MONTHLY_CHURN[base.plan] * (1.6 if months_in <= 3 else 1.0)
                if rng.random() < p:
                    churned_on = day
                    break
            base = maybe_change_plan(rng, rows, base, cust, day)
            addon = maybe_change_addon(rng, rows, addon, cust, day)
        if churned_on is None:
            break
        base.ended_at = churned_on
        if addon is not None and addon.ended_at is None:
            addon.ended_at = churned_on
        if rng.random() >= REACTIVATION_RATE:
            break
        life_start = churned_on + dt.timedelta(days=rng.randint(45, 300))
        plan = weighted(rng, [(base.plan, 70)] + [(p, 15) for p in PLANS if p != base.plan])
    return rows


def maybe_change_plan(rng: random.Random, rows: list[Sub], base: Sub, cust: Customer,
                      day: dt.date) -> Sub:
    """Seat or plan upgrades any month; downgrades only on monthly billing."""
    lo, hi = SEAT_RANGE[base.plan]
    r = rng.random()
    if r < 0.04:  # more seats, or the next plan when the seat range is full
        if base.seats < hi:
            return change_base(rows, base, cust, day, base.plan,
                               min(hi, base.seats + rng.randint(1, 4)))
        if base.plan != "enterprise":
            nxt = PLANS[PLANS.index(base.plan) + 1]
            return change_base(rows, base, cust, day, nxt, SEAT_RANGE[nxt][0])
    elif r < 0.052 and base.plan != "enterprise":
        nxt = PLANS[PLANS.index(base.plan) + 1]
        return change_base(rows, base, cust, day, nxt, SEAT_RANGE[nxt][0])
    elif base.interval == "month" and r < 0.072 and base.seats > lo:
        return change_base(rows, base, cust, day, base.plan,
                           max(lo, base.seats - rng.randint(1, 3)))
    elif base.interval == "month" and r < 0.077 and base.plan != "starter":
        prev = PLANS[PLANS.index(base.plan) - 1]
        return change_base(rows, base, cust, day, prev, SEAT_RANGE[prev][1])
    return base


def maybe_change_addon(rng: random.Random, rows: list[Sub], addon: Sub | None,
                       cust: Customer, day: dt.date) -> Sub | None:
    """Add-ons run beside the base plan (a second active row)."""
    if addon is None or addon.ended_at is not None:
        if rng.random() < 0.015:
            name = rng.choice(sorted(ADDONS))
            amount = local_price(ADDONS[name], cust.currency)
            addon = Sub(cust.customer_id, day, None, amount, cust.currency, name, "month",
                        amount, addon=True)
            rows.append(addon)
        return addon
    if rng.random() < 0.05:
        addon.ended_at = day
    return addon


def make_subscriptions(rng: random.Random, customers: list[Customer]) -> list[Sub]:
    subs: list[Sub] = []
    for cust in customers:
        first_paid = cust.created_at
        if cust.trial:
            trial_end = cust.created_at + dt.timedelta(days=TRIAL_DAYS)
            subs.append(Sub(cust.customer_id, cust.created_at, trial_end, Decimal("0"),
                            cust.currency, cust.start_plan, "trial", Decimal("0"),
                            is_trial=True))
            if rng.random() >= TRIAL_CONVERSION:
                cust.plan = cust.start_plan
                continue
            first_paid = trial_end + dt.timedelta(days=weighted(
                rng, [(0, 60), (1, 15), (2, 10), (3, 10), (5, 5)]))
            if first_paid > END:
                cust.plan = cust.start_plan
                continue
        life = simulate_life(rng, cust, first_paid)
        subs += life
        bases = [s for s in life if not s.addon]
        cust.plan = bases[-1].plan if bases else cust.start_plan
    subs.sort(key=lambda s: (s.started_at, s.customer_id, s.addon, s.plan))
    for number, sub in enumerate(subs, start=1):
        sub.subscription_id = f"S{number:05d}"
    return subs


def paying_intervals(subs: list[Sub]) -> dict:
    """customer_id -> merged [start, end) intervals with MRR > 0 (end None = running)."""
    raw: dict = {}
    for s in subs:
        if not s.is_trial and s.mrr > 0:
            raw.setdefault(s.customer_id, []).append((s.started_at, s.ended_at or dt.date.max))
    merged = {}
    for cid, spans in raw.items():
        spans.sort()
        out = [list(spans[0])]
        for a, b in spans[1:]:
            if a <= out[-1][1]:
                out[-1][1] = max(out[-1][1], b)
            else:
                out.append([a, b])
        merged[cid] = out
    return merged


def is_paying(paying: dict, cid: str, day: dt.date) -> bool:
    return any(a <= day < b for a, b in paying.get(cid, ()))


def churn_within(paying: dict, cid: str, day: dt.date, days: int) -> bool:
    """True when the customer's paying interval around ``day`` ends within ``days``."""
    for a, b in paying.get(cid, ()):
        if a <= day < b:
            return b <= min(END, day + dt.timedelta(days=days))
    return False


def subscription_rows(subs: list[Sub]) -> list[list[str]]:
    return [[s.subscription_id, s.customer_id, iso(s.started_at), iso(s.ended_at),
             fmt_mrr(s.mrr), s.currency, s.plan, "true" if s.is_trial else "false",
             iso(s.term_ends_at)] for s in subs]


def customer_rows(customers: list[Customer]) -> list[list[str]]:
    return [[c.customer_id, c.name, iso(c.created_at), "", c.referred_by, c.plan, c.region,
             c.industry, c.owner] for c in customers]


# --------------------------------------------------------------------------
# Invoices
# --------------------------------------------------------------------------


@dataclass
class Invoice:
    customer_id: str
    issued_at: dt.date
    amount: Decimal
    currency: str
    quantity: int = 1
    terms: int = 14
    status: str = ""
    paid_at: dt.date | None = None
    amount_text: str = ""


def billing_invoices(world: World) -> list[Invoice]:
    """One invoice per billing period of every paid subscription row."""
    out = []
    for s in world.subs:
        if s.is_trial:
            continue
        stop = s.ended_at or (END + dt.timedelta(days=1))
        if s.interval == "year":
            out.append(Invoice(s.customer_id, s.started_at, s.price, s.currency, terms=30))
            if s.ended_at and s.ended_at < s.term_ends_at:  # mid-term change: credit the rest
                unused = (s.term_ends_at - s.ended_at).days
                total = (s.term_ends_at - s.started_at).days
                credit = (s.price * unused / total).quantize(CENT, ROUND_HALF_UP)
                out.append(Invoice(s.customer_id, s.ended_at, -credit, s.currency, quantity=-1))
            continue
        terms = 30 if s.plan == "enterprise" else 14
        k = 0
        while (day := add_months(s.started_at, k)) < stop:
            out.append(Invoice(s.customer_id, day, s.price, s.currency, terms=terms))
            k += 1
    return out


def one_off_invoices(rng: random.Random, world: World) -> list[Invoice]:
    """Onboarding packages and training seats, with a few returned seats."""
    out = []
    for cust in world.customers:
        spans = world.paying.get(cust.customer_id)
        if not spans or cust.start_plan == "starter":
            continue
        first = spans[0][0]
        if rng.random() < 0.4:
            usd = Decimal("1500") if cust.start_plan == "enterprise" else Decimal("500")
            out.append(Invoice(cust.customer_id, first, local_price(usd, cust.currency),
                               cust.currency, terms=30))
        if rng.random() < 0.25:
            unit = local_price(Decimal("80"), cust.currency)
            qty = rng.randint(2, 12)
            day = first + dt.timedelta(days=rng.randint(3, 40))
            if day <= END:
                out.append(Invoice(cust.customer_id, day, unit * qty, cust.currency,
                                   quantity=qty, terms=30))
                back = day + dt.timedelta(days=rng.randint(5, 30))
                if rng.random() < 0.3 and back <= END:
                    k = rng.randint(1, min(3, qty - 1))
                    out.append(Invoice(cust.customer_id, back, -unit * k, cust.currency,
                                       quantity=-k))
    return out


def refund_invoices(rng: random.Random, invoices: list[Invoice]) -> list[Invoice]:
    """Credit notes for about 1 % of subscription invoices (full or half)."""
    out = []
    for inv in invoices:
        if inv.amount <= 0 or inv.quantity != 1 or rng.random() >= 0.01:
            continue
        day = inv.issued_at + dt.timedelta(days=rng.randint(1, 20))
        if day > END:
            continue
        share = rng.choice([Decimal("1"), Decimal("0.5")])
        out.append(Invoice(inv.customer_id, day, -(inv.amount * share).quantize(CENT),
                           inv.currency, quantity=-1))
    return out


def settle(rng: random.Random, invoices: list[Invoice], world: World) -> None:
    """Payment dates: most within terms, ~10 % late, recent or bad debts unpaid."""
    late_payers = {c.customer_id for c in world.customers if c.late_payer}
    last_paid_day = {cid: spans[-1][1] for cid, spans in world.paying.items()}
    for inv in invoices:
        if inv.amount < 0:  # credit notes and returns settle on issue, no due date
            inv.paid_at, inv.status = inv.issued_at, "paid"
            continue
        due = inv.issued_at + dt.timedelta(days=inv.terms)
        late_p = 0.5 if inv.customer_id in late_payers else 0.07
        if rng.random() < late_p:
            paid = due + dt.timedelta(days=rng.randint(1, 45))
        else:
            days = min(inv.terms, int(rng.triangular(0, inv.terms, 2)))
            paid = inv.issued_at + dt.timedelta(days=days)
        churn_day = last_paid_day.get(inv.customer_id, dt.date.max)
        bad_debt = churn_day <= END and inv.issued_at >= churn_day - dt.timedelta(days=31) \
            and rng.random() < 0.2
        if paid > END or bad_debt:
            inv.paid_at, inv.status = None, "open"
        else:
            inv.paid_at, inv.status = paid, "paid"


def void_and_draft(rng: random.Random, invoices: list[Invoice]) -> list[Invoice]:
    """A handful of voided duplicates and drafts of the next billing run."""
    out = []
    for inv in rng.sample(invoices, 8):
        if inv.amount > 0:
            out.append(Invoice(inv.customer_id, inv.issued_at, inv.amount, inv.currency,
                               terms=inv.terms, status="void"))
    recent = [i for i in invoices if i.amount > 0 and i.issued_at >= END - dt.timedelta(days=30)]
    for inv in rng.sample(recent, 5):
        out.append(Invoice(inv.customer_id, END - dt.timedelta(days=rng.randint(0, 3)),
                           inv.amount, inv.currency, terms=inv.terms, status="draft"))
    return out


def format_amounts(rng: random.Random, invoices: list[Invoice]) -> None:
    """Mostly ``99.00``; a few ``1,200.00``, ``$1,234.50``, ``฿12,900.00``, ``(20.00)``."""
    symbols = {"USD": "$", "THB": "฿"}
    for inv in invoices:
        text = fmt_money(inv.amount)
        r = rng.random()
        if inv.amount < 0 and r < 0.35:
            text = f"({fmt_money(-inv.amount)})"
        elif inv.amount >= 1000 and r < 0.012:
            text = fmt_thousands(inv.amount)
        elif inv.amount >= 1000 and r < 0.02 and inv.currency in symbols:
            text = symbols[inv.currency] + fmt_thousands(inv.amount)
        inv.amount_text = text


def make_invoices(rng: random.Random, world: World) -> list[list[str]]:
    invoices = billing_invoices(world) + one_off_invoices(rng, world)
    invoices += refund_invoices(rng, invoices)
    settle(rng, invoices, world)
    invoices += void_and_draft(rng, invoices)
    invoices.sort(key=lambda i: (i.issued_at, i.customer_id, -i.amount, i.status))
    format_amounts(rng, invoices)
    rows = []
    for number, inv in enumerate(invoices, start=1):
        rows.append([f"INV-{number:06d}", inv.customer_id, iso(inv.issued_at), inv.amount_text,
                     "" if inv.amount < 0 else iso(inv.issued_at + dt.timedelta(days=inv.terms)),
                     iso(inv.paid_at),
                     str(inv.quantity), inv.currency, inv.status])
    return rows


# --------------------------------------------------------------------------
# Tickets
# --------------------------------------------------------------------------

TICKET_RATE = {"starter": 0.2, "growth": 0.4, "enterprise": 0.9}


@dataclass
class Ticket:
    customer_id: str
    created_at: dt.datetime
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    contacts: int
    reopened: bool
    category: str
    channel: str
    priority: str
    agent: str
    ticket_id: str = ""


def ticket_for(rng: random.Random, cid: str, created: dt.datetime, unhappy: bool) -> Ticket:
    category = weighted(rng, [("question", 40), ("bug", 25), ("billing", 15),
                              ("complaint", 25 if unhappy else 8), ("feature_request", 12)])
    channel = weighted(rng, [("email", 50), ("chat", 35), ("phone", 15)])
    priority = weighted(rng, [("low", 25), ("normal", 55), ("high", 20)])
    first_minutes = {"chat": rng.randint(1, 15), "phone": rng.randint(0, 2),
                     "email": rng.randint(20, 60 * (8 if priority == "high" else 24))}[channel]
    contacts = weighted(rng, [(1, 70), (2, 14), (3, 8), (4, 4), (5, 2), (6, 2)])
    base_hours = {"question": 4, "billing": 12, "bug": 60, "complaint": 30,
                  "feature_request": 96}[category]
    hours = rng.expovariate(1 / base_hours) * (1 + 0.6 * (contacts - 1))
    first = created + dt.timedelta(minutes=first_minutes)
    resolved = first + dt.timedelta(minutes=rng.randint(1, 30), seconds=int(hours * 3600))
    age_days = (END - created.date()).days
    still_open = rng.random() < (0.7 if age_days <= 7 else 0.45 if age_days <= 30 else 0.015)
    limit = dt.datetime.combine(END, dt.time(23, 59, 59))
    if still_open or resolved > limit:
        resolved = None
    if first > limit:
        first = None
    return Ticket(cid, created, first, resolved, contacts,
                  resolved is not None and rng.random() < 0.07, category, channel, priority,
                  weighted(rng, [(a, w) for a, w in zip(AGENTS, (20, 15, 15, 15, 10, 15, 10))]))


def make_tickets(rng: random.Random, world: World) -> list[Ticket]:
    plan_of = {c.customer_id: c.plan for c in world.customers}
    tickets = []
    for cid, spans in world.paying.items():
        for a, b in spans:
            last = min(b - dt.timedelta(days=1), END)
            for first in month_starts(a, last):
                lo, hi = max(first, a), min(month_end(first), last)
                unhappy = churn_within(world.paying, cid, lo, 75)
                onboarding = first <= a  # first month of a paid span
                rate = TICKET_RATE[plan_of[cid]] * (2 if onboarding else 1) * (1.8 if unhappy else 1)
                for _ in range(4):
                    if rng.random() < rate / 4:
                        created = business_time(rng, weekday_day(rng, lo, hi))
                        tickets.append(ticket_for(rng, cid, created, unhappy))
    tickets.sort(key=lambda t: (t.created_at, t.customer_id))
    for number, t in enumerate(tickets, start=1):
        t.ticket_id = f"T{number:05d}"
    return tickets


def ticket_rows(tickets: list[Ticket]) -> list[list[str]]:
    return [[t.ticket_id, t.customer_id, iso_dt(t.created_at), iso_dt(t.first_response_at),
             iso_dt(t.resolved_at), str(t.contacts), "yes" if t.reopened else "no", t.category,
             t.channel, t.priority, t.agent] for t in tickets]


# --------------------------------------------------------------------------
# Surveys
# --------------------------------------------------------------------------

NPS_WEIGHTS = [1, 1, 1, 1.5, 2, 3, 5, 12, 20, 26, 27]
NPS_UNHAPPY = [4, 4, 6, 8, 10, 12, 14, 12, 8, 5, 3]
CSAT_WEIGHTS = [5, 6, 12, 32, 45]
CES_WEIGHTS = [4, 5, 8, 15, 25, 25, 18]


def nps_campaigns(rng: random.Random, world: World) -> list[tuple]:
    """Quarterly NPS: each paying account, 1-4 respondents, ~35 % answer."""
    plan_of = {c.customer_id: c.plan for c in world.customers}
    out = []
    for send in month_starts(dt.date(2024, 2, 1), END):
        if send.month not in (2, 5, 8, 11):
            continue
        send = send.replace(day=5)
        for cid in sorted(world.paying):
            if not is_paying(world.paying, cid, send):
                continue
            people = {"starter": 1, "growth": 2, "enterprise": 4}[plan_of[cid]]
            unhappy = churn_within(world.paying, cid, send, 120)
            for _ in range(rng.randint(1, people)):
                if rng.random() < 0.35:
                    day = send + dt.timedelta(days=rng.randint(0, 14))
                    if day <= END:
                        weights = NPS_UNHAPPY if unhappy else NPS_WEIGHTS
                        score = rng.choices(range(11), weights=weights)[0]
                        out.append((day, cid, "nps", score, "pos" if score >= 9
                                    else "neu" if score >= 7 else "neg"))
    return out


def in_app_nps(rng: random.Random, world: World) -> list[tuple]:
    """In-app NPS prompts between the waves: each month ~12 % of paying accounts answer once."""
    out = []
    for first in month_starts(START, END):
        for cid in sorted(world.paying):
            if rng.random() >= 0.12:
                continue
            day = first + dt.timedelta(days=rng.randint(0, 27))
            if day <= END and is_paying(world.paying, cid, day):
                weights = NPS_UNHAPPY if churn_within(world.paying, cid, day, 120) else NPS_WEIGHTS
                score = rng.choices(range(11), weights=weights)[0]
                out.append((day, cid, "nps", score, "pos" if score >= 9 else "neu" if score >= 7 else "neg"))
    return out


def ticket_surveys(rng: random.Random, tickets: list[Ticket]) -> list[tuple]:
    """CSAT (~30 %) and CES (~15 %) sent when a ticket is resolved."""
    out = []
    for t in tickets:
        if t.resolved_at is None:
            continue
        day = t.resolved_at.date() + dt.timedelta(days=rng.randint(0, 3))
        if day > END:
            continue
        bad = t.reopened or t.contacts >= 3 or t.category == "complaint"
        if rng.random() < 0.3:
            weights = CSAT_WEIGHTS[::-1] if bad and rng.random() < 0.5 else CSAT_WEIGHTS
            score = rng.choices(range(1, 6), weights=weights)[0]
            out.append((day, t.customer_id, "csat", score,
                        "pos" if score >= 4 else "neu" if score == 3 else "neg"))
        elif rng.random() < 0.2:
            weights = CES_WEIGHTS[::-1] if bad and rng.random() < 0.5 else CES_WEIGHTS
            score = rng.choices(range(1, 8), weights=weights)[0]
            out.append((day, t.customer_id, "ces", score,
                        "pos" if score >= 6 else "neu" if score >= 4 else "neg"))
    return out


def comment_for(rng: random.Random, region: str, mood: str) -> str:
    lang = {"TH": weighted(rng, [("th", 65), ("en", 35)]),
            "CN": weighted(rng, [("zh", 80), ("en", 20)]),
            "SG": weighted(rng, [("en", 80), ("zh", 20)]),
            "US": "en"}[region]
    text = rng.choice(COMMENTS[(lang, mood)])
    if "\n" in text and rng.random() < 0.6:  # keep multi-line comments rare
        text = rng.choice(COMMENTS[(lang, mood)])
    return text


def make_surveys(rng: random.Random, world: World, tickets: list[Ticket]) -> list[list[str]]:
    region_of = {c.customer_id: c.region for c in world.customers}
    responses = nps_campaigns(rng, world) + in_app_nps(rng, world) + ticket_surveys(rng, tickets)
    responses.sort(key=lambda r: (r[0], r[1], r[2]))
    rows = []
    for number, (day, cid, survey, score, mood) in enumerate(responses, start=1):
        comment = comment_for(rng, region_of[cid], mood) if rng.random() < 0.4 else ""
        shown_id = "" if rng.random() < 0.05 else cid
        rows.append([f"R{number:05d}", shown_id, iso(day), survey, str(score), comment])
    return rows


# --------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------

USERS_PER_PLAN = {"starter": (1, 3), "growth": (3, 8), "enterprise": (8, 15)}
ENGAGEMENT = [(0.5, 15), (0.22, 35), (0.07, 35), (0.01, 15)]  # daily session chance
EVENT_MIX = [("view_dashboard", 40), ("create_invoice", 20), ("api_call", 15),
             ("export_report", 10), ("login", 3), ("invite_user", 2)]
SESSION_SCALE = 0.6


def make_users(rng: random.Random, customers: list[Customer]) -> None:
    number = 0
    for cust in customers:
        lo, hi = USERS_PER_PLAN[cust.plan]
        for _ in range(rng.randint(lo, hi)):
            number += 1
            cust.users.append((f"U{number:05d}", weighted(rng, ENGAGEMENT)))


def session_start(rng: random.Random, day: dt.date) -> dt.datetime:
    """Sessions start between 07:00 and 21:59, mostly in office hours."""
    hour = weighted(rng, [(h, 10 if 9 <= h <= 17 else 3) for h in range(7, 22)])
    return dt.datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60))


def session_events(rng: random.Random, start: dt.datetime) -> list[tuple]:
    """(moment, event, duration_seconds) of one session lasting a few minutes."""
    count = min(12, 1 + int(rng.expovariate(1 / 3)))
    names = ["login" if rng.random() < 0.85 else "view_dashboard"]
    names += [weighted(rng, EVENT_MIX) for _ in range(count - 1)]
    out, moment = [], start
    for index, name in enumerate(names):
        gap = rng.randint(8, 240) if index < count - 1 else rng.randint(5, 120)
        out.append((moment, name, gap))
        moment += dt.timedelta(seconds=gap)
    return out


def make_events(rng: random.Random, world: World) -> list[list[str]]:
    make_users(rng, world.customers)
    sessions = []
    days = [EVENTS_FROM + dt.timedelta(days=i) for i in range((END - EVENTS_FROM).days + 1)]
    for cust in world.customers:
        cid = cust.customer_id
        for day in days:
            if not is_paying(world.paying, cid, day):
                continue
            factor = SESSION_SCALE * (1 if day.weekday() < 5 else 0.15)
            if churn_within(world.paying, cid, day, 60):
                factor *= 0.4
            for user_id, engagement in cust.users:
                if rng.random() < engagement * factor:
                    start = session_start(rng, day)
                    sessions.append((start, user_id, cid, session_events(rng, start)))
    sessions.sort(key=lambda s: (s[0], s[1]))
    rows = []
    for number, (_, user_id, cid, events) in enumerate(sessions, start=1):
        for moment, name, seconds in events:
            rows.append([cid, user_id, iso_dt(moment), name, f"SES{number:06d}", str(seconds)])
    rows.sort(key=lambda r: (r[2], r[1]))
    return rows


# --------------------------------------------------------------------------
# Leads and costs
# --------------------------------------------------------------------------


def make_leads(rng: random.Random, customers: list[Customer]) -> list[list[str]]:
    """Every customer came from a lead; three times as many leads did not convert."""
    sources = [("organic", 35), ("ads", 30), ("partner", 15), ("event", 10), ("referral", 5)]
    leads = []
    for cust in customers:
        created = max(START, cust.created_at - dt.timedelta(days=rng.randint(0, 45)))
        source = "referral" if cust.referred_by else weighted(rng, sources)
        leads.append((created, cust.created_at, cust.customer_id, source))
    lost_sources = [("organic", 30), ("ads", 45), ("partner", 10), ("event", 12), ("referral", 3)]
    for created in signup_dates(rng) + signup_dates(rng) + signup_dates(rng):
        leads.append((created, None, "", weighted(rng, lost_sources)))
    leads.sort(key=lambda lead: (lead[0], lead[2], lead[3]))
    return [[f"L{n:05d}", iso(c), iso(conv), cid, src]
            for n, (c, conv, cid, src) in enumerate(leads, start=1)]


def make_costs(rng: random.Random, world: World) -> list[list[str]]:
    """Salaries grow with the team, tools with the base, onboarding with new logos."""
    rows = []
    for first in month_starts(START, END):
        last = month_end(first)
        paying = sum(1 for cid in world.paying if is_paying(world.paying, cid, min(last, END)))
        new = sum(1 for spans in world.paying.values() if first <= spans[0][0] <= last)
        csms = 2 + (first >= dt.date(2024, 6, 1)) + (first >= dt.date(2025, 3, 1)) \
            + (first >= dt.date(2026, 1, 1))
        salary = Decimal("4500") * Decimal("1.04") ** (first.year - 2023) * csms
        tools = Decimal("1200") + 8 * paying + Decimal(rng.randint(0, 300))
        onboarding = Decimal("500") + 150 * new + Decimal(rng.randint(0, 200))
        month = first.strftime("%Y-%m")
        rows += [[month, "cs_salaries", fmt_money(salary)],
                 [month, "tools", fmt_money(tools)],
                 [month, "onboarding", fmt_money(onboarding)]]
    return rows


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def build_world(seed: int) -> World:
    customers = make_customers(make_rng(seed, "customers"))
    subs = make_subscriptions(make_rng(seed, "subscriptions"), customers)
    paying = paying_intervals(subs)
    assign_referrals(make_rng(seed, "referrals"), customers, paying)
    return World(customers, subs, paying)


def generate(out: Path, seed: int) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    world = build_world(seed)
    tickets = make_tickets(make_rng(seed, "tickets"), world)
    tables = {
        "customers.csv": (["customer_id", "name", "created_at", "churned_at", "referred_by",
                           "plan", "region", "industry", "owner"],
                          customer_rows(world.customers)),
        "subscriptions.csv": (["subscription_id", "customer_id", "started_at", "ended_at", "mrr",
                               "currency", "plan", "is_trial", "term_ends_at"],
                              subscription_rows(world.subs)),
        "invoices.csv": (["invoice_id", "customer_id", "issued_at", "amount", "due_at", "paid_at",
                          "quantity", "currency", "status"],
                         make_invoices(make_rng(seed, "invoices"), world)),
        "surveys.csv": (["response_id", "customer_id", "responded_at", "survey", "score",
                         "comment"], make_surveys(make_rng(seed, "surveys"), world, tickets)),
        "tickets.csv": (["ticket_id", "customer_id", "created_at", "first_response_at",
                         "resolved_at", "contacts", "reopened", "category", "channel",
                         "priority", "agent"], ticket_rows(tickets)),
        "events.csv": (["customer_id", "user_id", "occurred_at", "event", "session_id",
                        "duration_seconds"], make_events(make_rng(seed, "events"), world)),
        "leads.csv": (["lead_id", "created_at", "converted_at", "customer_id", "source"],
                      make_leads(make_rng(seed, "leads"), world.customers)),
        "costs.csv": (["month", "category", "amount"], make_costs(make_rng(seed, "costs"), world)),
    }
    return {name: write_csv(out / name, header, rows) for name, (header, rows) in tables.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"output folder (default: {DEFAULT_OUT})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"random seed (default: {DEFAULT_SEED})")
    args = parser.parse_args(argv)
    counts = generate(args.out, args.seed)
    for name, rows in counts.items():
        print(f"{args.out / name}: {rows} rows")


if __name__ == "__main__":
    main()
