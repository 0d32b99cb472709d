"""One fixed driver and platform state with something to say for every intent."""

from __future__ import annotations

from onetouch.models import Contact
from policy.case import CaseFacts, Decision, Understanding
from policy.config import PolicyConfig
from policy.decide import decide
from tests.factories import (
    NOW,
    cancelled,
    delivered,
    deposit,
    driver,
    earning,
    incentive,
    order,
)

POLICY = PolicyConfig()
DRIVER = driver()
OFFERS = (
    delivered("ofr-1", tip=450, base=900, minutes_ago=180),           # tip never paid
    delivered("ofr-2", tip=300, base=1100, minutes_ago=240),          # paid in full
    delivered("ofr-3", tip=0, base=800, minutes_ago=300, wait=31),    # waited, no tip
    cancelled("ofr-9", by="system", reason="app_error", minutes_ago=20, arrived=True),
    *(delivered(f"ofr-i{i}", minutes_ago=60 * 24 + i, tip=0) for i in range(3)),
)
EARNINGS = (
    earning("ofr-1", "base", 900, minutes_ago=170),
    earning("ofr-2", "base", 1100, minutes_ago=230), earning("ofr-2", "tip", 300, minutes_ago=230),
    earning("ofr-3", "base", 800, minutes_ago=290),
    *(earning(f"ofr-i{i}", "base", 900, minutes_ago=60 * 24 + i - 10) for i in range(3)),
)
INCENTIVES = (incentive("inc-1", required=3, reward=2500, ended_minutes_ago=60, days=3),)
DEPOSITS = (deposit("dep-1", status="failed", reason="bank_timeout", hours_ago=3),)
ORDERS = (order("ord-ofr-9", "open"),)

# Every amount the platform data can justify for this driver: quoted pay, tips, the
# challenge's reward, and the policy's wait-time and cancellation amounts.
PLATFORM_AMOUNTS = frozenset(
    {o.base_pay_cents for o in OFFERS} | {o.customer_tip_cents for o in OFFERS}
    | {i.reward_cents for i in INCENTIVES} | {d.amount_cents for d in DEPOSITS}
    | {min(POLICY.wait_cap_cents, POLICY.wait_rate_cents_per_minute * m) for m in range(0, 61)}
) - {0}


def contact(text: str, **kw) -> Contact:
    base = dict(id="c-fuzz", driver_id=DRIVER.id, channel="chat", received_at=NOW, text=text)
    return Contact(**(base | kw))


def facts_for(c: Contact, **changes) -> CaseFacts:
    state = dict(offers=OFFERS, orders=ORDERS, earnings=EARNINGS, incentives=INCENTIVES,
                 deposits=DEPOSITS) | changes
    return CaseFacts(contact=c, driver=DRIVER, now=NOW, **state)


def decide_for(c: Contact, understanding: Understanding, **changes) -> Decision:
    """The decision for a contact over the fixed state (or the state with some lists changed)."""
    return decide(facts_for(c, **changes), understanding, POLICY)


def pay_amounts(decision: Decision) -> list[int]:
    return [a.amount_cents for a in (*decision.actions, *decision.recommended_actions)
            if a.amount_cents is not None]



