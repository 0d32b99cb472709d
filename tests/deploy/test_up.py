"""`onetouch up` starts the stack detached; a signed contact is resolved by a resolver as a
task run of its own and gets its reply; `down` ends it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from onetouch.intake.signing import read_headers, signed_headers
from tests.deploy.conftest import CONTACTS, DATA, ROOT, free_ports, wait_for

pytestmark = pytest.mark.stack
CONTACT = CONTACTS["c-1"]
CASE = "case-c-1"
EXPECTED = next(json.loads(line) for line in (DATA / "expected.jsonl").read_text().splitlines()
                if json.loads(line)["contact_id"] == CONTACT["id"])
POSTGRES = "postgres@127.0.0.1:5432"
DATABASES = {"prefect": "onetouch_up_prefect", "cases": "onetouch_up_cases"}


@dataclass
class Running:
    """A stack `onetouch up` started: its environment, state folder and record."""

    env: dict[str, str]
    state_dir: Path
    state: dict[str, Any]
    up_s: float

    def secret(self, name: str) -> str:
        return (self.state_dir / name).read_text().strip()


def _onetouch(*args: str, env: dict[str, str], timeout: float = 180
              ) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "onetouch.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def _drop_databases(create: bool = False) -> None:
    import psycopg

    with psycopg.connect(f"postgresql://{POSTGRES}/postgres", autocommit=True,
                         connect_timeout=3) as conn:
        for name in DATABASES.values():
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            if create:
                conn.execute(f"CREATE DATABASE {name}")


def _fresh_databases() -> dict[str, str]:
    """New PostgreSQL databases for the Prefect server and the case store; skip without one."""
    psycopg = pytest.importorskip("psycopg")
    try:
        _drop_databases(create=True)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL at {POSTGRES}: {exc}")
    return {"PREFECT_SERVER_DATABASE_CONNECTION_URL":
            f"postgresql+asyncpg://{POSTGRES}/{DATABASES['prefect']}",
            "ONETOUCH_CASE_STORE_URL": f"postgresql+psycopg://{POSTGRES}/{DATABASES['cases']}"}


def _env(tmp_path: Path, database: str) -> dict[str, str]:
    ports = free_ports()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ONETOUCH_", "PREFECT_API_", "PREFECT_SERVER_DATABASE"))}
    return env | {
        "ONETOUCH_STACK_DIR": str(tmp_path / "stack"),
        "ONETOUCH_STACK_PREFECT_HOME": str(tmp_path / "prefect"),
        "ONETOUCH_STACK_PREFECT_PORT": str(ports.prefect),
        "ONETOUCH_STACK_SANDBOX_PORT": str(ports.sandbox),
        "ONETOUCH_STACK_INTAKE_PORT": str(ports.intake),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    } | (_fresh_databases() if database == "postgresql" else {})


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.heavy)])
def running(request, tmp_path) -> Iterator[Running]:
    """`onetouch up` as a user runs it; `onetouch down` afterwards whatever happened."""
    env = _env(tmp_path, request.param)
    started = time.monotonic()
    done = _onetouch("up", env=env)
    up_s = round(time.monotonic() - started, 1)
    try:
        assert done.returncode == 0, f"onetouch up failed:\n{done.stderr}\n{done.stdout}"
        state_dir = tmp_path / "stack"
        yield Running(env, state_dir, json.loads((state_dir / "stack.json").read_text()), up_s)
    finally:
        _onetouch("down", env=env)
        if request.param == "postgresql":
            _drop_databases()


def _signed_post(running: Running, contact: dict) -> httpx.Response:
    body = json.dumps(contact).encode()
    headers = signed_headers(running.secret("intake.secret"), int(time.time()), body)
    return httpx.post(f"{running.state['urls']['intake']}/contacts", content=body,
                      headers=headers | {"Content-Type": "application/json"}, timeout=10)


def _outcome(running: Running) -> dict | None:
    path = f"/cases/{CASE}"
    case = httpx.get(f"{running.state['urls']['intake']}{path}", timeout=5, headers=read_headers(
        running.secret("intake.secret"), int(time.time()), path)).json()
    return case.get("outcome")


def _task_run(api: str, name: str) -> dict | None:
    runs = httpx.post(f"{api}/task_runs/filter", timeout=5,
                      json={"task_runs": {"name": {"any_": [name]}}}).json()
    return runs[0] if runs and (runs[0]["state"] or {}).get("type") == "COMPLETED" else None


def _steps(api: str) -> list[str]:
    runs = httpx.post(f"{api}/task_runs/filter", timeout=5, json={
        "task_runs": {"name": {"like_": f"{CASE} · %"}}, "sort": "EXPECTED_START_TIME_ASC"}).json()
    return [run["name"].removeprefix(f"{CASE} · ") for run in runs]


def _resolved_by_a_resolver(api: str, run: dict) -> None:
    """One task run of the resolve-contact task, no flow run: tagged, its steps beside it."""
    assert run["task_key"] == "resolve_contact-onetouch_v1" and run["flow_run_id"] is None
    assert {"outcome:resolved", f"intent:{EXPECTED['intent']}"} <= set(run["tags"])
    assert _steps(api) == ["receive", "understand", "gather facts", "decide",
                           "pay tip ofr-50007", "reply", "record"]
    flow_runs = httpx.post(f"{api}/flow_runs/filter", timeout=5,
                           json={"flows": {"name": {"any_": ["resolve-contact"]}}}).json()
    assert flow_runs == []
    said = f"contact {CONTACT['id']}: {EXPECTED['intent']} resolved"
    wait_for(lambda: said in _run_logs(api, run["id"]), 15,
             f"the project's log line {said!r} among the run's logs in Prefect")


def _run_logs(api: str, task_run_id: str) -> str:
    logs = httpx.post(f"{api}/logs/filter", timeout=5,
                      json={"logs": {"task_run_id": {"any_": [task_run_id]}}}).json()
    return "\n".join(f"{log['name']}: {log['message']}" for log in logs)


def _replies(running: Running) -> list[dict]:
    state = httpx.get(f"{running.state['urls']['sandbox']}/admin/state", timeout=5, headers={
        "Authorization": f"Bearer {running.secret('sandbox.key')}"}).json()
    return [n for n in state["notifications"] if n["reference"] == CASE]


def _assert_rows_in_postgresql(running: Running) -> None:
    """On PostgreSQL, the run and the case are rows of the two databases."""
    if "ONETOUCH_CASE_STORE_URL" not in running.env:
        return
    import psycopg

    for database, query in (("prefect", "SELECT count(*) FROM task_run WHERE name = %s"),
                            ("cases", "SELECT count(*) FROM cases WHERE contact_id = %s")):
        name = f"contact-{CONTACT['id']}" if database == "prefect" else CONTACT["id"]
        with psycopg.connect(f"postgresql://{POSTGRES}/{DATABASES[database]}") as conn:
            assert conn.execute(query, (name,)).fetchone() == (1,), database


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _assert_up_again_changes_nothing(running: Running) -> None:
    again = _onetouch("up", env=running.env, timeout=60)
    assert again.returncode == 0, again.stderr
    assert "already up" in again.stdout
    assert json.loads((running.state_dir / "stack.json").read_text()) == running.state


def _assert_down_stops_everything(running: Running) -> None:
    pids = [p["pid"] for p in running.state["processes"].values()]
    assert all(_alive(pid) for pid in pids)
    done = _onetouch("down", env=running.env, timeout=90)
    assert done.returncode == 0, done.stderr
    assert "worker, resolver-2, resolver-1, intake, sandbox, server stopped" in done.stdout
    assert not (running.state_dir / "stack.json").exists()
    wait_for(lambda: not any(_alive(pid) for pid in pids), 10, "every stack process to exit")


def test_up_resolves_a_signed_contact_with_a_resolver_then_down_stops_it(running):
    api, urls = running.state["urls"]["api"], running.state["urls"]
    assert set(running.state["processes"]) == {"server", "sandbox", "intake", "resolver-1",
                                               "resolver-2", "worker"}
    assert httpx.get(urls["ui"], headers={"Accept": "text/html"}, timeout=5,
                     follow_redirects=True).status_code == 200
    _assert_up_again_changes_nothing(running)
    sent = time.monotonic()
    response = _signed_post(running, CONTACT)
    assert response.status_code == 202, response.text
    assert response.json() == {"case_id": CASE, "status": "received"}
    outcome = wait_for(lambda: _outcome(running), 90, f"{CASE} to get an outcome")
    latency = round(time.monotonic() - sent, 1)
    assert {k: outcome[k] for k in ("intent", "outcome", "actions")} == {
        k: EXPECTED[k] for k in ("intent", "outcome", "actions")}
    run = wait_for(lambda: _task_run(api, f"contact-{CONTACT['id']}"), 30,
                   "the task run contact-c-1 to be Completed")
    _resolved_by_a_resolver(api, run)
    [reply] = _replies(running)
    assert reply["driver_id"] == CONTACT["driver_id"]
    _assert_rows_in_postgresql(running)
    print(f"\n{running.state['notes']['prefect_db']}: up {running.up_s} s "
          f"{running.state['timings']}, contact to outcome {latency} s")
    _assert_down_stops_everything(running)
