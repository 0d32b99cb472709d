"""Choosing what a contact is about, and assessing each subject under its intent."""

from __future__ import annotations

from datetime import datetime, timedelta

from onetouch.models import EarningKind, Offer
from policy.amounts import (
    Assessment,
    assess_cancellation,
    assess_delivery_pay,
    assess_deposit,
    assess_incentive,
    assess_wait_time,
    incentive_progress,
)
from policy.case import CaseFacts, ReplyItem, Understanding
from policy.config import PolicyConfig

OFFER_INTENTS = frozenset({"missing_pay", "missing_tip", "wait_time_pay", "cancelled_offer"})
LOOKBACK_NOTES = 3


def explicit_offers(facts: CaseFacts, understanding: Understanding) -> list[Offer]:
    """The driver's offers named by the app's offer_id, or by offer or order ids in the text."""
    named = [facts.contact.offer_id, *understanding.offer_ids]
    chosen = [o for o in facts.offers if o.id in named and o.driver_id == facts.driver.id]
    for order_id in understanding.order_ids:
        mine = [o for o in facts.offers if o.order_id == order_id
                and o.driver_id == facts.driver.id and o not in chosen]
        chosen.extend(sorted(mine, key=lambda o: o.accepted_at)[-1:])
    return sorted(chosen, key=lambda o: o.id)


def _offer_time(offer: Offer) -> datetime:
    return offer.delivered_at or offer.cancelled_at or offer.accepted_at


def recent_offers(facts: CaseFacts, policy: PolicyConfig) -> list[Offer]:
    """The driver's offers of the lookback window, newest first."""
    since = facts.now - timedelta(days=policy.offer_lookback_days)
    mine = [o for o in facts.offers
            if o.driver_id == facts.driver.id and since <= _offer_time(o) <= facts.now]
    return sorted(mine, key=lambda o: (_offer_time(o), o.id), reverse=True)


def _reissued_ids(facts: CaseFacts) -> set[str]:
    return {o.reissued_from for o in facts.offers if o.reissued_from}


def assess_offer(intent: str, offer: Offer, facts: CaseFacts, policy: PolicyConfig) -> Assessment:
    """One offer's verdict under an offer intent."""
    if intent == "cancelled_offer" or (intent == "missing_pay" and offer.status == "cancelled"):
        return assess_cancellation(
            offer, facts.order(offer.order_id), facts.paid_for(offer.id, "cancellation"),
            offer.id in _reissued_ids(facts), facts.now, policy)
    if intent == "wait_time_pay":
        return assess_wait_time(offer, facts.paid_for(offer.id, "wait_time"), facts.now,
                                policy)
    kind: EarningKind = "tip" if intent == "missing_tip" else "base"
    return assess_delivery_pay(offer, kind, facts.paid_for(offer.id, kind), facts.now, policy)


def _lookback_candidates(intent: str, facts: CaseFacts, policy: PolicyConfig) -> list[Offer]:
    offers = recent_offers(facts, policy)
    if intent == "cancelled_offer":
        return [o for o in offers if o.status == "cancelled"]
    if intent == "missing_pay":
        return [o for o in offers if o.status in ("delivered", "cancelled")]
    return [o for o in offers if o.status == "delivered"]


def assess_offer_intent(
    facts: CaseFacts, understanding: Understanding, policy: PolicyConfig
) -> list[Assessment]:
    """Named offers, or every offer of the lookback window with a shortfall of the asked kind."""
    intent = understanding.intent
    named = explicit_offers(facts, understanding)
    if named:
        return [assess_offer(intent, o, facts, policy) for o in named]
    found = [assess_offer(intent, o, facts, policy)
             for o in _lookback_candidates(intent, facts, policy)]
    return _owed_or_notes(found, "no_recent_offers")


def _owed_or_notes(found: list[Assessment], empty_type: str) -> list[Assessment]:
    owed = [a for a in found if a.action is not None]
    if owed:
        return sorted(owed, key=lambda a: a.item.subject_id or "")
    pending = [a for a in found if a.item.type in ("pay_pending", "already_paid")]
    notes = pending or found
    return notes[:LOOKBACK_NOTES] or [Assessment(item=ReplyItem(type=empty_type))]


def assess_incentives(
    facts: CaseFacts, understanding: Understanding, policy: PolicyConfig
) -> list[Assessment]:
    """Named incentives, or the driver's challenges that ended recently or are running."""
    since = facts.now - timedelta(days=policy.incentive_lookback_days)
    driver_id = facts.driver.id
    named = [i for i in facts.incentives if i.id in understanding.incentive_ids]
    pool = named or [i for i in facts.incentives
                     if driver_id in i.enrolled_driver_ids and i.ends_at >= since
                     and i.starts_at <= facts.now]
    found = [
        assess_incentive(i, driver_id, incentive_progress(i, driver_id, facts.offers),
                         facts.paid_for(i.id, "incentive"), facts.now)
        for i in sorted(pool, key=lambda i: (i.ends_at, i.id), reverse=True)
    ]
    if named:
        return found
    return _owed_or_notes(found, "no_recent_incentives")


def assess_deposits(
    facts: CaseFacts, understanding: Understanding, policy: PolicyConfig
) -> list[Assessment]:
    """Named deposits, or the driver's deposits of the lookback window."""
    since = facts.now - timedelta(days=policy.deposit_lookback_days)
    named = [d for d in facts.deposits if d.id in understanding.deposit_ids]
    pool = named or [d for d in facts.deposits
                     if d.driver_id == facts.driver.id and since <= d.created_at <= facts.now]
    found = [assess_deposit(d, policy)
             for d in sorted(pool, key=lambda d: (d.created_at, d.id), reverse=True)]
    if named:
        return found
    owed = [a for a in found if a.action is not None]
    problems = [a for a in found if a.item.type != "deposit_paid"]
    return owed or problems[:LOOKBACK_NOTES] or found[:1] or [
        Assessment(item=ReplyItem(type="no_recent_deposits"))]


def pay_breakdown(facts: CaseFacts, understanding: Understanding,
                  policy: PolicyConfig) -> list[Assessment]:
    """How pay was made up, for the named offer or the latest delivery."""
    named = explicit_offers(facts, understanding)
    delivered = [o for o in recent_offers(facts, policy) if o.status == "delivered"]
    candidates = named or delivered
    if not candidates:
        return [Assessment(item=ReplyItem(type="pay_explained"))]
    offer = candidates[0]
    paid: dict[str, int] = {"quoted_base": offer.base_pay_cents,
                            "quoted_tip": offer.customer_tip_cents}
    for earning in facts.earnings:
        if earning.offer_id == offer.id:
            paid[earning.kind] = paid.get(earning.kind, 0) + earning.amount_cents
    return [Assessment(item=ReplyItem(type="breakdown", subject_id=offer.id, details=paid))]
