"""Retention outreach (pure): which drivers hurt by an incident or an escalation then drove
less, judged once the window after the hurt has passed, once per driver and cause."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from policy.config import PolicyConfig

HurtKind = Literal["incident", "escalation"]
Verdict = Literal["dropped", "steady"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Fixed(Frozen):
    """One thing put right for the driver."""

    kind: str
    subject_id: str
    amount_cents: int = 0


class Hurt(Frozen):
    """A driver hurt by a cause (an incident's id, an escalation's id) at a time."""

    driver_id: str
    cause: str
    kind: HurtKind
    at: datetime
    fixed: tuple[Fixed, ...] = ()


class Check(Frozen):
    """A hurt judged: deliveries in the window before and after it, and the verdict."""

    hurt: Hurt
    before: int = Field(ge=0)
    after: int = Field(ge=0)
    verdict: Verdict

    @property
    def key(self) -> str:
        return outreach_key(self.hurt.driver_id, self.hurt.cause)


def outreach_key(driver_id: str, cause: str) -> str:
    """The once-per-driver-per-cause key, also the message's idempotency key."""
    return f"outreach/{driver_id}/{cause}"


def counted(times: Iterable[datetime], start: datetime, end: datetime) -> int:
    """Deliveries in [start, end)."""
    return sum(1 for t in times if start <= t < end)


def dropped(before: int, after: int, policy: PolicyConfig) -> bool:
    """Enough deliveries before to tell, and the ones after fell by at least the share."""
    if before < policy.retention_min_deliveries_before:
        return False
    return (before - after) * 100 >= before * policy.retention_drop_percent


def judge(hurt: Hurt, deliveries: Iterable[datetime], policy: PolicyConfig) -> Check:
    """Deliveries in the window before the hurt against the window after it."""
    window = timedelta(days=policy.retention_window_days)
    times = list(deliveries)
    before = counted(times, hurt.at - window, hurt.at)
    after = counted(times, hurt.at, hurt.at + window)
    return Check(hurt=hurt, before=before, after=after,
                 verdict="dropped" if dropped(before, after, policy) else "steady")


def due(hurt: Hurt, now: datetime, policy: PolicyConfig) -> bool:
    """The window after the hurt has passed, and the hurt is inside the lookback."""
    return (hurt.at + timedelta(days=policy.retention_window_days) <= now
            and hurt.at >= now - timedelta(days=policy.retention_lookback_days))


def first_per_cause(hurts: Iterable[Hurt]) -> list[Hurt]:
    """One hurt per driver and cause (the earliest), everything it fixed gathered."""
    found: dict[tuple[str, str], Hurt] = {}
    for hurt in sorted(hurts, key=lambda h: (h.at, h.driver_id, h.cause)):
        pair = (hurt.driver_id, hurt.cause)
        if pair in found:
            earlier = found[pair]
            found[pair] = earlier.model_copy(update={"fixed": (*earlier.fixed, *hurt.fixed)})
        else:
            found[pair] = hurt
    return list(found.values())


def select_checks(hurts: Iterable[Hurt], deliveries: Mapping[str, Iterable[datetime]],
                  done: set[str], now: datetime, policy: PolicyConfig) -> list[Check]:
    """Every hurt due and not yet judged, judged; the dropped ones get a check-in."""
    return [judge(h, deliveries.get(h.driver_id, ()), policy) for h in first_per_cause(hurts)
            if due(h, now, policy) and outreach_key(h.driver_id, h.cause) not in done]
