"""Independent oracle for proactive defect detection: seeded worlds and their expected findings.

Regenerate the committed fixture with `python -m tests.detection_worlds --seed 0 --out DIR`.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from pathlib import Path

from tests.detection_builder import ZONES, Builder, ago, minutes_before_now, wait_pay

TRAP_CATEGORIES = (
    "inside_grace", "older_than_24h", "wait_exactly_15", "wait_already_paid", "overpaid",
    "already_remediated", "tip_zero", "cancellation_fully_paid",
    "customer_cancelled_before_arrival", "driver_cancelled", "cancelled_older_than_24h",
    "app_error_order_not_open", "app_error_after_60_min", "app_error_after_arrival",
    "incentive_not_enrolled", "incentive_not_met", "incentive_running",
    "incentive_ended_over_24h", "incentive_already_paid",
    "deposit_bad_account", "deposit_already_retried", "deposit_failed_over_24h",
    "deposit_not_failed",
)


@dataclass
class Plan:
    """The seeded layout: zones, stores and the regular driver pool."""

    rng: random.Random
    zones: list[str]
    stores: dict[str, list[str]]
    drivers: list[str]

    def who(self) -> str:
        """A random regular driver."""
        return self.rng.choice(self.drivers)

    def store(self, zone: str | None = None) -> str:
        """A random store, in the given zone if any."""
        return self.rng.choice(self.stores[zone or self.rng.choice(self.zones)])

    def recent(self) -> int:
        """Minutes ago for a delivery inside the detection window, clear of its edges."""
        return self.rng.randint(70, 1380)


def _plan(b: Builder) -> Plan:
    zones = b.rng.sample(ZONES, 4)
    stores = {zone: [b.store(zone) for _ in range(b.rng.randint(2, 3))] for zone in zones}
    drivers = [b.driver(b.rng.choice(zones)) for _ in range(b.rng.randint(20, 30))]
    return Plan(b.rng, zones, stores, drivers)


def _normal_traffic(b: Builder, p: Plan) -> None:
    for _ in range(b.rng.randint(70, 110)):
        b.pay(b.delivered(p.who(), p.store(), b.rng.randint(65, 2880)))
    for _ in range(b.rng.randint(2, 5)):
        offer = b.delivered(p.who(), p.store(), b.rng.randint(65, 1380), customer_tip_cents=0)
        b.pay(offer)


def _base_defects(b: Builder, p: Plan) -> None:
    for _ in range(b.rng.randint(4, 7)):
        offer = b.delivered(p.who(), p.store(p.zones[0]), p.recent())
        b.pay(offer, base=0)
        b.offer_finding(offer, "base", offer["base_pay_cents"], f"zone={p.zones[0]}")
    for zone in b.rng.sample(p.zones[1:], 2):
        offer = b.delivered(p.who(), p.store(zone), p.recent())
        short = b.rng.randrange(100, 500, 25)
        b.pay(offer, base=offer["base_pay_cents"] - short)
        b.offer_finding(offer, "base", short, f"zone={zone}")


def _tip_defects(b: Builder, p: Plan) -> None:
    stopped = p.stores[p.zones[2]][0]
    for _ in range(b.rng.randint(3, 5)):
        offer = b.delivered(p.who(), stopped, p.recent())
        b.pay(offer, tip=0)
        b.offer_finding(offer, "tip", offer["customer_tip_cents"], f"store={stopped}")
    others = [store for zone in p.zones for store in p.stores[zone] if store != stopped]
    for store in b.rng.sample(others, 2):
        offer = b.delivered(p.who(), store, p.recent(), customer_tip_cents=b.rng.choice((500, 800)))
        short = b.rng.randrange(50, 400, 50)
        b.pay(offer, tip=offer["customer_tip_cents"] - short)
        b.offer_finding(offer, "tip", short, f"store={store}")


def _wait_defects(b: Builder, p: Plan) -> None:
    slow = p.stores[p.zones[3]][0]
    waits = [(slow, b.rng.randint(16 * 60, 45 * 60)) for _ in range(b.rng.choice((2, 3)))]
    waits.append((p.stores[p.zones[0]][-1], b.rng.randint(60 * 60, 90 * 60)))
    for store, wait in waits:
        offer = b.delivered(p.who(), store, p.recent(), wait=wait)
        b.pay(offer)
        b.offer_finding(offer, "wait_time", wait_pay(wait), f"store={store}")


def _cancel_finding(b: Builder, offer: dict, amount: int) -> None:
    cause = f"zone={offer['zone']}/reason={offer['cancel_reason']}"
    b.offer_finding(offer, "cancellation", amount, cause)


def _cancellation_defects(b: Builder, p: Plan) -> None:
    for _ in range(b.rng.randint(1, 2)):
        offer = b.cancelled(p.who(), p.store(), b.rng.randint(30, 1380), "store", "out_of_stock")
        _cancel_finding(b, offer, offer["base_pay_cents"] // 2)
    offer = b.cancelled(p.who(), p.store(), b.rng.randint(30, 1380), "store", "store_closed",
                        arrived=True)
    half = offer["base_pay_cents"] // 2
    b.earn(offer["driver_id"], "cancellation", half, offer=offer)
    _cancel_finding(b, offer, offer["base_pay_cents"] - half)
    offer = b.cancelled(p.who(), p.store(), b.rng.randint(30, 1380), "customer",
                        "customer_request", arrived=True)
    _cancel_finding(b, offer, offer["base_pay_cents"])


def _app_error_defects(b: Builder, p: Plan) -> None:
    zone = p.zones[1]
    for _ in range(b.rng.randint(3, 5)):
        offer = b.cancelled(p.who(), p.store(zone), b.rng.randint(5, 55), "system", "app_error",
                            order_status="open")
        b.offer_finding(offer, "reissue", 0, f"zone={zone}/reason=app_error")
    cases = (("app_error_order_not_open", (5, 55), False, "assigned"),
             ("app_error_after_60_min", (70, 1380), False, "open"),
             ("app_error_after_arrival", (5, 55), True, "open"))
    for trap, window, arrived, status in cases:
        offer = b.cancelled(p.who(), p.store(b.rng.choice(p.zones[:2])), b.rng.randint(*window),
                            "system", "app_error", arrived=arrived, order_status=status)
        base = offer["base_pay_cents"]
        _cancel_finding(b, offer, base if arrived else base // 2)
        b.trap(offer["driver_id"], offer["id"], trap, finding=True)


def _delivery_traps(b: Builder, p: Plan) -> None:
    for trap, minutes in (("inside_grace", (10, 55)), ("older_than_24h", (1500, 2800))):
        for _ in range(2):
            offer = b.delivered(p.who(), p.store(), b.rng.randint(*minutes), wait=40 * 60)
            b.trap(offer["driver_id"], offer["id"], trap)
    offer = b.delivered(p.who(), p.store(), p.recent(), wait=15 * 60 + b.rng.randint(0, 59))
    b.pay(offer)
    b.trap(offer["driver_id"], offer["id"], "wait_exactly_15")
    wait = b.rng.randint(20 * 60, 50 * 60)
    offer = b.delivered(p.who(), p.store(), p.recent(), wait=wait)
    b.pay(offer)
    b.earn(offer["driver_id"], "wait_time", wait_pay(wait), offer=offer)
    b.trap(offer["driver_id"], offer["id"], "wait_already_paid")
    offer = b.delivered(p.who(), p.store(), p.recent())
    b.pay(offer, base=offer["base_pay_cents"] + 150, tip=offer["customer_tip_cents"] + 100)
    b.trap(offer["driver_id"], offer["id"], "overpaid")
    offer = b.delivered(p.who(), p.store(), p.recent(), customer_tip_cents=0)
    b.pay(offer)
    b.trap(offer["driver_id"], offer["id"], "tip_zero")


def _remediated_traps(b: Builder, p: Plan) -> None:
    offer = b.delivered(p.who(), p.store(), p.recent())
    b.pay(offer, base=offer["base_pay_cents"] - 300)
    b.earn(offer["driver_id"], "base", 300, offer=offer, source="proactive")
    b.trap(offer["driver_id"], offer["id"], "already_remediated")
    offer = b.delivered(p.who(), p.store(), p.recent())
    b.pay(offer, tip=0)
    b.earn(offer["driver_id"], "tip", offer["customer_tip_cents"], offer=offer, source="contact")
    b.trap(offer["driver_id"], offer["id"], "already_remediated")
    offer = b.cancelled(p.who(), p.store(), b.rng.randint(30, 1380), "store", "out_of_stock",
                        arrived=True)
    b.earn(offer["driver_id"], "cancellation", offer["base_pay_cents"], offer=offer,
           source="proactive")
    b.trap(offer["driver_id"], offer["id"], "already_remediated")
    offer = b.cancelled(p.who(), p.store(), b.rng.randint(30, 1380), "store", "store_closed",
                        arrived=True)
    b.earn(offer["driver_id"], "cancellation", offer["base_pay_cents"], offer=offer)
    b.trap(offer["driver_id"], offer["id"], "cancellation_fully_paid")


def _cancellation_traps(b: Builder, p: Plan) -> None:
    cases = (("customer_cancelled_before_arrival", "customer", "customer_request", False, 900),
             ("driver_cancelled", "driver", "driver_request", False, 900),
             ("driver_cancelled", "driver", "too_far", True, 900),
             ("driver_cancelled", "driver", "app_error", True, 30),
             ("cancelled_older_than_24h", "store", "out_of_stock", True, 2000),
             ("cancelled_older_than_24h", "system", "app_error", False, 1700))
    for trap, by, reason, arrived, minutes in cases:
        offer = b.cancelled(p.who(), p.store(), minutes + b.rng.randint(0, 60), by, reason,
                            arrived=arrived, order_status="open" if by == "driver" else "cancelled")
        b.trap(offer["driver_id"], offer["id"], trap)


def _challenge(b: Builder, p: Plan, starts_ago: int, ends_ago: int, required: int, reward: int,
               enrolled: list[str]) -> dict:
    """Add an incentive in a random zone between the given minutes ago."""
    return b.incentive(b.rng.choice(p.zones), ago(starts_ago), ago(ends_ago), required, reward,
                       enrolled)


def _progress(b: Builder, p: Plan, driver: str, incentive: dict, count: int,
              zone: str | None = None) -> None:
    """Add fully paid deliveries inside an incentive's window (in its zone unless told)."""
    lo = max(minutes_before_now(incentive["ends_at"]), 65) + 30
    hi = minutes_before_now(incentive["starts_at"]) - 30
    for _ in range(count):
        b.pay(b.delivered(driver, p.store(zone or incentive["zone"]), b.rng.randint(lo, hi)))


