"""State that several replicas must share: dialogs, leases, rate events, the breaker.

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
        "dialogs",
        sa.Column("user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("step", sa.String(16), nullable=False),
        sa.Column("code_token", sa.Text(), nullable=True),
        sa.Column("rejections", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("careers_json", sa.Text(), nullable=True),
        sa.Column("expires_ts", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "leases",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(64), nullable=True),
        sa.Column("until_ts", sa.Float(), nullable=False),
    )
    op.create_table(
        "rate_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("at_ts", sa.Float(), nullable=False),
    )
    op.create_index("ix_rate_events_user_id", "rate_events", ["user_id"])
    op.create_table(
        "breaker",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("opened_until_ts", sa.Float(), nullable=True),
        sa.Column("times_opened", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    for table in ("breaker", "rate_events", "leases", "dialogs"):
        op.drop_table(table)
