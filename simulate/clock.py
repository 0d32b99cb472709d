"""The simulated day's clock: `now`, the span of the day, local hours, fast ISO formatting."""

from __future__ import annotations

from datetime import UTC, datetime

NOW = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)  # Friday 22:00 in Central time
NOW_TS = int(NOW.timestamp())
MINUTE, HOUR, DAY = 60, 3600, 86400
LOCAL_OFFSET = -6 * HOUR  # every simulated city is on Central time (CST in November)
SPAN = 30 * HOUR  # offers are accepted in the 30 hours before now
SPAN_START = NOW_TS - SPAN
CONTACT_WINDOW = 12 * HOUR  # contacts arrive in the 12 hours after now
GRACE = 60 * MINUTE  # the policy's pay grace: what detection at now cannot see yet
DETECTION_SINCE = NOW_TS - 24 * HOUR
# Offers per local hour of the day (0..23): a lunch and a dinner peak, quiet nights.
LOCAL_DEMAND = (0.25, 0.15, 0.1, 0.05, 0.05, 0.1, 0.3, 0.6, 0.7, 0.7, 0.9, 1.6,
                1.8, 1.3, 0.8, 0.8, 1.1, 1.9, 2.2, 2.0, 1.5, 1.0, 0.7, 0.45)


def local_hour(ts: int) -> int:
    """The hour of the local day (0..23) at a time."""
    return ((ts + LOCAL_OFFSET) // HOUR) % 24


def local_midnight(ts: int) -> int:
    """The UTC time of the local midnight that starts the local day of `ts`."""
    return ts - (ts + LOCAL_OFFSET) % DAY


def wait_pay(minutes: int) -> int:
    """Wait-time pay for a store wait in whole minutes: (wait − 15) × 25, at most 1000."""
    return min(max(minutes - 15, 0) * 25, 1000)


class Times:
    """ISO-8601 text for whole-second times, from a per-minute table (millions are written)."""

    def __init__(self, start: int, end: int) -> None:
        self.start = start - start % MINUTE
        self._minutes = [datetime.fromtimestamp(m, UTC).strftime("%Y-%m-%dT%H:%M")
                         for m in range(self.start, end + MINUTE, MINUTE)]
        self._seconds = [f":{s:02d}Z" for s in range(60)]

    def iso(self, ts: int) -> str:
        """A time as `2026-11-21T04:00:00Z`."""
        d = ts - self.start
        if 0 <= d < len(self._minutes) * MINUTE:
            return self._minutes[d // MINUTE] + self._seconds[d % MINUTE]
        return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso(ts: int) -> str:
    """A time as ISO-8601 UTC with a Z."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
