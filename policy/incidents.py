"""Grouping findings into incidents, and the blast-radius gate (pure)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Literal

from policy.case import Frozen
from policy.config import PolicyConfig
from policy.detect import Finding

IncidentStatus = Literal["awaiting_approval", "remediated", "approved", "rejected"]
Cause = tuple[str, str]


class Incident(Frozen):
    """Three or more findings with one cause: fixed together, or held for an agent together."""

    id: str
    detector: str
    cause: str
    status: IncidentStatus
    findings: tuple[Finding, ...]

    @property
    def total_cents(self) -> int:
        return sum(f.amount_cents for f in self.findings)

    @property
    def drivers(self) -> int:
        return len({f.action.driver_id for f in self.findings})

    @property
    def subjects(self) -> list[str]:
        return sorted({f.action.subject_id for f in self.findings})

    def summary(self) -> dict[str, Any]:
        """The shape of the replay's detection line."""
        return {"id": self.id, "detector": self.detector, "cause": self.cause,
                "subjects": self.subjects, "drivers": self.drivers,
                "total_cents": self.total_cents, "status": self.status}


class DetectionPlan(Frozen):
    """What a detection run does: incidents (new or grown), findings to fix now, findings held."""

    incidents: tuple[Incident, ...] = ()
    fix_now: tuple[Finding, ...] = ()
    held: tuple[Finding, ...] = ()

    def incident_of(self) -> dict[str, str]:
        """Each incident finding's key and its incident's id."""
        return {f.key: i.id for i in self.incidents for f in i.findings}


def incident_id(detector: str, cause: str, at: datetime) -> str:
    """A readable id, stable for one cause at one detection time."""
    slug = re.sub(r"[^a-z0-9]+", "-", cause.lower()).strip("-")
    return f"inc-{detector}-{slug}-{at:%Y%m%d%H%M}"


def over_limits(findings: Iterable[Finding], policy: PolicyConfig) -> bool:
    """Above the blast radius: too many dollars or too many drivers at once."""
    findings = list(findings)
    total = sum(f.amount_cents for f in findings)
    drivers = len({f.action.driver_id for f in findings})
    return total > policy.incident_total_limit_cents or drivers > policy.incident_driver_limit


def plan_detection(
    findings: Iterable[Finding], policy: PolicyConfig, at: datetime,
    awaiting: Mapping[Cause, tuple[str, tuple[Finding, ...]]] | None = None,
) -> DetectionPlan:
    """Group by cause; join incidents already awaiting approval; hold what is over the limits."""
    awaiting = awaiting or {}
    groups: dict[Cause, list[Finding]] = defaultdict(list)
    for finding in findings:
        groups[(finding.detector, finding.cause)].append(finding)
    incidents, fix_now, held = [], [], []
    for (detector, cause), group in sorted(groups.items()):
        if (detector, cause) in awaiting:
            ident, earlier = awaiting[(detector, cause)]
            known = {f.key for f in earlier}
            merged = (*earlier, *(f for f in group if f.key not in known))
            incidents.append(Incident(id=ident, detector=detector, cause=cause,
                                      status="awaiting_approval", findings=merged))
            held.extend(group)
        elif len(group) < policy.incident_min_findings:
            fix_now.extend(group)
        else:
            status: IncidentStatus = (
                "awaiting_approval" if over_limits(group, policy) else "remediated")
            incidents.append(Incident(id=incident_id(detector, cause, at), detector=detector,
                                      cause=cause, status=status, findings=tuple(group)))
            (held if status == "awaiting_approval" else fix_now).extend(group)
    return DetectionPlan(incidents=tuple(incidents), fix_now=tuple(fix_now), held=tuple(held))
