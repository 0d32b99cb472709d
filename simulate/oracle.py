"""The oracle's platform state, and proactive detection at a time applied to it (findings,
incidents, joining those awaiting an agent, the money breaker's admission over the hour's
automatic pay, the remediations), from the world as written; detection may run many times."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from simulate import rules
from simulate.rules import Paid, Verdict

DETECTION_WINDOW_S = 24 * 3600
INCIDENT_MIN, INCIDENT_TOTAL, INCIDENT_DRIVERS = 3, 200_000, 100
OVERALL_CAP, DETECTOR_CAP = 1_000_000, 500_000
HELD = ("awaiting_approval", "held")


class NewOffer:
    """An offer a reissue created (its id is the platform's to choose)."""

    __slots__ = ("id", "order_id", "driver", "store", "zone", "acc", "arr", "pick", "deliv",
                 "canc", "by", "reason", "status", "base", "tip", "reissued_from")

    def __init__(self, o, at: int) -> None:
        self.id, self.order_id, self.driver = f"(reissue of {o.id})", o.order_id, o.driver
        self.store, self.zone, self.acc = o.store, o.zone, at
        self.arr = self.pick = self.deliv = self.canc = self.by = self.reason = None
        self.status, self.base, self.tip, self.reissued_from = "accepted", o.base, o.tip, o.id


@dataclass(frozen=True)
class Finding:
    """A shortfall detection must find, with its group."""

    detector: str
    cause: str
    driver: str
    verdict: Verdict

    @property
    def key(self) -> str:
        return f"{self.driver}/{self.verdict.subject}/{self.verdict.key_kind()}"

    @property
    def pay(self) -> int:
        return self.verdict.cents if self.verdict.action == "pay_adjustment" else 0

    @property
    def amount(self) -> int:
        """What the finding moves: pay, a deposit's amount, nothing for a reissue."""
        return 0 if self.verdict.action == "offer_reissue" else self.verdict.cents


class State:
    """What the platform and the case store hold, as the oracle tracks it through the day."""

    def __init__(self, offers, order_status: dict[str, str], earnings, incentives,
                 deposits) -> None:
        self.offers = list(offers)
        self.by_id = {o.id: o for o in self.offers}
        self.by_driver: dict[str, list] = defaultdict(list)
        for o in self.offers:
            self.by_driver[o.driver].append(o)
        self.orders = dict(order_status)
        self.reissued = {o.reissued_from for o in self.offers if o.reissued_from}
        self.ledger: dict[str, tuple[int, int, bool]] = {}
        self.contact_pay: dict[str, list[int]] = defaultdict(list)
        for driver, offer_id, incentive_id, kind, amount, source, ts, _, _ in earnings:
            self.earn(driver, offer_id or incentive_id, kind, amount, source, ts)
        self.incentives = {i.id: i for i in incentives}
        self.deposits = {d.id: {"id": d.id, "driver": d.driver, "amount": d.amount,
                                "status": d.status, "reason": d.reason, "retried": d.retried,
                                "created": d.created} for d in deposits}
        self.deposits_of: dict[str, list[dict]] = defaultdict(list)
        for d in self.deposits.values():
            self.deposits_of[d["driver"]].append(d)
        self.links: dict[str, tuple[str | None, str]] = {}
        self.awaiting: dict[tuple[str, str], tuple[str, list[Finding]]] = {}  # cause → incident
        self.automatic: list[tuple[int, str, int]] = []  # (time, detector, cents) paid

    def earn(self, driver: str, subject: str, kind: str, amount: int, source: str,
             ts: int) -> None:
        """One more earning in the ledger."""
        key = f"{driver}/{subject}/{kind}"
        total, count, remediated = self.ledger.get(key, (0, 0, False))
        self.ledger[key] = (total + amount, count + 1, remediated or source != "platform")
        if source == "contact":
            self.contact_pay[driver].append(ts)

    def paid(self, driver: str, subject: str, kind: str) -> Paid:
        return Paid(*self.ledger.get(f"{driver}/{subject}/{kind}", (0, 0, False)))

    def progress(self, inc, driver: str) -> int:
        """The driver's deliveries in the challenge's zone and window."""
        return sum(1 for o in self.by_driver[driver] if o.zone == inc.zone
                   and o.deliv is not None and inc.starts <= o.deliv < inc.ends)

    def offer_verdict(self, intent: str, o, now: int) -> Verdict:
        """One offer under an offer intent (missing pay on a cancelled offer: cancellation)."""
        if intent == "cancelled_offer" or (intent == "missing_pay" and o.status == "cancelled"):
            return rules.cancellation(o, self.orders.get(o.order_id),
                                      self.paid(o.driver, o.id, "cancellation"),
                                      o.id in self.reissued, now)
        if intent == "wait_time_pay":
            return rules.wait_time(o, self.paid(o.driver, o.id, "wait_time"), now)
        kind = "tip" if intent == "missing_tip" else "base"
        return rules.delivery(o, kind, self.paid(o.driver, o.id, kind), now)

    def carry_out(self, driver: str, v: Verdict, source: str, now: int) -> None:
        """Apply one remediation to the state."""
        if v.action == "pay_adjustment":
            assert v.subject is not None and v.kind is not None
            self.earn(driver, v.subject, v.kind, v.cents, source, now)
        elif v.action == "offer_reissue":
            again = NewOffer(self.by_id[v.subject], now)
            self.by_driver[driver].append(again)
            self.orders[again.order_id] = "assigned"
            self.reissued.add(v.subject)
        elif v.action == "deposit_retry":
            self.deposits[v.subject].update(status="pending", retried=now)

    def window_pay(self, now: int) -> tuple[int, dict[str, int]]:
        """Automatic pay in (now − 1 h, now], overall and by detector."""
        overall, by = 0, defaultdict[str, int](int)
        for ts, detector, cents in self.automatic:
            if now - 3600 < ts <= now:
                overall += cents
                by[detector] += cents
        return overall, by


def detect(state: State, now: int) -> tuple[dict, list[Finding], list[Finding]]:
    """Detection at `now`: the run's summary line, every finding, and those fixed."""
    findings = sorted(_findings(state, now), key=lambda f: f.key)
    groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        groups[(f.detector, f.cause)].append(f)
    incidents, fix_now = [], []
    for (detector, cause), group in sorted(groups.items()):
        if (detector, cause) in state.awaiting:
            incidents.append(_join(state, (detector, cause), group))
            continue
        if len(group) < INCIDENT_MIN:
            fix_now += group
            for f in group:
                state.links.setdefault(f.key, (None, "fixing"))
            continue
        incident = _incident(detector, cause, group, now)
        incidents.append(incident)
        for f in group:
            state.links[f.key] = (incident["id"], incident["status"])
        if incident["status"] == "awaiting_approval":
            state.awaiting[(detector, cause)] = (incident["id"], list(group))
        else:
            fix_now += group
    admitted, deferred = _admit(sorted(fix_now, key=lambda f: f.key), *state.window_pay(now))
    for f in admitted:
        state.carry_out(f.driver, f.verdict, "proactive", now)
        if f.pay:
            state.automatic.append((now, f.detector, f.pay))
    summary = {"findings": len(findings), "incidents": incidents}
    if deferred:
        summary["payments"] = {"status": "capped", "deferred": len(deferred),
                               "deferred_cents": sum(f.pay for f in deferred)}
    return summary, findings, admitted


def _join(state: State, cause: tuple[str, str], group: list[Finding]) -> dict:
    """Findings of a cause whose incident awaits an agent: held in it, the incident grown."""
    ident, earlier = state.awaiting[cause]
    known = {f.key for f in earlier}
    merged = earlier + [f for f in group if f.key not in known]
    state.awaiting[cause] = (ident, merged)
    for f in group:
        state.links[f.key] = (ident, "awaiting_approval")
    return _summary(ident, *cause, merged, "awaiting_approval")


def _findings(state: State, now: int):
    since = now - DETECTION_WINDOW_S
    for o in state.offers:
        if o.status == "delivered" and since <= o.deliv <= now:
            for kind in ("base", "tip", "wait_time"):
                v = state.offer_verdict({"base": "missing_pay", "tip": "missing_tip",
                                         "wait_time": "wait_time_pay"}[kind], o, now)
                if v.owed:
                    cause = f"zone={o.zone}" if kind == "base" else f"store={o.store}"
                    yield Finding(kind, cause, o.driver, v)
        elif o.status == "cancelled" and since <= o.canc <= now:
            v = state.offer_verdict("cancelled_offer", o, now)
            if v.owed:
                yield Finding("cancellation", f"zone={o.zone}/reason={o.reason or o.by}",
                              o.driver, v)
    for inc in sorted(state.incentives.values(), key=lambda i: i.id):
        if since <= inc.ends <= now:
            for driver in sorted(set(inc.enrolled)):
                v = rules.incentive(inc, driver, state.progress(inc, driver),
                                    state.paid(driver, inc.id, "incentive"), now)
                if v.owed:
                    yield Finding("incentive", f"incentive={inc.id}", driver, v)
    for d in state.deposits.values():
        if d["status"] == "failed" and since <= d["created"] <= now:
            v = rules.deposit(d)
            if v.owed:
                yield Finding("deposit", f"failure={d['reason']}", d["driver"], v)


def _incident(detector: str, cause: str, group: list[Finding], now: int) -> dict:
    total = sum(f.amount for f in group)
    drivers = len({f.driver for f in group})
    slug = re.sub(r"[^a-z0-9]+", "-", cause.lower()).strip("-")
    at = datetime.fromtimestamp(now, UTC)
    waits = total > INCIDENT_TOTAL or drivers > INCIDENT_DRIVERS
    return _summary(f"inc-{detector}-{slug}-{at:%Y%m%d%H%M}", detector, cause, group,
                    "awaiting_approval" if waits else "remediated")


def _summary(ident: str, detector: str, cause: str, group: list[Finding], status: str) -> dict:
    return {"id": ident, "detector": detector, "cause": cause,
            "subjects": sorted({f.verdict.subject for f in group}),
            "drivers": len({f.driver for f in group}),
            "total_cents": sum(f.amount for f in group), "status": status}


def _admit(ordered: list[Finding], overall: int, paid: dict[str, int]
           ) -> tuple[list[Finding], list[Finding]]:
    """The breaker: findings in key order, over the hour's automatic pay so far, until a cap
    would be passed; that scope's rest wait for a later run."""
    by = defaultdict(int, paid)
    admitted, deferred, blocked = [], [], set[str]()
    for f in ordered:
        if f.pay and ({"overall", f.detector} & blocked):
            deferred.append(f)
        elif f.pay and overall + f.pay > OVERALL_CAP:
            deferred.append(f)
            blocked.add("overall")
        elif f.pay and by[f.detector] + f.pay > DETECTOR_CAP:
            deferred.append(f)
            blocked.add(f.detector)
        else:
            admitted.append(f)
            overall += f.pay
            by[f.detector] += f.pay
    return admitted, deferred
