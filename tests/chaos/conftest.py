"""The chaos replays run flows on the session's Prefect harness, like tests/flows; the crash,
restart and fault tests (marked `stack`) share one real stack per database (`stack`: SQLite,
then PostgreSQL), each test on a fresh platform world and contacts of its own (`tagged`),
checked with the helpers below."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from prefect.client.orchestration import get_client

from onetouch.casestore.tables import audit_log, cases, contacts, escalations
from onetouch.intake.signing import signed_headers
from onetouch.stack import Layout, api_url, down, free_ports, up
from onetouch.stack_burst import UNFINISHED, count_contact_runs, count_runs, paid_twice
from policy.case import idempotency_key
from tests.deploy.conftest import FAST, SANDBOX_KEY, postgres_databases
from tests.flows.conftest import (  # noqa: F401
    DATA,
    example_world,
    examples_replay,
    fast_retries,
)

SECRET = "chaos-intake-secret"
SEEDED = "seeded: does not fire\n"
HEARTBEAT_S = 30  # Prefect's shortest; runs silent for 3 heartbeats are marked Crashed
SWEEP_AFTER_S = 5
SWEEP_EVERY_S = 10
READ_TIMEOUT_S = 2.0  # the resolvers' platform client: a hung call is retried soon
CRASH_POINTS = ["before_payment", "after_payment", "after_reply", "after_record",
                "after_lane_payment"]
DATABASES = ("onetouch_chaos_prefect", "onetouch_chaos_cases")
CONTACTS = {c["id"]: c for c in map(json.loads,
                                    (DATA / "contacts.jsonl").read_text().splitlines())}
EXPECTED = {e["contact_id"]: e for e in map(json.loads,
                                            (DATA / "expected.jsonl").read_text().splitlines())}
PAYING = sorted((i for i, e in EXPECTED.items() if e["actions"]), key=lambda i: int(i[2:]))
SWEEP = "sweep-stranded-contacts"


@pytest.fixture(autouse=True)
def _replays_share_one_harness(request):
    """The replays on the session's Prefect server, with fresh platform limits; not the stack
    tests, whose flows run on their own stack."""
    if request.node.get_closest_marker("stack") is None:
        request.getfixturevalue("fresh_platform_limits")


@pytest.fixture(scope="package", params=["sqlite", "postgresql"])
def stack(request, tmp_path_factory):
    """One stack per database for every stack test of the package: crash points armed on the
    resolvers and the worker (each test arms only its own), the resolvers' platform client
    timing out after 2 s."""
    tmp = tmp_path_factory.mktemp(f"chaos-{request.param}")
    settings = {"ONETOUCH_READ_TIMEOUT_S": str(READ_TIMEOUT_S)}
    with chaos_stack(tmp, request.param, DATABASES, CRASH_POINTS, settings) as running:
        yield running


@dataclass
class ChaosStack:
    """A running stack: its addresses, state folder, case store and crash markers."""

    backend: str
    urls: dict[str, str]
    state_dir: Path
    case_store_url: str
    crash_dir: Path
    timings: dict[str, float] = field(default_factory=dict)

    def sandbox(self, method: str = "GET", path: str = "/admin/state", **kwargs: Any) -> Any:
        response = httpx.request(method, f"{self.urls['sandbox']}{path}", timeout=60,
                                 headers={"Authorization": f"Bearer {SANDBOX_KEY}"}, **kwargs)
        response.raise_for_status()
        return response.json()

    def tail(self, name: str = "worker", lines: int = 20) -> str:
        log = self.state_dir / "logs" / f"{name}.log"
        return f"--- {name} ---\n" + "\n".join(
            log.read_text(errors="replace").splitlines()[-lines:])

    def fresh_world(self, world: Path = DATA / "world.json") -> None:
        """The platform as the world file has it, no faults: each test starts from there."""
        self.sandbox("PUT", "/admin/world", json=json.loads(world.read_text()))
        self.sandbox("DELETE", "/admin/faults")

    def rows(self, query: Any) -> list[Any]:
        engine = sa.create_engine(self.case_store_url)
        try:
            with engine.connect() as conn:
                return list(conn.execute(query))
        finally:
            engine.dispose()


def stack_tuning(crash_dir: Path, points: list[str]) -> dict[str, str]:
    """Prefect and onetouch settings of the server and worker (so of every flow run)."""
    return FAST | {"PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
                   "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(HEARTBEAT_S),
                   "ONETOUCH_INTAKE_SWEEP_AFTER_S": str(SWEEP_AFTER_S),
                   "ONETOUCH_CRASH_POINTS": json.dumps(points),
                   "ONETOUCH_CRASH_DIR": str(crash_dir)}


@contextmanager
def chaos_stack(tmp: Path, backend: str, databases: tuple[str, str], points: list[str],
                settings: dict[str, str] | None = None) -> Iterator[ChaosStack]:
    """`up` on SQLite or PostgreSQL (skipped without one), no schedules, crash points armed on
    the worker, these settings on the server and the worker; `down` after."""
    crash_dir = tmp / "crashes"
    crash_dir.mkdir()
    with pytest.MonkeyPatch.context() as env, _databases(backend, databases) as urls:
        env.setenv("ONETOUCH_INTAKE_SECRET", SECRET)
        env.delenv("PREFECT_API_DATABASE_CONNECTION_URL", raising=False)
        if urls:
            env.setenv("PREFECT_SERVER_DATABASE_CONNECTION_URL", urls[0])
        store = urls[1] if urls else f"sqlite:///{tmp / 'cases.db'}"
        layout = Layout(state_dir=tmp / "stack", ports=free_ports(), prefect_home=tmp / "prefect",
                        case_store_url=store, resolver_limit=4,
                        tuning=stack_tuning(crash_dir, points) | (settings or {}))
        status = up(layout, echo=lambda _: None, sandbox_key=SANDBOX_KEY)
        env.undo()
        try:
            with api_url(status.urls["api"]):  # `up` set the zombie-run automations
                yield ChaosStack(backend, status.urls, layout.state_dir, store, crash_dir,
                                 status.timings)
        finally:
            down(layout.state_dir, echo=lambda _: None)
    print(f"\n{backend} stack timings: {status.timings}")


@contextmanager
def _databases(backend: str, names: tuple[str, str]) -> Iterator[tuple[str, str] | None]:
    if backend == "sqlite":
        yield None
        return
    with postgres_databases(*names) as db:
        yield (f"postgresql+asyncpg://{db[names[0]]}", f"postgresql+psycopg://{db[names[1]]}")


def post_until_accepted(intake: str, contact: dict[str, Any], deadline: float) -> int:
    """POST a contact signed anew at each try until the intake takes it (a real channel
    retries); the number of retries."""
    body = json.dumps(contact).encode()
    for retries in range(10_000):
        headers = signed_headers(SECRET, int(time.time()), body)
        try:
            answer = httpx.post(f"{intake}/contacts", content=body, timeout=10,
                                headers=headers | {"Content-Type": "application/json"})
            if answer.status_code in (200, 202):
                return retries
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    raise AssertionError(f"the intake never accepted {contact['id']}")


def unfinished_runs(api: str, prefix: str) -> int | None:
    """The tagged contacts' task runs and the sweep's flow runs not finished yet; None while
    the server does not answer."""
    try:
        return count_contact_runs(api, prefix, UNFINISHED) + count_runs(api, SWEEP, UNFINISHED)
    except (httpx.HTTPError, ValueError):
        return None


def start_deployment(api: str, name: str, tries: int = 10) -> str:
    """One run of a deployment (`flow/deployment`), now; its id. A busy SQLite server may
    answer 503 for a moment: asked again."""
    for attempt in range(tries):
        try:
            deployment = httpx.get(f"{api}/deployments/name/{name}", timeout=30)
            run = httpx.post(f"{api}/deployments/{deployment.raise_for_status().json()['id']}"
                             "/create_flow_run", json={}, timeout=30)
            return run.raise_for_status().json()["id"]
        except httpx.HTTPError:
            if attempt == tries - 1:
                raise
            time.sleep(2)
    raise AssertionError("unreachable")


def final_state(api: str, run_id: str, timeout: float) -> str:
    """The state type a flow run ends in."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = httpx.get(f"{api}/flow_runs/{run_id}", timeout=30).json()["state_type"]
        except (httpx.HTTPError, KeyError, ValueError):
            state = None
        if state in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            return state
        time.sleep(1)
    raise AssertionError(f"flow run {run_id} did not end within {timeout:.0f} s")


