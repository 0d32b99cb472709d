"""`python -m onetouch.prefect_server start …`: Prefect's server, with its SQLite transactions
begun IMMEDIATE.

Prefect 3.8.8 begins most SQLite transactions DEFERRED. One that reads and then writes (creating a
task run reads for an existing one first) fails at once with "database is locked", a 503, when
another connection committed in between: SQLite does not wait out its busy timeout for that
upgrade. Under a burst of contacts that was 46 503s in 100 contacts (37 on creating task runs, 8 on
creating approval runs), each retried by the client after seconds. Begun IMMEDIATE, a transaction
takes SQLite's write lock first and writers queue for it instead: 0 503s in a burst of 200, which
took 45 s instead of over 200 s (docs/resolvers.md, "The embedded default"). On PostgreSQL this
changes nothing (the method belongs to Prefect's SQLite configuration).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from onetouch.waiting import is_ok, wait_until_answering


@asynccontextmanager
async def _begin_immediate(self: Any, session: Any, with_for_update: bool = False
                           ) -> AsyncIterator[Any]:
    from prefect.server.database import configurations

    token = configurations.SQLITE_BEGIN_MODE.set("IMMEDIATE")
    try:
        async with session.begin() as transaction:
            yield transaction
    finally:
        configurations.SQLITE_BEGIN_MODE.reset(token)


def main() -> None:
    """`prefect server …` with the SQLite transactions begun IMMEDIATE."""
    from prefect.cli import app
    from prefect.server.database import configurations

    configurations.AioSqliteConfiguration.begin_transaction = _begin_immediate  # type: ignore[method-assign]
    sys.argv = ["prefect", "server", *sys.argv[1:]]
    app()


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(log: Path, port: int | None = None) -> Iterator[str]:
    """This server on PREFECT_HOME for the while, this process's API pointed at it; its URL."""
    port = port or free_port()
    url, env = f"http://127.0.0.1:{port}", dict(os.environ)
    env.pop("PREFECT_API_URL", None)
    with log.open("w") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "onetouch.prefect_server", "start", "--host", "127.0.0.1",
             "--port", str(port)], env=env, stdout=sink, stderr=subprocess.STDOUT)
        try:
            waited = wait_until_answering(f"{url}/api/health", 90, accept=is_ok,
                                          alive=lambda: server.poll() is None)
            if waited != "answered":
                raise RuntimeError(f"the Prefect server did not start (port {port} in use?); "
                                   f"see {log}")
            with api_url(f"{url}/api"):
                yield url
        finally:
            server.terminate()
            server.wait(timeout=30)


def _drain() -> None:
    """Finish what this process's Prefect services hold for the current server, so the next
    use starts them afresh on the new one (a slot service keeps its first server's client)."""
    from prefect.concurrency.services import ConcurrencySlotAcquisitionWithLeaseService
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for service in (EventsWorker, APILogWorker, ConcurrencySlotAcquisitionWithLeaseService):
        service.drain_all(timeout=10)


@contextmanager
def api_url(api: str) -> Iterator[None]:
    """This process's Prefect client, events and logs go to the given server while in use."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

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


if __name__ == "__main__":
    main()
