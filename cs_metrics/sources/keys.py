"""Customer keys: every table's customer column joined to the one canonical customer_id.

Each tool names a customer its own way: Stripe by `cus_…`, a CRM by its record id, Zendesk by the
organization's name, a survey by the respondent's e-mail. The customers table carries the keys
(`customer_id`, the `aliases` columns, `name`, `email`, `domain`) and each file of another table says
which one its customer column holds (`customer_key`). Here that column becomes the canonical
customer_id, once, where the table is read for a run — so every metric, `--by`, `report`, `check`
and `validate` see the same ids.

    id      the canonical customer_id, as written (the default)
    alias   a value of one of the customers' alias columns (another tool's id), as written
    name    the customer's name: case, surrounding and repeated spaces and Unicode width ignored
    email   the customer's e-mail (as for names); an e-mail no customer has matches by its domain
    domain  the customer's domain: of its `domain` column (a domain, a website or an e-mail,
            `https://www.acme.com/` -> `acme.com`) or of its `email`

A join never rejects, filters or drops a row: it only rewrites the customer column. What a reference
becomes when it does not name exactly one customer:
- empty: an anonymous row (a table whose customer_id is optional: surveys, tickets, events, leads);
- an e-mail or domain of a personal mailbox (gmail.com ...) that no customer has as its e-mail: an
  anonymous row where the table allows one — a person, not an account;
- anything else: an unknown customer. Its id is the reference itself for `id`, else the key and the
  reference (`name:Initech`, `email:ann@initech.com`, `domain:initech.com`), so that it can never
  be taken for a canonical id. A value several customers share (two CRM records with one name) is
  not guessed: its rows are unknown customers too. Both are warned about per file, with a count and
  examples; `--by` puts unknown and anonymous customers in the `(none)` segment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cs_metrics.contract import TABLES
from cs_metrics.errors import DataError

# Domains of personal mailboxes: an address there says nothing about the company (config:
# personal_email_domains adds to these).
PERSONAL_DOMAINS = frozenset(
    """gmail.com googlemail.com yahoo.com yahoo.co.th yahoo.co.uk yahoo.com.sg ymail.com hotmail.com hotmail.co.th
    hotmail.co.uk outlook.com outlook.co.th live.com msn.com icloud.com me.com mac.com aol.com gmx.com gmx.de gmx.net
    web.de mail.com proton.me protonmail.com zoho.com yandex.com yandex.ru mail.ru qq.com foxmail.com 163.com 126.com
    yeah.net sina.com sina.cn sohu.com aliyun.com 139.com naver.com daum.net hanmail.net""".split()
)
EXAMPLES = 3  # references shown in a warning
KINDS = ("id", "alias", "name", "email", "domain")


# --------------------------------------------------------------------------- normal forms


def normal_text(values: pd.Series) -> pd.Series:
    """Names and e-mails compared: Unicode compatibility form (full-width letters as ASCII),
    case-folded, surrounding spaces dropped, inner runs of spaces (tabs, NBSP) made one space."""
    text = values.astype("object").where(values.notna())
    out = text.str.normalize("NFKC").str.replace(r"\s+", " ", regex=True).str.strip().str.casefold()
    return out.where(out != "")


def normal_email(values: pd.Series) -> pd.Series:
    """An e-mail address compared: as a name, with a `mailto:` prefix and any space dropped."""
    out = normal_text(values).str.replace(r"^mailto:|\s", "", regex=True)
    return out.where(out != "")


def domain_of(values: pd.Series) -> pd.Series:
    """The domain of a domain, a website or an e-mail: `https://www.Acme.com/pricing` -> `acme.com`,
    `jane@acme.com` -> `acme.com` (no scheme, user, path, port, leading `www.` or trailing dot)."""
    text = normal_text(values)
    text = text.str.replace(r"^[a-z][a-z0-9+.\-]*://", "", regex=True)  # scheme
    text = text.str.replace(r"[/?#\s].*$", "", regex=True)  # path, query, fragment
    text = text.str.rsplit("@", n=1).str[-1]  # e-mail or user@host
    text = text.str.replace(r":\d*$", "", regex=True).str.replace(r"^www\d*\.", "", regex=True).str.strip(".")
    return text.where(text != "")


def _group(values: pd.Series, group: str) -> pd.Series:
    """A JSON object of group type -> group name (Amplitude's `groups`): the name of `group` (the first
    of a list). A value that is no such object stays as it is, and so matches nothing."""

    def pick(text):
        if not isinstance(text, str) or not text.lstrip().startswith("{"):
            return text
        try:
            obj = json.loads(text)
        except ValueError:
            return text
        value = obj.get(group) if isinstance(obj, dict) else None
        if isinstance(value, list):
            value = value[0] if value else None
        return None if value is None or str(value).strip() == "" else str(value).strip()

    return values.map(pick)  # distinct references only: a few per customer


def _normal(values: pd.Series, key: str) -> pd.Series:
    if key in ("id", "alias"):
        out = values.astype("object").where(values.notna()).str.strip()
        return out.where(out != "")
    if key == "name":
        return normal_text(values)
    if key == "email":
        return normal_email(values)
    return domain_of(values)


# --------------------------------------------------------------------------- the customers' keys


@dataclass
class CustomerKeys:
    """Per key: normal form -> canonical customer_id for values that name one customer, and the
    values that several customers share (normal form -> their ids)."""

    ids: pd.Index
    unique: dict[str, pd.Series] = field(default_factory=dict)
    shared: dict[str, pd.Series] = field(default_factory=dict)
    personal: frozenset = PERSONAL_DOMAINS

    @classmethod
    def of(cls, customers: pd.DataFrame, aliases=(), personal=PERSONAL_DOMAINS, keys=None) -> CustomerKeys:
        """`keys`: the keys the run joins by (None: every key the customers carry); an e-mail join
        falls back to the domain, so it builds both."""
        ids = customers["customer_id"]
        book = cls(pd.Index(ids.dropna().unique()), personal=personal)
        wanted = None if keys is None else set(keys) | ({"domain"} if "email" in keys else set())

        def want(key: str) -> bool:
            return wanted is None or key in wanted

        values: dict[str, list[pd.Series]] = {
            "alias": [_normal(customers[c], "alias") for c in aliases if c in customers] if want("alias") else [],
            "name": [normal_text(customers["name"])] if "name" in customers and want("name") else [],
            "email": [normal_email(customers["email"])] if "email" in customers and want("email") else [],
            "domain": [domain_of(customers[c]) for c in ("domain", "email") if c in customers] if want("domain") else [],
        }
        for key, columns in values.items():
            if not columns:
                continue
            every_id = pd.concat([ids] * len(columns), ignore_index=True)
            pairs = pd.DataFrame({"value": pd.concat(columns, ignore_index=True), "id": every_id})
            pairs = pairs.dropna().drop_duplicates()
            if key == "domain":  # a customer's gmail.com address does not make gmail.com its domain
                pairs = pairs[~pairs["value"].isin(personal)]
            many = pairs["value"].duplicated(keep=False)
            book.unique[key] = pairs.loc[~many].set_index("value")["id"]
            book.shared[key] = pairs.loc[many].groupby("value", sort=False)["id"].agg(lambda s: ", ".join(map(str, s)))
        return book

    @property
    def id_values(self):
        import pyarrow as pa

        return pa.array(self.ids.to_numpy(dtype=object), type=pa.string())

    def has(self, key: str) -> bool:
        return key == "id" or key in self.unique or (key == "email" and "domain" in self.unique)


@dataclass
class Outcome:
    """What the join made of one file's references (row counts, and examples as written)."""

    unknown: int = 0
    unknown_examples: list = field(default_factory=list)
    shared: int = 0
    shared_examples: list = field(default_factory=list)
    anonymous: int = 0


