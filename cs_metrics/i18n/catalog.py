"""The catalogues: gettext `.po` files beside this module, one per language, read with a small
parser (msgctxt, msgid, msgstr, continued strings, escapes; `#, fuzzy` entries count as missing).
`.po` is the file every translation tool edits (Poedit, Weblate, Crowdin, Lokalise); reading it
directly leaves no compiled `.mo` to keep in step."""

from __future__ import annotations

import functools
import re
from pathlib import Path

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _unquote(line: str, where: str) -> str:
    m = _STRING.fullmatch(line.strip())
    if m is None:
        raise ValueError(f"{where}: expected a quoted string, got {line.strip()[:60]!r}")
    body = m.group(1)
    return re.sub(r"\\(.)", lambda e: _ESCAPES.get(e.group(1), e.group(1)), body) if "\\" in body else body


def parse(text: str, name: str = "catalogue") -> list[dict]:
    """The entries of a .po text: dicts with ctxt (or None), msgid, msgstr, fuzzy, line."""
    entries: list[dict] = []
    entry: dict = {}
    key = None

    def close() -> None:
        nonlocal entry, key
        if "msgid" in entry:
            entries.append(entry)
        entry, key = {}, None

    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            close()
            continue
        if line.startswith("#"):
            if "msgstr" in entry:
                close()
            if line.startswith("#,") and "fuzzy" in line:
                entry["fuzzy"] = True
            continue
        word, _, rest = line.partition(" ")
        if word in ("msgctxt", "msgid", "msgstr"):
            if word in ("msgctxt", "msgid") and "msgstr" in entry:
                close()
            if word == "msgid" and "msgid" in entry:
                raise ValueError(f"{name}:{n}: msgid without msgstr before it")
            key = word
            entry.setdefault("line", n)
            entry[key] = _unquote(rest, f"{name}:{n}")
        elif line.startswith('"') and key is not None:
            entry[key] += _unquote(line, f"{name}:{n}")
        else:
            raise ValueError(f"{name}:{n}: cannot read {line[:60]!r}")
    close()
    for e in entries:
        e.setdefault("msgctxt", None)
        e.setdefault("msgstr", "")
        e.setdefault("fuzzy", False)
    return entries


def key(entry: dict) -> str:
    """gettext's lookup key: `context\\x04msgid`, or the msgid alone."""
    return f"{entry['msgctxt']}\x04{entry['msgid']}" if entry["msgctxt"] else entry["msgid"]


def read(lang: str) -> list[dict]:
    text = (Path(__file__).parent / f"{lang}.po").read_text(encoding="utf-8")  # package data beside this module
    return parse(text, f"{lang}.po")


@functools.lru_cache(maxsize=None)
def load(lang: str) -> dict[str, str]:
    """key -> translation of the language's catalogue (untranslated and fuzzy entries left out)."""
    return {key(e): e["msgstr"] for e in read(lang) if e["msgid"] and e["msgstr"] and not e["fuzzy"]}
