"""Events read in pieces (cs_metrics/sources/readers.py): a file without quotes is cut at line
feeds and each piece parsed by Arrow's threaded reader, read ahead in a thread. Whatever the piece
size, the rows, their fates and the numbers are those of a whole read; a quote found late sends the
file back through the quote check; trimming skipped on clean text equals Arrow's trim."""

from __future__ import annotations

import json
import threading

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cs_metrics.cli import app
from cs_metrics.sources import readers, values


def cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


HEADER = "customer_id,user_id,occurred_at,event,duration_seconds"
# May 2024: U1 on the 2nd and 3rd, U2 on the 3rd, U3 on the 4th (a record longer than a small
# piece), U4 on the 5th with spaces around its id; the rest are rejected or outside May.
ROWS = [
    "C1,U1,2024-05-02 10:00,login,5",
    "C1,U1,2024-05-03 10:00,search,5",
    "",  # a blank line: skipped, not a record
    "C1,U2,2024-05-03 11:00,search,6",
    "C1,,2024-05-03 10:00,login,5",  # empty user_id
    "C1,U2,yesterday,login,5",  # bad occurred_at
    "C1,U2,2024-04-03 10:00,login,nan",  # bad duration_seconds
    "C2,U3,2024-05-04 10:00,login",  # wrong number of cells
    "C2,U3,2024-05-04 10:00," + "x" * 300 + ",7",
    "C2, U4 ,2024-05-05 09:00,login,1",
    "C2,U3,2024-06-04 10:00,search,7",
]
ACCOUNTING = (
    "events.csv: 10 read, 6 used, 4 rejected (empty user_id: 1 (line 6); bad occurred_at (expected a datetime like "
    "2024-05-31T14:03:00): 1 (line 7); bad duration_seconds (expected a number): 1 (line 8); wrong number of cells: 1 (line 9))"
)


def write(folder, rows, newline="\n", last_newline=True):
    text = newline.join([HEADER, *rows]) + (newline if last_newline else "")
    (folder / "events.csv").write_bytes(text.encode("utf-8"))
    (folder / "cs.yaml").write_text("data: .\ncache:\n  enabled: false\n", encoding="utf-8")
    return folder / "cs.yaml"


def dau_mau(config):
    r = cli("dau-mau", "--config", config, "-p", "2024-05", "-f", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout), r.stderr


@pytest.mark.parametrize("piece", [8, 64, 1 << 25])
@pytest.mark.parametrize("newline,last", [("\n", True), ("\r\n", True), ("\n", False)])
def test_any_piece_size_reads_the_rows_and_fates_of_a_whole_read(tmp_path, monkeypatch, piece, newline, last):
    config = write(tmp_path, ROWS, newline, last)
    monkeypatch.setattr(readers, "_PIECE", piece)
    result, stderr = dau_mau(config)
    # User-days in May: U1 x2, U2, U3, U4 = 5 over 31 days; MAU 4 (U4 trimmed to one id)
    assert result["details"]["mau"] == 4
    assert result["value"] == pytest.approx(5 / 31 / 4 * 100)
    assert ACCOUNTING in stderr
    whole = cli("validate", "--config", config, "-f", "json")
    row = next(r for r in json.loads(whole.stdout)["rows"] if r["table"] == "events")
    assert (row["read"], row["used"], row["rejected"]) == (10, 6, 4)


def test_pieces_end_at_line_feeds_and_leave_the_header_out(tmp_path):
    text = HEADER + "\n" + "".join(f"C1,U{i},2024-05-0{i % 9 + 1} 10:00,login,{i}\n" for i in range(40))
    path = tmp_path / "events.csv"
    path.write_text(text, encoding="utf-8")
    pieces = [bytes(p) for p in readers._pieces(path, "utf-8", size=100)]
    assert len(pieces) > 10 and all(p.endswith(b"\n") for p in pieces)
    assert b"".join(pieces).decode() == text[len(HEADER) + 1 :]


def test_a_quote_in_a_late_piece_reads_the_file_again_with_its_quotes(tmp_path, monkeypatch):
    rows = [*ROWS, 'C2,"U5, the fifth",2024-05-06 09:00,login,1']  # a quoted id with a comma, far down
    config = write(tmp_path, rows)
    monkeypatch.setattr(readers, "_PIECE", 64)
    checks = []
    real = readers.check_quotes
    monkeypatch.setattr(readers, "check_quotes", lambda *a: checks.append(a) or real(*a))
    result, stderr = dau_mau(config)
    assert len(checks) == 1  # the optimistic read stopped at the quote, and the file was checked once
    assert result["details"]["mau"] == 5  # U1, U2, U3, U4 and "U5, the fifth"
    assert ACCOUNTING.replace("10 read, 6 used", "11 read, 7 used") in stderr


def test_an_unclosed_quote_in_a_late_piece_is_an_error_naming_its_line(tmp_path, monkeypatch):
    config = write(tmp_path, [*ROWS, 'C2,"U5,2024-05-06 09:00,login,1', "C2,U6,2024-05-07 09:00,login,1"])
    monkeypatch.setattr(readers, "_PIECE", 64)
    r = cli("dau-mau", "--config", config, "-p", "2024-05")
    assert r.exit_code == 3
    assert "events.csv:13: a quoted value opened on this line never closes" in r.stderr


def test_a_producer_error_is_raised_in_the_caller_and_an_early_stop_ends_the_thread():
    def failing():
        raise pa.ArrowInvalid("broken")

    with pytest.raises(pa.ArrowInvalid, match="broken"):
        list(readers._read_ahead(failing))

    counter = iter(range(10**9))
    items = readers._read_ahead(lambda: next(counter))
    assert [next(items) for _ in range(3)] == [0, 1, 2]
    items.close()  # the caller stops early: the producer thread must end, not wait forever
    assert not any(t.name == "cs-metrics-read-ahead" and t.is_alive() for t in threading.enumerate())


TEXT = st.text(alphabet=st.sampled_from(list("ab1 \t\n\r\x0b\x0c\x1c\x85\xa0\u2003\u3000\ufeffไก中,")), max_size=6)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(TEXT, max_size=8), min_size=1, max_size=4), st.integers(0, 3))
def test_trimming_skipped_on_clean_text_equals_arrows_trim(chunks, offset):
    arr = pa.chunked_array([pa.array(c, pa.string()) for c in chunks], type=pa.string())
    sliced = arr.slice(min(offset, len(arr)))
    for a in (arr, sliced, pa.array(sum(chunks, []), pa.string())):
        assert values.trim_whitespace(a).to_pylist() == pc.utf8_trim_whitespace(a).to_pylist()


def test_every_character_arrow_trims_sends_a_clean_column_through_the_trim():
    # The characters Arrow's trim removes, found over every code point, each alone at the start or
    # the end of one value among clean ones.
    points = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    trimmed = pc.utf8_trim_whitespace(pa.array([f"x{ch}" for ch in points])).to_pylist()
    spaces = [ch for ch, t in zip(points, trimmed) if t == "x"]
    assert {" ", "\t", "\u00a0", "\u3000"} <= set(spaces)
    for ch in spaces:
        for value in (f"{ch}id", f"id{ch}", ch):
            arr = pa.array(["C1", value, "C3"])
            assert values.trim_whitespace(arr).to_pylist() == pc.utf8_trim_whitespace(arr).to_pylist()
