"""Process-wide handles the tasks share: the platform, the case store, the policy."""

from __future__ import annotations

import json
from functools import lru_cache

from prefect.variables import Variable

from integrations import Platform
from onetouch.casestore import CaseStore
from onetouch.settings import Settings, get_settings
from policy.config import PolicyConfig, load_policy

_platforms: dict[int, tuple[Settings, Platform]] = {}


def platform() -> Platform:
    """The platform client for the current settings (one per settings object)."""
    settings = get_settings()
    held = _platforms.get(id(settings))
    if held is None or held[0] is not settings:
        held = _platforms[id(settings)] = (settings, Platform.from_settings(settings))
    return held[1]


@lru_cache(maxsize=8)
def _store_for(url: str, urgent_hours: int, standard_hours: int) -> CaseStore:
    return CaseStore(url, {"trust-safety": urgent_hours, "default": standard_hours})


def case_store() -> CaseStore:
    """The case store for the current settings, with the policy's answer times."""
    rules = policy()
    return _store_for(get_settings().case_store_url, rules.urgent_ack_hours,
                      rules.standard_ack_hours)


POLICY_VARIABLE = "onetouch-policy"


def policy() -> PolicyConfig:
    """The policy in force: the settings' file, else the Prefect Variable, else the defaults."""
    settings = get_settings()
    if settings.policy_file is not None:
        return load_policy(settings.policy_file)
    overrides = Variable.get(POLICY_VARIABLE, default=None)
    if overrides is None:
        return PolicyConfig()
    if isinstance(overrides, str):
        overrides = json.loads(overrides)
    return PolicyConfig.model_validate(overrides)
