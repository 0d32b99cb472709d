"""The append-only audit log's writer, and rows made JSON-able."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert

from onetouch.casestore.tables import audit_log
from onetouch.models import format_utc, utc
from onetouch.settings import get_settings


def audit(conn, at: datetime, actor: str, action: str, case_id: str | None,
           escalation_id: str | None, amount: int | None, details: dict,
           note: str | None = None) -> None:
    if get_settings().dry_run:  # a dry run's records say so (docs/payments-safety.md)
        details = {**details, "dry_run": True}
    conn.execute(insert(audit_log).values(
        at=at, actor=actor, action=action, case_id=case_id, escalation_id=escalation_id,
        amount_cents=amount, details=details, note=note))


def json_row(row: dict) -> dict:
    for key, value in row.items():
        if isinstance(value, datetime):
            row[key] = format_utc(utc(value))
    return row
