"""A simulated day written once per session (the default `city` size, seed 1), and its truth."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from onetouch.cli import app


def simulate(out, *args: str):
    """Run `onetouch simulate` into a folder; the CLI's result."""
    result = CliRunner().invoke(app, ["simulate", "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="session")
def city_day(tmp_path_factory):
    """`onetouch simulate --seed 1` (the city size): (folder, truth)."""
    out = tmp_path_factory.mktemp("city-1")
    simulate(out, "--seed", "1")
    return out, json.loads((out / "truth.json").read_text())
