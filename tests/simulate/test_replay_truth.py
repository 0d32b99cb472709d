"""A small simulated day through the real system (replay with detection): every case as the
ground truth says, detection's line exact, nothing overpaid, nothing paid twice."""

from __future__ import annotations

import json

import pytest

from onetouch.replay import run_replay
from simulate import Size, write
from simulate.score import score

SIZE, SEED = Size(drivers=50, stores=15, offers=700), 56  # 23 contacts, every queue


@pytest.mark.heavy  # a simulated day through the real system: 2-4 min
def test_a_simulated_day_replays_exactly_as_the_truth_says(prefect_harness, tmp_path):
    write(SEED, SIZE, tmp_path)
    truth = json.loads((tmp_path / "truth.json").read_text())
    outcomes = run_replay(tmp_path / "world.json", tmp_path / "contacts.jsonl",
                          tmp_path / "outcomes.jsonl", tmp_path / "state.json", detect=True)
    result = score(truth, outcomes, json.loads((tmp_path / "state.json").read_text()))
    assert result["mismatches"] == {}
    assert result["exact"] == result["cases"] == len(truth["contacts"])
    assert result["detection_exact"]
    assert result["overpaid_cents"] == 0 and result["underpaid_cents"] == 0
    assert result["double_payments"] == 0
    assert result["fixed_by_contact"] > 0 and result["proactive_share"] > 0.6
