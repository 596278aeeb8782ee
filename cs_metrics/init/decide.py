"""What the export files decide together: which files feed each table, the customer master and
the key each other file names a customer by, the currencies, the business's time zone, and the
metric definitions the exports imply."""

from __future__ import annotations

import json
import re
from collections import Counter

from cs_metrics.contract import TABLES
from cs_metrics.init.propose import FileProposal, Proposal
from cs_metrics.init.shapes import domain_of
from cs_metrics.vendors import Key, find, find_all

# Domains of personal mailboxes: an e-mail there names a person, not a company.
PERSONAL_DOMAINS = {
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com",
    "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "qq.com", "163.com", "126.com",
    "sina.com", "yeah.net", "foxmail.com", "yandex.ru", "mail.ru", "hotmail.co.th", "yahoo.co.th",
}  # fmt: skip
KEY_ORDER = ("id", "alias", "name", "email", "domain")


def conclude(proposals: Proposal, master: str | None = None) -> None:
    used = [p for p in proposals if p.table]
    _twins(used)
    _same_money(used)
    _incomplete(used)
    _masters(proposals, master)
    _keys(proposals)
    _currency(proposals)
    _timezone(proposals)
    _definitions(proposals)
    _undecided(proposals)


def _drop(p: FileProposal, why: str) -> None:
    p.used = False
    p.note(why)


def _identity(p: FileProposal) -> tuple:
    """What makes two files the same export: their table, tool and export, and their rows' keys."""
    key = TABLES[p.table].key or "customer_id"
    header = p.columns.get(key) or p.columns.get("customer_id")
    values = tuple(p.sample.values(header, limit=None)) if header and p.sample else ()
    return p.table, p.tool, p.export, tuple(sorted(p.headers)), values


def _twins(used: list[FileProposal]) -> None:
    """The same rows twice (an .xlsx and the .csv saved from it): the CSV is read (no workbook reader needed)."""
    seen: dict[tuple, FileProposal] = {}
    order = sorted(used, key=lambda p: (p.format != "csv", p.rel))
    for p in order:
        ident = _identity(p)
        if not ident[-1]:
            continue
        if ident in seen:
            _drop(p, f"the same rows as {seen[ident].rel}, which is read instead")
        else:
            seen[ident] = p


def _same_money(used: list[FileProposal]) -> None:
    """A tool's payments and invoices export hold the same revenue: the one preferred is read."""
    live = [p for p in used if p.used and p.spec]
    for p in live:
        for q in live:
            if q is not p and q.used and p.used and q.tool == p.tool and q.table == p.table and q.export in p.spec.same_money_as:
                _drop(p, f"CHECK: the same revenue as {q.rel} ({q.export}), which is read instead; to count cash received, use this file in its place")


def _incomplete(used: list[FileProposal]) -> None:
    """Guessed files that miss a required column are left out when another file of the table has them all."""
    by_table: dict[str, list[FileProposal]] = {}
    for p in used:
        if p.used:
            by_table.setdefault(p.table, []).append(p)
    for table, files in by_table.items():
        complete = [p for p in files if not p.missing_required]
        if complete:
            for p in files:
                if p.missing_required:
                    best = max(complete, key=lambda q: q.score)
                    _drop(p, f"also looks like {table} (score {p.score}), but {best.rel} scored higher")
                    p.table = None
        elif len(files) > 1:
            best = max(files, key=lambda q: q.score)
            for p in files:
                if p is not best:
                    _drop(p, f"also looks like {table} (score {p.score}), but {best.rel} scored higher")
                    p.table = None


# --------------------------------------------------------------------------- customer keys


class Book:
    """The keys of the customer master: ids, other tools' ids (aliases), names, e-mails, domains."""

    def __init__(self, p: FileProposal):
        s = p.sample
        self.ids = set(s.values(p.columns.get("customer_id"), limit=None))
        self.names = {_name(v) for v in s.values(p.columns.get("name"), limit=None)}
        self.emails = {v.lower() for v in s.values(p.columns.get("email"), limit=None)}
        self.domains = {d for v in s.values(p.columns.get("domain"), limit=None) if (d := domain_of(v))}
        self.domains |= {d for e in self.emails if (d := domain_of(e))}
        self.domains -= PERSONAL_DOMAINS
        self.aliases = {h: set(s.values(h, limit=None)) for h in p.settings.get("aliases", [])}

    def rate(self, values: list[str], kind: str) -> float:
        """The share of the values (personal e-mails aside) that name a customer by this key."""
        if kind == "email":
            values = [v for v in values if domain_of(v) not in PERSONAL_DOMAINS]
        if not values:
            return 0.0
        if kind == "id":
            hits = sum(v in self.ids for v in values)
        elif kind == "alias":
            hits = sum(any(v in a for a in self.aliases.values()) for v in values)
        elif kind == "name":
            hits = sum(_name(v) in self.names for v in values)
        elif kind == "email":
            hits = sum(v.lower() in self.emails or domain_of(v) in self.domains for v in values)
        else:
            hits = sum(domain_of(v) in self.domains for v in values)
        return hits / len(values)


