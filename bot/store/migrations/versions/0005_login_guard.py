"""The login guard in the database (keyed hashes only) and the health heartbeat row.

Revision ID: 0005_login_guard
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_login_guard"
down_revision = "0004_progress"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_guard",
        sa.Column("code_key", sa.String(64), primary_key=True),
        sa.Column("consecutive", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("updated_ts", sa.Float(), nullable=False),
    )
    op.create_table(
        "login_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("code_key", sa.String(64), nullable=False),
        sa.Column("owner", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at_ts", sa.Float(), nullable=False),
    )
    op.create_index("ix_login_events_code_key", "login_events", ["code_key"])
    op.create_table(
        "rejected_pairs",
        sa.Column("pair_key", sa.String(64), primary_key=True),
        sa.Column("at_ts", sa.Float(), nullable=False),
    )
    op.create_table(
        "ops_heartbeat",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("at_ts", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_index("ix_login_events_code_key", table_name="login_events")
    for table in ("ops_heartbeat", "rejected_pairs", "login_events", "login_guard"):
        op.drop_table(table)
