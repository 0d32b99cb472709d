"""The stack's processes on Linux: alive or not (pid and start time), their families, stopping."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any


def _stat(pid: int) -> list[str] | None:
    """State, ppid, pgrp, … of /proc/PID/stat (the fields after the command name)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (tells a reused pid apart)."""
    fields = _stat(pid)
    return int(fields[19]) if fields else None


def alive(pid: int, started: int | None) -> bool:
    """The process is running and is the one recorded (not a reused pid)."""
    fields = _stat(pid)
    return bool(fields and fields[0] != "Z" and (started is None or int(fields[19]) == started))


def _family(pid: int) -> list[tuple[int, int]]:
    """The process, its group and its descendants, each with its start time."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) and fields[0] != "Z":
            table[int(entry.name)] = (int(fields[1]), int(fields[2]), int(fields[19]))
    members, grew = {p for p, (_, group, _) in table.items() if group == pid} | {pid}, True
    while grew:
        more = {p for p, (parent, _, _) in table.items() if parent in members} - members
        members, grew = members | more, bool(more)
    return [(p, table[p][2]) for p in sorted(members) if p in table]


def _signal(family: list[tuple[int, int]], sig: signal.Signals) -> None:
    for pid, started in family:
        if alive(pid, started):
            with suppress(ProcessLookupError):
                os.kill(pid, sig)


def _reap(pid: int) -> None:
    """Collect the exit of a process this one started (a no-op for others)."""
    with suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _wait_gone(family: list[tuple[int, int]], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        for pid, _ in family:
            _reap(pid)
        if not any(alive(pid, started) for pid, started in family):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def stop_process(record: dict[str, Any], timeout: float = 20) -> bool:
    """SIGTERM a recorded process with its group and children, SIGKILL after the timeout."""
    if not alive(record["pid"], record.get("started")):
        _reap(record["pid"])
        return False
    family = _family(record["pid"])
    _signal(family, signal.SIGTERM)
    if not _wait_gone(family, timeout):
        _signal(_family(record["pid"]) + family, signal.SIGKILL)
        _wait_gone(family, 10)
    return True


def log_tail(record: dict[str, Any], lines: int = 30) -> str:
    """The end of a process's log."""
    try:
        text = Path(record["log"]).read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def family_cpu(pid: int) -> float:
    """CPU seconds of a process, its group and descendants, those they reaped included."""
    ticks = 0
    for member, started in _family(pid):
        fields = _stat(member)
        if fields and int(fields[19]) == started:
            ticks += sum(int(x) for x in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def named_cpu(name: str) -> float:
    """CPU seconds of every process with the given command name, those they reaped included."""
    ticks = 0
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == name:
                fields = _stat(int(entry.name))
                ticks += sum(int(x) for x in fields[11:15]) if fields else 0
        except OSError:
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


def keep_running(command: list[str], echo: Callable[[str], None], pause_s: float = 1.0) -> int:
    """Run a command as a child and start it again each time it dies (killed, crashed), until
    it exits 0 or this process is asked to stop (SIGTERM, SIGINT: passed on to the child);
    the child's last exit code."""
    stopping = False
    child: subprocess.Popen[bytes] | None = None

    def stop(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)
    while True:
        child = subprocess.Popen(command)
        code = child.wait()
        if stopping or code == 0:
            return code
        echo(f"{' '.join(command[-3:])} exited with {code}: starting it again")
        time.sleep(pause_s)
