"""One stack process stopped (hard or clean) and started again as it was; runs whose process
died marked Crashed by the server (zombie automations)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from onetouch.settings import PROJECT_ROOT
from onetouch.stack_procs import _family, _signal, _wait_gone, alive, log_tail, start_time
from onetouch.stack_resolvers import ResolverError, wait_subscribed
from onetouch.stack_workers import online_workers
from onetouch.waiting import is_ok, wait_until_answering

STATE_FILE = "stack.json"
SANDBOX_DB = "sandbox.db"
ZOMBIE_RUNNING = "onetouch-crash-runs-without-heartbeat"
ZOMBIE_PENDING = "onetouch-crash-runs-stuck-pending"
HEARTBEAT_EVENT = "prefect.flow-run.heartbeat"
SILENT_BEATS = 3  # heartbeats missed before a Running run counts as dead
AUTOMATIONS_FILE = PROJECT_ROOT / "automations" / "zombie-runs.yaml"


class RestartError(RuntimeError):
    """A process did not stop or did not come back; the message shows its log."""


@dataclass(frozen=True)
class Stopped:
    """A stopped process and what starting it again takes: its command, environment, folder."""

    state_dir: Path
    name: str
    command: list[str]
    env: dict[str, str]
    cwd: str
    log: str


def _state(state_dir: Path) -> dict[str, Any]:
    return json.loads((state_dir / STATE_FILE).read_text())


def _save(state_dir: Path, state: dict[str, Any]) -> None:
    path = state_dir / STATE_FILE
    path.with_suffix(".tmp").write_text(json.dumps(state, indent=2))
    path.with_suffix(".tmp").replace(path)


def _proc(pid: int, what: str) -> bytes:
    return Path(f"/proc/{pid}/{what}").read_bytes()


def _environ(pid: int) -> dict[str, str]:
    pairs = (item.split("=", 1) for item in _proc(pid, "environ").decode().split("\0") if item)
    return dict(pair for pair in pairs if len(pair) == 2)


def _open_sqlite(pid: int, name: str) -> Path | None:
    """The SQLite file of that name the process holds open, if any."""
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = Path(os.readlink(fd)) if fd.is_symlink() else None
        if target is not None and target.name == name:
            return target
    return None


def stop_service(state_dir: Path, name: str, hard: bool = True, timeout: float = 20) -> Stopped:
    """Stop one recorded process with its family: SIGKILL when hard (a crash), else SIGTERM."""
    record = _state(state_dir)["processes"][name]
    pid = record["pid"]
    if not alive(pid, record.get("started")):
        raise RestartError(f"{name} (pid {pid}) is not running")
    command = _proc(pid, "cmdline").decode().split("\0")[:-1]
    stopped = Stopped(state_dir, name, command, _environ(pid), os.readlink(f"/proc/{pid}/cwd"),
                      record["log"])
    temporary = name == "sandbox" and "--db" not in command
    database = _open_sqlite(pid, SANDBOX_DB) if temporary else None
    if temporary and (database is None or not hard):
        raise RestartError("the sandbox keeps its state in a temporary folder it deletes on a "
                           "clean stop: stop it hard, once it has answered a request")
    family = _family(pid)
    _signal(family, signal.SIGKILL if hard else signal.SIGTERM)
    if not _wait_gone(family, timeout):
        _signal(_family(pid) + family, signal.SIGKILL)
        _wait_gone(family, 10)
    if database is not None:
        return _keep_sandbox_state(stopped, database)
    return stopped


def _keep_sandbox_state(stopped: Stopped, database: Path) -> Stopped:
    """Move a killed sandbox's database out of its temporary folder; serve it from there."""
    kept = stopped.state_dir / SANDBOX_DB
    source, target = sqlite3.connect(database), sqlite3.connect(kept)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    if database.parent.name.startswith("onetouch-sandbox-"):
        shutil.rmtree(database.parent, ignore_errors=True)
    command = list(stopped.command)
    if "--world" in command:  # loaded already: serving it again would start afresh
        del command[command.index("--world"):command.index("--world") + 2]
    return Stopped(stopped.state_dir, stopped.name, [*command, "--db", str(kept)], stopped.env,
                   stopped.cwd, stopped.log)


def start_service(stopped: Stopped, timeout: float = 120) -> dict[str, Any]:
    """Start a stopped process again as it was (its log continued), record it, wait until it
    answers (a worker: until it polls the pool)."""
    since = time.time()
    with open(stopped.log, "a") as out:
        process = subprocess.Popen(stopped.command, env=stopped.env, cwd=stopped.cwd, stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    record = {"pid": process.pid, "started": start_time(process.pid), "log": stopped.log}
    state = _state(stopped.state_dir)
    state["processes"][stopped.name] = record
    _save(stopped.state_dir, state)
    _wait_ready(stopped, state["urls"], record, since, timeout)
    return record


def _wait_ready(stopped: Stopped, urls: dict[str, str], record: dict[str, Any], since: float,
                timeout: float) -> None:
    living = lambda: alive(record["pid"], record["started"])  # noqa: E731
    if stopped.name.startswith("resolver"):
        try:
            wait_subscribed(urls["api"], {stopped.name: record}, timeout=timeout)
        except ResolverError as exc:
            raise RestartError(str(exc)) from None
        return
    if stopped.name.startswith("worker"):
        name = stopped.command[stopped.command.index("--name") + 1]
        deadline = time.monotonic() + timeout
        while living() and time.monotonic() < deadline:
            if name in online_workers(urls["api"], since):
                return
            time.sleep(0.3)
        raise RestartError(f"{stopped.name} did not poll again:\n{log_tail(record)}")
    url, headers = {
        "server": (f"{urls['api']}/health", None),
        "sandbox": (f"{urls['sandbox']}/clock", {
            "Authorization": f"Bearer {stopped.env.get('ONETOUCH_SANDBOX_API_KEY', '')}"}),
        "intake": (f"{urls['intake']}/health", None)}[stopped.name]
    waited = wait_until_answering(url, timeout, alive=living, accept=is_ok, headers=headers)
    if waited != "answered":
        raise RestartError(f"{stopped.name} {waited} while starting again:\n{log_tail(record)}")


def restart(state_dir: Path, name: str, hard: bool = True, down_s: float = 0) -> float:
    """Stop one process, leave it down a while, start it again; seconds it did not answer."""
    started = time.monotonic()
    stopped = stop_service(state_dir, name, hard)
    time.sleep(down_s)
    start_service(stopped)
    return round(time.monotonic() - started, 1)


def ensure_zombie_automations() -> None:
    """Create or update the automations of automations/zombie-runs.yaml on the server (what
    `prefect automation create --from-file` does, without a second copy on a second start)."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        for automation in zombie_automations():
            found = client.read_automations_by_name(automation.name)
            if found:
                client.update_automation(found[0].id, automation)
            else:
                client.create_automation(automation)


def zombie_automations() -> list[Any]:
    """The automations that mark Crashed a flow run whose process died unseen, from their file."""
    import yaml  # type: ignore[import-untyped]  # no types-PyYAML among the test tools
    from prefect.events.schemas.automations import AutomationCore

    declared = yaml.safe_load(AUTOMATIONS_FILE.read_text())["automations"]
    return [AutomationCore.model_validate(automation) for automation in declared]
