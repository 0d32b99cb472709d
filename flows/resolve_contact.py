"""Resolving one driver contact, in one touch or escalated: the steps in order.

`resolve` is the one path a contact takes, wherever it runs: inside the `resolve-contact`
background task a resolver serves (flows/resolver.py: production, replay, the demo), or
inside the `resolve-contact` flow kept for a re-run from a deployment and for comparing with
the process-per-contact path it replaced (benchmarks/throughput.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.client.orchestration import get_client
from prefect.runtime import flow_run

from flows import deps, events
from flows.agent_queues import announce_escalation, start_approval_wait
from flows.contact_params import keep_contact_id_only
from flows.escalations import close_joined
from flows.failpoints import failpoint
from flows.pay_review import watch_automatic_pay
from flows.tasks import (
    carry_out_all,
    decide_case,
    gather_facts,
    receive,
    record,
    reply_to_driver,
    understand_message,
)
from onetouch.models import Contact
from onetouch.outcomes import ContactOutcome, SentReply
from policy.case import Decision, escalation_id_for


def resolve(contact: dict[str, Any]) -> ContactOutcome:
    """Receive, understand, gather facts, decide, remediate, reply, record; escalate.

    `contact` is the whole contact, or `{"id": …}` for one the case store keeps.
    """
    received = receive(contact)
    if isinstance(received, ContactOutcome):  # recorded before: its form open, nothing redone
        if received.outcome == "escalated":
            assert received.contact_id is not None
            _wait_for_agent(escalation_id_for(received.contact_id))
        return received
    checked, driver = received
    policy = deps.policy()
    understanding = understand_message(checked)
    facts = gather_facts(checked, driver, understanding, policy)
    decision = decide_case(facts, understanding, policy)
    if decision.actions:
        failpoint("before_payment", decision.case_id)
    decision = carry_out_all(decision, policy)
    failpoint("after_payment", checked.id)
    reply = reply_to_driver(decision, driver)
    failpoint("after_reply", checked.id)
    outcome = record_case(decision, checked, reply, facts.now)
    failpoint("after_record", checked.id)
    if outcome.outcome == "escalated":
        open_escalation(escalation_id_for(checked.id))
    return outcome


@task(cache_policy=NONE, task_run_name="{decision.case_id} · record")
def record_case(decision: Decision, contact: Contact, reply: SentReply, now: datetime
                ) -> ContactOutcome:
    """The outcome kept once (an escalation due as promised), announced as an event, and
    automatic pay watched over the hour."""
    assert decision.reply is not None
    outcome = record(_outcome(decision, contact, reply), now,
                     decision.reply.answer_within_hours or 24)
    events.case_recorded(outcome)
    watch_automatic_pay.fn(decision.actions, now, decision.case_id)
    return outcome


@task(cache_policy=NONE, task_run_name="{escalation_id} · escalate")
def open_escalation(escalation_id: str) -> str | None:
    """Tell the escalation's queue, and open its approval form in the Prefect UI; one that
    joined an earlier escalation about the same subject is closed with it instead (now, if
    that one is done)."""
    if not (deps.case_store().escalation(escalation_id) or {}).get("joined_to"):
        announce_escalation.fn(escalation_id)
    return _wait_for_agent(escalation_id)


def _wait_for_agent(escalation_id: str) -> str | None:
    """The escalation's approval form, or (one that joined another) its closing with it."""
    if (deps.case_store().escalation(escalation_id) or {}).get("joined_to"):
        close_joined(escalation_id)
        return None
    return start_approval_wait.fn(escalation_id)


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


def outcome_tags(outcome: ContactOutcome) -> list[str]:
    """The run's tags for an outcome: `outcome:…`, `intent:…`, `queue:…` (searchable)."""
    tags = [f"outcome:{outcome.outcome}"]
    if outcome.intent:
        tags.append(f"intent:{outcome.intent}")
    if outcome.queue:
        tags.append(f"queue:{outcome.queue}")
    return tags


def _run_name() -> str:
    contact = flow_run.parameters.get("contact") or {}
    return f"contact-{contact.get('id', 'unknown')}" if isinstance(contact, dict) else "contact"


@keep_contact_id_only  # Prefect keeps {"id": …} only: the text may hold personal data
@flow(name="resolve-contact", flow_run_name=_run_name, persist_result=False)
def resolve_contact(contact: dict[str, Any]) -> dict[str, Any]:
    """One contact as a flow run of its own (a re-run from the deployment, or the process-per-
    contact path a benchmark compares against); the resolvers run the same steps as a task."""
    outcome = resolve(contact)
    get_run_logger().info("contact %s: %s %s", outcome.contact_id, outcome.intent,
                          outcome.outcome)
    with get_client(sync_client=True) as client:
        client.update_flow_run(flow_run.id, tags=sorted({*flow_run.tags,
                                                         *outcome_tags(outcome)}))
    return outcome.line()
