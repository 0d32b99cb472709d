"""The intake sweep: stored contacts that never reached a flow are handed on again."""

from __future__ import annotations

from datetime import timedelta

from prefect import flow, get_run_logger
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.events.filters import (
    EventFilter,
    EventNameFilter,
    EventOccurredFilter,
    EventResourceFilter,
)
from prefect.settings import get_current_settings
from prefect.states import Crashed

from flows import deps
from onetouch.intake.app import emit_contact_event
from onetouch.models import utc_now
from onetouch.settings import get_settings
from onetouch.stack_restart import HEARTBEAT_EVENT, SILENT_BEATS

UNFINISHED = [StateType.SCHEDULED, StateType.PENDING, StateType.RUNNING, StateType.PAUSED,
              StateType.CANCELLING]
PAGE = 200


def contacts_in_flight() -> set[str]:
    """Contact ids of resolve-contact runs not finished yet: waiting for a worker, or running.

    Under a burst, a contact can wait in the pool's queue longer than the sweep's delay; its
    event was not lost, so it is not handed on again (that would start a second run). A run
    Pending or Running with no sign of life for three heartbeats lost its process unseen (its
    worker was killed, or the server was down when it ended): it is marked Crashed and its
    contact is not in flight.
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
                    and isinstance(contact.get("id"), str) and not _crashed_if_dead(client, run)}
            if len(runs) < PAGE:
                break
    return ids


def _crashed_if_dead(client: SyncPrefectClient, run: FlowRun) -> bool:
    """Mark a Pending or Running run Crashed when it showed no sign of life (a state change, a
    heartbeat) for three heartbeats; whether it did. A no-op when heartbeats are off."""
    beat = get_current_settings().flows.heartbeat_frequency
    if run.state is None or run.state.type not in (StateType.PENDING, StateType.RUNNING) or (
            not beat):
        return False
    silent_s = SILENT_BEATS * beat
    since = utc_now() - timedelta(seconds=silent_s)
    if run.state.timestamp > since or client.read_events(EventFilter(
            occurred=EventOccurredFilter(since=since),
            event=EventNameFilter(name=[HEARTBEAT_EVENT]),
            resource=EventResourceFilter(id=[f"prefect.flow-run.{run.id}"])), limit=1).events:
        return False
    client.set_flow_run_state(run.id, Crashed(
        message=f"no sign of life for {silent_s} s: its process died"))
    get_run_logger().warning("run %s showed no sign of life: marked Crashed", run.name)
    return True


@flow(name="sweep-stranded-contacts", persist_result=False)
def sweep_stranded_contacts(limit: int = 500) -> list[str]:
    """Emit the contact event again for each stored contact with no case and no run for a while."""
    store = deps.case_store()
    now = utc_now()
    before = now - timedelta(seconds=get_settings().intake_sweep_after_s)
    stranded = store.stranded_contacts(before, limit)
    waiting = contacts_in_flight()  # also crashes runs that died unseen: their slots free
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
