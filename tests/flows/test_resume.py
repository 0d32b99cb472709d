"""A run that died half-way, resumed by the next: the contact path carries out the decision it
kept, detection finishes the findings a dead run paid but never pushed (the crash tests in
tests/chaos/ kill real processes; these stage the same states in-process)."""

from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa
from prefect import flow

from flows import deps
from flows.detection import detect_defects, detection_reference, plan_and_record, reconcile
from flows.resolve_contact import resolve_contact
from flows.tasks import carry_out
from integrations import PayAdjustment
from onetouch.casestore.tables import audit_log, cases, findings
from policy.detect import Scope
from tests.flows.test_detection import _pushes, detection_world  # noqa: F401
from tests.flows.test_resolve_contact import CONTACTS, _at, _remediations


@pytest.fixture
def staged(request):
    """The detection world's platform (tests/flows/test_detection.py)."""
    return request.getfixturevalue("detection_world")[0]


def test_a_contact_whose_run_died_before_recording_is_recorded_with_what_it_paid(platform):
    contact = _at(platform, CONTACTS["c-2"])
    first = resolve_contact(contact)
    with deps.case_store().engine.begin() as conn:  # the run died after its reply
        conn.execute(sa.delete(cases).where(cases.c.contact_id == "c-2"))
    again = resolve_contact(contact)
    assert again["actions"] == first["actions"] != []
    assert again["outcome"] == "resolved"
    assert [e.idempotency_key for e in _remediations(platform, "drv-1002")] == [
        "drv-1002/ofr-50014/tip"]
    assert len(list(platform.notifications.list(driver_id="drv-1002"))) == 1
    assert _decided("case-c-2") == 1


def _decided(case_id: str) -> int:
    with deps.case_store().engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(audit_log).where(
            audit_log.c.case_id == case_id, audit_log.c.action == "case_decided")).scalar()


@flow
def _half_run():
    """A detection run's plan, recorded and noted, that paid one driver and died before the
    push; that driver's findings."""
    now, policy = deps.platform_now(), deps.policy()
    found = reconcile.fn(now, policy, Scope())
    plan, _ = plan_and_record.fn(found, now, policy)
    victim = next(f.action.driver_id for f in plan.fix_now if f.action.type == "pay_adjustment")
    paid = [f for f in plan.fix_now if f.action.driver_id == victim]
    references = {f.key: plan.incident_of().get(f.key) or detection_reference(now)
                  for f in plan.fix_now}
    deps.case_store().note_paying(references, now)
    for finding in paid:
        carry_out(finding.action, references[finding.key], "proactive", as_task=False)
    return victim, paid


@flow
def _noted_not_paid():
    """A finding a detection run noted it would pay, then died before paying it."""
    now, policy = deps.platform_now(), deps.policy()
    plan, _ = plan_and_record.fn(reconcile.fn(now, policy, Scope()), now, policy)
    finding = next(f for f in plan.fix_now
                   if f.action.type == "pay_adjustment" and f.action.kind != "incentive")
    deps.case_store().note_paying({finding.key: detection_reference(now)}, now)
    return finding


def _status(keys):
    with deps.case_store().engine.connect() as conn:
        return dict(conn.execute(sa.select(findings.c.key, findings.c.status)
                                 .where(findings.c.key.in_(keys))).all())


def test_detection_finishes_what_a_dead_run_paid_without_paying_again(staged):
    platform = staged
    victim, paid = _half_run()
    detect_defects()
    earnings = Counter(e["idempotency_key"] for e in platform.admin.state()["earnings"]
                       if e["idempotency_key"])
    assert set(earnings.values()) == {1}
    assert Counter(n["driver_id"] for n in _pushes(platform))[victim] == 1
    assert set(_status([f.key for f in paid]).values()) == {"remediated"}
    with deps.case_store().engine.connect() as conn:
        audited = Counter((d["driver_id"], d["subject_id"], d.get("kind")) for d in conn.execute(
            sa.select(audit_log.c.details).where(audit_log.c.action.startswith("proactive_")))
            .scalars())
    assert [audited[(f.action.driver_id, f.action.subject_id, f.action.kind)] for f in paid] == [
        1] * len(paid)


def test_a_finding_the_platform_shows_fixed_another_way_is_superseded(staged):
    platform = staged
    finding = _noted_not_paid()
    action = finding.action
    platform.earnings.adjust(PayAdjustment(  # an agent's fix, under the same key
        driver_id=action.driver_id, kind=action.kind, source="agent", reference="case-x",
        amount_cents=action.amount_cents, offer_id=action.subject_id),
        idempotency_key=action.idempotency_key)
    detect_defects()
    assert _status([finding.key]) == {finding.key: "superseded"}
    assert [e["source"] for e in platform.admin.state()["earnings"]
            if e["idempotency_key"] == action.idempotency_key] == ["agent"]
