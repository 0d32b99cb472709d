"""Big detection worlds, generated straight to sandbox rows and loaded in bulk.

A world of N offers over the 30 hours before `now`: drivers (1 per 50 offers), stores
(1 per 200), zones (1 per 5,000), delivered offers paid base + tip (+ wait time) by the
platform, cancellations paid as the policy says, reissues, challenges paid to the drivers who
met them, deposits, a few earlier remediations, and about 0.2 % of offers with a shortfall —
half of them clustered (a zone's base-pay outage, stores whose tips stopped, slow stores whose
wait pay never posted, a zone's unpaid store cancellations, an app-error outage, a challenge
left unpaid) so that incidents form, half scattered.

Documents are written as JSON text directly (no models); a sample of every entity is checked
against the models by `check_sample`. Run on its own to build a sandbox database:

    .venv/bin/python benchmarks/bigworld.py --offers 100000 --seed 0 --db /tmp/world.db
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from simulate.clock import Times as IsoTimes

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
NOW_TS = int(NOW.timestamp())
MINUTE, HOUR, DAY = 60, 3600, 86400
SPAN = 30 * HOUR
SINCE_TS = NOW_TS - 24 * HOUR
DEFECT_RATE = 0.002
CANCEL_RATE = 0.06
CITIES = ("nashville", "memphis", "austin", "dallas", "houston", "atlanta", "denver", "tampa")
FIRST_NAMES = ("Ana", "Mei", "Luis", "Rosa", "Darnell", "Samir", "Keisha", "Omar", "Lena", "Raj")
LAST_NAMES = ("Ruiz", "Patel", "Johnson", "Garcia", "Lopez", "Nguyen", "Okafor", "Smith")
TIPS = (0, 0, 100, 150, 200, 300, 300, 400, 500, 650, 800)
CANCELS = (  # cumulative share, cancelled_by, cancel_reason
    (0.40, "customer", "customer_request"), (0.55, "store", "out_of_stock"),
    (0.65, "store", "store_closed"), (0.80, "driver", "driver_request"),
    (0.90, "driver", "too_far"), (1.00, "system", "app_error"))
ORDER_AFTER_CANCEL = {"customer": "cancelled", "store": "cancelled", "driver": "open",
                      "system": "assigned"}
SHARES = {"base": 0.35, "tip": 0.25, "wait_time": 0.15, "cancellation": 0.12, "reissue": 0.03,
          "incentive": 0.05, "deposit": 0.05}
ROW_ORDER = {  # must equal sandbox.store.row_columns(name)
    "drivers": ("id", "data"),
    "stores": ("id", "zone", "data"),
    "orders": ("id", "status", "data"),
    "offers": ("id", "driver_id", "order_id", "reissued_from", "status", "accepted_at",
               "export_at", "data"),
    "earnings": ("id", "driver_id", "offer_id", "incentive_id", "kind", "source", "created_at",
                 "idempotency_key", "data"),
    "incentives": ("id", "zone", "ends_at", "data"),
    "deposits": ("id", "driver_id", "status", "created_at", "data"),
}


def wait_pay(minutes: int) -> int:
    """The platform's ordinary wait-time pay (what the policy would owe)."""
    return min(max(minutes - 15, 0) * 25, 1000)


