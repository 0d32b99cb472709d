"""The resolver task run each contact was last handed to, for the sweep to look at.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("task_run_id", sa.String(36)))


def downgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("task_run_id")
