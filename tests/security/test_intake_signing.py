"""The intake's HMAC check, one property per test, beyond tests/intake (which covers unsigned,
wrong secret, stale and future by 301 s, a garbled time, a tampered body and one replay) and
tests/fuzz (hostile headers and bodies): constant-time comparison, the window's exact edges
both ways, the timestamp bound into the MAC, canonical timestamps only, and replay protection
that lasts as long as a request's timestamp is acceptable."""

from __future__ import annotations

import hmac
import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from onetouch.casestore import CaseStore
from onetouch.intake import signing
from onetouch.intake.app import create_app
from onetouch.intake.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureRejected,
    signature,
    signed_headers,
    verify,
)
from onetouch.models import utc_now
from onetouch.settings import Settings

SECRET = "security-test-secret"
NOW = 1_795_000_000
SKEW = 300
BODY = json.dumps({"id": "c-sec", "driver_id": "drv-1001", "channel": "chat",
                   "received_at": "2026-11-20T18:00:00Z", "text": "tip?"}).encode()


def check(timestamp: str | None, given: str | None, body: bytes = BODY, now: float = NOW) -> int:
    return verify(SECRET, timestamp, given, body, now, SKEW)


def test_the_signature_is_compared_in_constant_time(monkeypatch):
    calls = []
    compare = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return compare(a, b)

    monkeypatch.setattr(signing.hmac, "compare_digest", spy)
    good = signature(SECRET, NOW, BODY)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert check(str(NOW), good) == NOW
    with pytest.raises(SignatureRejected, match="wrong signature"):
        check(str(NOW), bad)
    assert calls == [(good.encode(), good.encode()), (good.encode(), bad.encode())]


@pytest.mark.parametrize(("offset", "accepted"), [
    (-SKEW, True), (SKEW, True), (-SKEW - 1, False), (SKEW + 1, False), (0, True)])
def test_the_window_is_max_skew_both_ways_inclusive(offset, accepted):
    sent = NOW + offset
    if accepted:
        assert check(str(sent), signature(SECRET, sent, BODY)) == sent
    else:
        with pytest.raises(SignatureRejected, match="stale"):
            check(str(sent), signature(SECRET, sent, BODY))


def test_the_timestamp_is_inside_the_mac():
    """An old signed request sent again with a fresh timestamp is refused."""
    old = NOW - 3600
    with pytest.raises(SignatureRejected, match="wrong signature"):
        check(str(NOW), signature(SECRET, old, BODY))


@pytest.mark.parametrize("written", [f"+{NOW}", f" {NOW}", f"{NOW} ", f"0{NOW}", f"{NOW}.0",
                                     f"{NOW:_}", "١٧٩٥٠٠٠٠٠٠", f"{NOW}\n", "-5", "0",
                                     "9" * 13])
def test_only_a_canonical_unix_time_is_accepted(written):
    """Each of these names the same second as the MAC's canonical digits (or no second at
    all): only one way to write a timestamp is accepted."""
    with pytest.raises(SignatureRejected, match="not a Unix time"):
        check(written, signature(SECRET, NOW, BODY))


def test_a_recased_signature_does_not_verify():
    """The replay store keys on the signature as sent; a variant of it must not verify."""
    good = signature(SECRET, NOW, BODY)
    for variant in (good.upper(), good.replace("v1=", "V1="), f" {good}", f"{good} "):
        with pytest.raises(SignatureRejected, match="wrong signature"):
            check(str(NOW), variant)


def test_a_signature_is_remembered_for_as_long_as_its_timestamp_is_accepted(tmp_path):
    """A request can first arrive at its timestamp - skew and be replayed until + skew: its
    signature is kept 2 x skew after it was seen, and pruning never forgets it sooner."""
    store = CaseStore(f"sqlite:///{tmp_path / 'cases.db'}")
    seen = utc_now()
    assert store.remember_signature("abc", seen, SKEW)
    last_acceptable = seen + timedelta(seconds=2 * SKEW - 1)
    assert store.remember_signature("prune-now", last_acceptable, SKEW)  # prunes older ones
    assert not store.remember_signature("abc", last_acceptable, SKEW)


@pytest.fixture
def intake(tmp_path):
    clock = {"now": float(NOW)}
    store = CaseStore(f"sqlite:///{tmp_path / 'cases.db'}")
    handed: list[dict] = []
    settings = Settings(intake_secret=SecretStr(SECRET), intake_max_skew_s=SKEW)
    client = TestClient(create_app(settings, store, dispatch=handed.append,
                                   clock=lambda: clock["now"]))
    return client, clock, handed


def test_a_replay_is_refused_inside_the_window_and_after_it(intake):
    client, clock, handed = intake
    headers = signed_headers(SECRET, NOW, BODY) | {"Content-Type": "application/json"}
    assert client.post("/contacts", content=BODY, headers=headers).status_code == 202
    clock["now"] = NOW + SKEW  # the last second the timestamp is accepted
    again = client.post("/contacts", content=BODY, headers=headers)
    assert again.status_code == 401 and "replayed" in again.json()["error"]["message"]
    clock["now"] = NOW + SKEW + 1  # afterwards the timestamp itself refuses it
    late = client.post("/contacts", content=BODY, headers=headers)
    assert late.status_code == 401 and "stale" in late.json()["error"]["message"]
    assert len(handed) == 1


def test_refusals_say_why_without_echoing_the_expected_signature(intake):
    client, _, _ = intake
    wrong = {TIMESTAMP_HEADER: str(NOW), SIGNATURE_HEADER: "v1=" + "0" * 64}
    answer = client.post("/contacts", content=BODY, headers=wrong)
    assert answer.status_code == 401
    assert signature(SECRET, NOW, BODY).removeprefix("v1=") not in answer.text
