"""Throughput of the deployed stack: contacts per second and intake-to-reply latency for 1 and 2
workers, beside a baseline of empty Prefect flows triggered the same way on the same stack.

Run: .venv/bin/python benchmarks/throughput.py [--contacts 500] [--workers 1 2]
         [--worker-limit 3] [--sequential 10] [--json]

For each worker count: `onetouch up` on PostgreSQL (fresh databases for the Prefect server
and the case store), then
- sequential: one contact at a time (the next once the last has its outcome), then as many
  baseline events one at a time: latency with nothing queued;
- burst: N signed contacts POSTed to the intake at once (4 client threads); contacts/s from
  the first POST to the last outcome, and each contact's latency from its 202 to its outcome
  appearing in the case store (recorded right after the reply is sent);
- baseline burst: N `onetouch.benchmark.contact` events, each starting a run of the
  `throughput-baseline` deployment (same pool, same kind of trigger) with as many empty tasks
  as a resolve-contact run had on average; latency from the emit to the run's end.
CPU seconds are those of the stack's processes (server, workers and their flow runs, intake,
sandbox) and PostgreSQL's over each burst.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, task
from prefect.cache_policies import NONE

BASELINE = "throughput-baseline"
BASELINE_EVENT = "onetouch.benchmark.contact"
ACTIVE = ["SCHEDULED", "PENDING", "RUNNING", "CANCELLING"]


@task(cache_policy=NONE)
def empty_step(index: int) -> int:
    """Nothing: a task run's own cost."""
    return index


@flow(name=BASELINE, persist_result=False)
def baseline(item: dict[str, Any]) -> int:
    """As many empty tasks as the event says: Prefect's own cost of one triggered flow run."""
    for index in range(int(item["tasks"])):
        empty_step(index)
    return int(item["tasks"])


if __name__ == "__main__":  # the driver's imports: a worker loading `baseline` needs none
    import argparse
    import json
    import os
    import sys
    import tempfile
    import time
    from collections import Counter
    from datetime import datetime
    from pathlib import Path

    ROOT = Path(__file__).resolve().parent.parent
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

    from onetouch.stack import Layout, Status, api_url, down, free_ports, up
    from onetouch.stack_burst import (
        OutcomeWatcher,
        burst_contacts,
        count_runs,
        count_task_runs,
        post_signed,
        read_runs,
        summary,
    )
    from onetouch.stack_procs import family_cpu, named_cpu
    from onetouch.stack_workers import POLLING, POOL

    POSTGRES = "postgres@127.0.0.1:5432"
    DATABASES = ("onetouch_bench_prefect", "onetouch_bench_cases")
    SECRET = "throughput-benchmark"
    Log = list[str]


def _databases(create: bool) -> None:
    import psycopg

    with psycopg.connect(f"postgresql://{POSTGRES}/postgres", autocommit=True) as conn:
        for name in DATABASES:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            if create:
                conn.execute(f"CREATE DATABASE {name}")


def _start(tmp: Path, workers: int, limit: int) -> tuple[Layout, Status]:
    _databases(create=True)
    os.environ["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = (
        f"postgresql+asyncpg://{POSTGRES}/{DATABASES[0]}")
    os.environ["ONETOUCH_INTAKE_SECRET"] = SECRET
    layout = Layout(state_dir=tmp / "stack", ports=free_ports(), prefect_home=tmp / "prefect",
                    case_store_url=f"postgresql+psycopg://{POSTGRES}/{DATABASES[1]}",
                    tuning=POLLING, workers=workers, worker_limit=limit)
    return layout, up(layout, echo=lambda line: print(f"  {line}", file=sys.stderr),
                      sandbox_key="throughput-key")


def _deploy_baseline() -> None:
    from contextlib import redirect_stdout

    from prefect.events.schemas.deployment_triggers import DeploymentEventTrigger

    source = baseline.from_source(source=str(ROOT), entrypoint="benchmarks/throughput.py:baseline")
    with redirect_stdout(sys.stderr):
        source.deploy(name=BASELINE, work_pool_name=POOL, print_next_steps=False, build=False,
                      push=False, ignore_warnings=True, triggers=[DeploymentEventTrigger(
                          expect={BASELINE_EVENT}, parameters={"item": "{{ event.payload }}"})])


