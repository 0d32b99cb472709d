"""`onetouch replay`: the whole system over a world and a contact stream, deterministically."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any, cast

from integrations import Platform
from onetouch.inputs import ContactLine, load_world, read_contacts
from onetouch.models import World
from onetouch.outcomes import rejected
from onetouch.prefect_server import running_server
from onetouch.settings import get_settings
from sandbox.server import SandboxServer

Progress = Callable[[dict[str, Any]], None]


@contextmanager
def embedded_platform(world: World, workdir: Path, case_store_url: str | None = None,
                      faults: dict[str, Any] | None = None) -> Iterator[Platform]:
    """A fresh sandbox loaded with the world (faults injected when asked), and settings pointing
    the flows at it and at the case store (a fresh SQLite file unless a URL is given)."""
    with SandboxServer(db_path=workdir / "sandbox.db") as sandbox:
        saved = {k: os.environ.get(k) for k in ("ONETOUCH_PLATFORM_URL", "ONETOUCH_CASE_STORE_URL")}
        os.environ["ONETOUCH_PLATFORM_URL"] = sandbox.url
        store_url = case_store_url or f"sqlite:///{workdir / 'cases.db'}"
        os.environ["ONETOUCH_CASE_STORE_URL"] = store_url
        get_settings.cache_clear()
        try:
            with Platform.from_settings() as platform:
                platform.admin.load_world(world)
                if faults:
                    platform.admin.set_faults(faults)
                yield platform
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            get_settings.cache_clear()


def resolve_lines(platform: Platform, lines: list[ContactLine],
                  progress: Progress | None = None, ticks: Iterator[datetime] | None = None
                  ) -> list[dict[str, Any]]:
    """Resolve each contact in `received_at` order (detection first at every tick up to its
    arrival, when ticks are given); outcomes come back in the input's order."""
    from flows.resolver import resolve_now

    outcomes: dict[int, dict[str, Any]] = {}
    upcoming = ticks or iter(())
    tick = next(upcoming, None)
    for line in _in_received_order(lines):
        while tick is not None and line.received_at is not None and tick <= line.received_at:
            platform.admin.set_clock(tick)
            detected = run_detection()
            if progress:
                progress(detected)
            tick = next(upcoming, None)
        if line.raw is None:
            outcomes[line.line_no] = rejected(None, None, line.error or "unreadable").line()
        else:
            if line.received_at is not None:
                platform.admin.set_clock(line.received_at)
            outcomes[line.line_no] = resolve_now(line.raw)
        if progress:
            progress(outcomes[line.line_no])
    return [outcomes[line.line_no] for line in lines]


def _in_received_order(lines: list[ContactLine]) -> list[ContactLine]:
    timed = [ln for ln in lines if ln.received_at is not None]
    untimed = [ln for ln in lines if ln.received_at is None]
    return sorted(timed, key=lambda ln: cast(datetime, ln.received_at)) + untimed


def final_state(platform: Platform) -> dict[str, Any]:
    """The sandbox's state plus the case store's escalations and incidents."""
    from flows import deps

    state = platform.admin.state()
    state["incidents"] = deps.case_store().incidents()
    state["escalations"] = deps.case_store().escalations()
    faults = platform.admin.faults()
    if faults["routes"]:
        state["faults_injected"] = faults["injected"]
    return state


def run_detection() -> dict[str, Any]:
    """One detection run at the platform's clock: the replay's summary line."""
    from flows.detection import detect_defects

    return {"detection": detect_defects()}


def detection_ticks(now: datetime, every_s: int) -> Iterator[datetime]:
    """The times detection runs after `now` on a schedule: now + k × every_s, k = 1, 2, …"""
    return (now + timedelta(seconds=every_s * k) for k in count(1))


def run_replay(world_path: Path, contacts_path: Path | None, out_path: Path,
               state_path: Path | None = None, progress: Progress | None = None,
               keep: Path | None = None, detect: bool = False,
               faults: dict[str, Any] | None = None, case_store_url: str | None = None,
               dry_run: bool = False, detect_every_s: int | None = None) -> list[dict]:
    """Replay a world (detecting defects first, when asked, and again every `detect_every_s`
    seconds of the platform's clock while contacts arrive) and its contacts into files, with
    the sandbox's faults injected when asked; the state then says how many were. A dry run
    pays and sends nothing: its actions are kept in the case store's `dry_run_actions`. Only
    the first detection run's summary is a line of the output."""
    if detect_every_s and not detect:
        raise ValueError("detect_every_s needs detect=True")
    world = load_world(world_path)
    lines = read_contacts(contacts_path)
    with _workdir(keep) as workdir, _dry_run(dry_run), _one_caller(), \
            _prefect_for_the_run(workdir), \
            embedded_platform(world, workdir, case_store_url, faults) as platform:
        head = [run_detection()] if detect else []
        if head and progress and detect_every_s:
            progress(head[0])
        ticks = detection_ticks(world.now, detect_every_s) if detect_every_s else None
        outcomes = head + resolve_lines(platform, lines, progress, ticks)
        state = final_state(platform) if state_path else None
    _write_jsonl(out_path, outcomes)
    if state_path and state is not None:
        Path(state_path).write_text(json.dumps(state, indent=1, sort_keys=True) + "\n")
    return outcomes


@contextmanager
def _prefect_for_the_run(workdir: Path) -> Iterator[None]:
    """The Prefect API the run's task and flow runs report to: the one configured, else a
    server of the run's own on PREFECT_HOME (its SQLite transactions IMMEDIATE: no lock
    errors); flow runs without heartbeats (they live and die with this process)."""
    from prefect.context import SyncClientContext
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        temporary_settings,
    )

    with temporary_settings(set_defaults={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        if PREFECT_API_URL.value():
            with SyncClientContext.get_or_create():  # one client for every run (~55 ms each)
                yield
            return
        with running_server(workdir / "prefect-server.log"), SyncClientContext.get_or_create():
            yield


@contextmanager
def _one_caller() -> Iterator[None]:
    """No platform concurrency limits for the run: a replay is the platform's only caller,
    one call at a time (a slot would cost two calls to the Prefect server each time)."""
    saved = os.environ.get("ONETOUCH_PLATFORM_LIMITS")
    os.environ["ONETOUCH_PLATFORM_LIMITS"] = "{}"
    try:
        yield
    finally:
        _restore("ONETOUCH_PLATFORM_LIMITS", saved)


@contextmanager
def _dry_run(on: bool) -> Iterator[None]:
    """ONETOUCH_DRY_RUN set for the run when asked, as it was afterwards."""
    saved = os.environ.get("ONETOUCH_DRY_RUN")
    if on:
        os.environ["ONETOUCH_DRY_RUN"] = "true"
    try:
        yield
    finally:
        _restore("ONETOUCH_DRY_RUN", saved)


def _restore(name: str, saved: str | None) -> None:
    if saved is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = saved
    get_settings.cache_clear()


@contextmanager
def _workdir(keep: Path | None) -> Iterator[Path]:
    """A fresh folder for the run's databases: kept when asked, else temporary."""
    if keep is None:
        with tempfile.TemporaryDirectory(prefix="onetouch-replay-") as tmp:
            yield Path(tmp)
        return
    keep.mkdir(parents=True, exist_ok=True)
    for name in ("sandbox.db", "cases.db"):
        (keep / name).unlink(missing_ok=True)
    yield keep


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with Path(path).open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False, sort_keys=False) + "\n")
