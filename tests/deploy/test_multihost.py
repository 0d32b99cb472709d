"""Multi-host: resolvers on three hosts against one Prefect server and one PostgreSQL split a
burst of signed contacts, each resolved once.

Hosts 2 and 3 are network namespaces (tests/netns.py); they reach the root namespace only at
the hub address: the Prefect server, sandbox and intake bind there, PostgreSQL and Redis are
forwarded there. Every process uses the same PREFECT_API_URL and the same task-scheduling and
result storage, a Redis block, while each host keeps its own PREFECT_HOME: the test checks each
contact's parameters are in Redis and nothing is under any host's local storage.
`ONETOUCH_MULTIHOST_CONTACTS` sets the burst's size.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from onetouch.stack import Layout, Status, down, free_ports, up
from onetouch.stack_burst import OutcomeWatcher, burst_contacts, paid_twice, post_signed, summary
from onetouch.stack_resolvers import serving_child, subscribed
from onetouch.stack_workers import LIVENESS, POLLING, RECORDING
from tests import netns
from tests.deploy.conftest import (
    ROOT,
    SANDBOX_KEY,
    postgres_databases,
    received_runs,
    sandbox_state,
    wait_for,
)

COUNT = int(os.environ.get("ONETOUCH_MULTIHOST_CONTACTS", "60"))
HOSTS, LIMIT = (2, 3), 4
SECRET = "multihost-test-secret"
DATABASES = ("onetouch_multihost_prefect", "onetouch_multihost_cases")
REDIS_DB = 11
BLOCK = "onetouch-task-storage"
STORAGE = f"redisstoragecontainer/{BLOCK}"
TUNING = POLLING | LIVENESS | RECORDING | {
    "PREFECT_TASKS_SCHEDULING_DEFAULT_STORAGE_BLOCK": STORAGE,
    "PREFECT_RESULTS_DEFAULT_STORAGE_BLOCK": STORAGE, "PREFECT_LOGGING_LEVEL": "INFO"}
HANDOFF_FAILED = re.compile(r"contact (\S+) stored, hand-off failed")
pytestmark = [pytest.mark.stack, pytest.mark.timeout(420 + COUNT)]


@dataclass
class MultiHost:
    """The stack's addresses, the case store, and per host: resolver, log and Prefect home."""

    urls: dict[str, str]
    case_store_url: str
    tuning: dict[str, str]
    supervisors: dict[str, int]
    logs: dict[str, Path]
    homes: dict[str, Path]


@pytest.fixture(scope="module")
def hosts() -> Iterator[list[netns.Host]]:
    """Hosts 2 and 3 as network namespaces, deleted afterwards."""
    try:
        made = netns.make_hosts(HOSTS)
    except netns.NetnsUnavailable as exc:
        pytest.skip(f"no network namespaces: {exc}")
    try:
        yield made
    finally:
        netns.remove(os.getpid())


@pytest.fixture(scope="module")
def hub(hosts) -> Iterator[dict[str, int]]:
    """Forwarders from the hub to PostgreSQL and Redis on 127.0.0.1: their ports."""
    forwarder = netns.Forwarder(netns.HUB)
    try:
        yield {"postgres": forwarder.forward("127.0.0.1", 5432),
               "redis": forwarder.forward("127.0.0.1", 6379)}
    finally:
        forwarder.close()


@pytest.fixture(scope="module")
def redis_db() -> Iterator[Any]:
    """This test's Redis database, empty before and after."""
    redis = pytest.importorskip("redis")
    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB, socket_timeout=5)
    try:
        client.flushdb()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis at 127.0.0.1:6379: {exc}")
    try:
        yield client
    finally:
        client.flushdb()
        client.close()


def _layout(tmp: Path, db: dict[str, str], tuning: dict[str, str]) -> Layout:
    """Host 1: the stack on the hub with one resolver, the case store on PostgreSQL."""
    return Layout(state_dir=tmp / "stack", ports=free_ports(netns.HUB), host=netns.HUB,
                  prefect_home=tmp / "h1" / "prefect",
                  case_store_url=f"postgresql+psycopg://{db[DATABASES[1]]}", tuning=tuning,
                  resolvers=1, resolver_limit=LIMIT)


