"""The detect-defects flow against a real sandbox: fixes once, holds what is too big, links."""

from __future__ import annotations

import json
import threading
from collections import Counter

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.client.schemas.sorting import ArtifactSort

from flows import deps
from flows.detection import detect_defects
from flows.escalations import execute_escalation, record_decision
from flows.resolve_contact import resolve_contact
from onetouch.models import World
from onetouch.replay import embedded_platform
from policy.approval import AgentDecision
from tests.detection_worlds import build_detection_world


@pytest.fixture
def detection_world(tmp_path):
    raw, expected = build_detection_world(0)
    world = World.model_validate(raw)
    with embedded_platform(world, tmp_path) as platform:
        yield platform, world, expected


def _proactive(platform):
    return [e for e in platform.admin.state()["earnings"] if e["source"] == "proactive"
            and (e.get("reference") or "").startswith(("detect-", "inc-"))]


def _pushes(platform):
    return [n for n in platform.admin.state()["notifications"] if n["channel"] == "push"]


def _held_incident(expected):
    return next(i for i in expected["incidents"] if i["status"] == "awaiting_approval")


def _held_keys(expected):
    held = _held_incident(expected)
    return {f"{f['driver_id']}/{f['subject_id']}/{f['kind']}" for f in expected["findings"]
            if f["subject_id"] in held["subjects"]}


def test_detection_fixes_every_finding_once_and_holds_the_big_incident(detection_world):
    platform, _, expected = detection_world
    summary = detect_defects()
    assert summary["findings"] == len(expected["findings"])
    got = sorted(({k: v for k, v in i.items() if k != "id"} for i in summary["incidents"]),
                 key=lambda i: (i["detector"], i["cause"]))
    assert got == expected["incidents"]
    paid = Counter(e["idempotency_key"] for e in _proactive(platform))
    owed = {f"{f['driver_id']}/{f['subject_id']}/{f['kind']}" for f in expected["findings"]
            if f["type"] == "pay_adjustment"} - _held_keys(expected)
    assert set(paid) == owed and set(paid.values()) == {1}
    fixed_drivers = {f["driver_id"] for f in expected["findings"]} - {
        key.split("/")[0] for key in _held_keys(expected)}
    assert Counter(n["driver_id"] for n in _pushes(platform)) == Counter(fixed_drivers)
    held = deps.case_store().incidents(status="awaiting_approval")
    assert [i["cause"] for i in held] == [_held_incident(expected)["cause"]]
    assert deps.case_store().escalation(f"esc-{held[0]['id']}")["status"] == "pending"
    summary_md, table = _latest_artifacts("detection-summary", "detection-incidents")
    assert held[0]["id"] in summary_md.data and "awaiting_approval" in summary_md.data
    assert len(json.loads(table.data)) == len(expected["incidents"])


def _latest_artifacts(*keys):
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=list(keys))), sort=ArtifactSort.CREATED_DESC)
    return [next(a for a in found if a.key == key) for key in keys]


def test_a_second_run_pays_nothing_more_and_keeps_one_held_incident(detection_world):
    platform, _, expected = detection_world
    detect_defects()
    before = (len(_proactive(platform)), len(_pushes(platform)))
    again = detect_defects()
    assert (len(_proactive(platform)), len(_pushes(platform))) == before
    assert again["findings"] == len(_held_keys(expected))
    assert [i["status"] for i in again["incidents"]] == ["awaiting_approval"]
    assert len(deps.case_store().incidents(status="awaiting_approval")) == 1


def _contact(world, finding, cid):
    return {"id": cid, "driver_id": finding["driver_id"], "channel": "chat",
            "received_at": world.now.isoformat().replace("+00:00", "Z"),
            "text": f"where is my incentive bonus for {finding['subject_id']}?"
            if finding["kind"] == "incentive" else
            f"my tip for {finding['subject_id']} is missing",
            "offer_id": None if finding["kind"] == "incentive" else finding["subject_id"]}


def test_contacts_after_detection_are_told_the_fix_or_linked(detection_world):
    platform, world, expected = detection_world
    summary = detect_defects()
    tip_incident = next(i for i in summary["incidents"] if i["detector"] == "tip")
    fixed = next(f for f in expected["findings"]
                 if f["kind"] == "tip" and f["subject_id"] in tip_incident["subjects"])
    held = next(f for f in expected["findings"]
                if f["subject_id"] in _held_incident(expected)["subjects"])
    paid_before = len(_proactive(platform))
    told = resolve_contact(_contact(world, fixed, "c-after-fix"))
    linked = resolve_contact(_contact(world, held, "c-after-hold"))
    assert (told["outcome"], told["actions"], told["incident_id"]) == (
        "resolved", [], tip_incident["id"])
    assert "$" in told["reply"]["text"]
    held_id = next(i["id"] for i in summary["incidents"] if i["status"] == "awaiting_approval")
    assert (linked["outcome"], linked["actions"], linked["incident_id"]) == (
        "linked", [], held_id)
    assert len(_proactive(platform)) == paid_before
    assert not [e for e in platform.admin.state()["earnings"]
                if (e.get("reference") or "").startswith("case-c-after")]


def test_an_approved_incident_pays_each_finding_once_and_tells_each_driver(detection_world):
    platform, _, expected = detection_world
    summary = detect_defects()
    held_id = next(i["id"] for i in summary["incidents"] if i["status"] == "awaiting_approval")
    escalation_id = f"esc-{held_id}"
    decision = AgentDecision(verdict="approve", agent="Maria")
    assert record_decision(escalation_id, decision)
    assert not record_decision(escalation_id, decision)
    execute_escalation(escalation_id)
    execute_escalation(escalation_id)
    agent_pay = Counter(e["idempotency_key"] for e in platform.admin.state()["earnings"]
                        if e["source"] == "agent")
    assert set(agent_pay) == _held_keys(expected) and set(agent_pay.values()) == {1}
    pushed = {n["driver_id"] for n in _pushes(platform) if n["reference"] == held_id}
    assert pushed == {k.split("/")[0] for k in _held_keys(expected)}
    assert deps.case_store().incidents(status="remediated")
    assert not deps.case_store().incidents(status="awaiting_approval")
    assert detect_defects()["findings"] == 0


def test_two_runs_at_once_pay_and_notify_once(detection_world):
    platform, _, expected = detection_world
    results: list[dict] = []
    runs = [threading.Thread(target=lambda: results.append(detect_defects()), daemon=True)
            for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()  # no deadline of its own: a thread left running would hold the platform slots
    assert len(results) == 2
    paid = Counter(e["idempotency_key"] for e in _proactive(platform))
    assert paid and set(paid.values()) == {1}
    assert set(Counter(n["driver_id"] for n in _pushes(platform)).values()) == {1}
    assert len(deps.case_store().incidents(status="awaiting_approval")) == 1
    assert len([e for e in deps.case_store().escalations() if e["driver_id"] == ""]) == 1
