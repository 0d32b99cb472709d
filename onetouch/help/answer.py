"""What the help answer says: the contact path's decision on the driver's facts (pure)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from onetouch.models import Contact, Locale
from policy.case import CaseFacts, RemediationAction, ReplyItem, Understanding, case_id_for
from policy.config import PolicyConfig
from policy.decide import ESCALATING_INTENTS, assess_intent, decide
from policy.linking import hold_incident_findings
from policy.segment_reply import driver_segment
from policy.segments import Segment

QUERY_CONTACT_ID = "help-query"


class HelpPlan(BaseModel):
    """The answer's facts, what is owed, and the contact that would resolve it."""

    model_config = ConfigDict(frozen=True)

    intent: str
    locale: Locale
    segment: Segment
    outcome: str
    queue: str | None = None
    items: tuple[ReplyItem, ...] = ()
    goals: tuple[ReplyItem, ...] = ()
    owed: tuple[RemediationAction, ...] = ()
    contact_id: str | None = None

    @property
    def case_id(self) -> str | None:
        return case_id_for(self.contact_id) if self.contact_id else None


def query_contact(driver_id: str, now: datetime, offer_id: str | None, q: str,
                  hint: str | None) -> Contact:
    """The question as a contact, so the contact path's facts and policy read it as they are."""
    return Contact(id=QUERY_CONTACT_ID, driver_id=driver_id, channel="in_app", received_at=now,
                   text=q, offer_id=offer_id, category=hint)


def help_contact_id(owed: tuple[RemediationAction, ...]) -> str:
    """The same owed things (driver, subject, kind) always give the same contact id."""
    keys = "\n".join(sorted(a.idempotency_key for a in owed))
    return "help-" + hashlib.sha256(keys.encode()).hexdigest()[:20]


def plan_help(facts: CaseFacts, understanding: Understanding, policy: PolicyConfig,
              locale: Locale) -> HelpPlan:
    """The contact path's decision, read as an answer: its facts, and what is owed."""
    decision = decide(facts, understanding, policy)
    intent = understanding.intent
    items: tuple[ReplyItem, ...] = ()
    goals: tuple[ReplyItem, ...] = ()
    if decision.reply is not None and decision.outcome != "escalated":
        items, goals = decision.reply.items, decision.reply.goals
    elif intent not in ESCALATING_INTENTS:  # a paying case for review: its facts all the same
        held, _ = hold_incident_findings(facts, assess_intent(facts, understanding, policy))
        items = tuple(a.item for a in held)
    owed = decision.actions or decision.recommended_actions
    return HelpPlan(
        intent=intent, locale=locale, segment=driver_segment(facts, policy),
        outcome=decision.outcome, queue=decision.queue, items=items, goals=goals, owed=owed,
        contact_id=help_contact_id(owed) if owed else None)


def resolution_contact(plan: HelpPlan, facts: CaseFacts) -> Contact:
    """The in-app contact that resolves what is owed: its category carries the question type,
    its empty text leaves nothing for the flow to read differently."""
    offers = {a.subject_id for a in plan.owed if facts.offer(a.subject_id) is not None}
    return Contact(id=plan.contact_id or "", driver_id=facts.driver.id, channel="in_app",
                   received_at=facts.now, text="", category=plan.intent,
                   offer_id=offers.pop() if len(offers) == 1 else facts.contact.offer_id)


def template_context(plan: HelpPlan, facts: CaseFacts, timezone: str) -> dict[str, Any]:
    """Everything the help templates read, beside the items."""
    subjects = {i.subject_id for i in plan.items if i.subject_id}
    offers = {o.id: {"cancelled_by": o.cancelled_by, "arrived": o.arrived_at_store is not None}
              for o in facts.offers if o.id in subjects}
    return {
        "first_name": facts.driver.first_name, "intent": plan.intent, "items": list(plan.items),
        "goals": list(plan.goals),
        "owed": bool(plan.owed), "case_id": plan.case_id, "queue": plan.queue,
        "outcome": plan.outcome, "short": plan.segment == "full_time",
        "explain_intent": plan.segment == "new", "timezone": timezone, "offers": offers,
        "paid_at": paid_times(facts, plan.items),
    }


def paid_times(facts: CaseFacts, items: tuple[ReplyItem, ...]) -> dict[str, datetime]:
    """When each item's subject and kind was last paid, keyed `subject/kind`."""
    wanted = {(i.subject_id, i.kind) for i in items if i.subject_id and i.kind}
    times: dict[str, datetime] = {}
    for e in facts.earnings:
        subject = e.offer_id or e.incentive_id
        key = f"{subject}/{e.kind}"
        if (subject, e.kind) in wanted and (key not in times or e.created_at > times[key]):
            times[key] = e.created_at
    return times
