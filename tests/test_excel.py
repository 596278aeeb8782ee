"""Excel sheets as input (cs_metrics/sources/excel.py): every cell read as the text a CSV export would
hold, the sheet picked by name or index, rejected rows named by their sheet row, one-line errors."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from typer.testing import CliRunner

from cs_metrics.cli import app
from cs_metrics.config import FileConfig, parse_config
from cs_metrics.errors import DataError
from cs_metrics.load import MONEY_SCALE, read_table
from cs_metrics.sources import excel, values

DATA = Path(__file__).parent / "data"
HUBSPOT = DATA / "exports" / "hubspot"
HUBSPOT_STEM = "hubspot-crm-exports-all-companies-2026-11-30"
HUBSPOT_COLUMNS = {"customer_id": "Record ID", "name": "Company name", "created_at": "Create Date", "referred_by": "Referred By"}


def cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def workbook(path: Path, sheets: dict[str, list[list]], formats: dict[str, str] | None = None) -> Path:
    """Write an .xlsx with the given sheets (rows of Python values; None is an empty cell)."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        for ref, number_format in (formats or {}).items():
            sheet[ref].number_format = number_format
    book.save(path)
    excel.clear_cache()  # a file rewritten within the clock's resolution
    return path


def cfg(folder: Path, sources: dict, **top):
    return parse_config({"sources": sources, **top}, folder)


# --------------------------------------------------------------------------- a real export


def test_the_hubspot_companies_export_reads_as_the_customers_table(tmp_path):
    sources = {"customers": {"path": f"{HUBSPOT_STEM}.xlsx", "columns": HUBSPOT_COLUMNS}}
    frame, rep = read_table(cfg(HUBSPOT, sources), "customers", optional=["name", "created_at", "referred_by", "Country/Region"])
    assert (rep.read, rep.used, rep.rejected) == (9, 9, {})
    # Record ID is a number cell: it reads back as the id text, not 18245551001.0
    assert frame["customer_id"].tolist() == [f"1824555100{i}" for i in range(1, 10)]
    # Create Date is a date-time cell: its day
    assert frame["created_at"].dt.strftime("%Y-%m-%d").tolist() == [
        "2026-06-03", "2026-08-28", "2026-06-20", "2026-09-22", "2026-07-28", "2026-06-02", "2026-06-01", "2026-10-08", "2026-10-19",
    ]  # fmt: skip
    assert frame["name"].iloc[1] == "上海云帆科技有限公司" and frame["name"].iloc[3] == "บริษัท กรุงเทพ ฟู้ดส์ จำกัด"
    assert frame["referred_by"].isna().tolist() == [True, True, True, False, True, True, True, False, True]  # empty cells
    assert frame["Country/Region"].value_counts().to_dict() == {"Thailand": 4, "China": 2, "United States": 2, "Singapore": 1}
    # the CSV twin reads to the same table
    twin, _ = read_table(cfg(HUBSPOT, {"customers": {"path": f"{HUBSPOT_STEM}.csv", "columns": HUBSPOT_COLUMNS}}), "customers",
                         optional=["name", "created_at", "referred_by", "Country/Region"])  # fmt: skip
    pd.testing.assert_frame_equal(frame, twin)


