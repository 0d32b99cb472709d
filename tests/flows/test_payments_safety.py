"""The kill switch, the money circuit breaker and dry runs, through the real flows and CLI."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime

import pytest
from prefect.testing.fixtures import (  # noqa: F401 (pytest fixtures)
    asserting_events_worker,
    reset_worker_events,
)
from prefect.variables import Variable
from sqlalchemy import select
from typer.testing import CliRunner

from flows import deps
from flows.detection import detect_defects
from flows.escalations import execute_escalation, record_decision
from flows.payments_safety import announce_breaker_tripped, switch_payments
from flows.resolve_contact import resolve_contact
from onetouch.casestore import CaseStore
from onetouch.casestore.dry_run import DryRunLog
from onetouch.casestore.tables import audit_log
from onetouch.cli import app
from onetouch.models import World
from onetouch.replay import embedded_platform, run_replay
from onetouch.settings import get_settings
from policy.approval import AgentDecision
from tests.detection_worlds import build_detection_world
from tests.flows.conftest import DATA

CONTACTS = {json.loads(line)["id"]: json.loads(line)
            for line in (DATA / "contacts.jsonl").read_text().splitlines()}
EXPECTED = [json.loads(line) for line in (DATA / "expected.jsonl").read_text().splitlines()]
WORLD = json.loads((DATA / "world.json").read_text())
REPLY_TEMPLATE = {"resolved": "resolution", "escalated": "acknowledgement"}
TIP_C2 = {"type": "pay_adjustment", "kind": "tip", "subject_id": "ofr-50014", "amount_cents": 400}


@pytest.fixture(autouse=True)
def switch_off():
    """Every test starts and ends with the kill switch's Variable unset (it is session-wide)."""
    Variable.unset(deps.PAUSED_VARIABLE)
    yield
    Variable.unset(deps.PAUSED_VARIABLE)


@pytest.fixture
def emitted(asserting_events_worker, reset_worker_events):  # noqa: F811
    """The onetouch events sent so far in this test."""
    def read(name: str | None = None):
        asserting_events_worker.wait_until_empty()
        client = getattr(asserting_events_worker, "_client", None)
        return [e for e in getattr(client, "events", []) if e.event.startswith("onetouch.")
                and (name is None or e.event == name)]
    return read


@pytest.fixture
def policy_file(tmp_path, monkeypatch):
    """Set the policy's overrides for the test (through ONETOUCH_POLICY_FILE)."""
    def use(**fields):
        path = tmp_path / f"policy-{len(list(tmp_path.glob('policy-*')))}.json"
        path.write_text(json.dumps(fields))
        monkeypatch.setenv("ONETOUCH_POLICY_FILE", str(path))
        get_settings.cache_clear()
    yield use
    get_settings.cache_clear()


def _resolve(platform, contact_id):
    contact = CONTACTS[contact_id]
    platform.admin.set_clock(datetime.fromisoformat(contact["received_at"]))
    return resolve_contact(contact)


def _earnings(platform, reference):
    return [e for e in platform.admin.state()["earnings"] if e.get("reference") == reference]


def _cli(*args):
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_paused_payments_escalate_a_paying_contact_and_resume(platform, emitted):
    assert "paused" in _cli("payments", "pause", "--reason", "bad deploy", "--operator", "kim")
    assert "PAUSED by kim" in _cli("payments", "status")
    held = _resolve(platform, "c-2")
    assert (held["outcome"], held["queue"], held["actions"], held["recommended_actions"]) == (
        "escalated", "pay-review", [], [TIP_C2])
    assert held["reason"] == "payments_paused"
    assert "paused by kim" in held["reasons"][-1] and "bad deploy" in held["reasons"][-1]
    assert "answer within 24 hours" in held["reply"]["text"]
    assert not _earnings(platform, "case-c-2")
    [paused] = emitted("onetouch.payments.paused")
    assert paused.payload["operator"] == "kim" and paused.payload["reason"] == "bad deploy"
    [decided] = emitted("onetouch.case.decided")
    assert (decided.payload["outcome"], decided.payload["recommended_cents"]) == ("escalated", 400)
    # an agent's explicit approval is carried out while paused: the switch stops automatic pay
    assert record_decision("esc-c-2", AgentDecision(verdict="approve", agent="lee"))
    execute_escalation("esc-c-2")
    assert [e["source"] for e in _earnings(platform, "case-c-2")] == ["agent"]
    assert "resumed" in _cli("payments", "resume", "--operator", "kim")
    assert emitted("onetouch.payments.resumed")
    paid = _resolve(platform, "c-9")
    assert paid["outcome"] == "resolved" and [e["source"] for e in _earnings(
        platform, "case-c-9")] == ["contact"]
    status = json.loads(_cli("payments", "status", "--json"))
    assert status["switch"]["paused"] is False
    assert (status["automatic_cents"], status["detectors"]["contact"]["automatic_cents"]) == (
        675, 675)
    actions = [r.action for r in _audit(deps.case_store())]
    assert "payments_paused" in actions and "payments_resumed" in actions


