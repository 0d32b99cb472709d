"""The root-cause report's pure functions as tables: naming, grouping, ranking, trend, repeat
contacts, preventable contacts, segments."""

from __future__ import annotations

from datetime import timedelta

import pytest

from onetouch.rootcause.compute import (
    group_lines,
    preventable,
    previous_period,
    rank,
    repeats,
    report,
    totals,
)
from onetouch.rootcause.models import (
    CauseRows,
    Event,
    FindingLine,
    GroupLine,
    Place,
    PlatformView,
    Totals,
)
from onetouch.scorecard.models import Period
from tests.scorecard.rows import DAY, at, case, fix, pay

TODAY = Period(start=DAY, end=DAY + timedelta(days=1))
YESTERDAY = Period(start=DAY - timedelta(days=1), end=DAY)


def event(kind, driver, cause, cents=0, hour=5.0):
    return Event(kind=kind, driver_id=driver, at=at(hour), cents=cents,
                 names={"cause": cause, "detector": None, "store": None, "zone": None,
                        "intent": None})


def line(name, drivers, cents, contacts=0):
    return GroupLine(dimension="cause", name=name,
                     now=Totals(drivers=drivers, cents=cents, contacts=contacts), before=Totals())


def test_the_previous_period_has_the_same_length():
    assert previous_period(TODAY) == YESTERDAY
    with pytest.raises(ValueError, match="period"):
        previous_period(Period(start=DAY))


@pytest.mark.parametrize(("lines", "order"), [
    ([line("a", 2, 100), line("b", 3, 10)], ["b", "a"]),            # drivers first
    ([line("a", 2, 100), line("b", 2, 900)], ["b", "a"]),           # then dollars
    ([line("a", 2, 100), line("b", 2, 100, contacts=4)], ["b", "a"]),  # then contacts
    ([line("b", 1, 0), line("a", 1, 0)], ["a", "b"]),               # then the name
])
def test_causes_rank_by_drivers_then_dollars(lines, order):
    assert [g.name for g in rank(lines)] == order


@pytest.mark.parametrize(("events", "expected"), [
    ([], Totals()),
    ([event("contact", "d1", "x"), event("remediation", "d1", "x", 500)],
     Totals(contacts=1, remediations=1, drivers=1, cents=500)),
    ([event("held", "d1", "x", 700), event("remediation", "d2", "x", 300)],
     Totals(contacts=0, remediations=1, drivers=2, cents=1000)),
])
def test_totals_count_distinct_drivers_and_every_cent(events, expected):
    assert totals(events) == expected


def test_groups_carry_the_previous_period_and_the_segments():
    now = [event("remediation", "d1", "inc-1", 500), event("remediation", "d2", "inc-1", 300),
           event("contact", "d3", None), event("remediation", "d3", "tip store=st-1", 200)]
    before = [event("remediation", "d9", "inc-1", 100, hour=-3)]
    lines = {g.name: g for g in group_lines(now, before, "cause", {"d1": "new", "d2": "new",
                                                                     "d3": "full_time"})}
    assert set(lines) == {"inc-1", "tip store=st-1"}  # a contact with no defect has no cause
    inc = lines["inc-1"]
    assert (inc.now.drivers, inc.now.cents, inc.before.drivers, inc.before.cents) == (
        2, 800, 1, 100)
    assert not inc.new and lines["tip store=st-1"].new
    assert [(s.segment, s.drivers, s.cents) for s in inc.by_segment] == [("new", 2, 800)]


