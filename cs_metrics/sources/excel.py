"""Excel workbooks (.xlsx, .xlsm), as HubSpot and Salesforce export them by default.

A sheet is read with python-calamine (the Rust calamine reader): a 100,000-row sheet of 10 columns
in about 1 s of CPU, where openpyxl's read-only mode takes 13 s (benchmarks/bench_xlsx.py). It is
imported only when a workbook is read, so no other command pays for it.

Every cell becomes the text a CSV export of the sheet would hold, so that it goes through the same
parsing and row accounting as a CSV cell: text as written; numbers as plain decimals, whole numbers
without `.0` (the number 18245551001 is the id `18245551001`); dates and datetimes as ISO
(`2026-06-03`, `2026-06-03T09:15:00`, to the second); true/false; durations as `43:45:00`; an empty
cell empty. A real date or number cell reads whatever the file's config says for dates typed as text:
with a `date_format` or `datetime_format` its dates are written in that format, with `decimal_comma`
its numbers with a decimal comma.

The header is the sheet's first row (leading empty rows and columns are no part of the table); an
empty row is skipped, as a blank line of a CSV is, and records are named by their row in the sheet.
A cell holding an Excel error reads as its text (`#N/A`, `#DIV/0!`), as in a CSV export: calamine
gives it as empty, so the sheet's XML is searched for error cells (about 0.2 s per 100,000 rows).
"""

from __future__ import annotations

import datetime as dt
import mmap
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from cs_metrics.errors import DataError

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a compound (OLE) file: an encrypted workbook, or an old .xls
_ENCRYPTED = "EncryptionInfo".encode("utf-16-le")  # the stream an encrypted OOXML package holds
_SAVE_AS = "Open it in Excel and save it again as .xlsx, or save the sheet as CSV UTF-8"
_WHOLE_LIMIT = 2.0**53  # floats below this in magnitude hold every whole number exactly

# The last sheet loaded (calamine's own compact copy): the header and the records come from one load.
_CACHE: dict = {}


# --------------------------------------------------------------------------- the sheet


def _sheet(path: Path, fc) -> dict:
    """The configured sheet, loaded once while the file is unchanged: {sheet, name, first_row (the
    sheet row of its header), numbers (record rows, once asked for)}."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise DataError(f"{path}: cannot be read: {exc.strerror}", file=str(path)) from None
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size, fc.sheet)
    if _CACHE.get("key") != key:
        _CACHE.clear()
        _CACHE.update(_load(path, fc), key=key, numbers=None)
    return _CACHE


def _load(path: Path, fc) -> dict:
    _check_container(path)
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except CalamineError as exc:
        raise _unreadable(path, exc) from None
    except OSError as exc:
        raise DataError(f"{path}: cannot be read: {exc.strerror or exc}", file=str(path)) from None
    with workbook:
        name = _pick(path, workbook.sheet_names, fc.sheet)
        try:
            sheet = workbook.get_sheet_by_name(name)
            first = sheet.to_python(skip_empty_area=True, nrows=1)
        except CalamineError as exc:
            raise _unreadable(path, exc) from None
    if not first or not any(v != "" for v in first[0]):
        raise DataError(
            f"{path}: the sheet '{name}' is empty (no header row)",
            "Pick the sheet that holds the export: sources.<table>.sheet (a name or a 0-based index)",
            file=str(path),
        )
    start = sheet.start or (0, 0)
    errors = {(r - start[0], c - start[1]): text for (r, c), text in _error_cells(path, name).items()}
    return {"sheet": sheet, "name": name, "first_row": start[0] + 1, "errors": errors}


def _rows(loaded: dict, nrows: int | None = None) -> list[list]:
    """The rows of the sheet from its header on, as Python values (an empty cell is ''; a cell
    holding an Excel error is its text, `#N/A`, as a CSV export writes it)."""
    rows = loaded["sheet"].to_python(skip_empty_area=True, nrows=nrows)
    for (r, c), text in loaded["errors"].items():
        if 0 <= r < len(rows) and 0 <= c < len(rows[r]):
            rows[r][c] = text
    return rows


_CHUNK = 1 << 22  # bytes of sheet XML searched at a time
_ERROR_CELL = re.compile(rb'<c\b[^>]*?\bt="e"[^>]*>.*?</c>', re.DOTALL)
_REF = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')
_VALUE = re.compile(rb"<v>([^<]{0,40})</v>")


def _error_cells(path: Path, name: str) -> dict[tuple[int, int], str]:
    """The cells of the sheet that hold an Excel error (0-based row, column -> `#N/A` ...), which
    calamine reads as empty: found in the sheet's XML, one pass, the pattern run only on the parts
    that hold an error. Best effort: a package laid out otherwise than Excel's yields none."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as package:
            part = _sheet_part(package, name)
            if part is None:
                return {}
            found: dict[tuple[int, int], str] = {}
            carry = b""
            with package.open(part) as fh:
                for chunk in iter(lambda: fh.read(_CHUNK), b""):
                    data = carry + chunk
                    if b't="e"' in data:
                        for cell in _ERROR_CELL.finditer(data):
                            ref, value = _REF.search(cell.group()), _VALUE.search(cell.group())
                            if ref and value:
                                found[(int(ref.group(2)) - 1, _column_index(ref.group(1)))] = value.group(1).decode("utf-8", "replace")
                    cut = data.rfind(b"<c ")  # a cell cut by the chunk's end is read again with the next chunk
                    carry = data[cut:] if cut >= 0 and len(data) - cut < 4096 else b""
            return found
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return {}


