"""The resolve-contact flow's steps, each a Prefect task over the clients and the policy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import task
from prefect.cache_policies import NONE
from pydantic import ValidationError

from flows import deps, events
from flows.facts import collect_facts
from integrations import Conflict, NotFound, OutgoingNotification, PayAdjustment
from onetouch.models import Contact, Driver, Notification
from onetouch.outcomes import ContactOutcome, SentReply
from onetouch.render import render_reply, timezone_for_zone
from policy.case import CaseFacts, Decision, RemediationAction, Understanding
from policy.decide import decide


class ContactRejected(Exception):
    """The contact itself is invalid; the message says which field and why."""


@task(cache_policy=NONE)
def validate_contact(raw: dict[str, Any]) -> Contact:
    """A contact as received, checked field by field."""
    try:
        return Contact.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "contact"
        raise ContactRejected(f"field '{field}': {first['msg']}") from None


@task(cache_policy=NONE)
def store_contact(contact: Contact, raw: dict[str, Any]) -> bool:
    """Keep the contact as received before anything else happens to it."""
    return deps.case_store().store_contact(contact, raw)


@task(cache_policy=NONE)
def load_driver(contact: Contact) -> Driver:
    """The contact's driver; a contact from an unknown driver is rejected."""
    try:
        return deps.platform().drivers.get(contact.driver_id)
    except NotFound:
        raise ContactRejected(f"driver {contact.driver_id} does not exist") from None


@task(cache_policy=NONE)
def understand_message(contact: Contact) -> Understanding:
    """What the driver is asking about, from the text and the app's hint."""
    from understanding import understand

    return understand(contact, deps.intent_model())


@task(cache_policy=NONE)
def gather_facts(contact: Contact, driver: Driver, understanding: Understanding) -> CaseFacts:
    """The platform's facts bearing on the contact, at the platform's clock."""
    platform = deps.platform()
    now = platform.clock.now()
    return collect_facts(platform, contact, driver, understanding, now, deps.policy(),
                         deps.case_store().finding_links(driver.id))


@task(cache_policy=NONE)
def decide_case(facts: CaseFacts, understanding: Understanding) -> Decision:
    """The policy's decision (pure)."""
    return decide(facts, understanding, deps.policy())


@task(cache_policy=NONE, task_run_name="pay {action.kind} {action.subject_id}")
def pay_adjustment(action: RemediationAction, reference: str, source: str) -> RemediationAction:
    """Add the owed earning, under the policy's idempotency key."""
    subject = {"incentive_id" if action.kind == "incentive" else "offer_id": action.subject_id}
    adjustment = PayAdjustment(driver_id=action.driver_id, kind=action.kind, source=source,
                               amount_cents=action.amount_cents, reference=reference, **subject)
    deps.platform().earnings.adjust(adjustment, idempotency_key=action.idempotency_key)
    return action


@task(cache_policy=NONE, task_run_name="reissue {action.subject_id}")
def reissue_offer(action: RemediationAction, reference: str) -> RemediationAction:
    """Give the cancelled order back to the driver as a new offer."""
    result = deps.platform().offers.reissue(
        action.subject_id, idempotency_key=action.idempotency_key, reference=reference)
    return action.model_copy(update={"new_offer_id": result.value.id})


@task(cache_policy=NONE, task_run_name="retry deposit {action.subject_id}")
def retry_deposit(action: RemediationAction, reference: str) -> RemediationAction:
    """Send a failed deposit again."""
    deps.platform().payouts.retry_deposit(
        action.subject_id, idempotency_key=action.idempotency_key, reference=reference)
    return action


ACTION_TASKS = {"offer_reissue": reissue_offer, "deposit_retry": retry_deposit}


def carry_out(action: RemediationAction, reference: str, source: str, *, as_task: bool = True
              ) -> RemediationAction:
    """Run one remediation (as its own task unless the caller's task stands for a batch), and
    emit its event once the platform took it."""
    if action.type == "pay_adjustment":
        done = (pay_adjustment if as_task else pay_adjustment.fn)(action, reference, source)
    else:
        run = ACTION_TASKS[action.type]
        done = (run if as_task else run.fn)(action, reference)
    events.remediated(done, reference, source)
    return done


@task(cache_policy=NONE)
def render_driver_reply(decision: Decision, driver: Driver) -> tuple[str, str]:
    """The reply's subject and body, from its template, for the driver's segment and intent."""
    return render_reply(decision.reply, decision.case_id, timezone_for_zone(driver.zone),
                        intent=decision.intent)


@task(cache_policy=NONE)
def send_reply(decision: Decision, driver: Driver, subject: str, body: str) -> SentReply:
    """Send the reply once: a re-run finds the one already sent."""
    plan = decision.reply
    key = f"{decision.case_id}/{plan.template}"
    message = OutgoingNotification(driver_id=driver.id, channel=plan.channel, locale=plan.locale,
                                   subject=subject, body=body, reference=decision.case_id)
    sent = send_once(message, key)
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


@task(cache_policy=NONE)
def record_outcome(outcome: ContactOutcome, now: datetime | None = None,
                   answer_within_hours: int = 24) -> ContactOutcome:
    """Keep the outcome in the case store once per contact (an escalation due as promised)."""
    store = deps.case_store()
    if not store.record(outcome, now=now, answer_within_hours=answer_within_hours):
        return store.outcome_for(outcome.contact_id) or outcome
    return outcome


@task(cache_policy=NONE)
def recorded_outcome(contact_id: str) -> ContactOutcome | None:
    """The outcome already recorded for this contact, if any."""
    return deps.case_store().outcome_for(contact_id)
