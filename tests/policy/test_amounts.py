"""Table tests for the amount rules."""

from __future__ import annotations

import pytest

from policy.amounts import (
    assess_cancellation,
    assess_delivery_pay,
    assess_deposit,
    assess_incentive,
    assess_wait_time,
    incentive_progress,
    wait_pay_cents,
)
from policy.config import PolicyConfig
from policy.paid import Paid
from tests.factories import NOW, ago, cancelled, delivered, deposit, earning, incentive, order

POLICY = PolicyConfig()


@pytest.mark.parametrize(
    ("kind", "offer", "earnings", "item_type", "owed"),
    [
        ("base", delivered(base=900), [], "paid", 900),
        ("base", delivered(base=900), [earning(amount=500)], "paid", 400),
        ("base", delivered(base=900), [earning(amount=900)], "paid_in_full", None),
        ("base", delivered(base=900), [earning(amount=1200)], "paid_in_full", None),
        ("base", delivered(minutes_ago=59), [], "pay_pending", None),
        ("base", delivered(minutes_ago=60), [], "paid", 900),
        ("tip", delivered(tip=600), [earning(kind="tip", amount=200)], "paid", 400),
        ("tip", delivered(tip=0), [], "no_tip", None),
        ("tip", delivered(tip=300), [earning(kind="tip", amount=300, source="contact")],
         "already_paid", None),
        ("tip", cancelled(), [], "not_delivered", None),
    ],
)
def test_delivery_pay(kind, offer, earnings, item_type, owed):
    result = assess_delivery_pay(offer, kind, Paid.of(earnings), NOW, POLICY)
    assert result.item.type == item_type
    assert (result.action.amount_cents if result.action else None) == owed
    if result.action:
        assert result.action.idempotency_key == f"drv-1/{offer.id}/{kind}"
        assert result.action.kind == kind


@pytest.mark.parametrize(
    ("minutes", "cents"),
    [(0, 0), (15, 0), (16, 25), (42, 675), (55, 1000), (120, 1000)],
)
def test_wait_pay_formula(minutes, cents):
    assert wait_pay_cents(minutes, POLICY) == cents


@pytest.mark.parametrize(
    ("wait", "earnings", "item_type", "owed", "minutes_ago"),
    [
        (42, [], "paid", 675, 120),
        (42, [], "pay_pending", None, 59),
        (42, [], "paid", 675, 60),
        (15, [], "wait_below_threshold", None, 120),
        (42, [earning(kind="wait_time", amount=100)], "paid_in_full", None, 120),
        (42, [earning(kind="wait_time", amount=675, source="proactive")], "already_paid", None,
         120),
    ],
)
def test_wait_time(wait, earnings, item_type, owed, minutes_ago):
    offer = delivered(wait=wait, minutes_ago=minutes_ago)
    result = assess_wait_time(offer, Paid.of(earnings), NOW, POLICY)
    assert result.item.type == item_type
    assert (result.action.amount_cents if result.action else None) == owed


