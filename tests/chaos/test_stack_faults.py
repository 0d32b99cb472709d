"""The deployed stack under platform faults: while the bundled contacts go through the intake,
the worker's flows and the sandbox, the sandbox fails 20% of action calls with a 5xx, hangs 5%
past the client's read timeout and adds latency to every call. Every contact one outcome as
expected, every owed remediation once, one reply per case, the audit log complete."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from onetouch.stack_burst import read_runs, runs_by_contact
from tests.chaos.conftest import (
    CONTACTS,
    Sender,
    chaos_stack,
    check_contacts,
    settle,
    sweep_restarts,
)

pytestmark = [pytest.mark.stack, pytest.mark.heavy, pytest.mark.timeout(1200)]
DATABASES = ("onetouch_faults_prefect", "onetouch_faults_cases")
ACTIONS = ("POST /pay-adjustments", "POST /offers/{offer_id}/reissue",
           "POST /deposits/{deposit_id}/retry", "POST /notifications")
READ_TIMEOUT_S = 2.0


def faults(seed: int) -> dict:
    """20% errors and 5% hangs on the actions, latency on every call."""
    hang = READ_TIMEOUT_S + 1
    actions = {route: {"error_rate": 0.20, "timeout_rate": 0.05, "hang_seconds": hang,
                       "latency_ms": 50} for route in ACTIONS}
    return {"seed": seed, "routes": actions | {"*": {"latency_ms": 50}}}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stack(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"faults-{request.param}")
    settings = {"ONETOUCH_READ_TIMEOUT_S": str(READ_TIMEOUT_S)}  # the flow runs' client
    with chaos_stack(tmp, request.param, DATABASES, [], settings) as running:
        yield running


def test_contacts_through_the_stack_under_platform_faults_are_done_exactly_once(stack):
    stack.sandbox("PUT", "/admin/faults", json=faults(seed=7))
    ids = sorted(CONTACTS, key=lambda i: int(i[2:]))
    started = time.monotonic()
    sender = Sender(stack.urls["intake"], [CONTACTS[i] for i in ids], gap_s=0.5)
    sender.start()
    sender_retries = sender.finish()
    sweeps = settle(stack, set(ids), 840)
    elapsed = round(time.monotonic() - started, 1)
    injected = stack.sandbox("GET", "/admin/faults")["injected"]
    stack.sandbox("DELETE", "/admin/faults")

    log = (stack.state_dir / "logs" / "worker.log").read_text(errors="replace")
    retries = log.count("retrying ")
    timeouts_retried = log.count("status=None")
    runs = runs_by_contact(read_runs(stack.urls["api"]))
    states = Counter(r["state_type"] for cid in ids for r in runs.get(cid, []))
    figures = check_contacts(stack, set(ids))
    print(f"\nstack under faults [{stack.backend}]: contacts={len(ids)} faults={injected} "
          f"client retries={retries} (after a timeout {timeouts_retried}) "
          f"sender retries={sender_retries} runs={dict(states)} "
          f"sweeps={sweeps} sweep restarts={sweep_restarts(stack, set(ids))} "
          f"duplicates={figures['duplicates']} lost={figures['lost']} in {elapsed} s")
    assert injected.get("error", 0) >= 3 and injected.get("timeout", 0) >= 1, injected
    assert retries >= injected["error"] and timeouts_retried >= 1
