"""A simulated day recorded in a case store as the real system records it: detection's
findings, incidents and proactive fixes at the world's now, then every contact's outcome (the
ground truth's; tests/simulate/test_replay_truth.py holds the real replay to it)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from sqlalchemy import insert

from onetouch.casestore import CaseStore
from onetouch.casestore.audit import audit
from onetouch.casestore.tables import findings, incidents
from onetouch.models import Contact
from onetouch.outcomes import ContactOutcome
from simulate import Size, write

SIZE, SEED = Size(drivers=50, stores=15, offers=700), 56
TYPES = {"reissue": "offer_reissue", "deposit_retry": "deposit_retry"}
STATUS = {"proactive": "remediated", "held": "held"}


def simulated_day(out: Path) -> tuple[dict, dict, list[dict]]:
    """The day's files: (world, truth, raw contacts)."""
    write(SEED, SIZE, out)
    raws = [json.loads(line) for line in (out / "contacts.jsonl").read_text().splitlines()]
    return (json.loads((out / "world.json").read_text()),
            json.loads((out / "truth.json").read_text()), raws)


def record_day(store: CaseStore, truth: dict, raws: list[dict]) -> None:
    """Detection's line, then each contact stored and its outcome recorded when it came in."""
    now = datetime.fromisoformat(truth["summary"]["now"])
    with store.engine.begin() as conn:
        for inc in truth["detection"]["incidents"]:
            conn.execute(insert(incidents).values(
                id=inc["id"], detector=inc["detector"], cause=inc["cause"], status=inc["status"],
                total_cents=inc["total_cents"], drivers=inc["drivers"],
                subjects=inc["subjects"], detected_at=now, updated_at=now))
        for d in truth["defects"]:
            if d["finding"]:
                _finding(conn, d, now)
    outcomes = {c["contact_id"]: c for c in truth["contacts"]}
    for raw in raws:
        contact = Contact.model_validate(raw)
        store.store_contact(contact, raw, now=contact.received_at)
        t = outcomes[contact.id]
        store.record(ContactOutcome(
            contact_id=contact.id, driver_id=contact.driver_id, intent=t["intent"],
            outcome=t["outcome"], queue=t["queue"], actions=t["actions"],
            recommended_actions=t["recommended_actions"], incident_id=t["incident_id"],
            case_id=f"case-{contact.id}", reason=t["reason"]), now=contact.received_at)


def _finding(conn, d: dict, now: datetime) -> None:
    f = d["finding"]
    status = STATUS.get(d["fixed_by"].split(":")[0], "fixing")
    conn.execute(insert(findings).values(
        key=d["key"], driver_id=d["driver_id"], subject_id=d["subject_id"],
        detector=f["detector"], cause=f["cause"], incident_id=d["incident_id"], status=status,
        amount_cents=f["amount_cents"], finding={}, detected_at=now,
        remediated_at=now if status == "remediated" else None))
    if status == "remediated":
        kind = d["key"].rsplit("/", 1)[-1]
        action_type = TYPES.get(kind, "pay_adjustment")
        amount = f["amount_cents"] if action_type == "pay_adjustment" else None
        audit(conn, now, "detection", f"proactive_{action_type}", d["incident_id"], None,
              amount, {"type": action_type, "subject_id": d["subject_id"],
                       "kind": kind if action_type == "pay_adjustment" else None,
                       "amount_cents": amount, "driver_id": d["driver_id"],
                       "detector": f["detector"]})
