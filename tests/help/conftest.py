"""The help API over an in-process sandbox loaded with the help world; GET /help signed."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from integrations import Platform, PlatformHttp
from onetouch.casestore import CaseStore
from onetouch.help.api import help_router
from onetouch.intake.signing import signed_query
from onetouch.settings import Settings
from sandbox import create_app as create_sandbox
from tests.help.world import help_world

SECRET = "test-help-secret"


def signed_get(client: TestClient, params: dict[str, str], *, secret: str = SECRET,
               at: int | None = None, send: dict[str, str] | None = None) -> httpx.Response:
    """GET /help as the app's backend sends it: the query string signed, then sent unchanged
    (`send`: other parameters sent under the same signature)."""
    query, headers = signed_query(secret, at or int(time.time()), params)
    sent = query if send is None else urlencode(send)
    return client.get(f"/help?{sent}", headers=headers)


@pytest.fixture(scope="session")
def world():
    return help_world()


@pytest.fixture
def platform_calls() -> list[str]:
    """The path of every request sent to the sandbox once its world is loaded."""
    return []


@pytest.fixture
def sandbox_platform(tmp_path: Path, world, platform_calls):
    """A Platform client over an in-process sandbox holding the help world."""
    sandbox = TestClient(create_sandbox(tmp_path / "sandbox.db"))
    with sandbox:
        platform = Platform(PlatformHttp(sandbox))
        platform.admin.load_world(world)
        sandbox.event_hooks = {"request": [lambda req: platform_calls.append(req.url.path)]}
        yield platform


@pytest.fixture
def help_app(tmp_path: Path, sandbox_platform):
    """(client, dispatched contacts, case store) for a help app over the sandbox."""
    store = CaseStore(f"sqlite:///{tmp_path / 'cases.db'}")
    dispatched: list[dict] = []
    app = FastAPI()
    settings = Settings(case_store_url="sqlite://", intake_secret=SecretStr(SECRET))
    app.include_router(help_router(settings, store, dispatched.append, platform=sandbox_platform))
    return TestClient(app), dispatched, store


@pytest.fixture
def ask(help_app):
    """Signed GET /help with these query parameters; the JSON answer (status 200 checked)."""
    client = help_app[0]

    def get(**params):
        response = signed_get(client, params)
        assert response.status_code == 200, response.text
        return response.json()
    return get


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """An app served by uvicorn on a free local port, in a thread: its base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)
