"""The loader (cs_metrics/load.py) against the data contract (docs/data-contract.md).

Every fixture is a tiny CSV written into tmp_path; every expected value is worked out by hand in
the test. Units used below:

    money  int64 in 1/10,000 of a unit (MONEY_SCALE):          12.34      -> 123_400
    mrr    int64 in 1/1,440,000 of a unit a month (MRR_SCALE): 100 a month -> 144_000_000

Physical line numbers count the header as line 1.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cs_metrics.config import parse_config
from cs_metrics.errors import DataError
from cs_metrics.load import MONEY_SCALE, MRR_SCALE, Dataset, parse_money, read_table

# --------------------------------------------------------------------------- helpers


def lines(*rows: str) -> str:
    """CSV text from physical lines (header first), each ended by \\n."""
    return "".join(f"{r}\n" for r in rows)


def put(folder: Path, filename: str, content: str | bytes) -> Path:
    path = folder / filename
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def config(folder: Path, sources: dict | None = None, **top):
    return parse_config({"sources": sources or {}, **top}, folder)


def load(folder: Path, table: str, content, source: dict | None = None, required=(), optional=(), **top):
    """Write <table>.csv, build a config (one source entry) and read the table."""
    put(folder, f"{table}.csv", content)
    cfg = config(folder, {table: source} if source is not None else None, **top)
    return read_table(cfg, table, required, optional)


def ints(series: pd.Series) -> list:
    """Int64/int64 column -> plain ints, None for missing."""
    return [None if pd.isna(v) else int(v) for v in series]


def days(*isos: str) -> list[pd.Timestamp]:
    return [pd.Timestamp(d) for d in isos]


def dates(series: pd.Series) -> list:
    return [None if pd.isna(v) else pd.Timestamp(v) for v in series]


def accounting(report) -> tuple[int, int, dict, dict, dict]:
    return report.read, report.used, dict(report.rejected), dict(report.rejected_lines), dict(report.filtered)


BAD_DATE = "bad issued_at (expected a date like 2024-05-31)"
BAD_AMOUNT = "bad amount (expected an amount like 1234.50)"
WRONG_CELLS = "wrong number of cells"
UNKNOWN_INTERVAL = "unknown interval (expected day, week, month, quarter or year)"
BAD_BOOL = "bad is_trial (expected true/false, yes/no, y/n, 1/0, t/f or a count)"


def test_scales():
    assert MONEY_SCALE == 10_000
    assert MRR_SCALE == 10_000 * 144 == 1_440_000


# --------------------------------------------------------------------------- 1. BOM


def test_utf8_bom_is_dropped_and_first_column_found(tmp_path):
    data = b"\xef\xbb\xbf" + lines("customer_id,name", "00123,Alice", "00124,Bob").encode("utf-8")
    frame, rep = load(tmp_path, "customers", data, optional=["name"])
    assert list(frame.columns) == ["customer_id", "name"]
    assert frame["customer_id"].tolist() == ["00123", "00124"]
    assert frame["name"].tolist() == ["Alice", "Bob"]
    assert (rep.read, rep.used, rep.rejected) == (2, 2, {})


def test_utf8_bom_before_a_quoted_mapped_header(tmp_path):
    data = b"\xef\xbb\xbf" + lines('"Account ID","Name"', "007,Alice").encode("utf-8")
    frame, _ = load(tmp_path, "customers", data, {"columns": {"customer_id": "Account ID"}}, optional=["name"])
    assert frame["customer_id"].tolist() == ["007"]
    assert frame["name"].tolist() == ["Alice"]


def test_utf8_bom_before_a_date_column_read_by_the_fast_path(tmp_path):
    # The first header is a date column, parsed while reading: the BOM must not stick to its name.
    data = b"\xef\xbb\xbf" + lines(
        "started_at,subscription_id,customer_id,mrr",
        "2024-05-01,S1,C1,100",
    ).encode("utf-8")
    frame, rep = load(tmp_path, "subscriptions", data, required=["mrr"])
    assert dates(frame["started_at"]) == days("2024-05-01")
    assert ints(frame["mrr"]) == [144_000_000]  # 100 x 1_440_000
    assert rep.rejected == {}


def test_utf8_bom_is_dropped_when_encoding_is_set_to_utf8(tmp_path):
    # The contract: text is UTF-8 and "a BOM is dropped". A user who writes `encoding: utf-8`
    # (rather than the default utf-8-sig) still has a BOM-prefixed Excel export.
    data = b"\xef\xbb\xbf" + lines("customer_id,name", "00123,Alice").encode("utf-8")
    frame, rep = load(tmp_path, "customers", data, {"encoding": "utf-8"}, optional=["name"])
    assert frame["customer_id"].tolist() == ["00123"]
    assert rep.read == 1 and rep.used == 1


# --------------------------------------------------------------------------- 2. delimiters


@pytest.mark.parametrize(
    ("configured", "sep"),
    [(";", ";"), ("\t", "\t"), ("tab", "\t"), ("\\t", "\t"), ("|", "|")],
    ids=["semicolon", "tab-char", "tab-word", "tab-escape", "pipe"],
)
def test_delimiter_from_the_config(tmp_path, configured, sep):
    text = lines(
        sep.join(["invoice_id", "customer_id", "issued_at", "amount"]),
        sep.join(["I1", "C1", "2024-05-31", "1,234.50"]),  # comma is not the delimiter: no quoting needed
        sep.join(["I2", "C1", "2024-05-31"]),  # one cell short
        sep.join(["I3", "C2", "2024-06-01", "20"]),
    )
    frame, rep = load(tmp_path, "invoices", text, {"delimiter": configured})
    assert frame["invoice_id"].tolist() == ["I1", "I3"]
    assert ints(frame["amount"]) == [12_345_000, 200_000]  # 1234.50 x 10_000, 20 x 10_000
    assert accounting(rep) == (3, 2, {WRONG_CELLS: 1}, {WRONG_CELLS: [3]}, {})


# --------------------------------------------------------------------------- 3. money


def test_money_formats_in_a_file(tmp_path):
    text = lines(
        "invoice_id,customer_id,issued_at,amount",
        'I1,C1,2024-05-01,"$1,234.50"',  # 2
        'I2,C1,2024-05-01,"฿1,234.50"',  # 3
        "I3,C1,2024-05-01,(20.00)",  # 4
        "I4,C1,2024-05-01,-20",  # 5
        "I5,C1,2024-05-01,1234.5",  # 6
        "I6,C1,2024-05-01,USD 20",  # 7
        'I7,C1,2024-05-01,"1,2,3"',  # 8 rejected
        'I8,C1,2024-05-01,"1.234,50"',  # 9 rejected: no decimal comma configured
        "I9,C1,2024-05-01,",  # 10 empty
        "I10,C1,2024-05-01,0",  # 11
        "I11,C1,2024-05-01,1234.5678",  # 12
    )
    frame, rep = load(tmp_path, "invoices", text)
    assert frame["invoice_id"].tolist() == ["I1", "I2", "I3", "I4", "I5", "I6", "I10", "I11"]
    assert ints(frame["amount"]) == [
        12_345_000,  # 1234.50
        12_345_000,  # 1234.50
        -200_000,  # -20.00
        -200_000,  # -20
        12_345_000,  # 1234.5
        200_000,  # 20
        0,
        12_345_678,  # 1234.5678
    ]
    assert accounting(rep) == (
        11,
        8,
        {BAD_AMOUNT: 2, "empty amount": 1},
        {BAD_AMOUNT: [8, 9], "empty amount": [10]},
        {},
    )


MALFORMED_MONEY = [("12abc", False), ("12abc", True), ("--20", False), ("12 3", False)]
MALFORMED_IDS = ["letters", "letters-decimal-comma", "double-minus", "space-inside"]


@pytest.mark.parametrize(("value", "decimal_comma"), MALFORMED_MONEY, ids=MALFORMED_IDS)
def test_malformed_money_is_rejected_not_coerced(tmp_path, value, decimal_comma):
    # None of these is one of the contract's money forms; each must be rejected, not read as 12/-20/123.
    sep = ";" if decimal_comma else ","
    text = lines(
        sep.join(["invoice_id", "customer_id", "issued_at", "amount"]),
        sep.join(["I1", "C1", "2024-05-01", value]),  # 2
        sep.join(["I2", "C1", "2024-05-01", "10"]),  # 3
    )
    frame, rep = load(tmp_path, "invoices", text, {"delimiter": sep, "decimal_comma": decimal_comma})
    assert frame["invoice_id"].tolist() == ["I2"]
    reason = "bad amount (expected a number like 1.234,50)" if decimal_comma else BAD_AMOUNT
    assert accounting(rep) == (2, 1, {reason: 1}, {reason: [2]}, {})


def test_decimal_comma_with_semicolon_delimiter(tmp_path):
    text = lines(
        "invoice_id;customer_id;issued_at;amount",
        "I1;C1;2024-05-01;1.234,50",  # 2
        "I2;C1;2024-05-01;-20,5",  # 3
        "I3;C1;2024-05-01;(20,00)",  # 4
        "I4;C1;2024-05-01;€1.234.567,89",  # 5
        "I5;C1;2024-05-01;1,234.50",  # 6 rejected: that is the dot-decimal style
        "I6;C1;2024-05-01;12",  # 7
        "I7;C1;2024-05-01;1,2,3",  # 8 rejected: two decimal commas
    )
    frame, rep = load(tmp_path, "invoices", text, {"delimiter": ";", "decimal_comma": True})
    assert frame["invoice_id"].tolist() == ["I1", "I2", "I3", "I4", "I6"]
    assert ints(frame["amount"]) == [
        12_345_000,  # 1234.50
        -205_000,  # -20.5
        -200_000,  # -20.00
        12_345_678_900,  # 1234567.89
        120_000,  # 12
    ]
    reason = "bad amount (expected a number like 1.234,50)"
    assert accounting(rep) == (7, 5, {reason: 2}, {reason: [6, 8]}, {})


def test_parse_money_directly():
    s = pd.Series(
        ["1234.5", "-20", "1,234.50", "$1,234.50", "฿1,234.50", "(20.00)", "USD 20", "1,2,3", "abc", "", "1.234,50"],
        dtype=str,
    )
    out = parse_money(s, decimal_comma=False)
    assert str(out.dtype) == "Int64"
    assert ints(out) == [12_345_000, -200_000, 12_345_000, 12_345_000, 12_345_000, -200_000, 200_000,
                         None, None, None, None]  # fmt: skip
    assert list(out.index) == list(s.index)


def test_parse_money_directly_decimal_comma():
    s = pd.Series(["1.234,50", "12,5", "1.234.567,89", "(20,00)", "1,234.50", "1.2.3"], dtype=str)
    out = parse_money(s, decimal_comma=True)
    assert ints(out) == [12_345_000, 125_000, 12_345_678_900, -200_000, None, None]


@pytest.mark.parametrize(("value", "decimal_comma"), MALFORMED_MONEY, ids=MALFORMED_IDS)
def test_parse_money_directly_rejects_malformed(value, decimal_comma):
    out = parse_money(pd.Series([value, "20"], dtype=str), decimal_comma=decimal_comma)
    assert ints(out) == [None, 200_000]


# --------------------------------------------------------------------------- 4. dates


def test_iso_dates_fast_path_truncates_datetimes(tmp_path):
    # Every value is valid ISO: the file is parsed while reading. Datetimes keep only their day.
    text = lines(
        "invoice_id,customer_id,issued_at,amount",
        "I1,C1,2024-05-31,10",
        "I2,C1,2024-05-31T14:03:00,10",
        "I3,C1,2024-05-31 23:59:59,10",
    )
    frame, rep = load(tmp_path, "invoices", text)
    assert dates(frame["issued_at"]) == days("2024-05-31", "2024-05-31", "2024-05-31")
    assert all(t == t.normalize() for t in frame["issued_at"])
    assert rep.rejected == {}


def test_iso_dates_with_bad_values(tmp_path):
    # A bad value sends the file down the text path; the datetime is still truncated there.
    text = lines(
        "invoice_id,customer_id,issued_at,amount,due_at",
        "I1,C1,2024-05-31,10,2024-06-30",  # 2
        "I2,C1,2024-05-31T14:03:00,10,",  # 3
        "I3,C1,2024-02-30,10,",  # 4 no such day
        "I4,C1,31/12/2024,10,",  # 5 not ISO
        "I5,C1,2024-02-29,10,",  # 6 leap day
        "I6,C1,,10,",  # 7 empty
        "I7,C1,2024-06-01,10,tomorrow",  # 8 optional but unparseable
    )
    frame, rep = load(tmp_path, "invoices", text, optional=["due_at"])
    assert frame["invoice_id"].tolist() == ["I1", "I2", "I5"]
    assert dates(frame["issued_at"]) == days("2024-05-31", "2024-05-31", "2024-02-29")
    assert dates(frame["due_at"]) == [pd.Timestamp("2024-06-30"), None, None]
    bad_due = "bad due_at (expected a date like 2024-05-31)"
    assert accounting(rep) == (
        7,
        3,
        {BAD_DATE: 2, "empty issued_at": 1, bad_due: 1},
        {BAD_DATE: [4, 5], "empty issued_at": [7], bad_due: [8]},
        {},
    )


def test_date_format_from_the_config(tmp_path):
    text = lines(
        "invoice_id,customer_id,issued_at,amount",
        "I1,C1,31/05/2024,10",  # 2
        "I2,C1,01/02/2024,10",  # 3 day first: 1 February
        "I3,C1,31/05/2024 14:03,10",  # 4 time dropped
        "I4,C1,2024-05-31,10",  # 5 ISO is not the configured format
        "I5,C1,30/02/2024,10",  # 6 no such day
    )
    frame, rep = load(tmp_path, "invoices", text, {"date_format": "%d/%m/%Y"})
    assert frame["invoice_id"].tolist() == ["I1", "I2", "I3"]
    assert dates(frame["issued_at"]) == days("2024-05-31", "2024-02-01", "2024-05-31")
    reason = "bad issued_at (expected a date in %d/%m/%Y)"
    assert accounting(rep) == (5, 3, {reason: 2}, {reason: [5, 6]}, {})


# --------------------------------------------------------------------------- 5. end_inclusive


SUBS_ENDS = lines(
    "subscription_id,customer_id,started_at,ended_at,mrr",
    "S1,C1,2024-05-01,2024-05-31,100",
    "S2,C1,2024-05-01,,100",
    "S3,C1,2024-05-01,2024-05-01,100",
    "S4,C1,2024-01-01,2024-12-31,100",
)


def test_end_inclusive_adds_one_day(tmp_path):
    # ended_at is read even without asking for it: the config says it is the last day of service.
    frame, rep = load(tmp_path, "subscriptions", SUBS_ENDS, {"end_inclusive": True}, required=["mrr"])
    assert dates(frame["ended_at"]) == [pd.Timestamp("2024-06-01"), None, pd.Timestamp("2024-05-02"),
                                        pd.Timestamp("2025-01-01")]  # fmt: skip
    assert rep.rejected == {}


def test_end_exclusive_by_default(tmp_path):
    frame, _ = load(tmp_path, "subscriptions", SUBS_ENDS, required=["mrr"], optional=["ended_at"])
    assert dates(frame["ended_at"]) == [pd.Timestamp("2024-05-31"), None, pd.Timestamp("2024-05-01"),
                                        pd.Timestamp("2024-12-31")]  # fmt: skip


def test_end_inclusive_with_a_date_format(tmp_path):
    text = lines(
        "subscription_id,customer_id,started_at,ended_at,mrr",
        "S1,C1,01/02/2024,29/02/2024,100",
    )
    frame, _ = load(tmp_path, "subscriptions", text, {"end_inclusive": True, "date_format": "%d/%m/%Y"},
                    required=["mrr"])  # fmt: skip
    assert dates(frame["started_at"]) == days("2024-02-01")
    assert dates(frame["ended_at"]) == days("2024-03-01")


# --------------------------------------------------------------------------- 6. MRR


def test_mrr_from_amount_and_interval(tmp_path):
    text = lines(
        "subscription_id,customer_id,started_at,ended_at,amount,interval,interval_count",
        "S1,C1,2024-01-01,,100,month,",  # 2
        "S2,C1,2024-01-01,,1200,year,",  # 3
        "S3,C1,2024-01-01,,150,quarter,",  # 4
        "S4,C1,2024-01-01,,10,week,",  # 5
        "S5,C1,2024-01-01,,1,day,",  # 6
        "S6,C1,2024-01-01,,200,month,2",  # 7
        "S7,C1,2024-01-01,,3000,Year,2",  # 8
        "S8,C1,2024-01-01,,99.99,Monthly,",  # 9
        "S9,C1,2024-01-01,,100,fortnight,",  # 10 unknown interval
        "S10,C1,2024-01-01,,-10,month,",  # 11 negative
        "S11,C1,2024-05-01,2024-04-30,100,month,",  # 12 ends before it starts
        "S12,C1,2024-05-01,2024-05-01,100,month,",  # 13 same day: accepted
        "S13,C1,2024-01-01,,(5.00),month,",  # 14 negative
        "S14,C1,2024-01-01,,100,month,0",  # 15 count below 1
        "S15,C1,2024-01-01,,10,week,2",  # 16
        "S16,C1,2024-01-01,,100,,",  # 17 empty interval
    )
    frame, rep = load(tmp_path, "subscriptions", text, required=["mrr"], optional=["ended_at"])
    assert frame["subscription_id"].tolist() == ["S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S12", "S15"]
    assert ints(frame["mrr"]) == [
        144_000_000,  # 100 a month x 1_440_000
        144_000_000,  # 1200 / 12 = 100 a month
        72_000_000,  # 150 / 3 = 50 a month
        62_400_000,  # 10 x 52 / 12 = 43.333... a month -> 10 x 52 x 120_000
        43_800_000,  # 1 x 365 / 12 = 30.4166... a month -> 365 x 120_000
        144_000_000,  # 200 every 2 months = 100 a month
        180_000_000,  # 3000 every 2 years = 125 a month
        143_985_600,  # 99.99 x 1_440_000
        144_000_000,  # 100 a month
        31_200_000,  # 10 every 2 weeks = 10 x 52 / 24 a month -> 10 x 52 x 60_000
    ]
    assert frame["mrr"].dtype == "int64"
    assert "amount" not in frame and "interval" not in frame and "interval_count" not in frame
    assert dates(frame["ended_at"])[8] == pd.Timestamp("2024-05-01")
    assert accounting(rep) == (
        16,
        10,
        {UNKNOWN_INTERVAL: 1, "negative mrr": 2, "ends before it starts": 1, "interval_count below 1": 1,
         "empty interval": 1},
        {UNKNOWN_INTERVAL: [10], "negative mrr": [11, 14], "ends before it starts": [12],
         "interval_count below 1": [15], "empty interval": [17]},
        {},
    )  # fmt: skip


def test_mrr_column(tmp_path):
    text = lines(
        "subscription_id,customer_id,started_at,mrr",
        "S1,C1,2024-01-01,100.00",  # 2
        "S2,C1,2024-01-01,0.01",  # 3
        "S3,C1,2024-01-01,-5",  # 4 negative
        "S4,C1,2024-01-01,",  # 5 empty
        "S5,C1,2024-01-01,abc",  # 6 bad
        'S6,C1,2024-01-01,"$1,000"',  # 7
        "S7,C1,2024-01-01,0",  # 8
    )
    frame, rep = load(tmp_path, "subscriptions", text, required=["mrr"])
    assert frame["subscription_id"].tolist() == ["S1", "S2", "S6", "S7"]
    # 100 -> 144_000_000; 0.01 -> 100 money units x 144 = 14_400; 1000 -> 1_440_000_000
    assert ints(frame["mrr"]) == [144_000_000, 14_400, 1_440_000_000, 0]
    bad = "bad mrr (expected an amount like 1234.50)"
    assert accounting(rep) == (
        7,
        4,
        {"negative mrr": 1, "empty mrr": 1, bad: 1},
        {"negative mrr": [4], "empty mrr": [5], bad: [6]},
        {},
    )


def test_no_mrr_nor_amount_interval(tmp_path):
    text = lines("subscription_id,customer_id,started_at,amount", "S1,C1,2024-01-01,10")
    with pytest.raises(DataError) as exc:
        load(tmp_path, "subscriptions", text, required=["mrr"])
    assert str(exc.value) == (
        "subscriptions.csv has no column for 'mrr' nor 'amount' + 'interval' "
        "(found: subscription_id, customer_id, started_at, amount). "
        "Map one in the config: sources.subscriptions.columns.mrr (or .amount and .interval)"
    )
    assert exc.value.exit_code == 3


# --------------------------------------------------------------------------- 7. columns, files, cells


def test_missing_required_column_names_the_config_key(tmp_path):
    text = lines("Sub ID,Customer,Start,MRR", "S1,C1,2024-01-01,100")
    source = {"columns": {"subscription_id": "Sub ID", "customer_id": "Customer", "mrr": "MRR"}}
    with pytest.raises(DataError) as exc:
        load(tmp_path, "subscriptions", text, source, required=["mrr"])
    assert str(exc.value) == (
        "subscriptions.csv has no column for 'started_at' (found: Sub ID, Customer, Start, MRR). "
        "Map it in the config: sources.subscriptions.columns.started_at"
    )
    assert exc.value.exit_code == 3
    assert exc.value.column == "started_at"
    assert exc.value.file == str(tmp_path / "subscriptions.csv")


def test_mapping_fixes_the_missing_column(tmp_path):
    text = lines("Sub ID,Customer,Start,MRR", "S1,C1,2024-01-01,100")
    source = {"columns": {"subscription_id": "Sub ID", "customer_id": "Customer", "started_at": "start", "mrr": "MRR"}}
    frame, _ = load(tmp_path, "subscriptions", text, source, required=["mrr"])
    assert list(frame.columns[:3]) == ["subscription_id", "customer_id", "started_at"]
    assert dates(frame["started_at"]) == days("2024-01-01")
    assert ints(frame["mrr"]) == [144_000_000]


def test_mapping_to_an_absent_header_names_the_config_key(tmp_path):
    text = lines("subscription_id,customer_id,Start,mrr", "S1,C1,2024-01-01,100")
    with pytest.raises(DataError) as exc:
        load(tmp_path, "subscriptions", text, {"columns": {"started_at": "Begin"}}, required=["mrr"])
    assert str(exc.value) == (
        "subscriptions.csv has no column 'Begin' (mapped to 'started_at') "
        "(found: subscription_id, customer_id, Start, mrr). "
        "Map it in the config: sources.subscriptions.columns.started_at"
    )
    assert exc.value.exit_code == 3


def test_missing_file_names_the_path(tmp_path):
    cfg = config(tmp_path, {"invoices": {"path": "exports/billing.csv"}})
    with pytest.raises(DataError) as exc:
        read_table(cfg, "invoices")
    path = tmp_path / "exports" / "billing.csv"
    assert str(path) in str(exc.value)
    assert str(exc.value) == (
        f"{path}: file not found (needed for table 'invoices'). "
        "Put invoices.csv in the data folder (--data) or set sources.invoices.path in the config"
    )
    assert exc.value.exit_code == 3


def test_source_path_is_relative_to_the_data_folder(tmp_path):
    (tmp_path / "exports").mkdir()
    put(tmp_path / "exports", "crm.csv", lines("customer_id", "C1"))
    cfg = config(tmp_path, {"customers": {"path": "crm.csv"}}, data="exports")
    frame, rep = read_table(cfg, "customers")
    assert frame["customer_id"].tolist() == ["C1"]
    assert rep.path == str(tmp_path / "exports" / "crm.csv")


def test_empty_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError) as exc:
        load(tmp_path, "customers", b"")
    assert str(exc.value) == f"{tmp_path / 'customers.csv'}: the file is empty (no header row)"


def test_header_only_file_gives_an_empty_frame(tmp_path):
    frame, rep = load(tmp_path, "invoices", lines("invoice_id,customer_id,issued_at,amount"))
    assert len(frame) == 0
    assert list(frame.columns) == ["invoice_id", "customer_id", "issued_at", "amount"]
    assert accounting(rep) == (0, 0, {}, {}, {})


def test_wrong_number_of_cells(tmp_path):
    text = lines(
        "invoice_id,customer_id,issued_at,amount",
        "I1,C1,2024-05-01,10",  # 2
        "I2,C1,2024-05-01",  # 3 too few
        "I3,C1,2024-05-01,10,extra",  # 4 too many
        "I4,C1,2024-13-01,10",  # 5 bad date: line counted after the malformed ones
        "",  # 6 blank: skipped, not a record
        "I5,C1,2024-05-01,10",  # 7
        "I6",  # 8 too few
        "I7,C1,2024-05-01,abc",  # 9 bad amount
    )
    frame, rep = load(tmp_path, "invoices", text)
    assert frame["invoice_id"].tolist() == ["I1", "I5"]
    assert accounting(rep) == (
        7,
        2,
        {WRONG_CELLS: 3, BAD_DATE: 1, BAD_AMOUNT: 1},
        {WRONG_CELLS: [3, 4, 8], BAD_DATE: [5], BAD_AMOUNT: [9]},
        {},
    )


def test_header_names_with_surrounding_spaces_are_matched(tmp_path):
    # The loader strips header names ("customer_id, name" -> "name"); the file must still load.
    text = lines("customer_id, name", "C1,Alice")
    frame, rep = load(tmp_path, "customers", text, optional=["name"])
    assert frame["customer_id"].tolist() == ["C1"]
    assert frame["name"].tolist() == ["Alice"]
    assert rep.used == 1


def test_canonical_headers_match_case_insensitively(tmp_path):
    text = lines("Invoice_ID,CUSTOMER_ID,Issued_At,Amount", "I1,C1,2024-05-01,10")
    frame, _ = load(tmp_path, "invoices", text)
    assert frame["invoice_id"].tolist() == ["I1"]
    assert ints(frame["amount"]) == [100_000]


# --------------------------------------------------------------------------- 8. duplicates


def test_duplicate_ids_first_kept(tmp_path):
    text = lines(
        "invoice_id,customer_id,issued_at,amount",
        "I1,C1,2024-05-01,10",  # 2 kept
        "I2,C1,2024-05-01,20",  # 3 kept
        "I1,C1,2024-05-02,30",  # 4 duplicate
        "I1,C1,2024-05-03,40",  # 5 duplicate
        "I3,C1,not-a-date,50",  # 6 bad date
        "I3,C1,2024-05-04,60",  # 7 kept: the first I3 was rejected, so this is the first usable one
        "I3,C1,2024-05-05,70",  # 8 duplicate
        "00123,C1,2024-05-05,80",  # 9 kept
        "123,C1,2024-05-05,90",  # 10 kept: ids are text, 123 is not 00123
    )
    frame, rep = load(tmp_path, "invoices", text)
    assert frame["invoice_id"].tolist() == ["I1", "I2", "I3", "00123", "123"]
    assert ints(frame["amount"]) == [100_000, 200_000, 600_000, 800_000, 900_000]
    dup = "duplicate invoice_id"
    assert accounting(rep) == (9, 5, {dup: 3, BAD_DATE: 1}, {dup: [4, 5, 8], BAD_DATE: [6]}, {})


def test_an_exact_repeat_is_left_out_and_counted_not_rejected(tmp_path):
    # Overlapping exports repeat rows: an identical repeat is filtered (counted), so --strict passes;
    # the same id with other content is a rejected duplicate.
    text = lines(
        "invoice_id,customer_id,issued_at,amount",
        "I1,C1,2024-05-01,10",  # 2 kept
        "I1,C1,2024-05-01,10",  # 3 the same row again
        "I1,C1,2024-05-01,12",  # 4 the same id, another amount
    )
    frame, rep = load(tmp_path, "invoices", text)
    assert ints(frame["amount"]) == [100_000]
    repeat = "repeats an earlier row exactly (overlapping exports)"
    assert accounting(rep) == (3, 1, {"duplicate invoice_id": 1}, {"duplicate invoice_id": [4]}, {repeat: 1})


def test_duplicate_of_a_filtered_row_is_not_a_duplicate(tmp_path):
    text = lines(
        "invoice_id,customer_id,issued_at,amount,status",
        "I1,C1,2024-05-01,10,void",  # 2 filtered
        "I1,C1,2024-05-01,10,paid",  # 3 kept
    )
    frame, rep = load(tmp_path, "invoices", text)
    assert frame["invoice_id"].tolist() == ["I1"]
    assert frame["status"].tolist() == ["paid"]
    assert accounting(rep) == (2, 1, {}, {}, {"status void": 1})


def test_empty_optional_unique_ids_are_not_duplicates(tmp_path):
    text = lines(
        "response_id,customer_id,responded_at,survey,score",
        ",C1,2024-05-01,nps,9",
        ",,2024-05-01,nps,7",
        "R1,C2,2024-05-01,nps,10",
        "R1,C3,2024-05-01,nps,10",  # 5 duplicate
    )
    frame, rep = load(tmp_path, "surveys", text, optional=["response_id", "customer_id"])
    assert len(frame) == 3
    assert frame["response_id"].isna().tolist() == [True, True, False]
    assert frame["customer_id"].isna().tolist() == [False, True, False]
    assert accounting(rep) == (4, 3, {"duplicate response_id": 1}, {"duplicate response_id": [5]}, {})


# --------------------------------------------------------------------------- 9. multi-line comments


def test_multiline_comment_keeps_line_numbers(tmp_path):
    text = lines(
        "response_id,customer_id,responded_at,survey,score,comment",  # 1
        'R1,C1,2024-05-01,nps,9,"Great',  # 2
        'really great"',  # 3
        "R2,C2,2024-05-02,nps,11,ok",  # 4 off scale
        'R3,C3,2024-05-03,csat,0,"a',  # 5 off scale, spans 5-7
        "b, with a comma",  # 6
        'c ""quoted"""',  # 7
        "R4,C4,2024-05-04,nps,x,bad",  # 8 bad score
        'R5,C5,2024-05-05,ces,7,"line one',  # 9
        'line two"',  # 10
        "R6,C6,2024-05-06,nps,7,fine",  # 11
        "R7,C7,2024-05-06,nps,-1,",  # 12 off scale
    )
    frame, rep = load(tmp_path, "surveys", text, optional=["response_id", "comment"])
    assert frame["response_id"].tolist() == ["R1", "R5", "R6"]
    assert frame["comment"].tolist() == ["Great\nreally great", "line one\nline two", "fine"]
    assert accounting(rep) == (
        7,
        3,
        {"score off the nps scale 0..10": 2, "score off the csat scale 1..5": 1, "bad score (expected a number)": 1},
        {"score off the nps scale 0..10": [4, 12], "score off the csat scale 1..5": [5],
         "bad score (expected a number)": [8]},
        {},
    )  # fmt: skip


