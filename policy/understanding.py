"""Reading a driver's message offline: intent, the ids it names, and its language."""

from __future__ import annotations

import re
import unicodedata

from onetouch.models import INTENTS, Contact
from policy.case import Understanding

ID_PATTERN = re.compile(r"\b(ofr|ord|inc|dep)-([a-z0-9][a-z0-9_]*(?:-[a-z0-9_]+)*)", re.I)
ID_FIELDS = {"ofr": "offer_ids", "ord": "order_ids", "inc": "incentive_ids",
             "dep": "deposit_ids"}

INTENT_CUES: dict[str, tuple[str, ...]] = {
    "safety": ("accident", "crash", "injur", "hurt", "bit me", "bite", "threat", "harass",
               "assault", "unsafe", "attack", "robbed", "weapon", "gun", "accidente", "herid",
               "lastim", "amenaz", "acoso", "acosa", "mordio", "choque", "asalt", "peligro"),
    "deactivation": ("deactivat", "suspended", "banned", "disabled my account",
                     "desactiv", "suspendid", "bloquearon mi cuenta"),
    "account_access": ("password", "log in", "login", "sign in", "signin", "locked out",
                       "verification code", "contrasena", "iniciar sesion", "no puedo entrar",
                       "app won't open", "app wont open", "codigo de verificacion"),
    "deposit_issue": ("deposit", "payout", "cash out", "cashout", "instant pay", "bank",
                      "transfer", "deposito", "retiro", "banco", "pago instantaneo",
                      "transferencia"),
    "incentive_not_credited": ("bonus", "challenge", "incentive", "promo", "quest", "streak",
                               "bono", "reto", "desafio", "incentivo"),
    "cancelled_offer": ("cancel", "vanish", "disappear", "unassigned", "removed from",
                        "desaparec", "cancelad", "cancelo", "quitaron"),
    "wait_time_pay": ("wait", "espera", "espere"),
    "pay_question": ("worked out", "calculated", "breakdown", "how is the", "how does pay",
                     "how much do", "como se calcula", "como calculan", "desglose"),
    "missing_tip": ("tip", "propina"),
    "missing_pay": ("pay", "paid", "payment", "earning", "money", "pago", "pagaron", "pagado",
                    "dinero", "cobr"),
}
PRIORITY = tuple(INTENT_CUES)
SPANISH_WORDS = frozenset(
    "hola el la los las de del que no me mi mis por para una un es en y pero entrega pedido "
    "propina pago cuenta ayer hoy gracias porque como donde cuando tengo llego esta".split())
ENGLISH_WORDS = frozenset(
    "the a an my i is it was and but of for to on in not no didn't did get got pay tip "
    "order delivery why where when how what hi hello thanks my i'm can't".split())


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


def detect_language(text: str) -> str | None:
    """`en` or `es` when the text clearly is one of them, else None."""
    words = re.findall(r"[a-z']+", fold(text))
    spanish = sum(w in SPANISH_WORDS for w in words)
    english = sum(w in ENGLISH_WORDS for w in words)
    if spanish >= 2 and spanish > 2 * english:
        return "es"
    if english >= 2 and english > 2 * spanish:
        return "en"
    return None


def classify_intent(text: str) -> tuple[str, float]:
    """The intent the text asks about and a confidence; `other` when nothing fits."""
    folded = ID_PATTERN.sub(" ", fold(text))
    scores = {intent: sum(cue in folded for cue in cues) for intent, cues in INTENT_CUES.items()}
    best = max(PRIORITY, key=lambda intent: (scores[intent] > 0, -PRIORITY.index(intent)))
    if scores[best] == 0:
        return "other", 0.0
    return best, min(1.0, 0.6 + 0.2 * scores[best])


def understand(contact: Contact) -> Understanding:
    """Intent (text first, the app's category as a hint), ids and language."""
    intent, confidence = classify_intent(contact.text)
    if intent == "other" and contact.category in INTENTS and not contact.text.strip():
        intent, confidence = contact.category, 0.7
    return Understanding(
        intent=intent, confidence=confidence, language=detect_language(contact.text),
        **extract_ids(contact.text),
    )
