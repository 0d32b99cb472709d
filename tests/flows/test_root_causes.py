"""The root-causes flow on a simulated day served by the sandbox: the report read through the
platform ranks the injected incidents first, and its artifacts are published."""

from __future__ import annotations

import json
from datetime import date

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.client.schemas.sorting import ArtifactSort
from sqlalchemy import create_engine
from typer.testing import CliRunner

from flows import deps
from flows.root_causes import root_causes
from onetouch.cli import app
from onetouch.models import World
from onetouch.replay import embedded_platform
from onetouch.rootcause import build_report
from policy.config import PolicyConfig
from tests.rootcause.simday import record_day, simulated_day


def _artifact(key):
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=[key])), sort=ArtifactSort.CREATED_DESC)
    return found[0]


def test_the_flow_publishes_the_days_root_causes(tmp_path):
    world, truth, raws = simulated_day(tmp_path / "day")
    with embedded_platform(World.model_validate(world), tmp_path):
        record_day(deps.case_store(), truth, raws)
        result = root_causes(day=date(2026, 11, 21))
    incidents = {i["id"] for i in truth["detection"]["incidents"]}
    assert set(result["top"]) == incidents
    assert result["contacts"] == len(raws) and result["preventable"] > 0
    text = _artifact("root-causes").data
    assert "contacts detection could have prevented" in text
    assert all(i in text for i in incidents) and "segment part_time" in text
    rows = _artifact("root-causes-table").data
    assert "inc-" in str(rows)


def test_on_a_day_run_through_the_real_flows_the_incidents_rank_first(tmp_path):
    """`onetouch demo --size tiny` runs detection and every contact through Prefect; the report
    over the case store it wrote puts the day's incidents first."""
    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--size", "tiny", "--seed", "38", "--out",
                                      str(out), "--detect-every", "0"])
    assert result.exit_code == 0, result.output
    truth = json.loads((out / "truth.json").read_text())
    engine = create_engine(f"sqlite:///{out / 'run' / 'cases.db'}")
    try:
        report = build_report(engine, policy=PolicyConfig(),
                              state=json.loads((out / "state.json").read_text()))
    finally:
        engine.dispose()
    incidents = {i["id"] for i in truth["detection"]["incidents"]}
    ranked = [line.name for line in report.groups["cause"]]
    assert incidents and set(ranked[:len(incidents)]) == incidents
    linked = sum(1 for c in truth["contacts"] if c["incident_id"])
    assert report.contacts == len(truth["contacts"])
    assert report.preventable.part >= linked and report.repeat.whole == report.contacts
