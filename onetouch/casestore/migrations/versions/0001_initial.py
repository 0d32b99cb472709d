"""Contacts, cases, escalations and the audit log.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("driver_id", sa.String(200), nullable=False, index=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("received_at", TZ, nullable=False),
        sa.Column("raw", sa.JSON, nullable=False),
        sa.Column("stored_at", TZ, nullable=False),
    )
    op.create_table(
        "cases",
        sa.Column("case_id", sa.String(220), primary_key=True),
        sa.Column("contact_id", sa.String(200), nullable=False, unique=True),
        sa.Column("driver_id", sa.String(200), nullable=False, index=True),
        sa.Column("intent", sa.String(40)),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("queue", sa.String(40)),
        sa.Column("reason", sa.String(80)),
        sa.Column("policy_version", sa.String(60)),
        sa.Column("record", sa.JSON, nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
    )
    op.create_table(
        "escalations",
        sa.Column("id", sa.String(220), primary_key=True),
        sa.Column("case_id", sa.String(220), nullable=False, unique=True),
        sa.Column("driver_id", sa.String(200), nullable=False),
        sa.Column("queue", sa.String(40), nullable=False, index=True),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("recommended_actions", sa.JSON, nullable=False),
        sa.Column("reply", sa.JSON),
        sa.Column("requested_by", sa.String(120)),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("due_at", TZ, nullable=False),
        sa.Column("decision", sa.JSON),
        sa.Column("decided_by", sa.String(120)),
        sa.Column("decided_at", TZ),
        sa.Column("executed_at", TZ),
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_escalations_queue_status", "escalations", ["queue", "status"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("at", TZ, nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("case_id", sa.String(220), index=True),
        sa.Column("escalation_id", sa.String(220), index=True),
        sa.Column("amount_cents", sa.BigInteger),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("note", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_index("ix_escalations_queue_status", "escalations")
    op.drop_table("escalations")
    op.drop_table("cases")
    op.drop_table("contacts")
