"""Keyword cues: a second opinion beside the model, and the language test."""

from __future__ import annotations

import re

from understanding.text import ID_PATTERN, driver_words, fold

INTENT_CUES: dict[str, tuple[str, ...]] = {
    "safety": ("accident", "crash", "injur", "hurt", "bit me", "bite", "threat", "harass",
               "assault", "unsafe", "attack", "robbed", "weapon", "gun", "accidente", "herid",
               "lastim", "amenaz", "acoso", "acosa", "mordio", "choque", "asalt", "peligro",
               "followed me", "me siguio", "grabbed", "stalk"),
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
                        "desaparec", "cancelad", "cancelo", "quitaron", "desasign", "unassign"),
    "wait_time_pay": ("wait", "espera", "espere"),
    "pay_question": ("worked out", "calculated", "breakdown", "how is the", "how does pay",
                     "how much do", "como se calcula", "como calculan", "desglose"),
    "missing_tip": ("tip", "propina"),
    "missing_pay": ("pay", "paid", "payment", "earning", "money", "pago", "pagaron", "pagado",
                    "dinero", "cobr", "a deber", "owe me", "owed"),
}
PRIORITY = tuple(INTENT_CUES)
SPANISH_WORDS = frozenset(
    "hola el la los las de del que mi mis por para una un es en y pero entrega pedido "
    "propina pago cuenta ayer hoy gracias porque como donde cuando tengo llego esta se lo le "
    "pagaron hice con sin ya muy mas pero su tu estoy soy fue hay nada todo buenas buenos "
    "dias tardes noches orden oferta tienda aplicacion dinero cobrar favor quiero necesito "
    "puedo ayuda reto bono deposito espere espera cancelaron llegó todavia aun q xq pq tmb "
    "porfa pls este esa eso otra vez semana falta faltan falto llega llego sale salio "
    "desaparecio cancelado cancelada cancelo cliente tiendas pedidos entregas repartidor "
    "cuenta contrasena codigo desactivaron suspendieron alguien ayudenme ayuden oigan "
    "nadie nunca siempre tambien ahi aqui alla hace hizo dijo dice tiene tienen estaba "
    "estoy estan son somos fui ir voy vamos ustedes usted nosotros ellos ella ellos "
    "minutos horas dias anoche manana tarde todos ningun ninguna algo mucho poco".split())
ENGLISH_WORDS = frozenset(
    "the a an my i is it was and but of for to on in not didn't did get got pay tip "
    "order delivery why where when how what hi hello thanks i'm can't you your this that "
    "with from just still never paid have has been are they store app account money "
    "please pls u ur cant dont im wasnt isnt yesterday today week waited customer "
    "missing missed base tips bonus quest streak reward deposit deposits cashout cash out "
    "wait waiting offer offers cancelled canceled disappeared vanished code login log "
    "password suspended deactivated deactivation appeal status anyone there hello hey "
    "hi help need want got shows showing said says keeps keep tried again error failed "
    "failing bounced came come coming here show still yet after before about at by "
    "he she we him her them their our who which should would could will won't "
    "doesn't don't isn't wasn't haven't hasn't couldn't shouldn't yes night morning".split())
SPANISH_MARKS = re.compile(r"[ñ¿¡áéíóú]", re.I)


def detect_language(text: str) -> str | None:
    """`en` or `es` when the text clearly is one of them, else None."""
    words = re.findall(r"[a-z']+", fold(driver_words(text)))
    spanish = sum(w in SPANISH_WORDS for w in words) + 2 * len(SPANISH_MARKS.findall(text))
    english = sum(w in ENGLISH_WORDS for w in words)
    if spanish > 1.5 * english and (spanish >= 2 or not english):
        return "es" if spanish else None
    if english > 1.5 * spanish and (english >= 2 or not spanish):
        return "en" if english else None
    return None


def classify_intent(text: str) -> tuple[str, float]:
    """The intent the text asks about and a confidence; `other` when nothing fits."""
    folded = ID_PATTERN.sub(" ", fold(text))
    scores = {intent: sum(cue in folded for cue in cues) for intent, cues in INTENT_CUES.items()}
    best = max(PRIORITY, key=lambda intent: (scores[intent] > 0, -PRIORITY.index(intent)))
    if scores[best] == 0:
        return "other", 0.0
    return best, min(1.0, 0.6 + 0.2 * scores[best])
