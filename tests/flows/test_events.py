"""The events real flows emit: names, resources by id, amounts in cents, no personal data."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime

import pytest
from prefect.events import Event
from prefect.testing.fixtures import (  # noqa: F401 (pytest fixtures)
    asserting_events_worker,
    reset_worker_events,
)

from flows.detection import detect_defects
from flows.escalations import execute_escalation, record_decision
from flows.pay_review import alert_pay_review
from flows.resolve_contact import resolve_contact
from onetouch.models import World
from onetouch.replay import embedded_platform
from onetouch.settings import get_settings
from policy.approval import AgentDecision
from tests.detection_worlds import build_detection_world
from tests.flows.conftest import DATA

CONTACTS = {json.loads(line)["id"]: json.loads(line)
            for line in (DATA / "contacts.jsonl").read_text().splitlines()}
WORLD = json.loads((DATA / "world.json").read_text())


@pytest.fixture
def emitted(asserting_events_worker, reset_worker_events):  # noqa: F811
    """The onetouch events sent so far in this test, once the events worker has sent them."""
    def read() -> list[Event]:
        asserting_events_worker.wait_until_empty()
        client = getattr(asserting_events_worker, "_client", None)
        return [e for e in getattr(client, "events", []) if e.event.startswith("onetouch.")]
    return read


def _resolve(platform, contact_id, **changes):
    contact = CONTACTS[contact_id] | changes
    platform.admin.set_clock(datetime.fromisoformat(contact["received_at"]))
    return resolve_contact(contact)


def _named(events, name):
    return [e for e in events if e.event == name]


def _related(event, role):
    return sorted(r.id for r in event.related if r.role == role)


def _assert_no_personal_data(events, drivers, texts=()):
    """No name part, phone, email or message text of any driver in any event."""
    dumped = "\n".join(e.model_dump_json() for e in events)
    for driver in drivers:
        for part in driver["name"].split():
            assert part not in dumped, f"{driver['id']}: name {part!r} in an event"
        for field in ("phone", "email"):
            if driver.get(field):
                assert driver[field] not in dumped, f"{driver['id']}: {field} in an event"
    for text in texts:
        if text:
            assert text not in dumped, "a message text in an event"


def test_a_paid_contact_emits_its_payment_and_decision_by_ids_only(platform, emitted):
    outcome = _resolve(platform, "c-2")
    events = emitted()
    assert [e.event for e in events] == ["onetouch.remediation.paid", "onetouch.case.decided"]
    paid, decided = events
    assert paid.resource.id == decided.resource.id == "onetouch.case.case-c-2"
    assert _related(paid, "driver") == _related(decided, "driver") == ["onetouch.driver.drv-1002"]
    assert paid.payload | {"new_offer_id": None} == {
        "source": "contact", "type": "pay_adjustment", "kind": "tip", "subject_id": "ofr-50014",
        "amount_cents": 400, "idempotency_key": "drv-1002/ofr-50014/tip",
        "new_offer_id": None, "reference": "case-c-2"}
    assert decided.payload["outcome"] == "resolved" and decided.payload["intent"] == "missing_tip"
    assert decided.payload["amount_cents"] == 400
    assert decided.payload["actions"] == outcome["actions"]
    assert "flow-run" in {r.role for r in decided.related}, "linked to its flow run"
    _assert_no_personal_data(events, WORLD["drivers"], [CONTACTS["c-2"]["text"]])


def test_an_escalation_emits_its_opening_decision_payment_and_execution(platform, emitted):
    assert _resolve(platform, "c-21")["outcome"] == "escalated"
    assert record_decision("esc-c-21", AgentDecision(verdict="approve", agent="kim",
                                                     amount_cents=8000, reason="partial"))
    execute_escalation("esc-c-21")
    execute_escalation("esc-c-21")
    *events, again = emitted()
    assert [e.event for e in events] == [
        "onetouch.case.decided", "onetouch.escalation.opened", "onetouch.escalation.decided",
        "onetouch.remediation.paid", "onetouch.escalation.executed"]
    # the second run pays under the same key: same event id, which the server keeps once
    assert (again.event, again.id) == ("onetouch.remediation.paid", events[3].id)
    assert {e.resource.id for e in events} == {"onetouch.case.case-c-21"}
    for event in events:
        assert _related(event, "driver") == ["onetouch.driver.drv-1022"], event.event
    decided, opened, verdict, paid, executed = events
    assert decided.payload["outcome"] == "escalated" and decided.payload["queue"] == "pay-review"
    assert decided.payload["recommended_cents"] == opened.payload["recommended_cents"] == 9000
    assert _related(opened, "escalation") == ["onetouch.escalation.esc-c-21"]
    assert verdict.payload == {
        "verdict": "approve", "agent": "kim", "queue": "pay-review", "amount_cents": 8000,
        "recommended_cents": 9000}
    assert "partial" not in verdict.model_dump_json(), "the agent's reason stays in the store"
    assert (paid.payload["source"], paid.payload["amount_cents"]) == ("agent", 8000)
    assert executed.payload["amount_cents"] == 8000
    _assert_no_personal_data(events, WORLD["drivers"], [CONTACTS["c-21"]["text"]])


@pytest.fixture
def detection_world(tmp_path):
    raw, expected = build_detection_world(0)
    with embedded_platform(World.model_validate(raw), tmp_path) as platform:
        yield platform, raw, expected


def test_detection_emits_incidents_fixes_and_the_held_incident_decided(detection_world, emitted):
    platform, raw, expected = detection_world
    summary = detect_defects()
    held = next(i for i in summary["incidents"] if i["status"] == "awaiting_approval")
    assert record_decision(f"esc-{held['id']}", AgentDecision(verdict="approve", agent="maria"))
    execute_escalation(f"esc-{held['id']}")
    events = emitted()
    names = Counter(e.event for e in events)
    recorded = _named(events, "onetouch.incident.recorded")
    assert sorted(e.resource.id for e in recorded) == sorted(
        f"onetouch.incident.{i['id']}" for i in summary["incidents"])
    for event in recorded:
        incident = next(i for i in summary["incidents"] if event.resource.id.endswith(i["id"]))
        assert event.payload["total_cents"] == incident["total_cents"]
        assert len(_related(event, "driver")) == min(incident["drivers"], 50)
    [waiting] = _named(events, "onetouch.incident.awaiting-approval")
    assert waiting.resource.id == f"onetouch.incident.{held['id']}"
    opened = _named(events, "onetouch.escalation.opened")
    assert [_related(e, "escalation") for e in opened] == [
        [f"onetouch.escalation.esc-{held['id']}"]]
    proactive = [e for e in _named(events, "onetouch.remediation.paid")
                 if e.payload["source"] == "proactive"]
    agent = [e for e in _named(events, "onetouch.remediation.paid")
             if e.payload["source"] == "agent"]
    owed = [f for f in expected["findings"] if f["type"] == "pay_adjustment"]
    assert len(proactive) + len(agent) == len(owed)
    for event in proactive + agent:
        [driver] = _related(event, "driver")
        assert event.payload["idempotency_key"].startswith(driver.removeprefix("onetouch.driver."))
        assert event.payload["amount_cents"] > 0
    assert {e.resource.id for e in agent} == {f"onetouch.incident.{held['id']}"}
    closing = [e for e in _named(events, "onetouch.incident.remediated")
               if e.resource.id == f"onetouch.incident.{held['id']}"]
    assert [e.payload["decided_by"] for e in closing] == ["maria"]
    assert closing[0].payload["amount_cents"] == sum(e.payload["amount_cents"] for e in agent)
    assert names["onetouch.escalation.decided"] == names["onetouch.escalation.executed"] == 1
    _assert_no_personal_data(events, raw["drivers"])


@pytest.fixture
def low_threshold(monkeypatch, pay_review_queue):
    """The pay-review webhook, and a $10.00 hourly threshold."""
    monkeypatch.setenv("ONETOUCH_PAY_REVIEW_HOURLY_THRESHOLD_CENTS", "1000")
    get_settings.cache_clear()
    return pay_review_queue


def test_the_payment_crossing_the_hourly_threshold_is_announced_once(
        platform, emitted, low_threshold):
    _resolve(platform, "c-9")    # $6.75 at 18:19
    _resolve(platform, "c-11")   # a reissue: no money
    assert not _named(emitted(), "onetouch.money.hourly-threshold-crossed")
    _resolve(platform, "c-2")    # $4.00 at 18:32: $10.75 in the hour
    _resolve(platform, "c-7")    # $25.00 at 18:48: still over, not announced again
    [crossed] = _named(emitted(), "onetouch.money.hourly-threshold-crossed")
    assert crossed.resource.id == "onetouch.money.automatic-pay"
    assert _related(crossed, "crossed-by") == ["onetouch.case.case-c-2"]
    assert crossed.payload == {
        "total_cents": 1075, "threshold_cents": 1000, "window_start": "2026-11-20T17:32:00Z",
        "window_end": "2026-11-20T18:32:00Z", "crossed_by": "case-c-2"}
    assert alert_pay_review(crossed.payload) is True
    [message] = low_threshold
    assert message["title"] == "[pay-review] automatic pay $10.75 in the last hour"
    assert "$10.00" in message["message"] and "case-c-2" in message["message"]
