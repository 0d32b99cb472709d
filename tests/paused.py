"""Waiting in tests for a named flow run to pause (for an agent's input)."""

from __future__ import annotations

import time
from typing import Any

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterName,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, StateType


def paused_run(name: str, timeout: float = 60.0, result: dict[str, Any] | None = None,
               every: float = 0.3) -> FlowRun:
    """The paused run of that name (earlier tests' runs of the same name are finished); fails
    after the timeout, or at once when the run's caller put an "error" in `result`."""
    result = {} if result is None else result
    only_paused = FlowRunFilter(name=FlowRunFilterName(any_=[name]), state=FlowRunFilterState(
        type=FlowRunFilterStateType(any_=[StateType.PAUSED])))
    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline and "error" not in result:
            runs = client.read_flow_runs(flow_run_filter=only_paused)
            if runs:
                return runs[0]
            time.sleep(every)
    raise AssertionError(f"{name} never paused: {result.get('error', 'no error reported')}")
