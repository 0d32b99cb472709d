"""The session's Prefect server for in-process flows: on PostgreSQL when one answers, else SQLite.

Prefect's own `prefect_test_harness` always uses SQLite, whose write lock makes every
concurrent flow test wait on "database is locked" retries (../shared/notes/prefect-here.md).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import psycopg
from prefect.context import _temporary_global_settings_context, get_settings_context
from prefect.events.worker import EventsWorker
from prefect.logging.handlers import APILogWorker
from prefect.server.api.server import SubprocessASGIServer
from prefect.server.database.dependencies import temporary_database_interface
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
    PREFECT_SERVER_DATABASE_CONNECTION_URL,
    temporary_settings,
)

from tests.pg import drop_database, fresh_database

DATABASE = f"onetouch_test_prefect_{os.getpid()}"  # two test sessions at once keep apart


def _database_url(fallback_dir: str) -> str:
    """A fresh PostgreSQL database for the server, or a SQLite file when none answers."""
    if os.environ.get("ONETOUCH_TEST_PREFECT_DB") != "sqlite":
        try:
            return fresh_database(DATABASE).replace("+psycopg", "+asyncpg")
        except psycopg.Error:
            pass
    return f"sqlite+aiosqlite:///{fallback_dir}/prefect-test.db"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def prefect_server(tmp_dir: str) -> Iterator[str]:
    """A Prefect server subprocess for this process's flows, stopped afterwards: its API URL."""
    with ExitStack() as stack:
        stack.enter_context(temporary_database_interface())
        url = _database_url(tmp_dir)
        stack.enter_context(temporary_settings({PREFECT_SERVER_DATABASE_CONNECTION_URL: url}))
        server = SubprocessASGIServer(port=_free_port())
        prior = SubprocessASGIServer._instances.get(None)
        SubprocessASGIServer._instances[None] = server
        server.start(timeout=60)
        no_heartbeat = {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}  # in-process runs cannot vanish
        stack.enter_context(temporary_settings({PREFECT_API_URL: server.api_url},
                                               set_defaults=no_heartbeat))
        stack.enter_context(_temporary_global_settings_context(get_settings_context()))
        try:
            yield url.split("://")[0]
        finally:
            APILogWorker.drain_all(timeout=10)
            EventsWorker.drain_all(timeout=10)
            server.stop()
            if "postgresql" in url:
                drop_database(DATABASE)
            if prior is not None:
                SubprocessASGIServer._instances[None] = prior
            else:
                SubprocessASGIServer._instances.pop(None, None)
