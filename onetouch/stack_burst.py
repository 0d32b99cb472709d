"""Bursts of signed contacts into a running stack's intake, and what became of them.

Shared by the scale-out test (tests/deploy/test_burst.py) and benchmarks/throughput.py.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from onetouch.intake.signing import signed_headers
from onetouch.settings import PROJECT_ROOT

BUNDLED_CONTACTS = PROJECT_ROOT / "onetouch" / "data" / "contacts.jsonl"
FLOW = "resolve-contact"
UNFINISHED = ["SCHEDULED", "PENDING", "RUNNING", "CANCELLING"]


def burst_contacts(count: int, prefix: str = "burst", repeat: int = 1) -> list[dict[str, Any]]:
    """`count` contacts about the bundled world's drivers: the bundled messages in turn, each
    `repeat` times in a row, under new ids.

    The same subject is asked about by several contacts close together (`repeat` > 1: at the
    same moment, so different workers race on it): the policy must pay it once.
    """
    bundled = [json.loads(line) for line in BUNDLED_CONTACTS.read_text().splitlines() if line]
    width = len(str(count))
    picked = (bundled[i // repeat % len(bundled)] for i in range(count))
    return [c | {"id": f"{prefix}-{i:0{width}d}-{c['id']}"} for i, c in enumerate(picked)]


def post_signed(intake: str, secret: str, contacts: list[dict[str, Any]], threads: int = 4,
                timeout: float = 60) -> dict[str, float]:
    """POST each contact, signed as it is sent, from a few client threads; each 202's time."""
    local = threading.local()

    def send(contact: dict[str, Any]) -> tuple[str, float]:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=intake, timeout=timeout)
        body = json.dumps(contact).encode()
        headers = signed_headers(secret, int(time.time()), body)
        response = local.client.post("/contacts", content=body,
                                     headers=headers | {"Content-Type": "application/json"})
        if response.status_code != 202:
            raise RuntimeError(f"intake answered {response.status_code} for {contact['id']}: "
                               f"{response.text}")
        return contact["id"], time.time()

    with ThreadPoolExecutor(threads) as pool:
        return dict(pool.map(send, contacts))


class OutcomeWatcher:
    """Notes when each contact's outcome first appears in the case store (its reply was sent)."""

    def __init__(self, case_store_url: str) -> None:
        from sqlalchemy import create_engine

        self.engine = create_engine(case_store_url, pool_pre_ping=True)
        self.seen: dict[str, float] = {}

    def poll(self) -> dict[str, float]:
        from sqlalchemy import select

        from onetouch.casestore.tables import cases

        with self.engine.connect() as conn:
            ids = conn.execute(select(cases.c.contact_id)).scalars().all()
        now = time.time()
        for contact_id in ids:
            self.seen.setdefault(contact_id, now)
        return self.seen

    def wait(self, ids: Iterable[str], timeout: float, every: float = 0.2) -> dict[str, float]:
        """First-seen times of the given contacts' outcomes (those still missing at the end left
        out)."""
        wanted = set(ids)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if wanted <= set(self.poll()):
                break
            time.sleep(every)
        return {k: v for k, v in self.seen.items() if k in wanted}

    def outcomes(self) -> list[tuple[str, str]]:
        """(contact id, outcome) of every case recorded."""
        from sqlalchemy import select

        from onetouch.casestore.tables import cases

        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(select(cases.c.contact_id,
                                                              cases.c.outcome))]

    def close(self) -> None:
        self.engine.dispose()


def read_runs(api: str, flow: str = FLOW, page: int = 200) -> list[dict[str, Any]]:
    """Every flow run of a flow, as the API returns them (parameters, state, labels)."""
    runs: list[dict[str, Any]] = []
    with httpx.Client(base_url=api, timeout=30) as client:
        while True:
            batch = client.post("/flow_runs/filter", json={
                "flows": {"name": {"any_": [flow]}}, "limit": page, "offset": len(runs),
                "sort": "EXPECTED_START_TIME_ASC"}).json()
            runs.extend(batch)
            if len(batch) < page:
                return runs


