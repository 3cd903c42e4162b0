"""The planner (`/armar`): the default centre per student, and what each answer was made from.

Revision ID: 0011_planner
Revises: 0010_daily
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_planner"
down_revision = "0010_daily"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "planner_prefs",
        sa.Column("user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("centre", sa.String(4), nullable=False),
    )
    op.create_table(
        "planner_plans",
        sa.Column("id", sa.String(8), primary_key=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_ts", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_planner_plans_user_id", "planner_plans", ["user_id"])
    op.create_index("ix_planner_plans_created_ts", "planner_plans", ["created_ts"])


def downgrade() -> None:
    op.drop_table("planner_plans")
    op.drop_table("planner_prefs")