def _name(v: str) -> str:
    return " ".join(v.split()).casefold()


def key_values(p: FileProposal, key: Key) -> list[str]:
    values = p.sample.values(key.header, limit=None) if p.sample else []
    if key.group is None:
        return values
    out = []
    for v in values:
        try:
            obj = json.loads(v)
        except ValueError:
            continue
        if isinstance(obj, dict) and obj.get(key.group) not in (None, ""):
            out.append(str(obj[key.group]))
    return out


def _masters(proposals: Proposal, chosen: str | None) -> None:
    """The customers file: one, or the one whose keys name the most customers of the other files."""
    candidates = [p for p in proposals if p.used and p.table == "customers"]
    for p in candidates:
        spec = p.spec.master if p.spec else None
        if spec:
            for column, header_spec in (("name", spec.name), ("domain", spec.domain), ("email", spec.email)):
                header = find(header_spec, p.headers)
                if header and column not in p.columns:
                    p.columns[column] = header
            mapped = set(p.columns.values())
            aliases = [h for h in find_all(spec.aliases, p.headers) if h not in mapped and p.sample.values(h)]
            if aliases:
                p.set("aliases", aliases, "other tools' ids of the customer: files naming a customer by them are joined")
            if "referred_by" in p.columns and spec.referred_by_holds != "id":
                refs = p.sample.values(p.columns["referred_by"], limit=None)
                if refs and Book(p).rate(refs, "name") >= Book(p).rate(refs, "id"):
                    p.set("customer_key", "name", "the referral column holds the referrer's company name")
        else:
            for h, s in p.shapes.items():
                if h not in p.columns.values() and s.kind == "email" and "email" not in p.columns:
                    p.columns["email"] = h
                elif h not in p.columns.values() and s.kind == "domain" and "domain" not in p.columns:
                    p.columns["domain"] = h
        p.segment_headers = [h for h in p.segment_headers if h not in p.columns.values() and h not in p.settings.get("aliases", [])]
    if not candidates:
        return
    others = [q for q in proposals if q.used and q.table != "customers" and q.keys]
    score = {}
    for p in candidates:
        book = Book(p)
        score[id(p)] = sum(_best(q, book)[2] for q in others)
    ranked = sorted(candidates, key=lambda p: (-score[id(p)], p.rel))
    if chosen:
        picked = [p for p in candidates if p.rel == chosen or str(p.path) == chosen]
        if picked:
            ranked = picked + [p for p in ranked if p is not picked[0]]
    proposals.master = ranked[0]
    for p in ranked[1:]:
        proposals.other_masters.append(p)
        p.used = False
    if len(ranked) > 1:
        proposals.master_why = (
            f"{ranked[0].rel} was given with --master" if chosen and ranked[0].rel == chosen
            else f"{ranked[0].rel} names the most customers of the other exports"
        )


def _best(q: FileProposal, book: Book) -> tuple[Key, str, float]:
    """The key of q that names the most customers of the book, and the share it names."""
    best: tuple[Key, str, float] | None = None
    taken = {h for c, h in q.columns.items() if c != "customer_id"}  # the loader reads a header as one column
    for key in [k for k in q.keys if k.header not in taken] or q.keys[:1]:
        values = key_values(q, key)
        kinds = _kinds(key, values)
        for kind in kinds:
            r = book.rate(values, kind)
            if best is None or r > best[2] + 1e-9:
                best = (key, kind, r)
    return best or (q.keys[0], q.keys[0].holds, 0.0)


