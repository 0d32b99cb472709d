"""Contacts from the drivers who were hurt, after realistic delays, in their own words."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from simulate.clock import CONTACT_WINDOW, HOUR, NOW_TS, local_hour
from simulate.day import Day
from simulate.defects import Defect
from simulate.money import Deposit, Incentive
from simulate.wording import SITUATION_INTENT, Slots, render
from simulate.world import Offer

CHANNELS = (("chat", 0.5), ("in_app", 0.25), ("email", 0.13), ("phone", 0.12))
ASK_RATE = {"base": 0.45, "tip": 0.35, "wait_time": 0.25, "cancellation": 0.35,
            "reissue": 0.5, "incentive": 0.5, "deposit_retry": 0.6}
SITUATION = {"base": "missing_pay", "tip": "missing_tip", "wait_time": "wait_time_pay",
             "cancellation": "store_cancelled", "reissue": "dropped_offer",
             "incentive": "incentive", "deposit_retry": "deposit_failed"}
# The support queue's arrivals by local hour, over the 12 hours after now (22:00 to 10:00).
QUEUE = {22: 1.0, 23: 0.7, 0: 0.4, 1: 0.2, 2: 0.15, 3: 0.15, 4: 0.3, 5: 0.8, 6: 1.5, 7: 2.0,
         8: 2.2, 9: 2.0}


@dataclass
class ContactSpec:
    """One contact before it is numbered: who, when, about what, in which words."""

    driver: str
    at: int
    situation: str
    lang: str
    channel: str
    about: str  # defect | false_alarm | question | safety | deactivation | noise | mismatch
    text: str = ""
    offer_field: str | None = None  # the app's offer_id (the driver began on an offer screen)
    category: str | None = None
    offer_ids: tuple[str, ...] = ()
    order_ids: tuple[str, ...] = ()
    incentive_ids: tuple[str, ...] = ()
    deposit_ids: tuple[str, ...] = ()
    defect: Defect | None = None
    id: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def intent(self) -> str:
        return SITUATION_INTENT[self.situation]


class Writer:
    """Turns situations into contacts with one seeded generator."""

    def __init__(self, day: Day, rng: random.Random) -> None:
        self.day, self.rng = day, rng
        self.stores = {s.id: s for s in day.city.stores}
        self.specs: list[ContactSpec] = []

    def language(self, driver: str) -> str:
        """The language a driver writes in (mostly their profile's)."""
        locale = self.day.driver(driver).locale
        return "es" if locale == "es" and self.rng.random() < 0.85 else "en"

    def channel(self) -> str:
        """Chat, in-app, email or phone, by their shares."""
        roll = self.rng.random()
        for name, share in CHANNELS:
            if roll < share:
                return name
            roll -= share
        return "chat"

    def queue_time(self, after: int = NOW_TS) -> int:
        """An arrival time in the contact window, after `after`, shaped like the queue."""
        lo = max(after, NOW_TS)
        hours = [h for h in range((lo - NOW_TS) // HOUR, CONTACT_WINDOW // HOUR)]
        if not hours:
            return lo
        weights = [QUEUE[local_hour(NOW_TS + h * HOUR)] for h in hours]
        h = self.rng.choices(hours, weights)[0]
        return max(lo, NOW_TS + h * HOUR + self.rng.randint(0, HOUR - 1))

    def add(self, spec: ContactSpec, slots: Slots, hostile: bool = False) -> None:
        """Word a contact and keep it."""
        driver = self.day.driver(spec.driver)
        spec.text = render(spec.situation, spec.lang, spec.channel, slots,
                           driver.name.split()[0], self.rng, hostile)
        if spec.channel == "in_app" and self.rng.random() < 0.5:
            spec.category = spec.intent
        self.specs.append(spec)

    def offer_ref(self, spec: ContactSpec, o: Offer, quote: float = 0.65,
                  screen: float = 0.15) -> str | None:
        """How the driver points at the offer: quoted in the text, from the app's offer screen,
        or not at all (the policy then looks back over their recent offers)."""
        roll = self.rng.random()
        if roll < quote and o.status == "delivered" and self.rng.random() < 0.12:
            spec.order_ids = (o.order_id,)  # the order number on the receipt
            return o.order_id
        if roll < quote:
            spec.offer_ids = (o.id,)
            return o.id
        if roll < quote + screen:
            spec.channel, spec.offer_field, spec.offer_ids = "in_app", o.id, (o.id,)
        return None

    def offer_slots(self, spec: ContactSpec, o: Offer, quote: float = 0.65) -> Slots:
        """The slots of a message about an offer."""
        return Slots(offer_id=self.offer_ref(spec, o, quote), store=self.stores[o.store].name,
                     ref_kind="cancelled" if o.status == "cancelled" else "delivered",
                     wait_minutes=o.wait_minutes or 0, tip_cents=o.tip)

    def incentive_slots(self, spec: ContactSpec, inc: Incentive, done: int) -> Slots:
        """The slots of a message about a challenge: its id quoted, or its name."""
        quote = self.rng.random() < 0.35
        if quote:
            spec.incentive_ids = (inc.id,)
        name = inc.id if quote else (f"the {inc.name}" if spec.lang == "en"
                                     else f"el reto {inc.name}")
        return Slots(incentive=name, done=min(done, inc.required), required=inc.required)

    def deposit_slots(self, spec: ContactSpec, dep: Deposit) -> Slots:
        """The slots of a message about a deposit: its id quoted, or when it was."""
        if self.rng.random() < 0.4:
            spec.deposit_ids = (dep.id,)
            return Slots(deposit_id=dep.id)
        return Slots()


def delay(rng: random.Random, hurt: int) -> int | None:
    """When a hurt driver gets in touch, or None when they do not (in this window)."""
    at = hurt + int(rng.lognormvariate(math.log(2.5 * HOUR), 1.0))
    if at < NOW_TS:
        if rng.random() < 0.5:
            return None  # they gave up, or never looked
        at = NOW_TS + int(rng.lognormvariate(math.log(9 * HOUR), 0.25))  # the next morning
    return at if at < NOW_TS + CONTACT_WINDOW else None


def defect_contacts(w: Writer, done: dict[tuple[str, str], int]) -> None:
    """Some of the hurt drivers get in touch about what hurt them."""
    frequent = set(w.day.frequent)
    for d in w.day.defects:
        keen = d.driver in frequent
        rate = 0.75 if d.at > NOW_TS else ASK_RATE[d.kind]  # missed after detection ran
        if not keen and w.rng.random() >= rate:
            continue
        at = delay(w.rng, d.at) or (w.queue_time(d.at) if keen else None)
        if at is None:
            continue
        spec = ContactSpec(d.driver, at, SITUATION[d.kind], w.language(d.driver), w.channel(),
                           "defect", defect=d)
        if d.kind == "cancellation" and d.subject.by != "store":
            spec.situation = "dropped_offer"
        if d.kind == "incentive":
            slots = w.incentive_slots(spec, d.subject, done.get((d.subject.id, d.driver), 0))
        elif d.kind == "deposit_retry":
            slots = w.deposit_slots(spec, d.subject)
        else:
            slots = w.offer_slots(spec, d.subject)
        w.add(spec, slots, hostile=w.rng.random() < 0.03)
