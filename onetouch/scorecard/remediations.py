"""Remediation figures (pure): each key counted once, who asked first, how long defects lasted,
and the money by kind and by detector."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from statistics import median

from onetouch.scorecard.models import (
    CaseRow,
    FindingRow,
    MoneyLine,
    Period,
    Ratio,
    Remediation,
    Timing,
)


def once_per_key(rows: Iterable[Remediation], period: Period) -> list[Remediation]:
    """The period's remediations, each idempotency key once (its earliest record)."""
    first: dict[str, Remediation] = {}
    for row in sorted(rows, key=lambda r: r.at):
        if period.covers(row.at) and row.key not in first:
            first[row.key] = row
    return list(first.values())


def incident_ask(driver_id: str, incident_id: str) -> str:
    return f"{driver_id}@{incident_id}"


def asks(cases: Iterable[CaseRow]) -> dict[str, datetime]:
    """When a driver first asked about each key (or each incident they were linked to)."""
    asked: dict[str, datetime] = {}
    for case in cases:
        keys = [a.key(case.driver_id) for a in (*case.actions, *case.recommended)]
        if case.outcome == "linked" and case.incident_id:
            keys.append(incident_ask(case.driver_id, case.incident_id))
        for key in keys:
            if key not in asked or case.recorded_at < asked[key]:
                asked[key] = case.recorded_at
    return asked


def first_asked(row: Remediation, asked: dict[str, datetime]) -> datetime | None:
    """When the driver first asked about this remediation, if they did."""
    times = [asked.get(row.key)]
    if row.incident_id:
        times.append(asked.get(incident_ask(row.driver_id, row.incident_id)))
    known = [t for t in times if t is not None]
    return min(known) if known else None


def proactive_share(rows: list[Remediation], asked: dict[str, datetime]) -> Ratio:
    """Detection's remediations made before the driver asked, over all remediations."""
    ahead = 0
    for row in rows:
        ask = first_asked(row, asked)
        if row.path == "detection" and (ask is None or ask >= row.at):
            ahead += 1
    return Ratio(part=ahead, whole=len(rows))


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (0 < share <= 1) of the values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def timing(minutes: list[float]) -> Timing:
    """Count, median and 90th percentile of durations in minutes."""
    if not minutes:
        return Timing()
    return Timing(count=len(minutes), median_minutes=round(median(minutes), 1),
                  p90_minutes=round(percentile(minutes, 0.9) or 0.0, 1))


def _minutes(later: datetime, earlier: datetime) -> float:
    return max(0.0, (later - earlier).total_seconds() / 60)


def detected_at(row: Remediation, findings: dict[str, FindingRow],
                asked: dict[str, datetime]) -> datetime:
    """The first sign of the defect: detection's finding, a driver's ask, or the fix itself."""
    times = [row.at, first_asked(row, asked)]
    if row.key in findings:
        times.append(findings[row.key].detected_at)
    return min(t for t in times if t is not None)


def durations(rows: list[Remediation], onsets: dict[str, datetime],
              findings: Iterable[FindingRow], asked: dict[str, datetime]
              ) -> tuple[Timing, Timing]:
    """From each defect's onset to its detection, and to the driver being told of the fix."""
    by_key = {f.key: f for f in findings}
    to_detection, to_notified = [], []
    for row in rows:
        onset = onsets.get(row.key)
        if onset is None:
            continue
        to_detection.append(_minutes(detected_at(row, by_key, asked), onset))
        to_notified.append(_minutes(row.at, onset))
    return timing(to_detection), timing(to_notified)


def money_by(rows: Iterable[Remediation], name: Callable[[Remediation], str]
             ) -> tuple[MoneyLine, ...]:
    """Remediations and cents grouped by a name, most money first."""
    count: dict[str, int] = defaultdict(int)
    cents: dict[str, int] = defaultdict(int)
    for row in rows:
        count[name(row)] += 1
        cents[name(row)] += row.amount_cents
    lines = [MoneyLine(name=n, count=count[n], cents=cents[n]) for n in count]
    return tuple(sorted(lines, key=lambda line: (-line.cents, -line.count, line.name)))
