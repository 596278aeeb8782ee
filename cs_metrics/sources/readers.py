"""Files -> Arrow tables: the header, the records, and what could not be read.

The header is read with the csv module (exact names, a BOM dropped whatever the encoding); the
records with `pyarrow.csv.read_csv`, multi-threaded, only the columns asked for, typed where Arrow
can parse the values while reading. Every table allows quoted line breaks in values, and a value
larger than Arrow's block is read with a larger block. A quote that opens a value and never closes
would make the rest of the file one value: that is an error naming the line, never data.
"""

from __future__ import annotations

import codecs
import csv
import queue
import sys
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from cs_metrics import progress
from cs_metrics.errors import DataError

FIRST_LINES = 5
_BLOCK_SIZES = (1 << 20, 1 << 24, 1 << 28)  # 1 MiB (Arrow's default), 16 MiB, 256 MiB, then the whole file
# Encodings in which byte 0x22 is always a quote (never part of a multi-byte character).
_QUOTE_SAFE = ("utf-8", "utf-8-sig", "ascii", "latin-1", "iso8859-1", "gb18030", "gbk", "gb2312", "big5", "shift_jis", "cp932")
FAILED_READS = {"count": 0}  # an Arrow read that failed part way: the CLI exits without running C++ destructors
csv.field_size_limit(sys.maxsize)  # a value of several megabytes is data, not an error


def python_encoding(encoding: str) -> str:
    """The codec that reads `encoding` with a BOM dropped (UTF-8 files often start with one)."""
    name = codecs.lookup(encoding).name
    return "utf-8-sig" if name in ("utf-8", "utf-8-sig") else name


def arrow_encoding(encoding: str) -> str:
    return "utf8" if codecs.lookup(encoding).name in ("utf-8", "utf-8-sig") else codecs.lookup(encoding).name


def file_format(path: Path, fc) -> str:
    """csv, xlsx or parquet: the configured format, else by extension (.gz files are compressed CSV)."""
    if fc.format != "auto":
        return fc.format
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    return "csv"


def open_text(path: Path, encoding: str, errors: str = "strict"):
    """A text stream of a CSV file, decompressed when it ends in .gz."""
    if path.suffix.lower() == ".gz":
        import gzip

        return gzip.open(path, "rt", newline="", encoding=python_encoding(encoding), errors=errors)
    return open(path, newline="", encoding=python_encoding(encoding), errors=errors)


def read_file_header(path: Path, fc) -> list[str]:
    """The column names of an export file, whatever its format."""
    kind = file_format(path, fc)
    if kind == "csv":
        return read_header(path, fc.encoding, fc.delimiter)
    if kind == "parquet":
        from cs_metrics.sources import parquet

        return parquet.header(path)
    from cs_metrics.sources import excel

    return excel.header(path, fc)


def read_file(path: Path, fc, ncols: int, positions: list[int], types: dict) -> tuple[pa.Table, int]:
    """The records of an export file: the columns at `positions`, named c<position>; see read_records."""
    kind = file_format(path, fc)
    if kind == "csv":
        quoted = check_quotes(path, fc.encoding, fc.delimiter)
        return read_records(path, fc.encoding, fc.delimiter, ncols, positions, types, newlines=quoted)
    if kind == "parquet":
        from cs_metrics.sources import parquet

        return parquet.records(path, positions), 0
    from cs_metrics.sources import excel

    return excel.records(path, fc, positions), 0


def read_header(path: Path, encoding: str, delimiter: str) -> list[str]:
    """The header row as written (the BOM dropped from its first name, whatever the encoding)."""
    try:
        with open_text(path, encoding) as fh:
            header = next(csv.reader(fh, delimiter=delimiter), None)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}: cannot be decoded as {encoding} (byte {exc.start} of the header)",
            "Set the file's encoding in the config: sources.<table>.encoding (e.g. cp874 for Thai "
            "Windows exports, gb18030 for Chinese, utf-16 for Excel 'Unicode text')",
            file=str(path),
        ) from None
    except (csv.Error, UnicodeError) as exc:
        raise DataError(f"{path}: the header cannot be read: {exc}", file=str(path)) from None
    except OSError as exc:
        raise DataError(f"{path}: cannot be read: {exc.strerror}", file=str(path)) from None
    if not header or not any(h.strip() for h in header):
        raise DataError(f"{path}: the file is empty (no header row)", file=str(path))
    header[0] = header[0].lstrip("\ufeff")
    return header