def _sheet_part(package, name: str) -> str | None:
    """The zip member of the sheet named `name` (workbook.xml's sheet -> its relationship's target)."""
    from xml.etree import ElementTree

    workbook = ElementTree.fromstring(package.read("xl/workbook.xml"))
    rid = next(
        (v for el in workbook.iter() if el.tag.endswith("}sheet") and el.get("name") == name for k, v in el.attrib.items() if k.endswith("}id")),
        None,
    )
    rels = ElementTree.fromstring(package.read("xl/_rels/workbook.xml.rels"))
    target = next((el.get("Target") for el in rels.iter() if el.get("Id") == rid), None)
    if rid is None or not target:
        return None
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _column_index(letters: bytes) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ch - 64
    return index - 1


def _check_container(path: Path) -> None:
    """A password-protected workbook is an encrypted compound file, not a zip: say so, not 'corrupt'."""
    try:
        with open(path, "rb") as fh:
            magic = fh.read(8)
            if magic != _OLE:
                return
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                encrypted = mm.find(_ENCRYPTED) >= 0
    except OSError as exc:
        raise DataError(f"{path}: cannot be read: {exc.strerror}", file=str(path)) from None
    if encrypted:
        raise DataError(
            f"{path}: the workbook is password-protected (encrypted), so its sheets cannot be read",
            "Open it in Excel, remove the password (File > Info > Protect Workbook > Encrypt with Password: "
            "clear it) and save, or save the sheet as CSV UTF-8",
            file=str(path),
        )
    raise DataError(
        f"{path}: is an Excel 97-2003 workbook (.xls) or another OLE document, not an .xlsx workbook",
        _SAVE_AS,
        file=str(path),
    )


def _unreadable(path: Path, exc: Exception) -> DataError:
    detail = " ".join(str(exc).split())[:160] or type(exc).__name__
    return DataError(f"{path}: cannot be read as an Excel workbook (.xlsx): {detail}", _SAVE_AS, file=str(path))


def _pick(path: Path, names: list[str], wanted) -> str:
    """The sheet's name from the config's `sheet`: a name (exact, else ignoring case and surrounding
    spaces), a 0-based index, or None for the first sheet."""
    if not names:
        raise DataError(f"{path}: the workbook has no sheets", _SAVE_AS, file=str(path))
    listed = ", ".join(f"'{n}'" for n in names[:10]) + (", ..." if len(names) > 10 else "")
    fix = f"Set sources.<table>.sheet to one of {listed} (a name, or a 0-based index: 0 is the first)"
    if wanted is None:
        return names[0]
    if isinstance(wanted, str):
        if wanted in names:
            return wanted
        loose = [n for n in names if n.strip().casefold() == wanted.strip().casefold()]
        if loose:
            return loose[0]
        if not wanted.strip().isdigit():
            raise DataError(f"{path}: has no sheet '{wanted}' (sheets: {listed})", fix, file=str(path))
        wanted = int(wanted)
    if not 0 <= wanted < len(names):
        count = f"{len(names)} sheet{'s' if len(names) != 1 else ''}"
        raise DataError(f"{path}: has no sheet {wanted} (it has {count}: {listed}; 0 is the first)", fix, file=str(path))
    return names[wanted]


# --------------------------------------------------------------------------- the reader's interface


def header(path: Path, fc) -> list[str]:
    return _as_text(_rows(_sheet(path, fc), nrows=1)[0], fc).to_pylist()


def records(path: Path, fc, positions: list[int]) -> pa.Table:
    """The columns at `positions` (counted from the sheet's first column), as text, named c<position>
    like the CSV reader's; empty rows are left out."""
    rows = _rows(_sheet(path, fc))
    width = len(rows[0])
    body = rows[1:]
    kept = _kept(body, width)
    if len(kept) != len(body):
        body = [body[i] for i in kept]
    return pa.table({f"c{p}": _as_text([r[p] for r in body] if p < width else [""] * len(body), fc) for p in positions})


