"""Text preparation: folding, ids, and the driver's own words in a call transcript."""

from __future__ import annotations

import re
import unicodedata

ID_PATTERN = re.compile(r"\b(ofr|ord|inc|dep)-([a-z0-9][a-z0-9_]*(?:-[a-z0-9_]+)*)", re.I)
ID_FIELDS = {"ofr": "offer_ids", "ord": "order_ids", "inc": "incentive_ids",
             "dep": "deposit_ids"}
SPEAKER = re.compile(r"^\s*\[?([A-Za-zÁÉÍÓÚáéíóúñÑ][A-Za-zÁÉÍÓÚáéíóúñÑ ]{1,19})\]?\s*:\s*(.*)$")
DRIVER_SPEAKERS = frozenset({"driver", "conductor", "repartidor", "caller", "customer",
                             "dasher", "me", "cliente", "usuario", "user", "courier"})
AGENT_SPEAKERS = frozenset({"agent", "agente", "rep", "support", "soporte", "representative",
                            "representante", "operator", "operador", "ivr", "bot"})
MONEY = re.compile(r"[$€]\s?\d[\d,.]*|\b\d+(?:[.,]\d{2})?\s?(?:dollars|dolares|bucks|usd)\b")


def fold(text: str) -> str:
    """Lower-case, without accents."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def extract_ids(text: str) -> dict[str, tuple[str, ...]]:
    """Offer, order, incentive and deposit ids anywhere in the text, in order, once each."""
    found: dict[str, list[str]] = {field: [] for field in ID_FIELDS.values()}
    for match in ID_PATTERN.finditer(text):
        ident = f"{match.group(1).lower()}-{match.group(2)}"
        bucket = found[ID_FIELDS[match.group(1).lower()]]
        if ident not in bucket:
            bucket.append(ident)
    return {field: tuple(ids) for field, ids in found.items()}


def driver_words(text: str) -> str:
    """In a call transcript, only the driver's lines; any other text as it is."""
    spoken, speakers = [], set()
    for line in text.splitlines():
        match = SPEAKER.match(line)
        if match is None:
            spoken.append(("", line))
            continue
        speaker = fold(match.group(1)).strip()
        speakers.add(speaker)
        spoken.append((speaker, match.group(2)))
    if not speakers & AGENT_SPEAKERS:
        return text
    return "\n".join(words for speaker, words in spoken if speaker not in AGENT_SPEAKERS)


def for_model(text: str) -> str:
    """The text as the intent model reads it: driver's words, folded, ids and money as tokens."""
    words = fold(driver_words(text))
    words = ID_PATTERN.sub(lambda m: f" {m.group(1).lower()}id ", words)
    return MONEY.sub(" amountx ", words)
