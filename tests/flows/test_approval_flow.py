"""The await-agent-decision flow: a typed form on the flow run, resumed with an agent's input."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime

import pytest
from prefect.client.orchestration import get_client
from prefect.flow_runs import resume_flow_run
from prefect.input.run_input import keyset_from_paused_state

from flows import deps
from flows.approval import await_agent_decision
from flows.escalations import record_decision
from flows.resolve_contact import resolve_contact
from policy.approval import AgentDecision
from tests.flows.conftest import DATA
from tests.paused import paused_run

CONTACT = next(json.loads(line) for line in (DATA / "contacts.jsonl").read_text().splitlines()
               if json.loads(line)["id"] == "c-21")


@pytest.fixture
def escalated(platform):
    platform.admin.set_clock(datetime.fromisoformat(CONTACT["received_at"]))
    assert resolve_contact(CONTACT)["outcome"] == "escalated"
    return "esc-c-21"




def _agent_pay(platform):
    return [(e.amount_cents, e.source) for e in platform.earnings.list(driver_id="drv-1022")
            if e.source != "platform"]


def _waiting_for_an_agent(escalation_id: str) -> tuple[dict, threading.Thread]:
    """The approval flow running in a thread (paused on its form); its result once it ends."""
    result: dict = {}
    waiter = threading.Thread(target=lambda: result.update(
        await_agent_decision(escalation_id, suspend=False, timeout_s=120)), daemon=True)
    waiter.start()
    return result, waiter


def test_form_input_resumes_the_run_and_pays_the_changed_amount(platform, escalated):
    result, waiter = _waiting_for_an_agent(escalated)
    run = paused_run("approve-esc-c-21")
    keyset = keyset_from_paused_state(run.state)
    with get_client(sync_client=True) as client:
        schema = client.read_flow_run_input(run.id, keyset["schema"])
        description = client.read_flow_run_input(run.id, keyset["description"])
    assert "amount_cents" in schema and "reason" in schema
    assert "inc-13" in description and "$90.00" in description
    resume_flow_run(run.id, run_input={"verdict": "approve", "agent": "kim",
                                       "amount_cents": 8000, "reason": "one trip disputed"})
    waiter.join(timeout=120)
    assert result["status"] == "done"
    assert _agent_pay(platform) == [(8000, "agent")]
    assert deps.case_store().escalation(escalated)["decided_by"] == "kim"


def test_a_decision_made_before_the_wait_is_carried_out_without_waiting(platform, escalated):
    record_decision(escalated, AgentDecision(verdict="approve", agent="lee"))
    assert await_agent_decision(escalated, suspend=False, timeout_s=5)["status"] == "done"
    assert await_agent_decision(escalated, suspend=False, timeout_s=5)["status"] == "done"
    assert _agent_pay(platform) == [(9000, "agent")]


def test_the_run_names_who_decided_and_refuses_a_later_decision(platform, escalated):
    record_decision(escalated, AgentDecision(verdict="approve", agent="lee"))
    done = await_agent_decision(escalated, suspend=False, timeout_s=5, return_state=True)
    assert (done.name, done.message) == ("Completed", "approved by lee; carried out")
    late = await_agent_decision(escalated, late_decision={
        "verdict": "reject", "agent": "kim", "reason": "not enrolled"}, return_state=True)
    assert (late.name, late.message) == (
        "Refused", "kim's decision refused: already approved by lee")
    refused = [(a["actor"], a["note"]) for a in deps.case_store().audit_trail("case-c-21")
               if a["action"] == "decision_refused"]
    assert refused == [("kim", "already done by lee")]
    assert _agent_pay(platform) == [(9000, "agent")]


def test_a_decision_the_policy_refuses_asks_again_saying_why(platform, escalated):
    result, waiter = _waiting_for_an_agent(escalated)
    run = paused_run("approve-esc-c-21")
    resume_flow_run(run.id, run_input={"verdict": "approve", "agent": "kim",
                                       "amount_cents": 8000})
    again = _paused_on(run.id, "agent-decision-1")
    with get_client(sync_client=True) as client:
        keyset = keyset_from_paused_state(again.state)
        description = client.read_flow_run_input(run.id, keyset["description"])
    assert "kim's decision was refused:** a changed amount needs a reason" in description
    resume_flow_run(run.id, run_input={"verdict": "approve", "agent": "kim",
                                       "amount_cents": 8000, "reason": "one trip disputed"})
    waiter.join(timeout=120)
    assert result["status"] == "done"
    assert _agent_pay(platform) == [(8000, "agent")]


def _paused_on(run_id, key: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            run = client.read_flow_run(run_id)
            if run.state.is_paused() and run.state.state_details.pause_key == key:
                return run
            time.sleep(0.3)
    raise AssertionError(f"the run never paused again on {key}")


def test_a_late_decision_on_a_case_still_pending_is_taken(platform, escalated):
    """The form's run expired (or ended) with the case still pending: a decision sent then is
    recorded and carried out, not refused."""
    done = await_agent_decision(escalated, late_decision={"verdict": "approve", "agent": "kim"},
                                return_state=True)
    assert (done.name, done.message) == ("Completed", "approved by kim; carried out")
    assert _agent_pay(platform) == [(9000, "agent")]
