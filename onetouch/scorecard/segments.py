"""Drivers' segments for the reports: each driver's segment from their offers (pure), and a
figure split by segment; the offers read from a state file or the platform."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

from integrations import NotFound, Platform
from onetouch.models import Driver, Offer
from policy.segments import SEGMENTS, SegmentRules, activity_of, segment_of

UNKNOWN = "unknown"
ORDER = (*SEGMENTS, UNKNOWN)
T = TypeVar("T")


def segment_map(drivers: Iterable[Driver], offers: Iterable[Offer], now: datetime,
                rules: SegmentRules) -> dict[str, str]:
    """Each driver's segment at `now`, from their offers in the rules' window."""
    by_driver: dict[str, list[Offer]] = defaultdict(list)
    for offer in offers:
        by_driver[offer.driver_id].append(offer)
    return {d.id: segment_of(activity_of(d, by_driver[d.id], now, rules.window_days), rules)
            for d in drivers}


def split(items: Iterable[T], driver_of: Callable[[T], str], segments: Mapping[str, str]
          ) -> dict[str, list[T]]:
    """Items by their driver's segment (`unknown` when the driver's segment is not known),
    in the segments' order, empty segments left out."""
    found: dict[str, list[T]] = defaultdict(list)
    for item in items:
        found[segments.get(driver_of(item), UNKNOWN)].append(item)
    return {name: found[name] for name in ORDER if found.get(name)}


def from_state(state: dict[str, Any], driver_ids: set[str], now: datetime,
               rules: SegmentRules) -> dict[str, str]:
    """The drivers' segments from a replay's state (or a world) file."""
    drivers = [Driver.model_validate(d) for d in state.get("drivers", ())
               if d["id"] in driver_ids]
    offers = [Offer.model_validate(o) for o in state.get("offers", ())
              if o["driver_id"] in driver_ids]
    return segment_map(drivers, offers, now, rules)


def from_platform(platform: Platform, driver_ids: set[str], now: datetime,
                  rules: SegmentRules) -> dict[str, str]:
    """The drivers' segments read from the platform: each driver once, one offers export."""
    drivers, offers = drivers_and_offers(platform, driver_ids,
                                         now - timedelta(days=rules.window_days), now)
    return segment_map(drivers.values(), offers, now, rules)


def drivers_and_offers(platform: Platform, driver_ids: Iterable[str], since: datetime,
                       now: datetime) -> tuple[dict[str, Driver], list[Offer]]:
    """The drivers the platform knows, each read once, and their offers from one export."""
    drivers = {}
    for driver_id in sorted(driver_ids):
        try:
            drivers[driver_id] = platform.drivers.get(driver_id)
        except NotFound:
            continue
    offers = [o for o in platform.exports.stream("offers", since, now) if o.driver_id in drivers]
    return drivers, offers