def _cpu(state_dir: Path) -> dict[str, float]:
    """CPU seconds so far of each part of the stack, and of PostgreSQL."""
    state = json.loads((state_dir / "stack.json").read_text())
    parts: dict[str, float] = Counter()
    for name, record in state["processes"].items():
        parts["workers" if name.startswith("worker") else name] += family_cpu(record["pid"])
    return dict(parts) | {"postgres": named_cpu("postgres")}


def _spent(before: dict[str, float], after: dict[str, float], count: int) -> dict[str, float]:
    spent = {k: after[k] - before[k] for k in after}
    return {"cpu_s_per_item": round(sum(spent.values()) / count, 2)} | {
        f"cpu_{k}": round(v / count, 2) for k, v in spent.items()}


def _idle(api: str, timeout: float = 600) -> None:
    """Until no contact, approval or baseline run waits or runs."""
    deadline = time.monotonic() + timeout
    flows = ["resolve-contact", "await-agent-decision", BASELINE]
    while count_runs(api, flows, ACTIVE) and time.monotonic() < deadline:
        time.sleep(1)


def _contacts_sequential(status: Status, watcher: OutcomeWatcher, count: int,
                         prefix: str = "seq") -> dict:
    sent, done = {}, {}
    for contact in burst_contacts(count, prefix):
        sent |= post_signed(status.urls["intake"], SECRET, [contact], threads=1)
        done |= watcher.wait([contact["id"]], timeout=120, every=0.05)
    return summary(sent, done)


def _contacts_burst(status: Status, layout: Layout, watcher: OutcomeWatcher, count: int,
                    log: Log) -> dict:
    contacts = burst_contacts(count)
    before = _cpu(layout.state_dir)
    sent = post_signed(status.urls["intake"], SECRET, contacts, threads=4)
    log.append(f"posted {count} contacts in {max(sent.values()) - min(sent.values()):.1f} s")
    done = watcher.wait([c["id"] for c in contacts], timeout=600 + 20 * count)
    _idle(status.urls["api"])
    figures = summary(sent, done) | _spent(before, _cpu(layout.state_dir), count)
    runs = count_runs(status.urls["api"])
    figures["tasks_per_run"] = round(count_task_runs(status.urls["api"]) / runs, 1)
    figures["approval_runs"] = count_runs(status.urls["api"], "await-agent-decision")
    figures["outcomes"] = dict(Counter(o for c, o in watcher.outcomes() if c.startswith("burst")))
    return figures


def _ended(api: str, sent: dict[str, float]) -> dict[str, float]:
    done = {}
    for run in read_runs(api, BASELINE):
        item = (run.get("parameters") or {}).get("item") or {}
        if run["state_type"] == "COMPLETED" and item.get("id") in sent and run["end_time"]:
            done[item["id"]] = datetime.fromisoformat(run["end_time"]).timestamp()
    return done


def _emit(ids: list[str], tasks: int) -> dict[str, float]:
    from prefect.events import emit_event

    sent = {}
    for ident in ids:
        emit_event(event=BASELINE_EVENT, resource={"prefect.resource.id": f"bench.{ident}"},
                   payload={"id": ident, "tasks": tasks})
        sent[ident] = time.time()
    return sent


