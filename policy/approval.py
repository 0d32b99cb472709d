"""An agent's decision on an escalated case, checked against what the policy recommended."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from policy.case import RemediationAction, ReplyItem


class ApprovalRefused(ValueError):
    """The decision breaks a rule of the approval path; the message says which."""


class AgentDecision(BaseModel):
    """Approve (optionally with another amount) or reject, by a named agent, with a reason."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    verdict: Literal["approve", "reject"]
    agent: str = Field(min_length=1, max_length=120)
    amount_cents: int | None = Field(default=None, gt=0)
    reason: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _reason_where_needed(self) -> AgentDecision:
        if self.verdict == "reject" and not (self.reason or "").strip():
            raise ValueError("a rejection needs a reason")
        if self.verdict == "reject" and self.amount_cents is not None:
            raise ValueError("a rejection cannot carry an amount")
        return self


def approved_actions(
    recommended: list[RemediationAction], decision: AgentDecision, requested_by: str | None
) -> tuple[RemediationAction, ...]:
    """The actions to carry out; raises ApprovalRefused when the decision is not allowed."""
    if requested_by and decision.agent.strip().lower() == requested_by.strip().lower():
        raise ApprovalRefused(f"{decision.agent} asked for this approval and cannot give it")
    if decision.verdict == "reject":
        return ()
    if decision.amount_cents is None:
        return tuple(recommended)
    pays = [a for a in recommended if a.type == "pay_adjustment"]
    if len(pays) != 1:
        raise ApprovalRefused(f"an amount can be changed only on a case with one payment "
                              f"(this one has {len(pays)})")
    computed = pays[0].amount_cents or 0
    if decision.amount_cents != computed and not (decision.reason or "").strip():
        raise ApprovalRefused("a changed amount needs a reason")
    changed = pays[0].model_copy(update={"amount_cents": decision.amount_cents})
    return tuple(changed if a is pays[0] else a for a in recommended)


def final_reply_items(verdict: str, done: tuple[RemediationAction, ...],
                      titles: Mapping[str, str] | None = None) -> tuple[ReplyItem, ...]:
    """What the driver is told once the agent's decision has been carried out (a challenge by
    its title when `titles` has it)."""
    titles = titles or {}
    if verdict == "reject":
        return (ReplyItem(type="review_declined"),)
    items = []
    for action in done:
        if action.type == "pay_adjustment":
            items.append(ReplyItem(type="paid", subject_id=action.subject_id, kind=action.kind,
                                   amount_cents=action.amount_cents,
                                   label=titles.get(action.subject_id)))
        elif action.type == "offer_reissue":
            items.append(ReplyItem(type="reissued", subject_id=action.subject_id))
        else:
            items.append(ReplyItem(type="deposit_resent", subject_id=action.subject_id))
    return tuple(items) or (ReplyItem(type="reviewed"),)