def settle(stack: ChaosStack, ids: set[str], timeout: float, every_s: float = SWEEP_EVERY_S
           ) -> int:
    """Wait until every contact has an outcome and none of their runs is left, starting the
    sweep every few seconds while a contact has no outcome or a run is left (its resolver
    died, its run is lost); the sweeps started."""
    prefix = tag_of(ids)
    sweeps, last = 0, time.monotonic()
    deadline = last + timeout
    while time.monotonic() < deadline:
        missing = ids - outcomes(stack).keys()
        unfinished = unfinished_runs(stack.urls["api"], prefix)
        if not missing and unfinished == 0:
            return sweeps
        if (missing or unfinished) and time.monotonic() - last > every_s:
            start_deployment(stack.urls["api"], f"{SWEEP}/{SWEEP}")
            sweeps, last = sweeps + 1, time.monotonic()
        time.sleep(1)
    missing = ids - outcomes(stack).keys()
    raise AssertionError(f"after {timeout:.0f} s, {len(missing)} contacts have no outcome "
                         f"({sorted(missing)}) or runs are left\n{stack.tail('resolver-1')}")


def forms_open(stack: ChaosStack, ids: set[str], timeout: float = 90) -> int:
    """Wait until the first escalation about each subject of these contacts has its approval
    run Suspended on its form (the sweep opens one a restart kept from opening); how many."""
    deadline, last = time.monotonic() + timeout, 0.0
    while True:
        firsts = {e["id"]: e["approval_run_id"] for e in sa_rows(stack, sa.select(
            escalations.c.id, escalations.c.approval_run_id, escalations.c.case_id).where(
            escalations.c.status == "pending", escalations.c.joined_to.is_(None)))
            if e["case_id"].removeprefix("case-") in ids}
        run_ids = [r for r in firsts.values() if r]
        if firsts and len(run_ids) == len(firsts) and all(_suspended(stack, run_ids)):
            return len(firsts)
        if time.monotonic() > deadline:
            raise AssertionError(f"escalations without a waiting run after {timeout:.0f} s: "
                                 f"{firsts}")
        if time.monotonic() - last > SWEEP_EVERY_S:
            start_deployment(stack.urls["api"], f"{SWEEP}/{SWEEP}")
            last = time.monotonic()
        time.sleep(1)


