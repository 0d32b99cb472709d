"""Restarts: while the bundled contacts are in flight, the Prefect server is restarted (its
queue of scheduled task runs is in memory: lost), the intake killed, the sandbox killed and a
resolver killed (SIGKILL, with its child and the contacts it was working on), each started again
in turn; the sender retries until the intake takes each contact. Nothing accepted is lost,
nothing is done twice: every contact one outcome as expected, every owed remediation once, one
reply per case, the audit log complete."""

from __future__ import annotations

import time

import httpx
import pytest
import sqlalchemy as sa

from onetouch.casestore.tables import cases, contacts
from onetouch.stack_burst import count_contact_runs, read_contact_runs
from onetouch.stack_restart import start_service, stop_service
from tests.chaos.conftest import (
    CONTACTS,
    Sender,
    check_contacts,
    disarm,
    forms_open,
    settle,
    sweep_restarts,
    tagged,
)

pytestmark = [pytest.mark.stack, pytest.mark.timeout(900)]
# (process, killed rather than stopped cleanly, seconds left down); "in flight" below: contacts
# the intake took with no outcome yet when it stopped or before it started again, or contact
# runs running when it stopped (a contact takes ~0.2 s: a restart may fall between two)
RESTARTS = [("server", False, 5), ("intake", True, 5), ("sandbox", True, 5),
            ("resolver-1", True, 2)]


def _running(api: str, timeout: float, sender: Sender) -> int:
    """Contact runs running now, waiting a while for one to start (0 if none did, or the
    server did not answer), but not past half the batch sent: the restart must fall while the
    sender still has contacts to send."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            running = count_contact_runs(api, "restarts-", ["RUNNING", "PENDING"])
        except httpx.HTTPError:
            running = 0
        if running or time.monotonic() > deadline or sender.sent * 2 >= len(sender.batch):
            return running
        time.sleep(0.2)


def _unresolved(stack) -> int:
    """Contacts the intake took that have no outcome yet."""
    return len(stack.rows(sa.select(contacts.c.id).where(
        contacts.c.id.not_in(sa.select(cases.c.contact_id)))))


def _restart_during_a_batch(stack, name: str, hard: bool, down_s: float, batch: list[dict]
                            ) -> dict:
    """Send a batch; once contacts are in flight, stop the process and start it again."""
    sender = Sender(stack.urls["intake"], batch, gap_s=1.0)
    sender.start()
    running = _running(stack.urls["api"], 30, sender)
    in_flight = _unresolved(stack)
    started = time.monotonic()
    stopped = stop_service(stack.state_dir, name, hard)
    time.sleep(down_s)
    in_flight = max(in_flight, _unresolved(stack))
    start_service(stopped)
    down = round(time.monotonic() - started, 1)
    return {"process": name, "in_flight": in_flight, "running": running, "down_s": down,
            "sender_retries": sender.finish()}


def test_restarting_each_process_mid_batch_loses_and_duplicates_nothing(stack):
    stack.fresh_world()
    tagged_contacts = tagged("restarts", sorted(CONTACTS, key=lambda i: int(i[2:])))
    ids = list(tagged_contacts)
    disarm(stack, set(ids))
    batches = [[tagged_contacts[i] for i in ids[n::len(RESTARTS)]] for n in range(len(RESTARTS))]
    started = time.monotonic()
    restarts = [_restart_during_a_batch(stack, name, hard, down_s, batch)
                for (name, hard, down_s), batch in zip(RESTARTS, batches, strict=True)]
    sweeps = settle(stack, set(ids), 600)
    elapsed = round(time.monotonic() - started, 1)

    hit = [r["in_flight"] > 0 or r["running"] > 0 for r in restarts]
    assert hit == [True] * len(RESTARTS), restarts
    assert next(r["sender_retries"] for r in restarts if r["process"] == "intake") > 0
    runs = read_contact_runs(stack.urls["api"], "restarts-")
    finished = {cid: [r["state_type"] for r in runs.get(cid, [])] for cid in ids}
    odd = {cid: s for cid, s in finished.items() if "COMPLETED" not in s
           or set(s) - {"COMPLETED", "CRASHED", "FAILED"}}
    assert odd == {}, "every contact has a completed run, none is left running"
    figures = check_contacts(stack, set(ids))
    forms = forms_open(stack, set(ids))
    print(f"\nrestarts [{stack.backend}]: contacts={len(ids)} restarts="
          f"{[(r['process'], r['in_flight'], r['running'], r['down_s']) for r in restarts]} "
          f"sender retries={sum(r['sender_retries'] for r in restarts)} "
          f"runs={sum(len(s) for s in finished.values())} sweeps={sweeps} "
          f"handed on again={sweep_restarts(stack, set(ids))} "
          f"duplicates={figures['duplicates']} lost={figures['lost']} forms open={forms} "
          f"in {elapsed} s")
