"""When automatic pay in the last hour is worth telling the pay-review queue about (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from onetouch.models import UtcDatetime
from policy.case import RemediationAction

WINDOW = timedelta(hours=1)


class HourlyPayAlert(BaseModel):
    """Automatic pay in one hour reached the threshold; `crossed_by` is the case that did it."""

    model_config = ConfigDict(frozen=True)

    total_cents: int
    threshold_cents: int
    window_start: UtcDatetime
    window_end: UtcDatetime
    crossed_by: str


def paid_cents(actions: Iterable[RemediationAction | Mapping[str, Any]]) -> int:
    """The money remediations added to drivers' pay: pay adjustments only, in cents."""
    total = 0
    for action in actions:
        view = action.outcome_view() if isinstance(action, RemediationAction) else action
        if view.get("type") == "pay_adjustment":
            total += int(view.get("amount_cents") or 0)
    return total


def pay_window(now: datetime) -> tuple[datetime, datetime]:
    """The hour the threshold is measured over: (now - 1 h, now]."""
    return now - WINDOW, now


def crossed(window_total_cents: int, just_paid_cents: int, threshold_cents: int) -> bool:
    """True only for the payment that took the window's automatic total to the threshold.

    Later payments while the total stays over it do not cross it again; once older payments
    leave the window and the total falls back under it, the next crossing counts anew.
    """
    if just_paid_cents <= 0:
        return False
    before = window_total_cents - just_paid_cents
    return before < threshold_cents <= window_total_cents


def threshold_alert(window_total_cents: int, just_paid_cents: int, threshold_cents: int,
                    now: datetime, crossed_by: str) -> HourlyPayAlert | None:
    """The alert to raise after a payment, or None when this payment crossed nothing."""
    if not crossed(window_total_cents, just_paid_cents, threshold_cents):
        return None
    start, end = pay_window(now)
    return HourlyPayAlert(total_cents=window_total_cents, threshold_cents=threshold_cents,
                          window_start=start, window_end=end, crossed_by=crossed_by)
