"""Hostile output, test-sized: text that a spreadsheet would run, characters XML cannot hold, sheets
too long for Excel, and --output onto links, pipes, full disks, under signals and umasks.

Every case drives the CLI (or a real process where only a process shows it) on a few rows."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cs_metrics.cli import app
from cs_metrics.render import guard

ROOT = Path(__file__).resolve().parents[1]

SUBSCRIPTIONS = """\
subscription_id,customer_id,started_at,ended_at,mrr
S1,C1,2024-01-01,,100
S2,C2,2024-01-01,,200
S3,C3,2024-01-01,,300
S4,C4,2024-01-01,,400
"""
# plans a spreadsheet would evaluate: after a BOM, full-width, with a CR inside; and control characters
CUSTOMERS = (
    "customer_id,name,plan\n"
    "C1,Alpha,\ufeff=1+1\n"
    "C2,Beta,\uff1dSUM(A1)\n"
    'C3,Gamma,"pro\r=cmd|\' /C calc\'!A0"\n'
    "C4,Delta\x0bInc,basic\x00x\n"
)
# a comment whose second line (after a bare CR) is a formula
COMMENT = "nice product\r=cmd|' /C calc'!A0"
SURVEYS = f'response_id,customer_id,responded_at,survey,score,comment\nR1,C1,2024-05-02,nps,3,"{COMMENT}"\nR2,C2,2024-05-03,nps,10,fine\n'

TRIGGERS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20", "\t", "\r")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "subscriptions.csv").write_text(SUBSCRIPTIONS, encoding="utf-8")
    (folder / "customers.csv").write_text(CUSTOMERS, encoding="utf-8", newline="")
    (folder / "surveys.csv").write_text(SURVEYS, encoding="utf-8", newline="")
    return folder


def cli(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"uncaught {type(result.exception).__name__}: {result.exception}") from result.exception
    return result


def ok(*args):
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    return result


def runs_a_formula(line: str) -> bool:
    """What a spreadsheet would evaluate: after spaces, NBSP or a BOM, a formula character."""
    return line.lstrip(" \u00a0\ufeff").startswith(TRIGGERS)


def physical_lines(text: str) -> list[str]:
    """The lines a naive reader sees: split at every CR and LF, then at every delimiter."""
    return re.split(r"\r\n|\r|\n", text)


def temp_files(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


# --------------------------------------------------------------------------- the guard itself


@pytest.mark.parametrize(
    "text,expected",
    [
        ("=1+1", "'=1+1"),
        ("   =1+1", "'   =1+1"),  # leading spaces are skipped by spreadsheets
        ("\u00a0=1+1", "'\u00a0=1+1"),  # NBSP
        ("\ufeff@SUM(A1)", "'\ufeff@SUM(A1)"),  # a BOM
        ("\uff1d1+1", "'\uff1d1+1"),  # the full-width equals sign
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("ok\r=cmd", "ok\r'=cmd"),  # every line a cell can become
        ("ok\n -1\r\n+2", "ok\n' -1\r\n'+2"),
        ("plain text", "plain text"),
        ("a = b", "a = b"),
        ("C-3PO", "C-3PO"),
    ],
)
def test_guard_prefixes_every_line_a_spreadsheet_would_run(text, expected):
    assert guard(text) == expected


# --------------------------------------------------------------------------- CSV / TSV / markdown


@pytest.mark.parametrize("fmt,delimiter", [("csv", ","), ("tsv", "\t")])
def test_a_comment_with_a_bare_cr_is_quoted_and_every_line_guarded(data, fmt, delimiter):
    out = ok("feedback", "--rows", "--data", data, "--period", "2024-05", "--format", fmt).stdout
    # a conforming reader: one row per comment, the comment intact but for the guard on line 2
    rows = list(csv.DictReader(io.StringIO(out, newline=""), delimiter=delimiter))
    assert sorted(r["comment"] for r in rows) == ["fine", "nice product\r'=cmd|' /C calc'!A0"]
    # a naive reader that splits at every CR or LF: no piece of any line starts a formula
    for line in physical_lines(out):
        for cell in line.split(delimiter):
            assert not runs_a_formula(cell.strip('"')), repr(line)


@pytest.mark.parametrize("fmt,delimiter", [("csv", ","), ("tsv", "\t")])
def test_segment_names_that_spreadsheets_evaluate_are_guarded(data, fmt, delimiter):
    out = ok("mrr", "--by", "plan", "--data", data, "--period", "2024-05", "--format", fmt).stdout
    segments = {r["segment"]: float(r["value"]) for r in csv.DictReader(io.StringIO(out, newline=""), delimiter=delimiter)}
    assert segments["'\ufeff=1+1"] == 100  # C1
    assert segments["'\uff1dSUM(A1)"] == 200  # C2
    assert segments["pro\r'=cmd|' /C calc'!A0"] == 300  # C3
    assert segments["basic\ufffdx"] == 400  # C4: a NUL is written as U+FFFD
    for line in physical_lines(out):
        assert not any(runs_a_formula(cell.strip('"')) for cell in line.split(delimiter)), repr(line)


def test_markdown_escapes_a_cr_as_it_escapes_a_lf(data):
    out = ok("feedback", "--rows", "--data", data, "--period", "2024-05", "--format", "markdown").stdout
    assert "\r" not in out
    table = [line for line in out.splitlines() if line.startswith("|")]
    assert any("nice product =cmd" in line for line in table)
    assert all(line.endswith("|") for line in table)  # no row broken in two


# --------------------------------------------------------------------------- Excel


def test_xlsx_with_control_characters_and_formulas_in_text(data, tmp_path):
    import openpyxl

    out = tmp_path / "mrr.xlsx"
    result = ok("mrr", "--by", "plan", "--data", data, "--period", "2024-05", "--output", out)
    assert result.stdout == ""
    wb = openpyxl.load_workbook(out)
    segments = {row[0].value: row[2].value for row in wb["mrr segments"].iter_rows(min_row=2)}
    # \x00 cannot be held in XML: U+FFFD in its place; formulas are guarded line by line (XML reads
    # the CR back as a LF)
    assert segments == {
        "basic\ufffdx": 400,
        "'\ufeff=1+1": 100,
        "'\uff1dSUM(A1)": 200,
        "pro\n'=cmd|' /C calc'!A0": 300,
        "total": 1000,
    }
    assert all(cell.data_type != "f" for row in wb["mrr segments"].iter_rows() for cell in row)


def test_xlsx_vertical_tab_in_a_name_becomes_a_line_break(data, tmp_path):
    import openpyxl

    out = tmp_path / "health.xlsx"
    ok("health", "--data", data, "--period", "2024-05", "--output", out)
    names = {row[1].value for row in openpyxl.load_workbook(out)["health rows"].iter_rows(min_row=2)}
    assert "Delta\nInc" in names


def test_xlsx_longer_than_a_sheet_is_refused_before_writing(data, tmp_path, monkeypatch):
    import cs_metrics.xlsx

    monkeypatch.setattr(cs_metrics.xlsx, "MAX_ROWS", 4)  # header + 3 rows; mrr --rows lists 4 customers
    out = tmp_path / "rows.xlsx"
    result = cli("mrr", "--rows", "--data", data, "--period", "2024-05", "--output", out)
    assert result.exit_code == 2, result.stderr
    assert "4 rows" in result.stderr and "holds 3 under its header" in result.stderr and "csv" in result.stderr.lower()
    assert not out.exists() and temp_files(tmp_path) == []


def test_xlsx_sheet_limit_is_excels():
    import cs_metrics.xlsx

    assert cs_metrics.xlsx.MAX_ROWS == 2**20


def test_xlsx_dates_are_dates_and_no_negative_zero(data, tmp_path):
    import datetime

    import openpyxl

    out = tmp_path / "report.xlsx"
    ok("report", "--metrics", "mrr,nps", "--data", data, "--period", "2024-05", "--output", out)
    wb = openpyxl.load_workbook(out)
    summary = {row[0].value: row[1] for row in wb["mrr"].iter_rows()}
    assert summary["period_start"].value == datetime.datetime(2024, 5, 1) and summary["period_start"].is_date
    assert summary["period_end"].value == datetime.datetime(2024, 5, 31)
    overview = list(wb["report"].iter_rows(values_only=True))
    header = overview[0]
    mrr = next(r for r in overview if r[0] == "mrr")
    assert mrr[header.index("period_start")] == datetime.datetime(2024, 5, 1)
    # MRR did not move from April to May: the change is 0, never -0.0
    assert mrr[header.index("change")] == 0 and str(mrr[header.index("change")]) in ("0", "0.0")


# --------------------------------------------------------------------------- write failures


@pytest.mark.parametrize("name", ["out.csv", "out.xlsx"])
def test_a_full_disk_is_a_usage_error(data, name):
    if not Path("/dev/full").exists():
        pytest.fail("this test needs /dev/full (Linux)")
    # /dev/full is a device: written directly, and every write fails with ENOSPC
    link = data.parent / name
    link.symlink_to("/dev/full")
    result = cli("mrr", "--data", data, "--period", "2024-05", "--output", link)
    assert result.exit_code == 2, result.stderr
    assert f"error: --output {link}: cannot write it: No space left on device" in result.stderr.splitlines()
    assert "internal error" not in result.stderr
    assert stat.S_ISCHR(os.stat(link).st_mode)  # the device is still a device


@pytest.mark.parametrize("name", ["out.csv", "out.xlsx"])
def test_a_folder_that_refuses_the_file_is_a_usage_error(data, tmp_path, monkeypatch, name):
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)  # a read-only or foreign folder
    result = cli("mrr", "--data", data, "--period", "2024-05", "--output", tmp_path / name)
    assert result.exit_code == 2, result.stderr
    assert "Permission denied" in result.stderr and "internal error" not in result.stderr


# --------------------------------------------------------------------------- links, pipes, modes


@pytest.mark.parametrize("name", ["out.csv", "out.xlsx"])
def test_output_onto_a_symlink_writes_through_it(data, tmp_path, name):
    real = tmp_path / "reports" / name
    real.parent.mkdir()
    real.write_bytes(b"old")
    link = tmp_path / f"latest-{name}"
    link.symlink_to(real)
    ok("mrr", "--data", data, "--period", "2024-05", "--output", link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    content = real.read_bytes()
    assert content != b"old"
    if name.endswith(".csv"):
        assert content.decode().startswith("metric,period_start")
    else:
        assert content[:2] == b"PK"  # a zip: the workbook
    assert temp_files(tmp_path) == [] and temp_files(real.parent) == []


def test_output_onto_a_fifo_writes_into_it(data, tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    ok("mrr", "--data", data, "--period", "2024-05", "--output", fifo)
    reader.join(10)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert received and received[0].decode().startswith("metric,period_start")
    assert temp_files(tmp_path) == []


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.mark.parametrize("name", ["out.csv", "out.xlsx"])
def test_output_files_get_the_mode_of_the_umask(data, tmp_path, umask_022, name):
    target = tmp_path / name
    ok("mrr", "--data", data, "--period", "2024-05", "--output", target)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644


def test_an_existing_output_file_keeps_its_mode(data, tmp_path, umask_022):
    target = tmp_path / "out.csv"
    target.write_text("old")
    target.chmod(0o640)
    ok("mrr", "--data", data, "--period", "2024-05", "--output", target)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640 and target.read_text().startswith("metric")


def test_init_writes_a_config_with_the_mode_of_the_umask(tmp_path, umask_022):
    target = tmp_path / "cs-metrics.yaml"
    ok("init", "--output", target)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644


def test_a_missing_output_folder_is_reported_before_any_computing(tmp_path):
    # no data at all: computing would fail with exit 3; the output folder is checked first
    empty = tmp_path / "empty"
    empty.mkdir()
    for args in (("mrr",), ("report",), ("validate",)):
        result = cli(*args, "--data", empty, "--output", tmp_path / "missing" / "out.csv")
        assert result.exit_code == 2, (args, result.stderr)
        assert "the folder" in result.stderr and "does not exist" in result.stderr
        assert "subscriptions.csv" not in result.stderr  # nothing was read


# --------------------------------------------------------------------------- signals mid-write

_SIGNAL_MID_WRITE = """
import os, signal, sys
import cs_metrics.cli
signum = getattr(signal, sys.argv[1])
signal.signal(signum, signal.SIG_DFL)  # as in a terminal: a suite run under nohup would inherit SIGHUP ignored
real_replace = os.replace
def replace(src, dst):  # the signal arrives after the temp file is written, before the rename
    os.kill(os.getpid(), signum)
    return real_replace(src, dst)
