"""Offers through the day: who took them where and when, how they ended, what the platform paid."""

from __future__ import annotations

import math
import random
from bisect import bisect
from itertools import accumulate

from simulate.clock import (
    DAY,
    HOUR,
    LOCAL_DEMAND,
    MINUTE,
    NOW_TS,
    SPAN,
    SPAN_START,
    local_hour,
    wait_pay,
)
from simulate.layout import City, Driver, Store

TIPS = (200, 250, 300, 300, 400, 400, 500, 500, 600, 700, 800, 1000, 1200)
# share, cancelled_by, reasons, share of them after arriving at the store
Cancel = tuple[float, str, tuple[str, ...], float]
CANCELS: tuple[Cancel, ...] = (
    (0.40, "customer", ("customer_request",), 0.35),
    (0.22, "store", ("out_of_stock", "store_closed"), 0.6),
    (0.28, "driver", ("driver_request", "too_far"), 0.3),
    (0.10, "system", ("app_error",), 0.3))
CUMULATIVE_CANCELS: list[Cancel] = [
    (total, by, reasons, arrived) for total, (_, by, reasons, arrived)
    in zip(accumulate(c[0] for c in CANCELS), CANCELS, strict=True)]
CUMULATIVE_CANCELS[-1] = (2.0, *CUMULATIVE_CANCELS[-1][1:])
ORDER_AFTER_CANCEL = {"customer": "cancelled", "store": "cancelled", "driver": "open"}
CANCEL_RATE = 0.06


class Offer:
    """One offer: times as epoch seconds (None until they happen), what the platform paid."""

    __slots__ = ("id", "order_id", "driver", "store", "zone", "acc", "arr", "pick", "deliv",
                 "canc", "by", "reason", "status", "base", "tip", "parent", "order_status",
                 "paid_base", "paid_tip", "paid_wait", "paid_cancel", "pay_at")

    def __init__(self, driver: str, store: Store, acc: int, base: int, tip: int) -> None:
        self.id = self.order_id = ""
        self.driver, self.store, self.zone, self.acc = driver, store.id, store.zone, acc
        self.arr: int | None = None
        self.pick: int | None = None
        self.deliv: int | None = None
        self.canc: int | None = None
        self.by: str | None = None
        self.reason: str | None = None
        self.parent: Offer | None = None
        self.status, self.order_status = "accepted", "assigned"
        self.base, self.tip = base, tip
        self.paid_base = self.paid_tip = self.paid_wait = self.paid_cancel = 0
        self.pay_at = 0

    @property
    def wait_minutes(self) -> int | None:
        """Whole minutes from arriving at the store to pick-up."""
        if self.arr is None or self.pick is None:
            return None
        return (self.pick - self.arr) // MINUTE

    @property
    def delivered_at(self) -> int:
        """When a delivered offer was delivered."""
        assert self.deliv is not None
        return self.deliv

    @property
    def reissued_from(self) -> str | None:
        return self.parent.id if self.parent is not None else None

    def cancel(self, at: int, by: str, reason: str, order_status: str) -> None:
        """Cancel at `at`: later events undone, nothing paid yet."""
        self.canc, self.by, self.reason, self.status = at, by, reason, "cancelled"
        self.pick = self.deliv = None
        if self.arr is not None and self.arr > at:
            self.arr = None
        self.order_status = order_status
        self.paid_base = self.paid_tip = self.paid_wait = self.paid_cancel = 0
        self.pay_at = at


