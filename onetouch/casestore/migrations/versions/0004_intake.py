"""Intake: when a stored contact was handed to a flow, and the signatures already seen.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("dispatched_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("dispatches", sa.Integer, nullable=False,
                                   server_default="0"))
    op.create_table(
        "intake_signatures",
        sa.Column("signature", sa.String(80), primary_key=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("intake_signatures")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("dispatches")
        batch.drop_column("dispatched_at")
