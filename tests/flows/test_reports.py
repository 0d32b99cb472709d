"""`onetouch demo` on a tiny simulated day, end to end: its scorecard read from the case store
the flows wrote, against the day's ground truth; the loader against that store; and the
daily-report flow's artifacts read back from the Prefect API."""

from __future__ import annotations

import json
import shutil
import time
from datetime import UTC, date, datetime

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.client.schemas.sorting import ArtifactSort
from sqlalchemy import create_engine
from typer.testing import CliRunner

from flows.reports import daily_report
from onetouch.casestore import CaseStore
from onetouch.cli import app
from onetouch.demo import scorecard_of
from onetouch.outcomes import ContactOutcome, SentReply
from onetouch.scorecard.load import load_rows
from onetouch.scorecard.models import Period
from onetouch.settings import get_settings
from sandbox.server import SandboxServer

SIZE, SEED = "tiny", "38"  # 11 contacts; detection finds 20 defects (2 incidents), 1 is a contact's


@pytest.fixture(scope="module")
def demo_day(tmp_path_factory):
    """`onetouch demo --size tiny --seed 38`: (folder, what it printed, seconds)."""
    out = tmp_path_factory.mktemp("demo")
    started = time.perf_counter()
    result = CliRunner().invoke(app, ["demo", "--size", SIZE, "--seed", SEED, "--out", str(out),
                                      "--detect-every", "0"])  # detection once, at now
    assert result.exit_code == 0, result.output
    return out, result.output, time.perf_counter() - started


def _artifacts(*keys):
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=list(keys))), sort=ArtifactSort.CREATED_DESC)
    return [next(a for a in found if a.key == key) for key in keys]


def test_the_demo_day_is_exact_pays_nothing_extra_and_is_mostly_proactive(demo_day):
    out, printed, seconds = demo_day
    card = scorecard_of(out, out / "truth.json")
    a = card.accuracy
    print(f"\ndemo {SIZE} seed {SEED} in {seconds:.0f} s: one-touch {card.one_touch.value:.1%}"
          f" ({card.one_touch.part}/{card.one_touch.whole}), automation "
          f"{card.automation.value:.1%}, proactive share {card.proactive.value:.1%} "
          f"({card.proactive.part}/{card.proactive.whole}), exact {a.exact}/{a.cases}, "
          f"overpaid {a.overpaid_cents}c, underpaid {a.underpaid_cents}c, "
          f"double payments {a.double_payments}")
    contacts = (out / "contacts.jsonl").read_text().splitlines()
    assert a.mismatched == () and a.exact == a.cases == card.contacts == len(contacts)
    assert a.overpaid_cents == 0 and a.double_payments == 0 and a.underpaid_cents == 0
    assert card.proactive.value > 0.6
    assert card.remediated_cents == a.paid_cents > 0
    assert "Scorecard" in printed and "prefect server start" in printed
    assert (out / "scorecard.html").read_text().count("<svg") == 4


def test_the_demo_publishes_its_scorecard_as_artifacts(demo_day):
    markdown, table = _artifacts("scorecard", "scorecard-table")
    rows = {(r["section"], r["figure"]): r["value"] for r in json.loads(table.data)}
    assert rows[("accuracy against ground truth", "exact cases")] == "11 of 11"
    assert rows[("accuracy against ground truth", "double payments")] == "0"
    assert "| remediation | proactive share | 95.2% (20 of 21) |" in markdown.data


def test_the_loader_reads_what_the_flows_wrote(demo_day):
    out, _, _ = demo_day
    state = json.loads((out / "state.json").read_text())
    now = json.loads((out / "world.json").read_text())["now"]
    detection = json.loads((out / "outcomes.jsonl").read_text().splitlines()[0])["detection"]
    engine = create_engine(f"sqlite:///{out / 'run' / 'cases.db'}")
    rows = load_rows(engine, Period())
    engine.dispose()
    paid = {e["idempotency_key"]: e["amount_cents"] for e in state["earnings"]
            if e["source"] != "platform" and e["created_at"] >= now}
    assert {r.key: r.amount_cents for r in rows.remediations if r.type == "pay_adjustment"} == paid
    retried = {f"{d['driver_id']}/{d['id']}/deposit_retry" for d in state["deposits"]
               if d["retried_at"]}
    assert {r.key for r in rows.remediations if r.kind == "deposit_retry"} == retried
    assert len(rows.findings) == detection["findings"] and len(rows.cases) == 11
    assert {r.path for r in rows.remediations} == {"detection", "contact"}


