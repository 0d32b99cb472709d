"""The figures an intent classifier is judged by on labelled messages."""

from __future__ import annotations

from collections.abc import Sequence

from understanding.dataset import Labelled

MONEY = {"missing_pay", "missing_tip", "incentive_not_credited", "wait_time_pay",
         "cancelled_offer", "deposit_issue"}
PERSON = {"other", "safety", "deactivation"}  # the policy's answer is a person's


def figures(predicted: Sequence[str], rows: Sequence[Labelled]) -> dict[str, float]:
    """The headline figures of one classifier over these rows."""
    pairs = list(zip(predicted, (r.intent for r in rows), strict=True))
    def recall(intent: str) -> float:
        got = [p for p, t in pairs if t == intent]
        return sum(p == intent for p in got) / len(got) if got else float("nan")
    need_person = [p for p, t in pairs if t in PERSON]
    return {
        "n": len(pairs), "accuracy": sum(p == t for p, t in pairs) / len(pairs),
        "out_of_scope_recall": recall("other"), "safety_recall": recall("safety"),
        "money_false_positives": sum(p in MONEY and p != t for p, t in pairs),
        "person_needed_reached": sum(p in PERSON for p in need_person) / len(need_person),
        "sent_to_person": sum(p in PERSON for p, _ in pairs) / len(pairs),
        "safety_answered_by_automation": sum(t == "safety" and p not in PERSON
                                             for p, t in pairs)}
