"""Generative rephrasing, accepted only when it keeps the template answer's amounts and ids."""

from __future__ import annotations

import logging
import re

from integrations.rephraser import RephraseError, Rephraser

AMOUNT = re.compile(r"\$\s?\d[\d,]*(?:\.\d+)?|\b\d+[.,]\d{2}\b(?!\d)")
REFERENCE = re.compile(r"\b(?:case|help|ofr|ord|inc|dep)-[\w-]+")
MAX_GROWTH = 3
LOG = logging.getLogger("onetouch.help")


def amounts(text: str) -> set[str]:
    """Every money amount written in a text (`$4.50`, and bare `4.50` to catch `4.50 dollars`)."""
    return {re.sub(r"\s", "", m) for m in AMOUNT.findall(text)}


def keeps_the_facts(template_text: str, candidate: str) -> bool:
    """The candidate has exactly the template's amounts and every id it names."""
    if not candidate.strip() or len(candidate) > MAX_GROWTH * len(template_text) + 200:
        return False
    if amounts(candidate) != amounts(template_text):
        return False
    return set(REFERENCE.findall(template_text)) <= set(REFERENCE.findall(candidate))


def phrase(template_text: str, locale: str, rephraser: Rephraser | None) -> tuple[str, str]:
    """The answer to show and how it was phrased: `rephrased`, or `template` when there is no
    rephraser, it failed, or its text changed an amount."""
    if rephraser is None:
        return template_text, "template"
    try:
        candidate = rephraser.rephrase(template_text, locale)
    except RephraseError as exc:
        LOG.info("help rephrasing failed (%s); template text used", type(exc).__name__)
        return template_text, "template"
    if not keeps_the_facts(template_text, candidate):
        LOG.info("help rephrasing changed the facts; template text used")
        return template_text, "template"
    return candidate.strip() + "\n", "rephrased"
