"""The root-cause report as what people read: headline figures, each dimension's ranked
causes with their trend, and the segments; shared by the terminal, Prefect artifacts and HTML."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from onetouch.render import dollars, render
from onetouch.rootcause.models import DIMENSIONS, GroupLine, RootCauseReport
from onetouch.scorecard.view import percent, when

TOP = 10
COLUMNS = ("rank", "name", "drivers", "dollars", "contacts", "remediations", "trend",
           "by segment")
TITLES = {"cause": "by cause (incident, or detector and cause)", "detector": "by detector",
          "store": "by store", "zone": "by zone", "intent": "by intent"}


def signed(value: int, money: bool = False) -> str:
    sign = "+" if value > 0 else "-" if value < 0 else "±"
    return f"{sign}{dollars(abs(value)) if money else abs(value)}"


def trend(line: GroupLine) -> str:
    """How the cause moved against the previous period."""
    if line.new:
        return "new"
    return (f"drivers {signed(line.now.drivers - line.before.drivers)}, "
            f"{signed(line.now.cents - line.before.cents, money=True)}")


def segments(line: GroupLine) -> str:
    return "; ".join(f"{s.segment} {s.drivers} ({dollars(s.cents)})" for s in line.by_segment)


def rows(report: RootCauseReport, dimension: str, top: int = TOP) -> list[tuple[str, ...]]:
    """A dimension's ranked causes, the first `top` of them."""
    return [(str(n), line.name, str(line.now.drivers), dollars(line.now.cents),
             str(line.now.contacts), str(line.now.remediations), trend(line), segments(line))
            for n, line in enumerate(report.groups.get(dimension, ())[:top], 1)]


def headline(report: RootCauseReport) -> list[tuple[str, str]]:
    """The report's figures: (figure, value)."""
    lines = [("period", f"{when(report.period.start)} to {when(report.period.end)}"),
             ("contacts", f"{report.contacts} ({signed(report.contacts - report.contacts_before)}"
                          f" against the period before)"),
             ("contacts with no defect found", str(report.no_defect)),
             (f"repeat contacts (same driver and intent within {report.repeat_days} days)",
              percent(report.repeat)),
             ("contacts detection could have prevented", percent(report.preventable))]
    for s in report.by_segment:
        lines.append((f"segment {s.segment}",
                      f"contacts {s.contacts}; repeat {percent(s.repeat)}; preventable "
                      f"{percent(s.preventable)}; {s.drivers} drivers hurt or asking; "
                      f"{dollars(s.cents)}"))
    return lines


def context(report: RootCauseReport, title: str = "Root causes") -> dict[str, Any]:
    return {"title": title, "headline": headline(report), "columns": COLUMNS,
            "dimensions": [(TITLES[d], rows(report, d)) for d in DIMENSIONS],
            "incidents": sorted(report.incidents.items())}


def markdown(report: RootCauseReport, title: str = "Root causes") -> str:
    """The report as a markdown artifact."""
    return render("reports/root_causes.md.j2", context(report, title))


def table_rows(report: RootCauseReport) -> list[dict[str, str]]:
    """Every dimension's ranked causes as a Prefect table artifact's rows."""
    return [{"dimension": d, **dict(zip(COLUMNS, row, strict=True))}
            for d in DIMENSIONS for row in rows(report, d)]


def rich_tables(report: RootCauseReport) -> list[Table]:
    """The headline figures, then one table a dimension, for the terminal."""
    head = Table(title="Root causes", title_justify="left")
    head.add_column("figure")
    head.add_column("value", overflow="fold")
    for name, value in headline(report):
        head.add_row(name, value)
    tables = [head]
    for dimension in DIMENSIONS:
        table = Table(title=TITLES[dimension], title_justify="left")
        for column in COLUMNS:
            table.add_column(column, overflow="fold")
        for row in rows(report, dimension):
            table.add_row(*row)
        tables.append(table)
    return tables
