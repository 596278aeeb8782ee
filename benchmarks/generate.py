"""Generate every canonical table at benchmark size: a fictional B2B SaaS, 2023-01-01..2025-12-31.

    python benchmarks/generate.py --out /tmp/csm-bench                 # the full size (below)
    python benchmarks/generate.py --out /tmp/csm-small --scale 0.01    # 1 %, for a quick check
    python benchmarks/generate.py --out /tmp/csm-big --events 100000000  # 100M events (~6 GB)

Full size (--scale 1): about 100,000 customers, 256,000 subscription rows, 1,000,000 invoices,
500,000 tickets, 200,000 survey responses and 10,000,000 usage events (~611 MB), plus leads,
retention costs and a matching cs-metrics.yaml. --scale multiplies the customers, tickets,
survey responses and events (subscriptions and invoices follow from the customers); --events
sets the number of events alone.

Shape: monthly and annual plans with seats, add-ons held beside the base plan, upgrades and
downgrades, annual renewals with price uplifts, churn and reactivation, 14-day trials (about
55 % convert), amounts in USD, THB, CNY and SGD (converted to USD by the config), invoices for
every billing period with credit notes for mid-term changes, one-off orders and returns, late
and unpaid invoices, void and draft rows (filtered); NPS, CSAT and CES responses (some
anonymous, some with Thai, Chinese or English comments with commas, quotes and line breaks,
and a few of an `onboarding` survey kind that cs-metrics filters); tickets with channels,
priorities, contacts, reopened flags and open ones; product events in sessions (session_id,
duration_seconds, about 1 % empty) of the users of paying customers, weekday- and office-hours
heavy, over 2024-2025, the file in rough time order as exports are. Every value is valid under
the data contract: nothing is rejected, so a benchmark compares computation, not error handling.

Deterministic: every random draw comes from generators seeded from --seed, so two runs give
byte-identical files (for the same numpy version: numpy does not promise identical streams
across its releases). Bounded memory: events are made and written a chunk of about a million
rows at a time (peak ~0.5 GiB however many events), the other tables are formatted and written
in slices.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import datetime as dt
import itertools
import random
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

START = dt.date(2023, 1, 1)
END = dt.date(2025, 12, 31)  # last day of history, inclusive
EVENTS_FROM = dt.date(2024, 1, 1)  # usage events cover 2024-2025
DEFAULT_SEED = 20240101
SIZES = {"customers": 100_000, "tickets": 500_000, "surveys": 200_000, "events": 10_000_000}
EVENT_CHUNK = 1_000_000
SLICE = 100_000  # rows formatted at a time for the smaller tables

PLANS = ("starter", "growth", "enterprise")
PLAN_SHARE = (0.55, 0.35, 0.10)
# plan -> monthly USD cents of the base price, seats included, cents per extra seat, seat range
PLAN_PRICE = {"starter": (4900, 2, 1000, (1, 5)), "growth": (19900, 5, 1900, (5, 20)),
              "enterprise": (120050, 20, 2900, (20, 60))}  # fmt: skip
ADDONS = {"addon_analytics": 2900, "addon_api": 7900}
ANNUAL_SHARE = {"starter": 0.15, "growth": 0.35, "enterprise": 0.7}
MONTHLY_CHURN = {"starter": 0.028, "growth": 0.018, "enterprise": 0.01}
RENEWAL_CHURN = {"starter": 0.3, "growth": 0.18, "enterprise": 0.1}
TRIAL_SHARE, TRIAL_CONVERSION, TRIAL_DAYS = 0.45, 0.55, 14
REACTIVATION = 0.25
# currency -> (local units per USD, price step in cents); rates in the config are USD per unit
CURRENCIES = {"USD": (1.0, 1), "THB": (35.0, 1000), "CNY": (7.0, 100), "SGD": (1.35, 100)}
RATES = {"THB": 0.028, "CNY": 0.14, "SGD": 0.74}
REGIONS = (("TH", 0.35), ("CN", 0.25), ("SG", 0.2), ("US", 0.2))
LOCAL_CURRENCY = {"TH": ("THB", 0.5), "CN": ("CNY", 0.5), "SG": ("SGD", 0.4), "US": ("USD", 0.0)}
INDUSTRIES = ("retail", "logistics", "manufacturing", "software", "healthcare", "education", "finance", "hospitality")
OWNERS = ("Anna Schmidt", "Somchai Prasert", "Li Wei", "Priya Nair", "Marcus Tan", "Nattaya Chai", "Zhang Min")
AGENTS = ("Nok", "Wang Fang", "Tom Baker", "Ploy", "Chen Jie", "Sarah Lee", "Arthit K.", "Liu Yang", "Maria Cruz")

EN_BRANDS = ("Acme", "Blue River", "Northwind", "Golden Gate", "Summit", "Bright Path", "Redwood", "Silverline",
             "Harbor", "Evergreen", "Pioneer", "Atlas", "Lotus", "Crescent", "Falcon", "Orchid", "Granite")
EN_KINDS = ("Logistics", "Foods", "Labs", "Trading", "Health", "Learning", "Retail", "Capital", "Hotels", "Software")
TH_BRANDS = ("สยามเทค", "ไทยพัฒนา", "กรุงเทพโลจิสติกส์", "เชียงใหม่ฟู้ดส์", "ศรีสยาม", "รุ่งเรืองกิจ", "ทองไทย",
             "อันดามันซีฟู้ด", "ล้านนาคอฟฟี่", "บางกอกดิจิทัล")
CN_BRANDS = ("上海云帆", "北京华信", "深圳星辰", "杭州鼎盛", "广州瑞丰", "成都远航", "苏州天衡", "南京博远")
CN_KINDS = ("科技", "物流", "贸易", "食品", "医疗", "软件")

COMMENTS = {
    ("en", "pos"): ["Great product, the dashboards save us hours every week.", "Support team is fast and friendly 👍",
                    'The "health score" view is exactly what we needed.', "Easy to use, reliable, good value."],
    ("en", "neu"): ["It's fine. Would like more integrations.", "Good overall, but pricing is a bit high.",
                    'Please add a "compare to last year" option, then it would be a 10.'],
    ("en", "neg"): ["The app is slow in the morning, please fix.", "Billing was wrong twice, had to chase support.",
                    "Too expensive for what we use.\nWe are evaluating alternatives."],
    ("th", "pos"): ["บริการดีมาก ตอบเร็ว", "ใช้งานง่าย ทีมซัพพอร์ตช่วยเหลือดี 👍", "คุ้มค่ากับราคา แนะนำให้เพื่อนแล้ว"],
    ("th", "neu"): ["โดยรวมโอเค แต่ราคาค่อนข้างสูง", "ใช้ได้ดี, แต่อยากให้มีรายงานภาษาไทยมากกว่านี้"],
    ("th", "neg"): ["ระบบช้าบ่อย อยากให้ปรับปรุง", "ติดต่อซัพพอร์ตยาก\nรอนานมาก"],
    ("zh", "pos"): ["客服响应很快，非常满意", "界面简洁，好用 👍", "性价比高，推荐给同事了"],
    ("zh", "neu"): ["还可以，希望增加更多集成", "功能够用, 但价格有点贵"],
    ("zh", "neg"): ["报表功能太难用了", '导出的"CSV"文件乱码\n希望尽快修复'],
}  # fmt: skip
LANGUAGE = {"TH": (("th", 0.65), ("en", 0.35)), "CN": (("zh", 0.8), ("en", 0.2)),
            "SG": (("en", 0.8), ("zh", 0.2)), "US": (("en", 1.0),)}  # fmt: skip

EVENTS = ("login", "view_dashboard", "create_invoice", "api_call", "export_report", "search", "edit_record",
          "comment", "upload_file", "invite_user", "configure_alert", "share_report")
EVENT_P = np.array([0.0, 0.30, 0.14, 0.14, 0.08, 0.1, 0.08, 0.05, 0.04, 0.03, 0.02, 0.02])
ACTIVE_EVENTS = [e for e in EVENTS if e != "login"]  # the config's active_events: a login alone is not use
USERS_PER_PLAN = {"starter": (1, 3), "growth": (3, 8), "enterprise": (8, 20)}
HOURS_P = np.array([1, 1, 1, 1, 1, 1, 2, 5, 10, 12, 12, 11, 9, 11, 12, 11, 10, 8, 5, 4, 3, 3, 2, 1], dtype=float)
HOURS_P /= HOURS_P.sum()
DAY0 = np.datetime64("1970-01-01", "D")


# --------------------------------------------------------------------------- small helpers


def rng_for(seed: int, name: str) -> np.random.Generator:
    """One independent, reproducible numpy stream per table."""
    return np.random.default_rng([seed, sum(ord(c) * 31**i for i, c in enumerate(name)) % 2**32])


def day_no(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day of the month `months` later, clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def add_months_np(days: np.ndarray, months: np.ndarray) -> np.ndarray:
    """add_months for arrays of day numbers (int64)."""
    d = DAY0 + days.astype("timedelta64[D]")
    first = d.astype("datetime64[M]")
    dom = (d - first.astype("datetime64[D]")).astype(np.int64)  # 0-based day of month
    target = first + months.astype("timedelta64[M]")
    last = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64) - 1
    return (target.astype("datetime64[D]") - DAY0).astype(np.int64) + np.minimum(dom, last)


def iso_days(days: np.ndarray) -> np.ndarray:
    """Day numbers -> 'YYYY-MM-DD' (empty where the day is < 0)."""
    out = np.datetime_as_string(DAY0 + np.maximum(days, 0).astype("timedelta64[D]"), unit="D").astype(object)
    out[days < 0] = ""
    return out


def iso_seconds(seconds: np.ndarray) -> np.ndarray:
    """Seconds since 1970 -> 'YYYY-MM-DDTHH:MM:SS' (empty where < 0)."""
    out = np.datetime_as_string(np.maximum(seconds, 0).astype("datetime64[s]"), unit="s").astype(object)
    out[seconds < 0] = ""
    return out


def money(cents: np.ndarray) -> list[str]:
    return [f"{'-' if c < 0 else ''}{abs(c) // 100}.{abs(c) % 100:02d}" for c in cents.tolist()]


def write_csv(path: Path, header: list[str], n: int, columns) -> int:
    """Write `n` rows; `columns(lo, hi)` returns the string columns of rows lo..hi-1."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        for lo in range(0, n, SLICE):
            cols = columns(lo, min(n, lo + SLICE))
            writer.writerows(zip(*[list(c) for c in cols]))
    return n


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split `total` into integer parts proportional to `weights` (largest remainders)."""
    w = np.asarray(weights, dtype=float)
    if total <= 0 or w.sum() <= 0:
        return np.zeros(len(w), dtype=np.int64)
    exact = w / w.sum() * total
    out = np.floor(exact).astype(np.int64)
    out[np.argsort(-(exact - out), kind="stable")[: total - out.sum()]] += 1
    return out


def progress(msg: str) -> None:
    print(f"\r  {msg}", end="", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- customers and subscriptions


class World:
    """Customers (arrays indexed by customer number) and subscription rows (parallel lists)."""

    def __init__(self, seed: int, n_customers: int):
        rng = rng_for(seed, "customers")
        self.n = n = n_customers
        span = day_no(END) - day_no(START) + 1
        # sign-ups grow over the years: density rising linearly from 1 to 3 across the history
        u = rng.random(n)
        self.created = np.sort(day_no(START) + np.floor(span * (np.sqrt(1 + 8 * u) - 1) / 2).astype(np.int64))
        self.region = rng.choice(len(REGIONS), size=n, p=[p for _, p in REGIONS])
        local = np.array([LOCAL_CURRENCY[r][1] for r, _ in REGIONS])[self.region]
        codes = list(CURRENCIES)
        local_code = np.array([codes.index(LOCAL_CURRENCY[r][0]) for r, _ in REGIONS])[self.region]
        self.currency = np.where(rng.random(n) < local, local_code, 0)
        self.start_plan = rng.choice(3, size=n, p=PLAN_SHARE)
        self.trial = (self.start_plan < 2) & (rng.random(n) < TRIAL_SHARE / 0.9)
        self.late_payer = rng.random(n) < 0.12
        self.industry = rng.integers(0, len(INDUSTRIES), n)
        self.owner = rng.integers(0, len(OWNERS), n)
        referred = (rng.random(n) < 0.1) & (np.arange(n) > 10)
        self.referred_by = np.where(referred, np.floor(rng.random(n) * np.arange(n)).astype(np.int64), -1)
        self.width = max(6, len(str(n)))
        self.ids = np.array([f"C{i + 1:0{self.width}d}" for i in range(n)], dtype=object)
        self._subscriptions(seed)

    # one row per subscription period: customer, start, end (-1 running), mrr cents, plan, kind, term end
    def _subscriptions(self, seed: int) -> None:
        rng = random.Random(f"{seed}:subscriptions")
        cols = {k: [] for k in ("cust", "start", "end", "mrr", "price", "plan", "kind", "term")}
        self.final_plan = np.zeros(self.n, dtype=np.int64)
        for c in range(self.n):
            created = dt.date.fromordinal(dt.date(1970, 1, 1).toordinal() + int(self.created[c]))
            rows = self._life(rng, c, created)
            plan = self.start_plan[c]
            for r in rows:
                cols["cust"].append(c)
                for k, v in zip(("start", "end", "mrr", "price", "plan", "kind", "term"), r[1:]):
                    cols[k].append(v)
                if r[6] in (0, 1):  # a base plan row (not a trial or an add-on)
                    plan = r[5]
            self.final_plan[c] = plan
            if c % 20_000 == 0:
                progress(f"subscriptions: customer {c:,} / {self.n:,}")
        sub = {k: np.array(v) for k, v in cols.items()}
        order = np.lexsort((sub["plan"], sub["cust"], sub["start"]))
        self.sub = {k: v[order] for k, v in sub.items()}
        paid = self.sub["kind"] != 2
        end = np.where(self.sub["end"] < 0, 1 << 40, self.sub["end"])
        self.paid_cust, self.paid_start, self.paid_end = self.sub["cust"][paid], self.sub["start"][paid], end[paid]
        # each customer's first paid day and the end of its first paying span (for unhappy customers)
        self.first_paid = np.full(self.n, 1 << 40)
        np.minimum.at(self.first_paid, self.paid_cust, self.paid_start)
        print(file=sys.stderr)

    def _price(self, c: int, plan: int, seats: int) -> int:
        base, included, per_seat, _ = PLAN_PRICE[PLANS[plan]]
        usd = base + max(0, seats - included) * per_seat
        fx, step = CURRENCIES[list(CURRENCIES)[self.currency[c]]]
        return round(usd * fx / step) * step

    def _life(self, rng: random.Random, c: int, created: dt.date) -> list[tuple]:
        """(c, start, end, mrr, price, plan, kind 0 month / 1 year / 2 trial / 3 addon, term end) rows."""
        rows: list[list] = []
        first_paid = created
        if self.trial[c]:
            rows.append([c, day_no(created), day_no(created) + TRIAL_DAYS, 0, 0, int(self.start_plan[c]), 2, -1])
            if rng.random() >= TRIAL_CONVERSION:
                return rows
            first_paid = created + dt.timedelta(days=TRIAL_DAYS + rng.choice((0, 0, 0, 0, 1, 2, 3, 5)))
        plan = int(self.start_plan[c])
        life_start = first_paid
        while life_start <= END:
            lo, hi = PLAN_PRICE[PLANS[plan]][3]
            seats = rng.randint(lo, min(hi, lo + 5))
            yearly = rng.random() < ANNUAL_SHARE[PLANS[plan]]
            base = self._open(c, life_start, plan, seats, yearly)
            rows.append(base)
            addon = None
            churned_on = None
            step = 1
            while True:
                day = add_months(life_start, step)
                step += 1
                if day > END:
                    break
                if base[6] == 1 and day_no(day) >= base[7]:  # annual term ends: renew, change or churn
                    renewal = dt.date.fromordinal(dt.date(1970, 1, 1).toordinal() + base[7])
                    if rng.random() < RENEWAL_CHURN[PLANS[base[5]]]:
                        churned_on = renewal
                        break
                    r = rng.random()
                    lo = PLAN_PRICE[PLANS[base[5]]][3][0]
                    if r < 0.12 and base[8] > lo:
                        base = self._change(rows, base, c, renewal, base[5], max(lo, base[8] - rng.randint(1, 3)), True)
                    elif r < 0.2:
                        base = self._change(rows, base, c, renewal, base[5], base[8], False)
                    else:
                        base = self._change(rows, base, c, renewal, base[5], base[8], True, uplift=r < 0.45)
                    continue
                if base[6] == 0 and rng.random() < MONTHLY_CHURN[PLANS[base[5]]] * (1.6 if step <= 4 else 1.0):
                    churned_on = day
                    break
                base = self._maybe_change(rng, rows, base, c, day)
                addon = self._maybe_addon(rng, rows, addon, c, day)
            if churned_on is None:
                break
            base[2] = day_no(churned_on)
            if addon is not None and addon[2] < 0:
                addon[2] = day_no(churned_on)
            if rng.random() >= REACTIVATION:
                break
            life_start = churned_on + dt.timedelta(days=rng.randint(45, 300))
            plan = base[5] if rng.random() < 0.7 else rng.randrange(3)
        return [tuple(r[:8]) for r in rows]

    def _open(self, c: int, start: dt.date, plan: int, seats: int, yearly: bool) -> list:
        monthly = self._price(c, plan, seats)
        if yearly:
            price = monthly * 10  # two months free
            return [c, day_no(start), -1, (price + 6) // 12, price, plan, 1, day_no(add_months(start, 12)), seats]
        return [c, day_no(start), -1, monthly, monthly, plan, 0, -1, seats]

    def _change(self, rows, base, c, day: dt.date, plan, seats, yearly, uplift=False) -> list:
        base[2] = day_no(day)
        new = self._open(c, day, plan, seats, yearly)
        if uplift:
            new[4] = new[4] * 105 // 100
            new[3] = new[4] if not yearly else (new[4] + 6) // 12
        rows.append(new)
        return new

    def _maybe_change(self, rng, rows, base, c, day: dt.date) -> list:
        """Seat or plan upgrades any month; downgrades only on monthly billing."""
        plan, seats = base[5], base[8]
        lo, hi = PLAN_PRICE[PLANS[plan]][3]
        r = rng.random()
        if r < 0.06:
            if seats < hi:
                return self._change(rows, base, c, day, plan, min(hi, seats + rng.randint(1, 4)), base[6] == 1)
            if plan < 2:
                return self._change(rows, base, c, day, plan + 1, PLAN_PRICE[PLANS[plan + 1]][3][0], base[6] == 1)
        elif r < 0.072 and plan < 2:
            return self._change(rows, base, c, day, plan + 1, PLAN_PRICE[PLANS[plan + 1]][3][0], base[6] == 1)
        elif base[6] == 0 and r < 0.097 and seats > lo:
            return self._change(rows, base, c, day, plan, max(lo, seats - rng.randint(1, 3)), False)
        elif base[6] == 0 and r < 0.104 and plan > 0:
            return self._change(rows, base, c, day, plan - 1, PLAN_PRICE[PLANS[plan - 1]][3][1], False)
        return base

    def _maybe_addon(self, rng, rows, addon, c, day: dt.date):
        """Add-ons run beside the base plan (a second active row)."""
        if addon is None or addon[2] >= 0:
            if rng.random() < 0.04:
                name = rng.randrange(len(ADDONS))
                fx, step = CURRENCIES[list(CURRENCIES)[self.currency[c]]]
                price = round(list(ADDONS.values())[name] * fx / step) * step
                addon = [c, day_no(day), -1, price, price, 3 + name, 3, -1, 0]
                rows.append(addon)
            return addon
        if rng.random() < 0.06:
            addon[2] = day_no(day)
        return addon

    def paying_at(self, day: int) -> np.ndarray:
        """Customers paying at the end of `day` (bool per customer)."""
        active = (self.paid_start <= day) & (self.paid_end > day)
        out = np.zeros(self.n, dtype=bool)
        out[self.paid_cust[active]] = True
        return out

    def churn_day(self) -> np.ndarray:
        """The end of each customer's first paying span (a large number when it never ended)."""
        if getattr(self, "_churn_day", None) is not None:
            return self._churn_day
        out = np.full(self.n, 1 << 40)
        order = np.lexsort((self.paid_start, self.paid_cust))
        c, s, e = self.paid_cust[order], self.paid_start[order], self.paid_end[order]
        reach = np.full(self.n, -1)
        for k in range(len(c)):  # rows by customer and start: merge overlapping spans until a gap
            cc = c[k]
            if reach[cc] < 0:
                reach[cc] = e[k]
            elif out[cc] == 1 << 40:
                if s[k] <= reach[cc]:
                    reach[cc] = max(reach[cc], e[k])
                else:
                    out[cc] = reach[cc]
        never = out == 1 << 40
        out[never] = np.where(reach[never] >= 0, reach[never], 1 << 40)
        self._churn_day = out
        return out


