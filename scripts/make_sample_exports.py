#!/usr/bin/env python3
"""Write sample_data/exports/: the canonical sample as five tools would export it.

The same customers, subscriptions, invoices, survey responses, tickets and usage events as
``sample_data/*.csv``, written the way a team gets them out of its tools, one subfolder per tool:

* ``hubspot/``  the CRM's companies export (Record ID, Company name, Company Domain Name, Create Date,
                owner, country, industry, a Plan property, the Stripe Customer ID, Referred By as a name);
* ``stripe/``   the billing tool's subscriptions and invoices exports (``cus_…`` ids, lowercase
                currencies, UTC date-times, a trial inside its subscription row, statuses);
* ``zendesk/``  the helpdesk's ticket export (tickets named by their organization's name, Replies,
                Reopens as a count, the first reply in minutes, a custom category field, times in the
                account's zone);
* ``delighted/`` the survey tool's responses (NPS, CSAT and CES in one file, epoch times, the
                respondent's e-mail);
* ``mixpanel/`` the product-analytics raw events, gzip-compressed (epoch seconds, ``$duration``, the
                HubSpot record id as the ``company_id`` group property).

`cs-metrics init --from sample_data/exports` proposes a config for them, and `report` on it gives
the canonical sample's numbers for every metric these exports feed (tests/test_sample_exports.py).
What they cannot carry is said in the README (leads, retention costs, returned units, committed
terms).

Standard library only and deterministic: every id is derived from the canonical one, so running it
twice gives byte-identical files. Run after scripts/generate_sample_data.py:

    python scripts/make_sample_exports.py [--data sample_data] [--out sample_data/exports]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import hashlib
import io
import re
import uuid
from decimal import Decimal
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
EXPORTED = dt.date(2026, 11, 30)  # the day the exports were taken
BANGKOK = dt.timezone(dt.timedelta(hours=7))  # the sample business's zone (no daylight saving)
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
COUNTRY = {"TH": "Thailand", "CN": "China", "SG": "Singapore", "US": "United States"}
TLD = {"TH": "co.th", "CN": "com.cn", "SG": "com.sg", "US": "com"}
CITY = {"TH": "Bangkok", "CN": "Shanghai", "SG": "Singapore", "US": "San Francisco"}
VIA = {"email": "Mail", "chat": "Chat", "phone": "Phone"}
SYMBOL = {"USD": "$", "THB": "฿", "CNY": "¥"}


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write(path: Path, header: list[str], rows: list[list]) -> None:
    """A UTF-8 CSV; gzip-compressed when the name ends in .gz (with no time stamp: the same bytes every run)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = io.StringIO(newline="")
    w = csv.writer(text, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    data = text.getvalue().encode("utf-8")
    if path.suffix == ".gz":
        buffer = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as f:
            f.write(data)
        data = buffer.getvalue()
    path.write_bytes(data)


def token(kind: str, key: str, n: int) -> str:
    """A deterministic id in Stripe's alphabet: the same canonical id gives the same token."""
    number = int.from_bytes(hashlib.sha256(f"{kind}:{key}".encode()).digest(), "big")
    out = []
    for _ in range(n):
        number, r = divmod(number, 62)
        out.append(ALPHABET[r])
    return "".join(out)


def money(text: str) -> Decimal:
    """A canonical sample amount (`1,200.00`, `(20.00)`, `$1,234.50`) as a number."""
    t = text.strip()
    negative = t.startswith("(") or t.startswith("-")
    value = Decimal(re.sub(r"[^\d.]", "", t))
    return -value if negative else value


def utc(day: str, hour: int = 9) -> str:
    """A Bangkok business day at `hour` o'clock, as Stripe writes it: UTC, `YYYY-MM-DD HH:MM`."""
    local = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), BANGKOK)
    return local.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M")


def epoch(local: dt.datetime) -> int:
    return int(local.replace(tzinfo=BANGKOK).timestamp())


