"""The resolve-contact flow against a real sandbox through a real Prefect API."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from prefect.client.orchestration import get_client

from flows.resolve_contact import resolve_contact
from tests.flows.conftest import DATA

CONTACTS = {json.loads(line)["id"]: json.loads(line)
            for line in (DATA / "contacts.jsonl").read_text().splitlines()}


def _at(platform, contact):
    platform.admin.set_clock(datetime.fromisoformat(contact["received_at"]))
    return contact


def _remediations(platform, driver_id):
    return [e for e in platform.earnings.list(driver_id=driver_id) if e.source != "platform"]


def test_tip_paid_once_even_when_the_flow_runs_twice(platform):
    contact = _at(platform, CONTACTS["c-2"])
    first = resolve_contact(contact)
    second = resolve_contact(contact)
    assert first["actions"] == [{"type": "pay_adjustment", "kind": "tip",
                                 "subject_id": "ofr-50014", "amount_cents": 400}]
    assert second == first
    paid = _remediations(platform, "drv-1002")
    assert [(e.kind, e.amount_cents, e.idempotency_key) for e in paid] == [
        ("tip", 400, "drv-1002/ofr-50014/tip")]
    assert len(list(platform.notifications.list(driver_id="drv-1002"))) == 1
    assert "$4.00" in first["reply"]["text"]


def test_a_new_contact_about_a_fixed_subject_is_told_what_was_paid(platform):
    contact = _at(platform, CONTACTS["c-2"])
    resolve_contact(contact)
    again = resolve_contact(contact | {"id": "c-2-again", "text": "tip still missing ofr-50014"})
    assert again["outcome"] == "resolved" and again["actions"] == []
    assert "already paid $4.00" in again["reply"]["text"]
    assert len(_remediations(platform, "drv-1002")) == 1


def test_payment_route_failing_30_percent_still_pays_once(platform, fast_retries):
    platform.admin.set_faults({"seed": 7, "routes": {
        "POST /pay-adjustments": {"error_rate": 0.3, "timeout_rate": 0.1, "hang_seconds": 1.0},
        "POST /notifications": {"error_rate": 0.3}}})
    paying = ["c-9", "c-2", "c-7", "c-10", "c-3", "c-5", "c-1"]
    outcomes = [resolve_contact(_at(platform, CONTACTS[cid])) for cid in paying]
    injected = platform.admin.faults()["injected"]
    platform.admin.clear_faults()
    assert injected["error"] >= 3 and injected["timeout"] >= 1
    assert [o["outcome"] for o in outcomes] == ["resolved"] * len(paying)
    owed = {(a["kind"], a["subject_id"], a["amount_cents"]) for o in outcomes for a in o["actions"]}
    state = platform.admin.state()
    paid = [(e["kind"], e["offer_id"] or e["incentive_id"], e["amount_cents"])
            for e in state["earnings"] if e["source"] == "contact"]
    assert sorted(paid) == sorted(owed)
    assert len(owed) == len(paying)
    replies = [n["reference"] for n in state["notifications"]]
    assert sorted(replies) == sorted(f"case-{cid}" for cid in paying)


@pytest.mark.parametrize(
    ("contact", "reason"),
    [
        (CONTACTS["c-2"] | {"driver_id": "drv-nobody"}, "driver drv-nobody does not exist"),
        (CONTACTS["c-2"] | {"channel": "fax"}, "field 'channel'"),
        (CONTACTS["c-2"] | {"received_at": "yesterday"}, "field 'received_at'"),
        ({"id": "c-x"}, "field 'driver_id'"),
    ],
)
def test_invalid_contacts_are_rejected_with_the_reason(platform, contact, reason):
    outcome = resolve_contact(contact)
    assert outcome["outcome"] == "rejected"
    assert reason in outcome["reasons"][0]
    assert _remediations(platform, "drv-1002") == []


def test_escalation_acknowledges_and_records(platform):
    from flows import deps

    outcome = resolve_contact(_at(platform, CONTACTS["c-21"]))
    assert (outcome["outcome"], outcome["queue"]) == ("escalated", "pay-review")
    assert outcome["recommended_actions"] == [{"type": "pay_adjustment", "kind": "incentive",
                                               "subject_id": "inc-13", "amount_cents": 9000}]
    assert _remediations(platform, "drv-1022") == []
    [escalation] = deps.case_store().escalations()
    assert escalation["queue"] == "pay-review" and escalation["status"] == "pending"
    assert "24 hours" in outcome["reply"]["text"]


def test_flow_run_is_named_and_tagged(platform):
    resolve_contact(_at(platform, CONTACTS["c-18"]))
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs()
    run = next(r for r in runs if r.name == "contact-c-18")
    assert {"intent:safety", "outcome:escalated", "queue:trust-safety"} <= set(run.tags)


def test_a_payment_the_platform_keeps_refusing_goes_to_an_agent(platform, fast_retries,
                                                                monkeypatch):
    monkeypatch.setenv("ONETOUCH_RETRY_ATTEMPTS", "2")
    from onetouch.settings import get_settings

    get_settings.cache_clear()
    platform.admin.set_faults({"routes": {"POST /pay-adjustments": {"error_rate": 1.0}}})
    outcome = resolve_contact(_at(platform, CONTACTS["c-2"]))
    platform.admin.clear_faults()
    assert (outcome["outcome"], outcome["queue"], outcome["actions"]) == (
        "escalated", "general", [])
    assert outcome["recommended_actions"] == [{"type": "pay_adjustment", "kind": "tip",
                                               "subject_id": "ofr-50014", "amount_cents": 400}]
    assert "platform refused pay_adjustment ofr-50014" in outcome["reasons"][-1]
    assert "24 hours" in outcome["reply"]["text"]
    assert _remediations(platform, "drv-1002") == []


def test_policy_numbers_come_from_the_prefect_variable(platform):
    from prefect.variables import Variable

    Variable.set("onetouch-policy", {"version": "trial-2", "wait_rate_cents_per_minute": 10},
                 overwrite=True)
    try:
        outcome = resolve_contact(_at(platform, CONTACTS["c-9"]))
    finally:
        Variable.unset("onetouch-policy")
    assert outcome["policy_version"] == "trial-2"
    assert outcome["actions"][0]["amount_cents"] == (42 - 15) * 10


def test_a_bad_policy_file_fails_fast_naming_the_field(tmp_path, monkeypatch):
    from flows import deps
    from onetouch.settings import get_settings

    bad = tmp_path / "policy.json"
    bad.write_text('{"wait_cap_cents": -5}')
    monkeypatch.setenv("ONETOUCH_POLICY_FILE", str(bad))
    get_settings.cache_clear()
    try:
        with pytest.raises(ValueError, match="wait_cap_cents"):
            deps.policy()
    finally:
        get_settings.cache_clear()
