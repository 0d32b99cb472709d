"""No personal data where operators and tools can read it: the real flows run over the example
world (replay, detection, escalations decided in the UI form and the CLI, a contact through the
intake and its event), then every log line, every flow and task run Prefect stored (parameters,
names, states, inputs), every artifact, every event and the case store's audit rows are scanned
for every phone number, email, full and last name and bank detail of the worlds' drivers, and
for what the drivers typed into their messages. Zero hits required.

The case store's `contacts` table keeps each message as received (the system of record) and
the sandbox's notifications keep the replies the drivers were sent: those two are not scanned.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prefect.client.orchestration import get_client
from prefect.events import Event
from prefect.events.clients import AssertingPassthroughEventsClient
from prefect.events.filters import EventFilter, EventOccurredFilter
from prefect.events.worker import EventsWorker
from prefect.flow_runs import resume_flow_run
from pydantic import SecretStr
from sqlalchemy import select
from typer.testing import CliRunner

from flows.agent_queues import check_escalation_slas
from flows.approval import await_agent_decision
from flows.detection import detect_defects
from flows.resolver import resolve_stored_contact
from onetouch.casestore import CaseStore
from onetouch.casestore.incidents import incident_escalation_id
from onetouch.casestore.tables import audit_log, cases, escalations
from onetouch.cli import app as cli
from onetouch.inputs import load_world, read_contacts
from onetouch.intake.app import create_app
from onetouch.intake.signing import read_headers, signed_headers
from onetouch.replay import embedded_platform, resolve_lines, run_detection
from onetouch.settings import Settings
from tests.paused import paused_run
from tests.security.personal_data import (
    ROOT,
    Needle,
    bank_needle,
    report,
    scan,
    world_needles,
)

DATA = ROOT / "tests" / "data"
SECRET = "pii-scan-intake-secret"
ACCOUNT, ROUTING = "000123456789", "110000000"  # a bank account a driver types into a message
Texts = list[tuple[str, str]]


def _driver(world, driver_id):
    return next(d for d in world.drivers if d.id == driver_id)


def typed_contacts(world) -> list[dict[str, Any]]:
    """Messages in which drivers give away their own phone, email, name and bank account."""
    mei, depositor, asker, tipper = (_driver(world, d) for d in (
        "drv-1001", "drv-1014", "drv-1019", "drv-1004"))
    national = mei.phone[2:]
    at = "2026-11-20T19:{:02d}:00Z"
    return [
        {"id": "c-pii-1", "driver_id": mei.id, "channel": "chat", "received_at": at.format(30),
         "text": f"Hi, {mei.name} here. The tip for ofr-50007 never showed up. Call me at "
                 f"{mei.phone} or write to {mei.email}"},
        {"id": "c-pii-2", "driver_id": depositor.id, "channel": "email",
         "received_at": at.format(31),
         "text": f"cashout failed again, my bank account is {ACCOUNT} routing {ROUTING}. "
                 f"{depositor.name}, {depositor.phone}"},
        {"id": "c-pii-3", "driver_id": asker.id, "channel": "email", "received_at": at.format(32),
         "text": f"{asker.name}: can my cousin drive my car next week? Reach me at "
                 f"{asker.email}"},
        {"id": "c-pii-4", "driver_id": mei.id, "channel": "fax", "received_at": at.format(33),
         "text": f"({national[:3]}) {national[3:6]}-{national[6:]} is my number, {mei.name}"},
        {"id": "c-pii-5", "driver_id": tipper.id, "channel": "in_app",
         "received_at": at.format(34),
         "text": f"where is my tip for ofr-50027? {tipper.email} / {tipper.phone}"},
    ]


class Capture(logging.Handler):
    """Every record of every logger, formatted with its traceback, from DEBUG up."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: Texts = []
        self._formatter = logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string is still scanned
            message = f"{record.msg!r} {record.args!r}"
        if record.exc_info:
            message += "\n" + self._formatter.formatException(record.exc_info)
        self.texts.append((f"log {record.name}:{record.levelname}", message))


