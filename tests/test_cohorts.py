"""Retention cohorts: hand-computed logo and revenue matrices, the month-end boundaries, the
difference-array MRR grid against a naive per-month-end computation, the heat map and the CLI.

The hand-made history (MRR per month, amounts in currency units; period 2024-06 unless said):

    customer  rows                                                       first paid  cohort
    A         100 from 2024-04-30 (a month's last day), running           04-30       2024-04
    B         trial 30 2024-03-15..04-10, 200 04-10..05-01 (ends on the   04-10       2024-04
              1st), back at 150 from 06-15 (churns and comes back)
    C         trial 40 2024-04-20..05-05, 100 05-05..06-10, 250 from      05-05       2024-05
              06-10 (trial before the first payment, then an upgrade)
    D         50 from 2024-05-31 (a month's last day) to 06-30            05-31       2024-05
              (ends on a month's last day: not paying at the end of 06-30)
    E         80 from 2024-06-01, running                                 06-01       2024-06
    F         70 from 2024-03-01, running                                 03-01       2024-03
    G         60 from 2024-06-25, running                                 06-25       2024-06
    H         trial 0 2024-05-01..05-15, never paid                       -           none

MRR at the month ends (a row counts on d when started_at <= d < ended_at):

              03-31  04-30  05-31  06-30
    A           0     100    100    100
    B           0     200      0    150     (trial not MRR; 200 ended on 05-01 > 04-30; back 06-15)
    C           0       0    100    250     (the trial does not count)
    D           0       0     50      0     (started 05-31 <= 05-31; ended 06-30, not < 06-30)
    E           0       0      0     80
    F          70      70     70     70
    G           0       0      0     60
"""

from __future__ import annotations

import calendar
import csv
import io
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cs_metrics.cli import app
from cs_metrics.config import parse_config
from cs_metrics.errors import UsageError
from cs_metrics.metrics._state import paying_rows
from cs_metrics.metrics.cohorts import cohorts, month_end_mrr
from cs_metrics.period import parse_period
from cs_metrics.render import heat_rgb, matrix_cell, matrix_columns, render
from cs_metrics.result import MetricResult
from frames import subs

CFG = parse_config({})
JUNE = parse_period("2024-06")
ANSI = "\x1b["
BOX_CHARS = set("─│╭╮╰╯┃━┏┓┗┛┡┩├┤┼┬┴═║╔╗╚╝╞╡╪┌┐└┘")


HISTORY = subs(
    ("A", "2024-04-30", None, 100),
    ("B", "2024-03-15", "2024-04-10", 30, True),
    ("B", "2024-04-10", "2024-05-01", 200),
    ("B", "2024-06-15", None, 150),
    ("C", "2024-04-20", "2024-05-05", 40, True),
    ("C", "2024-05-05", "2024-06-10", 100),
    ("C", "2024-06-10", None, 250),
    ("D", "2024-05-31", "2024-06-30", 50),
    ("E", "2024-06-01", None, 80),
    ("F", "2024-03-01", None, 70),
    ("G", "2024-06-25", None, 60),
    ("H", "2024-05-01", "2024-05-15", 0, True),
)


def run(period=JUNE, frame=HISTORY, **options) -> MetricResult:
    """The hand-made history over three monthly cohorts unless `months` says otherwise."""
    options.setdefault("months", 3)
    return cohorts({"subscriptions": frame}, period, CFG, **options)


def grid(result: MetricResult) -> dict[str, list]:
    """cohort -> [m0, m1, ...] (None = empty cell)."""
    keys = matrix_columns(result.rows)
    return {row["cohort"]: [row[k] for k in keys] for row in result.rows}


def approx_grid(expected: dict[str, list]) -> dict[str, list]:
    return {c: [None if v is None else pytest.approx(v) for v in cells] for c, cells in expected.items()}


# --------------------------------------------------------------------------- hand-computed matrices


