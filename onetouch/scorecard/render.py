"""A scorecard rendered: a rich table for the terminal, markdown and table rows for Prefect
artifacts, a self-contained HTML page with charts; the daily two-day comparison likewise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table

from onetouch.render import render
from onetouch.rootcause.models import RootCauseReport
from onetouch.rootcause.view import context as cause_context
from onetouch.scorecard.charts import charts
from onetouch.scorecard.compare import compare
from onetouch.scorecard.models import Scorecard
from onetouch.scorecard.view import comparison, lines, period_label, tiles

COLUMNS = ("figure", "yesterday", "day before", "change")


def rich_table(card: Scorecard, title: str = "Scorecard") -> Table:
    """The scorecard for the terminal, one band a section."""
    table = Table(title=f"{title}: {period_label(card)}", title_justify="left")
    for column in ("section", "figure", "value"):
        table.add_column(column, overflow="fold")
    shown = lines(card)
    for n, line in enumerate(shown):
        last = n + 1 == len(shown) or shown[n + 1].section != line.section
        first = n == 0 or shown[n - 1].section != line.section
        table.add_row(f"[bold]{line.section}[/]" if first else "", line.figure, line.value,
                      end_section=last)
    return table


def _context(card: Scorecard, title: str) -> dict[str, Any]:
    return {"title": title, "period": period_label(card), "lines": lines(card),
            "dry_run": card.dry_run, "card": card}


def markdown(card: Scorecard, title: str = "Scorecard") -> str:
    """The scorecard as a markdown artifact."""
    return render("reports/scorecard.md.j2", _context(card, title))


def table_rows(card: Scorecard) -> list[dict[str, str]]:
    """The scorecard as a Prefect table artifact's rows."""
    return [line.model_dump() for line in lines(card)]


def html(card: Scorecard, title: str = "onetouch scorecard",
         causes: RootCauseReport | None = None) -> str:
    """A self-contained HTML page: the figures and inline SVG charts (and the root causes)."""
    return render("reports/scorecard.html.j2", {
        **_context(card, title), "charts": charts(card), "tiles": tiles(card),
        "causes": cause_context(causes) if causes is not None else None})


def write_html(card: Scorecard, path: Path, title: str = "onetouch scorecard",
               causes: RootCauseReport | None = None) -> Path:
    """The HTML report written to a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html(card, title, causes), encoding="utf-8")
    return path


def daily_markdown(current: Scorecard, previous: Scorecard) -> str:
    """Two days side by side, then the last day's whole scorecard."""
    return render("reports/daily.md.j2", {
        "current": period_label(current), "previous": period_label(previous),
        "rows": comparison(compare(current, previous)), "columns": COLUMNS,
        "dry_run": current.dry_run or previous.dry_run, "lines": lines(current)})


def daily_rows(current: Scorecard, previous: Scorecard) -> list[dict[str, str]]:
    """Two days side by side as a Prefect table artifact's rows."""
    return [dict(zip(COLUMNS, row, strict=True))
            for row in comparison(compare(current, previous))]
