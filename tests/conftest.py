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


SHARED_DATABASE = {"tests.flows.test_escalations"}  # PostgreSQL's `test` database, reset


def _worker_group(item: pytest.Item) -> str | None:
    """The tests that must share one xdist worker: those of one stack (a chaos stack per
    backend, else per module) or of one fixed database."""
    module = item.module.__name__ if item.module else ""
    if item.get_closest_marker("stack") is not None:
        params = getattr(item, "callspec", None)
        backend = params.params.get("stack") if params else None
        return f"{module.rsplit('.', 1)[0]}-{backend}" if isinstance(backend, str) else module
    return module if module in SHARED_DATABASE else None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Group tests for `--dist loadgroup`: a stack is started once, by one worker."""
    for item in items:
        if group := _worker_group(item):
            item.add_marker(pytest.mark.xdist_group(group))
