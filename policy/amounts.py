"""The amount rules, one function a subject: shared by the contact path and detection."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict

from onetouch.models import Deposit, EarningKind, Incentive, Offer, Order
from policy.case import RemediationAction, ReplyItem, idempotency_key, minutes_between
from policy.config import PolicyConfig
from policy.paid import Paid

RETRYABLE_FAILURES = frozenset({"bank_timeout", "processor_error"})
BANK_DETAIL_FAILURES = frozenset({"account_closed", "invalid_account"})


class Assessment(BaseModel):
    """A subject's verdict: the remediation owed (if any) and what to tell the driver."""

    model_config = ConfigDict(frozen=True)

    item: ReplyItem
    action: RemediationAction | None = None


def _pay(offer_or_driver: str, subject_id: str, kind: EarningKind, amount: int
         ) -> RemediationAction:
    return RemediationAction(
        type="pay_adjustment", driver_id=offer_or_driver, subject_id=subject_id, kind=kind,
        amount_cents=amount, idempotency_key=idempotency_key(offer_or_driver, subject_id, kind),
    )


def _settled(subject_id: str, kind: EarningKind, paid: Paid, *, amount: int | None = None,
             label: str | None = None) -> Assessment:
    """Nothing owed: what an earlier remediation paid, else that it was paid in full."""
    if paid.last_remediated_at is not None:
        return Assessment(item=ReplyItem(
            type="already_paid", subject_id=subject_id, kind=kind,
            amount_cents=paid.remediated_cents, at=paid.last_remediated_at))
    total = paid.total_cents if amount is None else amount
    return Assessment(item=ReplyItem(
        type="paid_in_full", subject_id=subject_id, kind=kind, amount_cents=total, label=label))


def pay_posts_by(offer: Offer, policy: PolicyConfig) -> datetime | None:
    """When delivery pay is due to post, or None for an undelivered offer."""
    if offer.delivered_at is None:
        return None
    return offer.delivered_at + _minutes(policy.pay_grace_minutes)


@lru_cache(maxsize=64)
def _minutes(minutes: int) -> timedelta:
    """A policy's minutes as a timedelta, made once (detection asks millions of times)."""
    return timedelta(minutes=minutes)


class Due(NamedTuple):
    """What a delivery's pay rule decided, before it is put in words for the driver."""

    outcome: str  # "owed", "settled", or the reply item's type when nothing is owed
    cents: int = 0  # owed when "owed"; for "settled", what was quoted (base or tip)
    at: datetime | None = None  # when pay posts ("pay_pending")
    minutes: int | None = None  # the wait (wait time)


def delivery_pay_due(offer: Offer, kind: EarningKind, paid: Paid, now: datetime,
                     policy: PolicyConfig) -> Due:
    """Base or tip owed on a delivered offer, after the pay grace (the rule, without words)."""
    posts_by = pay_posts_by(offer, policy)
    if posts_by is None:
        return Due("not_delivered")
    if now < posts_by:
        return Due("pay_pending", at=posts_by)
    quoted = offer.base_pay_cents if kind == "base" else offer.customer_tip_cents
    if kind == "tip" and quoted == 0:
        return Due("no_tip")
    shortfall = quoted - paid.total_cents
    if shortfall > 0:
        return Due("owed", shortfall)
    return Due("settled", quoted)


def assess_delivery_pay(
    offer: Offer, kind: EarningKind, paid: Paid, now: datetime, policy: PolicyConfig
) -> Assessment:
    """Base or tip owed on a delivered offer, after the pay grace."""
    due = delivery_pay_due(offer, kind, paid, now, policy)
    if due.outcome == "owed":
        return Assessment(
            item=ReplyItem(type="paid", subject_id=offer.id, kind=kind, amount_cents=due.cents),
            action=_pay(offer.driver_id, offer.id, kind, due.cents),
        )
    if due.outcome == "settled":
        return _settled(offer.id, kind, paid, amount=due.cents)
    return Assessment(item=ReplyItem(type=due.outcome, subject_id=offer.id, kind=kind,
                                     at=due.at))


def wait_minutes(offer: Offer) -> int | None:
    """Whole minutes between arriving at the store and pick-up."""
    if offer.arrived_at_store is None or offer.picked_up_at is None:
        return None
    return max(0, minutes_between(offer.arrived_at_store, offer.picked_up_at))


