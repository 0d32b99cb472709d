"""Retention outreach: each hurt driver and cause judged once, and the check-in sent.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outreach",
        sa.Column("key", sa.String(500), primary_key=True),
        sa.Column("driver_id", sa.String(200), nullable=False, index=True),
        sa.Column("cause", sa.String(220), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("segment", sa.String(20), nullable=False),
        sa.Column("verdict", sa.String(20), nullable=False),
        sa.Column("deliveries_before", sa.Integer, nullable=False),
        sa.Column("deliveries_after", sa.Integer, nullable=False),
        sa.Column("hurt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("notification_id", sa.String(220)),
    )


def downgrade() -> None:
    op.drop_table("outreach")
