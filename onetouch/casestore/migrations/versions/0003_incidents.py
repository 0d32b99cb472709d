"""Proactive detection: incidents and their findings.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(220), primary_key=True),
        sa.Column("detector", sa.String(40), nullable=False),
        sa.Column("cause", sa.String(220), nullable=False),
        sa.Column("status", sa.String(30), nullable=False, index=True),
        sa.Column("total_cents", sa.BigInteger, nullable=False),
        sa.Column("drivers", sa.Integer, nullable=False),
        sa.Column("subjects", sa.JSON, nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "findings",
        sa.Column("key", sa.String(400), primary_key=True),
        sa.Column("driver_id", sa.String(200), nullable=False, index=True),
        sa.Column("subject_id", sa.String(200), nullable=False),
        sa.Column("detector", sa.String(40), nullable=False),
        sa.Column("cause", sa.String(220), nullable=False),
        sa.Column("incident_id", sa.String(220), index=True),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("amount_cents", sa.BigInteger, nullable=False),
        sa.Column("finding", sa.JSON, nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("remediated_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("findings")
    op.drop_table("incidents")