class Times(IsoTimes):
    """ISO-8601 and sandbox time-key text for whole-second times, from a per-minute table."""

    def __init__(self, start: int, end: int) -> None:
        super().__init__(start, end)
        self._key = [f":{s:02d}.000000Z" for s in range(60)]

    def key(self, ts: int) -> str:
        d = ts - self.start
        return self._minutes[d // MINUTE] + self._key[d % MINUTE]

    def json(self, ts: int | None) -> str:
        return "null" if ts is None else f'"{self.iso(ts)}"'


class Offer:
    """One offer while the world is built: times as epoch seconds, what the platform paid."""

    __slots__ = ("id", "order_id", "driver", "store", "zone", "acc", "arr", "pick", "deliv",
                 "canc", "by", "reason", "status", "base", "tip", "reissued_from", "order_status",
                 "paid_base", "paid_tip", "paid_wait", "paid_cancel", "pay_at", "remedy")

    def __init__(self, oid: str, driver: str, store: str, zone: str, acc: int, base: int,
                 tip: int) -> None:
        self.id, self.order_id = oid, "ord-" + oid[4:]
        self.driver, self.store, self.zone, self.acc = driver, store, zone, acc
        self.arr = self.pick = self.deliv = self.canc = self.by = self.reason = None
        self.reissued_from = None
        self.status, self.order_status = "accepted", "assigned"
        self.base, self.tip = base, tip
        self.paid_base = self.paid_tip = self.paid_wait = self.paid_cancel = 0
        self.pay_at = 0
        self.remedy: tuple[str, int] | None = None

    @property
    def wait_minutes(self) -> int:
        return (self.pick - self.arr) // MINUTE if self.arr and self.pick else 0


@dataclass
class BigWorld:
    """A generated world: prepared sandbox rows by entity, enrollments, and what went in."""

    now: datetime
    rows: dict[str, list[tuple]]
    enrolled: list[tuple[str, str]]
    planted: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.rows.items()}

    def world_json(self) -> str:
        """The same world as World JSON (for the ordinary load path and for checks)."""
        parts = [f'"now":"{self.now:%Y-%m-%dT%H:%M:%SZ}"']
        parts += [f'"{name}":[{",".join(row[-1] for row in rows)}]'
                  for name, rows in self.rows.items()]
        return "{" + ",".join(parts) + "}"


