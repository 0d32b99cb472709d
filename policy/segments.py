"""Driver segments (new, part-time, full-time) from platform activity; pure, no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from onetouch.models import Driver, Offer

Segment = Literal["full_time", "part_time", "new"]
SEGMENTS: tuple[str, ...] = Segment.__args__  # type: ignore[attr-defined]


class SegmentRules(BaseModel):
    """Thresholds for the segments, counted over the last `window_days` days (docs/segments.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    window_days: int = Field(default=7, ge=1)
    new_tenure_days: int = Field(default=30, ge=0)
    new_min_deliveries: int = Field(default=0, ge=0)
    full_time_deliveries: int = Field(default=25, ge=1)
    full_time_active_days: int = Field(default=5, ge=1)

    @model_validator(mode="after")
    def _active_days_fit_window(self) -> SegmentRules:
        if self.full_time_active_days > self.window_days:
            raise ValueError("full_time_active_days must not exceed window_days")
        return self


class DriverActivity(BaseModel):
    """What a driver did on the platform in the window, and since onboarding."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    driver_id: str
    tenure_days: int = Field(ge=0)
    deliveries: int = Field(ge=0)
    active_days: int = Field(ge=0)
    window_days: int = Field(ge=1)


def activity_of(driver: Driver, offers: Iterable[Offer], now: datetime,
                window_days: int) -> DriverActivity:
    """The driver's delivered offers in (now - window, now] and whole days since onboarding."""
    since = now - timedelta(days=window_days)
    delivered = [o.delivered_at for o in offers
                 if o.driver_id == driver.id and o.status == "delivered"
                 and o.delivered_at is not None and since < o.delivered_at <= now]
    return DriverActivity(
        driver_id=driver.id,
        tenure_days=max(0, (now - driver.onboarded_at).days),
        deliveries=len(delivered),
        active_days=len({d.date() for d in delivered}),
        window_days=window_days,
    )


def segment_of(activity: DriverActivity, rules: SegmentRules) -> Segment:
    """New when recently onboarded (or nearly idle, if enabled); full-time on volume and days."""
    if (activity.tenure_days < rules.new_tenure_days
            or activity.deliveries < rules.new_min_deliveries):
        return "new"
    if (activity.deliveries >= rules.full_time_deliveries
            and activity.active_days >= rules.full_time_active_days):
        return "full_time"
    return "part_time"
