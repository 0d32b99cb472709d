"""Snapshot tests of rendered replies: every scenario, in both languages, on each channel shape.

Set UPDATE_SNAPSHOTS=1 to rewrite the snapshots after an intended change, then review the diff.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from onetouch.render import render_reply
from policy.case import ReplyItem, ReplyPlan

SNAPSHOTS = Path(__file__).parent / "snapshots"
HELP = Path(__file__).parent / "help"
AT = datetime(2026, 11, 20, 19, 5, tzinfo=UTC)
TZ = "America/Chicago"

SCENARIOS: dict[str, dict] = {
    "tip-paid": {"items": [ReplyItem(type="paid", subject_id="ofr-50014", kind="tip",
                                     amount_cents=400)]},
    "two-paid": {"items": [
        ReplyItem(type="paid", subject_id="ofr-1", kind="base", amount_cents=1150),
        ReplyItem(type="paid", subject_id="ofr-2", kind="wait_time", amount_cents=675, done=42)]},
    "challenge-paid": {"items": [ReplyItem(type="paid", subject_id="inc-11", kind="incentive",
                                           amount_cents=2500, label="Complete 5 deliveries")]},
    "pay-pending": {"items": [ReplyItem(type="pay_pending", subject_id="ofr-50040", kind="base",
                                        at=AT)]},
    "no-tip": {"items": [ReplyItem(type="no_tip", subject_id="ofr-50027", kind="tip")]},
    "already-paid": {"items": [ReplyItem(type="already_paid", subject_id="ofr-9", kind="tip",
                                         amount_cents=350, at=AT)]},
    "challenge-progress": {"items": [ReplyItem(
        type="incentive_progress", subject_id="inc-12", label="Weekend 20", done=14, required=20,
        at=AT, details={"running": 1, "hours_left": 50, "days_left": 2})]},
    "reissued": {"items": [ReplyItem(type="reissued", subject_id="ofr-50068")]},
    "deposit-retried": {"items": [ReplyItem(
        type="deposit_retried", subject_id="dep-3001", amount_cents=15400, label="instant",
        details={"hours": 1, "business_days": 3})]},
    "deposit-pending": {"items": [ReplyItem(
        type="deposit_pending", subject_id="dep-7", amount_cents=9900, label="weekly",
        details={"hours": 1, "business_days": 3})]},
    "update-bank": {"items": [ReplyItem(type="deposit_update_bank", subject_id="dep-3002",
                                        amount_cents=9900, label="instant")]},
    "cancel-not-owed": {"items": [ReplyItem(type="cancel_not_owed", subject_id="ofr-50073",
                                            label="customer")]},
    "account-access": {"items": [ReplyItem(type="account_access_steps")]},
    "ack-safety": {"template": "acknowledgement", "queue": "trust-safety",
                   "answer_within_hours": 1},
    "ack-pay-review": {"template": "acknowledgement", "queue": "pay-review",
                       "answer_within_hours": 24},
    "segment-new-tip": {"segment": "new", "intent": "missing_tip", "items": [ReplyItem(
        type="paid", subject_id="ofr-50014", kind="tip", amount_cents=400)]},
    "segment-part-time-goals": {"segment": "part_time", "intent": "missing_pay", "items": [
        ReplyItem(type="paid", subject_id="ofr-1", kind="base", amount_cents=1150)], "goals": [
        ReplyItem(type="incentive_progress", subject_id="inc-12", label="Weekend 20", done=14,
                  required=20, at=AT, details={"running": 1, "hours_left": 50, "days_left": 2})]},
    "segment-full-time-two-paid": {"segment": "full_time", "intent": "missing_pay", "items": [
        ReplyItem(type="paid", subject_id="ofr-1", kind="base", amount_cents=1150),
        ReplyItem(type="paid", subject_id="ofr-2", kind="wait_time", amount_cents=675, done=42)]},
    "segment-new-ack": {"template": "acknowledgement", "queue": "general", "segment": "new",
                        "intent": "deactivation", "answer_within_hours": 24},
}
CHANNELS = ("chat", "sms", "email")


@pytest.fixture(autouse=True)
def _fixed_help_articles(monkeypatch):
    monkeypatch.setattr("onetouch.render.HELP_DIR", HELP)


def _render(scenario: dict, channel: str, locale: str) -> tuple[str, str]:
    fields = {k: v for k, v in scenario.items() if k != "intent"}
    plan = ReplyPlan(**({"template": "resolution"} | fields), channel=channel, locale=locale,
                     first_name="Ana")
    return render_reply(plan, "case-c-1", TZ, intent=scenario.get("intent"))


def _render_all(scenario: dict) -> str:
    parts = []
    for locale in ("en", "es"):
        for channel in CHANNELS:
            subject, body = _render(scenario, channel, locale)
            parts.append(f"=== {locale} {channel} | {subject}\n{body}")
    return "\n".join(parts)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_reply_snapshot(name):
    rendered = _render_all(SCENARIOS[name])
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not path.exists():
        path.write_text(rendered)
    assert rendered == path.read_text()


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_sms_is_short(name):
    for locale in ("en", "es"):
        _, body = _render(SCENARIOS[name], "sms", locale)
        limit = 480 if name == "account-access" else 320
        assert len(body) <= limit, body
