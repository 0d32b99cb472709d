"""Failpoints for crash tests: the run's process dies at a named point, once per key."""

from __future__ import annotations

import hashlib
import os
import threading

from onetouch.settings import get_settings

CRASH_EXIT_CODE = 137
_FIRING = threading.Lock()


def failpoint(point: str, key: str) -> None:
    """Exit the process at once (no cleanup, like a SIGKILL) if the point is armed and has not
    fired for this key yet; a no-op unless ONETOUCH_CRASH_POINTS names the point."""
    settings = get_settings()
    if point not in settings.crash_points or settings.crash_dir is None:
        return
    marker = settings.crash_dir / f"{point}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"
    with _FIRING:  # held until the exit: no other thread's point is left half-written
        try:
            with marker.open("x") as fired:
                fired.write(f"{point} {key}\n")
                fired.flush()
                os.fsync(fired.fileno())
        except FileExistsError:
            return
        os._exit(CRASH_EXIT_CODE)
