"""Primitives for detection test worlds: clock, ids, entities, and the findings they imply."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
ZONES = ("nashville-1", "nashville-2", "memphis-1", "new-orleans-1", "austin-1", "austin-2")
FIRST_NAMES = ("Ana", "Mei", "Luis", "Rosa", "Darnell", "Samir", "Keisha", "Omar", "Lena", "Raj")
LAST_NAMES = ("Ruiz", "Patel", "Johnson", "Garcia", "Lopez", "Nguyen", "Okafor", "Smith")
TIPS = (100, 150, 200, 300, 400, 500, 650, 800)
FINDING_FIELDS = ("driver_id", "subject_id", "kind", "type", "amount_cents")
DETECTOR = {"reissue": "cancellation", "deposit_retry": "deposit"}
FINDING_TYPE = {"reissue": "offer_reissue", "deposit_retry": "deposit_retry"}
APPROVAL_TOTAL_CENTS = 200_000
APPROVAL_DRIVERS = 100


def iso(moment: datetime) -> str:
    """Format a time as ISO-8601 UTC with a Z, seconds precision."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(text: str) -> datetime:
    """Parse an ISO-8601 UTC time string."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def ago(minutes: float = 0, *, hours: float = 0, days: float = 0) -> datetime:
    """The moment that far before NOW."""
    return NOW - timedelta(minutes=minutes, hours=hours, days=days)


def minutes_before_now(text: str) -> int:
    """Whole minutes from an ISO time to NOW (negative for the future)."""
    return (NOW - parse(text)) // timedelta(minutes=1)


def wait_pay(wait_seconds: int) -> int:
    """Wait-time pay owed for a store wait, by the policy formula."""
    return min(max(wait_seconds // 60 - 15, 0) * 25, 1000)


def group_incidents(findings: list[dict]) -> list[dict]:
    """Group findings by (detector, cause); groups of 3 or more are incidents."""
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for finding in findings:
        groups[finding["detector"], finding["cause"]].append(finding)
    return [_incident(key, group) for key, group in sorted(groups.items()) if len(group) >= 3]


def _incident(key: tuple[str, str], group: list[dict]) -> dict:
    """One incident record from its group of findings."""
    total = sum(finding["amount_cents"] for finding in group)
    drivers = len({finding["driver_id"] for finding in group})
    waits = total > APPROVAL_TOTAL_CENTS or drivers > APPROVAL_DRIVERS
    return {
        "detector": key[0],
        "cause": key[1],
        "subjects": sorted({finding["subject_id"] for finding in group}),
        "drivers": drivers,
        "total_cents": total,
        "status": "awaiting_approval" if waits else "remediated",
    }


class Builder:
    """Accumulates a world and the findings and traps its construction implies."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.world: dict = {"now": iso(NOW)}
        for key in ("drivers", "stores", "orders", "offers", "earnings", "incentives", "deposits"):
            self.world[key] = []
        self.findings: list[dict] = []
        self.traps: list[dict] = []
        self.store_zone: dict[str, str] = {}
        self._offer_numbers = self.rng.sample(range(1, 100_000), 3_000)
        self._next = {kind: self.rng.randrange(100, 900) * 10 for kind in ("drv", "st", "inc")}
        self._next |= {"dep": self.rng.randrange(1000, 9000), "ern": 1, "case": 1}

    def _id(self, kind: str) -> int:
        self._next[kind] += 1
        return self._next[kind]

    def base(self) -> int:
        """A random quoted base pay."""
        return self.rng.randrange(600, 1600, 5)

    def tip(self) -> int:
        """A random positive customer tip."""
        return self.rng.choice(TIPS)

    def driver(self, zone: str) -> str:
        """Add an active driver with a home zone."""
        number = self._id("drv")
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        self.world["drivers"].append({
            "id": f"drv-{number}", "name": f"{first} {last}",
            "locale": self.rng.choice(("en", "en", "es")), "zone": zone,
            "onboarded_at": iso(ago(days=self.rng.randint(30, 900))), "status": "active",
            "phone": f"+1615{number:07d}",
            "email": f"{first.lower()}.{number}@example.com",
        })
        return f"drv-{number}"

    def store(self, zone: str) -> str:
        """Add a store in a zone."""
        number = self._id("st")
        store_id = f"st-{number}"
        self.world["stores"].append({"id": store_id, "name": f"Store {number}", "zone": zone})
        self.store_zone[store_id] = zone
        return store_id

    def _offer(self, driver: str, store: str, order_status: str, **fields) -> dict:
        number = self._offer_numbers.pop()
        zone = self.store_zone[store]
        order = {"id": f"ord-{number:05d}", "store_id": store, "zone": zone, "status": order_status}
        offer = {
            "id": f"ofr-{number:05d}", "order_id": order["id"], "driver_id": driver,
            "store_id": store, "zone": zone, "accepted_at": None, "arrived_at_store": None,
            "picked_up_at": None, "delivered_at": None, "cancelled_at": None,
            "cancelled_by": None, "cancel_reason": None, "status": "delivered",
            "base_pay_cents": self.base(), "customer_tip_cents": self.tip(), "reissued_from": None,
        }
        offer.update({k: iso(v) if isinstance(v, datetime) else v for k, v in fields.items()})
        self.world["orders"].append(order)
        self.world["offers"].append(offer)
        return offer

    def delivered(self, driver: str, store: str, minutes_ago: int, *, wait: int | None = None,
                  **fields) -> dict:
        """Add a delivered offer; wait is the store wait in seconds (default under 15 min)."""
        wait = self.rng.randint(60, 14 * 60 + 59) if wait is None else wait
        done = ago(minutes_ago)
        picked = done - timedelta(minutes=self.rng.randint(8, 30))
        arrived = picked - timedelta(seconds=wait)
        accepted = arrived - timedelta(minutes=self.rng.randint(4, 15))
        return self._offer(driver, store, "delivered", accepted_at=accepted,
                           arrived_at_store=arrived, picked_up_at=picked, delivered_at=done,
                           **fields)

    def cancelled(self, driver: str, store: str, minutes_ago: int, by: str, reason: str, *,
                  arrived: bool = False, order_status: str = "cancelled") -> dict:
        """Add an offer cancelled that many minutes ago."""
        at = ago(minutes_ago)
        accepted = at - timedelta(minutes=self.rng.randint(8, 25))
        reached = at - timedelta(minutes=self.rng.randint(1, 6)) if arrived else None
        return self._offer(driver, store, order_status, accepted_at=accepted,
                           arrived_at_store=reached, cancelled_at=at, cancelled_by=by,
                           cancel_reason=reason, status="cancelled", customer_tip_cents=0)

    def earn(self, driver: str, kind: str, amount: int, *, offer: dict | None = None,
             incentive: dict | None = None, source: str = "platform") -> dict:
        """Add an earning; remediations carry the policy idempotency key."""
        subject = offer or incentive
        event = (offer["delivered_at"] or offer["cancelled_at"]) if offer else incentive["ends_at"]
        created = min(parse(event) + timedelta(minutes=self.rng.randint(2, 40)), ago(1))
        remedy = source != "platform"
        earning = {
            "id": f"ern-{self._id('ern'):06d}", "driver_id": driver,
            "offer_id": offer and offer["id"], "incentive_id": incentive and incentive["id"],
            "kind": kind, "amount_cents": amount, "created_at": iso(created), "source": source,
            "idempotency_key": f"{driver}/{subject['id']}/{kind}" if remedy else None,
            "reference": f"case-{self._id('case'):05d}" if source == "contact" else None,
        }
        self.world["earnings"].append(earning)
        return earning

    def pay(self, offer: dict, *, base: int | None = None, tip: int | None = None) -> None:
        """Post platform base and tip earnings (defaults: exactly the quote)."""
        base = offer["base_pay_cents"] if base is None else base
        tip = offer["customer_tip_cents"] if tip is None else tip
        for kind, amount in (("base", base), ("tip", tip)):
            if amount > 0:
                self.earn(offer["driver_id"], kind, amount, offer=offer)

    def incentive(self, zone: str, starts: datetime, ends: datetime, required: int,
                  reward: int, enrolled: list[str]) -> dict:
        """Add an incentive challenge."""
        incentive = {
            "id": f"inc-{self._id('inc')}", "zone": zone, "name": f"Complete {required} deliveries",
            "starts_at": iso(starts), "ends_at": iso(ends), "required_deliveries": required,
            "reward_cents": reward, "enrolled_driver_ids": sorted(enrolled),
        }
        self.world["incentives"].append(incentive)
        return incentive

    def deposit(self, driver: str, minutes_ago: int, status: str, reason: str | None = None,
                retried: bool = False) -> dict:
        """Add a deposit created that many minutes ago."""
        created = ago(minutes_ago)
        deposit = {
            "id": f"dep-{self._id('dep')}", "driver_id": driver,
            "amount_cents": self.rng.randrange(2_000, 30_000, 50),
            "method": self.rng.choice(("instant", "weekly")), "status": status,
            "failure_reason": reason, "created_at": iso(created),
            "retried_at": iso(created + timedelta(minutes=30)) if retried else None,
        }
        self.world["deposits"].append(deposit)
        return deposit

    def finding(self, driver: str, subject: str, kind: str, amount: int, cause: str) -> None:
        """Record a finding the detector must report."""
        self.findings.append({
            "driver_id": driver, "subject_id": subject, "kind": kind,
            "type": FINDING_TYPE.get(kind, "pay_adjustment"), "amount_cents": amount,
            "detector": DETECTOR.get(kind, kind), "cause": cause,
        })

    def offer_finding(self, offer: dict, kind: str, amount: int, cause: str) -> None:
        """Record a finding about an offer."""
        self.finding(offer["driver_id"], offer["id"], kind, amount, cause)

    def trap(self, driver: str, subject: str, trap: str, *, finding: bool = False) -> None:
        """Label a subject; finding says whether it must still yield a finding."""
        self.traps.append({"subject_id": subject, "driver_id": driver, "trap": trap,
                           "finding": finding})

    def finish(self) -> tuple[dict, dict]:
        """The world and the expected detection output."""
        for key in ("offers", "orders"):
            self.world[key].sort(key=lambda row: row["id"])
        findings = sorted(self.findings, key=lambda f: (f["subject_id"], f["kind"], f["driver_id"]))
        expected = {
            "findings": [{k: f[k] for k in FINDING_FIELDS} for f in findings],
            "incidents": group_incidents(findings),
            "traps": sorted(self.traps, key=lambda t: (t["subject_id"], t["driver_id"], t["trap"])),
        }
        return self.world, expected
