"""Outputs for people beyond the terminal: the HTML report (html.py) with its charts (charts.py,
the one module that imports matplotlib, only when a command writes HTML), and the Charts sheet of
the report workbook (xlsx_charts.py, openpyxl's native charts)."""