def wait_pay_cents(minutes: int, policy: PolicyConfig) -> int:
    """`(wait − 15) × 25`, capped, for waits above the free minutes."""
    if minutes <= policy.wait_free_minutes:
        return 0
    extra = (minutes - policy.wait_free_minutes) * policy.wait_rate_cents_per_minute
    return min(extra, policy.wait_cap_cents)


def wait_time_due(offer: Offer, paid: Paid, now: datetime, policy: PolicyConfig) -> Due:
    """Wait-time pay owed for a long wait at the store, once the delivery's pay grace is over
    (the rule, without words)."""
    minutes = wait_minutes(offer)
    if minutes is None:
        return Due("no_wait_record")
    posts_by = pay_posts_by(offer, policy)
    if posts_by is not None and now < posts_by and paid.count == 0:
        return Due("pay_pending", at=posts_by, minutes=minutes)
    owed = wait_pay_cents(minutes, policy)
    if owed == 0:
        return Due("wait_below_threshold", minutes=minutes)
    if paid.count:
        return Due("settled", minutes=minutes)
    return Due("owed", owed, minutes=minutes)


def assess_wait_time(offer: Offer, paid: Paid, now: datetime, policy: PolicyConfig
                     ) -> Assessment:
    """Wait-time pay owed for a long wait at the store, once the delivery's pay grace is over."""
    due = wait_time_due(offer, paid, now, policy)
    if due.outcome == "owed":
        return Assessment(
            item=ReplyItem(type="paid", subject_id=offer.id, kind="wait_time",
                           amount_cents=due.cents, done=due.minutes),
            action=_pay(offer.driver_id, offer.id, "wait_time", due.cents),
        )
    if due.outcome == "settled":
        return _settled(offer.id, "wait_time", paid)
    if due.outcome == "pay_pending":
        return Assessment(item=ReplyItem(
            type="pay_pending", subject_id=offer.id, kind="wait_time", at=due.at))
    if due.outcome == "wait_below_threshold":
        return Assessment(item=ReplyItem(
            type="wait_below_threshold", subject_id=offer.id, done=due.minutes,
            required=policy.wait_free_minutes))
    return Assessment(item=ReplyItem(type=due.outcome, subject_id=offer.id))


