"""Idempotent actions: claim the key, perform the effect, store the answer, in one transaction."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onetouch.models import (
    Channel,
    Earning,
    EarningKind,
    Entity,
    Locale,
    Notification,
    Offer,
    PositiveCents,
)

from .db import Database, idempotency
from .deps import json_text
from .errors import ApiError
from .store import find_by_key, get_clock, get_entity, insert_entities, replace_entity

REPLAYED = {"Idempotent-Replayed": "true"}
Effect = Callable[[Session, str, datetime], dict[str, Any]]


class AlreadyDone(Exception):
    """The effect was already recorded under this key (e.g. loaded with a world)."""

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(payload.get("id"))
        self.payload = payload


class ActionBody(BaseModel):
    """Base for action bodies: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PayAdjustment(ActionBody):
    driver_id: str
    offer_id: str | None = None
    incentive_id: str | None = None
    kind: EarningKind
    amount_cents: PositiveCents
    source: Literal["contact", "proactive", "agent"]
    reference: str | None = None


class ReferenceBody(ActionBody):
    reference: str | None = None


class NotificationBody(ActionBody):
    driver_id: str
    channel: Channel
    locale: Locale
    subject: str
    body: str
    reference: str | None = None


def derived_id(prefix: str, key: str) -> str:
    """A stable id for the entity an idempotency key creates."""
    return f"{prefix}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def body_hash(route: str, body: BaseModel) -> str:
    """The hash of the route and the canonical JSON of the validated body."""
    doc = {"route": route, "body": body.model_dump(mode="json")}
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def run_idempotent(db: Database, key: str, route: str, body: BaseModel, effect: Effect) -> Response:
    """Perform an action once per key; replay its stored answer for the same body."""
    digest = body_hash(route, body)
    claim = insert(idempotency).values(
        key=key, route=route, body_hash=digest, status_code=0, response=""
    )
    with db.writer() as session:
        try:
            session.execute(claim)
        except IntegrityError:
            session.rollback()
            return _replay(session, key, digest)
        status, headers = 201, None
        try:
            payload = effect(session, key, get_clock(session))
        except AlreadyDone as done:
            payload, status, headers = done.payload, 200, REPLAYED
        except IntegrityError as exc:
            raise ApiError(409, "conflict", "the action collides with existing state") from exc
        text = json.dumps(payload, separators=(",", ":"))
        stored = update(idempotency).where(idempotency.c.key == key)
        session.execute(stored.values(status_code=201, response=text))
        session.commit()
    return json_text(text, status, headers)


def _replay(session: Session, key: str, digest: str) -> Response:
    """The stored answer for a key already used, or 409 if the body differs."""
    row = session.execute(select(idempotency).where(idempotency.c.key == key)).one_or_none()
    if row is None:
        raise ApiError(409, "conflict", "the key is being used concurrently; retry")
    if row.body_hash != digest:
        detail = f"key already used for {row.route} with another body"
        raise ApiError(409, "idempotency_key_reused", detail)
    return json_text(row.response, 200, headers=REPLAYED)


def _require(session: Session, name: str, entity_id: str) -> Any:
    """The entity, or 404 naming it."""
    found = get_entity(session, name, entity_id)
    if found is None:
        raise ApiError(404, "not_found", f"{name[:-1]} {entity_id!r} not found")
    return found


def _check_recorded(session: Session, name: str, key: str, body: ActionBody) -> None:
    """Raise AlreadyDone if an entity was recorded with this key and body, 409 if another body."""
    found: Entity | None = find_by_key(session, name, key)
    if found is None:
        return
    data = found.model_dump(mode="json")
    if any(data.get(k) != v for k, v in body.model_dump(mode="json").items()):
        detail = f"{name[:-1]} {data['id']} was recorded with this key and other values"
        raise ApiError(409, "idempotency_key_reused", detail)
    raise AlreadyDone(data)


def pay_adjustment(session: Session, key: str, now: datetime, body: PayAdjustment) -> dict:
    """Add an Earning for the adjustment."""
    _require(session, "drivers", body.driver_id)
    if body.offer_id is not None:
        _require(session, "offers", body.offer_id)
    if body.incentive_id is not None:
        _require(session, "incentives", body.incentive_id)
    return _record(session, "earnings", Earning, "ern", key, now, body)


def reissue_offer(session: Session, key: str, now: datetime, offer_id: str) -> dict:
    """Create a new accepted Offer for the same order and driver; the order becomes assigned."""
    offer: Offer = _require(session, "offers", offer_id)
    order = get_entity(session, "orders", offer.order_id)
    if order is None or order.status != "open":  # type: ignore[attr-defined]
        state = "missing" if order is None else order.status  # type: ignore[attr-defined]
        raise ApiError(409, "order_not_open", f"order {offer.order_id!r} is {state}")
    new = Offer(
        id=derived_id("ofr", key),
        order_id=offer.order_id,
        driver_id=offer.driver_id,
        store_id=offer.store_id,
        zone=offer.zone,
        accepted_at=now,
        status="accepted",
        base_pay_cents=offer.base_pay_cents,
        customer_tip_cents=offer.customer_tip_cents,
        reissued_from=offer.id,
    )
    insert_entities(session, "offers", [new])
    replace_entity(session, "orders", order.model_copy(update={"status": "assigned"}))
    return new.model_dump(mode="json")


def retry_deposit(session: Session, _key: str, now: datetime, deposit_id: str) -> dict:
    """Mark a failed deposit pending again with retried_at set."""
    deposit = _require(session, "deposits", deposit_id)
    if deposit.status != "failed":
        raise ApiError(409, "deposit_not_failed", f"deposit {deposit_id!r} is {deposit.status}")
    updated = deposit.model_copy(update={"retried_at": now, "status": "pending"})
    replace_entity(session, "deposits", updated)
    return updated.model_dump(mode="json")


def send_notification(session: Session, key: str, now: datetime, body: NotificationBody) -> dict:
    """Record a Notification in the outbox."""
    _require(session, "drivers", body.driver_id)
    return _record(session, "notifications", Notification, "ntf", key, now, body)


def _record(session: Session, table: str, model: type, prefix: str, key: str, now: datetime,
            body: ActionBody) -> dict:
    """Insert the entity an action creates, with an id derived from its key."""
    _check_recorded(session, table, key, body)
    entity = model(id=derived_id(prefix, key), created_at=now, idempotency_key=key,
                   **body.model_dump())
    insert_entities(session, table, [entity])
    return entity.model_dump(mode="json")
