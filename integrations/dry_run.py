"""Dry-run clients: the platform's actions recorded instead of sent; every read stays real.

Each action answers what the platform would: the entity it would create or change, built from
the request and real reads, with a `dry-` id; the same key again gets the first answer back
(`replayed`), and an action the platform would refuse (an order no longer open, a deposit
that did not fail) raises the same `Conflict`. The outbox keeps what would have been sent.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from integrations.actions import Action, M, OutgoingNotification, PayAdjustment
from integrations.errors import Conflict
from integrations.http import PlatformHttp
from integrations.platform import EarningsClient, NotificationsClient, OffersClient, PayoutsClient
from onetouch.models import Deposit, Earning, Notification, Offer

if TYPE_CHECKING:
    from integrations import Platform

Clock = Callable[[], datetime]


class Outbox(Protocol):
    """Where a dry run keeps its actions, once per (kind, key)."""

    def record(self, kind: str, key: str, request: dict[str, Any], result: dict[str, Any],
               at: datetime) -> tuple[dict[str, Any], bool]: ...

    def find(self, kind: str, key: str) -> dict[str, Any] | None: ...


def dry_id(prefix: str, key: str) -> str:
    """An id for an entity a dry run pretends to create, fixed by the action's key."""
    return f"dry-{prefix}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


class _Recording:
    """Mixed into a client: keep an action in the outbox and answer like the platform."""

    _outbox: Outbox
    _clock: Clock

    def _setup(self, outbox: Outbox, clock: Clock) -> None:
        self._outbox, self._clock = outbox, clock

    def _keep(self, kind: str, key: str, request: dict[str, Any], model: type[M],
              build: Callable[[datetime], Any]) -> Action[M]:
        found = self._outbox.find(kind, key)
        if found is not None:
            return Action(value=model.model_validate(found), replayed=True)
        at = self._clock()
        result = model.model_validate(build(at)).model_dump(mode="json")
        kept, replayed = self._outbox.record(kind, key, request, result, at)
        return Action(value=model.model_validate(kept), replayed=replayed)


class DryRunEarnings(_Recording, EarningsClient):
    """Earnings read from the platform; pay adjustments recorded."""

    def __init__(self, http: PlatformHttp, outbox: Outbox, clock: Clock) -> None:
        super().__init__(http)
        self._setup(outbox, clock)

    def adjust(self, adjustment: PayAdjustment, *, idempotency_key: str) -> Action[Earning]:
        """The earning the adjustment would add."""
        return self._keep("pay_adjustment", idempotency_key, adjustment.to_body(), Earning,
                          lambda at: {**adjustment.model_dump(), "created_at": at,
                                      "id": dry_id("ern", idempotency_key),
                                      "idempotency_key": idempotency_key})


class DryRunOffers(_Recording, OffersClient):
    """Offers read from the platform; reissues recorded."""

    def __init__(self, http: PlatformHttp, outbox: Outbox, clock: Clock) -> None:
        super().__init__(http)
        self._setup(outbox, clock)

    def reissue(self, offer_id: str, *, idempotency_key: str, reference: str | None = None
                ) -> Action[Offer]:
        """The offer the reissue would create (Conflict if the order is not open)."""
        def build(at: datetime) -> Offer:
            offer = self.get(offer_id)
            order = self.get_order(offer.order_id)
            if order.status != "open":
                raise Conflict(f"order {offer.order_id} is {order.status}", status_code=409,
                               code="order_not_open")
            return Offer(id=dry_id("ofr", idempotency_key), order_id=offer.order_id,
                         driver_id=offer.driver_id, store_id=offer.store_id, zone=offer.zone,
                         accepted_at=at, status="accepted", base_pay_cents=offer.base_pay_cents,
                         customer_tip_cents=offer.customer_tip_cents, reissued_from=offer.id)
        request = {"offer_id": offer_id, "reference": reference}
        return self._keep("offer_reissue", idempotency_key, request, Offer, build)


class DryRunPayouts(_Recording, PayoutsClient):
    """Deposits read from the platform; retries recorded."""

    def __init__(self, http: PlatformHttp, outbox: Outbox, clock: Clock) -> None:
        super().__init__(http)
        self._setup(outbox, clock)

    def retry_deposit(self, deposit_id: str, *, idempotency_key: str,
                      reference: str | None = None) -> Action[Deposit]:
        """The deposit as the retry would leave it (Conflict unless it failed)."""
        def build(at: datetime) -> Deposit:
            deposit = self.get_deposit(deposit_id)
            if deposit.status != "failed":
                raise Conflict(f"deposit {deposit_id} is {deposit.status}", status_code=409,
                               code="deposit_not_failed")
            return deposit.model_copy(update={"retried_at": at, "status": "pending"})
        request = {"deposit_id": deposit_id, "reference": reference}
        return self._keep("deposit_retry", idempotency_key, request, Deposit, build)


class DryRunNotifications(_Recording, NotificationsClient):
    """Notifications read from the platform; sends recorded (and found) in the outbox."""

    def __init__(self, http: PlatformHttp, outbox: Outbox, clock: Clock) -> None:
        super().__init__(http)
        self._setup(outbox, clock)

    def send(self, notification: OutgoingNotification, *, idempotency_key: str
             ) -> Action[Notification]:
        """The notification that would be sent."""
        return self._keep("notification", idempotency_key, notification.to_body(), Notification,
                          lambda at: {**notification.model_dump(), "created_at": at,
                                      "id": dry_id("ntf", idempotency_key),
                                      "idempotency_key": idempotency_key})

    def find(self, idempotency_key: str) -> Notification | None:
        """The notification the dry run kept under this key, if any."""
        found = self._outbox.find("notification", idempotency_key)
        return None if found is None else Notification.model_validate(found)


def dry_run_platform(real: Platform, outbox: Outbox) -> Platform:
    """A copy of the platform whose action clients record into `outbox` instead of acting."""
    dry = copy.copy(real)
    clock = real.clock.now
    dry.earnings = DryRunEarnings(real.http, outbox, clock)
    dry.offers = DryRunOffers(real.http, outbox, clock)
    dry.payouts = DryRunPayouts(real.http, outbox, clock)
    dry.notifications = DryRunNotifications(real.http, outbox, clock)
    return dry
