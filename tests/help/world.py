"""A world with one driver per question type, built from tests/factories.py."""

from __future__ import annotations

from datetime import timedelta

from onetouch.models import Deposit, Driver, Incentive, Offer, Order, Store, World
from tests.factories import NOW, ago, cancelled, delivered, driver, earning

ZONE = "nashville-1"  # America/Chicago: 18:00 UTC is 12:00 PM CST


def _mine(offer: Offer, driver_id: str) -> Offer:
    return offer.model_copy(update={"driver_id": driver_id})


def _paid(offer: Offer, *, tip: int | None = None, minutes_after: int = 12):
    """Platform earnings for a delivery: its base, and its tip (or the `tip` given)."""
    at = (NOW - offer.delivered_at).total_seconds() / 60 - minutes_after
    out = [earning(offer.id, "base", offer.base_pay_cents, minutes_ago=at,
                   driver_id=offer.driver_id)]
    tip_cents = offer.customer_tip_cents if tip is None else tip
    if tip_cents:
        out.append(earning(offer.id, "tip", tip_cents, minutes_ago=at, driver_id=offer.driver_id))
    return out


def _history(driver_id: str, count: int, *, days: int) -> tuple[list[Offer], list]:
    """`count` paid deliveries spread over the last `days` days."""
    offers, earnings = [], []
    for n in range(count):
        offer = _mine(delivered(f"ofr-{driver_id}-h{n}", minutes_ago=180 + (n % days) * 1440
                                + n, base=700, tip=0), driver_id)
        offers.append(offer)
        earnings += _paid(offer)
    return offers, earnings


def help_world() -> World:
    """Drivers: tip paid, tip short, pay pending, a running challenge, a store cancellation
    after arrival, a long wait, a failed deposit, a new driver and a full-time driver."""
    drivers = [driver(id=f"drv-{name}", name=f"{first} Test", locale=locale,
                      onboarded_at=ago(days=tenure))
               for name, first, locale, tenure in [
                   ("tip", "Ana", "en", 200), ("owed", "Bo", "en", 200),
                   ("pend", "Cy", "en", 200), ("inc", "Di", "en", 200),
                   ("can", "Eva", "es", 200), ("wait", "Fe", "en", 200),
                   ("dep", "Gil", "en", 200), ("new", "Hal", "en", 5),
                   ("ft", "Ivy", "en", 400)]]
    tip = _mine(delivered("ofr-tip", minutes_ago=180, base=900, tip=450), "drv-tip")
    short = _mine(delivered("ofr-short", minutes_ago=180, base=800, tip=600), "drv-owed")
    pend = _mine(delivered("ofr-pend", minutes_ago=20, base=850, tip=300), "drv-pend")
    can = _mine(cancelled("ofr-can", by="store", arrived=True, base=900), "drv-can")
    wait = _mine(delivered("ofr-wait", minutes_ago=120, wait=35, base=700, tip=0), "drv-wait")
    new = _mine(delivered("ofr-new", minutes_ago=180, base=650, tip=250), "drv-new")
    ft_tip = _mine(delivered("ofr-ft", minutes_ago=150, base=900, tip=300), "drv-ft")
    inc_offers, inc_earnings = _history("drv-inc", 14, days=3)
    ft_offers, ft_earnings = _history("drv-ft", 30, days=6)
    challenge = Incentive(
        id="inc-weekend", zone=ZONE, name="Weekend challenge", starts_at=ago(days=3, hours=6),
        ends_at=NOW + timedelta(days=2, hours=1), required_deliveries=20, reward_cents=3000,
        enrolled_driver_ids=["drv-inc"])
    failed = Deposit(id="dep-1", driver_id="drv-dep", amount_cents=12050, method="instant",
                     status="failed", failure_reason="bank_timeout", created_at=ago(hours=3))
    offers = [tip, short, pend, can, wait, new, ft_tip, *inc_offers, *ft_offers]
    earnings = [*_paid(tip), *_paid(short, tip=200), *_paid(wait), *_paid(new), *_paid(ft_tip),
                *inc_earnings, *ft_earnings]
    return World(
        now=NOW, drivers=drivers, stores=[Store(id="st-1", name="Corner Market", zone=ZONE)],
        orders=[Order(id=o.order_id, store_id="st-1", zone=ZONE,
                      status="cancelled" if o.status == "cancelled" else "delivered")
                for o in offers],
        offers=offers, earnings=earnings, incentives=[challenge], deposits=[failed])


def drivers_by_id(world: World) -> dict[str, Driver]:
    return {d.id: d for d in world.drivers}
