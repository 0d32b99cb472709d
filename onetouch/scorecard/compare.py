"""The headline figures of a scorecard, and two days of them side by side (pure)."""

from __future__ import annotations

from onetouch.scorecard.models import Change, Scorecard

Figure = tuple[str, str, float | None]


def headline(card: Scorecard) -> list[Figure]:
    """(name, unit, value) of each figure the daily report compares."""
    figures: list[Figure] = [
        ("contacts", "count", card.contacts),
        ("contacts per 1,000 deliveries", "ratio", card.per_thousand),
        ("one-touch resolution", "rate", card.one_touch.value),
        ("automation", "rate", card.automation.value),
        ("escalation", "rate", card.escalated.value),
        ("SLA breaches", "count", card.breaches),
        ("proactive share", "rate", card.proactive.value),
        ("onset to detection, median", "minutes", card.to_detection.median_minutes),
        ("onset to driver notified, median", "minutes", card.to_notified.median_minutes),
        ("remediations", "count", card.remediations),
        ("remediated", "cents", card.remediated_cents),
    ]
    figures += [(f"escalated to {q.queue}", "rate", q.rate.value) for q in card.queues]
    figures += [(f"remediated: {m.name}", "cents", m.cents) for m in card.by_kind]
    figures += [(f"by detector: {m.name}", "cents", m.cents) for m in card.by_detector]
    if card.accuracy is not None:
        a = card.accuracy
        figures += [("exact cases", "rate", a.exact / a.cases if a.cases else None),
                    ("overpaid", "cents", a.overpaid_cents),
                    ("underpaid", "cents", a.underpaid_cents),
                    ("double payments", "count", a.double_payments)]
    return figures


ABSENT = {"count": 0, "cents": 0}


def compare(current: Scorecard, previous: Scorecard) -> tuple[Change, ...]:
    """Each figure of either day, on both days (a queue or kind absent on a day counts as 0)."""
    now = {name: (unit, value) for name, unit, value in headline(current)}
    before = {name: (unit, value) for name, unit, value in headline(previous)}
    names = list(now) + [name for name in before if name not in now]
    changes = []
    for name in names:
        unit = (now.get(name) or before[name])[0]
        empty = ABSENT.get(unit)
        changes.append(Change(
            name=name, unit=unit,  # type: ignore[arg-type]
            current=now[name][1] if name in now else empty,
            previous=before[name][1] if name in before else empty))
    return tuple(changes)
