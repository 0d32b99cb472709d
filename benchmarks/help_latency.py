"""In-app help latency: GET /help over HTTP, against the sandbox over HTTP.

Run: .venv/bin/python benchmarks/help_latency.py [--world WORLD.json] [--requests 300]
     [--threads 1] [--json]

The sandbox (`onetouch sandbox`, loaded with the world) and the intake app (which serves /help)
each run in their own process under uvicorn on a free local port, as `onetouch up` runs them;
the intake's dispatch is a no-op (no Prefect), so an owed answer is stored in a temporary case
store but starts no flow. Every driver of the
world is asked about every question type (screens, offers of theirs, and questions in words),
in turn; 12 warm-up requests (the intent model's first load among them) are not counted.
Each request is signed as the app's backend signs it (a fresh per-run secret, the query
string's HMAC in the X-Onetouch-* headers); the signing happens before the clock starts.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PREFECT_HOME", str(ROOT / ".prefect"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

import httpx  # noqa: E402
import uvicorn  # noqa: E402

from onetouch.inputs import load_world  # noqa: E402
from onetouch.intake.app import create_app  # noqa: E402
from onetouch.intake.signing import signed_query  # noqa: E402
from onetouch.models import World  # noqa: E402
from onetouch.settings import Settings  # noqa: E402

SCREENS = ["tip", "pay", "wait", "cancelled", "challenge", "deposits", "earnings", "login",
           "deactivation", "safety", "help"]
QUESTIONS = ["where is my tip", "my challenge bonus did not arrive", "no recibí mi pago",
             "I waited 40 minutes at the store", "my deposit failed"]
WARM_UP = 10


def queries(world: World) -> list[dict[str, str]]:
    """Every driver's questions: each screen, each screen on their latest offer, and words."""
    latest = {}
    for offer in sorted(world.offers, key=lambda o: o.accepted_at):
        latest[offer.driver_id] = offer.id
    out: list[dict[str, str]] = []
    for driver in world.drivers:
        out += [{"driver_id": driver.id, "screen": s} for s in SCREENS]
        if driver.id in latest:
            out += [{"driver_id": driver.id, "screen": s, "offer_id": latest[driver.id]}
                    for s in ("tip", "pay", "cancelled", "earnings")]
        out += [{"driver_id": driver.id, "q": q} for q in QUESTIONS]
    return out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_help(port: int) -> None:
    """(In the child process) the intake app, /help included, with a no-op dispatch."""
    app = create_app(Settings(), dispatch=lambda raw: None)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def spawn(args: list[str], env: dict[str, str], health: str) -> subprocess.Popen:
    """A child process, waited for until its health URL answers."""
    child = subprocess.Popen(args, env=os.environ | env, cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(health, timeout=1).status_code == 200:
                return child
        except httpx.HTTPError:
            time.sleep(0.1)
    child.kill()
    raise SystemExit(f"{args[2:4]} did not start")


def measure(url: str, plan: list[dict[str, str]], threads: int, secret: str
            ) -> tuple[list[float], Counter]:
    """Each signed request's seconds, and the status codes."""
    local = threading.local()
    statuses: Counter = Counter()

    def one(params: dict[str, str]) -> float:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=url, timeout=10)
        query, headers = signed_query(secret, int(time.time()), params)
        started = time.perf_counter()
        response = local.client.get(f"/help?{query}", headers=headers)
        elapsed = time.perf_counter() - started
        statuses[response.status_code] += 1
        return elapsed

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, plan)), statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--world", type=Path, default=ROOT / "tests" / "data" / "world.json")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--serve-help", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_help:
        serve_help(args.serve_help)
        return
    world = load_world(args.world)
    plan = list(itertools.islice(itertools.cycle(queries(world)), args.requests))
    warm_up = [p for p in plan if "q" in p][:2] + plan[:WARM_UP]
    sandbox_port, help_port = _free_port(), _free_port()
    secret = secrets.token_urlsafe(32)
    with tempfile.TemporaryDirectory() as tmp:
        children = [spawn([sys.executable, "-m", "onetouch.cli", "sandbox", "--world",
                           str(args.world), "--db", str(Path(tmp) / "sandbox.db"),
                           "--port", str(sandbox_port)], {},
                          f"http://127.0.0.1:{sandbox_port}/clock")]
        try:
            children.append(spawn(
                [sys.executable, __file__, "--serve-help", str(help_port)],
                {"ONETOUCH_PLATFORM_URL": f"http://127.0.0.1:{sandbox_port}",
                 "ONETOUCH_CASE_STORE_URL": f"sqlite:///{Path(tmp) / 'cases.db'}",
                 "ONETOUCH_INTAKE_SECRET": secret},
                f"http://127.0.0.1:{help_port}/health"))
            url = f"http://127.0.0.1:{help_port}"
            measure(url, warm_up, 1, secret)
            started = time.perf_counter()
            latencies, statuses = measure(url, plan, args.threads, secret)
            wall = time.perf_counter() - started
        finally:
            for child in children:
                child.terminate()
                child.wait(20)
    report(args, latencies, statuses, wall)


def report(args: argparse.Namespace, latencies: list[float], statuses: Counter,
           wall: float) -> None:
    """p50/p95/p99/max in milliseconds, printed or as JSON."""
    ms = sorted(x * 1000 for x in latencies)
    figures = {
        "requests": len(ms), "threads": args.threads, "statuses": dict(statuses),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1),
        "p99_ms": round(ms[int(0.99 * (len(ms) - 1))], 1), "max_ms": round(ms[-1], 1),
        "mean_ms": round(statistics.mean(ms), 1), "per_s": round(len(ms) / wall, 1)}
    if args.json:
        print(json.dumps(figures))
        return
    print(f"GET /help x{figures['requests']} ({args.threads} thread(s), world {args.world.name})"
          f": p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, "
          f"p99 {figures['p99_ms']} ms, max {figures['max_ms']} ms, "
          f"{figures['per_s']} req/s; statuses {figures['statuses']}")


if __name__ == "__main__":
    main()