# --------------------------------------------------------------------------- 10. bool, int


def test_booleans(tmp_path):
    values = ["true", "FALSE", "Yes", "no", "Y", "n", "1", "0", "T", "f", "", "maybe", "TRUE", "nope"]
    text = lines(
        "subscription_id,customer_id,started_at,mrr,is_trial",
        *(f"S{i},C1,2024-01-01,10,{v}" for i, v in enumerate(values, start=1)),
    )
    frame, rep = load(tmp_path, "subscriptions", text, required=["mrr"], optional=["is_trial"])
    # S12 "maybe" (line 13) and S14 "nope" (line 15) are rejected.
    assert frame["subscription_id"].tolist() == [f"S{i}" for i in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13)]
    assert frame["is_trial"].tolist() == [True, False, True, False, True, False, True, False, True, False,
                                          False, True]  # fmt: skip
    assert accounting(rep) == (14, 12, {BAD_BOOL: 2}, {BAD_BOOL: [13, 15]}, {})


def test_integers(tmp_path):
    text = lines(
        "invoice_id,customer_id,issued_at,amount,quantity",
        "I1,C1,2024-05-01,10,3",  # 2
        "I2,C1,2024-05-01,10,-1",  # 3 returned unit
        "I3,C1,2024-05-01,10,2.5",  # 4 not whole
        "I4,C1,2024-05-01,10,",  # 5 empty: missing, not zero
        "I5,C1,2024-05-01,10,three",  # 6
        "I6,C1,2024-05-01,10,+4",  # 7
    )
    frame, rep = load(tmp_path, "invoices", text, optional=["quantity"])
    assert frame["invoice_id"].tolist() == ["I1", "I2", "I4", "I6"]
    assert ints(frame["quantity"]) == [3, -1, None, 4]
    reason = "bad quantity (expected a whole number)"
    assert accounting(rep) == (6, 4, {reason: 2}, {reason: [4, 6]}, {})


