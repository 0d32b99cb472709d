"""The local stack as detached processes: Prefect server, sandbox, intake, deployments,
resolvers, workers."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from onetouch.prefect_server import api_url
from onetouch.settings import PROJECT_LOGGERS, PROJECT_ROOT
from onetouch.stack_procs import alive, log_tail, start_time, stop_process
from onetouch.stack_resolvers import (
    DEFAULT_RESOLVER_LIMIT,
    DEFAULT_RESOLVERS,
    ResolverError,
    start_resolvers,
)
from onetouch.stack_restart import ensure_zombie_automations
from onetouch.stack_workers import (
    DEFAULT_WORKER_LIMIT,
    HEARTBEAT_SETTING,
    LIVENESS,
    POLLING,
    POOL,
    RECORDING,
    WorkerError,
    ensure_pool,
    start_workers,
)
from onetouch.waiting import is_ok, wait_until_answering
from understanding.cache import compiled_model

BASE_DIR = PROJECT_ROOT / ".onetouch"
DEFAULT_STATE_DIR = BASE_DIR / "stack"
DEMO_PREFECT_HOME = PROJECT_ROOT / ".prefect"
STATE_FILE = "stack.json"
DROPPED_ENV = ("PREFECT_API_URL", "PREFECT_API_KEY", "PREFECT_PROFILE")
Echo = Callable[[str], None]


class StackError(RuntimeError):
    """A part of the stack did not start; the message names it and shows its log."""


@dataclass(frozen=True)
class Ports:
    """Where each part listens."""

    prefect: int = 4200
    sandbox: int = 8700
    intake: int = 8701


@dataclass(frozen=True)
class Layout:
    """What `up` starts and where: folders, ports, the case store, workers, Prefect settings.

    `resolvers` long-lived resolvers each work on at most `resolver_limit` contacts at once;
    `workers` process workers poll the pool for the other deployments' flow runs, each running
    at most `worker_limit` at once (None: no limit); `tuning` is the Prefect settings of the
    server, resolvers and workers (the stack's own polling and recording by default).
    """

    state_dir: Path = DEFAULT_STATE_DIR
    ports: Ports = field(default_factory=Ports)
    prefect_home: Path | None = None
    case_store_url: str | None = None
    host: str = "127.0.0.1"
    tuning: dict[str, str] = field(default_factory=lambda: POLLING | LIVENESS | RECORDING)
    workers: int = 1
    worker_limit: int | None = DEFAULT_WORKER_LIMIT
    resolvers: int = DEFAULT_RESOLVERS
    resolver_limit: int = DEFAULT_RESOLVER_LIMIT

    def base(self) -> Path:
        """The folder for the Prefect home and the case store when they are not given."""
        return BASE_DIR if self.state_dir.resolve() == DEFAULT_STATE_DIR else self.state_dir

    def home(self) -> Path:
        """PREFECT_HOME for the server and worker (the demo's `.prefect` is left alone)."""
        given = os.environ.get("PREFECT_HOME")
        if self.prefect_home:
            return self.prefect_home
        if given and Path(given).resolve() != DEMO_PREFECT_HOME:
            return Path(given)
        return self.base() / "prefect"

    def store_url(self) -> str:
        """The case store: as given, else ONETOUCH_CASE_STORE_URL, else SQLite in the base."""
        return (self.case_store_url or os.environ.get("ONETOUCH_CASE_STORE_URL")
                or f"sqlite:///{self.base().resolve() / 'cases.db'}")

    def urls(self) -> dict[str, str]:
        """Each part's address."""
        root = f"http://{self.host}"
        return {"ui": f"{root}:{self.ports.prefect}", "api": f"{root}:{self.ports.prefect}/api",
                "sandbox": f"{root}:{self.ports.sandbox}", "intake": f"{root}:{self.ports.intake}"}


@dataclass
class Status:
    """A running stack as `up` reports it."""

    state_dir: Path
    urls: dict[str, str]
    notes: dict[str, str]
    pids: dict[str, int]
    timings: dict[str, float] = field(default_factory=dict)
    already: bool = False
    workers: list[str] = field(default_factory=list)
    resolvers: list[str] = field(default_factory=list)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _state_file(state_dir: Path) -> Path:
    return state_dir / STATE_FILE


def read_state(state_dir: Path = DEFAULT_STATE_DIR) -> dict[str, Any] | None:
    """The recorded stack, if any."""
    path = _state_file(state_dir)
    return json.loads(path.read_text()) if path.exists() else None


def _save(state_dir: Path, state: dict[str, Any]) -> None:
    path = _state_file(state_dir)
    path.with_suffix(".tmp").write_text(json.dumps(state, indent=2))
    path.with_suffix(".tmp").replace(path)


def _dead(state: dict[str, Any]) -> list[str]:
    return [name for name, p in state["processes"].items() if not alive(p["pid"], p["started"])]


def down(state_dir: Path = DEFAULT_STATE_DIR, echo: Echo = print, timeout: float = 20
         ) -> list[str]:
    """Stop every recorded process, the workers first; the names of those that were running."""
    state = read_state(state_dir)
    if state is None:
        echo(f"nothing to stop: no {_state_file(state_dir)}")
        return []
    stopped = []
    for name, record in reversed(list(state["processes"].items())):
        if stop_process(record, timeout):
            stopped.append(name)
            echo(f"stopped {name} (pid {record['pid']})")
        else:
            echo(f"{name} (pid {record['pid']}) was not running")
    _state_file(state_dir).unlink(missing_ok=True)
    return stopped


def port_free(host: str, port: int) -> bool:
    """Nothing listens on the port."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_ports(host: str = "127.0.0.1") -> Ports:
    """Three distinct ports nothing listens on now."""
    socks = [socket.socket() for _ in range(3)]
    try:
        for sock in socks:
            sock.bind((host, 0))
        return Ports(*(sock.getsockname()[1] for sock in socks))
    finally:
        for sock in socks:
            sock.close()


def _check_ports(layout: Layout) -> None:
    for name, port in vars(layout.ports).items():
        if not port_free(layout.host, port):
            raise StackError(f"port {port} ({name}) is in use: stop what holds it or pick "
                             f"another port (see `onetouch up --help`)")


def _same_database(first: str, second: str) -> bool:
    from sqlalchemy.engine import make_url

    a, b = make_url(first), make_url(second)
    return (a.get_backend_name() == b.get_backend_name() == "postgresql"
            and (a.host, a.port or 5432, a.database) == (b.host, b.port or 5432, b.database))


def _check_databases(store_url: str) -> None:
    prefect_db = (os.environ.get("PREFECT_SERVER_DATABASE_CONNECTION_URL")
                  or os.environ.get("PREFECT_API_DATABASE_CONNECTION_URL"))
    if prefect_db and _same_database(prefect_db, store_url):
        raise StackError("the case store and the Prefect server need separate databases "
                         "(set ONETOUCH_CASE_STORE_URL to another database)")


def safe_url(url: str) -> str:
    """A database URL with its password hidden."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _secret(state_dir: Path, env_name: str, file_name: str) -> tuple[str, str]:
    """A secret from the environment, else a new random one in a private file; and where."""
    if os.environ.get(env_name):
        return os.environ[env_name], f"${env_name}"
    path = state_dir / file_name
    path.unlink(missing_ok=True)
    path.touch(mode=0o600)
    value = secrets.token_urlsafe(32)
    path.write_text(value + "\n")
    return value, str(path)


def prefect_env(layout: Layout) -> dict[str, str]:
    """The environment of the server, the worker and `prefect deploy` (no ONETOUCH_* leaks)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("ONETOUCH_") and k not in DROPPED_ENV}
    return env | {
        "PREFECT_HOME": str(layout.home().resolve()), "PREFECT_API_URL": layout.urls()["api"],
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1", "PATH": _with_this_python(env.get("PATH", "")),
        "PREFECT_LOGGING_EXTRA_LOGGERS": PROJECT_LOGGERS,
    } | layout.tuning


def _with_this_python(path: str) -> str:
    """PATH with this interpreter's folder first: the pool's job command is `python …`."""
    return os.pathsep.join([str(Path(sys.executable).parent), *filter(None, path.split(
        os.pathsep))])


def _app_env(layout: Layout, extra: dict[str, str]) -> dict[str, str]:
    """The environment of the sandbox and the intake (`onetouch` commands), with the stack's
    Prefect settings: a task run the intake submits carries the intake's settings to the
    resolver that runs it."""
    env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
    return env | {"PREFECT_HOME": str(layout.home().resolve()),
                  "PREFECT_API_URL": layout.urls()["api"],
                  "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                  "PYTHONUNBUFFERED": "1"} | layout.tuning | extra


def _spawn(state: dict[str, Any], layout: Layout, name: str, args: list[str],
           env: dict[str, str]) -> dict[str, Any]:
    """Start a detached process in its own session, log to a file, record it."""
    log = layout.state_dir / "logs" / f"{name}.log"
    with log.open("w") as out:
        process = subprocess.Popen(args, env=env, cwd=PROJECT_ROOT, stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    record = {"pid": process.pid, "started": start_time(process.pid), "log": str(log)}
    state["processes"][name] = record
    _save(layout.state_dir, state)
    return record


def _wait_http(name: str, url: str, record: dict[str, Any], timeout: float,
               headers: dict[str, str] | None = None) -> None:
    """Wait until a health URL answers 200; fail early if the process exits."""
    waited = wait_until_answering(url, timeout, headers=headers, accept=is_ok,
                                  alive=lambda: alive(record["pid"], record["started"]))
    if waited == "stopped":
        raise StackError(f"{name} exited while starting:\n{log_tail(record)}")
    if waited == "timeout":
        raise StackError(f"{name} did not answer {url} within {timeout:.0f} s:\n"
                         f"{log_tail(record)}")


def configure(platform_url: str, case_store_url: str, platform_key: str,
              notify_urls: str = "{}", pool_limit: int | None = None) -> None:
    """The work pool (at most `pool_limit` runs at once), the Variables the deployments read,
    the Secret blocks the flows load."""
    from prefect.blocks.system import Secret
    from prefect.variables import Variable
    from pydantic import Secret as PydanticSecret

    ensure_pool(pool_limit)
    Variable.set("onetouch_platform_url", platform_url, overwrite=True)
    Variable.set("onetouch_case_store_url", case_store_url, overwrite=True)
    Variable.set("onetouch_repo_dir", str(PROJECT_ROOT), overwrite=True)
    for block, value in (("onetouch-platform-api-key", platform_key),
                         ("onetouch-queue-notify-urls", notify_urls)):
        Secret(value=PydanticSecret[str](value)).save(block, overwrite=True)


def deploy(env: dict[str, str], log: Path) -> None:
    """`prefect deploy --all --no-prompt` from the repository root."""
    with log.open("w") as out:
        done = subprocess.run([sys.executable, "-m", "prefect", "deploy", "--all", "--no-prompt"],
                              env=env, cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, timeout=180)
    if done.returncode != 0:
        raise StackError(f"prefect deploy failed:\n{log_tail({'log': log}, 40)}")


class _Clock:
    """Seconds taken by each step, for the report."""

    def __init__(self) -> None:
        self.started = self.last = time.monotonic()
        self.timings: dict[str, float] = {}

    def lap(self, name: str) -> float:
        now = time.monotonic()
        self.timings[name] = round(now - self.last, 1)
        self.last = now
        return self.timings[name]

    def total(self) -> float:
        self.timings["total_s"] = round(time.monotonic() - self.started, 1)
        return self.timings["total_s"]


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "onetouch.cli", *args]


def _start_services(state: dict[str, Any], layout: Layout, keys: dict[str, str],
                    echo: Echo, clock: _Clock) -> None:
    """The Prefect server, the sandbox and the intake, started together, each waited for."""
    urls, host, ports = layout.urls(), layout.host, layout.ports
    server = _spawn(state, layout, "server", [
        sys.executable, "-m", "onetouch.prefect_server", "start", "--host", host,
        "--port", str(ports.prefect)], prefect_env(layout))
    sandbox = _spawn(state, layout, "sandbox", _cli(
        "sandbox", "--host", host, "--port", str(ports.sandbox)),
        _app_env(layout, {"ONETOUCH_SANDBOX_API_KEY": keys["sandbox"]}))
    intake = _spawn(state, layout, "intake", _cli(
        "intake", "--host", host, "--port", str(ports.intake)),
        _app_env(layout, {"ONETOUCH_INTAKE_SECRET": keys["intake"],
                          "ONETOUCH_CASE_STORE_URL": layout.store_url(),
                          "ONETOUCH_PLATFORM_URL": urls["sandbox"],  # GET /help reads the platform
                          "ONETOUCH_PLATFORM_API_KEY": keys["sandbox"]}))
    _wait_http("the Prefect server", f"{urls['api']}/health", server, 180)
    echo(f"Prefect server up ({clock.lap('server_s')} s)")
    _wait_http("the sandbox", f"{urls['sandbox']}/clock", sandbox, 60,
               {"Authorization": f"Bearer {keys['sandbox']}"})
    _wait_http("the intake", f"{urls['intake']}/health", intake, 60)
    echo(f"sandbox and intake up ({clock.lap('sandbox_intake_s')} s)")


def _deploy_and_work(state: dict[str, Any], layout: Layout, keys: dict[str, str],
                     echo: Echo, clock: _Clock) -> None:
    """Configuration, deployments, then the workers once each polls the pool."""
    urls, env = layout.urls(), prefect_env(layout)
    with api_url(urls["api"]):
        configure(urls["sandbox"], layout.store_url(), keys["sandbox"],
                  pool_limit=layout.worker_limit and layout.workers * layout.worker_limit)
        if layout.tuning.get(HEARTBEAT_SETTING):
            ensure_zombie_automations()
    echo(f"work pool, Variables and Secret blocks set ({clock.lap('configure_s')} s)")
    spawn = lambda name, args: _spawn(state, layout, name, args, env)  # noqa: E731
    with ThreadPoolExecutor(1) as pool:  # the deployments are made while the processes start
        deploying = pool.submit(deploy, env, layout.state_dir / "logs" / "deploy.log")
        compiled_model()  # trained here once, not by each resolver at once
        echo(f"intent model ready ({clock.lap('model_s')} s)")
        try:
            state["resolvers"] = start_resolvers(urls["api"], layout.resolvers,
                                                 layout.resolver_limit, spawn)
            echo(f"{layout.resolvers} resolver{'s' * (layout.resolvers > 1)} subscribed "
                 f"({clock.lap('resolver_s')} s)")
            names = start_workers(urls["api"], layout.workers, layout.worker_limit, spawn)
        except (WorkerError, ResolverError) as exc:
            raise StackError(str(exc)) from None
        state["workers"] = names
        echo(f"{len(names)} worker{'s' * (len(names) > 1)} polling pool {POOL!r} "
             f"({clock.lap('worker_s')} s)")
        deploying.result()
    echo(f"deployed prefect.yaml ({clock.lap('deploy_s')} s more)")


def _notes(layout: Layout, where: dict[str, str]) -> dict[str, str]:
    prefect_db = (os.environ.get("PREFECT_SERVER_DATABASE_CONNECTION_URL")
                  or os.environ.get("PREFECT_API_DATABASE_CONNECTION_URL"))
    return {"prefect_db": safe_url(prefect_db) if prefect_db
            else f"SQLite in {layout.home().resolve()}",
            "case_store": safe_url(layout.store_url()), "intake_secret": where["intake"],
            "sandbox_key": where["sandbox"], "logs": str(layout.state_dir.resolve() / "logs"),
            "resolvers": f"{layout.resolvers}, each resolving at most "
                         f"{layout.resolver_limit} contacts at once",
            "workers": f"{layout.workers} on pool {POOL!r}, each running at most "
                       f"{layout.worker_limit or 'any number of'} flow runs at once"}


def _status(state: dict[str, Any], state_dir: Path, already: bool) -> Status:
    return Status(state_dir, state["urls"], state["notes"],
                  {name: p["pid"] for name, p in state["processes"].items()},
                  state.get("timings", {}), already, state.get("workers", []),
                  state.get("resolvers", []))


def _running(layout: Layout, echo: Echo) -> Status | None:
    """The recorded stack when all of it runs; a partial one is stopped first."""
    state = read_state(layout.state_dir)
    if state is None:
        return None
    dead = _dead(state)
    if not dead:
        return _status(state, layout.state_dir, already=True)
    if len(dead) == len(state["processes"]):
        echo("the recorded stack is no longer running")
    else:
        echo(f"stack partly down ({', '.join(dead)} not running): stopping the rest")
    down(layout.state_dir, echo)
    return None


def up(layout: Layout | None = None, echo: Echo = print, sandbox_key: str | None = None
       ) -> Status:
    """Start the whole stack detached, deploy, wait until the workers poll; or report it up."""
    layout = layout or Layout()
    if running := _running(layout, echo):
        return running
    _check_ports(layout)
    _check_databases(layout.store_url())
    (layout.state_dir / "logs").mkdir(parents=True, exist_ok=True)
    layout.home().mkdir(parents=True, exist_ok=True)
    intake, intake_at = _secret(layout.state_dir, "ONETOUCH_INTAKE_SECRET", "intake.secret")
    if sandbox_key is None:
        sandbox_key, sandbox_at = _secret(layout.state_dir, "ONETOUCH_SANDBOX_API_KEY",
                                          "sandbox.key")
    else:
        sandbox_at = "given"
    keys, clock = {"intake": intake, "sandbox": sandbox_key}, _Clock()
    state = {"started_at": _now(), "urls": layout.urls(), "processes": {},
             "notes": _notes(layout, {"intake": intake_at, "sandbox": sandbox_at})}
    try:
        _start_services(state, layout, keys, echo, clock)
        _deploy_and_work(state, layout, keys, echo, clock)
    except BaseException:
        echo("stopping what started")
        down(layout.state_dir, echo)
        raise
    clock.total()
    state["timings"] = clock.timings
    _save(layout.state_dir, state)
    return _status(state, layout.state_dir, already=False)
