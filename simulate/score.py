"""Scoring a replay of a simulated day against its ground truth: exact cases, money paid beyond
what is owed, double payments, the share of defects fixed before anyone asked.

    .venv/bin/python -m simulate.score DIR/truth.json OUTCOMES.jsonl [STATE.json]
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

FIELDS = ("intent", "outcome", "queue", "incident_id")
ACTION_KIND = {"offer_reissue": "reissue", "deposit_retry": "deposit_retry"}


def _actions(rows: list[dict]) -> list[tuple]:
    return sorted((a["type"], a.get("kind"), a["subject_id"], a.get("amount_cents"))
                  for a in rows)


def differences(truth: dict, outcome: dict) -> dict[str, tuple]:
    """The decisive fields where an outcome differs from the truth: field → (truth, outcome)."""
    diff = {f: (truth[f], outcome.get(f)) for f in FIELDS if truth[f] != outcome.get(f)}
    for f in ("actions", "recommended_actions"):
        want, got = _actions(truth[f]), _actions(outcome.get(f) or [])
        if want != got:
            diff[f] = (want, got)
    return diff


def key_of(driver: str, action: dict) -> str:
    """The remediation key of an outcome's action."""
    kind = action.get("kind") or ACTION_KIND[action["type"]]
    return f"{driver}/{action['subject_id']}/{kind}"


def owed_by_key(truth: dict) -> dict[str, int]:
    """Every remediation the policy owes over the run, by key: what detection fixes (every run's,
    on a schedule), what each contact carries out (pay in cents; 0 for reissues and retries)."""
    owed: dict[str, int] = {}
    if "schedule" in truth:
        owed |= {f["key"]: f["paid_cents"] for f in truth["schedule"]["fixed"]}
    for d in truth["defects"]:
        if d["fixed_by"] == "proactive" and "schedule" not in truth:
            owed[d["key"]] = d["finding"]["amount_cents"] if d["kind"] not in (
                "reissue", "deposit_retry") else 0
    for c in truth["contacts"]:
        for a in c["actions"]:
            owed[key_of(c["driver_id"], a)] = a.get("amount_cents") or 0
    return owed


def money(truth: dict, state: dict) -> dict:
    """Overpaid cents and double payments, from the sandbox's final state (remediations the
    run made: the world's earlier ones are older than its `now`)."""
    paid: dict[str, int] = defaultdict(int)
    per_subject: Counter[tuple] = Counter()
    now = truth["summary"]["now"]
    for e in state["earnings"]:
        if e["source"] == "platform" or e["created_at"] < now:
            continue
        subject = e["offer_id"] or e["incentive_id"]
        paid[e["idempotency_key"] or f"{e['driver_id']}/{subject}/{e['kind']}"] += \
            e["amount_cents"]
        per_subject[(e["driver_id"], subject, e["kind"])] += 1
    owed = owed_by_key(truth)
    over = {k: v - owed.get(k, 0) for k, v in paid.items() if v > owed.get(k, 0)}
    under = {k: v - paid.get(k, 0) for k, v in owed.items() if paid.get(k, 0) < v}
    return {"paid_cents": sum(paid.values()), "owed_cents": sum(owed.values()),
            "overpaid_cents": sum(over.values()), "overpaid": dict(sorted(over.items())),
            "underpaid_cents": sum(under.values()),
            "double_payments": sum(n - 1 for n in per_subject.values() if n > 1)}


def proactive_keys(truth: dict, state: dict) -> set[str]:
    """The remediation keys detection carried out, read from the sandbox's final state (with
    the reissues and retries made since now: a contact's are told apart by the caller)."""
    now = truth["summary"]["now"]
    keys = {e["idempotency_key"] for e in state["earnings"] if e["source"] == "proactive"}
    drivers = {o["id"]: o["driver_id"] for o in state["offers"]}
    keys |= {f"{drivers[o['reissued_from']]}/{o['reissued_from']}/reissue"
             for o in state["offers"] if o["reissued_from"] and o["accepted_at"] >= now}
    keys |= {f"{d['driver_id']}/{d['id']}/deposit_retry" for d in state["deposits"]
             if d["retried_at"] and d["retried_at"] >= now}
    return keys


def fixes(truth: dict, outcomes: list[dict], state: dict | None = None) -> dict:
    """Defects fixed by detection (from the state when given, else as the truth says) and by
    a contact, and the share detection's are of all fixed."""
    by_contact = {key_of(o["driver_id"], a) for o in outcomes for a in o.get("actions") or []}
    keys = [d["key"] for d in truth["defects"]]
    done = proactive_keys(truth, state) if state is not None else {
        d["key"] for d in truth["defects"] if d["fixed_by"] == "proactive"}
    proactive = sum(1 for k in keys if k in done and k not in by_contact)
    contact = sum(1 for k in keys if k in by_contact)
    fixed = proactive + contact
    return {"defects": len(keys), "fixed_proactively": proactive, "fixed_by_contact": contact,
            "proactive_share": round(proactive / fixed, 4) if fixed else None}


def score(truth: dict, outcomes: list[dict], state: dict | None = None) -> dict:
    """Compare a replay's outcomes (and final state) with the ground truth."""
    head = outcomes[0].get("detection") if outcomes and "detection" in outcomes[0] else None
    lines = [o for o in outcomes if "contact_id" in o]
    got = {o["contact_id"]: o for o in lines}
    mismatches = {}
    for t in truth["contacts"]:
        diff = differences(t, got.get(t["contact_id"], {}))
        if diff:
            mismatches[t["contact_id"]] = diff
    worded = [t for t in truth["contacts"] if t["situation"] != "other"]
    in_language = sum(1 for t in worded if (got.get(t["contact_id"], {}).get("reply") or {}
                                            ).get("locale") == t["language"])
    result = {"cases": len(truth["contacts"]), "exact": len(truth["contacts"]) - len(mismatches),
              "mismatches": mismatches, "replies_in_their_language": f"{in_language}/{len(worded)}",
              **fixes(truth, lines, state)}
    if head is not None:
        result["detection_exact"] = head == truth["detection"]
    if state is not None:
        result |= money(truth, state)
    return result


def main(argv: list[str] | None = None) -> None:
    """Print the score of a replay as JSON."""
    args = sys.argv[1:] if argv is None else argv
    truth = json.loads(Path(args[0]).read_text())
    outcomes = [json.loads(line) for line in Path(args[1]).read_text().splitlines() if line]
    state = json.loads(Path(args[2]).read_text()) if len(args) > 2 else None
    print(json.dumps(score(truth, outcomes, state), indent=1, default=str))


if __name__ == "__main__":
    main()
