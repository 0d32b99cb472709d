"""Accuracy against a simulated day's ground truth, scored by simulate/score.py from the case
store's outcomes and the platform's final state."""

from __future__ import annotations

from typing import Any

from onetouch.scorecard.models import Accuracy
from simulate.score import score


def accuracy(truth: dict[str, Any], outcomes: list[dict[str, Any]], state: dict[str, Any]
             ) -> Accuracy:
    """Exact cases, money over and under what is owed, and double payments."""
    result = score(truth, outcomes, state)
    return Accuracy(
        cases=result["cases"], exact=result["exact"],
        overpaid_cents=result["overpaid_cents"], underpaid_cents=result["underpaid_cents"],
        double_payments=result["double_payments"], paid_cents=result["paid_cents"],
        owed_cents=result["owed_cents"], truth_proactive_share=result["proactive_share"],
        mismatched=tuple(sorted(result["mismatches"])))
