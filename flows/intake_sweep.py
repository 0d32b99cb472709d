"""The intake sweep: stored contacts that never got a case are handed on again.

A contact handed to the resolvers has a task run (its id kept with the contact). One with no
case after `intake_sweep_after_s` is judged by its run:

- never handed on, or its run is unknown to the server: handed on now (a new run);
- its run ended without a case (failed, crashed, cancelled): scheduled again;
- its run is Pending or Running, silent since then: its resolver died (killed, or the server
  lost it); marked Crashed and scheduled again. A live run slower than that is run twice at
  worst, which the idempotency keys, the kept decision and the once-only reply make harmless;
- its run is still Scheduled: the server keeps scheduled background runs in memory, so a
  restart loses them. It is lost when a contact scheduled after it has already started
  (resolvers take them in order), or when resolvers are subscribed, none is busy and none
  finished anything for the sweep's delay; else it waits its turn.

A contact whose case is recorded but whose run is unfinished and judged the same way (silent,
or lost from the queue) lost its resolver between the record and the run's end, or another
run recorded it: its run is scheduled again, and the resolver that takes it returns the
recorded outcome (the run ends Completed).

Contacts handed on as events (`contact_dispatch: flow-runs`) are judged by their flow runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from prefect import flow, get_run_logger
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
    TaskRunFilter,
    TaskRunFilterId,
    TaskRunFilterName,
    TaskRunFilterState,
    TaskRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, State, StateType, TaskRun
from prefect.client.schemas.sorting import TaskRunSort
from prefect.events.filters import (
    EventFilter,
    EventNameFilter,
    EventOccurredFilter,
    EventResourceFilter,
)
from prefect.settings import get_current_settings
from prefect.states import Crashed, Scheduled

from flows import deps
from flows.agent_queues import open_missing_forms
from flows.dispatch import emit_contact_event
from flows.escalations import close_joined
from flows.names import RESOLVER_TASK_KEY
from flows.resolver import dispatch
from onetouch.casestore.intake import Stranded
from onetouch.models import utc_now
from onetouch.settings import get_settings
from onetouch.stack_restart import HEARTBEAT_EVENT, SILENT_BEATS

UNFINISHED = [StateType.SCHEDULED, StateType.PENDING, StateType.RUNNING, StateType.PAUSED,
              StateType.CANCELLING]
BUSY = [StateType.PENDING, StateType.RUNNING]
PAGE = 200
CONTACT_RUNS = TaskRunFilterName(like_="contact-%")


@dataclass(frozen=True)
class Resolvers:
    """What the server shows of the resolvers: subscribed, busy, last done, last started."""

    subscribed: int
    busy: bool
    finished_at: datetime | None
    started_scheduled_at: datetime | None

    def lost(self, run: TaskRun, now: datetime, after: timedelta) -> bool:
        """Whether a run still Scheduled is no longer in the server's queue."""
        queued_at = _scheduled_at(run)
        if self.started_scheduled_at is not None and queued_at < self.started_scheduled_at:
            return True
        idle_for = now - self.finished_at if self.finished_at else after
        return bool(self.subscribed) and not self.busy and idle_for >= after


def _scheduled_at(run: TaskRun) -> datetime:
    if run.expected_start_time is not None:
        return run.expected_start_time
    assert run.state is not None
    return run.state.timestamp


def read_resolvers(client: SyncPrefectClient) -> Resolvers:
    """The resolvers' activity, as the server has it."""
    workers = client.request("POST", "/task_workers/filter",
                             json={"task_worker_filter": {"task_keys": [RESOLVER_TASK_KEY]}}).json()

    def latest(states: list[StateType], sort: TaskRunSort) -> TaskRun | None:
        runs = client.read_task_runs(task_run_filter=TaskRunFilter(
            name=CONTACT_RUNS, state=TaskRunFilterState(type=TaskRunFilterStateType(
                any_=states))), sort=sort, limit=1)
        return runs[0] if runs else None

    busy = latest(BUSY, TaskRunSort.EXPECTED_START_TIME_DESC)
    done = latest([StateType.COMPLETED, StateType.FAILED], TaskRunSort.END_TIME_DESC)
    started = latest([StateType.PENDING, StateType.RUNNING, StateType.COMPLETED,
                      StateType.FAILED], TaskRunSort.EXPECTED_START_TIME_DESC)
    return Resolvers(subscribed=len(workers), busy=busy is not None,
                     finished_at=done.end_time if done else None,
                     started_scheduled_at=_scheduled_at(started) if started else None)


def read_task_runs(client: SyncPrefectClient, ids: list[str]) -> dict[str, TaskRun]:
    """The task runs of these ids that the server has, by id."""
    found: dict[str, TaskRun] = {}
    for start in range(0, len(ids), PAGE):
        chunk = [UUID(i) for i in ids[start:start + PAGE]]
        runs = client.read_task_runs(task_run_filter=TaskRunFilter(
            id=TaskRunFilterId(any_=chunk)), limit=PAGE)
        found |= {str(run.id): run for run in runs}
    return found


def requeue(client: SyncPrefectClient, run: TaskRun, why: str) -> None:
    """Schedule the same task run again, with the parameters it was created with: the server
    puts it back in its queue for the resolvers."""
    if run.state and run.state.type in BUSY:
        client.set_task_run_state(run.id, Crashed(message=why), force=True)
    scheduled: State[Any] = Scheduled(message=why)
    scheduled.state_details.deferred = True
    scheduled.state_details.task_parameters_id = _parameters_id(client, run)
    client.set_task_run_state(run.id, scheduled, force=False)


def _parameters_id(client: SyncPrefectClient, run: TaskRun) -> UUID | None:
    """The id of the parameters the run was created with (its first Scheduled state's)."""
    for state in client.read_task_run_states(run.id):
        if state.state_details.task_parameters_id is not None:
            return state.state_details.task_parameters_id
    return None


