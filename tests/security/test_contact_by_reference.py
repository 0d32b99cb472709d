"""A contact reaches Prefect by reference: a run's stored parameter is the contact's id, and
the flow reads a referenced contact back from the case store (flows/contact_params.py)."""

from __future__ import annotations

import json
from datetime import datetime

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

from flows import deps
from flows.contact_params import is_reference, reference
from flows.resolve_contact import resolve_contact
from onetouch.models import Contact
from tests.security.conftest import DATA

CONTACTS = {json.loads(line)["id"]: json.loads(line)
            for line in (DATA / "contacts.jsonl").read_text().splitlines()}
EXPECTED = {json.loads(line)["contact_id"]: json.loads(line)
            for line in (DATA / "expected.jsonl").read_text().splitlines()}


def _stored_parameters(run_name: str) -> list[dict]:
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[run_name])))
    return [run.parameters for run in runs]


def test_a_reference_is_an_id_alone():
    assert reference(CONTACTS["c-2"]) == {"id": "c-2"}
    assert reference({"text": "no id"}) == {} and reference(["c-2"]) == {}
    assert is_reference({"id": "c-2"})
    assert not is_reference(CONTACTS["c-2"]) and not is_reference({"id": 2})


def test_a_stored_contact_is_resolved_by_its_id_as_the_trigger_passes_it(platform):
    raw = CONTACTS["c-2"] | {"id": "c-ref-2"}  # a tip short by $4.00 on ofr-50014
    deps.case_store().store_contact(Contact.model_validate(raw), raw)  # as the intake does
    platform.admin.set_clock(datetime.fromisoformat(raw["received_at"]))
    outcome = resolve_contact({"id": "c-ref-2"})
    expected = EXPECTED["c-2"]
    assert (outcome["intent"], outcome["outcome"], outcome["actions"]) == (
        expected["intent"], expected["outcome"], expected["actions"])
    assert _stored_parameters("contact-c-ref-2") == [{"contact": {"id": "c-ref-2"}}]


def test_a_reference_to_a_contact_never_stored_is_rejected(platform, caplog):
    outcome = resolve_contact({"id": "c-nowhere"})
    assert outcome["outcome"] == "rejected"
    assert outcome["reasons"] == ["field 'driver_id': Field required"]
    assert "contact c-nowhere is not in the case store" in caplog.text
    assert deps.case_store().outcome_for("c-nowhere") is None


def test_a_direct_call_stores_only_the_id_even_for_an_invalid_contact(platform):
    secret = "call me at +16159752840, account 000123456789"
    valid = CONTACTS["c-4"] | {"id": "c-ref-4",
                               "text": f"where is my tip for ofr-50027? {secret}"}
    platform.admin.set_clock(datetime.fromisoformat(valid["received_at"]))
    resolve_contact(valid)
    resolve_contact(valid | {"id": "c-ref-fax", "channel": "fax"})
    resolve_contact({"text": secret})  # no id at all
    assert _stored_parameters("contact-c-ref-4") == [{"contact": {"id": "c-ref-4"}}]
    assert _stored_parameters("contact-c-ref-fax") == [{"contact": {"id": "c-ref-fax"}}]
    assert _stored_parameters("contact-unknown") == [{"contact": {}}]
    # the flow kept the contact itself, so a re-run from the UI (by id) finds it
    assert deps.case_store().contact_as_received("c-ref-4")["text"].endswith(secret)
    assert resolve_contact({"id": "c-ref-4"})["case_id"] == "case-c-ref-4"
