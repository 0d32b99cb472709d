"""prefect.yaml: each deployment loads its flow, fits its parameters, and keeps secrets out."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from prefect.events import Event
from prefect.flows import Flow, load_flow_from_entrypoint
from prefect.server.events.actions import JinjaTemplateAction, RunDeployment
from prefect.utilities.schema_tools.hydration import HydrationContext, hydrate

from onetouch.settings import PROJECT_LOGGERS, Settings
from policy.breaker import Trip
from policy.pay_review import threshold_alert

ROOT = Path(__file__).resolve().parents[2]
TEXT = (ROOT / "prefect.yaml").read_text()
DEPLOYMENTS = {d["name"]: d for d in yaml.safe_load(TEXT)["deployments"]}
# The payload flows/events.py sends with onetouch.money.hourly-threshold-crossed.
PAY_ALERT = threshold_alert(51_200, 2_500, 50_000, datetime(2026, 11, 20, 18, 10, tzinfo=UTC),
                            "case-c-7").model_dump(mode="json")
# The payload flows/events.py sends with onetouch.breaker.tripped.
BREAKER_TRIP = Trip(scope="detector", detector="contact", total_cents=4_800, cap_cents=5_000,
                    held_cents=675, window_start=datetime(2026, 11, 20, 17, 10, tzinfo=UTC),
                    window_end=datetime(2026, 11, 20, 18, 10, tzinfo=UTC)).payload() | {
                        "reference": "case-c-9"}
CONTACT = json.loads((ROOT / "tests" / "data" / "contacts.jsonl").read_text().splitlines()[0])
EXPECTED = {
    "resolve-contact": ("flows/resolve_contact.py:resolve_contact", [],
                        ["driver.contact.received"]),
    "await-agent-decision": ("flows/approval.py:await_agent_decision", [], []),
    "execute-escalation": ("flows/escalations.py:execute_escalation", [], []),
    "check-escalation-slas": ("flows/agent_queues.py:check_escalation_slas", [300], []),
    "detect-defects": ("flows/detection.py:detect_defects", [300], ["platform.alert"]),
    "sweep-stranded-contacts": ("flows/intake_sweep.py:sweep_stranded_contacts", [120], []),
    "alert-pay-review": ("flows/pay_review.py:alert_pay_review", [],
                         ["onetouch.money.hourly-threshold-crossed"]),
    "announce-breaker-tripped": ("flows/payments_safety.py:announce_breaker_tripped", [],
                                 ["onetouch.breaker.tripped"]),
    "daily-report": ("flows/reports.py:daily_report", ["0 6 * * *"], []),
    "root-causes": ("flows/root_causes.py:root_causes", ["0 6 * * *"], []),
    "retention-outreach": ("flows/retention.py:retention_outreach", ["0 6 * * *"], []),
}
STARTED_WITH = {
    "await-agent-decision": {"escalation_id": "esc-c-21"},
    "execute-escalation": {"escalation_id": "esc-c-21"},
}
SAMPLE_PAYLOADS = {
    "driver.contact.received": [(CONTACT, {"contact": CONTACT})],
    "platform.alert": [({"zone": "nashville-1"}, {"zone": "nashville-1", "store_id": None}),
                       ({"store_id": "st-4"}, {"zone": None, "store_id": "st-4"})],
    "onetouch.money.hourly-threshold-crossed": [(PAY_ALERT, {"alert": PAY_ALERT})],
    "onetouch.breaker.tripped": [(BREAKER_TRIP, {"trip": BREAKER_TRIP})],
}
SECRET_BLOCKS = {"platform_api_key_block": "onetouch-platform-api-key",
                 "queue_notify_urls_block": "onetouch-queue-notify-urls"}


@cache
def _flow(name: str) -> Flow:
    path, function = DEPLOYMENTS[name]["entrypoint"].split(":")
    if not (ROOT / path).exists():
        pytest.fail(f"{name}: entrypoint file {path} does not exist")
    return load_flow_from_entrypoint(f"{ROOT / path}:{function}")


def _render(parameters: dict[str, Any], event: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Trigger parameters rendered as the server's run-deployment action renders them."""
    JinjaTemplateAction._register_filters_if_needed()
    templates = json.loads(json.dumps(parameters))
    RunDeployment._upgrade_v1_templates(templates)
    context = {"event": Event(event=event, resource={"prefect.resource.id": "test"},
                              payload=payload)}
    return hydrate(templates, HydrationContext(raise_on_error=True, render_jinja=True,
                                               jinja_context=context))


