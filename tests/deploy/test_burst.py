"""Scale-out: a burst of signed contacts on PostgreSQL and two resolvers, each contact resolved
exactly once.

The burst's size is `ONETOUCH_BURST_CONTACTS` (100 by default: each message of the bundled
contacts several times over, so the two resolvers race on the same subjects);
`ONETOUCH_BURST_CONTACTS=500` runs the issue's full burst (about 75 s of contacts here;
benchmarks/throughput.py times it against the old path).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowFilter, FlowFilterName
from prefect.client.schemas.objects import FlowRun

from flows.names import APPROVAL_FLOW
from onetouch.casestore import CaseStore
from onetouch.stack import Layout, api_url, down, up
from onetouch.stack_burst import (
    UNFINISHED,
    OutcomeWatcher,
    burst_contacts,
    count_contact_runs,
    paid_twice,
    post_signed,
    read_contact_runs,
    summary,
)
from onetouch.stack_workers import POLLING, RECORDING
from tests.deploy.conftest import (
    SANDBOX_KEY,
    agent_cli,
    free_ports,
    postgres_databases,
    received_runs,
    sandbox_state,
    wait_for,
)

COUNT = int(os.environ.get("ONETOUCH_BURST_CONTACTS", "100"))
RESOLVERS = 2
SECRET = "burst-test-secret"
DATABASES = ("onetouch_burst_prefect", "onetouch_burst_cases")
SECONDS_PER_CONTACT = 1  # about 6 times the slowest seen on a busy 2-core machine
pytestmark = [pytest.mark.stack, pytest.mark.timeout(300 + COUNT * SECONDS_PER_CONTACT)]


@dataclass
class BurstStack:
    urls: dict[str, str]
    resolvers: list[str]
    case_store_url: str
    logs: Path


@pytest.fixture(scope="module")
def burst_stack(tmp_path_factory) -> Iterator[BurstStack]:
    """`up` with two resolvers, the Prefect server and the case store on PostgreSQL."""
    tmp = tmp_path_factory.mktemp("burst")
    with postgres_databases(*DATABASES) as db, pytest.MonkeyPatch.context() as env:
        prefect_db, cases_db = (db[name] for name in DATABASES)
        env.setenv("PREFECT_SERVER_DATABASE_CONNECTION_URL", f"postgresql+asyncpg://{prefect_db}")
        env.delenv("PREFECT_API_DATABASE_CONNECTION_URL", raising=False)
        env.setenv("ONETOUCH_INTAKE_SECRET", SECRET)
        case_store_url = f"postgresql+psycopg://{cases_db}"
        layout = Layout(state_dir=tmp / "stack", ports=free_ports(), prefect_home=tmp / "prefect",
                        case_store_url=case_store_url, tuning=POLLING | RECORDING,
                        resolvers=RESOLVERS)
        status = up(layout, echo=lambda _: None, sandbox_key=SANDBOX_KEY)
        env.undo()
        try:
            yield BurstStack(status.urls, status.resolvers, case_store_url,
                             layout.state_dir / "logs")
        finally:
            down(layout.state_dir, echo=lambda _: None)
        print(f"\nstack timings: {status.timings}")


def _assert_every_escalation_reaches_an_agent_and_closes(stack: BurstStack) -> None:
    """Each first escalation about a subject has its suspended approval run; the rest joined
    one. Approving a first with several joined (from an agent's shell: only the server's
    address) closes them all, paying once and answering each case once."""
    store = CaseStore(stack.case_store_url)
    pending = store.escalations(status="pending")
    firsts = {e["id"] for e in pending if not e["joined_to"]}
    joined = Counter(e["joined_to"] for e in pending if e["joined_to"])
    assert joined and set(joined) <= firsts, f"no escalation joined another: {pending[:3]}"
    suspended = {run.name.removeprefix("approve-") for run in _approval_runs(stack.urls["api"])
                 if run.state and run.state.is_paused()}
    assert firsts <= suspended, f"pending without a waiting run: {sorted(firsts - suspended)}"
    first, count = joined.most_common(1)[0]
    decided = agent_cli(stack.urls["api"], stack.logs.parent / "agent", "approve", first,
                        "--agent", "kim")
    assert decided.returncode == 0, decided.stdout + decided.stderr
    closing = [first, *(e["id"] for e in pending if e["joined_to"] == first)]
    assert [store.escalation(e)["status"] for e in closing] == ["done"] * (count + 1)
    finals = Counter(n["reference"] for n in sandbox_state(stack.urls["sandbox"])[
        "notifications"] if n["idempotency_key"].endswith("/final"))
    assert [finals[store.escalation(e)["case_id"]] for e in closing] == [1] * (count + 1)
    assert paid_twice(sandbox_state(stack.urls["sandbox"])) == []


def _approval_runs(api: str) -> list[FlowRun]:
    with api_url(api), get_client(sync_client=True) as client:
        return client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(
            any_=[APPROVAL_FLOW])), limit=200)


def _tail(stack: BurstStack) -> str:
    return "\n".join(f"--- {name} ---\n" + "\n".join(
        (stack.logs / f"{name}.log").read_text(errors="replace").splitlines()[-15:])
        for name in stack.resolvers)


def _runs_finished(api: str) -> bool:
    return count_contact_runs(api, "burst", UNFINISHED) == 0


def _received(stack: BurstStack) -> dict[str, set[str]]:
    """The task runs each resolver received, from its log."""
    return {name: set(received_runs(stack.logs / f"{name}.log")) for name in stack.resolvers}


def test_a_burst_is_resolved_once_per_contact_by_both_resolvers_paying_nothing_twice(
        burst_stack):
    stack, contacts = burst_stack, burst_contacts(COUNT, repeat=2)
    ids = {c["id"] for c in contacts}
    watcher = OutcomeWatcher(stack.case_store_url)
    try:
        started = time.monotonic()
        sent = post_signed(stack.urls["intake"], SECRET, contacts, threads=4)
        posted_s = round(time.monotonic() - started, 1)
        done = watcher.wait(ids, timeout=120 + COUNT * SECONDS_PER_CONTACT)
        assert set(done) == ids, (f"{len(ids - set(done))} of {COUNT} contacts got no outcome, "
                                  f"e.g. {sorted(ids - set(done))[:5]}\n{_tail(stack)}")
        outcomes = watcher.outcomes()
    finally:
        watcher.close()
    wait_for(lambda: _runs_finished(stack.urls["api"]), 120,
             "every contact's task run to finish")

    assert Counter(contact for contact, _ in outcomes if contact in ids) == dict.fromkeys(ids, 1)
    assert {outcome for contact, outcome in outcomes if contact in ids} <= {
        "resolved", "escalated"}
    runs = read_contact_runs(stack.urls["api"], "burst")
    assert {contact: [r["state_type"] for r in runs.get(contact, [])] for contact in ids} == {
        contact: ["COMPLETED"] for contact in ids}, "one completed task run each"
    assert set(runs) == ids, f"runs for contacts never sent: {sorted(set(runs) - ids)}"
    assert paid_twice(sandbox_state(stack.urls["sandbox"])) == []
    received = _received(stack)
    by_resolver = {name: len(got) for name, got in received.items()}
    assert all(by_resolver.values()), f"a resolver resolved nothing: {by_resolver}"
    assert sum(by_resolver.values()) == len(set().union(*received.values())) == len(ids)

    _assert_every_escalation_reaches_an_agent_and_closes(stack)

    figures = summary(sent, done)
    print(f"\nburst of {COUNT} on {RESOLVERS} resolvers: posted in "
          f"{posted_s} s, all outcomes in {figures['span_s']} s ({figures['per_s']}/s), "
          f"intake->outcome p50 {figures['p50_s']} s p95 {figures['p95_s']} s, "
          f"runs per resolver {by_resolver}, "
          f"outcomes {dict(Counter(o for c, o in outcomes if c in ids))}")