def count_runs(api: str, flow: str | list[str] = FLOW, states: list[str] | None = None) -> int:
    """How many runs of a flow (or flows) are in the given state types (any state when None)."""
    body: dict[str, Any] = {"flows": {"name": {"any_": [flow] if isinstance(flow, str) else flow}}}
    if states:
        body["flow_runs"] = {"state": {"type": {"any_": states}}}
    return int(httpx.post(f"{api}/flow_runs/count", json=body, timeout=30).json())


def count_contact_runs(api: str, prefix: str = "", states: list[str] | None = None) -> int:
    """How many `contact-<prefix>…` task runs are in the given state types (any when None)."""
    body: dict[str, Any] = {"task_runs": {"name": {"like_": f"contact-{prefix}%"}}}
    if states:
        body["task_runs"]["state"] = {"type": {"any_": states}}
    return int(httpx.post(f"{api}/task_runs/count", json=body, timeout=30).json())


def read_contact_runs(api: str, prefix: str = "", page: int = 200) -> dict[str, list[dict]]:
    """Every `contact-<prefix>…` task run, by contact id."""
    runs: list[dict[str, Any]] = []
    with httpx.Client(base_url=api, timeout=30) as client:
        while True:
            batch = client.post("/task_runs/filter", json={
                "task_runs": {"name": {"like_": f"contact-{prefix}%"}}, "limit": page,
                "offset": len(runs)}).json()
            runs.extend(batch)
            if len(batch) < page:
                break
    grouped: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        grouped.setdefault(run["name"].removeprefix("contact-"), []).append(run)
    return grouped


def count_task_runs(api: str, flow: str = FLOW) -> int:
    """Task runs of every run of a flow."""
    return int(httpx.post(f"{api}/task_runs/count", timeout=30,
                          json={"flows": {"name": {"any_": [flow]}}}).json())


def runs_by_contact(runs: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """resolve-contact runs grouped by the id of the contact they were given."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        contact = (run.get("parameters") or {}).get("contact")
        key = contact.get("id") if isinstance(contact, dict) else None
        grouped.setdefault(str(key), []).append(run)
    return grouped


def paid_twice(state: dict[str, Any]) -> list[str]:
    """What the sandbox recorded more than once: an idempotency key, a subject's adjustment of
    one kind, a reissue of one offer, a first reply or a final reply to one case."""
    earnings = [e for e in state["earnings"] if e.get("idempotency_key")]
    counts = {
        "idempotency key": Counter(e["idempotency_key"] for e in earnings),
        "adjustment": Counter((e["driver_id"], e["kind"], e.get("offer_id"),
                               e.get("incentive_id")) for e in earnings),
        "reissue of": Counter(o["reissued_from"] for o in state["offers"]
                              if o.get("reissued_from")),
        "reply to": Counter((n["reference"], str(n["idempotency_key"]).endswith("/final"))
                            for n in state["notifications"]
                            if str(n.get("reference", "")).startswith("case-")),
    }
    return [f"{what} {key} x{n}" for what, counter in counts.items()
            for key, n in counter.items() if n > 1]


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (share in 0..1) of some values."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)] if ordered else float("nan")


def summary(sent: dict[str, float], done: dict[str, float]) -> dict[str, float]:
    """Items per second from the first send to the last completion; p50/p95 latency."""
    latencies = [done[k] - sent[k] for k in done if k in sent]
    span = max(done.values()) - min(sent.values()) if done and sent else float("nan")
    return {"count": len(latencies), "span_s": round(span, 1),
            "per_s": round(len(latencies) / span, 3) if span else float("nan"),
            "p50_s": round(percentile(latencies, 0.50), 2),
            "p95_s": round(percentile(latencies, 0.95), 2)}
