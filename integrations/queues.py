"""Announcing escalations to the agents' queues through Apprise (Slack, email, webhooks...)."""

from __future__ import annotations

import logging

import apprise

log = logging.getLogger(__name__)


def queue_urls(routes: dict[str, list[str]], queue: str) -> list[str]:
    """The notification URLs of a queue: its own and those for every queue (`*`)."""
    return [*routes.get(queue, []), *routes.get("*", [])]


def announce(urls: list[str], title: str, body: str) -> bool:
    """Send one message to every URL; True when all of them accepted it."""
    if not urls:
        return True
    notifier = apprise.Apprise()
    for url in urls:
        if not notifier.add(url):
            log.warning("queue notification URL refused by Apprise (scheme %s)",
                        url.split(":", 1)[0])
    return bool(notifier.notify(title=title, body=body))