def test_logo_matrix_by_hand():
    r = run()
    # 2024-04 = {A, B}: 04-30 both pay; 05-31 only A (B ended 05-01); 06-30 both (B came back 06-15).
    # 2024-05 = {C, D}: 05-31 both; 06-30 only C (D ended 06-30). 07-31 is after the period: empty.
    # 2024-06 = {E, G}: 06-30 both. C's trial (April) and B's trial (March) do not make them April/March.
    assert grid(r) == approx_grid(
        {
            "2024-04": [100.0, 50.0, 100.0],
            "2024-05": [100.0, 50.0, None],
            "2024-06": [100.0, None, None],
        }
    )
    assert [row["customers"] for row in r.rows] == [2, 2, 2]
    # value: the cohorts with a month 1 are 2024-04 and 2024-05: (1 + 1) paying / (2 + 2) x 100 = 50.0
    assert r.value == pytest.approx(50.0)
    assert r.unit == "percent" and r.metric == "cohorts"
    d = r.details
    assert (d["kind"], d["months"], d["cohorts"], d["customers"]) == ("logo", 3, 3, 6)
    assert (d["first_cohort"], d["last_cohort"]) == ("2024-04", "2024-06")
    assert d["m1_retention"] == pytest.approx(50.0)
    assert (d["m1_cohort_customers"], d["m1_paying_customers"]) == (4, 2)
    assert "m3_retention" not in d  # the grid has m0..m2 only
    assert "2 of 4 customers" in r.formula and "50.00 %" in r.formula
    assert "first paid day" in r.definition


def test_revenue_matrix_by_hand():
    r = run(kind="revenue")
    # 2024-04: month 0 MRR = A 100 + B 200 = 300; 05-31: 100 -> 33.33; 06-30: 100 + 150 = 250 -> 83.33
    # 2024-05: month 0 = C 100 + D 50 = 150; 06-30: C 250 (upgraded) + D 0 = 250 -> 166.67 (above 100)
    # 2024-06: month 0 = E 80 + G 60 = 140 -> 100
    assert grid(r) == approx_grid(
        {
            "2024-04": [100.0, 100 / 3, 250 / 3],
            "2024-05": [100.0, 500 / 3, None],
            "2024-06": [100.0, None, None],
        }
    )
    assert [row["mrr_month_0"] for row in r.rows] == pytest.approx([300.0, 150.0, 140.0])
    # value: month-0-MRR-weighted month 1 = (100 + 250) / (300 + 150) x 100 = 77.78
    assert r.value == pytest.approx(350 / 450 * 100)
    assert r.details["m1_mrr_month_0"] == pytest.approx(450.0)
    assert r.details["m1_mrr"] == pytest.approx(350.0)
    assert r.details["kind"] == "revenue"
    assert "ci95_low" not in r.details  # not a count out of a count
    assert not r.warnings


def test_every_row_has_the_same_keys_for_a_rectangular_grid():
    for kind, head in (("logo", ["cohort", "customers"]), ("revenue", ["cohort", "customers", "mrr_month_0"])):
        r = run(kind=kind)
        assert all(list(row) == head + ["m0", "m1", "m2"] for row in r.rows)
        cells = [row[k] for row in r.rows for k in ("m0", "m1", "m2")]
        assert all(isinstance(v, float) or v is None for v in cells)


def test_months_bounds_the_cohorts_and_weights_by_cohort_size():
    r = run(months=4)
    # adds 2024-03 = {F} (B's trial started in March but B is not in it): 03-31 .. 06-30 all paying.
    assert grid(r) == approx_grid(
        {
            "2024-03": [100.0, 100.0, 100.0, 100.0],
            "2024-04": [100.0, 50.0, 100.0, None],
            "2024-05": [100.0, 50.0, None, None],
            "2024-06": [100.0, None, None, None],
        }
    )
    assert r.rows[0]["customers"] == 1
    # weighted: (1 + 1 + 1) / (1 + 2 + 2) x 100 = 60.0 (the plain mean of 100, 50, 50 would be 66.7)
    assert r.value == pytest.approx(60.0)
    assert r.details["m3_retention"] == pytest.approx(100.0)  # only 2024-03 has a month 3: 1 / 1
    rev = run(months=4, kind="revenue")
    # (70 + 100 + 250) / (70 + 300 + 150) x 100 = 420 / 520 x 100 = 80.77
    assert rev.value == pytest.approx(420 / 520 * 100)
    assert rev.details["m3_retention"] == pytest.approx(100.0)  # F: 70 / 70


def test_one_month_has_no_month_1_so_the_value_is_undefined():
    r = run(months=1)
    assert grid(r) == {"2024-06": [100.0]}
    assert r.value is None
    assert any("undefined" in w and "month 1" in w for w in r.warnings)