@pytest.fixture(scope="module")
def every_logger_at_debug() -> Iterator[Capture]:
    """The Capture handler on the root and on every logger that does not propagate."""
    capture = Capture()
    manager = logging.Logger.manager
    loggers = [logging.getLogger()] + [
        lg for lg in manager.loggerDict.values() if isinstance(lg, logging.Logger)]
    saved = [(lg, lg.level, lg.disabled) for lg in loggers]
    consoles = {h: h.level for lg in loggers for h in lg.handlers
                if type(h).__name__ in ("PrefectConsoleHandler", "_SafeStreamHandler")}
    for handler in consoles:  # the terminal keeps its usual level; the capture takes all
        handler.setLevel(max(handler.level, logging.WARNING))
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.disabled = False
        if lg is logging.getLogger() or not lg.propagate:
            lg.addHandler(capture)
    try:
        yield capture
    finally:
        for handler, level in consoles.items():
            handler.setLevel(level)
        for lg, level, disabled in saved:
            lg.setLevel(level)
            lg.disabled = disabled
            if capture in lg.handlers:
                lg.removeHandler(capture)


class Sent:
    """Every event this process emits from now on, kept by Prefect's asserting client (which
    also sends them on to the server: task runs are recorded from their events)."""

    def __init__(self) -> None:
        self.clients_before = len(AssertingPassthroughEventsClient.all)

    @property
    def events(self) -> list[Event]:
        EventsWorker.instance().wait_until_empty()
        return [e for c in AssertingPassthroughEventsClient.all[self.clients_before:]
                for e in getattr(c, "events", [])]


@pytest.fixture(scope="module")
def events_sent(prefect_harness) -> Iterator[Sent]:
    """Inside the harness, so the events also reach its server."""
    instance = EventsWorker.instance
    with pytest.MonkeyPatch.context() as patch:
        sent = Sent()
        # a worker sending to the asserting client; a new one if something stopped it
        patch.setattr(EventsWorker, "instance",
                      lambda *_: instance(AssertingPassthroughEventsClient))
        try:
            yield sent
        finally:
            EventsWorker.instance().drain()




def _decide_in_the_form(escalation_id: str, agent: str) -> dict[str, Any]:
    result: dict[str, Any] = {}

    def wait() -> None:
        try:
            result.update(await_agent_decision(escalation_id, suspend=False, timeout_s=120))
        except BaseException as exc:  # noqa: BLE001 - shown by the assertion below
            result["error"] = repr(exc)

    waiter = threading.Thread(target=wait, daemon=True)
    waiter.start()
    try:
        run = paused_run(f"approve-{escalation_id}")
    except AssertionError:
        waiter.join(timeout=5)
        raise AssertionError(f"{escalation_id} never paused: {result}") from None
    resume_flow_run(run.id, run_input={"verdict": "approve", "agent": agent})
    waiter.join(timeout=120)
    return result


