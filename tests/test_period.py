"""Tests for cs_metrics.period: parsing, previous periods, snapshots and steps."""

from __future__ import annotations

import ast
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cs_metrics import period as period_module
from cs_metrics.period import Period, PeriodError, parse_date, parse_period

D = date
AS_OF = D(2024, 5, 15)  # a Wednesday


def span(text: str, as_of: date | None = AS_OF) -> tuple[date, date]:
    return span_of(parse_period(text, as_of))


def span_of(p: Period) -> tuple[date, date]:
    return p.start, p.end


# --------------------------------------------------------------------------------------------
# Absolute forms


@pytest.mark.parametrize(
    "text, start, end, kind, label",
    [
        ("2024-05", D(2024, 5, 1), D(2024, 5, 31), "month", "2024-05"),
        ("2024-02", D(2024, 2, 1), D(2024, 2, 29), "month", "2024-02"),  # leap year
        ("2023-02", D(2023, 2, 1), D(2023, 2, 28), "month", "2023-02"),
        ("2024-Q1", D(2024, 1, 1), D(2024, 3, 31), "quarter", "2024-Q1"),
        ("2024-Q2", D(2024, 4, 1), D(2024, 6, 30), "quarter", "2024-Q2"),
        ("2024-Q4", D(2024, 10, 1), D(2024, 12, 31), "quarter", "2024-Q4"),
        ("2024-H1", D(2024, 1, 1), D(2024, 6, 30), "half", "2024-H1"),
        ("2024-H2", D(2024, 7, 1), D(2024, 12, 31), "half", "2024-H2"),
        ("2024", D(2024, 1, 1), D(2024, 12, 31), "year", "2024"),
        ("2024-W18", D(2024, 4, 29), D(2024, 5, 5), "week", "2024-W18"),
        ("2024-W01", D(2024, 1, 1), D(2024, 1, 7), "week", "2024-W01"),
        ("2021-W01", D(2021, 1, 4), D(2021, 1, 10), "week", "2021-W01"),
        ("2020-W53", D(2020, 12, 28), D(2021, 1, 3), "week", "2020-W53"),
        ("2020-W01", D(2019, 12, 30), D(2020, 1, 5), "week", "2020-W01"),
        ("2024-05-07", D(2024, 5, 7), D(2024, 5, 7), "day", "2024-05-07"),
        ("2024-02-29", D(2024, 2, 29), D(2024, 2, 29), "day", "2024-02-29"),
    ],
)
def test_absolute_forms(text, start, end, kind, label):
    p = parse_period(text)
    assert (p.start, p.end, p.kind, p.label) == (start, end, kind, label)


@pytest.mark.parametrize(
    "text, start, end, kind, label",
    [
        (
            "2024-05-01..2024-05-15",
            D(2024, 5, 1),
            D(2024, 5, 15),
            "range",
            "2024-05-01..2024-05-15",
        ),
        ("2024-01..2024-03", D(2024, 1, 1), D(2024, 3, 31), "months", "2024-01..2024-03"),
        # a day range made of whole months is a whole-month range, with the same label
        ("2024-01-01..2024-03-31", D(2024, 1, 1), D(2024, 3, 31), "months", "2024-01..2024-03"),
        ("2023-11..2024-02", D(2023, 11, 1), D(2024, 2, 29), "months", "2023-11..2024-02"),
        ("2024-Q1..2024-H2", D(2024, 1, 1), D(2024, 12, 31), "months", "2024-01..2024-12"),
        ("2023..2024", D(2023, 1, 1), D(2024, 12, 31), "months", "2023-01..2024-12"),
        ("2024-W18..2024-W19", D(2024, 4, 29), D(2024, 5, 12), "range", "2024-04-29..2024-05-12"),
        ("2024-05-07..2024-05-07", D(2024, 5, 7), D(2024, 5, 7), "range", "2024-05-07..2024-05-07"),
        ("2024-03..2024-05-10", D(2024, 3, 1), D(2024, 5, 10), "range", "2024-03-01..2024-05-10"),
    ],
)
def test_ranges(text, start, end, kind, label):
    p = parse_period(text)
    assert (p.start, p.end, p.kind, p.label) == (start, end, kind, label)