def _up(layout: Layout, db: dict[str, str]) -> Status:
    """`up` with the Prefect server on PostgreSQL."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PREFECT_SERVER_DATABASE_CONNECTION_URL",
                   f"postgresql+asyncpg://{db[DATABASES[0]]}")
        env.delenv("PREFECT_API_DATABASE_CONNECTION_URL", raising=False)
        env.setenv("ONETOUCH_INTAKE_SECRET", SECRET)
        return up(layout, echo=lambda _: None, sandbox_key=SANDBOX_KEY)


def _tuning(tmp: Path) -> dict[str, str]:
    """The stack's settings, and a `sitecustomize` that registers Prefect's Redis block class
    in every process (Prefect 3.8.8 only knows the block classes it has imported)."""
    site = tmp / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text("import prefect.blocks.redis  # noqa: F401\n")
    paths = [str(site), *filter(None, [os.environ.get("PYTHONPATH")])]
    return TUNING | {"PYTHONPATH": os.pathsep.join(paths)}


def _save_storage(api: str, redis_port: int) -> None:
    """The Redis block every process stores task parameters and results in, at the hub."""
    from prefect.blocks.redis import RedisStorageContainer
    from prefect.settings import PREFECT_API_URL, temporary_settings

    assert STORAGE.startswith(RedisStorageContainer.get_block_type_slug() + "/")
    with temporary_settings({PREFECT_API_URL: api}):
        RedisStorageContainer.from_host(host=netns.HUB, port=redis_port, db=REDIS_DB).save(
            BLOCK, overwrite=True)


def _resolver_env(urls: dict[str, str], home: Path, tuning: dict[str, str],
                  case_store_url: str) -> dict[str, str]:
    """What a resolver on another host is given: the API, its own home, the stack's tuning and
    the platform and case store at addresses it reaches."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "ONETOUCH_"))}
    return keep | tuning | {
        "PREFECT_API_URL": urls["api"], "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PYTHONUNBUFFERED": "1",
        "ONETOUCH_PLATFORM_URL": urls["sandbox"], "ONETOUCH_PLATFORM_API_KEY": SANDBOX_KEY,
        "ONETOUCH_CASE_STORE_URL": case_store_url}


def _start_resolver(host: netns.Host, folder: Path, env: dict[str, str]
                    ) -> subprocess.Popen[bytes]:
    """`onetouch resolver` (supervised) inside the host, logging to the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "resolver.log").open("w") as out:
        return subprocess.Popen(
            host.command([sys.executable, "-m", "onetouch.cli", "resolver", "--limit",
                          str(LIMIT)]),
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)


def _serving(supervisors: dict[str, int]) -> dict[str, int]:
    """Each host's serving process: the child its supervising resolver runs."""
    children = {name: serving_child(pid) for name, pid in supervisors.items()}
    return {name: child for name, child in children.items() if child is not None}


def _all_subscribed(stack: MultiHost, started: list[subprocess.Popen[bytes]]) -> bool:
    """Every host's resolver is subscribed (told apart by pid: the hosts share a hostname)."""
    for process in started:
        if process.poll() is not None:
            raise AssertionError(f"a resolver exited with {process.returncode}:\n{_tails(stack)}")
    serving = _serving(stack.supervisors)
    wanted = {f"{socket.gethostname()}-{pid}" for pid in serving.values()}
    return len(serving) == len(stack.supervisors) and wanted <= subscribed(stack.urls["api"])


def _start_hosts(stack: MultiHost, hosts: list[netns.Host], tmp: Path, tuning: dict[str, str],
                 case_store_url: str) -> list[subprocess.Popen[bytes]]:
    """A resolver on each host, noted in the stack; the processes started."""
    started = []
    for host in hosts:
        name, home = f"h{host.number}", tmp / f"h{host.number}" / "prefect"
        env = _resolver_env(stack.urls, home, tuning, case_store_url)
        started.append(_start_resolver(host, home.parent, env))
        stack.supervisors[name], stack.logs[name] = started[-1].pid, home.parent / "resolver.log"
        stack.homes[name] = home
    return started


