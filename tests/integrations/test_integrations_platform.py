"""The Platform facade built from Settings: base URL, auth, user agent, timeouts, retries."""

from __future__ import annotations

import httpx
import pytest

from integrations import Platform, ServerError
from onetouch.settings import Settings


def _settings(**overrides) -> Settings:
    values = {
        "platform_url": "http://platform.test:8700",
        "platform_api_key": "sk-test",
        "connect_timeout_s": 1.5,
        "read_timeout_s": 4.0,
        "retry_attempts": 4,
        "retry_base_delay_s": 0.2,
        "retry_max_delay_s": 1.0,
        "page_size": 25,
        **overrides,
    }
    return Settings(_env_file=None, **values)


@pytest.mark.parametrize(("key", "expected"), [("sk-test", "Bearer sk-test"), ("", None)])
def test_from_settings_headers(script, reply, key, expected):
    handler = script(reply(200, {"now": "2026-11-20T18:00:00Z"}))
    settings = _settings(platform_api_key=key)
    with Platform.from_settings(settings, transport=httpx.MockTransport(handler)) as platform:
        platform.clock.now()
    request = handler.last
    assert request.headers.get("Authorization") == expected
    assert request.headers["User-Agent"] == "onetouch/0.1"
    assert str(request.url) == "http://platform.test:8700/clock"


def test_from_settings_timeouts_and_retry():
    with Platform.from_settings(_settings(), transport=httpx.MockTransport(lambda r: None)) as p:
        timeout = p.http.client.timeout
        retry = p.http.retry
    assert (timeout.connect, timeout.read, timeout.write, timeout.pool) == (1.5, 4.0, 4.0, 1.5)
    assert (retry.attempts, retry.base_delay_s, retry.max_delay_s) == (4, 0.2, 1.0)


def test_from_settings_uses_page_size_and_retries(script, reply, delays):
    handler = script(reply(503), reply(200, {"items": [], "next_cursor": None}))
    platform = Platform.from_settings(
        _settings(), transport=httpx.MockTransport(handler), sleep=delays.append
    )
    assert list(platform.drivers.list()) == []
    assert handler.last.url.params["limit"] == "25"
    assert len(delays) == 1 and 0.0 <= delays[0] <= 0.2


def test_from_settings_gives_up_after_settings_attempts(script, reply, delays):
    handler = script(reply(503))
    platform = Platform.from_settings(
        _settings(), transport=httpx.MockTransport(handler), sleep=delays.append
    )
    with pytest.raises(ServerError) as caught:
        platform.clock.now()
    assert caught.value.attempts == 4
    assert handler.calls == 4


def test_context_manager_closes_client():
    with Platform.from_settings(_settings(), transport=httpx.MockTransport(lambda r: None)) as p:
        assert not p.http.client.is_closed
    assert p.http.client.is_closed


def test_facade_exposes_every_client(make_platform, script, reply):
    platform = make_platform(script(reply(200, {})))
    names = [
        "drivers",
        "offers",
        "earnings",
        "incentives",
        "payouts",
        "notifications",
        "exports",
        "clock",
        "admin",
    ]
    assert all(getattr(platform, name)._http is platform.http for name in names)


def test_api_key_is_not_in_client_repr():
    with Platform.from_settings(_settings(), transport=httpx.MockTransport(lambda r: None)) as p:
        assert "sk-test" not in repr(p.http.client)
        assert "sk-test" not in repr(p)
