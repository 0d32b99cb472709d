"""The decision for one contact: pure, from facts and the message's reading."""

from __future__ import annotations

from datetime import timedelta

from onetouch.models import Channel, ContactChannel
from policy.amounts import Assessment
from policy.case import (
    CaseFacts,
    Decision,
    Queue,
    RemediationAction,
    ReplyItem,
    ReplyPlan,
    Template,
    Understanding,
    case_id_for,
)
from policy.config import PolicyConfig
from policy.linking import hold_incident_findings, incident_of
from policy.money import dollars
from policy.segment_reply import segment_fields
from policy.subjects import (
    OFFER_INTENTS,
    assess_deposits,
    assess_incentives,
    assess_offer_intent,
    pay_breakdown,
)

ESCALATING_INTENTS: dict[str, Queue] = {
    "safety": "trust-safety",
    "deactivation": "account-review",
    "other": "general",
}


def decide(facts: CaseFacts, understanding: Understanding, policy: PolicyConfig) -> Decision:
    """Resolve in one touch, or escalate with the recommended actions and why."""
    intent = understanding.intent
    if intent in ESCALATING_INTENTS:
        return _escalate(facts, understanding, policy, ESCALATING_INTENTS[intent],
                         f"intent_{intent}", (f"intent {intent} always goes to an agent",), ())
    if facts.foreign_or_missing_ids:
        reason = "evidence mismatch: " + ", ".join(sorted(facts.foreign_or_missing_ids))
        return _escalate(facts, understanding, policy, "general", "evidence_mismatch",
                         (reason,), ())
    assessments, held_by = hold_incident_findings(
        facts, assess_intent(facts, understanding, policy))
    actions = tuple(a.action for a in assessments if a.action is not None)
    code, review = pay_review_reasons(facts, actions, policy)
    if review:
        return _escalate(facts, understanding, policy, "pay-review", code, review, actions)
    reason = "remediated" if actions else assessments[0].item.type
    return Decision(
        case_id=case_id_for(facts.contact.id), intent=intent,
        outcome="linked" if held_by else "resolved", actions=actions,
        incident_id=held_by or incident_of(facts, assessments), policy_version=policy.version,
        reason="linked_to_incident" if held_by else reason,
        reply=reply_plan(facts, understanding, "resolution", [a.item for a in assessments],
                         policy),
    )


def assess_intent(
    facts: CaseFacts, understanding: Understanding, policy: PolicyConfig
) -> list[Assessment]:
    """Every subject's verdict under the contact's intent."""
    intent = understanding.intent
    if intent in OFFER_INTENTS:
        return assess_offer_intent(facts, understanding, policy)
    if intent == "incentive_not_credited":
        return assess_incentives(facts, understanding, policy)
    if intent == "deposit_issue":
        return assess_deposits(facts, understanding, policy)
    if intent == "pay_question":
        return pay_breakdown(facts, understanding, policy)
    return [Assessment(item=ReplyItem(type="account_access_steps"))]


def recent_contact_remediations(facts: CaseFacts, policy: PolicyConfig) -> int:
    """The driver's `contact` earnings in the window before the contact."""
    received = facts.contact.received_at
    since = received - timedelta(days=policy.repeat_contact_window_days)
    return sum(1 for e in facts.earnings
               if e.source == "contact" and e.driver_id == facts.driver.id
               and since <= e.created_at < received)


def pay_review_reasons(
    facts: CaseFacts, actions: tuple[RemediationAction, ...], policy: PolicyConfig
) -> tuple[str, tuple[str, ...]]:
    """Why a paying case needs an agent, if it does: a reason code and the details."""
    total = sum(a.amount_cents or 0 for a in actions if a.type == "pay_adjustment")
    if total == 0:
        return "", ()
    codes, reasons = [], []
    if total > policy.case_pay_cap_cents:
        codes.append("over_case_cap")
        reasons.append(f"would pay {dollars(total)}, above the case cap of "
                       f"{dollars(policy.case_pay_cap_cents)}")
    repeats = recent_contact_remediations(facts, policy)
    if repeats >= policy.repeat_contact_limit:
        codes.append("repeat_contacts")
        reasons.append(f"{repeats} contact remediations in the last "
                       f"{policy.repeat_contact_window_days} days")
    return "+".join(codes), tuple(reasons)


def _escalate(
    facts: CaseFacts, understanding: Understanding, policy: PolicyConfig, queue: Queue,
    code: str, reasons: tuple[str, ...], recommended: tuple[RemediationAction, ...],
) -> Decision:
    plan = reply_plan(facts, understanding, "acknowledgement", [], policy)
    hours = policy.urgent_ack_hours if queue == "trust-safety" else policy.standard_ack_hours
    return Decision(
        case_id=case_id_for(facts.contact.id), intent=understanding.intent,
        outcome="escalated", queue=queue, recommended_actions=recommended, reason=code,
        reasons=reasons,
        policy_version=policy.version,
        reply=plan.model_copy(update={"queue": queue, "answer_within_hours": hours}),
    )


def _reply_channel(channel: ContactChannel) -> Channel:
    """A phone contact is answered by SMS, any other on its own channel."""
    return "sms" if channel == "phone" else channel


def reply_plan(facts: CaseFacts, understanding: Understanding, template: Template,
               items: list[ReplyItem], policy: PolicyConfig | None = None) -> ReplyPlan:
    """The reply's template, channel, language and facts (and the driver's segment)."""
    return ReplyPlan(
        template=template, channel=_reply_channel(facts.contact.channel),
        locale=understanding.language or facts.driver.locale,
        first_name=facts.driver.first_name, items=tuple(items),
        **(segment_fields(facts, policy, template, items) if policy else {}),
    )


def escalate_unfinished(
    decision: Decision, done: tuple[RemediationAction, ...], failure: str,
    policy: PolicyConfig,
) -> Decision:
    """A case the platform would not remediate: what was done stays, the rest goes to an agent."""
    finished = {a.idempotency_key for a in done}
    remaining = tuple(a for a in decision.actions if a.idempotency_key not in finished)
    assert decision.reply is not None
    reply = decision.reply.model_copy(update={
        "template": "acknowledgement", "items": (), "queue": "general",
        "answer_within_hours": policy.standard_ack_hours})
    return decision.model_copy(update={
        "outcome": "escalated", "queue": "general", "actions": done,
        "recommended_actions": remaining, "reason": "platform_refused",
        "reasons": (*decision.reasons, failure),
        "reply": reply})
