"""Reading the first bytes of an export: encoding, delimiter, rows."""

from __future__ import annotations

import codecs
import csv
import io
import re
from itertools import islice

from cs_metrics.init.matching import SYNONYMS, _compact, normalise_header

DELIMITERS = (",", ";", "\t", "|")
SAMPLE_BYTES = 64 * 1024
SAMPLE_VALUES = 50  # values looked at per column for the date format and the decimal comma

_THAI_CONSONANT = range(0x0E01, 0x0E2F)
_THAI_COMBINING = {0x0E31, *range(0x0E34, 0x0E3B), *range(0x0E47, 0x0E4F)}
_THAI_LEADING_VOWEL = range(0x0E40, 0x0E45)


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