def test_a_whole_number_beyond_int64_is_a_rejected_row_and_a_large_one_stays_exact(tmp_path):
    text = lines(
        "invoice_id,customer_id,issued_at,amount,quantity",
        "I1,C1,2024-05-01,10,99999999999999999999",  # 2: 20 digits, no count: rejected (was a traceback)
        "I2,C1,2024-05-01,10,123456789012345678",  # 3: 18 digits, exact (a float would round it)
        "I3,C1,2024-05-01,10,-000000000000000000007",  # 4: leading zeros are no digits of the value
        "I4,C1,2024-05-01,10,",  # 5: missing
    )
    frame, rep = load(tmp_path, "invoices", text, optional=["quantity"])
    assert frame["invoice_id"].tolist() == ["I2", "I3", "I4"]
    assert ints(frame["quantity"]) == [123456789012345678, -7, None]
    reason = "bad quantity (expected a whole number)"
    assert accounting(rep) == (4, 3, {reason: 1}, {reason: [2]}, {})


# --------------------------------------------------------------------------- 11. invoice status


def test_void_and_draft_invoices_are_filtered(tmp_path):
    text = lines(
        "invoice_id,customer_id,issued_at,amount,status",
        "I1,C1,2024-05-01,10,paid",  # 2
        "I2,C1,2024-05-01,10,void",  # 3 filtered
        "I3,C1,2024-05-01,10,VOID",  # 4 filtered
        "I4,C1,2024-05-01,10,Draft",  # 5 filtered
        "I5,C1,2024-05-01,10,",  # 6
        "I6,C1,2024-05-01,abc,void",  # 7 rejected first: a bad amount is not filtered
        "I7,C1,2024-05-01,10, void ",  # 8 filtered
    )
    frame, rep = load(tmp_path, "invoices", text)
    assert frame["invoice_id"].tolist() == ["I1", "I5"]
    assert accounting(rep) == (7, 2, {BAD_AMOUNT: 1}, {BAD_AMOUNT: [7]}, {"status void": 3, "status draft": 1})
    assert rep.filtered_total == 4 and rep.rejected_total == 1