def assess_cancellation(
    offer: Offer, order: Order | None, paid: Paid, reissued: bool,
    now: datetime, policy: PolicyConfig,
) -> Assessment:
    """Cancellation pay, an offer reissue, or nothing, for a cancelled offer."""
    if offer.status != "cancelled" or offer.cancelled_at is None:
        return Assessment(item=ReplyItem(type="not_cancelled", subject_id=offer.id))
    if offer.cancelled_by not in ("customer", "store", "system"):
        return Assessment(item=ReplyItem(type="cancel_not_owed", subject_id=offer.id,
                                         label=offer.cancelled_by))
    if offer.arrived_at_store is not None:
        return _cancellation_pay(offer, offer.base_pay_cents, paid)
    eligible = _reissue_eligible(offer, offer.cancelled_at, order, now, policy)
    if eligible or (reissued and _is_app_error(offer)):
        return _reissue(offer, reissued)
    if offer.cancelled_by in ("store", "system"):
        return _cancellation_pay(offer, offer.base_pay_cents // 2, paid)
    return Assessment(item=ReplyItem(type="cancel_not_owed", subject_id=offer.id,
                                     label=offer.cancelled_by))


def _is_app_error(offer: Offer) -> bool:
    return offer.cancelled_by == "system" and offer.cancel_reason == "app_error"


def _reissue_eligible(offer: Offer, cancelled_at: datetime, order: Order | None,
                      now: datetime, policy: PolicyConfig) -> bool:
    if not _is_app_error(offer) or order is None or order.status != "open":
        return False
    return now - cancelled_at < timedelta(minutes=policy.reissue_window_minutes)


def _reissue(offer: Offer, reissued: bool) -> Assessment:
    if reissued:
        return Assessment(item=ReplyItem(type="already_reissued", subject_id=offer.id))
    return Assessment(
        item=ReplyItem(type="reissued", subject_id=offer.id),
        action=RemediationAction(
            type="offer_reissue", driver_id=offer.driver_id, subject_id=offer.id,
            idempotency_key=idempotency_key(offer.driver_id, offer.id, "reissue"),
        ),
    )


def _cancellation_pay(offer: Offer, owed: int, paid: Paid) -> Assessment:
    shortfall = owed - paid.total_cents
    if shortfall <= 0:
        return _settled(offer.id, "cancellation", paid)
    return Assessment(
        item=ReplyItem(type="paid", subject_id=offer.id, kind="cancellation",
                       amount_cents=shortfall),
        action=_pay(offer.driver_id, offer.id, "cancellation", shortfall),
    )


def counts_toward(incentive: Incentive, driver_id: str, offer: Offer) -> bool:
    """A delivery by the driver in its zone with `starts_at <= delivered_at < ends_at`."""
    return (offer.driver_id == driver_id and offer.zone == incentive.zone
            and offer.delivered_at is not None
            and incentive.starts_at <= offer.delivered_at < incentive.ends_at)


def incentive_progress(incentive: Incentive, driver_id: str, offers: Iterable[Offer]) -> int:
    """The driver's deliveries that count toward the incentive."""
    return sum(1 for o in offers if counts_toward(incentive, driver_id, o))


def assess_incentive(
    incentive: Incentive, driver_id: str, done: int, paid: Paid, now: datetime
) -> Assessment:
    """The reward owed for a met, ended challenge, given the driver's deliveries counted."""
    progress = ReplyItem(
        type="incentive_progress", subject_id=incentive.id, label=incentive.name, done=done,
        required=incentive.required_deliveries, at=incentive.ends_at,
        details=_time_left(incentive.ends_at, now),
    )
    if driver_id not in incentive.enrolled_driver_ids:
        return Assessment(item=progress.model_copy(update={"type": "incentive_not_enrolled"}))
    if now < incentive.ends_at or done < incentive.required_deliveries:
        return Assessment(item=progress)
    if paid.count:
        return _settled(incentive.id, "incentive", paid, label=incentive.name)
    return Assessment(
        item=ReplyItem(type="paid", subject_id=incentive.id, kind="incentive",
                       amount_cents=incentive.reward_cents, label=incentive.name,
                       done=done, required=incentive.required_deliveries),
        action=_pay(driver_id, incentive.id, "incentive", incentive.reward_cents),
    )


def _time_left(ends_at: datetime, now: datetime) -> dict[str, int]:
    if now >= ends_at:
        return {"running": 0}
    hours = int((ends_at - now).total_seconds() // 3600)
    return {"running": 1, "hours_left": hours, "days_left": hours // 24}


def assess_deposit(deposit: Deposit, policy: PolicyConfig) -> Assessment:
    """Retry a deposit that failed for a passing reason; otherwise explain it."""
    if deposit.status == "paid":
        return Assessment(item=_deposit_item(deposit, "deposit_paid", at=deposit.created_at))
    if deposit.status == "pending":
        return Assessment(item=_deposit_item(deposit, "deposit_pending", details={
            "hours": policy.instant_deposit_hours,
            "business_days": policy.weekly_deposit_business_days}))
    if deposit.failure_reason in BANK_DETAIL_FAILURES:
        return Assessment(item=_deposit_item(deposit, "deposit_update_bank"))
    if deposit.retried_at is not None:
        return Assessment(item=_deposit_item(deposit, "deposit_already_retried",
                                             at=deposit.retried_at))
    return Assessment(
        item=_deposit_item(deposit, "deposit_retried",
                           details={"hours": policy.instant_deposit_hours,
                                    "business_days": policy.weekly_deposit_business_days}),
        action=RemediationAction(
            type="deposit_retry", driver_id=deposit.driver_id, subject_id=deposit.id,
            idempotency_key=idempotency_key(deposit.driver_id, deposit.id, "deposit_retry"),
        ),
    )


def _deposit_item(deposit: Deposit, item_type: str, *, at: datetime | None = None,
                  details: dict[str, int] | None = None) -> ReplyItem:
    """A deposit's reply item: its id, amount and method, and the type's own facts."""
    return ReplyItem(type=item_type, subject_id=deposit.id, amount_cents=deposit.amount_cents,
                     label=deposit.method, at=at, details={} if details is None else details)
