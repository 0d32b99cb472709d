"""Domain models for every entity of the platform contract (money in cents, times in UTC)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, overload

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    PlainSerializer,
)
from pydantic_core import CoreSchema, core_schema

OrderStatus = Literal["open", "assigned", "delivered", "cancelled"]
OfferStatus = Literal["accepted", "arrived", "picked_up", "delivered", "cancelled"]
DepositStatus = Literal["pending", "paid", "failed"]


class _UtcOnly:
    """Times are UTC (offset 0), checked inside pydantic-core: no Python call per field."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler
                                     ) -> CoreSchema:
        return core_schema.datetime_schema(tz_constraint=0)


def format_utc(value: datetime) -> str:
    """ISO-8601 UTC with a Z, seconds precision unless sub-second data exists."""
    text = value.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


UtcDatetime = Annotated[
    datetime,
    _UtcOnly,
    PlainSerializer(format_utc, return_type=str, when_used="json"),
]
Cents = Annotated[int, Field(strict=True)]
PositiveCents = Annotated[int, Field(strict=True, gt=0)]
Locale = Literal["en", "es"]
EarningKind = Literal["base", "tip", "incentive", "wait_time", "cancellation"]
EarningSource = Literal["platform", "contact", "proactive", "agent"]
Channel = Literal["chat", "email", "in_app", "push", "sms"]
ContactChannel = Literal["chat", "email", "in_app", "phone"]
Intent = Literal[
    "missing_pay",
    "missing_tip",
    "incentive_not_credited",
    "wait_time_pay",
    "cancelled_offer",
    "deposit_issue",
    "pay_question",
    "account_access",
    "deactivation",
    "safety",
    "other",
]
INTENTS: tuple[str, ...] = Intent.__args__  # type: ignore[attr-defined]


class Entity(BaseModel):
    """Base for platform entities: unknown fields are refused so typos surface."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Driver(Entity):
    id: str
    name: str
    locale: Locale
    zone: str
    onboarded_at: UtcDatetime
    status: Literal["active", "deactivated"]
    phone: str | None = Field(default=None, repr=False)
    email: str | None = Field(default=None, repr=False)

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else ""


class Store(Entity):
    id: str
    name: str
    zone: str


class Order(Entity):
    id: str
    store_id: str
    zone: str
    status: OrderStatus


class Offer(Entity):
    id: str
    order_id: str
    driver_id: str
    store_id: str
    zone: str
    accepted_at: UtcDatetime
    arrived_at_store: UtcDatetime | None = None
    picked_up_at: UtcDatetime | None = None
    delivered_at: UtcDatetime | None = None
    cancelled_at: UtcDatetime | None = None
    cancelled_by: Literal["driver", "customer", "store", "system"] | None = None
    cancel_reason: str | None = None
    status: OfferStatus
    base_pay_cents: Annotated[int, Field(strict=True, ge=0)]
    customer_tip_cents: Annotated[int, Field(strict=True, ge=0)]
    reissued_from: str | None = None


class Earning(Entity):
    id: str
    driver_id: str
    offer_id: str | None = None
    incentive_id: str | None = None
    kind: EarningKind
    amount_cents: PositiveCents
    created_at: UtcDatetime
    source: EarningSource
    idempotency_key: str | None = None
    reference: str | None = None


class Incentive(Entity):
    id: str
    zone: str
    name: str
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    required_deliveries: Annotated[int, Field(strict=True, gt=0)]
    reward_cents: PositiveCents
    enrolled_driver_ids: list[str] = Field(default_factory=list)


class Deposit(Entity):
    id: str
    driver_id: str
    amount_cents: PositiveCents
    method: Literal["instant", "weekly"]
    status: DepositStatus
    failure_reason: (
        Literal["bank_timeout", "processor_error", "account_closed", "invalid_account"] | None
    ) = None
    created_at: UtcDatetime
    retried_at: UtcDatetime | None = None


class Notification(Entity):
    id: str
    driver_id: str
    channel: Channel
    locale: Locale
    subject: str
    body: str
    created_at: UtcDatetime
    reference: str | None = None
    idempotency_key: str | None = None


def _printable(value: str) -> str:
    """A sender's id printed in replies and logs: no control, format or line-break characters."""
    if not value.isprintable():
        raise ValueError("must be printable: no control, format or line-break characters")
    return value


Printable = AfterValidator(_printable)
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
SAFE_ID_RULE = ("1 to 128 letters, digits, '.', '_', ':' or '-', starting with a letter or "
                "digit")


def _safe_id(value: str) -> str:
    """A sender's id used in case ids, paths, logs and replies: a safe charset and length."""
    if not SAFE_ID.fullmatch(value):
        raise ValueError(f"an id is {SAFE_ID_RULE}")
    return value


SafeId = Annotated[str, AfterValidator(_safe_id)]
# Times the policy can count back and forward from: a contact's, and a world file's (on load).
TIME_RANGE = (datetime(1970, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC))


class Contact(Entity):
    id: SafeId
    driver_id: SafeId
    channel: ContactChannel
    received_at: Annotated[UtcDatetime, Field(ge=TIME_RANGE[0], lt=TIME_RANGE[1])]
    text: Annotated[str, Field(max_length=10_000)] = ""
    offer_id: SafeId | None = None
    category: Annotated[str, Field(max_length=200), Printable] | None = None


class World(Entity):
    """A whole platform state, loaded into the sandbox in one step."""

    now: UtcDatetime
    drivers: list[Driver] = Field(default_factory=list)
    stores: list[Store] = Field(default_factory=list)
    orders: list[Order] = Field(default_factory=list)
    offers: list[Offer] = Field(default_factory=list)
    earnings: list[Earning] = Field(default_factory=list)
    incentives: list[Incentive] = Field(default_factory=list)
    deposits: list[Deposit] = Field(default_factory=list)
    notifications: list[Notification] = Field(default_factory=list)


ENTITY_MODELS: dict[str, type[Entity]] = {
    "drivers": Driver,
    "stores": Store,
    "orders": Order,
    "offers": Offer,
    "earnings": Earning,
    "incentives": Incentive,
    "deposits": Deposit,
    "notifications": Notification,
}


def utc_now() -> datetime:
    return datetime.now(UTC)


@overload
def utc(value: datetime) -> datetime: ...


@overload
def utc(value: None) -> None: ...


def utc(value: datetime | None) -> datetime | None:
    """A stored time as aware UTC (SQLite gives them back naive)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