def test_custom_exclude_status(tmp_path):
    text = lines(
        "invoice_id,customer_id,issued_at,amount,status",
        "I1,C1,2024-05-01,10,void",
        "I2,C1,2024-05-01,10,Cancelled",
        "I3,C1,2024-05-01,10,draft",
    )
    frame, rep = load(tmp_path, "invoices", text, {"exclude_status": ["cancelled"]})
    assert frame["invoice_id"].tolist() == ["I1", "I3"]
    assert accounting(rep) == (3, 2, {}, {}, {"status cancelled": 1})


# --------------------------------------------------------------------------- 12. surveys


def test_survey_labels_and_scales(tmp_path):
    text = lines(
        "response_id,customer_id,responded_at,survey,score",
        "R1,C1,2024-05-01,Net Promoter Score,9",  # 2
        "R2,C1,2024-05-01,net promoter score,0",  # 3
        "R3,C1,2024-05-01,Customer Satisfaction,5",  # 4
        "R4,C1,2024-05-01,nps,10",  # 5
        "R5,C1,2024-05-01,Product Feedback,3",  # 6 filtered
        "R6,C1,2024-05-01,Product Feedback,4",  # 7 filtered
        "R7,C1,2024-05-01,nps,11",  # 8
        "R8,C1,2024-05-01,csat,0",  # 9
        "R9,C1,2024-05-01,ces,8",  # 10
        "R10,C1,2024-05-01,CES,1",  # 11
        "R11,C1,2024-05-01,csat,6",  # 12
        "R12,C1,2024-05-01,nps,-1",  # 13
        "R13,C1,2024-05-01,ces,7",  # 14
        "R14,C1,2024-05-01,csat,4.5",  # 15
    )
    labels = {"Net Promoter Score": "nps", "Customer Satisfaction": "csat"}
    frame, rep = load(tmp_path, "surveys", text, {"survey_labels": labels}, optional=["response_id"])
    assert frame["response_id"].tolist() == ["R1", "R2", "R3", "R4", "R10", "R13", "R14"]
    assert frame["survey"].tolist() == ["nps", "nps", "csat", "nps", "ces", "ces", "csat"]
    assert frame["score"].tolist() == [9.0, 0.0, 5.0, 10.0, 1.0, 7.0, 4.5]
    nps, csat, ces = "score off the nps scale 0..10", "score off the csat scale 1..5", "score off the ces scale 1..7"
    other = "survey 'product feedback' is not nps/csat/ces (map it: sources.surveys.survey_labels)"
    assert accounting(rep) == (
        14,
        7,
        {nps: 2, csat: 2, ces: 1},
        {nps: [8, 13], csat: [9, 12], ces: [10]},
        {other: 2},
    )


