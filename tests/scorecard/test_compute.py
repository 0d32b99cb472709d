"""The scorecard's figures as plain functions of rows: each definition of docs/scorecard.md."""

from __future__ import annotations

from datetime import timedelta

import pytest

from onetouch.scorecard.compute import (
    breached,
    contact_rates,
    deliveries_window,
    per_thousand,
    repeated,
    scorecard,
)
from onetouch.scorecard.models import Period, PlatformFacts, Ratio
from onetouch.scorecard.remediations import (
    asks,
    durations,
    once_per_key,
    percentile,
    proactive_share,
)
from tests.scorecard.rows import DAY, at, case, escalation, fix, pay, small_day

WHOLE_DAY = Period(start=DAY, end=DAY + timedelta(days=1))
ONSETS = {"drv-1/ofr-1/tip": at(2), "drv-5/ofr-5/tip": at(3), "drv-2/ofr-2/base": at(5),
          "drv-4/ofr-4/base": at(6)}


@pytest.fixture(scope="module")
def card():
    return scorecard(small_day(), PlatformFacts(deliveries=400, onsets=ONSETS), WHOLE_DAY,
                     as_of=at(20))


@pytest.mark.parametrize(("field", "expected"), [
    ("contacts", 6),
    ("rejected", 0),
    ("per_thousand", 15.0),
    ("one_touch", Ratio(part=2, whole=6)),
    ("automation", Ratio(part=3, whole=6)),
    ("escalated", Ratio(part=2, whole=6)),
    ("breaches", 1),
    ("proactive", Ratio(part=4, whole=7)),
    ("remediations", 7),
    ("remediated_cents", 10_100),
])
def test_the_small_day_scores_as_worked_out_by_hand(card, field, expected):
    assert getattr(card, field) == expected


def test_queues_count_contacts_incident_approvals_breaches_and_pending(card):
    lines = {q.queue: (q.contacts, q.incidents, q.breaches, q.pending) for q in card.queues}
    assert lines == {"pay-review": (1, 1, 0, 1), "trust-safety": (1, 0, 1, 0)}


def test_money_by_kind_and_by_detector_most_first(card):
    assert [(m.name, m.count, m.cents) for m in card.by_kind] == [
        ("base", 2, 8900), ("tip", 3, 1200), ("deposit_retry", 1, 0), ("reissue", 1, 0)]
    assert [(m.name, m.cents) for m in card.by_detector] == [
        ("agent", 8000), ("tip", 1200), ("contact", 900), ("cancellation", 0), ("deposit", 0)]


def test_onset_to_detection_and_to_notified(card):
    assert (card.to_detection.count, card.to_detection.median_minutes,
            card.to_detection.p90_minutes) == (4, 90.0, 120.0)
    assert (card.to_notified.median_minutes, card.to_notified.p90_minutes) == (240.0, 600.0)


def test_hours_intents_and_the_day_total(card):
    hours = {h.hour: (h.contacts, h.remediations) for h in card.hourly if h.contacts or
             h.remediations}
    assert hours == {4: (1, 4), 6: (1, 1), 7: (1, 0), 8: (1, 0), 9: (1, 0), 10: (1, 0),
                     12: (0, 1), 13: (0, 1)}
    assert [(c.name, c.count) for c in card.by_intent] == [
        ("missing_pay", 3), ("missing_tip", 2), ("safety", 1)]


@pytest.mark.parametrize(("later", "is_repeat"), [
    (("drv-1", "missing_pay", 5.0), True),      # same driver and intent within 24 h
    (("drv-1", "missing_pay", 28.0), True),     # 23 h later
    (("drv-1", "missing_pay", 30.0), False),    # more than 24 h later
    (("drv-1", "missing_tip", 5.0), False),     # another matter
    (("drv-2", "missing_pay", 5.0), False),     # another driver
])
def test_a_contact_followed_by_the_same_ask_within_a_day_is_not_one_touch(later, is_repeat):
    driver, intent, hour = later
    cases = (case("c-1", "drv-1", "missing_pay", "resolved", 5.0 if hour != 5.0 else 4.0),
             case("c-2", driver, intent, "resolved", hour))
    assert ("c-1" in repeated(cases)) is is_repeat


