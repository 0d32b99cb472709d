"""Driving the Prefect UI's approval form in headless Chromium (Debian's package)."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

from playwright.sync_api import sync_playwright

from tests.browser.conftest import CHROMIUM

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def approve_in_ui(ui: str, run_id: UUID, agent: str, heading: str, screenshot: Path) -> None:
    """Open the waiting run's page, Resume, sign the form as `agent` and submit it."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{ui}/runs/flow-run/{run_id}")
        page.get_by_role("button", name="Resume").first.click()
        dialog = page.get_by_role("dialog")
        dialog.get_by_text(heading).wait_for()
        dialog.locator("textarea").first.fill(agent)
        screenshot.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(screenshot))
        dialog.get_by_role("button", name="Submit").click()
        page.get_by_text("Completed").first.wait_for(timeout=60_000)
        browser.close()