def test_survey_scale_from_the_config(tmp_path):
    text = lines(
        "responded_at,survey,score",
        "2024-05-01,csat,6",
        "2024-05-01,csat,11",  # 3
        "2024-05-01,csat,0",  # 4
    )
    frame, rep = load(tmp_path, "surveys", text, metrics={"csat": {"scale": [1, 10], "satisfied_min": 8}})
    assert frame["score"].tolist() == [6.0]
    reason = "score off the csat scale 1..10"
    assert accounting(rep) == (3, 1, {reason: 2}, {reason: [3, 4]}, {})


# --------------------------------------------------------------------------- 13. currency

RATES = {"base": "USD", "rates": {"THB": 0.028}}


def test_invoice_amounts_converted_to_the_base_currency(tmp_path):
    text = lines(
        "invoice_id,customer_id,issued_at,amount,currency",
        "I1,C1,2024-05-01,1000,THB",  # 1000 x 0.028 = 28.00 USD
        "I2,C1,2024-05-01,50,USD",  # 50.00
        'I3,C1,2024-05-01,"1,000.00",thb',  # 28.00
        "I4,C1,2024-05-01,12.34,",  # empty, and the file has no currency of its own: rejected, never rate 1
        "I5,C1,2024-05-01,-500,THB",  # -500 x 0.028 = -14.00
        "I6,C1,2024-05-01,0.35,THB",  # 0.35 x 0.028 = 0.0098
    )
    frame, rep = load(tmp_path, "invoices", text, currency=RATES)
    assert ints(frame["amount"]) == [280_000, 500_000, 280_000, -140_000, 98]
    assert "currency" not in frame
    empty = "empty currency (set the file's currency: sources.<table>.currency)"
    assert accounting(rep) == (6, 5, {empty: 1}, {empty: [5]}, {})


