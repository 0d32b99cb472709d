"""Escalations about one subject join the first: its subject key (unique), and what joined it.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("escalations") as batch:
        batch.add_column(sa.Column("subject_key", sa.String(1000)))
        batch.add_column(sa.Column("joined_to", sa.String(220)))
        batch.create_index("uq_escalations_subject_key", ["subject_key"], unique=True)
        batch.create_index("ix_escalations_joined_to", ["joined_to"])


def downgrade() -> None:
    with op.batch_alter_table("escalations") as batch:
        batch.drop_index("ix_escalations_joined_to")
        batch.drop_index("uq_escalations_subject_key")
        batch.drop_column("joined_to")
        batch.drop_column("subject_key")
