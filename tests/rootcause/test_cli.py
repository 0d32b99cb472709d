"""`onetouch report --root-causes` on a simulated day: the ranked causes in the terminal and
in the HTML report."""

from __future__ import annotations

from typer.testing import CliRunner

from onetouch.casestore import CaseStore
from onetouch.cli import app
from tests.rootcause.simday import record_day, simulated_day


def test_the_report_prints_and_writes_the_root_causes(tmp_path):
    world, truth, raws = simulated_day(tmp_path / "day")
    store = CaseStore(f"sqlite:///{tmp_path / 'cases.db'}")
    record_day(store, truth, raws)
    store.engine.dispose()
    page = tmp_path / "report.html"
    result = CliRunner().invoke(app, [
        "report", "--cases", str(tmp_path / "cases.db"), "--day", "2026-11-21",
        "--state", str(tmp_path / "day" / "world.json"), "--html", str(page), "--no-publish",
        "--root-causes"], terminal_width=200)
    assert result.exit_code == 0, result.output
    first = max(truth["detection"]["incidents"], key=lambda i: i["drivers"])
    assert "Root causes" in result.output and "by cause" in result.output
    assert "inc-" in result.output
    html = page.read_text()
    assert 'id="root-causes"' in html and first["id"] in html
    assert "contacts detection could have prevented" in html and "by segment" in html


def test_without_the_flag_the_html_has_no_root_causes(tmp_path):
    store = CaseStore(f"sqlite:///{tmp_path / 'cases.db'}")
    store.engine.dispose()
    page = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", "--cases", str(tmp_path / "cases.db"),
                                      "--html", str(page), "--no-publish"])
    assert result.exit_code == 0, result.output
    assert 'id="root-causes"' not in page.read_text()
