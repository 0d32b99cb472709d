"""`onetouch demo` with detection on a schedule, through the real flows: detection at now and
again every interval of the day's clock while contacts arrive, scored against the oracle's
truth for the same schedule — every case exact, nothing overpaid, nothing paid twice."""

from __future__ import annotations

import json
import time

import pytest
from typer.testing import CliRunner

from onetouch.cli import app
from onetouch.demo import run_demo, scorecard_of
from onetouch.replay import run_replay


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def test_a_later_detection_run_fixes_a_late_defect_before_its_contact(tmp_path):
    """Tiny seed 2, detection hourly (12 runs): the tip of ofr-1000202 (grace ends 04:38) is
    paid by the 05:00 run, so its contact at 06:20 is told it is already paid."""
    started = time.perf_counter()
    run = run_demo(tmp_path, size="tiny", seed=2, detect_every=3600, publish=False)
    seconds = time.perf_counter() - started
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert truth["schedule"]["every_s"] == 3600 and truth["schedule"]["runs"] == 12
    a = run.card.accuracy
    print(f"\ndemo tiny seed 2 hourly in {seconds:.0f} s: exact {a.exact}/{a.cases}, "
          f"proactive share {run.card.proactive.value:.1%}")
    assert a.mismatched == () and a.exact == a.cases == 19
    assert a.overpaid_cents == a.underpaid_cents == a.double_payments == 0
    assert a.paid_cents == a.owed_cents > 0
    told = next(o for o in run.outcomes if o["contact_id"] == "c-00006")
    assert told["outcome"] == "resolved" and told["actions"] == []
    state = json.loads((tmp_path / "state.json").read_text())
    tip = [e for e in state["earnings"] if e["offer_id"] == "ofr-1000202" and e["kind"] == "tip"]
    assert [(e["source"], e["created_at"], e["amount_cents"]) for e in tip] == [
        ("proactive", "2026-11-21T05:00:00Z", 250)]
    assert _lines(tmp_path / "outcomes.jsonl")[0]["detection"] == truth["detection"]


@pytest.mark.heavy  # 135 detection runs through Prefect: about 12 minutes
def test_the_demo_runs_detection_every_five_minutes_and_is_exact(tmp_path):
    result = CliRunner().invoke(app, ["demo", "--size", "tiny", "--seed", "38", "--out",
                                      str(tmp_path)])
    assert result.exit_code == 0, result.output
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert truth["schedule"]["every_s"] == 300 and truth["schedule"]["runs"] == 135
    a = scorecard_of(tmp_path, tmp_path / "truth.json").accuracy
    assert a.mismatched == () and a.exact == a.cases == 11
    assert a.overpaid_cents == a.underpaid_cents == a.double_payments == 0
    assert a.truth_proactive_share == 1.0


def test_replay_detects_on_a_schedule_only_with_detect(tmp_path):
    result = CliRunner().invoke(app, ["replay", str(tmp_path / "world.json"), "--out",
                                      str(tmp_path / "out.jsonl"), "--detect-every", "300"])
    assert result.exit_code == 2 and "--detect-every needs --detect" in result.output
    with pytest.raises(ValueError, match="detect=True"):
        run_replay(tmp_path / "world.json", None, tmp_path / "out.jsonl", detect_every_s=300)