class Traffic:
    """Draws the day's offers: demand by local hour, stores by popularity, drivers on shift."""

    def __init__(self, city: City, stores_by_id: dict[str, Store], rng: random.Random) -> None:
        self.city, self.rng, self.r = city, rng, rng.random
        self.stores = stores_by_id
        self.hours = SPAN // HOUR
        self.hour_cum = list(accumulate(
            LOCAL_DEMAND[local_hour(SPAN_START + h * HOUR)] for h in range(self.hours)))
        self.zone_stores = {z: city.stores_in(z) for z in city.zones}
        self.zone_cum = list(accumulate(sum(s.weight for s in self.zone_stores[z])
                                        for z in city.zones))
        self.store_cum = {z: list(accumulate(s.weight for s in ss))
                          for z, ss in self.zone_stores.items()}
        self.pools = self._pools(city.drivers)
        self.offers: list[Offer] = []

    def _pools(self, drivers: list[Driver]) -> dict[tuple[str, int], list[str]]:
        """Drivers on shift in each zone and hour of the span, repeated by weight."""
        pools: dict[tuple[str, int], list[str]] = {}
        for d in drivers:
            for begin, end in d.shifts:
                for h in range(max(0, (begin - SPAN_START) // HOUR),
                               min(self.hours, (end - SPAN_START) // HOUR + 1)):
                    middle = SPAN_START + h * HOUR + HOUR // 2
                    if begin <= middle < end:
                        pools.setdefault((d.zone, h), []).extend([d.id] * d.weight)
        return pools

    def _pick(self, cum: list[float]) -> int:
        return min(bisect(cum, self.r() * cum[-1]), len(cum) - 1)

    def draw(self, count: int) -> None:
        """Draw `count` offers and play each one out up to now."""
        r, active = self.r, [d.id for d in self.city.drivers if d.status == "active"]
        starts = []
        for _ in range(count):
            h = self._pick(self.hour_cum)
            starts.append(min(SPAN_START + h * HOUR + int(r() * HOUR), NOW_TS - 2 * MINUTE))
        for acc in sorted(starts):
            h = (acc - SPAN_START) // HOUR
            zone = self.city.zones[self._pick(self.zone_cum)]
            store = self.zone_stores[zone][self._pick(self.store_cum[zone])]
            pool = self.pools.get((zone, h)) or active
            tip = TIPS[int(r() * len(TIPS))] if r() < store.tip_rate else 0
            offer = Offer(pool[int(r() * len(pool))], store, acc, 500 + 25 * int(r() * 37), tip)
            self.offers.append(offer)
            if not (r() < CANCEL_RATE and self._cancellation(offer)):
                self.deliver(offer)

    def deliver(self, o: Offer) -> None:
        """Drive an accepted offer forward to now; the platform pays within minutes."""
        r, store = self.r, self.stores[o.store]
        arr = o.acc + 240 + int(r() * 840)
        wait = int(self.rng.lognormvariate(math.log(store.wait_median * MINUTE), 0.45))
        pick, deliv = arr + max(45, wait), arr + max(45, wait) + 420 + int(r() * 1500)
        for at, field, status in ((arr, "arr", "arrived"), (pick, "pick", "picked_up"),
                                  (deliv, "deliv", "delivered")):
            if at > NOW_TS:
                return
            setattr(o, field, at)
            o.status = status
        o.order_status = "delivered"
        o.pay_at = deliv + 20 + int(r() * 460)
        if o.pay_at <= NOW_TS:
            o.paid_base, o.paid_tip, o.paid_wait = o.base, o.tip, wait_pay((pick - arr) // MINUTE)

    def _cancellation(self, o: Offer) -> bool:
        """Cancel the offer as the platform would, paid as the policy says (False: not yet)."""
        r, roll = self.r, self.r()
        _, by, reasons, arrived_share = next(c for c in CUMULATIVE_CANCELS if roll < c[0])
        reason = reasons[int(r() * len(reasons))]
        arrived = r() < arrived_share
        arr = o.acc + 240 + int(r() * 840) if arrived else None
        canc = arr + 60 + int(r() * 780) if arr else o.acc + 60 + int(r() * 1080)
        if canc > NOW_TS - 30:
            return False
        o.arr = arr
        o.cancel(canc, by, reason, ORDER_AFTER_CANCEL.get(by, "assigned"))
        if arrived and by != "driver":
            o.paid_cancel = o.base
        elif by == "store":
            o.paid_cancel = o.base // 2
        elif by == "system" and canc + 2 * MINUTE <= NOW_TS and r() < 0.5:
            self.reissue(o, canc + 20 + int(r() * 40))
        elif by == "system":
            o.paid_cancel = o.base // 2  # the order went to another driver
        return True

    def reissue(self, o: Offer, at: int) -> Offer:
        """The platform's own reissue: a new offer for the same order and driver."""
        again = Offer(o.driver, self.stores[o.store], at, o.base, o.tip)
        again.parent = o
        o.order_status = "assigned"
        self.offers.append(again)
        self.deliver(again)
        return again

    def history(self, driver: Driver, days_ago: float) -> Offer:
        """A delivered, fully paid offer from an earlier day (before the span)."""
        stores = self.zone_stores[driver.zone]
        acc = NOW_TS - int(days_ago * DAY)
        o = Offer(driver.id, stores[int(self.r() * len(stores))], acc,
                  500 + 25 * int(self.r() * 37), 0)
        self.offers.append(o)
        self.deliver(o)
        return o


def assign_ids(offers: list[Offer]) -> list[Offer]:
    """Offers in acceptance order with their ids; orders numbered after their first offer."""
    ordered = sorted(offers, key=lambda o: (o.acc, o.parent is not None))
    for n, o in enumerate(ordered):
        o.id = f"ofr-{1_000_001 + n}"
        o.order_id = o.parent.order_id if o.parent is not None else f"ord-{1_000_001 + n}"
    return ordered
