"""One measured stack for benchmarks/throughput.py: a path's contacts, latencies and CPU."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from onetouch.stack import Layout, Status, down, free_ports, up
from onetouch.stack_burst import (
    UNFINISHED,
    OutcomeWatcher,
    burst_contacts,
    count_contact_runs,
    count_runs,
    post_signed,
    read_runs,
    runs_by_contact,
    summary,
)
from onetouch.stack_procs import family_cpu, named_cpu
from onetouch.stack_workers import LIVENESS, POLLING, RECORDING

POSTGRES = "postgres@127.0.0.1:5432"
DATABASES = ("onetouch_bench_prefect", "onetouch_bench_cases")
SECRET = "throughput-benchmark"
FAILURES = Path("/tmp/bench-failure")
CONTACT_FLOWS = ["resolve-contact", "await-agent-decision"]
PARTS = ("server", "resolvers", "worker", "intake", "sandbox", "postgres")
WORKER_LIMIT = 3
SEQ_EVERY, BURST_EVERY = 0.05, 0.1  # outcome polls (s), the same for both paths


@dataclass(frozen=True)
class Setup:
    """One stack to measure: the new path with N resolvers or the old one with N workers."""

    path: str
    count: int
    contacts: int

    def label(self) -> str:
        """Its column heading."""
        return f"{self.path} {'r' if self.path == 'new' else 'w'}={self.count}"

    def layout(self, tmp: Path) -> Layout:
        """The stack for it: 1 worker and N resolvers, or N workers and 1 idle resolver."""
        tuning = POLLING | LIVENESS | RECORDING
        if self.path == "old":
            tuning |= {"ONETOUCH_CONTACT_DISPATCH": "flow-runs"}
        new = self.path == "new"
        return Layout(state_dir=tmp / "stack", ports=free_ports(), prefect_home=tmp / "prefect",
                      case_store_url=f"postgresql+psycopg://{POSTGRES}/{DATABASES[1]}",
                      tuning=tuning, workers=1 if new else self.count,
                      worker_limit=WORKER_LIMIT, resolvers=self.count if new else 1)


def databases(create: bool) -> None:
    """Drop the benchmark's databases, and create them afresh if asked."""
    import psycopg

    with psycopg.connect(f"postgresql://{POSTGRES}/postgres", autocommit=True) as conn:
        for name in DATABASES:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            if create:
                conn.execute(f"CREATE DATABASE {name}")


def cpu_now(state_dir: Path) -> dict[str, float]:
    """CPU seconds so far of each part of the stack (with its children), and of PostgreSQL."""
    state = json.loads((state_dir / "stack.json").read_text())
    parts: Counter[str] = Counter({part: 0.0 for part in PARTS})
    for name, record in state["processes"].items():
        part = name.split("-")[0]
        parts["resolvers" if part == "resolver" else part] += family_cpu(record["pid"])
    parts["postgres"] = named_cpu("postgres")
    return dict(parts)


def per_contact(before: dict[str, float], after: dict[str, float], count: int
                ) -> dict[str, float]:
    """CPU seconds per contact: each part, the total and the onetouch side (all but sandbox)."""
    spent = {part: (after[part] - before[part]) / count for part in PARTS}
    total = sum(spent.values())
    return {"cpu_total": round(total, 3), "cpu_onetouch": round(total - spent["sandbox"], 3)
            } | {f"cpu_{part}": round(value, 3) for part, value in spent.items()}


def all_flow_runs(api: str) -> int:
    """Flow runs of every flow on the server."""
    return int(httpx.post(f"{api}/flow_runs/count", json={}, timeout=30).json())


