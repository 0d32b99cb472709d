"""The intake sweep: stored contacts that never reached a flow are handed on again."""

from __future__ import annotations

from datetime import timedelta

from prefect import flow, get_run_logger
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType

from flows import deps
from onetouch.intake.app import emit_contact_event
from onetouch.models import utc_now
from onetouch.settings import get_settings

UNFINISHED = [StateType.SCHEDULED, StateType.PENDING, StateType.RUNNING, StateType.PAUSED,
              StateType.CANCELLING]
PAGE = 200


def contacts_in_flight() -> set[str]:
    """Contact ids of resolve-contact runs not finished yet: waiting for a worker, or running.

    Under a burst, a contact can wait in the pool's queue longer than the sweep's delay; its
    event was not lost, so it is not handed on again (that would start a second run).
    """
    ids: set[str] = set()
    with get_client(sync_client=True) as client:
        for offset in range(0, 100 * PAGE, PAGE):
            runs = client.read_flow_runs(
                flow_filter=FlowFilter(name=FlowFilterName(any_=["resolve-contact"])),
                flow_run_filter=FlowRunFilter(state=FlowRunFilterState(
                    type=FlowRunFilterStateType(any_=UNFINISHED))), limit=PAGE, offset=offset)
            ids |= {contact["id"] for run in runs
                    if isinstance(contact := run.parameters.get("contact"), dict)
                    and isinstance(contact.get("id"), str)}
            if len(runs) < PAGE:
                break
    return ids


@flow(name="sweep-stranded-contacts", persist_result=False)
def sweep_stranded_contacts(limit: int = 500) -> list[str]:
    """Emit the contact event again for each stored contact with no case and no run for a while."""
    store = deps.case_store()
    now = utc_now()
    before = now - timedelta(seconds=get_settings().intake_sweep_after_s)
    stranded = store.stranded_contacts(before, limit)
    waiting = contacts_in_flight() if stranded else set()
    handed = []
    for raw in stranded:
        if raw["id"] in waiting:
            continue
        emit_contact_event(raw)
        store.mark_dispatched(raw["id"], now)
        handed.append(raw["id"])
    get_run_logger().info("%d stranded contacts handed on again (%d still queued or running)",
                          len(handed), len(stranded) - len(handed))
    return handed
