"""The Prefect server's API behind basic auth, as docs/operations.md's production set-up runs it:
a real `prefect server start` with PREFECT_SERVER_API_AUTH_STRING refuses requests without the
string, answers those with it, and a client with PREFECT_API_AUTH_STRING creates flow runs and sends
events (the intake's path). Plus onetouch.prefect_auth's environment rules."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.events import Event
from prefect.events.clients import PrefectEventsClient
from prefect.events.filters import EventFilter, EventNameFilter
from prefect.exceptions import PrefectHTTPStatusError
from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

from onetouch.prefect_auth import (
    API_KEY,
    CLIENT_SETTING,
    SERVER_SETTING,
    AuthConfigError,
    basic_auth_header,
    client_env,
)
from onetouch.waiting import is_ok, wait_until_answering

AUTH = f"onetouch-admin:{secrets.token_urlsafe(18)}"


@flow(name="auth-check")
def auth_check() -> None:
    """Never run: only its flow runs are created."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """A Prefect server with basic auth on a free port and its own PREFECT_HOME; its URL."""
    home: Path = tmp_path_factory.mktemp("prefect-auth")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")} | {
        "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING", SERVER_SETTING: AUTH}
    log = home / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
             "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        waited = wait_until_answering(f"{url}/api/health", 180, accept=is_ok,
                                      alive=lambda: process.poll() is None)
        assert waited == "answered", f"server {waited}:\n{log.read_text()[-3000:]}"
        yield url
    finally:
        _stop(process)


def _filter_flows(url: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(f"{url}/api/flows/filter", json={}, headers=headers, timeout=10)


@pytest.mark.stack  # starts a Prefect server (10-20 s)
def test_without_the_auth_string_the_api_answers_401(server):
    assert _filter_flows(server).status_code == 401
    assert _filter_flows(server, basic_auth_header("onetouch-admin:wrong")).status_code == 401
    assert _filter_flows(server, {"Authorization": f"Bearer {AUTH}"}).status_code == 401
    assert httpx.get(f"{server}/api/admin/version", timeout=10).status_code == 401
    assert httpx.get(f"{server}/api/health", timeout=10).status_code == 200  # probes stay open


@pytest.mark.stack  # starts a Prefect server (10-20 s)
def test_with_the_auth_string_the_api_answers_and_the_ui_asks_for_it(server):
    answer = _filter_flows(server, basic_auth_header(AUTH))
    assert answer.status_code == 200 and isinstance(answer.json(), list)
    assert httpx.get(f"{server}/ui-settings", timeout=10).json()["auth"] == "BASIC"


@pytest.mark.stack  # starts a Prefect server (10-20 s)
def test_a_client_with_the_auth_string_creates_a_flow_run_and_one_without_cannot(server):
    api = f"{server}/api"
    with temporary_settings({PREFECT_API_URL: api, PREFECT_API_AUTH_STRING: AUTH}), \
            get_client(sync_client=True) as client:
        run = client.create_flow_run(auth_check, name="created-with-auth")
        assert client.read_flow_run(run.id).name == "created-with-auth"
    without = temporary_settings({PREFECT_API_URL: api}, restore_defaults={PREFECT_API_AUTH_STRING})
    with without, pytest.raises(PrefectHTTPStatusError, match="401"), \
            get_client(sync_client=True) as client:
        client.create_flow_run(auth_check, name="created-without-auth")


@pytest.mark.stack  # starts a Prefect server (10-20 s)
def test_events_from_a_client_with_the_auth_string_reach_the_server(server):
    api = f"{server}/api"
    name = f"onetouch.test.auth-{uuid4().hex[:8]}"

    async def emit() -> None:
        async with PrefectEventsClient(api_url=api, reconnection_attempts=0) as events:
            await events.emit(Event(event=name, resource={"prefect.resource.id": "onetouch.t"}))

    with temporary_settings({PREFECT_API_URL: api, PREFECT_API_AUTH_STRING: AUTH}):
        asyncio.run(emit())
        deadline = time.monotonic() + 30
        with get_client(sync_client=True) as client:
            while time.monotonic() < deadline:
                page = client.read_events(filter=EventFilter(event=EventNameFilter(name=[name])),
                                          limit=50)
                if page.events:
                    break
                time.sleep(0.5)
    assert [e.event for e in page.events] == [name]


def test_client_env_derives_the_client_string_and_drops_an_api_key():
    env = client_env({SERVER_SETTING: AUTH, API_KEY: "pnu_cloud", "PATH": "/bin"})
    assert env == {SERVER_SETTING: AUTH, CLIENT_SETTING: AUTH, "PATH": "/bin"}
    assert client_env({CLIENT_SETTING: AUTH}) == {CLIENT_SETTING: AUTH}
    assert client_env({API_KEY: "pnu_cloud"}) == {API_KEY: "pnu_cloud"}  # Prefect Cloud
    with pytest.raises(AuthConfigError, match="differ"):
        client_env({SERVER_SETTING: AUTH, CLIENT_SETTING: "admin:other"})
    assert basic_auth_header("admin:pass") == {"Authorization": "Basic YWRtaW46cGFzcw=="}



@pytest.mark.stack  # starts a Prefect server (10-20 s)
def test_the_stack_asks_for_its_workers_with_the_auth_string(server, monkeypatch):
    from prefect.client.schemas.actions import WorkPoolCreate

    from onetouch.stack_workers import POOL, online_workers

    with temporary_settings({PREFECT_API_URL: f"{server}/api", PREFECT_API_AUTH_STRING: AUTH}), \
            get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name=POOL, type="process"), overwrite=True)
    monkeypatch.delenv(CLIENT_SETTING, raising=False)
    monkeypatch.setenv(SERVER_SETTING, AUTH)
    assert online_workers(f"{server}/api", 0) == set()
    monkeypatch.delenv(SERVER_SETTING)
    with pytest.raises(httpx.HTTPStatusError, match="401"):
        online_workers(f"{server}/api", 0)