def test_a_period_ending_mid_month_leaves_later_cells_and_later_customers_out():
    period = parse_period("2024-06-01..2024-06-20")
    r = run(period=period)
    # the last month end on or before 06-20 is 05-31: columns m0 (and m1 for 2024-04 only).
    # 2024-06 = {E}: G first paid on 06-25, after the period; its month 0 (06-30) is after 06-20: empty.
    assert grid(r) == approx_grid({"2024-04": [100.0, 50.0], "2024-05": [100.0, None], "2024-06": [None, None]})
    assert [row["customers"] for row in r.rows] == [2, 2, 1]
    assert r.value == pytest.approx(50.0)  # 2024-04 only: 1 / 2
    rev = run(period=period, kind="revenue")
    assert [row["mrr_month_0"] for row in rev.rows] == [pytest.approx(300.0), pytest.approx(150.0), None]
    assert rev.value == pytest.approx(100 / 300 * 100)


def test_a_quarter_uses_its_last_month_as_the_last_cohort():
    r = run(period=parse_period("2024-Q2"), months=3)
    assert [row["cohort"] for row in r.rows] == ["2024-04", "2024-05", "2024-06"]
    assert grid(r) == grid(run(months=3))


def test_rows_after_the_period_do_not_change_the_matrix():
    later = pd.concat([HISTORY, subs(("A", "2024-07-01", None, 500), ("Z", "2024-07-01", None, 90))], ignore_index=True)
    assert run(frame=later).rows == run().rows


def test_an_empty_history_is_undefined_with_empty_cohorts():
    r = run(frame=HISTORY.iloc[:0])
    assert r.value is None and any("undefined" in w for w in r.warnings)
    assert [row["customers"] for row in r.rows] == [0, 0, 0]
    assert all(v is None for cells in grid(r).values() for v in cells)


def test_revenue_with_no_month_0_mrr_is_undefined():
    # X pays from 2024-04-10 to 2024-04-20 only: in the 2024-04 cohort but no MRR at 04-30.
    r = run(frame=subs(("X", "2024-04-10", "2024-04-20", 100)), kind="revenue")
    assert r.rows[0]["mrr_month_0"] == 0.0 and grid(r)["2024-04"] == [None, None, None]
    assert r.value is None and any("undefined" in w for w in r.warnings)
    logo = run(frame=subs(("X", "2024-04-10", "2024-04-20", 100)))
    assert grid(logo)["2024-04"] == [0.0, 0.0, 0.0] and logo.value == 0.0


@pytest.mark.parametrize("months", [0, -3, 1201])
def test_months_outside_1_to_1200_is_a_usage_error(months):
    with pytest.raises(UsageError, match="--months"):
        run(months=months)


# --------------------------------------------------------------------------- the grid against a naive computation


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def month_ends(first: date, last: date) -> list[date]:
    out, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(month_end(y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


BOUNDARIES = [d for me in month_ends(date(2023, 1, 1), date(2024, 12, 1)) for d in (me, me + timedelta(days=1))]
days = st.one_of(st.dates(date(2023, 1, 1), date(2024, 12, 31)), st.sampled_from(BOUNDARIES))
history_rows = st.lists(
    st.tuples(
        st.sampled_from("abcde"),
        days,
        st.one_of(st.none(), days),  # end: None = running; on or before the start = never active
        st.integers(0, 5_000_000),  # MRR units; 0 = not paying
        st.booleans(),  # is_trial
    ),
    max_size=14,
)


def frame_of(rows) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "customer_id": pd.Series([r[0] for r in rows], dtype="str"),
            "started_at": pd.to_datetime(pd.Series([r[1] for r in rows], dtype="object")),
            "ended_at": pd.to_datetime(pd.Series([r[2] for r in rows], dtype="object")),
            "mrr": pd.Series([r[3] for r in rows], dtype="int64"),
            "is_trial": pd.Series([r[4] for r in rows], dtype="bool"),
        }
    )
    return frame


def naive_mrr(rows, customer: str, d: date) -> int:
    """MRR_c(d) straight from the definition: non-trial rows with MRR active on d."""
    return sum(
        m for c, s, e, m, trial in rows if c == customer and not trial and m > 0 and s <= d and (e is None or d < e)
    )


