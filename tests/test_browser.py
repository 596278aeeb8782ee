"""The HTML report of the bundled sample data as a person sees it: Debian's headless Chromium, driven
over the DevTools protocol by Playwright, opens the file; every chart drew each of its series, no
request left the file, the console stayed clean, and Thai and Chinese names were drawn with fonts
that have their glyphs. A screenshot is written to the test's temporary folder.

Chromium is a system package (.ci/run installs `chromium`, `fonts-noto-cjk` and `fonts-thai-tlwg`);
without it this test fails and says so. CS_METRICS_CHROMIUM names another binary."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cs_metrics.cli import app

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CS_METRICS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
]
# What the sample data's report must draw: chart -> its series (lines, bars, cells), and its bands.
SERIES = {
    "mrr-bridge": {"opening", "new", "reactivation", "expansion", "contraction", "churn", "closing"},
    "mrr-trend": {"mrr", "new", "reactivation", "expansion", "contraction", "churn", "net"},
    "retention": {"churn", "nrr", "grr"},
    "voice": {"nps", "csat", "ces"},
    "support": {"tickets", "resolved", "complaints", "fcr"},
    "usage": {"dau-mau"},
    "cohorts-logo": {"cohorts"},
    "cohorts-revenue": {"cohorts"},
    "health-classes": {"good", "at_risk", "poor"},
}
BANDS = {"retention": {"churn"}, "voice": {"nps", "csat", "ces"}, "support": {"fcr"}}

# Per chart, the series and bands that drew something (an element with an area), and the SVG's size.
DRAWN = """() => [...document.querySelectorAll('figure.chart')].map(f => {
  const svg = f.querySelector('svg');
  const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
  const drawn = {series: [], bands: []};
  for (const el of svg ? svg.querySelectorAll('[id]') : []) {
    const m = el.id.match(/^[\\w-]+\\.(series|band)-([\\w-]+?)(?:\\.\\d+)?$/);
    if (!m) continue;
    const b = el.getBBox();
    const list = m[1] === 'series' ? drawn.series : drawn.bands;
    if (b.width * b.height > 0 || (b.width + b.height > 0 && el.querySelector('path'))) list.push(m[2]);
  }
  return {key: f.dataset.chart, width: box.width, height: box.height, series: [...new Set(drawn.series)], bands: [...new Set(drawn.bands)]};
})"""


def families(lang: str) -> set[str]:
    """Font families fontconfig says cover a language (the fonts the browser can fall back on)."""
    out = subprocess.run(["fc-list", f":lang={lang}", "family"], capture_output=True, text=True, check=True).stdout
    return {name.strip() for line in out.splitlines() for name in line.split(",") if name.strip()}


@pytest.fixture(scope="module")
def report_html(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "report.html"
    r = CliRunner().invoke(app, ["report", "--config", str(ROOT / "sample_data" / "cs-metrics.yaml"), "--period", "2026-10", "--output", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    return out


def test_report_renders_in_chromium_with_every_chart_offline_and_no_errors(report_html):
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found ({CHROMIUM}): the HTML report is checked in a real browser. "
            "Install it: apt-get install chromium fonts-noto-cjk fonts-thai-tlwg (as .ci/run does), "
            "or set CS_METRICS_CHROMIUM to a Chromium binary."
        )
    from playwright.sync_api import sync_playwright

    url = report_html.resolve().as_uri()
    problems: list[str] = []
    left: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")

            def route(r):  # the file itself may load; anything else is recorded and refused
                if r.request.url == url:
                    r.continue_()
                else:
                    left.append(r.request.url)
                    r.abort()

            context.route("**/*", route)
            page = context.new_page()
            page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
            page.goto(url, wait_until="load")
            charts = page.evaluate(DRAWN)
            fonts = _fonts_used(page)
            page.screenshot(path=str(report_html.with_suffix(".png")), full_page=True)
        finally:
            browser.close()

    assert left == [] and problems == []
    drawn = {c["key"]: c for c in charts}
    assert set(drawn) == set(SERIES)
    for key, expected in SERIES.items():
        c = drawn[key]
        assert c["width"] > 300 and c["height"] > 100, key
        assert set(c["series"]) == expected, key
        assert set(c["bands"]) == BANDS.get(key, set()), key
    thai, chinese = fonts
    assert thai & families("th"), f"Thai drawn with {thai}: no font with Thai glyphs (install fonts-thai-tlwg)"
    assert chinese & families("zh-cn"), f"Chinese drawn with {chinese}: no font with Chinese glyphs (install fonts-noto-cjk)"
    assert report_html.with_suffix(".png").stat().st_size > 50_000


def _fonts_used(page) -> tuple[set[str], set[str]]:
    """The fonts Chromium drew the first Thai and the first Chinese customer name of the health table with."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    used = []
    for pattern in ("[\\u0E00-\\u0E7F]", "[\\u4E00-\\u9FFF]"):
        row = page.evaluate(
            f"() => [...document.querySelectorAll('#health-worst tbody tr')].findIndex(tr => /{pattern}/.test(tr.cells[0].firstChild.textContent)) + 1"
        )
        assert row > 0, f"the sample's ten least healthy customers have no name matching {pattern}"
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": f"#health-worst tbody tr:nth-child({row}) td:first-child"})
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
        used.append({f["familyName"] for f in fonts})
    return used[0], used[1]