def domains(customers: list[dict[str, str]]) -> dict[str, str]:
    """A unique web domain per customer: its Latin name's first words, else `acct` and its number."""
    out: dict[str, str] = {}
    seen: set[str] = set()
    for c in customers:
        words = re.findall(r"[a-z0-9]+", c["name"].lower())
        stem = "".join(words[:2]) if words and c["name"].isascii() else f"acct{c['customer_id'][1:]}"
        domain = f"{stem}.{TLD[c['region']]}"
        if domain in seen:
            domain = f"{stem}{c['customer_id'][1:]}.{TLD[c['region']]}"
        seen.add(domain)
        out[c["customer_id"]] = domain
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO_ROOT / "sample_data")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "sample_data" / "exports")
    args = parser.parse_args()
    data, out = args.data, args.out

    customers = read(data / "customers.csv")
    by_id = {c["customer_id"]: c for c in customers}
    domain = domains(customers)
    stripe_id = {c["customer_id"]: "cus_" + token("customer", c["customer_id"], 14) for c in customers}
    record_id = {c["customer_id"]: str(18_300_000_000 + int(c["customer_id"][1:]) * 37) for c in customers}

    # --- HubSpot companies -------------------------------------------------------------------
    write(
        out / "hubspot" / f"hubspot-crm-exports-all-companies-{EXPORTED}.csv",
        ["Record ID", "Company name", "Company Domain Name", "Create Date", "Lifecycle Stage", "Company owner",
         "Country/Region", "Industry", "Plan", "Stripe Customer ID", "Referred By"],
        [
            [record_id[c["customer_id"]], c["name"], domain[c["customer_id"]], f"{c['created_at']} 10:00", "Customer",
             c["owner"], COUNTRY[c["region"]], c["industry"], c["plan"], stripe_id[c["customer_id"]],
             by_id[c["referred_by"]]["name"] if c["referred_by"] else ""]
            for c in customers
        ],
    )  # fmt: skip

    # --- Stripe subscriptions ------------------------------------------------------------------
    subscriptions = read(data / "subscriptions.csv")
    paid_after: dict[str, list[dict[str, str]]] = {}
    for s in subscriptions:
        if s["is_trial"] != "true":
            paid_after.setdefault(s["customer_id"], []).append(s)
    rows = []
    for s in sorted(subscriptions, key=lambda r: (r["started_at"], r["subscription_id"]), reverse=True):
        c = by_id[s["customer_id"]]
        annual = bool(s["term_ends_at"])
        mrr = Decimal(s["mrr"])
        trial = s["is_trial"] == "true"
        if trial:  # Stripe shows the price the trial turns into: the customer's next paid row, else 0
            nxt = [p for p in paid_after.get(s["customer_id"], []) if p["started_at"] >= s["ended_at"] and p["currency"] == s["currency"]]
            mrr = Decimal(min(nxt, key=lambda p: p["started_at"])["mrr"]) if nxt else Decimal(0)
        amount = mrr * 12 if annual else mrr
        ended = s["ended_at"]
        status = "canceled" if ended and dt.date.fromisoformat(ended) <= EXPORTED else ("trialing" if trial else "active")
        period_start = dt.date.fromisoformat(s["started_at"])
        step = 12 if annual else 1
        limit = dt.date.fromisoformat(ended) if ended else EXPORTED
        while _months_after(period_start, step) <= limit:
            period_start = _months_after(period_start, step)
        rows.append([
            "sub_" + token("subscription", s["subscription_id"], 24), stripe_id[c["customer_id"]], c["name"],
            f"billing@{domain[c['customer_id']]}", "price_" + token("price", f"{s['plan']}-{s['currency']}-{step}", 24),
            s["plan"], 1, s["currency"].lower(), "year" if annual else "month", f"{amount:.2f}", status,
            utc(s["started_at"], 8), utc(s["started_at"]), utc(period_start.isoformat()),
            utc(_months_after(period_start, step).isoformat()),
            utc(s["started_at"]) if trial else "", utc(s["ended_at"]) if trial else "", "", "", "",
            utc(ended, 8) if ended else "", "false", utc(ended) if ended else "",
            "cancellation_requested" if ended and not trial else "", c["name"],
        ])  # fmt: skip
    write(
        out / "stripe" / "subscriptions.csv",
        ["id", "Customer ID", "Customer Description", "Customer Email", "Plan", "Product", "Quantity", "Currency",
         "Interval", "Amount", "Status", "Created (UTC)", "Start Date (UTC)", "Current Period Start (UTC)",
         "Current Period End (UTC)", "Trial Start (UTC)", "Trial End (UTC)", "Application Fee Percent", "Coupon",
         "Tax Percent", "Canceled At (UTC)", "Cancel At Period End", "Ended At (UTC)", "Cancellation Reason",
         "Customer Name"],
        rows,
    )  # fmt: skip

    # --- Stripe invoices -----------------------------------------------------------------------
    rows = []
    for inv in sorted(read(data / "invoices.csv"), key=lambda r: (r["issued_at"], r["invoice_id"]), reverse=True):
        c = by_id[inv["customer_id"]]
        total = money(inv["amount"])
        paid = inv["status"] == "paid" and bool(inv["paid_at"])
        rows.append([
            "in_" + token("invoice", inv["invoice_id"], 24), f"{total:.2f}", f"{total if paid else 0:.2f}",
            f"{0 if paid else total:.2f}", "", "charge_automatically", "", "true" if inv["status"] in ("paid", "void") else "false",
            inv["currency"].lower(), stripe_id[c["customer_id"]], f"billing@{domain[c['customer_id']]}", c["name"],
            utc(inv["issued_at"]), "", utc(inv["due_at"]) if inv["due_at"] else "", utc(inv["issued_at"], 10),
            inv["invoice_id"].replace("INV-", "SAMPLE-"), "true" if paid else "false",
            utc(inv["paid_at"], 11) if inv["paid_at"] else "", inv["status"], f"{total:.2f}", f"{total:.2f}", "0.00",
        ])  # fmt: skip
    write(
        out / "stripe" / "invoices.csv",
        ["id", "Amount Due", "Amount Paid", "Amount Remaining", "Applied Coupons", "Billing", "Charge", "Closed",
         "Currency", "Customer", "Customer Email", "Customer Name", "Date (UTC)", "Description", "Due Date (UTC)",
         "Finalized At (UTC)", "Number", "Paid", "Paid At (UTC)", "Status", "Subtotal", "Total",
         "Total Discount Amount"],
        rows,
    )  # fmt: skip

    # --- Zendesk tickets -----------------------------------------------------------------------
    rows = []
    for t in read(data / "tickets.csv"):
        c = by_id[t["customer_id"]]
        created = dt.datetime.fromisoformat(t["created_at"])
        first = dt.datetime.fromisoformat(t["first_response_at"]) if t["first_response_at"] else None
        solved = dt.datetime.fromisoformat(t["resolved_at"]) if t["resolved_at"] else None
        status = "Open" if solved is None else ("Solved" if solved.date() > EXPORTED - dt.timedelta(days=4) else "Closed")
        minutes = lambda a, b: str(round((b - a).total_seconds() / 60)) if a and b else ""  # noqa: E731
        rows.append([
            1, int(t["ticket_id"][1:]), f"Contact of {c['name']}", f"support@{domain[c['customer_id']]}",
            domain[c["customer_id"]], t["agent"], "Support", status, t["priority"].capitalize(), VIA[t["channel"]],
            created.strftime("%Y-%m-%d %H:%M:%S"), c["name"], solved.strftime("%Y-%m-%d %H:%M:%S") if solved else "",
            str(round((solved - created).total_seconds() / 3600)) if solved else "", 1 if t["reopened"] == "yes" else 0,
            t["contacts"], minutes(created, first), minutes(created, solved), t["category"],
        ])  # fmt: skip
    write(
        out / "zendesk" / f"export-{EXPORTED}-0900-5120031.csv",
        ["Summation column", "Id", "Requester", "Requester email", "Requester domain", "Assignee", "Group", "Status",
         "Priority", "Via", "Created at", "Organization", "Solved at", "Resolution time", "Reopens", "Replies",
         "First reply time in minutes", "Full resolution time in minutes", "Ticket category [list]"],
        rows,
    )  # fmt: skip

    # --- Delighted responses ---------------------------------------------------------------------
    rows = []
    for n, r in enumerate(read(data / "surveys.csv"), start=1):
        c = by_id.get(r["customer_id"])
        person = f"contact@{domain[c['customer_id']]}" if c else f"guest{n}@gmail.com"
        when = epoch(dt.datetime.combine(dt.date.fromisoformat(r["responded_at"]), dt.time(12)))
        rows.append([
            int(r["response_id"][1:]), 700000 + n, f"Contact of {c['name']}" if c else "", person, r["survey"], r["score"],
            r["comment"], f"https://app.delighted.com/r/{token('response', r['response_id'], 32)}", when, when,
            c["name"] if c else "", c["plan"] if c else "", "[]", "[]",
        ])  # fmt: skip
    write(
        out / "delighted" / "survey_responses.csv",
        ["id", "person.id", "person.name", "person.email", "survey_type", "score", "comment", "permalink", "created_at",
         "updated_at", "person_properties.Company", "person_properties.Plan", "notes", "tags"],
        rows,
    )  # fmt: skip

    # --- Mixpanel events -------------------------------------------------------------------------
    rows = []
    for n, e in enumerate(read(data / "events.csv")):
        c = by_id[e["customer_id"]]
        rows.append([
            e["event"], epoch(dt.datetime.fromisoformat(e["occurred_at"])), e["user_id"],
            token("insert", str(n), 16).lower(),  # the JavaScript library's random 16-character id
            str(uuid.UUID(bytes=hashlib.sha256(f"device:{e['user_id']}".encode()).digest()[:16], version=4)),
            e["user_id"], "web", "Mac OS X", "Chrome", c["region"], CITY[c["region"]], record_id[c["customer_id"]],
            c["plan"], e["duration_seconds"],
        ])  # fmt: skip
    write(
        out / "mixpanel" / f"mixpanel_export_2026-06-01_{EXPORTED}.csv.gz",
        ["event", "time", "distinct_id", "$insert_id", "$device_id", "$user_id", "mp_lib", "$os", "$browser",
         "mp_country_code", "$city", "company_id", "plan", "$duration"],
        rows,
    )  # fmt: skip
    print(f"wrote {out}")


def _months_after(day: dt.date, months: int) -> dt.date:
    import calendar

    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


if __name__ == "__main__":
    main()
