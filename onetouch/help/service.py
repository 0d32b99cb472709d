"""Answering one help question: the driver's facts, the policy, the templates, a resolution."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

from flows.facts import collect_facts
from integrations import NotFound, Platform
from integrations.rephraser import Rephraser
from onetouch.casestore import CaseStore
from onetouch.help.answer import (
    HelpPlan,
    plan_help,
    query_contact,
    resolution_contact,
    template_context,
)
from onetouch.help.kb import Article, knowledge_base
from onetouch.help.phrasing import amounts, phrase
from onetouch.help.query import HelpQuery
from onetouch.models import Contact
from onetouch.render import render, timezone_for_zone
from policy.case import CaseFacts, Understanding
from policy.config import PolicyConfig

LOG = logging.getLogger("onetouch.help")
Start = Callable[[Contact, dict[str, Any]], bool]


class HelpNotFound(Exception):
    """The driver, or an offer named in the query, is not the asker's; names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class HelpService:
    """One help answer per call, from the platform's facts at the platform's clock."""

    def __init__(self, platform: Callable[[], Platform], store: CaseStore, start: Start,
                 policy: PolicyConfig, templates_dir: Path,
                 rephraser: Rephraser | None = None,
                 intent_model: Callable[[], Any] | None = None) -> None:
        self._platform, self._store, self._start = platform, store, start
        self._policy, self._templates_dir = policy, templates_dir
        self._rephraser, self._intent_model = rephraser, intent_model

    @cached_property
    def model(self) -> Any:
        """The contact path's intent model, loaded on the first question with words."""
        if self._intent_model is not None:
            return self._intent_model()
        from flows.deps import intent_model

        return intent_model()

    def answer(self, query: HelpQuery) -> dict[str, Any]:
        """The answer's text and facts; what is owed is handed to the contact path once."""
        facts, understanding = self.facts(query)
        locale = query.lang or understanding.language or facts.driver.locale
        plan = plan_help(facts, understanding, self._policy, locale)
        resolution = self.resolve(plan, facts) if plan.owed else None
        article = knowledge_base(locale).best(query.q, topic=plan.intent)
        context = template_context(plan, facts, timezone_for_zone(facts.driver.zone))
        context["article"] = _article_view(article)
        text = render(f"help/answer.{locale}.txt.j2", context, self._templates_dir)
        shown, phrasing = phrase(text, locale, self._rephraser)
        LOG.info("help %s: intent %s, %d owed", facts.driver.id, plan.intent, len(plan.owed))
        return {
            "driver_id": facts.driver.id, "intent": plan.intent, "locale": locale,
            "segment": plan.segment, "answer": shown, "phrasing": phrasing,
            "amounts": sorted(amounts(text)),
            "facts": [i.model_dump(mode="json", exclude_none=True) for i in plan.items],
            "owed": [a.outcome_view() for a in plan.owed], "resolution": resolution,
            "article": _article_view(article, summary=True),
        }

    def facts(self, query: HelpQuery) -> tuple[CaseFacts, Understanding]:
        """The driver's facts and the question's reading, as the contact path gathers them."""
        platform = self._platform()
        try:
            driver = platform.drivers.get(query.driver_id)
        except NotFound:
            raise HelpNotFound("driver_id", f"driver {query.driver_id!r} not found") from None
        now = platform.clock.now()
        contact = query_contact(driver.id, now, query.offer_id, query.q, query.hinted_intent())
        understanding = self.understand(contact)
        facts = collect_facts(platform, contact, driver, understanding, now, self._policy,
                              self._store.finding_links(driver.id))
        if facts.foreign_or_missing_ids:
            field = "offer_id" if query.offer_id in facts.foreign_or_missing_ids else "q"
            raise HelpNotFound(field, "not found among this driver's records: "
                               + ", ".join(sorted(facts.foreign_or_missing_ids)))
        return facts, understanding

    def understand(self, contact: Contact) -> Understanding:
        """The contact path's reading: the text wins when it is clear, else the screen's hint."""
        from understanding import WORD, understand

        return understand(contact, self.model if WORD.search(contact.text) else None)

    def resolve(self, plan: HelpPlan, facts: CaseFacts) -> dict[str, Any]:
        """Hand what is owed to the contact path as an in-app contact, once per owed set."""
        contact = resolution_contact(plan, facts)
        started = self._start(contact, contact.model_dump(mode="json", exclude_none=True))
        return {"case_id": plan.case_id, "contact_id": contact.id,
                "status": "started" if started else "already_started"}


def _article_view(article: Article | None, summary: bool = False) -> dict[str, str] | None:
    if article is None:
        return None
    view = {"topic": article.topic, "title": article.title,
            "url": f"/help/articles/{article.topic}?lang={article.locale}"}
    return view | ({"summary": article.summary} if summary else {})
