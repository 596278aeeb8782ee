"""Cell values: the two read paths accept the same values with the same result, and no cell can
cost more than its size (cs_metrics/sources/values.py)."""

from __future__ import annotations

import io
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cs_metrics.sources import values

TZ = "Asia/Bangkok"  # UTC+7 all year: wall-clock and instants differ, so a path that forgets the zone shows


def arrow_cell(text: str, typ: pa.DataType):
    """What Arrow's CSV reader makes of one cell typed `typ`, with the loader's options:
    ("refused", None), ("null", None) or ("value", value)."""
    data = ("x\n" + '"' + text.replace('"', '""') + '"\n').encode("utf-8")
    try:
        tbl = pacsv.read_csv(
            io.BytesIO(data),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={"x": typ}, null_values=[""], strings_can_be_null=False, quoted_strings_can_be_null=True
            ),
        )
    except pa.ArrowInvalid:
        return "refused", None
    value = tbl.column(0)[0].as_py()
    return ("null", None) if value is None else ("value", value)


CHARS = st.sampled_from(list("0123456789") * 4 + list("-:T .,Z+e") + ["NULL", "nan", "inf", "NA", "24", "60", "2024", "12"])
DATEISH = st.one_of(
    st.lists(CHARS, max_size=14).map("".join),
    st.builds(
        lambda y, m, d, rest: f"{y:04d}-{m:02d}-{d:02d}{rest}",
        st.integers(1, 9999),
        st.integers(0, 13),
        st.integers(0, 32),
        st.sampled_from(["", " 14", "T14:03", " 14:03:00", "T23:59:59.123456", " 24:00:00", "T14:60", " 14:03:00Z", "T01:02:03+07:00", " 7:03"]),
    ),
)


@settings(max_examples=200, deadline=None)
@given(DATEISH)
def test_every_datetime_arrow_accepts_the_text_path_accepts_alike(text):
    kind, value = arrow_cell(text, pa.timestamp("us"))
    parsed = values.parse_datetimes(pd.Series([text]), None, TZ).iloc[0]
    if kind == "value":
        # Arrow read naive wall-clock time; the loader then converts it from the zone to UTC
        expected = values.fast_naive_to_utc(pd.Series([pd.Timestamp(value)]).astype("datetime64[us]"), TZ).iloc[0]
        assert parsed == expected or (pd.isna(parsed) and pd.isna(expected)), text
    elif kind == "null":
        assert pd.isna(parsed)


@settings(max_examples=200, deadline=None)
@given(DATEISH)
def test_every_date_arrow_accepts_the_text_path_accepts_alike(text):
    kind, value = arrow_cell(text, pa.timestamp("us"))
    parsed = values.parse_dates(pd.Series([text]), None, TZ).iloc[0]
    if kind == "value":
        assert parsed == pd.Timestamp(value).floor("D"), text
    elif kind == "null":
        assert pd.isna(parsed)


NUMBERISH = st.one_of(
    st.lists(st.sampled_from(list("0123456789") * 3 + list("+-.eE ,") + ["nan", "inf", "NULL", "NA", "Infinity"]), max_size=10).map("".join),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@settings(max_examples=200, deadline=None)
@given(NUMBERISH)
def test_every_number_arrow_accepts_the_text_path_accepts_alike(text):
    kind, value = arrow_cell(text, pa.float64())
    parsed = values.parse_number(pd.Series([text])).iloc[0]
    if kind == "value" and np.isfinite(value):
        assert parsed == value, text
    else:  # refused, empty, nan and inf: never a number on either path (the fast path rejects nan/inf)
        assert pd.isna(parsed), text


def test_numbers_are_read_correctly_rounded_as_arrow_reads_them():
    # pandas' own parser reads +1006e101 as 1.0059999999999999e+104; Arrow (the fast path) as 1.006e+104
    assert values.parse_number(pd.Series(["+1006e101", "1.", ".5", "1e400", "007"])).tolist()[:2] == [1.006e104, 1.0]
    assert values.parse_number(pd.Series(["1e400"])).isna().all()  # not finite: no value


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2024-05-31", "2024-05-30 17:00"),  # local midnight in Bangkok
        ("2024-05-31 14", "2024-05-31 07:00"),
        ("2024-05-31T14:03:00", "2024-05-31 07:03"),
        ("2024-05-31T14:03:00.5", "2024-05-31 07:03:00.5"),
        ("2024-05-31T14:03:00Z", "2024-05-31 14:03"),
        ("2024-05-31 23:30:00+07", "2024-05-31 16:30"),
        ("2024-05-31T20:00:00-05:00", "2024-06-01 01:00"),
        ("9999-12-31", "9999-12-30 17:00"),
    ],
)
def test_iso_datetimes_by_hand(text, expected):
    assert values.parse_datetimes(pd.Series([text]), None, TZ).iloc[0] == pd.Timestamp(expected)


