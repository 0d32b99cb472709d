"""The examples' replay while the sandbox fails 20% of action calls with 5xx, hangs 5% past the
client's timeout and adds latency: the same outcomes as the calm run, every owed remediation
exactly once, one reply per case, the same audit trail."""

from __future__ import annotations

import json
import logging
from collections import Counter

import pytest
import sqlalchemy as sa

from flows import deps
from onetouch.casestore.tables import audit_log
from onetouch.replay import run_replay
from tests.flows.conftest import DATA
from tests.pg import fresh_database

ACTIONS = ("POST /pay-adjustments", "POST /offers/{offer_id}/reissue",
           "POST /deposits/{deposit_id}/retry", "POST /notifications")
CHAOS = {"seed": 11, "routes": {route: {"error_rate": 0.20, "timeout_rate": 0.05,
                                        "hang_seconds": 1.0, "latency_ms": 20}
                                for route in ACTIONS}}


def _replay(out, faults, url):
    outcomes = run_replay(DATA / "world.json", DATA / "contacts.jsonl", out / "outcomes.jsonl",
                          out / "state.json", faults=faults, case_store_url=url)
    return outcomes, json.loads((out / "state.json").read_text())


def _comparable(outcome):
    return {k: outcome[k] for k in ("contact_id", "outcome", "intent", "queue")} | {
        "actions": sorted((a["type"], a.get("kind"), a["subject_id"], a.get("amount_cents"))
                          for a in outcome["actions"])}


def _paid(state):
    return Counter((e["driver_id"], e["kind"], e["offer_id"] or e["incentive_id"],
                    e["amount_cents"]) for e in state["earnings"] if e["source"] != "platform")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'chaos.db'}"
    deps._store_for.cache_clear()
    return fresh_database("onetouch_chaos")


def test_replay_under_faults_pays_and_replies_exactly_once(tmp_path, examples_replay, store_url,
                                                          fast_retries, caplog):
    calm_out, calm = examples_replay
    calm_state = json.loads((calm_out / "state.json").read_text())
    with caplog.at_level(logging.WARNING, logger="integrations"):
        chaos, state = _replay(tmp_path, CHAOS, store_url)
    retries = sum("retrying" in r.getMessage() for r in caplog.records)
    keys = Counter(e["idempotency_key"] for e in state["earnings"] if e["idempotency_key"])
    duplicates = sum(n - 1 for n in keys.values())
    lost = len(set(_paid(calm_state)) - set(_paid(state)))
    replies = _replies(state)
    print(f"\nchaos replay: contacts={len(chaos)} faults={state['faults_injected']} "
          f"retries={retries} duplicates={duplicates} lost={lost}")
    assert state["faults_injected"]["error"] >= 5 and state["faults_injected"]["timeout"] >= 1
    assert retries >= state["faults_injected"]["error"]
    assert [_comparable(o) for o in chaos] == [_comparable(o) for o in calm]
    assert _paid(state) == _paid(calm_state) and duplicates == 0 and lost == 0
    assert replies == _replies(calm_state) and set(replies.values()) == {1}
    trail = _audit(store_url)
    assert trail == _audit(f"sqlite:///{calm_out / 'run' / 'cases.db'}")
    assert Counter(case for action, case, _ in trail.elements() if action == "case_recorded"
                   ) == Counter(o["case_id"] for o in chaos if o["case_id"])


def _replies(state):
    return Counter((n["driver_id"], n["reference"]) for n in state["notifications"])


def _audit(url):
    """What the audit log holds, without times and ids: (action, case, amount) counted."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log.c.action, audit_log.c.case_id,
                                      audit_log.c.amount_cents)).all()
    engine.dispose()
    return Counter(tuple(row) for row in rows)
