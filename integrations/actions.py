"""Request bodies for the platform's actions and the typed result of an action."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from integrations.errors import InvalidResponse
from onetouch.models import Channel, EarningKind, Locale, PositiveCents

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

RemediationSource = Literal["contact", "proactive", "agent"]


@dataclass(frozen=True, slots=True)
class Action(Generic[T]):
    """An action's resulting entity, and whether the platform replayed an earlier answer."""

    value: T
    replayed: bool


class ActionBody(BaseModel):
    """Base for action bodies: strict, immutable, serialised without unset optionals."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def to_body(self) -> dict[str, Any]:
        """The JSON body sent to the platform."""
        return self.model_dump(mode="json", exclude_none=True)


class PayAdjustment(ActionBody):
    """A remediation payment to add to a driver's earnings."""

    driver_id: str = Field(min_length=1)
    offer_id: str | None = None
    incentive_id: str | None = None
    kind: EarningKind
    amount_cents: PositiveCents
    source: RemediationSource
    reference: str | None = None


class OutgoingNotification(ActionBody):
    """A message to send to a driver."""

    driver_id: str = Field(min_length=1)
    channel: Channel
    locale: Locale
    subject: str = Field(repr=False)
    body: str = Field(repr=False)
    reference: str | None = None


def parse(model: type[M], data: Any) -> M:
    """Validate platform data into a model; errors name fields, never values."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid(model, exc) from None


def invalid(model: type[BaseModel], exc: ValidationError) -> InvalidResponse:
    """The error for platform data that is not a valid model: the fields, never the values."""
    fields = sorted({".".join(str(part) for part in error["loc"]) for error in exc.errors()})
    shown = ", ".join(fields[:10]) or "<root>"
    return InvalidResponse(f"invalid {model.__name__} from the platform: {shown}")