@pytest.mark.parametrize("text", ["2024-02-30", "2024-13-01", "2024-05-31T24:00:00", "2024-05-31T14:60", "NULL", "nan", "2024-5-31", "31/05/2024"])
def test_not_iso_datetimes(text):
    assert pd.isna(values.parse_datetimes(pd.Series([text]), None, TZ).iloc[0])


def test_custom_formats_hold_years_up_to_9999():
    # pandas 2 cannot hold 31/12/9999 in nanoseconds; the loader falls back per distinct value
    out = values.parse_dates(pd.Series(["31/12/9999", "31/02/2024", "01/06/2024"]), "%d/%m/%Y", "UTC")
    assert out.tolist()[0] == pd.Timestamp("9999-12-31") and pd.isna(out.iloc[1]) and out.iloc[2] == pd.Timestamp("2024-06-01")


@pytest.mark.parametrize(
    "text, fmt, day",
    [
        ("10/03/2026 02:05:12 PM", "%m/%d/%Y %I:%M:%S %p", "2026-10-03"),  # a time inside the format
        ("10/03/2026 11:30 PM", "%m/%d/%Y", "2026-10-03"),  # a naive time after the date: already local
        ("31/05/2024 20:00 +00:00", "%d/%m/%Y", "2024-06-01"),  # 20:00 UTC is 03:00 next day in Bangkok
        ("31/05/2024 10:00 Z", "%d/%m/%Y", "2024-05-31"),  # 17:00 in Bangkok
    ],
)
def test_custom_date_formats_with_times_and_offsets(text, fmt, day):
    assert values.parse_dates(pd.Series([text]), fmt, TZ).iloc[0] == pd.Timestamp(day)


@pytest.mark.parametrize(
    "text, instant",
    [
        ("2026-06-10 03:12:00 UTC", "2026-06-10 03:12"),  # Recurly: the zone word after the time
        ("2026-06-10 20:12:00 GMT", "2026-06-10 20:12"),
        ("2026-06-10 03:12:00UTC", "2026-06-10 03:12"),
        ("2026-06-10T03:12:00.000265Z", "2026-06-10 03:12:00.000265"),  # Paddle: RFC 3339 with fractions
        ("2026-10-10 04:57", "2026-10-09 21:57"),  # Stripe: no seconds, no zone: wall-clock time in Bangkok
    ],
)
def test_datetimes_with_a_zone_word_or_fractions(text, instant):
    assert values.parse_datetimes(pd.Series([text]), None, TZ).iloc[0] == pd.Timestamp(instant)


def test_a_zone_word_in_a_date_column_gives_the_day_in_the_time_zone():
    # 20:12 UTC is 03:12 the next day in Bangkok; a zone the parser does not know is no value
    days = values.parse_dates(pd.Series(["2026-06-10 20:12:00 UTC", "2026-06-10 03:12:00 UTC", "2026-06-10 03:12:00 PST"]), None, TZ)
    assert days.iloc[0] == pd.Timestamp("2026-06-11") and days.iloc[1] == pd.Timestamp("2026-06-10") and pd.isna(days.iloc[2])
    custom = values.parse_dates(pd.Series(["10/06/2026 20:12 UTC"]), "%d/%m/%Y", TZ)
    assert custom.iloc[0] == pd.Timestamp("2026-06-11")


# --------------------------------------------------------------------------- hostile cells


HOSTILE = ["1" + " " * 40_000 + "x", "(" * 20_000 + "1" + ")" * 20_000, "1," * 20_000 + "x", "2024-05-31" + "T" * 40_000, "1" * 40_000 + "e"]


