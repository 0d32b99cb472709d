"""Injected defects: platform incidents (a zone's pay run, a store's tips, an app release, a
payout processor, a challenge's payout) and scattered misses of every kind the policy knows."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from simulate.clock import DETECTION_SINCE, GRACE, HOUR, MINUTE, NOW_TS, SPAN_START
from simulate.money import PASSING, Deposit, Incentive
from simulate.world import Offer

RATES = {"base": 0.004, "tip": 0.003, "wait_time": 0.002, "cancellation": 0.002}
LATE_SHARE = 0.3  # scattered pay misses in the last hour: a contact can beat detection to them


@dataclass
class Defect:
    """One driver hurt once: what went wrong, on which subject, caused by what, and when."""

    kind: str  # base | tip | wait_time | cancellation | reissue | incentive | deposit_retry
    origin: str  # the incident that caused it, or "scattered"
    driver: str
    subject: Any  # the Offer, Incentive or Deposit
    at: int  # when the driver could first notice
    id: str = ""


def incidents_count(offers: int) -> int:
    """Incidents of one kind in a day: a city has one, bigger platforms a few more."""
    return max(1, round(math.sqrt(offers / 6000)))


class Planter:
    """Plants defects into a built day, every draw from one seeded generator."""

    def __init__(self, rng: random.Random, offers: list[Offer], volume: int,
                 frequent: list[str]) -> None:
        self.rng, self.offers, self.volume = rng, offers, volume
        self.frequent = set(frequent)
        self.defects: list[Defect] = []
        self.hit: set[tuple[int, str]] = set()  # (id(subject), kind) already defective

    def _add(self, kind: str, origin: str, o: Any, driver: str, at: int) -> None:
        self.hit.add((id(o), kind))
        self.defects.append(Defect(kind, origin, driver, o, at))

    def _delivered(self, lo: int, hi: int) -> list[Offer]:
        return [o for o in self.offers if o.status == "delivered" and o.deliv is not None
                and lo <= o.deliv < hi and o.pay_at <= NOW_TS]

    def offer_defects(self, zones: list[str]) -> None:
        """Every offer defect: the incidents first, then the scattered ones."""
        for _ in range(incidents_count(self.volume)):
            self.pay_run_failure(self.rng.choice(zones))
            self.tips_stopped()
        self.app_release(self.rng.sample(zones, min(len(zones), incidents_count(self.volume))))
        for kind in ("base", "tip", "wait_time", "cancellation"):
            self.scattered(kind, max(2, round(self.volume * RATES[kind])))
        self.frequent_misses()

    def pay_run_failure(self, zone: str) -> None:
        """A zone's pay run fails for an hour: no base pay for the deliveries it should pay."""
        start = NOW_TS - self.rng.randint(75, 10 * 60) * MINUTE
        origin = f"pay_run_failure:{zone}"
        for o in self._delivered(start, start + HOUR):
            if o.zone == zone and (id(o), "base") not in self.hit:
                o.paid_base = 0
                self._add("base", origin, o, o.driver, o.delivered_at + GRACE)

    def tips_stopped(self) -> None:
        """A busy store's tips stop reaching drivers some hours before now."""
        counts: dict[str, int] = {}
        for o in self._delivered(NOW_TS - 8 * HOUR, NOW_TS):
            if o.tip:
                counts[o.store] = counts.get(o.store, 0) + 1
        if not counts:
            return
        busy = sorted(counts, key=lambda s: (-counts[s], s))[:10]
        store, since = self.rng.choice(busy), NOW_TS - self.rng.randint(3 * 60, 7 * 60) * MINUTE
        for o in self._delivered(since, NOW_TS):
            if o.store == store and o.tip and (id(o), "tip") not in self.hit:
                o.paid_tip = 0
                self._add("tip", f"tips_stopped:{store}", o, o.driver, o.delivered_at + GRACE)

    def app_release(self, zones: list[str]) -> None:
        """An app release drops offers in progress for half an hour, shortly before now."""
        begin = NOW_TS - self.rng.randint(45, 55) * MINUTE
        end = begin + self.rng.randint(20, 30) * MINUTE
        for o in self.offers:
            if o.zone not in zones or o.acc >= end - MINUTE or o.status == "cancelled":
                continue
            at = max(begin, o.acc + MINUTE) + self.rng.randint(0, 600)
            if at >= end or (o.pick is not None and o.pick <= at) or self.rng.random() > 0.7:
                continue
            o.cancel(at, "system", "app_error", "open")
            kind = "cancellation" if o.arr is not None else "reissue"
            self._add(kind, f"app_release:{o.zone}", o, o.driver, at)

    def frequent_misses(self) -> None:
        """Each frequent contacter has one more delivery unpaid that detection at now cannot
        see: inside the pay grace, else older than its window (their contact goes to review)."""
        latest: dict[str, Offer] = {}
        for o in self._delivered(SPAN_START, NOW_TS):
            if o.driver in self.frequent and o.paid_base == o.base and (id(o), "base") not in \
                    self.hit and (o.delivered_at > NOW_TS - GRACE
                                  or o.delivered_at < DETECTION_SINCE):
                latest[o.driver] = o
        for driver in sorted(latest):
            o = latest[driver]
            o.paid_base = 0
            self._add("base", "scattered", o, driver, o.delivered_at + GRACE)

    def scattered(self, kind: str, count: int) -> None:
        """Misses of one kind spread over the day, a share of them in the last hour."""
        late = int(count * LATE_SHARE) if kind in ("base", "tip") else 0
        pools = ((self._pool(kind, DETECTION_SINCE + 10 * MINUTE, NOW_TS - GRACE - 5 * MINUTE),
                  count - late), (self._pool(kind, NOW_TS - GRACE + 2 * MINUTE, NOW_TS), late))
        for pool, k in pools:
            for o in self.rng.sample(pool, min(k, len(pool))):
                self._short(kind, o)

    def _pool(self, kind: str, lo: int, hi: int) -> list[Offer]:
        if kind == "cancellation":
            return [o for o in self.offers if o.status == "cancelled" and o.paid_cancel > 0
                    and o.canc is not None and lo <= o.canc < hi and (id(o), kind) not in self.hit]
        paid = {"base": "paid_base", "tip": "paid_tip", "wait_time": "paid_wait"}[kind]
        return [o for o in self._delivered(lo, hi)
                if getattr(o, paid) > 0 and (id(o), kind) not in self.hit]

    def _short(self, kind: str, o: Offer) -> None:
        """Nothing paid, or (for base, tip and cancellations) a little less than owed."""
        field = {"base": "paid_base", "tip": "paid_tip", "wait_time": "paid_wait",
                 "cancellation": "paid_cancel"}[kind]
        paid = getattr(o, field)
        short = self.rng.randrange(100, 501, 25)
        keep = paid - short if kind != "wait_time" and self.rng.random() < 0.4 else 0
        setattr(o, field, max(0, keep))
        self._add(kind, "scattered", o, o.driver, (o.canc or o.delivered_at + GRACE))

    def incentive_defects(self, incentives: list[Incentive]) -> None:
        """One challenge's payout fails for everyone; a few rewards go missing elsewhere."""
        ended = [i for i in incentives if len(i.paid) >= 3 and i.ends >= DETECTION_SINCE]
        for inc in self.rng.sample(ended, min(len(ended), incidents_count(self.volume))):
            for driver in sorted(inc.paid):
                del inc.paid[driver]
                self._add("incentive", f"incentive_payout:{inc.id}", inc, driver,
                          inc.ends + 15 * MINUTE)
        for inc in incentives:
            rate = 0.06 if inc.ends >= DETECTION_SINCE else 0.15  # older: only a contact fixes
            for driver in sorted(inc.paid):
                if self.rng.random() < rate:
                    del inc.paid[driver]
                    self._add("incentive", "scattered", inc, driver, inc.ends + 15 * MINUTE)

    def deposit_defects(self, deposits: list[Deposit]) -> None:
        """A payout processor outage fails every instant cash-out for an hour; a few more
        deposits fail for a passing reason and are never retried."""
        for _ in range(incidents_count(self.volume)):
            start = NOW_TS - self.rng.randint(120, 150) * MINUTE
            for x in deposits:
                if x.method == "instant" and start <= x.created < start + HOUR \
                        and x.status != "failed":
                    x.status, x.reason = "failed", "processor_error"
                    self._add("deposit_retry", "payout_outage", x, x.driver, x.created)
        for x in deposits:
            if x.status != "failed" and self.rng.random() < 0.012:
                x.status, x.reason = "failed", self.rng.choice(PASSING)
                self._add("deposit_retry", "scattered", x, x.driver, x.created)
