"""The steps of resolving a contact, each a Prefect task over the clients and the policy.

A step is one task run in the Prefect UI, named for what it does; a contact takes six of
them plus one per remediation (each task run costs the server a few events, so the steps are
what an operator reads, not every function call).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from prefect import task
from prefect.cache_policies import NONE
from prefect.runtime import task_run
from pydantic import ValidationError

from flows import deps, events
from flows.contact_params import is_reference
from flows.facts import collect_facts
from flows.payments_safety import gate_decision
from integrations import Conflict, NotFound, OutgoingNotification, PayAdjustment, PlatformError
from integrations.actions import RemediationSource
from onetouch.models import Contact, Driver, Notification
from onetouch.outcomes import ContactOutcome, SentReply, rejected
from onetouch.render import render_reply, timezone_for_zone
from policy.case import CaseFacts, Decision, RemediationAction, Understanding, case_id_for
from policy.config import PolicyConfig
from policy.decide import decide, escalate_unfinished

LOG = logging.getLogger("onetouch.contacts")


class ContactRejected(Exception):
    """The contact itself is invalid; the message says which field and why."""


def validate_contact(raw: dict[str, Any]) -> Contact:
    """A contact as received, checked field by field."""
    try:
        return Contact.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "contact"
        raise ContactRejected(f"field '{field}': {first['msg']}") from None


@task(cache_policy=NONE, task_run_name=lambda: f"{_case_of_raw()} · receive")
def receive(raw: dict[str, Any]) -> tuple[Contact, Driver] | ContactOutcome:
    """The contact kept as received, and its driver; or the outcome it already has, or the
    rejection of an invalid contact or an unknown driver (recorded once it has a case).
    A contact given by its id alone is read back as the case store keeps it."""
    store = deps.case_store()
    if is_reference(raw):
        stored = store.contact_as_received(raw["id"])
        if stored is None:
            LOG.warning("contact %s is not in the case store", raw["id"])
        raw = stored or raw  # not stored: refused below as an invalid contact
    try:
        contact = validate_contact(raw)
    except ContactRejected as exc:
        return rejected_outcome(raw, str(exc))
    store.store_contact(contact, raw)
    earlier = store.outcome_for(contact.id)
    if earlier is not None:
        return earlier
    try:
        return contact, deps.platform().drivers.get(contact.driver_id)
    except NotFound:
        refused = rejected_outcome(raw, f"driver {contact.driver_id} does not exist")
        return record(refused.model_copy(update={"case_id": case_id_for(contact.id)}))


def _case_of_raw() -> str:
    raw = task_run.parameters.get("raw")
    ident = raw.get("id") if isinstance(raw, dict) else None
    return case_id_for(ident) if isinstance(ident, str) else "case-?"


def rejected_outcome(raw: Any, reason: str) -> ContactOutcome:
    """The outcome of a contact that could not be accepted, with what ids it had."""
    fields = raw if isinstance(raw, dict) else {}
    ident = fields.get("id") if isinstance(fields.get("id"), str) else None
    driver = fields.get("driver_id") if isinstance(fields.get("driver_id"), str) else None
    return rejected(ident, driver, reason)


@task(cache_policy=NONE, task_run_name="case-{contact.id} · understand")
def understand_message(contact: Contact) -> Understanding:
    """What the driver is asking about, from the text and the app's hint."""
    from understanding import understand

    return understand(contact, deps.intent_model())


@task(cache_policy=NONE, task_run_name="case-{contact.id} · gather facts")
def gather_facts(contact: Contact, driver: Driver, understanding: Understanding,
                 policy: PolicyConfig) -> CaseFacts:
    """The platform's facts bearing on the contact, at the platform's clock."""
    platform = deps.platform()
    now = platform.clock.now()
    return collect_facts(platform, contact, driver, understanding, now, policy,
                         deps.case_store().finding_links(driver.id))


@task(cache_policy=NONE, task_run_name="case-{facts.contact.id} · decide")
def decide_case(facts: CaseFacts, understanding: Understanding, policy: PolicyConfig
                ) -> Decision:
    """The policy's decision, kept before any of it is carried out (or the one an earlier run
    kept), as the kill switch and the hourly caps let it go out now."""
    decision = keep_decision(decide(facts, understanding, policy), facts.now)
    return gate_decision(decision, facts.now, policy)


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
        LOG.info("case %s: carrying out the decision kept by an earlier run", decision.case_id)
    return kept


