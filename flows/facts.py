"""Gathering a contact's facts from the platform through the typed clients."""

from __future__ import annotations

from datetime import datetime, timedelta

from integrations import NotFound, Platform
from onetouch.models import Contact, Driver, Offer, Order
from policy.case import CaseFacts, FindingLink, Understanding
from policy.config import PolicyConfig


def collect_facts(
    platform: Platform, contact: Contact, driver: Driver, understanding: Understanding,
    now: datetime, policy: PolicyConfig, findings: tuple[FindingLink, ...] = (),
) -> CaseFacts:
    """The driver's recent offers, earnings, incentives and deposits, and the named ids."""
    incentives = {i.id: i for i in platform.incentives.list(
        driver_id=driver.id, ends_after=now - timedelta(days=policy.incentive_lookback_days))}
    missing: list[str] = []
    for incentive_id in understanding.incentive_ids:
        _named(lambda i=incentive_id: platform.incentives.get(i), incentive_id,
               incentives, missing, lambda inc: True)
    lookback = max(policy.offer_lookback_days, policy.segments.window_days)
    offers_since = min([now - timedelta(days=lookback),
                        *(i.starts_at for i in incentives.values())]) - timedelta(days=1)
    offers = {o.id: o for o in platform.offers.list(driver_id=driver.id, since=offers_since)}
    for offer_id in filter(None, (contact.offer_id, *understanding.offer_ids)):
        _named(lambda i=offer_id: platform.offers.get(i), offer_id, offers, missing,
               lambda o: o.driver_id == driver.id)
    for order_id in understanding.order_ids:
        mine = [o for o in platform.offers.list(order_id=order_id) if o.driver_id == driver.id]
        offers |= {o.id: o for o in mine}
        if not mine:
            missing.append(order_id)
    earnings_since = min(offers_since, now - timedelta(days=policy.repeat_contact_window_days))
    deposits = {d.id: d for d in platform.payouts.list_deposits(
        driver_id=driver.id, since=now - timedelta(days=policy.deposit_lookback_days))}
    for deposit_id in understanding.deposit_ids:
        _named(lambda i=deposit_id: platform.payouts.get_deposit(i), deposit_id, deposits,
               missing, lambda d: d.driver_id == driver.id)
    return CaseFacts(
        contact=contact, driver=driver, now=now, offers=tuple(offers.values()),
        orders=tuple(_orders_for_reissue(platform, offers.values())),
        earnings=tuple(platform.earnings.list(driver_id=driver.id, since=earnings_since)),
        incentives=tuple(incentives.values()), deposits=tuple(deposits.values()),
        foreign_or_missing_ids=tuple(dict.fromkeys(missing)), findings=findings,
    )


def _named(fetch, ident: str, known: dict, missing: list[str], is_drivers) -> None:
    """Add a named entity when it exists and is the driver's; else note the mismatch."""
    if ident in known:
        return
    try:
        entity = fetch()
    except NotFound:
        missing.append(ident)
        return
    if is_drivers(entity):
        known[ident] = entity
    else:
        missing.append(ident)


def _orders_for_reissue(platform: Platform, offers) -> list[Order]:
    """The orders of app-error cancellations: the reissue rule needs their status."""
    wanted: list[Offer] = [o for o in offers
                           if o.cancelled_by == "system" and o.cancel_reason == "app_error"]
    return [platform.offers.get_order(o) for o in sorted({o.order_id for o in wanted})]