def test_range_joining_relative_periods():
    assert span("2024-01..this-month") == (D(2024, 1, 1), D(2024, 5, 15))
    assert span("last-quarter..last-month") == (D(2024, 1, 1), D(2024, 4, 30))
    assert parse_period("last-quarter..last-month", AS_OF).kind == "months"
    assert span("last-month..yesterday") == (D(2024, 4, 1), D(2024, 5, 14))


def test_case_and_whitespace_are_ignored():
    assert parse_period("  2024-q2\n") == parse_period("2024-Q2")
    assert parse_period("2024-w18") == parse_period("2024-W18")
    assert parse_period("2024-h1 ") == parse_period("2024-H1")
    assert parse_period(" This-Month ", AS_OF) == parse_period("this-month", AS_OF)
    assert parse_period("2024-01 .. 2024-03") == parse_period("2024-01..2024-03")
    assert parse_period("LAST-7-DAYS", AS_OF) == parse_period("last-7-days", AS_OF)


# --------------------------------------------------------------------------------------------
# Relative forms


@pytest.mark.parametrize(
    "text, start, end, kind",
    [
        ("today", D(2024, 5, 15), D(2024, 5, 15), "day"),
        ("yesterday", D(2024, 5, 14), D(2024, 5, 14), "day"),
        ("this-week", D(2024, 5, 13), D(2024, 5, 15), "to-date-week"),
        ("last-week", D(2024, 5, 6), D(2024, 5, 12), "week"),
        ("this-month", D(2024, 5, 1), D(2024, 5, 15), "to-date-month"),
        ("last-month", D(2024, 4, 1), D(2024, 4, 30), "month"),
        ("this-quarter", D(2024, 4, 1), D(2024, 5, 15), "to-date-quarter"),
        ("last-quarter", D(2024, 1, 1), D(2024, 3, 31), "quarter"),
        ("this-year", D(2024, 1, 1), D(2024, 5, 15), "to-date-year"),
        ("ytd", D(2024, 1, 1), D(2024, 5, 15), "to-date-year"),
        ("last-year", D(2023, 1, 1), D(2023, 12, 31), "year"),
        ("last-7-days", D(2024, 5, 8), D(2024, 5, 14), "range"),
        ("last-30-days", D(2024, 4, 15), D(2024, 5, 14), "range"),
        ("last-90-days", D(2024, 2, 15), D(2024, 5, 14), "range"),
        ("last-1-days", D(2024, 5, 14), D(2024, 5, 14), "range"),
        ("last-365-days", D(2023, 5, 16), D(2024, 5, 14), "range"),
    ],
)
def test_relative_forms(text, start, end, kind):
    p = parse_period(text, AS_OF)
    assert (p.start, p.end, p.kind) == (start, end, kind)


def test_relative_forms_resolve_to_absolute_labels():
    assert parse_period("last-month", AS_OF) == parse_period("2024-04")
    assert parse_period("last-quarter", AS_OF) == parse_period("2024-Q1")
    assert parse_period("last-year", AS_OF) == parse_period("2023")
    assert parse_period("last-week", AS_OF) == parse_period("2024-W19")
    assert parse_period("yesterday", AS_OF) == parse_period("2024-05-14")
    assert parse_period("this-month", AS_OF).label == "2024-05-01..2024-05-15"
    assert parse_period("last-7-days", AS_OF).label == "2024-05-08..2024-05-14"
    assert parse_period("ytd", AS_OF) == parse_period("this-year", AS_OF)


def test_relative_forms_at_calendar_edges():
    jan1 = D(2024, 1, 1)  # a Monday, first day of the year and of ISO week 1
    assert span("last-month", jan1) == (D(2023, 12, 1), D(2023, 12, 31))
    assert span("last-quarter", jan1) == (D(2023, 10, 1), D(2023, 12, 31))
    assert span("this-week", jan1) == (jan1, jan1)
    assert span("last-week", jan1) == (D(2023, 12, 25), D(2023, 12, 31))
    assert span("this-year", jan1) == (jan1, jan1)
    assert span("last-month", D(2024, 3, 10)) == (D(2024, 2, 1), D(2024, 2, 29))
    assert span("last-7-days", D(2024, 3, 3)) == (D(2024, 2, 25), D(2024, 3, 2))
    # a Sunday: this-week is the whole ISO week
    assert span("this-week", D(2024, 5, 19)) == (D(2024, 5, 13), D(2024, 5, 19))
    # last-week across an ISO year with 53 weeks
    assert parse_period("last-week", D(2021, 1, 6)).label == "2020-W53"


