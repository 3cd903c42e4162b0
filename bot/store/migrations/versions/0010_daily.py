"""Morning digest and class reminders: settings per student and the log of what was sent.

Revision ID: 0010_daily
Revises: 0009_calendar_feed
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_daily"
down_revision = "0009_calendar_feed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "daily_settings",
        sa.Column(
            "user_id",
            sa.BigInteger(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("digest_hour", sa.Integer(), nullable=True),
        sa.Column("digest_due_ts", sa.BigInteger(), nullable=True),
        sa.Column("digest_lease_ts", sa.BigInteger(), nullable=True),
        sa.Column("reminder_minutes", sa.Integer(), nullable=True),
        sa.Column("reminder_due_ts", sa.BigInteger(), nullable=True),
        sa.Column("reminder_lease_ts", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_daily_settings_digest_due_ts", "daily_settings", ["digest_due_ts"])
    op.create_index("ix_daily_settings_reminder_due_ts", "daily_settings", ["reminder_due_ts"])
    op.create_table(
        "daily_sent",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "user_id",
            sa.BigInteger(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("slot", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.UniqueConstraint("user_id", "kind", "day", "slot", name="uq_daily_sent"),
    )
    op.create_index("ix_daily_sent_user_id", "daily_sent", ["user_id"])


def downgrade() -> None:
    op.drop_table("daily_sent")
    op.drop_table("daily_settings")