@settings(max_examples=200, deadline=None)
@given(history_rows)
def test_difference_array_grid_equals_a_naive_per_month_end_computation(rows):
    customers = pd.Index(sorted({r[0] for r in rows}), dtype="str")
    first, last = date(2023, 3, 1), date(2024, 8, 1)  # rows start before and end after: clipped
    got = month_end_mrr(paying_rows(frame_of(rows)), customers, first, last)
    expected = np.array([[naive_mrr(rows, c, d) for d in month_ends(first, last)] for c in customers], dtype="int64")
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, expected.reshape(len(customers), len(month_ends(first, last))))


@settings(max_examples=100, deadline=None)
@given(
    history_rows,
    st.sampled_from(["2024-06", "2024-06-01..2024-06-17", "2024-Q2", "2024-01"]),
    st.integers(1, 8),
    st.sampled_from(["logo", "revenue"]),
)
def test_cohort_matrix_equals_a_naive_computation(rows, period_text, months, kind):
    period = parse_period(period_text)
    r = cohorts({"subscriptions": frame_of(rows)}, period, CFG, kind=kind, months=months)
    # naive: first paid day of each customer, its cohort month, each cell from MRR_c at a month end
    paid = [(c, s) for c, s, e, m, trial in rows if not trial and m > 0 and (e is None or e > s)]
    first_paid = {c: min(s for cc, s in paid if cc == c) for c, _ in paid}
    last = period.end.year * 12 + period.end.month - 1
    expected = {}
    for i in range(months):
        y, m0 = divmod(last - months + 1 + i, 12)
        members = [c for c, f in first_paid.items() if (f.year, f.month) == (y, m0 + 1) and f <= period.end]
        cells = []
        for k in range(len(r.rows[0]) - (3 if kind == "revenue" else 2)):
            yk, mk = divmod(y * 12 + m0 + k, 12)
            d = month_end(yk, mk + 1)
            if d > period.end:
                cells.append(None)
                continue
            if kind == "logo":
                num, den = sum(naive_mrr(rows, c, d) > 0 for c in members), len(members)
            else:
                num = sum(naive_mrr(rows, c, d) for c in members)
                den = sum(naive_mrr(rows, c, month_end(y, m0 + 1)) for c in members)
            cells.append(num / den * 100 if den else None)
        expected[f"{y:04d}-{m0 + 1:02d}"] = cells
    assert grid(r) == approx_grid(expected)
    assert [row["customers"] for row in r.rows] == [
        sum(1 for f in first_paid.values() if f <= period.end and f.strftime("%Y-%m") == label) for label in expected
    ]


# --------------------------------------------------------------------------- rendering


def test_matrix_columns_are_detected_by_their_keys():
    assert matrix_columns(run().rows) == ["m0", "m1", "m2"]
    assert matrix_columns([{"customer": "A", "m1": 1.0}]) == []  # no m0
    assert matrix_columns([{"customer": "A", "mrr": 1.0}]) == []
    assert matrix_columns([{"m0": 1.0, "m1": 2.0}, {"m0": 1.0}]) == []  # not rectangular
    assert matrix_columns(None) == [] and matrix_columns([]) == []
    assert (matrix_cell(83.3333), matrix_cell(None), matrix_cell(166.66)) == ("83.3", "", "166.7")


def test_heat_colours_run_from_red_through_yellow_to_green():
    red, yellow, green = heat_rgb(0), heat_rgb(50), heat_rgb(100)
    assert red[0] > red[1] and yellow[0] > 200 and yellow[1] > 200 and green[1] > green[0]
    assert heat_rgb(-5) == red and heat_rgb(180) == green  # revenue above 100 stays green


def test_table_without_colour_is_plain_numbers_with_blank_empty_cells():
    text = render(run(kind="revenue"), "table", color=False, width=100)
    assert ANSI not in text and not BOX_CHARS & set(text)
    lines = {line.split()[0]: line for line in text.splitlines() if line.strip().startswith("2024-")}
    assert lines["2024-04"].split() == ["2024-04", "2", "300.00", "100.0", "33.3", "83.3"]
    assert lines["2024-05"].split() == ["2024-05", "2", "150.00", "100.0", "166.7"]  # m2 blank
    assert lines["2024-06"].split() == ["2024-06", "2", "140.00", "100.0"]
    assert "%" not in "".join(lines.values())
    assert "value: 77.78 %" in text


