"""Process-wide handles the tasks share: the platform, the case store, the policy."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager, nullcontext, suppress
from datetime import datetime
from functools import lru_cache
from threading import BoundedSemaphore
from typing import TYPE_CHECKING, Any, cast

from prefect.blocks.system import Secret
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
from prefect.settings import PREFECT_API_URL
from prefect.variables import Variable
from pydantic import SecretStr

from integrations import Platform, PlatformError
from integrations.dry_run import dry_run_platform
from onetouch.casestore import CaseStore
from onetouch.casestore.dry_run import DryRunLog
from onetouch.models import utc_now
from onetouch.settings import Settings, get_settings
from policy.breaker import KillSwitch
from policy.config import PolicyConfig, load_policy
from understanding.cache import CACHE

if TYPE_CHECKING:
    from understanding.compiled import CompiledIntentModel

_platforms: dict[int, tuple[Settings, Platform]] = {}


def platform() -> Platform:
    """The platform client for the current settings (one per settings object)."""
    settings = get_settings()
    held = _platforms.get(id(settings))
    if held is None or held[0] is not settings:
        client = Platform.from_settings(with_secrets(settings))
        if settings.dry_run:  # actions recorded in the case store, never sent
            client = dry_run_platform(client, DryRunLog(case_store().engine))
        held = _platforms[id(settings)] = (settings, client)
    return held[1]


def with_secrets(settings: Settings) -> Settings:
    """The settings with secrets read at run time from the Secret blocks they name."""
    update: dict[str, object] = {}
    if settings.platform_api_key_block:
        update["platform_api_key"] = SecretStr(_secret(settings.platform_api_key_block))
    if settings.queue_notify_urls_block:
        urls = _secret(settings.queue_notify_urls_block)
        update["queue_notify_urls"] = json.loads(urls) if isinstance(urls, str) else urls
    return settings.model_copy(update=update) if update else settings


def _secret(block: str) -> Any:
    """The value a Secret block holds (loaded from sync code, so the block, not a coroutine)."""
    return cast("Secret[Any]", Secret.load(block)).get()


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
SLOT_LEASE_S = 60  # the server's shortest lease


def limit_in_force(system: str) -> int | None:
    """The platform system's global concurrency limit on the server, created from settings if
    new; None when the settings set no limit for it."""
    limit = get_settings().platform_limits.get(system)
    if limit is None:
        return None
    return ensure_limit(PREFECT_API_URL.value() or "ephemeral", f"{LIMIT_PREFIX}{system}", limit)


def guard(system: str, slots: int = 1) -> AbstractContextManager[object]:
    """Slots of the platform system's limit: in this process (a resolver), or the server's
    global concurrency limit (never more than it has), leased for a minute and renewed while
    the run lives: a run that dies frees them soon."""
    settings = get_settings()
    if settings.platform_limits_scope == "process":
        limit = settings.platform_limits.get(system)
        return nullcontext() if limit is None else _process_slots(system, limit)
    in_force = limit_in_force(system)
    if in_force is None:
        return nullcontext()
    return concurrency(f"{LIMIT_PREFIX}{system}", occupy=min(slots, in_force), strict=True,
                       lease_duration=SLOT_LEASE_S)


@lru_cache(maxsize=32)
def _process_slots(system: str, limit: int) -> BoundedSemaphore:
    """The platform system's slots in this process."""
    return BoundedSemaphore(limit)


@lru_cache(maxsize=32)
def ensure_limit(api: str, name: str, limit: int) -> int:
    """The named limit's size on the server, created from settings when missing (an operator
    may have retuned it, so a caller never asks for more slots than it has)."""
    with get_client(sync_client=True) as client:
        try:
            return client.read_global_concurrency_limit_by_name(name).limit
        except ObjectNotFound:
            with suppress(ObjectAlreadyExists):  # another run created it first
                client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=name, limit=limit))
            return client.read_global_concurrency_limit_by_name(name).limit


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


PAUSED_VARIABLE = "onetouch-payments-paused"


def payments_switch() -> KillSwitch:
    """The operator's kill switch, read from its Prefect Variable (unreadable means paused)."""
    return KillSwitch.from_value(Variable.get(PAUSED_VARIABLE, default=None))


def set_payments_switch(switch: KillSwitch) -> None:
    """Set the kill switch's Prefect Variable."""
    Variable.set(PAUSED_VARIABLE, switch.model_dump(mode="json"), overwrite=True)


MODEL_CACHE = CACHE


@lru_cache(maxsize=1)
def intent_model() -> CompiledIntentModel:
    """The intent model, trained once per version of its inputs and then read from a file.

    Each deployed flow run is a new process: training there cost 3-6 s of CPU per contact,
    importing sklearn to unpickle it 1.25 s; the compiled model's file reads in ~0.04 s.
    """
    from understanding.cache import compiled_model

    return compiled_model(MODEL_CACHE)