@pytest.mark.parametrize(("outcomes", "rates"), [
    (("resolved", "resolved", "escalated", "linked"), ((2, 4), (2, 4), (1, 4))),
    (("escalated",), ((0, 1), (0, 1), (1, 1))),
    ((), ((0, 0), (0, 0), (0, 0))),
])
def test_one_touch_automation_and_escalation_rates(outcomes, rates):
    cases = [case(f"c-{n}", f"drv-{n}", "missing_pay", o, n) for n, o in enumerate(outcomes)]
    got = contact_rates(cases, tuple(cases))
    assert [(r.part, r.whole) for r in got] == [tuple(r) for r in rates]


@pytest.mark.parametrize(("decided", "as_of", "marked", "is_breached"), [
    (7.5, 20, None, False),    # answered in time
    (9.0, 20, None, True),     # answered late
    (None, 7.9, None, False),  # pending, not yet due
    (None, 8.5, None, True),   # pending past due at the report's time
    (7.5, 20, 7.6, True),      # marked by check-escalation-slas
])
def test_an_sla_breach_is_a_late_answer_or_none_past_due(decided, as_of, marked, is_breached):
    row = escalation("esc-1", "trust-safety", 7, 1, decided=decided, marked=marked)
    assert breached(row, at(as_of)) is is_breached


def test_a_key_counts_once_and_only_inside_the_period():
    rows = [fix("drv-1", "ofr-1", "tip", 400, 5), fix("drv-1", "ofr-1", "tip", 400, 6),
            fix("drv-2", "ofr-2", "tip", 300, 25)]
    kept = once_per_key(rows, WHOLE_DAY)
    assert [(r.key, r.at) for r in kept] == [("drv-1/ofr-1/tip", at(5))]


@pytest.mark.parametrize(("asked_hour", "proactive"), [
    (None, 1),   # nobody asked
    (6.0, 1),    # asked after the fix (and was told what was paid)
    (5.0, 1),    # asked at the same moment detection ran
    (4.0, 0),    # asked first
])
def test_proactive_means_detection_fixed_it_before_the_driver_asked(asked_hour, proactive):
    cases = [] if asked_hour is None else [case("c-1", "drv-1", "missing_tip", "escalated",
                                                 asked_hour, recommended=(pay("ofr-1", "tip",
                                                                              400),))]
    share = proactive_share([fix("drv-1", "ofr-1", "tip", 400, 5)], asks(cases))
    assert share == Ratio(part=proactive, whole=1)


def test_a_linked_driver_asked_about_every_fix_of_that_incident():
    cases = [case("c-1", "drv-1", "missing_tip", "linked", 5, incident="inc-1")]
    rows = [fix("drv-1", "ofr-1", "tip", 400, 9, incident="inc-1"),
            fix("drv-2", "ofr-2", "tip", 400, 9, incident="inc-1")]
    assert proactive_share(rows, asks(cases)) == Ratio(part=1, whole=2)


@pytest.mark.parametrize(("values", "share", "expected"), [
    ([], 0.9, None), ([5.0], 0.9, 5.0), ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9, 9),
    ([10, 1, 5], 0.5, 5), ([4, 3, 2, 1], 1.0, 4),
])
def test_nearest_rank_percentile(values, share, expected):
    assert percentile(values, share) == expected


def test_without_onsets_there_is_no_timing():
    to_detection, to_notified = durations([fix("drv-1", "ofr-1", "tip", 400, 5)], {}, [], {})
    assert to_detection.count == to_notified.count == 0
    assert to_detection.median_minutes is None


@pytest.mark.parametrize(("period", "first", "window"), [
    (WHOLE_DAY, at(4), WHOLE_DAY),
    (Period(), at(4), Period(start=at(-20), end=at(4))),
    (Period(), None, None),
    (Period(start=DAY), at(4), Period(start=DAY, end=at(20))),
])
def test_where_deliveries_are_counted(period, first, window):
    assert deliveries_window(period, first, at(20)) == window


@pytest.mark.parametrize(("contacts", "deliveries", "expected"), [
    (11, 137, 80.3), (0, 500, 0.0), (3, 0, None), (3, None, None)])
def test_contacts_per_thousand_deliveries(contacts, deliveries, expected):
    assert per_thousand(contacts, deliveries) == expected


def test_rejected_contacts_are_counted_apart():
    rows = small_day().model_copy(update={"cases": (
        case("c-1", "drv-1", None, "rejected", 5), case("c-2", "drv-2", "other", "escalated",
                                                         6, queue="general"))})
    card = scorecard(rows, PlatformFacts(), WHOLE_DAY, at(20))
    assert (card.contacts, card.rejected, card.per_thousand) == (1, 1, None)
