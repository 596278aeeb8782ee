"""Outputs for people beyond the terminal: the HTML report (html.py) and its charts (charts.py).
Nothing here is imported unless a command writes HTML: charts.py imports matplotlib."""
