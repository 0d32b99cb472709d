"""Deployed flows on a real worker: an escalation waits suspended without a process, resumes on
a worker, pays once."""

from __future__ import annotations

import subprocess
import time
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterId,
    FlowRunFilterName,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.deployments import run_deployment
from prefect.exceptions import NotPausedError
from prefect.flow_runs import resume_flow_run
from prefect.input.run_input import keyset_from_paused_state

from flows.escalations import record_decision
from flows.resolve_contact import resolve_contact
from onetouch.casestore import CaseStore
from onetouch.settings import get_settings
from policy.approval import AgentDecision
from tests.browser.conftest import ARTIFACTS, CHROMIUM
from tests.browser.ui import approve_in_ui
from tests.deploy.conftest import CONTACTS, SANDBOX_KEY, Stack, agent_cli, wait_for

pytestmark = pytest.mark.stack
APPROVAL = "await-agent-decision/await-agent-decision"
SCHEDULED = ["check-escalation-slas", "detect-defects"]


def _run(run_id: UUID) -> FlowRun:
    with get_client(sync_client=True) as client:
        return client.read_flow_run(run_id)


def _named(*names: str) -> list[FlowRun]:
    with get_client(sync_client=True) as client:
        return client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=list(names))))


def _suspended(name: str, upstream: str) -> FlowRun | None:
    """The run once suspended; fails at once if it or the run starting it ended badly."""
    for run in _named(name, upstream):
        if run.state and run.state.is_final() and not run.state.is_completed():
            raise AssertionError(f"{run.name} ended {run.state.name}: {run.state.message}")
        if run.name == name and run.state and run.state.is_paused():
            return run
    return None


def _finished(run_id: UUID) -> FlowRun | None:
    run = _run(run_id)
    return run if run.state and run.state.is_final() else None


def _states(run_id: UUID) -> list[tuple[str, datetime]]:
    with get_client(sync_client=True) as client:
        states = client.read_flow_run_states(run_id)
    return [(s.name, s.timestamp) for s in sorted(states, key=lambda s: s.timestamp)]


def _escalation(stack: Stack, escalation_id: str) -> dict:
    return CaseStore(stack.case_store_url).escalation(escalation_id)


def _agent_pay(stack: Stack, driver_id: str) -> list[tuple[int, str]]:
    return [(e["amount_cents"], e["idempotency_key"])
            for e in stack.platform.admin.state()["earnings"]
            if e["driver_id"] == driver_id and e["source"] == "agent"]


def _finals(stack: Stack, case_id: str) -> list[dict]:
    return [n for n in stack.platform.admin.state()["notifications"]
            if n["idempotency_key"] == f"{case_id}/final"]


def _wait_suspended(stack: Stack, contact: dict) -> FlowRun:
    stack.platform.admin.set_clock(datetime.fromisoformat(contact["received_at"]))
    started = time.monotonic()
    stack.post_contact(contact)
    name, upstream = f"approve-esc-{contact['id']}", f"contact-{contact['id']}"
    run = wait_for(lambda: _suspended(name, upstream), 60,
                   f"a resolver's {upstream} to create {name} suspended", stack)
    stack.timings["event_to_suspended_s"] = round(time.monotonic() - started, 1)
    return run


def test_an_escalation_waits_suspended_without_a_process_then_resumes_and_pays_once(stack):
    run = _wait_suspended(stack, CONTACTS["c-21"])
    details = run.state.state_details
    assert (run.state.name, details.pause_reschedule, details.pause_key) == (
        "Suspended", True, "agent-decision")
    assert run.infrastructure_pid is None
    assert [name for name, _ in _states(run.id)] == ["Running", "Suspended"]
    assert _escalation(stack, "esc-c-21")["status"] == "pending"
    assert _agent_pay(stack, "drv-1022") == []
    with get_client(sync_client=True) as client:
        keyset = keyset_from_paused_state(run.state)
        assert "amount_cents" in client.read_flow_run_input(run.id, keyset["schema"])
        [summary] = client.read_artifacts(flow_run_filter=FlowRunFilter(
            id=FlowRunFilterId(any_=[run.id])))
    assert "pay-review escalation esc-c-21" in summary.data and "$90.00" in summary.data
    with pytest.raises(RuntimeError, match="Cannot resume"):
        resume_flow_run(run.id, run_input={"verdict": "maybe", "agent": "kim"})
    assert _run(run.id).state.is_paused()
    listed = _agent_cli(stack, "list", "--queue", "pay-review")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "esc-c-21" in listed.stdout and "$90.00" in listed.stdout
    assert "breached" not in listed.stdout
    resumed = time.monotonic()
    approved = _agent_cli(stack, "approve", "esc-c-21", "--agent", "kim")
    stack.timings["cli_to_completed_s"] = round(time.monotonic() - resumed, 1)
    assert approved.returncode == 0, approved.stdout + approved.stderr
    done = _run(run.id)
    assert (done.state.name, done.state.message) == ("Completed", "approved by kim; carried out")
    assert "esc-c-21: Completed: approved by kim" in approved.stdout
    assert done.infrastructure_pid, "the resumed run had no worker process"
    _assert_run_on_a_worker_once_resumed(stack, run.id)
    assert _agent_pay(stack, "drv-1022") == [(9000, "drv-1022/inc-13/incentive")]
    [final] = _finals(stack, "case-c-21")
    assert "$90.00" in final["body"]
    escalation = _escalation(stack, "esc-c-21")
    assert (escalation["status"], escalation["decided_by"]) == ("done", "kim")
    _assert_a_second_decision_is_refused_and_audited(stack, "c-21", "kim", "approved")