def sa_rows(stack: ChaosStack, query: Any) -> list[dict[str, Any]]:
    """Rows of a case-store query as dicts."""
    return [dict(row._mapping) for row in stack.rows(query)]


def _suspended(stack: ChaosStack, run_ids: list[str]) -> list[bool]:
    with api_url(stack.urls["api"]), get_client(sync_client=True) as client:
        states = [client.read_flow_run(run_id).state for run_id in run_ids]
    return [state is not None and state.is_paused() for state in states]


def tagged(tag: str, original_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The bundled contacts under ids of this test's own (`TAG-c-N`), by new id."""
    return {f"{tag}-{cid}": CONTACTS[cid] | {"id": f"{tag}-{cid}"} for cid in original_ids}


def tag_of(ids: set[str]) -> str:
    """The tag the contacts' ids share."""
    tags = {i.rsplit("-c-", 1)[0] for i in ids}
    assert len(tags) == 1, tags
    return tags.pop()


def original(contact_id: str) -> str:
    """The bundled contact a tagged id stands for."""
    return "c-" + contact_id.rsplit("-c-", 1)[1]


def disarm(stack: ChaosStack, ids: set[str]) -> None:
    """No crash point fires for these contacts (the stack has every point armed)."""
    for point in ("before_payment", "after_payment", "after_reply", "after_record"):
        for contact_id in ids:
            marker = failpoint_marker(stack.crash_dir, point, point_key(point, contact_id))
            if not marker.exists():
                marker.write_text(SEEDED)


def failpoint_marker(crash_dir: Path, point: str, key: str) -> Path:
    """The file flows/failpoints.py writes when a point fires for a key."""
    return crash_dir / f"{point}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def point_key(point: str, contact_id: str) -> str:
    """What a contact's crash point is keyed by."""
    return f"case-{contact_id}" if point == "before_payment" else contact_id


def outcomes(stack: ChaosStack) -> dict[str, list[str]]:
    """Each contact's recorded outcomes."""
    found: dict[str, list[str]] = {}
    for contact_id, outcome in stack.rows(sa.select(cases.c.contact_id, cases.c.outcome)):
        found.setdefault(contact_id, []).append(outcome)
    return found


def sweep_restarts(stack: ChaosStack, ids: set[str]) -> int:
    """Hand-offs beyond each contact's first (the sweep's)."""
    rows = stack.rows(sa.select(contacts.c.id, contacts.c.dispatches))
    return sum(max(0, n - 1) for contact_id, n in rows if contact_id in ids)


def times_done(state: dict[str, Any], driver_id: str, action: dict[str, Any]) -> int:
    """How many times the platform holds one remediation (by its idempotency key for pay)."""
    subject = action["subject_id"]
    if action["type"] == "pay_adjustment":
        key = idempotency_key(driver_id, subject, action["kind"])
        return sum(e.get("idempotency_key") == key and e["amount_cents"] == action["amount_cents"]
                   for e in state["earnings"])
    if action["type"] == "offer_reissue":
        return sum(o.get("reissued_from") == subject for o in state["offers"])
    return sum(d["id"] == subject and d.get("retried_at") is not None for d in state["deposits"])


def owed_done(state: dict[str, Any], contact_id: str) -> list[int]:
    """How many times the platform holds each remediation the contact was owed."""
    expected = EXPECTED[original(contact_id)]
    return [times_done(state, expected["driver_id"], a) for a in expected["actions"]]


def audited_actions(stack: ChaosStack) -> dict[str, Counter]:
    """Each case's remediations as its case_recorded audit entries list them."""
    trail: dict[str, Counter] = {}
    rows = stack.rows(sa.select(audit_log.c.case_id, audit_log.c.details).where(
        audit_log.c.action == "case_recorded"))
    for case_id, details in rows:
        counter = trail.setdefault(case_id, Counter())
        counter.update((a["type"], a["subject_id"]) for a in details["actions"])
        counter["case_recorded"] += 1
    return trail


def check_contacts(stack: ChaosStack, ids: set[str]) -> dict[str, int]:
    """Every contact: one outcome as expected, each owed remediation once, one reply, audited.
    The duplicates and losses found (both asserted to be none)."""
    state, found, trail = stack.sandbox(), outcomes(stack), audited_actions(stack)
    replies = Counter(n["reference"] for n in state["notifications"])
    duplicates = len(paid_twice(state)) + sum(
        max(0, len(found.get(i, [])) - 1) + max(0, replies[f"case-{i}"] - 1) for i in ids) + sum(
        max(0, n - 1) for i in ids for n in owed_done(state, i))
    lost = sum((i not in found) + (replies[f"case-{i}"] == 0) for i in ids) + sum(
        n == 0 for i in ids for n in owed_done(state, i))
    assert paid_twice(state) == []
    expected = {i: EXPECTED[original(i)] for i in ids}
    assert {i: found.get(i) for i in ids} == {i: [expected[i]["outcome"]] for i in ids}
    assert {i: owed_done(state, i) for i in ids} == {
        i: [1] * len(expected[i]["actions"]) for i in ids}, "each owed remediation once"
    assert {i: replies[f"case-{i}"] for i in ids} == dict.fromkeys(ids, 1), "one reply each"
    assert {i: trail.get(f"case-{i}") for i in ids} == {i: Counter(
        {"case_recorded": 1} | Counter((a["type"], a["subject_id"])
                                       for a in expected[i]["actions"])) for i in ids}
    assert duplicates == 0 and lost == 0
    return {"duplicates": duplicates, "lost": lost}


class Sender(threading.Thread):
    """Posts contacts one after another, each until accepted; counts the retries."""

    def __init__(self, intake: str, batch: list[dict[str, Any]], gap_s: float) -> None:
        super().__init__(daemon=True)
        self.intake, self.batch, self.gap_s, self.retries = intake, batch, gap_s, 0
        self.sent = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for contact in self.batch:
                self.retries += post_until_accepted(self.intake, contact,
                                                    time.monotonic() + 180)
                self.sent += 1
                time.sleep(self.gap_s)
        except BaseException as exc:  # noqa: BLE001 - raised again by finish()
            self.error = exc

    def finish(self) -> int:
        """Wait until every contact was accepted; the retries it took."""
        self.join(240)
        if self.error is not None or self.is_alive():
            raise AssertionError(f"the sender did not finish: {self.error!r}")
        return self.retries
