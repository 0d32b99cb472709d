"""The approval form an agent fills in on an escalation's `await-agent-decision` flow run.

`open_approval_wait` creates that run already suspended on the form, so no process waits for
the agent: once the form is submitted, the server schedules the run and a worker carries out
the decision (flows/approval.py).
"""

from __future__ import annotations

from typing import Any, Literal, cast

from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.actions import ArtifactCreate
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterName,
)
from prefect.client.schemas.objects import FlowRun, State
from prefect.input import RunInput
from prefect.input.run_input import keyset_from_paused_state
from prefect.states import Running, Suspended
from prefect.utilities.engine import propose_state_sync
from pydantic_core import core_schema

from flows import deps
from onetouch.casestore.intake import contact_id_of
from onetouch.render import local_time, render, timezone_for_zone
from understanding.text import masked

DECISION_KEY = "agent-decision"
WAIT_S = 86_400


class AgentName(str):
    """Who decides, as recorded on the decision and in the audit log: at least one visible
    character. A type rather than Field constraints, so the form's schema keeps them and the
    Prefect server refuses a blank form."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.str_schema(min_length=1, max_length=120, pattern=r"\S")


class AgentDecisionInput(RunInput):
    """The form an agent fills in on the waiting flow run."""

    verdict: Literal["approve", "reject"] = "approve"
    agent: AgentName
    amount_cents: int | None = None
    reason: str | None = None


def approval_form(escalation: dict[str, Any], summary: str | None = None
                  ) -> type[AgentDecisionInput]:
    """The form (the agent's name required), under the case as the agent needs to see it."""
    return AgentDecisionInput.with_initial_data(description=summary or case_summary(escalation))


def case_summary(escalation: dict[str, Any]) -> str:
    """The case as the agent needs to see it (markdown)."""
    return render("agents/approval_form.md.j2", form_context(escalation))


def form_context(escalation: dict[str, Any]) -> dict[str, Any]:
    """The escalation with the driver's first name, message (contact details hidden), how it
    was read, the challenges' titles, and its due time in the driver's local time."""
    context: dict[str, Any] = {"escalation": escalation, "titles": {},
                               "due": local_time(escalation["due_at"]) + " (UTC)"}
    if not escalation["driver_id"]:
        return context
    platform, store = deps.platform(), deps.case_store()
    driver = platform.drivers.get(escalation["driver_id"])
    context["driver"] = driver.first_name
    context["due"] = local_time(escalation["due_at"], timezone_for_zone(driver.zone))
    context["titles"] = {a["subject_id"]: platform.incentives.get(a["subject_id"]).name
                         for a in escalation["recommended_actions"] if a.get("kind") == "incentive"}
    contact_id = contact_id_of(escalation["case_id"])
    raw = store.contact_as_received(contact_id) if contact_id else None
    if raw is not None:
        hidden = [*driver.name.split()[1:], driver.phone or "", driver.email or ""]
        context["message"] = masked(str(raw.get("text") or ""), hidden)
        context["channel"] = raw.get("channel")
    outcome = store.outcome_for(contact_id) if contact_id else None
    context["intent"] = outcome.intent if outcome else None
    return context


def open_approval_wait(deployment: str, escalation: dict[str, Any]) -> str:
    """An `await-agent-decision` run of the deployment for the escalation, suspended on its
    form from the start (created Running, so the server lets it suspend, and never picked up
    by a worker until resumed); its id.

    What `suspend_flow_run(flow_run_id=…, wait_for_input=…)` does, with the form saved on
    that run (Prefect 3.8.8 saves it on the calling run, so from a task it fails); the flow,
    once resumed, suspends under the same key and gets the agent's answer back."""
    suspended: State[Any] = Suspended(timeout_seconds=WAIT_S, pause_key=DECISION_KEY)
    keyset = keyset_from_paused_state(suspended)
    suspended.state_details.run_input_keyset = cast("dict[str, str]", keyset)
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
        summary = case_summary(escalation)
        approval_form(escalation, summary).save(keyset, flow_run_id=run.id)
        client.create_artifact(ArtifactCreate(  # the run's page shows the case before Resume
            flow_run_id=run.id, type="markdown", data=summary,
            description=f"The case of {escalation['id']}, for the agent who decides it"))
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