def _outcome(contact: str, driver: str, outcome: str, queue: str | None = None,
             actions: list | None = None) -> ContactOutcome:
    return ContactOutcome(
        contact_id=contact, driver_id=driver, intent="missing_tip" if not queue else "safety",
        outcome=outcome, queue=queue, actions=actions or [], case_id=f"case-{contact}",
        reply=SentReply(channel="chat", locale="en", text="…"))


@pytest.fixture
def two_days(demo_day, tmp_path, monkeypatch):
    """The demo's databases copied, two contacts of the day before added, the sandbox served."""
    out, _, _ = demo_day
    shutil.copytree(out / "run", tmp_path / "run")
    url = f"sqlite:///{tmp_path / 'run' / 'cases.db'}"
    store = CaseStore(url)
    before = datetime(2026, 11, 20, 15, tzinfo=UTC)
    store.record(_outcome("c-x1", "drv-10001", "resolved", actions=[{
        "type": "pay_adjustment", "kind": "tip", "subject_id": "ofr-1000001",
        "amount_cents": 300}]), now=before)
    store.record(_outcome("c-x2", "drv-10002", "escalated", "trust-safety"), now=before,
                 answer_within_hours=1)
    store.engine.dispose()
    with SandboxServer(db_path=tmp_path / "run" / "sandbox.db") as sandbox:
        monkeypatch.setenv("ONETOUCH_PLATFORM_URL", sandbox.url)
        monkeypatch.setenv("ONETOUCH_CASE_STORE_URL", url)
        get_settings.cache_clear()
        yield
    get_settings.cache_clear()


def test_the_daily_report_publishes_two_days_side_by_side(two_days):
    result = daily_report(day=date(2026, 11, 21))
    markdown, table = _artifacts("daily-scorecard", "daily-scorecard-table")
    rows = {r["figure"]: r for r in json.loads(table.data)}
    assert result["figures"] == json.loads(table.data)
    assert rows["contacts"] == {"figure": "contacts", "yesterday": "11", "day before": "2",
                                "change": "+9"}
    assert rows["proactive share"]["yesterday"] == "95.2%"
    assert rows["remediated"] == {"figure": "remediated", "yesterday": "$114.50",
                                  "day before": "$3.00", "change": "+$111.50"}
    assert rows["SLA breaches"]["day before"] == "1"  # nobody answered the safety case
    assert rows["onset to detection, median"]["yesterday"] == "2.5 h"  # onsets read from the API
    assert rows["contacts per 1,000 deliveries"]["yesterday"] != "n/a"
    assert "2026-11-21T00:00:00Z to 2026-11-22T00:00:00Z" in markdown.data
    assert "2026-11-20T00:00:00Z to 2026-11-21T00:00:00Z" in markdown.data
    assert "drv-" not in markdown.data and "drv-" not in table.data


def test_report_reads_a_kept_case_store(demo_day, tmp_path):
    out, _, _ = demo_day
    run = CliRunner().invoke(app, [
        "report", "--cases", str(out / "run" / "cases.db"), "--state", str(out / "state.json"),
        "--truth", str(out / "truth.json"), "--html", str(tmp_path / "day.html"),
        "--no-publish"], terminal_width=160)
    assert run.exit_code == 0, run.output
    assert "95.2% (20 of 21)" in run.output and "11 of 11" in run.output
    assert (tmp_path / "day.html").read_text().count("<svg") == 4
    refused = CliRunner().invoke(app, ["report", "--cases", str(out / "run" / "cases.db"),
                                       "--truth", str(out / "truth.json"), "--no-publish"])
    assert refused.exit_code == 2 and "--truth needs --state" in refused.output
