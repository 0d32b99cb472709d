"""The simulated contacts' wording: resolvable by the product's reading of messages (intent,
language, ids), and not the classifier's own training sentences."""

from __future__ import annotations

import random

import pytest

from simulate.wording import INJECTIONS, SITUATION_INTENT, TABLES, Slots, dress, fill, render
from understanding import classify
from understanding.dataset import load_messages
from understanding.evaluation import MONEY, PERSON
from understanding.rules import detect_language
from understanding.text import extract_ids, fold

OFFER = "ofr-1000123"


def _variants(lang: str, situation: str):
    """Every template of a situation, with an id quoted and with each generic reference."""
    table, refs, _ = TABLES[lang]
    kind = "cancelled" if situation in ("dropped_offer", "store_cancelled") else "delivered"
    name = "the Lunch Rush" if lang == "en" else "el reto Lunch Rush"
    rng = random.Random(7)
    for template in table[situation]:
        for offer, inc, dep in ((OFFER, "inc-5001", "dep-200001"), (None, name, None)):
            slots = Slots(offer_id=offer, ref_kind=kind, store="Fresh Market", wait_minutes=41,
                          tip_cents=450, incentive=inc, done=6, required=6, deposit_id=dep)
            for _ in range(len(refs[kind]) if offer is None else 1):
                yield fill(template, lang, slots, rng), offer, inc, dep


CASES = [(lang, situation) for lang, (table, _, _) in TABLES.items() for situation in table]


def test_the_templates_read_as_their_intents():
    """The model is learned, not the templates' own: nearly every variant reads as its intent,
    and an ask whose answer is a person's is never read as one that moves money."""
    rng, read, wrong_money = random.Random(3), [], []
    for lang, situation in CASES:
        intent = SITUATION_INTENT[situation]
        for text, *_ in _variants(lang, situation):
            for channel in ("chat", "email", "phone"):
                got = classify(dress(text, lang, channel, "Ana", rng))[0]
                read.append(got == intent)
                if got in MONEY and intent in PERSON:
                    wrong_money.append(text)
    assert sum(read) / len(read) >= 0.97 and wrong_money == []


@pytest.mark.parametrize(("lang", "situation"), CASES)
def test_every_template_reads_in_its_language_and_ids(lang, situation):
    rng = random.Random(3)
    for text, offer, inc, dep in _variants(lang, situation):
        for channel in ("chat", "email", "phone"):
            message = dress(text, lang, channel, "Ana", rng)
            if situation != "other":
                assert detect_language(message) == lang, message
        ids = extract_ids(text)
        if offer and "{ref}" in text.replace(offer, "{ref}"):
            assert ids["offer_ids"] == (offer,)
        if inc and inc.startswith("inc-") and inc in text:
            assert ids["incentive_ids"] == (inc,)
        if dep and dep in text:
            assert ids["deposit_ids"] == (dep,)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_an_attempt_to_dictate_the_amount_does_not_change_the_intent(lang):
    """The same message with and without the attempt reads the same (the attempt is not read)."""
    for seed in range(3 * len(INJECTIONS[lang])):
        for situation in ("missing_pay", "missing_tip", "wait_time_pay", "deposit_failed"):
            slots = Slots(offer_id=OFFER, deposit_id=None, wait_minutes=30, tip_cents=300)
            plain, hostile = (render(situation, lang, "chat", slots, "Ana", random.Random(seed),
                                     hostile=attempt) for attempt in (False, True))
            assert hostile != plain
            assert classify(hostile)[0] == classify(plain)[0], hostile


def test_no_template_is_a_training_sentence():
    training = {fold(m.text).strip(" .!?") for m in load_messages()}
    for lang, situation in CASES:
        for text, *_ in _variants(lang, situation):
            words = fold(text).strip(" .!?")
            assert not words or words not in training, text  # "..." has no words to copy
