"""Flows run under one Prefect test harness, against a real sandbox per test."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect.testing.utilities import prefect_test_harness

from onetouch.inputs import load_world
from onetouch.replay import embedded_platform
from onetouch.settings import get_settings

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="session", autouse=True)
def prefect_harness():
    with prefect_test_harness(server_startup_timeout=60):
        yield


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
