#!/usr/bin/env python3
"""Write docs/report.png, the README's picture of the HTML report: the report of the bundled sample
data for 2026-10 in headless Chromium, the top of the page (tiles and the MRR charts), 256 colours.

Needs the test extra (playwright) and Debian's chromium:  python scripts/screenshot_report.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(out: Path = ROOT / "docs" / "report.png", chromium: str = "/usr/bin/chromium") -> None:
    from PIL import Image
    from playwright.sync_api import sync_playwright
    from typer.testing import CliRunner

    from cs_metrics.cli import app

    with tempfile.TemporaryDirectory() as tmp:
        page_file = Path(tmp) / "report.html"
        shot = Path(tmp) / "report.png"
        args = ["report", "--config", str(ROOT / "sample_data" / "cs-metrics.yaml"), "--period", "2026-10", "--output", str(page_file), "-q"]
        r = CliRunner().invoke(app, args)
        if r.exit_code:
            sys.exit(r.output)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
            page = browser.new_page(viewport={"width": 1280, "height": 960})
            page.goto(page_file.as_uri())
            page.screenshot(path=str(shot))
            browser.close()
        Image.open(shot).convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
    print(f"wrote {out} ({out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