def join(
    refs: pd.Series, key: str, book: CustomerKeys, *, anonymous_ok: bool, group: str | None = None
) -> tuple[pd.Series, Outcome]:
    """The canonical customer_id of each reference (see the module's docstring), and the outcome.
    Vectorised over the distinct references: a file of ten million events names a few thousand."""
    if key == "id" and not group:
        return refs, _check_ids(refs, book)
    codes, uniques = pd.factorize(refs)
    written = raw = pd.Series(np.asarray(uniques, dtype=object))
    if group:
        raw = _group(raw, group)
    normal = _normal(raw, key)
    nothing = pd.Series(np.nan, index=raw.index, dtype=object)
    found, sharing = nothing, nothing  # the customer named; the customers that share the value
    if key == "id":
        found = normal.where(normal.isin(book.ids))
    else:
        if key in book.unique:
            found, sharing = normal.map(book.unique[key]), normal.map(book.shared[key])
        if key == "email" and "domain" in book.unique:  # no customer has the address: its domain
            domain = domain_of(normal)
            open_ = found.isna() & sharing.isna()
            sharing = sharing.where(~open_, domain.map(book.shared["domain"]))
            found = found.where(~open_, domain.map(book.unique["domain"]))
    shared = sharing.notna()
    missing = normal.isna()
    personal_mail = domain_of(normal).isin(book.personal) if key in ("email", "domain") else False
    anonymous = (missing | personal_mail) & found.isna() & ~shared & anonymous_ok
    unknown = found.isna() & ~shared & ~anonymous & ~missing
    out = found.where(found.notna(), _labels(raw.where(raw.notna(), written), normal, key)).where(~anonymous)
    per_value = np.bincount(codes[codes >= 0], minlength=len(raw))
    outcome = Outcome(
        unknown=int(per_value[unknown.to_numpy(dtype=bool)].sum()),
        unknown_examples=[str(v) for v in raw[unknown].head(EXAMPLES)],
        shared=int(per_value[shared.to_numpy(dtype=bool)].sum()),
        shared_examples=[f"{v} ({ids})" for v, ids in zip(raw[shared].head(EXAMPLES), sharing[shared].head(EXAMPLES))],
        anonymous=int(per_value[anonymous.to_numpy(dtype=bool)].sum()),
    )
    per_distinct = pd.array(out.to_numpy(dtype=object), dtype=refs.dtype)
    joined = per_distinct.take(codes, allow_fill=True)  # Arrow's take for Arrow strings: no Python objects per row
    return pd.Series(joined, index=refs.index), outcome


