"""The models a decision is made from and made of."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from onetouch.models import (
    Contact,
    Deposit,
    Driver,
    Earning,
    EarningKind,
    Incentive,
    Intent,
    Locale,
    Offer,
    Order,
    UtcDatetime,
)
from policy.paid import Paid
from policy.segments import Segment

Outcome = Literal["resolved", "escalated", "linked", "rejected"]
Queue = Literal["trust-safety", "account-review", "pay-review", "general"]
ActionType = Literal["pay_adjustment", "offer_reissue", "deposit_retry"]
Template = Literal["resolution", "acknowledgement", "final", "proactive"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Understanding(Frozen):
    """What the message is about, as read from its text and the app's hint."""

    intent: Intent
    confidence: float = Field(ge=0, le=1)
    language: Locale | None = None
    offer_ids: tuple[str, ...] = ()
    order_ids: tuple[str, ...] = ()
    incentive_ids: tuple[str, ...] = ()
    deposit_ids: tuple[str, ...] = ()


class RemediationAction(Frozen):
    """One remediation, keyed so that it can never happen twice."""

    type: ActionType
    driver_id: str
    subject_id: str
    idempotency_key: str
    kind: EarningKind | None = None
    amount_cents: int | None = Field(default=None, gt=0)
    new_offer_id: str | None = None

    def outcome_view(self) -> dict[str, Any]:
        """The shape written to an outcome line."""
        view: dict[str, Any] = {"type": self.type}
        if self.type == "pay_adjustment":
            view |= {"kind": self.kind, "subject_id": self.subject_id,
                     "amount_cents": self.amount_cents}
        else:
            view["subject_id"] = self.subject_id
        if self.type == "offer_reissue" and self.new_offer_id:
            view["new_offer_id"] = self.new_offer_id
        return view


class ReplyItem(Frozen):
    """One fact the reply tells the driver (rendered by a template)."""

    type: str
    subject_id: str | None = None
    kind: EarningKind | None = None
    amount_cents: int | None = None
    at: UtcDatetime | None = None
    label: str | None = None
    done: int | None = None
    required: int | None = None
    details: dict[str, int] = Field(default_factory=dict)


class ReplyPlan(Frozen):
    """Which template to render, on which channel and in which language, with what facts."""

    template: Template
    channel: Literal["chat", "email", "in_app", "push", "sms"]
    locale: Locale
    first_name: str
    items: tuple[ReplyItem, ...] = ()
    queue: Queue | None = None
    answer_within_hours: int | None = None
    segment: Segment | None = None
    goals: tuple[ReplyItem, ...] = ()


class Decision(Frozen):
    """What the policy decided for one contact."""

    case_id: str
    intent: Intent
    outcome: Outcome
    queue: Queue | None = None
    actions: tuple[RemediationAction, ...] = ()
    recommended_actions: tuple[RemediationAction, ...] = ()
    incident_id: str | None = None
    reason: str
    reasons: tuple[str, ...] = ()
    reply: ReplyPlan | None = None
    policy_version: str


class FindingLink(Frozen):
    """A remediation key that proactive detection found, and the incident it belongs to."""

    key: str
    incident_id: str | None = None
    status: str


class CaseFacts(Frozen):
    """Everything the platform says that bears on one contact."""

    contact: Contact
    driver: Driver
    now: UtcDatetime
    offers: tuple[Offer, ...] = ()
    orders: tuple[Order, ...] = ()
    earnings: tuple[Earning, ...] = ()
    incentives: tuple[Incentive, ...] = ()
    deposits: tuple[Deposit, ...] = ()
    foreign_or_missing_ids: tuple[str, ...] = ()
    findings: tuple[FindingLink, ...] = ()

    def offer(self, offer_id: str) -> Offer | None:
        return next((o for o in self.offers if o.id == offer_id), None)

    def order(self, order_id: str) -> Order | None:
        return next((o for o in self.orders if o.id == order_id), None)

    def finding(self, key: str) -> FindingLink | None:
        return next((f for f in self.findings if f.key == key), None)

    def paid_for(self, subject_id: str, kind: str) -> Paid:
        return Paid.of(
            e for e in self.earnings
            if e.kind == kind and subject_id in (e.offer_id, e.incentive_id)
        )


# The key's kind for actions that carry none of their own (pay adjustments carry their kind)
KEY_KINDS = {"offer_reissue": "reissue", "deposit_retry": "deposit_retry"}


def idempotency_key(driver_id: str, subject_id: str, kind: str) -> str:
    """The policy's remediation key: `{driver_id}/{subject_id}/{kind}`."""
    return f"{driver_id}/{subject_id}/{kind}"


def case_id_for(contact_id: str) -> str:
    return f"case-{contact_id}"


def escalation_id_for(contact_id: str) -> str:
    return f"esc-{contact_id}"


def minutes_between(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() // 60)
