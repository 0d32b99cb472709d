"""Replay timing: wall time of a replay, and time per contact once Prefect is up.

Run: .venv/bin/python benchmarks/replay_timing.py [WORLD.json CONTACTS.jsonl]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("PREFECT_HOME", str(ROOT / ".prefect"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from onetouch.replay import run_replay  # noqa: E402


def main() -> None:
    world = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests/data/world.json"
    contacts = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "tests/data/contacts.jsonl"
    stamps: list[float] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        outcomes = run_replay(world, contacts, Path(tmp) / "out.jsonl", Path(tmp) / "state.json",
                              progress=lambda _: stamps.append(time.perf_counter()))
    wall = time.perf_counter() - started
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    print(f"contacts            {len(outcomes)}")
    print(f"replay wall time    {wall:.1f} s (process start excluded)")
    print(f"until 1st outcome   {stamps[0] - started:.1f} s (sandbox + Prefect start + 1st flow)")
    if gaps:
        print(f"per contact, warm   mean {statistics.mean(gaps):.2f} s  "
              f"median {statistics.median(gaps):.2f} s  max {max(gaps):.2f} s")


if __name__ == "__main__":
    main()