def test_as_of_defaults_to_today():
    before = date.today()
    p = parse_period("today")
    after = date.today()
    assert p.start == p.end and p.start in {before, after}


def test_as_of_datetime_is_taken_as_its_day():
    assert parse_period("this-month", datetime(2024, 5, 15, 23, 59)) == parse_period(
        "this-month", AS_OF
    )


# --------------------------------------------------------------------------------------------
# previous() and shifted()


@pytest.mark.parametrize(
    "text, start, end, label",
    [
        ("2024-03", D(2024, 2, 1), D(2024, 2, 29), "2024-02"),
        ("2024-01", D(2023, 12, 1), D(2023, 12, 31), "2023-12"),
        ("2024-Q1", D(2023, 10, 1), D(2023, 12, 31), "2023-Q4"),
        ("2024-Q3", D(2024, 4, 1), D(2024, 6, 30), "2024-Q2"),
        ("2024-H1", D(2023, 7, 1), D(2023, 12, 31), "2023-H2"),
        ("2024-H2", D(2024, 1, 1), D(2024, 6, 30), "2024-H1"),
        ("2024", D(2023, 1, 1), D(2023, 12, 31), "2023"),
        ("2024-W18", D(2024, 4, 22), D(2024, 4, 28), "2024-W17"),
        ("2021-W01", D(2020, 12, 28), D(2021, 1, 3), "2020-W53"),
        ("2024-05-07", D(2024, 5, 6), D(2024, 5, 6), "2024-05-06"),
        ("2024-03-01", D(2024, 2, 29), D(2024, 2, 29), "2024-02-29"),
        ("2024-01..2024-03", D(2023, 10, 1), D(2023, 12, 31), "2023-10..2023-12"),
        ("2024-02..2024-03", D(2023, 12, 1), D(2024, 1, 31), "2023-12..2024-01"),
        (
            "2024-05-01..2024-05-15",
            D(2024, 4, 16),
            D(2024, 4, 30),
            "2024-04-16..2024-04-30",
        ),
        (
            "2024-03-01..2024-03-29",  # 29 days, not whole months
            D(2024, 2, 1),
            D(2024, 2, 29),
            "2024-02-01..2024-02-29",
        ),
    ],
)
def test_previous_of_absolute_periods(text, start, end, label):
    p = parse_period(text)
    prev = p.previous()
    assert (prev.start, prev.end, prev.label, prev.kind) == (start, end, label, p.kind)


@pytest.mark.parametrize(
    "text, as_of, start, end",
    [
        ("this-month", D(2024, 5, 15), D(2024, 4, 1), D(2024, 4, 15)),
        ("this-month", D(2024, 3, 31), D(2024, 2, 1), D(2024, 2, 29)),
        ("this-month", D(2024, 5, 31), D(2024, 4, 1), D(2024, 4, 30)),
        ("this-month", D(2023, 3, 30), D(2023, 2, 1), D(2023, 2, 28)),
        ("this-month", D(2024, 1, 10), D(2023, 12, 1), D(2023, 12, 10)),
        ("this-quarter", D(2024, 5, 15), D(2024, 1, 1), D(2024, 2, 15)),
        ("this-quarter", D(2024, 5, 31), D(2024, 1, 1), D(2024, 2, 29)),
        ("this-quarter", D(2024, 2, 10), D(2023, 10, 1), D(2023, 11, 10)),
        # a to-date period ending on a month's last day maps to whole months
        ("this-month", D(2024, 4, 30), D(2024, 3, 1), D(2024, 3, 31)),
        ("this-quarter", D(2024, 6, 30), D(2024, 1, 1), D(2024, 3, 31)),
        ("this-year", D(2023, 2, 28), D(2022, 1, 1), D(2022, 2, 28)),
        ("this-year", D(2024, 5, 15), D(2023, 1, 1), D(2023, 5, 15)),
        ("ytd", D(2024, 2, 29), D(2023, 1, 1), D(2023, 2, 28)),
        ("this-week", D(2024, 5, 15), D(2024, 5, 6), D(2024, 5, 8)),
        ("last-7-days", D(2024, 5, 15), D(2024, 5, 1), D(2024, 5, 7)),
        ("last-30-days", D(2024, 5, 15), D(2024, 3, 16), D(2024, 4, 14)),
        ("today", D(2024, 5, 15), D(2024, 5, 14), D(2024, 5, 14)),
        ("last-month", D(2024, 5, 15), D(2024, 3, 1), D(2024, 3, 31)),
    ],
)
def test_previous_of_relative_periods(text, as_of, start, end):
    p = parse_period(text, as_of)
    prev = p.previous()
    assert (prev.start, prev.end, prev.kind) == (start, end, p.kind)


