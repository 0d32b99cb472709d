"""The scorecard of a period (pure): contacts, escalations and remediations read from the case
store, deliveries and onsets from the platform. Definitions: docs/scorecard.md."""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from datetime import datetime, timedelta

from onetouch.scorecard.models import (
    Accuracy,
    CaseRow,
    CountLine,
    EscalationRow,
    HourLine,
    Period,
    PlatformFacts,
    QueueLine,
    Ratio,
    Remediation,
    Scorecard,
    StoreRows,
)
from onetouch.scorecard.remediations import (
    asks,
    durations,
    money_by,
    once_per_key,
    proactive_share,
)

DAY = timedelta(hours=24)
REPEAT_WINDOW = timedelta(hours=24)
ASK_LOOKBACK = timedelta(days=7)
UNKNOWN_INTENT = "unknown"


def contacts_in(cases: tuple[CaseRow, ...], period: Period) -> list[CaseRow]:
    """The period's contacts (by when their case was recorded), the rejected left out."""
    return [c for c in cases if period.covers(c.recorded_at) and c.outcome != "rejected"]


def repeated(cases: tuple[CaseRow, ...]) -> set[str]:
    """Contacts followed within 24 hours by another from the same driver with the same intent."""
    times: dict[tuple[str, str | None], list[datetime]] = defaultdict(list)
    for case in cases:
        if case.outcome != "rejected":
            times[(case.driver_id, case.intent)].append(case.received_at)
    for values in times.values():
        values.sort()
    found = set()
    for case in cases:
        later = times.get((case.driver_id, case.intent), [])
        index = bisect_right(later, case.received_at)
        if index < len(later) and later[index] <= case.received_at + REPEAT_WINDOW:
            found.add(case.contact_id)
    return found


def contact_rates(contacts: list[CaseRow], every_case: tuple[CaseRow, ...]
                  ) -> tuple[Ratio, Ratio, Ratio]:
    """One-touch resolution, automation and escalation, each over the period's contacts."""
    again = repeated(every_case)
    resolved = [c for c in contacts if c.outcome == "resolved"]
    return (Ratio(part=sum(1 for c in resolved if c.contact_id not in again), whole=len(contacts)),
            Ratio(part=len(resolved), whole=len(contacts)),
            Ratio(part=sum(1 for c in contacts if c.outcome == "escalated"),
                  whole=len(contacts)))


def breached(escalation: EscalationRow, as_of: datetime) -> bool:
    """Answered after its due time, or unanswered past it at `as_of`, or marked by the check."""
    answered = escalation.decided_at or as_of
    return escalation.sla_breached_at is not None or answered > escalation.due_at


def queue_lines(contacts: list[CaseRow], escalations: list[EscalationRow], as_of: datetime
                ) -> tuple[QueueLine, ...]:
    """Per queue: contacts escalated there (and their rate), incident approvals, breaches."""
    sent = Counter(c.queue for c in contacts if c.outcome == "escalated" and c.queue)
    names = sorted(set(sent) | {e.queue for e in escalations})
    lines = []
    for queue in names:
        mine = [e for e in escalations if e.queue == queue]
        lines.append(QueueLine(
            queue=queue, contacts=sent[queue], rate=Ratio(part=sent[queue], whole=len(contacts)),
            incidents=sum(1 for e in mine if e.for_incident),
            breaches=sum(1 for e in mine if breached(e, as_of)),
            pending=sum(1 for e in mine if e.decided_at is None)))
    return tuple(lines)


def by_intent(contacts: list[CaseRow]) -> tuple[CountLine, ...]:
    """Contacts by intent, most first."""
    counts = Counter(c.intent or UNKNOWN_INTENT for c in contacts)
    return tuple(CountLine(name=n, count=k)
                 for n, k in sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def hourly(contacts: list[CaseRow], remediations: list[Remediation]) -> tuple[HourLine, ...]:
    """Contacts received and remediations made in each UTC hour of the day."""
    received = Counter(c.received_at.hour for c in contacts)
    fixed = Counter(r.at.hour for r in remediations)
    return tuple(HourLine(hour=h, contacts=received[h], remediations=fixed[h]) for h in range(24))


def deliveries_window(period: Period, first_at: datetime | None, as_of: datetime
                      ) -> Period | None:
    """Where deliveries are counted: the period, or for an open one (a replay's whole store)
    the 24 hours before its first record, the day its contacts are about."""
    if period.start is not None:
        return Period(start=period.start, end=period.end or as_of)
    if first_at is None:
        return None
    return Period(start=first_at - DAY, end=first_at)


def per_thousand(contacts: int, deliveries: int | None) -> float | None:
    """Contacts per 1,000 deliveries, one decimal."""
    return round(contacts * 1000 / deliveries, 1) if deliveries else None


def scorecard(rows: StoreRows, facts: PlatformFacts, period: Period, as_of: datetime,
              accuracy: Accuracy | None = None) -> Scorecard:
    """Every figure of the period from the case store's rows and the platform's facts."""
    from onetouch.scorecard.by_segment import outreach, outreach_in, segment_lines

    contacts = contacts_in(rows.cases, period)
    one_touch, automation, escalated = contact_rates(contacts, rows.cases)
    escalations = [e for e in rows.escalations if period.covers(e.created_at)]
    queues = queue_lines(contacts, escalations, as_of)
    fixed = once_per_key(rows.remediations, period)
    asked = asks(rows.cases)
    to_detection, to_notified = durations(fixed, facts.onsets, rows.findings, asked)
    checked = outreach_in(rows.outreach, period)
    return Scorecard(
        period=period, as_of=as_of, contacts=len(contacts),
        rejected=sum(1 for c in rows.cases
                     if c.outcome == "rejected" and period.covers(c.recorded_at)),
        deliveries=facts.deliveries, per_thousand=per_thousand(len(contacts), facts.deliveries),
        one_touch=one_touch, automation=automation, escalated=escalated, queues=queues,
        breaches=sum(q.breaches for q in queues), proactive=proactive_share(fixed, asked),
        to_detection=to_detection, to_notified=to_notified, remediations=len(fixed),
        remediated_cents=sum(r.amount_cents for r in fixed),
        by_kind=money_by(fixed, lambda r: r.kind),
        by_detector=money_by(fixed, lambda r: r.detector),
        by_intent=by_intent(contacts), hourly=hourly(contacts, fixed),
        accuracy=accuracy, dry_run=rows.dry_run,
        by_segment=segment_lines(contacts, rows.cases, fixed, checked, facts.segments),
        outreach=outreach(checked))
