"""The root-cause report of a period (pure): contacts and remediations grouped by cause,
ranked by drivers affected and dollars, against the period before; repeat contacts and the
contacts detection could have prevented; every figure by driver segment."""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from onetouch.rootcause.attribute import Attributor, held_findings
from onetouch.rootcause.models import (
    DIMENSIONS,
    CauseRows,
    Event,
    FindingLine,
    GroupLine,
    PlatformView,
    RootCauseReport,
    SegmentFigures,
    SegmentTotals,
    Totals,
)
from onetouch.scorecard.compute import contacts_in
from onetouch.scorecard.models import CaseRow, Period, Ratio
from onetouch.scorecard.remediations import once_per_key
from onetouch.scorecard.segments import ORDER, split


def bounds(period: Period) -> tuple[datetime, datetime]:
    """A closed period's start and end (a root-cause report needs both)."""
    if period.start is None or period.end is None:
        raise ValueError("period: a root-cause report needs a start and an end")
    return period.start, period.end


def previous_period(period: Period) -> Period:
    """The period of the same length just before a closed one."""
    start, end = bounds(period)
    return Period(start=start - (end - start), end=start)


def events_of(rows: CauseRows, view: PlatformView, period: Period) -> list[Event]:
    """The period's contacts, remediations (each key once) and held findings, named."""
    names = Attributor(rows, view)
    return ([names.contact(c) for c in contacts_in(rows.cases, period)]
            + [names.remediation(r) for r in once_per_key(rows.remediations, period)]
            + [names.held(f) for f in held_findings(rows.findings)
               if period.covers(f.detected_at)])


def totals(events: Iterable[Event]) -> Totals:
    """Contacts, remediations, distinct drivers and dollars (paid, or owed when held)."""
    events = list(events)
    return Totals(contacts=sum(1 for e in events if e.kind == "contact"),
                  remediations=sum(1 for e in events if e.kind == "remediation"),
                  drivers=len({e.driver_id for e in events}),
                  cents=sum(e.cents for e in events))


def grouped(events: Iterable[Event], dimension: str) -> dict[str, list[Event]]:
    """Events by their name in a dimension; events without one are left out."""
    found: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        name = event.names.get(dimension)
        if name is not None:
            found[name].append(event)
    return found


def rank(lines: Iterable[GroupLine]) -> tuple[GroupLine, ...]:
    """Most drivers affected first, then most dollars, then most contacts, then by name."""
    return tuple(sorted(lines, key=lambda g: (-g.now.drivers, -g.now.cents, -g.now.contacts,
                                              g.name)))


def group_lines(current: list[Event], previous: list[Event], dimension: str,
                segments: Mapping[str, str]) -> tuple[GroupLine, ...]:
    """One ranked line per name of the dimension seen this period, with the period before's."""
    now, before = grouped(current, dimension), grouped(previous, dimension)
    return rank(GroupLine(
        dimension=dimension, name=name, now=totals(events), before=totals(before.get(name, [])),
        by_segment=tuple(SegmentTotals(segment=s, **totals(part).model_dump()) for s, part in
                         split(events, lambda e: e.driver_id, segments).items()))
        for name, events in now.items())


def repeats(cases: Iterable[CaseRow], days: int) -> set[str]:
    """Contacts that came within `days` after another from the same driver with the same
    intent (the rejected never count)."""
    window = timedelta(days=days)
    times: dict[tuple[str, str | None], list[datetime]] = defaultdict(list)
    kept = [c for c in cases if c.outcome != "rejected"]
    for case in kept:
        times[(case.driver_id, case.intent)].append(case.received_at)
    for values in times.values():
        values.sort()
    found = set()
    for case in kept:
        earlier = times[(case.driver_id, case.intent)]
        index = bisect_left(earlier, case.received_at)
        if index > 0 and earlier[index - 1] >= case.received_at - window:
            found.add(case.contact_id)
    return found


def preventable(cases: Iterable[CaseRow], findings: Mapping[str, FindingLine],
                onsets: Mapping[str, datetime], interval_minutes: int) -> set[str]:
    """Contacts detection could have spared: answered from an incident, or about a defect
    detection had already found, or one owed (past the pay grace) for at least one detection
    interval before the contact came in."""
    lag = timedelta(minutes=interval_minutes)
    found = set()
    for case in cases:
        keys = [a.key(case.driver_id) for a in (*case.actions, *case.recommended)]
        seen = any(k in findings and findings[k].detected_at <= case.received_at for k in keys)
        owed = any(k in onsets and onsets[k] + lag <= case.received_at for k in keys)
        if case.incident_id or seen or owed:
            found.add(case.contact_id)
    return found


def ratio(ids: set[str], contacts: list[CaseRow]) -> Ratio:
    return Ratio(part=sum(1 for c in contacts if c.contact_id in ids), whole=len(contacts))


def segment_figures(contacts: list[CaseRow], events: list[Event], again: set[str],
                    spared: set[str], segments: Mapping[str, str]) -> tuple[SegmentFigures, ...]:
    """Contacts, repeat and preventable rates, drivers and dollars of each segment."""
    people = split(contacts, lambda c: c.driver_id, segments)
    money = split(events, lambda e: e.driver_id, segments)
    return tuple(SegmentFigures(
        segment=name, contacts=len(people.get(name, [])),
        repeat=ratio(again, people.get(name, [])), preventable=ratio(spared, people.get(name, [])),
        drivers=totals(money.get(name, [])).drivers, cents=totals(money.get(name, [])).cents)
        for name in ORDER if name in people or name in money)


def report(rows: CauseRows, view: PlatformView, period: Period, as_of: datetime,
           repeat_days: int = 7, interval_minutes: int = 5) -> RootCauseReport:
    """Every figure of the root-cause report of a closed period."""
    before = previous_period(period)
    current, previous = events_of(rows, view, period), events_of(rows, view, before)
    contacts = contacts_in(rows.cases, period)
    again = repeats(rows.cases, repeat_days)
    spared = preventable(contacts, {f.key: f for f in rows.findings}, view.onsets,
                         interval_minutes)
    incidents = {f.incident_id: f"{f.detector} {f.cause}" for f in rows.findings
                 if f.incident_id}
    return RootCauseReport(
        period=period, previous=before, as_of=as_of, contacts=len(contacts),
        contacts_before=len(contacts_in(rows.cases, before)),
        no_defect=sum(1 for e in current if e.kind == "contact" and e.names["cause"] is None),
        repeat=ratio(again, contacts), preventable=ratio(spared, contacts),
        repeat_days=repeat_days, incidents=incidents,
        groups={d: group_lines(current, previous, d, view.segments) for d in DIMENSIONS},
        by_segment=segment_figures(contacts, current, again, spared, view.segments))
