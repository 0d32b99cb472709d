"""Deliveries and defect onsets: what the scorecard needs from the platform's data."""

from __future__ import annotations

from datetime import timedelta

import pytest

from onetouch.models import Deposit, Incentive, Offer
from onetouch.scorecard.models import Period
from onetouch.scorecard.platform import from_state, onset
from tests.scorecard.rows import at, fix

GRACE = timedelta(minutes=60)
OFFER = {"id": "ofr-1", "order_id": "ord-1", "driver_id": "drv-1", "store_id": "st-1",
         "zone": "austin-1", "accepted_at": at(1), "arrived_at_store": at(1.2),
         "picked_up_at": at(1.5), "delivered_at": at(2), "status": "delivered",
         "base_pay_cents": 900, "customer_tip_cents": 300}
CANCELLED = {**OFFER, "id": "ofr-2", "delivered_at": None, "cancelled_at": at(3),
             "cancelled_by": "system", "cancel_reason": "app_error", "status": "cancelled"}
INCENTIVE = {"id": "inc-1", "zone": "austin-1", "name": "Dinner Quest", "starts_at": at(0),
             "ends_at": at(5), "required_deliveries": 3, "reward_cents": 3500}
DEPOSIT = {"id": "dep-1", "driver_id": "drv-1", "amount_cents": 5000, "method": "instant",
           "status": "failed", "failure_reason": "bank_timeout", "created_at": at(6)}


@pytest.mark.parametrize(("kind", "subject", "expected"), [
    ("base", Offer(**OFFER), at(3)),            # delivered at 2, pay due an hour later
    ("tip", Offer(**OFFER), at(3)),
    ("wait_time", Offer(**OFFER), at(3)),
    ("cancellation", Offer(**CANCELLED), at(3)),
    ("reissue", Offer(**CANCELLED), at(3)),
    ("base", Offer(**CANCELLED), None),         # never delivered: no pay was due
    ("incentive", Incentive(**INCENTIVE), at(5)),
    ("deposit_retry", Deposit(**DEPOSIT), at(6)),
])
def test_the_onset_is_when_the_driver_was_first_owed(kind, subject, expected):
    assert onset(kind, subject, GRACE) == expected


def _json(row: dict) -> dict:
    return {k: v.isoformat().replace("+00:00", "Z") if hasattr(v, "isoformat") else v
            for k, v in row.items()}


def test_a_replay_state_gives_deliveries_and_onsets():
    state = {"offers": [_json(OFFER), _json(CANCELLED), _json({**OFFER, "id": "ofr-3",
                                                               "delivered_at": at(30)})],
             "incentives": [_json(INCENTIVE)], "deposits": [_json(DEPOSIT)]}
    rows = [fix("drv-1", "ofr-1", "tip", 300, 4), fix("drv-1", "inc-1", "incentive", 3500, 7),
            fix("drv-1", "dep-1", "deposit_retry", 0, 7), fix("drv-1", "ofr-9", "base", 5, 7)]
    facts = from_state(state, rows, Period(start=at(0), end=at(24)))
    assert facts.deliveries == 1
    assert facts.onsets == {"drv-1/ofr-1/tip": at(3), "drv-1/inc-1/incentive": at(5),
                            "drv-1/dep-1/deposit_retry": at(6)}
    assert from_state(state, rows, None).deliveries is None
