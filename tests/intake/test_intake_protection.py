"""The intake protected and bounded: cases read only by a signed request or an agent, ids in a
safe charset, errors that never echo unbounded input, and rate limits (429 with Retry-After)
per sender and per driver."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError

from onetouch.casestore import CaseStore
from onetouch.intake.app import create_app
from onetouch.intake.signing import read_headers, signed_headers, signed_query
from onetouch.settings import Settings
from tests.help.conftest import serving

SECRET = "protection-secret"
AGENT = "agent-token-for-tests"
CONTACT = {"id": "c-200", "driver_id": "drv-1001", "channel": "chat",
           "received_at": "2026-11-20T18:00:00Z", "text": "where is my tip for ofr-1"}


def _app(tmp_path, **limits):
    settings = Settings(intake_secret=SecretStr(SECRET), agent_token=SecretStr(AGENT),
                        case_store_url="sqlite://", **limits)
    handed: list[dict] = []
    return create_app(settings, CaseStore(f"sqlite:///{tmp_path / 'cases.db'}"),
                      dispatch=handed.append), handed


def _post(client, contact):
    body = json.dumps(contact).encode()
    return client.post("/contacts", content=body, headers={
        "Content-Type": "application/json", **signed_headers(SECRET, int(time.time()), body)})


@pytest.fixture
def client(tmp_path):
    app, _ = _app(tmp_path)
    client = TestClient(app)
    assert _post(client, CONTACT).status_code == 202
    return client


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic " + AGENT},
    read_headers("another-secret", int(time.time()), "/cases/case-c-200"),
    read_headers(SECRET, int(time.time()), "/cases/case-c-other"),
    read_headers(SECRET, int(time.time()) - 3600, "/cases/case-c-200"),
])
def test_a_case_is_not_read_without_a_signature_or_the_agents_token(client, headers):
    answer = client.get("/cases/case-c-200", headers=headers)
    assert answer.status_code == 401
    assert "tip" not in answer.text and "drv-1001" not in answer.text


def test_a_case_is_read_with_a_signature_over_its_path_or_the_agents_token(client):
    signed = client.get("/cases/case-c-200",
                        headers=read_headers(SECRET, int(time.time()), "/cases/case-c-200"))
    agent = client.get("/cases/case-c-200", headers={"Authorization": f"Bearer {AGENT}"})
    assert signed.status_code == agent.status_code == 200
    assert signed.json()["status"] == agent.json()["status"] == "received"


def test_a_missing_case_is_named_in_a_bounded_answer(client):
    case_id = "x" * 60_000
    answer = client.get(f"/cases/{case_id}", headers={"Authorization": f"Bearer {AGENT}"})
    assert answer.status_code == 404
    assert len(answer.text) < 400 and "60000 characters" in answer.text


@pytest.mark.parametrize(("field", "value"), [
    ("id", "../../etc/passwd"), ("id", "c/1"), ("id", "c 1"), ("id", "c-1\n"), ("id", "x" * 129),
    ("id", "-c"), ("id", "c-é"), ("driver_id", "drv/1"), ("offer_id", ".."),
    ("offer_id", "ofr-1?x=1"),
])
def test_an_id_outside_the_safe_charset_is_refused_naming_the_rule(client, field, value):
    answer = _post(client, CONTACT | {"id": "c-201", field: value})
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["field"] == field and "letters, digits" in error["message"]
    assert len(answer.text) < 400


def test_a_help_question_with_control_characters_is_refused(tmp_path):
    app, _ = _app(tmp_path)
    query, headers = signed_query(SECRET, int(time.time()),
                                  {"driver_id": "drv-1001", "q": "where is my tip\x1b[2J"})
    answer = TestClient(app).get(f"/help?{query}", headers=headers)
    assert answer.status_code == 422 and answer.json()["error"]["field"] == "q"


def test_past_a_senders_limit_it_gets_429_with_retry_after_and_others_are_served(tmp_path):
    app, handed = _app(tmp_path, rate_limit_per_sender="3/minute")
    hot, other = TestClient(app), TestClient(app, client=("10.0.0.9", 4000))
    answers = [_post(hot, CONTACT | {"id": f"c-s{i}"}).status_code for i in range(5)]
    assert answers == [202, 202, 202, 429, 429]
    refused = _post(hot, CONTACT | {"id": "c-s9"})
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["error"]["code"] == "rate_limited"
    assert _post(other, CONTACT | {"id": "c-s10"}).status_code == 202
    assert [c["id"] for c in handed] == ["c-s0", "c-s1", "c-s2", "c-s10"]


def test_past_a_drivers_limit_on_a_real_socket_only_that_driver_waits(tmp_path):
    """A bounded burst on 127.0.0.1: one driver's 20 contacts and 20 other drivers' one each,
    at once; the hot driver gets 429s past its limit, every other driver's contact is taken."""
    app, handed = _app(tmp_path, rate_limit_per_driver="5/minute")
    hot = [CONTACT | {"id": f"c-hot{i}"} for i in range(20)]
    cool = [CONTACT | {"id": f"c-cool{i}", "driver_id": f"drv-2{i:03d}"} for i in range(20)]
    with (serving(app) as url, httpx.Client(base_url=url, timeout=10) as http,
          ThreadPoolExecutor(8) as pool):
        codes = dict(zip([c["id"] for c in hot + cool],
                         pool.map(lambda c: _post(http, c).status_code, hot + cool), strict=True))
    assert sorted(codes[c["id"]] for c in hot) == [202] * 5 + [429] * 15
    assert all(codes[c["id"]] == 202 for c in cool)
    assert len(handed) == 25


def test_a_rate_that_is_not_one_fails_at_start():
    with pytest.raises(ValidationError, match="not a rate"):
        Settings(rate_limit_per_driver="lots")
