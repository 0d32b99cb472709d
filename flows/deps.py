"""Process-wide handles the tasks share: the platform, the case store, the policy."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache

from prefect.variables import Variable

from integrations import Platform, PlatformError
from onetouch.casestore import CaseStore
from onetouch.models import utc_now
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
def _store_for(url: str) -> CaseStore:
    return CaseStore(url)


def case_store() -> CaseStore:
    """The case store for the current settings."""
    return _store_for(get_settings().case_store_url)


def platform_now() -> datetime:
    """The platform's clock, or this machine's when the platform cannot be reached."""
    try:
        return platform().clock.now()
    except PlatformError:
        return utc_now()


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