def _answering(api: str) -> bool:
    try:
        return httpx.get(f"{api}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _when_server_answers(stack: MultiHost, starting: Future[Status], hosts: list[netns.Host],
                         tmp: Path, hub: dict[str, int]) -> list[subprocess.Popen[bytes]]:
    """Once the Prefect server answers (the rest of `up` still going): the Redis block, and a
    resolver on each other host; the processes started."""
    wait_for(lambda: starting.done() or _answering(stack.urls["api"]), 180,
             "the Prefect server to answer")
    if starting.done():
        starting.result()
    _save_storage(stack.urls["api"], hub["redis"])
    cases = f"postgresql+psycopg://postgres@{netns.HUB}:{hub['postgres']}/{DATABASES[1]}"
    return _start_hosts(stack, hosts, tmp, stack.tuning, cases)


@pytest.fixture(scope="module")
def multihost(tmp_path_factory, hosts, hub, redis_db) -> Iterator[MultiHost]:
    """The stack in the root namespace (host 1) and a resolver on each of the other hosts."""
    tmp = tmp_path_factory.mktemp("multihost")
    tuning = _tuning(tmp)
    with postgres_databases(*DATABASES) as db, ThreadPoolExecutor(1) as pool:
        layout = _layout(tmp, db, tuning)
        stack = MultiHost(layout.urls(), layout.store_url(), tuning, {},
                          {"h1": layout.state_dir / "logs" / "resolver-1.log"},
                          {"h1": layout.home()})
        starting, started = pool.submit(_up, layout, db), []
        try:
            started = _when_server_answers(stack, starting, hosts, tmp, hub)
            status = starting.result()
            stack.supervisors = {"h1": status.pids["resolver-1"], **stack.supervisors}
            wait_for(lambda: _all_subscribed(stack, started), 90,
                     "a resolver on every host to subscribe")
            yield stack
        finally:
            netns.stop(started)
            wait([starting])
            down(layout.state_dir, echo=lambda _: None)
    print(f"\nstack timings: {starting.result().timings}")


def _tails(stack: MultiHost, lines: int = 15) -> str:
    return "\n".join(f"--- {name} ---\n" + "\n".join(
        log.read_text(errors="replace").splitlines()[-lines:]) for name, log in stack.logs.items())


def _contact_runs(api: str, prefix: str, page: int = 200) -> list[dict[str, Any]]:
    """Every task run named `contact-<prefix>-…`."""
    runs: list[dict[str, Any]] = []
    with httpx.Client(base_url=api, timeout=30) as client:
        while True:
            batch = client.post("/task_runs/filter", json={
                "task_runs": {"name": {"like_": f"contact-{prefix}-%"}},
                "limit": page, "offset": len(runs)}).json()
            runs.extend(batch)
            if len(batch) < page:
                return runs


def _finished(api: str, count: int) -> list[dict[str, Any]] | None:
    """The contact runs once there are `count` or more, every one of them ended."""
    runs = _contact_runs(api, "mh")
    final = [r for r in runs if r["state_type"] in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}]
    return runs if len(runs) >= count and len(final) == len(runs) else None


def _received(stack: MultiHost) -> dict[str, list[str]]:
    """The task runs each host's resolver received, from its log."""
    return {name: received_runs(log, "resolve-contact") for name, log in stack.logs.items()}


def _local_files(homes: dict[str, Path]) -> list[Path]:
    """Files under each host's local result storage (PREFECT_HOME/storage)."""
    return [path for home in homes.values() for path in (home / "storage").rglob("*")
            if path.is_file()]


