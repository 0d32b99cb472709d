"""Proactive detection (pure): the amount rules applied to a window of platform data."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from onetouch.models import Deposit, Earning, EarningKind, Incentive, Offer, Order
from policy.amounts import (
    Assessment,
    assess_cancellation,
    assess_delivery_pay,
    assess_deposit,
    assess_incentive,
    assess_wait_time,
    counts_toward,
    delivery_pay_due,
    wait_time_due,
)
from policy.case import Frozen, RemediationAction, ReplyItem
from policy.config import PolicyConfig
from policy.paid import NOTHING_PAID, Paid

DELIVERY_KINDS: tuple[EarningKind, ...] = ("base", "tip", "wait_time")
PaidKey = tuple[str, str, str]


class Scope(Frozen):
    """What an alert narrows a detection run to: a zone, a store, or everything."""

    zone: str | None = None
    store_id: str | None = None

    def covers(self, offer: Offer) -> bool:
        return (self.zone in (None, offer.zone)) and (self.store_id in (None, offer.store_id))

    @property
    def everything(self) -> bool:
        return self.zone is None and self.store_id is None


class Finding(Frozen):
    """One shortfall found without anyone asking, with the remediation that fixes it."""

    detector: str
    cause: str
    action: RemediationAction
    item: ReplyItem
    amount_cents: int

    @property
    def key(self) -> str:
        return self.action.idempotency_key


def _finding(detector: str, cause: str, verdict: Assessment, moved: int | None = None
             ) -> Finding | None:
    action = verdict.action
    if action is None:
        return None
    amount = (action.amount_cents or 0) if moved is None else moved
    return Finding(detector=detector, cause=cause, action=action, item=verdict.item,
                   amount_cents=amount)


def cancellation_cause(offer: Offer) -> str:
    """Cancellations group by zone and cancel reason."""
    return f"zone={offer.zone}/reason={offer.cancel_reason or offer.cancelled_by}"


def detection_since(now: datetime, policy: PolicyConfig) -> datetime:
    """The start of the window a detection run at `now` looks at."""
    return now - timedelta(hours=policy.detection_window_hours)


class Reconciler:
    """Feed earnings, then offers, then finish with orders and deposits; findings come out."""

    def __init__(self, now: datetime, policy: PolicyConfig, incentives: Iterable[Incentive],
                 scope: Scope | None = None) -> None:
        self.now, self.policy, self.scope = now, policy, scope or Scope()
        self.since = detection_since(now, policy)
        self.incentives = [i for i in incentives if self.since <= i.ends_at <= now
                           and self.scope.store_id is None and self.scope.zone in (None, i.zone)]
        self._by_zone: dict[str, list[tuple[Incentive, frozenset[str]]]] = defaultdict(list)
        for incentive in self.incentives:
            self._by_zone[incentive.zone].append(
                (incentive, frozenset(incentive.enrolled_driver_ids)))
        self._everything = self.scope.everything
        self._paid: dict[PaidKey, Paid] = {}
        self._progress: Counter[tuple[str, str]] = Counter()
        self._cancelled: list[Offer] = []
        self._reissued: set[str] = set()
        self.findings: list[Finding] = []
        self.offers_read = self.earnings_read = 0

    @property
    def offers_since(self) -> datetime:
        """How far back offers are needed: the window, or the earliest challenge's start."""
        return min([self.since, *(i.starts_at for i in self.incentives)])

    def add_earning(self, earning: Earning) -> None:
        """Count one earning toward its subject and kind."""
        self.earnings_read += 1
        subject = earning.offer_id or earning.incentive_id or ""
        key = (earning.driver_id, subject, earning.kind)
        self._paid[key] = self._paid.get(key, NOTHING_PAID).plus(
            earning.amount_cents, earning.source, earning.created_at)

    def add_offer(self, offer: Offer) -> None:
        """Assess one offer (all earnings must be in), and count it toward incentives."""
        self.offers_read += 1
        if offer.reissued_from:
            self._reissued.add(offer.reissued_from)
        if offer.delivered_at is not None and offer.zone in self._by_zone:
            self._count_progress(offer)
        if not (self._everything or self.scope.covers(offer)):
            return
        if offer.status == "delivered":
            assert offer.delivered_at is not None
            if self.since <= offer.delivered_at <= self.now:
                self._assess_delivery(offer)
        elif offer.status == "cancelled":
            assert offer.cancelled_at is not None
            if self.since <= offer.cancelled_at <= self.now:
                self._cancelled.append(offer)

    def _count_progress(self, offer: Offer) -> None:
        for incentive, enrolled in self._by_zone.get(offer.zone, ()):
            if offer.driver_id in enrolled and counts_toward(incentive, offer.driver_id, offer):
                self._progress[(incentive.id, offer.driver_id)] += 1

    def _paid_for(self, driver_id: str, subject_id: str, kind: str) -> Paid:
        return self._paid.get((driver_id, subject_id, kind), NOTHING_PAID)

    def _assess_delivery(self, offer: Offer) -> None:
        """Base, tip and wait time: the rules decide for every offer; only what is owed is put
        in words (most offers are paid in full, and words cost more than the decision)."""
        now, policy, paid_for = self.now, self.policy, self._paid.get
        for kind in DELIVERY_KINDS:
            paid = paid_for((offer.driver_id, offer.id, kind), NOTHING_PAID)
            if kind == "wait_time":
                if wait_time_due(offer, paid, now, policy).outcome != "owed":
                    continue
                verdict = assess_wait_time(offer, paid, now, policy)
            else:
                if delivery_pay_due(offer, kind, paid, now, policy).outcome != "owed":
                    continue
                verdict = assess_delivery_pay(offer, kind, paid, now, policy)
            cause = f"zone={offer.zone}" if kind == "base" else f"store={offer.store_id}"
            self._keep(_finding(kind, cause, verdict))

    def _keep(self, finding: Finding | None) -> None:
        if finding is not None:
            self.findings.append(finding)

    def orders_needed(self) -> list[str]:
        """Orders whose status decides a reissue: app-error cancellations still in the window."""
        window = timedelta(minutes=self.policy.reissue_window_minutes)
        return sorted({o.order_id for o in self._cancelled
                       if o.cancelled_by == "system" and o.cancel_reason == "app_error"
                       and o.cancelled_at is not None and self.now - o.cancelled_at < window})

    def finish(self, orders: Mapping[str, Order], deposits: Iterable[Deposit]) -> list[Finding]:
        """Assess cancellations, ended incentives and failed deposits; every finding, by key."""
        for offer in self._cancelled:
            paid = self._paid_for(offer.driver_id, offer.id, "cancellation")
            verdict = assess_cancellation(offer, orders.get(offer.order_id), paid,
                                          offer.id in self._reissued, self.now, self.policy)
            self._keep(_finding("cancellation", cancellation_cause(offer), verdict))
        for incentive in self.incentives:
            self._assess_incentive(incentive)
        if self.scope.everything:
            for deposit in deposits:
                self._assess_deposit(deposit)
        return sorted(self.findings, key=lambda f: f.key)

    def _assess_incentive(self, incentive: Incentive) -> None:
        for driver_id in sorted(set(incentive.enrolled_driver_ids)):
            done = self._progress[(incentive.id, driver_id)]
            paid = self._paid_for(driver_id, incentive.id, "incentive")
            verdict = assess_incentive(incentive, driver_id, done, paid, self.now)
            self._keep(_finding("incentive", f"incentive={incentive.id}", verdict))

    def _assess_deposit(self, deposit: Deposit) -> None:
        if deposit.status != "failed" or not self.since <= deposit.created_at <= self.now:
            return
        verdict = assess_deposit(deposit, self.policy)
        self._keep(_finding("deposit", f"failure={deposit.failure_reason}", verdict,
                            moved=deposit.amount_cents))
