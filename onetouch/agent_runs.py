"""An agent's decision sent to the escalation's `await-agent-decision` run on the stack's
Prefect server: the run carries it out on the stack's workers, with their credentials, and
ends in a state that names who decided; a decision after the first is refused there, audited."""

from __future__ import annotations

import time
from typing import Any

from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterDeploymentId,
    FlowRunFilterName,
)
from prefect.client.schemas.objects import FlowRun, State
from prefect.client.schemas.responses import SetStateStatus
from prefect.client.schemas.sorting import FlowRunSort

from flows.names import APPROVAL_FLOW
from policy.approval import AgentDecision

FORM_FIELDS = {"verdict", "agent", "amount_cents", "reason"}


class DecisionNotSent(RuntimeError):
    """The server did not take the decision (the form refused it); the message says why."""


def approval_run(client: SyncPrefectClient, escalation_id: str) -> FlowRun | None:
    """The escalation's approval run of a deployment on the server, if it has one."""
    runs = client.read_flow_runs(
        flow_filter=FlowFilter(name=FlowFilterName(any_=[APPROVAL_FLOW])),
        flow_run_filter=FlowRunFilter(
            name=FlowRunFilterName(any_=[f"approve-{escalation_id}"]),
            deployment_id=FlowRunFilterDeploymentId(is_null_=False)),
        sort=FlowRunSort.EXPECTED_START_TIME_DESC, limit=1)
    return runs[0] if runs else None


def send_decision(escalation_id: str, decision: AgentDecision, wait_s: float) -> State | None:
    """The state the decision left its run in: the waiting run, resumed with it (final, or
    waiting again when the policy refused it), or once that run was answered or expired a
    late-decision run (taking it if the case is still pending, else refusing it); None if
    the escalation has no run."""
    with get_client(sync_client=True) as client:
        run = approval_run(client, escalation_id)
        if run is None:
            return None
        if run.state is not None and run.state.is_paused():
            answer = client.resume_flow_run(
                run.id, run_input=decision.model_dump(mode="json", include=FORM_FIELDS))
            if answer.status == SetStateStatus.ACCEPT:
                return _final(client, run.id, wait_s, asked=run.state.id)
            reason = getattr(answer.details, "reason", "") or ""
            if "not paused" not in reason:
                raise DecisionNotSent(reason or str(answer.details))
        assert run.deployment_id is not None
        late = client.create_flow_run_from_deployment(
            run.deployment_id, name=f"late-decision-{escalation_id}",
            parameters={"escalation_id": escalation_id,
                        "late_decision": decision.model_dump(mode="json")})
        return _final(client, late.id, wait_s)


def _final(client: SyncPrefectClient, run_id: Any, wait_s: float, asked: Any = None) -> State:
    """The run's state once final, or waiting on a form other than the one answered (`asked`,
    the paused state the decision was given to), or as it is after `wait_s`."""
    deadline = time.monotonic() + wait_s
    while True:
        state = client.read_flow_run(run_id).state
        asks_again = state is not None and state.is_paused() and state.id != asked
        if state is not None and (state.is_final() or asks_again
                                  or time.monotonic() > deadline):
            return state
        time.sleep(0.5)