def _stored_parameters(client: Any) -> list[str]:
    """The contact ids of the task parameters stored in a Redis database."""
    from prefect._internal.result_records import ResultRecord

    return [ResultRecord.deserialize(client.get(key)).result["parameters"]["contact_id"]
            for key in client.scan_iter("parameters/*")]


def _burst(stack: MultiHost, contacts: list[dict[str, Any]]
           ) -> tuple[dict[str, float], dict[str, float], list[tuple[str, str]]]:
    """Post the contacts signed to the intake, wait for each outcome; sent, done, outcomes."""
    ids = {c["id"] for c in contacts}
    watcher = OutcomeWatcher(stack.case_store_url)
    try:
        sent = post_signed(stack.urls["intake"], SECRET, contacts, threads=4)
        done = watcher.wait(ids, timeout=60 + COUNT * 2)
        assert set(done) == ids, (f"{len(ids - set(done))} of {len(ids)} contacts got no "
                                  f"outcome, e.g. {sorted(ids - set(done))[:5]}\n{_tails(stack)}")
        return sent, done, watcher.outcomes()
    finally:
        watcher.close()


def test_hosts_reach_the_root_namespace_only_through_the_hub(hosts, hub):
    for host in hosts:
        assert netns.reaches(host, netns.HUB, hub["postgres"])
        assert not netns.reaches(host, "127.0.0.1", 5432, timeout=1)


def _handoffs_failed(stack: MultiHost) -> set[str]:
    """Contacts the intake stored but failed to hand on (the sweep hands them on again)."""
    log = stack.logs["h1"].parent / "intake.log"
    return set(HANDOFF_FAILED.findall(log.read_text(errors="replace")))


def _check_runs(stack: MultiHost, ids: set[str], runs: list[dict[str, Any]]) -> Counter[str]:
    """Every run completed, a second one only where the intake's hand-off failed, each
    received by one host once and by no other; the runs per contact."""
    per_contact = Counter(r["name"].removeprefix("contact-") for r in runs)
    assert set(per_contact) == ids, f"runs of contacts never sent: {set(per_contact) - ids}"
    assert {r["state_type"] for r in runs} == {"COMPLETED"}, Counter(r["state_type"] for r in runs)
    again = {c for c, n in per_contact.items() if n > 1}
    assert again <= _handoffs_failed(stack), f"handed on twice with no failed hand-off: {again}"
    received = [run for got in _received(stack).values() for run in got]
    assert sorted(received) == sorted(r["id"] for r in runs), "each run received by one host"
    return per_contact


def test_three_hosts_split_a_burst_resolving_each_contact_once(multihost, redis_db):
    stack, contacts = multihost, burst_contacts(COUNT, "mh", repeat=2)
    ids = {c["id"] for c in contacts}
    sent, done, outcomes = _burst(stack, contacts)
    runs = wait_for(lambda: _finished(stack.urls["api"], COUNT), 60,
                    "every contact's task run to finish")

    assert Counter(c for c, _ in outcomes if c in ids) == dict.fromkeys(ids, 1)
    assert paid_twice(sandbox_state(stack.urls["sandbox"])) == []
    per_contact = _check_runs(stack, ids, runs)
    per_host = {name: len(got) for name, got in _received(stack).items()}
    assert all(per_host.values()), f"a host resolved nothing: {per_host}"
    nets = {netns.network_namespace(pid) for pid in _serving(stack.supervisors).values()}
    assert len(nets) == len(stack.supervisors), "one network namespace per host"
    assert Counter(_stored_parameters(redis_db)) >= per_contact, "parameters not in Redis"
    assert _local_files(stack.homes) == [], "task data in a host's local storage"

    figures = summary(sent, done)
    print(f"\nmultihost: {COUNT} contacts on {len(per_host)} hosts (limit {LIMIT} each), "
          f"runs per host {per_host} ({len(runs) - COUNT} handed on again by the sweep), "
          f"last outcome {figures['span_s']} s after the first post ({figures['per_s']}/s), "
          f"p50 {figures['p50_s']} s p95 {figures['p95_s']} s, {redis_db.dbsize()} Redis keys")
