"""What any support queue gets besides real defects: impatience, false alarms, questions,
safety reports, deactivations, noise, and ids that are not the driver's."""

from __future__ import annotations

from typing import Literal, TypedDict

from simulate.clock import DETECTION_SINCE, MINUTE, NOW_TS
from simulate.contacts import ContactSpec, Writer
from simulate.money import Deposit, Incentive
from simulate.wording import Slots
from simulate.world import Offer

MIX = (("pending_pay", 0.12), ("no_tip", 0.06), ("short_wait", 0.06),
       ("cancel_not_owed", 0.06), ("challenge_progress", 0.08), ("deposit_waiting", 0.06),
       ("bank_details", 0.02), ("pay_question", 0.10), ("account_access", 0.10),
       ("deactivation", 0.04), ("safety", 0.06), ("noise", 0.20), ("mismatch", 0.04))
SHARE = 0.015  # everyday contacts per offer of the day
OfferPool = Literal["pending_pay", "no_tip", "short_wait", "cancel_not_owed", "pay_question"]


class Pools(TypedDict):
    """The subjects that fit each kind of everyday contact that is about one."""

    pending_pay: list[Offer]
    no_tip: list[Offer]
    short_wait: list[Offer]
    cancel_not_owed: list[Offer]
    pay_question: list[Offer]
    challenge_progress: list[tuple[Incentive, str]]
    deposit_waiting: list[Deposit]
    bank_details: list[Deposit]


class Everyday:
    """Draws everyday contacts from pools of fitting subjects."""

    def __init__(self, w: Writer, done: dict[tuple[str, str], int]) -> None:
        self.w, self.rng, self.done = w, w.rng, done
        offers = [o for o in w.day.offers if o.acc >= DETECTION_SINCE]
        delivered = [o for o in offers if o.status == "delivered"]
        self.pools: Pools = {
            "pending_pay": [o for o in delivered if o.delivered_at >= NOW_TS - 45 * MINUTE],
            "no_tip": [o for o in delivered if o.tip == 0],
            "short_wait": [o for o in delivered if 8 <= (o.wait_minutes or 0) <= 15],
            "cancel_not_owed": [o for o in offers if o.status == "cancelled" and (
                o.by == "driver" or (o.by == "customer" and o.arr is None))],
            "pay_question": delivered,
            "challenge_progress": [(i, d) for i in w.day.incentives for d in i.enrolled
                                   if done.get((i.id, d), 0) < i.required],
            "deposit_waiting": [x for x in w.day.deposits if x.status == "pending"],
            "bank_details": [x for x in w.day.deposits if x.status == "failed"
                             and x.reason in ("account_closed", "invalid_account")],
        }
        self.active = [d.id for d in w.day.city.drivers if d.status == "active"]
        self.deactivated = [d.id for d in w.day.city.drivers if d.status == "deactivated"]
        self.delivered = delivered

    def draw(self, count: int) -> None:
        """`count` everyday contacts, by the mix."""
        names, weights = zip(*MIX, strict=True)
        for kind in self.rng.choices(names, weights, k=count):
            if self.pools.get(kind, True):
                getattr(self, kind)()
            else:
                self.noise()

    def _spec(self, driver: str, situation: str, about: str, after: int = NOW_TS
              ) -> ContactSpec:
        w = self.w
        return ContactSpec(driver, w.queue_time(after), situation, w.language(driver),
                           w.channel(), about)

    def _offer(self, pool: OfferPool, situation: str, about: str, quote: float = 0.65) -> None:
        o = self.rng.choice(self.pools[pool])
        spec = self._spec(o.driver, situation, about)
        self.w.add(spec, self.w.offer_slots(spec, o, quote))

    def pending_pay(self) -> None:
        """A driver asks about a delivery minutes old, before its pay is due."""
        o = self.rng.choice(self.pools["pending_pay"])
        spec = self._spec(o.driver, "missing_pay", "impatient")
        spec.at = max(NOW_TS, o.delivered_at + self.rng.randint(10, 40) * MINUTE)
        self.w.add(spec, self.w.offer_slots(spec, o, quote=0.85))

    def no_tip(self) -> None:
        """A tip asked for where the customer gave none."""
        self._offer("no_tip", "missing_tip", "false_alarm", quote=0.9)

    def short_wait(self) -> None:
        """Wait pay asked for a wait under the free minutes."""
        self._offer("short_wait", "wait_time_pay", "false_alarm", quote=0.9)

    def cancel_not_owed(self) -> None:
        """Pay asked for a cancellation that owes nothing."""
        self._offer("cancel_not_owed", "dropped_offer", "false_alarm")

    def pay_question(self) -> None:
        """How was this offer's pay made up?"""
        self._offer("pay_question", "pay_question", "question", quote=0.7)

    def challenge_progress(self) -> None:
        """A driver asks for a reward they have not earned (yet)."""
        inc, driver = self.rng.choice(self.pools["challenge_progress"])
        spec = self._spec(driver, "incentive", "false_alarm")
        self.w.add(spec, self.w.incentive_slots(spec, inc, self.done.get((inc.id, driver), 0)))

    def deposit_waiting(self) -> None:
        """Where is my pending deposit?"""
        x = self.rng.choice(self.pools["deposit_waiting"])
        spec = self._spec(x.driver, "deposit_waiting", "question")
        self.w.add(spec, self.w.deposit_slots(spec, x))

    def bank_details(self) -> None:
        """A deposit bounced for bank details only the driver can fix."""
        x = self.rng.choice(self.pools["bank_details"])
        spec = self._spec(x.driver, "deposit_failed", "false_alarm")
        self.w.add(spec, self.w.deposit_slots(spec, x))

    def _plain(self, driver: str, situation: str, about: str) -> None:
        self.w.add(self._spec(driver, situation, about), Slots())

    def account_access(self) -> None:
        """Cannot log in."""
        self._plain(self.rng.choice(self.active), "account_access", "question")

    def deactivation(self) -> None:
        """Why was I deactivated (mostly from deactivated drivers)."""
        pool = self.deactivated if self.deactivated and self.rng.random() < 0.7 else self.active
        self._plain(self.rng.choice(pool), "deactivation", "deactivation")

    def safety(self) -> None:
        """An accident, a bite, a threat."""
        self._plain(self.rng.choice(self.active), "safety", "safety")

    def noise(self) -> None:
        """Greetings, thanks, questions about other things, nothing at all."""
        self._plain(self.rng.choice(self.active), "other", "noise")

    def mismatch(self) -> None:
        """A driver quotes an offer id that is not theirs (a typo, or a friend's offer)."""
        o = self.rng.choice(self.delivered)
        driver = self.rng.choice(self.active)
        if driver == o.driver:
            return self.noise()
        spec = self._spec(driver, "missing_pay", "mismatch")
        wrong = o.id if self.rng.random() < 0.5 else f"ofr-{9_000_000 + self.rng.randint(0, 99)}"
        spec.offer_ids = (wrong,)
        self.w.add(spec, Slots(offer_id=wrong))