def test_the_file_declares_each_deployment_with_its_schedules_and_triggers():
    assert set(DEPLOYMENTS) == set(EXPECTED)
    for name, (entrypoint, intervals, events) in EXPECTED.items():
        deployment = DEPLOYMENTS[name]
        assert deployment["entrypoint"] == entrypoint
        assert deployment["work_pool"]["name"] == "onetouch"
        schedules = deployment.get("schedules") or []
        assert [s.get("interval") or s["cron"] for s in schedules] == intervals, name
        assert [e for t in deployment.get("triggers") or [] for e in t["expect"]] == events, name
    assert DEPLOYMENTS["await-agent-decision"]["parameters"] == {"suspend": True}
    for name in ("detect-defects", "sweep-stranded-contacts"):
        assert DEPLOYMENTS[name]["concurrency_limit"] == {
            "limit": 1, "collision_strategy": "CANCEL_NEW"}, name


def test_code_is_run_from_the_repository_named_by_a_variable():
    [step] = yaml.safe_load(TEXT)["pull"]
    assert step == {"prefect.deployments.steps.set_working_directory": {
        "directory": "{{ prefect.variables.onetouch_repo_dir }}"}}


@pytest.mark.parametrize("name", EXPECTED)
def test_each_entrypoint_is_a_flow_named_like_its_deployment(name):
    flow = _flow(name)
    assert isinstance(flow, Flow)
    assert flow.name == name


def _starts(name: str) -> list[dict[str, Any]]:
    """The parameters of every way a run of the deployment starts."""
    deployment = DEPLOYMENTS[name]
    fixed = deployment.get("parameters") or {}
    starts = [fixed | STARTED_WITH[name]] if name in STARTED_WITH else []
    if deployment.get("schedules"):
        starts.append(fixed)
    for trigger in deployment.get("triggers") or []:
        for event in trigger["expect"]:
            for payload, expected in SAMPLE_PAYLOADS[event]:
                rendered = _render(trigger["parameters"], event, payload)
                assert rendered == expected, f"{name}: {event} {payload}"
                starts.append(fixed | rendered)
    return starts


@pytest.mark.parametrize("name", EXPECTED)
def test_every_way_a_run_starts_gives_parameters_the_flow_accepts(name):
    flow, starts = _flow(name), _starts(name)
    assert starts, f"{name} has no schedule, trigger or caller"
    for parameters in starts:
        flow.validate_parameters(parameters)


def test_the_job_env_feeds_settings_from_variables_and_secret_blocks():
    envs = [d["work_pool"]["job_variables"]["env"] for d in DEPLOYMENTS.values()]
    assert all(env == envs[0] for env in envs)
    prefect_settings = {k: v for k, v in envs[0].items() if k.startswith("PREFECT_")}
    assert prefect_settings == {"PREFECT_LOGGING_EXTRA_LOGGERS": PROJECT_LOGGERS}
    for key, value in envs[0].items() - prefect_settings.items():
        field = key.removeprefix("ONETOUCH_").lower()
        assert key.startswith("ONETOUCH_") and field in Settings.model_fields, key
        if field == "approval_deployment":
            assert value == "await-agent-decision/await-agent-decision"
        elif field in SECRET_BLOCKS:
            assert value == SECRET_BLOCKS[field], key
        else:
            assert re.fullmatch(r"\{\{ prefect\.variables\.onetouch_[a-z_]+ \}\}", value), key
    assert {"ONETOUCH_PLATFORM_URL", "ONETOUCH_PLATFORM_API_KEY_BLOCK",
            "ONETOUCH_CASE_STORE_URL"} <= set(envs[0])
    assert "ONETOUCH_PLATFORM_API_KEY" not in envs[0]


def _scalars(node: Any, key: str = "") -> list[tuple[str, str]]:
    if isinstance(node, dict):
        return [pair for k, v in node.items() for pair in _scalars(v, str(k))]
    if isinstance(node, list):
        return [pair for item in node for pair in _scalars(item, key)]
    return [(key, str(node))]


def test_no_secret_is_written_in_the_file():
    for key, value in _scalars(yaml.safe_load(TEXT)):
        if re.search(r"(?i)key|token|secret|password|credential|notify", key):
            assert value.startswith("{{ prefect.") or key.endswith("_BLOCK"), key
    assert not re.search(r"[a-z+]+://[^\s/@]+:[^\s/@]+@", TEXT), "credentials in a URL"
    assert not re.search(r"(?i)bearer\s|sk-[a-z0-9]|xox[abp]-|slack://|mailto:", TEXT)
