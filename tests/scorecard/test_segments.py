"""The scorecard by driver segment, and retention outreach's figures: worked out by hand on the
small day, then read from a case store and a state file."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert

from onetouch.casestore import CaseStore
from onetouch.casestore.tables import outreach
from onetouch.outcomes import ContactOutcome
from onetouch.scorecard import build
from onetouch.scorecard.compute import scorecard
from onetouch.scorecard.models import OutreachRow, Period, PlatformFacts, Ratio
from onetouch.scorecard.view import lines
from policy.segments import SegmentRules
from tests.factories import delivered, driver
from tests.scorecard.rows import DAY, at, small_day

WHOLE_DAY = Period(start=DAY, end=DAY + timedelta(days=1))
SEGMENTS = {"drv-1": "full_time", "drv-2": "full_time", "drv-3": "new", "drv-4": "part_time",
            "drv-5": "part_time", "drv-6": "new"}
CHECKED = (OutreachRow(driver_id="drv-9", segment="new", verdict="dropped", checked_at=at(6),
                       sent=True),
           OutreachRow(driver_id="drv-3", segment="new", verdict="steady", checked_at=at(6),
                       sent=False),
           OutreachRow(driver_id="drv-4", segment="part_time", verdict="dropped",
                       checked_at=DAY - timedelta(hours=2), sent=True))  # the day before


def test_each_segment_has_its_contacts_rates_money_and_outreach():
    rows = small_day().model_copy(update={"outreach": CHECKED})
    card = scorecard(rows, PlatformFacts(segments=SEGMENTS), WHOLE_DAY, at(20))
    got = {s.segment: (s.contacts, s.one_touch, s.escalated, s.remediations,
                       s.remediated_cents, s.outreach_checked, s.outreach_sent)
           for s in card.by_segment}
    assert got == {
        "full_time": (3, Ratio(part=2, whole=3), Ratio(part=0, whole=3), 2, 1300, 0, 0),
        "part_time": (2, Ratio(part=0, whole=2), Ratio(part=1, whole=2), 2, 8300, 0, 0),
        "new": (1, Ratio(part=0, whole=1), Ratio(part=1, whole=1), 1, 500, 2, 1),
        "unknown": (0, Ratio(part=0, whole=0), Ratio(part=0, whole=0), 2, 0, 0, 0)}
    assert [s.segment for s in card.by_segment] == ["full_time", "part_time", "new", "unknown"]
    assert (card.outreach.drivers_checked, card.outreach.sent) == (2, 1)
    shown = {(line.section, line.figure) for line in lines(card)}
    assert {("retention outreach", "drivers checked"), ("retention outreach", "check-ins sent"),
            ("by segment", "new")} <= shown
    assert sum(s.contacts for s in card.by_segment) == card.contacts
    assert sum(s.remediated_cents for s in card.by_segment) == card.remediated_cents


def test_segments_and_outreach_are_read_from_the_store_and_a_state_file(tmp_path):
    store = CaseStore(f"sqlite:///{tmp_path / 'cases.db'}")
    with store.engine.begin() as conn:
        conn.execute(insert(outreach).values(
            key="outreach/drv-1/inc-1", driver_id="drv-1", cause="inc-1", kind="incident",
            segment="full_time", verdict="dropped", deliveries_before=9, deliveries_after=1,
            hurt_at=at(-200), checked_at=at(5), notification_id="ntf-1"))
    for n, who in enumerate(("drv-1", "drv-1", "drv-2"), 1):
        store.record(ContactOutcome(contact_id=f"c-{n}", driver_id=who, intent="missing_pay",
                                    outcome="resolved", case_id=f"case-c-{n}"), now=at(n))
    busy = [delivered(f"ofr-b{n}", driver_id="drv-1", delivered_at=at(-24 * (n % 6) - 1))
            for n in range(30)]
    state = {"drivers": [driver(id=d).model_dump(mode="json") for d in ("drv-1", "drv-2")],
             "offers": [o.model_dump(mode="json") for o in busy]}
    card = build(store.engine, WHOLE_DAY, as_of=at(20), state=state,
                 segment_rules=SegmentRules())
    got = {s.segment: (s.contacts, s.outreach_checked, s.outreach_sent)
           for s in card.by_segment}
    assert got == {"full_time": (2, 1, 1), "part_time": (1, 0, 0)}
    assert (card.outreach.drivers_checked, card.outreach.sent) == (1, 1)
