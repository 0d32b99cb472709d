"""Table tests for the hourly automatic-pay threshold: announced once, by the crossing payment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from policy.case import RemediationAction
from policy.pay_review import crossed, paid_cents, pay_window, threshold_alert

NOW = datetime(2026, 11, 20, 18, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("window_total", "just_paid", "threshold", "expected"),
    [
        (400, 400, 1000, False),      # under the threshold
        (999, 500, 1000, False),      # one cent short
        (1000, 600, 1000, True),      # reaches it exactly
        (2900, 2500, 1000, True),     # jumps past it
        (1000, 1000, 1000, True),     # one payment alone
        (4100, 1200, 1000, False),    # already over before this payment: announced earlier
        (1000, 0, 1000, False),       # nothing paid now (a reissue, a deposit retry)
        (0, 0, 1000, False),
        (50_000, 1, 50_000, True),    # the default threshold, crossed by a cent
        (50_001, 1, 50_000, False),
    ],
)
def test_only_the_payment_that_reaches_the_threshold_crosses_it(
        window_total, just_paid, threshold, expected):
    assert crossed(window_total, just_paid, threshold) is expected


def test_the_alert_covers_the_hour_before_the_payment():
    alert = threshold_alert(2900, 2500, 1000, NOW, "case-c-7")
    assert alert is not None
    assert (alert.window_start, alert.window_end) == (NOW - timedelta(hours=1), NOW)
    assert alert.model_dump(mode="json") == {
        "total_cents": 2900, "threshold_cents": 1000, "window_start": "2026-11-20T17:30:00Z",
        "window_end": "2026-11-20T18:30:00Z", "crossed_by": "case-c-7"}
    assert threshold_alert(4100, 1200, 1000, NOW, "case-c-10") is None
    assert pay_window(NOW) == (NOW - timedelta(hours=1), NOW)


@pytest.mark.parametrize(
    ("actions", "cents"),
    [
        ([], 0),
        ([{"type": "pay_adjustment", "kind": "tip", "subject_id": "o", "amount_cents": 400}], 400),
        ([{"type": "offer_reissue", "subject_id": "o"},
          {"type": "pay_adjustment", "kind": "tip", "subject_id": "o", "amount_cents": 250}], 250),
        ([RemediationAction(type="pay_adjustment", driver_id="d", subject_id="i", kind="incentive",
                            amount_cents=9000, idempotency_key="d/i/incentive"),
          RemediationAction(type="deposit_retry", driver_id="d", subject_id="dep",
                            idempotency_key="d/dep/deposit_retry")], 9000),
    ],
)
def test_only_pay_adjustments_count_as_paid(actions, cents):
    assert paid_cents(actions) == cents
