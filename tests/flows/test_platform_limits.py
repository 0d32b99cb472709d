"""Platform calls go through a Prefect global concurrency limit per platform system."""

from __future__ import annotations

import json
import threading
import time
from contextlib import suppress
from datetime import datetime

from prefect import flow
from prefect.client.orchestration import get_client
from prefect.exceptions import ObjectNotFound

from flows import deps
from flows.resolve_contact import resolve_contact
from onetouch.settings import get_settings
from tests.flows.conftest import DATA

CONTACTS = {json.loads(line)["id"]: json.loads(line)
            for line in (DATA / "contacts.jsonl").read_text().splitlines()}


def _limit(name):
    with get_client(sync_client=True) as client:
        return client.read_global_concurrency_limit_by_name(name)


def test_a_paying_contact_takes_the_limits_from_settings_and_frees_the_slot(platform):
    contact = CONTACTS["c-1"]
    platform.admin.set_clock(datetime.fromisoformat(contact["received_at"]))
    assert resolve_contact(contact)["actions"]
    limits = get_settings().platform_limits
    for system in ("payments", "notifications"):
        held = _limit(f"onetouch-platform-{system}")
        assert (held.limit, held.active_slots) == (limits[system], 0)


@flow
def _hold_a_payment_slot(started: threading.Event, release: threading.Event) -> None:
    with deps.guard("payments"):
        started.set()
        release.wait(30)


def test_a_full_limit_makes_the_next_caller_wait(monkeypatch):
    monkeypatch.setenv("ONETOUCH_PLATFORM_LIMITS", json.dumps({"payments": 1}))
    get_settings.cache_clear()
    deps.ensure_limit.cache_clear()
    with get_client(sync_client=True) as client, suppress(ObjectNotFound):
        client.delete_global_concurrency_limit_by_name("onetouch-platform-payments")
    started, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_a_payment_slot, args=(started, release),
                              daemon=True)
    holder.start()
    assert started.wait(30)
    waited = {}

    @flow
    def second() -> None:
        begun = time.monotonic()
        with deps.guard("payments"):
            waited["s"] = time.monotonic() - begun

    threading.Timer(2.0, release.set).start()
    second()
    holder.join(30)
    get_settings.cache_clear()
    deps.ensure_limit.cache_clear()
    assert waited["s"] >= 1.5