def verdict(run: TaskRun | None, resolvers: Resolvers, now: datetime, after: timedelta
            ) -> str | None:
    """What to do with a contact's run: `dispatch` (a new one), `requeue`, or None (leave
    it)."""
    if run is None or run.state is None:
        return "dispatch"
    kind = run.state.type
    if kind == StateType.COMPLETED:
        return None
    if kind == StateType.SCHEDULED:
        return "requeue" if resolvers.lost(run, now, after) else None
    if kind in BUSY:
        return "requeue" if now - run.state.timestamp >= after else None
    return "requeue"


def sweep_task_runs(client: SyncPrefectClient, stranded: list[Stranded], now: datetime,
                    after: timedelta, resolvers: Resolvers) -> list[str]:
    """Hand on again the stranded contacts whose resolver runs are lost or ended; their ids."""
    runs = read_task_runs(client, [c.task_run_id for c in stranded if c.task_run_id])
    store, logger, handed = deps.case_store(), get_run_logger(), []
    for contact in stranded:
        run = runs.get(contact.task_run_id or "")
        action = verdict(run, resolvers, now, after)
        if action is None:
            continue
        if action == "requeue" and run is not None:
            requeue(client, run, "handed on again by the intake sweep")
            store.mark_dispatched(contact.id, now, str(run.id))
        else:
            store.mark_dispatched(contact.id, now, str(dispatch(contact.id)))
        logger.info("contact %s handed on again (%s)", contact.id, action)
        handed.append(contact.id)
    return handed


def unfinished_contact_runs(client: SyncPrefectClient) -> list[TaskRun]:
    """Contact runs Scheduled, Pending or Running, the oldest first."""
    return client.read_task_runs(task_run_filter=TaskRunFilter(
        name=CONTACT_RUNS, state=TaskRunFilterState(type=TaskRunFilterStateType(
            any_=[StateType.SCHEDULED, *BUSY]))), sort=TaskRunSort.EXPECTED_START_TIME_ASC,
        limit=PAGE)


def finish_recorded(client: SyncPrefectClient, now: datetime, after: timedelta,
                    resolvers: Resolvers, skip: set[str]) -> list[str]:
    """Schedule again the lost or silent runs of contacts whose case is recorded; their ids."""
    store, finished = deps.case_store(), []
    for run in unfinished_contact_runs(client):
        contact_id = run.name.removeprefix("contact-")
        if contact_id in skip or verdict(run, resolvers, now, after) is None or (
                store.outcome_for(contact_id) is None):
            continue
        requeue(client, run, "its resolver died after recording the case: finished again")
        finished.append(contact_id)
    if finished:
        get_run_logger().info("%d recorded contacts' runs finished again: %s", len(finished),
                              ", ".join(finished))
    return finished


def contacts_in_flight(client: SyncPrefectClient) -> set[str]:
    """Contact ids of resolve-contact flow runs not finished yet (the `flow-runs` path); a run
    Pending or Running with no sign of life for three heartbeats is marked Crashed."""
    ids: set[str] = set()
    for offset in range(0, 100 * PAGE, PAGE):
        found = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["resolve-contact"])),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(
                type=FlowRunFilterStateType(any_=UNFINISHED))), limit=PAGE, offset=offset)
        ids |= {contact["id"] for run in found
                if isinstance(contact := run.parameters.get("contact"), dict)
                and isinstance(contact.get("id"), str) and not _crashed_if_dead(client, run)}
        if len(found) < PAGE:
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
            occurred=EventOccurredFilter.model_validate({"since": since}),
            event=EventNameFilter(name=[HEARTBEAT_EVENT]),
            resource=EventResourceFilter(id=[f"prefect.flow-run.{run.id}"])), limit=1).events:
        return False
    client.set_flow_run_state(run.id, Crashed(
        message=f"no sign of life for {silent_s} s: its process died"))
    get_run_logger().warning("run %s showed no sign of life: marked Crashed", run.name)
    return True


def sweep_flow_runs(client: SyncPrefectClient, stranded: list[Stranded], now: datetime
                    ) -> list[str]:
    """Emit the contact event again for each stranded contact with no flow run in flight."""
    waiting = contacts_in_flight(client)
    store, handed = deps.case_store(), []
    for contact in stranded:
        if contact.id in waiting:
            continue
        emit_contact_event(contact.raw)
        store.mark_dispatched(contact.id, now)
        handed.append(contact.id)
    return handed


@flow(name="sweep-stranded-contacts", persist_result=False)
def sweep_stranded_contacts(limit: int = 500) -> list[str]:
    """Hand on again each stored contact with no case whose hand-off was lost; open the
    approval form of each pending escalation left without one, and close each that joined an
    escalation now done (a crash between the two)."""
    settings, now = get_settings(), utc_now()
    after = timedelta(seconds=settings.intake_sweep_after_s)
    stranded = deps.case_store().stranded_contacts(now - after, limit)
    with get_client(sync_client=True) as client:
        if settings.contact_dispatch == "flow-runs":
            handed = sweep_flow_runs(client, stranded, now)
        else:
            resolvers = read_resolvers(client)
            handed = sweep_task_runs(client, stranded, now, after, resolvers)
            finish_recorded(client, now, after, resolvers, {c.id for c in stranded})
    opened = open_missing_forms(now - after)
    closed = [e for e in deps.case_store().joined_left_open() if close_joined(e)]
    get_run_logger().info("%d stranded contacts handed on again (%d still queued or running); "
                          "%d approval forms opened; %d joined escalations closed", len(handed),
                          len(stranded) - len(handed), len(opened), len(closed))
    return handed
