"""Test-wide environment: a project-local Prefect home, no analytics."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("PREFECT_HOME", str(ROOT / ".prefect-test"))
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory):
    """One Prefect server for the whole session (PostgreSQL when it answers): every in-process
    flow talks to it."""
    from tests.harness import prefect_server

    with prefect_server(str(tmp_path_factory.mktemp("prefect-server"))) as dialect:
        yield dialect


@pytest.fixture
def fresh_platform_limits(prefect_harness):
    """The platform's concurrency limits deleted after the test, so a slot a failed test left
    taken cannot hold up the next one (a caller still waiting then fails instead of hanging)."""
    yield
    from prefect.client.orchestration import get_client

    from flows.deps import LIMIT_PREFIX, ensure_limit

    with get_client(sync_client=True) as client:
        for limit in client.read_global_concurrency_limits(limit=200):
            if limit.name.startswith(LIMIT_PREFIX):
                client.delete_global_concurrency_limit_by_name(limit.name)
    ensure_limit.cache_clear()
