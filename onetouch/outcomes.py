"""The record of what happened to one contact, in the shape of an outcome line."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from policy.case import Outcome, Queue


class SentReply(BaseModel):
    model_config = ConfigDict(frozen=True)

    channel: str
    locale: str
    text: str


class ContactOutcome(BaseModel):
    """One contact's result: written to OUTCOMES.jsonl and kept in the case store."""

    model_config = ConfigDict(frozen=True)

    contact_id: str | None
    driver_id: str | None
    intent: str | None
    outcome: Outcome
    queue: Queue | None = None
    actions: list[dict[str, Any]] = Field(default_factory=list)
    recommended_actions: list[dict[str, Any]] = Field(default_factory=list)
    incident_id: str | None = None
    reply: SentReply | None = None
    case_id: str | None = None
    policy_version: str | None = None
    reason: str | None = None
    reasons: list[str] = Field(default_factory=list)

    def line(self) -> dict[str, Any]:
        """The replay outcome line (`replay.md`), plus case id, policy version and reasons."""
        return self.model_dump(mode="json")


def rejected(contact_id: str | None, driver_id: str | None, reason: str) -> ContactOutcome:
    """The outcome of a contact that could not be accepted."""
    return ContactOutcome(contact_id=contact_id, driver_id=driver_id, intent=None,
                          outcome="rejected", reason="invalid_contact", reasons=[reason])
