"""The stack under platform faults: while the bundled contacts go through the intake, the
resolvers and the sandbox, the sandbox fails 20% of action calls with a 5xx, hangs 5% past the
client's read timeout and adds latency to every call. Every contact one outcome as expected,
every owed remediation once, one reply per case, the audit log complete."""

from __future__ import annotations

import time

import pytest

from onetouch.stack_burst import read_contact_runs
from tests.chaos.conftest import (
    CONTACTS,
    READ_TIMEOUT_S,
    Sender,
    check_contacts,
    disarm,
    settle,
    sweep_restarts,
    tagged,
)

pytestmark = [pytest.mark.stack, pytest.mark.timeout(600)]
ACTIONS = ("POST /pay-adjustments", "POST /offers/{offer_id}/reissue",
           "POST /deposits/{deposit_id}/retry", "POST /notifications")


def faults(seed: int) -> dict:
    """20% errors and 5% hangs on the actions, latency on every call."""
    hang = READ_TIMEOUT_S + 1
    actions = {route: {"error_rate": 0.20, "timeout_rate": 0.05, "hang_seconds": hang,
                       "latency_ms": 50} for route in ACTIONS}
    return {"seed": seed, "routes": actions | {"*": {"latency_ms": 50}}}


def _retry_logs(stack) -> tuple[int, int]:
    """Client retries the resolvers logged: in all, and after a timeout."""
    logs = "".join(path.read_text(errors="replace")
                   for path in (stack.state_dir / "logs").glob("resolver-*.log"))
    return logs.count("retrying "), logs.count("status=None")


def test_contacts_through_the_stack_under_platform_faults_are_done_exactly_once(stack):
    stack.fresh_world()
    contacts = tagged("faults", sorted(CONTACTS, key=lambda i: int(i[2:])))
    ids = set(contacts)
    disarm(stack, ids)
    retries_before, timeouts_before = _retry_logs(stack)
    stack.sandbox("PUT", "/admin/faults", json=faults(seed=7))
    started = time.monotonic()
    sender = Sender(stack.urls["intake"], list(contacts.values()), gap_s=0.1)
    sender.start()
    sender_retries = sender.finish()
    sweeps = settle(stack, ids, 420)
    elapsed = round(time.monotonic() - started, 1)
    injected = stack.sandbox("GET", "/admin/faults")["injected"]
    stack.sandbox("DELETE", "/admin/faults")

    retries, timeouts_retried = (n - before for n, before in zip(
        _retry_logs(stack), (retries_before, timeouts_before), strict=True))
    runs = read_contact_runs(stack.urls["api"], "faults-")
    assert {cid: [r["state_type"] for r in runs.get(cid, [])][-1:] for cid in ids} == {
        cid: ["COMPLETED"] for cid in ids}
    figures = check_contacts(stack, ids)
    print(f"\nstack under faults [{stack.backend}]: contacts={len(ids)} faults={injected} "
          f"client retries={retries} (after a timeout {timeouts_retried}) "
          f"sender retries={sender_retries} runs={sum(len(r) for r in runs.values())} "
          f"sweeps={sweeps} handed on again={sweep_restarts(stack, ids)} "
          f"duplicates={figures['duplicates']} lost={figures['lost']} in {elapsed} s")
    assert injected.get("error", 0) >= 3 and injected.get("timeout", 0) >= 1, injected
    assert retries >= injected["error"] and timeouts_retried >= 1
