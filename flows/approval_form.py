"""The approval form an agent fills in on an escalation's `await-agent-decision` flow run.

`open_approval_wait` creates that run already suspended on the form, so no process waits for
the agent: once the form is submitted, the server schedules the run and a worker carries out
the decision (flows/approval.py).
"""

from __future__ import annotations

from typing import Any, Literal

from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterName,
)
from prefect.client.schemas.objects import FlowRun
from prefect.input import RunInput
from prefect.input.run_input import keyset_from_paused_state
from prefect.states import Running, Suspended
from prefect.utilities.engine import propose_state_sync
from pydantic_core import core_schema

from onetouch.render import render

DECISION_KEY = "agent-decision"
WAIT_S = 86_400


class AgentName(str):
    """Who decides, as recorded on the decision and in the audit log: at least one visible
    character. A type rather than Field constraints, so `with_initial_data(agent="")` keeps
    them in the form's schema and the Prefect server refuses a blank form."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.str_schema(min_length=1, max_length=120, pattern=r"\S")


class AgentDecisionInput(RunInput):
    """The form an agent fills in on the waiting flow run."""

    verdict: Literal["approve", "reject"] = "approve"
    agent: AgentName
    amount_cents: int | None = None
    reason: str | None = None


def approval_form(escalation: dict[str, Any]) -> type[AgentDecisionInput]:
    """The form, under the escalation's summary."""
    description = render("agents/approval_form.md.j2", {"escalation": escalation})
    return AgentDecisionInput.with_initial_data(description=description, agent="")


def open_approval_wait(deployment: str, escalation: dict[str, Any]) -> str:
    """An `await-agent-decision` run of the deployment for the escalation, suspended on its
    form from the start (created Running, so the server lets it suspend, and never picked up
    by a worker until resumed); its id.

    What `suspend_flow_run(flow_run_id=…, wait_for_input=…)` does, with the form saved on
    that run (Prefect 3.8.8 saves it on the calling run, so from a task it fails); the flow,
    once resumed, suspends under the same key and gets the agent's answer back."""
    suspended = Suspended(timeout_seconds=WAIT_S, pause_key=DECISION_KEY)
    keyset = keyset_from_paused_state(suspended)
    suspended.state_details.run_input_keyset = keyset
    name = f"approve-{escalation['id']}"
    with get_client(sync_client=True) as client:
        found = client.read_deployment_by_name(deployment)
        run = _earlier_run(client, found.id, name)
        if run is not None and run.state is not None and (
                run.state.is_paused() or run.state.is_final()):
            return str(run.id)  # opened already, or decided: never a second form
        run = run or client.create_flow_run_from_deployment(
            found.id, parameters={"escalation_id": escalation["id"]}, name=name,
            state=Running(message="waiting for an agent's decision"))
        approval_form(escalation).save(keyset, flow_run_id=run.id)
        state = propose_state_sync(client, suspended, flow_run_id=run.id)
    if not state.is_paused():
        raise RuntimeError(f"approve-{escalation['id']} could not be suspended: {state}")
    return str(run.id)


def _earlier_run(client: SyncPrefectClient, deployment_id: Any, name: str) -> FlowRun | None:
    """The escalation's approval run an earlier attempt created, if any."""
    runs = client.read_flow_runs(
        flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name])),
        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
        limit=1)
    return runs[0] if runs else None