def _met_incentive(b: Builder, p: Plan, reward: int, met: int) -> tuple[dict, list[str]]:
    """An incentive ended in the last 24 h, met (and unpaid) by `met` drivers."""
    ends_ago = b.rng.randint(120, 1300)
    required = b.rng.randint(3, 6)
    drivers = [b.driver(b.rng.choice(p.zones)) for _ in range(met)]
    incentive = _challenge(b, p, ends_ago + b.rng.randint(3, 6) * 1440, ends_ago, required,
                           reward, drivers)
    for driver in drivers:
        _progress(b, p, driver, incentive, required + b.rng.randint(0, 2))
        b.finding(driver, incentive["id"], "incentive", reward, f"incentive={incentive['id']}")
    return incentive, drivers


def _incentive_defects(b: Builder, p: Plan) -> None:
    big, drivers = _met_incentive(b, p, b.rng.randrange(55_000, 80_001, 500), b.rng.randint(4, 5))
    _met_incentive(b, p, b.rng.randrange(2_000, 6_001, 250), b.rng.randint(1, 2))
    lagging, paid, outsider = (b.driver(big["zone"]) for _ in range(3))
    big["enrolled_driver_ids"] = sorted(drivers + [lagging, paid])
    required = big["required_deliveries"]
    _progress(b, p, lagging, big, required - 1)
    _progress(b, p, lagging, big, 1, zone=next(z for z in p.zones if z != big["zone"]))
    early = minutes_before_now(big["starts_at"]) + 90
    b.pay(b.delivered(lagging, p.store(big["zone"]), early))
    for driver in (paid, outsider):
        _progress(b, p, driver, big, required + 1)
    b.earn(paid, "incentive", big["reward_cents"], incentive=big)
    for driver, trap in ((lagging, "incentive_not_met"), (paid, "incentive_already_paid"),
                         (outsider, "incentive_not_enrolled")):
        b.trap(driver, big["id"], trap)