def test_referrals_from_the_hubspot_workbook_through_the_cli(tmp_path):
    config = tmp_path / "cs-metrics.yaml"
    config.write_text(
        json.dumps({"data": str(HUBSPOT), "sources": {"customers": {"path": f"{HUBSPOT_STEM}.xlsx", "sheet": "All companies", "columns": HUBSPOT_COLUMNS}}}),
        encoding="utf-8",
    )
    # EXPECTED.md: October's new customers are 1008 and 1009, 1008 was referred -> 1 / 2 = 50 %
    r = cli("referrals", "--config", config, "--period", "2026-10", "--format", "json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["value"] == 50.0 and (out["details"]["new_customers"], out["details"]["referred_customers"]) == (2, 1)
    # September: 1004, referred by Siam Logistics -> 1 / 1
    assert json.loads(cli("referrals", "--config", config, "--period", "2026-09", "--format", "json").stdout)["value"] == 100.0


# --------------------------------------------------------------------------- cells as a CSV export holds them


def test_each_kind_of_cell_as_text():
    cells = [18245551001.0, 1234.5, 0.1, -0.25, 3.0, 12345678901.5, True, False, dt.date(2026, 6, 3),
             dt.datetime(2026, 6, 3, 9, 15), dt.datetime(2026, 6, 3, 23, 59, 59, 600000), "", "text",
             dt.timedelta(hours=43, minutes=45), dt.time(9, 30), None, 7]  # fmt: skip
    assert excel._as_text(cells, FileConfig()).to_pylist() == [
        "18245551001", "1234.5", "0.1", "-0.25", "3", "12345678901.5", "true", "false", "2026-06-03",
        "2026-06-03T09:15:00", "2026-06-04T00:00:00", "", "text", "43:45:00", "09:30:00", "", "7",
    ]  # fmt: skip


def test_a_date_cell_a_number_cell_and_an_empty_cell(tmp_path):
    workbook(tmp_path / "invoices.xlsx", {"Invoices": [
        ["Invoice", "Customer", "Issued", "Due", "Paid on", "Total", "Units"],
        [1001, "C1", dt.date(2026, 10, 5), dt.date(2026, 11, 4), None, 1234.5, 3],
        [1002, "C2", dt.datetime(2026, 10, 6, 14, 30), dt.date(2026, 11, 5), dt.date(2026, 10, 20), 99, -1],
    ]}, {"C2": "yyyy-mm-dd", "D2": "yyyy-mm-dd", "D3": "yyyy-mm-dd", "E3": "dd/mm/yyyy"})  # fmt: skip
    columns = {"invoice_id": "Invoice", "customer_id": "Customer", "issued_at": "Issued", "due_at": "Due", "paid_at": "Paid on", "amount": "Total", "quantity": "Units"}
    frame, rep = read_table(cfg(tmp_path, {"invoices": {"path": "invoices.xlsx", "columns": columns}}), "invoices", optional=["due_at", "paid_at", "quantity"])
    assert rep.rejected == {} and rep.used == 2
    assert frame["invoice_id"].tolist() == ["1001", "1002"]
    assert frame["issued_at"].dt.strftime("%Y-%m-%d").tolist() == ["2026-10-05", "2026-10-06"]
    assert pd.isna(frame["paid_at"].iloc[0]) and frame["paid_at"].iloc[1] == pd.Timestamp("2026-10-20")  # empty cell: unpaid
    assert frame["amount"].tolist() == [12_345_000, 99 * MONEY_SCALE] and frame["quantity"].tolist() == [3, -1]


def test_real_date_and_number_cells_read_whatever_the_text_formats_say(tmp_path):
    # A Thai sheet: dates typed as text day first (date_format), numbers with a decimal comma; some
    # cells are real dates and numbers, which read the same.
    workbook(tmp_path / "invoices.xlsx", {"Sheet1": [
        ["invoice_id", "customer_id", "issued_at", "amount"],
        ["I1", "C1", "31/05/2024", "1.234,50"],
        ["I2", "C1", dt.date(2024, 5, 31), 1234.5],
        ["I3", "C1", dt.datetime(2024, 5, 31, 22, 0), 20],
    ]})  # fmt: skip
    sources = {"invoices": {"path": "invoices.xlsx", "date_format": "%d/%m/%Y", "decimal_comma": True}}
    frame, rep = read_table(cfg(tmp_path, sources), "invoices")
    assert rep.rejected == {}
    assert frame["issued_at"].dt.strftime("%Y-%m-%d").tolist() == ["2024-05-31"] * 3
    assert frame["amount"].tolist() == [12_345_000, 12_345_000, 20 * MONEY_SCALE]


def test_flags_and_datetimes_of_a_ticket_sheet(tmp_path):
    workbook(tmp_path / "tickets.xlsx", {"Tickets": [
        ["ticket_id", "customer_id", "created_at", "resolved_at", "reopened", "contacts"],
        [1, "C1", dt.datetime(2026, 10, 31, 23, 40), dt.datetime(2026, 11, 1, 0, 20), False, 1],
        [2, "C1", dt.datetime(2026, 10, 1), None, True, 0],  # a midnight cell is a whole day
    ]})  # fmt: skip
    frame, rep = read_table(cfg(tmp_path, {"tickets": {"path": "tickets.xlsx"}}, timezone="Asia/Bangkok"), "tickets", optional=["resolved_at", "reopened", "contacts"])
    assert rep.rejected == {}
    # naive times in Asia/Bangkok, held as UTC instants
    assert frame["created_at"].tolist() == [pd.Timestamp("2026-10-31 16:40"), pd.Timestamp("2026-09-30 17:00")]
    assert frame["resolved_at"].iloc[0] == pd.Timestamp("2026-10-31 17:20") and pd.isna(frame["resolved_at"].iloc[1])
    assert frame["reopened"].tolist() == [False, True] and frame["contacts"].tolist() == [1, 0]


def test_a_cell_holding_an_excel_error_reads_as_its_text(tmp_path):
    # A VLOOKUP that found nothing: a CSV export writes #N/A, so the date is a rejected value, not a
    # missing one; the table starts at B3 (errors are placed by their cell, wherever the table is).
    book = Workbook()
    rows = [["customer_id", "created_at", "churned_at"], ["C1", "2026-01-05", "#N/A"], ["C2", "#DIV/0!", None], ["#N/A", "2026-02-01", None]]
    for r, row in enumerate(rows, start=3):
        for c, value in enumerate(row, start=2):
            book.active.cell(r, c, value)  # openpyxl stores the error strings as error cells (t="e")
    book.save(tmp_path / "customers.xlsx")
    excel.clear_cache()
    frame, rep = read_table(cfg(tmp_path, {"customers": {"path": "customers.xlsx"}}), "customers", optional=["created_at", "churned_at"])
    assert frame["customer_id"].tolist() == ["#N/A"]  # an id is text, as in the CSV
    assert rep.rejected_lines == {"bad churned_at (expected a date like 2024-05-31)": [4], "bad created_at (expected a date like 2024-05-31)": [5]}


def test_error_cells_are_found_across_the_chunks_of_the_sheet(tmp_path, monkeypatch):
    rows = [["id", "value"]] + [[f"R{i}", "#N/A" if i % 3 == 0 else i] for i in range(60)]
    workbook(tmp_path / "errors.xlsx", {"Sheet1": rows})
    expected = {(i + 1, 1): "#N/A" for i in range(60) if i % 3 == 0}
    for chunk in (37, 64, 101, 1 << 22):  # cells cut anywhere by the chunk's end
        monkeypatch.setattr(excel, "_CHUNK", chunk)
        assert excel._error_cells(tmp_path / "errors.xlsx", "Sheet1") == expected, chunk


# --------------------------------------------------------------------------- which sheet, which row


def two_sheets(tmp_path: Path) -> Path:
    return workbook(tmp_path / "export.xlsx", {
        "Read me": [["This export was generated on 2026-11-30"]],
        "Customers": [["customer_id", "name"], ["C1", "Siam Logistics"], ["C2", "Acme"]],
    })  # fmt: skip


@pytest.mark.parametrize("sheet", ["Customers", " customers ", 1, "1"])
def test_the_sheet_by_name_or_by_index(tmp_path, sheet):
    two_sheets(tmp_path)
    frame, _ = read_table(cfg(tmp_path, {"customers": {"path": "export.xlsx", "sheet": sheet}}), "customers", optional=["name"])
    assert frame["customer_id"].tolist() == ["C1", "C2"] and frame["name"].tolist() == ["Siam Logistics", "Acme"]


def test_the_first_sheet_by_default(tmp_path):
    two_sheets(tmp_path)
    with pytest.raises(DataError, match=r"export.xlsx has no column for 'customer_id' \(found: This export was generated on 2026-11-30\)"):
        read_table(cfg(tmp_path, {"customers": {"path": "export.xlsx"}}), "customers")


def test_rejected_rows_name_their_sheet_row(tmp_path):
    # the table starts on row 3 below two empty rows, and row 6 is empty: skipped, as a blank line is
    book = Workbook()
    rows = {3: ["subscription_id", "customer_id", "started_at", "mrr"], 4: ["S1", "C1", "2026-01-01", 10],
            5: ["S2", "C2", "soon", 10], 7: ["S3", None, "2026-01-01", 10], 8: ["S4", "C4", "2026-01-01", "ten"]}  # fmt: skip
    for r, row in rows.items():
        for c, value in enumerate(row, start=1):
            book.active.cell(r, c, value)
    book.save(tmp_path / "subs.xlsx")
    excel.clear_cache()
    frame, rep = read_table(cfg(tmp_path, {"subscriptions": {"path": "subs.xlsx"}}), "subscriptions")
    assert frame["subscription_id"].tolist() == ["S1"] and rep.read == 4
    assert rep.rejected_lines == {
        "bad started_at (expected a date like 2024-05-31)": [5],
        "empty customer_id": [7],
        "bad mrr (expected an amount like 1234.50)": [8],
    }


def test_skip_rows_in_a_sheet(tmp_path):
    workbook(tmp_path / "ces.xlsx", {"Sheet": [
        ["Respondent ID", "End Date", "It was easy to handle my issue."],
        [None, None, "Response"],
        [1001, dt.datetime(2026, 10, 3, 14, 5), "Agree"],
        [1002, "someday", "Disagree"],
    ]})  # fmt: skip
    sources = {"surveys": {"path": "ces.xlsx", "skip_rows": 1, "fixed": {"survey": "ces"}, "values": {"score": {"Agree": 6, "Disagree": 2}},
                           "columns": {"response_id": "Respondent ID", "responded_at": "End Date", "score": "It was easy to handle my issue."}}}  # fmt: skip
    frame, rep = read_table(cfg(tmp_path, sources), "surveys", optional=["response_id"])
    assert frame["response_id"].tolist() == ["1001"] and frame["score"].tolist() == [6]
    assert rep.filtered == {"rows after the header skipped (skip_rows)": 1}
    assert rep.rejected_lines == {"bad responded_at (expected a date like 2024-05-31)": [4]}


# --------------------------------------------------------------------------- errors: one line, the file and the fix


def run_error(tmp_path: Path, source: dict) -> str:
    config = tmp_path / "cs-metrics.yaml"
    config.write_text(json.dumps({"data": str(tmp_path), "sources": {"customers": source}}), encoding="utf-8")
    r = cli("referrals", "--config", config, "--period", "2026-10")
    assert r.exit_code == 3, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    return lines[0]


def test_a_missing_sheet(tmp_path):
    two_sheets(tmp_path)
    line = run_error(tmp_path, {"path": "export.xlsx", "sheet": "Companies"})
    assert "export.xlsx: has no sheet 'Companies' (sheets: 'Read me', 'Customers')" in line
    assert "sources.<table>.sheet" in line
    line = run_error(tmp_path, {"path": "export.xlsx", "sheet": 2})
    assert "export.xlsx: has no sheet 2 (it has 2 sheets: 'Read me', 'Customers'; 0 is the first)" in line


def test_a_corrupt_workbook(tmp_path):
    two_sheets(tmp_path)
    data = (tmp_path / "export.xlsx").read_bytes()
    (tmp_path / "cut.xlsx").write_bytes(data[: len(data) // 2])  # a download cut short
    line = run_error(tmp_path, {"path": "cut.xlsx"})
    assert "cut.xlsx: cannot be read as an Excel workbook (.xlsx)" in line and "save it again as .xlsx" in line
    (tmp_path / "report.xlsx").write_text("<html><table><tr><td>customer_id</td></tr></table></html>", encoding="utf-8")
    assert "report.xlsx: cannot be read as an Excel workbook (.xlsx)" in run_error(tmp_path, {"path": "report.xlsx"})


def test_a_password_protected_workbook(tmp_path):
    (tmp_path / "locked.xlsx").write_bytes((DATA / "xlsx" / "password-protected.xlsx").read_bytes())
    line = run_error(tmp_path, {"path": "locked.xlsx"})
    assert "locked.xlsx: the workbook is password-protected (encrypted)" in line and "remove the password" in line


def test_an_old_xls_workbook_named_xlsx(tmp_path):
    # an OLE compound file without EncryptionInfo: an Excel 97-2003 workbook
    (tmp_path / "old.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    assert "old.xlsx: is an Excel 97-2003 workbook (.xls)" in run_error(tmp_path, {"path": "old.xlsx"})


def test_an_empty_sheet(tmp_path):
    workbook(tmp_path / "empty.xlsx", {"Sheet1": []})
    assert "empty.xlsx: the sheet 'Sheet1' is empty (no header row)" in run_error(tmp_path, {"path": "empty.xlsx"})


# --------------------------------------------------------------------------- the reader stays out of other commands


def test_commands_that_read_no_workbook_do_not_import_the_reader(tmp_path):
    (tmp_path / "surveys.csv").write_text("responded_at,survey,score\n2026-10-02,nps,9\n", encoding="utf-8")
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from cs_metrics.cli import app\n"
        f"r = CliRunner().invoke(app, ['nps', '--data', {str(tmp_path)!r}, '--period', '2026-10', '--format', 'json'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('python_calamine', 'openpyxl') or m == 'cs_metrics.sources.excel'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- text dates in one Arrow cast

ISOISH = st.builds(
    lambda y, m, d, rest: f"{y:04d}-{m:02d}-{d:02d}{rest}",
    st.integers(0, 9999),
    st.integers(0, 13),
    st.integers(0, 32),
    st.sampled_from(["", " 14", "T14:03", " 14:03:00", "T23:59:59.123456", " 24:00:00", "T14:60", " 14:03:00Z", "T01:02:03+07:00", " 7:03", "T14:03:00,5"]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(ISOISH, st.sampled_from(["", "NULL", "2024-5-31"])), min_size=1, max_size=3))
def test_a_column_arrow_reads_in_one_cast_reads_the_same_by_the_pattern(texts):
    # Text columns (sheets, Parquet) whose every value Arrow reads are parsed in one Arrow cast; the
    # pattern must give the same instants (years out of 1..9999 are no value either way).
    column = pd.Series([t or np.nan for t in texts], dtype=object)
    fast = values._arrow_iso_micros(column)
    if fast is None:
        return
    pattern = values._pattern_iso_micros(column)

    def instants(us, ok, has_offset):
        assert not has_offset.any()
        return values._in_range(np.where(ok & ~np.isnan(us), np.nan_to_num(us), values.NAT).astype("int64")).tolist()

    assert instants(*fast) == instants(*pattern), texts


def test_a_sheets_dates_are_read_in_one_cast_and_the_rest_by_the_pattern():
    clean = pd.Series(["2026-06-03T09:15:00", np.nan, "2026-06-03"], dtype=object)
    assert values._arrow_iso_micros(clean) is not None
    mixed = pd.Series(["2026-06-03T09:15:00", "2026-06-03T09:15:00+07:00"], dtype=object)
    assert values._arrow_iso_micros(mixed) is None  # an offset: the pattern reads the column
    assert values.parse_datetimes(mixed, None, "UTC").tolist() == [pd.Timestamp("2026-06-03 09:15"), pd.Timestamp("2026-06-03 02:15")]
