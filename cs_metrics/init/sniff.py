"""Reading the first bytes of an export: encoding, delimiter, rows."""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

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




# ---------------------------------------------------------------------------------------------
# A sample of one export file, whatever its format
# ---------------------------------------------------------------------------------------------

EXTENSIONS = (".csv", ".tsv", ".txt", ".gz", ".xlsx", ".xlsm", ".parquet", ".pq")
SAMPLE_ROWS = 200  # rows of a workbook or Parquet file looked at


@dataclass
class Sample:
    """The header and the first rows of an export, as text."""

    path: Path
    rel: str  # the path from the folder init looks at, with `/`
    format: str = "csv"  # csv | xlsx | parquet (config `format`; a .gz file is compressed CSV)
    encoding: str = "utf-8-sig"
    delimiter: str = ","
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    complete: bool = True  # the sample is the whole file
    sheet: str | None = None  # xlsx: the sheet read (the first)
    problem: str | None = None  # why nothing could be read

    def index(self, header: str) -> int | None:
        try:
            return self.headers.index(header)
        except ValueError:
            return None

    def values(self, header: str | None, limit: int | None = SAMPLE_VALUES) -> list[str]:
        """The non-empty values of a column, stripped, in file order (at most `limit`)."""
        i = self.index(header) if header else None
        if i is None:
            return []
        out = []
        for row in self.rows:
            if i < len(row) and row[i].strip():
                out.append(row[i].strip())
                if limit and len(out) == limit:
                    break
        return out

    def column(self, header: str) -> list[str]:
        """Every cell of a column in the sample, empty ones included, in file order."""
        i = self.index(header)
        return [row[i].strip() if i is not None and i < len(row) else "" for row in self.rows]


def export_files(folder: Path) -> list[Path]:
    """Export files under `folder`, subfolders included (one per tool, as people keep them),
    sorted by path; hidden files and folders, Excel's lock files (~$) and virtualenvs are skipped."""
    out = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).parts
        if any(part.startswith((".", "~$", "__")) for part in rel) or not path.is_file():
            continue
        name = path.name.lower()
        if name.endswith(EXTENSIONS) and (not name.endswith(".gz") or name[:-3].endswith((".csv", ".tsv", ".txt"))):
            out.append(path)
    return out


def read_sample(path: Path, folder: Path) -> Sample:
    sample = Sample(path, path.relative_to(folder).as_posix())
    name = path.name.lower()
    try:
        if name.endswith((".xlsx", ".xlsm")):
            _read_xlsx(sample)
        elif name.endswith((".parquet", ".pq")):
            _read_parquet(sample)
        else:
            _read_csv(sample)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is reported, never a traceback
        sample.problem = f"cannot be read: {getattr(exc, 'strerror', None) or exc}"
    return sample


def _read_csv(sample: Sample) -> None:
    if sample.path.name.lower().endswith(".gz"):
        import gzip

        with gzip.open(sample.path, "rb") as f:
            raw = f.read(SAMPLE_BYTES + 1)
    else:
        with sample.path.open("rb") as f:
            raw = f.read(SAMPLE_BYTES + 1)
    complete = len(raw) <= SAMPLE_BYTES
    raw = raw[:SAMPLE_BYTES]
    if not raw.strip():
        sample.problem = "empty file"
        return
    encoding, text = detect_encoding(raw, complete)
    delimiter = detect_delimiter(text)
    rows = _parse(text, delimiter)
    if not complete and len(rows) > 1:
        rows = rows[:-1]  # the sample may end inside the last row
    sample.encoding, sample.delimiter, sample.complete = encoding, delimiter, complete
    # Stripped, as the loader strips them; empty cells stay, so positions match the data rows.
    sample.headers = [h.strip() for h in rows[0]] if rows else []
    sample.rows = [r for r in rows[1:] if any(c.strip() for c in r)]


def _cell_text(value) -> str:
    """A workbook cell as the text a CSV export would hold: 18245551001, not 18245551001.0."""
    from datetime import date, datetime, time

    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _read_xlsx(sample: Sample) -> None:
    from openpyxl import load_workbook

    sample.format = "xlsx"
    book = load_workbook(sample.path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        sample.sheet = sheet.title
        rows = [[_cell_text(v) for v in row] for row in sheet.iter_rows(max_row=SAMPLE_ROWS + 1, values_only=True)]
        sample.complete = (sheet.max_row or 0) <= SAMPLE_ROWS + 1
    finally:
        book.close()
    rows = [r for r in rows if any(c.strip() for c in r)]
    sample.headers = [h.strip() for h in rows[0]] if rows else []
    sample.rows = rows[1:]


def _read_parquet(sample: Sample) -> None:
    import pyarrow.parquet as pq

    sample.format = "parquet"
    pf = pq.ParquetFile(sample.path)
    sample.headers = list(pf.schema_arrow.names)
    batch = next(pf.iter_batches(batch_size=SAMPLE_ROWS), None)
    sample.complete = pf.metadata.num_rows <= SAMPLE_ROWS
    if batch is not None:
        cols = [["" if v is None else _cell_text(v) for v in col.to_pylist()] for col in batch.columns]
        sample.rows = [list(r) for r in zip(*cols)]
