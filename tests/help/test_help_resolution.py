"""An owed remediation asked about in the app is paid once, by the resolve-contact flow."""

from __future__ import annotations

import os
import time

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from onetouch.casestore import CaseStore
from onetouch.intake.app import create_app
from onetouch.intake.signing import read_headers
from onetouch.replay import embedded_platform
from onetouch.settings import get_settings
from tests.help.conftest import SECRET, signed_get


@pytest.fixture(autouse=True)
def _on_the_prefect_harness(prefect_harness, fresh_platform_limits):
    """The flow runs on the session's Prefect server."""


@pytest.fixture
def stack(tmp_path, world):
    """The intake app (help included) and a served sandbox, as `onetouch up` wires them."""
    with embedded_platform(world, tmp_path) as platform:
        store = CaseStore(os.environ["ONETOUCH_CASE_STORE_URL"])
        dispatched: list[dict] = []
        settings = get_settings().model_copy(update={"intake_secret": SecretStr(SECRET)})
        client = TestClient(create_app(settings, store, dispatch=dispatched.append))
        yield client, platform, dispatched


def _remediations(platform, driver_id):
    return [(e.kind, e.amount_cents, e.idempotency_key, e.source)
            for e in platform.earnings.list(driver_id=driver_id) if e.source != "platform"]


@pytest.mark.parametrize(("query", "paid", "told"), [
    ({"driver_id": "drv-owed", "screen": "tip"},
     ("tip", 400, "drv-owed/ofr-short/tip", "contact"), "We already paid $4.00 tip"),
    ({"driver_id": "drv-can", "screen": "cancelled", "offer_id": "ofr-can"},
     ("cancellation", 900, "drv-can/ofr-can/cancellation", "contact"),
     "Ya pagamos $9.00 de pago por cancelación"),
])
def test_asked_twice_resolved_twice_paid_once(stack, query, paid, told):
    from flows.resolve_contact import resolve_contact

    client, platform, dispatched = stack
    first = signed_get(client, query).json()
    second = signed_get(client, query).json()
    case_id = first["resolution"]["case_id"]
    assert second["resolution"] == first["resolution"] | {"status": "already_started"}
    assert len(dispatched) == 1
    contact_id = dispatched[0]["id"]
    outcome = resolve_contact({"id": contact_id})
    again = resolve_contact({"id": contact_id})
    assert outcome["outcome"] == "resolved" and outcome["case_id"] == case_id
    assert again == outcome
    assert _remediations(platform, query["driver_id"]) == [paid]
    replies = list(platform.notifications.list(driver_id=query["driver_id"]))
    assert [(n.channel, n.reference) for n in replies] == [("in_app", case_id)]
    after = signed_get(client, query).json()
    assert after["owed"] == [] and after["resolution"] is None
    assert told in after["answer"]
    path = f"/cases/{case_id}"
    assert client.get(path, headers=read_headers(SECRET, int(time.time()), path)).json()[
        "status"] == "resolved"
    assert len(dispatched) == 1
