"""Table tests for an agent's decision on an escalation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from policy.approval import AgentDecision, ApprovalRefused, approved_actions
from policy.case import RemediationAction


def pay(subject="inc-13", amount=9000, kind="incentive"):
    return RemediationAction(type="pay_adjustment", driver_id="drv-1", subject_id=subject,
                             kind=kind, amount_cents=amount,
                             idempotency_key=f"drv-1/{subject}/{kind}")


RETRY = RemediationAction(type="deposit_retry", driver_id="drv-1", subject_id="dep-1",
                          idempotency_key="drv-1/dep-1/deposit_retry")


@pytest.mark.parametrize(
    ("recommended", "decision", "requested_by", "amounts"),
    [
        ([pay()], dict(verdict="approve", agent="kim"), None, [9000]),
        ([pay()], dict(verdict="approve", agent="kim", amount_cents=5000, reason="partial"),
         None, [5000]),
        ([pay()], dict(verdict="approve", agent="kim", amount_cents=9500, reason="plus fees"),
         None, [9500]),
        ([pay()], dict(verdict="approve", agent="kim", amount_cents=9000), None, [9000]),
        ([pay()], dict(verdict="reject", agent="kim", reason="fraud signals"), None, []),
        ([pay(), RETRY], dict(verdict="approve", agent="kim", amount_cents=100, reason="x"),
         None, [100, None]),
        ([], dict(verdict="approve", agent="kim"), None, []),
        ([pay()], dict(verdict="approve", agent="kim"), "lee", [9000]),
    ],
)
def test_allowed(recommended, decision, requested_by, amounts):
    actions = approved_actions(recommended, AgentDecision(**decision), requested_by)
    assert [a.amount_cents for a in actions] == amounts
    assert all(a.idempotency_key == r.idempotency_key for a, r in zip(actions, recommended,
                                                                        strict=False))


@pytest.mark.parametrize(
    ("recommended", "decision", "requested_by", "message"),
    [
        ([pay()], dict(verdict="approve", agent="kim", amount_cents=9500), None, "needs a reason"),
        ([pay()], dict(verdict="approve", agent="Kim"), "kim", "cannot give it"),
        ([pay(), pay("ofr-1", 400, "tip")],
         dict(verdict="approve", agent="kim", amount_cents=100, reason="x"), None, "one payment"),
    ],
)
def test_refused(recommended, decision, requested_by, message):
    with pytest.raises(ApprovalRefused, match=message):
        approved_actions(recommended, AgentDecision(**decision), requested_by)


@pytest.mark.parametrize(
    "decision",
    [
        dict(verdict="reject", agent="kim"),
        dict(verdict="reject", agent="kim", reason="  "),
        dict(verdict="reject", agent="kim", reason="no", amount_cents=5),
        dict(verdict="approve", agent=""),
        dict(verdict="approve", agent="kim", amount_cents=0),
        dict(verdict="maybe", agent="kim"),
    ],
)
def test_malformed_decisions(decision):
    with pytest.raises(ValidationError):
        AgentDecision(**decision)
