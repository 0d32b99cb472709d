"""Challenges with their enrolments and rewards, and deposits to the drivers' banks."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field

from simulate.clock import DAY, HOUR, MINUTE, NOW_TS, SPAN_START, local_midnight
from simulate.layout import City
from simulate.world import Offer

TODAY = local_midnight(NOW_TS)
YESTERDAY = TODAY - DAY
CHALLENGES = (  # name, local start, local end (hours from the local midnight), share of zones,
    # required deliveries, reward range (cents, step 100)
    ("Lunch Rush", TODAY + 11 * HOUR, TODAY + 14 * HOUR, 0.7, (4, 5), (1200, 2000)),
    ("Dinner Quest", TODAY + 17 * HOUR, TODAY + 21 * HOUR, 0.7, (5, 7), (2000, 3500)),
    ("Thursday Night Challenge", YESTERDAY + 17 * HOUR, YESTERDAY + 21 * HOUR + 30 * MINUTE,
     0.5, (4, 5), (3000, 9000)),
    ("Weekend Warrior", TODAY, TODAY + 3 * DAY, 0.35, (40, 40), (6000, 6000)),
)
ENROL = {"full_time": 0.7, "part_time": 0.5, "new": 0.3}
BANK_DETAILS = ("account_closed", "invalid_account")
PASSING = ("bank_timeout", "processor_error")


@dataclass
class Incentive:
    """A challenge, who enrolled, and the rewards the platform paid (driver → (cents, time))."""

    id: str
    zone: str
    name: str
    starts: int
    ends: int
    required: int
    reward: int
    enrolled: list[str]
    paid: dict[str, tuple[int, int]] = field(default_factory=dict)


@dataclass
class Deposit:
    """A payout to the driver's bank."""

    id: str
    driver: str
    amount: int
    method: str
    status: str
    created: int
    reason: str | None = None
    retried: int | None = None


def build_incentives(city: City, rng: random.Random) -> list[Incentive]:
    """Challenges in a share of the zones, with the zone's drivers enrolled by kind."""
    incentives: list[Incentive] = []
    by_zone: dict[str, list] = defaultdict(list)
    for d in city.drivers:
        if d.status == "active":
            by_zone[d.zone].append(d)
    for zone in city.zones:
        for name, starts, ends, share, required, reward in CHALLENGES:
            if rng.random() >= share:
                continue
            enrolled = sorted(d.id for d in by_zone[zone] if rng.random() < ENROL[d.kind])
            incentives.append(Incentive(
                id=f"inc-{5001 + len(incentives)}", zone=zone, name=name, starts=starts,
                ends=ends, required=rng.randint(*required),
                reward=rng.randrange(reward[0], reward[1] + 1, 100), enrolled=enrolled))
    return incentives


def progress(incentives: list[Incentive], offers: list[Offer]) -> dict[tuple[str, str], int]:
    """Deliveries counted toward each (incentive, driver): in its zone, inside its window."""
    by_zone: dict[str, list[tuple[Incentive, frozenset[str]]]] = defaultdict(list)
    for inc in incentives:
        by_zone[inc.zone].append((inc, frozenset(inc.enrolled)))
    done: dict[tuple[str, str], int] = defaultdict(int)
    for o in offers:
        if o.deliv is None:
            continue
        for inc, enrolled in by_zone.get(o.zone, ()):
            if o.driver in enrolled and inc.starts <= o.deliv < inc.ends:
                done[(inc.id, o.driver)] += 1
    return done


def pay_rewards(incentives: list[Incentive], done: dict[tuple[str, str], int],
                rng: random.Random) -> None:
    """The platform pays every met, ended challenge a few minutes after it ends."""
    for inc in incentives:
        at = inc.ends + rng.randint(2, 15) * MINUTE
        if at > NOW_TS:
            continue
        for driver in inc.enrolled:
            if done.get((inc.id, driver), 0) >= inc.required:
                inc.paid[driver] = (inc.reward, at + rng.randint(0, 59))


def build_deposits(city: City, offers: list[Offer], rng: random.Random) -> list[Deposit]:
    """Monday's weekly payouts and today's instant cash-outs (a few bounce for bank details)."""
    last_offer: dict[str, int] = {}
    for o in offers:
        if o.deliv is not None and o.acc >= SPAN_START:
            last_offer[o.driver] = max(last_offer.get(o.driver, 0), o.deliv)
    rows: list[Deposit] = []
    monday = TODAY - 4 * DAY + 8 * HOUR
    for d in city.drivers:
        if d.onboarded_ts < monday - 7 * DAY and rng.random() < 0.9:
            status = "pending" if rng.random() < 0.04 else "paid"
            rows.append(Deposit("", d.id, rng.randrange(8000, 90001, 50), "weekly", status,
                                monday + rng.randint(0, 3600)))
        if d.id in last_offer and rng.random() < {"full_time": 0.6, "part_time": 0.4,
                                                   "new": 0.3}[d.kind]:
            created = min(last_offer[d.id] + rng.randint(5, 120) * MINUTE, NOW_TS - 60)
            rows.append(_instant(d.id, created, rng))
    rows.sort(key=lambda x: (x.created, x.driver))
    for n, x in enumerate(rows):
        x.id = f"dep-{200_001 + n}"
    return rows


def _instant(driver: str, created: int, rng: random.Random) -> Deposit:
    deposit = Deposit("", driver, rng.randrange(3000, 25001, 50), "instant", "paid", created)
    if NOW_TS - created < HOUR and rng.random() < 0.7:
        deposit.status = "pending"
    elif rng.random() < 0.006:
        deposit.status, deposit.reason = "failed", rng.choice(BANK_DETAILS)
    elif rng.random() < 0.004:  # a passing failure the platform already retried
        deposit.status, deposit.reason = "failed", rng.choice(PASSING)
        deposit.retried = min(created + rng.randint(5, 30) * MINUTE, NOW_TS - 60)
    return deposit