@pytest.mark.parametrize("cell", HOSTILE, ids=["spaces", "parens", "groups", "time-suffix", "digits"])
def test_a_hostile_cell_costs_no_more_than_its_size(cell):
    series = pd.Series([cell] * 20)
    start = time.perf_counter()
    for parse in (
        lambda s: values.parse_money(s, False),
        lambda s: values.parse_money(s, True),
        lambda s: values.parse_number(s),
        lambda s: values.parse_int(s),
        lambda s: values.parse_dates(s, None, "UTC"),
        lambda s: values.parse_dates(s, "%d/%m/%Y", "UTC"),
        lambda s: values.parse_datetimes(s, None, "UTC"),
    ):
        assert parse(series).isna().all()
    # 20 cells of 40 KB through seven parsers: linear work is milliseconds; the old patterns took 42 s a cell
    assert time.perf_counter() - start < 5


def test_money_spellings_still_read():
    cells = ["1234.5", "-20", "1,234.50", "$1,234.50", "฿1,234.50", "(20.00)", "USD 20", "20 USD", "+5", "$-5", "1 234.50", "0.0001"]
    units = values.parse_money(pd.Series(cells), False).tolist()
    assert units == [12_345_000, -200_000, 12_345_000, 12_345_000, 12_345_000, -200_000, 200_000, 200_000, 50_000, -50_000, 12_345_000, 1]


def test_money_above_the_range_is_not_a_value():
    units = values.parse_money(pd.Series(["100000000000", "100000000000.01", "7000000000000"]), False)
    assert units.iloc[0] == 100_000_000_000 * values.MONEY_SCALE and units.iloc[1:].isna().all()


MONEYISH = st.one_of(
    st.lists(st.sampled_from(list("0123456789") * 3 + list("+-.eE ,$()") + ["nan", "1e300", "NULL"]), max_size=12).map("".join),
    st.decimals(min_value=-10**12, max_value=10**12, places=4, allow_nan=False).map(str),
)


@settings(max_examples=200, deadline=None)
@given(MONEYISH)
def test_every_amount_arrow_accepts_the_text_path_accepts_alike(text):
    from cs_metrics.sources.values import fast_money_units

    kind, _ = arrow_cell(text, pa.decimal128(18, 4))
    parsed = values.parse_money(pd.Series([text]), False).iloc[0]
    if kind == "value":
        data = ("x\n" + '"' + text.replace('"', '""') + '"\n').encode("utf-8")
        tbl = pacsv.read_csv(io.BytesIO(data), convert_options=pacsv.ConvertOptions(column_types={"x": pa.decimal128(18, 4)}))
        units, valid = fast_money_units(tbl.column(0))
        if valid[0]:
            assert parsed == units[0], text
        else:  # out of range on the fast path: not a value on the text path either
            assert pd.isna(parsed), text
    elif kind == "null":
        assert pd.isna(parsed)


CELLS = st.sampled_from(["2024-05-31", " 2024-05-31 ", "31/05/2024", "1,234.50", "$12", "(20.00)", "USD 20", "12", "+12", "12.00", "-3",
                         "yes", "No", " true", "0", "7", "", "  ", "x", "usd", "THB ", "2024-05-31T23:30:00+02:00", "9" * 25])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(CELLS, st.none()), min_size=1, max_size=60), st.sampled_from(["str", "object"]))
def test_a_parser_run_once_per_distinct_value_gives_the_result_of_running_it_on_every_row(cells, dtype):
    # Every row repeated: a column of few distinct values goes through by_distinct's spread.
    s = pd.Series(cells * 4, dtype=dtype)
    parsers = {
        "money": lambda t: values.parse_money(t, False),
        "date": lambda t: values.parse_dates(t, None, TZ),
        "datetime": lambda t: values.parse_datetimes(t, None, TZ),
        "int": values.parse_int,
        "bool": values.parse_bool,
        "number": values.parse_number,
        "code": lambda t: t.str.strip().str.upper().fillna(""),
    }
    for name, parse in parsers.items():
        whole, once = parse(s), values.by_distinct(s, parse)
        assert once.dtype == whole.dtype, name
        pd.testing.assert_series_equal(once, whole, check_names=False, obj=name)
