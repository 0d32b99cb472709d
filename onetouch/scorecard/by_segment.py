"""The scorecard's figures by driver segment, and retention outreach's own (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from onetouch.scorecard.compute import contact_rates
from onetouch.scorecard.models import (
    CaseRow,
    Outreach,
    OutreachRow,
    Period,
    Remediation,
    SegmentLine,
)
from onetouch.scorecard.segments import ORDER, split


def outreach_in(rows: Iterable[OutreachRow], period: Period) -> list[OutreachRow]:
    return [r for r in rows if period.covers(r.checked_at)]


def outreach(rows: list[OutreachRow]) -> Outreach:
    """Distinct drivers checked, and check-ins sent."""
    return Outreach(drivers_checked=len({r.driver_id for r in rows}),
                    sent=sum(1 for r in rows if r.sent))


def segment_lines(contacts: list[CaseRow], every_case: tuple[CaseRow, ...],
                  fixed: list[Remediation], checked: list[OutreachRow],
                  segments: Mapping[str, str]) -> tuple[SegmentLine, ...]:
    """Contacts and their rates, remediations and dollars by the driver's segment; outreach by
    the segment recorded when it was judged."""
    asked = split(contacts, lambda c: c.driver_id, segments)
    paid = split(fixed, lambda r: r.driver_id, segments)
    judged: dict[str, list[OutreachRow]] = {}
    for row in checked:
        judged.setdefault(row.segment, []).append(row)
    lines = []
    for name in ORDER:
        mine, money, seen = asked.get(name, []), paid.get(name, []), judged.get(name, [])
        if not (mine or money or seen):
            continue
        one_touch, automation, escalated = contact_rates(mine, every_case)
        done = outreach(seen)
        lines.append(SegmentLine(
            segment=name, contacts=len(mine), one_touch=one_touch, automation=automation,
            escalated=escalated, remediations=len(money),
            remediated_cents=sum(r.amount_cents for r in money),
            outreach_checked=done.drivers_checked, outreach_sent=done.sent))
    return tuple(lines)
