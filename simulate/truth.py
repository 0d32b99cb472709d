"""Ground truth: the oracle run over the day — detection at now (and, on a schedule, again every
interval while contacts arrive), every contact in arrival order — giving what each contact is
about and what the policy owes, and each defect's fate."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from simulate.clock import NOW_TS, iso
from simulate.contacts import ContactSpec
from simulate.day import Day, earnings, order_status
from simulate.defects import Defect
from simulate.oracle import HELD, Finding, State, detect
from simulate.oracle_contact import Asked, Truth, resolve

KEY_KIND = {"reissue": "reissue", "deposit_retry": "deposit_retry"}


@dataclass
class GroundTruth:
    """The expected detection line, a row per contact and per defect, and a summary."""

    detection: dict
    contacts: list[dict]
    defects: list[dict]
    unplanned: list[str]  # findings no defect explains (a generator bug if any)
    schedule: dict | None = None  # detection's interval, its runs and what they fixed


def defect_key(d: Defect) -> str:
    """The remediation key that fixes a defect."""
    return f"{d.driver}/{d.subject.id}/{KEY_KIND.get(d.kind, d.kind)}"


def compute(day: Day, detect_every_s: int | None = None) -> GroundTruth:
    """Run the oracle over a day whose contacts are generated: detection at now, then (given an
    interval) at now + k × interval before every contact arriving at or after that tick."""
    detect_every_s = detect_every_s or None
    state = State(day.offers, order_status(day.offers), earnings(day), day.incentives,
                  day.deposits)
    ticks = _ticks(day, detect_every_s)
    detection, findings, fixed = detect(state, next(ticks))
    found = {f.key: f for f in findings}
    proactive = [_fix(f, NOW_TS) for f in fixed]
    runs, tick = 1, next(ticks, None)
    by_contact: dict[str, str] = {}
    rows = []
    for spec in day.contacts:
        while tick is not None and tick <= spec.at:
            _, more, done = detect(state, tick)
            for f in more:
                found.setdefault(f.key, f)
            fixed += done
            proactive += [_fix(f, tick) for f in done]
            runs, tick = runs + 1, next(ticks, None)
        truth = resolve(state, _asked(spec))
        for a in truth.actions:
            kind = a.get("kind") or {"offer_reissue": "reissue"}.get(a["type"], "deposit_retry")
            by_contact.setdefault(f"{spec.driver}/{a['subject_id']}/{kind}", spec.id)
        rows.append(contact_row(spec, truth))
    fixed_keys = {f.key for f in fixed}
    defects = [defect_row(n, d, found, fixed_keys, by_contact, state)
               for n, d in enumerate(day.defects)]
    planted = {defect_key(d) for d in day.defects}
    schedule = None if detect_every_s is None else {
        "every_s": detect_every_s, "runs": runs, "fixed": proactive}
    return GroundTruth(detection, rows, defects, sorted(set(found) - planted), schedule)


def _ticks(day: Day, every: int | None) -> Iterator[int]:
    """Detection's times: now, then every interval up to the last contact's arrival."""
    yield NOW_TS
    last = max((c.at for c in day.contacts), default=NOW_TS)
    if every:
        yield from range(NOW_TS + every, last + 1, every)


def _fix(f: Finding, at: int) -> dict:
    """A remediation detection carried out: its key, the pay it made and when."""
    return {"key": f.key, "detector": f.detector, "paid_cents": f.pay, "at": iso(at)}


def _asked(spec: ContactSpec) -> Asked:
    offers = tuple(dict.fromkeys(filter(None, (spec.offer_field, *spec.offer_ids))))
    return Asked(spec.id, spec.driver, spec.at, spec.intent, offers, spec.order_ids,
                 spec.incentive_ids, spec.deposit_ids)


def contact_row(spec: ContactSpec, t: Truth) -> dict:
    """What a contact is really about, and what the policy owes it."""
    return {"contact_id": spec.id, "driver_id": spec.driver, "received_at": iso(spec.at),
            "about": spec.about, "defect_id": spec.defect and spec.defect.id,
            "situation": spec.situation, "intent": spec.intent, "language": spec.lang,
            "channel": spec.channel, "subjects": t.subjects, "outcome": t.outcome,
            "queue": t.queue, "actions": t.actions, "recommended_actions": t.recommended_actions,
            "incident_id": t.incident_id, "owed_cents": t.owed_cents, "reason": t.reason}


def defect_row(n: int, d: Defect, found: dict[str, Finding], fixed: set[str],
               by_contact: dict[str, str], state: State) -> dict:
    """A defect, the first finding detection makes of it, and who fixes it."""
    key = defect_key(d)
    f = found.get(key)
    link = state.links.get(key)
    if key in fixed:
        fate = "proactive"
    elif key in by_contact:
        fate = f"contact:{by_contact[key]}"
    elif link and link[1] in HELD:
        fate = "held"
    else:
        fate = "deferred" if f else "open"
    return {"id": d.id, "kind": d.kind, "origin": d.origin, "driver_id": d.driver,
            "subject_id": d.subject.id, "hurt_at": iso(d.at), "key": key,
            "finding": f and {"detector": f.detector, "cause": f.cause, "amount_cents": f.amount},
            "incident_id": link[0] if link else None, "fixed_by": fate}


def summary(day: Day, truth: GroundTruth) -> dict:
    """Counts by kind of defect, contacts by intent and language, and what should happen."""
    fates = Counter(r["fixed_by"].split(":")[0] for r in truth.defects)
    fixed = fates["proactive"] + fates["contact"]
    schedule = {} if truth.schedule is None else {"schedule": {
        "every_s": truth.schedule["every_s"], "runs": truth.schedule["runs"],
        "fixed": len(truth.schedule["fixed"]),
        "paid_cents": sum(f["paid_cents"] for f in truth.schedule["fixed"])}}
    return {
        "seed": day.seed, "now": iso(NOW_TS),
        "size": {"drivers": day.size.drivers, "stores": day.size.stores,
                 "offers": day.size.offers},
        "world": {"zones": len(day.city.zones), "offers": len(day.offers),
                  "incentives": len(day.incentives), "deposits": len(day.deposits)},
        "defects": {"total": len(truth.defects),
                    "by_kind": dict(sorted(Counter(r["kind"] for r in truth.defects).items())),
                    "by_origin": dict(sorted(Counter(
                        r["origin"].split(":")[0] for r in truth.defects).items())),
                    "fixed_by": dict(sorted(fates.items())),
                    "proactive_share": round(fates["proactive"] / fixed, 4) if fixed else None},
        "detection": {"findings": truth.detection["findings"],
                      "incidents": len(truth.detection["incidents"]),
                      "unplanned_findings": len(truth.unplanned)},
        "contacts": {"total": len(truth.contacts),
                     "by_intent": _count(truth.contacts, "intent"),
                     "by_language": _count(truth.contacts, "language"),
                     "by_about": _count(truth.contacts, "about"),
                     "by_outcome": _count(truth.contacts, "outcome"),
                     "owed_cents": sum(r["owed_cents"] for r in truth.contacts)},
    } | schedule


def _count(rows: list[dict], key: str) -> dict[str, int]:
    return dict(sorted(Counter(r[key] for r in rows).items()))
