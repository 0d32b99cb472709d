"""The scorecard rendered: the same lines in the terminal, markdown and the HTML page; two days
side by side; nothing a driver could be identified by."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from rich.console import Console

from onetouch.scorecard.compare import compare
from onetouch.scorecard.compute import scorecard
from onetouch.scorecard.models import Change, Period, PlatformFacts, StoreRows
from onetouch.scorecard.render import daily_markdown, daily_rows, html, markdown, rich_table
from onetouch.scorecard.view import change, duration, percent
from tests.scorecard.rows import DAY, at, case, small_day

PERIOD = Period(start=DAY, end=DAY + timedelta(days=1))


@pytest.fixture(scope="module")
def card():
    return scorecard(small_day(), PlatformFacts(deliveries=400), PERIOD, at(20))


@pytest.fixture(scope="module")
def quiet_day():
    rows = StoreRows(cases=(case("c-9", "drv-9", "missing_tip", "resolved", -20),))
    return scorecard(rows, PlatformFacts(deliveries=350), Period(start=DAY - timedelta(days=1),
                                                                 end=DAY), at(20))


def test_markdown_holds_every_figure(card):
    text = markdown(card)
    for expected in ("| contacts | one-touch resolution | 33.3% (2 of 6) |",
                     "| remediation | proactive share | 57.1% (4 of 7) |",
                     "| remediated by kind | base | $89.00 (2) |",
                     "| escalations | trust-safety |", "15.0 (400 deliveries)",
                     "2026-11-21T00:00:00Z to 2026-11-22T00:00:00Z"):
        assert expected in text


def test_the_terminal_table_has_a_row_per_figure(card):
    console = Console(width=160, record=True)
    console.print(rich_table(card))
    text = console.export_text()
    assert "33.3% (2 of 6)" in text and "$101.00 in 7 remediations" in text
    assert rich_table(card).row_count == markdown(card).count("\n| ") - 1


def test_the_html_is_self_contained_with_four_charts(card):
    page = html(card)
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 4
    assert not re.search(r"""(src|href)=|@import|url\(|<script""", page)
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_names_in_the_html_are_escaped(card):
    hostile = card.model_copy(update={"by_intent": (
        card.by_intent[0].model_copy(update={"name": "<script>alert(1)</script>"}),)})
    page = html(hostile)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_no_driver_or_contact_is_named(card):
    for text in (markdown(card), html(card)):
        assert not re.search(r"drv-\d|c-\d|ofr-\d", text)


def test_two_days_side_by_side_with_the_change(card, quiet_day):
    rows = {r["figure"]: r for r in daily_rows(card, quiet_day)}
    assert rows["contacts"] == {"figure": "contacts", "yesterday": "6", "day before": "1",
                                "change": "+5"}
    assert rows["one-touch resolution"]["change"] == "-66.7 pts"
    assert rows["remediated: base"] == {"figure": "remediated: base", "yesterday": "$89.00",
                                        "day before": "$0.00", "change": "+$89.00"}
    text = daily_markdown(card, quiet_day)
    assert "| contacts | 6 | 1 | +5 |" in text and "## This day in full" in text


def test_a_figure_on_one_day_only_counts_as_zero_or_unknown(card, quiet_day):
    changes = {c.name: c for c in compare(card, quiet_day)}
    assert changes["remediated: tip"].previous == 0
    assert changes["escalated to trust-safety"].previous is None


@pytest.mark.parametrize(("item", "shown"), [
    (Change(name="x", unit="rate", current=0.75, previous=0.5), "+25.0 pts"),
    (Change(name="x", unit="cents", current=100, previous=350), "-$2.50"),
    (Change(name="x", unit="minutes", current=30, previous=30), "±0 min"),
    (Change(name="x", unit="ratio", current=12.5, previous=10.0), "+2.5"),
    (Change(name="x", unit="count", current=3, previous=None), "n/a"),
])
def test_changes_read_in_their_unit(item, shown):
    assert change(item) == shown


@pytest.mark.parametrize(("minutes", "shown"), [(0, "0 min"), (119, "119 min"),
                                                (150, "2.5 h"), (685.2, "11.4 h")])
def test_durations_in_minutes_then_hours(minutes, shown):
    assert duration(minutes) == shown


def test_a_rate_of_nothing_says_so():
    from onetouch.scorecard.models import Ratio

    assert percent(Ratio(part=0, whole=0)) == "n/a (0 of 0)"
    assert percent(Ratio(part=1, whole=3)) == "33.3% (1 of 3)"


@pytest.mark.parametrize(("value", "top"), [(0, 2), (1, 2), (5, 6), (10, 10), (11, 12),
                                            (51, 60), (130, 160), (999, 1000)])
def test_chart_axes_end_on_round_numbers_with_whole_halves(value, top):
    from onetouch.scorecard.charts import nice_top

    assert nice_top(value) == top and top % 2 == 0
