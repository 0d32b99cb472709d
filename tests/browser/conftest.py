"""A real Prefect server with its UI, started for the browser tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from prefect.events.worker import EventsWorker
from prefect.logging.handlers import APILogWorker
from prefect.settings import PREFECT_API_URL, temporary_settings

from onetouch.waiting import is_ok, wait_until_answering

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (./run test installs it as root)")
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = dict(os.environ, PREFECT_HOME=str(tmp_path_factory.mktemp("prefect-home")),
               PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_UI_API_URL=api)
    env.pop("PREFECT_API_URL", None)
    log = (tmp_path_factory.mktemp("server") / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
         "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(api)
        saved = os.environ.get("PREFECT_API_URL")
        os.environ["PREFECT_API_URL"] = api
        with temporary_settings({PREFECT_API_URL: api}):
            yield f"http://127.0.0.1:{port}"
        if saved is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = saved
        EventsWorker.drain_all(timeout=10)
        APILogWorker.drain_all(timeout=10)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _wait_healthy(api: str, timeout: float = 90.0) -> None:
    if wait_until_answering(f"{api}/health", timeout, accept=is_ok, interval=0.5) != "answered":
        raise RuntimeError("the Prefect server did not start")