def _kinds(key: Key, values: list[str]) -> list[str]:
    """The keys a column's values can be: an id column may hold another tool's id (an alias)."""
    if values and all("@" in v for v in values[:20]):
        return ["email"]
    if key.holds in ("id", "alias"):
        if values and all(domain_of(v) and "." in v and " " not in v for v in values[:20]):
            return ["domain"]
        return ["id", "alias"]
    return [key.holds]


def _keys(proposals: Proposal) -> None:
    """Each file's customer column and the key it holds: the master's id (default), an alias, a name ..."""
    book = Book(proposals.master) if proposals.master else None
    for q in proposals:
        if not q.used or q.table == "customers" or not q.keys or "customer_id" not in TABLES[q.table].names:
            continue
        if book is None:  # no customer master to join to: the customer column is taken as written
            q.reasons.pop("customer_id", None)
            required = TABLES[q.table].column("customer_id").required
            taken = {h for c, h in q.columns.items() if c != "customer_id"}  # a header read as two columns is one too many
            plain = [k for k in q.keys if k.group is None and k.header not in taken]
            key = q.keys[0] if q.keys[0].group is None else (plain[0] if plain and required else None)
            if key is None:
                q.note(
                    f"CHECK: no customer master to join the account ({q.keys[0].group!r} of {q.keys[0].header}) to: customer_id is "
                    "left unmapped, so these rows count for no per-customer figure; add your CRM's companies export"
                )
                q.columns.pop("customer_id", None)
                continue
            q.columns["customer_id"] = key.header
            if key.holds != "id" or key is not q.keys[0]:
                q.reason("customer_id", f"CHECK: holds the customer's {key.holds if key.holds != 'alias' else 'id'}, taken as its id (no customer master to join it to)")
            continue
        key, kind, rate = _best(q, book)
        values = key_values(q, key)
        n = len([v for v in values if kind != "email" or domain_of(v) not in PERSONAL_DOMAINS])
        if rate == 0:
            key = q.keys[0]
            kind = _kinds(key, key_values(q, key))[0]
            why = f"CHECK: no sampled value of {key.header!r} names a customer of {proposals.master.rel}"
        else:
            what = {"id": "its id", "alias": "another tool's id (an alias)", "name": "its name", "email": "an e-mail (else its domain)", "domain": "its domain"}[kind]
            why = f"{round(rate * n)} of {n} sampled values name a customer of {proposals.master.rel} by {what}"
        _apply_key(q, key, kind, why)


def _apply_key(q: FileProposal, key: Key, kind: str, why: str | None) -> None:
    q.columns["customer_id"] = key.header
    if key.group:
        q.set("customer_group", key.group, f"the account is the group {key.group!r} of the JSON column {key.header}")
    if kind != "id":
        q.set("customer_key", kind)
    elif "customer_key" in q.settings:
        del q.settings["customer_key"]
    if why:
        q.reason("customer_key", why)
    if not TABLES[q.table].column("customer_id").required:
        return
    q.missing_required = [c for c in q.missing_required if c != "customer_id"]


# --------------------------------------------------------------------------- currency, time zone, definitions

MONEY_TABLES = ("subscriptions", "invoices", "invoice_lines", "costs")
TIMED_TABLES = ("subscriptions", "invoices", "invoice_lines", "surveys", "tickets", "events", "leads")  # a day in the business's zone


def _currency(proposals: Proposal) -> None:
    found: Counter = Counter()
    for p in proposals:
        if p.used and p.table in MONEY_TABLES:
            for c in p.currencies:
                found[c] += 1
    codes = sorted(found)
    if len(codes) < 2:
        return
    base = "USD" if "USD" in codes else found.most_common(1)[0][0]
    proposals.currency_base = base
    proposals.rates_needed = [c for c in codes if c != base]
    proposals.currency_why = (
        f"CHECK: the exports hold {', '.join(codes)}; amounts are converted to {base} "
        f"({'the one most reports are read in' if base == 'USD' else 'the most frequent'}); with another base, change the rates too"
    )


