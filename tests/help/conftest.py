"""The help API over an in-process sandbox loaded with the help world."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from integrations import Platform, PlatformHttp
from onetouch.casestore import CaseStore
from onetouch.help import help_router
from onetouch.settings import Settings
from sandbox import create_app as create_sandbox
from tests.help.world import help_world


@pytest.fixture(scope="session")
def world():
    return help_world()


@pytest.fixture
def sandbox_platform(tmp_path: Path, world):
    """A Platform client over an in-process sandbox holding the help world."""
    sandbox = TestClient(create_sandbox(tmp_path / "sandbox.db"))
    with sandbox:
        platform = Platform(PlatformHttp(sandbox))
        platform.admin.load_world(world)
        yield platform


@pytest.fixture
def help_app(tmp_path: Path, sandbox_platform):
    """(client, dispatched contacts, case store) for a help app over the sandbox."""
    store = CaseStore(f"sqlite:///{tmp_path / 'cases.db'}")
    dispatched: list[dict] = []
    app = FastAPI()
    app.include_router(help_router(Settings(case_store_url="sqlite://"), store,
                                   dispatched.append, platform=sandbox_platform))
    return TestClient(app), dispatched, store


@pytest.fixture
def ask(help_app):
    """GET /help with these query parameters; the JSON answer (status 200 checked)."""
    client = help_app[0]

    def get(**params):
        response = client.get("/help", params=params)
        assert response.status_code == 200, response.text
        return response.json()
    return get