@pytest.mark.parametrize(("cases", "expected"), [
    ([case("c1", "d1", "missing_pay", "resolved", 1), case("c2", "d1", "missing_pay",
                                                            "resolved", 5)], {"c2"}),
    ([case("c1", "d1", "missing_pay", "resolved", 1), case("c2", "d1", "missing_tip",
                                                            "resolved", 5)], set()),
    ([case("c1", "d1", "missing_pay", "resolved", 1), case("c2", "d2", "missing_pay",
                                                            "resolved", 5)], set()),
    ([case("c1", "d1", "missing_pay", "resolved", -24 * 7 + 1),
      case("c2", "d1", "missing_pay", "resolved", 1)], {"c2"}),            # 7 days less 0 h
    ([case("c1", "d1", "missing_pay", "resolved", -24 * 7 - 1),
      case("c2", "d1", "missing_pay", "resolved", 1)], set()),             # 7 days and 2 h
    ([case("c1", "d1", "missing_pay", "rejected", 1), case("c2", "d1", "missing_pay",
                                                            "resolved", 5)], set()),
])
def test_a_repeat_is_the_same_driver_and_intent_within_the_days(cases, expected):
    assert repeats(cases, 7) == expected


FOUND = FindingLine(key="d1/ofr-1/tip", driver_id="d1", subject_id="ofr-1", detector="tip",
                    cause="store=st-1", status="remediated", amount_cents=300,
                    detected_at=at(4))


@pytest.mark.parametrize(("contact", "onsets", "expected"), [
    (case("c1", "d1", "missing_tip", "resolved", 5, actions=(pay("ofr-1", "tip", 300),)), {},
     True),                                                  # found before the contact
    (case("c1", "d1", "missing_tip", "resolved", 3, actions=(pay("ofr-1", "tip", 300),)), {},
     False),                                                 # the contact came first
    (case("c1", "d1", "missing_pay", "linked", 3, incident="inc-1"), {}, True),
    (case("c1", "d2", "missing_pay", "resolved", 3, actions=(pay("ofr-2", "base", 900),)),
     {"d2/ofr-2/base": at(2.9)}, True),                       # owed past grace for 6 min
    (case("c1", "d2", "missing_pay", "resolved", 3, actions=(pay("ofr-2", "base", 900),)),
     {"d2/ofr-2/base": at(2.95)}, False),                     # owed for 3 min only
    (case("c1", "d2", "missing_pay", "resolved", 3), {}, False),
])
def test_preventable_contacts(contact, onsets, expected):
    assert (preventable([contact], {FOUND.key: FOUND}, onsets, 5) == {"c1"}) is expected


def test_the_report_names_store_zone_intent_and_trend():
    rows = CauseRows(
        cases=(case("c1", "d1", "missing_tip", "resolved", 5, actions=(pay("ofr-1", "tip", 300),)),
               case("c0", "d1", "missing_tip", "resolved", -20)),
        remediations=(fix("d1", "ofr-1", "tip", 300, 5, path="contact"),
                      fix("d2", "ofr-2", "tip", 400, 4, detector="tip", incident="inc-1")),
        findings=(FOUND.model_copy(update={"key": "d2/ofr-2/tip", "driver_id": "d2",
                                           "subject_id": "ofr-2", "incident_id": "inc-1"}),))
    view = PlatformView(places={"ofr-1": Place(store="st-1", zone="z-1"),
                                "ofr-2": Place(store="st-1", zone="z-2")},
                        segments={"d1": "full_time", "d2": "new"})
    result = report(rows, view, TODAY, at(20))
    names = {d: [(g.name, g.now.drivers, g.now.cents) for g in lines]
             for d, lines in result.groups.items()}
    assert names["store"] == [("st-1", 2, 700)]
    assert names["zone"] == [("z-2", 1, 400), ("z-1", 1, 300)]
    assert names["cause"] == [("inc-1", 1, 400), ("tip store=st-1 (found by a contact)", 1, 300)]
    assert names["intent"] == [("missing_tip", 1, 300)]
    assert names["detector"] == [("tip", 1, 400), ("contact", 1, 300)]
    assert (result.contacts, result.contacts_before, result.repeat.part) == (1, 1, 1)
    assert [(s.segment, s.contacts, s.cents) for s in result.by_segment] == [
        ("full_time", 1, 300), ("new", 0, 400)]