def _quote_count(path: Path, encoding: str) -> int | None:
    """How many double quotes the file holds (None when the encoding makes bytes ambiguous), counted
    block by block: memory stays one block whatever the file's size (a mapped file would count in
    the process's resident memory as it is scanned)."""
    if codecs.lookup(encoding).name not in _QUOTE_SAFE:
        return None
    count = 0
    block = bytearray(1 << 24)
    with open(path, "rb", buffering=0) as fh:
        while n := fh.readinto(block):
            if block.find(b'"', 0, n) >= 0:  # memchr: a file without quotes costs one pass of reading
                count += block.count(b'"', 0, n)
    return count


def check_quotes(path: Path, encoding: str, delimiter: str) -> bool:
    """Whether the file may hold quoted values (a file without any quote cannot hold a line break in
    a value, so Arrow may split it anywhere: twice as fast). An odd number of quotes may be a quoted
    value that never closes: find it with the csv module (only then) and stop with its line. A
    stray quote inside an unquoted value (`12" pizza`) is text."""
    if path.suffix.lower() == ".gz":
        return True  # a compressed file is not scanned byte by byte
    count = _quote_count(path, encoding)
    if count is None or count % 2 == 0:
        return count != 0
    with open_text(path, encoding, errors="replace") as fh:
        reader = csv.reader(fh, delimiter=delimiter, strict=True)
        start = 1
        while True:
            try:
                next(reader)
            except StopIteration:
                return True
            except csv.Error as exc:
                if "unexpected end of data" in str(exc):
                    raise DataError(
                        f"{path.name}:{start}: a quoted value opened on this line never closes, so the rest of "
                        "the file would be read as one value",
                        "Close the quote (or double a quote inside a quoted value) in the export",
                        file=str(path),
                        line=start,
                    ) from None
            start = reader.line_num + 1


def read_records(
    path: Path, encoding: str, delimiter: str, ncols: int, positions: list[int], types: dict[int, pa.DataType], newlines: bool = True
) -> tuple[pa.Table, int]:
    """The columns at `positions` (header row skipped), typed by `types` (position -> Arrow type,
    text otherwise), named c<position>; and how many records had the wrong number of cells (skipped).

    Raises ConversionFailed naming the position when Arrow refuses a typed value."""
    names = [f"c{i}" for i in range(ncols)]
    size = path.stat().st_size * (8 if path.suffix.lower() == ".gz" else 1)
    for block in (*_BLOCK_SIZES, max(size + 1, _BLOCK_SIZES[-1])):
        bad_rows: list[int] = []

        def on_invalid(row) -> str:
            bad_rows.append(row.actual_columns)
            return "skip"

        try:
            tbl = pacsv.read_csv(path, **_csv_options(encoding, delimiter, names, positions, types, newlines, on_invalid, block))
            return tbl, len(bad_rows)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeError, ValueError) as exc:
            FAILED_READS["count"] += 1
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if ("straddling" in first or "Could not skip initial" in first) and block <= size:
                continue  # a record (or the header) larger than the block: read again with larger blocks
            if "Could not skip initial" in first:  # the header and nothing after it, not even a line break
                empty = {names[i]: pa.array([], type=types.get(i, pa.string())) for i in positions}
                return pa.table(empty), 0
            conversion = _conversion_column(first)
            if conversion is not None and conversion in types:
                raise ConversionFailed(conversion) from None
            if isinstance(exc, UnicodeError) or "decode" in first.lower() or "utf" in first.lower():
                raise DataError(
                    f"{path}: cannot be decoded as {encoding}: {_short(first)}",
                    "Set the file's encoding in the config: sources.<table>.encoding (e.g. cp874, gb18030, utf-16)",
                    file=str(path),
                ) from None
            raise DataError(
                f"{path}: cannot be parsed as CSV: {_short(first)}",
                "Check the file's delimiter and encoding in the config (sources.<table>.delimiter, .encoding)",
                file=str(path),
            ) from None
    raise AssertionError("unreachable: the last block holds the whole file")


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _conversion_column(message: str) -> int | None:
    """`In CSV column #3: CSV conversion error to ...` -> 3, the column's position among those read."""
    import re

    m = re.search(r"In CSV column #(\d+): (?:CSV conversion error|The string .* is not a valid)", message)
    return int(m.group(1)) if m else None