def test_shifted():
    may = parse_period("2024-05")
    assert may.shifted(0) is may
    assert may.shifted(1) == may.previous() == parse_period("2024-04")
    assert may.shifted(4) == parse_period("2024-01")
    assert may.shifted(5) == parse_period("2023-12")
    assert may.shifted(-1) == parse_period("2024-06")
    assert parse_period("2024-Q2").shifted(5) == parse_period("2023-Q1")
    assert parse_period("2024-W02").shifted(2) == parse_period("2023-W52")
    assert parse_period("2024-01..2024-03").shifted(2) == parse_period("2023-07..2023-09")
    assert parse_period("2024-05-01..2024-05-10").shifted(3) == parse_period(
        "2024-04-01..2024-04-10"
    )


def test_shifted_to_date_does_not_accumulate_clipping():
    mtd = parse_period("this-month", D(2024, 3, 30))
    assert span_of(mtd.shifted(1)) == (D(2024, 2, 1), D(2024, 2, 29))
    assert span_of(mtd.shifted(2)) == (D(2024, 1, 1), D(2024, 1, 30))
    # previous() twice goes through 2024-02-29, a month's last day, so it ends on 01-31
    assert span_of(mtd.previous().previous()) == (D(2024, 1, 1), D(2024, 1, 31))


def test_shifting_off_the_calendar_is_a_period_error():
    with pytest.raises(PeriodError):
        parse_period("0001-02").previous()
    with pytest.raises(PeriodError):
        parse_period("9999-11").shifted(-1)  # 9999-12 has no day after its end


# --------------------------------------------------------------------------------------------
# Snapshots, steps, months, days


def test_month_snapshots_and_steps():
    p = parse_period("2024-05")
    assert p.opening == D(2024, 4, 30)
    assert p.closing == D(2024, 5, 31)
    assert p.snapshots() == [D(2024, 4, 30), D(2024, 5, 31)]
    assert p.steps() == [(D(2024, 4, 30), D(2024, 5, 31))]


def test_quarter_snapshots_and_steps():
    p = parse_period("2024-Q1")
    assert p.snapshots() == [D(2023, 12, 31), D(2024, 1, 31), D(2024, 2, 29), D(2024, 3, 31)]
    assert p.steps() == [
        (D(2023, 12, 31), D(2024, 1, 31)),
        (D(2024, 1, 31), D(2024, 2, 29)),
        (D(2024, 2, 29), D(2024, 3, 31)),
    ]
    assert p.month_ends() == [D(2024, 1, 31), D(2024, 2, 29), D(2024, 3, 31)]


def test_partial_range_steps_end_at_end():
    p = parse_period("2024-04-10..2024-06-05")
    assert p.snapshots() == [D(2024, 4, 9), D(2024, 4, 30), D(2024, 5, 31), D(2024, 6, 5)]
    assert p.steps()[-1] == (D(2024, 5, 31), D(2024, 6, 5))
    assert p.month_ends() == [D(2024, 4, 30), D(2024, 5, 31)]


def test_steps_of_short_periods():
    day = parse_period("2024-05-31")  # a month end that is also the end
    assert day.snapshots() == [D(2024, 5, 30), D(2024, 5, 31)]
    assert day.month_ends() == [D(2024, 5, 31)]
    week = parse_period("2024-W18")  # crosses a month end
    assert week.steps() == [(D(2024, 4, 28), D(2024, 4, 30)), (D(2024, 4, 30), D(2024, 5, 5))]
    mtd = parse_period("this-month", AS_OF)
    assert mtd.steps() == [(D(2024, 4, 30), D(2024, 5, 15))]


