"""What `init --from` knows about the exports of real tools, one small declarative module per family.

Each module (billing, crm, support, surveys, analytics ...) holds a list `EXPORTS` of `Export`
entries: the headers that identify a tool's export (`signature`), the canonical column each of its
headers feeds (`columns`), the columns that name the customer and which key they hold (`keys`),
and the tool's defaults (`settings`: statuses, time zone, minor units, fixed values, value maps,
extra header rows ...), each with the one-line reason `init` writes beside it. A tool is added by
adding one entry (or one module) here and one fixture folder in tests/data/exports/: every module
of this package is read, nothing else changes.

A header is named exactly as the tool writes it; matching ignores case and surrounding spaces.
A tuple names alternatives (the first present wins), `Rx` a regular expression (for question
columns headed by their text). This package imports nothing heavy: `init` stays fast.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass, field
from functools import lru_cache
from collections.abc import Callable
from typing import Any

KEY_KINDS = ("id", "alias", "name", "email", "domain")


@dataclass(frozen=True)
class Rx:
    """A header given by a regular expression (searched, case-insensitive): question columns."""

    pattern: str

    def matches(self, header: str) -> bool:
        return re.search(self.pattern, header, re.IGNORECASE) is not None


Header = "str | tuple[str, ...] | Rx"


@dataclass(frozen=True)
class Key:
    """A column that names the customer, and what it holds: the tool's own id (`id`), a name,
    a person's e-mail, a domain. `group` names the group inside a JSON column (Amplitude's
    `groups`: {"company_id": "cus_..."})."""

    header: Any
    holds: str = "id"
    group: str | None = None
    why: str = ""

    def __post_init__(self) -> None:
        if self.holds not in KEY_KINDS:
            raise ValueError(f"Key {self.header!r}: holds must be one of {KEY_KINDS}")


@dataclass(frozen=True)
class Master:
    """A CRM export that can be the customer master: the headers of its other keys."""

    name: Any = None
    domain: Any = None  # a domain or a website
    email: Any = None
    aliases: Any = None  # Rx (or tuple) of headers holding other tools' ids for the customer
    referred_by_holds: str = "name"  # what the referral column holds, when it is mapped


@dataclass(frozen=True)
class Export:
    """One export of one tool."""

    tool: str  # "Stripe"
    export: str  # "subscriptions export"
    table: str  # the canonical table it feeds
    signature: tuple[Any, ...]  # headers that identify the export (3/4 of them must be present); a tuple: alternatives
    columns: dict[str, Any]  # canonical column -> header (str), alternatives (tuple) or Rx
    keys: tuple[Key, ...] = ()  # the columns naming the customer, the preferred first
    settings: dict[str, Any] = field(default_factory=dict)  # file keys of the config: timezone, amount_divisor, fixed ...
    reasons: dict[str, str] = field(default_factory=dict)  # setting or column -> why (written beside it)
    notes: tuple[str, ...] = ()  # what a reader of the proposal should know about this export
    master: Master | None = None  # a CRM export: the customer master's other keys
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)  # metric definitions the export implies
    prefer: int = 0  # several exports of one table from one tool: the highest is used
    same_money_as: tuple[str, ...] = ()  # exports of this tool holding the same revenue (payments vs invoices)
    refine: Callable | None = None  # content-dependent choices: refine(proposal, sample) (survey kind, value maps)

    @property
    def name(self) -> str:
        return f"{self.tool} {self.export}"


def norm(header: str) -> str:
    """A header as compared: stripped, case-folded, inner runs of spaces collapsed."""
    return " ".join(str(header).split()).casefold()


def find(spec: Any, headers: list[str], taken: set[str] = frozenset()) -> str | None:
    """The header `spec` names among `headers` (None when absent)."""
    if spec is None:
        return None
    if isinstance(spec, Rx):
        return next((h for h in headers if h not in taken and spec.matches(h)), None)
    for alternative in spec if isinstance(spec, tuple) else (spec,):
        if isinstance(alternative, Rx):
            got = find(alternative, headers, taken)
            if got:
                return got
            continue
        wanted = norm(alternative)
        got = next((h for h in headers if h not in taken and norm(h) == wanted), None)
        if got:
            return got
    return None


def find_all(spec: Any, headers: list[str]) -> list[str]:
    if spec is None:
        return []
    specs = spec if isinstance(spec, tuple) else (spec,)
    out: list[str] = []
    for s in specs:
        if isinstance(s, Rx):
            out += [h for h in headers if s.matches(h) and h not in out]
        else:
            out += [h for h in headers if norm(h) == norm(s) and h not in out]
    return out


def signature_share(export: Export, headers: list[str]) -> float:
    return sum(find(h, headers) is not None for h in export.signature) / len(export.signature)


@lru_cache(maxsize=1)
def exports() -> tuple[Export, ...]:
    """Every Export of every module of this package, in module then list order."""
    found: list[Export] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found += list(getattr(module, "EXPORTS", ()))
    return tuple(found)


MIN_SIGNATURE = 0.75  # share of an export's signature headers a file must have to be that export


def recognise(headers: list[str]) -> tuple[Export, float] | None:
    """The export these headers come from, with the share of its signature found; None when no
    tool's signature is (mostly) there. Ties go to the longer signature (the more specific)."""
    best: tuple[float, int, Export] | None = None
    for export in exports():
        share = signature_share(export, headers)
        if share >= MIN_SIGNATURE and (best is None or (share, len(export.signature)) > best[:2]):
            best = (share, len(export.signature), export)
    return (best[2], best[0]) if best else None