class Generator:
    """Builds one world; every random draw comes from one seeded generator."""

    def __init__(self, offers: int, seed: int) -> None:
        self.n = offers
        self.rng = random.Random(seed)
        self.r = self.rng.random
        self.t = Times(NOW_TS - 4 * DAY, NOW_TS + 3 * DAY)
        self.offers: list[Offer] = []
        self.planted: dict[str, int] = defaultdict(int)
        self.target = {k: max(1, round(DEFECT_RATE * offers * v)) for k, v in SHARES.items()}
        self._layout()

    # -- layout -------------------------------------------------------------------------
    def _layout(self) -> None:
        r, n = self.r, self.n
        zones_n = max(4, n // 5000)
        self.zones = [f"{CITIES[i % len(CITIES)]}-{i // len(CITIES) + 1}" for i in range(zones_n)]
        self.stores = [f"st-{i:06d}" for i in range(max(3 * zones_n, n // 200))]
        self.store_zone = {s: self.zones[i % zones_n] for i, s in enumerate(self.stores)}
        self.by_zone: dict[str, list[str]] = defaultdict(list)
        for s, z in self.store_zone.items():
            self.by_zone[z].append(s)
        self.drivers = [f"drv-{i:06d}" for i in range(max(20, n // 50))]
        self.driver_zone = {d: self.zones[int(r() * zones_n)] for d in self.drivers}
        self.slow = set(self.rng.sample(self.stores, max(1, len(self.stores) // 500)))

    # -- offers -------------------------------------------------------------------------
    def _delivery(self, o: Offer) -> None:
        """Drive an accepted offer forward in time; the platform pays what is due by now."""
        r = self.r
        arr = o.acc + 300 + int(r() * 900)
        long = r() < (0.5 if o.store in self.slow else 0.04)
        pick = arr + (960 + int(r() * 1800) if long else 60 + int(r() * 780))
        deliv = pick + 480 + int(r() * 1620)
        if arr > NOW_TS:
            return
        o.arr, o.status = arr, "arrived"
        if pick > NOW_TS:
            return
        o.pick, o.status = pick, "picked_up"
        if deliv > NOW_TS:
            return
        o.deliv, o.status, o.order_status = deliv, "delivered", "delivered"
        o.pay_at = deliv + 60 + int(r() * 2940)
        if o.pay_at <= NOW_TS:
            o.paid_base, o.paid_tip, o.paid_wait = o.base, o.tip, wait_pay(o.wait_minutes)

    def _cancellation(self, o: Offer) -> bool:
        """Cancel the offer (False when that would be in the future): paid as the policy says."""
        r = self.r
        roll = r()
        _, by, reason = next(c for c in CANCELS if roll < c[0])
        arrived = r() < 0.4
        arr = o.acc + 300 + int(r() * 900) if arrived else None
        canc = (arr + 60 + int(r() * 840)) if arrived else o.acc + 60 + int(r() * 1140)
        if canc > NOW_TS:
            return False
        o.arr, o.canc, o.by, o.reason, o.status = arr, canc, by, reason, "cancelled"
        o.order_status = ORDER_AFTER_CANCEL[by]
        o.pay_at = min(canc + int(r() * 30), NOW_TS)
        if arrived and by != "driver":
            o.paid_cancel = o.base
        elif by == "store":
            o.paid_cancel = o.base // 2
        elif by == "system" and canc + 60 <= NOW_TS and r() < 0.5:
            self._reissue(o)
        elif by == "system":
            o.paid_cancel = o.base // 2
        return True

    def _reissue(self, o: Offer) -> None:
        again = Offer(f"off-{len(self.offers) + 1:08d}", o.driver, o.store, o.zone, o.canc + 60,
                      o.base, o.tip)
        again.order_id, again.reissued_from = o.order_id, o.id
        self._delivery(again)
        self.offers.append(again)

    def _offer(self) -> None:
        r = self.r
        driver = self.drivers[int(r() * len(self.drivers))]
        home = self.by_zone[self.driver_zone[driver]]
        store = home[int(r() * len(home))] if r() < 0.9 else self.stores[
            int(r() * len(self.stores))]
        o = Offer(f"off-{len(self.offers) + 1:08d}", driver, store, self.store_zone[store],
                  NOW_TS - 300 - int(r() * SPAN), 600 + 5 * int(r() * 200),
                  TIPS[int(r() * len(TIPS))])
        self.offers.append(o)
        if not (r() < CANCEL_RATE and self._cancellation(o)):
            self._delivery(o)

    # -- defects ------------------------------------------------------------------------
    def _sample(self, pool: list[Offer], k: int, taken: set[str]) -> list[Offer]:
        pool = [o for o in pool if o.id not in taken]
        chosen = self.rng.sample(pool, min(k, len(pool)))
        taken.update(o.id for o in chosen)
        return chosen

    def _short(self, amount: int) -> int:
        """What the platform paid of `amount`: nothing, or a little less."""
        if self.r() < 0.5:
            return 0
        return max(0, amount - self.rng.randrange(100, 501, 25))

    def _defects(self) -> None:
        t, rng = self.target, self.rng
        done = [o for o in self.offers if o.status == "delivered"
                and SINCE_TS + 600 <= o.deliv <= NOW_TS - 70 * MINUTE]
        taken: dict[str, set[str]] = defaultdict(set)
        # earlier remediations (by a contact): paid in full in the end, never a finding
        for o in self._sample(done, max(1, self.n // 1000), taken["base"]):
            short = rng.randrange(100, 501, 25)
            o.paid_base, o.remedy = o.base - short, ("base", short)
        # base: a few zones' two-hour payment outage, then scattered misses
        outage = {z: rng.randint(SINCE_TS + HOUR, NOW_TS - 4 * HOUR)
                  for z in rng.sample(self.zones, max(1, len(self.zones) // 25))}
        pool = [o for o in done if o.zone in outage and 0 <= o.deliv - outage[o.zone] < 2 * HOUR]
        self._plant("base", self._sample(pool, t["base"] // 2, taken["base"]), lambda o: 0)
        rest = t["base"] - self.planted["base"]
        self._plant("base", self._sample(done, rest, taken["base"]), lambda o: self._short(o.base))
        # tip: stores whose tips stopped passing through some hours ago, then scattered
        tipped = [o for o in done if o.tip > 0]
        broken = {s: NOW_TS - rng.randint(3, 8) * HOUR
                  for s in rng.sample(self.stores, max(1, len(self.stores) // 400))}
        pool = [o for o in tipped if o.deliv >= broken.get(o.store, NOW_TS)]
        self._plant("tip", self._sample(pool, t["tip"] // 2, taken["tip"]), lambda o: 0)
        rest = t["tip"] - self.planted["tip"]
        self._plant("tip", self._sample(tipped, rest, taken["tip"]), lambda o: self._short(o.tip))
        # wait time: slow stores whose wait pay never posted, then scattered
        waited = [o for o in done if o.paid_wait > 0]
        pool = [o for o in waited if o.store in self.slow]
        self._plant("wait_time", self._sample(pool, t["wait_time"] // 2, taken["wait"]),
                    lambda o: 0)
        rest = t["wait_time"] - self.planted["wait_time"]
        self._plant("wait_time", self._sample(waited, rest, taken["wait"]), lambda o: 0)
        # cancellations: a zone's unpaid store cancellations, then scattered
        cancelled = [o for o in self.offers if o.status == "cancelled" and o.paid_cancel > 0
                     and o.canc >= SINCE_TS + 600]
        zones = set(rng.sample(self.zones, max(1, len(self.zones) // 50)))
        pool = [o for o in cancelled if o.zone in zones and o.by == "store"]
        self._plant("cancellation", self._sample(pool, t["cancellation"] // 2, taken["canc"]),
                    lambda o: 0)
        rest = t["cancellation"] - self.planted["cancellation"]
        self._plant("cancellation", self._sample(cancelled, rest, taken["canc"]),
                    lambda o: self._short(o.paid_cancel))
        self._app_error_outage()

    def _plant(self, kind: str, offers: list[Offer], paid) -> None:
        attr = {"base": "paid_base", "tip": "paid_tip", "wait_time": "paid_wait",
                "cancellation": "paid_cancel"}[kind]
        for o in offers:
            setattr(o, attr, paid(o))
        self.planted[kind] += len(offers)

    def _app_error_outage(self) -> None:
        """App-error cancellations of the last hour in a few zones, orders open, not reissued."""
        r, zones = self.r, self.rng.sample(self.zones, max(1, len(self.zones) // 60))
        for _ in range(self.target["reissue"]):
            zone = zones[int(r() * len(zones))]
            store = self.by_zone[zone][int(r() * len(self.by_zone[zone]))]
            o = Offer(f"off-{len(self.offers) + 1:08d}", self.drivers[int(r() * len(self.drivers))],
                      store, zone, NOW_TS - 55 * MINUTE + int(r() * 40 * MINUTE),
                      600 + 5 * int(r() * 200), TIPS[int(r() * len(TIPS))])
            o.canc, o.by, o.reason = o.acc + 60 + int(r() * 600), "system", "app_error"
            o.status, o.order_status = "cancelled", "open"
            self.offers.append(o)
            self.planted["reissue"] += 1

    # -- challenges and deposits ---------------------------------------------------------
    def _incentives(self) -> tuple[list[dict], list[dict]]:
        rng, r = self.rng, self.r
        incentives, earnings = [], []
        count = max(2, len(self.zones) // 2)
        zones = rng.sample(self.zones, min(count, len(self.zones)))
        home: dict[str, list[str]] = defaultdict(list)
        for d, z in self.driver_zone.items():
            home[z].append(d)
        for i, zone in enumerate(zones):
            ends = NOW_TS - rng.randint(30 * MINUTE, 20 * HOUR)
            starts = ends - rng.randint(6, 10) * HOUR
            enrolled = sorted(d for d in home[zone] if r() < 0.5)
            incentives.append({"id": f"inc-{i:05d}", "zone": zone, "name": f"Weekend rush {i}",
                               "starts_at": starts, "ends_at": ends,
                               "required_deliveries": rng.randint(5, 9),
                               "reward_cents": rng.randrange(500, 3001, 50),
                               "enrolled_driver_ids": enrolled})
        for j, zone in enumerate(rng.sample(self.zones, 2)):  # running; ended before the window
            ends = NOW_TS + 2 * DAY if j == 0 else NOW_TS - 40 * HOUR
            incentives.append({"id": f"inc-9{j:04d}", "zone": zone, "name": f"Challenge 9{j}",
                               "starts_at": ends - 3 * DAY, "ends_at": ends,
                               "required_deliveries": 10, "reward_cents": 2000,
                               "enrolled_driver_ids": sorted(home[zone])[:20]})
        met = self._met(incentives[:count])
        unpaid: set[tuple[str, str]] = set()
        for inc_id in rng.sample(sorted(met), max(1, len(met) // 20)):
            for pair in met[inc_id]:
                if len(unpaid) < self.target["incentive"] // 2:
                    unpaid.add(pair)
        everyone = sorted(p for pairs in met.values() for p in pairs if p not in unpaid)
        want = max(0, self.target["incentive"] - len(unpaid))
        unpaid.update(rng.sample(everyone, min(want, len(everyone))))
        self.planted["incentive"] = len(unpaid)
        ends = {i["id"]: i["ends_at"] for i in incentives}
        for pairs in met.values():
            for inc_id, driver in pairs:
                if (inc_id, driver) not in unpaid:
                    reward = next(i["reward_cents"] for i in incentives if i["id"] == inc_id)
                    earnings.append({"driver": driver, "incentive": inc_id, "amount": reward,
                                     "at": ends[inc_id] + int(r() * 60)})
        return incentives, earnings

    def _met(self, incentives: list[dict]) -> dict[str, list[tuple[str, str]]]:
        """The (incentive, driver) pairs whose challenge was met, by incentive."""
        by_zone = defaultdict(list)
        for inc in incentives:
            by_zone[inc["zone"]].append((inc, set(inc["enrolled_driver_ids"])))
        progress: dict[tuple[str, str], int] = defaultdict(int)
        for o in self.offers:
            if o.deliv is None:
                continue
            for inc, enrolled in by_zone.get(o.zone, ()):
                if o.driver in enrolled and inc["starts_at"] <= o.deliv < inc["ends_at"]:
                    progress[(inc["id"], o.driver)] += 1
        required = {i["id"]: i["required_deliveries"] for i in incentives}
        met: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for (inc_id, driver), done in sorted(progress.items()):
            if done >= required[inc_id]:
                met[inc_id].append((inc_id, driver))
        return met

    def _deposits(self) -> list[tuple]:
        r, rng = self.r, self.rng
        deposits = []
        for d in self.drivers:
            if r() < 0.8:
                created = NOW_TS - int(r() * SPAN)
                roll = r()
                status, reason, retried = "paid", None, None
                if roll < 0.03:
                    status = "failed"
                    reason = rng.choice(("bank_timeout", "processor_error", "account_closed",
                                         "invalid_account"))
                    if reason in ("bank_timeout", "processor_error"):
                        retried = created + rng.randint(5, 60) * MINUTE
                elif roll < 0.07:
                    status = "pending"
                deposits.append([d, created, status, reason, retried])
        window = [x for x in deposits if x[1] >= SINCE_TS + 600 and x[2] != "failed"]
        for x in rng.sample(window, min(self.target["deposit"], len(window))):
            x[2], x[3], x[4] = "failed", rng.choice(("bank_timeout", "processor_error")), None
            self.planted["deposit"] += 1
        return deposits

    # -- rows ---------------------------------------------------------------------------
    def build(self) -> BigWorld:
        for _ in range(self.n):
            self._offer()
        self._defects()
        incentives, incentive_pay = self._incentives()
        deposits = self._deposits()
        t = self.t
        rows: dict[str, list[tuple]] = {name: [] for name in ROW_ORDER}
        for i, d in enumerate(self.drivers):
            name = f"{FIRST_NAMES[i % 10]} {LAST_NAMES[i % 8]}"
            onboarded = datetime.fromtimestamp(NOW_TS - (30 + i % 900) * DAY, UTC)
            doc = {"id": d, "name": name, "locale": "es" if i % 3 == 0 else "en",
                   "zone": self.driver_zone[d],
                   "onboarded_at": f"{onboarded:%Y-%m-%dT%H:%M:%SZ}",
                   "status": "active", "phone": f"+1615{i:07d}",
                   "email": f"{name.split()[0].lower()}.{i}@example.com"}
            rows["drivers"].append((d, _dumps(doc)))
        for s in self.stores:
            rows["stores"].append((s, self.store_zone[s], _dumps(
                {"id": s, "name": f"Store {s[3:]}", "zone": self.store_zone[s]})))
        earnings = rows["earnings"]
        self.orders: dict[str, list[str]] = {}
        for o in self.offers:
            self._offer_rows(o, rows)
        for order_id, (store, zone, status) in self.orders.items():
            rows["orders"].append((order_id, status, (
                f'{{"id":"{order_id}","store_id":"{store}","zone":"{zone}",'
                f'"status":"{status}"}}')))
        for pay in incentive_pay:
            self._earning(earnings, pay["driver"], None, pay["incentive"], "incentive",
                          pay["amount"], pay["at"])
        enrolled = []
        for inc in incentives:
            doc = dict(inc, starts_at=t.iso(inc["starts_at"]), ends_at=t.iso(inc["ends_at"]))
            rows["incentives"].append((inc["id"], inc["zone"], t.key(inc["ends_at"]), _dumps(doc)))
            enrolled += [(inc["id"], d) for d in inc["enrolled_driver_ids"]]
        for k, (d, created, status, reason, retried) in enumerate(deposits):
            dep_id = f"dep-{k:07d}"
            doc = {"id": dep_id, "driver_id": d, "amount_cents": 2000 + 50 * (k * 7919 % 760),
                   "method": "instant" if k % 5 < 3 else "weekly", "status": status,
                   "failure_reason": reason, "created_at": t.iso(created),
                   "retried_at": None if retried is None else t.iso(retried)}
            rows["deposits"].append((dep_id, d, status, t.key(created), _dumps(doc)))
        return BigWorld(NOW, rows, enrolled, dict(self.planted))

    def _offer_rows(self, o: Offer, rows: dict[str, list[tuple]]) -> None:
        t = self.t
        data = (f'{{"id":"{o.id}","order_id":"{o.order_id}","driver_id":"{o.driver}",'
                f'"store_id":"{o.store}","zone":"{o.zone}","accepted_at":"{t.iso(o.acc)}",'
                f'"arrived_at_store":{t.json(o.arr)},"picked_up_at":{t.json(o.pick)},'
                f'"delivered_at":{t.json(o.deliv)},"cancelled_at":{t.json(o.canc)},'
                f'"cancelled_by":{_js(o.by)},"cancel_reason":{_js(o.reason)},'
                f'"status":"{o.status}","base_pay_cents":{o.base},'
                f'"customer_tip_cents":{o.tip},"reissued_from":{_js(o.reissued_from)}}}')
        export_at = max(o.acc, o.deliv or 0, o.canc or 0)
        rows["offers"].append((o.id, o.driver, o.order_id, o.reissued_from, o.status,
                               t.key(o.acc), t.key(export_at), data))
        if o.reissued_from is None:
            self.orders[o.order_id] = [o.store, o.zone, o.order_status]
        else:  # the reissue decides the order's status
            self.orders[o.order_id][2] = o.order_status
        earnings = rows["earnings"]
        for kind, amount in (("base", o.paid_base), ("tip", o.paid_tip),
                             ("wait_time", o.paid_wait), ("cancellation", o.paid_cancel)):
            if amount > 0:
                self._earning(earnings, o.driver, o.id, None, kind, amount, o.pay_at)
        if o.remedy is not None:
            kind, amount = o.remedy
            self._earning(earnings, o.driver, o.id, None, kind, amount,
                          min(o.pay_at + 6 * HOUR, NOW_TS - 60), source="contact",
                          key=f"{o.driver}/{o.id}/{kind}", reference=f"case-c{o.id[4:]}")

    def _earning(self, earnings: list[tuple], driver: str, offer: str | None,
                 incentive: str | None, kind: str, amount: int, at: int, source: str = "platform",
                 key: str | None = None, reference: str | None = None) -> None:
        eid = f"ern-{len(earnings) + 1:08d}"
        created = self.t.iso(at)
        data = (f'{{"id":"{eid}","driver_id":"{driver}","offer_id":{_js(offer)},'
                f'"incentive_id":{_js(incentive)},"kind":"{kind}","amount_cents":{amount},'
                f'"created_at":"{created}","source":"{source}",'
                f'"idempotency_key":{_js(key)},"reference":{_js(reference)}}}')
        earnings.append((eid, driver, offer, incentive, kind, source, self.t.key(at), key, data))


def _js(value: str | None) -> str:
    return "null" if value is None else f'"{value}"'


def _dumps(doc: dict) -> str:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def generate(offers: int, seed: int = 0) -> BigWorld:
    """A world of about `offers` offers (plus reissues and the last hour's app-error outage)."""
    gc.disable()  # millions of small objects: the cycle collector only slows the build down
    try:
        return Generator(offers, seed).build()
    finally:
        gc.enable()


def check_sample(world: BigWorld, samples: int = 2000) -> int:
    """Rows, sampled across every entity, equal what the sandbox would make from the models."""
    from onetouch.models import ENTITY_MODELS
    from sandbox.store import entity_row, row_columns

    checked = 0
    for name, rows in world.rows.items():
        columns = row_columns(name)
        if columns != ROW_ORDER[name]:
            raise AssertionError(f"{name}: the sandbox's columns are now {columns}")
        for row in [*rows[:: max(1, len(rows) // samples)], *rows[-3:]]:
            expected = entity_row(name, ENTITY_MODELS[name].model_validate_json(row[-1]))
            if tuple(expected[c] for c in columns) != tuple(row):
                raise AssertionError(f"{name} row {row[0]} differs from the model's: {row}")
            checked += 1
    return checked


def load_bulk(world: BigWorld, db_path: Path) -> dict[str, int]:
    """Load the world into a sandbox database file through `sandbox.store.bulk_load`."""
    from sandbox.db import Database
    from sandbox.store import bulk_load

    db = Database.open(db_path)
    try:
        return bulk_load(db, world.now, world.rows, world.enrolled)
    finally:
        db.close()


def load_ordinary(world: BigWorld, db_path: Path) -> None:
    """Load the world the ordinary way: one validated World, then `load_world` (no HTTP)."""
    from onetouch.models import World
    from sandbox.db import Database
    from sandbox.store import load_world

    model = World.model_validate_json(world.world_json())
    db = Database.open(db_path)
    try:
        with db.writer() as session:
            load_world(session, model)
            session.commit()
    finally:
        db.close()


def main(argv: list[str] | None = None) -> None:
    """Generate a world, check a sample of it, load it; print counts and timings as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--path", choices=("bulk", "ordinary"), default="bulk")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    world = generate(args.offers, args.seed)
    generated = time.perf_counter()
    checked = check_sample(world)
    checked_at = time.perf_counter()
    args.db.unlink(missing_ok=True)
    (load_bulk if args.path == "bulk" else load_ordinary)(world, args.db)
    loaded = time.perf_counter()
    print(json.dumps({"counts": world.counts(), "planted": world.planted, "checked": checked,
                      "generate_s": round(generated - started, 2),
                      "check_s": round(checked_at - generated, 2),
                      "load_s": round(loaded - checked_at, 2), "path": args.path,
                      "db_mib": round(args.db.stat().st_size / 2**20, 1)}))


if __name__ == "__main__":
    main()
