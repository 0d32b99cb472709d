"""Waiting for an agent's decision in the Prefect UI or from the CLI: a typed form on the flow
run, whose final state names who decided."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.flow_runs import pause_flow_run, suspend_flow_run
from prefect.states import Completed, State

from flows import deps
from flows.approval_form import DECISION_KEY, WAIT_S, AgentDecisionInput, approval_form
from flows.escalations import (
    EscalationNotFound,
    decided_by,
    execute_escalation,
    record_decision,
)
from policy.approval import AgentDecision, ApprovalRefused


def _wait(form: type[AgentDecisionInput], suspend: bool, timeout_s: int) -> AgentDecisionInput:
    if suspend:
        return suspend_flow_run(wait_for_input=form, timeout=timeout_s, key=DECISION_KEY)
    return pause_flow_run(wait_for_input=form, timeout=timeout_s, poll_interval=1,
                          key=DECISION_KEY)


def _escalation(escalation_id: str) -> dict[str, Any]:
    escalation = deps.case_store().escalation(escalation_id)
    if escalation is None:
        raise EscalationNotFound(escalation_id)
    return escalation


@flow(name="await-agent-decision", flow_run_name="approve-{escalation_id}",
      persist_result=False)
def await_agent_decision(escalation_id: str, suspend: bool = True, timeout_s: int = WAIT_S,
                         late_decision: dict[str, Any] | None = None) -> State:
    """Wait for an agent's decision (unless the case was decided already), carry it out, and
    end in a state that names the decider. A `late_decision` (one sent after this
    escalation's form was answered) is refused and audited, never carried out."""
    if late_decision is not None:
        return _refused(escalation_id, AgentDecision.model_validate(late_decision))
    if _escalation(escalation_id)["status"] == "pending":
        answer = _wait(approval_form(_escalation(escalation_id)), suspend, timeout_s)
        given = answer.model_dump(include=set(AgentDecision.model_fields))
        decision = AgentDecision(**given | {"agent": given["agent"].strip()})
        try:
            if not record_decision(escalation_id, decision):
                return _refused(escalation_id, decision, audited=True)
        except ApprovalRefused as exc:
            get_run_logger().warning("decision on %s refused: %s", escalation_id, exc)
            return Completed(name="Refused", message=f"{decision.agent}'s decision refused: {exc}",
                             data={"escalation_id": escalation_id, "status": "pending",
                                   "refused": str(exc)})
    result = execute_escalation(escalation_id)
    return Completed(message=f"{decided_by(_escalation(escalation_id))}; carried out",
                     data=result)


def _refused(escalation_id: str, decision: AgentDecision, audited: bool = False) -> State:
    """A decision after the first one: audited, logged, and named in the run's final state."""
    if not audited:
        deps.case_store().refuse_decision(escalation_id, decision.model_dump(mode="json"))
    if _escalation(escalation_id)["status"] in ("approved", "rejected"):
        execute_escalation(escalation_id)  # the first decision, carried out if a crash stopped it
    first = decided_by(_escalation(escalation_id))
    get_run_logger().warning("%s's decision on %s refused: already %s", decision.agent,
                             escalation_id, first)
    return Completed(name="Refused", message=f"{decision.agent}'s decision refused: already "
                     f"{first}", data={"escalation_id": escalation_id, "refused": first})
