"""Process-wide handles the tasks share: the platform, the case store, the policy."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from functools import lru_cache

from prefect.blocks.system import Secret
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectNotFound
from prefect.settings import PREFECT_API_URL
from prefect.variables import Variable
from pydantic import SecretStr

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
        client = Platform.from_settings(with_secrets(settings))
        held = _platforms[id(settings)] = (settings, client)
    return held[1]


def with_secrets(settings: Settings) -> Settings:
    """The settings with secrets read at run time from the Secret blocks they name."""
    update: dict[str, object] = {}
    if settings.platform_api_key_block:
        update["platform_api_key"] = SecretStr(Secret.load(settings.platform_api_key_block).get())
    if settings.queue_notify_urls_block:
        urls = Secret.load(settings.queue_notify_urls_block).get()
        update["queue_notify_urls"] = json.loads(urls) if isinstance(urls, str) else urls
    return settings.model_copy(update=update) if update else settings


def queue_notify_urls() -> dict[str, list[str]]:
    """Where each queue's announcements go."""
    return with_secrets(get_settings()).queue_notify_urls


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


LIMIT_PREFIX = "onetouch-platform-"


def guard(system: str) -> AbstractContextManager[object]:
    """A slot of the platform system's global concurrency limit, created from settings if new."""
    limit = get_settings().platform_limits.get(system)
    if limit is None:
        return nullcontext()
    name = f"{LIMIT_PREFIX}{system}"
    ensure_limit(PREFECT_API_URL.value() or "ephemeral", name, limit)
    return concurrency(name, occupy=1, strict=True)


@lru_cache(maxsize=32)
def ensure_limit(api: str, name: str, limit: int) -> None:
    """Create the named limit once per server when it is missing (an operator may retune it)."""
    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(name=name, limit=limit))


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
