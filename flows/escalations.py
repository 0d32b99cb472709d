"""Escalations: an agent's decision recorded once, then carried out exactly once."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE

from flows import deps, events
from flows.detection import finish_incident
from flows.tasks import carry_out, paid_for_another_case
from integrations import Conflict, OutgoingNotification
from onetouch.render import render_reply, timezone_for_zone
from policy.approval import AgentDecision, ApprovalRefused, approved_actions, final_reply_items
from policy.case import KEY_KINDS, RemediationAction, ReplyPlan, idempotency_key


class EscalationNotFound(LookupError):
    """No escalation has that id."""


def record_decision(escalation_id: str, decision: AgentDecision) -> bool:
    """Check the decision against the case and record it if still pending; False if decided."""
    store = deps.case_store()
    escalation = store.escalation(escalation_id)
    if escalation is None:
        raise EscalationNotFound(escalation_id)
    if escalation.get("joined_to"):
        raise ApprovalRefused(f"it joined {escalation['joined_to']}, about the same subject: "
                              f"decide that one, which closes both")
    recommended = [_action(a, escalation) for a in escalation["recommended_actions"]]
    approved_actions(recommended, decision, escalation["requested_by"])
    decided = store.decide(escalation_id, decision.verdict, decision.model_dump(mode="json"))
    if decided:
        events.escalation_decided(escalation, decision)
    else:
        store.refuse_decision(escalation_id, decision.model_dump(mode="json"))
    return decided


def decided_by(escalation: dict[str, Any]) -> str:
    """Who decided the escalation, for a run's final state: "approved by kim"."""
    verdict = (escalation.get("decision") or {}).get("verdict")
    if verdict is None:
        return "not decided"
    return f"{'approved' if verdict == 'approve' else 'rejected'} by {escalation['decided_by']}"


def _action(view: dict[str, Any], escalation: dict[str, Any]) -> RemediationAction:
    kind = view.get("kind") or KEY_KINDS[view["type"]]
    driver_id = view.get("driver_id") or escalation["driver_id"]
    return RemediationAction(
        type=view["type"], driver_id=driver_id, subject_id=view["subject_id"],
        kind=view.get("kind"), amount_cents=view.get("amount_cents"),
        idempotency_key=idempotency_key(driver_id, view["subject_id"], kind))


@task(cache_policy=NONE)
def load_decided(escalation_id: str) -> dict[str, Any]:
    """The escalation, which must exist."""
    escalation = deps.case_store().escalation(escalation_id)
    if escalation is None:
        raise EscalationNotFound(escalation_id)
    return escalation


@task(cache_policy=NONE)
def send_final_reply(escalation: dict[str, Any], done: tuple[RemediationAction, ...]) -> None:
    """Tell the driver what the agent decided and what was done, once."""
    platform = deps.platform()
    driver = platform.drivers.get(escalation["driver_id"])
    ack = escalation["reply"] or {"channel": "chat", "locale": driver.locale}
    plan = ReplyPlan(template="final", channel=ack["channel"], locale=ack["locale"],
                     first_name=driver.first_name,
                     items=final_reply_items(escalation["decision"]["verdict"], done,
                                             _challenge_titles(platform, done)))
    subject, body = render_reply(plan, escalation["case_id"], timezone_for_zone(driver.zone))
    message = OutgoingNotification(driver_id=driver.id, channel=plan.channel,
                                   locale=plan.locale, subject=subject, body=body,
                                   reference=escalation["case_id"])
    try:
        with deps.guard("notifications"):
            platform.notifications.send(message, idempotency_key=f"{escalation['case_id']}/final")
    except Conflict:
        get_run_logger().info("final reply for %s was already sent", escalation["case_id"])


def _challenge_titles(platform: Any, done: tuple[RemediationAction, ...]) -> dict[str, str]:
    """The title of each challenge paid, so the reply names it as the driver saw it."""
    return {a.subject_id: platform.incentives.get(a.subject_id).name
            for a in done if a.kind == "incentive"}


@flow(name="execute-escalation", flow_run_name="execute-{escalation_id}", persist_result=False)
def execute_escalation(escalation_id: str) -> dict[str, Any]:
    """Carry out a decided escalation, then close those that joined it; running it again
    changes nothing."""
    result = _carry_out(escalation_id)
    for joined_id in deps.case_store().joined(escalation_id):
        close_joined(joined_id)
    return result


def close_joined(escalation_id: str) -> bool:
    """Close an escalation that joined another about the same subject, once that one is done:
    the same decision, nothing paid twice (what was paid under the subject's key is what the
    driver is told), a final reply; False while the first is not done."""
    store = deps.case_store()
    joined = store.escalation(escalation_id)
    first = store.escalation(joined["joined_to"]) if joined and joined.get("joined_to") else None
    if first is None or first["status"] != "done":
        return False
    store.decide(escalation_id, first["decision"]["verdict"], first["decision"])
    _carry_out(escalation_id)
    return True


def _carry_out(escalation_id: str) -> dict[str, Any]:
    escalation = load_decided(escalation_id)
    if escalation["status"] not in ("approved", "rejected", "done"):
        return {"escalation_id": escalation_id, "status": escalation["status"], "actions": []}
    decision = AgentDecision.model_validate(escalation["decision"])
    recommended = [_action(a, escalation) for a in escalation["recommended_actions"]]
    try:
        actions = approved_actions(recommended, decision, escalation["requested_by"])
    except ApprovalRefused:
        actions = ()
    with deps.guard("payments"):
        done = tuple(_paid_or_carried_out(a, escalation["case_id"]) for a in actions)
    if escalation["driver_id"]:
        send_final_reply(escalation, done)
    else:
        finish_incident(escalation["case_id"], decision.verdict, done, decision.agent)
    effects = [a.outcome_view() for a in done]
    if deps.case_store().finish(escalation_id, effects, decision.agent):
        events.escalation_executed(escalation, decision, effects)
    return {"escalation_id": escalation_id, "status": "done", "actions": effects}


def _paid_or_carried_out(action: RemediationAction, case_id: str) -> RemediationAction:
    """The action as another case about the same subject paid it under its key, else carried
    out now (again after a crash: the same key and body, paid once)."""
    if action.type == "pay_adjustment" and (
            paid := paid_for_another_case(action, case_id)) is not None:
        return action.model_copy(update={"amount_cents": paid})
    return carry_out(action, case_id, "agent")
