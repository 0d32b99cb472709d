"""New escalations and breached answer times reach the agents' queues (Apprise, local receiver)."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from flows import deps
from flows.agent_queues import check_escalation_slas
from flows.resolve_contact import resolve_contact
from onetouch.settings import get_settings
from tests.flows.conftest import DATA

CONTACTS = {json.loads(line)["id"]: json.loads(line)
            for line in (DATA / "contacts.jsonl").read_text().splitlines()}


@pytest.fixture
def receiver(monkeypatch):
    """A local webhook that keeps every message posted to it."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length", 0))
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    urls = {"trust-safety": [f"json://127.0.0.1:{server.server_port}/safety"]}
    monkeypatch.setenv("ONETOUCH_QUEUE_NOTIFY_URLS", json.dumps(urls))
    get_settings.cache_clear()
    yield received
    server.shutdown()
    get_settings.cache_clear()


def test_new_escalation_and_its_breach_are_announced_once(platform, receiver):
    contact = CONTACTS["c-18"]
    received_at = datetime.fromisoformat(contact["received_at"])
    platform.admin.set_clock(received_at)
    resolve_contact(contact)
    resolve_contact(CONTACTS["c-17"] | {"received_at": contact["received_at"]})
    assert [m["title"] for m in receiver] == ["[trust-safety] esc-c-18"]
    assert "+1615" not in receiver[0]["message"]
    assert check_escalation_slas() == []
    platform.admin.set_clock(received_at + timedelta(hours=1, minutes=5))
    breached = check_escalation_slas()
    assert [e["id"] for e in breached] == ["esc-c-18"]
    assert check_escalation_slas() == []
    assert len(receiver) == 2 and "SLA BREACHED" in receiver[1]["message"]
    trail = [a["action"] for a in deps.case_store().audit_trail("case-c-18")]
    assert trail.count("sla_breached") == 1
