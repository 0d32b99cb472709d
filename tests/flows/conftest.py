"""Flows run under one Prefect test harness, against a real sandbox per test."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from onetouch.inputs import load_world
from onetouch.replay import embedded_platform, run_replay
from onetouch.settings import get_settings

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(autouse=True)
def _flows_share_one_harness(prefect_harness, fresh_platform_limits):
    """Every flow test on the session's Prefect server, with fresh platform limits."""


@pytest.fixture(scope="session")
def example_world():
    return load_world(DATA / "world.json")


@pytest.fixture
def fast_retries(monkeypatch):
    monkeypatch.setenv("ONETOUCH_RETRY_BASE_DELAY_S", "0.01")
    monkeypatch.setenv("ONETOUCH_RETRY_MAX_DELAY_S", "0.05")
    monkeypatch.setenv("ONETOUCH_RETRY_ATTEMPTS", "12")
    monkeypatch.setenv("ONETOUCH_READ_TIMEOUT_S", "0.5")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def platform(example_world, tmp_path):
    with embedded_platform(example_world, tmp_path) as platform:
        yield platform


@pytest.fixture(scope="session")
def examples_replay(tmp_path_factory):
    """The examples replayed once a session (no faults), its databases kept: (folder, outcomes).

    Tests that change what it kept must copy the folder first."""
    out = tmp_path_factory.mktemp("examples-replay")
    outcomes = run_replay(DATA / "world.json", DATA / "contacts.jsonl", out / "outcomes.jsonl",
                          out / "state.json", keep=out / "run")
    return out, outcomes


@pytest.fixture
def pay_review_queue(monkeypatch):
    """A local webhook as the pay-review queue's channel: the messages it received."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("ONETOUCH_QUEUE_NOTIFY_URLS", json.dumps(
        {"pay-review": [f"json://127.0.0.1:{server.server_port}/pay-review"]}))
    get_settings.cache_clear()
    yield received
    server.shutdown()
    get_settings.cache_clear()
