"""The oracle's decision for one contact, from what it is really about and the state at the time
it arrives: subjects, amounts, escalation, incident links, the money breaker."""

from __future__ import annotations

from dataclasses import dataclass, field

from simulate import rules
from simulate.oracle import DETECTOR_CAP, HELD, OVERALL_CAP, State
from simulate.rules import Verdict

DAY_S = 86400
ESCALATING = {"safety": "trust-safety", "deactivation": "account-review", "other": "general"}
OFFER_INTENTS = ("missing_pay", "missing_tip", "wait_time_pay", "cancelled_offer")
CASE_CAP, REPEAT_LIMIT = 7_500, 5
NOTES = 3


@dataclass(frozen=True)
class Asked:
    """What a contact is really about: its intent and the ids it names (text or app)."""

    contact_id: str
    driver: str
    at: int
    intent: str
    offer_ids: tuple[str, ...] = ()
    order_ids: tuple[str, ...] = ()
    incentive_ids: tuple[str, ...] = ()
    deposit_ids: tuple[str, ...] = ()


@dataclass
class Truth:
    """What the policy owes a contact: the outcome line's decisive fields."""

    outcome: str
    queue: str | None = None
    actions: list[dict] = field(default_factory=list)
    recommended_actions: list[dict] = field(default_factory=list)
    incident_id: str | None = None
    reason: str = ""
    subjects: list[str] = field(default_factory=list)

    @property
    def owed_cents(self) -> int:
        return sum(a.get("amount_cents", 0) for a in self.actions + self.recommended_actions)


def view(v: Verdict) -> dict:
    """A remediation in the outcome line's shape."""
    if v.action == "pay_adjustment":
        return {"type": v.action, "kind": v.kind, "subject_id": v.subject,
                "amount_cents": v.cents}
    return {"type": v.action, "subject_id": v.subject}


def resolve(state: State, asked: Asked) -> Truth:
    """Decide a contact as the policy says, and apply what it carries out to the state."""
    if asked.intent in ESCALATING:
        return Truth("escalated", ESCALATING[asked.intent], reason=f"intent_{asked.intent}")
    missing = _foreign_or_missing(state, asked)
    if missing:
        return Truth("escalated", "general", reason="evidence_mismatch", subjects=missing)
    verdicts = _verdicts(state, asked)
    kept, held_by = [], None
    for v in verdicts:
        link = state.links.get(f"{asked.driver}/{v.subject}/{v.key_kind()}") if v.owed else None
        if link and link[0] and link[1] in HELD:
            held_by = held_by or link[0]
            kept.append(Verdict("incident_held", v.subject, v.kind))
        else:
            kept.append(v)
    owed = [v for v in kept if v.owed]
    subjects = [v.subject for v in kept if v.subject]
    review = _review(state, asked, owed)
    if review:
        return Truth("escalated", "pay-review", recommended_actions=[view(v) for v in owed],
                     reason=review, subjects=subjects)
    for v in owed:
        state.carry_out(asked.driver, v, "contact", asked.at)
    pay = sum(v.cents for v in owed if v.action == "pay_adjustment")
    if pay:
        state.automatic.append((asked.at, "contact", pay))
    return Truth("linked" if held_by else "resolved", actions=[view(v) for v in owed],
                 incident_id=held_by or _incident_of(state, asked.driver, kept),
                 reason="linked_to_incident" if held_by else (
                     "remediated" if owed else kept[0].type), subjects=subjects)


def _foreign_or_missing(state: State, asked: Asked) -> list[str]:
    missing = [i for i in asked.offer_ids
               if i not in state.by_id or state.by_id[i].driver != asked.driver]
    missing += [i for i in asked.order_ids if not _of_order(state, asked, i)]
    missing += [i for i in asked.incentive_ids if i not in state.incentives]
    missing += [i for i in asked.deposit_ids
                if i not in state.deposits or state.deposits[i]["driver"] != asked.driver]
    return list(dict.fromkeys(missing))


def _verdicts(state: State, asked: Asked) -> list[Verdict]:
    if asked.intent in OFFER_INTENTS:
        return _offers(state, asked)
    if asked.intent == "incentive_not_credited":
        return _incentives(state, asked)
    if asked.intent == "deposit_issue":
        return _deposits(state, asked)
    if asked.intent == "pay_question":
        return [Verdict("breakdown", _breakdown_subject(state, asked))]
    return [Verdict("account_access_steps", None)]


