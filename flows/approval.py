"""Waiting for an agent's decision in the Prefect UI or from the CLI: a typed form on the flow
run, whose final state names who decided."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.flow_runs import pause_flow_run, suspend_flow_run
from prefect.states import Completed, State

from flows import deps
from flows.approval_form import (
    DECISION_KEY,
    WAIT_S,
    AgentDecisionInput,
    approval_form,
    case_summary,
)
from flows.escalations import (
    EscalationNotFound,
    decided_by,
    execute_escalation,
    record_decision,
)
from policy.approval import AgentDecision, ApprovalRefused

MAX_ANSWERS = 20


def _wait(form: type[AgentDecisionInput], suspend: bool, timeout_s: int, key: str
          ) -> AgentDecisionInput:
    if suspend:
        return suspend_flow_run(wait_for_input=form, timeout=timeout_s, key=key)
    return pause_flow_run(wait_for_input=form, timeout=timeout_s, poll_interval=1, key=key)


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
    end in a state that names the decider. A `late_decision` (sent once this escalation's form
    was answered or expired) is taken if the case is still pending, else refused and audited."""
    if late_decision is not None:
        decision = AgentDecision.model_validate(late_decision)
        if _escalation(escalation_id)["status"] != "pending":
            return _refused(escalation_id, decision)
        refused = _record(escalation_id, decision)
        if refused is not None:
            return refused
    elif _escalation(escalation_id)["status"] == "pending":
        refused = _decision_from_the_form(escalation_id, suspend, timeout_s)
        if refused is not None:
            return refused
    result = execute_escalation(escalation_id)
    return Completed(message=f"{decided_by(_escalation(escalation_id))}; carried out",
                     data=result)


def _decision_from_the_form(escalation_id: str, suspend: bool, timeout_s: int) -> State | None:
    """Ask until a decision the policy allows is recorded (each refusal asks again, on a form
    of its own that says why); a final state if it was decided elsewhere first."""
    why = ""
    for attempt in range(MAX_ANSWERS):
        key = DECISION_KEY if attempt == 0 else f"{DECISION_KEY}-{attempt}"
        escalation = _escalation(escalation_id)
        form = approval_form(escalation, why + case_summary(escalation))
        answer = _wait(form, suspend, timeout_s, key)
        given = answer.model_dump(include=set(AgentDecision.model_fields))
        decision = AgentDecision(**given | {"agent": given["agent"].strip()})
        try:
            return _record(escalation_id, decision, ask_again=True)
        except ApprovalRefused as exc:
            get_run_logger().warning("decision on %s refused: %s; asking again",
                                     escalation_id, exc)
            why = f"**{decision.agent}'s decision was refused:** {exc}\n\n"
    return Completed(name="Refused", message=f"{MAX_ANSWERS} decisions refused in a row")


def _record(escalation_id: str, decision: AgentDecision, ask_again: bool = False
            ) -> State | None:
    """None once recorded; a final state if it was decided first elsewhere or (unless the form
    asks again) the policy refuses it."""
    try:
        if record_decision(escalation_id, decision):
            return None
    except ApprovalRefused as exc:
        if ask_again:
            raise
        return Completed(name="Refused", message=f"{decision.agent}'s decision refused: {exc}")
    return _refused(escalation_id, decision, audited=True)


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
