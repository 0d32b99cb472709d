"""A real stack for the deployment tests: `onetouch.stack.up` on free ports, `down` after."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from integrations import Platform
from onetouch.intake.signing import signed_headers
from onetouch.settings import Settings
from onetouch.stack import Layout, api_url, down, free_ports, up
from onetouch.stack_workers import POLLING, RECORDING

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
SANDBOX_KEY = "stack-test-key"
CONTACTS = {json.loads(line)["id"]: json.loads(line)
            for line in (DATA / "contacts.jsonl").read_text().splitlines()}
FAST = POLLING | RECORDING | {"PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_LOOP_SECONDS": "1",
                  "PREFECT_SERVER_SERVICES_SCHEDULER_RECENT_DEPLOYMENTS_LOOP_SECONDS": "1",
                  "PREFECT_WORKER_PREFETCH_SECONDS": "2",
                  "PREFECT_SERVER_SERVICES_REPOSSESSOR_LOOP_SECONDS": "1"}
POSTGRES = "postgres@127.0.0.1:5432"
RECEIVED = r"Received task run: ([0-9a-f-]{36}) - "
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
    intake_url: str = ""
    intake_secret: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    def post_contact(self, contact: dict) -> None:
        """A signed contact through the intake, as a driver's app sends it; 202 expected."""
        body = json.dumps(contact).encode()
        headers = signed_headers(self.intake_secret, int(time.time()), body)
        answer = httpx.post(f"{self.intake_url}/contacts", content=body, timeout=10,
                            headers={**headers, "Content-Type": "application/json"})
        assert answer.status_code == 202, answer.text

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


def agent_cli(api: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`onetouch escalations …` as on an agent's machine: only the stack's server address
    (no platform key, no case store, a Prefect home of its own)."""
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "PREFECT_API_URL": api,
           "PREFECT_HOME": str(home / ".prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "onetouch.cli", "escalations", *args],
                          env=env, capture_output=True, text=True, timeout=180, check=False)


def _recreate(names: tuple[str, ...], create: bool) -> None:
    import psycopg

    with psycopg.connect(f"postgresql://{POSTGRES}/postgres", autocommit=True,
                         connect_timeout=3) as conn:
        for name in names:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            if create:
                conn.execute(f"CREATE DATABASE {name}")


@contextmanager
def postgres_databases(*names: str) -> Iterator[dict[str, str]]:
    """Fresh PostgreSQL databases (`user@host:port/name` each), dropped afterwards; the test
    is skipped when no server answers."""
    psycopg = pytest.importorskip("psycopg")
    try:
        _recreate(names, create=True)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL at {POSTGRES}: {exc}")
    try:
        yield {name: f"{POSTGRES}/{name}" for name in names}
    finally:
        _recreate(names, create=False)


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    """`onetouch up` in this process on free ports, with fast polling; `down` after."""
    tmp = tmp_path_factory.mktemp("stack")
    case_store_url = f"sqlite:///{tmp / 'cases.db'}"
    layout = Layout(state_dir=tmp / "stack", ports=free_ports(), prefect_home=tmp / "prefect",
                    case_store_url=case_store_url, tuning=FAST)
    status = up(layout, echo=lambda _: None, sandbox_key=SANDBOX_KEY)
    try:
        with api_url(status.urls["api"]), Platform.from_settings(Settings(
                platform_url=status.urls["sandbox"], platform_api_key=SANDBOX_KEY)) as platform:
            yield Stack(status.urls["api"], status.urls["sandbox"], platform, case_store_url,
                        layout.state_dir / "logs" / "worker.log", status.urls["intake"],
                        Path(status.notes["intake_secret"]).read_text().strip(), status.timings)
    finally:
        down(layout.state_dir, echo=lambda _: None)
    print(f"\nstack timings: {status.timings}")


def received_runs(log: Path, named: str = "") -> list[str]:
    """The ids of the task runs a resolver received, from its log (those whose name then
    started with `named`: a run scheduled again is received under its own name)."""
    return re.findall(RECEIVED + re.escape(named), log.read_text(errors="replace"))


def sandbox_state(sandbox_url: str) -> dict:
    """The sandbox's whole state (admin API)."""
    return httpx.get(f"{sandbox_url}/admin/state", timeout=30,
                     headers={"Authorization": f"Bearer {SANDBOX_KEY}"}).json()
