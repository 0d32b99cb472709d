"""On a simulated day with injected incidents, the root-cause report ranks those incidents
first and shows the repeat-contact rate and the contacts detection could have prevented."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest

from onetouch.casestore import CaseStore
from onetouch.rootcause import build_report
from onetouch.rootcause.view import markdown, rows
from policy.config import PolicyConfig
from tests.rootcause.simday import record_day, simulated_day


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    out = tmp_path_factory.mktemp("rootcause-day")
    world, truth, raws = simulated_day(out / "day")
    store = CaseStore(f"sqlite:///{out / 'cases.db'}")
    record_day(store, truth, raws)
    report = build_report(store.engine, policy=PolicyConfig(), state=world)
    return truth, report


def test_the_injected_incidents_rank_first(day):
    truth, report = day
    incidents = {i["id"] for i in truth["detection"]["incidents"]}
    origins = {i: Counter(d["origin"] for d in truth["defects"] if d["incident_id"] == i)
               for i in incidents}
    assert len(incidents) >= 3
    assert all(o.most_common(1)[0][0] != "scattered" for o in origins.values())
    ranked = [line.name for line in report.groups["cause"]]
    assert set(ranked[:len(incidents)]) == incidents
    top = report.groups["cause"][0]
    hurt = {d["driver_id"] for d in truth["defects"] if d["incident_id"] == top.name}
    assert top.now.drivers == len(hurt | {c["driver_id"] for c in truth["contacts"]
                                          if c["incident_id"] == top.name})


def test_the_repeat_contact_rate_counts_the_same_driver_and_intent_within_7_days(day):
    truth, report = day
    seen: dict[tuple[str, str], datetime] = {}
    repeats = 0
    for c in sorted(truth["contacts"], key=lambda c: c["received_at"]):
        at, pair = datetime.fromisoformat(c["received_at"]), (c["driver_id"], c["intent"])
        if c["outcome"] != "rejected":
            repeats += pair in seen and at - seen[pair] <= timedelta(days=7)
            seen[pair] = at
    kept = sum(1 for c in truth["contacts"] if c["outcome"] != "rejected")
    assert (report.repeat.part, report.repeat.whole) == (repeats, kept)


def test_contacts_answered_from_an_incident_are_preventable(day):
    truth, report = day
    linked = sum(1 for c in truth["contacts"] if c["incident_id"])
    assert linked > 0 and report.preventable.part >= linked
    assert report.preventable.part < report.preventable.whole == report.contacts


def test_every_figure_is_split_by_segment(day):
    _, report = day
    assert sum(s.contacts for s in report.by_segment) == report.contacts
    assert sum(s.repeat.part for s in report.by_segment) == report.repeat.part
    assert sum(s.preventable.part for s in report.by_segment) == report.preventable.part
    for line in report.groups["cause"]:
        assert sum(s.cents for s in line.by_segment) == line.now.cents
        assert {s.segment for s in line.by_segment} <= {"full_time", "part_time", "new"}


def test_the_published_report_shows_the_ranking_and_both_rates(day):
    _, report = day
    text = markdown(report)
    assert "repeat contacts (same driver and intent within 7 days)" in text
    assert "contacts detection could have prevented" in text
    assert rows(report, "cause")[0][1] in text and "docs/root-causes.md" in text
