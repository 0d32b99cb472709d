"""GET /help on the help world: every question type, both languages, the driver's own facts."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from onetouch.intake.app import create_app
from onetouch.settings import Settings
from tests.help.conftest import SECRET, signed_get

TIP = {"driver_id": "drv-tip", "screen": "tip", "offer_id": "ofr-tip"}
PENDING = {"driver_id": "drv-pend", "screen": "pay", "offer_id": "ofr-pend"}
CHALLENGE = {"driver_id": "drv-inc", "screen": "challenge"}
WAIT = {"driver_id": "drv-wait", "screen": "wait"}
CANCELLED = {"driver_id": "drv-can", "screen": "cancelled", "offer_id": "ofr-can"}
DEPOSIT = {"driver_id": "drv-dep", "screen": "deposits"}
BREAKDOWN = {"driver_id": "drv-tip", "screen": "earnings", "offer_id": "ofr-tip"}

# (intent, query, what the English answer says, what the Spanish answer says)
QUESTIONS = [
    ("missing_tip", TIP, ["tip for delivery ofr-tip was $4.50",
                          "was paid Nov 20 at 9:12 AM CST"],
     ["propina de la entrega ofr-tip fue de $4.50", "se pagó el 20 nov a las 09:12 CST"]),
    ("missing_pay", PENDING, ["base pay for delivery ofr-pend posts by Nov 20 at 12:40 PM CST"],
     ["se acredita a más tardar el 20 nov a las 12:40 CST"]),
    ("incentive_not_credited", CHALLENGE,
     ["You have 14 of 20 deliveries for the challenge “Weekend challenge”; 2 days left"],
     ["Llevas 14 de 20 entregas en el reto «Weekend challenge»; quedan 2 días"]),
    ("wait_time_pay", WAIT, ["You are owed $5.00 wait-time pay for delivery ofr-wait",
                             "35 minutes at the store"],
     ["Te corresponden $5.00 de pago por tiempo de espera", "35 minutos en la tienda"]),
    ("cancelled_offer", CANCELLED,
     ["cancelled by the store after you arrived: $9.00 cancellation pay"],
     ["la canceló la tienda después de que llegaste: te corresponden $9.00"]),
    ("deposit_issue", DEPOSIT, ["instant deposit dep-1 of $120.50", "sending it again",
                                "within 1 hour"],
     ["depósito instantáneo dep-1 de $120.50", "lo estamos enviando de nuevo"]),
    ("pay_question", BREAKDOWN, ["base pay $9.00 (paid $9.00)", "customer tip $4.50 (paid $4.50)"],
     ["pago base $9.00 (pagado $9.00)", "propina del cliente $4.50"]),
    ("account_access", {"driver_id": "drv-tip", "screen": "login"}, ['"Forgot password"'],
     ['"Olvidé mi contraseña"']),
    ("deactivation", {"driver_id": "drv-tip", "screen": "deactivation"},
     ["account review team", "24 hours"], ["equipo de revisión de cuentas", "24 horas"]),
    ("safety", {"driver_id": "drv-tip", "screen": "safety"}, ["call 911 now", "Safety button"],
     ["llama al 911 ahora", "botón de Seguridad"]),
    ("other", {"driver_id": "drv-tip", "screen": "help"}, ["Help > Contact us"],
     ["Ayuda > Contáctanos"]),
]
OWED = {"wait_time_pay": [{"type": "pay_adjustment", "kind": "wait_time",
                           "subject_id": "ofr-wait", "amount_cents": 500}],
        "cancelled_offer": [{"type": "pay_adjustment", "kind": "cancellation",
                             "subject_id": "ofr-can", "amount_cents": 900}],
        "deposit_issue": [{"type": "deposit_retry", "subject_id": "dep-1"}]}
ARTICLE_TITLES = {"en": "Read more: ", "es": "Más información: "}


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize(("intent", "query", "english", "spanish"), QUESTIONS,
                         ids=[q[0] for q in QUESTIONS])
def test_each_question_type_is_answered_from_the_drivers_facts(
        help_app, ask, intent, query, english, spanish, lang):
    _, dispatched, _ = help_app
    answer = ask(**query, lang=lang)
    assert (answer["intent"], answer["locale"]) == (intent, lang)
    for phrase in english if lang == "en" else spanish:
        assert phrase in answer["answer"]
    assert answer["article"]["topic"] == intent
    assert ARTICLE_TITLES[lang] + answer["article"]["title"] in answer["answer"]
    assert answer["owed"] == OWED.get(intent, [])
    if intent in OWED:
        case_id = answer["resolution"]["case_id"]
        assert answer["resolution"]["status"] == "started" and case_id in answer["answer"]
        assert [(c["channel"], c["category"], c["driver_id"]) for c in dispatched] == [
            ("in_app", intent, query["driver_id"])]
    else:
        assert answer["resolution"] is None and dispatched == []


def test_the_amounts_are_the_platforms_not_the_questions(ask):
    answer = ask(driver_id="drv-tip", offer_id="ofr-tip",
                 q="my tip was $45.00 not $4.50, pay me $100.00")
    assert answer["intent"] == "missing_tip" and answer["amounts"] == ["$4.50"]
    assert answer["owed"] == [] and answer["resolution"] is None


def test_the_drivers_profile_language_is_the_default(ask):
    assert ask(driver_id="drv-can", screen="cancelled")["locale"] == "es"
    assert ask(driver_id="drv-can", screen="cancelled", lang="en")["locale"] == "en"
    assert ask(driver_id="drv-tip", screen="tip")["locale"] == "en"


def test_a_question_in_words_finds_its_type_and_the_best_article(ask):
    answer = ask(driver_id="drv-inc", q="I did the weekend challenge but got no bonus yet")
    assert answer["intent"] == "incentive_not_credited"
    assert "14 of 20 deliveries" in answer["answer"]
    assert answer["article"]["topic"] == "incentive_not_credited"


def test_a_new_driver_gets_the_explanation_and_a_full_time_driver_the_facts_first(ask):
    new = ask(driver_id="drv-new", screen="tip")
    assert new["segment"] == "new"
    assert new["answer"].startswith("Hi Hal,")
    assert "Customer tips are passed on to you in full" in new["answer"]
    assert "Read more: Tips" in new["answer"]
    full = ask(driver_id="drv-ft", screen="tip", offer_id="ofr-ft")
    assert full["segment"] == "full_time"
    assert full["answer"].startswith("The tip for delivery ofr-ft was $3.00 and was paid")
    assert "passed on to you in full" not in full["answer"]
    assert len(full["answer"]) < len(new["answer"])
    assert ask(driver_id="drv-tip", screen="tip")["segment"] == "part_time"


def test_asking_twice_about_the_same_owed_thing_starts_one_resolution(help_app, ask):
    _, dispatched, store = help_app
    first = ask(driver_id="drv-owed", screen="tip")
    again = ask(driver_id="drv-owed", q="still no tip on ofr-short", screen="tip")
    assert first["owed"] == again["owed"] == [{"type": "pay_adjustment", "kind": "tip",
                                               "subject_id": "ofr-short", "amount_cents": 400}]
    assert first["resolution"]["status"] == "started"
    assert again["resolution"] == first["resolution"] | {"status": "already_started"}
    assert len(dispatched) == 1 and dispatched[0]["offer_id"] == "ofr-short"
    assert store.case_status(first["resolution"]["case_id"])["status"] == "received"


@pytest.mark.parametrize(("params", "field"), [
    ({"screen": "tip"}, "driver_id"),
    ({"driver_id": "", "screen": "tip"}, "driver_id"),
    ({"driver_id": "drv-tip", "screen": "tip", "lang": "fr"}, "lang"),
    ({"driver_id": "drv-tip", "screen": "weather"}, "screen"),
    ({"driver_id": "drv-tip", "q": "x" * 501}, "q"),
    ({"driver_id": "drv-tip"}, "q"),
    ({"driver_id": "drv-tip", "screen": "tip", "amount": "5000"}, "amount"),
    ({"driver_id": "drv\x00tip", "screen": "tip"}, "driver_id"),
])
def test_bad_input_is_a_422_naming_the_field(help_app, params, field):
    client, dispatched, _ = help_app
    response = signed_get(client, params)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == field
    assert field in response.json()["error"]["message"] and dispatched == []


@pytest.mark.parametrize(("params", "field"), [
    ({"driver_id": "drv-nobody", "screen": "tip"}, "driver_id"),
    ({"driver_id": "drv-owed", "screen": "tip", "offer_id": "ofr-tip"}, "offer_id"),
    ({"driver_id": "drv-owed", "screen": "tip", "offer_id": "ofr-missing"}, "offer_id"),
])
def test_unknown_drivers_and_other_drivers_offers_are_404s(help_app, params, field):
    client, dispatched, _ = help_app
    response = signed_get(client, params)
    assert response.status_code == 404 and response.json()["error"]["field"] == field
    assert "$" not in response.text and dispatched == []


@pytest.mark.parametrize(("topic", "lang", "title"), [
    ("missing_tip", "en", "# Tips: when they arrive"),
    ("missing_tip", "es", "# Propinas: cuándo llegan"),
])
def test_articles_are_served_as_markdown(help_app, topic, lang, title):
    client = help_app[0]
    response = client.get(f"/help/articles/{topic}", params={"lang": lang})
    assert response.status_code == 200 and response.text.startswith(title)
    assert client.get("/help/articles/nothing").status_code == 404
    assert client.get(f"/help/articles/{topic}", params={"lang": "fr"}).status_code == 422


def test_the_intake_app_serves_the_help_routes(tmp_path):
    settings = Settings(case_store_url=f"sqlite:///{tmp_path / 'cases.db'}",
                        platform_url="http://127.0.0.1:9", retry_attempts=1,
                        intake_secret=SecretStr(SECRET))
    client = TestClient(create_app(settings, dispatch=lambda raw: None))
    assert client.get("/help/articles/safety").status_code == 200
    assert signed_get(client, {"screen": "tip"}).json()["error"]["field"] == "driver_id"
    assert client.get("/help", params={"screen": "tip"}).status_code == 401
    unreachable = signed_get(client, {"driver_id": "drv-1", "screen": "tip"})
    assert unreachable.status_code == 503


def test_a_part_time_driver_also_sees_the_running_challenge(ask):
    answer = ask(driver_id="drv-inc", screen="pay")
    assert answer["segment"] == "part_time" and answer["intent"] == "missing_pay"
    assert "You have 14 of 20 deliveries for the challenge “Weekend challenge”" in answer["answer"]
    spanish = ask(driver_id="drv-inc", screen="pay", lang="es")
    assert "Llevas 14 de 20 entregas en el reto «Weekend challenge»" in spanish["answer"]
