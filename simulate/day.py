"""A simulated day: building it from a seed and a size, and the ledger and orders it implies."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from simulate.clock import HOUR, MINUTE
from simulate.defects import Defect, Planter
from simulate.layout import City, Driver, Size, build_city
from simulate.money import (
    Deposit,
    Incentive,
    build_deposits,
    build_incentives,
    pay_rewards,
    progress,
)
from simulate.world import Offer, Traffic, assign_ids

# (driver, offer_id, incentive_id, kind, amount, source, time, idempotency_key, reference)
EarningRow = tuple[str, str | None, str | None, str, int, str, int, str | None, str | None]
PLATFORM_KINDS = (("base", "paid_base"), ("tip", "paid_tip"), ("wait_time", "paid_wait"),
                  ("cancellation", "paid_cancel"))


@dataclass
class Remedy:
    """An earlier contact's remediation on an earlier day's offer."""

    offer: Offer
    amount: int
    at: int
    reference: str


@dataclass
class Day:
    """Everything generated for one seed and size (contacts are added by `simulate.contacts`)."""

    seed: int
    size: Size
    city: City
    offers: list[Offer]
    incentives: list[Incentive]
    deposits: list[Deposit]
    remedies: list[Remedy]
    defects: list[Defect]
    frequent: list[str]
    contacts: list = field(default_factory=list)

    def driver(self, driver_id: str) -> Driver:
        return self._drivers[driver_id]

    def __post_init__(self) -> None:
        self._drivers = {d.id: d for d in self.city.drivers}


def build_day(seed: int, size: Size) -> Day:
    """The world of a day with its defects planted (deterministic for a seed)."""
    rng = random.Random(seed)
    city = build_city(size, rng)
    traffic = Traffic(city, {s.id: s for s in city.stores}, rng)
    traffic.draw(size.offers)
    remedies, frequent = _earlier_remedies(traffic, city, rng)
    offers = assign_ids(traffic.offers)
    planter = Planter(rng, offers, size.offers, frequent)
    planter.offer_defects(city.zones)
    incentives = build_incentives(city, rng)
    pay_rewards(incentives, progress(incentives, offers), rng)
    planter.incentive_defects(incentives)
    deposits = build_deposits(city, offers, rng)
    planter.deposit_defects(deposits)
    for n, d in enumerate(planter.defects):
        d.id = f"dfx-{n + 1:05d}"
    return Day(seed, size, city, offers, incentives, deposits, remedies, planter.defects,
               frequent)


def _earlier_remedies(traffic: Traffic, city: City, rng: random.Random
                      ) -> tuple[list[Remedy], list[str]]:
    """Earlier days' offers that a contact had to fix: one for a few drivers, five or six for
    the frequent contacters (whose next paying contact goes to pay-review)."""
    active = [d for d in city.drivers if d.status == "active"]
    full = [d for d in active if d.kind == "full_time"] or active
    frequent = rng.sample(full, min(len(full), max(1, len(active) // 150)))
    occasional = rng.sample(active, max(1, len(active) // 50))
    remedies: list[Remedy] = []
    for d, times in [(d, rng.randint(5, 6)) for d in frequent] + [(d, 1) for d in occasional]:
        for _ in range(times):
            o = traffic.history(d, rng.uniform(2, 25))
            short = min(o.base - 100, rng.randrange(100, 501, 25))
            o.paid_base -= short
            at = o.delivered_at + rng.randint(6, 30) * HOUR + rng.randint(0, 59) * MINUTE
            remedies.append(Remedy(o, short, at, f"case-h{len(remedies) + 1:05d}"))
    return remedies, sorted(d.id for d in frequent)


def order_status(offers: list[Offer]) -> dict[str, str]:
    """Each order's status: its latest offer's say (a reissue decides for its order)."""
    status: dict[str, str] = {}
    for o in offers:
        status[o.order_id] = o.order_status
    return status


def earnings(day: Day) -> Iterator[EarningRow]:
    """The earnings ledger as the platform holds it, in a fixed order."""
    for o in day.offers:
        for kind, attr in PLATFORM_KINDS:
            amount = getattr(o, attr)
            if amount > 0:
                yield (o.driver, o.id, None, kind, amount, "platform", o.pay_at, None, None)
    for r in day.remedies:
        o = r.offer
        yield (o.driver, o.id, None, "base", r.amount, "contact", r.at,
               f"{o.driver}/{o.id}/base", r.reference)
    for inc in day.incentives:
        for driver in sorted(inc.paid):
            amount, at = inc.paid[driver]
            yield (driver, None, inc.id, "incentive", amount, "platform", at, None, None)