PLAN_NAMES = PLANS + tuple(ADDONS)


def write_customers(out: Path, w: World, seed: int) -> int:
    rng = rng_for(seed, "names")
    n = w.n
    lang = np.array([r for r, _ in REGIONS])[w.region]
    pick = rng.random(n)
    brand = rng.integers(0, 1 << 30, n)
    kind = rng.integers(0, 1 << 30, n)
    names = []
    for i in range(n):
        region, p = lang[i], pick[i]
        if region == "TH" and p < 0.7:
            names.append(f"บริษัท {TH_BRANDS[brand[i] % len(TH_BRANDS)]} {i + 1} จำกัด")
        elif (region == "CN" and p < 0.85) or (region == "SG" and p < 0.15):
            names.append(f"{CN_BRANDS[brand[i] % len(CN_BRANDS)]}{CN_KINDS[kind[i] % len(CN_KINDS)]}{i + 1}有限公司")
        else:
            names.append(f"{EN_BRANDS[brand[i] % len(EN_BRANDS)]} {EN_KINDS[kind[i] % len(EN_KINDS)]} {i + 1}")
    names[n // 3] = "=Fresh Foods Co"  # a spreadsheet-injection probe
    names[n // 2] = "Smith, Jones & Partners"  # needs CSV quoting
    referred = np.where(w.referred_by >= 0, w.ids[np.maximum(w.referred_by, 0)], "")

    def columns(lo, hi):
        s = slice(lo, hi)
        return [w.ids[s], names[lo:hi], iso_days(w.created[s]), [""] * (hi - lo), referred[s],
                np.array(PLANS)[w.final_plan[s]], lang[s], np.array(INDUSTRIES)[w.industry[s]],
                np.array(OWNERS)[w.owner[s]]]  # fmt: skip

    header = ["customer_id", "name", "created_at", "churned_at", "referred_by", "plan", "region", "industry", "owner"]
    return write_csv(out / "customers.csv", header, n, columns)


def write_subscriptions(out: Path, w: World) -> int:
    s = w.sub
    n = len(s["cust"])
    codes = np.array(list(CURRENCIES))

    def columns(lo, hi):
        sl = slice(lo, hi)
        kind = s["kind"][sl]
        mrr = s["mrr"][sl]
        return [[f"S{i + 1:07d}" for i in range(lo, hi)], w.ids[s["cust"][sl]], iso_days(s["start"][sl]),
                iso_days(s["end"][sl]), [str(m // 100) if m % 100 == 0 else f"{m // 100}.{m % 100:02d}" for m in mrr.tolist()],
                codes[w.currency[s["cust"][sl]]], np.array(PLAN_NAMES)[s["plan"][sl]],
                np.where(kind == 2, "true", "false"), iso_days(s["term"][sl])]  # fmt: skip

    header = ["subscription_id", "customer_id", "started_at", "ended_at", "mrr", "currency", "plan", "is_trial",
              "term_ends_at"]  # fmt: skip
    return write_csv(out / "subscriptions.csv", header, n, columns)


# --------------------------------------------------------------------------- invoices


def write_invoices(out: Path, w: World, seed: int) -> int:
    """One invoice per billing period of every paid row, credit notes for annual terms cut short,
    one-off orders with some returns; payment behaviour by customer."""
    rng = rng_for(seed, "invoices")
    s = w.sub
    last = day_no(END)
    paid = s["kind"] != 2
    cust, start, end, price, kind, term = (s[k][paid] for k in ("cust", "start", "end", "price", "kind", "term"))
    stop = np.where(end < 0, last + 1, end)
    # monthly rows (and add-ons): one invoice a month from the start while before the stop
    monthly = kind != 1
    span = np.where(monthly, (stop - start) // 28 + 2, 1)
    row = np.repeat(np.arange(len(cust)), span)
    k = np.arange(len(row)) - np.repeat(np.cumsum(span) - span, span)
    issued = add_months_np(start[row], k)
    keep = (issued < stop[row]) & ((k == 0) | monthly[row])
    row, issued = row[keep], issued[keep]
    amount = price[row]
    qty = np.ones(len(row), dtype=np.int64)
    # credit notes: an annual row ending before its term credits the unused share
    cut = (kind == 1) & (end >= 0) & (end < term)
    credit = np.flatnonzero(cut)
    credit_amount = -(price[credit] * (term[credit] - end[credit]) // (term[credit] - start[credit]))
    # one-off orders (onboarding, training seats) for ~8 % of paid rows, and returns of some
    orders = np.flatnonzero((rng.random(len(cust)) < 0.08) & (kind != 3))
    order_day = np.minimum(start[orders] + rng.integers(0, 60, len(orders)), last)
    order_qty = rng.integers(1, 6, len(orders))
    order_amount = order_qty * np.array([5000, 9900, 25000])[rng.integers(0, 3, len(orders))]
    fx = np.array([CURRENCIES[c][0] for c in CURRENCIES])[w.currency[cust[orders]]]
    order_amount = (np.round(order_amount * fx / 100) * 100).astype(np.int64)
    returned = rng.random(len(orders)) < 0.12
    ret = orders[returned]
    ret_day = np.minimum(order_day[returned] + rng.integers(3, 30, len(ret)), last)
    ret_qty = -np.minimum(order_qty[returned], rng.integers(1, 3, len(ret)))
    ret_amount = order_amount[returned] // order_qty[returned] * ret_qty

    inv_cust = np.concatenate([cust[row], cust[credit], cust[orders], cust[ret]])
    inv_day = np.concatenate([issued, end[credit], order_day, ret_day])
    inv_amount = np.concatenate([amount, credit_amount, order_amount, ret_amount])
    inv_qty = np.concatenate([qty, -np.ones(len(credit), dtype=np.int64), order_qty, ret_qty])
    order = np.lexsort((inv_cust, inv_day))
    inv_cust, inv_day, inv_amount, inv_qty = inv_cust[order], inv_day[order], inv_amount[order], inv_qty[order]
    n = len(inv_cust)
    enterprise = w.final_plan[inv_cust] == 2
    terms = np.where(enterprise, 30, 14)
    due = inv_day + terms
    late = w.late_payer[inv_cust]
    pay_after = np.where(late & (rng.random(n) < 0.6), terms + rng.integers(3, 45, n), rng.integers(0, 15, n))
    pay_day = inv_day + np.minimum(pay_after, np.where(late, 90, terms))
    age = last - inv_day
    unpaid = rng.random(n) < np.where(age < 30, 0.45, np.where(late, 0.04, 0.005))
    pay_day = np.where(unpaid | (pay_day > last) | (inv_amount < 0), -1, pay_day)
    pay_day = np.where(inv_amount < 0, inv_day, pay_day)  # a credit note is settled when issued
    status = np.where(pay_day >= 0, "paid", "open").astype(object)
    r = rng.random(n)
    status[r < 0.002] = "void"
    status[(r >= 0.002) & (r < 0.003) & (age < 60)] = "draft"
    codes = np.array(list(CURRENCIES))

    def columns(lo, hi):
        sl = slice(lo, hi)
        return [[f"INV-{i + 1:08d}" for i in range(lo, hi)], w.ids[inv_cust[sl]], iso_days(inv_day[sl]),
                money(inv_amount[sl]), iso_days(due[sl]), iso_days(pay_day[sl]), inv_qty[sl].astype(str),
                codes[w.currency[inv_cust[sl]]], status[sl]]  # fmt: skip

    header = ["invoice_id", "customer_id", "issued_at", "amount", "due_at", "paid_at", "quantity", "currency", "status"]
    return write_csv(out / "invoices.csv", header, n, columns)


# --------------------------------------------------------------------------- tickets and surveys


def _month_starts() -> list[int]:
    out, d = [], START
    while d <= END:
        out.append(day_no(d))
        d = add_months(d, 1)
    return out + [day_no(END) + 1]


def _weekday_days(rng, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A day in [lo, hi) each; weekends drawn about a quarter as often."""
    day = lo + np.floor(rng.random(len(lo)) * (hi - lo)).astype(np.int64)
    again = ((day + 3) % 7 >= 5) & (rng.random(len(lo)) < 0.75)  # 1970-01-01 was a Thursday
    day[again] = lo[again] + np.floor(rng.random(int(again.sum())) * (hi - lo)[again]).astype(np.int64)
    return day


def _office_seconds(rng, n: int) -> np.ndarray:
    return rng.choice(24, size=n, p=HOURS_P) * 3600 + rng.integers(0, 3600, n)


def _by_month(rng, w: World, total: int, weight_of) -> tuple[np.ndarray, np.ndarray]:
    """(customer, day) of `total` draws spread over the months by paying customers x weights."""
    months = _month_starts()
    pools = []
    for a, b in itertools.pairwise(months):
        paying = np.flatnonzero(w.paying_at((a + b) // 2))
        pools.append((a, b, paying, weight_of(paying)))
    counts = allocate(total, np.array([p[3].sum() for p in pools]))
    cust, day = [], []
    for (a, b, paying, wt), k in zip(pools, counts):
        if k == 0 or len(paying) == 0:
            continue
        cust.append(rng.choice(paying, size=k, p=wt / wt.sum()))
        day.append(_weekday_days(rng, np.full(k, a), np.full(k, b)))
    return np.concatenate(cust), np.concatenate(day)


def make_tickets(w: World, seed: int, total: int) -> dict:
    rng = rng_for(seed, "tickets")
    churn_day = w.churn_day()
    plan_weight = np.array([1.0, 2.0, 5.0])
    cust, day = _by_month(rng, w, total, lambda c: plan_weight[w.final_plan[c]])
    n = len(cust)
    created = day * 86400 + _office_seconds(rng, n)
    order = np.lexsort((cust, created))
    cust, created = cust[order], created[order]
    categories = np.array(["question", "billing", "bug", "complaint", "feature_request"])
    unhappy = (churn_day[cust] - created // 86400) < 75
    category = np.where(unhappy & (rng.random(n) < 0.15), 3, rng.choice(5, size=n, p=[0.35, 0.2, 0.25, 0.08, 0.12]))
    channel = rng.choice(3, size=n, p=[0.5, 0.35, 0.15])  # email, chat, phone
    priority = rng.choice(4, size=n, p=[0.2, 0.55, 0.2, 0.05])
    first_min = np.select([channel == 1, channel == 2], [rng.integers(1, 15, n), rng.integers(0, 3, n)],
                          rng.integers(20, 24 * 60, n))  # fmt: skip
    contacts = rng.choice(np.arange(1, 7), size=n, p=[0.7, 0.14, 0.08, 0.04, 0.02, 0.02])
    base_hours = np.array([4, 12, 60, 30, 96])[category]
    hours = rng.exponential(1.0, n) * base_hours * (1 + 0.6 * (contacts - 1))
    first = created + first_min * 60
    resolved = first + rng.integers(60, 1800, n) + (hours * 3600).astype(np.int64)
    limit = (day_no(END) + 1) * 86400
    age = day_no(END) - created // 86400
    still_open = rng.random(n) < np.where(age <= 7, 0.7, np.where(age <= 30, 0.45, 0.015))
    resolved = np.where(still_open | (resolved >= limit), -1, resolved)
    first = np.where(first >= limit, -1, first)
    reopened = (resolved >= 0) & (rng.random(n) < 0.07)
    return {"cust": cust, "created": created, "first": first, "resolved": resolved, "contacts": contacts,
            "reopened": reopened, "category": categories[category], "channel": channel, "priority": priority,
            "agent": rng.integers(0, len(AGENTS), n)}  # fmt: skip


def write_tickets(out: Path, w: World, t: dict) -> int:
    channels, priorities = np.array(["email", "chat", "phone"]), np.array(["low", "normal", "high", "urgent"])

    def columns(lo, hi):
        sl = slice(lo, hi)
        return [[f"T{i + 1:07d}" for i in range(lo, hi)], w.ids[t["cust"][sl]], iso_seconds(t["created"][sl]),
                iso_seconds(t["first"][sl]), iso_seconds(t["resolved"][sl]), t["contacts"][sl].astype(str),
                np.where(t["reopened"][sl], "yes", "no"), t["category"][sl], channels[t["channel"][sl]],
                priorities[t["priority"][sl]], np.array(AGENTS)[t["agent"][sl]]]  # fmt: skip

    header = ["ticket_id", "customer_id", "created_at", "first_response_at", "resolved_at", "contacts", "reopened",
              "category", "channel", "priority", "agent"]  # fmt: skip
    return write_csv(out / "tickets.csv", header, len(t["cust"]), columns)


NPS_HAPPY = np.array([1, 1, 1, 1.5, 2, 3, 5, 12, 20, 26, 27])
NPS_UNHAPPY = np.array([4, 4, 6, 8, 10, 12, 14, 12, 8, 5, 3])
CSAT_W = np.array([5, 6, 12, 32, 45])
CES_W = np.array([4, 5, 8, 15, 25, 25, 18])


def _scores(rng, weights: np.ndarray, low: int, n: int) -> np.ndarray:
    return low + rng.choice(len(weights), size=n, p=weights / weights.sum())


def write_surveys(out: Path, w: World, t: dict, seed: int, total: int) -> int:
    """NPS from paying customers (in-app and waves), CSAT and CES after resolved tickets, and a few
    responses of an `onboarding` survey (another kind, which cs-metrics filters and counts)."""
    rng = rng_for(seed, "surveys")
    churn_day = w.churn_day()
    last = day_no(END)
    n_csat, n_ces, n_other = round(total * 0.36), round(total * 0.14), round(total * 0.03)
    n_nps = total - n_csat - n_ces - n_other
    # NPS: customers paying in the month, bigger accounts answer more often
    cust_n, day_n = _by_month(rng, w, n_nps, lambda c: np.array([1.0, 1.5, 3.0])[w.final_plan[c]])
    unhappy = (churn_day[cust_n] - day_n) < 120
    score_n = np.where(unhappy, _scores(rng, NPS_UNHAPPY, 0, len(cust_n)), _scores(rng, NPS_HAPPY, 0, len(cust_n)))
    # CSAT and CES: resolved tickets, answered 0..3 days after
    resolved = np.flatnonzero((t["resolved"] >= 0) & (t["resolved"] // 86400 + 3 <= last))
    picked = rng.choice(resolved, size=min(len(resolved), n_csat + n_ces), replace=False)
    picked.sort()
    bad = t["reopened"][picked] | (t["contacts"][picked] >= 3) | (t["category"][picked] == "complaint")
    flip = bad & (rng.random(len(picked)) < 0.5)
    day_t = t["resolved"][picked] // 86400 + rng.integers(0, 4, len(picked))
    is_csat = np.zeros(len(picked), dtype=bool)
    is_csat[rng.permutation(len(picked))[: min(n_csat, len(picked))]] = True
    csat = np.where(flip, _scores(rng, CSAT_W[::-1], 1, len(picked)), _scores(rng, CSAT_W, 1, len(picked)))
    ces = np.where(flip, _scores(rng, CES_W[::-1], 1, len(picked)), _scores(rng, CES_W, 1, len(picked)))
    score_t = np.where(is_csat, csat, ces)
    # onboarding: new customers in their first month
    cust_o, day_o = _by_month(rng, w, n_other, lambda c: np.ones(len(c)))
    score_o = rng.integers(1, 6, len(cust_o))

    cust = np.concatenate([cust_n, t["cust"][picked], cust_o])
    day = np.concatenate([day_n, day_t, day_o])
    kind = np.concatenate([np.zeros(len(cust_n), np.int64), np.where(is_csat, 1, 2), np.full(len(cust_o), 3)])
    score = np.concatenate([score_n, score_t, score_o])
    # mood of the comment: 0 happy, 1 neutral, 2 unhappy (nps 9+/7+, ces 5+/3+, csat and onboarding 4+/3)
    good, fair = np.array([9, 4, 5, 4])[kind], np.array([7, 3, 3, 3])[kind]
    mood = np.where(score >= good, 0, np.where(score >= fair, 1, 2))
    order = np.lexsort((kind, cust, day))
    cust, day, kind, score, mood = cust[order], day[order], kind[order], score[order], mood[order]
    n = len(cust)
    anonymous = rng.random(n) < 0.05
    has_comment = rng.random(n) < 0.35
    lang_draw, text_draw = rng.random(n), rng.integers(0, 1 << 30, n)
    regions = np.array([r for r, _ in REGIONS])[w.region[cust]]
    comments = []
    moods = ("pos", "neu", "neg")
    for i in range(n):  # one comment pick per response (a handful of pools)
        if not has_comment[i]:
            comments.append("")
            continue
        acc, lang = 0.0, "en"
        for code, p in LANGUAGE[regions[i]]:
            acc += p
            if lang_draw[i] < acc:
                lang = code
                break
        pool = COMMENTS[(lang, moods[mood[i]])]
        comments.append(pool[text_draw[i] % len(pool)])
    kinds = np.array(["nps", "csat", "ces", "onboarding"])
    shown = np.where(anonymous, "", w.ids[cust])

    def columns(lo, hi):
        sl = slice(lo, hi)
        return [[f"R{i + 1:07d}" for i in range(lo, hi)], shown[sl], iso_days(day[sl]), kinds[kind[sl]],
                score[sl].astype(str), comments[lo:hi]]  # fmt: skip

    header = ["response_id", "customer_id", "responded_at", "survey", "score", "comment"]
    return write_csv(out / "surveys.csv", header, n, columns)


# --------------------------------------------------------------------------- leads and costs


def write_leads(out: Path, w: World, seed: int) -> int:
    """Every customer came from a lead; one and a half times as many leads did not convert."""
    rng = rng_for(seed, "leads")
    n_lost = w.n * 3 // 2
    sources = np.array(["organic", "ads", "partner", "event", "referral"])
    created = np.concatenate([np.maximum(day_no(START), w.created - rng.integers(0, 46, w.n)),
                              day_no(START) + rng.integers(0, day_no(END) - day_no(START) + 1, n_lost)])  # fmt: skip
    converted = np.concatenate([w.created, np.full(n_lost, -1)])
    cust = np.concatenate([w.ids, np.full(n_lost, "", dtype=object)])
    source = np.concatenate([np.where(w.referred_by >= 0, 4, rng.choice(4, size=w.n, p=[0.4, 0.3, 0.18, 0.12])),
                             rng.choice(5, size=n_lost, p=[0.3, 0.45, 0.1, 0.12, 0.03])])  # fmt: skip
    order = np.lexsort((np.arange(len(created)), created))
    created, converted, cust, source = created[order], converted[order], cust[order], source[order]

    def columns(lo, hi):
        sl = slice(lo, hi)
        return [[f"L{i + 1:07d}" for i in range(lo, hi)], iso_days(created[sl]), iso_days(converted[sl]), cust[sl],
                sources[source[sl]]]  # fmt: skip

    return write_csv(out / "leads.csv", ["lead_id", "created_at", "converted_at", "customer_id", "source"],
                     len(created), columns)  # fmt: skip


def write_costs(out: Path, w: World, seed: int) -> int:
    """Salaries grow with the team, tools with the paying base, onboarding with new logos."""
    rng = rng_for(seed, "costs")
    rows = []
    months = _month_starts()
    for a, b in itertools.pairwise(months):
        paying = int(w.paying_at(b - 1).sum())
        new = int(((w.first_paid >= a) & (w.first_paid < b)).sum())
        label = str(DAY0 + np.timedelta64(a, "D"))[:7]
        csms = 2 + paying // 400
        rows += [[label, "cs_salaries", f"{csms * 4500}.00"],
                 [label, "tools", f"{1200 + 8 * paying + int(rng.integers(0, 300))}.00"],
                 [label, "onboarding", f"{500 + 150 * new + int(rng.integers(0, 200))}.00"]]  # fmt: skip
    return write_csv(out / "costs.csv", ["month", "category", "amount"], len(rows),
                     lambda lo, hi: list(zip(*rows[lo:hi])))  # fmt: skip


# --------------------------------------------------------------------------- events


def write_events(out: Path, w: World, seed: int, total: int) -> int:
    """Sessions of the users of paying customers, day by day over 2024-2025, written in chunks."""
    rng = rng_for(seed, "events")
    # users: each belongs to one customer; engagement is skewed (a few power users, a long tail)
    lo_hi = np.array([USERS_PER_PLAN[p] for p in PLANS])[w.final_plan]
    n_users = rng.integers(lo_hi[:, 0], lo_hi[:, 1] + 1)
    user_cust = np.repeat(np.arange(w.n), n_users)
    activity = rng.pareto(1.5, len(user_cust)) + 0.1
    width = max(6, len(str(len(user_cust))))
    user_ids = pa.array([f"U{i + 1:0{width}d}" for i in range(len(user_cust))])
    cust_ids = pa.array(list(w.ids))
    churn_day = w.churn_day()
    first, last = day_no(EVENTS_FROM), day_no(END)
    days = np.arange(first, last + 1)
    weekday = np.where((days + 3) % 7 >= 5, 0.3, 1.0)
    # rows per day: proportional to the activity of the paying customers' users that day x weekday
    cust_activity = np.bincount(user_cust, weights=activity, minlength=w.n)
    paying_by_day = [w.paying_at(int(d)) for d in days]
    day_weight = np.array([cust_activity[p].sum() for p in paying_by_day]) * weekday
    per_day = allocate(total, day_weight)
    names = pa.array(list(EVENTS))
    schema = pa.schema([("customer_id", pa.string()), ("user_id", pa.string()), ("occurred_at", pa.string()),
                        ("event", pa.string()), ("session_id", pa.string()), ("duration_seconds", pa.int64())])  # fmt: skip
    written, session_no, i = 0, 0, 0
    options = pacsv.WriteOptions(include_header=False, quoting_style="none")
    with open(out / "events.csv", "wb") as fh, pacsv.CSVWriter(fh, schema, write_options=options) as writer:
        fh.write((",".join(schema.names) + "\n").encode())
        while i < len(days):
            j = i + 1  # a chunk: whole days, about EVENT_CHUNK rows
            while j < len(days) and per_day[i:j + 1].sum() <= EVENT_CHUNK:
                j += 1
            want = int(per_day[i:j].sum())
            if want:
                batch, n_sessions = _event_chunk(rng, w, days[i:j], per_day[i:j], paying_by_day[i:j], user_cust,
                                                 activity, churn_day, session_no, user_ids, cust_ids, names, schema)  # fmt: skip
                writer.write_batch(batch)
                session_no += n_sessions
                written += want
                progress(f"events: {written:,} / {total:,} rows")
            i = j
    print(file=sys.stderr)
    return written


def _event_chunk(rng, w, days, per_day, paying_by_day, user_cust, activity, churn_day, session_no, user_ids,
                 cust_ids, names, schema):  # fmt: skip
    want = int(per_day.sum())
    # session lengths (events per session, mean ~6) summing exactly to `want`
    lengths = rng.geometric(1 / 5.5, size=int(want / 5.5 * 1.2) + 100)
    lengths = lengths[: np.searchsorted(np.cumsum(lengths), want) + 1]
    lengths[-1] -= lengths.sum() - want
    lengths = lengths[lengths > 0]
    n_s = len(lengths)
    # each session: a day of the chunk (by its volume), a user of a customer paying that day
    s_day_idx = rng.choice(len(days), size=n_s, p=per_day / per_day.sum())
    s_user = np.empty(n_s, dtype=np.int64)
    for k in range(len(days)):
        which = np.flatnonzero(s_day_idx == k)
        if len(which) == 0:
            continue
        eligible = np.flatnonzero(paying_by_day[k][user_cust])
        weight = activity[eligible] * np.where(churn_day[user_cust[eligible]] - days[k] < 60, 0.4, 1.0)
        s_user[which] = rng.choice(eligible, size=len(which), p=weight / weight.sum())
    s_start = days[s_day_idx] * 86400 + _office_seconds(rng, n_s)
    # events of a session: gaps of ~75 s; the first is a login most of the time
    session = np.repeat(np.arange(n_s), lengths)
    head = np.cumsum(lengths) - lengths
    gap = rng.exponential(75, size=want).astype(np.int64) + 3
    gap[head] = 0
    offset = np.cumsum(gap) - np.repeat(np.cumsum(gap)[head], lengths)
    at = s_start[session] + offset
    event = rng.choice(len(EVENTS), size=want, p=EVENT_P)
    event[head] = np.where(rng.random(n_s) < 0.8, 0, 1)
    duration = pa.array(rng.integers(5, 240, size=want), mask=rng.random(want) < 0.01)
    order = np.argsort(at, kind="stable")
    s = session[order]
    u = s_user[s]
    numbers = pc.cast(pa.array(session_no + 1 + s), pa.string())
    batch = pa.record_batch(
        [
            cust_ids.take(pa.array(user_cust[u])),
            user_ids.take(pa.array(u)),
            pc.strftime(pa.array(at[order].astype("datetime64[s]")), format="%Y-%m-%dT%H:%M:%S"),
            names.take(pa.array(event[order])),
            pc.binary_join_element_wise("S", pc.utf8_lpad(numbers, 9, "0"), ""),
            duration.take(pa.array(order)),
        ],
        schema=schema,
    )
    return batch, n_s


# --------------------------------------------------------------------------- config and main


def write_config(out: Path) -> None:
    rates = ", ".join(f"{k}: {v}" for k, v in RATES.items())
    (out / "cs-metrics.yaml").write_text(
        "# Config for the generated benchmark data (benchmarks/generate.py).\n"
        "data: .\n"
        "timezone: Asia/Bangkok\n"
        "currency:\n"
        "  base: USD\n"
        f"  rates: {{{rates}}}\n"
        "# a login alone is not use\n"
        f"active_events: [{', '.join(ACTIVE_EVENTS)}]\n",
        encoding="utf-8",
    )


def generate(out: Path, seed: int, scale: float, events: int | None) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    n = {k: max(1, round(v * scale)) for k, v in SIZES.items()}
    if events is not None:
        n["events"] = events
    counts = {}
    t0 = time.perf_counter()
    world = World(seed, max(20, n["customers"]))
    counts["customers.csv"] = write_customers(out, world, seed)
    counts["subscriptions.csv"] = write_subscriptions(out, world)
    counts["invoices.csv"] = write_invoices(out, world, seed)
    tickets = make_tickets(world, seed, n["tickets"])
    counts["tickets.csv"] = write_tickets(out, world, tickets)
    counts["surveys.csv"] = write_surveys(out, world, tickets, seed, n["surveys"])
    counts["leads.csv"] = write_leads(out, world, seed)
    counts["costs.csv"] = write_costs(out, world, seed)
    counts["events.csv"] = write_events(out, world, seed, n["events"])
    write_config(out)
    print(f"generated in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return counts


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="output folder (created)")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply the default sizes (0.01 for a quick check)")
    ap.add_argument("--events", type=int, default=None, help="number of events (default: 10,000,000 x scale)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = ap.parse_args(argv)
    for name, rows in generate(args.out, args.seed, args.scale, args.events).items():
        path = args.out / name
        print(f"{path}: {rows:,} rows, {path.stat().st_size / 1e6:,.1f} MB")


if __name__ == "__main__":
    main()
