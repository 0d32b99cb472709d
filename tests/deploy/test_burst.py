"""Scale-out: a burst of signed contacts on PostgreSQL and two workers, each handled exactly once.

The burst's size is `ONETOUCH_BURST_CONTACTS`. A contact costs about 7 s of CPU in all (its
flow run's process ~5 s, the server ~1.5 s; benchmarks/README.md, "Throughput"), so on a
2-core machine 500 contacts take 30 min or more: the default, 30 (each message of the bundled
contacts twice in a row, so the two workers race on the same subject), fits the suite's time.
`ONETOUCH_BURST_CONTACTS=500` runs the same test on the full burst.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from onetouch.stack import Layout, down, up
from onetouch.stack_burst import (
    UNFINISHED,
    OutcomeWatcher,
    burst_contacts,
    count_runs,
    paid_twice,
    post_signed,
    read_runs,
    runs_by_contact,
    summary,
)
from onetouch.stack_workers import POLLING
from tests.deploy.conftest import SANDBOX_KEY, free_ports, postgres_databases, wait_for

COUNT = int(os.environ.get("ONETOUCH_BURST_CONTACTS", "30"))
WORKERS, WORKER_LIMIT = 2, 3
SECRET = "burst-test-secret"
DATABASES = ("onetouch_burst_prefect", "onetouch_burst_cases")
SECONDS_PER_CONTACT = 12  # 2-3 times the slowest seen on a busy 2-core machine
pytestmark = [pytest.mark.stack, pytest.mark.heavy,
              pytest.mark.timeout(600 + COUNT * SECONDS_PER_CONTACT)]


@dataclass
class BurstStack:
    urls: dict[str, str]
    workers: list[str]
    case_store_url: str
    logs: Path


@pytest.fixture(scope="module")
def burst_stack(tmp_path_factory) -> Iterator[BurstStack]:
    """`up` with two workers, the Prefect server and the case store on PostgreSQL."""
    tmp = tmp_path_factory.mktemp("burst")
    with postgres_databases(*DATABASES) as db, pytest.MonkeyPatch.context() as env:
        prefect_db, cases_db = (db[name] for name in DATABASES)
        env.setenv("PREFECT_SERVER_DATABASE_CONNECTION_URL", f"postgresql+asyncpg://{prefect_db}")
        env.delenv("PREFECT_API_DATABASE_CONNECTION_URL", raising=False)
        env.setenv("ONETOUCH_INTAKE_SECRET", SECRET)
        case_store_url = f"postgresql+psycopg://{cases_db}"
        layout = Layout(state_dir=tmp / "stack", ports=free_ports(), prefect_home=tmp / "prefect",
                        case_store_url=case_store_url, tuning=POLLING, workers=WORKERS,
                        worker_limit=WORKER_LIMIT)
        status = up(layout, echo=lambda _: None, sandbox_key=SANDBOX_KEY)
        env.undo()
        try:
            yield BurstStack(status.urls, status.workers, case_store_url,
                             layout.state_dir / "logs")
        finally:
            down(layout.state_dir, echo=lambda _: None)
        print(f"\nstack timings: {status.timings}")


def _sandbox_state(stack: BurstStack) -> dict:
    return httpx.get(f"{stack.urls['sandbox']}/admin/state", timeout=30,
                     headers={"Authorization": f"Bearer {SANDBOX_KEY}"}).json()


def _tail(stack: BurstStack) -> str:
    return "\n".join(f"--- {name} ---\n" + "\n".join(
        (stack.logs / f"{name}.log").read_text(errors="replace").splitlines()[-15:])
        for name in ("worker-1", "worker-2"))


def _runs_finished(api: str) -> bool:
    return count_runs(api, states=UNFINISHED) == 0


def test_a_burst_is_resolved_once_per_contact_by_both_workers_paying_nothing_twice(burst_stack):
    stack, contacts = burst_stack, burst_contacts(COUNT, repeat=2)
    ids = {c["id"] for c in contacts}
    watcher = OutcomeWatcher(stack.case_store_url)
    try:
        started = time.monotonic()
        sent = post_signed(stack.urls["intake"], SECRET, contacts, threads=4)
        posted_s = round(time.monotonic() - started, 1)
        done = watcher.wait(ids, timeout=120 + COUNT * SECONDS_PER_CONTACT)
        assert set(done) == ids, (f"{len(ids - set(done))} of {COUNT} contacts got no outcome, "
                                  f"e.g. {sorted(ids - set(done))[:5]}\n{_tail(stack)}")
        outcomes = watcher.outcomes()
    finally:
        watcher.close()
    wait_for(lambda: _runs_finished(stack.urls["api"]), 120,
             "every resolve-contact run to finish")

    assert Counter(contact for contact, _ in outcomes if contact in ids) == dict.fromkeys(ids, 1)
    assert {outcome for contact, outcome in outcomes if contact in ids} <= {
        "resolved", "escalated"}
    runs = runs_by_contact(read_runs(stack.urls["api"]))
    assert {contact: [r["state_type"] for r in runs.get(contact, [])] for contact in ids} == {
        contact: ["COMPLETED"] for contact in ids}, "one completed resolve-contact run each"
    assert set(runs) == ids, f"runs for contacts never sent: {sorted(set(runs) - ids)}"
    assert paid_twice(_sandbox_state(stack)) == []
    by_worker = Counter(r["labels"].get("prefect.worker.name") for c in ids for r in runs[c])
    assert set(by_worker) == set(stack.workers), by_worker

    figures = summary(sent, done)
    print(f"\nburst of {COUNT} on {WORKERS} workers (limit {WORKER_LIMIT} each): posted in "
          f"{posted_s} s, all outcomes in {figures['span_s']} s ({figures['per_s']}/s), "
          f"intake->outcome p50 {figures['p50_s']} s p95 {figures['p95_s']} s, "
          f"runs per worker {dict(by_worker)}, "
          f"outcomes {dict(Counter(o for c, o in outcomes if c in ids))}")
