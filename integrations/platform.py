"""Typed clients for the platform's drivers, offers, earnings, incentives, payouts and messages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

from integrations.actions import (
    Action,
    M,
    OutgoingNotification,
    PayAdjustment,
    parse,
)
from integrations.http import PlatformHttp
from onetouch.models import (
    Deposit,
    Driver,
    Earning,
    EarningKind,
    EarningSource,
    Incentive,
    Notification,
    Offer,
    Order,
    Store,
)


def path(*parts: str) -> str:
    """A URL path from segments, each percent-encoded."""
    return "/" + "/".join(quote(part, safe="") for part in parts)


class BaseClient:
    """Base for the typed clients: parsing helpers over one PlatformHttp."""

    def __init__(self, http: PlatformHttp) -> None:
        self._http = http

    def _get(self, model: type[M], url: str) -> M:
        return parse(model, self._http.get(url))

    def _list(self, model: type[M], url: str, **params: Any) -> Iterator[M]:
        for item in self._http.paginate(url, params):
            yield parse(model, item)

    def _act(self, model: type[M], url: str, body: dict[str, Any], key: str) -> Action[M]:
        result = self._http.post_action(url, body, key)
        return Action(value=parse(model, result.body), replayed=result.replayed)


def _reference(reference: str | None) -> dict[str, Any]:
    return {} if reference is None else {"reference": reference}


class DriversClient(BaseClient):
    """Drivers and the stores they deliver from."""

    def get(self, driver_id: str) -> Driver:
        """One driver; NotFound if unknown."""
        return self._get(Driver, path("drivers", driver_id))

    def list(self) -> Iterator[Driver]:
        """Every driver."""
        return self._list(Driver, "/drivers")

    def list_stores(self, zone: str | None = None) -> Iterator[Store]:
        """Every store, optionally in one zone."""
        return self._list(Store, "/stores", zone=zone)


class OffersClient(BaseClient):
    """Offers, their orders, and offer reissues."""

    def get(self, offer_id: str) -> Offer:
        """One offer; NotFound if unknown."""
        return self._get(Offer, path("offers", offer_id))

    def list(
        self,
        *,
        driver_id: str | None = None,
        order_id: str | None = None,
        reissued_from: str | None = None,
        status: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Iterator[Offer]:
        """Offers matching every given filter (since/until on accepted_at)."""
        return self._list(
            Offer,
            "/offers",
            driver_id=driver_id,
            order_id=order_id,
            reissued_from=reissued_from,
            status=status,
            since=since,
            until=until,
        )

    def get_order(self, order_id: str) -> Order:
        """One order; NotFound if unknown."""
        return self._get(Order, path("orders", order_id))

    def list_orders(self, *, status: str | None = None) -> Iterator[Order]:
        """Every order, optionally in one status."""
        return self._list(Order, "/orders", status=status)

    def reissue(
        self, offer_id: str, *, idempotency_key: str, reference: str | None = None
    ) -> Action[Offer]:
        """Reissue an offer to the same driver; Conflict if the order is not open."""
        url = path("offers", offer_id, "reissue")
        return self._act(Offer, url, _reference(reference), idempotency_key)


class EarningsClient(BaseClient):
    """The earnings ledger and pay adjustments."""

    def list(
        self,
        *,
        driver_id: str | None = None,
        offer_id: str | None = None,
        incentive_id: str | None = None,
        kind: EarningKind | None = None,
        source: EarningSource | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Iterator[Earning]:
        """Earnings matching every given filter (since/until on created_at)."""
        return self._list(
            Earning,
            "/earnings",
            driver_id=driver_id,
            offer_id=offer_id,
            incentive_id=incentive_id,
            kind=kind,
            source=source,
            since=since,
            until=until,
        )

    def adjust(self, adjustment: PayAdjustment, *, idempotency_key: str) -> Action[Earning]:
        """Pay a driver an adjustment; the same key never pays twice."""
        return self._act(Earning, "/pay-adjustments", adjustment.to_body(), idempotency_key)


class IncentivesClient(BaseClient):
    """Incentive challenges."""

    def get(self, incentive_id: str) -> Incentive:
        """One incentive; NotFound if unknown."""
        return self._get(Incentive, path("incentives", incentive_id))

    def list(
        self,
        *,
        zone: str | None = None,
        driver_id: str | None = None,
        ends_after: datetime | None = None,
        ends_before: datetime | None = None,
    ) -> Iterator[Incentive]:
        """Incentives matching every given filter (driver_id: enrolled drivers)."""
        return self._list(
            Incentive,
            "/incentives",
            zone=zone,
            driver_id=driver_id,
            ends_after=ends_after,
            ends_before=ends_before,
        )


class PayoutsClient(BaseClient):
    """Deposits to drivers' banks and their retries."""

    def get_deposit(self, deposit_id: str) -> Deposit:
        """One deposit; NotFound if unknown."""
        return self._get(Deposit, path("deposits", deposit_id))

    def list_deposits(
        self,
        *,
        driver_id: str | None = None,
        status: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Iterator[Deposit]:
        """Deposits matching every given filter (since/until on created_at)."""
        return self._list(
            Deposit, "/deposits", driver_id=driver_id, status=status, since=since, until=until
        )

    def retry_deposit(
        self, deposit_id: str, *, idempotency_key: str, reference: str | None = None
    ) -> Action[Deposit]:
        """Retry a failed deposit; Conflict unless it failed."""
        url = path("deposits", deposit_id, "retry")
        return self._act(Deposit, url, _reference(reference), idempotency_key)


class NotificationsClient(BaseClient):
    """Messages sent to drivers."""

    def send(
        self, notification: OutgoingNotification, *, idempotency_key: str
    ) -> Action[Notification]:
        """Send a notification; the same key never sends twice."""
        return self._act(Notification, "/notifications", notification.to_body(), idempotency_key)

    def find(self, idempotency_key: str) -> Notification | None:
        """The notification sent with this idempotency key, if any."""
        found = self._list(Notification, "/notifications", idempotency_key=idempotency_key)
        return next(found, None)

    def list(
        self, *, driver_id: str | None = None, reference: str | None = None
    ) -> Iterator[Notification]:
        """Notifications matching every given filter."""
        return self._list(Notification, "/notifications", driver_id=driver_id, reference=reference)