class ConversionFailed(Exception):
    """Arrow refused a value of a typed column: read that column as text and account row by row."""

    def __init__(self, position: int):
        super().__init__(position)
        self.position = position


def physical_lines(path: Path, fc, ncols: int, need_valid: int, need_invalid: int):
    """Line numbers of records, found with the csv module (only on the error path); for a sheet its
    row in the sheet, for a Parquet file the record's number (counting the header as 1).

    Returns (start line of each well-formed record in order, [(line, cells) of malformed ones]).
    Blank lines are skipped, as the Arrow reader does (and empty rows of a sheet)."""
    kind = file_format(path, fc)
    if kind == "xlsx":
        from cs_metrics.sources import excel

        return excel.row_numbers(path, fc), []
    if kind != "csv":
        return list(range(2, need_valid + 3)), []
    valid: list[int] = []
    invalid: list[tuple[int, int]] = []
    with open_text(path, fc.encoding, errors="replace") as fh:
        reader = csv.reader(fh, delimiter=fc.delimiter)
        next(reader, None)
        prev_end = reader.line_num
        for rec in reader:
            start, prev_end = prev_end + 1, reader.line_num
            if not rec:
                continue
            if len(rec) != ncols:
                invalid.append((start, len(rec)))
            else:
                valid.append(start)
            if len(valid) > need_valid and len(invalid) >= need_invalid:
                break
    return valid, invalid


def _csv_options(encoding, delimiter, names, positions, types, newlines, on_invalid, block) -> dict:
    """Arrow's CSV options of both readers: header skipped, columns named c<position>, only those at
    `positions` converted (typed by `types`, text otherwise), an empty cell missing, a quoted one text."""
    return {
        "read_options": pacsv.ReadOptions(
            encoding=arrow_encoding(encoding), use_threads=True, column_names=names, skip_rows=1, block_size=block
        ),
        "parse_options": pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=newlines, invalid_row_handler=on_invalid),
        "convert_options": pacsv.ConvertOptions(
            include_columns=[names[i] for i in positions],
            column_types={names[i]: types.get(i, pa.string()) for i in positions},
            null_values=[""],
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    }