def _agent_cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return agent_cli(stack.api, Path(stack.worker_log).parent.parent / "agent-home", *args)


def _assert_a_second_decision_is_refused_and_audited(stack: Stack, contact_id: str,
                                                     first: str, verdict: str) -> None:
    late = _agent_cli(stack, "reject", f"esc-{contact_id}", "--agent", "lee",
                      "--reason", "second look")
    assert late.returncode == 1, late.stdout + late.stderr
    assert f"Refused: lee's decision refused: already {verdict} by {first}" in late.stdout
    refusals = [(e["actor"], e["note"]) for e in CaseStore(stack.case_store_url).audit_trail(
        f"case-{contact_id}") if e["action"] == "decision_refused"]
    assert refusals == [("lee", f"already done by {first}")]
    escalation = _escalation(stack, f"esc-{contact_id}")
    assert (escalation["status"], escalation["decided_by"]) == ("done", first)
    assert len(_finals(stack, f"case-{contact_id}")) == 1


def test_an_agent_approves_in_the_ui_and_a_later_cli_decision_is_refused(stack):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (./run test installs it as root)")
    run = _wait_suspended(stack, CONTACTS["c-19"])
    approve_in_ui(stack.api.removesuffix("/api"), run.id, "ana", "general escalation esc-c-19",
                  ARTIFACTS / "approval-form-stack.png")
    done = wait_for(lambda: _finished(run.id), 60, "the UI's decision to be carried out", stack)
    assert (done.state.name, done.state.message) == ("Completed", "approved by ana; carried out")
    assert done.infrastructure_pid, "the resumed run had no worker process"
    _assert_a_second_decision_is_refused_and_audited(stack, "c-19", "ana", "approved")


def _assert_run_on_a_worker_once_resumed(stack: Stack, run_id: UUID) -> None:
    states = _states(run_id)
    names = [name for name, _ in states]
    assert names.count("Running") == 2 and names.count("Suspended") == 1, names
    assert names.index("Suspended") < names.index("Resuming") < names.index("Pending")
    pending = next(at for name, at in states if name == "Pending")
    resuming = next(at for name, at in states if name == "Resuming")
    stack.timings["worker_pickup_s"] = round((pending - resuming).total_seconds(), 1)


@pytest.fixture
def local_flows(stack, monkeypatch):
    """Flows run in this process against the stack's sandbox and case store."""
    for name in ("ONETOUCH_APPROVAL_DEPLOYMENT", "ONETOUCH_QUEUE_NOTIFY_URLS",
                 "ONETOUCH_POLICY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ONETOUCH_PLATFORM_URL", stack.sandbox_url)
    monkeypatch.setenv("ONETOUCH_PLATFORM_API_KEY", SANDBOX_KEY)
    monkeypatch.setenv("ONETOUCH_CASE_STORE_URL", stack.case_store_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _paused(run_id: UUID) -> FlowRun | None:
    run = _run(run_id)
    if run.state and run.state.is_final():
        raise AssertionError(f"{run.name} ended {run.state.name} before suspending")
    return run if run.state and run.state.is_paused() else None


def test_a_suspension_decided_elsewhere_expires_and_a_new_run_skips_the_wait(stack, local_flows):
    contact = CONTACTS["c-20"]
    stack.platform.admin.set_clock(datetime.fromisoformat(contact["received_at"]))
    assert resolve_contact(contact)["outcome"] == "escalated"
    expiring = run_deployment(APPROVAL, timeout=0,
                              parameters={"escalation_id": "esc-c-20", "timeout_s": 5})
    wait_for(lambda: _paused(expiring.id), 60, "a run with a 5 s timeout to suspend", stack)
    assert record_decision("esc-c-20", AgentDecision(verdict="approve", agent="lee"))
    decided = run_deployment(APPROVAL, timeout=0, parameters={"escalation_id": "esc-c-20"})
    ended = wait_for(lambda: _finished(expiring.id), 60, "the 5 s suspension to expire", stack)
    assert ended.state.is_failed() and "never resumed" in ended.state.message
    with pytest.raises(NotPausedError):
        resume_flow_run(expiring.id, run_input={"verdict": "approve", "agent": "kim"})
    done = wait_for(lambda: _finished(decided.id), 60, "the already-decided run to finish", stack)
    assert done.state.is_completed(), f"{done.state.name}: {done.state.message}"
    assert "Suspended" not in [name for name, _ in _states(decided.id)]
    escalation = _escalation(stack, "esc-c-20")
    assert (escalation["status"], escalation["decided_by"]) == ("done", "lee")
    assert len(_finals(stack, "case-c-20")) == 1


def _scheduled_runs(deployment_id: UUID) -> list[FlowRun]:
    with get_client(sync_client=True) as client:
        return client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(
                type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))))


@pytest.mark.parametrize("name", SCHEDULED)
def test_a_scheduled_deployment_gets_runs_every_five_minutes(stack, name):
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(f"{name}/{name}")
    assert [s.schedule.interval for s in deployment.schedules] == [timedelta(minutes=5)]
    runs = wait_for(lambda: _scheduled_runs(deployment.id), 30, f"scheduled runs of {name}",
                    stack)
    starts = sorted(r.expected_start_time for r in runs)
    assert len(starts) >= 3
    assert {(b - a).total_seconds() for a, b in pairwise(starts)} == {300}
