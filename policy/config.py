"""Every number of the resolution policy, with the spec's defaults."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from policy.segments import SegmentRules


class PolicyConfig(BaseModel):
    """Operator-tunable policy values; the version is recorded on every outcome."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = "policy-2026.11-1"
    pay_grace_minutes: int = Field(default=60, ge=0)
    offer_lookback_days: int = Field(default=7, ge=1)
    incentive_lookback_days: int = Field(default=14, ge=1)
    deposit_lookback_days: int = Field(default=14, ge=1)
    wait_free_minutes: int = Field(default=15, ge=0)
    wait_rate_cents_per_minute: int = Field(default=25, ge=0)
    wait_cap_cents: int = Field(default=1000, ge=0)
    reissue_window_minutes: int = Field(default=60, ge=0)
    case_pay_cap_cents: int = Field(default=7500, ge=0)
    repeat_contact_limit: int = Field(default=5, ge=1)
    repeat_contact_window_days: int = Field(default=30, ge=1)
    urgent_ack_hours: int = Field(default=1, ge=1)
    standard_ack_hours: int = Field(default=24, ge=1)
    instant_deposit_hours: int = Field(default=1, ge=1)
    weekly_deposit_business_days: int = Field(default=3, ge=1)
    detection_window_hours: int = Field(default=24, ge=1)
    incident_min_findings: int = Field(default=3, ge=2)
    incident_total_limit_cents: int = Field(default=200_000, ge=0)
    incident_driver_limit: int = Field(default=100, ge=1)
    # The money circuit breaker (policy/breaker.py): automatic pay in any hour, all of it and
    # per detector ("contact" is the contact path); a detector not named gets the default.
    breaker_hourly_cap_cents: int = Field(default=1_000_000, ge=0)
    breaker_detector_cap_cents: int = Field(default=500_000, ge=0)
    breaker_detector_caps_cents: dict[str, Annotated[int, Field(ge=0)]] = Field(
        default_factory=dict)
    # Driver segments (policy/segments.py): who is new, part-time or full-time.
    segments: SegmentRules = SegmentRules()
    # Root causes (onetouch/rootcause/): a repeat contact is the same driver and intent within
    # this many days; detection runs this often, so a defect older than that was findable.
    repeat_contact_days: int = Field(default=7, ge=1)
    detection_interval_minutes: int = Field(default=5, ge=0)
    # Retention outreach (policy/retention.py): deliveries in the days after a hurt against as
    # many days before; a drop of at least the share (and a floor of deliveries before) qualifies.
    retention_window_days: int = Field(default=7, ge=1)
    retention_drop_percent: int = Field(default=50, ge=1, le=100)
    retention_min_deliveries_before: int = Field(default=5, ge=1)
    retention_lookback_days: int = Field(default=30, ge=1)

    def __hash__(self) -> int:  # the caps' dict would make the frozen model unhashable
        return hash(self.model_dump_json())


def load_policy(path: Path | None) -> PolicyConfig:
    """The policy from a JSON file, or the defaults when no file is given."""
    if path is None:
        return PolicyConfig()
    try:
        return PolicyConfig.model_validate(json.loads(Path(path).read_text()))
    except (OSError, ValueError) as exc:
        raise ValueError(f"policy file {path}: {exc}") from exc
