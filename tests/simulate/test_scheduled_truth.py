"""The oracle with detection on a schedule (every 5 minutes while contacts arrive): a defect
whose pay grace ends after now is fixed by a later run before its contact, later runs' incidents
carry their time, findings of a cause awaiting an agent join its incident, and no schedule is
exactly detection once at now."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

import simulate.oracle as oracle
from simulate import PRESETS, Size, generate
from simulate.clock import NOW_TS
from simulate.score import owed_by_key
from simulate.truth import compute

TINY = Size(drivers=15, stores=5, offers=200)
EVERY = 300


@pytest.fixture(scope="module")
def tiny_day():
    """Tiny seed 2: a tip of a store whose tips stopped, delivered 21 min before now."""
    day, once = generate(2, TINY)
    return day, once, compute(day, EVERY)


@pytest.fixture(scope="module")
def small_day():
    """Small seed 3: a zone's pay run failed; some of its deliveries clear the grace after now."""
    day, once = generate(3, PRESETS["small"])
    return day, once


def _row(rows, field, value):
    return next(r for r in rows if r[field] == value)


def test_no_schedule_is_detection_once_at_now(tiny_day):
    day, once, scheduled = tiny_day
    assert asdict(compute(day)) == asdict(compute(day, None)) == asdict(compute(day, 0)) \
        == asdict(once)
    assert once.schedule is None
    assert scheduled.detection == once.detection  # the first run is the same run


def test_a_late_defect_is_fixed_by_a_later_run_before_its_contact(tiny_day):
    _, once, scheduled = tiny_day
    key = "drv-10003/ofr-1000202/tip"
    before, after = _row(once.defects, "key", key), _row(scheduled.defects, "key", key)
    assert before["hurt_at"] == "2026-11-21T04:38:25Z"  # delivered 03:38, grace ends 04:38
    assert before["finding"] is None and before["fixed_by"] == "contact:c-00006"
    assert after["fixed_by"] == "proactive"
    assert after["finding"] == {"detector": "tip", "cause": "store=st-1002", "amount_cents": 250}
    assert [f for f in scheduled.schedule["fixed"] if f["key"] == key] == [
        {"key": key, "detector": "tip", "paid_cents": 250, "at": "2026-11-21T04:40:00Z"}]
    asked, answered = _row(once.contacts, "contact_id", "c-00006"), _row(
        scheduled.contacts, "contact_id", "c-00006")
    assert asked["received_at"] == answered["received_at"] == "2026-11-21T06:20:01Z"
    assert asked["actions"] == [{"type": "pay_adjustment", "kind": "tip",
                                 "subject_id": "ofr-1000202", "amount_cents": 250}]
    assert answered["outcome"] == "resolved" and answered["actions"] == []
    assert answered["reason"] == "already_paid" and answered["owed_cents"] == 0
    assert answered["incident_id"] == "inc-tip-store-st-1002-202611210400"


def test_every_run_time_and_what_it_owes(tiny_day):
    day, _, scheduled = tiny_day
    last = max(c.at for c in day.contacts)
    assert scheduled.schedule["runs"] == 1 + (last - NOW_TS) // EVERY
    owed = owed_by_key({"schedule": scheduled.schedule, "defects": scheduled.defects,
                        "contacts": scheduled.contacts})
    assert owed["drv-10003/ofr-1000202/tip"] == 250
    times = [f["at"] for f in scheduled.schedule["fixed"]]
    assert times == sorted(times) and times[0] == "2026-11-21T04:00:00Z"


def test_a_later_runs_incident_carries_its_time(small_day):
    day, once = small_day
    scheduled = compute(day, EVERY)
    grown = sorted(r["key"] for r in scheduled.defects
                   if r["incident_id"] == "inc-base-zone-austin-2-202611210405")
    assert grown == ["drv-10031/ofr-1001133/base", "drv-10038/ofr-1001140/base",
                     "drv-10041/ofr-1001131/base"]
    assert all(_row(scheduled.defects, "key", k)["fixed_by"] == "proactive" for k in grown)
    assert "inc-base-zone-austin-2-202611210405" not in json.dumps(asdict(once))
    assert _row(once.defects, "key", "drv-10041/ofr-1001131/base")["fixed_by"] == \
        "contact:c-00012"


def test_findings_of_a_cause_awaiting_an_agent_join_its_incident(small_day, monkeypatch):
    day, _ = small_day
    monkeypatch.setattr(oracle, "INCIDENT_TOTAL", 0)  # every incident waits for an agent
    held = compute(day, EVERY)
    zone = "inc-base-zone-austin-2-202611210400"
    assert _row(held.detection["incidents"], "id", zone)["subjects"] == [
        "ofr-1000602", "ofr-1001099", "ofr-1001108", "ofr-1001138", "ofr-1001141", "ofr-1001142"]
    joined = _row(held.defects, "key", "drv-10031/ofr-1001133/base")  # grace ends 05:02
    assert (joined["incident_id"], joined["fixed_by"]) == (zone, "held")
    in_zone = [r for r in held.defects if r["incident_id"] == zone]
    assert len(in_zone) == 6 + 12 and {r["fixed_by"] for r in in_zone} == {"held"}
    assert not any("austin-2-2026112104" in r["incident_id"] and r["incident_id"] != zone
                   for r in held.defects if r["incident_id"])
    assert not [f for f in held.schedule["fixed"] if f["key"] in {r["key"] for r in in_zone}]
    linked = _row(held.contacts, "contact_id", "c-00012")
    assert (linked["outcome"], linked["incident_id"], linked["actions"]) == ("linked", zone, [])
