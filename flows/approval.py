"""Waiting for an agent's decision in the Prefect UI: a typed form on the flow run."""

from __future__ import annotations

from typing import Any, Literal

from prefect import flow, get_run_logger
from prefect.flow_runs import pause_flow_run, suspend_flow_run
from prefect.input import RunInput
from pydantic_core import core_schema

from flows import deps
from flows.escalations import EscalationNotFound, execute_escalation, record_decision
from onetouch.render import render
from policy.approval import AgentDecision, ApprovalRefused

DECISION_KEY = "agent-decision"


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


def _wait(form: type[AgentDecisionInput], suspend: bool, timeout_s: int) -> AgentDecisionInput:
    if suspend:
        return suspend_flow_run(wait_for_input=form, timeout=timeout_s, key=DECISION_KEY)
    return pause_flow_run(wait_for_input=form, timeout=timeout_s, poll_interval=1,
                          key=DECISION_KEY)


@flow(name="await-agent-decision", flow_run_name="approve-{escalation_id}",
      persist_result=False)
def await_agent_decision(escalation_id: str, suspend: bool = True,
                         timeout_s: int = 86_400) -> dict[str, Any]:
    """Wait for an agent's form (unless the case was decided elsewhere), then carry it out."""
    escalation = deps.case_store().escalation(escalation_id)
    if escalation is None:
        raise EscalationNotFound(escalation_id)
    if escalation["status"] == "pending":
        description = render("agents/approval_form.md.j2", {"escalation": escalation})
        form = AgentDecisionInput.with_initial_data(description=description, agent="")
        answer = _wait(form, suspend, timeout_s)
        given = answer.model_dump(include=set(AgentDecision.model_fields))
        decision = AgentDecision(**given | {"agent": given["agent"].strip()})
        try:
            if not record_decision(escalation_id, decision):
                get_run_logger().info("%s was decided elsewhere first", escalation_id)
        except ApprovalRefused as exc:
            get_run_logger().warning("decision on %s refused: %s", escalation_id, exc)
            return {"escalation_id": escalation_id, "status": "pending", "refused": str(exc)}
    return execute_escalation(escalation_id)