@pytest.mark.parametrize(
    ("offer", "order_status", "earnings", "reissued", "item_type", "action"),
    [
        (cancelled(by="store", arrived=True, base=1200), "cancelled", [], False, "paid",
         ("pay_adjustment", 1200)),
        (cancelled(by="customer", arrived=True, base=1200), "cancelled", [], False, "paid",
         ("pay_adjustment", 1200)),
        (cancelled(by="system", reason="app_error", minutes_ago=20), "open", [], False,
         "reissued", ("offer_reissue", None)),
        (cancelled(by="system", reason="app_error", minutes_ago=61), "open", [], False, "paid",
         ("pay_adjustment", 500)),
        (cancelled(by="system", reason="app_error", minutes_ago=20), "assigned", [], False,
         "paid", ("pay_adjustment", 500)),
        (cancelled(by="system", reason="app_error", minutes_ago=20), "assigned", [], True,
         "already_reissued", None),
        (cancelled(by="store", base=1001), "cancelled", [], False, "paid",
         ("pay_adjustment", 500)),
        (cancelled(by="customer"), "cancelled", [], False, "cancel_not_owed", None),
        (cancelled(by="driver", arrived=True), "cancelled", [], False, "cancel_not_owed", None),
        (cancelled(by="store", arrived=True),
         "cancelled", [earning("ofr-9", "cancellation", 1000, source="contact")], False,
         "already_paid", None),
        (cancelled(by="store", arrived=True, base=1000),
         "cancelled", [earning("ofr-9", "cancellation", 500)], False, "paid",
         ("pay_adjustment", 500)),
        (cancelled(by="store", base=1000),
         "cancelled", [earning("ofr-9", "cancellation", 500)], False, "paid_in_full", None),
        (delivered(), "delivered", [], False, "not_cancelled", None),
    ],
)
def test_cancellation(offer, order_status, earnings, reissued, item_type, action):
    result = assess_cancellation(offer, order(offer.order_id, order_status), Paid.of(earnings),
                                 reissued, NOW, POLICY)
    assert result.item.type == item_type
    got = (result.action.type, result.action.amount_cents) if result.action else None
    assert got == action


def _deliveries(n, *, zone="nashville-1", minutes_ago=600):
    return [delivered(f"ofr-{i}", minutes_ago=minutes_ago + i, zone=zone) for i in range(n)]


@pytest.mark.parametrize(
    ("inc", "offers", "earnings", "item_type", "owed"),
    [
        (incentive(required=3), _deliveries(3), [], "paid", 2500),
        (incentive(required=3), _deliveries(2), [], "incentive_progress", None),
        (incentive(required=3), _deliveries(3, zone="memphis-1"), [], "incentive_progress",
         None),
        (incentive(required=3, ended_minutes_ago=-600), _deliveries(3, minutes_ago=60), [],
         "incentive_progress", None),
        (incentive(required=3, enrolled=()), _deliveries(3), [], "incentive_not_enrolled", None),
        (incentive(required=3), _deliveries(3),
         [earning(kind="incentive", amount=2500, incentive_id="inc-1", source="contact")],
         "already_paid", None),
        (incentive(required=3, ended_minutes_ago=601), _deliveries(3), [],
         "incentive_progress", None),
    ],
)
def test_incentive(inc, offers, earnings, item_type, owed):
    result = assess_incentive(inc, "drv-1", incentive_progress(inc, "drv-1", offers),
                              Paid.of(earnings), NOW)
    assert result.item.type == item_type
    assert (result.action.amount_cents if result.action else None) == owed


@pytest.mark.parametrize(
    ("dep", "item_type", "retry"),
    [
        (deposit(reason="bank_timeout"), "deposit_retried", True),
        (deposit(reason="processor_error"), "deposit_retried", True),
        (deposit(reason="account_closed"), "deposit_update_bank", False),
        (deposit(reason="invalid_account"), "deposit_update_bank", False),
        (deposit(status="pending"), "deposit_pending", False),
        (deposit(status="paid"), "deposit_paid", False),
        (deposit(retried=ago(30)), "deposit_already_retried", False),
    ],
)
def test_deposit(dep, item_type, retry):
    result = assess_deposit(dep, POLICY)
    assert result.item.type == item_type
    assert (result.action is not None) == retry
    if retry:
        assert result.action.type == "deposit_retry"
        assert result.action.idempotency_key == "drv-1/dep-1/deposit_retry"


def test_paid_sums_every_earning_and_keeps_remediations_apart():
    earnings = [earning(amount=500), earning(amount=200, source="contact", minutes_ago=30),
                earning(amount=100, source="proactive", minutes_ago=90)]
    paid = Paid.of(earnings)
    assert (paid.total_cents, paid.count, paid.remediated_cents) == (800, 3, 300)
    assert paid.last_remediated_at == earnings[1].created_at
    assert Paid.of([earning(amount=500)]).last_remediated_at is None