def test_a_blank_currency_cell_is_the_files_currency_not_the_base(tmp_path):
    # Two THB subscriptions, one with its currency cell blank, in a file whose config says THB:
    # 1000 THB + 1000 THB = 2000 THB x 0.03 = 60 USD (not 1000 USD + 30 USD = 1030).
    text = lines(
        "subscription_id,customer_id,started_at,mrr,currency",
        "S1,C1,2024-01-01,1000,THB",
        "S2,C2,2024-01-01,1000,",
    )
    frame, rep = load(tmp_path, "subscriptions", text, {"currency": "THB"}, currency={"base": "USD", "rates": {"THB": 0.03}})
    assert frame["mrr"].sum() == 60 * MRR_SCALE
    assert rep.rejected == {}


def test_source_currency_for_a_file_without_a_currency_column(tmp_path):
    text = lines("invoice_id,customer_id,issued_at,amount", "I1,C1,2024-05-01,2500")
    frame, _ = load(tmp_path, "invoices", text, {"currency": "THB"}, currency=RATES)
    assert ints(frame["amount"]) == [700_000]  # 2500 x 0.028 = 70.00


def test_subscription_mrr_converted_to_the_base_currency(tmp_path):
    text = lines(
        "subscription_id,customer_id,started_at,amount,interval,currency",
        "S1,C1,2024-01-01,3500,month,THB",  # 3500 x 0.028 = 98 a month
        "S2,C1,2024-01-01,12000,year,THB",  # 12000 x 0.028 = 336 a year = 28 a month
        "S3,C1,2024-01-01,10,month,USD",  # 10 a month
    )
    frame, _ = load(tmp_path, "subscriptions", text, required=["mrr"], currency=RATES)
    assert ints(frame["mrr"]) == [141_120_000, 40_320_000, 14_400_000]  # x 1_440_000


def test_subscription_mrr_column_converted(tmp_path):
    text = lines(
        "subscription_id,customer_id,started_at,mrr,currency",
        "S1,C1,2024-01-01,3500,THB",  # 98 a month
    )
    frame, _ = load(tmp_path, "subscriptions", text, required=["mrr"], currency=RATES)
    assert ints(frame["mrr"]) == [141_120_000]


def test_currency_without_a_rate_is_a_data_error(tmp_path):
    text = lines(
        "invoice_id,customer_id,issued_at,amount,currency",
        "I1,C1,2024-05-01,1000,THB",
        "I2,C1,2024-05-01,10,EUR",
    )
    with pytest.raises(DataError) as exc:
        load(tmp_path, "invoices", text, currency=RATES)
    assert "currency.rates.EUR" in str(exc.value)
    assert str(exc.value) == (
        "invoices.csv: no rate to USD for EUR. Add it to the config: currency.rates.EUR (1 EUR = ? USD)"
    )
    assert exc.value.exit_code == 3


def test_several_currencies_without_a_base_is_a_data_error(tmp_path):
    text = lines(
        "invoice_id,customer_id,issued_at,amount,currency",
        "I1,C1,2024-05-01,1000,THB",
        "I2,C1,2024-05-01,10,EUR",
    )
    with pytest.raises(DataError) as exc:
        load(tmp_path, "invoices", text)
    assert str(exc.value) == (
        "invoices.csv: amounts are in several currencies (EUR, THB) and no base currency is set. "
        "Set currency.base and currency.rates in the config"
    )
    assert exc.value.exit_code == 3


def test_void_invoice_in_a_currency_without_a_rate_is_only_filtered(tmp_path):
    # A void invoice is left out and counted; it must not need a rate (nor stop the whole run).
    text = lines(
        "invoice_id,customer_id,issued_at,amount,currency,status",
        "I1,C1,2024-05-01,1000,THB,paid",  # 28.00 USD
        "I2,C1,2024-05-01,10,EUR,void",
    )
    frame, rep = load(tmp_path, "invoices", text, currency=RATES)
    assert ints(frame["amount"]) == [280_000]
    assert accounting(rep) == (2, 1, {}, {}, {"status void": 1})


def test_one_currency_without_a_base_is_left_as_is(tmp_path):
    text = lines(
        "invoice_id,customer_id,issued_at,amount,currency",
        "I1,C1,2024-05-01,1000,THB",
        "I2,C1,2024-05-01,10,THB",
    )
    frame, _ = load(tmp_path, "invoices", text)
    assert ints(frame["amount"]) == [10_000_000, 100_000]


# --------------------------------------------------------------------------- 14. text and ids

NAMES = ["สมชาย ใจดี", "น้ำใจ", "张伟", "👩‍💻 Dev Co 🎉", "e\u0301te\u0301"]  # Thai sara am, ZWJ, NFD


def test_unicode_names_survive_byte_for_byte(tmp_path):
    ids = ["00123", "00124", "0", "000", "007"]
    text = lines("customer_id,name", *(f"{i},{n}" for i, n in zip(ids, NAMES)))
    frame, _ = load(tmp_path, "customers", text, optional=["name"])
    assert frame["customer_id"].tolist() == ids
    assert frame["name"].tolist() == NAMES
    assert [n.encode("utf-8") for n in frame["name"]] == [n.encode("utf-8") for n in NAMES]


def test_unicode_comments_survive_byte_for_byte(tmp_path):
    comments = ["บริการดีมาก 👍", "很好，谢谢！", '"quoted", 🙂\nnew line']
    text = lines(
        "response_id,customer_id,responded_at,survey,score,comment",
        f"R1,00123,2024-05-01,nps,9,{comments[0]}",
        f"R2,00124,2024-05-01,nps,10,{comments[1]}",
        'R3,00125,2024-05-01,nps,8,"""quoted"", 🙂\nnew line"',
    )
    frame, _ = load(tmp_path, "surveys", text, optional=["customer_id", "comment"])
    assert frame["customer_id"].tolist() == ["00123", "00124", "00125"]
    assert frame["comment"].tolist() == comments
    assert [c.encode("utf-8") for c in frame["comment"]] == [c.encode("utf-8") for c in comments]


def test_ids_keep_leading_zeros_everywhere(tmp_path):
    text = lines(
        "subscription_id,customer_id,started_at,mrr",
        "0001,00123,2024-01-01,10",
        "1,0123,2024-01-01,10",
    )
    frame, _ = load(tmp_path, "subscriptions", text, required=["mrr"])
    assert frame["subscription_id"].tolist() == ["0001", "1"]
    assert frame["customer_id"].tolist() == ["00123", "0123"]


# --------------------------------------------------------------------------- 15. encodings


@pytest.mark.parametrize(
    ("encoding", "name"),
    [("cp874", "สมชาย ใจดี"), ("gb18030", "张伟"), ("cp1252", "Café Zoë")],
)
def test_non_utf8_file_with_its_encoding(tmp_path, encoding, name):
    data = lines("customer_id,name", f"00123,{name}", "00124,plain").encode(encoding)
    frame, rep = load(tmp_path, "customers", data, {"encoding": encoding}, optional=["name"])
    assert frame["customer_id"].tolist() == ["00123", "00124"]
    assert frame["name"].tolist() == [name, "plain"]
    assert rep.used == 2


@pytest.mark.parametrize(("encoding", "name"), [("cp874", "สมชาย ใจดี"), ("gb18030", "张伟")])
def test_non_utf8_file_with_the_default_encoding_is_a_data_error(tmp_path, encoding, name):
    data = lines("customer_id,name", f"00123,{name}").encode(encoding)
    with pytest.raises(DataError) as exc:
        load(tmp_path, "customers", data, optional=["name"])
    assert "encoding" in str(exc.value)
    assert str(tmp_path / "customers.csv") in str(exc.value)
    assert exc.value.exit_code == 3


