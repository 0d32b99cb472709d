"""A real stack for the deployment tests: Prefect server, sandbox, deployments and a worker."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from prefect.blocks.system import Secret
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.events.worker import EventsWorker
from prefect.logging.handlers import APILogWorker
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.variables import Variable
from prefect.workers.process import ProcessWorker

from integrations import Platform
from onetouch.inputs import load_world
from onetouch.settings import Settings
from sandbox.server import SandboxServer

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
POOL = "onetouch"
SANDBOX_KEY = "stack-test-key"
CONTACTS = {json.loads(line)["id"]: json.loads(line)
            for line in (DATA / "contacts.jsonl").read_text().splitlines()}
T = TypeVar("T")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "stack: runs a Prefect server, a worker and the sandbox (about a minute)")


@dataclass
class Stack:
    """What the tests reach: the API, the sandbox, the case store and the worker's log."""

    api: str
    sandbox_url: str
    platform: Platform
    case_store_url: str
    worker_log: Path
    timings: dict[str, float] = field(default_factory=dict)

    def worker_tail(self, lines: int = 25) -> str:
        """The end of the worker's output, for failure messages."""
        return "\n".join(self.worker_log.read_text(errors="replace").splitlines()[-lines:])


def wait_for(probe: Callable[[], T | None], timeout: float, what: str,
             stack: Stack | None = None, every: float = 0.3) -> T:
    """Poll until probe returns something truthy; fail naming what never happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(every)
    tail = f"\n--- worker output ---\n{stack.worker_tail()}" if stack else ""
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{tail}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _prefect_env(home: Path, api: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("ONETOUCH_") and k != "PREFECT_API_URL"}
    return env | {
        "PREFECT_HOME": str(home), "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "INFO",
        "PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_LOOP_SECONDS": "1",
        "PREFECT_SERVER_SERVICES_SCHEDULER_RECENT_DEPLOYMENTS_LOOP_SECONDS": "1",
        "PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_WORKER_PREFETCH_SECONDS": "2",
    }


def _stop(process: subprocess.Popen, timeout: float = 20) -> None:
    """End a process we started, in its own group, and reap it."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@contextmanager
def _process(args: list[str], env: dict[str, str], log: Path, cwd: Path) -> Iterator:
    with log.open("w") as out:
        process = subprocess.Popen(args, env=env, cwd=cwd, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield process
        finally:
            _stop(process)


def _wait_healthy(api: str, server: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the Prefect server did not start:\n{log.read_text()[-3000:]}")


def _drain() -> None:
    EventsWorker.drain_all(timeout=10)
    APILogWorker.drain_all(timeout=10)


@contextmanager
def _api_url(api: str) -> Iterator[None]:
    """This process's client, events and logs go to the stack's server while in use."""
    _drain()
    saved = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = api
    try:
        with temporary_settings({PREFECT_API_URL: api}):
            yield
            _drain()
    finally:
        if saved is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = saved


def _configure(sandbox_url: str, case_store_url: str) -> None:
    """The work pool (as `prefect work-pool create --type process` does), Variables, Secrets."""
    base_job_template = ProcessWorker.get_default_base_job_template()
    with get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name=POOL, type="process",
                                               base_job_template=base_job_template))
    Variable.set("onetouch_platform_url", sandbox_url, overwrite=True)
    Variable.set("onetouch_case_store_url", case_store_url, overwrite=True)
    Variable.set("onetouch_repo_dir", str(ROOT), overwrite=True)
    Secret(value=SANDBOX_KEY).save("onetouch-platform-api-key", overwrite=True)
    Secret(value="{}").save("onetouch-queue-notify-urls", overwrite=True)


def _deploy(env: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-m", "prefect", "deploy", "--all",
                           "--no-prompt"], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, f"prefect deploy failed:\n{done.stdout[-4000:]}{done.stderr}"


def _timed(timings: dict[str, float], name: str, step: Callable[[], Any]) -> Any:
    started = time.monotonic()
    result = step()
    timings[name] = round(time.monotonic() - started, 1)
    return result


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    """Server, sandbox with the example world, configuration, deployments, one worker."""
    tmp = tmp_path_factory.mktemp("stack")
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = _prefect_env(tmp / "prefect-home", api)
    timings: dict[str, float] = {}
    server_cmd = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                  "--port", str(port)]
    with _process(server_cmd, env, tmp / "server.log", tmp) as server, \
            SandboxServer(db_path=tmp / "sandbox.db", api_key=SANDBOX_KEY,
                          world=load_world(DATA / "world.json")) as sandbox, \
            Platform.from_settings(Settings(platform_url=sandbox.url,
                                            platform_api_key=SANDBOX_KEY)) as platform:
        _timed(timings, "server_start_s",
               lambda: _wait_healthy(api, server, tmp / "server.log"))
        with _api_url(api):
            case_store_url = f"sqlite:///{tmp / 'cases.db'}"
            _timed(timings, "configure_s", lambda: _configure(sandbox.url, case_store_url))
            _timed(timings, "deploy_s", lambda: _deploy(env))
            worker_cmd = [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL,
                          "--name", "stack-worker"]
            with _process(worker_cmd, env, tmp / "worker.log", tmp):
                yield Stack(api, sandbox.url, platform, case_store_url, tmp / "worker.log", timings)
    print(f"\nstack timings: {timings}")
