"""The policy's amount rules, written again from the spec over plain values: the oracle's own
reading of policy.md, independent of `policy/` (which it exists to check)."""

from __future__ import annotations

from dataclasses import dataclass

GRACE_S = 60 * 60
WAIT_FREE_MIN, WAIT_RATE, WAIT_CAP = 15, 25, 1000
REISSUE_WINDOW_S = 60 * 60
BANK_DETAILS = ("account_closed", "invalid_account")
OWED_BY = ("customer", "store", "system")


@dataclass(frozen=True)
class Paid:
    """What the ledger holds for one driver, subject and kind."""

    total: int = 0
    count: int = 0
    remediated: bool = False


@dataclass(frozen=True)
class Verdict:
    """One subject's verdict: what the reply says (type, kind) and the action owed, if any."""

    type: str
    subject: str | None
    kind: str | None = None
    action: str | None = None  # pay_adjustment | offer_reissue | deposit_retry
    cents: int = 0  # pay owed (pay_adjustment); a deposit's amount (deposit_retry)

    @property
    def owed(self) -> bool:
        return self.action is not None

    def key_kind(self) -> str | None:
        """The kind in the remediation key this verdict's subject is known under."""
        if self.type in ("reissued", "already_reissued"):
            return "reissue"
        if self.type in ("deposit_retried", "deposit_already_retried"):
            return "deposit_retry"
        return self.kind


def _settled(subject: str, kind: str, paid: Paid) -> Verdict:
    return Verdict("already_paid" if paid.remediated else "paid_in_full", subject, kind)


def delivery(o, kind: str, paid: Paid, now: int) -> Verdict:
    """Base or tip on a delivered offer: owed only after the pay grace."""
    if o.deliv is None:
        return Verdict("not_delivered", o.id, kind)
    if now < o.deliv + GRACE_S:
        return Verdict("pay_pending", o.id, kind)
    quoted = o.base if kind == "base" else o.tip
    if kind == "tip" and quoted == 0:
        return Verdict("no_tip", o.id, kind)
    if quoted - paid.total > 0:
        return Verdict("paid", o.id, kind, "pay_adjustment", quoted - paid.total)
    return _settled(o.id, kind, paid)


def wait_time(o, paid: Paid, now: int) -> Verdict:
    """Wait above the free minutes, once the delivery's grace is over; nothing if any wait-time
    earning exists."""
    if o.arr is None or o.pick is None:
        return Verdict("no_wait_record", o.id)
    if o.deliv is not None and now < o.deliv + GRACE_S and paid.count == 0:
        return Verdict("pay_pending", o.id, "wait_time")
    minutes = max(0, (o.pick - o.arr) // 60)
    owed = min((minutes - WAIT_FREE_MIN) * WAIT_RATE, WAIT_CAP) if minutes > WAIT_FREE_MIN else 0
    if owed == 0:
        return Verdict("wait_below_threshold", o.id)
    if paid.count:
        return _settled(o.id, "wait_time", paid)
    return Verdict("paid", o.id, "wait_time", "pay_adjustment", owed)


def cancellation(o, order_status: str | None, paid: Paid, reissued: bool, now: int) -> Verdict:
    """Full base after arriving; a reissue for a fresh app error on an open order; half base
    for the store or the system; nothing for the customer before arrival or the driver."""
    if o.status != "cancelled" or o.canc is None:
        return Verdict("not_cancelled", o.id)
    if o.by not in OWED_BY:
        return Verdict("cancel_not_owed", o.id)
    if o.arr is not None:
        return _cancel_pay(o, o.base, paid)
    app_error = o.by == "system" and o.reason == "app_error"
    fresh = app_error and order_status == "open" and now - o.canc < REISSUE_WINDOW_S
    if fresh or (reissued and app_error):
        if reissued:
            return Verdict("already_reissued", o.id)
        return Verdict("reissued", o.id, None, "offer_reissue")
    if o.by in ("store", "system"):
        return _cancel_pay(o, o.base // 2, paid)
    return Verdict("cancel_not_owed", o.id)


def _cancel_pay(o, owed: int, paid: Paid) -> Verdict:
    if owed - paid.total <= 0:
        return _settled(o.id, "cancellation", paid)
    return Verdict("paid", o.id, "cancellation", "pay_adjustment", owed - paid.total)


def incentive(inc, driver: str, done: int, paid: Paid, now: int) -> Verdict:
    """The reward of an ended challenge the driver is enrolled in and met, unless paid."""
    if driver not in inc.enrolled:
        return Verdict("incentive_not_enrolled", inc.id)
    if now < inc.ends or done < inc.required:
        return Verdict("incentive_progress", inc.id)
    if paid.count:
        return _settled(inc.id, "incentive", paid)
    return Verdict("paid", inc.id, "incentive", "pay_adjustment", inc.reward)


def deposit(d: dict) -> Verdict:
    """Retry a deposit that failed for a passing reason and was not retried; else explain."""
    if d["status"] == "paid":
        return Verdict("deposit_paid", d["id"])
    if d["status"] == "pending":
        return Verdict("deposit_pending", d["id"])
    if d["reason"] in BANK_DETAILS:
        return Verdict("deposit_update_bank", d["id"])
    if d["retried"] is not None:
        return Verdict("deposit_already_retried", d["id"])
    return Verdict("deposit_retried", d["id"], None, "deposit_retry", d["amount"])