def test_non_utf8_bytes_far_into_the_file_are_a_data_error(tmp_path):
    # The header and the first 100,000 lines are ASCII; the bad bytes come after any read buffer.
    body = "".join(f"C{i},plain\n" for i in range(100_000))
    data = lines("customer_id,name").encode() + body.encode() + "C_last,张伟\n".encode("gb18030")
    with pytest.raises(DataError) as exc:
        load(tmp_path, "customers", data, optional=["name"])
    assert "encoding" in str(exc.value)
    assert exc.value.exit_code == 3


def test_encoding_error_in_a_file_with_a_date_column(tmp_path):
    data = lines("invoice_id,customer_id,issued_at,amount").encode() + "I1,张伟,2024-05-01,10\n".encode("gb18030")
    with pytest.raises(DataError) as exc:
        load(tmp_path, "invoices", data)
    assert "encoding" in str(exc.value)


def test_cp874_file_with_semicolons_and_line_numbers(tmp_path):
    data = lines(
        "customer_id;name;created_at",
        "001;สมชาย;2024-05-01",
        "002;สมหญิง;2024-99-01",  # 3 bad date
    ).encode("cp874")
    source = {"encoding": "cp874", "delimiter": ";"}
    frame, rep = load(tmp_path, "customers", data, source, optional=["name", "created_at"])
    assert frame["name"].tolist() == ["สมชาย"]
    reason = "bad created_at (expected a date like 2024-05-31)"
    assert accounting(rep) == (2, 1, {reason: 1}, {reason: [3]}, {})


# --------------------------------------------------------------------------- 16. accounting


def test_read_equals_used_plus_filtered_plus_rejected(tmp_path):
    text = lines(
        "invoice_id,customer_id,issued_at,amount,status",
        "I1,C1,2024-05-01,10,paid",  # 2 used
        "I2,C1,2024-05-01,10,void",  # 3 filtered
        "I3,C1,2024-05-01,x,paid",  # 4 bad amount
        "I1,C1,2024-05-01,11,paid",  # 5 duplicate (different content)
        "I4,C1,2024-05-01",  # 6 wrong cells
        "I5,C1,,10,paid",  # 7 empty issued_at
        "I6,C1,2024-05-01,10,draft",  # 8 filtered
        "I7,,2024-05-01,10,paid",  # 9 empty customer_id
        "I8,C2,2024-05-02,20,paid",  # 10 used
        ",C2,2024-05-02,20,paid",  # 11 empty invoice_id
    )
    frame, rep = load(tmp_path, "invoices", text)
    assert rep.read == 10
    assert rep.used == 2 and len(frame) == 2
    assert rep.filtered_total == 2 and rep.rejected_total == 6
    assert rep.read == rep.used + rep.filtered_total + rep.rejected_total
    assert rep.filtered == {"status void": 1, "status draft": 1}
    assert rep.rejected == {
        WRONG_CELLS: 1,
        BAD_AMOUNT: 1,
        "duplicate invoice_id": 1,
        "empty issued_at": 1,
        "empty customer_id": 1,
        "empty invoice_id": 1,
    }
    assert rep.rejected_lines == {
        WRONG_CELLS: [6],
        BAD_AMOUNT: [4],
        "duplicate invoice_id": [5],
        "empty issued_at": [7],
        "empty customer_id": [9],
        "empty invoice_id": [11],
    }


def test_only_the_first_five_lines_of_a_reason_are_kept(tmp_path):
    text = lines(
        "invoice_id,customer_id,issued_at,amount",
        *(f"I{i},C1,2024-05-01,bad" for i in range(7)),  # lines 2..8
        "I9,C1,2024-05-01,1",  # 9
    )
    frame, rep = load(tmp_path, "invoices", text)
    assert rep.rejected == {BAD_AMOUNT: 7}
    assert rep.rejected_lines == {BAD_AMOUNT: [2, 3, 4, 5, 6]}
    assert rep.used == 1 and len(frame) == 1


# --------------------------------------------------------------------------- 17. time zone


def test_datetimes_are_instants_in_utc(tmp_path):
    # Datetime columns hold instants (UTC). A naive value is wall-clock time in the config's zone,
    # a value with an offset is an instant; Bangkok is UTC+7 all year.
    text = lines(
        "ticket_id,customer_id,created_at",
        "T1,C1,2024-05-31T23:30:00+00:00",  # 23:30 UTC
        "T2,C1,2024-05-31T23:30:00",  # naive: 23:30 in Bangkok = 16:30 UTC
        "T3,C1,2024-05-31 14:03:00",  # 14:03 Bangkok = 07:03 UTC
        "T4,C1,2024-05-31T23:30:00Z",  # 23:30 UTC
        "T5,C1,2024-06-01T06:30:00+07:00",  # 23:30 UTC the day before
        "T6,C1,2024-05-31T20:00:00-05:00",  # 01:00 UTC on 1 June
        "T7,C1,2024-05-31 23:30:00+07",  # an hour-only offset (PostgreSQL writes these): 16:30 UTC
    )
    frame, rep = load(tmp_path, "tickets", text, timezone="Asia/Bangkok")
    assert dates(frame["created_at"]) == [
        pd.Timestamp("2024-05-31 23:30"),
        pd.Timestamp("2024-05-31 16:30"),
        pd.Timestamp("2024-05-31 07:03"),
        pd.Timestamp("2024-05-31 23:30"),
        pd.Timestamp("2024-05-31 23:30"),
        pd.Timestamp("2024-06-01 01:00"),
        pd.Timestamp("2024-05-31 16:30"),
    ]
    assert frame["created_at"].dt.tz is None
    assert rep.rejected == {}


def test_a_file_of_only_offset_datetimes_is_read(tmp_path):
    text = lines(
        "ticket_id,customer_id,created_at,resolved_at",
        "T1,C1,2024-05-31T23:30:00+00:00,2024-06-01T00:15:00+00:00",
    )
    frame, _ = load(tmp_path, "tickets", text, optional=["resolved_at"], timezone="Asia/Bangkok")
    assert dates(frame["created_at"]) == [pd.Timestamp("2024-05-31 23:30")]
    assert dates(frame["resolved_at"]) == [pd.Timestamp("2024-06-01 00:15")]


def test_naive_datetimes_are_local_time_in_the_fast_path_too(tmp_path):
    # Only naive ISO values: Arrow parses them while reading; they are still local time.
    text = lines(
        "ticket_id,customer_id,created_at,resolved_at",
        "T1,C1,2024-05-31T23:30:00,",
        "T2,C1,2024-05-31 08:00:00,2024-05-31 09:15:30",
    )
    frame, rep = load(tmp_path, "tickets", text, optional=["resolved_at"], timezone="Asia/Bangkok")
    assert dates(frame["created_at"]) == [pd.Timestamp("2024-05-31 16:30"), pd.Timestamp("2024-05-31 01:00")]
    assert dates(frame["resolved_at"]) == [None, pd.Timestamp("2024-05-31 02:15:30")]
    assert rep.rejected == {}


def test_naive_datetimes_in_utc_stay_as_written(tmp_path):
    text = lines("ticket_id,customer_id,created_at", "T1,C1,2024-05-31T23:30:00")
    frame, _ = load(tmp_path, "tickets", text)
    assert dates(frame["created_at"]) == [pd.Timestamp("2024-05-31 23:30")]


def test_bad_datetimes_are_rejected(tmp_path):
    text = lines(
        "ticket_id,customer_id,created_at",
        "T1,C1,2024-05-31T23:30:00",
        "T2,C1,yesterday",  # 3
        "T3,C1,2024-02-30T10:00:00",  # 4
        "T4,C1,",  # 5
    )
    frame, rep = load(tmp_path, "tickets", text)
    bad = "bad created_at (expected a datetime like 2024-05-31T14:03:00)"
    assert frame["ticket_id"].tolist() == ["T1"]
    assert accounting(rep) == (4, 1, {bad: 2, "empty created_at": 1}, {bad: [3, 4], "empty created_at": [5]}, {})