@pytest.mark.parametrize(
    "text, days, months",
    [
        ("2024-02", 29, 1.0),
        ("2023-02", 28, 1.0),
        ("2024-Q1", 91, 3.0),
        ("2024-H2", 184, 6.0),
        ("2024", 366, 12.0),
        ("2023", 365, 12.0),
        ("2023-11..2024-02", 121, 4.0),
        ("2024-W18", 7, 7 / 30.4375),
        ("2024-05-07", 1, 1 / 30.4375),
        ("2024-05-01..2024-05-15", 15, 15 / 30.4375),
        ("2024-01-15..2024-02-14", 31, 31 / 30.4375),
    ],
)
def test_days_and_months(text, days, months):
    p = parse_period(text)
    assert p.days == days
    assert p.months == pytest.approx(months)
    assert isinstance(p.months, float)


def test_months_of_to_date_periods_depend_on_alignment():
    assert parse_period("this-month", D(2024, 5, 31)).months == 1.0
    assert parse_period("this-quarter", D(2024, 5, 31)).months == 2.0
    assert parse_period("this-month", AS_OF).months == pytest.approx(15 / 30.4375)


def test_contains():
    p = parse_period("2024-05")
    assert p.contains(D(2024, 5, 1)) and p.contains(D(2024, 5, 31))
    assert not p.contains(D(2024, 4, 30)) and not p.contains(D(2024, 6, 1))


def test_period_is_frozen_and_hashable():
    p = parse_period("2024-05")
    with pytest.raises(AttributeError):
        p.start = D(2024, 1, 1)  # type: ignore[misc]
    assert len({p, parse_period("2024-05-01..2024-05-31"), parse_period("2024-05")}) == 2


def test_period_validates_its_fields():
    with pytest.raises(PeriodError):
        Period(D(2024, 5, 2), D(2024, 5, 1), "range", "x")
    with pytest.raises(PeriodError):
        Period(D(2024, 5, 1), D(2024, 5, 2), "fortnight", "x")


# --------------------------------------------------------------------------------------------
# Errors


@pytest.mark.parametrize(
    "text, reason",
    [
        ("2024-13", "month must be 01..12"),
        ("2024-00", "month must be 01..12"),
        ("2024-5", "month must be 01..12"),
        ("2024-Q5", "quarter must be Q1..Q4"),
        ("2024-Q0", "quarter must be Q1..Q4"),
        ("2024-H3", "half must be H1 or H2"),
        ("2024-W54", "week must be W01..W53"),
        ("2024-W00", "week must be W01..W53"),
        ("2021-W53", "ISO year 2021 has no week 53"),
        ("2023-02-29", "day must be 01..28 in 2023-02"),
        ("2024-05-10..2024-05-01", "it starts 2024-05-10 after it ends 2024-05-01"),
        ("this-month..last-month", "it starts 2024-05-01 after it ends 2024-04-30"),
        ("next-month", "not a recognised period"),
        ("last-0-days", "last-N-days needs N >= 1"),
        ("last--1-days", "not a recognised period"),
        ("2024-05..", "a period on each side of '..'"),
        ("..2024-05", "a period on each side of '..'"),
        ("2024..2025..2026", "exactly two periods"),
        ("", "no period given"),
        ("   ", "no period given"),
        ("0000", "year must be 0001..9999"),
        ("24-05", "not a recognised period"),
        ("2024-05-01T00:00", "not a recognised period"),
        ("last-99999999999-days", "outside the calendar"),
    ],
)
def test_bad_periods(text, reason):
    with pytest.raises(PeriodError) as info:
        parse_period(text, AS_OF)
    message = str(info.value)
    assert message.startswith(f"bad period '{text.strip()}': ")
    assert reason in message
    assert "Accepted: 2024-05, 2024-Q2, 2024-H1, 2024, 2024-W18" in message
    assert "this-month, last-month" in message and "A..B" in message
    assert "\n" not in message


def test_error_message_example_from_spec():
    with pytest.raises(PeriodError, match=r"^bad period '2024-13': month must be 01\.\.12\. "):
        parse_period("2024-13")


def test_period_error_is_a_value_error():
    assert issubclass(PeriodError, ValueError)


def test_error_message_stays_on_one_line():
    with pytest.raises(PeriodError) as info:
        parse_period("2024-\n13")
    assert "\n" not in str(info.value)