def _cli(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _case_store_rows(store: CaseStore, label: str) -> Texts:
    """The audit log, the cases' outcomes and the escalations, row by row."""
    texts = []
    with store.engine.connect() as conn:
        for table in (audit_log, cases, escalations):
            for row in conn.execute(select(table)).mappings():
                texts.append((f"{label} {table.name}", json.dumps(dict(row), default=str)))
    return texts


def _through_the_intake(world, store_url: str, events: Sent) -> Texts:
    """A signed contact with personal data: stored, handed to the resolvers by its id, and
    resolved by the resolvers' task from that id."""
    driver = _driver(world, "drv-1004")
    contact = {"id": "c-pii-intake", "driver_id": driver.id, "channel": "chat",
               "received_at": "2026-11-20T19:40:00Z",
               "text": f"{driver.name} again, {driver.phone}, my tip for ofr-50027 is still "
                       "missing"}
    settings = Settings(intake_secret=SecretStr(SECRET), case_store_url=store_url)
    client = TestClient(create_app(settings, CaseStore(store_url)))
    body = json.dumps(contact).encode()
    answer = client.post("/contacts", content=body,
                         headers=signed_headers(SECRET, int(time.time()), body))
    assert answer.status_code == 202, answer.text
    outcome = resolve_stored_contact(contact["id"])  # what a resolver runs for its hand-off
    assert outcome["contact_id"] == "c-pii-intake" and outcome["outcome"] == "resolved"
    return [("intake answer", answer.text), ("intake case", json.dumps(
        client.get("/cases/case-c-pii-intake", headers=read_headers(
            SECRET, int(time.time()), "/cases/case-c-pii-intake")).json()))]


def _replay_and_decide(world, work: Path, events: Sent) -> dict[str, Texts]:
    """`onetouch replay --detect` over the example world plus the typed contacts; then an
    escalation approved in the UI form, one rejected in the CLI, the SLA check, the intake."""
    contacts = work / "contacts.jsonl"
    contacts.write_text((DATA / "contacts.jsonl").read_text()
                        + "".join(json.dumps(c) + "\n" for c in typed_contacts(world)))
    texts: dict[str, Texts] = {"cli": [], "outcomes": []}
    store_url = f"sqlite:///{work / 'cases.db'}"
    with embedded_platform(world, work) as platform:
        texts["outcomes"].append(("detection", json.dumps(run_detection())))
        outcomes = resolve_lines(platform, read_contacts(contacts))
        texts["outcomes"] += [(f"outcome {o['contact_id']}", json.dumps(o)) for o in outcomes]
        by_id = {o["contact_id"]: o for o in outcomes}
        assert by_id["c-pii-1"]["outcome"] == "resolved"
        assert by_id["c-pii-3"]["outcome"] == "escalated"
        assert by_id["c-pii-4"]["outcome"] == "rejected"
        pending = [e["id"] for e in CaseStore(store_url).escalations(status="pending")
                   if e["driver_id"] and e["id"] != "esc-c-pii-3"]
        assert _decide_in_the_form(pending[0], "kim")["status"] == "done"
        texts["cli"].append(("show", _cli("escalations", "show", "esc-c-pii-3")))
        texts["cli"].append(("reject", _cli("escalations", "reject", "esc-c-pii-3",
                                            "--agent", "ravi", "--reason", "not allowed")))
        texts["cli"].append(("list", _cli("escalations", "list", "--status", "all")))
        platform.admin.set_clock(datetime.fromisoformat("2026-11-22T12:00:00+00:00"))
        check_escalation_slas()
        platform.admin.set_clock(datetime.fromisoformat("2026-11-20T19:40:00+00:00"))
        texts["intake"] = _through_the_intake(world, store_url, events)
    texts["case store"] = _case_store_rows(CaseStore(store_url), "replay")
    return texts


def _detect_and_approve(work: Path) -> dict[str, Texts]:
    """Detection over the 40-driver detection world; its held incident approved in the CLI."""
    with embedded_platform(load_world(DATA / "detection" / "world-0.json"), work):
        summary = detect_defects()
        held = [i["id"] for i in summary["incidents"] if i["status"] == "awaiting_approval"]
        assert held, summary
        approved = _cli("escalations", "approve", incident_escalation_id(held[0]),
                        "--agent", "kim")
    return {"cli": [("approve incident", approved)],
            "case store": _case_store_rows(CaseStore(f"sqlite:///{work / 'cases.db'}"),
                                           "detection"),
            "outcomes": [("detection summary", json.dumps(summary))]}


@pytest.fixture(scope="module")
def surfaces(tmp_path_factory, every_logger_at_debug, events_sent) -> dict[str, Texts]:
    """Run everything once; every text an operator or a tool can read, by surface."""
    work = tmp_path_factory.mktemp("pii")
    (work / "replay").mkdir()
    (work / "detection").mkdir()
    texts = _replay_and_decide(load_world(DATA / "world.json"), work / "replay", events_sent)
    for surface, found in _detect_and_approve(work / "detection").items():
        texts[surface] = texts.get(surface, []) + found
    texts |= read_prefect_api()
    texts["events emitted"] = [(f"event {e.event}", e.model_dump_json())
                               for e in events_sent.events]
    texts["logs"] = list(every_logger_at_debug.texts)
    return texts


def _pages(read, page: int = 200) -> list[Any]:
    found, offset = [], 0
    while True:
        batch = read(limit=page, offset=offset)
        found += batch
        if len(batch) < page:
            return found
        offset += page


def _stored_task_parameters() -> Texts:
    """What the task-scheduling storage keeps for background task runs (the intake's hand-offs:
    a resolver reads a contact's run parameters there)."""
    from prefect._internal.result_records import ResultRecord
    from prefect.settings import PREFECT_LOCAL_STORAGE_PATH

    root = Path(PREFECT_LOCAL_STORAGE_PATH.value())
    return [(f"stored {path.name}", json.dumps(ResultRecord.deserialize(path.read_bytes()).result,
                                               default=str))
            for path in (root / "parameters").glob("*") if path.is_file()]


def read_prefect_api() -> dict[str, Texts]:
    """What the Prefect server keeps and its UI shows: runs, inputs, logs, artifacts, events."""
    with get_client(sync_client=True) as client:
        flow_runs = _pages(lambda **kw: client.read_flow_runs(**kw))
        task_runs = _pages(lambda **kw: client.read_task_runs(**kw))
        artifacts = _pages(lambda **kw: client.read_artifacts(**kw))
        logs = _pages(lambda **kw: client.read_logs(**kw))
        inputs = [(f"flow run input {run.name}", i.model_dump_json()) for run in flow_runs
                  for i in client.filter_flow_run_input(run.id, key_prefix="", limit=100,
                                                           exclude_keys=set())]
        since = datetime.now(UTC) - timedelta(days=1)  # the harness's database is new
        page = client.read_events(filter=EventFilter(occurred=EventOccurredFilter(since=since)),
                                  limit=50)
        stored: list[Event] = list(page.events)
        while page.next_page:
            page = client.read_events_page(page.next_page)
            stored += page.events
    assert flow_runs and task_runs and artifacts and logs
    return {
        "flow runs": [(f"flow run {r.name}", r.model_dump_json()) for r in flow_runs],
        "flow run parameters": [(f"parameters of {r.name}", json.dumps(r.parameters))
                                for r in flow_runs],
        "task runs": [(f"task run {r.name}", r.model_dump_json()) for r in task_runs],
        "task run inputs": [(f"inputs of {r.name}", json.dumps(sorted(r.task_inputs)))
                            for r in task_runs],
        "task parameters": _stored_task_parameters(),
        "flow run inputs": inputs,
        "artifacts": [(f"artifact {a.key}", a.model_dump_json()) for a in artifacts],
        "api logs": [(f"api log {lg.name}", lg.message) for lg in logs],
        "events stored": [(f"stored event {e.event}", e.model_dump_json()) for e in stored],
    }


@pytest.fixture(scope="module")
def needles() -> list[Needle]:
    return world_needles() + [bank_needle(ACCOUNT), bank_needle(ROUTING)]


SURFACES = ["logs", "api logs", "flow runs", "flow run parameters", "task runs",
            "task run inputs", "task parameters", "flow run inputs", "artifacts",
            "events emitted", "events stored", "case store", "cli", "outcomes", "intake"]


def test_a_contact_run_keeps_only_the_contact_id(surfaces):
    inputs = dict(surfaces["task run inputs"])
    for contact_id in ("c-pii-1", "c-pii-intake"):
        assert json.loads(inputs[f"inputs of contact-{contact_id}"]) == ["contact_id"]
    handed = [json.loads(text)["parameters"] for _, text in surfaces["task parameters"]
              if "c-pii-intake" in text]
    assert handed, "the intake's hand-off kept no parameters"
    assert all(h == {"contact_id": "c-pii-intake"} for h in handed), handed


@pytest.mark.parametrize("surface", SURFACES)
def test_no_personal_data_in(surface, surfaces, needles):
    texts = surfaces[surface]
    hits = scan(texts, needles)
    assert not hits, report(hits)


def test_the_scan_covers_every_surface_and_finds_what_it_looks_for(surfaces, needles):
    """The scan is not vacuous: each surface has texts, and a planted value is found."""
    kinds = {n.kind for n in needles}
    assert {"phone", "email", "last_name", "full_name", "bank"} <= kinds
    assert len([n for n in needles if n.kind == "phone"]) >= 60  # the worlds' 62 drivers
    for surface in SURFACES:
        assert surfaces[surface], f"nothing read from {surface}"
    planted = [("planted", f"call {n.value} now") for n in needles]
    assert {h.value for h in scan(planted, needles)} == {n.value for n in needles}
    formatted = [("planted", "(615) 975-2840, 615.975.2840, MEI.1001@EXAMPLE.COM, "
                             "mei.1001%40example.com, Ms Johnson")]
    assert {h.kind for h in scan(formatted, needles)} >= {"phone", "email", "last_name"}
    assert not scan([("ids", "drv-1001 ofr-50007 case-c-pii-1 16159752840000")], needles)
    sizes = {s: (len(surfaces[s]), sum(len(t) for _, t in surfaces[s])) for s in SURFACES}
    print(f"\nscanned {sum(n for n, _ in sizes.values())} texts "
          f"({sum(c for _, c in sizes.values())} chars) for {len(needles)} values: {sizes}")
