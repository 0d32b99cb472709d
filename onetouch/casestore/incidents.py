"""The case store's incident records: findings, incidents, and their approval escalations."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from onetouch.casestore.audit import audit, json_row
from onetouch.casestore.tables import audit_log, escalations, findings, incidents
from policy.case import FindingLink, RemediationAction
from policy.detect import Finding
from policy.incidents import Cause, DetectionPlan, Incident

APPROVAL_QUEUE = "pay-review"
RACE_RETRIES = 3
PAYING = "detection_paying"


def incident_escalation_id(incident_id: str) -> str:
    return f"esc-{incident_id}"


class IncidentRecords:
    """Mixed into the case store: what detection found, grouped, held and fixed."""

    engine: Engine

    def record_detection(self, plan: DetectionPlan, at: datetime, approval_hours: int = 24
                         ) -> list[str]:
        """Keep every finding and incident of a run; the ids of incidents now awaiting an agent.

        A run racing another one over the same findings retries and finds them stored.
        """
        for _ in range(RACE_RETRIES - 1):
            try:
                return self._record_detection(plan, at, approval_hours)
            except IntegrityError:
                continue
        return self._record_detection(plan, at, approval_hours)

    def _record_detection(self, plan: DetectionPlan, at: datetime, approval_hours: int
                          ) -> list[str]:
        incident_of = plan.incident_of()
        held = {f.key for f in plan.held}
        opened = []
        with self.engine.begin() as conn:
            known = set(conn.execute(select(findings.c.key).where(
                findings.c.key.in_([f.key for f in (*plan.fix_now, *plan.held)]))).scalars())
            for finding in (*plan.fix_now, *plan.held):
                incident_id = incident_of.get(finding.key)
                if finding.key not in known:
                    conn.execute(insert(findings).values(**_finding_row(
                        finding, incident_id, "held" if finding.key in held else "fixing", at)))
                elif incident_id:
                    conn.execute(update(findings).where(findings.c.key == finding.key)
                                 .values(incident_id=incident_id))
            for incident in plan.incidents:
                if self._save_incident(conn, incident, at, approval_hours):
                    opened.append(incident.id)
        return opened

    def _save_incident(self, conn, incident: Incident, at: datetime, hours: int) -> bool:
        values = {"status": incident.status, "total_cents": incident.total_cents,
                  "drivers": incident.drivers, "subjects": incident.subjects, "updated_at": at}
        exists = conn.execute(select(incidents.c.id).where(
            incidents.c.id == incident.id)).first()
        if exists:
            conn.execute(update(incidents).where(incidents.c.id == incident.id).values(**values))
            audit(conn, at, "detection", "incident_grew", incident.id, None,
                  incident.total_cents, {"findings": len(incident.findings)})
            return False
        conn.execute(insert(incidents).values(
            id=incident.id, detector=incident.detector, cause=incident.cause,
            detected_at=at, **values))
        audit(conn, at, "detection", "incident_opened", incident.id, None,
              incident.total_cents, incident.summary())
        if incident.status != "awaiting_approval":
            return False
        self._open_incident_escalation(conn, incident, at, hours)
        return True

    def _open_incident_escalation(self, conn, incident: Incident, at: datetime, hours: int
                                  ) -> None:
        escalation_id = incident_escalation_id(incident.id)
        reasons = [f"incident {incident.id}: {incident.total_cents} cents to "
                   f"{incident.drivers} drivers is above the blast-radius limits"]
        recommended = [action_view(f.action) for f in incident.findings]
        conn.execute(insert(escalations).values(
            id=escalation_id, case_id=incident.id, driver_id="", queue=APPROVAL_QUEUE,
            status="pending", reasons=reasons, recommended_actions=recommended, reply=None,
            created_at=at, due_at=at + timedelta(hours=hours), version=0))
        audit(conn, at, "detection", "escalated", incident.id, escalation_id,
              incident.total_cents, {"queue": APPROVAL_QUEUE, "reasons": reasons})

    def awaiting_incidents(self) -> dict[Cause, tuple[str, tuple[Finding, ...]]]:
        """Incidents held for an agent, by cause, with their findings."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(incidents).where(
                incidents.c.status == "awaiting_approval")).mappings().all()
            held = {}
            for row in rows:
                kept = conn.execute(select(findings.c.finding).where(
                    findings.c.incident_id == row["id"]).order_by(findings.c.key)).scalars()
                held[(row["detector"], row["cause"])] = (
                    row["id"], tuple(Finding.model_validate(f) for f in kept))
        return held

    def mark_remediated(self, done: list[RemediationAction], at: datetime,
                        actor: str = "detection") -> None:
        """Findings carried out: their status, and one audit entry each with the amount."""
        with self.engine.begin() as conn:
            for action in done:
                key = action.idempotency_key
                changed = conn.execute(update(findings).where(
                    findings.c.key == key, findings.c.status != "remediated").values(
                    status="remediated", remediated_at=at)).rowcount
                if changed:
                    found = conn.execute(select(findings.c.incident_id, findings.c.detector)
                                         .where(findings.c.key == key)).one()
                    audit(conn, at, actor, f"proactive_{action.type}", found.incident_id, None,
                          action.amount_cents, {**action_view(action), "detector": found.detector})

    def note_paying(self, references: dict[str, str], at: datetime) -> None:
        """Before a run pays: which findings it pays under which reference (one entry each)."""
        by_reference: dict[str, list[str]] = {}
        for key, reference in sorted(references.items()):
            by_reference.setdefault(reference, []).append(key)
        with self.engine.begin() as conn:
            for reference, keys in by_reference.items():
                audit(conn, at, "detection", PAYING, None, None, None,
                      {"reference": reference, "keys": keys})

    def unfinished_fixes(self, since: datetime, owed: set[str]) -> list[tuple[Finding, str]]:
        """Findings a run noted it was paying since then, still `fixing` and no longer owed (the
        run died between its payments and its push), each with that run's reference."""
        with self.engine.connect() as conn:
            noted = conn.execute(select(audit_log.c.details).where(
                audit_log.c.action == PAYING, audit_log.c.at >= since)
                .order_by(audit_log.c.id)).scalars()
            reference_of = {key: note["reference"] for note in noted for key in note["keys"]}
            stale = [key for key in reference_of if key not in owed]
            rows = conn.execute(select(findings.c.finding).where(
                findings.c.key.in_(stale), findings.c.status == "fixing")).scalars()
            kept = [Finding.model_validate(row) for row in rows]
        return [(finding, reference_of[finding.key]) for finding in kept]

    def mark_superseded(self, keys: list[str], at: datetime) -> None:
        """Findings the platform shows fixed under another body: nothing left to do for them."""
        with self.engine.begin() as conn:
            for key in keys:
                if conn.execute(update(findings).where(
                        findings.c.key == key, findings.c.status == "fixing")
                        .values(status="superseded", remediated_at=at)).rowcount:
                    audit(conn, at, "detection", "finding_superseded", None, None, None,
                          {"key": key})

    def close_incident(self, incident_id: str, status: str, at: datetime, actor: str) -> None:
        """An approved incident carried out, or a rejected one closed, with its findings."""
        finding_status = "remediated" if status == "remediated" else "rejected"
        with self.engine.begin() as conn:
            conn.execute(update(incidents).where(incidents.c.id == incident_id).values(
                status=status, updated_at=at))
            conn.execute(update(findings).where(
                findings.c.incident_id == incident_id,
                findings.c.status != "remediated").values(status=finding_status))
            audit(conn, at, actor, f"incident_{status}", incident_id, None, None, {})

    def incidents(self, status: str | None = None) -> list[dict[str, Any]]:
        """Incidents, newest first."""
        query = select(incidents).order_by(incidents.c.detected_at.desc(), incidents.c.id)
        if status:
            query = query.where(incidents.c.status == status)
        with self.engine.connect() as conn:
            return [json_row(dict(r)) for r in conn.execute(query).mappings()]

    def finding_links(self, driver_id: str) -> tuple[FindingLink, ...]:
        """The driver's findings: each key, the incident it belongs to, and its status."""
        query = (select(findings.c.key, findings.c.incident_id, findings.c.status,
                        incidents.c.status.label("incident_status"))
                 .join(incidents, incidents.c.id == findings.c.incident_id, isouter=True)
                 .where(findings.c.driver_id == driver_id))
        with self.engine.connect() as conn:
            return tuple(FindingLink(key=r.key, incident_id=r.incident_id,
                                     status=r.incident_status or r.status)
                         for r in conn.execute(query))


def action_view(action: RemediationAction) -> dict[str, Any]:
    """An action in the outcome shape, with its driver (incidents span drivers)."""
    return {**action.outcome_view(), "driver_id": action.driver_id}


def _finding_row(finding: Finding, incident_id: str | None, status: str, at: datetime) -> dict:
    return {"key": finding.key, "driver_id": finding.action.driver_id,
            "subject_id": finding.action.subject_id, "detector": finding.detector,
            "cause": finding.cause, "incident_id": incident_id, "status": status,
            "amount_cents": finding.amount_cents, "finding": finding.model_dump(mode="json"),
            "detected_at": at}
