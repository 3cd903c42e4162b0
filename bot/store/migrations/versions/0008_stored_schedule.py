"""Stored schedules (encrypted) for everyday answers.

Revision ID: 0008_stored_schedule
Revises: 0007_login_path
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_stored_schedule"
down_revision = "0007_login_path"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stored_schedules",
        sa.Column(
            "user_id",
            sa.BigInteger(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("schedule_token", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("fetched_ts", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("stored_schedules")
