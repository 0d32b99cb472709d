"""The help articles: one per question type in both languages, found by an offline search."""

from __future__ import annotations

import pytest

from onetouch.help.kb import ARTICLES_DIR, KnowledgeBase, knowledge_base, read_article, tokens
from onetouch.models import INTENTS


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_question_type_has_an_article_in_each_language(lang):
    kb = knowledge_base(lang)
    assert {a.topic for a in kb.articles} >= set(INTENTS)
    assert all(a.title and a.summary and a.locale == lang for a in kb.articles)


@pytest.mark.parametrize(("lang", "question", "topic"), [
    ("en", "customer tip missing", "missing_tip"),
    ("en", "I waited 40 minutes at the restaurant", "wait_time_pay"),
    ("en", "the store cancelled my order after I got there", "cancelled_offer"),
    ("en", "my cash out never reached my bank", "deposit_issue"),
    ("en", "forgot my password, can't log in", "account_access"),
    ("en", "weekend challenge bonus", "incentive_not_credited"),
    ("en", "someone threatened me, harassment", "safety"),
    ("en", "my account was deactivated", "deactivation"),
    ("es", "no recibí la propina", "missing_tip"),
    ("es", "esperé mucho en la tienda", "wait_time_pay"),
    ("es", "la tienda canceló el pedido", "cancelled_offer"),
    ("es", "el depósito no llegó a mi banco", "deposit_issue"),
    ("es", "olvidé la contraseña, no puedo iniciar sesión", "account_access"),
    ("es", "cómo se calcula el pago base", "pay_question"),
])
def test_a_question_finds_its_article(lang, question, topic):
    assert knowledge_base(lang).best(question).topic == topic


def test_the_asked_topic_breaks_ties_and_stands_in_for_an_empty_question():
    kb = knowledge_base("en")
    assert kb.best("", topic="safety").topic == "safety"
    assert kb.best("zzz qqq", topic="deposit_issue").topic == "deposit_issue"
    assert kb.best("tip", topic="missing_pay").topic == "missing_tip"


def test_scores_are_ranked_and_accents_fold():
    assert tokens("Depósito FALLÓ, ¿por qué?") == ["deposito", "fallo"]
    hits = knowledge_base("es").search("deposito fallo banco")
    assert hits[0].article.topic == "deposit_issue"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_an_article_file_needs_a_title(tmp_path):
    path = tmp_path / "broken.en.md"
    path.write_text("no title here\n")
    with pytest.raises(ValueError, match="broken.en.md"):
        read_article(path)
    assert KnowledgeBase([]).best("anything") is None
    assert read_article(ARTICLES_DIR / "safety.es.md").topic == "safety"
