"""A scorecard as the lines a person reads (section, figure, value), shared by the terminal,
the Prefect artifacts and the HTML report; two days' figures formatted side by side."""

from __future__ import annotations

from datetime import datetime

from onetouch.models import format_utc
from onetouch.render import dollars
from onetouch.scorecard.models import Change, Frozen, Ratio, Scorecard, Timing

NOT_KNOWN = "n/a"


class Line(Frozen):
    section: str
    figure: str
    value: str


def percent(ratio: Ratio) -> str:
    """87.5% (7 of 8)."""
    if ratio.value is None:
        return f"{NOT_KNOWN} (0 of 0)"
    return f"{ratio.value * 100:.1f}% ({ratio.part} of {ratio.whole})"


def duration(minutes: float) -> str:
    """Minutes under two hours, hours above."""
    return f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def timing(value: Timing) -> str:
    """Median and 90th percentile, over how many defects."""
    if not value.count or value.median_minutes is None or value.p90_minutes is None:
        return f"{NOT_KNOWN} (no onset known)"
    return (f"median {duration(value.median_minutes)}, 90th percentile "
            f"{duration(value.p90_minutes)} ({value.count} defects)")


def when(value: datetime | None) -> str:
    return format_utc(value) if value is not None else "…"


def period_label(card: Scorecard) -> str:
    """The period in words."""
    if card.period.start is None and card.period.end is None:
        return f"everything in the case store, as of {when(card.as_of)}"
    return f"{when(card.period.start)} to {when(card.period.end)}"


def contact_lines(card: Scorecard) -> list[Line]:
    rejected = f" ({card.rejected} rejected, not counted)" if card.rejected else ""
    per_thousand = (f"{card.per_thousand:.1f} ({card.deliveries:,} deliveries)"
                    if card.per_thousand is not None and card.deliveries is not None
                    else f"{NOT_KNOWN} (deliveries not known)")
    return [Line(section="contacts", figure="contacts", value=f"{card.contacts}{rejected}"),
            Line(section="contacts", figure="per 1,000 deliveries", value=per_thousand),
            Line(section="contacts", figure="one-touch resolution", value=percent(card.one_touch)),
            Line(section="contacts", figure="automation", value=percent(card.automation)),
            Line(section="contacts", figure="escalation", value=percent(card.escalated))]


def queue_lines(card: Scorecard) -> list[Line]:
    lines = [Line(section="escalations", figure=q.queue, value=(
        f"{percent(q.rate)} of contacts; incident approvals {q.incidents}; "
        f"SLA breaches {q.breaches}; pending {q.pending}")) for q in card.queues]
    return lines + [Line(section="escalations", figure="SLA breaches", value=str(card.breaches))]


def remediation_lines(card: Scorecard) -> list[Line]:
    section = "remediation"
    lines = [Line(section=section, figure="proactive share", value=percent(card.proactive)),
             Line(section=section, figure="onset to detection", value=timing(card.to_detection)),
             Line(section=section, figure="onset to driver notified",
                  value=timing(card.to_notified)),
             Line(section=section, figure="remediated",
                  value=f"{dollars(card.remediated_cents)} in {card.remediations} remediations")]
    for title, money in (("by kind", card.by_kind), ("by detector", card.by_detector)):
        lines += [Line(section=f"remediated {title}", figure=m.name,
                       value=f"{dollars(m.cents)} ({m.count})") for m in money]
    return lines


def accuracy_lines(card: Scorecard) -> list[Line]:
    a = card.accuracy
    if a is None:
        return []
    section = "accuracy against ground truth"
    share = a.truth_proactive_share
    return [Line(section=section, figure="exact cases", value=f"{a.exact} of {a.cases}"),
            Line(section=section, figure="overpaid", value=dollars(a.overpaid_cents)),
            Line(section=section, figure="underpaid", value=dollars(a.underpaid_cents)),
            Line(section=section, figure="double payments", value=str(a.double_payments)),
            Line(section=section, figure="paid / owed",
                 value=f"{dollars(a.paid_cents)} / {dollars(a.owed_cents)}"),
            Line(section=section, figure="defects fixed before asked",
                 value=f"{share * 100:.1f}%" if share is not None else NOT_KNOWN)]


def segment_lines(card: Scorecard) -> list[Line]:
    """Each driver segment's figures (docs/root-causes.md, "The scorecard by segment")."""
    return [Line(section="by segment", figure=s.segment, value=(
        f"{s.contacts} contacts; one-touch {percent(s.one_touch)}; automation "
        f"{percent(s.automation)}; escalation {percent(s.escalated)}; "
        f"{dollars(s.remediated_cents)} in {s.remediations} remediations; outreach "
        f"{s.outreach_checked} checked, {s.outreach_sent} sent")) for s in card.by_segment]


def outreach_lines(card: Scorecard) -> list[Line]:
    section = "retention outreach"
    return [Line(section=section, figure="drivers checked",
                 value=str(card.outreach.drivers_checked)),
            Line(section=section, figure="check-ins sent", value=str(card.outreach.sent))]


def lines(card: Scorecard) -> list[Line]:
    """Every figure of the scorecard, in reading order."""
    return (contact_lines(card) + queue_lines(card) + remediation_lines(card)
            + outreach_lines(card) + segment_lines(card) + accuracy_lines(card))


def figure(unit: str, value: float | None) -> str:
    """One figure of the daily comparison."""
    if value is None:
        return NOT_KNOWN
    if unit == "rate":
        return f"{value * 100:.1f}%"
    if unit == "cents":
        return dollars(round(value))
    if unit == "minutes":
        return duration(value)
    return f"{value:,.1f}" if unit == "ratio" else f"{value:,.0f}"


def change(item: Change) -> str:
    """How a figure moved from the day before."""
    delta = item.delta
    if delta is None:
        return NOT_KNOWN
    sign = "+" if delta > 0 else "-" if delta < 0 else "±"
    size = abs(delta)
    if item.unit == "rate":
        return f"{sign}{size * 100:.1f} pts"
    if item.unit == "cents":
        return f"{sign}{dollars(round(size))}"
    if item.unit == "minutes":
        return f"{sign}{size:.0f} min"
    return f"{sign}{size:,.1f}" if item.unit == "ratio" else f"{sign}{size:,.0f}"


def comparison(changes: tuple[Change, ...]) -> list[tuple[str, str, str, str]]:
    """(figure, this day, the day before, change) for each figure."""
    return [(c.name, figure(c.unit, c.current), figure(c.unit, c.previous), change(c))
            for c in changes]


def _big(ratio: Ratio) -> str:
    return f"{ratio.value * 100:.0f}%" if ratio.value is not None else NOT_KNOWN


def tiles(card: Scorecard) -> list[tuple[str, str, str]]:
    """The headline figures: (label, figure, detail)."""
    shown = [("contacts", f"{card.contacts:,}",
              f"{card.per_thousand:.1f} per 1,000 deliveries" if card.per_thousand is not None
              else "deliveries not known"),
             ("one-touch resolution", _big(card.one_touch), percent(card.one_touch)),
             ("automation", _big(card.automation), percent(card.automation)),
             ("proactive share", _big(card.proactive), percent(card.proactive)),
             ("remediated", dollars(card.remediated_cents), f"{card.remediations} remediations")]
    if card.accuracy is not None:
        a = card.accuracy
        shown.append(("exact cases", f"{a.exact}/{a.cases}",
                      f"overpaid {dollars(a.overpaid_cents)}, {a.double_payments} paid twice"))
    return shown
