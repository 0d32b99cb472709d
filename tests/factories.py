"""Small builders for domain objects in tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from onetouch.models import Contact, Deposit, Driver, Earning, Incentive, Offer, Order

NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


def ago(minutes: float = 0, *, hours: float = 0, days: float = 0) -> datetime:
    return NOW - timedelta(minutes=minutes, hours=hours, days=days)


def driver(**kw) -> Driver:
    base = dict(id="drv-1", name="Ana Ruiz", locale="en", zone="nashville-1",
                onboarded_at=ago(days=200), status="active", phone="+1615", email="a@x.com")
    return Driver(**(base | kw))


def delivered(offer_id="ofr-1", *, minutes_ago=120, wait=5, base=900, tip=300, **kw) -> Offer:
    delivered_at = ago(minutes_ago)
    picked = delivered_at - timedelta(minutes=20)
    base_kw = dict(id=offer_id, order_id=f"ord-{offer_id}", driver_id="drv-1", store_id="st-1",
                   zone="nashville-1", accepted_at=picked - timedelta(minutes=wait + 10),
                   arrived_at_store=picked - timedelta(minutes=wait), picked_up_at=picked,
                   delivered_at=delivered_at, status="delivered", base_pay_cents=base,
                   customer_tip_cents=tip)
    return Offer(**(base_kw | kw))


def cancelled(offer_id="ofr-9", *, by="store", reason="out_of_stock", arrived=False,
              minutes_ago=30, base=1000, **kw) -> Offer:
    at = ago(minutes_ago)
    base_kw = dict(id=offer_id, order_id=f"ord-{offer_id}", driver_id="drv-1", store_id="st-1",
                   zone="nashville-1", accepted_at=at - timedelta(minutes=20),
                   arrived_at_store=(at - timedelta(minutes=5)) if arrived else None,
                   cancelled_at=at, cancelled_by=by, cancel_reason=reason, status="cancelled",
                   base_pay_cents=base, customer_tip_cents=0)
    return Offer(**(base_kw | kw))


def order(order_id: str, status: str = "open") -> Order:
    return Order(id=order_id, store_id="st-1", zone="nashville-1", status=status)


def earning(offer_id="ofr-1", kind="base", amount=900, *, source="platform", minutes_ago=60,
            incentive_id=None, driver_id="drv-1", **kw) -> Earning:
    subject = incentive_id or offer_id
    return Earning(id=f"ern-{subject}-{kind}-{source}-{minutes_ago}", driver_id=driver_id,
                   offer_id=None if incentive_id else offer_id, incentive_id=incentive_id,
                   kind=kind, amount_cents=amount, created_at=ago(minutes_ago), source=source,
                   **kw)


def incentive(inc_id="inc-1", *, required=3, reward=2500, ended_minutes_ago=60,
              enrolled=("drv-1",), days=5) -> Incentive:
    ends = ago(ended_minutes_ago)
    return Incentive(id=inc_id, zone="nashville-1", name=f"Complete {required} deliveries",
                     starts_at=ends - timedelta(days=days), ends_at=ends,
                     required_deliveries=required, reward_cents=reward,
                     enrolled_driver_ids=list(enrolled))


def deposit(dep_id="dep-1", *, status="failed", reason="bank_timeout", method="instant",
            hours_ago=3, retried=None) -> Deposit:
    return Deposit(id=dep_id, driver_id="drv-1", amount_cents=15400, method=method,
                   status=status, failure_reason=reason if status == "failed" else None,
                   created_at=ago(hours=hours_ago), retried_at=retried)


def contact(text="", *, offer_id=None, category=None, channel="chat", **kw) -> Contact:
    base = dict(id="c-1", driver_id="drv-1", channel=channel, received_at=NOW, text=text,
                offer_id=offer_id, category=category)
    return Contact(**(base | kw))
