"""Hypothesis profiles for the fuzz tests: bounded for CI, long with HYPOTHESIS_PROFILE=fuzz.

    .venv/bin/pytest -q tests/fuzz                                      # ci: 200 a property
    HYPOTHESIS_PROFILE=fuzz .venv/bin/pytest -q tests/fuzz              # fuzz: 5,000 a property
    HYPOTHESIS_PROFILE=fuzz FUZZ_EXAMPLES=20000 .venv/bin/pytest -q tests/fuzz

Properties that run a Prefect flow per example take FLOW_EXAMPLES (2, or 100 when fuzzing);
those that write files or a database per example take `ci_examples(n)`: n in CI (to keep the
whole folder under a minute), the profile's number when fuzzing.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

ROOT = Path(__file__).resolve().parent.parent.parent
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5000"))
FLOW_EXAMPLES = int(os.environ.get("FUZZ_FLOW_EXAMPLES", "100" if PROFILE == "fuzz" else "2"))

_COMMON = dict(
    deadline=None,  # Prefect, SQLite and the first model fit make timings meaningless
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture],
    database=DirectoryBasedExampleDatabase(ROOT / ".pytest_cache" / "hypothesis"),
    print_blob=True,
)
settings.register_profile("ci", max_examples=200, **_COMMON)
settings.register_profile("fuzz", max_examples=FUZZ_EXAMPLES, **_COMMON)
settings.load_profile(PROFILE)


def ci_examples(n: int) -> settings:
    """n examples in the CI profile, the fuzz profile's number otherwise."""
    return settings(max_examples=n if PROFILE == "ci" else settings().max_examples)