def _incentive_traps(b: Builder, p: Plan) -> None:
    windows = (("incentive_running", b.rng.randint(2, 4) * 1440, -b.rng.randint(1440, 4320)),
               ("incentive_ended_over_24h", 6 * 1440, b.rng.randint(26 * 60, 60 * 60)))
    for trap, starts_ago, ends_ago in windows:
        driver = b.driver(b.rng.choice(p.zones))
        incentive = _challenge(b, p, starts_ago, ends_ago, 3, b.rng.randrange(2_000, 9_001, 500),
                               [driver])
        _progress(b, p, driver, incentive, 4)
        b.trap(driver, incentive["id"], trap)


def _deposits(b: Builder, p: Plan) -> None:
    for reason, count in (("processor_error", b.rng.randint(2, 4)),
                          ("bank_timeout", b.rng.randint(1, 2))):
        for _ in range(count):
            deposit = b.deposit(p.who(), b.rng.randint(60, 1380), "failed", reason)
            b.finding(deposit["driver_id"], deposit["id"], "deposit_retry",
                      deposit["amount_cents"], f"failure={reason}")
    traps = (("deposit_bad_account", 600, "failed", "account_closed", False),
             ("deposit_bad_account", 300, "failed", "invalid_account", False),
             ("deposit_already_retried", 400, "failed", "processor_error", True),
             ("deposit_failed_over_24h", 1800, "failed", "bank_timeout", False),
             ("deposit_not_failed", 200, "pending", None, False),
             ("deposit_not_failed", 900, "paid", None, False))
    for trap, minutes, status, reason, retried in traps:
        deposit = b.deposit(p.who(), minutes + b.rng.randint(0, 120), status, reason, retried)
        b.trap(deposit["driver_id"], deposit["id"], trap)
    for _ in range(b.rng.randint(3, 6)):
        b.deposit(p.who(), b.rng.randint(2, 10) * 1440, "paid")


