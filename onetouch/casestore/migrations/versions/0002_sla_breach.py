"""Escalations remember when their SLA breach was announced.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("escalations") as batch:
        batch.add_column(sa.Column("sla_breached_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("escalations") as batch:
        batch.drop_column("sla_breached_at")