def row_numbers(path: Path, fc) -> list[int]:
    """The sheet row of each record, in order (the header's row counts): for messages."""
    loaded = _sheet(path, fc)
    if loaded["numbers"] is None:
        rows = _rows(loaded)
        first = loaded["first_row"] + 1
        loaded["numbers"] = [first + i for i in _kept(rows[1:], len(rows[0]))]
    return loaded["numbers"]


def _kept(body: list[list], width: int) -> list[int]:
    """Indices of the rows that hold a value (calamine gives an empty cell as '')."""
    return [i for i, r in enumerate(body) if r.count("") != width]


# --------------------------------------------------------------------------- cells -> text


def _as_text(values: list, fc) -> pa.Array:
    """One column of Python cell values -> the text a CSV export would hold ('' when empty). Each kind
    of value is formatted in one vectorised step over the cells of that kind."""
    kinds = set(map(type, values))
    if kinds <= {str}:
        return pa.array(values, type=pa.string())
    out = None
    for kind in kinds:
        part = values if len(kinds) == 1 else [v if type(v) is kind else None for v in values]
        text = _format(kind, part, fc)
        out = text if out is None else pc.coalesce(out, text)
    return pc.fill_null(out, "")


def _format(kind: type, part: list, fc) -> pa.Array:
    if kind is str:
        return pa.array(part, type=pa.string())
    if kind is bool:
        return pc.if_else(pa.array(part, type=pa.bool_()), "true", "false")
    if kind is float or kind is int:
        return _numbers(pa.array(part, type=pa.float64()) if kind is float else pa.array(part, type=pa.int64()), part, fc)
    if kind is dt.datetime:
        stamps = pc.round_temporal(pa.array(part, type=pa.timestamp("us")), unit="second")
        return pc.strftime(pc.cast(stamps, pa.timestamp("s")), format=_datetime_format(fc))
    if kind is dt.date:
        stamps = pc.cast(pa.array(part, type=pa.date32()), pa.timestamp("s"))
        return pc.strftime(stamps, format=fc.datetime_format if _formats(fc.datetime_format) else _date_format(fc))
    if kind is dt.time:
        return pa.array([None if v is None else v.strftime("%H:%M:%S") for v in part], type=pa.string())
    if kind is dt.timedelta:
        return pa.array([None if v is None else _duration(v) for v in part], type=pa.string())
    if kind is type(None):
        return pa.nulls(len(part), type=pa.string())
    return pa.array([None if v is None else str(v) for v in part], type=pa.string())


def _numbers(arr: pa.Array, part: list, fc) -> pa.Array:
    """Whole numbers without a decimal point, others as the shortest decimal that reads back the same."""
    if pa.types.is_integer(arr.type):
        text = pc.cast(arr, pa.string())
    else:
        whole = pc.and_(pc.equal(pc.floor(arr), arr), pc.less(pc.abs(arr), _WHOLE_LIMIT))
        text = pc.if_else(whole, pc.cast(pc.cast(pc.if_else(whole, arr, 0.0), pa.int64()), pa.string()), None)
        fractional = pc.and_(pc.invert(whole), pc.is_valid(arr)).to_numpy(zero_copy_only=False)
        if fractional.any():  # repr is the shortest round-trip decimal and writes 12345678901.5 plainly
            other = pa.array([repr(v) if f else None for v, f in zip(part, fractional)], type=pa.string())
            text = pc.coalesce(text, other)
    if fc.decimal_comma:
        text = pc.replace_substring(text, ".", ",")
    return text


def _formats(fmt: str | None) -> bool:
    """A strftime format (not an epoch)."""
    return bool(fmt) and fmt not in ("epoch", "epoch_ms", "epoch_us")


def _date_format(fc) -> str:
    return fc.date_format if _formats(fc.date_format) else "%Y-%m-%d"


def _datetime_format(fc) -> str:
    if _formats(fc.datetime_format):
        return fc.datetime_format
    if _formats(fc.date_format):  # read by a date column's format, the time after it
        return fc.date_format + " %H:%M:%S"
    return "%Y-%m-%dT%H:%M:%S"


def _duration(v: dt.timedelta) -> str:
    """A duration as Excel shows [h]:mm:ss (hours beyond 24 kept: 43:45:00)."""
    seconds = round(v.total_seconds())
    sign = "-" if seconds < 0 else ""
    h, rest = divmod(abs(seconds), 3600)
    return f"{sign}{h}:{rest // 60:02d}:{rest % 60:02d}"


def clear_cache() -> None:
    """Forget the loaded sheet (tests that rewrite a file within the clock's resolution)."""
    _CACHE.clear()

