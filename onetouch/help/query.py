"""What the app asks: the query's fields, checked, and the question type a screen stands for."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from onetouch.models import INTENTS, Locale, Printable, SafeId

SCREEN_INTENTS: dict[str, str] = {intent: intent for intent in INTENTS} | {
    "offer": "pay_question",
    "earnings": "pay_question",
    "pay": "missing_pay",
    "tip": "missing_tip",
    "wait": "wait_time_pay",
    "cancelled": "cancelled_offer",
    "challenge": "incentive_not_credited",
    "incentives": "incentive_not_credited",
    "deposits": "deposit_issue",
    "payouts": "deposit_issue",
    "login": "account_access",
    "account": "account_access",
    "help": "other",
}


def _known_screen(value: str) -> str:
    if value not in SCREEN_INTENTS:
        raise ValueError(f"unknown screen; one of: {', '.join(sorted(SCREEN_INTENTS))}")
    return value


Screen = Annotated[str, Field(max_length=40), AfterValidator(_known_screen)]


class HelpQuery(BaseModel):
    """`GET /help`'s query: whose facts, which offer, which screen, the question, the language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    driver_id: SafeId
    offer_id: SafeId | None = None
    screen: Screen | None = None
    q: Annotated[str, Field(max_length=500), Printable] = ""
    lang: Locale | None = None

    def hinted_intent(self) -> str | None:
        """The question type the screen stands for."""
        return SCREEN_INTENTS[self.screen] if self.screen else None