os.replace = replace
sys.argv = ["cs-metrics", *sys.argv[2:]]
cs_metrics.cli.main()
"""


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
@pytest.mark.parametrize("name", ["out.csv", "out.xlsx"])
def test_a_signal_mid_write_removes_the_temp_file(data, tmp_path, signame, name):
    target = tmp_path / name
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    args = ["mrr", "--data", str(data), "--period", "2024-05", "--output", str(target)]
    proc = subprocess.run([sys.executable, "-c", _SIGNAL_MID_WRITE, signame, *args], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == -getattr(signal, signame), proc.stderr  # it ends as the signal asks
    assert "Traceback" not in proc.stderr
    assert not target.exists() and temp_files(tmp_path) == []


def test_json_output_is_unchanged_by_hostile_text(data):
    doc = json.loads(ok("mrr", "--by", "plan", "--data", data, "--period", "2024-05", "--format", "json").stdout)
    assert {s["segment"] for s in doc["segments"]} == {"\ufeff=1+1", "\uff1dSUM(A1)", "pro\r=cmd|' /C calc'!A0", "basic\x00x"}


def test_negative_zero_is_written_as_zero(tmp_path):
    import openpyxl

    from cs_metrics.period import parse_period
    from cs_metrics.render import render
    from cs_metrics.result import MetricResult
    from cs_metrics.xlsx import write_result

    r = MetricResult("nps", parse_period("2024-05"), -0.0, "score", {"net_mrr_churn": -0.0, "promoters": 0})
    assert json.loads(render(r, "json"))["value"] == 0
    for fmt in ("json", "csv", "tsv", "jsonl", "markdown", "table"):
        assert "-0.0" not in render(r, fmt), fmt
    write_result(tmp_path / "z.xlsx", r)
    values = [row[1] for row in openpyxl.load_workbook(tmp_path / "z.xlsx")["nps"].iter_rows(values_only=True)]
    assert not any(isinstance(v, float) and str(v) == "-0.0" for v in values)


def test_records_are_the_rows_pandas_gives_with_missing_values_none():
    import numpy as np
    import pandas as pd

    from cs_metrics.result import records

    frame = pd.DataFrame(
        {
            "score": [1.5, np.nan, 3.0],
            "count": pd.array([1, None, 3], dtype="Int64"),
            "id": pd.Series(["C1", None, "C3"], dtype="str"),
            "day": pd.to_datetime(["2024-01-01", None, "2024-01-03"]),
            "flag": [True, False, True],
            "note": np.array(["p", None, "q"], dtype=object),
        }
    )
    expected = frame.astype(object).where(frame.notna(), None).to_dict("records")
    got = records(frame)
    assert got == expected
    assert [[type(v) for v in row.values()] for row in got] == [[type(v) for v in row.values()] for row in expected]
    assert got[1] == {"score": None, "count": None, "id": None, "day": None, "flag": False, "note": None}
    assert records(frame.iloc[:0]) == []


def test_records_leave_the_frame_as_it_was():
    import numpy as np
    import pandas as pd

    from cs_metrics.result import records

    frame = pd.DataFrame({"note": np.array(["p", np.nan, "q"], dtype=object), "score": [1.0, np.nan, 2.0]})
    before = frame.copy()
    assert records(frame)[1] == {"note": None, "score": None}
    pd.testing.assert_frame_equal(frame, before)  # an object column's NaN is not turned into None in place