# Signals of the country a business works in, and the zone they point to.
ZONE_SIGNALS = {
    "Asia/Bangkok": (re.compile(r"[\u0e00-\u0e7f]"), re.compile(r"\.(?:co\.|in\.|or\.|ac\.)?th\b|\bthailand\b|\bbangkok\b|\bchiang mai\b|\bthb\b|฿", re.I)),
    "Asia/Shanghai": (re.compile(r"[\u4e00-\u9fff]"), re.compile(r"\.(?:com\.)?cn\b|\bchina\b|\bshanghai\b|\bbeijing\b|\bshenzhen\b|\bcny\b|\brmb\b", re.I)),
    "Asia/Singapore": (None, re.compile(r"\.(?:com\.)?sg\b|\bsingapore\b|\bsgd\b", re.I)),
    "Asia/Tokyo": (re.compile(r"[\u3040-\u30ff]"), re.compile(r"\.(?:co\.)?jp\b|\bjapan\b|\btokyo\b|\bjpy\b", re.I)),
    "Asia/Jakarta": (None, re.compile(r"\.(?:co\.)?id\b|\bindonesia\b|\bjakarta\b|\bidr\b", re.I)),
    "Asia/Ho_Chi_Minh": (None, re.compile(r"\.vn\b|\bvietnam\b|\bvnd\b", re.I)),
}


def _timezone(proposals: Proposal) -> None:
    """The business's zone: named in a header (Intercom's `(Asia/Bangkok)`), else the country most of
    the exports point to (script, domains, cities, currencies), else UTC and a TODO."""
    named = Counter(p.settings["timezone"] for p in proposals if p.used and p.settings.get("timezone") not in (None, "UTC"))
    if named:
        zone = named.most_common(1)[0][0]
        proposals.timezone, proposals.timezone_certain = zone, True
        proposals.timezone_why = f"the exports' headers name it ({', '.join(p.rel for p in proposals if p.settings.get('timezone') == zone)})"
    else:
        counts: Counter = Counter()
        for p in proposals:
            if not (p.used or p in proposals.other_masters) or not p.sample:
                continue
            for row in p.sample.rows[:200]:
                for cell in row:
                    if not cell:
                        continue
                    for zone, (script, words) in ZONE_SIGNALS.items():
                        if (script and script.search(cell)) or words.search(cell):
                            counts[zone] += 1
        ranked = counts.most_common(2)
        if ranked and ranked[0][1] >= 3 and (len(ranked) == 1 or ranked[0][1] >= 1.25 * ranked[1][1]):
            zone = ranked[0][0]
            proposals.timezone = zone
            others = f", against {ranked[1][1]} for {ranked[1][0]}" if len(ranked) > 1 else ""
            proposals.timezone_why = f"CHECK: guessed from the exports' contents ({ranked[0][1]} values point to {zone.split('/')[1].replace('_', ' ')}{others}); it decides which day each time falls on"
        else:
            proposals.timezone = "UTC"
            proposals.timezone_why = ""
    for p in proposals:
        if p.settings.get("timezone") == proposals.timezone:
            del p.settings["timezone"]  # the file's zone is the config's: nothing to say
            p.reasons.pop("timezone", None)


def _definitions(proposals: Proposal) -> None:
    tickets = [p for p in proposals if p.used and p.table == "tickets"]
    if tickets and not any("contacts" in p.columns for p in tickets):
        for p in tickets:
            if "fcr" in p.metrics:
                proposals.metrics["fcr"] = p.metrics["fcr"]
                proposals.metric_reasons["fcr"] = p.reasons.get("fcr", "")
    tables = {p.table for p in proposals if p.used}
    if {"subscriptions", "invoice_lines"} <= tables:
        proposals.top["revenue_source"] = "invoice_lines"
        proposals.top_reasons["revenue_source"] = (
            "MRR from what was billed, each invoice line over its service period: past upgrades and downgrades "
            "stay visible, where the subscription export is a snapshot at today's seats and prices"
        )


def _undecided(proposals: Proposal) -> None:
    u = proposals.undecided
    for p in proposals:
        if p.table is None:
            u.append(f"{p.rel}: {'; '.join(p.notes) or 'no table recognised'}")
        elif p.used and p.missing_required:
            u.append(f"{p.rel}: no column found for {', '.join(p.missing_required)}")
    if proposals.master is None and any(p.used and p.keys and p.table != "customers" for p in proposals):
        tools = sorted({p.tool or p.rel for p in proposals if p.used and p.keys})
        if len(tools) > 1:
            u.append("no customer master (a CRM's companies export): each tool's customer ids are kept as they are, so files of different tools name the same customer differently")
    timed = any(p.used and p.table in TIMED_TABLES for p in proposals)
    if timed and proposals.timezone == "UTC" and not proposals.timezone_certain and not proposals.timezone_why:
        u.append("the business's time zone: no export says it")
