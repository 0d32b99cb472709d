"""Writing a day: world.json and contacts.jsonl in the platform's formats, truth.json beside them;
streamed a row at a time (a million offers is about a gigabyte of JSON)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from simulate.clock import DAY, NOW_TS, Times, iso
from simulate.day import Day, earnings, order_status
from simulate.truth import GroundTruth, summary


def _js(value: str | None) -> str:
    return "null" if value is None else json.dumps(value, ensure_ascii=False)


def dumps(row: object) -> str:
    """One row as compact JSON (keys in the order given)."""
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


def _array(out: TextIO, name: str, rows: Iterable[str], last: bool = False) -> None:
    out.write(f'"{name}":[')
    first = True
    for row in rows:
        out.write(("\n" if first else ",\n") + row)
        first = False
    out.write("\n]" + ("" if last else ",\n"))


def write_world(day: Day, path: Path) -> None:
    """The world fixture: every entity the sandbox loads, in id order."""
    t = Times(NOW_TS - 40 * DAY, NOW_TS + 4 * DAY)
    with path.open("w", encoding="utf-8") as out:
        out.write(f'{{"now":"{iso(NOW_TS)}",\n')
        _array(out, "drivers", (_driver(d) for d in sorted(day.city.drivers, key=lambda d: d.id)))
        _array(out, "stores", (dumps({"id": s.id, "name": s.name, "zone": s.zone})
                               for s in day.city.stores))
        orders = order_status(day.offers)
        stores = {o.order_id: (o.store, o.zone) for o in day.offers if o.parent is None}
        _array(out, "orders", (
            f'{{"id":"{oid}","store_id":"{stores[oid][0]}","zone":"{stores[oid][1]}",'
            f'"status":"{status}"}}' for oid, status in sorted(orders.items())))
        _array(out, "offers", (_offer(o, t) for o in day.offers))
        _array(out, "earnings", _earnings(day, t))
        _array(out, "incentives", (dumps({
            "id": i.id, "zone": i.zone, "name": i.name, "starts_at": iso(i.starts),
            "ends_at": iso(i.ends), "required_deliveries": i.required, "reward_cents": i.reward,
            "enrolled_driver_ids": i.enrolled}) for i in day.incentives))
        _array(out, "deposits", (dumps({
            "id": x.id, "driver_id": x.driver, "amount_cents": x.amount, "method": x.method,
            "status": x.status, "failure_reason": x.reason, "created_at": t.iso(x.created),
            "retried_at": None if x.retried is None else t.iso(x.retried)})
            for x in day.deposits), last=True)
        out.write("}\n")


def _driver(d) -> str:
    first = d.name.split()[0].lower()
    return dumps({"id": d.id, "name": d.name, "locale": d.locale, "zone": d.zone,
                  "onboarded_at": iso(d.onboarded_ts), "status": d.status,
                  "phone": f"+1512{int(d.id[4:]):07d}",
                  "email": f"{first}.{d.id[4:]}@example.com"})


def _offer(o, t: Times) -> str:
    def at(ts: int | None) -> str:
        return "null" if ts is None else f'"{t.iso(ts)}"'

    return (f'{{"id":"{o.id}","order_id":"{o.order_id}","driver_id":"{o.driver}",'
            f'"store_id":"{o.store}","zone":"{o.zone}","accepted_at":{at(o.acc)},'
            f'"arrived_at_store":{at(o.arr)},"picked_up_at":{at(o.pick)},'
            f'"delivered_at":{at(o.deliv)},"cancelled_at":{at(o.canc)},'
            f'"cancelled_by":{_js(o.by)},"cancel_reason":{_js(o.reason)},'
            f'"status":"{o.status}","base_pay_cents":{o.base},'
            f'"customer_tip_cents":{o.tip},"reissued_from":{_js(o.reissued_from)}}}')


def _earnings(day: Day, t: Times) -> Iterator[str]:
    for n, (driver, offer, incentive, kind, amount, source, ts, key, ref) in enumerate(
            earnings(day), 1):
        yield (f'{{"id":"ern-{n:08d}","driver_id":"{driver}","offer_id":{_js(offer)},'
               f'"incentive_id":{_js(incentive)},"kind":"{kind}","amount_cents":{amount},'
               f'"created_at":"{t.iso(ts)}","source":"{source}",'
               f'"idempotency_key":{_js(key)},"reference":{_js(ref)}}}')


def write_contacts(day: Day, path: Path) -> None:
    """One contact a line, in arrival order."""
    with path.open("w", encoding="utf-8") as out:
        for c in day.contacts:
            out.write(dumps({"id": c.id, "driver_id": c.driver, "channel": c.channel,
                             "received_at": iso(c.at), "text": c.text,
                             "offer_id": c.offer_field, "category": c.category}) + "\n")


def write_truth(day: Day, truth: GroundTruth, path: Path) -> dict:
    """Ground truth: a summary, the expected detection line, a row per contact and defect."""
    facts = summary(day, truth)
    with path.open("w", encoding="utf-8") as out:
        out.write(f'{{"summary":{dumps(facts)},\n"detection":{dumps(truth.detection)},\n')
        out.write(f'"unplanned_findings":{dumps(truth.unplanned)},\n')
        if truth.schedule is not None:
            out.write(f'"schedule":{{"every_s":{truth.schedule["every_s"]},'
                      f'"runs":{truth.schedule["runs"]},\n')
            _array(out, "fixed", (dumps(f) for f in truth.schedule["fixed"]), last=True)
            out.write("},\n")
        _array(out, "defects", (dumps(r) for r in truth.defects))
        _array(out, "contacts", (dumps(r) for r in truth.contacts), last=True)
        out.write("}\n")
    return facts
