"""Waiting for an agent's decision in the Prefect UI: a typed form on the flow run."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.flow_runs import pause_flow_run, suspend_flow_run

from flows import deps
from flows.approval_form import DECISION_KEY, WAIT_S, AgentDecisionInput, approval_form
from flows.escalations import EscalationNotFound, execute_escalation, record_decision
from policy.approval import AgentDecision, ApprovalRefused


def _wait(form: type[AgentDecisionInput], suspend: bool, timeout_s: int) -> AgentDecisionInput:
    if suspend:
        return suspend_flow_run(wait_for_input=form, timeout=timeout_s, key=DECISION_KEY)
    return pause_flow_run(wait_for_input=form, timeout=timeout_s, poll_interval=1,
                          key=DECISION_KEY)


@flow(name="await-agent-decision", flow_run_name="approve-{escalation_id}",
      persist_result=False)
def await_agent_decision(escalation_id: str, suspend: bool = True,
                         timeout_s: int = WAIT_S) -> dict[str, Any]:
    """Wait for an agent's form (unless the case was decided elsewhere), then carry it out."""
    escalation = deps.case_store().escalation(escalation_id)
    if escalation is None:
        raise EscalationNotFound(escalation_id)
    if escalation["status"] == "pending":
        answer = _wait(approval_form(escalation), suspend, timeout_s)
        given = answer.model_dump(include=set(AgentDecision.model_fields))
        decision = AgentDecision(**given | {"agent": given["agent"].strip()})
        try:
            if not record_decision(escalation_id, decision):
                get_run_logger().info("%s was decided elsewhere first", escalation_id)
        except ApprovalRefused as exc:
            get_run_logger().warning("decision on %s refused: %s", escalation_id, exc)
            return {"escalation_id": escalation_id, "status": "pending", "refused": str(exc)}
    return execute_escalation(escalation_id)