def _wait_baseline(api: str, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while count_runs(api, BASELINE, ["COMPLETED"]) < count and time.monotonic() < deadline:
        time.sleep(0.05 if count == 1 else 1)


def _baseline_sequential(status: Status, count: int, tasks: int, prefix: str = "seq") -> dict:
    api, sent = status.urls["api"], {}
    done_before = count_runs(api, BASELINE, ["COMPLETED"])
    with api_url(api):
        for i in range(count):
            sent |= _emit([f"{prefix}-{i}"], tasks)
            _wait_baseline(api, done_before + i + 1, 120)
    return summary(sent, _ended(api, sent))


def _baseline_burst(status: Status, layout: Layout, count: int, tasks: int) -> dict:
    api = status.urls["api"]
    before, done_before = _cpu(layout.state_dir), count_runs(api, BASELINE, ["COMPLETED"])
    with api_url(api):
        sent = _emit([f"burst-{i}" for i in range(count)], tasks)
    _wait_baseline(api, done_before + count, 600 + 10 * count)
    _idle(api)
    return summary(sent, _ended(api, sent)) | _spent(before, _cpu(layout.state_dir), count)


def _one_stack(workers: int, args: argparse.Namespace, tasks: int | None, log: Log) -> dict:
    """Every phase on a fresh stack with the given number of workers."""
    with tempfile.TemporaryDirectory(prefix="onetouch-throughput-") as tmp:
        layout, status = _start(Path(tmp), workers, args.worker_limit)
        watcher = OutcomeWatcher(layout.store_url())
        try:
            with api_url(status.urls["api"]):
                _deploy_baseline()
            result: dict[str, Any] = {"workers": workers, "worker_limit": args.worker_limit}
            _contacts_sequential(status, watcher, 1, "warm")  # first imports, limits
            result["project_sequential"] = _contacts_sequential(status, watcher,
                                                                args.sequential)
            log.append(f"{workers} worker(s): sequential {result['project_sequential']}")
            result["project_burst"] = _contacts_burst(status, layout, watcher, args.contacts,
                                                      log)
            log.append(f"{workers} worker(s): burst {result['project_burst']}")
            tasks = tasks or round(result["project_burst"]["tasks_per_run"])
            result["baseline_tasks"] = tasks
            _baseline_sequential(status, 1, tasks, "warm")
            result["baseline_sequential"] = _baseline_sequential(status, args.sequential, tasks)
            result["baseline_burst"] = _baseline_burst(status, layout, args.contacts, tasks)
            log.append(f"{workers} worker(s): baseline {result['baseline_burst']}")
            return result
        finally:
            watcher.close()
            down(layout.state_dir, echo=lambda _: None)
            _databases(create=False)


def _ratios(results: list[dict]) -> dict[str, float]:
    ratios = {}
    for r in results:
        p, b = r["project_burst"], r["baseline_burst"]
        ratios[f"cost_vs_baseline_{r['workers']}w"] = round(b["per_s"] / p["per_s"], 2)
        ratios[f"cpu_vs_baseline_{r['workers']}w"] = round(
            p["cpu_s_per_item"] / b["cpu_s_per_item"], 2)
    by = {r["workers"]: r for r in results}
    if 1 in by and 2 in by:
        for what in ("project", "baseline"):
            ratios[f"{what}_2w_vs_1w"] = round(by[2][f"{what}_burst"]["per_s"]
                                               / by[1][f"{what}_burst"]["per_s"], 2)
    return ratios


def _print(results: list[dict], ratios: dict[str, float], load: tuple[float, ...]) -> None:
    print(f"{'workers':>7} {'what':<9} {'n':>5} {'items/s':>8} {'p50 s':>7} {'p95 s':>7} "
          f"{'seq p50':>8} {'seq p95':>8} {'CPU s/item':>10}")
    for r in results:
        for what in ("project", "baseline"):
            b, s = r[f"{what}_burst"], r[f"{what}_sequential"]
            print(f"{r['workers']:>7} {what:<9} {b['count']:>5} {b['per_s']:>8.3f} "
                  f"{b['p50_s']:>7.1f} {b['p95_s']:>7.1f} {s['p50_s']:>8.2f} {s['p95_s']:>8.2f} "
                  f"{b['cpu_s_per_item']:>10.2f}")
    print(f"baseline: {results[0]['baseline_tasks']} empty tasks per run; worker limit "
          f"{results[0]['worker_limit']} runs each; load average at the end {load}")
    for name, value in ratios.items():
        print(f"{name:<24} {value:.2f}")
    print("targets: cost_vs_baseline <= 1.5; sequential p95 < 6 s; project_2w_vs_1w >= 1.7")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=500, help="contacts (and baseline "
                        "runs) per burst")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--worker-limit", type=int, default=3,
                        help="flow runs each worker runs at once")
    parser.add_argument("--sequential", type=int, default=10,
                        help="contacts sent one at a time for the latency with nothing queued")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    log: Log = []
    results, tasks = [], None
    for workers in args.workers:
        results.append(_one_stack(workers, args, tasks, log))
        tasks = results[-1]["baseline_tasks"]
        print(log[-1], file=sys.stderr)
    ratios, load = _ratios(results), os.getloadavg()
    if args.json:
        print(json.dumps({"results": results, "ratios": ratios, "loadavg": load}, indent=2))
    else:
        _print(results, ratios, tuple(round(x, 1) for x in load))


if __name__ == "__main__":
    main()