def carry_out_all(decision: Decision, policy: PolicyConfig) -> Decision:
    """Each remediation as its own task; one the platform refuses sends the rest to an agent."""
    if not decision.actions:
        return decision
    done: list[RemediationAction] = []
    with deps.guard("payments"):
        for action in decision.actions:
            try:
                done.append(carry_out(action, decision.case_id, "contact"))
            except PlatformError as exc:
                failure = f"platform refused {action.type} {action.subject_id}: {exc}"
                return escalate_unfinished(decision, tuple(done), failure, policy)
    return decision.model_copy(update={"actions": tuple(done)})


@task(cache_policy=NONE, task_run_name="{reference} · pay {action.kind} {action.subject_id}")
def pay_adjustment(action: RemediationAction, reference: str, source: RemediationSource
                   ) -> RemediationAction:
    """Add the owed earning, under the policy's idempotency key."""
    assert action.kind is not None and action.amount_cents is not None
    subject = {"incentive_id" if action.kind == "incentive" else "offer_id": action.subject_id}
    adjustment = PayAdjustment(driver_id=action.driver_id, kind=action.kind, source=source,
                               amount_cents=action.amount_cents, reference=reference, **subject)
    deps.platform().earnings.adjust(adjustment, idempotency_key=action.idempotency_key)
    return action


def paid_for_another_case(action: RemediationAction, reference: str) -> int | None:
    """What the platform already paid under the action's key for another case about the same
    subject (its body names that case, so this one's would be refused), or None."""
    earnings = deps.platform().earnings.list(driver_id=action.driver_id, kind=action.kind)
    return next((e.amount_cents for e in earnings if e.idempotency_key == action.idempotency_key
                 and e.reference != reference), None)


@task(cache_policy=NONE, task_run_name="{reference} · reissue {action.subject_id}")
def reissue_offer(action: RemediationAction, reference: str) -> RemediationAction:
    """Give the cancelled order back to the driver as a new offer."""
    result = deps.platform().offers.reissue(
        action.subject_id, idempotency_key=action.idempotency_key, reference=reference)
    return action.model_copy(update={"new_offer_id": result.value.id})


@task(cache_policy=NONE, task_run_name="{reference} · retry deposit {action.subject_id}")
def retry_deposit(action: RemediationAction, reference: str) -> RemediationAction:
    """Send a failed deposit again."""
    deps.platform().payouts.retry_deposit(
        action.subject_id, idempotency_key=action.idempotency_key, reference=reference)
    return action


ACTION_TASKS = {"offer_reissue": reissue_offer, "deposit_retry": retry_deposit}


def carry_out(action: RemediationAction, reference: str, source: RemediationSource, *,
              as_task: bool = True) -> RemediationAction:
    """Run one remediation (as its own task unless the caller's task stands for a batch), and
    emit its event once the platform took it."""
    if action.type == "pay_adjustment":
        done = (pay_adjustment if as_task else pay_adjustment.fn)(action, reference, source)
    else:
        run = ACTION_TASKS[action.type]
        done = (run if as_task else run.fn)(action, reference)
    events.remediated(done, reference, source)
    return done


def render_driver_reply(decision: Decision, driver: Driver) -> tuple[str, str]:
    """The reply's subject and body, from its template, for the driver's segment and intent."""
    return render_reply(decision.reply, decision.case_id, timezone_for_zone(driver.zone),
                        intent=decision.intent)


@task(cache_policy=NONE, task_run_name="{decision.case_id} · reply")
def reply_to_driver(decision: Decision, driver: Driver) -> SentReply:
    """Render the reply and send it once: a re-run finds the one already sent."""
    subject, body = render_driver_reply(decision, driver)
    plan = decision.reply
    assert plan is not None
    message = OutgoingNotification(driver_id=driver.id, channel=plan.channel, locale=plan.locale,
                                   subject=subject, body=body, reference=decision.case_id)
    sent = send_once(message, f"{decision.case_id}/{plan.template}")
    return SentReply(channel=sent.channel, locale=sent.locale, text=sent.body)


def send_once(message: OutgoingNotification, key: str) -> Notification:
    """Send a message under its key; a re-run gets the one already sent under it."""
    notifications = deps.platform().notifications
    try:
        with deps.guard("notifications"):
            return notifications.send(message, idempotency_key=key).value
    except Conflict:
        sent = notifications.find(key)
        if sent is None:
            raise
        return sent


def record(outcome: ContactOutcome, now: datetime | None = None,
           answer_within_hours: int = 24) -> ContactOutcome:
    """Keep the outcome in the case store once per contact (an escalation due as promised);
    the one recorded first when another run got there before."""
    store = deps.case_store()
    if store.record(outcome, now=now, answer_within_hours=answer_within_hours):
        return outcome
    earlier = None if outcome.contact_id is None else store.outcome_for(outcome.contact_id)
    return earlier or outcome
