"""Rendering every message a driver or agent reads, apart from sending it."""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from onetouch.help.kb import ARTICLES_DIR, knowledge_base
from policy.money import dollars

ZONE_TIMEZONES = {
    "nashville": "America/Chicago",
    "new-orleans": "America/Chicago",
    "memphis": "America/Chicago",
    "austin": "America/Chicago",
    "miami": "America/New_York",
    "atlanta": "America/New_York",
    "phoenix": "America/Phoenix",
    "los-angeles": "America/Los_Angeles",
}
HELP_DIR = ARTICLES_DIR
SPANISH_MONTHS = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov",
                  "dic")


def timezone_for_zone(zone: str) -> str:
    """The IANA time zone of a platform zone such as `nashville-1` (UTC if unknown)."""
    city = re.sub(r"-\d+$", "", zone)
    return ZONE_TIMEZONES.get(city, "UTC")


def local_time(value: datetime | str, tz: str = "UTC", locale: str = "en") -> str:
    """A time as the driver reads it: `Nov 20 at 12:05 PM CST` / `20 nov a las 12:05 CST`."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = moment.astimezone(ZoneInfo(tz))
    abbrev = local.tzname()
    if locale == "es":
        return f"{local.day} {SPANISH_MONTHS[local.month - 1]} a las {local:%H:%M} {abbrev}"
    hour = local.hour % 12 or 12
    return f"{local:%b} {local.day} at {hour}:{local:%M} {local:%p} {abbrev}"


@lru_cache(maxsize=4)
def environment(templates_dir: Path) -> Environment:
    """The Jinja2 environment: strict about missing values, escaping HTML templates."""
    env = Environment(
        loader=FileSystemLoader(str(templates_dir)),
        undefined=StrictUndefined,
        autoescape=select_autoescape(["html", "html.j2"]),
        keep_trailing_newline=False,
    )
    env.filters["dollars"] = dollars
    env.filters["local_time"] = local_time
    return env


def render(template: str, context: dict[str, Any], templates_dir: Path | None = None) -> str:
    """Render one template with its context; a missing value is an error, not a blank."""
    if templates_dir is None:
        from onetouch.settings import get_settings

        templates_dir = get_settings().templates_dir
    text = environment(Path(templates_dir)).get_template(template).render(**context)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def help_article(topic: str | None, locale: str) -> dict[str, Any] | None:
    """The help article on a topic (an intent) as `{topic, path, title}`; title None if absent."""
    if not topic or not re.fullmatch(r"[a-z_]+", topic):
        return None
    found = next((article for lang in dict.fromkeys((locale, "en"))
                  if (article := knowledge_base(lang, HELP_DIR).topic(topic))), None)
    return {"topic": topic, "path": f"help/{topic}", "title": found.title if found else None}


def render_reply(plan: Any, case_id: str, timezone: str,
                 templates_dir: Path | None = None, *, intent: str | None = None
                 ) -> tuple[str, str]:
    """A reply plan as (subject, body), in the plan's language, adapted to the driver's segment."""
    context = {**plan.model_dump(), "items": list(plan.items), "case_id": case_id,
               "timezone": timezone, "segment": getattr(plan, "segment", None),
               "goals": list(getattr(plan, "goals", ())), "intent": intent,
               "help": help_article(intent, plan.locale)}
    subject = render(f"replies/subject.{plan.locale}.txt.j2", context, templates_dir).strip()
    body = render(f"replies/{plan.template}.{plan.locale}.txt.j2", context, templates_dir)
    return subject, body
