"""Resolvers: long-lived processes that resolve contacts as Prefect background tasks.

The intake keeps a contact, then submits `resolve-contact` for it (`dispatch`): Prefect keeps
the task run (named `contact-<id>`, its parameter the id alone, in the task-scheduling
storage) and hands it to one of the resolvers subscribed to the task (`serve`). A resolver
keeps Python, Prefect, the clients, the intent model and the templates loaded between
contacts; each contact is one task run with its steps as nested task runs, tagged with its
outcome, intent and queue. Replay, the demo and tests run the same task in their own process
(`resolve_now`).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
import time
from collections.abc import Coroutine
from typing import Any, TypeVar
from uuid import UUID

from prefect import Task
from prefect.cache_policies import NONE
from prefect.client.orchestration import PrefectClient, get_client
from prefect.context import SettingsContext, SyncClientContext, TaskRunContext
from prefect.task_worker import serve as serve_tasks
from prefect.utilities.engine import emit_task_run_state_change_event

from flows import deps
from flows.names import RESOLVER_TASK_KEY
from flows.resolve_contact import outcome_tags, resolve
from flows.tasks import ContactRejected, rejected_outcome, validate_contact
from onetouch.outcomes import ContactOutcome
from onetouch.render import environment
from onetouch.settings import get_settings

LOG = logging.getLogger("onetouch.resolver")
T = TypeVar("T")


class ResolverTask(Task):
    """A task whose key is fixed: the intake and resolvers of any release and install path
    meet on it (Prefect derives a key from the function's code and file otherwise)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.task_key = RESOLVER_TASK_KEY

    def with_options(self, *args: Any, **kwargs: Any) -> Task[Any, Any]:
        """A copy with other options and the same key (Prefect's copy would get its own)."""
        copied = super().with_options(*args, **kwargs)
        copied.task_key = self.task_key
        return copied


def _resolve_stored_contact(contact_id: str) -> dict[str, Any]:
    """Resolve the contact the case store keeps under this id; its outcome, without text."""
    outcome = resolve({"id": contact_id})
    _tag_this_run(outcome)
    LOG.info("contact %s: %s %s", outcome.contact_id, outcome.intent, outcome.outcome)
    return summary(outcome)


resolve_stored_contact: Task[[str], dict[str, Any]] = ResolverTask(
    fn=_resolve_stored_contact, name="resolve-contact", task_run_name="contact-{contact_id}",
    cache_policy=NONE, persist_result=False)


def summary(outcome: ContactOutcome) -> dict[str, Any]:
    """What a task run keeps as its result: ids and the outcome, never the reply's text."""
    return {"contact_id": outcome.contact_id, "case_id": outcome.case_id,
            "outcome": outcome.outcome, "intent": outcome.intent, "queue": outcome.queue}


def _tag_this_run(outcome: ContactOutcome) -> None:
    """Tag the running task run with its outcome: its next state event carries the tags."""
    context = TaskRunContext.get()
    if context is not None:
        run = context.task_run
        run.tags = sorted({*run.tags, *outcome_tags(outcome)})


class _SettingsKeptHere(SettingsContext):
    """The submitter's settings, left out of a submitted run's context: a resolver runs on its
    own (another host's paths and URLs are not its), and rebuilding them from the stored
    context took a third of a resolver's CPU per contact."""

    def serialize(self, include_secrets: bool = True) -> dict[str, Any]:
        """Nothing to ship."""
        return {}


class Submitter:
    """Submits `resolve-contact` runs from any thread, through one event loop of its own and
    one Prefect client (`Task.delay` from several threads at once hung in Prefect 3.8.8's
    run-sync loops, and opened a client, with its TLS context, per call)."""

    def __init__(self, timeout_s: float = 60) -> None:
        self.timeout_s = timeout_s
        self._loop = asyncio.new_event_loop()
        self._thread = self._new_thread()
        self._client: PrefectClient | None = None
        self._starting = threading.Lock()

    def _new_thread(self) -> threading.Thread:
        return threading.Thread(target=self._loop.run_forever, daemon=True,
                                name="onetouch-submitter")

    def __enter__(self) -> Submitter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the client and stop the loop (a later submit starts them again)."""
        if not self._thread.is_alive():
            return
        if self._client is not None:
            self._call(self._client.__aexit__(None, None, None))
            self._client = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._thread = self._new_thread()

    def submit(self, contact_id: str) -> UUID:
        """A new task run of `resolve-contact` for the stored contact; its id."""
        return self._call(self._submit(contact_id))

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run on the submitter's loop, in an empty context: a run submitted from inside a
        flow run would otherwise carry that run's context (and its flow, pickled) along."""
        with self._starting:
            if not self._thread.is_alive():
                self._thread.start()
        future = contextvars.Context().run(asyncio.run_coroutine_threadsafe, coroutine,
                                           self._loop)
        return future.result(self.timeout_s)

    async def _submit(self, contact_id: str) -> UUID:
        if self._client is None:
            self._client = await get_client().__aenter__()
            self._one_at_a_time = asyncio.Lock()
        current = SettingsContext.get()
        assert current is not None
        async with self._one_at_a_time:
            with _SettingsKeptHere(profile=current.profile, settings=current.settings):
                run = await resolve_stored_contact.create_run(
                    client=self._client, parameters={"contact_id": contact_id}, deferred=True)
        assert run.state is not None
        emit_task_run_state_change_event(task_run=run, initial_state=None,
                                         validated_state=run.state)
        return run.id


def dispatch(contact_id: str) -> UUID:
    """Hand a stored contact to the resolvers, from a one-off caller; its task run's id."""
    with Submitter() as submitter:
        return submitter.submit(contact_id)


def resolve_now(raw: dict[str, Any]) -> dict[str, Any]:
    """Resolve a contact in this process, as a resolver would: its outcome line.

    An invalid contact is refused here (it would never reach a resolver: the intake refuses
    it); a valid one is kept in the case store, then resolved by the same task."""
    try:
        contact = validate_contact(raw)
    except ContactRejected as exc:
        return rejected_outcome(raw, str(exc)).line()
    store = deps.case_store()
    store.store_contact(contact, raw)
    resolve_stored_contact(contact.id)
    outcome = store.outcome_for(contact.id)
    if outcome is None:
        raise RuntimeError(f"contact {contact.id} was resolved but has no recorded outcome")
    return outcome.line()


def warm_up() -> None:
    """Load what every contact needs before the first one arrives."""
    deps.case_store()
    deps.platform()
    deps.intent_model()
    environment(get_settings().templates_dir)


def serve(limit: int, resubscribe_after_s: float = 2.0) -> None:
    """Serve `resolve-contact` until stopped, running at most `limit` contacts at once, with
    one Prefect client for every task run (else each opens its own, with its TLS context).

    Prefect's task worker stops when its subscription ends (a server restarting closes it
    cleanly; one that is down refuses it): the resolver subscribes again until stopped."""
    warm_up()
    with SyncClientContext.get_or_create():
        while True:
            try:
                serve_tasks(resolve_stored_contact, limit=limit)
                LOG.warning("the subscription ended: subscribing again")
            except Exception as exc:  # noqa: BLE001 - whatever ended it, subscribe again
                LOG.warning("the subscription failed (%s): subscribing again in %.0f s",
                            type(exc).__name__, resubscribe_after_s)
            time.sleep(resubscribe_after_s)