def _audit(store):
    with store.engine.connect() as conn:
        return list(conn.execute(select(audit_log).order_by(audit_log.c.id)))


def test_a_ten_dollar_cap_holds_the_next_paying_contact_and_trips_once(
        platform, emitted, policy_file, pay_review_queue):
    policy_file(breaker_hourly_cap_cents=1000)
    assert _resolve(platform, "c-9")["outcome"] == "resolved"      # $6.75 at 18:19
    held = _resolve(platform, "c-2")                                 # $4.00 more: over $10
    again = _resolve(platform, "c-7")                                # $25.00: held, not announced
    for outcome in (held, again):
        assert (outcome["outcome"], outcome["queue"], outcome["reason"]) == (
            "escalated", "pay-review", "hourly_cap")
        assert outcome["actions"] == [] and outcome["recommended_actions"]
    assert held["recommended_actions"] == [TIP_C2]
    assert not _earnings(platform, "case-c-2") and not _earnings(platform, "case-c-7")
    [tripped] = emitted("onetouch.breaker.tripped")
    assert tripped.resource.id == "onetouch.payments.automatic"
    assert tripped.payload == {
        "scope": "overall", "detector": "contact", "total_cents": 675, "cap_cents": 1000,
        "held_cents": 400, "reference": "case-c-2",
        "window": {"start": "2026-11-20T17:32:00Z", "end": "2026-11-20T18:32:00Z"}}
    assert announce_breaker_tripped(tripped.payload) is True
    assert {"[pay-review] esc-c-2", "[pay-review] esc-c-7"} <= {
        m["title"] for m in pay_review_queue}, "each held case is announced to the queue"
    [message] = [m for m in pay_review_queue if "breaker" in m["title"]]
    assert message["title"] == "[pay-review] breaker tripped: all automatic pay over $10.00 an hour"
    assert "$6.75" in message["message"] and "case-c-2" in message["message"]
    status = json.loads(_cli("payments", "status", "--json"))
    assert (status["cap_cents"], status["tripped"]) == (1000, ["overall"])


@pytest.fixture
def detection_world(tmp_path):
    raw, expected = build_detection_world(0)
    with embedded_platform(World.model_validate(raw), tmp_path) as platform:
        yield platform, expected


def _proactive(platform):
    return Counter(e["idempotency_key"] for e in platform.admin.state()["earnings"]
                   if e["source"] == "proactive")


def _owed(expected, kind):
    return {f"{f['driver_id']}/{f['subject_id']}/{f['kind']}" for f in expected["findings"]
            if f["type"] == "pay_adjustment" and f["kind"] == kind}


