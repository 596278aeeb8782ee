"""Build the HubSpot companies export as .xlsx from its CSV twin in this folder.

HubSpot exports Excel by default; the CSV beside it holds the same rows. Layout written here:
one sheet, header in row 1, one company per row from row 2. `Record ID` is a number cell (as a
spreadsheet shows it), `Create Date` a date-time cell, every other value text. Run from anywhere:

    python tests/data/exports/hubspot/make_xlsx.py
"""

import csv
import datetime as dt
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
STEM = "hubspot-crm-exports-all-companies-2026-11-30"
SHEET = "All companies"
FIXED_TIME = dt.datetime(2026, 11, 30, 8, 0, 0)


def main() -> None:
    with open(HERE / f"{STEM}.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    record_id = header.index("Record ID")
    created = header.index("Create Date")

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    sheet.append(header)
    for row in body:
        cells: list[object] = list(row)
        cells[record_id] = int(row[record_id])
        cells[created] = dt.datetime.strptime(row[created], "%Y-%m-%d %H:%M")
        sheet.append([None if value == "" else value for value in cells])
    for (cell,) in sheet.iter_rows(min_row=2, min_col=created + 1, max_col=created + 1):
        cell.number_format = "yyyy-mm-dd hh:mm"
    workbook.properties.created = FIXED_TIME
    workbook.properties.modified = FIXED_TIME
    workbook.save(HERE / f"{STEM}.xlsx")


if __name__ == "__main__":
    main()
