"""The HTML scorecard renders in headless Chromium: its charts drawn, nothing fetched."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from onetouch.scorecard.compute import scorecard
from onetouch.scorecard.models import Period, PlatformFacts
from onetouch.scorecard.render import write_html
from tests.browser.conftest import ARTIFACTS, CHROMIUM
from tests.scorecard.rows import DAY, at, small_day

ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
CHART_SIZES = """() => [...document.querySelectorAll('figure svg')].map(svg => ({
    width: svg.getBoundingClientRect().width, height: svg.getBoundingClientRect().height,
    bars: [...svg.querySelectorAll('rect')].filter(r => r.getBoundingClientRect().height > 1
                                                      && r.getBoundingClientRect().width > 0)
          .length}))"""


@pytest.fixture
def page_file(tmp_path) -> Path:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: the HTML report is rendered by a browser here")
    card = scorecard(small_day(), PlatformFacts(deliveries=400), Period(
        start=DAY, end=DAY + timedelta(days=1)), at(20))
    return write_html(card, tmp_path / "scorecard.html")


def test_the_report_renders_its_charts_offline(page_file):
    requests, errors = [], []
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 900, "height": 1000})
        page.on("request", lambda request: requests.append(request.url))
        page.on("console", lambda message: errors.append(message.text)
                if message.type == "error" else None)
        page.goto(page_file.as_uri())
        charts = page.evaluate(CHART_SIZES)
        captions = page.locator("figcaption").all_inner_texts()
        tiles = page.locator(".tile .big").all_inner_texts()
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        browser.close()
    assert requests == [page_file.as_uri()] and errors == []
    assert captions == ["Contacts by hour (UTC)", "Remediations by hour (UTC)",
                        "Contacts by intent", "Remediated by detector"]
    assert [c["bars"] for c in charts] == [6, 4, 3, 5]  # busy hours twice; intents; detectors
    assert all(c["width"] > 600 and c["height"] > 80 for c in charts)
    assert tiles[:5] == ["6", "33%", "50%", "57%", "$101.00"]