def test_detection_defers_a_detectors_findings_past_its_cap(
        detection_world, emitted, policy_file):
    platform, expected = detection_world
    policy_file(breaker_detector_caps_cents={"base": 2000})
    summary = detect_defects()
    payments = summary["payments"]
    assert (payments["status"], payments["tripped"]) == ("capped", ["detector:base"])
    assert payments["deferred"] > 0 and payments["deferred_cents"] > 0
    paid = _proactive(platform)
    base = [e for e in platform.admin.state()["earnings"]
            if e["source"] == "proactive" and e["kind"] == "base"]
    assert 0 < sum(e["amount_cents"] for e in base) <= 2000
    assert _owed(expected, "tip") <= set(paid) and _owed(expected, "wait_time") <= set(paid)
    [tripped] = emitted("onetouch.breaker.tripped")
    assert (tripped.payload["scope"], tripped.payload["detector"],
            tripped.payload["cap_cents"]) == ("detector", "base", 2000)
    policy_file()  # the cap raised back to the default: the next run fixes the rest
    later = detect_defects()
    assert "payments" not in later
    paid = _proactive(platform)
    assert _owed(expected, "base") <= set(paid) and set(paid.values()) == {1}
    assert len(emitted("onetouch.breaker.tripped")) == 1


def test_paused_detection_records_but_fixes_nothing(detection_world):
    platform, expected = detection_world
    before = platform.admin.state()
    switch_payments(True, "kim", "incident review")
    summary = detect_defects()
    assert summary["findings"] == len(expected["findings"])
    assert summary["payments"]["status"] == "paused" and summary["payments"]["deferred"] > 0
    after = platform.admin.state()
    for entity in ("earnings", "notifications", "deposits", "offers"):
        assert after[entity] == before[entity], entity
    assert deps.case_store().incidents(), "incidents are recorded"
    summary_md = _latest_artifact("detection-summary")
    assert "**paused**" in summary_md


def _latest_artifact(key):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:
        [artifact, *_] = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=[key])), sort=ArtifactSort.CREATED_DESC)
    return artifact.data


def _comparable(outcome):
    return {"contact_id": outcome["contact_id"], "outcome": outcome["outcome"],
            "queue": outcome["queue"], "intent": outcome["intent"],
            "actions": [{k: v for k, v in a.items() if k != "new_offer_id"}
                        for a in outcome["actions"]],
            "recommended_actions": outcome["recommended_actions"]}


def test_a_dry_run_replay_decides_the_same_and_pays_and_sends_nothing(tmp_path):
    out = tmp_path / "run"
    outcomes = run_replay(DATA / "world.json", DATA / "contacts.jsonl", tmp_path / "o.jsonl",
                          tmp_path / "state.json", keep=out, dry_run=True)
    assert [_comparable(o) for o in outcomes] == [
        _comparable({"recommended_actions": []} | e) for e in EXPECTED]
    state = json.loads((tmp_path / "state.json").read_text())
    for entity in ("earnings", "notifications", "deposits", "offers"):
        assert len(state[entity]) == len(WORLD.get(entity, [])), entity
    assert {d["id"]: d["status"] for d in state["deposits"]} == {
        d["id"]: d["status"] for d in WORLD["deposits"]}
    log = DryRunLog(CaseStore(f"sqlite:///{out / 'cases.db'}").engine)
    pays = [{"type": "pay_adjustment", "kind": a["request"]["kind"],
             "subject_id": a["request"].get("offer_id") or a["request"].get("incentive_id"),
             "amount_cents": a["request"]["amount_cents"]} for a in log.actions("pay_adjustment")]
    assert sorted(pays, key=str) == sorted(
        (a for e in EXPECTED for a in e["actions"] if a["type"] == "pay_adjustment"), key=str)
    for kind in ("offer_reissue", "deposit_retry"):
        assert [a["request"][f"{kind.split('_')[0]}_id"] for a in log.actions(kind)] == [
            a["subject_id"] for e in EXPECTED for a in e["actions"] if a["type"] == kind]
    assert sorted(a["idempotency_key"] for a in log.actions("notification")) == sorted(
        f"case-{e['contact_id']}/{REPLY_TEMPLATE[e['outcome']]}" for e in EXPECTED)
    reissued = next(a for o in outcomes for a in o["actions"] if a["type"] == "offer_reissue")
    assert reissued["new_offer_id"].startswith("dry-ofr-")
    audit = _audit(CaseStore(f"sqlite:///{out / 'cases.db'}"))
    assert audit and all(row.details.get("dry_run") is True for row in audit)
