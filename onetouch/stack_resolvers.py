"""The stack's resolvers: N long-lived `onetouch resolver` processes, subscribed to the server."""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx

from flows.names import RESOLVER_TASK_KEY
from onetouch.prefect_auth import api_headers
from onetouch.stack_procs import alive, log_tail

DEFAULT_RESOLVERS = 2
DEFAULT_RESOLVER_LIMIT = 8
Spawn = Callable[[str, list[str]], dict[str, Any]]


class ResolverError(RuntimeError):
    """A resolver exited or never subscribed; the message shows its log."""


def resolver_command(limit: int) -> list[str]:
    """`onetouch resolver` running at most `limit` contacts at once."""
    return [sys.executable, "-m", "onetouch.cli", "resolver", "--limit", str(limit)]


def subscribed(api: str) -> set[str]:
    """Client ids of the task workers subscribed to the resolve-contact task now."""
    response = httpx.post(f"{api}/task_workers/filter", timeout=5,
                          json={"task_worker_filter": {"task_keys": [RESOLVER_TASK_KEY]}},
                          headers=api_headers(os.environ))
    response.raise_for_status()
    return {worker["identifier"] for worker in response.json()}


def serving_child(pid: int) -> int | None:
    """The process a supervising resolver serves in (its child), if it has started one."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            pids = children.read().split()
    except FileNotFoundError:
        return None
    return int(pids[0]) if pids else None


def serving_identifier(record: dict[str, Any]) -> str:
    """The task-worker id of a resolver (hostname-pid): a supervisor's serves in its child."""
    return f"{socket.gethostname()}-{serving_child(record['pid']) or record['pid']}"


def wait_subscribed(api: str, records: dict[str, dict[str, Any]], timeout: float = 60) -> None:
    """Until each of these resolvers is subscribed under its own id; fail if one exits or never
    is (the server's count alone can lag: it forgets a worker whose old socket closes late)."""
    deadline = time.monotonic() + timeout
    missing = set(records)
    while time.monotonic() < deadline:
        for name, record in records.items():
            if not alive(record["pid"], record["started"]):
                raise ResolverError(f"{name} exited while starting:\n{log_tail(record)}")
        ids = {name: serving_identifier(record) for name, record in records.items()}
        now_subscribed = subscribed(api)
        missing = {name for name, ident in ids.items() if ident not in now_subscribed}
        if not missing:
            return
        time.sleep(0.3)
    first = records[min(missing)]
    raise ResolverError(f"{', '.join(sorted(missing))} not subscribed after {timeout:.0f} s:\n"
                        f"{log_tail(first)}")


def start_resolvers(api: str, count: int, limit: int, spawn: Spawn) -> list[str]:
    """Start each resolver as its own process, then wait until every one is subscribed."""
    if count < 1:
        raise ValueError(f"a stack needs at least one resolver, not {count}")
    records = {f"resolver-{i}": spawn(f"resolver-{i}", resolver_command(limit))
               for i in range(1, count + 1)}
    wait_subscribed(api, records)
    return list(records)
