"""All runtime configuration in one pydantic-settings class that fails fast."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROJECT_LOGGERS = "onetouch,integrations"  # their records go to the run logs Prefect keeps
FAILPOINTS = Literal["before_payment", "after_payment", "after_reply", "after_record",
                     "after_lane_payment"]


class Settings(BaseSettings):
    """Read from ONETOUCH_* environment variables (or a .env file)."""

    model_config = SettingsConfigDict(env_prefix="ONETOUCH_", env_file=".env", extra="ignore")

    platform_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8700")
    platform_api_key: SecretStr = SecretStr("")
    platform_api_key_block: str | None = None
    connect_timeout_s: float = Field(default=2.0, gt=0)
    read_timeout_s: float = Field(default=5.0, gt=0)
    retry_attempts: int = Field(default=5, ge=1, le=20)
    retry_base_delay_s: float = Field(default=0.1, ge=0)
    retry_max_delay_s: float = Field(default=3.0, ge=0)
    page_size: int = Field(default=200, ge=1, le=500)
    case_store_url: str = f"sqlite:///{PROJECT_ROOT / '.onetouch' / 'cases.db'}"
    templates_dir: Path = PROJECT_ROOT / "templates"
    policy_file: Path | None = None
    queue_notify_urls: dict[str, list[str]] = Field(default_factory=dict)
    queue_notify_urls_block: str | None = None
    approval_deployment: str | None = None
    platform_limits: dict[str, int] = Field(
        default_factory=lambda: {"payments": 4, "notifications": 8})
    # Where a platform limit is counted: on the Prefect server for every process at once
    # (flow runs), or in this process alone (a resolver: docs/resolvers.md, "Platform limits")
    platform_limits_scope: Literal["server", "process"] = "server"
    intake_secret: SecretStr = SecretStr("")
    intake_max_skew_s: int = Field(default=300, ge=1)
    intake_sweep_after_s: int = Field(default=120, ge=0)
    # Rate limits on POST /contacts and GET /help ("N/second|minute|hour"), per sender address
    # and per driver, counted in the intake process unless a shared storage is named
    rate_limit_per_sender: str = "1200/minute"
    rate_limit_per_driver: str = "30/minute"
    rate_limit_storage_url: str = "memory://"
    # Agents and operators read a case (GET /cases/ID) with `Authorization: Bearer <this>`
    agent_token: SecretStr = SecretStr("")
    # How the intake hands a contact on: to the resolvers, or an event for a flow run each
    contact_dispatch: Literal["resolvers", "flow-runs"] = "resolvers"
    pay_review_hourly_threshold_cents: int = Field(default=50_000, ge=1)
    # Decide and record everything, pay and send nothing (docs/payments-safety.md)
    dry_run: bool = False
    # Crash tests only: the process exits at these points, once per key (flows/failpoints.py)
    crash_points: frozenset[FAILPOINTS] = frozenset()
    crash_dir: Path | None = None

    # In-app help (docs/help.md): optional rephrasing by an OpenAI-compatible endpoint (…/v1)
    help_rephrase_url: AnyHttpUrl | None = None
    help_rephrase_api_key: SecretStr = SecretStr("")
    help_rephrase_model: str = "gpt-4o-mini"
    help_rephrase_timeout_s: float = Field(default=2.0, gt=0)

    @field_validator("rate_limit_per_sender", "rate_limit_per_driver")
    @classmethod
    def _a_rate(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a rate such as '30/minute'") from None
        return value

    @model_validator(mode="after")
    def _crash_points_need_a_dir(self) -> Settings:
        if self.crash_points and self.crash_dir is None:
            raise ValueError("ONETOUCH_CRASH_POINTS needs ONETOUCH_CRASH_DIR (where each "
                             "point records that it fired)")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
