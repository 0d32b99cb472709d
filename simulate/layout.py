"""The city: zones, stores with their wait and tipping habits, drivers by kind with their shifts."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from simulate.clock import DAY, HOUR, MINUTE, NOW_TS, SPAN_START, local_midnight

CITIES = ("austin", "nashville", "memphis", "new-orleans")  # all on Central time
FIRST_EN = ("Ana", "Mei", "Darnell", "Samir", "Keisha", "Omar", "Lena", "Raj", "Tom", "Priya",
            "Jordan", "Emily", "Marcus", "Grace", "Tyler", "Aisha", "Kevin", "Hannah")
FIRST_ES = ("Luis", "Rosa", "María", "José", "Carmen", "Alejandro", "Lucía", "Miguel",
            "Guadalupe", "Javier", "Sofía", "Diego", "Valeria", "Ramón")
LAST = ("Ruiz", "Patel", "Johnson", "García", "López", "Nguyen", "Okafor", "Smith", "Hernández",
        "Martínez", "Brown", "Kim", "Flores", "Williams", "Reyes", "Davis")
STORE_A = ("Fresh", "Lone Star", "Corner", "Sunrise", "Green Valley", "Main Street", "El Sol",
           "Golden", "Eastside", "Riverside", "Happy", "Central", "La Esquina", "Big Sky")
STORE_B = ("Market", "Grocery", "Pharmacy", "Taqueria", "Deli", "Bakery", "Pizza", "Foods",
           "Kitchen", "Mart", "Wings", "Noodle House", "Supermercado", "Pho")
KINDS = (("full_time", 0.3, 3), ("part_time", 0.5, 2), ("new", 0.2, 1))  # kind, share, weight


@dataclass(frozen=True)
class Size:
    """How big a day is: drivers, stores and offers."""

    drivers: int
    stores: int
    offers: int


PRESETS = {"small": Size(80, 24, 1_200), "city": Size(350, 100, 5_000),
           "large": Size(25_000, 6_000, 1_000_000)}


@dataclass
class Store:
    """A store: its zone, how popular it is, how long it makes drivers wait, how its customers
    tip."""

    id: str
    name: str
    zone: str
    weight: float
    wait_median: float  # minutes
    tip_rate: float


@dataclass
class Driver:
    """A driver: kind, home zone, language, shifts (start, end) in epoch seconds."""

    id: str
    name: str
    kind: str
    zone: str
    locale: str
    onboarded_ts: int
    status: str = "active"
    weight: int = 1
    shifts: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class City:
    """Everything the day happens in."""

    zones: list[str]
    stores: list[Store]
    drivers: list[Driver]

    def stores_in(self, zone: str) -> list[Store]:
        return [s for s in self.stores if s.zone == zone]


def zone_names(count: int) -> list[str]:
    """One city's zones for a city-sized day, the four cities' for bigger ones."""
    if count <= 8:
        return [f"austin-{i + 1}" for i in range(count)]
    return [f"{CITIES[i % len(CITIES)]}-{i // len(CITIES) + 1}" for i in range(count)]


def build_city(size: Size, rng: random.Random) -> City:
    """Zones, stores and drivers for a size."""
    zones = zone_names(max(3, min(size.stores // 20, 400)))
    stores = [_store(i, zones[i % len(zones)], rng) for i in range(size.stores)]
    drivers = [_driver(i, zones[int(rng.random() * len(zones))], rng)
               for i in range(size.drivers)]
    return City(zones, stores, drivers)


def _store(i: int, zone: str, rng: random.Random) -> Store:
    slow = rng.random() < 0.04
    return Store(id=f"st-{1001 + i}", name=f"{rng.choice(STORE_A)} {rng.choice(STORE_B)}",
                 zone=zone, weight=rng.lognormvariate(0, 0.8),
                 wait_median=rng.uniform(17, 26) if slow else rng.uniform(3, 11),
                 tip_rate=rng.uniform(0.55, 0.9))


def _driver(i: int, zone: str, rng: random.Random) -> Driver:
    roll, kind, weight = rng.random(), "new", 1
    for name, share, w in KINDS:
        if roll < share:
            kind, weight = name, w
            break
        roll -= share
    locale = "es" if rng.random() < 0.35 else "en"
    first = rng.choice(FIRST_ES if locale == "es" and rng.random() < 0.8 else FIRST_EN)
    tenure = rng.randint(2, 13) if kind == "new" else rng.randint(30, 1500)
    driver = Driver(id=f"drv-{10001 + i}", name=f"{first} {rng.choice(LAST)}", kind=kind,
                    zone=zone, locale=locale, onboarded_ts=NOW_TS - tenure * DAY - rng.randint(
                        0, DAY), weight=weight)
    if rng.random() < 0.01:
        driver.status = "deactivated"
    else:
        driver.shifts = _shifts(kind, rng)
    return driver


def _shifts(kind: str, rng: random.Random) -> list[tuple[int, int]]:
    """The driver's shifts on the two local days the span touches."""
    shifts = []
    for midnight in (local_midnight(SPAN_START), local_midnight(NOW_TS)):
        works = {"full_time": 0.9, "part_time": 0.6, "new": 0.7}[kind]
        if rng.random() >= works:
            continue
        if kind == "full_time":
            start, hours = (rng.uniform(17.5, 19) if rng.random() < 0.12
                            else rng.uniform(8.5, 11)), rng.uniform(8, 10)
        elif kind == "part_time":
            start, hours = (rng.uniform(16, 18), rng.uniform(4, 5.5)) if rng.random() < 0.6 \
                else (rng.uniform(10.5, 12), rng.uniform(3, 4))
        else:
            start, hours = rng.uniform(10, 18), rng.uniform(3, 5)
        begin = midnight + int(start * HOUR)
        shifts.append((begin, begin + int(hours * HOUR) + rng.randint(0, 59) * MINUTE))
    return shifts
