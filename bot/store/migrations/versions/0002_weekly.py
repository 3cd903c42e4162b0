"""Weekly subscriptions, one delivery per user-week, last-sent schedule snapshots.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def _user_fk() -> sa.ForeignKey:
    return sa.ForeignKey("users.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("user_id", sa.BigInteger(), _user_fk(), primary_key=True),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("only_if_changed", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("paused_reason", sa.String(32), nullable=True),
        sa.Column("next_due_ts", sa.BigInteger(), nullable=False),
        sa.Column("pending_due_ts", sa.BigInteger(), nullable=True),
        sa.Column("lease_until_ts", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_index("ix_subscriptions_next_due_ts", "subscriptions", ["next_due_ts"])
    op.create_table(
        "weekly_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.BigInteger(), _user_fk(), nullable=False),
        sa.Column("iso_week", sa.String(8), nullable=False),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("user_id", "iso_week", name="uq_weekly_user_week"),
    )
    op.create_index("ix_weekly_deliveries_user_id", "weekly_deliveries", ["user_id"])
    op.create_table(
        "schedule_snapshots",
        sa.Column("user_id", sa.BigInteger(), _user_fk(), primary_key=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("schedule_json", sa.Text(), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )


def downgrade() -> None:
    for table in ("schedule_snapshots", "weekly_deliveries", "subscriptions"):
        op.drop_table(table)
