"""Each contact, remediation and held finding named in every dimension of the report (pure):
its cause (the incident, else detection's cause, else the cause detection would have given),
detector, store, zone and intent."""

from __future__ import annotations

from collections.abc import Iterable

from onetouch.rootcause.models import CauseRows, Event, FindingLine, Place, PlatformView
from onetouch.scorecard.models import ACTION_KINDS, Action, CaseRow, Remediation

NO_CONTACT = None  # detection's own fixes are no contact's intent
UNKNOWN_INTENT = "unknown"
NOT_AN_OFFER = {"incentive": "(incentive)", "deposit_retry": "(deposit)"}
ZONE_KINDS = ("base",)


def kind_of(action: Action) -> str:
    return action.kind or ACTION_KINDS[action.type]


def fallback_cause(kind: str, subject_id: str, place: Place | None) -> str:
    """The cause detection would have given a defect it did not find (policy/detect.py's)."""
    if kind == "incentive":
        return f"incentive incentive={subject_id}"
    if kind == "deposit_retry":
        return "deposit (found by a contact)"
    where = "n/a" if place is None else (
        f"zone={place.zone}" if kind in ZONE_KINDS else f"store={place.store}")
    return f"{kind} {where} (found by a contact)"


class Attributor:
    """Names events from the rows and the platform's places."""

    def __init__(self, rows: CauseRows, view: PlatformView) -> None:
        self.findings = {f.key: f for f in rows.findings}
        self.places = view.places
        self.offers = rows.contact_offers
        self.detectors = {f.incident_id: f.detector for f in rows.findings if f.incident_id}
        self.intents: dict[str, str] = {}
        for case in rows.cases:
            for action in (*case.actions, *case.recommended):
                self.intents.setdefault(action.key(case.driver_id),
                                        case.intent or UNKNOWN_INTENT)

    def _cause(self, incident: str | None, finding: FindingLine | None, kind: str,
               subject: str) -> str:
        if incident:
            return incident
        if finding is not None:
            return f"{finding.detector} {finding.cause}"
        return fallback_cause(kind, subject, self.places.get(subject))

    def _where(self, subject: str | None, kind: str | None) -> dict[str, str | None]:
        place = self.places.get(subject) if subject else None
        if place is not None:
            return {"store": place.store, "zone": place.zone}
        other = NOT_AN_OFFER.get(kind or "")
        return {"store": other, "zone": other}

    def contact(self, case: CaseRow) -> Event:
        """A contact: about a defect when it has actions, recommended ones or an incident."""
        actions = (*case.actions, *case.recommended)
        first = actions[0] if actions else None
        finding = next((self.findings[k] for k in (a.key(case.driver_id) for a in actions)
                        if k in self.findings), None)
        incident = case.incident_id or (finding.incident_id if finding else None)
        subject = first.subject_id if first else self.offers.get(case.contact_id)
        kind = kind_of(first) if first else None
        cause = detector = None
        if first is not None or incident:
            cause = self._cause(incident, finding, kind or "", subject or "")
            detector = finding.detector if finding else (
                "contact" if first else self.detectors.get(incident or "", "incident"))
        return Event(kind="contact", driver_id=case.driver_id, at=case.received_at,
                     names={"cause": cause, "detector": detector,
                            "intent": case.intent or UNKNOWN_INTENT,
                            **self._where(subject, kind)})

    def remediation(self, row: Remediation) -> Event:
        """A remediation carried out, by whichever path."""
        finding = self.findings.get(row.key)
        incident = row.incident_id or (finding.incident_id if finding else None)
        detector = finding.detector if finding else row.detector
        return Event(kind="remediation", driver_id=row.driver_id, at=row.at,
                     cents=row.amount_cents,
                     names={"cause": self._cause(incident, finding, row.kind, row.subject_id),
                            "detector": detector,
                            "intent": self.intents.get(row.key, NO_CONTACT),
                            **self._where(row.subject_id, row.kind)})

    def held(self, finding: FindingLine) -> Event:
        """A finding held for an agent: drivers hurt, money owed, nothing paid yet."""
        kind = finding.key.rsplit("/", 1)[-1]
        return Event(kind="held", driver_id=finding.driver_id, at=finding.detected_at,
                     cents=finding.amount_cents,
                     names={"cause": self._cause(finding.incident_id, finding, kind,
                                                 finding.subject_id),
                            "detector": finding.detector,
                            "intent": self.intents.get(finding.key, NO_CONTACT),
                            **self._where(finding.subject_id, kind)})


def held_findings(findings: Iterable[FindingLine]) -> list[FindingLine]:
    """Findings waiting on an agent (not paid, not rejected)."""
    return [f for f in findings if f.status == "held"]