# --------------------------------------------------------------------------------------------
# parse_date


def test_parse_date():
    assert parse_date("2024-05-31") == D(2024, 5, 31)
    assert parse_date(" 2024-02-29 ") == D(2024, 2, 29)


@pytest.mark.parametrize(
    "text",
    [
        "2024-5-31",
        "20240531",
        "2024-05-32",
        "2023-02-29",
        "2024-05",
        "31/05/2024",
        "2024-05-31T00:00",
        "2024-W18-1",
        "",
        "today",
        "2024-05-31x",
    ],
)
def test_parse_date_is_strict(text):
    with pytest.raises(PeriodError, match=r"^bad date .*Expected YYYY-MM-DD"):
        parse_date(text)


# --------------------------------------------------------------------------------------------
# The module stays cheap to import


def _imports(path: str) -> set[str]:
    imported = set()
    for node in ast.walk(ast.parse(Path(path).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    return {name if name.startswith("cs_metrics.") else name.split(".")[0] for name in imported}


def test_period_imports_only_the_standard_library():
    import cs_metrics.errors

    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    # besides the standard library, only our error types (which import nothing else)
    assert _imports(period_module.__file__) <= stdlib | {"cs_metrics.errors"}
    assert _imports(cs_metrics.errors.__file__) <= stdlib


# --------------------------------------------------------------------------------------------
# Properties

days_st = st.dates(min_value=D(1900, 1, 1), max_value=D(2199, 12, 31))
years_st = st.integers(min_value=1900, max_value=2199)


@st.composite
def single_texts(draw) -> str:
    """Text of one absolute period of any form."""
    year = draw(years_st)
    form = draw(st.sampled_from(["day", "week", "month", "quarter", "half", "year"]))
    if form == "day":
        return draw(days_st).isoformat()
    if form == "week":
        last_week = D(year, 12, 28).isocalendar().week
        return f"{year}-W{draw(st.integers(1, last_week)):02d}"
    if form == "month":
        return f"{year}-{draw(st.integers(1, 12)):02d}"
    if form == "quarter":
        return f"{year}-Q{draw(st.integers(1, 4))}"
    if form == "half":
        return f"{year}-H{draw(st.integers(1, 2))}"
    return str(year)


@st.composite
def absolute_texts(draw) -> str:
    """Text of an absolute period: one period, a day range, or a range of two periods."""
    choice = draw(st.sampled_from(["single", "days", "join"]))
    if choice == "single":
        return draw(single_texts())
    if choice == "days":
        a, b = sorted([draw(days_st), draw(days_st)])
        return f"{a}..{b}"
    first, last = (parse_period(draw(single_texts())) for _ in range(2))
    assume(first.start <= last.end)
    return f"{first.label}..{last.label}"


relative_words = st.sampled_from(
    [
        "today", "yesterday", "this-week", "last-week", "this-month", "last-month",
        "this-quarter", "last-quarter", "this-year", "ytd", "last-year",
    ]
)
relative_texts = st.one_of(
    relative_words, st.integers(1, 400).map(lambda n: f"last-{n}-days")
)


@given(absolute_texts())
def test_label_round_trips(text):
    p = parse_period(text)
    assert parse_period(p.label) == p
    assert parse_period(f"  {p.label.lower()} ") == p


@given(absolute_texts())
def test_previous_ends_the_day_before_start_and_keeps_the_kind(text):
    p = parse_period(text)
    prev = p.previous()
    assert prev.end == p.start - timedelta(days=1)
    assert prev.kind == p.kind
    if p.kind in {"day", "week", "range"}:
        assert prev.days == p.days
    if p.kind in {"month", "quarter", "half", "year", "months"}:
        assert prev.months == p.months
        assert prev.start.day == 1


@given(absolute_texts(), st.integers(1, 5))
def test_shifted_periods_tile_backwards(text, n):
    p = parse_period(text)
    assert p.shifted(n).end + timedelta(days=1) == p.shifted(n - 1).start
    assert p.shifted(n).shifted(-n) == p


@given(relative_texts, days_st)
def test_relative_periods_end_by_as_of(text, as_of):
    p = parse_period(text, as_of)
    assert p.end <= as_of
    if text.startswith(("this-", "ytd", "today")):
        assert p.end == as_of
    else:
        assert p.end < as_of
    prev = p.previous()
    assert prev.kind == p.kind
    assert prev.end < p.start
    if not p.kind.startswith("to-date-"):
        assert prev.end == p.start - timedelta(days=1)
    elif p.kind == "to-date-week":
        assert prev.start == p.start - timedelta(days=7) and prev.days == p.days
    else:  # same span one month/quarter/year back, the end day clipped to its month;
        # a span ending on a month's last day ends on the last day of the earlier month
        month_end = lambda d: (d + timedelta(days=1)).day == 1  # noqa: E731
        assert prev.start.day == 1
        assert month_end(prev.end) if month_end(p.end) else prev.end.day <= p.end.day
        months_back = 12 * (p.start.year - prev.start.year) + p.start.month - prev.start.month
        assert months_back == {"to-date-month": 1, "to-date-quarter": 3, "to-date-year": 12}[
            p.kind
        ]
        assert (prev.end.year, prev.end.month) == (
            (p.end.year * 12 + p.end.month - 1 - months_back) // 12,
            (p.end.month - 1 - months_back) % 12 + 1,
        )


@given(st.one_of(absolute_texts(), relative_texts), days_st)
def test_snapshots_and_steps(text, as_of):
    p = parse_period(text, as_of)
    snaps = p.snapshots()
    assert snaps[0] == p.start - timedelta(days=1) == p.opening
    assert snaps[-1] == p.end == p.closing
    assert all(a < b for a, b in zip(snaps, snaps[1:]))
    assert p.steps() == list(zip(snaps, snaps[1:]))
    assert all((d + timedelta(days=1)).day == 1 for d in snaps[1:-1])
    assert all(p.contains(d) for d in p.month_ends())
    assert p.days == (p.end - p.start).days + 1


@given(absolute_texts())
def test_months_counts_calendar_months_when_aligned(text):
    p = parse_period(text)
    aligned = p.start.day == 1 and (p.end + timedelta(days=1)).day == 1
    if aligned:
        assert p.months == len(p.month_ends()) == len(p.steps())
    else:
        assert p.months == pytest.approx(p.days / 30.4375)


@given(days_st)
def test_parse_date_round_trips(d):
    assert parse_date(d.isoformat()) == d
    assert parse_period(d.isoformat()) == Period(d, d, "day", d.isoformat())


# --------------------------------------------------------------------------------------------
# The calendar's ends: metrics look at the day before a period's start and the day after its end


@pytest.mark.parametrize("text", ["9999", "9999-12", "9999-Q4", "9999-H2", "9999-12-31", "9999-12-01..9999-12-31"])
def test_a_period_ending_on_the_calendars_last_day_is_refused(text):
    with pytest.raises(PeriodError) as info:
        parse_period(text, AS_OF)
    assert "9999-12-31, which has no day after it" in str(info.value)
    assert "periods run from 0001-01-02 to 9999-12-30" in str(info.value)


def test_relative_periods_at_the_calendars_end_are_refused():
    with pytest.raises(PeriodError, match="no day after it"):
        parse_period("this-month", D(9999, 12, 31))
    assert parse_period("last-month", D(9999, 12, 31)).end == D(9999, 11, 30)


def test_the_last_and_first_days_a_period_can_cover():
    assert span_of(parse_period("9999-12-30")) == (D(9999, 12, 30), D(9999, 12, 30))
    assert span_of(parse_period("9999-11")) == (D(9999, 11, 1), D(9999, 11, 30))
    assert span_of(parse_period("0001-01-02")) == (D(1, 1, 2), D(1, 1, 2))


def test_a_period_error_is_a_usage_error():
    from cs_metrics.errors import UsageError

    assert issubclass(PeriodError, UsageError) and PeriodError("x").exit_code == 2


def test_days_before_names_what_and_the_limit():
    from cs_metrics.period import days_before

    assert days_before(D(2024, 5, 31), 89, "w") == D(2024, 3, 3)
    assert days_before(D(1, 1, 3), 1, "w") == D(1, 1, 2)
    with pytest.raises(PeriodError, match=r"^the window would start 2 days before 0001-01-03, outside the calendar"):
        days_before(D(1, 1, 3), 2, "the window")