def _recent(state: State, asked: Asked) -> list:
    """The driver's offers of the last 7 days, newest first."""
    since = asked.at - 7 * DAY_S
    mine = [(o.deliv or o.canc or o.acc, o) for o in state.by_driver[asked.driver]]
    return [o for t, o in sorted(((t, o) for t, o in mine if since <= t <= asked.at),
                                 key=lambda p: (p[0], p[1].id), reverse=True)]


def _offers(state: State, asked: Asked) -> list[Verdict]:
    named = _named(state, asked)
    if named:
        return [state.offer_verdict(asked.intent, o, asked.at) for o in named]
    wanted = {"cancelled_offer": ("cancelled",), "missing_pay": ("delivered", "cancelled")}.get(
        asked.intent, ("delivered",))
    found = [state.offer_verdict(asked.intent, o, asked.at) for o in _recent(state, asked)
             if o.status in wanted]
    return _owed_or_notes(found, "no_recent_offers")


def _owed_or_notes(found: list[Verdict], empty: str) -> list[Verdict]:
    owed = [v for v in found if v.owed]
    if owed:
        return sorted(owed, key=lambda v: v.subject or "")
    pending = [v for v in found if v.type in ("pay_pending", "already_paid")]
    return (pending or found)[:NOTES] or [Verdict(empty, None)]


def _incentives(state: State, asked: Asked) -> list[Verdict]:
    named = [state.incentives[i] for i in dict.fromkeys(asked.incentive_ids)]
    pool = named or [i for i in state.incentives.values() if asked.driver in i.enrolled
                     and i.ends >= asked.at - 14 * DAY_S and i.starts <= asked.at]
    found = [rules.incentive(i, asked.driver, state.progress(i, asked.driver),
                             state.paid(asked.driver, i.id, "incentive"), asked.at)
             for i in sorted(pool, key=lambda i: (i.ends, i.id), reverse=True)]
    return found if named else _owed_or_notes(found, "no_recent_incentives")


def _deposits(state: State, asked: Asked) -> list[Verdict]:
    named = [state.deposits[i] for i in dict.fromkeys(asked.deposit_ids)]
    pool = named or [d for d in state.deposits_of[asked.driver]
                     if asked.at - 14 * DAY_S <= d["created"] <= asked.at]
    found = [rules.deposit(d) for d in sorted(pool, key=lambda d: (d["created"], d["id"]),
                                              reverse=True)]
    if named:
        return found
    owed = [v for v in found if v.owed]
    problems = [v for v in found if v.type != "deposit_paid"]
    return owed or problems[:NOTES] or found[:1] or [Verdict("no_recent_deposits", None)]


def _of_order(state: State, asked: Asked, order_id: str) -> list:
    """The driver's offers of an order, oldest first."""
    return sorted((o for o in state.by_driver[asked.driver] if o.order_id == order_id),
                  key=lambda o: o.acc)


def _named(state: State, asked: Asked) -> list:
    """The offers a contact names: by id, and each named order's latest offer of the driver."""
    named = {i: state.by_id[i] for i in asked.offer_ids}
    for order_id in asked.order_ids:
        latest = _of_order(state, asked, order_id)[-1]
        named.setdefault(latest.id, latest)
    return [named[i] for i in sorted(named)]


def _breakdown_subject(state: State, asked: Asked) -> str | None:
    named = [o.id for o in _named(state, asked)]
    delivered = [o.id for o in _recent(state, asked) if o.status == "delivered"]
    return (named or delivered or [None])[0]


def _review(state: State, asked: Asked, owed: list[Verdict]) -> str:
    """Why a paying case goes to pay-review: its size, the driver's repeats, the breaker."""
    pay = sum(v.cents for v in owed if v.action == "pay_adjustment")
    if pay == 0:
        return ""
    codes = ["over_case_cap"] if pay > CASE_CAP else []
    repeats = sum(1 for t in state.contact_pay[asked.driver] if asked.at - 30 * DAY_S <= t
                  < asked.at)
    if repeats >= REPEAT_LIMIT:
        codes.append("repeat_contacts")
    if codes:
        return "+".join(codes)
    overall, by = state.window_pay(asked.at)
    if overall + pay > OVERALL_CAP or by["contact"] + pay > DETECTOR_CAP:
        return "hourly_cap"
    return ""


def _incident_of(state: State, driver: str, verdicts: list[Verdict]) -> str | None:
    for v in verdicts:
        kind = v.key_kind()
        if v.subject is None or kind is None:
            continue
        link = state.links.get(f"{driver}/{v.subject}/{kind}")
        if link and link[0]:
            return link[0]
    return None
