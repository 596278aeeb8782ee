"""The command-line contract (the README: commands, options, output formats, exit codes) end to end.

Most tests drive `cs_metrics.cli.app` through typer's CliRunner on a tiny hand-made data folder
whose every number is worked out by hand below; a few run a real process (`python -m cs_metrics`)
for what only a process shows: imports at --help, NO_COLOR on a terminal, real exit codes.

The hand-made data, period 2024-05 (opening snapshot = end of 2024-04-30, closing = end of
2024-05-31, one step):

    customer  plan   region             subscriptions                          MRR 04-30  MRR 05-31
    C1        basic  =HYPERLINK("x")    100 from 2024-01-01, running           100        100
    C2        pro    +north             200 from 2024-02-01 to 2024-05-15      200        0      churn 200
    C3        pro    @east              50 2024-01-01..2024-05-10, then 80     50         80     expansion 30
    C4        basic  -south             trial (mrr 0) 05-01..05-20, 120 after  0          120    new 120

    opening 350, closing 300, ARR 3600, net new -50, new 120 (1), expansion 30 (1), churn 200 (1),
    contraction 0, reactivation 0; bridge 350 + 120 + 0 + 30 - 0 - 200 = 300.
    by plan: basic opening 100 closing 220 (new 120); pro opening 250 closing 80 (churn 200, exp. 30).
    churn: S = {C1, C2, C3}, C2 not paying at closing: 1 / 3 x 100 = 33.33 %.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cs_metrics.cli import app

ROOT = Path(__file__).resolve().parents[1]
MRR_PLAYBOOK = Path(__file__).resolve().parent / "data" / "mrr-playbook"

MOVEMENTS = ("new", "expansion", "contraction", "churn", "reactivation")
# The JSON details keys scripts rely on (metrics.md, `mrr`).
MRR_KEYS = {"opening_mrr", "closing_mrr", "arr", "net_new_mrr"} | {
    f"{m}_{suffix}" for m in MOVEMENTS for suffix in ("mrr", "count", "customers")
}
ANSI = "\x1b["
BOX_CHARS = set("─│╭╮╰╯┃━┏┓┗┛┡┩├┤┼┬┴═║╔╗╚╝╞╡╪┌┐└┘")
JSON_KEYS = {"metric", "period", "value", "unit", "details", "warnings", "data_through", "coverage"}
NO_STARTED_AT = "subscription_id,customer_id,Start,mrr\nS1,C1,2024-01-01,100\n"  # `started_at` is called Start

SUBSCRIPTIONS = """\
subscription_id,customer_id,started_at,ended_at,mrr,is_trial
S1,C1,2024-01-01,,100,false
S2,C2,2024-02-01,2024-05-15,200,false
S3,C3,2024-01-01,2024-05-10,50,false
S4,C3,2024-05-10,,80,false
S5,C4,2024-05-01,2024-05-20,0,true
S6,C4,2024-05-20,,120,false
"""

CUSTOMERS = """\
customer_id,name,plan,region
C1,Alpha Co,basic,"=HYPERLINK(""x"")"
C2,Beta Ltd,pro,+north
C3,Gamma Inc,pro,@east
C4,Delta LLC,basic,-south
"""

# May 2024 nps: promoters R1 R2 R3 R4 R5 (5), passives R6 R7 R8 (3), detractors R9 R10 (2):
# NPS = (5 - 2) / 10 x 100 = 30.0. R11 is a csat response, R12 an nps response in April: left out.
# By plan: basic = C1 (R1 R2 R4 promoters), C4 (R6 passive, R10 detractor): (3 - 1) / 5 = 40.0;
# pro = C2 (R3 promoter, R7 passive), C3 (R9 detractor): (1 - 1) / 3 = 0.0;
# anonymous R5 (promoter), R8 (passive) -> segment "(none)": (1 - 0) / 2 = 50.0.
SURVEYS = """\
response_id,customer_id,responded_at,survey,score,comment
R1,C1,2024-05-02,nps,9,great
R2,C1,2024-05-03,nps,10,
R3,C2,2024-05-04,nps,9,
R4,C1,2024-05-05,nps,10,
R5,,2024-05-06,nps,9,anonymous
R6,C4,2024-05-07,nps,7,
R7,C2,2024-05-08,nps,8,
R8,,2024-05-09,nps,7,
R9,C3,2024-05-10,nps,3,slow support
R10,C4,2024-05-11,nps,6,
R11,C1,2024-05-12,csat,5,
R12,C2,2024-04-20,nps,0,
"""


# --------------------------------------------------------------------------- helpers

RUNNER = CliRunner()  # click >= 8.2 keeps result.stdout and result.stderr apart


def cli(*args, env: dict | None = None):
    """Invoke the app; no output may hold a traceback, and only SystemExit may escape."""
    result = RUNNER.invoke(app, [str(a) for a in args], env=env)
    assert "Traceback" not in result.stdout, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"uncaught {type(result.exception).__name__}: {result.exception}") from result.exception
    return result


def ok(*args, env: dict | None = None):
    result = cli(*args, env=env)
    assert result.exit_code == 0, f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result


def as_json(*args, env: dict | None = None) -> dict:
    return json.loads(ok(*args, "--format", "json", env=env).stdout)


def read_delimited(text: str, delimiter: str = ",") -> tuple[list[str], list[dict[str, str]]]:
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    header, body = rows[0], rows[1:]
    assert all(len(r) == len(header) for r in body), rows
    return header, [dict(zip(header, r)) for r in body]


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


def assert_one_error_line(result) -> str:
    """Exactly one `error:` line, and it ends stderr (row accounting before it is allowed)."""
    lines = error_lines(result.stderr)
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    assert lines[-1] == errors[0], result.stderr
    assert "Traceback" not in result.stderr
    return errors[0]


def proc_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "CS_METRICS_CONFIG", "FORCE_COLOR")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def run_process(*args, python_flags=(), **extra_env) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, *python_flags, "-m", "cs_metrics", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=proc_env(**extra_env),
        timeout=120,
    )
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return proc


def run_on_terminal(*args, **extra_env) -> tuple[int, str, str]:
    """Run with stdout on a pseudo-terminal, so that the program sees a real terminal."""
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cs_metrics", *map(str, args)],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=proc_env(TERM="xterm-256color", **extra_env),
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    err = proc.stderr.read().decode()
    proc.stderr.close()
    rc = proc.wait(timeout=120)
    os.close(master)
    return rc, b"".join(chunks).decode(), err


def write_files(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No config from the environment or the working directory unless a test puts one there."""
    monkeypatch.delenv("CS_METRICS_CONFIG", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return cwd


@pytest.fixture
def data(tmp_path) -> Path:
    return write_files(tmp_path / "data", subscriptions=SUBSCRIPTIONS, customers=CUSTOMERS, surveys=SURVEYS)


def mrr_may(data: Path, *more) -> tuple[str, ...]:
    return ("mrr", "--data", data, "--period", "2024-05", *more)


# --------------------------------------------------------------------------- 1. formats


def test_csv_is_the_default_when_not_a_terminal_and_has_the_contract_shape(data):
    result = ok(*mrr_may(data))
    header, rows = read_delimited(result.stdout)
    assert header[:5] == ["metric", "period_start", "period_end", "value", "unit"]
    assert MRR_KEYS <= set(header[5:])
    assert len(rows) == 1
    row = rows[0]
    assert row["metric"] == "mrr" and row["unit"] == "money"
    assert (row["period_start"], row["period_end"]) == ("2024-05-01", "2024-05-31")
    expected = {
        "value": 300, "opening_mrr": 350, "closing_mrr": 300, "arr": 3600, "net_new_mrr": -50,
        "new_mrr": 120, "new_count": 1, "new_customers": 1,
        "expansion_mrr": 30, "expansion_count": 1, "expansion_customers": 1,
        "contraction_mrr": 0, "contraction_count": 0, "contraction_customers": 0,
        "churn_mrr": 200, "churn_count": 1, "churn_customers": 1,
        "reactivation_mrr": 0, "reactivation_count": 0, "reactivation_customers": 0,
    }  # fmt: skip
    for key, want in expected.items():
        assert float(row[key]) == pytest.approx(want), key
    # plain numbers: no thousands separator, no %, no quote prefix on a negative number
    assert row["arr"] in ("3600", "3600.0")
    assert row["net_new_mrr"] in ("-50", "-50.0")
    assert "%" not in result.stdout
    assert result.stdout == result.stdout.lstrip() and result.stdout.count("\n") == 2


def test_tsv_carries_the_same_cells_as_csv(data):
    csv_header, csv_rows = read_delimited(ok(*mrr_may(data), "--format", "csv").stdout)
    tsv = ok(*mrr_may(data), "--format", "tsv").stdout
    assert "\t" in tsv.splitlines()[0] and "," not in tsv
    header, rows = read_delimited(tsv, "\t")
    assert header == csv_header and rows == csv_rows


def test_json_is_one_document_with_the_contract_keys(data):
    result = ok(*mrr_may(data), "--format", "json")
    doc = json.loads(result.stdout)  # one document: loads fails on trailing data
    assert set(doc) == JSON_KEYS  # no `segments` without --by, no `rows` for mrr
    assert doc["metric"] == "mrr"
    assert doc["period"] == {"start": "2024-05-01", "end": "2024-05-31"}
    assert doc["unit"] == "money"
    assert doc["value"] == pytest.approx(300)
    assert isinstance(doc["warnings"], list)
    d = doc["details"]
    assert MRR_KEYS <= set(d), MRR_KEYS - set(d)
    assert d["opening_mrr"] == pytest.approx(350) and d["closing_mrr"] == pytest.approx(300)
    assert d["arr"] == pytest.approx(3600) and d["net_new_mrr"] == pytest.approx(-50)
    assert (d["new_mrr"], d["new_count"], d["new_customers"]) == (120, 1, 1)
    assert (d["expansion_mrr"], d["expansion_count"], d["expansion_customers"]) == (30, 1, 1)
    assert (d["churn_mrr"], d["churn_count"], d["churn_customers"]) == (200, 1, 1)
    assert (d["contraction_mrr"], d["contraction_count"], d["contraction_customers"]) == (0, 0, 0)
    assert (d["reactivation_mrr"], d["reactivation_count"], d["reactivation_customers"]) == (0, 0, 0)
    for key in MRR_KEYS:
        assert isinstance(d[key], (int, float)) and not isinstance(d[key], bool), key


def test_jsonl_without_by_is_the_json_document_on_one_line(data):
    doc = as_json(*mrr_may(data))
    out = ok(*mrr_may(data), "--format", "jsonl").stdout
    lines = out.splitlines()
    assert len(lines) == 1 and out.endswith("\n")
    assert json.loads(lines[0]) == doc


def test_markdown(data):
    out = ok(*mrr_may(data), "--format", "markdown").stdout
    assert out.startswith("### mrr")
    assert "| value | 300.00 |" in out
    assert "| opening mrr | 350.00 |" in out
    assert "| net new mrr | -50.00 |" in out
    assert "| --- |" in out or "|---|" in out.replace(" ", "")
    assert ANSI not in out


def test_table_works_when_not_a_terminal_without_colour_or_box_drawing(data):
    out = ok(*mrr_may(data), "--format", "table").stdout
    assert ANSI not in out
    assert not BOX_CHARS & set(out), BOX_CHARS & set(out)
    assert "2024-05" in out
    shown = (("value", "300.00"), ("opening mrr", "350.00"), ("arr", "3,600.00"), ("net new mrr", "-50.00"))
    for label, value in shown:
        assert any(label in line and value in line for line in out.splitlines()), (label, value, out)


def test_unknown_format_is_a_usage_error(data):
    result = cli(*mrr_may(data), "--format", "xml")
    assert result.exit_code == 2
    assert_one_error_line(result)
    assert result.stdout == ""


# --------------------------------------------------------------------------- 2. --by


def test_by_plan_csv_has_one_row_per_segment_plus_total(data):
    header, rows = read_delimited(ok(*mrr_may(data), "--by", "plan", "--format", "csv").stdout)
    assert "segment" in header
    assert [r["segment"] for r in rows] == ["basic", "pro", "total"]
    by = {r["segment"]: r for r in rows}
    assert float(by["basic"]["value"]) == pytest.approx(220)  # C1 100 + C4 120
    assert float(by["pro"]["value"]) == pytest.approx(80)  # C3 80, C2 churned
    assert float(by["total"]["value"]) == pytest.approx(300)
    assert float(by["basic"]["opening_mrr"]) == pytest.approx(100)
    assert float(by["pro"]["opening_mrr"]) == pytest.approx(250)
    assert float(by["total"]["opening_mrr"]) == pytest.approx(350)
    assert {r["metric"] for r in rows} == {"mrr"} and {r["unit"] for r in rows} == {"money"}


def test_by_plan_json_has_segments_right_by_hand(data):
    doc = as_json(*mrr_may(data), "--by", "plan")
    assert set(doc) == JSON_KEYS | {"segments"}
    assert doc["value"] == pytest.approx(300)
    segs = doc["segments"]
    assert [s["segment"] for s in segs] == ["basic", "pro"]
    for s in segs:
        assert set(s) == {"segment", "segment_kind", "value", "details"} and s["segment_kind"] == "value"
    basic, pro = segs
    assert basic["value"] == pytest.approx(220)
    assert basic["details"]["opening_mrr"] == pytest.approx(100)
    assert basic["details"]["new_mrr"] == pytest.approx(120) and basic["details"]["new_count"] == 1
    assert basic["details"]["churn_mrr"] == 0 and basic["details"]["expansion_mrr"] == 0
    assert pro["value"] == pytest.approx(80)
    assert pro["details"]["opening_mrr"] == pytest.approx(250)
    assert pro["details"]["churn_mrr"] == pytest.approx(200) and pro["details"]["churn_customers"] == 1
    assert pro["details"]["expansion_mrr"] == pytest.approx(30)
    assert pro["details"]["net_new_mrr"] == pytest.approx(-170)
    # the segments add up to the total
    assert sum(s["value"] for s in segs) == pytest.approx(doc["value"])


def test_nps_by_plan_keeps_anonymous_responses_in_their_own_segment(data):
    doc = as_json("nps", "--data", data, "--period", "2024-05", "--by", "plan")
    assert doc["value"] == pytest.approx(30.0)
    by = {s["segment"]: s for s in doc["segments"]}
    assert by["basic"]["value"] == pytest.approx(40.0)  # (3 - 1) / 5
    assert by["pro"]["value"] == pytest.approx(0.0)  # (1 - 1) / 3
    assert by["(none)"]["value"] == pytest.approx(50.0)  # (1 - 0) / 2
    assert by["(none)"]["segment_kind"] == "none" and by["basic"]["segment_kind"] == "value"
    assert sum(s["details"]["responses"] for s in doc["segments"]) == 10


def test_by_plan_jsonl_has_one_line_per_segment_then_the_total(data):
    lines = ok(*mrr_may(data), "--by", "plan", "--format", "jsonl").stdout.splitlines()
    objs = [json.loads(line) for line in lines]
    assert [o["segment"] for o in objs] == ["basic", "pro", "total"]
    assert [o["segment_kind"] for o in objs] == ["value", "value", "total"]
    assert [o["value"] for o in objs] == pytest.approx([220, 80, 300])
    for o in objs:
        assert o["metric"] == "mrr" and o["unit"] == "money"
        assert o["period"] == {"start": "2024-05-01", "end": "2024-05-31"}
        assert MRR_KEYS <= set(o["details"])


def test_by_a_date_column_of_customers(data):
    """customers.created_at is a contract column of type date: --by on it must not crash any format."""
    customers = (
        "customer_id,created_at,plan\nC1,2023-06-01,basic\nC2,2023-06-01,pro\nC3,2023-06-01,pro\nC4,2024-05-20,basic\n"
    )
    (data / "customers.csv").write_text(customers, encoding="utf-8")
    # 2023-06-01: C1 100 + C2 0 + C3 80 = 180; 2024-05-20: C4 120
    doc = as_json(*mrr_may(data), "--by", "created_at")
    segs = {s["segment"]: s["value"] for s in doc["segments"]}
    assert len(segs) == 2 and all(isinstance(k, str) for k in segs), segs
    by_day = {k[:10]: v for k, v in segs.items()}
    assert by_day == {"2023-06-01": pytest.approx(180), "2024-05-20": pytest.approx(120)}
    _, rows = read_delimited(ok(*mrr_may(data), "--by", "created_at", "--format", "csv").stdout)
    assert [r["segment"][:10] for r in rows] == ["2023-06-01", "2024-05-20", "total"]
    ok(*mrr_may(data), "--by", "created_at", "--format", "jsonl")


def test_by_an_unknown_column_is_an_error_not_a_traceback(data):
    result = cli(*mrr_may(data), "--by", "no_such_column")
    assert result.exit_code in (2, 3)
    assert_one_error_line(result)
    assert "no_such_column" in result.stderr


# --------------------------------------------------------------------------- nps and churn by hand


def test_nps_by_hand(data):
    doc = as_json("nps", "--data", data, "--period", "2024-05")
    assert doc["unit"] == "score"
    assert doc["value"] == pytest.approx(30.0)
    d = doc["details"]
    assert (d["responses"], d["promoters"], d["passives"], d["detractors"]) == (10, 5, 3, 2)
    # 1.96 x sqrt((0.5 + 0.2) - (0.5 - 0.2)^2) / sqrt(10) x 100 = 1.96 x sqrt(0.61) / sqrt(10) x 100
    assert d["margin_of_error"] == pytest.approx(1.96 * 0.61**0.5 / 10**0.5 * 100)


def test_churn_by_hand_and_the_configured_method(data, tmp_path):
    doc = as_json("churn", "--data", data, "--period", "2024-05")
    assert doc["unit"] == "percent"
    assert doc["value"] == pytest.approx(100 / 3)  # C2 of S = {C1, C2, C3}
    cell = read_delimited(ok("churn", "--data", data, "--period", "2024-05").stdout)[1][0]["value"]
    assert float(cell) == pytest.approx(100 / 3) and "%" not in cell
    cfg = tmp_path / "net.yaml"
    cfg.write_text("metrics:\n  churn:\n    method: net\n")
    net = as_json("churn", "--config", cfg, "--data", data, "--period", "2024-05")
    assert net["value"] == pytest.approx(0.0)  # (3 paying at opening - 3 at closing) / 3


# --------------------------------------------------------------------------- 3. undefined values


def test_undefined_nps_is_empty_null_and_na_with_a_warning(data):
    args = ("nps", "--data", data, "--period", "2024-07")  # no responses in July
    csv_result = ok(*args, "--format", "csv")
    _, rows = read_delimited(csv_result.stdout)
    assert rows[0]["value"] == ""
    warned = [x for x in csv_result.stderr.splitlines() if x.startswith("warning:") and "undefined" in x]
    assert warned, csv_result.stderr
    assert "warning" not in csv_result.stdout

    json_result = ok(*args, "--format", "json")
    doc = json.loads(json_result.stdout)
    assert doc["value"] is None
    assert doc["warnings"] and any("undefined" in w for w in doc["warnings"])
    assert "warning:" in json_result.stderr

    table = ok(*args, "--format", "table").stdout
    value_line = next(line for line in table.splitlines() if line.strip().startswith("value"))
    assert "n/a" in value_line
    assert "0.0" not in value_line


def test_undefined_values_per_segment(data):
    args = ("nps", "--data", data, "--period", "2024-07", "--by", "plan")
    _, rows = read_delimited(ok(*args, "--format", "csv").stdout)
    # the anonymous responses (of May) make a "(none)" segment, undefined in July like the others
    assert [r["segment"] for r in rows] == ["basic", "pro", "(none)", "total"]
    assert all(r["value"] == "" for r in rows)
    doc = as_json(*args)
    assert doc["value"] is None and all(s["value"] is None for s in doc["segments"])
    table = ok(*args, "--format", "table", env={"COLUMNS": "200"}).stdout  # wide enough for whole labels
    for seg in ("basic", "pro", "(none)", "total"):
        line = next(x for x in table.splitlines() if x.split()[:1] == [seg])
        assert "n/a" in line, line


# --------------------------------------------------------------------------- 4. --output


def test_output_writes_the_file_in_the_format_of_its_extension(data, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "out.json"
    result = ok(*mrr_may(data), "--output", target)
    assert result.stdout == ""
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert doc == as_json(*mrr_may(data))
    # atomic write: temp file + rename, nothing left behind
    assert sorted(p.name for p in folder.iterdir()) == ["out.json"]


def test_output_with_csv_extension_and_an_explicit_format(data, tmp_path):
    target = tmp_path / "out.csv"
    ok(*mrr_may(data), "--output", target)
    header, rows = read_delimited(target.read_text(encoding="utf-8"))
    assert header[:5] == ["metric", "period_start", "period_end", "value", "unit"]
    assert float(rows[0]["value"]) == pytest.approx(300)
    target2 = tmp_path / "out.dat"
    ok(*mrr_may(data), "--output", target2, "--format", "json")
    assert json.loads(target2.read_text(encoding="utf-8"))["value"] == pytest.approx(300)


def test_output_into_a_missing_folder_is_a_usage_error(data, tmp_path):
    target = tmp_path / "no" / "such" / "folder" / "out.json"
    result = cli(*mrr_may(data), "--output", target)
    assert result.exit_code == 2
    assert_one_error_line(result)
    assert result.stdout == ""
    assert not (tmp_path / "no").exists()


def test_output_onto_an_existing_folder_is_a_usage_error(data, tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    result = cli(*mrr_may(data), "--output", folder)
    assert result.exit_code == 2, result.stderr
    line = assert_one_error_line(result)
    assert "internal error" not in line
    assert result.stdout == ""
    assert list(folder.iterdir()) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["cwd", "data", "reports"]


# --------------------------------------------------------------------------- 5. --explain


def test_explain_in_json_has_definition_and_the_formula_with_actual_numbers(data):
    doc = as_json(*mrr_may(data), "--explain")
    assert set(doc) == JSON_KEYS | {"definition", "formula"}
    assert doc["definition"] and isinstance(doc["definition"], str)
    f = doc["formula"]
    for number in ("350.00", "120.00", "30.00", "200.00", "300.00", "3,600.00"):
        assert number in f, (number, f)
    nps = as_json("nps", "--data", data, "--period", "2024-05", "--explain")
    assert "5 promoters" in nps["formula"] and "2 detractors" in nps["formula"] and "10 responses" in nps["formula"]
    assert "30.0" in nps["formula"]


def test_explain_in_table_prints_the_formula(data):
    formula = as_json(*mrr_may(data), "--explain")["formula"]
    out = ok(*mrr_may(data), "--format", "table", "--explain").stdout
    flat = " ".join(out.split())  # the table may wrap long lines
    assert " ".join(formula.split()) in flat
    assert ANSI not in out


def test_explain_in_markdown_prints_definition_and_formula(data):
    # May by hand (see test_csv_is_the_default...): opening 350, new 120, expansion 30, churn 200, closing 300
    out = ok(*mrr_may(data), "--format", "markdown", "--explain").stdout
    assert (
        "**Formula.** opening 350.00 + new 120.00 + reactivation 0.00 + expansion 30.00 - contraction 0.00 "
        "- churn 200.00 = closing 300.00"
    ) in out
    assert "**Definition.** MRR on a day = sum of the monthly recurring revenue of non-trial subscription rows" in out
    assert "Closing MRR is taken at the end of 2024-05-31, opening at the end of 2024-04-30" in out


def test_explain_with_csv_keeps_stdout_pure_csv(data):
    plain = ok(*mrr_may(data), "--format", "csv").stdout
    result = ok(*mrr_may(data), "--format", "csv", "--explain")
    assert result.stdout == plain
    header, rows = read_delimited(result.stdout)
    assert header[0] == "metric" and len(rows) == 1
    formula = as_json(*mrr_may(data), "--explain")["formula"]
    assert "definition:" in result.stderr
    assert formula in result.stderr


# --------------------------------------------------------------------------- 6. --strict


@pytest.fixture
def bad_data(tmp_path) -> Path:
    # line 5 (header = line 1) has an MRR that is not an amount; the other rows are the hand-made ones
    subs = SUBSCRIPTIONS.splitlines()
    subs.insert(4, "S9,C9,2024-01-01,,abc,false")
    return write_files(tmp_path / "bad", subscriptions="\n".join(subs) + "\n", customers=CUSTOMERS)


def test_strict_turns_a_rejected_row_into_exit_3(bad_data):
    result = cli(*mrr_may(bad_data), "--strict")
    assert result.exit_code == 3
    line = assert_one_error_line(result)
    assert "--strict" in line and "subscriptions.csv" in line
    assert result.stdout == ""


def test_without_strict_the_rejection_is_reported_with_its_line_number(bad_data):
    result = ok(*mrr_may(bad_data), "--format", "json")
    assert json.loads(result.stdout)["value"] == pytest.approx(300)  # the bad row is left out
    line = next(x for x in result.stderr.splitlines() if "subscriptions.csv" in x and "rejected" in x)
    assert "line 5" in line and "mrr" in line, line


def test_quiet_silences_the_row_accounting(bad_data):
    result = ok(*mrr_may(bad_data), "--quiet")
    assert result.stderr == ""


# --------------------------------------------------------------------------- 7. errors and exit codes


def test_unknown_option_exits_2(data):
    result = cli(*mrr_may(data), "--no-such-option")
    assert result.exit_code == 2
    assert "--no-such-option" in result.stderr
    assert result.stdout == ""


def test_bad_period_exits_2_with_one_error_line(data):
    result = cli("mrr", "--data", data, "--period", "2024-13")
    assert result.exit_code == 2
    line = assert_one_error_line(result)
    assert error_lines(result.stderr) == [line]  # nothing else is said before a usage error
    assert "2024-13" in line
    assert result.stdout == ""


def test_bad_as_of_exits_2(data):
    result = cli("mrr", "--data", data, "--period", "last-month", "--as-of", "15/06/2024")
    assert result.exit_code == 2
    assert_one_error_line(result)


def test_invalid_yaml_names_file_and_line(data, tmp_path):
    cfg = tmp_path / "broken.yaml"
    cfg.write_text("data: .\nperiod: 2024-05\ntimezone: UTC: x\n")  # line 3 is not YAML
    result = cli("mrr", "--config", cfg, "--data", data)
    assert result.exit_code == 2
    line = assert_one_error_line(result)
    assert f"{cfg}:3" in line or "broken.yaml:3" in line, line


def test_unknown_config_key_names_the_key_path(data, tmp_path):
    cfg = tmp_path / "typo.yaml"
    cfg.write_text("metrics:\n  churn:\n    methd: net\n")
    result = cli("churn", "--config", cfg, "--data", data, "--period", "2024-05")
    assert result.exit_code == 2
    line = assert_one_error_line(result)
    assert "metrics.churn.methd" in line


def test_bad_config_value_names_the_accepted_values(data, tmp_path):
    cfg = tmp_path / "gross.yaml"
    cfg.write_text("metrics:\n  churn:\n    method: gross\n")
    result = cli("churn", "--config", cfg, "--data", data, "--period", "2024-05")
    assert result.exit_code == 2
    line = assert_one_error_line(result)
    assert "metrics.churn.method" in line
    assert "cohort" in line and "net" in line and "gross" in line


def test_missing_config_file_exits_2(data, tmp_path):
    result = cli("mrr", "--config", tmp_path / "nope.yaml", "--data", data, "--period", "2024-05")
    assert result.exit_code == 2
    assert_one_error_line(result)


def test_missing_data_file_exits_3(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = cli("mrr", "--data", empty, "--period", "2024-05")
    assert result.exit_code == 3
    line = assert_one_error_line(result)
    assert "subscriptions.csv" in line
    assert result.stdout == ""


def test_missing_column_exits_3_with_the_contract_message(tmp_path):
    folder = write_files(tmp_path / "nocol", subscriptions=NO_STARTED_AT)
    result = cli("mrr", "--data", folder, "--period", "2024-05")
    assert result.exit_code == 3
    assert result.stderr == (
        "error: subscriptions.csv has no column for 'started_at' (found: subscription_id, customer_id, Start, mrr). "
        "Map it in the config: sources.subscriptions.columns.started_at\n"
    )
    assert result.stdout == ""


def test_the_mapping_the_missing_column_error_asks_for_fixes_it(tmp_path):
    folder = write_files(tmp_path / "nocol", subscriptions=NO_STARTED_AT)
    cfg = tmp_path / "map.yaml"
    cfg.write_text("sources:\n  subscriptions:\n    columns:\n      started_at: Start\n")
    assert as_json("mrr", "--config", cfg, "--data", folder, "--period", "2024-05")["value"] == pytest.approx(100)
    # a mapping to a header the file does not have names the header and the key
    cfg.write_text("sources:\n  subscriptions:\n    columns:\n      started_at: Begin\n")
    result = cli("mrr", "--config", cfg, "--data", folder, "--period", "2024-05")
    assert result.exit_code == 3
    line = assert_one_error_line(result)
    assert "'Begin'" in line and "sources.subscriptions.columns.started_at" in line


def test_real_process_exit_codes(data, tmp_path):
    ok_proc = run_process(*mrr_may(data), "--format", "json")
    assert ok_proc.returncode == 0, ok_proc.stderr
    assert json.loads(ok_proc.stdout)["value"] == pytest.approx(300)
    bad_period = run_process("mrr", "--data", data, "--period", "2024-13")
    assert bad_period.returncode == 2
    assert bad_period.stdout == "" and bad_period.stderr.startswith("error:")
    assert len(error_lines(bad_period.stderr)) == 1
    unknown = run_process("mrr", "--bogus")
    assert unknown.returncode == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = run_process("mrr", "--data", empty, "--period", "2024-05")
    assert missing.returncode == 3 and missing.stderr.startswith("error:")


# --------------------------------------------------------------------------- 8. spreadsheet safety


@pytest.mark.parametrize("fmt,delimiter", [("csv", ","), ("tsv", "\t")])
def test_formula_like_segment_values_are_quoted_but_numbers_are_not(data, fmt, delimiter):
    out = ok(*mrr_may(data), "--by", "region", "--format", fmt).stdout
    _, rows = read_delimited(out, delimiter)
    by = {r["segment"]: r for r in rows}
    assert set(by) == {"'=HYPERLINK(\"x\")", "'+north", "'@east", "'-south", "total"}
    # numeric cells stay plain numbers, negative ones included
    assert by["'+north"]["net_new_mrr"] in ("-200", "-200.0")  # C2: 200 -> 0
    assert by["total"]["net_new_mrr"] in ("-50", "-50.0")
    assert float(by["'-south"]["value"]) == pytest.approx(120)  # C4
    assert float(by["'=HYPERLINK(\"x\")"]["value"]) == pytest.approx(100)  # C1
    for row in rows:
        for key, cell in row.items():
            if key not in ("segment", "segment_kind", "metric", "unit", "period_start", "period_end"):
                assert not cell.startswith("'"), (key, cell)
                if cell:
                    float(cell)


def test_json_keeps_segment_values_verbatim(data):
    doc = as_json(*mrr_may(data), "--by", "region")
    assert {s["segment"] for s in doc["segments"]} == {'=HYPERLINK("x")', "+north", "@east", "-south"}


# --------------------------------------------------------------------------- 9. relative periods


def test_last_month_as_of_equals_the_absolute_month(data):
    relative = as_json("mrr", "--data", data, "--period", "last-month", "--as-of", "2024-06-15")
    absolute = as_json(*mrr_may(data))
    assert relative == absolute
    assert relative["period"] == {"start": "2024-05-01", "end": "2024-05-31"}
    rel_csv = ok("mrr", "--data", data, "--period", "last-month", "--as-of", "2024-06-15", "--format", "csv").stdout
    assert rel_csv == ok(*mrr_may(data), "--format", "csv").stdout


def test_default_period_is_last_month(data):
    doc = as_json("mrr", "--data", data, "--as-of", "2024-06-01")
    assert doc["period"] == {"start": "2024-05-01", "end": "2024-05-31"}
    assert doc["value"] == pytest.approx(300)


# --------------------------------------------------------------------------- 10. config discovery


def test_config_from_the_environment_variable(data, tmp_path, monkeypatch):
    cfg = tmp_path / "elsewhere" / "my-config.yaml"
    cfg.parent.mkdir()
    cfg.write_text("data: ../data   # relative to this file's folder, not the working directory\nperiod: 2024-05\n")
    monkeypatch.setenv("CS_METRICS_CONFIG", str(cfg))
    doc = as_json("mrr")
    assert doc["period"] == {"start": "2024-05-01", "end": "2024-05-31"}
    assert doc["value"] == pytest.approx(300)
    # --config wins over the environment
    other = tmp_path / "other.yaml"
    other.write_text(f"data: {json.dumps(str(data))}\nperiod: 2024-04\n")
    assert as_json("mrr", "--config", other)["period"]["start"] == "2024-04-01"


def test_config_in_the_working_directory(data, tmp_path, monkeypatch):
    project = tmp_path / "project"
    project.mkdir()
    data.rename(project / "exports")
    (project / "cs-metrics.yaml").write_text("data: exports   # relative to this file\nperiod: 2024-05\n")
    monkeypatch.chdir(project)
    doc = as_json("mrr")
    assert doc["period"]["start"] == "2024-05-01"
    assert doc["value"] == pytest.approx(300)


def test_environment_variable_wins_over_the_working_directory(data, tmp_path, monkeypatch):
    (Path.cwd() / "cs-metrics.yaml").write_text("metrics:\n  churn:\n    method: gross\n")  # would fail
    cfg = tmp_path / "env.yaml"
    cfg.write_text(f"data: {json.dumps(str(data))}\nperiod: 2024-05\n")
    monkeypatch.setenv("CS_METRICS_CONFIG", str(cfg))
    assert as_json("mrr")["value"] == pytest.approx(300)


# --------------------------------------------------------------------------- 11. validate


def test_validate_clean_data(data):
    result = ok("validate", "--data", data, "--format", "json")
    doc = json.loads(result.stdout)
    rows = {r["table"]: r for r in doc["rows"]}
    counts = {t: (r["read"], r["used"], r["rejected"]) for t, r in rows.items()}
    assert counts["subscriptions"] == (6, 6, 0)
    assert counts["customers"] == (4, 4, 0)
    assert counts["surveys"] == (12, 12, 0)
    assert rows["invoices"]["status"] == "not present"
    assert doc["value"] == 0
    header, csv_rows = read_delimited(ok("validate", "--data", data).stdout)
    assert {"table", "read", "used", "rejected"} <= set(header)
    assert {r["table"]: r["read"] for r in csv_rows}["subscriptions"] == "6"


def test_validate_missing_configured_file_exits_3(data, tmp_path):
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("sources:\n  invoices:\n    path: billing/invoices-export.csv\n")
    result = cli("validate", "--config", cfg, "--data", data, "--format", "json")
    assert result.exit_code == 3
    rows = {r["table"]: r for r in json.loads(result.stdout)["rows"]}
    assert rows["invoices"]["status"] == "missing"
    assert_one_error_line(result)


def test_validate_strict_with_a_rejected_row_exits_3(bad_data):
    plain = cli("validate", "--data", bad_data, "--format", "json")
    assert plain.exit_code == 0, plain.stderr
    rows = {r["table"]: r for r in json.loads(plain.stdout)["rows"]}
    assert rows["subscriptions"]["rejected"] == 1 and rows["subscriptions"]["read"] == 7
    assert "5" in rows["subscriptions"]["problem"]  # the line number of the bad row
    strict = cli("validate", "--data", bad_data, "--strict")
    assert strict.exit_code == 3
    assert_one_error_line(strict)


# --------------------------------------------------------------------------- 12. init


def test_init_writes_a_starter_config_and_refuses_to_overwrite(data):
    target = Path.cwd() / "cs-metrics.yaml"
    first = ok("init")
    assert target.exists()
    text = target.read_text(encoding="utf-8")
    assert first.stdout == ""
    # the starter config is valid and picked up from the working directory
    assert as_json("mrr", "--data", data, "--period", "2024-05")["value"] == pytest.approx(300)

    target.write_text(text + "# my edits\n", encoding="utf-8")
    again = cli("init")
    assert again.exit_code == 2
    line = assert_one_error_line(again)
    assert "--force" in line
    assert target.read_text(encoding="utf-8").endswith("# my edits\n")

    ok("init", "--force")
    assert target.read_text(encoding="utf-8") == text
    assert [p.name for p in Path.cwd().iterdir()] == ["cs-metrics.yaml"]  # no temp file left


def playbook_closing_mrr(day: date) -> float:
    """Closing MRR of the playbook export at the end of `day`, independently of the program:
    rows with start_date <= day < end_date (empty end_date = still running)."""
    total = 0.0
    with open(MRR_PLAYBOOK / "subscription_periods.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            start = date.fromisoformat(row["start_date"])
            end = date.fromisoformat(row["end_date"]) if row["end_date"].strip() else date.max
            if start <= day < end:
                total += float(row["monthly_amount"])
    return total


def test_init_from_the_mrr_playbook_gives_a_working_config(tmp_path):
    assert (MRR_PLAYBOOK / "subscription_periods.csv").exists()
    cfg = tmp_path / "playbook.yaml"
    result = ok("init", "--from", MRR_PLAYBOOK, "--output", cfg)
    assert "subscription_periods.csv" in result.stderr and "subscriptions" in result.stderr
    assert cfg.exists()
    doc = as_json("mrr", "--config", cfg, "--period", "2019-03")
    expected = playbook_closing_mrr(date(2019, 3, 31))
    assert expected > 0
    assert doc["value"] == pytest.approx(expected, abs=1e-6)
    assert doc["details"]["opening_mrr"] == pytest.approx(playbook_closing_mrr(date(2019, 2, 28)), abs=1e-6)


def test_init_from_a_missing_folder_exits_2(tmp_path):
    result = cli("init", "--from", tmp_path / "nope", "--output", tmp_path / "x.yaml")
    assert result.exit_code == 2
    assert_one_error_line(result)


# --------------------------------------------------------------------------- 13, 14. real processes


def test_help_does_not_import_pandas():
    proc = run_process("--help", python_flags=("-X", "importtime"))
    assert proc.returncode == 0, proc.stderr
    assert "mrr" in proc.stdout and "validate" in proc.stdout
    assert "import time:" in proc.stderr  # -X importtime did report
    heavy = [line for line in proc.stderr.splitlines() if "pandas" in line]
    assert not heavy, heavy[:5]


def test_command_help_does_not_import_pandas():
    proc = run_process("mrr", "--help", python_flags=("-X", "importtime"))
    assert proc.returncode == 0, proc.stderr
    assert "--period" in proc.stdout
    assert not [line for line in proc.stderr.splitlines() if "pandas" in line]


def test_no_color_on_a_real_terminal(data):
    # On a terminal the default format is table (so the pty really is a terminal to the program) ...
    rc, out, err = run_on_terminal(*mrr_may(data))
    assert rc == 0, err
    assert "opening mrr" in out and "metric,period_start" not in out
    # ... and NO_COLOR turns off colour and box drawing there.
    rc, out, err = run_on_terminal(*mrr_may(data), "--format", "table", NO_COLOR="1")
    assert rc == 0, err
    assert "300.00" in out
    assert ANSI not in out
    assert not BOX_CHARS & set(out), BOX_CHARS & set(out)


def test_no_color_when_piped(data):
    proc = run_process(*mrr_may(data), "--format", "table", NO_COLOR="1")
    assert proc.returncode == 0, proc.stderr
    assert "300.00" in proc.stdout
    assert ANSI not in proc.stdout and ANSI not in proc.stderr
    assert not BOX_CHARS & set(proc.stdout)


# --------------------------------------------------------------------------- 15. sample data


def test_sample_data_bridge_identity():
    doc = as_json("mrr", "--config", ROOT / "sample_data" / "cs-metrics.yaml", "--period", "2026-10")
    d = doc["details"]
    gains = d["new_mrr"] + d["reactivation_mrr"] + d["expansion_mrr"]
    bridge = d["opening_mrr"] + gains - d["contraction_mrr"] - d["churn_mrr"]
    assert bridge == pytest.approx(d["closing_mrr"], abs=1e-6)
    assert d["closing_mrr"] == pytest.approx(doc["value"], abs=1e-6)
    assert d["arr"] == pytest.approx(12 * doc["value"], abs=1e-6)
    assert d["net_new_mrr"] == pytest.approx(d["closing_mrr"] - d["opening_mrr"], abs=1e-6)
    assert doc["value"] > 0
    for m in MOVEMENTS:
        assert d[f"{m}_mrr"] >= 0, m  # movements are positive amounts
        assert d[f"{m}_customers"] <= d[f"{m}_count"], m