def test_table_with_colour_shades_the_cells():
    text = render(run(months=12), "table", color=True, width=60)
    assert ANSI in text and set(text) & BOX_CHARS
    # shaded cells: black text (30) on a background colour, whatever colour system the terminal has
    assert f"{ANSI}30;4" in text or f"{ANSI}30;10" in text
    lines = [line for line in text.splitlines() if "2024-04" in line]
    assert len(lines) == 1  # never wraps a row, however narrow the width: the table is as wide as it needs


def test_markdown_and_csv_of_the_matrix():
    md = render(run(), "markdown")
    assert "| 2024-05 | 2 | 100.0 | 50.0 |  |" in md
    rows = list(csv.reader(io.StringIO(render(run(), "csv"))))
    assert rows[0] == ["cohort", "customers", "m0", "m1", "m2"]
    assert rows[3] == ["2024-06", "2", "100.0", "", ""]


# --------------------------------------------------------------------------- CLI

SUBSCRIPTIONS_CSV = """\
subscription_id,customer_id,started_at,ended_at,mrr,is_trial
S1,A,2024-04-30,,100,false
S2,B,2024-03-15,2024-04-10,30,true
S3,B,2024-04-10,2024-05-01,200,false
S4,B,2024-06-15,,150,false
S5,C,2024-04-20,2024-05-05,40,true
S6,C,2024-05-05,2024-06-10,100,false
S7,C,2024-06-10,,250,false
S8,D,2024-05-31,2024-06-30,50,false
S9,E,2024-06-01,,80,false
S10,F,2024-03-01,,70,false
S11,G,2024-06-25,,60,false
S12,H,2024-05-01,2024-05-15,0,true
"""


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.delenv("CS_METRICS_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)  # no ./cs-metrics.yaml
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "subscriptions.csv").write_text(SUBSCRIPTIONS_CSV, encoding="utf-8")
    return folder


def cli(*args, env=None):
    result = CliRunner().invoke(app, ["cohorts", *map(str, args)], env=env)
    assert "Traceback" not in result.stdout + result.stderr
    return result


def test_cli_revenue_csv_is_a_rectangular_grid(data):
    result = cli("--data", data, "--period", "2024-06", "--kind", "revenue", "--months", 3, "--format", "csv", "--rows")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["cohort", "customers", "mrr_month_0", "m0", "m1", "m2"]
    assert all(len(row) == 6 for row in rows)
    body = {row[0]: row[1:] for row in rows[1:]}
    assert list(body) == ["2024-04", "2024-05", "2024-06"]
    # same hand-computed cells as test_revenue_matrix_by_hand; empty cells are empty strings
    assert [float(x) for x in body["2024-04"]] == pytest.approx([2, 300, 100, 100 / 3, 250 / 3])
    assert body["2024-05"][4] == "" and float(body["2024-05"][3]) == pytest.approx(500 / 3)
    assert body["2024-06"][3:] == ["", ""]


def test_cli_table_without_colour_has_no_ansi_codes(data):
    for env in (None, {"NO_COLOR": "1"}):
        result = cli("--data", data, "--period", "2024-06", "--months", 3, "--format", "table", "--rows", env=env)
        assert result.exit_code == 0, result.stderr
        assert ANSI not in result.stdout and not BOX_CHARS & set(result.stdout)
        line = next(x for x in result.stdout.splitlines() if x.strip().startswith("2024-04"))
        assert line.split() == ["2024-04", "2", "100.0", "50.0", "100.0"]


def test_cli_json_has_rows_and_null_cells(data):
    import json

    result = cli("--data", data, "--period", "2024-06", "--months", 3, "--format", "json")
    doc = json.loads(result.stdout)
    assert doc["value"] == pytest.approx(50.0) and doc["unit"] == "percent"
    assert doc["rows"][2] == {"cohort": "2024-06", "customers": 2, "m0": 100.0, "m1": None, "m2": None}


@pytest.mark.parametrize("months", ["0", "-1"])
def test_cli_months_below_1_exits_2_with_one_error_line(data, months):
    result = cli("--data", data, "--period", "2024-06", "--months", months)
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "--months" in errors[0]


def test_cli_unknown_kind_exits_2(data):
    result = cli("--data", data, "--period", "2024-06", "--kind", "logos")
    assert result.exit_code == 2
