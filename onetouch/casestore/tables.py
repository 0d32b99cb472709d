"""The case store's tables: contacts, cases, escalations, incidents, findings, the audit log,
and the actions a dry run would have taken."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

contacts = Table(
    "contacts", metadata,
    Column("id", String(200), primary_key=True),
    Column("driver_id", String(200), nullable=False, index=True),
    Column("channel", String(20), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("raw", JSON, nullable=False),
    Column("stored_at", DateTime(timezone=True), nullable=False),
    Column("dispatched_at", DateTime(timezone=True)),
    Column("dispatches", Integer, nullable=False, default=0, server_default="0"),
    Column("task_run_id", String(36)),
)

intake_signatures = Table(
    "intake_signatures", metadata,
    Column("signature", String(80), primary_key=True),
    Column("seen_at", DateTime(timezone=True), nullable=False, index=True),
)

cases = Table(
    "cases", metadata,
    Column("case_id", String(220), primary_key=True),
    Column("contact_id", String(200), nullable=False, unique=True),
    Column("driver_id", String(200), nullable=False, index=True),
    Column("intent", String(40)),
    Column("outcome", String(20), nullable=False),
    Column("queue", String(40)),
    Column("reason", String(80)),
    Column("policy_version", String(60)),
    Column("record", JSON, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

escalations = Table(
    "escalations", metadata,
    Column("id", String(220), primary_key=True),
    Column("case_id", String(220), nullable=False, unique=True),
    Column("driver_id", String(200), nullable=False),
    Column("queue", String(40), nullable=False, index=True),
    Column("status", String(20), nullable=False, index=True),
    Column("reasons", JSON, nullable=False),
    Column("recommended_actions", JSON, nullable=False),
    Column("reply", JSON),
    Column("requested_by", String(120)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("decision", JSON),
    Column("decided_by", String(120)),
    Column("decided_at", DateTime(timezone=True)),
    Column("executed_at", DateTime(timezone=True)),
    Column("sla_breached_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False, default=0),
    Column("approval_run_id", String(36)),
    Column("subject_key", String(1000), unique=True),  # the first about its subject has it
    Column("joined_to", String(220), index=True),  # a later one, about the same subject
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("action", String(60), nullable=False),
    Column("case_id", String(220), index=True),
    Column("escalation_id", String(220), index=True),
    Column("amount_cents", BigInteger),
    Column("details", JSON, nullable=False),
    Column("note", Text),
)

incidents = Table(
    "incidents", metadata,
    Column("id", String(220), primary_key=True),
    Column("detector", String(40), nullable=False),
    Column("cause", String(220), nullable=False),
    Column("status", String(30), nullable=False, index=True),
    Column("total_cents", BigInteger, nullable=False),
    Column("drivers", Integer, nullable=False),
    Column("subjects", JSON, nullable=False),
    Column("detected_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

findings = Table(
    "findings", metadata,
    Column("key", String(400), primary_key=True),
    Column("driver_id", String(200), nullable=False, index=True),
    Column("subject_id", String(200), nullable=False),
    Column("detector", String(40), nullable=False),
    Column("cause", String(220), nullable=False),
    Column("incident_id", String(220), index=True),
    Column("status", String(20), nullable=False, index=True),
    Column("amount_cents", BigInteger, nullable=False),
    Column("finding", JSON, nullable=False),
    Column("detected_at", DateTime(timezone=True), nullable=False),
    Column("remediated_at", DateTime(timezone=True)),
)

# What a dry run would have sent to the platform, once per (kind, key) like the platform's
# idempotency: the request, and the result the flow was given in place of the platform's.
dry_run_actions = Table(
    "dry_run_actions", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("idempotency_key", String(400), nullable=False),
    Column("driver_id", String(200), nullable=False, index=True),
    Column("reference", String(220)),
    Column("request", JSON, nullable=False),
    Column("result", JSON, nullable=False),
    UniqueConstraint("kind", "idempotency_key", name="uq_dry_run_actions_kind_key"),
)

Index("ix_escalations_queue_status", escalations.c.queue, escalations.c.status)
# Automatic pay and the breaker's trips in the last hour, read before each payment
Index("ix_audit_log_action_at", audit_log.c.action, audit_log.c.at)

# Retention outreach (policy/retention.py): each hurt driver and cause judged once, and the
# check-in message sent when their activity dropped.
outreach = Table(
    "outreach", metadata,
    Column("key", String(500), primary_key=True),
    Column("driver_id", String(200), nullable=False, index=True),
    Column("cause", String(220), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("segment", String(20), nullable=False),
    Column("verdict", String(20), nullable=False),
    Column("deliveries_before", Integer, nullable=False),
    Column("deliveries_after", Integer, nullable=False),
    Column("hurt_at", DateTime(timezone=True), nullable=False),
    Column("checked_at", DateTime(timezone=True), nullable=False, index=True),
    Column("notification_id", String(220)),
)
