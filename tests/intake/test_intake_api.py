"""The intake API: only signed, fresh, unseen requests; a valid contact is stored before 202."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from onetouch.casestore import CaseStore
from onetouch.intake.app import create_app
from onetouch.intake.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    read_headers,
    signed_headers,
)
from onetouch.models import utc_now
from onetouch.settings import Settings

SECRET = "test-intake-secret"
CONTACT = {"id": "c-100", "driver_id": "drv-1001", "channel": "chat",
           "received_at": "2026-11-20T18:00:00Z", "text": "where is my tip for ofr-1"}


@pytest.fixture
def intake(tmp_path):
    store = CaseStore(f"sqlite:///{tmp_path / 'cases.db'}")
    handed: list[dict] = []
    settings = Settings(intake_secret=SecretStr(SECRET), case_store_url="sqlite://")
    client = TestClient(create_app(settings, store, dispatch=handed.append))
    return client, store, handed


def post(client, body: dict | bytes, *, secret=SECRET, at=None, headers=None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    sent = headers if headers is not None else signed_headers(secret, at or int(time.time()), raw)
    return client.post("/contacts", content=raw,
                       headers={"Content-Type": "application/json", **sent})


def read_case(client, case_id: str, secret: str = SECRET):
    path = f"/cases/{case_id}"
    return client.get(path, headers=read_headers(secret, int(time.time()), path))


def test_a_signed_contact_is_stored_then_handed_on_with_its_case_id(intake):
    client, store, handed = intake
    answer = post(client, CONTACT)
    assert answer.status_code == 202
    assert answer.json() == {"case_id": "case-c-100", "status": "received"}
    assert handed == [CONTACT]
    assert read_case(client, "case-c-100").json()["status"] == "received"
    assert store.stranded_contacts(utc_now() - timedelta(seconds=60)) == []


@pytest.mark.parametrize(("case", "message"), [
    ("unsigned", "unsigned"),
    ("wrong", "wrong signature"),
    ("stale", "stale"),
    ("future", "stale"),
    ("garbled_time", "not a Unix time"),
])
def test_bad_signatures_are_refused_and_nothing_is_stored(intake, case, message):
    client, store, handed = intake
    now = int(time.time())
    raw = json.dumps(CONTACT).encode()
    headers = {
        "unsigned": {},
        "wrong": signed_headers("another-secret", now, raw),
        "stale": signed_headers(SECRET, now - 301, raw),
        "future": signed_headers(SECRET, now + 301, raw),
        "garbled_time": {TIMESTAMP_HEADER: "soon", SIGNATURE_HEADER: "v1=00"},
    }[case]
    answer = post(client, raw, headers=headers)
    assert answer.status_code == 401
    assert message in answer.json()["error"]["message"]
    assert handed == [] and store.case_status("case-c-100") is None


def test_a_replayed_request_is_refused(intake):
    client, _, handed = intake
    raw = json.dumps(CONTACT).encode()
    headers = signed_headers(SECRET, int(time.time()), raw)
    assert post(client, raw, headers=headers).status_code == 202
    again = post(client, raw, headers=headers)
    assert again.status_code == 401 and "replayed" in again.json()["error"]["message"]
    assert len(handed) == 1


def test_a_body_changed_after_signing_is_refused(intake):
    client, _, _ = intake
    raw = json.dumps(CONTACT).encode()
    headers = signed_headers(SECRET, int(time.time()), raw)
    tampered = raw.replace(b"drv-1001", b"drv-1002")
    assert post(client, tampered, headers=headers).status_code == 401


@pytest.mark.parametrize(("body", "status", "field"), [
    (CONTACT | {"channel": "fax"}, 422, "channel"),
    ({k: v for k, v in CONTACT.items() if k != "driver_id"}, 422, "driver_id"),
    (CONTACT | {"received_at": "yesterday"}, 422, "received_at"),
    (CONTACT | {"text": "x" * 10_001}, 422, "text"),
    (CONTACT | {"amount": 5000}, 422, "amount"),
    ([CONTACT], 422, "contact"),
])
def test_invalid_contacts_name_the_field(intake, body, status, field):
    client, store, handed = intake
    answer = post(client, body)
    assert answer.status_code == status
    assert answer.json()["error"]["field"] == field
    assert handed == [] and store.case_status("case-c-100") is None


def test_a_body_that_is_not_json_is_a_400(intake):
    client, _, _ = intake
    answer = post(client, b"{not json")
    assert answer.status_code == 400 and "not JSON" in answer.json()["error"]["message"]


def test_the_same_contact_twice_is_stored_and_handed_on_once(intake):
    client, _, handed = intake
    now = int(time.time())
    assert post(client, CONTACT, at=now - 1).status_code == 202
    again = post(client, CONTACT, at=now)
    assert again.status_code == 200 and again.json() == {"case_id": "case-c-100",
                                                          "duplicate": True}
    assert len(handed) == 1


def test_a_lost_hand_off_keeps_the_contact_for_the_sweep(tmp_path):
    store = CaseStore(f"sqlite:///{tmp_path / 'cases.db'}")

    def server_down(raw):
        raise ConnectionError("prefect is down")

    settings = Settings(intake_secret=SecretStr(SECRET))
    client = TestClient(create_app(settings, store, dispatch=server_down))
    assert post(client, CONTACT).status_code == 202
    assert [s.raw for s in store.stranded_contacts(utc_now())] == [CONTACT]


def test_an_intake_without_a_secret_refuses_everything(tmp_path):
    store = CaseStore(f"sqlite:///{tmp_path / 'cases.db'}")
    client = TestClient(create_app(Settings(), store, dispatch=lambda raw: None))
    answer = post(client, CONTACT, secret="")
    assert answer.status_code == 401 and "no signing secret" in answer.json()["error"]["message"]


def test_an_unknown_case_is_a_404(intake):
    client, _, _ = intake
    assert read_case(client, "case-nope").status_code == 404
