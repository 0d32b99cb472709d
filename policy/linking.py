"""A contact about something proactive detection already found: linked, or told what was fixed."""

from __future__ import annotations

from policy.amounts import Assessment
from policy.case import CaseFacts, ReplyItem, idempotency_key

HELD_STATUSES = frozenset({"awaiting_approval", "held"})
ITEM_KINDS = {"already_reissued": "reissue", "reissued": "reissue",
              "deposit_already_retried": "deposit_retry", "deposit_retried": "deposit_retry"}


def hold_incident_findings(facts: CaseFacts, assessments: list[Assessment]
                           ) -> tuple[list[Assessment], str | None]:
    """Remediations held in an incident awaiting approval become notes; that incident's id."""
    kept, incident = [], None
    for assessment in assessments:
        action = assessment.action
        link = facts.finding(action.idempotency_key) if action else None
        if link is None or link.incident_id is None or link.status not in HELD_STATUSES:
            kept.append(assessment)
            continue
        incident = incident or link.incident_id
        kept.append(Assessment(item=ReplyItem(
            type="incident_held", subject_id=assessment.item.subject_id,
            kind=assessment.item.kind, label=link.incident_id)))
    return kept, incident


def incident_of(facts: CaseFacts, assessments: list[Assessment]) -> str | None:
    """The incident whose fix a subject of this contact belongs to, if any."""
    for assessment in assessments:
        item = assessment.item
        kind = ITEM_KINDS.get(item.type, item.kind)
        if item.subject_id is None or kind is None:
            continue
        link = facts.finding(idempotency_key(facts.driver.id, item.subject_id, kind))
        if link is not None and link.incident_id:
            return link.incident_id
    return None
