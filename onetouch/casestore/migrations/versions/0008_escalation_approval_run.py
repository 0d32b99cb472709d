"""The `await-agent-decision` run each escalation's approval form is on, once it is open.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("escalations") as batch:
        batch.add_column(sa.Column("approval_run_id", sa.String(36)))


def downgrade() -> None:
    with op.batch_alter_table("escalations") as batch:
        batch.drop_column("approval_run_id")
