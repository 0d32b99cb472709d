"""The chaos tests run flows under the same session Prefect harness as tests/flows."""

from tests.flows.conftest import (  # noqa: F401
    example_world,
    examples_replay,
    fast_retries,
    prefect_harness,
)