def wait_idle(api: str, timeout: float = 300) -> None:
    """Until no contact task run or contact/approval flow run waits or runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (count_contact_runs(api, "", UNFINISHED)
                                           or count_runs(api, CONTACT_FLOWS, UNFINISHED)):
        time.sleep(0.5)


def wait_outcomes(watcher: OutcomeWatcher, ids: list[str], stall_s: float, every: float
                  ) -> dict[str, float]:
    """First-seen outcome times of the contacts; gives up after `stall_s` without progress."""
    wanted, got, moved = set(ids), 0, time.monotonic()
    while True:
        seen = watcher.poll()
        found = len(wanted & seen.keys())
        if found == len(wanted) or time.monotonic() - moved > stall_s:
            return {k: seen[k] for k in wanted if k in seen}
        if found > got:
            got, moved = found, time.monotonic()
        time.sleep(every)


def sequential(status: Status, watcher: OutcomeWatcher, count: int, stall_s: float,
               prefix: str = "seq") -> dict[str, Any]:
    """Contacts one at a time, each once the last has its outcome: p50/p95 intake→outcome."""
    sent, done = {}, {}
    for contact in burst_contacts(count, prefix):
        sent |= post_signed(status.urls["intake"], SECRET, [contact], threads=1)
        done |= wait_outcomes(watcher, [contact["id"]], stall_s, SEQ_EVERY)
        if contact["id"] not in done:
            break
    figures = summary(sent, done)
    return {"seq_count": figures["count"], "seq_p50_s": figures["p50_s"],
            "seq_p95_s": figures["p95_s"], "seq_missing": count - len(done)}


def runs_per_contact(setup: Setup, api: str) -> float:
    """Contact runs (flow runs on the old path, task runs on the new) per burst contact."""
    if setup.path == "new":
        runs = count_contact_runs(api, "burst")
    else:
        runs = sum(len(v) for k, v in runs_by_contact(read_runs(api)).items()
                   if k.startswith("burst"))
    return round(runs / setup.contacts, 2)


def burst(setup: Setup, status: Status, watcher: OutcomeWatcher, stall_s: float
          ) -> dict[str, Any]:
    """N contacts posted at once (4 threads): span, contacts/s, p50/p95, CPU per contact."""
    api, contacts = status.urls["api"], burst_contacts(setup.contacts)
    wait_idle(api)
    before, runs_before = cpu_now(status.state_dir), all_flow_runs(api)
    contact_runs_before = count_runs(api, CONTACT_FLOWS)
    started = time.time()
    sent = post_signed(status.urls["intake"], SECRET, contacts, threads=4)
    posted = time.time() - started
    done = wait_outcomes(watcher, [c["id"] for c in contacts], stall_s, BURST_EVERY)
    last = max(done.values(), default=float("nan"))
    wait_idle(api)
    cpu = per_contact(before, cpu_now(status.state_dir), len(contacts))
    figures = summary(sent, done)
    others = (all_flow_runs(api) - runs_before) - (count_runs(api, CONTACT_FLOWS)
                                                   - contact_runs_before)
    outcomes = Counter(o for c, o in watcher.outcomes() if c.startswith("burst"))
    return {"burst_count": len(contacts), "burst_posted_s": round(posted, 1),
            "burst_span_s": round(last - started, 1),
            "burst_per_s": round(len(done) / (last - started), 3) if done else float("nan"),
            "burst_p50_s": figures["p50_s"], "burst_p95_s": figures["p95_s"],
            "burst_missing": len(contacts) - len(done), "other_runs": others,
            "runs_per_contact": runs_per_contact(setup, api), "outcomes": dict(outcomes)} | cpu


def keep_logs(state_dir: Path, label: str) -> Path:
    """Copy a stack's logs to /tmp/bench-failure/<label>-<time>/; where."""
    where = FAILURES / f"{label.replace(' ', '-').replace('=', '')}-{time.strftime('%H%M%S')}"
    shutil.copytree(state_dir / "logs", where, dirs_exist_ok=True)
    return where


def _phases(setup: Setup, status: Status, watcher: OutcomeWatcher, sequential_n: int,
            stall_s: float) -> dict[str, Any]:
    """Warm-up, sequential, then burst, on a running stack."""
    result = sequential(status, watcher, 1, stall_s, "warm")
    if result["seq_missing"]:
        raise RuntimeError("the warm-up contact got no outcome")
    result = sequential(status, watcher, sequential_n, stall_s)
    result |= burst(setup, status, watcher, stall_s)
    return result | {"load_end": round(os.getloadavg()[0], 1)}


def measure(setup: Setup, sequential_n: int, stall_s: float) -> dict[str, Any]:
    """Every phase on a fresh stack (fresh databases); the logs kept if something failed."""
    echo = lambda line: print(f"  [{setup.label()}] {line}", file=sys.stderr)  # noqa: E731
    result: dict[str, Any] = {"label": setup.label(), "load_start": round(os.getloadavg()[0], 1)}
    with tempfile.TemporaryDirectory(prefix="onetouch-throughput-") as tmp:
        databases(create=True)
        os.environ["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = (
            f"postgresql+asyncpg://{POSTGRES}/{DATABASES[0]}")
        os.environ["ONETOUCH_INTAKE_SECRET"] = SECRET
        layout, watcher, status = setup.layout(Path(tmp)), None, None
        try:
            status = up(layout, echo=echo, sandbox_key="throughput-key")
            result["up_s"] = status.timings.get("total_s")
            watcher = OutcomeWatcher(layout.store_url())
            result |= _phases(setup, status, watcher, sequential_n, stall_s)
            if result["seq_missing"] or result["burst_missing"]:
                result["logs"] = str(keep_logs(layout.state_dir, setup.label()))
        except Exception as exc:  # reported; the other stacks still run
            result["error"] = f"{type(exc).__name__}: {exc}"
            result["logs"] = str(keep_logs(layout.state_dir, setup.label()))
        finally:
            if watcher is not None:
                watcher.close()
            down(layout.state_dir, echo=lambda _: None)
            databases(create=False)
    return result