def iter_records(path: Path, fc, ncols: int, positions: list[int], types: dict, newlines: bool, counted: list):
    """read_records in batches: yields the Arrow table of each batch; every record with the wrong
    number of cells appends to `counted` (read ahead: count it at the end). Memory follows the
    batch, not the file.

    A file without quotes (`newlines` false) in an encoding where a line feed byte is always one is
    cut into pieces at line breaks and each piece parsed by Arrow's multi-threaded reader; otherwise
    Arrow's streaming reader (pyarrow.csv.open_csv, one thread) goes through it. Either way the next
    batch is parsed while the caller works on this one."""
    names = [f"c{i}" for i in range(ncols)]

    def on_invalid(row) -> str:
        counted.append(1)
        return "skip"

    try:
        pieces = None if newlines else _pieces(path, fc.encoding)
        if pieces is None:
            options = _csv_options(fc.encoding, fc.delimiter, names, positions, types, newlines, on_invalid, 1 << 24)
            reader = pacsv.open_csv(path, **options)
            for batch in _read_ahead(reader.read_next_batch):
                yield pa.Table.from_batches([batch])
            return
        options = _csv_options(fc.encoding, fc.delimiter, names, positions, types, False, on_invalid, max(_PIECE // 8, 1 << 16))
        options["read_options"].skip_rows = 0  # the pieces start after the header

        def next_table() -> pa.Table:
            return pacsv.read_csv(pa.py_buffer(next(pieces)), **options)

        yield from _read_ahead(next_table)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeError, ValueError) as exc:
        FAILED_READS["count"] += 1
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        conversion = _conversion_column(first)
        if conversion is not None and conversion in types:
            raise ConversionFailed(conversion) from None
        raise _NotStreamable(first) from None


_PIECE = 1 << 25  # 32 MiB of records per piece, parsed as 8 blocks shared among Arrow's threads


def cuttable(path: Path, encoding: str) -> int | None:
    """Where the header line ends (its line feed) when the file's records can be cut at line feeds
    once it is known to hold no quotes; None when they cannot: an encoding whose bytes are ambiguous,
    a compressed file, or no line feed in the first MiB (a file of CR line ends, or a header longer
    than that)."""
    if path.suffix.lower() == ".gz" or codecs.lookup(encoding).name not in _QUOTE_SAFE:
        return None
    with open(path, "rb") as fh:
        end = fh.read(1 << 20).find(b"\n")
    return None if end < 0 else end


class QuotesFound(Exception):
    """A piece of a file read as holding no quotes holds one: read it again, quotes checked first."""


def _pieces(path: Path, encoding: str, size: int | None = None):
    """The records of a file after its header line, in pieces of about `size` bytes that end at a
    line feed, so no record is cut while no value is quoted; None when the file cannot be cut
    (`cuttable`). A piece holding a quote raises QuotesFound before it is handed over."""
    end = cuttable(path, encoding)
    if end is None:
        return None

    def cut():
        buf, filled = bytearray(size or _PIECE), 0  # one buffer, reused: Arrow copies the values it parses
        with open(path, "rb", buffering=0) as fh:
            fh.seek(end + 1)
            progress.advance(0, total=max(path.stat().st_size - end - 1, 1))
            while n := fh.readinto(memoryview(buf)[filled:]):
                total = filled + n
                last = buf.rfind(b"\n", 0, total)
                if last < 0:  # one record longer than the buffer: a larger one, read on until its line ends
                    if total == len(buf):
                        buf = buf + bytearray(len(buf))
                    filled = total
                    continue
                if buf.find(b'"', 0, last + 1) >= 0:
                    raise QuotesFound
                yield memoryview(buf)[: last + 1]
                progress.advance(last + 1)
                filled = total - last - 1
                buf[:filled] = buf[last + 1 : total]
            if filled:
                if buf.find(b'"', 0, filled) >= 0:
                    raise QuotesFound
                yield memoryview(buf)[:filled]

    return cut()


def _read_ahead(next_item, depth: int = 2):
    """The items `next_item()` returns until it raises StopIteration, produced in a thread while
    the caller works on the last one: Arrow's parsing and the caller's typing both release the GIL
    for most of their work, so on two cores they overlap. An error of the producer is raised here,
    in the caller's thread; a caller that stops early stops the thread. At most `depth` items wait,
    so memory still follows the batch."""
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def hand_over(item) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        while True:
            try:
                item = ("item", next_item())
            except StopIteration:
                item = ("end", None)
            except BaseException as exc:  # handed to the caller, who raises it
                item = ("error", exc)
            if not hand_over(item) or item[0] != "item":
                return

    worker = threading.Thread(target=produce, name="cs-metrics-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = ready.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        worker.join()


class _NotStreamable(Exception):
    """A file the batch reader could not go through (a huge record, a broken encoding ...): the
    whole-file reader reads it, or says exactly why it cannot."""
