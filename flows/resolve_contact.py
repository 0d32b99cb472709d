"""The resolve-contact flow: one driver contact, resolved in one touch or escalated."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.client.orchestration import get_client
from prefect.runtime import flow_run

from flows import deps, events
from flows.agent_queues import announce_escalation, start_approval_wait
from flows.contact_params import contact_as_received, is_reference, keep_contact_id_only
from flows.failpoints import failpoint
from flows.pay_review import watch_automatic_pay
from flows.payments_safety import gate_decision
from flows.tasks import (
    ContactRejected,
    carry_out,
    decide_case,
    gather_facts,
    load_driver,
    record_outcome,
    recorded_outcome,
    render_driver_reply,
    send_reply,
    store_contact,
    understand_message,
    validate_contact,
)
from integrations import PlatformError
from onetouch.models import Contact
from onetouch.outcomes import ContactOutcome, SentReply, rejected
from policy.case import Decision, RemediationAction, case_id_for, escalation_id_for
from policy.decide import escalate_unfinished


def _run_name() -> str:
    contact = flow_run.parameters.get("contact") or {}
    return f"contact-{contact.get('id', 'unknown')}" if isinstance(contact, dict) else "contact"


@keep_contact_id_only  # Prefect keeps {"id": …} only: the text may hold personal data
@flow(name="resolve-contact", flow_run_name=_run_name, persist_result=False)
def resolve_contact(contact: dict[str, Any]) -> dict[str, Any]:
    """Validate, gather facts, understand, decide, remediate, reply, record.

    `contact` is the whole contact, or `{"id": …}` for one the case store keeps (the intake's
    event, a re-run from the UI): see flows/contact_params.py.
    """
    if is_reference(contact):
        contact = contact_as_received(contact["id"]) or contact  # not stored: refused below
    try:
        checked = validate_contact(contact)
    except ContactRejected as exc:
        return _finish(_rejected(contact, str(exc)))
    store_contact(checked, contact)
    try:
        driver = load_driver(checked)
    except ContactRejected as exc:
        refused = _rejected(contact, str(exc))
        return _finish(record_outcome(refused.model_copy(
            update={"case_id": case_id_for(checked.id)})))
    earlier = recorded_outcome(checked.id)
    if earlier is not None:
        return _finish(earlier)
    understanding = understand_message(checked)
    facts = gather_facts(checked, driver, understanding)
    decision = keep_decision(decide_case(facts, understanding), facts.now)
    decision = carry_out_all(gate_decision(decision, facts.now))
    failpoint("after_payment", checked.id)
    subject, body = render_driver_reply(decision, driver)
    reply = send_reply(decision, driver, subject, body)
    failpoint("after_reply", checked.id)
    outcome = record_outcome(_outcome(decision, checked, reply), facts.now,
                             decision.reply.answer_within_hours or 24)
    events.case_recorded(outcome)
    watch_automatic_pay(decision.actions, facts.now, decision.case_id)
    if outcome.outcome == "escalated":
        announce_escalation(escalation_id_for(checked.id))
        start_approval_wait(escalation_id_for(checked.id))
    return _finish(outcome)


@task(cache_policy=NONE)
def keep_decision(decision: Decision, now: datetime) -> Decision:
    """The case's first decision: one an earlier run kept before it died is carried out, not
    taken again (the platform would show that run's payments as already made); a decision
    that remediates is kept before any of it is carried out."""
    store = deps.case_store()
    earlier = store.decision_taken(decision.case_id)
    if earlier is None and decision.actions:
        store.remember_decision(decision.case_id, decision.model_dump(mode="json"), now)
        earlier = store.decision_taken(decision.case_id)  # two racing runs: the first kept wins
    if earlier is None:
        return decision
    kept = Decision.model_validate(earlier)
    if kept != decision:
        get_run_logger().info("case %s: carrying out the decision kept by an earlier run",
                              decision.case_id)
    return kept


def carry_out_all(decision: Decision) -> Decision:
    """Each remediation as its own task; one the platform refuses sends the rest to an agent."""
    if not decision.actions:
        return decision
    done: list[RemediationAction] = []
    failpoint("before_payment", decision.case_id)
    with deps.guard("payments"):
        for action in decision.actions:
            try:
                done.append(carry_out(action, decision.case_id, "contact"))
            except PlatformError as exc:
                failure = f"platform refused {action.type} {action.subject_id}: {exc}"
                return escalate_unfinished(decision, tuple(done), failure, deps.policy())
    return decision.model_copy(update={"actions": tuple(done)})


def _outcome(decision: Decision, contact: Contact, reply: SentReply) -> ContactOutcome:
    return ContactOutcome(
        contact_id=contact.id, driver_id=contact.driver_id,
        intent=decision.intent, outcome=decision.outcome, queue=decision.queue,
        actions=[a.outcome_view() for a in decision.actions],
        recommended_actions=[a.outcome_view() for a in decision.recommended_actions],
        incident_id=decision.incident_id, reply=reply, case_id=decision.case_id,
        policy_version=decision.policy_version,
        reason=decision.reason, reasons=list(decision.reasons),
    )


def _rejected(raw: Any, reason: str) -> ContactOutcome:
    fields = raw if isinstance(raw, dict) else {}
    ident = fields.get("id") if isinstance(fields.get("id"), str) else None
    driver = fields.get("driver_id") if isinstance(fields.get("driver_id"), str) else None
    return rejected(ident, driver, reason)


def _finish(outcome: ContactOutcome) -> dict[str, Any]:
    get_run_logger().info("contact %s: %s %s", outcome.contact_id, outcome.intent,
                          outcome.outcome)
    _tag_run(outcome)
    return outcome.line()


def _tag_run(outcome: ContactOutcome) -> None:
    """Tag the flow run with intent and outcome, so the Prefect UI reads at a glance."""
    tags = [f"outcome:{outcome.outcome}"] + ([f"intent:{outcome.intent}"] if outcome.intent else [])
    if outcome.queue:
        tags.append(f"queue:{outcome.queue}")
    with get_client(sync_client=True) as client:
        client.update_flow_run(flow_run.id, tags=sorted({*flow_run.tags, *tags}))
