"""Security tests: the ones running flows share one Prefect test harness (started on first use)."""

from __future__ import annotations

import pytest

from onetouch.inputs import load_world
from onetouch.replay import embedded_platform
from tests.security.personal_data import ROOT

DATA = ROOT / "tests" / "data"


@pytest.fixture
def platform(prefect_harness, fresh_platform_limits, tmp_path):
    """The example world in a fresh sandbox, the flows' settings pointing at it."""
    with embedded_platform(load_world(DATA / "world.json"), tmp_path) as platform:
        yield platform