# --------------------------------------------------------------------------- 18. segments


CUSTOMERS = lines(
    "customer_id,name,plan,region",
    "C1,Alice,basic,north",
    "C2,Bob,pro, ",
)


def test_extra_headers_are_segment_columns_when_asked_for(tmp_path):
    frame, rep = load(tmp_path, "customers", CUSTOMERS, optional=["plan", "region"])
    assert list(frame.columns) == ["customer_id", "plan", "region"]
    assert frame["plan"].tolist() == ["basic", "pro"]
    assert frame["region"].iloc[0] == "north" and pd.isna(frame["region"].iloc[1])  # empty = missing
    assert rep.used == 2


def test_segment_column_required(tmp_path):
    frame, _ = load(tmp_path, "customers", CUSTOMERS, required=["plan"])
    assert frame["plan"].tolist() == ["basic", "pro"]
    assert "region" not in frame


def test_segment_columns_not_asked_for_are_not_read(tmp_path):
    frame, _ = load(tmp_path, "customers", CUSTOMERS)
    assert list(frame.columns) == ["customer_id"]


def test_absent_optional_segment_is_simply_absent(tmp_path):
    frame, _ = load(tmp_path, "customers", CUSTOMERS, optional=["industry"])
    assert "industry" not in frame


def test_absent_required_segment_names_the_config_key(tmp_path):
    with pytest.raises(DataError) as exc:
        load(tmp_path, "customers", CUSTOMERS, required=["industry"])
    assert str(exc.value) == (
        "customers.csv has no column for 'industry' (found: customer_id, name, plan, region). "
        "Map it in the config: sources.customers.columns.industry"
    )


def test_segment_mapped_to_another_header(tmp_path):
    # The missing-segment error says "Map it in the config: sources.customers.columns.industry", and
    # the config accepts any segment name there (customers are open): following the hint must work.
    text = lines("customer_id,Sector,Tier", "C1,retail,gold")
    source = {"columns": {"industry": "Sector", "plan": "Tier"}}
    frame, _ = load(tmp_path, "customers", text, source, required=["industry"], optional=["plan"])
    assert frame["industry"].tolist() == ["retail"]
    assert frame["plan"].tolist() == ["gold"]


def test_dataset_reads_the_union_of_columns(tmp_path):
    put(tmp_path, "customers.csv", CUSTOMERS)
    ds = Dataset(config(tmp_path))
    first = ds.table("customers", optional=["plan"])
    assert list(first.columns) == ["customer_id", "plan"]
    second = ds.table("customers", optional=["region"])
    assert list(second.columns) == ["customer_id", "plan", "region"]
    assert ds.table("customers", optional=["plan"]) is second  # cached
    assert ds.reports["customers"].read == 2


# --------------------------------------------------------------------------- 19. hostile and huge files


def test_multiline_values_in_a_large_file_of_any_table(tmp_path):
    # Every table allows quoted line breaks, also past Arrow's first 1 MiB block.
    rows = [f"C{i},Company {i},{'x' * 40}" for i in range(40_000)]  # ~2 MB
    rows[30_000] = 'C30000,"Two\nline name",y'
    frame, rep = load(tmp_path, "customers", lines("customer_id,name,note", *rows), optional=["name"])
    assert rep.read == 40_000 and rep.used == 40_000
    assert frame.loc[frame["customer_id"] == "C30000", "name"].item() == "Two\nline name"


def test_a_field_larger_than_arrows_block_is_read(tmp_path):
    big = "word " * 600_000  # 3 MB in one quoted comment
    text = lines("response_id,responded_at,survey,score,comment", "R1,2024-05-02,nps,9,ok", f'R2,2024-05-02,nps,7,"{big}"', "R3,2024-05-03,nps,10,")
    frame, rep = load(tmp_path, "surveys", text, optional=["comment"])
    assert rep.used == 3 and len(frame.loc[1, "comment"]) == len(big)


def test_duplicate_header_names_are_refused_when_used(tmp_path):
    text = lines("invoice_id,customer_id,issued_at,amount,Amount", "I1,C1,2024-05-01,10,20")
    with pytest.raises(DataError) as exc:
        load(tmp_path, "invoices", text)
    assert "invoices.csv has 2 columns named 'amount' (columns 4, 5), so 'amount' is ambiguous" in str(exc.value)


def test_duplicate_header_names_not_used_are_harmless(tmp_path):
    text = lines("invoice_id,customer_id,issued_at,amount,note,note", "I1,C1,2024-05-01,10,a,b")
    frame, rep = load(tmp_path, "invoices", text)
    assert rep.used == 1


def test_a_header_only_file_without_a_final_newline_has_no_rows(tmp_path):
    frame, rep = load(tmp_path, "invoices", "invoice_id,customer_id,issued_at,amount")
    assert len(frame) == 0 and rep.read == 0


def test_a_utf16_le_bom_is_dropped_from_the_first_header(tmp_path):
    text = "\ufeffcustomer_id\tname\nC1\tสมชาย\n"
    put(tmp_path, "customers.csv", text.encode("utf-16-le"))
    cfg = config(tmp_path, {"customers": {"encoding": "utf-16-le", "delimiter": "\t"}})
    frame, _ = read_table(cfg, "customers", optional=["name"])
    assert frame["customer_id"].tolist() == ["C1"] and frame["name"].tolist() == ["สมชาย"]


def test_utf16_with_a_bom_as_excel_writes_it(tmp_path):
    put(tmp_path, "customers.csv", "customer_id\tname\nC1\t张伟\n".encode("utf-16"))
    cfg = config(tmp_path, {"customers": {"encoding": "utf-16", "delimiter": "\t"}})
    frame, _ = read_table(cfg, "customers", optional=["name"])
    assert frame["name"].tolist() == ["张伟"]


def test_the_wrong_utf16_encoding_on_a_utf8_file_is_one_data_error(tmp_path):
    put(tmp_path, "invoices.csv", lines("invoice_id,customer_id,issued_at,amount", "I1,C1,2024-05-01,10"))
    cfg = config(tmp_path, {"invoices": {"encoding": "utf-16"}})
    with pytest.raises(DataError):
        read_table(cfg, "invoices")


def test_the_filtered_line_caps_the_labels_it_lists(tmp_path):
    statuses = [f"s{i}" for i in range(12)]
    text = lines("invoice_id,customer_id,issued_at,amount,status", *(f"I{i},C1,2024-05-01,10,{st}" for i, st in enumerate(statuses)))
    _, rep = load(tmp_path, "invoices", text, {"exclude_status": statuses})
    summary = rep.summary()
    assert "12 filtered (status s0: 1; " in summary and "; ... and 4 more)" in summary


def test_a_read_failing_part_way_always_exits_3(tmp_path):
    # Invalid UTF-8 deep in a large file makes Arrow fail part way through; two runs at once, several
    # times: every run must end as a data error (exit 3), never an abort (exit 134).
    import subprocess
    import sys

    body = "".join(f"R{i},2024-05-02,nps,{i % 11},comment {i}\n" for i in range(60_000))
    (tmp_path / "surveys.csv").write_bytes(b"response_id,responded_at,survey,score,comment\n" + body.encode() + b"R,2024-05-02,\xff\xfe,5,x\n" + body.encode())
    cmd = [sys.executable, "-m", "cs_metrics", "nps", "--data", str(tmp_path), "-p", "2024-05", "-q"]
    codes = []
    for _ in range(2):
        procs = [subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(2)]
        codes += [p.wait() for p in procs]
        for p in procs:
            p.stderr.close()
    assert codes == [3] * 4
