"""The intake sweep: stored contacts that never reached a flow are handed on again."""

from __future__ import annotations

from datetime import timedelta

from prefect import flow, get_run_logger

from flows import deps
from onetouch.intake.app import emit_contact_event
from onetouch.models import utc_now
from onetouch.settings import get_settings


@flow(name="sweep-stranded-contacts", persist_result=False)
def sweep_stranded_contacts(limit: int = 500) -> list[str]:
    """Emit the contact event again for every stored contact with no case after a while."""
    store = deps.case_store()
    now = utc_now()
    before = now - timedelta(seconds=get_settings().intake_sweep_after_s)
    handed = []
    for raw in store.stranded_contacts(before, limit):
        emit_contact_event(raw)
        store.mark_dispatched(raw["id"], now)
        handed.append(raw["id"])
    get_run_logger().info("%d stranded contacts handed on again", len(handed))
    return handed
