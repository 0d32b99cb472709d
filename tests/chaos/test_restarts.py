"""Restarts: while the bundled contacts are in flight, the Prefect server is restarted, the
intake killed, the sandbox killed and the worker killed (SIGKILL, its runs with it), each
started again in turn; the sender retries until the intake takes each contact. Nothing
accepted is lost, nothing is done twice: every contact one outcome as expected, every owed
remediation once, one reply per case, the audit log complete."""

from __future__ import annotations

import time
from collections import Counter

import httpx
import pytest
import sqlalchemy as sa

from onetouch.casestore.tables import cases, contacts
from onetouch.stack_burst import count_runs, read_runs, runs_by_contact
from onetouch.stack_restart import start_service, stop_service
from tests.chaos.conftest import (
    CONTACTS,
    Sender,
    chaos_stack,
    check_contacts,
    settle,
    sweep_restarts,
)

pytestmark = [pytest.mark.stack, pytest.mark.heavy, pytest.mark.timeout(1200)]
DATABASES = ("onetouch_restart_prefect", "onetouch_restart_cases")
# (process, killed rather than stopped cleanly, seconds left down); "in flight" below: contacts
# the intake took with no outcome yet, and the resolve-contact runs running (best effort)
RESTARTS = [("server", False, 5), ("intake", True, 5), ("sandbox", True, 5), ("worker", True, 2)]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stack(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"restart-{request.param}")
    with chaos_stack(tmp, request.param, DATABASES, []) as running:
        yield running


def _running(api: str, timeout: float) -> int:
    """resolve-contact runs running now, waiting a while for one to start (0 if none did, or
    the server did not answer)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            running = count_runs(api, states=["RUNNING"])
        except httpx.HTTPError:  # a busy SQLite server may not answer in time
            running = 0
        if running or time.monotonic() > deadline:
            return running
        time.sleep(0.3)


def _unresolved(stack) -> int:
    """Contacts the intake took that have no outcome yet."""
    return len(stack.rows(sa.select(contacts.c.id).where(
        contacts.c.id.not_in(sa.select(cases.c.contact_id)))))


def _restart_during_a_batch(stack, name: str, hard: bool, down_s: float, batch: list[str]
                            ) -> dict:
    """Send a batch slowly; once runs are in flight, stop the process and start it again."""
    sender = Sender(stack.urls["intake"], [CONTACTS[i] for i in batch], gap_s=3.0)
    sender.start()
    running = _running(stack.urls["api"], 60)
    in_flight = _unresolved(stack)
    started = time.monotonic()
    stopped = stop_service(stack.state_dir, name, hard)
    time.sleep(down_s)
    start_service(stopped)
    down = round(time.monotonic() - started, 1)
    return {"process": name, "in_flight": in_flight, "running": running, "down_s": down,
            "sender_retries": sender.finish()}


def test_restarting_each_process_mid_batch_loses_and_duplicates_nothing(stack):
    ids = sorted(CONTACTS, key=lambda i: int(i[2:]))
    batches = [ids[n::len(RESTARTS)] for n in range(len(RESTARTS))]
    started = time.monotonic()
    restarts = [_restart_during_a_batch(stack, name, hard, down_s, batch)
                for (name, hard, down_s), batch in zip(RESTARTS, batches, strict=True)]
    sweeps = settle(stack, set(ids), 600)
    elapsed = round(time.monotonic() - started, 1)

    assert [r["in_flight"] > 0 for r in restarts] == [True] * len(RESTARTS), restarts
    assert next(r["sender_retries"] for r in restarts if r["process"] == "intake") > 0
    runs = runs_by_contact(read_runs(stack.urls["api"]))
    states = {cid: Counter(r["state_type"] for r in runs.get(cid, [])) for cid in ids}
    odd = {cid: s for cid, s in states.items()
           if not s["COMPLETED"] or set(s) - {"COMPLETED", "CRASHED", "FAILED"}}
    assert odd == {}, "every contact has a completed run, none is left running"
    figures = check_contacts(stack, set(ids))
    print(f"\nrestarts [{stack.backend}]: contacts={len(ids)} restarts="
          f"{[(r['process'], r['in_flight'], r['running'], r['down_s']) for r in restarts]} "
          f"sender retries={sum(r['sender_retries'] for r in restarts)} "
          f"runs started={sum(sum(s.values()) for s in states.values())} (crashed "
          f"{sum(s['CRASHED'] for s in states.values())}, failed "
          f"{sum(s['FAILED'] for s in states.values())}, completed again "
          f"{sum(s['COMPLETED'] - 1 for s in states.values())}) sweeps={sweeps} "
          f"sweep restarts={sweep_restarts(stack, set(ids))} "
          f"duplicates={figures['duplicates']} lost={figures['lost']} in {elapsed} s")