def _check_ids(refs: pd.Series, book: CustomerKeys) -> Outcome:
    """customer_id that are canonical ids already: only count the unknown ones (Arrow's hash lookup)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ids = pa.array(refs, from_pandas=True)
    if pa.types.is_null(ids.type):  # no row, or no id at all (pandas 2 gives such a column no type)
        return Outcome()
    unknown = pc.and_(pc.is_valid(ids), pc.invert(pc.is_in(ids, value_set=book.id_values)))
    n = pc.sum(unknown).as_py() or 0
    examples = pc.unique(pc.filter(ids, unknown)).slice(0, EXAMPLES).to_pylist() if n else []
    return Outcome(unknown=n, unknown_examples=examples)


def _labels(raw: pd.Series, normal: pd.Series, key: str) -> pd.Series:
    """The id of an unknown customer: the reference itself for `id`, else `key:reference` — the
    normal form for e-mails and domains, the first spelling for names and aliases."""
    if key == "id":
        return raw
    if key in ("email", "domain"):
        shown = normal.where(normal.notna(), raw)
    else:  # names that differ only in case or spacing are one unknown customer: the first spelling
        spelled = raw.astype("object").str.replace(r"\s+", " ", regex=True).str.strip()
        shown = spelled.groupby(normal.fillna("\0" + raw.astype(str)), sort=False).transform("first")
    return key + ":" + shown.astype(str)


# --------------------------------------------------------------------------- one table of a run


def used_keys(cfg) -> set[str]:
    """The keys the config's files name their customers by (customers: what referred_by holds)."""
    return {fc.customer_key for src in cfg.sources.values() for fc in src.file_configs()} | {"id"}


def aliases_of(cfg) -> list[str]:
    return list(dict.fromkeys(a for fc in cfg.source("customers").file_configs() for a in fc.aliases))


def always_read(cfg, name: str) -> list[str]:
    """Columns read whichever metric asks: the table's customer reference, which every command joins
    and warns about alike; for customers, also the columns of the keys the config uses."""
    if name != "customers":
        return ["customer_id"] if TABLES[name].column("customer_id") is not None else []
    keys = used_keys(cfg) - {"id"}
    return ["referred_by"] + (["name", "email", "domain", *aliases_of(cfg)] if keys else [])


def canonical(ds, name: str, frame: pd.DataFrame, report) -> pd.DataFrame:
    """The table with its customer column joined to canonical ids (referred_by in customers); each
    file's unmatched references are warned about on the table's report and in ds.references."""
    ds.references.pop(name, None)
    cfg = ds.cfg
    files = cfg.files_of(name)
    customers_file = cfg.path_of("customers").name
    warnings: list[str] = []
    if name == "customers":
        book = CustomerKeys.of(frame, aliases_of(cfg), _personal(cfg), used_keys(cfg))
        ds.customer_keys = (frame, book)
        warnings += _clashes(book, used_keys(cfg), customers_file)
        column = "referred_by"
    else:
        column = "customer_id"
        if column not in frame:
            return frame
        plain = all(fc.customer_key == "id" and not fc.customer_group for _, fc in files)
        book = customer_book(ds, need=not plain, asker=name)
        if book is None and plain:
            return frame  # no customers table to check the ids against
    if column in frame:
        anonymous_ok = not TABLES[name].column(column).required
        joined = []
        for (path, fc), (start, stop) in zip(files, _blocks(report, len(frame), len(files))):
            key = fc.customer_key
            if not book.has(key):
                raise _no_key_column(cfg, name, key)
            refs = frame[column].iloc[start:stop]
            part, outcome = join(refs, key, book, anonymous_ok=anonymous_ok, group=fc.customer_group)
            joined.append(part)
            warnings += _warnings(path.name, column, key, outcome, customers_file)
        frame[column] = pd.concat(joined) if len(joined) > 1 else joined[0]
    if warnings:
        report.warnings += warnings
        ds.references[name] = warnings
    return frame


