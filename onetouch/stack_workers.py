"""The stack's process workers: N of them on the pool, each its own process and name; polling."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from onetouch.prefect_auth import api_headers
from onetouch.stack_procs import alive, log_tail

POOL = "onetouch"
WORKER = "onetouch-local"
DEFAULT_WORKER_LIMIT = 4
# Prefect polls every 10 s by default. What decides intake-to-reply latency on this stack:
# - the worker's poll for scheduled runs (PREFECT_WORKER_QUERY_SECONDS): the only loop
#   between an event-created run and its process; 1 s;
# - prefetch (PREFECT_WORKER_PREFETCH_SECONDS) only matters for runs scheduled ahead (the
#   5-minute schedules): kept at Prefect's 10 s;
# - `serve()` runners poll every PREFECT_RUNNER_POLL_FREQUENCY (not used by a process worker,
#   set for any runner started on this stack); 1 s.
# The server's reactive triggers (`within: 0`) act on each event as it arrives: no loop there.
POLLING = {"PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_WORKER_PREFETCH_SECONDS": "10",
           "PREFECT_RUNNER_POLL_FREQUENCY": "1"}
# The server records each task run's states from events, by default one event per database
# transaction: under a burst of contacts (each a task run with its steps) that was most of the
# server's CPU and, on SQLite, its lock errors. Batched, a transaction holds up to 200 events,
# written at least every half second.
RECORDING = {"PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "200",
             "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "0.5",
             "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_BATCH_SIZE": "200",
             "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_FLUSH_INTERVAL": "0.5"}
HEARTBEAT_SETTING = "PREFECT_FLOWS_HEARTBEAT_FREQUENCY"
LIVENESS = {HEARTBEAT_SETTING: "30"}  # Prefect's shortest: a dead run is seen in 90 s
Spawn = Callable[[str, list[str]], dict[str, Any]]


class WorkerError(RuntimeError):
    """A worker exited or never came online; the message shows its log."""


def ensure_pool(limit: int | None) -> None:
    """The stack's process work pool, running at most `limit` flow runs at once (None: no
    limit); its job variables (the command, the environment) are prefect.yaml's.

    With a limit, a worker's poll returns only as many scheduled runs as there are free slots:
    without one, each poll during a burst returns up to 200 runs (~330 kB, 0.3-1 s of the
    server's CPU), every second, from every worker.
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate, WorkPoolUpdate
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    template = ProcessWorker.get_default_base_job_template()
    with get_client(sync_client=True) as client:
        try:
            pool = client.read_work_pool(POOL)
        except ObjectNotFound:
            client.create_work_pool(WorkPoolCreate(name=POOL, type="process",
                                                   base_job_template=template,
                                                   concurrency_limit=limit))
            return
        if pool.concurrency_limit != limit or pool.base_job_template != template:
            client.update_work_pool(POOL, WorkPoolUpdate(concurrency_limit=limit,
                                                         base_job_template=template))


def worker_names(count: int) -> list[tuple[str, str]]:
    """(process name in the stack's record, worker name on the server) for each worker."""
    if count < 1:
        raise ValueError(f"a stack needs at least one worker, not {count}")
    if count == 1:
        return [("worker", WORKER)]
    return [(f"worker-{i}", f"{WORKER}-{i}") for i in range(1, count + 1)]


def worker_command(name: str, limit: int | None) -> list[str]:
    """`prefect worker start` on the pool under a name, running at most `limit` flow runs."""
    return [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL, "--name", name,
            *(["--limit", str(limit)] if limit else [])]


def online_workers(api: str, since: float) -> set[str]:
    """Names of the pool's workers with a heartbeat since the given Unix time."""
    response = httpx.post(f"{api}/work_pools/{POOL}/workers/filter", json={}, timeout=5,
                          headers=api_headers(os.environ))
    response.raise_for_status()
    return {w["name"] for w in response.json() if w.get("status") == "ONLINE"
            and (beat := w.get("last_heartbeat_time"))
            and datetime.fromisoformat(beat).timestamp() >= since - 1}


def start_workers(api: str, count: int, limit: int | None, spawn: Spawn,
                  timeout: float = 60) -> list[str]:
    """Start each worker as its own process, then wait until every one polls the pool."""
    since = time.time()
    records = {name: spawn(process, worker_command(name, limit))
               for process, name in worker_names(count)}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, record in records.items():
            if not alive(record["pid"], record["started"]):
                raise WorkerError(f"worker {name} exited while starting:\n{log_tail(record)}")
        if set(records) <= online_workers(api, since):
            return list(records)
        time.sleep(0.3)
    missing = sorted(set(records) - online_workers(api, since))
    raise WorkerError(f"worker {', '.join(missing)} did not come online within "
                      f"{timeout:.0f} s:\n{log_tail(records[missing[0]])}")
