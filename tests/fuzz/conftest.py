"""The fuzz tests' Hypothesis profile (see profiles.py): `ci` unless HYPOTHESIS_PROFILE says."""

from __future__ import annotations

import tests.fuzz.profiles  # noqa: F401 - registers and loads the profile