def customer_book(ds, need: bool, asker: str) -> CustomerKeys | None:
    """The customers' keys of the run. Without a usable customers table: None when the table only
    checks its ids against it, an error when it joins by another key."""
    cfg = ds.cfg
    if not ds.exists("customers"):
        if need:
            raise DataError(
                f"sources.{asker}.customer_key joins {asker} to the customers table, but there is none "
                f"({ds.why_absent('customers')})",
                "Map the customer export under sources.customers, or set customer_key: id",
            )
        return None
    lacking = [a for a in aliases_of(cfg) if not ds.exists("customers", a)]
    if need and lacking:
        raise DataError(
            f"sources.customers.aliases: {cfg.path_of('customers').name} has no column '{lacking[0]}'",
            "Write the header exactly as the export does (or a name mapped under sources.customers.columns)",
        )
    try:
        customers = ds.table("customers", ("customer_id",))
    except DataError:
        if need:
            raise
        return None  # only a check of the ids: validate reports why customers cannot be read
    broken = ds.reports["customers"].broken()
    if broken:
        if need:
            why = f"{asker} cannot be joined to its customers: {broken}"
            raise DataError(why, "Run `cs-metrics validate` for the line numbers")
        return None
    if ds.customer_keys is None or ds.customer_keys[0] is not customers:
        ds.customer_keys = (customers, CustomerKeys.of(customers, aliases_of(cfg), _personal(cfg), used_keys(cfg)))
    return ds.customer_keys[1]


def _personal(cfg) -> frozenset:
    return PERSONAL_DOMAINS | {d.strip().lower().removeprefix("@") for d in cfg.personal_email_domains}


def _blocks(report, n: int, nfiles: int) -> list[tuple[int, int]]:
    """Row ranges of each file in the table's frame: the files' usable rows, in order."""
    if nfiles == 1:
        return [(0, n)]
    used = [r.used for r in report.files]
    if len(used) != nfiles or sum(used) != n:
        raise AssertionError(f"{report.table}: {sum(used)} usable rows in the files' reports, {n} in the table")
    edges = np.concatenate([[0], np.cumsum(used)])
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]


def _rows(n: int) -> str:
    return f"{n:,} row references" if n == 1 else f"{n:,} rows reference"


def _warnings(file: str, column: str, key: str, outcome: Outcome, customers_file: str) -> list[str]:
    out = []
    if outcome.unknown:
        what = f"a {column} not in {customers_file}" if key == "id" else f"no customer of {customers_file} by {key}"
        examples = ", ".join(outcome.unknown_examples)
        out.append(f"{file}: {_rows(outcome.unknown)} {what} (e.g. {examples}): counted as unknown customers")
    if outcome.shared:
        examples = "; ".join(outcome.shared_examples)
        out.append(
            f"{file}: {_rows(outcome.shared)} a {key} that several customers share (e.g. {examples}): "
            "not joined to any of them, counted as unknown customers"
        )
    return out


def _clashes(book: CustomerKeys, keys: set[str], file: str) -> list[str]:
    """Key values several customers hold (two CRM records of one company): a reference by one of them
    cannot be joined, so say so once, on the customers table."""
    out = []
    for key in ("alias", "name", "email", "domain"):
        shared = book.shared.get(key)
        in_use = key in keys or (key == "domain" and "email" in keys)
        if shared is not None and len(shared) and in_use:
            value, ids = next(iter(shared.items()))
            what = {"alias": "alias id", "name": "name", "email": "e-mail", "domain": "domain"}[key]
            many = f"{len(shared):,} {what}s belong" if len(shared) > 1 else f"1 {what} belongs"
            out.append(
                f"{file}: {many} to several customers (e.g. '{value}': {ids}): a reference by it is joined to none of them"
            )
    return out


def _no_key_column(cfg, name: str, key: str) -> DataError:
    if key == "alias":
        return DataError(
            f"sources.{name}.customer_key is alias, but the customers table names no alias column",
            'List the columns of other tools\' ids: sources.customers.aliases: ["Stripe Customer ID"]',
        )
    need = {"name": "name", "email": "email or domain", "domain": "domain or email"}[key]
    return DataError(
        f"sources.{name}.customer_key is {key}, but {cfg.path_of('customers').name} has no {need} column",
        f"Map it in the config: sources.customers.columns.{need.split()[0]}",
    )