STEPS = (_normal_traffic, _base_defects, _tip_defects, _wait_defects, _cancellation_defects,
         _app_error_defects, _delivery_traps, _remediated_traps, _cancellation_traps,
         _incentive_defects, _incentive_traps, _deposits)


def build_detection_world(seed: int) -> tuple[dict, dict]:
    """A detection world for a seed, and the findings and incidents detection at `now` must give."""
    b = Builder(seed)
    plan = _plan(b)
    for step in STEPS:
        step(b, plan)
    return b.finish()


def dumps(data: dict) -> str:
    """Pretty JSON as committed (2-space indent, trailing newline)."""
    return json.dumps(data, indent=2) + "\n"


def write(seed: int, out: Path) -> tuple[Path, Path]:
    """Write world-N.json and expected-N.json for a seed into a directory."""
    out.mkdir(parents=True, exist_ok=True)
    world, expected = build_detection_world(seed)
    paths = (out / f"world-{seed}.json", out / f"expected-{seed}.json")
    for path, data in zip(paths, (world, expected), strict=True):
        path.write_text(dumps(data))
    return paths


def main(argv: list[str] | None = None) -> None:
    """Command line: python -m tests.detection_worlds --seed N --out DIR."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data" / "detection")
    args = parser.parse_args(argv)
    for path in write(args.seed, args.out):
        print(path)


if __name__ == "__main__":
    main()
